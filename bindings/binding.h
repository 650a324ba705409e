/*
 * binding.h - what the C files of `moontls.core` share. Internal to bindings/.
 *
 * Notes: who owns what
 * - A Context userdata (mtl_ctx) holds one mt_config reference; its user value 1 is a
 *   Lua table the facade keeps its parameters in.
 * - A Conn userdata (mtl_conn) owns its mt_conn; its user value 1 is the connection's Lua
 *   state table (facade: hooks, transport, buffers, `data`, the context that made it, the
 *   rng draw function, the clock), which keeps the Context alive as long as the Conn.
 * - The engine never calls Lua for hooks (they are events the facade dispatches between
 *   engine steps). Only two callbacks run synchronously inside an engine call: the rng and
 *   the clock, when a script supplies them. For those, every method that enters the engine
 *   marks the connection active on its context (ctx->active, conn->L) for the duration of
 *   that one call and clears it after: no lua_State is kept beyond the call, and the
 *   callback calls Lua under lua_pcall with a traceback.
 */
#ifndef MTL_BINDING_H
#define MTL_BINDING_H

#include "moontls.h"

#include <lauxlib.h>
#include <lua.h>

#define MTL_CONTEXT "moontls.Context"
#define MTL_CONN "moontls.Conn"

typedef struct mtl_conn mtl_conn;

typedef struct mtl_ctx {
    mt_config *cfg; /* NULL once closed */
    int role;
    mtl_conn *active; /* the connection inside an engine call, or NULL */
} mtl_ctx;

struct mtl_conn {
    mt_conn *c; /* NULL once closed */
    mtl_ctx *ctx;
    lua_State *L; /* set only while inside an engine call (see notes) */
    int self;     /* stack index of the Conn userdata during that call */
    mt_seeded *seeded;
};

/* Push nil, message, NAME for an error code and where-string; returns 3. */
int mtl_push_fail(lua_State *L, int err, const char *where);
/* Push true on rc == 0, else the failure triple; returns the count pushed. */
int mtl_push_rc(lua_State *L, int rc);
/* Read a Lua list of integers (1..65535) into v (at most cap); raises on bad input. */
size_t mtl_check_u16_list(lua_State *L, int idx, uint16_t *v, size_t cap);
/* Zero n bytes of a secret through volatile stores, so the compiler keeps them. */
void mtl_wipe(void *p, size_t n);
/* The message handler for lua_pcall: appends a traceback to the error. */
int mtl_traceback(lua_State *L);
/* Registers the metatable `name` of a userdata class: __gc and __close both `release`,
 * __tostring `tostring`, __index a new table of `methods` (NULL-terminated, borrowed).
 * Leaves the metatable, then the methods table, on the stack. */
void mtl_new_class(lua_State *L, const char *name, lua_CFunction release, lua_CFunction tostring,
                   const luaL_Reg *methods);

void mtl_open_context(lua_State *L);
void mtl_open_conn(lua_State *L);
/* msg.c: tls.decode / tls.encode / names (adds functions to the module table on top). */
void mtl_open_msg(lua_State *L);
/* keys.c: core.tls13_keys / core.tls13_secret_len, record keys outside a connection. */
void mtl_open_keys(lua_State *L);
/* keyshare.c: core.key_share, a key share outside a connection. */
void mtl_open_keyshare(lua_State *L);
/* quirks.c: ctx:_q_force_hrr; the module table on top, after the Context methods exist. */
void mtl_open_quirks(lua_State *L);

#endif
