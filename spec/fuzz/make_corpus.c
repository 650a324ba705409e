/*
 * make_corpus.c - records seed inputs for the engine fuzz targets: a full in-memory
 * handshake with the fuzz targets' deterministic configuration, saving what each side
 * received (prefixed with the chunk-size byte fuzz_drive reads). Run from the project
 * root: `make fuzz-corpus`.
 */
#include "engine_common.h"

static void save(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputc(0xff, f); /* largest chunks: whole records arrive at once */
    fwrite(p, 1, n, f);
    fclose(f);
}

int main(void)
{
    uint32_t cc = 0, sc = 0;
    mt_config *ccfg = fuzz_config(MT_ROLE_CLIENT, &cc);
    mt_config *scfg = fuzz_config(MT_ROLE_SERVER, &sc);
    mt_conn *c = mt_conn_new(ccfg), *s = mt_conn_new(scfg);
    uint8_t to_client[65536], to_server[65536];
    size_t nc = 0, ns = 0;
    for (int round = 0; round < 16; round++) {
        mt_conn_run(c);
        mt_conn_run(s);
        const uint8_t *p;
        size_t n = mt_conn_output(c, &p);
        if (n && ns + n <= sizeof to_server) {
            memcpy(to_server + ns, p, n);
            ns += n;
            mt_conn_feed(s, p, n);
        }
        mt_conn_output_consume(c, n);
        size_t m = mt_conn_output(s, &p);
        if (m && nc + m <= sizeof to_client) {
            memcpy(to_client + nc, p, m);
            nc += m;
            mt_conn_feed(c, p, m);
        }
        mt_conn_output_consume(s, m);
        if (!n && !m) break;
    }
    if (!(mt_conn_want(c) & MT_WANT_DONE) || !(mt_conn_want(s) & MT_WANT_DONE)) {
        fprintf(stderr, "make_corpus: the handshake did not complete\n");
        return 1;
    }
    save("spec/fuzz/corpus/fuzz_client13/handshake", to_client, nc);
    save("spec/fuzz/corpus/fuzz_server13/handshake", to_server, ns);

    /* A resumed handshake with 0-RTT from the first one's ticket, against a fresh server
     * configuration as the fuzz target makes: what the server received. */
    const uint8_t *sp;
    size_t sn;
    if (mt_conn_session(c, &sp, &sn) != 0) {
        fprintf(stderr, "make_corpus: no session from the first handshake\n");
        return 1;
    }
    uint32_t cc2 = 1000, sc2 = 0;
    mt_config *ccfg2 = fuzz_config(MT_ROLE_CLIENT, &cc2);
    mt_config *scfg2 = fuzz_config(MT_ROLE_SERVER, &sc2);
    mt_conn *c2 = mt_conn_new(ccfg2), *s2 = mt_conn_new(scfg2);
    if (mt_conn_set_session(c2, sp, sn) != 0 ||
        mt_conn_set_early_data(c2, (const uint8_t *)"early", 5) != 0) {
        fprintf(stderr, "make_corpus: cannot offer the session\n");
        return 1;
    }
    ns = 0;
    for (int round = 0; round < 16; round++) {
        mt_conn_run(c2);
        mt_conn_run(s2);
        const uint8_t *p;
        size_t n = mt_conn_output(c2, &p);
        if (n && ns + n <= sizeof to_server) {
            memcpy(to_server + ns, p, n);
            ns += n;
            mt_conn_feed(s2, p, n);
        }
        mt_conn_output_consume(c2, n);
        size_t m = mt_conn_output(s2, &p);
        if (m) mt_conn_feed(c2, p, m);
        mt_conn_output_consume(s2, m);
        if (!n && !m) break;
    }
    mt_info i;
    mt_conn_info(s2, &i);
    if (!(mt_conn_want(s2) & MT_WANT_DONE) || !i.resumed || i.early_data != MT_EARLY_ACCEPTED) {
        fprintf(stderr, "make_corpus: the resumed 0-RTT handshake did not complete\n");
        return 1;
    }
    save("spec/fuzz/corpus/fuzz_server13/resumption_0rtt", to_server, ns);
    mt_conn_free(c2);
    mt_conn_free(s2);
    mt_config_unref(ccfg2);
    mt_config_unref(scfg2);

    /* The same session offered with early data but no key share: HelloRetryRequest, the
     * early data skipped, a second ClientHello whose binder covers message_hash and the
     * HRR. The path where ClientHello2 may differ from ClientHello1 in its PSKs. */
    uint32_t cc3 = 2000, sc3 = 0;
    mt_config *ccfg3 = fuzz_config(MT_ROLE_CLIENT, &cc3);
    mt_config *scfg3 = fuzz_config(MT_ROLE_SERVER, &sc3);
    static const uint16_t x25519 = 0x001d;
    mt_conn *c3 = NULL, *s3 = NULL;
    if (mt_config_set_key_shares(ccfg3, &x25519, 0) != 0 || !(c3 = mt_conn_new(ccfg3)) ||
        !(s3 = mt_conn_new(scfg3)) || mt_conn_set_session(c3, sp, sn) != 0 ||
        mt_conn_set_early_data(c3, (const uint8_t *)"early", 5) != 0) {
        fprintf(stderr, "make_corpus: cannot set up the HelloRetryRequest resumption\n");
        return 1;
    }
    ns = 0;
    for (int round = 0; round < 16; round++) {
        mt_conn_run(c3);
        mt_conn_run(s3);
        const uint8_t *p;
        size_t n = mt_conn_output(c3, &p);
        if (n && ns + n <= sizeof to_server) {
            memcpy(to_server + ns, p, n);
            ns += n;
            mt_conn_feed(s3, p, n);
        }
        mt_conn_output_consume(c3, n);
        size_t m = mt_conn_output(s3, &p);
        if (m) mt_conn_feed(c3, p, m);
        mt_conn_output_consume(s3, m);
        if (!n && !m) break;
    }
    mt_conn_info(s3, &i);
    if (!(mt_conn_want(s3) & MT_WANT_DONE) || !i.resumed || !i.hrr) {
        fprintf(stderr, "make_corpus: the resumption after HelloRetryRequest did not complete\n");
        return 1;
    }
    save("spec/fuzz/corpus/fuzz_server13/resumption_hrr", to_server, ns);
    mt_conn_free(c3);
    mt_conn_free(s3);
    mt_config_unref(ccfg3);
    mt_config_unref(scfg3);
    mt_conn_free(c);
    mt_conn_free(s);
    mt_config_unref(ccfg);
    mt_config_unref(scfg);
    return 0;
}
