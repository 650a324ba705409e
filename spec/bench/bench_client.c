/*
 * bench_client.c - full TLS 1.3 handshakes in a loop over the public C API, for
 * `make bench` (the moontls side of `openssl s_time -new`).
 *
 *   bench_client --port P [--host 127.0.0.1] [--ca ca-bundle.pem] [--name localhost]
 *                [--group x25519] [--suite TLS_AES_128_GCM_SHA256] [--verify 1]
 *                [--seconds 5] [--max 100000]
 *
 * Notes:
 * - Each round: connect, handshake, close_notify, close (what s_time -new does without
 *   -www). Runs for --seconds of wall time (or --max handshakes), then prints one line
 *   "handshakes N cpu_s C wall_s W failures F" with C = user+sys of this process
 *   (getrusage), so CPU per handshake = C / N.
 * - The peer certificate is verified against --ca (like s_time -CAfile -verify), with
 *   the system clock.
 */
#include "bench_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/time.h>

static int one_handshake(mt_config *cfg, const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int ok = -1;
    mt_conn *c = NULL;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa)) goto out;
    c = mt_conn_new(cfg);
    if (!c) goto out;
    for (int guard = 0; guard < 1000; guard++) {
        mt_conn_run(c);
        unsigned w = mt_conn_want(c);
        while (w & MT_WANT_EVENT) {
            mt_conn_event_done(c, 0);
            mt_conn_run(c);
            w = mt_conn_want(c);
        }
        if (flush_out(c, fd)) break;
        if (w & MT_WANT_FAILED) {
            static int reported;
            const char *where;
            int e = mt_conn_error(c, &where);
            if (!reported++)
                fprintf(stderr, "bench_client: handshake failed: %s (%s)\n", mt_err_name(e),
                        where ? where : "");
            break;
        }
        if (w & MT_WANT_DONE) {
            ok = 0;
            mt_conn_close(c);
            mt_conn_run(c);
            flush_out(c, fd);
            break;
        }
        if (feed_once(c, fd) <= 0) break;
    }
out:
    mt_conn_free(c);
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *ca = NULL, *name = "localhost";
    int port = 0, verify = 1;
    long max = 100000;
    double seconds = 5;
    uint16_t group = 0x001d, suite = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ca")) ca = argv[i + 1];
        else if (!strcmp(argv[i], "--name")) name = argv[i + 1];
        else if (!strcmp(argv[i], "--group")) group = parse_group(argv[i + 1]);
        else if (!strcmp(argv[i], "--suite")) suite = parse_suite(argv[i + 1]);
        else if (!strcmp(argv[i], "--verify")) verify = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--max")) max = atol(argv[i + 1]);
        else {
            fprintf(stderr, "bench_client: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (port <= 0 || (verify && !ca)) {
        fprintf(stderr, "usage: bench_client --port P [--ca CA.pem] [--verify 0|1] ...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    mt_config *cfg = client_config(ca, name, group, suite, verify);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("inet_pton", MT_ERR_BAD_PARAM);

    long n = 0, failures = 0;
    double c0 = cpu_self(), t0 = wall_now(), t = 0;
    do {
        if (one_handshake(cfg, &sa) == 0)
            n++;
        else if (++failures > 20)
            break;
        t = wall_now() - t0;
    } while (t < seconds && n < max);
    double cpu = cpu_self() - c0;
    printf("handshakes %ld cpu_s %.4f wall_s %.3f failures %ld\n", n, cpu, t, failures);
    mt_config_unref(cfg);
    return n > 0 ? 0 : 1;
}
