/*
 * rng.c - system and seeded generators, and the libtomcrypt PRNG bridge. See rng.h.
 */
#include "rng_ltc.h"
#include "../buf/buf.h"
#include "../internal.h"

#include <errno.h>
#include <pthread.h>
#include <sys/random.h>

static int system_fill(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    (void)ud;
    (void)purpose;
    size_t done = 0;
    while (done < n) {
        ssize_t r = getrandom(out + done, n - done, 0);
        if (r < 0 && errno == EINTR) continue;
        MT_ENSURE(r > 0, MT_ERR_CRYPTO);
        done += (size_t)r;
    }
    return 0;
}

mt_rng mt_rng_system(void)
{
    mt_rng r = {system_fill, NULL};
    return r;
}

int mt_rng_bytes(const mt_rng *rng, const char *purpose, uint8_t *out, size_t n)
{
    if (n == 0) return 0;
    if (rng == NULL || rng->fn == NULL) return system_fill(NULL, purpose, out, n);
    return rng->fn(rng->ud, purpose, out, n);
}

/* ---- seeded: block_i = SHA-256(key || be64(i)) ---- */

static void seeded_refill(mt_rng_seeded *s)
{
    hash_state h;
    uint8_t ctr[8];
    for (int i = 0; i < 8; i++)
        ctr[i] = (uint8_t)(s->counter >> (56 - 8 * i));
    sha256_init(&h);
    sha256_process(&h, s->key, sizeof s->key);
    sha256_process(&h, ctr, sizeof ctr);
    sha256_done(&h, s->block);
    mt_wipe(&h, sizeof h);
    s->counter++;
    s->used = 0;
}

static int seeded_fill(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    (void)purpose;
    mt_rng_seeded *s = ud;
    for (size_t i = 0; i < n; i++) {
        if (s->used == sizeof s->block) seeded_refill(s);
        out[i] = s->block[s->used++];
    }
    return 0;
}

mt_rng mt_rng_seeded_init(mt_rng_seeded *s, const uint8_t *seed, size_t seed_len)
{
    hash_state h;
    sha256_init(&h);
    if (seed_len) sha256_process(&h, seed, (unsigned long)seed_len);
    sha256_done(&h, s->key);
    mt_wipe(&h, sizeof h);
    s->counter = 0;
    s->used = sizeof s->block;
    mt_rng r = {seeded_fill, s};
    return r;
}

void mt_rng_seeded_wipe(mt_rng_seeded *s)
{
    mt_wipe(s, sizeof *s);
}

/* ---- libtomcrypt bridge ----
 * The descriptor's state is a pointer to a small binding record stored in the
 * prng_state union's bytes (the union is far larger than the record). */

typedef struct {
    const mt_rng *rng;
    const char *purpose;
    int failed;
} ltc_binding;

static ltc_binding *binding_of(prng_state *ps)
{
    return (ltc_binding *)(void *)ps->dummy;
}

static int b_start(prng_state *ps)
{
    (void)ps;
    return CRYPT_OK;
}
static int b_add_entropy(const unsigned char *in, unsigned long n, prng_state *ps)
{
    (void)in;
    (void)n;
    (void)ps;
    return CRYPT_OK;
}
static int b_ready(prng_state *ps)
{
    (void)ps;
    return CRYPT_OK;
}
static unsigned long b_read(unsigned char *out, unsigned long n, prng_state *ps)
{
    ltc_binding *b = binding_of(ps);
    if (mt_rng_bytes(b->rng, b->purpose, out, n) != 0) {
        b->failed = 1;
        return 0; /* libtomcrypt treats a short read as CRYPT_ERROR_READPRNG */
    }
    return n;
}
static int b_done(prng_state *ps)
{
    (void)ps;
    return CRYPT_OK;
}
static int b_export(unsigned char *out, unsigned long *n, prng_state *ps)
{
    (void)out;
    (void)n;
    (void)ps;
    return CRYPT_ERROR;
}
static int b_import(const unsigned char *in, unsigned long n, prng_state *ps)
{
    (void)in;
    (void)n;
    (void)ps;
    return CRYPT_ERROR;
}
static int b_test(void)
{
    return CRYPT_OK;
}

static const struct ltc_prng_descriptor bridge_desc = {
    "moontls-rng", 0, b_start, b_add_entropy, b_ready, b_read, b_done, b_export, b_import, b_test,
};

static pthread_once_t bridge_once = PTHREAD_ONCE_INIT;
static int bridge_index = -1; /* written once under pthread_once, then read-only */

static void bridge_register(void)
{
    bridge_index = register_prng(&bridge_desc);
}

int mt_rng_ltc_bind(prng_state *ps, int *wprng, const mt_rng *rng, const char *purpose)
{
    _Static_assert(sizeof(ltc_binding) <= sizeof(((prng_state *)0)->chacha),
                   "prng_state too small");
    pthread_once(&bridge_once, bridge_register);
    MT_ENSURE(bridge_index >= 0, MT_ERR_CRYPTO);
    memset(ps, 0, sizeof *ps);
    ltc_binding *b = binding_of(ps);
    b->rng = rng;
    b->purpose = purpose;
    b->failed = 0;
    ps->ready = 1;
    *wprng = bridge_index;
    return 0;
}
