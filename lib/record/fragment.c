/*
 * fragment.c - cut a stream of one content type into records.
 *
 * Notes:
 * - The iterator hands out prepared records one at a time, so the engine can show each to
 *   a record hook before sealing it; mt_rec_send is the same loop without hooks.
 * - RFC 8446 5.1 / RFC 5246 6.2.1: records carry at most 2^14 bytes of content; the
 *   peer's max_fragment_length (RFC 6066 4) or record_size_limit (RFC 8449 4) lowers that
 *   through mt_rec_prot.max_plaintext. A script may pass any size up to the 16-bit length
 *   field to test a peer's limits.
 * - An empty stream yields no record: RFC 8446 5.1 forbids zero-length handshake
 *   fragments, and an empty application-data record is a deliberate act (prepare + seal).
 */
#include "record.h"
#include "../internal.h"

int mt_rec_frag_init(mt_rec_frag *f, uint8_t type, mt_slice data, size_t max)
{
    if (max == 0) max = MT_REC_MAX_PLAINTEXT;
    MT_ENSURE(max <= 0xFFFF, MT_ERR_BAD_PARAM);
    f->data = data;
    f->off = 0;
    f->max = max;
    f->type = type;
    return 0;
}

int mt_rec_frag_next(mt_rec_frag *f, const mt_rec_prot *p, mt_record *rec)
{
    mt_reader r;
    mt_slice done, piece;
    size_t n;

    mt_rd_init(&r, f->data.p, f->data.len);
    if (mt_rd_bytes(&r, f->off, &done) != 0) return 0;
    n = mt_rd_left(&r);
    if (n == 0) return 0;
    if (n > f->max) n = f->max;
    if (mt_rd_bytes(&r, n, &piece) != 0) return 0;
    f->off = mt_rd_pos(&r);
    mt_rec_prepare(p, f->type, piece, rec);
    return 1;
}

int mt_rec_send(mt_rec_prot *p, uint8_t type, mt_slice data, size_t max, mt_buf *out)
{
    mt_rec_frag f;
    mt_record rec;
    size_t start = out->len;
    int rc = 0;

    MT_TRY(mt_rec_frag_init(&f, type, data, max ? max : mt_rec_max_fragment(p)));
    while (mt_rec_frag_next(&f, p, &rec))
        MT_TRY_GOTO(mt_rec_seal(p, &rec, out));
out:
    /* Records already sealed used sequence numbers; the output is dropped with them
     * only on failure, where the connection is failing anyway. */
    if (rc != 0) {
        mt_wipe(out->data ? &out->data[start] : NULL, out->len - start);
        out->len = start;
    }
    return rc;
}
