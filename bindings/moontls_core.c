/*
 * moontls_core.c - the Lua C module `moontls.core`: userdata and functions over the
 * public C API in lib/moontls.h. The Lua facade `moontls` (bindings/moontls/init.lua)
 * builds the pleasant surface on top. Contexts live in context.c, connections in conn.c.
 *
 * Habits (STYLE.md 13): no lua_State is cached; callbacks run under lua_pcall; protocol
 * failures return nil, message, NAME; misuse raises.
 */
#include "binding.h"

#include <stdio.h>

void mtl_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

int mtl_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
    luaL_traceback(L, L, msg, 1);
    return 1;
}

void mtl_new_class(lua_State *L, const char *name, lua_CFunction release, lua_CFunction tostring,
                   const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, release);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, release);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__index");
}

int mtl_push_fail(lua_State *L, int err, const char *where)
{
    const char *name = mt_err_name(err);
    lua_pushnil(L);
    if (MT_ERR_IS_RECV(err) || MT_ERR_IS_SENT(err)) {
        const char *alert = mt_alert_name(MT_ERR_ALERT(err));
        char num[16];
        if (alert == NULL) {
            snprintf(num, sizeof num, "%d", MT_ERR_ALERT(err));
            alert = num;
        }
        if (MT_ERR_IS_RECV(err))
            /* The where-string of a received alert only repeats the alert. */
            lua_pushfstring(L, "alert received: fatal %s", alert);
        else if (where && *where)
            lua_pushfstring(L, "alert sent: fatal %s (%s)", alert, where);
        else
            lua_pushfstring(L, "alert sent: fatal %s", alert);
    } else if (where && *where) {
        lua_pushfstring(L, "%s (%s)", mt_err_message(err), where);
    } else {
        lua_pushstring(L, mt_err_message(err));
    }
    lua_pushstring(L, name);
    return 3;
}

int mtl_push_rc(lua_State *L, int rc)
{
    if (rc == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    return mtl_push_fail(L, rc, NULL);
}

size_t mtl_check_u16_list(lua_State *L, int idx, uint16_t *v, size_t cap)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    size_t n = (size_t)luaL_len(L, idx);
    if (n > cap) luaL_error(L, "list too long (%d entries, at most %d)", (int)n, (int)cap);
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, idx, (lua_Integer)i + 1);
        int ok;
        lua_Integer x = lua_tointegerx(L, -1, &ok);
        if (!ok || x < 0 || x > 0xffff) luaL_error(L, "entry %d is not a 16-bit code", (int)i + 1);
        v[i] = (uint16_t)x;
        lua_pop(L, 1);
    }
    return n;
}

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

/* core.fail(code[, where]) -> nil, message, NAME: the facade's way to phrase errors the
 * same as the C side does. */
static int l_fail(lua_State *L)
{
    return mtl_push_fail(L, (int)luaL_checkinteger(L, 1), luaL_optstring(L, 2, NULL));
}

/* core.session_check(bytes) -> true | nil, msg, NAME: the engine's reading of session bytes. */
static int l_session_check(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    return mtl_push_rc(L, mt_session_check((const uint8_t *)s, n));
}

static const luaL_Reg funcs[] = {
    {"session_check", l_session_check},
    {"alert_name", l_alert_name},
    {"alert_code", l_alert_code},
    {"err_name", l_err_name},
    {"fail", l_fail},
    {NULL, NULL},
};

int luaopen_moontls_core(lua_State *L)
{
    luaL_newlib(L, funcs);
    lua_pushliteral(L, MT_VERSION_STRING);
    lua_setfield(L, -2, "version");
    mtl_open_context(L);
    mtl_open_conn(L);
    mtl_open_msg(L);
    mtl_open_keys(L);
    mtl_open_keyshare(L);
    mtl_open_quirks(L);
    /* Hook bits and want flags, so the facade spells no magic numbers. */
    static const struct {
        const char *name;
        int bit;
    } hooks[] = {
        {"message_out", MT_HOOK_MESSAGE_OUT}, {"message_in", MT_HOOK_MESSAGE_IN},
        {"record_out", MT_HOOK_RECORD_OUT},   {"record_in", MT_HOOK_RECORD_IN},
        {"wire_out", MT_HOOK_WIRE_OUT},       {"wire_in", MT_HOOK_WIRE_IN},
        {"client_hello", MT_HOOK_CLIENT_HELLO}, {"select", MT_HOOK_SELECT},
        {"sign", MT_HOOK_SIGN},               {"verify_data", MT_HOOK_VERIFY_DATA},
        {"key_share", MT_HOOK_KEY_SHARE},     {"psk_binder", MT_HOOK_PSK_BINDER},
        {"verify_peer", MT_HOOK_VERIFY_PEER}, {"secret", MT_HOOK_SECRET},
        {"alert", MT_HOOK_ALERT},             {"state", MT_HOOK_STATE},
        {"psk_lookup", MT_HOOK_PSK_LOOKUP},
    };
    lua_createtable(L, 0, MT_HOOK_COUNT);
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
        lua_pushinteger(L, hooks[i].bit);
        lua_setfield(L, -2, hooks[i].name);
    }
    lua_setfield(L, -2, "hook_bits");
    static const struct {
        const char *name;
        int flag;
    } wants[] = {
        {"input", MT_WANT_INPUT}, {"output", MT_WANT_OUTPUT}, {"event", MT_WANT_EVENT},
        {"done", MT_WANT_DONE},   {"read", MT_WANT_READ},     {"closed", MT_WANT_CLOSED},
        {"failed", MT_WANT_FAILED},
    };
    lua_createtable(L, 0, 7);
    for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++) {
        lua_pushinteger(L, wants[i].flag);
        lua_setfield(L, -2, wants[i].name);
    }
    lua_setfield(L, -2, "want_flags");
    lua_pushinteger(L, MT_ERR_HOOK);
    lua_setfield(L, -2, "ERR_HOOK");
    lua_pushinteger(L, MT_ERR_BAD_STATE);
    lua_setfield(L, -2, "ERR_BAD_STATE");
    return 1;
}
