/*
 * test_codec_samples.h - the one list of handshake samples (every .txt file in
 * spec/fixtures/messages/) shared by the codec tests. Header only, included by one test file at a
 * time.
 *
 * Each block: name, type (expected kind name), content_type, version (hex), side, kx,
 * sig, hex; optional validate (the alert mt_hs_validate gives, default none), where (a
 * substring of its where-string), answers (name of the ClientHello sample answered).
 */
#ifndef TEST_CODEC_SAMPLES_H
#define TEST_CODEC_SAMPLES_H

#include "handshake/codec.h"
#include "test.h"

#include <dirent.h>

#define SAMPLE_DIR "spec/fixtures/messages"
#define MAX_SAMPLES 512

typedef struct {
    char *name;
    char *type;
    mt_hs_ctx ctx;
    uint8_t *bytes;
    size_t len;
    char *validate; /* NULL: valid */
    char *where;
    char *answers;
} sample;

static sample samples[MAX_SAMPLES];
static size_t nsamples;

static inline int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline unsigned parse_enum(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return (unsigned)i;
    fprintf(stderr, "unknown value %s\n", s);
    exit(2);
}

static inline const char *need(const vec_file *v, const char *key)
{
    const char *s = vec_get(v, key);
    if (!s) {
        fprintf(stderr, "%s: block without %s\n", v->path, key);
        exit(2);
    }
    return s;
}

static inline void load_file(const char *path)
{
    static const char *const kx[] = {"none", "rsa", "dhe", "ecdhe"};
    static const char *const sig[] = {"default", "scheme", "legacy", "anon"};
    static const char *const side[] = {"client", "server"};
    vec_file v;
    if (!vec_open(&v, path)) exit(2);
    while (vec_next(&v)) {
        if (nsamples == MAX_SAMPLES) {
            fprintf(stderr, "too many samples\n");
            exit(2);
        }
        sample *s = &samples[nsamples++];
        s->name = strdup(need(&v, "name"));
        s->type = strdup(need(&v, "type"));
        s->ctx.content_type = (uint8_t)atoi(need(&v, "content_type"));
        s->ctx.version = (uint16_t)strtoul(need(&v, "version"), NULL, 16);
        s->ctx.side = (uint8_t)parse_enum(need(&v, "side"), side, 2);
        s->ctx.kx = (uint8_t)parse_enum(need(&v, "kx"), kx, 4);
        s->ctx.sig = (uint8_t)parse_enum(need(&v, "sig"), sig, 4);
        s->bytes = vec_hex(&v, "hex", &s->len);
        s->validate = vec_get(&v, "validate") ? strdup(vec_get(&v, "validate")) : NULL;
        s->where = vec_get(&v, "where") ? strdup(vec_get(&v, "where")) : NULL;
        s->answers = vec_get(&v, "answers") ? strdup(vec_get(&v, "answers")) : NULL;
    }
    vec_close(&v);
}

static inline void load_samples(void)
{
    char *files[64];
    size_t nf = 0;
    DIR *d = opendir(SAMPLE_DIR);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", SAMPLE_DIR);
        exit(2);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0 || nf == 64) continue;
        files[nf] = malloc(sizeof SAMPLE_DIR + l + 1);
        sprintf(files[nf], "%s/%s", SAMPLE_DIR, e->d_name);
        nf++;
    }
    closedir(d);
    qsort(files, nf, sizeof files[0], cmp_str);
    for (size_t i = 0; i < nf; i++) {
        load_file(files[i]);
        free(files[i]);
    }
}

static inline void free_samples(void)
{
    for (size_t i = 0; i < nsamples; i++) {
        free(samples[i].name);
        free(samples[i].type);
        free(samples[i].bytes);
        free(samples[i].validate);
        free(samples[i].where);
        free(samples[i].answers);
    }
}

/* decode; 0 on success (msg freed unless out) */
static inline int try_decode(const sample *s, const uint8_t *p, size_t n, mt_hs_msg **out)
{
    mt_hs_msg *m = NULL;
    char where[MT_HS_WHERE_MAX];
    int rc = mt_hs_decode(&s->ctx, p, n, &m, where, sizeof where);
    if (rc == 0 && out)
        *out = m;
    else
        mt_hs_msg_free(m);
    return rc;
}

static inline const sample *find_sample(const char *name)
{
    for (size_t i = 0; i < nsamples; i++)
        if (strcmp(samples[i].name, name) == 0) return &samples[i];
    fprintf(stderr, "  no sample %s\n", name);
    return NULL;
}

#endif
