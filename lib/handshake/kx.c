/*
 * kx.c - one shape over X25519/X448 (crypto/xdh), ECDH (crypto/ec) and FFDHE
 * (crypto/dh). See kx.h.
 */
#include "handshake/kx.h"
#include "buf/buf.h"
#include "crypto/xdh.h"
#include "internal.h"

enum {
    G_SECP256R1 = 0x0017,
    G_SECP384R1 = 0x0018,
    G_SECP521R1 = 0x0019,
    G_X25519 = 0x001d,
    G_X448 = 0x001e,
    G_FFDHE2048 = 0x0100,
    G_FFDHE3072 = 0x0101,
    G_FFDHE4096 = 0x0102,
};

static size_t xdh_len(uint16_t g)
{
    return g == G_X25519 ? MT_X25519_LEN : g == G_X448 ? MT_X448_LEN : 0;
}

static int is_ec(uint16_t g)
{
    return g == G_SECP256R1 || g == G_SECP384R1 || g == G_SECP521R1;
}

static int is_dh(uint16_t g)
{
    return g == G_FFDHE2048 || g == G_FFDHE3072 || g == G_FFDHE4096;
}

int mt_kx_supported(uint16_t group)
{
    return xdh_len(group) || is_ec(group) || is_dh(group);
}

int mt_kx_generate(mt_kx *kx, uint16_t group, const mt_rng *rng, const uint8_t *pinned,
                   size_t pinned_len)
{
    memset(kx, 0, sizeof *kx);
    kx->group = group;
    size_t xl = xdh_len(group);
    if (xl) {
        if (pinned) {
            MT_ENSURE(pinned_len == xl, MT_ERR_BAD_PARAM);
            memcpy(kx->priv, pinned, xl);
        } else {
            MT_TRY(mt_rng_bytes(rng, "key_share", kx->priv, xl));
        }
        kx->pub_len = xl;
        /* The public value of a valid scalar is never all-zero; ignore that flag. */
        int rc =
            group == G_X25519 ? mt_x25519_base(kx->pub, kx->priv) : mt_x448_base(kx->pub, kx->priv);
        return rc == MT_ERR_ILLEGAL_PARAM ? 0 : rc;
    }
    if (is_ec(group)) {
        if (pinned)
            MT_TRY(mt_ec_import_private(&kx->ec, group, pinned, pinned_len));
        else
            MT_TRY(mt_ec_generate(&kx->ec, group, rng, "key_share"));
        kx->pub_len = sizeof kx->pub;
        return mt_ec_export_public(kx->ec, kx->pub, &kx->pub_len);
    }
    if (is_dh(group)) {
        MT_ENSURE(pinned == NULL, MT_ERR_UNSUPPORTED);
        MT_TRY(mt_dh_generate_named(&kx->dh, group, rng));
        kx->pub_len = sizeof kx->pub;
        return mt_dh_export_public(kx->dh, 1, kx->pub, &kx->pub_len);
    }
    return MT_ERR_UNSUPPORTED;
}

int mt_kx_export_private(const mt_kx *kx, uint8_t *out, size_t *len)
{
    size_t xl = xdh_len(kx->group);
    if (xl) {
        memcpy(out, kx->priv, xl);
        *len = xl;
        return 0;
    }
    if (kx->ec) return mt_ec_export_private(kx->ec, out, len);
    if (kx->dh) return mt_dh_export_private(kx->dh, out, len);
    return MT_ERR_BAD_STATE;
}

int mt_kx_shared(const mt_kx *kx, const uint8_t *peer, size_t peer_len, uint8_t *out,
                 size_t *out_len)
{
    size_t xl = xdh_len(kx->group);
    if (xl) {
        /* RFC 8446 4.2.8.2: X25519/X448 shares are exactly 32/56 bytes. */
        MT_ENSURE(peer_len == xl, MT_ERR_ILLEGAL_PARAM);
        *out_len = xl;
        return kx->group == G_X25519 ? mt_x25519(out, kx->priv, peer)
                                     : mt_x448(out, kx->priv, peer);
    }
    if (kx->ec) {
        *out_len = MT_KX_MAX_SHARED;
        return mt_ecdh(kx->ec, peer, peer_len, out, out_len);
    }
    if (kx->dh) {
        /* RFC 8446 4.2.8.1: Y is left-padded to the size of p. */
        MT_ENSURE(peer_len == mt_dh_size(kx->dh), MT_ERR_ILLEGAL_PARAM);
        *out_len = MT_KX_MAX_SHARED;
        return mt_dh_shared(kx->dh, peer, peer_len, 0, out, out_len);
    }
    return MT_ERR_BAD_STATE;
}

void mt_kx_free(mt_kx *kx)
{
    if (kx == NULL) return;
    mt_ec_free(kx->ec);
    mt_dh_free(kx->dh);
    mt_wipe(kx, sizeof *kx);
}
