/*
 * rsa.c - RSA keys, PKCS#1 v1.5 and PSS signatures, PKCS#1 v1.5 encryption and the TLS
 * pre-master secret decryption with implicit rejection. See rsa.h.
 *
 * Notes:
 * - libtomcrypt holds the key (rsa_key), imports DER and raw components, generates keys,
 *   does PSS encoding/decoding and PKCS#1 v1.5 encryption padding. The RSA operations
 *   themselves are here, over libtomcrypt's math descriptor (ltc_mp: libtommath, or GMP
 *   with MATH=gmp), for two reasons:
 *   1. libtomcrypt's own rsa_exptmod blinds with ltc_mp.rand, which is libtommath's
 *      mp_rand (reads the system RNG behind our back) or GMP's mpz_random (a fixed-seed,
 *      non-cryptographic, process-global generator - predictable and not thread-safe).
 *      Ours draws the blinding from the caller's mt_rng ("rsa_blinding").
 *   2. PKCS#1 v1.5 verification is done the strict way, RFC 8017 8.2.2 steps 3-4: encode
 *      the expected block and compare all of it, instead of parsing the DigestInfo with a
 *      DER decoder (the route of every Bleichenbacher-2006-style forgery).
 * - Private operation (RFC 8017 5.1.2, CRT form 2.b): c' = c * r^e (base blinding, r
 *   random mod n); d_p' = d_p + k1 (p-1), d_q' = d_q + k2 (q-1) with 64-bit random k1, k2
 *   (exponent blinding: each call uses a different exponent bit pattern); Garner's
 *   recombination; unblind with r^-1; then check s^e == c, so a computation fault never
 *   leaves the function (Boneh-DeMillo-Lipton: one faulty CRT signature factors n).
 * - What is and is not constant-time. libtommath's mp_exptmod (Montgomery, sliding
 *   window) and GMP's mpz_powm are NOT constant-time: window table lookups are
 *   secret-indexed (cache), the Montgomery final subtraction is conditional, and every
 *   libtommath routine runs in time proportional to its operands' significant digit
 *   counts, which are clamped. Blinding makes the exponentiation inputs and exponents
 *   independent of the attacker's ciphertext and fresh on each call, which defeats the
 *   classic chosen-ciphertext timing attacks (Kocher, Brumley-Boneh), but not a
 *   single-trace cache attack on the exponentiation. After unblinding, the plaintext
 *   block is a bignum again: its digit count, and so the time of the final mulmod and of
 *   the conversion to bytes, depends on how many leading zero bytes it has. That is a
 *   small timing signal about the decrypted block's top bytes (the Marvin attack's class)
 *   which this code cannot remove without a constant-time bignum library. Everything
 *   after the conversion (mt_rsa_pms_from_em) is branch-free and checked under valgrind.
 * - Secret bignums are wiped before release (limbs overwritten, for both libtommath and
 *   GMP). Copies the math libraries leave behind (realloc while growing, GMP's scratch
 *   space) are outside our reach.
 */
#include "rsa.h"
#include "buf/buf.h"
#include "internal.h"
#include "rng_ltc.h"

#include <stdlib.h>
#include <tomcrypt.h>
#ifdef MT_MATH_GMP
#include <gmp.h>
#else
#include <tommath.h>
#endif

struct mt_rsa_key {
    rsa_key k;          /* libtomcrypt's key; type PK_PRIVATE iff all CRT values are present */
    size_t size;        /* modulus bytes */
    unsigned long bits; /* modulus bits */
    int priv;
};

/* ---- small helpers ---- */

static int ltc_rc(int err)
{
    if (err == CRYPT_OK) return MT_OK;
    if (err == CRYPT_MEM) return MT_ERR_NO_MEMORY;
    return MT_ERR_CRYPTO;
}

/* Overwrite a bignum's limbs, then release it. */
static void bn_free(void *a)
{
    if (a == NULL) return;
#ifdef MT_MATH_GMP
    mpz_ptr z = a;
    if (z->_mp_alloc > 0) mt_wipe(z->_mp_d, (size_t)z->_mp_alloc * sizeof(mp_limb_t));
#else
    mp_int *z = a;
    if (z->dp != NULL && z->alloc > 0) mt_wipe(z->dp, (size_t)z->alloc * sizeof(mp_digit));
#endif
    ltc_mp.deinit(a);
}

/* Write a (< 2^(8n)) as exactly n big-endian bytes. */
static int bn_write_fixed(void *a, uint8_t *out, size_t n)
{
    size_t len = ltc_mp.unsigned_size(a);
    MT_ENSURE(len <= n, MT_ERR_CRYPTO);
    memset(out, 0, n - len);
    return ltc_rc(ltc_mp.unsigned_write(a, out + (n - len)));
}

static int hash_index(mt_hash_id h)
{
    const char *name = mt_hash_name(h);
    return name ? find_hash(name) : -1;
}

/* ---- keys ---- */

static int key_alloc(mt_rsa_key **out)
{
    MT_ENSURE(out != NULL, MT_ERR_BAD_PARAM);
    *out = NULL;
    MT_TRY(mt_crypto_init());
    *out = calloc(1, sizeof **out);
    MT_ENSURE(*out != NULL, MT_ERR_NO_MEMORY);
    return MT_OK;
}

static void key_wipe_fields(rsa_key *k)
{
    void *f[] = {k->e, k->d, k->N, k->p, k->q, k->qP, k->dP, k->dQ};
    for (size_t i = 0; i < MT_ARRAY_LEN(f); i++) {
        if (f[i] == NULL) continue;
#ifdef MT_MATH_GMP
        mpz_ptr z = f[i];
        if (z->_mp_alloc > 0) mt_wipe(z->_mp_d, (size_t)z->_mp_alloc * sizeof(mp_limb_t));
#else
        mp_int *z = f[i];
        if (z->dp != NULL && z->alloc > 0) mt_wipe(z->dp, (size_t)z->alloc * sizeof(mp_digit));
#endif
    }
}

/* Checks shared by every way a key comes in; sets size, bits and priv. A key is private
 * only with all CRT values, since the private operation is CRT-only. */
static int key_finish(mt_rsa_key *key)
{
    rsa_key *k = &key->k;
    int bits = ltc_mp.count_bits(k->N);
    MT_ENSURE(bits >= MT_RSA_MIN_BITS && bits <= MT_RSA_MAX_BITS, MT_ERR_UNSUPPORTED);
    /* n and e must be odd and e > 1; anything else is not an RSA key. */
    MT_ENSURE(ltc_mp.count_lsb_bits(k->N) == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(ltc_mp.count_lsb_bits(k->e) == 0 && ltc_mp.compare_d(k->e, 1) == LTC_MP_GT,
              MT_ERR_BAD_PARAM);
    MT_ENSURE(ltc_mp.compare(k->e, k->N) == LTC_MP_LT, MT_ERR_BAD_PARAM);
    key->bits = (unsigned long)bits;
    key->size = ((size_t)bits + 7) / 8;
    key->priv = 0;
    if (k->type != PK_PRIVATE) return MT_OK;
    void *crt[] = {k->p, k->q, k->dP, k->dQ, k->qP};
    for (size_t i = 0; i < MT_ARRAY_LEN(crt); i++)
        MT_ENSURE(crt[i] != NULL && ltc_mp.compare_d(crt[i], 0) == LTC_MP_GT, MT_ERR_BAD_PARAM);
    /* p q == n, or the CRT values belong to another key. */
    void *t = NULL;
    MT_TRY(ltc_rc(ltc_mp.init(&t)));
    int rc = ltc_rc(ltc_mp.mul(k->p, k->q, t));
    if (rc == MT_OK && ltc_mp.compare(t, k->N) != LTC_MP_EQ) rc = MT_ERR_BAD_PARAM;
    bn_free(t);
    MT_TRY(rc);
    key->priv = 1;
    return MT_OK;
}

void mt_rsa_free(mt_rsa_key *key)
{
    if (key == NULL) return;
    key_wipe_fields(&key->k);
    rsa_free(&key->k);
    mt_wipe(key, sizeof *key);
    free(key);
}

int mt_rsa_import_der(mt_rsa_key **out, const uint8_t *der, size_t len)
{
    MT_ENSURE(out != NULL && (der != NULL || len == 0), MT_ERR_BAD_PARAM);
    *out = NULL;
    /* libtomcrypt aborts the process (LTC_ARGCHK) on a zero length: refuse it here. */
    MT_ENSURE(len > 0, MT_ERR_DECODE);
    MT_TRY(key_alloc(out));
    mt_rsa_key *key = *out;
    int err = rsa_import(der, (unsigned long)len, &key->k);
    if (err != CRYPT_OK) {
        free(key);
        *out = NULL;
        return err == CRYPT_MEM ? MT_ERR_NO_MEMORY : MT_ERR_DECODE;
    }
    int rc = key_finish(key);
    if (rc != MT_OK) {
        mt_rsa_free(key);
        *out = NULL;
    }
    return rc;
}

int mt_rsa_import_raw(mt_rsa_key **out, const uint8_t *n, size_t n_len, const uint8_t *e,
                      size_t e_len, const uint8_t *d, size_t d_len, const uint8_t *p, size_t p_len,
                      const uint8_t *q, size_t q_len, const uint8_t *dp, size_t dp_len,
                      const uint8_t *dq, size_t dq_len, const uint8_t *qinv, size_t qinv_len)
{
    MT_ENSURE(n != NULL && n_len > 0 && e != NULL && e_len > 0, MT_ERR_BAD_PARAM);
    int priv = d != NULL && d_len > 0;
    /* A private key needs every CRT value; a public key passes none of them. */
    int crt = (p && p_len) + (q && q_len) + (dp && dp_len) + (dq && dq_len) + (qinv && qinv_len);
    MT_ENSURE(priv ? crt == 5 : crt == 0, MT_ERR_BAD_PARAM);
    MT_TRY(key_alloc(out));
    mt_rsa_key *key = *out;
    rsa_key *k = &key->k;
    /* rsa_set_key allocates every field (zero) and frees them itself on failure. */
    int rc = ltc_rc(rsa_set_key(n, (unsigned long)n_len, e, (unsigned long)e_len, priv ? d : NULL,
                                priv ? (unsigned long)d_len : 0, k));
    if (rc != MT_OK) {
        free(key);
        *out = NULL;
        return rc;
    }
    if (priv)
        MT_TRY_GOTO(ltc_rc(rsa_set_factors(p, (unsigned long)p_len, q, (unsigned long)q_len, k)));
    if (priv)
        MT_TRY_GOTO(ltc_rc(rsa_set_crt_params(dp, (unsigned long)dp_len, dq, (unsigned long)dq_len,
                                              qinv, (unsigned long)qinv_len, k)));
    MT_TRY_GOTO(key_finish(key));
    return MT_OK;
out:
    mt_rsa_free(key);
    *out = NULL;
    return rc;
}

int mt_rsa_generate(mt_rsa_key **out, unsigned bits, const mt_rng *rng)
{
    MT_ENSURE(bits % 16 == 0 && bits >= 1024 && bits <= 4096, MT_ERR_BAD_PARAM);
    MT_TRY(key_alloc(out));
    mt_rsa_key *key = *out;
    prng_state ps;
    int idx, rc;
    MT_TRY_GOTO(mt_rng_ltc_bind(&ps, &idx, rng, "rsa_keygen"));
    /* Candidate primes come from rng; libtomcrypt's primality witnesses come from the
     * math library's own generator, which only affects the (negligible) chance of a
     * composite slipping through, never which key is produced. */
    rc = rsa_make_key(&ps, idx, (int)(bits / 8), 65537, &key->k);
    if (rc != CRYPT_OK) {
        free(key);
        *out = NULL;
        return ltc_rc(rc);
    }
    MT_TRY_GOTO(key_finish(key));
    return MT_OK;
out:
    if (key->k.N != NULL) {
        mt_rsa_free(key);
    } else {
        free(key);
    }
    *out = NULL;
    return rc;
}

size_t mt_rsa_size(const mt_rsa_key *key)
{
    return key ? key->size : 0;
}

int mt_rsa_is_private(const mt_rsa_key *key)
{
    return key ? key->priv : 0;
}

int mt_rsa_export_public_der(const mt_rsa_key *key, struct mt_buf *out)
{
    MT_ENSURE(key != NULL && out != NULL, MT_ERR_BAD_PARAM);
    /* SubjectPublicKeyInfo: a few dozen bytes of framing around n and e. */
    unsigned long len = (unsigned long)(2 * key->size + 64);
    uint8_t *tmp = malloc(len);
    MT_ENSURE(tmp != NULL, MT_ERR_NO_MEMORY);
    int rc = ltc_rc(rsa_export(tmp, &len, PK_PUBLIC | PK_STD, (rsa_key *)&key->k));
    if (rc == MT_OK) rc = mt_buf_append(out, tmp, len);
    free(tmp);
    return rc;
}

/* ---- the RSA primitives (RFC 8017 5.1.2 / 5.2.2) ---- */

static int rsa_public(const mt_rsa_key *key, const uint8_t *in, uint8_t *out)
{
    const rsa_key *k = &key->k;
    void *x = NULL;
    int rc;
    MT_TRY(ltc_rc(ltc_mp.init(&x)));
    MT_TRY_GOTO(ltc_rc(ltc_mp.unsigned_read(x, (unsigned char *)in, (unsigned long)key->size)));
    /* RFC 8017 5.2.2 step 1: the representative must be in [0, n-1]. */
    MT_ENSURE_GOTO(ltc_mp.compare(x, k->N) == LTC_MP_LT, MT_ERR_BAD_PARAM);
    MT_TRY_GOTO(ltc_rc(ltc_mp.exptmod(x, k->e, k->N, x)));
    MT_TRY_GOTO(bn_write_fixed(x, out, key->size));
out:
    bn_free(x);
    return rc;
}

enum { V_C, V_R, V_RI, V_X, V_M1, V_M2, V_DP, V_DQ, V_T, V_COUNT };

/* in (size bytes, < n) ^ d mod n into out (size bytes). See the notes at the top. */
static int rsa_private(const mt_rsa_key *key, const uint8_t *in, const mt_rng *rng, uint8_t *out)
{
    rsa_key *k = (rsa_key *)&key->k; /* libtomcrypt's math takes non-const; only read */
    void *v[V_COUNT] = {0};
    uint8_t rnd[MT_RSA_MAX_BYTES + 8];
    size_t n = key->size;
    int rc = MT_OK;
    MT_ENSURE(key->priv, MT_ERR_BAD_PARAM);
    for (int i = 0; i < V_COUNT; i++)
        MT_TRY_GOTO(ltc_rc(ltc_mp.init(&v[i])));
#define BN(call) MT_TRY_GOTO(ltc_rc(call))
    BN(ltc_mp.unsigned_read(v[V_C], (unsigned char *)in, (unsigned long)n));
    /* RFC 8017 5.1.2 step 1: the representative must be in [0, n-1]. */
    MT_ENSURE_GOTO(ltc_mp.compare(v[V_C], k->N) == LTC_MP_LT, MT_ERR_BAD_PARAM);

    /* Base blinding: r uniform enough mod n (8 extra bytes make the bias < 2^-64). An r
     * without inverse (0, or sharing a factor with n) makes invmod fail: probability
     * about 2^-(bits/2), reported as a crypto failure rather than retried. */
    MT_TRY_GOTO(mt_rng_bytes(rng, "rsa_blinding", rnd, n + 8));
    BN(ltc_mp.unsigned_read(v[V_R], rnd, (unsigned long)(n + 8)));
    BN(ltc_mp.mpdiv(v[V_R], k->N, NULL, v[V_R]));
    BN(ltc_mp.invmod(v[V_R], k->N, v[V_RI]));
    BN(ltc_mp.exptmod(v[V_R], k->e, k->N, v[V_T]));
    BN(ltc_mp.mulmod(v[V_C], v[V_T], k->N, v[V_X]));

    /* Exponent blinding: d_p + k1 (p - 1) is congruent to d_p mod p - 1. */
    MT_TRY_GOTO(mt_rng_bytes(rng, "rsa_blinding", rnd, 16));
    BN(ltc_mp.subi(k->p, 1, v[V_T]));
    BN(ltc_mp.unsigned_read(v[V_DP], rnd, 8));
    BN(ltc_mp.mul(v[V_DP], v[V_T], v[V_DP]));
    BN(ltc_mp.add(v[V_DP], k->dP, v[V_DP]));
    BN(ltc_mp.subi(k->q, 1, v[V_T]));
    BN(ltc_mp.unsigned_read(v[V_DQ], rnd + 8, 8));
    BN(ltc_mp.mul(v[V_DQ], v[V_T], v[V_DQ]));
    BN(ltc_mp.add(v[V_DQ], k->dQ, v[V_DQ]));

    /* RFC 8017 5.1.2 step 2.b: m1 = c^dP mod p, m2 = c^dQ mod q,
     * h = (m1 - m2) qInv mod p, m = m2 + q h. */
    BN(ltc_mp.exptmod(v[V_X], v[V_DP], k->p, v[V_M1]));
    BN(ltc_mp.exptmod(v[V_X], v[V_DQ], k->q, v[V_M2]));
    BN(ltc_mp.sub(v[V_M1], v[V_M2], v[V_T]));
    BN(ltc_mp.mulmod(v[V_T], k->qP, k->p, v[V_T]));
    BN(ltc_mp.mul(v[V_T], k->q, v[V_T]));
    BN(ltc_mp.add(v[V_T], v[V_M2], v[V_X]));

    /* Unblind, then refuse to release a faulty result: s^e must give back c. */
    BN(ltc_mp.mulmod(v[V_X], v[V_RI], k->N, v[V_X]));
    BN(ltc_mp.exptmod(v[V_X], k->e, k->N, v[V_T]));
    MT_ENSURE_GOTO(ltc_mp.compare(v[V_T], v[V_C]) == LTC_MP_EQ, MT_ERR_CRYPTO);
    MT_TRY_GOTO(bn_write_fixed(v[V_X], out, n));
#undef BN
out:
    mt_wipe(rnd, sizeof rnd);
    for (int i = 0; i < V_COUNT; i++)
        bn_free(v[i]);
    if (rc != MT_OK) mt_wipe(out, n);
    return rc;
}

int mt_rsa_public_raw(const mt_rsa_key *key, const uint8_t *in, size_t in_len, uint8_t *out)
{
    MT_ENSURE(key != NULL && in != NULL && out != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(in_len == key->size, MT_ERR_BAD_PARAM);
    return rsa_public(key, in, out);
}

int mt_rsa_private_raw(const mt_rsa_key *key, const uint8_t *in, size_t in_len, const mt_rng *rng,
                       uint8_t *out)
{
    MT_ENSURE(key != NULL && in != NULL && out != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(in_len == key->size, MT_ERR_BAD_PARAM);
    return rsa_private(key, in, rng, out);
}

/* ---- PKCS#1 v1.5 signatures (RFC 8017 8.2, 9.2) ---- */

/* RFC 8017 9.2 note 1: the DER of DigestInfo up to the digest, per hash. */
static const uint8_t di_md5[] = {0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10};
static const uint8_t di_sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                  0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
static const uint8_t di_sha224[] = {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c};
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

/* DigestInfo prefix and digest length for h; MT_HASH_NONE is TLS 1.0/1.1's bare 36-byte
 * MD5 || SHA-1 (RFC 2246 7.4.3: "the digitally-signed element is encoded as an opaque
 * vector", no DigestInfo). */
static int digest_info(mt_hash_id h, const uint8_t **prefix, size_t *prefix_len, size_t *digest_len)
{
    switch (h) {
    case MT_HASH_NONE:
        *prefix = NULL, *prefix_len = 0, *digest_len = 36;
        return MT_OK;
    case MT_HASH_MD5:
        *prefix = di_md5, *prefix_len = sizeof di_md5;
        break;
    case MT_HASH_SHA1:
        *prefix = di_sha1, *prefix_len = sizeof di_sha1;
        break;
    case MT_HASH_SHA224:
        *prefix = di_sha224, *prefix_len = sizeof di_sha224;
        break;
    case MT_HASH_SHA256:
        *prefix = di_sha256, *prefix_len = sizeof di_sha256;
        break;
    case MT_HASH_SHA384:
        *prefix = di_sha384, *prefix_len = sizeof di_sha384;
        break;
    case MT_HASH_SHA512:
        *prefix = di_sha512, *prefix_len = sizeof di_sha512;
        break;
    default:
        return MT_ERR_BAD_PARAM;
    }
    *digest_len = mt_hash_len(h);
    return MT_OK;
}

/* EMSA-PKCS1-v1_5 (RFC 8017 9.2): EM = 00 01 FF..FF 00 T, T = DigestInfo, |em| = k. */
static int emsa_pkcs1(mt_hash_id h, const uint8_t *digest, size_t digest_len, uint8_t *em, size_t k)
{
    const uint8_t *prefix;
    size_t prefix_len, want;
    MT_TRY(digest_info(h, &prefix, &prefix_len, &want));
    MT_ENSURE(digest != NULL && digest_len == want, MT_ERR_BAD_PARAM);
    size_t t_len = prefix_len + digest_len;
    /* RFC 8017 9.2 step 3: "If emLen < tLen + 11, output 'intended encoded message
     * length too short'" (at least 8 bytes of FF). */
    MT_ENSURE(k >= t_len + 11, MT_ERR_BAD_PARAM);
    size_t ps_len = k - t_len - 3;
    em[0] = 0x00;
    em[1] = 0x01;
    memset(em + 2, 0xff, ps_len);
    em[2 + ps_len] = 0x00;
    if (prefix_len) memcpy(em + 3 + ps_len, prefix, prefix_len);
    memcpy(em + 3 + ps_len + prefix_len, digest, digest_len);
    return MT_OK;
}

int mt_rsa_sign_pkcs1(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest, size_t digest_len,
                      const mt_rng *rng, uint8_t *sig, size_t *sig_len)
{
    MT_ENSURE(key != NULL && sig != NULL && sig_len != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(key->priv, MT_ERR_BAD_PARAM);
    uint8_t em[MT_RSA_MAX_BYTES];
    int rc;
    MT_TRY_GOTO(emsa_pkcs1(h, digest, digest_len, em, key->size));
    MT_TRY_GOTO(rsa_private(key, em, rng, sig));
    *sig_len = key->size;
out:
    mt_wipe(em, sizeof em);
    return rc;
}

int mt_rsa_verify_pkcs1(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest,
                        size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    MT_ENSURE(key != NULL && sig != NULL, MT_ERR_BAD_PARAM);
    uint8_t want[MT_RSA_MAX_BYTES], got[MT_RSA_MAX_BYTES];
    MT_TRY(emsa_pkcs1(h, digest, digest_len, want, key->size));
    /* RFC 8017 8.2.2 step 1: "If the length of the signature S is not k octets, output
     * 'invalid signature'". */
    MT_ENSURE(sig_len == key->size, MT_ERR_VERIFY);
    int rc = rsa_public(key, sig, got);
    /* s >= n is an invalid signature, not a caller error. */
    MT_ENSURE(rc != MT_ERR_BAD_PARAM, MT_ERR_VERIFY);
    MT_TRY(rc);
    /* RFC 8017 8.2.2 steps 3-4: encode the expected EM and compare the whole block, so no
     * DER leniency, parameter variant or trailing data can pass. */
    MT_ENSURE(mt_ct_eq(want, got, key->size), MT_ERR_VERIFY);
    return MT_OK;
}

/* ---- RSASSA-PSS (RFC 8017 8.1, 9.1) ---- */

/* emLen = ceil((modBits - 1) / 8) (RFC 8017 8.1.1 step 1); it is one byte shorter than k
 * when modBits = 1 mod 8. */
static size_t pss_em_len(const mt_rsa_key *key)
{
    return (key->bits - 1 + 7) / 8;
}

static int pss_params(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest, size_t digest_len,
                      size_t salt_len, int *hash_idx)
{
    MT_ENSURE(key != NULL && digest != NULL, MT_ERR_BAD_PARAM);
    size_t h_len = mt_hash_len(h);
    MT_ENSURE(h != MT_HASH_NONE && h_len > 0 && digest_len == h_len, MT_ERR_BAD_PARAM);
    /* RFC 8017 9.1.1 step 3: "If emLen < hLen + sLen + 2, output 'encoding error'". */
    MT_ENSURE(salt_len + h_len + 2 <= pss_em_len(key), MT_ERR_BAD_PARAM);
    *hash_idx = hash_index(h);
    MT_ENSURE(*hash_idx >= 0, MT_ERR_CRYPTO);
    return MT_OK;
}

int mt_rsa_sign_pss(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest, size_t digest_len,
                    size_t salt_len, const mt_rng *rng, uint8_t *sig, size_t *sig_len)
{
    int hash_idx, prng_idx, rc;
    MT_TRY(pss_params(key, h, digest, digest_len, salt_len, &hash_idx));
    MT_ENSURE(key->priv && sig != NULL && sig_len != NULL, MT_ERR_BAD_PARAM);
    uint8_t em[MT_RSA_MAX_BYTES];
    unsigned long em_len = sizeof em;
    prng_state ps;
    MT_TRY(mt_rng_ltc_bind(&ps, &prng_idx, rng, "pss_salt"));
    /* libtomcrypt draws the salt through the bridge and writes emLen bytes; place them
     * right-aligned in a k-byte block (a leading zero when emLen = k - 1). */
    MT_TRY_GOTO(ltc_rc(pkcs_1_pss_encode(digest, (unsigned long)digest_len, (unsigned long)salt_len,
                                         &ps, prng_idx, hash_idx, key->bits, em, &em_len)));
    MT_ENSURE_GOTO(em_len == pss_em_len(key), MT_ERR_CRYPTO);
    uint8_t block[MT_RSA_MAX_BYTES];
    memset(block, 0, key->size - em_len);
    memcpy(block + (key->size - em_len), em, em_len);
    rc = rsa_private(key, block, rng, sig);
    mt_wipe(block, sizeof block);
    if (rc == MT_OK) *sig_len = key->size;
out:
    mt_wipe(em, sizeof em);
    return rc;
}

int mt_rsa_verify_pss(const mt_rsa_key *key, mt_hash_id h, const uint8_t *digest, size_t digest_len,
                      size_t salt_len, const uint8_t *sig, size_t sig_len)
{
    int hash_idx, res = 0;
    MT_TRY(pss_params(key, h, digest, digest_len, salt_len, &hash_idx));
    MT_ENSURE(sig != NULL, MT_ERR_BAD_PARAM);
    /* RFC 8017 8.1.2 step 1: the signature is exactly k octets. */
    MT_ENSURE(sig_len == key->size, MT_ERR_VERIFY);
    uint8_t em[MT_RSA_MAX_BYTES];
    int rc = rsa_public(key, sig, em);
    MT_ENSURE(rc != MT_ERR_BAD_PARAM, MT_ERR_VERIFY);
    MT_TRY(rc);
    size_t em_len = pss_em_len(key);
    /* RFC 8017 8.1.2 step 2.c (I2OSP to emLen octets): when emLen = k - 1 the dropped
     * leading byte must be zero. */
    MT_ENSURE(em_len == key->size || em[0] == 0, MT_ERR_VERIFY);
    /* pkcs_1_pss_decode checks 0xbc, the top bits, the zero padding of DB, the 0x01 at
     * the position the salt length fixes, and H' == H (RFC 8017 9.1.2 steps 4-14). */
    int err = pkcs_1_pss_decode(digest, (unsigned long)digest_len, em + (key->size - em_len),
                                (unsigned long)em_len, (unsigned long)salt_len, hash_idx, key->bits,
                                &res);
    MT_ENSURE(err == CRYPT_OK || err == CRYPT_INVALID_PACKET, MT_ERR_CRYPTO);
    MT_ENSURE(err == CRYPT_OK && res == 1, MT_ERR_VERIFY);
    return MT_OK;
}

/* ---- PKCS#1 v1.5 encryption and TLS key transport ---- */

int mt_rsa_encrypt_pkcs1(const mt_rsa_key *key, const uint8_t *in, size_t in_len, const mt_rng *rng,
                         uint8_t *out, size_t *out_len)
{
    MT_ENSURE(key != NULL && out != NULL && out_len != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(in != NULL || in_len == 0, MT_ERR_BAD_PARAM);
    /* RFC 8017 7.2.1 step 1: "If mLen > k - 11, output 'message too long'". */
    MT_ENSURE(in_len + 11 <= key->size, MT_ERR_BAD_PARAM);
    uint8_t em[MT_RSA_MAX_BYTES];
    unsigned long em_len = (unsigned long)key->size;
    prng_state ps;
    int idx, rc;
    MT_TRY(mt_rng_ltc_bind(&ps, &idx, rng, "rsa_padding"));
    /* EME-PKCS1-v1_5: 00 02 || PS (non-zero random) || 00 || M; libtomcrypt redraws zero
     * bytes of PS through the bridge. */
    MT_TRY_GOTO(ltc_rc(pkcs_1_v1_5_encode(in_len ? in : em, (unsigned long)in_len, LTC_PKCS_1_EME,
                                          key->bits, &ps, idx, em, &em_len)));
    MT_ENSURE_GOTO(em_len == key->size, MT_ERR_CRYPTO);
    MT_TRY_GOTO(rsa_public(key, em, out));
    *out_len = key->size;
out:
    mt_wipe(em, sizeof em);
    return rc;
}

/* Constant-time helpers. Each takes and returns all-ones / all-zeros masks; the empty asm
 * hides the mask's origin from the optimiser so it cannot turn a select into a branch. */
static inline uint32_t ct_barrier(uint32_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(m));
#endif
    return m;
}
/* All-ones if x (a byte value) is zero. */
static inline uint32_t ct_zero_mask(uint32_t x)
{
    return ct_barrier(0u - ((x - 1u) >> 31));
}

int mt_rsa_pms_from_em(const uint8_t *em, size_t em_len, uint16_t client_version, int check_version,
                       const uint8_t fallback[48], uint8_t pms[48])
{
    MT_ENSURE(em != NULL && fallback != NULL && pms != NULL, MT_ERR_BAD_PARAM);
    /* 2 + at least 8 bytes of PS (RFC 8017 7.2.2 step 3) + 1 + 48. */
    MT_ENSURE(em_len >= 59, MT_ERR_BAD_PARAM);
    /* RFC 5246 7.4.7.1: with a 48-byte PMS the block is fully determined by em_len:
     * em[0] = 0, em[1] = 2, em[2 .. em_len-49) non-zero, em[em_len-49] = 0. A message
     * of any other length puts its zero separator inside PS or leaves a non-zero byte at
     * em_len-49, so this one fixed pattern also rejects "wrong PMS length" and "PS
     * shorter than 8 bytes". Every byte is visited, in the same order, for every input;
     * validity only accumulates into the mask `good`, which is never branched on. */
    size_t sep = em_len - 49;
    uint32_t good = ct_zero_mask(em[0]) & ct_zero_mask(em[1] ^ 0x02u);
    for (size_t i = 2; i < sep; i++)
        good &= ~ct_zero_mask(em[i]);
    good &= ct_zero_mask(em[sep]);
    /* RFC 5246 7.4.7.1: the first two bytes must be ClientHello.client_version; a
     * mismatch is treated exactly like bad padding. check_version is public. */
    uint32_t ver = ct_zero_mask(em[sep + 1] ^ (uint32_t)(client_version >> 8)) &
                   ct_zero_mask(em[sep + 2] ^ (uint32_t)(client_version & 0xff));
    uint32_t skip = 0u - (uint32_t)(check_version == 0);
    good &= ver | skip;
    /* "randomly generated PMS if ... padding is not correct": select byte by byte. */
    uint8_t m = (uint8_t)ct_barrier(good);
    for (size_t i = 0; i < 48; i++)
        pms[i] = (uint8_t)((em[sep + 1 + i] & m) | (fallback[i] & (uint8_t)~m));
    return MT_OK;
}

int mt_rsa_decrypt_pms_rng(const mt_rsa_key *key, const uint8_t *ct, size_t ct_len,
                           uint16_t client_version, int check_version, const uint8_t fallback[48],
                           const mt_rng *rng, uint8_t pms[48])
{
    MT_ENSURE(key != NULL && ct != NULL && fallback != NULL && pms != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(key->priv && key->size >= 59, MT_ERR_BAD_PARAM);
    /* The ciphertext length is public: a wrong one is a decode error (RFC 5246 7.4.7.1
     * EncryptedPreMasterSecret is exactly the modulus size). */
    MT_ENSURE(ct_len == key->size, MT_ERR_DECODE);
    uint8_t em[MT_RSA_MAX_BYTES];
    int rc = rsa_private(key, ct, rng, em);
    if (rc == MT_ERR_BAD_PARAM) {
        /* c >= n: anyone with the public key sees this, so no oracle; it is simply an
         * invalid ciphertext and gets the fallback like any other. */
        memset(em, 0xff, key->size);
        rc = MT_OK;
    }
    if (rc == MT_OK)
        rc = mt_rsa_pms_from_em(em, key->size, client_version, check_version, fallback, pms);
    mt_wipe(em, sizeof em);
    return rc;
}

int mt_rsa_decrypt_pms(const mt_rsa_key *key, const uint8_t *ct, size_t ct_len,
                       uint16_t client_version, int check_version, const uint8_t fallback[48],
                       uint8_t pms[48])
{
    /* NULL rng: the system generator, the configuration default (rng.h). */
    return mt_rsa_decrypt_pms_rng(key, ct, ct_len, client_version, check_version, fallback, NULL,
                                  pms);
}
