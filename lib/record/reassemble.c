/*
 * reassemble.c - join handshake fragments into whole messages.
 *
 * Notes:
 * - Handshake messages (type(1) || uint24 length || body) may be split across records or
 *   coalesced into one (RFC 8446 5.1, RFC 5246 6.2.1). Fragments are appended to one
 *   buffer; mt_reasm_next hands out each whole message in turn as a slice into it, and
 *   drops a message from the front only at the following call, so the slice stays valid
 *   while the caller decodes it.
 * - The buffer is released as soon as it is empty: an idle connection holds nothing here.
 * - Size cap: the u24 length allows 16 MiB per message, which a peer could make us buffer.
 *   Each type has a cap (64 KiB by default, raised by the engine for Certificate and
 *   the like), checked as soon as a header is complete, before the body is buffered.
 *   No RFC names an alert for "too large for this implementation"; we send
 *   illegal_parameter, as OpenSSL does (SSL_R_EXCESSIVE_MESSAGE_SIZE), so scripts
 *   comparing peers see the same answer: the length field holds a value we refuse.
 */
#include "record.h"
#include "../internal.h"

#define HS_HEADER_LEN 4
#define U24_MAX 0xFFFFFFu

void mt_reasm_init(mt_reasm *r)
{
    memset(r, 0, sizeof *r);
    mt_buf_init(&r->buf);
    r->max_len = MT_REASM_DEFAULT_MAX;
}

void mt_reasm_free(mt_reasm *r)
{
    if (r == NULL) return;
    mt_buf_free(&r->buf);
    mt_reasm_init(r);
}

int mt_reasm_set_max(mt_reasm *r, uint8_t msg_type, size_t max_len)
{
    size_t i;

    MT_ENSURE(max_len <= U24_MAX, MT_ERR_BAD_PARAM);
    for (i = 0; i < MT_REASM_OVERRIDES; i++) {
        if (r->over[i].used && r->over[i].type == msg_type) break;
    }
    if (i == MT_REASM_OVERRIDES) {
        for (i = 0; i < MT_REASM_OVERRIDES && r->over[i].used; i++) {
        }
    }
    MT_ENSURE(i < MT_REASM_OVERRIDES, MT_ERR_LIMIT);
    r->over[i].used = 1;
    r->over[i].type = msg_type;
    r->over[i].max_len = (uint32_t)max_len;
    return 0;
}

static size_t cap_for(const mt_reasm *r, uint8_t msg_type)
{
    for (size_t i = 0; i < MT_REASM_OVERRIDES; i++) {
        if (r->over[i].used && r->over[i].type == msg_type) return r->over[i].max_len;
    }
    return r->max_len;
}

/* Drop the message handed out last; free the buffer when nothing is left. */
static void drop_taken(mt_reasm *r)
{
    if (r->taken) mt_buf_consume(&r->buf, r->taken);
    r->taken = 0;
    if (r->buf.len == 0) mt_buf_free(&r->buf);
}

/* Look at the message at the front of the buffer. Returns 0 with *whole = its full size
 * when all of it is there, MT_ERR_WANT_INPUT when not, MT_ERR_ILLEGAL_PARAM when its
 * header announces more than the cap. */
static int front_message(const mt_reasm *r, size_t *whole)
{
    mt_reader rd;
    uint8_t type;
    uint32_t len;

    mt_rd_init(&rd, r->buf.data, r->buf.len);
    MT_ENSURE(mt_rd_left(&rd) >= HS_HEADER_LEN, MT_ERR_WANT_INPUT);
    MT_TRY(mt_rd_u8(&rd, &type));
    MT_TRY(mt_rd_u24(&rd, &len));
    MT_ENSURE(len <= cap_for(r, type), MT_ERR_ILLEGAL_PARAM);
    MT_ENSURE(mt_rd_left(&rd) >= len, MT_ERR_WANT_INPUT);
    *whole = HS_HEADER_LEN + (size_t)len;
    return 0;
}

int mt_reasm_feed(mt_reasm *r, mt_slice fragment, int tls13)
{
    size_t whole;
    int rc;

    /* RFC 8446 5.1: "Implementations MUST NOT send zero-length fragments of Handshake
     * types, even if those fragments contain padding." */
    MT_ENSURE(!(tls13 && fragment.len == 0), MT_ERR_UNEXPECTED);
    drop_taken(r);
    MT_TRY(mt_buf_append(&r->buf, fragment.p, fragment.len));
    /* Refuse an oversized message at once rather than buffering up to 16 MiB of it. */
    rc = front_message(r, &whole);
    MT_ENSURE(rc == 0 || rc == MT_ERR_WANT_INPUT, rc);
    return 0;
}

int mt_reasm_next(mt_reasm *r, mt_slice *msg)
{
    size_t whole = 0;

    *msg = mt_slice_of(NULL, 0);
    drop_taken(r);
    MT_TRY(front_message(r, &whole));
    *msg = mt_slice_of(r->buf.data, whole);
    r->taken = whole;
    return 0;
}

size_t mt_reasm_pending(const mt_reasm *r)
{
    return r->buf.len - r->taken;
}

int mt_reasm_check_key_change(const mt_reasm *r)
{
    /* RFC 8446 5.1: "Handshake messages MUST NOT span key changes. Implementations MUST
     * verify that all messages immediately preceding a key change align with a record
     * boundary; if not, then they MUST terminate the connection with an
     * unexpected_message alert." */
    MT_ENSURE(mt_reasm_pending(r) == 0, MT_ERR_UNEXPECTED);
    return 0;
}
