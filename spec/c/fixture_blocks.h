/*
 * fixture_blocks.h - the RFC 8448 fixtures (spec/fixtures/rfc8448-*.txt) held in memory:
 * every "key = hex" of every block, looked up by block name and key. Shared by the
 * transcript and key schedule tests.
 */
#ifndef MT_FIXTURE_BLOCKS_H
#define MT_FIXTURE_BLOCKS_H

#include "test.h"

#define FX_MAX 160

typedef struct {
    const char *path;
    int n;
    char *block[FX_MAX], *key[FX_MAX], *val[FX_MAX];
} fx_file;

static inline void fx_load(fx_file *fx, const char *path)
{
    vec_file v;
    memset(fx, 0, sizeof *fx);
    fx->path = path;
    if (!vec_open(&v, path)) exit(2);
    while (vec_next(&v)) {
        const char *b = vec_get(&v, "block");
        for (int i = 0; i < v.nfields && fx->n < FX_MAX; i++) {
            if (strcmp(v.key[i], "block") == 0) continue;
            fx->block[fx->n] = strdup(b ? b : "");
            fx->key[fx->n] = strdup(v.key[i]);
            fx->val[fx->n] = strdup(v.val[i]);
            fx->n++;
        }
    }
    vec_close(&v);
}

static inline void fx_free(fx_file *fx)
{
    for (int i = 0; i < fx->n; i++) {
        free(fx->block[i]);
        free(fx->key[i]);
        free(fx->val[i]);
    }
    fx->n = 0;
}

/* Hex value of block/key, malloc'd; aborts when missing (fixtures are trusted). */
static inline uint8_t *fx_hex(const fx_file *fx, const char *block, const char *key, size_t *n)
{
    for (int i = 0; i < fx->n; i++)
        if (strcmp(fx->block[i], block) == 0 && strcmp(fx->key[i], key) == 0)
            return hex_alloc(fx->val[i], n);
    fprintf(stderr, "%s: no %s/%s\n", fx->path, block, key);
    exit(2);
}

#endif
