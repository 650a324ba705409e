/*
 * ec.c - P-256, P-384, P-521: key import and validation, ECDH, ECDSA. Contract in ec.h.
 *
 * Notes:
 * - libtomcrypt 1.18 does the scalar multiplications (ltc_mp.ecc_ptmul, i.e.
 *   ltc_ecc_mulmod) and ECDSA (ecc_sign_hash, ecc_verify_hash_rfc7518). This file does
 *   what 1.18 does not: import of a raw private scalar (range-checked, public point
 *   computed), validation of every peer point (04 form, coordinates < p,
 *   y^2 = x^3 - 3x + b mod p; 1.18's ecc_ansi_x963_import checks none of this: on Debian's
 *   1.18.2 it accepts an off-curve point and coordinates >= p), a strict DER signature
 *   parser, and digest truncation. Math goes through the ltc_mp descriptor, so the same
 *   code runs on libtommath or GMP (`make MATH=gmp`).
 * - An mt_ec_key wraps an ecc_key: idx/dp name the curve in ltc_ecc_sets ("ECC-256",
 *   "ECC-384", "ECC-521"), pubkey is affine (z = 1), k is the private scalar (0 for a public
 *   key). It is never modified after creation.
 * - ECDSA nonce (how to pin it): Debian's 1.18.2 ecc_sign_hash makes two draws of
 *   field_len bytes (32/48/66) from the PRNG, which is bound to the mt_rng with purpose
 *   "ecdsa_nonce". The first is the nonce: ecc_make_key_ex reads it big-endian as k and
 *   reduces it mod n when k >= n. The second is a blinding factor b for computing
 *   s = b(e + dr) / (bk) (the "with blinding" of its build settings), drawn again while
 *   b >= n; it does not change (r, s). So an rng that returns k left-padded to field_len
 *   bytes, then any field_len bytes below n, makes the signature use exactly k: the
 *   RFC 6979 known-answer tests do this and check that two different second draws give
 *   the same signature. If r or s comes out 0, 1.18 draws again. The reduction biases k
 *   by < 2^-30 for P-256 / P-384 and < 2^-250 for P-521 (66 bytes over a 521-bit n gives
 *   ~128 preimages per value).
 * - Digests longer than the order are truncated to its bit length before they reach
 *   libtomcrypt (FIPS 186-4 6.4, RFC 6979 2.3.2 bits2int): the leftmost 256 / 384 bits.
 *   P-521's 521-bit n is longer than any digest we sign, so it never truncates.
 * - Timing: with LTC_ECC_TIMING_RESISTANT (on in Debian's build: "ECC (with blinding)")
 *   scalar multiplication is a Montgomery ladder with one add and one double per bit, but
 *   the big-number arithmetic underneath (libtommath or GMP) is not constant-time, the
 *   ladder's table index depends on the key bit, and the nonce inversion (mp_invmod) and
 *   signing arithmetic are variable-time. Point validation, verification and DER parsing
 *   handle public data only. Treat ECDH and signing as not side-channel hardened.
 * - Secrets: libtommath zeroes digits on mp_clear; GMP does not, so the private scalar is
 *   overwritten with zero before release, but GMP temporaries are left to the allocator.
 */
#include "ec.h"
#include "../buf/buf.h"
#include "../internal.h"
#include "rng_ltc.h"

#include <stdlib.h>
#include <string.h>
#include <tomcrypt.h>

#define EC_MAX_FIELD 66
#define EC_MAX_POINT (1 + 2 * EC_MAX_FIELD)
#define EC_KEYGEN_TRIES 64

typedef struct {
    int curve;        /* TLS NamedGroup */
    size_t flen;      /* field and scalar size in bytes */
    unsigned qbits;   /* bit length of the order n */
    const char *name; /* ltc_ecc_sets name */
} curve_def;

static const curve_def curves[] = {
    {MT_EC_P256, 32, 256, "ECC-256"},
    {MT_EC_P384, 48, 384, "ECC-384"},
    {MT_EC_P521, 66, 521, "ECC-521"},
};

struct mt_ec_key {
    const curve_def *cd;
    ecc_key k;
};

static const curve_def *curve_find(int curve)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(curves); i++)
        if (curves[i].curve == curve) return &curves[i];
    return NULL;
}

static int ltc_to_mt(int err)
{
    switch (err) {
    case CRYPT_OK:
        return 0;
    case CRYPT_MEM:
        return MT_ERR_NO_MEMORY;
    default:
        return MT_ERR_CRYPTO;
    }
}

/* The ltc_ecc_sets entry of a curve; its index is what ecc_key.idx holds. */
static int curve_set(const curve_def *cd, int *idx)
{
    for (int i = 0; ltc_ecc_sets[i].size != 0; i++) {
        if (strcmp(ltc_ecc_sets[i].name, cd->name) == 0 &&
            (size_t)ltc_ecc_sets[i].size == cd->flen) {
            *idx = i;
            return 0;
        }
    }
    return MT_ERR_UNSUPPORTED;
}

size_t mt_ec_field_len(int curve)
{
    const curve_def *cd = curve_find(curve);
    return cd ? cd->flen : 0;
}

/* Allocate a key shell for a curve with initialised (zero) big numbers. */
static int key_new(mt_ec_key **out, const curve_def *cd)
{
    int idx;
    MT_TRY(curve_set(cd, &idx));
    mt_ec_key *key = calloc(1, sizeof *key);
    MT_ENSURE(key != NULL, MT_ERR_NO_MEMORY);
    key->cd = cd;
    key->k.idx = idx;
    key->k.dp = &ltc_ecc_sets[idx];
    key->k.type = PK_PUBLIC;
    if (ltc_init_multi(&key->k.pubkey.x, &key->k.pubkey.y, &key->k.pubkey.z, &key->k.k, NULL) !=
        CRYPT_OK) {
        free(key);
        return MT_ERR_NO_MEMORY;
    }
    *out = key;
    return 0;
}

void mt_ec_free(mt_ec_key *key)
{
    if (key == NULL) return;
    /* GMP frees limbs without clearing them: overwrite the scalar first (see notes). */
    uint8_t zero[EC_MAX_FIELD] = {0};
    if (key->k.k != NULL) ltc_mp.unsigned_read(key->k.k, zero, (unsigned long)key->cd->flen);
    ltc_deinit_multi(key->k.pubkey.x, key->k.pubkey.y, key->k.pubkey.z, key->k.k, NULL);
    mt_wipe(key, sizeof *key);
    free(key);
}

int mt_ec_curve(const mt_ec_key *key)
{
    return key ? key->cd->curve : 0;
}

int mt_ec_is_private(const mt_ec_key *key)
{
    return key != NULL && key->k.type == PK_PRIVATE;
}

/* Read one of the curve's hex constants (prime, B, order, Gx, Gy) into a. */
static int load_hex(void *a, const char *hex)
{
    return ltc_to_mt(ltc_mp.read_radix(a, hex, 16));
}

/* RFC 8446 4.2.8.2, NIST SP 800-56A 5.6.2.3.4: a peer point must have coordinates in
 * [0, p-1] and satisfy the curve equation y^2 = x^3 - 3x + b (mod p). An affine point
 * cannot be the point at infinity (whose X9.62 encoding, the single byte 00, fails the
 * length check before this). Prime-order curves need no subgroup check (cofactor 1). */
static int point_check(const ltc_ecc_set_type *dp, void *x, void *y)
{
    void *p = NULL, *b = NULL, *lhs = NULL, *rhs = NULL, *t = NULL;
    int rc = 0;
    MT_ENSURE(ltc_init_multi(&p, &b, &lhs, &rhs, &t, NULL) == CRYPT_OK, MT_ERR_NO_MEMORY);
    MT_TRY_GOTO(load_hex(p, dp->prime));
    MT_TRY_GOTO(load_hex(b, dp->B));
    MT_ENSURE_GOTO(ltc_mp.compare(x, p) == LTC_MP_LT && ltc_mp.compare(y, p) == LTC_MP_LT,
                   MT_ERR_ILLEGAL_PARAM);
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.sqrmod(y, p, lhs)));      /* y^2 */
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.sqrmod(x, p, rhs)));      /* x^2 */
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.mulmod(rhs, x, p, rhs))); /* x^3 */
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.muli(x, 3, t)));          /* 3x */
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.submod(rhs, t, p, rhs))); /* x^3 - 3x */
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.addmod(rhs, b, p, rhs))); /* x^3 - 3x + b */
    MT_ENSURE_GOTO(ltc_mp.compare(lhs, rhs) == LTC_MP_EQ, MT_ERR_ILLEGAL_PARAM);
out:
    ltc_deinit_multi(p, b, lhs, rhs, t, NULL);
    return rc;
}

/* Decode 04 || X || Y into x, y (RFC 8446 4.2.8.2: the only form TLS 1.3 allows;
 * RFC 8422 5.1.2 makes it the only one 1.2 peers may send too) and validate it. */
static int point_decode(const curve_def *cd, const ltc_ecc_set_type *dp, const uint8_t *pt,
                        size_t len, void *x, void *y)
{
    MT_ENSURE(pt != NULL && len == 1 + 2 * cd->flen && pt[0] == 0x04, MT_ERR_DECODE);
    MT_TRY(ltc_to_mt(ltc_mp.unsigned_read(x, (unsigned char *)pt + 1, (unsigned long)cd->flen)));
    MT_TRY(ltc_to_mt(
        ltc_mp.unsigned_read(y, (unsigned char *)pt + 1 + cd->flen, (unsigned long)cd->flen)));
    return point_check(dp, x, y);
}

int mt_ec_import_public(mt_ec_key **out, int curve, const uint8_t *point, size_t len)
{
    MT_TRY(mt_crypto_init());
    MT_ENSURE(out != NULL, MT_ERR_BAD_PARAM);
    const curve_def *cd = curve_find(curve);
    MT_ENSURE(cd != NULL, MT_ERR_UNSUPPORTED);
    mt_ec_key *key = NULL;
    int rc = 0;
    MT_TRY(key_new(&key, cd));
    MT_TRY_GOTO(point_decode(cd, key->k.dp, point, len, key->k.pubkey.x, key->k.pubkey.y));
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.set_int(key->k.pubkey.z, 1)));
    *out = key;
    key = NULL;
out:
    mt_ec_free(key);
    return rc;
}

/* d = scalar, checked 1 <= d < n; pubkey = d * G. MT_ERR_BAD_PARAM when out of range. */
static int key_set_private(mt_ec_key *key, const uint8_t *scalar, size_t len)
{
    const ltc_ecc_set_type *dp = key->k.dp;
    void *n = NULL, *prime = NULL;
    ecc_point *g = NULL;
    int rc = 0;
    MT_ENSURE(ltc_init_multi(&n, &prime, NULL) == CRYPT_OK, MT_ERR_NO_MEMORY);
    g = ltc_ecc_new_point();
    MT_ENSURE_GOTO(g != NULL, MT_ERR_NO_MEMORY);
    MT_TRY_GOTO(load_hex(n, dp->order));
    MT_TRY_GOTO(load_hex(prime, dp->prime));
    MT_TRY_GOTO(
        ltc_to_mt(ltc_mp.unsigned_read(key->k.k, (unsigned char *)scalar, (unsigned long)len)));
    /* SEC 1 3.2.1 / FIPS 186-4 B.4: the private key is an integer in [1, n-1]. */
    MT_ENSURE_GOTO(ltc_mp.compare_d(key->k.k, 0) == LTC_MP_GT &&
                       ltc_mp.compare(key->k.k, n) == LTC_MP_LT,
                   MT_ERR_BAD_PARAM);
    MT_TRY_GOTO(load_hex(g->x, dp->Gx));
    MT_TRY_GOTO(load_hex(g->y, dp->Gy));
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.set_int(g->z, 1)));
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.ecc_ptmul(key->k.k, g, &key->k.pubkey, prime, 1)));
    key->k.type = PK_PRIVATE;
out:
    if (g != NULL) ltc_ecc_del_point(g);
    ltc_deinit_multi(n, prime, NULL);
    return rc;
}

int mt_ec_import_private(mt_ec_key **out, int curve, const uint8_t *scalar, size_t len)
{
    MT_TRY(mt_crypto_init());
    MT_ENSURE(out != NULL && (scalar != NULL || len == 0), MT_ERR_BAD_PARAM);
    const curve_def *cd = curve_find(curve);
    MT_ENSURE(cd != NULL, MT_ERR_UNSUPPORTED);
    mt_ec_key *key = NULL;
    int rc = 0;
    MT_TRY(key_new(&key, cd));
    MT_TRY_GOTO(key_set_private(key, scalar, len));
    *out = key;
    key = NULL;
out:
    mt_ec_free(key);
    return rc;
}

int mt_ec_generate(mt_ec_key **out, int curve, const mt_rng *rng, const char *purpose)
{
    MT_TRY(mt_crypto_init());
    MT_ENSURE(out != NULL, MT_ERR_BAD_PARAM);
    const curve_def *cd = curve_find(curve);
    MT_ENSURE(cd != NULL, MT_ERR_UNSUPPORTED);
    uint8_t buf[EC_MAX_FIELD];
    mt_ec_key *key = NULL;
    int rc = 0;
    MT_TRY(key_new(&key, cd));
    /* FIPS 186-4 B.4.2 (testing candidates): draw qbits random bits, keep them if the
     * value is in [1, n-1], else draw again. One draw of field_len bytes per try, so a
     * pinned rng that returns d left-padded makes the key d. */
    rc = MT_ERR_CRYPTO; /* a generator that never yields a valid scalar */
    for (int i = 0; i < EC_KEYGEN_TRIES && rc == MT_ERR_CRYPTO; i++) {
        MT_TRY_GOTO(mt_rng_bytes(rng, purpose ? purpose : "ec_keygen", buf, cd->flen));
        if (cd->qbits % 8) buf[0] &= (uint8_t)((1u << (cd->qbits % 8)) - 1);
        rc = key_set_private(key, buf, cd->flen);
        if (rc == MT_ERR_BAD_PARAM) rc = MT_ERR_CRYPTO;
    }
    MT_TRY_GOTO(rc);
    *out = key;
    key = NULL;
out:
    mt_wipe(buf, sizeof buf);
    mt_ec_free(key);
    return rc;
}

/* Big-endian, left-padded to exactly n bytes (a < 256^n). */
static int write_padded(void *a, uint8_t *out, size_t n)
{
    size_t len = ltc_mp.unsigned_size(a);
    MT_ENSURE(len <= n, MT_ERR_CRYPTO);
    memset(out, 0, n - len);
    return ltc_to_mt(ltc_mp.unsigned_write(a, out + (n - len)));
}

int mt_ec_export_public(const mt_ec_key *key, uint8_t *out, size_t *len)
{
    MT_ENSURE(key != NULL && out != NULL && len != NULL, MT_ERR_BAD_PARAM);
    size_t f = key->cd->flen;
    out[0] = 0x04;
    MT_TRY(write_padded(key->k.pubkey.x, out + 1, f));
    MT_TRY(write_padded(key->k.pubkey.y, out + 1 + f, f));
    *len = 1 + 2 * f;
    return 0;
}

int mt_ec_export_private(const mt_ec_key *key, uint8_t *out, size_t *len)
{
    MT_ENSURE(mt_ec_is_private(key) && out != NULL && len != NULL, MT_ERR_BAD_PARAM);
    MT_TRY(write_padded(key->k.k, out, key->cd->flen));
    *len = key->cd->flen;
    return 0;
}

int mt_ecdh(const mt_ec_key *priv, const uint8_t *peer, size_t peer_len, uint8_t *out,
            size_t *out_len)
{
    MT_TRY(mt_crypto_init());
    MT_ENSURE(mt_ec_is_private(priv) && out != NULL && out_len != NULL, MT_ERR_BAD_PARAM);
    const curve_def *cd = priv->cd;
    const ltc_ecc_set_type *dp = priv->k.dp;
    ecc_point *q = NULL, *r = NULL;
    void *prime = NULL;
    int rc = 0;
    MT_ENSURE(ltc_mp.init(&prime) == CRYPT_OK, MT_ERR_NO_MEMORY);
    q = ltc_ecc_new_point();
    r = ltc_ecc_new_point();
    MT_ENSURE_GOTO(q != NULL && r != NULL, MT_ERR_NO_MEMORY);
    MT_TRY_GOTO(point_decode(cd, dp, peer, peer_len, q->x, q->y));
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.set_int(q->z, 1)));
    MT_TRY_GOTO(load_hex(prime, dp->prime));
    MT_TRY_GOTO(ltc_to_mt(ltc_mp.ecc_ptmul(priv->k.k, q, r, prime, 1)));
    /* RFC 8446 7.4.2: the shared secret is the x-coordinate, field_len bytes, left-padded
     * (the FE2OSP of SEC 1 / IEEE 1363 ECSVDP-DH). */
    MT_TRY_GOTO(write_padded(r->x, out, cd->flen));
    *out_len = cd->flen;
out:
    if (r != NULL) {
        uint8_t zero[EC_MAX_FIELD] = {0};
        ltc_mp.unsigned_read(r->x, zero, (unsigned long)cd->flen); /* the shared secret */
        ltc_ecc_del_point(r);
    }
    if (q != NULL) ltc_ecc_del_point(q);
    ltc_mp.deinit(prime);
    return rc;
}

/* bits2int (RFC 6979 2.3.2, FIPS 186-4 6.4): keep the leftmost qbits of the digest. Our
 * curves have qbits % 8 == 0 (P-256, P-384) or qbits above any digest length (P-521), so
 * truncation is a prefix of whole bytes. */
static size_t digest_use_len(const curve_def *cd, size_t digest_len)
{
    return digest_len * 8 > cd->qbits ? cd->qbits / 8 : digest_len;
}

int mt_ecdsa_sign(const mt_ec_key *key, const uint8_t *digest, size_t digest_len, const mt_rng *rng,
                  uint8_t *sig, size_t *sig_len)
{
    MT_TRY(mt_crypto_init());
    MT_ENSURE(mt_ec_is_private(key) && sig != NULL && sig_len != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(digest != NULL && digest_len > 0 && digest_len <= MT_HASH_MAX_LEN, MT_ERR_BAD_PARAM);
    prng_state ps;
    int wprng;
    MT_TRY(mt_rng_ltc_bind(&ps, &wprng, rng, "ecdsa_nonce"));
    unsigned long outlen = (unsigned long)*sig_len;
    /* ecc_sign_hash only reads the key; the cast drops const for its prototype. It emits
     * DER SEQUENCE { r INTEGER, s INTEGER } (der_encode_sequence_multi). */
    int err = ecc_sign_hash(digest, (unsigned long)digest_use_len(key->cd, digest_len), sig,
                            &outlen, &ps, wprng, (ecc_key *)&key->k);
    mt_wipe(&ps, sizeof ps);
    if (err == CRYPT_BUFFER_OVERFLOW) return MT_ERR_LIMIT;
    MT_TRY(ltc_to_mt(err));
    *sig_len = (size_t)outlen;
    return 0;
}

/* One DER INTEGER, strictly (X.690 8.3, 10.1): short-form length, minimal encoding,
 * positive; its value copied left-padded into out[0..n). Returns 0 or MT_ERR_VERIFY. */
static int der_uint(mt_reader *r, uint8_t *out, size_t n)
{
    uint8_t tag, len;
    mt_slice v;
    MT_ENSURE(mt_rd_u8(r, &tag) == 0 && tag == 0x02, MT_ERR_VERIFY);
    MT_ENSURE(mt_rd_u8(r, &len) == 0 && len >= 1 && len < 0x80, MT_ERR_VERIFY);
    MT_ENSURE(mt_rd_bytes(r, len, &v) == 0, MT_ERR_VERIFY);
    MT_ENSURE((v.p[0] & 0x80) == 0, MT_ERR_VERIFY);                                /* negative */
    MT_ENSURE(!(v.len > 1 && v.p[0] == 0 && (v.p[1] & 0x80) == 0), MT_ERR_VERIFY); /* padded */
    if (v.p[0] == 0) {
        v.p++;
        v.len--;
    }
    MT_ENSURE(v.len <= n, MT_ERR_VERIFY);
    memset(out, 0, n - v.len);
    memcpy(out + (n - v.len), v.p, v.len);
    return 0;
}

/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 8446 4.2.3, RFC 5480 2.2.3)
 * into r || s, each qlen bytes. Any BER laxity (long-form lengths that fit the short
 * form, padding, trailing bytes) is refused: a signature has one encoding. */
static int der_sig_parse(const uint8_t *sig, size_t sig_len, uint8_t *rs, size_t qlen)
{
    mt_reader r, body;
    uint8_t tag, len0;
    size_t body_len;
    mt_rd_init(&r, sig, sig_len);
    MT_ENSURE(mt_rd_u8(&r, &tag) == 0 && tag == 0x30, MT_ERR_VERIFY);
    MT_ENSURE(mt_rd_u8(&r, &len0) == 0, MT_ERR_VERIFY);
    if (len0 < 0x80) {
        body_len = len0;
    } else {
        uint8_t len1;
        /* Only 0x81 can occur (the body is under 256 bytes), and only for >= 128. */
        MT_ENSURE(len0 == 0x81 && mt_rd_u8(&r, &len1) == 0 && len1 >= 0x80, MT_ERR_VERIFY);
        body_len = len1;
    }
    MT_ENSURE(mt_rd_left(&r) == body_len, MT_ERR_VERIFY);
    mt_rd_init(&body, sig + mt_rd_pos(&r), body_len);
    MT_TRY(der_uint(&body, rs, qlen));
    MT_TRY(der_uint(&body, rs + qlen, qlen));
    MT_ENSURE(mt_rd_done(&body) == 0, MT_ERR_VERIFY);
    return 0;
}

int mt_ecdsa_verify(const mt_ec_key *key, const uint8_t *digest, size_t digest_len,
                    const uint8_t *sig, size_t sig_len)
{
    MT_TRY(mt_crypto_init());
    MT_ENSURE(key != NULL && digest != NULL && digest_len > 0 && digest_len <= MT_HASH_MAX_LEN,
              MT_ERR_BAD_PARAM);
    MT_ENSURE(sig != NULL, MT_ERR_VERIFY);
    size_t qlen = (key->cd->qbits + 7) / 8;
    uint8_t rs[2 * EC_MAX_FIELD];
    MT_TRY(der_sig_parse(sig, sig_len, rs, qlen));
    int stat = 0;
    /* 1.18 checks 0 < r, s < n (FIPS 186-4 6.4.2 step 1) before the arithmetic and
     * reports a value outside as CRYPT_INVALID_PACKET. */
    int err = ecc_verify_hash_rfc7518(rs, (unsigned long)(2 * qlen), digest,
                                      (unsigned long)digest_use_len(key->cd, digest_len), &stat,
                                      (ecc_key *)&key->k);
    if (err == CRYPT_MEM) return MT_ERR_NO_MEMORY;
    return err == CRYPT_OK && stat == 1 ? 0 : MT_ERR_VERIFY;
}
