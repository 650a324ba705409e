/*
 * record.h - the TLS record layer: deframing, protection (null, CBC+HMAC, AEAD for
 * TLS 1.2 and 1.3), fragmentation and handshake-message reassembly.
 *
 * Notes:
 * - Sans-I/O: every function takes borrowed bytes and appends its output to an mt_buf the
 *   caller owns. Nothing here keeps a fixed 16 KiB array: the only memory a connection
 *   holds between records is the reassembly buffer, released as soon as it is empty, and
 *   the two cipher objects of the current epoch.
 * - One mt_record describes a record at every stage: as parsed from the wire (deframe), as
 *   opened (plaintext, inner type, padding, epoch, sequence number), and as about to be
 *   sealed. A record hook sees and edits exactly this struct, and mt_rec_seal honours
 *   every field (type, outer type, version, padding, even a wrong length), so a script can
 *   send any record it built, protected with the current keys or not at all
 *   (mt_rec_write_raw).
 * - Errors are the alert-typed codes of moontls.h: the alert the RFC names for the check.
 *   MT_ERR_WANT_INPUT means "not enough bytes yet" and consumes nothing.
 * - Rules that need connection state (CCS handling in TLS 1.3 compatibility mode,
 *   plaintext alerts after a key change, interleaving of handshake fragments with other
 *   records, messages spanning a key change) are the engine's; this layer gives it the
 *   facts (mt_rec_is_compat_ccs, mt_reasm_pending, mt_reasm_check_key_change).
 */
#ifndef MT_RECORD_H
#define MT_RECORD_H

#include "../buf/buf.h"
#include "../crypto/cipher.h"
#include "../crypto/hash.h"
#include "../crypto/rng.h"
#include <stddef.h>
#include <stdint.h>

/* Content types (RFC 8446 5.1, RFC 6520 for heartbeat). */
enum {
    MT_CT_INVALID = 0,
    MT_CT_CHANGE_CIPHER_SPEC = 20,
    MT_CT_ALERT = 21,
    MT_CT_HANDSHAKE = 22,
    MT_CT_APPLICATION_DATA = 23,
    MT_CT_HEARTBEAT = 24,
};

#define MT_REC_HEADER_LEN 5
/* RFC 8446 5.1 / RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14. */
#define MT_REC_MAX_PLAINTEXT 16384
/* RFC 8446 5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256. */
#define MT_REC_MAX_CIPHERTEXT13 (16384 + 256)
/* RFC 5246 6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
#define MT_REC_MAX_CIPHERTEXT12 (16384 + 2048)

/* Protocol versions as they appear on the wire. */
#define MT_TLS10 0x0301
#define MT_TLS11 0x0302
#define MT_TLS12 0x0303
#define MT_TLS13 0x0304

/* ---- the record as every stage sees it ---- */

/* mt_record.flags for mt_rec_seal / mt_rec_write_raw. */
#define MT_REC_RAW_LENGTH 0x1 /* write `length` in the header instead of the real length */

typedef struct mt_record {
    uint8_t type;       /* content type; for a TLS 1.3 protected record the inner type */
    uint8_t outer_type; /* type in the header; differs from `type` only for TLS 1.3
                           protected records (application_data unless a script says else) */
    uint16_t version;   /* legacy_record_version in the header */
    uint16_t length;    /* header length field (deframe, open); with MT_REC_RAW_LENGTH the
                           value seal writes, even when wrong */
    mt_slice payload;   /* content: borrowed, see each function for where it points */
    size_t padding;     /* TLS 1.3 zero padding: found by open, added by seal */
    uint32_t epoch;     /* protection epoch: 0 = no keys, +1 per key installation */
    uint64_t seq;       /* sequence number the record was (or will be) protected with */
    unsigned flags;     /* MT_REC_RAW_LENGTH */
    /* Seal-only knobs for CBC. cbc_iv: 16 explicit IV bytes (TLS 1.1+) or NULL to draw
     * them from the protection's RNG; cbc_pad_extra: extra 16-byte padding blocks. */
    const uint8_t *cbc_iv;
    unsigned cbc_pad_extra;
} mt_record;

/* ---- deframing (deframe.c) ---- */

/* Parse the 5-byte header at the front of `in` into rec->{outer_type, type, version,
 * length} without any check, and set rec->payload to the body if it is complete (else
 * to an empty slice). Returns 0, or MT_ERR_WANT_INPUT if fewer than 5 bytes are there.
 * Never fails otherwise: a test tool uses it to look at records deframe refuses. */
int mt_rec_parse_header(mt_slice in, mt_record *rec);

/* Take one record off the front of `in`. `max_len` is the largest header length
 * accepted (mt_rec_max_wire_len of the read protection). On success, rec describes the
 * record (payload borrows from `in`; type == outer_type; padding, epoch, seq zero) and
 * *consumed = 5 + length. Returns:
 *   MT_ERR_WANT_INPUT    the header or body is incomplete; *consumed = 0
 *   MT_ERR_UNEXPECTED    content type outside 20..24 (RFC 8446 5: unexpected record type)
 *   MT_ERR_OVERFLOW      length > max_len (record_overflow, RFC 8446 5.1/5.2, 5246 6.2)
 * The type and length checks run as soon as the header is there, before the body
 * arrives. On error rec still holds the parsed header fields (mt_rec_parse_header). */
int mt_rec_deframe(mt_slice in, size_t max_len, mt_record *rec, size_t *consumed);

/* Append a record exactly as described, unprotected: header {type, version, length (the
 * payload length, or rec->length with MT_REC_RAW_LENGTH)} then the payload. Nothing is
 * checked beyond the 16-bit length field. Returns 0, MT_ERR_LIMIT, MT_ERR_NO_MEMORY. */
int mt_rec_write_raw(const mt_record *rec, mt_buf *out);

/* 1 if rec is the TLS 1.3 middlebox-compatibility CCS: outer type 20, payload {0x01}
 * (RFC 8446 5: the engine drops it when it arrives during the handshake). */
int mt_rec_is_compat_ccs(const mt_record *rec);

/* ---- protection (protect.c) ---- */

typedef enum mt_rec_kind {
    MT_REC_NULL = 0, /* no protection yet (epoch 0), or a NULL cipher */
    MT_REC_CBC,      /* TLS 1.0-1.2 AES-CBC + HMAC (MAC-then-encrypt or RFC 7366 EtM) */
    MT_REC_AEAD12,   /* TLS 1.2 AEAD: AES-GCM (RFC 5288) or ChaCha20-Poly1305 (RFC 7905) */
    MT_REC_AEAD13,   /* TLS 1.3 AEAD (RFC 8446 5.2-5.4) */
} mt_rec_kind;

/* Keys for one epoch of one direction, from the key schedule. All slices are borrowed
 * for the duration of mt_rec_prot_install only. */
typedef struct mt_rec_keys {
    mt_rec_kind kind;
    uint16_t version;  /* negotiated version, MT_TLS10..MT_TLS13 */
    mt_aead_id aead;   /* AEAD kinds */
    mt_slice key;      /* AEAD key, or the CBC encryption key (16 or 32 bytes) */
    mt_slice iv;       /* AEAD13 and ChaCha20 in 1.2: 12 bytes; AES-GCM in 1.2: the 4-byte
                          salt; CBC in TLS 1.0: 16-byte IV; otherwise empty */
    mt_hash_id mac;    /* CBC: HMAC hash */
    mt_slice mac_key;  /* CBC: MAC key (digest length) */
    int etm;           /* CBC: 1 for encrypt-then-MAC (RFC 7366) */
    const mt_rng *rng; /* CBC in TLS 1.1+: source of explicit IVs (purpose "cbc_iv");
                          borrowed for the life of the epoch; NULL = system generator */
} mt_rec_keys;

/* The protection state of one direction: keys, kind, version, sequence number, epoch.
 * Embedded in the connection (no allocation of its own); the cipher objects it points to
 * are owned by it and released (wiped) by install and free. */
typedef struct mt_rec_prot {
    mt_rec_kind kind;
    uint16_t version;        /* negotiated version (0 before negotiation) */
    uint16_t record_version; /* default legacy_record_version for records we build */
    uint64_t seq;            /* next sequence number */
    uint32_t epoch;
    size_t max_plaintext; /* largest content per record (default 2^14; lowered by
                             max_fragment_length / record_size_limit; for TLS 1.3 the
                             engine sets RecordSizeLimit - 1, RFC 8449 4) */
    mt_aead *aead;
    mt_cbc *cbc;
    mt_aead_id aead_id;
    uint8_t iv[MT_AEAD_NONCE_LEN]; /* AEAD13/ChaCha: static IV; GCM 1.2: salt in iv[0..4) */
    const mt_rng *rng;
} mt_rec_prot;

/* Null protection, epoch 0, seq 0, record_version 0x0303 (the engine sets 0x0301 for a
 * first ClientHello if it wants), max_plaintext 2^14. */
void mt_rec_prot_init(mt_rec_prot *p);
/* Release and wipe the keys; p is back to the state of mt_rec_prot_init. NULL allowed. */
void mt_rec_prot_free(mt_rec_prot *p);
/* Key change: prepare the new keys, then release and wipe the old ones, increment the
 * epoch, set seq to 0 and record_version to the version's default (0x0303 for 1.3).
 * On failure p is unchanged. kind MT_REC_NULL installs null protection in a new epoch.
 * Returns 0, MT_ERR_BAD_PARAM (wrong lengths or kind/version mismatch), MT_ERR_NO_MEMORY,
 * MT_ERR_CRYPTO, MT_ERR_UNSUPPORTED. */
int mt_rec_prot_install(mt_rec_prot *p, const mt_rec_keys *k);
/* Set the next sequence number (scripts, tests). */
void mt_rec_prot_set_seq(mt_rec_prot *p, uint64_t seq);

/* Largest header length the receiver accepts under p: 2^14 unprotected, 2^14+256 for
 * TLS 1.3, 2^14+2048 for TLS 1.0-1.2 protection. */
size_t mt_rec_max_wire_len(const mt_rec_prot *p);
/* Largest content a record can carry under p (p->max_plaintext). */
size_t mt_rec_max_fragment(const mt_rec_prot *p);

/* Fill rec with the defaults for sending `payload` as content `type` under p: outer type
 * (23 for TLS 1.3 protection, else type), version p->record_version, epoch, seq, no
 * padding, no flags. A hook may then edit any field before mt_rec_seal. */
void mt_rec_prepare(const mt_rec_prot *p, uint8_t type, mt_slice payload, mt_record *rec);

/* Protect rec under p and append the whole record (header and fragment) to out. Uses
 * rec's fields as they are: for TLS 1.3, outer_type and version in the header (and so in
 * the additional data), type as the inner type and `padding` zero bytes; for the other
 * kinds, `type` is the header type (outer_type is ignored) and the MAC/AAD covers the
 * header as written. rec->payload must not point into `out` (out may move). rec->seq and rec->epoch
 * are ignored: p's apply. Size limits are not enforced here (a script may build an oversized record
 * on purpose; the fragmenter keeps normal traffic within them), only the 16-bit length field.
 * Sequence number used, then incremented. Returns 0, MT_ERR_LIMIT (sequence number exhausted, RFC
 * 8446 5.3: rekey or close; or too long for the length field), MT_ERR_BAD_PARAM (padding with a
 * non-1.3 kind), MT_ERR_NO_MEMORY, MT_ERR_CRYPTO. On failure out is as before. */
int mt_rec_seal(mt_rec_prot *p, const mt_record *rec, mt_buf *out);

/* Unprotect a deframed record. Appends the plaintext to `plain` and describes it in
 * *out: type (inner type for 1.3), outer_type, version, length, payload, padding, epoch,
 * seq. out->payload borrows from `plain` (protected) or from in->payload (null
 * protection): it is valid until plain is next modified or in's bytes go away. The
 * sequence number advances only on success, so a caller may try a record and skip it
 * (RFC 8446 4.2.10 early data); TLS 1.0 CBC is the exception, its implicit IV chain
 * moves on with every record (a failure is fatal there). `in` and `out` may be the same struct.
 * Returns: MT_ERR_BAD_MAC     authentication or padding failure (RFC 8446 5.2, RFC 5246 7.2.2)
 *   MT_ERR_UNEXPECTED  TLS 1.3: outer type not application_data, inner type not 21..24,
 *                      protected change_cipher_spec, no non-zero byte (RFC 8446 5, 5.4)
 *   MT_ERR_OVERFLOW    plaintext longer than p->max_plaintext (+1 for the 1.3 inner type)
 *   MT_ERR_LIMIT       sequence number exhausted (RFC 8446 5.3)
 *   MT_ERR_NO_MEMORY, MT_ERR_CRYPTO
 * On failure plain is as before (wiped past its old length). */
int mt_rec_open(mt_rec_prot *p, const mt_record *in, mt_buf *plain, mt_record *out);

/* ---- fragmentation (fragment.c) ---- */

/* Cuts a stream of one content type into records of at most `max` bytes of content. */
typedef struct mt_rec_frag {
    mt_slice data; /* borrowed */
    size_t off;
    size_t max;
    uint8_t type;
} mt_rec_frag;

/* max: 1..65535 (0 = 2^14). Returns 0 or MT_ERR_BAD_PARAM. An empty stream yields no
 * record (send an empty record with mt_rec_prepare + mt_rec_seal). */
int mt_rec_frag_init(mt_rec_frag *f, uint8_t type, mt_slice data, size_t max);
/* Next piece as a prepared record under p (mt_rec_prepare); payload borrows from the
 * stream. Returns 1 if a record was produced, 0 when the stream is exhausted. */
int mt_rec_frag_next(mt_rec_frag *f, const mt_rec_prot *p, mt_record *rec);
/* Fragment `data` at mt_rec_max_fragment(p) (or max if non-zero) and seal every record
 * to out: the path without hooks. Returns what mt_rec_seal returns; out is as before on
 * failure. */
int mt_rec_send(mt_rec_prot *p, uint8_t type, mt_slice data, size_t max, mt_buf *out);

/* ---- handshake reassembly (reassemble.c) ---- */

#define MT_REASM_DEFAULT_MAX 65536 /* body bytes; the engine raises it per type */
#define MT_REASM_OVERRIDES 4

/* Joins handshake fragments into whole messages: type(1) || u24 length || body. */
typedef struct mt_reasm {
    mt_buf buf;     /* unread handshake bytes; freed whenever it becomes empty */
    size_t taken;   /* bytes at the front already returned by mt_reasm_next */
    size_t max_len; /* body cap for every type without an override */
    struct {
        uint8_t type;
        uint8_t used;
        uint32_t max_len;
    } over[MT_REASM_OVERRIDES];
} mt_reasm;

void mt_reasm_init(mt_reasm *r);
void mt_reasm_free(mt_reasm *r); /* wipes; NULL allowed */
/* Body cap for one message type (e.g. Certificate), max 2^24-1. Returns 0,
 * MT_ERR_BAD_PARAM, or MT_ERR_LIMIT when all override slots are used. */
int mt_reasm_set_max(mt_reasm *r, uint8_t msg_type, size_t max_len);
/* Add the payload of one handshake record. tls13: a zero-length fragment is refused
 * (RFC 8446 5.1: MUST NOT send zero-length fragments of Handshake type), with
 * MT_ERR_UNEXPECTED. A header announcing more than the cap fails here, as soon as the
 * header is complete, with MT_ERR_ILLEGAL_PARAM. Returns 0, those, or MT_ERR_NO_MEMORY. */
int mt_reasm_feed(mt_reasm *r, mt_slice fragment, int tls13);
/* The next whole message (header included) as a slice into r, valid until the next call
 * on r. Returns 0 with *msg set, MT_ERR_WANT_INPUT when no whole message is buffered, or
 * MT_ERR_ILLEGAL_PARAM when the next header exceeds its cap. */
int mt_reasm_next(mt_reasm *r, mt_slice *msg);
/* Bytes buffered and not yet returned by mt_reasm_next (a partial message or whole
 * messages not yet taken). */
size_t mt_reasm_pending(const mt_reasm *r);
/* RFC 8446 5.1: handshake messages MUST NOT span a key change; the engine calls this
 * before installing new read keys. MT_ERR_UNEXPECTED if any handshake byte is pending. */
int mt_reasm_check_key_change(const mt_reasm *r);

#endif
