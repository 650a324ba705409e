/*
 * der.c - strict DER reader and OID table. See der.h for the contracts.
 *
 * Notes:
 * - Every read works on a copy of the caller's reader and commits it only on success,
 *   so a failed read consumes nothing (the same rule as lib/buf).
 * - The whole-element span (mt_der.raw) is taken by re-reading the saved reader for the
 *   number of octets consumed, so no pointer arithmetic is needed.
 * - Length octets are limited to four (2^32 - 1 bytes), far above any certificate; the
 *   reader's bounds check rejects anything longer than the input anyway.
 */
#include "der.h"
#include "../internal.h"

#include <stdio.h>

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

int mt_der_read(mt_reader *r, mt_der *out)
{
    mt_reader t = *r;
    uint8_t id, b;
    MT_TRY(mt_rd_u8(&t, &id));
    uint32_t tag = id & 0x1F;
    if (tag == 0x1F) {
        /* X.690 8.1.2.4: high tag number, base 128; 8.1.2.4.2 c): the first subsequent
         * octet is not 0x80 (minimal), and DER forbids this form for numbers < 31. */
        tag = 0;
        unsigned n = 0;
        do {
            MT_TRY(mt_rd_u8(&t, &b));
            MT_ENSURE(!(n == 0 && b == 0x80), MT_ERR_DECODE);
            MT_ENSURE(++n <= 4, MT_ERR_DECODE);
            tag = (tag << 7) | (b & 0x7F);
        } while (b & 0x80);
        MT_ENSURE(tag >= 31, MT_ERR_DECODE);
    }

    uint8_t l;
    size_t len;
    MT_TRY(mt_rd_u8(&t, &l));
    /* X.690 10.1: DER uses the definite form only; 0x80 is the indefinite form. */
    MT_ENSURE(l != 0x80 && l != 0xFF, MT_ERR_DECODE);
    if (l < 0x80) {
        len = l;
    } else {
        unsigned n = l & 0x7F;
        MT_ENSURE(n <= 4, MT_ERR_DECODE);
        uint32_t v = 0;
        for (unsigned i = 0; i < n; i++) {
            MT_TRY(mt_rd_u8(&t, &b));
            /* X.690 10.1: "the minimum number of octets": no leading zero octet ... */
            MT_ENSURE(!(i == 0 && b == 0), MT_ERR_DECODE);
            v = (v << 8) | b;
        }
        /* ... and the long form only for lengths the short form cannot hold. */
        MT_ENSURE(v >= 0x80, MT_ERR_DECODE);
        len = v;
    }
    mt_slice body;
    MT_TRY(mt_rd_bytes(&t, len, &body));

    mt_reader whole = *r;
    MT_TRY(mt_rd_bytes(&whole, mt_rd_pos(&t) - mt_rd_pos(r), &out->raw));
    out->id = id;
    out->tag_num = tag;
    out->body = body;
    *r = t;
    return 0;
}

int mt_der_peek(const mt_reader *r, uint8_t *id)
{
    mt_reader t = *r;
    return mt_rd_u8(&t, id);
}

int mt_der_expect_raw(mt_reader *r, uint8_t id, mt_der *out)
{
    mt_reader t = *r;
    MT_TRY(mt_der_read(&t, out));
    MT_ENSURE(out->id == id && (id & 0x1F) != 0x1F, MT_ERR_DECODE);
    *r = t;
    return 0;
}

int mt_der_expect(mt_reader *r, uint8_t id, mt_reader *body)
{
    mt_der e;
    MT_TRY(mt_der_expect_raw(r, id, &e));
    if (body) mt_rd_init(body, e.body.p, e.body.len);
    return 0;
}

int mt_der_optional(mt_reader *r, uint8_t id, mt_reader *body, int *present)
{
    uint8_t next;
    *present = 0;
    if (mt_rd_left(r) == 0 || mt_der_peek(r, &next) != 0 || next != id) return 0;
    MT_TRY(mt_der_expect(r, id, body));
    *present = 1;
    return 0;
}

int mt_der_integer(mt_reader *r, mt_slice *value)
{
    mt_der e;
    mt_reader t = *r;
    MT_TRY(mt_der_expect_raw(&t, MT_DER_INTEGER, &e));
    /* X.690 8.3.1: at least one octet; 8.3.2: the first nine bits are not all equal. */
    MT_ENSURE(e.body.len >= 1, MT_ERR_DECODE);
    if (e.body.len >= 2) {
        uint8_t b0 = e.body.p[0], b1 = e.body.p[1];
        MT_ENSURE(!(b0 == 0x00 && b1 < 0x80), MT_ERR_DECODE);
        MT_ENSURE(!(b0 == 0xFF && b1 >= 0x80), MT_ERR_DECODE);
    }
    *value = e.body;
    *r = t;
    return 0;
}

int mt_der_uint(mt_reader *r, mt_slice *magnitude)
{
    mt_reader t = *r;
    mt_slice v;
    MT_TRY(mt_der_integer(&t, &v));
    MT_ENSURE((v.p[0] & 0x80) == 0, MT_ERR_DECODE);
    mt_reader b;
    mt_rd_init(&b, v.p, v.len);
    if (v.len > 1 && v.p[0] == 0) {
        uint8_t sign;
        MT_TRY(mt_rd_u8(&b, &sign));
    }
    *magnitude = mt_rd_rest(&b);
    *r = t;
    return 0;
}

int mt_der_small_uint(mt_reader *r, uint64_t *v)
{
    mt_reader t = *r;
    mt_slice m;
    MT_TRY(mt_der_uint(&t, &m));
    MT_ENSURE(m.len <= 8 && !(m.len == 8 && (m.p[0] & 0x80)), MT_ERR_DECODE);
    uint64_t x = 0;
    for (size_t i = 0; i < m.len; i++)
        x = (x << 8) | m.p[i];
    *v = x;
    *r = t;
    return 0;
}

int mt_der_boolean(mt_reader *r, int *v)
{
    mt_der e;
    mt_reader t = *r;
    MT_TRY(mt_der_expect_raw(&t, MT_DER_BOOLEAN, &e));
    /* X.690 11.1: TRUE is encoded as 0xFF in DER. */
    MT_ENSURE(e.body.len == 1 && (e.body.p[0] == 0x00 || e.body.p[0] == 0xFF), MT_ERR_DECODE);
    *v = e.body.p[0] == 0xFF;
    *r = t;
    return 0;
}

int mt_der_null(mt_reader *r)
{
    mt_der e;
    mt_reader t = *r;
    MT_TRY(mt_der_expect_raw(&t, MT_DER_NULL, &e));
    MT_ENSURE(e.body.len == 0, MT_ERR_DECODE);
    *r = t;
    return 0;
}

int mt_der_bit_string(mt_reader *r, mt_slice *bits, unsigned *unused)
{
    mt_der e;
    mt_reader t = *r;
    MT_TRY(mt_der_expect_raw(&t, MT_DER_BIT_STRING, &e));
    mt_reader b;
    mt_rd_init(&b, e.body.p, e.body.len);
    uint8_t u;
    MT_TRY(mt_rd_u8(&b, &u));
    mt_slice rest = mt_rd_rest(&b);
    /* X.690 8.6.2.2/8.6.2.3: 0..7 unused bits, none in an empty string; 11.2.1: the
     * unused bits are zero in DER. */
    MT_ENSURE(u <= 7 && !(rest.len == 0 && u != 0), MT_ERR_DECODE);
    if (rest.len) MT_ENSURE((rest.p[rest.len - 1] & ((1u << u) - 1)) == 0, MT_ERR_DECODE);
    *bits = rest;
    if (unused) *unused = u;
    *r = t;
    return 0;
}

int mt_der_octet_string(mt_reader *r, mt_slice *value)
{
    mt_der e;
    MT_TRY(mt_der_expect_raw(r, MT_DER_OCTET_STRING, &e));
    *value = e.body;
    return 0;
}

/* X.690 8.19.2: each subidentifier is base 128, minimal (no leading 0x80), and the
 * last octet of the contents ends a subidentifier. */
static int check_oid(mt_slice oid)
{
    MT_ENSURE(oid.len >= 1, MT_ERR_DECODE);
    int start = 1;
    for (size_t i = 0; i < oid.len; i++) {
        MT_ENSURE(!(start && oid.p[i] == 0x80), MT_ERR_DECODE);
        start = (oid.p[i] & 0x80) == 0;
    }
    MT_ENSURE(start, MT_ERR_DECODE);
    return 0;
}

int mt_der_oid(mt_reader *r, mt_slice *oid)
{
    mt_der e;
    mt_reader t = *r;
    MT_TRY(mt_der_expect_raw(&t, MT_DER_OID, &e));
    MT_TRY(check_oid(e.body));
    *oid = e.body;
    *r = t;
    return 0;
}

/* ---- time ---- */

/* Decimal value of the n digits at s.p[at] (already checked to be digits). */
static int digits(mt_slice s, size_t at, size_t n)
{
    int v = 0;
    for (size_t i = at; i < at + n && i < s.len; i++)
        v = v * 10 + (s.p[i] - '0');
    return v;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t mt_der_epoch(int year, int month, int day, int hour, int min, int sec)
{
    /* Days from civil (H. Hinnant's algorithm), valid for the proleptic Gregorian
     * calendar. */
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

void mt_der_format_time(int64_t t, char *out, size_t out_len)
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    /* Civil from days (the inverse of mt_der_epoch). */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(out, out_len, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y, (long long)m,
             (long long)d, (long long)(secs / 3600), (long long)(secs / 60 % 60),
             (long long)(secs % 60));
}

int mt_der_time(mt_reader *r, int64_t *t)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    mt_der e;
    mt_reader tr = *r;
    MT_TRY(mt_der_read(&tr, &e));
    int year;
    mt_slice s = e.body;
    size_t n = e.body.len;
    /* RFC 5280 4.1.2.5.1: UTCTime is YYMMDDHHMMSSZ; YY >= 50 is 19YY, else 20YY.
     * RFC 5280 4.1.2.5.2: GeneralizedTime is YYYYMMDDHHMMSSZ, no fractional seconds. */
    MT_ENSURE((e.id == MT_DER_UTC_TIME && n == 13) || (e.id == MT_DER_GENERALIZED_TIME && n == 15),
              MT_ERR_DECODE);
    MT_ENSURE(s.p[n - 1] == 'Z', MT_ERR_DECODE);
    for (size_t i = 0; i + 1 < n; i++)
        MT_ENSURE(is_digit(s.p[i]), MT_ERR_DECODE);
    size_t y = e.id == MT_DER_UTC_TIME ? 2 : 4;
    year = digits(s, 0, y);
    if (y == 2) year += year >= 50 ? 1900 : 2000;
    int mon = digits(s, y, 2), day = digits(s, y + 2, 2), hour = digits(s, y + 4, 2);
    int min = digits(s, y + 6, 2), sec = digits(s, y + 8, 2);
    MT_ENSURE(mon >= 1 && mon <= 12, MT_ERR_DECODE);
    int dim = mdays[mon - 1] + (mon == 2 && leap(year));
    MT_ENSURE(day >= 1 && day <= dim, MT_ERR_DECODE);
    MT_ENSURE(hour <= 23 && min <= 59 && sec <= 59, MT_ERR_DECODE);
    *t = mt_der_epoch(year, mon, day, hour, min, sec);
    *r = tr;
    return 0;
}

/* ---- OIDs ---- */

typedef struct oid_entry {
    mt_oid id;
    const char *name;
    uint8_t len;
    uint8_t der[10];
} oid_entry;

/* Contents octets of each known OID (generated from the dotted forms in the comments). */
static const oid_entry oids[] = {
    {MT_OID_RSA_ENCRYPTION,
     "rsaEncryption",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}}, /* 1.2.840.113549.1.1.1 */
    {MT_OID_RSASSA_PSS,
     "RSASSA-PSS",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a}}, /* 1.2.840.113549.1.1.10 */
    {MT_OID_EC_PUBLIC_KEY,
     "id-ecPublicKey",
     7,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}},       /* 1.2.840.10045.2.1 */
    {MT_OID_ED25519, "Ed25519", 3, {0x2b, 0x65, 0x70}}, /* 1.3.101.112 */
    {MT_OID_ED448, "Ed448", 3, {0x2b, 0x65, 0x71}},     /* 1.3.101.113 */
    {MT_OID_X25519, "X25519", 3, {0x2b, 0x65, 0x6e}},   /* 1.3.101.110 */
    {MT_OID_X448, "X448", 3, {0x2b, 0x65, 0x6f}},       /* 1.3.101.111 */
    {MT_OID_SHA1_WITH_RSA,
     "sha1WithRSAEncryption",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05}}, /* 1.2.840.113549.1.1.5 */
    {MT_OID_SHA224_WITH_RSA,
     "sha224WithRSAEncryption",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e}}, /* 1.2.840.113549.1.1.14 */
    {MT_OID_SHA256_WITH_RSA,
     "sha256WithRSAEncryption",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}}, /* 1.2.840.113549.1.1.11 */
    {MT_OID_SHA384_WITH_RSA,
     "sha384WithRSAEncryption",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}}, /* 1.2.840.113549.1.1.12 */
    {MT_OID_SHA512_WITH_RSA,
     "sha512WithRSAEncryption",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}}, /* 1.2.840.113549.1.1.13 */
    {MT_OID_ECDSA_SHA1,
     "ecdsa-with-SHA1",
     7,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01}}, /* 1.2.840.10045.4.1 */
    {MT_OID_ECDSA_SHA224,
     "ecdsa-with-SHA224",
     8,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01}}, /* 1.2.840.10045.4.3.1 */
    {MT_OID_ECDSA_SHA256,
     "ecdsa-with-SHA256",
     8,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}}, /* 1.2.840.10045.4.3.2 */
    {MT_OID_ECDSA_SHA384,
     "ecdsa-with-SHA384",
     8,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}}, /* 1.2.840.10045.4.3.3 */
    {MT_OID_ECDSA_SHA512,
     "ecdsa-with-SHA512",
     8,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}},       /* 1.2.840.10045.4.3.4 */
    {MT_OID_SHA1, "sha1", 5, {0x2b, 0x0e, 0x03, 0x02, 0x1a}}, /* 1.3.14.3.2.26 */
    {MT_OID_SHA224,
     "sha224",
     9,
     {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04}}, /* 2.16.840.1.101.3.4.2.4 */
    {MT_OID_SHA256,
     "sha256",
     9,
     {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}}, /* 2.16.840.1.101.3.4.2.1 */
    {MT_OID_SHA384,
     "sha384",
     9,
     {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}}, /* 2.16.840.1.101.3.4.2.2 */
    {MT_OID_SHA512,
     "sha512",
     9,
     {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}}, /* 2.16.840.1.101.3.4.2.3 */
    {MT_OID_MGF1,
     "mgf1",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08}}, /* 1.2.840.113549.1.1.8 */
    {MT_OID_P256,
     "prime256v1",
     8,
     {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}},            /* 1.2.840.10045.3.1.7 */
    {MT_OID_P384, "secp384r1", 5, {0x2b, 0x81, 0x04, 0x00, 0x22}}, /* 1.3.132.0.34 */
    {MT_OID_P521, "secp521r1", 5, {0x2b, 0x81, 0x04, 0x00, 0x23}}, /* 1.3.132.0.35 */
    {MT_OID_PBES2,
     "PBES2",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d}},         /* 1.2.840.113549.1.5.13 */
    {MT_OID_AT_CN, "CN", 3, {0x55, 0x04, 0x03}},                      /* 2.5.4.3 */
    {MT_OID_AT_SURNAME, "SN", 3, {0x55, 0x04, 0x04}},                 /* 2.5.4.4 */
    {MT_OID_AT_SERIAL_NUMBER, "serialNumber", 3, {0x55, 0x04, 0x05}}, /* 2.5.4.5 */
    {MT_OID_AT_C, "C", 3, {0x55, 0x04, 0x06}},                        /* 2.5.4.6 */
    {MT_OID_AT_L, "L", 3, {0x55, 0x04, 0x07}},                        /* 2.5.4.7 */
    {MT_OID_AT_ST, "ST", 3, {0x55, 0x04, 0x08}},                      /* 2.5.4.8 */
    {MT_OID_AT_STREET, "street", 3, {0x55, 0x04, 0x09}},              /* 2.5.4.9 */
    {MT_OID_AT_O, "O", 3, {0x55, 0x04, 0x0a}},                        /* 2.5.4.10 */
    {MT_OID_AT_OU, "OU", 3, {0x55, 0x04, 0x0b}},                      /* 2.5.4.11 */
    {MT_OID_AT_TITLE, "title", 3, {0x55, 0x04, 0x0c}},                /* 2.5.4.12 */
    {MT_OID_AT_GIVEN_NAME, "GN", 3, {0x55, 0x04, 0x2a}},              /* 2.5.4.42 */
    {MT_OID_AT_DC,
     "DC",
     10,
     {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}}, /* 0.9.2342.19200300.100.1.25 */
    {MT_OID_AT_EMAIL,
     "emailAddress",
     9,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}}, /* 1.2.840.113549.1.9.1 */
    {MT_OID_AT_UID,
     "UID",
     10,
     {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}}, /* 0.9.2342.19200300.100.1.1 */
    {MT_OID_EXT_SUBJECT_KEY_ID, "subjectKeyIdentifier", 3, {0x55, 0x1d, 0x0e}}, /* 2.5.29.14 */
    {MT_OID_EXT_KEY_USAGE, "keyUsage", 3, {0x55, 0x1d, 0x0f}},                  /* 2.5.29.15 */
    {MT_OID_EXT_SUBJECT_ALT_NAME, "subjectAltName", 3, {0x55, 0x1d, 0x11}},     /* 2.5.29.17 */
    {MT_OID_EXT_ISSUER_ALT_NAME, "issuerAltName", 3, {0x55, 0x1d, 0x12}},       /* 2.5.29.18 */
    {MT_OID_EXT_BASIC_CONSTRAINTS, "basicConstraints", 3, {0x55, 0x1d, 0x13}},  /* 2.5.29.19 */
    {MT_OID_EXT_NAME_CONSTRAINTS, "nameConstraints", 3, {0x55, 0x1d, 0x1e}},    /* 2.5.29.30 */
    {MT_OID_EXT_CRL_DISTRIBUTION_POINTS,
     "cRLDistributionPoints",
     3,
     {0x55, 0x1d, 0x1f}},                                                            /* 2.5.29.31 */
    {MT_OID_EXT_CERTIFICATE_POLICIES, "certificatePolicies", 3, {0x55, 0x1d, 0x20}}, /* 2.5.29.32 */
    {MT_OID_EXT_POLICY_CONSTRAINTS, "policyConstraints", 3, {0x55, 0x1d, 0x24}},     /* 2.5.29.36 */
    {MT_OID_EXT_AUTHORITY_KEY_ID, "authorityKeyIdentifier", 3, {0x55, 0x1d, 0x23}},  /* 2.5.29.35 */
    {MT_OID_EXT_EXT_KEY_USAGE, "extKeyUsage", 3, {0x55, 0x1d, 0x25}},                /* 2.5.29.37 */
    {MT_OID_EXT_AUTHORITY_INFO_ACCESS,
     "authorityInfoAccess",
     8,
     {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01}}, /* 1.3.6.1.5.5.7.1.1 */
    {MT_OID_EXT_SCT_LIST,
     "ctPrecertificateSCTs",
     10,
     {0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02}}, /* 1.3.6.1.4.1.11129.2.4.2 */
    {MT_OID_KP_ANY, "anyExtendedKeyUsage", 4, {0x55, 0x1d, 0x25, 0x00}}, /* 2.5.29.37.0 */
    {MT_OID_KP_SERVER_AUTH,
     "serverAuth",
     8,
     {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01}}, /* 1.3.6.1.5.5.7.3.1 */
    {MT_OID_KP_CLIENT_AUTH,
     "clientAuth",
     8,
     {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02}}, /* 1.3.6.1.5.5.7.3.2 */
    {MT_OID_KP_CODE_SIGNING,
     "codeSigning",
     8,
     {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03}}, /* 1.3.6.1.5.5.7.3.3 */
    {MT_OID_KP_EMAIL_PROTECTION,
     "emailProtection",
     8,
     {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04}}, /* 1.3.6.1.5.5.7.3.4 */
    {MT_OID_KP_TIME_STAMPING,
     "timeStamping",
     8,
     {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08}}, /* 1.3.6.1.5.5.7.3.8 */
    {MT_OID_KP_OCSP_SIGNING,
     "OCSPSigning",
     8,
     {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09}}, /* 1.3.6.1.5.5.7.3.9 */
};

mt_oid mt_oid_lookup(mt_slice oid)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(oids); i++)
        if (oids[i].len == oid.len && memcmp(oids[i].der, oid.p, oid.len) == 0) return oids[i].id;
    return MT_OID_UNKNOWN;
}

const char *mt_oid_name(mt_oid id)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(oids); i++)
        if (oids[i].id == id) return oids[i].name;
    return "unknown";
}

int mt_oid_to_text(mt_slice oid, char *out, size_t out_len)
{
    MT_ENSURE(out_len >= 4, MT_ERR_BAD_PARAM);
    MT_TRY(check_oid(oid));
    size_t used = 0;
    uint64_t v = 0;
    int first = 1;
    out[0] = 0;
    for (size_t i = 0; i < oid.len; i++) {
        MT_ENSURE(v <= (UINT64_MAX >> 7), MT_ERR_UNSUPPORTED);
        v = (v << 7) | (oid.p[i] & 0x7F);
        if (oid.p[i] & 0x80) continue;
        char part[48];
        if (first) {
            /* X.690 8.19.4: the first subidentifier packs the first two arcs. */
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            snprintf(part, sizeof part, "%u.%llu", a, (unsigned long long)(v - 40u * a));
        } else {
            snprintf(part, sizeof part, ".%llu", (unsigned long long)v);
        }
        size_t pl = strlen(part);
        if (used + pl + 1 > out_len) {
            memcpy(out + out_len - 4, "...", 4);
            return 0;
        }
        memcpy(out + used, part, pl + 1);
        used += pl;
        first = 0;
        v = 0;
    }
    return 0;
}
