/* Tests for lib/buf: readers, writers, length prefixes, wiping. */
#include "../../lib/buf/buf.h"
#include "../../lib/moontls.h"
#include "test.h"

static void test_reader_ints(void)
{
    const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
    mt_reader r;
    mt_rd_init(&r, in, sizeof in);
    uint8_t a;
    uint16_t b;
    uint32_t c, d;
    uint64_t e;
    CHECK_EQ(mt_rd_u8(&r, &a), 0);
    CHECK_EQ(a, 1);
    CHECK_EQ(mt_rd_u16(&r, &b), 0);
    CHECK_EQ(b, 0x0203);
    CHECK_EQ(mt_rd_u24(&r, &c), 0);
    CHECK_EQ(c, 0x040506);
    CHECK_EQ(mt_rd_u32(&r, &d), 0);
    CHECK_EQ(d, 0x0708090a);
    CHECK_EQ(mt_rd_u64(&r, &e), 0);
    CHECK(e == 0x0b0c0d0e0f101112ULL);
    CHECK_EQ(mt_rd_left(&r), 0);
    CHECK_EQ(mt_rd_done(&r), 0);
    CHECK_EQ(mt_rd_u8(&r, &a), MT_ERR_DECODE);
}

static void test_reader_short(void)
{
    const uint8_t in[] = {0xaa, 0xbb};
    mt_reader r;
    mt_rd_init(&r, in, sizeof in);
    uint32_t v;
    CHECK_EQ(mt_rd_u24(&r, &v), MT_ERR_DECODE);
    CHECK_EQ(mt_rd_pos(&r), 0); /* a failed read consumes nothing */
    CHECK_EQ(mt_rd_done(&r), MT_ERR_DECODE);
}

static void test_reader_vectors(void)
{
    /* vec16 of 3 bytes containing a vec8 of 2 bytes */
    const uint8_t in[] = {0x00, 0x03, 0x02, 0x11, 0x22, 0x09};
    mt_reader r, sub, sub2;
    mt_rd_init(&r, in, sizeof in);
    CHECK_EQ(mt_rd_vec16(&r, &sub), 0);
    CHECK_EQ(mt_rd_left(&sub), 3);
    CHECK_EQ(mt_rd_vec8(&sub, &sub2), 0);
    CHECK_EQ(mt_rd_left(&sub2), 2);
    CHECK_EQ(mt_rd_done(&sub), 0);
    CHECK_EQ(mt_rd_done(&r), MT_ERR_DECODE);
    mt_slice s = mt_rd_rest(&r);
    CHECK_EQ(s.len, 1);
    CHECK_EQ(s.p[0], 9);

    /* a length that exceeds the block is a decode_error */
    const uint8_t bad[] = {0x00, 0x05, 1, 2, 3};
    mt_rd_init(&r, bad, sizeof bad);
    CHECK_EQ(mt_rd_vec16(&r, &sub), MT_ERR_DECODE);
    const uint8_t bad24[] = {0x00, 0x00, 0x04, 1, 2, 3};
    mt_rd_init(&r, bad24, sizeof bad24);
    mt_slice sl;
    CHECK_EQ(mt_rd_vec24_slice(&r, &sl), MT_ERR_DECODE);
}

static void test_writer_prefixes(void)
{
    mt_buf b = {0};
    mt_wr_mark outer, inner;
    CHECK_EQ(mt_wr_u8(&b, 0x16), 0);
    CHECK_EQ(mt_wr_open(&b, 3, &outer), 0);
    CHECK_EQ(mt_wr_open(&b, 2, &inner), 0);
    CHECK_EQ(mt_wr_bytes(&b, "abc", 3), 0);
    CHECK_EQ(mt_wr_close(&b, &inner), 0);
    CHECK_EQ(mt_wr_close(&b, &outer), 0);
    const uint8_t want[] = {0x16, 0, 0, 5, 0, 3, 'a', 'b', 'c'};
    CHECK_EQ(b.len, sizeof want);
    CHECK_MEM(b.data, want, sizeof want);

    /* overflow of an 8-bit prefix is refused */
    mt_buf_reset(&b);
    uint8_t big[300] = {0};
    CHECK_EQ(mt_wr_vec8(&b, big, 256), MT_ERR_LIMIT);
    CHECK_EQ(mt_wr_vec8(&b, big, 255), 0);
    mt_buf_reset(&b);
    CHECK_EQ(mt_wr_open(&b, 1, &inner), 0);
    CHECK_EQ(mt_wr_bytes(&b, big, 256), 0);
    CHECK_EQ(mt_wr_close(&b, &inner), MT_ERR_LIMIT);
    CHECK_EQ(mt_wr_u24(&b, 1u << 24), MT_ERR_LIMIT);

    /* explicit override (for deliberately wrong lengths) */
    mt_buf_reset(&b);
    CHECK_EQ(mt_wr_open(&b, 2, &inner), 0);
    CHECK_EQ(mt_wr_bytes(&b, "xy", 2), 0);
    CHECK_EQ(mt_wr_close_as(&b, &inner, 7), 0);
    const uint8_t want2[] = {0, 7, 'x', 'y'};
    CHECK_MEM(b.data, want2, 4);
    mt_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void test_buf_growth_consume(void)
{
    mt_buf b;
    mt_buf_init(&b);
    for (int i = 0; i < 1000; i++) {
        uint8_t x = (uint8_t)i;
        CHECK_EQ(mt_buf_append(&b, &x, 1), 0);
    }
    CHECK_EQ(b.len, 1000);
    mt_buf_consume(&b, 10);
    CHECK_EQ(b.len, 990);
    CHECK_EQ(b.data[0], 10);
    CHECK_EQ(mt_buf_set(&b, "hi", 2), 0);
    CHECK_EQ(b.len, 2);
    mt_buf_consume(&b, 5);
    CHECK_EQ(b.len, 0);
    mt_buf_free(&b);
}

static void test_ct_eq_and_wipe(void)
{
    uint8_t a[16], c[16];
    memset(a, 7, sizeof a);
    memset(c, 7, sizeof c);
    CHECK_EQ(mt_ct_eq(a, c, 16), 1);
    c[15] ^= 0x80;
    CHECK_EQ(mt_ct_eq(a, c, 16), 0);
    CHECK_EQ(mt_ct_eq(a, c, 0), 1);
    mt_wipe(a, sizeof a);
    uint8_t z[16] = {0};
    CHECK_MEM(a, z, 16);
}

static void test_err_names(void)
{
    CHECK(strcmp(mt_err_name(MT_ERR_DECODE), "DECODE_ERROR") == 0);
    CHECK(strcmp(mt_err_name(MT_ERR_RECV(MT_ALERT_HANDSHAKE_FAILURE)), "HANDSHAKE_FAILURE") == 0);
    CHECK(strcmp(mt_err_name(MT_ERR_NO_MEMORY), "NO_MEMORY") == 0);
    CHECK(strcmp(mt_alert_name(MT_ALERT_BAD_RECORD_MAC), "bad_record_mac") == 0);
    CHECK_EQ(mt_alert_by_name("missing_extension"), 109);
    CHECK_EQ(mt_alert_by_name("nope"), -1);
    CHECK(mt_alert_name(255) == NULL);
}

/* mt_copy equals memcpy for every length around its thresholds and every distance
 * modulo 4096 it treats apart (1..63) and around them. */
static void test_copy(void)
{
    static uint8_t src[8192], dst[8192 + 4096 + 1];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + (i >> 8));
    static const size_t lens[] = {0, 1, 63, 64, 65, 1023, 1024, 1025, 4095, 4096, 8191};
    int ok = 1;
    for (size_t want = 0; want < 4096; want += want < 80 ? 1 : 509) {
        /* dst + at lies `want` bytes past src modulo 4096. */
        size_t at = (want - ((uintptr_t)dst - (uintptr_t)src)) & 4095;
        uint8_t *o = dst + at;
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            size_t n = lens[k];
            memset(dst, 0xee, sizeof dst);
            mt_copy(o, src, n);
            ok &= memcmp(o, src, n) == 0;
            ok &= at == 0 || dst[at - 1] == 0xee;
            ok &= o[n] == 0xee;
        }
    }
    CHECK(ok);
}

int main(void)
{
    RUN(test_copy);
    RUN(test_reader_ints);
    RUN(test_reader_short);
    RUN(test_reader_vectors);
    RUN(test_writer_prefixes);
    RUN(test_buf_growth_consume);
    RUN(test_ct_eq_and_wipe);
    RUN(test_err_names);
    return test_summary();
}
