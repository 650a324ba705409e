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

/* ======================================================================================
 * Configuration and connections (the sans-I/O engine, DESIGN.md section 3)
 *
 * A connection never touches a socket, a file, the clock or the system RNG itself:
 * the caller feeds it bytes (mt_conn_feed), lets it work (mt_conn_run), and takes the
 * bytes it wants sent (mt_conn_output / mt_conn_output_consume). mt_conn_want says what
 * it needs next. A fatal error is sticky: the first one wins, its alert is still queued
 * for output, and every later call returns the same code.
 *
 * Hooks: a caller that registered interest in a hook point (mt_config_set_hooks or
 * mt_conn_set_hooks) gets the engine paused there: mt_conn_run returns with MT_WANT_EVENT
 * set, mt_conn_event describes the point, the caller edits or answers
 * (mt_conn_event_*), and the next mt_conn_run resumes. Points without interest cost
 * nothing. Informational events (secret, alert, state) queue up and are read the same way
 * but do not need an answer.
 * ====================================================================================== */

enum { MT_ROLE_CLIENT = 1, MT_ROLE_SERVER = 2 };

/* Wire versions. */
#define MT_VERSION_TLS10 0x0301
#define MT_VERSION_TLS11 0x0302
#define MT_VERSION_TLS12 0x0303
#define MT_VERSION_TLS13 0x0304

/* mt_conn_want flags */
#define MT_WANT_INPUT 0x01  /* feed more bytes from the peer */
#define MT_WANT_OUTPUT 0x02 /* bytes are waiting in mt_conn_output */
#define MT_WANT_EVENT 0x04  /* an event waits in mt_conn_event (paused or informational) */
#define MT_WANT_DONE 0x08   /* handshake complete */
#define MT_WANT_READ 0x10   /* application data is waiting in mt_conn_read */
#define MT_WANT_CLOSED 0x20 /* the peer sent close_notify (or closed) */
#define MT_WANT_FAILED 0x40 /* sticky failure: see mt_conn_error */

/* Hook points (bit numbers for the interest masks). */
typedef enum mt_hook {
    MT_HOOK_MESSAGE_OUT = 0, /* a handshake/CCS/alert message we are about to send */
    MT_HOOK_MESSAGE_IN,      /* a message received, before the state machine */
    MT_HOOK_RECORD_OUT,      /* a record before protection */
    MT_HOOK_RECORD_IN,       /* a record after opening */
    MT_HOOK_WIRE_OUT,        /* bytes about to be output */
    MT_HOOK_WIRE_IN,         /* bytes fed, before deframing */
    MT_HOOK_CLIENT_HELLO,    /* server: ClientHello parsed, before negotiation */
    MT_HOOK_SELECT,          /* server: negotiation done, before ServerHello */
    MT_HOOK_SIGN,            /* a signature is about to be made */
    MT_HOOK_VERIFY_DATA,     /* a Finished value was computed */
    MT_HOOK_KEY_SHARE,       /* an ephemeral key is about to be generated */
    MT_HOOK_PSK_BINDER,      /* client: a binder to send was computed (answer: the binder);
                                server: the binder it expects was computed (answer: the
                                value it compares the client's binder against) */
    MT_HOOK_VERIFY_PEER,     /* the peer's chain was checked */
    MT_HOOK_SECRET,          /* informational: a secret was derived */
    MT_HOOK_ALERT,           /* informational: an alert was sent or received */
    MT_HOOK_STATE,           /* informational: the state machine moved */
    MT_HOOK_PSK_LOOKUP,      /* server: the offered PSK identities, before the engine's own
                                lookup (answer: the PSK for one of them; see server13.c
                                lookup_psk for both layouts) */
    MT_HOOK_COUNT
} mt_hook;
#define MT_HOOK_BIT(h) (1u << (h))

typedef struct mt_config mt_config;
typedef struct mt_conn mt_conn;

/* Randomness: fill out[0..n) for `purpose` ("client_random", "key_share", ...).
 * Return 0, or any error code to fail the draw. */
typedef int (*mt_rng_cb)(void *ud, const char *purpose, uint8_t *out, size_t n);
/* Clock: seconds since the Unix epoch. */
typedef int64_t (*mt_clock_cb)(void *ud);

/* A new configuration for one role, with secure defaults: TLS 1.3 only (until TLS 1.2
 * lands), every supported suite/group/signature scheme, verify the peer, system RNG and
 * clock, middlebox-compatibility mode on. Reference counted: the creator holds one
 * reference; every connection takes one. NULL on no memory. */
mt_config *mt_config_new(int role);
void mt_config_ref(mt_config *cfg);
void mt_config_unref(mt_config *cfg); /* frees (and wipes keys) at zero; NULL allowed */

/* Version range (MT_VERSION_*); returns MT_ERR_BAD_PARAM or MT_ERR_UNSUPPORTED. */
int mt_config_set_versions(mt_config *cfg, uint16_t min, uint16_t max);
/* Ordered preference lists of IANA code points. A server uses its own order.
 * MT_ERR_UNSUPPORTED names a value this build cannot do. n = 0 restores the default. */
int mt_config_set_suites(mt_config *cfg, const uint16_t *v, size_t n);
int mt_config_set_groups(mt_config *cfg, const uint16_t *v, size_t n);
int mt_config_set_sigalgs(mt_config *cfg, const uint16_t *v, size_t n);
/* Client: which groups get a key share in the first ClientHello (default: the first
 * group). n = 0 with v non-NULL: no share at all (forces HRR). */
int mt_config_set_key_shares(mt_config *cfg, const uint16_t *v, size_t n);
/* Pin the private key of a group's ephemeral share (reproducible handshakes). */
int mt_config_pin_key_share(mt_config *cfg, uint16_t group, const uint8_t *priv, size_t len);
/* ALPN protocol names, in preference order: each name 1..255 bytes. */
int mt_config_set_alpn(mt_config *cfg, const char *const *names, size_t n);
/* Client: SNI and the name the certificate must match. NULL clears. */
int mt_config_set_server_name(mt_config *cfg, const char *name);
/* Add a certificate chain (PEM, leaf first) and its private key (PEM: PKCS#1, SEC1 or
 * PKCS#8). A server may hold several (RSA and ECDSA) and picks by the client's
 * signature_algorithms. Errors: MT_ERR_DECODE (bad PEM/DER), MT_ERR_BAD_PARAM (key does
 * not match the certificate), MT_ERR_UNSUPPORTED. */
int mt_config_add_credential(mt_config *cfg, const uint8_t *chain_pem, size_t chain_len,
                             const uint8_t *key_pem, size_t key_len);
/* Trust anchors (PEM bundle) for verifying the peer. */
int mt_config_set_ca(mt_config *cfg, const uint8_t *pem, size_t len);
enum { MT_VERIFY_NONE = 0, MT_VERIFY_PEER = 1 };
/* Client default MT_VERIFY_PEER. MT_VERIFY_NONE skips chain and name checks (never the
 * CertificateVerify signature); a script must ask for it by name. */
int mt_config_set_verify(mt_config *cfg, int mode);
void mt_config_set_rng(mt_config *cfg, mt_rng_cb fn, void *ud);
void mt_config_set_clock(mt_config *cfg, mt_clock_cb fn, void *ud);
/* Middlebox-compatibility mode (RFC 8446 D.4): session id and dummy CCS. Default on. */
void mt_config_set_compat(mt_config *cfg, int on);
/* Server: send HelloRetryRequest with a cookie extension (default off). */
void mt_config_set_hrr_cookie(mt_config *cfg, int on);
/* Server: the HelloRetryRequest cookie's bytes (1..65533), the same on every connection,
 * instead of 32 random bytes; turns the cookie on. The second ClientHello must echo them
 * (illegal_parameter otherwise). p = NULL with len = 0 goes back to random bytes.
 * MT_ERR_BAD_PARAM for a client configuration or a bad length. */
int mt_config_set_hrr_cookie_value(mt_config *cfg, const uint8_t *p, size_t len);
/* Shaping knobs: the extensions of a message the engine builds, by kind: 1 ClientHello
 * (client configurations), 2 ServerHello, MT_MSG_HELLO_RETRY_REQUEST, 8
 * EncryptedExtensions (server configurations); MT_ERR_BAD_PARAM for another kind or the
 * other role. They change the wire and the transcript, never the negotiation: an added
 * alpn does not select a protocol. A client checks the server's answers against its
 * ClientHello as sent (an extension added there may be answered). A ClientHello that
 * carries pre_shared_key is never shaped (its binders cover the extensions as built).
 * - set_extension_order: the listed extension types come first, in that order (each
 *   occurrence, duplicates included); the others follow in the engine's order. n = 0
 *   clears. MT_ERR_LIMIT past MT_MAX_LIST (32) types.
 * - add_extension: an extension (type and raw data, copied; len < 65536): it replaces the
 *   engine's extension of that type (in its place), or, when the engine writes none, goes
 *   after the engine's own. Added twice, a type the engine writes once goes out twice.
 * - clear_extensions: forget the order and the additions of that kind. */
int mt_config_set_extension_order(mt_config *cfg, unsigned kind, const uint16_t *types, size_t n);
int mt_config_add_extension(mt_config *cfg, unsigned kind, uint16_t type, const uint8_t *data,
                            size_t len);
void mt_config_clear_extensions(mt_config *cfg, unsigned kind);
/* Hook interest for every connection made from cfg: a mask of MT_HOOK_BIT(h). */
void mt_config_set_hooks(mt_config *cfg, uint32_t mask);

/* ---- resumption and PSK (RFC 8446 2.2, 4.2.11, 4.6.1) ---- */

/* Server: send `count` NewSessionTickets after each handshake (default 2; 0 = none),
 * each valid for `lifetime` seconds (1..604800, default 7200). */
int mt_config_set_tickets(mt_config *cfg, unsigned count, uint32_t lifetime);
/* Server: the 32-byte key tickets are sealed with (AES-256-GCM), so several configurations
 * or processes accept each other's tickets. Default: 32 bytes drawn from the rng
 * ("ticket_key") when the first ticket is issued. Copied; wiped with the config. */
int mt_config_set_ticket_key(mt_config *cfg, const uint8_t *key, size_t len);
/* PSK key exchange modes (RFC 8446 4.2.9): psk_dhe_ke by default; with allow_psk_ke = 1
 * a client also offers psk_ke (no (EC)DHE, no forward secrecy) and a server accepts it
 * when the client offers nothing else; 2: a client offers psk_ke only (a server treats
 * 2 as 1). Default 0. */
void mt_config_set_psk_ke(mt_config *cfg, int allow_psk_ke);
/* An external PSK (RFC 8446 2.2; binder label "ext binder") on either side: identity
 * (1..65535 bytes), key (1..64 bytes) and the hash it is used with (MT_PSK_SHA256 or
 * MT_PSK_SHA384). A client offers it on every connection; a server accepts it. A server
 * with a PSK needs no certificate for connections that use it. Copied; wiped. NULL
 * identity clears. */
enum { MT_PSK_SHA256 = 1, MT_PSK_SHA384 = 2 };
int mt_config_set_psk(mt_config *cfg, const uint8_t *identity, size_t identity_len,
                      const uint8_t *key, size_t key_len, int hash);

/* A connection over cfg (a reference is taken). NULL on no memory. */
mt_conn *mt_conn_new(mt_config *cfg);
void mt_conn_free(mt_conn *c); /* wipes every secret; NULL allowed */
/* Per-connection hook interest (replaces the config's mask for this connection). */
void mt_conn_set_hooks(mt_conn *c, uint32_t mask);
/* An opaque pointer for the caller (a binding keeps its object here). */
void mt_conn_set_user(mt_conn *c, void *user);
void *mt_conn_user(const mt_conn *c);

/* Hand bytes received from the peer to the connection (copied). Returns 0,
 * MT_ERR_NO_MEMORY, or the sticky error. */
int mt_conn_feed(mt_conn *c, const uint8_t *in, size_t len);
/* The peer closed the transport (EOF). */
void mt_conn_feed_eof(mt_conn *c);
/* Do all the work the input allows (client: the first call builds ClientHello). Stops
 * when input runs out, at a hook pause, or after one record when single_step is set
 * (mt_conn_set_single_step). While a paused event of ours waits unanswered, a run reads
 * only the peer's alerts at the front of the input (their alert events come first).
 * After a failure, a run still sends the failure's alert through the record_out /
 * wire_out hooks when the connection has interest in them. Returns 0 or the sticky
 * error. */
int mt_conn_run(mt_conn *c);
void mt_conn_set_single_step(mt_conn *c, int on);
unsigned mt_conn_want(const mt_conn *c);

/* Borrow the pending output (*p valid until the next call on c); returns its length. */
size_t mt_conn_output(mt_conn *c, const uint8_t **p);
/* Drop n bytes from the front of the pending output (after writing them). */
void mt_conn_output_consume(mt_conn *c, size_t n);

/* Queue application data (fragmented and protected into records). Before the handshake
 * completes returns MT_ERR_BAD_STATE. */
int mt_conn_write(mt_conn *c, const uint8_t *data, size_t len);
/* Take up to cap bytes of received application data; *n gets the count (0 when none). */
int mt_conn_read(mt_conn *c, uint8_t *out, size_t cap, size_t *n);
/* Queue close_notify. */
int mt_conn_close(mt_conn *c);

/* ---- zero-copy input and reading ----
 * The same data path as mt_conn_feed and mt_conn_read without their copies: the caller
 * receives straight into the connection's input buffer, and reads the decrypted data
 * where the engine opened it.
 *
 * Buffer memory: while data flows, the input, receive and output buffers keep their
 * allocations from record to record. A connection gives back the empty ones when it goes
 * idle: mt_conn_run called with no input pending, or mt_conn_input_commit(c, 0) (commit
 * what recv returned, 0 on EAGAIN). An event loop that does either when its socket runs
 * dry keeps idle connections free of record-sized buffers. Received plaintext is wiped
 * when its buffer is released (at those idle points), grown or freed, or overwritten by
 * the next record, not byte by byte as it is read: none outlives the connection or lies
 * in memory it gave back. Ciphertext is not wiped. */

/* Reserve room for up to n (> 0) bytes from the peer at the end of the connection's input
 * buffer and return where they go; the caller writes (recv) into [p, p + n) and then
 * calls mt_conn_input_commit. The memory belongs to c; the pointer is valid until the
 * commit or until any other call on c that takes input (mt_conn_feed, mt_conn_run,
 * another reserve), which voids the reservation. Returns NULL for n = 0, on no memory
 * (the connection is not failed) and once the connection has failed (mt_conn_error). */
uint8_t *mt_conn_input_reserve(mt_conn *c, size_t n);
/* Count the first n bytes of the reservation as received, exactly as mt_conn_feed would
 * (with a wire_in hook they go to the hook first), and end the reservation; the rest of it
 * is dropped. n = 0 (nothing arrived) ends it too, and is an idle point (see above).
 * Returns 0; MT_ERR_BAD_PARAM if n exceeds the reservation; MT_ERR_BAD_STATE without a
 * live reservation (none, or voided); MT_ERR_NO_MEMORY; or the sticky error. A failed
 * commit counts nothing and does not fail the connection. */
int mt_conn_input_commit(mt_conn *c, size_t n);
/* Borrow the received application data waiting to be read: *p (NULL when none) is valid
 * until mt_conn_read_consume, mt_conn_read, mt_conn_run, mt_conn_input_commit(c, 0) or
 * mt_conn_free; returns its length (0 when none). The bytes stay in c; nothing is
 * consumed. p must not be NULL. */
size_t mt_conn_read_view(mt_conn *c, const uint8_t **p);
/* Drop n bytes from the front of the pending application data (wiped later, see above).
 * n larger than what is pending drops all of it. */
void mt_conn_read_consume(mt_conn *c, size_t n);
/* TLS 1.3 KeyUpdate: update our sending keys, and ask the peer to update too. */
int mt_conn_key_update(mt_conn *c, int request_peer);

/* The sticky error (0 if none) and where it happened ("ServerHello.cipher_suite: not
 * offered"); *where may be NULL. */
int mt_conn_error(const mt_conn *c, const char **where);

/* Negotiated parameters (valid once known; zero/empty before). Strings are borrowed
 * from the connection. */
typedef struct mt_info {
    uint16_t version;
    uint16_t suite;
    uint16_t group;
    uint16_t sigalg;      /* the scheme the peer (client: server) signed with */
    const char *alpn;     /* NULL if none */
    const char *sni;      /* server: what the client asked for; client: what it sent */
    int hrr;              /* a HelloRetryRequest happened */
    int resumed;
    int handshake_done;
    int early_data;       /* MT_EARLY_*: 0-RTT offered (client) / received (server) */
} mt_info;
enum { MT_EARLY_NONE = 0, MT_EARLY_ACCEPTED = 1, MT_EARLY_REJECTED = 2, MT_EARLY_OFFERED = 3 };
void mt_conn_info(const mt_conn *c, mt_info *info);

/* ---- events ---- */

typedef enum mt_verdict {
    MT_VERDICT_PASS = 0, /* continue with the (possibly replaced) object */
    MT_VERDICT_DROP,     /* drop the object */
} mt_verdict;

typedef struct mt_event {
    mt_hook kind;
    int paused;        /* 1: the engine waits for mt_conn_event_done; 0: informational */
    int dir;           /* 0 = out (we send), 1 = in (we receive) */
    uint8_t content_type; /* message/record events: 20..24 */
    uint8_t msg_type;     /* handshake message type (message events) */
    uint32_t epoch;       /* 0 initial, then one per key change */
    uint32_t flight;      /* increments at each change of direction */
    uint32_t seq;         /* message index in the connection */
    uint16_t record_version;  /* record events */
    size_t padding;           /* record events: TLS 1.3 padding */
    const uint8_t *data;  /* the object's bytes: message (header+body), record payload,
                             wire bytes, to-be-signed content, computed Finished/binder,
                             secret; valid until the event is done */
    size_t len;
    uint16_t scheme;      /* sign: signature scheme; key_share: group; select: suite;
                             psk_binder: the identity's index (0-based) */
    const char *label;    /* secret: NSS label; state: new state name; alert: alert name */
    int hash_final;       /* message_out: 1 = transcript hashes the final bytes (default) */
    int adopt;            /* message_out: 1 = engine re-parses the final bytes as its own */
} mt_event;

/* The current event, or NULL: informational events queued while a paused event waits
 * (alerts read meanwhile) first, then the paused event, then other informational ones. */
const mt_event *mt_conn_event(const mt_conn *c);
/* Replace the object of a paused event with `n` objects (bytes concatenated in data, with
 * lengths in lens): n = 0 drops it, n = 1 replaces it, n > 1 splits/duplicates/injects.
 * For sign/verify_data/psk_binder/key_share the single replacement is the answer
 * (signature bytes, verify_data, binder, private key); key_share takes an optional second
 * object, the key_exchange bytes to send instead of the computed public key (an invalid
 * share on purpose). message_out with adoption: see mt_conn_event_set_flags. */
int mt_conn_event_replace(mt_conn *c, const uint8_t *data, const size_t *lens, size_t n);
/* message_out knobs: whether the transcript hashes the final bytes (default 1; 0 hashes
 * the engine's own encoding: a deliberate Finished mismatch), and whether the engine
 * adopts a single replacement as what it meant to send (default 0: the wire changes,
 * the negotiated state does not). Adoption is implemented for
 * - the client's ClientHello: random, session id and the offer the server's answers are
 *   checked against;
 * - the server's ServerHello: cipher suite (one with the transcript's hash), key share
 *   (another group needs the client's share for it and a pinned private key whose public
 *   key is the one sent; none under psk_ke), random; HelloRetryRequest: cipher suite, selected group (the
 *   second ClientHello must share it), cookie (echo checked; none: not checked);
 *   EncryptedExtensions: the ALPN protocol (or none).
 * What the server cannot follow (TLS 1.2 in supported_versions, a group without the
 * client's share, a key it does not hold, another message type) fails the connection
 * with MT_ERR_BAD_PARAM and a where-string naming the field, before the message leaves
 * (internal_error alert). */
int mt_conn_event_set_flags(mt_conn *c, int hash_final, int adopt);
/* record_out knobs: record version, TLS 1.3 padding length, outer content type. */
int mt_conn_event_set_record(mt_conn *c, uint8_t type, uint16_t version, size_t padding);
/* Finish the current event (pass, or whatever was replaced); the next mt_conn_run
 * continues. An error code fails the connection with MT_ERR_HOOK (the binding passes the
 * script's error here). */
int mt_conn_event_done(mt_conn *c, int err);

/* ---- scripting knobs (the engine misbehaves only when asked) ---- */

/* record_out: the outer content type written in a TLS 1.3 protected record's header
 * (default application_data; RFC 8446 5.2). */
int mt_conn_event_set_outer_type(mt_conn *c, uint8_t outer_type);
/* Queue a message of any content type (handshake: header + body) to be sent after what
 * is already queued, through the same output hooks and record layer as the engine's own
 * messages: manual driving and injection. For handshake messages `hash` says whether it
 * enters the transcript. The state machine does not see it (send what it would not). */
int mt_conn_inject(mt_conn *c, uint8_t content_type, const uint8_t *msg, size_t len, int hash);
/* Where mt_conn_inject_at puts the message in the output queue. */
enum {
    MT_INJECT_LAST = 0, /* after everything queued (mt_conn_inject) */
    MT_INJECT_NEXT = 1  /* before the next queued item: ahead of everything that has not
                           reached the record layer yet */
};
/* mt_conn_inject with a position. MT_INJECT_NEXT: while a message is paused at its
 * message_out hook (not yet hashed or framed), the injected message goes out before it
 * (a hook puts a record in front of the message it sees: application data right before
 * the first message under new keys); while an item is being written (a record_out or
 * wire_out hook, a key change) it goes out right after that item; otherwise first of the
 * queue. Several MT_INJECT_NEXT messages keep their order. MT_ERR_BAD_PARAM for another
 * position. */
int mt_conn_inject_at(mt_conn *c, int where, uint8_t content_type, const uint8_t *msg, size_t len,
                      int hash);
/* Server: answer the first ClientHello with a HelloRetryRequest asking for `group` (0:
 * the group the engine would pick) even when a usable share was offered; with twice = 1
 * answer the second ClientHello with another HelloRetryRequest (RFC 8446 4.1.4 forbids
 * it: for testing clients). */
int mt_config_force_hrr(mt_config *cfg, uint16_t group, int twice);
/* Server, SNI-style: serve this connection with another configuration (same role): call it
 * before the first run or while paused at the client_hello hook, which carries the whole
 * ClientHello; its server_name is in mt_conn_info's sni afterwards only. A client_hello
 * hook may also answer one byte, an alert description to abort with. MT_ERR_BAD_STATE
 * once the server has chosen its parameters. */
int mt_conn_set_config(mt_conn *c, mt_config *cfg);
/* Server: pick the ALPN protocol for this connection (an ALPN callback), overriding the
 * configured list; NULL = negotiate none. It must be one the client offered, else
 * no_application_protocol (RFC 7301 3.2). Same timing as mt_conn_set_config. */
int mt_conn_select_alpn(mt_conn *c, const char *name);
/* Server: this connection's HelloRetryRequest cookie (a script computes it from the
 * ClientHello), replacing the configuration's choice: p = NULL with len = 0 sends none,
 * 1..65533 bytes send these (copied) and the second ClientHello must echo them. Call it
 * before the HelloRetryRequest is built: before the first run, or while paused at the
 * client_hello or select hook. MT_ERR_BAD_STATE afterwards or on a client. */
int mt_conn_set_hrr_cookie(mt_conn *c, const uint8_t *p, size_t len);
/* The largest content we put in one record from now on, 1..16384 (default 16384): a
 * script's max_fragment, in every epoch (protected records included). */
int mt_conn_set_max_fragment(mt_conn *c, size_t n);

/* Client: send `len` bytes as 0-RTT early data (RFC 8446 4.2.10) right after the
 * ClientHello, when the offered session allows it (its max_early_data_size is at least
 * len, first PSK, first ClientHello). Call before the first mt_conn_run; copied. Whether
 * the server took it is mt_info.early_data once the handshake is done: a refused one was
 * not delivered and is the caller's to send again. MT_ERR_BAD_STATE on a server or later. */
int mt_conn_set_early_data(mt_conn *c, const uint8_t *data, size_t len);
/* Server: accept 0-RTT early data up to `max` bytes per connection on resumed
 * connections, and announce it in tickets (0, the default: refuse, and skip what a
 * client sends anyway, up to 16384 bytes). Each ticket gives 0-RTT once per
 * configuration (a single-use cache of 256 tickets; while all 256 are recent enough for
 * a replay to match, 0-RTT is refused rather than one forgotten), and only with the ALPN
 * protocol and cipher suite of its session. */
int mt_config_set_early_data(mt_config *cfg, uint32_t max);
/* Client: offer this session (bytes from mt_conn_session) in the ClientHello; call it
 * before the first mt_conn_run. It is offered only when its server name matches the
 * configured one, its suite is enabled and it has not expired by the config clock.
 * Copied. MT_ERR_DECODE / MT_ERR_UNSUPPORTED for bytes that are no session,
 * MT_ERR_BAD_STATE after the handshake started or on a server. */
int mt_conn_set_session(mt_conn *c, const uint8_t *session, size_t len);
/* Client: the newest session a NewSessionTicket gave (exported bytes, a secret: the PSK
 * is in them); *p valid until the next call on c. MT_ERR_NOT_FOUND when none came. */
int mt_conn_session(const mt_conn *c, const uint8_t **p, size_t *len);
/* Whether len bytes at session (not NULL) are a session mt_conn_set_session takes: 0, or
 * MT_ERR_DECODE / MT_ERR_UNSUPPORTED. The same checks as mt_conn_set_session (format, a
 * TLS 1.3 suite whose hash fits the PSK, a lifetime of 1 s to 7 days), nothing kept. */
int mt_session_check(const uint8_t *session, size_t len);

/* ======================================================================================
 * Additions for the Lua binding (lib/api_extra.c; bindings/ owner). Small accessors the
 * binding needs until the lead folds them into the sections above.
 * ====================================================================================== */

/* The connection's client random (ours as client, the peer's as server): copies 32 bytes
 * into out and returns 0, or MT_ERR_BAD_STATE while no ClientHello was sent or read yet.
 * Key logs (NSS format) need it next to each secret. */
int mt_conn_client_random(const mt_conn *c, uint8_t out[32]);

/* A deterministic generator: SHA-256 in counter mode over the seed, the same stream as
 * the library's seeded test generator (same seed, same bytes, whatever the purposes).
 * For tests and replay only. mt_seeded_new copies the seed; NULL on no memory.
 * mt_seeded_fill has the mt_rng_cb shape (ud = the generator). mt_seeded_free wipes;
 * NULL allowed. */
typedef struct mt_seeded mt_seeded;
mt_seeded *mt_seeded_new(const uint8_t *seed, size_t len);
int mt_seeded_fill(void *s, const char *purpose, uint8_t *out, size_t n);
void mt_seeded_free(mt_seeded *s);

/* Fail the connection from outside the engine, as if the engine had failed with err at
 * `where` (copied; NULL allowed): sticky, the alert (if err is a sent-alert code) is
 * queued. The binding uses it when a script hook fails on an informational event, which
 * mt_conn_event_done cannot fail. Returns the sticky error. */
int mt_conn_fail(mt_conn *c, int err, const char *where);

/* ---- After the handshake: keying material exporter, the peer's certificates ----
 * (lib/api_extra.c) */

/* RFC 8446 7.5 keying material exporter (RFC 5705 interface): out_len bytes of
 * TLS-Exporter(label, context, out_len) into out, from the exporter_master_secret the
 * connection keeps until mt_conn_free (wiped then). label (label_len <= 249 bytes) and
 * context are borrowed for the call; NULL allowed with length 0. has_context = 0 means
 * "no context": in TLS 1.3 that is the empty context (RFC 8446 7.5), so it matters only
 * for TLS 1.2 (RFC 5705 4), which this engine does not negotiate. out_len at most
 * 255 * the suite's hash length. Returns 0, or MT_ERR_BAD_STATE before the handshake
 * completes, the connection's sticky error once it failed, MT_ERR_BAD_PARAM (label too
 * long, out_len too large, NULL with a length), MT_ERR_CRYPTO. */
int mt_conn_export(const mt_conn *c, const uint8_t *label, size_t label_len,
                   const uint8_t *context, size_t context_len, int has_context, uint8_t *out,
                   size_t out_len);
/* The peer's i-th certificate (0 = its leaf) as it sent it in its Certificate message:
 * *der and *len point into c (DER bytes), valid until mt_conn_free. Kept once the chain
 * arrived, also after the handshake and after a failure. Returns 0, or MT_ERR_NOT_FOUND
 * (no such entry: the peer sent fewer, none yet, or none at all as in a PSK resumption;
 * a server gets none since it does not request client certificates). */
int mt_conn_peer_cert(const mt_conn *c, size_t i, const uint8_t **der, size_t *len);
/* The number of certificates the peer sent (0 if none yet). */
size_t mt_conn_peer_cert_count(const mt_conn *c);
/* What the chain and host check (MT_VERIFY_PEER) said about the peer's certificates,
 * before any verify_peer hook answered: returns 1 when no check ran (MT_VERIFY_NONE, no
 * certificate received yet, or a resumption, which sends none), 0 when it passed, or the
 * error it failed with (a sent-alert code, e.g. MT_ERR_SENT(MT_ALERT_CERTIFICATE_EXPIRED))
 * with *reason (NULL allowed) set to a message owned by c, e.g. "certificate has expired". */
int mt_conn_verify_result(const mt_conn *c, const char **reason);

/* ---- Key shares outside a connection (lib/api_extra.c) ---- */

/* Largest key_exchange and private key mt_key_share writes (ffdhe4096). */
#define MT_KEY_SHARE_MAX 512
/* One ephemeral key pair for a TLS 1.3 key_share entry (RFC 8446 4.2.8), made by the same
 * code the engine uses for its own shares: group is a NamedGroup code point (x25519,
 * x448, secp256r1/384r1/521r1, ffdhe2048/3072/4096). With priv (priv_len bytes, borrowed
 * for the call) the key is that private key: the 32/56-byte X25519/X448 scalar or the
 * big-endian NIST scalar (1 <= d < n); FFDHE keys cannot be imported (MT_ERR_UNSUPPORTED).
 * Without it (priv NULL, priv_len 0) the key is drawn from rng (purpose "key_share";
 * rng NULL: the system generator), called synchronously during this call only.
 * pub and priv_out each hold MT_KEY_SHARE_MAX bytes (caller owned); *pub_len gets the
 * key_exchange length (raw u-coordinate, uncompressed point 04||X||Y, or Y left-padded to
 * the size of p) and *priv_out_len the private key length (the form priv takes back;
 * the FFDHE exponent minimal). priv_out holds a secret: the caller wipes it. Returns 0,
 * MT_ERR_UNSUPPORTED (unknown group, FFDHE with priv), MT_ERR_BAD_PARAM (wrong private
 * length or out-of-range scalar, NULL outputs), the rng's error, MT_ERR_NO_MEMORY,
 * MT_ERR_CRYPTO. Nothing is kept. */
int mt_key_share(uint16_t group, const uint8_t *priv, size_t priv_len, mt_rng_cb rng,
                 void *rng_ud, uint8_t *pub, size_t *pub_len, uint8_t *priv_out,
                 size_t *priv_out_len);

/* ======================================================================================
 * Messages as trees: codec access for bindings (lib/api_codec.c)
 *
 * The handshake codec (schema-driven, lib/handshake/codec.h) seen from outside lib/: a
 * decoded message is a tree of nodes, each a field of the RFC structure (integer,
 * opaque bytes, length-prefixed vector, list, struct, extension, message root), so a
 * binding turns any message into a table and back with no per-message code
 * (SCRIPTING.md 6.4). Names of code points come from the same table the diagnostics use.
 *
 * - A message (mt_msg) owns a copy of the bytes it was decoded from and every edit; free
 *   it with mt_msg_free. Node ids are small integers that stay valid across edits of the
 *   same message; MT_MSG_ROOT is the message itself.
 * - Decoding rejects only malformed encodings (MT_ERR_DECODE, with a where-string such as
 *   "ClientHello.extensions: length exceeds block"); mt_msg_validate applies the
 *   semantic rules separately, so a script can build what a strict parser would refuse.
 * - Editing follows the field rule: integers take any value of their width, bytes any
 *   length, a length prefix an explicit (even inconsistent) value, an extension or the
 *   whole body raw bytes; the encoder writes what it is told.
 * ====================================================================================== */

typedef struct mt_msg mt_msg;
typedef uint32_t mt_msg_id;
#define MT_MSG_NONE ((mt_msg_id)0xFFFFFFFFu)
#define MT_MSG_ROOT ((mt_msg_id)0)
/* Size of a where buffer that always holds the full text. */
#define MT_MSG_WHERE_MAX 160
/* Kind of a ServerHello that carries the RFC 8446 4.1.3 HelloRetryRequest random (not a
 * wire code: the wire type stays 2). */
#define MT_MSG_HELLO_RETRY_REQUEST 0x102

/* Content types a message can be decoded as. */
enum { MT_MSG_CT_CHANGE_CIPHER_SPEC = 20, MT_MSG_CT_ALERT = 21, MT_MSG_CT_HANDSHAKE = 22 };
enum { MT_MSG_SIDE_CLIENT = 0, MT_MSG_SIDE_SERVER = 1 };
/* Key exchange of TLS 1.0-1.2 ServerKeyExchange / ClientKeyExchange (NONE: kept raw). */
enum { MT_MSG_KX_NONE = 0, MT_MSG_KX_RSA = 1, MT_MSG_KX_DHE = 2, MT_MSG_KX_ECDHE = 3 };
/* Signature form of ServerKeyExchange / CertificateVerify (DEFAULT: from the version). */
enum { MT_MSG_SIG_DEFAULT = 0, MT_MSG_SIG_SCHEME = 1, MT_MSG_SIG_LEGACY = 2, MT_MSG_SIG_ANON = 3 };

/* What a message's format depends on; the codec never looks at a connection. All zero:
 * handshake content, TLS 1.2 formats, sent by the client, unknown key exchange. */
typedef struct mt_msg_ctx {
    uint8_t content_type; /* MT_MSG_CT_*; 0 means handshake; others decode as raw bytes */
    uint16_t version;     /* 0x0304: TLS 1.3 formats; 0x0303 or 0: 1.2; 0x0301/2: 1.0/1.1 */
    uint8_t side;         /* MT_MSG_SIDE_* of the sender (validation only) */
    uint8_t kx;           /* MT_MSG_KX_* */
    uint8_t sig;          /* MT_MSG_SIG_* */
} mt_msg_ctx;

/* Node kinds. */
enum {
    MT_MSG_K_INT = 1,    /* unsigned integer of `width` bytes (1..4) */
    MT_MSG_K_OPAQUE = 2, /* bytes without prefix: fixed length (`fixed`) or the rest */
    MT_MSG_K_VEC = 3,    /* bytes behind a `width`-byte length prefix */
    MT_MSG_K_LIST = 4,   /* elements (children) behind a `width`-byte length prefix */
    MT_MSG_K_STRUCT = 5, /* named fields (children), no prefix */
    MT_MSG_K_EXT = 6,    /* one extension: value = type; u16-prefixed body */
    MT_MSG_K_MSG = 7     /* the root: value = wire type; handshake: u24-prefixed body */
};

/* Name tables, one per kind of code point. */
enum {
    MT_NAMES_HANDSHAKE = 0,   /* handshake message types (u8) */
    MT_NAMES_EXTENSION,       /* extension types (u16) */
    MT_NAMES_CIPHER_SUITE,    /* cipher suites, SCSVs included (u16) */
    MT_NAMES_GROUP,           /* named groups (u16) */
    MT_NAMES_SIGSCHEME,       /* signature schemes (u16) */
    MT_NAMES_ALERT,           /* alert descriptions (u8) */
    MT_NAMES_ALERT_LEVEL,     /* warning, fatal */
    MT_NAMES_CONTENT_TYPE,    /* record content types (u8) */
    MT_NAMES_VERSION,         /* protocol versions: "ssl3", "1.0" .. "1.3" (u16) */
    MT_NAMES_PSK_MODE,        /* psk_key_exchange_modes (u8) */
    MT_NAMES_EC_POINT_FORMAT, /* ec_point_formats (u8) */
    MT_NAMES_CERT_TYPE,       /* TLS 1.2 CertificateRequest certificate_types (u8) */
    MT_NAMES_CERT_STATUS_TYPE, /* status_request / CertificateStatus status_type (u8) */
    MT_NAMES_COUNT
};

/* Read-only view of one node. `bytes` points into the message and stays valid until the
 * next edit or encode of that message, or mt_msg_free. */
typedef struct mt_msg_info {
    const char *name;     /* field name ("random", "cipher_suites"); EXT: the extension's
                             name or NULL; MSG: the kind name ("client_hello") */
    int kind;             /* MT_MSG_K_* */
    unsigned width;       /* INT: value width; VEC/LIST/EXT: prefix width; MSG: 3 for a
                             handshake message, 0 for alert / change_cipher_spec */
    uint64_t value;       /* INT value; EXT type; MSG wire type */
    const uint8_t *bytes; /* OPAQUE/VEC: the bytes; EXT/MSG: the raw body (see `raw`) */
    size_t len;           /* length of bytes */
    int raw;              /* EXT/MSG: encoded from `bytes`, not from the children */
    int absent;           /* an optional field that is not there (encoded as nothing) */
    int has_len;          /* an explicit length prefix value is set ... */
    uint32_t len_value;   /* ... and this is it */
    int decoded;          /* the node came from decoding: span and len_at are meaningful */
    size_t span_off;      /* offset of the node's encoding in the decoded bytes */
    size_t span_len;      /* its length, prefix included */
    size_t len_at;        /* offset of its length prefix (SIZE_MAX when it has none) */
    size_t fixed;         /* OPAQUE: the fixed length (0: the rest of the block) */
    uint32_t min, max;    /* the RFC's bounds for the content (checked by validation) */
    int names;            /* INT/EXT/MSG: the MT_NAMES_* table for the value, or -1 */
    int ext_list;         /* LIST: 1 when its elements are extensions */
} mt_msg_info;

/* Decode one message of ctx->content_type from exactly n bytes at p (handshake: header
 * and body; alert: 2 bytes; change_cipher_spec: 1 byte). p is copied (borrowed for the
 * call). Returns 0 and a new message in *out, or MT_ERR_DECODE (malformed; `where`, when
 * not NULL, gets a NUL-terminated description truncated to where_cap), MT_ERR_NO_MEMORY,
 * MT_ERR_LIMIT or MT_ERR_BAD_PARAM, with *out NULL. */
int mt_msg_decode(const mt_msg_ctx *ctx, const uint8_t *p, size_t n, mt_msg **out, char *where,
                  size_t where_cap);
/* A new message of `kind` (a handshake type, MT_MSG_HELLO_RETRY_REQUEST, or any value for
 * other content types) with every field present and zero or empty, optional ones absent
 * (an HRR gets its random). Unknown handshake types get a raw empty body. */
int mt_msg_new(const mt_msg_ctx *ctx, unsigned kind, mt_msg **out);
/* Release a message (NULL allowed); its buffers are wiped. */
void mt_msg_free(mt_msg *m);

/* Kind: the wire type, MT_MSG_HELLO_RETRY_REQUEST, or 0x100 | content type for other
 * content. The kind's name ("client_hello", "hello_retry_request", "alert",
 * "unknown_handshake") and the RFC's title ("ClientHello"); static storage. */
unsigned mt_msg_kind(const mt_msg *m);
const char *mt_msg_name(const mt_msg *m);
const char *mt_msg_title(const mt_msg *m);

/* Walking: fill *info for a node (0 or MT_ERR_BAD_PARAM); first child and next sibling,
 * MT_MSG_NONE when there is none. */
int mt_msg_node(const mt_msg *m, mt_msg_id id, mt_msg_info *info);
mt_msg_id mt_msg_first(const mt_msg *m, mt_msg_id id);
mt_msg_id mt_msg_next(const mt_msg *m, mt_msg_id id);

/* Editing. Each returns 0, MT_ERR_BAD_PARAM (wrong node kind or id), MT_ERR_LIMIT (does
 * not fit its width) or MT_ERR_NO_MEMORY.
 * - set_int: an INT, an EXT's type or a handshake root's wire type.
 * - set_bytes: an OPAQUE/VEC (any length up to 2^24, even against a fixed length), or the
 *   raw body of an EXT/MSG, which is then encoded from these bytes. p is copied.
 * - set_len: the explicit value of a node's length prefix (VEC, LIST, EXT, handshake
 *   MSG); content_len: the value the prefix gets when computed (overrides never change
 *   sizes, so it does not depend on other overrides).
 * - set_absent: mark a field absent (encoded as nothing) or present again.
 * - list_add: append a zero/empty element to a LIST that is not an extension list;
 *   ext_add: append an extension of `type` to an extension list, with a parsed empty body
 *   when the codec knows one for this type in this message, else a raw empty body. Both
 *   make the list present and give the new node's id. */
int mt_msg_set_int(mt_msg *m, mt_msg_id id, uint64_t v);
int mt_msg_set_bytes(mt_msg *m, mt_msg_id id, const void *p, size_t n);
int mt_msg_set_len(mt_msg *m, mt_msg_id id, uint32_t len);
int mt_msg_content_len(const mt_msg *m, mt_msg_id id, size_t *len);
int mt_msg_set_absent(mt_msg *m, mt_msg_id id, int absent);
int mt_msg_list_add(mt_msg *m, mt_msg_id list, mt_msg_id *id);
int mt_msg_ext_add(mt_msg *m, mt_msg_id list, unsigned type, mt_msg_id *id);

/* Encode the whole message. *p (owned by m) is valid until the next edit or encode of m,
 * or mt_msg_free. Returns 0, MT_ERR_NO_MEMORY or MT_ERR_LIMIT (a vector too long for its
 * prefix). */
int mt_msg_encode(mt_msg *m, const uint8_t **p, size_t *n);

/* The semantic rules a strict receiver applies (lib/handshake/validate.h): 0 or
 * MT_ERR_SENT(alert) with `where` (NULL allowed) describing the broken rule. client_hello
 * (NULL allowed) is the ClientHello a server message answers. */
int mt_msg_validate(const mt_msg *m, const mt_msg *client_hello, char *where, size_t where_cap);

/* Names of code points (kind: MT_NAMES_*). mt_names_of: the name of `code`, "grease" for
 * an RFC 8701 GREASE value, or NULL (unknown code or kind); static storage.
 * mt_names_code: the code of a name (aliases such as "alpn", "P-256", "tls1.3" accepted):
 * 0, MT_ERR_NOT_FOUND or MT_ERR_BAD_PARAM. mt_names_count / mt_names_at: the canonical
 * entries in ascending code order (no aliases, no GREASE; mt_names_at returns
 * MT_ERR_NOT_FOUND past the end). mt_names_kind_name: "cipher_suite", ... or NULL. */
const char *mt_names_of(int kind, uint32_t code);
int mt_names_code(int kind, const char *name, uint32_t *code);
size_t mt_names_count(int kind);
int mt_names_at(int kind, size_t i, uint32_t *code, const char **name);
int mt_names_is_grease(int kind, uint32_t code);
const char *mt_names_kind_name(int kind);

/* ======================================================================================
 * TLS 1.3 record keys outside a connection (lib/api_record.c)
 *
 * One direction's traffic keys from a traffic secret, for opening and sealing records
 * that no connection of ours carries: a trace decrypted with an NSS key log, a record a
 * test builds by hand. Key and IV are HKDF-Expand-Label(secret, "key" / "iv", "", ...)
 * (RFC 8446 7.3); mt_tls13_keys_next moves to the next KeyUpdate generation (RFC 8446
 * 7.2, "traffic upd"). The caller names the sequence number of every record (the nonce
 * is the IV xor it, RFC 8446 5.3), so a record can be tried under several keys or
 * skipped without any state moving. Opening applies the record layer's own RFC 8446
 * 5.2-5.4 rules, tag checked in constant time.
 * ====================================================================================== */

typedef struct mt_tls13_keys mt_tls13_keys;

/* Length of a traffic secret for a TLS 1.3 suite (the hash length: 32 for 0x1301 and
 * 0x1303, 48 for 0x1302), or 0 when suite is not a TLS 1.3 suite this build implements. */
size_t mt_tls13_secret_len(uint16_t suite);
/* Keys of generation 0 of `secret` (len bytes, mt_tls13_secret_len(suite); copied and
 * wiped on free) for `suite` (IANA code). *out gets the object, owned by the caller and
 * released with mt_tls13_keys_free; NULL on failure. Returns 0, MT_ERR_UNSUPPORTED (not a
 * TLS 1.3 suite we implement), MT_ERR_BAD_PARAM (secret NULL or of the wrong length, out
 * NULL), MT_ERR_NO_MEMORY or MT_ERR_CRYPTO. */
int mt_tls13_keys_new(uint16_t suite, const uint8_t *secret, size_t len, mt_tls13_keys **out);
/* Replace the secret by the next generation's and derive its key and IV; the old ones are
 * wiped. On failure k is unchanged. Returns 0, MT_ERR_BAD_PARAM (k NULL), MT_ERR_LIMIT,
 * MT_ERR_NO_MEMORY or MT_ERR_CRYPTO. */
int mt_tls13_keys_next(mt_tls13_keys *k);
/* The number of mt_tls13_keys_next calls that succeeded (0 for NULL). */
unsigned mt_tls13_keys_generation(const mt_tls13_keys *k);
/* The suite k was made for (0 for NULL). */
uint16_t mt_tls13_keys_suite(const mt_tls13_keys *k);
/* Release k, wiping secret, key and IV. NULL allowed. */
void mt_tls13_keys_free(mt_tls13_keys *k);

/* Open one protected record: `record` is exactly one whole record, its 5-byte header (the
 * additional data, RFC 8446 5.2) and len - 5 bytes of fragment, borrowed for the call.
 * out (cap bytes, cap >= len - 5: the fragment, tag included, is decrypted into it; out
 * may be NULL only with cap 0) gets the content with the inner type and zero padding
 * stripped (RFC 8446 5.4): *outlen bytes, *inner_type the content type, *padding (NULL
 * allowed) the number of zero bytes. On failure *outlen is 0 and out holds nothing of the
 * plaintext. Returns 0 or:
 *   MT_ERR_DECODE      not exactly one record: shorter than its header, or the header's
 *                      length does not match len - 5
 *   MT_ERR_LIMIT       cap too small; or seq is 2^64 - 1 (RFC 8446 5.3: never used)
 *   MT_ERR_BAD_MAC     the tag does not verify under these keys and seq (or the fragment
 *                      is shorter than the tag): bad_record_mac
 *   MT_ERR_UNEXPECTED  the header's type is not application_data; or, once authenticated,
 *                      the inner plaintext has no non-zero byte, or its type is not
 *                      alert, handshake, application_data or heartbeat (unexpected_message)
 *   MT_ERR_OVERFLOW    the header's length exceeds 2^14 + 256, or the inner plaintext
 *                      2^14 + 1 bytes (record_overflow)
 *   MT_ERR_BAD_PARAM   k, outlen or inner_type NULL, or record NULL with len > 0 */
int mt_tls13_open_record(mt_tls13_keys *k, uint64_t seq, const uint8_t *record, size_t len,
                         uint8_t *out, size_t cap, size_t *outlen, uint8_t *inner_type,
                         size_t *padding);
/* Seal `content` (len bytes, borrowed; must not overlap out) as a record of inner type
 * `inner_type` with `padding` zero bytes at sequence number seq: header {23, 0x0303,
 * length}, then the encrypted TLSInnerPlaintext and tag. Any inner type, length and
 * padding up to the 16-bit length field are written (a test may build what a peer must
 * refuse). out needs cap >= 5 + len + 1 + padding + 16; *outlen gets the record's length.
 * Returns 0, MT_ERR_LIMIT (cap too small, too long for the length field, seq 2^64 - 1),
 * MT_ERR_BAD_PARAM, MT_ERR_NO_MEMORY or MT_ERR_CRYPTO. */
int mt_tls13_seal_record(mt_tls13_keys *k, uint64_t seq, uint8_t inner_type,
                         const uint8_t *content, size_t len, size_t padding, uint8_t *out,
                         size_t cap, size_t *outlen);

#endif
