/*
 * api_record.c - TLS 1.3 record keys outside a connection (declared in moontls.h, "TLS 1.3
 * record keys"): a traffic secret's key and IV, its KeyUpdate generations, and opening or
 * sealing one whole record at a sequence number the caller names. A trace decrypter
 * (bindings/moontls/decrypt.lua) and tests that build records by hand use it.
 *
 * Notes:
 * - Nothing here is new crypto: the suite table is the handshake's (mt_tls13_suite), key
 *   and IV come from the handshake's mt_tls13_rec_keys, generations from
 *   mt_ks13_next_secret, and the record is opened or sealed by the record layer
 *   (mt_rec_deframe, mt_rec_open, mt_rec_seal) over an mt_rec_prot of kind
 *   MT_REC_AEAD13, so the RFC 8446 5.2-5.4 rules (outer type, tag, length limits,
 *   padding, inner type) are the engine's own.
 * - The caller owns the sequence number: each call sets it on the protection first, so a
 *   record may be tried under several keys, or skipped, without any state moving.
 * - Output goes straight into the caller's memory through an mt_buf that borrows it. The
 *   capacity is checked up front against what the record layer reserves, so the buffer
 *   never grows (mt_buf_reserve only allocates when the request exceeds cap) and is never
 *   freed here.
 */
#include "crypto/kdf.h"
#include "handshake/keysched13.h"
#include "handshake/tls13.h"
#include "internal.h"
#include "record/record.h"

#include <limits.h>
#include <stdlib.h>

struct mt_tls13_keys {
    const mt_suite13 *suite;
    uint8_t secret[MT_HASH_MAX_LEN]; /* the current generation's traffic secret */
    unsigned generation;
    mt_rec_prot prot; /* AEAD13 protection holding key and IV of `secret` */
};

/* Derive key and IV of k->secret (RFC 8446 7.3) and install them. On failure the old
 * protection stays in place (mt_rec_prot_install's contract). */
static int install(mt_tls13_keys *k)
{
    uint8_t key[MT_AEAD_MAX_KEY_LEN], iv[MT_AEAD_NONCE_LEN];
    mt_rec_keys rk;
    int rc = 0;

    MT_TRY_GOTO(mt_tls13_rec_keys(k->suite, k->secret, &rk, key, iv));
    MT_TRY_GOTO(mt_rec_prot_install(&k->prot, &rk));
out:
    mt_wipe(key, sizeof key);
    mt_wipe(iv, sizeof iv);
    return rc;
}

size_t mt_tls13_secret_len(uint16_t suite)
{
    const mt_suite13 *s = mt_tls13_suite(suite);
    return s ? mt_hash_len(s->hash) : 0;
}

int mt_tls13_keys_new(uint16_t suite, const uint8_t *secret, size_t len, mt_tls13_keys **out)
{
    const mt_suite13 *s = mt_tls13_suite(suite);
    mt_tls13_keys *k;
    int rc;

    MT_ENSURE(out != NULL, MT_ERR_BAD_PARAM);
    *out = NULL;
    MT_ENSURE(s != NULL, MT_ERR_UNSUPPORTED);
    /* RFC 8446 7.1: a traffic secret is Hash.length bytes of the suite's hash. */
    MT_ENSURE(secret != NULL && len == mt_hash_len(s->hash), MT_ERR_BAD_PARAM);
    k = calloc(1, sizeof *k);
    MT_ENSURE(k != NULL, MT_ERR_NO_MEMORY);
    k->suite = s;
    memcpy(k->secret, secret, len);
    mt_rec_prot_init(&k->prot);
    rc = install(k);
    if (rc != 0) {
        mt_tls13_keys_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int mt_tls13_keys_next(mt_tls13_keys *k)
{
    uint8_t next[MT_HASH_MAX_LEN], cur[MT_HASH_MAX_LEN];
    int rc = 0;

    MT_ENSURE(k != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(k->generation != UINT_MAX, MT_ERR_LIMIT);
    /* RFC 8446 7.2: application_traffic_secret_N+1 =
     *   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length) */
    MT_TRY_GOTO(mt_ks13_next_secret(k->suite->hash, k->secret, next));
    /* Keep generation N until N+1's keys are installed: a failure changes nothing. */
    memcpy(cur, k->secret, sizeof cur);
    memcpy(k->secret, next, sizeof next);
    rc = install(k);
    if (rc != 0) {
        memcpy(k->secret, cur, sizeof cur);
        goto out;
    }
    k->generation++;
out:
    mt_wipe(next, sizeof next);
    mt_wipe(cur, sizeof cur);
    return rc;
}

unsigned mt_tls13_keys_generation(const mt_tls13_keys *k)
{
    return k ? k->generation : 0;
}

uint16_t mt_tls13_keys_suite(const mt_tls13_keys *k)
{
    return k ? k->suite->id : 0;
}

void mt_tls13_keys_free(mt_tls13_keys *k)
{
    if (k == NULL) return;
    mt_rec_prot_free(&k->prot);
    mt_wipe(k, sizeof *k);
    free(k);
}

/* An mt_buf over the caller's out[0..cap): valid while every reserve stays within cap. */
static mt_buf borrowed(uint8_t *out, size_t cap)
{
    mt_buf b;
    b.data = out;
    b.len = 0;
    b.cap = cap;
    return b;
}

int mt_tls13_open_record(mt_tls13_keys *k, uint64_t seq, const uint8_t *record, size_t len,
                         uint8_t *out, size_t cap, size_t *outlen, uint8_t *inner_type,
                         size_t *padding)
{
    mt_record rec, opened;
    size_t consumed = 0;
    mt_buf plain;
    int rc;

    MT_ENSURE(k != NULL && outlen != NULL && inner_type != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(record != NULL || len == 0, MT_ERR_BAD_PARAM);
    *outlen = 0;
    *inner_type = 0;
    if (padding) *padding = 0;
    rc = mt_rec_deframe(mt_slice_of(record, len), mt_rec_max_wire_len(&k->prot), &rec, &consumed);
    /* Exactly one whole record: a short header or body, or bytes after it, is no record. */
    if (rc == MT_ERR_WANT_INPUT) return MT_ERR_DECODE;
    MT_TRY(rc);
    MT_ENSURE(consumed == len, MT_ERR_DECODE);
    /* mt_rec_open decrypts the fragment (tag included) into the output in one piece. */
    MT_ENSURE(cap >= rec.payload.len && (out != NULL || cap == 0), MT_ERR_LIMIT);
    plain = borrowed(out, cap);
    mt_rec_prot_set_seq(&k->prot, seq);
    MT_TRY(mt_rec_open(&k->prot, &rec, &plain, &opened));
    /* opened.payload is the front of plain, that is of out. */
    *outlen = opened.payload.len;
    *inner_type = opened.type;
    if (padding) *padding = opened.padding;
    return 0;
}

int mt_tls13_seal_record(mt_tls13_keys *k, uint64_t seq, uint8_t inner_type, const uint8_t *content,
                         size_t len, size_t padding, uint8_t *out, size_t cap, size_t *outlen)
{
    mt_record rec;
    mt_buf wire;

    MT_ENSURE(k != NULL && outlen != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(content != NULL || len == 0, MT_ERR_BAD_PARAM);
    *outlen = 0;
    /* header, content, inner type, padding, tag: bounded before adding so the sum cannot
     * overflow (mt_rec_seal refuses anything past the 16-bit length field anyway). */
    MT_ENSURE(len <= 0xFFFF && padding <= 0xFFFF, MT_ERR_LIMIT);
    MT_ENSURE(out != NULL && cap >= MT_REC_HEADER_LEN + len + 1 + padding + MT_AEAD_TAG_LEN,
              MT_ERR_LIMIT);
    wire = borrowed(out, cap);
    mt_rec_prot_set_seq(&k->prot, seq);
    /* RFC 8446 5.2: outer type application_data, legacy_record_version 0x0303. */
    mt_rec_prepare(&k->prot, inner_type, mt_slice_of(content, len), &rec);
    rec.padding = padding;
    MT_TRY(mt_rec_seal(&k->prot, &rec, &wire));
    *outlen = wire.len;
    return 0;
}
