/*
 * ec.h - NIST prime curves P-256, P-384, P-521: ECDHE with public-point validation and
 * ECDSA with DER signatures.
 *
 * Notes:
 * - Curves are named by their TLS NamedGroup code points (RFC 8446 4.2.7).
 * - mt_ec_key is opaque and heap-allocated; mt_ec_free wipes it. Keys are immutable after
 *   creation.
 * - Points travel in the uncompressed form 04 || X || Y (RFC 8446 4.2.8.2; X9.62). Every
 *   peer point is validated: coordinates below p, on the curve, not the point at
 *   infinity (RFC 8446 4.2.8.2, NIST SP 800-56A 5.6.2.3); an invalid point returns
 *   MT_ERR_ILLEGAL_PARAM (the alert TLS sends for it).
 * - ECDSA nonces come from the mt_rng with purpose "ecdsa_nonce", so a pinned rng
 *   reproduces a signature (RFC 6979's k values make known-answer tests possible). A
 *   signature takes two draws of field_len bytes: k (big-endian), then a blinding factor
 *   that does not change the result (details in ec.c).
 */
#ifndef MT_CRYPTO_EC_H
#define MT_CRYPTO_EC_H

#include "hash.h"
#include "rng.h"
#include <stddef.h>
#include <stdint.h>

enum { MT_EC_P256 = 23, MT_EC_P384 = 24, MT_EC_P521 = 25 };

typedef struct mt_ec_key mt_ec_key;

/* Coordinate size in bytes (32, 48, 66), 0 for an unknown curve. */
size_t mt_ec_field_len(int curve);
/* Generate a key pair (purpose "key_share" or "ec_keygen" as the caller names it). */
int mt_ec_generate(mt_ec_key **out, int curve, const mt_rng *rng, const char *purpose);
/* Private key from a big-endian scalar (1 <= d < n; shorter encodings allowed); the
 * public point is computed. MT_ERR_BAD_PARAM for an out-of-range scalar. */
int mt_ec_import_private(mt_ec_key **out, int curve, const uint8_t *scalar, size_t len);
/* Public key from an uncompressed point, validated (MT_ERR_ILLEGAL_PARAM if invalid,
 * MT_ERR_DECODE if not 1 + 2*field_len bytes starting with 04). */
int mt_ec_import_public(mt_ec_key **out, int curve, const uint8_t *point, size_t len);
void mt_ec_free(mt_ec_key *key); /* wipes; NULL allowed */
int mt_ec_curve(const mt_ec_key *key);
int mt_ec_is_private(const mt_ec_key *key);
/* Uncompressed public point into out (1 + 2*field_len bytes); *len gets the size. */
int mt_ec_export_public(const mt_ec_key *key, uint8_t *out, size_t *len);
/* Private scalar, big-endian, left-padded to field_len bytes (what mt_ec_import_private
 * takes back); *len gets the size. MT_ERR_BAD_PARAM for a public-only key. A secret:
 * the caller wipes out. */
int mt_ec_export_private(const mt_ec_key *key, uint8_t *out, size_t *len);
/* ECDH: validate the peer's uncompressed point and write the shared x-coordinate,
 * field_len bytes, left-padded (RFC 8446 7.4.2). */
int mt_ecdh(const mt_ec_key *priv, const uint8_t *peer, size_t peer_len, uint8_t *out,
            size_t *out_len);
/* ECDSA over a digest computed by the caller; the signature is DER
 * SEQUENCE { r INTEGER, s INTEGER } as TLS carries it. *sig_len is in/out: capacity in,
 * length out (at most 2*field_len + 9). */
int mt_ecdsa_sign(const mt_ec_key *key, const uint8_t *digest, size_t digest_len,
                  const mt_rng *rng, uint8_t *sig, size_t *sig_len);
/* 0 when valid, MT_ERR_VERIFY when not (including malformed DER). */
int mt_ecdsa_verify(const mt_ec_key *key, const uint8_t *digest, size_t digest_len,
                    const uint8_t *sig, size_t sig_len);

#endif
