/* Tests for lib/x509/verify.c: the chain table in spec/fixtures/x509/verify-chains.txt
 * (every success and failure mode of the test PKI), then tampered signatures, unordered
 * and over-complete chains, depth limits and direct signature checks. */
#include "../../lib/moontls.h"
#include "../../lib/x509/verify.h"
#include "test_x509.h"

#define NOW 1735689600 /* 2025-01-01T00:00:00Z */

static mt_x509_list load_list(const char *name)
{
    char path[160];
    size_t n;
    snprintf(path, sizeof path, PKI "%s", name);
    uint8_t *p = load(path, &n);
    mt_x509_list l;
    mt_x509_list_init(&l);
    if (mt_x509_list_add_pem(&l, p, n, NULL) != 0) {
        fprintf(stderr, "cannot parse %s\n", path);
        exit(2);
    }
    free(p);
    return l;
}

/* Append copies of every certificate of `from` to `to`. */
static void append(mt_x509_list *to, const mt_x509_list *from)
{
    for (size_t i = 0; i < from->count; i++)
        CHECK_EQ(mt_x509_list_add_der(to, from->certs[i].der.data, from->certs[i].der.len), 0);
}

static void test_chain_table(void)
{
    vec_file v;
    int count = 0;
    CHECK(vec_open(&v, "spec/fixtures/x509/verify-chains.txt"));
    while (vec_next(&v)) {
        mt_x509_list chain = load_list(vec_get(&v, "chain"));
        mt_x509_list anchors = load_list(vec_get(&v, "anchors"));
        const char *host = vec_get(&v, "host"), *purpose = vec_get(&v, "purpose");
        const char *expect = vec_get(&v, "expect"), *reason = vec_get(&v, "reason");
        const char *depth = vec_get(&v, "depth"), *path = vec_get(&v, "path");
        mt_x509_verify_params params = {0};
        mt_x509_verify_result res;
        params.now = strtoll(vec_get(&v, "time"), NULL, 10);
        params.host = strcmp(host, "-") == 0 ? NULL : host;
        params.purpose = strcmp(purpose, "server") == 0   ? MT_X509_PURPOSE_SERVER
                         : strcmp(purpose, "client") == 0 ? MT_X509_PURPOSE_CLIENT
                                                          : MT_X509_PURPOSE_ANY;
        int rc = mt_x509_verify_chain(&chain, &anchors, &params, &res);
        const char *got = rc == 0 ? "OK" : mt_err_name(rc);
        if (strcmp(got, expect) != 0 || (reason && !strstr(res.reason, reason)))
            fprintf(stderr, "  %s (host %s, time %s): got %s '%s', want %s '%s'\n",
                    vec_get(&v, "chain"), host, vec_get(&v, "time"), got, res.reason, expect,
                    reason ? reason : "");
        CHECK(strcmp(got, expect) == 0);
        CHECK_EQ(res.err, rc);
        if (reason) CHECK(strstr(res.reason, reason) != NULL);
        if (depth) CHECK_EQ(res.depth, atoi(depth));
        if (path) CHECK_EQ(res.path_len, atoi(path));
        if (rc == 0) {
            CHECK_EQ(res.reason[0], 0);
            CHECK_EQ(res.depth, -1);
            CHECK(res.anchor >= 0 && (size_t)res.anchor < anchors.count);
        } else {
            CHECK(MT_ERR_IS_SENT(rc)); /* every failure names the alert to send */
            CHECK(res.reason[0] != 0);
        }
        mt_x509_list_free(&chain);
        mt_x509_list_free(&anchors);
        count++;
    }
    vec_close(&v);
    CHECK(count >= 28);
}

static int verify(const mt_x509_list *chain, const mt_x509_list *anchors, unsigned max_depth,
                  mt_x509_verify_result *res)
{
    mt_x509_verify_params p = {NOW, "localhost", MT_X509_PURPOSE_SERVER, max_depth};
    return mt_x509_verify_chain(chain, anchors, &p, res);
}

static void test_tampered_signatures(void)
{
    mt_x509_list anchors = load_list("ca-bundle.pem");
    mt_x509_verify_result res;
    const char *chains[] = {"leaf-rsa.chain.pem", "leaf-p384.chain.pem", "leaf-pss.pem"};
    for (size_t i = 0; i < 3; i++) {
        for (size_t at = 0; at < 2; at++) {
            mt_x509_list chain = load_list(chains[i]);
            if (at >= chain.count) {
                mt_x509_list_free(&chain);
                continue;
            }
            /* flip one bit in the middle of the signature value (the cert owns it) */
            mt_x509_cert *c = &chain.certs[at];
            uint8_t *sig = (uint8_t *)c->signature.p;
            sig[c->signature.len / 2] ^= 0x10;
            CHECK_EQ(verify(&chain, &anchors, 0, &res), MT_ERR_CERT_BAD);
            CHECK(strstr(res.reason, "signature does not verify") != NULL);
            CHECK_EQ(res.depth, (int)at);
            mt_x509_list_free(&chain);
        }
    }
    /* a changed byte in the signed part (the leaf's serial number) */
    mt_x509_list chain = load_list("leaf-p256.chain.pem");
    uint8_t *serial = (uint8_t *)chain.certs[0].serial.p;
    serial[0] ^= 0x01;
    CHECK_EQ(verify(&chain, &anchors, 0, &res), MT_ERR_CERT_BAD);
    CHECK_EQ(res.depth, 0);
    mt_x509_list_free(&chain);
    mt_x509_list_free(&anchors);
}

static void test_chain_order_and_extras(void)
{
    mt_x509_list anchors = load_list("ca-bundle.pem");
    mt_x509_list leaf = load_list("leaf-rsa.pem"), ica = load_list("int-ca.pem");
    mt_x509_list root = load_list("root-ca.pem"), other = load_list("leaf-p384.pem");
    mt_x509_list sub = load_list("sub-int-ca.pem");
    mt_x509_verify_result res;
    /* leaf, unrelated certificates, then the intermediate: order does not matter */
    mt_x509_list chain;
    mt_x509_list_init(&chain);
    append(&chain, &leaf);
    append(&chain, &other);
    append(&chain, &sub);
    append(&chain, &ica);
    CHECK_EQ(verify(&chain, &anchors, 0, &res), 0);
    CHECK_EQ(res.path_len, 3);
    mt_x509_list_free(&chain);
    /* the peer also sends the root */
    append(&chain, &leaf);
    append(&chain, &ica);
    append(&chain, &root);
    CHECK_EQ(verify(&chain, &anchors, 0, &res), 0);
    CHECK_EQ(res.path_len, 3);
    /* depth limit: leaf + intermediate + root is 3 certificates */
    CHECK_EQ(verify(&chain, &anchors, 3, &res), 0);
    CHECK_EQ(verify(&chain, &anchors, 2, &res), MT_ERR_CERT_UNKNOWN_CA);
    CHECK(strstr(res.reason, "longer than 2") != NULL);
    mt_x509_list_free(&chain);
    /* the root itself, presented as a chain and trusted */
    CHECK_EQ(mt_x509_verify_chain(&root, &anchors,
                                  &(mt_x509_verify_params){NOW, NULL, MT_X509_PURPOSE_ANY, 0},
                                  &res),
             0);
    CHECK_EQ(res.path_len, 1);
    CHECK_EQ(res.anchor, 0);
    mt_x509_list_free(&leaf);
    mt_x509_list_free(&ica);
    mt_x509_list_free(&root);
    mt_x509_list_free(&other);
    mt_x509_list_free(&sub);
    mt_x509_list_free(&anchors);
}

static void test_edge_parameters(void)
{
    mt_x509_list anchors = load_list("ca-bundle.pem"), empty,
                 chain = load_list("leaf-rsa.chain.pem");
    mt_x509_verify_result res;
    mt_x509_list_init(&empty);
    CHECK_EQ(verify(&empty, &anchors, 0, &res), MT_ERR_CERT_UNKNOWN);
    CHECK(strstr(res.reason, "empty") != NULL);
    CHECK_EQ(verify(&chain, &empty, 0, &res), MT_ERR_CERT_UNKNOWN_CA);
    CHECK_EQ(mt_x509_verify_chain(&chain, &anchors, NULL, &res), MT_ERR_BAD_PARAM);
    /* res may be NULL */
    mt_x509_verify_params p = {NOW, "localhost", MT_X509_PURPOSE_SERVER, 0};
    CHECK_EQ(mt_x509_verify_chain(&chain, &anchors, &p, NULL), 0);
    p.host = "nothere.example";
    CHECK_EQ(mt_x509_verify_chain(&chain, &anchors, &p, NULL), MT_ERR_CERT_BAD);
    mt_x509_list_free(&chain);
    mt_x509_list_free(&anchors);
}

static void test_verify_signature_direct(void)
{
    mt_x509_list root = load_list("root-ca.pem"), ica = load_list("int-ca.pem");
    mt_x509_list leaf = load_list("leaf-p256.pem"), pss = load_list("leaf-pss.pem");
    mt_x509_list ed = load_list("leaf-ed25519.pem");
    CHECK_EQ(mt_x509_verify_signature(&leaf.certs[0], &ica.certs[0].spki), 0);
    CHECK_EQ(mt_x509_verify_signature(&ica.certs[0], &root.certs[0].spki), 0);
    CHECK_EQ(mt_x509_verify_signature(&root.certs[0], &root.certs[0].spki), 0); /* self-signed */
    CHECK_EQ(mt_x509_verify_signature(&pss.certs[0], &root.certs[0].spki), 0);
    /* wrong key type, wrong key of the right type */
    CHECK_EQ(mt_x509_verify_signature(&leaf.certs[0], &root.certs[0].spki), MT_ERR_VERIFY);
    CHECK_EQ(mt_x509_verify_signature(&leaf.certs[0], &leaf.certs[0].spki), MT_ERR_VERIFY);
    CHECK_EQ(mt_x509_verify_signature(&ica.certs[0], &pss.certs[0].spki), MT_ERR_VERIFY);
    /* an Ed25519 key cannot check anything */
    CHECK_EQ(mt_x509_verify_signature(&leaf.certs[0], &ed.certs[0].spki), MT_ERR_UNSUPPORTED);
    /* SHA-1 signatures are refused */
    mt_x509_cert weak = leaf.certs[0];
    weak.sig_alg.hash = MT_HASH_SHA1;
    CHECK_EQ(mt_x509_verify_signature(&weak, &ica.certs[0].spki), MT_ERR_UNSUPPORTED);
    mt_x509_list_free(&root);
    mt_x509_list_free(&ica);
    mt_x509_list_free(&leaf);
    mt_x509_list_free(&pss);
    mt_x509_list_free(&ed);
}

int main(void)
{
    RUN(test_chain_table);
    RUN(test_tampered_signatures);
    RUN(test_chain_order_and_extras);
    RUN(test_edge_parameters);
    RUN(test_verify_signature_direct);
    return test_summary();
}
