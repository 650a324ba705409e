/*
 * fuzz_reassembly - libFuzzer target: handshake reassembly over arbitrary record cuts.
 *
 * Input: byte 0 holds flags (bit 0: TLS 1.3 rules; bit 1: lower the default cap to 300;
 * bit 2: raise the Certificate cap to 100000); then a list of fragments, each a length
 * byte followed by that many bytes (a short tail is one last fragment). Checks: every
 * message handed out has length 4 + its u24 length, the messages concatenated are a
 * prefix of the bytes fed, pending() is exactly the difference, errors are the documented
 * alerts, and the buffer is released when drained.
 */
#include "record/record.h"
#include "moontls.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mt_reasm r;
    mt_buf fed = {0};
    size_t emitted = 0, off = 1;
    int tls13;
    if (size < 1) return 0;
    tls13 = data[0] & 1;
    mt_reasm_init(&r);
    if (data[0] & 2) r.max_len = 300;
    if ((data[0] & 4) && mt_reasm_set_max(&r, 11, 100000) != 0) abort();

    while (off < size) {
        size_t n = data[off++];
        mt_slice m;
        int rc;
        if (n > size - off) n = size - off;
        rc = mt_reasm_feed(&r, mt_slice_of(data + off, n), tls13);
        if (rc != 0) {
            if (rc != MT_ERR_UNEXPECTED && rc != MT_ERR_ILLEGAL_PARAM) abort();
            if (rc == MT_ERR_UNEXPECTED && !(tls13 && n == 0)) abort();
            break;
        }
        if (mt_buf_append(&fed, data + off, n) != 0) abort();
        off += n;
        while ((rc = mt_reasm_next(&r, &m)) == 0) {
            uint32_t len = (uint32_t)m.p[1] << 16 | (uint32_t)m.p[2] << 8 | m.p[3];
            if (m.len != 4 + (size_t)len) abort();
            if (emitted + m.len > fed.len || memcmp(fed.data + emitted, m.p, m.len) != 0) abort();
            emitted += m.len;
        }
        if (rc != MT_ERR_WANT_INPUT && rc != MT_ERR_ILLEGAL_PARAM) abort();
        if (mt_reasm_pending(&r) != fed.len - emitted) abort();
        if (rc == MT_ERR_ILLEGAL_PARAM) break;
        if (mt_reasm_pending(&r) == 0 && r.buf.cap != 0) abort();
        if ((mt_reasm_check_key_change(&r) == 0) != (mt_reasm_pending(&r) == 0)) abort();
    }
    mt_buf_free(&fed);
    mt_reasm_free(&r);
    return 0;
}
