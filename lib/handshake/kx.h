/*
 * kx.h - ephemeral key exchange over every TLS 1.3 / ECDHE / DHE group, behind one shape:
 * generate (or pin) a private key, export the key_share bytes, compute the shared secret
 * from the peer's share.
 *
 * Groups are NamedGroup code points (RFC 8446 4.2.7): x25519, x448, secp256r1/384r1/521r1,
 * ffdhe2048/3072/4096. Shares use the TLS 1.3 encodings (RFC 8446 4.2.8.1-2): raw
 * little-endian u-coordinates for X25519/X448, uncompressed points for the NIST curves,
 * Y left-padded to the size of p for FFDHE.
 */
#ifndef MT_HANDSHAKE_KX_H
#define MT_HANDSHAKE_KX_H

#include "crypto/dh.h"
#include "crypto/ec.h"
#include "crypto/rng.h"
#include <stddef.h>
#include <stdint.h>

#define MT_KX_MAX_PUB 512 /* ffdhe4096 */
#define MT_KX_MAX_SHARED 512

typedef struct mt_kx {
    uint16_t group;
    uint8_t priv[56]; /* X25519 / X448 scalar */
    mt_ec_key *ec;
    mt_dh_key *dh;
    uint8_t pub[MT_KX_MAX_PUB];
    size_t pub_len;
} mt_kx;

/* 1 if this build implements the group. */
int mt_kx_supported(uint16_t group);
/* Generate a key pair for group (purpose "key_share"), or import `pinned` (priv_len bytes:
 * the scalar for X25519/X448 and the NIST curves; FFDHE cannot be pinned:
 * MT_ERR_UNSUPPORTED). Returns 0, MT_ERR_UNSUPPORTED, MT_ERR_BAD_PARAM, MT_ERR_NO_MEMORY,
 * MT_ERR_CRYPTO. */
int mt_kx_generate(mt_kx *kx, uint16_t group, const mt_rng *rng, const uint8_t *pinned,
                   size_t pinned_len);
/* Shared secret from the peer's share (RFC 8446 7.4: X coordinate / u / padded g^xy).
 * MT_ERR_ILLEGAL_PARAM for an invalid share (wrong length, off-curve point, out-of-range
 * Y, all-zero X25519/X448 output: RFC 8446 4.2.8.2 / 7.4.2). */
int mt_kx_shared(const mt_kx *kx, const uint8_t *peer, size_t peer_len, uint8_t *out,
                 size_t *out_len);
/* The private key into out (MT_KX_MAX_PUB bytes): the X25519/X448 scalar, the NIST
 * scalar left-padded to the field size (both what `pinned` takes), the FFDHE exponent
 * (minimal). *len gets the size. A secret: the caller wipes out. */
int mt_kx_export_private(const mt_kx *kx, uint8_t *out, size_t *len);
void mt_kx_free(mt_kx *kx); /* wipes; zeroed or freed kx allowed */

#endif
