/*
 * tls13.h - pieces both TLS 1.3 state machines use: cipher suites, traffic keys,
 * Finished, CertificateVerify content and signatures, extension placement rules, and
 * small accessors over decoded messages.
 */
#ifndef MT_HANDSHAKE_TLS13_H
#define MT_HANDSHAKE_TLS13_H

#include "engine.h"
#include "handshake/codec.h"
#include "x509/cert.h"

typedef struct mt_suite13 {
    uint16_t id;
    mt_aead_id aead;
    mt_hash_id hash;
    size_t key_len;
} mt_suite13;

/* The suite's parameters, or NULL when it is not a TLS 1.3 suite we implement. */
const mt_suite13 *mt_tls13_suite(uint16_t id);

/* Derive key and IV from a traffic secret (RFC 8446 7.3) into key[MT_AEAD_MAX_KEY_LEN] and
 * iv[MT_AEAD_NONCE_LEN] (the caller's, to wipe), and record keys k whose slices point there. */
int mt_tls13_rec_keys(const mt_suite13 *s, const uint8_t *secret, mt_rec_keys *k, uint8_t *key,
                      uint8_t *iv);

/* Derive key and IV from a traffic secret (RFC 8446 7.3) and install them for reading
 * now, or queue them for writing (after what is already queued). */
int mt_tls13_read_keys(mt_conn *c, const mt_suite13 *s, const uint8_t *secret);
int mt_tls13_write_keys(mt_conn *c, const mt_suite13 *s, const uint8_t *secret);

/* verify_data over the current transcript with the given base key (RFC 8446 4.4.4).
 * Writes mt_hash_len(s->hash) bytes. */
int mt_tls13_finished(mt_conn *c, const mt_suite13 *s, const uint8_t *base_key, uint8_t *out);

/* The content a CertificateVerify signs (RFC 8446 4.4.3): 64 spaces, the context string
 * for the sender, a zero byte, the transcript hash. Written to out (reset first). */
int mt_tls13_cv_content(mt_conn *c, int by_server, mt_buf *out);

/* Hash and algorithm of a signature scheme usable in TLS 1.3 CertificateVerify
 * (RFC 8446 4.2.3; rsa_pkcs1_* are not). Returns 1 and fills *hash, or 0. */
int mt_tls13_scheme_ok(uint16_t scheme, mt_hash_id *hash);
/* Verify a CertificateVerify signature with the leaf's public key: 0, MT_ERR_VERIFY, or
 * MT_ERR_ILLEGAL_PARAM when the scheme does not fit the key (RFC 8446 4.4.3). */
int mt_tls13_verify_sig(const mt_x509_spki *spki, uint16_t scheme, const uint8_t *content,
                        size_t len, const uint8_t *sig, size_t sig_len);

/* Decode a received message (header + body) as TLS 1.3 from `side` and apply the
 * stateless RFC rules (validate.h) with `offer` the ClientHello a server message answers
 * (NULL for client messages), failing the connection with the alert and the "where" text
 * of the codec or validator. */
int mt_tls13_decode(mt_conn *c, mt_slice msg, int side, const mt_hs_msg *offer, mt_hs_msg **out);

/* Accessors: a named child's integer / bytes (0 / empty if absent), an extension by type
 * in the message's extension list (MT_HS_NONE if absent). */
uint64_t mt_t13_u(const mt_hs_msg *m, mt_hs_id parent, const char *name);
mt_slice mt_t13_b(const mt_hs_msg *m, mt_hs_id parent, const char *name);
mt_hs_id mt_t13_ext(const mt_hs_msg *m, unsigned type);

/* RFC 8446 4.6.3: the peer sent KeyUpdate: move our read keys to its next secret and,
 * when it asked, answer with our own KeyUpdate. */
int mt_tls13_peer_key_update(mt_conn *c, const mt_suite13 *s, int requested);
/* Send KeyUpdate(request) and move our write keys to our next secret. */
int mt_tls13_send_key_update(mt_conn *c, const mt_suite13 *s, int request);

/* Our Finished over the current transcript with `base_key` (the verify_data hook may
 * replace it), queued for sending. */
int mt_tls13_send_finished(mt_conn *c, const mt_suite13 *s, const uint8_t *base_key);
/* Check the peer's Finished (decode_error for a wrong length, decrypt_error for wrong
 * contents, constant-time) and add it to the transcript. side: who sent it. */
int mt_tls13_check_finished(mt_conn *c, const mt_suite13 *s, const uint8_t *base_key, mt_slice msg,
                            int side, const mt_hs_msg *offer);
/* The private key a configuration pins for a group's share, or NULL. */
const uint8_t *mt_tls13_pinned(const mt_config *cfg, uint16_t group, size_t *len);

/* RFC 8446 4.2.11.2: the binder of one PSK (hash `hash`; external = 1 for an external
 * PSK, "ext binder", 0 for a resumption PSK, "res binder") over the transcript so far
 * followed by the truncated ClientHello `trunc` (header included, binders cut off).
 * Writes mt_hash_len(hash) bytes; the temporary schedule is wiped. */
int mt_tls13_binder(mt_conn *c, mt_hash_id hash, int external, const uint8_t *psk, size_t psk_len,
                    const uint8_t *trunc, size_t trunc_len, uint8_t *out);

/* Constants. */
#define MT_GROUP_X25519 0x001d
#define MT_TLS13_MAX_SHARES 8

#endif
