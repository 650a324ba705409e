/*
 * tls13.c - shared TLS 1.3 pieces: suites, keys, Finished, CertificateVerify, extension
 * placement. See tls13.h.
 */
#include "handshake/tls13.h"
#include "crypto/ec.h"
#include "crypto/kdf.h"
#include "crypto/rsa.h"
#include "handshake/keysched13.h"
#include "handshake/validate.h"
#include "internal.h"

#include <stdio.h>

static const mt_suite13 suites[] = {
    {0x1301, MT_AEAD_AES128_GCM, MT_HASH_SHA256, 16},
    {0x1302, MT_AEAD_AES256_GCM, MT_HASH_SHA384, 32},
    {0x1303, MT_AEAD_CHACHA20_POLY1305, MT_HASH_SHA256, 32},
};

const mt_suite13 *mt_tls13_suite(uint16_t id)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(suites); i++)
        if (suites[i].id == id) return &suites[i];
    return NULL;
}

int mt_tls13_rec_keys(const mt_suite13 *s, const uint8_t *secret, mt_rec_keys *k, uint8_t *key,
                      uint8_t *iv)
{
    MT_TRY(mt_ks13_traffic_keys(s->hash, secret, key, s->key_len, iv, MT_AEAD_NONCE_LEN));
    memset(k, 0, sizeof *k);
    k->kind = MT_REC_AEAD13;
    k->version = MT_TLS13;
    k->aead = s->aead;
    k->key = mt_slice_of(key, s->key_len);
    k->iv = mt_slice_of(iv, MT_AEAD_NONCE_LEN);
    return 0;
}

int mt_tls13_read_keys(mt_conn *c, const mt_suite13 *s, const uint8_t *secret)
{
    uint8_t key[MT_AEAD_MAX_KEY_LEN], iv[MT_AEAD_NONCE_LEN];
    mt_rec_keys k;
    int rc = mt_tls13_rec_keys(s, secret, &k, key, iv);
    if (rc == 0) rc = mt_eng_set_read_keys(c, &k);
    mt_wipe(key, sizeof key);
    mt_wipe(iv, sizeof iv);
    return rc;
}

int mt_tls13_write_keys(mt_conn *c, const mt_suite13 *s, const uint8_t *secret)
{
    uint8_t key[MT_AEAD_MAX_KEY_LEN], iv[MT_AEAD_NONCE_LEN];
    mt_rec_keys k;
    int rc = mt_tls13_rec_keys(s, secret, &k, key, iv);
    if (rc == 0) rc = mt_eng_set_write_keys(c, &k);
    mt_wipe(key, sizeof key);
    mt_wipe(iv, sizeof iv);
    return rc;
}

int mt_tls13_finished(mt_conn *c, const mt_suite13 *s, const uint8_t *base_key, uint8_t *out)
{
    uint8_t h[MT_HASH_MAX_LEN];
    MT_TRY(mt_transcript_hash(&c->tr, h));
    return mt_ks13_finished(s->hash, base_key, h, out);
}

int mt_tls13_cv_content(mt_conn *c, int by_server, mt_buf *out)
{
    static const char server_ctx[] = "TLS 1.3, server CertificateVerify";
    static const char client_ctx[] = "TLS 1.3, client CertificateVerify";
    uint8_t h[MT_HASH_MAX_LEN];
    uint8_t spaces[64];
    memset(spaces, 0x20, sizeof spaces);
    MT_TRY(mt_transcript_hash(&c->tr, h));
    mt_buf_reset(out);
    MT_TRY(mt_buf_append(out, spaces, sizeof spaces));
    const char *ctx = by_server ? server_ctx : client_ctx;
    MT_TRY(mt_buf_append(out, ctx, strlen(ctx) + 1)); /* includes the 0 separator */
    return mt_buf_append(out, h, mt_transcript_len(&c->tr));
}

int mt_tls13_scheme_ok(uint16_t scheme, mt_hash_id *hash)
{
    switch (scheme) {
    case 0x0403: /* ecdsa_secp256r1_sha256 */
    case 0x0804: /* rsa_pss_rsae_sha256 */
    case 0x0809: /* rsa_pss_pss_sha256 */
        *hash = MT_HASH_SHA256;
        return 1;
    case 0x0503:
    case 0x0805:
    case 0x080a:
        *hash = MT_HASH_SHA384;
        return 1;
    case 0x0603:
    case 0x0806:
    case 0x080b:
        *hash = MT_HASH_SHA512;
        return 1;
    default:
        return 0;
    }
}

int mt_tls13_verify_sig(const mt_x509_spki *spki, uint16_t scheme, const uint8_t *content,
                        size_t len, const uint8_t *sig, size_t sig_len)
{
    mt_hash_id h;
    MT_ENSURE(mt_tls13_scheme_ok(scheme, &h), MT_ERR_ILLEGAL_PARAM);
    uint8_t digest[MT_HASH_MAX_LEN];
    MT_TRY(mt_hash(h, content, len, digest));
    uint8_t kind = (uint8_t)(scheme >> 8);
    int rc;
    if (kind == 0x04 || kind == 0x05 || kind == 0x06) {
        /* RFC 8446 4.2.3: ECDSA schemes also name the curve of the key. */
        int want = kind == 0x04 ? MT_EC_P256 : kind == 0x05 ? MT_EC_P384 : MT_EC_P521;
        MT_ENSURE(spki->curve == want && spki->point.len > 0, MT_ERR_ILLEGAL_PARAM);
        mt_ec_key *k = NULL;
        rc = mt_ec_import_public(&k, spki->curve, spki->point.p, spki->point.len);
        if (rc == 0) rc = mt_ecdsa_verify(k, digest, mt_hash_len(h), sig, sig_len);
        mt_ec_free(k);
        return rc == 0 ? 0 : rc == MT_ERR_ILLEGAL_PARAM ? rc : MT_ERR_VERIFY;
    }
    /* RSA-PSS (RFC 8446 4.2.3): rsa_pss_rsae_* need an rsaEncryption key, rsa_pss_pss_*
     * an RSASSA-PSS key; the salt is as long as the digest. */
    int pss_key = (scheme & 0xff) >= 0x09;
    MT_ENSURE(spki->rsa_n.len > 0, MT_ERR_ILLEGAL_PARAM);
    MT_ENSURE(pss_key == (spki->alg == MT_OID_RSASSA_PSS), MT_ERR_ILLEGAL_PARAM);
    mt_rsa_key *k = NULL;
    rc = mt_rsa_import_raw(&k, spki->rsa_n.p, spki->rsa_n.len, spki->rsa_e.p, spki->rsa_e.len, NULL,
                           0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
    if (rc == 0) rc = mt_rsa_verify_pss(k, h, digest, mt_hash_len(h), mt_hash_len(h), sig, sig_len);
    mt_rsa_free(k);
    return rc == 0 ? 0 : MT_ERR_VERIFY;
}

int mt_tls13_decode(mt_conn *c, mt_slice msg, int side, const mt_hs_msg *offer, mt_hs_msg **out)
{
    mt_hs_ctx ctx = {.content_type = 22, .version = MT_TLS13, .side = (uint8_t)side};
    char where[MT_HS_WHERE_MAX];
    int rc = mt_hs_decode(&ctx, msg.p, msg.len, out, where, sizeof where);
    if (rc == MT_ERR_DECODE) return mt_eng_fail(c, rc, "%s", where);
    if (rc) return mt_eng_fail(c, rc, "decoding message type %u", msg.len ? msg.p[0] : 0);
    /* The RFC's rules that need no connection state (ranges, duplicate and misplaced
     * extensions, responses to extensions never offered) live in validate.c. */
    rc = mt_hs_validate(*out, offer, where, sizeof where);
    if (rc) {
        mt_hs_msg_free(*out);
        *out = NULL;
        return mt_eng_fail(c, rc, "%s", where);
    }
    return 0;
}

uint64_t mt_t13_u(const mt_hs_msg *m, mt_hs_id parent, const char *name)
{
    uint64_t v = 0;
    mt_hs_id id = mt_hs_child(m, parent, name);
    if (id != MT_HS_NONE) mt_hs_get_int(m, id, &v);
    return v;
}

mt_slice mt_t13_b(const mt_hs_msg *m, mt_hs_id parent, const char *name)
{
    mt_slice s = {NULL, 0};
    mt_hs_id id = mt_hs_child(m, parent, name);
    if (id != MT_HS_NONE) mt_hs_get_bytes(m, id, &s);
    return s;
}

mt_hs_id mt_t13_ext(const mt_hs_msg *m, unsigned type)
{
    mt_hs_id list = mt_hs_extensions(m);
    if (list == MT_HS_NONE) return MT_HS_NONE;
    return mt_hs_ext_find(m, list, type);
}

/* ---- KeyUpdate (RFC 8446 4.6.3, 7.2) ---- */

static mt_ks13_secret_id app_secret(int server)
{
    return server ? MT_KS13_SERVER_APPLICATION_TRAFFIC : MT_KS13_CLIENT_APPLICATION_TRAFFIC;
}

int mt_tls13_send_key_update(mt_conn *c, const mt_suite13 *s, int request)
{
    int we_are_server = c->role == MT_ROLE_SERVER;
    uint8_t body = (uint8_t)request;
    MT_TRY(mt_eng_send_hs(c, MT_HS_KEY_UPDATE, &body, 1));
    MT_TRY(mt_ks13_key_update(&c->ks, we_are_server));
    return mt_tls13_write_keys(c, s, mt_ks13_secret(&c->ks, app_secret(we_are_server)));
}

int mt_tls13_peer_key_update(mt_conn *c, const mt_suite13 *s, int requested)
{
    int peer_is_server = c->role == MT_ROLE_CLIENT;
    MT_TRY(mt_ks13_key_update(&c->ks, peer_is_server));
    MT_TRY(mt_tls13_read_keys(c, s, mt_ks13_secret(&c->ks, app_secret(peer_is_server))));
    /* "If the request_update field is set to update_requested, then the receiver MUST
     * send a KeyUpdate of its own with request_update set to update_not_requested prior
     * to sending its next Application Data record." After our close_notify we send
     * nothing more (RFC 8446 6.1). */
    return requested && !c->close_sent ? mt_tls13_send_key_update(c, s, 0) : 0;
}

int mt_conn_key_update(mt_conn *c, int request_peer)
{
    if (c->err) return c->err;
    const mt_suite13 *s = mt_tls13_suite(c->suite);
    MT_ENSURE(c->handshake_done && !c->close_sent && s != NULL && c->version == MT_TLS13,
              MT_ERR_BAD_STATE);
    MT_TRY(mt_tls13_send_key_update(c, s, request_peer ? 1 : 0));
    return mt_conn_run(c);
}

/* ---- Finished (RFC 8446 4.4.4) ---- */

int mt_tls13_send_finished(mt_conn *c, const mt_suite13 *s, const uint8_t *base_key)
{
    uint8_t vd[MT_HASH_MAX_LEN];
    size_t hl = mt_hash_len(s->hash);
    MT_TRY(mt_tls13_finished(c, s, base_key, vd));
    const uint8_t *answer;
    size_t alen;
    /* verify_data hook: a script may send another value (a deliberate bad Finished). */
    MT_TRY(mt_eng_ask(c, MT_HOOK_VERIFY_DATA, 0, vd, hl, &answer, &alen));
    return mt_eng_send_hs(c, MT_HS_FINISHED, answer ? answer : vd, answer ? alen : hl);
}

int mt_tls13_check_finished(mt_conn *c, const mt_suite13 *s, const uint8_t *base_key, mt_slice msg,
                            int side, const mt_hs_msg *offer)
{
    mt_hs_msg *m = NULL;
    MT_TRY(mt_tls13_decode(c, msg, side, offer, &m));
    mt_slice got = mt_t13_b(m, MT_HS_ROOT, "verify_data");
    uint8_t want[MT_HASH_MAX_LEN];
    size_t hl = mt_hash_len(s->hash);
    int rc = mt_tls13_finished(c, s, base_key, want);
    /* RFC 8446 4.4.4: a wrong length cannot be a Finished (decode_error); wrong contents
     * are decrypt_error. The comparison is constant-time. */
    if (rc == 0 && got.len != hl)
        rc =
            mt_eng_fail(c, MT_ERR_DECODE, "Finished.verify_data: %zu bytes, want %zu", got.len, hl);
    if (rc == 0 && !mt_ct_eq(got.p, want, hl))
        rc = mt_eng_fail(c, MT_ERR_SENT(MT_ALERT_DECRYPT_ERROR), "Finished.verify_data: wrong");
    mt_wipe(want, sizeof want);
    mt_hs_msg_free(m);
    MT_TRY(rc);
    return mt_transcript_add(&c->tr, msg.p, msg.len);
}

const uint8_t *mt_tls13_pinned(const mt_config *cfg, uint16_t group, size_t *len)
{
    for (size_t i = 0; i < cfg->n_pinned; i++)
        if (cfg->pinned[i].group == group) {
            *len = cfg->pinned[i].len;
            return cfg->pinned[i].priv;
        }
    return NULL;
}

/* ---- PSK binders (RFC 8446 4.2.11.2) ---- */

int mt_tls13_binder(mt_conn *c, mt_hash_id hash, int external, const uint8_t *psk, size_t psk_len,
                    const uint8_t *trunc, size_t trunc_len, uint8_t *out)
{
    uint8_t h[MT_HASH_MAX_LEN];
    mt_ks13 ks;
    int rc = 0;
    /* "the Transcript-Hash ... computed over the truncated ClientHello", after a
     * HelloRetryRequest preceded by message_hash(ClientHello1) and the HRR itself. */
    MT_TRY(mt_transcript_hash_with(&c->tr, mt_transcript_len(&c->tr) ? MT_HASH_NONE : hash, trunc,
                                   trunc_len, h));
    MT_TRY_GOTO(mt_ks13_init(&ks, hash, NULL, NULL));
    MT_TRY_GOTO(mt_ks13_early(&ks, psk, psk_len));
    MT_TRY_GOTO(mt_ks13_binder(&ks, external, h, out));
out:
    mt_ks13_free(&ks);
    mt_wipe(h, sizeof h);
    return rc;
}
