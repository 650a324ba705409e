/* Tests for lib/x509/cert.c: every certificate of the test PKI parses with the fields
 * make-pki.sh put in it; truncations, non-minimal lengths and trailing bytes of a real
 * certificate are all rejected; PEM lists. */
#include "../../lib/crypto/ec.h"
#include "../../lib/moontls.h"
#include "../../lib/x509/cert.h"
#include "../../lib/x509/pem.h"
#include "test_x509.h"

#define NOT_BEFORE 1577836800LL /* 2020-01-01T00:00:00Z */
#define NOT_AFTER 4733510400LL  /* 2120-01-01T00:00:00Z */

static mt_x509_list load_list(const char *file)
{
    size_t n;
    uint8_t *p = load(file, &n);
    mt_x509_list l;
    mt_x509_list_init(&l);
    int rc = mt_x509_list_add_pem(&l, p, n, NULL);
    if (rc) fprintf(stderr, "  %s: %s\n", file, mt_err_name(rc));
    free(p);
    return l;
}

static void test_every_pki_certificate(void)
{
    static const struct {
        const char *file;
        size_t count;
    } files[] = {
        {PKI "root-ca.pem", 1},
        {PKI "int-ca.pem", 1},
        {PKI "ca-bundle.pem", 1},
        {PKI "leaf-rsa.pem", 1},
        {PKI "leaf-p256.pem", 1},
        {PKI "leaf-p384.pem", 1},
        {PKI "leaf-p521.pem", 1},
        {PKI "leaf-pss.pem", 1},
        {PKI "leaf-wildcard.pem", 1},
        {PKI "leaf-wrong-name.pem", 1},
        {PKI "leaf-no-san.pem", 1},
        {PKI "leaf-client.pem", 1},
        {PKI "leaf-expired.pem", 1},
        {PKI "leaf-critical.pem", 1},
        {PKI "leaf-by-leaf.pem", 1},
        {PKI "sub-int-ca.pem", 1},
        {PKI "leaf-pathlen.pem", 1},
        {PKI "nosign-ca.pem", 1},
        {PKI "leaf-nosign.pem", 1},
        {PKI "leaf-ed25519.pem", 1},
        {PKI "self-signed.pem", 1},
        {PKI "leaf-rsa.chain.pem", 2},
        {PKI "leaf-p256.chain.pem", 2},
        {PKI "leaf-p384.chain.pem", 2},
        {PKI "leaf-p521.chain.pem", 2},
        {PKI "leaf-wildcard.chain.pem", 2},
        {PKI "leaf-pathlen.chain.pem", 3},
        {PKI "leaf-by-leaf.chain.pem", 3},
        {PKI "leaf-nosign.chain.pem", 2},
        {PKI "leaf-expired.chain.pem", 2},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        mt_x509_list l = load_list(files[i].file);
        CHECK_EQ(l.count, files[i].count);
        for (size_t j = 0; j < l.count; j++) {
            const mt_x509_cert *c = &l.certs[j];
            CHECK_EQ(c->version, 3);
            CHECK(c->tbs.len > 100 && c->tbs.len < c->der.len);
            CHECK(c->signature.len > 0);
            CHECK(c->sig_alg.type != MT_X509_SIG_UNKNOWN);
            CHECK(c->serial.len >= 1);
            CHECK_EQ(c->not_before, NOT_BEFORE);
            CHECK(c->not_after > c->not_before);
            CHECK(strstr(c->subject_text, "O=moontls test PKI") != NULL);
            CHECK(strstr(c->issuer_text, "CN=") != NULL);
            CHECK(c->ext_present & MT_X509_EXT_BASIC_CONSTRAINTS);
        }
        mt_x509_list_free(&l);
    }
}

static void test_leaf_rsa_fields(void)
{
    mt_x509_list l = load_list(PKI "leaf-rsa.chain.pem");
    CHECK_EQ(l.count, 2);
    if (l.count != 2) return;
    const mt_x509_cert *c = &l.certs[0], *ica = &l.certs[1];
    CHECK_EQ(c->sig_alg.oid, MT_OID_ECDSA_SHA384);
    CHECK_EQ(c->sig_alg.type, MT_X509_SIG_ECDSA);
    CHECK_EQ(c->sig_alg.hash, MT_HASH_SHA384);
    CHECK(strcmp(c->subject_text, "O=moontls test PKI, CN=localhost") == 0);
    CHECK(strcmp(c->issuer_text, "C=XX, O=moontls test PKI, CN=moontls Test Intermediate CA") == 0);
    CHECK_EQ(c->not_after, NOT_AFTER);
    CHECK_EQ(c->spki.alg, MT_OID_RSA_ENCRYPTION);
    CHECK_EQ(c->spki.rsa_n.len, 256);
    CHECK(c->spki.rsa_n.p[0] & 0x80); /* 2048-bit modulus, no sign octet */
    CHECK_EQ(c->spki.rsa_e.len, 3);
    CHECK_MEM(c->spki.rsa_e.p, "\x01\x00\x01", 3);
    CHECK_EQ(c->is_ca, 0);
    CHECK_EQ(c->path_len, -1);
    CHECK_EQ(c->key_usage, MT_X509_KU_DIGITAL_SIGNATURE | MT_X509_KU_KEY_ENCIPHERMENT);
    CHECK_EQ(c->ext_key_usage, MT_X509_EKU_SERVER_AUTH | MT_X509_EKU_CLIENT_AUTH);
    CHECK_EQ(c->san_count, 4);
    if (c->san_count == 4) {
        CHECK_EQ(c->san[0].type, MT_X509_GN_DNS);
        CHECK(c->san[0].value.len == 9 && memcmp(c->san[0].value.p, "localhost", 9) == 0);
        CHECK_EQ(c->san[1].type, MT_X509_GN_DNS);
        CHECK_EQ(c->san[1].value.len, strlen("server.moontls.test"));
        CHECK_EQ(c->san[2].type, MT_X509_GN_IP);
        CHECK(c->san[2].value.len == 4 && memcmp(c->san[2].value.p, "\x7f\0\0\x01", 4) == 0);
        CHECK_EQ(c->san[3].type, MT_X509_GN_IP);
        CHECK_EQ(c->san[3].value.len, 16);
        CHECK_EQ(c->san[3].value.p[15], 1);
    }
    CHECK_EQ(c->subject_key_id.len, 20);
    /* the leaf's authorityKeyIdentifier is the intermediate's subjectKeyIdentifier */
    CHECK_EQ(c->authority_key_id.len, ica->subject_key_id.len);
    CHECK_MEM(c->authority_key_id.p, ica->subject_key_id.p, ica->subject_key_id.len);
    CHECK_EQ(c->unknown_critical.len, 0);
    CHECK_EQ(c->self_issued, 0);
    /* issuer of the leaf is, byte for byte, the subject of the intermediate */
    CHECK_EQ(c->issuer.len, ica->subject.len);
    CHECK_MEM(c->issuer.p, ica->subject.p, ica->subject.len);

    CHECK_EQ(ica->is_ca, 1);
    CHECK_EQ(ica->path_len, 0);
    CHECK_EQ(ica->spki.alg, MT_OID_EC_PUBLIC_KEY);
    CHECK_EQ(ica->spki.curve, MT_EC_P384);
    CHECK_EQ(ica->spki.point.len, 97);
    CHECK_EQ(ica->spki.point.p[0], 0x04);
    CHECK_EQ(ica->sig_alg.type, MT_X509_SIG_RSA_PKCS1);
    CHECK_EQ(ica->sig_alg.hash, MT_HASH_SHA256);
    CHECK(ica->key_usage & MT_X509_KU_KEY_CERT_SIGN);
    mt_x509_list_free(&l);
}

static void test_special_certificates(void)
{
    mt_x509_list l = load_list(PKI "root-ca.pem");
    CHECK_EQ(l.certs[0].self_issued, 1);
    CHECK_EQ(l.certs[0].is_ca, 1);
    CHECK_EQ(l.certs[0].path_len, -1);
    CHECK_EQ(l.certs[0].key_usage, MT_X509_KU_KEY_CERT_SIGN | MT_X509_KU_CRL_SIGN);
    CHECK_EQ(l.certs[0].ext_present & MT_X509_EXT_AUTHORITY_KEY_ID, 0);
    mt_x509_list_free(&l);

    l = load_list(PKI "leaf-pss.pem");
    CHECK_EQ(l.certs[0].sig_alg.oid, MT_OID_RSASSA_PSS);
    CHECK_EQ(l.certs[0].sig_alg.type, MT_X509_SIG_RSA_PSS);
    CHECK_EQ(l.certs[0].sig_alg.hash, MT_HASH_SHA256);
    CHECK_EQ(l.certs[0].sig_alg.pss_salt_len, 32);
    mt_x509_list_free(&l);

    l = load_list(PKI "leaf-critical.pem");
    char oid[64];
    CHECK(l.certs[0].unknown_critical.len > 0);
    CHECK_EQ(mt_oid_to_text(l.certs[0].unknown_critical, oid, sizeof oid), 0);
    CHECK(strcmp(oid, "1.3.6.1.4.1.55555.1.1") == 0);
    mt_x509_list_free(&l);

    l = load_list(PKI "leaf-expired.pem");
    CHECK_EQ(l.certs[0].not_after, 1609459200); /* UTCTime 210101000000Z */
    mt_x509_list_free(&l);

    l = load_list(PKI "leaf-client.pem");
    CHECK_EQ(l.certs[0].ext_key_usage, MT_X509_EKU_CLIENT_AUTH);
    CHECK_EQ(l.certs[0].san_count, 2);
    CHECK_EQ(l.certs[0].san[1].type, MT_X509_GN_EMAIL);
    mt_x509_list_free(&l);

    l = load_list(PKI "leaf-no-san.pem");
    CHECK_EQ(l.certs[0].san_count, 0);
    CHECK_EQ(l.certs[0].ext_present & MT_X509_EXT_SUBJECT_ALT_NAME, 0);
    mt_x509_list_free(&l);

    l = load_list(PKI "leaf-ed25519.pem");
    CHECK_EQ(l.certs[0].spki.alg, MT_OID_ED25519);
    CHECK_EQ(l.certs[0].spki.key_bits.len, 32);
    mt_x509_list_free(&l);

    l = load_list(PKI "leaf-p521.pem");
    CHECK_EQ(l.certs[0].spki.curve, MT_EC_P521);
    CHECK_EQ(l.certs[0].spki.point.len, 133);
    CHECK_EQ(l.certs[0].sig_alg.hash, MT_HASH_SHA512);
    mt_x509_list_free(&l);

    l = load_list(PKI "self-signed.pem");
    CHECK_EQ(l.certs[0].self_issued, 1);
    CHECK_EQ(l.certs[0].is_ca, 0);
    mt_x509_list_free(&l);
}

static void test_der_file_matches_pem(void)
{
    size_t n;
    uint8_t *der = load(PKI "leaf-p256.der", &n);
    mt_x509_cert c;
    CHECK_EQ(mt_x509_cert_parse(&c, der, n), 0);
    mt_x509_list l = load_list(PKI "leaf-p256.pem");
    CHECK_EQ(c.der.len, l.certs[0].der.len);
    CHECK_MEM(c.der.data, l.certs[0].der.data, n);
    CHECK(strcmp(c.subject_text, l.certs[0].subject_text) == 0);
    mt_x509_list_free(&l);
    mt_x509_cert_free(&c);
    mt_x509_cert_free(&c); /* freeing twice is harmless: free leaves it empty */
    free(der);
}

static void test_truncations_rejected(void)
{
    size_t n;
    uint8_t *der = load(PKI "leaf-p256.der", &n);
    mt_x509_cert c;
    int rejected = 0;
    for (size_t len = 0; len < n; len++) {
        int rc = mt_x509_cert_parse(&c, der, len);
        rejected += rc == MT_ERR_CERT_BAD;
        mt_x509_cert_free(&c);
    }
    CHECK_EQ(rejected, n);
    /* trailing data after the certificate */
    uint8_t *more = malloc(n + 1);
    memcpy(more, der, n);
    more[n] = 0;
    CHECK_EQ(mt_x509_cert_parse(&c, more, n + 1), MT_ERR_CERT_BAD);
    CHECK_EQ(mt_x509_cert_parse(&c, NULL, 0), MT_ERR_CERT_BAD);
    free(more);
    free(der);
}

/* Re-encode a DER element list, recursing into constructed elements; the element
 * numbered `target` (pre-order) gets its length with one superfluous leading zero octet. */
static int reencode(mt_slice in, int target, int *counter, mt_buf *out)
{
    mt_reader r;
    mt_rd_init(&r, in.p, in.len);
    while (mt_rd_left(&r) > 0) {
        mt_der e;
        mt_buf body = {0};
        if (mt_der_read(&r, &e) != 0) return -1;
        int me = (*counter)++;
        if (e.id & MT_DER_CONSTRUCTED) {
            if (reencode(e.body, target, counter, &body) != 0) return -1;
        } else {
            mt_buf_append(&body, e.body.p, e.body.len);
        }
        uint8_t len[5];
        size_t k = 0, l = body.len;
        while (l) {
            len[4 - k++] = (uint8_t)l;
            l >>= 8;
        }
        mt_wr_u8(out, e.id);
        if (me == target) {
            mt_wr_u8(out, (uint8_t)(0x80 | (k + 1)));
            mt_wr_u8(out, 0);
            mt_wr_bytes(out, len + 5 - k, k);
        } else if (body.len < 0x80) {
            mt_wr_u8(out, (uint8_t)body.len);
        } else {
            mt_wr_u8(out, (uint8_t)(0x80 | k));
            mt_wr_bytes(out, len + 5 - k, k);
        }
        mt_wr_bytes(out, body.data, body.len);
        mt_buf_free(&body);
    }
    return 0;
}

static void test_non_minimal_lengths_rejected(void)
{
    size_t n;
    uint8_t *der = load(PKI "leaf-p256.der", &n);
    mt_buf b = {0};
    int total = 0;
    /* With no target, the re-encoding reproduces the certificate exactly. */
    CHECK_EQ(reencode(mt_slice_of(der, n), -1, &total, &b), 0);
    CHECK_EQ(b.len, n);
    CHECK_MEM(b.data, der, n);
    CHECK(total > 40);
    for (int t = 0; t < total; t++) {
        int counter = 0;
        mt_x509_cert c;
        mt_buf_reset(&b);
        CHECK_EQ(reencode(mt_slice_of(der, n), t, &counter, &b), 0);
        int rc = mt_x509_cert_parse(&c, b.data, b.len);
        if (rc != MT_ERR_CERT_BAD) fprintf(stderr, "  element %d accepted\n", t);
        CHECK_EQ(rc, MT_ERR_CERT_BAD);
        mt_x509_cert_free(&c);
    }
    mt_buf_free(&b);
    free(der);
}

static void test_corruptions(void)
{
    size_t n;
    uint8_t *der = load(PKI "leaf-p256.der", &n);
    uint8_t *m = malloc(n);
    mt_x509_cert c;
    /* Outer length made indefinite: 30 82 xx xx -> 30 80 ... */
    memcpy(m, der, n);
    CHECK_EQ(m[1], 0x82);
    m[1] = 0x80;
    CHECK_EQ(mt_x509_cert_parse(&c, m, n), MT_ERR_CERT_BAD);
    /* Every single-byte change is either rejected or parses to a well-formed certificate
     * (signature checks are verify's job); none may crash or leak. */
    int rejected = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(m, der, n);
        m[i] ^= 0x01;
        int rc = mt_x509_cert_parse(&c, m, n);
        CHECK(rc == 0 || rc == MT_ERR_CERT_BAD);
        rejected += rc != 0;
        mt_x509_cert_free(&c);
    }
    CHECK(rejected > 0);
    free(m);
    free(der);
}

static void test_pem_lists(void)
{
    size_t n, added = 99;
    mt_x509_list l;
    mt_x509_list_init(&l);
    uint8_t *p = load(PKI "leaf-pathlen.chain.pem", &n);
    CHECK_EQ(mt_x509_list_add_pem(&l, p, n, &added), 0);
    CHECK_EQ(added, 3);
    CHECK_EQ(l.count, 3);
    free(p);
    /* a key file holds no certificate */
    p = load(PKI "leaf-p256.key", &n);
    CHECK_EQ(mt_x509_list_add_pem(&l, p, n, &added), MT_ERR_NOT_FOUND);
    CHECK_EQ(added, 0);
    free(p);
    /* a corrupt certificate after a good one leaves the list unchanged */
    size_t n1, n2;
    uint8_t *good = load(PKI "root-ca.pem", &n1);
    uint8_t *bad = load(PKI "leaf-p256.pem", &n2);
    bad[n2 / 2] = bad[n2 / 2] == 'A' ? 'B' : 'A'; /* a base64 character changed */
    uint8_t *both = malloc(n1 + n2);
    memcpy(both, good, n1);
    memcpy(both + n1, bad, n2);
    int rc = mt_x509_list_add_pem(&l, both, n1 + n2, &added);
    CHECK(rc == MT_ERR_CERT_BAD || rc == 0); /* a flipped bit may still be valid DER */
    if (rc) CHECK_EQ(l.count, 3);
    free(both);
    free(bad);
    free(good);
    /* DER additions, and the list grows past its initial capacity */
    p = load(PKI "leaf-p256.der", &n);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(mt_x509_list_add_der(&l, p, n), 0);
    CHECK_EQ(mt_x509_list_add_der(&l, p, n - 1), MT_ERR_CERT_BAD);
    CHECK(l.count >= 13);
    CHECK(strcmp(l.certs[l.count - 1].subject_text, "O=moontls test PKI, CN=localhost") == 0);
    free(p);
    mt_x509_list_free(&l);
    CHECK_EQ(l.count, 0);
}

static void test_spki_parse(void)
{
    mt_x509_list l = load_list(PKI "leaf-p256.pem");
    mt_x509_spki k;
    const mt_slice raw = l.certs[0].spki.raw;
    CHECK_EQ(mt_x509_spki_parse(&k, raw.p, raw.len), 0);
    CHECK_EQ(k.alg, MT_OID_EC_PUBLIC_KEY);
    CHECK_EQ(k.curve, MT_EC_P256);
    CHECK_EQ(k.point.len, 65);
    CHECK_EQ(mt_x509_spki_parse(&k, raw.p, raw.len - 1), MT_ERR_DECODE);
    mt_x509_list_free(&l);
}

int main(void)
{
    RUN(test_every_pki_certificate);
    RUN(test_leaf_rsa_fields);
    RUN(test_special_certificates);
    RUN(test_der_file_matches_pem);
    RUN(test_truncations_rejected);
    RUN(test_non_minimal_lengths_rejected);
    RUN(test_corruptions);
    RUN(test_pem_lists);
    RUN(test_spki_parse);
    return test_summary();
}
