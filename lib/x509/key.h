/*
 * key.h - private keys (PKCS#1, SEC1, PKCS#8) and public keys (SubjectPublicKeyInfo) as
 * one tagged key object over the crypto contracts (crypto/rsa.h, crypto/ec.h).
 *
 * Notes:
 * - Accepted private key encodings, in PEM or DER:
 *     "PRIVATE KEY"      PKCS#8 / OneAsymmetricKey v1 or v2 (RFC 5958 2), unencrypted,
 *                        wrapping an RSAPrivateKey or an ECPrivateKey
 *     "RSA PRIVATE KEY"  PKCS#1 RSAPrivateKey, two primes (RFC 8017 A.1.2)
 *     "EC PRIVATE KEY"   SEC1 ECPrivateKey (RFC 5915 3), curve from its parameters
 *   DER input is recognised by structure. A PEM input may hold other blocks (a
 *   certificate, "EC PARAMETERS"): the first key block is used.
 * - Encrypted keys ("ENCRYPTED PRIVATE KEY", RFC 5958 3, or the legacy "Proc-Type:
 *   4,ENCRYPTED" PEM) return MT_ERR_UNSUPPORTED: decrypt them outside moontls.
 * - Curves: P-256, P-384, P-521 by namedCurve OID (RFC 5480 2.1.1.1). Ed25519, X25519,
 *   other curves and multi-prime RSA are MT_ERR_UNSUPPORTED.
 * - mt_x509_key owns its inner crypto key; mt_x509_key_free frees it, and the crypto
 *   free functions wipe. Every intermediate copy of key material made here (PEM
 *   decoding) is wiped too. Keys are immutable after loading and may be shared.
 */
#ifndef MT_X509_KEY_H
#define MT_X509_KEY_H

#include "../crypto/ec.h"
#include "../crypto/rsa.h"
#include "cert.h"
#include <stddef.h>
#include <stdint.h>

typedef enum mt_x509_key_type {
    MT_X509_KEY_NONE = 0,
    MT_X509_KEY_RSA,
    MT_X509_KEY_EC,
} mt_x509_key_type;

typedef struct mt_x509_key {
    mt_x509_key_type type;
    int curve;        /* MT_EC_P256 / P384 / P521 for EC keys, 0 for RSA */
    int rsa_pss_only; /* an id-RSASSA-PSS key (RFC 4055 1.2): PSS signatures only */
    mt_rsa_key *rsa;  /* owned, set when type is RSA */
    mt_ec_key *ec;    /* owned, set when type is EC */
} mt_x509_key;

/* A private key from PEM or DER bytes (format detected). `out` is overwritten; on error
 * it is empty (type NONE) and need not be freed. Returns 0; MT_ERR_DECODE for a
 * malformed encoding; MT_ERR_UNSUPPORTED for encrypted keys and unsupported algorithms;
 * MT_ERR_NOT_FOUND for PEM without a key block; MT_ERR_BAD_PARAM for key values the
 * crypto rejects (out-of-range scalar, public key not matching the private one);
 * MT_ERR_NO_MEMORY / MT_ERR_CRYPTO. */
int mt_x509_key_parse_private(mt_x509_key *out, const uint8_t *in, size_t len);
/* A public key from a "PUBLIC KEY" PEM block or DER SubjectPublicKeyInfo. Same codes;
 * an invalid EC point is MT_ERR_ILLEGAL_PARAM (crypto/ec.h). */
int mt_x509_key_parse_public(mt_x509_key *out, const uint8_t *in, size_t len);
/* Largest RSA modulus accepted from a SubjectPublicKeyInfo, in bytes (8192 bits). */
#define MT_X509_RSA_MAX_BYTES 1024

/* The public key of a parsed SubjectPublicKeyInfo (a certificate's: &cert->spki). RSA
 * keys with a modulus above MT_X509_RSA_MAX_BYTES or an exponent above 32 bits are
 * MT_ERR_UNSUPPORTED (they would let a peer make verification arbitrarily slow). */
int mt_x509_key_from_spki(mt_x509_key *out, const mt_x509_spki *spki);
/* Free the inner key (wiped by the crypto layer); the object becomes type NONE. NULL
 * allowed. */
void mt_x509_key_free(mt_x509_key *k);
/* 0 when `key` (public or private) has the public key of `spki` (a certificate's),
 * MT_ERR_VERIFY when it does not, MT_ERR_UNSUPPORTED / MT_ERR_NO_MEMORY otherwise. Use
 * it to check that a configured private key belongs to its certificate. */
int mt_x509_key_matches(const mt_x509_key *key, const mt_x509_spki *spki);

#endif
