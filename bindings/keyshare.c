/*
 * keyshare.c - key shares outside a connection (moontls.h mt_key_share), for scripts that
 * build a ClientHello share by hand (SCRIPTING.md 7 (d)).
 *
 *   core.key_share(group, private, draw) -> public, private | nil, msg, NAME
 *
 * group is a NamedGroup code; private is nil or the private key bytes; draw is nil (the
 * system generator), a seed string (the library's seeded stream) or a Lua function
 * (n, purpose) -> n bytes, called synchronously under lua_pcall during this call only.
 * A bad private key or a group this build lacks raises (misuse); a failing generator
 * returns the failure triple.
 */
#include "binding.h"

#include <string.h>

typedef struct draw_ud {
    lua_State *L; /* valid only during l_key_share */
    int fn;       /* stack index of the draw function */
    int failed;   /* the function raised or returned the wrong thing: message on the stack */
} draw_ud;

static int draw_cb(void *ud, const char *purpose, uint8_t *out, size_t n)
{
    draw_ud *d = ud;
    lua_State *L = d->L;
    if (d->failed) return MT_ERR_HOOK;
    int top = lua_gettop(L);
    lua_pushcfunction(L, mtl_traceback);
    lua_pushvalue(L, d->fn);
    lua_pushinteger(L, (lua_Integer)n);
    lua_pushstring(L, purpose ? purpose : "");
    if (lua_pcall(L, 2, 1, top + 1) != LUA_OK) {
        d->failed = 1; /* keep the message, drop the handler under it */
        lua_remove(L, top + 1);
        return MT_ERR_HOOK;
    }
    size_t len = 0;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (s == NULL || len != n) {
        lua_settop(L, top);
        lua_pushfstring(L, "rng: draw of %d bytes for %s got %s", (int)n, purpose ? purpose : "?",
                        s ? "a string of another length" : "no string");
        d->failed = 1;
        return MT_ERR_HOOK;
    }
    memcpy(out, s, n);
    lua_settop(L, top);
    return 0;
}

static int l_key_share(lua_State *L)
{
    lua_Integer g = luaL_checkinteger(L, 1);
    luaL_argcheck(L, g >= 0 && g <= 0xFFFF, 1, "group code out of range");
    size_t priv_len = 0;
    const char *priv = luaL_optlstring(L, 2, NULL, &priv_len);
    int t = lua_type(L, 3);
    luaL_argcheck(L, t == LUA_TNONE || t == LUA_TNIL || t == LUA_TSTRING || t == LUA_TFUNCTION, 3,
                  "nil, seed string or draw function expected");
    mt_seeded *seeded = NULL;
    draw_ud d = {L, 3, 0};
    mt_rng_cb cb = NULL;
    void *cb_ud = NULL;
    if (t == LUA_TSTRING) {
        size_t seed_len = 0;
        const char *seed = lua_tolstring(L, 3, &seed_len);
        seeded = mt_seeded_new((const uint8_t *)seed, seed_len);
        if (seeded == NULL) return mtl_push_fail(L, MT_ERR_NO_MEMORY, "key_share");
        cb = mt_seeded_fill;
        cb_ud = seeded;
    } else if (t == LUA_TFUNCTION) {
        cb = draw_cb;
        cb_ud = &d;
    }
    lua_settop(L, 3); /* draw_cb's messages land above the arguments */
    uint8_t pub[MT_KEY_SHARE_MAX], out[MT_KEY_SHARE_MAX];
    size_t pub_len = 0, out_len = 0;
    int rc = mt_key_share((uint16_t)g, (const uint8_t *)priv, priv_len, cb, cb_ud, pub, &pub_len,
                          out, &out_len);
    mt_seeded_free(seeded);
    if (rc == 0) {
        lua_pushlstring(L, (const char *)pub, pub_len);
        lua_pushlstring(L, (const char *)out, out_len);
        mtl_wipe(out, sizeof out); /* the Lua string is the caller's copy now */
        return 2;
    }
    mtl_wipe(out, sizeof out); /* the private key is a secret */
    if (d.failed) return mtl_push_fail(L, MT_ERR_HOOK, lua_tostring(L, -1));
    if (rc == MT_ERR_UNSUPPORTED && priv == NULL)
        return luaL_error(L, "key_share: group %d is not supported", (int)g);
    if (priv != NULL && (rc == MT_ERR_BAD_PARAM || rc == MT_ERR_UNSUPPORTED))
        return luaL_error(L, "key_share: private key not usable for group %d (%s)", (int)g,
                          mt_err_message(rc));
    return mtl_push_fail(L, rc, "key_share");
}

void mtl_open_keyshare(lua_State *L)
{
    lua_pushcfunction(L, l_key_share);
    lua_setfield(L, -2, "key_share");
}
