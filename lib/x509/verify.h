/*
 * verify.h - certificate signatures, chain building and validation (RFC 5280 6), and
 * host name verification (RFC 6125).
 *
 * Notes:
 * - Chain building starts at the leaf (chain->certs[0]) and, at each step, looks for
 *   the issuer first among the trust anchors, then among the other certificates the
 *   peer sent (in any order, unused ones ignored). A candidate is accepted when its
 *   subject equals the certificate's issuer byte for byte and the signature verifies
 *   with its key. A certificate that is itself a trust anchor (same DER) ends the path,
 *   which is how a self-signed certificate is trusted: list it as an anchor.
 * - Checks on the path, from the leaf up (RFC 5280 6.1.3, 6.1.4):
 *     validity at params->now for every certificate, the anchor included;
 *     no unknown critical extension (anchors excepted: they are configuration);
 *     every issuer is a CA: basicConstraints cA (a version 1 anchor counts as a CA),
 *     keyCertSign when keyUsage is present, pathLenConstraint not exceeded;
 *     signatures with sha256/384/512 and RSA PKCS#1 v1.5, RSA-PSS (MGF1 with the same
 *     hash) or ECDSA. SHA-1 and SHA-224 signatures are refused (unsupported).
 *   Then the leaf's extendedKeyUsage against params->purpose, then the host name.
 * - Not done: revocation (CRL, OCSP), name constraints (a critical nameConstraints
 *   extension is an unknown critical extension and rejects the certificate), policies.
 * - Every failure returns one of the alert-carrying codes of cert.h (the alert to send:
 *   see the table there) and fills res->reason, e.g.
 *   "certificate has expired (notAfter 2021-01-01T00:00:00Z) [depth 0: O=..., CN=...]".
 * - Nothing here reads the clock: the validation time is a parameter.
 */
#ifndef MT_X509_VERIFY_H
#define MT_X509_VERIFY_H

#include "cert.h"
#include <stddef.h>
#include <stdint.h>

enum {
    MT_X509_PURPOSE_ANY = 0,    /* no extendedKeyUsage check */
    MT_X509_PURPOSE_SERVER = 1, /* leaf EKU, when present, has serverAuth or any */
    MT_X509_PURPOSE_CLIENT = 2, /* leaf EKU, when present, has clientAuth or any */
};

#define MT_X509_DEFAULT_MAX_DEPTH 10
#define MT_X509_REASON_MAX 320

typedef struct mt_x509_verify_params {
    int64_t now;        /* validation time, seconds since 1970-01-01T00:00:00Z */
    const char *host;   /* DNS name or IP literal the leaf must match; NULL skips the check */
    int purpose;        /* MT_X509_PURPOSE_* */
    unsigned max_depth; /* most certificates in a path, anchor included; 0 means the default */
} mt_x509_verify_params;

typedef struct mt_x509_verify_result {
    int err;           /* the return value */
    int depth;         /* path position of the certificate at fault (0 = leaf), -1 if none */
    int anchor;        /* index in the anchor list of the anchor reached, -1 if none */
    unsigned path_len; /* certificates in the path built, anchor included */
    char reason[MT_X509_REASON_MAX]; /* "" on success */
} mt_x509_verify_result;

/* Verify chain (leaf first, as a TLS Certificate message lists them) against the trust
 * anchors. Both lists are borrowed for the call. res may be NULL. Returns 0 or one of
 * MT_ERR_CERT_BAD, MT_ERR_CERT_UNSUPPORTED, MT_ERR_CERT_EXPIRED, MT_ERR_CERT_UNKNOWN_CA,
 * MT_ERR_CERT_UNKNOWN (empty chain, unusable issuer key); MT_ERR_NO_MEMORY or
 * MT_ERR_BAD_PARAM for caller errors. */
int mt_x509_verify_chain(const mt_x509_list *chain, const mt_x509_list *anchors,
                         const mt_x509_verify_params *params, mt_x509_verify_result *res);

/* Check cert's signature with the issuer's public key. Returns 0; MT_ERR_VERIFY when it
 * does not verify (also for a key of the wrong type); MT_ERR_UNSUPPORTED for a
 * signature algorithm, hash or key moontls does not accept; other codes from the key
 * import or crypto (MT_ERR_NO_MEMORY, MT_ERR_CRYPTO, MT_ERR_ILLEGAL_PARAM ...). */
int mt_x509_verify_signature(const mt_x509_cert *cert, const mt_x509_spki *issuer);

/* RFC 6125 host name check of a leaf. `host` is a DNS name (a trailing dot allowed) or
 * an IPv4/IPv6 literal. DNS names match subjectAltName dNSName entries only; IP literals
 * match iPAddress entries only. The subject CN is never used (RFC 6125 6.4.4 allows it
 * only without DNS-IDs; moontls follows current practice, CA/B Baseline Requirements and
 * RFC 9525, and never falls back to it). Returns 0 or MT_ERR_CERT_BAD (no match);
 * MT_ERR_BAD_PARAM for an empty host. */
int mt_x509_check_host(const mt_x509_cert *cert, const char *host);

/* 1 when the dNSName `pattern` (pattern_len bytes, from a certificate) matches `host`,
 * else 0. Case-insensitive (ASCII); one trailing dot ignored on either side; a wildcard
 * is accepted only as the whole left-most label ("*.example.com", RFC 6125 6.4.3) with
 * at least two labels after it, and matches exactly one non-empty label. */
int mt_x509_dns_match(const uint8_t *pattern, size_t pattern_len, const char *host);

#endif
