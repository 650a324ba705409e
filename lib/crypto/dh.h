/*
 * dh.h - finite-field Diffie-Hellman: the RFC 7919 groups (ffdhe2048/3072/4096, TLS 1.3
 * and TLS 1.2 DHE) and server-chosen groups (TLS 1.2 ServerKeyExchange).
 *
 * Notes:
 * - mt_dh_key is opaque and heap-allocated, holding the group and a key pair; mt_dh_free
 *   wipes it.
 * - Peer values are range-checked: 1 < y < p-1 (RFC 7919 5.1, RFC 8446 4.2.8.1); a bad
 *   value returns MT_ERR_ILLEGAL_PARAM.
 * - Public values and shared secrets are exported left-padded to the size of p in TLS 1.3
 *   (RFC 8446 4.2.8.1, 7.4.1); TLS 1.2 strips leading zero bytes of the shared secret
 *   (RFC 5246 8.1.2), selected by `strip_zeros`.
 */
#ifndef MT_CRYPTO_DH_H
#define MT_CRYPTO_DH_H

#include "rng.h"
#include <stddef.h>
#include <stdint.h>

enum { MT_DH_FFDHE2048 = 256, MT_DH_FFDHE3072 = 257, MT_DH_FFDHE4096 = 258 };

typedef struct mt_dh_key mt_dh_key;

/* Prime and generator of an RFC 7919 group (static storage), or MT_ERR_BAD_PARAM. */
int mt_dh_group(int group, const uint8_t **p, size_t *p_len, const uint8_t **g, size_t *g_len);
/* Generate a key pair in a named group or in explicit (p, g). Explicit groups are checked
 * for sanity (p odd, p_len >= min_p_bytes, 1 < g < p-1). Leading zero bytes of p and g are
 * ignored. Errors: p shorter than min_p_bytes -> MT_ERR_SENT(INSUFFICIENT_SECURITY); p even
 * or g out of range -> MT_ERR_ILLEGAL_PARAM; p over 16384 bits -> MT_ERR_LIMIT; an rng that
 * fails or never yields a usable exponent -> its error or MT_ERR_CRYPTO. Exponents: RFC 7919
 * appendix A short ones for named groups (also when explicit p, g equal one), bits(p) - 1
 * otherwise; purpose "key_share". */
int mt_dh_generate_named(mt_dh_key **out, int group, const mt_rng *rng);
int mt_dh_generate(mt_dh_key **out, const uint8_t *p, size_t p_len, const uint8_t *g,
                   size_t g_len, size_t min_p_bytes, const mt_rng *rng);
void mt_dh_free(mt_dh_key *key);
/* Size of p in bytes. */
size_t mt_dh_size(const mt_dh_key *key);
/* Public value, left-padded to mt_dh_size bytes when pad is 1, minimal otherwise. */
int mt_dh_export_public(const mt_dh_key *key, int pad, uint8_t *out, size_t *len);
/* Private exponent x, big-endian and minimal (at most mt_dh_size bytes). A secret: the
 * caller wipes out. */
int mt_dh_export_private(const mt_dh_key *key, uint8_t *out, size_t *len);
/* Shared secret g^(xy) mod p after range-checking the peer value (any length up to
 * mt_dh_size; leading zeros allowed). out holds mt_dh_size bytes. */
int mt_dh_shared(const mt_dh_key *key, const uint8_t *peer, size_t peer_len, int strip_zeros,
                 uint8_t *out, size_t *out_len);

#endif
