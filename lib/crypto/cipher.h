/*
 * cipher.h - record-protection primitives: AEAD (AES-GCM, ChaCha20-Poly1305) and
 * AES-CBC with HMAC (MAC-then-encrypt, or encrypt-then-MAC per RFC 7366).
 *
 * Notes:
 * - A cipher object is prepared once per key (AES key schedule, GHASH key material, HMAC
 *   inner/outer states) and reused for every record; it is heap-allocated and opaque, and
 *   its free wipes it. Per-key memory is kept small (no 64 KiB GCM tables): an idle
 *   connection holds two of these.
 * - Tag, MAC and padding checks run in constant time. mt_cbc_open does the same amount of
 *   hashing work whatever the padding length and validity (Lucky 13, RFC 5246 6.2.3.2
 *   note), and a wrong MAC or wrong padding give the same MT_ERR_BAD_MAC.
 * - The record layer builds nonces, additional data and sequence numbers; these
 *   functions only see bytes.
 */
#ifndef MT_CRYPTO_CIPHER_H
#define MT_CRYPTO_CIPHER_H

#include "hash.h"
#include <stddef.h>
#include <stdint.h>

typedef enum mt_aead_id {
    MT_AEAD_AES128_GCM = 1,
    MT_AEAD_AES256_GCM,
    MT_AEAD_CHACHA20_POLY1305,
} mt_aead_id;

#define MT_AEAD_TAG_LEN 16
#define MT_AEAD_NONCE_LEN 12
#define MT_AEAD_MAX_KEY_LEN 32

typedef struct mt_aead mt_aead;

/* Key length in bytes for an AEAD (16 or 32), 0 if unknown. */
size_t mt_aead_key_len(mt_aead_id id);
/* Prepare a key. *out is owned by the caller and released with mt_aead_free.
 * Returns 0, MT_ERR_BAD_PARAM, MT_ERR_NO_MEMORY or MT_ERR_CRYPTO. */
int mt_aead_new(mt_aead **out, mt_aead_id id, const uint8_t *key);
void mt_aead_free(mt_aead *a); /* wipes; NULL allowed */
/* Encrypt len bytes of `in` to `out` (len + 16 bytes: ciphertext then tag). out may equal
 * in (in place). nonce is 12 bytes. */
int mt_aead_seal(mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out);
/* Seal the concatenation in1 || in2 (len1 + len2 bytes) without the caller gathering it:
 * out gets len1 + len2 + 16 bytes. For a TLS 1.3 record, in1 is the content (read in
 * place) and in2 the inner type and padding. out must not overlap in2; it may equal in1.
 * Same returns as mt_aead_seal. */
int mt_aead_seal2(mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                  const uint8_t *in1, size_t len1, const uint8_t *in2, size_t len2, uint8_t *out);
/* Decrypt len bytes (ciphertext then 16-byte tag) into out (len - 16 bytes; may equal in).
 * Returns MT_ERR_BAD_MAC if len < 16 or the tag is wrong (constant-time compare); out is
 * wiped on failure. */
int mt_aead_open(mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out);

typedef struct mt_cbc mt_cbc;

/* Prepare AES-CBC (enc_key_len 16 or 32) with HMAC over `mac` (SHA1, SHA256, SHA384;
 * the MAC key length equals the digest length). For TLS 1.0 (implicit IV chaining),
 * pass the key-block IV as `iv` (16 bytes) and explicit_iv = 0; for TLS 1.1+ pass NULL
 * and explicit_iv = 1. etm = 1 selects encrypt-then-MAC (RFC 7366).
 * Returns 0, MT_ERR_BAD_PARAM, MT_ERR_NO_MEMORY or MT_ERR_CRYPTO. */
int mt_cbc_new(mt_cbc **out, const uint8_t *enc_key, size_t enc_key_len, mt_hash_id mac,
               const uint8_t *mac_key, int explicit_iv, const uint8_t *iv, int etm);
void mt_cbc_free(mt_cbc *c); /* wipes; NULL allowed */
/* Upper bound of the protected size for `len` plaintext bytes (IV, MAC, padding). */
size_t mt_cbc_max_overhead(const mt_cbc *c);
/* Protect one record. `hdr` is the 13 bytes the MAC covers before the content:
 * seq_num(8) || type(1) || version(2) || length(2) where length is the plaintext length
 * (for etm the caller passes the header as RFC 7366 defines it; this function patches the
 * length field to the ciphertext length itself). `explicit_iv` (16 bytes, from the RNG) is
 * used when the object was made with explicit_iv = 1, else ignored (NULL allowed).
 * pad_extra adds that many extra 16-byte blocks of padding (0..15 total padding blocks
 * within the 255-byte limit; a script knob). The fragment (IV if explicit, ciphertext,
 * MAC for etm) is written to out, which must hold len + mt_cbc_max_overhead(c) bytes;
 * *out_len gets its length. out may equal in (the plaintext is moved behind the IV). */
int mt_cbc_seal(mt_cbc *c, const uint8_t *hdr, const uint8_t *in, size_t len,
                const uint8_t *explicit_iv, unsigned pad_extra, uint8_t *out, size_t *out_len);
/* Unprotect one record fragment `in` (len bytes) with the same 13-byte `hdr` shape (its
 * length field is ignored and recomputed). Writes the plaintext to out (at most len bytes)
 * and its length to *out_len. Returns MT_ERR_BAD_MAC for any padding or MAC failure, in
 * constant time with respect to the padding and MAC contents, or MT_ERR_DECODE when len
 * is not a valid CBC length (public information: no oracle). out may equal in; on
 * MT_ERR_BAD_MAC the decrypted bytes in out are wiped. With TLS 1.0 chaining, seal and
 * open (once the length is valid) carry the last ciphertext block over as the next IV. */
int mt_cbc_open(mt_cbc *c, const uint8_t *hdr, const uint8_t *in, size_t len, uint8_t *out,
                size_t *out_len);

#endif
