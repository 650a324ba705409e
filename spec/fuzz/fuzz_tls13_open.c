/*
 * fuzz_tls13_open - libFuzzer target: the public TLS 1.3 record keys (mt_tls13_keys_*),
 * the entry point tls.trace.decrypt feeds untrusted captures to.
 *
 * Input: byte 0 picks the suite (0x1301, 0x1302, 0x1303), byte 1 the KeyUpdate
 * generation (0..3), bytes 2-3 a padding length (0..1023), byte 4 an inner type; the rest
 * is one record. The record is opened at sequence number 7 under fixed keys: no crash, no
 * leak, nothing but a listed error; when it opens and carries version 0x0303, sealing the
 * content again must give the same bytes (open and seal are inverse). Then the same rest
 * is sealed as content with the chosen type and padding and opened back: it must open to
 * itself unless RFC 8446 5.4 refuses the inner plaintext.
 *
 * Seeds: build with -DMT_FUZZ_MAKE_SEEDS (no -fsanitize=fuzzer) and run with the corpus
 * directory as argument; it writes a valid record for each suite and generation:
 *   cc -std=c11 -D_DEFAULT_SOURCE -DLTM_DESC -DMT_FUZZ_MAKE_SEEDS -Ilib \
 *      spec/fuzz/fuzz_tls13_open.c $(find lib -name '*.c') -ltomcrypt -ltommath -o /tmp/seeds
 *   /tmp/seeds spec/fuzz/corpus/fuzz_tls13_open
 */
#include "moontls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ 7
static const uint16_t suites[3] = {0x1301, 0x1302, 0x1303};

static mt_tls13_keys *keys_for(unsigned which, unsigned generation)
{
    uint8_t secret[48];
    mt_tls13_keys *k = NULL;
    uint16_t suite = suites[which % 3];
    size_t n = mt_tls13_secret_len(suite);
    for (size_t i = 0; i < n; i++)
        secret[i] = (uint8_t)(suite + 13 * i);
    if (mt_tls13_keys_new(suite, secret, n, &k) != 0) abort();
    for (unsigned g = 0; g < generation % 4; g++)
        if (mt_tls13_keys_next(k) != 0) abort();
    return k;
}

static int listed(int rc)
{
    return rc == MT_ERR_DECODE || rc == MT_ERR_BAD_MAC || rc == MT_ERR_UNEXPECTED ||
           rc == MT_ERR_OVERFLOW || rc == MT_ERR_LIMIT;
}

#ifndef MT_FUZZ_MAKE_SEEDS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    mt_tls13_keys *k = keys_for(data[0], data[1]);
    size_t padding = ((size_t)data[2] << 8 | data[3]) % 1024;
    uint8_t type = data[4];
    const uint8_t *rec = data + 5;
    size_t len = size - 5, outlen = 0, pad = 0, n = 0;
    uint8_t itype = 0;
    uint8_t *out = malloc(len + 1), *again = malloc(len + 1);

    int rc = mt_tls13_open_record(k, SEQ, rec, len, out, len, &outlen, &itype, &pad);
    if (rc != 0 && !listed(rc)) abort();
    if (rc == 0) {
        if (itype < 21 || itype > 24 || outlen + 1 + pad + 16 + 5 != len) abort();
        if (rec[1] == 3 && rec[2] == 3) {
            if (mt_tls13_seal_record(k, SEQ, itype, out, outlen, pad, again, len, &n) != 0) abort();
            if (n != len || memcmp(again, rec, len) != 0) abort();
        }
    }
    free(out);
    free(again);

    /* The rest as content: seal, then open back. */
    if (len <= 16384) {
        size_t cap = 5 + len + 1 + padding + 16;
        uint8_t *wire = malloc(cap), *back = malloc(cap);
        if (mt_tls13_seal_record(k, SEQ + 1, type, rec, len, padding, wire, cap, &n) != 0) abort();
        rc = mt_tls13_open_record(k, SEQ + 1, wire, n, back, cap, &outlen, &itype, &pad);
        /* RFC 8446 5.4: the type is the last non-zero byte of content || type || zeros. */
        int refused = type == 0 || (type < 21 || type > 24) || len + 1 + padding > 16385;
        if (!refused) {
            if (rc != 0 || outlen != len || itype != type || pad != padding) abort();
            if (len && memcmp(back, rec, len) != 0) abort();
        } else if (rc == 0 && type != 0) {
            abort();
        } else if (rc != 0 && !listed(rc)) {
            abort();
        }
        free(wire);
        free(back);
    }
    mt_tls13_keys_free(k);
    return 0;
}
#else
int main(int argc, char **argv)
{
    static const char text[] = "moontls fuzz_tls13_open seed record";
    if (argc < 2) return 2;
    for (unsigned s = 0; s < 3; s++) {
        for (unsigned g = 0; g < 4; g++) {
            mt_tls13_keys *k = keys_for(s, g);
            uint8_t buf[5 + 256];
            size_t n = 0, pad = g * 5;
            buf[0] = (uint8_t)s;
            buf[1] = (uint8_t)g;
            buf[2] = 0;
            buf[3] = (uint8_t)pad;
            buf[4] = (uint8_t)(21 + g);
            if (mt_tls13_seal_record(k, SEQ, (uint8_t)(21 + (g + 1) % 4), (const uint8_t *)text,
                                     sizeof text - 1, pad, buf + 5, sizeof buf - 5, &n) != 0)
                return 1;
            char path[512];
            snprintf(path, sizeof path, "%s/seed-suite%u-gen%u", argv[1], s, g);
            FILE *f = fopen(path, "wb");
            if (!f) return 1;
            fwrite(buf, 1, 5 + n, f);
            fclose(f);
            mt_tls13_keys_free(k);
        }
    }
    return 0;
}
#endif
