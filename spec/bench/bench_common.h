/*
 * bench_common.h - small helpers shared by the `make bench` programs (bench_server.c,
 * bench_client.c, bench_engine.c): file loading, config set-up by name, CPU clocks,
 * blocking socket I/O around the sans-I/O engine.
 *
 * Notes:
 * - Header-only (static functions) so each benchmark stays a single translation unit
 *   linked against build/libmoontls.a, like bench_crypto.c.
 * - CPU time is what we compare (these machines have two shared cores and wall rates
 *   swing 2x); cpu_self() is user+sys of this process from getrusage.
 */
#ifndef MT_BENCH_COMMON_H
#define MT_BENCH_COMMON_H

#include "../../lib/moontls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline void die(const char *what, int rc)
{
    fprintf(stderr, "bench: %s failed (0x%x %s)\n", what, rc, rc ? mt_err_name(rc) : "");
    exit(1);
}

static inline uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)l + 1);
    if (!p || fread(p, 1, (size_t)l, f) != (size_t)l) exit(2);
    fclose(f);
    *n = (size_t)l;
    return p;
}

static inline double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static inline double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "x25519", "secp256r1"/"p256", or a number (0x001d). */
static inline uint16_t parse_group(const char *s)
{
    if (!strcasecmp(s, "x25519")) return 0x001d;
    if (!strcasecmp(s, "x448")) return 0x001e;
    if (!strcasecmp(s, "secp256r1") || !strcasecmp(s, "p256") || !strcasecmp(s, "p-256"))
        return 0x0017;
    if (!strcasecmp(s, "secp384r1") || !strcasecmp(s, "p384")) return 0x0018;
    return (uint16_t)strtoul(s, NULL, 0);
}

/* Case-insensitive "s contains w" (strcasestr is a GNU extension). */
static inline int has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (!strncasecmp(s, w, n)) return 1;
    return 0;
}

/* "aes128gcm" / "TLS_AES_128_GCM_SHA256" / "aes-128-gcm", "aes256gcm", "chacha20", or a
 * number (0x1301). */
static inline uint16_t parse_suite(const char *s)
{
    if (has_word(s, "chacha")) return 0x1303;
    if (has_word(s, "aes") && has_word(s, "128")) return 0x1301; /* before "SHA256" */
    if (has_word(s, "aes") && has_word(s, "256")) return 0x1302;
    return (uint16_t)strtoul(s, NULL, 0);
}

static inline mt_config *server_config(const char *chain, const char *key, uint16_t group,
                                       uint16_t suite)
{
    mt_config *cfg = mt_config_new(MT_ROLE_SERVER);
    if (!cfg) die("mt_config_new", MT_ERR_NO_MEMORY);
    size_t cn, kn;
    uint8_t *c = slurp(chain, &cn), *k = slurp(key, &kn);
    int rc = mt_config_add_credential(cfg, c, cn, k, kn);
    if (rc) die("mt_config_add_credential", rc);
    free(c);
    free(k);
    if (group && (rc = mt_config_set_groups(cfg, &group, 1))) die("set_groups", rc);
    if (suite && (rc = mt_config_set_suites(cfg, &suite, 1))) die("set_suites", rc);
    return cfg;
}

static inline mt_config *client_config(const char *ca, const char *name, uint16_t group,
                                       uint16_t suite, int verify)
{
    mt_config *cfg = mt_config_new(MT_ROLE_CLIENT);
    if (!cfg) die("mt_config_new", MT_ERR_NO_MEMORY);
    int rc;
    if (ca) {
        size_t n;
        uint8_t *p = slurp(ca, &n);
        if ((rc = mt_config_set_ca(cfg, p, n))) die("set_ca", rc);
        free(p);
    }
    if (name && (rc = mt_config_set_server_name(cfg, name))) die("set_server_name", rc);
    if ((rc = mt_config_set_verify(cfg, verify ? MT_VERIFY_PEER : MT_VERIFY_NONE)))
        die("set_verify", rc);
    if (group && (rc = mt_config_set_groups(cfg, &group, 1))) die("set_groups", rc);
    if (suite && (rc = mt_config_set_suites(cfg, &suite, 1))) die("set_suites", rc);
    return cfg;
}

/* Write all pending output of c to fd. 0 on success, -1 on a socket error. */
static inline int flush_out(mt_conn *c, int fd)
{
    const uint8_t *p;
    size_t n;
    while ((n = mt_conn_output(c, &p)) > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        mt_conn_output_consume(c, (size_t)w);
    }
    return 0;
}

/* Read once from fd into c. 1 fed, 0 EOF, -1 error. */
static inline int feed_once(mt_conn *c, int fd)
{
    uint8_t buf[16384 + 512];
    ssize_t r;
    do
        r = recv(fd, buf, sizeof buf, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    if (r == 0) {
        mt_conn_feed_eof(c);
        return 0;
    }
    mt_conn_feed(c, buf, (size_t)r);
    return 1;
}

#endif
