/*
 * xdh.h - X25519 and X448 Diffie-Hellman functions (RFC 7748), pure C, no libtomcrypt.
 *
 * Notes:
 * - All values are the RFC's little-endian byte strings: 32 bytes for X25519, 56 for X448.
 * - Scalars are clamped inside (RFC 7748 5, decodeScalar25519 / decodeScalar448); callers
 *   pass the raw private key bytes. The most significant bit of an X25519 u-coordinate is
 *   ignored (decodeUCoordinate), and non-canonical u values (p <= u < 2^255, or
 *   p <= u < 2^448) are accepted and reduced mod p, as RFC 7748 5 requires.
 * - The computation is constant-time in the scalar and the u-coordinate: a Montgomery
 *   ladder with masked conditional swaps, no branch and no memory index that depends on a
 *   secret, inversion by a fixed exponentiation chain, output in canonical form.
 * - An all-zero result (the peer sent a low-order point) is detected in constant time and
 *   reported as MT_ERR_ILLEGAL_PARAM: RFC 7748 6.1 lets implementations check it and
 *   RFC 8446 7.4.2 says TLS 1.3 MUST abort with illegal_parameter. `out` is written even
 *   then (all zeros), so a test tool can still see what the function computed.
 * - Secrets on the stack are wiped before returning. The functions keep no state and are
 *   safe to call from several threads at once.
 */
#ifndef MT_CRYPTO_XDH_H
#define MT_CRYPTO_XDH_H

#include <stdint.h>

#define MT_X25519_LEN 32
#define MT_X448_LEN 56

/* X25519(scalar, u) (RFC 7748 5). out receives 32 bytes; out may alias scalar or u.
 * No pointer may be NULL. Returns 0, or MT_ERR_ILLEGAL_PARAM when the result is all
 * zeros (out is then all zeros). */
int mt_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]);

/* Public key for a private key: X25519(scalar, 9) (RFC 7748 6.1). out may alias scalar.
 * Returns 0 (a clamped scalar never gives zero on the base point; the check still runs). */
int mt_x25519_base(uint8_t out[32], const uint8_t scalar[32]);

/* X448(scalar, u) (RFC 7748 5). out receives 56 bytes; out may alias scalar or u.
 * No pointer may be NULL. Returns 0, or MT_ERR_ILLEGAL_PARAM when the result is all
 * zeros (out is then all zeros). */
int mt_x448(uint8_t out[56], const uint8_t scalar[56], const uint8_t u[56]);

/* Public key for a private key: X448(scalar, 5) (RFC 7748 6.2). out may alias scalar. */
int mt_x448_base(uint8_t out[56], const uint8_t scalar[56]);

#endif
