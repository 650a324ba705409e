/*
 * test_codec_edit.c - building and editing messages through codec.h: skeletons of every
 * kind round-trip, a sample rebuilt field by field gives its exact bytes, explicit length
 * overrides land on the wire (and are what a decoder then refuses), raw extension and
 * body overrides, insert / duplicate / move / remove, absent optional fields, the
 * where-strings of decode failures, and argument checks.
 */
#include "handshake/codec.h"
#include "handshake/names.h"
#include "moontls.h"
#include "test_codec_samples.h"

static mt_hs_msg *decode_sample(const char *name)
{
    const sample *s = find_sample(name);
    mt_hs_msg *m = NULL;
    if (!s || try_decode(s, s->bytes, s->len, &m) != 0) return NULL;
    return m;
}

static int encode_eq(const mt_hs_msg *m, const uint8_t *p, size_t n)
{
    mt_buf out = {0};
    int ok = mt_hs_encode(m, &out) == 0 && out.len == n && (n == 0 || memcmp(out.data, p, n) == 0);
    if (!ok && out.len) t_hexdump("encoded", out.data, out.len);
    mt_buf_free(&out);
    return ok;
}

/* Encode m and decode the result under ctx: the decode status and where-string. */
static int reencode_decode(const mt_hs_msg *m, const mt_hs_ctx *ctx, char *where, size_t cap)
{
    mt_buf out = {0};
    mt_hs_msg *d = NULL;
    int rc = mt_hs_encode(m, &out);
    if (rc == 0) rc = mt_hs_decode(ctx, out.data, out.len, &d, where, cap);
    mt_hs_msg_free(d);
    mt_buf_free(&out);
    return rc;
}

static void test_skeletons_roundtrip(void)
{
    static const unsigned types[] = {0,  1,  2,  4,  5,  8,  11, 12,  13,
                                     14, 15, 16, 20, 22, 24, 99, 254, MT_HS_HELLO_RETRY_REQUEST};
    static const uint16_t versions[] = {0x0301, 0x0303, 0x0304};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        for (size_t v = 0; v < 3; v++) {
            for (uint8_t kx = 0; kx <= MT_HS_KX_ECDHE; kx++) {
                for (uint8_t sig = 0; sig <= MT_HS_SIG_ANON; sig++) {
                    mt_hs_ctx ctx = {.version = versions[v], .kx = kx, .sig = sig};
                    mt_hs_msg *m = NULL, *d = NULL;
                    mt_buf out = {0};
                    CHECK_EQ(mt_hs_msg_new(&ctx, types[t], &m), 0);
                    if (!m) continue;
                    CHECK_EQ(mt_hs_msg_kind(m), types[t]);
                    CHECK_EQ(mt_hs_encode(m, &out), 0);
                    CHECK_EQ(mt_hs_decode(&ctx, out.data, out.len, &d, NULL, 0), 0);
                    if (d) {
                        CHECK_EQ(mt_hs_msg_kind(d), types[t]);
                        CHECK(strcmp(mt_hs_msg_name(d), mt_hs_msg_name(m)) == 0);
                        CHECK(encode_eq(d, out.data, out.len));
                    }
                    mt_hs_msg_free(d);
                    mt_hs_msg_free(m);
                    mt_buf_free(&out);
                }
            }
        }
    }
    /* alert and change_cipher_spec bodies */
    mt_hs_ctx actx = {.content_type = MT_HS_CT_ALERT};
    mt_hs_msg *a = NULL;
    CHECK_EQ(mt_hs_msg_new(&actx, 0, &a), 0);
    if (a) {
        CHECK_EQ(mt_hs_set_int(a, mt_hs_child(a, MT_HS_ROOT, "level"), 2), 0);
        CHECK_EQ(mt_hs_set_int(a, mt_hs_child(a, MT_HS_ROOT, "description"), 50), 0);
        CHECK(encode_eq(a, (const uint8_t *)"\x02\x32", 2));
        CHECK(strcmp(mt_hs_msg_name(a), "alert") == 0);
    }
    mt_hs_msg_free(a);
    /* an HRR skeleton carries the RFC 8446 4.1.3 random */
    mt_hs_ctx hctx = {.version = 0x0304, .side = MT_HS_SIDE_SERVER};
    mt_hs_msg *h = NULL;
    CHECK_EQ(mt_hs_msg_new(&hctx, MT_HS_HELLO_RETRY_REQUEST, &h), 0);
    mt_slice r = {0};
    if (h) CHECK_EQ(mt_hs_get_bytes(h, mt_hs_child(h, MT_HS_ROOT, "random"), &r), 0);
    CHECK(r.len == 32 && r.p[0] == 0xCF && r.p[31] == 0x9C);
    CHECK_EQ(mt_hs_msg_type(h), MT_HS_SERVER_HELLO);
    mt_hs_msg_free(h);
}

/* synthetic/client_hello-duplicate-extension, built field by field. */
static void test_build_client_hello(void)
{
    const sample *s = find_sample("synthetic/client_hello-duplicate-extension");
    mt_hs_ctx ctx = {0};
    mt_hs_msg *m = NULL;
    mt_hs_id id, e, g;
    static const uint16_t suites[] = {0x1301, 0x1302, 0xC02F, 0x009E, 0x002F, 0x00FF};
    uint8_t rnd[32];
    CHECK(s != NULL);
    CHECK_EQ(mt_hs_msg_new(&ctx, MT_HS_CLIENT_HELLO, &m), 0);
    if (!s || !m) return;
    CHECK_EQ(mt_hs_set_int(m, mt_hs_child(m, MT_HS_ROOT, "legacy_version"), 0x0303), 0);
    for (int i = 0; i < 32; i++)
        rnd[i] = (uint8_t)i;
    CHECK_EQ(mt_hs_set_bytes(m, mt_hs_child(m, MT_HS_ROOT, "random"), rnd, 32), 0);
    mt_hs_id cs = mt_hs_child(m, MT_HS_ROOT, "cipher_suites");
    for (size_t i = 0; i < 6; i++) {
        CHECK_EQ(mt_hs_list_add(m, cs, SIZE_MAX, &id), 0);
        CHECK_EQ(mt_hs_set_int(m, id, suites[i]), 0);
    }
    mt_hs_id comp = mt_hs_child(m, MT_HS_ROOT, "legacy_compression_methods");
    CHECK_EQ(mt_hs_list_add(m, comp, SIZE_MAX, &id), 0);
    mt_hs_id list = mt_hs_extensions(m);
    CHECK_EQ(mt_hs_ext_add(m, list, SIZE_MAX, MT_EXT_EXTENDED_MASTER_SECRET, &e), 0);
    CHECK_EQ(mt_hs_ext_add(m, list, SIZE_MAX, MT_EXT_SUPPORTED_GROUPS, &e), 0);
    CHECK_EQ(mt_hs_list_add(m, mt_hs_child(m, e, "named_group_list"), 0, &g), 0);
    CHECK_EQ(mt_hs_set_int(m, g, 29), 0);
    CHECK_EQ(mt_hs_ext_add(m, list, SIZE_MAX, MT_EXT_EXTENDED_MASTER_SECRET, &e), 0);
    CHECK(encode_eq(m, s->bytes, s->len));
    uint32_t got[8];
    size_t n = 0;
    CHECK_EQ(mt_hs_list_ints(m, cs, got, 8, &n), 0);
    CHECK_EQ(n, 6);
    CHECK_EQ(got[5], 0x00FF);
    CHECK_EQ(mt_hs_list_ints(m, cs, got, 2, &n), 0); /* count beyond cap */
    CHECK_EQ(n, 6);
    mt_hs_msg_free(m);
}

/* SCRIPTING.md 6.4 example: ch.extensions_len = n + 1 -> the peer sees decode_error. */
static void test_length_overrides(void)
{
    const sample *s = find_sample("rfc8448-1rtt/client_hello");
    mt_hs_msg *m = decode_sample("rfc8448-1rtt/client_hello");
    char where[MT_HS_WHERE_MAX];
    CHECK(m != NULL);
    if (!m) return;
    mt_hs_id list = mt_hs_extensions(m);
    mt_hs_info in;
    size_t len;
    CHECK_EQ(mt_hs_node_info(m, list, &in), 0);
    CHECK_EQ(mt_hs_node_content_len(m, list, &len), 0);
    CHECK_EQ(mt_hs_set_len(m, list, (uint32_t)len + 1), 0);
    mt_buf out = {0};
    CHECK_EQ(mt_hs_encode(m, &out), 0);
    CHECK_EQ(out.len, s->len);
    for (size_t i = 0; i < out.len && out.len == s->len; i++)
        if (i != in.len_at && i != in.len_at + 1) CHECK_EQ(out.data[i], s->bytes[i]);
    CHECK_EQ((out.data[in.len_at] << 8 | out.data[in.len_at + 1]), len + 1);
    mt_buf_free(&out);
    CHECK_EQ(reencode_decode(m, &s->ctx, where, sizeof where), MT_ERR_DECODE);
    CHECK(strcmp(where, "ClientHello.extensions: length exceeds block") == 0);
    CHECK_EQ(mt_hs_clear_len(m, list), 0);
    CHECK(encode_eq(m, s->bytes, s->len));

    /* the handshake header length (SCRIPTING.md `length`) */
    CHECK_EQ(mt_hs_set_len(m, MT_HS_ROOT, 5), 0);
    CHECK_EQ(reencode_decode(m, &s->ctx, where, sizeof where), MT_ERR_DECODE);
    CHECK(strcmp(where, "ClientHello: trailing bytes after the message") == 0);
    CHECK_EQ(mt_hs_clear_len(m, MT_HS_ROOT), 0);

    /* one extension's length (`ext.length`), inner list lengths */
    mt_hs_id ks = mt_hs_ext_find(m, list, MT_EXT_KEY_SHARE);
    CHECK_EQ(mt_hs_set_len(m, ks, 0), 0);
    CHECK_EQ(reencode_decode(m, &s->ctx, where, sizeof where), MT_ERR_DECODE);
    CHECK(strstr(where, "ClientHello.extensions.key_share") != NULL);
    CHECK_EQ(mt_hs_clear_len(m, ks), 0);
    mt_hs_id shares = mt_hs_child(m, ks, "client_shares");
    CHECK_EQ(mt_hs_set_len(m, shares, 0xFFFF), 0);
    CHECK_EQ(reencode_decode(m, &s->ctx, where, sizeof where), MT_ERR_DECODE);
    CHECK(strcmp(where, "ClientHello.extensions.key_share.client_shares: length exceeds block") ==
          0);
    /* overrides must fit their prefix */
    CHECK_EQ(mt_hs_set_len(m, shares, 0x10000), MT_ERR_LIMIT);
    CHECK_EQ(mt_hs_set_len(m, mt_hs_child(m, MT_HS_ROOT, "legacy_session_id"), 256), MT_ERR_LIMIT);
    CHECK_EQ(mt_hs_set_len(m, mt_hs_child(m, MT_HS_ROOT, "random"), 1), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_clear_len(m, shares), 0);
    CHECK(encode_eq(m, s->bytes, s->len));
    mt_hs_msg_free(m);
}

static void test_raw_overrides(void)
{
    const sample *s = find_sample("rfc8448-1rtt/server_hello");
    mt_hs_msg *m = decode_sample("rfc8448-1rtt/server_hello");
    CHECK(m != NULL);
    if (!m) return;
    mt_hs_id ks = mt_hs_ext_find(m, mt_hs_extensions(m), MT_EXT_KEY_SHARE);
    mt_hs_info in;
    CHECK_EQ(mt_hs_node_info(m, ks, &in), 0);
    CHECK(strcmp(in.name, "key_share") == 0);
    CHECK(!in.raw);
    /* `data` set: written verbatim, even when it no longer parses */
    CHECK_EQ(mt_hs_set_bytes(m, ks, "\x00", 1), 0);
    mt_buf out = {0};
    CHECK_EQ(mt_hs_encode(m, &out), 0);
    CHECK_EQ(out.len, s->len - 35);
    mt_hs_msg *d = NULL;
    char where[MT_HS_WHERE_MAX];
    CHECK_EQ(mt_hs_decode(&s->ctx, out.data, out.len, &d, where, sizeof where), MT_ERR_DECODE);
    CHECK(strcmp(where, "ServerHello.extensions.key_share.group: truncated") == 0);
    mt_buf_free(&out);
    /* back to the parsed fields */
    CHECK_EQ(mt_hs_set_parsed(m, ks), 0);
    CHECK(encode_eq(m, s->bytes, s->len));
    /* edit a parsed field */
    CHECK_EQ(mt_hs_set_int(m, mt_hs_child(m, ks, "group"), 23), 0);
    CHECK_EQ(mt_hs_encode(m, &out), 0);
    CHECK_EQ(mt_hs_decode(&s->ctx, out.data, out.len, &d, NULL, 0), 0);
    uint64_t g = 0;
    mt_hs_id dks = d ? mt_hs_ext_find(d, mt_hs_extensions(d), MT_EXT_KEY_SHARE) : MT_HS_NONE;
    CHECK_EQ(mt_hs_get_int(d, mt_hs_child(d, dks, "group"), &g), 0);
    CHECK_EQ(g, 23);
    mt_hs_msg_free(d);
    mt_buf_free(&out);
    /* `body` set: the header stays consistent with it */
    CHECK_EQ(mt_hs_set_bytes(m, MT_HS_ROOT, "\xAA\xBB", 2), 0);
    CHECK(encode_eq(m, (const uint8_t *)"\x02\x00\x00\x02\xAA\xBB", 6));
    CHECK_EQ(mt_hs_set_int(m, MT_HS_ROOT, 0x63), 0); /* `type_code` */
    CHECK(encode_eq(m, (const uint8_t *)"\x63\x00\x00\x02\xAA\xBB", 6));
    CHECK_EQ(mt_hs_set_int(m, MT_HS_ROOT, 0x100), MT_ERR_LIMIT);
    mt_hs_msg_free(m);
}

static unsigned ext_types(const mt_hs_msg *m, unsigned *out, unsigned cap)
{
    unsigned n = 0;
    mt_hs_id list = mt_hs_extensions(m);
    for (mt_hs_id e = mt_hs_first(m, list); e != MT_HS_NONE && n < cap; e = mt_hs_next(m, e)) {
        uint64_t t;
        mt_hs_get_int(m, e, &t);
        out[n++] = (unsigned)t;
    }
    return n;
}

static void test_structure_edits(void)
{
    const sample *s = find_sample("rfc8448-1rtt/client_hello");
    mt_hs_msg *m = decode_sample("rfc8448-1rtt/client_hello");
    CHECK(m != NULL);
    if (!m) return;
    unsigned before[32], after[32];
    unsigned n = ext_types(m, before, 32);
    CHECK(n >= 5);
    mt_hs_id list = mt_hs_extensions(m);
    mt_hs_id sv = mt_hs_ext_find(m, list, MT_EXT_SUPPORTED_VERSIONS), copy, e;

    /* duplicate lands right after the original; remove restores the bytes */
    CHECK_EQ(mt_hs_node_dup(m, sv, &copy), 0);
    CHECK_EQ(mt_hs_next(m, sv), copy);
    CHECK_EQ(mt_hs_count(m, list), n + 1);
    CHECK_EQ(mt_hs_node_remove(m, copy), 0);
    CHECK(encode_eq(m, s->bytes, s->len));

    /* move to the front and back */
    size_t pos = 0;
    for (mt_hs_id k = mt_hs_first(m, list); k != sv; k = mt_hs_next(m, k))
        pos++;
    CHECK_EQ(mt_hs_node_move(m, sv, 0), 0);
    CHECK_EQ(ext_types(m, after, 32), n);
    CHECK_EQ(after[0], MT_EXT_SUPPORTED_VERSIONS);
    CHECK_EQ(mt_hs_node_move(m, sv, pos), 0);
    CHECK(encode_eq(m, s->bytes, s->len));

    /* an unknown extension inserted at position 1 is raw, with its bytes */
    CHECK_EQ(mt_hs_ext_add(m, list, 1, 0x7A7A, &e), 0);
    mt_hs_info in;
    CHECK_EQ(mt_hs_node_info(m, e, &in), 0);
    CHECK(in.raw && in.name != NULL && strcmp(in.name, "grease") == 0);
    CHECK_EQ(mt_hs_set_parsed(m, e), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_set_bytes(m, e, "hi", 2), 0);
    CHECK_EQ(ext_types(m, after, 32), n + 1);
    CHECK_EQ(after[1], 0x7A7A);
    size_t len0, len1;
    CHECK_EQ(mt_hs_node_content_len(m, list, &len1), 0);
    CHECK_EQ(mt_hs_node_remove(m, e), 0);
    CHECK_EQ(mt_hs_node_content_len(m, list, &len0), 0);
    CHECK_EQ(len1, len0 + 6);
    CHECK(encode_eq(m, s->bytes, s->len));

    /* a cipher suite prepended */
    mt_hs_id cs = mt_hs_child(m, MT_HS_ROOT, "cipher_suites"), id;
    CHECK_EQ(mt_hs_list_add(m, cs, 0, &id), 0);
    CHECK_EQ(mt_hs_set_int(m, id, 0x0A0A), 0);
    CHECK_EQ(mt_hs_set_int(m, id, 0x10000), MT_ERR_LIMIT);
    uint32_t suites[8];
    size_t ns;
    CHECK_EQ(mt_hs_list_ints(m, cs, suites, 8, &ns), 0);
    CHECK_EQ(suites[0], 0x0A0A);
    CHECK_EQ(mt_hs_node_remove(m, id), 0);

    /* the whole extension block absent: a ClientHello without extensions */
    CHECK_EQ(mt_hs_set_absent(m, list, 1), 0);
    mt_buf out = {0};
    CHECK_EQ(mt_hs_encode(m, &out), 0);
    mt_hs_msg *d = NULL;
    CHECK_EQ(mt_hs_decode(&s->ctx, out.data, out.len, &d, NULL, 0), 0);
    if (d) {
        CHECK_EQ(mt_hs_node_info(d, mt_hs_extensions(d), &in), 0);
        CHECK(in.absent);
    }
    mt_hs_msg_free(d);
    mt_buf_free(&out);
    CHECK_EQ(mt_hs_set_absent(m, list, 0), 0);
    CHECK(encode_eq(m, s->bytes, s->len));
    mt_hs_msg_free(m);
}

static void test_where_strings(void)
{
    static const struct {
        const char *sample;
        size_t cut; /* bytes removed from the end (header kept) */
        const char *where;
    } cases[] = {
        {"rfc8448-1rtt/client_hello", 1, "ClientHello: length exceeds block"},
        {"synthetic/alert-fatal-decode_error", 1, "Alert.description: truncated"},
        {"synthetic/change_cipher_spec", 1, "ChangeCipherSpec.type: truncated"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sample *s = find_sample(cases[i].sample);
        char where[MT_HS_WHERE_MAX];
        mt_hs_msg *m = NULL;
        if (!s) continue;
        CHECK_EQ(mt_hs_decode(&s->ctx, s->bytes, s->len - cases[i].cut, &m, where, sizeof where),
                 MT_ERR_DECODE);
        CHECK(m == NULL);
        if (strcmp(where, cases[i].where) != 0) fprintf(stderr, "  where: %s\n", where);
        CHECK(strcmp(where, cases[i].where) == 0);
    }
    char where[MT_HS_WHERE_MAX];
    mt_hs_ctx ctx = {0};
    mt_hs_msg *m = NULL;
    CHECK_EQ(mt_hs_decode(&ctx, (const uint8_t *)"\x01\x00", 2, &m, where, sizeof where),
             MT_ERR_DECODE);
    CHECK(strcmp(where, "ClientHello: truncated header") == 0);
    CHECK_EQ(mt_hs_decode(&ctx, (const uint8_t *)"", 0, &m, where, sizeof where), MT_ERR_DECODE);
    CHECK(strcmp(where, "Handshake: truncated header") == 0);
    /* a one-byte where buffer holds just the terminator */
    CHECK_EQ(mt_hs_decode(&ctx, (const uint8_t *)"\x01\x00", 2, &m, where, 1), MT_ERR_DECODE);
    CHECK_EQ(where[0], 0);
    /* the 1.3 Certificate entry path */
    const sample *s = find_sample("synthetic/certificate-tls13-ocsp");
    if (s) {
        uint8_t *b = malloc(s->len);
        memcpy(b, s->bytes, s->len);
        /* status_request's response length (u24 after the status_type): one too many */
        mt_hs_msg *d = decode_sample("synthetic/certificate-tls13-ocsp");
        mt_hs_info in;
        mt_hs_id resp = MT_HS_NONE;
        for (mt_hs_id id = 0; d && id < mt_hs_node_count(d); id++) {
            mt_hs_node_info(d, id, &in);
            if (in.name && strcmp(in.name, "response") == 0) resp = id;
        }
        CHECK(resp != MT_HS_NONE);
        if (resp != MT_HS_NONE) {
            mt_hs_node_info(d, resp, &in);
            b[in.len_at + 2]++;
            CHECK_EQ(mt_hs_decode(&s->ctx, b, s->len, &m, where, sizeof where), MT_ERR_DECODE);
            CHECK(strcmp(where, "Certificate.certificate_list.certificate_entry.extensions."
                                "status_request.response: length exceeds block") == 0);
        }
        mt_hs_msg_free(d);
        free(b);
    }
}

static void test_info_and_names(void)
{
    mt_hs_msg *m = decode_sample("synthetic/server_hello-tls12-extensions");
    CHECK(m != NULL);
    if (!m) return;
    static const char *const fields[] = {"legacy_version",
                                         "random",
                                         "legacy_session_id_echo",
                                         "cipher_suite",
                                         "legacy_compression_method",
                                         "extensions"};
    size_t i = 0;
    for (mt_hs_id c = mt_hs_first(m, MT_HS_ROOT); c != MT_HS_NONE; c = mt_hs_next(m, c), i++) {
        mt_hs_info in;
        CHECK_EQ(mt_hs_node_info(m, c, &in), 0);
        CHECK(i < 6 && strcmp(in.name, fields[i]) == 0);
        CHECK_EQ(mt_hs_parent(m, c), MT_HS_ROOT);
    }
    CHECK_EQ(i, 6);
    mt_hs_info in;
    mt_hs_node_info(m, mt_hs_child(m, MT_HS_ROOT, "random"), &in);
    CHECK_EQ(in.kind, MT_HS_K_OPAQUE);
    CHECK_EQ(in.fixed, 32);
    mt_hs_node_info(m, mt_hs_child(m, MT_HS_ROOT, "cipher_suite"), &in);
    CHECK_EQ(in.kind, MT_HS_K_INT);
    CHECK_EQ(in.width, 2);
    CHECK_EQ(in.value, 0xC02F);
    mt_hs_id list = mt_hs_extensions(m);
    mt_hs_id unk = mt_hs_ext_find(m, list, 0xBEEF);
    mt_hs_node_info(m, unk, &in);
    CHECK(in.name == NULL && in.raw && in.bytes.len == 1 && in.bytes.p[0] == 'x');
    mt_hs_id alpn = mt_hs_ext_find(m, list, MT_EXT_ALPN);
    mt_hs_node_info(m, alpn, &in);
    CHECK(strcmp(in.name, "application_layer_protocol_negotiation") == 0);
    mt_hs_id proto = mt_hs_first(m, mt_hs_child(m, alpn, "protocol_name_list"));
    mt_slice p = {0};
    CHECK_EQ(mt_hs_get_bytes(m, proto, &p), 0);
    CHECK(p.len == 2 && memcmp(p.p, "h2", 2) == 0);
    CHECK_EQ(mt_hs_ext_context(m, list), MT_HS_EXTCTX_SH);
    CHECK_EQ(mt_hs_ext_context(m, alpn), 0);
    CHECK(strcmp(mt_hs_msg_title(m), "ServerHello") == 0);
    CHECK_EQ(mt_hs_msg_ctx(m)->side, MT_HS_SIDE_SERVER);
    /* every node name of every decoded kind is the names table's name for its type */
    for (unsigned t = 0; t < 256; t++) {
        mt_hs_ctx ctx = {.kx = MT_HS_KX_ECDHE};
        mt_hs_msg *k = NULL;
        if (mt_hs_msg_new(&ctx, t, &k) != 0) continue;
        if (strcmp(mt_hs_msg_name(k), "unknown_handshake") != 0)
            CHECK(strcmp(mt_hs_msg_name(k), mt_name_of(MT_NAME_HANDSHAKE, t)) == 0);
        mt_hs_msg_free(k);
    }
    mt_hs_msg_free(m);
}

static void test_bad_arguments(void)
{
    mt_hs_ctx ctx = {0};
    mt_hs_msg *m = NULL;
    mt_buf out = {0};
    mt_hs_id id;
    CHECK_EQ(mt_hs_decode(NULL, (const uint8_t *)"", 0, &m, NULL, 0), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_decode(&ctx, NULL, 4, &m, NULL, 0), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_msg_new(&ctx, 0x1000, &m), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_encode(NULL, &out), MT_ERR_BAD_PARAM);
    mt_hs_msg_free(NULL);
    m = decode_sample("rfc8448-1rtt/client_hello");
    CHECK(m != NULL);
    if (!m) return;
    mt_hs_id list = mt_hs_extensions(m);
    mt_hs_id cs = mt_hs_child(m, MT_HS_ROOT, "cipher_suites");
    CHECK_EQ(mt_hs_list_add(m, list, 0, &id), MT_ERR_BAD_PARAM); /* extension list */
    CHECK_EQ(mt_hs_ext_add(m, cs, 0, 1, &id), MT_ERR_BAD_PARAM); /* not one */
    CHECK_EQ(mt_hs_ext_add(m, list, 0, 0x10000, &id), MT_ERR_LIMIT);
    CHECK_EQ(mt_hs_node_remove(m, MT_HS_ROOT), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_node_dup(m, MT_HS_ROOT, &id), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_node_move(m, mt_hs_child(m, MT_HS_ROOT, "random"), 0), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_set_absent(m, MT_HS_ROOT, 1), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_set_int(m, cs, 1), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_set_bytes(m, cs, "x", 1), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_get_bytes(m, cs, &(mt_slice){0}), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_node_info(m, (mt_hs_id)mt_hs_node_count(m), &(mt_hs_info){0}), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_hs_first(m, MT_HS_NONE), MT_HS_NONE);
    CHECK_EQ(mt_hs_child(m, MT_HS_ROOT, "no_such_field"), MT_HS_NONE);
    CHECK_EQ(mt_hs_ext_find(m, cs, 43), MT_HS_NONE);
    CHECK_EQ(mt_hs_node_content_len(m, mt_hs_child(m, MT_HS_ROOT, "random"), &(size_t){0}),
             MT_ERR_BAD_PARAM);
    mt_hs_msg_free(m);
}

int main(void)
{
    load_samples();
    RUN(test_skeletons_roundtrip);
    RUN(test_build_client_hello);
    RUN(test_length_overrides);
    RUN(test_raw_overrides);
    RUN(test_structure_edits);
    RUN(test_where_strings);
    RUN(test_info_and_names);
    RUN(test_bad_arguments);
    free_samples();
    return test_summary();
}
