/*
 * shape.c - the shaping knobs: extension order and extra extensions of the handshake
 * messages the engine builds (mt_config_set_extension_order, mt_config_add_extension).
 *
 * Notes:
 * - Shaping runs on the body a state machine queued (mt_eng_send_hs), before the
 *   message_out hook and the transcript: the shaped message is the engine's own message,
 *   hashed as sent, and a hook sees it shaped. The state machines know nothing about it.
 * - It changes the wire only, never the negotiation (an added alpn selects nothing); a
 *   script that wants the engine to follow an edit adopts it in a message_out hook.
 * - The body is split into what precedes the extensions block, the extensions, and what
 *   follows (nothing, in a well-formed body); only the extensions change. A configured
 *   extension of a type the engine wrote replaces it in place; the others are added after
 *   the engine's; then the order applies. A body without an
 *   extensions block is left as built.
 * - RFC 8446 4.2.11: pre_shared_key is the last ClientHello extension and its binders
 *   cover everything before them, so a ClientHello that carries one is never shaped.
 */
#include "engine.h"
#include "handshake/codec.h"
#include "handshake/codec_schema.h"
#include "internal.h"

#define MAX_EXTS 128

typedef struct ext_ref {
    uint16_t type;
    mt_slice whole; /* type, length and data */
    size_t rank;
} ext_ref;

/* Offset of the extensions block (its u16 length) in a body of `type`. */
static int ext_block_at(uint8_t type, mt_slice body, size_t *off)
{
    mt_reader r;
    mt_rd_init(&r, body.p, body.len);
    mt_slice skip;
    switch (type) {
    case MT_HS_CLIENT_HELLO: /* version, random, session id, suites, compression */
        MT_TRY(mt_rd_bytes(&r, 34, &skip));
        MT_TRY(mt_rd_vec8_slice(&r, &skip));
        MT_TRY(mt_rd_vec16_slice(&r, &skip));
        MT_TRY(mt_rd_vec8_slice(&r, &skip));
        break;
    case MT_HS_SERVER_HELLO: /* version, random, session id echo, suite, compression */
        MT_TRY(mt_rd_bytes(&r, 34, &skip));
        MT_TRY(mt_rd_vec8_slice(&r, &skip));
        MT_TRY(mt_rd_bytes(&r, 3, &skip));
        break;
    case MT_HS_ENCRYPTED_EXTENSIONS:
        break;
    default:
        return MT_ERR_NOT_FOUND;
    }
    if (mt_rd_left(&r) < 2) return MT_ERR_NOT_FOUND;
    *off = mt_rd_pos(&r);
    return 0;
}

static const struct mt_shape *shape_of(const mt_config *cfg, unsigned kind)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(cfg->shapes); i++)
        if (cfg->shapes[i].kind == kind && kind != 0) return &cfg->shapes[i];
    return NULL;
}

/* Append the extensions of a block (u16 type, u16-prefixed data each) to refs. */
static int collect(mt_slice block, ext_ref *refs, size_t *n)
{
    mt_reader r;
    mt_rd_init(&r, block.p, block.len);
    while (mt_rd_left(&r)) {
        size_t start = mt_rd_pos(&r);
        uint16_t type;
        mt_slice data;
        MT_TRY(mt_rd_u16(&r, &type));
        MT_TRY(mt_rd_vec16_slice(&r, &data));
        MT_ENSURE(*n < MAX_EXTS, MT_ERR_LIMIT);
        refs[*n].type = type;
        refs[*n].whole = mt_slice_of(block.p + start, mt_rd_pos(&r) - start);
        (*n)++;
    }
    return 0;
}

int mt_shape_body(const mt_config *cfg, uint8_t type, mt_slice body, mt_buf *out)
{
    unsigned kind = type;
    if (type == MT_HS_SERVER_HELLO && body.len >= 34 &&
        memcmp(body.p + 2, mt_hs_hrr_random, 32) == 0)
        kind = MT_MSG_HELLO_RETRY_REQUEST;
    const struct mt_shape *s = shape_of(cfg, kind);
    if (s == NULL || (s->n_order == 0 && s->extra.len == 0)) return MT_ERR_NOT_FOUND;
    size_t off;
    if (ext_block_at(type, body, &off) != 0) return MT_ERR_NOT_FOUND;
    mt_reader r;
    mt_rd_init(&r, body.p + off, body.len - off);
    mt_slice block;
    /* A body the engine built always parses; anything else is left alone. */
    if (mt_rd_vec16_slice(&r, &block) != 0) return MT_ERR_NOT_FOUND;
    mt_slice tail = mt_rd_rest(&r);

    ext_ref refs[MAX_EXTS];
    size_t n = 0;
    if (collect(block, refs, &n) != 0) return MT_ERR_NOT_FOUND;
    for (size_t i = 0; i < n; i++)
        if (kind == MT_HS_CLIENT_HELLO && refs[i].type == MT_EXT_PRE_SHARED_KEY)
            return MT_ERR_NOT_FOUND;
    /* The configured extensions: one of a type the engine wrote takes its place (the
     * first one not yet taken), the others follow the engine's. */
    size_t built = n;
    ext_ref extra[MAX_EXTS];
    size_t n_extra = 0;
    MT_TRY(collect(mt_buf_slice(&s->extra), extra, &n_extra));
    int taken[MAX_EXTS] = {0};
    for (size_t k = 0; k < n_extra; k++) {
        size_t i = 0;
        while (i < built && (taken[i] || refs[i].type != extra[k].type))
            i++;
        if (i < built) {
            refs[i] = extra[k];
            taken[i] = 1;
            continue;
        }
        MT_ENSURE(n < MAX_EXTS, MT_ERR_LIMIT);
        refs[n++] = extra[k];
    }

    /* Rank: a listed type takes its place in the list; the others follow, in the order
     * they were built. An insertion sort on the rank keeps equal ranks in order. */
    for (size_t i = 0; i < n; i++) {
        refs[i].rank = s->n_order + i;
        for (size_t k = 0; k < s->n_order; k++)
            if (s->order[k] == refs[i].type) {
                refs[i].rank = k;
                break;
            }
    }
    for (size_t i = 1; i < n; i++) {
        ext_ref e = refs[i];
        size_t j = i;
        while (j > 0 && refs[j - 1].rank > e.rank) {
            refs[j] = refs[j - 1];
            j--;
        }
        refs[j] = e;
    }

    mt_buf_reset(out);
    mt_wr_mark m;
    MT_TRY(mt_wr_bytes(out, body.p, off));
    MT_TRY(mt_wr_open(out, 2, &m));
    for (size_t i = 0; i < n; i++)
        MT_TRY(mt_wr_bytes(out, refs[i].whole.p, refs[i].whole.len));
    MT_TRY(mt_wr_close(out, &m));
    return mt_wr_bytes(out, tail.p, tail.len);
}
