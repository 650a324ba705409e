/*
 * Tests for lib/crypto/x25519.c and lib/crypto/x448.c (contract in lib/crypto/xdh.h).
 *
 * Notes:
 * - Data: RFC 7748 5.2 vectors, the iterated vectors, the 6.1/6.2 Diffie-Hellman example,
 *   a list of low-order u-coordinates, and random vectors computed by OpenSSL, all under
 *   spec/fixtures/rfc7748-*.txt. Every test runs once per curve.
 * - Environment: MT_TEST_QUICK=1 (valgrind run) skips the 1,000-iteration vectors and
 *   shortens the random loop; MT_TEST_SLOW=1 adds the 1,000,000-iteration vectors;
 *   MT_TEST_BENCH=1 measures CPU time per operation and checks the budget
 *   (0.1 ms for X25519, 0.4 ms for X448).
 * - Constant time (ctgrind): test_xdh_secret_independent marks the scalar (and, in a second
 *   call, the u-coordinate) as undefined memory for valgrind's memcheck. Memcheck then
 *   reports every conditional branch and every memory index that depends on them as an
 *   error ("Conditional jump or move depends on uninitialised value"), which fails the
 *   valgrind run of `make test` (--error-exitcode). Outside valgrind the marks do nothing
 *   and the test is an ordinary vector check: this only bites under valgrind.
 */
#include "../../lib/crypto/xdh.h"
#include "../../lib/moontls.h"
#include "test.h"

#include <sys/resource.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif
#endif
#ifndef HAVE_MEMCHECK
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#define RUNNING_ON_VALGRIND 0
#endif

#define MAX_LEN 56

typedef int (*xdh_fn)(uint8_t *out, const uint8_t *scalar, const uint8_t *u);
typedef int (*xdh_base_fn)(uint8_t *out, const uint8_t *scalar);

typedef struct curve {
    const char *name; /* fixture infix and "curve" value in rfc7748-low-order.txt */
    size_t len;
    xdh_fn fn;
    xdh_base_fn base;
    uint8_t base_u; /* RFC 7748 4.1 / 4.2: u = 9 or u = 5 */
    double budget_ms;
} curve;

static const curve curves[] = {
    {"x25519", MT_X25519_LEN, mt_x25519, mt_x25519_base, 9, 0.1},
    {"x448", MT_X448_LEN, mt_x448, mt_x448_base, 5, 0.4},
};
#define N_CURVES (sizeof curves / sizeof curves[0])

static int env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

static int open_fixture(vec_file *v, const curve *c, const char *suffix)
{
    char path[128];
    snprintf(path, sizeof path, "spec/fixtures/rfc7748-%s%s.txt", c->name, suffix);
    return vec_open(v, path);
}

/* Hex value of `key` that must be exactly c->len bytes, copied into dst. */
static void get_fixed(const vec_file *v, const char *key, const curve *c, uint8_t *dst)
{
    size_t n;
    uint8_t *p = vec_hex(v, key, &n);
    if (n != c->len) {
        fprintf(stderr, "%s: '%s' has %zu bytes, want %zu\n", v->path, key, n, c->len);
        exit(2);
    }
    memcpy(dst, p, n);
    free(p);
}

/* Deterministic generator for the random tests (splitmix64): reproducible failures. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void rng_fill(uint64_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rng_next(s) >> 56);
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* RFC 7748 5.2: the single vectors (X25519's second has the top bit of u set). */
static void check_rfc_vectors(const curve *c)
{
    vec_file v;
    int blocks = 0;
    CHECK(open_fixture(&v, c, ""));
    while (vec_next(&v)) {
        uint8_t k[MAX_LEN], u[MAX_LEN], want[MAX_LEN], out[MAX_LEN];
        get_fixed(&v, "scalar", c, k);
        get_fixed(&v, "u", c, u);
        get_fixed(&v, "output", c, want);
        CHECK_EQ(c->fn(out, k, u), 0);
        CHECK_MEM(out, want, c->len);
        blocks++;
    }
    vec_close(&v);
    CHECK_EQ(blocks, 2);
}

static void test_xdh_rfc_vectors(void)
{
    for (size_t i = 0; i < N_CURVES; i++)
        check_rfc_vectors(&curves[i]);
}

/* RFC 7748 5.2: k = u = start; repeat k, u = X(k, u), k. Also exercises out == scalar. */
static void check_iterated(const curve *c)
{
    vec_file v;
    int ran = 0;
    long limit = env_set("MT_TEST_SLOW") ? 1000000 : env_set("MT_TEST_QUICK") ? 1 : 1000;
    CHECK(open_fixture(&v, c, "-iterated"));
    while (vec_next(&v)) {
        long iterations = atol(vec_get(&v, "iterations"));
        if (iterations > limit) continue;
        uint8_t k[MAX_LEN], u[MAX_LEN], old[MAX_LEN], want[MAX_LEN];
        get_fixed(&v, "start", c, k);
        get_fixed(&v, "k", c, want);
        memcpy(u, k, c->len);
        int rc = 0;
        for (long i = 0; i < iterations; i++) {
            memcpy(old, k, c->len);
            rc |= c->fn(k, k, u);
            memcpy(u, old, c->len);
        }
        CHECK_EQ(rc, 0);
        CHECK_MEM(k, want, c->len);
        ran++;
    }
    vec_close(&v);
    CHECK(ran >= 1);
}

static void test_xdh_iterated(void)
{
    for (size_t i = 0; i < N_CURVES; i++)
        check_iterated(&curves[i]);
}

/* RFC 7748 6.1 / 6.2: both public keys from the private keys, the shared secret both
 * ways, and the base functions agree with the generic one on the base point. */
static void check_dh(const curve *c)
{
    vec_file v;
    uint8_t a[MAX_LEN], a_pub[MAX_LEN], b[MAX_LEN], b_pub[MAX_LEN], shared[MAX_LEN];
    uint8_t out[MAX_LEN], base[MAX_LEN] = {c->base_u};
    CHECK(open_fixture(&v, c, "-dh"));
    CHECK(vec_next(&v));
    get_fixed(&v, "alice_private", c, a);
    get_fixed(&v, "alice_public", c, a_pub);
    get_fixed(&v, "bob_private", c, b);
    get_fixed(&v, "bob_public", c, b_pub);
    get_fixed(&v, "shared", c, shared);
    vec_close(&v);

    CHECK_EQ(c->base(out, a), 0);
    CHECK_MEM(out, a_pub, c->len);
    CHECK_EQ(c->base(out, b), 0);
    CHECK_MEM(out, b_pub, c->len);
    CHECK_EQ(c->fn(out, a, base), 0);
    CHECK_MEM(out, a_pub, c->len);
    CHECK_EQ(c->fn(out, a, b_pub), 0);
    CHECK_MEM(out, shared, c->len);
    CHECK_EQ(c->fn(out, b, a_pub), 0);
    CHECK_MEM(out, shared, c->len);

    /* out may alias the scalar (base) and the u-coordinate. */
    memcpy(out, a, c->len);
    CHECK_EQ(c->base(out, out), 0);
    CHECK_MEM(out, a_pub, c->len);
    memcpy(out, a_pub, c->len);
    CHECK_EQ(c->fn(out, b, out), 0);
    CHECK_MEM(out, shared, c->len);
}

static void test_xdh_dh(void)
{
    for (size_t i = 0; i < N_CURVES; i++)
        check_dh(&curves[i]);
}

/* RFC 7748 6.1 / RFC 8446 7.4.2: a low-order u gives the all-zero value, which is written
 * to out and reported as MT_ERR_ILLEGAL_PARAM, for any scalar. */
static void test_xdh_low_order(void)
{
    vec_file v;
    int seen[N_CURVES] = {0};
    uint64_t seed = 7748;
    CHECK(vec_open(&v, "spec/fixtures/rfc7748-low-order.txt"));
    while (vec_next(&v)) {
        const curve *c = NULL;
        size_t ci = 0;
        for (size_t i = 0; i < N_CURVES; i++)
            if (strcmp(vec_get(&v, "curve"), curves[i].name) == 0) c = &curves[ci = i];
        CHECK(c != NULL);
        if (!c) continue;
        uint8_t u[MAX_LEN], k[MAX_LEN], out[MAX_LEN];
        get_fixed(&v, "u", c, u);
        for (int trial = 0; trial < 4; trial++) {
            rng_fill(&seed, k, c->len);
            memset(out, 0xa5, sizeof out);
            CHECK_EQ(c->fn(out, k, u), MT_ERR_ILLEGAL_PARAM);
            CHECK(all_zero(out, c->len));
        }
        seen[ci]++;
    }
    vec_close(&v);
    CHECK(seen[0] >= 5);
    CHECK(seen[1] >= 3);
}

/* RFC 7748 5: the top bit of an X25519 u is ignored, and a non-canonical u (u + p) is
 * accepted and gives the same result as u. */
static void test_xdh_noncanonical(void)
{
    uint64_t seed = 255;
    for (size_t ci = 0; ci < N_CURVES; ci++) {
        const curve *c = &curves[ci];
        for (int trial = 0; trial < 8; trial++) {
            uint8_t k[MAX_LEN], u[MAX_LEN], u2[MAX_LEN], o1[MAX_LEN], o2[MAX_LEN];
            rng_fill(&seed, k, c->len);
            /* u + p must still fit the encoding below the masked bit: p + u < 2^255 needs
             * u < 19 for X25519 (the values 2^255 - 19 .. 2^255 - 1 are the only
             * non-canonical ones); X448 has room for any u < 2^224 + 1. u >= 2 keeps away
             * from the low-order points 0 and 1. */
            memset(u, 0, sizeof u);
            if (c->len == 32) {
                u[0] = (uint8_t)(2 + rng_next(&seed) % 17);
            } else {
                u[0] = (uint8_t)rng_next(&seed);
                u[1] = (uint8_t)(1 + rng_next(&seed) % 255);
            }
            /* u2 = u + p, byte by byte with carry (p in little-endian bytes). */
            unsigned carry = 0;
            for (size_t i = 0; i < c->len; i++) {
                unsigned pb;
                if (c->len == 32)
                    pb = i == 0 ? 0xed : i == 31 ? 0x7f : 0xff; /* 2^255 - 19 */
                else
                    pb = i == 28 ? 0xfe : 0xff; /* 2^448 - 2^224 - 1 */
                unsigned s = u[i] + pb + carry;
                u2[i] = (uint8_t)s;
                carry = s >> 8;
            }
            CHECK_EQ(carry, 0);
            CHECK_EQ(c->fn(o1, k, u), 0);
            CHECK_EQ(c->fn(o2, k, u2), 0);
            CHECK_MEM(o1, o2, c->len);
            if (c->len == 32) {
                /* Top bit: X25519(k, u | 2^255) == X25519(k, u). */
                rng_fill(&seed, u, c->len);
                memcpy(u2, u, c->len);
                u[31] &= 0x7f;
                u2[31] |= 0x80;
                int r1 = c->fn(o1, k, u), r2 = c->fn(o2, k, u2);
                CHECK_EQ(r1, r2);
                CHECK_MEM(o1, o2, c->len);
            }
        }
    }
}

/* Results for random scalars and random u strings (curve and twist) match OpenSSL's. */
static void test_xdh_openssl_vectors(void)
{
    for (size_t ci = 0; ci < N_CURVES; ci++) {
        const curve *c = &curves[ci];
        vec_file v;
        int blocks = 0;
        CHECK(open_fixture(&v, c, "-openssl"));
        while (vec_next(&v)) {
            uint8_t k[MAX_LEN], u[MAX_LEN], want[MAX_LEN], out[MAX_LEN];
            get_fixed(&v, "scalar", c, k);
            get_fixed(&v, "u", c, u);
            get_fixed(&v, "output", c, want);
            CHECK_EQ(c->fn(out, k, u), 0);
            CHECK_MEM(out, want, c->len);
            blocks++;
        }
        vec_close(&v);
        CHECK_EQ(blocks, 32);
    }
}

/* Randomized agreement: X(a, X(b, B)) == X(b, X(a, B)) for many key pairs, the public key
 * from _base equals X(k, B), and distinct keys give distinct secrets. */
static void test_xdh_random_dh(void)
{
    uint64_t seed = 0x6d6f6f6e746c73; /* fixed: a failure reproduces */
    int quick = env_set("MT_TEST_QUICK");
    for (size_t ci = 0; ci < N_CURVES; ci++) {
        const curve *c = &curves[ci];
        int pairs = quick ? 8 : (c->len == 32 ? 256 : 64);
        uint8_t base[MAX_LEN] = {c->base_u}, prev[MAX_LEN] = {0};
        for (int n = 0; n < pairs; n++) {
            uint8_t a[MAX_LEN], b[MAX_LEN], pa[MAX_LEN], pb[MAX_LEN], pa2[MAX_LEN];
            uint8_t sa[MAX_LEN], sb[MAX_LEN];
            rng_fill(&seed, a, c->len);
            rng_fill(&seed, b, c->len);
            CHECK_EQ(c->base(pa, a), 0);
            CHECK_EQ(c->base(pb, b), 0);
            CHECK_EQ(c->fn(pa2, a, base), 0);
            CHECK_MEM(pa, pa2, c->len);
            CHECK_EQ(c->fn(sa, a, pb), 0);
            CHECK_EQ(c->fn(sb, b, pa), 0);
            CHECK_MEM(sa, sb, c->len);
            CHECK(memcmp(sa, prev, c->len) != 0);
            memcpy(prev, sa, c->len);
        }
    }
}

/* Constant time, checked by valgrind (see the notes at the top). The results are marked
 * defined again before they are compared, so only branches inside the library count. */
static void test_xdh_secret_independent(void)
{
    for (size_t ci = 0; ci < N_CURVES; ci++) {
        const curve *c = &curves[ci];
        vec_file v;
        uint8_t a[MAX_LEN], b_pub[MAX_LEN], shared[MAX_LEN], a_pub[MAX_LEN], out[MAX_LEN];
        uint8_t low[MAX_LEN] = {1};
        CHECK(open_fixture(&v, c, "-dh"));
        CHECK(vec_next(&v));
        get_fixed(&v, "alice_private", c, a);
        get_fixed(&v, "alice_public", c, a_pub);
        get_fixed(&v, "bob_public", c, b_pub);
        get_fixed(&v, "shared", c, shared);
        vec_close(&v);

        /* Secret scalar. */
        VALGRIND_MAKE_MEM_UNDEFINED(a, c->len);
        int rc = c->fn(out, a, b_pub);
        VALGRIND_MAKE_MEM_DEFINED(&rc, sizeof rc);
        VALGRIND_MAKE_MEM_DEFINED(out, c->len);
        CHECK_EQ(rc, 0);
        CHECK_MEM(out, shared, c->len);

        rc = c->base(out, a);
        VALGRIND_MAKE_MEM_DEFINED(&rc, sizeof rc);
        VALGRIND_MAKE_MEM_DEFINED(out, c->len);
        CHECK_EQ(rc, 0);
        CHECK_MEM(out, a_pub, c->len);

        /* Secret scalar with a low-order point: the zero check is branch-free too. */
        rc = c->fn(out, a, low);
        VALGRIND_MAKE_MEM_DEFINED(&rc, sizeof rc);
        VALGRIND_MAKE_MEM_DEFINED(out, c->len);
        CHECK_EQ(rc, MT_ERR_ILLEGAL_PARAM);
        CHECK(all_zero(out, c->len));

        /* Secret u-coordinate as well (the ladder must not branch on either input). */
        VALGRIND_MAKE_MEM_UNDEFINED(b_pub, c->len);
        rc = c->fn(out, a, b_pub);
        VALGRIND_MAKE_MEM_DEFINED(&rc, sizeof rc);
        VALGRIND_MAKE_MEM_DEFINED(out, c->len);
        VALGRIND_MAKE_MEM_DEFINED(a, c->len);
        VALGRIND_MAKE_MEM_DEFINED(b_pub, c->len);
        CHECK_EQ(rc, 0);
        CHECK_MEM(out, shared, c->len);
    }
    if (RUNNING_ON_VALGRIND) printf("secret-independence checked under valgrind\n");
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* MT_TEST_BENCH=1: CPU time per scalar multiplication against the budget. */
static void test_xdh_speed(void)
{
    if (!env_set("MT_TEST_BENCH")) return;
    for (size_t ci = 0; ci < N_CURVES; ci++) {
        const curve *c = &curves[ci];
        const int ops = 2000;
        uint8_t k[MAX_LEN], u[MAX_LEN] = {c->base_u};
        uint64_t seed = 1;
        rng_fill(&seed, k, c->len);
        int rc = 0;
        double t0 = cpu_seconds();
        /* Each output feeds the next input, so no call can be skipped. */
        for (int i = 0; i < ops; i++)
            rc |= c->fn(u, k, u);
        double ms = (cpu_seconds() - t0) * 1e3 / ops;
        CHECK_EQ(rc, 0);
        printf("%s: %.4f ms CPU per scalar multiplication (%d ops, budget %.1f ms)\n", c->name, ms,
               ops, c->budget_ms);
        CHECK(ms <= c->budget_ms);
    }
}

int main(void)
{
    RUN(test_xdh_rfc_vectors);
    RUN(test_xdh_iterated);
    RUN(test_xdh_dh);
    RUN(test_xdh_low_order);
    RUN(test_xdh_noncanonical);
    RUN(test_xdh_openssl_vectors);
    RUN(test_xdh_random_dh);
    RUN(test_xdh_secret_independent);
    RUN(test_xdh_speed);
    return test_summary();
}
