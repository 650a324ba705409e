/*
 * keysched13.c - TLS 1.3 key schedule; see keysched13.h for the contract.
 *
 * Notes:
 * - RFC 8446 7.1, drawn as a chain of three HKDF-Extract calls:
 *       0 -> Extract(0, PSK) = Early Secret
 *         -> Extract(Derive-Secret(., "derived", ""), (EC)DHE) = Handshake Secret
 *         -> Extract(Derive-Secret(., "derived", ""), 0) = Master Secret
 *   with Derive-Secret(Secret, Label, Messages) =
 *       HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length).
 * - Derive-Secret over "" uses Hash("") as its context; it is computed on demand rather
 *   than kept in a table, so there is no global state.
 * - The stage secret lives in one slot that each step overwrites after deriving the next
 *   one from it; temporaries are wiped on every path (the out: label).
 */
#include "keysched13.h"
#include "buf/buf.h"
#include "crypto/kdf.h"
#include "internal.h"

#include <string.h>

/* NSS key log labels, indexed by mt_ks13_secret_id (NULL: never reported). */
static const char *const log_labels[MT_KS13_SECRET_COUNT] = {
    [MT_KS13_CLIENT_EARLY_TRAFFIC] = "CLIENT_EARLY_TRAFFIC_SECRET",
    [MT_KS13_EARLY_EXPORTER] = "EARLY_EXPORTER_SECRET",
    [MT_KS13_CLIENT_HANDSHAKE_TRAFFIC] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    [MT_KS13_SERVER_HANDSHAKE_TRAFFIC] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    [MT_KS13_CLIENT_APPLICATION_TRAFFIC] = "CLIENT_TRAFFIC_SECRET_0",
    [MT_KS13_SERVER_APPLICATION_TRAFFIC] = "SERVER_TRAFFIC_SECRET_0",
    [MT_KS13_EXPORTER_MASTER] = "EXPORTER_SECRET",
    [MT_KS13_RESUMPTION_MASTER] = NULL,
};

static const uint8_t nothing[1] = {0}; /* a non-NULL pointer for empty inputs */

static int expand_label(mt_hash_id h, const uint8_t *secret, const char *label, const uint8_t *ctx,
                        size_t ctx_len, uint8_t *out, size_t out_len)
{
    return mt_hkdf_expand_label(h, secret, (const uint8_t *)label, strlen(label),
                                ctx ? ctx : nothing, ctx_len, out, out_len);
}

/* Derive-Secret(secret, label, "") */
static int derive_empty(mt_hash_id h, const uint8_t *secret, const uint8_t *label, size_t label_len,
                        uint8_t *out)
{
    uint8_t empty_hash[MT_HASH_MAX_LEN];
    size_t n = mt_hash_len(h);

    MT_TRY(mt_hash(h, nothing, 0, empty_hash));
    return mt_hkdf_expand_label(h, secret, label, label_len, empty_hash, n, out, n);
}

static int derive_empty_str(mt_hash_id h, const uint8_t *secret, const char *label, uint8_t *out)
{
    return derive_empty(h, secret, (const uint8_t *)label, strlen(label), out);
}

/* Derive-Secret into a kept slot, then report it. */
static int derive_kept(mt_ks13 *ks, mt_ks13_secret_id which, const uint8_t *secret,
                       const char *label, const uint8_t *transcript_hash)
{
    MT_TRY(mt_derive_secret(ks->hash, secret, label, transcript_hash, ks->secrets[which]));
    ks->have[which] = 1;
    if (ks->on_secret && log_labels[which])
        ks->on_secret(log_labels[which], ks->secrets[which], ks->hash_len, ks->user);
    return 0;
}

/* next stage = HKDF-Extract(Derive-Secret(stage, "derived", ""), ikm or zeros) */
static int advance(mt_ks13 *ks, const uint8_t *ikm, size_t ikm_len)
{
    uint8_t salt[MT_HASH_MAX_LEN], zeros[MT_HASH_MAX_LEN] = {0};
    int rc = 0;

    MT_TRY_GOTO(derive_empty_str(ks->hash, ks->stage_secret, "derived", salt));
    if (ikm == NULL) {
        ikm = zeros;
        ikm_len = ks->hash_len;
    }
    MT_TRY_GOTO(mt_hkdf_extract(ks->hash, salt, ks->hash_len, ikm, ikm_len, ks->stage_secret));
out:
    mt_wipe(salt, sizeof salt);
    if (rc) {
        /* A half-advanced schedule must not be used: back to "nothing derived". */
        mt_wipe(ks->stage_secret, sizeof ks->stage_secret);
        ks->stage = MT_KS13_NONE;
    }
    return rc;
}

int mt_ks13_init(mt_ks13 *ks, mt_hash_id hash, mt_ks13_secret_fn on_secret, void *user)
{
    memset(ks, 0, sizeof *ks);
    MT_ENSURE(mt_hash_len(hash) != 0, MT_ERR_BAD_PARAM);
    ks->hash = hash;
    ks->hash_len = mt_hash_len(hash);
    ks->stage = MT_KS13_NONE;
    ks->on_secret = on_secret;
    ks->user = user;
    return 0;
}

void mt_ks13_free(mt_ks13 *ks)
{
    mt_wipe(ks, sizeof *ks);
}

int mt_ks13_early(mt_ks13 *ks, const uint8_t *psk, size_t psk_len)
{
    uint8_t zeros[MT_HASH_MAX_LEN] = {0};
    int rc;

    MT_ENSURE(ks->stage == MT_KS13_NONE || ks->stage == MT_KS13_EARLY, MT_ERR_BAD_STATE);
    MT_ENSURE(psk != NULL || psk_len == 0, MT_ERR_BAD_PARAM);
    /* A new PSK try must not leave the previous try's early traffic secrets behind. */
    mt_ks13_forget(ks, MT_KS13_CLIENT_EARLY_TRAFFIC);
    mt_ks13_forget(ks, MT_KS13_EARLY_EXPORTER);
    /* RFC 8446 7.1: "If a given secret is not available, then the 0-value consisting of a
     * string of Hash.length bytes set to zeros is used." */
    if (psk == NULL) {
        psk = zeros;
        psk_len = ks->hash_len;
    }
    rc = mt_hkdf_extract(ks->hash, NULL, 0, psk, psk_len, ks->stage_secret);
    if (rc) {
        mt_wipe(ks->stage_secret, sizeof ks->stage_secret);
        ks->stage = MT_KS13_NONE;
        return rc;
    }
    ks->stage = MT_KS13_EARLY;
    return 0;
}

int mt_ks13_binder_key(const mt_ks13 *ks, int external, uint8_t *binder_key)
{
    MT_ENSURE(ks->stage == MT_KS13_EARLY, MT_ERR_BAD_STATE);
    /* RFC 8446 7.1: "ext binder" for external PSKs, "res binder" for resumption PSKs, so
     * that one kind can never be substituted for the other. */
    return derive_empty_str(ks->hash, ks->stage_secret, external ? "ext binder" : "res binder",
                            binder_key);
}

int mt_ks13_binder(const mt_ks13 *ks, int external, const uint8_t *truncated_hash, uint8_t *binder)
{
    uint8_t key[MT_HASH_MAX_LEN];
    int rc = 0;

    MT_TRY_GOTO(mt_ks13_binder_key(ks, external, key));
    /* RFC 8446 4.2.11.2: "The PskBinderEntry is computed in the same way as the Finished
     * message (Section 4.4.4) but with the BaseKey being the binder_key". */
    MT_TRY_GOTO(mt_ks13_finished(ks->hash, key, truncated_hash, binder));
out:
    mt_wipe(key, sizeof key);
    return rc;
}

int mt_ks13_early_traffic(mt_ks13 *ks, const uint8_t *client_hello_hash)
{
    MT_ENSURE(ks->stage == MT_KS13_EARLY, MT_ERR_BAD_STATE);
    MT_TRY(derive_kept(ks, MT_KS13_CLIENT_EARLY_TRAFFIC, ks->stage_secret, "c e traffic",
                       client_hello_hash));
    return derive_kept(ks, MT_KS13_EARLY_EXPORTER, ks->stage_secret, "e exp master",
                       client_hello_hash);
}

int mt_ks13_handshake(mt_ks13 *ks, const uint8_t *shared, size_t shared_len,
                      const uint8_t *server_hello_hash)
{
    MT_ENSURE(shared != NULL || shared_len == 0, MT_ERR_BAD_PARAM);
    if (ks->stage == MT_KS13_NONE) MT_TRY(mt_ks13_early(ks, NULL, 0));
    MT_ENSURE(ks->stage == MT_KS13_EARLY, MT_ERR_BAD_STATE);
    MT_TRY(advance(ks, shared, shared_len));
    ks->stage = MT_KS13_HANDSHAKE;
    MT_TRY(derive_kept(ks, MT_KS13_CLIENT_HANDSHAKE_TRAFFIC, ks->stage_secret, "c hs traffic",
                       server_hello_hash));
    return derive_kept(ks, MT_KS13_SERVER_HANDSHAKE_TRAFFIC, ks->stage_secret, "s hs traffic",
                       server_hello_hash);
}

int mt_ks13_master(mt_ks13 *ks, const uint8_t *server_finished_hash)
{
    MT_ENSURE(ks->stage == MT_KS13_HANDSHAKE, MT_ERR_BAD_STATE);
    MT_TRY(advance(ks, NULL, 0));
    ks->stage = MT_KS13_MASTER;
    MT_TRY(derive_kept(ks, MT_KS13_CLIENT_APPLICATION_TRAFFIC, ks->stage_secret, "c ap traffic",
                       server_finished_hash));
    MT_TRY(derive_kept(ks, MT_KS13_SERVER_APPLICATION_TRAFFIC, ks->stage_secret, "s ap traffic",
                       server_finished_hash));
    return derive_kept(ks, MT_KS13_EXPORTER_MASTER, ks->stage_secret, "exp master",
                       server_finished_hash);
}

int mt_ks13_resumption(mt_ks13 *ks, const uint8_t *client_finished_hash)
{
    MT_ENSURE(ks->stage == MT_KS13_MASTER, MT_ERR_BAD_STATE);
    MT_TRY(derive_kept(ks, MT_KS13_RESUMPTION_MASTER, ks->stage_secret, "res master",
                       client_finished_hash));
    /* Nothing else derives from the master secret. */
    mt_wipe(ks->stage_secret, sizeof ks->stage_secret);
    ks->stage = MT_KS13_DONE;
    return 0;
}

const uint8_t *mt_ks13_secret(const mt_ks13 *ks, mt_ks13_secret_id which)
{
    if ((unsigned)which >= MT_KS13_SECRET_COUNT || !ks->have[which]) return NULL;
    return ks->secrets[which];
}

void mt_ks13_forget(mt_ks13 *ks, mt_ks13_secret_id which)
{
    if ((unsigned)which >= MT_KS13_SECRET_COUNT) return;
    mt_wipe(ks->secrets[which], sizeof ks->secrets[which]);
    ks->have[which] = 0;
}

int mt_ks13_key_update(mt_ks13 *ks, int server)
{
    mt_ks13_secret_id which =
        server ? MT_KS13_SERVER_APPLICATION_TRAFFIC : MT_KS13_CLIENT_APPLICATION_TRAFFIC;

    MT_ENSURE(ks->have[which], MT_ERR_BAD_STATE);
    return mt_ks13_next_secret(ks->hash, ks->secrets[which], ks->secrets[which]);
}

int mt_ks13_ticket_psk(const mt_ks13 *ks, const uint8_t *nonce, size_t nonce_len, uint8_t *psk)
{
    MT_ENSURE(ks->have[MT_KS13_RESUMPTION_MASTER], MT_ERR_BAD_STATE);
    return mt_ks13_resumption_psk(ks->hash, ks->secrets[MT_KS13_RESUMPTION_MASTER], nonce,
                                  nonce_len, psk);
}

int mt_ks13_export(const mt_ks13 *ks, int early, const uint8_t *label, size_t label_len,
                   const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len)
{
    mt_ks13_secret_id which = early ? MT_KS13_EARLY_EXPORTER : MT_KS13_EXPORTER_MASTER;

    MT_ENSURE(ks->have[which], MT_ERR_BAD_STATE);
    return mt_ks13_exporter(ks->hash, ks->secrets[which], label, label_len, context, context_len,
                            out, out_len);
}

/* ---- stateless helpers ---- */

int mt_ks13_traffic_keys(mt_hash_id hash, const uint8_t *secret, uint8_t *key, size_t key_len,
                         uint8_t *iv, size_t iv_len)
{
    /* RFC 8446 7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length),
     * [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length). */
    if (key) MT_TRY(expand_label(hash, secret, "key", NULL, 0, key, key_len));
    if (iv) MT_TRY(expand_label(hash, secret, "iv", NULL, 0, iv, iv_len));
    return 0;
}

int mt_ks13_finished_key(mt_hash_id hash, const uint8_t *base_key, uint8_t *finished_key)
{
    MT_ENSURE(mt_hash_len(hash) != 0, MT_ERR_BAD_PARAM);
    return expand_label(hash, base_key, "finished", NULL, 0, finished_key, mt_hash_len(hash));
}

int mt_ks13_finished(mt_hash_id hash, const uint8_t *base_key, const uint8_t *transcript_hash,
                     uint8_t *verify_data)
{
    uint8_t key[MT_HASH_MAX_LEN];
    int rc = 0;

    /* RFC 8446 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context,
     * Certificate*, CertificateVerify*)) */
    MT_TRY_GOTO(mt_ks13_finished_key(hash, base_key, key));
    MT_TRY_GOTO(
        mt_hmac(hash, key, mt_hash_len(hash), transcript_hash, mt_hash_len(hash), verify_data));
out:
    mt_wipe(key, sizeof key);
    return rc;
}

int mt_ks13_next_secret(mt_hash_id hash, const uint8_t *cur, uint8_t *next)
{
    uint8_t tmp[MT_HASH_MAX_LEN];
    size_t n = mt_hash_len(hash);
    int rc = 0;

    MT_ENSURE(n != 0, MT_ERR_BAD_PARAM);
    /* RFC 8446 7.2: application_traffic_secret_N+1 =
     *   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length).
     * Through tmp so that next may alias cur. */
    MT_TRY_GOTO(expand_label(hash, cur, "traffic upd", NULL, 0, tmp, n));
    memcpy(next, tmp, n);
out:
    mt_wipe(tmp, sizeof tmp);
    return rc;
}

int mt_ks13_resumption_psk(mt_hash_id hash, const uint8_t *resumption_master_secret,
                           const uint8_t *nonce, size_t nonce_len, uint8_t *psk)
{
    MT_ENSURE(mt_hash_len(hash) != 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(nonce != NULL || nonce_len == 0, MT_ERR_BAD_PARAM);
    /* RFC 8446 4.6.1: HKDF-Expand-Label(resumption_master_secret, "resumption",
     * ticket_nonce, Hash.length) */
    return expand_label(hash, resumption_master_secret, "resumption", nonce, nonce_len, psk,
                        mt_hash_len(hash));
}

int mt_ks13_exporter(mt_hash_id hash, const uint8_t *exporter_secret, const uint8_t *label,
                     size_t label_len, const uint8_t *context, size_t context_len, uint8_t *out,
                     size_t out_len)
{
    uint8_t derived[MT_HASH_MAX_LEN], ctx_hash[MT_HASH_MAX_LEN];
    int rc = 0;

    MT_ENSURE(mt_hash_len(hash) != 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(label != NULL || label_len == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(context != NULL || context_len == 0, MT_ERR_BAD_PARAM);
    /* HkdfLabel.label is opaque<7..255> and carries "tls13 " (6 bytes). */
    MT_ENSURE(label_len <= 255 - 6, MT_ERR_BAD_PARAM);
    /* RFC 8446 7.5: TLS-Exporter(label, context_value, key_length) =
     *   HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter",
     *                     Hash(context_value), key_length) */
    MT_TRY_GOTO(derive_empty(hash, exporter_secret, label ? label : nothing, label_len, derived));
    MT_TRY_GOTO(mt_hash(hash, context ? context : nothing, context_len, ctx_hash));
    MT_TRY_GOTO(expand_label(hash, derived, "exporter", ctx_hash, mt_hash_len(hash), out, out_len));
out:
    mt_wipe(derived, sizeof derived);
    return rc;
}
