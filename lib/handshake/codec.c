/*
 * codec.c - the generic decoder, encoder and tree editor over codec_schema.c.
 *
 * Notes:
 * - Why a schema and a generic tree rather than one C struct per message: the same
 *   description drives decode, encode, validation ranges and (later) the Lua table
 *   conversion, so adding a message or extension is one table entry; every field keeps
 *   its raw span and a length override without per-message code; and a script can put
 *   any value in any field, which typed structs with computed lengths cannot express.
 *   State handlers read fields through the typed getters in codec.h.
 * - Nodes live in one growable array and link to parent, first/last child and next
 *   sibling by index, so ids survive reallocation and edits (insert, move, duplicate,
 *   remove) are O(siblings). Nothing is freed before the message.
 * - Byte fields are (offset, length) into one of two owned buffers: `raw`, the copy of
 *   the decoded input, or `arena`, where edits append. Bytes are never overwritten, so a
 *   duplicated node may share them with its original.
 * - Readers carry no absolute position, so every decode step is passed the absolute
 *   offset (`base`) of its reader's block; positions are integer sums, no pointer math.
 * - Length checks are the reader's (mt_rd_vec*): a prefix longer than its enclosing
 *   block, a block with bytes left after its last field, or a field cut short is a
 *   decode_error (RFC 8446 6.2 / RFC 5246 7.2.2); nothing else is refused here.
 */
#include "handshake/codec.h"

#include "handshake/codec_schema.h"
#include "handshake/names.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_LIMIT (1u << 22)
#define PATH_MAX_DEPTH 16
#define NO_OFF 0xFFFFFFFFu

enum {
    F_ABSENT = 1,  /* optional field not present */
    F_RAW = 2,     /* EXT/MSG: body written from the bytes, not the children */
    F_OWNED = 4,   /* bytes live in the arena (an edit), not in raw */
    F_LEN = 8,     /* explicit length override */
    F_DECODED = 16 /* span_off/span_len/len_at describe the decoded input */
};

typedef struct node {
    const mt_hs_field *field; /* schema (EXT: the list's element field; MSG: the root) */
    const mt_hs_field *body;  /* EXT: body description, NULL when only raw is possible */
    mt_hs_id parent, first, last, next;
    uint8_t kind, width, flags;
    uint64_t value;
    uint32_t data_off, data_len;
    uint32_t span_off, span_len;
    uint32_t len_at;
    uint32_t len_override;
} node;

struct mt_hs_msg {
    mt_buf raw;
    mt_buf arena;
    node *nodes;
    size_t n, cap;
    mt_hs_ctx ctx;
    const mt_hs_msgdef *def;
    unsigned kind;
};

/* ---- node storage ---- */

static int new_node(mt_hs_msg *m, const mt_hs_field *f, uint8_t kind, mt_hs_id *id)
{
    MT_ENSURE(m->n < NODE_LIMIT, MT_ERR_LIMIT);
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        node *nn = realloc(m->nodes, cap * sizeof *nn);
        MT_ENSURE(nn != NULL, MT_ERR_NO_MEMORY);
        m->nodes = nn;
        m->cap = cap;
    }
    node *nd = &m->nodes[m->n];
    memset(nd, 0, sizeof *nd);
    nd->field = f;
    nd->kind = kind;
    nd->width = f ? f->width : 0;
    nd->parent = nd->first = nd->last = nd->next = MT_HS_NONE;
    nd->len_at = NO_OFF;
    *id = (mt_hs_id)m->n++;
    return 0;
}

static int valid(const mt_hs_msg *m, mt_hs_id id)
{
    return m != NULL && id < m->n;
}

/* Insert child at position pos (SIZE_MAX or past the end: last) of parent. */
static void link_at(mt_hs_msg *m, mt_hs_id parent, mt_hs_id child, size_t pos)
{
    node *c = &m->nodes[child];
    node *p = &m->nodes[parent];
    c->parent = parent;
    c->next = MT_HS_NONE;
    if (p->first == MT_HS_NONE) {
        p->first = p->last = child;
        return;
    }
    if (pos == 0) {
        c->next = p->first;
        p->first = child;
        return;
    }
    mt_hs_id prev = p->first;
    for (size_t i = 1; i < pos && m->nodes[prev].next != MT_HS_NONE; i++)
        prev = m->nodes[prev].next;
    c->next = m->nodes[prev].next;
    m->nodes[prev].next = child;
    if (c->next == MT_HS_NONE) p->last = child;
}

static void unlink_node(mt_hs_msg *m, mt_hs_id id)
{
    node *c = &m->nodes[id];
    node *p = &m->nodes[c->parent];
    mt_hs_id prev = MT_HS_NONE;
    for (mt_hs_id k = p->first; k != MT_HS_NONE && k != id; k = m->nodes[k].next)
        prev = k;
    if (prev == MT_HS_NONE)
        p->first = c->next;
    else
        m->nodes[prev].next = c->next;
    if (p->last == id) p->last = prev;
    c->next = MT_HS_NONE;
    c->parent = MT_HS_NONE;
}

static mt_slice node_bytes(const mt_hs_msg *m, const node *nd)
{
    const mt_buf *b = (nd->flags & F_OWNED) ? &m->arena : &m->raw;
    if (nd->data_len == 0) return mt_slice_of(NULL, 0);
    return mt_slice_of(&b->data[nd->data_off], nd->data_len);
}

/* ---- decoding ---- */

typedef struct dec {
    mt_hs_msg *m;
    const char *path[PATH_MAX_DEPTH];
    int depth;
    char *where;
    size_t where_cap;
} dec;

static void push(dec *d, const char *name)
{
    if (d->depth < PATH_MAX_DEPTH) d->path[d->depth] = name;
    d->depth++;
}

static void pop(dec *d)
{
    d->depth--;
}

/* Record "Title.a.b: what" and return decode_error. */
static int fail(dec *d, const char *what)
{
    if (d->where && d->where_cap) {
        const char *title = d->m->def ? d->m->def->title : "Handshake";
        int len = snprintf(d->where, d->where_cap, "%s", title);
        for (int i = 0; i < d->depth && i < PATH_MAX_DEPTH && len >= 0; i++) {
            if ((size_t)len >= d->where_cap) break;
            len += snprintf(d->where + len, d->where_cap - (size_t)len, ".%s", d->path[i]);
        }
        if (len >= 0 && (size_t)len < d->where_cap)
            snprintf(d->where + len, d->where_cap - (size_t)len, ": %s", what);
    }
    return MT_ERR_DECODE;
}

static int read_int(mt_reader *r, unsigned width, uint64_t *v)
{
    uint8_t a;
    uint16_t b;
    uint32_t c;
    switch (width) {
    case 1:
        MT_TRY(mt_rd_u8(r, &a));
        *v = a;
        return 0;
    case 2:
        MT_TRY(mt_rd_u16(r, &b));
        *v = b;
        return 0;
    case 3:
        MT_TRY(mt_rd_u24(r, &c));
        *v = c;
        return 0;
    case 4:
        MT_TRY(mt_rd_u32(r, &c));
        *v = c;
        return 0;
    default:
        return MT_ERR_BAD_PARAM;
    }
}

static int read_vec(mt_reader *r, unsigned width, mt_reader *sub)
{
    switch (width) {
    case 1:
        return mt_rd_vec8(r, sub);
    case 2:
        return mt_rd_vec16(r, sub);
    case 3:
        return mt_rd_vec24(r, sub);
    default:
        return MT_ERR_BAD_PARAM;
    }
}

static const char *ext_name(unsigned type)
{
    const char *n = mt_name_of(MT_NAME_EXTENSION, type);
    return n ? n : "extension";
}

static int decode_field(dec *d, const mt_hs_field *f, mt_reader *r, size_t base, mt_hs_id parent);

/* Decode the fields of a STRUCT-like description into children of id, consuming all of r. */
static int decode_members(dec *d, const mt_hs_field *desc, mt_reader *r, size_t base, mt_hs_id id)
{
    for (uint32_t i = 0; i < desc->nfields; i++)
        MT_TRY(decode_field(d, &desc->fields[i], r, base, id));
    return 0;
}

static int decode_ext(dec *d, const mt_hs_field *f, mt_reader *r, size_t base, mt_hs_id id)
{
    node *nd = &d->m->nodes[id];
    uint16_t type;
    mt_reader sub;
    if (mt_rd_u16(r, &type) != 0) return fail(d, "truncated");
    size_t at = base + mt_rd_pos(r);
    if (mt_rd_vec16(r, &sub) != 0) return fail(d, "length exceeds block");
    nd = &d->m->nodes[id];
    nd->value = type;
    nd->width = 2;
    nd->len_at = (uint32_t)at;
    nd->data_off = (uint32_t)(at + 2);
    nd->data_len = (uint32_t)mt_rd_left(&sub);
    nd->body = mt_hs_schema_ext(type, f->ext_ctx);
    if (!nd->body) {
        nd->flags |= F_RAW; /* unknown here: kept as raw bytes */
        return 0;
    }
    push(d, ext_name(type));
    MT_TRY(decode_members(d, nd->body, &sub, at + 2, id));
    if (mt_rd_done(&sub) != 0) return fail(d, "trailing bytes");
    pop(d);
    return 0;
}

static int decode_field(dec *d, const mt_hs_field *f, mt_reader *r, size_t base, mt_hs_id parent)
{
    mt_hs_id id;
    size_t start = base + mt_rd_pos(r);
    mt_reader sub;
    mt_slice s;
    MT_TRY(new_node(d->m, f, f->kind, &id));
    link_at(d->m, parent, id, SIZE_MAX);
    d->m->nodes[id].flags = F_DECODED;
    d->m->nodes[id].span_off = (uint32_t)start;
    if ((f->flags & MT_HS_F_OPTIONAL) && mt_rd_left(r) == 0) {
        d->m->nodes[id].flags |= F_ABSENT;
        return 0;
    }
    push(d, f->name);
    switch (f->kind) {
    case MT_HS_K_INT: {
        uint64_t v;
        if (read_int(r, f->width, &v) != 0) return fail(d, "truncated");
        d->m->nodes[id].value = v;
        break;
    }
    case MT_HS_K_OPAQUE:
        if (f->fixed) {
            if (mt_rd_bytes(r, f->fixed, &s) != 0) return fail(d, "truncated");
        } else {
            s = mt_rd_rest(r);
        }
        d->m->nodes[id].data_off = (uint32_t)start;
        d->m->nodes[id].data_len = (uint32_t)s.len;
        break;
    case MT_HS_K_VEC:
        if (read_vec(r, f->width, &sub) != 0) return fail(d, "length exceeds block");
        d->m->nodes[id].len_at = (uint32_t)start;
        d->m->nodes[id].data_off = (uint32_t)(start + f->width);
        d->m->nodes[id].data_len = (uint32_t)mt_rd_left(&sub);
        break;
    case MT_HS_K_LIST:
        if (read_vec(r, f->width, &sub) != 0) return fail(d, "length exceeds block");
        d->m->nodes[id].len_at = (uint32_t)start;
        while (mt_rd_left(&sub) > 0)
            MT_TRY(decode_field(d, f->elem, &sub, start + f->width, id));
        break;
    case MT_HS_K_STRUCT:
        MT_TRY(decode_members(d, f, r, base, id));
        break;
    case MT_HS_K_EXT:
        pop(d); /* the extension's own name replaces "extension" in the path */
        MT_TRY(decode_ext(d, f, r, base, id));
        push(d, f->name);
        break;
    default:
        return MT_ERR_BAD_PARAM;
    }
    pop(d);
    d->m->nodes[id].span_len = (uint32_t)(base + mt_rd_pos(r) - start);
    return 0;
}

static int is_hrr(const mt_reader *body)
{
    mt_reader r = *body;
    uint16_t v;
    mt_slice rnd;
    if (mt_rd_u16(&r, &v) != 0 || mt_rd_bytes(&r, 32, &rnd) != 0) return 0;
    return memcmp(rnd.p, mt_hs_hrr_random, 32) == 0;
}

static int decode_root(dec *d)
{
    mt_hs_msg *m = d->m;
    mt_reader r, body;
    mt_hs_id root;
    size_t base = 0;
    unsigned ct = m->ctx.content_type ? m->ctx.content_type : MT_HS_CT_HANDSHAKE;
    uint8_t type = 0;
    mt_rd_init(&r, m->raw.data, m->raw.len);
    if (ct == MT_HS_CT_HANDSHAKE) {
        /* RFC 8446 4: struct { HandshakeType msg_type; uint24 length; ... } */
        if (mt_rd_u8(&r, &type) != 0) return fail(d, "truncated header");
        if (mt_rd_vec24(&r, &body) != 0) {
            m->def = mt_hs_schema_msg(&m->ctx, type);
            return fail(d, mt_rd_left(&r) < 3 ? "truncated header" : "length exceeds block");
        }
        m->kind = type;
        if (type == MT_HS_SERVER_HELLO && is_hrr(&body)) m->kind = MT_HS_HELLO_RETRY_REQUEST;
        m->def = mt_hs_schema_msg(&m->ctx, m->kind);
        if (mt_rd_done(&r) != 0) return fail(d, "trailing bytes after the message");
        base = 4;
    } else {
        m->def = mt_hs_schema_msg(&m->ctx, 0);
        m->kind = 0x100 | ct;
        body = r;
    }
    MT_TRY(new_node(m, m->def->root, MT_HS_K_MSG, &root));
    node *nd = &m->nodes[root];
    nd->value = type;
    nd->flags = F_DECODED;
    nd->span_off = 0;
    nd->span_len = (uint32_t)m->raw.len;
    nd->data_off = (uint32_t)base;
    nd->data_len = (uint32_t)mt_rd_left(&body);
    if (base) nd->len_at = 1;
    if (m->def->root->flags & MT_HS_F_RAW) {
        nd->flags |= F_RAW;
        return 0;
    }
    MT_TRY(decode_members(d, m->def->root, &body, base, root));
    if (mt_rd_done(&body) != 0) return fail(d, "trailing bytes");
    return 0;
}

static int msg_alloc(const mt_hs_ctx *ctx, mt_hs_msg **out)
{
    mt_hs_msg *m = calloc(1, sizeof *m);
    MT_ENSURE(m != NULL, MT_ERR_NO_MEMORY);
    mt_buf_init(&m->raw);
    mt_buf_init(&m->arena);
    m->ctx = *ctx;
    *out = m;
    return 0;
}

int mt_hs_decode(const mt_hs_ctx *ctx, const uint8_t *p, size_t n, mt_hs_msg **out, char *where,
                 size_t where_cap)
{
    int rc;
    mt_hs_msg *m = NULL;
    dec d = {0};
    if (where && where_cap) where[0] = 0;
    MT_ENSURE(out != NULL && ctx != NULL && (p != NULL || n == 0), MT_ERR_BAD_PARAM);
    *out = NULL;
    MT_ENSURE(n <= 4 + 0xFFFFFF, MT_ERR_LIMIT);
    MT_TRY(msg_alloc(ctx, &m));
    d.m = m;
    d.where = where;
    d.where_cap = where_cap;
    MT_TRY_GOTO(mt_buf_append(&m->raw, p, n));
    MT_TRY_GOTO(decode_root(&d));
    *out = m;
    return 0;
out:
    mt_hs_msg_free(m);
    return rc;
}

void mt_hs_msg_free(mt_hs_msg *m)
{
    if (!m) return;
    mt_buf_free(&m->raw);
    mt_buf_free(&m->arena);
    if (m->nodes) mt_wipe(m->nodes, m->cap * sizeof *m->nodes);
    free(m->nodes);
    free(m);
}

/* ---- encoding ---- */

static int write_int(mt_buf *out, unsigned width, uint64_t v)
{
    switch (width) {
    case 1:
        return mt_wr_u8(out, (uint8_t)v);
    case 2:
        return mt_wr_u16(out, (uint16_t)v);
    case 3:
        return mt_wr_u24(out, (uint32_t)v);
    case 4:
        return mt_wr_u32(out, (uint32_t)v);
    default:
        return MT_ERR_BAD_PARAM;
    }
}

static int enc(const mt_hs_msg *m, mt_hs_id id, mt_buf *out);

static int enc_children(const mt_hs_msg *m, mt_hs_id id, mt_buf *out)
{
    for (mt_hs_id c = m->nodes[id].first; c != MT_HS_NONE; c = m->nodes[c].next)
        MT_TRY(enc(m, c, out));
    return 0;
}

static int close_prefix(const node *nd, mt_buf *out, const mt_wr_mark *mark)
{
    if (nd->flags & F_LEN) return mt_wr_close_as(out, mark, nd->len_override);
    return mt_wr_close(out, mark);
}

static int enc_body(const mt_hs_msg *m, mt_hs_id id, mt_buf *out)
{
    const node *nd = &m->nodes[id];
    if (nd->flags & F_RAW) {
        mt_slice s = node_bytes(m, nd);
        return mt_wr_bytes(out, s.p, s.len);
    }
    return enc_children(m, id, out);
}

static int enc(const mt_hs_msg *m, mt_hs_id id, mt_buf *out)
{
    const node *nd = &m->nodes[id];
    mt_wr_mark mark;
    mt_slice s;
    if (nd->flags & F_ABSENT) return 0;
    switch (nd->kind) {
    case MT_HS_K_INT:
        return write_int(out, nd->width, nd->value);
    case MT_HS_K_OPAQUE:
        s = node_bytes(m, nd);
        return mt_wr_bytes(out, s.p, s.len);
    case MT_HS_K_VEC:
        s = node_bytes(m, nd);
        MT_TRY(mt_wr_open(out, nd->width, &mark));
        MT_TRY(mt_wr_bytes(out, s.p, s.len));
        return close_prefix(nd, out, &mark);
    case MT_HS_K_LIST:
        MT_TRY(mt_wr_open(out, nd->width, &mark));
        MT_TRY(enc_children(m, id, out));
        return close_prefix(nd, out, &mark);
    case MT_HS_K_STRUCT:
        return enc_children(m, id, out);
    case MT_HS_K_EXT:
        MT_TRY(mt_wr_u16(out, (uint16_t)nd->value));
        MT_TRY(mt_wr_open(out, 2, &mark));
        MT_TRY(enc_body(m, id, out));
        return close_prefix(nd, out, &mark);
    case MT_HS_K_MSG:
        if (nd->width == 0) return enc_body(m, id, out);
        MT_TRY(mt_wr_u8(out, (uint8_t)nd->value));
        MT_TRY(mt_wr_open(out, 3, &mark));
        MT_TRY(enc_body(m, id, out));
        return close_prefix(nd, out, &mark);
    default:
        return MT_ERR_BAD_PARAM;
    }
}

int mt_hs_encode(const mt_hs_msg *m, mt_buf *out)
{
    MT_ENSURE(m != NULL && out != NULL && m->n > 0, MT_ERR_BAD_PARAM);
    return enc(m, MT_HS_ROOT, out);
}

int mt_hs_encode_node(const mt_hs_msg *m, mt_hs_id id, mt_buf *out)
{
    MT_ENSURE(valid(m, id) && out != NULL, MT_ERR_BAD_PARAM);
    return enc(m, id, out);
}

static size_t enc_size(const mt_hs_msg *m, mt_hs_id id);

/* Size of what a node's prefix counts (its content), whether or not it is absent. */
static size_t content_size(const mt_hs_msg *m, mt_hs_id id)
{
    const node *nd = &m->nodes[id];
    size_t sum = 0;
    switch (nd->kind) {
    case MT_HS_K_INT:
        return nd->width;
    case MT_HS_K_OPAQUE:
    case MT_HS_K_VEC:
        return nd->data_len;
    case MT_HS_K_EXT:
    case MT_HS_K_MSG:
    case MT_HS_K_LIST:
    case MT_HS_K_STRUCT:
        if (nd->flags & F_RAW) return nd->data_len; /* EXT/MSG body given as bytes */
        for (mt_hs_id c = nd->first; c != MT_HS_NONE; c = m->nodes[c].next)
            sum += enc_size(m, c);
        return sum;
    default:
        return 0;
    }
}

/* Bytes written before the content: length prefixes, extension type, handshake header. */
static size_t header_size(const node *nd)
{
    switch (nd->kind) {
    case MT_HS_K_VEC:
    case MT_HS_K_LIST:
        return nd->width;
    case MT_HS_K_EXT:
        return 4;
    case MT_HS_K_MSG:
        return nd->width ? 4 : 0;
    default:
        return 0;
    }
}

/* Encoded size of a node (overrides do not change sizes). */
static size_t enc_size(const mt_hs_msg *m, mt_hs_id id)
{
    const node *nd = &m->nodes[id];
    if (nd->flags & F_ABSENT) return 0;
    if (nd->kind == MT_HS_K_INT) return nd->width;
    return header_size(nd) + content_size(m, id);
}

static int has_prefix(const node *nd)
{
    return nd->kind == MT_HS_K_VEC || nd->kind == MT_HS_K_LIST || nd->kind == MT_HS_K_EXT ||
           (nd->kind == MT_HS_K_MSG && nd->width != 0);
}

int mt_hs_node_content_len(const mt_hs_msg *m, mt_hs_id id, size_t *len)
{
    MT_ENSURE(valid(m, id) && len != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(has_prefix(&m->nodes[id]), MT_ERR_BAD_PARAM);
    *len = content_size(m, id);
    return 0;
}

/* ---- accessors ---- */

mt_slice mt_hs_msg_raw(const mt_hs_msg *m)
{
    return mt_buf_slice(&m->raw);
}

const mt_hs_ctx *mt_hs_msg_ctx(const mt_hs_msg *m)
{
    return &m->ctx;
}

unsigned mt_hs_msg_type(const mt_hs_msg *m)
{
    return (unsigned)m->nodes[MT_HS_ROOT].value;
}

unsigned mt_hs_msg_kind(const mt_hs_msg *m)
{
    return m->kind;
}

const char *mt_hs_msg_name(const mt_hs_msg *m)
{
    return m->def->root->name;
}

const char *mt_hs_msg_title(const mt_hs_msg *m)
{
    return m->def->title;
}

int mt_hs_node_info(const mt_hs_msg *m, mt_hs_id id, mt_hs_info *info)
{
    MT_ENSURE(valid(m, id) && info != NULL, MT_ERR_BAD_PARAM);
    const node *nd = &m->nodes[id];
    memset(info, 0, sizeof *info);
    info->kind = nd->kind;
    info->name = nd->kind == MT_HS_K_EXT ? mt_name_of(MT_NAME_EXTENSION, (uint32_t)nd->value)
                                         : nd->field->name;
    info->width = nd->width;
    info->value = nd->value;
    if (nd->kind == MT_HS_K_OPAQUE || nd->kind == MT_HS_K_VEC || nd->kind == MT_HS_K_EXT ||
        nd->kind == MT_HS_K_MSG)
        info->bytes = node_bytes(m, nd);
    info->raw = (nd->flags & F_RAW) != 0;
    info->absent = (nd->flags & F_ABSENT) != 0;
    info->has_len = (nd->flags & F_LEN) != 0;
    info->len = nd->len_override;
    info->decoded = (nd->flags & F_DECODED) != 0;
    info->span_off = nd->span_off;
    info->span_len = nd->span_len;
    info->len_at = nd->len_at == NO_OFF ? SIZE_MAX : nd->len_at;
    if (nd->kind == MT_HS_K_EXT) {
        info->max = 0xFFFF;
    } else if (nd->kind == MT_HS_K_MSG) {
        info->max = 0xFFFFFF;
    } else {
        info->fixed = nd->field->fixed;
        info->min = nd->field->min;
        info->max = nd->field->max;
    }
    return 0;
}

mt_hs_id mt_hs_first(const mt_hs_msg *m, mt_hs_id id)
{
    return valid(m, id) ? m->nodes[id].first : MT_HS_NONE;
}

mt_hs_id mt_hs_next(const mt_hs_msg *m, mt_hs_id id)
{
    return valid(m, id) ? m->nodes[id].next : MT_HS_NONE;
}

mt_hs_id mt_hs_parent(const mt_hs_msg *m, mt_hs_id id)
{
    return valid(m, id) ? m->nodes[id].parent : MT_HS_NONE;
}

size_t mt_hs_count(const mt_hs_msg *m, mt_hs_id id)
{
    size_t n = 0;
    for (mt_hs_id c = mt_hs_first(m, id); c != MT_HS_NONE; c = m->nodes[c].next)
        n++;
    return n;
}

mt_hs_id mt_hs_child(const mt_hs_msg *m, mt_hs_id id, const char *name)
{
    if (!valid(m, id) || !name) return MT_HS_NONE;
    for (mt_hs_id c = m->nodes[id].first; c != MT_HS_NONE; c = m->nodes[c].next)
        if (m->nodes[c].kind != MT_HS_K_EXT && strcmp(m->nodes[c].field->name, name) == 0) return c;
    return MT_HS_NONE;
}

size_t mt_hs_node_count(const mt_hs_msg *m)
{
    return m ? m->n : 0;
}

int mt_hs_get_int(const mt_hs_msg *m, mt_hs_id id, uint64_t *v)
{
    MT_ENSURE(valid(m, id) && v != NULL, MT_ERR_BAD_PARAM);
    const node *nd = &m->nodes[id];
    MT_ENSURE(nd->kind == MT_HS_K_INT || nd->kind == MT_HS_K_EXT || nd->kind == MT_HS_K_MSG,
              MT_ERR_BAD_PARAM);
    *v = nd->value;
    return 0;
}

int mt_hs_get_bytes(const mt_hs_msg *m, mt_hs_id id, mt_slice *out)
{
    MT_ENSURE(valid(m, id) && out != NULL, MT_ERR_BAD_PARAM);
    const node *nd = &m->nodes[id];
    MT_ENSURE(nd->kind == MT_HS_K_OPAQUE || nd->kind == MT_HS_K_VEC, MT_ERR_BAD_PARAM);
    *out = node_bytes(m, nd);
    return 0;
}

mt_hs_id mt_hs_extensions(const mt_hs_msg *m)
{
    return mt_hs_child(m, MT_HS_ROOT, "extensions");
}

static int is_ext_list(const mt_hs_msg *m, mt_hs_id list)
{
    return valid(m, list) && m->nodes[list].kind == MT_HS_K_LIST &&
           m->nodes[list].field->elem->kind == MT_HS_K_EXT;
}

unsigned mt_hs_ext_context(const mt_hs_msg *m, mt_hs_id list)
{
    return is_ext_list(m, list) ? m->nodes[list].field->elem->ext_ctx : 0;
}

mt_hs_id mt_hs_ext_find(const mt_hs_msg *m, mt_hs_id list, unsigned type)
{
    if (!is_ext_list(m, list)) return MT_HS_NONE;
    for (mt_hs_id c = m->nodes[list].first; c != MT_HS_NONE; c = m->nodes[c].next)
        if (m->nodes[c].value == type) return c;
    return MT_HS_NONE;
}

int mt_hs_list_ints(const mt_hs_msg *m, mt_hs_id list, uint32_t *out, size_t cap, size_t *n)
{
    MT_ENSURE(valid(m, list) && n != NULL && (out != NULL || cap == 0), MT_ERR_BAD_PARAM);
    MT_ENSURE(m->nodes[list].kind == MT_HS_K_LIST, MT_ERR_BAD_PARAM);
    size_t k = 0;
    for (mt_hs_id c = m->nodes[list].first; c != MT_HS_NONE; c = m->nodes[c].next, k++) {
        MT_ENSURE(m->nodes[c].kind == MT_HS_K_INT, MT_ERR_BAD_PARAM);
        if (k < cap) out[k] = (uint32_t)m->nodes[c].value;
    }
    *n = k;
    return 0;
}

/* ---- building and editing ---- */

/* Store n bytes in the arena and point node id at them. */
static int own_bytes(mt_hs_msg *m, mt_hs_id id, const void *p, size_t n)
{
    MT_ENSURE(n <= 0xFFFFFF, MT_ERR_LIMIT);
    MT_ENSURE(m->arena.len + n < NO_OFF, MT_ERR_LIMIT);
    size_t off = m->arena.len;
    MT_TRY(mt_buf_append(&m->arena, p, n));
    node *nd = &m->nodes[id];
    nd->flags |= F_OWNED;
    nd->data_off = (uint32_t)off;
    nd->data_len = (uint32_t)n;
    return 0;
}

static int skeleton(mt_hs_msg *m, const mt_hs_field *f, mt_hs_id parent, size_t pos, mt_hs_id *out);

static int skeleton_members(mt_hs_msg *m, const mt_hs_field *desc, mt_hs_id id)
{
    for (uint32_t i = 0; i < desc->nfields; i++) {
        mt_hs_id c;
        MT_TRY(skeleton(m, &desc->fields[i], id, SIZE_MAX, &c));
    }
    return 0;
}

/* A new zero/empty node for field f, linked into parent at pos. */
static int skeleton(mt_hs_msg *m, const mt_hs_field *f, mt_hs_id parent, size_t pos, mt_hs_id *out)
{
    static const uint8_t zeros[64];
    mt_hs_id id;
    MT_TRY(new_node(m, f, f->kind, &id));
    link_at(m, parent, id, pos);
    if (f->flags & MT_HS_F_OPTIONAL) m->nodes[id].flags |= F_ABSENT;
    if (f->kind == MT_HS_K_OPAQUE && f->fixed) {
        MT_ENSURE(f->fixed <= sizeof zeros, MT_ERR_BAD_PARAM);
        MT_TRY(own_bytes(m, id, zeros, f->fixed));
    }
    if (f->kind == MT_HS_K_STRUCT) MT_TRY(skeleton_members(m, f, id));
    *out = id;
    return 0;
}

int mt_hs_msg_new(const mt_hs_ctx *ctx, unsigned type, mt_hs_msg **out)
{
    int rc;
    mt_hs_msg *m = NULL;
    mt_hs_id root;
    MT_ENSURE(ctx != NULL && out != NULL, MT_ERR_BAD_PARAM);
    *out = NULL;
    unsigned ct = ctx->content_type ? ctx->content_type : MT_HS_CT_HANDSHAKE;
    MT_ENSURE(ct != MT_HS_CT_HANDSHAKE || type <= 0xFF || type == MT_HS_HELLO_RETRY_REQUEST,
              MT_ERR_BAD_PARAM);
    MT_TRY(msg_alloc(ctx, &m));
    m->def = mt_hs_schema_msg(ctx, ct == MT_HS_CT_HANDSHAKE ? type : 0);
    m->kind = ct == MT_HS_CT_HANDSHAKE ? type : (0x100 | ct);
    MT_TRY_GOTO(new_node(m, m->def->root, MT_HS_K_MSG, &root));
    m->nodes[root].value = ct != MT_HS_CT_HANDSHAKE            ? 0
                           : type == MT_HS_HELLO_RETRY_REQUEST ? MT_HS_SERVER_HELLO
                                                               : type;
    if (m->def->root->flags & MT_HS_F_RAW) {
        m->nodes[root].flags |= F_RAW;
    } else {
        MT_TRY_GOTO(skeleton_members(m, m->def->root, root));
    }
    if (type == MT_HS_HELLO_RETRY_REQUEST && ct == MT_HS_CT_HANDSHAKE) {
        /* RFC 8446 4.1.3: the HRR is told apart by this random */
        MT_TRY_GOTO(own_bytes(m, mt_hs_child(m, root, "random"), mt_hs_hrr_random, 32));
        MT_TRY_GOTO(mt_hs_set_absent(m, mt_hs_child(m, root, "extensions"), 0));
    }
    *out = m;
    return 0;
out:
    mt_hs_msg_free(m);
    return rc;
}

static uint64_t width_max(unsigned width)
{
    return width >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
}

int mt_hs_set_int(mt_hs_msg *m, mt_hs_id id, uint64_t v)
{
    MT_ENSURE(valid(m, id), MT_ERR_BAD_PARAM);
    node *nd = &m->nodes[id];
    switch (nd->kind) {
    case MT_HS_K_INT:
        MT_ENSURE(v <= width_max(nd->width), MT_ERR_LIMIT);
        break;
    case MT_HS_K_EXT:
        MT_ENSURE(v <= 0xFFFF, MT_ERR_LIMIT);
        break;
    case MT_HS_K_MSG:
        MT_ENSURE(v <= 0xFF, MT_ERR_LIMIT);
        break;
    default:
        return MT_ERR_BAD_PARAM;
    }
    nd->value = v;
    return 0;
}

int mt_hs_set_bytes(mt_hs_msg *m, mt_hs_id id, const void *p, size_t n)
{
    MT_ENSURE(valid(m, id) && (p != NULL || n == 0), MT_ERR_BAD_PARAM);
    uint8_t k = m->nodes[id].kind;
    MT_ENSURE(k == MT_HS_K_OPAQUE || k == MT_HS_K_VEC || k == MT_HS_K_EXT || k == MT_HS_K_MSG,
              MT_ERR_BAD_PARAM);
    MT_TRY(own_bytes(m, id, p, n));
    if (k == MT_HS_K_EXT || k == MT_HS_K_MSG) m->nodes[id].flags |= F_RAW;
    return 0;
}

int mt_hs_set_parsed(mt_hs_msg *m, mt_hs_id id)
{
    MT_ENSURE(valid(m, id), MT_ERR_BAD_PARAM);
    node *nd = &m->nodes[id];
    if (nd->kind == MT_HS_K_EXT) {
        MT_ENSURE(nd->body != NULL, MT_ERR_BAD_PARAM);
    } else {
        MT_ENSURE(nd->kind == MT_HS_K_MSG && !(nd->field->flags & MT_HS_F_RAW), MT_ERR_BAD_PARAM);
    }
    nd->flags &= (uint8_t)~F_RAW;
    return 0;
}

int mt_hs_set_len(mt_hs_msg *m, mt_hs_id id, uint32_t len)
{
    MT_ENSURE(valid(m, id) && has_prefix(&m->nodes[id]), MT_ERR_BAD_PARAM);
    node *nd = &m->nodes[id];
    unsigned w = nd->kind == MT_HS_K_MSG ? 3 : nd->width;
    MT_ENSURE(len <= width_max(w), MT_ERR_LIMIT);
    nd->len_override = len;
    nd->flags |= F_LEN;
    return 0;
}

int mt_hs_clear_len(mt_hs_msg *m, mt_hs_id id)
{
    MT_ENSURE(valid(m, id) && has_prefix(&m->nodes[id]), MT_ERR_BAD_PARAM);
    m->nodes[id].flags &= (uint8_t)~F_LEN;
    return 0;
}

int mt_hs_set_absent(mt_hs_msg *m, mt_hs_id id, int absent)
{
    MT_ENSURE(valid(m, id) && id != MT_HS_ROOT, MT_ERR_BAD_PARAM);
    if (absent)
        m->nodes[id].flags |= F_ABSENT;
    else
        m->nodes[id].flags &= (uint8_t)~F_ABSENT;
    return 0;
}

int mt_hs_list_add(mt_hs_msg *m, mt_hs_id list, size_t pos, mt_hs_id *id)
{
    MT_ENSURE(valid(m, list) && id != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(m->nodes[list].kind == MT_HS_K_LIST && !is_ext_list(m, list), MT_ERR_BAD_PARAM);
    m->nodes[list].flags &= (uint8_t)~F_ABSENT;
    return skeleton(m, m->nodes[list].field->elem, list, pos, id);
}

int mt_hs_ext_add(mt_hs_msg *m, mt_hs_id list, size_t pos, unsigned type, mt_hs_id *id)
{
    mt_hs_id e;
    MT_ENSURE(is_ext_list(m, list) && id != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(type <= 0xFFFF, MT_ERR_LIMIT);
    const mt_hs_field *ef = m->nodes[list].field->elem;
    m->nodes[list].flags &= (uint8_t)~F_ABSENT;
    MT_TRY(new_node(m, ef, MT_HS_K_EXT, &e));
    link_at(m, list, e, pos);
    m->nodes[e].value = type;
    m->nodes[e].width = 2;
    m->nodes[e].body = mt_hs_schema_ext(type, ef->ext_ctx);
    if (m->nodes[e].body)
        MT_TRY(skeleton_members(m, m->nodes[e].body, e));
    else
        m->nodes[e].flags |= F_RAW;
    *id = e;
    return 0;
}

/* Copy node src (and its subtree) as a new child of parent at pos. */
static int copy_tree(mt_hs_msg *m, mt_hs_id src, mt_hs_id parent, size_t pos, mt_hs_id *out)
{
    mt_hs_id id;
    MT_TRY(new_node(m, NULL, 0, &id));
    node copy = m->nodes[src];
    copy.parent = copy.first = copy.last = copy.next = MT_HS_NONE;
    copy.flags &= (uint8_t)~F_DECODED;
    copy.len_at = NO_OFF;
    m->nodes[id] = copy;
    link_at(m, parent, id, pos);
    for (mt_hs_id c = m->nodes[src].first; c != MT_HS_NONE; c = m->nodes[c].next) {
        mt_hs_id cc;
        MT_TRY(copy_tree(m, c, id, SIZE_MAX, &cc));
    }
    *out = id;
    return 0;
}

static size_t position_of(const mt_hs_msg *m, mt_hs_id id)
{
    size_t pos = 0;
    for (mt_hs_id c = m->nodes[m->nodes[id].parent].first; c != id; c = m->nodes[c].next)
        pos++;
    return pos;
}

int mt_hs_node_dup(mt_hs_msg *m, mt_hs_id id, mt_hs_id *copy)
{
    MT_ENSURE(valid(m, id) && id != MT_HS_ROOT && copy != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(m->nodes[id].parent != MT_HS_NONE, MT_ERR_BAD_PARAM);
    return copy_tree(m, id, m->nodes[id].parent, position_of(m, id) + 1, copy);
}

int mt_hs_node_remove(mt_hs_msg *m, mt_hs_id id)
{
    MT_ENSURE(valid(m, id) && id != MT_HS_ROOT, MT_ERR_BAD_PARAM);
    MT_ENSURE(m->nodes[id].parent != MT_HS_NONE, MT_ERR_BAD_PARAM);
    unlink_node(m, id);
    return 0;
}

int mt_hs_node_move(mt_hs_msg *m, mt_hs_id id, size_t pos)
{
    MT_ENSURE(valid(m, id) && id != MT_HS_ROOT, MT_ERR_BAD_PARAM);
    mt_hs_id parent = m->nodes[id].parent;
    MT_ENSURE(parent != MT_HS_NONE && m->nodes[parent].kind == MT_HS_K_LIST, MT_ERR_BAD_PARAM);
    unlink_node(m, id);
    link_at(m, parent, id, pos);
    return 0;
}
