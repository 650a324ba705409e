/*
 * TLS 1.3 resumption and PSK in memory through the public API: tickets issued and turned
 * into sessions, a resumed handshake (psk_dhe_ke and psk_ke), fallback to a full handshake
 * for tickets that are unknown, expired or sealed under another key, HRR with a PSK, the
 * ticket key shared between configurations, external PSKs, and the peer faults with the
 * alert on both sides (bad binder, pre_shared_key not last, no psk_key_exchange_modes,
 * selected_identity out of range).
 */
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

static int64_t now_value = 1735689600;
static int64_t clock_now(void *ud)
{
    (void)ud;
    return now_value;
}

/* The shared fixture's server and client, on this file's movable clock. */
static mt_config *server_cfg(void)
{
    mt_config *cfg = fixture_server();
    mt_config_set_clock(cfg, clock_now, NULL);
    return cfg;
}

static mt_config *client_cfg(void)
{
    mt_config *cfg = fixture_client();
    mt_config_set_clock(cfg, clock_now, NULL);
    return cfg;
}

/* A message_out / message_in mutator for the fault tests: applied to one handshake
 * message type going out of `who`. */
typedef void (*edit_fn)(uint8_t *msg, size_t *len);

static void run_side(mt_conn *c, uint8_t type, edit_fn edit)
{
    for (int i = 0; i < 32; i++) {
        mt_conn_run(c);
        const mt_event *ev = mt_conn_event(c);
        if (ev == NULL) return;
        if (ev->paused && ev->kind == MT_HOOK_MESSAGE_OUT && ev->msg_type == type && edit) {
            uint8_t buf[4096];
            size_t n = ev->len;
            if (n <= sizeof buf - 64) {
                memcpy(buf, ev->data, n);
                edit(buf, &n);
                mt_conn_event_replace(c, buf, &n, 1);
            }
        }
        mt_conn_event_done(c, 0);
    }
}

static void pump_edit(mt_conn *a, mt_conn *b, uint8_t type, edit_fn edit)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        run_side(a, type, edit);
        run_side(b, 0, NULL);
        const uint8_t *p;
        size_t na = mt_conn_output(a, &p);
        if (na) {
            mt_conn_feed(b, p, na);
            mt_conn_output_consume(a, na);
        }
        size_t nb = mt_conn_output(b, &p);
        if (nb) {
            mt_conn_feed(a, p, nb);
            mt_conn_output_consume(b, nb);
        }
        if (na == 0 && nb == 0) break;
    }
}

static void pump(mt_conn *a, mt_conn *b)
{
    pump_edit(a, b, 0, NULL);
}

static int done(mt_conn *c)
{
    return (mt_conn_want(c) & MT_WANT_DONE) != 0;
}

static int resumed(mt_conn *c)
{
    mt_info i;
    mt_conn_info(c, &i);
    return i.resumed;
}

/* A full handshake that leaves a session; returns it (malloc'd). */
static uint8_t *first_session(mt_config *ccfg, mt_config *scfg, size_t *len)
{
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    pump(cc, sc);
    CHECK(done(cc) && done(sc));
    CHECK(!resumed(cc) && !resumed(sc));
    const uint8_t *p;
    uint8_t *copy = NULL;
    *len = 0;
    if (mt_conn_session(cc, &p, len) == 0) {
        copy = malloc(*len);
        memcpy(copy, p, *len);
    }
    CHECK(copy != NULL);
    mt_conn_free(cc);
    mt_conn_free(sc);
    return copy;
}

/* Connect again offering `sess`; returns 1 when both ended resumed. */
static int resume(mt_config *ccfg, mt_config *scfg, const uint8_t *sess, size_t len, int *cerr,
                  int *serr)
{
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_set_session(cc, sess, len), 0);
    pump(cc, sc);
    int ok = done(cc) && done(sc) && resumed(cc) && resumed(sc);
    *cerr = mt_conn_error(cc, NULL);
    *serr = mt_conn_error(sc, NULL);
    if (done(cc) && done(sc)) {
        /* application data both ways under the resumed keys */
        uint8_t buf[16];
        size_t n = 0;
        CHECK_EQ(mt_conn_write(cc, (const uint8_t *)"hello", 5), 0);
        pump(cc, sc);
        CHECK_EQ(mt_conn_read(sc, buf, sizeof buf, &n), 0);
        CHECK_EQ(n, 5);
        /* a resumed connection gives a new session too */
        const uint8_t *p;
        size_t l;
        CHECK_EQ(mt_conn_session(cc, &p, &l), 0);
    }
    mt_conn_free(cc);
    mt_conn_free(sc);
    return ok;
}

static void test_resume(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    int ce, se;
    CHECK(sess && resume(ccfg, scfg, sess, len, &ce, &se));
    CHECK_EQ(ce, 0);
    CHECK_EQ(se, 0);
    /* a ticket is not single use (no anti-replay needed without 0-RTT) */
    CHECK(sess && resume(ccfg, scfg, sess, len, &ce, &se));
    free(sess);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

static void test_no_tickets(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    CHECK_EQ(mt_config_set_tickets(scfg, 0, 3600), 0);
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    pump(cc, sc);
    CHECK(done(cc) && done(sc));
    const uint8_t *p;
    size_t l;
    CHECK_EQ(mt_conn_session(cc, &p, &l), MT_ERR_NOT_FOUND);
    mt_conn_free(cc);
    mt_conn_free(sc);
    CHECK_EQ(mt_config_set_tickets(scfg, 1, 604801), MT_ERR_BAD_PARAM);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

/* Unknown, expired or foreign tickets: a full handshake, no error. */
static void test_fallback(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    int ce, se;
    /* another server (another random ticket key) */
    mt_config *other = server_cfg();
    CHECK(!resume(ccfg, other, sess, len, &ce, &se));
    CHECK_EQ(ce, 0);
    CHECK_EQ(se, 0);
    /* the same ticket key in another configuration: accepted */
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    CHECK_EQ(mt_config_set_ticket_key(scfg, key, 32), 0);
    CHECK_EQ(mt_config_set_ticket_key(other, key, 32), 0);
    CHECK_EQ(mt_config_set_ticket_key(other, key, 31), MT_ERR_BAD_PARAM);
    free(sess);
    sess = first_session(ccfg, scfg, &len);
    CHECK(resume(ccfg, other, sess, len, &ce, &se));
    /* expired by the server's clock (the client still offers it: its clock lags) */
    mt_config_set_clock(other, fixed_clock, NULL);
    now_value += 7200;
    mt_config *late = client_cfg();
    mt_config_set_clock(late, fixed_clock, NULL);
    CHECK(!resume(late, scfg, sess, len, &ce, &se));
    CHECK_EQ(ce, 0);
    CHECK_EQ(se, 0);
    /* expired by the client's clock: not even offered */
    CHECK(!resume(ccfg, other, sess, len, &ce, &se));
    now_value -= 7200;
    /* another server name: not offered */
    mt_config *named = client_cfg();
    mt_config_set_server_name(named, "example.org");
    mt_config_set_verify(named, MT_VERIFY_NONE);
    CHECK(!resume(named, scfg, sess, len, &ce, &se));
    CHECK_EQ(ce, 0);
    /* garbage is refused when set */
    mt_conn *cc = mt_conn_new(ccfg);
    CHECK_EQ(mt_conn_set_session(cc, (const uint8_t *)"MTS1xx", 6), MT_ERR_DECODE);
    CHECK_EQ(mt_conn_set_session(cc, (const uint8_t *)"nope", 4), MT_ERR_UNSUPPORTED);
    mt_conn_free(cc);
    free(sess);
    mt_config_unref(named);
    mt_config_unref(late);
    mt_config_unref(other);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

static void test_psk_ke(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    int ce, se;
    /* the client offers psk_ke too; the server still picks psk_dhe_ke */
    mt_config_set_psk_ke(ccfg, 1);
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    mt_conn_set_session(cc, sess, len);
    pump(cc, sc);
    mt_info i;
    mt_conn_info(cc, &i);
    CHECK(i.resumed && i.group == 0x001d);
    mt_conn_free(cc);
    mt_conn_free(sc);
    CHECK(resume(ccfg, scfg, sess, len, &ce, &se));
    free(sess);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

static void test_hrr(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    /* the server wants secp256r1: the second ClientHello carries the PSK again, with a
     * binder over the new transcript */
    static const uint16_t pref[] = {0x0017, 0x001d};
    CHECK_EQ(mt_config_set_groups(scfg, pref, 2), 0);
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    mt_conn_set_session(cc, sess, len);
    mt_config_force_hrr(scfg, 0x0017, 0);
    pump(cc, sc);
    mt_info i;
    mt_conn_info(cc, &i);
    CHECK(done(cc) && done(sc));
    CHECK(i.hrr && i.resumed && i.group == 0x0017);
    CHECK(resumed(sc));
    mt_conn_free(cc);
    mt_conn_free(sc);
    free(sess);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

static void test_external_psk(void)
{
    mt_config *scfg = mt_config_new(MT_ROLE_SERVER), *ccfg = client_cfg();
    mt_config_set_clock(scfg, clock_now, NULL);
    const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_EQ(mt_config_set_psk(scfg, (const uint8_t *)"client1", 7, key, 32, MT_PSK_SHA256), 0);
    CHECK_EQ(mt_config_set_psk(ccfg, (const uint8_t *)"client1", 7, key, 32, MT_PSK_SHA256), 0);
    /* no certificate on the server: the PSK is the authentication */
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    pump(cc, sc);
    CHECK(done(cc) && done(sc) && resumed(cc) && resumed(sc));
    mt_info i;
    mt_conn_info(cc, &i);
    CHECK_EQ(i.suite, 0x1301); /* SHA-256 suites only */
    mt_conn_free(cc);
    mt_conn_free(sc);
    /* wrong key: the binder does not validate: decrypt_error on both sides */
    const uint8_t other[32] = {9};
    CHECK_EQ(mt_config_set_psk(ccfg, (const uint8_t *)"client1", 7, other, 32, MT_PSK_SHA256), 0);
    cc = mt_conn_new(ccfg);
    sc = mt_conn_new(scfg);
    pump(cc, sc);
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_RECV(MT_ALERT_DECRYPT_ERROR));
    mt_conn_free(cc);
    mt_conn_free(sc);
    /* unknown identity and no certificate: handshake_failure */
    CHECK_EQ(mt_config_set_psk(ccfg, (const uint8_t *)"client2", 7, key, 32, MT_PSK_SHA256), 0);
    cc = mt_conn_new(ccfg);
    sc = mt_conn_new(scfg);
    pump(cc, sc);
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_RECV(MT_ALERT_HANDSHAKE_FAILURE));
    mt_conn_free(cc);
    mt_conn_free(sc);
    /* SHA-384 PSK: the suite follows */
    CHECK_EQ(mt_config_set_psk(scfg, (const uint8_t *)"c3", 2, key, 32, MT_PSK_SHA384), 0);
    CHECK_EQ(mt_config_set_psk(ccfg, (const uint8_t *)"c3", 2, key, 32, MT_PSK_SHA384), 0);
    static const uint16_t s384[] = {0x1302};
    mt_config_set_suites(ccfg, s384, 1);
    cc = mt_conn_new(ccfg);
    sc = mt_conn_new(scfg);
    pump(cc, sc);
    CHECK(done(cc) && done(sc) && resumed(sc));
    mt_conn_free(cc);
    mt_conn_free(sc);
    CHECK_EQ(mt_config_set_psk(ccfg, (const uint8_t *)"c3", 2, key, 65, MT_PSK_SHA384),
             MT_ERR_BAD_PARAM);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

/* ---- faults ---- */

static size_t ch_ext_start(const uint8_t *m)
{
    size_t off = 4 + 2 + 32;
    off += 1 + m[off];
    off += 2 + (size_t)(m[off] << 8 | m[off + 1]);
    off += 1 + m[off];
    return off; /* the u16 extensions length */
}

/* Flip the last byte of the last binder. */
static void flip_binder(uint8_t *m, size_t *len)
{
    m[*len - 1] ^= 1;
}

/* Move pre_shared_key (last) before the previous extension by appending a dummy
 * extension after it. */
static void psk_not_last(uint8_t *m, size_t *len)
{
    size_t at = ch_ext_start(m);
    unsigned el = (unsigned)(m[at] << 8 | m[at + 1]) + 4;
    m[at] = (uint8_t)(el >> 8);
    m[at + 1] = (uint8_t)el;
    memcpy(m + *len, "\xfa\xfa\x00\x00", 4); /* an unknown extension, empty */
    *len += 4;
    size_t body = *len - 4;
    m[1] = (uint8_t)(body >> 16);
    m[2] = (uint8_t)(body >> 8);
    m[3] = (uint8_t)body;
}

/* Rename psk_key_exchange_modes (45) to an unknown type. */
static void drop_modes(uint8_t *m, size_t *len)
{
    size_t at = ch_ext_start(m) + 2;
    while (at + 4 <= *len) {
        unsigned t = (unsigned)(m[at] << 8 | m[at + 1]);
        unsigned l = (unsigned)(m[at + 2] << 8 | m[at + 3]);
        if (t == 45) {
            m[at] = 0xfa;
            m[at + 1] = 0xfa;
        }
        at += 4 + l;
    }
}

/* ServerHello: selected_identity 0 -> 7. */
static void bad_selected(uint8_t *m, size_t *len)
{
    for (size_t at = 40; at + 6 <= *len; at++)
        if (m[at] == 0 && m[at + 1] == 41 && m[at + 2] == 0 && m[at + 3] == 2) {
            m[at + 5] = 7;
            return;
        }
}

static void fault(int server_sends, uint8_t type, edit_fn edit, int alert)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    mt_config_set_hooks(server_sends ? scfg : ccfg, 1u << MT_HOOK_MESSAGE_OUT);
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    mt_conn_set_session(cc, sess, len);
    if (server_sends)
        pump_edit(sc, cc, type, edit);
    else
        pump_edit(cc, sc, type, edit);
    mt_conn *sender = server_sends ? sc : cc, *receiver = server_sends ? cc : sc;
    const char *where = "";
    CHECK_EQ(mt_conn_error(receiver, &where), MT_ERR_SENT(alert));
    CHECK_EQ(mt_conn_error(sender, NULL), MT_ERR_RECV(alert));
    if (mt_conn_error(receiver, NULL) != MT_ERR_SENT(alert)) fprintf(stderr, "  where: %s\n", where);
    mt_conn_free(cc);
    mt_conn_free(sc);
    free(sess);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

static void test_faults(void)
{
    fault(0, 1, flip_binder, MT_ALERT_DECRYPT_ERROR);
    fault(0, 1, psk_not_last, MT_ALERT_ILLEGAL_PARAMETER);
    fault(0, 1, drop_modes, MT_ALERT_MISSING_EXTENSION);
    fault(1, 2, bad_selected, MT_ALERT_ILLEGAL_PARAMETER);
}

/* The psk_binder hook: the computed binder is offered with its index; an answer replaces
 * it (a wrong one: decrypt_error at the server). */
static void test_binder_hook(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
    mt_conn_set_hooks(cc, 1u << MT_HOOK_PSK_BINDER);
    mt_conn_set_session(cc, sess, len);
    int seen = 0;
    for (int i = 0; i < 8; i++) {
        mt_conn_run(cc);
        const mt_event *ev = mt_conn_event(cc);
        if (!ev) break;
        if (ev->kind == MT_HOOK_PSK_BINDER) {
            seen++;
            CHECK_EQ(ev->scheme, 0);
            CHECK_EQ(ev->len, 32);
            uint8_t b[32];
            memcpy(b, ev->data, 32);
            b[0] ^= 0x80;
            size_t n = 32;
            mt_conn_event_replace(cc, b, &n, 1);
        }
        mt_conn_event_done(cc, 0);
    }
    CHECK_EQ(seen, 1);
    pump(cc, sc);
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_RECV(MT_ALERT_DECRYPT_ERROR));
    mt_conn_free(cc);
    mt_conn_free(sc);
    free(sess);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

/* The server's psk_binder hook: the binder it expects for the chosen identity; an answer
 * replaces the value it compares against. flip: answer the expected binder with one bit
 * flipped (the server refuses an honest client: decrypt_error); otherwise answer it
 * unchanged (resumed). */
static void server_binder_run(int flip, int *seen, mt_conn *cc, mt_conn *sc)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        run_side(cc, 0, NULL);
        for (int i = 0; i < 32; i++) {
            mt_conn_run(sc);
            const mt_event *ev = mt_conn_event(sc);
            if (ev == NULL) break;
            if (ev->kind == MT_HOOK_PSK_BINDER) {
                (*seen)++;
                CHECK_EQ(ev->scheme, 0);
                CHECK_EQ(ev->len, 32);
                uint8_t b[32];
                memcpy(b, ev->data, 32);
                if (flip) b[31] ^= 0x01;
                size_t n = 32;
                mt_conn_event_replace(sc, b, &n, 1);
            }
            mt_conn_event_done(sc, 0);
        }
        const uint8_t *p;
        size_t na = mt_conn_output(cc, &p), nb;
        if (na) {
            mt_conn_feed(sc, p, na);
            mt_conn_output_consume(cc, na);
        }
        nb = mt_conn_output(sc, &p);
        if (nb) {
            mt_conn_feed(cc, p, nb);
            mt_conn_output_consume(sc, nb);
        }
        if (na == 0 && nb == 0 && rounds > 2) break;
    }
}

static void test_server_binder_hook(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    for (int flip = 0; flip < 2; flip++) {
        mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
        mt_conn_set_hooks(sc, 1u << MT_HOOK_PSK_BINDER);
        mt_conn_set_session(cc, sess, len);
        int seen = 0;
        server_binder_run(flip, &seen, cc, sc);
        CHECK_EQ(seen, 1);
        if (flip) {
            CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR));
            CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_RECV(MT_ALERT_DECRYPT_ERROR));
        } else {
            mt_info i;
            CHECK_EQ(mt_conn_error(sc, NULL), 0);
            mt_conn_info(sc, &i);
            CHECK_EQ(i.resumed, 1);
        }
        mt_conn_free(cc);
        mt_conn_free(sc);
    }
    free(sess);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

/* ---- the psk_lookup ask (server13.c lookup_psk) ---- */

enum { LOOKUP_NONE, LOOKUP_GOOD, LOOKUP_WRONG_KEY, LOOKUP_AS_RESUMPTION, LOOKUP_MALFORMED };

/* The answer layout lookup_psk reads, for identity 0, external, SHA-256, any suite. */
static size_t lookup_answer(uint8_t *a, const uint8_t key[32], int external)
{
    size_t n = 0;
    a[n++] = 0, a[n++] = 0;          /* index */
    a[n++] = (uint8_t)external;      /* ext binder label */
    a[n++] = MT_PSK_SHA256;          /* hash */
    a[n++] = 0, a[n++] = 0;          /* suite: any */
    memset(a + n, 0, 4 + 1 + 8 + 4); /* age_add, age unknown, issued, max_early_data */
    n += 17;
    a[n++] = 0; /* no ALPN */
    a[n++] = 32;
    memcpy(a + n, key, 32);
    return n + 32;
}

static void lookup_run(int mode, mt_conn *cc, mt_conn *sc, const uint8_t key[32], int *seen)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        run_side(cc, 0, NULL);
        for (int i = 0; i < 32; i++) {
            mt_conn_run(sc);
            const mt_event *ev = mt_conn_event(sc);
            if (ev == NULL) break;
            if (ev->kind == MT_HOOK_PSK_LOOKUP) {
                (*seen)++;
                /* [u16 count][vec16 identity][u32 obfuscated_ticket_age]: external, age 0 */
                static const uint8_t want[] = {0,   1,   0,   7, 'c', 'l', 'i', 'e',
                                               'n', 't', '1', 0, 0,   0,   0};
                CHECK_EQ(ev->len, sizeof want);
                CHECK(ev->len == sizeof want && memcmp(ev->data, want, sizeof want) == 0);
                uint8_t a[128], k[32];
                memcpy(k, key, 32);
                if (mode == LOOKUP_WRONG_KEY) k[0] ^= 1;
                size_t n = lookup_answer(a, k, mode != LOOKUP_AS_RESUMPTION);
                if (mode == LOOKUP_MALFORMED) n--;
                if (mode != LOOKUP_NONE) mt_conn_event_replace(sc, a, &n, 1);
            }
            mt_conn_event_done(sc, 0);
        }
        const uint8_t *p;
        size_t na = mt_conn_output(cc, &p), nb;
        if (na) {
            mt_conn_feed(sc, p, na);
            mt_conn_output_consume(cc, na);
        }
        nb = mt_conn_output(sc, &p);
        if (nb) {
            mt_conn_feed(cc, p, nb);
            mt_conn_output_consume(sc, nb);
        }
        if (na == 0 && nb == 0 && rounds > 2) break;
    }
}

static void test_psk_lookup(void)
{
    mt_config *scfg = mt_config_new(MT_ROLE_SERVER), *ccfg = client_cfg();
    mt_config_set_clock(scfg, clock_now, NULL);
    const uint8_t key[32] = {9, 8, 7};
    CHECK_EQ(mt_config_set_psk(ccfg, (const uint8_t *)"client1", 7, key, 32, MT_PSK_SHA256), 0);
    static const struct {
        int mode, asks, server_err, client_err;
    } cases[] = {
        {LOOKUP_GOOD, 1, 0, 0},
        /* asked again for the SHA-384 suite psk_suite tries (the answer names its hash);
         * then no certificate to fall back on */
        {LOOKUP_NONE, 2, MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE),
         MT_ERR_RECV(MT_ALERT_HANDSHAKE_FAILURE)},
        /* RFC 8446 4.2.11.2: the binder does not validate: decrypt_error */
        {LOOKUP_WRONG_KEY, 1, MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR),
         MT_ERR_RECV(MT_ALERT_DECRYPT_ERROR)},
        {LOOKUP_AS_RESUMPTION, 1, MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR),
         MT_ERR_RECV(MT_ALERT_DECRYPT_ERROR)},
        {LOOKUP_MALFORMED, 1, MT_ERR_HOOK, MT_ERR_RECV(MT_ALERT_INTERNAL_ERROR)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt_conn *cc = mt_conn_new(ccfg), *sc = mt_conn_new(scfg);
        mt_conn_set_hooks(sc, 1u << MT_HOOK_PSK_LOOKUP);
        int seen = 0;
        lookup_run(cases[i].mode, cc, sc, key, &seen);
        CHECK_EQ(seen, cases[i].asks);
        CHECK_EQ(mt_conn_error(sc, NULL), cases[i].server_err);
        CHECK_EQ(mt_conn_error(cc, NULL), cases[i].client_err);
        if (cases[i].mode == LOOKUP_GOOD) CHECK(done(sc) && resumed(sc) && resumed(cc));
        mt_conn_free(cc);
        mt_conn_free(sc);
    }
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

/* ---- 0-RTT (RFC 8446 4.2.10) ---- */

static int early_state(mt_conn *c)
{
    mt_info i;
    mt_conn_info(c, &i);
    return i.early_data;
}

static void check_close_both(mt_conn *cc, mt_conn *sc);

/* Resume with early data; returns the connections (caller frees). */
static void early_run(mt_config *ccfg, mt_config *scfg, const uint8_t *sess, size_t len,
                      const char *data, mt_conn **cc, mt_conn **sc)
{
    *cc = mt_conn_new(ccfg);
    *sc = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_set_session(*cc, sess, len), 0);
    CHECK_EQ(mt_conn_set_early_data(*cc, (const uint8_t *)data, strlen(data)), 0);
    pump(*cc, *sc);
}

static void test_early_data(void)
{
    mt_config *scfg = server_cfg(), *ccfg = client_cfg();
    CHECK_EQ(mt_config_set_early_data(scfg, 1024), 0);
    size_t len;
    uint8_t *sess = first_session(ccfg, scfg, &len);
    mt_conn *cc, *sc;
    early_run(ccfg, scfg, sess, len, "early bird", &cc, &sc);
    CHECK(done(cc) && done(sc) && resumed(cc) && resumed(sc));
    CHECK_EQ(early_state(cc), MT_EARLY_ACCEPTED);
    CHECK_EQ(early_state(sc), MT_EARLY_ACCEPTED);
    uint8_t buf[64];
    size_t n = 0;
    CHECK_EQ(mt_conn_read(sc, buf, sizeof buf, &n), 0);
    CHECK_EQ(n, 10);
    CHECK(memcmp(buf, "early bird", 10) == 0);
    /* 1-RTT data after it */
    CHECK_EQ(mt_conn_write(cc, (const uint8_t *)"later", 5), 0);
    pump(cc, sc);
    CHECK_EQ(mt_conn_read(sc, buf, sizeof buf, &n), 0);
    CHECK_EQ(n, 5);
    mt_conn_free(cc);
    mt_conn_free(sc);

    /* the same ticket again: replay protection refuses the early data, the server skips
     * it and the handshake still resumes */
    early_run(ccfg, scfg, sess, len, "replayed", &cc, &sc);
    CHECK(done(cc) && done(sc) && resumed(cc) && resumed(sc));
    CHECK_EQ(early_state(cc), MT_EARLY_REJECTED);
    CHECK_EQ(early_state(sc), MT_EARLY_REJECTED);
    n = 99;
    CHECK_EQ(mt_conn_read(sc, buf, sizeof buf, &n), 0);
    CHECK_EQ(n, 0);
    check_close_both(cc, sc);
    mt_conn_free(cc);
    mt_conn_free(sc);
    free(sess);

    /* more than the ticket allows: not sent at all */
    sess = first_session(ccfg, scfg, &len);
    char big[1100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    early_run(ccfg, scfg, sess, len, big, &cc, &sc);
    CHECK(done(cc) && done(sc) && resumed(sc));
    CHECK_EQ(early_state(cc), MT_EARLY_NONE);
    CHECK_EQ(early_state(sc), MT_EARLY_NONE);
    mt_conn_free(cc);
    mt_conn_free(sc);
    free(sess);
    mt_config_unref(scfg);
    mt_config_unref(ccfg);
}

static void check_close_both(mt_conn *cc, mt_conn *sc)
{
    CHECK_EQ(mt_conn_error(cc, NULL), 0);
    CHECK_EQ(mt_conn_error(sc, NULL), 0);
}

/* A server that does not take 0-RTT (or no longer: a shared ticket key) skips it. */
static void test_early_refused(void)
{
    uint8_t key[32] = {7};
    mt_config *issuer = server_cfg(), *ccfg = client_cfg();
    mt_config_set_ticket_key(issuer, key, 32);
    mt_config_set_early_data(issuer, 4096);
    size_t len;
    uint8_t *sess = first_session(ccfg, issuer, &len);
    mt_config *off = server_cfg();
    mt_config_set_ticket_key(off, key, 32);
    mt_conn *cc, *sc;
    early_run(ccfg, off, sess, len, "not wanted", &cc, &sc);
    CHECK(done(cc) && done(sc) && resumed(sc));
    CHECK_EQ(early_state(cc), MT_EARLY_REJECTED);
    CHECK_EQ(early_state(sc), MT_EARLY_REJECTED);
    mt_conn_free(cc);
    mt_conn_free(sc);

    /* after a HelloRetryRequest: refused, the second ClientHello goes in plaintext */
    mt_config_force_hrr(issuer, 0x0017, 0);
    early_run(ccfg, issuer, sess, len, "too soon", &cc, &sc);
    CHECK(done(cc) && done(sc) && resumed(sc));
    if (!done(cc)) {
        const char *w1 = "", *w2 = "";
        int e1 = mt_conn_error(cc, &w1), e2 = mt_conn_error(sc, &w2);
        fprintf(stderr, "  client 0x%x %s / server 0x%x %s\n", e1, w1, e2, w2);
    }
    mt_info i;
    mt_conn_info(cc, &i);
    CHECK(i.hrr);
    CHECK_EQ(early_state(cc), MT_EARLY_REJECTED);
    CHECK_EQ(early_state(sc), MT_EARLY_REJECTED);
    mt_conn_free(cc);
    mt_conn_free(sc);

    /* more early data than the server allows: unexpected_message */
    mt_config *small = server_cfg();
    mt_config_set_ticket_key(small, key, 32);
    mt_config_set_early_data(small, 10);
    early_run(ccfg, small, sess, len, "eleven-plus bytes of early data", &cc, &sc);
    CHECK_EQ(mt_conn_error(sc, NULL), MT_ERR_SENT(MT_ALERT_UNEXPECTED_MESSAGE));
    CHECK_EQ(mt_conn_error(cc, NULL), MT_ERR_RECV(MT_ALERT_UNEXPECTED_MESSAGE));
    mt_conn_free(cc);
    mt_conn_free(sc);

    free(sess);
    mt_config_unref(small);
    mt_config_unref(off);
    mt_config_unref(issuer);
    mt_config_unref(ccfg);
}

int main(void)
{
    RUN(test_resume);
    RUN(test_no_tickets);
    RUN(test_fallback);
    RUN(test_psk_ke);
    RUN(test_hrr);
    RUN(test_external_psk);
    RUN(test_faults);
    RUN(test_binder_hook);
    RUN(test_server_binder_hook);
    RUN(test_psk_lookup);
    RUN(test_early_data);
    RUN(test_early_refused);
    return test_summary();
}
