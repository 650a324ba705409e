/*
 * client13.c - the TLS 1.3 client state machine (RFC 8446 2, 4).
 *
 * Notes:
 * - The table below is the whole machine: send states build what we say next, expect
 *   states name the message types they accept. Each handler is a straight line of checks,
 *   each sending the alert RFC 8446 names, with the sentence quoted.
 * - ClientHello is built from the connection's choices (random, session id, shares) so the
 *   second ClientHello after a HelloRetryRequest is the first one with only the changes
 *   RFC 8446 4.1.2 allows: the key share replaced and the cookie added.
 * - Keys: the server's handshake keys are installed for reading as soon as ServerHello is
 *   processed; ours are queued for writing after the compatibility CCS, so the CCS leaves
 *   in plaintext.
 * - PSKs (RFC 8446 4.2.11): the session the caller gave (mt_conn_set_session) and the
 *   configured external PSK are offered in a ClientHello whose binders are filled in by a
 *   send state of their own (client_hello_binders), so the psk_binder hook's pause never
 *   rebuilds the hello. With 0-RTT the early data follows the hello under the early keys
 *   (client_early_data); EncryptedExtensions says whether those keys stay on until
 *   EndOfEarlyData. A NewSessionTicket after the handshake becomes the newest session
 *   (mt_conn_session), exported in ticket.h's format.
 */
#include "crypto/kdf.h"
#include "handshake/codec_schema.h"
#include "handshake/kx.h"
#include "handshake/ticket.h"
#include "handshake/tls13.h"
#include "internal.h"
#include "x509/verify.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

enum {
    S_CLIENT_HELLO,
    S_SEND_BINDERS,
    S_SEND_EARLY,
    S_WAIT_SH,
    S_CLIENT_HELLO_2,
    S_WAIT_SH_2,
    S_WAIT_EE,
    S_WAIT_CERT_CR,
    S_WAIT_CERT,
    S_WAIT_CV,
    S_WAIT_FINISHED,
    S_SEND_CCS,
    S_SEND_CERT,
    S_SEND_FINISHED,
    S_DONE,
    S_CONNECTED,
};

/* One PSK we offer: an external one (RFC 8446 2.2) or a session's ticket (4.6.1). */
typedef struct psk_offer {
    int external;
    mt_hash_id hash;
    uint16_t suite; /* resumption: the session's suite; 0 for an external PSK */
    uint8_t psk[64];
    size_t psk_len;
    mt_buf identity;
    uint32_t obfuscated_age;
    uint32_t max_early_data;
    char alpn[256]; /* resumption: the session's ALPN protocol */
} psk_offer;

#define MAX_OFFERS 2

typedef struct client13 {
    uint8_t session_id[32];
    size_t session_id_len;
    mt_kx shares[MT_TLS13_MAX_SHARES];
    size_t n_shares;
    mt_buf cookie;
    uint16_t retry_group; /* the group a HelloRetryRequest asked for */
    mt_hs_msg *ch;        /* our last ClientHello, decoded: what server messages answer */
    const mt_suite13 *suite;
    int ccs_sent;
    int cert_requested;
    mt_buf cr_context;
    mt_x509_list chain;
    psk_offer offers[MAX_OFFERS];
    size_t n_offers;  /* PSKs in the ClientHello being built or sent */
    int psk_selected; /* the server's selected_identity, -1: none */
    mt_buf pending;   /* a ClientHello body waiting for its binders (S_SEND_BINDERS) */
    size_t binders_at; /* where its binders list starts */
    int after_binders; /* the state after S_SEND_BINDERS */
    size_t exts_len_at, psk_len_at; /* where the extensions' and pre_shared_key's lengths are */
    int random_drawn;
    int early; /* this ClientHello carries early_data (first PSK, first hello) */
} client13;

static void client13_free(void *p)
{
    client13 *hs = p;
    if (hs == NULL) return;
    for (size_t i = 0; i < hs->n_shares; i++)
        mt_kx_free(&hs->shares[i]);
    mt_hs_msg_free(hs->ch);
    mt_buf_free(&hs->cookie);
    mt_buf_free(&hs->cr_context);
    mt_x509_list_free(&hs->chain);
    for (size_t i = 0; i < MAX_OFFERS; i++)
        mt_buf_free(&hs->offers[i].identity);
    mt_buf_free(&hs->pending);
    mt_wipe(hs, sizeof *hs);
    free(hs);
}

static client13 *HS(mt_conn *c)
{
    return c->hs;
}

/* ---------------------------------------------------------------------------------
 * ClientHello
 * --------------------------------------------------------------------------------- */

static int add_share(mt_conn *c, uint16_t group)
{
    client13 *hs = HS(c);
    MT_ENSURE(hs->n_shares < MT_TLS13_MAX_SHARES, MT_ERR_LIMIT);
    size_t plen = 0;
    const uint8_t *pin = mt_tls13_pinned(c->cfg, group, &plen);
    const uint8_t *answer, *pub;
    size_t alen, pub_len;
    /* key_share hook: a script may supply the private key, and the bytes to send. */
    MT_TRY(mt_eng_ask2(c, MT_HOOK_KEY_SHARE, group, NULL, 0, &answer, &alen, &pub, &pub_len));
    if (answer) {
        pin = answer;
        plen = alen;
    }
    mt_kx *kx = &hs->shares[hs->n_shares];
    MT_TRY(mt_kx_generate(kx, group, &c->rng, pin, plen));
    hs->n_shares++;
    if (pub) {
        MT_ENSURE(pub_len <= sizeof kx->pub, MT_ERR_LIMIT);
        memcpy(kx->pub, pub, pub_len);
        kx->pub_len = pub_len;
    }
    return 0;
}

/* The same test the host name check uses (x509/hostname.c): an address literal. */
static int is_ip_literal(const char *s)
{
    uint8_t a[16];
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Open an extension: type, then a reserved u16 length. */
static int ext_open(client13 *hs, mt_buf *b, uint16_t type, mt_wr_mark *m)
{
    MT_TRY(mt_wr_u16(b, type));
    return mt_wr_open(b, 2, m);
}

static int build_client_hello(mt_conn *c, mt_buf *b)
{
    client13 *hs = HS(c);
    const mt_config *cfg = c->cfg;
    mt_wr_mark m, m2, exts;
    MT_TRY(mt_wr_u16(b, MT_TLS12)); /* RFC 8446 4.1.2: legacy_version = 0x0303 */
    MT_TRY(mt_wr_bytes(b, c->client_random, 32));
    MT_TRY(mt_wr_vec8(b, hs->session_id, hs->session_id_len));
    MT_TRY(mt_wr_open(b, 2, &m));
    for (size_t i = 0; i < cfg->n_suites; i++)
        MT_TRY(mt_wr_u16(b, cfg->suites[i]));
    MT_TRY(mt_wr_close(b, &m));
    MT_TRY(mt_wr_vec8(b, "\0", 1)); /* legacy_compression_methods = { null } */
    hs->exts_len_at = b->len;
    MT_TRY(mt_wr_open(b, 2, &exts));

    if (cfg->server_name && !is_ip_literal(cfg->server_name)) {
        /* RFC 6066 3: HostName, no IP literals. */
        MT_TRY(ext_open(hs, b, MT_EXT_SERVER_NAME, &m));
        MT_TRY(mt_wr_open(b, 2, &m2));
        MT_TRY(mt_wr_u8(b, 0));
        MT_TRY(mt_wr_vec16(b, cfg->server_name, strlen(cfg->server_name)));
        MT_TRY(mt_wr_close(b, &m2));
        MT_TRY(mt_wr_close(b, &m));
    }
    MT_TRY(ext_open(hs, b, MT_EXT_SUPPORTED_GROUPS, &m));
    MT_TRY(mt_wr_open(b, 2, &m2));
    for (size_t i = 0; i < cfg->n_groups; i++)
        MT_TRY(mt_wr_u16(b, cfg->groups[i]));
    MT_TRY(mt_wr_close(b, &m2));
    MT_TRY(mt_wr_close(b, &m));

    MT_TRY(ext_open(hs, b, MT_EXT_SIGNATURE_ALGORITHMS, &m));
    MT_TRY(mt_wr_open(b, 2, &m2));
    for (size_t i = 0; i < cfg->n_sigalgs; i++)
        MT_TRY(mt_wr_u16(b, cfg->sigalgs[i]));
    MT_TRY(mt_wr_close(b, &m2));
    MT_TRY(mt_wr_close(b, &m));

    if (cfg->alpn.len) {
        MT_TRY(ext_open(hs, b, MT_EXT_ALPN, &m));
        MT_TRY(mt_wr_vec16(b, cfg->alpn.data, cfg->alpn.len));
        MT_TRY(mt_wr_close(b, &m));
    }

    MT_TRY(ext_open(hs, b, MT_EXT_KEY_SHARE, &m));
    MT_TRY(mt_wr_open(b, 2, &m2));
    for (size_t i = 0; i < hs->n_shares; i++) {
        MT_TRY(mt_wr_u16(b, hs->shares[i].group));
        MT_TRY(mt_wr_vec16(b, hs->shares[i].pub, hs->shares[i].pub_len));
    }
    MT_TRY(mt_wr_close(b, &m2));
    MT_TRY(mt_wr_close(b, &m));

    /* RFC 8446 4.2.1: supported_versions lists only what we would negotiate. */
    MT_TRY(ext_open(hs, b, MT_EXT_SUPPORTED_VERSIONS, &m));
    MT_TRY(mt_wr_open(b, 1, &m2));
    for (uint16_t v = cfg->vmax; v >= cfg->vmin && v >= MT_TLS13; v--)
        MT_TRY(mt_wr_u16(b, v));
    MT_TRY(mt_wr_close(b, &m2));
    MT_TRY(mt_wr_close(b, &m));

    if (hs->cookie.len) {
        /* RFC 8446 4.2.2: echo the HelloRetryRequest's cookie. */
        MT_TRY(ext_open(hs, b, MT_EXT_COOKIE, &m));
        MT_TRY(mt_wr_vec16(b, hs->cookie.data, hs->cookie.len));
        MT_TRY(mt_wr_close(b, &m));
    }
    if (hs->early) {
        /* RFC 8446 4.2.10: early_data (empty) in the ClientHello announces 0-RTT. */
        MT_TRY(mt_wr_u16(b, MT_EXT_EARLY_DATA));
        MT_TRY(mt_wr_u16(b, 0));
    }
    if (hs->n_offers) {
        /* RFC 8446 4.2.9: a client offering a PSK MUST send psk_key_exchange_modes. We
         * always want (EC)DHE with it; psk_ke (no forward secrecy) only when asked. */
        MT_TRY(ext_open(hs, b, MT_EXT_PSK_KEY_EXCHANGE_MODES, &m));
        MT_TRY(mt_wr_open(b, 1, &m2));
        if (cfg->psk_ke != 2) MT_TRY(mt_wr_u8(b, 1)); /* psk_dhe_ke */
        if (cfg->psk_ke) MT_TRY(mt_wr_u8(b, 0));         /* psk_ke */
        MT_TRY(mt_wr_close(b, &m2));
        MT_TRY(mt_wr_close(b, &m));
        /* RFC 8446 4.2.11: pre_shared_key MUST be the last extension. Binders are
         * placeholders here: they cover everything before them (S_SEND_BINDERS). */
        MT_TRY(mt_wr_u16(b, MT_EXT_PRE_SHARED_KEY));
        hs->psk_len_at = b->len;
        MT_TRY(mt_wr_open(b, 2, &m));
        MT_TRY(mt_wr_open(b, 2, &m2));
        for (size_t i = 0; i < hs->n_offers; i++) {
            MT_TRY(mt_wr_vec16(b, hs->offers[i].identity.data, hs->offers[i].identity.len));
            MT_TRY(mt_wr_u32(b, hs->offers[i].obfuscated_age));
        }
        MT_TRY(mt_wr_close(b, &m2));
        hs->binders_at = b->len;
        MT_TRY(mt_wr_open(b, 2, &m2));
        for (size_t i = 0; i < hs->n_offers; i++) {
            uint8_t zeros[MT_HASH_MAX_LEN] = {0};
            MT_TRY(mt_wr_vec8(b, zeros, mt_hash_len(hs->offers[i].hash)));
        }
        MT_TRY(mt_wr_close(b, &m2));
        MT_TRY(mt_wr_close(b, &m));
    }
    return mt_wr_close(b, &exts);
}

static int offer_session(mt_conn *c, mt_hash_id need);

/* The PSKs to offer: the session the caller gave, then the configured external PSK, if
 * it fits this configuration. After a HelloRetryRequest only those whose hash is the
 * chosen suite's (RFC 8446 4.1.4: "SHOULD NOT offer any pre-shared keys associated with
 * a hash other than that of the selected cipher suite"). */
static int collect_offers(mt_conn *c)
{
    client13 *hs = HS(c);
    const mt_config *cfg = c->cfg;
    for (size_t i = 0; i < MAX_OFFERS; i++)
        mt_buf_free(&hs->offers[i].identity);
    mt_wipe(hs->offers, sizeof hs->offers);
    hs->n_offers = 0;
    mt_hash_id need = hs->suite ? hs->suite->hash : 0;
    hs->early = 0;
    MT_TRY(offer_session(c, need));
    if (cfg->ext_psk_hash && (!need || (int)need == cfg->ext_psk_hash) && hs->n_offers < MAX_OFFERS) {
        psk_offer *o = &hs->offers[hs->n_offers];
        o->external = 1;
        o->hash = (mt_hash_id)cfg->ext_psk_hash;
        memcpy(o->psk, cfg->ext_psk_key.data, cfg->ext_psk_key.len);
        o->psk_len = cfg->ext_psk_key.len;
        MT_TRY(mt_buf_set(&o->identity, cfg->ext_psk_identity.data, cfg->ext_psk_identity.len));
        hs->n_offers++;
    }
    /* RFC 8446 4.2.10: early data goes with the first PSK, in the first ClientHello only,
     * and no more of it than the ticket's max_early_data_size. */
    hs->early = c->early_data.len > 0 && !hs->suite && !c->hrr && hs->n_offers > 0 &&
                !hs->offers[0].external && c->early_data.len <= hs->offers[0].max_early_data;
    /* ... under the session's own suite, which we must offer (the server checks it). */
    int suite_offered = 0;
    for (size_t i = 0; hs->early && i < cfg->n_suites; i++)
        suite_offered |= cfg->suites[i] == hs->offers[0].suite;
    hs->early = hs->early && suite_offered;
    return 0;
}

/* The session the caller gave, if it fits this configuration (see collect_offers). */
static int offer_session(mt_conn *c, mt_hash_id need)
{
    client13 *hs = HS(c);
    const mt_config *cfg = c->cfg;
    if (c->session_offer.len == 0) return 0;
    mt_session sess;
    if (mt_session_decode(&sess, c->session_offer.data, c->session_offer.len) != 0) return 0;
    const mt_suite13 *st = mt_tls13_suite(sess.suite);
    int64_t now = mt_eng_now(c);
    int64_t age = now - sess.time;
    int usable = st != NULL && st->hash == (need ? need : st->hash) && age >= 0 &&
                 age < (int64_t)sess.lifetime && sess.psk_len == mt_hash_len(st->hash) &&
                 /* RFC 8446 4.6.1: a client MUST NOT cache a ticket longer than 7 days. */
                 age <= (int64_t)MT_TICKET_MAX_LIFETIME &&
                 /* RFC 8446 4.6.1/4.2.11: resume only with the same server name. */
                 strcmp(sess.sni, cfg->server_name ? cfg->server_name : "") == 0;
    int offered_suite = 0;
    for (size_t i = 0; st && i < cfg->n_suites; i++)
        if (mt_tls13_suite(cfg->suites[i]) && mt_tls13_suite(cfg->suites[i])->hash == st->hash)
            offered_suite = 1;
    int rc = 0;
    if (usable && offered_suite && hs->n_offers < MAX_OFFERS) {
        psk_offer *o = &hs->offers[hs->n_offers];
        o->hash = st->hash;
        o->suite = sess.suite;
        memcpy(o->psk, sess.psk, sess.psk_len);
        o->psk_len = sess.psk_len;
        o->max_early_data = sess.max_early_data;
        memcpy(o->alpn, sess.alpn, sizeof o->alpn);
        /* RFC 8446 4.2.11.1: the age in milliseconds plus ticket_age_add, mod 2^32. */
        o->obfuscated_age = (uint32_t)((uint64_t)age * 1000u) + sess.age_add;
        rc = mt_buf_set(&o->identity, sess.ticket.data, sess.ticket.len);
        if (rc == 0) hs->n_offers++;
    }
    mt_session_free(&sess);
    return rc;
}

/* Add delta to the u16 length at `at` (a script's binder changed size). */
static int patch_u16(mt_buf *b, size_t at, long delta)
{
    MT_ENSURE(at + 2 <= b->len, MT_ERR_BAD_STATE);
    long v = ((long)b->data[at] << 8 | b->data[at + 1]) + delta;
    MT_ENSURE(v >= 0 && v <= 0xffff, MT_ERR_LIMIT);
    b->data[at] = (uint8_t)(v >> 8);
    b->data[at + 1] = (uint8_t)v;
    return 0;
}

static int patch_lengths(mt_buf *b, size_t exts_at, size_t psk_at, long delta)
{
    MT_TRY(patch_u16(b, exts_at, delta));
    return patch_u16(b, psk_at, delta);
}

/* Build a ClientHello; with PSKs it waits in hs->pending for S_SEND_BINDERS. */
static int send_client_hello(mt_conn *c);

static int hello_or_binders(mt_conn *c, int next)
{
    client13 *hs = HS(c);
    MT_TRY(collect_offers(c));
    if (hs->n_offers == 0) {
        MT_TRY(send_client_hello(c));
        mt_eng_goto(c, next);
        return 0;
    }
    mt_buf_reset(&hs->pending);
    MT_TRY(build_client_hello(c, &hs->pending));
    hs->after_binders = next;
    mt_eng_goto(c, S_SEND_BINDERS);
    return 0;
}

/* RFC 8446 4.2.11.2: each binder is an HMAC over the ClientHello up to the binders list
 * (the transcript before it included, after an HRR). The psk_binder hook may replace each
 * one (its own send state, so the hook's pause does not rebuild the hello). */
static int st_send_binders(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    mt_buf trunc = {0}, binders = {0};
    uint8_t bnd[MT_HASH_MAX_LEN];
    int rc = mt_wr_u8(&trunc, MT_HS_CLIENT_HELLO);
    if (rc == 0) rc = mt_wr_u24(&trunc, (uint32_t)hs->pending.len);
    if (rc == 0) rc = mt_wr_bytes(&trunc, hs->pending.data, hs->binders_at);
    mt_wr_mark m;
    if (rc == 0) rc = mt_wr_open(&binders, 2, &m);
    for (size_t i = 0; i < hs->n_offers && rc == 0; i++) {
        const psk_offer *o = &hs->offers[i];
        rc = mt_tls13_binder(c, o->hash, o->external, o->psk, o->psk_len, trunc.data, trunc.len,
                             bnd);
        const uint8_t *answer = NULL;
        size_t alen = 0;
        if (rc == 0)
            rc = mt_eng_ask(c, MT_HOOK_PSK_BINDER, (uint16_t)i, bnd, mt_hash_len(o->hash), &answer,
                            &alen);
        if (rc == 0) rc = mt_wr_vec8(&binders, answer ? answer : bnd,
                                     answer ? alen : mt_hash_len(o->hash));
    }
    mt_wipe(bnd, sizeof bnd);
    if (rc == 0) rc = mt_wr_close(&binders, &m);
    if (rc == 0) {
        /* A script's binder of another length changes the lengths around it. */
        size_t old = hs->pending.len - hs->binders_at;
        if (binders.len != old) {
            mt_buf fixed = {0};
            rc = mt_buf_set(&fixed, hs->pending.data, hs->binders_at);
            if (rc == 0) rc = mt_buf_append(&fixed, binders.data, binders.len);
            if (rc == 0) rc = patch_lengths(&fixed, hs->exts_len_at, hs->psk_len_at,
                                             (long)binders.len - (long)old);
            if (rc == 0) rc = mt_buf_set(&hs->pending, fixed.data, fixed.len);
            mt_buf_free(&fixed);
        } else {
            memcpy(hs->pending.data + hs->binders_at, binders.data, binders.len);
        }
    }
    mt_buf_free(&trunc);
    mt_buf_free(&binders);
    MT_TRY(rc);
    MT_TRY(send_client_hello(c));
    mt_eng_goto(c, hs->early ? S_SEND_EARLY : hs->after_binders);
    return 0;
}

/* RFC 8446 4.2.10, 7.1: the ClientHello is out (and in the transcript): derive
 * client_early_traffic_secret from the first PSK and send the early data under it, with
 * the session's cipher suite. In compatibility mode the CCS goes first (D.4: "immediately
 * after sending its first ClientHello"). */
static int st_send_early(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    const psk_offer *o = &hs->offers[0];
    const mt_suite13 *st = mt_tls13_suite(o->suite);
    uint8_t h[MT_HASH_MAX_LEN];
    MT_ENSURE(st != NULL, MT_ERR_BAD_STATE);
    MT_TRY(mt_transcript_hash_with(&c->tr, mt_transcript_len(&c->tr) ? MT_HASH_NONE : st->hash,
                                   NULL, 0, h));
    MT_TRY(mt_ks13_init(&c->ks, st->hash, mt_eng_ks13_secret, c));
    MT_TRY(mt_ks13_early(&c->ks, o->psk, o->psk_len));
    MT_TRY(mt_ks13_early_traffic(&c->ks, h));
    MT_TRY(mt_tls13_write_keys(c, st, mt_ks13_secret(&c->ks, MT_KS13_CLIENT_EARLY_TRAFFIC)));
    /* The CCS after the key change: the ClientHello is flushed by it (record version
     * 0x0301 allowed there only, RFC 8446 5.1), the CCS then carries 0x0303 and stays
     * unprotected (engine.c). */
    if (c->cfg->compat && !hs->ccs_sent) {
        MT_TRY(mt_eng_send(c, MT_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\1", 1));
        hs->ccs_sent = 1;
    }
    for (size_t off = 0; off < c->early_data.len; off += MT_REC_MAX_PLAINTEXT) {
        size_t n = c->early_data.len - off;
        if (n > MT_REC_MAX_PLAINTEXT) n = MT_REC_MAX_PLAINTEXT;
        MT_TRY(mt_eng_send(c, MT_CT_APPLICATION_DATA, c->early_data.data + off, n));
    }
    c->early_state = MT_EARLY_OFFERED;
    mt_eng_goto(c, hs->after_binders);
    return 0;
}

int mt_conn_set_early_data(mt_conn *c, const uint8_t *data, size_t len)
{
    MT_ENSURE(c->role == MT_ROLE_CLIENT && c->table == NULL, MT_ERR_BAD_STATE);
    MT_ENSURE(data != NULL || len == 0, MT_ERR_BAD_PARAM);
    return mt_buf_set(&c->early_data, data, len);
}

static int send_client_hello(mt_conn *c)
{
    client13 *hs = HS(c);
    mt_buf body = {0}, msg = {0};
    int rc = hs->n_offers ? mt_buf_set(&body, hs->pending.data, hs->pending.len)
                          : build_client_hello(c, &body);
    mt_buf_free(&hs->pending);
    if (rc == 0) rc = mt_eng_send_hs(c, MT_HS_CLIENT_HELLO, body.data, body.len);
    /* Keep it decoded: the server's answers are validated against what we offered, the
     * message as queued (the shaping knobs may have reordered, replaced or added
     * extensions: what they put on the wire was offered). */
    const mt_buf *queued = rc == 0 ? &c->queue_tail->bytes : NULL;
    if (queued) rc = mt_buf_set(&msg, queued->data, queued->len);
    mt_hs_msg_free(hs->ch);
    hs->ch = NULL;
    mt_hs_ctx ctx = {.content_type = 22, .version = MT_TLS13, .side = MT_HS_SIDE_CLIENT};
    if (rc == 0) rc = mt_hs_decode(&ctx, msg.data, msg.len, &hs->ch, NULL, 0);
    mt_buf_free(&body);
    mt_buf_free(&msg);
    return rc;
}

/* message_out adoption: the ClientHello on the wire is the one the script wrote; take
 * its random, session id and offer as ours (the key shares stay ours: a share whose
 * private key we do not hold cannot complete the handshake). */
static int adopt(mt_conn *c, uint8_t ct, mt_slice msg)
{
    client13 *hs = HS(c);
    if (ct != MT_CT_HANDSHAKE || msg.len < 4 || msg.p[0] != MT_HS_CLIENT_HELLO || hs == NULL)
        return 0;
    mt_hs_ctx ctx = {.content_type = 22, .version = MT_TLS13, .side = MT_HS_SIDE_CLIENT};
    mt_hs_msg *m = NULL;
    char where[MT_HS_WHERE_MAX];
    if (mt_hs_decode(&ctx, msg.p, msg.len, &m, where, sizeof where) != 0)
        return mt_eng_fail(c, MT_ERR_BAD_PARAM, "adopting ClientHello: %s", where);
    mt_slice r = mt_t13_b(m, MT_HS_ROOT, "random");
    mt_slice sid = mt_t13_b(m, MT_HS_ROOT, "legacy_session_id");
    if (r.len == 32) memcpy(c->client_random, r.p, 32);
    hs->session_id_len = sid.len <= 32 ? sid.len : 32;
    if (hs->session_id_len) memcpy(hs->session_id, sid.p, hs->session_id_len);
    mt_hs_msg_free(hs->ch);
    hs->ch = m;
    return 0;
}

static int st_client_hello(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    const mt_config *cfg = c->cfg;
    /* The shares come first, all of them on every call: a key_share hook may pause this
     * function between two shares, and on re-entry its answers replay in order (engine
     * call_state), so the shares are rebuilt from scratch. An explicit empty list sends
     * none (the server must retry). */
    for (size_t i = 0; i < hs->n_shares; i++)
        mt_kx_free(&hs->shares[i]);
    hs->n_shares = 0;
    if (cfg->key_shares_set) {
        for (size_t i = 0; i < cfg->n_key_shares; i++)
            MT_TRY(add_share(c, cfg->key_shares[i]));
    } else if (cfg->n_groups) {
        MT_TRY(add_share(c, cfg->groups[0]));
    }
    if (!hs->random_drawn) {
        MT_TRY(mt_eng_random(c, "client_random", c->client_random, 32));
        if (cfg->compat) {
            /* RFC 8446 D.4: a non-empty legacy_session_id in compatibility mode. */
            hs->session_id_len = 32;
            MT_TRY(mt_eng_random(c, "session_id", hs->session_id, 32));
        }
        hs->random_drawn = 1;
    }
    /* RFC 8446 5.1: the first ClientHello may use legacy_record_version 0x0301. */
    c->wr.record_version = MT_TLS10;
    return hello_or_binders(c, S_WAIT_SH);
}

/* ---------------------------------------------------------------------------------
 * ServerHello / HelloRetryRequest
 * --------------------------------------------------------------------------------- */

/* 1 if `v` is in the integer list `list_name` of our ClientHello as it was sent
 * (extension `ext`, or the root when ext is 0): the offer a server's choice must come
 * from, which a script may have changed by adopting its own ClientHello. */
static int offered(const mt_conn *c, unsigned ext, const char *list_name, uint16_t v)
{
    const mt_hs_msg *ch = HS((mt_conn *)c)->ch;
    mt_hs_id parent = ext ? mt_t13_ext(ch, ext) : MT_HS_ROOT;
    if (ch == NULL || parent == MT_HS_NONE) return 0;
    uint32_t vals[256];
    size_t n = 0;
    if (mt_hs_list_ints(ch, mt_hs_child(ch, parent, list_name), vals, 256, &n)) return 0;
    for (size_t i = 0; i < n && i < 256; i++)
        if (vals[i] == v) return 1;
    return 0;
}

/* Checks common to ServerHello and HelloRetryRequest (RFC 8446 4.1.3, 4.1.4). */
static int check_hello_common(mt_conn *c, const mt_hs_msg *m, const char *title)
{
    client13 *hs = HS(c);
    uint64_t legacy = mt_t13_u(m, MT_HS_ROOT, "legacy_version");
    mt_hs_id sv = mt_t13_ext(m, MT_EXT_SUPPORTED_VERSIONS);
    /* RFC 8446 4.2.1: without supported_versions the server negotiated TLS 1.2 or older,
     * which this client does not offer: protocol_version. */
    if (sv == MT_HS_NONE)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_PROTOCOL_VERSION),
                           "%s: no supported_versions (version 0x%04x)", title, (unsigned)legacy);
    uint64_t v = mt_t13_u(m, sv, "selected_version");
    /* RFC 8446 4.2.1: "a version not offered by the client or ... prior to TLS 1.3":
     * illegal_parameter. */
    if (v != MT_TLS13)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "%s.supported_versions: 0x%04x not offered",
                           title, (unsigned)v);
    /* RFC 8446 4.2.1: with supported_versions present the client "MUST ignore the
     * ServerHello.legacy_version value" (the server MUST send 0x0303, 4.1.3, but that is
     * the sender's rule; OpenSSL ignores it too). A script that wants the strict check reads
     * the field in a message_in hook. */
    /* RFC 8446 4.1.3: a legacy_session_id_echo that does not match: illegal_parameter. */
    mt_slice echo = mt_t13_b(m, MT_HS_ROOT, "legacy_session_id_echo");
    if (echo.len != hs->session_id_len || (echo.len && memcmp(echo.p, hs->session_id, echo.len)))
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "%s.legacy_session_id_echo: mismatch", title);
    /* RFC 8446 4.1.3: "A client which receives a cipher suite that was not offered MUST
     * abort the handshake with an illegal_parameter alert." */
    uint16_t suite = (uint16_t)mt_t13_u(m, MT_HS_ROOT, "cipher_suite");
    if (!offered(c, 0, "cipher_suites", suite) || mt_tls13_suite(suite) == NULL)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "%s.cipher_suite: 0x%04x not offered", title,
                           suite);
    /* RFC 8446 4.1.3: legacy_compression_method MUST be 0. */
    if (mt_t13_u(m, MT_HS_ROOT, "legacy_compression_method") != 0)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "%s.legacy_compression_method: not null",
                           title);
    /* RFC 8446 4.1.4: after an HRR the ServerHello's suite must be the HRR's. */
    if (hs->suite && hs->suite->id != suite)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "%s.cipher_suite: differs from the HRR's",
                           title);
    return 0;
}

static int on_hello_retry(mt_conn *c, mt_hs_msg *m, mt_slice raw)
{
    client13 *hs = HS(c);
    MT_TRY(check_hello_common(c, m, "HelloRetryRequest"));
    uint16_t suite = (uint16_t)mt_t13_u(m, MT_HS_ROOT, "cipher_suite");
    hs->suite = mt_tls13_suite(suite);
    mt_hs_id ks = mt_t13_ext(m, MT_EXT_KEY_SHARE);
    mt_hs_id ck = mt_t13_ext(m, MT_EXT_COOKIE);
    uint16_t group = 0;
    if (ks != MT_HS_NONE) {
        group = (uint16_t)mt_t13_u(m, ks, "selected_group");
        /* RFC 8446 4.2.8: the selected group must be in supported_groups and must not be
         * one we already sent a share for: illegal_parameter. */
        if (!offered(c, MT_EXT_SUPPORTED_GROUPS, "named_group_list", group) ||
            !mt_kx_supported(group))
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "HelloRetryRequest.key_share: group 0x%04x not offered", group);
        for (size_t i = 0; i < hs->n_shares; i++)
            if (hs->shares[i].group == group)
                return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                                   "HelloRetryRequest.key_share: group 0x%04x already shared",
                                   group);
    }
    /* RFC 8446 4.1.4: an HRR that would not change the ClientHello: illegal_parameter. */
    if (ks == MT_HS_NONE && ck == MT_HS_NONE)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "HelloRetryRequest: changes nothing");
    if (ck != MT_HS_NONE) {
        mt_slice cookie = mt_t13_b(m, ck, "cookie");
        MT_TRY(mt_buf_set(&hs->cookie, cookie.p, cookie.len));
    }
    /* RFC 8446 4.4.1: ClientHello1 becomes message_hash, then the HRR is hashed. */
    MT_TRY(mt_transcript_set_hash(&c->tr, hs->suite->hash));
    MT_TRY(mt_transcript_hrr_rewrite(&c->tr));
    MT_TRY(mt_transcript_add(&c->tr, raw.p, raw.len));
    c->hrr = 1;
    c->suite = suite;
    if (c->early_state == MT_EARLY_OFFERED) {
        /* RFC 8446 4.2.10: a HelloRetryRequest refuses early data; the second ClientHello
         * goes unprotected again, without early_data. */
        mt_rec_keys none;
        memset(&none, 0, sizeof none);
        none.kind = MT_REC_NULL;
        MT_TRY(mt_eng_set_write_keys(c, &none));
        c->early_state = MT_EARLY_REJECTED;
    }
    if (group) {
        for (size_t i = 0; i < hs->n_shares; i++)
            mt_kx_free(&hs->shares[i]);
        hs->n_shares = 0;
        hs->retry_group = group;
    }
    mt_eng_goto(c, S_CLIENT_HELLO_2);
    return 0;
}

static int st_client_hello_2(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    if (hs->retry_group && hs->n_shares == 0) MT_TRY(add_share(c, hs->retry_group));
    c->wr.record_version = MT_TLS12; /* RFC 8446 5.1: 0x0301 only on the first hello */
    /* RFC 8446 D.4: in compatibility mode the CCS precedes the second ClientHello. */
    if (c->cfg->compat && !hs->ccs_sent) {
        MT_TRY(mt_eng_send(c, MT_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\1", 1));
        hs->ccs_sent = 1;
    }
    return hello_or_binders(c, S_WAIT_SH_2);
}

static int on_server_hello(mt_conn *c, mt_hs_msg *m, mt_slice raw)
{
    client13 *hs = HS(c);
    MT_TRY(check_hello_common(c, m, "ServerHello"));
    uint16_t suite = (uint16_t)mt_t13_u(m, MT_HS_ROOT, "cipher_suite");
    hs->suite = mt_tls13_suite(suite);
    c->suite = suite;
    c->version = MT_TLS13;
    mt_slice sr = mt_t13_b(m, MT_HS_ROOT, "random");
    if (sr.len == 32) memcpy(c->server_random, sr.p, 32);

    /* RFC 8446 4.2.11: the server's selected_identity names one of our PSKs (the range
     * is checked in validate.c against the ClientHello as sent), whose hash must be the
     * suite's: "Clients MUST verify that the server's selected_identity is within the
     * range supplied by the client, that the server selected a cipher suite indicating a
     * Hash associated with the PSK" (illegal_parameter). */
    mt_hs_id pskx = mt_t13_ext(m, MT_EXT_PRE_SHARED_KEY);
    const psk_offer *po = NULL;
    hs->psk_selected = -1;
    if (pskx != MT_HS_NONE) {
        uint64_t sel = mt_t13_u(m, pskx, "selected_identity");
        if (sel >= hs->n_offers)
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "ServerHello.pre_shared_key: selected_identity %u not offered",
                               (unsigned)sel);
        po = &hs->offers[sel];
        if (po->hash != hs->suite->hash)
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "ServerHello.pre_shared_key: suite 0x%04x does not fit the PSK's hash",
                               suite);
        hs->psk_selected = (int)sel;
    }
    /* RFC 8446 4.2.8: the ServerHello carries a key_share (missing_extension, 9.2) unless
     * a PSK is used in psk_ke mode, which we must have offered; the share is in a group
     * we sent a share for (illegal_parameter). */
    mt_hs_id ks = mt_t13_ext(m, MT_EXT_KEY_SHARE);
    if (ks == MT_HS_NONE && !(po && c->cfg->psk_ke))
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION), "ServerHello: no key_share");
    /* RFC 8446 4.2.9: "Servers MUST NOT select a key exchange mode that is not listed by
     * the client": a PSK with a key_share is psk_dhe_ke, which psk_ke = only left out. */
    if (ks != MT_HS_NONE && po && c->cfg->psk_ke == 2)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                           "ServerHello: key_share with a PSK, but psk_dhe_ke was not offered");
    uint16_t group = 0;
    uint8_t shared[MT_KX_MAX_SHARED];
    size_t shared_len = 0;
    if (ks != MT_HS_NONE) {
        group = (uint16_t)mt_t13_u(m, ks, "group");
        mt_slice share = mt_t13_b(m, ks, "key_exchange");
        const mt_kx *kx = NULL;
        for (size_t i = 0; i < hs->n_shares; i++)
            if (hs->shares[i].group == group) kx = &hs->shares[i];
        if (kx == NULL)
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "ServerHello.key_share: group 0x%04x not sent", group);
        int rc = mt_kx_shared(kx, share.p, share.len, shared, &shared_len);
        if (rc) {
            mt_wipe(shared, sizeof shared);
            /* RFC 8446 4.2.8.1-2: any invalid share (length, point, range) is
             * illegal_parameter, as the server says for the same fault. */
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "ServerHello.key_share: invalid share for group 0x%04x", group);
        }
    }
    c->group = group;

    c->resumed = po != NULL;
    uint8_t h[MT_HASH_MAX_LEN];
    int rc = mt_transcript_set_hash(&c->tr, hs->suite->hash);
    if (rc == 0) rc = mt_transcript_add(&c->tr, raw.p, raw.len);
    if (rc == 0) rc = mt_transcript_hash(&c->tr, h);
    if (rc == 0) rc = mt_ks13_init(&c->ks, hs->suite->hash, mt_eng_ks13_secret, c);
    if (rc == 0 && po) rc = mt_ks13_early(&c->ks, po->psk, po->psk_len);
    if (rc == 0) rc = mt_ks13_handshake(&c->ks, shared_len ? shared : NULL, shared_len, h);
    mt_wipe(shared, sizeof shared);
    MT_TRY(rc);
    for (size_t i = 0; i < hs->n_shares; i++)
        mt_kx_free(&hs->shares[i]);
    hs->n_shares = 0;
    MT_TRY(
        mt_tls13_read_keys(c, hs->suite, mt_ks13_secret(&c->ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC)));
    /* Our handshake keys take effect now, not with our second flight: an alert we send
     * about the server's encrypted flight must be protected, as the server reads with
     * these keys from its ServerHello on (GnuTLS cannot decrypt a plaintext one). The
     * compatibility CCS is still written unprotected (engine.c). */
    /* With early data out, EncryptedExtensions says whether our early keys stay on until
     * EndOfEarlyData. */
    if (c->early_state != MT_EARLY_OFFERED)
        MT_TRY(mt_tls13_write_keys(c, hs->suite,
                                   mt_ks13_secret(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC)));
    mt_eng_goto(c, S_WAIT_EE);
    return 0;
}

static int st_wait_sh(mt_conn *c, mt_slice msg)
{
    /* RFC 8446 4.1.4: "If a client receives a second HelloRetryRequest in the same
     * connection ... it MUST abort the handshake with an unexpected_message alert." This
     * is about the sequence, so it comes before any check of the message's fields. */
    if (c->hrr && msg.len >= 38 && memcmp(msg.p + 6, mt_hs_hrr_random, 32) == 0)
        return mt_eng_fail(c, MT_ERR_UNEXPECTED, "second HelloRetryRequest");
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_SERVER, HS(c)->ch, &m));
    int rc;
    if (mt_hs_msg_kind(m) == MT_HS_HELLO_RETRY_REQUEST)
        rc = on_hello_retry(c, m, msg);
    else
        rc = on_server_hello(c, m, msg);
    mt_hs_msg_free(m);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * Encrypted server flight
 * --------------------------------------------------------------------------------- */

/* RFC 8446 4.2.10: the server took our early data (early_data in EncryptedExtensions)
 * or not. Taken: "the client MUST verify that the server's selected_identity is 0" and
 * the ALPN protocol must be the session's (illegal_parameter); the early keys stay until
 * EndOfEarlyData. Not taken: our handshake keys now. (validate.c refuses an early_data
 * we did not offer: unsupported_extension.) */
static int early_answer(mt_conn *c, int accepted)
{
    client13 *hs = HS(c);
    if (!accepted) {
        c->early_state = MT_EARLY_REJECTED;
        return mt_tls13_write_keys(c, hs->suite,
                                   mt_ks13_secret(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC));
    }
    if (hs->psk_selected != 0)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                           "EncryptedExtensions.early_data: accepted with selected_identity %d",
                           hs->psk_selected);
    /* The server "MUST verify that ... selected cipher suite ... selected ALPN protocol"
     * are the session's before it accepts; one that did not has accepted wrongly. */
    if (hs->offers[0].suite != hs->suite->id)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                           "EncryptedExtensions.early_data: accepted under another suite");
    if (strcmp(hs->offers[0].alpn, c->alpn) != 0)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                           "EncryptedExtensions.early_data: accepted with ALPN \"%s\", the "
                           "session's is \"%s\"",
                           c->alpn, hs->offers[0].alpn);
    c->early_state = MT_EARLY_ACCEPTED;
    return 0;
}

static int st_wait_ee(mt_conn *c, mt_slice msg)
{
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_SERVER, HS(c)->ch, &m));
    int rc = 0;
    mt_hs_id alpn = rc ? MT_HS_NONE : mt_t13_ext(m, MT_EXT_ALPN);
    if (alpn != MT_HS_NONE) {
        /* RFC 7301 3.1: the server's list contains exactly one protocol, one we offered. */
        mt_hs_id list = mt_hs_child(m, alpn, "protocol_name_list");
        mt_hs_id first = list == MT_HS_NONE ? MT_HS_NONE : mt_hs_first(m, list);
        mt_slice name = {NULL, 0};
        if (first != MT_HS_NONE) mt_hs_get_bytes(m, first, &name);
        int found = 0;
        mt_reader r;
        mt_rd_init(&r, c->cfg->alpn.data, c->cfg->alpn.len);
        while (mt_rd_left(&r) && !found) {
            mt_slice off;
            if (mt_rd_vec8_slice(&r, &off)) break;
            found = off.len == name.len && (name.len == 0 || memcmp(off.p, name.p, name.len) == 0);
        }
        if (mt_hs_count(m, list) != 1 || !found)
            rc = mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                             "EncryptedExtensions.alpn: not exactly one offered protocol");
        else
            snprintf(c->alpn, sizeof c->alpn, "%.*s", (int)name.len, (const char *)name.p);
    }
    int early_ok = m && mt_t13_ext(m, MT_EXT_EARLY_DATA) != MT_HS_NONE;
    if (rc == 0) rc = mt_transcript_add(&c->tr, msg.p, msg.len);
    mt_hs_msg_free(m);
    MT_TRY(rc);
    if (c->early_state == MT_EARLY_OFFERED) MT_TRY(early_answer(c, early_ok));
    /* RFC 8446 2.2: with a PSK the server authenticates by it, not by a certificate; a
     * Certificate or CertificateRequest now is unexpected_message (4.3.2: "Servers which
     * are authenticating with a PSK MUST NOT send the CertificateRequest message"). */
    mt_eng_goto(c, c->resumed ? S_WAIT_FINISHED : S_WAIT_CERT_CR);
    return 0;
}

static int on_certificate_request(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_SERVER, HS(c)->ch, &m));
    int rc = 0;
    /* RFC 8446 4.3.2: signature_algorithms MUST be present (missing_extension). */
    if (rc == 0 && mt_t13_ext(m, MT_EXT_SIGNATURE_ALGORITHMS) == MT_HS_NONE)
        rc = mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION),
                         "CertificateRequest: no signature_algorithms");
    mt_slice ctx = mt_t13_b(m, MT_HS_ROOT, "certificate_request_context");
    /* RFC 8446 4.3.2: the context "SHALL be zero length unless used for the
     * post-handshake authentication exchanges". */
    if (rc == 0 && ctx.len != 0)
        rc = mt_eng_fail(
            c, MT_ERR_ILLEGAL_PARAM,
            "CertificateRequest.certificate_request_context: not empty in the handshake");
    if (rc == 0) rc = mt_buf_set(&hs->cr_context, ctx.p, ctx.len);
    if (rc == 0) rc = mt_transcript_add(&c->tr, msg.p, msg.len);
    mt_hs_msg_free(m);
    MT_TRY(rc);
    hs->cert_requested = 1;
    mt_eng_goto(c, S_WAIT_CERT);
    return 0;
}

/* The chain check (unless the script asked for none by name), then the verify_peer hook,
 * which sees [u16 result][u16 reason length][reason][u24-prefixed certificates...] and
 * may answer one byte: 0 to accept, or an alert to fail with. Without an answer the
 * check's result stands. */
static int verify_server(mt_conn *c)
{
    client13 *hs = HS(c);
    int vrc = 0;
    char reason[MT_X509_REASON_MAX] = "";
    if (c->cfg->verify == MT_VERIFY_PEER && c->cfg->server_name == NULL) {
        /* Verifying the chain alone would accept any trusted certificate for any host:
         * without a name the check cannot be done, and silently skipping it is not an
         * option (the script must ask for verify = "none" by name). */
        vrc = MT_ERR_SENT(MT_ALERT_CERTIFICATE_UNKNOWN);
        snprintf(reason, sizeof reason,
                 "no server name to check the certificate against (set "
                 "server_name, or verify = \"none\")");
    } else if (c->cfg->verify == MT_VERIFY_PEER) {
        mt_x509_list anchors;
        mt_x509_list_init(&anchors);
        if (c->cfg->ca_pem.len == 0 ||
            mt_x509_list_add_pem(&anchors, c->cfg->ca_pem.data, c->cfg->ca_pem.len, NULL) != 0) {
            vrc = MT_ERR_SENT(MT_ALERT_UNKNOWN_CA);
            snprintf(reason, sizeof reason,
                     "no trust anchors (set cafile, or verify = \"none\" "
                     "to skip verification by name)");
        } else {
            mt_x509_verify_params vp = {.now = mt_eng_now(c),
                                        .host = c->cfg->server_name,
                                        .purpose = MT_X509_PURPOSE_SERVER};
            mt_x509_verify_result vr;
            vrc = mt_x509_verify_chain(&hs->chain, &anchors, &vp, &vr);
            if (vrc) snprintf(reason, sizeof reason, "%s", vr.reason);
        }
        mt_x509_list_free(&anchors);
    }
    mt_buf data = {0};
    int rc = mt_wr_u16(&data, (uint16_t)vrc);
    if (rc == 0) rc = mt_wr_vec16(&data, reason, strlen(reason));
    for (size_t i = 0; i < hs->chain.count && rc == 0; i++)
        rc = mt_wr_vec24(&data, hs->chain.certs[i].der.data, hs->chain.certs[i].der.len);
    const uint8_t *answer = NULL;
    size_t alen = 0;
    if (rc == 0) rc = mt_eng_ask(c, MT_HOOK_VERIFY_PEER, 0, data.data, data.len, &answer, &alen);
    mt_buf_free(&data);
    MT_TRY(rc);
    if (answer && alen >= 1) {
        vrc = answer[0] ? MT_ERR_SENT(answer[0]) : 0;
        snprintf(reason, sizeof reason, "rejected by the verify_peer hook");
    }
    if (vrc) return mt_eng_fail(c, vrc, "server certificate: %s", reason);
    return 0;
}

static int on_certificate(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_SERVER, HS(c)->ch, &m));
    int rc = 0;
    /* RFC 8446 4.4.2: for server authentication the context SHALL be zero length. */
    if (mt_t13_b(m, MT_HS_ROOT, "certificate_request_context").len != 0)
        rc = mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                         "Certificate.certificate_request_context: "
                         "not empty");
    mt_hs_id list = mt_hs_child(m, MT_HS_ROOT, "certificate_list");
    /* RFC 8446 4.4.2.4: an empty server Certificate: decode_error. */
    if (rc == 0 && (list == MT_HS_NONE || mt_hs_count(m, list) == 0))
        rc = mt_eng_fail(c, MT_ERR_DECODE, "Certificate.certificate_list: empty");
    mt_x509_list_free(&hs->chain);
    for (mt_hs_id e = rc ? MT_HS_NONE : mt_hs_first(m, list); e != MT_HS_NONE && rc == 0;
         e = mt_hs_next(m, e)) {
        mt_hs_id exts = mt_hs_child(m, e, "extensions");
        for (mt_hs_id x = exts == MT_HS_NONE ? MT_HS_NONE : mt_hs_first(m, exts);
             x != MT_HS_NONE && rc == 0; x = mt_hs_next(m, x)) {
            uint64_t t = 0;
            mt_hs_get_int(m, x, &t);
            /* RFC 8446 4.4.2: only extensions we offered may appear (status_request and
             * signed_certificate_timestamp; we offer neither). */
            rc = mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_UNSUPPORTED_EXTENSION),
                             "Certificate entry: extension %u was not offered", (unsigned)t);
        }
        mt_slice der = mt_t13_b(m, e, "cert_data");
        if (rc == 0 && mt_x509_list_add_der(&hs->chain, der.p, der.len) != 0)
            rc = mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_BAD_CERTIFICATE),
                             "Certificate: entry %zu does not parse", hs->chain.count);
    }
    if (rc == 0) rc = verify_server(c);
    if (rc == 0) rc = mt_transcript_add(&c->tr, msg.p, msg.len);
    mt_hs_msg_free(m);
    MT_TRY(rc);
    mt_eng_goto(c, S_WAIT_CV);
    return 0;
}

static int st_wait_cert_cr(mt_conn *c, mt_slice msg)
{
    if (msg.p[0] == MT_HS_CERTIFICATE_REQUEST) return on_certificate_request(c, msg);
    return on_certificate(c, msg);
}

static int st_wait_cert(mt_conn *c, mt_slice msg)
{
    return on_certificate(c, msg);
}

static int st_wait_cv(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_SERVER, HS(c)->ch, &m));
    uint16_t scheme = (uint16_t)mt_t13_u(m, MT_HS_ROOT, "algorithm");
    mt_slice sig = mt_t13_b(m, MT_HS_ROOT, "signature");
    mt_hash_id h;
    int rc = 0;
    /* RFC 8446 4.4.3: the algorithm must be one offered in signature_algorithms and usable
     * in CertificateVerify (not rsa_pkcs1_*): illegal_parameter. */
    if (!offered(c, MT_EXT_SIGNATURE_ALGORITHMS, "supported_signature_algorithms", scheme) ||
        !mt_tls13_scheme_ok(scheme, &h))
        rc = mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "CertificateVerify.algorithm: 0x%04x not offered",
                         scheme);
    mt_buf content = {0};
    if (rc == 0) rc = mt_tls13_cv_content(c, 1, &content);
    if (rc == 0) {
        rc = mt_tls13_verify_sig(&hs->chain.certs[0].spki, scheme, content.data, content.len, sig.p,
                                 sig.len);
        /* RFC 8446 4.4.3: "If the verification fails, the receiver MUST terminate the
         * handshake with a decrypt_error alert." */
        if (rc == MT_ERR_ILLEGAL_PARAM)
            rc = mt_eng_fail(c, rc, "CertificateVerify.algorithm: 0x%04x does not fit the key",
                             scheme);
        else if (rc)
            rc = mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR),
                             "CertificateVerify.signature: does not verify");
    }
    mt_buf_free(&content);
    if (rc == 0) {
        c->sigalg = scheme;
        rc = mt_transcript_add(&c->tr, msg.p, msg.len);
    }
    mt_hs_msg_free(m);
    MT_TRY(rc);
    mt_eng_goto(c, S_WAIT_FINISHED);
    return 0;
}

static int st_wait_finished(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    MT_TRY(mt_tls13_check_finished(c, hs->suite,
                                   mt_ks13_secret(&c->ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC), msg,
                                   MT_HS_SIDE_SERVER, hs->ch));
    uint8_t h[MT_HASH_MAX_LEN];
    MT_TRY(mt_transcript_hash(&c->tr, h));
    MT_TRY(mt_ks13_master(&c->ks, h));
    MT_TRY(mt_tls13_read_keys(c, hs->suite,
                              mt_ks13_secret(&c->ks, MT_KS13_SERVER_APPLICATION_TRAFFIC)));
    mt_eng_goto(c, S_SEND_CCS);
    return 0;
}

/* ---------------------------------------------------------------------------------
 * Our second flight
 * --------------------------------------------------------------------------------- */

static int st_send_ccs(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    /* RFC 8446 5.1: only an initial ClientHello may carry record version 0x0301. */
    c->wr.record_version = MT_TLS12;
    /* RFC 8446 D.4: the dummy CCS goes right before our second flight. */
    if (c->cfg->compat && !hs->ccs_sent) {
        MT_TRY(mt_eng_send(c, MT_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\1", 1));
        hs->ccs_sent = 1;
    }
    if (c->early_state == MT_EARLY_ACCEPTED) {
        /* RFC 8446 4.5: EndOfEarlyData under the early keys, then our handshake keys. */
        MT_TRY(mt_eng_send_hs(c, MT_HS_END_OF_EARLY_DATA, (const uint8_t *)"", 0));
        MT_TRY(mt_tls13_write_keys(c, hs->suite,
                                   mt_ks13_secret(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC)));
    }
    mt_eng_goto(c, hs->cert_requested ? S_SEND_CERT : S_SEND_FINISHED);
    return 0;
}

static int st_send_cert(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    /* No client credentials yet: RFC 8446 4.4.2 "If the server requests client
     * authentication but no suitable certificate is available, the client MUST send a
     * Certificate message containing no certificates." */
    mt_buf body = {0};
    int rc = mt_wr_vec8(&body, hs->cr_context.data, hs->cr_context.len);
    if (rc == 0) rc = mt_wr_u24(&body, 0);
    if (rc == 0) rc = mt_eng_send_hs(c, MT_HS_CERTIFICATE, body.data, body.len);
    mt_buf_free(&body);
    MT_TRY(rc);
    mt_eng_goto(c, S_SEND_FINISHED);
    return 0;
}

static int st_send_finished(mt_conn *c, mt_slice msg)
{
    client13 *hs = HS(c);
    MT_TRY(mt_tls13_send_finished(c, hs->suite,
                                  mt_ks13_secret(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC)));
    MT_TRY(mt_tls13_write_keys(c, hs->suite,
                               mt_ks13_secret(&c->ks, MT_KS13_CLIENT_APPLICATION_TRAFFIC)));
    mt_eng_goto(c, S_DONE);
    return 0;
}

static int st_done(mt_conn *c, mt_slice msg)
{
    uint8_t h[MT_HASH_MAX_LEN];
    /* The transcript now holds our Finished: the resumption secret can be derived. */
    MT_TRY(mt_transcript_hash(&c->tr, h));
    MT_TRY(mt_ks13_resumption(&c->ks, h));
    mt_ks13_forget(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC);
    mt_ks13_forget(&c->ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC);
    mt_eng_goto(c, S_CONNECTED);
    mt_eng_handshake_done(c);
    return 0;
}

/* ---------------------------------------------------------------------------------
 * Post-handshake
 * --------------------------------------------------------------------------------- */

/* RFC 8446 4.6.1: a ticket becomes a session: its PSK is
 * HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length).
 * The newest one is kept, exported, for mt_conn_session. */
static int on_new_session_ticket(mt_conn *c, const mt_hs_msg *m)
{
    uint64_t lifetime = mt_t13_u(m, MT_HS_ROOT, "ticket_lifetime");
    /* "Servers MUST NOT use any value greater than 604800 seconds" (7 days); the RFC
     * names no alert, illegal_parameter is what the field's range calls for. */
    if (lifetime > MT_TICKET_MAX_LIFETIME)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "NewSessionTicket.ticket_lifetime: %u > 604800",
                           (unsigned)lifetime);
    /* "A value of zero indicates that the ticket should be discarded immediately." */
    if (lifetime == 0) return 0;
    const mt_suite13 *st = mt_tls13_suite(c->suite);
    MT_ENSURE(st != NULL, MT_ERR_BAD_STATE);
    mt_slice nonce = mt_t13_b(m, MT_HS_ROOT, "ticket_nonce");
    mt_slice ticket = mt_t13_b(m, MT_HS_ROOT, "ticket");
    mt_session s;
    memset(&s, 0, sizeof s);
    s.suite = c->suite;
    s.time = mt_eng_now(c);
    s.lifetime = (uint32_t)lifetime;
    s.age_add = (uint32_t)mt_t13_u(m, MT_HS_ROOT, "ticket_age_add");
    mt_hs_id ed = mt_t13_ext(m, MT_EXT_EARLY_DATA);
    if (ed != MT_HS_NONE) s.max_early_data = (uint32_t)mt_t13_u(m, ed, "max_early_data_size");
    s.psk_len = mt_hash_len(st->hash);
    snprintf(s.alpn, sizeof s.alpn, "%s", c->alpn);
    snprintf(s.sni, sizeof s.sni, "%s", c->cfg->server_name ? c->cfg->server_name : "");
    int rc = mt_ks13_ticket_psk(&c->ks, nonce.p, nonce.len, s.psk);
    if (rc == 0) rc = mt_buf_set(&s.ticket, ticket.p, ticket.len);
    mt_buf out = {0};
    if (rc == 0) rc = mt_session_encode(&s, &out);
    if (rc == 0) rc = mt_buf_set(&c->session_new, out.data, out.len);
    mt_buf_free(&out);
    mt_session_free(&s);
    return rc;
}

int mt_conn_set_session(mt_conn *c, const uint8_t *session, size_t len)
{
    MT_ENSURE(c->role == MT_ROLE_CLIENT && c->table == NULL, MT_ERR_BAD_STATE);
    if (session == NULL || len == 0) {
        mt_buf_free(&c->session_offer);
        return 0;
    }
    mt_session s;
    MT_TRY(mt_session_decode(&s, session, len));
    mt_session_free(&s);
    return mt_buf_set(&c->session_offer, session, len);
}

int mt_session_check(const uint8_t *session, size_t len)
{
    mt_session s;
    MT_ENSURE(session != NULL, MT_ERR_BAD_PARAM);
    MT_TRY(mt_session_decode(&s, session, len));
    mt_session_free(&s);
    return 0;
}

int mt_conn_session(const mt_conn *c, const uint8_t **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    MT_ENSURE(c->session_new.len > 0, MT_ERR_NOT_FOUND);
    *p = c->session_new.data;
    *len = c->session_new.len;
    return 0;
}

static int st_connected(mt_conn *c, mt_slice msg)
{
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_SERVER, NULL, &m));
    int rc = 0;
    if (msg.p[0] == MT_HS_NEW_SESSION_TICKET) {
        rc = on_new_session_ticket(c, m);
    } else if (msg.p[0] == MT_HS_KEY_UPDATE) {
        uint64_t req = mt_t13_u(m, MT_HS_ROOT, "request_update");
        /* RFC 8446 4.6.3: any other value than 0 or 1: illegal_parameter. */
        if (req > 1)
            rc =
                mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "KeyUpdate.request_update: %u", (unsigned)req);
        if (rc == 0) rc = mt_tls13_peer_key_update(c, mt_tls13_suite(c->suite), (int)req);
    }
    mt_hs_msg_free(m);
    return rc;
}

static const uint8_t acc_sh[] = {MT_HS_SERVER_HELLO, 255};
static const uint8_t acc_ee[] = {MT_HS_ENCRYPTED_EXTENSIONS, 255};
static const uint8_t acc_cert_cr[] = {MT_HS_CERTIFICATE, MT_HS_CERTIFICATE_REQUEST, 255};
static const uint8_t acc_cert[] = {MT_HS_CERTIFICATE, 255};
static const uint8_t acc_cv[] = {MT_HS_CERTIFICATE_VERIFY, 255};
static const uint8_t acc_fin[] = {MT_HS_FINISHED, 255};
static const uint8_t acc_post[] = {MT_HS_NEW_SESSION_TICKET, MT_HS_KEY_UPDATE, 255};

static const mt_state client13_table[] = {
    [S_CLIENT_HELLO] = {"client_hello", 1, NULL, st_client_hello},
    [S_SEND_BINDERS] = {"client_hello_binders", 1, NULL, st_send_binders},
    [S_SEND_EARLY] = {"client_early_data", 1, NULL, st_send_early},
    [S_WAIT_SH] = {"wait_server_hello", 0, acc_sh, st_wait_sh},
    [S_CLIENT_HELLO_2] = {"client_hello_2", 1, NULL, st_client_hello_2},
    [S_WAIT_SH_2] = {"wait_server_hello_2", 0, acc_sh, st_wait_sh},
    [S_WAIT_EE] = {"wait_encrypted_extensions", 0, acc_ee, st_wait_ee},
    [S_WAIT_CERT_CR] = {"wait_certificate_or_request", 0, acc_cert_cr, st_wait_cert_cr},
    [S_WAIT_CERT] = {"wait_certificate", 0, acc_cert, st_wait_cert},
    [S_WAIT_CV] = {"wait_certificate_verify", 0, acc_cv, st_wait_cv},
    [S_WAIT_FINISHED] = {"wait_finished", 0, acc_fin, st_wait_finished},
    [S_SEND_CCS] = {"client_ccs", 1, NULL, st_send_ccs},
    [S_SEND_CERT] = {"client_certificate", 1, NULL, st_send_cert},
    [S_SEND_FINISHED] = {"client_finished", 1, NULL, st_send_finished},
    [S_DONE] = {"client_done", 1, NULL, st_done},
    [S_CONNECTED] = {"connected", 0, acc_post, st_connected},
};

int mt_client13_start(mt_conn *c)
{
    client13 *hs = calloc(1, sizeof *hs);
    MT_ENSURE(hs != NULL, MT_ERR_NO_MEMORY);
    mt_x509_list_init(&hs->chain);
    hs->psk_selected = -1;
    c->hs = hs;
    c->hs_free = client13_free;
    c->adopt_fn = adopt;
    if (c->cfg->server_name) snprintf(c->sni, sizeof c->sni, "%s", c->cfg->server_name);
    mt_eng_use_table(c, client13_table, S_CLIENT_HELLO);
    return 0;
}
