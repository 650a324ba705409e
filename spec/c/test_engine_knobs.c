/*
 * Engine knobs for scripts, each with the peer's answer in memory: the shaping knobs
 * (extension order and extra extensions of ClientHello, ServerHello, HelloRetryRequest
 * and EncryptedExtensions), the HelloRetryRequest cookie (fixed bytes, per connection).
 */
#include "../../lib/handshake/codec.h"
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

#include <limits.h>

/* What one side saw: the extension types of the messages of one kind, in wire order. */
typedef struct {
    int dir;      /* 0: record what we send (message_out); 1: what we receive */
    uint8_t type; /* handshake type to look at */
    int hrr;      /* with type 2: 1 = HelloRetryRequest only, 0 = ServerHello only */
    int seen;     /* messages seen */
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

/* What one in-memory handshake of fresh connections left behind, copied out before they
 * are freed: each side's sticky error, where the server's happened ("" when nowhere),
 * whether each finished, and what each side negotiated. */
typedef struct {
    int c_err, s_err;
    char where[256];
    int c_done, s_done, done; /* MT_WANT_DONE: the client's, the server's, both */
    mt_info ci, si;           /* alpn cleared: see c_alpn / s_alpn */
    char c_alpn[32], s_alpn[32];
} outcome;

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Connections on ccfg / scfg pumped with the answering functions of fixture_pump. */
static outcome handshake(mt_config *ccfg, mt_config *scfg, fixture_answer_fn cf, void *cud,
                         fixture_answer_fn sf, void *sud)
{
    outcome o = {0};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    fixture_pump(c, s, cf, cud, sf, sud);
    const char *where = NULL;
    o.c_err = mt_conn_error(c, NULL);
    o.s_err = mt_conn_error(s, &where);
    copy_str(o.where, sizeof o.where, where);
    o.c_done = (mt_conn_want(c) & MT_WANT_DONE) != 0;
    o.s_done = (mt_conn_want(s) & MT_WANT_DONE) != 0;
    o.done = o.c_done && o.s_done;
    mt_conn_info(c, &o.ci);
    mt_conn_info(s, &o.si);
    copy_str(o.c_alpn, sizeof o.c_alpn, o.ci.alpn);
    copy_str(o.s_alpn, sizeof o.s_alpn, o.si.alpn);
    o.ci.alpn = o.si.alpn = NULL;
    mt_conn_free(c);
    mt_conn_free(s);
    return o;
}

static void test_server_hello_order(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    /* the engine writes supported_versions, key_share; the knob asks for the reverse */
    const uint16_t order[] = {51, 43};
    CHECK_EQ(mt_config_set_extension_order(scfg, 2, order, 2), 0);
    seen_ctx x = {.dir = 1, .type = 2};
    outcome o = handshake(ccfg, scfg, record_exts, &x, NULL, NULL);
    CHECK(o.c_done); /* the client takes it: order is free */
    CHECK(o.s_done);
    CHECK_EQ(x.seen, 1);
    CHECK_EQ(x.n, 2);
    CHECK_EQ(x.exts[0], 51);
    CHECK_EQ(x.exts[1], 43);
    /* kinds a role does not build are refused */
    CHECK_EQ(mt_config_set_extension_order(scfg, 1, order, 2), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_set_extension_order(ccfg, 2, order, 2), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_set_extension_order(scfg, 11, order, 2), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_config_add_extension(ccfg, 8, 28, (const uint8_t *)"\x40\x01", 2),
             MT_ERR_BAD_PARAM);
    uint16_t many[33] = {0};
    CHECK_EQ(mt_config_set_extension_order(scfg, 2, many, 33), MT_ERR_LIMIT);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_encrypted_extensions(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    /* RFC 8448's EncryptedExtensions: supported_groups, record_size_limit, then the
     * engine's own empty server_name (the client sent SNI). */
    static const uint8_t groups[] = {0x00, 0x04, 0x00, 0x1d, 0x00, 0x17};
    CHECK_EQ(mt_config_add_extension(scfg, 8, 10, groups, sizeof groups), 0);
    CHECK_EQ(mt_config_add_extension(scfg, 8, 28, (const uint8_t *)"\x40\x01", 2), 0);
    const uint16_t order[] = {10, 28, 0};
    CHECK_EQ(mt_config_set_extension_order(scfg, 8, order, 3), 0);
    seen_ctx x = {.dir = 1, .type = 8};
    outcome o = handshake(ccfg, scfg, record_exts, &x, NULL, NULL);
    CHECK_EQ(x.seen, 1);
    CHECK_EQ(x.n, 3);
    CHECK_EQ(x.exts[0], 10);
    CHECK_EQ(x.exts[1], 28);
    CHECK_EQ(x.exts[2], 0);
    static const uint8_t want[] = {8,    0, 0,    22, 0,  20, 0, 10,   0, 6, 0, 4, 0,
                                   0x1d, 0, 0x17, 0,  28, 0,  2, 0x40, 1, 0, 0, 0, 0};
    CHECK_EQ(x.raw_len, sizeof want);
    CHECK_MEM(x.raw, want, sizeof want);
    /* The client did not offer record_size_limit: RFC 8446 4.2 "If an implementation
     * receives an extension which it recognizes and which it did not request ... it MUST
     * abort the handshake with an "unsupported_extension" alert." */
    CHECK_EQ(o.c_err, MT_ERR_SENT(MT_ALERT_UNSUPPORTED_EXTENSION));
    CHECK_EQ(o.s_err, MT_ERR_RECV(MT_ALERT_UNSUPPORTED_EXTENSION));
    /* An extension clients accept in EncryptedExtensions (supported_groups, RFC 8446
     * 4.2.7) only: the handshake completes, the wire carries it. */
    mt_config_clear_extensions(scfg, 8);
    CHECK_EQ(mt_config_add_extension(scfg, 8, 10, groups, sizeof groups), 0);
    seen_ctx y = {.dir = 1, .type = 8};
    o = handshake(ccfg, scfg, record_exts, &y, NULL, NULL);
    CHECK(o.c_done);
    CHECK_EQ(y.n, 2);
    CHECK_EQ(y.exts[0], 0); /* unlisted: the engine's first, the addition after */
    CHECK_EQ(y.exts[1], 10);
    /* A client whose ClientHello carries record_size_limit (a knob) takes the server's
     * answer: the answers are checked against the ClientHello as sent. */
    CHECK_EQ(mt_config_add_extension(scfg, 8, 28, (const uint8_t *)"\x40\x01", 2), 0);
    CHECK_EQ(mt_config_add_extension(ccfg, 1, 28, (const uint8_t *)"\x40\x01", 2), 0);
    o = handshake(ccfg, scfg, NULL, NULL, NULL, NULL);
    CHECK(o.c_done);
    CHECK_EQ(o.c_err, 0);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_replace_extension(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    /* supported_groups replaced in place by a list of x25519 alone */
    static const uint8_t one[] = {0x00, 0x02, 0x00, 0x1d};
    CHECK_EQ(mt_config_add_extension(ccfg, 1, 10, one, sizeof one), 0);
    seen_ctx x = {.dir = 1, .type = 1};
    seen_ctx before = {.dir = 1, .type = 1};
    mt_config *plain = fixture_client();
    handshake(plain, scfg, NULL, NULL, record_exts, &before);
    CHECK(handshake(ccfg, scfg, NULL, NULL, record_exts, &x).c_done);
    CHECK_EQ(x.n, before.n); /* same extensions, in the same order */
    for (size_t i = 0; i < x.n && i < before.n; i++)
        CHECK_EQ(x.exts[i], before.exts[i]);
    CHECK(x.raw_len + 12 <= before.raw_len); /* the shorter list (8 groups -> 1) */
    static const uint8_t want[] = {0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d};
    int found = 0;
    for (size_t i = 0; i + sizeof want <= x.raw_len; i++)
        if (memcmp(x.raw + i, want, sizeof want) == 0) found++;
    CHECK_EQ(found, 1);
    mt_config_unref(plain);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_client_hello_order(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    /* key_share first, then supported_versions; the rest as built */
    const uint16_t order[] = {51, 43};
    CHECK_EQ(mt_config_set_extension_order(ccfg, 1, order, 2), 0);
    CHECK_EQ(mt_config_add_extension(ccfg, 1, 0xfafa, (const uint8_t *)"x", 1), 0);
    seen_ctx x = {.dir = 1, .type = 1};
    CHECK(handshake(ccfg, scfg, NULL, NULL, record_exts, &x).c_done);
    CHECK_EQ(x.seen, 1);
    CHECK(x.n >= 5);
    CHECK_EQ(x.exts[0], 51);
    CHECK_EQ(x.exts[1], 43);
    CHECK_EQ(x.exts[x.n - 1], 0xfafa); /* an unknown extension is ignored by the server */
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* A client offering x25519 then secp384r1 and a server that forces a
 * HelloRetryRequest for secp384r1.  */
static void hrr_configs(mt_config **ccfg, mt_config **scfg)
{
    static const uint16_t groups[] = {0x001d, 0x0018};
    *ccfg = fixture_client();
    *scfg = fixture_server();
    mt_config_set_groups(*ccfg, groups, 2);
    mt_config_force_hrr(*scfg, 0x0018, 0);
}

static void test_hrr_cookie(void)
{
    mt_config *ccfg, *scfg;
    hrr_configs(&ccfg, &scfg);
    static const uint8_t cookie[] = "state of a stateless server";
    CHECK_EQ(mt_config_set_hrr_cookie_value(scfg, cookie, sizeof cookie - 1), 0);
    /* the RFC 8448 order for the HRR: key_share, cookie, supported_versions */
    const uint16_t order[] = {51, 44, 43};
    CHECK_EQ(mt_config_set_extension_order(scfg, MT_MSG_HELLO_RETRY_REQUEST, order, 3), 0);
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN) | MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    seen_ctx hrr = {.dir = 1, .type = 2, .hrr = 1};
    CHECK(handshake(ccfg, scfg, record_exts, &hrr, NULL, NULL).done);
    CHECK_EQ(hrr.seen, 1);
    CHECK_EQ(hrr.n, 3);
    CHECK_EQ(hrr.exts[0], 51);
    CHECK_EQ(hrr.exts[1], 44);
    CHECK_EQ(hrr.exts[2], 43);
    CHECK_EQ(hrr.cookie_len, sizeof cookie - 1);
    CHECK_MEM(hrr.cookie, cookie, sizeof cookie - 1);
    /* Per connection: another cookie, set before the first run. */
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    CHECK_EQ(mt_conn_set_hrr_cookie(s, (const uint8_t *)"conn", 4), 0);
    CHECK_EQ(mt_conn_set_hrr_cookie(c, (const uint8_t *)"conn", 4), MT_ERR_BAD_STATE);
    seen_ctx h2 = {.dir = 1, .type = 2, .hrr = 1};
    fixture_pump(c, s, record_exts, &h2, NULL, NULL);
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
    fixture_pump(c, s, record_exts, &h3, NULL, NULL);
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

/* The first extension of `type` in m (MT_MSG_NONE: none). */
static mt_msg_id find_ext(mt_msg *m, unsigned type)
{
    for (mt_msg_id f = mt_msg_first(m, MT_MSG_ROOT); f != MT_MSG_NONE; f = mt_msg_next(m, f)) {
        mt_msg_info fi;
        mt_msg_node(m, f, &fi);
        if (!fi.ext_list) continue;
        for (mt_msg_id e = mt_msg_first(m, f); e != MT_MSG_NONE; e = mt_msg_next(m, e)) {
            mt_msg_info ei;
            mt_msg_node(m, e, &ei);
            if (ei.value == type) return e;
        }
    }
    return MT_MSG_NONE;
}

/* The client echoes a cookie other than the one it got. */
static void wrong_cookie(mt_conn *conn, const mt_event *ev, void *ud)
{
    if (ev->kind != MT_HOOK_MESSAGE_OUT || ev->msg_type != 1) return;
    mt_msg_ctx ctx = {.content_type = 22, .version = 0x0304, .side = 0};
    mt_msg *m = NULL;
    if (mt_msg_decode(&ctx, ev->data, ev->len, &m, NULL, 0) != 0) return;
    mt_msg_id e = find_ext(m, 44);
    if (e != MT_MSG_NONE) {
        mt_msg_set_bytes(m, e, "\x00\x04gone", 6);
        (*(int *)ud)++;
    }
    const uint8_t *p;
    size_t n;
    if (mt_msg_encode(m, &p, &n) == 0) mt_conn_event_replace(conn, p, &n, 1);
    mt_msg_free(m);
}

static void test_hrr_cookie_checked(void)
{
    mt_config *ccfg, *scfg;
    hrr_configs(&ccfg, &scfg);
    CHECK_EQ(mt_config_set_hrr_cookie_value(scfg, (const uint8_t *)"fixed", 5), 0);
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    int edited = 0;
    outcome o = handshake(ccfg, scfg, wrong_cookie, &edited, NULL, NULL);
    CHECK_EQ(edited, 1);
    /* RFC 8446 4.1.2: the second ClientHello echoes the cookie; ours: illegal_parameter */
    CHECK_EQ(o.s_err, MT_ERR_ILLEGAL_PARAM);
    CHECK(strstr(o.where, "cookie") != NULL);
    CHECK_EQ(o.c_err, MT_ERR_RECV(MT_ALERT_ILLEGAL_PARAMETER));
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* ---- server adoption ---- */

/* An edit of one outgoing message of the server: `edit` changes the decoded message;
 * the hook replaces the message and asks for adoption when `adopt` is set. */
typedef struct edit_ctx {
    uint8_t type; /* handshake type */
    int hrr;      /* with type 2: the HelloRetryRequest (1) or the ServerHello (0) */
    void (*edit)(mt_msg *m, struct edit_ctx *x);
    int adopt;
    int fired;
    uint16_t u16;       /* a value for edit */
    uint8_t bytes[160]; /* bytes for edit ... */
    size_t len;         /* ... and their length */
} edit_ctx;

static mt_msg_id field(mt_msg *m, mt_msg_id parent, const char *name)
{
    for (mt_msg_id f = mt_msg_first(m, parent); f != MT_MSG_NONE; f = mt_msg_next(m, f)) {
        mt_msg_info fi;
        mt_msg_node(m, f, &fi);
        if (fi.name && strcmp(fi.name, name) == 0) return f;
    }
    return MT_MSG_NONE;
}

static void edit_out(mt_conn *conn, const mt_event *ev, void *ud)
{
    edit_ctx *x = ud;
    if (ev->kind != MT_HOOK_MESSAGE_OUT || ev->content_type != 22 || ev->msg_type != x->type)
        return;
    mt_msg_ctx ctx = {.content_type = 22, .version = 0x0304, .side = 1};
    mt_msg *m = NULL;
    if (mt_msg_decode(&ctx, ev->data, ev->len, &m, NULL, 0) != 0) return;
    if (x->type == 2 && (mt_msg_kind(m) == MT_MSG_HELLO_RETRY_REQUEST) != x->hrr) {
        mt_msg_free(m);
        return;
    }
    x->edit(m, x);
    const uint8_t *p;
    size_t n;
    if (mt_msg_encode(m, &p, &n) == 0) {
        mt_conn_event_replace(conn, p, &n, 1);
        mt_conn_event_set_flags(conn, 1, x->adopt);
        x->fired++;
    }
    mt_msg_free(m);
}

static void set_suite(mt_msg *m, edit_ctx *x)
{
    mt_msg_set_int(m, field(m, MT_MSG_ROOT, "cipher_suite"), x->u16);
}

/* Extension `type` of m becomes `head` (n bytes) then `tail` (tn bytes). */
static void set_ext(mt_msg *m, unsigned type, const uint8_t *head, size_t n, const uint8_t *tail,
                    size_t tn)
{
    uint8_t body[200];
    memcpy(body, head, n);
    if (tn) memcpy(body + n, tail, tn);
    mt_msg_set_bytes(m, find_ext(m, type), body, n + tn);
}

/* key_share body of a ServerHello: group, then the key behind a u16 length */
static void set_server_share(mt_msg *m, edit_ctx *x)
{
    uint8_t head[4] = {(uint8_t)(x->u16 >> 8), (uint8_t)x->u16, (uint8_t)(x->len >> 8),
                       (uint8_t)x->len};
    set_ext(m, 51, head, 4, x->bytes, x->len);
}

/* key_share body of a HelloRetryRequest: the selected group alone */
static void set_selected_group(mt_msg *m, edit_ctx *x)
{
    uint8_t head[2] = {(uint8_t)(x->u16 >> 8), (uint8_t)x->u16};
    set_ext(m, 51, head, 2, NULL, 0);
}

static void set_cookie(mt_msg *m, edit_ctx *x)
{
    uint8_t head[2] = {(uint8_t)(x->len >> 8), (uint8_t)x->len};
    set_ext(m, 44, head, 2, x->bytes, x->len);
}

/* one protocol name: the list's u16 length, the name's u8 length, the name */
static void set_alpn(mt_msg *m, edit_ctx *x)
{
    uint8_t head[3] = {0, (uint8_t)(x->len + 1), (uint8_t)x->len};
    set_ext(m, 16, head, 3, x->bytes, x->len);
}

/* supported_versions of a ServerHello: the selected version */
static void set_version(mt_msg *m, edit_ctx *x)
{
    uint8_t head[2] = {(uint8_t)(x->u16 >> 8), (uint8_t)x->u16};
    set_ext(m, 43, head, 2, NULL, 0);
}

/* Connections on ccfg / scfg, the server's outgoing messages edited by `e`. */
static outcome server_edited(mt_config *ccfg, mt_config *scfg, edit_ctx *e)
{
    return handshake(ccfg, scfg, NULL, NULL, edit_out, e);
}

#define ANY_CLIENT_ERR INT_MIN /* check_refused: the client's error is not looked at */

/* The server refused to adopt `e`, naming the field in `field`; the client heard
 * `client_err`. */
static void check_refused(mt_config *ccfg, mt_config *scfg, edit_ctx *e, const char *field,
                          int client_err)
{
    outcome o = server_edited(ccfg, scfg, e);
    CHECK_EQ(o.s_err, MT_ERR_BAD_PARAM);
    CHECK(strstr(o.where, field) != NULL);
    if (client_err != ANY_CLIENT_ERR) CHECK_EQ(o.c_err, client_err);
}

/* `e` adopted: it fired once and both sides finished on `group`. */
static void check_adopted_group(mt_config *ccfg, mt_config *scfg, edit_ctx *e, uint16_t group)
{
    outcome o = server_edited(ccfg, scfg, e);
    CHECK_EQ(e->fired, 1);
    CHECK(o.done);
    CHECK_EQ(o.ci.group, group);
    CHECK_EQ(o.si.group, group);
}

/* `e` again for another run, not fired yet, adopted or left on the wire only. */
static edit_ctx rerun(const edit_ctx *e, int adopt)
{
    edit_ctx r = *e;
    r.adopt = adopt;
    r.fired = 0;
    return r;
}

static void test_adopt_server_hello_suite(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    /* ChaCha20 instead of the AES-128 we chose (same hash): the wire alone leaves the
     * two sides with different keys, and each fails to open the other's records. */
    edit_ctx wire = {.type = 2, .edit = set_suite, .u16 = 0x1303};
    outcome o = server_edited(ccfg, scfg, &wire);
    CHECK_EQ(wire.fired, 1);
    CHECK_EQ(o.c_err, MT_ERR_BAD_MAC);
    /* Adopted: the server's keys follow the suite on the wire; both finish on it. */
    edit_ctx adopt = {.type = 2, .edit = set_suite, .u16 = 0x1303, .adopt = 1};
    o = server_edited(ccfg, scfg, &adopt);
    CHECK_EQ(adopt.fired, 1);
    CHECK(o.done);
    CHECK_EQ(o.ci.suite, 0x1303);
    CHECK_EQ(o.si.suite, 0x1303);
    /* Another hash (AES-256/SHA-384): the transcript already runs SHA-256: refused by
     * name, nothing of the ServerHello leaves, the client gets internal_error. */
    edit_ctx other = {.type = 2, .edit = set_suite, .u16 = 0x1302, .adopt = 1};
    check_refused(ccfg, scfg, &other, "cannot adopt ServerHello.cipher_suite: 0x1302",
                  MT_ERR_RECV(MT_ALERT_INTERNAL_ERROR));
    /* TLS 1.2 in supported_versions cannot be followed */
    edit_ctx v12 = {.type = 2, .edit = set_version, .u16 = 0x0303, .adopt = 1};
    check_refused(ccfg, scfg, &v12, "ServerHello.supported_versions",
                  MT_ERR_RECV(MT_ALERT_INTERNAL_ERROR));
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* A fixed secp256r1 private key (any scalar below the order) for the server. */
static const uint8_t p256_priv[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void test_adopt_server_hello_group(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    /* the client shares x25519 and secp256r1; the server prefers x25519 */
    uint16_t shares[] = {0x001d, 0x0017};
    mt_config_set_key_shares(ccfg, shares, 2);
    CHECK_EQ(mt_config_pin_key_share(scfg, 0x0017, p256_priv, sizeof p256_priv), 0);
    /* Learn the pinned key's public key: a server that takes only secp256r1. */
    mt_config *p256 = fixture_server();
    uint16_t only[] = {0x0017};
    mt_config_set_groups(p256, only, 1);
    mt_config_pin_key_share(p256, 0x0017, p256_priv, sizeof p256_priv);
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_IN));
    seen_ctx sh = {.dir = 1, .type = 2};
    CHECK(handshake(ccfg, p256, record_exts, &sh, NULL, NULL).done);
    mt_config_set_hooks(ccfg, 0);
    /* the key_exchange in that ServerHello: after random etc., find 0x0017 0x0041 0x04 */
    const uint8_t *pub = NULL;
    for (size_t i = 0; i + 4 + 65 <= sh.raw_len; i++)
        if (sh.raw[i] == 0 && sh.raw[i + 1] == 0x17 && sh.raw[i + 2] == 0 && sh.raw[i + 3] == 65 &&
            sh.raw[i + 4] == 4)
            pub = sh.raw + i + 4;
    CHECK(pub != NULL);
    if (pub == NULL) goto out;

    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    /* Adopted: the server switches to secp256r1 with the client's share for it. */
    edit_ctx e = {.type = 2, .edit = set_server_share, .u16 = 0x0017, .adopt = 1, .len = 65};
    memcpy(e.bytes, pub, 65);
    check_adopted_group(ccfg, scfg, &e, 0x0017);
    /* The same share on the wire only: the client derives from secp256r1, the server
     * from x25519; the client cannot open the server's flight. */
    edit_ctx w = rerun(&e, 0);
    CHECK_EQ(server_edited(ccfg, scfg, &w).c_err, MT_ERR_BAD_MAC);
    /* A group the client sent no share for: refused, naming the field. */
    edit_ctx g = rerun(&e, 1);
    g.u16 = 0x0018;
    check_refused(ccfg, scfg, &g, "ServerHello.key_share.group: 0x0018",
                  MT_ERR_RECV(MT_ALERT_INTERNAL_ERROR));
    /* A key we do not hold (one byte changed): refused. */
    edit_ctx k = rerun(&e, 1);
    k.bytes[40] ^= 1;
    check_refused(ccfg, scfg, &k, "ServerHello.key_share.key_exchange", ANY_CLIENT_ERR);
out:
    mt_config_unref(p256);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_adopt_hello_retry(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    uint16_t groups[] = {0x001d, 0x0018, 0x0019};
    mt_config_set_groups(ccfg, groups, 3);
    mt_config_force_hrr(scfg, 0x0018, 0);
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    /* Ask for secp521r1 instead of secp384r1: adopted, the server waits for a P-521
     * share and both finish on it. */
    edit_ctx a = {.type = 2, .hrr = 1, .edit = set_selected_group, .u16 = 0x0019, .adopt = 1};
    check_adopted_group(ccfg, scfg, &a, 0x0019);
    /* Wire only: the server still wants secp384r1 and refuses the P-521 share. */
    edit_ctx w = rerun(&a, 0);
    outcome o = server_edited(ccfg, scfg, &w);
    CHECK_EQ(o.s_err, MT_ERR_ILLEGAL_PARAM);
    CHECK_EQ(o.c_err, MT_ERR_RECV(MT_ALERT_ILLEGAL_PARAMETER));
    /* A group this build does not implement (ffdhe8192): refused by name. */
    edit_ctx u = rerun(&a, 1);
    u.u16 = 0x0104;
    check_refused(ccfg, scfg, &u, "HelloRetryRequest.key_share.selected_group: 0x0104",
                  ANY_CLIENT_ERR);
    /* The cookie: another value adopted is the one checked in the second ClientHello. */
    mt_config_set_hrr_cookie_value(scfg, (const uint8_t *)"ours", 4);
    edit_ctx k = {.type = 2, .hrr = 1, .edit = set_cookie, .adopt = 1, .len = 6};
    memcpy(k.bytes, "theirs", 6);
    o = server_edited(ccfg, scfg, &k);
    CHECK_EQ(k.fired, 1);
    CHECK(o.done);
    edit_ctx kw = rerun(&k, 0);
    o = server_edited(ccfg, scfg, &kw);
    CHECK_EQ(o.s_err, MT_ERR_ILLEGAL_PARAM);
    CHECK(strstr(o.where, "cookie") != NULL);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_adopt_encrypted_extensions(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    const char *protos[] = {"h2", "http/1.1"};
    mt_config_set_alpn(ccfg, protos, 2);
    mt_config_set_alpn(scfg, protos, 2);
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    edit_ctx a = {.type = 8, .edit = set_alpn, .adopt = 1, .len = 8};
    memcpy(a.bytes, "http/1.1", 8);
    outcome o = server_edited(ccfg, scfg, &a);
    CHECK_EQ(a.fired, 1);
    CHECK(o.done);
    CHECK(strcmp(o.c_alpn, "http/1.1") == 0);
    CHECK(strcmp(o.s_alpn, "http/1.1") == 0); /* followed the wire */
    edit_ctx w = rerun(&a, 0);
    o = server_edited(ccfg, scfg, &w);
    CHECK(o.done);
    CHECK(strcmp(o.c_alpn, "http/1.1") == 0);
    CHECK(strcmp(o.s_alpn, "h2") == 0); /* the decision stayed ours */
    /* Another message the server cannot adopt: refused by name. */
    edit_ctx cert = {.type = 11, .edit = set_alpn, .adopt = 1, .len = 2};
    check_refused(ccfg, scfg, &cert, "cannot adopt", ANY_CLIENT_ERR);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* ---- injection ahead of the queue (mt_conn_inject_at, MT_INJECT_NEXT) ---- */

typedef struct {
    /* what to inject, and when: at the message_out of handshake type `at_msg` (0: never)
     * or at the record_out of content type `at_record` (0: never) */
    uint8_t at_msg, at_record;
    int count; /* how many to inject there (payloads "1", "2", ...) */
    int injected;
    /* the log of records written: content type, epoch, first payload byte */
    uint8_t ct[32], first[32];
    uint32_t epoch[32];
    size_t n;
} order_ctx;

static void inject_and_log(mt_conn *conn, const mt_event *ev, void *ud)
{
    order_ctx *x = ud;
    int here = (ev->kind == MT_HOOK_MESSAGE_OUT && ev->content_type == 22 && x->at_msg &&
                ev->msg_type == x->at_msg) ||
               (ev->kind == MT_HOOK_RECORD_OUT && x->at_record && ev->content_type == x->at_record);
    if (here && !x->injected) {
        x->injected = 1;
        for (int i = 0; i < x->count; i++) {
            uint8_t b = (uint8_t)('1' + i);
            CHECK_EQ(mt_conn_inject_at(conn, MT_INJECT_NEXT, 23, &b, 1, 1), 0);
        }
    }
    if (ev->kind == MT_HOOK_RECORD_OUT && x->n < 32) {
        x->ct[x->n] = ev->content_type;
        x->epoch[x->n] = ev->epoch;
        x->first[x->n] = ev->len ? ev->data[0] : 0;
        x->n++;
    }
}

/* Index of the first logged record of content type ct with first byte b (-1: none). */
static int logged(const order_ctx *x, uint8_t ct, int b)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->ct[i] == ct && (b < 0 || x->first[i] == b)) return (int)i;
    return -1;
}

static void test_inject_ahead_of_message(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT) | MT_HOOK_BIT(MT_HOOK_RECORD_OUT));
    /* At the client Finished's message_out: two application data records ahead of it, in
     * order, under the handshake keys, right after the compatibility CCS. */
    order_ctx x = {.at_msg = 20, .count = 2};
    outcome o = handshake(ccfg, scfg, inject_and_log, &x, NULL, NULL);
    CHECK_EQ(x.injected, 1);
    int ccs = logged(&x, 20, -1), one = logged(&x, 23, '1'), two = logged(&x, 23, '2'),
        fin = logged(&x, 22, 20);
    CHECK(ccs >= 0 && one == ccs + 1 && two == one + 1 && fin == two + 1);
    if (one >= 0) CHECK_EQ(x.epoch[one], 1); /* handshake keys */
    /* RFC 8446 5: application data before the peer's Finished: unexpected_message */
    CHECK_EQ(o.s_err, MT_ERR_UNEXPECTED);
    CHECK_EQ(o.c_err, MT_ERR_RECV(MT_ALERT_UNEXPECTED_MESSAGE));
    /* Server side: ahead of EncryptedExtensions, the first message under its handshake
     * keys: after the CCS and the key change, before EncryptedExtensions. */
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT) | MT_HOOK_BIT(MT_HOOK_RECORD_OUT));
    order_ctx y = {.at_msg = 8, .count = 1};
    o = handshake(ccfg, scfg, NULL, NULL, inject_and_log, &y);
    CHECK_EQ(y.injected, 1);
    ccs = logged(&y, 20, -1);
    one = logged(&y, 23, '1');
    int ee = logged(&y, 22, 8);
    CHECK(ccs >= 0 && one == ccs + 1 && ee == one + 1);
    if (one >= 0) CHECK_EQ(y.epoch[one], 1);
    CHECK_EQ(o.c_err, MT_ERR_UNEXPECTED);
    CHECK_EQ(o.s_err, MT_ERR_RECV(MT_ALERT_UNEXPECTED_MESSAGE));
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_inject_after_record(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_RECORD_OUT));
    /* At the CCS record's record_out: the CCS is being written, so the injection goes
     * right after it, before the Finished queued next. */
    order_ctx x = {.at_record = 20, .count = 1};
    outcome o = handshake(ccfg, scfg, inject_and_log, &x, NULL, NULL);
    int ccs = logged(&x, 20, -1), one = logged(&x, 23, '1'), fin = logged(&x, 22, 20);
    CHECK(ccs >= 0 && one == ccs + 1 && fin == one + 1);
    CHECK_EQ(o.s_err, MT_ERR_UNEXPECTED);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void test_inject_positions(void)
{
    mt_config *ccfg = fixture_client();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_RECORD_OUT));
    /* Before the first run: LAST appends, NEXT goes first (ahead of the ClientHello the
     * run builds, too). */
    mt_conn *c = mt_conn_new(ccfg);
    CHECK_EQ(mt_conn_inject_at(c, MT_INJECT_LAST, 23, (const uint8_t *)"A", 1, 1), 0);
    CHECK_EQ(mt_conn_inject_at(c, MT_INJECT_NEXT, 23, (const uint8_t *)"B", 1, 1), 0);
    CHECK_EQ(mt_conn_inject_at(c, MT_INJECT_NEXT, 23, (const uint8_t *)"C", 1, 1), 0);
    CHECK_EQ(mt_conn_inject_at(c, 7, 23, (const uint8_t *)"D", 1, 1), MT_ERR_BAD_PARAM);
    order_ctx x = {0};
    fixture_run(c, inject_and_log, &x);
    CHECK_EQ(x.n, 4);
    CHECK_EQ(x.first[0], 'B');
    CHECK_EQ(x.first[1], 'C');
    CHECK_EQ(x.first[2], 'A');
    CHECK_EQ(x.ct[3], 22);
    CHECK_EQ(x.first[3], 1); /* ClientHello */
    mt_conn_free(c);
    mt_config_unref(ccfg);
}

/* ---- our fatal alerts through the record hooks; a failed hook sends internal_error ---- */

static void bad_finished(mt_conn *conn, const mt_event *ev, void *ud)
{
    if (ev->kind != MT_HOOK_VERIFY_DATA) return;
    uint8_t v[64];
    size_t n = ev->len < sizeof v ? ev->len : sizeof v;
    memcpy(v, ev->data, n);
    v[0] ^= 1;
    mt_conn_event_replace(conn, v, &n, 1);
}

typedef struct {
    int mode;       /* 0: log only, 1: rewrite the alert to handshake_failure, 2: drop it */
    int alerts;     /* alert records seen at record_out */
    int wire_alert; /* wire_out events carrying an alert record */
    uint8_t seen[2];
} alert_ctx;

static void on_alert_record(mt_conn *conn, const mt_event *ev, void *ud)
{
    alert_ctx *x = ud;
    if (ev->kind == MT_HOOK_RECORD_OUT && ev->content_type == 21) {
        x->alerts++;
        if (ev->len == 2) memcpy(x->seen, ev->data, 2);
        if (x->mode == 1) {
            uint8_t a[2] = {2, MT_ALERT_HANDSHAKE_FAILURE};
            size_t n = 2;
            mt_conn_event_replace(conn, a, &n, 1);
        } else if (x->mode == 2) {
            mt_conn_event_replace(conn, NULL, NULL, 0);
        }
    }
    /* a protected alert: outer type application_data; count wire_out events after one */
    if (ev->kind == MT_HOOK_WIRE_OUT && x->alerts && ev->len >= 5) x->wire_alert++;
}

static void test_fatal_alert_through_hooks(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_VERIFY_DATA));
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_RECORD_OUT) | MT_HOOK_BIT(MT_HOOK_WIRE_OUT));
    for (int mode = 0; mode < 3; mode++) {
        alert_ctx x = {.mode = mode};
        outcome o = handshake(ccfg, scfg, bad_finished, NULL, on_alert_record, &x);
        /* RFC 8446 4.4.4: a Finished that does not verify: decrypt_error. The engine's
         * decision stays that, whatever the hook did to the record. */
        CHECK_EQ(o.s_err, MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR));
        CHECK_EQ(x.alerts, 1);
        CHECK_EQ(x.seen[0], 2);
        CHECK_EQ(x.seen[1], MT_ALERT_DECRYPT_ERROR);
        if (mode == 0) {
            CHECK_EQ(x.wire_alert, 1);
            CHECK_EQ(o.c_err, MT_ERR_RECV(MT_ALERT_DECRYPT_ERROR));
        } else if (mode == 1) {
            CHECK_EQ(o.c_err, MT_ERR_RECV(MT_ALERT_HANDSHAKE_FAILURE));
        } else {
            CHECK_EQ(x.wire_alert, 0); /* dropped: nothing reached the wire */
            CHECK_EQ(o.c_err, 0);
        }
    }
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

static void failing_hook(mt_conn *conn, const mt_event *ev, void *ud)
{
    if (ev->kind == MT_HOOK_MESSAGE_OUT && ev->msg_type == 20) {
        mt_conn_event_done(conn, MT_ERR_HOOK); /* the script raised */
        (*(int *)ud)++;
    }
}

static void test_hook_error_sends_internal_error(void)
{
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    int fired = 0;
    outcome o = handshake(ccfg, scfg, failing_hook, &fired, NULL, NULL);
    CHECK_EQ(fired, 1);
    CHECK_EQ(o.c_err, MT_ERR_HOOK);
    /* RFC 8446 6.2: internal_error, "unrelated to the peer" */
    CHECK_EQ(o.s_err, MT_ERR_RECV(MT_ALERT_INTERNAL_ERROR));
    /* the same with the record hooks watching: the alert goes through them */
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT) | MT_HOOK_BIT(MT_HOOK_RECORD_OUT));
    fired = 0;
    o = handshake(ccfg, scfg, failing_hook, &fired, NULL, NULL);
    CHECK_EQ(fired, 1);
    CHECK_EQ(o.s_err, MT_ERR_RECV(MT_ALERT_INTERNAL_ERROR));
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

/* ---- alerts read while an outgoing message is paused (manual driving holds it) ---- */

static void move(mt_conn *from, mt_conn *to)
{
    const uint8_t *p;
    size_t n = mt_conn_output(from, &p);
    if (n) mt_conn_feed(to, p, n);
    mt_conn_output_consume(from, n);
}

/* Run `conn` answering every paused event with `fn` until it pauses at the message_out
 * of handshake type `hold` (left waiting) or runs out of work; returns 1 when held. */
static int run_until_held(mt_conn *conn, uint8_t hold, fixture_answer_fn fn, void *ud)
{
    for (int i = 0; i < 64; i++) {
        mt_conn_run(conn);
        const mt_event *ev = mt_conn_event(conn);
        if (ev == NULL) return 0;
        if (ev->paused && ev->kind == MT_HOOK_MESSAGE_OUT && ev->content_type == 22 &&
            ev->msg_type == hold)
            return 1;
        if (fn && ev->paused) fn(conn, ev, ud);
        mt_conn_event_done(conn, 0);
    }
    return 0;
}

static void test_alerts_while_paused(void)
{
    /* Plaintext: the server's ServerHello names a suite the client did not offer; the
     * server is held at EncryptedExtensions when the client's illegal_parameter comes. */
    mt_config *ccfg = fixture_client(), *scfg = fixture_server();
    uint16_t one[] = {0x1301};
    mt_config_set_suites(ccfg, one, 1);
    mt_config_set_hooks(scfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT) | MT_HOOK_BIT(MT_HOOK_ALERT));
    edit_ctx e = {.type = 2, .edit = set_suite, .u16 = 0x1303};
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    mt_conn_run(c);
    move(c, s);
    CHECK(run_until_held(s, 8, edit_out, &e));
    CHECK_EQ(e.fired, 1);
    move(s, c);
    mt_conn_run(c);
    CHECK_EQ(mt_conn_error(c, NULL), MT_ERR_ILLEGAL_PARAM);
    move(c, s);
    mt_conn_run(s);
    /* read although EncryptedExtensions still waits at its hook */
    CHECK_EQ(mt_conn_error(s, NULL), MT_ERR_RECV(MT_ALERT_ILLEGAL_PARAMETER));
    CHECK(mt_conn_want(s) & MT_WANT_FAILED);
    const mt_event *ev = mt_conn_event(s);
    CHECK(ev != NULL && ev->kind == MT_HOOK_ALERT && ev->dir == 1); /* told first */
    mt_conn_event_done(s, 0);
    ev = mt_conn_event(s);
    CHECK(ev != NULL && ev->kind == MT_HOOK_MESSAGE_OUT && ev->msg_type == 8); /* still held */
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);

    /* Protected: the client holds its Finished; the server closes (close_notify under its
     * application keys) and the client reads it; a protected handshake record that is
     * not an alert would stay for later. */
    ccfg = fixture_client();
    mt_config_set_hooks(ccfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    c = mt_conn_new(ccfg);
    s = mt_conn_new(scfg);
    mt_config_set_hooks(scfg, 0);
    mt_conn_set_hooks(s, 0);
    CHECK(!run_until_held(c, 20, NULL, NULL)); /* the ClientHello goes out */
    move(c, s);
    mt_conn_run(s);
    move(s, c);
    CHECK(run_until_held(c, 20, NULL, NULL));
    CHECK_EQ(mt_conn_close(s), 0);
    move(s, c);
    mt_conn_run(c);
    CHECK(mt_conn_want(c) & MT_WANT_CLOSED);
    CHECK_EQ(mt_conn_error(c, NULL), 0);
    ev = mt_conn_event(c);
    CHECK(ev != NULL && ev->kind == MT_HOOK_MESSAGE_OUT && ev->msg_type == 20);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
}

int main(void)
{
    RUN(test_alerts_while_paused);
    RUN(test_fatal_alert_through_hooks);
    RUN(test_hook_error_sends_internal_error);
    RUN(test_inject_ahead_of_message);
    RUN(test_inject_after_record);
    RUN(test_inject_positions);
    RUN(test_adopt_server_hello_suite);
    RUN(test_adopt_server_hello_group);
    RUN(test_adopt_hello_retry);
    RUN(test_adopt_encrypted_extensions);
    RUN(test_server_hello_order);
    RUN(test_replace_extension);
    RUN(test_encrypted_extensions);
    RUN(test_client_hello_order);
    RUN(test_hrr_cookie);
    RUN(test_hrr_cookie_checked);
    return test_summary();
}
