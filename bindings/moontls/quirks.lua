-- moontls.quirks: declarative misbehaviour (SCRIPTING.md 6.6), BoGo's ProtocolBugs in
-- the shape of tlsfuzzer's modifiers. Every quirk is plain Lua over the public hooks
-- (message_out, record_out, wire_out, key_share, verify_data): set it in
-- tls.context{quirks = {...}} or with conn:quirk(name, value), and the connection gets
-- one hook per point it needs, which applies all of its quirks in a fixed order. Only
-- hello_retry needs the config (mt_config_force_hrr), outer_type one event knob
-- (mt_conn_event_set_outer_type, conn:_event_outer_type), and app_data_early = "after_ccs"
-- injects a record ahead of a message (ev.inject, mt_conn_inject_at).
--
-- Decision versus wire: quirks change what goes on the wire; the engine's state stays
-- what it negotiated (a lie in send_cipher_suite does not change the suite we use). The
-- transcript hashes what was sent, except where a quirk says otherwise (split_across
-- hashes the unsplit message, as the peer must see it once reassembled).
--
-- Misuse (unknown quirk, wrong value) raises "tls.quirks: ..."; what this build cannot
-- do (none today) returns nil, "unsupported: ...", "UNSUPPORTED".
local core = require "moontls.core"
local names = require "moontls.names"
local ext = require "moontls.ext"

local M = {}
local Conn = core.Conn

local MAX_PLAIN = 16384

local function bad(fmt, ...)
  error("tls.quirks: " .. fmt:format(...), 0)
end

-- ---------------------------------------------------------------------------------
-- Values
-- ---------------------------------------------------------------------------------

local function code16(key, tbl, v, what)
  local c, err = names.code(tbl, v, what)
  if not c then bad("%s: %s", key, err) end
  return c
end

local function version(key, v) return code16(key, names.versions, v, "version") end

local function list_of(key, v, one)
  if type(v) ~= "table" then v = { v } end
  if #v == 0 then bad("%s: non-empty list expected", key) end
  local out = {}
  for i, x in ipairs(v) do out[i] = one(("%s[%d]"):format(key, i), x) end
  return out
end

local function boolean(key, v)
  if type(v) ~= "boolean" then bad("%s: boolean expected, got %s", key, type(v)) end
  return v
end

local function count(key, v, lo, hi)
  if math.type(v) ~= "integer" or v < lo or v > hi then
    bad("%s: integer %d..%d expected, got %s", key, lo, hi, tostring(v))
  end
  return v
end

local function byte_code(key, tbl, v, what)
  local c = code16(key, tbl, v, what)
  if c > 255 then bad("%s: %s %d does not fit a byte", key, what, c) end
  return c
end

-- Message names as hooks see msg.type: handshake types, plus hello_retry_request and
-- change_cipher_spec.
local SPECIAL = { hello_retry_request = true, change_cipher_spec = true }
local function msg_name(key, v)
  if type(v) == "string" and SPECIAL[v] then return v end
  local c = code16(key, names.messages, v, "handshake message")
  local n = names.messages[c]
  if type(n) ~= "string" then bad("%s: unknown handshake message %s", key, tostring(v)) end
  return n
end

local function msg_set(key, v)
  local set = {}
  for _, n in ipairs(list_of(key, v, msg_name)) do set[n] = true end
  return set
end

local function msg_map(key, v, value)
  if type(v) ~= "table" then bad("%s: table {message = value} expected", key) end
  local out = {}
  for k, x in pairs(v) do out[msg_name(key, k)] = value(("%s.%s"):format(key, tostring(k)), x) end
  return out
end

local INVALID_SHARES = { off_curve = true, zero = true, low_order = true, truncate = true, pad = true }

-- Each entry: normalize(key, value) -> value; raises on misuse.
local SPEC = {
  record_version = version,
  initial_record_version = version,
  max_fragment = function(k, v) return count(k, v, 1, MAX_PLAIN) end,
  pack_flight = boolean,
  empty_records = function(k, v) return count(k, v, 0, 15) end,
  record_padding = function(k, v)
    if type(v) == "function" then return v end
    return count(k, v, 0, 0xFFFF)
  end,
  oversize_records = boolean,
  outer_type = function(k, v) return byte_code(k, names.content_types, v, "content type") end,
  ccs = function(k, v)
    if type(v) ~= "table" then bad("%s: table {extra=, early=, skip=, split_across=, after_finished=} expected", k) end
    local out = {}
    for f, x in pairs(v) do
      if f == "extra" then
        if x == true then x = 1 elseif x == false then x = 0 end
        out.extra = count(k .. ".extra", x, 0, 14)
      elseif f == "early" or f == "skip" or f == "split_across" or f == "after_finished" then
        out[f] = boolean(k .. "." .. f, x)
      else
        bad("%s: unknown field %q", k, tostring(f))
      end
    end
    return out
  end,
  skip = msg_set,
  duplicate = msg_set,
  reorder = function(k, v)
    if type(v) ~= "table" or #v ~= 2 then bad("%s: {first, second} expected", k) end
    return { msg_name(k .. "[1]", v[1]), msg_name(k .. "[2]", v[2]) }
  end,
  wrong_type = function(k, v)
    return msg_map(k, v, function(kk, x) return byte_code(kk, names.messages, x, "handshake type") end)
  end,
  trailing = function(k, v)
    return msg_map(k, v, function(kk, x)
      if type(x) ~= "string" then bad("%s: bytes expected, got %s", kk, type(x)) end
      return x
    end)
  end,
  bad_finished = boolean,
  bad_signature = boolean,
  bad_binder = boolean,
  key_share = function(k, v)
    if type(v) ~= "table" then bad("%s: {invalid = kind} expected", k) end
    for f in pairs(v) do
      if f ~= "invalid" then bad("%s: unknown field %q", k, tostring(f)) end
    end
    if not INVALID_SHARES[v.invalid] then
      bad("%s.invalid: \"off_curve\", \"zero\", \"low_order\", \"truncate\" or \"pad\" expected, got %s",
          k, tostring(v.invalid))
    end
    return { invalid = v.invalid }
  end,
  hello_retry = function(k, v)
    if v == true then return { group = 0, twice = false } end
    if type(v) ~= "table" then bad("%s: true or {group=, cookie=, twice=} expected", k) end
    local out = { group = 0, twice = false }
    for f, x in pairs(v) do
      if f == "group" then
        out.group = code16(k .. ".group", names.groups, x, "group")
      elseif f == "cookie" or f == "twice" then
        out[f] = boolean(k .. "." .. f, x)
      else
        bad("%s: unknown field %q", k, tostring(f))
      end
    end
    return out
  end,
  send_version = version,
  send_supported_versions = function(k, v) return list_of(k, v, version) end,
  send_cipher_suite = function(k, v)
    return list_of(k, v, function(kk, x) return code16(kk, names.suites, x, "suite") end)
  end,
  send_alpn = function(k, v)
    return list_of(k, v, function(kk, x)
      if type(x) ~= "string" or #x < 1 or #x > 255 then bad("%s: 1..255 byte string expected", kk) end
      return x
    end)
  end,
  send_session_id = function(k, v)
    if type(v) ~= "string" or #v > 255 then bad("%s: bytes (at most 255) expected", k) end
    return v
  end,
  send_compression = function(k, v)
    return list_of(k, v, function(kk, x) return count(kk, x, 0, 255) end)
  end,
  duplicate_extension = function(k, v)
    return msg_map(k, v, function(kk, x)
      return list_of(kk, x, function(k3, e)
        local c = code16(k3, names.extensions, e, "extension")
        return names.extensions[c] or c
      end)
    end)
  end,
  app_data_early = function(k, v)
    if v ~= "before_handshake" and v ~= "after_ccs" then
      bad("%s: \"before_handshake\" or \"after_ccs\" expected, got %s", k, tostring(v))
    end
    return v
  end,
}

-- Quirks this build knows by name but cannot do yet.
local UNSUPPORTED = {}

-- Which hooks each quirk needs; hello_retry and pack_flight need none.
local NEEDS = {
  record_version = { "record_out" }, initial_record_version = { "record_out" },
  max_fragment = { "record_out", "wire_out" }, empty_records = { "record_out", "wire_out" },
  record_padding = { "record_out" }, oversize_records = { "record_out" },
  outer_type = { "record_out" },
  ccs = { "message_out", "wire_out" },
  skip = { "message_out" }, duplicate = { "message_out" }, reorder = { "message_out" },
  wrong_type = { "message_out" }, trailing = { "message_out" },
  bad_finished = { "verify_data" }, bad_signature = { "message_out" },
  bad_binder = { "psk_binder" },
  key_share = { "message_out", "key_share" },
  send_version = { "message_out" }, send_supported_versions = { "message_out" },
  send_cipher_suite = { "message_out" }, send_alpn = { "message_out" },
  send_session_id = { "message_out" }, send_compression = { "message_out" },
  duplicate_extension = { "message_out" },
  app_data_early = { "message_out", "wire_out" },
  pack_flight = {}, hello_retry = {},
}

-- The names, sorted: tls.quirks.names.
M.names = {}
for k in pairs(SPEC) do M.names[#M.names + 1] = k end
table.sort(M.names)

-- Normalize one quirk. Returns the value, or nil, err, NAME for an unsupported one.
function M.check(name, value)
  if UNSUPPORTED[name] then return nil, "unsupported: quirk " .. UNSUPPORTED[name], "UNSUPPORTED" end
  local f = SPEC[name]
  if not f then bad("unknown quirk %q", tostring(name)) end
  if value == nil or value == false then return false end -- off
  return f(name, value)
end

-- Normalize a whole quirks table. Returns the table, or nil, err, NAME.
function M.validate(quirks)
  if type(quirks) ~= "table" then bad("table of quirks expected, got %s", type(quirks)) end
  local out = {}
  for k, v in pairs(quirks) do
    if type(k) ~= "string" then bad("quirk names are strings, got %s", type(k)) end
    local n, err, name = M.check(k, v)
    if n == nil then return nil, err, name end
    if n ~= false then out[k] = n end
  end
  if out.pack_flight and (out.max_fragment or out.empty_records) then
    bad("pack_flight conflicts with max_fragment and empty_records")
  end
  return out
end

-- Apply what lives in the config: hello_retry (server only).
function M.configure(ctx, quirks, server)
  local h = quirks.hello_retry
  if h then
    if not server then bad("hello_retry: a server quirk") end
    local rc = ctx:_q_force_hrr(h.group, h.twice)
    if rc ~= 0 then return core.fail(rc, "quirks.hello_retry") end
    if h.cookie ~= nil then ctx:_set_hrr_cookie(h.cookie) end
  end
  return true
end

-- ---------------------------------------------------------------------------------
-- Wire helpers
-- ---------------------------------------------------------------------------------

-- A plaintext record (TLS 1.3 uses 0x0303 in every record but the first ClientHello).
local function plain_record(ct, payload, ver)
  return string.pack(">BI2s2", ct, ver or 0x0303, payload)
end
M.plain_record = plain_record
local CCS_RECORD = plain_record(20, "\1")

local function flip_last(b)
  if #b == 0 then return "\1" end
  return b:sub(1, -2) .. string.char(b:byte(-1) ~ 0x01)
end

-- A handshake message's bytes with `extra` after the body and the header length fixed.
local function with_trailing(bytes, extra)
  local body = bytes:sub(5) .. extra
  return bytes:sub(1, 1) .. string.pack(">I3", #body) .. body
end

local function random_bytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(math.random(0, 255)) end
  return table.concat(t)
end

-- Public key bytes that are invalid in the way asked, and a private key the engine
-- accepts for the group (the engine sends the bytes, keeps its own key pair).
local X25519_ORDER8 = "\xe0\xeb\x7a\x7c\x3b\x41\xb8\xae\x16\x56\xe3\xfa\xf1\x9f\xc4\x6a"
  .. "\xda\x09\x8d\xeb\x9c\x32\xb1\xfd\x86\x62\x05\x16\x5f\x49\xb8\x00"
local NIST = { secp256r1 = 32, secp384r1 = 48, secp521r1 = 66 }
local XDH = { x25519 = 32, x448 = 56 }

local function invalid_share(group, kind)
  local n = NIST[group]
  if n then
    local priv = "\1" .. random_bytes(n - 1)
    if kind == "zero" then return priv, "\4" .. ("\0"):rep(2 * n) end
    if kind == "off_curve" then -- (1, 1): y^2 = x^3 - 3x + b fails on every NIST curve
      return priv, "\4" .. ("\0"):rep(n - 1) .. "\1" .. ("\0"):rep(n - 1) .. "\1"
    end
    error(("key_share.invalid = %q: %s has no low-order points (use zero or off_curve)"):format(kind, group), 0)
  end
  n = XDH[group]
  if n then
    local priv = random_bytes(n)
    if kind == "zero" then return priv, ("\0"):rep(n) end
    if kind == "low_order" then
      if group == "x25519" then return priv, X25519_ORDER8 end
      return priv, "\1" .. ("\0"):rep(n - 1) -- u = 1: small order, the shared secret is zero
    end
    error(("key_share.invalid = \"off_curve\": %s accepts every u (use zero or low_order)"):format(group), 0)
  end
  error(("key_share.invalid = %q: not for group %s (truncate and pad work on every group)")
    :format(kind, tostring(group)), 0)
end

-- ---------------------------------------------------------------------------------
-- Per-connection state and hooks
-- ---------------------------------------------------------------------------------

local STATE = setmetatable({}, { __mode = "k" }) -- conn -> {q=, installed=, ...}

local function state(conn)
  local S = STATE[conn]
  if not S then
    S = { q = {}, installed = {}, records = 0, writes = 0 }
    STATE[conn] = S
  end
  return S
end

local HOOKS = {}

-- Lies and broken shares: edits of the message table, before it is encoded.
local function edit_fields(q, conn, msg)
  local t = msg.type
  if t == "client_hello" then
    if q.send_version then msg.legacy_version = q.send_version end
    if q.send_session_id then msg.legacy_session_id = q.send_session_id end
    if q.send_compression then msg.legacy_compression_methods = q.send_compression end
    if q.send_cipher_suite then msg.cipher_suites = q.send_cipher_suite end
    if q.send_supported_versions then
      local e = ext.find(msg, "supported_versions")
      if e then e.versions = q.send_supported_versions
      else ext.insert(msg, { type = "supported_versions", versions = q.send_supported_versions }) end
    end
    if q.send_alpn then
      local e = ext.find(msg, "alpn")
      if e then e.protocol_name_list = q.send_alpn
      else ext.insert(msg, { type = "alpn", protocol_name_list = q.send_alpn }) end
    end
  elseif t == "server_hello" then
    if q.send_version then msg.legacy_version = q.send_version end
    if q.send_session_id then msg.legacy_session_id_echo = q.send_session_id end
    if q.send_compression then msg.legacy_compression_method = q.send_compression[1] end
    if q.send_cipher_suite then msg.cipher_suite = q.send_cipher_suite[1] end
    if q.send_supported_versions then
      local e = ext.find(msg, "supported_versions")
      if e then e.selected_version = q.send_supported_versions[1] end
    end
  elseif t == "encrypted_extensions" and q.send_alpn then
    local e = ext.find(msg, "alpn")
    local list = { q.send_alpn[1] }
    if e then e.protocol_name_list = list
    else ext.insert(msg, { type = "alpn", protocol_name_list = list }) end
  end
  local dup = q.duplicate_extension and q.duplicate_extension[t]
  if dup then
    for _, e in ipairs(dup) do
      if ext.find(msg, e) then ext.duplicate(msg, e) end
    end
  end
  local ks = q.key_share
  if ks and (ks.invalid == "truncate" or ks.invalid == "pad") then
    local e = (t == "client_hello" or t == "server_hello") and ext.find(msg, "key_share")
    local entries = e and (e.client_shares or (e.key_exchange and { e })) or {}
    for _, s in ipairs(entries) do
      if ks.invalid == "truncate" then s.key_exchange = s.key_exchange:sub(1, -2)
      else s.key_exchange = s.key_exchange .. "\0" end
    end
  end
end

function HOOKS.message_out(conn, msg, ev)
  local S = state(conn)
  local q = S.q
  local t = msg.type
  local before = ev.encode()
  edit_fields(q, conn, msg)
  local bytes = ev.encode()
  local hs = msg.content_type == 22
  if hs and q.wrong_type and q.wrong_type[t] then
    bytes = string.char(q.wrong_type[t]) .. bytes:sub(2)
  end
  if hs and q.trailing and q.trailing[t] then bytes = with_trailing(bytes, q.trailing[t]) end
  if q.bad_signature and t == "certificate_verify" then bytes = flip_last(bytes) end
  if q.ccs and q.ccs.split_across and t == "server_hello" and not S.split_done then
    -- The first half now, the rest right after the compatibility CCS (wire_out); the
    -- transcript takes the whole message, as the peer reassembles it.
    S.split_done = true
    local half = #bytes // 2
    S.split_rest = bytes:sub(half + 1)
    ev.hash = false
    return bytes:sub(1, half) -- (with hash = false the engine hashes its own encoding)
  end
  if q.ccs and t == "change_cipher_spec" and q.ccs.skip then return false end
  if q.ccs and q.ccs.after_finished and t == "finished" and not S.late_ccs then
    S.late_ccs = "pending" -- wire_out appends a plaintext CCS to the Finished record
  end
  if q.app_data_early == "after_ccs" and hs and ev.epoch ~= "initial" and not S.ad_sent then
    -- An application data record right after the CCS, under the handshake keys: ahead of
    -- the first handshake message those keys protect (the client's Finished, the
    -- server's EncryptedExtensions), which itself goes out unchanged.
    S.ad_sent = true
    local ok, err = ev.inject("application_data", "early application data", { position = "next" })
    if not ok then error("app_data_early: " .. tostring(err), 0) end
  end
  if q.skip and q.skip[t] then return false end
  local out = { bytes }
  if q.duplicate and q.duplicate[t] then out[2] = bytes end
  if q.reorder then
    if t == q.reorder[1] and not S.held_msg and not S.reordered then
      S.held_msg = out
      return false
    end
    if t == q.reorder[2] and S.held_msg then
      for _, b in ipairs(S.held_msg) do out[#out + 1] = b end
      S.held_msg, S.reordered = nil, true
    end
  end
  if #out == 1 and bytes == before then return nil end
  return out
end

function HOOKS.record_out(conn, rec, ev)
  local S = state(conn)
  local q = S.q
  S.records = S.records + 1
  local protected = ev.epoch ~= "initial"
  if q.initial_record_version and S.records == 1 then
    rec.version = q.initial_record_version
  elseif q.record_version then
    rec.version = q.record_version
  end
  if protected and q.record_padding then
    local p = q.record_padding
    if type(p) == "function" then
      p = p(rec, ev)
      if math.type(p) ~= "integer" or p < 0 or p > 0xFFFF then
        error("record_padding function: integer 0..65535 expected, got " .. tostring(p), 0)
      end
    end
    rec.padding = p
  end
  if protected and q.outer_type then
    local rc = conn:_event_outer_type(q.outer_type)
    if rc ~= 0 then error("outer_type: " .. select(2, core.fail(rc)), 0) end
  end
  local pieces = { rec.payload }
  local changed = false
  local ct = rec.content_type
  if q.oversize_records and (ct == 22 or ct == 23) and rec.type == names.content_types[ct] then
    -- Merge each full-size record with the next one into a record over 2^14 bytes.
    if S.held_record then
      pieces[1] = S.held_record .. pieces[1]
      S.held_record = nil
      changed = true
    elseif #pieces == 1 and #pieces[1] >= MAX_PLAIN then
      S.held_record = pieces[1]
      return false
    end
  end
  if ct == 22 and rec.type == "handshake" and protected
      and (q.max_fragment or (q.empty_records or 0) > 0) then
    -- Protected records: the engine seals at most 16 records per event, so the pieces
    -- are max(n, ceil(len / room)) bytes. Plaintext ones are cut exactly in wire_out.
    local per = (q.empty_records or 0) + 1
    local room = 16 // per
    local out = {}
    for _, p in ipairs(pieces) do
      local size = math.max(q.max_fragment or #p, (#p + room - 1) // room, 1)
      for i = 1, math.max(#p, 1), size do
        for _ = 1, per - 1 do out[#out + 1] = "" end
        out[#out + 1] = p:sub(i, i + size - 1)
      end
    end
    pieces, changed = out, true
  end
  if #pieces > 16 then error(("record_out: %d records from one (at most 16)"):format(#pieces), 0) end
  if changed then return pieces end
  return nil
end

function HOOKS.wire_out(conn, bytes, ev)
  local S = state(conn)
  local q = S.q
  S.writes = S.writes + 1
  local out = { bytes }
  local changed = false
  if S.writes == 1 then
    if q.app_data_early == "before_handshake" then
      table.insert(out, 1, plain_record(23, "early application data"))
      changed = true
    end
    if q.ccs and q.ccs.early then
      table.insert(out, 1, CCS_RECORD)
      changed = true
    end
  end
  if bytes:byte(1) == 22 and (q.max_fragment or (q.empty_records or 0) > 0) then
    -- Plaintext handshake records (the initial epoch): cut exactly, empties before each.
    local parts, pos = {}, 1
    while pos + 4 <= #bytes do
      local t, v, len = string.unpack(">BI2I2", bytes, pos)
      local payload = bytes:sub(pos + 5, pos + 4 + len)
      pos = pos + 5 + len
      local size = q.max_fragment or math.max(#payload, 1)
      for i = 1, math.max(#payload, 1), size do
        for _ = 1, q.empty_records or 0 do parts[#parts + 1] = plain_record(t, "", v) end
        parts[#parts + 1] = plain_record(t, payload:sub(i, i + size - 1), v)
      end
    end
    out[#out] = table.concat(parts)
    changed = true
  end
  if S.late_ccs == "pending" and ev.epoch ~= "initial" then
    -- The record that carries our Finished: a plaintext CCS right after it.
    S.late_ccs = "sent"
    out[#out + 1] = CCS_RECORD
    changed = true
  end
  if bytes:byte(1) == 20 and #bytes == 6 then -- a plaintext CCS record
    if q.ccs and q.ccs.extra then
      for _ = 1, q.ccs.extra do out[#out + 1] = CCS_RECORD end
      changed = true
    end
    if S.split_rest then
      out[#out + 1] = plain_record(22, S.split_rest)
      S.split_rest = nil
      changed = true
    end
  end
  if changed then return out end
  return nil
end

function HOOKS.key_share(conn, group)
  local ks = state(conn).q.key_share
  if not ks or ks.invalid == "truncate" or ks.invalid == "pad" then return nil end
  local priv, pub = invalid_share(group, ks.invalid)
  -- Two objects: the private key to use, and the bytes to send instead of its public key.
  local rc = conn:_event_replace({ priv, pub })
  if rc ~= 0 then error("key_share: " .. select(2, core.fail(rc)), 0) end
  return nil
end

function HOOKS.verify_data(conn, side, computed)
  if state(conn).q.bad_finished then return flip_last(computed) end
  return nil
end

-- bad_binder (BoGo SendInvalidPSKBinder): on a client every PSK binder it sends is off by
-- one bit, and the server must answer decrypt_error (RFC 8446 4.2.11.2, 6.2). On a server
-- the binder it expects is off by one bit: it refuses every PSK with decrypt_error.
function HOOKS.psk_binder(conn, index, computed)
  if state(conn).q.bad_binder then return flip_last(computed) end
  return nil
end

-- Give `conn` the normalized quirks `quirks` (merged over what it has) and the hooks
-- they need.
function M.attach(conn, quirks)
  local S = state(conn)
  for k, v in pairs(quirks) do
    if v == false then S.q[k] = nil else S.q[k] = v end
  end
  -- The engine cuts every record itself, protected ones included; the hooks below
  -- still cut plaintext ones around empty records.
  if conn._set_max_fragment then
    local rc = conn:_set_max_fragment(S.q.max_fragment or 16384)
    if rc ~= 0 then error("max_fragment: the engine refused " .. tostring(S.q.max_fragment), 0) end
  end
  for k in pairs(S.q) do
    for _, h in ipairs(NEEDS[k]) do
      if not S.installed[h] then
        S.installed[h] = true
        conn:on(h, HOOKS[h])
      end
    end
  end
  return conn
end

-- conn:quirk(name, value) -> conn: set (nil or false: clear) one quirk on this
-- connection; misuse raises, an unsupported quirk returns nil, err, NAME.
-- conn:quirk(name) with no value reads it back (normalized), conn:quirks() lists them.
function Conn:quirk(name, ...)
  if select("#", ...) == 0 then return state(self).q[name] end
  local value = ...
  if name == "hello_retry" then
    bad("hello_retry changes the server's config: set it in tls.context{quirks = ...}")
  end
  local v, err, ename = M.check(name, value)
  if v == nil then return nil, err, ename end
  local q = state(self).q
  if name == "pack_flight" and v and (q.max_fragment or q.empty_records)
      or (name == "max_fragment" or name == "empty_records") and v and q.pack_flight then
    bad("pack_flight conflicts with max_fragment and empty_records")
  end
  return M.attach(self, { [name] = v })
end

function Conn:quirks()
  local out = {}
  for k, v in pairs(state(self).q) do out[k] = v end
  return out
end

return M
