/*
 * transcript.h - the running hash over handshake messages (RFC 8446 4.4.1, RFC 5246 7.4.9,
 * RFC 7627 3, RFC 2246 7.4.9).
 *
 * Notes:
 * - Messages go in exactly as they crossed the wire: the 4-byte header (type, uint24
 *   length) and the body. The transcript never parses them, so a script's malformed
 *   message is hashed as sent.
 * - The hash is often chosen after the first message (the cipher suite comes with
 *   ServerHello or HelloRetryRequest). Until mt_transcript_set_hash or
 *   mt_transcript_set_md5sha1 is called, messages are buffered raw; choosing the hash
 *   absorbs the buffer and releases it. Raw bytes are kept after that only when asked
 *   (mt_transcript_keep_raw), for a TLS 1.2 CertificateVerify whose hash differs from the
 *   PRF hash (RFC 5246 7.4.8), and dropped again with mt_transcript_release_raw.
 * - Reading a hash never finalises the running state (the state is cloned), so the same
 *   transcript serves every Derive-Secret, Finished and CertificateVerify along the way.
 * - TLS 1.0/1.1 use an MD5 and a SHA-1 hash side by side; their "hash" is MD5 || SHA-1
 *   (36 bytes), which is what Finished (RFC 2246 7.4.9) and the RFC 7627 session hash take.
 * - The structure is plain data: zero it or mt_transcript_init it, and mt_transcript_free
 *   it. No hashing state needs a free of its own.
 */
#ifndef MT_HANDSHAKE_TRANSCRIPT_H
#define MT_HANDSHAKE_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "buf/buf.h"
#include "crypto/hash.h"

/* Length of the TLS 1.0/1.1 MD5 || SHA-1 transcript value. */
#define MT_TRANSCRIPT_MD5SHA1_LEN 36
/* The largest value mt_transcript_hash can write. */
#define MT_TRANSCRIPT_MAX_LEN MT_HASH_MAX_LEN
/* RFC 8446 4.4.1: the synthetic handshake type that replaces ClientHello1 after an HRR. */
#define MT_HS_MESSAGE_HASH 254

typedef enum mt_transcript_mode {
    MT_TRANSCRIPT_PENDING = 0, /* hash not chosen yet: messages are buffered */
    MT_TRANSCRIPT_SINGLE,      /* one hash (TLS 1.2 PRF hash, TLS 1.3 suite hash) */
    MT_TRANSCRIPT_MD5SHA1,     /* TLS 1.0/1.1 MD5 and SHA-1 pair */
} mt_transcript_mode;

typedef struct mt_transcript {
    mt_transcript_mode mode;
    mt_hash_id id;   /* the single hash; MT_HASH_NONE in the other modes */
    mt_hash_ctx h;   /* SINGLE: the running hash; MD5SHA1: the MD5 half */
    mt_hash_ctx h2;  /* MD5SHA1: the SHA-1 half */
    mt_buf raw;      /* buffered messages (PENDING, or keep_raw set) */
    int keep_raw;    /* keep raw bytes after the hash is chosen */
    size_t messages; /* number of messages added since init or the last restart */
} mt_transcript;

/* Start an empty transcript in PENDING mode. Never fails. */
void mt_transcript_init(mt_transcript *t);
/* Wipe and release everything; t is an empty PENDING transcript afterwards. */
void mt_transcript_free(mt_transcript *t);

/* Choose the hash (any id hash.h knows). Absorbs buffered messages; releases them unless
 * keep_raw is set. Returns 0, MT_ERR_BAD_STATE if a hash was already chosen (the same id
 * again is accepted as a no-op), MT_ERR_BAD_PARAM for an unknown id, MT_ERR_CRYPTO. */
int mt_transcript_set_hash(mt_transcript *t, mt_hash_id id);
/* Choose the TLS 1.0/1.1 MD5 + SHA-1 pair. Same rules as mt_transcript_set_hash. */
int mt_transcript_set_md5sha1(mt_transcript *t);

/* Keep (on = 1) or stop keeping (on = 0) raw message bytes after the hash is chosen.
 * Turning it on after messages were already hashed and released fails with
 * MT_ERR_BAD_STATE: the bytes are gone. Turning it off releases them. */
int mt_transcript_keep_raw(mt_transcript *t, int on);
/* Same as mt_transcript_keep_raw(t, 0). */
void mt_transcript_release_raw(mt_transcript *t);

/* Add one handshake message (header and body; msg is borrowed, copied if buffered).
 * Returns 0, MT_ERR_NO_MEMORY, MT_ERR_CRYPTO. */
int mt_transcript_add(mt_transcript *t, const uint8_t *msg, size_t len);

/* Length of the value mt_transcript_hash writes: mt_hash_len(id), 36 for MD5SHA1, 0 while
 * PENDING. */
size_t mt_transcript_len(const mt_transcript *t);
/* The transcript hash of everything added so far (the state is not finalised).
 * out receives mt_transcript_len(t) bytes. MT_ERR_BAD_STATE while PENDING. */
int mt_transcript_hash(const mt_transcript *t, uint8_t *out);
/* Hash of everything added so far followed by `extra` (not added), with hash `id`.
 * While PENDING any id works (the buffered bytes are hashed); once chosen, id must be the
 * chosen single hash (MT_ERR_BAD_PARAM otherwise) or MT_HASH_NONE for "the chosen one".
 * This is the PSK binder hash (RFC 8446 4.2.11.2) over a truncated ClientHello.
 * out receives mt_hash_len(id) bytes. extra may be NULL when extra_len is 0. */
int mt_transcript_hash_with(const mt_transcript *t, mt_hash_id id, const uint8_t *extra,
                            size_t extra_len, uint8_t *out);
/* Hash of the kept raw messages with any hash `id` (TLS 1.2 CertificateVerify with a
 * signature hash other than the PRF hash). MT_ERR_BAD_STATE unless the raw bytes are
 * available (PENDING, or keep_raw set before the first message). */
int mt_transcript_hash_raw(const mt_transcript *t, mt_hash_id id, uint8_t *out);
/* Borrow the kept raw messages (valid until the next call on t). Empty if none. */
mt_slice mt_transcript_raw(const mt_transcript *t);

/* RFC 8446 4.4.1: after a HelloRetryRequest, replace ClientHello1 by the synthetic
 * message_hash message (254, 00 00 Hash.length, Hash(ClientHello1)). Call it once the hash
 * is chosen and before the HRR itself is added; ClientHello1 must be the only message.
 * Returns 0, MT_ERR_BAD_STATE (PENDING, MD5SHA1, or not exactly one message), crypto. */
int mt_transcript_hrr_rewrite(mt_transcript *t);
/* Restart the transcript as message_hash(ch1_hash): what a server does when it rebuilds
 * the state from an HRR cookie holding Hash(ClientHello1). ch1_hash is
 * mt_hash_len(id) bytes. The hash must be chosen (SINGLE); earlier messages are dropped. */
int mt_transcript_restart_hrr(mt_transcript *t, const uint8_t *ch1_hash);

/* RFC 8446 4.2.11.2: the binder covers the ClientHello "up to and including the
 * PreSharedKeyExtension.identities field", i.e. everything before the binders vector,
 * which must end the message (4.2.11: pre_shared_key is the last extension).
 * Given a full ClientHello (4-byte header included), *cut receives that truncated length.
 * Returns 0, MT_ERR_DECODE (malformed, no pre_shared_key, not last, trailing bytes),
 * MT_ERR_NOT_FOUND (well-formed but no pre_shared_key extension). */
int mt_transcript_binder_cut(const uint8_t *client_hello, size_t len, size_t *cut);

#endif
