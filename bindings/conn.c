/*
 * conn.c - the moontls.Conn userdata: one mt_conn and the low-level steps the facade
 * drives (feed, run, output, events, application data). The driver loop, hook dispatch
 * and sockets are Lua (bindings/moontls/conn.lua), so hooks are plain Lua that may yield.
 */
#include "binding.h"

#include <stdlib.h>
#include <string.h>

static mtl_conn *check_conn(lua_State *L, int idx)
{
    mtl_conn *b = luaL_checkudata(L, idx, MTL_CONN);
    if (b->c == NULL) luaL_error(L, "connection is closed");
    return b;
}

/* Mark the connection active for one engine call (see binding.h); conn is at index 1. */
static mtl_conn *enter(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    b->L = L;
    b->self = 1;
    b->ctx->active = b;
    return b;
}

static void leave(mtl_conn *b)
{
    b->ctx->active = NULL;
    b->L = NULL;
}

/* core.conn_new(ctx, state) -> Conn; state becomes user value 1 and gets state.ctx. */
static int l_conn_new(lua_State *L)
{
    mtl_ctx *x = luaL_checkudata(L, 1, MTL_CONTEXT);
    if (x->cfg == NULL) return luaL_error(L, "context is closed");
    luaL_checktype(L, 2, LUA_TTABLE);
    mtl_conn *b = lua_newuserdatauv(L, sizeof *b, 1);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, MTL_CONN);
    /* The state table keeps the Context (and so x, the rng/clock ud) alive. */
    lua_pushvalue(L, 1);
    lua_setfield(L, 2, "ctx");
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);
    b->ctx = x;
    b->c = mt_conn_new(x->cfg);
    if (b->c == NULL) return luaL_error(L, "out of memory");
    mt_conn_set_user(b->c, b);
    return 1;
}

static int l_release(lua_State *L)
{
    mtl_conn *b = luaL_checkudata(L, 1, MTL_CONN);
    mt_conn_free(b->c);
    b->c = NULL;
    mt_seeded_free(b->seeded);
    b->seeded = NULL;
    return 0;
}

static int l_tostring(lua_State *L)
{
    mtl_conn *b = luaL_checkudata(L, 1, MTL_CONN);
    if (b->c == NULL) {
        lua_pushfstring(L, "moontls.Conn (closed): %p", (void *)b);
        return 1;
    }
    unsigned w = mt_conn_want(b->c);
    lua_pushfstring(L, "moontls.Conn (%s, %s): %p",
                    b->ctx->role == MT_ROLE_CLIENT ? "client" : "server",
                    (w & MT_WANT_FAILED)   ? "failed"
                    : (w & MT_WANT_CLOSED) ? "closed by peer"
                    : (w & MT_WANT_DONE)   ? "established"
                                           : "handshaking",
                    (void *)b);
    return 1;
}

static int l_state(lua_State *L)
{
    luaL_checkudata(L, 1, MTL_CONN);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int l_is_open(lua_State *L)
{
    mtl_conn *b = luaL_checkudata(L, 1, MTL_CONN);
    lua_pushboolean(L, b->c != NULL);
    return 1;
}

static int l_role(lua_State *L)
{
    mtl_conn *b = luaL_checkudata(L, 1, MTL_CONN);
    lua_pushstring(L, b->ctx->role == MT_ROLE_CLIENT ? "client" : "server");
    return 1;
}

/* conn:_seed(bytes): this connection draws from its own seeded generator. */
static int l_seed(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    size_t n;
    const char *seed = luaL_checklstring(L, 2, &n);
    mt_seeded_free(b->seeded);
    b->seeded = mt_seeded_new((const uint8_t *)seed, n);
    if (b->seeded == NULL) return luaL_error(L, "out of memory");
    return 0;
}

static int l_set_hooks(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    mt_conn_set_hooks(b->c, (uint32_t)luaL_checkinteger(L, 2));
    return 0;
}

static int l_feed(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    size_t n;
    const char *p = luaL_checklstring(L, 2, &n);
    lua_pushinteger(L, mt_conn_feed(b->c, (const uint8_t *)p, n));
    return 1;
}

static int l_feed_eof(lua_State *L)
{
    mt_conn_feed_eof(check_conn(L, 1)->c);
    return 0;
}

/* conn:_run() -> rc, want */
/* A client context's session cache (moontls/sessioncache.lua) sets the state table's
 * on_session: after a run that left a session not seen before (a NewSessionTicket was
 * processed), call it with the bytes, under lua_pcall. A failure fails the connection
 * as a hook error (the message kept as cb_error, as the rng callback does). */
static void deliver_session(lua_State *L, mtl_conn *b)
{
    int top = lua_gettop(L);
    lua_getiuservalue(L, 1, 1);
    int st = lua_gettop(L);
    const uint8_t *p;
    size_t n;
    if (lua_getfield(L, st, "on_session") != LUA_TFUNCTION || mt_conn_session(b->c, &p, &n) != 0)
        goto out;
    lua_pushlstring(L, (const char *)p, n);
    lua_getfield(L, st, "session_seen");
    if (lua_rawequal(L, -1, -2)) goto out;
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, st, "session_seen");
    lua_pushcfunction(L, mtl_traceback);
    lua_insert(L, -3); /* handler, on_session, bytes */
    if (lua_pcall(L, 1, 0, -3) != LUA_OK) {
        lua_setfield(L, st, "cb_error");
        mt_conn_fail(b->c, MT_ERR_HOOK, "session_cache");
    }
out:
    lua_settop(L, top);
}

static int l_run(lua_State *L)
{
    mtl_conn *b = enter(L);
    int rc = mt_conn_run(b->c);
    leave(b);
    if (b->ctx->role == MT_ROLE_CLIENT) {
        deliver_session(L, b);
        if (rc == 0) rc = mt_conn_error(b->c, NULL);
    }
    lua_pushinteger(L, rc);
    lua_pushinteger(L, mt_conn_want(b->c));
    return 2;
}

static int l_want(lua_State *L)
{
    lua_pushinteger(L, mt_conn_want(check_conn(L, 1)->c));
    return 1;
}

/* conn:_output() -> bytes (possibly empty); the bytes are consumed. */
static int l_output(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    const uint8_t *p;
    size_t n = mt_conn_output(b->c, &p);
    lua_pushlstring(L, (const char *)p, n);
    mt_conn_output_consume(b->c, n);
    return 1;
}

static int l_write(lua_State *L)
{
    mtl_conn *b = enter(L);
    size_t n;
    const char *p = luaL_checklstring(L, 2, &n);
    int rc = mt_conn_write(b->c, (const uint8_t *)p, n);
    leave(b);
    lua_pushinteger(L, rc);
    return 1;
}

/* conn:_read() -> every byte of application data waiting (possibly ""), rc */
static int l_read(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    int rc = 0;
    for (;;) {
        char *p = luaL_prepbuffer(&buf);
        size_t n = 0;
        rc = mt_conn_read(b->c, (uint8_t *)p, LUAL_BUFFERSIZE, &n);
        luaL_addsize(&buf, n);
        if (rc || n == 0) break;
    }
    luaL_pushresult(&buf);
    lua_pushinteger(L, rc);
    return 2;
}

static int l_close(lua_State *L)
{
    mtl_conn *b = enter(L);
    int rc = mt_conn_close(b->c);
    leave(b);
    lua_pushinteger(L, rc);
    return 1;
}

static int l_key_update(lua_State *L)
{
    mtl_conn *b = enter(L);
    int rc = mt_conn_key_update(b->c, lua_toboolean(L, 2));
    leave(b);
    lua_pushinteger(L, rc);
    return 1;
}

/* conn:_error() -> code, where */
static int l_error(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    const char *where = NULL;
    int err = mt_conn_error(b->c, &where);
    lua_pushinteger(L, err);
    lua_pushstring(L, where);
    return 2;
}

/* conn:_fail(code, where): fail from outside (a hook error on an informational event). */
static int l_fail(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    lua_pushinteger(L,
                    mt_conn_fail(b->c, (int)luaL_checkinteger(L, 2), luaL_optstring(L, 3, NULL)));
    return 1;
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (v == NULL) return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, int v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

/* conn:_info() -> the negotiated parameters as codes (the facade names them). */
static int l_info(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    mt_info i;
    mt_conn_info(b->c, &i);
    lua_createtable(L, 0, 9);
    set_int(L, "version", i.version);
    set_int(L, "suite", i.suite);
    set_int(L, "group", i.group);
    set_int(L, "sigalg", i.sigalg);
    set_str(L, "alpn", i.alpn);
    set_str(L, "sni", i.sni);
    set_bool(L, "hrr", i.hrr);
    set_bool(L, "resumed", i.resumed);
    set_bool(L, "handshake_done", i.handshake_done);
    set_int(L, "early_data", i.early_data);
    return 1;
}

/* conn:_set_session(bytes) -> true | nil, msg, NAME (client, before the handshake). */
static int l_set_session(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    return mtl_push_rc(L, mt_conn_set_session(b->c, (const uint8_t *)s, n));
}

/* conn:_set_early_data(bytes) -> true | nil, msg, NAME (client, before the handshake). */
static int l_set_early_data(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    return mtl_push_rc(L, mt_conn_set_early_data(b->c, (const uint8_t *)s, n));
}

/* conn:_session() -> the newest session's bytes, or nil. */
static int l_session(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    const uint8_t *p;
    size_t n;
    if (mt_conn_session(b->c, &p, &n) != 0) return 0;
    lua_pushlstring(L, (const char *)p, n);
    return 1;
}

/* conn:_export(label, len[, context]) -> bytes | nil, msg, NAME */
static int l_export(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    size_t label_len, ctx_len = 0;
    const char *label = luaL_checklstring(L, 2, &label_len);
    lua_Integer n = luaL_checkinteger(L, 3);
    luaL_argcheck(L, n >= 0 && n <= 65535, 3, "length out of range (0..65535)");
    const char *context = luaL_optlstring(L, 4, NULL, &ctx_len);
    uint8_t *out = malloc(n > 0 ? (size_t)n : 1);
    if (out == NULL) return luaL_error(L, "out of memory");
    int rc = mt_conn_export(b->c, (const uint8_t *)label, label_len, (const uint8_t *)context,
                            ctx_len, context != NULL, out, (size_t)n);
    if (rc == 0) lua_pushlstring(L, (const char *)out, (size_t)n);
    mtl_wipe(out, (size_t)n); /* exported keying material is a secret */
    free(out);
    return rc == 0 ? 1 : mtl_push_fail(L, rc, NULL);
}

/* conn:_peer_certs() -> list of DER strings (leaf first; empty if none) */
static int l_peer_certs(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    size_t n = mt_conn_peer_cert_count(b->c);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *der;
        size_t len;
        if (mt_conn_peer_cert(b->c, i, &der, &len) != 0) break;
        lua_pushlstring(L, (const char *)der, len);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* conn:_verify_result() -> nil (no check ran) | true | false, reason, NAME */
static int l_verify_result(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    const char *reason = NULL;
    int rc = mt_conn_verify_result(b->c, &reason);
    if (rc == 1) return 0;
    lua_pushboolean(L, rc == 0);
    if (rc == 0) return 1;
    lua_pushstring(L, reason);
    lua_pushstring(L, mt_err_name(rc));
    return 3;
}

static int l_client_random(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    uint8_t r[32];
    if (mt_conn_client_random(b->c, r) != 0) return 0;
    lua_pushlstring(L, (const char *)r, 32);
    return 1;
}

/* conn:_event() -> a table describing the current event, or nil. */
static int l_event(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    const mt_event *e = mt_conn_event(b->c);
    if (e == NULL) return 0;
    lua_createtable(L, 0, 16);
    set_int(L, "kind", e->kind);
    set_bool(L, "paused", e->paused);
    set_int(L, "dir", e->dir);
    set_int(L, "content_type", e->content_type);
    set_int(L, "msg_type", e->msg_type);
    set_int(L, "epoch", e->epoch);
    set_int(L, "flight", e->flight);
    set_int(L, "seq", e->seq);
    set_int(L, "record_version", e->record_version);
    set_int(L, "padding", (lua_Integer)e->padding);
    set_int(L, "scheme", e->scheme);
    set_str(L, "label", e->label);
    set_bool(L, "hash_final", e->hash_final);
    set_bool(L, "adopt", e->adopt);
    lua_pushlstring(L, e->data ? (const char *)e->data : "", e->data ? e->len : 0);
    lua_setfield(L, -2, "data");
    return 1;
}

/* conn:_event_replace(list of strings): n = 0 drops, 1 replaces, more splits. */
static int l_event_replace(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = (size_t)luaL_len(L, 2);
    if (n > 16) return luaL_error(L, "at most 16 replacement objects");
    size_t lens[16];
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, 2, (lua_Integer)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "replacement %d is not a string", (int)i + 1);
        lens[i] = lua_rawlen(L, -1);
        luaL_addvalue(&buf);
    }
    luaL_pushresult(&buf);
    size_t total;
    const char *data = lua_tolstring(L, -1, &total);
    lua_pushinteger(L, mt_conn_event_replace(b->c, (const uint8_t *)data, lens, n));
    return 1;
}

static int l_event_flags(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    lua_pushinteger(L, mt_conn_event_set_flags(b->c, lua_toboolean(L, 2), lua_toboolean(L, 3)));
    return 1;
}

static int l_event_record(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    lua_pushinteger(L, mt_conn_event_set_record(b->c, (uint8_t)luaL_checkinteger(L, 2),
                                                (uint16_t)luaL_checkinteger(L, 3),
                                                (size_t)luaL_checkinteger(L, 4)));
    return 1;
}

static int l_event_done(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    lua_pushinteger(L, mt_conn_event_done(b->c, (int)luaL_optinteger(L, 2, 0)));
    return 1;
}

/* conn:_inject(content_type, bytes[, hash[, position]]) -> rc: queue a message the state
 * machine does not see (manual driving; mt_conn_inject_at). hash defaults to true;
 * position "last" (default: after everything queued) or "next" (MT_INJECT_NEXT). */
static int l_inject(lua_State *L)
{
    static const char *const positions[] = {"last", "next", NULL};
    check_conn(L, 1);
    size_t n;
    int ct = (int)luaL_checkinteger(L, 2);
    const char *p = luaL_checklstring(L, 3, &n);
    int hash = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
    luaL_argcheck(L, ct >= 0 && ct <= 255, 2, "content type 0..255 expected");
    int where = lua_isnoneornil(L, 5) ? 0 : luaL_checkoption(L, 5, NULL, positions);
    mtl_conn *b = enter(L);
    int rc = mt_conn_inject_at(b->c, where == 1 ? MT_INJECT_NEXT : MT_INJECT_LAST, (uint8_t)ct,
                               (const uint8_t *)p, n, hash);
    leave(b);
    lua_pushinteger(L, rc);
    return 1;
}

/* conn:_event_outer_type(type) -> rc: record_out, the TLS 1.3 outer content type. */
static int l_event_outer_type(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    lua_Integer t = luaL_checkinteger(L, 2);
    luaL_argcheck(L, t >= 0 && t <= 255, 2, "content type out of range");
    lua_pushinteger(L, mt_conn_event_set_outer_type(b->c, (uint8_t)t));
    return 1;
}

/* conn:_set_config(ctx): serve this connection with another context (SNI, from the
 * client_hello hook). The Lua side keeps the new context alive in the state table. */
static int l_set_config(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    mtl_ctx *x = luaL_checkudata(L, 2, MTL_CONTEXT);
    luaL_argcheck(L, x->cfg != NULL, 2, "context is closed");
    lua_pushinteger(L, mt_conn_set_config(b->c, x->cfg));
    return 1;
}

/* conn:_set_max_fragment(n): the largest record content we send. */
static int l_set_max_fragment(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    lua_pushinteger(L, mt_conn_set_max_fragment(b->c, (size_t)luaL_checkinteger(L, 2)));
    return 1;
}

/* conn:_select_alpn(name | nil): the server's ALPN choice (from the client_hello hook). */
static int l_select_alpn(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    const char *name = lua_isnoneornil(L, 2) ? NULL : luaL_checkstring(L, 2);
    lua_pushinteger(L, mt_conn_select_alpn(b->c, name));
    return 1;
}

/* conn:_set_hrr_cookie(bytes | nil) -> rc: this connection's HRR cookie (nil: none). */
static int l_set_hrr_cookie(lua_State *L)
{
    mtl_conn *b = check_conn(L, 1);
    size_t n = 0;
    const char *p = lua_isnoneornil(L, 2) ? NULL : luaL_checklstring(L, 2, &n);
    lua_pushinteger(L, mt_conn_set_hrr_cookie(b->c, (const uint8_t *)p, n));
    return 1;
}

static const luaL_Reg methods[] = {
    {"_set_config", l_set_config},
    {"_set_hrr_cookie", l_set_hrr_cookie},
    {"_select_alpn", l_select_alpn},
    {"_set_max_fragment", l_set_max_fragment},
    {"_state", l_state},
    {"_is_open", l_is_open},
    {"_role", l_role},
    {"_release", l_release},
    {"_seed", l_seed},
    {"_set_hooks", l_set_hooks},
    {"_feed", l_feed},
    {"_feed_eof", l_feed_eof},
    {"_run", l_run},
    {"_want", l_want},
    {"_output", l_output},
    {"_write", l_write},
    {"_read", l_read},
    {"_close", l_close},
    {"_key_update", l_key_update},
    {"_error", l_error},
    {"_fail", l_fail},
    {"_info", l_info},
    {"_client_random", l_client_random},
    {"_export", l_export},
    {"_peer_certs", l_peer_certs},
    {"_verify_result", l_verify_result},
    {"_set_session", l_set_session},
    {"_session", l_session},
    {"_set_early_data", l_set_early_data},
    {"_event", l_event},
    {"_event_replace", l_event_replace},
    {"_event_flags", l_event_flags},
    {"_event_record", l_event_record},
    {"_event_done", l_event_done},
    {"_inject", l_inject},
    {"_event_outer_type", l_event_outer_type},
    {NULL, NULL},
};

void mtl_open_conn(lua_State *L)
{
    /* The facade replaces __close and __index (close_notify first; conn.data). */
    mtl_new_class(L, MTL_CONN, l_release, l_tostring, methods);
    lua_setfield(L, -3, "Conn");
    lua_setfield(L, -2, "Conn_mt");
    lua_pushcfunction(L, l_conn_new);
    lua_setfield(L, -2, "conn_new");
}
