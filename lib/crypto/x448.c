/*
 * x448.c - X448 (RFC 7748 5) over p = 2^448 - 2^224 - 1. Contract in xdh.h.
 *
 * Notes:
 * - A field element is eight 64-bit limbs in radix 2^56 (value = sum f[i] * 2^(56 i)), so
 *   the 56-byte encoding is exactly seven bytes per limb.
 * - Reduction uses the shape of the prime (Solinas, "golden ratio" phi = 2^224):
 *   2^448 = 2^224 + 1 (mod p), so a product column at 2^(56 (8 + k)) folds into the
 *   columns k and k + 4 with coefficient 1, no multiplication needed.
 * - Products use unsigned __int128 columns. Limb bounds between operations:
 *     fe_mul / fe_sq / fe_mul_small output: limbs < 2^57;
 *     fe_add of two such: < 2^58;  fe_sub adds 4p first so it never underflows: < 2^59.
 * - fe_mul and fe_sq use one Karatsuba level over the golden ratio: with f = f0 + f1 phi,
 *   g = g0 + g1 phi and phi^2 = phi + 1,
 *     f g = (f0 g0 + f1 g1) + phi ((f0 + f1)(g0 + g1) - f0 g0),
 *   three 4x4 products (48 multiplications, 30 for a square) instead of 64. With inputs
 *   below 2^59 the half sums stay below 2^60 and every limb sum below 2^123 (at most nine
 *   products of 2^120 or less), far from 128-bit overflow. Carries are propagated as the
 *   limbs are produced, in two chains (limbs 0..3 and 4..7), which keeps the dependency
 *   path short (this was worth about 25% of the X448 time).
 * - Only fe_tobytes reduces fully, to the canonical value in [0, p).
 * - The ladder is RFC 7748 5's with a24 = 39081 and a masked conditional swap; 448
 *   iterations whatever the scalar, no branch or array index that depends on a secret.
 * - Inversion is z^(p-2) by a fixed chain: p - 2 = (2^223 - 1) 2^225 + (2^222 - 1) 4 + 1.
 */
#include "xdh.h"
#include "../buf/buf.h"
#include "../internal.h"

#include <string.h>

__extension__ typedef unsigned __int128 u128;
typedef uint64_t fe[8];

#define MASK56 ((UINT64_C(1) << 56) - 1)

/* decodeUCoordinate for X448 (RFC 7748 5): 56 bytes little-endian, nothing masked; a value
 * in [p, 2^448) is kept and works mod p. */
static void fe_frombytes(fe h, const uint8_t s[56])
{
    for (int i = 0; i < 8; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 7; j++)
            v |= (uint64_t)s[7 * i + j] << (8 * j);
        h[i] = v;
    }
}

/* Carry eight 128-bit columns (below 2^125) into h; limbs < 2^57 afterwards. */
static inline void fe_carry_wide(fe h, u128 c[8])
{
    for (int i = 0; i < 7; i++) {
        c[i + 1] += c[i] >> 56;
        c[i] &= MASK56;
    }
    /* The carry out of limb 7 is a multiple of 2^448 = 2^224 + 1. */
    u128 top = c[7] >> 56;
    c[7] &= MASK56;
    c[0] += top;
    c[4] += top;
    c[1] += c[0] >> 56;
    c[0] &= MASK56;
    c[5] += c[4] >> 56;
    c[4] &= MASK56;
    for (int i = 0; i < 8; i++)
        h[i] = (uint64_t)c[i];
}

/* Canonical encoding (RFC 7748 5: value mod p, little-endian). */
static void fe_tobytes(uint8_t s[56], const fe f)
{
    uint64_t t[8], q;
    memcpy(t, f, sizeof t);
    /* One carry pass: limbs < 2^56 except t[0], t[4] < 2^56 + 2, so the value v < 2p. */
    for (int i = 0; i < 7; i++) {
        t[i + 1] += t[i] >> 56;
        t[i] &= MASK56;
    }
    q = t[7] >> 56;
    t[7] &= MASK56;
    t[0] += q;
    t[4] += q;
    /* q = floor((v + 2^224 + 1) / 2^448) is 1 exactly when v >= p (as v < 2p). */
    q = (t[0] + 1) >> 56;
    q = (t[1] + q) >> 56;
    q = (t[2] + q) >> 56;
    q = (t[3] + q) >> 56;
    q = (t[4] + 1 + q) >> 56;
    q = (t[5] + q) >> 56;
    q = (t[6] + q) >> 56;
    q = (t[7] + q) >> 56;
    /* v - q p = v + q (2^224 + 1) - q 2^448: add, carry, drop bit 448. */
    t[0] += q;
    t[4] += q;
    for (int i = 0; i < 7; i++) {
        t[i + 1] += t[i] >> 56;
        t[i] &= MASK56;
    }
    t[7] &= MASK56;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 7; j++)
            s[7 * i + j] = (uint8_t)(t[i] >> (8 * j));
    mt_wipe(t, sizeof t);
}

static void fe_add(fe h, const fe f, const fe g)
{
    h[0] = f[0] + g[0];
    h[1] = f[1] + g[1];
    h[2] = f[2] + g[2];
    h[3] = f[3] + g[3];
    h[4] = f[4] + g[4];
    h[5] = f[5] + g[5];
    h[6] = f[6] + g[6];
    h[7] = f[7] + g[7];
}

/* h = f - g + 4p; g's limbs must be below 2^58 - 8 (any mul/sq output is). In radix
 * 2^56, 4p is 4 (2^56 - 1) in every limb but limb 4, which is 4 (2^56 - 2). */
#define FOUR_P UINT64_C(0x3fffffffffffffc)
#define FOUR_P4 UINT64_C(0x3fffffffffffff8)
static void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = f[0] + FOUR_P - g[0];
    h[1] = f[1] + FOUR_P - g[1];
    h[2] = f[2] + FOUR_P - g[2];
    h[3] = f[3] + FOUR_P - g[3];
    h[4] = f[4] + FOUR_P4 - g[4];
    h[5] = f[5] + FOUR_P - g[5];
    h[6] = f[6] + FOUR_P - g[6];
    h[7] = f[7] + FOUR_P - g[7];
}
#undef FOUR_P
#undef FOUR_P4

/* Column k of the product of two four-limb halves x, y: the sum of x[i] y[j], i + j = k. */
#define MUL(x, i, y, j) ((u128)(x)[i] * (y)[j])
#define COL0(x, y) MUL(x, 0, y, 0)
#define COL1(x, y) (MUL(x, 0, y, 1) + MUL(x, 1, y, 0))
#define COL2(x, y) (MUL(x, 0, y, 2) + MUL(x, 1, y, 1) + MUL(x, 2, y, 0))
#define COL3(x, y) (MUL(x, 0, y, 3) + MUL(x, 1, y, 2) + MUL(x, 2, y, 1) + MUL(x, 3, y, 0))
#define COL4(x, y) (MUL(x, 1, y, 3) + MUL(x, 2, y, 2) + MUL(x, 3, y, 1))
#define COL5(x, y) (MUL(x, 2, y, 3) + MUL(x, 3, y, 2))
#define COL6(x, y) MUL(x, 3, y, 3)
/* The same for a square, with d = 2 x: each cross product is taken once, doubled. */
#define SQ0(x, d) MUL(x, 0, x, 0)
#define SQ1(x, d) MUL(d, 0, x, 1)
#define SQ2(x, d) (MUL(d, 0, x, 2) + MUL(x, 1, x, 1))
#define SQ3(x, d) (MUL(d, 0, x, 3) + MUL(d, 1, x, 2))
#define SQ4(x, d) (MUL(d, 1, x, 3) + MUL(x, 2, x, 2))
#define SQ5(x, d) MUL(d, 2, x, 3)
#define SQ6(x, d) MUL(x, 3, x, 3)

/*
 * Karatsuba recombination. With P0 = f0 g0, P1 = f1 g1, P2 = (f0 + f1)(g0 + g1) (columns
 * 0..6 each), the product is L + phi H with L = P0 + P1 and H = P2 - P0. phi H puts H_k at
 * column k + 4; columns 8..10 (H_4..H_6) are phi^2 = phi + 1 multiples and fold into
 * columns k - 8 and k - 4. Limb by limb (j = 0..2; P0_{4+j} cancels in the upper limb):
 *   limb j     = P0_j + P1_j + P2_{4+j} - P0_{4+j}
 *   limb 4 + j = P1_{4+j} + P2_j + P2_{4+j} - P0_j
 *   limb 3     = P0_3 + P1_3,   limb 7 = P2_3 - P0_3
 * Each limb's true value is non-negative (P2 contains P0 term by term) and below 2^125, so
 * unsigned 128-bit arithmetic gives it exactly. The carries run along with the columns:
 * lo carries limb j into j + 1, hi carries limb 4 + j into 5 + j.
 */
#define KARATSUBA_PAIR(h, j, p0a, p0b, p1a, p1b, p2a, p2b)                                         \
    do {                                                                                           \
        lo += (p0a) + (p1a) + (p2b) - (p0b);                                                       \
        hi += (p1b) + (p2a) + (p2b) - (p0a);                                                       \
        h[j] = (uint64_t)lo & MASK56;                                                              \
        h[4 + j] = (uint64_t)hi & MASK56;                                                          \
        lo >>= 56;                                                                                 \
        hi >>= 56;                                                                                 \
    } while (0)

/* Limbs 3 and 7: P0_3 + P1_3 and P2_3 - P0_3. */
#define KARATSUBA_LAST(h, p0, p1, p2)                                                              \
    do {                                                                                           \
        lo += (p0) + (p1);                                                                         \
        hi += (p2) - (p0);                                                                         \
        h[3] = (uint64_t)lo & MASK56;                                                              \
        h[7] = (uint64_t)hi & MASK56;                                                              \
        lo >>= 56;                                                                                 \
        hi >>= 56;                                                                                 \
    } while (0)

/* The carry out of limb 3 (lo) belongs to limb 4; the carry out of limb 7 (hi) is a
 * multiple of 2^448 = 2^224 + 1, so it goes to limbs 0 and 4. Limbs end below 2^57. */
static inline void karatsuba_finish(fe h, u128 lo, u128 hi)
{
    u128 t4 = (u128)h[4] + lo + hi, t0 = (u128)h[0] + hi;
    h[4] = (uint64_t)t4 & MASK56;
    h[5] += (uint64_t)(t4 >> 56);
    h[0] = (uint64_t)t0 & MASK56;
    h[1] += (uint64_t)(t0 >> 56);
}

/* h = f * g. h may alias f or g. */
static void fe_mul(fe h, const fe f, const fe g)
{
    const uint64_t *f0 = &f[0], *f1 = &f[4], *g0 = &g[0], *g1 = &g[4];
    uint64_t fs[4], gs[4], r[8];
    u128 lo = 0, hi = 0, p0a, p0b, p1a, p1b, p2a, p2b;
    for (int i = 0; i < 4; i++) {
        fs[i] = f[i] + f[i + 4];
        gs[i] = g[i] + g[i + 4];
    }
    p0a = COL0(f0, g0);
    p0b = COL4(f0, g0);
    p1a = COL0(f1, g1);
    p1b = COL4(f1, g1);
    p2a = COL0(fs, gs);
    p2b = COL4(fs, gs);
    KARATSUBA_PAIR(r, 0, p0a, p0b, p1a, p1b, p2a, p2b);
    p0a = COL1(f0, g0);
    p0b = COL5(f0, g0);
    p1a = COL1(f1, g1);
    p1b = COL5(f1, g1);
    p2a = COL1(fs, gs);
    p2b = COL5(fs, gs);
    KARATSUBA_PAIR(r, 1, p0a, p0b, p1a, p1b, p2a, p2b);
    p0a = COL2(f0, g0);
    p0b = COL6(f0, g0);
    p1a = COL2(f1, g1);
    p1b = COL6(f1, g1);
    p2a = COL2(fs, gs);
    p2b = COL6(fs, gs);
    KARATSUBA_PAIR(r, 2, p0a, p0b, p1a, p1b, p2a, p2b);
    p0a = COL3(f0, g0);
    p1a = COL3(f1, g1);
    p2a = COL3(fs, gs);
    KARATSUBA_LAST(r, p0a, p1a, p2a);
    karatsuba_finish(r, lo, hi);
    memcpy(h, r, sizeof r);
}

/* h = f^2, the same recombination over squares (30 multiplications). h may alias f. */
static void fe_sq(fe h, const fe f)
{
    const uint64_t *f0 = &f[0], *f1 = &f[4];
    uint64_t fs[4], d0[4], d1[4], ds[4], r[8];
    u128 lo = 0, hi = 0, p0a, p0b, p1a, p1b, p2a, p2b;
    for (int i = 0; i < 4; i++) {
        fs[i] = f[i] + f[i + 4];
        d0[i] = 2 * f[i];
        d1[i] = 2 * f[i + 4];
        ds[i] = 2 * fs[i];
    }
    p0a = SQ0(f0, d0);
    p0b = SQ4(f0, d0);
    p1a = SQ0(f1, d1);
    p1b = SQ4(f1, d1);
    p2a = SQ0(fs, ds);
    p2b = SQ4(fs, ds);
    KARATSUBA_PAIR(r, 0, p0a, p0b, p1a, p1b, p2a, p2b);
    p0a = SQ1(f0, d0);
    p0b = SQ5(f0, d0);
    p1a = SQ1(f1, d1);
    p1b = SQ5(f1, d1);
    p2a = SQ1(fs, ds);
    p2b = SQ5(fs, ds);
    KARATSUBA_PAIR(r, 1, p0a, p0b, p1a, p1b, p2a, p2b);
    p0a = SQ2(f0, d0);
    p0b = SQ6(f0, d0);
    p1a = SQ2(f1, d1);
    p1b = SQ6(f1, d1);
    p2a = SQ2(fs, ds);
    p2b = SQ6(fs, ds);
    KARATSUBA_PAIR(r, 2, p0a, p0b, p1a, p1b, p2a, p2b);
    p0a = SQ3(f0, d0);
    p1a = SQ3(f1, d1);
    p2a = SQ3(fs, ds);
    KARATSUBA_LAST(r, p0a, p1a, p2a);
    karatsuba_finish(r, lo, hi);
    memcpy(h, r, sizeof r);
}

#undef KARATSUBA_PAIR
#undef KARATSUBA_LAST
#undef MUL
#undef COL0
#undef COL1
#undef COL2
#undef COL3
#undef COL4
#undef COL5
#undef COL6
#undef SQ0
#undef SQ1
#undef SQ2
#undef SQ3
#undef SQ4
#undef SQ5
#undef SQ6

/* h = f squared n times (n >= 1). */
static void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    for (int i = 1; i < n; i++)
        fe_sq(h, h);
}

/* h = f * n for a small public constant n (< 2^20). */
static void fe_mul_small(fe h, const fe f, uint64_t n)
{
    u128 c[8];
    for (int i = 0; i < 8; i++)
        c[i] = (u128)f[i] * n;
    fe_carry_wide(h, c);
}

/* Swap f and g when swap == 1, leave them when swap == 0, without a branch. */
static void fe_cswap(fe f, fe g, uint64_t swap)
{
    uint64_t mask = 0 - swap, x[8];
    for (int i = 0; i < 8; i++)
        x[i] = mask & (f[i] ^ g[i]);
    for (int i = 0; i < 8; i++)
        f[i] ^= x[i];
    for (int i = 0; i < 8; i++)
        g[i] ^= x[i];
}

/* h = z^(p-2) = z^-1 (Fermat); zero maps to zero. x_k below is z^(2^k - 1). */
static void fe_invert(fe h, const fe z)
{
    fe x2, x3, x6, x12, x24, x30, x48, t;
    fe_sq(t, z);
    fe_mul(x2, t, z); /* 2^2 - 1 */
    fe_sq(t, x2);
    fe_mul(x3, t, z); /* 2^3 - 1 */
    fe_sqn(t, x3, 3);
    fe_mul(x6, t, x3); /* 2^6 - 1 */
    fe_sqn(t, x6, 6);
    fe_mul(x12, t, x6); /* 2^12 - 1 */
    fe_sqn(t, x12, 12);
    fe_mul(x24, t, x12); /* 2^24 - 1 */
    fe_sqn(t, x24, 6);
    fe_mul(x30, t, x6); /* 2^30 - 1 */
    fe_sqn(t, x24, 24);
    fe_mul(x48, t, x24); /* 2^48 - 1 */
    fe_sqn(t, x48, 48);
    fe_mul(t, t, x48);  /* 2^96 - 1 */
    fe_sqn(x48, t, 96); /* (x48 reused as scratch) */
    fe_mul(t, x48, t);  /* 2^192 - 1 */
    fe_sqn(t, t, 30);
    fe_mul(x30, t, x30); /* 2^222 - 1 (kept in x30) */
    fe_sq(t, x30);
    fe_mul(t, t, z); /* 2^223 - 1 */
    fe_sqn(t, t, 223);
    fe_mul(t, t, x30); /* (2^223 - 1) 2^223 + 2^222 - 1 */
    fe_sqn(t, t, 2);
    fe_mul(h, t, z); /* 2^448 - 2^224 - 3 = p - 2 */
    mt_wipe(x2, sizeof x2);
    mt_wipe(x3, sizeof x3);
    mt_wipe(x6, sizeof x6);
    mt_wipe(x12, sizeof x12);
    mt_wipe(x24, sizeof x24);
    mt_wipe(x30, sizeof x30);
    mt_wipe(x48, sizeof x48);
    mt_wipe(t, sizeof t);
}

/* Everything secret lives here, so one wipe clears it. */
typedef struct ladder {
    uint8_t k[56];
    fe x1, x2, z2, x3, z3;
    fe a, aa, b, bb, c, d, e, da, cb;
} ladder;

static const uint8_t zero56[56];

int mt_x448(uint8_t out[56], const uint8_t scalar[56], const uint8_t u[56])
{
    ladder s;
    uint64_t swap = 0;

    /* decodeScalar448 (RFC 7748 5): clear the 2 low bits, set bit 447. */
    memcpy(s.k, scalar, 56);
    s.k[0] &= 252;
    s.k[55] |= 128;
    fe_frombytes(s.x1, u);

    memset(s.x2, 0, sizeof s.x2);
    s.x2[0] = 1;
    memset(s.z2, 0, sizeof s.z2);
    memcpy(s.x3, s.x1, sizeof s.x3);
    memset(s.z3, 0, sizeof s.z3);
    s.z3[0] = 1;

    /* RFC 7748 5: the Montgomery ladder, bits 447 down to 0. */
    for (int t = 447; t >= 0; t--) {
        uint64_t kt = (uint64_t)(s.k[t >> 3] >> (t & 7)) & 1;
        swap ^= kt;
        fe_cswap(s.x2, s.x3, swap);
        fe_cswap(s.z2, s.z3, swap);
        swap = kt;

        fe_add(s.a, s.x2, s.z2);  /* A = x_2 + z_2 */
        fe_sub(s.b, s.x2, s.z2);  /* B = x_2 - z_2 */
        fe_add(s.c, s.x3, s.z3);  /* C = x_3 + z_3 */
        fe_sub(s.d, s.x3, s.z3);  /* D = x_3 - z_3 */
        fe_mul(s.da, s.d, s.a);   /* DA = D * A */
        fe_mul(s.cb, s.c, s.b);   /* CB = C * B */
        fe_sq(s.aa, s.a);         /* AA = A^2 */
        fe_sq(s.bb, s.b);         /* BB = B^2 */
        fe_add(s.x3, s.da, s.cb); /* x_3 = (DA + CB)^2 */
        fe_sq(s.x3, s.x3);
        fe_sub(s.z3, s.da, s.cb); /* z_3 = x_1 * (DA - CB)^2 */
        fe_sq(s.z3, s.z3);
        fe_mul(s.z3, s.z3, s.x1);
        fe_mul(s.x2, s.aa, s.bb);      /* x_2 = AA * BB */
        fe_sub(s.e, s.aa, s.bb);       /* E = AA - BB */
        fe_mul_small(s.a, s.e, 39081); /* z_2 = E * (AA + a24 * E) */
        fe_add(s.a, s.a, s.aa);
        fe_mul(s.z2, s.e, s.a);
    }
    fe_cswap(s.x2, s.x3, swap);
    fe_cswap(s.z2, s.z3, swap);

    /* Return x_2 * z_2^(p - 2). */
    fe_invert(s.z2, s.z2);
    fe_mul(s.x2, s.x2, s.z2);
    fe_tobytes(out, s.x2);
    mt_wipe(&s, sizeof s);

    /* RFC 7748 6.2 / RFC 8446 7.4.2: an all-zero shared secret is refused, checked in
     * constant time (mt_ct_eq reads every byte; the mask picks 0 or the error code). */
    unsigned is_zero = (unsigned)mt_ct_eq(out, zero56, 56);
    return (int)((0u - is_zero) & (unsigned)MT_ERR_ILLEGAL_PARAM);
}

int mt_x448_base(uint8_t out[56], const uint8_t scalar[56])
{
    /* RFC 7748 6.2: the public key is X448(a, 5). */
    static const uint8_t five[56] = {5};
    return mt_x448(out, scalar, five);
}
