/*
 * ghash.c - GHASH multiplication in GF(2^128) (NIST SP 800-38D 6.3) with PCLMULQDQ or in
 * portable constant-time C.
 *
 * Notes:
 * - GCM numbers bits from the left: bit 0 of the block (MSB of byte 0) is the coefficient
 *   of x^0. Read as a big-endian 128-bit integer the polynomial is bit-reflected, so both
 *   paths multiply reflected integers: the 255-bit carry-less product, shifted left by one,
 *   is the reflected 256-bit product, and its low half (degrees 128..255) is folded back
 *   with x^128 = x^7 + x^2 + x + 1 (in reflected form: right shifts by 0, 1, 2, 7).
 * - Portable: bmul64 returns the low 64 bits of a 64x64 carry-less product using four
 *   integer multiplies per pair of bit classes (bits spaced 4 apart, so a column of at
 *   most 15 ones never carries into the next bit of the same class; the only 16-term
 *   columns sit at bits 60..63, whose carries leave the word). The high half comes from the
 *   bit-reversed operands. Karatsuba makes a 128x128 product from three 64x64 ones.
 * - PCLMUL: blocks are byte-reversed into registers; eight blocks are multiplied by
 *   H^8..H^1, summed unreduced, and reduced once (the shift and the reduction are linear).
 */
#include "ghash.h"
#include "buf/buf.h"

#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_CLMUL 1
#include <immintrin.h>
#else
#define HAVE_CLMUL 0
#endif

static uint64_t load_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* ---- portable constant-time path ---- */

static uint64_t bmul64(uint64_t x, uint64_t y)
{
    const uint64_t m0 = 0x1111111111111111ULL, m1 = 0x2222222222222222ULL;
    const uint64_t m2 = 0x4444444444444444ULL, m3 = 0x8888888888888888ULL;
    uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
    uint64_t y0 = y & m0, y1 = y & m1, y2 = y & m2, y3 = y & m3;
    uint64_t z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
    uint64_t z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
    uint64_t z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
    uint64_t z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
    return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}

static uint64_t rev64(uint64_t x)
{
    x = ((x & 0x5555555555555555ULL) << 1) | ((x >> 1) & 0x5555555555555555ULL);
    x = ((x & 0x3333333333333333ULL) << 2) | ((x >> 2) & 0x3333333333333333ULL);
    x = ((x & 0x0F0F0F0F0F0F0F0FULL) << 4) | ((x >> 4) & 0x0F0F0F0F0F0F0F0FULL);
    x = ((x & 0x00FF00FF00FF00FFULL) << 8) | ((x >> 8) & 0x00FF00FF00FF00FFULL);
    x = ((x & 0x0000FFFF0000FFFFULL) << 16) | ((x >> 16) & 0x0000FFFF0000FFFFULL);
    return (x << 32) | (x >> 32);
}

/* (y1:y0) = (y1:y0) * (h1:h0) in reflected representation. */
static void gmul_portable(uint64_t *y1, uint64_t *y0, uint64_t h1, uint64_t h0)
{
    uint64_t a0 = *y0, a1 = *y1, a2 = a0 ^ a1;
    uint64_t h2 = h0 ^ h1;
    uint64_t a0r = rev64(a0), a1r = rev64(a1), a2r = rev64(a2);
    uint64_t h0r = rev64(h0), h1r = rev64(h1), h2r = rev64(h2);
    uint64_t z0 = bmul64(a0, h0), z1 = bmul64(a1, h1), z2 = bmul64(a2, h2);
    uint64_t z0h = rev64(bmul64(a0r, h0r)) >> 1;
    uint64_t z1h = rev64(bmul64(a1r, h1r)) >> 1;
    uint64_t z2h = rev64(bmul64(a2r, h2r)) >> 1;
    /* Karatsuba middle term: (a0 ^ a1)(h0 ^ h1) ^ a0 h0 ^ a1 h1. */
    z2 ^= z0 ^ z1;
    z2h ^= z0h ^ z1h;
    uint64_t v0 = z0, v1 = z0h ^ z2, v2 = z1 ^ z2h, v3 = z1h;
    /* Shift the 255-bit reflected product left by one. */
    v3 = (v3 << 1) | (v2 >> 63);
    v2 = (v2 << 1) | (v1 >> 63);
    v1 = (v1 << 1) | (v0 >> 63);
    v0 <<= 1;
    /* Fold v0 then v1 (degrees 128..255) with x^128 = 1 + x + x^2 + x^7. */
    v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
    v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
    v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
    v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);
    *y1 = v3;
    *y0 = v2;
}

static void update_portable(const mt_ghash_key *k, uint8_t *y, const uint8_t *data, size_t len)
{
    uint64_t y1 = load_be64(y), y0 = load_be64(&y[8]);
    for (size_t off = 0; off < len; off += 16) {
        uint8_t blk[16] = {0};
        size_t n = len - off < 16 ? len - off : 16;
        memcpy(blk, &data[off], n);
        y1 ^= load_be64(blk);
        y0 ^= load_be64(&blk[8]);
        gmul_portable(&y1, &y0, k->h1, k->h0);
    }
    store_be64(y, y1);
    store_be64(&y[8], y0);
}

/* ---- PCLMULQDQ path ---- */

#if HAVE_CLMUL
#define CL __attribute__((target("pclmul,sse4.1,ssse3")))

CL static __m128i bswap128(__m128i x)
{
    const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(x, rev);
}

/* Accumulate the unreduced 256-bit product a * b into (*lo, *hi). */
CL static void clmul_acc(__m128i a, __m128i b, __m128i *lo, __m128i *hi, __m128i *mid)
{
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, b, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, b, 0x11));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(a, b, 0x01));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(a, b, 0x10));
}

/* Reduce a reflected 255-bit product (lo, hi, mid) to 128 bits. */
CL static __m128i clmul_reduce(__m128i lo, __m128i hi, __m128i mid)
{
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    /* Shift the 256-bit value hi:lo left by one bit. */
    __m128i c_lo = _mm_srli_epi32(lo, 31), c_hi = _mm_srli_epi32(hi, 31);
    lo = _mm_slli_epi32(lo, 1);
    hi = _mm_slli_epi32(hi, 1);
    hi = _mm_or_si128(hi, _mm_srli_si128(c_lo, 12));
    hi = _mm_or_si128(hi, _mm_slli_si128(c_hi, 4));
    lo = _mm_or_si128(lo, _mm_slli_si128(c_lo, 4));
    /* First fold: the 32-bit lanes of lo times x^7 + x^2 + x + 1 at the top. */
    __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
                              _mm_slli_epi32(lo, 25));
    __m128i carry = _mm_srli_si128(t, 4);
    lo = _mm_xor_si128(lo, _mm_slli_si128(t, 12));
    /* Second fold into the high half. */
    __m128i u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
                              _mm_srli_epi32(lo, 7));
    u = _mm_xor_si128(u, carry);
    lo = _mm_xor_si128(lo, u);
    return _mm_xor_si128(hi, lo);
}

CL static __m128i clmul_mul(__m128i a, __m128i b)
{
    __m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;
    clmul_acc(a, b, &lo, &hi, &mid);
    return clmul_reduce(lo, hi, mid);
}

CL static void init_clmul(mt_ghash_key *k, const uint8_t *h)
{
    __m128i *hp = (__m128i *)(void *)k->hp;
    __m128i h1 = bswap128(_mm_loadu_si128((const __m128i *)(const void *)h));
    hp[0] = h1;
    for (int i = 1; i < MT_GHASH_POWERS; i++)
        hp[i] = clmul_mul(hp[i - 1], h1);
}

CL static void update_clmul(const mt_ghash_key *k, uint8_t *y, const uint8_t *data, size_t len)
{
    const __m128i *hp = (const __m128i *)(const void *)k->hp;
    __m128i acc = bswap128(_mm_loadu_si128((const __m128i *)(void *)y));
    size_t off = 0;
    while (len - off >= 16 * MT_GHASH_POWERS) {
        __m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;
        for (int i = 0; i < MT_GHASH_POWERS; i++) {
            __m128i x =
                bswap128(_mm_loadu_si128((const __m128i *)(const void *)&data[off + 16 * i]));
            if (i == 0) x = _mm_xor_si128(x, acc);
            clmul_acc(x, hp[MT_GHASH_POWERS - 1 - i], &lo, &hi, &mid);
        }
        acc = clmul_reduce(lo, hi, mid);
        off += 16 * MT_GHASH_POWERS;
    }
    for (; off < len; off += 16) {
        uint8_t blk[16] = {0};
        size_t n = len - off < 16 ? len - off : 16;
        memcpy(blk, &data[off], n);
        __m128i x = bswap128(_mm_loadu_si128((const __m128i *)(const void *)blk));
        acc = clmul_mul(_mm_xor_si128(acc, x), hp[0]);
    }
    _mm_storeu_si128((__m128i *)(void *)y, bswap128(acc));
}

static int cpu_has_clmul(void)
{
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1") &&
           __builtin_cpu_supports("ssse3");
}
#endif /* HAVE_CLMUL */

void mt_ghash_init(mt_ghash_key *k, const uint8_t *h, mt_sym_impl impl)
{
    memset(k, 0, sizeof *k);
    k->h1 = load_be64(h);
    k->h0 = load_be64(&h[8]);
#if HAVE_CLMUL
    if (impl == MT_SYM_AUTO && cpu_has_clmul()) {
        init_clmul(k, h);
        k->clmul = 1;
    }
#endif
}

void mt_ghash_update(const mt_ghash_key *k, uint8_t *y, const uint8_t *data, size_t len)
{
#if HAVE_CLMUL
    if (k->clmul) {
        update_clmul(k, y, data, len);
        return;
    }
#endif
    update_portable(k, y, data, len);
}

void mt_ghash_wipe(mt_ghash_key *k)
{
    if (k) mt_wipe(k, sizeof *k);
}
