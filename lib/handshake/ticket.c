/*
 * ticket.c - client sessions as bytes and server tickets as sealed session state; see
 * ticket.h for the formats.
 */
#include "handshake/ticket.h"
#include "handshake/tls13.h"
#include "crypto/cipher.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

static const uint8_t session_magic[4] = {'M', 'T', 'S', '1'};
static const char ticket_aad[] = "moontls ticket v1";
#define TICKET_FORMAT 1

void mt_session_free(mt_session *s)
{
    mt_buf_free(&s->ticket);
    mt_wipe(s, sizeof *s);
}

/* The fields both formats share. */
static int write_state(const mt_session *s, mt_buf *out)
{
    MT_TRY(mt_wr_u16(out, s->suite));
    MT_TRY(mt_wr_u64(out, (uint64_t)s->time));
    MT_TRY(mt_wr_u32(out, s->lifetime));
    MT_TRY(mt_wr_u32(out, s->age_add));
    MT_TRY(mt_wr_u32(out, s->max_early_data));
    MT_TRY(mt_wr_vec8(out, s->psk, s->psk_len));
    MT_TRY(mt_wr_vec8(out, s->alpn, strlen(s->alpn)));
    return mt_wr_vec8(out, s->sni, strlen(s->sni));
}

static int read_str(mt_reader *r, char *dst)
{
    mt_slice v;
    MT_TRY(mt_rd_vec8_slice(r, &v));
    /* 255 bytes at most fit dst[256]; a NUL inside would cut the name: refuse it. */
    for (size_t i = 0; i < v.len; i++)
        MT_ENSURE(v.p[i] != 0, MT_ERR_DECODE);
    snprintf(dst, 256, "%.*s", (int)v.len, (const char *)v.p);
    return 0;
}

static int read_state(mt_reader *r, mt_session *s)
{
    uint64_t t;
    mt_slice psk;
    MT_TRY(mt_rd_u16(r, &s->suite));
    MT_TRY(mt_rd_u64(r, &t));
    s->time = (int64_t)t;
    MT_TRY(mt_rd_u32(r, &s->lifetime));
    MT_TRY(mt_rd_u32(r, &s->age_add));
    MT_TRY(mt_rd_u32(r, &s->max_early_data));
    MT_TRY(mt_rd_vec8_slice(r, &psk));
    /* Only what a NewSessionTicket can leave behind: a TLS 1.3 suite whose hash is the
     * PSK's length, and a lifetime RFC 8446 4.6.1 allows (1 s to 7 days; 0 means "discard"). */
    const mt_suite13 *st = mt_tls13_suite(s->suite);
    MT_ENSURE(st != NULL && psk.len == mt_hash_len(st->hash), MT_ERR_DECODE);
    MT_ENSURE(s->lifetime >= 1 && s->lifetime <= MT_TICKET_MAX_LIFETIME, MT_ERR_DECODE);
    memcpy(s->psk, psk.p, psk.len);
    s->psk_len = psk.len;
    MT_TRY(read_str(r, s->alpn));
    return read_str(r, s->sni);
}

int mt_session_encode(const mt_session *s, mt_buf *out)
{
    MT_TRY(mt_wr_bytes(out, session_magic, sizeof session_magic));
    MT_TRY(write_state(s, out));
    return mt_wr_vec16(out, s->ticket.data, s->ticket.len);
}

int mt_session_decode(mt_session *s, const uint8_t *p, size_t n)
{
    mt_reader r;
    mt_slice magic, ticket;
    int rc = 0;
    memset(s, 0, sizeof *s);
    mt_rd_init(&r, p, n);
    MT_TRY_GOTO(mt_rd_bytes(&r, sizeof session_magic, &magic));
    MT_ENSURE_GOTO(memcmp(magic.p, session_magic, sizeof session_magic) == 0,
                   MT_ERR_UNSUPPORTED);
    MT_TRY_GOTO(read_state(&r, s));
    MT_TRY_GOTO(mt_rd_vec16_slice(&r, &ticket));
    MT_ENSURE_GOTO(ticket.len > 0, MT_ERR_DECODE);
    MT_TRY_GOTO(mt_buf_set(&s->ticket, ticket.p, ticket.len));
    MT_TRY_GOTO(mt_rd_done(&r));
out:
    if (rc == MT_ERR_WANT_INPUT || (rc && rc != MT_ERR_UNSUPPORTED && rc != MT_ERR_NO_MEMORY))
        rc = MT_ERR_DECODE;
    if (rc) mt_session_free(s);
    return rc;
}

/* The GCM IV: HMAC-SHA256 under a key of its own (from the ticket key) over the drawn
 * nonce and the plaintext, cut to 12 bytes. A seeded rng draws the same nonce on every
 * connection of a configuration; bound to the plaintext (which holds the ticket's own
 * PSK), the IV still differs whenever what it seals differs (SIV's idea), and one key
 * never sees one IV with two plaintexts. */
static int ticket_iv(const uint8_t key[MT_TICKET_KEY_LEN], const uint8_t nonce[12],
                     const mt_buf *plain, uint8_t iv[12])
{
    static const char label[] = "moontls ticket iv key";
    uint8_t ivkey[32], mac[32];
    mt_hmac_ctx h;
    memset(&h, 0, sizeof h);
    int rc = mt_hmac(MT_HASH_SHA256, key, MT_TICKET_KEY_LEN, label, sizeof label - 1, ivkey);
    if (rc == 0) rc = mt_hmac_init(&h, MT_HASH_SHA256, ivkey, sizeof ivkey);
    if (rc == 0) rc = mt_hmac_update(&h, nonce, 12);
    if (rc == 0) rc = mt_hmac_update(&h, plain->data, plain->len);
    if (rc == 0) rc = mt_hmac_final(&h, mac);
    if (rc == 0) memcpy(iv, mac, 12);
    mt_hmac_wipe(&h);
    mt_wipe(ivkey, sizeof ivkey);
    mt_wipe(mac, sizeof mac);
    return rc;
}

int mt_ticket_seal(const uint8_t key[MT_TICKET_KEY_LEN], const uint8_t nonce[12],
                   const mt_session *s, mt_buf *out)
{
    mt_buf plain = {0};
    mt_aead *a = NULL;
    uint8_t *sealed = NULL;
    uint8_t iv[12];
    int rc = 0;
    MT_TRY_GOTO(mt_wr_u8(&plain, TICKET_FORMAT));
    MT_TRY_GOTO(write_state(s, &plain));
    MT_TRY_GOTO(ticket_iv(key, nonce, &plain, iv));
    MT_TRY_GOTO(mt_aead_new(&a, MT_AEAD_AES256_GCM, key));
    sealed = malloc(plain.len + MT_AEAD_TAG_LEN);
    MT_ENSURE_GOTO(sealed != NULL, MT_ERR_NO_MEMORY);
    MT_TRY_GOTO(mt_aead_seal(a, iv, (const uint8_t *)ticket_aad, sizeof ticket_aad - 1, plain.data,
                             plain.len, sealed));
    MT_TRY_GOTO(mt_wr_bytes(out, iv, 12));
    MT_TRY_GOTO(mt_wr_bytes(out, sealed, plain.len + MT_AEAD_TAG_LEN));
out:
    free(sealed); /* ciphertext: nothing secret */
    mt_aead_free(a);
    mt_buf_free(&plain);
    return rc;
}

int mt_ticket_open(const uint8_t key[MT_TICKET_KEY_LEN], const uint8_t *ticket, size_t n,
                   mt_session *s)
{
    mt_aead *a = NULL;
    uint8_t *plain = NULL;
    int rc = 0;
    memset(s, 0, sizeof *s);
    MT_ENSURE(n > 12 + MT_AEAD_TAG_LEN + 1, MT_ERR_NOT_FOUND);
    size_t len = n - 12 - MT_AEAD_TAG_LEN;
    plain = malloc(len);
    MT_ENSURE(plain != NULL, MT_ERR_NO_MEMORY);
    MT_TRY_GOTO(mt_aead_new(&a, MT_AEAD_AES256_GCM, key));
    rc = mt_aead_open(a, ticket, (const uint8_t *)ticket_aad, sizeof ticket_aad - 1, ticket + 12,
                      n - 12, plain);
    MT_ENSURE_GOTO(rc == 0, MT_ERR_NOT_FOUND);
    mt_reader r;
    uint8_t format;
    mt_rd_init(&r, plain, len);
    /* Authentic but unreadable (another format of ours): not usable either. */
    if (mt_rd_u8(&r, &format) || format != TICKET_FORMAT || read_state(&r, s) || mt_rd_done(&r))
        rc = MT_ERR_NOT_FOUND;
out:
    mt_aead_free(a);
    if (plain) {
        mt_wipe(plain, len);
        free(plain);
    }
    if (rc) mt_session_free(s);
    return rc;
}
