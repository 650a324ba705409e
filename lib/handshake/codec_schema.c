/*
 * codec_schema.c - one static description per message body and extension body.
 *
 * Notes:
 * - Field names are the RFC structure member names (RFC 8446 4 and B.3, RFC 5246 7.4,
 *   RFC 4492 / 8422 5, RFC 6066, RFC 7301, RFC 8449, RFC 5077, RFC 6961/6066 8): they
 *   become the Lua table keys (SCRIPTING.md 6.4).
 * - min/max are the RFC's vector bounds (<min..max>, in bytes). The codec ignores them:
 *   a vector outside its range is well-formed here and refused by validate.c with
 *   decode_error (RFC 8446 6.2: "some field was out of the specified range").
 * - Where the format depends on the negotiated version, key exchange or signature form,
 *   mt_hs_schema_msg picks the variant from the explicit context.
 */
#include "handshake/codec_schema.h"

#include "internal.h"

#include <string.h>

const uint8_t mt_hs_hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

#define U8(n)                                                                                      \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_INT, .width = 1                                                 \
    }
#define U16(n)                                                                                     \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_INT, .width = 2                                                 \
    }
#define U32(n)                                                                                     \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_INT, .width = 4                                                 \
    }
#define FIXED(n, len)                                                                              \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_OPAQUE, .fixed = len, .min = len, .max = len                    \
    }
#define REST(n)                                                                                    \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_OPAQUE, .max = 0xFFFFFF                                         \
    }
#define VEC(n, w, lo, hi)                                                                          \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_VEC, .width = w, .min = lo, .max = hi                           \
    }
#define LIST(n, w, lo, hi, el)                                                                     \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_LIST, .width = w, .min = lo, .max = hi, .elem = &el             \
    }
#define EXTS(n, lo, ctx)                                                                           \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_LIST, .width = 2, .min = lo, .max = 0xFFFF, .elem = &ext_##ctx  \
    }
#define OPT_EXTS(n, ctx)                                                                           \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_LIST, .width = 2, .flags = MT_HS_F_OPTIONAL, .max = 0xFFFF,     \
        .elem = &ext_##ctx                                                                         \
    }
#define STRUCT(n, arr)                                                                             \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_STRUCT, .fields = arr, .nfields = MT_ARRAY_LEN(arr)             \
    }
#define EMPTY(n)                                                                                   \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_STRUCT                                                          \
    }
#define ROOT(n, w, arr)                                                                            \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_MSG, .width = w, .fields = arr, .nfields = MT_ARRAY_LEN(arr)    \
    }
#define RAW_ROOT(n, w)                                                                             \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_MSG, .width = w, .flags = MT_HS_F_RAW                           \
    }
#define EMPTY_ROOT(n, w)                                                                           \
    {                                                                                              \
        .name = n, .kind = MT_HS_K_MSG, .width = w                                                 \
    }

/* ---- list elements ---- */

static const mt_hs_field el_u8 = U8("value");
static const mt_hs_field el_cipher_suite = U16("cipher_suite");
static const mt_hs_field el_group = U16("group");
static const mt_hs_field el_scheme = U16("scheme");
static const mt_hs_field el_version = U16("version");
/* opaque ASN.1Cert<1..2^24-1> (RFC 5246 7.4.2) */
static const mt_hs_field el_cert = VEC("cert_data", 3, 1, 0xFFFFFF);
/* opaque DistinguishedName<1..2^16-1> (RFC 5246 7.4.4, RFC 8446 4.2.4) */
static const mt_hs_field el_dn = VEC("distinguished_name", 2, 1, 0xFFFF);
/* opaque ProtocolName<1..2^8-1> (RFC 7301 3.1) */
static const mt_hs_field el_protocol = VEC("protocol_name", 1, 1, 0xFF);
/* opaque ResponderID<1..2^16-1> (RFC 6066 8) */
static const mt_hs_field el_responder = VEC("responder_id", 2, 1, 0xFFFF);
/* opaque PskBinderEntry<32..255> (RFC 8446 4.2.11) */
static const mt_hs_field el_binder = VEC("binder", 1, 32, 0xFF);

static const mt_hs_field ext_ch = {
    .name = "extension", .kind = MT_HS_K_EXT, .ext_ctx = MT_HS_EXTCTX_CH};
static const mt_hs_field ext_sh = {
    .name = "extension", .kind = MT_HS_K_EXT, .ext_ctx = MT_HS_EXTCTX_SH};
static const mt_hs_field ext_hrr = {
    .name = "extension", .kind = MT_HS_K_EXT, .ext_ctx = MT_HS_EXTCTX_HRR};
static const mt_hs_field ext_ee = {
    .name = "extension", .kind = MT_HS_K_EXT, .ext_ctx = MT_HS_EXTCTX_EE};
static const mt_hs_field ext_ct = {
    .name = "extension", .kind = MT_HS_K_EXT, .ext_ctx = MT_HS_EXTCTX_CT};
static const mt_hs_field ext_cr = {
    .name = "extension", .kind = MT_HS_K_EXT, .ext_ctx = MT_HS_EXTCTX_CR};
static const mt_hs_field ext_nst = {
    .name = "extension", .kind = MT_HS_K_EXT, .ext_ctx = MT_HS_EXTCTX_NST};

/* RFC 6066 3: struct { NameType name_type; select (name_type) { case host_name: HostName; } } */
static const mt_hs_field f_server_name[] = {U8("name_type"), VEC("host_name", 2, 1, 0xFFFF)};
static const mt_hs_field el_server_name = STRUCT("server_name", f_server_name);
/* RFC 8446 4.2.8 KeyShareEntry */
static const mt_hs_field f_key_share_entry[] = {U16("group"), VEC("key_exchange", 2, 1, 0xFFFF)};
static const mt_hs_field el_key_share_entry = STRUCT("key_share_entry", f_key_share_entry);
/* RFC 8446 4.2.11 PskIdentity */
static const mt_hs_field f_psk_identity[] = {VEC("identity", 2, 1, 0xFFFF),
                                             U32("obfuscated_ticket_age")};
static const mt_hs_field el_psk_identity = STRUCT("psk_identity", f_psk_identity);
/* RFC 8446 4.4.2 CertificateEntry (X.509 form) */
static const mt_hs_field f_cert_entry[] = {VEC("cert_data", 3, 1, 0xFFFFFF),
                                           EXTS("extensions", 0, ct)};
static const mt_hs_field el_cert_entry = STRUCT("certificate_entry", f_cert_entry);

/* ---- extension bodies ---- */

static const mt_hs_field x_empty = EMPTY("empty");

static const mt_hs_field f_x_server_name[] = {
    LIST("server_name_list", 2, 1, 0xFFFF, el_server_name)};
static const mt_hs_field x_server_name = STRUCT("server_name", f_x_server_name);

static const mt_hs_field f_x_mfl[] = {U8("max_fragment_length")};
static const mt_hs_field x_mfl = STRUCT("max_fragment_length", f_x_mfl);

/* RFC 6066 8 CertificateStatusRequest with OCSPStatusRequest */
static const mt_hs_field f_x_status_req[] = {
    U8("status_type"),
    LIST("responder_id_list", 2, 0, 0xFFFF, el_responder),
    VEC("request_extensions", 2, 0, 0xFFFF),
};
static const mt_hs_field x_status_req = STRUCT("status_request", f_x_status_req);
/* RFC 8446 4.4.2.1: CertificateStatus inside a CertificateEntry */
static const mt_hs_field f_x_status[] = {U8("status_type"), VEC("response", 3, 1, 0xFFFFFF)};
static const mt_hs_field x_status = STRUCT("status_request", f_x_status);

static const mt_hs_field f_x_groups[] = {LIST("named_group_list", 2, 2, 0xFFFF, el_group)};
static const mt_hs_field x_groups = STRUCT("supported_groups", f_x_groups);

static const mt_hs_field f_x_pf[] = {LIST("ec_point_format_list", 1, 1, 0xFF, el_u8)};
static const mt_hs_field x_pf = STRUCT("ec_point_formats", f_x_pf);

static const mt_hs_field f_x_sigalgs[] = {
    LIST("supported_signature_algorithms", 2, 2, 0xFFFE, el_scheme)};
static const mt_hs_field x_sigalgs = STRUCT("signature_algorithms", f_x_sigalgs);

static const mt_hs_field f_x_alpn[] = {LIST("protocol_name_list", 2, 2, 0xFFFF, el_protocol)};
static const mt_hs_field x_alpn = STRUCT("alpn", f_x_alpn);

static const mt_hs_field f_x_padding[] = {REST("padding")};
static const mt_hs_field x_padding = STRUCT("padding", f_x_padding);

static const mt_hs_field f_x_rsl[] = {U16("record_size_limit")};
static const mt_hs_field x_rsl = STRUCT("record_size_limit", f_x_rsl);

/* RFC 5077 3.2: the ticket is the whole extension_data */
static const mt_hs_field f_x_ticket[] = {REST("ticket")};
static const mt_hs_field x_ticket = STRUCT("session_ticket", f_x_ticket);

static const mt_hs_field f_x_psk_ch[] = {
    LIST("identities", 2, 7, 0xFFFF, el_psk_identity),
    LIST("binders", 2, 33, 0xFFFF, el_binder),
};
static const mt_hs_field x_psk_ch = STRUCT("pre_shared_key", f_x_psk_ch);
static const mt_hs_field f_x_psk_sh[] = {U16("selected_identity")};
static const mt_hs_field x_psk_sh = STRUCT("pre_shared_key", f_x_psk_sh);

static const mt_hs_field f_x_early_nst[] = {U32("max_early_data_size")};
static const mt_hs_field x_early_nst = STRUCT("early_data", f_x_early_nst);

static const mt_hs_field f_x_sv_ch[] = {LIST("versions", 1, 2, 254, el_version)};
static const mt_hs_field x_sv_ch = STRUCT("supported_versions", f_x_sv_ch);
static const mt_hs_field f_x_sv_sh[] = {U16("selected_version")};
static const mt_hs_field x_sv_sh = STRUCT("supported_versions", f_x_sv_sh);

static const mt_hs_field f_x_cookie[] = {VEC("cookie", 2, 1, 0xFFFF)};
static const mt_hs_field x_cookie = STRUCT("cookie", f_x_cookie);

static const mt_hs_field f_x_pskmodes[] = {LIST("ke_modes", 1, 1, 0xFF, el_u8)};
static const mt_hs_field x_pskmodes = STRUCT("psk_key_exchange_modes", f_x_pskmodes);

static const mt_hs_field f_x_cas[] = {LIST("authorities", 2, 3, 0xFFFF, el_dn)};
static const mt_hs_field x_cas = STRUCT("certificate_authorities", f_x_cas);

static const mt_hs_field f_x_ks_ch[] = {LIST("client_shares", 2, 0, 0xFFFF, el_key_share_entry)};
static const mt_hs_field x_ks_ch = STRUCT("key_share", f_x_ks_ch);
static const mt_hs_field x_ks_sh = STRUCT("key_share", f_key_share_entry);
static const mt_hs_field f_x_ks_hrr[] = {U16("selected_group")};
static const mt_hs_field x_ks_hrr = STRUCT("key_share", f_x_ks_hrr);

static const mt_hs_field f_x_reneg[] = {VEC("renegotiated_connection", 1, 0, 0xFF)};
static const mt_hs_field x_reneg = STRUCT("renegotiation_info", f_x_reneg);

#define CH MT_HS_EXTCTX_CH
#define SH MT_HS_EXTCTX_SH
#define HRR MT_HS_EXTCTX_HRR
#define EE MT_HS_EXTCTX_EE
#define CT MT_HS_EXTCTX_CT
#define CR MT_HS_EXTCTX_CR
#define NST MT_HS_EXTCTX_NST

/* (type, messages) -> body. The first matching row wins. Bodies in messages not listed
 * (a key_share in EncryptedExtensions, say) are kept raw; validate.c decides whether the
 * extension may be there at all. */
static const struct {
    uint16_t type;
    uint8_t ctx;
    const mt_hs_field *body;
} ext_bodies[] = {
    {MT_EXT_SERVER_NAME, CH, &x_server_name},
    {MT_EXT_SERVER_NAME, SH | EE, &x_empty}, /* RFC 6066 3: "extension_data" empty */
    {MT_EXT_MAX_FRAGMENT_LENGTH, CH | SH | EE, &x_mfl},
    {MT_EXT_STATUS_REQUEST, CH, &x_status_req},
    /* RFC 6066 8: empty in the ServerHello; RFC 8446 4.4.2.1: empty in CertificateRequest */
    {MT_EXT_STATUS_REQUEST, SH | CR, &x_empty},
    {MT_EXT_STATUS_REQUEST, CT, &x_status},
    {MT_EXT_SUPPORTED_GROUPS, CH | EE, &x_groups},
    {MT_EXT_EC_POINT_FORMATS, CH | SH, &x_pf},
    {MT_EXT_SIGNATURE_ALGORITHMS, CH | CR, &x_sigalgs},
    {MT_EXT_SIGNATURE_ALGORITHMS_CERT, CH | CR, &x_sigalgs},
    {MT_EXT_ALPN, CH | SH | EE, &x_alpn},
    {MT_EXT_PADDING, CH, &x_padding},
    {MT_EXT_ENCRYPT_THEN_MAC, CH | SH, &x_empty},
    {MT_EXT_EXTENDED_MASTER_SECRET, CH | SH, &x_empty},
    {MT_EXT_RECORD_SIZE_LIMIT, CH | SH | EE, &x_rsl},
    {MT_EXT_SESSION_TICKET, CH | SH, &x_ticket},
    {MT_EXT_PRE_SHARED_KEY, CH, &x_psk_ch},
    {MT_EXT_PRE_SHARED_KEY, SH, &x_psk_sh},
    {MT_EXT_EARLY_DATA, CH | EE, &x_empty},
    {MT_EXT_EARLY_DATA, NST, &x_early_nst},
    {MT_EXT_SUPPORTED_VERSIONS, CH, &x_sv_ch},
    {MT_EXT_SUPPORTED_VERSIONS, SH | HRR, &x_sv_sh},
    {MT_EXT_COOKIE, CH | HRR, &x_cookie},
    {MT_EXT_PSK_KEY_EXCHANGE_MODES, CH, &x_pskmodes},
    {MT_EXT_CERTIFICATE_AUTHORITIES, CH | CR, &x_cas},
    {MT_EXT_POST_HANDSHAKE_AUTH, CH, &x_empty},
    {MT_EXT_KEY_SHARE, CH, &x_ks_ch},
    {MT_EXT_KEY_SHARE, SH, &x_ks_sh},
    {MT_EXT_KEY_SHARE, HRR, &x_ks_hrr},
    {MT_EXT_RENEGOTIATION_INFO, CH | SH, &x_reneg},
};

const mt_hs_field *mt_hs_schema_ext(unsigned type, unsigned ext_ctx)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(ext_bodies); i++)
        if (ext_bodies[i].type == type && (ext_bodies[i].ctx & ext_ctx)) return ext_bodies[i].body;
    return NULL;
}

/* ---- message bodies ---- */

/* RFC 8446 4.1.2 / RFC 5246 7.4.1.2 */
static const mt_hs_field f_client_hello[] = {
    U16("legacy_version"),
    FIXED("random", 32),
    VEC("legacy_session_id", 1, 0, 32),
    LIST("cipher_suites", 2, 2, 0xFFFE, el_cipher_suite),
    LIST("legacy_compression_methods", 1, 1, 0xFF, el_u8),
    OPT_EXTS("extensions", ch),
};
/* RFC 8446 4.1.3 / RFC 5246 7.4.1.3 */
static const mt_hs_field f_server_hello[] = {
    U16("legacy_version"),
    FIXED("random", 32),
    VEC("legacy_session_id_echo", 1, 0, 32),
    U16("cipher_suite"),
    U8("legacy_compression_method"),
    OPT_EXTS("extensions", sh),
};
static const mt_hs_field f_hrr[] = {
    U16("legacy_version"),
    FIXED("random", 32),
    VEC("legacy_session_id_echo", 1, 0, 32),
    U16("cipher_suite"),
    U8("legacy_compression_method"),
    OPT_EXTS("extensions", hrr),
};
/* RFC 5077 3.3 */
static const mt_hs_field f_nst12[] = {U32("ticket_lifetime_hint"), VEC("ticket", 2, 0, 0xFFFF)};
/* RFC 8446 4.6.1 */
static const mt_hs_field f_nst13[] = {
    U32("ticket_lifetime"),      U32("ticket_age_add"),      VEC("ticket_nonce", 1, 0, 0xFF),
    VEC("ticket", 2, 1, 0xFFFF), EXTS("extensions", 0, nst),
};
/* RFC 8446 4.3.1 */
static const mt_hs_field f_ee[] = {EXTS("extensions", 0, ee)};
/* RFC 5246 7.4.2 */
static const mt_hs_field f_cert12[] = {LIST("certificate_list", 3, 0, 0xFFFFFF, el_cert)};
/* RFC 8446 4.4.2 */
static const mt_hs_field f_cert13[] = {
    VEC("certificate_request_context", 1, 0, 0xFF),
    LIST("certificate_list", 3, 0, 0xFFFFFF, el_cert_entry),
};
/* RFC 8422 5.4 (named_curve) and 5.4 Signature; RFC 5246 7.4.3 */
static const mt_hs_field f_ske_ecdhe_scheme[] = {
    U8("curve_type"),
    U16("named_curve"),
    VEC("public", 1, 1, 0xFF),
    U16("algorithm"),
    VEC("signature", 2, 0, 0xFFFF),
};
static const mt_hs_field f_ske_ecdhe_legacy[] = {
    U8("curve_type"),
    U16("named_curve"),
    VEC("public", 1, 1, 0xFF),
    VEC("signature", 2, 0, 0xFFFF),
};
static const mt_hs_field f_ske_ecdhe_anon[] = {U8("curve_type"), U16("named_curve"),
                                               VEC("public", 1, 1, 0xFF)};
static const mt_hs_field f_ske_dhe_scheme[] = {
    VEC("dh_p", 2, 1, 0xFFFF), VEC("dh_g", 2, 1, 0xFFFF),      VEC("dh_Ys", 2, 1, 0xFFFF),
    U16("algorithm"),          VEC("signature", 2, 0, 0xFFFF),
};
static const mt_hs_field f_ske_dhe_legacy[] = {
    VEC("dh_p", 2, 1, 0xFFFF),
    VEC("dh_g", 2, 1, 0xFFFF),
    VEC("dh_Ys", 2, 1, 0xFFFF),
    VEC("signature", 2, 0, 0xFFFF),
};
static const mt_hs_field f_ske_dhe_anon[] = {VEC("dh_p", 2, 1, 0xFFFF), VEC("dh_g", 2, 1, 0xFFFF),
                                             VEC("dh_Ys", 2, 1, 0xFFFF)};
/* RFC 5246 7.4.4 (TLS 1.2: with supported_signature_algorithms) */
static const mt_hs_field f_cr12[] = {
    LIST("certificate_types", 1, 1, 0xFF, el_u8),
    LIST("supported_signature_algorithms", 2, 2, 0xFFFE, el_scheme),
    LIST("certificate_authorities", 2, 0, 0xFFFF, el_dn),
};
/* RFC 4346 7.4.4 (TLS 1.0/1.1) */
static const mt_hs_field f_cr10[] = {
    LIST("certificate_types", 1, 1, 0xFF, el_u8),
    LIST("certificate_authorities", 2, 0, 0xFFFF, el_dn),
};
/* RFC 8446 4.3.2 */
static const mt_hs_field f_cr13[] = {
    VEC("certificate_request_context", 1, 0, 0xFF),
    EXTS("extensions", 2, cr),
};
/* RFC 8446 4.4.3, RFC 5246 7.4.8 */
static const mt_hs_field f_cv_scheme[] = {U16("algorithm"), VEC("signature", 2, 0, 0xFFFF)};
static const mt_hs_field f_cv_legacy[] = {VEC("signature", 2, 0, 0xFFFF)};
/* RFC 5246 7.4.7.1 (TLS 1.0+: u16-prefixed), 7.4.7.2; RFC 8422 5.7 */
static const mt_hs_field f_cke_rsa[] = {VEC("encrypted_pre_master_secret", 2, 0, 0xFFFF)};
static const mt_hs_field f_cke_dhe[] = {VEC("dh_Yc", 2, 1, 0xFFFF)};
static const mt_hs_field f_cke_ecdhe[] = {VEC("ecdh_Yc", 1, 1, 0xFF)};
/* RFC 8446 4.4.4; RFC 5246 7.4.9 */
static const mt_hs_field f_finished[] = {REST("verify_data")};
/* RFC 6066 8 */
static const mt_hs_field f_cert_status[] = {U8("status_type"), VEC("response", 3, 1, 0xFFFFFF)};
/* RFC 8446 4.6.3 */
static const mt_hs_field f_key_update[] = {U8("request_update")};
/* RFC 8446 4.4.1: the body of message_hash is Hash(ClientHello1) */
static const mt_hs_field f_message_hash[] = {REST("hash")};
/* RFC 8446 6 */
static const mt_hs_field f_alert[] = {U8("level"), U8("description")};
/* RFC 5246 7.1 */
static const mt_hs_field f_ccs[] = {U8("type")};

static const mt_hs_field r_hello_request = EMPTY_ROOT("hello_request", 3);
static const mt_hs_field r_client_hello = ROOT("client_hello", 3, f_client_hello);
static const mt_hs_field r_server_hello = ROOT("server_hello", 3, f_server_hello);
static const mt_hs_field r_hrr = ROOT("hello_retry_request", 3, f_hrr);
static const mt_hs_field r_nst12 = ROOT("new_session_ticket", 3, f_nst12);
static const mt_hs_field r_nst13 = ROOT("new_session_ticket", 3, f_nst13);
static const mt_hs_field r_eoed = EMPTY_ROOT("end_of_early_data", 3);
static const mt_hs_field r_ee = ROOT("encrypted_extensions", 3, f_ee);
static const mt_hs_field r_cert12 = ROOT("certificate", 3, f_cert12);
static const mt_hs_field r_cert13 = ROOT("certificate", 3, f_cert13);
static const mt_hs_field r_ske_ecdhe_scheme = ROOT("server_key_exchange", 3, f_ske_ecdhe_scheme);
static const mt_hs_field r_ske_ecdhe_legacy = ROOT("server_key_exchange", 3, f_ske_ecdhe_legacy);
static const mt_hs_field r_ske_ecdhe_anon = ROOT("server_key_exchange", 3, f_ske_ecdhe_anon);
static const mt_hs_field r_ske_dhe_scheme = ROOT("server_key_exchange", 3, f_ske_dhe_scheme);
static const mt_hs_field r_ske_dhe_legacy = ROOT("server_key_exchange", 3, f_ske_dhe_legacy);
static const mt_hs_field r_ske_dhe_anon = ROOT("server_key_exchange", 3, f_ske_dhe_anon);
static const mt_hs_field r_ske_raw = RAW_ROOT("server_key_exchange", 3);
static const mt_hs_field r_cr12 = ROOT("certificate_request", 3, f_cr12);
static const mt_hs_field r_cr10 = ROOT("certificate_request", 3, f_cr10);
static const mt_hs_field r_cr13 = ROOT("certificate_request", 3, f_cr13);
static const mt_hs_field r_shd = EMPTY_ROOT("server_hello_done", 3);
static const mt_hs_field r_cv_scheme = ROOT("certificate_verify", 3, f_cv_scheme);
static const mt_hs_field r_cv_legacy = ROOT("certificate_verify", 3, f_cv_legacy);
static const mt_hs_field r_cke_rsa = ROOT("client_key_exchange", 3, f_cke_rsa);
static const mt_hs_field r_cke_dhe = ROOT("client_key_exchange", 3, f_cke_dhe);
static const mt_hs_field r_cke_ecdhe = ROOT("client_key_exchange", 3, f_cke_ecdhe);
static const mt_hs_field r_cke_raw = RAW_ROOT("client_key_exchange", 3);
static const mt_hs_field r_finished = ROOT("finished", 3, f_finished);
static const mt_hs_field r_cert_status = ROOT("certificate_status", 3, f_cert_status);
static const mt_hs_field r_key_update = ROOT("key_update", 3, f_key_update);
static const mt_hs_field r_message_hash = ROOT("message_hash", 3, f_message_hash);
static const mt_hs_field r_unknown = RAW_ROOT("unknown_handshake", 3);
static const mt_hs_field r_alert = ROOT("alert", 0, f_alert);
static const mt_hs_field r_ccs = ROOT("change_cipher_spec", 0, f_ccs);
static const mt_hs_field r_unknown_ct = RAW_ROOT("unknown_content", 0);

#define DEF(k, t, r)                                                                               \
    {                                                                                              \
        k, t, &r                                                                                   \
    }

static const mt_hs_msgdef d_hello_request =
    DEF(MT_HS_HELLO_REQUEST, "HelloRequest", r_hello_request);
static const mt_hs_msgdef d_client_hello = DEF(MT_HS_CLIENT_HELLO, "ClientHello", r_client_hello);
static const mt_hs_msgdef d_server_hello = DEF(MT_HS_SERVER_HELLO, "ServerHello", r_server_hello);
static const mt_hs_msgdef d_hrr = DEF(MT_HS_HELLO_RETRY_REQUEST, "HelloRetryRequest", r_hrr);
static const mt_hs_msgdef d_nst12 = DEF(MT_HS_NEW_SESSION_TICKET, "NewSessionTicket", r_nst12);
static const mt_hs_msgdef d_nst13 = DEF(MT_HS_NEW_SESSION_TICKET, "NewSessionTicket", r_nst13);
static const mt_hs_msgdef d_eoed = DEF(MT_HS_END_OF_EARLY_DATA, "EndOfEarlyData", r_eoed);
static const mt_hs_msgdef d_ee = DEF(MT_HS_ENCRYPTED_EXTENSIONS, "EncryptedExtensions", r_ee);
static const mt_hs_msgdef d_cert12 = DEF(MT_HS_CERTIFICATE, "Certificate", r_cert12);
static const mt_hs_msgdef d_cert13 = DEF(MT_HS_CERTIFICATE, "Certificate", r_cert13);
static const mt_hs_msgdef d_ske_ecdhe_scheme =
    DEF(MT_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange", r_ske_ecdhe_scheme);
static const mt_hs_msgdef d_ske_ecdhe_legacy =
    DEF(MT_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange", r_ske_ecdhe_legacy);
static const mt_hs_msgdef d_ske_ecdhe_anon =
    DEF(MT_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange", r_ske_ecdhe_anon);
static const mt_hs_msgdef d_ske_dhe_scheme =
    DEF(MT_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange", r_ske_dhe_scheme);
static const mt_hs_msgdef d_ske_dhe_legacy =
    DEF(MT_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange", r_ske_dhe_legacy);
static const mt_hs_msgdef d_ske_dhe_anon =
    DEF(MT_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange", r_ske_dhe_anon);
static const mt_hs_msgdef d_ske_raw =
    DEF(MT_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange", r_ske_raw);
static const mt_hs_msgdef d_cr12 = DEF(MT_HS_CERTIFICATE_REQUEST, "CertificateRequest", r_cr12);
static const mt_hs_msgdef d_cr10 = DEF(MT_HS_CERTIFICATE_REQUEST, "CertificateRequest", r_cr10);
static const mt_hs_msgdef d_cr13 = DEF(MT_HS_CERTIFICATE_REQUEST, "CertificateRequest", r_cr13);
static const mt_hs_msgdef d_shd = DEF(MT_HS_SERVER_HELLO_DONE, "ServerHelloDone", r_shd);
static const mt_hs_msgdef d_cv_scheme =
    DEF(MT_HS_CERTIFICATE_VERIFY, "CertificateVerify", r_cv_scheme);
static const mt_hs_msgdef d_cv_legacy =
    DEF(MT_HS_CERTIFICATE_VERIFY, "CertificateVerify", r_cv_legacy);
static const mt_hs_msgdef d_cke_rsa =
    DEF(MT_HS_CLIENT_KEY_EXCHANGE, "ClientKeyExchange", r_cke_rsa);
static const mt_hs_msgdef d_cke_dhe =
    DEF(MT_HS_CLIENT_KEY_EXCHANGE, "ClientKeyExchange", r_cke_dhe);
static const mt_hs_msgdef d_cke_ecdhe =
    DEF(MT_HS_CLIENT_KEY_EXCHANGE, "ClientKeyExchange", r_cke_ecdhe);
static const mt_hs_msgdef d_cke_raw =
    DEF(MT_HS_CLIENT_KEY_EXCHANGE, "ClientKeyExchange", r_cke_raw);
static const mt_hs_msgdef d_finished = DEF(MT_HS_FINISHED, "Finished", r_finished);
static const mt_hs_msgdef d_cert_status =
    DEF(MT_HS_CERTIFICATE_STATUS, "CertificateStatus", r_cert_status);
static const mt_hs_msgdef d_key_update = DEF(MT_HS_KEY_UPDATE, "KeyUpdate", r_key_update);
static const mt_hs_msgdef d_message_hash = DEF(MT_HS_MESSAGE_HASH, "message_hash", r_message_hash);
static const mt_hs_msgdef d_unknown = DEF(0x1FF, "Handshake", r_unknown);
static const mt_hs_msgdef d_alert = DEF(0x100 | MT_HS_CT_ALERT, "Alert", r_alert);
static const mt_hs_msgdef d_ccs =
    DEF(0x100 | MT_HS_CT_CHANGE_CIPHER_SPEC, "ChangeCipherSpec", r_ccs);
static const mt_hs_msgdef d_unknown_ct = DEF(0x1FE, "Content", r_unknown_ct);

/* Signature form: explicit, or from the version (RFC 5246 7.4.1.4.1 introduced
 * SignatureAndHashAlgorithm in 1.2; 1.3 always has a SignatureScheme). */
static int sig_form(const mt_hs_ctx *ctx)
{
    if (ctx->sig != MT_HS_SIG_DEFAULT) return ctx->sig;
    if (ctx->version != 0 && ctx->version < 0x0303) return MT_HS_SIG_LEGACY;
    return MT_HS_SIG_SCHEME;
}

static const mt_hs_msgdef *ske(const mt_hs_ctx *ctx)
{
    int sig = sig_form(ctx);
    switch (ctx->kx) {
    case MT_HS_KX_ECDHE:
        return sig == MT_HS_SIG_SCHEME   ? &d_ske_ecdhe_scheme
               : sig == MT_HS_SIG_LEGACY ? &d_ske_ecdhe_legacy
                                         : &d_ske_ecdhe_anon;
    case MT_HS_KX_DHE:
        return sig == MT_HS_SIG_SCHEME   ? &d_ske_dhe_scheme
               : sig == MT_HS_SIG_LEGACY ? &d_ske_dhe_legacy
                                         : &d_ske_dhe_anon;
    default: /* RSA export and unknown key exchanges: keep the body raw */
        return &d_ske_raw;
    }
}

static const mt_hs_msgdef *cke(const mt_hs_ctx *ctx)
{
    switch (ctx->kx) {
    case MT_HS_KX_RSA:
        return &d_cke_rsa;
    case MT_HS_KX_DHE:
        return &d_cke_dhe;
    case MT_HS_KX_ECDHE:
        return &d_cke_ecdhe;
    default:
        return &d_cke_raw;
    }
}

const mt_hs_msgdef *mt_hs_schema_msg(const mt_hs_ctx *ctx, unsigned kind)
{
    int is13 = mt_hs_ctx_is13(ctx);
    unsigned ct = ctx->content_type ? ctx->content_type : MT_HS_CT_HANDSHAKE;
    if (ct == MT_HS_CT_ALERT) return &d_alert;
    if (ct == MT_HS_CT_CHANGE_CIPHER_SPEC) return &d_ccs;
    if (ct != MT_HS_CT_HANDSHAKE) return &d_unknown_ct;
    switch (kind) {
    case MT_HS_HELLO_REQUEST:
        return &d_hello_request;
    case MT_HS_CLIENT_HELLO:
        return &d_client_hello;
    case MT_HS_SERVER_HELLO:
        return &d_server_hello;
    case MT_HS_HELLO_RETRY_REQUEST:
        return &d_hrr;
    case MT_HS_NEW_SESSION_TICKET:
        return is13 ? &d_nst13 : &d_nst12;
    case MT_HS_END_OF_EARLY_DATA:
        return &d_eoed;
    case MT_HS_ENCRYPTED_EXTENSIONS:
        return &d_ee;
    case MT_HS_CERTIFICATE:
        return is13 ? &d_cert13 : &d_cert12;
    case MT_HS_SERVER_KEY_EXCHANGE:
        return ske(ctx);
    case MT_HS_CERTIFICATE_REQUEST:
        if (is13) return &d_cr13;
        return sig_form(ctx) == MT_HS_SIG_LEGACY ? &d_cr10 : &d_cr12;
    case MT_HS_SERVER_HELLO_DONE:
        return &d_shd;
    case MT_HS_CERTIFICATE_VERIFY:
        return (!is13 && sig_form(ctx) != MT_HS_SIG_SCHEME) ? &d_cv_legacy : &d_cv_scheme;
    case MT_HS_CLIENT_KEY_EXCHANGE:
        return cke(ctx);
    case MT_HS_FINISHED:
        return &d_finished;
    case MT_HS_CERTIFICATE_STATUS:
        return &d_cert_status;
    case MT_HS_KEY_UPDATE:
        return &d_key_update;
    case MT_HS_MESSAGE_HASH:
        return &d_message_hash;
    default:
        return &d_unknown;
    }
}
