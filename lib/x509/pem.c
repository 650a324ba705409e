/*
 * pem.c - PEM blocks and base64. See pem.h for the contracts.
 *
 * Notes:
 * - The input is walked one line at a time through an mt_reader; a line is the bytes
 *   before '\n', with a trailing '\r' and trailing blanks dropped (RFC 7468 section 2:
 *   parsers MUST handle different newline conventions).
 * - The base64 decoder is a small state machine fed one character at a time, so the
 *   lines of a block are decoded as they are read, with no intermediate copy.
 */
#include "pem.h"
#include "../internal.h"

static const char BEGIN[] = "-----BEGIN ";
static const char END[] = "-----END ";
static const char DASHES[] = "-----";

/* ---- base64 ---- */

typedef struct b64 {
    uint8_t v[4]; /* symbol values of the current quantum */
    unsigned n;   /* symbols in the current quantum, padding included */
    unsigned pad; /* '=' seen in the current quantum */
    int done;     /* a padded quantum ended the data */
} b64;

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int b64_feed(b64 *s, uint8_t c, mt_buf *out)
{
    if (is_blank(c)) return 0;
    /* RFC 4648 3.3: characters outside the alphabet are rejected, and padding ends the
     * data (nothing may follow it). */
    MT_ENSURE(!s->done, MT_ERR_DECODE);
    if (c == '=') {
        /* Padding only in the last two positions of a quantum (RFC 4648 4). */
        MT_ENSURE(s->n >= 2, MT_ERR_DECODE);
        s->pad++;
        s->v[s->n++] = 0;
    } else {
        int v = b64_value(c);
        MT_ENSURE(v >= 0 && s->pad == 0, MT_ERR_DECODE);
        s->v[s->n++] = (uint8_t)v;
    }
    if (s->n < 4) return 0;
    uint8_t bytes[3] = {(uint8_t)(s->v[0] << 2 | s->v[1] >> 4),
                        (uint8_t)(s->v[1] << 4 | s->v[2] >> 2), (uint8_t)(s->v[2] << 6 | s->v[3])};
    /* RFC 4648 3.5: the pad bits of the last symbol must be zero (canonical encoding). */
    if (s->pad == 1) MT_ENSURE((s->v[2] & 0x03) == 0, MT_ERR_DECODE);
    if (s->pad == 2) MT_ENSURE((s->v[1] & 0x0F) == 0, MT_ERR_DECODE);
    int rc = mt_buf_append(out, bytes, 3 - s->pad);
    mt_wipe(bytes, sizeof bytes);
    MT_TRY(rc);
    s->done = s->pad > 0;
    s->n = 0;
    s->pad = 0;
    return 0;
}

static int b64_finish(const b64 *s)
{
    /* RFC 4648 4: the encoded data is a whole number of 4-character quanta. */
    MT_ENSURE(s->n == 0, MT_ERR_DECODE);
    return 0;
}

int mt_base64_decode(const uint8_t *in, size_t len, mt_buf *out)
{
    b64 s = {{0}, 0, 0, 0};
    size_t old = out->len;
    int rc = 0;
    mt_reader r;
    mt_rd_init(&r, in, len);
    while (mt_rd_left(&r) > 0) {
        uint8_t c;
        MT_TRY_GOTO(mt_rd_u8(&r, &c));
        MT_TRY_GOTO(b64_feed(&s, c, out));
    }
    MT_TRY_GOTO(b64_finish(&s));
out:
    mt_wipe(&s, sizeof s);
    if (rc && out->len > old) {
        mt_wipe(out->data + old, out->len - old);
        out->len = old;
    }
    return rc;
}

/* ---- lines ---- */

/* Borrow the next line (without its terminator and trailing blanks). */
static void next_line(mt_reader *r, mt_slice *line)
{
    mt_reader peek = *r;
    mt_slice rest = mt_rd_rest(&peek);
    size_t n = 0;
    while (n < rest.len && rest.p[n] != '\n')
        n++;
    mt_rd_bytes(r, n, line); /* n <= left: cannot fail */
    if (mt_rd_left(r) > 0) {
        uint8_t nl;
        mt_rd_u8(r, &nl);
    }
    while (line->len > 0 && is_blank(line->p[line->len - 1]))
        line->len--;
}

static int starts_with(mt_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

/* If the line is "<prefix>label-----", copy the label to out (NUL-terminated) and return
 * 0; MT_ERR_DECODE if the label is not one RFC 7468 section 3 allows. */
static int boundary_label(mt_slice line, const char *prefix, char out[MT_PEM_LABEL_MAX])
{
    size_t p = strlen(prefix), d = strlen(DASHES);
    MT_ENSURE(line.len >= p + d && memcmp(line.p + line.len - d, DASHES, d) == 0, MT_ERR_DECODE);
    size_t n = line.len - p - d;
    MT_ENSURE(n < MT_PEM_LABEL_MAX, MT_ERR_DECODE);
    /* RFC 7468 3: label = [ labelchar *( ["-" / SP] labelchar ) ], labelchar = %x21-2C /
     * %x2E-7E: printable, no leading, trailing or doubled '-' or space. */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = line.p[p + i];
        int sep = c == '-' || c == ' ';
        MT_ENSURE(sep || (c >= 0x21 && c <= 0x7E), MT_ERR_DECODE);
        MT_ENSURE(!(sep && (i == 0 || i + 1 == n)), MT_ERR_DECODE);
        MT_ENSURE(!(sep && (line.p[p + i - 1] == '-' || line.p[p + i - 1] == ' ')), MT_ERR_DECODE);
        out[i] = (char)c;
    }
    out[n] = 0;
    return 0;
}

void mt_pem_block_init(mt_pem_block *b)
{
    b->label[0] = 0;
    mt_buf_init(&b->der);
}

void mt_pem_block_free(mt_pem_block *b)
{
    if (!b) return;
    mt_buf_free(&b->der);
    b->label[0] = 0;
}

int mt_pem_next(const uint8_t *in, size_t len, size_t *off, mt_pem_block *out)
{
    MT_ENSURE(*off <= len, MT_ERR_BAD_PARAM);
    mt_reader r;
    mt_rd_init(&r, in, len);
    mt_slice skip, line;
    MT_TRY(mt_rd_bytes(&r, *off, &skip));

    /* Skip explanatory text up to the first BEGIN line. */
    char label[MT_PEM_LABEL_MAX], end_label[MT_PEM_LABEL_MAX];
    for (;;) {
        if (mt_rd_left(&r) == 0) return MT_ERR_NOT_FOUND;
        next_line(&r, &line);
        if (starts_with(line, BEGIN)) break;
    }
    MT_TRY(boundary_label(line, BEGIN, label));

    b64 s = {{0}, 0, 0, 0};
    int rc = 0;
    mt_buf_reset(&out->der);
    for (;;) {
        MT_ENSURE_GOTO(mt_rd_left(&r) > 0, MT_ERR_DECODE); /* no END line */
        next_line(&r, &line);
        if (starts_with(line, END)) break;
        /* RFC 1421 4.6 encapsulated headers ("Proc-Type: 4,ENCRYPTED") are not part of
         * RFC 7468; they mark the legacy encrypted key format, which is unsupported. */
        for (size_t i = 0; i < line.len; i++)
            MT_ENSURE_GOTO(line.p[i] != ':', MT_ERR_UNSUPPORTED);
        for (size_t i = 0; i < line.len; i++)
            MT_TRY_GOTO(b64_feed(&s, line.p[i], &out->der));
    }
    MT_TRY_GOTO(b64_finish(&s));
    /* RFC 7468 2: the END label must match the BEGIN label. */
    MT_TRY_GOTO(boundary_label(line, END, end_label));
    MT_ENSURE_GOTO(strcmp(label, end_label) == 0, MT_ERR_DECODE);
    memcpy(out->label, label, sizeof label);
    *off = mt_rd_pos(&r);
out:
    mt_wipe(&s, sizeof s);
    if (rc) mt_buf_reset(&out->der);
    return rc;
}

int mt_pem_detect(const uint8_t *in, size_t len)
{
    mt_reader r;
    mt_slice line;
    mt_rd_init(&r, in, len);
    while (mt_rd_left(&r) > 0) {
        next_line(&r, &line);
        if (starts_with(line, BEGIN)) return 1;
    }
    return 0;
}
