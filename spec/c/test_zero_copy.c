/*
 * The zero-copy calls of lib/engine.c: mt_conn_input_reserve/commit (receive straight into
 * the connection) and mt_conn_read_view/consume (read the plaintext where it was opened).
 *
 * Notes:
 * - An in-memory pair moves every byte through reserve/commit, cut into commits of a
 *   rotating list of sizes, so records (and the handshake's records) arrive split across
 *   commits and several to a commit. Both directions carry a counter pattern written in
 *   many sizes; the receiver consumes in a rotating list of piece sizes and checks every
 *   byte against the pattern.
 * - Misuse: committing more than reserved, committing without (or after a voided)
 *   reservation, consuming more than is pending.
 * - The buffer policy (engine.h is included for it only): buffers stay allocated while
 *   data flows and are released at the idle points (commit of 0, run with nothing fed).
 */
#include "../../lib/engine.h"
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

#include <string.h>

/* Commit sizes: tiny (a header split in two), odd, around one record, several records. */
static const size_t commit_sizes[] = {1, 3, 5, 7, 100, 1000, 16406, 4096, 16405, 16407, 40000};
#define N_COMMIT (sizeof commit_sizes / sizeof commit_sizes[0])

/* Move all of from's output into to through reserve/commit, reserving a little more than
 * each piece (a short recv) and running the receiver after every commit. */
static size_t transfer(mt_conn *from, mt_conn *to, size_t *rot)
{
    const uint8_t *p;
    size_t n = mt_conn_output(from, &p), off = 0;
    while (off < n) {
        size_t k = commit_sizes[(*rot)++ % N_COMMIT];
        if (k > n - off) k = n - off;
        uint8_t *dst = mt_conn_input_reserve(to, k + 13);
        CHECK(dst != NULL);
        if (!dst) break;
        memcpy(dst, p + off, k);
        CHECK_EQ(mt_conn_input_commit(to, k), 0);
        off += k;
        mt_conn_run(to);
    }
    mt_conn_output_consume(from, n);
    return n;
}

static void pump(mt_conn *c, mt_conn *s, size_t *rot)
{
    for (int i = 0; i < 32; i++) {
        mt_conn_run(c);
        mt_conn_run(s);
        size_t a = transfer(c, s, rot), b = transfer(s, c, rot);
        if (!a && !b) break;
    }
}

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 131 + (i >> 9));
}

/* Read everything pending through view/consume in pieces; check it against the pattern
 * from *pos on. */
static void drain(mt_conn *c, size_t *pos, size_t *rot)
{
    static const size_t pieces[] = {1, 2, 1000, 9, 16384, 5000, 3};
    const uint8_t *p;
    size_t n;
    while ((n = mt_conn_read_view(c, &p)) > 0) {
        size_t k = pieces[(*rot)++ % (sizeof pieces / sizeof pieces[0])];
        if (k > n) k = n;
        int ok = 1;
        for (size_t i = 0; i < k; i++)
            ok &= p[i] == pattern(*pos + i);
        CHECK(ok);
        mt_conn_read_consume(c, k);
        *pos += k;
        if (!ok) return;
    }
    CHECK(p == NULL);
    CHECK(!(mt_conn_want(c) & MT_WANT_READ));
}

/* Write `total` pattern bytes from w in the given write sizes and receive them on r. */
static void stream(mt_conn *w, mt_conn *r, size_t total, size_t *rot)
{
    static const size_t writes[] = {1, 100, 16383, 16384, 16385, 40000, 7, 100000, 333};
    uint8_t *buf = malloc(100000);
    size_t sent = 0, got = 0, wi = 0;
    while (sent < total) {
        size_t k = writes[wi++ % (sizeof writes / sizeof writes[0])];
        if (k > total - sent) k = total - sent;
        for (size_t i = 0; i < k; i++)
            buf[i] = pattern(sent + i);
        CHECK_EQ(mt_conn_write(w, buf, k), 0);
        sent += k;
        mt_conn_run(w);
        transfer(w, r, rot);
        drain(r, &got, rot);
    }
    CHECK_EQ(got, total);
    free(buf);
}

static void handshake(mt_config *ccfg, mt_config *scfg, mt_conn **c, mt_conn **s, size_t *rot)
{
    *c = mt_conn_new(ccfg);
    *s = mt_conn_new(scfg);
    pump(*c, *s, rot);
    CHECK(mt_conn_want(*c) & MT_WANT_DONE);
    CHECK(mt_conn_want(*s) & MT_WANT_DONE);
}

static void test_handshake_and_bulk_both_ways(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c, *s;
    size_t rot = 0;
    handshake(ccfg, scfg, &c, &s, &rot);
    stream(c, s, 600000, &rot);
    stream(s, c, 600000, &rot);
    CHECK_EQ(mt_conn_error(c, NULL), 0);
    CHECK_EQ(mt_conn_error(s, NULL), 0);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* The zero-copy calls mix with mt_conn_feed and mt_conn_read on one connection. */
static void test_mixed_with_copy_calls(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c, *s;
    size_t rot = 0;
    handshake(ccfg, scfg, &c, &s, &rot);
    uint8_t msg[3000], out[3000];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = pattern(i);
    CHECK_EQ(mt_conn_write(c, msg, sizeof msg), 0);
    const uint8_t *p;
    size_t n = mt_conn_output(c, &p);
    mt_conn_feed(s, p, 10); /* the header half fed, the rest committed */
    uint8_t *dst = mt_conn_input_reserve(s, n - 10);
    CHECK(dst != NULL);
    memcpy(dst, p + 10, n - 10);
    CHECK_EQ(mt_conn_input_commit(s, n - 10), 0);
    mt_conn_output_consume(c, n);
    mt_conn_run(s);
    CHECK_EQ(mt_conn_read_view(s, &p), sizeof msg);
    mt_conn_read_consume(s, 1000);
    size_t got = 0;
    CHECK_EQ(mt_conn_read(s, out, sizeof out, &got), 0);
    CHECK_EQ(got, 2000);
    CHECK_MEM(out, msg + 1000, 2000);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_misuse(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c, *s;
    size_t rot = 0;
    handshake(ccfg, scfg, &c, &s, &rot);

    CHECK(mt_conn_input_reserve(s, 0) == NULL);
    CHECK_EQ(mt_conn_input_commit(s, 1), MT_ERR_BAD_STATE); /* no reservation */
    CHECK(mt_conn_input_reserve(s, 8) != NULL);
    CHECK_EQ(mt_conn_input_commit(s, 9), MT_ERR_BAD_PARAM); /* more than reserved */
    CHECK_EQ(mt_conn_input_commit(s, 8), MT_ERR_BAD_STATE); /* the failure ended it */
    CHECK(mt_conn_input_reserve(s, 8) != NULL);
    mt_conn_feed(s, (const uint8_t *)"x", 0); /* feeding voids a reservation */
    CHECK_EQ(mt_conn_input_commit(s, 8), MT_ERR_BAD_STATE);
    CHECK(mt_conn_input_reserve(s, 8) != NULL);
    mt_conn_run(s); /* so does a run */
    CHECK_EQ(mt_conn_input_commit(s, 8), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_conn_error(s, NULL), 0); /* misuse never fails the connection */

    /* Consuming more than is pending drops what is there, nothing else. */
    const uint8_t *p = (const uint8_t *)"";
    CHECK_EQ(mt_conn_read_view(s, &p), 0);
    CHECK(p == NULL);
    mt_conn_read_consume(s, 5);
    uint8_t msg[100] = {1, 2, 3};
    CHECK_EQ(mt_conn_write(c, msg, sizeof msg), 0);
    transfer(c, s, &rot);
    CHECK_EQ(mt_conn_read_view(s, &p), sizeof msg);
    mt_conn_read_consume(s, 60);
    CHECK_EQ(mt_conn_read_view(s, &p), 40);
    mt_conn_read_consume(s, 1000);
    CHECK_EQ(mt_conn_read_view(s, &p), 0);
    CHECK(!(mt_conn_want(s) & MT_WANT_READ));

    /* A failed connection hands out no room and keeps its error. */
    uint8_t junk[64];
    memset(junk, 0x17, sizeof junk);
    junk[1] = 3, junk[2] = 3, junk[3] = 0, junk[4] = sizeof junk - 5; /* a whole record */
    uint8_t *dst = mt_conn_input_reserve(s, sizeof junk);
    memcpy(dst, junk, sizeof junk);
    CHECK_EQ(mt_conn_input_commit(s, sizeof junk), 0);
    int err = mt_conn_run(s);
    CHECK(err != 0);
    CHECK(mt_conn_input_reserve(s, 10) == NULL);
    CHECK_EQ(mt_conn_input_commit(s, 0), err);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* wire_in: committed bytes reach the hook first, exactly as fed ones do. */
static void test_wire_in_hook(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c, *s;
    size_t rot = 0;
    handshake(ccfg, scfg, &c, &s, &rot);
    mt_conn_set_hooks(s, MT_HOOK_BIT(MT_HOOK_WIRE_IN));
    uint8_t msg[500];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = pattern(i);
    CHECK_EQ(mt_conn_write(c, msg, sizeof msg), 0);
    const uint8_t *p;
    size_t n = mt_conn_output(c, &p);
    uint8_t *dst = mt_conn_input_reserve(s, n);
    memcpy(dst, p, n);
    CHECK_EQ(mt_conn_input_commit(s, n), 0);
    mt_conn_run(s);
    const mt_event *ev = mt_conn_event(s);
    CHECK(ev != NULL && ev->kind == MT_HOOK_WIRE_IN && ev->paused);
    if (ev) CHECK_EQ(ev->len, n);
    if (ev) CHECK_MEM(ev->data, p, n);
    mt_conn_output_consume(c, n);
    CHECK(!(mt_conn_want(s) & MT_WANT_READ));
    mt_conn_event_done(s, 0);
    mt_conn_run(s);
    size_t got = 0;
    drain(s, &got, &rot);
    CHECK_EQ(got, sizeof msg);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* Buffers stay across records while data flows; the idle points release them. */
static void test_buffers_idle(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c, *s;
    size_t rot = 0;
    handshake(ccfg, scfg, &c, &s, &rot);
    CHECK(s->in.data == NULL && s->app_in.data == NULL && s->out.data == NULL);
    static uint8_t msg[16384];
    const uint8_t *p;
    const uint8_t *in_before = NULL, *app_before = NULL, *out_before = NULL;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(mt_conn_write(c, msg, sizeof msg), 0);
        if (i && c->out.data != out_before) CHECK(!"sender output reallocated");
        out_before = c->out.data;
        size_t n = mt_conn_output(c, &p);
        uint8_t *dst = mt_conn_input_reserve(s, n);
        memcpy(dst, p, n);
        CHECK_EQ(mt_conn_input_commit(s, n), 0);
        mt_conn_output_consume(c, n);
        mt_conn_run(s);
        if (i && (s->in.data != in_before || s->app_in.data != app_before))
            CHECK(!"receiver buffers reallocated");
        in_before = s->in.data;
        app_before = s->app_in.data;
        CHECK_EQ(mt_conn_read_view(s, &p), sizeof msg);
        mt_conn_read_consume(s, sizeof msg);
    }
    CHECK(s->in.data != NULL && s->app_in.data != NULL && c->out.data != NULL);
    CHECK_EQ(mt_conn_input_commit(s, 0), 0); /* recv found nothing */
    CHECK(s->in.data == NULL && s->app_in.data == NULL);
    mt_conn_run(c); /* nothing fed: idle */
    CHECK(c->out.data == NULL);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* Partial sends: the sender's output is taken in odd pieces while more is written behind
 * it (the output is read by offset and compacted only when the end lacks room), and the
 * receiver gets several records per commit (the input is read by offset too). */
static void test_partial_output_and_multi_record_input(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c, *s;
    size_t rot = 0;
    handshake(ccfg, scfg, &c, &s, &rot);
    static uint8_t msg[50000];
    static const size_t sends[] = {1, 7000, 5, 16406, 30000, 333, 65536};
    size_t sent = 0, got = 0, k = 0;
    for (int w = 0; w < 12; w++) {
        for (size_t i = 0; i < sizeof msg; i++)
            msg[i] = pattern(sent + i);
        CHECK_EQ(mt_conn_write(c, msg, sizeof msg), 0);
        sent += sizeof msg;
        /* Send part of what is pending; the rest waits behind the next write. */
        for (int j = 0; j < 2; j++) {
            const uint8_t *p;
            size_t n = mt_conn_output(c, &p), take = sends[k++ % 7];
            if (take > n) take = n;
            if (!take) break;
            uint8_t *dst = mt_conn_input_reserve(s, take);
            CHECK(dst != NULL);
            if (!dst) break;
            memcpy(dst, p, take);
            CHECK_EQ(mt_conn_input_commit(s, take), 0);
            mt_conn_output_consume(c, take);
            mt_conn_run(s);
            drain(s, &got, &rot);
        }
    }
    transfer(c, s, &rot);
    drain(s, &got, &rot);
    CHECK_EQ(got, sent);
    CHECK_EQ(mt_conn_error(c, NULL), 0);
    CHECK_EQ(mt_conn_error(s, NULL), 0);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

int main(void)
{
    RUN(test_partial_output_and_multi_record_input);
    RUN(test_handshake_and_bulk_both_ways);
    RUN(test_mixed_with_copy_calls);
    RUN(test_misuse);
    RUN(test_wire_in_hook);
    RUN(test_buffers_idle);
    return test_summary();
}
