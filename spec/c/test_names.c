/*
 * test_names.c - the code point <-> name table: every table sorted and unique both
 * ways, every entry round-trips, registry facts for each kind, aliases, GREASE, alerts
 * shared with lib/err.c, and agreement with the codec's message names.
 */
#include "handshake/codec.h"
#include "handshake/names.h"
#include "moontls.h"
#include "test.h"

static void test_tables_sorted_unique_roundtrip(void)
{
    for (int k = 0; k < MT_NAME_KIND_COUNT; k++) {
        size_t n = mt_name_count((mt_name_kind)k);
        CHECK(n >= 2);
        CHECK(mt_name_kind_name((mt_name_kind)k) != NULL);
        uint32_t prev = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t code, back;
            const char *name;
            CHECK_EQ(mt_name_at((mt_name_kind)k, i, &code, &name), 0);
            if (i) CHECK(code > prev); /* ascending, so codes are unique */
            prev = code;
            CHECK(strcmp(mt_name_of((mt_name_kind)k, code), name) == 0);
            CHECK_EQ(mt_name_code((mt_name_kind)k, name, &back), 0);
            CHECK_EQ(back, code);
            CHECK(!mt_name_is_grease((mt_name_kind)k, code));
            for (size_t j = 0; j < i; j++) { /* names unique within a kind */
                uint32_t c2;
                const char *n2;
                mt_name_at((mt_name_kind)k, j, &c2, &n2);
                CHECK(strcmp(n2, name) != 0);
            }
        }
        uint32_t c;
        const char *nm;
        CHECK_EQ(mt_name_at((mt_name_kind)k, n, &c, &nm), MT_ERR_NOT_FOUND);
    }
}

static void test_registry_facts(void)
{
    static const struct {
        mt_name_kind kind;
        const char *name;
        uint32_t code;
    } facts[] = {
        {MT_NAME_HANDSHAKE, "client_hello", 1},
        {MT_NAME_HANDSHAKE, "encrypted_extensions", 8},
        {MT_NAME_HANDSHAKE, "certificate_status", 22},
        {MT_NAME_HANDSHAKE, "key_update", 24},
        {MT_NAME_HANDSHAKE, "message_hash", 254},
        {MT_NAME_EXTENSION, "server_name", 0},
        {MT_NAME_EXTENSION, "application_layer_protocol_negotiation", 16},
        {MT_NAME_EXTENSION, "record_size_limit", 28},
        {MT_NAME_EXTENSION, "pre_shared_key", 41},
        {MT_NAME_EXTENSION, "key_share", 51},
        {MT_NAME_EXTENSION, "renegotiation_info", 0xFF01},
        {MT_NAME_CIPHER_SUITE, "TLS_AES_128_GCM_SHA256", 0x1301},
        {MT_NAME_CIPHER_SUITE, "TLS_AES_256_GCM_SHA384", 0x1302},
        {MT_NAME_CIPHER_SUITE, "TLS_CHACHA20_POLY1305_SHA256", 0x1303},
        {MT_NAME_CIPHER_SUITE, "TLS_AES_128_CCM_SHA256", 0x1304},
        {MT_NAME_CIPHER_SUITE, "TLS_AES_128_CCM_8_SHA256", 0x1305},
        {MT_NAME_CIPHER_SUITE, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F},
        {MT_NAME_CIPHER_SUITE, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9},
        {MT_NAME_CIPHER_SUITE, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x009F},
        {MT_NAME_CIPHER_SUITE, "TLS_RSA_WITH_AES_128_CBC_SHA", 0x002F},
        {MT_NAME_CIPHER_SUITE, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xC028},
        {MT_NAME_CIPHER_SUITE, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", 0x00FF},
        {MT_NAME_CIPHER_SUITE, "TLS_FALLBACK_SCSV", 0x5600},
        {MT_NAME_GROUP, "secp256r1", 23},
        {MT_NAME_GROUP, "x25519", 29},
        {MT_NAME_GROUP, "x448", 30},
        {MT_NAME_GROUP, "ffdhe2048", 0x0100},
        {MT_NAME_GROUP, "ffdhe8192", 0x0104},
        {MT_NAME_SIGSCHEME, "rsa_pkcs1_sha256", 0x0401},
        {MT_NAME_SIGSCHEME, "ecdsa_secp256r1_sha256", 0x0403},
        {MT_NAME_SIGSCHEME, "rsa_pss_rsae_sha256", 0x0804},
        {MT_NAME_SIGSCHEME, "ed25519", 0x0807},
        {MT_NAME_SIGSCHEME, "rsa_pss_pss_sha512", 0x080B},
        {MT_NAME_ALERT, "decode_error", 50},
        {MT_NAME_ALERT, "missing_extension", 109},
        {MT_NAME_ALERT_LEVEL, "fatal", 2},
        {MT_NAME_CONTENT_TYPE, "handshake", 22},
        {MT_NAME_CONTENT_TYPE, "application_data", 23},
        {MT_NAME_VERSION, "1.3", 0x0304},
        {MT_NAME_VERSION, "1.0", 0x0301},
        {MT_NAME_PSK_MODE, "psk_dhe_ke", 1},
        {MT_NAME_EC_POINT_FORMAT, "uncompressed", 0},
        {MT_NAME_CERT_TYPE, "ecdsa_sign", 64},
        {MT_NAME_CERT_STATUS_TYPE, "ocsp", 1},
    };
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        uint32_t code = 0xFFFFFFFF;
        CHECK_EQ(mt_name_code(facts[i].kind, facts[i].name, &code), 0);
        CHECK_EQ(code, facts[i].code);
        const char *n = mt_name_of(facts[i].kind, facts[i].code);
        CHECK(n && strcmp(n, facts[i].name) == 0);
    }
    /* TLS 1.3 has exactly these five suites in 0x13xx */
    size_t n13 = 0;
    for (uint32_t c = 0x1300; c < 0x1400; c++)
        n13 += mt_name_of(MT_NAME_CIPHER_SUITE, c) != NULL;
    CHECK_EQ(n13, 5);
    /* the five ffdhe groups */
    for (uint32_t c = 0x0100; c <= 0x0104; c++)
        CHECK(strncmp(mt_name_of(MT_NAME_GROUP, c), "ffdhe", 5) == 0);
}

static void test_aliases_grease_unknown(void)
{
    uint32_t code;
    CHECK_EQ(mt_name_code(MT_NAME_EXTENSION, "alpn", &code), 0);
    CHECK_EQ(code, 16);
    CHECK_EQ(mt_name_code(MT_NAME_HANDSHAKE, "hello_retry_request", &code), 0);
    CHECK_EQ(code, 2);
    CHECK_EQ(mt_name_code(MT_NAME_VERSION, "tls1.2", &code), 0);
    CHECK_EQ(code, 0x0303);
    CHECK_EQ(mt_name_code(MT_NAME_GROUP, "P-256", &code), 0);
    CHECK_EQ(code, 23);
    /* aliases never become the code's name */
    CHECK(strcmp(mt_name_of(MT_NAME_EXTENSION, 16), "application_layer_protocol_negotiation") == 0);
    /* RFC 8701: 0x0A0A .. 0xFAFA, and PSK modes 0x0B + 0x1F k */
    for (uint32_t h = 0x0A; h <= 0xFA; h += 0x10) {
        uint32_t g = h << 8 | h;
        CHECK(strcmp(mt_name_of(MT_NAME_GROUP, g), "grease") == 0);
        CHECK(strcmp(mt_name_of(MT_NAME_CIPHER_SUITE, g), "grease") == 0);
        CHECK(strcmp(mt_name_of(MT_NAME_EXTENSION, g), "grease") == 0);
        CHECK(strcmp(mt_name_of(MT_NAME_VERSION, g), "grease") == 0);
        CHECK(strcmp(mt_name_of(MT_NAME_SIGSCHEME, g), "grease") == 0);
    }
    CHECK(mt_name_of(MT_NAME_GROUP, 0x0A1A) == NULL);
    CHECK(mt_name_is_grease(MT_NAME_PSK_MODE, 0x0B) && mt_name_is_grease(MT_NAME_PSK_MODE, 0xE4));
    CHECK(!mt_name_is_grease(MT_NAME_PSK_MODE, 0x0C));
    CHECK(!mt_name_is_grease(MT_NAME_HANDSHAKE, 0x0A));
    CHECK_EQ(mt_name_code(MT_NAME_GROUP, "grease", &code), 0);
    CHECK_EQ(code, 0x0A0A);
    CHECK_EQ(mt_name_code(MT_NAME_PSK_MODE, "grease", &code), 0);
    CHECK_EQ(code, 0x0B);
    CHECK_EQ(mt_name_code(MT_NAME_HANDSHAKE, "grease", &code), MT_ERR_NOT_FOUND);
    /* unknowns and misuse */
    CHECK(mt_name_of(MT_NAME_EXTENSION, 0x1234) == NULL);
    CHECK(mt_name_of(MT_NAME_ALERT, 300) == NULL);
    CHECK(mt_name_of(MT_NAME_KIND_COUNT, 1) == NULL);
    CHECK(mt_name_kind_name(MT_NAME_KIND_COUNT) == NULL);
    CHECK_EQ(mt_name_count(MT_NAME_KIND_COUNT), 0);
    CHECK_EQ(mt_name_code(MT_NAME_GROUP, "no_such_group", &code), MT_ERR_NOT_FOUND);
    CHECK_EQ(mt_name_code(MT_NAME_GROUP, NULL, &code), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_name_code(MT_NAME_KIND_COUNT, "x", &code), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_name_code(MT_NAME_ALERT, "no_such_alert", &code), MT_ERR_NOT_FOUND);
}

/* Alerts come from lib/err.c: the same names, the same count. */
static void test_alerts_shared(void)
{
    size_t n = 0;
    for (int a = 0; a < 256; a++) {
        if (!mt_alert_name(a)) continue;
        n++;
        CHECK(strcmp(mt_name_of(MT_NAME_ALERT, (uint32_t)a), mt_alert_name(a)) == 0);
    }
    CHECK_EQ(mt_name_count(MT_NAME_ALERT), n);
    CHECK(n >= 30);
}

/* The codec names each message kind exactly as the table names its type. */
static void test_codec_agrees(void)
{
    size_t named = 0;
    for (unsigned t = 0; t < 256; t++) {
        mt_hs_ctx ctx = {.version = 0x0304};
        mt_hs_msg *m = NULL;
        CHECK_EQ(mt_hs_msg_new(&ctx, t, &m), 0);
        if (!m) continue;
        if (strcmp(mt_hs_msg_name(m), "unknown_handshake") != 0) {
            CHECK(mt_name_of(MT_NAME_HANDSHAKE, t) != NULL);
            CHECK(strcmp(mt_hs_msg_name(m), mt_name_of(MT_NAME_HANDSHAKE, t)) == 0);
            named++;
        }
        mt_hs_msg_free(m);
    }
    CHECK_EQ(named, 16);
}

int main(void)
{
    RUN(test_tables_sorted_unique_roundtrip);
    RUN(test_registry_facts);
    RUN(test_aliases_grease_unknown);
    RUN(test_alerts_shared);
    RUN(test_codec_agrees);
    return test_summary();
}
