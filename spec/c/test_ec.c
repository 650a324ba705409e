/* Tests for lib/crypto/ec: RFC 6979 ECDSA known answers with the nonce injected through a
 * pinned rng, NIST CAVS ECDH, RFC 8448 sections 5 and 6, peer-point validation, strict DER
 * signatures, scalar ranges, generated keys. Fixtures: spec/fixtures/ec-*.txt (built and
 * cross-checked by spec/fixtures/ec-vectors.py).
 * With MT_BENCH=1 it also prints CPU milliseconds per operation (not a test). */
#include "../../lib/crypto/ec.h"
#include "../../lib/crypto/hash.h"
#include "../../lib/moontls.h"
#include "test.h"

#include <sys/resource.h>

#define MT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_F 66
#define MAX_PT (1 + 2 * MAX_F)
#define MAX_SIG (2 * MAX_F + 9)

static int quick(void)
{
    return getenv("MT_TEST_QUICK") != NULL;
}

/* ---- a pinned rng: hands out one fixed buffer once, records what was asked ---- */

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t off;
    int draws;
    size_t last_n;
    const char *last_purpose;
} pinned;

static int pinned_fill(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    pinned *p = ud;
    p->draws++;
    p->last_n = n;
    p->last_purpose = purpose;
    if (p->len - p->off < n) return MT_ERR_CRYPTO;
    memcpy(out, p->data + p->off, n);
    p->off += n;
    return 0;
}

/* ---- curve constants from ec-curves.txt ---- */

typedef struct {
    int curve;
    size_t flen;
    uint8_t p[MAX_F], n[MAX_F], g[MAX_PT];
} curve_consts;

static curve_consts curves[3];

static const curve_consts *consts(int curve)
{
    for (int i = 0; i < 3; i++)
        if (curves[i].curve == curve) return &curves[i];
    return NULL;
}

static int load_curves(void)
{
    vec_file v;
    int i = 0;
    if (!vec_open(&v, "spec/fixtures/ec-curves.txt")) return 0;
    while (vec_next(&v) && i < 3) {
        size_t pl, nl, gl;
        uint8_t *p = vec_hex(&v, "p", &pl), *n = vec_hex(&v, "n", &nl), *g = vec_hex(&v, "g", &gl);
        curves[i].curve = atoi(vec_get(&v, "curve"));
        curves[i].flen = pl;
        memcpy(curves[i].p, p, pl);
        memcpy(curves[i].n, n, nl);
        memcpy(curves[i].g, g, gl);
        free(p), free(n), free(g);
        i++;
    }
    vec_close(&v);
    return i == 3;
}

/* ---- helpers ---- */

static mt_hash_id hash_by_name(const char *s)
{
    if (strcmp(s, "sha256") == 0) return MT_HASH_SHA256;
    if (strcmp(s, "sha384") == 0) return MT_HASH_SHA384;
    if (strcmp(s, "sha512") == 0) return MT_HASH_SHA512;
    return MT_HASH_NONE;
}

/* Canonical DER of SEQUENCE { r, s } from big-endian r and s (test-side encoder). */
static size_t der_of(const uint8_t *r, const uint8_t *s, size_t n, uint8_t *out)
{
    uint8_t body[2 * (MAX_F + 3)];
    size_t bl = 0;
    const uint8_t *v[2] = {r, s};
    for (int i = 0; i < 2; i++) {
        size_t z = 0;
        while (z < n - 1 && v[i][z] == 0)
            z++;
        size_t len = n - z, pad = (v[i][z] & 0x80) ? 1 : 0;
        body[bl++] = 0x02;
        body[bl++] = (uint8_t)(len + pad);
        if (pad) body[bl++] = 0;
        memcpy(body + bl, v[i] + z, len);
        bl += len;
    }
    size_t o = 0;
    out[o++] = 0x30;
    if (bl >= 0x80) out[o++] = 0x81;
    out[o++] = (uint8_t)bl;
    memcpy(out + o, body, bl);
    return o + bl;
}

static void msg_digest(const vec_file *v, mt_hash_id *id, uint8_t *dg, size_t *dl)
{
    const char *msg = vec_get(v, "msg");
    *id = hash_by_name(vec_get(v, "hash"));
    *dl = mt_hash_len(*id);
    CHECK_EQ(mt_hash(*id, msg, strlen(msg), dg), 0);
}

/* ---- RFC 6979: sign with the RFC's k, compare, verify, reject modifications ---- */

static void test_rfc6979_sign(void)
{
    vec_file v;
    int rows = 0;
    if (!vec_open(&v, "spec/fixtures/ec-rfc6979.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        int curve = atoi(vec_get(&v, "curve"));
        size_t dl, pl, kl, rl, sl, n = mt_ec_field_len(curve);
        uint8_t *d = vec_hex(&v, "d", &dl), *pub = vec_hex(&v, "pub", &pl);
        uint8_t *k = vec_hex(&v, "k", &kl), *r = vec_hex(&v, "r", &rl), *s = vec_hex(&v, "s", &sl);
        mt_hash_id id;
        uint8_t dg[64], got_pub[MAX_PT], sig[MAX_SIG], want[MAX_SIG];
        size_t dgl, gl, sigl = sizeof sig;
        msg_digest(&v, &id, dg, &dgl);
        CHECK_EQ(kl, n);
        mt_ec_key *key = NULL;
        CHECK_EQ(mt_ec_import_private(&key, curve, d, dl), 0);
        if (!key) goto next;
        CHECK(mt_ec_is_private(key));
        CHECK_EQ(mt_ec_curve(key), curve);
        CHECK_EQ(mt_ec_export_public(key, got_pub, &gl), 0);
        CHECK_EQ(gl, pl);
        CHECK_MEM(got_pub, pub, pl);

        /* Two draws of field_len bytes, purpose "ecdsa_nonce": the nonce k, then a blinding
         * factor that must not change (r, s) (see ec.c notes). Pinning the first to the
         * RFC's k reproduces the RFC's signature whatever the second is. */
        uint8_t draws[2 * MAX_F];
        size_t wl = der_of(r, s, n, want);
        for (int blind = 0; blind < 2; blind++) {
            memcpy(draws, k, kl);
            memset(draws + kl, blind ? 0x5a : 0xc3, kl);
            draws[kl] = 0; /* below n on every curve: 1.18 redraws a blinding value >= n */
            pinned pin = {draws, 2 * kl, 0, 0, 0, NULL};
            mt_rng rng = {pinned_fill, &pin};
            sigl = sizeof sig;
            CHECK_EQ(mt_ecdsa_sign(key, dg, dgl, &rng, sig, &sigl), 0);
            CHECK_EQ(pin.draws, 2);
            CHECK_EQ(pin.last_n, n);
            CHECK(pin.last_purpose && strcmp(pin.last_purpose, "ecdsa_nonce") == 0);
            CHECK_EQ(sigl, wl);
            CHECK_MEM(sig, want, wl);
            CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, sig, sigl), 0);
        }
        mt_ec_free(key);
        rows++;
    next:
        free(d), free(pub), free(k), free(r), free(s);
    }
    vec_close(&v);
    CHECK_EQ(rows, 18);
}

static void test_rfc6979_verify(void)
{
    vec_file v;
    int rows = 0;
    if (!vec_open(&v, "spec/fixtures/ec-rfc6979.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        int curve = atoi(vec_get(&v, "curve"));
        size_t pl, rl, sl, n = mt_ec_field_len(curve);
        uint8_t *pub = vec_hex(&v, "pub", &pl), *r = vec_hex(&v, "r", &rl),
                *s = vec_hex(&v, "s", &sl);
        mt_hash_id id;
        uint8_t dg[64], sig[MAX_SIG], bad[MAX_SIG];
        size_t dgl;
        msg_digest(&v, &id, dg, &dgl);
        size_t sigl = der_of(r, s, n, sig);
        mt_ec_key *key = NULL;
        CHECK_EQ(mt_ec_import_public(&key, curve, pub, pl), 0);
        if (!key) goto next;
        CHECK(!mt_ec_is_private(key));
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, sig, sigl), 0);
        /* another digest */
        dg[0] ^= 1;
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, sig, sigl), MT_ERR_VERIFY);
        dg[0] ^= 1;
        /* bits beyond the order's length are not signed (bits2int truncation, RFC 6979
         * 2.3.2): P-256 with SHA-384/512, P-384 with SHA-512 */
        dg[dgl - 1] ^= 1;
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, sig, sigl), dgl > n ? 0 : MT_ERR_VERIFY);
        dg[dgl - 1] ^= 1;
        /* one bit of r, one bit of s (last byte of each integer) */
        memcpy(bad, sig, sigl);
        size_t r_at = sig[1] == 0x81 ? 3 : 2;      /* r's tag: after 30 L or 30 81 L */
        bad[r_at + 2 + sig[r_at + 1] - 1] ^= 0x01; /* r's last byte */
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, sigl), MT_ERR_VERIFY);
        memcpy(bad, sig, sigl);
        bad[sigl - 1] ^= 0x01;
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, sigl), MT_ERR_VERIFY);
        /* r and s swapped */
        size_t swl = der_of(s, r, n, bad);
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, swl), MT_ERR_VERIFY);
        mt_ec_free(key);
        /* the same signature under the generator as public key */
        key = NULL;
        CHECK_EQ(mt_ec_import_public(&key, curve, consts(curve)->g, 1 + 2 * n), 0);
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, sig, sigl), MT_ERR_VERIFY);
        mt_ec_free(key);
        rows++;
    next:
        free(pub), free(r), free(s);
    }
    vec_close(&v);
    CHECK_EQ(rows, 18);
}

/* ---- strict DER ---- */

static void test_der_strict(void)
{
    /* One valid P-256 signature (RFC 6979 A.2.5, SHA-256, "sample"), then every way
     * to mis-encode it or put out-of-range values in it. */
    vec_file v;
    if (!vec_open(&v, "spec/fixtures/ec-rfc6979.txt") || !vec_next(&v)) {
        CHECK(0);
        vec_close(&v);
        return;
    }
    size_t pl, rl, sl;
    uint8_t *pub = vec_hex(&v, "pub", &pl), *r = vec_hex(&v, "r", &rl), *s = vec_hex(&v, "s", &sl);
    mt_hash_id id;
    uint8_t dg[64], sig[MAX_SIG], bad[MAX_SIG + 8], zero[32] = {0}, one[32] = {0};
    size_t dgl;
    msg_digest(&v, &id, dg, &dgl);
    size_t sigl = der_of(r, s, 32, sig);
    mt_ec_key *key = NULL;
    CHECK_EQ(mt_ec_import_public(&key, MT_EC_P256, pub, pl), 0);
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, sig, sigl), 0);

    /* every truncation, including empty */
    for (size_t i = 0; i < sigl; i++)
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, sig, i), MT_ERR_VERIFY);
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, NULL, 0), MT_ERR_VERIFY);
    /* trailing byte, with and without the outer length covering it */
    memcpy(bad, sig, sigl);
    bad[sigl] = 0;
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, sigl + 1), MT_ERR_VERIFY);
    bad[1]++;
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, sigl + 1), MT_ERR_VERIFY);
    /* wrong outer tag, wrong integer tag */
    memcpy(bad, sig, sigl);
    bad[0] = 0x31;
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, sigl), MT_ERR_VERIFY);
    memcpy(bad, sig, sigl);
    bad[2] = 0x03;
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, sigl), MT_ERR_VERIFY);
    /* long-form outer length for a short body (BER, not DER) */
    bad[0] = 0x30;
    bad[1] = 0x81;
    memcpy(bad + 2, sig + 1, sigl - 1);
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, sigl + 1), MT_ERR_VERIFY);
    /* r padded with a needless 00 (r = EF.. already has its 00; add another) */
    size_t o = 0;
    bad[o++] = 0x30;
    bad[o++] = sig[1] + 1;
    bad[o++] = 0x02;
    bad[o++] = sig[3] + 1;
    bad[o++] = 0x00;
    memcpy(bad + o, sig + 4, sigl - 4);
    o += sigl - 4;
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, o), MT_ERR_VERIFY);
    /* r without its sign byte: negative */
    o = 0;
    bad[o++] = 0x30;
    bad[o++] = sig[1] - 1;
    bad[o++] = 0x02;
    bad[o++] = sig[3] - 1;
    memcpy(bad + o, sig + 5, sigl - 5);
    o += sigl - 5;
    CHECK(sig[4] == 0x00 && (sig[5] & 0x80)); /* the fixture row has a high-bit r */
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, o), MT_ERR_VERIFY);
    /* out of range: r or s = 0, = n, and (1, 1) */
    const uint8_t *n = consts(MT_EC_P256)->n;
    one[31] = 1;
    const uint8_t *pairs[][2] = {{zero, s}, {r, zero}, {n, s}, {r, n}, {one, one}};
    for (size_t i = 0; i < MT_ARRAY_LEN(pairs); i++) {
        size_t bl = der_of(pairs[i][0], pairs[i][1], 32, bad);
        CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, bl), MT_ERR_VERIFY);
    }
    /* raw r || s (the JOSE form) is not DER */
    memcpy(bad, r, 32);
    memcpy(bad + 32, s, 32);
    CHECK_EQ(mt_ecdsa_verify(key, dg, dgl, bad, 64), MT_ERR_VERIFY);
    mt_ec_free(key);
    free(pub), free(r), free(s);
    vec_close(&v);
}

/* ---- NIST CAVS ECC CDH ---- */

static void test_cavs_ecdh(void)
{
    vec_file v;
    int rows = 0, per[3] = {0};
    if (!vec_open(&v, "spec/fixtures/ec-cdh.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        int curve = atoi(vec_get(&v, "curve"));
        size_t dl, pl, ql, zl, gl, ol;
        uint8_t *d = vec_hex(&v, "d", &dl), *pub = vec_hex(&v, "pub", &pl);
        uint8_t *peer = vec_hex(&v, "peer", &ql), *z = vec_hex(&v, "z", &zl);
        uint8_t got[MAX_PT], out[MAX_F];
        mt_ec_key *key = NULL, *pk = NULL;
        CHECK_EQ(mt_ec_import_private(&key, curve, d, dl), 0);
        CHECK_EQ(mt_ec_import_public(&pk, curve, peer, ql), 0);
        if (key) {
            CHECK_EQ(mt_ec_export_public(key, got, &gl), 0);
            CHECK_EQ(gl, pl);
            CHECK_MEM(got, pub, pl);
            CHECK_EQ(mt_ecdh(key, peer, ql, out, &ol), 0);
            CHECK_EQ(ol, zl);
            CHECK_MEM(out, z, zl);
        }
        if (pk) {
            CHECK_EQ(mt_ec_export_public(pk, got, &gl), 0);
            CHECK_MEM(got, peer, ql);
        }
        mt_ec_free(key);
        mt_ec_free(pk);
        free(d), free(pub), free(peer), free(z);
        per[curve - MT_EC_P256]++;
        rows++;
    }
    vec_close(&v);
    CHECK_EQ(rows, 7);
    CHECK(per[0] >= 2 && per[1] >= 2 && per[2] >= 2);
}

/* ---- RFC 8448 section 5: secp256r1 shares, the ECDHE secret both ways ---- */

static void test_rfc8448_hrr_ecdhe(void)
{
    vec_file v;
    if (!vec_open(&v, "spec/fixtures/ec-rfc8448-hrr.txt") || !vec_next(&v)) {
        CHECK(0);
        vec_close(&v);
        return;
    }
    size_t cl, cpl, sl, spl, zl, gl, ol;
    uint8_t *cpriv = vec_hex(&v, "client_private", &cl), *cpub = vec_hex(&v, "client_public", &cpl);
    uint8_t *spriv = vec_hex(&v, "server_private", &sl), *spub = vec_hex(&v, "server_public", &spl);
    uint8_t *z = vec_hex(&v, "shared", &zl);
    uint8_t got[MAX_PT], out[MAX_F];
    mt_ec_key *c = NULL, *s = NULL;
    CHECK_EQ(mt_ec_import_private(&c, MT_EC_P256, cpriv, cl), 0);
    CHECK_EQ(mt_ec_import_private(&s, MT_EC_P256, spriv, sl), 0);
    if (c && s) {
        CHECK_EQ(mt_ec_export_public(c, got, &gl), 0);
        CHECK_MEM(got, cpub, cpl);
        CHECK_EQ(mt_ec_export_public(s, got, &gl), 0);
        CHECK_MEM(got, spub, spl);
        CHECK_EQ(mt_ecdh(c, spub, spl, out, &ol), 0);
        CHECK_EQ(ol, zl);
        CHECK_MEM(out, z, zl);
        memset(out, 0, sizeof out);
        CHECK_EQ(mt_ecdh(s, cpub, cpl, out, &ol), 0);
        CHECK_MEM(out, z, zl);
    }
    mt_ec_free(c);
    mt_ec_free(s);
    free(cpriv), free(cpub), free(spriv), free(spub), free(z);
    vec_close(&v);
}

/* ---- RFC 8448 section 6: the server's ECDSA P-256 CertificateVerify ---- */

static void test_rfc8448_cert_verify(void)
{
    static const char *msgs[] = {"client_hello", "server_hello", "encrypted_extensions",
                                 "certificate_request", "server_certificate"};
    vec_file v;
    if (!vec_open(&v, "spec/fixtures/ec-rfc8448-cv.txt") || !vec_next(&v)) {
        CHECK(0);
        vec_close(&v);
        return;
    }
    mt_hash_ctx h;
    uint8_t th[32], content[64 + 34 + 32], dg[32];
    CHECK_EQ(mt_hash_init(&h, MT_HASH_SHA256), 0);
    for (size_t i = 0; i < MT_ARRAY_LEN(msgs); i++) {
        size_t ml;
        uint8_t *m = vec_hex(&v, msgs[i], &ml);
        CHECK_EQ(mt_hash_update(&h, m, ml), 0);
        free(m);
    }
    CHECK_EQ(mt_hash_final(&h, th), 0);
    /* RFC 8446 4.4.3: 64 spaces, the context string, a zero byte, the transcript hash. */
    memset(content, 0x20, 64);
    memcpy(content + 64, "TLS 1.3, server CertificateVerify", 33);
    content[97] = 0;
    memcpy(content + 98, th, 32);
    CHECK_EQ(mt_hash(MT_HASH_SHA256, content, sizeof content, dg), 0);

    /* The certificate's SubjectPublicKeyInfo ends with the P-256 OID and the BIT STRING
     * (03 42 00) holding 04 || X || Y. Found by that byte pattern, not a DER walk: the
     * X.509 loader owns parsing; here only the key is needed. */
    static const uint8_t spki_tail[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                                        0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
    size_t cl, sl;
    uint8_t *cert = vec_hex(&v, "certificate_der", &cl), *sig = vec_hex(&v, "signature", &sl);
    const uint8_t *pt = NULL;
    for (size_t i = 0; i + sizeof spki_tail + 65 <= cl; i++)
        if (memcmp(cert + i, spki_tail, sizeof spki_tail) == 0) {
            pt = cert + i + sizeof spki_tail;
            break;
        }
    CHECK(pt != NULL);
    mt_ec_key *key = NULL;
    if (pt) CHECK_EQ(mt_ec_import_public(&key, MT_EC_P256, pt, 65), 0);
    if (key) {
        CHECK_EQ(mt_ecdsa_verify(key, dg, sizeof dg, sig, sl), 0);
        dg[0] ^= 0x80;
        CHECK_EQ(mt_ecdsa_verify(key, dg, sizeof dg, sig, sl), MT_ERR_VERIFY);
    }
    mt_ec_free(key);
    free(cert), free(sig);
    vec_close(&v);
}

/* ---- invalid peer points ---- */

static void check_bad_point(int curve, const mt_ec_key *priv, const uint8_t *pt, size_t len,
                            int want)
{
    mt_ec_key *k = NULL;
    uint8_t out[MAX_F];
    size_t ol = 12345;
    CHECK_EQ(mt_ec_import_public(&k, curve, pt, len), want);
    CHECK(k == NULL);
    mt_ec_free(k);
    CHECK_EQ(mt_ecdh(priv, pt, len, out, &ol), want);
    CHECK_EQ(ol, 12345); /* nothing reported on failure */
}

static void test_invalid_points(void)
{
    vec_file v;
    int rows = 0;
    if (!vec_open(&v, "spec/fixtures/ec-cdh.txt")) {
        CHECK(0);
        return;
    }
    int seen[3] = {0};
    while (vec_next(&v)) {
        int curve = atoi(vec_get(&v, "curve"));
        if (seen[curve - MT_EC_P256]++) continue; /* one row per curve */
        const curve_consts *cc = consts(curve);
        size_t n = cc->flen, dl, ql;
        uint8_t *d = vec_hex(&v, "d", &dl), *peer = vec_hex(&v, "peer", &ql);
        uint8_t pt[MAX_PT + 2];
        mt_ec_key *priv = NULL;
        CHECK_EQ(mt_ec_import_private(&priv, curve, d, dl), 0);
        if (!priv) goto next;

        /* off the curve: y + 1 (RFC 8446 4.2.8.2) */
        memcpy(pt, peer, ql);
        pt[ql - 1] ^= 1;
        check_bad_point(curve, priv, pt, ql, MT_ERR_ILLEGAL_PARAM);
        /* x off by one bit */
        memcpy(pt, peer, ql);
        pt[1 + n / 2] ^= 0x10;
        check_bad_point(curve, priv, pt, ql, MT_ERR_ILLEGAL_PARAM);
        /* x = p, y = p, and both all-ones: coordinates must be below p */
        memcpy(pt, peer, ql);
        memcpy(pt + 1, cc->p, n);
        check_bad_point(curve, priv, pt, ql, MT_ERR_ILLEGAL_PARAM);
        memcpy(pt, peer, ql);
        memcpy(pt + 1 + n, cc->p, n);
        check_bad_point(curve, priv, pt, ql, MT_ERR_ILLEGAL_PARAM);
        memset(pt + 1, 0xff, 2 * n);
        check_bad_point(curve, priv, pt, ql, MT_ERR_ILLEGAL_PARAM);
        /* x + p: same residue as a valid x, but not a canonical coordinate. Only where
         * x + p still fits the field bytes (P-521's top byte is 01). */
        /* (0, 0): the affine stand-in some libraries use for infinity */
        memset(pt + 1, 0, 2 * n);
        check_bad_point(curve, priv, pt, ql, MT_ERR_ILLEGAL_PARAM);
        /* infinity, X9.62 encoding: the single byte 00 (fails the length check) */
        pt[0] = 0x00;
        check_bad_point(curve, priv, pt, 1, MT_ERR_DECODE);
        /* wrong lengths */
        memcpy(pt, peer, ql);
        pt[ql] = 0;
        check_bad_point(curve, priv, pt, ql - 1, MT_ERR_DECODE);
        check_bad_point(curve, priv, pt, ql + 1, MT_ERR_DECODE);
        check_bad_point(curve, priv, pt, 0, MT_ERR_DECODE);
        check_bad_point(curve, priv, NULL, 0, MT_ERR_DECODE);
        /* compressed form 02/03 || X (RFC 8446 4.2.8.2: uncompressed only) */
        pt[0] = 0x02 | (peer[ql - 1] & 1);
        check_bad_point(curve, priv, pt, 1 + n, MT_ERR_DECODE);
        /* right length, wrong form byte: compressed, hybrid (06/07) */
        const uint8_t forms[] = {0x00, 0x02, 0x03, 0x06, 0x07, 0x05};
        for (size_t i = 0; i < sizeof forms; i++) {
            pt[0] = forms[i];
            check_bad_point(curve, priv, pt, ql, MT_ERR_DECODE);
        }
        /* a point of another curve (length differs) */
        if (curve != MT_EC_P256)
            check_bad_point(curve, priv, consts(MT_EC_P256)->g, 65, MT_ERR_DECODE);
        /* the original still works after all that */
        uint8_t out[MAX_F];
        size_t ol;
        CHECK_EQ(mt_ecdh(priv, peer, ql, out, &ol), 0);
        rows++;
    next:
        mt_ec_free(priv);
        free(d), free(peer);
    }
    vec_close(&v);
    CHECK_EQ(rows, 3);
    /* an unknown curve */
    mt_ec_key *k = NULL;
    CHECK_EQ(mt_ec_import_public(&k, 29, consts(MT_EC_P256)->g, 65), MT_ERR_UNSUPPORTED);
    CHECK_EQ(mt_ec_field_len(29), 0);
    CHECK_EQ(mt_ec_field_len(MT_EC_P256), 32);
    CHECK_EQ(mt_ec_field_len(MT_EC_P384), 48);
    CHECK_EQ(mt_ec_field_len(MT_EC_P521), 66);
}

/* ---- private scalar range: 1 <= d < n ---- */

static void test_private_range(void)
{
    for (int i = 0; i < 3; i++) {
        const curve_consts *cc = &curves[i];
        size_t n = cc->flen, gl;
        uint8_t d[MAX_F + 4], got[MAX_PT];
        mt_ec_key *k = NULL;
        /* 0, n, n + 1, all-ones, empty */
        memset(d, 0, sizeof d);
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, d, n), MT_ERR_BAD_PARAM);
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, d, 0), MT_ERR_BAD_PARAM);
        memcpy(d, cc->n, n);
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, d, n), MT_ERR_BAD_PARAM);
        d[n - 1]++;
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, d, n), MT_ERR_BAD_PARAM);
        memset(d, 0xff, n);
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, d, n), MT_ERR_BAD_PARAM);
        CHECK(k == NULL);
        /* 1 gives G; one byte is enough, and leading zeros beyond the field are fine */
        uint8_t one = 1;
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, &one, 1), 0);
        if (k) {
            CHECK_EQ(mt_ec_export_public(k, got, &gl), 0);
            CHECK_MEM(got, cc->g, 1 + 2 * n);
        }
        mt_ec_free(k);
        k = NULL;
        memset(d, 0, sizeof d);
        d[n + 3] = 1;
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, d, n + 4), 0);
        if (k) {
            CHECK_EQ(mt_ec_export_public(k, got, &gl), 0);
            CHECK_MEM(got, cc->g, 1 + 2 * n);
        }
        mt_ec_free(k);
        k = NULL;
        /* n - 1 gives -G: same x as G */
        memcpy(d, cc->n, n);
        d[n - 1]--;
        CHECK_EQ(mt_ec_import_private(&k, cc->curve, d, n), 0);
        if (k) {
            CHECK_EQ(mt_ec_export_public(k, got, &gl), 0);
            CHECK_MEM(got + 1, cc->g + 1, n);
            CHECK(memcmp(got + 1 + n, cc->g + 1 + n, n) != 0);
        }
        mt_ec_free(k);
    }
    mt_ec_free(NULL);
}

/* ---- public keys cannot sign or agree; small output buffers ---- */

static void test_misuse(void)
{
    const curve_consts *cc = consts(MT_EC_P256);
    mt_ec_key *pk = NULL, *sk = NULL;
    uint8_t dg[32] = {1}, sig[MAX_SIG], out[MAX_F];
    size_t sl = sizeof sig, ol;
    CHECK_EQ(mt_ec_import_public(&pk, MT_EC_P256, cc->g, 65), 0);
    CHECK_EQ(mt_ecdsa_sign(pk, dg, 32, NULL, sig, &sl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_ecdh(pk, cc->g, 65, out, &ol), MT_ERR_BAD_PARAM);
    uint8_t one = 1;
    CHECK_EQ(mt_ec_import_private(&sk, MT_EC_P256, &one, 1), 0);
    sl = 8;
    CHECK_EQ(mt_ecdsa_sign(sk, dg, 32, NULL, sig, &sl), MT_ERR_LIMIT);
    sl = sizeof sig;
    CHECK_EQ(mt_ecdsa_sign(sk, dg, 0, NULL, sig, &sl), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_ecdsa_sign(sk, dg, 65, NULL, sig, &sl), MT_ERR_BAD_PARAM);
    /* a failing rng fails the signature */
    pinned empty = {NULL, 0, 0, 0, 0, NULL};
    mt_rng bad = {pinned_fill, &empty};
    CHECK(mt_ecdsa_sign(sk, dg, 32, &bad, sig, &sl) != 0);
    mt_ec_free(pk);
    mt_ec_free(sk);
}

/* ---- generated keys ---- */

static void test_generate(void)
{
    int rounds = quick() ? 2 : 8;
    for (int i = 0; i < 3; i++) {
        int curve = curves[i].curve;
        for (int j = 0; j < rounds; j++) {
            mt_rng_seeded s1;
            uint8_t seed[2] = {(uint8_t)i, (uint8_t)j};
            mt_rng rng = mt_rng_seeded_init(&s1, seed, 2);
            mt_ec_key *a = NULL, *b = NULL;
            uint8_t pa[MAX_PT], pb[MAX_PT], za[MAX_F], zb[MAX_F], dg[48], sig[MAX_SIG];
            size_t la, lb, zla, zlb, sl = sizeof sig;
            CHECK_EQ(mt_ec_generate(&a, curve, &rng, "key_share"), 0);
            CHECK_EQ(mt_ec_generate(&b, curve, &rng, NULL), 0);
            if (!a || !b) {
                mt_ec_free(a), mt_ec_free(b);
                continue;
            }
            CHECK_EQ(mt_ec_export_public(a, pa, &la), 0);
            CHECK_EQ(mt_ec_export_public(b, pb, &lb), 0);
            CHECK(memcmp(pa, pb, la) != 0);
            /* exported points pass import validation */
            mt_ec_key *t = NULL;
            CHECK_EQ(mt_ec_import_public(&t, curve, pa, la), 0);
            mt_ec_free(t);
            CHECK_EQ(mt_ecdh(a, pb, lb, za, &zla), 0);
            CHECK_EQ(mt_ecdh(b, pa, la, zb, &zlb), 0);
            CHECK_EQ(zla, curves[i].flen);
            CHECK_MEM(za, zb, zla);
            CHECK_EQ(mt_rng_bytes(&rng, "digest", dg, sizeof dg), 0);
            CHECK_EQ(mt_ecdsa_sign(a, dg, sizeof dg, &rng, sig, &sl), 0);
            CHECK_EQ(mt_ecdsa_verify(a, dg, sizeof dg, sig, sl), 0);
            CHECK_EQ(mt_ecdsa_verify(b, dg, sizeof dg, sig, sl), MT_ERR_VERIFY);
            mt_ec_free(a);
            mt_ec_free(b);
            mt_rng_seeded_wipe(&s1);
        }
    }
}

static void test_generate_pinned(void)
{
    /* The key is one draw of field_len bytes with the caller's purpose; a value >= n is
     * drawn again (FIPS 186-4 B.4.2), so [n, d] yields d. */
    for (int i = 0; i < 3; i++) {
        const curve_consts *cc = &curves[i];
        size_t n = cc->flen, gl;
        uint8_t buf[2 * MAX_F], got[MAX_PT];
        memcpy(buf, cc->n, n);
        memset(buf + n, 0, n);
        buf[2 * n - 1] = 1; /* d = 1 */
        pinned pin = {buf, 2 * n, 0, 0, 0, NULL};
        mt_rng rng = {pinned_fill, &pin};
        mt_ec_key *k = NULL;
        CHECK_EQ(mt_ec_generate(&k, cc->curve, &rng, "key_share"), 0);
        CHECK_EQ(pin.draws, 2);
        CHECK_EQ(pin.last_n, n);
        CHECK(pin.last_purpose && strcmp(pin.last_purpose, "key_share") == 0);
        if (k) {
            CHECK_EQ(mt_ec_export_public(k, got, &gl), 0);
            CHECK_MEM(got, cc->g, gl);
        }
        mt_ec_free(k);
        /* a generator stuck at zero never yields a key */
        uint8_t zeros[MAX_F * 64] = {0};
        pinned z = {zeros, sizeof zeros, 0, 0, 0, NULL};
        mt_rng zr = {pinned_fill, &z};
        k = NULL;
        CHECK_EQ(mt_ec_generate(&k, cc->curve, &zr, "key_share"), MT_ERR_CRYPTO);
        CHECK(k == NULL);
    }
}

/* ---- optional timing (MT_BENCH=1) ---- */

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
           ru.ru_stime.tv_usec / 1e3;
}

static void bench(void)
{
    mt_rng_seeded s;
    mt_rng rng = mt_rng_seeded_init(&s, (const uint8_t *)"bench", 5);
    int iters = 200;
    uint8_t pb[MAX_PT], z[MAX_F], dg[32] = {7}, sig[MAX_SIG];
    size_t lb, zl, sl;
    mt_ec_key *peer = NULL;
    mt_ec_generate(&peer, MT_EC_P256, &rng, "key_share");
    mt_ec_export_public(peer, pb, &lb);
    double t0 = cpu_ms();
    for (int i = 0; i < iters; i++) {
        mt_ec_key *k = NULL;
        mt_ec_generate(&k, MT_EC_P256, &rng, "key_share");
        mt_ecdh(k, pb, lb, z, &zl);
        mt_ec_free(k);
    }
    double t1 = cpu_ms();
    for (int i = 0; i < iters; i++) {
        sl = sizeof sig;
        mt_ecdsa_sign(peer, dg, 32, &rng, sig, &sl);
    }
    double t2 = cpu_ms();
    for (int i = 0; i < iters; i++)
        mt_ecdsa_verify(peer, dg, 32, sig, sl);
    double t3 = cpu_ms();
    printf("bench P-256 ECDH keygen+shared %.3f ms/op\n", (t1 - t0) / iters);
    printf("bench P-256 ECDSA sign %.3f ms/op\n", (t2 - t1) / iters);
    printf("bench P-256 ECDSA verify %.3f ms/op\n", (t3 - t2) / iters);
    mt_ec_free(peer);
    mt_rng_seeded_wipe(&s);
}

int main(void)
{
    if (!load_curves()) {
        fprintf(stderr, "cannot load spec/fixtures/ec-curves.txt\n");
        return 2;
    }
    RUN(test_rfc6979_sign);
    RUN(test_rfc6979_verify);
    RUN(test_der_strict);
    RUN(test_cavs_ecdh);
    RUN(test_rfc8448_hrr_ecdhe);
    RUN(test_rfc8448_cert_verify);
    RUN(test_invalid_points);
    RUN(test_private_range);
    RUN(test_misuse);
    RUN(test_generate);
    RUN(test_generate_pinned);
    if (getenv("MT_BENCH")) bench();
    return test_summary();
}
