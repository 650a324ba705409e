/*
 * keys.c - TLS 1.3 record keys in Lua (moontls.h "TLS 1.3 record keys"): one direction's
 * traffic keys from a traffic secret, opening and sealing whole records at a sequence
 * number the script names. tls.trace.decrypt (bindings/moontls/decrypt.lua) opens a
 * trace's records with them.
 *
 *   core.tls13_secret_len(suite)          -> bytes of a traffic secret, or nil
 *   core.tls13_keys(suite, secret)        -> Keys | nil, msg, NAME
 *   keys:open(seq, record)                -> content, inner_type, padding | nil, msg, NAME
 *   keys:seal(seq, inner_type, content[, padding]) -> record | nil, msg, NAME
 *   keys:next()                           -> true (next KeyUpdate generation) | nil, msg, NAME
 *   keys:generation(), keys:suite()
 *
 * A Keys userdata owns its mt_tls13_keys; __gc and __close free it (the secret, key and IV
 * are wiped), after which every method raises.
 */
#include "binding.h"

#include <stdio.h>

#define MTL_KEYS "moontls.Tls13Keys"

typedef struct mtl_keys {
    mt_tls13_keys *k; /* NULL once closed */
} mtl_keys;

static mt_tls13_keys *check_keys(lua_State *L)
{
    mtl_keys *b = luaL_checkudata(L, 1, MTL_KEYS);
    if (b->k == NULL) luaL_error(L, "TLS 1.3 keys are closed");
    return b->k;
}

static uint16_t check_suite(lua_State *L, int idx)
{
    lua_Integer s = luaL_checkinteger(L, idx);
    luaL_argcheck(L, s >= 0 && s <= 0xFFFF, idx, "cipher suite out of range");
    return (uint16_t)s;
}

static uint64_t check_seq(lua_State *L, int idx)
{
    lua_Integer seq = luaL_checkinteger(L, idx);
    luaL_argcheck(L, seq >= 0, idx, "sequence number must not be negative");
    return (uint64_t)seq;
}

static int l_secret_len(lua_State *L)
{
    size_t n = mt_tls13_secret_len(check_suite(L, 1));
    if (n == 0) return 0;
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int l_keys_new(lua_State *L)
{
    uint16_t suite = check_suite(L, 1);
    size_t len;
    const char *secret = luaL_checklstring(L, 2, &len);
    mtl_keys *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->k = NULL;
    luaL_setmetatable(L, MTL_KEYS);
    int rc = mt_tls13_keys_new(suite, (const uint8_t *)secret, len, &b->k);
    if (rc != 0) {
        char where[96];
        size_t want = mt_tls13_secret_len(suite);
        if (rc == MT_ERR_BAD_PARAM && want != 0)
            snprintf(where, sizeof where, "the secret is %zu bytes, the suite needs %zu", len,
                     want);
        else
            snprintf(where, sizeof where, "cipher suite 0x%04x", suite);
        return mtl_push_fail(L, rc, where);
    }
    return 1;
}

static int l_open(lua_State *L)
{
    mt_tls13_keys *k = check_keys(L);
    uint64_t seq = check_seq(L, 2);
    size_t len, outlen = 0, padding = 0;
    const char *rec = luaL_checklstring(L, 3, &len);
    uint8_t type = 0;
    luaL_Buffer buf;
    /* The fragment, tag included, is decrypted into the buffer (moontls.h). */
    size_t cap = len > 5 ? len - 5 : 0;
    char *out = luaL_buffinitsize(L, &buf, cap);
    int rc = mt_tls13_open_record(k, seq, (const uint8_t *)rec, len, (uint8_t *)out, cap, &outlen,
                                  &type, &padding);
    if (rc != 0) return mtl_push_fail(L, rc, NULL);
    luaL_pushresultsize(&buf, outlen);
    lua_pushinteger(L, type);
    lua_pushinteger(L, (lua_Integer)padding);
    return 3;
}

static int l_seal(lua_State *L)
{
    mt_tls13_keys *k = check_keys(L);
    uint64_t seq = check_seq(L, 2);
    lua_Integer type = luaL_checkinteger(L, 3);
    size_t len, outlen = 0;
    const char *content = luaL_checklstring(L, 4, &len);
    lua_Integer padding = luaL_optinteger(L, 5, 0);
    luaL_Buffer buf;
    luaL_argcheck(L, type >= 0 && type <= 255, 3, "content type out of range");
    luaL_argcheck(L, padding >= 0 && padding <= 0xFFFF, 5, "padding out of range");
    luaL_argcheck(L, len <= 0xFFFF, 4, "content longer than a record can say");
    size_t cap = 5 + len + 1 + (size_t)padding + 16;
    char *out = luaL_buffinitsize(L, &buf, cap);
    int rc = mt_tls13_seal_record(k, seq, (uint8_t)type, (const uint8_t *)content, len,
                                  (size_t)padding, (uint8_t *)out, cap, &outlen);
    if (rc != 0) return mtl_push_fail(L, rc, NULL);
    luaL_pushresultsize(&buf, outlen);
    return 1;
}

static int l_next(lua_State *L)
{
    return mtl_push_rc(L, mt_tls13_keys_next(check_keys(L)));
}

static int l_generation(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)mt_tls13_keys_generation(check_keys(L)));
    return 1;
}

static int l_suite(lua_State *L)
{
    lua_pushinteger(L, mt_tls13_keys_suite(check_keys(L)));
    return 1;
}

static int l_gc(lua_State *L)
{
    mtl_keys *b = luaL_checkudata(L, 1, MTL_KEYS);
    mt_tls13_keys_free(b->k);
    b->k = NULL;
    return 0;
}

static int l_tostring(lua_State *L)
{
    mtl_keys *b = luaL_checkudata(L, 1, MTL_KEYS);
    if (b->k == NULL) {
        lua_pushliteral(L, "moontls.Tls13Keys (closed)");
        return 1;
    }
    const char *name = mt_names_of(MT_NAMES_CIPHER_SUITE, mt_tls13_keys_suite(b->k));
    lua_pushfstring(L, "moontls.Tls13Keys (%s, generation %d)", name ? name : "?",
                    (int)mt_tls13_keys_generation(b->k));
    return 1;
}

static const luaL_Reg methods[] = {
    {"open", l_open},   {"seal", l_seal}, {"next", l_next}, {"generation", l_generation},
    {"suite", l_suite}, {"close", l_gc},  {NULL, NULL},
};

void mtl_open_keys(lua_State *L)
{
    mtl_new_class(L, MTL_KEYS, l_gc, l_tostring, methods);
    lua_pop(L, 2);
    lua_pushcfunction(L, l_keys_new);
    lua_setfield(L, -2, "tls13_keys");
    lua_pushcfunction(L, l_secret_len);
    lua_setfield(L, -2, "tls13_secret_len");
}
