/*
 * sym_impl.h - private to lib/crypto and its tests: constructors that pin the code path
 * (hardware or portable) and measurements that back the constant-time claims.
 *
 * Nothing outside lib/crypto and spec/c calls these; the record layer uses cipher.h.
 */
#ifndef MT_CRYPTO_SYM_IMPL_H
#define MT_CRYPTO_SYM_IMPL_H

#include "aes.h"
#include "cipher.h"

/* mt_aead_new with a chosen code path (MT_SYM_PORTABLE forces plain C AES and GHASH). */
int mt_aead_new_impl(mt_aead **out, mt_aead_id id, const uint8_t *key, mt_sym_impl impl);
/* 1 if the object uses hardware instructions (AES-NI and PCLMULQDQ) for AES-GCM. */
int mt_aead_is_hw(const mt_aead *a);
/* Bytes allocated for one AEAD key object (the per-connection memory budget). */
size_t mt_aead_object_size(void);

/* mt_cbc_new with a chosen AES code path. */
int mt_cbc_new_impl(mt_cbc **out, const uint8_t *enc_key, size_t enc_key_len, mt_hash_id mac,
                    const uint8_t *mac_key, int explicit_iv, const uint8_t *iv, int etm,
                    mt_sym_impl impl);
size_t mt_cbc_object_size(void);

/* The constant-time record MAC used by mt_cbc_open (MAC-then-encrypt):
 * HMAC(key, hdr[0..10] || len16 || data[0..data_len)) where data_len is secret and
 * data_len <= max_len (public; data holds max_len readable bytes) and
 * max_len - data_len <= 255 + mac_len. The hash compression function runs the same number
 * of times for every data_len; that count is written to *blocks (may be NULL).
 * Returns 0 or MT_ERR_CRYPTO. */
int mt_cbc_mac_ct(const mt_hmac_ctx *key, const uint8_t *hdr, const uint8_t *data, size_t data_len,
                  size_t max_len, uint8_t *mac, unsigned *blocks);

/* The constant-time part of mt_cbc_open for MAC-then-encrypt, on a decrypted fragment
 * rec[0..body) (body a multiple of 16 and > the MAC length: public facts): checks the
 * padding and the MAC with no branch or memory address depending on rec. Returns all ones
 * (SIZE_MAX) if both are valid, else 0; *content_len gets the content length (meaningful
 * only when valid). */
size_t mt_cbc_check_mte(const mt_cbc *c, const uint8_t *hdr, const uint8_t *rec, size_t body,
                        size_t *content_len);

#endif
