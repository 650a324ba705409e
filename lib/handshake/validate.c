/*
 * validate.c - semantic checks over decoded handshake messages (see validate.h).
 *
 * Notes:
 * - Everything reads the tree through codec.h's walkers; nothing re-parses bytes.
 * - Rules that need connection state beyond the ClientHello (what the server chose
 *   earlier, keys, transcripts) belong to the state handlers, not here.
 * - Where the RFC names no alert, the choice follows the major implementations and says
 *   so next to the check.
 */
#include "handshake/validate.h"

#include "handshake/names.h"
#include "internal.h"

#include <stdio.h>
#include <string.h>

typedef struct vctx {
    const mt_hs_msg *m;
    const mt_hs_msg *ch; /* the ClientHello answered, or NULL */
    char *where;
    size_t where_cap;
    int is13; /* the message is in TLS 1.3 form */
    unsigned kind;
} vctx;

/* "Title.a.b.c: what" for node id; returns err. */
static int fail(const vctx *v, mt_hs_id id, int err, const char *what)
{
    if (!v->where || !v->where_cap) return err;
    const char *names[24];
    size_t n = 0;
    for (mt_hs_id k = id; k != MT_HS_NONE && k != MT_HS_ROOT && n < 24; k = mt_hs_parent(v->m, k)) {
        mt_hs_info in;
        mt_hs_node_info(v->m, k, &in);
        names[n++] = in.name ? in.name : "extension";
    }
    int len = snprintf(v->where, v->where_cap, "%s", mt_hs_msg_title(v->m));
    while (n > 0 && len >= 0 && (size_t)len < v->where_cap)
        len += snprintf(v->where + len, v->where_cap - (size_t)len, ".%s", names[--n]);
    if (len >= 0 && (size_t)len < v->where_cap)
        snprintf(v->where + len, v->where_cap - (size_t)len, ": %s", what);
    return err;
}

static uint64_t int_of(const mt_hs_msg *m, mt_hs_id id)
{
    uint64_t x = 0;
    if (id != MT_HS_NONE) mt_hs_get_int(m, id, &x);
    return x;
}

/* The extension of `type` in m's top-level list, if present and parsed. */
static mt_hs_id ext_of(const mt_hs_msg *m, unsigned type)
{
    mt_hs_id list = mt_hs_extensions(m);
    if (list == MT_HS_NONE) return MT_HS_NONE;
    return mt_hs_ext_find(m, list, type);
}

static int ext_parsed(const mt_hs_msg *m, mt_hs_id e)
{
    mt_hs_info in;
    return e != MT_HS_NONE && mt_hs_node_info(m, e, &in) == 0 && !in.raw;
}

/* 1 if the integer list `list` holds value x. */
static int list_has(const mt_hs_msg *m, mt_hs_id list, uint64_t x)
{
    for (mt_hs_id c = mt_hs_first(m, list); c != MT_HS_NONE; c = mt_hs_next(m, c))
        if (int_of(m, c) == x) return 1;
    return 0;
}

/* ---- 1 and 2: encoding consistency and RFC ranges, over the whole tree ---- */

static int check_node(const vctx *v, mt_hs_id id)
{
    mt_hs_info in;
    MT_TRY(mt_hs_node_info(v->m, id, &in));
    if (in.absent) return 0;
    int prefixed = in.kind == MT_HS_K_VEC || in.kind == MT_HS_K_LIST || in.kind == MT_HS_K_EXT ||
                   (in.kind == MT_HS_K_MSG && in.width != 0);
    size_t len = 0;
    if (prefixed) MT_TRY(mt_hs_node_content_len(v->m, id, &len));
    if (prefixed && in.has_len && in.len != len)
        return fail(v, id, MT_ERR_DECODE, "length field does not match the content");
    if (in.kind == MT_HS_K_OPAQUE && in.fixed && in.bytes.len != in.fixed)
        return fail(v, id, MT_ERR_DECODE, "wrong length for a fixed-size field");
    /* RFC 8446 3.4: vectors carry <floor..ceiling> bounds; RFC 8446 6.2 decode_error:
     * "some field was out of the specified range" */
    if ((in.kind == MT_HS_K_VEC || in.kind == MT_HS_K_LIST) && (len < in.min || len > in.max))
        return fail(v, id, MT_ERR_DECODE, "length out of the RFC range");
    if (in.kind == MT_HS_K_EXT && in.raw) return 0;
    for (mt_hs_id c = mt_hs_first(v->m, id); c != MT_HS_NONE; c = mt_hs_next(v->m, c))
        MT_TRY(check_node(v, c));
    return 0;
}

/* ---- 3: extension blocks ---- */

/* RFC 8446 4.2: the messages each known extension may appear in (TLS 1.3), plus RFC
 * 8449 (record_size_limit). TLS 1.2-only extensions are allowed only in ClientHello:
 * in a 1.3 server message they are "not specified for the message". */
#define CH MT_HS_EXTCTX_CH
#define SH MT_HS_EXTCTX_SH
#define HRR MT_HS_EXTCTX_HRR
#define EE MT_HS_EXTCTX_EE
#define CT MT_HS_EXTCTX_CT
#define CR MT_HS_EXTCTX_CR
#define NST MT_HS_EXTCTX_NST
static const struct {
    uint16_t type;
    uint8_t allowed;
} tls13_placement[] = {
    {0, CH | EE},        /* server_name */
    {1, CH | EE},        /* max_fragment_length */
    {5, CH | CR | CT},   /* status_request */
    {10, CH | EE},       /* supported_groups */
    {11, CH},            /* ec_point_formats (1.2 only) */
    {13, CH | CR},       /* signature_algorithms */
    {14, CH | EE},       /* use_srtp */
    {15, CH | EE},       /* heartbeat */
    {16, CH | EE},       /* application_layer_protocol_negotiation */
    {18, CH | CR | CT},  /* signed_certificate_timestamp */
    {19, CH | EE},       /* client_certificate_type */
    {20, CH | EE},       /* server_certificate_type */
    {21, CH},            /* padding */
    {22, CH},            /* encrypt_then_mac (1.2 only) */
    {23, CH},            /* extended_master_secret (1.2 only) */
    {28, CH | EE},       /* record_size_limit */
    {35, CH},            /* session_ticket (1.2 only) */
    {41, CH | SH},       /* pre_shared_key */
    {42, CH | EE | NST}, /* early_data */
    {43, CH | SH | HRR}, /* supported_versions */
    {44, CH | HRR},      /* cookie */
    {45, CH},            /* psk_key_exchange_modes */
    {47, CH | CR},       /* certificate_authorities */
    {48, CR},            /* oid_filters */
    {49, CH},            /* post_handshake_auth */
    {50, CH | CR},       /* signature_algorithms_cert */
    {51, CH | SH | HRR}, /* key_share */
    {0xFF01, CH},        /* renegotiation_info (1.2 only) */
};

static int placement(unsigned type)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(tls13_placement); i++)
        if (tls13_placement[i].type == type) return tls13_placement[i].allowed;
    return -1; /* not a recognised extension */
}

/* Did the ClientHello offer extension `type`? */
static int offered(const vctx *v, unsigned type)
{
    /* RFC 5746 3.3: TLS_EMPTY_RENEGOTIATION_INFO_SCSV "has the same semantics as an empty
     * "renegotiation_info" extension", so the server answers it with the extension. */
    if (type == MT_EXT_RENEGOTIATION_INFO &&
        list_has(v->ch, mt_hs_child(v->ch, MT_HS_ROOT, "cipher_suites"), 0x00FF))
        return 1;
    return ext_of(v->ch, type) != MT_HS_NONE;
}

static int check_ext_list(const vctx *v, mt_hs_id list)
{
    unsigned ctx = mt_hs_ext_context(v->m, list);
    /* a 1.3 Certificate entry's extensions follow the message's version form */
    int is13 = v->is13 || ctx == HRR || ctx == EE;
    for (mt_hs_id e = mt_hs_first(v->m, list); e != MT_HS_NONE; e = mt_hs_next(v->m, e)) {
        mt_hs_info in;
        mt_hs_node_info(v->m, e, &in);
        if (in.absent) continue;
        unsigned type = (unsigned)in.value;
        /* RFC 8446 4.2: "There MUST NOT be more than one extension of the same type in a
         * given extension block." No alert is named; OpenSSL and BoringSSL send
         * illegal_parameter. */
        for (mt_hs_id f = mt_hs_next(v->m, e); f != MT_HS_NONE; f = mt_hs_next(v->m, f)) {
            mt_hs_info fi;
            mt_hs_node_info(v->m, f, &fi);
            if (!fi.absent && fi.value == type)
                return fail(v, f, MT_ERR_ILLEGAL_PARAM, "duplicate extension");
        }
        /* RFC 8446 4.2: "If an implementation receives an extension which it recognizes
         * and which is not specified for the message in which it appears, it MUST abort
         * the handshake with an "illegal_parameter" alert." */
        int allowed = placement(type);
        if (is13 && allowed >= 0 && !(allowed & (int)ctx))
            return fail(v, e, MT_ERR_ILLEGAL_PARAM, "extension not allowed in this message");
        /* RFC 8446 4.2 / RFC 5246 7.4.1.4: responses only to what was requested, "with
         * the exception of the "cookie" extension in the HelloRetryRequest" ->
         * unsupported_extension. CertificateRequest and NewSessionTicket extensions are
         * not responses. */
        int response = ctx == SH || ctx == HRR || ctx == EE || ctx == CT;
        if (v->ch && response && !(ctx == HRR && type == MT_EXT_COOKIE) && !offered(v, type))
            return fail(v, e, MT_ERR_SENT(MT_ALERT_UNSUPPORTED_EXTENSION),
                        "extension the ClientHello did not offer");
    }
    return 0;
}

static int check_ext_lists(const vctx *v, mt_hs_id id)
{
    mt_hs_info in;
    MT_TRY(mt_hs_node_info(v->m, id, &in));
    if (in.absent) return 0;
    if (in.kind == MT_HS_K_LIST && mt_hs_ext_context(v->m, id)) MT_TRY(check_ext_list(v, id));
    for (mt_hs_id c = mt_hs_first(v->m, id); c != MT_HS_NONE; c = mt_hs_next(v->m, c))
        MT_TRY(check_ext_lists(v, c));
    return 0;
}

/* ---- 4: extension bodies ---- */

static int check_ext_bodies(const vctx *v)
{
    const mt_hs_msg *m = v->m;
    mt_hs_id e;
    int server = v->kind != MT_HS_CLIENT_HELLO;

    /* RFC 6066 4: "If a server receives a maximum fragment length negotiation request for
     * a value other than the allowed values, it MUST abort the handshake with an
     * "illegal_parameter" alert." (values 1..4; the same for the client) */
    e = ext_of(m, MT_EXT_MAX_FRAGMENT_LENGTH);
    if (ext_parsed(m, e)) {
        uint64_t x = int_of(m, mt_hs_child(m, e, "max_fragment_length"));
        if (x < 1 || x > 4) return fail(v, e, MT_ERR_ILLEGAL_PARAM, "value not in 1..4");
    }
    /* RFC 8449 4: "An endpoint MUST treat receipt of a smaller value [than 64] as a fatal
     * error and generate an "illegal_parameter" alert." */
    e = ext_of(m, MT_EXT_RECORD_SIZE_LIMIT);
    if (ext_parsed(m, e) && int_of(m, mt_hs_child(m, e, "record_size_limit")) < 64)
        return fail(v, e, MT_ERR_ILLEGAL_PARAM, "record_size_limit below 64");
    /* RFC 8422 5.1.2 / 5.2: the list MUST contain uncompressed (0); otherwise abort with
     * illegal_parameter. */
    e = ext_of(m, MT_EXT_EC_POINT_FORMATS);
    if (ext_parsed(m, e) && !list_has(m, mt_hs_child(m, e, "ec_point_format_list"), 0))
        return fail(v, e, MT_ERR_ILLEGAL_PARAM, "uncompressed point format missing");
    /* RFC 7301 3.1: in the server's extension "the ProtocolNameList MUST contain exactly
     * one ProtocolName". No alert named; OpenSSL sends decode_error (a shape rule). */
    e = ext_of(m, MT_EXT_ALPN);
    if (server && ext_parsed(m, e) && mt_hs_count(m, mt_hs_child(m, e, "protocol_name_list")) != 1)
        return fail(v, e, MT_ERR_DECODE, "server must select exactly one protocol");
    return 0;
}

/* ---- 4: per message ---- */

static int offers13(const mt_hs_msg *ch)
{
    mt_hs_id sv = ext_of(ch, MT_EXT_SUPPORTED_VERSIONS);
    return ext_parsed(ch, sv) && list_has(ch, mt_hs_child(ch, sv, "versions"), 0x0304);
}

static int check_client_hello(const vctx *v)
{
    const mt_hs_msg *m = v->m;
    mt_hs_id list = mt_hs_extensions(m);
    mt_hs_id psk = ext_of(m, MT_EXT_PRE_SHARED_KEY);

    /* RFC 8446 4.2.11: "The "pre_shared_key" extension MUST be the last extension in the
     * ClientHello ... Servers MUST check that it is the last extension and otherwise fail
     * the handshake with an "illegal_parameter" alert." */
    if (psk != MT_HS_NONE) {
        mt_hs_id last = MT_HS_NONE;
        for (mt_hs_id e = mt_hs_first(m, list); e != MT_HS_NONE; e = mt_hs_next(m, e))
            last = e;
        if (last != psk) return fail(v, psk, MT_ERR_ILLEGAL_PARAM, "not the last extension");
    }
    /* RFC 8446 4.2.11: one binder "for each value in the identities list". No alert
     * named; BoringSSL sends illegal_parameter on a count mismatch. */
    if (ext_parsed(m, psk) && mt_hs_count(m, mt_hs_child(m, psk, "identities")) !=
                                  mt_hs_count(m, mt_hs_child(m, psk, "binders")))
        return fail(v, psk, MT_ERR_ILLEGAL_PARAM, "identities and binders differ in number");

    /* RFC 8446 4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same
     * group. Clients MUST NOT offer any KeyShareEntry values for groups not listed in the
     * client's "supported_groups" extension. ... Servers MAY check for violations of
     * these rules and abort the handshake with an "illegal_parameter" alert" */
    mt_hs_id ks = ext_of(m, MT_EXT_KEY_SHARE);
    mt_hs_id sg = ext_of(m, MT_EXT_SUPPORTED_GROUPS);
    if (ext_parsed(m, ks)) {
        mt_hs_id shares = mt_hs_child(m, ks, "client_shares");
        for (mt_hs_id a = mt_hs_first(m, shares); a != MT_HS_NONE; a = mt_hs_next(m, a)) {
            uint64_t g = int_of(m, mt_hs_child(m, a, "group"));
            for (mt_hs_id b = mt_hs_next(m, a); b != MT_HS_NONE; b = mt_hs_next(m, b))
                if (int_of(m, mt_hs_child(m, b, "group")) == g)
                    return fail(v, b, MT_ERR_ILLEGAL_PARAM, "two shares for one group");
            if (ext_parsed(m, sg) && !list_has(m, mt_hs_child(m, sg, "named_group_list"), g))
                return fail(v, a, MT_ERR_ILLEGAL_PARAM, "share for a group not offered");
        }
    }

    if (!offers13(m)) return 0;
    /* RFC 8446 4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly
     * one byte, set to zero ... If a TLS 1.3 ClientHello is received with any other value
     * in this field, the server MUST abort the handshake with an "illegal_parameter"
     * alert." Applied when the context says the ClientHello is answered with 1.3. */
    mt_hs_id comp = mt_hs_child(m, MT_HS_ROOT, "legacy_compression_methods");
    if (v->is13 && (mt_hs_count(m, comp) != 1 || !list_has(m, comp, 0)))
        return fail(v, comp, MT_ERR_ILLEGAL_PARAM, "must be exactly [null] in TLS 1.3");
    /* RFC 8446 9.2: a ClientHello offering 1.3 "If not containing a "pre_shared_key"
     * extension, it MUST contain both a "signature_algorithms" extension and a
     * "supported_groups" extension. If containing a "supported_groups" extension, it MUST
     * also contain a "key_share" extension, and vice versa. ... Servers receiving a
     * ClientHello which does not conform to these requirements MUST abort the handshake
     * with a "missing_extension" alert." */
    const int missing = MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION);
    if (psk == MT_HS_NONE && ext_of(m, MT_EXT_SIGNATURE_ALGORITHMS) == MT_HS_NONE)
        return fail(v, list, missing, "signature_algorithms missing (RFC 8446 9.2)");
    if (psk == MT_HS_NONE && sg == MT_HS_NONE)
        return fail(v, list, missing, "supported_groups missing (RFC 8446 9.2)");
    if ((sg == MT_HS_NONE) != (ks == MT_HS_NONE))
        return fail(v, list, missing, "supported_groups and key_share must come together");
    /* RFC 8446 4.2.9: "If clients offer "pre_shared_key" without a
     * "psk_key_exchange_modes" extension, servers MUST abort the handshake." (9.2:
     * missing_extension) */
    if (psk != MT_HS_NONE && ext_of(m, MT_EXT_PSK_KEY_EXCHANGE_MODES) == MT_HS_NONE)
        return fail(v, list, missing, "pre_shared_key without psk_key_exchange_modes");
    return 0;
}

static int check_server_hello(const vctx *v)
{
    const mt_hs_msg *m = v->m;
    mt_hs_id sv = ext_of(m, MT_EXT_SUPPORTED_VERSIONS);
    if (ext_parsed(m, sv)) {
        uint64_t ver = int_of(m, mt_hs_child(m, sv, "selected_version"));
        /* RFC 8446 4.2.1: "If the "supported_versions" extension in the ServerHello
         * contains a version not offered by the client or contains a version prior to
         * TLS 1.3, the client MUST abort the handshake with an "illegal_parameter"
         * alert." */
        if (ver < 0x0304) return fail(v, sv, MT_ERR_ILLEGAL_PARAM, "version before TLS 1.3");
        mt_hs_id csv = v->ch ? ext_of(v->ch, MT_EXT_SUPPORTED_VERSIONS) : MT_HS_NONE;
        if (ext_parsed(v->ch, csv) && !list_has(v->ch, mt_hs_child(v->ch, csv, "versions"), ver))
            return fail(v, sv, MT_ERR_ILLEGAL_PARAM, "version the client did not offer");
    }
    if (!v->ch) return 0;
    /* RFC 8446 4.2.11: "Clients MUST verify that the server's selected_identity is within
     * the range supplied by the client ... or abort with an "illegal_parameter" alert" */
    mt_hs_id psk = ext_of(m, MT_EXT_PRE_SHARED_KEY);
    mt_hs_id cpsk = ext_of(v->ch, MT_EXT_PRE_SHARED_KEY);
    if (ext_parsed(m, psk) && ext_parsed(v->ch, cpsk) &&
        int_of(m, mt_hs_child(m, psk, "selected_identity")) >=
            mt_hs_count(v->ch, mt_hs_child(v->ch, cpsk, "identities")))
        return fail(v, psk, MT_ERR_ILLEGAL_PARAM, "selected_identity out of range");
    /* RFC 8446 4.2.8: the server's share "MUST be in the same group as the KeyShareEntry
     * value offered by the client that the server has selected" (clients check:
     * illegal_parameter) */
    mt_hs_id ks = ext_of(m, MT_EXT_KEY_SHARE);
    mt_hs_id cks = ext_of(v->ch, MT_EXT_KEY_SHARE);
    if (v->kind == MT_HS_SERVER_HELLO && ext_parsed(m, ks) && ext_parsed(v->ch, cks)) {
        uint64_t g = int_of(m, mt_hs_child(m, ks, "group"));
        int found = 0;
        mt_hs_id shares = mt_hs_child(v->ch, cks, "client_shares");
        for (mt_hs_id s = mt_hs_first(v->ch, shares); s != MT_HS_NONE; s = mt_hs_next(v->ch, s))
            found |= int_of(v->ch, mt_hs_child(v->ch, s, "group")) == g;
        if (!found) return fail(v, ks, MT_ERR_ILLEGAL_PARAM, "share in a group not offered");
    }
    return 0;
}

static int check_hrr(const vctx *v)
{
    const mt_hs_msg *m = v->m;
    MT_TRY(check_server_hello(v));
    /* RFC 8446 4.1.4: "Clients MUST abort the handshake with an "illegal_parameter"
     * alert if the HelloRetryRequest would not result in any change in the ClientHello."
     * Without a cookie or a key_share group there is nothing to change. */
    mt_hs_id ks = ext_of(m, MT_EXT_KEY_SHARE);
    if (ks == MT_HS_NONE && ext_of(m, MT_EXT_COOKIE) == MT_HS_NONE)
        return fail(v, mt_hs_extensions(m), MT_ERR_ILLEGAL_PARAM, "requests no change");
    /* RFC 8446 4.2.8: "Upon receipt of this extension in a HelloRetryRequest, the client
     * MUST verify that (1) the selected_group field corresponds to a group which was
     * provided in the "supported_groups" extension in the original ClientHello and (2)
     * the selected_group field does not correspond to a group which was provided in the
     * "key_share" extension in the original ClientHello. If either of these checks
     * fails, then the client MUST abort the handshake with an "illegal_parameter"
     * alert." */
    if (!v->ch || !ext_parsed(m, ks)) return 0;
    uint64_t g = int_of(m, mt_hs_child(m, ks, "selected_group"));
    mt_hs_id sg = ext_of(v->ch, MT_EXT_SUPPORTED_GROUPS);
    if (ext_parsed(v->ch, sg) && !list_has(v->ch, mt_hs_child(v->ch, sg, "named_group_list"), g))
        return fail(v, ks, MT_ERR_ILLEGAL_PARAM, "selected_group not in supported_groups");
    mt_hs_id cks = ext_of(v->ch, MT_EXT_KEY_SHARE);
    if (ext_parsed(v->ch, cks)) {
        mt_hs_id shares = mt_hs_child(v->ch, cks, "client_shares");
        for (mt_hs_id s = mt_hs_first(v->ch, shares); s != MT_HS_NONE; s = mt_hs_next(v->ch, s))
            if (int_of(v->ch, mt_hs_child(v->ch, s, "group")) == g)
                return fail(v, ks, MT_ERR_ILLEGAL_PARAM, "selected_group already shared");
    }
    return 0;
}

static int check_message(const vctx *v)
{
    const mt_hs_msg *m = v->m;
    mt_hs_id id;
    switch (v->kind) {
    case MT_HS_CLIENT_HELLO:
        return check_client_hello(v);
    case MT_HS_SERVER_HELLO:
        return check_server_hello(v);
    case MT_HS_HELLO_RETRY_REQUEST:
        return check_hrr(v);
    case MT_HS_CERTIFICATE:
        /* RFC 8446 4.4.2: "in the case of server authentication, this field SHALL be
         * zero length." No alert named; OpenSSL sends illegal_parameter. */
        id = mt_hs_child(m, MT_HS_ROOT, "certificate_request_context");
        if (v->is13 && mt_hs_msg_ctx(m)->side == MT_HS_SIDE_SERVER && id != MT_HS_NONE) {
            mt_slice s = {0};
            mt_hs_get_bytes(m, id, &s);
            if (s.len) return fail(v, id, MT_ERR_ILLEGAL_PARAM, "must be empty from a server");
        }
        return 0;
    case MT_HS_CERTIFICATE_REQUEST:
        /* RFC 8446 4.3.2: "The "signature_algorithms" extension MUST be specified" (9.2:
         * missing_extension) */
        if (v->is13 && ext_of(m, MT_EXT_SIGNATURE_ALGORITHMS) == MT_HS_NONE)
            return fail(v, mt_hs_extensions(m), MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION),
                        "signature_algorithms missing");
        return 0;
    case MT_HS_KEY_UPDATE:
        /* RFC 8446 4.6.3: "If an implementation receives any other value [than 0 or 1],
         * it MUST terminate the connection with an "illegal_parameter" alert." */
        id = mt_hs_child(m, MT_HS_ROOT, "request_update");
        if (int_of(m, id) > 1) return fail(v, id, MT_ERR_ILLEGAL_PARAM, "not 0 or 1");
        return 0;
    case 0x100 | MT_HS_CT_CHANGE_CIPHER_SPEC:
        /* RFC 8446 5: "An implementation which receives any other change_cipher_spec
         * value [than 0x01] ... MUST abort the handshake with an "unexpected_message"
         * alert." */
        id = mt_hs_child(m, MT_HS_ROOT, "type");
        if (int_of(m, id) != 1) return fail(v, id, MT_ERR_UNEXPECTED, "value is not 1");
        return 0;
    default:
        return 0;
    }
}

static int is13_form(const mt_hs_msg *m, unsigned kind)
{
    const mt_hs_ctx *ctx = mt_hs_msg_ctx(m);
    if (kind == MT_HS_HELLO_RETRY_REQUEST || kind == MT_HS_ENCRYPTED_EXTENSIONS) return 1;
    if (kind == MT_HS_SERVER_HELLO) {
        mt_hs_id sv = ext_of(m, MT_EXT_SUPPORTED_VERSIONS);
        if (ext_parsed(m, sv) && int_of(m, mt_hs_child(m, sv, "selected_version")) >= 0x0304)
            return 1;
    }
    return ctx->version >= 0x0304;
}

int mt_hs_validate(const mt_hs_msg *m, const mt_hs_msg *client_hello, char *where, size_t where_cap)
{
    if (where && where_cap) where[0] = 0;
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(!client_hello || mt_hs_msg_kind(client_hello) == MT_HS_CLIENT_HELLO,
              MT_ERR_BAD_PARAM);
    vctx v = {m, client_hello, where, where_cap, 0, mt_hs_msg_kind(m)};
    v.is13 = is13_form(m, v.kind);
    MT_TRY(check_node(&v, MT_HS_ROOT));
    MT_TRY(check_ext_lists(&v, MT_HS_ROOT));
    MT_TRY(check_ext_bodies(&v));
    return check_message(&v);
}
