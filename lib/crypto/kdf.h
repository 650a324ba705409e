/*
 * kdf.h - HKDF (RFC 5869), the TLS 1.3 labels (RFC 8446 7.1) and the TLS PRFs
 * (RFC 5246 5 for TLS 1.2, RFC 2246 5 / RFC 4346 5 for TLS 1.0 and 1.1).
 *
 * All output buffers are caller-owned; lengths are in bytes. All functions return 0,
 * MT_ERR_BAD_PARAM (unknown hash, output too long: HKDF-Expand allows 255 * HashLen) or
 * MT_ERR_CRYPTO. Intermediate values are wiped.
 */
#ifndef MT_CRYPTO_KDF_H
#define MT_CRYPTO_KDF_H

#include "hash.h"

/* HKDF-Extract(salt, IKM) -> prk of mt_hash_len(h) bytes. salt may be NULL with
 * salt_len 0 (RFC 5869 2.2: a string of HashLen zeros). */
int mt_hkdf_extract(mt_hash_id h, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                    size_t ikm_len, uint8_t *prk);
/* HKDF-Expand(PRK, info, L). */
int mt_hkdf_expand(mt_hash_id h, const uint8_t *prk, size_t prk_len, const uint8_t *info,
                   size_t info_len, uint8_t *out, size_t out_len);
/* HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 7.1; `label` is given
 * without the "tls13 " prefix and `label_len` is its length (labels are bytes, so a
 * script may pass any). secret is mt_hash_len(h) bytes. */
int mt_hkdf_expand_label(mt_hash_id h, const uint8_t *secret, const uint8_t *label,
                         size_t label_len, const uint8_t *context, size_t context_len,
                         uint8_t *out, size_t out_len);
/* Derive-Secret(Secret, Label, Messages) with the transcript hash already computed
 * (transcript_hash is mt_hash_len(h) bytes); writes mt_hash_len(h) bytes. label is a C
 * string without the "tls13 " prefix. */
int mt_derive_secret(mt_hash_id h, const uint8_t *secret, const char *label,
                     const uint8_t *transcript_hash, uint8_t *out);

/* TLS 1.2 PRF: P_hash(secret, label || seed) with the suite's hash (SHA-256 or SHA-384). */
int mt_prf_tls12(mt_hash_id h, const uint8_t *secret, size_t secret_len, const char *label,
                 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);
/* TLS 1.0/1.1 PRF: P_MD5(S1, label || seed) XOR P_SHA1(S2, label || seed). */
int mt_prf_tls10(const uint8_t *secret, size_t secret_len, const char *label,
                 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

#endif
