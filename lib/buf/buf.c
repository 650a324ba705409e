/*
 * buf.c - owned buffers, readers and writers. See buf.h for the contracts.
 */
#include "buf.h"
#include "../internal.h"

#include <stdlib.h>
#include <string.h>

/* Upper bound on any single buffer: far above every TLS structure (2^24 handshake
 * messages plus framing) while keeping size arithmetic far from overflow. */
#define BUF_MAX ((size_t)1 << 30)

void mt_wipe(void *p, size_t n)
{
    /* explicit_bzero: a memset the compiler may not remove, at memset speed (a volatile
     * byte loop cost more than AES-GCM itself on the record path). */
    if (n) explicit_bzero(p, n);
}

void mt_copy(void *dst, const void *src, size_t n)
{
    uintptr_t dist = ((uintptr_t)dst - (uintptr_t)src) & 4095;
    /* Below ~1 KiB glibc copies with vector moves anyway. */
    if (n < 1024 || dist == 0 || dist >= 64) {
        if (n) memcpy(dst, src, n);
        return;
    }
    uint8_t *o = dst;
    const uint8_t *i = src;
    for (; n >= 64; n -= 64, o += 64, i += 64)
        __builtin_memcpy(o, i, 64); /* fixed size: inlined as vector moves, no rep movsb */
    memcpy(o, i, n);
}

int mt_ct_eq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= (uint8_t)(x[i] ^ y[i]);
    /* 1 when acc == 0, computed without a branch on the data. */
    return (int)(1 & (((unsigned)acc - 1) >> 8));
}

void mt_buf_init(mt_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int mt_buf_reserve(mt_buf *b, size_t extra)
{
    MT_ENSURE(extra <= BUF_MAX && b->len <= BUF_MAX - extra, MT_ERR_LIMIT);
    size_t need = b->len + extra;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    /* Grow by copy, not realloc, so the old block can be wiped: it may hold secrets. */
    uint8_t *p = malloc(cap);
    MT_ENSURE(p != NULL, MT_ERR_NO_MEMORY);
    if (b->len) memcpy(p, b->data, b->len);
    if (b->data) {
        /* Bytes past len are never live: consume and reset wipe what they give up. */
        mt_wipe(b->data, b->len);
        free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int mt_buf_append(mt_buf *b, const void *p, size_t n)
{
    if (n == 0) return 0;
    MT_TRY(mt_buf_reserve(b, n));
    mt_copy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void mt_buf_consume(mt_buf *b, size_t n)
{
    if (n >= b->len) {
        mt_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    mt_wipe(b->data + b->len - n, n);
    b->len -= n;
}

void mt_buf_consume_public(mt_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void mt_buf_reset(mt_buf *b)
{
    if (b->data) mt_wipe(b->data, b->len);
    b->len = 0;
}

void mt_buf_free(mt_buf *b)
{
    if (b->data) {
        mt_wipe(b->data, b->len); /* past len is already clean (see mt_buf_reserve) */
        free(b->data);
    }
    mt_buf_init(b);
}

void mt_buf_free_public(mt_buf *b)
{
    free(b->data);
    mt_buf_init(b);
}

int mt_buf_set(mt_buf *dst, const void *p, size_t n)
{
    mt_buf_reset(dst);
    return mt_buf_append(dst, p, n);
}

/* ---- readers ---- */

static int take(mt_reader *r, size_t n, const uint8_t **out)
{
    MT_ENSURE(n <= r->len - r->off, MT_ERR_DECODE);
    *out = r->p + r->off;
    r->off += n;
    return 0;
}

static int read_be(mt_reader *r, unsigned n, uint64_t *v)
{
    const uint8_t *q;
    MT_TRY(take(r, n, &q));
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++)
        x = (x << 8) | q[i];
    *v = x;
    return 0;
}

int mt_rd_u8(mt_reader *r, uint8_t *v)
{
    uint64_t x;
    MT_TRY(read_be(r, 1, &x));
    *v = (uint8_t)x;
    return 0;
}

int mt_rd_u16(mt_reader *r, uint16_t *v)
{
    uint64_t x;
    MT_TRY(read_be(r, 2, &x));
    *v = (uint16_t)x;
    return 0;
}

int mt_rd_u24(mt_reader *r, uint32_t *v)
{
    uint64_t x;
    MT_TRY(read_be(r, 3, &x));
    *v = (uint32_t)x;
    return 0;
}

int mt_rd_u32(mt_reader *r, uint32_t *v)
{
    uint64_t x;
    MT_TRY(read_be(r, 4, &x));
    *v = (uint32_t)x;
    return 0;
}

int mt_rd_u64(mt_reader *r, uint64_t *v)
{
    return read_be(r, 8, v);
}

int mt_rd_bytes(mt_reader *r, size_t n, mt_slice *out)
{
    const uint8_t *q;
    MT_TRY(take(r, n, &q));
    out->p = q;
    out->len = n;
    return 0;
}

int mt_rd_copy(mt_reader *r, void *dst, size_t n)
{
    const uint8_t *q;
    MT_TRY(take(r, n, &q));
    if (n) memcpy(dst, q, n);
    return 0;
}

mt_slice mt_rd_rest(mt_reader *r)
{
    mt_slice s = {r->p + r->off, r->len - r->off};
    r->off = r->len;
    return s;
}

static int rd_vec(mt_reader *r, unsigned width, mt_slice *out)
{
    uint64_t n;
    MT_TRY(read_be(r, width, &n));
    return mt_rd_bytes(r, (size_t)n, out);
}

static int rd_sub(mt_reader *r, unsigned width, mt_reader *sub)
{
    mt_slice s;
    MT_TRY(rd_vec(r, width, &s));
    mt_rd_init(sub, s.p, s.len);
    return 0;
}

int mt_rd_vec8(mt_reader *r, mt_reader *sub)
{
    return rd_sub(r, 1, sub);
}
int mt_rd_vec16(mt_reader *r, mt_reader *sub)
{
    return rd_sub(r, 2, sub);
}
int mt_rd_vec24(mt_reader *r, mt_reader *sub)
{
    return rd_sub(r, 3, sub);
}
int mt_rd_vec8_slice(mt_reader *r, mt_slice *out)
{
    return rd_vec(r, 1, out);
}
int mt_rd_vec16_slice(mt_reader *r, mt_slice *out)
{
    return rd_vec(r, 2, out);
}
int mt_rd_vec24_slice(mt_reader *r, mt_slice *out)
{
    return rd_vec(r, 3, out);
}

int mt_rd_done(const mt_reader *r)
{
    return r->off == r->len ? 0 : MT_ERR_DECODE;
}

/* ---- writers ---- */

static int write_be(mt_buf *b, unsigned n, uint64_t v)
{
    uint8_t tmp[8];
    for (unsigned i = 0; i < n; i++)
        tmp[n - 1 - i] = (uint8_t)(v >> (8 * i));
    return mt_buf_append(b, tmp, n);
}

static int fits(unsigned width, uint64_t v)
{
    return width >= 8 || v < ((uint64_t)1 << (8 * width));
}

int mt_wr_u8(mt_buf *b, uint8_t v)
{
    return write_be(b, 1, v);
}
int mt_wr_u16(mt_buf *b, uint16_t v)
{
    return write_be(b, 2, v);
}
int mt_wr_u24(mt_buf *b, uint32_t v)
{
    MT_ENSURE(fits(3, v), MT_ERR_LIMIT);
    return write_be(b, 3, v);
}
int mt_wr_u32(mt_buf *b, uint32_t v)
{
    return write_be(b, 4, v);
}
int mt_wr_u64(mt_buf *b, uint64_t v)
{
    return write_be(b, 8, v);
}
int mt_wr_bytes(mt_buf *b, const void *p, size_t n)
{
    return mt_buf_append(b, p, n);
}

static int wr_vec(mt_buf *b, unsigned width, const void *p, size_t n)
{
    MT_ENSURE(fits(width, n), MT_ERR_LIMIT);
    MT_TRY(write_be(b, width, n));
    return mt_buf_append(b, p, n);
}

int mt_wr_vec8(mt_buf *b, const void *p, size_t n)
{
    return wr_vec(b, 1, p, n);
}
int mt_wr_vec16(mt_buf *b, const void *p, size_t n)
{
    return wr_vec(b, 2, p, n);
}
int mt_wr_vec24(mt_buf *b, const void *p, size_t n)
{
    return wr_vec(b, 3, p, n);
}

int mt_wr_open(mt_buf *b, unsigned size, mt_wr_mark *m)
{
    MT_ENSURE(size >= 1 && size <= 4, MT_ERR_BAD_PARAM);
    m->at = b->len;
    m->size = size;
    return write_be(b, size, 0);
}

int mt_wr_close_as(mt_buf *b, const mt_wr_mark *m, uint64_t value)
{
    MT_ENSURE(m->at + m->size <= b->len, MT_ERR_BAD_PARAM);
    MT_ENSURE(fits(m->size, value), MT_ERR_LIMIT);
    for (unsigned i = 0; i < m->size; i++)
        b->data[m->at + m->size - 1 - i] = (uint8_t)(value >> (8 * i));
    return 0;
}

int mt_wr_close(mt_buf *b, const mt_wr_mark *m)
{
    MT_ENSURE(m->at + m->size <= b->len, MT_ERR_BAD_PARAM);
    return mt_wr_close_as(b, m, b->len - m->at - m->size);
}
