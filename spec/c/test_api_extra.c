/*
 * The after-handshake accessors of lib/api_extra.c over an in-memory pair: the keying
 * material exporter (mt_conn_export) and the peer's certificates with the chain check's
 * verdict (mt_conn_peer_cert, mt_conn_peer_cert_count, mt_conn_verify_result). Run under
 * ASan too: the kept chain is copied out of the verify_peer ask and freed with the
 * connection.
 */
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

#include <string.h>

static const uint8_t LABEL[] = "EXPERIMENTAL test";

static mt_config *server_on(const char *chain, const char *key)
{
    size_t cn, kn;
    uint8_t *c = slurp(chain, &cn), *k = slurp(key, &kn);
    mt_config *cfg = mt_config_new(MT_ROLE_SERVER);
    mt_config_add_credential(cfg, c, cn, k, kn);
    mt_config_set_clock(cfg, fixed_clock, NULL);
    free(c);
    free(k);
    return cfg;
}

static void test_before_handshake(void)
{
    mt_config *ccfg = fixture_client();
    mt_conn *c = mt_conn_new(ccfg);
    uint8_t out[16];
    const uint8_t *der = NULL;
    size_t len = 0;
    CHECK_EQ(mt_conn_export(c, LABEL, sizeof LABEL - 1, NULL, 0, 0, out, sizeof out),
             MT_ERR_BAD_STATE);
    CHECK_EQ(mt_conn_peer_cert(c, 0, &der, &len), MT_ERR_NOT_FOUND);
    CHECK_EQ(mt_conn_peer_cert_count(c), 0);
    CHECK_EQ(mt_conn_verify_result(c, NULL), 1);
    mt_conn_free(c);
    mt_config_unref(ccfg);
}

static void test_export_and_chain(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);

    uint8_t a[40], b[40], d[40];
    CHECK_EQ(mt_conn_export(c, LABEL, sizeof LABEL - 1, NULL, 0, 0, a, sizeof a), 0);
    CHECK_EQ(mt_conn_export(s, LABEL, sizeof LABEL - 1, (const uint8_t *)"", 0, 1, b, sizeof b), 0);
    CHECK_MEM(a, b, sizeof a);
    CHECK_EQ(mt_conn_export(s, LABEL, sizeof LABEL - 1, (const uint8_t *)"x", 1, 1, d, sizeof d), 0);
    CHECK(memcmp(a, d, sizeof a) != 0);
    CHECK_EQ(mt_conn_export(c, LABEL, sizeof LABEL - 1, NULL, 0, 0, NULL, 5), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_conn_export(c, NULL, 3, NULL, 0, 0, a, sizeof a), MT_ERR_BAD_PARAM);

    size_t n;
    uint8_t *leaf = slurp(PKI "leaf-p256.der", &n);
    const uint8_t *der = NULL;
    size_t len = 0;
    CHECK_EQ(mt_conn_peer_cert_count(c), 2);
    CHECK_EQ(mt_conn_peer_cert(c, 0, &der, &len), 0);
    CHECK_EQ(len, n);
    if (len == n) CHECK_MEM(der, leaf, n);
    CHECK_EQ(mt_conn_peer_cert(c, 1, &der, &len), 0);
    CHECK(len > 0 && der[0] == 0x30);
    CHECK_EQ(mt_conn_peer_cert(c, 2, &der, &len), MT_ERR_NOT_FOUND);
    const char *reason = NULL;
    CHECK_EQ(mt_conn_verify_result(c, &reason), 0);
    CHECK(reason != NULL && reason[0] == 0);
    /* The server requests no client certificate. */
    CHECK_EQ(mt_conn_peer_cert_count(s), 0);
    CHECK_EQ(mt_conn_verify_result(s, NULL), 1);
    free(leaf);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_expired_leaf(void)
{
    mt_config *ccfg = fixture_client();
    mt_config *scfg = server_on(PKI "leaf-expired.chain.pem", PKI "leaf-expired.key");
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_FAILED);
    const char *reason = NULL;
    CHECK_EQ(mt_conn_verify_result(c, &reason), MT_ERR_SENT(MT_ALERT_CERTIFICATE_EXPIRED));
    CHECK(reason != NULL && strstr(reason, "expired") != NULL);
    CHECK_EQ(mt_conn_peer_cert_count(c), 2);
    uint8_t out[8];
    CHECK_EQ(mt_conn_export(c, LABEL, sizeof LABEL - 1, NULL, 0, 0, out, sizeof out),
             MT_ERR_SENT(MT_ALERT_CERTIFICATE_EXPIRED));
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* mt_key_share: RFC 7748 6.1 / 6.2 public values from the private keys, a NIST key
 * exported and imported back, the generator's draws, and the refusals. */
static int count_draws(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    CHECK(strcmp(purpose, "key_share") == 0);
    memset(out, 0x07, n);
    ++*(int *)ud;
    return 0;
}

static void test_key_share(void)
{
    uint8_t pub[MT_KEY_SHARE_MAX], priv[MT_KEY_SHARE_MAX], pub2[MT_KEY_SHARE_MAX],
        priv2[MT_KEY_SHARE_MAX];
    size_t pl = 0, kl = 0, pl2 = 0, kl2 = 0;
    static const struct {
        const char *file;
        uint16_t group;
    } rfc[] = {{"spec/fixtures/rfc7748-x25519-dh.txt", 0x001d},
               {"spec/fixtures/rfc7748-x448-dh.txt", 0x001e}};
    for (size_t i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
        vec_file v;
        CHECK(vec_open(&v, rfc[i].file));
        CHECK(vec_next(&v));
        size_t an = 0, pn = 0;
        uint8_t *a = vec_hex(&v, "alice_private", &an), *ap = vec_hex(&v, "alice_public", &pn);
        CHECK_EQ(mt_key_share(rfc[i].group, a, an, NULL, NULL, pub, &pl, priv, &kl), 0);
        CHECK_EQ(pl, pn);
        CHECK_MEM(pub, ap, pn);
        CHECK_EQ(kl, an);
        CHECK_MEM(priv, a, an);
        free(a);
        free(ap);
        vec_close(&v);
    }
    /* secp384r1 from the system generator, then the same key pinned. */
    CHECK_EQ(mt_key_share(0x0018, NULL, 0, NULL, NULL, pub, &pl, priv, &kl), 0);
    CHECK_EQ(pl, 97);
    CHECK_EQ(kl, 48);
    CHECK_EQ(mt_key_share(0x0018, priv, kl, NULL, NULL, pub2, &pl2, priv2, &kl2), 0);
    CHECK_EQ(pl2, pl);
    CHECK_MEM(pub2, pub, pl);
    /* Draws go through the given generator; FFDHE too. */
    int draws = 0;
    CHECK_EQ(mt_key_share(0x001d, NULL, 0, count_draws, &draws, pub, &pl, priv, &kl), 0);
    CHECK_EQ(draws, 1);
    CHECK_EQ(priv[0], 0x07);
    CHECK_EQ(mt_key_share(0x0100, NULL, 0, count_draws, &draws, pub, &pl, priv, &kl), 0);
    CHECK(draws > 1);
    CHECK_EQ(pl, 256);
    /* Refusals. */
    CHECK_EQ(mt_key_share(0x1234, NULL, 0, NULL, NULL, pub, &pl, priv, &kl), MT_ERR_UNSUPPORTED);
    CHECK_EQ(mt_key_share(0x0100, priv, 8, NULL, NULL, pub, &pl, priv2, &kl), MT_ERR_UNSUPPORTED);
    CHECK_EQ(mt_key_share(0x001d, priv, 31, NULL, NULL, pub, &pl, priv2, &kl), MT_ERR_BAD_PARAM);
    memset(priv, 0, 32);
    CHECK_EQ(mt_key_share(0x0017, priv, 32, NULL, NULL, pub, &pl, priv2, &kl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_key_share(0x001d, NULL, 0, NULL, NULL, NULL, &pl, priv, &kl), MT_ERR_BAD_PARAM);
}

int main(void)
{
    RUN(test_before_handshake);
    RUN(test_export_and_chain);
    RUN(test_expired_leaf);
    RUN(test_key_share);
    return test_summary();
}
