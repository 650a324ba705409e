/*
 * context.c - the moontls.Context userdata: one mt_config, set up by the facade through
 * small setters that each return true or nil, message, NAME. The facade validates keys
 * and names; these check types and pass codes through.
 */
#include "binding.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static mtl_ctx *check_ctx(lua_State *L, int idx)
{
    mtl_ctx *x = luaL_checkudata(L, idx, MTL_CONTEXT);
    if (x->cfg == NULL) luaL_error(L, "context is closed");
    return x;
}

/* core.context_new(role, params_table) -> Context */
static int l_context_new(lua_State *L)
{
    const char *role = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int r = strcmp(role, "client") == 0 ? MT_ROLE_CLIENT
            : strcmp(role, "server") == 0 ? MT_ROLE_SERVER
                                         : 0;
    if (r == 0) return luaL_argerror(L, 1, "\"client\" or \"server\" expected");
    mtl_ctx *x = lua_newuserdatauv(L, sizeof *x, 1);
    memset(x, 0, sizeof *x);
    x->role = r;
    luaL_setmetatable(L, MTL_CONTEXT);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);
    x->cfg = mt_config_new(r);
    if (x->cfg == NULL) return luaL_error(L, "out of memory");
    return 1;
}

static int l_gc(lua_State *L)
{
    mtl_ctx *x = luaL_checkudata(L, 1, MTL_CONTEXT);
    mt_config_unref(x->cfg); /* connections keep their own references */
    x->cfg = NULL;
    return 0;
}

static int l_tostring(lua_State *L)
{
    mtl_ctx *x = luaL_checkudata(L, 1, MTL_CONTEXT);
    lua_pushfstring(L, "moontls.Context (%s%s): %p", x->role == MT_ROLE_CLIENT ? "client" : "server",
                    x->cfg ? "" : ", closed", (void *)x);
    return 1;
}

static int l_params(lua_State *L)
{
    luaL_checkudata(L, 1, MTL_CONTEXT);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int l_role(lua_State *L)
{
    mtl_ctx *x = luaL_checkudata(L, 1, MTL_CONTEXT);
    lua_pushstring(L, x->role == MT_ROLE_CLIENT ? "client" : "server");
    return 1;
}

static int l_set_versions(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    return mtl_push_rc(L, mt_config_set_versions(x->cfg, (uint16_t)luaL_checkinteger(L, 2),
                                                 (uint16_t)luaL_checkinteger(L, 3)));
}

typedef int (*list_setter)(mt_config *, const uint16_t *, size_t);

static int set_list(lua_State *L, list_setter fn)
{
    mtl_ctx *x = check_ctx(L, 1);
    uint16_t v[64];
    size_t n = mtl_check_u16_list(L, 2, v, 64);
    return mtl_push_rc(L, fn(x->cfg, v, n));
}

static int l_set_suites(lua_State *L)
{
    return set_list(L, mt_config_set_suites);
}
static int l_set_groups(lua_State *L)
{
    return set_list(L, mt_config_set_groups);
}
static int l_set_sigalgs(lua_State *L)
{
    return set_list(L, mt_config_set_sigalgs);
}

static int l_set_key_shares(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    uint16_t v[64];
    size_t n = mtl_check_u16_list(L, 2, v, 64);
    /* An empty list means "no share at all" (forces HRR), hence the non-NULL pointer. */
    return mtl_push_rc(L, mt_config_set_key_shares(x->cfg, v, n));
}

static int l_pin_key_share(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    size_t len;
    lua_Integer g = luaL_checkinteger(L, 2);
    const char *priv = luaL_checklstring(L, 3, &len);
    return mtl_push_rc(L, mt_config_pin_key_share(x->cfg, (uint16_t)g, (const uint8_t *)priv, len));
}

static int l_set_alpn(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = (size_t)luaL_len(L, 2);
    if (n > 64) return luaL_error(L, "too many ALPN names");
    const char *names[64];
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, 2, (lua_Integer)i + 1);
        names[i] = lua_tostring(L, -1);
        if (names[i] == NULL) return luaL_error(L, "alpn entry %d is not a string", (int)i + 1);
        /* the strings stay referenced by the table at index 2 */
        lua_pop(L, 1);
    }
    return mtl_push_rc(L, mt_config_set_alpn(x->cfg, names, n));
}

static int l_set_server_name(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    return mtl_push_rc(L, mt_config_set_server_name(x->cfg, luaL_optstring(L, 2, NULL)));
}

static int l_add_credential(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    size_t cl, kl;
    const char *chain = luaL_checklstring(L, 2, &cl);
    const char *key = luaL_checklstring(L, 3, &kl);
    return mtl_push_rc(L, mt_config_add_credential(x->cfg, (const uint8_t *)chain, cl,
                                                   (const uint8_t *)key, kl));
}

static int l_set_ca(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    size_t n;
    const char *pem = luaL_checklstring(L, 2, &n);
    return mtl_push_rc(L, mt_config_set_ca(x->cfg, (const uint8_t *)pem, n));
}

static int l_set_verify(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    int peer = lua_toboolean(L, 2);
    return mtl_push_rc(L, mt_config_set_verify(x->cfg, peer ? MT_VERIFY_PEER : MT_VERIFY_NONE));
}

static int l_set_compat(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    mt_config_set_compat(x->cfg, lua_toboolean(L, 2));
    return 0;
}

static int l_set_hrr_cookie(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    mt_config_set_hrr_cookie(x->cfg, lua_toboolean(L, 2));
    return 0;
}

/* ctx:_set_hrr_cookie_value(bytes | nil): a fixed HelloRetryRequest cookie (nil: random). */
static int l_set_hrr_cookie_value(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    size_t n = 0;
    const char *p = lua_isnoneornil(L, 2) ? NULL : luaL_checklstring(L, 2, &n);
    return mtl_push_rc(L, mt_config_set_hrr_cookie_value(x->cfg, (const uint8_t *)p, n));
}

/* ctx:_set_extension_order(kind, {types}) */
static int l_set_extension_order(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    lua_Integer kind = luaL_checkinteger(L, 2);
    uint16_t v[64];
    size_t n = mtl_check_u16_list(L, 3, v, 64);
    return mtl_push_rc(L, mt_config_set_extension_order(x->cfg, (unsigned)kind, v, n));
}

/* ctx:_add_extension(kind, type, data) */
static int l_add_extension(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    lua_Integer kind = luaL_checkinteger(L, 2);
    lua_Integer type = luaL_checkinteger(L, 3);
    size_t n;
    const char *data = luaL_checklstring(L, 4, &n);
    luaL_argcheck(L, type >= 0 && type <= 0xffff, 3, "extension type 0..65535 expected");
    return mtl_push_rc(L, mt_config_add_extension(x->cfg, (unsigned)kind, (uint16_t)type,
                                                  (const uint8_t *)data, n));
}

static int l_set_hooks(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    mt_config_set_hooks(x->cfg, (uint32_t)luaL_checkinteger(L, 2));
    return 0;
}

/* ---- resumption and PSK ---- */

static int l_set_tickets(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2), life = luaL_checkinteger(L, 3);
    if (n < 0 || n > 255 || life < 1 || life > 604800) return mtl_push_rc(L, MT_ERR_BAD_PARAM);
    return mtl_push_rc(L, mt_config_set_tickets(x->cfg, (unsigned)n, (uint32_t)life));
}

static int l_set_ticket_key(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    size_t n;
    const char *k = luaL_checklstring(L, 2, &n);
    return mtl_push_rc(L, mt_config_set_ticket_key(x->cfg, (const uint8_t *)k, n));
}

static int l_set_psk_ke(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    /* true: also psk_ke; "only": psk_ke alone (client) */
    int only = lua_type(L, 2) == LUA_TSTRING;
    mt_config_set_psk_ke(x->cfg, only ? 2 : lua_toboolean(L, 2));
    return 0;
}

static int l_set_early_data(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0 || n > 0xffffffffLL) return mtl_push_rc(L, MT_ERR_BAD_PARAM);
    return mtl_push_rc(L, mt_config_set_early_data(x->cfg, (uint32_t)n));
}

/* ctx:_set_psk(identity, key, hash) with hash 1 (SHA-256) or 2 (SHA-384). */
static int l_set_psk(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    size_t il, kl;
    const char *id = luaL_checklstring(L, 2, &il);
    const char *key = luaL_checklstring(L, 3, &kl);
    int hash = (int)luaL_checkinteger(L, 4);
    return mtl_push_rc(L, mt_config_set_psk(x->cfg, (const uint8_t *)id, il, (const uint8_t *)key,
                                            kl, hash));
}

/* ---- rng and clock: the two synchronous callbacks (see binding.h) ---- */

/* Record a callback failure in the connection's state table (field cb_error), for the
 * facade to report as a hook error. Expects the message on top; pops it. */
static void note_cb_error(lua_State *L, mtl_conn *b)
{
    lua_getiuservalue(L, b->self, 1);
    lua_insert(L, -2);
    lua_setfield(L, -2, "cb_error");
    lua_pop(L, 1);
}

static int rng_cb(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    mtl_ctx *x = ud;
    mtl_conn *b = x->active;
    if (b == NULL) return MT_ERR_HOOK; /* a draw outside any connection call */
    if (b->seeded) return mt_seeded_fill(b->seeded, purpose, out, n);
    lua_State *L = b->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, mtl_traceback);
    lua_getiuservalue(L, b->self, 1);
    lua_getfield(L, -1, "rng_draw");
    lua_remove(L, -2);
    lua_pushinteger(L, (lua_Integer)n);
    lua_pushstring(L, purpose ? purpose : "");
    int rc = 0;
    if (lua_pcall(L, 2, 1, top + 1) != LUA_OK) {
        note_cb_error(L, b);
        rc = MT_ERR_HOOK;
    } else {
        size_t len = 0;
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        if (s == NULL || len != n) {
            if (s)
                lua_pushfstring(L, "rng: draw of %d bytes for %s got %d bytes", (int)n,
                                purpose ? purpose : "?", (int)len);
            else
                lua_pushfstring(L, "rng: draw of %d bytes for %s got %s", (int)n,
                                purpose ? purpose : "?", luaL_typename(L, -1));
            note_cb_error(L, b);
            rc = MT_ERR_HOOK;
        } else {
            memcpy(out, s, n);
        }
    }
    lua_settop(L, top);
    return rc;
}

static int64_t clock_cb(void *ud)
{
    mtl_ctx *x = ud;
    mtl_conn *b = x->active;
    if (b == NULL) return (int64_t)time(NULL);
    lua_State *L = b->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, mtl_traceback);
    lua_getiuservalue(L, b->self, 1);
    lua_getfield(L, -1, "clock");
    lua_remove(L, -2);
    int64_t now = 0;
    if (lua_pcall(L, 0, 1, top + 1) != LUA_OK) {
        note_cb_error(L, b);
    } else {
        int ok;
        lua_Number v = lua_tonumberx(L, -1, &ok);
        if (ok) {
            now = (int64_t)v;
        } else {
            lua_pushliteral(L, "clock: a number of seconds expected");
            note_cb_error(L, b);
        }
    }
    lua_settop(L, top);
    return now;
}

/* ctx:_use_rng(on): route every draw of this context's connections through the
 * connection's generator (its seeded state or its Lua draw function). */
static int l_use_rng(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    if (lua_toboolean(L, 2))
        mt_config_set_rng(x->cfg, rng_cb, x);
    else
        mt_config_set_rng(x->cfg, NULL, NULL);
    return 0;
}

static int l_use_clock(lua_State *L)
{
    mtl_ctx *x = check_ctx(L, 1);
    if (lua_toboolean(L, 2))
        mt_config_set_clock(x->cfg, clock_cb, x);
    else
        mt_config_set_clock(x->cfg, NULL, NULL);
    return 0;
}

static const luaL_Reg methods[] = {
    {"_params", l_params},
    {"_role", l_role},
    {"_set_versions", l_set_versions},
    {"_set_suites", l_set_suites},
    {"_set_groups", l_set_groups},
    {"_set_sigalgs", l_set_sigalgs},
    {"_set_key_shares", l_set_key_shares},
    {"_pin_key_share", l_pin_key_share},
    {"_set_alpn", l_set_alpn},
    {"_set_server_name", l_set_server_name},
    {"_add_credential", l_add_credential},
    {"_set_ca", l_set_ca},
    {"_set_verify", l_set_verify},
    {"_set_compat", l_set_compat},
    {"_set_hrr_cookie", l_set_hrr_cookie},
    {"_set_hrr_cookie_value", l_set_hrr_cookie_value},
    {"_set_extension_order", l_set_extension_order},
    {"_add_extension", l_add_extension},
    {"_set_hooks", l_set_hooks},
    {"_use_rng", l_use_rng},
    {"_set_tickets", l_set_tickets},
    {"_set_ticket_key", l_set_ticket_key},
    {"_set_psk_ke", l_set_psk_ke},
    {"_set_psk", l_set_psk},
    {"_set_early_data", l_set_early_data},
    {"_use_clock", l_use_clock},
    {NULL, NULL},
};

void mtl_open_context(lua_State *L)
{
    /* Methods: the facade adds its Lua methods to this same table (core.Context). */
    mtl_new_class(L, MTL_CONTEXT, l_gc, l_tostring, methods);
    lua_setfield(L, -3, "Context"); /* core.Context = methods */
    lua_pop(L, 1);
    lua_pushcfunction(L, l_context_new);
    lua_setfield(L, -2, "context_new");
}
