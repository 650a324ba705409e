-- moontls.conn: connections (SCRIPTING.md 6.3, 6.5). The engine is sans-I/O; this module
-- drives it: run the engine, dispatch each event to the Lua hooks, answer, run again
-- (step); move bytes through a transport (a LuaSocket object, or the peer of an
-- in-memory pair); and speak LuaSocket's send/receive on top.
--
-- Hooks are called here, from Lua, between engine steps, never from inside C: so they
-- may yield (coroutines, event loops), and an error in one is caught with a traceback
-- and becomes the connection's failure ("hook error: ...", "HOOK").
local core = require "moontls.core"
local names = require "moontls.names"
local rng = require "moontls.rng"
local context = require "moontls.context"
local msgmod = require "moontls.msg"

local M = {}
local Conn = core.Conn -- the userdata's method table: we add the Lua methods
local W = core.want_flags
local ERR_HOOK = core.ERR_HOOK
local LOOP_LIMIT = 100000 -- bound on engine steps per call: a wedged engine raises

local HOOK_NAME = {}
for name, bit in pairs(core.hook_bits) do HOOK_NAME[bit] = name end

-- conn.data is a free table for scripts; everything else is a method.
local mt = core.Conn_mt
mt.__index = function(self, k)
  local m = Conn[k]
  if m ~= nil then return m end
  if k == "data" then return self:_state().data end
  return nil
end
mt.__close = function(self)
  if self:_is_open() then self:close() end
  self:_release()
end

function M.new(ctx)
  local cstate = ctx:_params()
  local state = { data = {}, hooks = {}, rbuf = "", outbuf = "", inbox = {} }
  local conn = core.conn_new(ctx, state)
  if cstate.rng ~= nil then
    local kind, v = rng.instance(cstate.rng)
    if kind == "seed" then conn:_seed(v) elseif kind == "draw" then state.rng_draw = v end
  end
  state.clock = cstate.clock
  return conn
end

-- ---------------------------------------------------------------------------------
-- Failures
-- ---------------------------------------------------------------------------------

-- The connection's failure as nil, message, NAME; or nothing when it has not failed.
local function failure(conn)
  local st = conn:_state()
  if st.failure then return nil, st.failure[1], st.failure[2] end
  if not conn:_is_open() then return nil, "closed", "CLOSED" end
  local code, where = conn:_error()
  if code == 0 then return end
  if code == ERR_HOOK and st.cb_error then return nil, "hook error: " .. st.cb_error, "HOOK" end
  return core.fail(code, where)
end

-- conn:error() -> message, NAME of the sticky failure, or nil.
function Conn:error()
  local _, msg, name = failure(self)
  return msg, name
end

local function hook_failed(conn, st, msg)
  st.failure = st.failure or { "hook error: " .. tostring(msg), "HOOK" }
end

-- ---------------------------------------------------------------------------------
-- Events and hooks
-- ---------------------------------------------------------------------------------

local function epoch_name(n)
  -- TLS 1.3 without early data: keys are installed for the handshake, then for
  -- application data, then once per KeyUpdate.
  if n == 0 then return "initial" elseif n == 1 then return "handshake" end
  return "application"
end

-- The handlers of a hook point: the context's, then the connection's (conn:on). The list
-- is built once per point and kept in st.hlists; it is rebuilt when the context (an SNI
-- switch), its hook or the connection's list changed. Callers only read it.
local function handlers(st, name)
  local ctx = st.ctx
  local ch = ctx:_params().hooks[name]
  local per = st.hooks[name]
  local n = per and #per or 0
  local cache = st.hlists
  if cache == nil then cache = {}; st.hlists = cache end
  local c = cache[name]
  if c and c.ctx == ctx and c.ch == ch and c.per == per and c.n == n then return c.list end
  local list = {}
  if ch then list[1] = ch end
  for i = 1, n do list[#list + 1] = per[i] end
  cache[name] = { ctx = ctx, ch = ch, per = per, n = n, list = list }
  return list
end

-- Call hooks in turn until one gives a verdict (non-nil); returns ok, verdict or
-- false, traceback.
local traceback = debug.traceback
local function first_verdict(fns, ...)
  for i = 1, #fns do
    local ok, v, w = xpcall(fns[i], traceback, ...)
    if not ok then return false, v end
    if v ~= nil then return true, v, w end
  end
  return true, nil
end

-- A verdict as a list of byte strings, or nil for "pass": false drops, a string
-- replaces, an object table gives its `field`, a list gives several.
local function objects(v, field)
  if v == nil then return nil end
  if v == false then return {} end
  if type(v) == "string" then return { v } end
  if type(v) == "table" then
    if v[field] ~= nil then return { v[field] } end
    local out = {}
    for i, o in ipairs(v) do
      if type(o) == "string" then
        out[i] = o
      elseif type(o) == "table" and type(o[field]) == "string" then
        out[i] = o[field]
      else
        error(("verdict entry %d: bytes or a table with %s expected"):format(i, field), 0)
      end
    end
    return out
  end
  error("verdict: nil, false, bytes, a table or a list expected, got " .. type(v), 0)
end

local function msg_type_name(ev)
  local ct = ev.content_type
  if ct == 22 then
    local code = ev.msg_type
    -- RFC 8446 4.1.3: HelloRetryRequest is a ServerHello with a special random.
    if code == 2 and ev.data:sub(7, 38) == names.HRR_RANDOM then return "hello_retry_request", code end
    return names.handshake_types[code] or ("handshake_" .. code), code
  end
  return names.content_types[ct] or ("content_" .. ct), ct
end

local function event_view(ev)
  return {
    dir = ev.dir == 0 and "out" or "in", epoch = epoch_name(ev.epoch), epoch_index = ev.epoch,
    flight = ev.flight, seq = ev.seq, hash = true, adopt = false,
  }
end

local CONTENT_TYPES = { change_cipher_spec = 20, alert = 21, handshake = 22, application_data = 23,
                        heartbeat = 24 }

-- ev.inject(content_type, bytes[, opts]) in a message, record or wire hook: queue a
-- message (a handshake message with its header, or a record's content: alert,
-- application data, ...) through the record layer, which the state machine never sees.
-- opts.position: "next" (the default here) puts it before the next queued item: ahead
-- of the message a message_out hook is looking at, right after the record a
-- record_out/wire_out hook is looking at (mt_conn_inject_at); "last" after everything
-- queued. opts.hash = false keeps a handshake message out of the transcript. Misuse
-- raises; a refusal returns nil, err, NAME.
local function injector(conn)
  local st = conn:_state()
  if st.injector then return st.injector end
  st.injector = function(ct, bytes, opts)
    if type(ct) == "string" then ct = CONTENT_TYPES[ct] or error("ev.inject: unknown content type " .. ct, 2) end
    if math.type(ct) ~= "integer" or ct < 0 or ct > 255 then error("ev.inject: content type expected", 2) end
    if type(bytes) ~= "string" then error("ev.inject: bytes expected", 2) end
    opts = opts or {}
    if type(opts) ~= "table" then error("ev.inject: opts table expected", 2) end
    for k in pairs(opts) do
      if k ~= "position" and k ~= "hash" then error(("ev.inject: unknown option %q"):format(tostring(k)), 2) end
    end
    local pos = opts.position or "next"
    if pos ~= "next" and pos ~= "last" then error("ev.inject: position \"next\" or \"last\" expected", 2) end
    local rc = conn:_inject(ct, bytes, opts.hash ~= false, pos)
    if rc ~= 0 then return core.fail(rc, "ev.inject") end
    return true
  end
  return st.injector
end
M.injector = injector

-- Each returns ok, err: whether the hooks ran without error.
local run_hook = {}

-- The format hints of a message event: the version once negotiated (TLS 1.3 formats
-- before), the sender's side, the content type.
local function hint_version(conn, st)
  local v = st.hint_version
  if v then return v end
  v = conn:_info().version
  if v == 0 then return 0x0304 end
  st.hint_version = v -- negotiated once: no need to ask again
  return v
end

local function message_hints(conn, ev)
  local role = conn:_role()
  local side = role
  if ev.dir ~= 0 then side = role == "client" and "server" or "client" end
  return { version = hint_version(conn, conn:_state()), side = side, content_type = ev.content_type }
end

-- The hints of a lazy message's state (fresh: tls.decode keeps them as msg.hints).
local function state_hints(s)
  return { version = s.version, side = s.side, content_type = s.content_type }
end

-- Decode a lazy message (msgmod.lazy): the table, or for a message that does not decode
-- {type=, type_code=, content_type=, raw=, decode_error=}.
local function load_message(s)
  local msg, derr = msgmod.decode(s.data, state_hints(s))
  s.parsed = msg ~= nil
  if msg then return msg end
  local tname, code = msg_type_name(s.ev)
  return { type = tname, type_code = code, content_type = s.content_type, raw = s.data, decode_error = derr }
end

-- The bytes of a hook's own message: the engine's bytes while it was only read (or never
-- touched), msg.raw when set in place, else the fields re-encoded (forced: returned as a
-- verdict).
local function current_bytes(msg, s, force)
  if not force and not s.dirty then return s.data end
  local real = msgmod.real(msg) or msg -- settled: a plain table
  if not s.parsed or real.raw ~= s.data then return real.raw end
  return msgmod.encode(real, state_hints(s))
end

-- A verdict of a message hook as a list of byte strings, or nil for "pass" (SCRIPTING.md
-- 6.5): nil = the message as it stands (edited in place: re-encoded), false = drop, a
-- string = raw bytes, a message table = encoded, a list = several.
local function message_objects(v, msg, s)
  local function one(t, i)
    if type(t) == "string" then return t end
    if type(t) ~= "table" then
      error(("verdict entry %d: bytes or a message table expected, got %s"):format(i, type(t)), 0)
    end
    if rawequal(t, msg) then return current_bytes(msg, s, true) end
    if t.type ~= nil or t.type_code ~= nil or t.body ~= nil then return msgmod.encode(t, t.hints or state_hints(s)) end
    if type(t.raw) == "string" then return t.raw end
    error(("verdict entry %d: a message table needs a type"):format(i), 0)
  end
  if v == nil then return nil end
  if v == false then return {} end
  if type(v) == "string" then return { v } end
  if type(v) ~= "table" then
    error("verdict: nil, false, bytes, a message table or a list expected, got " .. type(v), 0)
  end
  if rawequal(v, msg) or v[1] == nil or v.type ~= nil or v.type_code ~= nil or v.body ~= nil then
    return { one(v, 1) }
  end
  local out = {}
  for i, o in ipairs(v) do out[i] = one(o, i) end
  return out
end

-- Message hooks get the message table (msg.raw: the bytes as built or received), decoded
-- lazily on first touch (msgmod.lazy). A message that does not decode (a malformed one
-- from the peer) comes as {type=, type_code=, content_type=, raw=, decode_error=} and
-- only raw counts. Setting msg.raw in place replaces the bytes as they are; otherwise a
-- message written to (at any depth) is re-encoded, and an encoding equal to the original
-- passes unchanged. A message only read, or not touched, keeps the engine's bytes.
local function message_hook(conn, st, ev, name)
  local fns = handlers(st, name)
  local role = conn:_role()
  local side = role
  if ev.dir ~= 0 then side = role == "client" and "server" or "client" end
  local s = { data = ev.data, version = hint_version(conn, st), side = side,
              content_type = ev.content_type, ev = ev, load = load_message, dirty = false }
  local msg = msgmod.lazy(s)
  local e = event_view(ev)
  e.encode = function() return current_bytes(msg, s) end
  if ev.dir == 0 then e.inject = injector(conn) end
  local ok, v = first_verdict(fns, conn, msg, e)
  if not ok then msgmod.settle(msg); return false, v end
  local good, objs = true, nil
  if v == nil then
    if s.dirty then
      local b
      good, b = pcall(current_bytes, msg, s)
      if good and b ~= s.data then objs = { b } elseif not good then objs = b end
    end
  else
    local r
    good, r = pcall(message_objects, v, msg, s)
    if not good or not (#r == 1 and r[1] == s.data) then objs = r end
  end
  -- the hook is over: what it kept is a plain table; a later ev.encode() re-encodes it
  msgmod.settle(msg)
  s.dirty = true
  if not good then return false, objs end
  if objs then conn:_event_replace(objs) end
  if name == "message_out" and (e.hash ~= true or e.adopt ~= false) then
    conn:_event_flags(e.hash and true or false, e.adopt and true or false)
  end
  return true
end
run_hook.message_out = message_hook
run_hook.message_in = message_hook

local function record_hook(conn, st, ev, name)
  local rec = {
    type = names.content_types[ev.content_type] or ev.content_type,
    content_type = ev.content_type, version = ev.record_version, payload = ev.data,
    padding = ev.padding, epoch = epoch_name(ev.epoch),
  }
  local orig_type = rec.type
  local e = event_view(ev)
  if ev.dir == 0 then e.inject = injector(conn) end
  local ok, v = first_verdict(handlers(st, name), conn, rec, e)
  if not ok then return false, v end
  if v == nil and rec.payload ~= ev.data then v = rec.payload end
  local good, objs = pcall(objects, v, "payload")
  if not good then return false, objs end
  if objs then conn:_event_replace(objs) end
  if name == "record_out" then
    local ct = rec.content_type
    if rec.type ~= orig_type then
      ct = math.type(rec.type) == "integer" and rec.type or names.content_types[rec.type]
      if not ct then return false, "record.type: unknown content type " .. tostring(rec.type) end
    end
    if ct ~= ev.content_type or rec.version ~= ev.record_version or rec.padding ~= ev.padding then
      conn:_event_record(ct, rec.version, rec.padding)
    end
  end
  return true
end
run_hook.record_out = record_hook
run_hook.record_in = record_hook

local function wire_hook(conn, st, ev, name)
  local e = event_view(ev)
  if ev.dir == 0 then e.inject = injector(conn) end
  local ok, v = first_verdict(handlers(st, name), conn, ev.data, e)
  if not ok then return false, v end
  local good, objs = pcall(objects, v, "bytes")
  if not good then return false, objs end
  if objs then conn:_event_replace(objs) end
  return true
end
run_hook.wire_out = wire_hook
run_hook.wire_in = wire_hook

-- Crypto hooks answer with bytes (nil passes).
local function answer_hook(conn, st, ev, name, ...)
  local ok, v = first_verdict(handlers(st, name), conn, ...)
  if not ok then return false, v end
  if v ~= nil then
    if type(v) ~= "string" then return false, name .. " hook: bytes or nil expected, got " .. type(v) end
    conn:_event_replace({ v })
  end
  return true
end
run_hook.sign = function(conn, st, ev, name)
  return answer_hook(conn, st, ev, name, names.name(names.sigalgs, ev.scheme), ev.data, event_view(ev))
end
run_hook.verify_data = function(conn, st, ev, name)
  return answer_hook(conn, st, ev, name, conn:_role(), ev.data, event_view(ev))
end
run_hook.key_share = function(conn, st, ev, name)
  return answer_hook(conn, st, ev, name, names.name(names.groups, ev.scheme), event_view(ev))
end
-- client_hello (server, SCRIPTING.md 6.5): `(conn, ch, ev)` with the decoded ClientHello,
-- before any decision. A handler may return another context (SNI-style: the connection
-- is served by it from here on), or `nil, "alert_name"` to refuse with that alert; a
-- context's `sni` and `alpn` functions run here too (context.lua adds them as handlers).
run_hook.client_hello = function(conn, st, ev, name)
  local ch = msgmod.decode(ev.data, { side = "client" }) or { raw = ev.data }
  ch.raw = ev.data
  for _, fn in ipairs(handlers(st, name)) do
    local res = table.pack(xpcall(fn, debug.traceback, conn, ch, event_view(ev)))
    if not res[1] then return false, res[2] end
    local v, alert = res[2], res[3]
    if v == nil and alert ~= nil then
      local code = names.alerts[alert] or (math.type(alert) == "integer" and alert)
      if not code then return false, "client_hello hook: unknown alert " .. tostring(alert) end
      conn:_event_replace({ string.char(code) })
      return true
    end
    if v ~= nil then
      if getmetatable(v) ~= getmetatable(st.ctx) or v:mode() ~= "server" then
        return false, "client_hello hook: a server context or nil, \"alert\" expected"
      end
      local rc = conn:_set_config(v)
      if rc ~= 0 then return false, "client_hello hook: cannot switch context now (" .. rc .. ")" end
      st.switched_ctx = v -- keep it alive as long as the connection
      return true
    end
  end
  return true
end

-- select (server): `(conn, choice, ev)` with the decision {version, suite, group, sigalg,
-- alpn, hrr} before ServerHello is built; edit it in place or return a new table. The
-- engine follows the edit (the decision, not just the wire).
run_hook.select = function(conn, st, ev, name)
  local d = ev.data
  local _, suite, group, sigalg, hrr, alpn = string.unpack(">I2I2I2I2I1s1", d)
  local choice = {
    version = "1.3", suite = names.name(names.suites, suite), group = names.name(names.groups, group),
    sigalg = names.name(names.sigalgs, sigalg), hrr = hrr == 1, alpn = alpn ~= "" and alpn or nil,
  }
  local before = {}
  for k, v in pairs(choice) do before[k] = v end
  for _, fn in ipairs(handlers(st, name)) do
    local ok, v = xpcall(fn, debug.traceback, conn, choice, event_view(ev))
    if not ok then return false, v end
    if type(v) == "table" then choice = v end
  end
  local changed = false
  for _, k in ipairs{ "suite", "group", "sigalg", "hrr", "alpn" } do
    changed = changed or choice[k] ~= before[k]
  end
  if not changed then return true end
  local s, e1 = names.code(names.suites, choice.suite, "suite")
  local g, e2 = names.code(names.groups, choice.group, "group")
  -- a PSK handshake signs nothing: sigalg stays nil (0)
  local a, e3 = 0, nil
  if choice.sigalg ~= nil then a, e3 = names.code(names.sigalgs, choice.sigalg, "sigalg") end
  if not (s and g and a) then return false, "select hook: " .. (e1 or e2 or e3) end
  if choice.alpn ~= nil and (type(choice.alpn) ~= "string" or #choice.alpn > 255) then
    return false, "select hook: alpn must be a string of at most 255 bytes"
  end
  conn:_event_replace({ string.pack(">I2I2I2I2I1s1", 0x0304, s, g, a, choice.hrr and 1 or 0,
                                    choice.alpn or "") })
  return true
end

-- verify_peer (client): `(conn, chain, result, ev)` after the chain check; chain is the
-- list of DER certificates (leaf first), result {ok=, error=NAME, reason=}. Return true to
-- accept whatever the check said, false[, "alert"] to refuse (bad_certificate by
-- default), nil to keep the result.
run_hook.verify_peer = function(conn, st, ev, name)
  local d = ev.data
  local rc, reason, pos = string.unpack(">I2s2", d)
  local chain = {}
  while pos <= #d do
    local cert
    cert, pos = string.unpack(">s3", d, pos)
    chain[#chain + 1] = cert
  end
  local result = { ok = rc == 0, error = rc ~= 0 and core.err_name(rc) or nil,
                   reason = reason ~= "" and reason or nil }
  for _, fn in ipairs(handlers(st, name)) do
    local ok, v, alert = xpcall(fn, debug.traceback, conn, chain, result, event_view(ev))
    if not ok then return false, v end
    if v == true then
      conn:_event_replace({ "\0" })
      return true
    elseif v == false then
      local code = names.alerts[alert or "bad_certificate"]
      if not code then return false, "verify_peer hook: unknown alert " .. tostring(alert) end
      conn:_event_replace({ string.char(code) })
      return true
    end
  end
  return true
end

-- psk_binder: `(conn, index, computed, ev)`, index 1-based like pre_shared_key.identities.
-- Client: for each binder of the ClientHello; return bytes to send instead. Server: for the
-- identity it chose, with the binder it expects; return bytes to compare the client's
-- binder against instead (constant time still): accept a forged binder, refuse a good one.
run_hook.psk_binder = function(conn, st, ev, name)
  return answer_hook(conn, st, ev, name, ev.scheme + 1, ev.data, event_view(ev))
end

-- psk_lookup (server): the context's `psk` function, `(conn, identity, obfuscated_age)`.
run_hook.psk_lookup = function(conn, st, ev, name)
  return require("moontls.psklookup").run(conn, handlers(st, name), ev)
end

-- Informational hooks: every handler runs; verdicts mean nothing.
local function inform(fns, ...)
  for _, fn in ipairs(fns) do
    local ok, err = xpcall(fn, debug.traceback, ...)
    if not ok then return false, err end
  end
  return true
end

run_hook.secret = function(conn, st, ev, name)
  local cr = conn:_client_random() or ""
  local keylog = st.ctx:_params().keylog
  if keylog then
    local ok, err = xpcall(keylog, debug.traceback, ev.label, cr, ev.data)
    if not ok then return false, err end
  end
  return inform(handlers(st, name), conn, ev.label, ev.data, cr)
end
run_hook.alert = function(conn, st, ev, name)
  local level, code = ev.data:byte(1, 2)
  local a = { level = level == 1 and "warning" or level == 2 and "fatal" or level,
              code = code, name = ev.label ~= "" and ev.label or tostring(code) }
  return inform(handlers(st, name), conn, a, ev.dir == 0 and "out" or "in")
end
run_hook.state = function(conn, st, ev, name)
  local from = ev.data ~= "" and ev.data or nil
  return inform(handlers(st, name), conn, from, ev.label)
end

local function dispatch(conn, st, ev)
  local name = HOOK_NAME[ev.kind]
  local h = run_hook[name]
  local ok, err = true, nil
  if h and not st.failure then ok, err = h(conn, st, ev, name) end
  if ev.paused then
    conn:_event_done(ok and 0 or ERR_HOOK)
  else
    conn:_event_done()
  end
  if not ok then
    hook_failed(conn, st, err)
    -- An informational event cannot fail through _event_done: fail from outside.
    if not ev.paused then conn:_fail(ERR_HOOK, "hook error") end
  end
end

-- Run the engine until it settles with no event waiting. Returns rc, want.
-- st.tap (manual driving, moontls.drive) sees each event first: it returns "hold" to
-- leave the event pending and stop (the engine stays paused), "done" when it answered
-- the event itself, or nil to let the hooks have it.
local function step(conn)
  local st = conn:_state()
  for _ = 1, LOOP_LIMIT do
    local rc, want = conn:_run()
    if want & W.event == 0 then return rc, want end
    local ev = conn:_event()
    local verdict = st.tap and st.tap(conn, st, ev)
    if verdict == "hold" then return rc, want end
    if verdict ~= "done" then dispatch(conn, st, ev) end
  end
  error("moontls: the engine did not settle after " .. LOOP_LIMIT .. " events")
end
M.step = step
M.dispatch = dispatch
M.failure = failure
M.message_hints = message_hints
M.msg_type_name = msg_type_name
M.handlers = handlers

-- Per-connection hooks: conn:on(name, fn) adds fn after the context's hook.
function Conn:on(name, fn)
  if not context.HOOKS[name] then error(("conn:on: unknown hook %q"):format(tostring(name)), 2) end
  if type(fn) ~= "function" then error("conn:on: function expected", 2) end
  local st = self:_state()
  st.hooks[name] = st.hooks[name] or {}
  table.insert(st.hooks[name], fn)
  M.refresh_hooks(self)
  return self
end

-- Set the engine's interest mask from the context's hooks, the connection's, and the
-- extra interest (st.extra_mask) manual driving needs.
function M.refresh_hooks(conn)
  local st = conn:_state()
  local cst = st.ctx:_params()
  local all = {}
  for k in pairs(cst.hooks) do all[k] = true end
  for k in pairs(st.hooks) do all[k] = true end
  conn:_set_hooks(context.mask(all, cst.keylog ~= nil) | (st.extra_mask or 0))
end

-- ---------------------------------------------------------------------------------
-- Sans-I/O surface
-- ---------------------------------------------------------------------------------

function Conn:feed(bytes)
  if type(bytes) ~= "string" then error("conn:feed: string expected", 2) end
  if self:_feed(bytes) ~= 0 then return failure(self) end
  return true
end

function Conn:feed_eof()
  self:_feed_eof()
  return true
end

function Conn:run()
  local rc = step(self)
  if rc ~= 0 or self:_state().failure then return failure(self) end
  return true
end

-- Pending output bytes (consumed): what a transport must send to the peer.
function Conn:output()
  local st = self:_state()
  local out = st.outbuf .. self:_output()
  st.outbuf = ""
  return out
end

function Conn:want()
  local w = self:_want()
  local t = {}
  for name, flag in pairs(W) do
    if w & flag ~= 0 then t[name] = true end
  end
  return t
end

-- Application data already received (sans-I/O), consumed; "" when none.
function Conn:read()
  local st = self:_state()
  local data = st.rbuf .. self:_read()
  st.rbuf = ""
  return data
end

-- Queue application data (sans-I/O); the records come out of conn:output().
function Conn:write(data)
  if type(data) ~= "string" then error("conn:write: string expected", 2) end
  local rc = self:_write(data)
  if rc == core.ERR_BAD_STATE then return nil, "handshake not complete", "BAD_STATE" end
  rc = step(self)
  if rc ~= 0 or self:_state().failure then return failure(self) end
  return true
end

-- conn:session() -> the newest session a NewSessionTicket gave (client), or nil.
function Conn:session()
  local bytes = self:_session()
  return bytes and require("moontls.session").new(bytes) or nil
end

-- conn:set_session(session | bytes) -> true | nil, err, NAME: offer it in the ClientHello
-- (client, before the handshake starts). It is offered only if it still fits: same
-- server name, an enabled suite with its hash, not expired by the context's clock.
function Conn:set_session(s)
  return self:_set_session(require("moontls.session").bytes(s, "conn:set_session"))
end

-- conn:set_early_data(bytes) -> true | nil, err, NAME: send them as 0-RTT early data
-- with the offered session, if its ticket allows that much (client, before the
-- handshake). info().early_data says what became of them.
function Conn:set_early_data(data)
  if type(data) ~= "string" then error("conn:set_early_data: bytes expected, got " .. type(data), 2) end
  return self:_set_early_data(data)
end

-- conn:export_keying_material(label, len[, context]) -> bytes | nil, err, NAME
-- RFC 8446 7.5 exporter (RFC 5705 interface), once the handshake is complete (before:
-- nil, err, "BAD_STATE"). In TLS 1.3 no context and an empty context give the same bytes.
function Conn:export_keying_material(label, len, context)
  if type(label) ~= "string" then
    error("conn:export_keying_material: label must be a string, got " .. type(label), 2)
  end
  if math.type(len) ~= "integer" or len < 0 then
    error("conn:export_keying_material: len must be a non-negative integer", 2)
  end
  if context ~= nil and type(context) ~= "string" then
    error("conn:export_keying_material: context must be a string or nil, got " .. type(context), 2)
  end
  return self:_export(label, len, context)
end

-- conn:peer_chain() -> the peer's certificates as DER strings, leaf first; empty when it
-- sent none (a PSK resumption, a server's view of its client, or not yet received).
function Conn:peer_chain()
  return self:_peer_certs()
end

-- conn:peer_certificate([i]) -> the peer's i-th certificate (default 1, the leaf) as DER
-- bytes, or nil when there is no such certificate.
function Conn:peer_certificate(i)
  if i == nil then i = 1 end
  if math.type(i) ~= "integer" or i < 1 then
    error("conn:peer_certificate: index must be a positive integer", 2)
  end
  return self:_peer_certs()[i]
end

-- conn:verify_result() -> true (chain and host check passed) | false, reason, NAME
-- (it failed; a verify_peer hook may still have accepted) | nil (no check ran:
-- verify = "none", no certificate received, or a resumption).
function Conn:verify_result()
  return self:_verify_result()
end

local EARLY = { [1] = "accepted", [2] = "rejected", [3] = "offered" }

function Conn:info()
  local i = self:_info()
  return {
    version = names.versions[i.version], suite = names.name(names.suites, i.suite),
    group = names.name(names.groups, i.group), sigalg = names.name(names.sigalgs, i.sigalg),
    alpn = i.alpn, sni = i.sni, hrr = i.hrr, resumed = i.resumed,
    handshake_done = i.handshake_done, early_data = EARLY[i.early_data],
  }
end

-- ---------------------------------------------------------------------------------
-- Driving a transport
--
-- A transport is a table: send(bytes, timeout) -> count | count, err;
-- recv(timeout) -> bytes | nil, "timeout" | "closed" | err; close(how); getfd().
-- ---------------------------------------------------------------------------------

-- Hand the engine's output to the transport; unsent bytes wait in st.outbuf (a
-- non-blocking socket may take part of it). Returns true or nil, err.
local function flush(conn, st)
  local t = st.transport
  if not t then return true end
  local out = conn:_output()
  if #out > 0 then st.outbuf = st.outbuf .. out end
  if #st.outbuf == 0 then return true end
  local n, err = t.send(st.outbuf, st.timeout)
  st.outbuf = st.outbuf:sub((n or 0) + 1)
  if err then return nil, err end
  return true
end
M.flush = flush

local function io_fail(err)
  if err == "timeout" then return nil, "timeout", "TIMEOUT" end
  if err == "closed" then return nil, "closed", "CLOSED" end
  return nil, err, "IO"
end

-- One exchange with the transport: step, send, and when the engine wants input and
-- `need` says we wait for it, receive once. Returns rc, want, or nil, err, NAME for a
-- transport failure.
local function exchange(conn, st)
  local rc, want = step(conn)
  local ok, err = flush(conn, st)
  if rc ~= 0 or st.failure then return failure(conn) end
  if not ok then return io_fail(err) end
  return rc, want
end

local function receive_once(conn, st)
  local t = st.transport
  if not t then return nil, "wantread", "WANT_INPUT" end
  local data, err = t.recv(st.timeout)
  if data then
    conn:_feed(data)
    return true
  end
  if err == "closed" then
    conn:_feed_eof()
    st.eof = true
    return true
  end
  return io_fail(err)
end

function Conn:handshake()
  local st = self:_state()
  for _ = 1, LOOP_LIMIT do
    local rc, want, name = exchange(self, st)
    if rc == nil then return nil, want, name end
    if want & W.done ~= 0 then return true end
    if want & W.closed ~= 0 or st.eof then return nil, "closed", "CLOSED" end
    local ok, err, ename = receive_once(self, st)
    if not ok then return nil, err, ename end
  end
  error("moontls: handshake did not finish")
end

local function take(st, pattern)
  local b = st.rbuf
  if pattern == "*l" or pattern == "l" then
    local i = b:find("\n", 1, true)
    if not i then return nil end
    st.rbuf = b:sub(i + 1)
    return (b:sub(1, i - 1):gsub("\r", ""))
  end
  if math.type(pattern) == "integer" then
    if #b < pattern then return nil end
    st.rbuf = b:sub(pattern + 1)
    return b:sub(1, pattern)
  end
  return nil -- "*a": only at the end of the stream
end

local function take_all(st)
  local b = st.rbuf
  st.rbuf = ""
  return b
end

-- conn:receive(pattern[, prefix]) with LuaSocket's patterns: "*l" (default), "*a", n.
-- Returns data, or nil, err, partial (err: "closed", "timeout", or the failure message).
function Conn:receive(pattern, prefix)
  pattern = pattern or "*l"
  if type(pattern) == "number" then pattern = math.tointeger(pattern) end
  if pattern == "a" then pattern = "*a" end
  if pattern ~= "*l" and pattern ~= "l" and pattern ~= "*a" and math.type(pattern) ~= "integer" then
    error("conn:receive: \"*l\", \"*a\" or a byte count expected", 2)
  end
  if prefix ~= nil and type(prefix) ~= "string" then error("conn:receive: prefix must be a string", 2) end
  local st = self:_state()
  if prefix then st.rbuf = prefix .. st.rbuf end
  if self:_want() & W.done == 0 then
    local ok, err = self:handshake()
    if not ok then return nil, err, take_all(st) end
  end
  for _ = 1, LOOP_LIMIT do
    st.rbuf = st.rbuf .. self:_read()
    local r = take(st, pattern)
    if r then return r end
    local rc, want = exchange(self, st)
    st.rbuf = st.rbuf .. self:_read()
    r = take(st, pattern)
    if r then return r end
    if rc == nil then return nil, want, take_all(st) end
    if want & W.closed ~= 0 or st.eof then
      if pattern == "*a" then return take_all(st) end
      return nil, "closed", take_all(st)
    end
    local ok, err = receive_once(self, st)
    if not ok then
      st.rbuf = st.rbuf .. self:_read()
      return nil, err, take_all(st)
    end
  end
  error("moontls: receive did not finish")
end

-- conn:send(data) -> bytes sent, or nil, err, NAME.
function Conn:send(data)
  if type(data) ~= "string" then error("conn:send: string expected", 2) end
  local st = self:_state()
  if self:_want() & W.done == 0 then
    local ok, err, name = self:handshake()
    if not ok then return nil, err, name end
  end
  local rc = self:_write(data)
  if rc ~= 0 then return failure(self) end
  local r, err, name = exchange(self, st)
  if r == nil then return nil, err, name end
  return #data
end

-- conn:close([how]): "notify" (default: close_notify, then close the transport),
-- "silent" (close the transport only) or "abort" (reset when the transport can).
function Conn:close(how)
  how = how or "notify"
  if how ~= "notify" and how ~= "silent" and how ~= "abort" then
    error("conn:close: \"notify\", \"silent\" or \"abort\" expected", 2)
  end
  local st = self:_state()
  if st.closed then return true end
  st.closed = true
  if how == "notify" and self:_is_open() then
    local code = self:_error()
    if code == 0 and not st.failure then
      self:_close()
      step(self)
      local saved = st.timeout
      -- close_notify is best effort: never block long on a dead peer
      if st.timeout == nil then st.timeout = 5 end
      flush(self, st)
      st.timeout = saved
    end
  end
  if st.transport then st.transport.close(how) end
  return true
end

function Conn:key_update(request_peer)
  local st = self:_state()
  local rc = self:_key_update(request_peer and true or false)
  if rc ~= 0 then
    if rc == core.ERR_BAD_STATE then return nil, "handshake not complete", "BAD_STATE" end
    return failure(self)
  end
  local r, err, name = exchange(self, st)
  if r == nil then return nil, err, name end
  return true
end

-- conn:settimeout(seconds): nil or negative blocks; 0 never waits.
function Conn:settimeout(t)
  if t ~= nil and type(t) ~= "number" then error("conn:settimeout: number expected", 2) end
  if t and t < 0 then t = nil end
  self:_state().timeout = t
  return true
end

function Conn:getfd()
  local t = self:_state().transport
  if t and t.getfd then return t.getfd() end
  return -1
end

function Conn:mode() return self:_role() end

-- ---------------------------------------------------------------------------------
-- In-memory pairs
-- ---------------------------------------------------------------------------------

-- Feed a memory connection what its peer sent, run it and send what it has. Returns
-- the number of bytes it sent.
local function service(conn)
  local st = conn:_state()
  if #st.inbox > 0 then
    local data = table.concat(st.inbox)
    st.inbox = {}
    conn:_feed(data)
  end
  if st.peer_closed and not st.eof then
    conn:_feed_eof()
    st.eof = true
  end
  step(conn)
  local out = conn:_output()
  if #out > 0 and not st.closed then
    local pst = st.peer:_state()
    pst.inbox[#pst.inbox + 1] = out
  end
  return #out
end

local function memory_transport(conn, peer)
  local st, pst = conn:_state(), peer:_state()
  return {
    send = function(bytes)
      pst.inbox[#pst.inbox + 1] = bytes
      return #bytes
    end,
    recv = function()
      -- Nothing arrives unless the peer runs: let it take its turn, deterministically.
      if #st.inbox == 0 then service(peer) end
      if #st.inbox > 0 then
        local data = table.concat(st.inbox)
        st.inbox = {}
        return data
      end
      if st.peer_closed then return nil, "closed" end
      return nil, "timeout"
    end,
    close = function() pst.peer_closed = true end,
  }
end

function M.link(a, b)
  local sa, sb = a:_state(), b:_state()
  sa.peer, sb.peer = b, a
  sa.transport = memory_transport(a, b)
  sb.transport = memory_transport(b, a)
end

-- tls.pair(client_ctx, server_ctx) -> client conn, server conn, joined in memory.
function M.pair(cctx, sctx)
  local a, b = cctx:connection(), sctx:connection()
  M.link(a, b)
  return a, b
end

-- tls.pump(a, b[, opts]) -> true once both are idle with the handshake done, or
-- nil, err, NAME (a failure, or "timeout" when they stall before both are done).
function M.pump(a, b, opts)
  local rounds = opts and opts.rounds or 1000
  if not a:_state().peer then M.link(a, b) end
  for _ = 1, rounds do
    local moved = service(a) + service(b)
    local sa, sb = a:_state(), b:_state()
    if moved == 0 and #sa.inbox == 0 and #sb.inbox == 0 then break end
  end
  local _, msg, name = failure(a)
  if msg then return nil, msg, name end
  _, msg, name = failure(b)
  if msg then return nil, msg, name end
  if a:_want() & W.done == 0 or b:_want() & W.done == 0 then
    local who = a:_want() & W.done == 0 and a:_role() or b:_role()
    return nil, ("timeout: the %s did not finish the handshake"):format(who), "TIMEOUT"
  end
  return true
end

return M
