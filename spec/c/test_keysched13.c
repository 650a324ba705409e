/*
 * test_keysched13.c - lib/handshake/keysched13.c against RFC 8448 (sections 3-7) and
 * TLS 1.3 sessions captured from OpenSSL (SHA-256 and SHA-384 suites, exporters).
 *
 * Fixtures: spec/fixtures/rfc8448-*.txt (from the RFC 8448 JSON, rfc8448-convert.py) and
 * spec/fixtures/keysched13-openssl.txt (prf12-capture.py). Transcript hashes are computed
 * from the messages with lib/handshake/transcript.c, never taken from the fixture.
 */
#include "test.h"
#include "fixture_blocks.h"

#include "crypto/kdf.h"
#include "handshake/keysched13.h"
#include "handshake/transcript.h"
#include "moontls.h"

/* CHECK got (n bytes) against block/key. */
static void check_fx(const fx_file *fx, const char *block, const char *key, const uint8_t *got,
                     size_t n)
{
    size_t wn;
    uint8_t *want = fx_hex(fx, block, key, &wn);
    if (wn != n || memcmp(got, want, n) != 0) fprintf(stderr, "  (%s/%s)\n", block, key);
    CHECK_EQ(wn, n);
    CHECK_MEM(got, want, n < wn ? n : wn);
    free(want);
}

static void add_msg(mt_transcript *t, const fx_file *fx, const char *name)
{
    size_t n;
    uint8_t *m = fx_hex(fx, "messages", name, &n);
    CHECK_EQ(mt_transcript_add(t, m, n), 0);
    free(m);
}

static void add_msgs(mt_transcript *t, const fx_file *fx, const char *const *names)
{
    for (; *names; names++)
        add_msg(t, fx, *names);
}

/* ---- the secret callback records what it is told ---- */

typedef struct {
    int n;
    const char *label[16];
    uint8_t secret[16][64];
    size_t len[16];
} seen_log;

static void on_secret(const char *label, const uint8_t *secret, size_t len, void *user)
{
    seen_log *log = user;
    if (log->n == 16 || len > 64) return;
    log->label[log->n] = label;
    memcpy(log->secret[log->n], secret, len);
    log->len[log->n] = len;
    log->n++;
}

/* Index of label in the log, or -1. */
static int seen(const seen_log *log, const char *label)
{
    for (int i = 0; i < log->n; i++)
        if (strcmp(log->label[i], label) == 0) return i;
    return -1;
}

static void check_logged(const seen_log *log, const char *label, const uint8_t *want)
{
    int i = seen(log, label);
    CHECK(i >= 0);
    if (i < 0) return;
    CHECK_EQ(log->len[i], 32);
    CHECK_MEM(log->secret[i], want, 32);
}

/* Traffic key and IV of one RFC 8448 traffic_keys entry. */
static void check_traffic(const fx_file *fx, const char *name, const uint8_t *secret)
{
    char k[64];
    uint8_t key[16], iv[12];

    snprintf(k, sizeof k, "%s_secret", name);
    check_fx(fx, "traffic_keys", k, secret, 32);
    CHECK_EQ(mt_ks13_traffic_keys(MT_HASH_SHA256, secret, key, 16, iv, 12), 0);
    snprintf(k, sizeof k, "%s_key", name);
    check_fx(fx, "traffic_keys", k, key, 16);
    snprintf(k, sizeof k, "%s_iv", name);
    check_fx(fx, "traffic_keys", k, iv, 12);
}

/* A Finished message body against the computed verify_data. */
static void check_finished_msg(const fx_file *fx, const char *msg, const uint8_t *verify)
{
    size_t n;
    uint8_t *m = fx_hex(fx, "messages", msg, &n);
    CHECK_EQ(n, 4 + 32);
    CHECK_MEM(m + 4, verify, 32);
    free(m);
}

/* ---- one full (EC)DHE handshake of RFC 8448 ---- */

typedef struct {
    const char *path;
    const char *const *to_server_hello; /* messages hashed for the handshake secrets */
    int hrr;                            /* rewrite after the first message */
    const char *const *to_server_cv;    /* EncryptedExtensions .. CertificateVerify */
    const char *const *to_client_cv;    /* client Certificate, CertificateVerify (or none) */
} scenario;

static const char *const none[] = {NULL};
static const char *const ch_sh[] = {"client_hello", "server_hello", NULL};
static const char *const hrr_to_sh[] = {"client_hello_1", "hello_retry_request", "client_hello_2",
                                        "server_hello", NULL};
static const char *const ee_cert_cv[] = {"encrypted_extensions", "server_certificate",
                                         "server_certificate_verify", NULL};
static const char *const ee_cr_cert_cv[] = {"encrypted_extensions", "certificate_request",
                                            "server_certificate", "server_certificate_verify",
                                            NULL};
static const char *const client_cert_cv[] = {"client_certificate", "client_certificate_verify",
                                             NULL};

static void run_scenario(const scenario *sc)
{
    fx_file fx;
    mt_transcript t;
    mt_ks13 ks;
    seen_log log = {0};
    uint8_t th[32], verify[32], fk[32];
    size_t n;

    fx_load(&fx, sc->path);
    mt_transcript_init(&t);
    CHECK_EQ(mt_ks13_init(&ks, MT_HASH_SHA256, on_secret, &log), 0);

    /* Early Secret without PSK. */
    CHECK_EQ(mt_ks13_early(&ks, NULL, 0), 0);
    check_fx(&fx, "key_schedule", "early_secret", ks.stage_secret, 32);

    /* Handshake secrets over ClientHello..ServerHello. */
    for (int i = 0; sc->to_server_hello[i]; i++) {
        add_msg(&t, &fx, sc->to_server_hello[i]);
        if (i == 0) {
            CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
            if (sc->hrr) CHECK_EQ(mt_transcript_hrr_rewrite(&t), 0);
        }
    }
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    uint8_t *ecdhe = fx_hex(&fx, "key_schedule", "ecdhe_shared_secret", &n);
    CHECK_EQ(mt_ks13_master(&ks, th), MT_ERR_BAD_STATE); /* not before the handshake secret */
    CHECK_EQ(mt_ks13_handshake(&ks, ecdhe, n, th), 0);
    free(ecdhe);
    CHECK_EQ(ks.stage, MT_KS13_HANDSHAKE);
    check_fx(&fx, "key_schedule", "handshake_secret", ks.stage_secret, 32);
    const uint8_t *chs = mt_ks13_secret(&ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC);
    const uint8_t *shs = mt_ks13_secret(&ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC);
    CHECK(chs != NULL && shs != NULL);
    check_fx(&fx, "key_schedule", "client_handshake_traffic_secret", chs, 32);
    check_fx(&fx, "key_schedule", "server_handshake_traffic_secret", shs, 32);
    check_traffic(&fx, "client_handshake", chs);
    check_traffic(&fx, "server_handshake", shs);
    /* No early secrets without a PSK, and no early binder once past the early stage. */
    CHECK(mt_ks13_secret(&ks, MT_KS13_CLIENT_EARLY_TRAFFIC) == NULL);
    CHECK_EQ(mt_ks13_binder_key(&ks, 0, fk), MT_ERR_BAD_STATE);

    /* Server Finished over ClientHello..CertificateVerify (RFC 8446 4.4.4). */
    add_msgs(&t, &fx, sc->to_server_cv);
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_finished_key(MT_HASH_SHA256, shs, fk), 0);
    check_fx(&fx, "key_schedule", "server_finished_key", fk, 32);
    CHECK_EQ(mt_ks13_finished(MT_HASH_SHA256, shs, th, verify), 0);
    check_fx(&fx, "key_schedule", "server_finished_verify_data", verify, 32);
    check_finished_msg(&fx, "server_finished", verify);

    /* Master secret and application secrets over ClientHello..server Finished. */
    add_msg(&t, &fx, "server_finished");
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_master(&ks, th), 0);
    check_fx(&fx, "key_schedule", "master_secret", ks.stage_secret, 32);
    const uint8_t *cap = mt_ks13_secret(&ks, MT_KS13_CLIENT_APPLICATION_TRAFFIC);
    const uint8_t *sap = mt_ks13_secret(&ks, MT_KS13_SERVER_APPLICATION_TRAFFIC);
    const uint8_t *exp = mt_ks13_secret(&ks, MT_KS13_EXPORTER_MASTER);
    CHECK(cap != NULL && sap != NULL && exp != NULL);
    check_fx(&fx, "key_schedule", "client_application_traffic_secret_0", cap, 32);
    check_fx(&fx, "key_schedule", "server_application_traffic_secret_0", sap, 32);
    check_fx(&fx, "key_schedule", "exporter_master_secret", exp, 32);
    check_traffic(&fx, "client_application", cap);
    check_traffic(&fx, "server_application", sap);
    /* The handshake traffic secrets outlive the master step: the client Finished needs its
     * own, and the server may still be reading the client's flight. */
    CHECK(mt_ks13_secret(&ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC) == chs);

    /* Client Finished over ClientHello..server Finished [.. client CertificateVerify]. */
    add_msgs(&t, &fx, sc->to_client_cv);
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_finished_key(MT_HASH_SHA256, chs, fk), 0);
    check_fx(&fx, "key_schedule", "client_finished_key", fk, 32);
    CHECK_EQ(mt_ks13_finished(MT_HASH_SHA256, chs, th, verify), 0);
    check_fx(&fx, "key_schedule", "client_finished_verify_data", verify, 32);
    check_finished_msg(&fx, "client_finished", verify);

    /* resumption_master_secret over ClientHello..client Finished; the master secret goes. */
    add_msg(&t, &fx, "client_finished");
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_ticket_psk(&ks, (const uint8_t *)"", 0, fk), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_ks13_resumption(&ks, th), 0);
    check_fx(&fx, "key_schedule", "resumption_master_secret",
             mt_ks13_secret(&ks, MT_KS13_RESUMPTION_MASTER), 32);
    CHECK_EQ(ks.stage, MT_KS13_DONE);
    uint8_t zeros[MT_HASH_MAX_LEN] = {0};
    CHECK_MEM(ks.stage_secret, zeros, sizeof zeros);
    CHECK_EQ(mt_ks13_resumption(&ks, th), MT_ERR_BAD_STATE);

    /* Everything loggable was reported, in derivation order, with the right bytes. */
    CHECK_EQ(log.n, 5);
    CHECK_EQ(seen(&log, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"), 0);
    CHECK_EQ(seen(&log, "SERVER_HANDSHAKE_TRAFFIC_SECRET"), 1);
    CHECK_EQ(seen(&log, "CLIENT_TRAFFIC_SECRET_0"), 2);
    CHECK_EQ(seen(&log, "SERVER_TRAFFIC_SECRET_0"), 3);
    CHECK_EQ(seen(&log, "EXPORTER_SECRET"), 4);
    check_logged(&log, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", chs);
    check_logged(&log, "SERVER_TRAFFIC_SECRET_0", sap);
    check_logged(&log, "EXPORTER_SECRET", exp);

    /* Forgetting wipes one secret. */
    mt_ks13_forget(&ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC);
    CHECK(mt_ks13_secret(&ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC) == NULL);
    CHECK_MEM(ks.secrets[MT_KS13_CLIENT_HANDSHAKE_TRAFFIC], zeros, sizeof zeros);

    mt_ks13_free(&ks);
    CHECK(mt_ks13_secret(&ks, MT_KS13_SERVER_APPLICATION_TRAFFIC) == NULL);
    mt_transcript_free(&t);
    fx_free(&fx);
}

static void test_rfc8448_1rtt(void)
{
    scenario sc = {"spec/fixtures/rfc8448-1rtt.txt", ch_sh, 0, ee_cert_cv, none};
    run_scenario(&sc);
}

static void test_rfc8448_hrr(void)
{
    scenario sc = {"spec/fixtures/rfc8448-hrr.txt", hrr_to_sh, 1, ee_cert_cv, none};
    run_scenario(&sc);
}

static void test_rfc8448_client_auth(void)
{
    scenario sc = {"spec/fixtures/rfc8448-client-auth.txt", ch_sh, 0, ee_cr_cert_cv,
                   client_cert_cv};
    run_scenario(&sc);
}

static void test_rfc8448_compat(void)
{
    scenario sc = {"spec/fixtures/rfc8448-compat.txt", ch_sh, 0, ee_cert_cv, none};
    run_scenario(&sc);
}

/* RFC 8448 3 -> 4: the ticket PSK from resumption_master_secret and ticket_nonce. */
static void test_ticket_psk(void)
{
    fx_file fx3, fx4;
    size_t rn, nn;
    uint8_t psk[32];

    fx_load(&fx3, "spec/fixtures/rfc8448-1rtt.txt");
    fx_load(&fx4, "spec/fixtures/rfc8448-resumption.txt");
    uint8_t *rms = fx_hex(&fx3, "key_schedule", "resumption_master_secret", &rn);
    uint8_t *nonce = fx_hex(&fx3, "key_schedule", "ticket_nonce", &nn);
    CHECK_EQ(mt_ks13_resumption_psk(MT_HASH_SHA256, rms, nonce, nn, psk), 0);
    check_fx(&fx3, "key_schedule", "resumption_psk", psk, 32);
    check_fx(&fx4, "key_schedule", "psk", psk, 32);
    /* A different nonce gives a different PSK (tickets stay distinct). */
    uint8_t other[32], n2[2] = {0x00, 0x01};
    CHECK_EQ(mt_ks13_resumption_psk(MT_HASH_SHA256, rms, n2, 2, other), 0);
    CHECK(memcmp(psk, other, 32) != 0);
    free(rms);
    free(nonce);
    fx_free(&fx3);
    fx_free(&fx4);
}

/* RFC 8448 4: the resumed 0-RTT handshake, from the PSK to resumption_master_secret. */
static void test_rfc8448_resumption(void)
{
    fx_file fx;
    mt_transcript t;
    mt_ks13 ks;
    seen_log log = {0};
    size_t n, cn, cut;
    uint8_t th[32], key[32], verify[32];

    fx_load(&fx, "spec/fixtures/rfc8448-resumption.txt");
    CHECK_EQ(mt_ks13_init(&ks, MT_HASH_SHA256, on_secret, &log), 0);
    uint8_t *psk = fx_hex(&fx, "key_schedule", "psk", &n);

    /* A server trying a wrong PSK first, then the right one: the retry starts clean. */
    uint8_t wrong[32] = {1};
    CHECK_EQ(mt_ks13_early(&ks, wrong, 32), 0);
    CHECK_EQ(mt_ks13_early(&ks, psk, n), 0);
    check_fx(&fx, "key_schedule", "early_secret", ks.stage_secret, 32);
    free(psk);

    /* Binder key: "res binder" for a resumption PSK; "ext binder" differs. */
    CHECK_EQ(mt_ks13_binder_key(&ks, 0, key), 0);
    check_fx(&fx, "key_schedule", "binder_key", key, 32);
    CHECK_EQ(mt_ks13_finished_key(MT_HASH_SHA256, key, verify), 0);
    check_fx(&fx, "key_schedule", "binder_finished_key", verify, 32);
    uint8_t ext[32];
    CHECK_EQ(mt_ks13_binder_key(&ks, 1, ext), 0);
    CHECK(memcmp(ext, key, 32) != 0);

    /* Binder over the truncated ClientHello, equal to the one in the message. */
    uint8_t *ch = fx_hex(&fx, "messages", "client_hello", &cn);
    CHECK_EQ(mt_transcript_binder_cut(ch, cn, &cut), 0);
    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_hash_with(&t, MT_HASH_SHA256, ch, cut, th), 0);
    CHECK_EQ(mt_ks13_binder(&ks, 0, th, verify), 0);
    check_fx(&fx, "key_schedule", "binder", verify, 32);
    CHECK_MEM(ch + cn - 32, verify, 32);
    CHECK_EQ(mt_ks13_binder(&ks, 1, th, ext), 0);
    CHECK(memcmp(ext, verify, 32) != 0);

    /* Early traffic over the whole ClientHello. */
    CHECK_EQ(mt_transcript_add(&t, ch, cn), 0);
    free(ch);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_early_traffic(&ks, th), 0);
    const uint8_t *cet = mt_ks13_secret(&ks, MT_KS13_CLIENT_EARLY_TRAFFIC);
    const uint8_t *eem = mt_ks13_secret(&ks, MT_KS13_EARLY_EXPORTER);
    CHECK(cet != NULL && eem != NULL);
    check_fx(&fx, "key_schedule", "client_early_traffic_secret", cet, 32);
    check_fx(&fx, "key_schedule", "early_exporter_master_secret", eem, 32);
    check_traffic(&fx, "client_early", cet);

    /* Handshake secret with psk_dhe_ke. */
    add_msg(&t, &fx, "server_hello");
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    uint8_t *ecdhe = fx_hex(&fx, "key_schedule", "ecdhe_shared_secret", &n);
    CHECK_EQ(mt_ks13_handshake(&ks, ecdhe, n, th), 0);
    free(ecdhe);
    check_fx(&fx, "key_schedule", "handshake_secret", ks.stage_secret, 32);
    const uint8_t *chs = mt_ks13_secret(&ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC);
    const uint8_t *shs = mt_ks13_secret(&ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC);
    check_traffic(&fx, "client_handshake", chs);
    check_traffic(&fx, "server_handshake", shs);
    /* The early traffic secret stays for reading 0-RTT data after ServerHello. */
    CHECK(mt_ks13_secret(&ks, MT_KS13_CLIENT_EARLY_TRAFFIC) == cet);
    CHECK_EQ(mt_ks13_early(&ks, NULL, 0), MT_ERR_BAD_STATE);

    /* Server Finished over ClientHello, ServerHello, EncryptedExtensions. */
    add_msg(&t, &fx, "encrypted_extensions");
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_finished(MT_HASH_SHA256, shs, th, verify), 0);
    check_fx(&fx, "key_schedule", "server_finished_verify_data", verify, 32);
    check_finished_msg(&fx, "server_finished", verify);

    add_msg(&t, &fx, "server_finished");
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_master(&ks, th), 0);
    check_fx(&fx, "key_schedule", "master_secret", ks.stage_secret, 32);
    check_traffic(&fx, "client_application",
                  mt_ks13_secret(&ks, MT_KS13_CLIENT_APPLICATION_TRAFFIC));
    check_traffic(&fx, "server_application",
                  mt_ks13_secret(&ks, MT_KS13_SERVER_APPLICATION_TRAFFIC));
    check_fx(&fx, "key_schedule", "exporter_master_secret",
             mt_ks13_secret(&ks, MT_KS13_EXPORTER_MASTER), 32);

    /* Client Finished covers EndOfEarlyData (RFC 8446 4.4.1). */
    add_msg(&t, &fx, "end_of_early_data");
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_finished(MT_HASH_SHA256, chs, th, verify), 0);
    check_fx(&fx, "key_schedule", "client_finished_verify_data", verify, 32);
    check_finished_msg(&fx, "client_finished", verify);
    add_msg(&t, &fx, "client_finished");
    CHECK_EQ(mt_transcript_hash(&t, th), 0);
    CHECK_EQ(mt_ks13_resumption(&ks, th), 0);
    check_fx(&fx, "key_schedule", "resumption_master_secret",
             mt_ks13_secret(&ks, MT_KS13_RESUMPTION_MASTER), 32);

    /* Seven labels, the early ones first. */
    CHECK_EQ(log.n, 7);
    CHECK_EQ(seen(&log, "CLIENT_EARLY_TRAFFIC_SECRET"), 0);
    CHECK_EQ(seen(&log, "EARLY_EXPORTER_SECRET"), 1);
    check_logged(&log, "CLIENT_EARLY_TRAFFIC_SECRET", cet);
    check_logged(&log, "EARLY_EXPORTER_SECRET", eem);

    mt_ks13_free(&ks);
    mt_transcript_free(&t);
    fx_free(&fx);
}

/* psk_ke: no (EC)DHE, the handshake secret extracts a zero string (RFC 8446 7.1). */
static void test_psk_only_zero_ikm(void)
{
    mt_ks13 ks;
    uint8_t psk[32], th[32], early[32], empty[32], salt[32], zeros[32] = {0}, want[32];

    memset(psk, 0x5a, sizeof psk);
    memset(th, 0xa5, sizeof th);
    CHECK_EQ(mt_ks13_init(&ks, MT_HASH_SHA256, NULL, NULL), 0);
    CHECK_EQ(mt_ks13_early(&ks, psk, 32), 0);
    memcpy(early, ks.stage_secret, 32);
    CHECK_EQ(mt_ks13_handshake(&ks, NULL, 0, th), 0);
    /* Independently: Extract(Derive-Secret(early, "derived", ""), 0^32). */
    CHECK_EQ(mt_hash(MT_HASH_SHA256, "", 0, empty), 0);
    CHECK_EQ(mt_derive_secret(MT_HASH_SHA256, early, "derived", empty, salt), 0);
    CHECK_EQ(mt_hkdf_extract(MT_HASH_SHA256, salt, 32, zeros, 32, want), 0);
    CHECK_MEM(ks.stage_secret, want, 32);
    /* The early secret is gone from the schedule. */
    CHECK(memcmp(ks.stage_secret, early, 32) != 0);
    mt_ks13_free(&ks);

    /* Without mt_ks13_early, handshake starts from the no-PSK early secret. */
    mt_ks13 a, b;
    CHECK_EQ(mt_ks13_init(&a, MT_HASH_SHA256, NULL, NULL), 0);
    CHECK_EQ(mt_ks13_init(&b, MT_HASH_SHA256, NULL, NULL), 0);
    CHECK_EQ(mt_ks13_early(&b, NULL, 0), 0);
    CHECK_EQ(mt_ks13_handshake(&a, psk, 32, th), 0);
    CHECK_EQ(mt_ks13_handshake(&b, psk, 32, th), 0);
    CHECK_MEM(a.stage_secret, b.stage_secret, 32);
    mt_ks13_free(&a);
    mt_ks13_free(&b);
    CHECK_EQ(mt_ks13_init(&a, MT_HASH_NONE, NULL, NULL), MT_ERR_BAD_PARAM);
}

/* RFC 8446 7.2 KeyUpdate: "traffic upd", checked against HKDF-Expand with the HkdfLabel
 * written out by hand. */
static void test_key_update(void)
{
    fx_file fx;
    mt_ks13 ks;
    size_t n;
    uint8_t th[32], next[32], want[32], sap0[32];
    static const uint8_t info[] = {0x00, 0x20, 17,  't', 'l', 's', '1', '3', ' ', 't', 'r',
                                   'a',  'f',  'f', 'i', 'c', ' ', 'u', 'p', 'd', 0x00};

    fx_load(&fx, "spec/fixtures/rfc8448-1rtt.txt");
    uint8_t *cap0 = fx_hex(&fx, "key_schedule", "client_application_traffic_secret_0", &n);
    CHECK_EQ(mt_hkdf_expand(MT_HASH_SHA256, cap0, 32, info, sizeof info, want, 32), 0);
    CHECK_EQ(mt_ks13_next_secret(MT_HASH_SHA256, cap0, next), 0);
    CHECK_MEM(next, want, 32);

    /* The schedule's copy advances in place, one direction at a time. */
    CHECK_EQ(mt_ks13_init(&ks, MT_HASH_SHA256, NULL, NULL), 0);
    CHECK_EQ(mt_ks13_key_update(&ks, 0), MT_ERR_BAD_STATE);
    uint8_t *ecdhe = fx_hex(&fx, "key_schedule", "ecdhe_shared_secret", &n);
    memset(th, 0, sizeof th);
    CHECK_EQ(mt_ks13_handshake(&ks, ecdhe, n, th), 0);
    CHECK_EQ(mt_ks13_master(&ks, th), 0);
    memcpy(sap0, mt_ks13_secret(&ks, MT_KS13_SERVER_APPLICATION_TRAFFIC), 32);
    uint8_t cur[32];
    memcpy(cur, mt_ks13_secret(&ks, MT_KS13_CLIENT_APPLICATION_TRAFFIC), 32);
    CHECK_EQ(mt_ks13_key_update(&ks, 0), 0);
    CHECK_EQ(mt_ks13_next_secret(MT_HASH_SHA256, cur, cur), 0); /* in place */
    CHECK_MEM(mt_ks13_secret(&ks, MT_KS13_CLIENT_APPLICATION_TRAFFIC), cur, 32);
    CHECK_MEM(mt_ks13_secret(&ks, MT_KS13_SERVER_APPLICATION_TRAFFIC), sap0, 32);
    CHECK_EQ(mt_ks13_key_update(&ks, 1), 0);
    CHECK(memcmp(mt_ks13_secret(&ks, MT_KS13_SERVER_APPLICATION_TRAFFIC), sap0, 32) != 0);
    mt_ks13_free(&ks);
    free(ecdhe);
    free(cap0);
    fx_free(&fx);
}

/* TLS 1.3 sessions captured from OpenSSL: SHA-256 and SHA-384 transcripts, Finished from
 * the logged handshake traffic secrets, exporter from EXPORTER_SECRET. */
static void test_openssl_sessions(void)
{
    vec_file v;
    int sessions = 0;

    if (!vec_open(&v, "spec/fixtures/keysched13-openssl.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        size_t n, sn, cn, ln, en;
        uint8_t th[MT_HASH_MAX_LEN], verify[MT_HASH_MAX_LEN], out[256];
        uint8_t *hid = vec_hex(&v, "hash", &n);
        mt_hash_id h = (mt_hash_id)hid[0];
        size_t hl = mt_hash_len(h);
        uint8_t *shs = vec_hex(&v, "server_handshake_traffic_secret", &sn);
        uint8_t *chs = vec_hex(&v, "client_handshake_traffic_secret", &cn);
        uint8_t *label = vec_hex(&v, "export_label", &ln);
        uint8_t *want = vec_hex(&v, "export", &en);
        uint8_t *exp = vec_hex(&v, "exporter_secret", &n);
        mt_transcript t;
        int finished = 0;

        CHECK(hl == 32 || hl == 48);
        CHECK_EQ(sn, hl);
        mt_transcript_init(&t);
        for (int i = 0; i < 32; i++) {
            char key[8];
            snprintf(key, sizeof key, "m%02d", i);
            if (!vec_get(&v, key)) break;
            uint8_t *m = vec_hex(&v, key, &n);
            if (i == 1) CHECK_EQ(mt_transcript_set_hash(&t, h), 0);
            if (m[0] == 20) {
                /* The server's Finished comes first in TLS 1.3. */
                CHECK_EQ(mt_transcript_hash(&t, th), 0);
                CHECK_EQ(mt_ks13_finished(h, finished == 0 ? shs : chs, th, verify), 0);
                CHECK_EQ(n, 4 + hl);
                CHECK_MEM(m + 4, verify, hl);
                finished++;
            }
            CHECK_EQ(mt_transcript_add(&t, m, n), 0);
            free(m);
        }
        CHECK_EQ(finished, 2);
        /* OpenSSL's -keymatexport passes no context, the same as an empty one in 1.3. */
        CHECK_EQ(mt_ks13_exporter(h, exp, label, ln, NULL, 0, out, en), 0);
        CHECK_MEM(out, want, en);
        CHECK_EQ(mt_ks13_exporter(h, exp, label, ln, (const uint8_t *)"x", 1, out, en), 0);
        CHECK(memcmp(out, want, en) != 0);
        /* Limits: HkdfLabel.label is at most 255 bytes with "tls13 ". */
        uint8_t big[250] = {0};
        CHECK_EQ(mt_ks13_exporter(h, exp, big, 250, NULL, 0, out, 16), MT_ERR_BAD_PARAM);
        CHECK_EQ(mt_ks13_exporter(h, exp, big, 249, NULL, 0, out, 16), 0);
        mt_transcript_free(&t);
        free(hid);
        free(shs);
        free(chs);
        free(label);
        free(want);
        free(exp);
        sessions++;
    }
    vec_close(&v);
    CHECK_EQ(sessions, 2);
}

/* The schedule's exporter uses its exporter secrets; early needs the early one. */
static void test_export_from_schedule(void)
{
    fx_file fx;
    mt_ks13 ks;
    size_t n;
    uint8_t th[32] = {0}, a[40], b[40];
    const uint8_t label[] = "EXPERIMENTAL-x";

    fx_load(&fx, "spec/fixtures/rfc8448-1rtt.txt");
    uint8_t *ecdhe = fx_hex(&fx, "key_schedule", "ecdhe_shared_secret", &n);
    CHECK_EQ(mt_ks13_init(&ks, MT_HASH_SHA256, NULL, NULL), 0);
    CHECK_EQ(mt_ks13_export(&ks, 0, label, 14, NULL, 0, a, 40), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_ks13_handshake(&ks, ecdhe, n, th), 0);
    CHECK_EQ(mt_ks13_master(&ks, th), 0);
    CHECK_EQ(mt_ks13_export(&ks, 0, label, 14, NULL, 0, a, 40), 0);
    CHECK_EQ(mt_ks13_exporter(MT_HASH_SHA256, mt_ks13_secret(&ks, MT_KS13_EXPORTER_MASTER), label,
                              14, (const uint8_t *)"", 0, b, 40),
             0);
    CHECK_MEM(a, b, 40);
    CHECK_EQ(mt_ks13_export(&ks, 1, label, 14, NULL, 0, a, 40), MT_ERR_BAD_STATE);
    mt_ks13_free(&ks);
    free(ecdhe);
    fx_free(&fx);
}

int main(void)
{
    RUN(test_rfc8448_1rtt);
    RUN(test_rfc8448_hrr);
    RUN(test_rfc8448_client_auth);
    RUN(test_rfc8448_compat);
    RUN(test_ticket_psk);
    RUN(test_rfc8448_resumption);
    RUN(test_psk_only_zero_ikm);
    RUN(test_key_update);
    RUN(test_openssl_sessions);
    RUN(test_export_from_schedule);
    return test_summary();
}
