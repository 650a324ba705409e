/*
 * test_prf12.c - lib/handshake/prf12.c against TLS 1.0 and 1.2 sessions captured from
 * OpenSSL on 127.0.0.1 (spec/fixtures/prf12-openssl.txt, made by prf12-capture.py).
 *
 * Per session: the master secret from the logged pre-master secret (RSA key exchange;
 * standard and RFC 7627 extended), the key block against `openssl kdf TLS1-PRF`, both
 * Finished messages as OpenSSL sent them, and the RFC 5705 exporter output of
 * s_client -keymatexport. The transcript (lib/handshake/transcript.c) supplies the
 * handshake and session hashes.
 */
#include "test.h"

#include "handshake/prf12.h"
#include "handshake/transcript.h"
#include "moontls.h"

static const uint8_t hs_client_key_exchange = 16, hs_finished = 20;

/* Byte value of a one-byte hex field. */
static size_t vec_byte(const vec_file *v, const char *key)
{
    size_t n;
    uint8_t *b = vec_hex(v, key, &n);
    size_t x = n ? b[0] : 0;
    free(b);
    return x;
}

/* The key block parts in RFC 5246 6.3 order, concatenated. */
static void join_keys(const mt_prf12_keys *k, uint8_t *out)
{
    size_t o = 0;
    memcpy(out + o, k->client_mac, k->mac_len), o += k->mac_len;
    memcpy(out + o, k->server_mac, k->mac_len), o += k->mac_len;
    memcpy(out + o, k->client_key, k->key_len), o += k->key_len;
    memcpy(out + o, k->server_key, k->key_len), o += k->key_len;
    memcpy(out + o, k->client_iv, k->iv_len), o += k->iv_len;
    memcpy(out + o, k->server_iv, k->iv_len);
}

static int sessions, with_pms, ems_checked, plain_checked;

static void check_session(const vec_file *v)
{
    size_t n, mn, kn, ln, en, pn = 0;
    mt_prf_id prf = (mt_prf_id)vec_byte(v, "prf");
    int ems = (int)vec_byte(v, "ems");
    size_t mac_len = vec_byte(v, "mac_len"), key_len = vec_byte(v, "key_len"),
           iv_len = vec_byte(v, "iv_len");
    uint8_t *cr = vec_hex(v, "client_random", &n);
    uint8_t *sr = vec_hex(v, "server_random", &n);
    uint8_t *master = vec_hex(v, "master_secret", &mn);
    uint8_t *kb_want = vec_hex(v, "key_block", &kn);
    uint8_t *label = vec_hex(v, "export_label", &ln);
    uint8_t *exp_want = vec_hex(v, "export", &en);
    uint8_t *pms = vec_get(v, "pre_master_secret") ? vec_hex(v, "pre_master_secret", &pn) : NULL;
    uint8_t hh[MT_TRANSCRIPT_MAX_LEN], ms[MT_PRF12_MASTER_LEN], verify[MT_PRF12_VERIFY_LEN];
    uint8_t kb[2 * (MT_PRF12_MAX_MAC_KEY + MT_PRF12_MAX_ENC_KEY + MT_PRF12_MAX_IV)];
    mt_transcript t;
    mt_prf12_keys keys;
    int finished = 0, cke_seen = 0;

    CHECK_EQ(mn, MT_PRF12_MASTER_LEN);

    /* Key block: the split agrees with OpenSSL's TLS1-PRF output. */
    CHECK_EQ(kn, 2 * (mac_len + key_len + iv_len));
    CHECK_EQ(mt_prf12_key_block(prf, master, cr, sr, mac_len, key_len, iv_len, &keys), 0);
    CHECK_EQ(keys.mac_len, mac_len);
    join_keys(&keys, kb);
    CHECK_MEM(kb, kb_want, kn);
    mt_prf12_keys_wipe(&keys);

    /* Walk the handshake: session hash after ClientKeyExchange, Finished checks. */
    mt_transcript_init(&t);
    for (int i = 0; i < 32; i++) {
        char key[8];
        snprintf(key, sizeof key, "m%02d", i);
        if (!vec_get(v, key)) break;
        uint8_t *m = vec_hex(v, key, &n);
        /* The PRF (and so the hash) is known once ServerHello arrives. */
        if (i == 1) {
            if (prf == MT_PRF_TLS10)
                CHECK_EQ(mt_transcript_set_md5sha1(&t), 0);
            else
                CHECK_EQ(mt_transcript_set_hash(&t, mt_prf12_hash(prf)), 0);
            CHECK_EQ(mt_transcript_len(&t), mt_prf12_handshake_hash_len(prf));
        }
        if (m[0] == hs_finished) {
            /* In a full handshake the client's Finished comes first. */
            CHECK_EQ(mt_transcript_hash(&t, hh), 0);
            CHECK_EQ(
                mt_prf12_finished(prf, master, finished == 1, hh, mt_transcript_len(&t), verify),
                0);
            CHECK_EQ(n, 4 + MT_PRF12_VERIFY_LEN);
            CHECK_MEM(m + 4, verify, MT_PRF12_VERIFY_LEN);
            /* The other label gives other bytes. */
            uint8_t other[MT_PRF12_VERIFY_LEN];
            CHECK_EQ(
                mt_prf12_finished(prf, master, finished == 0, hh, mt_transcript_len(&t), other), 0);
            CHECK(memcmp(other, verify, sizeof other) != 0);
            finished++;
        }
        CHECK_EQ(mt_transcript_add(&t, m, n), 0);
        if (m[0] == hs_client_key_exchange && pms) {
            /* RFC 7627 3: session_hash covers ClientHello up to and including
             * ClientKeyExchange. */
            cke_seen = 1;
            CHECK_EQ(mt_transcript_hash(&t, hh), 0);
            if (ems) {
                CHECK_EQ(
                    mt_prf12_extended_master_secret(prf, pms, pn, hh, mt_transcript_len(&t), ms),
                    0);
                CHECK_MEM(ms, master, MT_PRF12_MASTER_LEN);
                ems_checked++;
            }
        }
        free(m);
    }
    CHECK_EQ(finished, 2);
    if (pms) {
        CHECK(cke_seen);
        CHECK_EQ(pn, 48);
        CHECK_EQ(mt_prf12_master_secret(prf, pms, pn, cr, sr, ms), 0);
        if (!ems) {
            CHECK_MEM(ms, master, MT_PRF12_MASTER_LEN);
            plain_checked++;
        } else {
            /* With EMS negotiated the standard derivation must not match. */
            CHECK(memcmp(ms, master, MT_PRF12_MASTER_LEN) != 0);
        }
        with_pms++;
    }

    /* RFC 5705 exporter, no context (what s_client -keymatexport asks for). */
    char *lab = calloc(1, ln + 1);
    memcpy(lab, label, ln);
    uint8_t *out = malloc(en);
    CHECK_EQ(mt_prf12_export(prf, master, cr, sr, lab, NULL, 0, 0, out, en), 0);
    CHECK_MEM(out, exp_want, en);
    /* An empty context is not the same as no context in TLS 1.2 (RFC 5705 4). */
    CHECK_EQ(mt_prf12_export(prf, master, cr, sr, lab, (const uint8_t *)"", 0, 1, out, en), 0);
    CHECK(memcmp(out, exp_want, en) != 0);
    free(out);
    free(lab);

    mt_transcript_free(&t);
    free(cr);
    free(sr);
    free(master);
    free(kb_want);
    free(label);
    free(exp_want);
    free(pms);
    sessions++;
}

static void test_openssl_sessions(void)
{
    vec_file v;

    if (!vec_open(&v, "spec/fixtures/prf12-openssl.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v))
        check_session(&v);
    vec_close(&v);
    /* Every capture is there: 1.2 SHA-256 (GCM, CBC, ECDHE), SHA-384, 1.0, with and
     * without EMS. */
    CHECK_EQ(sessions, 7);
    CHECK_EQ(with_pms, 6);
    CHECK_EQ(ems_checked, 4);
    CHECK_EQ(plain_checked, 2);
}

/* Argument checks and the PRF table. */
static void test_params(void)
{
    uint8_t master[48] = {1}, cr[32] = {2}, sr[32] = {3}, hh[48] = {4}, out[48];
    mt_prf12_keys keys;

    CHECK_EQ(mt_prf12_hash(MT_PRF_SHA256), MT_HASH_SHA256);
    CHECK_EQ(mt_prf12_hash(MT_PRF_SHA384), MT_HASH_SHA384);
    CHECK_EQ(mt_prf12_hash(MT_PRF_TLS10), MT_HASH_NONE);
    CHECK_EQ(mt_prf12_handshake_hash_len(MT_PRF_TLS10), 36);
    CHECK_EQ(mt_prf12_handshake_hash_len(MT_PRF_SHA384), 48);
    CHECK_EQ(mt_prf12_handshake_hash_len(MT_PRF_NONE), 0);
    CHECK_EQ(mt_prf12(MT_PRF_NONE, master, 48, "x", cr, 32, out, 12), MT_ERR_BAD_PARAM);
    /* Finished needs a handshake hash of the PRF's length. */
    CHECK_EQ(mt_prf12_finished(MT_PRF_SHA256, master, 0, hh, 48, out), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_prf12_finished(MT_PRF_SHA384, master, 0, hh, 48, out), 0);
    CHECK_EQ(mt_prf12_finished(MT_PRF_TLS10, master, 0, hh, 32, out), MT_ERR_BAD_PARAM);
    /* Key block parts beyond the largest suite are refused. */
    CHECK_EQ(mt_prf12_key_block(MT_PRF_SHA256, master, cr, sr, 49, 16, 4, &keys), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_prf12_key_block(MT_PRF_SHA256, master, cr, sr, 0, 33, 4, &keys), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_prf12_key_block(MT_PRF_SHA256, master, cr, sr, 48, 32, 16, &keys), 0);
    mt_prf12_keys_wipe(&keys);
    /* The session hash must be present. */
    CHECK_EQ(mt_prf12_extended_master_secret(MT_PRF_SHA256, master, 48, NULL, 0, out),
             MT_ERR_BAD_PARAM);
}

int main(void)
{
    RUN(test_openssl_sessions);
    RUN(test_params);
    return test_summary();
}
