/*
 * server13.c - the TLS 1.3 server state machine (RFC 8446 2, 4).
 *
 * Notes:
 * - The ClientHello handler only reads and decides (version, suite, group, credential,
 *   ALPN) and stores the decisions; the send states that follow build ServerHello (or
 *   HelloRetryRequest), EncryptedExtensions, Certificate, CertificateVerify and Finished
 *   one message per state, so each sees the transcript of what went before.
 * - Group choice: our preference among the groups both sides support, taking a group the
 *   client already sent a share for over a better one that would cost a round trip; a
 *   HelloRetryRequest only when no offered share is usable (OpenSSL's behaviour).
 * - Middlebox compatibility (RFC 8446 D.4): when the client sent a session id, a dummy
 *   CCS follows our first handshake message (ServerHello or HelloRetryRequest).
 * - PSKs (RFC 8446 4.2.11): the first offered identity that is our external PSK or one of
 *   our tickets (sealed session state, ticket.h) and fits the suite is checked by its
 *   binder (decrypt_error when wrong) and skips Certificate/CertificateVerify; unknown or
 *   expired ones mean a full handshake. 0-RTT is decided once the ClientHello is taken
 *   (decide_early): accepted, our read keys move to the early keys until EndOfEarlyData;
 *   refused, the engine skips what it cannot read (engine.c, early_skip). Tickets go out
 *   after the client's Finished (new_session_tickets).
 */
#include "cred.h"
#include "handshake/codec_schema.h"
#include "handshake/kx.h"
#include "handshake/ticket.h"
#include "handshake/tls13.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum {
    S_WAIT_CH,
    S_SEND_HRR,
    S_WAIT_CH2,
    S_SEND_SH,
    S_SEND_EE,
    S_SEND_CERT,
    S_SEND_CV,
    S_SEND_FINISHED,
    S_SEND_MASTER,
    S_WAIT_EOED,
    S_WAIT_FINISHED,
    S_SEND_TICKETS,
    S_CONNECTED,
};

typedef struct server13 {
    const mt_suite13 *suite;
    uint16_t group;
    mt_buf peer_share; /* the client's key_exchange for `group` (empty: HRR needed) */
    mt_kx kx;
    uint8_t shared[MT_KX_MAX_SHARED];
    size_t shared_len;
    uint8_t session_id[32];
    size_t session_id_len;
    const mt_cred *cred;
    uint16_t scheme;
    int sni_used;
    mt_buf cookie; /* the cookie of our HelloRetryRequest, which ClientHello2 must echo */
    mt_buf ch;     /* the last ClientHello as received: its shares, for adoption */
    int cookie_sent;
    int ccs_sent;
    int ch_seen;
    int second_hrr_sent;
    /* PSK (RFC 8446 4.2.11): the accepted one, if any */
    int psk_selected; /* index in the client's identities, -1: none */
    int psk_dhe;      /* psk_dhe_ke (1) or psk_ke (0) */
    uint8_t psk[64];
    size_t psk_len;
    /* what the accepted ticket allows for 0-RTT (RFC 8446 4.2.10) */
    int psk_external;
    int early_offered;
    uint16_t psk_suite;
    uint32_t psk_max_early;
    char psk_alpn[256];
    int64_t psk_age_skew; /* |client's ticket age - ours| in ms */
    uint8_t psk_id_hash[16];
} server13;

static void server13_free(void *p)
{
    server13 *hs = p;
    if (hs == NULL) return;
    mt_buf_free(&hs->peer_share);
    mt_buf_free(&hs->cookie);
    mt_buf_free(&hs->ch);
    mt_kx_free(&hs->kx);
    mt_wipe(hs, sizeof *hs);
    free(hs);
}

static server13 *HS(mt_conn *c)
{
    return c->hs;
}

static int has_u16(const uint32_t *l, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == v) return 1;
    return 0;
}

/* ---------------------------------------------------------------------------------
 * ClientHello
 * --------------------------------------------------------------------------------- */

static int check_versions(mt_conn *c, const mt_hs_msg *m)
{
    uint64_t legacy = mt_t13_u(m, MT_HS_ROOT, "legacy_version");
    mt_hs_id sv = mt_t13_ext(m, MT_EXT_SUPPORTED_VERSIONS);
    /* RFC 8446 4.2.1: without supported_versions the client offers TLS 1.2 or older at
     * most, which we do not speak: protocol_version. */
    if (sv == MT_HS_NONE)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_PROTOCOL_VERSION),
                           "ClientHello: no supported_versions (legacy_version 0x%04x)",
                           (unsigned)legacy);
    uint32_t versions[128];
    size_t n = 0;
    mt_hs_list_ints(m, mt_hs_child(m, sv, "versions"), versions, MT_ARRAY_LEN(versions), &n);
    if (n > MT_ARRAY_LEN(versions)) n = MT_ARRAY_LEN(versions);
    if (!has_u16(versions, n, MT_TLS13))
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_PROTOCOL_VERSION),
                           "ClientHello.supported_versions: no TLS 1.3");
    /* RFC 8446 D.5: a TLS 1.3 ClientHello keeps legacy_version at 0x0303 or above... a
     * lower value with supported_versions present is still ignored (4.2.1). */
    return 0;
}

static int check_extension_rules(mt_conn *c, const mt_hs_msg *m)
{
    /* RFC 8446 4.2.11: pre_shared_key MUST be the last extension (illegal_parameter). */
    mt_hs_id list = mt_hs_extensions(m);
    for (mt_hs_id e = list == MT_HS_NONE ? MT_HS_NONE : mt_hs_first(m, list); e != MT_HS_NONE;
         e = mt_hs_next(m, e)) {
        uint64_t t = 0;
        mt_hs_get_int(m, e, &t);
        if (t == MT_EXT_PRE_SHARED_KEY && mt_hs_next(m, e) != MT_HS_NONE)
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "ClientHello: pre_shared_key is not the last extension");
    }
    return 0;
}

/* Decide the suite. RFC 8446 4.1.1: our preference among the client's offers. */
static int choose_suite(mt_conn *c, const mt_hs_msg *m)
{
    server13 *hs = HS(c);
    uint32_t offered[256];
    size_t n = 0;
    mt_hs_list_ints(m, mt_hs_child(m, MT_HS_ROOT, "cipher_suites"), offered, MT_ARRAY_LEN(offered),
                    &n);
    if (n > MT_ARRAY_LEN(offered)) n = MT_ARRAY_LEN(offered);
    if (hs->suite) {
        /* Second ClientHello: RFC 8446 4.1.4, the suite of the HelloRetryRequest stands
         * (it may have come from a select hook, not from our preference); the client must
         * still offer it. */
        if (has_u16(offered, n, hs->suite->id)) return 0;
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                           "second ClientHello: cipher suite 0x%04x no longer offered",
                           hs->suite->id);
    }
    for (size_t i = 0; i < c->cfg->n_suites; i++)
        if (has_u16(offered, n, c->cfg->suites[i])) {
            hs->suite = mt_tls13_suite(c->cfg->suites[i]);
            return 0;
        }
    return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE),
                       "ClientHello.cipher_suites: nothing in common");
}

static int choose_group(mt_conn *c, const mt_hs_msg *m, int second)
{
    server13 *hs = HS(c);
    mt_hs_id sg = mt_t13_ext(m, MT_EXT_SUPPORTED_GROUPS);
    mt_hs_id ks = mt_t13_ext(m, MT_EXT_KEY_SHARE);
    /* RFC 8446 9.2: supported_groups and key_share come together (missing_extension). */
    if (sg == MT_HS_NONE || ks == MT_HS_NONE)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION), "ClientHello: %s without %s",
                           sg == MT_HS_NONE ? "key_share" : "supported_groups",
                           sg == MT_HS_NONE ? "supported_groups" : "key_share");
    uint32_t groups[256];
    size_t ng = 0;
    mt_hs_list_ints(m, mt_hs_child(m, sg, "named_group_list"), groups, MT_ARRAY_LEN(groups), &ng);
    if (ng > MT_ARRAY_LEN(groups)) ng = MT_ARRAY_LEN(groups);

    mt_hs_id shares = mt_hs_child(m, ks, "client_shares");
    size_t nshares = 0;
    for (mt_hs_id e = mt_hs_first(m, shares); e != MT_HS_NONE; e = mt_hs_next(m, e)) {
        uint16_t g = (uint16_t)mt_t13_u(m, e, "group");
        /* RFC 8446 4.2.8: no share for a group not in supported_groups, and no two shares
         * for one group: servers MAY check, with illegal_parameter. */
        if (!has_u16(groups, ng, g))
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "ClientHello.key_share: group 0x%04x not in supported_groups", g);
        for (mt_hs_id f = mt_hs_next(m, e); f != MT_HS_NONE; f = mt_hs_next(m, f))
            if (mt_t13_u(m, f, "group") == g)
                return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                                   "ClientHello.key_share: two shares for group 0x%04x", g);
        nshares++;
    }
    if (second) {
        /* RFC 8446 4.1.2: the second ClientHello carries exactly one share, for the group
         * the HelloRetryRequest named. */
        mt_hs_id e = mt_hs_first(m, shares);
        if (nshares != 1 || mt_t13_u(m, e, "group") != hs->group)
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                               "second ClientHello.key_share: not one share for 0x%04x", hs->group);
        mt_slice ke = mt_t13_b(m, e, "key_exchange");
        return mt_buf_set(&hs->peer_share, ke.p, ke.len);
    }
    /* First choice: our most preferred group with a share from the client. */
    for (size_t i = 0; i < c->cfg->n_groups; i++) {
        uint16_t g = c->cfg->groups[i];
        if (!has_u16(groups, ng, g) || !mt_kx_supported(g)) continue;
        for (mt_hs_id e = mt_hs_first(m, shares); e != MT_HS_NONE; e = mt_hs_next(m, e))
            if (mt_t13_u(m, e, "group") == g) {
                mt_slice ke = mt_t13_b(m, e, "key_exchange");
                hs->group = g;
                return mt_buf_set(&hs->peer_share, ke.p, ke.len);
            }
    }
    /* Otherwise our most preferred common group, through a HelloRetryRequest. */
    for (size_t i = 0; i < c->cfg->n_groups; i++) {
        uint16_t g = c->cfg->groups[i];
        if (has_u16(groups, ng, g) && mt_kx_supported(g)) {
            hs->group = g;
            mt_buf_reset(&hs->peer_share);
            return 0;
        }
    }
    return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE),
                       "ClientHello.supported_groups: nothing in common");
}

static int choose_credential(mt_conn *c, const mt_hs_msg *m)
{
    server13 *hs = HS(c);
    mt_hs_id sa = mt_t13_ext(m, MT_EXT_SIGNATURE_ALGORITHMS);
    /* RFC 8446 4.2.3 / 9.2: a client that wants certificate authentication MUST send
     * signature_algorithms: missing_extension. */
    if (sa == MT_HS_NONE)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION),
                           "ClientHello: no signature_algorithms");
    uint32_t schemes[256];
    size_t n = 0;
    mt_hs_list_ints(m, mt_hs_child(m, sa, "supported_signature_algorithms"), schemes,
                    MT_ARRAY_LEN(schemes), &n);
    if (n > MT_ARRAY_LEN(schemes)) n = MT_ARRAY_LEN(schemes);
    if (c->cfg->n_creds == 0)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE),
                           "server has no certificate configured");
    if (mt_cred_pick13(c->cfg, schemes, n, &hs->cred, &hs->scheme) != 0)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_HANDSHAKE_FAILURE),
                           "ClientHello.signature_algorithms: none fits our certificates");
    return 0;
}

static int choose_alpn(mt_conn *c, const mt_hs_msg *m)
{
    mt_hs_id ext = mt_t13_ext(m, MT_EXT_ALPN);
    c->alpn[0] = 0;
    /* A script's choice (mt_conn_select_alpn) replaces our preference list: one name,
     * or none at all. */
    const mt_buf *prefs = c->alpn_choice_set ? &c->alpn_choice : &c->cfg->alpn;
    if (ext == MT_HS_NONE || prefs->len == 0) return 0;
    mt_hs_id list = mt_hs_child(m, ext, "protocol_name_list");
    mt_reader r;
    mt_rd_init(&r, prefs->data, prefs->len);
    while (mt_rd_left(&r)) {
        mt_slice ours;
        if (mt_rd_vec8_slice(&r, &ours)) break;
        for (mt_hs_id e = mt_hs_first(m, list); e != MT_HS_NONE; e = mt_hs_next(m, e)) {
            mt_slice theirs = {NULL, 0};
            mt_hs_get_bytes(m, e, &theirs);
            if (theirs.len == ours.len && memcmp(theirs.p, ours.p, ours.len) == 0) {
                snprintf(c->alpn, sizeof c->alpn, "%.*s", (int)ours.len, (const char *)ours.p);
                return 0;
            }
        }
    }
    /* RFC 7301 3.2: no protocol in common: no_application_protocol. */
    return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_NO_APPLICATION_PROTOCOL),
                       "ClientHello.alpn: no protocol in common");
}

static void note_sni(mt_conn *c, const mt_hs_msg *m)
{
    mt_hs_id ext = mt_t13_ext(m, MT_EXT_SERVER_NAME);
    if (ext == MT_HS_NONE) return;
    mt_hs_id list = mt_hs_child(m, ext, "server_name_list");
    for (mt_hs_id e = mt_hs_first(m, list); e != MT_HS_NONE; e = mt_hs_next(m, e))
        if (mt_t13_u(m, e, "name_type") == 0) {
            mt_slice name = mt_t13_b(m, e, "host_name");
            snprintf(c->sni, sizeof c->sni, "%.*s", (int)name.len, (const char *)name.p);
            HS(c)->sni_used = 1;
            return;
        }
}

static int has_mode(const mt_hs_msg *m, mt_hs_id modes, uint32_t mode)
{
    uint32_t v[64];
    size_t n = 0;
    if (modes == MT_HS_NONE) return 0;
    mt_hs_list_ints(m, mt_hs_child(m, modes, "ke_modes"), v, MT_ARRAY_LEN(v), &n);
    return has_u16(v, n < MT_ARRAY_LEN(v) ? n : MT_ARRAY_LEN(v), (uint16_t)mode);
}

/* RFC 8446 4.2.11.1 / 8.3: how far the client's view of the ticket age (the obfuscated
 * age less age_add) is from ours (seconds since issue), in ms. */
static int64_t age_skew(uint32_t obfuscated, uint32_t age_add, int64_t ours_s)
{
    uint32_t client_age = obfuscated - age_add;
    int64_t ours = ours_s * 1000;
    return ours > (int64_t)client_age ? ours - client_age : client_age - ours;
}

/* The chosen identity's anti-replay key (early_seen): the first 16 bytes of its SHA-256. */
static void note_id_hash(server13 *hs, mt_slice id)
{
    uint8_t h[MT_HASH_MAX_LEN];
    if (mt_hash(MT_HASH_SHA256, id.p, id.len, h) == 0) memcpy(hs->psk_id_hash, h, 16);
}

/* RFC 8446 4.2.11: the first offered identity we can use (our external PSK by name, or a
 * ticket that opens under our key, has not expired and fits the suite's hash), in a mode
 * the client listed; its binder must validate or the handshake ends (decrypt_error).
 * An identity we do not know is skipped, and without any the handshake is a full one. */
/* The psk_lookup ask (SCRIPTING.md 6.2 `psk` as a function): a script maps any offered
 * identity to a PSK, before our own tickets and external PSK are tried. One ask for all
 * identities, so a state rerun replays one answer whatever the number offered (asked
 * again only when psk_suite tries a suite of the other hash). The answer (a key) lives
 * in the ask log, which mt_buf_free wipes.
 * Event: [u16 count] then per identity [vec16 identity][u32 obfuscated_ticket_age].
 * Answer: [u16 index][u8 external][u8 hash: MT_PSK_SHA256/384][u16 suite, 0: any]
 * [u32 age_add][u8 age: 0 unknown, 1 issued (seconds, our clock), 2 trusted][u64 issued]
 * [u32 max_early_data][vec8 alpn][vec8 key]. No answer: no identity is the script's.
 * The binder is then checked by choose_psk as for any PSK: a wrong key is decrypt_error. */
static int lookup_psk(mt_conn *c, const mt_hs_msg *m, mt_hs_id ids, int *index, int *external)
{
    server13 *hs = HS(c);
    if (!(c->hooks & MT_HOOK_BIT(MT_HOOK_PSK_LOOKUP))) return 0;
    mt_buf d = {0};
    uint16_t n = 0;
    int rc = mt_wr_u16(&d, 0);
    for (mt_hs_id e = mt_hs_first(m, ids); e != MT_HS_NONE && rc == 0; e = mt_hs_next(m, e), n++) {
        mt_slice id = mt_t13_b(m, e, "identity");
        rc = mt_wr_vec16(&d, id.p, id.len);
        if (rc == 0) rc = mt_wr_u32(&d, (uint32_t)mt_t13_u(m, e, "obfuscated_ticket_age"));
    }
    if (rc == 0) {
        d.data[0] = (uint8_t)(n >> 8);
        d.data[1] = (uint8_t)n;
    }
    const uint8_t *a = NULL;
    size_t alen = 0;
    if (rc == 0) rc = mt_eng_ask(c, MT_HOOK_PSK_LOOKUP, 0, d.data, d.len, &a, &alen);
    mt_buf_free(&d);
    if (rc || a == NULL) return rc;
    mt_reader r;
    mt_rd_init(&r, a, alen);
    uint16_t idx, suite;
    uint8_t ext, hash, age;
    uint32_t age_add, max_early;
    uint64_t issued;
    mt_slice alpn, key;
    if (mt_rd_u16(&r, &idx) || mt_rd_u8(&r, &ext) || mt_rd_u8(&r, &hash) || mt_rd_u16(&r, &suite) ||
        mt_rd_u32(&r, &age_add) || mt_rd_u8(&r, &age) || mt_rd_u64(&r, &issued) ||
        mt_rd_u32(&r, &max_early) || mt_rd_vec8_slice(&r, &alpn) || mt_rd_vec8_slice(&r, &key) ||
        mt_rd_done(&r) || idx >= n || key.len == 0 || key.len > sizeof hs->psk || age > 2 ||
        hash < MT_PSK_SHA256 || hash > MT_PSK_SHA384)
        return mt_eng_fail(c, MT_ERR_HOOK, "psk lookup: malformed answer");
    /* RFC 8446 4.2.11: "the server MUST ensure that it selects a compatible PSK (if any)
     * and cipher suite": another hash than the suite's leaves the identity unselected
     * (psk_suite may try a suite with that hash). */
    mt_hash_id want = hash == MT_PSK_SHA384 ? MT_HASH_SHA384 : MT_HASH_SHA256;
    if (want != hs->suite->hash ||
        (suite != 0 && suite != hs->suite->id &&
         (mt_tls13_suite(suite) == NULL || mt_tls13_suite(suite)->hash != hs->suite->hash)))
        return 0;
    mt_hs_id e = mt_hs_first(m, ids);
    for (uint16_t i = 0; i < idx; i++)
        e = mt_hs_next(m, e);
    memcpy(hs->psk, key.p, key.len);
    hs->psk_len = key.len;
    *index = idx;
    *external = ext != 0;
    hs->psk_external = ext != 0;
    hs->psk_suite = suite ? suite : hs->suite->id;
    hs->psk_max_early = max_early;
    snprintf(hs->psk_alpn, sizeof hs->psk_alpn, "%.*s", (int)alpn.len, (const char *)alpn.p);
    /* RFC 8446 4.2.11.1 / 8.3: the client's ticket age against ours; unknown: no 0-RTT. */
    hs->psk_age_skew = INT64_MAX;
    if (age == 2) hs->psk_age_skew = 0;
    if (age == 1)
        hs->psk_age_skew = age_skew((uint32_t)mt_t13_u(m, e, "obfuscated_ticket_age"), age_add,
                                    mt_eng_now(c) - (int64_t)issued);
    note_id_hash(hs, mt_t13_b(m, e, "identity"));
    return 0;
}

static int choose_psk(mt_conn *c, const mt_hs_msg *m, mt_slice raw)
{
    server13 *hs = HS(c);
    const mt_config *cfg = c->cfg;
    hs->psk_selected = -1;
    mt_wipe(hs->psk, sizeof hs->psk);
    hs->psk_len = 0;
    mt_hs_id pskx = mt_t13_ext(m, MT_EXT_PRE_SHARED_KEY);
    if (pskx == MT_HS_NONE) return 0;
    mt_hs_id modes = mt_t13_ext(m, MT_EXT_PSK_KEY_EXCHANGE_MODES);
    /* RFC 8446 4.2.9: "If clients offer "pre_shared_key" without a
     * "psk_key_exchange_modes" extension, servers MUST abort the handshake." */
    if (modes == MT_HS_NONE)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION),
                           "ClientHello: pre_shared_key without psk_key_exchange_modes");
    /* "Servers MUST NOT select a key exchange mode that is not listed by the client."
     * psk_dhe_ke first; psk_ke (no forward secrecy) only when the script allows it. */
    if (has_mode(m, modes, 1))
        hs->psk_dhe = 1;
    else if (has_mode(m, modes, 0) && cfg->psk_ke)
        hs->psk_dhe = 0;
    else
        return 0;
    mt_hs_id ids = mt_hs_child(m, pskx, "identities");
    mt_hs_id binders = mt_hs_child(m, pskx, "binders");
    int64_t now = mt_eng_now(c);
    int index = 0, external = 0;
    MT_TRY(lookup_psk(c, m, ids, &index, &external));
    for (mt_hs_id e = mt_hs_first(m, ids); e != MT_HS_NONE && hs->psk_len == 0;
         e = mt_hs_next(m, e), index++) {
        mt_slice id = mt_t13_b(m, e, "identity");
        if (cfg->ext_psk_hash && (mt_hash_id)cfg->ext_psk_hash == hs->suite->hash &&
            id.len == cfg->ext_psk_identity.len &&
            memcmp(id.p, cfg->ext_psk_identity.data, id.len) == 0) {
            memcpy(hs->psk, cfg->ext_psk_key.data, cfg->ext_psk_key.len);
            hs->psk_len = cfg->ext_psk_key.len;
            external = 1;
            hs->psk_external = 1;
            break;
        }
        mt_session sess;
        if (!cfg->ticket_key_set || mt_ticket_open(cfg->ticket_key, id.p, id.len, &sess) != 0)
            continue;
        const mt_suite13 *st = mt_tls13_suite(sess.suite);
        /* RFC 8446 4.6.1: not past its lifetime by our clock; 4.2.11: "the server MUST
         * ensure that it selects a compatible PSK (if any) and cipher suite". */
        int ok = st != NULL && st->hash == hs->suite->hash && now >= sess.time &&
                 now - sess.time < (int64_t)sess.lifetime && sess.psk_len == mt_hash_len(st->hash);
        if (ok) {
            memcpy(hs->psk, sess.psk, sess.psk_len);
            hs->psk_len = sess.psk_len;
            hs->psk_suite = sess.suite;
            hs->psk_max_early = sess.max_early_data;
            snprintf(hs->psk_alpn, sizeof hs->psk_alpn, "%s", sess.alpn);
            hs->psk_age_skew = age_skew((uint32_t)mt_t13_u(m, e, "obfuscated_ticket_age"),
                                        sess.age_add, now - sess.time);
            note_id_hash(hs, id);
        }
        mt_session_free(&sess);
        if (ok) break;
    }
    if (hs->psk_len == 0) return 0;
    /* The binder of the chosen identity, over the ClientHello up to the binders. */
    mt_hs_id b = mt_hs_first(m, binders);
    for (int i = 0; i < index && b != MT_HS_NONE; i++)
        b = mt_hs_next(m, b);
    mt_slice got = {NULL, 0};
    if (b != MT_HS_NONE) mt_hs_get_bytes(m, b, &got);
    size_t cut = 0;
    uint8_t want[MT_HASH_MAX_LEN];
    size_t hl = mt_hash_len(hs->suite->hash);
    int rc = mt_transcript_binder_cut(raw.p, raw.len, &cut);
    if (rc) return mt_eng_fail(c, MT_ERR_DECODE, "ClientHello.pre_shared_key: binders malformed");
    rc = mt_tls13_binder(c, hs->suite->hash, external, hs->psk, hs->psk_len, raw.p, cut, want);
    /* The psk_binder hook (SCRIPTING.md 6.5) sees the binder we expect for this index; an
     * answer replaces it as the value we compare against (a test server that accepts a
     * forged binder or refuses a good one). The ask comes before any side effect that
     * survives a rerun of on_client_hello: choose_psk starts from a clean slate. */
    const uint8_t *expect = want;
    size_t elen = hl;
    if (rc == 0) {
        const uint8_t *answer = NULL;
        size_t alen = 0;
        rc = mt_eng_ask(c, MT_HOOK_PSK_BINDER, (uint16_t)index, want, hl, &answer, &alen);
        if (rc == 0 && answer) {
            expect = answer;
            elen = alen;
        }
    }
    /* RFC 8446 4.2.11.2: "If this value is not present or does not validate, the server
     * MUST abort the handshake"; 6.2: decrypt_error. Constant-time compare (the length is
     * not secret). */
    int good = rc == 0 && got.len == elen && mt_ct_eq(got.p, expect, elen);
    mt_wipe(want, sizeof want);
    MT_TRY(rc);
    if (!good)
        return mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR),
                           "ClientHello.pre_shared_key: binder %d does not validate", index);
    hs->psk_selected = index;
    return 0;
}

/* No offered PSK fits our preferred suite's hash: a PSK the client offers for another
 * hash (a SHA-384 external PSK) is still worth a suite of ours with that hash (RFC 8446
 * 4.2.11: the server selects "a compatible PSK (if any) and cipher suite"). */
static int psk_suite(mt_conn *c, const mt_hs_msg *m, mt_slice raw)
{
    server13 *hs = HS(c);
    const mt_suite13 *first = hs->suite;
    uint32_t offered[256];
    size_t n = 0;
    mt_hs_list_ints(m, mt_hs_child(m, MT_HS_ROOT, "cipher_suites"), offered, MT_ARRAY_LEN(offered),
                    &n);
    if (n > MT_ARRAY_LEN(offered)) n = MT_ARRAY_LEN(offered);
    for (size_t i = 0; i < c->cfg->n_suites; i++) {
        const mt_suite13 *s = mt_tls13_suite(c->cfg->suites[i]);
        if (s == NULL || s->hash == first->hash || !has_u16(offered, n, s->id)) continue;
        hs->suite = s;
        int rc = choose_psk(c, m, raw);
        /* An ask that pauses (psk_lookup, psk_binder) reruns on_client_hello, and
         * choose_suite keeps a suite already set: leave ours so the rerun asks in order. */
        if (rc) hs->suite = first;
        if (rc || hs->psk_selected >= 0) return rc;
    }
    hs->suite = first;
    return 0;
}

/* The select hook (SCRIPTING.md 6.5): the decision, not the wire, is the script's to
 * edit. The event carries [u16 version][u16 suite][u16 group][u16 sigalg][u8 hrr]
 * [u8 alpn length][alpn]; an answer in the same layout replaces the decision: a suite,
 * group or scheme this build implements (the client need not have offered it: that is
 * the point), hrr = 1 to ask for another share, any ALPN name. */
static int select_hook(mt_conn *c, const mt_hs_msg *ch)
{
    server13 *hs = HS(c);
    mt_buf d = {0};
    int rc = mt_wr_u16(&d, MT_TLS13);
    if (rc == 0) rc = mt_wr_u16(&d, hs->suite->id);
    if (rc == 0) rc = mt_wr_u16(&d, hs->group);
    if (rc == 0) rc = mt_wr_u16(&d, hs->scheme);
    if (rc == 0) rc = mt_wr_u8(&d, hs->peer_share.len == 0);
    if (rc == 0) rc = mt_wr_vec8(&d, c->alpn, strlen(c->alpn));
    const uint8_t *a = NULL;
    size_t alen = 0;
    if (rc == 0) rc = mt_eng_ask(c, MT_HOOK_SELECT, 0, d.data, d.len, &a, &alen);
    mt_buf_free(&d);
    if (rc || a == NULL) return rc;
    mt_reader r;
    mt_rd_init(&r, a, alen);
    uint16_t version, suite, group, scheme;
    uint8_t hrr;
    mt_slice alpn;
    if (mt_rd_u16(&r, &version) || mt_rd_u16(&r, &suite) || mt_rd_u16(&r, &group) ||
        mt_rd_u16(&r, &scheme) || mt_rd_u8(&r, &hrr) || mt_rd_vec8_slice(&r, &alpn) ||
        mt_rd_done(&r))
        return mt_eng_fail(c, MT_ERR_HOOK, "select hook: malformed decision");
    const mt_suite13 *s = mt_tls13_suite(suite);
    if (version != MT_TLS13 || s == NULL || !mt_kx_supported(group))
        return mt_eng_fail(c, MT_ERR_HOOK,
                           "select hook: version 0x%04x, suite 0x%04x or group "
                           "0x%04x not implemented",
                           version, suite, group);
    const mt_cred *cred = NULL;
    for (size_t i = 0; i < c->cfg->n_creds && cred == NULL; i++)
        if (mt_cred_can_sign13(c->cfg->creds[i], scheme)) cred = c->cfg->creds[i];
    if (cred == NULL && hs->psk_selected < 0)
        return mt_eng_fail(c, MT_ERR_HOOK, "select hook: no certificate signs with 0x%04x", scheme);
    hs->suite = s;
    hs->cred = cred;
    hs->scheme = scheme;
    snprintf(c->alpn, sizeof c->alpn, "%.*s", (int)alpn.len, (const char *)alpn.p);
    if (group != hs->group || hrr) {
        /* Use the client's share for the new group if it sent one, else retry. */
        hs->group = group;
        mt_buf_reset(&hs->peer_share);
        mt_hs_id ks = mt_t13_ext(ch, MT_EXT_KEY_SHARE);
        mt_hs_id list = ks == MT_HS_NONE ? MT_HS_NONE : mt_hs_child(ch, ks, "client_shares");
        for (mt_hs_id e = list == MT_HS_NONE ? MT_HS_NONE : mt_hs_first(ch, list);
             e != MT_HS_NONE && !hrr; e = mt_hs_next(ch, e))
            if (mt_t13_u(ch, e, "group") == group) {
                mt_slice ke = mt_t13_b(ch, e, "key_exchange");
                MT_TRY(mt_buf_set(&hs->peer_share, ke.p, ke.len));
            }
    }
    return 0;
}

static int decide_early(mt_conn *c, int second, int will_retry);

static int on_client_hello(mt_conn *c, mt_slice msg, int second)
{
    server13 *hs = HS(c);
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_CLIENT, NULL, &m));
    if (!second) {
        /* client_hello hook, before any decision: a script may switch the configuration
         * (SNI: mt_conn_set_config), pick the ALPN protocol (mt_conn_select_alpn), or
         * answer one byte, an alert to abort with. Only a parsed message gets here. */
        const uint8_t *answer;
        size_t alen;
        int rc = mt_eng_ask(c, MT_HOOK_CLIENT_HELLO, 0, msg.p, msg.len, &answer, &alen);
        if (rc) {
            mt_hs_msg_free(m);
            return rc;
        }
        if (answer && alen == 1) {
            mt_hs_msg_free(m);
            return mt_eng_fail(c, MT_ERR_SENT(answer[0]),
                               "ClientHello refused by the "
                               "client_hello hook");
        }
    }
    int rc = check_versions(c, m);
    if (rc == 0) rc = check_extension_rules(c, m);
    if (rc == 0) {
        /* RFC 8446 4.1.2: legacy_compression_methods is exactly one zero byte in a TLS 1.3
         * ClientHello, else illegal_parameter. */
        mt_hs_id cm = mt_hs_child(m, MT_HS_ROOT, "legacy_compression_methods");
        uint32_t v[2];
        size_t n = 0;
        mt_hs_list_ints(m, cm, v, 2, &n);
        if (n != 1 || v[0] != 0)
            rc = mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                             "ClientHello.legacy_compression_methods: not exactly {0}");
    }
    mt_slice sid = mt_t13_b(m, MT_HS_ROOT, "legacy_session_id");
    if (rc == 0 && second &&
        (sid.len != hs->session_id_len || (sid.len && memcmp(sid.p, hs->session_id, sid.len))))
        rc = mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "second ClientHello: session id changed");
    if (rc == 0 && second && hs->cookie_sent) {
        /* RFC 8446 4.2.2: the client echoes the cookie of the HelloRetryRequest. */
        mt_hs_id ck = mt_t13_ext(m, MT_EXT_COOKIE);
        mt_slice cookie = ck == MT_HS_NONE ? (mt_slice){NULL, 0} : mt_t13_b(m, ck, "cookie");
        if (cookie.len != hs->cookie.len || !mt_ct_eq(cookie.p, hs->cookie.data, cookie.len))
            rc = mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "second ClientHello: cookie not echoed");
    }
    /* RFC 8446 4.2.10: "A client MUST NOT include the "early_data" extension in its
     * followup ClientHello." */
    if (rc == 0 && second && mt_t13_ext(m, MT_EXT_EARLY_DATA) != MT_HS_NONE)
        rc = mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "second ClientHello: early_data");
    if (rc == 0) rc = choose_suite(c, m);
    if (rc == 0) rc = choose_psk(c, m, msg);
    hs->early_offered = !second && mt_t13_ext(m, MT_EXT_EARLY_DATA) != MT_HS_NONE;
    if (rc == 0 && !second && hs->psk_selected < 0 && mt_t13_ext(m, MT_EXT_PRE_SHARED_KEY) != MT_HS_NONE)
        rc = psk_suite(c, m, msg);
    int psk_ke = hs->psk_selected >= 0 && !hs->psk_dhe;
    if (rc == 0 && !psk_ke) rc = choose_group(c, m, second);
    if (rc == 0 && psk_ke) hs->group = 0;
    /* A PSK chosen on ClientHello1 spared the certificate; a second ClientHello may drop
     * it (RFC 8446 4.1.2 lets the client remove PSKs), and then we need one after all. */
    if (rc == 0 && hs->psk_selected < 0 && hs->cred == NULL) rc = choose_credential(c, m);
    if (rc == 0 && !second) rc = choose_alpn(c, m);
    if (rc == 0 && !second) {
        note_sni(c, m);
        hs->session_id_len = sid.len <= 32 ? sid.len : 32;
        if (hs->session_id_len) memcpy(hs->session_id, sid.p, hs->session_id_len);
        mt_slice cr = mt_t13_b(m, MT_HS_ROOT, "random");
        if (cr.len == 32) memcpy(c->client_random, cr.p, 32);
    }
    if (rc == 0 && !second) rc = select_hook(c, m);
    mt_hs_msg_free(m);
    MT_TRY(rc);
    c->version = MT_TLS13;
    c->suite = hs->suite->id;
    c->group = hs->group;
    c->sigalg = hs->scheme;
    MT_TRY(mt_transcript_set_hash(&c->tr, hs->suite->hash));
    MT_TRY(mt_transcript_add(&c->tr, msg.p, msg.len));
    MT_TRY(mt_buf_set(&hs->ch, msg.p, msg.len));
    const mt_config *cfg = c->cfg;
    if (!second && cfg->force_hrr) {
        /* A script asked for HelloRetryRequest whatever the client offered. */
        if (cfg->force_hrr_group) hs->group = cfg->force_hrr_group;
        c->group = hs->group;
        mt_buf_reset(&hs->peer_share);
    }
    if (second && cfg->force_hrr_twice && !hs->second_hrr_sent) {
        hs->second_hrr_sent = 1; /* RFC 8446 4.1.4 forbids it: a test of the client */
        mt_eng_goto(c, S_SEND_HRR);
        return 0;
    }
    /* RFC 8446 4.2.10: what a HelloRetryRequest refused came before ClientHello2 (the
     * client sent it before it saw our HRR); nothing after it is early data to skip. */
    if (second) c->early_skip = 0;
    MT_TRY(decide_early(c, second, hs->peer_share.len == 0 && !psk_ke));
    if (hs->peer_share.len == 0 && !psk_ke) {
        if (second)
            return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "second ClientHello: no usable share");
        mt_eng_goto(c, S_SEND_HRR);
        return 0;
    }
    mt_eng_goto(c, S_SEND_SH);
    return 0;
}

/* RFC 8446 4.2.10: take 0-RTT only on the first ClientHello with no HelloRetryRequest,
 * for the first identity, a ticket that allows it with the same suite and ALPN, our own
 * limit, a plausible ticket age, and a ticket not used for 0-RTT before (single-use
 * cache: a replayed ClientHello gets a 1-RTT handshake). Otherwise early data is refused
 * and skipped. Accepting switches our read keys to client_early_traffic_secret now: the
 * early records follow the ClientHello. */
#define EARLY_AGE_WINDOW_MS 10000
#define EARLY_SKIP_DEFAULT 16384

/* A replayed ClientHello carries the ticket age of the original, so it passes the age
 * window only until 2 * EARLY_AGE_WINDOW_MS after the original was taken: an entry older
 * than that (plus clock granularity) can no longer match a replay and may be forgotten. */
#define EARLY_REPLAY_HORIZON_S (2 * EARLY_AGE_WINDOW_MS / 1000 + 2)

/* 1 when 0-RTT must be refused: the ticket was used for it before, or the cache is full of
 * entries a replay could still match (RFC 8446 8: 0-RTT "for the same 0-RTT handshake at
 * most once"; forgetting one would let its replay through). Otherwise the ticket is
 * recorded, over the oldest entry. */
static int early_seen(mt_config *cfg, const uint8_t id[16], int64_t now)
{
    size_t cap = MT_ARRAY_LEN(cfg->early_seen);
    size_t n = cfg->n_early_seen < cap ? cfg->n_early_seen : cap;
    size_t slot = cfg->n_early_seen % cap;
    for (size_t i = 0; i < n; i++)
        if (memcmp(cfg->early_seen[i], id, 16) == 0) return 1;
    if (n == cap) {
        int64_t t = cfg->early_seen_time[slot]; /* the oldest entry */
        if (now < t || now - t <= EARLY_REPLAY_HORIZON_S) return 1;
    }
    memcpy(cfg->early_seen[slot], id, 16);
    cfg->early_seen_time[slot] = now;
    cfg->n_early_seen++;
    return 0;
}

static int decide_early(mt_conn *c, int second, int will_retry)
{
    server13 *hs = HS(c);
    mt_config *cfg = c->cfg;
    if (second) return 0;
    if (!hs->early_offered) return 0;
    int ok = !will_retry && !cfg->force_hrr && hs->psk_selected == 0 && !hs->psk_external &&
             cfg->max_early_data > 0 && hs->psk_max_early > 0 && hs->psk_suite == hs->suite->id &&
             strcmp(hs->psk_alpn, c->alpn) == 0 && hs->psk_age_skew <= EARLY_AGE_WINDOW_MS;
    if (ok) ok = !early_seen(cfg, hs->psk_id_hash, mt_eng_now(c));
    if (!ok) {
        c->early_state = MT_EARLY_REJECTED;
        c->early_skip = 1;
        c->early_skip_left = cfg->max_early_data > EARLY_SKIP_DEFAULT ? cfg->max_early_data
                                                                      : EARLY_SKIP_DEFAULT;
        return 0;
    }
    uint8_t h[MT_HASH_MAX_LEN];
    MT_TRY(mt_transcript_hash(&c->tr, h)); /* ClientHello */
    MT_TRY(mt_ks13_init(&c->ks, hs->suite->hash, mt_eng_ks13_secret, c));
    MT_TRY(mt_ks13_early(&c->ks, hs->psk, hs->psk_len));
    MT_TRY(mt_ks13_early_traffic(&c->ks, h));
    MT_TRY(mt_tls13_read_keys(c, hs->suite, mt_ks13_secret(&c->ks, MT_KS13_CLIENT_EARLY_TRAFFIC)));
    c->early_state = MT_EARLY_ACCEPTED;
    c->early_in = 1;
    c->early_in_len = 0;
    c->early_in_max = cfg->max_early_data < hs->psk_max_early ? cfg->max_early_data
                                                               : hs->psk_max_early;
    return 0;
}

static int st_wait_ch(mt_conn *c, mt_slice msg)
{
    return on_client_hello(c, msg, 0);
}

static int st_wait_ch2(mt_conn *c, mt_slice msg)
{
    return on_client_hello(c, msg, 1);
}

/* ---------------------------------------------------------------------------------
 * HelloRetryRequest / ServerHello
 * --------------------------------------------------------------------------------- */

static int write_hello(mt_conn *c, mt_buf *b, const uint8_t *random, int hrr)
{
    server13 *hs = HS(c);
    mt_wr_mark exts, m;
    MT_TRY(mt_wr_u16(b, MT_TLS12)); /* RFC 8446 4.1.3: legacy_version 0x0303 */
    MT_TRY(mt_wr_bytes(b, random, 32));
    MT_TRY(mt_wr_vec8(b, hs->session_id, hs->session_id_len)); /* echo */
    MT_TRY(mt_wr_u16(b, hs->suite->id));
    MT_TRY(mt_wr_u8(b, 0));
    MT_TRY(mt_wr_open(b, 2, &exts));
    MT_TRY(mt_wr_u16(b, MT_EXT_SUPPORTED_VERSIONS));
    MT_TRY(mt_wr_vec16(b, "\x03\x04", 2));
    if (hrr || hs->psk_selected < 0 || hs->psk_dhe) {
        MT_TRY(mt_wr_u16(b, MT_EXT_KEY_SHARE));
        MT_TRY(mt_wr_open(b, 2, &m));
        MT_TRY(mt_wr_u16(b, hs->group));
        if (!hrr) MT_TRY(mt_wr_vec16(b, hs->kx.pub, hs->kx.pub_len));
        MT_TRY(mt_wr_close(b, &m));
    }
    if (!hrr && hs->psk_selected >= 0) {
        /* RFC 8446 4.2.11: the index of the identity we accepted. */
        MT_TRY(mt_wr_u16(b, MT_EXT_PRE_SHARED_KEY));
        MT_TRY(mt_wr_u16(b, 2));
        MT_TRY(mt_wr_u16(b, (uint16_t)hs->psk_selected));
    }
    if (hrr && hs->cookie_sent) {
        MT_TRY(mt_wr_u16(b, MT_EXT_COOKIE));
        MT_TRY(mt_wr_open(b, 2, &m));
        MT_TRY(mt_wr_vec16(b, hs->cookie.data, hs->cookie.len));
        MT_TRY(mt_wr_close(b, &m));
    }
    return mt_wr_close(b, &exts);
}

static int send_compat_ccs(mt_conn *c)
{
    server13 *hs = HS(c);
    /* RFC 8446 D.4: the server sends the dummy CCS after its first handshake message when
     * the client asked for compatibility mode (a non-empty session id). */
    if (hs->session_id_len == 0 || hs->ccs_sent) return 0;
    hs->ccs_sent = 1;
    return mt_eng_send(c, MT_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\1", 1);
}

static int st_send_hrr(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    /* The cookie: this connection's (a script's function), else the configuration's
     * fixed bytes, else 32 random bytes when the cookie is on. */
    hs->cookie_sent = 0;
    if (c->hrr_cookie_set) {
        MT_TRY(mt_buf_set(&hs->cookie, c->hrr_cookie.data, c->hrr_cookie.len));
        hs->cookie_sent = c->hrr_cookie.len > 0;
    } else if (c->cfg->hrr_cookie_value.len) {
        MT_TRY(
            mt_buf_set(&hs->cookie, c->cfg->hrr_cookie_value.data, c->cfg->hrr_cookie_value.len));
        hs->cookie_sent = 1;
    } else if (c->cfg->hrr_cookie) {
        uint8_t r[32];
        MT_TRY(mt_eng_random(c, "cookie", r, sizeof r));
        MT_TRY(mt_buf_set(&hs->cookie, r, sizeof r));
        hs->cookie_sent = 1;
    }
    /* RFC 8446 4.4.1: ClientHello1 becomes message_hash before the HRR is hashed (once:
     * a forced second HRR is simply added). */
    if (!c->hrr) MT_TRY(mt_transcript_hrr_rewrite(&c->tr));
    mt_buf body = {0};
    int rc = write_hello(c, &body, mt_hs_hrr_random, 1);
    if (rc == 0) rc = mt_eng_send_hs(c, MT_HS_SERVER_HELLO, body.data, body.len);
    mt_buf_free(&body);
    MT_TRY(rc);
    MT_TRY(send_compat_ccs(c));
    c->hrr = 1;
    mt_eng_goto(c, S_WAIT_CH2);
    return 0;
}

static int send_sh(mt_conn *c)
{
    MT_TRY(mt_eng_random(c, "server_random", c->server_random, 32));
    mt_buf body = {0};
    int rc = write_hello(c, &body, c->server_random, 0);
    if (rc == 0) rc = mt_eng_send_hs(c, MT_HS_SERVER_HELLO, body.data, body.len);
    mt_buf_free(&body);
    MT_TRY(rc);
    MT_TRY(send_compat_ccs(c));
    mt_eng_goto(c, S_SEND_EE);
    return 0;
}

static int st_send_sh(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    /* psk_ke: no (EC)DHE at all (RFC 8446 4.2.9). */
    if (hs->psk_selected >= 0 && !hs->psk_dhe) return send_sh(c);
    const uint8_t *answer, *pub;
    size_t alen, plen = 0, pub_len;
    MT_TRY(mt_eng_ask2(c, MT_HOOK_KEY_SHARE, hs->group, NULL, 0, &answer, &alen, &pub, &pub_len));
    const uint8_t *pin = answer ? answer : mt_tls13_pinned(c->cfg, hs->group, &plen);
    if (answer) plen = alen;
    MT_TRY(mt_kx_generate(&hs->kx, hs->group, &c->rng, pin, plen));
    int rc =
        mt_kx_shared(&hs->kx, hs->peer_share.data, hs->peer_share.len, hs->shared, &hs->shared_len);
    /* RFC 8446 4.2.8.1-2: an invalid share (bad length, off the curve, out of range):
     * illegal_parameter. */
    if (rc)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                           "ClientHello.key_share: invalid share for "
                           "group 0x%04x",
                           hs->group);
    if (pub) {
        /* key_share hook: send these bytes instead of our public key (invalid on
         * purpose); the shared secret above stays the real one. */
        MT_ENSURE(pub_len <= sizeof hs->kx.pub, MT_ERR_LIMIT);
        memcpy(hs->kx.pub, pub, pub_len);
        hs->kx.pub_len = pub_len;
    }
    return send_sh(c);
}

/* ---------------------------------------------------------------------------------
 * Encrypted flight
 * --------------------------------------------------------------------------------- */

static int st_send_ee(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    /* The transcript now ends with ServerHello: derive the handshake secrets. */
    uint8_t h[MT_HASH_MAX_LEN];
    MT_TRY(mt_transcript_hash(&c->tr, h));
    int rc = 0;
    if (c->ks.stage != MT_KS13_EARLY) { /* 0-RTT derived the early secret already */
        MT_TRY(mt_ks13_init(&c->ks, hs->suite->hash, mt_eng_ks13_secret, c));
        /* RFC 8446 7.1: Early Secret = HKDF-Extract(0, PSK). */
        if (hs->psk_selected >= 0) rc = mt_ks13_early(&c->ks, hs->psk, hs->psk_len);
    }
    if (hs->psk_selected >= 0) {
        mt_wipe(hs->psk, sizeof hs->psk);
        c->resumed = 1;
    }
    if (rc == 0)
        rc = mt_ks13_handshake(&c->ks, hs->shared_len ? hs->shared : NULL, hs->shared_len, h);
    mt_wipe(hs->shared, sizeof hs->shared);
    mt_kx_free(&hs->kx);
    MT_TRY(rc);
    MT_TRY(mt_tls13_write_keys(c, hs->suite,
                               mt_ks13_secret(&c->ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC)));
    /* With 0-RTT the client's early records come first: its handshake keys wait for
     * EndOfEarlyData. */
    if (c->early_state != MT_EARLY_ACCEPTED)
        MT_TRY(mt_tls13_read_keys(c, hs->suite,
                                  mt_ks13_secret(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC)));
    mt_buf body = {0};
    mt_wr_mark exts, m;
    rc = mt_wr_open(&body, 2, &exts);
    if (rc == 0 && c->early_state == MT_EARLY_ACCEPTED) {
        /* RFC 8446 4.2.10: an empty early_data in EncryptedExtensions accepts it. */
        rc = mt_wr_u16(&body, MT_EXT_EARLY_DATA);
        if (rc == 0) rc = mt_wr_u16(&body, 0);
    }
    if (rc == 0 && hs->sni_used) {
        /* RFC 6066 3: an empty server_name tells the client its name was used. */
        rc = mt_wr_u16(&body, MT_EXT_SERVER_NAME);
        if (rc == 0) rc = mt_wr_u16(&body, 0);
    }
    if (rc == 0 && c->alpn[0]) {
        rc = mt_wr_u16(&body, MT_EXT_ALPN);
        if (rc == 0) rc = mt_wr_open(&body, 2, &m);
        mt_wr_mark l;
        if (rc == 0) rc = mt_wr_open(&body, 2, &l);
        if (rc == 0) rc = mt_wr_vec8(&body, c->alpn, strlen(c->alpn));
        if (rc == 0) rc = mt_wr_close(&body, &l);
        if (rc == 0) rc = mt_wr_close(&body, &m);
    }
    if (rc == 0) rc = mt_wr_close(&body, &exts);
    if (rc == 0) rc = mt_eng_send_hs(c, MT_HS_ENCRYPTED_EXTENSIONS, body.data, body.len);
    mt_buf_free(&body);
    MT_TRY(rc);
    /* RFC 8446 2.2: a PSK handshake authenticates by the PSK: no Certificate and no
     * CertificateVerify. */
    mt_eng_goto(c, hs->psk_selected >= 0 ? S_SEND_FINISHED : S_SEND_CERT);
    return 0;
}

static int st_send_cert(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    mt_buf body = {0};
    mt_wr_mark list;
    int rc = mt_wr_u8(&body, 0); /* certificate_request_context: empty */
    if (rc == 0) rc = mt_wr_open(&body, 3, &list);
    for (size_t i = 0; i < hs->cred->chain.count && rc == 0; i++) {
        const mt_buf *der = &hs->cred->chain.certs[i].der;
        rc = mt_wr_vec24(&body, der->data, der->len);
        if (rc == 0) rc = mt_wr_u16(&body, 0); /* no per-entry extensions */
    }
    if (rc == 0) rc = mt_wr_close(&body, &list);
    if (rc == 0) rc = mt_eng_send_hs(c, MT_HS_CERTIFICATE, body.data, body.len);
    mt_buf_free(&body);
    MT_TRY(rc);
    mt_eng_goto(c, S_SEND_CV);
    return 0;
}

static int st_send_cv(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    mt_buf content = {0}, sig = {0}, body = {0};
    const uint8_t *answer = NULL;
    size_t alen = 0;
    int rc = mt_tls13_cv_content(c, 1, &content);
    /* sign hook: a script may return its own signature bytes (a bad one on purpose). */
    if (rc == 0)
        rc = mt_eng_ask(c, MT_HOOK_SIGN, hs->scheme, content.data, content.len, &answer, &alen);
    if (rc == 0 && answer == NULL)
        rc = mt_cred_sign13(hs->cred, hs->scheme, content.data, content.len, &c->rng, &sig);
    if (rc == 0 && answer) rc = mt_buf_set(&sig, answer, alen);
    if (rc == 0) rc = mt_wr_u16(&body, hs->scheme);
    if (rc == 0) rc = mt_wr_vec16(&body, sig.data, sig.len);
    if (rc == 0) rc = mt_eng_send_hs(c, MT_HS_CERTIFICATE_VERIFY, body.data, body.len);
    mt_buf_free(&content);
    mt_buf_free(&sig);
    mt_buf_free(&body);
    MT_TRY(rc);
    mt_eng_goto(c, S_SEND_FINISHED);
    return 0;
}

static int st_send_finished(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    MT_TRY(mt_tls13_send_finished(c, hs->suite,
                                  mt_ks13_secret(&c->ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC)));
    mt_eng_goto(c, S_SEND_MASTER);
    return 0;
}

static int st_send_master(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    /* The transcript ends with our Finished: application secrets (RFC 8446 7.1). */
    uint8_t h[MT_HASH_MAX_LEN];
    MT_TRY(mt_transcript_hash(&c->tr, h));
    MT_TRY(mt_ks13_master(&c->ks, h));
    MT_TRY(mt_tls13_write_keys(c, hs->suite,
                               mt_ks13_secret(&c->ks, MT_KS13_SERVER_APPLICATION_TRAFFIC)));
    mt_eng_goto(c, c->early_state == MT_EARLY_ACCEPTED ? S_WAIT_EOED : S_WAIT_FINISHED);
    return 0;
}

/* RFC 8446 4.5: EndOfEarlyData ends the early records; the client's handshake keys
 * follow. */
static int st_wait_eoed(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_CLIENT, NULL, &m));
    mt_hs_msg_free(m);
    MT_TRY(mt_transcript_add(&c->tr, msg.p, msg.len));
    c->early_in = 0;
    mt_ks13_forget(&c->ks, MT_KS13_CLIENT_EARLY_TRAFFIC);
    MT_TRY(
        mt_tls13_read_keys(c, hs->suite, mt_ks13_secret(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC)));
    mt_eng_goto(c, S_WAIT_FINISHED);
    return 0;
}

static int st_wait_finished(mt_conn *c, mt_slice msg)
{
    server13 *hs = HS(c);
    MT_TRY(mt_tls13_check_finished(c, hs->suite,
                                   mt_ks13_secret(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC), msg,
                                   MT_HS_SIDE_CLIENT, NULL));
    uint8_t h[MT_HASH_MAX_LEN];
    MT_TRY(mt_transcript_hash(&c->tr, h));
    MT_TRY(mt_tls13_read_keys(c, hs->suite,
                              mt_ks13_secret(&c->ks, MT_KS13_CLIENT_APPLICATION_TRAFFIC)));
    MT_TRY(mt_ks13_resumption(&c->ks, h));
    mt_ks13_forget(&c->ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC);
    mt_ks13_forget(&c->ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC);
    mt_eng_goto(c, S_SEND_TICKETS);
    return 0;
}

/* RFC 8446 4.6.1: NewSessionTickets once the client's Finished is checked. A ticket is
 * our session state sealed under the configuration's ticket key (ticket.h), so the
 * server keeps nothing; its PSK is HKDF-Expand-Label(resumption_master_secret,
 * "resumption", ticket_nonce, Hash.length). */
static int send_ticket(mt_conn *c)
{
    mt_config *cfg = c->cfg;
    const mt_suite13 *st = mt_tls13_suite(c->suite);
    uint8_t nonce[8], iv[12];
    mt_session s;
    mt_buf ticket = {0}, body = {0};
    int rc = 0;
    memset(&s, 0, sizeof s);
    MT_ENSURE(st != NULL, MT_ERR_BAD_STATE);
    /* Every connection draws a key, and the configuration keeps the first: a context's
     * connections then draw the same sequence whatever came before them (a seeded rng
     * reproduces each connection byte for byte, DESIGN.md 7). */
    uint8_t key[MT_TICKET_KEY_LEN];
    MT_TRY(mt_eng_random(c, "ticket_key", key, sizeof key));
    if (!cfg->ticket_key_set) {
        memcpy(cfg->ticket_key, key, sizeof key);
        cfg->ticket_key_set = 1;
    }
    mt_wipe(key, sizeof key);
    /* "ticket_nonce: A per-ticket value that is unique across all tickets issued on this
     * connection"; "ticket_age_add: A securely generated, random 32-bit value". */
    MT_TRY_GOTO(mt_eng_random(c, "ticket_nonce", nonce, sizeof nonce));
    uint8_t add[4];
    MT_TRY_GOTO(mt_eng_random(c, "ticket_age_add", add, sizeof add));
    MT_TRY_GOTO(mt_eng_random(c, "ticket_iv", iv, sizeof iv));
    s.suite = c->suite;
    s.time = mt_eng_now(c);
    s.lifetime = cfg->ticket_lifetime;
    s.age_add = (uint32_t)add[0] << 24 | (uint32_t)add[1] << 16 | (uint32_t)add[2] << 8 | add[3];
    s.max_early_data = cfg->max_early_data;
    s.psk_len = mt_hash_len(st->hash);
    snprintf(s.alpn, sizeof s.alpn, "%s", c->alpn);
    snprintf(s.sni, sizeof s.sni, "%s", c->sni);
    MT_TRY_GOTO(mt_ks13_ticket_psk(&c->ks, nonce, sizeof nonce, s.psk));
    MT_TRY_GOTO(mt_ticket_seal(cfg->ticket_key, iv, &s, &ticket));
    MT_TRY_GOTO(mt_wr_u32(&body, s.lifetime));
    MT_TRY_GOTO(mt_wr_u32(&body, s.age_add));
    MT_TRY_GOTO(mt_wr_vec8(&body, nonce, sizeof nonce));
    MT_TRY_GOTO(mt_wr_vec16(&body, ticket.data, ticket.len));
    mt_wr_mark exts;
    MT_TRY_GOTO(mt_wr_open(&body, 2, &exts));
    if (s.max_early_data) {
        /* RFC 8446 4.2.10: early_data in a ticket carries max_early_data_size. */
        MT_TRY_GOTO(mt_wr_u16(&body, MT_EXT_EARLY_DATA));
        MT_TRY_GOTO(mt_wr_u16(&body, 4));
        MT_TRY_GOTO(mt_wr_u32(&body, s.max_early_data));
    }
    MT_TRY_GOTO(mt_wr_close(&body, &exts));
    MT_TRY_GOTO(mt_eng_send_hs(c, MT_HS_NEW_SESSION_TICKET, body.data, body.len));
out:
    mt_session_free(&s);
    mt_wipe(nonce, sizeof nonce);
    mt_buf_free(&ticket);
    mt_buf_free(&body);
    return rc;
}

static int st_send_tickets(mt_conn *c, mt_slice msg)
{
    while (c->tickets_sent < c->cfg->tickets) {
        MT_TRY(send_ticket(c));
        c->tickets_sent++;
    }
    mt_eng_goto(c, S_CONNECTED);
    mt_eng_handshake_done(c);
    return 0;
}

static int st_connected(mt_conn *c, mt_slice msg)
{
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, MT_HS_SIDE_CLIENT, NULL, &m));
    uint64_t req = mt_t13_u(m, MT_HS_ROOT, "request_update");
    mt_hs_msg_free(m);
    /* RFC 8446 4.6.3: request_update other than 0 or 1: illegal_parameter. */
    if (req > 1)
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM, "KeyUpdate.request_update: %u", (unsigned)req);
    return mt_tls13_peer_key_update(c, mt_tls13_suite(c->suite), (int)req);
}

/* ---------------------------------------------------------------------------------
 * Adoption (SCRIPTING.md 6.5): a message_out hook rewrote one of our messages and set
 * ev.adopt, so the engine takes the final bytes as what it meant to send and its state
 * follows them. Whatever it cannot follow fails the connection here, naming the field,
 * before the message leaves (internal_error: our fault, not the peer's).
 * --------------------------------------------------------------------------------- */

static int cannot_adopt(mt_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cannot_adopt(mt_conn *c, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return mt_eng_fail(c, MT_ERR_BAD_PARAM, "cannot adopt %s", what);
}

/* Checks common to ServerHello and HelloRetryRequest: TLS 1.3 selected, and a TLS 1.3
 * suite this build implements whose hash is the one the transcript already runs (it
 * was chosen with the ClientHello and holds it). Returns the suite or NULL (failed). */
static const mt_suite13 *adopt_version_suite(mt_conn *c, const mt_hs_msg *m, const char *title)
{
    server13 *hs = HS(c);
    mt_hs_id sv = mt_t13_ext(m, MT_EXT_SUPPORTED_VERSIONS);
    unsigned v = sv == MT_HS_NONE ? 0 : (unsigned)mt_t13_u(m, sv, "selected_version");
    if (v != MT_TLS13) {
        cannot_adopt(c, "%s.supported_versions: %s (only TLS 1.3 is implemented)", title,
                     v ? "not 0x0304" : "missing");
        return NULL;
    }
    uint16_t id = (uint16_t)mt_t13_u(m, MT_HS_ROOT, "cipher_suite");
    const mt_suite13 *s = mt_tls13_suite(id);
    if (s == NULL) {
        cannot_adopt(c, "%s.cipher_suite: 0x%04x is no TLS 1.3 suite this build implements", title,
                     id);
        return NULL;
    }
    if (s->hash != hs->suite->hash) {
        cannot_adopt(c,
                     "%s.cipher_suite: 0x%04x hashes with another function than 0x%04x, whose "
                     "transcript hash is already running",
                     title, id, hs->suite->id);
        return NULL;
    }
    return s;
}

/* The client's share for `group` in the last ClientHello. */
static int client_share(mt_conn *c, uint16_t group, mt_slice *ke, mt_hs_msg **holder)
{
    server13 *hs = HS(c);
    mt_hs_ctx ctx = {.content_type = 22, .version = MT_TLS13, .side = MT_HS_SIDE_CLIENT};
    *holder = NULL;
    if (hs->ch.len == 0 || mt_hs_decode(&ctx, hs->ch.data, hs->ch.len, holder, NULL, 0) != 0)
        return MT_ERR_NOT_FOUND;
    mt_hs_id ks = mt_t13_ext(*holder, MT_EXT_KEY_SHARE);
    mt_hs_id list = ks == MT_HS_NONE ? MT_HS_NONE : mt_hs_child(*holder, ks, "client_shares");
    for (mt_hs_id e = list == MT_HS_NONE ? MT_HS_NONE : mt_hs_first(*holder, list); e != MT_HS_NONE;
         e = mt_hs_next(*holder, e))
        if (mt_t13_u(*holder, e, "group") == group) {
            *ke = mt_t13_b(*holder, e, "key_exchange");
            return 0;
        }
    return MT_ERR_NOT_FOUND;
}

/* Take the ServerHello's key share as ours: the client's share for its group and the
 * private key of the public key it carries (our own, or the pinned one). */
static int adopt_key_share(mt_conn *c, const mt_hs_msg *m, mt_hs_id ks)
{
    server13 *hs = HS(c);
    uint16_t group = (uint16_t)mt_t13_u(m, ks, "group");
    mt_slice ke = mt_t13_b(m, ks, "key_exchange");
    if (group == hs->group && ke.len == hs->kx.pub_len && memcmp(ke.p, hs->kx.pub, ke.len) == 0)
        return 0;
    mt_slice peer;
    mt_hs_msg *ch = NULL;
    if (!mt_kx_supported(group) || client_share(c, group, &peer, &ch) != 0) {
        mt_hs_msg_free(ch);
        return cannot_adopt(
            c, "ServerHello.key_share.group: 0x%04x: the client sent no share for it", group);
    }
    mt_kx kx;
    memset(&kx, 0, sizeof kx);
    size_t plen = 0;
    const uint8_t *pin = mt_tls13_pinned(c->cfg, group, &plen);
    int rc = pin ? mt_kx_generate(&kx, group, &c->rng, pin, plen) : MT_ERR_NOT_FOUND;
    if (rc == 0 && (kx.pub_len != ke.len || memcmp(kx.pub, ke.p, ke.len) != 0))
        rc = MT_ERR_NOT_FOUND;
    if (rc) {
        mt_kx_free(&kx);
        mt_hs_msg_free(ch);
        return cannot_adopt(c,
                            "ServerHello.key_share.key_exchange: we hold no private key for it "
                            "(pin one for group 0x%04x)",
                            group);
    }
    uint8_t shared[MT_KX_MAX_SHARED];
    size_t shared_len = 0;
    rc = mt_kx_shared(&kx, peer.p, peer.len, shared, &shared_len);
    if (rc == 0) rc = mt_buf_set(&hs->peer_share, peer.p, peer.len);
    mt_hs_msg_free(ch);
    if (rc) {
        mt_kx_free(&kx);
        mt_wipe(shared, sizeof shared);
        /* RFC 8446 4.2.8.1-2: the client's share for that group is invalid. */
        return mt_eng_fail(c, MT_ERR_ILLEGAL_PARAM,
                           "ClientHello.key_share: invalid share for group 0x%04x", group);
    }
    mt_kx_free(&hs->kx);
    hs->kx = kx;
    memcpy(hs->shared, shared, shared_len);
    hs->shared_len = shared_len;
    mt_wipe(shared, sizeof shared);
    hs->group = group;
    c->group = group;
    return 0;
}

static int adopt_server_hello(mt_conn *c, const mt_hs_msg *m)
{
    server13 *hs = HS(c);
    const mt_suite13 *s = adopt_version_suite(c, m, "ServerHello");
    if (s == NULL) return c->err;
    /* psk_ke (RFC 8446 4.2.9) has no key share; every other exchange has one. */
    int psk_only = hs->psk_selected >= 0 && !hs->psk_dhe;
    mt_hs_id ks = mt_t13_ext(m, MT_EXT_KEY_SHARE);
    if ((ks == MT_HS_NONE) != psk_only)
        return cannot_adopt(c, "ServerHello.key_share: %s (the key exchange is %s)",
                            psk_only ? "present" : "missing", psk_only ? "psk_ke" : "(EC)DHE");
    if (!psk_only) MT_TRY(adopt_key_share(c, m, ks));
    mt_slice r = mt_t13_b(m, MT_HS_ROOT, "random");
    if (r.len == 32) memcpy(c->server_random, r.p, 32);
    hs->suite = s;
    c->suite = s->id;
    return 0;
}

static int adopt_hello_retry(mt_conn *c, const mt_hs_msg *m)
{
    server13 *hs = HS(c);
    const mt_suite13 *s = adopt_version_suite(c, m, "HelloRetryRequest");
    if (s == NULL) return c->err;
    mt_hs_id ks = mt_t13_ext(m, MT_EXT_KEY_SHARE);
    if (ks == MT_HS_NONE)
        return cannot_adopt(c, "HelloRetryRequest: no key_share (the engine retries for a group)");
    uint16_t group = (uint16_t)mt_t13_u(m, ks, "selected_group");
    if (!mt_kx_supported(group))
        return cannot_adopt(c,
                            "HelloRetryRequest.key_share.selected_group: 0x%04x is not "
                            "implemented",
                            group);
    /* The second ClientHello must now bring a share for this group, and echo this cookie
     * (RFC 8446 4.1.2); no cookie: none is checked. */
    hs->group = group;
    c->group = group;
    mt_buf_reset(&hs->peer_share);
    mt_hs_id ck = mt_t13_ext(m, MT_EXT_COOKIE);
    mt_buf_reset(&hs->cookie);
    hs->cookie_sent = ck != MT_HS_NONE;
    if (ck != MT_HS_NONE) {
        mt_slice cookie = mt_t13_b(m, ck, "cookie");
        MT_TRY(mt_buf_set(&hs->cookie, cookie.p, cookie.len));
    }
    hs->suite = s;
    c->suite = s->id;
    return 0;
}

static int adopt_encrypted_extensions(mt_conn *c, const mt_hs_msg *m)
{
    /* ALPN is the one negotiated value EncryptedExtensions carries (RFC 7301 3.1: exactly
     * one name); the others (server_name ack, supported_groups, ...) hold no state. */
    mt_hs_id ext = mt_t13_ext(m, MT_EXT_ALPN);
    if (ext == MT_HS_NONE) {
        c->alpn[0] = 0;
        return 0;
    }
    mt_hs_id list = mt_hs_child(m, ext, "protocol_name_list");
    mt_hs_id first = list == MT_HS_NONE ? MT_HS_NONE : mt_hs_first(m, list);
    mt_slice name = {NULL, 0};
    if (first != MT_HS_NONE) mt_hs_get_bytes(m, first, &name);
    if (mt_hs_count(m, list) != 1 || name.len == 0 || name.len >= sizeof c->alpn)
        return cannot_adopt(c, "EncryptedExtensions.alpn: not exactly one protocol name");
    snprintf(c->alpn, sizeof c->alpn, "%.*s", (int)name.len, (const char *)name.p);
    return 0;
}

static int adopt(mt_conn *c, uint8_t ct, mt_slice msg)
{
    server13 *hs = HS(c);
    if (hs == NULL || ct != MT_CT_HANDSHAKE || msg.len < 4)
        return cannot_adopt(c, "this message: the server adopts its ServerHello, "
                               "HelloRetryRequest and EncryptedExtensions");
    mt_hs_ctx ctx = {.content_type = 22, .version = MT_TLS13, .side = MT_HS_SIDE_SERVER};
    mt_hs_msg *m = NULL;
    char where[MT_HS_WHERE_MAX];
    if (mt_hs_decode(&ctx, msg.p, msg.len, &m, where, sizeof where) != 0)
        return mt_eng_fail(c, MT_ERR_BAD_PARAM, "cannot adopt: %s", where);
    int rc;
    unsigned kind = mt_hs_msg_kind(m);
    if (kind == MT_HS_HELLO_RETRY_REQUEST && c->state == S_WAIT_CH2)
        rc = adopt_hello_retry(c, m);
    else if (kind == MT_HS_SERVER_HELLO && c->state == S_SEND_EE)
        rc = adopt_server_hello(c, m);
    else if (kind == MT_HS_ENCRYPTED_EXTENSIONS)
        rc = adopt_encrypted_extensions(c, m);
    else
        rc = cannot_adopt(c,
                          "%s here: the server adopts its ServerHello, HelloRetryRequest "
                          "and EncryptedExtensions",
                          mt_hs_msg_name(m));
    mt_hs_msg_free(m);
    return rc;
}

static const uint8_t acc_ch[] = {MT_HS_CLIENT_HELLO, 255};
static const uint8_t acc_fin[] = {MT_HS_FINISHED, 255};
static const uint8_t acc_eoed[] = {MT_HS_END_OF_EARLY_DATA, 255};
static const uint8_t acc_post[] = {MT_HS_KEY_UPDATE, 255};

static const mt_state server13_table[] = {
    [S_WAIT_CH] = {"wait_client_hello", 0, acc_ch, st_wait_ch},
    [S_SEND_HRR] = {"hello_retry_request", 1, NULL, st_send_hrr},
    [S_WAIT_CH2] = {"wait_client_hello_2", 0, acc_ch, st_wait_ch2},
    [S_SEND_SH] = {"server_hello", 1, NULL, st_send_sh},
    [S_SEND_EE] = {"encrypted_extensions", 1, NULL, st_send_ee},
    [S_SEND_CERT] = {"server_certificate", 1, NULL, st_send_cert},
    [S_SEND_CV] = {"server_certificate_verify", 1, NULL, st_send_cv},
    [S_SEND_FINISHED] = {"server_finished", 1, NULL, st_send_finished},
    [S_SEND_MASTER] = {"server_application_keys", 1, NULL, st_send_master},
    [S_WAIT_EOED] = {"wait_end_of_early_data", 0, acc_eoed, st_wait_eoed},
    [S_WAIT_FINISHED] = {"wait_client_finished", 0, acc_fin, st_wait_finished},
    [S_SEND_TICKETS] = {"new_session_tickets", 1, NULL, st_send_tickets},
    [S_CONNECTED] = {"connected", 0, acc_post, st_connected},
};

int mt_server13_start(mt_conn *c)
{
    server13 *hs = calloc(1, sizeof *hs);
    MT_ENSURE(hs != NULL, MT_ERR_NO_MEMORY);
    hs->psk_selected = -1;
    c->hs = hs;
    c->hs_free = server13_free;
    c->adopt_fn = adopt;
    mt_eng_use_table(c, server13_table, S_WAIT_CH);
    return 0;
}
