/*
 * moontls_core.c - the Lua C module `moontls.core`: userdata and functions over the
 * public C API in lib/moontls.h. The Lua facade `moontls` (bindings/moontls/init.lua)
 * builds the pleasant surface on top.
 *
 * Habits (STYLE.md 13): no lua_State is cached; callbacks run under lua_pcall; protocol
 * failures return nil, message, NAME; misuse raises.
 */
#include "moontls.h"

#include <lauxlib.h>
#include <lua.h>

static int l_alert_name(lua_State *L)
{
    const char *name = mt_alert_name((int)luaL_checkinteger(L, 1));
    if (name == NULL) return 0;
    lua_pushstring(L, name);
    return 1;
}

static int l_alert_code(lua_State *L)
{
    int code = mt_alert_by_name(luaL_checkstring(L, 1));
    if (code < 0) return 0;
    lua_pushinteger(L, code);
    return 1;
}

static int l_err_name(lua_State *L)
{
    lua_pushstring(L, mt_err_name((int)luaL_checkinteger(L, 1)));
    return 1;
}

static const luaL_Reg funcs[] = {
    {"alert_name", l_alert_name},
    {"alert_code", l_alert_code},
    {"err_name", l_err_name},
    {NULL, NULL},
};

int luaopen_moontls_core(lua_State *L)
{
    luaL_newlib(L, funcs);
    lua_pushliteral(L, MT_VERSION_STRING);
    lua_setfield(L, -2, "version");
    return 1;
}
