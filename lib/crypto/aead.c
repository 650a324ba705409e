/*
 * aead.c - AES-GCM (NIST SP 800-38D) with 96-bit nonces, and ChaCha20-Poly1305 (RFC 8439)
 * over libtomcrypt, behind the mt_aead contract of cipher.h.
 *
 * Notes:
 * - GCM is assembled here from aes.c (the block cipher and 32-bit counter mode) and
 *   ghash.c, so a key object holds the AES round keys, H and its powers: about 700 bytes,
 *   not libtomcrypt's 68 KiB gcm_state.
 * - Open authenticates before it decrypts: the tag is recomputed over the ciphertext,
 *   compared with mt_ct_eq, and only a valid record is decrypted. For ChaCha20-Poly1305,
 *   libtomcrypt decrypts as it authenticates, so on failure the output is wiped instead.
 * - ChaCha20-Poly1305 keeps a libtomcrypt state keyed once (264 bytes) and copies it per
 *   record; chacha20poly1305_setiv derives the one-time Poly1305 key (RFC 8439 2.6).
 */
#include "buf/buf.h"
#include "cipher.h"
#include "ghash.h"
#include "internal.h"
#include "sym_impl.h"

#include <stdlib.h>
#include <tomcrypt.h>

struct mt_aead {
    mt_aead_id id;
    union {
        struct {
            mt_aes_key aes;
            mt_ghash_key gh;
        } gcm;
        chacha20poly1305_state cp;
    } u;
};

size_t mt_aead_key_len(mt_aead_id id)
{
    switch (id) {
    case MT_AEAD_AES128_GCM:
        return 16;
    case MT_AEAD_AES256_GCM:
    case MT_AEAD_CHACHA20_POLY1305:
        return 32;
    default:
        return 0;
    }
}

size_t mt_aead_object_size(void)
{
    return sizeof(mt_aead);
}

int mt_aead_is_hw(const mt_aead *a)
{
    return a->id != MT_AEAD_CHACHA20_POLY1305 && a->u.gcm.aes.ni && a->u.gcm.gh.clmul;
}

int mt_aead_new_impl(mt_aead **out, mt_aead_id id, const uint8_t *key, mt_sym_impl impl)
{
    size_t kl = mt_aead_key_len(id);
    int rc = MT_OK;
    MT_ENSURE(out != NULL && key != NULL && kl != 0, MT_ERR_BAD_PARAM);
    *out = NULL;
    MT_TRY(mt_crypto_init());
    mt_aead *a = calloc(1, sizeof *a);
    MT_ENSURE(a != NULL, MT_ERR_NO_MEMORY);
    a->id = id;
    if (id == MT_AEAD_CHACHA20_POLY1305) {
        MT_ENSURE_GOTO(chacha20poly1305_init(&a->u.cp, key, 32) == CRYPT_OK, MT_ERR_CRYPTO);
    } else {
        /* SP 800-38D 6.4: the hash subkey H = CIPH_K(0^128). */
        uint8_t h[16] = {0};
        MT_TRY_GOTO(mt_aes_init(&a->u.gcm.aes, key, kl, impl));
        mt_aes_encrypt(&a->u.gcm.aes, h, h);
        mt_ghash_init(&a->u.gcm.gh, h, impl);
        mt_wipe(h, sizeof h);
    }
out:
    if (rc != MT_OK) {
        mt_aead_free(a);
        return rc;
    }
    *out = a;
    return MT_OK;
}

int mt_aead_new(mt_aead **out, mt_aead_id id, const uint8_t *key)
{
    return mt_aead_new_impl(out, id, key, MT_SYM_AUTO);
}

void mt_aead_free(mt_aead *a)
{
    if (!a) return;
    mt_wipe(a, sizeof *a);
    free(a);
}

/* ---- GCM ---- */

/* S = GHASH_H(A || 0^v || C || 0^u || [len(A)]64 || [len(C)]64), SP 800-38D 7.1 step 5,
 * then T = GCTR_K(J0, S) (step 6) with J0 = IV || 0^31 || 1 for a 96-bit IV (step 2). */
static void gcm_tag(const mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    const uint8_t *ct, size_t len, uint8_t *tag)
{
    uint8_t y[16] = {0}, lens[16], j0[16];
    uint64_t abits = (uint64_t)aad_len * 8, cbits = (uint64_t)len * 8;
    mt_ghash_update(&a->u.gcm.gh, y, aad, aad_len);
    mt_ghash_update(&a->u.gcm.gh, y, ct, len);
    for (int i = 0; i < 8; i++) {
        lens[i] = (uint8_t)(abits >> (56 - 8 * i));
        lens[8 + i] = (uint8_t)(cbits >> (56 - 8 * i));
    }
    mt_ghash_update(&a->u.gcm.gh, y, lens, 16);
    memcpy(j0, nonce, 12);
    j0[12] = 0;
    j0[13] = 0;
    j0[14] = 0;
    j0[15] = 1;
    mt_aes_ctr32(&a->u.gcm.aes, j0, y, tag, 16);
    mt_wipe(y, sizeof y);
}

/* GCTR from inc32(J0) (SP 800-38D 7.1 step 3). */
static void gcm_ctr(const mt_aead *a, const uint8_t *nonce, const uint8_t *in, uint8_t *out,
                    size_t len)
{
    uint8_t ctr[16];
    memcpy(ctr, nonce, 12);
    ctr[12] = 0;
    ctr[13] = 0;
    ctr[14] = 0;
    ctr[15] = 2;
    mt_aes_ctr32(&a->u.gcm.aes, ctr, in, out, len);
}

/* ---- ChaCha20-Poly1305 ---- */

/* Seal or open in1 || in2 (open: in2 is empty) into out. libtomcrypt's encrypt and
 * decrypt continue the keystream and the Poly1305 input across calls, so two pieces cost
 * no gathering copy. */
static int cp_run(const mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                  const uint8_t *in1, size_t len1, const uint8_t *in2, size_t len2, uint8_t *out,
                  uint8_t *tag, int decrypt)
{
    chacha20poly1305_state st;
    unsigned long tl = 16;
    uint8_t dummy[1] = {0};
    int rc = MT_OK;
    memcpy(&st, &a->u.cp, sizeof st);
    MT_ENSURE_GOTO(chacha20poly1305_setiv(&st, nonce, 12) == CRYPT_OK, MT_ERR_CRYPTO);
    /* libtomcrypt rejects NULL pointers even for empty input, and pads the AAD (RFC 8439
     * 2.8: pad16(aad)) only when the first ciphertext call is made, so at least one call
     * is always made, with a dummy buffer when empty. */
    MT_ENSURE_GOTO(chacha20poly1305_add_aad(&st, aad_len ? aad : dummy, aad_len) == CRYPT_OK,
                   MT_ERR_CRYPTO);
    if (decrypt) {
        MT_ENSURE_GOTO(
            chacha20poly1305_decrypt(&st, len1 ? in1 : dummy, len1, len1 ? out : dummy) == CRYPT_OK,
            MT_ERR_CRYPTO);
    } else {
        if (len1 || !len2)
            MT_ENSURE_GOTO(chacha20poly1305_encrypt(&st, len1 ? in1 : dummy, len1,
                                                    len1 ? out : dummy) == CRYPT_OK,
                           MT_ERR_CRYPTO);
        if (len2)
            MT_ENSURE_GOTO(chacha20poly1305_encrypt(&st, in2, len2, out + len1) == CRYPT_OK,
                           MT_ERR_CRYPTO);
    }
    MT_ENSURE_GOTO(chacha20poly1305_done(&st, tag, &tl) == CRYPT_OK && tl == 16, MT_ERR_CRYPTO);
out:
    mt_wipe(&st, sizeof st);
    return rc;
}

/* ---- the contract ---- */

int mt_aead_seal(mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t tag[16];
    int rc = MT_OK;
    MT_ENSURE(a != NULL && nonce != NULL && out != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE((aad != NULL || aad_len == 0) && (in != NULL || len == 0), MT_ERR_BAD_PARAM);
    /* SP 800-38D 5.2.1.1: len(P) <= 2^39 - 256 bits; far above any TLS record. */
    MT_ENSURE(len <= ((size_t)1 << 32), MT_ERR_BAD_PARAM);
    if (a->id == MT_AEAD_CHACHA20_POLY1305) {
        MT_TRY_GOTO(cp_run(a, nonce, aad, aad_len, in, len, NULL, 0, out, tag, 0));
    } else {
        gcm_ctr(a, nonce, in, out, len);
        gcm_tag(a, nonce, aad, aad_len, out, len, tag);
    }
    memcpy(&out[len], tag, 16);
out:
    mt_wipe(tag, sizeof tag);
    return rc;
}

int mt_aead_seal2(mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                  const uint8_t *in1, size_t len1, const uint8_t *in2, size_t len2, uint8_t *out)
{
    MT_ENSURE(a != NULL && nonce != NULL && out != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE((aad != NULL || aad_len == 0) && (in1 != NULL || len1 == 0) &&
                  (in2 != NULL || len2 == 0),
              MT_ERR_BAD_PARAM);
    MT_ENSURE(len1 <= ((size_t)1 << 31) && len2 <= ((size_t)1 << 31), MT_ERR_BAD_PARAM);
    uint8_t ctr[16], tag[16], blk[16];
    int rc = MT_OK;
    if (a->id == MT_AEAD_CHACHA20_POLY1305) {
        MT_TRY_GOTO(cp_run(a, nonce, aad, aad_len, in1, len1, in2, len2, out, tag, 0));
        memcpy(&out[len1 + len2], tag, 16);
        goto out;
    }
    memcpy(ctr, nonce, 12);
    ctr[12] = 0;
    ctr[13] = 0;
    ctr[14] = 0;
    ctr[15] = 2; /* GCTR from inc32(J0), SP 800-38D 7.1 step 3 */
    /* The counter stream continues across calls only at a block boundary: in1's whole
     * blocks, then one block gathered from in1's tail and in2's head, then the rest of
     * in2, each written where it belongs in out. */
    size_t whole = len1 - len1 % 16, tail = len1 - whole;
    if (whole) mt_aes_ctr32(&a->u.gcm.aes, ctr, in1, out, whole);
    size_t head = 0;
    if (tail) {
        head = len2 < 16 - tail ? len2 : 16 - tail;
        memcpy(blk, in1 + whole, tail);
        if (head) memcpy(blk + tail, in2, head);
        mt_aes_ctr32(&a->u.gcm.aes, ctr, blk, blk, tail + head);
        memcpy(out + whole, blk, tail);
        if (head) memcpy(out + len1, blk + tail, head);
    }
    if (len2 > head) mt_aes_ctr32(&a->u.gcm.aes, ctr, in2 + head, out + len1 + head, len2 - head);
    gcm_tag(a, nonce, aad, aad_len, out, len1 + len2, tag);
    memcpy(&out[len1 + len2], tag, 16);
out:
    mt_wipe(blk, sizeof blk);
    mt_wipe(tag, sizeof tag);
    mt_wipe(ctr, sizeof ctr);
    return rc;
}

int mt_aead_open(mt_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t tag[16];
    int rc = MT_OK;
    MT_ENSURE(a != NULL && nonce != NULL && out != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE((aad != NULL || aad_len == 0) && in != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(len >= MT_AEAD_TAG_LEN, MT_ERR_BAD_MAC);
    size_t n = len - MT_AEAD_TAG_LEN;
    MT_ENSURE(n <= ((size_t)1 << 32), MT_ERR_BAD_MAC);
    if (a->id == MT_AEAD_CHACHA20_POLY1305) {
        /* The received tag is copied first: out may overlap it only when out == in, and
         * then the plaintext never reaches the tag bytes. */
        MT_TRY_GOTO(cp_run(a, nonce, aad, aad_len, in, n, NULL, 0, out, tag, 1));
        MT_ENSURE_GOTO(mt_ct_eq(tag, &in[n], 16), MT_ERR_BAD_MAC);
    } else {
        gcm_tag(a, nonce, aad, aad_len, in, n, tag);
        MT_ENSURE_GOTO(mt_ct_eq(tag, &in[n], 16), MT_ERR_BAD_MAC);
        gcm_ctr(a, nonce, in, out, n);
    }
out:
    mt_wipe(tag, sizeof tag);
    if (rc != MT_OK) mt_wipe(out, n);
    return rc;
}
