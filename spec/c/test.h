/*
 * test.h - the C unit-test harness (header only).
 *
 * A test file defines `static void test_xxx(void)` functions and a main():
 *
 *     int main(void) { RUN(test_xxx); RUN(test_yyy); return test_summary(); }
 *
 * A test passes when none of its CHECKs failed. test_summary() prints the closing line
 * "N passed, M failed" (read by spec/run-tests.sh) and returns non-zero on any failure.
 * Tests run from the project root, so fixture paths are "spec/fixtures/...".
 *
 * Vector files (spec/fixtures/NAME.txt) are blocks of "key = value" lines separated by blank
 * lines, '#' starting a comment line (the NIST .rsp shape). vec_next() reads one block;
 * vec_hex() decodes a value from hex.
 */
#ifndef MT_TEST_H
#define MT_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_passed, t_failed, t_cur_failed;
static const char *t_cur_name;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  FAIL %s: %s:%d: %s\n", t_cur_name, __FILE__, __LINE__, #cond);     \
            t_cur_failed++;                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long ta_ = (long long)(a), tb_ = (long long)(b);                                      \
        if (ta_ != tb_) {                                                                          \
            fprintf(stderr, "  FAIL %s: %s:%d: %s == %s (%lld != %lld)\n", t_cur_name, __FILE__,  \
                    __LINE__, #a, #b, ta_, tb_);                                                   \
            t_cur_failed++;                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(a, b, n)                                                                         \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                                          \
            fprintf(stderr, "  FAIL %s: %s:%d: %s == %s (%zu bytes)\n", t_cur_name, __FILE__,     \
                    __LINE__, #a, #b, (size_t)(n));                                                \
            t_hexdump("got ", (a), (n));                                                           \
            t_hexdump("want", (b), (n));                                                           \
            t_cur_failed++;                                                                        \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        t_cur_name = #fn;                                                                          \
        t_cur_failed = 0;                                                                          \
        fn();                                                                                      \
        if (t_cur_failed) {                                                                        \
            t_failed++;                                                                            \
            fprintf(stderr, "not ok %s\n", #fn);                                                   \
        } else {                                                                                   \
            t_passed++;                                                                            \
        }                                                                                          \
    } while (0)

static inline void t_hexdump(const char *label, const void *p, size_t n)
{
    const uint8_t *b = p;
    fprintf(stderr, "    %s ", label);
    for (size_t i = 0; i < n && i < 64; i++) fprintf(stderr, "%02x", b[i]);
    fprintf(stderr, n > 64 ? "...\n" : "\n");
}

static inline int test_summary(void)
{
    printf("%d passed, %d failed\n", t_passed, t_failed);
    return t_failed ? 1 : 0;
}

/* ---- hex ---- */

static inline int t_nib(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode hex into a malloc'd buffer (never NULL; caller frees); *n gets the length.
 * Aborts the test program on malformed hex: fixtures are trusted data. */
static inline uint8_t *hex_alloc(const char *hex, size_t *n)
{
    size_t l = strlen(hex);
    if (l % 2) {
        fprintf(stderr, "odd-length hex: %.40s\n", hex);
        exit(2);
    }
    uint8_t *out = malloc(l / 2 + 1);
    for (size_t i = 0; i < l / 2; i++) {
        int hi = t_nib(hex[2 * i]), lo = t_nib(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fprintf(stderr, "bad hex: %.40s\n", hex);
            exit(2);
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *n = l / 2;
    return out;
}

/* ---- vector files ---- */

#define VEC_MAX_FIELDS 32

typedef struct {
    FILE *f;
    const char *path;
    int nfields;
    char *key[VEC_MAX_FIELDS];
    char *val[VEC_MAX_FIELDS];
} vec_file;

static inline int vec_open(vec_file *v, const char *path)
{
    memset(v, 0, sizeof *v);
    v->path = path;
    v->f = fopen(path, "r");
    if (!v->f) fprintf(stderr, "cannot open fixture %s\n", path);
    return v->f != NULL;
}

static inline void vec_clear(vec_file *v)
{
    for (int i = 0; i < v->nfields; i++) {
        free(v->key[i]);
        free(v->val[i]);
    }
    v->nfields = 0;
}

static inline char *t_trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* Read the next block; returns 1 if one was read, 0 at end of file. */
static inline int vec_next(vec_file *v)
{
    vec_clear(v);
    if (!v->f) return 0;
    static char line[1 << 16];
    while (fgets(line, sizeof line, v->f)) {
        char *s = t_trim(line);
        if (*s == '#') continue;
        if (*s == 0) {
            if (v->nfields) return 1;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq || v->nfields == VEC_MAX_FIELDS) continue;
        *eq = 0;
        v->key[v->nfields] = strdup(t_trim(s));
        v->val[v->nfields] = strdup(t_trim(eq + 1));
        v->nfields++;
    }
    return v->nfields > 0;
}

/* Value of a key in the current block, or NULL. */
static inline const char *vec_get(const vec_file *v, const char *key)
{
    for (int i = 0; i < v->nfields; i++)
        if (strcmp(v->key[i], key) == 0) return v->val[i];
    return NULL;
}

/* Hex-decoded value of a key (malloc'd; caller frees); aborts if the key is missing. */
static inline uint8_t *vec_hex(const vec_file *v, const char *key, size_t *n)
{
    const char *s = vec_get(v, key);
    if (!s) {
        fprintf(stderr, "%s: block without key '%s'\n", v->path, key);
        exit(2);
    }
    return hex_alloc(s, n);
}

static inline void vec_close(vec_file *v)
{
    vec_clear(v);
    if (v->f) fclose(v->f);
    v->f = NULL;
}

#endif
