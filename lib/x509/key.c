/*
 * key.c - private and public key loading. See key.h for the contracts.
 *
 * Notes:
 * - The DER structures are walked here with lib/x509/der; the numbers go to the crypto
 *   contracts as big-endian magnitudes (mt_rsa_import_raw, mt_ec_import_private,
 *   mt_ec_import_public), so no libtomcrypt type or DER parser is involved.
 * - A DER private key is told apart by its second element: PKCS#8 has an
 *   AlgorithmIdentifier SEQUENCE after the version, PKCS#1 the modulus INTEGER, SEC1 the
 *   privateKey OCTET STRING; an EncryptedPrivateKeyInfo starts with a SEQUENCE instead of
 *   a version.
 */
#include "key.h"
#include "../internal.h"
#include "pem.h"

static int curve_from_oid(mt_slice oid, int *curve)
{
    switch (mt_oid_lookup(oid)) {
    case MT_OID_P256:
        *curve = MT_EC_P256;
        return 0;
    case MT_OID_P384:
        *curve = MT_EC_P384;
        return 0;
    case MT_OID_P521:
        *curve = MT_EC_P521;
        return 0;
    default:
        return MT_ERR_UNSUPPORTED;
    }
}

/* RFC 8017 A.1.2: RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent,
 * privateExponent, prime1, prime2, exponent1, exponent2, coefficient,
 * otherPrimeInfos OPTIONAL } */
static int rsa_private(mt_x509_key *out, mt_slice der)
{
    mt_reader r, seq;
    uint64_t version;
    mt_slice v[8]; /* n, e, d, p, q, dp, dq, qinv */
    mt_rd_init(&r, der.p, der.len);
    MT_TRY(mt_der_expect(&r, MT_DER_SEQUENCE, &seq));
    MT_TRY(mt_rd_done(&r));
    MT_TRY(mt_der_small_uint(&seq, &version));
    /* version 1 (multi-prime, with otherPrimeInfos) is not supported. */
    MT_ENSURE(version == 0, version == 1 ? MT_ERR_UNSUPPORTED : MT_ERR_DECODE);
    for (size_t i = 0; i < MT_ARRAY_LEN(v); i++)
        MT_TRY(mt_der_uint(&seq, &v[i]));
    MT_TRY(mt_rd_done(&seq));
    MT_TRY(mt_rsa_import_raw(&out->rsa, v[0].p, v[0].len, v[1].p, v[1].len, v[2].p, v[2].len,
                             v[3].p, v[3].len, v[4].p, v[4].len, v[5].p, v[5].len, v[6].p, v[6].len,
                             v[7].p, v[7].len));
    out->type = MT_X509_KEY_RSA;
    return 0;
}

/* RFC 5915 3: ECPrivateKey ::= SEQUENCE { version INTEGER { ecPrivkeyVer1(1) },
 * privateKey OCTET STRING, parameters [0] ECParameters OPTIONAL,
 * publicKey [1] BIT STRING OPTIONAL }. `curve` is the curve from the PKCS#8 wrapper, or 0
 * when the key stands alone and must name its curve itself. */
static int ec_private(mt_x509_key *out, mt_slice der, int curve)
{
    mt_reader r, seq, f;
    uint64_t version;
    mt_slice scalar, oid, pub = {NULL, 0};
    int present, has_pub;
    mt_rd_init(&r, der.p, der.len);
    MT_TRY(mt_der_expect(&r, MT_DER_SEQUENCE, &seq));
    MT_TRY(mt_rd_done(&r));
    MT_TRY(mt_der_small_uint(&seq, &version));
    MT_ENSURE(version == 1, MT_ERR_DECODE);
    MT_TRY(mt_der_octet_string(&seq, &scalar));
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX_CONS(0), &f, &present));
    if (present) {
        /* RFC 5480 2.1.1: only namedCurve; RFC 5915 3: when both are given, the
         * parameters must agree with the PKCS#8 AlgorithmIdentifier. */
        int own;
        uint8_t id;
        MT_TRY(mt_der_peek(&f, &id));
        MT_ENSURE(id == MT_DER_OID, MT_ERR_UNSUPPORTED);
        MT_TRY(mt_der_oid(&f, &oid));
        MT_TRY(mt_rd_done(&f));
        MT_TRY(curve_from_oid(oid, &own));
        MT_ENSURE(curve == 0 || curve == own, MT_ERR_DECODE);
        curve = own;
    }
    /* RFC 5915 3: "parameters ... MUST be present" when not given by an enclosing
     * structure. */
    MT_ENSURE(curve != 0, MT_ERR_DECODE);
    MT_TRY(mt_der_optional(&seq, MT_DER_CTX_CONS(1), &f, &has_pub));
    if (has_pub) {
        unsigned unused;
        MT_TRY(mt_der_bit_string(&f, &pub, &unused));
        MT_TRY(mt_rd_done(&f));
        MT_ENSURE(unused == 0, MT_ERR_DECODE);
    }
    MT_TRY(mt_rd_done(&seq));
    /* RFC 5915 3: privateKey is ceiling(log2(n)/8) octets; shorter encodings from old
     * encoders are tolerated, longer ones are not a scalar of this curve. */
    MT_ENSURE(scalar.len >= 1 && scalar.len <= mt_ec_field_len(curve), MT_ERR_DECODE);
    MT_TRY(mt_ec_import_private(&out->ec, curve, scalar.p, scalar.len));
    out->type = MT_X509_KEY_EC;
    out->curve = curve;
    if (has_pub) {
        /* The stored public key must be the one the scalar gives. */
        uint8_t point[1 + 2 * 66];
        size_t plen = sizeof point;
        MT_TRY(mt_ec_export_public(out->ec, point, &plen));
        MT_ENSURE(plen == pub.len && memcmp(point, pub.p, plen) == 0, MT_ERR_BAD_PARAM);
    }
    return 0;
}

/* RFC 5958 2: OneAsymmetricKey ::= SEQUENCE { version, privateKeyAlgorithm,
 * privateKey OCTET STRING, attributes [0] IMPLICIT OPTIONAL,
 * [[2: publicKey [1] IMPLICIT BIT STRING OPTIONAL ]] } */
static int pkcs8_private(mt_x509_key *out, mt_reader *seq)
{
    mt_reader alg, f;
    uint64_t version;
    mt_slice oid, inner;
    int present;
    MT_TRY(mt_der_small_uint(seq, &version));
    /* version 0 is v1 (PKCS#8), 1 is v2 (RFC 5958, with the optional public key). */
    MT_ENSURE(version <= 1, MT_ERR_DECODE);
    MT_TRY(mt_der_expect(seq, MT_DER_SEQUENCE, &alg));
    MT_TRY(mt_der_oid(&alg, &oid));
    MT_TRY(mt_der_octet_string(seq, &inner));
    MT_TRY(mt_der_optional(seq, MT_DER_CTX_CONS(0), NULL, &present));
    MT_TRY(mt_der_optional(seq, MT_DER_CTX(1), &f, &present));
    MT_ENSURE(!present || version == 1, MT_ERR_DECODE);
    MT_TRY(mt_rd_done(seq));
    switch (mt_oid_lookup(oid)) {
    case MT_OID_RSA_ENCRYPTION:
        /* RFC 8017 A.1: parameters NULL (absent tolerated, as in RFC 4055 5). */
        if (mt_rd_left(&alg) > 0) MT_TRY(mt_der_null(&alg));
        MT_TRY(mt_rd_done(&alg));
        return rsa_private(out, inner);
    case MT_OID_RSASSA_PSS:
        /* RFC 4055 1.2: the PSS parameters only restrict the key's use. */
        mt_rd_rest(&alg);
        MT_TRY(rsa_private(out, inner));
        out->rsa_pss_only = 1;
        return 0;
    case MT_OID_EC_PUBLIC_KEY: {
        int curve;
        uint8_t id;
        MT_TRY(mt_der_peek(&alg, &id));
        MT_ENSURE(id == MT_DER_OID, MT_ERR_UNSUPPORTED);
        MT_TRY(mt_der_oid(&alg, &oid));
        MT_TRY(mt_rd_done(&alg));
        MT_TRY(curve_from_oid(oid, &curve));
        return ec_private(out, inner, curve);
    }
    default:
        return MT_ERR_UNSUPPORTED; /* Ed25519, X25519, DSA, ... */
    }
}

static int private_der(mt_x509_key *out, mt_slice der)
{
    mt_reader r, seq, probe;
    uint8_t id;
    mt_slice version;
    mt_rd_init(&r, der.p, der.len);
    MT_TRY(mt_der_expect(&r, MT_DER_SEQUENCE, &seq));
    MT_TRY(mt_rd_done(&r));
    MT_TRY(mt_der_peek(&seq, &id));
    /* RFC 5958 3: EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm
     * AlgorithmIdentifier, encryptedData OCTET STRING } */
    probe = seq;
    if (id == MT_DER_SEQUENCE) {
        mt_slice data;
        MT_TRY(mt_der_expect(&probe, MT_DER_SEQUENCE, NULL));
        MT_TRY(mt_der_octet_string(&probe, &data));
        MT_TRY(mt_rd_done(&probe));
        return MT_ERR_UNSUPPORTED;
    }
    MT_TRY(mt_der_integer(&probe, &version));
    MT_TRY(mt_der_peek(&probe, &id));
    switch (id) {
    case MT_DER_SEQUENCE:
        return pkcs8_private(out, &seq);
    case MT_DER_INTEGER:
        return rsa_private(out, der);
    case MT_DER_OCTET_STRING:
        return ec_private(out, der, 0);
    default:
        return MT_ERR_DECODE;
    }
}

/* Run `parse` on the DER, or on the first PEM block whose label is in `labels`
 * (NULL-terminated). A label in `refused` gives MT_ERR_UNSUPPORTED. */
static int with_pem(mt_x509_key *out, const uint8_t *in, size_t len, const char *const *labels,
                    const char *refused, int (*parse)(mt_x509_key *, mt_slice))
{
    if (!mt_pem_detect(in, len)) return parse(out, mt_slice_of(in, len));
    mt_pem_block b;
    size_t off = 0;
    int rc;
    mt_pem_block_init(&b);
    while ((rc = mt_pem_next(in, len, &off, &b)) == 0) {
        MT_ENSURE_GOTO(!refused || strcmp(b.label, refused) != 0, MT_ERR_UNSUPPORTED);
        for (size_t i = 0; labels[i]; i++) {
            if (strcmp(b.label, labels[i]) != 0) continue;
            rc = parse(out, mt_buf_slice(&b.der));
            goto out;
        }
    }
out:
    mt_pem_block_free(&b); /* wipes the decoded key */
    return rc;
}

static int private_any(mt_x509_key *out, mt_slice der)
{
    return private_der(out, der);
}

int mt_x509_key_parse_private(mt_x509_key *out, const uint8_t *in, size_t len)
{
    static const char *const labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", NULL};
    memset(out, 0, sizeof *out);
    MT_ENSURE(in != NULL || len == 0, MT_ERR_BAD_PARAM);
    int rc = with_pem(out, in, len, labels, "ENCRYPTED PRIVATE KEY", private_any);
    if (rc) mt_x509_key_free(out);
    return rc;
}

int mt_x509_key_from_spki(mt_x509_key *out, const mt_x509_spki *spki)
{
    memset(out, 0, sizeof *out);
    int rc;
    switch (spki->alg) {
    case MT_OID_RSA_ENCRYPTION:
    case MT_OID_RSASSA_PSS:
        /* A peer's key: bound the work one verification can cost. Moduli above 8192 bits
         * and exponents above 32 bits serve no legitimate certificate. */
        MT_ENSURE(spki->rsa_n.len <= MT_X509_RSA_MAX_BYTES && spki->rsa_e.len <= 4,
                  MT_ERR_UNSUPPORTED);
        rc = mt_rsa_import_raw(&out->rsa, spki->rsa_n.p, spki->rsa_n.len, spki->rsa_e.p,
                               spki->rsa_e.len, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL,
                               0);
        if (rc) break;
        out->type = MT_X509_KEY_RSA;
        out->rsa_pss_only = spki->alg == MT_OID_RSASSA_PSS;
        return 0;
    case MT_OID_EC_PUBLIC_KEY:
        MT_ENSURE(spki->curve != 0, MT_ERR_UNSUPPORTED);
        rc = mt_ec_import_public(&out->ec, spki->curve, spki->point.p, spki->point.len);
        if (rc) break;
        out->type = MT_X509_KEY_EC;
        out->curve = spki->curve;
        return 0;
    default:
        return MT_ERR_UNSUPPORTED;
    }
    mt_x509_key_free(out);
    return rc;
}

static int public_der(mt_x509_key *out, mt_slice der)
{
    mt_x509_spki spki;
    MT_TRY(mt_x509_spki_parse(&spki, der.p, der.len));
    return mt_x509_key_from_spki(out, &spki);
}

int mt_x509_key_parse_public(mt_x509_key *out, const uint8_t *in, size_t len)
{
    /* RFC 7468 13: SubjectPublicKeyInfo uses the label "PUBLIC KEY". */
    static const char *const labels[] = {"PUBLIC KEY", NULL};
    memset(out, 0, sizeof *out);
    MT_ENSURE(in != NULL || len == 0, MT_ERR_BAD_PARAM);
    int rc = with_pem(out, in, len, labels, NULL, public_der);
    if (rc) mt_x509_key_free(out);
    return rc;
}

void mt_x509_key_free(mt_x509_key *k)
{
    if (!k) return;
    mt_rsa_free(k->rsa);
    mt_ec_free(k->ec);
    memset(k, 0, sizeof *k);
}

static int slice_eq(mt_slice a, mt_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

int mt_x509_key_matches(const mt_x509_key *key, const mt_x509_spki *spki)
{
    switch (key->type) {
    case MT_X509_KEY_EC: {
        uint8_t point[1 + 2 * 66];
        size_t plen = sizeof point;
        MT_ENSURE(spki->alg == MT_OID_EC_PUBLIC_KEY && spki->curve == key->curve, MT_ERR_VERIFY);
        MT_TRY(mt_ec_export_public(key->ec, point, &plen));
        MT_ENSURE(slice_eq(mt_slice_of(point, plen), spki->point), MT_ERR_VERIFY);
        return 0;
    }
    case MT_X509_KEY_RSA: {
        /* Compare modulus and exponent through our own SPKI parser, so the check does not
         * depend on how the crypto layer encodes an SPKI. */
        mt_buf der = {0};
        mt_x509_spki mine;
        int rc = 0;
        MT_ENSURE(spki->alg == MT_OID_RSA_ENCRYPTION || spki->alg == MT_OID_RSASSA_PSS,
                  MT_ERR_VERIFY);
        MT_TRY_GOTO(mt_rsa_export_public_der(key->rsa, &der));
        MT_TRY_GOTO(mt_x509_spki_parse(&mine, der.data, der.len));
        MT_ENSURE_GOTO(slice_eq(mine.rsa_n, spki->rsa_n) && slice_eq(mine.rsa_e, spki->rsa_e),
                       MT_ERR_VERIFY);
    out:
        mt_buf_free(&der);
        return rc;
    }
    default:
        return MT_ERR_UNSUPPORTED;
    }
}
