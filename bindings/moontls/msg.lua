-- moontls.msg: handshake, alert and ChangeCipherSpec messages as plain tables
-- (SCRIPTING.md 6.4): tls.decode, tls.encode, tls.validate. The C side (bindings/msg.c)
-- walks the codec's tree; this module turns hints into the format context.
--
-- The table of a message:
--   type          "client_hello", "hello_retry_request", "alert", ... (a number when the
--                 handshake type has no name); type_code: the wire number (handshake type,
--                 or the content type for other content); content_type: 22, 21, 20, ...
--   fields        named after the RFC structures (legacy_version, random,
--                 legacy_session_id, cipher_suites, extensions, ...). Lists are arrays,
--                 structs are tables, bytes are strings. The ChangeCipherSpec byte, called
--                 `type` in RFC 5246, is `ccs_type`.
--   extensions    an array in wire order of {type = "key_share" | number, data = bytes,
--                 ...parsed fields}, e.g. key_share in a ClientHello has
--                 client_shares = {{group = "x25519", key_exchange = bytes}}; in a
--                 ServerHello group and key_exchange; in a HelloRetryRequest
--                 selected_group. Extensions the codec does not parse (here) have `data`
--                 only.
--   raw           the exact bytes decoded (information: encode never reads it)
--   body          the raw body, set by decode only for messages kept raw (unknown types)
--   hints         the hints given to tls.decode, when given (tls.encode reuses them)
-- Integers with a name table (suites, groups, signature schemes, versions, extension and
-- message types, alerts, PSK modes, point formats, ...) appear as names when known;
-- unknown and GREASE values stay numbers. Both forms are accepted on encode.
--
-- How encode sees edits: it always builds the message afresh from the fields, so an
-- unchanged decoded table gives back exactly `raw` and an edited field changes only that
-- field. The field rule: every field may be nil (zero/empty, or absent when optional), a
-- value (used as given), or for lengths - `foo_len` for a vector or list `foo`, `length`
-- for the handshake header and for an extension - a function(auto) returning the value to
-- write (nil keeps auto). Other fields given as functions receive the field's zero value.
-- `body` on a message and `data` on an extension are written verbatim when set, except that
-- an extension's `data` still equal to what tls.decode put there stands for "unchanged",
-- so the parsed fields are encoded (edit them, or replace `data`, not both).
local core = require "moontls.core"
local names = require "moontls.names"

local M = {}

-- extension table -> the data string tls.decode gave it (weak: tables come and go).
local registry = setmetatable({}, { __mode = "k" })
M.registry = registry

local CT = { change_cipher_spec = 20, alert = 21, handshake = 22, application_data = 23, heartbeat = 24 }
local SIDES = { client = 0, server = 1 }
local KX = { none = 0, rsa = 1, dhe = 2, ecdhe = 3 }
local SIG = { default = 0, scheme = 1, legacy = 2, anon = 3 }
local HINTS = { version = true, side = true, kx = true, sig = true, content_type = true }
local HRR = 0x102

-- The sender of each handshake type, where the type says it (others default to client;
-- the side matters to validation only).
local SENDER = {
  [0] = 1, [1] = 0, [2] = 1, [HRR] = 1, [4] = 1, [5] = 0, [8] = 1, [12] = 1, [13] = 1,
  [14] = 1, [16] = 0, [22] = 1,
}

local function bad(fn, fmt, ...)
  error(fn .. ": " .. fmt:format(...), 3)
end

local function lookup(fn, key, v, map)
  if v == nil then return nil end
  if math.type(v) == "integer" then return v end
  local c = type(v) == "string" and map[v] or nil
  if c == nil then bad(fn, "hints.%s: unknown value %s", key, tostring(v)) end
  return c
end

-- The format context from hints: content type, version, side, kx, sig (numbers).
local function context(fn, hints, kind)
  hints = hints or {}
  if type(hints) ~= "table" then bad(fn, "hints must be a table, got %s", type(hints)) end
  for k in pairs(hints) do
    if not HINTS[k] then bad(fn, "unknown hint %s", tostring(k)) end
  end
  local ct = lookup(fn, "content_type", hints.content_type, CT) or 22
  local version = lookup(fn, "version", hints.version, names.versions) or 0x0304
  local side = lookup(fn, "side", hints.side, SIDES) or (ct == 22 and SENDER[kind]) or 0
  return ct, version, side, lookup(fn, "kx", hints.kx, KX) or 0, lookup(fn, "sig", hints.sig, SIG) or 0
end
M.context = context

-- tls.decode(bytes[, hints]) -> message table | nil, err, NAME
function M.decode(bytes, hints)
  if type(bytes) ~= "string" then error("tls.decode: bytes expected, got " .. type(bytes), 2) end
  local ct = context("tls.decode", hints)
  local kind = ct == 22 and bytes:byte(1) or nil
  if kind == 2 and bytes:sub(7, 38) == names.HRR_RANDOM then kind = HRR end
  local _, version, side, kx, sig = context("tls.decode", hints, kind)
  local msg, err, name = core.msg_decode(bytes, ct, version, side, kx, sig, registry)
  if msg and hints ~= nil then msg.hints = hints end
  return msg, err, name
end

-- The content type and kind (schema) of a message table.
local function kind_of(msg, ct)
  if ct ~= 22 then return 0 end
  local t = msg.type
  if t == nil or t == "handshake" then t = msg.type_code end
  if t == "hello_retry_request" then return HRR end
  if type(t) == "string" then
    local c = names.messages[t]
    if not c then error(("tls.encode: unknown message type %q"):format(t), 3) end
    return c
  end
  if math.type(t) == "integer" and t >= 0 and t <= 0xff then return t end
  error("tls.encode: the message needs a type (name or handshake type number)", 3)
end

local function content_type_of(msg, hints)
  if hints and hints.content_type ~= nil then return nil end -- context() reads the hint
  local ct = msg.content_type
  if ct == nil and type(msg.type) == "string" then ct = CT[msg.type] end
  if ct == nil then return nil end
  if math.type(ct) ~= "integer" then
    ct = CT[ct]
    if not ct then error("tls.encode: unknown content_type " .. tostring(msg.content_type), 3) end
  end
  return ct
end

-- tls.encode(msg[, hints]) -> bytes. Raises on misuse (wrong field types, unknown names,
-- values too wide for their field), naming the field.
function M.encode(msg, hints)
  if type(msg) ~= "table" then error("tls.encode: message table expected, got " .. type(msg), 2) end
  hints = hints or msg.hints
  local ct = content_type_of(msg, hints)
  if ct ~= nil then
    local h = { content_type = ct }
    for k, v in pairs(hints or {}) do h[k] = v end
    hints = h
  end
  ct = context("tls.encode", hints)
  local kind = kind_of(msg, ct)
  local _, version, side, kx, sig = context("tls.encode", hints, kind)
  return core.msg_encode(msg, ct, version, side, kx, sig, kind, registry)
end

local function bytes_of(m, hints)
  if type(m) == "string" then return m end
  return M.encode(m, hints)
end

-- tls.validate(msg[, client_hello][, hints]) -> true | nil, "alert_name: where", NAME:
-- the semantic checks a strict receiver makes (validate.h), for a table or bytes. With
-- the ClientHello it answers, a server message is also checked against the offer.
function M.validate(msg, client_hello, hints)
  if type(msg) ~= "table" and type(msg) ~= "string" then
    error("tls.validate: message table or bytes expected, got " .. type(msg), 2)
  end
  if type(msg) == "table" then hints = hints or msg.hints end
  local bytes = bytes_of(msg, hints)
  local ct = context("tls.validate", hints)
  local kind = ct == 22 and bytes:byte(1) or nil
  if kind == 2 and bytes:sub(7, 38) == names.HRR_RANDOM then kind = HRR end
  local _, version, side, kx, sig = context("tls.validate", hints, kind)
  local ch = client_hello and bytes_of(client_hello, { version = version }) or nil
  return core.msg_validate(bytes, ct, version, side, kx, sig, ch)
end

-- Lazy message tables for the message hooks (conn.lua). M.lazy(state) gives a proxy that
-- looks like the decoded table: it decodes on first touch (state.load(state) -> table) and
-- wraps every nested table in a proxy of its own, so any write, at any depth, marks
-- state.dirty. A hook that never touches the message costs no decode; one that only reads
-- costs no encode, and the engine's bytes go on untouched. Reads and writes go through
-- __index/__newindex/__len/__pairs (ipairs, #, table.insert/remove/sort and tls.encode
-- all work through them); only next() and raw access see the proxy itself.
local REAL, STATE = {}, {} -- private keys of a proxy
local PMT = {}

-- Turn proxy p into the plain table it stands for: real's fields, nested tables given as
-- their proxies (ps: real -> proxy), which settle too.
local function fill(p, real, ps)
  rawset(p, REAL, nil)
  rawset(p, STATE, nil)
  for k, v in next, real do
    if ps and type(v) == "table" then v = ps[v] or v end
    rawset(p, k, v)
  end
  setmetatable(p, nil)
end

local function materialize(p)
  local real = rawget(p, REAL)
  if real ~= nil then return real end
  local s = rawget(p, STATE)
  real = s.load(s)
  s.real = real
  if s.settled then -- touched after its hook: becomes the plain decoded table at once
    fill(p, real, nil)
    return real
  end
  rawset(p, REAL, real)
  return real
end

local function wrap(v, s)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return v end
  local ps = s.proxies
  if ps == nil then ps = {}; s.proxies = ps end
  local p = ps[v]
  if p == nil then
    p = setmetatable({ [REAL] = v, [STATE] = s }, PMT)
    ps[v] = p
    -- an extension's "decoded, unchanged" mark holds for its proxy too (msg.c)
    local d = registry[v]
    if d ~= nil then registry[p] = d end
  end
  return p
end

PMT.__index = function(p, k)
  local s = rawget(p, STATE)
  local v = materialize(p)[k]
  if type(v) == "table" and not s.settled then return wrap(v, s) end
  return v
end
PMT.__newindex = function(p, k, v)
  local s = rawget(p, STATE)
  s.dirty = true
  if type(v) == "table" and getmetatable(v) == PMT then v = materialize(v) end
  materialize(p)[k] = v
end
PMT.__len = function(p) return #materialize(p) end
PMT.__pairs = function(p)
  local real, s = materialize(p), rawget(p, STATE)
  return function(_, k)
    local nk, nv = next(real, k)
    if type(nv) == "table" then nv = wrap(nv, s) end
    return nk, nv
  end, p, nil
end

-- M.lazy(state) -> proxy. state.load(state) returns the decoded table; state.dirty is set
-- by the first write through the proxy or any table reached from it.
function M.lazy(s)
  return setmetatable({ [STATE] = s }, PMT)
end
-- The decoded table behind a proxy (decoding now), or nil when t is no lazy proxy.
function M.real(t)
  if getmetatable(t) ~= PMT then return nil end
  return materialize(t)
end
-- M.settle(proxy): the hook is over. Every proxy handed out becomes the plain table it
-- stood for (same identity: a script that kept one keeps a table that next(),
-- deep-compare and rawget see as usual); an untouched root stays lazy and turns plain on
-- its first touch. Writes are no longer tracked.
function M.settle(root)
  if getmetatable(root) ~= PMT then return end
  local s = rawget(root, STATE)
  s.settled = true
  local real = rawget(root, REAL)
  if real == nil then return end
  local ps = s.proxies
  fill(root, real, ps)
  if ps then
    for r, p in pairs(ps) do
      if getmetatable(p) == PMT then fill(p, r, ps) end
    end
  end
end

-- M.cut_handshake(buf) -> messages, rest: the complete handshake messages (type, u24
-- length, body; RFC 8446 4) at the front of buf, and the bytes of an incomplete one.
function M.cut_handshake(buf)
  local out, pos = {}, 1
  while #buf - pos + 1 >= 4 do
    local len = (buf:byte(pos + 1) << 16) | (buf:byte(pos + 2) << 8) | buf:byte(pos + 3)
    if #buf - pos + 1 < 4 + len then break end
    out[#out + 1] = buf:sub(pos, pos + 3 + len)
    pos = pos + 4 + len
  end
  return out, buf:sub(pos)
end

return M
