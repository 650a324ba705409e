/*
 * Engine knobs for scripts, each with the peer's answer in memory: the shaping knobs
 * (extension order and extra extensions of ClientHello, ServerHello, HelloRetryRequest
 * and EncryptedExtensions), the HelloRetryRequest cookie (fixed bytes, per connection).
 */
#include "../../lib/handshake/codec.h"
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

static mt_config *server(void)
{
    size_t cn, kn;
    uint8_t *c = slurp(PKI "leaf-p256.chain.pem", &cn), *k = slurp(PKI "leaf-p256.key", &kn);
    mt_config *cfg = mt_config_new(MT_ROLE_SERVER);
    mt_config_add_credential(cfg, c, cn, k, kn);
    mt_config_set_clock(cfg, fixed_clock, NULL);
    free(c);
    free(k);
    return cfg;
}

static mt_config *client(void)
{
    size_t n;
    uint8_t *ca = slurp(PKI "ca-bundle.pem", &n);
    mt_config *cfg = mt_config_new(MT_ROLE_CLIENT);
    mt_config_set_ca(cfg, ca, n);
    mt_config_set_server_name(cfg, "localhost");
    mt_config_set_clock(cfg, fixed_clock, NULL);
    free(ca);
    return cfg;
}

typedef void (*answer_fn)(mt_conn *conn, const mt_event *ev, void *ud);

static void run_side(mt_conn *conn, answer_fn fn, void *ud)
{
    for (int i = 0; i < 64; i++) {
        mt_conn_run(conn);
        const mt_event *ev = mt_conn_event(conn);
        if (ev == NULL) return;
        if (fn && ev->paused) fn(conn, ev, ud);
        mt_conn_event_done(conn, 0);
    }
}

static void pump(mt_conn *c, mt_conn *s, answer_fn cf, void *cud, answer_fn sf, void *sud)
{
    for (int round = 0; round < 32; round++) {
        run_side(c, cf, cud);
        run_side(s, sf, sud);
        const uint8_t *p;
        size_t a = mt_conn_output(c, &p);
        if (a) mt_conn_feed(s, p, a);
        mt_conn_output_consume(c, a);
        size_t b = mt_conn_output(s, &p);
        if (b) mt_conn_feed(c, p, b);
        mt_conn_output_consume(s, b);
        if (!a && !b) break;
    }
}

/* What one side saw: the extension types of the messages of one kind, in wire order. */
typedef struct {
    int dir;       /* 0: record what we send (message_out); 1: what we receive */
    uint8_t type;  /* handshake type to look at */
    int hrr;       /* with type 2: 1 = HelloRetryRequest only, 0 = ServerHello only */
    int seen;      /* messages seen */
    uint16_t exts[32];
    size_t n;
    uint8_t cookie[128];
    size_t cookie_len;
    uint8_t raw[1024]; /* the last one, raw */
    size_t raw_len;
} seen_ctx;

static void record_exts(mt_conn *conn, const mt_event *ev, void *ud)
{
    seen_ctx *x = ud;
    mt_hook want = x->dir ? MT_HOOK_MESSAGE_IN : MT_HOOK_MESSAGE_OUT;
    if (ev->kind != want || ev->content_type != 22 || ev->msg_type != x->type) return;
    mt_msg_ctx ctx = {.content_type = 22, .version = 0x0304, .side = x->type == 1 ? 0 : 1};
    mt_msg *m = NULL;
    if (mt_msg_decode(&ctx, ev->data, ev->len, &m, NULL, 0) != 0) return;
    int is_hrr = mt_msg_kind(m) == MT_MSG_HELLO_RETRY_REQUEST;
    if (x->type == 2 && is_hrr != x->hrr) {
        mt_msg_free(m);
        return;
    }
    x->seen++;
    x->n = 0;
    x->cookie_len = 0;
    if (ev->len <= sizeof x->raw) {
        memcpy(x->raw, ev->data, ev->len);
        x->raw_len = ev->len;
    }
    for (mt_msg_id f = mt_msg_first(m, MT_MSG_ROOT); f != MT_MSG_NONE; f = mt_msg_next(m, f)) {
        mt_msg_info fi;
        mt_msg_node(m, f, &fi);
        if (!fi.ext_list) continue;
        for (mt_msg_id e = mt_msg_first(m, f); e != MT_MSG_NONE; e = mt_msg_next(m, e)) {
            mt_msg_info ei;
            mt_msg_node(m, e, &ei);
            if (x->n < 32) x->exts[x->n++] = (uint16_t)ei.value;
            if (ei.value == 44 && ei.len >= 2 && ei.len - 2 <= sizeof x->cookie) {
                /* cookie extension body: u16 length, then the cookie */
                x->cookie_len = ei.len - 2;
                memcpy(x->cookie, ei.bytes + 2, x->cookie_len);
            }
        }
    }
    mt_msg_free(m);
}

static void test_server_hello_order(void)
{
    mt_config *ccfg = client(), *scfg = server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    /* the engine writes supported_versions, key_share; the knob asks for the reverse */
    const uint16_t order[] = {51, 43};
    CHECK_EQ(mt_config_set_extension_order(scfg, 2, order, 2), 0);
    seen_ctx x = {.dir = 1, .type = 2};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    pump(c, s, record_exts, &x, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE); /* the client takes it: order is free */
    CHECK(mt_conn_want(s) & MT_WANT_DONE);
    CHECK_EQ(x.seen, 1);
    CHECK_EQ(x.n, 2);
    CHECK_EQ(x.exts[0], 51);
    CHECK_EQ(x.exts[1], 43);
    mt_conn_free(c);
    mt_conn_free(s);
    /* kinds a role does not build are refused */
    CHECK_EQ(mt_config_set_extension_order(scfg, 1, order, 2), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_set_extension_order(ccfg, 2, order, 2), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_set_extension_order(scfg, 11, order, 2), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_add_extension(ccfg, 8, 28, (const uint8_t *)"\x40\x01", 2), MT_ERR_BAD_PARAM);
    uint16_t many[33] = {0};
    CHECK_EQ(mt_config_set_extension_order(scfg, 2, many, 33), MT_ERR_LIMIT);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_encrypted_extensions(void)
{
    mt_config *ccfg = client(), *scfg = server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    /* RFC 8448's EncryptedExtensions: supported_groups, record_size_limit, then the
     * engine's own empty server_name (the client sent SNI). */
    static const uint8_t groups[] = {0x00, 0x04, 0x00, 0x1d, 0x00, 0x17};
    CHECK_EQ(mt_config_add_extension(scfg, 8, 10, groups, sizeof groups), 0);
    CHECK_EQ(mt_config_add_extension(scfg, 8, 28, (const uint8_t *)"\x40\x01", 2), 0);
    const uint16_t order[] = {10, 28, 0};
    CHECK_EQ(mt_config_set_extension_order(scfg, 8, order, 3), 0);
    seen_ctx x = {.dir = 1, .type = 8};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    pump(c, s, record_exts, &x, NULL, NULL);
    CHECK_EQ(x.seen, 1);
    CHECK_EQ(x.n, 3);
    CHECK_EQ(x.exts[0], 10);
    CHECK_EQ(x.exts[1], 28);
    CHECK_EQ(x.exts[2], 0);
    static const uint8_t want[] = {8,    0, 0, 22,   0, 20, 0, 10, 0, 6, 0, 4, 0, 0x1d,
                                   0, 0x17, 0, 28, 0, 2, 0x40, 1, 0, 0, 0, 0};
    CHECK_EQ(x.raw_len, sizeof want);
    CHECK_MEM(x.raw, want, sizeof want);
    /* The client did not offer record_size_limit: RFC 8446 4.2 "If an implementation
     * receives an extension which it recognizes and which it did not request ... it MUST
     * abort the handshake with an "unsupported_extension" alert." */
    const char *where = NULL;
    CHECK_EQ(mt_conn_error(c, &where), MT_ERR_SENT(MT_ALERT_UNSUPPORTED_EXTENSION));
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_RECV(MT_ALERT_UNSUPPORTED_EXTENSION));
    mt_conn_free(c);
    mt_conn_free(s);
    /* An extension clients accept in EncryptedExtensions (supported_groups, RFC 8446
     * 4.2.7) only: the handshake completes, the wire carries it. */
    mt_config_clear_extensions(scfg, 8);
    CHECK_EQ(mt_config_add_extension(scfg, 8, 10, groups, sizeof groups), 0);
    seen_ctx y = {.dir = 1, .type = 8};
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    pump(c, s, record_exts, &y, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK_EQ(y.n, 2);
    CHECK_EQ(y.exts[0], 0); /* unlisted: the engine's first, the addition after */
    CHECK_EQ(y.exts[1], 10);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_client_hello_order(void)
{
    mt_config *ccfg = client(), *scfg = server();
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    /* key_share first, then supported_versions; the rest as built */
    const uint16_t order[] = {51, 43};
    CHECK_EQ(mt_config_set_extension_order(ccfg, 1, order, 2), 0);
    CHECK_EQ(mt_config_add_extension(ccfg, 1, 0xfafa, (const uint8_t *)"x", 1), 0);
    seen_ctx x = {.dir = 1, .type = 1};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    pump(c, s, NULL, NULL, record_exts, &x);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK_EQ(x.seen, 1);
    CHECK(x.n >= 5);
    CHECK_EQ(x.exts[0], 51);
    CHECK_EQ(x.exts[1], 43);
    CHECK_EQ(x.exts[x.n - 1], 0xfafa); /* an unknown extension is ignored by the server */
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_hrr_cookie(void)
{
    mt_config *ccfg = client(), *scfg = server();
    uint16_t groups[] = {0x001d, 0x0018};
    mt_config_set_groups(ccfg, groups, 2);
    mt_config_force_hrr(scfg, 0x0018, 0);
    static const uint8_t cookie[] = "state of a stateless server";
    CHECK_EQ(mt_config_set_hrr_cookie_value(scfg, cookie, sizeof cookie - 1), 0);
    /* the RFC 8448 order for the HRR: key_share, cookie, supported_versions */
    const uint16_t order[] = {51, 44, 43};
    CHECK_EQ(mt_config_set_extension_order(scfg, MT_MSG_HELLO_RETRY_REQUEST, order, 3), 0);
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN) | MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    seen_ctx hrr = {.dir = 1, .type = 2, .hrr = 1};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    pump(c, s, record_exts, &hrr, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK(mt_conn_want(s) & MT_WANT_DONE);
    CHECK_EQ(hrr.seen, 1);
    CHECK_EQ(hrr.n, 3);
    CHECK_EQ(hrr.exts[0], 51);
    CHECK_EQ(hrr.exts[1], 44);
    CHECK_EQ(hrr.exts[2], 43);
    CHECK_EQ(hrr.cookie_len, sizeof cookie - 1);
    CHECK_MEM(hrr.cookie, cookie, sizeof cookie - 1);
    mt_conn_free(c);
    mt_conn_free(s);
    /* Per connection: another cookie, set before the first run. */
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_set_hrr_cookie(s, (const uint8_t *)"conn", 4), 0);
    CHECK_EQ(mt_conn_set_hrr_cookie(c, (const uint8_t *)"conn", 4), MT_ERR_BAD_STATE);
    seen_ctx h2 = {.dir = 1, .type = 2, .hrr = 1};
    pump(c, s, record_exts, &h2, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK_EQ(h2.cookie_len, 4);
    CHECK_MEM(h2.cookie, "conn", 4);
    /* too late once the HelloRetryRequest is out */
    CHECK_EQ(mt_conn_set_hrr_cookie(s, (const uint8_t *)"late", 4), MT_ERR_BAD_STATE);
    mt_conn_free(c);
    mt_conn_free(s);
    /* Per connection: none at all. */
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_set_hrr_cookie(s, NULL, 0), 0);
    seen_ctx h3 = {.dir = 1, .type = 2, .hrr = 1};
    pump(c, s, record_exts, &h3, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK_EQ(h3.n, 2);
    CHECK_EQ(h3.cookie_len, 0);
    mt_conn_free(c);
    mt_conn_free(s);
    /* bad lengths, and a client configuration */
    CHECK_EQ(mt_config_set_hrr_cookie_value(scfg, cookie, 0), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_set_hrr_cookie_value(scfg, cookie, 65534), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_set_hrr_cookie_value(ccfg, cookie, 4), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_set_hrr_cookie_value(scfg, NULL, 0), 0); /* back to random */
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* The client echoes a cookie other than the one it got. */
static void wrong_cookie(mt_conn *conn, const mt_event *ev, void *ud)
{
    if (ev->kind != MT_HOOK_MESSAGE_OUT || ev->msg_type != 1) return;
    mt_msg_ctx ctx = {.content_type = 22, .version = 0x0304, .side = 0};
    mt_msg *m = NULL;
    if (mt_msg_decode(&ctx, ev->data, ev->len, &m, NULL, 0) != 0) return;
    for (mt_msg_id f = mt_msg_first(m, MT_MSG_ROOT); f != MT_MSG_NONE; f = mt_msg_next(m, f)) {
        mt_msg_info fi;
        mt_msg_node(m, f, &fi);
        if (!fi.ext_list) continue;
        for (mt_msg_id e = mt_msg_first(m, f); e != MT_MSG_NONE; e = mt_msg_next(m, e)) {
            mt_msg_info ei;
            mt_msg_node(m, e, &ei);
            if (ei.value != 44) continue;
            mt_msg_set_bytes(m, e, "\x00\x04" "gone", 6);
            (*(int *)ud)++;
        }
    }
    const uint8_t *p;
    size_t n;
    if (mt_msg_encode(m, &p, &n) == 0) mt_conn_event_replace(conn, p, &n, 1);
    mt_msg_free(m);
}

static void test_hrr_cookie_checked(void)
{
    mt_config *ccfg = client(), *scfg = server();
    uint16_t groups[] = {0x001d, 0x0018};
    mt_config_set_groups(ccfg, groups, 2);
    mt_config_force_hrr(scfg, 0x0018, 0);
    CHECK_EQ(mt_config_set_hrr_cookie_value(scfg, (const uint8_t *)"fixed", 5), 0);
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    int edited = 0;
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    pump(c, s, wrong_cookie, &edited, NULL, NULL);
    CHECK_EQ(edited, 1);
    /* RFC 8446 4.1.2: the second ClientHello echoes the cookie; ours: illegal_parameter */
    const char *where = NULL;
    CHECK_EQ(mt_conn_error(s, &where), MT_ERR_ILLEGAL_PARAM);
    CHECK(where && strstr(where, "cookie") != NULL);
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_RECV(MT_ALERT_ILLEGAL_PARAMETER));
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

int main(void)
{
    RUN(test_server_hello_order);
    RUN(test_encrypted_extensions);
    RUN(test_client_hello_order);
    RUN(test_hrr_cookie);
    RUN(test_hrr_cookie_checked);
    return test_summary();
}
