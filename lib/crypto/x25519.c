/*
 * x25519.c - X25519 (RFC 7748 5) over p = 2^255 - 19. Contract in xdh.h.
 *
 * Notes:
 * - A field element is five 64-bit limbs in radix 2^51 (value = sum f[i] * 2^(51 i)).
 *   Products use unsigned __int128; the part above 2^255 folds back times 19, because
 *   2^255 = 19 mod p. Limbs are kept loosely reduced between operations:
 *     fe_mul / fe_sq / fe_mul_small output: limbs < 2^52;
 *     fe_add of two such: < 2^53;  fe_sub adds 4p first so it never underflows: < 2^54.
 *   fe_mul and fe_sq accept limbs up to 2^54: 5 * 2^54 * (19 * 2^54) < 2^117, no overflow.
 * - Only fe_tobytes reduces fully, to the canonical value in [0, p).
 * - The ladder is RFC 7748 5's, with a24 = 121665, and a masked conditional swap; the
 *   loop runs 255 times whatever the scalar, and no branch or array index depends on it.
 * - Inversion is z^(p-2) by the usual fixed chain (254 squarings, 11 multiplications).
 */
#include "xdh.h"
#include "../buf/buf.h"
#include "../internal.h"

#include <string.h>

__extension__ typedef unsigned __int128 u128;
typedef uint64_t fe[5];

#define MASK51 ((UINT64_C(1) << 51) - 1)

static uint64_t load64(const uint8_t *s, size_t at)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v |= (uint64_t)s[at + i] << (8 * i);
    return v;
}

static void store64(uint8_t *s, size_t at, uint64_t v)
{
    for (size_t i = 0; i < 8; i++)
        s[at + i] = (uint8_t)(v >> (8 * i));
}

/* decodeUCoordinate (RFC 7748 5): little-endian, bit 255 masked. A value in [p, 2^255)
 * is kept as is; the arithmetic works mod p, which is what the RFC asks. */
static void fe_frombytes(fe h, const uint8_t s[32])
{
    uint64_t w0 = load64(s, 0), w1 = load64(s, 8), w2 = load64(s, 16), w3 = load64(s, 24);
    h[0] = w0 & MASK51;
    h[1] = (w0 >> 51 | w1 << 13) & MASK51;
    h[2] = (w1 >> 38 | w2 << 26) & MASK51;
    h[3] = (w2 >> 25 | w3 << 39) & MASK51;
    h[4] = (w3 >> 12) & MASK51;
}

/* Canonical encoding (RFC 7748 5, encodeUCoordinate: value mod p, little-endian). */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    uint64_t t[5], q;
    memcpy(t, f, sizeof t);
    /* One carry pass: limbs < 2^51 except t[0] < 2^51 + 19 * 2, so the value v < 2p. */
    t[1] += (t[0] >> 51);
    t[0] &= MASK51;
    t[2] += (t[1] >> 51);
    t[1] &= MASK51;
    t[3] += (t[2] >> 51);
    t[2] &= MASK51;
    t[4] += (t[3] >> 51);
    t[3] &= MASK51;
    t[0] += 19 * (t[4] >> 51);
    t[4] &= MASK51;
    /* q = floor((v + 19) / 2^255) is 1 exactly when v >= p (as v < 2p). */
    q = (t[0] + 19) >> 51;
    q = (t[1] + q) >> 51;
    q = (t[2] + q) >> 51;
    q = (t[3] + q) >> 51;
    q = (t[4] + q) >> 51;
    /* v - q p = v + 19 q - q 2^255: add, carry, and drop bit 255. */
    t[0] += 19 * q;
    t[1] += (t[0] >> 51);
    t[0] &= MASK51;
    t[2] += (t[1] >> 51);
    t[1] &= MASK51;
    t[3] += (t[2] >> 51);
    t[2] &= MASK51;
    t[4] += (t[3] >> 51);
    t[3] &= MASK51;
    t[4] &= MASK51;
    store64(s, 0, t[0] | t[1] << 51);
    store64(s, 8, t[1] >> 13 | t[2] << 38);
    store64(s, 16, t[2] >> 26 | t[3] << 25);
    store64(s, 24, t[3] >> 39 | t[4] << 12);
    mt_wipe(t, sizeof t);
}

static void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
}

/* h = f - g + 4p; g's limbs must be below 2^53 - 76 (any mul/sq output is). */
static void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = f[0] + (UINT64_C(0x1fffffffffffb4)) - g[0]; /* 4 * (2^51 - 19) */
    h[1] = f[1] + (UINT64_C(0x1ffffffffffffc)) - g[1]; /* 4 * (2^51 - 1) */
    h[2] = f[2] + (UINT64_C(0x1ffffffffffffc)) - g[2];
    h[3] = f[3] + (UINT64_C(0x1ffffffffffffc)) - g[3];
    h[4] = f[4] + (UINT64_C(0x1ffffffffffffc)) - g[4];
}

/* Carry five 128-bit column sums into h (limbs < 2^52 afterwards). */
static inline void fe_carry_wide(fe h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
    r1 += r0 >> 51;
    r2 += r1 >> 51;
    r3 += r2 >> 51;
    r4 += r3 >> 51;
    r0 = (r0 & MASK51) + (r4 >> 51) * 19;
    h[1] = (uint64_t)(r1 & MASK51) + (uint64_t)(r0 >> 51);
    h[0] = (uint64_t)(r0 & MASK51);
    h[2] = (uint64_t)(r2 & MASK51);
    h[3] = (uint64_t)(r3 & MASK51);
    h[4] = (uint64_t)(r4 & MASK51);
}

/* h = f * g. h may alias f or g. */
static void fe_mul(fe h, const fe f, const fe g)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 r0 =
        (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
    u128 r1 =
        (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
    u128 r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
    u128 r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
    u128 r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^2. h may alias f. */
static void fe_sq(fe h, const fe f)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3;
    uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 r0 = (u128)f0 * f0 + (u128)f1_2 * f4_19 + (u128)f2_2 * f3_19;
    u128 r1 = (u128)f0_2 * f1 + (u128)f3 * f3_19 + (u128)f2_2 * f4_19;
    u128 r2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)f3_2 * f4_19;
    u128 r3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4 * f4_19;
    u128 r4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

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
    fe_carry_wide(h, (u128)f[0] * n, (u128)f[1] * n, (u128)f[2] * n, (u128)f[3] * n,
                  (u128)f[4] * n);
}

/* Swap f and g when swap == 1, leave them when swap == 0, without a branch. */
static void fe_cswap(fe f, fe g, uint64_t swap)
{
    uint64_t mask = 0 - swap;
    uint64_t x0 = mask & (f[0] ^ g[0]), x1 = mask & (f[1] ^ g[1]), x2 = mask & (f[2] ^ g[2]);
    uint64_t x3 = mask & (f[3] ^ g[3]), x4 = mask & (f[4] ^ g[4]);
    f[0] ^= x0;
    f[1] ^= x1;
    f[2] ^= x2;
    f[3] ^= x3;
    f[4] ^= x4;
    g[0] ^= x0;
    g[1] ^= x1;
    g[2] ^= x2;
    g[3] ^= x3;
    g[4] ^= x4;
}

/* h = z^(p-2) = z^-1 (Fermat); p - 2 = 2^255 - 21 = (2^250 - 1) * 2^5 + 11. Zero maps to
 * zero, which is what makes the all-zero output of a low-order point come out. */
static void fe_invert(fe h, const fe z)
{
    fe z2, z9, z11, t, z5_0, z10_0, z20_0, z50_0, z100_0;
    fe_sq(z2, z);             /* z^2 */
    fe_sqn(t, z2, 2);         /* z^8 */
    fe_mul(z9, t, z);         /* z^9 */
    fe_mul(z11, z9, z2);      /* z^11 */
    fe_sq(t, z11);            /* z^22 */
    fe_mul(z5_0, t, z9);      /* z^(2^5 - 1) */
    fe_sqn(t, z5_0, 5);       /* */
    fe_mul(z10_0, t, z5_0);   /* z^(2^10 - 1) */
    fe_sqn(t, z10_0, 10);     /* */
    fe_mul(z20_0, t, z10_0);  /* z^(2^20 - 1) */
    fe_sqn(t, z20_0, 20);     /* */
    fe_mul(t, t, z20_0);      /* z^(2^40 - 1) */
    fe_sqn(t, t, 10);         /* */
    fe_mul(z50_0, t, z10_0);  /* z^(2^50 - 1) */
    fe_sqn(t, z50_0, 50);     /* */
    fe_mul(z100_0, t, z50_0); /* z^(2^100 - 1) */
    fe_sqn(t, z100_0, 100);   /* */
    fe_mul(t, t, z100_0);     /* z^(2^200 - 1) */
    fe_sqn(t, t, 50);         /* */
    fe_mul(t, t, z50_0);      /* z^(2^250 - 1) */
    fe_sqn(t, t, 5);          /* z^(2^255 - 32) */
    fe_mul(h, t, z11);        /* z^(2^255 - 21) */
    mt_wipe(z2, sizeof z2);
    mt_wipe(z9, sizeof z9);
    mt_wipe(z11, sizeof z11);
    mt_wipe(t, sizeof t);
    mt_wipe(z5_0, sizeof z5_0);
    mt_wipe(z10_0, sizeof z10_0);
    mt_wipe(z20_0, sizeof z20_0);
    mt_wipe(z50_0, sizeof z50_0);
    mt_wipe(z100_0, sizeof z100_0);
}

/* Everything secret lives here, so one wipe clears it. */
typedef struct ladder {
    uint8_t k[32];
    fe x1, x2, z2, x3, z3;
    fe a, aa, b, bb, c, d, e, da, cb;
} ladder;

static const uint8_t zero32[32];

int mt_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
    ladder s;
    uint64_t swap = 0;

    /* decodeScalar25519 (RFC 7748 5): clear the 3 low bits, clear bit 255, set bit 254. */
    memcpy(s.k, scalar, 32);
    s.k[0] &= 248;
    s.k[31] &= 127;
    s.k[31] |= 64;
    fe_frombytes(s.x1, u);

    memset(s.x2, 0, sizeof s.x2);
    s.x2[0] = 1;
    memset(s.z2, 0, sizeof s.z2);
    memcpy(s.x3, s.x1, sizeof s.x3);
    memset(s.z3, 0, sizeof s.z3);
    s.z3[0] = 1;

    /* RFC 7748 5: the Montgomery ladder, bits 254 down to 0. */
    for (int t = 254; t >= 0; t--) {
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
        fe_mul(s.x2, s.aa, s.bb);       /* x_2 = AA * BB */
        fe_sub(s.e, s.aa, s.bb);        /* E = AA - BB */
        fe_mul_small(s.a, s.e, 121665); /* z_2 = E * (AA + a24 * E) */
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

    /* RFC 7748 6.1 / RFC 8446 7.4.2: an all-zero shared secret is refused. mt_ct_eq reads
     * every byte whatever they hold; the mask turns its 0/1 into 0 or the error code. */
    unsigned is_zero = (unsigned)mt_ct_eq(out, zero32, 32);
    return (int)((0u - is_zero) & (unsigned)MT_ERR_ILLEGAL_PARAM);
}

int mt_x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    /* RFC 7748 6.1: the public key is X25519(a, 9). */
    static const uint8_t nine[32] = {9};
    return mt_x25519(out, scalar, nine);
}
