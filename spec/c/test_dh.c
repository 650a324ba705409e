/* Tests for lib/crypto/dh: RFC 7919 group constants, known answers made with Python pow()
 * (exponent pinned through the rng), agreement both ways, peer-value bounds, explicit
 * TLS 1.2 group checks. Fixtures: spec/fixtures/dh-rfc7919.txt and dh-kat.txt (built by
 * spec/fixtures/dh-vectors.py). With MT_BENCH=1 it also prints CPU ms per operation. */
#include "../../lib/crypto/dh.h"
#include "../../lib/crypto/hash.h"
#include "../../lib/moontls.h"
#include "test.h"

#include <sys/resource.h>

#define MAX_P 512
#define MT_ARRAY_LEN_T(a) (sizeof(a) / sizeof((a)[0]))

static int quick(void)
{
    return getenv("MT_TEST_QUICK") != NULL;
}

typedef struct {
    const uint8_t *data;
    size_t len, off;
    int draws;
    size_t last_n;
    const char *last_purpose;
} pinned;

static int pinned_fill(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    pinned *p = ud;
    p->draws++;
    p->last_n = n;
    p->last_purpose = purpose;
    if (p->len - p->off < n) return MT_ERR_CRYPTO;
    memcpy(out, p->data + p->off, n);
    p->off += n;
    return 0;
}

static const int all_groups[] = {MT_DH_FFDHE2048, MT_DH_FFDHE3072, MT_DH_FFDHE4096};

/* ---- the group constants are the RFC's ---- */

static void test_rfc7919_groups(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/dh-rfc7919.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        int group = atoi(vec_get(&v, "group"));
        size_t pl, gl, hl, got_pl, got_gl;
        uint8_t *p = vec_hex(&v, "p", &pl), *g = vec_hex(&v, "g", &gl),
                *h = vec_hex(&v, "sha256", &hl);
        const uint8_t *gp, *gg;
        uint8_t dg[32];
        CHECK_EQ(mt_dh_group(group, &gp, &got_pl, &gg, &got_gl), 0);
        CHECK_EQ(got_pl, pl);
        CHECK_EQ(got_gl, gl);
        CHECK_MEM(gp, p, pl);
        CHECK_MEM(gg, g, gl);
        CHECK_EQ(mt_hash(MT_HASH_SHA256, gp, got_pl, dg), 0);
        CHECK_MEM(dg, h, 32);
        /* RFC 7919 appendix A: the top and bottom 64 bits of p are all ones */
        for (int i = 0; i < 8; i++) {
            CHECK_EQ(gp[i], 0xff);
            CHECK_EQ(gp[got_pl - 1 - i], 0xff);
        }
        CHECK_EQ(got_pl, (size_t)(group == MT_DH_FFDHE2048   ? 256
                                  : group == MT_DH_FFDHE3072 ? 384
                                                             : 512));
        free(p), free(g), free(h);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 3);
    CHECK_EQ(mt_dh_group(259, NULL, NULL, NULL, NULL), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_dh_group(23, NULL, NULL, NULL, NULL), MT_ERR_BAD_PARAM);
}

/* ---- known answers (Python pow) ---- */

static void test_known_answers(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/dh-kat.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        int group = atoi(vec_get(&v, "group"));
        size_t dl, yl, publ, zl, l;
        uint8_t *draw = vec_hex(&v, "draw", &dl), *peer = vec_hex(&v, "peer", &yl);
        uint8_t *pub = vec_hex(&v, "public", &publ), *z = vec_hex(&v, "shared", &zl);
        uint8_t out[MAX_P];
        pinned pin = {draw, dl, 0, 0, 0, NULL};
        mt_rng rng = {pinned_fill, &pin};
        mt_dh_key *key = NULL;
        if (group == 0) {
            size_t pl;
            uint8_t *p = vec_hex(&v, "p", &pl), g = 2;
            CHECK_EQ(mt_dh_generate(&key, p, pl, &g, 1, 256, &rng), 0);
            free(p);
        } else {
            CHECK_EQ(mt_dh_generate_named(&key, group, &rng), 0);
        }
        /* one draw of exactly ceil(bits / 8) bytes: 29, 35, 41 (RFC 7919 appendix A's
         * 225, 275, 325 bits), 256 for the explicit group (bits(p) - 1 = 2047) */
        CHECK_EQ(pin.draws, 1);
        CHECK_EQ(pin.last_n, dl);
        CHECK(pin.last_purpose && strcmp(pin.last_purpose, "key_share") == 0);
        if (!key) goto next;
        CHECK_EQ(mt_dh_size(key), publ);
        CHECK_EQ(mt_dh_export_public(key, 1, out, &l), 0);
        CHECK_EQ(l, publ);
        CHECK_MEM(out, pub, publ);
        /* unpadded: minimal big-endian */
        size_t lz = 0;
        while (pub[lz] == 0)
            lz++;
        CHECK_EQ(mt_dh_export_public(key, 0, out, &l), 0);
        CHECK_EQ(l, publ - lz);
        CHECK_MEM(out, pub + lz, l);
        /* TLS 1.3: padded to |p| (the fixture's secret starts with a zero byte) */
        CHECK_EQ(z[0], 0);
        CHECK_EQ(mt_dh_shared(key, peer, yl, 0, out, &l), 0);
        CHECK_EQ(l, zl);
        CHECK_MEM(out, z, zl);
        /* TLS 1.2: leading zeros stripped */
        lz = 0;
        while (z[lz] == 0)
            lz++;
        CHECK_EQ(mt_dh_shared(key, peer, yl, 1, out, &l), 0);
        CHECK_EQ(l, zl - lz);
        CHECK_MEM(out, z + lz, l);
        /* the peer value may come without its leading zeros, or shorter than p */
        size_t yz = 0;
        while (peer[yz] == 0)
            yz++;
        CHECK_EQ(mt_dh_shared(key, peer + yz, yl - yz, 0, out, &l), 0);
        CHECK_MEM(out, z, zl);
        mt_dh_free(key);
        n++;
    next:
        free(draw), free(peer), free(pub), free(z);
    }
    vec_close(&v);
    CHECK_EQ(n, 4);
}

/* An explicit group equal to ffdhe2048 gets the named group's short exponent. */
static void test_explicit_named_group(void)
{
    const uint8_t *p, *g;
    size_t pl, gl, l1, l2;
    uint8_t draw[64], a[MAX_P], b[MAX_P];
    memset(draw, 0x37, sizeof draw);
    CHECK_EQ(mt_dh_group(MT_DH_FFDHE2048, &p, &pl, &g, &gl), 0);
    pinned p1 = {draw, sizeof draw, 0, 0, 0, NULL}, p2 = {draw, sizeof draw, 0, 0, 0, NULL};
    mt_rng r1 = {pinned_fill, &p1}, r2 = {pinned_fill, &p2};
    mt_dh_key *k1 = NULL, *k2 = NULL;
    CHECK_EQ(mt_dh_generate_named(&k1, MT_DH_FFDHE2048, &r1), 0);
    CHECK_EQ(mt_dh_generate(&k2, p, pl, g, gl, 256, &r2), 0);
    CHECK_EQ(p1.last_n, 29);
    CHECK_EQ(p2.last_n, 29);
    if (k1 && k2) {
        CHECK_EQ(mt_dh_export_public(k1, 1, a, &l1), 0);
        CHECK_EQ(mt_dh_export_public(k2, 1, b, &l2), 0);
        CHECK_EQ(l1, l2);
        CHECK_MEM(a, b, l1);
    }
    mt_dh_free(k1);
    mt_dh_free(k2);
}

/* ---- agreement both ways ---- */

static void test_agreement(void)
{
    int rounds = quick() ? 1 : 3;
    for (size_t i = 0; i < MT_ARRAY_LEN_T(all_groups); i++) {
        for (int j = 0; j < rounds; j++) {
            mt_rng_seeded s;
            uint8_t seed[2] = {(uint8_t)i, (uint8_t)j};
            mt_rng rng = mt_rng_seeded_init(&s, seed, 2);
            mt_dh_key *a = NULL, *b = NULL;
            uint8_t pa[MAX_P], pb[MAX_P], za[MAX_P], zb[MAX_P];
            size_t la, lb, zla, zlb;
            CHECK_EQ(mt_dh_generate_named(&a, all_groups[i], &rng), 0);
            CHECK_EQ(mt_dh_generate_named(&b, all_groups[i], &rng), 0);
            if (a && b) {
                CHECK_EQ(mt_dh_export_public(a, 1, pa, &la), 0);
                CHECK_EQ(mt_dh_export_public(b, 1, pb, &lb), 0);
                CHECK_EQ(la, mt_dh_size(a));
                CHECK(memcmp(pa, pb, la) != 0);
                CHECK_EQ(mt_dh_shared(a, pb, lb, 0, za, &zla), 0);
                CHECK_EQ(mt_dh_shared(b, pa, la, 0, zb, &zlb), 0);
                CHECK_EQ(zla, la);
                CHECK_EQ(zlb, la);
                CHECK_MEM(za, zb, zla);
            }
            mt_dh_free(a);
            mt_dh_free(b);
            mt_rng_seeded_wipe(&s);
        }
    }
    mt_dh_free(NULL);
}

/* ---- peer value bounds: 1 < y < p-1 ---- */

/* v = p + delta (delta in -2..1), big-endian in n bytes. */
static void p_plus(const uint8_t *p, size_t n, int delta, uint8_t *out)
{
    int carry = delta;
    for (size_t i = n; i-- > 0;) {
        int x = p[i] + carry;
        carry = x < 0 ? -1 : x > 255 ? 1 : 0;
        out[i] = (uint8_t)(x - carry * 256);
    }
}

static void test_peer_bounds(void)
{
    for (size_t i = 0; i < MT_ARRAY_LEN_T(all_groups); i++) {
        mt_rng_seeded s;
        mt_rng rng = mt_rng_seeded_init(&s, (const uint8_t *)"bounds", 6);
        const uint8_t *p;
        size_t pl, l;
        uint8_t y[MAX_P + 2], out[MAX_P];
        mt_dh_key *key = NULL;
        CHECK_EQ(mt_dh_group(all_groups[i], &p, &pl, NULL, NULL), 0);
        CHECK_EQ(mt_dh_generate_named(&key, all_groups[i], &rng), 0);
        if (!key) continue;
        /* 0, 1, as one byte, padded, and empty */
        y[0] = 0;
        CHECK_EQ(mt_dh_shared(key, y, 1, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        CHECK_EQ(mt_dh_shared(key, y, 0, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        CHECK_EQ(mt_dh_shared(key, NULL, 0, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        y[0] = 1;
        CHECK_EQ(mt_dh_shared(key, y, 1, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        memset(y, 0, pl);
        CHECK_EQ(mt_dh_shared(key, y, pl, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        y[pl - 1] = 1;
        CHECK_EQ(mt_dh_shared(key, y, pl, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        /* p-1 (the order-2 element), p, p+1, all ones */
        for (int d = -1; d <= 1; d++) {
            p_plus(p, pl, d, y);
            CHECK_EQ(mt_dh_shared(key, y, pl, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        }
        memset(y, 0xff, pl);
        CHECK_EQ(mt_dh_shared(key, y, pl, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        /* longer than p, even when the extra byte is zero */
        y[0] = 0;
        y[1] = 2;
        memset(y + 2, 0, pl - 1);
        CHECK_EQ(mt_dh_shared(key, y, pl + 1, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        memset(y, 0, pl + 1);
        y[pl] = 2;
        CHECK_EQ(mt_dh_shared(key, y, pl + 1, 0, out, &l), MT_ERR_ILLEGAL_PARAM);
        /* the edges that are allowed: 2 and p-2 */
        y[0] = 2;
        CHECK_EQ(mt_dh_shared(key, y, 1, 0, out, &l), 0);
        CHECK_EQ(l, pl);
        p_plus(p, pl, -2, y);
        CHECK_EQ(mt_dh_shared(key, y, pl, 0, out, &l), 0);
        mt_dh_free(key);
        mt_rng_seeded_wipe(&s);
    }
}

/* ---- explicit (TLS 1.2 ServerKeyExchange) groups ---- */

static void test_explicit_group_checks(void)
{
    const uint8_t *p;
    size_t pl;
    uint8_t g[MAX_P + 1], q[MAX_P + 2];
    mt_rng_seeded s;
    mt_rng rng = mt_rng_seeded_init(&s, (const uint8_t *)"explicit", 8);
    mt_dh_key *k = NULL;
    CHECK_EQ(mt_dh_group(MT_DH_FFDHE2048, &p, &pl, NULL, NULL), 0);
    uint8_t two = 2;
    /* p below the caller's minimum: insufficient_security */
    CHECK_EQ(mt_dh_generate(&k, p, pl, &two, 1, 257, &rng),
             MT_ERR_SENT(MT_ALERT_INSUFFICIENT_SECURITY));
    CHECK_EQ(mt_dh_generate(&k, p + 128, pl - 128, &two, 1, 256, &rng),
             MT_ERR_SENT(MT_ALERT_INSUFFICIENT_SECURITY));
    /* leading zeros do not make p longer */
    memset(q, 0, 2);
    memcpy(q + 2, p + 2, pl - 2);
    CHECK_EQ(mt_dh_generate(&k, q, pl, &two, 1, 256, &rng),
             MT_ERR_SENT(MT_ALERT_INSUFFICIENT_SECURITY));
    CHECK_EQ(mt_dh_generate(&k, NULL, 0, &two, 1, 0, &rng),
             MT_ERR_SENT(MT_ALERT_INSUFFICIENT_SECURITY));
    /* an even p */
    memcpy(q, p, pl);
    q[pl - 1] ^= 1;
    CHECK_EQ(mt_dh_generate(&k, q, pl, &two, 1, 256, &rng), MT_ERR_ILLEGAL_PARAM);
    /* g outside (1, p-1): 0, 1, p-1, p, p+1, empty */
    uint8_t small[2] = {0, 1};
    CHECK_EQ(mt_dh_generate(&k, p, pl, small, 1, 256, &rng), MT_ERR_ILLEGAL_PARAM);
    CHECK_EQ(mt_dh_generate(&k, p, pl, small + 1, 1, 256, &rng), MT_ERR_ILLEGAL_PARAM);
    CHECK_EQ(mt_dh_generate(&k, p, pl, small, 2, 256, &rng), MT_ERR_ILLEGAL_PARAM);
    CHECK_EQ(mt_dh_generate(&k, p, pl, NULL, 0, 256, &rng), MT_ERR_ILLEGAL_PARAM);
    for (int d = -1; d <= 1; d++) {
        p_plus(p, pl, d, g);
        CHECK_EQ(mt_dh_generate(&k, p, pl, g, pl, 256, &rng), MT_ERR_ILLEGAL_PARAM);
    }
    CHECK(k == NULL);
    /* a huge p is refused before any work */
    static uint8_t huge[4096];
    memset(huge, 0xff, sizeof huge);
    CHECK_EQ(mt_dh_generate(&k, huge, sizeof huge, &two, 1, 256, &rng), MT_ERR_LIMIT);
    /* g = p-2 is accepted; so is a g with leading zeros */
    p_plus(p, pl, -2, g);
    CHECK_EQ(mt_dh_generate(&k, p, pl, g, pl, 256, &rng), 0);
    mt_dh_free(k);
    k = NULL;
    uint8_t gz[3] = {0, 0, 5};
    CHECK_EQ(mt_dh_generate(&k, p, pl, gz, 3, 256, &rng), 0);
    mt_dh_free(k);
    mt_rng_seeded_wipe(&s);
}

static void test_rng_failures(void)
{
    uint8_t zeros[64 * 64] = {0};
    pinned z = {zeros, sizeof zeros, 0, 0, 0, NULL};
    mt_rng zr = {pinned_fill, &z};
    mt_dh_key *k = NULL;
    /* an exponent below 2 is drawn again; a generator stuck at zero fails */
    CHECK_EQ(mt_dh_generate_named(&k, MT_DH_FFDHE2048, &zr), MT_ERR_CRYPTO);
    CHECK(z.draws > 1);
    pinned e = {NULL, 0, 0, 0, 0, NULL};
    mt_rng er = {pinned_fill, &e};
    CHECK_EQ(mt_dh_generate_named(&k, MT_DH_FFDHE2048, &er), MT_ERR_CRYPTO);
    CHECK(k == NULL);
    /* x = 1 is redrawn: the second draw (x = 3) is used */
    uint8_t two_draws[58] = {0};
    two_draws[28] = 1;
    two_draws[57] = 3;
    pinned t = {two_draws, sizeof two_draws, 0, 0, 0, NULL};
    mt_rng tr = {pinned_fill, &t};
    CHECK_EQ(mt_dh_generate_named(&k, MT_DH_FFDHE2048, &tr), 0);
    CHECK_EQ(t.draws, 2);
    uint8_t out[MAX_P];
    size_t l;
    if (k) {
        CHECK_EQ(mt_dh_export_public(k, 0, out, &l), 0);
        CHECK_EQ(l, 1);
        CHECK_EQ(out[0], 8); /* 2^3 */
    }
    mt_dh_free(k);
    CHECK_EQ(mt_dh_generate_named(&k, 23, &tr), MT_ERR_BAD_PARAM);
}

/* ---- optional timing (MT_BENCH=1) ---- */

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
           ru.ru_stime.tv_usec / 1e3;
}

static void bench(void)
{
    mt_rng_seeded s;
    mt_rng rng = mt_rng_seeded_init(&s, (const uint8_t *)"bench", 5);
    for (size_t g = 0; g < MT_ARRAY_LEN_T(all_groups); g++) {
        int iters = 100;
        uint8_t pb[MAX_P], z[MAX_P];
        size_t lb, zl;
        mt_dh_key *peer = NULL;
        mt_dh_generate_named(&peer, all_groups[g], &rng);
        mt_dh_export_public(peer, 1, pb, &lb);
        double t0 = cpu_ms();
        for (int i = 0; i < iters; i++) {
            mt_dh_key *k = NULL;
            mt_dh_generate_named(&k, all_groups[g], &rng);
            mt_dh_shared(k, pb, lb, 0, z, &zl);
            mt_dh_free(k);
        }
        double t1 = cpu_ms();
        printf("bench ffdhe%zu keygen+shared %.3f ms/op\n", lb * 8, (t1 - t0) / iters);
        mt_dh_free(peer);
    }
    mt_rng_seeded_wipe(&s);
}

int main(void)
{
    RUN(test_rfc7919_groups);
    RUN(test_known_answers);
    RUN(test_explicit_named_group);
    RUN(test_agreement);
    RUN(test_peer_bounds);
    RUN(test_explicit_group_checks);
    RUN(test_rng_failures);
    if (getenv("MT_BENCH")) bench();
    return test_summary();
}
