/*
 * cert.c - X.509 certificate parsing (RFC 5280 4.1, 4.2). See cert.h for the contracts.
 *
 * Notes:
 * - The parser follows the ASN.1 of RFC 5280 appendix A.1 top-down, one function per
 *   production, each reading through mt_der_* on a sub-reader that must be consumed
 *   completely (mt_rd_done), so trailing garbage anywhere is rejected.
 * - Internally every encoding error is MT_ERR_DECODE; mt_x509_cert_parse turns it into
 *   MT_ERR_CERT_BAD at the end, because inside a TLS Certificate message a corrupt
 *   certificate is bad_certificate, not decode_error.
 * - Two DER rules are relaxed on purpose, both about DEFAULT values encoded explicitly
 *   (X.690 11.5): Extension.critical FALSE and BasicConstraints.cA FALSE. Deployed CAs
 *   have issued such certificates and the meaning is unambiguous.
 * - Names are compared as bytes (RFC 5280 7.1 allows it when CAs encode names
 *   consistently); the text forms are for messages and scripts only.
 */
#include "cert.h"
#include "../crypto/ec.h"
#include "../internal.h"
#include "pem.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- algorithm identifiers ---- */

/* parameters absent or NULL (RFC 4055 5: "implementations MUST accept the parameters being
 * absent as well as present"). */
static int null_or_absent(mt_reader *params)
{
    if (mt_rd_left(params) == 0) return 0;
    MT_TRY(mt_der_null(params));
    return mt_rd_done(params);
}

static mt_hash_id hash_of(mt_oid oid)
{
    switch (oid) {
    case MT_OID_SHA1:
        return MT_HASH_SHA1;
    case MT_OID_SHA224:
        return MT_HASH_SHA224;
    case MT_OID_SHA256:
        return MT_HASH_SHA256;
    case MT_OID_SHA384:
        return MT_HASH_SHA384;
    case MT_OID_SHA512:
        return MT_HASH_SHA512;
    default:
        return MT_HASH_NONE;
    }
}

/* HashAlgorithm ::= AlgorithmIdentifier with a hash OID and NULL/absent parameters. */
static int hash_alg(mt_reader *r, mt_hash_id *h)
{
    mt_reader seq;
    mt_slice oid;
    MT_TRY(mt_der_expect(r, MT_DER_SEQUENCE, &seq));
    MT_TRY(mt_der_oid(&seq, &oid));
    MT_TRY(null_or_absent(&seq));
    *h = hash_of(mt_oid_lookup(oid));
    return 0;
}

/* RSASSA-PSS-params (RFC 4055 3.1). Only MGF1 with the same hash and trailerField 1 are
 * usable; anything else leaves the algorithm MT_X509_SIG_UNKNOWN. */
static int pss_params(mt_reader *params, mt_x509_sigalg *a)
{
    mt_reader seq, f, mgf;
    int present;
    mt_hash_id h = MT_HASH_SHA1, mgf_hash = MT_HASH_SHA1;
    uint64_t salt = 20, trailer = 1;
    mt_slice oid;
    MT_TRY(mt_der_expect(params, MT_DER_SEQUENCE, &seq));
    MT_TRY(mt_rd_done(params));
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX_CONS(0), &f, &present));
    if (present) {
        MT_TRY(hash_alg(&f, &h));
        MT_TRY(mt_rd_done(&f));
    }
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX_CONS(1), &f, &present));
    if (present) {
        MT_TRY(mt_der_expect(&f, MT_DER_SEQUENCE, &mgf));
        MT_TRY(mt_rd_done(&f));
        MT_TRY(mt_der_oid(&mgf, &oid));
        mgf_hash = MT_HASH_NONE;
        if (mt_oid_lookup(oid) == MT_OID_MGF1) MT_TRY(hash_alg(&mgf, &mgf_hash));
        if (mgf_hash == MT_HASH_NONE) mt_rd_rest(&mgf); /* another MGF: skip its parameters */
        MT_TRY(mt_rd_done(&mgf));
    }
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX_CONS(2), &f, &present));
    if (present) {
        MT_TRY(mt_der_small_uint(&f, &salt));
        MT_TRY(mt_rd_done(&f));
    }
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX_CONS(3), &f, &present));
    if (present) {
        MT_TRY(mt_der_small_uint(&f, &trailer));
        MT_TRY(mt_rd_done(&f));
    }
    MT_TRY(mt_rd_done(&seq));
    a->hash = h;
    a->pss_salt_len = (size_t)(salt > 1024 ? 1024 : salt);
    /* RFC 4055 3.1: trailerField MUST be 1; the MGF hash is the signature hash in every
     * profile moontls implements (RFC 8446 4.2.3). */
    a->type = (h != MT_HASH_NONE && mgf_hash == h && trailer == 1) ? MT_X509_SIG_RSA_PSS
                                                                   : MT_X509_SIG_UNKNOWN;
    return 0;
}

static int sig_alg(mt_reader *r, mt_x509_sigalg *a)
{
    mt_der e;
    mt_reader seq;
    mt_slice oid;
    MT_TRY(mt_der_expect_raw(r, MT_DER_SEQUENCE, &e));
    mt_rd_init(&seq, e.body.p, e.body.len);
    MT_TRY(mt_der_oid(&seq, &oid));
    memset(a, 0, sizeof *a);
    a->raw = e.raw;
    a->oid = mt_oid_lookup(oid);
    switch (a->oid) {
    case MT_OID_SHA1_WITH_RSA:
    case MT_OID_SHA224_WITH_RSA:
    case MT_OID_SHA256_WITH_RSA:
    case MT_OID_SHA384_WITH_RSA:
    case MT_OID_SHA512_WITH_RSA:
        MT_TRY(null_or_absent(&seq));
        a->type = MT_X509_SIG_RSA_PKCS1;
        a->hash = a->oid == MT_OID_SHA1_WITH_RSA     ? MT_HASH_SHA1
                  : a->oid == MT_OID_SHA224_WITH_RSA ? MT_HASH_SHA224
                  : a->oid == MT_OID_SHA256_WITH_RSA ? MT_HASH_SHA256
                  : a->oid == MT_OID_SHA384_WITH_RSA ? MT_HASH_SHA384
                                                     : MT_HASH_SHA512;
        return 0;
    case MT_OID_ECDSA_SHA1:
    case MT_OID_ECDSA_SHA224:
    case MT_OID_ECDSA_SHA256:
    case MT_OID_ECDSA_SHA384:
    case MT_OID_ECDSA_SHA512:
        /* RFC 5758 3.2: the parameters field MUST be absent. */
        MT_TRY(mt_rd_done(&seq));
        a->type = MT_X509_SIG_ECDSA;
        a->hash = a->oid == MT_OID_ECDSA_SHA1     ? MT_HASH_SHA1
                  : a->oid == MT_OID_ECDSA_SHA224 ? MT_HASH_SHA224
                  : a->oid == MT_OID_ECDSA_SHA256 ? MT_HASH_SHA256
                  : a->oid == MT_OID_ECDSA_SHA384 ? MT_HASH_SHA384
                                                  : MT_HASH_SHA512;
        return 0;
    case MT_OID_RSASSA_PSS:
        /* RFC 4055 3.1: in a signature AlgorithmIdentifier the parameters are present. */
        return pss_params(&seq, a);
    case MT_OID_ED25519:
        /* RFC 8410 3: parameters MUST be absent. */
        MT_TRY(mt_rd_done(&seq));
        a->type = MT_X509_SIG_ED25519;
        return 0;
    default:
        mt_rd_rest(&seq); /* an unknown algorithm's parameters are opaque */
        a->type = MT_X509_SIG_UNKNOWN;
        return 0;
    }
}

/* ---- SubjectPublicKeyInfo ---- */

static int curve_of(mt_oid oid)
{
    switch (oid) {
    case MT_OID_P256:
        return MT_EC_P256;
    case MT_OID_P384:
        return MT_EC_P384;
    case MT_OID_P521:
        return MT_EC_P521;
    default:
        return 0;
    }
}

static int spki(mt_reader *r, mt_x509_spki *k)
{
    mt_der e;
    mt_reader seq, alg, key;
    mt_slice oid;
    unsigned unused;
    memset(k, 0, sizeof *k);
    MT_TRY(mt_der_expect_raw(r, MT_DER_SEQUENCE, &e));
    k->raw = e.raw;
    mt_rd_init(&seq, e.body.p, e.body.len);
    MT_TRY(mt_der_expect(&seq, MT_DER_SEQUENCE, &alg));
    MT_TRY(mt_der_oid(&alg, &oid));
    MT_TRY(mt_der_bit_string(&seq, &k->key_bits, &unused));
    MT_TRY(mt_rd_done(&seq));
    k->alg = mt_oid_lookup(oid);
    switch (k->alg) {
    case MT_OID_RSA_ENCRYPTION:
    case MT_OID_RSASSA_PSS:
        /* RFC 3279 2.3.1: RSAPublicKey ::= SEQUENCE { modulus, publicExponent }, with
         * NULL parameters; RFC 4055 1.2: id-RSASSA-PSS keys may carry PSS parameters,
         * which only restrict how the key is used. */
        if (k->alg == MT_OID_RSA_ENCRYPTION) MT_TRY(null_or_absent(&alg));
        mt_rd_rest(&alg);
        MT_ENSURE(unused == 0, MT_ERR_DECODE);
        mt_rd_init(&key, k->key_bits.p, k->key_bits.len);
        MT_TRY(mt_der_expect(&key, MT_DER_SEQUENCE, &seq));
        MT_TRY(mt_rd_done(&key));
        MT_TRY(mt_der_uint(&seq, &k->rsa_n));
        MT_TRY(mt_der_uint(&seq, &k->rsa_e));
        return mt_rd_done(&seq);
    case MT_OID_EC_PUBLIC_KEY: {
        /* RFC 5480 2.1.1: ECParameters is a CHOICE; only namedCurve is allowed in
         * PKIX (implicitCurve and specifiedCurve MUST NOT be used), so anything else
         * leaves curve 0 (unsupported). */
        uint8_t id;
        MT_TRY(mt_der_peek(&alg, &id));
        if (id == MT_DER_OID) {
            mt_slice c;
            MT_TRY(mt_der_oid(&alg, &c));
            k->curve = curve_of(mt_oid_lookup(c));
        } else {
            mt_der skip;
            MT_TRY(mt_der_read(&alg, &skip));
        }
        MT_TRY(mt_rd_done(&alg));
        MT_ENSURE(unused == 0, MT_ERR_DECODE);
        k->point = k->key_bits;
        return 0;
    }
    default:
        /* Ed25519, X25519 and unknown algorithms: kept, judged by the user of the key. */
        mt_rd_rest(&alg);
        return 0;
    }
}

int mt_x509_spki_parse(mt_x509_spki *out, const uint8_t *der, size_t len)
{
    mt_reader r;
    mt_rd_init(&r, der, len);
    MT_TRY(spki(&r, out));
    return mt_rd_done(&r);
}

/* ---- names ---- */

static int put(mt_buf *b, const char *s)
{
    return mt_buf_append(b, s, strlen(s));
}

static int put_escaped(mt_buf *b, uint32_t c, int raw_high)
{
    char tmp[12];
    if (c == '\\' || c < 0x20 || c == 0x7F || (c >= 0x80 && !raw_high && c < 0x100)) {
        snprintf(tmp, sizeof tmp, "\\%02X", (unsigned)c);
        return put(b, tmp);
    }
    if (c < 0x80 || raw_high == 1) {
        uint8_t byte = (uint8_t)c;
        return mt_buf_append(b, &byte, 1);
    }
    /* A BMPString / UniversalString code point: write UTF-8 (RFC 3629); surrogates and
     * out-of-range values are shown escaped. */
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) {
        snprintf(tmp, sizeof tmp, "\\u%04X", (unsigned)c);
        return put(b, tmp);
    }
    uint8_t u[4];
    size_t n;
    if (c < 0x800) {
        u[0] = (uint8_t)(0xC0 | c >> 6);
        u[1] = (uint8_t)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (uint8_t)(0xE0 | c >> 12);
        u[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        u[2] = (uint8_t)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | c >> 18);
        u[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
        u[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        u[3] = (uint8_t)(0x80 | (c & 0x3F));
        n = 4;
    }
    return mt_buf_append(b, u, n);
}

/* The text of an attribute value: strings as text (escaping control characters and
 * backslashes), anything else as '#' and the hex of the element (RFC 4514 2.4). */
static int value_text(mt_buf *b, const mt_der *v)
{
    char hex[4];
    size_t unit = v->id == MT_DER_BMP_STRING ? 2 : v->id == MT_DER_UNIVERSAL_STRING ? 4 : 1;
    int text = v->id == MT_DER_UTF8_STRING || v->id == MT_DER_PRINTABLE_STRING ||
               v->id == MT_DER_IA5_STRING || v->id == MT_DER_T61_STRING ||
               v->id == MT_DER_VISIBLE_STRING || unit > 1;
    if (!text || v->body.len % unit != 0) {
        MT_TRY(put(b, "#"));
        for (size_t i = 0; i < v->raw.len; i++) {
            snprintf(hex, sizeof hex, "%02x", v->raw.p[i]);
            MT_TRY(put(b, hex));
        }
        return 0;
    }
    /* raw_high: UTF8String bytes >= 0x80 are copied as they are (1); in the 8-bit string
     * types they are escaped (0); wide strings are converted to UTF-8 (2). */
    int raw_high = v->id == MT_DER_UTF8_STRING ? 1 : unit > 1 ? 2 : 0;
    for (size_t i = 0; i < v->body.len; i += unit) {
        uint32_t c = 0;
        for (size_t j = 0; j < unit; j++)
            c = c << 8 | v->body.p[i + j];
        MT_TRY(put_escaped(b, c, raw_high));
    }
    return 0;
}

/* Name ::= SEQUENCE OF RelativeDistinguishedName (RFC 5280 4.1.2.4), as one line:
 * RDNs in encoded order joined by ", ", multi-valued RDNs joined by " + ". */
static int name(mt_reader *r, mt_slice *raw, char **text)
{
    mt_der e;
    mt_reader seq, set, atv;
    mt_buf b = {0};
    int rc = 0;
    MT_TRY(mt_der_expect_raw(r, MT_DER_SEQUENCE, &e));
    *raw = e.raw;
    mt_rd_init(&seq, e.body.p, e.body.len);
    for (int first_rdn = 1; mt_rd_left(&seq) > 0; first_rdn = 0) {
        /* RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue */
        MT_TRY_GOTO(mt_der_expect(&seq, MT_DER_SET, &set));
        MT_ENSURE_GOTO(mt_rd_left(&set) > 0, MT_ERR_DECODE);
        if (!first_rdn) MT_TRY_GOTO(put(&b, ", "));
        for (int first = 1; mt_rd_left(&set) > 0; first = 0) {
            mt_slice oid;
            mt_der v;
            char dotted[64];
            MT_TRY_GOTO(mt_der_expect(&set, MT_DER_SEQUENCE, &atv));
            MT_TRY_GOTO(mt_der_oid(&atv, &oid));
            MT_TRY_GOTO(mt_der_read(&atv, &v));
            MT_TRY_GOTO(mt_rd_done(&atv));
            if (!first) MT_TRY_GOTO(put(&b, " + "));
            mt_oid id = mt_oid_lookup(oid);
            if (id == MT_OID_UNKNOWN) {
                MT_TRY_GOTO(mt_oid_to_text(oid, dotted, sizeof dotted));
                MT_TRY_GOTO(put(&b, dotted));
            } else {
                MT_TRY_GOTO(put(&b, mt_oid_name(id)));
            }
            MT_TRY_GOTO(put(&b, "="));
            MT_TRY_GOTO(value_text(&b, &v));
        }
    }
    MT_TRY_GOTO(mt_buf_append(&b, "", 1));
    *text = (char *)b.data; /* ownership moves to the certificate */
    return 0;
out:
    mt_buf_free(&b);
    return rc;
}

/* ---- extensions (RFC 5280 4.2) ---- */

static int ext_basic_constraints(mt_reader *v, mt_x509_cert *c)
{
    mt_reader seq;
    uint8_t id;
    MT_TRY(mt_der_expect(v, MT_DER_SEQUENCE, &seq));
    /* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
     *                                 pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
    if (mt_rd_left(&seq) > 0 && mt_der_peek(&seq, &id) == 0 && id == MT_DER_BOOLEAN)
        MT_TRY(mt_der_boolean(&seq, &c->is_ca));
    if (mt_rd_left(&seq) > 0) {
        uint64_t n;
        MT_TRY(mt_der_small_uint(&seq, &n));
        c->path_len = n > 255 ? 255 : (int)n;
    }
    return mt_rd_done(&seq);
}

static int ext_key_usage(mt_reader *v, mt_x509_cert *c)
{
    mt_slice bits;
    MT_TRY(mt_der_bit_string(v, &bits, NULL));
    c->key_usage = 0;
    for (unsigned i = 0; i < 9 && i / 8 < bits.len; i++)
        if (bits.p[i / 8] & (0x80 >> (i % 8))) c->key_usage |= 1u << i;
    /* RFC 5280 4.2.1.3: "at least one of the bits MUST be set to 1". */
    MT_ENSURE(c->key_usage != 0, MT_ERR_DECODE);
    return 0;
}

static int ext_ext_key_usage(mt_reader *v, mt_x509_cert *c)
{
    mt_reader seq;
    mt_slice oid;
    MT_TRY(mt_der_expect(v, MT_DER_SEQUENCE, &seq));
    /* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
    MT_ENSURE(mt_rd_left(&seq) > 0, MT_ERR_DECODE);
    while (mt_rd_left(&seq) > 0) {
        MT_TRY(mt_der_oid(&seq, &oid));
        switch (mt_oid_lookup(oid)) {
        case MT_OID_KP_SERVER_AUTH:
            c->ext_key_usage |= MT_X509_EKU_SERVER_AUTH;
            break;
        case MT_OID_KP_CLIENT_AUTH:
            c->ext_key_usage |= MT_X509_EKU_CLIENT_AUTH;
            break;
        case MT_OID_KP_ANY:
            c->ext_key_usage |= MT_X509_EKU_ANY;
            break;
        default:
            c->ext_key_usage |= MT_X509_EKU_OTHER;
            break;
        }
    }
    return 0;
}

/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (RFC 5280 4.2.1.6). Two passes:
 * check and count, then fill an array of exactly that size. */
static int ext_subject_alt_name(mt_reader *v, mt_x509_cert *c)
{
    mt_reader seq, walk;
    mt_der e;
    size_t n = 0;
    MT_TRY(mt_der_expect(v, MT_DER_SEQUENCE, &seq));
    MT_ENSURE(mt_rd_left(&seq) > 0, MT_ERR_DECODE);
    walk = seq;
    while (mt_rd_left(&walk) > 0) {
        MT_TRY(mt_der_read(&walk, &e));
        /* Context-specific tags [0]..[8]; otherName, x400Address, directoryName and
         * ediPartyName are constructed, the others primitive. */
        MT_ENSURE((e.id & MT_DER_CLASS_MASK) == 0x80 && e.tag_num <= 8, MT_ERR_DECODE);
        int cons = (e.id & MT_DER_CONSTRUCTED) != 0;
        int want_cons = e.tag_num == 0 || e.tag_num == 3 || e.tag_num == 4 || e.tag_num == 5;
        MT_ENSURE(cons == want_cons, MT_ERR_DECODE);
        /* iPAddress: 4 octets for IPv4, 16 for IPv6 (RFC 5280 4.2.1.6). */
        if (e.tag_num == MT_X509_GN_IP)
            MT_ENSURE(e.body.len == 4 || e.body.len == 16, MT_ERR_DECODE);
        n++;
    }
    c->san = calloc(n, sizeof *c->san);
    MT_ENSURE(c->san != NULL, MT_ERR_NO_MEMORY);
    c->san_count = n;
    for (size_t i = 0; i < n; i++) {
        MT_TRY(mt_der_read(&seq, &e));
        c->san[i].type = (int)e.tag_num;
        c->san[i].value = (e.id & MT_DER_CONSTRUCTED) ? e.raw : e.body;
    }
    return 0;
}

static int ext_subject_key_id(mt_reader *v, mt_x509_cert *c)
{
    return mt_der_octet_string(v, &c->subject_key_id);
}

static int ext_authority_key_id(mt_reader *v, mt_x509_cert *c)
{
    mt_reader seq;
    mt_der e;
    uint8_t id;
    /* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING
     *   OPTIONAL, authorityCertIssuer [1] OPTIONAL, authorityCertSerialNumber [2] OPTIONAL } */
    MT_TRY(mt_der_expect(v, MT_DER_SEQUENCE, &seq));
    if (mt_rd_left(&seq) > 0 && mt_der_peek(&seq, &id) == 0 && id == MT_DER_CTX(0)) {
        MT_TRY(mt_der_expect_raw(&seq, MT_DER_CTX(0), &e));
        c->authority_key_id = e.body;
    }
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX_CONS(1), NULL, &(int){0}));
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX(2), NULL, &(int){0}));
    return mt_rd_done(&seq);
}

typedef struct ext_handler {
    mt_oid oid;
    unsigned bit;
    int (*parse)(mt_reader *v, mt_x509_cert *c);
} ext_handler;

/* The extensions moontls processes, so they may be critical. */
static const ext_handler handlers[] = {
    {MT_OID_EXT_BASIC_CONSTRAINTS, MT_X509_EXT_BASIC_CONSTRAINTS, ext_basic_constraints},
    {MT_OID_EXT_KEY_USAGE, MT_X509_EXT_KEY_USAGE, ext_key_usage},
    {MT_OID_EXT_EXT_KEY_USAGE, MT_X509_EXT_EXT_KEY_USAGE, ext_ext_key_usage},
    {MT_OID_EXT_SUBJECT_ALT_NAME, MT_X509_EXT_SUBJECT_ALT_NAME, ext_subject_alt_name},
    {MT_OID_EXT_SUBJECT_KEY_ID, MT_X509_EXT_SUBJECT_KEY_ID, ext_subject_key_id},
    {MT_OID_EXT_AUTHORITY_KEY_ID, MT_X509_EXT_AUTHORITY_KEY_ID, ext_authority_key_id},
};

static int extension(mt_reader *r, mt_x509_cert *c)
{
    mt_reader seq, val;
    mt_slice oid, octets;
    int critical = 0;
    uint8_t id;
    /* Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue } */
    MT_TRY(mt_der_expect(r, MT_DER_SEQUENCE, &seq));
    MT_TRY(mt_der_oid(&seq, &oid));
    if (mt_der_peek(&seq, &id) == 0 && id == MT_DER_BOOLEAN)
        MT_TRY(mt_der_boolean(&seq, &critical));
    MT_TRY(mt_der_octet_string(&seq, &octets));
    MT_TRY(mt_rd_done(&seq));

    mt_oid known = mt_oid_lookup(oid);
    for (size_t i = 0; i < MT_ARRAY_LEN(handlers); i++) {
        if (handlers[i].oid != known) continue;
        /* RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a
         * particular extension." */
        MT_ENSURE(!(c->ext_present & handlers[i].bit), MT_ERR_DECODE);
        c->ext_present |= handlers[i].bit;
        mt_rd_init(&val, octets.p, octets.len);
        MT_TRY(handlers[i].parse(&val, c));
        return mt_rd_done(&val);
    }
    /* RFC 5280 4.2: "A certificate-using system MUST reject the certificate if it
     * encounters a critical extension it does not recognize or a critical extension that
     * contains information that it cannot process." Recorded here, rejected by verify. */
    if (critical && c->unknown_critical.len == 0) c->unknown_critical = oid;
    return 0;
}

/* ---- certificate ---- */

static int tbs_certificate(mt_reader *r, mt_x509_cert *c)
{
    mt_der e;
    mt_reader tbs, f, validity;
    int present;
    MT_TRY(mt_der_expect_raw(r, MT_DER_SEQUENCE, &e));
    c->tbs = e.raw;
    mt_rd_init(&tbs, e.body.p, e.body.len);

    /* version [0] EXPLICIT Version DEFAULT v1 (RFC 5280 4.1.2.1) */
    c->version = 1;
    MT_TRY(mt_der_optional(&tbs, MT_DER_CTX_CONS(0), &f, &present));
    if (present) {
        uint64_t v;
        MT_TRY(mt_der_small_uint(&f, &v));
        MT_TRY(mt_rd_done(&f));
        /* DER omits the DEFAULT v1 (X.690 11.5); only v2 and v3 can be encoded. */
        MT_ENSURE(v == 1 || v == 2, MT_ERR_DECODE);
        c->version = (int)v + 1;
    }
    /* serialNumber: positive, at most 20 octets (RFC 5280 4.1.2.2); negative and zero
     * serials exist in the wild, so only the size is enforced. */
    MT_TRY(mt_der_integer(&tbs, &c->serial));
    MT_ENSURE(c->serial.len <= 21, MT_ERR_DECODE);

    /* signature: RFC 5280 4.1.2.3 "MUST contain the same algorithm identifier as the
     * signatureAlgorithm field", compared by the caller on the raw elements. */
    mt_x509_sigalg inner;
    MT_TRY(sig_alg(&tbs, &inner));
    c->sig_alg = inner;

    MT_TRY(name(&tbs, &c->issuer, &c->issuer_text));
    /* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
    MT_TRY(mt_der_expect(&tbs, MT_DER_SEQUENCE, &validity));
    MT_TRY(mt_der_time(&validity, &c->not_before));
    MT_TRY(mt_der_time(&validity, &c->not_after));
    MT_TRY(mt_rd_done(&validity));
    MT_TRY(name(&tbs, &c->subject, &c->subject_text));
    MT_TRY(spki(&tbs, &c->spki));

    /* issuerUniqueID [1] and subjectUniqueID [2]: v2 or v3 only (RFC 5280 4.1.2.8). */
    MT_TRY(mt_der_optional(&tbs, MT_DER_CTX(1), NULL, &present));
    MT_ENSURE(!present || c->version >= 2, MT_ERR_DECODE);
    MT_TRY(mt_der_optional(&tbs, MT_DER_CTX(2), NULL, &present));
    MT_ENSURE(!present || c->version >= 2, MT_ERR_DECODE);

    /* extensions [3] EXPLICIT Extensions: v3 only (RFC 5280 4.1.2.9), SIZE (1..MAX). */
    MT_TRY(mt_der_optional(&tbs, MT_DER_CTX_CONS(3), &f, &present));
    if (present) {
        mt_reader exts;
        MT_ENSURE(c->version == 3, MT_ERR_DECODE);
        MT_TRY(mt_der_expect(&f, MT_DER_SEQUENCE, &exts));
        MT_TRY(mt_rd_done(&f));
        MT_ENSURE(mt_rd_left(&exts) > 0, MT_ERR_DECODE);
        while (mt_rd_left(&exts) > 0)
            MT_TRY(extension(&exts, c));
    }
    return mt_rd_done(&tbs);
}

static int certificate(mt_x509_cert *c)
{
    mt_reader r, seq;
    mt_x509_sigalg outer;
    unsigned unused;
    mt_rd_init(&r, c->der.data, c->der.len);
    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } */
    MT_TRY(mt_der_expect(&r, MT_DER_SEQUENCE, &seq));
    MT_TRY(mt_rd_done(&r));
    MT_TRY(tbs_certificate(&seq, c));
    MT_TRY(sig_alg(&seq, &outer));
    /* RFC 5280 4.1.1.2 / 4.1.2.3: both algorithm identifiers must be the same. */
    MT_ENSURE(outer.raw.len == c->sig_alg.raw.len &&
                  memcmp(outer.raw.p, c->sig_alg.raw.p, outer.raw.len) == 0,
              MT_ERR_DECODE);
    c->sig_alg = outer;
    MT_TRY(mt_der_bit_string(&seq, &c->signature, &unused));
    MT_ENSURE(unused == 0, MT_ERR_DECODE);
    MT_TRY(mt_rd_done(&seq));
    c->self_issued =
        c->issuer.len == c->subject.len && memcmp(c->issuer.p, c->subject.p, c->issuer.len) == 0;
    return 0;
}

int mt_x509_cert_parse(mt_x509_cert *out, const uint8_t *der, size_t len)
{
    memset(out, 0, sizeof *out);
    out->path_len = -1;
    MT_ENSURE(der != NULL || len == 0, MT_ERR_BAD_PARAM);
    int rc = mt_buf_append(&out->der, der, len);
    if (rc == 0) rc = certificate(out);
    if (rc == 0) return 0;
    mt_x509_cert_free(out);
    return rc == MT_ERR_DECODE ? MT_ERR_CERT_BAD : rc;
}

void mt_x509_cert_free(mt_x509_cert *c)
{
    if (!c) return;
    mt_buf_free(&c->der);
    free(c->issuer_text);
    free(c->subject_text);
    free(c->san);
    memset(c, 0, sizeof *c);
    c->path_len = -1;
}

/* ---- lists ---- */

void mt_x509_list_init(mt_x509_list *l)
{
    l->certs = NULL;
    l->count = 0;
    l->cap = 0;
}

void mt_x509_list_free(mt_x509_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->count; i++)
        mt_x509_cert_free(&l->certs[i]);
    free(l->certs);
    mt_x509_list_init(l);
}

static int list_push(mt_x509_list *l, mt_x509_cert *c)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        MT_ENSURE(cap < SIZE_MAX / sizeof *l->certs, MT_ERR_LIMIT);
        mt_x509_cert *p = realloc(l->certs, cap * sizeof *p);
        MT_ENSURE(p != NULL, MT_ERR_NO_MEMORY);
        l->certs = p;
        l->cap = cap;
    }
    l->certs[l->count++] = *c; /* the list now owns what c owned */
    return 0;
}

int mt_x509_list_add_der(mt_x509_list *l, const uint8_t *der, size_t len)
{
    mt_x509_cert c;
    MT_TRY(mt_x509_cert_parse(&c, der, len));
    int rc = list_push(l, &c);
    if (rc) mt_x509_cert_free(&c);
    return rc;
}

int mt_x509_list_add_pem(mt_x509_list *l, const uint8_t *pem, size_t len, size_t *added)
{
    mt_pem_block b;
    size_t off = 0, before = l->count;
    int rc;
    mt_pem_block_init(&b);
    if (added) *added = 0;
    while ((rc = mt_pem_next(pem, len, &off, &b)) == 0) {
        /* RFC 7468 5: certificates use the label "CERTIFICATE". */
        if (strcmp(b.label, "CERTIFICATE") != 0) continue;
        MT_TRY_GOTO(mt_x509_list_add_der(l, b.der.data, b.der.len));
    }
    if (rc == MT_ERR_NOT_FOUND) rc = l->count > before ? 0 : MT_ERR_NOT_FOUND;
out:
    mt_pem_block_free(&b);
    if (rc) {
        while (l->count > before)
            mt_x509_cert_free(&l->certs[--l->count]);
    } else if (added) {
        *added = l->count - before;
    }
    return rc;
}
