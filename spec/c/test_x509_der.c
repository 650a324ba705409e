/* Tests for lib/x509/der.c and lib/x509/pem.c: strict DER primitives, OIDs, times, base64
 * and PEM blocks. Vectors live in spec/fixtures/x509/. */
#include "../../lib/moontls.h"
#include "../../lib/x509/der.h"
#include "../../lib/x509/pem.h"
#include "test_x509.h"

#define FIX "spec/fixtures/x509/"

/* Run one DER vector; returns the error code and writes the decoded value as text. */
static int run_der_op(const char *op, const uint8_t *der, size_t n, char *out, size_t out_len)
{
    mt_reader r;
    mt_slice s = {NULL, 0};
    uint64_t u = 0;
    int64_t t = 0;
    int b = 0, rc, kind = 0; /* 0: hex of s, 1: number u, 2: number t, 3: already text */
    mt_der e;
    mt_rd_init(&r, der, n);
    out[0] = 0;
    if (strcmp(op, "read") == 0) {
        rc = mt_der_read(&r, &e);
        s = e.body;
    } else if (strcmp(op, "integer") == 0) {
        rc = mt_der_integer(&r, &s);
    } else if (strcmp(op, "uint") == 0) {
        rc = mt_der_uint(&r, &s);
    } else if (strcmp(op, "small") == 0) {
        rc = mt_der_small_uint(&r, &u);
        kind = 1;
    } else if (strcmp(op, "bool") == 0) {
        rc = mt_der_boolean(&r, &b);
        u = (uint64_t)b;
        kind = 1;
    } else if (strcmp(op, "null") == 0) {
        rc = mt_der_null(&r);
        kind = 3;
    } else if (strcmp(op, "bits") == 0) {
        rc = mt_der_bit_string(&r, &s, NULL);
    } else if (strcmp(op, "octets") == 0) {
        rc = mt_der_octet_string(&r, &s);
    } else if (strcmp(op, "oid") == 0) {
        rc = mt_der_oid(&r, &s);
        if (rc == 0) rc = mt_oid_to_text(s, out, out_len);
        kind = 3;
    } else if (strcmp(op, "time") == 0) {
        rc = mt_der_time(&r, &t);
        kind = 2;
    } else {
        fprintf(stderr, "unknown op %s\n", op);
        exit(2);
    }
    if (rc) {
        /* a failed read consumes nothing */
        CHECK_EQ(mt_rd_pos(&r), 0);
        return rc;
    }
    if (mt_rd_left(&r) != 0) return MT_ERR_DECODE;
    if (kind == 1) snprintf(out, out_len, "%llu", (unsigned long long)u);
    if (kind == 2) snprintf(out, out_len, "%lld", (long long)t);
    for (size_t i = 0; kind == 0 && i < s.len && 2 * i + 3 <= out_len; i++)
        snprintf(out + 2 * i, 3, "%02x", s.p[i]);
    return 0;
}

static void test_der_vectors(void)
{
    vec_file v;
    int count = 0;
    CHECK(vec_open(&v, FIX "der-vectors.txt"));
    while (vec_next(&v)) {
        size_t n;
        uint8_t *der = vec_hex(&v, "der", &n);
        char got[256];
        const char *want = vec_get(&v, "value");
        int ok = atoi(vec_get(&v, "ok"));
        int rc = run_der_op(vec_get(&v, "op"), der, n, got, sizeof got);
        if (ok) {
            CHECK_EQ(rc, 0);
            if (want && strcmp(want, got) != 0) {
                fprintf(stderr, "  %s %s: got '%s' want '%s'\n", vec_get(&v, "op"),
                        vec_get(&v, "der"), got, want);
                CHECK(0);
            }
        } else {
            if (rc != MT_ERR_DECODE)
                fprintf(stderr, "  %s %s accepted\n", vec_get(&v, "op"), vec_get(&v, "der"));
            CHECK_EQ(rc, MT_ERR_DECODE);
        }
        free(der);
        count++;
    }
    vec_close(&v);
    CHECK(count >= 50);
}

static void test_der_expect_and_optional(void)
{
    /* SEQUENCE { [0] { INTEGER 2 }, INTEGER 5 } */
    const uint8_t der[] = {0x30, 0x08, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x05};
    mt_reader r, seq, f;
    int present;
    uint64_t v;
    mt_rd_init(&r, der, sizeof der);
    CHECK_EQ(mt_der_expect(&r, MT_DER_SET, &seq), MT_ERR_DECODE);
    CHECK_EQ(mt_rd_pos(&r), 0);
    CHECK_EQ(mt_der_expect(&r, MT_DER_SEQUENCE, &seq), 0);
    CHECK_EQ(mt_der_optional(&seq, MT_DER_CTX_CONS(1), &f, &present), 0);
    CHECK_EQ(present, 0);
    CHECK_EQ(mt_der_optional(&seq, MT_DER_CTX_CONS(0), &f, &present), 0);
    CHECK_EQ(present, 1);
    CHECK_EQ(mt_der_small_uint(&f, &v), 0);
    CHECK_EQ(v, 2);
    CHECK_EQ(mt_der_small_uint(&seq, &v), 0);
    CHECK_EQ(v, 5);
    CHECK_EQ(mt_der_optional(&seq, MT_DER_CTX_CONS(3), &f, &present), 0); /* at the end */
    CHECK_EQ(present, 0);
    CHECK_EQ(mt_rd_done(&seq), 0);

    /* mt_der.raw spans the whole element */
    mt_der e;
    mt_rd_init(&r, der, sizeof der);
    CHECK_EQ(mt_der_read(&r, &e), 0);
    CHECK_EQ(e.raw.len, sizeof der);
    CHECK_EQ(e.body.len, 8);
    CHECK_EQ(e.id, 0x30);
    CHECK_EQ(e.tag_num, 16);
}

static void test_oid_table(void)
{
    const uint8_t sha256rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
    const uint8_t p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
    const uint8_t unknown[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb2, 0x03, 0x01, 0x01};
    char text[64];
    CHECK_EQ(mt_oid_lookup(mt_slice_of(sha256rsa, sizeof sha256rsa)), MT_OID_SHA256_WITH_RSA);
    CHECK(strcmp(mt_oid_name(MT_OID_SHA256_WITH_RSA), "sha256WithRSAEncryption") == 0);
    CHECK_EQ(mt_oid_lookup(mt_slice_of(p384, sizeof p384)), MT_OID_P384);
    CHECK_EQ(mt_oid_lookup(mt_slice_of(unknown, sizeof unknown)), MT_OID_UNKNOWN);
    CHECK(strcmp(mt_oid_name(MT_OID_UNKNOWN), "unknown") == 0);
    CHECK_EQ(mt_oid_to_text(mt_slice_of(unknown, sizeof unknown), text, sizeof text), 0);
    CHECK(strcmp(text, "1.3.6.1.4.1.55555.1.1") == 0);
    /* every table entry has a distinct name */
    for (int i = 1; i < MT_OID_COUNT_; i++)
        for (int j = i + 1; j < MT_OID_COUNT_; j++)
            CHECK(strcmp(mt_oid_name((mt_oid)i), mt_oid_name((mt_oid)j)) != 0);
    /* truncation of long text */
    char small[8];
    CHECK_EQ(mt_oid_to_text(mt_slice_of(unknown, sizeof unknown), small, sizeof small), 0);
    CHECK(strlen(small) < sizeof small);
}

static void test_time_format(void)
{
    char buf[32];
    mt_der_format_time(1609459200, buf, sizeof buf);
    CHECK(strcmp(buf, "2021-01-01T00:00:00Z") == 0);
    mt_der_format_time(4733510399, buf, sizeof buf);
    CHECK(strcmp(buf, "2119-12-31T23:59:59Z") == 0);
    mt_der_format_time(-631152000, buf, sizeof buf);
    CHECK(strcmp(buf, "1950-01-01T00:00:00Z") == 0);
    CHECK_EQ(mt_der_epoch(2000, 2, 29, 0, 0, 0), 951782400);
    /* round trip over many days, leap years included */
    for (int64_t t = -86400LL * 365 * 80; t < 86400LL * 365 * 200; t += 86400 * 7 + 3601) {
        int y, mo, d, h, mi, s;
        mt_der_format_time(t, buf, sizeof buf);
        CHECK_EQ(sscanf(buf, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6);
        CHECK_EQ(mt_der_epoch(y, mo, d, h, mi, s), t);
    }
}

static void test_base64_vectors(void)
{
    vec_file v;
    int count = 0;
    CHECK(vec_open(&v, FIX "base64-vectors.txt"));
    while (vec_next(&v)) {
        const char *in = vec_get(&v, "in");
        const char *out = vec_get(&v, "out");
        mt_buf b = {0};
        CHECK_EQ(mt_buf_append(&b, "x", 1), 0); /* decoding appends */
        int rc = mt_base64_decode((const uint8_t *)in, strlen(in), &b);
        if (out) {
            size_t n;
            uint8_t *want = hex_alloc(out, &n);
            CHECK_EQ(rc, 0);
            CHECK_EQ(b.len, n + 1);
            if (rc == 0 && b.len == n + 1) CHECK_MEM(b.data + 1, want, n);
            free(want);
        } else {
            if (rc != MT_ERR_DECODE) fprintf(stderr, "  base64 '%s' accepted\n", in);
            CHECK_EQ(rc, MT_ERR_DECODE);
            CHECK_EQ(b.len, 1); /* unchanged on error */
        }
        mt_buf_free(&b);
        count++;
    }
    vec_close(&v);
    CHECK(count >= 14);
}

static int pem_first(const char *file, mt_pem_block *b)
{
    size_t n, off = 0;
    uint8_t *p = load(file, &n);
    int rc = mt_pem_next(p, n, &off, b);
    free(p);
    return rc;
}

static void test_pem_blocks(void)
{
    size_t n, off = 0;
    uint8_t *p = load(FIX "pem-multi.pem", &n);
    mt_pem_block b;
    mt_pem_block_init(&b);
    CHECK_EQ(mt_pem_detect(p, n), 1);
    CHECK_EQ(mt_pem_next(p, n, &off, &b), 0);
    CHECK(strcmp(b.label, "FIRST") == 0);
    CHECK_EQ(b.der.len, 4);
    CHECK_MEM(b.der.data, "Moon", 4);
    CHECK_EQ(mt_pem_next(p, n, &off, &b), 0);
    CHECK(strcmp(b.label, "SECOND THING") == 0);
    CHECK_EQ(b.der.len, 7);
    CHECK_MEM(b.der.data, "tls lib", 7);
    size_t before = off;
    CHECK_EQ(mt_pem_next(p, n, &off, &b), MT_ERR_NOT_FOUND);
    CHECK_EQ(off, before);
    off = n + 1;
    CHECK_EQ(mt_pem_next(p, n, &off, &b), MT_ERR_BAD_PARAM);
    free(p);

    CHECK_EQ(pem_first(FIX "pem-crlf.pem", &b), 0);
    CHECK(strcmp(b.label, "CERTIFICATE") == 0);
    CHECK_EQ(b.der.len, 4);
    CHECK_EQ(pem_first(FIX "pem-mismatch.pem", &b), MT_ERR_DECODE);
    CHECK_EQ(b.der.len, 0);
    CHECK_EQ(pem_first(FIX "pem-no-end.pem", &b), MT_ERR_DECODE);
    CHECK_EQ(pem_first(FIX "pem-bad-base64.pem", &b), MT_ERR_DECODE);
    CHECK_EQ(pem_first(FIX "pem-bad-label.pem", &b), MT_ERR_DECODE);
    CHECK_EQ(pem_first(FIX "pem-headers.pem", &b), MT_ERR_UNSUPPORTED);
    CHECK_EQ(pem_first(FIX "pem-none.txt", &b), MT_ERR_NOT_FOUND);
    p = load(FIX "pem-none.txt", &n);
    CHECK_EQ(mt_pem_detect(p, n), 0);
    free(p);
    mt_pem_block_free(&b);
}

static void test_pem_every_pki_file(void)
{
    /* Every PEM file of the test PKI decodes block by block to the end. */
    static const char *files[] = {"root-ca.pem",        "int-ca.pem",        "leaf-rsa.chain.pem",
                                  "ca-bundle.pem",      "leaf-rsa.key",      "leaf-rsa.pkcs1.key",
                                  "leaf-p256.sec1.key", "leaf-p256.pub.pem", "leaf-p256.enc.key"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, PKI "%s", files[i]);
        size_t n, off = 0;
        int blocks = 0, rc;
        uint8_t *p = load(path, &n);
        mt_pem_block b;
        mt_pem_block_init(&b);
        while ((rc = mt_pem_next(p, n, &off, &b)) == 0) {
            blocks++;
            CHECK(b.der.len > 32);
            CHECK_EQ(b.der.data[0], 0x30); /* every one is a DER SEQUENCE */
        }
        CHECK_EQ(rc, MT_ERR_NOT_FOUND);
        CHECK(blocks >= 1);
        mt_pem_block_free(&b);
        free(p);
    }
}

int main(void)
{
    RUN(test_der_vectors);
    RUN(test_der_expect_and_optional);
    RUN(test_oid_table);
    RUN(test_time_format);
    RUN(test_base64_vectors);
    RUN(test_pem_blocks);
    RUN(test_pem_every_pki_file);
    return test_summary();
}
