/*
 * bench_engine.c - in-memory measurements of the whole engine for `make bench`:
 *
 *   bench_engine bulk SUITE MB [REPS [BATCH]]  CPU per MB, engine vs raw AEAD, per direction
 *   bench_engine bulk-ir SUITE MB [BATCH]      the same under callgrind: one dump each
 *   bench_engine idle N                 heap and RSS per idle server connection
 *   bench_engine ceiling CRYPTO.txt     crypto cost of one handshake, per side
 *   bench_engine pair STEM [REPS [R]]   plain in-memory handshake CPU (hooks.lua's baseline)
 *
 * Notes:
 * - bulk: five measurements of MB megabytes in 16 KiB writes, taking turns in each of
 *   REPS rounds (default 15, or BULK_REPS), each keeping its minimum over the rounds
 *   (CPU time of the process, clock_gettime(CLOCK_PROCESS_CPUTIME_ID) around the timed
 *   parts only, the readings' own cost calibrated out):
 *     raw_seal / raw_open  mt_aead_seal / mt_aead_open of the records the engine builds
 *                          (16385-byte TLS 1.3 inner plaintext, 5-byte header as AAD);
 *     seal                 mt_conn_write + mt_conn_output + mt_conn_output_consume, as a
 *                          sender drives it (send(2) would take the output in between);
 *     open                 the zero-copy receiver: the peer's records for BATCH writes
 *                          (default 4, BULK_BATCH: one 64 KiB recv) are copied into
 *                          mt_conn_input_reserve's room outside the timed part (that copy
 *                          is recv's, the kernel's), then commit + run + read_view/consume;
 *     open_plain           the same records through mt_conn_feed + run + mt_conn_read
 *                          into a buffer (both copies are the engine's and are timed).
 *   Each round is a fresh pair (handshake not timed); the server seals (nobody reads it),
 *   the client writes what the server opens. Output, one line: "bulk SUITE" then
 *   "NAME us_per_mb" for the five, seal_ratio, open_ratio, open_plain_ratio (over the raw
 *   figure of the same direction), engine (seal + open), raw, ratio, mb, reps, batch,
 *   after "median" the five medians (the spread), and after "round_ratio" the median over
 *   the rounds of each round's engine/raw for seal, open and open_plain (both measured
 *   back to back, so a change of clock speed between rounds cancels out). bulk-ir runs one round after a warm-up
 *   one and toggles callgrind collection around the same timed parts, dumping after each
 *   measurement (valgrind --tool=callgrind --collect-atstart=no; spec/bench/bench.sh reads
 *   the dumps' totals).
 * - idle: N server connections complete a handshake with an in-memory client that is
 *   freed at once; the server connections stay. Heap is mallinfo2().uordblks, RSS is
 *   /proc/self/statm; both as deltas over the N connections. It also prints what one
 *   idle connection still holds (struct size and buffer capacities) - it includes the
 *   internal engine.h for that, which only a diagnostic may do.
 * - ceiling: every crypto primitive the engine calls is counted through the linker
 *   (-Wl,--wrap, see the Makefile's bench target) while one in-memory handshake runs,
 *   attributed to the side whose engine made the call; the counts times the per-
 *   operation costs that bench_crypto measured (CRYPTO.txt: "name us MB/s" lines) give
 *   the crypto ceiling. HMACs (HKDF-Extract, each HKDF-Expand block, Finished) count as
 *   one hkdf-expand-label each; transcript hashing counts bytes at bench_crypto's
 *   SHA-256 rate plus one block per digest taken. Hashing inside a signature operation
 *   is not counted twice. It also prints the engine's in-memory CPU per side (no
 *   sockets) and the CPU spent inside the wrapped primitives and HKDF calls during it
 *   (clock_gettime around each outermost call, its own cost calibrated out), so
 *   in-memory total minus that is the engine's own overhead, without bench_crypto's
 *   run-to-run noise. Key imports (peer point validation, RSA key set-up) are not
 *   wrapped: they count as overhead.
 */
#define _GNU_SOURCE
#include "bench_common.h"

#include "../../lib/crypto/cipher.h"
#include "../../lib/crypto/ec.h"
#include "../../lib/crypto/hash.h"
#include "../../lib/crypto/rsa.h"
#include "../../lib/engine.h"

#include <malloc.h>
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif
#ifndef CALLGRIND_DUMP_STATS_AT
#define CALLGRIND_DUMP_STATS_AT(name) (void)(name)
#endif

#define PKI "spec/fixtures/pki/"

/* ---------------------------------------------------------------- counting wraps */

enum { C_X25519, C_P256_SIGN, C_P384_SIGN, C_P256_VERIFY, C_P384_VERIFY, C_P521_VERIFY,
       C_RSA_SIGN_PSS, C_RSA_SIGN_PKCS1, C_RSA_VERIFY, C_HMAC, C_HASH_BYTES, C_HASH_DIGESTS,
       C_ECDH, C_EC_KEYGEN, C_N };
static const char *const c_names[C_N] = {
    "x25519", "ecdsa-p256-sign", "ecdsa-p384-sign", "ecdsa-p256-verify", "ecdsa-p384-verify",
    "ecdsa-p521-verify", "rsa2048-sign-pss", "rsa2048-sign-pkcs1", "rsa2048-verify",
    "hkdf-expand-label", "sha256-bytes", "sha256-digests", "ecdh", "ec-keygen"};
static long counts[2][C_N]; /* [side][counter]; side 0 client, 1 server */
static int side, in_sig;
/* CPU spent inside the outermost counted crypto calls, per side, and how many such
 * calls were timed (each timing costs a clock_gettime pair, calibrated at start). */
static double crypto_ns[2], timed_calls[2], clock_pair_ns;
/* 0: no clock reads in the wraps nor per side in step() (bench_engine pair's plain pass). */
static int timing = 1;
/* BENCH_CG_CRYPTO=1: toggle callgrind collection around each outermost wrapped call, so
 * `valgrind --tool=callgrind --collect-atstart=no` counts the instructions inside the
 * crypto primitives and HKDF only. */
static int cg_crypto;

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* sig = 1 for public-key operations: hashing inside them is part of their cost and is
 * not counted again. Only the outermost wrapped call is timed. */
static int in_any;
#define WRAP_(sig, ret, name, params, args, body)                                             \
    ret __real_##name params;                                                                 \
    ret __wrap_##name params;                                                                 \
    ret __wrap_##name params                                                                  \
    {                                                                                         \
        body;                                                                                 \
        int first_ = in_any++ == 0, outer_ = first_ && timing, s_ = side;                     \
        in_sig += sig;                                                                        \
        double t0_ = outer_ ? cpu_ns() : 0;                                                   \
        if (first_ && cg_crypto) CALLGRIND_TOGGLE_COLLECT;                                    \
        ret r_ = __real_##name args;                                                          \
        if (first_ && cg_crypto) CALLGRIND_TOGGLE_COLLECT;                                    \
        if (outer_) {                                                                         \
            crypto_ns[s_] += cpu_ns() - t0_;                                                  \
            timed_calls[s_]++;                                                                \
        }                                                                                     \
        in_sig -= sig;                                                                        \
        in_any--;                                                                             \
        return r_;                                                                            \
    }
#define WRAP(...) WRAP_(1, __VA_ARGS__)
#define WRAP_H(...) WRAP_(0, __VA_ARGS__)

/* HKDF entry points: timed as crypto, counted through the HMACs inside them. */
WRAP_H(int, mt_hkdf_extract,
       (mt_hash_id h, const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il,
        uint8_t *prk),
       (h, salt, sl, ikm, il, prk), (void)0)
WRAP_H(int, mt_hkdf_expand_label,
       (mt_hash_id h, const uint8_t *secret, const uint8_t *label, size_t ll,
        const uint8_t *ctx, size_t cl, uint8_t *out, size_t ol),
       (h, secret, label, ll, ctx, cl, out, ol), (void)0)
WRAP_H(int, mt_derive_secret,
       (mt_hash_id h, const uint8_t *secret, const char *label, const uint8_t *th,
        uint8_t *out),
       (h, secret, label, th, out), (void)0)

WRAP(int, mt_x25519, (uint8_t out[32], const uint8_t s[32], const uint8_t u[32]), (out, s, u),
     counts[side][C_X25519]++)
WRAP(int, mt_x25519_base, (uint8_t out[32], const uint8_t s[32]), (out, s),
     counts[side][C_X25519]++)
WRAP(int, mt_ecdsa_sign,
     (const mt_ec_key *k, const uint8_t *d, size_t dl, const mt_rng *rng, uint8_t *sig,
      size_t *sl),
     (k, d, dl, rng, sig, sl),
     counts[side][mt_ec_curve(k) == MT_EC_P256 ? C_P256_SIGN : C_P384_SIGN]++)
WRAP(int, mt_ecdsa_verify,
     (const mt_ec_key *k, const uint8_t *d, size_t dl, const uint8_t *sig, size_t sl),
     (k, d, dl, sig, sl),
     counts[side][mt_ec_curve(k) == MT_EC_P256   ? C_P256_VERIFY
                  : mt_ec_curve(k) == MT_EC_P384 ? C_P384_VERIFY
                                                 : C_P521_VERIFY]++)
WRAP(int, mt_rsa_sign_pss,
     (const mt_rsa_key *k, mt_hash_id h, const uint8_t *d, size_t dl, size_t salt,
      const mt_rng *rng, uint8_t *sig, size_t *sl),
     (k, h, d, dl, salt, rng, sig, sl), counts[side][C_RSA_SIGN_PSS]++)
WRAP(int, mt_rsa_sign_pkcs1,
     (const mt_rsa_key *k, mt_hash_id h, const uint8_t *d, size_t dl, const mt_rng *rng,
      uint8_t *sig, size_t *sl),
     (k, h, d, dl, rng, sig, sl), counts[side][C_RSA_SIGN_PKCS1]++)
WRAP(int, mt_rsa_verify_pss,
     (const mt_rsa_key *k, mt_hash_id h, const uint8_t *d, size_t dl, size_t salt,
      const uint8_t *sig, size_t sl),
     (k, h, d, dl, salt, sig, sl), counts[side][C_RSA_VERIFY]++)
WRAP(int, mt_rsa_verify_pkcs1,
     (const mt_rsa_key *k, mt_hash_id h, const uint8_t *d, size_t dl, const uint8_t *sig,
      size_t sl),
     (k, h, d, dl, sig, sl), counts[side][C_RSA_VERIFY]++)
WRAP(int, mt_ecdh,
     (const mt_ec_key *k, const uint8_t *p, size_t pl, uint8_t *out, size_t *ol),
     (k, p, pl, out, ol), counts[side][C_ECDH]++)
WRAP(int, mt_ec_generate, (mt_ec_key * *out, int curve, const mt_rng *rng, const char *purpose),
     (out, curve, rng, purpose), counts[side][C_EC_KEYGEN]++)
WRAP_H(int, mt_hmac,
     (mt_hash_id id, const uint8_t *key, size_t kl, const void *data, size_t len,
      uint8_t *out),
     (id, key, kl, data, len, out), if (!in_sig) counts[side][C_HMAC]++)
WRAP_H(int, mt_hmac_final, (mt_hmac_ctx * ctx, uint8_t *out), (ctx, out),
     if (!in_sig) counts[side][C_HMAC]++)
WRAP_H(int, mt_hash_update, (mt_hash_ctx * ctx, const void *data, size_t len), (ctx, data, len),
     if (!in_sig) counts[side][C_HASH_BYTES] += (long)len)
WRAP_H(int, mt_hash, (mt_hash_id id, const void *data, size_t len, uint8_t *out),
     (id, data, len, out), if (!in_sig) {
         counts[side][C_HASH_BYTES] += (long)len;
         counts[side][C_HASH_DIGESTS]++;
     })
WRAP_H(int, mt_hash_final, (mt_hash_ctx * ctx, uint8_t *out), (ctx, out),
     if (!in_sig) counts[side][C_HASH_DIGESTS]++)
WRAP_H(int, mt_hash_peek, (const mt_hash_ctx *ctx, uint8_t *out), (ctx, out),
     if (!in_sig) counts[side][C_HASH_DIGESTS]++)

/* ---------------------------------------------------------------- in-memory pair */

static double side_ns[2];

static void drain_events(mt_conn *c)
{
    while (mt_conn_want(c) & MT_WANT_EVENT) {
        mt_conn_event_done(c, 0);
        mt_conn_run(c);
    }
}

/* Run side s and move its output to the other side. Returns bytes moved. */
static size_t step(mt_conn *conns[2], int s)
{
    if (!timing) {
        side = s;
        mt_conn_run(conns[s]);
        drain_events(conns[s]);
        const uint8_t *p;
        size_t n = mt_conn_output(conns[s], &p);
        if (n) {
            side = 1 - s;
            mt_conn_feed(conns[1 - s], p, n);
            mt_conn_output_consume(conns[s], n);
        }
        return n;
    }
    double t0 = cpu_ns();
    side = s;
    mt_conn_run(conns[s]);
    drain_events(conns[s]);
    const uint8_t *p;
    size_t n = mt_conn_output(conns[s], &p);
    side_ns[s] += cpu_ns() - t0;
    if (n) {
        t0 = cpu_ns();
        side = 1 - s;
        mt_conn_feed(conns[1 - s], p, n);
        side_ns[1 - s] += cpu_ns() - t0;
        t0 = cpu_ns();
        mt_conn_output_consume(conns[s], n);
        side_ns[s] += cpu_ns() - t0;
    }
    return n;
}

static int pump(mt_conn *conns[2])
{
    for (int i = 0; i < 64; i++) {
        size_t a = step(conns, 0), b = step(conns, 1);
        if (!a && !b) break;
    }
    return (mt_conn_want(conns[0]) & MT_WANT_DONE) && (mt_conn_want(conns[1]) & MT_WANT_DONE);
}

static int handshake(mt_config *ccfg, mt_config *scfg, mt_conn *conns[2])
{
    conns[0] = mt_conn_new(ccfg);
    conns[1] = mt_conn_new(scfg);
    if (!conns[0] || !conns[1]) die("mt_conn_new", MT_ERR_NO_MEMORY);
    if (!pump(conns)) {
        const char *w0, *w1;
        int e0 = mt_conn_error(conns[0], &w0), e1 = mt_conn_error(conns[1], &w1);
        fprintf(stderr, "bench_engine: handshake failed: client 0x%x (%s), server 0x%x (%s)\n",
                e0, w0 ? w0 : "", e1, w1 ? w1 : "");
        exit(1);
    }
    return 1;
}

/* ---------------------------------------------------------------- bulk */

enum { CHUNK = 16384, MAX_BATCH = 64 };
static uint8_t chunk[CHUNK], sink[CHUNK + 64];

/* The bulk measurements, in the order each round runs them. */
enum { B_RAW_SEAL, B_SEAL, B_RAW_OPEN, B_OPEN, B_OPEN_PLAIN, B_N };
static const char *const b_names[B_N] = {"raw_seal", "seal", "raw_open", "open", "open_plain"};

/* bulk-ir: collect instructions only inside the timed parts, one callgrind dump per
 * measurement (see cmd_bulk). */
static int bulk_cg;

/* A timed part: CPU time of this process around it, minus the calibrated cost of the two
 * clock readings; under bulk-ir, callgrind collects only here. */
static double t_begin(void)
{
    if (bulk_cg) CALLGRIND_TOGGLE_COLLECT;
    return cpu_ns();
}

static double t_end(double t0)
{
    double t = cpu_ns() - t0 - clock_pair_ns / 2;
    if (bulk_cg) CALLGRIND_TOGGLE_COLLECT;
    return t;
}

/* Raw AEAD over the records the engine builds: 16385-byte TLS 1.3 inner plaintext (data
 * and type), 5-byte header as AAD, sealed into and opened from one record buffer. */
typedef struct raw_ctx {
    mt_aead *a;
    uint8_t nonce[12], aad[5];
    uint8_t rec[CHUNK + 1 + 16], plain[CHUNK + 1];
} raw_ctx;

static double raw_seal(raw_ctx *r, long writes)
{
    double t0 = t_begin();
    for (long i = 0; i < writes; i++) {
        r->nonce[11] = (uint8_t)i;
        int rc = mt_aead_seal(r->a, r->nonce, r->aad, 5, r->plain, CHUNK + 1, r->rec);
        if (rc) die("seal", rc);
    }
    return t_end(t0);
}

static double raw_open(raw_ctx *r, long writes)
{
    double t0 = t_begin();
    for (long i = 0; i < writes; i++) {
        int rc = mt_aead_open(r->a, r->nonce, r->aad, 5, r->rec, CHUNK + 1 + 16, sink);
        if (rc) die("open", rc);
    }
    return t_end(t0);
}

/* The sending side as a zero-copy user drives it: write from where the data lies, hand
 * the output (send(2) would copy it to the kernel here), consume it. */
static double eng_seal(mt_conn *c, long writes)
{
    double t0 = t_begin();
    for (long i = 0; i < writes; i++) {
        int rc = mt_conn_write(c, chunk, CHUNK);
        if (rc) die("mt_conn_write", rc);
        const uint8_t *p;
        size_t n = mt_conn_output(c, &p);
        mt_conn_output_consume(c, n);
    }
    return t_end(t0);
}

/* The receiving side: `from` writes `batch` records (not timed), then `to` takes them in
 * one piece, the way one recv(2) of batch x 16 KiB would bring them. zero_copy: the bytes
 * are copied into mt_conn_input_reserve's room outside the timed part (that copy is the
 * kernel's in recv), then commit, run, mt_conn_read_view/consume; plain: mt_conn_feed,
 * run, mt_conn_read into a buffer, all timed (both copies are the engine's). */
static double eng_open(mt_conn *from, mt_conn *to, long writes, int batch, int zero_copy)
{
    double t = 0;
    size_t got = 0;
    for (long i = 0; i < writes; i += batch) {
        int k = writes - i < batch ? (int)(writes - i) : batch;
        for (int j = 0; j < k; j++) {
            int rc = mt_conn_write(from, chunk, CHUNK);
            if (rc) die("mt_conn_write", rc);
        }
        const uint8_t *p;
        size_t n = mt_conn_output(from, &p);
        int rc;
        if (zero_copy) {
            uint8_t *dst = mt_conn_input_reserve(to, n);
            if (!dst) die("mt_conn_input_reserve", MT_ERR_NO_MEMORY);
            memcpy(dst, p, n);
            double t0 = t_begin();
            if ((rc = mt_conn_input_commit(to, n))) die("mt_conn_input_commit", rc);
            if ((rc = mt_conn_run(to))) die("mt_conn_run", rc);
            const uint8_t *q;
            size_t m;
            while ((m = mt_conn_read_view(to, &q)) != 0) {
                got += m;
                mt_conn_read_consume(to, m);
            }
            t += t_end(t0);
        } else {
            double t0 = t_begin();
            if ((rc = mt_conn_feed(to, p, n))) die("mt_conn_feed", rc);
            if ((rc = mt_conn_run(to))) die("mt_conn_run", rc);
            size_t m;
            while (mt_conn_read(to, sink, sizeof sink, &m) == 0 && m)
                got += m;
            t += t_end(t0);
        }
        mt_conn_output_consume(from, n);
    }
    if (got != (size_t)writes * CHUNK) {
        fprintf(stderr, "bench_engine: bulk moved %zu of %zu bytes\n", got, (size_t)writes * CHUNK);
        exit(1);
    }
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* bench_engine bulk SUITE MB [REPS [BATCH]] and bulk-ir SUITE MB: see the notes at the top. */
static int cmd_bulk(const char *suite_name, double mb, int reps, int batch)
{
    uint16_t suite = parse_suite(suite_name);
    mt_aead_id aid = suite == 0x1303   ? MT_AEAD_CHACHA20_POLY1305
                     : suite == 0x1302 ? MT_AEAD_AES256_GCM
                                       : MT_AEAD_AES128_GCM;
    mt_config *scfg = server_config(PKI "leaf-p256.chain.pem", PKI "leaf-p256.key", 0x001d, suite);
    mt_config *ccfg = client_config(NULL, "localhost", 0x001d, suite, 0);
    memset(chunk, 0x5a, sizeof chunk);
    long writes = (long)(mb * 1048576.0 / CHUNK);
    if (writes < 1) writes = 1;
    double mbs = (double)writes * CHUNK / 1048576.0;
    if (reps < 1) reps = 1;
    if (batch < 1) batch = 1;
    if (batch > MAX_BATCH) batch = MAX_BATCH;
    timing = 0; /* no clock readings inside the crypto wraps */

    static raw_ctx raw = {.nonce = {1}, .aad = {23, 3, 3, 0x40, 0x11}};
    uint8_t key[32] = {7};
    int rc = mt_aead_new(&raw.a, aid, key);
    if (rc) die("mt_aead_new", rc);
    memcpy(raw.plain, chunk, CHUNK);
    raw.plain[CHUNK] = 23;

    /* Rounds: a fresh pair each (its handshake not timed), then every measurement in
     * turn, so a neighbour's burst on the shared cores hits one round of one figure; each
     * figure keeps its minimum. The server seals (nobody reads those records); the client
     * writes what the server opens. A warm-up round first. */
    double *per[B_N];
    for (int m = 0; m < B_N; m++)
        per[m] = calloc((size_t)reps, sizeof(double));
    for (int r = -1; r < reps; r++) {
        mt_conn *conns[2];
        handshake(ccfg, scfg, conns);
        double v[B_N];
        v[B_RAW_SEAL] = raw_seal(&raw, writes);
        if (bulk_cg) CALLGRIND_DUMP_STATS_AT("raw_seal");
        v[B_SEAL] = eng_seal(conns[1], writes);
        if (bulk_cg) CALLGRIND_DUMP_STATS_AT("seal");
        v[B_RAW_OPEN] = raw_open(&raw, writes);
        if (bulk_cg) CALLGRIND_DUMP_STATS_AT("raw_open");
        v[B_OPEN] = eng_open(conns[0], conns[1], writes, batch, 1);
        if (bulk_cg) CALLGRIND_DUMP_STATS_AT("open");
        v[B_OPEN_PLAIN] = eng_open(conns[0], conns[1], writes, batch, 0);
        if (bulk_cg) CALLGRIND_DUMP_STATS_AT("open_plain");
        mt_conn_free(conns[0]);
        mt_conn_free(conns[1]);
        if (r < 0) continue;
        for (int m = 0; m < B_N; m++)
            per[m][r] = v[m] / 1e3 / mbs; /* us per MB */
    }
    mt_aead_free(raw.a);
    /* Per round, engine over raw of the same direction, measured back to back: its
     * median over the rounds does not move with the clock speed between rounds. */
    double *rr[3];
    for (int k = 0; k < 3; k++) {
        rr[k] = calloc((size_t)reps, sizeof(double));
        for (int r = 0; r < reps; r++)
            rr[k][r] = k == 0 ? per[B_SEAL][r] / per[B_RAW_SEAL][r]
                              : per[k == 1 ? B_OPEN : B_OPEN_PLAIN][r] / per[B_RAW_OPEN][r];
        qsort(rr[k], (size_t)reps, sizeof(double), cmp_double);
    }
    /* Per figure: minimum and median over the rounds (the median shows the spread). */
    double lo[B_N], med[B_N];
    for (int m = 0; m < B_N; m++) {
        qsort(per[m], (size_t)reps, sizeof(double), cmp_double);
        lo[m] = per[m][0];
        med[m] = per[m][reps / 2];
        free(per[m]);
    }
    printf("bulk %s", suite_name);
    for (int m = 0; m < B_N; m++)
        printf(" %s %.1f", b_names[m], lo[m]);
    printf(" seal_ratio %.3f open_ratio %.3f open_plain_ratio %.3f", lo[B_SEAL] / lo[B_RAW_SEAL],
           lo[B_OPEN] / lo[B_RAW_OPEN], lo[B_OPEN_PLAIN] / lo[B_RAW_OPEN]);
    printf(" engine %.1f raw %.1f ratio %.3f", lo[B_SEAL] + lo[B_OPEN],
           lo[B_RAW_SEAL] + lo[B_RAW_OPEN],
           (lo[B_SEAL] + lo[B_OPEN]) / (lo[B_RAW_SEAL] + lo[B_RAW_OPEN]));
    printf(" mb %.0f reps %d batch %d median", mbs, reps, batch);
    for (int m = 0; m < B_N; m++)
        printf(" %s %.1f", b_names[m], med[m]);
    printf(" round_ratio seal %.3f open %.3f open_plain %.3f\n", rr[0][reps / 2],
           rr[1][reps / 2], rr[2][reps / 2]);
    for (int k = 0; k < 3; k++)
        free(rr[k]);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
    return 0;
}

/* ---------------------------------------------------------------- idle memory */

static long rss_bytes(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
    if (f) fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static size_t cap(const mt_buf *b) { return b->data ? malloc_usable_size(b->data) : 0; }

static int cmd_idle(long n)
{
    mt_config *scfg = server_config(PKI "leaf-p256.chain.pem", PKI "leaf-p256.key", 0x001d, 0);
    mt_config *ccfg = client_config(NULL, "localhost", 0x001d, 0, 0);
    mt_conn **srv = calloc((size_t)n, sizeof *srv);
    /* One handshake first, so lazily built config state and libtomcrypt tables exist
     * before the baseline. */
    mt_conn *warm[2];
    handshake(ccfg, scfg, warm);
    mt_conn_free(warm[0]);
    mt_conn_free(warm[1]);
    malloc_trim(0);
    struct mallinfo2 m0 = mallinfo2();
    long r0 = rss_bytes();
    for (long i = 0; i < n; i++) {
        mt_conn *conns[2];
        handshake(ccfg, scfg, conns);
        mt_conn_free(conns[0]); /* the client side is freed; the server stays */
        const uint8_t *p;
        size_t left = mt_conn_output(conns[1], &p);
        if (left) mt_conn_output_consume(conns[1], left);
        srv[i] = conns[1];
    }
    struct mallinfo2 m1 = mallinfo2();
    long r1 = rss_bytes();
    printf("idle n %ld heap_per_conn %.0f rss_per_conn %.0f\n", n,
           (double)(m1.uordblks - m0.uordblks) / (double)n, (double)(r1 - r0) / (double)n);

    /* What one idle connection holds. */
    mt_conn *c = srv[n - 1];
    printf("idle_detail struct_mt_conn %zu usable %zu in %zu plain %zu app_in %zu cur_msg %zu "
           "in_raw %zu coalesce %zu rec_scratch %zu out %zu ev_data %zu ev_repl %zu "
           "transcript_raw %zu reasm %zu hs %zu rd_aead %d wr_aead %d\n",
           sizeof(struct mt_conn), malloc_usable_size(c), cap(&c->in), cap(&c->plain),
           cap(&c->app_in), cap(&c->cur_msg), cap(&c->in_raw), cap(&c->coalesce),
           cap(&c->rec_scratch), cap(&c->out), cap(&c->ev_data), cap(&c->ev_repl),
           cap(&c->tr.raw), cap(&c->reasm.buf), c->hs ? malloc_usable_size(c->hs) : 0,
           c->rd.aead != NULL, c->wr.aead != NULL);
    for (long i = 0; i < n; i++)
        mt_conn_free(srv[i]);
    free(srv);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
    return 0;
}

/* ---------------------------------------------------------------- ceiling */

static double crypto_us[C_N];

static void load_crypto(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench_engine: cannot open %s\n", path);
        exit(2);
    }
    char name[64];
    double us, mbs;
    while (fscanf(f, "%63s %lf %lf", name, &us, &mbs) == 3) {
        for (int i = 0; i < C_N; i++)
            if (!strcmp(name, c_names[i])) crypto_us[i] = us;
        if (!strcmp(name, "sha256")) {
            crypto_us[C_HASH_BYTES] = us / 16384.0;
            crypto_us[C_HASH_DIGESTS] = us / 16384.0 * 128; /* padding block + overhead */
        }
        if (!strcmp(name, "ecdh-p256")) crypto_us[C_ECDH] = us;
        if (!strcmp(name, "rsa2048-verify")) crypto_us[C_RSA_VERIFY] = us;
    }
    fclose(f);
}

static void ceiling_for(const char *label, const char *stem, int reps)
{
    char chain[128], key[128];
    snprintf(chain, sizeof chain, PKI "%s.chain.pem", stem);
    snprintf(key, sizeof key, PKI "%s.key", stem);
    mt_config *scfg = server_config(chain, key, 0x001d, 0x1301);
    mt_config *ccfg = client_config(PKI "ca-bundle.pem", "localhost", 0x001d, 0x1301, 1);
    mt_conn *conns[2];
    handshake(ccfg, scfg, conns); /* warm-up */
    mt_conn_free(conns[0]);
    mt_conn_free(conns[1]);
    memset(counts, 0, sizeof counts);
    side_ns[0] = side_ns[1] = 0;
    crypto_ns[0] = crypto_ns[1] = timed_calls[0] = timed_calls[1] = 0;
    for (int r = 0; r < reps; r++) {
        handshake(ccfg, scfg, conns);
        mt_conn_close(conns[0]); /* the close_notify both real clients send */
        pump(conns);
        mt_conn_free(conns[0]);
        mt_conn_free(conns[1]);
    }
    for (int s = 0; s < 2; s++) {
        double total = 0;
        char detail[1024] = "";
        size_t off = 0;
        for (int i = 0; i < C_N; i++) {
            if (!counts[s][i]) continue;
            double each = counts[s][i] / (double)reps;
            double us = each * crypto_us[i];
            total += us;
            off += (size_t)snprintf(detail + off, sizeof detail - off, "%s%s=%g(%.0fus)",
                                    off ? "," : "", c_names[i], each, us);
        }
        /* Each timed call adds a clock_gettime pair to both the total and the crypto time;
         * take them out of both. */
        double pairs = timed_calls[s] * clock_pair_ns;
        double inmem = (side_ns[s] - pairs) / 1e3 / reps;
        double crypto = (crypto_ns[s] - timed_calls[s] * clock_pair_ns / 2) / 1e3 / reps;
        printf("ceiling %s %s %.1f inmem_us %.1f crypto_in_hs_us %.1f %s\n",
               s ? "server" : "client", label, total, inmem, crypto, detail);
    }
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* ---------------------------------------------------------------- pair */

/* The plain in-memory C pair, the baseline for spec/bench/hooks.lua: the configuration
 * hooks.lua builds in Lua (leaf STEM chain, x25519, TLS_AES_128_GCM_SHA256, client
 * verifies against ca-bundle.pem for "localhost"), one handshake = both conns new, pump
 * until idle, both freed (no close_notify). Plain pass: ROUNDS x REPS handshakes with no
 * clock read inside (timing = 0), CPU from getrusage per round, median round reported
 * (both sides together, microseconds per handshake). Second pass (same REPS, timed as in
 * `ceiling`): the split per side and the CPU inside the crypto primitives and HKDF.
 * Output: "pair STEM plain_us X client_us C server_us S crypto_us K crypto_client_us KC
 * crypto_server_us KS reps N rounds R". */
static int cmd_pair(const char *stem, int reps, int rounds)
{
    char chain[128], key[128];
    snprintf(chain, sizeof chain, PKI "%s.chain.pem", stem);
    snprintf(key, sizeof key, PKI "%s.key", stem);
    mt_config *scfg = server_config(chain, key, 0x001d, 0x1301);
    mt_config *ccfg = client_config(PKI "ca-bundle.pem", "localhost", 0x001d, 0x1301, 1);
    mt_conn *conns[2];
    timing = 0;
    for (int r = 0; r < 20; r++) { /* warm-up */
        handshake(ccfg, scfg, conns);
        mt_conn_free(conns[0]);
        mt_conn_free(conns[1]);
    }
    double *per = calloc((size_t)rounds, sizeof *per);
    for (int k = 0; k < rounds; k++) {
        double t0 = cpu_self();
        for (int r = 0; r < reps; r++) {
            handshake(ccfg, scfg, conns);
            mt_conn_free(conns[0]);
            mt_conn_free(conns[1]);
        }
        per[k] = (cpu_self() - t0) * 1e6 / reps;
    }
    qsort(per, (size_t)rounds, sizeof *per, cmp_double);
    double plain = per[rounds / 2];
    free(per);
    timing = 1;
    side_ns[0] = side_ns[1] = 0;
    crypto_ns[0] = crypto_ns[1] = timed_calls[0] = timed_calls[1] = 0;
    for (int r = 0; r < reps; r++) {
        handshake(ccfg, scfg, conns);
        side = 0;
        mt_conn_free(conns[0]);
        side = 1;
        mt_conn_free(conns[1]);
    }
    double us[2], cr[2];
    for (int s = 0; s < 2; s++) {
        us[s] = (side_ns[s] - timed_calls[s] * clock_pair_ns) / 1e3 / reps;
        cr[s] = (crypto_ns[s] - timed_calls[s] * clock_pair_ns / 2) / 1e3 / reps;
    }
    printf("pair %s plain_us %.1f client_us %.1f server_us %.1f crypto_us %.1f "
           "crypto_client_us %.1f crypto_server_us %.1f reps %d rounds %d\n",
           stem, plain, us[0], us[1], cr[0] + cr[1], cr[0], cr[1], reps, rounds);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "idle")) return cmd_idle(atol(argv[2]));
    cg_crypto = getenv("BENCH_CG_CRYPTO") != NULL;
    /* Cost of two clock readings: the best of 10 runs of 1000. */
    for (int k = 0; k < 10; k++) {
        double t0 = cpu_ns();
        for (int i = 0; i < 1000; i++)
            (void)cpu_ns();
        double pair = 2 * (cpu_ns() - t0) / 1000;
        if (k == 0 || pair < clock_pair_ns) clock_pair_ns = pair;
    }
    if (argc >= 4 && !strcmp(argv[1], "bulk")) {
        const char *reps = getenv("BULK_REPS"), *batch = getenv("BULK_BATCH");
        return cmd_bulk(argv[2], atof(argv[3]),
                        argc >= 5 ? atoi(argv[4]) : reps ? atoi(reps) : 15,
                        argc >= 6 ? atoi(argv[5]) : batch ? atoi(batch) : 4);
    }
    if (argc >= 4 && !strcmp(argv[1], "bulk-ir")) {
        bulk_cg = 1;
        return cmd_bulk(argv[2], atof(argv[3]), 1, argc >= 5 ? atoi(argv[4]) : 4);
    }
    if (argc >= 3 && !strcmp(argv[1], "pair"))
        return cmd_pair(argv[2], argc >= 4 ? atoi(argv[3]) : 200, argc >= 5 ? atoi(argv[4]) : 5);
    if (argc >= 3 && !strcmp(argv[1], "ceiling")) {
        load_crypto(argv[2]);
        int reps = argc >= 4 ? atoi(argv[3]) : 20;
        ceiling_for("p256", "leaf-p256", reps);
        ceiling_for("rsa", "leaf-rsa", reps);
        return 0;
    }
    fprintf(stderr, "usage: bench_engine bulk SUITE MB [reps [batch]] | bulk-ir SUITE MB [batch] | idle N | ceiling CRYPTO.txt [reps] | "
                    "pair STEM [reps [rounds]]\n");
    return 2;
}
