/*
 * names.c - code point <-> name tables (see names.h).
 *
 * Notes:
 * - One sorted const array per kind; lookups are linear (the largest table has about a
 *   hundred entries and lookups are for diagnostics and set-up, not per byte), which keeps
 *   the tables plain data that a test can check for order and uniqueness.
 * - Sources: IANA TLS registries; RFC 8446 4 and B.3 (1.3 types, extensions, suites,
 *   groups, schemes), RFC 5246 A, RFC 8422, RFC 7919 (ffdhe), RFC 7905 (ChaCha20), RFC
 *   6655 / 7251 (CCM), RFC 7507 (FALLBACK_SCSV), RFC 5746 (renegotiation SCSV), RFC 8701
 *   (GREASE).
 */
#include "handshake/names.h"

#include "internal.h"

#include <string.h>

typedef struct {
    uint32_t code;
    const char *name;
} entry;

typedef struct {
    const char *kind_name;
    const entry *list;
    size_t n;
    const entry *aliases;
    size_t naliases;
    int grease; /* 0: none, 2: u16 0x?a?a pattern, 1: u8 0x0b + 0x1f*k (RFC 8701 2) */
} table;

static const entry handshake[] = {
    {0, "hello_request"},
    {1, "client_hello"},
    {2, "server_hello"},
    {3, "hello_verify_request"},
    {4, "new_session_ticket"},
    {5, "end_of_early_data"},
    {6, "hello_retry_request_RESERVED"},
    {8, "encrypted_extensions"},
    {11, "certificate"},
    {12, "server_key_exchange"},
    {13, "certificate_request"},
    {14, "server_hello_done"},
    {15, "certificate_verify"},
    {16, "client_key_exchange"},
    {20, "finished"},
    {21, "certificate_url"},
    {22, "certificate_status"},
    {23, "supplemental_data"},
    {24, "key_update"},
    {25, "compressed_certificate"},
    {26, "ekt_key"},
    {254, "message_hash"},
};
/* A HelloRetryRequest is a ServerHello on the wire (RFC 8446 4.1.3). */
static const entry handshake_alias[] = {{2, "hello_retry_request"}};

static const entry extension[] = {
    {0, "server_name"},
    {1, "max_fragment_length"},
    {2, "client_certificate_url"},
    {3, "trusted_ca_keys"},
    {4, "truncated_hmac"},
    {5, "status_request"},
    {6, "user_mapping"},
    {7, "client_authz"},
    {8, "server_authz"},
    {9, "cert_type"},
    {10, "supported_groups"},
    {11, "ec_point_formats"},
    {12, "srp"},
    {13, "signature_algorithms"},
    {14, "use_srtp"},
    {15, "heartbeat"},
    {16, "application_layer_protocol_negotiation"},
    {17, "status_request_v2"},
    {18, "signed_certificate_timestamp"},
    {19, "client_certificate_type"},
    {20, "server_certificate_type"},
    {21, "padding"},
    {22, "encrypt_then_mac"},
    {23, "extended_master_secret"},
    {24, "token_binding"},
    {25, "cached_info"},
    {27, "compress_certificate"},
    {28, "record_size_limit"},
    {34, "delegated_credential"},
    {35, "session_ticket"},
    {41, "pre_shared_key"},
    {42, "early_data"},
    {43, "supported_versions"},
    {44, "cookie"},
    {45, "psk_key_exchange_modes"},
    {47, "certificate_authorities"},
    {48, "oid_filters"},
    {49, "post_handshake_auth"},
    {50, "signature_algorithms_cert"},
    {51, "key_share"},
    {57, "quic_transport_parameters"},
    {13172, "next_protocol_negotiation"},
    {17513, "application_settings"},
    {65037, "encrypted_client_hello"},
    {65281, "renegotiation_info"},
};
static const entry extension_alias[] = {
    {16, "alpn"}, {10, "elliptic_curves"}, /* RFC 4492 name */
};

static const entry suite[] = {
    {0x0000, "TLS_NULL_WITH_NULL_NULL"},
    {0x0001, "TLS_RSA_WITH_NULL_MD5"},
    {0x0002, "TLS_RSA_WITH_NULL_SHA"},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003B, "TLS_RSA_WITH_NULL_SHA256"},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
    {0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA"},
    {0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA"},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
    {0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
    {0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
    {0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
    {0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0x5600, "TLS_FALLBACK_SCSV"},
    {0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
    {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
    {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xC09C, "TLS_RSA_WITH_AES_128_CCM"},
    {0xC09D, "TLS_RSA_WITH_AES_256_CCM"},
    {0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"},
    {0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"},
    {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
    {0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
    {0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
};

static const entry group[] = {
    {21, "secp224r1"},
    {22, "secp256k1"},
    {23, "secp256r1"},
    {24, "secp384r1"},
    {25, "secp521r1"},
    {26, "brainpoolP256r1"},
    {27, "brainpoolP384r1"},
    {28, "brainpoolP512r1"},
    {29, "x25519"},
    {30, "x448"},
    {31, "brainpoolP256r1tls13"},
    {32, "brainpoolP384r1tls13"},
    {33, "brainpoolP512r1tls13"},
    {256, "ffdhe2048"},
    {257, "ffdhe3072"},
    {258, "ffdhe4096"},
    {259, "ffdhe6144"},
    {260, "ffdhe8192"},
    {512, "MLKEM512"},
    {513, "MLKEM768"},
    {514, "MLKEM1024"},
    {4587, "SecP256r1MLKEM768"},
    {4588, "X25519MLKEM768"},
    {4589, "SecP384r1MLKEM1024"},
    {25497, "X25519Kyber768Draft00"},
    {65281, "arbitrary_explicit_prime_curves"},
    {65282, "arbitrary_explicit_char2_curves"},
};
static const entry group_alias[] = {
    {23, "P-256"}, {24, "P-384"}, {25, "P-521"}, {29, "X25519"}, {30, "X448"},
};

static const entry sigscheme[] = {
    {0x0201, "rsa_pkcs1_sha1"},
    {0x0202, "dsa_sha1"},
    {0x0203, "ecdsa_sha1"},
    {0x0301, "rsa_sha224"},
    {0x0302, "dsa_sha224"},
    {0x0303, "ecdsa_sha224"},
    {0x0401, "rsa_pkcs1_sha256"},
    {0x0402, "dsa_sha256"},
    {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0501, "rsa_pkcs1_sha384"},
    {0x0502, "dsa_sha384"},
    {0x0503, "ecdsa_secp384r1_sha384"},
    {0x0601, "rsa_pkcs1_sha512"},
    {0x0602, "dsa_sha512"},
    {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0804, "rsa_pss_rsae_sha256"},
    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},
    {0x0808, "ed448"},
    {0x0809, "rsa_pss_pss_sha256"},
    {0x080A, "rsa_pss_pss_sha384"},
    {0x080B, "rsa_pss_pss_sha512"},
    {0x081A, "ecdsa_brainpoolP256r1tls13_sha256"},
    {0x081B, "ecdsa_brainpoolP384r1tls13_sha384"},
    {0x081C, "ecdsa_brainpoolP512r1tls13_sha512"},
};

static const entry alert_level[] = {{1, "warning"}, {2, "fatal"}};

static const entry content_type[] = {
    {20, "change_cipher_spec"}, {21, "alert"},     {22, "handshake"},
    {23, "application_data"},   {24, "heartbeat"},
};

static const entry version[] = {
    {0x0300, "ssl3"}, {0x0301, "1.0"}, {0x0302, "1.1"}, {0x0303, "1.2"}, {0x0304, "1.3"},
};
static const entry version_alias[] = {
    {0x0301, "tls1.0"},
    {0x0302, "tls1.1"},
    {0x0303, "tls1.2"},
    {0x0304, "tls1.3"},
};

static const entry psk_mode[] = {{0, "psk_ke"}, {1, "psk_dhe_ke"}};

static const entry ec_point_format[] = {
    {0, "uncompressed"},
    {1, "ansiX962_compressed_prime"},
    {2, "ansiX962_compressed_char2"},
};

static const entry cert_type[] = {
    {1, "rsa_sign"},         {2, "dss_sign"},          {3, "rsa_fixed_dh"},  {4, "dss_fixed_dh"},
    {5, "rsa_ephemeral_dh"}, {6, "dss_ephemeral_dh"},  {20, "fortezza_dms"}, {64, "ecdsa_sign"},
    {65, "rsa_fixed_ecdh"},  {66, "ecdsa_fixed_ecdh"},
};

static const entry cert_status_type[] = {{1, "ocsp"}, {2, "ocsp_multi"}};

#define T(kn, l, a, g)                                                                             \
    {                                                                                              \
        kn, l, MT_ARRAY_LEN(l), a, MT_ARRAY_LEN(a), g                                              \
    }
#define TN(kn, l, g)                                                                               \
    {                                                                                              \
        kn, l, MT_ARRAY_LEN(l), NULL, 0, g                                                         \
    }

static const table tables[MT_NAME_KIND_COUNT] = {
    [MT_NAME_HANDSHAKE] = T("handshake_type", handshake, handshake_alias, 0),
    [MT_NAME_EXTENSION] = T("extension_type", extension, extension_alias, 2),
    [MT_NAME_CIPHER_SUITE] = TN("cipher_suite", suite, 2),
    [MT_NAME_GROUP] = T("named_group", group, group_alias, 2),
    [MT_NAME_SIGSCHEME] = TN("signature_scheme", sigscheme, 2),
    [MT_NAME_ALERT] = {"alert_description", NULL, 0, NULL, 0, 0},
    [MT_NAME_ALERT_LEVEL] = TN("alert_level", alert_level, 0),
    [MT_NAME_CONTENT_TYPE] = TN("content_type", content_type, 0),
    [MT_NAME_VERSION] = T("protocol_version", version, version_alias, 2),
    [MT_NAME_PSK_MODE] = TN("psk_key_exchange_mode", psk_mode, 1),
    [MT_NAME_EC_POINT_FORMAT] = TN("ec_point_format", ec_point_format, 0),
    [MT_NAME_CERT_TYPE] = TN("client_certificate_type", cert_type, 0),
    [MT_NAME_CERT_STATUS_TYPE] = TN("certificate_status_type", cert_status_type, 0),
};

static const table *get_table(mt_name_kind kind)
{
    if ((unsigned)kind >= MT_NAME_KIND_COUNT) return NULL;
    return &tables[kind];
}

int mt_name_is_grease(mt_name_kind kind, uint32_t code)
{
    const table *t = get_table(kind);
    if (!t) return 0;
    switch (t->grease) {
    case 2: /* RFC 8701 2: {0x0A,0x0A}, {0x1A,0x1A}, ... {0xFA,0xFA} */
        return code <= 0xFFFF && (code & 0x0F0F) == 0x0A0A && (code >> 8) == (code & 0xFF);
    case 1: /* RFC 8701 2: PskKeyExchangeMode 0x0B, 0x2A, 0x49, ... 0xE4 */
        return code >= 0x0B && code <= 0xE4 && (code - 0x0B) % 0x1F == 0;
    default:
        return 0;
    }
}

const char *mt_name_of(mt_name_kind kind, uint32_t code)
{
    const table *t = get_table(kind);
    if (!t) return NULL;
    if (kind == MT_NAME_ALERT) return code <= 0xFF ? mt_alert_name((int)code) : NULL;
    for (size_t i = 0; i < t->n; i++)
        if (t->list[i].code == code) return t->list[i].name;
    if (mt_name_is_grease(kind, code)) return "grease";
    return NULL;
}

int mt_name_code(mt_name_kind kind, const char *name, uint32_t *code)
{
    const table *t = get_table(kind);
    MT_ENSURE(t && name && code, MT_ERR_BAD_PARAM);
    if (kind == MT_NAME_ALERT) {
        int a = mt_alert_by_name(name);
        MT_ENSURE(a >= 0, MT_ERR_NOT_FOUND);
        *code = (uint32_t)a;
        return 0;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->list[i].name, name) == 0) {
            *code = t->list[i].code;
            return 0;
        }
    }
    for (size_t i = 0; i < t->naliases; i++) {
        if (strcmp(t->aliases[i].name, name) == 0) {
            *code = t->aliases[i].code;
            return 0;
        }
    }
    if (t->grease && strcmp(name, "grease") == 0) {
        *code = t->grease == 2 ? 0x0A0A : 0x0B;
        return 0;
    }
    return MT_ERR_NOT_FOUND;
}

size_t mt_name_count(mt_name_kind kind)
{
    const table *t = get_table(kind);
    if (!t) return 0;
    if (kind != MT_NAME_ALERT) return t->n;
    size_t n = 0;
    for (int a = 0; a <= 0xFF; a++)
        n += mt_alert_name(a) != NULL;
    return n;
}

int mt_name_at(mt_name_kind kind, size_t i, uint32_t *code, const char **name)
{
    const table *t = get_table(kind);
    MT_ENSURE(t && code && name, MT_ERR_BAD_PARAM);
    if (kind == MT_NAME_ALERT) {
        for (int a = 0; a <= 0xFF; a++) {
            if (!mt_alert_name(a)) continue;
            if (i-- == 0) {
                *code = (uint32_t)a;
                *name = mt_alert_name(a);
                return 0;
            }
        }
        return MT_ERR_NOT_FOUND;
    }
    MT_ENSURE(i < t->n, MT_ERR_NOT_FOUND);
    *code = t->list[i].code;
    *name = t->list[i].name;
    return 0;
}

const char *mt_name_kind_name(mt_name_kind kind)
{
    const table *t = get_table(kind);
    return t ? t->kind_name : NULL;
}
