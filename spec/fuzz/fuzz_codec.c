/*
 * fuzz_codec.c - libFuzzer target for the handshake codec.
 *
 * The first input byte picks the context (content type, version, key exchange,
 * signature form; see ctx_of), the rest is one message. Properties, each an abort when
 * broken:
 * - decode fails only with decode_error (or the node limit), and leaves nothing behind;
 * - an accepted message re-encodes to exactly its input;
 * - every decoded length prefix equals the content length the tree computes;
 * - validation and the tree walk never crash, and leave the encoding unchanged;
 * - duplicating then removing a node gives the input back.
 * The seed corpus (spec/fuzz/corpus/fuzz_codec/) is every sample of
 * spec/fixtures/messages/ with its context byte, made by make_corpus.py there.
 */
#include "handshake/codec.h"
#include "handshake/validate.h"
#include "moontls.h"

#include <stdlib.h>
#include <string.h>

static mt_hs_ctx ctx_of(uint8_t b)
{
    static const uint8_t ct[4] = {MT_HS_CT_HANDSHAKE, MT_HS_CT_ALERT, MT_HS_CT_CHANGE_CIPHER_SPEC,
                                  MT_HS_CT_HANDSHAKE};
    static const uint16_t ver[4] = {0x0303, 0x0304, 0x0301, 0};
    mt_hs_ctx c = {0};
    c.content_type = ct[b & 3];
    c.version = ver[(b >> 2) & 3];
    c.kx = (uint8_t)((b >> 4) & 3);
    c.sig = (uint8_t)((b >> 6) & 3);
    c.side = (uint8_t)((b >> 4) & 1); /* any: the codec does not look at it */
    return c;
}

static void same_encoding(const mt_hs_msg *m, const uint8_t *p, size_t n)
{
    mt_buf out = {0};
    if (mt_hs_encode(m, &out) != 0) abort();
    if (out.len != n || (n && memcmp(out.data, p, n) != 0)) abort();
    mt_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    mt_hs_ctx ctx = ctx_of(data[0]);
    const uint8_t *p = &data[1];
    size_t n = size - 1;
    mt_hs_msg *m = NULL;
    char where[MT_HS_WHERE_MAX];
    int rc = mt_hs_decode(&ctx, p, n, &m, where, sizeof where);
    if (rc != 0) {
        if (rc != MT_ERR_DECODE && rc != MT_ERR_LIMIT) abort();
        if (m != NULL || (rc == MT_ERR_DECODE && where[0] == 0)) abort();
        return 0;
    }
    same_encoding(m, p, n);

    mt_hs_id first_ext = MT_HS_NONE;
    for (mt_hs_id id = 0; id < mt_hs_node_count(m); id++) {
        mt_hs_info in;
        if (mt_hs_node_info(m, id, &in) != 0) abort();
        if (in.span_off + in.span_len > n) abort();
        if (in.kind == MT_HS_K_EXT && first_ext == MT_HS_NONE) first_ext = id;
        if (in.len_at == SIZE_MAX) continue;
        unsigned w = in.kind == MT_HS_K_EXT ? 2 : in.width;
        size_t v = 0, len;
        for (unsigned k = 0; k < w; k++)
            v = v << 8 | p[in.len_at + k];
        if (mt_hs_node_content_len(m, id, &len) != 0 || len != v) abort();
    }
    rc = mt_hs_validate(m, NULL, where, sizeof where);
    if (rc != 0 && !MT_ERR_IS_SENT(rc)) abort();
    same_encoding(m, p, n);

    if (first_ext != MT_HS_NONE) {
        mt_hs_id copy;
        if (mt_hs_node_dup(m, first_ext, &copy) != 0) abort();
        if (mt_hs_node_remove(m, copy) != 0) abort();
        same_encoding(m, p, n);
    }
    mt_hs_msg_free(m);
    return 0;
}
