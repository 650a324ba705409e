/*
 * x509.h - umbrella header of lib/x509: DER, PEM, certificates, keys, verification.
 *
 *   der.h     strict DER reader and OID table
 *   pem.h     PEM blocks (RFC 7468) and strict base64
 *   cert.h    certificate parsing, certificate lists, the x509 error codes and alerts
 *   key.h     private keys (PKCS#1, SEC1, PKCS#8) and public keys as one tagged object
 *   verify.h  signatures, chain building and validation, host names (RFC 6125)
 *
 * Typical server set-up: mt_x509_list_add_pem(cert chain file bytes),
 * mt_x509_key_parse_private(key file bytes), mt_x509_key_matches(key, &chain.certs[0].spki).
 * Typical client check: mt_x509_list_add_der for each entry of the peer's Certificate
 * message, then mt_x509_verify_chain(&chain, &anchors, {now, host, SERVER}, &res) and, on
 * failure, send MT_ERR_ALERT(rc) with res.reason for the logs.
 */
#ifndef MT_X509_H
#define MT_X509_H

#include "cert.h"
#include "der.h"
#include "key.h"
#include "pem.h"
#include "verify.h"

#endif
