/*
 * cred.h - a credential is a certificate chain (leaf first) and the leaf's private key.
 * Internal to lib/; configured through mt_config_add_credential (moontls.h).
 */
#ifndef MT_CRED_H
#define MT_CRED_H

#include "buf/buf.h"
#include "crypto/rng.h"
#include "engine.h"
#include "x509/cert.h"
#include "x509/key.h"

typedef struct mt_cred {
    mt_x509_list chain;
    mt_x509_key key;
} mt_cred;

void mt_cred_free(mt_cred *cred);
/* 1 if the credential's key can make TLS 1.3 signatures with `scheme` (RFC 8446 4.2.3). */
int mt_cred_can_sign13(const mt_cred *cred, uint16_t scheme);
/* Choose a credential and scheme: our signature_algorithms order, restricted to schemes
 * the peer offered (peer[0..n_peer)). MT_ERR_NOT_FOUND when nothing fits. */
int mt_cred_pick13(const mt_config *cfg, const uint32_t *peer, size_t n_peer, const mt_cred **cred,
                   uint16_t *scheme);
/* Sign `content` (hashed here with the scheme's hash) into sig (reset first). */
int mt_cred_sign13(const mt_cred *cred, uint16_t scheme, const uint8_t *content, size_t len,
                   const mt_rng *rng, mt_buf *sig);

#endif
