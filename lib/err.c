/*
 * err.c - names and messages for alerts and error codes (DESIGN.md section 8).
 */
#include "internal.h"

#include <string.h>

static const struct {
    int code;
    const char *name;
} alerts[] = {
    {MT_ALERT_CLOSE_NOTIFY, "close_notify"},
    {MT_ALERT_UNEXPECTED_MESSAGE, "unexpected_message"},
    {MT_ALERT_BAD_RECORD_MAC, "bad_record_mac"},
    {MT_ALERT_DECRYPTION_FAILED, "decryption_failed"},
    {MT_ALERT_RECORD_OVERFLOW, "record_overflow"},
    {MT_ALERT_DECOMPRESSION_FAILURE, "decompression_failure"},
    {MT_ALERT_HANDSHAKE_FAILURE, "handshake_failure"},
    {MT_ALERT_NO_CERTIFICATE, "no_certificate"},
    {MT_ALERT_BAD_CERTIFICATE, "bad_certificate"},
    {MT_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported_certificate"},
    {MT_ALERT_CERTIFICATE_REVOKED, "certificate_revoked"},
    {MT_ALERT_CERTIFICATE_EXPIRED, "certificate_expired"},
    {MT_ALERT_CERTIFICATE_UNKNOWN, "certificate_unknown"},
    {MT_ALERT_ILLEGAL_PARAMETER, "illegal_parameter"},
    {MT_ALERT_UNKNOWN_CA, "unknown_ca"},
    {MT_ALERT_ACCESS_DENIED, "access_denied"},
    {MT_ALERT_DECODE_ERROR, "decode_error"},
    {MT_ALERT_DECRYPT_ERROR, "decrypt_error"},
    {MT_ALERT_EXPORT_RESTRICTION, "export_restriction"},
    {MT_ALERT_PROTOCOL_VERSION, "protocol_version"},
    {MT_ALERT_INSUFFICIENT_SECURITY, "insufficient_security"},
    {MT_ALERT_INTERNAL_ERROR, "internal_error"},
    {MT_ALERT_INAPPROPRIATE_FALLBACK, "inappropriate_fallback"},
    {MT_ALERT_USER_CANCELED, "user_canceled"},
    {MT_ALERT_NO_RENEGOTIATION, "no_renegotiation"},
    {MT_ALERT_MISSING_EXTENSION, "missing_extension"},
    {MT_ALERT_UNSUPPORTED_EXTENSION, "unsupported_extension"},
    {MT_ALERT_CERTIFICATE_UNOBTAINABLE, "certificate_unobtainable"},
    {MT_ALERT_UNRECOGNIZED_NAME, "unrecognized_name"},
    {MT_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE, "bad_certificate_status_response"},
    {MT_ALERT_BAD_CERTIFICATE_HASH_VALUE, "bad_certificate_hash_value"},
    {MT_ALERT_UNKNOWN_PSK_IDENTITY, "unknown_psk_identity"},
    {MT_ALERT_CERTIFICATE_REQUIRED, "certificate_required"},
    {MT_ALERT_NO_APPLICATION_PROTOCOL, "no_application_protocol"},
};

static const struct {
    int code;
    const char *name;
    const char *message;
} internal[] = {
    {MT_ERR_NO_MEMORY, "NO_MEMORY", "out of memory"},
    {MT_ERR_BAD_PARAM, "BAD_PARAM", "invalid argument"},
    {MT_ERR_BAD_STATE, "BAD_STATE", "call not allowed in this state"},
    {MT_ERR_HOOK, "HOOK", "a script hook failed"},
    {MT_ERR_CRYPTO, "CRYPTO", "crypto primitive failed"},
    {MT_ERR_LIMIT, "LIMIT", "limit exceeded"},
    {MT_ERR_UNSUPPORTED, "UNSUPPORTED", "not supported"},
    {MT_ERR_NOT_FOUND, "NOT_FOUND", "not found"},
    {MT_ERR_VERIFY, "VERIFY", "verification failed"},
    {MT_ERR_WANT_INPUT, "WANT_INPUT", "more input needed"},
};

/* Upper-case alert names, built from the table once per call site into static storage
 * would need a mutable global; instead keep a parallel constant table. */
static const char *const alert_names_upper[] = {
    "CLOSE_NOTIFY", "UNEXPECTED_MESSAGE", "BAD_RECORD_MAC", "DECRYPTION_FAILED",
    "RECORD_OVERFLOW", "DECOMPRESSION_FAILURE", "HANDSHAKE_FAILURE", "NO_CERTIFICATE",
    "BAD_CERTIFICATE", "UNSUPPORTED_CERTIFICATE", "CERTIFICATE_REVOKED",
    "CERTIFICATE_EXPIRED", "CERTIFICATE_UNKNOWN", "ILLEGAL_PARAMETER", "UNKNOWN_CA",
    "ACCESS_DENIED", "DECODE_ERROR", "DECRYPT_ERROR", "EXPORT_RESTRICTION",
    "PROTOCOL_VERSION", "INSUFFICIENT_SECURITY", "INTERNAL_ERROR", "INAPPROPRIATE_FALLBACK",
    "USER_CANCELED", "NO_RENEGOTIATION", "MISSING_EXTENSION", "UNSUPPORTED_EXTENSION",
    "CERTIFICATE_UNOBTAINABLE", "UNRECOGNIZED_NAME", "BAD_CERTIFICATE_STATUS_RESPONSE",
    "BAD_CERTIFICATE_HASH_VALUE", "UNKNOWN_PSK_IDENTITY", "CERTIFICATE_REQUIRED",
    "NO_APPLICATION_PROTOCOL",
};
_Static_assert(MT_ARRAY_LEN(alert_names_upper) == MT_ARRAY_LEN(alerts), "alert tables differ");

static int alert_index(int alert)
{
    for (size_t i = 0; i < MT_ARRAY_LEN(alerts); i++)
        if (alerts[i].code == alert) return (int)i;
    return -1;
}

const char *mt_alert_name(int alert)
{
    int i = alert_index(alert);
    return i < 0 ? NULL : alerts[i].name;
}

int mt_alert_by_name(const char *name)
{
    if (name == NULL) return -1;
    for (size_t i = 0; i < MT_ARRAY_LEN(alerts); i++)
        if (strcmp(alerts[i].name, name) == 0) return alerts[i].code;
    return -1;
}

const char *mt_err_name(int err)
{
    if (err == MT_OK) return "OK";
    if (MT_ERR_IS_SENT(err) || MT_ERR_IS_RECV(err)) {
        int i = alert_index(MT_ERR_ALERT(err));
        return i < 0 ? "UNKNOWN_ALERT" : alert_names_upper[i];
    }
    for (size_t i = 0; i < MT_ARRAY_LEN(internal); i++)
        if (internal[i].code == err) return internal[i].name;
    return "UNKNOWN";
}

const char *mt_err_message(int err)
{
    if (err == MT_OK) return "success";
    if (MT_ERR_IS_SENT(err)) return "fatal alert sent";
    if (MT_ERR_IS_RECV(err)) return "fatal alert received";
    for (size_t i = 0; i < MT_ARRAY_LEN(internal); i++)
        if (internal[i].code == err) return internal[i].message;
    return "unknown error";
}
