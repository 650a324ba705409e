/*
 * aes.h - private to lib/crypto: the AES block cipher and the two modes the record layer
 * needs (GCM's 32-bit counter mode and CBC), with no libtomcrypt types in the interface.
 *
 * Notes:
 * - A key is 512 bytes: the AES-NI encryption and decryption round keys, or libtomcrypt's
 *   rijndael key schedule on CPUs without AES-NI (table-based, so not cache-timing safe;
 *   every x86-64 CPU since 2010 takes the AES-NI path). No 4 KiB symmetric_key union.
 * - impl selects the code path: MT_SYM_AUTO picks hardware instructions when the CPU has
 *   them; MT_SYM_PORTABLE forces the portable code (tests run every vector through both).
 */
#ifndef MT_CRYPTO_AES_H
#define MT_CRYPTO_AES_H

#include <stddef.h>
#include <stdint.h>

typedef enum mt_sym_impl {
    MT_SYM_AUTO = 0,     /* fastest available on this CPU */
    MT_SYM_PORTABLE = 1, /* plain C (libtomcrypt AES, constant-time C GHASH) */
} mt_sym_impl;

typedef struct mt_aes_key {
    _Alignas(16) uint8_t rk[496];
    uint8_t rounds; /* 10 or 14 */
    uint8_t ni;     /* 1: AES-NI round keys in rk; 0: libtomcrypt rijndael_key in rk */
} mt_aes_key;

/* Expand a 16- or 32-byte key (encryption and decryption schedules).
 * Returns 0, MT_ERR_BAD_PARAM (key length) or MT_ERR_CRYPTO. */
int mt_aes_init(mt_aes_key *k, const uint8_t *key, size_t key_len, mt_sym_impl impl);
void mt_aes_wipe(mt_aes_key *k);
/* One block; in and out may be the same 16 bytes. */
void mt_aes_encrypt(const mt_aes_key *k, const uint8_t *in, uint8_t *out);
void mt_aes_decrypt(const mt_aes_key *k, const uint8_t *in, uint8_t *out);
/* GCM counter mode (NIST SP 800-38D 6.5): XOR len bytes of in with E(K, ctr), E(K,
 * inc32(ctr)), ... into out (out may equal in). ctr is 16 bytes and is advanced past the
 * blocks used, so a later call continues the stream only at a block boundary. */
void mt_aes_ctr32(const mt_aes_key *k, uint8_t *ctr, const uint8_t *in, uint8_t *out, size_t len);
/* CBC over len bytes (a multiple of 16); out may equal in. iv (16 bytes) is updated to the
 * last ciphertext block, which is the next record's IV under TLS 1.0 chaining. */
void mt_aes_cbc_encrypt(const mt_aes_key *k, uint8_t *iv, const uint8_t *in, uint8_t *out,
                        size_t len);
void mt_aes_cbc_decrypt(const mt_aes_key *k, uint8_t *iv, const uint8_t *in, uint8_t *out,
                        size_t len);

#endif
