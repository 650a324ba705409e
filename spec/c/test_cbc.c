/*
 * test_cbc.c - the CBC+HMAC record primitive (lib/crypto/cbc.c) and AES-CBC (aes.c):
 * RFC 3602 / SP 800-38A known answers on both code paths; TLS record vectors from an
 * independent implementation (MtE and EtM, TLS 1.0 chaining and explicit IVs, all three
 * MACs, both key sizes); round trips over every length 0..300 and every pad_extra;
 * every single-bit flip and every padding corruption rejected with the same
 * MT_ERR_BAD_MAC; public length errors; and the Lucky 13 defence: the constant-time MAC
 * runs the same number of compressions whatever the padding, and under valgrind the
 * padding/MAC check is run on undefined (secret) bytes and must raise no memcheck error,
 * i.e. no branch and no memory address depends on them (ctgrind, A. Langley 2010).
 */
#include "crypto/aes.h"
#include "crypto/cipher.h"
#include "crypto/sym_impl.h"
#include "moontls.h"
#include "test.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif
#endif
#ifndef HAVE_MEMCHECK
#define HAVE_MEMCHECK 0
#define RUNNING_ON_VALGRIND 0
#endif

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    size_t key_len;
    mt_hash_id mac;
    int explicit_iv;
    int etm;
} cfg_t;

static cfg_t cfgs[24];
static int n_cfgs;

static void make_cfgs(void)
{
    static const mt_hash_id macs[] = {MT_HASH_SHA1, MT_HASH_SHA256, MT_HASH_SHA384};
    n_cfgs = 0;
    for (int kl = 16; kl <= 32; kl += 16)
        for (size_t m = 0; m < N_ELEMS(macs); m++)
            for (int ex = 0; ex <= 1; ex++)
                for (int etm = 0; etm <= 1; etm++)
                    cfgs[n_cfgs++] = (cfg_t){(size_t)kl, macs[m], ex, etm};
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 12345;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static const uint8_t iv0[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

/* A fresh object for a configuration, with keys derived from `seed`. */
static mt_cbc *new_cbc(const cfg_t *c, uint32_t seed, mt_sym_impl impl)
{
    uint8_t k[32], mk[48];
    mt_cbc *o = NULL;
    fill(k, sizeof k, seed);
    fill(mk, sizeof mk, seed + 1);
    int rc = mt_cbc_new_impl(&o, k, c->key_len, c->mac, mk, c->explicit_iv,
                             c->explicit_iv ? NULL : iv0, c->etm, impl);
    CHECK_EQ(rc, MT_OK);
    return o;
}

static void make_hdr(uint8_t *hdr, uint64_t seq, size_t len)
{
    for (int i = 0; i < 8; i++)
        hdr[i] = (uint8_t)(seq >> (56 - 8 * i));
    hdr[8] = 23;
    hdr[9] = 3;
    hdr[10] = 3;
    hdr[11] = (uint8_t)(len >> 8);
    hdr[12] = (uint8_t)len;
}

static mt_hash_id hash_by_name(const char *s)
{
    if (strcmp(s, "sha1") == 0) return MT_HASH_SHA1;
    if (strcmp(s, "sha256") == 0) return MT_HASH_SHA256;
    return MT_HASH_SHA384;
}

/* ---- AES-CBC known answers ---- */

static void test_aes_cbc_kat(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/cbc-rfc3602.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        size_t kl, il, pl, cl;
        uint8_t *key = vec_hex(&v, "key", &kl), *iv = vec_hex(&v, "iv", &il);
        uint8_t *pt = vec_hex(&v, "pt", &pl), *ct = vec_hex(&v, "ct", &cl);
        uint8_t buf[64], ivc[16];
        for (int impl = 0; impl <= 1; impl++) {
            mt_aes_key k;
            CHECK_EQ(mt_aes_init(&k, key, kl, (mt_sym_impl)impl), MT_OK);
            memcpy(ivc, iv, 16);
            mt_aes_cbc_encrypt(&k, ivc, pt, buf, pl);
            CHECK_MEM(buf, ct, cl);
            CHECK_MEM(ivc, &ct[cl - 16], 16); /* the chaining IV is the last block */
            memcpy(ivc, iv, 16);
            mt_aes_cbc_decrypt(&k, ivc, buf, buf, cl); /* in place */
            CHECK_MEM(buf, pt, pl);
            CHECK_MEM(ivc, &ct[cl - 16], 16);
            /* Block by block gives the same as all at once (IV carried). */
            memcpy(ivc, iv, 16);
            for (size_t off = 0; off < pl; off += 16)
                mt_aes_cbc_encrypt(&k, ivc, &pt[off], &buf[off], 16);
            CHECK_MEM(buf, ct, cl);
            mt_aes_wipe(&k);
        }
        free(key);
        free(iv);
        free(pt);
        free(ct);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 6);
}

/* ---- TLS record vectors ---- */

static void test_record_kat(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/cbc-tls-records.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        size_t kl, ml, il = 0;
        uint8_t *k = vec_hex(&v, "enc_key", &kl), *mk = vec_hex(&v, "mac_key", &ml);
        int explicit_iv = atoi(vec_get(&v, "explicit_iv")), etm = atoi(vec_get(&v, "etm"));
        uint8_t *iv = explicit_iv ? NULL : vec_hex(&v, "iv", &il);
        mt_hash_id mac = hash_by_name(vec_get(&v, "mac"));
        for (int impl = 0; impl <= 1; impl++) {
            mt_cbc *tx = NULL, *rx = NULL;
            CHECK_EQ(mt_cbc_new_impl(&tx, k, kl, mac, mk, explicit_iv, iv, etm, (mt_sym_impl)impl),
                     MT_OK);
            CHECK_EQ(mt_cbc_new_impl(&rx, k, kl, mac, mk, explicit_iv, iv, etm, (mt_sym_impl)impl),
                     MT_OK);
            if (!tx || !rx) break;
            for (int r = 0; r < 3; r++) {
                char key[32];
                size_t hl, pl, rl, el = 0;
                snprintf(key, sizeof key, "hdr.%d", r);
                uint8_t *hdr = vec_hex(&v, key, &hl);
                snprintf(key, sizeof key, "pt.%d", r);
                uint8_t *pt = vec_hex(&v, key, &pl);
                snprintf(key, sizeof key, "record.%d", r);
                uint8_t *rec = vec_hex(&v, key, &rl);
                snprintf(key, sizeof key, "pad_extra.%d", r);
                unsigned pe = (unsigned)atoi(vec_get(&v, key));
                snprintf(key, sizeof key, "explicit_iv.%d", r);
                uint8_t *eiv = explicit_iv ? vec_hex(&v, key, &el) : NULL;
                uint8_t *out = malloc(pl + mt_cbc_max_overhead(tx));
                size_t ol = 0;
                CHECK_EQ(mt_cbc_seal(tx, hdr, pt, pl, eiv, pe, out, &ol), MT_OK);
                CHECK_EQ(ol, rl);
                CHECK_MEM(out, rec, rl);
                CHECK_EQ(mt_cbc_open(rx, hdr, rec, rl, out, &ol), MT_OK);
                CHECK_EQ(ol, pl);
                CHECK_MEM(out, pt, pl);
                free(out);
                free(hdr);
                free(pt);
                free(rec);
                free(eiv);
            }
            mt_cbc_free(tx);
            mt_cbc_free(rx);
        }
        free(k);
        free(mk);
        free(iv);
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 24);
}

/* ---- round trips ---- */

/* Every configuration, every length 0..300 and every pad_extra 0..15 (a sample of them
 * under MT_TEST_QUICK): seal then open gives the plaintext back, the fragment length is
 * IV + the padded blocks (+ MAC for EtM), and the TLS 1.0 IV chain stays in step. */
static void test_roundtrip(void)
{
    static uint8_t pt[300], rec[300 + 320], back[300 + 320];
    int quick = getenv("MT_TEST_QUICK") != NULL;
    make_cfgs();
    long bad = 0, done = 0;
    for (int ci = 0; ci < n_cfgs; ci++) {
        const cfg_t *c = &cfgs[ci];
        mt_cbc *tx = new_cbc(c, (uint32_t)ci, MT_SYM_AUTO);
        mt_cbc *rx = new_cbc(c, (uint32_t)ci, ci % 2 ? MT_SYM_PORTABLE : MT_SYM_AUTO);
        if (!tx || !rx) break;
        size_t ml = mt_hash_len(c->mac);
        uint64_t seq = 0;
        for (size_t len = 0; len <= 300; len += quick ? 7 : 1) {
            for (unsigned pe = 0; pe <= 15; pe += quick ? 15 : 1) {
                uint8_t hdr[13], eiv[16];
                size_t rl = 0, bl = 0;
                make_hdr(hdr, seq++, len);
                fill(pt, len, (uint32_t)(len * 31 + pe));
                fill(eiv, 16, (uint32_t)seq);
                bad += mt_cbc_seal(tx, hdr, pt, len, eiv, pe, rec, &rl) != MT_OK;
                size_t inner = len + (c->etm ? 0 : ml) + 1;
                size_t want = (c->explicit_iv ? 16 : 0) + (inner + 15) / 16 * 16 + 16 * pe +
                              (c->etm ? ml : 0);
                bad += rl != want;
                bad += rl > len + mt_cbc_max_overhead(tx);
                bad += mt_cbc_open(rx, hdr, rec, rl, back, &bl) != MT_OK;
                bad += bl != len || memcmp(back, pt, len) != 0;
                done++;
            }
        }
        /* In place, both directions. */
        uint8_t hdr[13], eiv[16] = {9};
        size_t rl = 0, bl = 0;
        make_hdr(hdr, seq, 100);
        fill(pt, 100, 4242);
        memcpy(rec, pt, 100);
        CHECK_EQ(mt_cbc_seal(tx, hdr, rec, 100, eiv, 2, rec, &rl), MT_OK);
        CHECK_EQ(mt_cbc_open(rx, hdr, rec, rl, rec, &bl), MT_OK);
        CHECK_EQ(bl, 100);
        CHECK_MEM(rec, pt, 100);
        mt_cbc_free(tx);
        mt_cbc_free(rx);
    }
    CHECK_EQ(bad, 0);
    CHECK(done >= 24 * 43 * 2);
}

/* ---- tampering ---- */

/* Every single-bit flip of a whole fragment (IV, ciphertext, MAC) is rejected with
 * MT_ERR_BAD_MAC, for every configuration, and the output is wiped. */
static void test_bit_flips(void)
{
    uint8_t pt[37], rec[37 + 320], bad_rec[37 + 320], out[37 + 320], eiv[16];
    make_cfgs();
    fill(pt, sizeof pt, 99);
    fill(eiv, sizeof eiv, 98);
    for (int ci = 0; ci < n_cfgs; ci++) {
        const cfg_t *c = &cfgs[ci];
        mt_cbc *tx = new_cbc(c, 500u + (uint32_t)ci, MT_SYM_AUTO);
        uint8_t hdr[13];
        size_t rl = 0, ol = 0;
        if (!tx) break;
        make_hdr(hdr, 7, sizeof pt);
        CHECK_EQ(mt_cbc_seal(tx, hdr, pt, sizeof pt, eiv, 1, rec, &rl), MT_OK);
        long rejected = 0, wiped = 0;
        for (size_t bit = 0; bit < rl * 8; bit++) {
            mt_cbc *rx = new_cbc(c, 500u + (uint32_t)ci, MT_SYM_AUTO);
            if (!rx) break;
            memcpy(bad_rec, rec, rl);
            bad_rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            memset(out, 0x5a, sizeof out);
            rejected += mt_cbc_open(rx, hdr, bad_rec, rl, out, &ol) == MT_ERR_BAD_MAC;
            /* MtE decrypts before it can judge: the output must be wiped. EtM rejects
             * before decrypting: the output must be untouched. */
            size_t body = rl - (c->explicit_iv ? 16 : 0) - (c->etm ? mt_hash_len(c->mac) : 0);
            uint8_t expect = c->etm ? 0x5a : 0x00, diff = 0;
            for (size_t i = 0; i < body; i++)
                diff |= (uint8_t)(out[i] ^ expect);
            wiped += diff == 0;
            mt_cbc_free(rx);
        }
        CHECK_EQ(rejected, (long)rl * 8);
        CHECK_EQ(wiped, (long)rl * 8);
        /* A different sequence number (in the MAC'd header) is rejected too. */
        mt_cbc *rx = new_cbc(c, 500u + (uint32_t)ci, MT_SYM_AUTO);
        make_hdr(hdr, 8, sizeof pt);
        CHECK_EQ(mt_cbc_open(rx, hdr, rec, rl, out, &ol), MT_ERR_BAD_MAC);
        mt_cbc_free(rx);
        mt_cbc_free(tx);
    }
}

/* Build a MAC-then-encrypt fragment by hand (explicit IV): content || mac || padding,
 * where the caller chooses every padding byte, then encrypt with raw AES-CBC. */
static size_t craft_mte(const uint8_t *k, size_t kl, mt_hash_id h, const uint8_t *mk,
                        const uint8_t *hdr, const uint8_t *content, size_t clen, int mac_bit,
                        const uint8_t *padding, size_t padlen_total, uint8_t *out)
{
    uint8_t h13[13], iv[16];
    size_t ml = mt_hash_len(h);
    memcpy(h13, hdr, 13);
    h13[11] = (uint8_t)(clen >> 8);
    h13[12] = (uint8_t)clen;
    mt_hmac_ctx m;
    mt_hmac_init(&m, h, mk, ml);
    mt_hmac_update(&m, h13, 13);
    mt_hmac_update(&m, content, clen);
    fill(out, 16, 1234); /* explicit IV */
    memcpy(iv, out, 16);
    memcpy(&out[16], content, clen);
    mt_hmac_final(&m, &out[16 + clen]);
    if (mac_bit >= 0) out[16 + clen + (size_t)mac_bit / 8] ^= (uint8_t)(1u << (mac_bit % 8));
    memcpy(&out[16 + clen + ml], padding, padlen_total);
    size_t body = clen + ml + padlen_total;
    mt_aes_key ak;
    mt_aes_init(&ak, k, kl, MT_SYM_AUTO);
    mt_aes_cbc_encrypt(&ak, iv, &out[16], &out[16], body);
    mt_aes_wipe(&ak);
    return 16 + body;
}

/* Every way to corrupt MAC-then-encrypt padding gives exactly MT_ERR_BAD_MAC, the same
 * code as a bad MAC: each padding byte changed in turn (padding lengths 0, 1, 15, 16, 100,
 * 255), a padding length longer than the record, SSLv3-style arbitrary padding; while the
 * uncorrupted record (the control) opens. */
static void test_padding_corruption(void)
{
    static const mt_hash_id macs[] = {MT_HASH_SHA1, MT_HASH_SHA256, MT_HASH_SHA384};
    static const size_t pads[] = {0, 1, 15, 16, 100, 255};
    uint8_t k[32], mk[48], content[64], padding[256], rec[16 + 64 + 48 + 256 + 16], out[512];
    uint8_t hdr[13];
    fill(k, 32, 1);
    fill(mk, 48, 2);
    make_hdr(hdr, 3, 0);
    long ok = 0, bad_mac = 0, other = 0, cases = 0;
    for (size_t m = 0; m < N_ELEMS(macs); m++) {
        size_t ml = mt_hash_len(macs[m]);
        mt_cbc *rx = NULL;
        CHECK_EQ(mt_cbc_new(&rx, k, 16, macs[m], mk, 1, NULL, 0), MT_OK);
        if (!rx) continue;
        for (size_t p = 0; p < N_ELEMS(pads); p++) {
            size_t pl = pads[p];
            /* Content length that makes content + MAC + padding + 1 a whole number of
             * blocks. */
            size_t clen = (64 - (ml + pl + 1) % 16) % 16 + 16;
            fill(content, clen, (uint32_t)(m * 100 + p));
            memset(padding, (int)pl, pl + 1);
            size_t ol, rl;
            rl = craft_mte(k, 16, macs[m], mk, hdr, content, clen, -1, padding, pl + 1, rec);
            int rc = mt_cbc_open(rx, hdr, rec, rl, out, &ol);
            ok += rc == MT_OK && ol == clen && memcmp(out, content, clen) == 0;
            /* Each padding byte (not the length byte) changed in turn. */
            for (size_t i = 0; i < pl; i++) {
                memset(padding, (int)pl, pl + 1);
                padding[i] ^= 0x01;
                rl = craft_mte(k, 16, macs[m], mk, hdr, content, clen, -1, padding, pl + 1, rec);
                rc = mt_cbc_open(rx, hdr, rec, rl, out, &ol);
                bad_mac += rc == MT_ERR_BAD_MAC;
                other += rc != MT_ERR_BAD_MAC;
                cases++;
            }
            /* The length byte claims one byte more or less than the padding that is there. */
            for (int d = -1; d <= 1; d += 2) {
                if (pl == 0 && d < 0) continue;
                memset(padding, (int)pl, pl + 1);
                padding[pl] = (uint8_t)(pl + (size_t)d);
                rl = craft_mte(k, 16, macs[m], mk, hdr, content, clen, -1, padding, pl + 1, rec);
                rc = mt_cbc_open(rx, hdr, rec, rl, out, &ol);
                bad_mac += rc == MT_ERR_BAD_MAC;
                other += rc != MT_ERR_BAD_MAC;
                cases++;
            }
            /* SSLv3-style: arbitrary padding bytes with a correct length byte. */
            if (pl >= 2) {
                fill(padding, pl, 77);
                padding[pl] = (uint8_t)pl;
                rl = craft_mte(k, 16, macs[m], mk, hdr, content, clen, -1, padding, pl + 1, rec);
                rc = mt_cbc_open(rx, hdr, rec, rl, out, &ol);
                bad_mac += rc == MT_ERR_BAD_MAC;
                other += rc != MT_ERR_BAD_MAC;
                cases++;
            }
            /* Valid padding, MAC wrong in one bit (first, middle, last). */
            for (int bit = 0; bit < (int)ml * 8; bit += (int)ml * 4 - 1) {
                memset(padding, (int)pl, pl + 1);
                rl = craft_mte(k, 16, macs[m], mk, hdr, content, clen, bit, padding, pl + 1, rec);
                rc = mt_cbc_open(rx, hdr, rec, rl, out, &ol);
                bad_mac += rc == MT_ERR_BAD_MAC;
                other += rc != MT_ERR_BAD_MAC;
                cases++;
            }
        }
        /* Padding length byte 255 in a record too short to hold it and the MAC. */
        memset(padding, 255, 16);
        size_t ol, rl = craft_mte(k, 16, macs[m], mk, hdr, content, 16 - (ml + 16) % 16, -1,
                                  padding, 16, rec);
        int rc = mt_cbc_open(rx, hdr, rec, rl, out, &ol);
        bad_mac += rc == MT_ERR_BAD_MAC;
        other += rc != MT_ERR_BAD_MAC;
        cases++;
        mt_cbc_free(rx);
    }
    CHECK_EQ(ok, (long)(N_ELEMS(macs) * N_ELEMS(pads)));
    CHECK_EQ(other, 0);
    CHECK_EQ(bad_mac, cases);
    CHECK(cases > 1000);
}

/* Encrypt-then-MAC: a genuine MAC over ciphertext whose padding is wrong still gives
 * MT_ERR_BAD_MAC (RFC 7366 3: bad_record_mac for padding too). */
static void test_etm_bad_padding(void)
{
    uint8_t k[16], mk[32], rec[16 + 64 + 32], out[128], iv[16], hdr[13], h13[13];
    fill(k, 16, 5);
    fill(mk, 32, 6);
    make_hdr(hdr, 1, 0);
    mt_cbc *rx = NULL;
    CHECK_EQ(mt_cbc_new(&rx, k, 16, MT_HASH_SHA256, mk, 1, NULL, 1), MT_OK);
    if (!rx) return;
    for (int variant = 0; variant < 3; variant++) {
        uint8_t body[48];
        fill(body, 48, 7);
        if (variant == 0) body[47] = 47;  /* claims 47 padding bytes that are not 47 */
        if (variant == 1) body[47] = 200; /* longer than the record */
        if (variant == 2) {
            memset(&body[40], 7, 8); /* valid: 7 padding bytes + length byte */
        }
        fill(rec, 16, 8);
        memcpy(iv, rec, 16);
        mt_aes_key ak;
        mt_aes_init(&ak, k, 16, MT_SYM_AUTO);
        mt_aes_cbc_encrypt(&ak, iv, body, &rec[16], 48);
        mt_aes_wipe(&ak);
        memcpy(h13, hdr, 13);
        h13[11] = 0;
        h13[12] = 64;
        mt_hmac_ctx m;
        mt_hmac_init(&m, MT_HASH_SHA256, mk, 32);
        mt_hmac_update(&m, h13, 13);
        mt_hmac_update(&m, rec, 64);
        mt_hmac_final(&m, &rec[64]);
        size_t ol = 0;
        int rc = mt_cbc_open(rx, hdr, rec, 96, out, &ol);
        if (variant == 2) {
            CHECK_EQ(rc, MT_OK);
            CHECK_EQ(ol, 40);
            CHECK_MEM(out, body, 40);
        } else {
            CHECK_EQ(rc, MT_ERR_BAD_MAC);
        }
    }
    mt_cbc_free(rx);
}

/* Lengths that no CBC record can have are public: MT_ERR_DECODE. */
static void test_bad_lengths(void)
{
    make_cfgs();
    uint8_t rec[512] = {0}, out[512], hdr[13];
    make_hdr(hdr, 0, 0);
    for (int ci = 0; ci < n_cfgs; ci++) {
        const cfg_t *c = &cfgs[ci];
        mt_cbc *rx = new_cbc(c, 1, MT_SYM_AUTO);
        if (!rx) break;
        size_t ml = mt_hash_len(c->mac), ivl = c->explicit_iv ? 16 : 0, ol;
        size_t min_body = c->etm ? 16 : (ml + 1 + 15) / 16 * 16;
        size_t min_len = ivl + min_body + (c->etm ? ml : 0);
        CHECK_EQ(mt_cbc_open(rx, hdr, rec, 0, out, &ol), MT_ERR_DECODE);
        CHECK_EQ(mt_cbc_open(rx, hdr, rec, min_len - 16, out, &ol), MT_ERR_DECODE);
        CHECK_EQ(mt_cbc_open(rx, hdr, rec, min_len + 1, out, &ol), MT_ERR_DECODE);
        CHECK_EQ(mt_cbc_open(rx, hdr, rec, min_len + 15, out, &ol), MT_ERR_DECODE);
        /* The smallest well-shaped fragment is processed (and fails authentication). */
        CHECK_EQ(mt_cbc_open(rx, hdr, rec, min_len, out, &ol), MT_ERR_BAD_MAC);
        mt_cbc_free(rx);
    }
    uint8_t k[32] = {0}, mk[48] = {0};
    mt_cbc *o = NULL;
    CHECK_EQ(mt_cbc_new(&o, k, 24, MT_HASH_SHA1, mk, 1, NULL, 0), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_cbc_new(&o, k, 16, MT_HASH_MD5, mk, 1, NULL, 0), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_cbc_new(&o, k, 16, MT_HASH_SHA1, mk, 0, NULL, 0), MT_ERR_BAD_PARAM);
    CHECK(o == NULL);
    CHECK_EQ(mt_cbc_new(&o, k, 16, MT_HASH_SHA1, mk, 1, NULL, 0), MT_OK);
    size_t ol;
    CHECK_EQ(mt_cbc_seal(o, hdr, rec, 10, rec, 16, out, &ol), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_cbc_seal(o, hdr, rec, 10, NULL, 0, out, &ol), MT_ERR_BAD_PARAM);
    mt_cbc_free(o);
    mt_cbc_free(NULL);
}

/* ---- Lucky 13 ---- */

/* The constant-time MAC equals plain HMAC(hdr with the content length || content) for
 * every secret length in the window a padding can reach, and the number of compression
 * calls depends only on the public maximum: the work is independent of the padding. */
static void test_ct_mac_constant_work(void)
{
    static const mt_hash_id macs[] = {MT_HASH_SHA1, MT_HASH_SHA256, MT_HASH_SHA384};
    static const size_t maxes[] = {0, 1, 13, 50, 64, 255, 256, 300, 1000, 16384 + 256};
    static uint8_t data[16384 + 256];
    uint8_t hdr[13], key[48], got[64], want[64], h13[13];
    int quick = getenv("MT_TEST_QUICK") != NULL;
    fill(data, sizeof data, 3);
    fill(key, sizeof key, 4);
    make_hdr(hdr, 0x0102030405060708ULL, 0);
    long mismatches = 0, lens = 0;
    for (size_t m = 0; m < N_ELEMS(macs); m++) {
        mt_hmac_ctx k;
        CHECK_EQ(mt_hmac_init(&k, macs[m], key, mt_hash_len(macs[m])), MT_OK);
        for (size_t x = 0; x < N_ELEMS(maxes); x++) {
            size_t max = maxes[x], lo = max > 256 ? max - 256 : 0;
            unsigned first = 0, blocks = 0;
            int varies = 0;
            for (size_t dl = lo; dl <= max; dl += (quick && max > 1000) ? 17 : 1) {
                CHECK_EQ(mt_cbc_mac_ct(&k, hdr, data, dl, max, got, &blocks), MT_OK);
                memcpy(h13, hdr, 13);
                h13[11] = (uint8_t)(dl >> 8);
                h13[12] = (uint8_t)dl;
                mt_hmac_ctx r;
                mt_hmac_clone(&r, &k);
                mt_hmac_update(&r, h13, 13);
                mt_hmac_update(&r, data, dl);
                mt_hmac_final(&r, want);
                mismatches += memcmp(got, want, mt_hash_len(macs[m])) != 0;
                if (dl == lo) first = blocks;
                varies |= blocks != first;
                lens++;
            }
            CHECK(!varies);
            /* The count is what hashing the longest message needs (plus nothing). */
            size_t bs = mt_hash_block_len(macs[m]), lf = bs == 128 ? 16 : 8;
            CHECK_EQ(first, (13 + max + lf) / bs + 1);
        }
        mt_hmac_wipe(&k);
    }
    CHECK_EQ(mismatches, 0);
    CHECK(lens > 3000);
}

/* ctgrind: mark a decrypted record (content, MAC, padding, padding length: everything an
 * attacker must not learn through timing) undefined for memcheck, run the constant-time
 * check, and require that memcheck reports no branch or address that depended on it.
 * Without valgrind the same calls still check the verdicts. */
static void test_ctgrind_mte(void)
{
    static const mt_hash_id macs[] = {MT_HASH_SHA1, MT_HASH_SHA256, MT_HASH_SHA384};
    uint8_t k[16], mk[48], hdr[13], content[300], padding[256], rec[16 + 300 + 48 + 256 + 16];
    fill(k, 16, 11);
    fill(mk, 48, 12);
    make_hdr(hdr, 5, 0);
#if HAVE_MEMCHECK
    unsigned long errors_before = VALGRIND_COUNT_ERRORS;
#endif
    int verdicts_ok = 0, runs = 0;
    for (size_t m = 0; m < N_ELEMS(macs); m++) {
        size_t ml = mt_hash_len(macs[m]);
        mt_cbc *c = NULL;
        CHECK_EQ(mt_cbc_new(&c, k, 16, macs[m], mk, 1, NULL, 0), MT_OK);
        if (!c) continue;
        for (int variant = 0; variant < 3; variant++) {
            for (size_t pl = 0; pl < 256; pl += 51) {
                size_t clen = (300 - (ml + pl + 1) % 16) % 16 + 200;
                fill(content, clen, (uint32_t)pl);
                memset(padding, (int)pl, pl + 1);
                if (variant == 1 && pl > 0) padding[0] ^= 0x40;
                size_t rl = craft_mte(k, 16, macs[m], mk, hdr, content, clen, variant == 2 ? 3 : -1,
                                      padding, pl + 1, rec);
                /* Decrypt to the plaintext record as mt_cbc_open would. */
                mt_aes_key ak;
                uint8_t iv[16];
                mt_aes_init(&ak, k, 16, MT_SYM_AUTO);
                memcpy(iv, rec, 16);
                mt_aes_cbc_decrypt(&ak, iv, &rec[16], &rec[16], rl - 16);
                mt_aes_wipe(&ak);
                size_t body = rl - 16, got_len = 0;
#if HAVE_MEMCHECK
                VALGRIND_MAKE_MEM_UNDEFINED(&rec[16], body);
#endif
                size_t good = mt_cbc_check_mte(c, hdr, &rec[16], body, &got_len);
#if HAVE_MEMCHECK
                VALGRIND_MAKE_MEM_DEFINED(&good, sizeof good);
                VALGRIND_MAKE_MEM_DEFINED(&got_len, sizeof got_len);
                VALGRIND_MAKE_MEM_DEFINED(&rec[16], body);
#endif
                int want_good = variant == 0 || (variant == 1 && pl == 0);
                verdicts_ok += (good != 0) == want_good && (!want_good || got_len == clen);
                runs++;
            }
        }
        mt_cbc_free(c);
    }
    CHECK_EQ(verdicts_ok, runs);
#if HAVE_MEMCHECK
    if (RUNNING_ON_VALGRIND) {
        unsigned long errors = VALGRIND_COUNT_ERRORS - errors_before;
        CHECK_EQ(errors, 0);
        printf("ctgrind: %d padding/MAC checks on undefined data, %lu memcheck errors\n", runs,
               errors);
    } else {
        printf("ctgrind: not under valgrind; verdicts only (make valgrind runs the check)\n");
    }
#endif
}

int main(void)
{
    RUN(test_aes_cbc_kat);
    RUN(test_record_kat);
    RUN(test_roundtrip);
    RUN(test_bit_flips);
    RUN(test_padding_corruption);
    RUN(test_etm_bad_padding);
    RUN(test_bad_lengths);
    RUN(test_ct_mac_constant_work);
    RUN(test_ctgrind_mte);
    return test_summary();
}
