/*
 * codec_schema.h - the static descriptions the generic codec walks (internal to
 * lib/handshake: codec.c, codec_schema.c, validate.c).
 *
 * A field is one of the kinds of codec.h (MT_HS_K_*). A message is a root field (kind
 * MT_HS_K_MSG) whose `fields` are the body; a root flagged MT_HS_F_RAW keeps its body raw
 * (unknown types, key exchange not given). An extension list is a LIST whose element is a
 * field of kind MT_HS_K_EXT carrying `ext_ctx`, the message it sits in; the body of each
 * extension is looked up by (type, ext_ctx) in codec_schema.c and is a STRUCT, or NULL
 * for "keep raw".
 */
#ifndef MT_HANDSHAKE_CODEC_SCHEMA_H
#define MT_HANDSHAKE_CODEC_SCHEMA_H

#include "handshake/codec.h"

/* Field flags. */
enum {
    MT_HS_F_OPTIONAL = 1, /* absent when its block ends before it (RFC 5246 7.4.1.2:
                             "the presence of extensions can be detected by determining
                             whether there are bytes following the compression_methods") */
    MT_HS_F_RAW = 2,      /* MSG: no description; the body is kept as raw bytes */
};

typedef struct mt_hs_field {
    const char *name;
    uint8_t kind;                   /* MT_HS_K_* */
    uint8_t width;                  /* INT: value width; VEC/LIST/MSG: length-prefix width */
    uint8_t flags;                  /* MT_HS_F_* */
    uint8_t ext_ctx;                /* EXT: MT_HS_EXTCTX_* of the enclosing message */
    uint32_t fixed;                 /* OPAQUE: exact length; 0 = rest of the block */
    uint32_t min;                   /* VEC/LIST: RFC lower bound of the content length (validate) */
    uint32_t max;                   /* VEC/LIST: RFC upper bound */
    const struct mt_hs_field *elem; /* LIST: element description */
    const struct mt_hs_field *fields; /* STRUCT/MSG: members in wire order */
    uint32_t nfields;
} mt_hs_field;

typedef struct mt_hs_msgdef {
    unsigned kind;     /* wire type, MT_HS_HELLO_RETRY_REQUEST, or 0x100 | content type */
    const char *title; /* RFC structure name, for "where" strings */
    const mt_hs_field *root;
} mt_hs_msgdef;

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"). */
extern const uint8_t mt_hs_hrr_random[32];

/* The description of message `kind` under ctx (version, kx and sig pick the variant).
 * Never NULL: unknown kinds get a raw root named "unknown_handshake". */
const mt_hs_msgdef *mt_hs_schema_msg(const mt_hs_ctx *ctx, unsigned kind);

/* Body of extension `type` inside a message of `ext_ctx`, or NULL (kept raw). */
const mt_hs_field *mt_hs_schema_ext(unsigned type, unsigned ext_ctx);

/* 1 for TLS 1.3 formats. */
static inline int mt_hs_ctx_is13(const mt_hs_ctx *ctx)
{
    return ctx->version >= 0x0304;
}

#endif
