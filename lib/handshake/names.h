/*
 * names.h - one table that gives every TLS code point its name, both ways.
 *
 * Notes:
 * - Used for diagnostics ("where" strings, traces), the Lua name tables (code <-> name)
 *   and the state machine. Names are the RFC / IANA registry spellings in snake_case
 *   ("client_hello", "key_share", "x25519", "rsa_pss_rsae_sha256",
 *   "TLS_AES_128_GCM_SHA256"); versions are "ssl3", "1.0", "1.1", "1.2", "1.3" as in the
 *   Lua surface (DESIGN.md section 10).
 * - Every code has at most one name (code -> name is a function); a few extra spellings
 *   are accepted for name -> code only ("alpn", "tls1.3", "hello_retry_request", ...).
 * - GREASE values (RFC 8701) of cipher suites, extensions, groups, signature schemes,
 *   versions and PSK modes are named "grease"; looking up "grease" gives the first one
 *   (0x0a0a, or 0x0b for PSK modes).
 * - Alerts reuse mt_alert_name / mt_alert_by_name (lib/err.c): one list of alerts.
 * - All returned strings are static; the tables are const; nothing is allocated.
 */
#ifndef MT_HANDSHAKE_NAMES_H
#define MT_HANDSHAKE_NAMES_H

#include <stddef.h>
#include <stdint.h>

typedef enum mt_name_kind {
    MT_NAME_HANDSHAKE = 0,    /* handshake message types (u8) */
    MT_NAME_EXTENSION,        /* extension types (u16) */
    MT_NAME_CIPHER_SUITE,     /* cipher suites incl. SCSVs (u16) */
    MT_NAME_GROUP,            /* named groups (u16) */
    MT_NAME_SIGSCHEME,        /* signature schemes / SignatureAndHashAlgorithm (u16) */
    MT_NAME_ALERT,            /* alert descriptions (u8), from lib/err.c */
    MT_NAME_ALERT_LEVEL,      /* warning, fatal */
    MT_NAME_CONTENT_TYPE,     /* record content types (u8) */
    MT_NAME_VERSION,          /* protocol versions (u16) */
    MT_NAME_PSK_MODE,         /* psk_key_exchange_modes (u8) */
    MT_NAME_EC_POINT_FORMAT,  /* ec_point_formats (u8) */
    MT_NAME_CERT_TYPE,        /* TLS 1.2 CertificateRequest certificate_types (u8) */
    MT_NAME_CERT_STATUS_TYPE, /* status_request / CertificateStatus status_type (u8) */
    MT_NAME_KIND_COUNT
} mt_name_kind;

/* Name of `code` in `kind`, "grease" for a GREASE value of a kind that has them, or NULL
 * when the code is unknown (or kind is out of range). Static storage. */
const char *mt_name_of(mt_name_kind kind, uint32_t code);

/* Code of `name` in `kind` (exact, case-sensitive, aliases accepted). Returns 0 and sets
 * *code, or MT_ERR_NOT_FOUND (name unknown) / MT_ERR_BAD_PARAM (NULL name or bad kind). */
int mt_name_code(mt_name_kind kind, const char *name, uint32_t *code);

/* Number of canonical entries of `kind` (without aliases and without GREASE), and the
 * i-th one (0 <= i < count) in ascending code order: for building Lua name tables.
 * mt_name_at returns 0, or MT_ERR_NOT_FOUND when i is out of range. */
size_t mt_name_count(mt_name_kind kind);
int mt_name_at(mt_name_kind kind, size_t i, uint32_t *code, const char **name);

/* Name of the kind itself ("handshake_type", "extension_type", ...), or NULL. */
const char *mt_name_kind_name(mt_name_kind kind);

/* 1 if `code` is a GREASE value (RFC 8701) for `kind`, else 0. */
int mt_name_is_grease(mt_name_kind kind, uint32_t code);

#endif
