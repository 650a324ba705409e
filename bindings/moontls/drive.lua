-- moontls.drive: manual driving and expectations (SCRIPTING.md 6.7), tlsfuzzer-style
-- build / send / expect on any connection (socket or in-memory pair), both roles.
--
-- How it works. The first manual call puts the connection in manual mode: the engine
-- gets interest in message_out, message_in and alert, and conn.lua's step() shows every
-- event to tap() first. tap() holds each outgoing handshake message (the engine stays
-- paused there, the event pending: conn:build returns it decoded, conn:send_message
-- answers it), and queues each received handshake/CCS message and every alert sent or
-- received, so conn:expect takes them in order: a message that arrives unasked waits
-- for the next expect and scripts stay linear. A message the engine would not send now
-- is injected (mt_conn_inject): it goes through the record layer after what is queued,
-- and the state machine never sees it. conn:handshake() (and send/receive) go back to
-- automatic mode, passing a held message through the hooks unchanged.
--
-- Errors are tables (kind, alert, got, step, detail, expected) with __tostring, e.g.
--   step "CH2": expected hello_retry_request, got alert (fatal handshake_failure)
-- Kinds: alert_received, alert_sent, closed (close_notify), eof (closed without an alert),
-- timeout, io (reset = true for a connection reset), decode, unexpected, state.
local core = require "moontls.core"
local names = require "moontls.names"
local cm = require "moontls.conn"
local msgmod = require "moontls.msg"
local mut = require "moontls.mut"

local M = {}
local Conn = core.Conn
local W = core.want_flags
local BIT = core.hook_bits
local MANUAL_MASK = (1 << BIT.message_out) | (1 << BIT.message_in) | (1 << BIT.alert)
local DEFAULT_TIMEOUT = 5
local LOOP_LIMIT = 10000
local CT = { change_cipher_spec = 20, alert = 21, handshake = 22, application_data = 23, heartbeat = 24 }

local ok_socket, socket = pcall(require, "socket")
local function now()
  if ok_socket then return socket.gettime() end
  return os.time()
end

-- ---------------------------------------------------------------------------------
-- Errors
-- ---------------------------------------------------------------------------------

local Error = {}
Error.__index = Error
M.Error = Error

local function alert_text(a)
  return ("%s %s"):format(a.level, a.name)
end

local function got_text(e)
  local k = e.kind
  if k == "alert_received" then return ("alert (%s)"):format(alert_text(e.alert)) end
  if k == "alert_sent" then return ("our alert (%s)"):format(alert_text(e.alert)) end
  if k == "closed" then return "close_notify" end
  if k == "eof" then return "EOF without an alert" end
  if k == "timeout" then return "nothing (timeout)" end
  if k == "unexpected" and type(e.got) == "table" then
    return tostring(e.got.type or e.got.name or "?")
  end
  return k
end

Error.__tostring = function(e)
  local s = e.step and ('step "%s": '):format(e.step) or ""
  if e.expected then
    s = s .. ("expected %s, got %s"):format(e.expected, got_text(e))
    if e.detail and e.kind ~= "alert_received" and e.kind ~= "alert_sent" then s = s .. ": " .. e.detail end
    return s
  end
  s = s .. e.kind
  if e.alert then s = s .. " (" .. alert_text(e.alert) .. ")" end
  if e.detail then s = s .. ": " .. e.detail end
  return s
end

local function new_error(kind, fields)
  local e = fields or {}
  e.kind = kind
  return setmetatable(e, Error)
end
M.new_error = new_error

local function as_set(v)
  if v == nil then return nil end
  if type(v) ~= "table" then return { [v] = true } end
  local s = {}
  for _, x in ipairs(v) do s[x] = true end
  for k, x in pairs(v) do
    if type(k) == "string" and x == true then s[k] = true end
  end
  return s
end

local function set_text(v)
  if type(v) ~= "table" then return tostring(v) end
  local t = {}
  for i, x in ipairs(v) do t[i] = tostring(x) end
  return table.concat(t, " | ")
end

-- tls.is_alert(err, name_or_set) -> boolean: err (an error table or an alert table) is
-- an alert, sent or received, with one of the names (any name when nil).
function M.is_alert(err, which)
  if type(err) ~= "table" then return false end
  local a = err.alert or (err.level and err.name and err) or nil
  if not a then return false end
  local set = as_set(which)
  return set == nil or set[a.name] == true or set[a.code] == true
end

-- ---------------------------------------------------------------------------------
-- Manual mode: the event tap
-- ---------------------------------------------------------------------------------

local function alert_of(data)
  local level, code = data:byte(1, 2)
  return { level = level == 1 and "warning" or level == 2 and "fatal" or level, code = code,
           name = core.alert_name(code) or tostring(code) }
end

local function decode_event(conn, ev)
  local hints = cm.message_hints(conn, ev)
  local msg, derr = msgmod.decode(ev.data, hints)
  if not msg then
    local tname, code = cm.msg_type_name(ev)
    msg = { type = tname, type_code = code, content_type = ev.content_type, raw = ev.data,
            decode_error = derr }
  end
  return msg, hints
end

local function tap(conn, st, ev)
  local d = st.drive
  if ev.kind == BIT.record_out and d.record_patch[1] then
    local p = d.record_patch[1]
    if ev.content_type == p.ct then
      table.remove(d.record_patch, 1)
      conn:_event_record(ev.content_type, p.version, ev.padding)
    end
    return nil
  end
  if not d.manual then return nil end
  if ev.kind == BIT.alert then
    -- (while a message is held, the engine still reads the alerts that arrive, and
    -- reports them here ahead of the held message: engine.c read_alerts_paused)
    d.queue[#d.queue + 1] = { kind = "alert", dir = ev.dir == 0 and "out" or "in", alert = alert_of(ev.data) }
    return nil
  end
  if ev.kind == BIT.message_in then
    if ev.content_type == 22 or ev.content_type == 20 then
      local msg = decode_event(conn, ev)
      d.queue[#d.queue + 1] = { kind = "message", msg = msg }
      if d["until"] and msg.type == d["until"] then d.reached = true end
    end
    if #cm.handlers(st, "message_in") == 0 then
      conn:_event_done()
      return "done"
    end
    return nil
  end
  if ev.kind == BIT.message_out and ev.paused and ev.content_type == 22 then
    if d.held and d.held.seq == ev.seq then d.held = ev return "hold" end
    for i, bytes in ipairs(d.inject) do -- ours: injected messages pass (any position)
      if bytes == ev.data then
        table.remove(d.inject, i)
        return nil
      end
    end
    local tname = cm.msg_type_name(ev)
    if d["until"] and tname ~= d["until"] then return nil end
    d.held = ev
    return "hold"
  end
  return nil
end

local function manual(conn)
  local st = conn:_state()
  local d = st.drive
  if not d then
    d = { queue = {}, inject = {}, record_patch = {} }
    st.drive = d
    st.tap = tap
  end
  if not d.manual then
    d.manual = true
    st.extra_mask = MANUAL_MASK | (st.extra_mask or 0)
    cm.refresh_hooks(conn)
  end
  return st, d
end

-- Back to automatic mode: a held message goes through the hooks unchanged.
local function release(conn, st)
  local d = st.drive
  d.manual = false
  d["until"] = nil
  st.extra_mask = nil
  if #d.record_patch > 0 then st.extra_mask = 1 << BIT.record_out end
  cm.refresh_hooks(conn)
  if d.held then
    local ev = d.held
    d.held = nil
    cm.dispatch(conn, st, ev)
  end
end

for _, name in ipairs{ "handshake", "send", "receive", "key_update", "write" } do
  local auto = Conn[name]
  Conn[name] = function(self, ...)
    local st = self:_state()
    if st.drive and st.drive.manual then release(self, st) end
    return auto(self, ...)
  end
end

-- ---------------------------------------------------------------------------------
-- Moving bytes
-- ---------------------------------------------------------------------------------

local function failure_error(conn)
  local _, msg, name = cm.failure(conn)
  if not msg then return nil end
  local kind = name == "DECODE" and "decode" or "state"
  return new_error(kind, { detail = msg, code_name = name })
end

-- Step the engine and hand its output to the transport.
local function advance(conn, st)
  cm.step(conn)
  local ok, err = cm.flush(conn, st)
  if not ok then
    return nil, new_error(err == "timeout" and "timeout" or "io", { detail = "sending: " .. tostring(err) })
  end
  return true
end

-- One receive from the transport, fed to the engine. Returns true, or nil, err.
local function pull(conn, st, d, timeout)
  local t = st.transport
  if not t then return nil, new_error("state", { detail = "no transport: feed the connection (sans-I/O)" }) end
  if st.eof then return nil, new_error("eof") end
  local data, err = t.recv(timeout)
  if data then
    if conn:_want() & W.failed ~= 0 then d.after_failure = (d.after_failure or 0) + #data end
    conn:_feed(data)
    return true
  end
  if err == "closed" then
    conn:_feed_eof()
    st.eof = true
    return true
  end
  if err == "timeout" then return nil, new_error("timeout", { detail = ("%gs"):format(timeout or 0) }) end
  local reset = tostring(err):find("reset", 1, true) ~= nil
  return nil, new_error("io", { detail = tostring(err), reset = reset or nil })
end

-- The next queued item (message or alert), receiving as needed. Returns the item, or
-- nil, err (eof, closed without anything queued, timeout, io, the engine's failure).
-- opts.failed_ok: keep waiting for EOF after the engine failed (expect_close).
local function next_item(conn, st, d, timeout, failed_ok)
  local deadline = now() + timeout
  for _ = 1, LOOP_LIMIT do
    if #d.queue > 0 then return table.remove(d.queue, 1) end
    local ok, err = advance(conn, st)
    if not ok then return nil, err end
    if #d.queue > 0 then return table.remove(d.queue, 1) end
    if not failed_ok then
      local ferr = failure_error(conn)
      if ferr then return nil, ferr end
    end
    if st.eof then return nil, new_error("eof") end
    ok, err = pull(conn, st, d, math.max(0, deadline - now()))
    if not ok then return nil, err end
  end
  return nil, new_error("timeout", { detail = "no progress" })
end

-- An item that is not what was asked for, as an error.
local function item_error(item)
  if item.kind == "alert" then
    if item.dir == "out" then return new_error("alert_sent", { alert = item.alert }) end
    if item.alert.name == "close_notify" then return new_error("closed", { alert = item.alert }) end
    return new_error("alert_received", { alert = item.alert })
  end
  return new_error("unexpected", { got = item.msg })
end

local function step_error(err, step, expected)
  err.step = err.step or step
  err.expected = err.expected or expected
  return err
end

local function timeout_of(st, opts_timeout)
  return opts_timeout or st.timeout or DEFAULT_TIMEOUT
end

-- ---------------------------------------------------------------------------------
-- Building and sending
-- ---------------------------------------------------------------------------------

local function type_text(t)
  return type(t) == "table" and set_text(t) or tostring(t)
end

-- The held event of type `want` (nil: any), running the engine once if none is held.
local function reach(conn, st, d, want)
  for pass = 1, 2 do
    if d.held then
      local tname = cm.msg_type_name(d.held)
      if want == nil or tname == want then return d.held end
      return nil, new_error("state", { detail = ("the engine would send %s now, not %s"):format(tname, want) })
    end
    if pass == 2 then break end
    local ok, err = advance(conn, st)
    if not ok then return nil, err end
  end
  local ferr = failure_error(conn)
  if ferr then return nil, ferr end
  return nil, new_error("state", { detail = ("the engine would not send %s now"):format(tostring(want)) })
end

local function merge(msg, fields)
  if fields == nil then return msg end
  if type(fields) ~= "table" then error("fields: table expected, got " .. type(fields), 3) end
  for k, v in pairs(fields) do msg[k] = v end
  return msg
end

-- conn:build(type[, fields]) -> msg | nil, err: the message the engine would send now,
-- decoded (the engine stays paused there until send_message or handshake).
function Conn:build(want, fields, opts)
  if type(want) ~= "string" then error("conn:build: message type expected", 2) end
  local st, d = manual(self)
  local ev, err = reach(self, st, d, want)
  if not ev then return nil, step_error(err, opts and opts.name) end
  local msg, hints = decode_event(self, ev)
  if msg.decode_error then return nil, new_error("decode", { detail = msg.decode_error, got = msg }) end
  msg.hints = hints
  d.built = d.built or setmetatable({}, { __mode = "k" })
  d.built[msg] = ev.data
  return merge(msg, fields)
end

local function content_type_of(msg)
  local ct = msg.content_type
  if ct == nil and type(msg.type) == "string" then ct = CT[msg.type] end
  if type(ct) == "string" then ct = CT[ct] end
  return ct or 22
end

local function final_bytes(d, msg, hints, opts)
  local bytes
  if type(msg) == "string" then
    bytes = msg
  elseif msg.raw ~= nil and (d.built == nil or d.built[msg] ~= msg.raw) then
    bytes = msg.raw -- msg.raw set by the script: the bytes as they are
  else
    bytes = msgmod.encode(msg, msg.hints or hints)
  end
  if opts.body ~= nil then bytes = mut.body(opts.body)(bytes) end
  if opts.mutate ~= nil then bytes = mut.apply(bytes, opts.mutate) end
  return bytes
end

local OPTS = { mutate = true, body = true, hash = true, adopt = true, name = true, record = true, timeout = true,
               position = true }
local function check_opts(fn, opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(fn .. ": opts table expected", 3) end
  for k in pairs(opts) do
    if not OPTS[k] then error(("%s: unknown option %q"):format(fn, tostring(k)), 3) end
  end
  return opts
end

-- position: "last" (default: after everything queued, so after a held message too) or
-- "next" (before the next queued item: ahead of a held message).
local function inject(conn, st, d, ct, bytes, hash, position)
  if position ~= nil and position ~= "last" and position ~= "next" then
    error("position: \"next\" or \"last\" expected, got " .. tostring(position), 3)
  end
  if ct == 22 then d.inject[#d.inject + 1] = bytes end
  local rc = conn:_inject(ct, bytes, hash ~= false, position or "last")
  if rc ~= 0 then
    return nil, failure_error(conn) or new_error("state", { detail = "inject failed (" .. rc .. ")" })
  end
  if d.held then return true end -- goes out with the held message (before or after it)
  return advance(conn, st)
end

-- conn:send_message(msg | type[, fields][, opts]) -> true | nil, err. Answers the held
-- message of the same type with msg (edited or not); a message the engine would not
-- send now is injected. opts: mutate (tls.mut mutator or list, on the whole encoding),
-- body (on the body, the header length follows), hash (false: the transcript hashes the
-- engine's own encoding; for an injected message, false keeps it out of the transcript),
-- adopt (the engine takes the message as what it meant: the client's ClientHello; the
-- server's ServerHello, HelloRetryRequest, EncryptedExtensions), name (the step),
-- position (an injected message: "next" goes before the next queued item, "last" after
-- everything queued, the default).
function Conn:send_message(m, fields, opts)
  if type(m) == "table" and opts == nil and fields ~= nil and (fields.name or fields.mutate or fields.body
      or fields.hash ~= nil or fields.adopt ~= nil) then
    fields, opts = nil, fields -- send_message(msg, opts)
  end
  opts = check_opts("conn:send_message", opts)
  local st, d = manual(self)
  local want
  if type(m) == "string" then
    want = m
  elseif type(m) == "table" then
    want = m.type
  else
    error("conn:send_message: message table or type expected", 2)
  end
  local ev = reach(self, st, d, want)
  local msg
  if type(m) == "string" then
    if ev then
      msg = decode_event(self, ev)
      msg.hints = cm.message_hints(self, ev)
    else
      msg = { type = m }
    end
    merge(msg, fields)
  else
    msg = merge(m, fields)
  end
  local hints = ev and cm.message_hints(self, ev)
    or { version = self:_info().version ~= 0 and self:_info().version or 0x0304, side = self:_role() }
  local good, bytes = pcall(final_bytes, d, msg, hints, opts)
  if not good then error("conn:send_message: " .. tostring(bytes), 2) end
  local ok, err
  if ev then
    if bytes ~= ev.data then self:_event_replace({ bytes }) end
    if opts.hash == false or opts.adopt then self:_event_flags(opts.hash ~= false, opts.adopt and true or false) end
    d.held = nil
    self:_event_done(0)
    ok, err = advance(self, st)
  else
    ok, err = inject(self, st, d, content_type_of(msg), bytes, opts.hash, opts.position)
  end
  if not ok then return nil, step_error(err, opts.name) end
  return true
end

-- conn:send_record(content_type, payload[, opts]): opts.protect = false writes a plain
-- record header and the payload straight to the transport; otherwise the payload goes
-- through the record layer (protected once keys are in use), opts.version sets the
-- record header's version, and opts.position = "next" sends it before the next queued
-- item (ahead of a held message: conn:build's) instead of after everything queued.
function Conn:send_record(ct, payload, opts)
  if type(ct) == "string" then ct = CT[ct] or error("conn:send_record: unknown content type " .. ct, 2) end
  if math.type(ct) ~= "integer" then error("conn:send_record: content type expected", 2) end
  if type(payload) ~= "string" then error("conn:send_record: payload bytes expected", 2) end
  opts = opts or {}
  local st, d = manual(self)
  if opts.protect == false then
    return self:send_raw(string.pack(">BI2s2", ct, opts.version or 0x0303, payload))
  end
  if opts.version then
    d.record_patch[#d.record_patch + 1] = { ct = ct, version = opts.version }
    st.extra_mask = (st.extra_mask or 0) | (1 << BIT.record_out)
    cm.refresh_hooks(self)
  end
  local ok, err = inject(self, st, d, ct, payload, opts.hash, opts.position)
  if not ok then return nil, step_error(err, opts.name) end
  return true
end

-- conn:send_raw(bytes): the engine's pending output first, then bytes, unframed.
function Conn:send_raw(bytes)
  if type(bytes) ~= "string" then error("conn:send_raw: bytes expected", 2) end
  local st = self:_state()
  local ok, err = cm.flush(self, st)
  if not ok then return nil, new_error("io", { detail = tostring(err) }) end
  local t = st.transport
  if not t then
    st.outbuf = st.outbuf .. bytes
    return true
  end
  local n, serr = t.send(bytes, st.timeout)
  if serr then return nil, new_error(serr == "timeout" and "timeout" or "io", { detail = tostring(serr), sent = n }) end
  return true
end

-- conn:send_alert(level, name): an alert through the record layer.
function Conn:send_alert(level, name)
  local lv = level == "warning" and 1 or level == "fatal" and 2 or math.tointeger(level)
  if not lv then error("conn:send_alert: level \"warning\", \"fatal\" or a number expected", 2) end
  local code = math.type(name) == "integer" and name or core.alert_code(name)
  if not code then error("conn:send_alert: unknown alert " .. tostring(name), 2) end
  local st, d = manual(self)
  local ok, err = inject(self, st, d, 21, string.char(lv, code))
  if not ok then return nil, err end
  return true
end

-- ---------------------------------------------------------------------------------
-- Expectations
-- ---------------------------------------------------------------------------------

local function same(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function show(v)
  if type(v) == "string" and v:find("[^%g ]") then return ("<%d bytes>"):format(#v) end
  if type(v) == "table" then return "{...}" end
  return tostring(v)
end

-- checks: {field = value | list of accepted values | function(value, msg) -> ok[, why]}
local function check_fields(msg, checks)
  if checks == nil then return true end
  for k, want in pairs(checks) do
    local got = msg[k]
    if type(want) == "function" then
      local ok, why = want(got, msg)
      if not ok then return nil, ("%s = %s: %s"):format(k, show(got), why or "check failed") end
    elseif type(want) == "table" and want[1] ~= nil and type(got) ~= "table" then
      local hit = false
      for _, w in ipairs(want) do
        if same(w, got) then hit = true break end
      end
      if not hit then return nil, ("%s = %s, expected one of %s"):format(k, show(got), set_text(want)) end
    elseif not same(want, got) then
      return nil, ("%s = %s, expected %s"):format(k, show(got), show(want))
    end
  end
  return true
end

-- conn:expect(type[, checks][, opts]) -> msg | nil, err. type may be a list. opts: name,
-- timeout (seconds; default the connection's, else 5).
function Conn:expect(want, checks, opts)
  if type(want) ~= "string" and type(want) ~= "table" then error("conn:expect: message type expected", 2) end
  opts = opts or {}
  local st, d = manual(self)
  local set = as_set(want)
  local timeout = timeout_of(st, opts.timeout)
  for _ = 1, LOOP_LIMIT do
    local item, err = next_item(self, st, d, timeout)
    if not item then return nil, step_error(err, opts.name, type_text(want)) end
    if item.kind == "message" and item.msg.type == "change_cipher_spec" and not set.change_cipher_spec then
      goto continue -- RFC 8446 5: a TLS 1.3 peer may send CCS at any time in the handshake
    end
    if item.kind == "message" and set[item.msg.type] then
      local msg = item.msg
      if msg.decode_error then
        return nil, step_error(new_error("decode", { got = msg, detail = msg.decode_error }), opts.name, type_text(want))
      end
      local ok, why = check_fields(msg, checks)
      if not ok then
        return nil, step_error(new_error("unexpected", { got = msg, detail = why }), opts.name, type_text(want))
      end
      return msg
    end
    do return nil, step_error(item_error(item), opts.name, type_text(want)) end
    ::continue::
  end
  return nil, step_error(new_error("timeout"), opts.name, type_text(want))
end

-- conn:expect_alert([names][, opts]) -> alert | nil, err. names: a name or a list (nil:
-- any); opts: level ("fatal"/"warning"), name, timeout.
function Conn:expect_alert(which, opts)
  opts = opts or {}
  local st, d = manual(self)
  local set = as_set(which)
  local expected = "alert " .. (which and type_text(which) or "(any)")
  local timeout = timeout_of(st, opts.timeout)
  for _ = 1, LOOP_LIMIT do
    local item, err = next_item(self, st, d, timeout)
    if not item then return nil, step_error(err, opts.name, expected) end
    if item.kind == "message" and item.msg.type == "change_cipher_spec" then goto continue end
    if item.kind == "alert" and item.dir == "in" then
      local a = item.alert
      if (set == nil or set[a.name] or set[a.code]) and (opts.level == nil or opts.level == a.level) then
        return a
      end
      return nil, step_error(new_error("alert_received", { alert = a }), opts.name, expected)
    end
    do return nil, step_error(item_error(item), opts.name, expected) end
    ::continue::
  end
  return nil, step_error(new_error("timeout"), opts.name, expected)
end

-- conn:expect_close([timeout][, opts]) -> true | nil, err: the peer closes the transport
-- (a close_notify before it is fine) with nothing else pending.
function Conn:expect_close(timeout, opts)
  if type(timeout) == "table" then timeout, opts = nil, timeout end
  opts = opts or {}
  local st, d = manual(self)
  timeout = timeout_of(st, timeout or opts.timeout)
  for _ = 1, LOOP_LIMIT do
    local item, err = next_item(self, st, d, timeout, true)
    if not item then
      if err.kind == "eof" then
        if d.after_failure then
          return nil, step_error(new_error("unexpected", { detail = ("%d bytes after the alert"):format(d.after_failure) }), opts.name, "close")
        end
        return true
      end
      return nil, step_error(err, opts.name, "close")
    end
    local skip = (item.kind == "alert" and item.dir == "in" and item.alert.name == "close_notify")
      or (item.kind == "message" and item.msg.type == "change_cipher_spec")
    if not skip then return nil, step_error(item_error(item), opts.name, "close") end
  end
  return nil, step_error(new_error("timeout"), opts.name, "close")
end

-- conn:expect_nothing(timeout[, opts]) -> true | nil, err: nothing arrives for timeout
-- seconds (and the peer does not close).
function Conn:expect_nothing(timeout, opts)
  opts = opts or {}
  local st, d = manual(self)
  local item, err = next_item(self, st, d, timeout or 1)
  if not item then
    if err.kind == "timeout" then return true end
    return nil, step_error(err, opts.name, "nothing")
  end
  return nil, step_error(item_error(item), opts.name, "nothing")
end

-- What arrives next, as an outcome: {kind = "message", msg} | {kind = "alert", dir, alert}
-- | an error (eof, closed, timeout, ...).
local function matches(alt, item, err)
  if type(alt) == "function" then return alt(item, err) end
  if type(alt) == "string" then
    if alt == "close" or alt == "eof" then
      return (err and err.kind == "eof") or (item and item.kind == "alert" and item.alert.name == "close_notify")
    end
    if alt == "timeout" then return err and err.kind == "timeout" end
    if alt == "alert" then return item and item.kind == "alert" and item.dir == "in" end
    return item and item.kind == "message" and item.msg.type == alt
  end
  if type(alt) ~= "table" then error("conn:expect_one_of: alternatives are types, tables or functions", 3) end
  if alt.alert ~= nil then
    if not (item and item.kind == "alert" and item.dir == "in") then return false end
    local set = alt.alert ~= true and as_set(alt.alert) or nil
    return (set == nil or set[item.alert.name] == true) and (alt.level == nil or alt.level == item.alert.level)
  end
  if alt.close then return matches("close", item, err) end
  if alt.timeout then return matches("timeout", item, err) end
  local t = alt.type or alt[1]
  if not (item and item.kind == "message" and as_set(t)[item.msg.type]) then return false end
  return check_fields(item.msg, alt.checks or alt[2]) == true
end

-- conn:expect_one_of(alternatives[, opts]) -> index, value | nil, err. Each alternative is
-- a message type, "alert", "close", "timeout", {alert = names | true, level =},
-- {type, checks}, {close = true} or function(item, err) -> boolean. The value is the
-- message, the alert, or true (close, timeout).
function Conn:expect_one_of(alts, opts)
  if type(alts) ~= "table" then error("conn:expect_one_of: list of alternatives expected", 2) end
  opts = opts or {}
  local st, d = manual(self)
  local item, err
  for _ = 1, LOOP_LIMIT do
    item, err = next_item(self, st, d, timeout_of(st, opts.timeout))
    if not (item and item.kind == "message" and item.msg.type == "change_cipher_spec") then break end
  end
  for i, alt in ipairs(alts) do
    if matches(alt, item, err) then
      if item == nil then return i, true end
      if item.kind == "alert" then return i, item.alert end
      return i, item.msg
    end
  end
  local texts = {}
  for i, alt in ipairs(alts) do
    texts[i] = type(alt) == "string" and alt or type(alt) == "table" and (alt.alert and "alert" or alt.type or alt[1] or "?") or "fn"
  end
  local e = err or item_error(item)
  return nil, step_error(e, opts.name, "one of " .. table.concat(texts, " | "))
end

-- conn:drive{until = type | "done", timeout =, name =} -> true | nil, err: let the engine
-- run on its own (sending what it builds, reading what comes) until it is about to send
-- a message of that type (held: build it), or one arrives (queued: expect it), or, with
-- "done" (the default), the handshake completes. Messages read on the way are dropped.
function Conn:drive(opts)
  opts = opts or {}
  local st, d = manual(self)
  local target = opts["until"] or "done"
  local timeout = timeout_of(st, opts.timeout)
  local deadline = now() + timeout
  if d.held and cm.msg_type_name(d.held) ~= target then
    local ev = d.held
    d.held = nil
    cm.dispatch(self, st, ev)
  end
  d["until"] = target
  d.reached = false
  for _, it in ipairs(d.queue) do -- already arrived (with the flight read before)
    if it.kind == "message" and it.msg.type == target then d.reached = true end
  end
  local mark = 0
  local function finish(ok, err)
    d["until"] = nil
    if ok then
      if target == "done" then
        d.queue = {}
      elseif d.reached then
        for i, it in ipairs(d.queue) do
          if it.kind == "message" and it.msg.type == target then
            d.queue = table.move(d.queue, i, #d.queue, 1, {})
            break
          end
        end
      end
      return true
    end
    return nil, step_error(err, opts.name, target)
  end
  for _ = 1, LOOP_LIMIT do
    local ok, err = advance(self, st)
    if not ok then return finish(nil, err) end
    for i = mark + 1, #d.queue do
      local it = d.queue[i]
      if it.kind == "alert" and not (it.alert.name == "close_notify" and target == "done") then
        return finish(nil, item_error(it))
      end
    end
    if d.held or d.reached then return finish(true) end
    if target == "done" and self:_want() & W.done ~= 0 then return finish(true) end
    local ferr = failure_error(self)
    if ferr then return finish(nil, ferr) end
    ok, err = pull(self, st, d, math.max(0, deadline - now()))
    if not ok then return finish(nil, err) end
  end
  return finish(nil, new_error("timeout", { detail = "no progress" }))
end

-- conn:pending() -> the items queued for the next expect (messages and alerts).
function Conn:pending()
  local st = self:_state()
  local out = {}
  for i, it in ipairs(st.drive and st.drive.queue or {}) do
    out[i] = it.kind == "alert" and { alert = it.alert, dir = it.dir } or it.msg
  end
  return out
end

return M
