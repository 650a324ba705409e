/*
 * cbc.c - TLS 1.0-1.2 CBC record protection: AES-128/256-CBC with HMAC-SHA1/256/384,
 * MAC-then-encrypt (RFC 5246 6.2.3.2, RFC 2246 6.2.3.2) or encrypt-then-MAC (RFC 7366).
 *
 * Notes:
 * - Seal builds content || MAC || padding || padding_length in the output buffer and
 *   encrypts it in place; TLS 1.0 chains the IV from the last ciphertext block of the
 *   previous record (kept in the object), TLS 1.1+ writes the caller's explicit IV first.
 * - Open with MAC-then-encrypt is constant-time in the padding and MAC (Lucky 13,
 *   AlFardan-Paterson 2013): after decryption, a secret-independent sequence of operations
 *   checks the padding with masks over the last 256 bytes, finds the content length
 *   arithmetically, copies the received MAC out by a rotation over a public window, and
 *   computes the HMAC over the secret-length content with a fixed number of compression
 *   calls (mt_cbc_mac_ct: blocks that may hold the message end are all compressed, and the
 *   state after the real final block is selected with masks, the approach of OpenSSL's
 *   ssl3_cbc_digest_record). Bad padding and bad MAC give the same MT_ERR_BAD_MAC.
 * - Only the final verdict is branched on. The one public-length check (the fragment
 *   must hold whole blocks, the IV, the MAC and a length byte) returns MT_ERR_DECODE.
 * - Encrypt-then-MAC verifies the MAC over the ciphertext first (public lengths, plain
 *   HMAC and mt_ct_eq); padding is checked after decryption only for a genuine record.
 */
#include "aes.h"
#include "buf/buf.h"
#include "cipher.h"
#include "hash.h"
#include "internal.h"
#include "sym_impl.h"

#include <limits.h>
#include <stdlib.h>
#include <tomcrypt.h>

#define TLS_HDR_LEN 13
#define MAX_PAD 256 /* padding bytes plus the padding-length byte, RFC 5246 6.2.3.2 */

struct mt_cbc {
    mt_aes_key aes;
    mt_hmac_ctx mac; /* prepared inner and outer states */
    mt_hash_id mac_id;
    size_t mac_len;
    uint8_t iv[16]; /* TLS 1.0: the chained IV */
    uint8_t explicit_iv;
    uint8_t etm;
};

/* ---- constant-time helpers over size_t (operands below 2^(bits-1)) ---- */

#define ST_BITS (sizeof(size_t) * CHAR_BIT)

/* An optimisation barrier: the compiler may not reason about the value that passes
 * through, so it cannot turn mask arithmetic back into branches or turn a masked scan
 * into a secret-indexed load (GCC does both without it; the ctgrind test caught it). */
static size_t vb(size_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__ __volatile__("" : "+r"(x));
#endif
    return x;
}

static size_t ct_lt(size_t a, size_t b) /* all ones if a < b */
{
    return vb((size_t)0 - ((vb(a) - vb(b)) >> (ST_BITS - 1)));
}

static size_t ct_eq(size_t a, size_t b) /* all ones if a == b */
{
    size_t z = vb(a ^ b);
    return vb(((z | ((size_t)0 - z)) >> (ST_BITS - 1)) - 1);
}

/* ---- the hash compression function through libtomcrypt ---- */

static const struct ltc_hash_descriptor *mac_desc(mt_hash_id id)
{
    switch (id) {
    case MT_HASH_SHA1:
        return &sha1_desc;
    case MT_HASH_SHA256:
        return &sha256_desc;
    case MT_HASH_SHA384:
        return &sha384_desc;
    default:
        return NULL;
    }
}

/* Serialise the chaining value (big-endian words) of a state that sits on a block
 * boundary; for SHA-384 the first six 64-bit words. */
static void chain_bytes(mt_hash_id id, const hash_state *st, uint8_t *out)
{
    switch (id) {
    case MT_HASH_SHA1:
        for (int i = 0; i < 5; i++)
            for (int b = 0; b < 4; b++)
                out[4 * i + b] = (uint8_t)(st->sha1.state[i] >> (24 - 8 * b));
        break;
    case MT_HASH_SHA256:
        for (int i = 0; i < 8; i++)
            for (int b = 0; b < 4; b++)
                out[4 * i + b] = (uint8_t)(st->sha256.state[i] >> (24 - 8 * b));
        break;
    case MT_HASH_SHA384:
    default:
        for (int i = 0; i < 6; i++)
            for (int b = 0; b < 8; b++)
                out[8 * i + b] = (uint8_t)(st->sha512.state[i] >> (56 - 8 * b));
        break;
    }
}

int mt_cbc_mac_ct(const mt_hmac_ctx *key, const uint8_t *hdr, const uint8_t *data, size_t data_len,
                  size_t max_len, uint8_t *mac, unsigned *blocks)
{
    mt_hash_id id = key->inner.id;
    const struct ltc_hash_descriptor *d = mac_desc(id);
    mt_hash_ctx inner, outer;
    uint8_t h13[TLS_HDR_LEN], blk[MT_HASH_MAX_BLOCK], cv[MT_HASH_MAX_LEN], sel[MT_HASH_MAX_LEN];
    uint8_t lenbytes[8];
    unsigned count = 0;
    int rc = MT_OK;
    /* Only public values are checked: data_len is secret. Every read of data is bounded
     * by max_len, so an out-of-range data_len gives a wrong MAC, never a wrong access. */
    MT_ENSURE(d != NULL && max_len < 0x10000, MT_ERR_CRYPTO);
    const size_t bs = d->blocksize, hl = d->hashsize;
    /* Length field of the hash padding: 8 bytes for SHA-1/256, 16 for SHA-384 (the upper
     * 8 are zero for any TLS record). */
    const size_t lf = bs == 128 ? 16 : 8;
    const size_t len = TLS_HDR_LEN + data_len; /* secret */
    const size_t len_max = TLS_HDR_LEN + max_len;
    const size_t len_min = TLS_HDR_LEN + (max_len > MAX_PAD ? max_len - MAX_PAD : 0);
    /* A shift, not a division, on the secret length: division time may depend on the
     * operands, and clang guards 64-bit divisions with a branch on their size. */
    const unsigned bs_log2 = bs == 128 ? 7 : 6;
    const size_t final_blk = (len + lf) >> bs_log2; /* secret: block holding the length */
    const size_t last_blk = (len_max + lf) / bs;
    const size_t pub_blks = len_min / bs;
    /* The MAC covers seq_num || type || version || length of the content (RFC 5246 6.2.3.1). */
    memcpy(h13, hdr, TLS_HDR_LEN);
    h13[11] = (uint8_t)(data_len >> 8);
    h13[12] = (uint8_t)data_len;
    uint64_t bits = (uint64_t)(bs + len) * 8; /* the ipad block counts too */
    for (int i = 0; i < 8; i++)
        lenbytes[i] = (uint8_t)(bits >> (56 - 8 * i));
    mt_hash_clone(&inner, &key->inner);
    hash_state *st = (hash_state *)(void *)inner.st.bytes;
    /* Blocks that lie before the earliest possible end of the message: plain hashing. */
    if (pub_blks > 0) {
        MT_ENSURE_GOTO(d->process(st, h13, TLS_HDR_LEN) == CRYPT_OK, MT_ERR_CRYPTO);
        MT_ENSURE_GOTO(d->process(st, data, pub_blks * bs - TLS_HDR_LEN) == CRYPT_OK,
                       MT_ERR_CRYPTO);
        count += (unsigned)pub_blks;
    }
    memset(sel, 0, sizeof sel);
    /* Every block that may hold the end of the message, the 0x80 byte or the length is
     * built with masks and compressed; the chaining value after block final_blk is kept. */
    for (size_t j = pub_blks; j <= last_blk; j++) {
        size_t is_final = ct_eq(j, final_blk);
        for (size_t t = 0; t < bs; t++) {
            size_t k = j * bs + t;
            uint8_t b = 0;
            if (k < TLS_HDR_LEN) {
                b = h13[k];
            } else if (k < len_max) {
                b = data[k - TLS_HDR_LEN];
            }
            b = (uint8_t)((b & ct_lt(k, len)) | (0x80 & ct_eq(k, len)));
            if (t >= bs - 8) b |= (uint8_t)(lenbytes[t - (bs - 8)] & is_final);
            blk[t] = b;
        }
        MT_ENSURE_GOTO(d->process(st, blk, bs) == CRYPT_OK, MT_ERR_CRYPTO);
        count++;
        chain_bytes(id, st, cv);
        for (size_t i = 0; i < hl; i++)
            sel[i] |= (uint8_t)(cv[i] & is_final);
    }
    /* HMAC outer hash: H(K ^ opad || inner digest), public length. */
    mt_hash_clone(&outer, &key->outer);
    MT_TRY_GOTO(mt_hash_update(&outer, sel, hl));
    MT_TRY_GOTO(mt_hash_final(&outer, mac));
    if (blocks) *blocks = count;
out:
    mt_hash_wipe(&inner);
    mt_hash_wipe(&outer);
    mt_wipe(h13, sizeof h13);
    mt_wipe(blk, sizeof blk);
    mt_wipe(cv, sizeof cv);
    mt_wipe(sel, sizeof sel);
    return rc;
}

/* ---- object ---- */

size_t mt_cbc_object_size(void)
{
    return sizeof(mt_cbc);
}

int mt_cbc_new_impl(mt_cbc **out, const uint8_t *enc_key, size_t enc_key_len, mt_hash_id mac,
                    const uint8_t *mac_key, int explicit_iv, const uint8_t *iv, int etm,
                    mt_sym_impl impl)
{
    int rc = MT_OK;
    MT_ENSURE(out != NULL, MT_ERR_BAD_PARAM);
    *out = NULL;
    MT_ENSURE(enc_key != NULL && mac_key != NULL && mac_desc(mac) != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(enc_key_len == 16 || enc_key_len == 32, MT_ERR_BAD_PARAM);
    MT_ENSURE(explicit_iv || iv != NULL, MT_ERR_BAD_PARAM);
    mt_cbc *c = calloc(1, sizeof *c);
    MT_ENSURE(c != NULL, MT_ERR_NO_MEMORY);
    MT_TRY_GOTO(mt_aes_init(&c->aes, enc_key, enc_key_len, impl));
    c->mac_id = mac;
    c->mac_len = mt_hash_len(mac);
    /* RFC 5246 6.3: the MAC key is as long as the MAC (SecurityParameters.mac_key_length). */
    MT_TRY_GOTO(mt_hmac_init(&c->mac, mac, mac_key, c->mac_len));
    c->explicit_iv = explicit_iv ? 1 : 0;
    c->etm = etm ? 1 : 0;
    if (!explicit_iv) memcpy(c->iv, iv, 16);
out:
    if (rc != MT_OK) {
        mt_cbc_free(c);
        return rc;
    }
    *out = c;
    return MT_OK;
}

int mt_cbc_new(mt_cbc **out, const uint8_t *enc_key, size_t enc_key_len, mt_hash_id mac,
               const uint8_t *mac_key, int explicit_iv, const uint8_t *iv, int etm)
{
    return mt_cbc_new_impl(out, enc_key, enc_key_len, mac, mac_key, explicit_iv, iv, etm,
                           MT_SYM_AUTO);
}

void mt_cbc_free(mt_cbc *c)
{
    if (!c) return;
    mt_wipe(c, sizeof *c);
    free(c);
}

size_t mt_cbc_max_overhead(const mt_cbc *c)
{
    return (c->explicit_iv ? 16 : 0) + c->mac_len + MAX_PAD;
}

/* ---- seal ---- */

static int mac_plain(const mt_cbc *c, const uint8_t *hdr, size_t length, const uint8_t *data,
                     size_t len, uint8_t *mac)
{
    mt_hmac_ctx h;
    uint8_t h13[TLS_HDR_LEN];
    memcpy(h13, hdr, TLS_HDR_LEN);
    h13[11] = (uint8_t)(length >> 8);
    h13[12] = (uint8_t)length;
    mt_hmac_clone(&h, &c->mac);
    int rc = mt_hmac_update(&h, h13, TLS_HDR_LEN);
    if (rc == MT_OK) rc = mt_hmac_update(&h, data, len);
    if (rc == MT_OK) return mt_hmac_final(&h, mac);
    mt_hmac_wipe(&h);
    return rc;
}

int mt_cbc_seal(mt_cbc *c, const uint8_t *hdr, const uint8_t *in, size_t len,
                const uint8_t *explicit_iv, unsigned pad_extra, uint8_t *out, size_t *out_len)
{
    uint8_t iv[16];
    MT_ENSURE(c != NULL && hdr != NULL && out != NULL && out_len != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(in != NULL || len == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(!c->explicit_iv || explicit_iv != NULL, MT_ERR_BAD_PARAM);
    /* RFC 5246 6.2.3.2: padding may be any length up to 255 making the total a multiple of
     * the block length; pad_extra adds whole blocks (at most 15, which always fits). */
    MT_ENSURE(pad_extra <= 15 && len <= 0xFFFF - 2048, MT_ERR_BAD_PARAM);
    const size_t ivl = c->explicit_iv ? 16 : 0;
    const size_t inner_mac = c->etm ? 0 : c->mac_len;
    const size_t pad = (16 - (len + inner_mac + 1) % 16) % 16 + 16 * (size_t)pad_extra;
    const size_t body = len + inner_mac + pad + 1;
    if (len) memmove(&out[ivl], in, len);
    if (!c->etm) MT_TRY(mac_plain(c, hdr, len, &out[ivl], len, &out[ivl + len]));
    memset(&out[ivl + len + inner_mac], (int)pad, pad + 1);
    if (c->explicit_iv) {
        memcpy(iv, explicit_iv, 16);
        memcpy(out, explicit_iv, 16);
    } else {
        memcpy(iv, c->iv, 16);
    }
    mt_aes_cbc_encrypt(&c->aes, iv, &out[ivl], &out[ivl], body);
    /* RFC 2246 6.2.3.2: with TLS 1.0 the next IV is the last ciphertext block. */
    if (!c->explicit_iv) memcpy(c->iv, iv, 16);
    *out_len = ivl + body;
    if (c->etm) {
        /* RFC 7366 3: MAC(MAC_write_key, seq_num + type + version + length + IV +
         * ENCRYPTED_CONTENT), length being that of IV + ENCRYPTED_CONTENT. */
        MT_TRY(mac_plain(c, hdr, ivl + body, out, ivl + body, &out[ivl + body]));
        *out_len += c->mac_len;
    }
    return MT_OK;
}

/* ---- open ---- */

size_t mt_cbc_check_mte(const mt_cbc *c, const uint8_t *hdr, const uint8_t *rec, size_t body,
                        size_t *content_len)
{
    const size_t ml = c->mac_len;
    uint8_t rotated[MT_HASH_MAX_LEN], received[MT_HASH_MAX_LEN], computed[MT_HASH_MAX_LEN];
    size_t pad = rec[body - 1];
    /* RFC 5246 6.2.3.2: each padding byte holds the padding length; the receiver must
     * check this padding. The record must also hold the MAC. */
    size_t good = ~ct_lt(body, pad + 1 + ml);
    size_t to_check = body < MAX_PAD ? body : MAX_PAD;
    for (size_t i = 0; i < to_check; i++) {
        size_t in_pad = ~ct_lt(pad, i); /* i <= pad */
        good &= ~(in_pad & ~ct_eq(rec[body - 1 - i], pad));
    }
    /* With bad padding, carry on as if there were none, so the work stays the same. */
    size_t content = body - ml - ((pad + 1) & good);
    /* Copy the received MAC rec[content .. content + ml) through a window that covers
     * every possible position, then undo the rotation, both without secret addresses. */
    size_t scan_start = body > ml + MAX_PAD ? body - (ml + MAX_PAD) : 0;
    size_t rot = 0, j = 0, in_mac = 0;
    memset(rotated, 0, sizeof rotated);
    for (size_t i = scan_start; i < body; i++) {
        size_t started = ct_eq(i, content);
        in_mac = (in_mac | started) & ct_lt(i, content + ml);
        rot |= j & started;
        rotated[j] |= (uint8_t)(rec[i] & in_mac);
        j++;
        j &= ct_lt(j, ml);
    }
    for (size_t i = 0; i < ml; i++) {
        uint8_t b = 0;
        size_t want = vb(rot) + i;
        want -= ml & ~ct_lt(want, ml);
        for (size_t k = 0; k < ml; k++)
            b |= (uint8_t)(rotated[k] & ct_eq(k, want));
        received[i] = b;
    }
    if (mt_cbc_mac_ct(&c->mac, hdr, rec, content, body - ml, computed, NULL) != MT_OK) good = 0;
    good &= (size_t)0 - (size_t)mt_ct_eq(computed, received, ml);
    *content_len = content;
    mt_wipe(rotated, sizeof rotated);
    mt_wipe(received, sizeof received);
    mt_wipe(computed, sizeof computed);
    return good;
}

/* Padding check of an authenticated encrypt-then-MAC fragment (masks, for uniformity). */
static size_t check_etm_pad(const uint8_t *rec, size_t body, size_t *content_len)
{
    size_t pad = rec[body - 1];
    size_t good = ~ct_lt(body, pad + 1);
    size_t to_check = body < MAX_PAD ? body : MAX_PAD;
    for (size_t i = 0; i < to_check; i++) {
        size_t in_pad = ~ct_lt(pad, i);
        good &= ~(in_pad & ~ct_eq(rec[body - 1 - i], pad));
    }
    *content_len = body - ((pad + 1) & good);
    return good;
}

int mt_cbc_open(mt_cbc *c, const uint8_t *hdr, const uint8_t *in, size_t len, uint8_t *out,
                size_t *out_len)
{
    uint8_t iv[16], next_iv[16], mac[MT_HASH_MAX_LEN];
    size_t content = 0, good = 0;
    MT_ENSURE(c != NULL && hdr != NULL && in != NULL && out != NULL && out_len != NULL,
              MT_ERR_BAD_PARAM);
    *out_len = 0;
    const size_t ivl = c->explicit_iv ? 16 : 0;
    const size_t ml = c->mac_len;
    /* Public shape (RFC 5246 6.2.3.2): IV, whole cipher blocks that hold at least the MAC
     * (MtE) and the padding-length byte, then the MAC (EtM). */
    const size_t tail = c->etm ? ml : 0;
    MT_ENSURE(len >= ivl + tail + 16 && len <= 0xFFFF, MT_ERR_DECODE);
    const size_t body = len - ivl - tail;
    MT_ENSURE(body % 16 == 0, MT_ERR_DECODE);
    MT_ENSURE(c->etm || body >= ml + 1, MT_ERR_DECODE);
    if (c->etm) {
        /* RFC 7366 3: the MAC is checked before any decryption. */
        MT_TRY(mac_plain(c, hdr, ivl + body, in, ivl + body, mac));
        good = (size_t)0 - (size_t)mt_ct_eq(mac, &in[ivl + body], ml);
        mt_wipe(mac, sizeof mac);
        if (!good) return MT_ERR_BAD_MAC;
    }
    memcpy(iv, c->explicit_iv ? in : c->iv, 16);
    memcpy(next_iv, &in[ivl + body - 16], 16);
    mt_aes_cbc_decrypt(&c->aes, iv, &in[ivl], out, body);
    if (!c->explicit_iv) memcpy(c->iv, next_iv, 16);
    good =
        c->etm ? check_etm_pad(out, body, &content) : mt_cbc_check_mte(c, hdr, out, body, &content);
    /* The verdict is public from here on (it becomes the alert). */
    if (!good) {
        mt_wipe(out, body);
        return MT_ERR_BAD_MAC;
    }
    mt_wipe(&out[content], body - content);
    *out_len = content;
    return MT_OK;
}
