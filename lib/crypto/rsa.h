/*
 * rsa.h - RSA keys, PKCS#1 v1.5 and PSS signatures, PKCS#1 v1.5 encryption, and the
 * TLS key-transport decryption that never reveals padding validity.
 *
 * Notes:
 * - mt_rsa_key is opaque and heap-allocated; mt_rsa_free wipes it. Keys are immutable
 *   after creation, so one key can serve many connections at once.
 * - Signing and verification take the message digest, already computed by the caller,
 *   with the hash named; PKCS#1 v1.5 wraps it in a DigestInfo, except MT_HASH_NONE with a
 *   36-byte MD5||SHA-1 digest, which is the TLS 1.0/1.1 form (RFC 2246 7.4.3, no
 *   DigestInfo).
 * - All randomness (PSS salt, encryption padding, blinding) comes from the mt_rng given,
 *   with purpose labels "pss_salt", "rsa_padding", "rsa_blinding"; a pinned rng therefore
 *   reproduces a PSS signature byte for byte (RFC 8448's salts).
 * - Verification failures return MT_ERR_VERIFY; malformed inputs MT_ERR_BAD_PARAM.
 * - Moduli from MT_RSA_MIN_BITS to MT_RSA_MAX_BITS are accepted (MT_ERR_UNSUPPORTED
 *   outside), which bounds the cost a peer's certificate can impose.
 * - Private-key operations are CRT with base and exponent blinding and a fault check
 *   (s^e == m); libtommath and GMP's modular exponentiation are NOT constant-time, see
 *   the notes in rsa.c for what that leaves exposed.
 */
#ifndef MT_CRYPTO_RSA_H
#define MT_CRYPTO_RSA_H

#include "hash.h"
#include "rng.h"
#include <stddef.h>
#include <stdint.h>

typedef struct mt_rsa_key mt_rsa_key;

#define MT_RSA_MIN_BITS 512
#define MT_RSA_MAX_BITS 8192
#define MT_RSA_MAX_BYTES (MT_RSA_MAX_BITS / 8)

/* DER import: PKCS#1 RSAPrivateKey, PKCS#1 RSAPublicKey, or SubjectPublicKeyInfo.
 * (PKCS#8 and PEM unwrapping are lib/x509's job.) Returns 0, MT_ERR_DECODE for bad DER,
 * MT_ERR_NO_MEMORY or MT_ERR_CRYPTO. */
int mt_rsa_import_der(mt_rsa_key **out, const uint8_t *der, size_t len);
/* From big-endian components. A public key passes d and the CRT values as NULL/0.
 * For a private key all of n, e, d, p, q, dp, dq, qinv are required. */
int mt_rsa_import_raw(mt_rsa_key **out, const uint8_t *n, size_t n_len, const uint8_t *e,
                      size_t e_len, const uint8_t *d, size_t d_len, const uint8_t *p, size_t p_len,
                      const uint8_t *q, size_t q_len, const uint8_t *dp, size_t dp_len,
                      const uint8_t *dq, size_t dq_len, const uint8_t *qinv, size_t qinv_len);
/* Generate a key of `bits` bits with public exponent 65537. */
int mt_rsa_generate(mt_rsa_key **out, unsigned bits, const mt_rng *rng);
void mt_rsa_free(mt_rsa_key *key); /* wipes; NULL allowed */
/* Modulus size in bytes (the signature and ciphertext length). */
size_t mt_rsa_size(const mt_rsa_key *key);
int mt_rsa_is_private(const mt_rsa_key *key);
/* Export the public key as DER SubjectPublicKeyInfo into out (appended). */
struct mt_buf;
int mt_rsa_export_public_der(const mt_rsa_key *key, struct mt_buf *out);

/* PKCS#1 v1.5 signature (RFC 8017 8.2). sig gets mt_rsa_size(key) bytes. */
int mt_rsa_sign_pkcs1(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest, size_t digest_len,
                      const mt_rng *rng, uint8_t *sig, size_t *sig_len);
int mt_rsa_verify_pkcs1(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest,
                        size_t digest_len, const uint8_t *sig, size_t sig_len);
/* RSASSA-PSS (RFC 8017 8.1) with MGF1 over the same hash; TLS 1.3 uses a salt as long as
 * the digest (RFC 8446 4.2.3). */
int mt_rsa_sign_pss(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest, size_t digest_len,
                    size_t salt_len, const mt_rng *rng, uint8_t *sig, size_t *sig_len);
int mt_rsa_verify_pss(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest, size_t digest_len,
                      size_t salt_len, const uint8_t *sig, size_t sig_len);

/* RSAES-PKCS1-v1_5 encryption (the client's pre-master secret). out gets mt_rsa_size. */
int mt_rsa_encrypt_pkcs1(const mt_rsa_key *key, const uint8_t *in, size_t in_len, const mt_rng *rng,
                         uint8_t *out, size_t *out_len);
/* TLS RSA key transport, server side (RFC 5246 7.4.7.1): decrypt a 48-byte pre-master
 * secret. Always writes 48 bytes to pms and returns 0 for any ciphertext of the right
 * length: when the padding, the length or the version (first two bytes vs
 * client_version, unless check_version is 0) is wrong, pms gets `fallback` (48 random
 * bytes the caller drew beforehand), selected in constant time, so no error and no
 * timing difference reveals padding validity. Returns MT_ERR_DECODE only when ct_len
 * differs from the modulus size (public information), MT_ERR_CRYPTO if the RSA operation
 * itself failed. */
int mt_rsa_decrypt_pms(const mt_rsa_key *key, const uint8_t *ct, size_t ct_len,
                       uint16_t client_version, int check_version, const uint8_t fallback[48],
                       uint8_t pms[48]);
/* The same, drawing the blinding values from rng ("rsa_blinding") instead of the system
 * generator. */
int mt_rsa_decrypt_pms_rng(const mt_rsa_key *key, const uint8_t *ct, size_t ct_len,
                           uint16_t client_version, int check_version, const uint8_t fallback[48],
                           const mt_rng *rng, uint8_t pms[48]);
/* The padding and version check of mt_rsa_decrypt_pms on an already decrypted block em of
 * em_len bytes (the modulus size): pms gets em's last 48 bytes when em is
 * 00 02 || PS (non-zero, em_len - 51 >= 8 bytes) || 00 || PMS, and the version matches if
 * checked; `fallback` otherwise. Branch-free on em (spec/c/test_rsa.c checks that under
 * valgrind). Returns 0, or MT_ERR_BAD_PARAM when em_len < 59 (public). */
int mt_rsa_pms_from_em(const uint8_t *em, size_t em_len, uint16_t client_version, int check_version,
                       const uint8_t fallback[48], uint8_t pms[48]);

/* Textbook RSA on an mt_rsa_size(key)-byte big-endian block, which must be < n: out =
 * in^e mod n, or in^d mod n (blinded from rng, "rsa_blinding"). out gets mt_rsa_size(key)
 * bytes. For deliberately malformed signatures and ciphertexts (DESIGN.md section 6's
 * forced-signature knobs) and for tests; protocol code uses the padded forms above.
 * Returns 0, MT_ERR_BAD_PARAM (wrong length, in >= n, public key for the private
 * operation) or MT_ERR_CRYPTO. */
int mt_rsa_public_raw(const mt_rsa_key *key, const uint8_t *in, size_t in_len, uint8_t *out);
int mt_rsa_private_raw(const mt_rsa_key *key, const uint8_t *in, size_t in_len, const mt_rng *rng,
                       uint8_t *out);

#endif
