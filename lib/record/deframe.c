/*
 * deframe.c - record headers: parse, check, and write raw records.
 *
 * Notes:
 * - The input is a borrowed byte stream that may hold part of a record or several; one
 *   call takes at most one record off its front and says how many bytes that was. "Not
 *   enough bytes" is MT_ERR_WANT_INPUT and consumes nothing.
 * - The type and length checks run on the header alone, so a peer sending garbage (an
 *   HTTP request, a 64 KiB length) is refused at once rather than after we buffered it.
 * - legacy_record_version is reported, not checked: RFC 8446 5.1 says it MUST be ignored
 *   for all purposes, and TLS 1.2 version checks belong to the engine.
 */
#include "record.h"
#include "../internal.h"

int mt_rec_parse_header(mt_slice in, mt_record *rec)
{
    mt_reader r;
    uint8_t type;
    uint16_t version, length;

    memset(rec, 0, sizeof *rec);
    mt_rd_init(&r, in.p, in.len);
    MT_ENSURE(in.len >= MT_REC_HEADER_LEN, MT_ERR_WANT_INPUT);
    MT_TRY(mt_rd_u8(&r, &type));
    MT_TRY(mt_rd_u16(&r, &version));
    MT_TRY(mt_rd_u16(&r, &length));
    rec->type = type;
    rec->outer_type = type;
    rec->version = version;
    rec->length = length;
    /* The body only when all of it is there: a partial body is no payload at all. */
    if (mt_rd_left(&r) >= length) MT_TRY(mt_rd_bytes(&r, length, &rec->payload));
    return 0;
}

static int type_known(uint8_t type)
{
    return type >= MT_CT_CHANGE_CIPHER_SPEC && type <= MT_CT_HEARTBEAT;
}

int mt_rec_deframe(mt_slice in, size_t max_len, mt_record *rec, size_t *consumed)
{
    *consumed = 0;
    MT_TRY(mt_rec_parse_header(in, rec));
    /* RFC 8446 5: "If a TLS implementation receives an unexpected record type, it MUST
     * terminate the connection with an unexpected_message alert." */
    MT_ENSURE(type_known(rec->type), MT_ERR_UNEXPECTED);
    /* RFC 8446 5.1 (2^14), 5.2 (2^14 + 256), RFC 5246 6.2.1 and 6.2.3 (2^14 + 2048):
     * a record longer than allowed MUST be answered with record_overflow. */
    MT_ENSURE(rec->length <= max_len, MT_ERR_OVERFLOW);
    MT_ENSURE(in.len - MT_REC_HEADER_LEN >= rec->length, MT_ERR_WANT_INPUT);
    *consumed = MT_REC_HEADER_LEN + (size_t)rec->length;
    return 0;
}

int mt_rec_write_raw(const mt_record *rec, mt_buf *out)
{
    size_t start = out->len;
    int rc = 0;
    uint16_t length = (uint16_t)rec->payload.len;

    MT_ENSURE(rec->payload.len <= 0xFFFF, MT_ERR_LIMIT);
    if (rec->flags & MT_REC_RAW_LENGTH) length = rec->length;
    MT_TRY_GOTO(mt_wr_u8(out, rec->type));
    MT_TRY_GOTO(mt_wr_u16(out, rec->version));
    MT_TRY_GOTO(mt_wr_u16(out, length));
    MT_TRY_GOTO(mt_wr_bytes(out, rec->payload.p, rec->payload.len));
out:
    if (rc != 0) out->len = start;
    return rc;
}

int mt_rec_is_compat_ccs(const mt_record *rec)
{
    return rec->outer_type == MT_CT_CHANGE_CIPHER_SPEC && rec->payload.len == 1 &&
           rec->payload.p[0] == 0x01;
}
