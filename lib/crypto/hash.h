/*
 * hash.h - message digests and HMAC for the rest of lib/ (no libtomcrypt types leak).
 *
 * Notes:
 * - Contexts are plain structs with opaque, aligned storage sized for libtomcrypt's
 *   hash_state (checked by a static assertion in hash.c), so they live on the stack or
 *   inside other structs, can be copied with mt_hash_clone (the TLS transcript hash is
 *   cloned to read intermediate values), and need no free; mt_hash_wipe clears them.
 * - An HMAC context keeps the keyed inner and outer states, prepared once per key, so a
 *   record MAC costs only the message's blocks plus two finalisations.
 * - mt_crypto_init() registers libtomcrypt's algorithms and math descriptor. It is
 *   idempotent and thread-safe; every mt_* crypto entry point calls it, so callers never
 *   have to.
 */
#ifndef MT_CRYPTO_HASH_H
#define MT_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef enum mt_hash_id {
    MT_HASH_NONE = 0,
    MT_HASH_MD5,
    MT_HASH_SHA1,
    MT_HASH_SHA224,
    MT_HASH_SHA256,
    MT_HASH_SHA384,
    MT_HASH_SHA512,
} mt_hash_id;

#define MT_HASH_MAX_LEN 64
#define MT_HASH_MAX_BLOCK 128
#define MT_HASH_STATE_SIZE 448

typedef struct mt_hash_ctx {
    mt_hash_id id;
    union {
        uint64_t align_;
        unsigned char bytes[MT_HASH_STATE_SIZE];
    } st;
} mt_hash_ctx;

typedef struct mt_hmac_ctx {
    mt_hash_ctx inner; /* state after absorbing key ^ ipad, then the message */
    mt_hash_ctx outer; /* state after absorbing key ^ opad */
} mt_hmac_ctx;

/* Register libtomcrypt algorithms and math once. Returns 0 or MT_ERR_CRYPTO. */
int mt_crypto_init(void);

/* Digest length in bytes (0 for an unknown id), block length, and a name ("sha256"). */
size_t mt_hash_len(mt_hash_id id);
size_t mt_hash_block_len(mt_hash_id id);
const char *mt_hash_name(mt_hash_id id);

/* Incremental hashing. final writes mt_hash_len(id) bytes to out and wipes ctx.
 * All return 0, MT_ERR_BAD_PARAM (unknown id) or MT_ERR_CRYPTO. */
int mt_hash_init(mt_hash_ctx *ctx, mt_hash_id id);
int mt_hash_update(mt_hash_ctx *ctx, const void *data, size_t len);
int mt_hash_final(mt_hash_ctx *ctx, uint8_t *out);
/* dst becomes an independent copy of src (both stay usable). */
void mt_hash_clone(mt_hash_ctx *dst, const mt_hash_ctx *src);
/* Digest of the data so far, leaving ctx untouched (clone + final). */
int mt_hash_peek(const mt_hash_ctx *ctx, uint8_t *out);
void mt_hash_wipe(mt_hash_ctx *ctx);
/* One-shot digest. */
int mt_hash(mt_hash_id id, const void *data, size_t len, uint8_t *out);

/* HMAC (RFC 2104). Keys of any length. final writes mt_hash_len(id) bytes and wipes ctx. */
int mt_hmac_init(mt_hmac_ctx *ctx, mt_hash_id id, const uint8_t *key, size_t key_len);
int mt_hmac_update(mt_hmac_ctx *ctx, const void *data, size_t len);
int mt_hmac_final(mt_hmac_ctx *ctx, uint8_t *out);
void mt_hmac_clone(mt_hmac_ctx *dst, const mt_hmac_ctx *src);
void mt_hmac_wipe(mt_hmac_ctx *ctx);
int mt_hmac(mt_hash_id id, const uint8_t *key, size_t key_len, const void *data, size_t len,
            uint8_t *out);

#endif
