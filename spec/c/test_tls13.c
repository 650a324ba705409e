/*
 * In-memory TLS 1.3 client x server through the public API (lib/moontls.h): the matrix of
 * suites x groups x certificates, HelloRetryRequest both ways, application data, KeyUpdate,
 * close_notify, and the alerts for certificate and record faults.
 */
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

static mt_config *server_cfg(const char *stem)
{
    mt_config *cfg = mt_config_new(MT_ROLE_SERVER);
    char chain[128], key[128];
    snprintf(chain, sizeof chain, PKI "%s.chain.pem", stem);
    FILE *probe = fopen(chain, "rb");
    if (probe)
        fclose(probe);
    else
        snprintf(chain, sizeof chain, PKI "%s.pem", stem); /* a leaf without a chain */
    snprintf(key, sizeof key, PKI "%s.key", stem);
    size_t cn, kn;
    uint8_t *c = slurp(chain, &cn), *k = slurp(key, &kn);
    int rc = mt_config_add_credential(cfg, c, cn, k, kn);
    if (rc) fprintf(stderr, "add_credential(%s): 0x%x\n", stem, rc);
    free(c);
    free(k);
    mt_config_set_clock(cfg, fixed_clock, NULL);
    return cfg;
}

static mt_config *client_cfg(void) { return fixture_client(); }

/* Outer type and version of the last record `a` sent. */
static unsigned last_type, last_version;

static void note_alerts(const uint8_t *p, size_t n)
{
    for (size_t off = 0; off + 5 <= n; off += 5 + (size_t)(p[off + 3] << 8 | p[off + 4])) {
        last_type = p[off];
        last_version = (unsigned)(p[off + 1] << 8 | p[off + 2]);
    }
}

/* Move bytes both ways until neither side makes progress. Returns rounds used. */
static int pump(mt_conn *a, mt_conn *b)
{
    int rounds = 0;
    for (; rounds < 64; rounds++) {
        mt_conn_run(a);
        mt_conn_run(b);
        const uint8_t *p;
        size_t na = mt_conn_output(a, &p);
        note_alerts(p, na);
        if (na) {
            mt_conn_feed(b, p, na);
            mt_conn_output_consume(a, na);
        }
        size_t nb = mt_conn_output(b, &p);
        if (nb) {
            mt_conn_feed(a, p, nb);
            mt_conn_output_consume(b, nb);
        }
        if (na == 0 && nb == 0) break;
    }
    return rounds;
}

static int handshake(mt_config *ccfg, mt_config *scfg, mt_conn **cc, mt_conn **sc)
{
    *cc = mt_conn_new(ccfg);
    *sc = mt_conn_new(scfg);
    pump(*cc, *sc);
    return (mt_conn_want(*cc) & MT_WANT_DONE) && (mt_conn_want(*sc) & MT_WANT_DONE);
}

static void check_echo(mt_conn *cc, mt_conn *sc)
{
    CHECK_EQ(mt_conn_write(cc, (const uint8_t *)"ping", 4), 0);
    pump(cc, sc);
    uint8_t buf[64];
    size_t n = 0;
    CHECK_EQ(mt_conn_read(sc, buf, sizeof buf, &n), 0);
    CHECK_EQ(n, 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_EQ(mt_conn_write(sc, (const uint8_t *)"pong!", 5), 0);
    pump(cc, sc);
    CHECK_EQ(mt_conn_read(cc, buf, sizeof buf, &n), 0);
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "pong!", 5) == 0);
}

static void test_matrix(void)
{
    static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
    static const uint16_t groups[] = {0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100};
    static const char *const certs[] = {"leaf-p256", "leaf-rsa", "leaf-p384", "leaf-p521"};
    int ok = 0, total = 0;
    for (size_t ci = 0; ci < 4; ci++) {
        mt_config *scfg = server_cfg(certs[ci]);
        for (size_t si = 0; si < 3; si++)
            for (size_t gi = 0; gi < 6; gi++) {
                /* Every group with every certificate for the first suite; every suite with
                 * x25519 for the others: the full product adds nothing but time. */
                if (si > 0 && gi > 0) continue;
                mt_config *ccfg = client_cfg();
                CHECK_EQ(mt_config_set_suites(ccfg, &suites[si], 1), 0);
                CHECK_EQ(mt_config_set_groups(ccfg, &groups[gi], 1), 0);
                mt_conn *cc, *sc;
                total++;
                if (handshake(ccfg, scfg, &cc, &sc)) {
                    mt_info ci_, si_;
                    mt_conn_info(cc, &ci_);
                    mt_conn_info(sc, &si_);
                    CHECK_EQ(ci_.suite, suites[si]);
                    CHECK_EQ(si_.suite, suites[si]);
                    CHECK_EQ(ci_.group, groups[gi]);
                    CHECK_EQ(ci_.version, MT_VERSION_TLS13);
                    CHECK_EQ(ci_.sigalg, si_.sigalg);
                    CHECK_EQ(ci_.hrr, 0);
                    check_echo(cc, sc);
                    ok++;
                } else {
                    const char *w1, *w2;
                    int e1 = mt_conn_error(cc, &w1), e2 = mt_conn_error(sc, &w2);
                    fprintf(stderr,
                            "  %s suite %04x group %04x: client 0x%x (%s), server 0x%x (%s)\n",
                            certs[ci], suites[si], groups[gi], e1, w1, e2, w2);
                }
                mt_conn_free(cc);
                mt_conn_free(sc);
                mt_config_unref(ccfg);
            }
        mt_config_unref(scfg);
    }
    CHECK_EQ(ok, total);
}

static void test_hrr(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = client_cfg();
    /* Offer x25519 and secp384r1 with no share: the server must ask for one. */
    uint16_t groups[] = {0x0018, 0x001d};
    mt_config_set_groups(ccfg, groups, 2);
    mt_config_set_key_shares(ccfg, groups, 0);
    mt_conn *cc, *sc;
    CHECK(handshake(ccfg, scfg, &cc, &sc));
    mt_info i;
    mt_conn_info(cc, &i);
    CHECK_EQ(i.hrr, 1);
    CHECK_EQ(i.group, 0x001d); /* the server's preference among the client's groups */
    mt_conn_info(sc, &i);
    CHECK_EQ(i.hrr, 1);
    check_echo(cc, sc);
    mt_conn_free(cc);
    mt_conn_free(sc);

    /* The same with a cookie, and without compatibility mode. */
    mt_config_set_hrr_cookie(scfg, 1);
    mt_config_set_compat(ccfg, 0);
    CHECK(handshake(ccfg, scfg, &cc, &sc));
    mt_conn_info(cc, &i);
    CHECK_EQ(i.hrr, 1);
    check_echo(cc, sc);
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_key_update_and_close(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = client_cfg();
    mt_conn *cc, *sc;
    CHECK(handshake(ccfg, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_key_update(cc, 1), 0);
    pump(cc, sc);
    check_echo(cc, sc);
    CHECK_EQ(mt_conn_key_update(sc, 0), 0);
    pump(cc, sc);
    check_echo(cc, sc);
    CHECK_EQ(mt_conn_close(cc), 0);
    pump(cc, sc);
    CHECK(mt_conn_want(sc) & MT_WANT_CLOSED);
    CHECK_EQ(mt_conn_error(sc, NULL), 0);
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void expect_failure(const char *server_stem, const char *name, int client_err)
{
    mt_config *scfg = server_cfg(server_stem);
    mt_config *ccfg = client_cfg();
    if (name) mt_config_set_server_name(ccfg, name);
    mt_conn *cc, *sc;
    CHECK(!handshake(ccfg, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_error(cc, NULL), client_err);
    /* The server hears the alert the client sent. */
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_RECV(MT_ERR_ALERT(client_err)));
    /* The client's alert about the server's encrypted flight is protected with its
     * handshake keys (the server reads with them since ServerHello; GnuTLS cannot take a
     * plaintext one), and like every record after the first hello carries 0x0303
     * (RFC 8446 5.1: OpenSSL and GnuTLS refuse 0x0301 there). */
    CHECK_EQ(last_type, 23);
    CHECK_EQ(last_version, 0x0303);
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_certificate_faults(void)
{
    expect_failure("leaf-wrong-name", NULL, MT_ERR_SENT(MT_ALERT_BAD_CERTIFICATE));
    expect_failure("leaf-p256", "other.example", MT_ERR_SENT(MT_ALERT_BAD_CERTIFICATE));
    expect_failure("leaf-expired", NULL, MT_ERR_SENT(MT_ALERT_CERTIFICATE_EXPIRED));
    expect_failure("self-signed", NULL, MT_ERR_SENT(MT_ALERT_UNKNOWN_CA));
}

static void test_no_trust_anchor_is_refused(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = mt_config_new(MT_ROLE_CLIENT); /* verify by default, no CA */
    mt_conn *cc, *sc;
    /* No name: the host check cannot be done, so the client refuses rather than accept
     * any trusted certificate for any host. */
    CHECK(!handshake(ccfg, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_SENT(MT_ALERT_CERTIFICATE_UNKNOWN));
    mt_conn_free(cc);
    mt_conn_free(sc);
    size_t n;
    uint8_t *ca = slurp(PKI "ca-bundle.pem", &n);
    mt_config *named = mt_config_new(MT_ROLE_CLIENT);
    mt_config_set_ca(named, ca, n);
    free(ca);
    mt_config_set_clock(named, fixed_clock, NULL);
    CHECK(!handshake(named, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_SENT(MT_ALERT_CERTIFICATE_UNKNOWN));
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_set_server_name(named, "localhost"); /* with the name: verified */
    CHECK(handshake(named, scfg, &cc, &sc));
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(named);
    /* A name but no trust anchor: unknown_ca. */
    mt_config_set_server_name(ccfg, "localhost");
    CHECK(!handshake(ccfg, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_SENT(MT_ALERT_UNKNOWN_CA));
    mt_conn_free(cc);
    mt_conn_free(sc);
    /* Asking by name for no verification works (the signature is still checked). */
    mt_config_set_verify(ccfg, MT_VERIFY_NONE);
    CHECK(handshake(ccfg, scfg, &cc, &sc));
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_tampered_record(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = client_cfg();
    mt_conn *cc, *sc;
    CHECK(handshake(ccfg, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_write(cc, (const uint8_t *)"hello", 5), 0);
    const uint8_t *p;
    size_t n = mt_conn_output(cc, &p);
    CHECK(n > 10);
    uint8_t *copy = malloc(n);
    memcpy(copy, p, n);
    copy[n - 1] ^= 1; /* flip a bit of the tag */
    mt_conn_output_consume(cc, n);
    mt_conn_feed(sc, copy, n);
    free(copy);
    mt_conn_run(sc);
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_BAD_MAC);
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_no_common_suite(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = client_cfg();
    uint16_t s1 = 0x1301, s2 = 0x1303;
    mt_config_set_suites(scfg, &s1, 1);
    mt_config_set_suites(ccfg, &s2, 1);
    mt_conn *cc, *sc;
    CHECK(!handshake(ccfg, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_RECV(MT_ALERT_HANDSHAKE_FAILURE));
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* RFC 8446 5.1: legacy_record_version 0x0301 only on an initial ClientHello; every
 * other record, the compatibility CCS included, carries 0x0303 (OpenSSL refuses others). */
static void test_record_versions(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = client_cfg();
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    int records = 0, bad = 0, ccs = 0;
    for (int round = 0; round < 16; round++) {
        mt_conn_run(cc);
        mt_conn_run(sc);
        const uint8_t *p;
        size_t n = mt_conn_output(cc, &p);
        for (size_t off = 0; off + 5 <= n; off += 5 + (size_t)(p[off + 3] << 8 | p[off + 4])) {
            unsigned version = (unsigned)(p[off + 1] << 8 | p[off + 2]);
            if (p[off] == 20) ccs++;
            if (records > 0 && version != 0x0303) bad++;
            records++;
        }
        if (n) mt_conn_feed(sc, p, n);
        mt_conn_output_consume(cc, n);
        size_t m = mt_conn_output(sc, &p);
        if (m) mt_conn_feed(cc, p, m);
        mt_conn_output_consume(sc, m);
        if (!n && !m) break;
    }
    CHECK(mt_conn_want(cc) & MT_WANT_DONE);
    CHECK_EQ(ccs, 1);
    CHECK(records >= 3);
    CHECK_EQ(bad, 0);
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* RFC 8446 4.2.3: an RSASSA-PSS key signs only with rsa_pss_pss_*; an rsaEncryption key
 * only with rsa_pss_rsae_*. */
static void test_rsa_pss_key(void)
{
    mt_config *scfg = server_cfg("leaf-rsapss");
    mt_config *ccfg = client_cfg();
    mt_conn *cc, *sc;
    CHECK(handshake(ccfg, scfg, &cc, &sc));
    mt_info i;
    mt_conn_info(cc, &i);
    CHECK_EQ(i.sigalg, 0x0809);
    mt_conn_free(cc);
    mt_conn_free(sc);
    /* A client offering only rsae schemes cannot be served by that key. */
    uint16_t rsae = 0x0804;
    mt_config_set_sigalgs(ccfg, &rsae, 1);
    CHECK(!handshake(ccfg, scfg, &cc, &sc));
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE));
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_key_share_hook_two_shares(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = client_cfg();
    uint16_t shares[] = {0x001d, 0x0017};
    mt_config_set_key_shares(ccfg, shares, 2);
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_KEY_SHARE));
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    int asked = 0;
    for (int round = 0; round < 32; round++) {
        for (int i = 0; i < 16; i++) { /* pass every key_share event */
            mt_conn_run(cc);
            const mt_event *ev = mt_conn_event(cc);
            if (!ev) break;
            if (ev->kind == MT_HOOK_KEY_SHARE) asked++;
            mt_conn_event_done(cc, 0);
        }
        mt_conn_run(sc);
        const uint8_t *p;
        size_t a = mt_conn_output(cc, &p);
        if (a) mt_conn_feed(sc, p, a);
        mt_conn_output_consume(cc, a);
        size_t b = mt_conn_output(sc, &p);
        if (b) mt_conn_feed(cc, p, b);
        mt_conn_output_consume(sc, b);
        if (!a && !b) break;
    }
    CHECK_EQ(asked, 2); /* once per share, not again on re-entry */
    CHECK(mt_conn_want(cc) & MT_WANT_DONE);
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* Feed the client the server's first flight with a plaintext alert record inserted
 * after record number `after` (0 = first). Returns the client's error. */
static int client_with_inserted_alert(int after, uint8_t desc)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config *ccfg = client_cfg();
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    const uint8_t *p;
    mt_conn_run(cc);
    size_t n = mt_conn_output(cc, &p);
    mt_conn_feed(sc, p, n);
    mt_conn_output_consume(cc, n);
    mt_conn_run(sc);
    n = mt_conn_output(sc, &p);
    uint8_t *flight = malloc(n + 7);
    size_t off = 0, out = 0;
    int rec = 0;
    while (off + 5 <= n) {
        size_t len = 5 + (size_t)(p[off + 3] << 8 | p[off + 4]);
        memcpy(flight + out, p + off, len);
        out += len;
        off += len;
        if (rec++ == after) {
            const uint8_t alert[7] = {21, 3, 3, 0, 2, 1 + (desc != 0), desc};
            memcpy(flight + out, alert, 7);
            out += 7;
        }
    }
    mt_conn_output_consume(sc, n);
    mt_conn_feed(cc, flight, out);
    mt_conn_run(cc);
    int err = mt_conn_error(cc, NULL);
    free(flight);
    mt_conn_free(cc);
    mt_conn_free(sc);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
    return err;
}

/* A plaintext alert is believed only until the new keys first work (a peer that failed
 * before it had keys); after that, and a plaintext close_notify ever, is refused. */
static void test_unprotected_alerts(void)
{
    /* right after ServerHello (record 0) and the CCS (record 1): the peer's alert */
    CHECK_EQ(client_with_inserted_alert(1, MT_ALERT_HANDSHAKE_FAILURE),
             MT_ERR_RECV(MT_ALERT_HANDSHAKE_FAILURE));
    /* ... but not a close_notify */
    CHECK_EQ(client_with_inserted_alert(1, MT_ALERT_CLOSE_NOTIFY), MT_ERR_UNEXPECTED);
    /* after the first protected record opened: unexpected_message */
    CHECK_EQ(client_with_inserted_alert(2, MT_ALERT_HANDSHAKE_FAILURE), MT_ERR_UNEXPECTED);
}

static int64_t zero_rng_calls;
/* A constant generator: every draw is the same bytes (the worst "seeded" case). */
static int constant_rng(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    zero_rng_calls++;
    memset(out, 0x42, n);
    return 0;
}

static uint8_t cv_sig[2][160];
static size_t cv_len[2];

/* ECDSA nonces are hedged with the signed digest: a server whose rng repeats itself
 * still never reuses a nonce across different transcripts (which would reveal its key
 * from two signatures). */
static void test_ecdsa_nonce_hedged(void)
{
    mt_config *scfg = server_cfg("leaf-p256");
    mt_config_set_rng(scfg, constant_rng, NULL);
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    mt_config *ccfg = client_cfg();
    for (int k = 0; k < 2; k++) {
        mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
        for (int round = 0; round < 32; round++) {
            mt_conn_run(cc);
            for (int i = 0; i < 32; i++) {
                mt_conn_run(sc);
                const mt_event *ev = mt_conn_event(sc);
                if (!ev) break;
                if (ev->kind == MT_HOOK_MESSAGE_OUT && ev->msg_type == 15 && ev->len < 160) {
                    memcpy(cv_sig[k], ev->data, ev->len);
                    cv_len[k] = ev->len;
                }
                mt_conn_event_done(sc, 0);
            }
            const uint8_t *p;
            size_t a = mt_conn_output(cc, &p);
            if (a) mt_conn_feed(sc, p, a);
            mt_conn_output_consume(cc, a);
            size_t b = mt_conn_output(sc, &p);
            if (b) mt_conn_feed(cc, p, b);
            mt_conn_output_consume(sc, b);
            if (!a && !b) break;
        }
        CHECK(mt_conn_want(cc) & MT_WANT_DONE); /* the hedged signature verifies */
        mt_conn_free(cc);
        mt_conn_free(sc);
    }
    CHECK(zero_rng_calls > 0);
    CHECK(cv_len[0] > 16 && cv_len[1] > 16);
    /* CertificateVerify = type(1) len(3) scheme(2) siglen(2) DER(30 L 02 Lr r ...): the r
     * values (bytes 12..) must differ, though every rng draw was identical. */
    CHECK(memcmp(cv_sig[0] + 12, cv_sig[1] + 12, 16) != 0);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

int main(void)
{
    RUN(test_ecdsa_nonce_hedged);
    RUN(test_unprotected_alerts);
    RUN(test_key_share_hook_two_shares);
    RUN(test_rsa_pss_key);
    RUN(test_record_versions);
    RUN(test_matrix);
    RUN(test_hrr);
    RUN(test_key_update_and_close);
    RUN(test_certificate_faults);
    RUN(test_no_trust_anchor_is_refused);
    RUN(test_tampered_record);
    RUN(test_no_common_suite);
    return test_summary();
}
