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

int main(void)
{
    RUN(test_before_handshake);
    RUN(test_export_and_chain);
    RUN(test_expired_leaf);
    return test_summary();
}
