/*
 * validate.h - the semantic rules a strict receiver applies to a decoded message, kept
 * apart from the codec so scripts can build and send what this step would refuse.
 *
 * Notes:
 * - Input is a tree from mt_hs_decode (or one built and edited with codec.h). The
 *   result is 0 or MT_ERR_SENT(alert) with the alert the RFC names for the broken rule,
 *   and a "where" string ("ClientHello.extensions.key_share: duplicate extension").
 * - Checked, in this order:
 *   1. encoding-level consistency of edited trees: explicit length overrides that differ
 *      from the content, fixed-length fields of the wrong length -> decode_error;
 *   2. RFC vector ranges <min..max> of every vector and list -> decode_error
 *      (RFC 8446 3.4 and 6.2);
 *   3. extension blocks: duplicates -> illegal_parameter; in TLS 1.3 messages, a known
 *      extension outside the messages RFC 8446 4.2 lists for it -> illegal_parameter;
 *      with the ClientHello given, a response extension the client did not offer ->
 *      unsupported_extension (RFC 8446 4.2, RFC 5246 7.4.1.4);
 *   4. per-message and per-extension rules, each cited in validate.c.
 * - The TLS 1.3 rules for a ClientHello apply when it offers 1.3 (supported_versions
 *   contains 0x0304); for ServerHello when it selects 1.3 or the context says 1.3; for
 *   EncryptedExtensions, HelloRetryRequest, and the 1.3 forms of Certificate,
 *   CertificateRequest and NewSessionTicket always.
 */
#ifndef MT_HANDSHAKE_VALIDATE_H
#define MT_HANDSHAKE_VALIDATE_H

#include <stddef.h>

#include "handshake/codec.h"

/* Validate message m. client_hello (NULL allowed) is the ClientHello that a server
 * message answers: with it, the response extensions are checked against the offer, and
 * ServerHello / HelloRetryRequest choices (version, key share group, PSK identity)
 * against what was offered. Returns 0 or MT_ERR_SENT(alert); `where` (NULL allowed)
 * receives a NUL-terminated description, truncated to where_cap. */
int mt_hs_validate(const mt_hs_msg *m, const mt_hs_msg *client_hello, char *where,
                   size_t where_cap);

#endif
