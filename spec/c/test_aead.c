/*
 * test_aead.c - AES-128/256-GCM and ChaCha20-Poly1305 (lib/crypto/aead.c, aes.c, ghash.c):
 * GCM-spec, RFC 8439 and RFC 8448 known answers and cross-implementation vectors through
 * both the hardware and the portable code paths; tampering of every bit rejected with
 * the output wiped; in-place operation; the per-key memory budget.
 */
#include "crypto/cipher.h"
#include "crypto/ghash.h"
#include "crypto/sym_impl.h"
#include "moontls.h"
#include "test.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif
#endif
#ifndef HAVE_MEMCHECK
#define HAVE_MEMCHECK 0
#endif

#define MT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const mt_aead_id all_ids[] = {MT_AEAD_AES128_GCM, MT_AEAD_AES256_GCM,
                                     MT_AEAD_CHACHA20_POLY1305};
static const mt_sym_impl impls[] = {MT_SYM_AUTO, MT_SYM_PORTABLE};

static mt_aead_id id_by_name(const char *s)
{
    if (strcmp(s, "aes128gcm") == 0) return MT_AEAD_AES128_GCM;
    if (strcmp(s, "aes256gcm") == 0) return MT_AEAD_AES256_GCM;
    return MT_AEAD_CHACHA20_POLY1305;
}

/* Deterministic test bytes (xorshift), so failures reproduce. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* Run every block of a vector file through seal and open on both code paths, copying
 * and in place. Returns the number of blocks. */
static int run_vectors(const char *path)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, path)) {
        CHECK(0);
        return 0;
    }
    while (vec_next(&v)) {
        size_t kl, nl, al, pl, cl, tl;
        uint8_t *key = vec_hex(&v, "key", &kl), *nonce = vec_hex(&v, "nonce", &nl);
        uint8_t *aad = vec_hex(&v, "aad", &al), *pt = vec_hex(&v, "pt", &pl);
        uint8_t *ct = vec_hex(&v, "ct", &cl), *tag = vec_hex(&v, "tag", &tl);
        mt_aead_id id = id_by_name(vec_get(&v, "alg"));
        CHECK_EQ(kl, mt_aead_key_len(id));
        CHECK_EQ(nl, 12);
        CHECK_EQ(pl, cl);
        uint8_t *buf = malloc(pl + 16), *want = malloc(pl + 16);
        memcpy(want, ct, cl);
        memcpy(&want[cl], tag, 16);
        for (size_t k = 0; k < MT_ARRAY_LEN(impls); k++) {
            mt_aead *a = NULL;
            CHECK_EQ(mt_aead_new_impl(&a, id, key, impls[k]), MT_OK);
            if (!a) continue;
            memset(buf, 0xee, pl + 16);
            CHECK_EQ(mt_aead_seal(a, nonce, al ? aad : NULL, al, pl ? pt : NULL, pl, buf), MT_OK);
            CHECK_MEM(buf, want, pl + 16);
            memset(buf, 0xee, pl + 16);
            CHECK_EQ(mt_aead_open(a, nonce, aad, al, want, pl + 16, buf), MT_OK);
            CHECK_MEM(buf, pt, pl);
            /* In place, both directions. */
            memcpy(buf, pt, pl);
            CHECK_EQ(mt_aead_seal(a, nonce, aad, al, buf, pl, buf), MT_OK);
            CHECK_MEM(buf, want, pl + 16);
            CHECK_EQ(mt_aead_open(a, nonce, aad, al, buf, pl + 16, buf), MT_OK);
            CHECK_MEM(buf, pt, pl);
            mt_aead_free(a);
        }
        free(buf);
        free(want);
        free(key);
        free(nonce);
        free(aad);
        free(pt);
        free(ct);
        free(tag);
        n++;
    }
    vec_close(&v);
    return n;
}

static void test_kat(void)
{
    CHECK_EQ(run_vectors("spec/fixtures/aead-kat.txt"), 13);
}

static void test_cross(void)
{
    CHECK_EQ(run_vectors("spec/fixtures/aead-cross.txt"), 63);
}

/* Every single-bit change of ciphertext, tag, AAD or nonce is rejected with BAD_MAC, and
 * the output buffer holds zeros afterwards (no unauthenticated plaintext escapes). */
static void test_tamper(void)
{
    uint8_t key[32], nonce[12], aad[13], pt[40], rec[56], bad[56], out[56], zero[56] = {0};
    fill(key, 32, 1);
    fill(nonce, 12, 2);
    fill(aad, 13, 3);
    fill(pt, 40, 4);
    for (size_t k = 0; k < MT_ARRAY_LEN(all_ids); k++) {
        mt_aead *a = NULL;
        CHECK_EQ(mt_aead_new(&a, all_ids[k], key), MT_OK);
        if (!a) continue;
        CHECK_EQ(mt_aead_seal(a, nonce, aad, 13, pt, 40, rec), MT_OK);
        int rejected = 0, wiped = 0;
        for (size_t bit = 0; bit < 56 * 8; bit++) {
            memcpy(bad, rec, 56);
            bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            memset(out, 0xaa, sizeof out);
            rejected += mt_aead_open(a, nonce, aad, 13, bad, 56, out) == MT_ERR_BAD_MAC;
            wiped += memcmp(out, zero, 40) == 0;
        }
        CHECK_EQ(rejected, 56 * 8);
        CHECK_EQ(wiped, 56 * 8);
        rejected = 0;
        for (size_t bit = 0; bit < 13 * 8; bit++) {
            uint8_t aad2[13];
            memcpy(aad2, aad, 13);
            aad2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            rejected += mt_aead_open(a, nonce, aad2, 13, rec, 56, out) == MT_ERR_BAD_MAC;
        }
        CHECK_EQ(rejected, 13 * 8);
        rejected = 0;
        for (size_t bit = 0; bit < 12 * 8; bit++) {
            uint8_t n2[12];
            memcpy(n2, nonce, 12);
            n2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            rejected += mt_aead_open(a, n2, aad, 13, rec, 56, out) == MT_ERR_BAD_MAC;
        }
        CHECK_EQ(rejected, 12 * 8);
        /* Truncated records: shorter than a tag, or a tag short of its last byte. */
        CHECK_EQ(mt_aead_open(a, nonce, aad, 13, rec, 15, out), MT_ERR_BAD_MAC);
        CHECK_EQ(mt_aead_open(a, nonce, aad, 13, rec, 0, out), MT_ERR_BAD_MAC);
        CHECK_EQ(mt_aead_open(a, nonce, aad, 13, rec, 55, out), MT_ERR_BAD_MAC);
        /* The untouched record still opens. */
        CHECK_EQ(mt_aead_open(a, nonce, aad, 13, rec, 56, out), MT_OK);
        CHECK_MEM(out, pt, 40);
        mt_aead_free(a);
    }
}

/* Hardware and portable paths agree on every length 0..600 and AAD length 0..40. */
static void test_paths_agree(void)
{
    static uint8_t pt[600], o1[616], o2[616], back[616];
    uint8_t key[32], nonce[12], aad[40];
    int limit = getenv("MT_TEST_QUICK") ? 200 : 600;
    for (size_t k = 0; k < MT_ARRAY_LEN(all_ids); k++) {
        mt_aead *hw = NULL, *sw = NULL;
        fill(key, 32, (uint32_t)(10 + k));
        CHECK_EQ(mt_aead_new_impl(&hw, all_ids[k], key, MT_SYM_AUTO), MT_OK);
        CHECK_EQ(mt_aead_new_impl(&sw, all_ids[k], key, MT_SYM_PORTABLE), MT_OK);
        if (!hw || !sw) continue;
        int bad = 0;
        for (int len = 0; len <= limit; len++) {
            size_t al = (size_t)len % 41;
            fill(pt, (size_t)len, (uint32_t)len);
            fill(nonce, 12, (uint32_t)len + 7);
            fill(aad, al, (uint32_t)len + 9);
            mt_aead_seal(hw, nonce, aad, al, pt, (size_t)len, o1);
            mt_aead_seal(sw, nonce, aad, al, pt, (size_t)len, o2);
            bad += memcmp(o1, o2, (size_t)len + 16) != 0;
            bad += mt_aead_open(sw, nonce, aad, al, o1, (size_t)len + 16, back) != MT_OK;
            bad += memcmp(back, pt, (size_t)len) != 0;
        }
        CHECK_EQ(bad, 0);
        mt_aead_free(hw);
        mt_aead_free(sw);
    }
}

/* A full 16 KiB TLS record, sealed and opened in place. */
static void test_full_record(void)
{
    static uint8_t buf[16384 + 16], pt[16384];
    uint8_t key[32], nonce[12] = {0}, aad[5] = {23, 3, 3, 0x40, 0x10};
    fill(key, 32, 77);
    fill(pt, sizeof pt, 78);
    for (size_t k = 0; k < MT_ARRAY_LEN(all_ids); k++) {
        mt_aead *a = NULL;
        CHECK_EQ(mt_aead_new(&a, all_ids[k], key), MT_OK);
        if (!a) continue;
        memcpy(buf, pt, sizeof pt);
        CHECK_EQ(mt_aead_seal(a, nonce, aad, 5, buf, sizeof pt, buf), MT_OK);
        CHECK(memcmp(buf, pt, 64) != 0);
        CHECK_EQ(mt_aead_open(a, nonce, aad, 5, buf, sizeof buf, buf), MT_OK);
        CHECK_MEM(buf, pt, sizeof pt);
        mt_aead_free(a);
    }
}

/* Known GHASH products: H * 1 = H (1 is byte 0 = 0x80 in GCM's bit order), and the
 * McGrew-Viega test case 2 hash via the internal GHASH, on both paths. */
static void test_ghash_identity(void)
{
    uint8_t h[16], one[16] = {0x80}, y[16];
    fill(h, 16, 5);
    for (size_t k = 0; k < MT_ARRAY_LEN(impls); k++) {
        mt_ghash_key g;
        mt_ghash_init(&g, h, impls[k]);
        memset(y, 0, 16);
        mt_ghash_update(&g, y, one, 16);
        CHECK_MEM(y, h, 16);
        mt_ghash_wipe(&g);
    }
}

static void test_params_and_size(void)
{
    mt_aead *a = NULL;
    uint8_t key[32] = {0}, buf[32];
    CHECK_EQ(mt_aead_key_len(MT_AEAD_AES128_GCM), 16);
    CHECK_EQ(mt_aead_key_len(MT_AEAD_AES256_GCM), 32);
    CHECK_EQ(mt_aead_key_len(MT_AEAD_CHACHA20_POLY1305), 32);
    CHECK_EQ(mt_aead_key_len((mt_aead_id)0), 0);
    CHECK_EQ(mt_aead_new(&a, (mt_aead_id)9, key), MT_ERR_BAD_PARAM);
    CHECK(a == NULL);
    CHECK_EQ(mt_aead_new(&a, MT_AEAD_AES128_GCM, NULL), MT_ERR_BAD_PARAM);
    mt_aead_free(NULL);
    CHECK_EQ(mt_aead_new(&a, MT_AEAD_AES128_GCM, key), MT_OK);
    CHECK_EQ(mt_aead_seal(a, NULL, NULL, 0, NULL, 0, buf), MT_ERR_BAD_PARAM);
    mt_aead_free(a);
    /* The budget: two AEAD keys in an idle connection of about 24 KiB; each well under
     * 2 KiB (libtomcrypt's gcm_state alone is 68 KiB). */
    printf("mt_aead object: %zu bytes; mt_cbc object: %zu bytes\n", mt_aead_object_size(),
           mt_cbc_object_size());
    CHECK(mt_aead_object_size() <= 1024);
    CHECK(mt_cbc_object_size() <= 2048);
    /* Report which path this machine runs (informational). */
    CHECK_EQ(mt_aead_new(&a, MT_AEAD_AES128_GCM, key), MT_OK);
    printf("AES-GCM path: %s\n", a && mt_aead_is_hw(a) ? "AES-NI + PCLMULQDQ" : "portable");
    mt_aead_free(a);
}

/* ctgrind (run by `make valgrind`): with the key, H and the plaintext marked undefined,
 * GHASH on both paths and a whole AES-GCM seal on the hardware path must raise no
 * memcheck error: no branch and no memory address depends on a secret. The portable AES
 * (libtomcrypt's tables) is known not to pass and is not claimed to. Outside valgrind the
 * same calls are checked against the normal results. */
static void test_ctgrind(void)
{
    uint8_t h[16], data[200], y1[16] = {0}, y2[16] = {0}, key[16], nonce[12] = {1};
    uint8_t pt[200], rec[216], ref[216];
    fill(h, 16, 31);
    fill(data, sizeof data, 32);
    fill(key, 16, 33);
    fill(pt, sizeof pt, 34);
    mt_aead *a = NULL;
    CHECK_EQ(mt_aead_new(&a, MT_AEAD_AES128_GCM, key), MT_OK);
    if (!a) return;
    CHECK_EQ(mt_aead_seal(a, nonce, NULL, 0, pt, sizeof pt, ref), MT_OK);
    mt_aead_free(a);
    a = NULL;
#if HAVE_MEMCHECK
    unsigned long before = VALGRIND_COUNT_ERRORS;
    VALGRIND_MAKE_MEM_UNDEFINED(h, sizeof h);
    VALGRIND_MAKE_MEM_UNDEFINED(data, sizeof data);
    VALGRIND_MAKE_MEM_UNDEFINED(key, sizeof key);
    VALGRIND_MAKE_MEM_UNDEFINED(pt, sizeof pt);
#endif
    for (size_t k = 0; k < MT_ARRAY_LEN(impls); k++) {
        mt_ghash_key g;
        mt_ghash_init(&g, h, impls[k]);
        mt_ghash_update(&g, k ? y2 : y1, data, sizeof data);
        mt_ghash_wipe(&g);
    }
    int hw = 0;
    if (mt_aead_new(&a, MT_AEAD_AES128_GCM, key) == MT_OK) {
        hw = mt_aead_is_hw(a);
        if (hw) mt_aead_seal(a, nonce, NULL, 0, pt, sizeof pt, rec);
        mt_aead_free(a);
    }
#if HAVE_MEMCHECK
    unsigned long errors = VALGRIND_COUNT_ERRORS - before;
    VALGRIND_MAKE_MEM_DEFINED(y1, sizeof y1);
    VALGRIND_MAKE_MEM_DEFINED(y2, sizeof y2);
    VALGRIND_MAKE_MEM_DEFINED(rec, sizeof rec);
    CHECK_EQ(errors, 0);
    if (RUNNING_ON_VALGRIND)
        printf("ctgrind: GHASH (both paths)%s on undefined secrets: %lu memcheck errors\n",
               hw ? " and AES-NI GCM seal" : "", errors);
#endif
    CHECK_MEM(y1, y2, 16);
    if (hw) CHECK_MEM(rec, ref, sizeof rec);
}

/* mt_aead_seal2(in1, in2) is mt_aead_seal(in1 || in2), for every AEAD, block-aligned and
 * unaligned first pieces, and out == in1. */
static void test_seal2_equals_seal(void)
{
    static const mt_aead_id ids[] = {MT_AEAD_AES128_GCM, MT_AEAD_AES256_GCM,
                                     MT_AEAD_CHACHA20_POLY1305};
    uint8_t key[32], nonce[12], aad[13], msg[700], a[720], b[720];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof nonce; i++)
        nonce[i] = (uint8_t)(i + 100);
    for (size_t i = 0; i < sizeof aad; i++)
        aad[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 31);
    /* Unaligned first pieces gather one block from both pieces: second pieces shorter
     * than, equal to and longer than what that block still needs. */
    static const size_t len1s[] = {0, 1, 7, 15, 16, 31, 32, 100, 512, 640};
    static const size_t len2s[] = {0, 1, 2, 9, 15, 16, 17, 60};
    for (size_t k = 0; k < 3; k++) {
        mt_aead *x;
        CHECK_EQ(mt_aead_new(&x, ids[k], key), 0);
        for (size_t i = 0; i < MT_ARRAY_LEN(len1s); i++)
            for (size_t j = 0; j < MT_ARRAY_LEN(len2s); j++) {
                size_t l1 = len1s[i], l2 = len2s[j];
                CHECK_EQ(mt_aead_seal(x, nonce, aad, sizeof aad, msg, l1 + l2, a), 0);
                CHECK_EQ(mt_aead_seal2(x, nonce, aad, sizeof aad, msg, l1, msg + l1, l2, b), 0);
                CHECK_MEM(b, a, l1 + l2 + 16);
                memcpy(b, msg, l1); /* in place on the first piece */
                CHECK_EQ(mt_aead_seal2(x, nonce, aad, sizeof aad, b, l1, msg + l1, l2, b), 0);
                CHECK_MEM(b, a, l1 + l2 + 16);
            }
        mt_aead_free(x);
    }
}

int main(void)
{
    RUN(test_seal2_equals_seal);
    RUN(test_kat);
    RUN(test_cross);
    RUN(test_tamper);
    RUN(test_paths_agree);
    RUN(test_full_record);
    RUN(test_ghash_identity);
    RUN(test_params_and_size);
    RUN(test_ctgrind);
    return test_summary();
}
