/*
 * cert.h - X.509 v3 certificates (RFC 5280): parsing, and lists of certificates (a TLS
 * Certificate message's chain, or a CA bundle of trust anchors).
 *
 * Notes:
 * - mt_x509_cert_parse copies the DER once into the certificate; every mt_slice field
 *   points into that copy and lives as long as the certificate. Moving the struct (a list
 *   growing) keeps the slices valid: they point to the heap copy, not into the struct.
 * - Parsing checks the encoding (strict DER, RFC 5280 structure and the extension
 *   syntax) and nothing else: an unknown signature or key algorithm, an unknown critical
 *   extension or an expired date still parse, so a script can look at such a
 *   certificate; mt_x509_verify_chain (verify.h) judges them.
 * - Errors: a malformed certificate is MT_ERR_CERT_BAD (we send bad_certificate,
 *   RFC 8446 6.2 "a certificate was corrupt"). The alert-carrying codes of x509 are:
 *     MT_ERR_CERT_BAD          bad_certificate          corrupt, bad signature, not yet
 *                                                       valid, wrong host name
 *     MT_ERR_CERT_UNSUPPORTED  unsupported_certificate  unknown algorithm or key, unknown
 *                                                       critical extension, wrong purpose
 *     MT_ERR_CERT_EXPIRED      certificate_expired      notAfter is in the past
 *     MT_ERR_CERT_UNKNOWN_CA   unknown_ca               no path to a trust anchor, issuer
 *                                                       not a CA, keyCertSign missing,
 *                                                       pathLen exceeded, chain too long
 *     MT_ERR_CERT_UNKNOWN      certificate_unknown      anything else that makes the chain
 *                                                       unacceptable (an issuer key that
 *                                                       cannot be used, an empty chain)
 *   These follow OpenSSL's ssl_x509err2alert choices within the five alerts.
 */
#ifndef MT_X509_CERT_H
#define MT_X509_CERT_H

#include "../buf/buf.h"
#include "../crypto/hash.h"
#include "der.h"
#include <stddef.h>
#include <stdint.h>

#include "../moontls.h"

#define MT_ERR_CERT_BAD MT_ERR_SENT(MT_ALERT_BAD_CERTIFICATE)
#define MT_ERR_CERT_UNSUPPORTED MT_ERR_SENT(MT_ALERT_UNSUPPORTED_CERTIFICATE)
#define MT_ERR_CERT_EXPIRED MT_ERR_SENT(MT_ALERT_CERTIFICATE_EXPIRED)
#define MT_ERR_CERT_UNKNOWN_CA MT_ERR_SENT(MT_ALERT_UNKNOWN_CA)
#define MT_ERR_CERT_UNKNOWN MT_ERR_SENT(MT_ALERT_CERTIFICATE_UNKNOWN)

/* What a signature algorithm identifier asks for. */
typedef enum mt_x509_sig_type {
    MT_X509_SIG_UNKNOWN = 0, /* not an algorithm moontls implements */
    MT_X509_SIG_RSA_PKCS1,   /* sha*WithRSAEncryption (RFC 4055 5, RFC 8017 8.2) */
    MT_X509_SIG_RSA_PSS,     /* id-RSASSA-PSS (RFC 4055 3.1, RFC 8017 8.1) */
    MT_X509_SIG_ECDSA,       /* ecdsa-with-SHA* (RFC 5758 3.2) */
    MT_X509_SIG_ED25519,     /* parsed and named, not implemented (RFC 8410) */
} mt_x509_sig_type;

typedef struct mt_x509_sigalg {
    mt_oid oid;            /* MT_OID_UNKNOWN for an OID outside the table */
    mt_x509_sig_type type; /* MT_X509_SIG_UNKNOWN for anything not implemented */
    mt_hash_id hash;       /* digest the signature covers (MT_HASH_NONE if none/unknown) */
    size_t pss_salt_len;   /* RSASSA-PSS saltLength (default 20) */
    mt_slice raw;          /* the AlgorithmIdentifier element */
} mt_x509_sigalg;

/* SubjectPublicKeyInfo (RFC 5280 4.1.2.7, RFC 3279, RFC 5480, RFC 4055). */
typedef struct mt_x509_spki {
    mt_oid alg;        /* rsaEncryption, id-RSASSA-PSS, id-ecPublicKey, Ed25519, ... */
    int curve;         /* id-ecPublicKey: MT_EC_P256/P384/P521, or 0 for another curve */
    mt_slice rsa_n;    /* RSA modulus magnitude (big-endian, no sign octet) */
    mt_slice rsa_e;    /* RSA public exponent magnitude */
    mt_slice point;    /* EC: the subjectPublicKey octets (04 || X || Y expected) */
    mt_slice key_bits; /* subjectPublicKey contents for any algorithm */
    mt_slice raw;      /* the whole SubjectPublicKeyInfo element */
} mt_x509_spki;

/* GeneralName kinds (RFC 5280 4.2.1.6): the context tag numbers. */
enum {
    MT_X509_GN_OTHER = 0,
    MT_X509_GN_EMAIL = 1,
    MT_X509_GN_DNS = 2,
    MT_X509_GN_X400 = 3,
    MT_X509_GN_DIRECTORY = 4,
    MT_X509_GN_EDI_PARTY = 5,
    MT_X509_GN_URI = 6,
    MT_X509_GN_IP = 7,
    MT_X509_GN_REGISTERED_ID = 8,
};

typedef struct mt_x509_general_name {
    int type;       /* MT_X509_GN_* */
    mt_slice value; /* contents: the IA5String text, the 4 or 16 IP octets, or for the
                       constructed kinds (other, x400, directory, edi) the whole element */
} mt_x509_general_name;

/* keyUsage bits (RFC 5280 4.2.1.3): bit n of the BIT STRING is (1u << n). */
enum {
    MT_X509_KU_DIGITAL_SIGNATURE = 1u << 0,
    MT_X509_KU_NON_REPUDIATION = 1u << 1,
    MT_X509_KU_KEY_ENCIPHERMENT = 1u << 2,
    MT_X509_KU_DATA_ENCIPHERMENT = 1u << 3,
    MT_X509_KU_KEY_AGREEMENT = 1u << 4,
    MT_X509_KU_KEY_CERT_SIGN = 1u << 5,
    MT_X509_KU_CRL_SIGN = 1u << 6,
    MT_X509_KU_ENCIPHER_ONLY = 1u << 7,
    MT_X509_KU_DECIPHER_ONLY = 1u << 8,
};

/* extendedKeyUsage purposes (RFC 5280 4.2.1.12). */
enum {
    MT_X509_EKU_SERVER_AUTH = 1u << 0,
    MT_X509_EKU_CLIENT_AUTH = 1u << 1,
    MT_X509_EKU_ANY = 1u << 2,
    MT_X509_EKU_OTHER = 1u << 3, /* any other purpose */
};

/* Extensions seen (mt_x509_cert.ext_present). */
enum {
    MT_X509_EXT_BASIC_CONSTRAINTS = 1u << 0,
    MT_X509_EXT_KEY_USAGE = 1u << 1,
    MT_X509_EXT_EXT_KEY_USAGE = 1u << 2,
    MT_X509_EXT_SUBJECT_ALT_NAME = 1u << 3,
    MT_X509_EXT_SUBJECT_KEY_ID = 1u << 4,
    MT_X509_EXT_AUTHORITY_KEY_ID = 1u << 5,
};

typedef struct mt_x509_cert {
    mt_buf der;             /* owned copy of the whole certificate */
    mt_slice tbs;           /* tbsCertificate element: the bytes the signature covers */
    int version;            /* 1, 2 or 3 */
    mt_slice serial;        /* serialNumber INTEGER contents (two's complement) */
    mt_x509_sigalg sig_alg; /* signatureAlgorithm (RFC 5280 4.1.1.2: equal to
                               tbsCertificate.signature, checked) */
    mt_slice signature;     /* signatureValue octets */
    mt_slice issuer;        /* issuer Name element (compared byte for byte) */
    mt_slice subject;       /* subject Name element */
    char *issuer_text;      /* "C=XX, O=Example, CN=Example CA": owned, NUL-terminated */
    char *subject_text;
    int64_t not_before; /* seconds since 1970-01-01T00:00:00Z */
    int64_t not_after;
    mt_x509_spki spki;

    unsigned ext_present;      /* MT_X509_EXT_* */
    int is_ca;                 /* basicConstraints cA */
    int path_len;              /* basicConstraints pathLenConstraint, -1 when absent */
    unsigned key_usage;        /* MT_X509_KU_* (meaningful when ext_present has KEY_USAGE) */
    unsigned ext_key_usage;    /* MT_X509_EKU_* (meaningful with EXT_KEY_USAGE) */
    mt_x509_general_name *san; /* subjectAltName entries in order, owned */
    size_t san_count;
    mt_slice subject_key_id;   /* keyIdentifier octets, len 0 when absent */
    mt_slice authority_key_id; /* authorityKeyIdentifier.keyIdentifier, len 0 if absent */
    mt_slice unknown_critical; /* OID of the first critical extension moontls does not
                                  process (RFC 5280 4.2), len 0 when there is none */
    int self_issued;           /* issuer and subject are the same name */
} mt_x509_cert;

/* Parse one DER certificate (len bytes, all of which must be the certificate). The
 * bytes are copied; `out` is overwritten and must be released with mt_x509_cert_free,
 * also after an error (it is then empty). Returns 0, MT_ERR_CERT_BAD, MT_ERR_NO_MEMORY. */
int mt_x509_cert_parse(mt_x509_cert *out, const uint8_t *der, size_t len);
/* Release everything the certificate owns; it becomes empty. NULL allowed. */
void mt_x509_cert_free(mt_x509_cert *c);

/* Parse a DER SubjectPublicKeyInfo; slices point into der. Returns 0 or MT_ERR_DECODE
 * (also for a known algorithm with a malformed key). */
int mt_x509_spki_parse(mt_x509_spki *out, const uint8_t *der, size_t len);

/* ---- lists of certificates ---- */

typedef struct mt_x509_list {
    mt_x509_cert *certs; /* owned array of count certificates */
    size_t count;
    size_t cap;
} mt_x509_list;

void mt_x509_list_init(mt_x509_list *l);
/* Free every certificate and the array; the list is empty and reusable. NULL allowed. */
void mt_x509_list_free(mt_x509_list *l);
/* Parse and append one DER certificate. On error the list is unchanged. */
int mt_x509_list_add_der(mt_x509_list *l, const uint8_t *der, size_t len);
/* Append every "CERTIFICATE" block of a PEM input, in order; other blocks (keys,
 * parameters) are skipped. *added (may be NULL) gets the number appended. Returns 0,
 * MT_ERR_NOT_FOUND when the input has no certificate, MT_ERR_DECODE for broken PEM,
 * MT_ERR_CERT_BAD for a corrupt certificate. On error the list is unchanged. */
int mt_x509_list_add_pem(mt_x509_list *l, const uint8_t *pem, size_t len, size_t *added);

#endif
