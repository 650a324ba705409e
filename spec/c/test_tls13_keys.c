/*
 * Tests for the public TLS 1.3 record keys (lib/api_record.c, moontls.h "TLS 1.3 record
 * keys"): every protected record of RFC 8448 opened and re-sealed from the RFC's traffic
 * secrets; records of three suites and four KeyUpdate generations built by an independent
 * implementation (spec/fixtures/tls13-keys-gen.py), padding and the inner-content rules
 * among them; tampering, truncation, wrong keys and sequence numbers, limits and misuse.
 * Only lib/moontls.h is used: this is the API a binding sees.
 */
#include "../../lib/moontls.h"
#include "fixture_blocks.h"
#include "test.h"

#define SUITE_AES128 0x1301

/* ---- helpers ---- */

static uint64_t be64(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* A decoded hex field of the current block, released by the caller. */
typedef struct {
    uint8_t *p;
    size_t n;
} blob;

static blob B(const vec_file *v, const char *key)
{
    blob b;
    b.p = vec_hex(v, key, &b.n);
    return b;
}

static int err_of(const char *expect)
{
    if (strcmp(expect, "ok") == 0) return 0;
    if (strcmp(expect, "UNEXPECTED_MESSAGE") == 0) return MT_ERR_UNEXPECTED;
    if (strcmp(expect, "RECORD_OVERFLOW") == 0) return MT_ERR_OVERFLOW;
    fprintf(stderr, "unknown expect %s\n", expect);
    exit(2);
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Open `rec` and check the result: rc, and on success content, type and padding. On
 * failure the output holds nothing (out is calloc'd, so nothing means zeros). */
static void check_open(mt_tls13_keys *k, uint64_t seq, const uint8_t *rec, size_t len, int want_rc,
                       const uint8_t *content, size_t content_len, uint8_t type, size_t padding)
{
    size_t cap = len, outlen = 99, pad = 99;
    uint8_t *out = calloc(1, cap + 1), itype = 99;
    int rc = mt_tls13_open_record(k, seq, rec, len, out, cap, &outlen, &itype, &pad);
    CHECK_EQ(rc, want_rc);
    if (rc == 0) {
        CHECK_EQ(outlen, content_len);
        CHECK_MEM(out, content, content_len);
        CHECK_EQ(itype, type);
        CHECK_EQ(pad, padding);
    } else {
        CHECK_EQ(outlen, 0);
        CHECK_EQ(itype, 0);
        CHECK_EQ(pad, 0);
        CHECK(all_zero(out, cap));
    }
    free(out);
}

/* Seal and compare with the expected record bytes. */
static void check_seal(mt_tls13_keys *k, uint64_t seq, uint8_t type, const uint8_t *content,
                       size_t len, size_t padding, const uint8_t *want, size_t want_len)
{
    size_t cap = 5 + len + 1 + padding + 16, outlen = 0;
    uint8_t *out = malloc(cap);
    CHECK_EQ(mt_tls13_seal_record(k, seq, type, content, len, padding, out, cap, &outlen), 0);
    CHECK_EQ(outlen, want_len);
    if (outlen == want_len) CHECK_MEM(out, want, want_len);
    free(out);
}

/* ---- RFC 8448 ---- */

/* Every protected record of RFC 8448 sections 3-7 opens at its sequence number under the
 * keys of the RFC's traffic secret, and seals back to the RFC's bytes. */
static void test_rfc8448_records(void)
{
    vec_file v;
    fx_file fx;
    char conv[32] = "";
    int n = 0, have_fx = 0;

    if (!vec_open(&v, "spec/fixtures/record-rfc8448.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        const char *name = vec_get(&v, "name"), *prot = vec_get(&v, "protection");
        const char *dash = strrchr(name, '-');
        char path[96], key[64];
        if (strcmp(prot, "plaintext") == 0) continue;
        /* 1rtt-2 -> spec/fixtures/rfc8448-1rtt.txt, its traffic_keys block. */
        if (strncmp(name, conv, (size_t)(dash - name)) != 0 ||
            strlen(conv) != (size_t)(dash - name)) {
            if (have_fx) fx_free(&fx);
            snprintf(conv, sizeof conv, "%.*s", (int)(dash - name), name);
            snprintf(path, sizeof path, "spec/fixtures/rfc8448-%s.txt", conv);
            fx_load(&fx, path);
            have_fx = 1;
        }
        snprintf(key, sizeof key, "%s_secret", prot);
        size_t slen;
        uint8_t *secret = fx_hex(&fx, "traffic_keys", key, &slen);
        blob rec = B(&v, "record"), payload = B(&v, "payload"), type = B(&v, "type"),
             seq = B(&v, "seq");
        mt_tls13_keys *k = NULL;

        CHECK_EQ(mt_tls13_keys_new(SUITE_AES128, secret, slen, &k), 0);
        if (k) {
            CHECK_EQ(mt_tls13_keys_suite(k), SUITE_AES128);
            CHECK_EQ(mt_tls13_keys_generation(k), 0);
            check_open(k, be64(seq.p, seq.n), rec.p, rec.n, 0, payload.p, payload.n, type.p[0], 0);
            check_seal(k, be64(seq.p, seq.n), type.p[0], payload.p, payload.n, 0, rec.p, rec.n);
            /* The sequence number is the caller's: the next one does not open it. */
            check_open(k, be64(seq.p, seq.n) + 1, rec.p, rec.n, MT_ERR_BAD_MAC, NULL, 0, 0, 0);
        }
        mt_tls13_keys_free(k);
        free(secret);
        free(rec.p);
        free(payload.p);
        free(type.p);
        free(seq.p);
        n++;
    }
    if (have_fx) fx_free(&fx);
    vec_close(&v);
    CHECK_EQ(n, 27);
}

/* ---- independent vectors: suites, generations, padding, inner content ---- */

static void test_vectors(void)
{
    vec_file v;
    int n = 0;

    if (!vec_open(&v, "spec/fixtures/tls13-keys.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        blob suite = B(&v, "suite"), secret = B(&v, "secret"), seq = B(&v, "seq"),
             type = B(&v, "type"), payload = B(&v, "payload"), rec = B(&v, "record");
        unsigned gen = (unsigned)atoi(vec_get(&v, "generation"));
        size_t padding = (size_t)atol(vec_get(&v, "padding"));
        int want = err_of(vec_get(&v, "expect"));
        uint16_t s = (uint16_t)be64(suite.p, suite.n);
        mt_tls13_keys *k = NULL;

        t_cur_name = vec_get(&v, "name");
        CHECK_EQ(mt_tls13_secret_len(s), secret.n);
        CHECK_EQ(mt_tls13_keys_new(s, secret.p, secret.n, &k), 0);
        if (k) {
            for (unsigned g = 0; g < gen; g++) {
                /* Each generation's records need that generation's keys. */
                check_open(k, be64(seq.p, seq.n), rec.p, rec.n, MT_ERR_BAD_MAC, NULL, 0, 0, 0);
                CHECK_EQ(mt_tls13_keys_next(k), 0);
            }
            CHECK_EQ(mt_tls13_keys_generation(k), gen);
            check_open(k, be64(seq.p, seq.n), rec.p, rec.n, want, payload.p, payload.n, type.p[0],
                       padding);
            /* The sealer writes whatever it is told, even what a receiver must refuse. */
            check_seal(k, be64(seq.p, seq.n), type.p[0], payload.p, payload.n, padding, rec.p,
                       rec.n);
            /* Past the generation: the next keys do not open it either. */
            CHECK_EQ(mt_tls13_keys_next(k), 0);
            check_open(k, be64(seq.p, seq.n), rec.p, rec.n, MT_ERR_BAD_MAC, NULL, 0, 0, 0);
        }
        mt_tls13_keys_free(k);
        free(suite.p);
        free(secret.p);
        free(seq.p);
        free(type.p);
        free(payload.p);
        free(rec.p);
        n++;
    }
    t_cur_name = "test_vectors";
    vec_close(&v);
    CHECK_EQ(n, 20);
}

/* ---- a record of the vectors, for the damage tests ---- */

typedef struct {
    mt_tls13_keys *k;
    blob rec, payload;
    uint64_t seq;
    uint8_t type;
} sample;

/* The first vector (AES-128-GCM, generation 0, handshake content). */
static int sample_load(sample *s)
{
    vec_file v;
    memset(s, 0, sizeof *s);
    if (!vec_open(&v, "spec/fixtures/tls13-keys.txt") || !vec_next(&v)) {
        vec_close(&v);
        return 0;
    }
    blob secret = B(&v, "secret"), seq = B(&v, "seq"), type = B(&v, "type");
    s->rec = B(&v, "record");
    s->payload = B(&v, "payload");
    s->seq = be64(seq.p, seq.n);
    s->type = type.p[0];
    int rc = mt_tls13_keys_new(SUITE_AES128, secret.p, secret.n, &s->k);
    free(secret.p);
    free(seq.p);
    free(type.p);
    vec_close(&v);
    return rc == 0;
}

static void sample_free(sample *s)
{
    mt_tls13_keys_free(s->k);
    free(s->rec.p);
    free(s->payload.p);
}

/* Every byte changed: the header's type is no protected record, its version is in the
 * additional data, its length no longer frames the bytes, and every fragment byte breaks
 * the tag. Nothing crashes, nothing of the plaintext comes out. */
static void test_tamper(void)
{
    sample s;
    if (!sample_load(&s)) {
        CHECK(0);
        sample_free(&s);
        return;
    }
    uint8_t *bad = malloc(s.rec.n);
    for (size_t i = 0; i < s.rec.n; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(bad, s.rec.p, s.rec.n);
            bad[i] ^= (uint8_t)(1u << bit);
            int want;
            if (i == 0)
                want = MT_ERR_UNEXPECTED; /* RFC 8446 5.2: opaque_type is application_data */
            else if (i < 3)
                want = MT_ERR_BAD_MAC; /* legacy_record_version is authenticated */
            else if (i < 5)
                /* a length over 2^14 + 256 is refused from the header alone */
                want = be64(&bad[3], 2) > 16384 + 256 ? MT_ERR_OVERFLOW : MT_ERR_DECODE;
            else
                want = MT_ERR_BAD_MAC;
            check_open(s.k, s.seq, bad, s.rec.n, want, NULL, 0, 0, 0);
        }
    }
    /* And after all that, the intact record still opens. */
    check_open(s.k, s.seq, s.rec.p, s.rec.n, 0, s.payload.p, s.payload.n, s.type, 0);
    free(bad);
    sample_free(&s);
}

/* Every truncation and an extra byte: exactly one whole record or decode error. A
 * fragment framed correctly but shorter than the tag cannot authenticate. */
static void test_truncated(void)
{
    sample s;
    if (!sample_load(&s)) {
        CHECK(0);
        sample_free(&s);
        return;
    }
    for (size_t cut = 0; cut < s.rec.n; cut++) {
        uint8_t *p = malloc(cut + 1); /* a heap block of exactly the cut: ASan sees overreads */
        memcpy(p, s.rec.p, cut);
        check_open(s.k, s.seq, cut ? p : NULL, cut, MT_ERR_DECODE, NULL, 0, 0, 0);
        free(p);
    }
    uint8_t *longer = malloc(s.rec.n + 1);
    memcpy(longer, s.rec.p, s.rec.n);
    longer[s.rec.n] = 0;
    check_open(s.k, s.seq, longer, s.rec.n + 1, MT_ERR_DECODE, NULL, 0, 0, 0);
    free(longer);
    for (size_t frag = 0; frag < 16; frag++) {
        uint8_t shortrec[5 + 16];
        memcpy(shortrec, s.rec.p, 5 + frag);
        shortrec[3] = 0;
        shortrec[4] = (uint8_t)frag;
        check_open(s.k, s.seq, shortrec, 5 + frag, MT_ERR_BAD_MAC, NULL, 0, 0, 0);
    }
    sample_free(&s);
}

/* Wrong keys: another suite's keys over the same secret bytes, another secret. */
static void test_wrong_keys(void)
{
    sample s;
    mt_tls13_keys *k2 = NULL, *k3 = NULL;
    uint8_t secret[32];
    if (!sample_load(&s)) {
        CHECK(0);
        sample_free(&s);
        return;
    }
    memset(secret, 0x42, sizeof secret);
    CHECK_EQ(mt_tls13_keys_new(0x1303, secret, sizeof secret, &k2), 0);
    CHECK_EQ(mt_tls13_keys_new(SUITE_AES128, secret, sizeof secret, &k3), 0);
    check_open(k2, s.seq, s.rec.p, s.rec.n, MT_ERR_BAD_MAC, NULL, 0, 0, 0);
    check_open(k3, s.seq, s.rec.p, s.rec.n, MT_ERR_BAD_MAC, NULL, 0, 0, 0);
    mt_tls13_keys_free(k2);
    mt_tls13_keys_free(k3);
    sample_free(&s);
}

/* Sealed and opened back over lengths and paddings in every suite, in place of nothing
 * (an empty content with a NULL pointer included). */
static void test_round_trip(void)
{
    static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
    static const size_t lens[] = {0, 1, 15, 16, 17, 255, 1000, 16384};
    static const size_t pads[] = {0, 1, 255, 256, 600};
    uint8_t secret[48], *content = malloc(16384), *wire = malloc(5 + 16384 + 1 + 600 + 16);
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < 16384; i++)
        content[i] = (uint8_t)(i * 31 + 5);
    for (size_t si = 0; si < 3; si++) {
        mt_tls13_keys *k = NULL;
        CHECK_EQ(mt_tls13_keys_new(suites[si], secret, mt_tls13_secret_len(suites[si]), &k), 0);
        if (!k) continue;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            for (size_t pi = 0; pi < sizeof pads / sizeof pads[0]; pi++) {
                size_t len = lens[li], pad = pads[pi], outlen = 0;
                uint64_t seq = li * 100 + pi;
                CHECK_EQ(mt_tls13_seal_record(k, seq, 23, len ? content : NULL, len, pad, wire,
                                              5 + len + 1 + pad + 16, &outlen),
                         0);
                CHECK_EQ(outlen, 5 + len + 1 + pad + 16);
                /* 2^14 content with padding is over 2^14 + 1: record_overflow. */
                int want = len + 1 + pad > 16385 ? MT_ERR_OVERFLOW : 0;
                check_open(k, seq, wire, outlen, want, content, len, 23, pad);
            }
        }
        mt_tls13_keys_free(k);
    }
    free(content);
    free(wire);
}

/* Capacity, sequence number limits, unknown suites, wrong secrets, NULLs. */
static void test_limits_and_misuse(void)
{
    sample s;
    size_t outlen = 7, pad;
    uint8_t type, buf[64] = {0}, secret[48] = {0};
    mt_tls13_keys *k = (mt_tls13_keys *)&outlen; /* must be overwritten with NULL */

    if (!sample_load(&s)) {
        CHECK(0);
        sample_free(&s);
        return;
    }
    size_t need = s.rec.n - 5;
    uint8_t *out = calloc(1, need);
    /* cap one short of the fragment: refused before anything is decrypted */
    CHECK_EQ(
        mt_tls13_open_record(s.k, s.seq, s.rec.p, s.rec.n, out, need - 1, &outlen, &type, NULL),
        MT_ERR_LIMIT);
    CHECK_EQ(outlen, 0);
    CHECK(all_zero(out, need));
    CHECK_EQ(mt_tls13_open_record(s.k, s.seq, s.rec.p, s.rec.n, NULL, 0, &outlen, &type, &pad),
             MT_ERR_LIMIT);
    /* exactly the fragment is enough; padding may be NULL */
    CHECK_EQ(mt_tls13_open_record(s.k, s.seq, s.rec.p, s.rec.n, out, need, &outlen, &type, NULL),
             0);
    CHECK_EQ(outlen, s.payload.n);
    CHECK_MEM(out, s.payload.p, s.payload.n);
    /* RFC 8446 5.3: the sequence number never wraps; 2^64 - 1 is never used */
    CHECK_EQ(
        mt_tls13_open_record(s.k, UINT64_MAX, s.rec.p, s.rec.n, out, need, &outlen, &type, NULL),
        MT_ERR_LIMIT);
    CHECK_EQ(mt_tls13_seal_record(s.k, UINT64_MAX, 23, buf, 1, 0, buf + 8, 40, &outlen),
             MT_ERR_LIMIT);
    CHECK_EQ(
        mt_tls13_seal_record(s.k, UINT64_MAX - 1, 23, buf, 1, 0, buf + 8, 5 + 1 + 1 + 16, &outlen),
        0);
    CHECK_EQ(outlen, 23);
    /* seal: cap one short, content past the length field */
    CHECK_EQ(mt_tls13_seal_record(s.k, 0, 23, buf, 1, 0, buf + 8, 5 + 1 + 1 + 16 - 1, &outlen),
             MT_ERR_LIMIT);
    CHECK_EQ(outlen, 0);
    size_t big_cap = 5 + 1 + 1 + 0xFFFF + 16;
    uint8_t *big = malloc(big_cap);
    CHECK_EQ(mt_tls13_seal_record(s.k, 0, 23, buf, 1, 0xFFFF, big, big_cap, &outlen), MT_ERR_LIMIT);
    CHECK_EQ(mt_tls13_seal_record(s.k, 0, 23, buf, 1, 0xFFFF - 18, big, big_cap, &outlen), 0);
    CHECK_EQ(outlen, 5 + 0xFFFF);
    free(big);
    CHECK_EQ(mt_tls13_seal_record(s.k, 0, 23, NULL, 1, 0, buf, sizeof buf, &outlen),
             MT_ERR_BAD_PARAM);
    /* NULL arguments */
    CHECK_EQ(mt_tls13_open_record(NULL, 0, s.rec.p, s.rec.n, out, need, &outlen, &type, NULL),
             MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_open_record(s.k, 0, s.rec.p, s.rec.n, out, need, NULL, &type, NULL),
             MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_open_record(s.k, 0, s.rec.p, s.rec.n, out, need, &outlen, NULL, NULL),
             MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_open_record(s.k, 0, NULL, 5, out, need, &outlen, &type, NULL),
             MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_seal_record(NULL, 0, 23, buf, 1, 0, out, need, &outlen), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_keys_next(NULL), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_keys_generation(NULL), 0);
    CHECK_EQ(mt_tls13_keys_suite(NULL), 0);
    mt_tls13_keys_free(NULL);

    /* suites and secrets */
    CHECK_EQ(mt_tls13_secret_len(0x1301), 32);
    CHECK_EQ(mt_tls13_secret_len(0x1302), 48);
    CHECK_EQ(mt_tls13_secret_len(0x1303), 32);
    CHECK_EQ(mt_tls13_secret_len(0x1304), 0); /* CCM: not implemented */
    CHECK_EQ(mt_tls13_secret_len(0xC02F), 0); /* a TLS 1.2 suite */
    CHECK_EQ(mt_tls13_keys_new(0x1304, secret, 32, &k), MT_ERR_UNSUPPORTED);
    CHECK(k == NULL);
    CHECK_EQ(mt_tls13_keys_new(0x1302, secret, 32, &k), MT_ERR_BAD_PARAM);
    CHECK(k == NULL);
    CHECK_EQ(mt_tls13_keys_new(0x1301, secret, 48, &k), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_keys_new(0x1301, NULL, 32, &k), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_tls13_keys_new(0x1301, secret, 32, NULL), MT_ERR_BAD_PARAM);
    CHECK(k == NULL);
    free(out);
    sample_free(&s);
}

int main(void)
{
    RUN(test_rfc8448_records);
    RUN(test_vectors);
    RUN(test_tamper);
    RUN(test_truncated);
    RUN(test_wrong_keys);
    RUN(test_round_trip);
    RUN(test_limits_and_misuse);
    return test_summary();
}
