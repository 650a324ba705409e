/*
 * quirks.c - the engine knob the declarative quirks (bindings/moontls/quirks.lua,
 * SCRIPTING.md 6.6) need that the rest of the binding does not expose: the server's
 * forced HelloRetryRequest. It is added to core.Context under a `_q_` prefix so it never
 * collides with the driver's own. (The outer content type and injection are the Conn's
 * _event_outer_type and _inject, bindings/conn.c.)
 */
#include "binding.h"

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

void mtl_open_quirks(lua_State *L)
{
    lua_getfield(L, -1, "Context");
    lua_pushcfunction(L, l_force_hrr);
    lua_setfield(L, -2, "_q_force_hrr");
    lua_pop(L, 1);
}
