/*
 * keysched13.h - the TLS 1.3 key schedule (RFC 8446 7.1-7.5, 4.4.4, 4.2.11.2, 4.6.1).
 *
 * Notes:
 * - One mt_ks13 per connection walks the three stages of RFC 8446 7.1:
 *       mt_ks13_early      Early Secret (PSK or zeros)
 *       mt_ks13_handshake  Handshake Secret ((EC)DHE or zeros), *_handshake_traffic_secret
 *       mt_ks13_master     Master Secret, *_application_traffic_secret_0, exporter
 *       mt_ks13_resumption resumption_master_secret
 *   Each step takes the transcript hash it needs (computed by the caller with
 *   transcript.h), so the schedule never sees messages.
 * - Stage secrets (early, handshake, master) are wiped as soon as the next stage is
 *   derived; the traffic, exporter and resumption secrets stay until mt_ks13_free (or
 *   mt_ks13_forget) because Finished, KeyUpdate, exporters and tickets need them later.
 * - Every secret the connection may log is reported, right after it is derived, through
 *   the optional callback with its NSS key log label (CLIENT_EARLY_TRAFFIC_SECRET,
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET,
 *   CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0, EXPORTER_SECRET,
 *   EARLY_EXPORTER_SECRET). The secret pointer is valid only during the call. Binder keys,
 *   stage secrets, the resumption secret and KeyUpdate generations have no NSS label and
 *   are not reported (Wireshark derives updates from generation 0 itself).
 * - The stateless helpers at the end (traffic keys, Finished, KeyUpdate, ticket PSK) take
 *   the hash id and a secret, so the record layer and a script can use them for any epoch.
 */
#ifndef MT_HANDSHAKE_KEYSCHED13_H
#define MT_HANDSHAKE_KEYSCHED13_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

/* Called with an NSS key log label, the secret and its length (mt_hash_len), and the
 * user pointer given to mt_ks13_init. Must not call back into the schedule. */
typedef void (*mt_ks13_secret_fn)(const char *label, const uint8_t *secret, size_t len, void *user);

typedef enum mt_ks13_stage {
    MT_KS13_NONE = 0,  /* initialised, nothing derived */
    MT_KS13_EARLY,     /* early secret held */
    MT_KS13_HANDSHAKE, /* handshake secret held */
    MT_KS13_MASTER,    /* master secret held */
    MT_KS13_DONE,      /* resumption secret derived, master secret wiped */
} mt_ks13_stage;

/* The secrets kept beyond their stage; used with mt_ks13_secret and mt_ks13_forget. */
typedef enum mt_ks13_secret_id {
    MT_KS13_CLIENT_EARLY_TRAFFIC = 0,
    MT_KS13_EARLY_EXPORTER,
    MT_KS13_CLIENT_HANDSHAKE_TRAFFIC,
    MT_KS13_SERVER_HANDSHAKE_TRAFFIC,
    MT_KS13_CLIENT_APPLICATION_TRAFFIC, /* generation N after N KeyUpdates */
    MT_KS13_SERVER_APPLICATION_TRAFFIC,
    MT_KS13_EXPORTER_MASTER,
    MT_KS13_RESUMPTION_MASTER,
    MT_KS13_SECRET_COUNT
} mt_ks13_secret_id;

typedef struct mt_ks13 {
    mt_hash_id hash;
    size_t hash_len;
    mt_ks13_stage stage;
    uint8_t stage_secret[MT_HASH_MAX_LEN]; /* early, handshake or master secret */
    uint8_t secrets[MT_KS13_SECRET_COUNT][MT_HASH_MAX_LEN];
    uint8_t have[MT_KS13_SECRET_COUNT]; /* 1 where secrets[i] is derived */
    mt_ks13_secret_fn on_secret;        /* may be NULL */
    void *user;
} mt_ks13;

/* Set up an empty schedule for the suite's hash (SHA-256 or SHA-384 in practice; any
 * hash.h id is accepted). on_secret may be NULL. Returns 0 or MT_ERR_BAD_PARAM. */
int mt_ks13_init(mt_ks13 *ks, mt_hash_id hash, mt_ks13_secret_fn on_secret, void *user);
/* Wipe every secret. ks may be re-initialised afterwards. */
void mt_ks13_free(mt_ks13 *ks);

/* Early Secret = HKDF-Extract(0, PSK); psk NULL (psk_len 0) means no PSK: a string of
 * Hash.length zeros (RFC 8446 7.1). Allowed in stage NONE or EARLY (a server trying each
 * offered PSK starts again); it drops the early secrets of an earlier try.
 * Returns 0, MT_ERR_BAD_STATE, MT_ERR_BAD_PARAM, MT_ERR_CRYPTO. */
int mt_ks13_early(mt_ks13 *ks, const uint8_t *psk, size_t psk_len);
/* binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", "");
 * external = 1 for an external PSK, 0 for a resumption PSK. Writes hash_len bytes.
 * Stage EARLY only. */
int mt_ks13_binder_key(const mt_ks13 *ks, int external, uint8_t *binder_key);
/* The PSK binder (RFC 8446 4.2.11.2): HMAC(finished_key(binder_key), truncated_hash),
 * where truncated_hash is the transcript hash over the truncated ClientHello (see
 * mt_transcript_binder_cut). Writes hash_len bytes. Stage EARLY only. */
int mt_ks13_binder(const mt_ks13 *ks, int external, const uint8_t *truncated_hash, uint8_t *binder);
/* client_early_traffic_secret and early_exporter_master_secret from the hash of the
 * ClientHello (RFC 8446 7.1). Stage EARLY only; reported to the callback. */
int mt_ks13_early_traffic(mt_ks13 *ks, const uint8_t *client_hello_hash);

/* Handshake Secret = HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE), then
 * the client and server handshake traffic secrets over ClientHello..ServerHello.
 * shared NULL (shared_len 0) means psk_ke: Hash.length zeros. If no early secret was
 * derived (stage NONE) the no-PSK early secret is computed first. Wipes the early secret.
 * Returns 0, MT_ERR_BAD_STATE, MT_ERR_CRYPTO. */
int mt_ks13_handshake(mt_ks13 *ks, const uint8_t *shared, size_t shared_len,
                      const uint8_t *server_hello_hash);
/* Master Secret = HKDF-Extract(Derive-Secret(Handshake, "derived", ""), 0), then the
 * application traffic secrets 0 and exporter_master_secret over ClientHello..server
 * Finished. Wipes the handshake secret (the handshake traffic secrets stay). */
int mt_ks13_master(mt_ks13 *ks, const uint8_t *server_finished_hash);
/* resumption_master_secret over ClientHello..client Finished (after client
 * Certificate/CertificateVerify if sent). Wipes the master secret; stage becomes DONE. */
int mt_ks13_resumption(mt_ks13 *ks, const uint8_t *client_finished_hash);

/* Borrow a kept secret (hash_len bytes, valid until the schedule changes it), or NULL if
 * it was not derived or was forgotten. */
const uint8_t *mt_ks13_secret(const mt_ks13 *ks, mt_ks13_secret_id which);
/* Wipe one kept secret (for example the handshake traffic secrets once both Finished
 * messages are done). Unknown ids are ignored. */
void mt_ks13_forget(mt_ks13 *ks, mt_ks13_secret_id which);
/* RFC 8446 7.2: replace the client (server = 0) or server (server = 1) application traffic
 * secret by the next generation. MT_ERR_BAD_STATE if it was not derived. */
int mt_ks13_key_update(mt_ks13 *ks, int server);
/* RFC 8446 4.6.1: the PSK of a ticket, from resumption_master_secret and ticket_nonce.
 * Writes hash_len bytes. MT_ERR_BAD_STATE before mt_ks13_resumption. */
int mt_ks13_ticket_psk(const mt_ks13 *ks, const uint8_t *nonce, size_t nonce_len, uint8_t *psk);
/* RFC 8446 7.5 exporter: HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter",
 * Hash(context), out_len) with Secret the exporter_master_secret (early = 0) or the
 * early_exporter_master_secret (early = 1). In TLS 1.3 no context and an empty context
 * are the same, so context may be NULL with context_len 0. label is label_len bytes
 * (at most 249: HkdfLabel.label is at most 255 with "tls13 "). out_len <= 255 * hash_len.
 * MT_ERR_BAD_STATE if the secret is not available. */
int mt_ks13_export(const mt_ks13 *ks, int early, const uint8_t *label, size_t label_len,
                   const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len);

/* ---- stateless helpers (secret is mt_hash_len(hash) bytes) ---- */

/* RFC 8446 7.3: key = HKDF-Expand-Label(secret, "key", "", key_len),
 * iv = HKDF-Expand-Label(secret, "iv", "", iv_len). Either output may be NULL to skip. */
int mt_ks13_traffic_keys(mt_hash_id hash, const uint8_t *secret, uint8_t *key, size_t key_len,
                         uint8_t *iv, size_t iv_len);
/* RFC 8446 4.4.4: finished_key = HKDF-Expand-Label(base_key, "finished", "", Hash.length). */
int mt_ks13_finished_key(mt_hash_id hash, const uint8_t *base_key, uint8_t *finished_key);
/* RFC 8446 4.4.4: verify_data = HMAC(finished_key, transcript_hash); base_key is the
 * sender's handshake traffic secret (or the application secret for post-handshake auth).
 * Writes mt_hash_len(hash) bytes. */
int mt_ks13_finished(mt_hash_id hash, const uint8_t *base_key, const uint8_t *transcript_hash,
                     uint8_t *verify_data);
/* RFC 8446 7.2: next = HKDF-Expand-Label(cur, "traffic upd", "", Hash.length); may work
 * in place (next == cur). */
int mt_ks13_next_secret(mt_hash_id hash, const uint8_t *cur, uint8_t *next);
/* The RFC 8446 7.5 exporter from a given (early_)exporter_master_secret; see
 * mt_ks13_export for the arguments. */
int mt_ks13_exporter(mt_hash_id hash, const uint8_t *exporter_secret, const uint8_t *label,
                     size_t label_len, const uint8_t *context, size_t context_len, uint8_t *out,
                     size_t out_len);
/* RFC 8446 4.6.1: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce,
 * Hash.length). */
int mt_ks13_resumption_psk(mt_hash_id hash, const uint8_t *resumption_master_secret,
                           const uint8_t *nonce, size_t nonce_len, uint8_t *psk);

#endif
