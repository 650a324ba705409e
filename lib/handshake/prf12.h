/*
 * prf12.h - TLS 1.0-1.2 secrets from the PRF: master secret (RFC 5246 8.1, RFC 7627 4),
 * key block (RFC 5246 6.3), Finished verify_data (RFC 5246 7.4.9, RFC 2246 7.4.9) and the
 * keying material exporter (RFC 5705 4).
 *
 * Notes:
 * - The PRF is named by mt_prf_id: the TLS 1.0/1.1 P_MD5 XOR P_SHA-1 construction, or
 *   the TLS 1.2 P_hash with the suite's PRF hash (SHA-256 unless the suite says SHA-384).
 * - Random values are 32 bytes each (RFC 5246 7.4.1.2); the master secret is 48 bytes.
 * - The handshake hash for Finished and the RFC 7627 session hash come from transcript.h:
 *   mt_hash_len(prf hash) bytes in TLS 1.2, 36 bytes (MD5 || SHA-1) in TLS 1.0/1.1.
 * - All outputs are caller-owned; temporaries are wiped. Functions return 0,
 *   MT_ERR_BAD_PARAM (unknown PRF, lengths out of range) or MT_ERR_CRYPTO.
 */
#ifndef MT_HANDSHAKE_PRF12_H
#define MT_HANDSHAKE_PRF12_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

#define MT_PRF12_RANDOM_LEN 32
#define MT_PRF12_MASTER_LEN 48
#define MT_PRF12_VERIFY_LEN 12 /* verify_data_length for every suite we know */
/* Upper bounds of one key block part: HMAC-SHA384 keys, AES-256 keys, 16-byte CBC IVs. */
#define MT_PRF12_MAX_MAC_KEY 48
#define MT_PRF12_MAX_ENC_KEY 32
#define MT_PRF12_MAX_IV 16

typedef enum mt_prf_id {
    MT_PRF_NONE = 0,
    MT_PRF_TLS10,  /* TLS 1.0 and 1.1: P_MD5 XOR P_SHA-1 (RFC 2246 5) */
    MT_PRF_SHA256, /* TLS 1.2 default (RFC 5246 5) */
    MT_PRF_SHA384, /* TLS 1.2 suites that name SHA-384 (RFC 5289) */
} mt_prf_id;

/* The key block, split as RFC 5246 6.3 orders it. Lengths are the suite's shape. */
typedef struct mt_prf12_keys {
    size_t mac_len, key_len, iv_len;
    uint8_t client_mac[MT_PRF12_MAX_MAC_KEY], server_mac[MT_PRF12_MAX_MAC_KEY];
    uint8_t client_key[MT_PRF12_MAX_ENC_KEY], server_key[MT_PRF12_MAX_ENC_KEY];
    uint8_t client_iv[MT_PRF12_MAX_IV], server_iv[MT_PRF12_MAX_IV];
} mt_prf12_keys;

/* The hash behind a TLS 1.2 PRF (MT_HASH_NONE for MT_PRF_TLS10 and unknown ids): the
 * transcript hash to choose for Finished and the session hash. */
mt_hash_id mt_prf12_hash(mt_prf_id prf);
/* Length of the handshake hash that Finished takes for this PRF: 36 for TLS10, else the
 * hash length; 0 for an unknown id. */
size_t mt_prf12_handshake_hash_len(mt_prf_id prf);

/* PRF(secret, label, seed) for any of the three; label is a C string. */
int mt_prf12(mt_prf_id prf, const uint8_t *secret, size_t secret_len, const char *label,
             const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* RFC 5246 8.1: master_secret = PRF(pre_master_secret, "master secret",
 * ClientHello.random + ServerHello.random)[0..47]. */
int mt_prf12_master_secret(mt_prf_id prf, const uint8_t *pms, size_t pms_len,
                           const uint8_t client_random[MT_PRF12_RANDOM_LEN],
                           const uint8_t server_random[MT_PRF12_RANDOM_LEN],
                           uint8_t master[MT_PRF12_MASTER_LEN]);
/* RFC 7627 4: master_secret = PRF(pre_master_secret, "extended master secret",
 * session_hash)[0..47]; session_hash is the transcript hash through ClientKeyExchange
 * (session_hash_len bytes, 1..64). */
int mt_prf12_extended_master_secret(mt_prf_id prf, const uint8_t *pms, size_t pms_len,
                                    const uint8_t *session_hash, size_t session_hash_len,
                                    uint8_t master[MT_PRF12_MASTER_LEN]);

/* RFC 5246 6.3: key_block = PRF(master, "key expansion", server_random + client_random),
 * split into client/server MAC keys, client/server keys, client/server IVs. mac_len is 0
 * for AEAD suites; iv_len is the fixed IV (4 for GCM, 12 for ChaCha20-Poly1305, 16 for
 * CBC in TLS 1.0, 0 for CBC in 1.1/1.2 where the IV is explicit). keys is overwritten
 * whole; wipe it with mt_prf12_keys_wipe. */
int mt_prf12_key_block(mt_prf_id prf, const uint8_t master[MT_PRF12_MASTER_LEN],
                       const uint8_t client_random[MT_PRF12_RANDOM_LEN],
                       const uint8_t server_random[MT_PRF12_RANDOM_LEN], size_t mac_len,
                       size_t key_len, size_t iv_len, mt_prf12_keys *keys);
void mt_prf12_keys_wipe(mt_prf12_keys *keys);

/* RFC 5246 7.4.9: verify_data = PRF(master_secret, "client finished" | "server finished",
 * Hash(handshake_messages))[0..11]; from_server picks the label. handshake_hash is
 * hash_len bytes (see mt_prf12_handshake_hash_len). */
int mt_prf12_finished(mt_prf_id prf, const uint8_t master[MT_PRF12_MASTER_LEN], int from_server,
                      const uint8_t *handshake_hash, size_t hash_len,
                      uint8_t verify_data[MT_PRF12_VERIFY_LEN]);

/* RFC 5705 4: PRF(master_secret, label, client_random + server_random
 * [+ context_value_length + context_value])[0..out_len-1]. has_context = 0 leaves the
 * context out entirely (which differs from an empty context); context_len <= 65535. */
int mt_prf12_export(mt_prf_id prf, const uint8_t master[MT_PRF12_MASTER_LEN],
                    const uint8_t client_random[MT_PRF12_RANDOM_LEN],
                    const uint8_t server_random[MT_PRF12_RANDOM_LEN], const char *label,
                    const uint8_t *context, size_t context_len, int has_context, uint8_t *out,
                    size_t out_len);

#endif
