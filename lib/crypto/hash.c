/*
 * hash.c - MD5, SHA-1 and SHA-2 digests and HMAC over libtomcrypt's hash functions.
 *
 * Notes:
 * - mt_hash_ctx stores libtomcrypt's hash_state in its opaque bytes (size and alignment are
 *   checked at compile time), so a context is a plain value: cloning is a struct copy.
 * - The functions are called through libtomcrypt's descriptors taken by address, not by
 *   registry lookup, so hashing needs no name search on the hot path.
 * - HMAC (RFC 2104) keeps the inner state after K ^ ipad and the outer state after
 *   K ^ opad; a record MAC clones the prepared pair and pays only for its own blocks.
 */
#include "hash.h"
#include "buf/buf.h"
#include "internal.h"

#include <tomcrypt.h>

_Static_assert(sizeof(hash_state) <= MT_HASH_STATE_SIZE, "MT_HASH_STATE_SIZE too small");
_Static_assert(_Alignof(hash_state) <= _Alignof(uint64_t), "hash_state alignment");

static const struct ltc_hash_descriptor *desc_of(mt_hash_id id)
{
    switch (id) {
    case MT_HASH_MD5:
        return &md5_desc;
    case MT_HASH_SHA1:
        return &sha1_desc;
    case MT_HASH_SHA224:
        return &sha224_desc;
    case MT_HASH_SHA256:
        return &sha256_desc;
    case MT_HASH_SHA384:
        return &sha384_desc;
    case MT_HASH_SHA512:
        return &sha512_desc;
    case MT_HASH_NONE:
    default:
        return NULL;
    }
}

static hash_state *state_of(mt_hash_ctx *ctx)
{
    return (hash_state *)(void *)ctx->st.bytes;
}

size_t mt_hash_len(mt_hash_id id)
{
    const struct ltc_hash_descriptor *d = desc_of(id);
    return d ? d->hashsize : 0;
}

size_t mt_hash_block_len(mt_hash_id id)
{
    const struct ltc_hash_descriptor *d = desc_of(id);
    return d ? d->blocksize : 0;
}

const char *mt_hash_name(mt_hash_id id)
{
    const struct ltc_hash_descriptor *d = desc_of(id);
    return d ? d->name : NULL;
}

int mt_hash_init(mt_hash_ctx *ctx, mt_hash_id id)
{
    const struct ltc_hash_descriptor *d = desc_of(id);
    MT_ENSURE(ctx != NULL && d != NULL, MT_ERR_BAD_PARAM);
    MT_TRY(mt_crypto_init());
    memset(ctx, 0, sizeof *ctx);
    ctx->id = id;
    MT_ENSURE(d->init(state_of(ctx)) == CRYPT_OK, MT_ERR_CRYPTO);
    return MT_OK;
}

int mt_hash_update(mt_hash_ctx *ctx, const void *data, size_t len)
{
    const struct ltc_hash_descriptor *d = ctx ? desc_of(ctx->id) : NULL;
    MT_ENSURE(d != NULL && (data != NULL || len == 0), MT_ERR_BAD_PARAM);
    if (len == 0) return MT_OK;
    MT_ENSURE(d->process(state_of(ctx), data, len) == CRYPT_OK, MT_ERR_CRYPTO);
    return MT_OK;
}

int mt_hash_final(mt_hash_ctx *ctx, uint8_t *out)
{
    const struct ltc_hash_descriptor *d = ctx ? desc_of(ctx->id) : NULL;
    MT_ENSURE(d != NULL && out != NULL, MT_ERR_BAD_PARAM);
    int ok = d->done(state_of(ctx), out) == CRYPT_OK;
    mt_hash_wipe(ctx);
    return ok ? MT_OK : MT_ERR_CRYPTO;
}

void mt_hash_clone(mt_hash_ctx *dst, const mt_hash_ctx *src)
{
    if (dst != src) memcpy(dst, src, sizeof *dst);
}

int mt_hash_peek(const mt_hash_ctx *ctx, uint8_t *out)
{
    mt_hash_ctx tmp;
    MT_ENSURE(ctx != NULL, MT_ERR_BAD_PARAM);
    mt_hash_clone(&tmp, ctx);
    return mt_hash_final(&tmp, out);
}

void mt_hash_wipe(mt_hash_ctx *ctx)
{
    if (ctx) mt_wipe(ctx, sizeof *ctx);
}

int mt_hash(mt_hash_id id, const void *data, size_t len, uint8_t *out)
{
    mt_hash_ctx ctx;
    MT_TRY(mt_hash_init(&ctx, id));
    int rc = mt_hash_update(&ctx, data, len);
    if (rc != MT_OK) {
        mt_hash_wipe(&ctx);
        return rc;
    }
    return mt_hash_final(&ctx, out);
}

/* ---- HMAC (RFC 2104) ---- */

int mt_hmac_init(mt_hmac_ctx *ctx, mt_hash_id id, const uint8_t *key, size_t key_len)
{
    uint8_t k[MT_HASH_MAX_BLOCK], pad[MT_HASH_MAX_BLOCK];
    size_t bs = mt_hash_block_len(id);
    int rc = MT_OK;
    MT_ENSURE(ctx != NULL && bs != 0 && (key != NULL || key_len == 0), MT_ERR_BAD_PARAM);
    memset(k, 0, sizeof k);
    /* RFC 2104 2: keys longer than B bytes are first hashed with H. */
    if (key_len > bs) {
        MT_TRY_GOTO(mt_hash(id, key, key_len, k));
    } else if (key_len > 0) {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < bs; i++)
        pad[i] = k[i] ^ 0x36;
    MT_TRY_GOTO(mt_hash_init(&ctx->inner, id));
    MT_TRY_GOTO(mt_hash_update(&ctx->inner, pad, bs));
    for (size_t i = 0; i < bs; i++)
        pad[i] = k[i] ^ 0x5c;
    MT_TRY_GOTO(mt_hash_init(&ctx->outer, id));
    MT_TRY_GOTO(mt_hash_update(&ctx->outer, pad, bs));
out:
    mt_wipe(k, sizeof k);
    mt_wipe(pad, sizeof pad);
    if (rc != MT_OK) mt_hmac_wipe(ctx);
    return rc;
}

int mt_hmac_update(mt_hmac_ctx *ctx, const void *data, size_t len)
{
    MT_ENSURE(ctx != NULL, MT_ERR_BAD_PARAM);
    return mt_hash_update(&ctx->inner, data, len);
}

int mt_hmac_final(mt_hmac_ctx *ctx, uint8_t *out)
{
    uint8_t ih[MT_HASH_MAX_LEN];
    int rc = MT_OK;
    MT_ENSURE(ctx != NULL && out != NULL, MT_ERR_BAD_PARAM);
    size_t n = mt_hash_len(ctx->inner.id);
    MT_TRY_GOTO(mt_hash_final(&ctx->inner, ih));
    MT_TRY_GOTO(mt_hash_update(&ctx->outer, ih, n));
    MT_TRY_GOTO(mt_hash_final(&ctx->outer, out));
out:
    mt_wipe(ih, sizeof ih);
    mt_hmac_wipe(ctx);
    return rc;
}

void mt_hmac_clone(mt_hmac_ctx *dst, const mt_hmac_ctx *src)
{
    if (dst != src) memcpy(dst, src, sizeof *dst);
}

void mt_hmac_wipe(mt_hmac_ctx *ctx)
{
    if (ctx) mt_wipe(ctx, sizeof *ctx);
}

int mt_hmac(mt_hash_id id, const uint8_t *key, size_t key_len, const void *data, size_t len,
            uint8_t *out)
{
    mt_hmac_ctx ctx;
    MT_TRY(mt_hmac_init(&ctx, id, key, key_len));
    int rc = mt_hmac_update(&ctx, data, len);
    if (rc != MT_OK) {
        mt_hmac_wipe(&ctx);
        return rc;
    }
    return mt_hmac_final(&ctx, out);
}
