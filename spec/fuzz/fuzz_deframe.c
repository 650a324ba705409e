/*
 * fuzz_deframe - libFuzzer target: a byte stream through deframe + open with fixed keys.
 *
 * Input: byte 0 picks the read protection (null, TLS 1.3 AES-128-GCM / ChaCha20, TLS 1.2
 * AES-128-GCM / ChaCha20, TLS 1.2 CBC-SHA256, TLS 1.0 CBC-SHA1 with EtM); the rest is the
 * wire stream. Every record deframe accepts is opened; every record that opens is
 * checked against the contract (limits, inner type range) and, where sealing is
 * deterministic, sealed again by a twin writer and compared byte for byte with the
 * input record: open and seal must be inverse.
 *
 * Seeds: build with -DMT_FUZZ_MAKE_SEEDS (no -fsanitize=fuzzer) and run with the corpus
 * directory as argument; it writes valid records for each mode:
 *   cc -std=c11 -D_DEFAULT_SOURCE -DLTM_DESC -DMT_FUZZ_MAKE_SEEDS -Ilib \
 *      spec/fuzz/fuzz_deframe.c $(find lib -name '*.c') -ltomcrypt -ltommath -o /tmp/seeds
 *   /tmp/seeds spec/fuzz/corpus/fuzz_deframe
 */
#include "record/record.h"
#include "moontls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODES 7

static const struct {
    mt_rec_kind kind;
    uint16_t version;
    mt_aead_id aead;
    mt_hash_id mac;
    int etm;
    size_t iv_len;
} modes[MODES] = {
    {MT_REC_NULL, 0, 0, 0, 0, 0},
    {MT_REC_AEAD13, MT_TLS13, MT_AEAD_AES128_GCM, 0, 0, 12},
    {MT_REC_AEAD13, MT_TLS13, MT_AEAD_CHACHA20_POLY1305, 0, 0, 12},
    {MT_REC_AEAD12, MT_TLS12, MT_AEAD_AES128_GCM, 0, 0, 4},
    {MT_REC_AEAD12, MT_TLS12, MT_AEAD_CHACHA20_POLY1305, 0, 0, 12},
    {MT_REC_CBC, MT_TLS12, 0, MT_HASH_SHA256, 0, 0},
    {MT_REC_CBC, MT_TLS10, 0, MT_HASH_SHA1, 1, 16},
};

static int install(mt_rec_prot *p, int mode)
{
    uint8_t key[32], iv[16], mac_key[32];
    mt_rec_keys k;
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)(0x40 + i);
        mac_key[i] = (uint8_t)(0x80 + i);
    }
    for (int i = 0; i < 16; i++)
        iv[i] = (uint8_t)(0xc0 + i);
    memset(&k, 0, sizeof k);
    k.kind = modes[mode].kind;
    k.version = modes[mode].version;
    k.aead = modes[mode].aead;
    k.key = mt_slice_of(
        key, k.kind == MT_REC_AEAD13 || k.kind == MT_REC_AEAD12 ? mt_aead_key_len(k.aead) : 16);
    k.iv = mt_slice_of(iv, modes[mode].iv_len);
    k.mac = modes[mode].mac;
    k.mac_key = mt_slice_of(mac_key, mt_hash_len(k.mac));
    k.etm = modes[mode].etm;
    mt_rec_prot_init(p);
    return mt_rec_prot_install(p, &k);
}

/* Sealing is deterministic for the AEADs (1.2 GCM only when the explicit nonce is the
 * sequence number, which is what we send). */
static int deterministic(int mode, const mt_record *wire, uint64_t seq)
{
    if (modes[mode].kind == MT_REC_AEAD13) return 1;
    if (modes[mode].kind != MT_REC_AEAD12) return 0;
    if (modes[mode].aead == MT_AEAD_CHACHA20_POLY1305) return 1;
    uint64_t explicit = 0;
    if (wire->payload.len < 8) return 0;
    for (int i = 0; i < 8; i++)
        explicit = explicit << 8 | wire->payload.p[i];
    return explicit == seq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mt_rec_prot rd, wr;
    mt_buf plain = {0}, out = {0};
    int mode;
    if (size < 1) return 0;
    mode = data[0] % MODES;
    if (install(&rd, mode) != 0 || install(&wr, mode) != 0) abort();
    mt_slice in = mt_slice_of(data + 1, size - 1);
    for (;;) {
        mt_record rec, opened;
        size_t used = 0;
        int rc = mt_rec_deframe(in, mt_rec_max_wire_len(&rd), &rec, &used);
        if (rc != 0) {
            if (used != 0) abort();
            break;
        }
        if (used != 5 + (size_t)rec.length || rec.payload.len != rec.length) abort();
        uint64_t seq = rd.seq;
        mt_buf_reset(&plain);
        rc = mt_rec_open(&rd, &rec, &plain, &opened);
        if (rc != 0) {
            if (rd.seq != seq || plain.len != 0) abort();
        } else {
            if (rd.seq != seq + (rd.kind != MT_REC_NULL) || opened.seq != seq) abort();
            if (opened.payload.len > MT_REC_MAX_PLAINTEXT) abort();
            if (rd.kind == MT_REC_AEAD13 &&
                (opened.type < MT_CT_ALERT || opened.type > MT_CT_HEARTBEAT))
                abort();
            if (rd.kind == MT_REC_NULL || deterministic(mode, &rec, seq)) {
                mt_record again = opened;
                mt_rec_prot_set_seq(&wr, seq);
                mt_buf_reset(&out);
                if (mt_rec_seal(&wr, &again, &out) != 0) abort();
                if (out.len != used || memcmp(out.data, in.p, used) != 0) abort();
            }
        }
        in = mt_slice_of(in.p + used, in.len - used);
    }
    mt_buf_free(&plain);
    mt_buf_free(&out);
    mt_rec_prot_free(&rd);
    mt_rec_prot_free(&wr);
    return 0;
}

#ifdef MT_FUZZ_MAKE_SEEDS
static void write_seed(const char *dir, int mode, int n, const mt_buf *b)
{
    char path[512];
    snprintf(path, sizeof path, "%s/seed-mode%d-%d", dir, mode, n);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    uint8_t m = (uint8_t)mode;
    fwrite(&m, 1, 1, f);
    fwrite(b->data, 1, b->len, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    static const char *texts[] = {"", "A", "hello, record layer", "\x01\x00"};
    if (argc < 2) return 2;
    for (int mode = 0; mode < MODES; mode++) {
        mt_rec_prot wr;
        mt_rng_seeded s;
        mt_rng rng = mt_rng_seeded_init(&s, (const uint8_t *)"seed", 4);
        mt_buf b = {0};
        if (install(&wr, mode) != 0) return 1;
        wr.rng = &rng;
        /* One seed per record shape, then one stream with several records. */
        for (int i = 0; i < 4; i++) {
            mt_record rec;
            mt_buf one = {0};
            mt_rec_prepare(&wr, (uint8_t)(i == 3 ? MT_CT_ALERT : MT_CT_APPLICATION_DATA + (i & 1)),
                           mt_slice_of(texts[i], strlen(texts[i]) + (i == 3 ? 2 : 0)), &rec);
            if (wr.kind == MT_REC_AEAD13) rec.padding = (size_t)i * 3;
            mt_rec_prot_set_seq(&wr, 0);
            if (mt_rec_seal(&wr, &rec, &one) != 0) return 1;
            write_seed(argv[1], mode, i, &one);
            mt_rec_prot_set_seq(&wr, (uint64_t)i);
            if (mt_rec_seal(&wr, &rec, &b) != 0) return 1;
            mt_buf_free(&one);
        }
        write_seed(argv[1], mode, 9, &b);
        mt_buf_free(&b);
        mt_rec_prot_free(&wr);
        mt_rng_seeded_wipe(&s);
    }
    return 0;
}
#endif
