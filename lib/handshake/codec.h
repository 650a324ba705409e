/*
 * codec.h - every TLS 1.0-1.3 handshake message (plus Alert and ChangeCipherSpec bodies)
 * as a generic, editable tree that keeps its raw bytes.
 *
 * Notes:
 * - Schema-driven. Each message body and each extension body has one static description
 *   (codec_schema.c): a list of fields, each an integer (u8/u16/u24/u32), opaque bytes
 *   (fixed length or the rest of the block), a length-prefixed vector of bytes, a
 *   length-prefixed list of elements (integers, vectors or structs), a struct, or an
 *   extension. One generic decoder and one generic encoder walk those descriptions, so
 *   the Lua binding converts message <-> table with no per-message glue: a node's name
 *   is the table key, a list is an array, an extension list is an array of
 *   {type=, ...body fields}.
 * - A decoded message (mt_hs_msg) owns one copy of the bytes it was decoded from; byte
 *   fields point into it until edited (edits go to a second owned buffer). Every node
 *   records its raw span and, for length-prefixed nodes, where its prefix sits, so tests
 *   and scripts can corrupt exactly the length fields.
 * - encode(decode(b)) == b for every accepted b: unknown message types, unknown
 *   extensions (kept raw), extension order and duplicates are all preserved. Any node's
 *   length prefix can carry an explicit (inconsistent) override, any integer any value
 *   of its width, any extension or whole body raw bytes: the encoder writes what it is
 *   told (SCRIPTING.md 6.4, "the field rule").
 * - The format context (mt_hs_ctx: content type, protocol version, sender, key exchange,
 *   signature form) is an explicit parameter; the codec never reads connection state.
 * - The codec rejects only malformed encodings, with MT_ERR_DECODE and a "where" string
 *   naming the field ("ClientHello.extensions: length exceeds block"). Ranges,
 *   duplicates and placement rules are validate.h's job.
 * - Node ids are indexes (mt_hs_id); they stay valid across edits of the same message
 *   (nodes are never moved or freed before mt_hs_msg_free). Node 0 is the root.
 */
#ifndef MT_HANDSHAKE_CODEC_H
#define MT_HANDSHAKE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf/buf.h"

/* Handshake types (RFC 8446 4, RFC 5246 7.4, RFC 6066 8, RFC 5077 3.3). */
enum {
    MT_HS_HELLO_REQUEST = 0,
    MT_HS_CLIENT_HELLO = 1,
    MT_HS_SERVER_HELLO = 2,
    MT_HS_NEW_SESSION_TICKET = 4,
    MT_HS_END_OF_EARLY_DATA = 5,
    MT_HS_ENCRYPTED_EXTENSIONS = 8,
    MT_HS_CERTIFICATE = 11,
    MT_HS_SERVER_KEY_EXCHANGE = 12,
    MT_HS_CERTIFICATE_REQUEST = 13,
    MT_HS_SERVER_HELLO_DONE = 14,
    MT_HS_CERTIFICATE_VERIFY = 15,
    MT_HS_CLIENT_KEY_EXCHANGE = 16,
    MT_HS_FINISHED = 20,
    MT_HS_CERTIFICATE_STATUS = 22,
    MT_HS_KEY_UPDATE = 24,
    /* Not a wire code: a ServerHello carrying the RFC 8446 4.1.3 HelloRetryRequest random.
     * Accepted by mt_hs_msg_new; mt_hs_msg_kind reports it for decoded HRRs. */
    MT_HS_HELLO_RETRY_REQUEST = 0x102,
};
/* RFC 8446 4.4.1 synthetic message_hash type. A macro, identical to transcript.h's, so
 * both headers can be included together. */
#define MT_HS_MESSAGE_HASH 254

/* Record content types the codec handles (RFC 8446 5.1; the values of record.h's MT_CT_*,
 * named apart so the codec does not depend on the record layer). */
enum {
    MT_HS_CT_CHANGE_CIPHER_SPEC = 20,
    MT_HS_CT_ALERT = 21,
    MT_HS_CT_HANDSHAKE = 22,
};

/* Extension types with a parsed body (others are kept raw). */
enum {
    MT_EXT_SERVER_NAME = 0,
    MT_EXT_MAX_FRAGMENT_LENGTH = 1,
    MT_EXT_STATUS_REQUEST = 5,
    MT_EXT_SUPPORTED_GROUPS = 10,
    MT_EXT_EC_POINT_FORMATS = 11,
    MT_EXT_SIGNATURE_ALGORITHMS = 13,
    MT_EXT_ALPN = 16,
    MT_EXT_PADDING = 21,
    MT_EXT_ENCRYPT_THEN_MAC = 22,
    MT_EXT_EXTENDED_MASTER_SECRET = 23,
    MT_EXT_RECORD_SIZE_LIMIT = 28,
    MT_EXT_SESSION_TICKET = 35,
    MT_EXT_PRE_SHARED_KEY = 41,
    MT_EXT_EARLY_DATA = 42,
    MT_EXT_SUPPORTED_VERSIONS = 43,
    MT_EXT_COOKIE = 44,
    MT_EXT_PSK_KEY_EXCHANGE_MODES = 45,
    MT_EXT_CERTIFICATE_AUTHORITIES = 47,
    MT_EXT_POST_HANDSHAKE_AUTH = 49,
    MT_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
    MT_EXT_KEY_SHARE = 51,
    MT_EXT_RENEGOTIATION_INFO = 0xFF01,
};

/* Which message an extension block sits in (RFC 8446 4.2 table: CH, SH, HRR, EE, CT, CR,
 * NST); bits, so sets of messages can be written. */
enum {
    MT_HS_EXTCTX_CH = 1,
    MT_HS_EXTCTX_SH = 2,
    MT_HS_EXTCTX_HRR = 4,
    MT_HS_EXTCTX_EE = 8,
    MT_HS_EXTCTX_CT = 16,
    MT_HS_EXTCTX_CR = 32,
    MT_HS_EXTCTX_NST = 64,
};

/* Key exchange of a TLS 1.0-1.2 ServerKeyExchange / ClientKeyExchange. */
enum {
    MT_HS_KX_NONE = 0, /* unknown: the body is kept as opaque bytes */
    MT_HS_KX_RSA = 1,  /* ClientKeyExchange: u16-prefixed encrypted premaster secret */
    MT_HS_KX_DHE = 2,  /* ServerDHParams p, g, Ys / u16 Yc */
    MT_HS_KX_ECDHE = 3 /* curve_type 3 (named_curve), group, u8 point / u8 point */
};

/* Form of the signature in ServerKeyExchange and CertificateVerify. */
enum {
    MT_HS_SIG_DEFAULT = 0, /* from version: 1.2 and 1.3 with scheme, 1.0/1.1 without */
    MT_HS_SIG_SCHEME = 1,  /* SignatureAndHashAlgorithm / SignatureScheme, then u16 sig */
    MT_HS_SIG_LEGACY = 2,  /* u16 signature only (RFC 2246 / 4346) */
    MT_HS_SIG_ANON = 3     /* ServerKeyExchange without signature (anonymous) */
};

enum { MT_HS_SIDE_CLIENT = 0, MT_HS_SIDE_SERVER = 1 };

/* What the format of a message depends on. Zero-initialised means: handshake content,
 * TLS 1.2 formats, sent by the client, unknown key exchange, default signature form. */
typedef struct mt_hs_ctx {
    uint8_t content_type; /* MT_HS_CT_*; 0 means MT_HS_CT_HANDSHAKE */
    uint16_t version;     /* 0x0304 (or more): TLS 1.3 formats; 0x0303 / 0: 1.2; 0x0301-2 */
    uint8_t side;         /* MT_HS_SIDE_* of the sender */
    uint8_t kx;           /* MT_HS_KX_* */
    uint8_t sig;          /* MT_HS_SIG_* */
} mt_hs_ctx;

/* Node kinds. */
enum {
    MT_HS_K_INT = 1,    /* unsigned integer, `width` bytes (1..4) */
    MT_HS_K_OPAQUE = 2, /* bytes of fixed length, or the rest of the block; no prefix */
    MT_HS_K_VEC = 3,    /* bytes behind a `width`-byte length prefix (1..3) */
    MT_HS_K_LIST = 4,   /* elements (children) behind a `width`-byte length prefix */
    MT_HS_K_STRUCT = 5, /* named fields (children), no prefix */
    MT_HS_K_EXT = 6,    /* one extension: value = type, u16-prefixed body (children or raw) */
    MT_HS_K_MSG = 7     /* root: value = wire type; handshake: u24-prefixed body */
};

typedef uint32_t mt_hs_id;
#define MT_HS_NONE ((mt_hs_id)0xFFFFFFFFu)
#define MT_HS_ROOT ((mt_hs_id)0)
/* Size of a "where" buffer that always holds the full text. */
#define MT_HS_WHERE_MAX 160

typedef struct mt_hs_msg mt_hs_msg;

/* Read-only view of one node (mt_hs_node_info). Slices point into the message and stay
 * valid until the next edit of that message or mt_hs_msg_free. */
typedef struct mt_hs_info {
    const char *name;  /* field name ("random"); for EXT the extension name, or NULL when
                          the type has no name; for MSG the message kind name */
    int kind;          /* MT_HS_K_* */
    unsigned width;    /* INT: value width; VEC/LIST/EXT/MSG: length-prefix width (MSG: 3
                          for handshake, 0 for alert / change_cipher_spec); else 0 */
    uint64_t value;    /* INT value; EXT type; MSG wire type */
    mt_slice bytes;    /* OPAQUE/VEC: the bytes; EXT/MSG: the raw body (see `raw`) */
    int raw;           /* EXT/MSG: the body is written from `bytes`, not from children */
    int absent;        /* optional field not present (written as nothing) */
    int has_len;       /* a length override is set ... */
    uint32_t len;      /* ... and this is its value */
    int decoded;       /* the node came from decoding (span and len_at are meaningful) */
    size_t span_off;   /* decoded: offset of the node's encoding in mt_hs_msg_raw() */
    size_t span_len;   /* decoded: its length, prefix included */
    size_t len_at;     /* decoded, prefixed nodes: offset of the prefix in the raw bytes */
    size_t fixed;      /* OPAQUE: the schema's fixed length (0: rest of block) */
    uint32_t min, max; /* schema bounds (RFC vector ranges; checked by validate) */
} mt_hs_info;

/* ---- decode / encode ---- */

/* Decode one message of ctx->content_type from exactly n bytes at p (handshake: the
 * 4-byte header and the body; alert: 2 bytes; change_cipher_spec: 1 byte). p is copied;
 * the caller keeps ownership of p. On success *out is a new message (free with
 * mt_hs_msg_free) and 0 is returned. On failure *out is NULL and the return is
 * MT_ERR_DECODE (malformed), MT_ERR_NO_MEMORY, MT_ERR_LIMIT (too many nodes) or
 * MT_ERR_BAD_PARAM; when `where` is not NULL it receives a NUL-terminated description
 * ("ClientHello.cipher_suites: length exceeds block"), truncated to where_cap bytes. */
int mt_hs_decode(const mt_hs_ctx *ctx, const uint8_t *p, size_t n, mt_hs_msg **out, char *where,
                 size_t where_cap);

/* Append the encoding of the whole message to out. Returns 0, MT_ERR_NO_MEMORY, or
 * MT_ERR_LIMIT (a vector too long for its prefix, an override too wide for it). */
int mt_hs_encode(const mt_hs_msg *m, mt_buf *out);

/* Append the encoding of one node (its prefix included) to out. Same returns. */
int mt_hs_encode_node(const mt_hs_msg *m, mt_hs_id id, mt_buf *out);

/* The length a prefixed node's prefix would carry if computed (ignoring its own
 * override, honouring overrides below it): for SCRIPTING.md's `function(auto)` and for
 * validate's range checks. MT_ERR_BAD_PARAM for a node without a prefix. */
int mt_hs_node_content_len(const mt_hs_msg *m, mt_hs_id id, size_t *len);

/* Release a message (NULL allowed). Both owned buffers are wiped. */
void mt_hs_msg_free(mt_hs_msg *m);

/* ---- message-level accessors ---- */

/* The bytes the message was decoded from (empty for mt_hs_msg_new messages). */
mt_slice mt_hs_msg_raw(const mt_hs_msg *m);
/* The context it was decoded or created with. */
const mt_hs_ctx *mt_hs_msg_ctx(const mt_hs_msg *m);
/* Wire type of the root (after edits: the current value). */
unsigned mt_hs_msg_type(const mt_hs_msg *m);
/* Schema kind: the wire type, MT_HS_HELLO_RETRY_REQUEST for an HRR, or for alert /
 * change_cipher_spec 0x100 | content type. Fixed at decode/creation. */
unsigned mt_hs_msg_kind(const mt_hs_msg *m);
/* Kind name ("client_hello", "hello_retry_request", "alert", "unknown_handshake") and the
 * RFC's title ("ClientHello"). Static storage. */
const char *mt_hs_msg_name(const mt_hs_msg *m);
const char *mt_hs_msg_title(const mt_hs_msg *m);

/* ---- walking the tree ---- */

/* Fill *info for node id. Returns 0 or MT_ERR_BAD_PARAM (bad id). */
int mt_hs_node_info(const mt_hs_msg *m, mt_hs_id id, mt_hs_info *info);
/* First child, next sibling, parent; MT_HS_NONE when there is none. */
mt_hs_id mt_hs_first(const mt_hs_msg *m, mt_hs_id id);
mt_hs_id mt_hs_next(const mt_hs_msg *m, mt_hs_id id);
mt_hs_id mt_hs_parent(const mt_hs_msg *m, mt_hs_id id);
/* Number of children. */
size_t mt_hs_count(const mt_hs_msg *m, mt_hs_id id);
/* Child of a STRUCT/MSG/EXT node with the given field name, or MT_HS_NONE. */
mt_hs_id mt_hs_child(const mt_hs_msg *m, mt_hs_id id, const char *name);
/* Total number of node ids in use (ids are 0 .. count-1; removed nodes stay counted but
 * are unreachable from the root). */
size_t mt_hs_node_count(const mt_hs_msg *m);

/* ---- typed getters for state handlers ---- */

/* Integer value of an INT node (or EXT type, MSG type). 0 / MT_ERR_BAD_PARAM. */
int mt_hs_get_int(const mt_hs_msg *m, mt_hs_id id, uint64_t *v);
/* Bytes of an OPAQUE/VEC node (borrowed, see mt_hs_info.bytes). */
int mt_hs_get_bytes(const mt_hs_msg *m, mt_hs_id id, mt_slice *out);
/* The root's extension list ("extensions"), or MT_HS_NONE if the message has none
 * (absent optional lists are returned: check mt_hs_info.absent). */
mt_hs_id mt_hs_extensions(const mt_hs_msg *m);
/* MT_HS_EXTCTX_* of an extension list (the message it belongs to), or 0 when `list` is
 * not an extension list. */
unsigned mt_hs_ext_context(const mt_hs_msg *m, mt_hs_id list);
/* First extension of `type` in the EXT list `list`, or MT_HS_NONE. */
mt_hs_id mt_hs_ext_find(const mt_hs_msg *m, mt_hs_id list, unsigned type);
/* Copy the integer elements of a LIST node into out[0..cap); *n gets the element count
 * (which may exceed cap: only cap are copied). MT_ERR_BAD_PARAM if an element is not INT. */
int mt_hs_list_ints(const mt_hs_msg *m, mt_hs_id list, uint32_t *out, size_t cap, size_t *n);

/* ---- building and editing ---- */

/* A new message of `type` (a wire handshake type, MT_HS_HELLO_RETRY_REQUEST, or for
 * ctx->content_type alert / change_cipher_spec any value) with every field present and
 * zero / empty (optional fields absent; an HRR gets its special random). Returns 0,
 * MT_ERR_NO_MEMORY or MT_ERR_BAD_PARAM. Unknown handshake types get a raw empty body. */
int mt_hs_msg_new(const mt_hs_ctx *ctx, unsigned type, mt_hs_msg **out);

/* Set an INT (or EXT type / MSG wire type) to v. MT_ERR_LIMIT if v does not fit. Setting
 * an EXT type keeps its body as it is (raw or parsed). */
int mt_hs_set_int(mt_hs_msg *m, mt_hs_id id, uint64_t v);
/* Set the bytes of an OPAQUE/VEC node, or the raw body of an EXT/MSG node (which then
 * encodes from these bytes: SCRIPTING.md `data` / `body`). Copies p; any length is
 * accepted (a fixed-length field may be given the wrong length on purpose) up to 2^24. */
int mt_hs_set_bytes(mt_hs_msg *m, mt_hs_id id, const void *p, size_t n);
/* Return an EXT/MSG node from raw mode to encoding its children (if it has a schema). */
int mt_hs_set_parsed(mt_hs_msg *m, mt_hs_id id);
/* Set (or with mt_hs_clear_len, drop) the explicit value written in a node's length
 * prefix. MT_ERR_BAD_PARAM for nodes without prefix, MT_ERR_LIMIT if it cannot fit. */
int mt_hs_set_len(mt_hs_msg *m, mt_hs_id id, uint32_t len);
int mt_hs_clear_len(mt_hs_msg *m, mt_hs_id id);
/* Mark a node absent (written as nothing) or present again. */
int mt_hs_set_absent(mt_hs_msg *m, mt_hs_id id, int absent);
/* Add a new zero/empty element to a LIST (not an extension list) at position pos
 * (0 = first; SIZE_MAX or >= count = last). *id gets the new node. Clears `absent`. */
int mt_hs_list_add(mt_hs_msg *m, mt_hs_id list, size_t pos, mt_hs_id *id);
/* Add an extension of `type` to an extension LIST at pos. Its body is parsed-and-empty
 * when the codec knows a body for this type in this message, else raw and empty. */
int mt_hs_ext_add(mt_hs_msg *m, mt_hs_id list, size_t pos, unsigned type, mt_hs_id *id);
/* Deep-copy node id and insert the copy right after it (tls.ext.duplicate). */
int mt_hs_node_dup(mt_hs_msg *m, mt_hs_id id, mt_hs_id *copy);
/* Unlink a node from its parent (not the root). */
int mt_hs_node_remove(mt_hs_msg *m, mt_hs_id id);
/* Move a list element to position pos among its siblings. */
int mt_hs_node_move(mt_hs_msg *m, mt_hs_id id, size_t pos);

#endif
