/*
 * protect.c - record protection for one direction: null, AES-CBC + HMAC, TLS 1.2 AEAD,
 * TLS 1.3 AEAD. The ciphers themselves are lib/crypto's; this file builds what TLS puts
 * around them (nonces, additional data, MAC headers, the TLS 1.3 inner plaintext) and
 * keeps the sequence number.
 *
 * Notes:
 * - Nonces (12 bytes):
 *     TLS 1.3 (RFC 8446 5.3) and ChaCha20-Poly1305 in 1.2 (RFC 7905 2):
 *       iv XOR (0^32 || seq_num as 64-bit big-endian); nothing explicit in the record.
 *     AES-GCM in 1.2 (RFC 5288 3): salt(4) || nonce_explicit(8), the explicit part sent
 *       in front of the ciphertext. We use the sequence number as the explicit part
 *       (RFC 5288 3 allows any unique value; RFC 9325 recommends exactly this), so
 *       sealing stays deterministic and needs no RNG.
 * - Additional data / MAC header:
 *     TLS 1.3 (RFC 8446 5.2): the 5-byte record header as sent.
 *     TLS 1.2 AEAD (RFC 5246 6.2.3.3) and CBC (6.2.3.1):
 *       seq_num(8) || type(1) || version(2) || plaintext length(2).
 * - Sealing writes the header, then the plaintext into `out`, then encrypts that region
 *   in place and appends the tag, so a record costs no buffer besides the caller's
 *   output. Opening decrypts into the caller's `plain` buffer. Every failure rolls the
 *   destination buffer back to its old length and wipes what was written.
 * - Sequence numbers are 64 bits per direction and never wrap: the last value,
 *   2^64-1, is refused with MT_ERR_LIMIT (RFC 8446 5.3: "If a TLS implementation would
 *   need to wrap a sequence number, it MUST either rekey or terminate the connection";
 *   the engine chooses). There is no alert the RFC names for it, hence a limit code.
 * - Raw pointers into buffers appear only where a crypto primitive needs one; the
 *   protocol structure itself is written with the buf writers and read with readers.
 */
#include "record.h"
#include "../internal.h"

#include <stdlib.h>

#define TAG_LEN MT_AEAD_TAG_LEN
#define GCM12_SALT_LEN 4
#define GCM12_EXPLICIT_LEN 8
#define CBC_IV_LEN 16
#define MAC_HDR_LEN 13

/* ---- small helpers ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* iv XOR (0^32 || seq) - RFC 8446 5.3 and RFC 7905 2. */
static void xor_nonce(const uint8_t *iv, uint64_t seq, uint8_t nonce[MT_AEAD_NONCE_LEN])
{
    uint8_t s[8];
    put_u64(s, seq);
    memcpy(nonce, iv, MT_AEAD_NONCE_LEN);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= s[i];
}

/* seq_num || type || version || length: the TLS 1.0-1.2 MAC header / AEAD AAD. */
static void mac_header(uint8_t h[MAC_HDR_LEN], uint64_t seq, uint8_t type, uint16_t version,
                       size_t len)
{
    put_u64(h, seq);
    h[8] = type;
    put_u16(&h[9], version);
    put_u16(&h[11], (uint16_t)len);
}

/* Undo a partial write: wipe everything past `start` and restore the length. */
static void roll_back(mt_buf *b, size_t start)
{
    if (b->len > start) mt_wipe(&b->data[start], b->len - start);
    b->len = start;
}

/* Append n zero bytes (TLS 1.3 padding). */
static int append_zeros(mt_buf *b, size_t n)
{
    if (n == 0) return 0;
    MT_TRY(mt_buf_reserve(b, n));
    memset(&b->data[b->len], 0, n);
    b->len += n;
    return 0;
}

/* ---- state ---- */

void mt_rec_prot_init(mt_rec_prot *p)
{
    memset(p, 0, sizeof *p);
    p->kind = MT_REC_NULL;
    p->record_version = MT_TLS12;
    p->max_plaintext = MT_REC_MAX_PLAINTEXT;
}

static void release_keys(mt_rec_prot *p)
{
    mt_aead_free(p->aead);
    mt_cbc_free(p->cbc);
    p->aead = NULL;
    p->cbc = NULL;
    mt_wipe(p->iv, sizeof p->iv);
}

void mt_rec_prot_free(mt_rec_prot *p)
{
    if (p == NULL) return;
    release_keys(p);
    mt_rec_prot_init(p);
}

void mt_rec_prot_set_seq(mt_rec_prot *p, uint64_t seq)
{
    p->seq = seq;
}

/* Check lengths and build the new cipher objects; nothing in p changes here. */
static int prepare_keys(const mt_rec_keys *k, mt_aead **aead, mt_cbc **cbc)
{
    int chacha = k->aead == MT_AEAD_CHACHA20_POLY1305;

    switch (k->kind) {
    case MT_REC_NULL:
        return 0;
    case MT_REC_AEAD13:
        MT_ENSURE(k->version == MT_TLS13, MT_ERR_BAD_PARAM);
        MT_ENSURE(k->iv.len == MT_AEAD_NONCE_LEN, MT_ERR_BAD_PARAM);
        MT_ENSURE(k->key.len == mt_aead_key_len(k->aead), MT_ERR_BAD_PARAM);
        return mt_aead_new(aead, k->aead, k->key.p);
    case MT_REC_AEAD12:
        MT_ENSURE(k->version == MT_TLS12, MT_ERR_BAD_PARAM);
        MT_ENSURE(k->iv.len == (chacha ? MT_AEAD_NONCE_LEN : GCM12_SALT_LEN), MT_ERR_BAD_PARAM);
        MT_ENSURE(k->key.len == mt_aead_key_len(k->aead), MT_ERR_BAD_PARAM);
        return mt_aead_new(aead, k->aead, k->key.p);
    case MT_REC_CBC:
        MT_ENSURE(k->version >= MT_TLS10 && k->version <= MT_TLS12, MT_ERR_BAD_PARAM);
        /* TLS 1.0 chains the IV from the key block; 1.1+ sends one per record
         * (RFC 4346 6.2.3.2). */
        MT_ENSURE(k->iv.len == (k->version == MT_TLS10 ? CBC_IV_LEN : 0), MT_ERR_BAD_PARAM);
        MT_ENSURE(k->mac_key.len == mt_hash_len(k->mac) && k->mac_key.len != 0, MT_ERR_BAD_PARAM);
        return mt_cbc_new(cbc, k->key.p, k->key.len, k->mac, k->mac_key.p, k->version != MT_TLS10,
                          k->version == MT_TLS10 ? k->iv.p : NULL, k->etm);
    default:
        return MT_ERR_BAD_PARAM;
    }
}

int mt_rec_prot_install(mt_rec_prot *p, const mt_rec_keys *k)
{
    mt_aead *aead = NULL;
    mt_cbc *cbc = NULL;

    MT_ENSURE(p->epoch != UINT32_MAX, MT_ERR_LIMIT);
    MT_TRY(prepare_keys(k, &aead, &cbc));
    /* The new keys exist: only now drop the old ones, so a failure leaves p usable. */
    release_keys(p);
    p->kind = k->kind;
    p->aead = aead;
    p->cbc = cbc;
    p->aead_id = k->aead;
    p->rng = k->rng;
    if (k->kind == MT_REC_AEAD13 || k->kind == MT_REC_AEAD12) memcpy(p->iv, k->iv.p, k->iv.len);
    if (k->version != 0) {
        p->version = k->version;
        /* RFC 8446 5.1: legacy_record_version is 0x0303 for every TLS 1.3 record but the
         * first ClientHello. */
        p->record_version = k->version == MT_TLS13 ? MT_TLS12 : k->version;
    }
    p->epoch++;
    p->seq = 0;
    return 0;
}

size_t mt_rec_max_wire_len(const mt_rec_prot *p)
{
    switch (p->kind) {
    case MT_REC_AEAD13:
        return MT_REC_MAX_CIPHERTEXT13;
    case MT_REC_AEAD12:
    case MT_REC_CBC:
        return MT_REC_MAX_CIPHERTEXT12;
    case MT_REC_NULL:
    default:
        return MT_REC_MAX_PLAINTEXT;
    }
}

size_t mt_rec_max_fragment(const mt_rec_prot *p)
{
    return p->max_plaintext;
}

void mt_rec_prepare(const mt_rec_prot *p, uint8_t type, mt_slice payload, mt_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->type = type;
    /* RFC 8446 5.2: opaque_type is always application_data (23) on protected records. */
    rec->outer_type = p->kind == MT_REC_AEAD13 ? MT_CT_APPLICATION_DATA : type;
    rec->version = p->record_version;
    rec->payload = payload;
    rec->length = (uint16_t)(payload.len <= 0xFFFF ? payload.len : 0xFFFF);
    rec->epoch = p->epoch;
    rec->seq = p->seq;
}

/* ---- seal ---- */

static int seal_null(const mt_record *rec, mt_buf *out)
{
    mt_record r = *rec;
    r.outer_type = rec->type;
    return mt_rec_write_raw(&r, out);
}

static int seal_aead13(mt_rec_prot *p, const mt_record *rec, mt_buf *out)
{
    size_t start = out->len, body_at, inner_len, ct_len;
    uint8_t nonce[MT_AEAD_NONCE_LEN], hdr[MT_REC_HEADER_LEN];
    uint16_t length;
    int rc = 0;

    /* Bound each term before adding, so the sum cannot overflow. */
    MT_ENSURE(rec->payload.len <= 0xFFFF && rec->padding <= 0xFFFF, MT_ERR_LIMIT);
    /* RFC 8446 5.2/5.4: TLSInnerPlaintext = content || type || zeros[padding]. */
    inner_len = rec->payload.len + 1 + rec->padding;
    ct_len = inner_len + TAG_LEN;
    MT_ENSURE(ct_len <= 0xFFFF, MT_ERR_LIMIT);
    length = (rec->flags & MT_REC_RAW_LENGTH) ? rec->length : (uint16_t)ct_len;

    MT_TRY(mt_buf_reserve(out, MT_REC_HEADER_LEN + ct_len));
    MT_TRY_GOTO(mt_wr_u8(out, rec->outer_type));
    MT_TRY_GOTO(mt_wr_u16(out, rec->version));
    MT_TRY_GOTO(mt_wr_u16(out, length));
    /* RFC 8446 5.2: additional_data = the record header as sent. */
    memcpy(hdr, &out->data[start], MT_REC_HEADER_LEN);
    body_at = out->len;
    xor_nonce(p->iv, p->seq, nonce);
    if (rec->padding <= 255) {
        /* The content is sealed from where it is (no copy of a 16 KiB payload per
         * record); only the inner type and padding come from a small local tail. */
        uint8_t tail[256];
        tail[0] = rec->type;
        memset(tail + 1, 0, rec->padding);
        MT_TRY_GOTO(mt_aead_seal2(p->aead, nonce, hdr, sizeof hdr, rec->payload.p, rec->payload.len,
                                  tail, 1 + rec->padding, &out->data[body_at]));
    } else {
        MT_TRY_GOTO(mt_wr_bytes(out, rec->payload.p, rec->payload.len));
        MT_TRY_GOTO(mt_wr_u8(out, rec->type));
        MT_TRY_GOTO(append_zeros(out, rec->padding));
        out->len = body_at;
        /* Room for the tag was reserved above; encrypt the inner plaintext in place. */
        MT_TRY_GOTO(mt_aead_seal(p->aead, nonce, hdr, sizeof hdr, &out->data[body_at], inner_len,
                                 &out->data[body_at]));
    }
    out->len = body_at + ct_len;
out:
    if (rc != 0) roll_back(out, start);
    return rc;
}

static int seal_aead12(mt_rec_prot *p, const mt_record *rec, mt_buf *out)
{
    int gcm = p->aead_id != MT_AEAD_CHACHA20_POLY1305;
    size_t start = out->len, body_at, frag_len;
    uint8_t nonce[MT_AEAD_NONCE_LEN], aad[MAC_HDR_LEN];
    uint16_t length;
    int rc = 0;

    MT_ENSURE(rec->padding == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(rec->payload.len <= 0xFFFF, MT_ERR_LIMIT);
    /* RFC 5288 3 / RFC 7905 2: the fragment is [nonce_explicit] || ciphertext || tag. */
    frag_len = (gcm ? GCM12_EXPLICIT_LEN : 0) + rec->payload.len + TAG_LEN;
    MT_ENSURE(frag_len <= 0xFFFF, MT_ERR_LIMIT);
    length = (rec->flags & MT_REC_RAW_LENGTH) ? rec->length : (uint16_t)frag_len;
    mac_header(aad, p->seq, rec->type, rec->version, rec->payload.len);
    if (gcm) {
        memcpy(nonce, p->iv, GCM12_SALT_LEN);
        put_u64(&nonce[GCM12_SALT_LEN], p->seq);
    } else {
        xor_nonce(p->iv, p->seq, nonce);
    }

    MT_TRY(mt_buf_reserve(out, MT_REC_HEADER_LEN + frag_len));
    MT_TRY_GOTO(mt_wr_u8(out, rec->type));
    MT_TRY_GOTO(mt_wr_u16(out, rec->version));
    MT_TRY_GOTO(mt_wr_u16(out, length));
    if (gcm) MT_TRY_GOTO(mt_wr_u64(out, p->seq));
    body_at = out->len;
    MT_TRY_GOTO(mt_wr_bytes(out, rec->payload.p, rec->payload.len));
    MT_TRY_GOTO(mt_aead_seal(p->aead, nonce, aad, sizeof aad, &out->data[body_at], rec->payload.len,
                             &out->data[body_at]));
    out->len = body_at + rec->payload.len + TAG_LEN;
out:
    if (rc != 0) roll_back(out, start);
    return rc;
}

static int seal_cbc(mt_rec_prot *p, const mt_record *rec, mt_buf *out)
{
    size_t start = out->len, frag_len = 0, room;
    uint8_t hdr[MAC_HDR_LEN], iv[CBC_IV_LEN];
    const uint8_t *explicit_iv = NULL;
    mt_wr_mark m;
    int rc = 0;

    MT_ENSURE(rec->padding == 0, MT_ERR_BAD_PARAM);
    MT_ENSURE(rec->payload.len <= 0xFFFF, MT_ERR_LIMIT);
    room = rec->payload.len + mt_cbc_max_overhead(p->cbc);
    /* RFC 5246 6.2.3.2: the MAC covers seq_num || type || version || length || content. */
    mac_header(hdr, p->seq, rec->type, rec->version, rec->payload.len);
    if (p->version != MT_TLS10) {
        explicit_iv = rec->cbc_iv;
        if (explicit_iv == NULL) {
            MT_TRY(mt_rng_bytes(p->rng, "cbc_iv", iv, sizeof iv));
            explicit_iv = iv;
        }
    }

    MT_TRY(mt_buf_reserve(out, MT_REC_HEADER_LEN + room));
    MT_TRY_GOTO(mt_wr_u8(out, rec->type));
    MT_TRY_GOTO(mt_wr_u16(out, rec->version));
    MT_TRY_GOTO(mt_wr_open(out, 2, &m));
    MT_TRY_GOTO(mt_cbc_seal(p->cbc, hdr, rec->payload.p, rec->payload.len, explicit_iv,
                            rec->cbc_pad_extra, &out->data[out->len], &frag_len));
    MT_ENSURE_GOTO(frag_len <= room, MT_ERR_CRYPTO);
    out->len += frag_len;
    if (rec->flags & MT_REC_RAW_LENGTH)
        MT_TRY_GOTO(mt_wr_close_as(out, &m, rec->length));
    else
        MT_TRY_GOTO(mt_wr_close(out, &m));
out:
    mt_wipe(iv, sizeof iv);
    if (rc != 0) roll_back(out, start);
    return rc;
}

int mt_rec_seal(mt_rec_prot *p, const mt_record *rec, mt_buf *out)
{
    if (p->kind == MT_REC_NULL) {
        MT_ENSURE(rec->padding == 0, MT_ERR_BAD_PARAM);
        return seal_null(rec, out);
    }
    /* RFC 8446 5.3: never wrap; the last value is kept unused as the stop sign. */
    MT_ENSURE(p->seq != UINT64_MAX, MT_ERR_LIMIT);
    switch (p->kind) {
    case MT_REC_AEAD13:
        MT_TRY(seal_aead13(p, rec, out));
        break;
    case MT_REC_AEAD12:
        MT_TRY(seal_aead12(p, rec, out));
        break;
    case MT_REC_CBC:
        MT_TRY(seal_cbc(p, rec, out));
        break;
    default:
        return MT_ERR_BAD_STATE;
    }
    p->seq++;
    return 0;
}

/* ---- open ---- */

/* Copy the header facts of `in` to a fresh record (in and out may alias). */
static mt_record opened_header(const mt_rec_prot *p, const mt_record *in)
{
    mt_record r;
    memset(&r, 0, sizeof r);
    r.type = in->outer_type;
    r.outer_type = in->outer_type;
    r.version = in->version;
    r.length = in->length;
    r.payload = in->payload;
    r.epoch = p->epoch;
    r.seq = p->seq;
    return r;
}

static int open_null(const mt_rec_prot *p, const mt_record *in, mt_record *out)
{
    mt_record r = opened_header(p, in);
    /* RFC 8446 5.1, RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14. */
    MT_ENSURE(in->payload.len <= MT_REC_MAX_PLAINTEXT, MT_ERR_OVERFLOW);
    *out = r;
    return 0;
}

static int open_aead13(mt_rec_prot *p, const mt_record *in, mt_buf *plain, mt_record *out)
{
    mt_record r = opened_header(p, in);
    mt_slice frag = in->payload;
    size_t start = plain->len, inner_len, i;
    uint8_t nonce[MT_AEAD_NONCE_LEN], hdr[MT_REC_HEADER_LEN];
    int rc = 0;

    /* RFC 8446 5.2: protected records carry opaque_type application_data; an engine
     * that tolerates a plaintext CCS or alert handles it before calling open. */
    MT_ENSURE(in->outer_type == MT_CT_APPLICATION_DATA, MT_ERR_UNEXPECTED);
    /* RFC 8446 5.2: "If the decryption fails, the receiver MUST terminate the connection
     * with a bad_record_mac alert." Too short for a tag cannot decrypt. */
    MT_ENSURE(frag.len >= TAG_LEN && frag.len <= 0xFFFF, MT_ERR_BAD_MAC);
    hdr[0] = in->outer_type;
    put_u16(&hdr[1], in->version);
    put_u16(&hdr[3], (uint16_t)frag.len);
    xor_nonce(p->iv, p->seq, nonce);
    inner_len = frag.len - TAG_LEN;

    MT_TRY(mt_buf_reserve(plain, frag.len));
    MT_TRY_GOTO(
        mt_aead_open(p->aead, nonce, hdr, sizeof hdr, frag.p, frag.len, &plain->data[start]));
    plain->len = start + inner_len;
    /* RFC 8446 5.4: the full TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets (or the
     * record_size_limit, RFC 8449 4); the receiver answers record_overflow. */
    MT_ENSURE_GOTO(inner_len <= p->max_plaintext + 1, MT_ERR_OVERFLOW);
    /* RFC 8446 5.4: strip the zero padding scanning from the end; "If a receiving
     * implementation does not find a non-zero octet in the cleartext, it MUST terminate
     * the connection with an unexpected_message alert." */
    for (i = inner_len; i > 0 && plain->data[start + i - 1] == 0; i--) {
    }
    MT_ENSURE_GOTO(i > 0, MT_ERR_UNEXPECTED);
    r.type = plain->data[start + i - 1];
    /* RFC 8446 5: a protected change_cipher_spec record MUST be answered with
     * unexpected_message, as must any unknown inner type. */
    MT_ENSURE_GOTO(r.type >= MT_CT_ALERT && r.type <= MT_CT_HEARTBEAT, MT_ERR_UNEXPECTED);
    r.padding = inner_len - i;
    roll_back(plain, start + i - 1);
    r.payload = mt_slice_of(&plain->data[start], i - 1);
    *out = r;
out:
    if (rc != 0) roll_back(plain, start);
    return rc;
}

static int open_aead12(mt_rec_prot *p, const mt_record *in, mt_buf *plain, mt_record *out)
{
    int gcm = p->aead_id != MT_AEAD_CHACHA20_POLY1305;
    mt_record r = opened_header(p, in);
    mt_reader rd;
    mt_slice explicit_nonce, ct;
    size_t start = plain->len, plain_len;
    uint8_t nonce[MT_AEAD_NONCE_LEN], aad[MAC_HDR_LEN];
    int rc = 0;

    mt_rd_init(&rd, in->payload.p, in->payload.len);
    if (gcm) {
        /* RFC 5288 3: nonce = salt || nonce_explicit, the latter read from the record. */
        MT_ENSURE(mt_rd_bytes(&rd, GCM12_EXPLICIT_LEN, &explicit_nonce) == 0, MT_ERR_BAD_MAC);
        memcpy(nonce, p->iv, GCM12_SALT_LEN);
        memcpy(&nonce[GCM12_SALT_LEN], explicit_nonce.p, GCM12_EXPLICIT_LEN);
    } else {
        xor_nonce(p->iv, p->seq, nonce);
    }
    ct = mt_rd_rest(&rd);
    /* A fragment too short for the tag cannot authenticate: bad_record_mac. */
    MT_ENSURE(ct.len >= TAG_LEN, MT_ERR_BAD_MAC);
    plain_len = ct.len - TAG_LEN;
    /* RFC 5246 6.2.3.3: additional_data = seq_num + type + version + length, where
     * length is that of the plaintext. */
    mac_header(aad, p->seq, in->outer_type, in->version, plain_len);

    MT_TRY(mt_buf_reserve(plain, ct.len));
    MT_TRY_GOTO(mt_aead_open(p->aead, nonce, aad, sizeof aad, ct.p, ct.len, &plain->data[start]));
    plain->len = start + plain_len;
    /* RFC 5246 6.2.1: TLSPlaintext.length MUST NOT exceed 2^14 (or the negotiated
     * fragment limit); record_overflow otherwise (RFC 5246 7.2.2). */
    MT_ENSURE_GOTO(plain_len <= p->max_plaintext, MT_ERR_OVERFLOW);
    r.payload = mt_slice_of(&plain->data[start], plain_len);
    *out = r;
out:
    if (rc != 0) roll_back(plain, start);
    return rc;
}

static int open_cbc(mt_rec_prot *p, const mt_record *in, mt_buf *plain, mt_record *out)
{
    mt_record r = opened_header(p, in);
    size_t start = plain->len, plain_len = 0;
    uint8_t hdr[MAC_HDR_LEN];
    int rc = 0;

    mac_header(hdr, p->seq, in->outer_type, in->version, 0);
    MT_TRY(mt_buf_reserve(plain, in->payload.len));
    /* An empty fragment reserves nothing: never index a NULL buffer (it is an invalid CBC
     * length and fails below). */
    uint8_t *dst = plain->data ? plain->data + start : NULL;
    rc = mt_cbc_open(p->cbc, hdr, in->payload.p, in->payload.len, dst, &plain_len);
    /* RFC 5246 7.2.2: bad_record_mac "MUST be returned if ... a TLSCiphertext decrypted in
     * an invalid way: either it wasn't an even multiple of the block length, or its
     * padding values, when checked, weren't correct." */
    if (rc == MT_ERR_DECODE) rc = MT_ERR_BAD_MAC;
    if (rc != 0) goto out;
    MT_ENSURE_GOTO(plain_len <= in->payload.len, MT_ERR_CRYPTO);
    plain->len = start + plain_len;
    /* RFC 5246 6.2.1 / 7.2.2: plaintext over 2^14 is a record_overflow. */
    MT_ENSURE_GOTO(plain_len <= p->max_plaintext, MT_ERR_OVERFLOW);
    r.payload = mt_slice_of(&plain->data[start], plain_len);
    *out = r;
out:
    if (rc != 0) roll_back(plain, start);
    return rc;
}

int mt_rec_open(mt_rec_prot *p, const mt_record *in, mt_buf *plain, mt_record *out)
{
    if (p->kind == MT_REC_NULL) return open_null(p, in, out);
    MT_ENSURE(p->seq != UINT64_MAX, MT_ERR_LIMIT);
    switch (p->kind) {
    case MT_REC_AEAD13:
        MT_TRY(open_aead13(p, in, plain, out));
        break;
    case MT_REC_AEAD12:
        MT_TRY(open_aead12(p, in, plain, out));
        break;
    case MT_REC_CBC:
        MT_TRY(open_cbc(p, in, plain, out));
        break;
    default:
        return MT_ERR_BAD_STATE;
    }
    p->seq++;
    return 0;
}
