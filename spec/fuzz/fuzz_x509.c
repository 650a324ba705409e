/*
 * fuzz_x509.c - libFuzzer target for lib/x509: certificate DER, PEM lists, private and
 * public keys, base64, and on every certificate that parses, the text forms, host name
 * checks, its self-signature and a chain verification against itself.
 *
 * Must hold for any input: no crash, no leak, no undefined behaviour, and a parsed
 * certificate's slices stay inside its own DER copy. Seed corpus: the test PKI in DER and
 * PEM (spec/fuzz/corpus/fuzz_x509/).
 */
#include "x509/cert.h"
#include "x509/key.h"
#include "x509/pem.h"
#include "x509/verify.h"

#include <stdlib.h>
#include <string.h>

static int inside(const mt_x509_cert *c, mt_slice s)
{
    if (s.len == 0) return 1;
    size_t start = (size_t)(s.p - c->der.data);
    return s.p >= c->der.data && start <= c->der.len && s.len <= c->der.len - start;
}

static void exercise_cert(const mt_x509_cert *c)
{
    if (!inside(c, c->tbs) || !inside(c, c->subject) || !inside(c, c->issuer) ||
        !inside(c, c->spki.raw) || !inside(c, c->signature) || !inside(c, c->serial))
        abort();
    for (size_t i = 0; i < c->san_count; i++)
        if (!inside(c, c->san[i].value)) abort();
    if (strlen(c->subject_text) > 4 * c->der.len || strlen(c->issuer_text) > 4 * c->der.len)
        abort();
    mt_x509_check_host(c, "localhost");
    mt_x509_check_host(c, "a.wild.moontls.test");
    mt_x509_check_host(c, "127.0.0.1");
    mt_x509_check_host(c, "::1");
    mt_x509_verify_signature(c, &c->spki);

    mt_x509_list chain, anchors;
    mt_x509_list_init(&chain);
    mt_x509_list_init(&anchors);
    if (mt_x509_list_add_der(&chain, c->der.data, c->der.len) == 0 &&
        mt_x509_list_add_der(&anchors, c->der.data, c->der.len) == 0) {
        mt_x509_verify_params p = {1735689600, "localhost", MT_X509_PURPOSE_SERVER, 0};
        mt_x509_verify_result res;
        int rc = mt_x509_verify_chain(&chain, &anchors, &p, &res);
        if (rc != res.err) abort();
    }
    mt_x509_list_free(&chain);
    mt_x509_list_free(&anchors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mt_x509_cert c;
    if (mt_x509_cert_parse(&c, data, size) == 0) exercise_cert(&c);
    mt_x509_cert_free(&c);

    mt_x509_list l;
    mt_x509_list_init(&l);
    size_t added = 0;
    if (mt_x509_list_add_pem(&l, data, size, &added) == 0) {
        if (added != l.count) abort();
        for (size_t i = 0; i < l.count && i < 4; i++)
            exercise_cert(&l.certs[i]);
    }
    mt_x509_list_free(&l);

    mt_x509_key k;
    if (mt_x509_key_parse_private(&k, data, size) == 0 && k.type == MT_X509_KEY_NONE) abort();
    mt_x509_key_free(&k);
    if (mt_x509_key_parse_public(&k, data, size) == 0 && k.type == MT_X509_KEY_NONE) abort();
    mt_x509_key_free(&k);

    mt_buf b = {0};
    mt_base64_decode(data, size, &b);
    mt_buf_free(&b);
    mt_x509_spki spki;
    mt_x509_spki_parse(&spki, data, size);
    if (size > 0) mt_x509_dns_match(data, size, "www.example.com");
    return 0;
}
