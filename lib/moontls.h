/*
 * moontls.h - the public C API of moontls, and the only lib/ header the bindings include.
 *
 * Notes:
 * - Errors live in one integer space (DESIGN.md section 8): 0 is success;
 *   MT_ERR_SENT(alert) = 0x100|alert means we sent that fatal alert;
 *   MT_ERR_RECV(alert) = 0x200|alert means the peer sent it;
 *   values from 0x300 up are internal failures (memory, bad parameter, ...).
 *   Functions return 0 or a negative-free positive code; never -1.
 * - Every code has a stable NAME ("DECODE_ERROR", "NO_MEMORY") and a message.
 */
#ifndef MOONTLS_H
#define MOONTLS_H

#include <stddef.h>
#include <stdint.h>

#define MT_VERSION_STRING "0.1.0"

/* TLS alert descriptions (RFC 8446 6, RFC 5246 7.2, RFC 8446 6.2). */
enum {
    MT_ALERT_CLOSE_NOTIFY = 0,
    MT_ALERT_UNEXPECTED_MESSAGE = 10,
    MT_ALERT_BAD_RECORD_MAC = 20,
    MT_ALERT_DECRYPTION_FAILED = 21,
    MT_ALERT_RECORD_OVERFLOW = 22,
    MT_ALERT_DECOMPRESSION_FAILURE = 30,
    MT_ALERT_HANDSHAKE_FAILURE = 40,
    MT_ALERT_NO_CERTIFICATE = 41,
    MT_ALERT_BAD_CERTIFICATE = 42,
    MT_ALERT_UNSUPPORTED_CERTIFICATE = 43,
    MT_ALERT_CERTIFICATE_REVOKED = 44,
    MT_ALERT_CERTIFICATE_EXPIRED = 45,
    MT_ALERT_CERTIFICATE_UNKNOWN = 46,
    MT_ALERT_ILLEGAL_PARAMETER = 47,
    MT_ALERT_UNKNOWN_CA = 48,
    MT_ALERT_ACCESS_DENIED = 49,
    MT_ALERT_DECODE_ERROR = 50,
    MT_ALERT_DECRYPT_ERROR = 51,
    MT_ALERT_EXPORT_RESTRICTION = 60,
    MT_ALERT_PROTOCOL_VERSION = 70,
    MT_ALERT_INSUFFICIENT_SECURITY = 71,
    MT_ALERT_INTERNAL_ERROR = 80,
    MT_ALERT_INAPPROPRIATE_FALLBACK = 86,
    MT_ALERT_USER_CANCELED = 90,
    MT_ALERT_NO_RENEGOTIATION = 100,
    MT_ALERT_MISSING_EXTENSION = 109,
    MT_ALERT_UNSUPPORTED_EXTENSION = 110,
    MT_ALERT_CERTIFICATE_UNOBTAINABLE = 111,
    MT_ALERT_UNRECOGNIZED_NAME = 112,
    MT_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
    MT_ALERT_BAD_CERTIFICATE_HASH_VALUE = 114,
    MT_ALERT_UNKNOWN_PSK_IDENTITY = 115,
    MT_ALERT_CERTIFICATE_REQUIRED = 116,
    MT_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

#define MT_OK 0
#define MT_ERR_SENT(alert) (0x100 | (alert))
#define MT_ERR_RECV(alert) (0x200 | (alert))
#define MT_ERR_IS_SENT(e) (((e) & 0xF00) == 0x100)
#define MT_ERR_IS_RECV(e) (((e) & 0xF00) == 0x200)
#define MT_ERR_ALERT(e) ((e) & 0xFF)

/* Internal failures. Stable numbers: scripts and logs may keep them. */
enum {
    MT_ERR_NO_MEMORY = 0x300,   /* an allocation failed */
    MT_ERR_BAD_PARAM = 0x301,   /* a caller passed an invalid argument */
    MT_ERR_BAD_STATE = 0x302,   /* the call is not allowed in the current state */
    MT_ERR_HOOK = 0x303,        /* a script hook failed */
    MT_ERR_CRYPTO = 0x304,      /* a crypto primitive failed (not a peer fault) */
    MT_ERR_LIMIT = 0x305,       /* a configured or built-in limit was exceeded */
    MT_ERR_UNSUPPORTED = 0x306, /* algorithm or feature not implemented */
    MT_ERR_NOT_FOUND = 0x307,   /* no such item */
    MT_ERR_VERIFY = 0x308,      /* a signature or MAC did not verify (before alert mapping) */
    MT_ERR_WANT_INPUT = 0x309,  /* more input is needed (not a failure of the data) */
};

/* Shorthands for "we send this fatal alert". */
#define MT_ERR_DECODE MT_ERR_SENT(MT_ALERT_DECODE_ERROR)
#define MT_ERR_ILLEGAL_PARAM MT_ERR_SENT(MT_ALERT_ILLEGAL_PARAMETER)
#define MT_ERR_UNEXPECTED MT_ERR_SENT(MT_ALERT_UNEXPECTED_MESSAGE)
#define MT_ERR_BAD_MAC MT_ERR_SENT(MT_ALERT_BAD_RECORD_MAC)
#define MT_ERR_OVERFLOW MT_ERR_SENT(MT_ALERT_RECORD_OVERFLOW)
#define MT_ERR_INTERNAL MT_ERR_SENT(MT_ALERT_INTERNAL_ERROR)

/* Name of an alert description ("decode_error"), or NULL if unknown. Static storage. */
const char *mt_alert_name(int alert);
/* Alert code for a name, or -1 if unknown. */
int mt_alert_by_name(const char *name);
/* Stable upper-case NAME of an error code ("DECODE_ERROR", "NO_MEMORY", "OK");
 * "UNKNOWN" for codes outside the space. Static storage. */
const char *mt_err_name(int err);
/* One-line human message for an error code. Static storage. */
const char *mt_err_message(int err);

#endif
