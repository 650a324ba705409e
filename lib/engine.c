/*
 * engine.c - the connection driver: run loop, output and input pipelines, hook pauses,
 * sticky errors, application data. See engine.h for how the pieces fit.
 */
#include "engine.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define ALERT_LEVEL_WARNING 1
#define ALERT_LEVEL_FATAL 2

static int interested(const mt_conn *c, mt_hook h)
{
    return (c->hooks >> h) & 1u;
}

/* ---------------------------------------------------------------------------------
 * Events
 * --------------------------------------------------------------------------------- */

static void ev_reset(mt_conn *c)
{
    c->ev_state = MT_EV_NONE;
    mt_buf_free(&c->ev_data);
    mt_buf_free(&c->ev_repl);
    c->ev_nrepl = 0;
    c->ev_replaced = 0;
    c->ev_set_record = 0;
    c->ev_set_outer = 0;
    memset(&c->ev, 0, sizeof c->ev);
}

/* A pausing hook point. Returns MT_PAUSED the first time when the connection has
 * interest; after mt_conn_event_done it returns 0 with the verdict in c->ev_replaced /
 * ev_repl / ev_lens / ev_nrepl (the caller consumes it and calls ev_reset). Without
 * interest it returns 0 with ev_replaced 0 (pass). */
static int hook_point(mt_conn *c, const mt_event *tmpl, const uint8_t *data, size_t len)
{
    /* Resuming: the answered event must be this point's (pipelines re-enter exactly
     * where they paused; anything else is an engine bug, reported, never misapplied). */
    if (c->ev_state == MT_EV_DONE) return c->ev.kind == tmpl->kind ? 0 : MT_ERR_BAD_STATE;
    if (!interested(c, tmpl->kind)) return 0;
    c->ev = *tmpl;
    c->ev.paused = 1;
    MT_TRY(mt_buf_set(&c->ev_data, data, len));
    c->ev.data = c->ev_data.data;
    c->ev.len = len;
    c->ev_hash_final = tmpl->hash_final;
    c->ev_adopt = tmpl->adopt;
    c->ev_state = MT_EV_WAITING;
    return MT_PAUSED;
}

/* The i-th object after a verdict: the replacement, or the original when passed. */
static mt_slice verdict_obj(const mt_conn *c, size_t i, mt_slice original)
{
    if (!c->ev_replaced) return original;
    size_t off = 0;
    for (size_t k = 0; k < i; k++)
        off += c->ev_lens[k];
    return mt_slice_of(c->ev_repl.data + off, c->ev_lens[i]);
}

static size_t verdict_count(const mt_conn *c)
{
    return c->ev_replaced ? c->ev_nrepl : 1;
}

/* Queue an informational event (copied). Only when the connection has interest. */
static void info_push(mt_conn *c, mt_hook kind, int dir, const char *label, const uint8_t *data,
                      size_t len)
{
    if (!interested(c, kind)) return;
    mt_info_ev *e = calloc(1, sizeof *e);
    if (e == NULL) return; /* informational: losing it must not fail the connection */
    if (mt_buf_set(&e->data, data, len) != 0) {
        free(e);
        return;
    }
    snprintf(e->label, sizeof e->label, "%s", label ? label : "");
    e->ev.kind = kind;
    e->ev.dir = dir;
    e->ev.label = e->label;
    e->ev.data = e->data.data;
    e->ev.len = len;
    e->ev.epoch = dir ? c->rd.epoch : c->wr.epoch;
    if (c->info_tail)
        c->info_tail->next = e;
    else
        c->info = e;
    c->info_tail = e;
}

static void info_pop(mt_conn *c)
{
    mt_info_ev *e = c->info;
    if (e == NULL) return;
    c->info = e->next;
    if (c->info == NULL) {
        c->info_tail = NULL;
        c->info_first = 0;
    }
    mt_buf_free(&e->data);
    free(e);
}

const mt_event *mt_conn_event(const mt_conn *c)
{
    if (c->info_first && c->info) return &c->info->ev;
    if (c->ev_state == MT_EV_WAITING) return &c->ev;
    if (c->info) return &c->info->ev;
    return NULL;
}

int mt_conn_event_replace(mt_conn *c, const uint8_t *data, const size_t *lens, size_t n)
{
    MT_ENSURE(c->ev_state == MT_EV_WAITING, MT_ERR_BAD_STATE);
    MT_ENSURE(n <= MT_ARRAY_LEN(c->ev_lens), MT_ERR_LIMIT);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lens[i];
    MT_TRY(mt_buf_set(&c->ev_repl, data, total));
    for (size_t i = 0; i < n; i++)
        c->ev_lens[i] = lens[i];
    c->ev_nrepl = n;
    c->ev_replaced = 1;
    return 0;
}

int mt_conn_event_set_flags(mt_conn *c, int hash_final, int adopt)
{
    MT_ENSURE(c->ev_state == MT_EV_WAITING, MT_ERR_BAD_STATE);
    c->ev_hash_final = hash_final;
    c->ev_adopt = adopt;
    return 0;
}

int mt_conn_event_set_record(mt_conn *c, uint8_t type, uint16_t version, size_t padding)
{
    MT_ENSURE(c->ev_state == MT_EV_WAITING && c->ev.kind == MT_HOOK_RECORD_OUT, MT_ERR_BAD_STATE);
    c->ev_set_record = 1;
    c->ev_rec_type = type;
    c->ev_rec_version = version;
    c->ev_rec_padding = padding;
    return 0;
}

int mt_conn_event_set_outer_type(mt_conn *c, uint8_t outer_type)
{
    MT_ENSURE(c->ev_state == MT_EV_WAITING && c->ev.kind == MT_HOOK_RECORD_OUT, MT_ERR_BAD_STATE);
    c->ev_set_outer = 1;
    c->ev_outer_type = outer_type;
    return 0;
}

int mt_conn_inject(mt_conn *c, uint8_t content_type, const uint8_t *msg, size_t len, int hash)
{
    return mt_conn_inject_at(c, MT_INJECT_LAST, content_type, msg, len, hash);
}

static mt_item *item_alloc(mt_conn *c, mt_item_kind kind);
static void item_free(mt_item *it);

int mt_conn_inject_at(mt_conn *c, int where, uint8_t content_type, const uint8_t *msg, size_t len,
                      int hash)
{
    if (c->err) return c->err;
    MT_ENSURE(where == MT_INJECT_LAST || where == MT_INJECT_NEXT, MT_ERR_BAD_PARAM);
    if (where == MT_INJECT_LAST) {
        MT_TRY(mt_eng_send(c, content_type, msg, len));
        c->queue_tail->nohash = !hash;
        return 0;
    }
    mt_item *it = item_alloc(c, MT_ITEM_MSG);
    MT_ENSURE(it != NULL, MT_ERR_NO_MEMORY);
    it->ct = content_type;
    it->nohash = !hash;
    it->ahead = 1;
    if (mt_buf_append(&it->bytes, msg, len) != 0) {
        item_free(it);
        return MT_ERR_NO_MEMORY;
    }
    mt_item *head = c->queue;
    if (head && head->kind == MT_ITEM_MSG && head->stage == 1 && c->ev_state == MT_EV_WAITING &&
        c->ev.kind == MT_HOOK_MESSAGE_OUT) {
        /* Ahead of the message paused at message_out: out_msg splices these in front of
         * it once its verdict is in. */
        if (c->ahead_tail)
            c->ahead_tail->next = it;
        else
            c->ahead = it;
        c->ahead_tail = it;
        return 0;
    }
    /* After the item being written, and after what was injected ahead before. */
    mt_item **link = &c->queue;
    if (head && head->started) link = &head->next;
    while (*link && (*link)->ahead && !(*link)->started)
        link = &(*link)->next;
    it->next = *link;
    *link = it;
    if (it->next == NULL) c->queue_tail = it;
    return 0;
}

int mt_conn_event_done(mt_conn *c, int err)
{
    if (c->info_first && c->info) {
        info_pop(c);
        return 0;
    }
    if (c->ev_state == MT_EV_WAITING) {
        c->ev_state = MT_EV_DONE;
        if (err) return mt_eng_fail(c, MT_ERR_HOOK, "hook failed (code 0x%x)", err);
        return 0;
    }
    MT_ENSURE(c->info != NULL, MT_ERR_BAD_STATE);
    info_pop(c);
    return 0;
}

/* ---------------------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------------------- */

static void send_alert_now(mt_conn *c, uint8_t level, uint8_t desc)
{
    uint8_t body[2] = {level, desc};
    mt_record rec;
    mt_rec_prepare(&c->wr, MT_CT_ALERT, mt_slice_of(body, 2), &rec);
    if (mt_rec_seal(&c->wr, &rec, &c->out) == 0)
        info_push(c, MT_HOOK_ALERT, 0, mt_alert_name(desc), body, 2);
}

/* The failure's fatal alert: sealed now, or, when a script watches our records
 * (record_out or wire_out), left alone in the coalescing buffer for flush_fatal to send
 * through those hooks. Whatever the pipeline was doing is abandoned. */
static void fatal_alert(mt_conn *c, uint8_t desc)
{
    uint8_t body[2] = {ALERT_LEVEL_FATAL, desc};
    mt_buf_free(&c->coalesce); /* nothing queued is sent after a fatal alert */
    if (!interested(c, MT_HOOK_RECORD_OUT) && !interested(c, MT_HOOK_WIRE_OUT)) {
        send_alert_now(c, ALERT_LEVEL_FATAL, desc);
        return;
    }
    c->flush_off = 0;
    c->flush_stage = 0;
    mt_buf_reset(&c->rec_scratch);
    if (mt_buf_set(&c->coalesce, body, 2) != 0) {
        send_alert_now(c, ALERT_LEVEL_FATAL, desc);
        return;
    }
    c->coalesce_ct = MT_CT_ALERT;
    c->fatal_alert = 1;
    info_push(c, MT_HOOK_ALERT, 0, mt_alert_name(desc), body, 2);
}

static int flush(mt_conn *c);

/* Send the failure's alert through the record hooks (see fatal_alert), pausing like any
 * output; once done (or if sealing fails) there is nothing more to send. */
static void flush_fatal(mt_conn *c)
{
    if (!c->fatal_alert || c->ev_state == MT_EV_WAITING || c->info) return;
    /* An answered event of the abandoned pipeline (the alert's record is not cut yet):
     * it will never be resumed. */
    if (c->ev_state == MT_EV_DONE && c->flush_stage == 0) ev_reset(c);
    if (flush(c) != MT_PAUSED) c->fatal_alert = 0;
}

int mt_eng_fail(mt_conn *c, int err, const char *fmt, ...)
{
    if (c->err) return c->err;
    if (err == MT_PAUSED || err == 0) err = MT_ERR_INTERNAL;
    c->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->where, sizeof c->where, fmt, ap);
    va_end(ap);
    if (MT_ERR_IS_SENT(err)) {
        fatal_alert(c, (uint8_t)MT_ERR_ALERT(err));
    } else if (err >= MT_ERR_NO_MEMORY && err != MT_ERR_WANT_INPUT) {
        /* RFC 8446 6.2: internal_error for failures unrelated to the peer; a script hook
         * that failed is one (the peer learns the connection is over, not why). */
        fatal_alert(c, MT_ALERT_INTERNAL_ERROR);
    } else {
        /* Nothing queued will ever be sent after a fatal alert. */
        mt_buf_free(&c->coalesce);
    }
    return err;
}

int mt_conn_error(const mt_conn *c, const char **where)
{
    if (where) *where = c->where[0] ? c->where : mt_err_message(c->err);
    return c->err;
}

/* ---------------------------------------------------------------------------------
 * Output pipeline
 * --------------------------------------------------------------------------------- */

static mt_item *item_alloc(mt_conn *c, mt_item_kind kind)
{
    mt_item *it = calloc(1, sizeof *it);
    if (it == NULL) return NULL;
    it->kind = kind;
    if (kind == MT_ITEM_MSG) {
        if (c->last_dir != 0) {
            c->flight++;
            c->last_dir = 0;
        }
        it->flight = c->flight;
        it->seq = c->msg_seq++;
    }
    return it;
}

static mt_item *item_new(mt_conn *c, mt_item_kind kind)
{
    mt_item *it = item_alloc(c, kind);
    if (it == NULL) return NULL;
    if (c->queue_tail)
        c->queue_tail->next = it;
    else
        c->queue = it;
    c->queue_tail = it;
    return it;
}

static void item_free(mt_item *it)
{
    mt_buf_free(&it->bytes);
    mt_buf_free(&it->park);
    mt_wipe(it->key_material, sizeof it->key_material);
    free(it);
}

static void queue_pop(mt_conn *c)
{
    mt_item *it = c->queue;
    c->queue = it->next;
    if (c->queue == NULL) c->queue_tail = NULL;
    item_free(it);
}

int mt_eng_send(mt_conn *c, uint8_t ct, const uint8_t *p, size_t n)
{
    mt_item *it = item_new(c, MT_ITEM_MSG);
    MT_ENSURE(it != NULL, MT_ERR_NO_MEMORY);
    it->ct = ct;
    return mt_buf_append(&it->bytes, p, n);
}

static int queue_hs(mt_conn *c, uint8_t type, const uint8_t *body, size_t n)
{
    MT_ENSURE(n < (1u << 24), MT_ERR_LIMIT);
    mt_item *it = item_new(c, MT_ITEM_MSG);
    MT_ENSURE(it != NULL, MT_ERR_NO_MEMORY);
    it->ct = MT_CT_HANDSHAKE;
    MT_TRY(mt_wr_u8(&it->bytes, type));
    MT_TRY(mt_wr_u24(&it->bytes, (uint32_t)n));
    return mt_buf_append(&it->bytes, body, n);
}

int mt_eng_send_hs(mt_conn *c, uint8_t type, const uint8_t *body, size_t n)
{
    /* The shaping knobs (handshake/shape.c) give the body its configured extensions. */
    mt_buf shaped = {0};
    int rc = mt_shape_body(c->cfg, type, mt_slice_of(body, n), &shaped);
    if (rc == 0)
        rc = queue_hs(c, type, shaped.data, shaped.len);
    else if (rc == MT_ERR_NOT_FOUND)
        rc = queue_hs(c, type, body, n);
    mt_buf_free(&shaped);
    return rc;
}

/* Copy a slice into the item's key material and repoint it. */
static mt_slice keep_slice(mt_item *it, size_t *off, mt_slice s)
{
    if (s.len == 0 || *off + s.len > sizeof it->key_material) return mt_slice_of(NULL, 0);
    memcpy(it->key_material + *off, s.p, s.len);
    mt_slice r = mt_slice_of(it->key_material + *off, s.len);
    *off += s.len;
    return r;
}

int mt_eng_set_write_keys(mt_conn *c, const mt_rec_keys *k)
{
    mt_item *it = item_new(c, MT_ITEM_KEYS);
    MT_ENSURE(it != NULL, MT_ERR_NO_MEMORY);
    size_t off = 0;
    it->keys = *k;
    it->keys.key = keep_slice(it, &off, k->key);
    it->keys.iv = keep_slice(it, &off, k->iv);
    it->keys.mac_key = keep_slice(it, &off, k->mac_key);
    return 0;
}

int mt_eng_set_read_keys(mt_conn *c, const mt_rec_keys *k)
{
    /* RFC 8446 5.1: handshake messages MUST NOT span key changes. */
    MT_TRY(mt_reasm_check_key_change(&c->reasm));
    MT_TRY(mt_rec_prot_install(&c->rd, k));
    c->rd_opened = 0; /* plaintext alerts are believed until the new keys first work */
    return 0;
}

/* Cut the coalescing buffer into records: [record_out] -> seal -> [wire_out] -> out.
 * Resumable: positions live in c->flush_off / c->flush_stage. */
static int flush(mt_conn *c)
{
    while (c->flush_off < c->coalesce.len || c->flush_stage != 0) {
        if (c->flush_stage == 0) {
            size_t max = mt_rec_max_fragment(&c->wr);
            size_t n = c->coalesce.len - c->flush_off;
            if (n > max) n = max;
            MT_TRY(mt_buf_set(&c->rec_scratch, c->coalesce.data + c->flush_off, n));
            c->flush_off += n;
            c->flush_stage = 1;
        }
        if (c->flush_stage == 1) {
            /* A TLS 1.3 CCS goes out unprotected whatever the keys: it travels in the
             * initial epoch. */
            int ccs13 = c->coalesce_ct == MT_CT_CHANGE_CIPHER_SPEC && c->wr.kind == MT_REC_AEAD13;
            mt_event t = {.kind = MT_HOOK_RECORD_OUT,
                          .dir = 0,
                          .content_type = c->coalesce_ct,
                          .epoch = ccs13 ? 0 : c->wr.epoch,
                          .flight = c->flight,
                          .record_version = c->wr.record_version};
            MT_TRY(hook_point(c, &t, c->rec_scratch.data, c->rec_scratch.len));
            mt_buf sealed = {0};
            int rc = 0;
            for (size_t i = 0; i < verdict_count(c) && rc == 0; i++) {
                mt_record rec;
                mt_slice payload = verdict_obj(c, i, mt_buf_slice(&c->rec_scratch));
                mt_rec_prepare(&c->wr, c->coalesce_ct, payload, &rec);
                if (c->ev_set_record) {
                    rec.type = c->ev_rec_type;
                    if (c->wr.kind != MT_REC_AEAD13) rec.outer_type = c->ev_rec_type;
                    rec.version = c->ev_rec_version;
                    rec.padding = c->ev_rec_padding;
                }
                if (c->ev_set_outer) {
                    /* RFC 8446 5.2 outer type for 1.3; the only type otherwise. */
                    if (c->wr.kind == MT_REC_AEAD13)
                        rec.outer_type = c->ev_outer_type;
                    else
                        rec.type = rec.outer_type = c->ev_outer_type;
                }
                if (ccs13) {
                    /* RFC 8446 5: the compatibility CCS is never protected. */
                    if (!c->ev_set_outer) rec.outer_type = rec.type;
                    rec.type = rec.outer_type;
                    rc = mt_rec_write_raw(&rec, &sealed);
                } else {
                    rc = mt_rec_seal(&c->wr, &rec, &sealed);
                }
            }
            ev_reset(c);
            if (rc == 0) rc = mt_buf_set(&c->rec_scratch, sealed.data, sealed.len);
            mt_buf_free(&sealed);
            MT_TRY(rc);
            c->flush_stage = 2;
        }
        if (c->flush_stage == 2) {
            mt_event t = {
                .kind = MT_HOOK_WIRE_OUT, .dir = 0, .epoch = c->wr.epoch, .flight = c->flight};
            MT_TRY(hook_point(c, &t, c->rec_scratch.data, c->rec_scratch.len));
            int rc = 0;
            for (size_t i = 0; i < verdict_count(c) && rc == 0; i++) {
                mt_slice s = verdict_obj(c, i, mt_buf_slice(&c->rec_scratch));
                rc = mt_buf_append(&c->out, s.p, s.len);
            }
            ev_reset(c);
            MT_TRY(rc);
            mt_buf_reset(&c->rec_scratch);
            c->flush_stage = 0;
        }
    }
    /* Release while idle: an idle connection holds no output scratch. */
    mt_buf_free(&c->coalesce);
    mt_buf_free(&c->rec_scratch);
    c->flush_off = 0;
    return 0;
}

/* out_msg asks out_pump to start again from the head of the queue (items were spliced in
 * front of the one it was working on). Internal; never leaves this file. */
#define MT_REQUEUE 0x3fe

/* A message's final objects into the transcript and the coalescing buffer, then
 * adoption. repl/lens/n: the verdict when replaced, else the item's own bytes. */
static int emit_msg(mt_conn *c, mt_item *it, const uint8_t *repl, const size_t *lens, size_t n,
                    int replaced, int hash_final, int adopt)
{
    int hashed = it->ct == MT_CT_HANDSHAKE && !it->nohash;
    int rc = 0;
    if (hashed && !hash_final) rc = mt_transcript_add(&c->tr, it->bytes.data, it->bytes.len);
    size_t count = replaced ? n : 1, off = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        mt_slice m = replaced ? mt_slice_of(repl + off, lens[i]) : mt_buf_slice(&it->bytes);
        if (replaced) off += lens[i];
        if (hashed && hash_final) rc = mt_transcript_add(&c->tr, m.p, m.len);
        if (rc == 0) rc = mt_buf_append(&c->coalesce, m.p, m.len);
    }
    /* Adoption (SCRIPTING.md 6.5): the state machine re-reads the one final message as
     * the one it meant to send. */
    if (rc == 0 && adopt && replaced && n == 1 && c->adopt_fn)
        rc = c->adopt_fn(c, it->ct, mt_slice_of(repl, lens[0]));
    c->coalesce_ct = it->ct;
    return rc;
}

/* Keep the current verdict in the item (stage 2) and put the items injected ahead of it
 * in front of it in the queue. */
static int park(mt_conn *c, mt_item *it, int hash_final, int adopt)
{
    it->park_replaced = c->ev_state == MT_EV_DONE && c->ev_replaced;
    it->park_hash_final = hash_final;
    it->park_adopt = adopt;
    it->park_n = 0;
    if (it->park_replaced) {
        MT_TRY(mt_buf_set(&it->park, c->ev_repl.data, c->ev_repl.len));
        it->park_n = c->ev_nrepl;
        memcpy(it->park_lens, c->ev_lens, sizeof it->park_lens);
    }
    c->ahead_tail->next = c->queue;
    c->queue = c->ahead;
    c->ahead = c->ahead_tail = NULL;
    return 0;
}

/* One MSG item: flush other content, [message_out], transcript, coalesce, flush.
 * Stages: 0 start, 1 message_out, 2 parked behind items injected ahead of it (flush
 * check again), 3 parked verdict to emit, 4 emitted. */
static int out_msg(mt_conn *c, mt_item *it)
{
    if (it->stage == 0 || it->stage == 2) {
        /* Records carry one content type: send what is pending of another type first,
         * and never coalesce CCS, alerts or application data with anything. */
        if (c->coalesce.len && (c->coalesce_ct != it->ct || it->ct != MT_CT_HANDSHAKE))
            MT_TRY(flush(c));
        it->stage = it->stage == 0 ? 1 : 3;
    }
    if (it->stage == 1) {
        mt_event t = {.kind = MT_HOOK_MESSAGE_OUT,
                      .dir = 0,
                      .content_type = it->ct,
                      .msg_type =
                          it->ct == MT_CT_HANDSHAKE && it->bytes.len ? it->bytes.data[0] : 0,
                      .epoch = c->wr.epoch,
                      .flight = it->flight,
                      .seq = it->seq,
                      .hash_final = 1,
                      .adopt = 0};
        MT_TRY(hook_point(c, &t, it->bytes.data, it->bytes.len));
        int done = c->ev_state == MT_EV_DONE;
        int hash_final = done ? c->ev_hash_final : 1, adopt = done && c->ev_adopt;
        int rc;
        if (c->ahead) {
            /* The hook injected messages ahead of this one (MT_INJECT_NEXT): they go
             * first; this one waits with its verdict. */
            rc = park(c, it, hash_final, adopt);
            ev_reset(c);
            MT_TRY(rc);
            it->stage = 2;
            return MT_REQUEUE;
        }
        rc = emit_msg(c, it, c->ev_repl.data, c->ev_lens, c->ev_nrepl, done && c->ev_replaced,
                      hash_final, adopt);
        ev_reset(c);
        MT_TRY(rc);
        it->stage = 4;
    }
    if (it->stage == 3) {
        MT_TRY(emit_msg(c, it, it->park.data, it->park_lens, it->park_n, it->park_replaced,
                        it->park_hash_final, it->park_adopt));
        it->stage = 4;
    }
    if (it->ct != MT_CT_HANDSHAKE) MT_TRY(flush(c));
    return 0;
}

static int out_pump(mt_conn *c)
{
    while (c->queue) {
        mt_item *it = c->queue;
        it->started = 1;
        switch (it->kind) {
        case MT_ITEM_MSG: {
            int rc = out_msg(c, it);
            if (rc == MT_REQUEUE) continue;
            MT_TRY(rc);
            break;
        }
        case MT_ITEM_KEYS:
            MT_TRY(flush(c));
            MT_TRY(mt_rec_prot_install(&c->wr, &it->keys));
            break;
        case MT_ITEM_FLUSH:
        default:
            MT_TRY(flush(c));
            break;
        }
        queue_pop(c);
    }
    return 0;
}

/* The output is taken from the front by an offset, like the input: a partial send moves
 * nothing, and ciphertext needs no wipe. New records append at out.len; write_direct moves
 * what is still unsent to the front only when the end lacks room. Invariant: out_off <
 * out.len, or both are 0. */
size_t mt_conn_output(mt_conn *c, const uint8_t **p)
{
    *p = c->out.len ? c->out.data + c->out_off : c->out.data;
    return c->out.len - c->out_off;
}

void mt_conn_output_consume(mt_conn *c, size_t n)
{
    /* Drained, the allocation stays for the next record; release_idle gives it back. */
    if (n < c->out.len - c->out_off) {
        c->out_off += n;
        return;
    }
    c->out.len = 0;
    c->out_off = 0;
}

/* Before appending about n bytes to `out`: move what is unsent to the front if the end
 * lacks room and the front has some (sealing itself reserves, so this never fails). */
static void out_room(mt_conn *c, size_t n)
{
    if (c->out_off == 0 || c->out.cap - c->out.len >= n) return;
    size_t left = c->out.len - c->out_off;
    memmove(c->out.data, c->out.data + c->out_off, left);
    c->out.len = left;
    c->out_off = 0;
}

/* ---------------------------------------------------------------------------------
 * Input pipeline
 * --------------------------------------------------------------------------------- */

static int handle_alert(mt_conn *c, mt_slice a)
{
    /* RFC 8446 5.1: a record with an Alert type MUST contain exactly one message. */
    if (a.len != 2) return mt_eng_fail(c, MT_ERR_DECODE, "alert record of %zu bytes", a.len);
    uint8_t level = a.p[0], desc = a.p[1];
    int plain = c->plain_alert;
    c->plain_alert = 0;
    info_push(c, MT_HOOK_ALERT, 1, mt_alert_name(desc), a.p, 2);
    /* An unprotected close_notify after keys changed is no clean close: anyone on the
     * path could have sent it. */
    if (plain && desc == MT_ALERT_CLOSE_NOTIFY)
        return mt_eng_fail(c, MT_ERR_UNEXPECTED, "unprotected close_notify after keys changed");
    if (desc == MT_ALERT_CLOSE_NOTIFY) {
        c->closed_by_peer = 1;
        return 0;
    }
    /* RFC 8446 6: in TLS 1.3 every alert but close_notify and user_canceled is fatal,
     * whatever its level says. */
    if (desc == MT_ALERT_USER_CANCELED && level == ALERT_LEVEL_WARNING) return 0;
    if (c->version != MT_VERSION_TLS13 && level == ALERT_LEVEL_WARNING && c->version != 0) return 0;
    c->err = MT_ERR_RECV(desc);
    snprintf(c->where, sizeof c->where, "peer sent %s alert %s",
             level == ALERT_LEVEL_WARNING ? "warning" : "fatal",
             mt_alert_name(desc) ? mt_alert_name(desc) : "(unknown)");
    return c->err;
}

static int handle_ccs(mt_conn *c, mt_slice p)
{
    /* RFC 8446 5: an unprotected CCS of the single byte 0x01 between the first
     * ClientHello and the peer's Finished MUST simply be dropped; any other value, or one
     * outside that window, is unexpected_message. (A protected one was refused by the
     * record layer.) TLS 1.2 will route CCS to its state machine. */
    if (p.len == 1 && p.p[0] == 1 && !c->handshake_done && c->msg_seq > 0) return 0;
    return mt_eng_fail(c, MT_ERR_UNEXPECTED, "change_cipher_spec outside the handshake");
}

/* Run a state function. A function that paused at a crypto hook is called again from
 * its start once the caller answered; the answers of the asks it already made in this
 * call are replayed from c->asks in order, so each hook fires once per message. The log
 * is cleared when the function finishes. */
static void asks_clear(mt_conn *c)
{
    for (size_t i = 0; i < c->n_asks; i++)
        mt_buf_free(&c->asks[i].data);
    c->n_asks = 0;
}

static int call_state(mt_conn *c, const mt_state *st, mt_slice msg)
{
    c->ask_pos = 0;
    int rc = st->fn(c, msg);
    if (rc != MT_PAUSED) {
        asks_clear(c);
        /* An answer nobody took (a state that returned early) must not leak into the
         * next hook point. */
        if (c->ev_state == MT_EV_DONE) ev_reset(c);
    }
    return rc;
}

/* Hand one whole handshake message to the state machine. */
static int dispatch(mt_conn *c, mt_slice msg)
{
    const mt_state *st = &c->table[c->state];
    uint8_t type = msg.p[0];
    if (st->send || st->accept == NULL)
        return mt_eng_fail(c, MT_ERR_UNEXPECTED, "%s: no message expected, got type %u", st->name,
                           type);
    for (const uint8_t *a = st->accept; *a != 255; a++)
        if (*a == type) return call_state(c, st, msg);
    return mt_eng_fail(c, MT_ERR_UNEXPECTED, "%s: unexpected handshake message type %u", st->name,
                       type);
}

/* The input buffer is read from the front by an offset: taking a record off moves
 * nothing, so one read that brings several records costs no copy. What is left unread
 * moves to the front only when the end lacks room for new input (in_room), at most a
 * part-record each time. Wire bytes: nothing here is wiped. Invariant: in_off < in.len,
 * or both are 0, so in.len == 0 still means "no input pending". */
static mt_slice in_pending(const mt_conn *c)
{
    if (c->in.len == 0) return mt_slice_of(NULL, 0);
    return mt_slice_of(c->in.data + c->in_off, c->in.len - c->in_off);
}

static void in_consume(mt_conn *c, size_t n)
{
    c->in_off += n;
    if (c->in_off < c->in.len) return;
    c->in.len = 0;
    c->in_off = 0;
}

/* Room for n more bytes at the end of `in`. */
static int in_room(mt_conn *c, size_t n)
{
    if (c->in_off && c->in.cap - c->in.len < n) {
        size_t left = c->in.len - c->in_off;
        memmove(c->in.data, c->in.data + c->in_off, left);
        c->in.len = left;
        c->in_off = 0;
    }
    return mt_buf_reserve(&c->in, n);
}

/* Received plaintext (app_in) is wiped when its buffer is released, freed or grown, not
 * as it is read: a read only moves app_in_off, and a drained buffer is reused from the
 * front, the next record overwriting what was read. app_in_dirty remembers how far read
 * plaintext may still lie past len, so the release wipes that too (app_in_release) and
 * nothing read outlives the buffer. */
static void app_in_drained(mt_conn *c)
{
    if (c->app_in.len > c->app_in_dirty) c->app_in_dirty = c->app_in.len;
    c->app_in.len = 0;
    c->app_in_off = 0;
}

/* Room for n more bytes of plaintext at the end of app_in. */
static int app_in_room(mt_conn *c, size_t n)
{
    mt_buf *b = &c->app_in;
    if (b->cap - b->len >= n) return 0;
    if (c->app_in_off) {
        /* Move what is unread to the front; what was read stays behind, dirty. */
        size_t left = b->len - c->app_in_off;
        memmove(b->data, b->data + c->app_in_off, left);
        if (b->len > c->app_in_dirty) c->app_in_dirty = b->len;
        b->len = left;
        c->app_in_off = 0;
        if (b->cap - b->len >= n) return 0;
    }
    /* Growing copies [0, len) and wipes it in the old block; the rest is wiped here. */
    if (c->app_in_dirty > b->len) mt_wipe(b->data + b->len, c->app_in_dirty - b->len);
    c->app_in_dirty = 0;
    return mt_buf_reserve(b, n);
}

/* Wipe everything app_in ever held and give the buffer back. */
static void app_in_release(mt_conn *c)
{
    if (c->app_in_dirty > c->app_in.len) c->app_in.len = c->app_in_dirty;
    mt_buf_free(&c->app_in);
    c->app_in_off = 0;
    c->app_in_dirty = 0;
}

/* Drop one record of refused early data (RFC 8446 4.2.10: "discarding records which
 * fail deprotection (up to the configured max_early_data_size)"; beyond that the server
 * fails with unexpected_message, as OpenSSL does). The size counts application data
 * only, so each record's tag and inner content type are not charged (OpenSSL's
 * EARLY_DATA_CIPHERTEXT_OVERHEAD): a client sending all it may is not cut off. */
static int skip_early(mt_conn *c, size_t used)
{
    size_t n = used - MT_REC_HEADER_LEN;
    n = n > MT_AEAD_TAG_LEN + 1 ? n - (MT_AEAD_TAG_LEN + 1) : 0;
    in_consume(c, used);
    if (n > c->early_skip_left)
        return mt_eng_fail(c, MT_ERR_UNEXPECTED,
                           "refused early data beyond what we skip (%zu bytes left, record of %zu)",
                           c->early_skip_left, n);
    c->early_skip_left -= n;
    return 0;
}

/* Process at most one record. Returns 0 after progress, MT_ERR_WANT_INPUT when a whole
 * record is not there, MT_PAUSED, or an error (already recorded by mt_eng_fail). */
static int in_pump(mt_conn *c)
{
    int rc;
    if (c->in_stage == 0) {
        mt_record rec;
        size_t used = 0;
        /* Refused early data may still come protected while we read without keys. */
        size_t max_wire = c->early_skip ? MT_REC_MAX_CIPHERTEXT13 : mt_rec_max_wire_len(&c->rd);
        rc = mt_rec_deframe(in_pending(c), max_wire, &rec, &used);
        if (rc == MT_ERR_WANT_INPUT) return rc;
        if (rc)
            return mt_eng_fail(c, rc, "record header (type %u, length %u)", rec.outer_type,
                               rec.length);
        if (c->early_skip && c->rd.kind == MT_REC_NULL && rec.outer_type == MT_CT_APPLICATION_DATA)
            return skip_early(c, used); /* RFC 8446 4.2.10: after HRR, or before our keys */
        mt_buf_reset(&c->plain);
        int unprotected = 0;
        if (c->rd.kind == MT_REC_AEAD13 && !c->handshake_done &&
            (mt_rec_is_compat_ccs(&rec) ||
             (rec.outer_type == MT_CT_ALERT && rec.payload.len == 2 && c->rd_opened == 0))) {
            /* RFC 8446 5: the compatibility CCS stays unprotected after keys change. A
             * peer that rejects our hello answers with a plaintext alert before it has
             * keys: take it as the alert it is, so the caller learns why. */
            c->in_rec = rec;
            rc = 0;
            unprotected = 1;
        } else if (c->handshake_done && !interested(c, MT_HOOK_RECORD_IN)) {
            /* Fast path for application data: open straight into the receive buffer;
             * any other content type is moved out to `plain` afterwards. */
            size_t before = c->app_in.len;
            rc = app_in_room(c, rec.payload.len);
            if (rc == 0) rc = mt_rec_open(&c->rd, &rec, &c->app_in, &c->in_rec);
            if (rc == 0 && c->in_rec.type == MT_CT_APPLICATION_DATA) {
                in_consume(c, used);
                return 0;
            }
            if (rc == 0) {
                rc = mt_buf_set(&c->plain, c->app_in.data + before, c->app_in.len - before);
                mt_wipe(c->app_in.data + before, c->app_in.len - before);
                c->app_in.len = before;
                c->in_rec.payload = mt_buf_slice(&c->plain);
            }
        } else {
            rc = mt_rec_open(&c->rd, &rec, &c->plain, &c->in_rec);
            /* RFC 8446 4.2.10: a server refusing early data skips the records its
             * handshake keys cannot open, until one opens. */
            if (rc == MT_ERR_BAD_MAC && c->early_skip) return skip_early(c, used);
            if (rc == 0 && c->rd.kind != MT_REC_NULL) c->early_skip = 0; /* keys work */
        }
        if (rc == 0 && !unprotected) c->rd_opened++;
        if (rc == 0 && unprotected && rec.outer_type == MT_CT_ALERT) c->plain_alert = 1;
        if (rc == 0 && c->in_rec.payload.p != c->plain.data)
            rc = mt_buf_set(&c->plain, c->in_rec.payload.p, c->in_rec.payload.len);
        in_consume(c, used);
        if (rc)
            return mt_eng_fail(c, rc, "record (type %u, epoch %u)", rec.outer_type, c->rd.epoch);
        c->in_rec.payload = mt_buf_slice(&c->plain);
        c->in_stage = 1;
    }
    if (c->in_stage == 1) {
        mt_event t = {.kind = MT_HOOK_RECORD_IN,
                      .dir = 1,
                      .content_type = c->in_rec.type,
                      .epoch = c->in_rec.epoch,
                      .flight = c->flight,
                      .record_version = c->in_rec.version,
                      .padding = c->in_rec.padding};
        MT_TRY(hook_point(c, &t, c->plain.data, c->plain.len));
        rc = 0;
        if (c->ev_replaced) {
            mt_buf joined = {0};
            for (size_t i = 0; i < c->ev_nrepl && rc == 0; i++) {
                mt_slice s = verdict_obj(c, i, mt_buf_slice(&c->plain));
                rc = mt_buf_append(&joined, s.p, s.len);
            }
            if (rc == 0) rc = mt_buf_set(&c->plain, joined.data, joined.len);
            mt_buf_free(&joined);
            if (c->ev_nrepl == 0) c->in_stage = 0; /* dropped */
        }
        ev_reset(c);
        if (rc) return mt_eng_fail(c, rc, "record_in hook");
        if (c->in_stage == 0) return 0;
        uint8_t type = c->in_rec.type;
        /* RFC 8446 5.1: handshake messages MUST NOT be interleaved with other types. */
        if (type != MT_CT_HANDSHAKE && mt_reasm_pending(&c->reasm))
            return mt_eng_fail(c, MT_ERR_UNEXPECTED, "record type %u inside a handshake message",
                               type);
        switch (type) {
        case MT_CT_HANDSHAKE:
            rc = mt_reasm_feed(&c->reasm, mt_buf_slice(&c->plain),
                               c->version == MT_VERSION_TLS13 || c->rd.kind == MT_REC_AEAD13);
            if (rc) return mt_eng_fail(c, rc, "handshake record");
            c->in_stage = 2;
            break;
        case MT_CT_ALERT:
            c->in_stage = 0;
            rc = handle_alert(c, mt_buf_slice(&c->plain));
            mt_buf_reset(&c->plain);
            return rc;
        case MT_CT_CHANGE_CIPHER_SPEC:
            c->in_stage = 0;
            return handle_ccs(c, mt_buf_slice(&c->plain));
        case MT_CT_APPLICATION_DATA:
            c->in_stage = 0;
            if (!c->handshake_done && c->early_in) {
                /* RFC 8446 4.2.10: more than max_early_data_size is unexpected_message. */
                if (c->plain.len > c->early_in_max - c->early_in_len)
                    return mt_eng_fail(c, MT_ERR_UNEXPECTED, "early data beyond %zu bytes",
                                       c->early_in_max);
                c->early_in_len += c->plain.len;
            } else if (!c->handshake_done)
                return mt_eng_fail(c, MT_ERR_UNEXPECTED, "application data before Finished");
            rc = app_in_room(c, c->plain.len);
            if (rc == 0) rc = mt_buf_append(&c->app_in, c->plain.data, c->plain.len);
            mt_buf_reset(&c->plain);
            return rc ? mt_eng_fail(c, rc, "application data") : 0;
        default:
            c->in_stage = 0;
            return mt_eng_fail(c, MT_ERR_UNEXPECTED, "unexpected record type %u", type);
        }
    }
    if (c->in_stage == 2) {
        mt_slice msg;
        rc = mt_reasm_next(&c->reasm, &msg);
        if (rc == MT_ERR_WANT_INPUT) {
            c->in_stage = 0;
            mt_buf_free(&c->plain);
            mt_buf_free(&c->cur_msg);
            return 0;
        }
        if (rc) return mt_eng_fail(c, rc, "handshake message header");
        MT_TRY(mt_buf_set(&c->cur_msg, msg.p, msg.len));
        c->in_stage = 3;
    }
    if (c->in_stage == 3) {
        /* [message_in]: the verdict becomes the list of messages to hand over. */
        if (c->ev_state != MT_EV_DONE) {
            if (c->last_dir != 1) {
                c->flight++;
                c->last_dir = 1;
            }
            c->msg_seq++;
        }
        mt_event t = {.kind = MT_HOOK_MESSAGE_IN,
                      .dir = 1,
                      .content_type = MT_CT_HANDSHAKE,
                      .msg_type = c->cur_msg.data[0],
                      .epoch = c->rd.epoch,
                      .flight = c->flight,
                      .seq = c->msg_seq - 1};
        MT_TRY(hook_point(c, &t, c->cur_msg.data, c->cur_msg.len));
        rc = 0;
        if (c->ev_replaced) {
            c->n_dispatch = c->ev_nrepl;
            memcpy(c->dispatch_lens, c->ev_lens, sizeof c->dispatch_lens);
            rc = mt_buf_set(&c->cur_msg, c->ev_repl.data, c->ev_repl.len);
        } else {
            c->n_dispatch = 1;
            c->dispatch_lens[0] = c->cur_msg.len;
        }
        c->dispatch_idx = 0;
        c->dispatch_off = 0;
        ev_reset(c);
        if (rc) return mt_eng_fail(c, rc, "message_in hook");
        c->in_stage = 4;
    }
    /* in_stage 4: the state machine, one message per call so send states run in between.
     * A handler that pauses (a crypto hook) is called again with the same message. */
    if (c->dispatch_idx >= c->n_dispatch) {
        c->in_stage = 2;
        return 0;
    }
    size_t len = c->dispatch_lens[c->dispatch_idx];
    if (len < 4) return mt_eng_fail(c, MT_ERR_DECODE, "message_in hook returned %zu bytes", len);
    rc = dispatch(c, mt_slice_of(c->cur_msg.data + c->dispatch_off, len));
    if (rc) return rc;
    c->dispatch_off += len;
    if (++c->dispatch_idx >= c->n_dispatch) c->in_stage = 2;
    return 0;
}

/* ---------------------------------------------------------------------------------
 * The run loop
 * --------------------------------------------------------------------------------- */

static int start(mt_conn *c)
{
    return c->role == MT_ROLE_CLIENT ? mt_client13_start(c) : mt_server13_start(c);
}

/* The idle point: give back the buffers that are empty. While data flows, `in`, `app_in`
 * and `out` keep their allocations from record to record (no malloc/free per record);
 * a run with no input pending, or a commit of nothing, means the caller found its socket
 * quiet, so an idle connection holds no record-sized buffers. */
static void release_idle(mt_conn *c)
{
    if (c->in.len == 0 && c->in_reserved == 0) mt_buf_free_public(&c->in);
    if (c->out.len == 0) mt_buf_free_public(&c->out);
    if (c->app_in_off == c->app_in.len) app_in_release(c); /* plaintext: wiped */
}

static int run(mt_conn *c);

/* While one of our events waits (manual driving holds an outgoing message there), the
 * peer may already have said why it is leaving: the alerts at the front of the input
 * are read, and nothing else moves. A plaintext alert is taken as in_pump takes it; a
 * protected record is opened on trial and, when it is not an alert, left where it is
 * (the read sequence number is put back; in_pump opens it again later). Not while a
 * record or a flight of handshake messages is half processed, nor with wire_in or
 * record_in interest (those hooks would
 * need a pause of their own). The alert events read here come before the waiting
 * event (info_first). */
static void read_alerts_paused(mt_conn *c)
{
    /* between records: stage 0, or stage 2 with nothing left to reassemble */
    int between = c->in_stage == 0 || (c->in_stage == 2 && mt_reasm_pending(&c->reasm) == 0);
    if (c->err || c->ev_state != MT_EV_WAITING || c->ev.dir != 0 || c->info || !between ||
        c->in_raw.len || c->closed_by_peer || interested(c, MT_HOOK_RECORD_IN) ||
        interested(c, MT_HOOK_WIRE_IN) || c->rd.kind == MT_REC_CBC)
        return;
    mt_buf trial = {0};
    while (!c->err && !c->closed_by_peer) {
        mt_record rec, opened;
        size_t used = 0;
        if (mt_rec_deframe(mt_buf_slice(&c->in), mt_rec_max_wire_len(&c->rd), &rec, &used) != 0)
            break;
        int plain = rec.outer_type == MT_CT_ALERT && rec.payload.len == 2 &&
                    (c->rd.kind == MT_REC_NULL ||
                     (c->rd.kind == MT_REC_AEAD13 && !c->handshake_done && c->rd_opened == 0));
        mt_slice alert;
        if (plain) {
            alert = rec.payload;
        } else if (c->rd.kind == MT_REC_AEAD13 && rec.outer_type == MT_CT_APPLICATION_DATA) {
            uint64_t seq = c->rd.seq;
            mt_buf_reset(&trial);
            if (mt_rec_open(&c->rd, &rec, &trial, &opened) != 0) break;
            if (opened.type != MT_CT_ALERT) {
                c->rd.seq = seq; /* not ours to take now */
                break;
            }
            c->rd_opened++;
            alert = opened.payload;
        } else {
            break;
        }
        /* handle_alert only reads the slice (in `in` or `trial`), then the record goes */
        c->plain_alert = plain && c->rd.kind == MT_REC_AEAD13;
        handle_alert(c, alert);
        mt_buf_consume_public(&c->in, used); /* wire bytes: nothing to wipe */
    }
    mt_buf_free(&trial);
    if (c->info) c->info_first = 1;
}

int mt_conn_run(mt_conn *c)
{
    int rc = run(c);
    if (c->err) {
        flush_fatal(c);
        return c->err;
    }
    return rc;
}

static int run(mt_conn *c)
{
    if (c->err) return c->err;
    if (c->ev_state == MT_EV_WAITING && !c->info) read_alerts_paused(c);
    if (c->err) return c->err;
    c->in_reserved = 0; /* a run voids an input reservation (mt_conn_input_reserve) */
    if (c->in.len == 0 && c->in_raw.len == 0) release_idle(c);
    if (c->table == NULL) {
        int rc = start(c);
        if (rc) return mt_eng_fail(c, rc, "starting the handshake");
    }
    for (;;) {
        if (c->err) return c->err;
        if (c->ev_state == MT_EV_WAITING || c->info) return 0;
        int rc = out_pump(c);
        if (rc == MT_PAUSED) return 0;
        if (rc) return mt_eng_fail(c, rc, "sending");
        const mt_state *st = &c->table[c->state];
        if (st->send) {
            rc = call_state(c, st, mt_slice_of(NULL, 0));
            if (rc == MT_PAUSED) return 0;
            if (rc) return mt_eng_fail(c, rc, "%s", st->name);
            continue;
        }
        /* End of our flight: whatever is coalesced goes out now. */
        if (c->coalesce.len || c->flush_stage) {
            rc = flush(c);
            if (rc == MT_PAUSED) return 0;
            if (rc) return mt_eng_fail(c, rc, "sending");
            /* RFC 8446 5.1: 0x0301 is for an initial ClientHello only; once our first
             * flight is out every record, alerts included, carries 0x0303. */
            if (c->wr.record_version == MT_VERSION_TLS10 && c->wr.epoch == 0)
                c->wr.record_version = MT_VERSION_TLS12;
            continue;
        }
        if (c->in_raw.len) {
            /* wire_in: the caller sees fed bytes before they are deframed. */
            mt_event t = {
                .kind = MT_HOOK_WIRE_IN, .dir = 1, .epoch = c->rd.epoch, .flight = c->flight};
            rc = hook_point(c, &t, c->in_raw.data, c->in_raw.len);
            if (rc == MT_PAUSED) return 0;
            for (size_t i = 0; i < verdict_count(c) && rc == 0; i++) {
                mt_slice s = verdict_obj(c, i, mt_buf_slice(&c->in_raw));
                rc = in_room(c, s.len);
                if (rc == 0) rc = mt_buf_append(&c->in, s.p, s.len);
            }
            ev_reset(c);
            mt_buf_free(&c->in_raw);
            if (rc) return mt_eng_fail(c, rc, "wire_in hook");
        }
        if (c->closed_by_peer) return 0;
        rc = in_pump(c);
        if (rc == MT_ERR_WANT_INPUT) {
            if (c->eof && c->in.len)
                return mt_eng_fail(c, MT_ERR_DECODE, "connection closed inside a record");
            return 0;
        }
        if (rc == MT_PAUSED) return 0;
        if (rc) return mt_eng_fail(c, rc, "receiving");
        if (c->single_step && c->in_stage == 0) return 0;
    }
}

int mt_conn_feed(mt_conn *c, const uint8_t *in, size_t len)
{
    if (c->err) return c->err;
    c->in_reserved = 0; /* appending to `in` voids an input reservation */
    if (len == 0) return 0;
    if (interested(c, MT_HOOK_WIRE_IN)) return mt_buf_append(&c->in_raw, in, len);
    MT_TRY(in_room(c, len));
    return mt_buf_append(&c->in, in, len);
}

void mt_conn_feed_eof(mt_conn *c)
{
    c->eof = 1;
}

unsigned mt_conn_want(const mt_conn *c)
{
    unsigned w = 0;
    if (c->err) w |= MT_WANT_FAILED;
    if (c->out.len) w |= MT_WANT_OUTPUT;
    if (c->ev_state == MT_EV_WAITING || c->info) w |= MT_WANT_EVENT;
    if (c->handshake_done) w |= MT_WANT_DONE;
    if (c->app_in.len > c->app_in_off) w |= MT_WANT_READ;
    if (c->closed_by_peer || c->eof) w |= MT_WANT_CLOSED;
    if (!c->err && !(w & MT_WANT_EVENT) && !c->closed_by_peer && !c->eof &&
        (c->table == NULL || !c->table[c->state].send))
        w |= MT_WANT_INPUT;
    return w;
}

/* ---------------------------------------------------------------------------------
 * Application data, close
 * --------------------------------------------------------------------------------- */

/* The application-data fast path: nothing queued and no output hook, so each fragment is
 * sealed straight from the caller's bytes into the output, with no copy in between. */
static int write_direct(mt_conn *c, const uint8_t *data, size_t len)
{
    const uint32_t out_hooks = MT_HOOK_BIT(MT_HOOK_MESSAGE_OUT) | MT_HOOK_BIT(MT_HOOK_RECORD_OUT) |
                               MT_HOOK_BIT(MT_HOOK_WIRE_OUT);
    if ((c->hooks & out_hooks) || c->queue || c->coalesce.len || c->flush_stage) return 0;
    size_t max = mt_rec_max_fragment(&c->wr);
    for (size_t off = 0; off < len; off += max) {
        size_t n = len - off < max ? len - off : max;
        mt_record rec;
        mt_rec_prepare(&c->wr, MT_CT_APPLICATION_DATA, mt_slice_of(data + off, n), &rec);
        out_room(c, MT_REC_HEADER_LEN + n + 256 + MT_AEAD_TAG_LEN); /* 1.3 record at most */
        int rc = mt_rec_seal(&c->wr, &rec, &c->out);
        if (rc) {
            mt_eng_fail(c, rc, "sending application data");
            return -1;
        }
    }
    return 1;
}

int mt_conn_write(mt_conn *c, const uint8_t *data, size_t len)
{
    if (c->err) return c->err;
    MT_ENSURE(c->handshake_done && !c->close_sent, MT_ERR_BAD_STATE);
    int direct = write_direct(c, data, len);
    if (direct) return direct < 0 ? c->err : 0;
    size_t max = mt_rec_max_fragment(&c->wr);
    for (size_t off = 0; off < len; off += max) {
        size_t n = len - off < max ? len - off : max;
        MT_TRY(mt_eng_send(c, MT_CT_APPLICATION_DATA, data + off, n));
    }
    return mt_conn_run(c);
}

int mt_conn_read(mt_conn *c, uint8_t *out, size_t cap, size_t *n)
{
    size_t avail = c->app_in.len - c->app_in_off;
    size_t k = avail < cap ? avail : cap;
    if (k) mt_copy(out, c->app_in.data + c->app_in_off, k);
    c->app_in_off += k;
    if (c->app_in_off == c->app_in.len) app_in_drained(c); /* kept until release_idle */
    *n = k;
    if (k == 0 && c->err) return c->err;
    return 0;
}

/* ---------------------------------------------------------------------------------
 * Zero-copy input and application data (mt_conn_input_*, mt_conn_read_view/_consume)
 * --------------------------------------------------------------------------------- */

/* The reservation lives at the tail of `in`, so committed bytes are deframed where the
 * caller's recv put them. With a wire_in hook they are moved to `in_raw` at commit, the
 * way mt_conn_feed routes them: the hook sees them first. */
uint8_t *mt_conn_input_reserve(mt_conn *c, size_t n)
{
    c->in_reserved = 0;
    if (c->err || n == 0) return NULL;
    if (in_room(c, n)) return NULL;
    c->in_reserved = n;
    c->in_resv_len = c->in.len;
    return c->in.data + c->in.len;
}

int mt_conn_input_commit(mt_conn *c, size_t n)
{
    size_t reserved = c->in_reserved;
    c->in_reserved = 0;
    if (c->err) return c->err;
    if (n == 0) {
        release_idle(c); /* nothing arrived: the socket is quiet */
        return 0;
    }
    /* Anything that moved `in` since the reservation (a feed, a run that consumed) voids it. */
    MT_ENSURE(reserved != 0 && c->in.len == c->in_resv_len, MT_ERR_BAD_STATE);
    MT_ENSURE(n <= reserved, MT_ERR_BAD_PARAM);
    if (interested(c, MT_HOOK_WIRE_IN)) return mt_buf_append(&c->in_raw, c->in.data + c->in.len, n);
    c->in.len += n;
    return 0;
}

size_t mt_conn_read_view(mt_conn *c, const uint8_t **p)
{
    size_t avail = c->app_in.len - c->app_in_off;
    *p = avail ? c->app_in.data + c->app_in_off : NULL;
    return avail;
}

void mt_conn_read_consume(mt_conn *c, size_t n)
{
    size_t avail = c->app_in.len - c->app_in_off;
    if (n > avail) n = avail;
    if (n == 0) return;
    /* Not wiped here: read plaintext is wiped when the buffer is released, freed or
     * grown, or overwritten by the next record (see app_in_drained). */
    c->app_in_off += n;
    if (c->app_in_off == c->app_in.len) app_in_drained(c);
}

int mt_conn_close(mt_conn *c)
{
    if (c->err) return c->err;
    if (c->close_sent) return 0;
    uint8_t body[2] = {ALERT_LEVEL_WARNING, MT_ALERT_CLOSE_NOTIFY};
    MT_TRY(mt_eng_send(c, MT_CT_ALERT, body, 2));
    c->close_sent = 1;
    info_push(c, MT_HOOK_ALERT, 0, "close_notify", body, 2);
    return mt_conn_run(c);
}

/* ---------------------------------------------------------------------------------
 * Helpers for the state machines
 * --------------------------------------------------------------------------------- */

void mt_eng_handshake_done(mt_conn *c)
{
    c->handshake_done = 1;
    /* Release what only the handshake needed: the transcript and the state machine's
     * data (key shares, the peer's chain, the decoded hello). An idle connection keeps
     * its record keys and the key schedule's traffic secrets (KeyUpdate, exporters). */
    mt_transcript_free(&c->tr);
    if (c->hs_free) c->hs_free(c->hs);
    c->hs = NULL;
    c->hs_free = NULL;
}

void mt_eng_goto(mt_conn *c, int next)
{
    const char *from = c->table[c->state].name;
    c->state = next;
    if (interested(c, MT_HOOK_STATE)) {
        const char *to = c->table[next].name;
        info_push(c, MT_HOOK_STATE, 0, to, (const uint8_t *)from, strlen(from));
    }
}

void mt_eng_use_table(mt_conn *c, const mt_state *table, int state)
{
    c->table = table;
    c->state = state;
    info_push(c, MT_HOOK_STATE, 0, table[state].name, NULL, 0);
}

void mt_eng_secret(mt_conn *c, const char *label, const uint8_t *secret, size_t len)
{
    info_push(c, MT_HOOK_SECRET, 0, label, secret, len);
}

void mt_eng_ks13_secret(const char *label, const uint8_t *secret, size_t len, void *user)
{
    mt_eng_secret(user, label, secret, len);
}

/* The verify_peer ask carries [u16 result][u16 reason length][reason][u24-prefixed
 * certificates...]: the peer's chain and the check's verdict, before any hook answers.
 * Keep both for after the handshake, which releases the state machine's copy. The check
 * ran only with verify = peer (mt_config_set_verify); with none, result is 0 and means
 * nothing was checked. */
static int keep_peer_chain(mt_conn *c, const uint8_t *data, size_t len)
{
    mt_reader r, w;
    mt_rd_init(&r, data, len);
    uint16_t result = 0;
    mt_slice reason, certs, der;
    MT_TRY(mt_rd_u16(&r, &result));
    MT_TRY(mt_rd_vec16_slice(&r, &reason));
    certs = mt_rd_rest(&r);
    size_t n = 0;
    for (mt_rd_init(&w, certs.p, certs.len); mt_rd_left(&w) > 0; n++)
        MT_TRY(mt_rd_vec24_slice(&w, &der));
    MT_TRY(mt_buf_set(&c->peer_certs, certs.p, certs.len));
    c->n_peer_certs = n;
    c->verify_state = c->cfg->verify != MT_VERIFY_PEER ? 0 : result == 0 ? 1 : 2;
    c->verify_err = result;
    snprintf(c->verify_reason, sizeof c->verify_reason, "%.*s", (int)reason.len,
             (const char *)reason.p);
    return 0;
}

int mt_eng_ask2(mt_conn *c, mt_hook kind, uint16_t scheme, const uint8_t *data, size_t len,
                const uint8_t **answer, size_t *answer_len, const uint8_t **extra,
                size_t *extra_len)
{
    *answer = NULL;
    *answer_len = 0;
    if (extra) {
        *extra = NULL;
        *extra_len = 0;
    }
    MT_ENSURE(c->ask_pos < MT_ARRAY_LEN(c->asks), MT_ERR_LIMIT);
    if (kind == MT_HOOK_VERIFY_PEER) MT_TRY(keep_peer_chain(c, data, len));
    if (c->ask_pos == c->n_asks) {
        /* A new ask: pause for it (or pass straight through without interest). */
        mt_event t = {
            .kind = kind, .dir = 0, .scheme = scheme, .epoch = c->wr.epoch, .flight = c->flight};
        MT_TRY(hook_point(c, &t, data, len));
        mt_ask *e = &c->asks[c->n_asks];
        e->kind = kind;
        e->l0 = e->l1 = 0;
        e->n = 0;
        int rc = 0;
        if (c->ev_state == MT_EV_DONE && c->ev_replaced) {
            e->n = c->ev_nrepl;
            e->l0 = e->n > 0 ? c->ev_lens[0] : 0;
            e->l1 = e->n > 1 ? c->ev_lens[1] : 0;
            rc = mt_buf_set(&e->data, c->ev_repl.data, e->l0 + e->l1);
        }
        if (c->ev_state == MT_EV_DONE) ev_reset(c);
        MT_TRY(rc);
        c->n_asks++;
    }
    const mt_ask *e = &c->asks[c->ask_pos++];
    MT_ENSURE(e->kind == kind, MT_ERR_BAD_STATE); /* a state function must ask in order */
    if (e->n > 0 && e->l0 > 0) {                  /* an empty first object: keep the engine's own */
        *answer = e->data.data;
        *answer_len = e->l0;
    }
    if (e->n > 1 && extra) {
        *extra = e->data.data + e->l0;
        *extra_len = e->l1;
    }
    return 0;
}

int mt_eng_ask(mt_conn *c, mt_hook kind, uint16_t scheme, const uint8_t *data, size_t len,
               const uint8_t **answer, size_t *answer_len)
{
    return mt_eng_ask2(c, kind, scheme, data, len, answer, answer_len, NULL, NULL);
}

int mt_eng_random(mt_conn *c, const char *purpose, uint8_t *out, size_t n)
{
    return mt_rng_bytes(&c->rng, purpose, out, n);
}

int64_t mt_eng_now(const mt_conn *c)
{
    return c->cfg->clock ? c->cfg->clock(c->cfg->clock_ud) : 0;
}

/* ---------------------------------------------------------------------------------
 * Lifecycle and information
 * --------------------------------------------------------------------------------- */

mt_conn *mt_conn_new(mt_config *cfg)
{
    mt_conn *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    mt_config_ref(cfg);
    c->cfg = cfg;
    c->role = cfg->role;
    c->hooks = cfg->hooks;
    c->last_dir = -1;
    c->rng = cfg->rng;
    mt_rec_prot_init(&c->rd);
    mt_rec_prot_init(&c->wr);
    mt_reasm_init(&c->reasm);
    /* Certificate chains may be long; other messages keep the 64 KiB default. */
    mt_reasm_set_max(&c->reasm, 11, 1u << 20);
    mt_reasm_set_max(&c->reasm, 13, 1u << 18);
    mt_transcript_init(&c->tr);
    return c;
}

void mt_conn_free(mt_conn *c)
{
    if (c == NULL) return;
    if (c->hs_free) c->hs_free(c->hs);
    while (c->queue)
        queue_pop(c);
    while (c->ahead) {
        mt_item *it = c->ahead;
        c->ahead = it->next;
        item_free(it);
    }
    while (c->info)
        info_pop(c);
    mt_rec_prot_free(&c->rd);
    mt_rec_prot_free(&c->wr);
    mt_reasm_free(&c->reasm);
    mt_transcript_free(&c->tr);
    mt_ks13_free(&c->ks);
    mt_buf_free(&c->in);
    mt_buf_free(&c->plain);
    app_in_release(c);
    mt_buf_free(&c->coalesce);
    mt_buf_free(&c->rec_scratch);
    mt_buf_free(&c->out);
    mt_buf_free(&c->session_offer);
    mt_buf_free(&c->session_new);
    mt_buf_free(&c->peer_certs);
    mt_buf_free(&c->early_data);
    mt_buf_free(&c->ev_data);
    mt_buf_free(&c->ev_repl);
    mt_buf_free(&c->cur_msg);
    mt_buf_free(&c->in_raw);
    asks_clear(c);
    mt_buf_free(&c->alpn_choice);
    mt_buf_free(&c->hrr_cookie);
    mt_config_unref(c->cfg);
    mt_wipe(c, sizeof *c);
    free(c);
}

int mt_conn_set_config(mt_conn *c, mt_config *cfg)
{
    /* Only while the server has not decided anything: before or at the client_hello
     * hook (an SNI switch), with the same role. */
    MT_ENSURE(cfg && cfg->role == c->role && c->version == 0 && !c->handshake_done,
              MT_ERR_BAD_STATE);
    mt_config_ref(cfg);
    mt_config_unref(c->cfg);
    c->cfg = cfg;
    return 0;
}

int mt_conn_set_max_fragment(mt_conn *c, size_t n)
{
    MT_ENSURE(n >= 1 && n <= MT_REC_MAX_PLAINTEXT, MT_ERR_BAD_PARAM);
    c->wr.max_plaintext = n; /* kept across key changes (record.h) */
    return 0;
}

int mt_conn_set_hrr_cookie(mt_conn *c, const uint8_t *p, size_t len)
{
    /* Until the HelloRetryRequest is built (server13 marks c->hrr when it builds one). */
    MT_ENSURE(c->role == MT_ROLE_SERVER && !c->hrr && !c->handshake_done, MT_ERR_BAD_STATE);
    MT_ENSURE(len <= 65533 && (len == 0 || p != NULL), MT_ERR_BAD_PARAM);
    MT_TRY(mt_buf_set(&c->hrr_cookie, p, len));
    c->hrr_cookie_set = 1;
    return 0;
}

int mt_conn_select_alpn(mt_conn *c, const char *name)
{
    MT_ENSURE(c->role == MT_ROLE_SERVER && c->version == 0, MT_ERR_BAD_STATE);
    mt_buf_reset(&c->alpn_choice);
    c->alpn_choice_set = 1;
    if (name == NULL) return 0;
    size_t l = strlen(name);
    MT_ENSURE(l > 0 && l < 256, MT_ERR_BAD_PARAM);
    return mt_wr_vec8(&c->alpn_choice, name, l);
}

void mt_conn_set_hooks(mt_conn *c, uint32_t mask)
{
    c->hooks = mask;
}

void mt_conn_set_user(mt_conn *c, void *user)
{
    c->user = user;
}

void *mt_conn_user(const mt_conn *c)
{
    return c->user;
}

void mt_conn_set_single_step(mt_conn *c, int on)
{
    c->single_step = on;
}

void mt_conn_info(const mt_conn *c, mt_info *info)
{
    memset(info, 0, sizeof *info);
    info->version = c->version;
    info->suite = c->suite;
    info->group = c->group;
    info->sigalg = c->sigalg;
    info->alpn = c->alpn[0] ? c->alpn : NULL;
    info->sni = c->sni[0] ? c->sni : NULL;
    info->hrr = c->hrr;
    info->resumed = c->resumed;
    info->early_data = c->early_state;
    info->handshake_done = c->handshake_done;
}
