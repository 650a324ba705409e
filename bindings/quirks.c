/*
 * quirks.c - the few engine knobs the declarative quirks (bindings/moontls/quirks.lua,
 * SCRIPTING.md 6.6) need that the rest of the binding does not expose: the outer content
 * type of a protected record, injection of a message into the output queue, and the
 * server's forced HelloRetryRequest. Methods are added to core.Conn and core.Context
 * under a `_q_` prefix so they never collide with the driver's own.
 */
#include "binding.h"

static mt_conn *q_conn(lua_State *L)
{
    mtl_conn *b = luaL_checkudata(L, 1, MTL_CONN);
    if (b->c == NULL) luaL_error(L, "connection is closed");
    return b->c;
}

/* conn:_q_outer_type(n) -> rc: during a record_out event only. */
static int l_outer_type(lua_State *L)
{
    mt_conn *c = q_conn(L);
    lua_Integer t = luaL_checkinteger(L, 2);
    luaL_argcheck(L, t >= 0 && t <= 255, 2, "content type out of range");
    lua_pushinteger(L, mt_conn_event_set_outer_type(c, (uint8_t)t));
    return 1;
}

/* conn:_q_inject(content_type, bytes[, hash]) -> rc: queue a message after what is
 * queued (handshake: header + body); hash defaults to true. */
static int l_inject(lua_State *L)
{
    mt_conn *c = q_conn(L);
    lua_Integer t = luaL_checkinteger(L, 2);
    luaL_argcheck(L, t >= 0 && t <= 255, 2, "content type out of range");
    size_t n;
    const char *p = luaL_checklstring(L, 3, &n);
    int hash = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
    lua_pushinteger(L, mt_conn_inject(c, (uint8_t)t, (const uint8_t *)p, n, hash));
    return 1;
}

/* ctx:_q_force_hrr(group, twice) -> rc. group 0: the group the engine would pick. */
static int l_force_hrr(lua_State *L)
{
    mtl_ctx *x = luaL_checkudata(L, 1, MTL_CONTEXT);
    if (x->cfg == NULL) return luaL_error(L, "context is closed");
    lua_Integer g = luaL_checkinteger(L, 2);
    luaL_argcheck(L, g >= 0 && g <= 0xffff, 2, "group out of range");
    lua_pushinteger(L, mt_config_force_hrr(x->cfg, (uint16_t)g, lua_toboolean(L, 3)));
    return 1;
}

/* Called from luaopen_moontls_core with the module table on top, after the Conn and
 * Context method tables exist. */
void mtl_open_quirks(lua_State *L);
void mtl_open_quirks(lua_State *L)
{
    lua_getfield(L, -1, "Conn");
    lua_pushcfunction(L, l_outer_type);
    lua_setfield(L, -2, "_q_outer_type");
    lua_pushcfunction(L, l_inject);
    lua_setfield(L, -2, "_q_inject");
    lua_pop(L, 1);
    lua_getfield(L, -1, "Context");
    lua_pushcfunction(L, l_force_hrr);
    lua_setfield(L, -2, "_q_force_hrr");
    lua_pop(L, 1);
}
