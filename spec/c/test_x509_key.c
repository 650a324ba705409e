/* Tests for lib/x509/key.c: every private and public key encoding of the test PKI, keys
 * matching their certificates, and sign-with-the-file-key / verify-with-the-certificate
 * round trips for RSA PKCS#1, RSA-PSS and ECDSA on P-256, P-384 and P-521. */
#include "../../lib/crypto/hash.h"
#include "../../lib/crypto/rng.h"
#include "../../lib/moontls.h"
#include "../../lib/x509/key.h"
#include "../../lib/x509/pem.h"
#include "test_x509.h"

static int load_private(const char *file, mt_x509_key *k)
{
    size_t n;
    uint8_t *p = load(file, &n);
    int rc = mt_x509_key_parse_private(k, p, n);
    free(p);
    return rc;
}

static mt_x509_list load_cert(const char *file)
{
    size_t n;
    uint8_t *p = load(file, &n);
    mt_x509_list l;
    mt_x509_list_init(&l);
    if (mt_x509_list_add_pem(&l, p, n, NULL) != 0) {
        fprintf(stderr, "cannot parse %s\n", file);
        exit(2);
    }
    free(p);
    return l;
}

static const struct {
    const char *key, *cert;
    mt_x509_key_type type;
    int curve;
} pairs[] = {
    {PKI "leaf-rsa.key", PKI "leaf-rsa.pem", MT_X509_KEY_RSA, 0},
    {PKI "leaf-rsa.pkcs1.key", PKI "leaf-rsa.pem", MT_X509_KEY_RSA, 0},
    {PKI "leaf-pss.key", PKI "leaf-pss.pem", MT_X509_KEY_RSA, 0},
    {PKI "root-ca.key", PKI "root-ca.pem", MT_X509_KEY_RSA, 0},
    {PKI "leaf-p256.key", PKI "leaf-p256.pem", MT_X509_KEY_EC, MT_EC_P256},
    {PKI "leaf-p256.sec1.key", PKI "leaf-p256.pem", MT_X509_KEY_EC, MT_EC_P256},
    {PKI "leaf-p256.key.der", PKI "leaf-p256.pem", MT_X509_KEY_EC, MT_EC_P256},
    {PKI "leaf-p384.key", PKI "leaf-p384.pem", MT_X509_KEY_EC, MT_EC_P384},
    {PKI "leaf-p384.sec1.key", PKI "leaf-p384.pem", MT_X509_KEY_EC, MT_EC_P384},
    {PKI "leaf-p521.key", PKI "leaf-p521.pem", MT_X509_KEY_EC, MT_EC_P521},
    {PKI "int-ca.key", PKI "int-ca.pem", MT_X509_KEY_EC, MT_EC_P384},
    {PKI "self-signed.key", PKI "self-signed.pem", MT_X509_KEY_EC, MT_EC_P256},
};

static void test_private_keys_load_and_match(void)
{
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        mt_x509_key k;
        int rc = load_private(pairs[i].key, &k);
        if (rc) fprintf(stderr, "  %s: %s\n", pairs[i].key, mt_err_name(rc));
        CHECK_EQ(rc, 0);
        CHECK_EQ(k.type, pairs[i].type);
        CHECK_EQ(k.curve, pairs[i].curve);
        if (k.type == MT_X509_KEY_RSA) {
            CHECK(k.rsa != NULL && k.ec == NULL);
            CHECK_EQ(mt_rsa_is_private(k.rsa), 1);
            CHECK_EQ(mt_rsa_size(k.rsa), 256);
        }
        if (k.type == MT_X509_KEY_EC) {
            CHECK(k.ec != NULL && k.rsa == NULL);
            CHECK_EQ(mt_ec_is_private(k.ec), 1);
            CHECK_EQ(mt_ec_curve(k.ec), pairs[i].curve);
        }
        mt_x509_list l = load_cert(pairs[i].cert);
        CHECK_EQ(mt_x509_key_matches(&k, &l.certs[0].spki), 0);
        mt_x509_list_free(&l);
        mt_x509_key_free(&k);
        CHECK_EQ(k.type, MT_X509_KEY_NONE);
        mt_x509_key_free(&k); /* idempotent */
    }
}

static void test_key_mismatch(void)
{
    mt_x509_key k;
    CHECK_EQ(load_private(PKI "leaf-p256.key", &k), 0);
    mt_x509_list l = load_cert(PKI "leaf-wildcard.pem"); /* another P-256 key */
    CHECK_EQ(mt_x509_key_matches(&k, &l.certs[0].spki), MT_ERR_VERIFY);
    mt_x509_list_free(&l);
    l = load_cert(PKI "leaf-p384.pem");
    CHECK_EQ(mt_x509_key_matches(&k, &l.certs[0].spki), MT_ERR_VERIFY);
    mt_x509_list_free(&l);
    l = load_cert(PKI "leaf-rsa.pem");
    CHECK_EQ(mt_x509_key_matches(&k, &l.certs[0].spki), MT_ERR_VERIFY);
    mt_x509_list_free(&l);
    mt_x509_key_free(&k);

    CHECK_EQ(load_private(PKI "leaf-rsa.key", &k), 0);
    l = load_cert(PKI "leaf-pss.pem"); /* another RSA key */
    CHECK_EQ(mt_x509_key_matches(&k, &l.certs[0].spki), MT_ERR_VERIFY);
    mt_x509_list_free(&l);
    mt_x509_key_free(&k);
}

static void test_public_keys(void)
{
    static const struct {
        const char *pub, *cert;
    } pubs[] = {{PKI "leaf-p256.pub.pem", PKI "leaf-p256.pem"},
                {PKI "leaf-p521.pub.pem", PKI "leaf-p521.pem"},
                {PKI "leaf-rsa.pub.pem", PKI "leaf-rsa.pem"}};
    for (size_t i = 0; i < sizeof pubs / sizeof pubs[0]; i++) {
        size_t n;
        uint8_t *p = load(pubs[i].pub, &n);
        mt_x509_key k;
        CHECK_EQ(mt_x509_key_parse_public(&k, p, n), 0);
        mt_x509_list l = load_cert(pubs[i].cert);
        CHECK_EQ(mt_x509_key_matches(&k, &l.certs[0].spki), 0);
        if (k.type == MT_X509_KEY_EC) CHECK_EQ(mt_ec_is_private(k.ec), 0);
        if (k.type == MT_X509_KEY_RSA) CHECK_EQ(mt_rsa_is_private(k.rsa), 0);
        mt_x509_key_free(&k);
        /* the same key from the certificate's SPKI, and from the SPKI as DER */
        CHECK_EQ(mt_x509_key_from_spki(&k, &l.certs[0].spki), 0);
        mt_x509_key_free(&k);
        CHECK_EQ(mt_x509_key_parse_public(&k, l.certs[0].spki.raw.p, l.certs[0].spki.raw.len), 0);
        mt_x509_key_free(&k);
        mt_x509_list_free(&l);
        free(p);
    }
    /* Ed25519 is parsed in certificates but has no key implementation */
    mt_x509_list l = load_cert(PKI "leaf-ed25519.pem");
    mt_x509_key k;
    CHECK_EQ(mt_x509_key_from_spki(&k, &l.certs[0].spki), MT_ERR_UNSUPPORTED);
    CHECK_EQ(k.type, MT_X509_KEY_NONE);
    mt_x509_list_free(&l);
}

static void test_unsupported_and_invalid(void)
{
    mt_x509_key k;
    CHECK_EQ(load_private(PKI "leaf-p256.enc.key", &k), MT_ERR_UNSUPPORTED);
    CHECK_EQ(k.type, MT_X509_KEY_NONE);
    CHECK_EQ(load_private(PKI "leaf-p256.enc.key.der", &k), MT_ERR_UNSUPPORTED);
    CHECK_EQ(load_private(PKI "leaf-rsa.enc.pkcs1.key", &k), MT_ERR_UNSUPPORTED);
    CHECK_EQ(load_private(PKI "leaf-ed25519.key", &k), MT_ERR_UNSUPPORTED);
    CHECK_EQ(load_private(PKI "leaf-p256.pem", &k), MT_ERR_NOT_FOUND); /* a certificate */
    CHECK_EQ(load_private(PKI "leaf-p256.der", &k), MT_ERR_DECODE);    /* DER, not a key */
    CHECK_EQ(mt_x509_key_parse_private(&k, NULL, 0), MT_ERR_DECODE);

    /* every truncation of a DER key is rejected */
    size_t n;
    uint8_t *der = load(PKI "leaf-p256.key.der", &n);
    int rejected = 0;
    for (size_t len = 0; len < n; len++) {
        int rc = mt_x509_key_parse_private(&k, der, len);
        rejected += rc != 0;
        CHECK_EQ(k.type, MT_X509_KEY_NONE);
    }
    CHECK_EQ(rejected, n);
    free(der);

    /* an ECPrivateKey whose stored public key is not the scalar's */
    uint8_t *pem = load(PKI "leaf-p256.sec1.key", &n);
    mt_pem_block b;
    size_t off = 0;
    mt_pem_block_init(&b);
    CHECK_EQ(mt_pem_next(pem, n, &off, &b), 0);
    CHECK(strcmp(b.label, "EC PRIVATE KEY") == 0);
    CHECK_EQ(mt_x509_key_parse_private(&k, b.der.data, b.der.len), 0);
    mt_x509_key_free(&k);
    b.der.data[b.der.len - 1] ^= 0x01; /* last octet of the public point */
    CHECK_EQ(mt_x509_key_parse_private(&k, b.der.data, b.der.len), MT_ERR_BAD_PARAM);
    CHECK_EQ(k.type, MT_X509_KEY_NONE);
    mt_pem_block_free(&b);
    free(pem);

    /* an RSA private key read as a public key is not found (wrong label) */
    CHECK_EQ(load_private(PKI "leaf-rsa.pub.pem", &k), MT_ERR_NOT_FOUND);
}

/* Sign with the key file, verify with the certificate's public key. */
static void round_trip(const char *keyfile, const char *certfile, mt_hash_id h, int pss)
{
    mt_x509_key priv, pub;
    mt_rng_seeded seed;
    mt_rng rng = mt_rng_seeded_init(&seed, (const uint8_t *)"x509", 4);
    uint8_t digest[MT_HASH_MAX_LEN], sig[512];
    size_t dlen = mt_hash_len(h), slen = sizeof sig;
    CHECK_EQ(load_private(keyfile, &priv), 0);
    mt_x509_list l = load_cert(certfile);
    CHECK_EQ(mt_x509_key_from_spki(&pub, &l.certs[0].spki), 0);
    CHECK_EQ(mt_hash(h, "moontls round trip", 18, digest), 0);
    if (priv.type == MT_X509_KEY_EC) {
        CHECK_EQ(mt_ecdsa_sign(priv.ec, digest, dlen, &rng, sig, &slen), 0);
        CHECK_EQ(mt_ecdsa_verify(pub.ec, digest, dlen, sig, slen), 0);
        sig[slen - 1] ^= 1;
        CHECK_EQ(mt_ecdsa_verify(pub.ec, digest, dlen, sig, slen), MT_ERR_VERIFY);
    } else if (pss) {
        CHECK_EQ(mt_rsa_sign_pss(priv.rsa, h, digest, dlen, dlen, &rng, sig, &slen), 0);
        CHECK_EQ(mt_rsa_verify_pss(pub.rsa, h, digest, dlen, dlen, sig, slen), 0);
        sig[0] ^= 1;
        CHECK_EQ(mt_rsa_verify_pss(pub.rsa, h, digest, dlen, dlen, sig, slen), MT_ERR_VERIFY);
    } else {
        CHECK_EQ(mt_rsa_sign_pkcs1(priv.rsa, h, digest, dlen, &rng, sig, &slen), 0);
        CHECK_EQ(slen, 256);
        CHECK_EQ(mt_rsa_verify_pkcs1(pub.rsa, h, digest, dlen, sig, slen), 0);
        sig[10] ^= 1;
        CHECK_EQ(mt_rsa_verify_pkcs1(pub.rsa, h, digest, dlen, sig, slen), MT_ERR_VERIFY);
    }
    mt_x509_key_free(&pub);
    mt_x509_key_free(&priv);
    mt_x509_list_free(&l);
    mt_rng_seeded_wipe(&seed);
}

static void test_sign_verify_round_trips(void)
{
    round_trip(PKI "leaf-rsa.key", PKI "leaf-rsa.pem", MT_HASH_SHA256, 0);
    round_trip(PKI "leaf-rsa.pkcs1.key", PKI "leaf-rsa.pem", MT_HASH_SHA384, 1);
    round_trip(PKI "leaf-pss.key", PKI "leaf-pss.pem", MT_HASH_SHA256, 1);
    round_trip(PKI "leaf-p256.sec1.key", PKI "leaf-p256.pem", MT_HASH_SHA256, 0);
    round_trip(PKI "leaf-p384.key", PKI "leaf-p384.pem", MT_HASH_SHA384, 0);
    round_trip(PKI "leaf-p521.key", PKI "leaf-p521.pem", MT_HASH_SHA512, 0);
}

int main(void)
{
    RUN(test_private_keys_load_and_match);
    RUN(test_key_mismatch);
    RUN(test_public_keys);
    RUN(test_unsupported_and_invalid);
    RUN(test_sign_verify_round_trips);
    return test_summary();
}
