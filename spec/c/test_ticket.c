/*
 * test_ticket.c - lib/handshake/ticket.c: server tickets open only under their key and
 * only untouched (every flipped bit, every truncation, another key: not found); client
 * sessions round-trip through their byte format and every truncation is refused.
 */
#include "test.h"

#include "handshake/ticket.h"
#include "moontls.h"

static void sample(mt_session *s)
{
    memset(s, 0, sizeof *s);
    s->suite = 0x1302;
    s->time = 1735689600;
    s->lifetime = 7200;
    s->age_add = 0xdeadbeef;
    s->max_early_data = 1024;
    s->psk_len = 48;
    for (size_t i = 0; i < s->psk_len; i++)
        s->psk[i] = (uint8_t)(i * 7 + 1);
    strcpy(s->alpn, "h2");
    strcpy(s->sni, "example.org");
}

static void same_state(const mt_session *a, const mt_session *b)
{
    CHECK_EQ(a->suite, b->suite);
    CHECK_EQ(a->time, b->time);
    CHECK_EQ(a->lifetime, b->lifetime);
    CHECK_EQ(a->age_add, b->age_add);
    CHECK_EQ(a->max_early_data, b->max_early_data);
    CHECK_EQ(a->psk_len, b->psk_len);
    CHECK_MEM(a->psk, b->psk, a->psk_len);
    CHECK(strcmp(a->alpn, b->alpn) == 0);
    CHECK(strcmp(a->sni, b->sni) == 0);
}

static void test_ticket_seal_open(void)
{
    uint8_t key[32], other[32], iv[12] = {1, 2, 3};
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)i;
        other[i] = (uint8_t)(i + 1);
    }
    mt_session s, back;
    sample(&s);
    mt_buf t = {0};
    CHECK_EQ(mt_ticket_seal(key, iv, &s, &t), 0);
    CHECK_EQ(mt_ticket_open(key, t.data, t.len, &back), 0);
    same_state(&s, &back);
    mt_session_free(&back);
    /* the PSK is not in the ticket in clear */
    int found = 0;
    for (size_t i = 0; i + 8 <= t.len; i++)
        found |= memcmp(t.data + i, s.psk, 8) == 0;
    CHECK(!found);
    CHECK_EQ(mt_ticket_open(other, t.data, t.len, &back), MT_ERR_NOT_FOUND);
    for (size_t i = 0; i < t.len; i++) {
        t.data[i] ^= 0x20;
        CHECK_EQ(mt_ticket_open(key, t.data, t.len, &back), MT_ERR_NOT_FOUND);
        t.data[i] ^= 0x20;
    }
    for (size_t n = 0; n < t.len; n++)
        CHECK_EQ(mt_ticket_open(key, t.data, n, &back), MT_ERR_NOT_FOUND);
    mt_buf_free(&t);
    mt_session_free(&s);
}

static void test_session_bytes(void)
{
    mt_session s, back;
    sample(&s);
    CHECK_EQ(mt_buf_set(&s.ticket, "opaque ticket", 13), 0);
    mt_buf b = {0};
    CHECK_EQ(mt_session_encode(&s, &b), 0);
    CHECK_EQ(mt_session_decode(&back, b.data, b.len), 0);
    same_state(&s, &back);
    CHECK_EQ(back.ticket.len, 13);
    CHECK_MEM(back.ticket.data, "opaque ticket", 13);
    mt_session_free(&back);
    for (size_t n = 0; n < b.len; n++) {
        int rc = mt_session_decode(&back, b.data, n);
        CHECK(rc == MT_ERR_DECODE || rc == MT_ERR_UNSUPPORTED);
    }
    /* trailing bytes, another magic */
    CHECK_EQ(mt_buf_append(&b, "x", 1), 0);
    CHECK_EQ(mt_session_decode(&back, b.data, b.len), MT_ERR_DECODE);
    b.data[3] = '2';
    CHECK_EQ(mt_session_decode(&back, b.data, b.len - 1), MT_ERR_UNSUPPORTED);
    mt_buf_free(&b);
    mt_session_free(&s);
}

/* AES-GCM must never see one nonce twice under a key with different plaintexts: a seeded
 * rng draws the same "random" IV on every connection of a configuration, so the IV is
 * bound to what it seals. Same state, same draw: same ticket (reproducible); another
 * state, same draw: another IV. */
static void test_ticket_iv_bound_to_state(void)
{
    uint8_t key[MT_TICKET_KEY_LEN], drawn[12] = {0};
    memset(key, 0x42, sizeof key);
    mt_session a, b;
    sample(&a);
    sample(&b);
    b.psk[0] ^= 1;
    mt_buf ta = {0}, ta2 = {0}, tb = {0};
    CHECK_EQ(mt_ticket_seal(key, drawn, &a, &ta), 0);
    CHECK_EQ(mt_ticket_seal(key, drawn, &a, &ta2), 0);
    CHECK_EQ(mt_ticket_seal(key, drawn, &b, &tb), 0);
    CHECK(ta.len == ta2.len && memcmp(ta.data, ta2.data, ta.len) == 0);
    CHECK(memcmp(ta.data, tb.data, 12) != 0);
    mt_session back;
    CHECK_EQ(mt_ticket_open(key, tb.data, tb.len, &back), 0);
    same_state(&b, &back);
    mt_session_free(&back);
    mt_buf_free(&ta);
    mt_buf_free(&ta2);
    mt_buf_free(&tb);
    mt_session_free(&a);
    mt_session_free(&b);
}

/* Bytes that read but no NewSessionTicket could have left: refused (mt_session_check too). */
static void test_session_semantics(void)
{
    struct {
        uint16_t suite;
        uint32_t lifetime;
        size_t psk_len;
        int ok;
    } cases[] = {
        {0x1302, 7200, 48, 1}, {0x1302, 604800, 48, 1}, {0x1302, 604801, 48, 0},
        {0x1302, 0, 48, 0},    {0x1301, 7200, 48, 0},   {0x1301, 7200, 32, 1},
        {0xc02f, 7200, 32, 0}, {0x0000, 7200, 48, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt_session s, back;
        sample(&s);
        s.suite = cases[i].suite;
        s.lifetime = cases[i].lifetime;
        s.psk_len = cases[i].psk_len;
        CHECK_EQ(mt_buf_set(&s.ticket, "t", 1), 0);
        mt_buf b = {0};
        CHECK_EQ(mt_session_encode(&s, &b), 0);
        int want = cases[i].ok ? 0 : MT_ERR_DECODE;
        CHECK_EQ(mt_session_decode(&back, b.data, b.len), want);
        CHECK_EQ(mt_session_check(b.data, b.len), want);
        if (cases[i].ok) mt_session_free(&back);
        mt_buf_free(&b);
        mt_session_free(&s);
    }
}

int main(void)
{
    RUN(test_ticket_seal_open);
    RUN(test_session_bytes);
    RUN(test_session_semantics);
    RUN(test_ticket_iv_bound_to_state);
    return test_summary();
}
