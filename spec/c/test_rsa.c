/*
 * Tests for lib/crypto/rsa: key import/export, PKCS#1 v1.5 and PSS known answers (RFC 8448
 * section 3 and OpenSSL-made fixtures), strict verification, PKCS#1 v1.5 encryption and
 * the TLS pre-master secret decryption with implicit rejection (RFC 5246 7.4.7.1).
 *
 * Fixtures: rsa-rfc8448.txt (rsa-rfc8448-convert.py), rsa-2048*.der and rsa-openssl.txt
 * (rsa-openssl-gen.sh, which lists the openssl commands).
 *
 * Timing independence of the padding check is tested ctgrind-style: under valgrind the
 * decrypted block is marked undefined before mt_rsa_pms_from_em, so any branch or memory
 * index that depends on it is a memcheck error (and fails the valgrind run). This covers
 * the padding check only; the bignum arithmetic before it is not constant-time (rsa.c).
 *
 * MT_RSA_BENCH=1 prints RSA-2048 sign/verify CPU times (getrusage).
 */
#include "../../lib/buf/buf.h"
#include "../../lib/crypto/rsa.h"
#include "../../lib/moontls.h"
#include "test.h"

#include <sys/resource.h>
#include <valgrind/memcheck.h>

static int quick(void)
{
    return getenv("MT_TEST_QUICK") != NULL;
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    uint8_t *buf = malloc(1 << 16);
    *n = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static mt_rsa_key *load_der(const char *path)
{
    size_t n;
    uint8_t *der = read_file(path, &n);
    mt_rsa_key *k = NULL;
    int rc = mt_rsa_import_der(&k, der, n);
    free(der);
    if (rc != 0) {
        fprintf(stderr, "import %s: %d\n", path, rc);
        exit(2);
    }
    return k;
}

static mt_hash_id hash_by_name(const char *s)
{
    if (strcmp(s, "md5sha1") == 0) return MT_HASH_NONE;
    if (strcmp(s, "sha1") == 0) return MT_HASH_SHA1;
    if (strcmp(s, "sha224") == 0) return MT_HASH_SHA224;
    if (strcmp(s, "sha256") == 0) return MT_HASH_SHA256;
    if (strcmp(s, "sha384") == 0) return MT_HASH_SHA384;
    if (strcmp(s, "sha512") == 0) return MT_HASH_SHA512;
    fprintf(stderr, "unknown hash %s\n", s);
    exit(2);
}

/* Digest as the signature schemes take it; MT_HASH_NONE is MD5 || SHA-1 (TLS 1.0/1.1). */
static size_t digest_of(mt_hash_id h, const uint8_t *msg, size_t len, uint8_t *out)
{
    if (h == MT_HASH_NONE) {
        mt_hash(MT_HASH_MD5, msg, len, out);
        mt_hash(MT_HASH_SHA1, msg, len, out + 16);
        return 36;
    }
    mt_hash(h, msg, len, out);
    return mt_hash_len(h);
}

/* ---- a pinned rng: serves fixed bytes for one purpose, a seeded stream otherwise,
 * and counts what was drawn for each purpose ---- */

typedef struct {
    const char *pin_purpose;
    const uint8_t *pin;
    size_t pin_len;
    int pin_used, pin_bad;
    mt_rng_seeded seeded;
    mt_rng inner;
    size_t blinding_bytes, salt_bytes, padding_bytes, other_bytes;
    int fail; /* when set, every draw fails */
} test_rng;

static int test_rng_fn(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    test_rng *t = ud;
    if (t->fail) return MT_ERR_CRYPTO;
    if (strcmp(purpose, "rsa_blinding") == 0)
        t->blinding_bytes += n;
    else if (strcmp(purpose, "pss_salt") == 0)
        t->salt_bytes += n;
    else if (strcmp(purpose, "rsa_padding") == 0)
        t->padding_bytes += n;
    else
        t->other_bytes += n;
    if (t->pin_purpose && strcmp(purpose, t->pin_purpose) == 0) {
        if (n != t->pin_len || t->pin_used) {
            t->pin_bad = 1;
            return MT_ERR_CRYPTO;
        }
        memcpy(out, t->pin, n);
        t->pin_used = 1;
        return 0;
    }
    return mt_rng_bytes(&t->inner, purpose, out, n);
}

static mt_rng test_rng_init(test_rng *t, const char *seed)
{
    memset(t, 0, sizeof *t);
    t->inner = mt_rng_seeded_init(&t->seeded, (const uint8_t *)seed, strlen(seed));
    mt_rng r = {test_rng_fn, t};
    return r;
}

/* ---- RFC 8448 section 3 ---- */

static mt_rsa_key *rfc8448_key(const vec_file *v, int with_private)
{
    size_t l[8];
    const char *names[8] = {"n", "e", "d", "p", "q", "dp", "dq", "qinv"};
    uint8_t *b[8];
    for (int i = 0; i < 8; i++)
        b[i] = vec_hex(v, names[i], &l[i]);
    mt_rsa_key *k = NULL;
    int rc;
    if (with_private)
        rc = mt_rsa_import_raw(&k, b[0], l[0], b[1], l[1], b[2], l[2], b[3], l[3], b[4], l[4], b[5],
                               l[5], b[6], l[6], b[7], l[7]);
    else
        rc = mt_rsa_import_raw(&k, b[0], l[0], b[1], l[1], NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL,
                               0, NULL, 0);
    for (int i = 0; i < 8; i++)
        free(b[i]);
    CHECK_EQ(rc, 0);
    return k;
}

static void test_rfc8448_pss_known_answer(void)
{
    vec_file v;
    if (!vec_open(&v, "spec/fixtures/rsa-rfc8448.txt") || !vec_next(&v)) {
        CHECK(0);
        return;
    }
    mt_rsa_key *priv = rfc8448_key(&v, 1), *pub = rfc8448_key(&v, 0);
    CHECK(priv && pub);
    if (!priv || !pub) goto out;
    CHECK_EQ(mt_rsa_size(priv), 128);
    CHECK(mt_rsa_is_private(priv));
    CHECK(!mt_rsa_is_private(pub));

    /* RFC 8446 4.4.3: the transcript hash covers ClientHello .. Certificate. */
    const char *msgs[] = {"client_hello", "server_hello", "encrypted_extensions",
                          "server_certificate"};
    mt_hash_ctx th;
    CHECK_EQ(mt_hash_init(&th, MT_HASH_SHA256), 0);
    for (size_t i = 0; i < 4; i++) {
        size_t n;
        uint8_t *m = vec_hex(&v, msgs[i], &n);
        mt_hash_update(&th, m, n);
        free(m);
    }
    uint8_t hash[32];
    mt_hash_final(&th, hash);
    size_t want_th_len, salt_len, sig_want_len;
    uint8_t *want_th = vec_hex(&v, "transcript_hash", &want_th_len);
    CHECK_MEM(hash, want_th, 32);

    /* RFC 8446 4.4.3: 64 spaces || context string || 0x00 || transcript hash. */
    static const char label[] = "TLS 1.3, server CertificateVerify";
    uint8_t content[64 + sizeof label + 32];
    memset(content, 0x20, 64);
    memcpy(content + 64, label, sizeof label); /* includes the 0x00 separator */
    memcpy(content + 64 + sizeof label, hash, 32);
    uint8_t digest[32];
    mt_hash(MT_HASH_SHA256, content, sizeof content, digest);

    uint8_t *salt = vec_hex(&v, "salt", &salt_len);
    uint8_t *sig_want = vec_hex(&v, "signature", &sig_want_len);
    test_rng t;
    mt_rng r = test_rng_init(&t, "rfc8448");
    t.pin_purpose = "pss_salt", t.pin = salt, t.pin_len = salt_len;
    uint8_t sig[128];
    size_t sig_len = 0;
    CHECK_EQ(mt_rsa_sign_pss(priv, MT_HASH_SHA256, digest, 32, 32, &r, sig, &sig_len), 0);
    CHECK(t.pin_used && !t.pin_bad);
    CHECK_EQ(sig_len, sig_want_len);
    CHECK_MEM(sig, sig_want, 128);
    CHECK(t.blinding_bytes > 0); /* the private operation drew its blinding from r */

    CHECK_EQ(mt_rsa_verify_pss(pub, MT_HASH_SHA256, digest, 32, 32, sig_want, 128), 0);
    CHECK_EQ(mt_rsa_verify_pss(pub, MT_HASH_SHA256, digest, 32, 20, sig_want, 128), MT_ERR_VERIFY);
    sig[77] ^= 0x01;
    CHECK_EQ(mt_rsa_verify_pss(pub, MT_HASH_SHA256, digest, 32, 32, sig, 128), MT_ERR_VERIFY);
    digest[0] ^= 0x80;
    CHECK_EQ(mt_rsa_verify_pss(pub, MT_HASH_SHA256, digest, 32, 32, sig_want, 128), MT_ERR_VERIFY);

    /* The exported SubjectPublicKeyInfo imports back as the same public key. */
    mt_buf der = {0};
    CHECK_EQ(mt_rsa_export_public_der(priv, &der), 0);
    mt_rsa_key *again = NULL;
    CHECK_EQ(mt_rsa_import_der(&again, der.data, der.len), 0);
    digest[0] ^= 0x80;
    if (again) {
        CHECK(!mt_rsa_is_private(again));
        CHECK_EQ(mt_rsa_verify_pss(again, MT_HASH_SHA256, digest, 32, 32, sig_want, 128), 0);
    }
    mt_rsa_free(again);
    mt_buf_free(&der);
    mt_rng_seeded_wipe(&t.seeded);
    free(want_th);
    free(salt);
    free(sig_want);
out:
    mt_rsa_free(priv);
    mt_rsa_free(pub);
    vec_close(&v);
}

/* ---- DER import and export ---- */

static void test_import_der_forms(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    mt_rsa_key *spki = load_der("spec/fixtures/rsa-2048-spki.der");
    mt_rsa_key *p1 = load_der("spec/fixtures/rsa-2048-pkcs1pub.der");
    CHECK_EQ(mt_rsa_size(priv), 256);
    CHECK_EQ(mt_rsa_size(spki), 256);
    CHECK_EQ(mt_rsa_size(p1), 256);
    CHECK(mt_rsa_is_private(priv));
    CHECK(!mt_rsa_is_private(spki));
    CHECK(!mt_rsa_is_private(p1));

    /* Our SPKI export is byte for byte OpenSSL's, from either kind of key. */
    size_t want_len;
    uint8_t *want = read_file("spec/fixtures/rsa-2048-spki.der", &want_len);
    mt_rsa_key *ks[] = {priv, spki, p1};
    for (size_t i = 0; i < 3; i++) {
        mt_buf der = {0};
        CHECK_EQ(mt_rsa_export_public_der(ks[i], &der), 0);
        CHECK_EQ(der.len, want_len);
        if (der.len == want_len) CHECK_MEM(der.data, want, want_len);
        mt_buf_free(&der);
    }

    /* Every truncation of the DER is refused, with decode_error. */
    mt_rsa_key *k = NULL;
    int bad = 0;
    for (size_t n = 0; n < want_len; n++) {
        int rc = mt_rsa_import_der(&k, want, n);
        if (rc != MT_ERR_DECODE || k != NULL) bad++;
        mt_rsa_free(k);
        k = NULL;
    }
    CHECK_EQ(bad, 0);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    CHECK_EQ(mt_rsa_import_der(&k, junk, sizeof junk), MT_ERR_DECODE);
    CHECK(k == NULL);
    free(want);
    mt_rsa_free(priv);
    mt_rsa_free(spki);
    mt_rsa_free(p1);
    mt_rsa_free(NULL);
}

static void test_import_raw_rejects(void)
{
    vec_file v;
    if (!vec_open(&v, "spec/fixtures/rsa-rfc8448.txt") || !vec_next(&v)) {
        CHECK(0);
        return;
    }
    size_t nl, el, dl, pl, ql, dpl, dql, qil;
    uint8_t *n = vec_hex(&v, "n", &nl), *e = vec_hex(&v, "e", &el), *d = vec_hex(&v, "d", &dl);
    uint8_t *p = vec_hex(&v, "p", &pl), *q = vec_hex(&v, "q", &ql);
    uint8_t *dp = vec_hex(&v, "dp", &dpl), *dq = vec_hex(&v, "dq", &dql);
    uint8_t *qi = vec_hex(&v, "qinv", &qil);
    mt_rsa_key *k = NULL;
    /* private without its CRT values */
    CHECK_EQ(mt_rsa_import_raw(&k, n, nl, e, el, d, dl, p, pl, q, ql, NULL, 0, dq, dql, qi, qil),
             MT_ERR_BAD_PARAM);
    /* CRT values of another key: p and q swapped with dp/dq makes p q != n */
    CHECK_EQ(mt_rsa_import_raw(&k, n, nl, e, el, d, dl, dp, dpl, q, ql, dp, dpl, dq, dql, qi, qil),
             MT_ERR_BAD_PARAM);
    /* even modulus */
    n[nl - 1] ^= 1;
    CHECK_EQ(
        mt_rsa_import_raw(&k, n, nl, e, el, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0),
        MT_ERR_BAD_PARAM);
    n[nl - 1] ^= 1;
    /* a 256-bit modulus is below MT_RSA_MIN_BITS */
    CHECK_EQ(
        mt_rsa_import_raw(&k, n, 32, e, el, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0),
        MT_ERR_UNSUPPORTED);
    /* e = 1 */
    static const uint8_t one = 1;
    CHECK_EQ(
        mt_rsa_import_raw(&k, n, nl, &one, 1, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0),
        MT_ERR_BAD_PARAM);
    CHECK(k == NULL);
    uint8_t *all[] = {n, e, d, p, q, dp, dq, qi};
    for (size_t i = 0; i < 8; i++)
        free(all[i]);
    vec_close(&v);
}

/* ---- OpenSSL known answers ---- */

static void test_openssl_pkcs1_known_answers(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    mt_rsa_key *pub = load_der("spec/fixtures/rsa-2048-spki.der");
    vec_file v;
    int blocks = 0;
    CHECK(vec_open(&v, "spec/fixtures/rsa-openssl.txt"));
    while (vec_next(&v)) {
        if (strcmp(vec_get(&v, "kind"), "pkcs1") != 0) continue;
        mt_hash_id h = hash_by_name(vec_get(&v, "hash"));
        size_t ml, sl;
        uint8_t *msg = vec_hex(&v, "msg", &ml), *want = vec_hex(&v, "sig", &sl);
        uint8_t dg[64], sig[256];
        size_t dl = digest_of(h, msg, ml, dg), sig_len = 0;
        test_rng t;
        mt_rng r = test_rng_init(&t, vec_get(&v, "hash"));
        /* PKCS#1 v1.5 is deterministic: ours equals OpenSSL's whatever the blinding. */
        CHECK_EQ(mt_rsa_sign_pkcs1(priv, h, dg, dl, &r, sig, &sig_len), 0);
        CHECK_EQ(sig_len, sl);
        CHECK_MEM(sig, want, 256);
        CHECK(t.blinding_bytes > 0 && t.salt_bytes == 0);
        CHECK_EQ(mt_rsa_verify_pkcs1(pub, h, dg, dl, want, sl), 0);
        CHECK_EQ(mt_rsa_verify_pkcs1(priv, h, dg, dl, want, sl), 0);
        /* wrong digest, corrupted signature, wrong lengths */
        dg[dl - 1] ^= 1;
        CHECK_EQ(mt_rsa_verify_pkcs1(pub, h, dg, dl, want, sl), MT_ERR_VERIFY);
        dg[dl - 1] ^= 1;
        want[100] ^= 0x40;
        CHECK_EQ(mt_rsa_verify_pkcs1(pub, h, dg, dl, want, sl), MT_ERR_VERIFY);
        want[100] ^= 0x40;
        CHECK_EQ(mt_rsa_verify_pkcs1(pub, h, dg, dl, want, sl - 1), MT_ERR_VERIFY);
        CHECK_EQ(mt_rsa_verify_pkcs1(pub, h, dg, dl - 1, want, sl), MT_ERR_BAD_PARAM);
        mt_rng_seeded_wipe(&t.seeded);
        free(msg);
        free(want);
        blocks++;
    }
    vec_close(&v);
    CHECK_EQ(blocks, 6); /* SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, MD5||SHA-1 */
    mt_rsa_free(priv);
    mt_rsa_free(pub);
}

static void test_openssl_pss(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    mt_rsa_key *pub = load_der("spec/fixtures/rsa-2048-spki.der");
    vec_file v;
    int blocks = 0;
    CHECK(vec_open(&v, "spec/fixtures/rsa-openssl.txt"));
    while (vec_next(&v)) {
        if (strcmp(vec_get(&v, "kind"), "pss") != 0) continue;
        mt_hash_id h = hash_by_name(vec_get(&v, "hash"));
        size_t salt = (size_t)atoi(vec_get(&v, "salt_len"));
        size_t ml, sl;
        uint8_t *msg = vec_hex(&v, "msg", &ml), *want = vec_hex(&v, "sig", &sl);
        uint8_t dg[64], sig[256];
        size_t dl = digest_of(h, msg, ml, dg), sig_len = 0;
        CHECK_EQ(mt_rsa_verify_pss(pub, h, dg, dl, salt, want, sl), 0);
        /* the salt length is part of what is verified */
        if (salt > 0)
            CHECK_EQ(mt_rsa_verify_pss(pub, h, dg, dl, salt - 1, want, sl), MT_ERR_VERIFY);
        if (salt + dl + 2 < 256)
            CHECK_EQ(mt_rsa_verify_pss(pub, h, dg, dl, salt + 1, want, sl), MT_ERR_VERIFY);
        else
            CHECK_EQ(mt_rsa_verify_pss(pub, h, dg, dl, salt + 1, want, sl), MT_ERR_BAD_PARAM);
        want[sl - 1] ^= 1;
        CHECK_EQ(mt_rsa_verify_pss(pub, h, dg, dl, salt, want, sl), MT_ERR_VERIFY);
        want[sl - 1] ^= 1;
        dg[0] ^= 1;
        CHECK_EQ(mt_rsa_verify_pss(pub, h, dg, dl, salt, want, sl), MT_ERR_VERIFY);
        dg[0] ^= 1;
        /* ours, same parameters: verifies, and draws exactly salt bytes of salt */
        test_rng t;
        mt_rng r = test_rng_init(&t, vec_get(&v, "msg"));
        CHECK_EQ(mt_rsa_sign_pss(priv, h, dg, dl, salt, &r, sig, &sig_len), 0);
        CHECK_EQ(sig_len, 256);
        CHECK_EQ(t.salt_bytes, salt);
        CHECK_EQ(mt_rsa_verify_pss(pub, h, dg, dl, salt, sig, sig_len), 0);
        mt_rng_seeded_wipe(&t.seeded);
        free(msg);
        free(want);
        blocks++;
    }
    vec_close(&v);
    CHECK_EQ(blocks, 8);
    mt_rsa_free(priv);
    mt_rsa_free(pub);
}

/* modBits = 1 mod 8 (RFC 8017 8.1.1: emLen = ceil((modBits - 1) / 8) = k - 1). */
static void test_pss_odd_modulus(void)
{
    mt_rsa_key *k = load_der("spec/fixtures/rsa-1025.der");
    CHECK_EQ(mt_rsa_size(k), 129);
    vec_file v;
    int blocks = 0;
    CHECK(vec_open(&v, "spec/fixtures/rsa-1025.txt"));
    while (vec_next(&v)) {
        mt_hash_id h = hash_by_name(vec_get(&v, "hash"));
        size_t salt = (size_t)atoi(vec_get(&v, "salt_len"));
        size_t ml, sl;
        uint8_t *msg = vec_hex(&v, "msg", &ml), *want = vec_hex(&v, "sig", &sl);
        uint8_t dg[64], sig[129];
        size_t dl = digest_of(h, msg, ml, dg), sig_len = 0;
        CHECK_EQ(sl, 129);
        CHECK_EQ(mt_rsa_verify_pss(k, h, dg, dl, salt, want, sl), 0);
        dg[1] ^= 4;
        CHECK_EQ(mt_rsa_verify_pss(k, h, dg, dl, salt, want, sl), MT_ERR_VERIFY);
        dg[1] ^= 4;
        test_rng t;
        mt_rng r = test_rng_init(&t, "1025");
        CHECK_EQ(mt_rsa_sign_pss(k, h, dg, dl, salt, &r, sig, &sig_len), 0);
        CHECK_EQ(sig_len, 129);
        CHECK_EQ(mt_rsa_verify_pss(k, h, dg, dl, salt, sig, sig_len), 0);
        /* the encoded message is 128 bytes: s^e's leading byte is zero */
        uint8_t em[129];
        CHECK_EQ(mt_rsa_public_raw(k, sig, 129, em), 0);
        CHECK_EQ(em[0], 0);
        CHECK_EQ(em[128], 0xbc);
        mt_rng_seeded_wipe(&t.seeded);
        free(msg);
        free(want);
        blocks++;
    }
    vec_close(&v);
    CHECK_EQ(blocks, 3);
    mt_rsa_free(k);
}

/* ---- strict PKCS#1 v1.5 verification ---- */

/* EM = 00 01 FF*ps 00 || body; body gets the rest. Signs it with the raw private op. */
static void forge(const mt_rsa_key *priv, const uint8_t *em, uint8_t *sig)
{
    test_rng t;
    mt_rng r = test_rng_init(&t, "forge");
    CHECK_EQ(mt_rsa_private_raw(priv, em, 256, &r, sig), 0);
    mt_rng_seeded_wipe(&t.seeded);
}

static void test_pkcs1_verify_is_strict(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    mt_rsa_key *pub = load_der("spec/fixtures/rsa-2048-spki.der");
    static const uint8_t di256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    /* The same DigestInfo without the NULL parameters (30 2f 30 0b 06 09 OID 04 20). */
    static const uint8_t di256_noparam[] = {0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
                                            0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20};
    /* Long-form lengths (BER, not DER): 30 81 31 30 0d ... 04 81 20 */
    static const uint8_t di256_long[] = {0x30, 0x81, 0x32, 0x30, 0x0d, 0x06, 0x09,
                                         0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                                         0x02, 0x01, 0x05, 0x00, 0x04, 0x81, 0x20};
    uint8_t dg[32], em[256], sig[256];
    mt_hash(MT_HASH_SHA256, "strict", 6, dg);

    enum { GOOD, NOPARAM, LONGFORM, TRAILING, NON_FF, SHORT_PS, BT2, LEAD1, WRONG_OID, GARBAGE };
    for (int c = GOOD; c <= GARBAGE; c++) {
        const uint8_t *di = di256;
        size_t di_len = sizeof di256, trailing = 0;
        if (c == NOPARAM) di = di256_noparam, di_len = sizeof di256_noparam;
        if (c == LONGFORM) di = di256_long, di_len = sizeof di256_long;
        if (c == TRAILING || c == GARBAGE) trailing = 4;
        size_t ps = 256 - 3 - di_len - 32 - trailing;
        if (c == SHORT_PS) ps = 7; /* digest info then moved left, garbage at the end */
        memset(em, 0xab, sizeof em);
        em[0] = 0x00;
        em[1] = 0x01;
        memset(em + 2, 0xff, ps);
        em[2 + ps] = 0x00;
        memcpy(em + 3 + ps, di, di_len);
        memcpy(em + 3 + ps + di_len, dg, 32);
        if (c == NON_FF) em[50] = 0xfe;
        if (c == BT2) em[1] = 0x02;
        if (c == LEAD1) em[0] = 0x01;
        if (c == WRONG_OID) em[3 + ps + 18 - 4] = 0x02; /* SHA-384's OID, SHA-256 length */
        if (c == GARBAGE) {
            /* Bleichenbacher 2006: 00 01 FF 00 DigestInfo H garbage, for e = 3 style
             * forgeries; the hash sits right after a short PS and junk fills the end. */
            memset(em + 2, 0xff, 256 - 2);
            em[2 + 8] = 0x00;
            memcpy(em + 11, di256, sizeof di256);
            memcpy(em + 11 + sizeof di256, dg, 32);
        }
        forge(priv, em, sig);
        int want = c == GOOD ? 0 : MT_ERR_VERIFY;
        int got = mt_rsa_verify_pkcs1(pub, MT_HASH_SHA256, dg, 32, sig, 256);
        if (got != want) fprintf(stderr, "  case %d\n", c);
        CHECK_EQ(got, want);
    }

    /* s >= n is invalid, never reduced: n itself and all-ones */
    mt_buf der = {0};
    CHECK_EQ(mt_rsa_export_public_der(pub, &der), 0);
    /* SPKI of a 2048-bit key: the modulus is the 256 bytes after "02 82 01 01 00". */
    const uint8_t *n = NULL;
    for (size_t i = 0; i + 5 + 256 <= der.len; i++)
        if (memcmp(der.data + i, "\x02\x82\x01\x01\x00", 5) == 0) {
            n = der.data + i + 5;
            break;
        }
    CHECK(n != NULL);
    if (n) CHECK_EQ(mt_rsa_verify_pkcs1(pub, MT_HASH_SHA256, dg, 32, n, 256), MT_ERR_VERIFY);
    memset(sig, 0xff, sizeof sig);
    CHECK_EQ(mt_rsa_verify_pkcs1(pub, MT_HASH_SHA256, dg, 32, sig, 256), MT_ERR_VERIFY);
    CHECK_EQ(mt_rsa_public_raw(pub, sig, 256, em), MT_ERR_BAD_PARAM);
    mt_buf_free(&der);
    mt_rsa_free(priv);
    mt_rsa_free(pub);
}

static void test_sign_errors(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    mt_rsa_key *pub = load_der("spec/fixtures/rsa-2048-spki.der");
    uint8_t dg[64] = {0}, sig[256];
    size_t sl;
    test_rng t;
    mt_rng r = test_rng_init(&t, "errors");
    CHECK_EQ(mt_rsa_sign_pkcs1(pub, MT_HASH_SHA256, dg, 32, &r, sig, &sl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_rsa_sign_pss(pub, MT_HASH_SHA256, dg, 32, 32, &r, sig, &sl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_rsa_sign_pkcs1(priv, MT_HASH_NONE, dg, 32, &r, sig, &sl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_rsa_sign_pss(priv, MT_HASH_NONE, dg, 36, 0, &r, sig, &sl), MT_ERR_BAD_PARAM);
    /* RFC 8017 9.1.1: emLen >= hLen + sLen + 2 (256 - 64 - 2 = 190 is the largest) */
    CHECK_EQ(mt_rsa_sign_pss(priv, MT_HASH_SHA512, dg, 64, 191, &r, sig, &sl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_rsa_sign_pss(priv, MT_HASH_SHA512, dg, 64, 190, &r, sig, &sl), 0);
    CHECK_EQ(mt_rsa_verify_pss(pub, MT_HASH_SHA512, dg, 64, 190, sig, sl), 0);
    /* a failing rng fails the operation and writes no signature */
    t.fail = 1;
    memset(sig, 0x5a, sizeof sig);
    CHECK(mt_rsa_sign_pkcs1(priv, MT_HASH_SHA256, dg, 32, &r, sig, &sl) != 0);
    CHECK(mt_rsa_sign_pss(priv, MT_HASH_SHA256, dg, 32, 32, &r, sig, &sl) != 0);
    uint8_t zero[256] = {0};
    CHECK_MEM(sig, zero, 256);
    mt_rng_seeded_wipe(&t.seeded);
    mt_rsa_free(priv);
    mt_rsa_free(pub);
}

/* ---- encryption and the pre-master secret ---- */

static void test_openssl_ciphertexts(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    vec_file v;
    int blocks = 0;
    uint8_t fallback[48], pms[48];
    for (int i = 0; i < 48; i++)
        fallback[i] = (uint8_t)(0xf0 ^ i);
    CHECK(vec_open(&v, "spec/fixtures/rsa-openssl.txt"));
    while (vec_next(&v)) {
        if (strcmp(vec_get(&v, "kind"), "encrypt") != 0) continue;
        size_t pl, cl;
        uint8_t *pt = vec_hex(&v, "pt", &pl), *ct = vec_hex(&v, "ct", &cl);
        int valid = atoi(vec_get(&v, "valid")), nover = atoi(vec_get(&v, "valid_nover"));
        CHECK_EQ(mt_rsa_decrypt_pms(priv, ct, cl, 0x0303, 1, fallback, pms), 0);
        CHECK_MEM(pms, valid ? pt : fallback, 48);
        CHECK_EQ(mt_rsa_decrypt_pms(priv, ct, cl, 0x0303, 0, fallback, pms), 0);
        CHECK_MEM(pms, nover ? pt : fallback, 48);
        free(pt);
        free(ct);
        blocks++;
    }
    vec_close(&v);
    CHECK_EQ(blocks, 5);
    mt_rsa_free(priv);
}

static void test_encrypt_round_trip(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    mt_rsa_key *pub = load_der("spec/fixtures/rsa-2048-spki.der");
    uint8_t pms[48], got[48], fallback[48], ct[256], ct2[256], em[256];
    size_t cl;
    memset(fallback, 0x77, sizeof fallback);
    test_rng t, t2;
    mt_rng r = test_rng_init(&t, "enc"), r2 = test_rng_init(&t2, "enc");
    CHECK_EQ(mt_rng_bytes(&r, "pms", pms, 48), 0);
    pms[0] = 0x03, pms[1] = 0x01;
    CHECK_EQ(mt_rsa_encrypt_pkcs1(pub, pms, 48, &r, ct, &cl), 0);
    CHECK_EQ(cl, 256);
    CHECK(t.padding_bytes >= 256 - 3 - 48);
    CHECK_EQ(mt_rsa_decrypt_pms_rng(priv, ct, cl, 0x0301, 1, fallback, &r, got), 0);
    CHECK_MEM(got, pms, 48);
    /* The block really is 00 02 || non-zero PS || 00 || M. */
    CHECK_EQ(mt_rsa_private_raw(priv, ct, 256, &r, em), 0);
    CHECK(em[0] == 0 && em[1] == 2 && em[256 - 49] == 0);
    int zeros = 0;
    for (int i = 2; i < 256 - 49; i++)
        zeros += em[i] == 0;
    CHECK_EQ(zeros, 0);
    CHECK_MEM(em + 256 - 48, pms, 48);
    /* Same rng stream, same ciphertext; the padding is random, not fixed. */
    mt_rng_bytes(&r2, "pms", got, 48);
    CHECK_EQ(mt_rsa_encrypt_pkcs1(pub, pms, 48, &r2, ct2, &cl), 0);
    CHECK_MEM(ct2, ct, 256);
    CHECK_EQ(mt_rsa_encrypt_pkcs1(pub, pms, 48, &r2, ct2, &cl), 0);
    CHECK(memcmp(ct2, ct, 256) != 0);
    /* RFC 8017 7.2.1: mLen <= k - 11 */
    uint8_t big[246] = {0};
    CHECK_EQ(mt_rsa_encrypt_pkcs1(pub, big, 246, &r, ct2, &cl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_rsa_encrypt_pkcs1(pub, big, 245, &r, ct2, &cl), 0);
    mt_rng_seeded_wipe(&t.seeded);
    mt_rng_seeded_wipe(&t2.seeded);
    mt_rsa_free(priv);
    mt_rsa_free(pub);
}

/* Crafted blocks, encrypted with the raw public operation: each bad one yields the
 * fallback and status 0, exactly like a good one yields the real PMS. */
static void test_pms_implicit_rejection(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    mt_rsa_key *pub = load_der("spec/fixtures/rsa-2048-spki.der");
    enum { OK, LEAD, BT1, BT0, SHORT_PS, NO_SEP, PMS47, PMS49, BAD_MAJOR, BAD_MINOR, NCASES };
    static const char *names[] = {"ok",     "lead",  "bt1",   "bt0",       "short_ps",
                                  "no_sep", "pms47", "pms49", "bad_major", "bad_minor"};
    uint8_t em[256], ct[256], pms[48], fallback[48], real[48];
    test_rng t;
    mt_rng r = test_rng_init(&t, "bleichenbacher");
    mt_rng_bytes(&r, "fallback", fallback, 48);
    for (int c = OK; c < NCASES; c++) {
        /* 00 02 || PS (non-zero) || 00 || 03 03 || 46 random */
        mt_rng_bytes(&r, "em", em, 256);
        for (int i = 2; i < 256; i++)
            if (em[i] == 0) em[i] = 0x42;
        em[0] = 0x00;
        em[1] = 0x02;
        em[256 - 49] = 0x00;
        em[256 - 48] = 0x03;
        em[256 - 47] = 0x03;
        if (c == LEAD) em[0] = 0x01;
        if (c == BT1) em[1] = 0x01;
        if (c == BT0) em[1] = 0x00;
        if (c == SHORT_PS) em[2 + 7] = 0x00, em[256 - 49] = 0x11; /* 7 bytes of PS */
        if (c == NO_SEP) em[256 - 49] = 0x11;
        if (c == PMS47) em[256 - 49] = 0x11, em[256 - 48] = 0x00;
        if (c == PMS49) em[256 - 49] = 0x11, em[256 - 50] = 0x00;
        if (c == BAD_MAJOR) em[256 - 48] = 0x02;
        if (c == BAD_MINOR) em[256 - 47] = 0x01;
        memcpy(real, em + 256 - 48, 48);
        CHECK_EQ(mt_rsa_public_raw(pub, em, 256, ct), 0);
        memset(pms, 0, sizeof pms);
        int rc = mt_rsa_decrypt_pms_rng(priv, ct, 256, 0x0303, 1, fallback, &r, pms);
        CHECK_EQ(rc, 0);
        if (memcmp(pms, c == OK ? real : fallback, 48) != 0)
            fprintf(stderr, "  case %s\n", names[c]);
        CHECK_MEM(pms, c == OK ? real : fallback, 48);
        /* the same through the unblinded-block entry point */
        CHECK_EQ(mt_rsa_pms_from_em(em, 256, 0x0303, 1, fallback, pms), 0);
        CHECK_MEM(pms, c == OK ? real : fallback, 48);
        /* without the version check only the version cases change */
        CHECK_EQ(mt_rsa_pms_from_em(em, 256, 0x0303, 0, fallback, pms), 0);
        int ok_nover = c == OK || c == BAD_MAJOR || c == BAD_MINOR;
        CHECK_MEM(pms, ok_nover ? real : fallback, 48);
    }
    /* c >= n: status 0 and the fallback; a wrong length is public: decode_error */
    memset(ct, 0xff, sizeof ct);
    CHECK_EQ(mt_rsa_decrypt_pms(priv, ct, 256, 0x0303, 1, fallback, pms), 0);
    CHECK_MEM(pms, fallback, 48);
    CHECK_EQ(mt_rsa_decrypt_pms(priv, ct, 255, 0x0303, 1, fallback, pms), MT_ERR_DECODE);
    CHECK_EQ(mt_rsa_decrypt_pms(priv, ct, 257, 0x0303, 1, fallback, pms), MT_ERR_DECODE);
    CHECK_EQ(mt_rsa_decrypt_pms(pub, ct, 256, 0x0303, 1, fallback, pms), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_rsa_pms_from_em(em, 58, 0x0303, 1, fallback, pms), MT_ERR_BAD_PARAM);
    mt_rng_seeded_wipe(&t.seeded);
    mt_rsa_free(priv);
    mt_rsa_free(pub);
}

/* ctgrind: run the padding check with the block marked undefined. A branch or address
 * computed from it would be a memcheck error ("conditional jump depends on uninitialised
 * value"), counted here and failing the valgrind run. Outside valgrind this still runs the
 * cases, and the client requests are no-ops. */
static void test_pms_check_is_branch_free(void)
{
    uint8_t em[256], pms[48], fallback[48];
    memset(fallback, 0x33, sizeof fallback);
    int cases = 0;
    for (int c = 0; c < 7; c++) {
        memset(em, 0x5c, sizeof em);
        em[0] = 0, em[1] = 2, em[256 - 49] = 0, em[256 - 48] = 3, em[256 - 47] = 3;
        if (c == 1) em[1] = 1;
        if (c == 2) em[40] = 0;
        if (c == 3) em[256 - 49] = 7;
        if (c == 4) em[256 - 47] = 1;
        if (c == 5) em[0] = 0xff;
        if (c == 6) em[256 - 48] = 2; /* wrong version, not checked */
        int real = c == 0 || c == 6;
        unsigned before = VALGRIND_COUNT_ERRORS;
        VALGRIND_MAKE_MEM_UNDEFINED(em, sizeof em);
        int rc = mt_rsa_pms_from_em(em, sizeof em, 0x0303, c != 6, fallback, pms);
        VALGRIND_MAKE_MEM_DEFINED(em, sizeof em);
        VALGRIND_MAKE_MEM_DEFINED(pms, sizeof pms);
        CHECK_EQ(rc, 0);
        CHECK_EQ(VALGRIND_COUNT_ERRORS, before);
        CHECK(memcmp(pms, real ? em + 208 : fallback, 48) == 0);
        cases++;
    }
    CHECK_EQ(cases, 7);
    if (RUNNING_ON_VALGRIND) fprintf(stderr, "  (padding check ran under memcheck)\n");
}

/* ---- key generation ---- */

static void test_generate(void)
{
    if (quick()) return; /* RSA key generation is slow under valgrind */
    mt_rng_seeded s1, s2;
    mt_rng r1 = mt_rng_seeded_init(&s1, (const uint8_t *)"keygen", 6);
    mt_rng r2 = mt_rng_seeded_init(&s2, (const uint8_t *)"keygen", 6);
    mt_rsa_key *a = NULL, *b = NULL;
    CHECK_EQ(mt_rsa_generate(&a, 1024, &r1), 0);
    CHECK_EQ(mt_rsa_generate(&b, 1024, &r2), 0);
    mt_rsa_key *c = NULL;
    CHECK_EQ(mt_rsa_generate(&c, 1000, &r2), MT_ERR_BAD_PARAM);
    CHECK(c == NULL);
    if (!a) goto out;
    CHECK_EQ(mt_rsa_size(a), 128);
    CHECK(mt_rsa_is_private(a));
    /* the same seed gives the same key */
    mt_buf da = {0}, db = {0};
    mt_rsa_export_public_der(a, &da);
    if (b) mt_rsa_export_public_der(b, &db);
    CHECK(da.len == db.len && memcmp(da.data, db.data, da.len) == 0);
    uint8_t dg[32], sig[128], fallback[48] = {0}, pms[48], got[48], ct[128];
    size_t sl, cl;
    mt_hash(MT_HASH_SHA256, "gen", 3, dg);
    CHECK_EQ(mt_rsa_sign_pss(a, MT_HASH_SHA256, dg, 32, 32, &r1, sig, &sl), 0);
    CHECK_EQ(mt_rsa_verify_pss(a, MT_HASH_SHA256, dg, 32, 32, sig, sl), 0);
    CHECK_EQ(mt_rsa_sign_pkcs1(a, MT_HASH_SHA256, dg, 32, &r1, sig, &sl), 0);
    CHECK_EQ(mt_rsa_verify_pkcs1(a, MT_HASH_SHA256, dg, 32, sig, sl), 0);
    mt_rng_bytes(&r1, "pms", pms, 48);
    CHECK_EQ(mt_rsa_encrypt_pkcs1(a, pms, 48, &r1, ct, &cl), 0);
    CHECK_EQ(mt_rsa_decrypt_pms(a, ct, cl, 0, 0, fallback, got), 0);
    CHECK_MEM(got, pms, 48);
    mt_buf_free(&da);
    mt_buf_free(&db);
out:
    mt_rsa_free(a);
    mt_rsa_free(b);
    mt_rng_seeded_wipe(&s1);
    mt_rng_seeded_wipe(&s2);
}

/* ---- optional benchmark ---- */

static double cpu_ms(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec * 1e3 + (double)u.ru_utime.tv_usec / 1e3 +
           (double)u.ru_stime.tv_sec * 1e3 + (double)u.ru_stime.tv_usec / 1e3;
}

static void bench(void)
{
    mt_rsa_key *priv = load_der("spec/fixtures/rsa-2048.der");
    uint8_t dg[32] = {1}, sig[256], pms[48], fb[48] = {0}, ct[256];
    size_t sl, cl;
    mt_rng sys = mt_rng_system();
    int n = 200;
    double t0 = cpu_ms();
    for (int i = 0; i < n; i++)
        mt_rsa_sign_pkcs1(priv, MT_HASH_SHA256, dg, 32, &sys, sig, &sl);
    double t1 = cpu_ms();
    for (int i = 0; i < n * 10; i++)
        mt_rsa_verify_pkcs1(priv, MT_HASH_SHA256, dg, 32, sig, sl);
    double t2 = cpu_ms();
    for (int i = 0; i < n; i++)
        mt_rsa_sign_pss(priv, MT_HASH_SHA256, dg, 32, 32, &sys, sig, &sl);
    double t3 = cpu_ms();
    mt_rsa_encrypt_pkcs1(priv, pms, 48, &sys, ct, &cl);
    for (int i = 0; i < n; i++)
        mt_rsa_decrypt_pms(priv, ct, cl, 0, 0, fb, pms);
    double t4 = cpu_ms();
    printf("bench rsa2048: sign pkcs1 %.3f ms, verify %.4f ms, sign pss %.3f ms, "
           "decrypt_pms %.3f ms (CPU)\n",
           (t1 - t0) / n, (t2 - t1) / (n * 10), (t3 - t2) / n, (t4 - t3) / n);
    mt_rsa_free(priv);
}

int main(void)
{
    RUN(test_rfc8448_pss_known_answer);
    RUN(test_import_der_forms);
    RUN(test_import_raw_rejects);
    RUN(test_openssl_pkcs1_known_answers);
    RUN(test_openssl_pss);
    RUN(test_pss_odd_modulus);
    RUN(test_pkcs1_verify_is_strict);
    RUN(test_sign_errors);
    RUN(test_openssl_ciphertexts);
    RUN(test_encrypt_round_trip);
    RUN(test_pms_implicit_rejection);
    RUN(test_pms_check_is_branch_free);
    RUN(test_generate);
    if (getenv("MT_RSA_BENCH")) bench();
    return test_summary();
}
