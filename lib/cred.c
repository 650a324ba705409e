/*
 * cred.c - certificate chains with their private keys, trust anchors, and the choice and
 * use of a signature scheme for a credential.
 */
#include "cred.h"
#include "crypto/hash.h"
#include "internal.h"

#include <stdlib.h>

void mt_cred_free(mt_cred *cred)
{
    if (cred == NULL) return;
    mt_x509_list_free(&cred->chain);
    mt_x509_key_free(&cred->key);
    free(cred);
}

int mt_config_add_credential(mt_config *cfg, const uint8_t *chain_pem, size_t chain_len,
                             const uint8_t *key_pem, size_t key_len)
{
    MT_ENSURE(cfg->n_creds < MT_MAX_CREDS, MT_ERR_LIMIT);
    mt_cred *cred = calloc(1, sizeof *cred);
    MT_ENSURE(cred != NULL, MT_ERR_NO_MEMORY);
    mt_x509_list_init(&cred->chain);
    int rc = mt_x509_list_add_pem(&cred->chain, chain_pem, chain_len, NULL);
    if (rc == MT_ERR_NOT_FOUND || MT_ERR_IS_SENT(rc)) rc = MT_ERR_DECODE;
    if (rc == 0) rc = mt_x509_key_parse_private(&cred->key, key_pem, key_len);
    /* A key that is not the certificate's would make every handshake fail later with a
     * confusing alert; refuse it now. */
    if (rc == 0 && mt_x509_key_matches(&cred->key, &cred->chain.certs[0].spki) != 0)
        rc = MT_ERR_BAD_PARAM;
    if (rc) {
        mt_cred_free(cred);
        return rc;
    }
    cfg->creds[cfg->n_creds++] = cred;
    return 0;
}

int mt_config_set_ca(mt_config *cfg, const uint8_t *pem, size_t len)
{
    /* Parse now so a broken bundle is reported where it is configured. */
    mt_x509_list l;
    mt_x509_list_init(&l);
    int rc = mt_x509_list_add_pem(&l, pem, len, NULL);
    mt_x509_list_free(&l);
    if (rc == MT_ERR_NOT_FOUND || MT_ERR_IS_SENT(rc)) rc = MT_ERR_DECODE;
    MT_TRY(rc);
    return mt_buf_set(&cfg->ca_pem, pem, len);
}

int mt_cred_can_sign13(const mt_cred *cred, uint16_t scheme)
{
    const mt_x509_key *k = &cred->key;
    switch (scheme) {
    case 0x0403:
        return k->type == MT_X509_KEY_EC && k->curve == MT_EC_P256;
    case 0x0503:
        return k->type == MT_X509_KEY_EC && k->curve == MT_EC_P384;
    case 0x0603:
        return k->type == MT_X509_KEY_EC && k->curve == MT_EC_P521;
    case 0x0804:
    case 0x0805:
    case 0x0806: /* rsa_pss_rsae_*: an rsaEncryption key (RFC 8446 4.2.3) */
        return k->type == MT_X509_KEY_RSA && !k->rsa_pss_only;
    case 0x0809:
    case 0x080a:
    case 0x080b: /* rsa_pss_pss_*: an RSASSA-PSS key */
        return k->type == MT_X509_KEY_RSA && k->rsa_pss_only;
    default:
        return 0;
    }
}

int mt_cred_pick13(const mt_config *cfg, const uint32_t *peer, size_t n_peer, const mt_cred **cred,
                   uint16_t *scheme)
{
    /* Our preference order; the scheme must be one the peer offered. */
    for (size_t i = 0; i < cfg->n_sigalgs; i++) {
        uint16_t s = cfg->sigalgs[i];
        int offered = 0;
        for (size_t j = 0; j < n_peer && !offered; j++)
            offered = peer[j] == s;
        if (!offered) continue;
        for (size_t k = 0; k < cfg->n_creds; k++)
            if (mt_cred_can_sign13(cfg->creds[k], s)) {
                *cred = cfg->creds[k];
                *scheme = s;
                return 0;
            }
    }
    return MT_ERR_NOT_FOUND;
}

static mt_hash_id scheme_hash(uint16_t scheme)
{
    switch (scheme >> 8) {
    case 0x04:
        return MT_HASH_SHA256;
    case 0x05:
        return MT_HASH_SHA384;
    case 0x06:
        return MT_HASH_SHA512;
    default:
        break;
    }
    switch (scheme) {
    case 0x0804:
    case 0x0809:
        return MT_HASH_SHA256;
    case 0x0805:
    case 0x080a:
        return MT_HASH_SHA384;
    case 0x0806:
    case 0x080b:
        return MT_HASH_SHA512;
    default:
        return MT_HASH_NONE;
    }
}

/* ECDSA nonces are hedged with the digest: each draw for the signature is
 * HMAC-SHA256(key = the configured rng's bytes, data = digest || counter). A
 * deterministic rng (a seeded or pinned one, for replay) then still gives a different
 * nonce for every different message, where raw draws would repeat the nonce across
 * connections and reveal the key from two signatures; the same message with the same
 * rng still signs byte for byte the same, so replays stay exact. */
typedef struct {
    const mt_rng *base;
    const uint8_t *digest;
    size_t digest_len;
    uint32_t counter;
} hedge;

static int hedged_fill(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    hedge *h = ud;
    MT_TRY(mt_rng_bytes(h->base, purpose, out, n));
    uint8_t key[512];
    MT_ENSURE(n <= sizeof key, MT_ERR_LIMIT);
    memcpy(key, out, n);
    int rc = 0;
    for (size_t off = 0; off < n && rc == 0; off += 32) {
        mt_hmac_ctx hm;
        uint8_t block[MT_HASH_MAX_LEN],
            ctr[4] = {(uint8_t)(h->counter >> 24), (uint8_t)(h->counter >> 16),
                      (uint8_t)(h->counter >> 8), (uint8_t)h->counter};
        h->counter++;
        rc = mt_hmac_init(&hm, MT_HASH_SHA256, key, n);
        if (rc == 0) rc = mt_hmac_update(&hm, h->digest, h->digest_len);
        if (rc == 0) rc = mt_hmac_update(&hm, ctr, sizeof ctr);
        if (rc == 0) rc = mt_hmac_final(&hm, block);
        size_t k = n - off < 32 ? n - off : 32;
        if (rc == 0) memcpy(out + off, block, k);
        mt_wipe(block, sizeof block);
    }
    mt_wipe(key, sizeof key);
    return rc;
}

int mt_cred_sign13(const mt_cred *cred, uint16_t scheme, const uint8_t *content, size_t len,
                   const mt_rng *rng, mt_buf *sig)
{
    MT_ENSURE(mt_cred_can_sign13(cred, scheme), MT_ERR_BAD_PARAM);
    mt_hash_id h = scheme_hash(scheme);
    uint8_t digest[MT_HASH_MAX_LEN];
    uint8_t out[1024];
    size_t out_len = sizeof out;
    MT_TRY(mt_hash(h, content, len, digest));
    int rc;
    if (cred->key.type == MT_X509_KEY_EC) {
        hedge hd = {rng, digest, mt_hash_len(h), 0};
        mt_rng hedged = {hedged_fill, &hd};
        rc = mt_ecdsa_sign(cred->key.ec, digest, mt_hash_len(h), &hedged, out, &out_len);
    } else
        rc = mt_rsa_sign_pss(cred->key.rsa, h, digest, mt_hash_len(h), mt_hash_len(h), rng, out,
                             &out_len);
    if (rc == 0) rc = mt_buf_set(sig, out, out_len);
    return rc;
}
