/*
 * api_extra.c - small public accessors the Lua binding needs (declared at the end of
 * moontls.h): the connection's client random for key logs, and the seeded generator.
 * Kept apart from engine.c so the engine's owner can fold them in when convenient.
 */
#include "engine.h"
#include "handshake/kx.h"
#include "internal.h"

#include <stdlib.h>

int mt_conn_client_random(const mt_conn *c, uint8_t out[32])
{
    static const uint8_t zero[32];
    /* Both roles fill client_random once the ClientHello is built or read. */
    MT_ENSURE(memcmp(c->client_random, zero, sizeof zero) != 0, MT_ERR_BAD_STATE);
    memcpy(out, c->client_random, 32);
    return 0;
}

struct mt_seeded {
    mt_rng_seeded state;
    mt_rng rng; /* the filler bound to state */
};

mt_seeded *mt_seeded_new(const uint8_t *seed, size_t len)
{
    mt_seeded *g = calloc(1, sizeof *g);
    if (g == NULL) return NULL;
    g->rng = mt_rng_seeded_init(&g->state, seed, len);
    return g;
}

int mt_seeded_fill(void *s, const char *purpose, uint8_t *out, size_t n)
{
    mt_seeded *g = s;
    return mt_rng_bytes(&g->rng, purpose, out, n);
}

void mt_seeded_free(mt_seeded *s)
{
    if (s == NULL) return;
    mt_rng_seeded_wipe(&s->state);
    mt_wipe(s, sizeof *s);
    free(s);
}

int mt_conn_fail(mt_conn *c, int err, const char *where)
{
    return mt_eng_fail(c, err, "%s", where ? where : "");
}

int mt_conn_export(const mt_conn *c, const uint8_t *label, size_t label_len,
                   const uint8_t *context, size_t context_len, int has_context, uint8_t *out,
                   size_t out_len)
{
    MT_ENSURE(c != NULL && (out != NULL || out_len == 0), MT_ERR_BAD_PARAM);
    if (c->err) return c->err;
    MT_ENSURE(c->handshake_done, MT_ERR_BAD_STATE);
    MT_ENSURE(c->version == MT_VERSION_TLS13, MT_ERR_UNSUPPORTED);
    MT_ENSURE(out_len <= 255 * c->ks.hash_len, MT_ERR_BAD_PARAM); /* RFC 5869 2.3 */
    /* RFC 8446 7.5: in TLS 1.3 an absent context is the same as an empty one. */
    (void)has_context;
    return mt_ks13_export(&c->ks, 0, label, label_len, context, context_len, out, out_len);
}

int mt_conn_peer_cert(const mt_conn *c, size_t i, const uint8_t **der, size_t *len)
{
    MT_ENSURE(c != NULL && der != NULL && len != NULL, MT_ERR_BAD_PARAM);
    mt_reader r;
    mt_slice s = {0};
    mt_rd_init(&r, c->peer_certs.data, c->peer_certs.len);
    for (size_t k = 0; k <= i; k++)
        MT_ENSURE(mt_rd_left(&r) > 0 && mt_rd_vec24_slice(&r, &s) == 0, MT_ERR_NOT_FOUND);
    *der = s.p;
    *len = s.len;
    return 0;
}

size_t mt_conn_peer_cert_count(const mt_conn *c)
{
    return c ? c->n_peer_certs : 0;
}

int mt_conn_verify_result(const mt_conn *c, const char **reason)
{
    if (reason) *reason = c->verify_state == 2 ? c->verify_reason : "";
    if (c->verify_state == 0) return 1;
    return c->verify_state == 1 ? 0 : c->verify_err;
}

/* Key shares outside a connection: the engine's own generator (handshake/kx.c), so a
 * script builds a ClientHello share exactly as the engine would and the values it gets
 * are ones the engine accepts. */
int mt_key_share(uint16_t group, const uint8_t *priv, size_t priv_len, mt_rng_cb rng,
                 void *rng_ud, uint8_t *pub, size_t *pub_len, uint8_t *priv_out,
                 size_t *priv_out_len)
{
    MT_ENSURE(pub != NULL && pub_len != NULL && priv_out != NULL && priv_out_len != NULL,
              MT_ERR_BAD_PARAM);
    MT_ENSURE(priv != NULL || priv_len == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(mt_kx_supported(group), MT_ERR_UNSUPPORTED);
    mt_rng r = {rng, rng_ud}; /* fn NULL: the system generator */
    mt_kx kx;
    int rc = 0;
    MT_TRY_GOTO(mt_kx_generate(&kx, group, &r, priv, priv_len));
    MT_ENSURE_GOTO(kx.pub_len <= MT_KEY_SHARE_MAX, MT_ERR_CRYPTO);
    MT_TRY_GOTO(mt_kx_export_private(&kx, priv_out, priv_out_len));
    memcpy(pub, kx.pub, kx.pub_len);
    *pub_len = kx.pub_len;
out:
    mt_kx_free(&kx);
    return rc;
}
