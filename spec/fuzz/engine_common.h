/*
 * engine_common.h - shared set-up for the engine fuzz targets: deterministic
 * configurations (seeded rng, fixed clock) so a recorded peer flight stays valid for
 * every run, which lets the fuzzer reach the encrypted messages.
 */
#ifndef MT_FUZZ_ENGINE_COMMON_H
#define MT_FUZZ_ENGINE_COMMON_H

#include "../../lib/moontls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t fuzz_clock(void *ud)
{
    (void)ud;
    return 1735689600;
}

/* A counter-based generator: the same bytes for every run. */
static int fuzz_rng(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    (void)purpose;
    uint32_t *ctr = ud;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(0x5a ^ (*ctr)++ * 131);
    return 0;
}

static uint8_t *fuzz_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)l + 1);
    if (fread(p, 1, (size_t)l, f) != (size_t)l) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)l;
    return p;
}

static mt_config *fuzz_config(int role, uint32_t *ctr)
{
    mt_config *cfg = mt_config_new(role);
    mt_config_set_clock(cfg, fuzz_clock, NULL);
    mt_config_set_rng(cfg, fuzz_rng, ctr);
    if (role == MT_ROLE_SERVER) {
        size_t cn = 0, kn = 0;
        uint8_t *c = fuzz_slurp("spec/fixtures/pki/leaf-p256.chain.pem", &cn);
        uint8_t *k = fuzz_slurp("spec/fixtures/pki/leaf-p256.key", &kn);
        if (!c || !k || mt_config_add_credential(cfg, c, cn, k, kn) != 0) {
            fprintf(stderr, "fuzz: run from the project root (test PKI not found)\n");
            abort();
        }
        free(c);
        free(k);
        /* A fixed ticket key and 0-RTT: a recorded resumption (corpus/.../resumption_0rtt)
         * stays valid, so the fuzzer reaches binders, early data and EndOfEarlyData. */
        static const uint8_t ticket_key[32] = {0x6d, 0x6f, 0x6f, 0x6e, 0x74, 0x6c, 0x73};
        mt_config_set_ticket_key(cfg, ticket_key, sizeof ticket_key);
        mt_config_set_early_data(cfg, 1024);
    } else {
        mt_config_set_verify(cfg, MT_VERIFY_NONE);
        mt_config_set_server_name(cfg, "localhost");
    }
    return cfg;
}

/* Feed data to conn in chunks whose sizes come from the input itself (first byte), so
 * the fuzzer also explores record and message boundaries; answer every event. */
static void fuzz_drive(mt_conn *conn, const uint8_t *data, size_t size)
{
    size_t chunk = size ? (size_t)data[0] * 7 + 1 : 1;
    const uint8_t *p = size ? data + 1 : data;
    size_t left = size ? size - 1 : 0;
    mt_conn_run(conn);
    while (left && !(mt_conn_want(conn) & MT_WANT_FAILED)) {
        size_t n = left < chunk ? left : chunk;
        mt_conn_feed(conn, p, n);
        p += n;
        left -= n;
        for (int i = 0; i < 64 && mt_conn_event(conn); i++)
            mt_conn_event_done(conn, 0);
        mt_conn_run(conn);
        const uint8_t *out;
        size_t on = mt_conn_output(conn, &out);
        mt_conn_output_consume(conn, on);
    }
    uint8_t buf[256];
    size_t got;
    mt_conn_read(conn, buf, sizeof buf, &got);
    mt_info info;
    mt_conn_info(conn, &info);
}

#endif
