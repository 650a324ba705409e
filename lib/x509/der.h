/*
 * der.h - a strict DER reader (X.690) over lib/buf readers, and the OID table of the
 * algorithms and extensions moontls knows.
 *
 * Notes:
 * - Strict DER only (X.690 section 10): definite lengths in the minimal number of octets,
 *   no indefinite form, minimal high tag numbers, minimal INTEGERs, BOOLEAN 00/FF, BIT
 *   STRING unused bits zero. Anything else is MT_ERR_DECODE. Callers that parse
 *   certificates translate that into bad_certificate.
 * - Every function borrows: an mt_der element and the slices it returns point into the
 *   reader's bytes, which must outlive them.
 * - Tags are handled as "identifier": class bits | constructed bit | tag number, so a
 *   universal SEQUENCE is MT_DER_SEQUENCE (0x30) and a context-specific constructed [3]
 *   is MT_DER_CTX_CONS(3) (0xA3). High tag numbers (>= 31) are read and kept in tag_num
 *   but cannot be matched with mt_der_expect.
 */
#ifndef MT_X509_DER_H
#define MT_X509_DER_H

#include "../buf/buf.h"
#include <stddef.h>
#include <stdint.h>

/* Identifier octets of the universal types used here (X.680 8.4, X.690 8.1.2). */
enum {
    MT_DER_BOOLEAN = 0x01,
    MT_DER_INTEGER = 0x02,
    MT_DER_BIT_STRING = 0x03,
    MT_DER_OCTET_STRING = 0x04,
    MT_DER_NULL = 0x05,
    MT_DER_OID = 0x06,
    MT_DER_UTF8_STRING = 0x0C,
    MT_DER_PRINTABLE_STRING = 0x13,
    MT_DER_T61_STRING = 0x14,
    MT_DER_IA5_STRING = 0x16,
    MT_DER_UTC_TIME = 0x17,
    MT_DER_GENERALIZED_TIME = 0x18,
    MT_DER_VISIBLE_STRING = 0x1A,
    MT_DER_UNIVERSAL_STRING = 0x1C,
    MT_DER_BMP_STRING = 0x1E,
    MT_DER_SEQUENCE = 0x30,
    MT_DER_SET = 0x31,
};
#define MT_DER_CLASS_MASK 0xC0
#define MT_DER_CONSTRUCTED 0x20
#define MT_DER_CTX(n) (0x80 | (n))      /* [n] IMPLICIT, primitive */
#define MT_DER_CTX_CONS(n) (0xA0 | (n)) /* [n], constructed (EXPLICIT or IMPLICIT SEQ) */

/* One TLV element. */
typedef struct mt_der {
    uint8_t id;       /* first identifier octet (class | constructed | tag or 0x1F) */
    uint32_t tag_num; /* the tag number, also for the high-tag-number form */
    mt_slice raw;     /* the whole element: identifier, length and contents */
    mt_slice body;    /* the contents octets */
} mt_der;

/* Read the next element. MT_ERR_DECODE on truncation or any non-DER encoding. */
int mt_der_read(mt_reader *r, mt_der *out);
/* Identifier octet of the next element without consuming it; MT_ERR_DECODE at the end. */
int mt_der_peek(const mt_reader *r, uint8_t *id);
/* Read an element whose identifier octet is `id` and open `body` on its contents;
 * MT_ERR_DECODE if the next element has another identifier. body may be NULL. */
int mt_der_expect(mt_reader *r, uint8_t id, mt_reader *body);
/* Same, also returning the whole element (for raw spans such as tbsCertificate). */
int mt_der_expect_raw(mt_reader *r, uint8_t id, mt_der *out);
/* If the next element has identifier `id`, read it like mt_der_expect and set *present
 * to 1; otherwise consume nothing and set *present to 0. */
int mt_der_optional(mt_reader *r, uint8_t id, mt_reader *body, int *present);

/* INTEGER (X.690 8.3): minimal two's complement. *value gets the contents octets. */
int mt_der_integer(mt_reader *r, mt_slice *value);
/* Non-negative INTEGER as an unsigned big-endian magnitude without the sign octet
 * (what the crypto import functions take). MT_ERR_DECODE for a negative value. */
int mt_der_uint(mt_reader *r, mt_slice *magnitude);
/* Small non-negative INTEGER that fits in 63 bits. */
int mt_der_small_uint(mt_reader *r, uint64_t *v);
/* BOOLEAN: only 0x00 and 0xFF are DER (X.690 11.1). */
int mt_der_boolean(mt_reader *r, int *v);
int mt_der_null(mt_reader *r);
/* BIT STRING (X.690 8.6, 11.2): *bits gets the bit octets without the leading
 * unused-bits octet; unused bits must be zero. */
int mt_der_bit_string(mt_reader *r, mt_slice *bits, unsigned *unused);
int mt_der_octet_string(mt_reader *r, mt_slice *value);
/* OBJECT IDENTIFIER: contents octets, checked for minimal subidentifiers (X.690 8.19). */
int mt_der_oid(mt_reader *r, mt_slice *oid);
/* UTCTime or GeneralizedTime in the RFC 5280 4.1.2.5 forms (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ,
 * no fractions), as seconds since 1970-01-01T00:00:00Z. */
int mt_der_time(mt_reader *r, int64_t *t);

/* Seconds since the epoch for a UTC civil date and time (no range checks). */
int64_t mt_der_epoch(int year, int month, int day, int hour, int min, int sec);
/* Format t as "2021-01-01T00:00:00Z" into out (at least 21 bytes). */
void mt_der_format_time(int64_t t, char *out, size_t out_len);

/* ---- OIDs ---- */

typedef enum mt_oid {
    MT_OID_UNKNOWN = 0,
    /* public key algorithms */
    MT_OID_RSA_ENCRYPTION,
    MT_OID_RSASSA_PSS,
    MT_OID_EC_PUBLIC_KEY,
    MT_OID_ED25519,
    MT_OID_ED448,
    MT_OID_X25519,
    MT_OID_X448,
    /* signature algorithms */
    MT_OID_SHA1_WITH_RSA,
    MT_OID_SHA224_WITH_RSA,
    MT_OID_SHA256_WITH_RSA,
    MT_OID_SHA384_WITH_RSA,
    MT_OID_SHA512_WITH_RSA,
    MT_OID_ECDSA_SHA1,
    MT_OID_ECDSA_SHA224,
    MT_OID_ECDSA_SHA256,
    MT_OID_ECDSA_SHA384,
    MT_OID_ECDSA_SHA512,
    /* hashes and MGF (RSASSA-PSS parameters, RFC 4055) */
    MT_OID_SHA1,
    MT_OID_SHA224,
    MT_OID_SHA256,
    MT_OID_SHA384,
    MT_OID_SHA512,
    MT_OID_MGF1,
    /* named curves (RFC 5480 2.1.1.1) */
    MT_OID_P256,
    MT_OID_P384,
    MT_OID_P521,
    /* encrypted PKCS#8 (RFC 5958 3, RFC 8018) */
    MT_OID_PBES2,
    /* attribute types (RFC 5280 4.1.2.4, appendix A) */
    MT_OID_AT_CN,
    MT_OID_AT_SURNAME,
    MT_OID_AT_SERIAL_NUMBER,
    MT_OID_AT_C,
    MT_OID_AT_L,
    MT_OID_AT_ST,
    MT_OID_AT_STREET,
    MT_OID_AT_O,
    MT_OID_AT_OU,
    MT_OID_AT_TITLE,
    MT_OID_AT_GIVEN_NAME,
    MT_OID_AT_DC,
    MT_OID_AT_EMAIL,
    MT_OID_AT_UID,
    /* certificate extensions (RFC 5280 4.2) */
    MT_OID_EXT_SUBJECT_KEY_ID,
    MT_OID_EXT_KEY_USAGE,
    MT_OID_EXT_SUBJECT_ALT_NAME,
    MT_OID_EXT_ISSUER_ALT_NAME,
    MT_OID_EXT_BASIC_CONSTRAINTS,
    MT_OID_EXT_NAME_CONSTRAINTS,
    MT_OID_EXT_CRL_DISTRIBUTION_POINTS,
    MT_OID_EXT_CERTIFICATE_POLICIES,
    MT_OID_EXT_POLICY_CONSTRAINTS,
    MT_OID_EXT_AUTHORITY_KEY_ID,
    MT_OID_EXT_EXT_KEY_USAGE,
    MT_OID_EXT_AUTHORITY_INFO_ACCESS,
    MT_OID_EXT_SCT_LIST,
    /* extended key usage purposes (RFC 5280 4.2.1.12) */
    MT_OID_KP_ANY,
    MT_OID_KP_SERVER_AUTH,
    MT_OID_KP_CLIENT_AUTH,
    MT_OID_KP_CODE_SIGNING,
    MT_OID_KP_EMAIL_PROTECTION,
    MT_OID_KP_TIME_STAMPING,
    MT_OID_KP_OCSP_SIGNING,
    MT_OID_COUNT_
} mt_oid;

/* The known OID whose contents octets equal `oid`, or MT_OID_UNKNOWN. */
mt_oid mt_oid_lookup(mt_slice oid);
/* Short name of a known OID ("sha256WithRSAEncryption", "CN", "subjectAltName");
 * "unknown" for MT_OID_UNKNOWN. Static storage. */
const char *mt_oid_name(mt_oid id);
/* Dotted text of any OID contents ("1.2.840.113549.1.1.11") into out, truncated with
 * "..." if it does not fit; returns 0, or MT_ERR_DECODE for a malformed OID. */
int mt_oid_to_text(mt_slice oid, char *out, size_t out_len);

#endif
