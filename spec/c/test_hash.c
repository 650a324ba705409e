/*
 * test_hash.c - digests and HMAC (lib/crypto/hash.c) against FIPS 180, RFC 1321,
 * RFC 2202 and RFC 4231 vectors, fed one-shot and in uneven pieces, plus clone/peek.
 */
#include "crypto/hash.h"
#include "moontls.h"
#include "test.h"

static mt_hash_id hash_by_name(const char *name)
{
    static const struct {
        const char *name;
        mt_hash_id id;
    } t[] = {{"md5", MT_HASH_MD5},       {"sha1", MT_HASH_SHA1},     {"sha224", MT_HASH_SHA224},
             {"sha256", MT_HASH_SHA256}, {"sha384", MT_HASH_SHA384}, {"sha512", MT_HASH_SHA512}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].name, name) == 0) return t[i].id;
    return MT_HASH_NONE;
}

static void test_sizes(void)
{
    CHECK_EQ(mt_crypto_init(), MT_OK);
    CHECK_EQ(mt_crypto_init(), MT_OK); /* idempotent */
    CHECK_EQ(mt_hash_len(MT_HASH_MD5), 16);
    CHECK_EQ(mt_hash_len(MT_HASH_SHA1), 20);
    CHECK_EQ(mt_hash_len(MT_HASH_SHA224), 28);
    CHECK_EQ(mt_hash_len(MT_HASH_SHA256), 32);
    CHECK_EQ(mt_hash_len(MT_HASH_SHA384), 48);
    CHECK_EQ(mt_hash_len(MT_HASH_SHA512), 64);
    CHECK_EQ(mt_hash_len(MT_HASH_NONE), 0);
    CHECK_EQ(mt_hash_block_len(MT_HASH_SHA256), 64);
    CHECK_EQ(mt_hash_block_len(MT_HASH_SHA384), 128);
    CHECK_EQ(mt_hash_block_len((mt_hash_id)99), 0);
    CHECK(strcmp(mt_hash_name(MT_HASH_SHA256), "sha256") == 0);
    CHECK(mt_hash_name(MT_HASH_NONE) == NULL);
    mt_hash_ctx c;
    uint8_t out[MT_HASH_MAX_LEN];
    CHECK_EQ(mt_hash_init(&c, MT_HASH_NONE), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hash((mt_hash_id)42, "x", 1, out), MT_ERR_BAD_PARAM);
    mt_hmac_ctx h;
    CHECK_EQ(mt_hmac_init(&h, MT_HASH_NONE, (const uint8_t *)"k", 1), MT_ERR_BAD_PARAM);
}

/* Each FIPS 180 / RFC 1321 vector: one-shot, and incrementally in pieces of 1, 2, 3, ...
 * bytes so every block-boundary case of the buffering is crossed. */
static void test_hash_kat(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/hash-fips180.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        mt_hash_id id = hash_by_name(vec_get(&v, "alg"));
        size_t ml, dl;
        uint8_t *msg = vec_hex(&v, "msg", &ml);
        uint8_t *want = vec_hex(&v, "digest", &dl);
        const char *rep = vec_get(&v, "repeat");
        long repeat = rep ? atol(rep) : 1;
        uint8_t got[MT_HASH_MAX_LEN];
        CHECK(id != MT_HASH_NONE);
        CHECK_EQ(mt_hash_len(id), dl);
        if (repeat == 1) {
            CHECK_EQ(mt_hash(id, msg, ml, got), MT_OK);
            CHECK_MEM(got, want, dl);
            mt_hash_ctx c;
            CHECK_EQ(mt_hash_init(&c, id), MT_OK);
            size_t off = 0, step = 1;
            while (off < ml) {
                size_t k = ml - off < step ? ml - off : step;
                CHECK_EQ(mt_hash_update(&c, &msg[off], k), MT_OK);
                off += k;
                step++;
            }
            CHECK_EQ(mt_hash_final(&c, got), MT_OK);
            CHECK_MEM(got, want, dl);
        } else {
            /* Repeated message (one million 'a'): feed it in 1000-byte chunks. */
            uint8_t chunk[1000];
            for (size_t i = 0; i < sizeof chunk; i++)
                chunk[i] = msg[i % ml];
            mt_hash_ctx c;
            CHECK_EQ(mt_hash_init(&c, id), MT_OK);
            for (long i = 0; i < repeat * (long)ml / (long)sizeof chunk; i++)
                CHECK_EQ(mt_hash_update(&c, chunk, sizeof chunk), MT_OK);
            CHECK_EQ(mt_hash_final(&c, got), MT_OK);
            CHECK_MEM(got, want, dl);
        }
        free(msg);
        free(want);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 32);
}

/* The transcript hash is read in the middle: peek must not disturb the running state, and
 * a clone must be independent of its source. */
static void test_clone_peek(void)
{
    static const mt_hash_id ids[] = {MT_HASH_MD5,    MT_HASH_SHA1,   MT_HASH_SHA224,
                                     MT_HASH_SHA256, MT_HASH_SHA384, MT_HASH_SHA512};
    uint8_t msg[300];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        mt_hash_id id = ids[k];
        size_t dl = mt_hash_len(id);
        uint8_t a[MT_HASH_MAX_LEN], b[MT_HASH_MAX_LEN], want[MT_HASH_MAX_LEN];
        mt_hash_ctx c, d;
        CHECK_EQ(mt_hash_init(&c, id), MT_OK);
        CHECK_EQ(mt_hash_update(&c, msg, 100), MT_OK);
        CHECK_EQ(mt_hash_peek(&c, a), MT_OK);
        CHECK_EQ(mt_hash(id, msg, 100, want), MT_OK);
        CHECK_MEM(a, want, dl);
        mt_hash_clone(&d, &c);
        CHECK_EQ(mt_hash_update(&c, &msg[100], 200), MT_OK);
        CHECK_EQ(mt_hash_update(&d, &msg[100], 50), MT_OK);
        CHECK_EQ(mt_hash_final(&c, a), MT_OK);
        CHECK_EQ(mt_hash_final(&d, b), MT_OK);
        CHECK_EQ(mt_hash(id, msg, 300, want), MT_OK);
        CHECK_MEM(a, want, dl);
        CHECK_EQ(mt_hash(id, msg, 150, want), MT_OK);
        CHECK_MEM(b, want, dl);
        /* final wipes the context: it cannot be used again by mistake. */
        CHECK_EQ(mt_hash_update(&c, msg, 1), MT_ERR_BAD_PARAM);
    }
}

static void test_hmac_kat(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/hmac-rfc2202-rfc4231.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        mt_hash_id id = hash_by_name(vec_get(&v, "alg"));
        size_t kl, dl, ml;
        uint8_t *key = vec_hex(&v, "key", &kl);
        uint8_t *data = vec_hex(&v, "data", &dl);
        uint8_t *want = vec_hex(&v, "mac", &ml);
        uint8_t got[MT_HASH_MAX_LEN];
        CHECK(id != MT_HASH_NONE && ml <= mt_hash_len(id));
        CHECK_EQ(mt_hmac(id, key, kl, data, dl, got), MT_OK);
        CHECK_MEM(got, want, ml);
        /* Prepared once, cloned, fed in two pieces. */
        mt_hmac_ctx base, c;
        CHECK_EQ(mt_hmac_init(&base, id, key, kl), MT_OK);
        mt_hmac_clone(&c, &base);
        CHECK_EQ(mt_hmac_update(&c, data, dl / 3), MT_OK);
        CHECK_EQ(mt_hmac_update(&c, &data[dl / 3], dl - dl / 3), MT_OK);
        CHECK_EQ(mt_hmac_final(&c, got), MT_OK);
        CHECK_MEM(got, want, ml);
        /* The prepared base is still intact after its clone was used. */
        CHECK_EQ(mt_hmac_update(&base, data, dl), MT_OK);
        CHECK_EQ(mt_hmac_final(&base, got), MT_OK);
        CHECK_MEM(got, want, ml);
        free(key);
        free(data);
        free(want);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 16 + 28);
}

int main(void)
{
    RUN(test_sizes);
    RUN(test_hash_kat);
    RUN(test_clone_peek);
    RUN(test_hmac_kat);
    return test_summary();
}
