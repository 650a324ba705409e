/*
 * test_codec_validate.c - mt_hs_validate over the sample list: every captured and RFC
 * message passes (each server message also against the ClientHello it answered); each
 * sample marked `validate = <alert>` gives exactly that alert and a where-string with
 * the marked text; validation never changes the message.
 */
#include "handshake/validate.h"
#include "moontls.h"
#include "test_codec_samples.h"

/* The ClientHello a sample answers: the `answers` key, or for captured conversations
 * (one file per conversation, in order) the latest client_hello before it. */
static const sample *answered_hello(size_t i)
{
    const sample *s = &samples[i];
    if (s->answers) return find_sample(s->answers);
    if (strncmp(s->name, "synthetic/", 10) == 0 || strncmp(s->name, "invalid/", 8) == 0)
        return NULL;
    const char *slash = strchr(s->name, '/');
    size_t plen = slash ? (size_t)(slash - s->name) : 0;
    for (size_t k = i; k-- > 0;) {
        if (strncmp(samples[k].name, s->name, plen) != 0) break;
        if (strcmp(samples[k].type, "client_hello") == 0) return &samples[k];
    }
    return NULL;
}

static void test_samples(void)
{
    size_t valid = 0, invalid = 0, paired = 0;
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        mt_hs_msg *m = NULL, *ch = NULL;
        if (try_decode(s, s->bytes, s->len, &m) != 0) {
            CHECK(0);
            continue;
        }
        const sample *chs = s->ctx.side == MT_HS_SIDE_SERVER ? answered_hello(i) : NULL;
        if (chs) CHECK_EQ(try_decode(chs, chs->bytes, chs->len, &ch), 0);
        char where[MT_HS_WHERE_MAX];
        int rc = mt_hs_validate(m, ch, where, sizeof where);
        int want = 0;
        if (s->validate) {
            int a = mt_alert_by_name(s->validate);
            CHECK(a >= 0);
            want = MT_ERR_SENT(a);
        }
        if (rc != want)
            fprintf(stderr, "  %s: got %s (%s), want %s\n", s->name, mt_err_name(rc), where,
                    s->validate ? s->validate : "ok");
        CHECK_EQ(rc, want);
        if (s->where && !strstr(where, s->where))
            fprintf(stderr, "  %s: where \"%s\" lacks \"%s\"\n", s->name, where, s->where);
        if (s->where) CHECK(strstr(where, s->where) != NULL);
        if (rc == 0) CHECK_EQ(where[0], 0);
        /* validation reads only: the message still encodes to its bytes */
        mt_buf out = {0};
        CHECK_EQ(mt_hs_encode(m, &out), 0);
        CHECK(out.len == s->len && memcmp(out.data, s->bytes, s->len) == 0);
        mt_buf_free(&out);
        valid += want == 0;
        invalid += want != 0;
        paired += ch != NULL;
        mt_hs_msg_free(ch);
        mt_hs_msg_free(m);
    }
    CHECK(valid >= 200);
    CHECK(invalid >= 40);
    CHECK(paired >= 60);
}

/* Every semantic sample is refused only by validate: a strict parser's rules are not in
 * the codec, so each decodes and round-trips (test_codec checks the bytes). */
static void test_invalid_samples_decode(void)
{
    for (size_t i = 0; i < nsamples; i++) {
        if (!samples[i].validate) continue;
        CHECK_EQ(try_decode(&samples[i], samples[i].bytes, samples[i].len, NULL), 0);
    }
}

/* Edits that make a valid message invalid, through the codec's edit API. */
static void test_edits_caught(void)
{
    const sample *s = find_sample("rfc8448-1rtt/client_hello");
    CHECK(s != NULL);
    if (!s) return;
    mt_hs_msg *m = NULL;
    char where[MT_HS_WHERE_MAX];
    CHECK_EQ(try_decode(s, s->bytes, s->len, &m), 0);
    if (!m) return;
    CHECK_EQ(mt_hs_validate(m, NULL, where, sizeof where), 0);

    /* an explicit length that disagrees with the content: decode_error */
    mt_hs_id cs = mt_hs_child(m, MT_HS_ROOT, "cipher_suites");
    CHECK_EQ(mt_hs_set_len(m, cs, 4), 0);
    CHECK_EQ(mt_hs_validate(m, NULL, where, sizeof where), MT_ERR_DECODE);
    CHECK(strstr(where, "ClientHello.cipher_suites: length field does not match") != NULL);
    CHECK_EQ(mt_hs_clear_len(m, cs), 0);

    /* a 31-byte random: decode_error */
    mt_hs_id rnd = mt_hs_child(m, MT_HS_ROOT, "random");
    mt_slice old;
    CHECK_EQ(mt_hs_get_bytes(m, rnd, &old), 0);
    uint8_t keep[32];
    memcpy(keep, old.p, 32);
    CHECK_EQ(mt_hs_set_bytes(m, rnd, keep, 31), 0);
    CHECK_EQ(mt_hs_validate(m, NULL, where, sizeof where), MT_ERR_DECODE);
    CHECK(strstr(where, "random: wrong length") != NULL);
    CHECK_EQ(mt_hs_set_bytes(m, rnd, keep, 32), 0);
    CHECK_EQ(mt_hs_validate(m, NULL, where, sizeof where), 0);

    /* tls.ext.duplicate(ch, "supported_versions"): illegal_parameter */
    mt_hs_id list = mt_hs_extensions(m);
    mt_hs_id sv = mt_hs_ext_find(m, list, MT_EXT_SUPPORTED_VERSIONS), copy;
    CHECK_EQ(mt_hs_node_dup(m, sv, &copy), 0);
    CHECK_EQ(mt_hs_validate(m, NULL, where, sizeof where), MT_ERR_ILLEGAL_PARAM);
    CHECK(strstr(where, "supported_versions: duplicate extension") != NULL);
    CHECK_EQ(mt_hs_node_remove(m, copy), 0);
    CHECK_EQ(mt_hs_validate(m, NULL, where, sizeof where), 0);

    /* removing signature_algorithms from a 1.3 offer: missing_extension */
    mt_hs_id sa = mt_hs_ext_find(m, list, MT_EXT_SIGNATURE_ALGORITHMS);
    CHECK_EQ(mt_hs_node_remove(m, sa), 0);
    CHECK_EQ(mt_hs_validate(m, NULL, where, sizeof where), MT_ERR_SENT(MT_ALERT_MISSING_EXTENSION));

    mt_hs_msg_free(m);
}

static void test_bad_params(void)
{
    char where[8];
    CHECK_EQ(mt_hs_validate(NULL, NULL, where, sizeof where), MT_ERR_BAD_PARAM);
    const sample *s = find_sample("rfc8448-1rtt/server_hello");
    mt_hs_msg *m = NULL;
    if (!s || try_decode(s, s->bytes, s->len, &m) != 0) {
        CHECK(0);
        return;
    }
    /* the "ClientHello" argument must be one */
    CHECK_EQ(mt_hs_validate(m, m, where, sizeof where), MT_ERR_BAD_PARAM);
    /* a tiny where buffer is truncated, never overrun (ASan watches) */
    const sample *b = find_sample("invalid/ee-key-share");
    mt_hs_msg *e = NULL;
    if (b && try_decode(b, b->bytes, b->len, &e) == 0) {
        CHECK_EQ(mt_hs_validate(e, NULL, where, sizeof where), MT_ERR_ILLEGAL_PARAM);
        CHECK_EQ(strlen(where), sizeof where - 1);
    }
    mt_hs_msg_free(e);
    mt_hs_msg_free(m);
}

int main(void)
{
    load_samples();
    RUN(test_samples);
    RUN(test_invalid_samples_decode);
    RUN(test_edits_caught);
    RUN(test_bad_params);
    free_samples();
    return test_summary();
}
