/*
 * ghash.h - private to lib/crypto: GHASH, the universal hash of GCM (NIST SP 800-38D 6.4).
 *
 * Notes:
 * - With PCLMULQDQ (checked at run time) the key holds H^1..H^8 so eight blocks are folded
 *   with one reduction; otherwise a constant-time portable multiply is used: 64-bit
 *   carry-less products built from integer multiplies with 3-bit holes between the data
 *   bits, no table lookups and no branches on data (BearSSL's ctmul64 technique).
 * - The key is 144 bytes and is read-only after mt_ghash_init.
 */
#ifndef MT_CRYPTO_GHASH_H
#define MT_CRYPTO_GHASH_H

#include "aes.h"
#include <stddef.h>
#include <stdint.h>

#define MT_GHASH_POWERS 8

typedef struct mt_ghash_key {
    _Alignas(16) uint8_t hp[MT_GHASH_POWERS][16]; /* PCLMUL path: H^1..H^8, byte-reversed */
    uint64_t h1, h0;                              /* portable path: H as two big-endian halves */
    uint8_t clmul;                                /* 1: PCLMULQDQ path */
} mt_ghash_key;

/* Prepare H (16 bytes, E(K, 0^128)). impl as in aes.h. */
void mt_ghash_init(mt_ghash_key *k, const uint8_t *h, mt_sym_impl impl);
/* y = GHASH_H(y, data): for each 16-byte block X, y = (y ^ X) * H. A final partial block
 * is padded with zeros, as GCM pads A and C (SP 800-38D 7.1 step 5). */
void mt_ghash_update(const mt_ghash_key *k, uint8_t *y, const uint8_t *data, size_t len);
void mt_ghash_wipe(mt_ghash_key *k);

#endif
