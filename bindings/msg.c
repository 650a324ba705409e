/*
 * msg.c - handshake messages as plain Lua tables and back (SCRIPTING.md 6.4), over the
 * "Messages as trees" section of moontls.h. The facade (bindings/moontls/msg.lua) picks
 * the format context from hints and documents the table shape; this file walks the tree.
 *
 * Notes:
 * - Generic: a node's field name is the table key, a list is an array, a struct a table,
 *   an extension {type =, data =, ...body fields}. Integers with a name table become
 *   names when known (never for GREASE values, which would not survive the trip back);
 *   both names and numbers are accepted on the way back.
 * - Encoding always starts from a fresh skeleton of the message kind and sets what the
 *   table says, so `raw` is information only and a field edit changes exactly that
 *   field. An extension's `data` is used verbatim when the extension has no parsed body
 *   here or when `data` differs from what decoding put there; the facade passes a weak
 *   registry (extension table -> decoded data) to tell the two apart.
 * - The field rule: a length key (`foo_len`, `length`) that is a number is written as
 *   given; a function gets the computed value and returns the one to write (nil keeps
 *   it). Length overrides never change sizes, so those functions run after the whole tree
 *   is built, each seeing its final computed value. Other fields given as functions get
 *   the field's zero value (nothing is computed for them).
 * - The C message lives in a userdata box with __gc while a conversion runs, so a raised
 *   error (bad field, failing function) frees it; the box never reaches a script. Lua
 *   functions from the table run under lua_pcall with a traceback.
 */
#include "binding.h"

#include <stdio.h>
#include <string.h>

#define MTL_MSGBOX "moontls.MsgBox"
#define PATH_CAP 256

typedef struct {
    mt_msg *m;
} msgbox;

typedef struct {
    lua_State *L;
    mt_msg *m;
    int registry; /* stack index of the weak registry table, or 0 */
    int pending;  /* stack index of the deferred length functions (encode) */
    char path[PATH_CAP];
    size_t plen;
} conv;

static int box_gc(lua_State *L)
{
    msgbox *b = luaL_checkudata(L, 1, MTL_MSGBOX);
    mt_msg_free(b->m);
    b->m = NULL;
    return 0;
}

/* A new box on the stack, owning m. */
static msgbox *new_box(lua_State *L)
{
    msgbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->m = NULL;
    luaL_setmetatable(L, MTL_MSGBOX);
    return b;
}

/* ---- paths for error messages ---- */

static size_t path_push(conv *cv, const char *name, lua_Integer index)
{
    size_t saved = cv->plen;
    int n;
    if (name)
        n = snprintf(cv->path + cv->plen, PATH_CAP - cv->plen, "%s%s", cv->plen ? "." : "", name);
    else
        n = snprintf(cv->path + cv->plen, PATH_CAP - cv->plen, "[%lld]", (long long)index);
    if (n > 0) cv->plen = cv->plen + (size_t)n >= PATH_CAP ? PATH_CAP - 1 : cv->plen + (size_t)n;
    return saved;
}

static void path_pop(conv *cv, size_t saved)
{
    cv->plen = saved;
    cv->path[saved] = 0;
}

static int fail_at(conv *cv, const char *fmt, const char *arg)
{
    char what[160];
    snprintf(what, sizeof what, fmt, arg ? arg : "");
    return luaL_error(cv->L, "tls.encode: %s: %s", cv->path, what);
}

/* ---- decode: tree -> table ---- */

static void push_code(lua_State *L, int names, uint64_t v)
{
    const char *n = NULL;
    if (names >= 0 && !mt_names_is_grease(names, (uint32_t)v)) n = mt_names_of(names, (uint32_t)v);
    if (n)
        lua_pushstring(L, n);
    else
        lua_pushinteger(L, (lua_Integer)v);
}

static void push_node(conv *cv, mt_msg_id id);

/* Key of a root field: the ChangeCipherSpec byte is called `type` in RFC 5246 7.1, which
 * the table uses for the message type. */
static const char *field_key(mt_msg_id parent, const char *name)
{
    if (parent == MT_MSG_ROOT && strcmp(name, "type") == 0) return "ccs_type";
    return name;
}

/* Set every present child of id as a field of the table on top of the stack. */
static void push_fields(conv *cv, mt_msg_id id)
{
    for (mt_msg_id c = mt_msg_first(cv->m, id); c != MT_MSG_NONE; c = mt_msg_next(cv->m, c)) {
        mt_msg_info in;
        mt_msg_node(cv->m, c, &in);
        if (in.absent) continue;
        push_node(cv, c);
        lua_setfield(cv->L, -2, field_key(id, in.name));
    }
}

static void push_node(conv *cv, mt_msg_id id)
{
    lua_State *L = cv->L;
    mt_msg_info in;
    lua_Integer i = 1;
    mt_msg_node(cv->m, id, &in);
    luaL_checkstack(L, 8, "message too deep");
    switch (in.kind) {
    case MT_MSG_K_INT:
        push_code(L, in.names, in.value);
        return;
    case MT_MSG_K_OPAQUE:
    case MT_MSG_K_VEC:
        lua_pushlstring(L, in.len ? (const char *)in.bytes : "", in.len);
        return;
    case MT_MSG_K_LIST:
        lua_newtable(L);
        for (mt_msg_id c = mt_msg_first(cv->m, id); c != MT_MSG_NONE; c = mt_msg_next(cv->m, c)) {
            push_node(cv, c);
            lua_rawseti(L, -2, i++);
        }
        return;
    case MT_MSG_K_STRUCT:
        lua_newtable(L);
        push_fields(cv, id);
        return;
    case MT_MSG_K_EXT:
        lua_newtable(L);
        push_code(L, in.names, in.value);
        lua_setfield(L, -2, "type");
        lua_pushlstring(L, in.len ? (const char *)in.bytes : "", in.len);
        if (cv->registry && !in.raw) { /* registry[ext] = data: "decoded, not edited" */
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, cv->registry);
        }
        lua_setfield(L, -2, "data");
        if (!in.raw) push_fields(cv, id);
        return;
    default:
        lua_pushnil(L);
        return;
    }
}

/* core.msg_decode(bytes, content_type, version, side, kx, sig[, registry])
 *   -> table | nil, message, NAME */
static int l_msg_decode(lua_State *L)
{
    size_t n;
    const char *p = luaL_checklstring(L, 1, &n);
    mt_msg_ctx ctx = {
        .content_type = (uint8_t)luaL_checkinteger(L, 2),
        .version = (uint16_t)luaL_checkinteger(L, 3),
        .side = (uint8_t)luaL_checkinteger(L, 4),
        .kx = (uint8_t)luaL_checkinteger(L, 5),
        .sig = (uint8_t)luaL_checkinteger(L, 6),
    };
    char where[MT_MSG_WHERE_MAX];
    msgbox *b = new_box(L);
    int rc = mt_msg_decode(&ctx, (const uint8_t *)p, n, &b->m, where, sizeof where);
    if (rc != 0) {
        /* decode_error is the script's answer here, not an alert we sent */
        if (rc == MT_ERR_DECODE) {
            lua_pushnil(L);
            lua_pushfstring(L, "decode_error: %s", where);
            lua_pushstring(L, mt_err_name(rc));
            return 3;
        }
        return mtl_push_fail(L, rc, where);
    }
    conv cv = {.L = L, .m = b->m, .registry = lua_istable(L, 7) ? 7 : 0};
    mt_msg_info root;
    mt_msg_node(b->m, MT_MSG_ROOT, &root);
    unsigned kind = mt_msg_kind(b->m);
    unsigned ct = ctx.content_type ? ctx.content_type : MT_MSG_CT_HANDSHAKE;
    lua_newtable(L);
    if (kind == MT_MSG_HELLO_RETRY_REQUEST)
        lua_pushliteral(L, "hello_retry_request");
    else if (ct == MT_MSG_CT_HANDSHAKE)
        push_code(L, MT_NAMES_HANDSHAKE, kind);
    else
        push_code(L, MT_NAMES_CONTENT_TYPE, ct);
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, ct == MT_MSG_CT_HANDSHAKE ? (lua_Integer)root.value : (lua_Integer)ct);
    lua_setfield(L, -2, "type_code");
    lua_pushinteger(L, ct);
    lua_setfield(L, -2, "content_type");
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "raw");
    if (root.raw) {
        lua_pushlstring(L, root.len ? (const char *)root.bytes : "", root.len);
        lua_setfield(L, -2, "body");
    } else {
        push_fields(&cv, MT_MSG_ROOT);
    }
    mt_msg_free(b->m);
    b->m = NULL;
    return 1;
}

/* ---- encode: table -> tree ---- */

/* Call the function at vidx with the value on top of the stack (popped); leave its result
 * in place of the function at vidx. Raises with the path on error. */
static void call_field_fn(conv *cv, int vidx)
{
    lua_State *L = cv->L;
    int auto_idx = lua_gettop(L);
    lua_pushcfunction(L, mtl_traceback);
    lua_pushvalue(L, vidx);
    lua_pushvalue(L, auto_idx);
    if (lua_pcall(L, 1, 1, auto_idx + 1) != LUA_OK) {
        const char *err = lua_tostring(L, -1);
        fail_at(cv, "field function failed: %s", err ? err : "(error object)");
    }
    lua_replace(L, vidx);
    lua_settop(L, auto_idx - 1);
}

static uint64_t check_code(conv *cv, int names, int vidx, unsigned width)
{
    lua_State *L = cv->L;
    int isint;
    lua_Integer v = lua_tointegerx(L, vidx, &isint);
    uint64_t max = width >= 4 ? 0xFFFFFFFFu : (((uint64_t)1 << (8 * width)) - 1);
    if (lua_type(L, vidx) == LUA_TSTRING) {
        uint32_t code;
        if (names < 0) fail_at(cv, "a number is expected, got \"%s\"", lua_tostring(L, vidx));
        if (mt_names_code(names, lua_tostring(L, vidx), &code) != 0) {
            char what[64];
            snprintf(what, sizeof what, "unknown %s \"%%s\"", mt_names_kind_name(names));
            fail_at(cv, what, lua_tostring(L, vidx));
        }
        v = (lua_Integer)code;
        isint = 1;
    }
    if (!isint) fail_at(cv, "a number or a name is expected, got %s", luaL_typename(L, vidx));
    if (v < 0 || (uint64_t)v > max) fail_at(cv, "value out of range for its width", NULL);
    return (uint64_t)v;
}

static void check_rc(conv *cv, int rc)
{
    if (rc == 0) return;
    fail_at(cv, "%s", mt_err_message(rc));
}

static void set_length(conv *cv, mt_msg_id id, int vidx)
{
    lua_State *L = cv->L;
    if (lua_isnil(L, vidx)) return;
    if (lua_isfunction(L, vidx)) { /* deferred: pending[#+1] = {id, fn, path} */
        lua_createtable(L, 3, 0);
        lua_pushinteger(L, id);
        lua_rawseti(L, -2, 1);
        lua_pushvalue(L, vidx);
        lua_rawseti(L, -2, 2);
        lua_pushstring(L, cv->path);
        lua_rawseti(L, -2, 3);
        lua_rawseti(L, cv->pending, (lua_Integer)lua_rawlen(L, cv->pending) + 1);
        return;
    }
    int isint;
    lua_Integer v = lua_tointegerx(L, vidx, &isint);
    if (!isint || v < 0 || v > 0xFFFFFFFF)
        fail_at(cv, "a length must be a non-negative integer or a function", NULL);
    if (mt_msg_set_len(cv->m, id, (uint32_t)v) != 0)
        fail_at(cv, "length does not fit its prefix", NULL);
}

static void set_value(conv *cv, mt_msg_id id, int vidx);
static void set_members(conv *cv, mt_msg_id id, int tidx);

/* A length key of field `name` in the table at tidx ("foo_len"; the root and extensions
 * use "length"). */
static void set_length_key(conv *cv, mt_msg_id id, int tidx, const char *key)
{
    lua_getfield(cv->L, tidx, key);
    set_length(cv, id, lua_gettop(cv->L));
    lua_pop(cv->L, 1);
}

static void set_ext(conv *cv, mt_msg_id list, int tidx, lua_Integer index)
{
    lua_State *L = cv->L;
    size_t saved = path_push(cv, NULL, index);
    if (!lua_istable(L, tidx))
        fail_at(cv, "an extension must be a table, got %s", luaL_typename(L, tidx));
    lua_getfield(L, tidx, "type");
    int t = lua_gettop(L);
    if (lua_isnil(L, t)) fail_at(cv, "extension without type", NULL);
    uint64_t type = check_code(cv, MT_NAMES_EXTENSION, t, 2);
    lua_pop(L, 1);
    mt_msg_id e;
    check_rc(cv, mt_msg_ext_add(cv->m, list, (unsigned)type, &e));
    mt_msg_info in;
    mt_msg_node(cv->m, e, &in);
    if (in.name) {
        path_pop(cv, saved);
        saved = path_push(cv, NULL, index);
        path_push(cv, in.name, 0);
    }
    lua_getfield(L, tidx, "data");
    int d = lua_gettop(L);
    int verbatim = 0;
    if (lua_type(L, d) == LUA_TSTRING) {
        verbatim = in.raw;
        if (!verbatim && cv->registry) { /* unchanged since decoding: encode the fields */
            lua_pushvalue(L, tidx);
            lua_rawget(L, cv->registry);
            verbatim = !lua_rawequal(L, -1, d);
            lua_pop(L, 1);
        } else if (!verbatim) {
            verbatim = 1;
        }
    } else if (!lua_isnil(L, d)) {
        fail_at(cv, "data must be bytes, got %s", luaL_typename(L, d));
    }
    if (verbatim) {
        size_t n;
        const char *p = lua_tolstring(L, d, &n);
        check_rc(cv, mt_msg_set_bytes(cv->m, e, p, n));
    } else if (!in.raw) {
        set_members(cv, e, tidx);
    }
    lua_pop(L, 1);
    set_length_key(cv, e, tidx, "length");
    path_pop(cv, saved);
}

static void set_list(conv *cv, mt_msg_id id, const mt_msg_info *in, int vidx)
{
    lua_State *L = cv->L;
    if (!lua_istable(L, vidx))
        fail_at(cv, "a list (table) is expected, got %s", luaL_typename(L, vidx));
    check_rc(cv, mt_msg_set_absent(cv->m, id, 0));
    lua_Integer n = luaL_len(L, vidx);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, vidx, i);
        int el = lua_gettop(L);
        if (in->ext_list) {
            set_ext(cv, id, el, i);
        } else {
            mt_msg_id c;
            check_rc(cv, mt_msg_list_add(cv->m, id, &c));
            size_t saved = path_push(cv, NULL, i);
            set_value(cv, c, el);
            path_pop(cv, saved);
        }
        lua_settop(L, el - 1);
    }
}

/* Set node id from the value at vidx (nil leaves the skeleton's zero / empty / absent). */
static void set_value(conv *cv, mt_msg_id id, int vidx)
{
    lua_State *L = cv->L;
    mt_msg_info in;
    mt_msg_node(cv->m, id, &in);
    if (lua_isnil(L, vidx)) return;
    if (lua_isfunction(L, vidx)) {
        switch (in.kind) {
        case MT_MSG_K_INT:
            push_code(L, in.names, in.value);
            break;
        case MT_MSG_K_OPAQUE:
        case MT_MSG_K_VEC:
            lua_pushlstring(L, in.len ? (const char *)in.bytes : "", in.len);
            break;
        default:
            fail_at(cv, "only numbers, names and bytes may be given as functions", NULL);
        }
        call_field_fn(cv, vidx);
        if (lua_isnil(L, vidx)) return;
    }
    switch (in.kind) {
    case MT_MSG_K_INT:
        check_rc(cv, mt_msg_set_int(cv->m, id, check_code(cv, in.names, vidx, in.width)));
        return;
    case MT_MSG_K_OPAQUE:
    case MT_MSG_K_VEC: {
        size_t n;
        if (lua_type(L, vidx) != LUA_TSTRING)
            fail_at(cv, "bytes (a string) are expected, got %s", luaL_typename(L, vidx));
        const char *p = lua_tolstring(L, vidx, &n);
        check_rc(cv, mt_msg_set_bytes(cv->m, id, p, n));
        return;
    }
    case MT_MSG_K_LIST:
        set_list(cv, id, &in, vidx);
        return;
    case MT_MSG_K_STRUCT:
        if (!lua_istable(L, vidx))
            fail_at(cv, "a table is expected, got %s", luaL_typename(L, vidx));
        set_members(cv, id, vidx);
        return;
    default:
        fail_at(cv, "unexpected node", NULL);
    }
}

/* Set every child of id from the fields of the table at tidx. */
static void set_members(conv *cv, mt_msg_id id, int tidx)
{
    lua_State *L = cv->L;
    luaL_checkstack(L, 10, "message too deep");
    for (mt_msg_id c = mt_msg_first(cv->m, id); c != MT_MSG_NONE; c = mt_msg_next(cv->m, c)) {
        mt_msg_info in;
        mt_msg_node(cv->m, c, &in);
        const char *key = field_key(id, in.name);
        size_t saved = path_push(cv, key, 0);
        lua_getfield(L, tidx, key);
        set_value(cv, c, lua_gettop(L));
        lua_pop(L, 1);
        if (in.kind == MT_MSG_K_VEC || in.kind == MT_MSG_K_LIST) {
            char lkey[96];
            snprintf(lkey, sizeof lkey, "%s_len", key);
            set_length_key(cv, c, tidx, lkey);
        }
        path_pop(cv, saved);
    }
}

/* Run the deferred length functions: each gets the computed length. */
static void run_pending(conv *cv)
{
    lua_State *L = cv->L;
    lua_Integer n = (lua_Integer)lua_rawlen(L, cv->pending);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, cv->pending, i);
        int e = lua_gettop(L);
        lua_rawgeti(L, e, 1);
        mt_msg_id id = (mt_msg_id)lua_tointeger(L, -1);
        lua_rawgeti(L, e, 2);
        int fn = lua_gettop(L);
        lua_rawgeti(L, e, 3);
        snprintf(cv->path, PATH_CAP, "%s", lua_tostring(L, -1));
        cv->plen = strlen(cv->path);
        lua_pop(L, 1);
        size_t len;
        check_rc(cv, mt_msg_content_len(cv->m, id, &len));
        lua_pushinteger(L, (lua_Integer)len);
        call_field_fn(cv, fn); /* the result replaces the function at fn */
        if (lua_isfunction(L, fn)) fail_at(cv, "a length function must return a number", NULL);
        set_length(cv, id, fn);
        lua_settop(L, e - 1);
    }
}

/* core.msg_encode(msg, content_type, version, side, kx, sig, kind[, registry]) -> bytes.
 * Raises on misuse (a field of the wrong type, an unknown name, a value too wide). */
static int l_msg_encode(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    mt_msg_ctx ctx = {
        .content_type = (uint8_t)luaL_checkinteger(L, 2),
        .version = (uint16_t)luaL_checkinteger(L, 3),
        .side = (uint8_t)luaL_checkinteger(L, 4),
        .kx = (uint8_t)luaL_checkinteger(L, 5),
        .sig = (uint8_t)luaL_checkinteger(L, 6),
    };
    lua_Integer kind = luaL_checkinteger(L, 7);
    int registry = lua_istable(L, 8) ? 8 : 0;
    lua_settop(L, 8);
    msgbox *b = new_box(L);
    lua_newtable(L);
    conv cv = {.L = L, .registry = registry, .pending = lua_gettop(L)};
    if (kind < 0 || kind > 0xFFFF || mt_msg_new(&ctx, (unsigned)kind, &b->m) != 0)
        return luaL_error(L, "tls.encode: cannot make a message of type %d", (int)kind);
    cv.m = b->m;
    snprintf(cv.path, PATH_CAP, "%s", mt_msg_title(b->m));
    cv.plen = strlen(cv.path);
    mt_msg_info root;
    mt_msg_node(b->m, MT_MSG_ROOT, &root);

    lua_getfield(L, 1, "body");
    int body = lua_gettop(L);
    if (lua_type(L, body) == LUA_TSTRING) {
        size_t n;
        const char *p = lua_tolstring(L, body, &n);
        check_rc(&cv, mt_msg_set_bytes(b->m, MT_MSG_ROOT, p, n));
    } else if (!lua_isnil(L, body)) {
        luaL_error(L, "tls.encode: %s: body must be bytes, got %s", cv.path,
                   luaL_typename(L, body));
    } else if (!root.raw) {
        set_members(&cv, MT_MSG_ROOT, 1);
    }
    lua_pop(L, 1);
    if (root.width != 0) {
        lua_getfield(L, 1, "type_code");
        if (!lua_isnil(L, -1)) {
            size_t saved = path_push(&cv, "type_code", 0);
            check_rc(&cv, mt_msg_set_int(b->m, MT_MSG_ROOT,
                                         check_code(&cv, MT_NAMES_HANDSHAKE, lua_gettop(L), 1)));
            path_pop(&cv, saved);
        }
        lua_pop(L, 1);
        size_t saved = path_push(&cv, "length", 0);
        set_length_key(&cv, MT_MSG_ROOT, 1, "length");
        path_pop(&cv, saved);
    }
    run_pending(&cv);
    const uint8_t *p;
    size_t n;
    check_rc(&cv, mt_msg_encode(b->m, &p, &n));
    lua_pushlstring(L, (const char *)p, n);
    mt_msg_free(b->m);
    b->m = NULL;
    return 1;
}

/* core.msg_validate(bytes, ct, version, side, kx, sig[, ch_bytes]) -> true | nil, msg, NAME */
static int l_msg_validate(lua_State *L)
{
    size_t n, chn = 0;
    const char *p = luaL_checklstring(L, 1, &n);
    const char *ch = luaL_optlstring(L, 7, NULL, &chn);
    mt_msg_ctx ctx = {
        .content_type = (uint8_t)luaL_checkinteger(L, 2),
        .version = (uint16_t)luaL_checkinteger(L, 3),
        .side = (uint8_t)luaL_checkinteger(L, 4),
        .kx = (uint8_t)luaL_checkinteger(L, 5),
        .sig = (uint8_t)luaL_checkinteger(L, 6),
    };
    char where[MT_MSG_WHERE_MAX];
    msgbox *b = new_box(L);
    msgbox *c = new_box(L);
    int rc = mt_msg_decode(&ctx, (const uint8_t *)p, n, &b->m, where, sizeof where);
    if (rc == 0 && ch) {
        mt_msg_ctx cctx = ctx;
        cctx.content_type = MT_MSG_CT_HANDSHAKE;
        cctx.side = MT_MSG_SIDE_CLIENT;
        rc = mt_msg_decode(&cctx, (const uint8_t *)ch, chn, &c->m, where, sizeof where);
    }
    if (rc == 0) rc = mt_msg_validate(b->m, c->m, where, sizeof where);
    mt_msg_free(b->m);
    b->m = NULL;
    mt_msg_free(c->m);
    c->m = NULL;
    if (rc == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    if (MT_ERR_IS_SENT(rc)) {
        const char *alert = mt_alert_name(MT_ERR_ALERT(rc));
        lua_pushfstring(L, "%s: %s", alert ? alert : "alert", where);
    } else {
        lua_pushfstring(L, "%s: %s", mt_err_message(rc), where);
    }
    lua_pushstring(L, mt_err_name(rc));
    return 3;
}

/* ---- names ---- */

static int check_kind(lua_State *L, int idx)
{
    lua_Integer k = luaL_checkinteger(L, idx);
    luaL_argcheck(L, k >= 0 && k < MT_NAMES_COUNT, idx, "unknown name table");
    return (int)k;
}

/* core.names_list(kind) -> {code = name, name = code} for the canonical entries. */
static int l_names_list(lua_State *L)
{
    int kind = check_kind(L, 1);
    size_t n = mt_names_count(kind);
    lua_createtable(L, 0, (int)(2 * n));
    for (size_t i = 0; i < n; i++) {
        uint32_t code;
        const char *name;
        if (mt_names_at(kind, i, &code, &name) != 0) break;
        lua_pushstring(L, name);
        lua_rawseti(L, -2, code);
        lua_pushinteger(L, code);
        lua_setfield(L, -2, name);
    }
    return 1;
}

/* core.name_of(kind, code) -> name | nil ("grease" for GREASE values) */
static int l_name_of(lua_State *L)
{
    int kind = check_kind(L, 1);
    lua_Integer code = luaL_checkinteger(L, 2);
    const char *name = code < 0 || code > 0xFFFFFFFF ? NULL : mt_names_of(kind, (uint32_t)code);
    if (!name) return 0;
    lua_pushstring(L, name);
    return 1;
}

/* core.name_code(kind, name) -> code | nil (aliases accepted) */
static int l_name_code(lua_State *L)
{
    int kind = check_kind(L, 1);
    uint32_t code;
    if (mt_names_code(kind, luaL_checkstring(L, 2), &code) != 0) return 0;
    lua_pushinteger(L, code);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"msg_decode", l_msg_decode},
    {"msg_encode", l_msg_encode},
    {"msg_validate", l_msg_validate},
    {"names_list", l_names_list},
    {"name_of", l_name_of},
    {"name_code", l_name_code},
    {NULL, NULL},
};

void mtl_open_msg(lua_State *L)
{
    luaL_newmetatable(L, MTL_MSGBOX);
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__close");
    lua_pop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {
        {"handshake", MT_NAMES_HANDSHAKE},
        {"extension", MT_NAMES_EXTENSION},
        {"cipher_suite", MT_NAMES_CIPHER_SUITE},
        {"group", MT_NAMES_GROUP},
        {"sigscheme", MT_NAMES_SIGSCHEME},
        {"alert", MT_NAMES_ALERT},
        {"alert_level", MT_NAMES_ALERT_LEVEL},
        {"content_type", MT_NAMES_CONTENT_TYPE},
        {"version", MT_NAMES_VERSION},
        {"psk_mode", MT_NAMES_PSK_MODE},
        {"ec_point_format", MT_NAMES_EC_POINT_FORMAT},
        {"cert_type", MT_NAMES_CERT_TYPE},
        {"cert_status_type", MT_NAMES_CERT_STATUS_TYPE},
    };
    lua_createtable(L, 0, MT_NAMES_COUNT);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        lua_pushinteger(L, kinds[i].kind);
        lua_setfield(L, -2, kinds[i].name);
    }
    lua_setfield(L, -2, "name_kinds");
}
