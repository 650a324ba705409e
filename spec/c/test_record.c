/*
 * Tests for lib/record: deframing on every boundary, protection against RFC 8448 and
 * independently generated records (pyca/cryptography, spec/fixtures/record-gen.py), round
 * trips for every kind and version, tampering, sequence numbers and key changes,
 * fragmentation and handshake reassembly.
 */
#include "../../lib/crypto/rng.h"
#include "../../lib/moontls.h"
#include "../../lib/record/record.h"
#include "test.h"

#define MT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* Hex fields of the current vector block, freed together by hold_free. */
static uint8_t *held[32];
static int nheld;

static mt_slice H(const vec_file *v, const char *key)
{
    size_t n;
    uint8_t *p = vec_hex(v, key, &n);
    if (nheld < (int)MT_ARRAY_LEN(held)) held[nheld++] = p;
    return mt_slice_of(p, n);
}

static void hold_free(void)
{
    while (nheld)
        free(held[--nheld]);
}

static uint64_t be64(mt_slice s)
{
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++)
        v = v << 8 | s.p[i];
    return v;
}

static unsigned long num(const vec_file *v, const char *key)
{
    const char *s = vec_get(v, key);
    return s ? strtoul(s, NULL, 0) : 0;
}

static int str_is(const vec_file *v, const char *key, const char *want)
{
    const char *s = vec_get(v, key);
    return s && strcmp(s, want) == 0;
}

static mt_aead_id aead_by_name(const char *s)
{
    if (strcmp(s, "aes256gcm") == 0) return MT_AEAD_AES256_GCM;
    if (strcmp(s, "chacha20poly1305") == 0) return MT_AEAD_CHACHA20_POLY1305;
    return MT_AEAD_AES128_GCM;
}

static mt_hash_id hash_by_name(const char *s)
{
    if (strcmp(s, "sha256") == 0) return MT_HASH_SHA256;
    if (strcmp(s, "sha384") == 0) return MT_HASH_SHA384;
    return MT_HASH_SHA1;
}

static void fill(uint8_t *p, size_t n, uint8_t start)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(start + 7 * i);
}

/* One protection configuration with fixed key material. */
typedef struct {
    const char *name;
    mt_rec_kind kind;
    uint16_t version;
    mt_aead_id aead;
    mt_hash_id mac;
    int etm;
    size_t key_len;
} config;

static const config configs[] = {
    {"1.3 aes128gcm", MT_REC_AEAD13, MT_TLS13, MT_AEAD_AES128_GCM, 0, 0, 16},
    {"1.3 aes256gcm", MT_REC_AEAD13, MT_TLS13, MT_AEAD_AES256_GCM, 0, 0, 32},
    {"1.3 chacha", MT_REC_AEAD13, MT_TLS13, MT_AEAD_CHACHA20_POLY1305, 0, 0, 32},
    {"1.2 aes128gcm", MT_REC_AEAD12, MT_TLS12, MT_AEAD_AES128_GCM, 0, 0, 16},
    {"1.2 aes256gcm", MT_REC_AEAD12, MT_TLS12, MT_AEAD_AES256_GCM, 0, 0, 32},
    {"1.2 chacha", MT_REC_AEAD12, MT_TLS12, MT_AEAD_CHACHA20_POLY1305, 0, 0, 32},
    {"1.0 cbc sha1", MT_REC_CBC, MT_TLS10, 0, MT_HASH_SHA1, 0, 16},
    {"1.0 cbc sha256 etm", MT_REC_CBC, MT_TLS10, 0, MT_HASH_SHA256, 1, 16},
    {"1.1 cbc sha1", MT_REC_CBC, MT_TLS11, 0, MT_HASH_SHA1, 0, 32},
    {"1.2 cbc sha256", MT_REC_CBC, MT_TLS12, 0, MT_HASH_SHA256, 0, 16},
    {"1.2 cbc sha384", MT_REC_CBC, MT_TLS12, 0, MT_HASH_SHA384, 0, 32},
    {"1.2 cbc sha1 etm", MT_REC_CBC, MT_TLS12, 0, MT_HASH_SHA1, 1, 16},
};

static int install_config(mt_rec_prot *p, const config *c, uint8_t salt, const mt_rng *rng)
{
    uint8_t key[32], iv[16], mac_key[MT_HASH_MAX_LEN];
    mt_rec_keys k;
    memset(&k, 0, sizeof k);
    fill(key, sizeof key, salt);
    fill(iv, sizeof iv, (uint8_t)(salt + 1));
    fill(mac_key, sizeof mac_key, (uint8_t)(salt + 2));
    k.kind = c->kind;
    k.version = c->version;
    k.aead = c->aead;
    k.key = mt_slice_of(key, c->key_len);
    k.mac = c->mac;
    k.etm = c->etm;
    k.rng = rng;
    if (c->kind == MT_REC_CBC) {
        k.mac_key = mt_slice_of(mac_key, mt_hash_len(c->mac));
        k.iv = mt_slice_of(iv, c->version == MT_TLS10 ? 16 : 0);
    } else {
        int twelve = c->kind == MT_REC_AEAD13 || c->aead == MT_AEAD_CHACHA20_POLY1305;
        k.iv = mt_slice_of(iv, twelve ? 12 : 4);
    }
    return mt_rec_prot_install(p, &k);
}

static int install_aead13(mt_rec_prot *p, mt_aead_id id, mt_slice key, mt_slice iv)
{
    mt_rec_keys k;
    memset(&k, 0, sizeof k);
    k.kind = MT_REC_AEAD13;
    k.version = MT_TLS13;
    k.aead = id;
    k.key = key;
    k.iv = iv;
    return mt_rec_prot_install(p, &k);
}

/* Deframe the single record in `wire` under p. */
static int deframe_one(const mt_rec_prot *p, mt_slice wire, mt_record *rec)
{
    size_t used = 0;
    int rc = mt_rec_deframe(wire, mt_rec_max_wire_len(p), rec, &used);
    if (rc == 0 && used != wire.len) return -1;
    return rc;
}

static int expect_code(const char *s)
{
    if (strcmp(s, "ok") == 0) return 0;
    if (strcmp(s, "want_input") == 0) return MT_ERR_WANT_INPUT;
    if (strcmp(s, "unexpected_message") == 0) return MT_ERR_UNEXPECTED;
    if (strcmp(s, "record_overflow") == 0) return MT_ERR_OVERFLOW;
    return -1;
}

/* ---- deframing ---- */

static void test_deframe_vectors(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/record-deframe.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        mt_slice hdr = H(&v, "header");
        size_t body = num(&v, "body"), len = hdr.len + body, used = 99;
        size_t max = str_is(&v, "limit", "tls13")   ? MT_REC_MAX_CIPHERTEXT13
                     : str_is(&v, "limit", "tls12") ? MT_REC_MAX_CIPHERTEXT12
                                                    : MT_REC_MAX_PLAINTEXT;
        uint8_t *in = malloc(len + 1);
        mt_record rec;
        memcpy(in, hdr.p, hdr.len);
        memset(in + hdr.len, 0xab, body);
        int want = expect_code(vec_get(&v, "expect"));
        int rc = mt_rec_deframe(mt_slice_of(in, len), max, &rec, &used);
        if (rc != want) fprintf(stderr, "  case: %s\n", vec_get(&v, "name"));
        CHECK_EQ(rc, want);
        CHECK_EQ(used, rc == 0 ? num(&v, "consumed") : 0);
        if (rc == 0) {
            CHECK_EQ(rec.type, hdr.p[0]);
            CHECK_EQ(rec.version, hdr.p[1] << 8 | hdr.p[2]);
            CHECK_EQ(rec.payload.len, used - 5);
            CHECK(rec.payload.p == in + 5);
        }
        /* Whatever deframe decided, a complete header is kept for inspection. */
        if (hdr.len == 5) {
            CHECK_EQ(rec.type, hdr.p[0]);
            CHECK_EQ(rec.length, hdr.p[3] << 8 | hdr.p[4]);
        }
        free(in);
        hold_free();
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 33);
}

/* All RFC 8448 section 3 records as one stream, offered in every prefix length. */
static void test_deframe_stream(void)
{
    vec_file v;
    mt_buf stream = {0};
    size_t ends[16];
    int nrec = 0;
    if (!vec_open(&v, "spec/fixtures/record-rfc8448.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v) && nrec < 16) {
        if (strncmp(vec_get(&v, "name"), "1rtt-", 5) != 0) continue;
        mt_slice r = H(&v, "record");
        CHECK_EQ(mt_buf_append(&stream, r.p, r.len), 0);
        ends[nrec++] = stream.len;
        hold_free();
    }
    vec_close(&v);
    CHECK_EQ(nrec, 9);

    /* Feed the stream one byte at a time, deframing as soon as a record is complete. */
    size_t off = 0, avail;
    int found = 0;
    for (avail = 0; avail <= stream.len; avail++) {
        mt_record rec;
        size_t used;
        int rc = mt_rec_deframe(mt_slice_of(stream.data + off, avail - off),
                                MT_REC_MAX_CIPHERTEXT13, &rec, &used);
        if (found < nrec && avail == ends[found]) {
            CHECK_EQ(rc, 0);
            CHECK_EQ(off + used, ends[found]);
            off += used;
            found++;
        } else {
            CHECK_EQ(rc, MT_ERR_WANT_INPUT);
            CHECK_EQ(used, 0);
        }
    }
    CHECK_EQ(found, nrec);
    mt_buf_free(&stream);
}

static void test_raw_records(void)
{
    const uint8_t body[] = {1, 2, 3};
    mt_buf out = {0};
    mt_record rec, got;
    size_t used;
    memset(&rec, 0, sizeof rec);
    rec.type = 0x42; /* not a content type: a script may still send it */
    rec.version = 0x0304;
    rec.payload = mt_slice_of(body, sizeof body);
    CHECK_EQ(mt_rec_write_raw(&rec, &out), 0);
    CHECK_EQ(out.len, 8);
    CHECK_EQ(mt_rec_deframe(mt_buf_slice(&out), MT_REC_MAX_PLAINTEXT, &got, &used),
             MT_ERR_UNEXPECTED);
    /* The raw header is still there for a test tool to look at. */
    CHECK_EQ(mt_rec_parse_header(mt_buf_slice(&out), &got), 0);
    CHECK_EQ(got.type, 0x42);
    CHECK_EQ(got.version, 0x0304);
    CHECK_EQ(got.length, 3);
    CHECK_EQ(got.payload.len, 3);

    /* A wrong length on purpose. */
    mt_buf_reset(&out);
    rec.type = MT_CT_HANDSHAKE;
    rec.flags = MT_REC_RAW_LENGTH;
    rec.length = 0x4001;
    CHECK_EQ(mt_rec_write_raw(&rec, &out), 0);
    CHECK_EQ(mt_rec_deframe(mt_buf_slice(&out), MT_REC_MAX_PLAINTEXT, &got, &used),
             MT_ERR_OVERFLOW);
    rec.length = 9;
    mt_buf_reset(&out);
    CHECK_EQ(mt_rec_write_raw(&rec, &out), 0);
    CHECK_EQ(mt_rec_deframe(mt_buf_slice(&out), MT_REC_MAX_PLAINTEXT, &got, &used),
             MT_ERR_WANT_INPUT);
    CHECK_EQ(mt_rec_parse_header(mt_slice_of(out.data, 4), &got), MT_ERR_WANT_INPUT);
    mt_buf_free(&out);
}

/* ---- RFC 8448: every record, byte for byte ---- */

static void test_rfc8448_plaintext(void)
{
    vec_file v;
    int n = 0;
    mt_rec_prot p;
    mt_rec_prot_init(&p);
    if (!vec_open(&v, "spec/fixtures/record-rfc8448.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        if (!str_is(&v, "protection", "plaintext")) continue;
        mt_slice want = H(&v, "record"), payload = H(&v, "payload");
        mt_record rec, opened;
        mt_buf out = {0}, plain = {0};
        CHECK_EQ(deframe_one(&p, want, &rec), 0);
        CHECK_EQ(mt_rec_open(&p, &rec, &plain, &opened), 0);
        CHECK_EQ(opened.type, be64(H(&v, "type")));
        CHECK_EQ(opened.payload.len, payload.len);
        CHECK_MEM(opened.payload.p, payload.p, payload.len);
        CHECK_EQ(opened.epoch, 0);
        CHECK_EQ(mt_rec_is_compat_ccs(&opened), opened.type == MT_CT_CHANGE_CIPHER_SPEC);

        mt_rec_prepare(&p, opened.type, payload, &rec);
        rec.version = opened.version; /* 0x0301 for the first ClientHello */
        CHECK_EQ(mt_rec_seal(&p, &rec, &out), 0);
        CHECK_EQ(out.len, want.len);
        CHECK_MEM(out.data, want.p, want.len);
        mt_buf_free(&out);
        mt_buf_free(&plain);
        hold_free();
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 14);
    mt_rec_prot_free(&p);
}

/* Decrypt every protected record with keys installed once per traffic key, so the
 * sequence numbers advance as on a real connection, and re-seal each to the same bytes. */
static void test_rfc8448_protected(void)
{
    vec_file v;
    int n = 0;
    char group[32] = "";
    struct {
        char name[32];
        mt_rec_prot rd, wr;
    } keys[6];
    int nkeys = 0;
    if (!vec_open(&v, "spec/fixtures/record-rfc8448.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        const char *name = vec_get(&v, "name"), *prot = vec_get(&v, "protection");
        /* A new RFC section: new connection, new keys. */
        if (strncmp(name, group, strlen(group)) != 0 || group[0] == 0) {
            for (int i = 0; i < nkeys; i++) {
                mt_rec_prot_free(&keys[i].rd);
                mt_rec_prot_free(&keys[i].wr);
            }
            nkeys = 0;
            snprintf(group, sizeof group, "%.*s", (int)(strrchr(name, '-') - name + 1), name);
        }
        if (strcmp(prot, "plaintext") == 0) continue;
        int k;
        for (k = 0; k < nkeys && strcmp(keys[k].name, prot) != 0; k++) {
        }
        if (k == nkeys) {
            snprintf(keys[k].name, sizeof keys[k].name, "%s", prot);
            mt_rec_prot_init(&keys[k].rd);
            mt_rec_prot_init(&keys[k].wr);
            CHECK_EQ(install_aead13(&keys[k].rd, MT_AEAD_AES128_GCM, H(&v, "key"), H(&v, "iv")), 0);
            CHECK_EQ(install_aead13(&keys[k].wr, MT_AEAD_AES128_GCM, H(&v, "key"), H(&v, "iv")), 0);
            nkeys++;
        }
        mt_slice want = H(&v, "record"), payload = H(&v, "payload");
        uint64_t seq = be64(H(&v, "seq"));
        mt_record rec, opened;
        mt_buf out = {0}, plain = {0};

        CHECK(keys[k].rd.seq == seq);
        CHECK_EQ(deframe_one(&keys[k].rd, want, &rec), 0);
        CHECK_EQ(rec.outer_type, MT_CT_APPLICATION_DATA);
        CHECK_EQ(mt_rec_open(&keys[k].rd, &rec, &plain, &opened), 0);
        CHECK_EQ(opened.type, be64(H(&v, "type")));
        CHECK_EQ(opened.outer_type, MT_CT_APPLICATION_DATA);
        CHECK_EQ(opened.padding, 0);
        CHECK(opened.seq == seq);
        CHECK_EQ(opened.epoch, 1);
        CHECK_EQ(opened.payload.len, payload.len);
        CHECK_MEM(opened.payload.p, payload.p, payload.len);
        CHECK_EQ(plain.len, payload.len);
        CHECK(keys[k].rd.seq == seq + 1);

        CHECK(keys[k].wr.seq == seq);
        mt_rec_prepare(&keys[k].wr, opened.type, payload, &rec);
        CHECK_EQ(mt_rec_seal(&keys[k].wr, &rec, &out), 0);
        CHECK_EQ(out.len, want.len);
        CHECK_MEM(out.data, want.p, want.len);
        mt_buf_free(&out);
        mt_buf_free(&plain);
        hold_free();
        n++;
    }
    for (int i = 0; i < nkeys; i++) {
        mt_rec_prot_free(&keys[i].rd);
        mt_rec_prot_free(&keys[i].wr);
    }
    hold_free();
    vec_close(&v);
    CHECK_EQ(n, 27);
}

/* ---- independently generated vectors ---- */

static void test_tls13_vectors(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/record-tls13.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        mt_rec_prot rd, wr;
        mt_aead_id id = aead_by_name(vec_get(&v, "aead"));
        mt_slice want = H(&v, "record"), payload = H(&v, "payload");
        uint64_t seq = be64(H(&v, "seq"));
        uint8_t type = (uint8_t)be64(H(&v, "type")), outer = (uint8_t)be64(H(&v, "outer_type"));
        mt_record rec, opened;
        mt_buf out = {0}, plain = {0};
        mt_rec_prot_init(&rd);
        mt_rec_prot_init(&wr);
        CHECK_EQ(install_aead13(&rd, id, H(&v, "key"), H(&v, "iv")), 0);
        CHECK_EQ(install_aead13(&wr, id, H(&v, "key"), H(&v, "iv")), 0);
        mt_rec_prot_set_seq(&rd, seq);
        mt_rec_prot_set_seq(&wr, seq);

        mt_rec_prepare(&wr, type, payload, &rec);
        rec.outer_type = outer;
        rec.version = (uint16_t)be64(H(&v, "version"));
        rec.padding = num(&v, "padding");
        CHECK_EQ(mt_rec_seal(&wr, &rec, &out), 0);
        CHECK_EQ(out.len, want.len);
        CHECK_MEM(out.data, want.p, want.len);

        CHECK_EQ(deframe_one(&rd, want, &rec), 0);
        if (outer != MT_CT_APPLICATION_DATA) {
            /* RFC 8446 5.2: a protected record's outer type is application_data. */
            CHECK_EQ(mt_rec_open(&rd, &rec, &plain, &opened), MT_ERR_UNEXPECTED);
            CHECK(rd.seq == seq);
        } else {
            CHECK_EQ(mt_rec_open(&rd, &rec, &plain, &opened), 0);
            CHECK_EQ(opened.type, type);
            CHECK_EQ(opened.padding, num(&v, "padding"));
            CHECK_EQ(opened.payload.len, payload.len);
            CHECK_MEM(opened.payload.p, payload.p, payload.len);
            CHECK(rd.seq == seq + 1);
        }
        mt_buf_free(&out);
        mt_buf_free(&plain);
        mt_rec_prot_free(&rd);
        mt_rec_prot_free(&wr);
        hold_free();
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 6);
}

static void install_tls12_vector(const vec_file *v, mt_rec_prot *p)
{
    mt_rec_keys k;
    memset(&k, 0, sizeof k);
    if (str_is(v, "kind", "cbc")) {
        k.kind = MT_REC_CBC;
        k.mac = hash_by_name(vec_get(v, "mac"));
        k.mac_key = H(v, "mac_key");
        k.etm = (int)num(v, "etm");
        if (vec_get(v, "iv")) k.iv = H(v, "iv");
    } else {
        k.kind = MT_REC_AEAD12;
        k.aead = aead_by_name(vec_get(v, "aead"));
        k.iv = H(v, "iv");
    }
    k.version = (uint16_t)be64(H(v, "version"));
    k.key = H(v, "key");
    CHECK_EQ(mt_rec_prot_install(p, &k), 0);
    mt_rec_prot_set_seq(p, be64(H(v, "seq")));
}

static void test_tls12_vectors(void)
{
    vec_file v;
    int n = 0;
    if (!vec_open(&v, "spec/fixtures/record-tls12.txt")) {
        CHECK(0);
        return;
    }
    while (vec_next(&v)) {
        mt_rec_prot rd, wr;
        uint8_t type = (uint8_t)be64(H(&v, "type"));
        mt_rec_prot_init(&rd);
        mt_rec_prot_init(&wr);
        install_tls12_vector(&v, &rd);
        install_tls12_vector(&v, &wr);
        /* Two records in a row: sequence numbers, TLS 1.0 IV chaining, explicit IVs. */
        for (int i = 1; i <= 2; i++) {
            char kp[16], kr[16], ki[16];
            snprintf(kp, sizeof kp, "payload%d", i);
            snprintf(kr, sizeof kr, "record%d", i);
            snprintf(ki, sizeof ki, "explicit_iv%d", i);
            mt_slice want = H(&v, kr), payload = H(&v, kp);
            mt_record rec, opened;
            mt_buf out = {0}, plain = {0};
            mt_rec_prepare(&wr, type, payload, &rec);
            if (vec_get(&v, ki)) rec.cbc_iv = H(&v, ki).p;
            rec.cbc_pad_extra = (unsigned)num(&v, "pad_extra");
            CHECK_EQ(mt_rec_seal(&wr, &rec, &out), 0);
            CHECK_EQ(out.len, want.len);
            CHECK_MEM(out.data, want.p, want.len < out.len ? want.len : out.len);

            CHECK_EQ(deframe_one(&rd, want, &rec), 0);
            CHECK_EQ(mt_rec_open(&rd, &rec, &plain, &opened), 0);
            CHECK_EQ(opened.type, type);
            CHECK_EQ(opened.payload.len, payload.len);
            if (opened.payload.len == payload.len)
                CHECK_MEM(opened.payload.p, payload.p, payload.len);
            mt_buf_free(&out);
            mt_buf_free(&plain);
        }
        CHECK(rd.seq == be64(H(&v, "seq")) + 2);
        CHECK(wr.seq == rd.seq);
        mt_rec_prot_free(&rd);
        mt_rec_prot_free(&wr);
        hold_free();
        n++;
    }
    vec_close(&v);
    CHECK_EQ(n, 12);
}

/* ---- round trips ---- */

/* Client and server, each with a write and a read side: records both ways, sizes from
 * empty to 2^14, sequence numbers checked on all four sides. */
static void test_roundtrip_all_kinds(void)
{
    static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 1000, 16384};
    uint8_t *data = malloc(16384);
    mt_rng_seeded seed;
    mt_rng rng = mt_rng_seeded_init(&seed, (const uint8_t *)"record", 6);
    fill(data, 16384, 9);
    for (size_t c = 0; c < MT_ARRAY_LEN(configs); c++) {
        mt_rec_prot cw, cr, sw, sr; /* client write/read, server write/read */
        mt_rec_prot *pairs[2][2] = {{&cw, &sr}, {&sw, &cr}};
        mt_rec_prot_init(&cw);
        mt_rec_prot_init(&cr);
        mt_rec_prot_init(&sw);
        mt_rec_prot_init(&sr);
        CHECK_EQ(install_config(&cw, &configs[c], 1, &rng), 0);
        CHECK_EQ(install_config(&sr, &configs[c], 1, &rng), 0);
        CHECK_EQ(install_config(&sw, &configs[c], 2, &rng), 0);
        CHECK_EQ(install_config(&cr, &configs[c], 2, &rng), 0);
        for (size_t i = 0; i < MT_ARRAY_LEN(sizes); i++) {
            for (int dir = 0; dir < 2; dir++) {
                mt_rec_prot *w = pairs[dir][0], *r = pairs[dir][1];
                mt_record rec, opened;
                mt_buf out = {0}, plain = {0};
                uint8_t type = (uint8_t)(i % 2 ? MT_CT_HANDSHAKE : MT_CT_APPLICATION_DATA);
                mt_rec_prepare(w, type, mt_slice_of(data, sizes[i]), &rec);
                CHECK(rec.seq == i);
                CHECK_EQ(mt_rec_seal(w, &rec, &out), 0);
                CHECK_EQ(deframe_one(r, mt_buf_slice(&out), &rec), 0);
                int rc = mt_rec_open(r, &rec, &plain, &opened);
                if (rc)
                    fprintf(stderr, "  config %s size %zu: %d\n", configs[c].name, sizes[i], rc);
                CHECK_EQ(rc, 0);
                CHECK_EQ(opened.type, type);
                CHECK_EQ(opened.payload.len, sizes[i]);
                if (rc == 0) CHECK_MEM(opened.payload.p, data, sizes[i]);
                CHECK(opened.seq == i);
                CHECK(w->seq == i + 1);
                CHECK(r->seq == i + 1);
                mt_buf_free(&out);
                mt_buf_free(&plain);
            }
        }
        /* Keys per direction differ: client records do not open as server records. */
        {
            mt_record rec, opened;
            mt_buf out = {0}, plain = {0};
            mt_rec_prepare(&cw, MT_CT_APPLICATION_DATA, mt_slice_of(data, 32), &rec);
            CHECK_EQ(mt_rec_seal(&cw, &rec, &out), 0);
            CHECK_EQ(deframe_one(&cr, mt_buf_slice(&out), &rec), 0);
            CHECK_EQ(mt_rec_open(&cr, &rec, &plain, &opened), MT_ERR_BAD_MAC);
            CHECK_EQ(plain.len, 0);
            mt_buf_free(&out);
            mt_buf_free(&plain);
        }
        mt_rec_prot_free(&cw);
        mt_rec_prot_free(&cr);
        mt_rec_prot_free(&sw);
        mt_rec_prot_free(&sr);
    }
    mt_rng_seeded_wipe(&seed);
    free(data);
}

/* Every byte of a protected record flipped, and the record reordered or truncated:
 * bad_record_mac each time, nothing appended to plain, sequence number unchanged. */
static void test_tamper(void)
{
    uint8_t data[40];
    mt_rng_seeded seed;
    mt_rng rng = mt_rng_seeded_init(&seed, (const uint8_t *)"tamper", 6);
    fill(data, sizeof data, 3);
    for (size_t c = 0; c < MT_ARRAY_LEN(configs); c++) {
        mt_rec_prot w, r;
        mt_record rec, opened;
        mt_buf out = {0}, plain = {0};
        int bad = 0;
        mt_rec_prot_init(&w);
        mt_rec_prot_init(&r);
        CHECK_EQ(install_config(&w, &configs[c], 5, &rng), 0);
        CHECK_EQ(install_config(&r, &configs[c], 5, &rng), 0);
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, sizeof data), &rec);
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), 0);
        /* Bytes 1-2 (version) are authenticated; 3-4 (length) change the framing. */
        for (size_t i = 1; i < out.len; i++) {
            if (i == 3 || i == 4) continue;
            out.data[i] ^= 0x01;
            CHECK_EQ(mt_rec_parse_header(mt_buf_slice(&out), &rec), 0);
            if (mt_rec_open(&r, &rec, &plain, &opened) != MT_ERR_BAD_MAC) bad++;
            out.data[i] ^= 0x01;
        }
        if (bad) fprintf(stderr, "  config %s: %d flips not refused\n", configs[c].name, bad);
        CHECK_EQ(bad, 0);
        CHECK_EQ(plain.len, 0);
        CHECK(r.seq == 0);
        /* Truncated by one byte, and down to a few bytes. */
        CHECK_EQ(mt_rec_parse_header(mt_buf_slice(&out), &rec), 0);
        rec.payload.len -= 1;
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
        rec.payload.len = 3;
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
        /* Opened at the wrong sequence number (a replay or a dropped record). */
        mt_rec_prot_set_seq(&r, 1);
        CHECK_EQ(mt_rec_parse_header(mt_buf_slice(&out), &rec), 0);
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
        /* The genuine record still opens at the right number - except in TLS 1.0, whose
         * implicit IV chain moved on with the failed records (fatal there anyway). */
        mt_rec_prot_set_seq(&r, 0);
        if (configs[c].version != MT_TLS10) {
            CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), 0);
            CHECK_EQ(opened.payload.len, sizeof data);
        }
        mt_buf_free(&out);
        mt_buf_free(&plain);
        mt_rec_prot_free(&w);
        mt_rec_prot_free(&r);
    }
    mt_rng_seeded_wipe(&seed);
}

/* ---- TLS 1.3 inner plaintext rules ---- */

static int seal_then_open(mt_rec_prot *w, mt_rec_prot *r, const mt_record *rec, mt_record *opened,
                          mt_buf *plain)
{
    mt_buf out = {0};
    mt_record got;
    int rc = mt_rec_seal(w, rec, &out);
    if (rc == 0) rc = deframe_one(r, mt_buf_slice(&out), &got);
    if (rc == 0) rc = mt_rec_open(r, &got, plain, opened);
    mt_buf_free(&out);
    return rc;
}

static void test_tls13_inner(void)
{
    uint8_t *data = calloc(1, 16385);
    mt_rec_prot w, r;
    mt_record rec, opened;
    mt_buf plain = {0};
    mt_rec_prot_init(&w);
    mt_rec_prot_init(&r);
    CHECK_EQ(install_config(&w, &configs[0], 7, NULL), 0);
    CHECK_EQ(install_config(&r, &configs[0], 7, NULL), 0);

    /* RFC 8446 5.4: no non-zero octet at all -> unexpected_message. */
    mt_rec_prepare(&w, 0, mt_slice_of(data, 0), &rec);
    rec.padding = 20;
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_UNEXPECTED);
    CHECK_EQ(plain.len, 0);
    mt_rec_prot_set_seq(&r, w.seq);
    /* Zero content with a real type: an empty record is fine (RFC 8446 5.1 allows empty
     * application data), and the padding is reported. */
    mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 0), &rec);
    rec.padding = 100;
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), 0);
    CHECK_EQ(opened.type, MT_CT_APPLICATION_DATA);
    CHECK_EQ(opened.payload.len, 0);
    CHECK_EQ(opened.padding, 100);
    /* Content ending in zero bytes: only the padding goes. */
    mt_rec_prepare(&w, MT_CT_HANDSHAKE, mt_slice_of(data, 10), &rec);
    rec.padding = 3;
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), 0);
    CHECK_EQ(opened.payload.len, 10);
    CHECK_EQ(opened.padding, 3);
    /* RFC 8446 5: a protected change_cipher_spec is unexpected_message. */
    mt_rec_prepare(&w, MT_CT_CHANGE_CIPHER_SPEC, mt_slice_of("\x01", 1), &rec);
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_UNEXPECTED);
    mt_rec_prot_set_seq(&r, w.seq);
    /* An unknown inner type too. */
    mt_rec_prepare(&w, 25, mt_slice_of("x", 1), &rec);
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_UNEXPECTED);
    mt_rec_prot_set_seq(&r, w.seq);
    /* RFC 8446 5.4: TLSInnerPlaintext up to 2^14 + 1 octets, no more. */
    mt_buf_free(&plain);
    mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 16384), &rec);
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), 0);
    CHECK_EQ(opened.payload.len, 16384);
    mt_buf_free(&plain);
    rec.padding = 1;
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_OVERFLOW);
    mt_rec_prot_set_seq(&r, w.seq);
    mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 16385), &rec);
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_OVERFLOW);
    mt_rec_prot_set_seq(&r, w.seq);
    /* Padding that pushes the ciphertext past 2^14 + 256 is refused by deframe. */
    mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 16000), &rec);
    rec.padding = 625; /* 16000 + 1 + 625 + 16 = 16642 */
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_OVERFLOW);
    CHECK(r.seq == w.seq - 1);
    mt_rec_prot_set_seq(&r, w.seq);
    /* RFC 8449 4: a lowered record_size_limit (here 1000: content + type <= 1000). */
    r.max_plaintext = 999;
    mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 999), &rec);
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), 0);
    mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 998), &rec);
    rec.padding = 2;
    CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_OVERFLOW);
    /* Too long for the 16-bit length field at all: refused before anything is written. */
    {
        mt_buf out = {0};
        rec.padding = 0xFFFF;
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), MT_ERR_LIMIT);
        CHECK_EQ(out.len, 0);
        mt_buf_free(&out);
    }
    /* Knobs: outer type and version go into the header and the additional data. */
    {
        mt_buf out = {0};
        mt_rec_prot_set_seq(&r, w.seq);
        mt_rec_prepare(&w, MT_CT_ALERT, mt_slice_of("\x01\x00", 2), &rec);
        rec.version = 0x0301;
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), 0);
        CHECK_EQ(out.data[1], 0x03);
        CHECK_EQ(out.data[2], 0x01);
        out.data[2] = 0x03; /* the peer's AAD no longer matches */
        CHECK_EQ(mt_rec_parse_header(mt_buf_slice(&out), &rec), 0);
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
        out.data[2] = 0x01;
        CHECK_EQ(mt_rec_parse_header(mt_buf_slice(&out), &rec), 0);
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), 0);
        CHECK_EQ(opened.version, 0x0301);
        CHECK_EQ(opened.type, MT_CT_ALERT);
        mt_buf_free(&out);
    }
    /* A wrong length field written on purpose, and its AAD follows it. */
    {
        mt_buf out = {0};
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 8), &rec);
        rec.flags = MT_REC_RAW_LENGTH;
        rec.length = 7;
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), 0);
        CHECK_EQ(out.len, 5 + 8 + 1 + 16);
        CHECK_EQ(out.data[3] << 8 | out.data[4], 7);
        mt_buf_free(&out);
    }
    mt_buf_free(&plain);
    mt_rec_prot_free(&w);
    mt_rec_prot_free(&r);
    free(data);
}

static void test_tls12_limits(void)
{
    uint8_t *data = calloc(1, 16385);
    mt_rng_seeded seed;
    mt_rng rng = mt_rng_seeded_init(&seed, (const uint8_t *)"limits", 6);
    for (size_t c = 3; c < MT_ARRAY_LEN(configs); c++) {
        mt_rec_prot w, r;
        mt_record rec, opened;
        mt_buf plain = {0};
        mt_rec_prot_init(&w);
        mt_rec_prot_init(&r);
        CHECK_EQ(install_config(&w, &configs[c], 8, &rng), 0);
        CHECK_EQ(install_config(&r, &configs[c], 8, &rng), 0);
        /* RFC 5246 6.2.1: at most 2^14 plaintext bytes; 2^14 + 1 is record_overflow. */
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 16384), &rec);
        CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), 0);
        mt_buf_free(&plain);
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 16385), &rec);
        CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_OVERFLOW);
        CHECK_EQ(plain.len, 0);
        /* Padding exists only in TLS 1.3. */
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 1), &rec);
        rec.padding = 1;
        CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), MT_ERR_BAD_PARAM);
        mt_buf_free(&plain);
        mt_rec_prot_free(&w);
        mt_rec_prot_free(&r);
    }
    /* CBC: a fragment that is not a whole number of blocks is bad_record_mac
     * (RFC 5246 7.2.2), as is one too short for IV and MAC. */
    {
        mt_rec_prot w, r;
        mt_record rec, opened;
        mt_buf out = {0}, plain = {0};
        mt_rec_prot_init(&w);
        mt_rec_prot_init(&r);
        CHECK_EQ(install_config(&w, &configs[9], 8, &rng), 0);
        CHECK_EQ(install_config(&r, &configs[9], 8, &rng), 0);
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, 100), &rec);
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), 0);
        CHECK_EQ(mt_rec_parse_header(mt_buf_slice(&out), &rec), 0);
        rec.payload.len -= 5;
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
        rec.payload.len = 32;
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
        rec.payload.len = 0;
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
        CHECK(r.seq == 0);
        mt_buf_free(&out);
        mt_buf_free(&plain);
        mt_rec_prot_free(&w);
        mt_rec_prot_free(&r);
    }
    mt_rng_seeded_wipe(&seed);
    free(data);
}

/* ---- sequence numbers and key changes ---- */

static void test_seq_exhaustion(void)
{
    for (size_t c = 0; c < MT_ARRAY_LEN(configs); c++) {
        mt_rng_seeded seed;
        mt_rng rng = mt_rng_seeded_init(&seed, (const uint8_t *)"seq", 3);
        mt_rec_prot w, r;
        mt_record rec, opened;
        mt_buf out = {0}, plain = {0};
        mt_rec_prot_init(&w);
        mt_rec_prot_init(&r);
        CHECK_EQ(install_config(&w, &configs[c], 9, &rng), 0);
        CHECK_EQ(install_config(&r, &configs[c], 9, &rng), 0);
        mt_rec_prot_set_seq(&w, UINT64_MAX - 1);
        mt_rec_prot_set_seq(&r, UINT64_MAX - 1);
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of("last", 4), &rec);
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), 0);
        size_t len = out.len;
        /* RFC 8446 5.3: the next one would need the last value, then a wrap: refused. */
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), MT_ERR_LIMIT);
        CHECK_EQ(out.len, len);
        CHECK(w.seq == UINT64_MAX);
        CHECK_EQ(deframe_one(&r, mt_buf_slice(&out), &rec), 0);
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), 0);
        CHECK(opened.seq == UINT64_MAX - 1);
        CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_LIMIT);
        /* A key change starts over. */
        CHECK_EQ(install_config(&w, &configs[c], 10, &rng), 0);
        CHECK(w.seq == 0);
        mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of("next", 4), &rec);
        CHECK_EQ(mt_rec_seal(&w, &rec, &out), 0);
        mt_buf_free(&out);
        mt_buf_free(&plain);
        mt_rec_prot_free(&w);
        mt_rec_prot_free(&r);
        mt_rng_seeded_wipe(&seed);
    }
}

static void test_key_change(void)
{
    mt_rec_prot w, r;
    mt_record rec, opened;
    mt_buf out = {0}, plain = {0};
    mt_rec_prot_init(&w);
    mt_rec_prot_init(&r);
    CHECK_EQ(w.epoch, 0);
    CHECK_EQ(mt_rec_max_wire_len(&w), MT_REC_MAX_PLAINTEXT);
    CHECK_EQ(install_config(&w, &configs[0], 1, NULL), 0);
    CHECK_EQ(install_config(&r, &configs[0], 1, NULL), 0);
    CHECK_EQ(w.epoch, 1);
    CHECK_EQ(w.record_version, MT_TLS12);
    CHECK_EQ(mt_rec_max_wire_len(&w), MT_REC_MAX_CIPHERTEXT13);
    for (int i = 0; i < 3; i++) {
        mt_rec_prepare(&w, MT_CT_HANDSHAKE, mt_slice_of("abc", 3), &rec);
        CHECK_EQ(seal_then_open(&w, &r, &rec, &opened, &plain), 0);
    }
    CHECK(w.seq == 3);
    /* KeyUpdate (RFC 8446 4.6.3): new keys, epoch + 1, sequence number 0. */
    CHECK_EQ(install_config(&w, &configs[0], 2, NULL), 0);
    CHECK_EQ(w.epoch, 2);
    CHECK(w.seq == 0);
    mt_rec_prepare(&w, MT_CT_APPLICATION_DATA, mt_slice_of("new", 3), &rec);
    CHECK_EQ(rec.epoch, 2);
    CHECK_EQ(mt_rec_seal(&w, &rec, &out), 0);
    /* The reader still on the old keys (even at seq 0) refuses it. */
    mt_rec_prot_set_seq(&r, 0);
    CHECK_EQ(deframe_one(&r, mt_buf_slice(&out), &rec), 0);
    CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), MT_ERR_BAD_MAC);
    CHECK_EQ(install_config(&r, &configs[0], 2, NULL), 0);
    CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), 0);
    CHECK_EQ(opened.epoch, 2);
    /* Switching to TLS 1.2 limits and back to null protection. */
    CHECK_EQ(install_config(&r, &configs[3], 1, NULL), 0);
    CHECK_EQ(mt_rec_max_wire_len(&r), MT_REC_MAX_CIPHERTEXT12);
    {
        mt_rec_keys k;
        memset(&k, 0, sizeof k);
        CHECK_EQ(mt_rec_prot_install(&r, &k), 0);
        CHECK_EQ(r.kind, MT_REC_NULL);
        CHECK_EQ(r.epoch, 4);
        CHECK(r.aead == NULL);
    }
    mt_buf_free(&out);
    mt_buf_free(&plain);
    mt_rec_prot_free(&w);
    mt_rec_prot_free(&r);
    CHECK_EQ(w.epoch, 0);
    CHECK(w.aead == NULL && w.cbc == NULL);
}

static void test_install_bad_params(void)
{
    uint8_t key[32] = {1}, iv[16] = {2};
    mt_rec_prot p;
    mt_rec_keys k;
    mt_rec_prot_init(&p);
    CHECK_EQ(install_config(&p, &configs[0], 1, NULL), 0);
    memset(&k, 0, sizeof k);
    k.kind = MT_REC_AEAD13;
    k.version = MT_TLS13;
    k.aead = MT_AEAD_AES128_GCM;
    k.key = mt_slice_of(key, 15);
    k.iv = mt_slice_of(iv, 12);
    CHECK_EQ(mt_rec_prot_install(&p, &k), MT_ERR_BAD_PARAM); /* key length */
    k.key = mt_slice_of(key, 16);
    k.iv = mt_slice_of(iv, 4);
    CHECK_EQ(mt_rec_prot_install(&p, &k), MT_ERR_BAD_PARAM); /* 1.3 needs a 12-byte IV */
    k.iv = mt_slice_of(iv, 12);
    k.version = MT_TLS12;
    CHECK_EQ(mt_rec_prot_install(&p, &k), MT_ERR_BAD_PARAM); /* kind/version mismatch */
    k.kind = MT_REC_AEAD12;
    CHECK_EQ(mt_rec_prot_install(&p, &k), MT_ERR_BAD_PARAM); /* GCM 1.2: 4-byte salt */
    k.kind = MT_REC_CBC;
    k.mac = MT_HASH_SHA256;
    k.mac_key = mt_slice_of(key, 20);
    k.iv = mt_slice_of(iv, 0);
    CHECK_EQ(mt_rec_prot_install(&p, &k), MT_ERR_BAD_PARAM); /* MAC key length */
    k.mac_key = mt_slice_of(key, 32);
    k.version = MT_TLS10;
    CHECK_EQ(mt_rec_prot_install(&p, &k), MT_ERR_BAD_PARAM); /* 1.0 needs the IV */
    k.kind = 77;
    CHECK_EQ(mt_rec_prot_install(&p, &k), MT_ERR_BAD_PARAM);
    /* Nothing changed: still epoch 1 with working keys. */
    CHECK_EQ(p.epoch, 1);
    CHECK_EQ(p.kind, MT_REC_AEAD13);
    CHECK(p.aead != NULL);
    mt_rec_prot_free(&p);
}

/* ---- fragmentation ---- */

static void test_fragment(void)
{
    size_t total = 40000;
    uint8_t *data = malloc(total);
    mt_rec_prot p;
    mt_rec_frag f;
    mt_record rec;
    size_t got, nrec;
    fill(data, total, 1);
    mt_rec_prot_init(&p);

    static const struct {
        size_t max, want_records, last;
    } cases[] = {
        {0, 3, 40000 - 2 * 16384}, {16384, 3, 40000 - 2 * 16384},
        {1000, 40, 1000},          {512, 79, 40000 - 78 * 512},
        {65535, 1, 40000},
    };
    for (size_t c = 0; c < MT_ARRAY_LEN(cases); c++) {
        CHECK_EQ(mt_rec_frag_init(&f, MT_CT_HANDSHAKE, mt_slice_of(data, total), cases[c].max), 0);
        got = 0;
        nrec = 0;
        while (mt_rec_frag_next(&f, &p, &rec)) {
            CHECK(rec.payload.p == data + got);
            CHECK_EQ(rec.type, MT_CT_HANDSHAKE);
            CHECK_EQ(rec.version, MT_TLS12);
            got += rec.payload.len;
            nrec++;
        }
        CHECK_EQ(got, total);
        CHECK_EQ(nrec, cases[c].want_records);
        CHECK_EQ(rec.payload.len, cases[c].last);
    }
    /* One byte per record. */
    CHECK_EQ(mt_rec_frag_init(&f, MT_CT_APPLICATION_DATA, mt_slice_of(data, 5), 1), 0);
    for (nrec = 0; mt_rec_frag_next(&f, &p, &rec); nrec++)
        CHECK_EQ(rec.payload.len, 1);
    CHECK_EQ(nrec, 5);
    /* Empty stream: no record. Too large a maximum for the length field: refused. */
    CHECK_EQ(mt_rec_frag_init(&f, MT_CT_APPLICATION_DATA, mt_slice_of(data, 0), 0), 0);
    CHECK_EQ(mt_rec_frag_next(&f, &p, &rec), 0);
    CHECK_EQ(mt_rec_frag_init(&f, MT_CT_APPLICATION_DATA, mt_slice_of(data, 1), 65536),
             MT_ERR_BAD_PARAM);

    /* mt_rec_send under TLS 1.3 keys with a peer's record_size_limit: every record
     * deframes, opens in order, and the content comes back whole. */
    {
        mt_rec_prot w, r;
        mt_buf out = {0}, plain = {0};
        mt_slice in;
        size_t used;
        mt_rec_prot_init(&w);
        mt_rec_prot_init(&r);
        CHECK_EQ(install_config(&w, &configs[2], 3, NULL), 0);
        CHECK_EQ(install_config(&r, &configs[2], 3, NULL), 0);
        w.max_plaintext = 4095;
        CHECK_EQ(mt_rec_send(&w, MT_CT_APPLICATION_DATA, mt_slice_of(data, total), 0, &out), 0);
        CHECK(w.seq == 10);
        in = mt_buf_slice(&out);
        nrec = 0;
        while (in.len) {
            mt_record opened;
            if (mt_rec_deframe(in, mt_rec_max_wire_len(&r), &rec, &used) != 0) break;
            /* Full records carry 4095 bytes + type + tag; only the last is shorter. */
            CHECK_EQ(rec.length, nrec < 9 ? 4095 + 1 + 16 : total - 9 * 4095 + 1 + 16);
            CHECK_EQ(mt_rec_open(&r, &rec, &plain, &opened), 0);
            in = mt_slice_of(in.p + used, in.len - used);
            nrec++;
        }
        CHECK_EQ(in.len, 0);
        CHECK_EQ(nrec, 10);
        CHECK_EQ(plain.len, total);
        CHECK_MEM(plain.data, data, total);
        mt_buf_free(&out);
        mt_buf_free(&plain);
        mt_rec_prot_free(&w);
        mt_rec_prot_free(&r);
    }
    mt_rec_prot_free(&p);
    free(data);
}

/* ---- reassembly ---- */

/* The server's encrypted handshake flight of RFC 8448 section 3: EncryptedExtensions,
 * Certificate, CertificateVerify, Finished in one record. */
static mt_slice rfc8448_flight(uint8_t **owned)
{
    vec_file v;
    size_t n = 0;
    *owned = NULL;
    if (!vec_open(&v, "spec/fixtures/record-rfc8448.txt")) return mt_slice_of(NULL, 0);
    while (vec_next(&v)) {
        if (strcmp(vec_get(&v, "name"), "1rtt-2") == 0) {
            *owned = vec_hex(&v, "payload", &n);
            break;
        }
    }
    vec_close(&v);
    return mt_slice_of(*owned, n);
}

/* Feed `flight` cut into pieces of `step` bytes, draining messages as they complete. */
static int reasm_split(mt_slice flight, size_t step, mt_slice *msgs, uint8_t *types, int max)
{
    mt_reasm r;
    mt_buf copy = {0};
    int n = 0;
    mt_reasm_init(&r);
    for (size_t off = 0; off < flight.len; off += step) {
        size_t len = flight.len - off < step ? flight.len - off : step;
        mt_slice m;
        if (mt_reasm_feed(&r, mt_slice_of(flight.p + off, len), 1) != 0) break;
        while (mt_reasm_next(&r, &m) == 0 && n < max) {
            types[n] = m.p[0];
            msgs[n].len = m.len;
            /* Remember where the message sits in the flight to compare later. */
            msgs[n].p = flight.p + copy.len;
            if (memcmp(m.p, flight.p + copy.len, m.len) != 0) return -1;
            mt_buf_append(&copy, m.p, m.len);
            n++;
        }
    }
    if (mt_reasm_pending(&r) != 0 || r.buf.cap != 0) n = -2;
    if (copy.len != flight.len) n = -3;
    mt_buf_free(&copy);
    mt_reasm_free(&r);
    return n;
}

static void test_reasm_rfc8448(void)
{
    uint8_t *owned;
    mt_slice flight = rfc8448_flight(&owned), msgs[8];
    uint8_t types[8];
    static const size_t steps[] = {1, 2, 3, 4, 5, 7, 100, 1000, 4096};
    CHECK_EQ(flight.len, 657);
    /* Several messages in one record. */
    CHECK_EQ(reasm_split(flight, flight.len, msgs, types, 8), 4);
    CHECK_EQ(types[0], 8);
    CHECK_EQ(types[1], 11);
    CHECK_EQ(types[2], 15);
    CHECK_EQ(types[3], 20);
    CHECK_EQ(msgs[3].len, 36);
    /* The same flight across 1-byte records and other cuts. */
    for (size_t i = 0; i < MT_ARRAY_LEN(steps); i++) {
        uint8_t t2[8];
        mt_slice m2[8];
        CHECK_EQ(reasm_split(flight, steps[i], m2, t2, 8), 4);
        CHECK_MEM(t2, types, 4);
        for (int k = 0; k < 4; k++)
            CHECK_EQ(m2[k].len, msgs[k].len);
    }
    free(owned);
}

static void test_reasm_states(void)
{
    uint8_t *owned;
    mt_slice flight = rfc8448_flight(&owned), m;
    mt_reasm r;
    mt_reasm_init(&r);
    CHECK_EQ(mt_reasm_next(&r, &m), MT_ERR_WANT_INPUT);
    CHECK_EQ(mt_reasm_check_key_change(&r), 0);
    /* Half a header: pending, and a key change now would split a message. */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of(flight.p, 2), 1), 0);
    CHECK_EQ(mt_reasm_pending(&r), 2);
    CHECK_EQ(mt_reasm_next(&r, &m), MT_ERR_WANT_INPUT);
    CHECK_EQ(mt_reasm_check_key_change(&r), MT_ERR_UNEXPECTED);
    /* Complete the first message and the start of the second. */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of(flight.p + 2, 42), 1), 0);
    CHECK_EQ(mt_reasm_next(&r, &m), 0);
    CHECK_EQ(m.len, 40); /* EncryptedExtensions: 4-byte header, 0x24 bytes of body */
    CHECK_EQ(m.p[0], 8);
    CHECK_MEM(m.p, flight.p, 40);
    CHECK_EQ(mt_reasm_pending(&r), 4);
    CHECK_EQ(mt_reasm_check_key_change(&r), MT_ERR_UNEXPECTED);
    CHECK_EQ(mt_reasm_next(&r, &m), MT_ERR_WANT_INPUT);
    /* Feed the rest: three whole messages not yet taken still count as pending. */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of(flight.p + 44, flight.len - 44), 1), 0);
    CHECK_EQ(mt_reasm_pending(&r), flight.len - 40);
    CHECK_EQ(mt_reasm_check_key_change(&r), MT_ERR_UNEXPECTED);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(mt_reasm_next(&r, &m), 0);
    CHECK_EQ(m.p[0], 20);
    CHECK_EQ(mt_reasm_pending(&r), 0);
    CHECK_EQ(mt_reasm_check_key_change(&r), 0);
    /* Drained: the buffer is released (an idle connection holds nothing here). */
    CHECK_EQ(mt_reasm_next(&r, &m), MT_ERR_WANT_INPUT);
    CHECK(r.buf.data == NULL);
    CHECK_EQ(r.buf.cap, 0);

    /* RFC 8446 5.1: no zero-length handshake fragments in TLS 1.3; TLS 1.2 tolerates. */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of(NULL, 0), 1), MT_ERR_UNEXPECTED);
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of(NULL, 0), 0), 0);
    CHECK_EQ(mt_reasm_pending(&r), 0);
    /* A zero-length message body is a whole message (ServerHelloDone, EndOfEarlyData). */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of("\x0e\x00\x00\x00", 4), 0), 0);
    CHECK_EQ(mt_reasm_next(&r, &m), 0);
    CHECK_EQ(m.len, 4);
    CHECK_EQ(mt_reasm_next(&r, &m), MT_ERR_WANT_INPUT);
    mt_reasm_free(&r);
    free(owned);
}

static void test_reasm_cap(void)
{
    mt_reasm r;
    mt_slice m;
    uint8_t *big = calloc(1, 4 + 70000);
    mt_reasm_init(&r);
    /* 64 KiB body: accepted. 64 KiB + 1: refused as soon as the header is complete. */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of("\x01\x01\x00\x00", 4), 1), 0);
    mt_reasm_free(&r);
    mt_reasm_init(&r);
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of("\x01\x01", 2), 1), 0);
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of("\x00\x01", 2), 1), MT_ERR_ILLEGAL_PARAM);
    mt_reasm_free(&r);
    /* The largest u24 length: refused without buffering 16 MiB. */
    mt_reasm_init(&r);
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of("\x0b\xff\xff\xff", 4), 1), MT_ERR_ILLEGAL_PARAM);
    CHECK(r.buf.cap < 1024);
    mt_reasm_free(&r);
    /* The engine raises the cap for Certificate only. */
    mt_reasm_init(&r);
    CHECK_EQ(mt_reasm_set_max(&r, 11, 70000), 0);
    big[0] = 11;
    big[1] = 0x01;
    big[2] = 0x11;
    big[3] = 0x70; /* 70000 = 0x011170 */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of(big, 4 + 70000), 1), 0);
    CHECK_EQ(mt_reasm_next(&r, &m), 0);
    CHECK_EQ(m.len, 70004);
    big[0] = 8; /* another type keeps the default cap */
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of(big, 4), 1), MT_ERR_ILLEGAL_PARAM);
    mt_reasm_free(&r);
    /* A second message in the same record over its cap: found by next. */
    mt_reasm_init(&r);
    CHECK_EQ(mt_reasm_feed(&r, mt_slice_of("\x14\x00\x00\x01\xaa\x0b\x10\x00\x00", 9), 1), 0);
    CHECK_EQ(mt_reasm_next(&r, &m), 0);
    CHECK_EQ(mt_reasm_next(&r, &m), MT_ERR_ILLEGAL_PARAM);
    mt_reasm_free(&r);
    /* Override slots: re-setting a type reuses its slot; a fifth type does not fit. */
    mt_reasm_init(&r);
    for (int t = 0; t < 4; t++)
        CHECK_EQ(mt_reasm_set_max(&r, (uint8_t)t, 10), 0);
    CHECK_EQ(mt_reasm_set_max(&r, 2, 20), 0);
    CHECK_EQ(mt_reasm_set_max(&r, 9, 10), MT_ERR_LIMIT);
    CHECK_EQ(mt_reasm_set_max(&r, 2, 1 << 24), MT_ERR_BAD_PARAM);
    mt_reasm_free(&r);
    free(big);
}

int main(void)
{
    RUN(test_deframe_vectors);
    RUN(test_deframe_stream);
    RUN(test_raw_records);
    RUN(test_rfc8448_plaintext);
    RUN(test_rfc8448_protected);
    RUN(test_tls13_vectors);
    RUN(test_tls12_vectors);
    RUN(test_roundtrip_all_kinds);
    RUN(test_tamper);
    RUN(test_tls13_inner);
    RUN(test_tls12_limits);
    RUN(test_seq_exhaustion);
    RUN(test_key_change);
    RUN(test_install_bad_params);
    RUN(test_fragment);
    RUN(test_reasm_rfc8448);
    RUN(test_reasm_states);
    RUN(test_reasm_cap);
    return test_summary();
}
