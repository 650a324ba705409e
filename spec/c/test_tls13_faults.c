/*
 * The bad-input matrix: every handshake message each side receives, truncated, extended,
 * given a wrong type or duplicated by the peer's message_out hook, and the alert
 * RFC 8446 names for it, seen from both sides (the one that detects it sends it, the
 * other receives it).
 */
#include "../../lib/moontls.h"
#include "test.h"
#include "tls_fixture.h"

enum { M_TRUNCATE, M_EXTEND, M_WRONG_TYPE, M_DUPLICATE, M_COUNT };
static const char *const mut_names[] = {"truncated", "extended", "wrong type", "duplicated"};

typedef struct {
    uint8_t msg_type; /* which message the sender's hook mutates */
    int mutation;
    int done;
} mutator;

/* Apply the mutation to a whole handshake message (header + body). */
static void mutate(mt_conn *conn, const mt_event *ev, mutator *mu)
{
    uint8_t buf[8192];
    size_t n = ev->len;
    if (n + 8 > sizeof buf) return;
    memcpy(buf, ev->data, n);
    size_t body = n - 4;
    size_t lens[2] = {n, n};
    size_t count = 1;
    switch (mu->mutation) {
    case M_TRUNCATE: /* the header follows the cut */
        body--;
        n--;
        lens[0] = n;
        break;
    case M_EXTEND: /* one trailing zero byte inside the body */
        buf[n] = 0;
        body++;
        n++;
        lens[0] = n;
        break;
    case M_WRONG_TYPE: /* a valid type the state cannot accept: KeyUpdate */
        buf[0] = 24;
        break;
    case M_DUPLICATE:
        memcpy(buf + n, buf, n);
        count = 2;
        break;
    }
    buf[1] = (uint8_t)(body >> 16);
    buf[2] = (uint8_t)(body >> 8);
    buf[3] = (uint8_t)body;
    if (mu->mutation == M_DUPLICATE) memcpy(buf + lens[0], buf, lens[0]);
    mt_conn_event_replace(conn, buf, lens, count);
    mu->done = 1;
}

/* Answers the sender's paused message_out events: mutates the first one of mu's type. */
static void mutate_hook(mt_conn *conn, const mt_event *ev, void *ud)
{
    mutator *mu = ud;
    if (ev->kind == MT_HOOK_MESSAGE_OUT && ev->content_type == 22 && ev->msg_type == mu->msg_type &&
        !mu->done)
        mutate(conn, ev, mu);
}

static void pump(mt_conn *c, mt_conn *s, mutator *cm, mutator *sm)
{
    fixture_pump(c, s, cm ? mutate_hook : NULL, cm, sm ? mutate_hook : NULL, sm);
}

static mt_config *server_cfg;
static mt_config *client_cfg;

static void setup(void)
{
    server_cfg = fixture_server();
    mt_config_set_hooks(server_cfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
    client_cfg = fixture_client();
    mt_config_set_hooks(client_cfg, MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT));
}

/* One case: `sender_is_server` mutates message `type`; the receiver must send `alert`. */
static int one_case(int sender_is_server, uint8_t type, int mutation, int alert)
{
    mt_conn *c = mt_conn_new(client_cfg), *s = mt_conn_new(server_cfg);
    mutator mu = {type, mutation, 0};
    pump(c, s, sender_is_server ? NULL : &mu, sender_is_server ? &mu : NULL);
    mt_conn *receiver = sender_is_server ? c : s, *sender = sender_is_server ? s : c;
    const char *where;
    int got = mt_conn_error(receiver, &where);
    int heard = mt_conn_error(sender, NULL);
    int ok = mu.done && got == MT_ERR_SENT(alert) && heard == MT_ERR_RECV(alert);
    if (!ok)
        fprintf(stderr, "  %s %s (type %u): receiver 0x%x (%s), sender 0x%x, want alert %d%s\n",
                sender_is_server ? "server's" : "client's", mut_names[mutation], type, got, where,
                heard, alert, mu.done ? "" : " [hook never fired]");
    mt_conn_free(c);
    mt_conn_free(s);
    return ok;
}

static const struct {
    int from_server;
    uint8_t type;
    const char *name;
} messages[] = {
    {0, 1, "ClientHello"},      {1, 2, "ServerHello"},        {1, 8, "EncryptedExtensions"},
    {1, 11, "Certificate"},     {1, 15, "CertificateVerify"}, {1, 20, "server Finished"},
    {0, 20, "client Finished"},
};

static void test_matrix(void)
{
    /* RFC 8446 6: a message that does not parse is decode_error; a message the state
     * cannot take is unexpected_message; 5.1: a duplicate that would straddle a key
     * change is unexpected_message too. */
    static const int alert_for[M_COUNT] = {MT_ALERT_DECODE_ERROR, MT_ALERT_DECODE_ERROR,
                                           MT_ALERT_UNEXPECTED_MESSAGE,
                                           MT_ALERT_UNEXPECTED_MESSAGE};
    int failed = 0;
    for (size_t i = 0; i < (sizeof messages / sizeof messages[0]); i++)
        for (int m = 0; m < M_COUNT; m++)
            if (!one_case(messages[i].from_server, messages[i].type, m, alert_for[m])) failed++;
    CHECK_EQ(failed, 0);
}

/* Sanity: with the hook set but no mutation, both sides finish. */
static void test_hook_passthrough(void)
{
    mt_conn *c = mt_conn_new(client_cfg), *s = mt_conn_new(server_cfg);
    pump(c, s, NULL, NULL);
    CHECK(mt_conn_want(c) & MT_WANT_DONE);
    CHECK(mt_conn_want(s) & MT_WANT_DONE);
    mt_conn_free(c);
    mt_conn_free(s);
}

int main(void)
{
    setup();
    RUN(test_hook_passthrough);
    RUN(test_matrix);
    mt_config_unref(server_cfg);
    mt_config_unref(client_cfg);
    return test_summary();
}
