/*
 * kdf.c - HKDF (RFC 5869), HKDF-Expand-Label and Derive-Secret (RFC 8446 7.1), and the
 * TLS PRFs: P_hash of RFC 5246 5 and the MD5 ^ SHA-1 PRF of RFC 2246 5 / RFC 4346 5.
 *
 * Notes:
 * - Every construction is HMAC driven from one prepared key (mt_hmac_ctx), cloned per
 *   block, so the key pads are computed once per call rather than once per block.
 * - Intermediate blocks (T(i), A(i)) and the HkdfLabel structure are wiped on return.
 */
#include "kdf.h"
#include "buf/buf.h"
#include "internal.h"

#define TLS13_LABEL_PREFIX "tls13 "
#define TLS13_LABEL_PREFIX_LEN 6

int mt_hkdf_extract(mt_hash_id h, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                    size_t ikm_len, uint8_t *prk)
{
    uint8_t zeros[MT_HASH_MAX_LEN] = {0};
    size_t hl = mt_hash_len(h);
    MT_ENSURE(hl != 0 && prk != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(salt != NULL || salt_len == 0, MT_ERR_BAD_PARAM);
    /* RFC 5869 2.2: if not provided, salt is set to a string of HashLen zeros. */
    if (salt_len == 0) {
        salt = zeros;
        salt_len = hl;
    }
    return mt_hmac(h, salt, salt_len, ikm, ikm_len, prk);
}

int mt_hkdf_expand(mt_hash_id h, const uint8_t *prk, size_t prk_len, const uint8_t *info,
                   size_t info_len, uint8_t *out, size_t out_len)
{
    mt_hmac_ctx key, c;
    uint8_t t[MT_HASH_MAX_LEN];
    size_t hl = mt_hash_len(h), done = 0;
    int rc = MT_OK;
    /* RFC 5869 2.3: L <= 255 * HashLen. */
    MT_ENSURE(hl != 0 && out_len <= 255 * hl, MT_ERR_BAD_PARAM);
    MT_ENSURE((out != NULL || out_len == 0) && (info != NULL || info_len == 0), MT_ERR_BAD_PARAM);
    MT_TRY(mt_hmac_init(&key, h, prk, prk_len));
    /* T(i) = HMAC-Hash(PRK, T(i-1) | info | i), T(0) empty. */
    for (unsigned i = 1; done < out_len; i++) {
        uint8_t ctr = (uint8_t)i;
        mt_hmac_clone(&c, &key);
        if (i > 1) MT_TRY_GOTO(mt_hmac_update(&c, t, hl));
        MT_TRY_GOTO(mt_hmac_update(&c, info, info_len));
        MT_TRY_GOTO(mt_hmac_update(&c, &ctr, 1));
        MT_TRY_GOTO(mt_hmac_final(&c, t));
        size_t n = out_len - done < hl ? out_len - done : hl;
        memcpy(&out[done], t, n);
        done += n;
    }
out:
    mt_hmac_wipe(&key);
    mt_hmac_wipe(&c);
    mt_wipe(t, sizeof t);
    if (rc != MT_OK && out != NULL) mt_wipe(out, out_len);
    return rc;
}

int mt_hkdf_expand_label(mt_hash_id h, const uint8_t *secret, const uint8_t *label,
                         size_t label_len, const uint8_t *context, size_t context_len, uint8_t *out,
                         size_t out_len)
{
    /* RFC 8446 7.1:
     *   struct {
     *       uint16 length = Length;
     *       opaque label<7..255> = "tls13 " + Label;
     *       opaque context<0..255> = Context;
     *   } HkdfLabel;
     * The lower bound 7 is not enforced: a script may derive with an empty label. */
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t n = 0;
    size_t hl = mt_hash_len(h);
    MT_ENSURE(hl != 0 && secret != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(label != NULL || label_len == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(context != NULL || context_len == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(out_len <= 0xFFFF && label_len <= 255 - TLS13_LABEL_PREFIX_LEN, MT_ERR_BAD_PARAM);
    MT_ENSURE(context_len <= 255, MT_ERR_BAD_PARAM);
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(TLS13_LABEL_PREFIX_LEN + label_len);
    memcpy(&info[n], TLS13_LABEL_PREFIX, TLS13_LABEL_PREFIX_LEN);
    n += TLS13_LABEL_PREFIX_LEN;
    if (label_len) memcpy(&info[n], label, label_len);
    n += label_len;
    info[n++] = (uint8_t)context_len;
    if (context_len) memcpy(&info[n], context, context_len);
    n += context_len;
    int rc = mt_hkdf_expand(h, secret, hl, info, n, out, out_len);
    mt_wipe(info, n);
    return rc;
}

int mt_derive_secret(mt_hash_id h, const uint8_t *secret, const char *label,
                     const uint8_t *transcript_hash, uint8_t *out)
{
    size_t hl = mt_hash_len(h);
    MT_ENSURE(hl != 0 && label != NULL && transcript_hash != NULL, MT_ERR_BAD_PARAM);
    /* RFC 8446 7.1: Derive-Secret(Secret, Label, Messages) =
     *   HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length) */
    return mt_hkdf_expand_label(h, secret, (const uint8_t *)label, strlen(label), transcript_hash,
                                hl, out, hl);
}

/* P_hash(secret, label || seed) of RFC 5246 5, XORed into out when `xor` is set (the
 * TLS 1.0 PRF combines two of them):
 *   A(0) = label || seed, A(i) = HMAC_hash(secret, A(i-1))
 *   P_hash = HMAC_hash(secret, A(1) || label || seed) || HMAC_hash(secret, A(2) || ...) */
static int p_hash(mt_hash_id h, const uint8_t *secret, size_t secret_len, const char *label,
                  const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len, int xor)
{
    mt_hmac_ctx key, c;
    uint8_t a[MT_HASH_MAX_LEN], t[MT_HASH_MAX_LEN];
    size_t hl = mt_hash_len(h), label_len = strlen(label), done = 0;
    int rc = MT_OK;
    MT_TRY(mt_hmac_init(&key, h, secret, secret_len));
    /* A(1) = HMAC(secret, label || seed) */
    mt_hmac_clone(&c, &key);
    MT_TRY_GOTO(mt_hmac_update(&c, label, label_len));
    MT_TRY_GOTO(mt_hmac_update(&c, seed, seed_len));
    MT_TRY_GOTO(mt_hmac_final(&c, a));
    while (done < out_len) {
        mt_hmac_clone(&c, &key);
        MT_TRY_GOTO(mt_hmac_update(&c, a, hl));
        MT_TRY_GOTO(mt_hmac_update(&c, label, label_len));
        MT_TRY_GOTO(mt_hmac_update(&c, seed, seed_len));
        MT_TRY_GOTO(mt_hmac_final(&c, t));
        size_t n = out_len - done < hl ? out_len - done : hl;
        for (size_t i = 0; i < n; i++)
            out[done + i] = (uint8_t)((xor? out[done + i] : 0) ^ t[i]);
        done += n;
        if (done < out_len) {
            /* A(i+1) = HMAC(secret, A(i)) */
            mt_hmac_clone(&c, &key);
            MT_TRY_GOTO(mt_hmac_update(&c, a, hl));
            MT_TRY_GOTO(mt_hmac_final(&c, a));
        }
    }
out:
    mt_hmac_wipe(&key);
    mt_hmac_wipe(&c);
    mt_wipe(a, sizeof a);
    mt_wipe(t, sizeof t);
    return rc;
}

int mt_prf_tls12(mt_hash_id h, const uint8_t *secret, size_t secret_len, const char *label,
                 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    MT_ENSURE(mt_hash_len(h) != 0 && label != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE((secret != NULL || secret_len == 0) && (seed != NULL || seed_len == 0),
              MT_ERR_BAD_PARAM);
    MT_ENSURE(out != NULL || out_len == 0, MT_ERR_BAD_PARAM);
    int rc = p_hash(h, secret, secret_len, label, seed, seed_len, out, out_len, 0);
    if (rc != MT_OK) mt_wipe(out, out_len);
    return rc;
}

int mt_prf_tls10(const uint8_t *secret, size_t secret_len, const char *label, const uint8_t *seed,
                 size_t seed_len, uint8_t *out, size_t out_len)
{
    MT_ENSURE(label != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE((secret != NULL || secret_len == 0) && (seed != NULL || seed_len == 0),
              MT_ERR_BAD_PARAM);
    MT_ENSURE(out != NULL || out_len == 0, MT_ERR_BAD_PARAM);
    /* RFC 2246 5: S1 and S2 are the two halves of the secret and each is the same length;
     * L_S1 = L_S2 = ceil(L_S / 2), so with an odd length the middle byte is shared. */
    size_t half = (secret_len + 1) / 2;
    int rc = p_hash(MT_HASH_MD5, secret, half, label, seed, seed_len, out, out_len, 0);
    if (rc == MT_OK) {
        const uint8_t *s2 = secret_len ? &secret[secret_len - half] : secret;
        rc = p_hash(MT_HASH_SHA1, s2, half, label, seed, seed_len, out, out_len, 1);
    }
    if (rc != MT_OK) mt_wipe(out, out_len);
    return rc;
}
