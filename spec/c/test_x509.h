/*
 * test_x509.h - helpers shared by the spec/c/test_x509*.c tests: load fixture files of
 * the test PKI (spec/fixtures/pki, see its README.md) and parse them.
 */
#ifndef MT_TEST_X509_H
#define MT_TEST_X509_H

#include "test.h"
#include <stdio.h>
#include <stdlib.h>

#define PKI "spec/fixtures/pki/"

/* Read a whole file into a malloc'd buffer (caller frees); aborts if it is missing:
 * fixtures are part of the tree. */
static inline uint8_t *load(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open fixture %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(sz > 0 ? (size_t)sz : 1);
    if (!p || fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        fprintf(stderr, "cannot read fixture %s\n", path);
        exit(2);
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

#endif
