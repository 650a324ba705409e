/*
 * pem.h - PEM (RFC 7468) and strict base64 (RFC 4648 section 4) decoding.
 *
 * Notes:
 * - A PEM input holds any number of blocks, each "-----BEGIN label-----", base64 lines,
 *   "-----END label-----" with the same label. Text between blocks (explanations, the
 *   "Bag Attributes" OpenSSL writes) is skipped, as RFC 7468 section 2 allows.
 * - Inside a block the base64 text is strict: only the alphabet, '=' padding at the very
 *   end, spaces, tabs and CR/LF line breaks; the padding bits must be zero. RFC 1421
 *   headers ("Proc-Type: 4,ENCRYPTED", the legacy encrypted key format) are reported as
 *   MT_ERR_UNSUPPORTED so a caller can say "encrypted keys are not supported".
 * - Decoded bytes go to an mt_buf, which wipes on free: blocks may hold private keys.
 * - The functions take bytes the caller loaded; nothing here reads files.
 */
#ifndef MT_X509_PEM_H
#define MT_X509_PEM_H

#include "../buf/buf.h"
#include <stddef.h>
#include <stdint.h>

#define MT_PEM_LABEL_MAX 64

typedef struct mt_pem_block {
    char label[MT_PEM_LABEL_MAX]; /* "CERTIFICATE", "PRIVATE KEY", ... NUL-terminated */
    mt_buf der;                   /* the decoded contents, owned */
} mt_pem_block;

/* Initialise a block (empty label, empty buffer). A zeroed block is also valid. */
void mt_pem_block_init(mt_pem_block *b);
/* Wipe and free the decoded contents; the block can be reused. NULL allowed. */
void mt_pem_block_free(mt_pem_block *b);

/* Decode the next block of in[*off .. len). On success *off is just after the END line
 * and `out` (whose previous contents are replaced) holds the label and the bytes.
 * Returns 0; MT_ERR_NOT_FOUND when no BEGIN line follows *off (the normal end of a
 * loop); MT_ERR_DECODE for a malformed block (bad label, bad base64, missing or
 * mismatched END line); MT_ERR_UNSUPPORTED for RFC 1421 headers; MT_ERR_NO_MEMORY.
 * On error *off is unchanged. */
int mt_pem_next(const uint8_t *in, size_t len, size_t *off, mt_pem_block *out);

/* 1 if the input contains a "-----BEGIN " line (so it is PEM, not DER), else 0. */
int mt_pem_detect(const uint8_t *in, size_t len);

/* Decode strict base64 (whitespace and line breaks ignored) and append it to out.
 * Returns 0, MT_ERR_DECODE or MT_ERR_NO_MEMORY; on error out keeps its old length. */
int mt_base64_decode(const uint8_t *in, size_t len, mt_buf *out);

#endif
