/*
 * tls_fixture.h - what the engine tests share: reading the test PKI and a fixed clock
 * inside its validity (spec/fixtures/pki/README.md).
 */
#ifndef MT_TLS_FIXTURE_H
#define MT_TLS_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
