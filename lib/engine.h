/*
 * engine.h - the connection object and the engine core shared by the state machines.
 * Internal to lib/; the public surface is lib/moontls.h.
 *
 * Notes: how a connection works
 * - State machines are data (DESIGN.md section 5): a table per protocol and role lists
 *   states, each either a *send* state (its function builds and queues what we send next)
 *   or an *expect* state (the message types it accepts and the function that handles
 *   them). The driver alone sends unexpected_message for a type the state does not accept.
 * - Nothing a state function does ever pauses half-way. It queues work items instead:
 *   a message to send (MSG), or a change of write keys (KEYS). The output pipeline then
 *   works through the queue in order: MSG -> [message_out hook] -> transcript -> the
 *   handshake coalescing buffer; KEYS -> flush that buffer into records under the old
 *   keys -> install the new ones. Flushing cuts records -> [record_out hook] -> seal ->
 *   [wire_out hook] -> output. The run loop calls the next send state only once the queue
 *   is empty, so a state function always sees the transcript of everything sent before.
 * - Scripts queue items too (mt_conn_inject_at): at the end, or ahead of everything not
 *   yet at the record layer. Items injected ahead of a message paused at message_out wait
 *   in c->ahead; when the hook's verdict comes the message parks it (stage 2) and they
 *   are spliced in front of it. Each item keeps its own stage, so the queue may change
 *   around the head.
 * - While one of our events waits, mt_conn_run still reads the peer's alerts at the front
 *   of the input (read_alerts_paused), and nothing else.
 * - Hook pauses happen only inside the pipelines (hook_point), which keep explicit
 *   positions, so resuming after an event continues exactly where the engine stopped.
 *   Crypto hooks that answer (sign, key_share, ...) go through mt_eng_ask: the first call
 *   pauses and returns MT_PAUSED, the state function returns it unchanged, and the run
 *   loop calls the same state function again once the answer is there. A state function
 *   must therefore do its asks before any side effect (each of ours does).
 * - Inbound: wire bytes -> [wire_in hook] -> deframe -> open -> [record_in hook] -> by
 *   content type: handshake -> reassembly -> [message_in hook] -> state machine; alert,
 *   change_cipher_spec and application data are handled by the driver.
 * - Errors are sticky (mt_eng_fail): the first one wins and every later call returns it.
 *   Its alert is sealed into the output at once, unless the connection has interest in
 *   record_out or wire_out: then it goes through those hooks (a script may mutate or
 *   drop it), flushed by mt_conn_run although the connection has failed.
 */
#ifndef MT_ENGINE_H
#define MT_ENGINE_H

#include "buf/buf.h"
#include "crypto/rng.h"
#include "handshake/keysched13.h"
#include "handshake/transcript.h"
#include "moontls.h"
#include "record/record.h"

/* Internal "paused at a hook point" code; never returned by the public API. */
#define MT_PAUSED 0x3ff

#define MT_MAX_LIST 32
#define MT_MAX_PINNED 8
#define MT_MAX_CREDS 4

struct mt_cred;

struct mt_config {
    int refs;
    int role;
    uint16_t vmin, vmax;
    uint16_t suites[MT_MAX_LIST];
    size_t n_suites;
    uint16_t groups[MT_MAX_LIST];
    size_t n_groups;
    uint16_t sigalgs[MT_MAX_LIST];
    size_t n_sigalgs;
    uint16_t key_shares[MT_MAX_LIST];
    size_t n_key_shares;
    int key_shares_set; /* 1: key_shares is explicit (possibly empty) */
    struct {
        uint16_t group;
        uint8_t priv[66];
        size_t len;
    } pinned[MT_MAX_PINNED];
    size_t n_pinned;
    mt_buf alpn; /* ProtocolNameList body: u8-prefixed names */
    char *server_name;
    struct mt_cred *creds[MT_MAX_CREDS];
    size_t n_creds;
    mt_buf ca_pem;
    int verify;
    int compat;
    int hrr_cookie;
    int force_hrr;            /* server: HRR even with a usable share */
    uint16_t force_hrr_group; /* 0: the engine's choice */
    int force_hrr_twice;
    mt_buf hrr_cookie_value; /* server: fixed HRR cookie bytes (empty: 32 random bytes) */
    /* Shaping knobs (handshake/shape.c): per message kind, the extension order and the
     * extra extensions (u16 type, u16 length, data; concatenated) of what the engine
     * builds. */
    struct mt_shape {
        unsigned kind; /* 0: unused slot; a handshake type or MT_MSG_HELLO_RETRY_REQUEST */
        uint16_t order[MT_MAX_LIST];
        size_t n_order;
        mt_buf extra;
    } shapes[4];
    mt_rng rng;
    mt_clock_cb clock;
    void *clock_ud;
    uint32_t hooks;
    /* PSK and resumption (handshake/ticket.c) */
    uint32_t tickets;         /* server: NewSessionTickets after the handshake */
    uint32_t ticket_lifetime; /* server: seconds */
    uint8_t ticket_key[32];   /* server: seals tickets; drawn at the first ticket if unset */
    int ticket_key_set;
    int psk_ke;                 /* client: offer psk_ke too; server: accept psk_ke */
    mt_buf ext_psk_identity;    /* external PSK (RFC 8446 2.2): identity, key, hash */
    mt_buf ext_psk_key;
    int ext_psk_hash;             /* mt_hash_id; 0: none configured */
    uint32_t max_early_data;      /* server: accept 0-RTT up to this (0: reject) */
    uint8_t early_seen[256][16];  /* server: tickets already used for 0-RTT (anti-replay) */
    int64_t early_seen_time[256]; /* when each was recorded (config clock, seconds) */
    size_t n_early_seen;
};

/* One state of a state machine table. */
typedef struct mt_state {
    const char *name;
    int send;              /* 1: send state (fn builds), 0: expect state */
    const uint8_t *accept; /* expect: accepted handshake types, terminated by 255 */
    /* send: msg is NULL; expect: the whole message (header + body), borrowed. */
    int (*fn)(mt_conn *c, mt_slice msg);
} mt_state;

/* Queued output work. */
typedef enum { MT_ITEM_MSG = 1, MT_ITEM_KEYS, MT_ITEM_FLUSH } mt_item_kind;

typedef struct mt_item {
    mt_item_kind kind;
    uint8_t ct;           /* MSG: content type */
    mt_buf bytes;         /* MSG: the message (handshake: header + body) */
    uint32_t flight, seq; /* MSG: for the message_out event */
    int nohash;           /* MSG: injected with hash = 0: never enters the transcript */
    int started;          /* the output pipeline began working on it */
    int stage;            /* MSG: position inside out_msg (engine.c) */
    int ahead;            /* injected with MT_INJECT_NEXT */
    /* MSG parked at stage 2: the message_out verdict, kept while items injected ahead of
     * it go out (mt_conn_inject_at with MT_INJECT_NEXT during its hook) */
    mt_buf park;
    size_t park_lens[16];
    size_t park_n;
    int park_replaced, park_hash_final, park_adopt;
    mt_rec_keys keys;     /* KEYS: slices point into key_material */
    uint8_t key_material[2 * MT_AEAD_MAX_KEY_LEN + 2 * MT_HASH_MAX_LEN];
    struct mt_item *next;
} mt_item;

/* Informational events waiting to be read. */
typedef struct mt_info_ev {
    mt_event ev;
    mt_buf data;
    char label[64];
    struct mt_info_ev *next;
} mt_info_ev;

typedef enum { MT_EV_NONE = 0, MT_EV_WAITING, MT_EV_DONE } mt_ev_state;
typedef struct mt_ask mt_ask;

struct mt_conn {
    mt_config *cfg;
    int role;
    uint32_t hooks;
    void *user;
    int single_step;

    int err;
    char where[192];
    int closed_by_peer;
    int close_sent;
    int eof;

    /* protocol state machine */
    const mt_state *table;
    int state;
    int handshake_done;
    uint32_t flight;
    int last_dir; /* direction of the last message: 0 out, 1 in, -1 none */
    uint32_t msg_seq;

    /* input */
    mt_buf in;
    mt_rec_prot rd;
    mt_buf plain;
    mt_reasm reasm;
    mt_buf app_in;
    /* app_in_off: bytes of app_in already read; app_in[len, app_in_dirty) may still hold
     * plaintext that was read (wiped on release, see app_in_drained in engine.c) */
    size_t app_in_off, app_in_dirty;
    int in_stage; /* 0: deframe; 1: record_in; 2: next message; 3: message_in; 4: handover */
    mt_record in_rec;
    uint32_t rd_opened;       /* records opened under the current read keys */
    int plain_alert;          /* the alert being handled came unprotected under 1.3 keys */
    mt_buf cur_msg;           /* the handshake message(s) being delivered */
    size_t dispatch_lens[16]; /* after message_in: the messages in cur_msg ... */
    size_t n_dispatch, dispatch_idx, dispatch_off; /* ... and how far the handover got */
    mt_buf in_raw;                                 /* fed bytes waiting for the wire_in hook */
    size_t in_reserved; /* mt_conn_input_reserve: bytes promised past in.len ... */
    size_t in_resv_len; /* ... and in.len when they were (a changed len voids them) */
    size_t in_off;      /* bytes at the front of `in` already deframed (in_consume) */

    /* output */
    mt_rec_prot wr;
    mt_item *queue, *queue_tail;
    mt_item *ahead, *ahead_tail; /* injected ahead of the message paused at message_out */
    int fatal_alert; /* the failure's alert waits in `coalesce` for the record hooks */
    mt_buf coalesce; /* bytes of one content type waiting to be cut into records */
    uint8_t coalesce_ct;
    size_t flush_off;   /* bytes of coalesce already cut */
    int flush_stage;    /* 0: cut next record, 1: record_out pending, 2: wire_out pending */
    mt_buf rec_scratch; /* the record being processed by hooks */
    mt_buf out;         /* wire bytes ready for the caller ... */
    size_t out_off;     /* ... from this offset on (the caller took the ones before) */

    /* events */
    mt_ev_state ev_state;
    mt_event ev;
    mt_buf ev_data; /* the event's object (copied) */
    mt_buf ev_repl; /* replacement objects, concatenated */
    size_t ev_lens[16];
    size_t ev_nrepl;
    int ev_replaced;
    int ev_hash_final, ev_adopt;
    int ev_set_record;
    int ev_set_outer;
    uint8_t ev_outer_type;
    uint8_t ev_rec_type;
    uint16_t ev_rec_version;
    size_t ev_rec_padding;
    struct mt_ask { /* answered asks of the running state function (call_state) */
        mt_hook kind;
        mt_buf data; /* the answer objects, concatenated */
        size_t n, l0, l1;
    } asks[8];
    size_t n_asks, ask_pos;
    mt_info_ev *info, *info_tail;
    int info_first;   /* the info events were queued while an event waits (alerts read
                         while paused, engine.c): they are handed out before it */

    /* handshake */
    mt_rng rng;
    mt_transcript tr;
    mt_ks13 ks;
    uint16_t version, suite, group, sigalg;
    int hrr;
    char alpn[256];
    mt_buf alpn_choice; /* server: a script's ALPN choice (u8-prefixed), see alpn_choice_set */
    int alpn_choice_set;
    char sni[256];
    uint8_t client_random[32], server_random[32];
    mt_buf hrr_cookie; /* server: this connection's HRR cookie (mt_conn_set_hrr_cookie) ... */
    int hrr_cookie_set; /* ... when set: it replaces the configuration's choice */

    /* message_out adoption: the state machine re-reads a replaced message as its own
     * (client13 sets it for ClientHello). NULL: adoption unsupported, a no-op. */
    int (*adopt_fn)(mt_conn *c, uint8_t ct, mt_slice msg);

    /* PSK and resumption (handshake/ticket.c) */
    mt_buf session_offer; /* client: the exported session to offer (mt_conn_set_session) */
    mt_buf session_new;   /* client: the newest session from a NewSessionTicket, exported */
    int resumed;          /* the handshake used a PSK */
    uint32_t tickets_sent;
    /* 0-RTT (RFC 8446 4.2.10) */
    mt_buf early_data;      /* client: what to send as early data (mt_conn_set_early_data) */
    int early_state;        /* MT_EARLY_*, see mt_info.early_data */
    int early_in;           /* server: application data records now carry early data */
    size_t early_in_len, early_in_max;
    int early_skip;         /* server: skip records it cannot read (refused early data) */
    size_t early_skip_left; /* ... up to this many bytes */

    /* The peer's certificates and what our chain check said, kept past the handshake
     * (mt_conn_peer_cert, mt_conn_verify_result): copied from the verify_peer ask
     * (mt_eng_ask2), which every state machine makes once the chain is in. */
    mt_buf peer_certs;   /* u24-length-prefixed DER entries, leaf first */
    size_t n_peer_certs;
    int verify_state;    /* 0: no check ran, 1: passed, 2: failed */
    int verify_err;      /* failed: the error the check gave */
    char verify_reason[320];

    /* protocol-specific data of the running state machine (client13.c, server13.c) */
    void *hs;
    void (*hs_free)(void *hs);
};

/* Fail the connection (sticky) with err and a printf-style location; queues the fatal
 * alert for sent-alert codes. Returns err. */
int mt_eng_fail(mt_conn *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Queue a message (content type, bytes copied) to send. */
int mt_eng_send(mt_conn *c, uint8_t ct, const uint8_t *p, size_t n);
/* Queue a handshake message given its type and body. The configuration's shaping knobs
 * (extension order, extra extensions) apply to the body first. */
int mt_eng_send_hs(mt_conn *c, uint8_t type, const uint8_t *body, size_t n);
/* Shaping (handshake/shape.c): the body of a handshake message of `type` as the
 * configuration shapes it, into out (reset first). Returns MT_ERR_NOT_FOUND when no knob
 * applies (out untouched: send the body as built), 0, or an error. */
int mt_shape_body(const mt_config *cfg, uint8_t type, mt_slice body, mt_buf *out);
/* Queue a change of write keys (copied). */
int mt_eng_set_write_keys(mt_conn *c, const mt_rec_keys *k);
/* Install read keys now; RFC 8446 5.1: no handshake message may span the change. */
int mt_eng_set_read_keys(mt_conn *c, const mt_rec_keys *k);
/* The handshake is complete: mark it and release handshake-only memory (the state
 * machine's c->hs among it: post-handshake handlers must not use it). */
void mt_eng_handshake_done(mt_conn *c);
/* Move to state `next` of the current table (emits a state event). */
void mt_eng_goto(mt_conn *c, int next);
/* Switch state machine table (e.g. after version negotiation) and enter its state. */
void mt_eng_use_table(mt_conn *c, const mt_state *table, int state);
/* Report a secret (NSS label) to the secret hook and key log. */
void mt_eng_secret(mt_conn *c, const char *label, const uint8_t *secret, size_t len);
/* Ask a crypto hook: when the connection has interest in `kind`, the first call pauses
 * (returns MT_PAUSED; return it from the state function) and the second returns 0 with
 * *answer and *answer_len set to the caller's replacement, or NULL/0 when the caller passed.
 * Without interest returns 0 with *answer NULL at once. The answer stays valid until the
 * state function returns. */
int mt_eng_ask(mt_conn *c, mt_hook kind, uint16_t scheme, const uint8_t *data, size_t len,
               const uint8_t **answer, size_t *answer_len);
/* The same with an optional second answer object (key_share: the public bytes to send);
 * *extra is NULL when the caller gave none. Both stay valid until the state returns. */
int mt_eng_ask2(mt_conn *c, mt_hook kind, uint16_t scheme, const uint8_t *data, size_t len,
                const uint8_t **answer, size_t *answer_len, const uint8_t **extra,
                size_t *extra_len);
/* Draw random bytes through the configured generator. */
int mt_eng_random(mt_conn *c, const char *purpose, uint8_t *out, size_t n);
/* The clock (seconds since the epoch). */
int64_t mt_eng_now(const mt_conn *c);
/* The NSS key log label callback for mt_ks13 (user = the connection). */
void mt_eng_ks13_secret(const char *label, const uint8_t *secret, size_t len, void *user);

/* State machines (client13.c, server13.c). Each sets c->table, c->state, c->hs. */
int mt_client13_start(mt_conn *c);
int mt_server13_start(mt_conn *c);

#endif
