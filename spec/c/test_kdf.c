/*
 * test_kdf.c - HKDF (RFC 5869 appendix A), HKDF-Expand-Label and Derive-Secret (RFC 8448
 * section 3 key schedule), the TLS 1.2 PRF (SHA-256 and SHA-384 vectors) and the TLS 1.0
 * PRF (published vector plus odd-length secrets), and parameter limits.
 */
#include "crypto/kdf.h"
#include "moontls.h"
#include "test.h"

static mt_hash_id hash_by_name(const char *name)
{
    if (strcmp(name, "sha256") == 0) return MT_HASH_SHA256;
    if (strcmp(name, "sha384") == 0) return MT_HASH_SHA384;
    if (strcmp(name, "sha1") == 0) return MT_HASH_SHA1;
    return MT_HASH_NONE;
}

static void test_hkdf_rfc5869(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/hkdf-rfc5869.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        mt_hash_id h = hash_by_name(vec_get(&v, "hash"));
        size_t il, sl, nl, pl, ol;
        uint8_t *ikm = vec_hex(&v, "ikm", &il), *salt = vec_hex(&v, "salt", &sl);
        uint8_t *info = vec_hex(&v, "info", &nl), *prk = vec_hex(&v, "prk", &pl);
        uint8_t *okm = vec_hex(&v, "okm", &ol);
        uint8_t got_prk[MT_HASH_MAX_LEN], got[512];
        CHECK_EQ(mt_hkdf_extract(h, sl ? salt : NULL, sl, ikm, il, got_prk), MT_OK);
        CHECK_MEM(got_prk, prk, pl);
        CHECK_EQ(mt_hkdf_expand(h, prk, pl, info, nl, got, ol), MT_OK);
        CHECK_MEM(got, okm, ol);
        /* A shorter output is a prefix of the longer one (T(1) || T(2) || ...). */
        CHECK_EQ(mt_hkdf_expand(h, prk, pl, info, nl, got, ol - 1), MT_OK);
        CHECK_MEM(got, okm, ol - 1);
        free(ikm);
        free(salt);
        free(info);
        free(prk);
        free(okm);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 3);
}

/* RFC 5869 2.2: an absent salt equals HashLen zero bytes. */
static void test_hkdf_empty_salt(void)
{
    uint8_t zeros[48] = {0}, a[48], b[48];
    const uint8_t ikm[] = "input keying material";
    CHECK_EQ(mt_hkdf_extract(MT_HASH_SHA384, NULL, 0, ikm, sizeof ikm, a), MT_OK);
    CHECK_EQ(mt_hkdf_extract(MT_HASH_SHA384, zeros, 48, ikm, sizeof ikm, b), MT_OK);
    CHECK_MEM(a, b, 48);
}

static void test_hkdf_limits(void)
{
    uint8_t prk[32] = {1}, out[256 * 32];
    /* RFC 5869 2.3: L <= 255 * HashLen. */
    CHECK_EQ(mt_hkdf_expand(MT_HASH_SHA256, prk, 32, NULL, 0, out, 255 * 32), MT_OK);
    CHECK_EQ(mt_hkdf_expand(MT_HASH_SHA256, prk, 32, NULL, 0, out, 255 * 32 + 1), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hkdf_expand(MT_HASH_NONE, prk, 32, NULL, 0, out, 16), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hkdf_extract(MT_HASH_NONE, NULL, 0, prk, 32, out), MT_ERR_BAD_PARAM);
    /* HkdfLabel: "tls13 " + label must fit 255 bytes, context 255 bytes. */
    uint8_t label[250], ctx[256];
    memset(label, 'a', sizeof label);
    memset(ctx, 'c', sizeof ctx);
    CHECK_EQ(mt_hkdf_expand_label(MT_HASH_SHA256, prk, label, 249, ctx, 255, out, 32), MT_OK);
    CHECK_EQ(mt_hkdf_expand_label(MT_HASH_SHA256, prk, label, 250, ctx, 0, out, 32),
             MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hkdf_expand_label(MT_HASH_SHA256, prk, label, 4, ctx, 256, out, 32),
             MT_ERR_BAD_PARAM);
    /* An empty label is allowed (a script may send what a strict peer refuses). */
    CHECK_EQ(mt_hkdf_expand_label(MT_HASH_SHA256, prk, NULL, 0, NULL, 0, out, 32), MT_OK);
}

/* The HkdfLabel encoding is checked byte for byte against plain HKDF-Expand. */
static void test_expand_label_encoding(void)
{
    uint8_t secret[32], a[40], b[40];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)(0xa0 + i);
    const uint8_t info[] = {0x00, 40, 9, 't', 'l', 's', '1', '3', ' ', 'k', 'e', 'y', 3, 1, 2, 3};
    const uint8_t ctx[] = {1, 2, 3};
    CHECK_EQ(mt_hkdf_expand_label(MT_HASH_SHA256, secret, (const uint8_t *)"key", 3, ctx, 3, a, 40),
             MT_OK);
    CHECK_EQ(mt_hkdf_expand(MT_HASH_SHA256, secret, 32, info, sizeof info, b, 40), MT_OK);
    CHECK_MEM(a, b, 40);
}

static void test_rfc8448_schedule(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/hkdf-rfc8448.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        const char *op = vec_get(&v, "op");
        size_t ol;
        uint8_t *want = vec_hex(&v, "out", &ol);
        uint8_t got[64];
        if (strcmp(op, "extract") == 0) {
            size_t sl, il;
            uint8_t *salt = vec_hex(&v, "salt", &sl), *ikm = vec_hex(&v, "ikm", &il);
            CHECK_EQ(mt_hkdf_extract(MT_HASH_SHA256, salt, sl, ikm, il, got), MT_OK);
            CHECK_MEM(got, want, ol);
            free(salt);
            free(ikm);
        } else if (strcmp(op, "derive_secret") == 0) {
            size_t sl, tl;
            uint8_t *secret = vec_hex(&v, "secret", &sl), *th = vec_hex(&v, "thash", &tl);
            CHECK_EQ(tl, 32);
            CHECK_EQ(mt_derive_secret(MT_HASH_SHA256, secret, vec_get(&v, "label"), th, got),
                     MT_OK);
            CHECK_MEM(got, want, ol);
            free(secret);
            free(th);
        } else {
            size_t sl, cl;
            uint8_t *secret = vec_hex(&v, "secret", &sl), *ctx = vec_hex(&v, "context", &cl);
            const char *label = vec_get(&v, "label");
            CHECK_EQ(mt_hkdf_expand_label(MT_HASH_SHA256, secret, (const uint8_t *)label,
                                          strlen(label), ctx, cl, got, ol),
                     MT_OK);
            CHECK_MEM(got, want, ol);
            free(secret);
            free(ctx);
        }
        free(want);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 22);
}

static void run_prf_file(const char *path, int tls12, int expect)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, path)) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        size_t sl, dl, ol;
        uint8_t *secret = vec_hex(&v, "secret", &sl), *seed = vec_hex(&v, "seed", &dl);
        uint8_t *want = vec_hex(&v, "out", &ol);
        uint8_t *got = malloc(ol);
        const char *label = vec_get(&v, "label");
        int rc = tls12 ? mt_prf_tls12(hash_by_name(vec_get(&v, "hash")), secret, sl, label, seed,
                                      dl, got, ol)
                       : mt_prf_tls10(secret, sl, label, seed, dl, got, ol);
        CHECK_EQ(rc, MT_OK);
        CHECK_MEM(got, want, ol);
        /* Every shorter output is a prefix (no length-dependent state). */
        for (size_t k = 1; k < ol; k += 7) {
            memset(got, 0, ol);
            rc = tls12 ? mt_prf_tls12(hash_by_name(vec_get(&v, "hash")), secret, sl, label, seed,
                                      dl, got, k)
                       : mt_prf_tls10(secret, sl, label, seed, dl, got, k);
            CHECK_EQ(rc, MT_OK);
            CHECK_MEM(got, want, k);
        }
        free(secret);
        free(seed);
        free(want);
        free(got);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, expect);
}

static void test_prf_tls12(void)
{
    run_prf_file("spec/fixtures/prf-tls12.txt", 1, 2);
    uint8_t out[16];
    CHECK_EQ(mt_prf_tls12(MT_HASH_NONE, out, 16, "x", NULL, 0, out, 16), MT_ERR_BAD_PARAM);
}

static void test_prf_tls10(void)
{
    run_prf_file("spec/fixtures/prf-tls10.txt", 0, 3);
}

int main(void)
{
    RUN(test_hkdf_rfc5869);
    RUN(test_hkdf_empty_salt);
    RUN(test_hkdf_limits);
    RUN(test_expand_label_encoding);
    RUN(test_rfc8448_schedule);
    RUN(test_prf_tls12);
    RUN(test_prf_tls10);
    return test_summary();
}
