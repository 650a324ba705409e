/*
 * prf12.c - TLS 1.0-1.2 master secret, key block, Finished and exporter; see prf12.h.
 *
 * Notes:
 * - Every function builds its seed in a small stack buffer and calls mt_prf12, which
 *   dispatches to the crypto layer's PRFs; nothing here hashes by itself.
 * - The key block is expanded in one piece and cut in the order RFC 5246 6.3 gives:
 *   client MAC, server MAC, client key, server key, client IV, server IV.
 */
#include "prf12.h"
#include "buf/buf.h"
#include "crypto/kdf.h"
#include "internal.h"

#include <string.h>

#define KEY_BLOCK_MAX (2 * (MT_PRF12_MAX_MAC_KEY + MT_PRF12_MAX_ENC_KEY + MT_PRF12_MAX_IV))

mt_hash_id mt_prf12_hash(mt_prf_id prf)
{
    switch (prf) {
    case MT_PRF_SHA256:
        return MT_HASH_SHA256;
    case MT_PRF_SHA384:
        return MT_HASH_SHA384;
    case MT_PRF_TLS10:
    case MT_PRF_NONE:
    default:
        return MT_HASH_NONE;
    }
}

size_t mt_prf12_handshake_hash_len(mt_prf_id prf)
{
    /* RFC 2246 7.4.9: MD5(handshake_messages) + SHA(handshake_messages). */
    if (prf == MT_PRF_TLS10) return 36;
    return mt_hash_len(mt_prf12_hash(prf));
}

int mt_prf12(mt_prf_id prf, const uint8_t *secret, size_t secret_len, const char *label,
             const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    if (prf == MT_PRF_TLS10)
        return mt_prf_tls10(secret, secret_len, label, seed, seed_len, out, out_len);
    MT_ENSURE(mt_prf12_hash(prf) != MT_HASH_NONE, MT_ERR_BAD_PARAM);
    return mt_prf_tls12(mt_prf12_hash(prf), secret, secret_len, label, seed, seed_len, out,
                        out_len);
}

int mt_prf12_master_secret(mt_prf_id prf, const uint8_t *pms, size_t pms_len,
                           const uint8_t client_random[MT_PRF12_RANDOM_LEN],
                           const uint8_t server_random[MT_PRF12_RANDOM_LEN],
                           uint8_t master[MT_PRF12_MASTER_LEN])
{
    uint8_t seed[2 * MT_PRF12_RANDOM_LEN];

    /* RFC 5246 8.1: seed is ClientHello.random + ServerHello.random. */
    memcpy(seed, client_random, MT_PRF12_RANDOM_LEN);
    memcpy(seed + MT_PRF12_RANDOM_LEN, server_random, MT_PRF12_RANDOM_LEN);
    return mt_prf12(prf, pms, pms_len, "master secret", seed, sizeof seed, master,
                    MT_PRF12_MASTER_LEN);
}

int mt_prf12_extended_master_secret(mt_prf_id prf, const uint8_t *pms, size_t pms_len,
                                    const uint8_t *session_hash, size_t session_hash_len,
                                    uint8_t master[MT_PRF12_MASTER_LEN])
{
    MT_ENSURE(session_hash != NULL && session_hash_len > 0 && session_hash_len <= MT_HASH_MAX_LEN,
              MT_ERR_BAD_PARAM);
    /* RFC 7627 4: the seed is the session_hash alone; the randoms are not used. */
    return mt_prf12(prf, pms, pms_len, "extended master secret", session_hash, session_hash_len,
                    master, MT_PRF12_MASTER_LEN);
}

/* Copy n bytes from the key block reader into dst. */
static int take(mt_reader *r, uint8_t *dst, size_t n)
{
    return n ? mt_rd_copy(r, dst, n) : 0;
}

int mt_prf12_key_block(mt_prf_id prf, const uint8_t master[MT_PRF12_MASTER_LEN],
                       const uint8_t client_random[MT_PRF12_RANDOM_LEN],
                       const uint8_t server_random[MT_PRF12_RANDOM_LEN], size_t mac_len,
                       size_t key_len, size_t iv_len, mt_prf12_keys *keys)
{
    uint8_t seed[2 * MT_PRF12_RANDOM_LEN], block[KEY_BLOCK_MAX];
    size_t need = 2 * (mac_len + key_len + iv_len);
    mt_reader r;
    int rc = 0;

    MT_ENSURE(mac_len <= MT_PRF12_MAX_MAC_KEY && key_len <= MT_PRF12_MAX_ENC_KEY &&
                  iv_len <= MT_PRF12_MAX_IV,
              MT_ERR_BAD_PARAM);
    memset(keys, 0, sizeof *keys);
    keys->mac_len = mac_len;
    keys->key_len = key_len;
    keys->iv_len = iv_len;
    /* RFC 5246 6.3: key_block = PRF(SecurityParameters.master_secret, "key expansion",
     * SecurityParameters.server_random + SecurityParameters.client_random); note the order
     * is the reverse of the master secret's seed. */
    memcpy(seed, server_random, MT_PRF12_RANDOM_LEN);
    memcpy(seed + MT_PRF12_RANDOM_LEN, client_random, MT_PRF12_RANDOM_LEN);
    MT_TRY_GOTO(mt_prf12(prf, master, MT_PRF12_MASTER_LEN, "key expansion", seed, sizeof seed,
                         block, need));
    mt_rd_init(&r, block, need);
    MT_TRY_GOTO(take(&r, keys->client_mac, mac_len));
    MT_TRY_GOTO(take(&r, keys->server_mac, mac_len));
    MT_TRY_GOTO(take(&r, keys->client_key, key_len));
    MT_TRY_GOTO(take(&r, keys->server_key, key_len));
    MT_TRY_GOTO(take(&r, keys->client_iv, iv_len));
    MT_TRY_GOTO(take(&r, keys->server_iv, iv_len));
    MT_TRY_GOTO(mt_rd_done(&r));
out:
    mt_wipe(block, sizeof block);
    if (rc) mt_prf12_keys_wipe(keys);
    return rc;
}

void mt_prf12_keys_wipe(mt_prf12_keys *keys)
{
    mt_wipe(keys, sizeof *keys);
}

int mt_prf12_finished(mt_prf_id prf, const uint8_t master[MT_PRF12_MASTER_LEN], int from_server,
                      const uint8_t *handshake_hash, size_t hash_len,
                      uint8_t verify_data[MT_PRF12_VERIFY_LEN])
{
    MT_ENSURE(handshake_hash != NULL && hash_len == mt_prf12_handshake_hash_len(prf) &&
                  hash_len != 0,
              MT_ERR_BAD_PARAM);
    /* RFC 5246 7.4.9: finished_label is "client finished" for the client's Finished and
     * "server finished" for the server's. */
    return mt_prf12(prf, master, MT_PRF12_MASTER_LEN,
                    from_server ? "server finished" : "client finished", handshake_hash, hash_len,
                    verify_data, MT_PRF12_VERIFY_LEN);
}

int mt_prf12_export(mt_prf_id prf, const uint8_t master[MT_PRF12_MASTER_LEN],
                    const uint8_t client_random[MT_PRF12_RANDOM_LEN],
                    const uint8_t server_random[MT_PRF12_RANDOM_LEN], const char *label,
                    const uint8_t *context, size_t context_len, int has_context, uint8_t *out,
                    size_t out_len)
{
    mt_buf seed = {0};
    int rc = 0;

    MT_ENSURE(label != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(!has_context || context != NULL || context_len == 0, MT_ERR_BAD_PARAM);
    /* RFC 5705 4: seed = client_random + server_random [+ context_value_length (uint16) +
     * context_value]; no context and an empty context give different output. */
    MT_TRY_GOTO(mt_wr_bytes(&seed, client_random, MT_PRF12_RANDOM_LEN));
    MT_TRY_GOTO(mt_wr_bytes(&seed, server_random, MT_PRF12_RANDOM_LEN));
    if (has_context) MT_TRY_GOTO(mt_wr_vec16(&seed, context, context_len));
    MT_TRY_GOTO(
        mt_prf12(prf, master, MT_PRF12_MASTER_LEN, label, seed.data, seed.len, out, out_len));
out:
    mt_buf_free(&seed);
    return rc;
}
