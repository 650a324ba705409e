/*
 * transcript.c - running handshake hash; see transcript.h for the contract.
 *
 * Notes:
 * - Invariant: t->raw holds every message since init (or since the last HRR restart)
 *   whenever mode is PENDING or keep_raw is set; otherwise it is empty. keep_raw can only
 *   be switched on while that still holds, so mt_transcript_hash_raw never sees a gap.
 * - Reading a value clones the running state (mt_hash_peek / mt_hash_clone); the running
 *   state is only ever finalised by the HRR rewrite, which starts it again.
 */
#include "transcript.h"
#include "internal.h"

#include <string.h>

static const uint8_t client_hello_type = 1;
static const uint16_t ext_pre_shared_key = 41; /* RFC 8446 4.2 */

void mt_transcript_init(mt_transcript *t)
{
    memset(t, 0, sizeof *t);
    t->mode = MT_TRANSCRIPT_PENDING;
    t->id = MT_HASH_NONE;
    mt_buf_init(&t->raw);
}

void mt_transcript_free(mt_transcript *t)
{
    mt_hash_wipe(&t->h);
    mt_hash_wipe(&t->h2);
    mt_buf_free(&t->raw);
    mt_transcript_init(t);
}

/* Whether the raw buffer holds every message (see the invariant above). */
static int raw_complete(const mt_transcript *t)
{
    return t->mode == MT_TRANSCRIPT_PENDING || t->keep_raw;
}

/* Leave PENDING: feed the buffered messages to the chosen state(s). */
static int absorb_pending(mt_transcript *t)
{
    if (t->raw.len) {
        MT_TRY(mt_hash_update(&t->h, t->raw.data, t->raw.len));
        if (t->mode == MT_TRANSCRIPT_MD5SHA1)
            MT_TRY(mt_hash_update(&t->h2, t->raw.data, t->raw.len));
    }
    if (!t->keep_raw) mt_buf_free(&t->raw);
    return 0;
}

int mt_transcript_set_hash(mt_transcript *t, mt_hash_id id)
{
    MT_ENSURE(mt_hash_len(id) != 0, MT_ERR_BAD_PARAM);
    if (t->mode == MT_TRANSCRIPT_SINGLE && t->id == id) return 0;
    MT_ENSURE(t->mode == MT_TRANSCRIPT_PENDING, MT_ERR_BAD_STATE);
    MT_TRY(mt_hash_init(&t->h, id));
    t->mode = MT_TRANSCRIPT_SINGLE;
    t->id = id;
    return absorb_pending(t);
}

int mt_transcript_set_md5sha1(mt_transcript *t)
{
    if (t->mode == MT_TRANSCRIPT_MD5SHA1) return 0;
    MT_ENSURE(t->mode == MT_TRANSCRIPT_PENDING, MT_ERR_BAD_STATE);
    MT_TRY(mt_hash_init(&t->h, MT_HASH_MD5));
    MT_TRY(mt_hash_init(&t->h2, MT_HASH_SHA1));
    t->mode = MT_TRANSCRIPT_MD5SHA1;
    t->id = MT_HASH_NONE;
    return absorb_pending(t);
}

int mt_transcript_keep_raw(mt_transcript *t, int on)
{
    if (!on) {
        mt_transcript_release_raw(t);
        return 0;
    }
    /* Once the buffer was released, the earlier messages cannot be recovered. */
    MT_ENSURE(raw_complete(t) || t->messages == 0, MT_ERR_BAD_STATE);
    t->keep_raw = 1;
    return 0;
}

void mt_transcript_release_raw(mt_transcript *t)
{
    t->keep_raw = 0;
    if (t->mode != MT_TRANSCRIPT_PENDING) mt_buf_free(&t->raw);
}

int mt_transcript_add(mt_transcript *t, const uint8_t *msg, size_t len)
{
    MT_ENSURE(msg != NULL || len == 0, MT_ERR_BAD_PARAM);
    if (raw_complete(t)) MT_TRY(mt_buf_append(&t->raw, msg, len));
    if (t->mode != MT_TRANSCRIPT_PENDING) MT_TRY(mt_hash_update(&t->h, msg, len));
    if (t->mode == MT_TRANSCRIPT_MD5SHA1) MT_TRY(mt_hash_update(&t->h2, msg, len));
    t->messages++;
    return 0;
}

size_t mt_transcript_len(const mt_transcript *t)
{
    switch (t->mode) {
    case MT_TRANSCRIPT_SINGLE:
        return mt_hash_len(t->id);
    case MT_TRANSCRIPT_MD5SHA1:
        return MT_TRANSCRIPT_MD5SHA1_LEN;
    case MT_TRANSCRIPT_PENDING:
    default:
        return 0;
    }
}

int mt_transcript_hash(const mt_transcript *t, uint8_t *out)
{
    switch (t->mode) {
    case MT_TRANSCRIPT_SINGLE:
        return mt_hash_peek(&t->h, out);
    case MT_TRANSCRIPT_MD5SHA1:
        /* RFC 2246 7.4.9: MD5(handshake_messages) + SHA-1(handshake_messages). */
        MT_TRY(mt_hash_peek(&t->h, out));
        return mt_hash_peek(&t->h2, out + mt_hash_len(MT_HASH_MD5));
    case MT_TRANSCRIPT_PENDING:
    default:
        return MT_ERR_BAD_STATE;
    }
}

int mt_transcript_hash_with(const mt_transcript *t, mt_hash_id id, const uint8_t *extra,
                            size_t extra_len, uint8_t *out)
{
    mt_hash_ctx c;
    int rc = 0;

    MT_ENSURE(extra != NULL || extra_len == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(t->mode != MT_TRANSCRIPT_MD5SHA1, MT_ERR_BAD_STATE);
    if (t->mode == MT_TRANSCRIPT_PENDING) {
        MT_TRY(mt_hash_init(&c, id));
        MT_TRY_GOTO(mt_hash_update(&c, t->raw.data, t->raw.len));
    } else {
        MT_ENSURE(id == MT_HASH_NONE || id == t->id, MT_ERR_BAD_PARAM);
        mt_hash_clone(&c, &t->h);
    }
    MT_TRY_GOTO(mt_hash_update(&c, extra, extra_len));
    MT_TRY_GOTO(mt_hash_final(&c, out));
out:
    mt_hash_wipe(&c);
    return rc;
}

int mt_transcript_hash_raw(const mt_transcript *t, mt_hash_id id, uint8_t *out)
{
    MT_ENSURE(raw_complete(t), MT_ERR_BAD_STATE);
    return mt_hash(id, t->raw.data, t->raw.len, out);
}

mt_slice mt_transcript_raw(const mt_transcript *t)
{
    return mt_buf_slice(&t->raw);
}

int mt_transcript_restart_hrr(mt_transcript *t, const uint8_t *ch1_hash)
{
    size_t n = mt_hash_len(t->id);
    uint8_t hdr[4] = {MT_HS_MESSAGE_HASH, 0, 0, (uint8_t)n};

    MT_ENSURE(t->mode == MT_TRANSCRIPT_SINGLE, MT_ERR_BAD_STATE);
    /* RFC 8446 4.4.1: Transcript-Hash(ClientHello1, HelloRetryRequest, ... Mn) =
     *   Hash(message_hash ||  00 00 Hash.length  || Hash(ClientHello1) || HRR || ... Mn) */
    MT_TRY(mt_hash_init(&t->h, t->id));
    MT_TRY(mt_hash_update(&t->h, hdr, sizeof hdr));
    MT_TRY(mt_hash_update(&t->h, ch1_hash, n));
    t->messages = 1;
    if (t->keep_raw) {
        mt_buf_reset(&t->raw);
        MT_TRY(mt_buf_append(&t->raw, hdr, sizeof hdr));
        MT_TRY(mt_buf_append(&t->raw, ch1_hash, n));
    }
    return 0;
}

int mt_transcript_hrr_rewrite(mt_transcript *t)
{
    uint8_t ch1_hash[MT_HASH_MAX_LEN];
    int rc = 0;

    MT_ENSURE(t->mode == MT_TRANSCRIPT_SINGLE, MT_ERR_BAD_STATE);
    /* The construction replaces ClientHello1 alone; anything else means a caller bug. */
    MT_ENSURE(t->messages == 1, MT_ERR_BAD_STATE);
    MT_TRY_GOTO(mt_hash_peek(&t->h, ch1_hash));
    MT_TRY_GOTO(mt_transcript_restart_hrr(t, ch1_hash));
out:
    mt_wipe(ch1_hash, sizeof ch1_hash);
    return rc;
}

int mt_transcript_binder_cut(const uint8_t *client_hello, size_t len, size_t *cut)
{
    mt_reader r, body, exts, data, ids;
    mt_slice skip, binders;
    uint8_t type;
    uint32_t body_len;
    uint16_t version, ext_type;

    mt_rd_init(&r, client_hello, len);
    MT_TRY(mt_rd_u8(&r, &type));
    MT_ENSURE(type == client_hello_type, MT_ERR_DECODE);
    MT_TRY(mt_rd_u24(&r, &body_len));
    MT_TRY(mt_rd_bytes(&r, body_len, &skip));
    MT_TRY(mt_rd_done(&r));
    mt_rd_init(&body, skip.p, skip.len);
    /* RFC 8446 4.1.2: legacy_version, random, legacy_session_id, cipher_suites,
     * legacy_compression_methods, extensions. */
    MT_TRY(mt_rd_u16(&body, &version));
    MT_TRY(mt_rd_bytes(&body, 32, &skip));
    MT_TRY(mt_rd_vec8_slice(&body, &skip));
    MT_TRY(mt_rd_vec16_slice(&body, &skip));
    MT_TRY(mt_rd_vec8_slice(&body, &skip));
    MT_TRY(mt_rd_vec16(&body, &exts));
    MT_TRY(mt_rd_done(&body));
    while (mt_rd_left(&exts) > 0) {
        MT_TRY(mt_rd_u16(&exts, &ext_type));
        MT_TRY(mt_rd_vec16(&exts, &data));
        if (ext_type != ext_pre_shared_key) continue;
        /* RFC 8446 4.2.11: "The "pre_shared_key" extension MUST be the last extension in
         * the ClientHello". The cut relies on it: binders then end the message. */
        MT_ENSURE(mt_rd_left(&exts) == 0, MT_ERR_DECODE);
        /* OfferedPsks: identities<7..2^16-1>, binders<33..2^16-1>. */
        MT_TRY(mt_rd_vec16(&data, &ids));
        MT_TRY(mt_rd_vec16_slice(&data, &binders));
        MT_TRY(mt_rd_done(&data));
        /* RFC 8446 4.2.11.2: the hash covers everything up to and including
         * PreSharedKeyExtension.identities, i.e. all but the binders vector and its
         * 2-byte length, which are the last bytes of the message. */
        *cut = len - 2 - binders.len;
        return 0;
    }
    return MT_ERR_NOT_FOUND;
}
