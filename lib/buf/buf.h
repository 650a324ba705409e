/*
 * buf.h - owned buffers, borrowed slices, bounds-checked readers and writers.
 *
 * Notes:
 * - mt_buf owns its bytes; mt_buf_free wipes them before release, so secrets never linger
 *   on the heap. A zero-initialised mt_buf ({0}) is a valid empty buffer.
 * - mt_slice borrows: it never owns and never frees.
 * - mt_reader walks a borrowed slice. Every read checks bounds and returns
 *   MT_ERR_DECODE (decode_error) on a short read; sub-readers for 8/16/24-bit
 *   length-prefixed vectors fail the same way when the length exceeds the block.
 *   mt_rd_done() checks that a reader was fully consumed.
 * - Writers append to an mt_buf. A length prefix is reserved with mt_wr_open() and patched
 *   by mt_wr_close(), which fails with MT_ERR_LIMIT if the body does not fit the prefix.
 *   Nothing in protocol code does pointer arithmetic by hand.
 */
#ifndef MT_BUF_H
#define MT_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct mt_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} mt_buf;

typedef struct mt_slice {
    const uint8_t *p;
    size_t len;
} mt_slice;

typedef struct mt_reader {
    const uint8_t *p;
    size_t len;
    size_t off;
} mt_reader;

/* A reserved length prefix inside a writer's buffer. */
typedef struct mt_wr_mark {
    size_t at;     /* offset of the prefix */
    unsigned size; /* prefix width in bytes: 1, 2, 3 or 4 */
} mt_wr_mark;

/* ---- memory helpers ---- */

/* Overwrite n bytes with zeros in a way the compiler may not remove. NULL allowed if n==0. */
void mt_wipe(void *p, size_t n);
/* memcpy for bulk data (n bytes, regions must not overlap; NULL allowed if n == 0). It
 * avoids one pathology of glibc's memcpy: on x86 parts with fast `rep movsb` (seen on AMD
 * EPYC, glibc 2.36) that instruction runs ~25x slower when dst lies 1..63 bytes past src
 * modulo 4096, and which buffers meet that way is up to the allocator; such copies are
 * made with 16-byte moves instead. */
void mt_copy(void *dst, const void *src, size_t n);
/* Constant-time equality of two n-byte regions: 1 if equal, 0 if not. Time depends on n only. */
int mt_ct_eq(const void *a, const void *b, size_t n);

/* ---- owned buffers ---- */

void mt_buf_init(mt_buf *b);
/* Ensure room for `extra` more bytes. Returns 0 or MT_ERR_NO_MEMORY / MT_ERR_LIMIT. */
int mt_buf_reserve(mt_buf *b, size_t extra);
/* Append n bytes (p may be NULL only when n == 0). */
int mt_buf_append(mt_buf *b, const void *p, size_t n);
/* Drop the first n bytes (n <= len), moving the rest to the front. */
void mt_buf_consume(mt_buf *b, size_t n);
/* mt_buf_consume without wiping what is given up: only for buffers that never hold
 * secrets or plaintext (ciphertext from the wire). */
void mt_buf_consume_public(mt_buf *b, size_t n);
/* Wipe contents and set len to 0; keeps the allocation. */
void mt_buf_reset(mt_buf *b);
/* Wipe and release; b is empty and reusable afterwards. */
void mt_buf_free(mt_buf *b);
/* Release without wiping: only for buffers that never hold secrets or plaintext
 * (ciphertext on its way to or from the wire). */
void mt_buf_free_public(mt_buf *b);
/* Replace the contents of dst with a copy of n bytes at p. */
int mt_buf_set(mt_buf *dst, const void *p, size_t n);
static inline mt_slice mt_buf_slice(const mt_buf *b)
{
    mt_slice s = {b->data, b->len};
    return s;
}
static inline mt_slice mt_slice_of(const void *p, size_t n)
{
    mt_slice s = {(const uint8_t *)p, n};
    return s;
}

/* ---- readers (all return 0 or MT_ERR_DECODE) ---- */

static inline void mt_rd_init(mt_reader *r, const void *p, size_t len)
{
    r->p = (const uint8_t *)p;
    r->len = len;
    r->off = 0;
}
static inline size_t mt_rd_left(const mt_reader *r)
{
    return r->len - r->off;
}
/* Offset of the read position from the start of this reader's block. */
static inline size_t mt_rd_pos(const mt_reader *r)
{
    return r->off;
}
int mt_rd_u8(mt_reader *r, uint8_t *v);
int mt_rd_u16(mt_reader *r, uint16_t *v);
int mt_rd_u24(mt_reader *r, uint32_t *v);
int mt_rd_u32(mt_reader *r, uint32_t *v);
int mt_rd_u64(mt_reader *r, uint64_t *v);
/* Borrow the next n bytes. */
int mt_rd_bytes(mt_reader *r, size_t n, mt_slice *out);
/* Copy the next n bytes to dst. */
int mt_rd_copy(mt_reader *r, void *dst, size_t n);
/* Borrow the rest of the block. Never fails. */
mt_slice mt_rd_rest(mt_reader *r);
/* Read an 8/16/24-bit length prefix and open a sub-reader on that many bytes. */
int mt_rd_vec8(mt_reader *r, mt_reader *sub);
int mt_rd_vec16(mt_reader *r, mt_reader *sub);
int mt_rd_vec24(mt_reader *r, mt_reader *sub);
/* Same, borrowing the vector as a slice. */
int mt_rd_vec8_slice(mt_reader *r, mt_slice *out);
int mt_rd_vec16_slice(mt_reader *r, mt_slice *out);
int mt_rd_vec24_slice(mt_reader *r, mt_slice *out);
/* 0 if the reader is fully consumed, MT_ERR_DECODE if bytes remain. */
int mt_rd_done(const mt_reader *r);

/* ---- writers (append to an mt_buf; return 0, MT_ERR_NO_MEMORY or MT_ERR_LIMIT) ---- */

int mt_wr_u8(mt_buf *b, uint8_t v);
int mt_wr_u16(mt_buf *b, uint16_t v);
/* Fails with MT_ERR_LIMIT if v >= 2^24. */
int mt_wr_u24(mt_buf *b, uint32_t v);
int mt_wr_u32(mt_buf *b, uint32_t v);
int mt_wr_u64(mt_buf *b, uint64_t v);
int mt_wr_bytes(mt_buf *b, const void *p, size_t n);
/* Write an 8/16/24-bit length prefix and the bytes; MT_ERR_LIMIT if n does not fit. */
int mt_wr_vec8(mt_buf *b, const void *p, size_t n);
int mt_wr_vec16(mt_buf *b, const void *p, size_t n);
int mt_wr_vec24(mt_buf *b, const void *p, size_t n);
/* Reserve a `size`-byte (1..4) length prefix; write the body; then mt_wr_close patches it. */
int mt_wr_open(mt_buf *b, unsigned size, mt_wr_mark *m);
int mt_wr_close(mt_buf *b, const mt_wr_mark *m);
/* Patch a prefix with an explicit value (a script's length override), checked for width. */
int mt_wr_close_as(mt_buf *b, const mt_wr_mark *m, uint64_t value);

#endif
