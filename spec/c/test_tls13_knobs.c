/*
 * The engine's scripting knobs, each shown with the peer's answer: injected messages,
 * forced HelloRetryRequests, an invalid key share through the key_share hook, a wrong
 * TLS 1.3 outer content type, and adoption of a ClientHello rewritten by a hook.
 */
#include "../../lib/handshake/codec.h"
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

static void test_inject(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    /* Application data before any ClientHello: RFC 8446 5 unexpected_message. */
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_inject(c, 23, (const uint8_t *)"early", 5, 0), 0);
    fixture_pump(c, s, NULL, NULL, NULL, NULL);
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_UNEXPECTED);
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_RECV(MT_ALERT_UNEXPECTED_MESSAGE));
    mt_conn_free(c);
    mt_conn_free(s);
    /* An unknown handshake type after the ClientHello, kept out of the transcript. */
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    mt_conn_run(c);
    static const uint8_t odd[] = {99, 0, 0, 1, 0};
    CHECK_EQ(mt_conn_inject(c, 22, odd, sizeof odd, 0), 0);
    fixture_pump(c, s, NULL, NULL, NULL, NULL);
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_UNEXPECTED);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_force_hrr(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    uint16_t groups[] = {0x001d, 0x0018};
    mt_config_set_groups(ccfg, groups, 2);
    CHECK_EQ(mt_config_force_hrr(scfg, 0x0018, 0), 0);
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    mt_info i;
    mt_conn_info(c, &i);
    CHECK_EQ(i.hrr, 1);
    CHECK_EQ(i.group, 0x0018);
    mt_conn_free(c);
    mt_conn_free(s);
    /* Twice: RFC 8446 4.1.4 "If a client receives a second HelloRetryRequest in the same
     * connection ... it MUST abort the handshake with an unexpected_message alert." */
    CHECK_EQ(mt_config_force_hrr(scfg, 0x0018, 1), 0);
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, NULL, NULL);
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_UNEXPECTED);
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_RECV(MT_ALERT_UNEXPECTED_MESSAGE));
    mt_conn_free(c);
    mt_conn_free(s);
    CHECK_EQ(mt_config_force_hrr(ccfg, 0, 0), MT_ERR_BAD_PARAM); /* servers only */
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void zero_share(mt_conn *conn, const mt_event *ev, void *ud)
{
    if (ev->kind != MT_HOOK_KEY_SHARE) return;
    /* keep the engine's private key (empty first object), send 32 zero bytes: the
     * all-zero X25519 point */
    uint8_t zeros[32] = {0};
    size_t lens[2] = {0, 32};
    mt_conn_event_replace(conn, zeros, lens, 2);
    (*(int *)ud)++;
}

static void test_invalid_key_share(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_KEY_SHARE));
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    int fired = 0;
    fixture_pump(c, s, NULL, NULL, zero_share, &fired);
    CHECK_EQ(fired, 1);
    /* RFC 8446 7.4.2: an all-zero X25519 result: illegal_parameter. */
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_ILLEGAL_PARAM);
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_RECV(MT_ALERT_ILLEGAL_PARAMETER));
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void wrong_outer(mt_conn *conn, const mt_event *ev, void *ud)
{
    /* the first protected record (epoch 1 = handshake keys) goes out as type 22 */
    if (ev->kind == MT_HOOK_RECORD_OUT && ev->epoch == 1 && !*(int *)ud) {
        mt_conn_event_set_outer_type(conn, 22);
        *(int *)ud = 1;
    }
}

static void test_outer_type(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_RECORD_OUT));
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    int done = 0;
    fixture_pump(c, s, NULL, NULL, wrong_outer, &done);
    CHECK_EQ(done, 1);
    /* RFC 8446 5.2: a protected record is application_data on the outside. */
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_UNEXPECTED);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

typedef struct {
    int adopt;
    int fired;
} rewrite_ctx;

/* Replace the ClientHello's session id by 32 bytes of 0x42, through the codec. */
static void new_session_id(mt_conn *conn, const mt_event *ev, void *ud)
{
    rewrite_ctx *rc = ud;
    if (ev->kind != MT_HOOK_MESSAGE_OUT || ev->msg_type != 1) return;
    mt_hs_ctx ctx = {.content_type = 22, .version = 0x0304, .side = 0};
    mt_hs_msg *m = NULL;
    if (mt_hs_decode(&ctx, ev->data, ev->len, &m, NULL, 0) != 0) return;
    uint8_t sid[32];
    memset(sid, 0x42, sizeof sid);
    mt_hs_set_bytes(m, mt_hs_child(m, MT_HS_ROOT, "legacy_session_id"), sid, sizeof sid);
    mt_buf out = {0};
    mt_hs_encode(m, &out);
    size_t len = out.len;
    mt_conn_event_replace(conn, out.data, &len, 1);
    mt_conn_event_set_flags(conn, 1, rc->adopt);
    mt_buf_free(&out);
    mt_hs_msg_free(m);
    rc->fired++;
}

static void test_adopt(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    /* Without adoption the client still expects its own session id back: RFC 8446 4.1.3
     * illegal_parameter on the mismatching echo. */
    rewrite_ctx rc = {0, 0};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, new_session_id, &rc, NULL, NULL);
    CHECK_EQ(rc.fired, 1);
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_ILLEGAL_PARAM);
    mt_conn_free(c);
    mt_conn_free(s);
    /* Adopted: the engine takes the rewritten ClientHello as its own and completes. */
    rewrite_ctx ra = {1, 0};
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, new_session_id, &ra, NULL, NULL);
    CHECK_EQ(ra.fired, 1);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK(mt_conn_want(s) & MT_WANT_DONE);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

typedef struct {
    mt_config *switch_to; /* SNI-style switch */
    const char *alpn;     /* ALPN choice, or NULL */
    int abort_alert;      /* >0: refuse with this alert */
    int fired;
    char sni_seen[64];
} ch_ctx;

static void on_client_hello(mt_conn *conn, const mt_event *ev, void *ud)
{
    ch_ctx *x = ud;
    if (ev->kind != MT_HOOK_CLIENT_HELLO) return;
    x->fired++;
    CHECK(ev->len > 4 && ev->data[0] == 1); /* the whole ClientHello */
    if (x->switch_to) CHECK_EQ(mt_conn_set_config(conn, x->switch_to), 0);
    if (x->alpn) CHECK_EQ(mt_conn_select_alpn(conn, x->alpn), 0);
    if (x->abort_alert) {
        uint8_t a = (uint8_t)x->abort_alert;
        size_t one = 1;
        mt_conn_event_replace(conn, &a, &one, 1);
    }
}

static void test_client_hello_hook(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    const char *protos[] = {"h2", "http/1.1"};
    mt_config_set_alpn(ccfg, protos, 2);
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_CLIENT_HELLO));
    /* SNI-style switch to a configuration holding the RSA certificate. */
    size_t cn, kn;
    uint8_t *c2 = slurp(PKI "leaf-rsa.chain.pem", &cn), *k2 = slurp(PKI "leaf-rsa.key", &kn);
    mt_config *rsa = mt_config_new(MT_ROLE_SERVER);
    mt_config_add_credential(rsa, c2, cn, k2, kn);
    free(c2);
    free(k2);
    ch_ctx x = {rsa, "http/1.1", 0, 0, ""};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, on_client_hello, &x);
    CHECK_EQ(x.fired, 1);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    mt_info i;
    mt_conn_info(c, &i);
    CHECK(i.alpn && strcmp(i.alpn, "http/1.1") == 0); /* the hook's choice, not "h2" */
    CHECK(i.sigalg >= 0x0804 && i.sigalg <= 0x0806);  /* signed by the switched-to RSA key */
    mt_conn_free(c);
    mt_conn_free(s);
    /* A protocol the client did not offer: RFC 7301 3.2 no_application_protocol. */
    ch_ctx y = {NULL, "spdy/3", 0, 0, ""};
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, on_client_hello, &y);
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_SENT(MT_ALERT_NO_APPLICATION_PROTOCOL));
    mt_conn_free(c);
    mt_conn_free(s);
    /* Refusal with an alert of the script's choosing. */
    ch_ctx z = {NULL, NULL, MT_ALERT_UNRECOGNIZED_NAME, 0, ""};
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, on_client_hello, &z);
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_SENT(MT_ALERT_UNRECOGNIZED_NAME));
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_RECV(MT_ALERT_UNRECOGNIZED_NAME));
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(rsa);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

typedef struct {
    int fired;
    uint16_t suite; /* 0: keep */
    int hrr;
    int client_hellos;
} select_ctx;

static void on_select(mt_conn *conn, const mt_event *ev, void *ud)
{
    select_ctx *x = ud;
    if (ev->kind == MT_HOOK_CLIENT_HELLO) x->client_hellos++;
    if (ev->kind != MT_HOOK_SELECT) return;
    x->fired++;
    uint8_t d[300];
    memcpy(d, ev->data, ev->len);
    CHECK(ev->len >= 10);
    CHECK_EQ(d[0] << 8 | d[1], 0x0304);
    if (x->suite) {
        d[2] = (uint8_t)(x->suite >> 8);
        d[3] = (uint8_t)x->suite;
    }
    if (x->hrr) { /* another group, with no share sent: a HelloRetryRequest for it */
        d[4] = 0x00;
        d[5] = 0x18;
        d[8] = 1;
    }
    size_t len = ev->len;
    mt_conn_event_replace(conn, d, &len, 1);
}

static void test_select_hook(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_SELECT));
    /* The decision, not just the wire: both sides end up on ChaCha20. */
    select_ctx x = {0, 0x1303, 0, 0};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, on_select, &x);
    CHECK_EQ(x.fired, 1);
    {
        const char *w1, *w2;
        int e1 = mt_conn_error(c, &w1), e2 = mt_conn_error(s, &w2);
        if (e1 || e2)
            fprintf(stderr, "  select: client 0x%x %s / server 0x%x %s\n", e1, w1, e2, w2);
    }
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    mt_info i;
    mt_conn_info(c, &i);
    CHECK_EQ(i.suite, 0x1303);
    mt_conn_info(s, &i);
    CHECK_EQ(i.suite, 0x1303);
    mt_conn_free(c);
    mt_conn_free(s);
    /* Another group although a usable share came: a HelloRetryRequest for secp384r1
     * (asking again for the group already shared would be illegal_parameter, RFC 8446
     * 4.2.8). */
    select_ctx y = {0, 0, 1, 0};
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, on_select, &y);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    mt_conn_info(c, &i);
    CHECK_EQ(i.hrr, 1);
    CHECK_EQ(i.group, 0x0018);
    mt_conn_free(c);
    mt_conn_free(s);
    /* Two hooks in one handler (client_hello, then select): each fires once, in order;
     * the handler re-runs after each answer and replays the earlier one. */
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_SELECT) | MT_HOOK_BIT(MT_HOOK_CLIENT_HELLO));
    select_ctx z = {0, 0x1302, 0, 0};
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, NULL, NULL, on_select, &z);
    CHECK_EQ(z.client_hellos, 1);
    CHECK_EQ(z.fired, 1);
    mt_conn_info(c, &i);
    CHECK_EQ(i.suite, 0x1302);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void on_verify_peer(mt_conn *conn, const mt_event *ev, void *ud)
{
    int *verdict = ud; /* -1: pass; else the byte to answer */
    if (ev->kind != MT_HOOK_VERIFY_PEER || *verdict < 0) return;
    uint8_t b = (uint8_t)*verdict;
    size_t one = 1;
    mt_conn_event_replace(conn, &b, &one, 1);
}

static void test_verify_peer_hook(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_VERIFY_PEER));
    mt_config_set_server_name(ccfg, "wrong.example"); /* the chain check fails */
    int accept = 0, pass = -1, reject = MT_ALERT_CERTIFICATE_UNKNOWN;
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, on_verify_peer, &pass, NULL, NULL);
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_SENT(MT_ALERT_BAD_CERTIFICATE));
    mt_conn_free(c);
    mt_conn_free(s);
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, on_verify_peer, &accept, NULL, NULL); /* the script accepts anyway */
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_set_server_name(ccfg, "localhost"); /* a good chain, refused by the script */
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    fixture_pump(c, s, on_verify_peer, &reject, NULL, NULL);
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_SENT(MT_ALERT_CERTIFICATE_UNKNOWN));
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_RECV(MT_ALERT_CERTIFICATE_UNKNOWN));
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* mt_conn_set_max_fragment: every record we send carries at most n bytes of content,
 * protected ones included (5 + n + 1 + 16 bytes on the wire under TLS 1.3). */
static void test_max_fragment(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_set_max_fragment(s, 0), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_conn_set_max_fragment(s, 16385), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_conn_set_max_fragment(s, 7), 0);
    int records = 0, over = 0;
    for (int round = 0; round < 32; round++) {
        mt_conn_run(c);
        mt_conn_run(s);
        const uint8_t *p;
        size_t a = mt_conn_output(c, &p);
        if (a) mt_conn_feed(s, p, a);
        mt_conn_output_consume(c, a);
        size_t b = mt_conn_output(s, &p);
        for (size_t off = 0; off + 5 <= b; off += 5 + (size_t)(p[off + 3] << 8 | p[off + 4])) {
            size_t len = (size_t)(p[off + 3] << 8 | p[off + 4]);
            records++;
            if (len > (p[off] == 23 ? 7 + 1 + 16 : 7)) over++;
        }
        if (b) mt_conn_feed(c, p, b);
        mt_conn_output_consume(s, b);
        if (!a && !b) break;
    }
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK(records > 100);
    CHECK_EQ(over, 0);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

int main(void)
{
    RUN(test_max_fragment);
    RUN(test_select_hook);
    RUN(test_verify_peer_hook);
    RUN(test_client_hello_hook);
    RUN(test_inject);
    RUN(test_force_hrr);
    RUN(test_invalid_key_share);
    RUN(test_outer_type);
    RUN(test_adopt);
    return test_summary();
}
