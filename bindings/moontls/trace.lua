-- moontls.trace: transcripts, trace files, trace peers and replay (SCRIPTING.md 6.8).
--
--   tls.trace.record(conn)            start keeping a transcript (before the handshake);
--                                     tls.connect(..., {record = true}) does it for you
--   conn:transcript()                 -> trace (nil when the connection is not recorded)
--   trace:save(path[, {secrets = true, plaintext = false}])
--   tls.trace.load(path)              -> trace | nil, err  (a data-only file: runs no code)
--   tls.trace.parse(text[, name])     -> the same from a string
--   trace:flight(i)                   -> {wire = bytes, records = {...}, messages = {...}, events = {...}}
--   trace:message(type[, n])          -> msg, event (the n-th message of that type)
--   tls.trace.peer(steps | trace[, opts])   a transport that plays one side
--   tls.trace.decrypt(trace | {client =, server =}, keylog)  -> decrypted trace
--   trace:summary([opts])             -> lines: records and messages each way, for people
--
-- A trace is a list of events, in the order they happened:
--   {dir = "out"|"in", layer = "wire"|"record"|"message", epoch = "initial"|"handshake"|
--    "application", flight = n, seq = n, bytes = string, msg = table?}
-- with, for records and messages, content_type (and version, padding for records).
-- Flights count from 1 and change at each change of direction on the wire. Record events
-- carry the plaintext payload; wire events the bytes as they crossed. Message events are
-- cut out of the record payloads, so they are what was really sent and received after
-- every message hook (a hook's verdict cannot hide them); `msg` is tls.decode's table.
-- trace.secrets = {{label =, secret =}, ...} and trace.client_random, from the secret
-- hook, are written to a file only when asked.
local core = require "moontls.core"
local hexmod = require "moontls.hex"
local msgmod = require "moontls.msg"
local names = require "moontls.names"

local M = {}

local Trace = {}
Trace.__index = Trace
Trace.__name = "moontls.Trace"
M.Trace = Trace

-- ---------------------------------------------------------------------------------
-- Building traces
-- ---------------------------------------------------------------------------------

-- Decode a message event's bytes lazily (the msg field), with the hints its sender and
-- the version imply.
local function decode_event(e, role)
  if e.layer ~= "message" or e.msg ~= nil then return e.msg end
  local side = e.side
  if not side and role then
    side = (e.dir == "out") == (role == "client") and "client" or "server"
  end
  local m = msgmod.decode(e.bytes, { version = 0x0304, side = side, content_type = e.content_type })
  e.msg = m or false
  return m or nil
end

local function new_trace(t)
  t = t or {}
  t.events = t.events or {}
  return setmetatable(t, Trace)
end
M.new = new_trace

function Trace:__len() return #self.events end

-- Array-style access: trace[i] is the i-th event (trace.events[i]).
function Trace:event(i) return self.events[i] end

-- Decoded message table of event e (nil when it does not decode).
function Trace:decode(e)
  local m = decode_event(e, self.role)
  return m
end

-- Every message event, decoded: {msg, event} pairs in order; filtered by dir when given.
function Trace:messages(dir)
  local out = {}
  for _, e in ipairs(self.events) do
    if e.layer == "message" and (dir == nil or e.dir == dir) then
      local m = decode_event(e, self.role)
      out[#out + 1] = m or { type = "undecoded", raw = e.bytes, content_type = e.content_type }
    end
  end
  return out
end

-- trace:message(type[, n]) -> msg, event: the n-th (default 1) message of that type, in
-- either direction ("server_hello", "finished", ...; a number matches type_code).
function Trace:message(mtype, n)
  n = n or 1
  local seen = 0
  for _, e in ipairs(self.events) do
    if e.layer == "message" then
      local m = decode_event(e, self.role)
      if m and (m.type == mtype or m.type_code == mtype) then
        seen = seen + 1
        if seen == n then return m, e end
      end
    end
  end
  return nil, ("no %s message #%d in the trace"):format(tostring(mtype), n)
end

-- trace:flight(i) -> {dir =, wire = bytes, records = {rec...}, messages = {msg...},
-- events = {...}}, or nil when there is no such flight.
function Trace:flight(i)
  local f = { wire = {}, records = {}, messages = {}, events = {}, index = i }
  local any = false
  for _, e in ipairs(self.events) do
    if e.flight == i then
      any = true
      f.dir = f.dir or e.dir
      f.events[#f.events + 1] = e
      if e.layer == "wire" then
        f.wire[#f.wire + 1] = e.bytes
      elseif e.layer == "record" then
        f.records[#f.records + 1] = {
          type = names.content_types[e.content_type] or e.content_type, content_type = e.content_type,
          version = e.version, payload = e.bytes, padding = e.padding, epoch = e.epoch,
        }
      elseif e.layer == "message" then
        f.messages[#f.messages + 1] = decode_event(e, self.role)
          or { type = "undecoded", raw = e.bytes, content_type = e.content_type }
      end
    end
  end
  if not any then return nil end
  f.wire = table.concat(f.wire)
  function f.message(_, mtype, n)
    n = n or 1
    for _, m in ipairs(f.messages) do
      if m.type == mtype or m.type_code == mtype then
        n = n - 1
        if n == 0 then return m end
      end
    end
  end
  return f
end

-- The number of flights.
function Trace:flights()
  local n = 0
  for _, e in ipairs(self.events) do
    if e.flight and e.flight > n then n = e.flight end
  end
  return n
end

-- All wire bytes in one direction, concatenated.
function Trace:wire(dir)
  local out = {}
  for _, e in ipairs(self.events) do
    if e.layer == "wire" and (dir == nil or e.dir == dir) then out[#out + 1] = e.bytes end
  end
  return table.concat(out)
end

-- The secret recorded under an NSS label (nil when not recorded or not loaded).
function Trace:secret(label)
  for _, s in ipairs(self.secrets or {}) do
    if s.label == label then return s.secret end
  end
end

-- ---------------------------------------------------------------------------------
-- A readable summary: one line per record and per message, each way
-- ---------------------------------------------------------------------------------

local function message_label(m, e)
  if not m then
    if e.content_type == 22 then
      local code = e.bytes:byte(1) or -1
      return ("%s (undecoded)"):format(names.messages[code] or ("handshake type " .. code))
    end
    return names.content_types[e.content_type] or ("content type " .. tostring(e.content_type))
  end
  if m.type == "alert" then return ("alert %s %s"):format(tostring(m.level), tostring(m.description)) end
  if m.type == "undecoded" then return "undecoded " .. tostring(m.content_type) end
  return tostring(m.type)
end

-- trace:summary([opts]) -> lines: what crossed each way, for people (failure reports,
-- logs). A record line shows its epoch, content type and size; the messages it carried
-- follow, indented; alerts name their level and description; a decryption failure names
-- its cause. The recording side is on the left: "->" is what it sent, "<-" what it got.
-- Traces with no record events (raw captures) show their wire chunks instead.
--   opts.max_lines   cut after this many lines, ending with "... N more lines" (default
--                    no limit)
--   opts.fields      true: each handshake message's main fields on the next line
function Trace:summary(opts)
  opts = opts or {}
  local lines = {}
  local has_records = false
  for _, e in ipairs(self.events) do
    if e.layer == "record" then has_records = true break end
  end
  local arrow = { out = "->", ["in"] = "<-" }
  for _, e in ipairs(self.events) do
    local a = arrow[e.dir] or "??"
    local epoch = ("%-11s"):format(tostring(e.epoch or ""))
    if e.layer == "record" then
      local ctn = names.content_types[e.content_type] or tostring(e.content_type)
      local extra = (e.generation or 0) > 0 and (" (keys after %d KeyUpdate%s)"):format(e.generation,
        e.generation > 1 and "s" or "") or ""
      if e.error then extra = extra .. "  (" .. e.error .. ")" end
      lines[#lines + 1] = ("%s %s record %s %d B%s"):format(a, epoch, ctn, #e.bytes, extra)
    elseif e.layer == "wire" and not has_records then
      lines[#lines + 1] = ("%s %s wire %d B"):format(a, epoch, #e.bytes)
    elseif e.layer == "message" then
      local m = decode_event(e, self.role)
      lines[#lines + 1] = ("%s %s   %s %d B"):format(a, (" "):rep(11), message_label(m, e), #e.bytes)
      if opts.fields and m and e.content_type == 22 then
        local f = {}
        for _, k in ipairs{ "cipher_suite", "legacy_version", "legacy_session_id", "selected_version" } do
          local v = m[k]
          if v ~= nil then
            if type(v) == "string" and v:find("[^%g ]") then v = hexmod.encode(v) end
            f[#f + 1] = k .. "=" .. tostring(v)
          end
        end
        local exts = {}
        for _, x in ipairs(m.extensions or {}) do exts[#exts + 1] = tostring(x.type) end
        if #exts > 0 then f[#f + 1] = "extensions=" .. table.concat(exts, ",") end
        if #f > 0 then lines[#lines + 1] = (" "):rep(19) .. table.concat(f, " ") end
      end
    end
  end
  local max = opts.max_lines
  if max and #lines > max then
    local more = #lines - max + 1
    for i = #lines, max, -1 do lines[i] = nil end
    lines[#lines + 1] = ("... %d more lines"):format(more)
  end
  return lines
end

-- ---------------------------------------------------------------------------------
-- Recording through the public hooks
-- ---------------------------------------------------------------------------------

local recorders = setmetatable({}, { __mode = "k" })

-- Split a record payload into messages: handshake records may carry several messages or
-- a fragment (kept until the rest arrives); other content types are one message each.
local function cut_messages(rec, st, push)
  if rec.content_type ~= 22 then
    if rec.content_type ~= 23 or st.app_data then push(rec.payload) end
    return
  end
  local msgs
  msgs, st.pending[rec.dir] = msgmod.cut_handshake((st.pending[rec.dir] or "") .. rec.payload)
  for _, bytes in ipairs(msgs) do push(bytes) end
end

-- tls.trace.record(conn[, opts]) -> the live trace. opts.app_data = false leaves
-- application data out of the message layer (records and wire keep it). Calling it twice
-- returns the same trace.
function M.record(conn, opts)
  local t = recorders[conn]
  if t then return t end
  opts = opts or {}
  t = new_trace{ role = conn:_role() }
  recorders[conn] = t
  local st = { pending = {}, app_data = opts.app_data ~= false, flight = 0, last_dir = nil, seq = 0 }
  local function add(e)
    -- Flights follow the direction of the wire: a new flight each time it turns.
    if e.layer == "wire" and e.dir ~= st.last_dir then
      st.flight = st.flight + 1
      st.last_dir = e.dir
    end
    e.flight = math.max(st.flight, 1)
    st.seq = st.seq + 1
    e.seq = st.seq
    t.events[#t.events + 1] = e
    return e
  end
  local function on_wire(dir)
    return function(_, bytes, ev)
      add{ dir = dir, layer = "wire", epoch = ev.epoch, bytes = bytes }
    end
  end
  local function on_record(dir)
    return function(c, rec, ev)
      -- Inbound wire bytes are seen before their records; outbound records before their
      -- wire bytes: an outbound record opens the flight its wire bytes will join.
      if dir == "out" and st.last_dir ~= "out" then
        st.flight = st.flight + 1
        st.last_dir = "out"
      end
      add{ dir = dir, layer = "record", epoch = ev.epoch, content_type = rec.content_type,
           version = rec.version, padding = rec.padding, bytes = rec.payload }
      cut_messages({ dir = dir, content_type = rec.content_type, payload = rec.payload }, st, function(bytes)
        local side = (dir == "out") == (t.role == "client") and "client" or "server"
        add{ dir = dir, layer = "message", epoch = ev.epoch, content_type = rec.content_type,
             side = side, bytes = bytes }
      end)
    end
  end
  -- An outbound wire event of a flight opened by its records must not open another.
  conn:on("record_out", on_record("out"))
  conn:on("record_in", on_record("in"))
  conn:on("wire_out", on_wire("out"))
  conn:on("wire_in", on_wire("in"))
  conn:on("secret", function(c, label, secret, client_random)
    t.secrets = t.secrets or {}
    t.secrets[#t.secrets + 1] = { label = label, secret = secret }
    if client_random and client_random ~= "" then t.client_random = client_random end
  end)
  return t
end

-- conn:transcript() -> the trace kept since tls.trace.record(conn) (or {record = true}),
-- with the connection's parameters; nil, err when the connection is not recorded.
function core.Conn:transcript()
  local t = recorders[self]
  if not t then return nil, "not recorded: use tls.connect(..., {record = true}) or tls.trace.record(conn)" end
  local ok, info = pcall(self.info, self)
  if ok and info then t.info = info end
  return t
end

-- ---------------------------------------------------------------------------------
-- Trace files: Lua table text, data only
-- ---------------------------------------------------------------------------------

local function qstr(s)
  return '"' .. s:gsub('[%c"\\\127-\255]', function(c)
    return ("\\x%02x"):format(c:byte())
  end) .. '"'
end

local function value_text(v)
  local tv = type(v)
  if tv == "string" then return qstr(v) end
  if tv == "boolean" then return tostring(v) end
  if tv == "number" then
    if math.type(v) == "integer" then return ("%d"):format(v) end
    if v ~= v or v == math.huge or v == -math.huge then return "0" end
    return ("%.17g"):format(v)
  end
  return nil
end

local EVENT_KEYS = { "dir", "layer", "epoch", "flight", "seq", "content_type", "version", "padding", "side", "bytes",
  -- decrypted traces (tls.trace.decrypt) add these
  "outer_type", "record_seq", "generation", "error" }

local function is_ident(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") and not ({ ["and"] = 1, ["break"] = 1,
    ["do"] = 1, ["else"] = 1, ["elseif"] = 1, ["end"] = 1, ["false"] = 1, ["for"] = 1, ["function"] = 1,
    ["goto"] = 1, ["if"] = 1, ["in"] = 1, ["local"] = 1, ["nil"] = 1, ["not"] = 1, ["or"] = 1,
    ["repeat"] = 1, ["return"] = 1, ["then"] = 1, ["true"] = 1, ["until"] = 1, ["while"] = 1 })[k]
end

-- A flat table of scalars as one line (used for info).
local function flat_table(t)
  local keys = {}
  for k, v in pairs(t) do
    if is_ident(k) and value_text(v) then keys[#keys + 1] = k end
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. " = " .. value_text(t[k]) end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- trace:text([opts]) -> the file text (see save).
function Trace:text(opts)
  opts = opts or {}
  local out = { "-- moontls trace (data only: tls.trace.load reads it in an empty environment)\n",
    "return {\n  format = 1,\n" }
  if self.role then out[#out + 1] = "  role = " .. qstr(self.role) .. ",\n" end
  if self.info then out[#out + 1] = "  info = " .. flat_table(self.info) .. ",\n" end
  out[#out + 1] = "  events = {\n"
  for _, e in ipairs(self.events) do
    local skip = opts.plaintext == false and e.layer ~= "wire" and e.epoch ~= "initial"
    if not skip then
      local parts = {}
      for _, k in ipairs(EVENT_KEYS) do
        local v = e[k]
        if v ~= nil and value_text(v) then parts[#parts + 1] = k .. " = " .. value_text(v) end
      end
      out[#out + 1] = "    { " .. table.concat(parts, ", ") .. " },\n"
    end
  end
  out[#out + 1] = "  },\n"
  if opts.secrets and self.secrets then
    if self.client_random then out[#out + 1] = "  client_random = " .. qstr(self.client_random) .. ",\n" end
    out[#out + 1] = "  secrets = {\n"
    for _, s in ipairs(self.secrets) do
      out[#out + 1] = ("    { label = %s, secret = %s },\n"):format(qstr(s.label), qstr(s.secret))
    end
    out[#out + 1] = "  },\n"
  end
  out[#out + 1] = "}\n"
  return table.concat(out)
end

-- trace:save(path[, opts]) -> true | nil, err. opts.secrets = true writes the secrets
-- (key log material); opts.plaintext = false leaves out the decrypted records and
-- messages of protected epochs (only wire bytes remain for them).
function Trace:save(path, opts)
  if type(path) ~= "string" then error("trace:save: path expected", 2) end
  local f, err = io.open(path, "wb")
  if not f then return nil, err end
  f:write(self:text(opts))
  f:close()
  return true
end

-- The NSS key log lines of the recorded secrets (for Wireshark).
function Trace:keylog()
  if not self.client_random or not self.secrets then return "" end
  local out = {}
  for _, s in ipairs(self.secrets) do
    out[#out + 1] = ("%s %s %s\n"):format(s.label, hexmod.encode(self.client_random), hexmod.encode(s.secret))
  end
  return table.concat(out)
end

-- Check that text is a data-only chunk before it goes near load(): tokens may only be
-- `return`, table punctuation, strings, numbers, true/false/nil and names used as keys
-- (a name must be followed by `=`). No call, loop, operator or function can then appear,
-- so running the chunk builds a table and nothing else.
local function data_only(text)
  local i, n = 1, #text
  local prev_significant
  while i <= n do
    local c = text:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif text:sub(i, i + 1) == "--" then
      if text:sub(i + 2, i + 2) == "[" then return nil, ("long comment at byte %d"):format(i) end
      local e = text:find("\n", i, true)
      i = e and e + 1 or n + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while true do
        local d = text:sub(j, j)
        if d == "" or d == "\n" then return nil, ("unfinished string at byte %d"):format(i) end
        if d == "\\" then
          j = j + 2
        elseif d == c then
          break
        else
          j = j + 1
        end
      end
      i = j + 1
      prev_significant = "string"
    elseif c:match("[%d]") or (c == "-" and text:sub(i + 1, i + 1):match("%d")) then
      local num = text:match("^%-?0[xX]%x+", i) or text:match("^%-?%d+%.?%d*[eE]?[-+]?%d*", i)
      i = i + #num
      prev_significant = "number"
    elseif c:match("[%a_]") then
      local name = text:match("^[%a_][%w_]*", i)
      i = i + #name
      if name == "return" then
        if prev_significant ~= nil then return nil, "return not at the start" end
      elseif name ~= "true" and name ~= "false" and name ~= "nil" then
        local after = text:match("^%s*(.)", i)
        if after ~= "=" or text:match("^%s*==", i) then
          return nil, ("%q used as a value at byte %d (only keys may be names)"):format(name, i - #name)
        end
      end
      prev_significant = name
    elseif c == "{" or c == "}" or c == "[" or c == "]" or c == "=" or c == "," or c == ";" then
      if c == "[" and (text:sub(i + 1, i + 1) == "[" or text:sub(i + 1, i + 1) == "=") then
        return nil, ("long bracket at byte %d"):format(i)
      end
      if c == "=" and text:sub(i + 1, i + 1) == "=" then return nil, ("operator == at byte %d"):format(i) end
      i = i + 1
      prev_significant = c
    else
      return nil, ("%q not allowed in a trace file (byte %d)"):format(c, i)
    end
  end
  return true
end
M.data_only = data_only

local function from_data(data, name)
  if type(data) ~= "table" or type(data.events) ~= "table" then
    return nil, name .. ": not a trace (no events table)"
  end
  local t = new_trace{ role = data.role, info = data.info, client_random = data.client_random,
    secrets = data.secrets, format = data.format }
  for i, e in ipairs(data.events) do
    if type(e) ~= "table" or type(e.bytes) ~= "string" or type(e.layer) ~= "string" then
      return nil, ("%s: event %d is malformed"):format(name, i)
    end
    t.events[i] = e
  end
  return t
end

-- tls.trace.parse(text[, name]) -> trace | nil, err.
function M.parse(text, name)
  name = name or "trace"
  if type(text) ~= "string" then error("tls.trace.parse: text expected", 2) end
  local ok, err = data_only(text)
  if not ok then return nil, name .. ": not a data-only trace file: " .. err end
  local chunk
  chunk, err = load(text, "=" .. name, "t", {})
  if not chunk then return nil, err end
  local good, data = pcall(chunk)
  if not good then return nil, name .. ": " .. tostring(data) end
  return from_data(data, name)
end

-- tls.trace.load(path) -> trace | nil, err.
function M.load(path)
  if type(path) ~= "string" then error("tls.trace.load: path expected", 2) end
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return M.parse(text, path)
end

-- tls.trace.decrypt(trace | {client = bytes, server = bytes}, keylog) -> trace | nil, err:
-- TLS 1.3 records opened with an NSS key log (bindings/moontls/decrypt.lua).
function M.decrypt(input, keylog)
  return require("moontls.decrypt").decrypt(input, keylog)
end

-- ---------------------------------------------------------------------------------
-- Trace peers: a transport that plays one side
-- ---------------------------------------------------------------------------------

-- The length of the complete TLS records at the start of buf covering at least `atleast`
-- bytes (at least one record); nil while incomplete.
local function records_span(buf, atleast, count)
  local pos, recs = 1, 0
  while true do
    if #buf - pos + 1 < 5 then return nil end
    local len = (buf:byte(pos + 3) << 8) | buf:byte(pos + 4)
    if #buf - pos + 1 < 5 + len then return nil end
    pos = pos + 5 + len
    recs = recs + 1
    if pos - 1 >= (atleast or 0) and recs >= (count or 1) then return pos - 1 end
  end
end
M.records_span = records_span

local function first_diff(a, b)
  for i = 1, math.min(#a, #b) do
    if a:byte(i) ~= b:byte(i) then return i - 1 end
  end
  if #a ~= #b then return math.min(#a, #b) end
end

local function around(s, off)
  return hexmod.encode(s:sub(math.max(1, off - 3), off + 8))
end

local Peer = {}
Peer.__index = Peer

local function step_name(i, s)
  return ("step %d%s (%s)"):format(i, s.name and (" " .. ("%q"):format(s.name)) or "",
    s.send and "send" or s.expect and "expect" or s.close and "close" or "?")
end

-- Steps from a trace: the other side's view. opts.side = "client"|"server" (which side
-- the peer plays; default the recorded connection's peer), opts.compare for expects
-- (default "exact").
local function steps_from_trace(trace, opts)
  local steps = {}
  -- The recorded side sent "out"; the peer playing the other side sends what came "in".
  local play_recorded = opts.side ~= nil and opts.side == trace.role
  for _, e in ipairs(trace.events) do
    if e.layer == "wire" then
      local send = (e.dir == "in") ~= play_recorded
      local last = steps[#steps]
      if send then
        if last and last.send then last.send = last.send .. e.bytes else steps[#steps + 1] = { send = e.bytes } end
      else
        if last and last.expect then
          last.expect = last.expect .. e.bytes
        else
          steps[#steps + 1] = { expect = e.bytes, compare = opts.compare or "exact" }
        end
      end
    end
  end
  return steps
end

-- tls.trace.peer(steps | trace[, opts]) -> transport. Steps in order:
--   {send = bytes}                      the peer writes these bytes
--   {expect = bytes, compare = "exact"} the next bytes must be exactly these
--   {expect = bytes, compare = "prefix"[, records = n]}  the next complete records (at
--                                       least n, and covering #expect bytes) must start
--                                       with these
--   {expect = bytes|nil, compare = fn[, records = n | length = n]}  fn(got, step) -> true
--                                       | false[, why] on the next n records (default 1)
--                                       or the next `length` bytes
--   {close = true}                      the peer closes (the connection reads EOF)
--   name = "..." on any step labels it in errors.
-- After the last step the peer reads EOF for the connection. opts.strict = false lets
-- extra bytes after the steps pass (default: they are an error).
-- A mismatch fails the write that carried it: the connection's call returns
-- nil, "trace peer: step 3 \"CF\" (expect): differs at offset 5: ...", "IO"; peer.error
-- keeps the message and peer:check() raises it.
function M.peer(steps, opts)
  opts = opts or {}
  if getmetatable(steps) == Trace then steps = steps_from_trace(steps, opts) end
  if type(steps) ~= "table" then error("tls.trace.peer: steps or a trace expected", 2) end
  for i, s in ipairs(steps) do
    if type(s) ~= "table" then error(("tls.trace.peer: step %d: table expected"):format(i), 2) end
    if s.send == nil and s.expect == nil and not s.close and type(s.compare) ~= "function" then
      error(("tls.trace.peer: step %d: send, expect or close expected"):format(i), 2)
    end
    if s.send ~= nil and type(s.send) ~= "string" then error(("tls.trace.peer: step %d: send must be bytes"):format(i), 2) end
    if s.expect ~= nil and type(s.expect) ~= "string" then error(("tls.trace.peer: step %d: expect must be bytes"):format(i), 2) end
    local c = s.compare
    if c ~= nil and c ~= "exact" and c ~= "prefix" and type(c) ~= "function" then
      error(("tls.trace.peer: step %d: compare must be \"exact\", \"prefix\" or a function"):format(i), 2)
    end
  end
  local p = setmetatable({ steps = steps, pos = 1, inbuf = "", received = {}, sent = {},
    strict = opts.strict ~= false, closed = false }, Peer)
  -- The transport interface the connection driver uses (conn.lua: send, recv, close).
  p.send = function(bytes) return p:_take(bytes) end
  p.recv = function() return p:_give() end
  p.close = function() p.closed = true end
  p.getfd = function() return -1 end
  return p
end

function Peer:_fail(msg)
  self.error = self.error or ("trace peer: " .. msg)
  return self.error
end

-- Match buffered input against expect steps as far as it goes. Returns true, or nil, err.
function Peer:_match()
  while true do
    local s = self.steps[self.pos]
    if not s or not (s.expect or type(s.compare) == "function") then break end
    local buf = self.inbuf
    local want = s.expect
    local cmp = s.compare or "exact"
    local take
    if cmp == "exact" then
      -- report a difference as soon as the bytes seen so far show it
      local seen = buf:sub(1, #want)
      local d = first_diff(seen, want:sub(1, #seen))
      if d then
        return nil, self:_fail(("%s: differs at offset %d (of %d expected bytes): got %s..., expected %s..."):format(
          step_name(self.pos, s), d, #want, around(seen, d + 1), around(want, d + 1)))
      end
      if #buf < #want then return true end
      take = #want
    else
      take = s.length or records_span(buf, cmp == "prefix" and #want or 0, s.records or 1)
      if not take or #buf < take then
        if cmp == "prefix" then
          local seen = buf:sub(1, #want)
          local d = first_diff(seen, want:sub(1, #seen))
          if d then
            return nil, self:_fail(("%s: differs at offset %d (prefix of %d bytes): got %s..., expected %s..."):format(
              step_name(self.pos, s), d, #want, around(seen, d + 1), around(want, d + 1)))
          end
        end
        return true
      end
      local got = buf:sub(1, take)
      if cmp == "prefix" then
        local d = first_diff(got:sub(1, #want), want)
        if d then
          return nil, self:_fail(("%s: differs at offset %d (prefix of %d bytes): got %s..., expected %s..."):format(
            step_name(self.pos, s), d, #want, around(got, d + 1), around(want, d + 1)))
        end
      else
        local ok, why = cmp(got, s)
        if not ok then
          return nil, self:_fail(("%s: the compare function refused %d bytes%s"):format(
            step_name(self.pos, s), #got, why and (": " .. tostring(why)) or ""))
        end
      end
    end
    self.received[#self.received + 1] = buf:sub(1, take)
    self.inbuf = buf:sub(take + 1)
    self.pos = self.pos + 1
  end
  if #self.inbuf > 0 and self.pos > #self.steps and self.strict then
    return nil, self:_fail(("%d bytes after the last step: %s..."):format(#self.inbuf, around(self.inbuf, 1)))
  end
  return true
end

-- The connection writes: check against the expect steps.
function Peer:_take(bytes)
  if self.error then return 0, self.error end
  if self.closed_by_peer then return 0, "closed" end
  self.inbuf = self.inbuf .. bytes
  local ok, err = self:_match()
  if not ok then return 0, err end
  return #bytes
end

-- The connection reads: the next send step, EOF after the end, or a clear complaint when
-- the script still waits for bytes the connection has not written.
function Peer:_give()
  if self.error then return nil, self.error end
  local ok, err = self:_match() -- bytes written earlier may satisfy the steps now due
  if not ok then return nil, err end
  local s = self.steps[self.pos]
  if s == nil or s.close then
    if s then self.pos = self.pos + 1 end
    self.closed_by_peer = true
    return nil, "closed"
  end
  if s.send then
    self.pos = self.pos + 1
    self.sent[#self.sent + 1] = s.send
    return s.send
  end
  local waiting = s.expect and ("%d of %d bytes arrived"):format(math.min(#self.inbuf, #s.expect), #s.expect)
    or ("%d bytes arrived"):format(#self.inbuf)
  return nil, self:_fail(("%s: the connection waits to read, but the peer still expects data (%s)")
    :format(step_name(self.pos, s), waiting))
end

-- peer:done() -> true when every step ran; peer:check() raises the first error or the
-- first step not reached.
function Peer:done() return self.error == nil and self.pos > #self.steps end

function Peer:check()
  if self.error then error(self.error, 2) end
  if self.pos <= #self.steps then
    error(("trace peer: %s not reached"):format(step_name(self.pos, self.steps[self.pos])), 2)
  end
  return true
end

function M.is_peer(v) return getmetatable(v) == Peer end

-- ---------------------------------------------------------------------------------
-- Replay through a live engine: "messages" and "verbatim"
-- ---------------------------------------------------------------------------------

-- The recorded side's outgoing handshake messages, per type, in order.
local function outgoing_by_type(trace)
  local by = {}
  for _, e in ipairs(trace.events) do
    if e.layer == "message" and e.dir == "out" and e.content_type == 22 then
      local m = decode_event(e, trace.role)
      local key = m and m.type or ("handshake_" .. e.bytes:byte(1))
      by[key] = by[key] or {}
      table.insert(by[key], { msg = m, bytes = e.bytes })
    end
  end
  return by
end

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = deep_copy(x) end
  return out
end

-- Messages the live engine must recompute in "messages" mode (they depend on the live
-- transcript and keys).
local LIVE = { finished = true, certificate_verify = true, end_of_early_data = true }

-- tls.trace.replay(conn, trace, mode): hooks on conn (before its handshake) so that it
-- re-sends the recorded side's messages.
--   "messages": the recorded structures (fields, extension order, unknown extensions),
--               with the live random, session id and key shares (pinned ones if the
--               context pins them); Finished and CertificateVerify are the engine's own.
--               A ClientHello is adopted (the engine's offer becomes the recorded one).
--   "verbatim": the recorded message bytes as they were, under live record protection;
--               nothing is recomputed (a ClientHello is adopted).
-- The n-th outgoing message of a type is replaced by the n-th recorded one of that type;
-- messages the recording does not have pass as the engine built them. Returns the list
-- of what was replaced, filled as the handshake runs ({type =, mode =}).
function M.replay(conn, trace, mode)
  mode = mode or "messages"
  if mode ~= "messages" and mode ~= "verbatim" then
    error(("tls.trace.replay: mode \"messages\" or \"verbatim\" expected, got %s"):format(tostring(mode)), 2)
  end
  if getmetatable(trace) ~= Trace then error("tls.trace.replay: trace expected", 2) end
  local role = conn:_role()
  if trace.role and trace.role ~= role then
    error(("tls.trace.replay: the trace was recorded by a %s, this connection is a %s"):format(trace.role, role), 2)
  end
  local by = outgoing_by_type(trace)
  local count, done = {}, {}
  conn:on("message_out", function(c, msg, ev)
    if msg.content_type ~= 22 then return end
    local key = msg.type
    count[key] = (count[key] or 0) + 1
    local rec = by[key] and by[key][count[key]]
    if not rec then return end
    if mode == "verbatim" then
      if key == "client_hello" then ev.adopt = true end
      done[#done + 1] = { type = key, mode = "verbatim" }
      return rec.bytes
    end
    if LIVE[key] or not rec.msg then return end
    local m = deep_copy(rec.msg)
    m.raw = nil
    if key == "client_hello" or key == "server_hello" then
      m.random = msg.random
      if key == "client_hello" then m.legacy_session_id = msg.legacy_session_id
      else m.legacy_session_id_echo = msg.legacy_session_id_echo end
      -- the live key shares, in the recorded extension's place
      local live
      for _, x in ipairs(msg.extensions or {}) do
        if x.type == "key_share" then live = x end
      end
      for i, x in ipairs(m.extensions or {}) do
        if x.type == "key_share" and live then m.extensions[i] = live end
      end
      if key == "client_hello" then ev.adopt = true end
    end
    done[#done + 1] = { type = key, mode = "messages" }
    return m
  end)
  return done
end

-- ---------------------------------------------------------------------------------
-- Replay on the wire: no engine, the recorded bytes exactly
-- ---------------------------------------------------------------------------------

local Wire = {}
Wire.__index = Wire

-- tls.trace.wire(sock, trace) -> a raw replayer over a connected LuaSocket TCP object
-- (tls.connect(host, port, ctx, {replay = trace, replay_mode = "wire"}) makes one):
--   w:write(bytes)                 -> true | nil, err
--   w:read_flight{timeout =, quiet =} -> reply trace: the records that arrived until the
--                                     peer was quiet for `quiet` seconds (default 0.3) or
--                                     closed, within `timeout` (default 5); plaintext
--                                     records are decoded (reply:message("server_hello"))
--   w:replay{flights = n}          -> the reply traces: writes the recorded side's first n
--                                     flights (default 1) byte for byte, reading the
--                                     answer after each
--   w:close()
function M.wire(sock, trace)
  -- the record splitter and message reassembly are tls.raw_connect's (moontls.raw)
  local peer_side = trace and trace.role == "server" and "client" or "server"
  local raw = require("moontls.raw").wrap(sock, { timeout = 5, peer_side = peer_side })
  return setmetatable({ sock = sock, trace = trace, raw = raw, peer_side = peer_side }, Wire)
end

function Wire:write(bytes)
  local ok, err = self.raw:write(bytes)
  if not ok then return nil, err end
  return true
end

-- The raw flight as a reply trace: one wire event, its records, and the plaintext
-- handshake messages and alerts.
function Wire:read_flight(opts)
  opts = opts or {}
  local reply = new_trace{ role = self.trace and self.trace.role, closed = false }
  local f = self.raw:read_flight{ timeout = opts.timeout or 5, quiet = opts.quiet or 0.3 }
  if not f then return reply end
  reply.closed = f.closed or f.reset or false
  local function add(e)
    e.dir, e.epoch, e.flight, e.seq = "in", "initial", 1, #reply.events + 1
    reply.events[#reply.events + 1] = e
  end
  if #f.wire > 0 then add{ layer = "wire", bytes = f.wire } end
  for _, r in ipairs(f.records) do
    add{ layer = "record", content_type = r.content_type, version = r.version, bytes = r.fragment }
  end
  for _, m in ipairs(f.messages) do
    if m.content_type == 22 or m.content_type == 21 then
      add{ layer = "message", content_type = m.content_type, bytes = m.raw, side = self.peer_side,
           msg = m.type ~= "undecoded" and m or nil }
    end
  end
  return reply
end

function Wire:replay(opts)
  opts = opts or {}
  local want = opts.flights or 1
  local replies, sent = {}, 0
  local dir = "out"
  for i = 1, self.trace:flights() do
    local f = self.trace:flight(i)
    if f and f.dir == dir and #f.wire > 0 then
      sent = sent + 1
      local ok, err = self:write(f.wire)
      if not ok then return nil, err end
      replies[#replies + 1] = self:read_flight(opts)
      if sent >= want then break end
    end
  end
  if sent == 0 then return nil, "the trace has no outgoing flight" end
  return replies
end

function Wire:close()
  self.sock:close()
  return true
end

return M
