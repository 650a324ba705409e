/*
 * Received plaintext never reaches free(): lib/engine.c wipes read application data when
 * its buffer is released, grown or freed, not as it is read (mt_conn_read_consume and
 * mt_conn_read only move an offset), so this checks the memory itself at the moment the
 * library gives it back.
 *
 * Notes:
 * - The Makefile links this test with -Wl,--wrap=free: every free() in lib/ (and here)
 *   goes through __wrap_free, which, while `watching`, scans the whole block for a
 *   16-byte window of the marker text the peer sent. Ciphertext cannot match it by
 *   chance. The test's own buffers that hold the marker are static, never freed.
 * - Scenarios: zero-copy reads in odd pieces then the idle release (commit of 0); the
 *   plain mt_conn_read path then mt_conn_free with data left unread; a receive buffer
 *   that grows while read data lies in it (records arriving faster than they are read);
 *   a resumed 0-RTT handshake and an external PSK one, watched for the ticket key, the
 *   session's PSK, its early secret and the external PSK as well.
 * - Each scenario also checks that blocks were scanned at all (the wrap is active), and
 *   that the marker did reach the receiver (the scan would find it if it were left).
 */
#define _GNU_SOURCE /* memmem */
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

#include "handshake/keysched13.h"

#include <malloc.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) (void)0
#endif

static const char marker[] = "PLAINTEXT-MARKER"; /* 16 bytes, repeated in every write */
static int watching;
static long scanned, leaked;
/* Secrets a scenario also looks for: 16 bytes of each (a ticket key, a PSK, ...). */
static uint8_t secrets[8][16];
static size_t n_secrets;

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
    if (p && watching) {
        size_t n = malloc_usable_size(p);
        /* Bytes a buffer reserved but never wrote are undefined to memcheck; only their
         * contents matter here. */
        VALGRIND_MAKE_MEM_DEFINED(p, n);
        scanned++;
        if (memmem(p, n, marker, 16) != NULL) leaked++;
        for (size_t i = 0; i < n_secrets; i++)
            if (memmem(p, n, secrets[i], 16) != NULL) leaked++;
    }
    __real_free(p);
}

static mt_config *client(void)
{
    mt_config *cfg = mt_config_new(MT_ROLE_CLIENT);
    mt_config_set_server_name(cfg, "localhost");
    mt_config_set_verify(cfg, 0);
    mt_config_set_clock(cfg, fixed_clock, NULL);
    return cfg;
}

/* Move everything w has for r through mt_conn_feed and run r. */
static void move(mt_conn *w, mt_conn *r)
{
    const uint8_t *p;
    size_t n = mt_conn_output(w, &p);
    if (n) CHECK_EQ(mt_conn_feed(r, p, n), 0);
    mt_conn_output_consume(w, n);
    mt_conn_run(r);
}

static void pair(mt_conn **c, mt_conn **s)
{
    static mt_config *ccfg, *scfg;
    if (!ccfg) {
        ccfg = client();
        scfg = fixture_server();
    }
    *c = mt_conn_new(ccfg);
    *s = mt_conn_new(scfg);
    for (int i = 0; i < 16; i++) {
        mt_conn_run(*c);
        move(*c, *s);
        move(*s, *c);
    }
    CHECK(mt_conn_want(*c) & MT_WANT_DONE);
    CHECK(mt_conn_want(*s) & MT_WANT_DONE);
}

static uint8_t text[40000]; /* the marker, over and over */

static void fill(void)
{
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)marker[i % 16];
}

/* Some of the received bytes contain the marker where the receiver reads them. */
static int holds_marker(const uint8_t *p, size_t n)
{
    return memmem(p, n, marker, 16) != NULL;
}

static void begin(void)
{
    scanned = leaked = 0;
    watching = 1;
}

static void end(void)
{
    watching = 0;
    CHECK(scanned > 0);
    CHECK_EQ(leaked, 0);
}

static void test_zero_copy_read_then_idle_release(void)
{
    mt_conn *c, *s;
    pair(&c, &s);
    begin();
    static const size_t pieces[] = {1, 999, 16384, 7, 5000};
    size_t got = 0, k = 0;
    int seen = 0;
    for (int round = 0; round < 3; round++) {
        CHECK_EQ(mt_conn_write(c, text, sizeof text), 0);
        const uint8_t *p;
        size_t n = mt_conn_output(c, &p);
        uint8_t *dst = mt_conn_input_reserve(s, n);
        CHECK(dst != NULL);
        if (!dst) break;
        memcpy(dst, p, n);
        CHECK_EQ(mt_conn_input_commit(s, n), 0);
        mt_conn_output_consume(c, n);
        mt_conn_run(s);
        const uint8_t *v;
        size_t m;
        while ((m = mt_conn_read_view(s, &v)) != 0) {
            size_t take = pieces[k++ % 5];
            if (take > m) take = m;
            seen |= holds_marker(v, m);
            mt_conn_read_consume(s, take);
            got += take;
        }
        CHECK_EQ(mt_conn_input_commit(s, 0), 0); /* idle: the receive buffer is released */
    }
    CHECK_EQ(got, 3 * sizeof text);
    CHECK(seen);
    mt_conn_free(c);
    mt_conn_free(s);
    end();
}

static void test_plain_read_then_free_with_data_left(void)
{
    mt_conn *c, *s;
    pair(&c, &s);
    begin();
    static uint8_t out[3000];
    CHECK_EQ(mt_conn_write(c, text, sizeof text), 0);
    move(c, s);
    size_t n = 0, got = 0;
    for (int i = 0; i < 5 && mt_conn_read(s, out, sizeof out, &n) == 0 && n; i++)
        got += n;
    CHECK_EQ(got, 5 * sizeof out);
    CHECK(holds_marker(out, sizeof out));
    mt_conn_free(c);
    mt_conn_free(s); /* read and unread plaintext go with it */
    end();
}

static void test_receive_buffer_grows_over_read_data(void)
{
    mt_conn *c, *s;
    pair(&c, &s);
    begin();
    /* Fill, drain: the buffer now holds read plaintext past its length. */
    CHECK_EQ(mt_conn_write(c, text, 20000), 0);
    move(c, s);
    const uint8_t *v;
    size_t m = mt_conn_read_view(s, &v);
    CHECK_EQ(m, 20000);
    CHECK(holds_marker(v, m));
    mt_conn_read_consume(s, m);
    /* Records arrive faster than they are read: the buffer grows (old block freed), with
     * part of the first batch still unread when it does. */
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(mt_conn_write(c, text, sizeof text), 0);
        move(c, s);
        mt_conn_read_consume(s, 100);
    }
    m = mt_conn_read_view(s, &v);
    CHECK_EQ(m, 4 * sizeof text - 400);
    mt_conn_read_consume(s, m / 2);
    mt_conn_free(c);
    mt_conn_free(s);
    end();
}

static void watch_secret(const uint8_t *p)
{
    if (n_secrets < sizeof secrets / sizeof secrets[0]) memcpy(secrets[n_secrets++], p, 16);
}

static void run_pair(mt_conn *c, mt_conn *s)
{
    for (int i = 0; i < 16; i++) {
        mt_conn_run(c);
        move(c, s);
        move(s, c);
    }
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK(mt_conn_want(s) & MT_WANT_DONE);
}

/* Resumption and 0-RTT leave no secret in freed memory: the ticket key, the session's
 * PSK (in the client's session bytes, the server's opened ticket, both key schedules),
 * the early secret derived from it, an external PSK, and the early data itself. */
static void test_resumption_secrets(void)
{
    static uint8_t ticket_key[32], ext_key[32];
    static uint8_t sess[1024];
    memcpy(ticket_key, "TICKET-KEY-MARK!TICKET-KEY-MARK!", 32);
    memcpy(ext_key, "EXTERNAL-PSK-KEY-EXTERNAL-PSK-KE", 32);
    n_secrets = 0;
    mt_config *scfg = fixture_server(), *ccfg = client();
    CHECK_EQ(mt_config_set_ticket_key(scfg, ticket_key, sizeof ticket_key), 0);
    CHECK_EQ(mt_config_set_early_data(scfg, 1024), 0);
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    run_pair(c, s);
    const uint8_t *p;
    size_t n = 0;
    CHECK_EQ(mt_conn_session(c, &p, &n), 0);
    CHECK(n > 27 && n <= sizeof sess);
    if (n <= 27 || n > sizeof sess) return;
    memcpy(sess, p, n);
    mt_conn_free(c);
    mt_conn_free(s);
    /* ticket.h's format: "MTS1", suite(2), time(8), lifetime(4), age_add(4),
     * max_early_data(4), then the PSK with its length byte */
    size_t psk_len = sess[26];
    CHECK(psk_len == 32 || psk_len == 48);
    mt_hash_id h = psk_len == 48 ? MT_HASH_SHA384 : MT_HASH_SHA256;
    mt_ks13 ks;
    CHECK_EQ(mt_ks13_init(&ks, h, NULL, NULL), 0);
    CHECK_EQ(mt_ks13_early(&ks, sess + 27, psk_len), 0);
    watch_secret(ticket_key);
    watch_secret(sess + 27);
    watch_secret(sess + 27 + psk_len - 16);
    watch_secret(ks.stage_secret); /* the early secret */
    watch_secret(ext_key);
    mt_ks13_free(&ks);

    begin();
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_set_session(c, sess, n), 0);
    CHECK_EQ(mt_conn_set_early_data(c, text, 1000), 0);
    run_pair(c, s);
    mt_info ci;
    mt_conn_info(s, &ci);
    CHECK(ci.resumed);
    CHECK_EQ(ci.early_data, MT_EARLY_ACCEPTED);
    uint8_t out[1000];
    size_t got = 0;
    CHECK_EQ(mt_conn_read(s, out, sizeof out, &got), 0);
    CHECK_EQ(got, 1000);
    memset(out, 0, sizeof out);
    mt_conn_free(c);
    mt_conn_free(s);
    /* an external PSK, then both configurations go */
    CHECK_EQ(mt_config_set_psk(scfg, (const uint8_t *)"id", 2, ext_key, 32, MT_PSK_SHA256), 0);
    CHECK_EQ(mt_config_set_psk(ccfg, (const uint8_t *)"id", 2, ext_key, 32, MT_PSK_SHA256), 0);
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    run_pair(c, s);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
    end();
    n_secrets = 0;
}

int main(void)
{
    fill();
    RUN(test_zero_copy_read_then_idle_release);
    RUN(test_plain_read_then_free_with_data_left);
    RUN(test_receive_buffer_grows_over_read_data);
    RUN(test_resumption_secrets);
    return test_summary();
}
