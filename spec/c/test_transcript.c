/*
 * test_transcript.c - lib/handshake/transcript.c against the RFC 8448 traces.
 *
 * Fixtures: spec/fixtures/rfc8448-*.txt (generated from the JSON next to them by
 * rfc8448-convert.py). Blocks are named by their "block" key; fx_hex() looks a value up
 * by block and key.
 */
#include "test.h"
#include "fixture_blocks.h"

#include "crypto/hash.h"
#include "handshake/transcript.h"
#include "moontls.h"

/* Add a message from the fixture to the transcript; returns the add() result. */
static int add_msg(mt_transcript *t, const fx_file *fx, const char *name)
{
    size_t n;
    uint8_t *m = fx_hex(fx, "messages", name, &n);
    int rc = mt_transcript_add(t, m, n);
    free(m);
    return rc;
}

/* CHECK that the transcript's current hash equals transcript_hashes/<name>. */
#define CHECK_TH(t, fx, name)                                                                      \
    do {                                                                                           \
        size_t wn_;                                                                                \
        uint8_t got_[MT_TRANSCRIPT_MAX_LEN];                                                       \
        uint8_t *want_ = fx_hex((fx), "transcript_hashes", (name), &wn_);                          \
        CHECK_EQ(mt_transcript_len(t), wn_);                                                       \
        CHECK_EQ(mt_transcript_hash((t), got_), 0);                                                \
        CHECK_MEM(got_, want_, wn_);                                                               \
        free(want_);                                                                               \
    } while (0)

/* ---- tests ---- */

/* RFC 8448 3: ClientHello and ServerHello are buffered until the suite is known. */
static void test_1rtt_buffered_then_hashed(void)
{
    fx_file fx;
    mt_transcript t;
    uint8_t tmp[MT_HASH_MAX_LEN];

    fx_load(&fx, "spec/fixtures/rfc8448-1rtt.txt");
    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_len(&t), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    /* No hash yet: reading one is a state error, and the bytes are held raw. */
    CHECK_EQ(mt_transcript_hash(&t, tmp), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_transcript_raw(&t).len, 196 + 90);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    /* Choosing the hash released the raw bytes (keep_raw not set). */
    CHECK_EQ(mt_transcript_raw(&t).len, 0);
    CHECK_TH(&t, &fx, "through_server_hello");
    /* Reading does not finalise: a second read gives the same value. */
    CHECK_TH(&t, &fx, "through_server_hello");
    CHECK_EQ(add_msg(&t, &fx, "encrypted_extensions"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate_verify"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_finished"), 0);
    CHECK_TH(&t, &fx, "through_server_finished");
    CHECK_EQ(add_msg(&t, &fx, "client_finished"), 0);
    CHECK_TH(&t, &fx, "through_client_finished");
    CHECK_EQ(t.messages, 7);
    mt_transcript_free(&t);
    fx_free(&fx);
}

/* Hashing chosen before any message (a client that offers one suite) gives the same. */
static void test_1rtt_hash_chosen_first(void)
{
    fx_file fx;
    mt_transcript t;
    uint8_t empty[MT_HASH_MAX_LEN];

    fx_load(&fx, "spec/fixtures/rfc8448-1rtt.txt");
    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(mt_transcript_hash(&t, empty), 0);
    size_t n;
    uint8_t *want = fx_hex(&fx, "transcript_hashes", "empty", &n);
    CHECK_MEM(empty, want, n);
    free(want);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    CHECK_TH(&t, &fx, "through_server_hello");
    /* The same id again is a no-op; another id is refused. */
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA384), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_transcript_set_md5sha1(&t), MT_ERR_BAD_STATE);
    CHECK_TH(&t, &fx, "through_server_hello");
    mt_transcript_free(&t);
    fx_free(&fx);
}

/* RFC 8448 5: ClientHello1 becomes message_hash once the HRR names the suite. */
static void test_hrr_rewrite(void)
{
    fx_file fx;
    mt_transcript t;
    uint8_t tmp[MT_HASH_MAX_LEN];

    fx_load(&fx, "spec/fixtures/rfc8448-hrr.txt");
    mt_transcript_init(&t);
    CHECK_EQ(add_msg(&t, &fx, "client_hello_1"), 0);
    /* Not before the hash is known. */
    CHECK_EQ(mt_transcript_hrr_rewrite(&t), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(mt_transcript_hrr_rewrite(&t), 0);
    /* Only ClientHello1 may be replaced: a second rewrite after the HRR is refused. */
    CHECK_EQ(add_msg(&t, &fx, "hello_retry_request"), 0);
    CHECK_EQ(mt_transcript_hrr_rewrite(&t), MT_ERR_BAD_STATE);
    CHECK_EQ(add_msg(&t, &fx, "client_hello_2"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    CHECK_TH(&t, &fx, "through_server_hello");
    CHECK_EQ(add_msg(&t, &fx, "encrypted_extensions"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate_verify"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_finished"), 0);
    CHECK_TH(&t, &fx, "through_server_finished");
    CHECK_EQ(add_msg(&t, &fx, "client_finished"), 0);
    CHECK_TH(&t, &fx, "through_client_finished");
    mt_transcript_free(&t);

    /* Without the rewrite the hashes differ: the construction is not a no-op. */
    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_hello_1"), 0);
    CHECK_EQ(add_msg(&t, &fx, "hello_retry_request"), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_hello_2"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    size_t n;
    uint8_t *want = fx_hex(&fx, "transcript_hashes", "through_server_hello", &n);
    CHECK_EQ(mt_transcript_hash(&t, tmp), 0);
    CHECK(memcmp(tmp, want, n) != 0);
    free(want);
    mt_transcript_free(&t);
    fx_free(&fx);
}

/* A stateless server rebuilds the transcript from Hash(ClientHello1) kept in a cookie. */
static void test_hrr_restart_from_cookie_hash(void)
{
    fx_file fx;
    mt_transcript t;
    uint8_t ch1_hash[32];
    size_t n;

    fx_load(&fx, "spec/fixtures/rfc8448-hrr.txt");
    uint8_t *ch1 = fx_hex(&fx, "messages", "client_hello_1", &n);
    CHECK_EQ(mt_hash(MT_HASH_SHA256, ch1, n, ch1_hash), 0);
    free(ch1);
    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_restart_hrr(&t, ch1_hash), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(add_msg(&t, &fx, "encrypted_extensions"), 0); /* dropped by the restart */
    CHECK_EQ(mt_transcript_restart_hrr(&t, ch1_hash), 0);
    CHECK_EQ(add_msg(&t, &fx, "hello_retry_request"), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_hello_2"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    CHECK_TH(&t, &fx, "through_server_hello");
    mt_transcript_free(&t);
    fx_free(&fx);
}

/* RFC 8448 4: the truncated ClientHello for the binder, found and hashed. */
static void test_binder_truncation(void)
{
    fx_file fx;
    mt_transcript t;
    size_t n, pn, wn, cut = 0;
    uint8_t got[32];

    fx_load(&fx, "spec/fixtures/rfc8448-resumption.txt");
    uint8_t *ch = fx_hex(&fx, "messages", "client_hello", &n);
    uint8_t *prefix = fx_hex(&fx, "messages", "client_hello_prefix", &pn);
    uint8_t *want = fx_hex(&fx, "transcript_hashes", "binder_truncated_client_hello", &wn);

    CHECK_EQ(mt_transcript_binder_cut(ch, n, &cut), 0);
    CHECK_EQ(cut, pn);
    CHECK_MEM(ch, prefix, pn);

    /* Before the hash is chosen (the client is still writing its ClientHello). */
    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_hash_with(&t, MT_HASH_SHA256, ch, cut, got), 0);
    CHECK_MEM(got, want, wn);
    /* The truncated part was not added. */
    CHECK_EQ(t.messages, 0);
    CHECK_EQ(mt_transcript_add(&t, ch, n), 0);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_TH(&t, &fx, "through_client_hello");
    mt_transcript_free(&t);

    /* With the hash chosen first (the PSK fixes it), on an empty transcript. */
    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(mt_transcript_hash_with(&t, MT_HASH_NONE, ch, cut, got), 0);
    CHECK_MEM(got, want, wn);
    CHECK_EQ(mt_transcript_hash_with(&t, MT_HASH_SHA384, ch, cut, got), MT_ERR_BAD_PARAM);
    mt_transcript_free(&t);

    free(ch);
    free(prefix);
    free(want);
    fx_free(&fx);
}

/* Malformed or PSK-less ClientHellos are refused by the binder cut. */
static void test_binder_cut_rejects(void)
{
    fx_file fx, fx1;
    size_t n, n1, cut;
    int bad = 0;

    fx_load(&fx, "spec/fixtures/rfc8448-resumption.txt");
    fx_load(&fx1, "spec/fixtures/rfc8448-1rtt.txt");
    uint8_t *ch = fx_hex(&fx, "messages", "client_hello", &n);
    uint8_t *ch1 = fx_hex(&fx1, "messages", "client_hello", &n1);

    /* Every truncation breaks a length. */
    for (size_t i = 0; i < n; i++)
        if (mt_transcript_binder_cut(ch, i, &cut) != MT_ERR_DECODE) bad++;
    CHECK_EQ(bad, 0);
    /* A trailing byte after the message is refused. */
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, ch, n);
    longer[n] = 0;
    CHECK_EQ(mt_transcript_binder_cut(longer, n + 1, &cut), MT_ERR_DECODE);
    free(longer);
    /* Section 3's ClientHello has no pre_shared_key. */
    CHECK_EQ(mt_transcript_binder_cut(ch1, n1, &cut), MT_ERR_NOT_FOUND);
    /* Not a ClientHello. */
    ch[0] = 2;
    CHECK_EQ(mt_transcript_binder_cut(ch, n, &cut), MT_ERR_DECODE);
    ch[0] = 1;
    /* pre_shared_key not last: rename the padding extension (type 21, 87 bytes of data),
     * which comes right before it, to pre_shared_key (41). */
    size_t pad_at = 0;
    for (size_t i = 0; i + 4 <= n; i++)
        if (ch[i] == 0x00 && ch[i + 1] == 21 && ch[i + 2] == 0x00 && ch[i + 3] == 87) pad_at = i;
    CHECK(pad_at != 0);
    ch[pad_at + 1] = 41;
    CHECK_EQ(mt_transcript_binder_cut(ch, n, &cut), MT_ERR_DECODE);
    ch[pad_at + 1] = 21;
    /* Rename the real pre_shared_key (its header is 4 + 221 bytes before the end). */
    CHECK_EQ(ch[n - 225 + 1], 41);
    ch[n - 225 + 1] = 42;
    CHECK_EQ(mt_transcript_binder_cut(ch, n, &cut), MT_ERR_NOT_FOUND);
    ch[n - 225 + 1] = 41;
    CHECK_EQ(mt_transcript_binder_cut(ch, n, &cut), 0);

    free(ch);
    free(ch1);
    fx_free(&fx);
    fx_free(&fx1);
}

/* RFC 8448 4: the resumed handshake, EndOfEarlyData included before client Finished. */
static void test_resumption_hashes(void)
{
    fx_file fx;
    mt_transcript t;

    fx_load(&fx, "spec/fixtures/rfc8448-resumption.txt");
    mt_transcript_init(&t);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_TH(&t, &fx, "through_client_hello");
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    CHECK_TH(&t, &fx, "through_server_hello");
    CHECK_EQ(add_msg(&t, &fx, "encrypted_extensions"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_finished"), 0);
    CHECK_TH(&t, &fx, "through_server_finished");
    CHECK_EQ(add_msg(&t, &fx, "end_of_early_data"), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_finished"), 0);
    CHECK_TH(&t, &fx, "through_client_finished");
    mt_transcript_free(&t);
    fx_free(&fx);
}

/* RFC 8448 6 (client authentication) and 7 (compatibility mode). */
static void test_client_auth_and_compat_hashes(void)
{
    fx_file fx;
    mt_transcript t;

    fx_load(&fx, "spec/fixtures/rfc8448-client-auth.txt");
    mt_transcript_init(&t);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_TH(&t, &fx, "through_server_hello");
    CHECK_EQ(add_msg(&t, &fx, "encrypted_extensions"), 0);
    CHECK_EQ(add_msg(&t, &fx, "certificate_request"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate_verify"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_finished"), 0);
    CHECK_TH(&t, &fx, "through_server_finished");
    CHECK_EQ(add_msg(&t, &fx, "client_certificate"), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_certificate_verify"), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_finished"), 0);
    CHECK_TH(&t, &fx, "through_client_finished");
    mt_transcript_free(&t);
    fx_free(&fx);

    fx_load(&fx, "spec/fixtures/rfc8448-compat.txt");
    mt_transcript_init(&t);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_TH(&t, &fx, "through_server_hello");
    CHECK_EQ(add_msg(&t, &fx, "encrypted_extensions"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate_verify"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_finished"), 0);
    CHECK_TH(&t, &fx, "through_server_finished");
    CHECK_EQ(add_msg(&t, &fx, "client_finished"), 0);
    CHECK_TH(&t, &fx, "through_client_finished");
    mt_transcript_free(&t);
    fx_free(&fx);
}

/* Concatenation of the named section 3 messages, for hashing independently. */
static uint8_t *concat(const fx_file *fx, const char *const *names, size_t count, size_t *len)
{
    uint8_t *all = NULL;
    *len = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n;
        uint8_t *m = fx_hex(fx, "messages", names[i], &n);
        all = realloc(all, *len + n);
        memcpy(all + *len, m, n);
        *len += n;
        free(m);
    }
    return all;
}

static const char *const first_flight[] = {"client_hello", "server_hello", "encrypted_extensions",
                                           "server_certificate"};

/* keep_raw: a TLS 1.2 CertificateVerify hash with another hash than the PRF's. */
static void test_keep_raw(void)
{
    fx_file fx;
    mt_transcript t;
    size_t len;
    uint8_t got[64], want[64];

    fx_load(&fx, "spec/fixtures/rfc8448-1rtt.txt");
    uint8_t *all = concat(&fx, first_flight, 4, &len);

    mt_transcript_init(&t);
    CHECK_EQ(mt_transcript_keep_raw(&t, 1), 0);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_hello"), 0);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(add_msg(&t, &fx, "encrypted_extensions"), 0);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate"), 0);
    CHECK_EQ(mt_transcript_raw(&t).len, len);
    CHECK_EQ(mt_transcript_hash_raw(&t, MT_HASH_SHA384, got), 0);
    CHECK_EQ(mt_hash(MT_HASH_SHA384, all, len, want), 0);
    CHECK_MEM(got, want, 48);
    CHECK_EQ(mt_transcript_hash_raw(&t, MT_HASH_SHA1, got), 0);
    CHECK_EQ(mt_hash(MT_HASH_SHA1, all, len, want), 0);
    CHECK_MEM(got, want, 20);
    /* The running hash agrees with the raw bytes. */
    CHECK_EQ(mt_transcript_hash(&t, got), 0);
    CHECK_EQ(mt_hash(MT_HASH_SHA256, all, len, want), 0);
    CHECK_MEM(got, want, 32);
    /* Released: no more raw hashing, and it cannot be switched back on. */
    mt_transcript_release_raw(&t);
    CHECK_EQ(mt_transcript_raw(&t).len, 0);
    CHECK_EQ(mt_transcript_hash_raw(&t, MT_HASH_SHA384, got), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_transcript_keep_raw(&t, 1), MT_ERR_BAD_STATE);
    CHECK_EQ(add_msg(&t, &fx, "server_certificate_verify"), 0);
    CHECK_EQ(mt_transcript_raw(&t).len, 0);
    mt_transcript_free(&t);

    /* Without keep_raw the raw bytes are gone once the hash is chosen. */
    mt_transcript_init(&t);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(mt_transcript_hash_raw(&t, MT_HASH_SHA1, got), 0); /* pending: still there */
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), 0);
    CHECK_EQ(mt_transcript_hash_raw(&t, MT_HASH_SHA1, got), MT_ERR_BAD_STATE);
    mt_transcript_free(&t);

    free(all);
    fx_free(&fx);
}

/* TLS 1.0/1.1: MD5 || SHA-1 over the same messages (RFC 2246 7.4.9). */
static void test_md5sha1(void)
{
    fx_file fx;
    mt_transcript t;
    size_t len;
    uint8_t got[36], want[36];

    fx_load(&fx, "spec/fixtures/rfc8448-1rtt.txt");
    uint8_t *all = concat(&fx, first_flight, 4, &len);
    mt_transcript_init(&t);
    CHECK_EQ(add_msg(&t, &fx, "client_hello"), 0);
    CHECK_EQ(mt_transcript_set_md5sha1(&t), 0);
    CHECK_EQ(mt_transcript_set_md5sha1(&t), 0);
    CHECK_EQ(mt_transcript_set_hash(&t, MT_HASH_SHA256), MT_ERR_BAD_STATE);
    for (int i = 1; i < 4; i++)
        CHECK_EQ(add_msg(&t, &fx, first_flight[i]), 0);
    CHECK_EQ(mt_transcript_len(&t), MT_TRANSCRIPT_MD5SHA1_LEN);
    CHECK_EQ(mt_transcript_hash(&t, got), 0);
    CHECK_EQ(mt_hash(MT_HASH_MD5, all, len, want), 0);
    CHECK_EQ(mt_hash(MT_HASH_SHA1, all, len, want + 16), 0);
    CHECK_MEM(got, want, 36);
    /* No single-hash operations on the pair. */
    CHECK_EQ(mt_transcript_hash_with(&t, MT_HASH_NONE, NULL, 0, got), MT_ERR_BAD_STATE);
    CHECK_EQ(mt_transcript_hrr_rewrite(&t), MT_ERR_BAD_STATE);
    mt_transcript_free(&t);
    free(all);
    fx_free(&fx);
}

int main(void)
{
    RUN(test_1rtt_buffered_then_hashed);
    RUN(test_1rtt_hash_chosen_first);
    RUN(test_hrr_rewrite);
    RUN(test_hrr_restart_from_cookie_hash);
    RUN(test_binder_truncation);
    RUN(test_binder_cut_rejects);
    RUN(test_resumption_hashes);
    RUN(test_client_auth_and_compat_hashes);
    RUN(test_keep_raw);
    RUN(test_md5sha1);
    return test_summary();
}
