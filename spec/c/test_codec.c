/*
 * test_codec.c - property tests of the handshake codec over every sample in
 * spec/fixtures/messages/ (RFC 8448, OpenSSL and GnuTLS captures, synthetic messages).
 *
 * For every sample: decode succeeds with the expected kind; encode gives the same bytes;
 * every decoded length prefix equals the computed content length; every truncation is
 * rejected with decode_error; trailing bytes are rejected or (after a field that runs to
 * the end of its block) round-trip; every recorded length prefix, set to +1, -1, 0 and
 * its maximum, is rejected with decode_error or decodes and re-encodes exactly; edits
 * (duplicate, remove, move, overrides) behave. The sample set must cover every message
 * kind and every parsed extension.
 *
 * MT_CODEC_DUMP=1 prints each decoded tree (to inspect new samples).
 */
#include "handshake/codec.h"
#include "handshake/names.h"
#include "moontls.h"
#include "test_codec_samples.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int quick(void)
{
    return getenv("MT_TEST_QUICK") != NULL;
}

/* 1 if p decodes and re-encodes to exactly p */
static int roundtrips(const sample *s, const uint8_t *p, size_t n)
{
    mt_hs_msg *m = NULL;
    mt_buf out = {0};
    int ok = try_decode(s, p, n, &m) == 0 && mt_hs_encode(m, &out) == 0 && out.len == n &&
             memcmp(out.data, p, n) == 0;
    mt_buf_free(&out);
    mt_hs_msg_free(m);
    return ok;
}

static void dump(const mt_hs_msg *m, mt_hs_id id, int depth)
{
    mt_hs_info in;
    mt_hs_node_info(m, id, &in);
    fprintf(stderr, "%*s%s k=%d v=%llu len=%zu%s%s\n", depth * 2, "", in.name ? in.name : "?",
            in.kind, (unsigned long long)in.value, in.bytes.len, in.raw ? " raw" : "",
            in.absent ? " absent" : "");
    for (mt_hs_id c = mt_hs_first(m, id); c != MT_HS_NONE; c = mt_hs_next(m, c))
        dump(m, c, depth + 1);
}

/* ---- tests ---- */

static void test_samples_loaded(void)
{
    CHECK(nsamples >= 150);
}

static void test_decode_and_roundtrip(void)
{
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        mt_hs_msg *m = NULL;
        char where[MT_HS_WHERE_MAX] = "";
        int rc = mt_hs_decode(&s->ctx, s->bytes, s->len, &m, where, sizeof where);
        if (rc != 0) fprintf(stderr, "  %s: %s (%s)\n", s->name, mt_err_name(rc), where);
        CHECK_EQ(rc, 0);
        if (rc) continue;
        if (getenv("MT_CODEC_DUMP")) {
            fprintf(stderr, "== %s\n", s->name);
            dump(m, MT_HS_ROOT, 1);
        }
        if (strcmp(mt_hs_msg_name(m), s->type) != 0)
            fprintf(stderr, "  %s: kind %s, want %s\n", s->name, mt_hs_msg_name(m), s->type);
        CHECK(strcmp(mt_hs_msg_name(m), s->type) == 0);
        mt_buf out = {0};
        CHECK_EQ(mt_hs_encode(m, &out), 0);
        CHECK_EQ(out.len, s->len);
        if (out.len == s->len) CHECK_MEM(out.data, s->bytes, s->len);
        mt_slice raw = mt_hs_msg_raw(m);
        CHECK(raw.len == s->len && memcmp(raw.p, s->bytes, s->len) == 0);
        mt_buf_free(&out);
        mt_hs_msg_free(m);
    }
}

/* Every decoded prefix holds exactly the computed content length, every node's span
 * re-encodes to the bytes at that span. */
static void test_tree_consistent(void)
{
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        mt_hs_msg *m = NULL;
        if (try_decode(s, s->bytes, s->len, &m) != 0) continue;
        for (mt_hs_id id = 0; id < mt_hs_node_count(m); id++) {
            mt_hs_info in;
            CHECK_EQ(mt_hs_node_info(m, id, &in), 0);
            CHECK(in.decoded);
            CHECK(in.span_off + in.span_len <= s->len);
            mt_buf one = {0};
            CHECK_EQ(mt_hs_encode_node(m, id, &one), 0);
            CHECK_EQ(one.len, in.span_len);
            if (one.len == in.span_len && one.len)
                CHECK_MEM(one.data, &s->bytes[in.span_off], one.len);
            mt_buf_free(&one);
            if (in.len_at == SIZE_MAX) continue;
            unsigned w = in.kind == MT_HS_K_EXT ? 2 : in.width;
            uint32_t v = 0;
            for (unsigned k = 0; k < w; k++)
                v = v << 8 | s->bytes[in.len_at + k];
            size_t len;
            CHECK_EQ(mt_hs_node_content_len(m, id, &len), 0);
            CHECK_EQ(len, v);
        }
        mt_hs_msg_free(m);
    }
}

static void test_truncations_rejected(void)
{
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        size_t step = quick() && s->len > 256 ? 7 : 1;
        for (size_t n = 0; n < s->len; n += step) {
            int rc = try_decode(s, s->bytes, n, NULL);
            if (rc != MT_ERR_DECODE) fprintf(stderr, "  %s: prefix %zu accepted\n", s->name, n);
            CHECK_EQ(rc, MT_ERR_DECODE);
        }
    }
}

/* The body cut short with the handshake header made consistent: each shorter body is a
 * decode_error, or (at an optional field or an open-ended last field) a message of its
 * own that round-trips. The cut always lands on a field boundary at least somewhere. */
static void test_body_truncations(void)
{
    size_t accepted = 0, rejected = 0;
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        if (s->ctx.content_type != 0 && s->ctx.content_type != MT_HS_CT_HANDSHAKE) continue;
        uint8_t *b = malloc(s->len);
        size_t step = quick() && s->len > 256 ? 7 : 1;
        for (size_t n = 4; n < s->len; n += step) {
            memcpy(b, s->bytes, n);
            size_t body = n - 4;
            b[1] = (uint8_t)(body >> 16);
            b[2] = (uint8_t)(body >> 8);
            b[3] = (uint8_t)body;
            int rc = try_decode(s, b, n, NULL);
            if (rc == 0) {
                CHECK(roundtrips(s, b, n));
                accepted++;
            } else {
                CHECK_EQ(rc, MT_ERR_DECODE);
                rejected++;
            }
        }
        free(b);
    }
    CHECK(accepted > 0);
    CHECK(rejected > accepted);
}

static void test_trailing_bytes(void)
{
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        uint8_t *b = malloc(s->len + 1);
        memcpy(b, s->bytes, s->len);
        b[s->len] = 0;
        /* after the message: never part of it */
        CHECK_EQ(try_decode(s, b, s->len + 1, NULL), MT_ERR_DECODE);
        /* inside the body (header grown by one): an error or an exact round trip */
        if (s->ctx.content_type == 0 || s->ctx.content_type == MT_HS_CT_HANDSHAKE) {
            size_t body = s->len - 3;
            b[1] = (uint8_t)(body >> 16);
            b[2] = (uint8_t)(body >> 8);
            b[3] = (uint8_t)body;
            int rc = try_decode(s, b, s->len + 1, NULL);
            CHECK(rc == MT_ERR_DECODE || (rc == 0 && roundtrips(s, b, s->len + 1)));
        }
        free(b);
    }
}

/* Driven by the decoded tree: every node with a length prefix, prefix set to +1, -1, 0
 * and the maximum of its width. */
static void test_length_corruptions(void)
{
    size_t tried = 0, rejected = 0;
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        mt_hs_msg *m = NULL;
        if (try_decode(s, s->bytes, s->len, &m) != 0) continue;
        uint8_t *b = malloc(s->len);
        for (mt_hs_id id = 0; id < mt_hs_node_count(m); id++) {
            mt_hs_info in;
            mt_hs_node_info(m, id, &in);
            if (in.len_at == SIZE_MAX) continue;
            unsigned w = in.kind == MT_HS_K_EXT ? 2 : in.width;
            uint32_t v = 0, max = (uint32_t)((1ull << (8 * w)) - 1);
            for (unsigned k = 0; k < w; k++)
                v = v << 8 | s->bytes[in.len_at + k];
            uint32_t vals[4] = {(v + 1) & max, (v - 1) & max, 0, max};
            for (int j = 0; j < 4; j++) {
                if (vals[j] == v) continue;
                memcpy(b, s->bytes, s->len);
                for (unsigned k = 0; k < w; k++)
                    b[in.len_at + k] = (uint8_t)(vals[j] >> (8 * (w - 1 - k)));
                int rc = try_decode(s, b, s->len, NULL);
                tried++;
                if (rc == 0) {
                    if (!roundtrips(s, b, s->len))
                        fprintf(stderr, "  %s: node %u corrupted, no round trip\n", s->name, id);
                    CHECK(roundtrips(s, b, s->len));
                } else {
                    CHECK_EQ(rc, MT_ERR_DECODE);
                    rejected++;
                }
            }
        }
        free(b);
        mt_hs_msg_free(m);
    }
    CHECK(tried > 1000);
    CHECK(rejected > tried * 9 / 10);
}

/* Every message kind and every parsed extension body is exercised by some sample. */
static void test_coverage(void)
{
    static const char *const kinds[] = {
        "hello_request",
        "client_hello",
        "server_hello",
        "hello_retry_request",
        "new_session_ticket",
        "end_of_early_data",
        "encrypted_extensions",
        "certificate",
        "server_key_exchange",
        "certificate_request",
        "server_hello_done",
        "certificate_verify",
        "client_key_exchange",
        "finished",
        "certificate_status",
        "key_update",
        "message_hash",
        "unknown_handshake",
        "alert",
        "change_cipher_spec",
    };
    static const unsigned exts[] = {0,  1,  5,  10, 11, 13, 16, 21, 22, 23, 28,
                                    35, 41, 42, 43, 44, 45, 47, 49, 50, 51, 0xFF01};
    int seen_kind[NELEM(kinds)] = {0};
    int seen_ext[NELEM(exts)] = {0};
    int raw_ext = 0;
    for (size_t i = 0; i < nsamples; i++) {
        mt_hs_msg *m = NULL;
        if (try_decode(&samples[i], samples[i].bytes, samples[i].len, &m) != 0) continue;
        for (size_t k = 0; k < NELEM(kinds); k++)
            if (strcmp(kinds[k], mt_hs_msg_name(m)) == 0) seen_kind[k] = 1;
        for (mt_hs_id id = 0; id < mt_hs_node_count(m); id++) {
            mt_hs_info in;
            mt_hs_node_info(m, id, &in);
            if (in.kind != MT_HS_K_EXT) continue;
            if (in.raw) raw_ext = 1;
            for (size_t k = 0; k < NELEM(exts); k++)
                if (in.value == exts[k] && !in.raw) seen_ext[k] = 1;
        }
        mt_hs_msg_free(m);
    }
    for (size_t k = 0; k < NELEM(kinds); k++) {
        if (!seen_kind[k]) fprintf(stderr, "  no sample of %s\n", kinds[k]);
        CHECK(seen_kind[k]);
    }
    for (size_t k = 0; k < NELEM(exts); k++) {
        if (!seen_ext[k]) fprintf(stderr, "  no parsed sample of extension %u\n", exts[k]);
        CHECK(seen_ext[k]);
    }
    CHECK(raw_ext);
}

int main(void)
{
    load_samples();
    RUN(test_samples_loaded);
    RUN(test_decode_and_roundtrip);
    RUN(test_tree_consistent);
    RUN(test_truncations_rejected);
    RUN(test_body_truncations);
    RUN(test_trailing_bytes);
    RUN(test_length_corruptions);
    RUN(test_coverage);
    free_samples();
    return test_summary();
}
