/*
 * bench_crypto.c - CPU cost of each crypto primitive moontls uses (`make bench-crypto`).
 *
 * Notes:
 * - Time is CPU time (getrusage user+sys), not wall time: these machines have two shared
 *   cores and wall rates swing 2x. Each operation runs until it has used BENCH_SECONDS of
 *   CPU, then reports microseconds per operation (and MB/s for bulk operations).
 * - Output is one line per primitive, "name us_per_op mb_per_s", read by
 *   spec/bench/bench-crypto.sh, which puts `openssl speed` figures beside them.
 * - A benchmark, not a test: it asserts nothing about speed, but it does abort if a
 *   primitive fails, so a broken build never prints a flattering number.
 */
#include "../../lib/buf/buf.h"
#include "../../lib/crypto/cipher.h"
#include "../../lib/crypto/dh.h"
#include "../../lib/crypto/ec.h"
#include "../../lib/crypto/hash.h"
#include "../../lib/crypto/kdf.h"
#include "../../lib/crypto/rng.h"
#include "../../lib/crypto/rsa.h"
#include "../../lib/crypto/xdh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define BULK 16384

static double bench_seconds = 0.5;

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void must(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "bench: %s failed with 0x%x\n", what, rc);
        exit(1);
    }
}

typedef void (*op_fn)(void *ctx);

/* Run op until bench_seconds of CPU are used; print "name us/op MB/s". */
static void run(const char *name, op_fn op, void *ctx, size_t bytes_per_op)
{
    op(ctx); /* warm up */
    long n = 0;
    double t0 = cpu_now(), t;
    do {
        for (int i = 0; i < 8; i++)
            op(ctx);
        n += 8;
        t = cpu_now() - t0;
    } while (t < bench_seconds);
    double us = t * 1e6 / (double)n;
    double mbs = bytes_per_op ? (double)bytes_per_op * n / t / 1e6 : 0;
    printf("%s %.3f %.1f\n", name, us, mbs);
    fflush(stdout);
}

static uint8_t data[BULK + 256];
static uint8_t out[BULK + 256];

static void op_sha256(void *c)
{
    uint8_t d[64];
    must(mt_hash(MT_HASH_SHA256, data, BULK, d), "sha256");
}
static void op_sha384(void *c)
{
    uint8_t d[64];
    must(mt_hash(MT_HASH_SHA384, data, BULK, d), "sha384");
}
static void op_hmac256(void *c)
{
    uint8_t d[64];
    must(mt_hmac(MT_HASH_SHA256, data, 32, data, BULK, d), "hmac");
}

static void op_seal(void *c)
{
    static const uint8_t nonce[12] = {1};
    must(mt_aead_seal(c, nonce, data, 13, data, BULK, out), "seal");
}

static void op_cbc(void *c)
{
    uint8_t hdr[13] = {0, 0, 0, 0, 0, 0, 0, 1, 23, 3, 3, BULK >> 8, BULK & 255};
    static const uint8_t iv[16] = {2};
    size_t n;
    must(mt_cbc_seal(c, hdr, data, BULK, iv, 0, out, &n), "cbc seal");
}

static void op_expand_label(void *c)
{
    uint8_t secret[32] = {3}, key[16];
    must(mt_hkdf_expand_label(MT_HASH_SHA256, secret, (const uint8_t *)"key", 3, NULL, 0, key,
                              sizeof key),
         "expand_label");
}

static void op_x25519(void *c)
{
    uint8_t k[32] = {9}, pub[32];
    memcpy(k, data, 32);
    int rc = mt_x25519_base(pub, k);
    must(rc, "x25519");
}

static void op_x448(void *c)
{
    uint8_t k[56], pub[56];
    memcpy(k, data, 56);
    must(mt_x448_base(pub, k), "x448");
}

typedef struct {
    mt_ec_key *key;
    uint8_t peer[200];
    size_t peer_len;
    uint8_t digest[64];
    size_t digest_len;
    uint8_t sig[200];
    size_t sig_len;
} ec_ctx;

static void op_ecdh(void *c)
{
    ec_ctx *e = c;
    uint8_t z[80];
    size_t n;
    must(mt_ecdh(e->key, e->peer, e->peer_len, z, &n), "ecdh");
}
static void op_ecdsa_sign(void *c)
{
    ec_ctx *e = c;
    size_t n = sizeof e->sig;
    must(mt_ecdsa_sign(e->key, e->digest, e->digest_len, NULL, e->sig, &n), "ecdsa sign");
}
static void op_ecdsa_verify(void *c)
{
    ec_ctx *e = c;
    must(mt_ecdsa_verify(e->key, e->digest, e->digest_len, e->sig, e->sig_len), "ecdsa verify");
}

typedef struct {
    mt_rsa_key *key;
    uint8_t digest[32];
    uint8_t sig[512];
    size_t sig_len;
    uint8_t ct[512];
    size_t ct_len;
} rsa_ctx;

static void op_rsa_sign_pkcs1(void *c)
{
    rsa_ctx *r = c;
    size_t n;
    must(mt_rsa_sign_pkcs1(r->key, MT_HASH_SHA256, r->digest, 32, NULL, r->sig, &n), "rsa sign");
}
static void op_rsa_sign_pss(void *c)
{
    rsa_ctx *r = c;
    size_t n;
    must(mt_rsa_sign_pss(r->key, MT_HASH_SHA256, r->digest, 32, 32, NULL, r->sig, &n), "rsa pss");
}
static void op_rsa_verify(void *c)
{
    rsa_ctx *r = c;
    must(mt_rsa_verify_pkcs1(r->key, MT_HASH_SHA256, r->digest, 32, r->sig, r->sig_len),
         "rsa verify");
}
static void op_rsa_pms(void *c)
{
    rsa_ctx *r = c;
    uint8_t fallback[48] = {0}, pms[48];
    must(mt_rsa_decrypt_pms(r->key, r->ct, r->ct_len, 0x0303, 1, fallback, pms), "rsa pms");
}

typedef struct {
    mt_dh_key *key;
    uint8_t peer[512];
    size_t peer_len;
} dh_ctx;

static void op_dh(void *c)
{
    dh_ctx *d = c;
    uint8_t z[512];
    size_t n;
    must(mt_dh_shared(d->key, d->peer, d->peer_len, 0, z, &n), "dh");
}

static void bench_ec(const char *name, int curve, mt_hash_id h)
{
    ec_ctx e = {0};
    mt_ec_key *peer;
    must(mt_ec_generate(&e.key, curve, NULL, "bench"), "ec keygen");
    must(mt_ec_generate(&peer, curve, NULL, "bench"), "ec keygen");
    e.peer_len = sizeof e.peer;
    must(mt_ec_export_public(peer, e.peer, &e.peer_len), "ec export");
    e.digest_len = mt_hash_len(h);
    must(mt_hash(h, "x", 1, e.digest), "hash");
    char label[64];
    snprintf(label, sizeof label, "ecdh-%s", name);
    run(label, op_ecdh, &e, 0);
    snprintf(label, sizeof label, "ecdsa-%s-sign", name);
    run(label, op_ecdsa_sign, &e, 0);
    e.sig_len = sizeof e.sig;
    must(mt_ecdsa_sign(e.key, e.digest, e.digest_len, NULL, e.sig, &e.sig_len), "ecdsa sign");
    snprintf(label, sizeof label, "ecdsa-%s-verify", name);
    run(label, op_ecdsa_verify, &e, 0);
    mt_ec_free(e.key);
    mt_ec_free(peer);
}

int main(int argc, char **argv)
{
    if (argc > 1) bench_seconds = atof(argv[1]);
    memset(data, 0x5a, sizeof data);

    run("sha256", op_sha256, NULL, BULK);
    run("sha384", op_sha384, NULL, BULK);
    run("hmac-sha256", op_hmac256, NULL, BULK);
    run("hkdf-expand-label", op_expand_label, NULL, 0);

    static const struct {
        const char *name;
        mt_aead_id id;
    } aeads[] = {{"aes-128-gcm", MT_AEAD_AES128_GCM},
                 {"aes-256-gcm", MT_AEAD_AES256_GCM},
                 {"chacha20-poly1305", MT_AEAD_CHACHA20_POLY1305}};
    for (size_t i = 0; i < sizeof aeads / sizeof aeads[0]; i++) {
        mt_aead *a;
        must(mt_aead_new(&a, aeads[i].id, data), "aead new");
        run(aeads[i].name, op_seal, a, BULK);
        mt_aead_free(a);
    }
    mt_cbc *cbc;
    must(mt_cbc_new(&cbc, data, 16, MT_HASH_SHA256, data, 1, NULL, 0), "cbc new");
    run("aes-128-cbc-hmac-sha256", op_cbc, cbc, BULK);
    mt_cbc_free(cbc);

    run("x25519", op_x25519, NULL, 0);
    run("x448", op_x448, NULL, 0);
    bench_ec("p256", MT_EC_P256, MT_HASH_SHA256);
    bench_ec("p384", MT_EC_P384, MT_HASH_SHA384);

    rsa_ctx r = {0};
    mt_rng_seeded seed;
    mt_rng rng = mt_rng_seeded_init(&seed, (const uint8_t *)"bench", 5);
    must(mt_rsa_generate(&r.key, 2048, &rng), "rsa keygen");
    must(mt_hash(MT_HASH_SHA256, "x", 1, r.digest), "hash");
    run("rsa2048-sign-pkcs1", op_rsa_sign_pkcs1, &r, 0);
    run("rsa2048-sign-pss", op_rsa_sign_pss, &r, 0);
    must(mt_rsa_sign_pkcs1(r.key, MT_HASH_SHA256, r.digest, 32, NULL, r.sig, &r.sig_len), "sign");
    run("rsa2048-verify", op_rsa_verify, &r, 0);
    uint8_t pms[48] = {3, 3};
    must(mt_rsa_encrypt_pkcs1(r.key, pms, 48, NULL, r.ct, &r.ct_len), "rsa encrypt");
    run("rsa2048-decrypt-pms", op_rsa_pms, &r, 0);
    mt_rsa_free(r.key);
    mt_rng_seeded_wipe(&seed);

    dh_ctx d = {0};
    mt_dh_key *peer;
    must(mt_dh_generate_named(&d.key, MT_DH_FFDHE2048, NULL), "dh keygen");
    must(mt_dh_generate_named(&peer, MT_DH_FFDHE2048, NULL), "dh keygen");
    d.peer_len = sizeof d.peer;
    must(mt_dh_export_public(peer, 1, d.peer, &d.peer_len), "dh export");
    run("ffdhe2048", op_dh, &d, 0);
    mt_dh_free(d.key);
    mt_dh_free(peer);
    return 0;
}
