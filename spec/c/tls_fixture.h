/*
 * tls_fixture.h - what the engine tests share: reading the test PKI, a fixed clock inside
 * its validity (spec/fixtures/pki/README.md), the usual server and client configurations
 * over them, and an in-memory pump that lets each side answer its paused hook events.
 * Everything here is prefixed or generic enough not to clash with a test's own statics.
 */
#ifndef MT_TLS_FIXTURE_H
#define MT_TLS_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/moontls.h"

#define PKI "spec/fixtures/pki/"

/* The whole file (malloc'd, caller frees); aborts the test program when missing. */
static inline uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)l + 1);
    if (fread(p, 1, (size_t)l, f) != (size_t)l) exit(2);
    fclose(f);
    *n = (size_t)l;
    return p;
}

/* 2025-01-01T00:00:00Z: inside the test PKI's validity. */
static inline int64_t fixed_clock(void *ud)
{
    (void)ud;
    return 1735689600;
}

/* A server on leaf-p256 (its chain) at the fixed clock; the caller unrefs it. */
static inline mt_config *fixture_server(void)
{
    size_t cn, kn;
    uint8_t *c = slurp(PKI "leaf-p256.chain.pem", &cn), *k = slurp(PKI "leaf-p256.key", &kn);
    mt_config *cfg = mt_config_new(MT_ROLE_SERVER);
    mt_config_add_credential(cfg, c, cn, k, kn);
    mt_config_set_clock(cfg, fixed_clock, NULL);
    free(c);
    free(k);
    return cfg;
}

/* A client trusting the test CA, asking for "localhost", at the fixed clock; the caller
 * unrefs it. */
static inline mt_config *fixture_client(void)
{
    size_t n;
    uint8_t *ca = slurp(PKI "ca-bundle.pem", &n);
    mt_config *cfg = mt_config_new(MT_ROLE_CLIENT);
    mt_config_set_ca(cfg, ca, n);
    mt_config_set_server_name(cfg, "localhost");
    mt_config_set_clock(cfg, fixed_clock, NULL);
    free(ca);
    return cfg;
}

/* A hook answering function: called for every paused event of one side, before the
 * event is marked done. */
typedef void (*fixture_answer_fn)(mt_conn *conn, const mt_event *ev, void *ud);

/* Runs `conn` until it has no event left (at most 64), passing paused ones to `fn`
 * (may be NULL: every event is let through as it is). */
static inline void fixture_run(mt_conn *conn, fixture_answer_fn fn, void *ud)
{
    for (int i = 0; i < 64; i++) {
        mt_conn_run(conn);
        const mt_event *ev = mt_conn_event(conn);
        if (ev == NULL) return;
        if (fn && ev->paused) fn(conn, ev, ud);
        mt_conn_event_done(conn, 0);
    }
}

/* Runs client `c` and server `s` against each other in memory, moving each one's output
 * to the other, until neither has anything to send (at most 32 rounds). `cf`/`sf` answer
 * each side's paused events with `cud`/`sud`. */
static inline void fixture_pump(mt_conn *c, mt_conn *s, fixture_answer_fn cf, void *cud,
                                fixture_answer_fn sf, void *sud)
{
    for (int round = 0; round < 32; round++) {
        fixture_run(c, cf, cud);
        fixture_run(s, sf, sud);
        const uint8_t *p;
        size_t a = mt_conn_output(c, &p);
        if (a) mt_conn_feed(s, p, a);
        mt_conn_output_consume(c, a);
        size_t b = mt_conn_output(s, &p);
        if (b) mt_conn_feed(c, p, b);
        mt_conn_output_consume(s, b);
        if (!a && !b) break;
    }
}

#endif
