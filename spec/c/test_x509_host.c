/* Tests for lib/x509/hostname.c: RFC 6125 matching tables (spec/fixtures/x509/). */
#include "../../lib/moontls.h"
#include "../../lib/x509/verify.h"
#include "test_x509.h"

static void test_dns_match_table(void)
{
    vec_file v;
    int count = 0;
    CHECK(vec_open(&v, "spec/fixtures/x509/hostnames.txt"));
    while (vec_next(&v)) {
        const char *pattern = vec_get(&v, "pattern"), *host = vec_get(&v, "host");
        int want = atoi(vec_get(&v, "match"));
        int got = mt_x509_dns_match((const uint8_t *)pattern, strlen(pattern), host);
        if (got != want) fprintf(stderr, "  pattern '%s' host '%s': %d\n", pattern, host, got);
        CHECK_EQ(got, want);
        count++;
    }
    vec_close(&v);
    CHECK(count >= 25);
}

static void test_embedded_nul(void)
{
    /* "localhost\0.evil.com" must not match "localhost" */
    const uint8_t pattern[] = "localhost\0.evil.com";
    CHECK_EQ(mt_x509_dns_match(pattern, sizeof pattern - 1, "localhost"), 0);
    CHECK_EQ(mt_x509_dns_match(pattern, 0, ""), 0);
}

static void test_check_host_table(void)
{
    vec_file v;
    int count = 0;
    CHECK(vec_open(&v, "spec/fixtures/x509/host-checks.txt"));
    while (vec_next(&v)) {
        char path[160];
        size_t n;
        snprintf(path, sizeof path, PKI "%s", vec_get(&v, "cert"));
        uint8_t *p = load(path, &n);
        mt_x509_list l;
        mt_x509_list_init(&l);
        CHECK_EQ(mt_x509_list_add_pem(&l, p, n, NULL), 0);
        const char *host = vec_get(&v, "host");
        int want = atoi(vec_get(&v, "ok"));
        int rc = l.count ? mt_x509_check_host(&l.certs[0], host) : -1;
        if ((rc == 0) != want) fprintf(stderr, "  %s host '%s': %x\n", path, host, rc);
        CHECK_EQ(rc, want ? 0 : MT_ERR_CERT_BAD);
        mt_x509_list_free(&l);
        free(p);
        count++;
    }
    vec_close(&v);
    CHECK(count >= 20);
}

static void test_check_host_params(void)
{
    size_t n;
    uint8_t *p = load(PKI "leaf-p256.pem", &n);
    mt_x509_list l;
    mt_x509_list_init(&l);
    CHECK_EQ(mt_x509_list_add_pem(&l, p, n, NULL), 0);
    CHECK_EQ(mt_x509_check_host(&l.certs[0], ""), MT_ERR_BAD_PARAM);
    CHECK_EQ(mt_x509_check_host(&l.certs[0], NULL), MT_ERR_BAD_PARAM);
    mt_x509_list_free(&l);
    free(p);
}

int main(void)
{
    RUN(test_dns_match_table);
    RUN(test_embedded_nul);
    RUN(test_check_host_table);
    RUN(test_check_host_params);
    return test_summary();
}
