/*
 * bench_server.c - a minimal TLS server over the public C API, for `make bench`.
 *
 *   bench_server --cert CHAIN.pem --key KEY.pem --port P [--group x25519]
 *                [--suite TLS_AES_128_GCM_SHA256] [--max-seconds 600]
 *
 * Notes:
 * - Blocking accept loop on 127.0.0.1, one connection at a time, like `openssl s_server`:
 *   handshake, read the request if the client sends one (up to the blank line), answer
 *   the same tiny HTTP/1.0 page `openssl s_server -WWW` sends for a small text file,
 *   close_notify, close. A client that closes right after the handshake is fine too.
 * - No Lua, no hooks: the CPU it uses is the engine's (plus the kernel's socket work,
 *   which s_server pays as well). bench.sh reads utime+stime from /proc/PID/stat.
 * - Bounded: exits after --max-seconds (alarm), and each connection times out after 5 s
 *   of silence, so a stuck client cannot hold it forever.
 */
#include "bench_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/time.h>

#define BODY "moontls bench page\n"
#define RESPONSE "HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\n" BODY

static volatile sig_atomic_t handshakes, served;

static void on_term(int sig)
{
    char msg[96];
    int n = snprintf(msg, sizeof msg, "bench_server: %d handshakes, %d pages\n", (int)handshakes,
                     (int)served);
    if (n > 0) (void)!write(2, msg, (size_t)n);
    _exit(0);
}

/* One connection, start to finish. */
static void serve(mt_config *cfg, int fd)
{
    mt_conn *c = mt_conn_new(cfg);
    if (!c) return;
    char req[4096];
    size_t req_len = 0;
    int answered = 0, done_seen = 0;
    for (int guard = 0; guard < 100000; guard++) {
        mt_conn_run(c);
        unsigned w = mt_conn_want(c);
        while (w & MT_WANT_EVENT) { /* none expected without hooks; never block on one */
            mt_conn_event_done(c, 0);
            mt_conn_run(c);
            w = mt_conn_want(c);
        }
        if (flush_out(c, fd)) break;
        if (w & MT_WANT_FAILED) break;
        if ((w & MT_WANT_DONE) && !done_seen) {
            done_seen = 1;
            handshakes++;
        }
        if (w & MT_WANT_READ) {
            size_t n = 0;
            mt_conn_read(c, (uint8_t *)req + req_len, sizeof req - 1 - req_len, &n);
            req_len += n;
            req[req_len] = 0;
            if (!answered && (strstr(req, "\r\n\r\n") || strstr(req, "\n\n") ||
                              req_len == sizeof req - 1)) {
                mt_conn_write(c, (const uint8_t *)RESPONSE, sizeof RESPONSE - 1);
                mt_conn_close(c);
                mt_conn_run(c);
                flush_out(c, fd);
                answered = 1;
                served++;
                break;
            }
            continue;
        }
        if (w & MT_WANT_CLOSED) {
            mt_conn_close(c);
            mt_conn_run(c);
            flush_out(c, fd);
            break;
        }
        if (feed_once(c, fd) <= 0) break;
    }
    mt_conn_free(c);
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL;
    int port = 0, max_seconds = 600;
    uint16_t group = 0x001d, suite = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cert")) cert = argv[i + 1];
        else if (!strcmp(argv[i], "--key")) key = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--group")) group = parse_group(argv[i + 1]);
        else if (!strcmp(argv[i], "--suite")) suite = parse_suite(argv[i + 1]);
        else if (!strcmp(argv[i], "--max-seconds")) max_seconds = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_server: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!cert || !key || port <= 0) {
        fprintf(stderr, "usage: bench_server --cert CHAIN --key KEY --port P [--group G] "
                        "[--suite S] [--max-seconds N]\n");
        return 2;
    }
    mt_config *cfg = server_config(cert, key, group, suite);

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGALRM, on_term);
    alarm((unsigned)max_seconds);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 128)) {
        perror("bench_server: bind/listen");
        return 1;
    }
    fprintf(stderr, "bench_server: listening on 127.0.0.1:%d\n", port);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            perror("bench_server: accept");
            return 1;
        }
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        serve(cfg, fd);
        close(fd);
    }
}
