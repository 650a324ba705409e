-- decode: read the fields a person cares about out of raw TLS 1.3 handshake messages,
-- for the CLI trace, the ladder and the demo.
--
-- Why here and not in the module: message hooks hand us `msg.raw` (header + body) and the
-- type, but no parsed fields yet (SCRIPTING.md 6.4 promises them; bindings/ will grow
-- them). Until then this small reader walks the RFC 8446 structures itself. It is
-- forgiving: a malformed or truncated message yields what could be read plus `err`, never
-- an error, because a trace must never break the connection it watches.
local names = require "moontls.names"

local M = {}

-- ---------------------------------------------------------------------------------
-- A bounds-checked reader over a byte string. Every read returns nil past the end.
-- ---------------------------------------------------------------------------------

local Reader = {}
Reader.__index = Reader

local function reader(s, i, j)
  return setmetatable({ s = s, i = i or 1, j = j or #s }, Reader)
end

function Reader:left() return self.j - self.i + 1 end

function Reader:bytes(n)
  if n == nil or n < 0 or self:left() < n then return nil end
  local b = self.s:sub(self.i, self.i + n - 1)
  self.i = self.i + n
  return b
end

function Reader:uint(n)
  local b = self:bytes(n)
  if not b then return nil end
  local v = 0
  for k = 1, n do v = v * 256 + b:byte(k) end
  return v
end

-- A length-prefixed vector (prefix of n bytes) as a sub-reader.
function Reader:vector(n)
  local len = self:uint(n)
  if not len or self:left() < len then return nil end
  local sub = reader(self.s, self.i, self.i + len - 1)
  self.i = self.i + len
  return sub
end

-- ---------------------------------------------------------------------------------
-- Names
-- ---------------------------------------------------------------------------------

local EXT_NAMES = {
  [0] = "server_name", [1] = "max_fragment_length", [5] = "status_request",
  [10] = "supported_groups", [11] = "ec_point_formats", [13] = "signature_algorithms",
  [14] = "use_srtp", [15] = "heartbeat", [16] = "alpn", [18] = "sct",
  [21] = "padding", [22] = "encrypt_then_mac", [23] = "extended_master_secret",
  [27] = "compress_certificate", [28] = "record_size_limit", [35] = "session_ticket",
  [41] = "pre_shared_key", [42] = "early_data", [43] = "supported_versions",
  [44] = "cookie", [45] = "psk_key_exchange_modes", [47] = "certificate_authorities",
  [48] = "oid_filters", [49] = "post_handshake_auth", [50] = "signature_algorithms_cert",
  [51] = "key_share", [57] = "quic_transport_parameters", [0xff01] = "renegotiation_info",
}
M.EXT_NAMES = EXT_NAMES

local function hex(b)
  return (b:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end
M.hex = hex

-- A short hex preview: the first n bytes and an ellipsis when there is more.
local function preview(b, n)
  n = n or 8
  if #b <= n then return hex(b) end
  return hex(b:sub(1, n)) .. ".."
end
M.preview = preview

local function vname(v)
  return names.versions[v] and ("TLS" .. names.versions[v]) or ("0x%04x"):format(v)
end
M.version_name = vname

local function sname(tbl, v) return tbl[v] or ("0x%04x"):format(v) end

function M.suite_name(v) return sname(names.suites, v) end
function M.group_name(v) return sname(names.groups, v) end
function M.sigalg_name(v) return sname(names.sigalgs, v) end

-- Handshake type names as the RFC writes them (ClientHello, not client_hello).
local PRETTY = {
  client_hello = "ClientHello", server_hello = "ServerHello",
  hello_retry_request = "HelloRetryRequest", new_session_ticket = "NewSessionTicket",
  end_of_early_data = "EndOfEarlyData", encrypted_extensions = "EncryptedExtensions",
  certificate = "Certificate", certificate_request = "CertificateRequest",
  certificate_verify = "CertificateVerify", finished = "Finished", key_update = "KeyUpdate",
  change_cipher_spec = "ChangeCipherSpec", alert = "Alert", application_data = "ApplicationData",
  message_hash = "MessageHash",
}

function M.pretty(type_name)
  return PRETTY[type_name] or type_name
end

-- ---------------------------------------------------------------------------------
-- DER: just enough to print a certificate's subject and issuer
-- ---------------------------------------------------------------------------------

-- One TLV at the reader's position: tag, content sub-reader.
local function der_tlv(r)
  local tag = r:uint(1)
  local len = r:uint(1)
  if not tag or not len then return nil end
  if len >= 0x80 then
    local n = len - 0x80
    if n < 1 or n > 4 then return nil end
    len = r:uint(n)
    if not len then return nil end
  end
  if r:left() < len then return nil end
  local sub = reader(r.s, r.i, r.i + len - 1)
  r.i = r.i + len
  return tag, sub
end

local ATTR = {
  ["\x55\x04\x03"] = "CN", ["\x55\x04\x06"] = "C", ["\x55\x04\x07"] = "L",
  ["\x55\x04\x08"] = "ST", ["\x55\x04\x0a"] = "O", ["\x55\x04\x0b"] = "OU",
}

-- Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY } -> "O=.., CN=.."
local function der_name(r)
  local parts = {}
  while r:left() > 0 do
    local tag, set = der_tlv(r)
    if tag ~= 0x31 then break end
    while set:left() > 0 do
      local t2, atv = der_tlv(set)
      if t2 ~= 0x30 then break end
      local t3, oid = der_tlv(atv)
      local t4, val = der_tlv(atv)
      if t3 == 6 and t4 then
        local key = ATTR[oid:bytes(oid:left())] or "?"
        parts[#parts + 1] = key .. "=" .. val:bytes(val:left())
      end
    end
  end
  return table.concat(parts, ", ")
end

-- Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serial,
-- signature, issuer, validity, subject, ... }, ... }. Returns subject, issuer or nil.
function M.cert_names(der)
  local r = reader(der)
  local tag, cert = der_tlv(r)
  if tag ~= 0x30 then return nil end
  local tbs
  tag, tbs = der_tlv(cert)
  if tag ~= 0x30 then return nil end
  local fields = {}
  while tbs:left() > 0 and #fields < 6 do
    local t, v = der_tlv(tbs)
    if not t then return nil end
    if t ~= 0xa0 then fields[#fields + 1] = { t, v } end
  end
  -- serial, signature, issuer, validity, subject
  if #fields < 5 or fields[3][1] ~= 0x30 or fields[5][1] ~= 0x30 then return nil end
  return der_name(fields[5][2]), der_name(fields[3][2])
end

-- ---------------------------------------------------------------------------------
-- Extensions
-- ---------------------------------------------------------------------------------

local function u16_list(r, fn)
  local out = {}
  while r and r:left() >= 2 do out[#out + 1] = fn(r:uint(2)) end
  return out
end

-- Decode one extension's data into readable fields, by type and by who sent it.
-- `hs` is the handshake type the extension sits in.
local function ext_fields(code, data, hs)
  local r = reader(data)
  local f = {}
  if code == 0 then -- server_name
    local list = r:vector(2)
    while list and list:left() > 0 do
      local kind = list:uint(1)
      local name = list:vector(2)
      if kind == 0 and name then f.host = name:bytes(name:left()) end
      if not name then break end
    end
  elseif code == 43 then -- supported_versions
    if hs == "client_hello" then
      f.versions = u16_list(r:vector(1), vname)
    else
      local v = r:uint(2)
      f.selected = v and vname(v)
    end
  elseif code == 10 then
    f.groups = u16_list(r:vector(2), M.group_name)
  elseif code == 13 or code == 50 then
    f.schemes = u16_list(r:vector(2), M.sigalg_name)
  elseif code == 16 then -- ALPN
    local list = r:vector(2)
    f.protocols = {}
    while list and list:left() > 0 do
      local p = list:vector(1)
      if not p then break end
      f.protocols[#f.protocols + 1] = p:bytes(p:left())
    end
  elseif code == 51 then -- key_share
    if hs == "client_hello" then
      local list = r:vector(2)
      f.shares = {}
      while list and list:left() >= 4 do
        local g = list:uint(2)
        local k = list:vector(2)
        if not k then break end
        f.shares[#f.shares + 1] = { group = M.group_name(g), key = k:bytes(k:left()) }
      end
    elseif hs == "hello_retry_request" then
      local g = r:uint(2)
      f.selected_group = g and M.group_name(g)
    else
      local g = r:uint(2)
      local k = r:vector(2)
      f.share = g and { group = M.group_name(g), key = k and k:bytes(k:left()) or "" }
    end
  elseif code == 45 then
    f.modes = {}
    local list = r:vector(1)
    while list and list:left() > 0 do
      local m = list:uint(1)
      f.modes[#f.modes + 1] = m == 1 and "psk_dhe_ke" or m == 0 and "psk_ke" or tostring(m)
    end
  end
  return f
end

local function extensions(r, hs)
  local list = {}
  local block = r:vector(2)
  if not block then return list, r:left() > 0 and "extensions truncated" or nil end
  while block:left() > 0 do
    local code = block:uint(2)
    local data = block:vector(2)
    if not code or not data then return list, "extension truncated" end
    local bytes = data:bytes(data:left())
    local e = ext_fields(code, bytes, hs)
    e.code = code
    e.name = EXT_NAMES[code] or ("ext_" .. code)
    e.data = bytes
    list[#list + 1] = e
  end
  return list
end

function M.find_ext(msg, name)
  for _, e in ipairs(msg.extensions or {}) do
    if e.name == name then return e end
  end
end

-- ---------------------------------------------------------------------------------
-- Messages
-- ---------------------------------------------------------------------------------

local body_decoders = {}

body_decoders.client_hello = function(m, r)
  m.legacy_version = r:uint(2)
  m.random = r:bytes(32)
  local sid = r:vector(1)
  m.session_id = sid and sid:bytes(sid:left()) or ""
  m.cipher_suites = u16_list(r:vector(2), M.suite_name)
  r:vector(1) -- legacy_compression_methods
  m.extensions, m.err = extensions(r, "client_hello")
end

body_decoders.server_hello = function(m, r)
  m.legacy_version = r:uint(2)
  m.random = r:bytes(32)
  local sid = r:vector(1)
  m.session_id = sid and sid:bytes(sid:left()) or ""
  local cs = r:uint(2)
  m.cipher_suite = cs and M.suite_name(cs)
  r:uint(1) -- legacy_compression_method
  if m.random == names.HRR_RANDOM then m.type = "hello_retry_request" end
  m.extensions, m.err = extensions(r, m.type)
end

body_decoders.encrypted_extensions = function(m, r)
  m.extensions, m.err = extensions(r, "encrypted_extensions")
end

body_decoders.certificate = function(m, r)
  local ctx = r:vector(1)
  m.request_context = ctx and ctx:bytes(ctx:left()) or ""
  local list = r:vector(3)
  m.certificates = {}
  while list and list:left() > 0 do
    local c = list:vector(3)
    local ext = list:vector(2)
    if not c or not ext then m.err = "certificate entry truncated"; break end
    local der = c:bytes(c:left())
    local subject, issuer = M.cert_names(der)
    m.certificates[#m.certificates + 1] = { der = der, subject = subject, issuer = issuer }
  end
end

body_decoders.certificate_verify = function(m, r)
  local s = r:uint(2)
  m.scheme = s and M.sigalg_name(s)
  local sig = r:vector(2)
  m.signature = sig and sig:bytes(sig:left()) or ""
end

body_decoders.finished = function(m, r)
  m.verify_data = r:bytes(r:left())
end

body_decoders.new_session_ticket = function(m, r)
  m.lifetime = r:uint(4)
  m.age_add = r:uint(4)
  local nonce = r:vector(1)
  local ticket = r:vector(2)
  m.ticket_len = ticket and ticket:left() or 0
  m.nonce = nonce and nonce:bytes(nonce:left()) or ""
end

body_decoders.key_update = function(m, r)
  local v = r:uint(1)
  m.request_update = v == 1
end

-- decode(type_name, raw) -> table with `type`, `length` (body) and the fields read.
-- `raw` is the full handshake message (4-byte header + body) as message hooks give it.
function M.message(type_name, raw)
  local m = { type = type_name, size = #raw }
  local r = reader(raw)
  if type_name == "change_cipher_spec" or type_name == "application_data" then return m end
  if type_name == "alert" then
    local level, code = raw:byte(1, 2)
    m.level = level == 1 and "warning" or level == 2 and "fatal" or tostring(level)
    m.description = code and (require("moontls").alerts[code] or tostring(code))
    return m
  end
  r:uint(1)
  m.length = r:uint(3)
  local body = r:left() >= (m.length or 0) and reader(raw, 5, 4 + (m.length or 0)) or nil
  if type_name == "hello_retry_request" then type_name = "server_hello" end
  local dec = body_decoders[type_name]
  if dec and body then
    local ok, err = pcall(dec, m, body)
    if not ok then m.err = tostring(err) end
  elseif not body then
    m.err = "truncated"
  end
  return m
end

-- A one-line summary of the fields that matter, for traces: "suite=.. group=..".
function M.summary(m)
  local t = {}
  local function add(fmt, ...) t[#t + 1] = fmt:format(...) end
  local ty = m.type
  if ty == "client_hello" then
    local sv = M.find_ext(m, "supported_versions")
    if sv and sv.versions then add("versions=%s", table.concat(sv.versions, ",")) end
    add("suites=%s", table.concat(m.cipher_suites or {}, ","))
    local g = M.find_ext(m, "supported_groups")
    if g and g.groups then add("groups=%s", table.concat(g.groups, ",")) end
    local ks = M.find_ext(m, "key_share")
    if ks and ks.shares then
      local s = {}
      for _, sh in ipairs(ks.shares) do s[#s + 1] = ("%s(%dB)"):format(sh.group, #sh.key) end
      add("key_share=%s", table.concat(s, ","))
    end
    local sni = M.find_ext(m, "server_name")
    if sni and sni.host then add("sni=%s", sni.host) end
    local alpn = M.find_ext(m, "alpn")
    if alpn then add("alpn=%s", table.concat(alpn.protocols, ",")) end
    if m.random then add("random=%s", preview(m.random)) end
  elseif ty == "server_hello" or ty == "hello_retry_request" then
    local sv = M.find_ext(m, "supported_versions")
    if sv and sv.selected then add("version=%s", sv.selected) end
    if m.cipher_suite then add("suite=%s", m.cipher_suite) end
    local ks = M.find_ext(m, "key_share")
    if ks and ks.share then add("key_share=%s(%dB)", ks.share.group, #ks.share.key) end
    if ks and ks.selected_group then add("selected_group=%s", ks.selected_group) end
    if m.random and ty == "server_hello" then add("random=%s", preview(m.random)) end
  elseif ty == "encrypted_extensions" then
    local n = {}
    for _, e in ipairs(m.extensions or {}) do n[#n + 1] = e.name end
    add("extensions=[%s]", table.concat(n, ","))
    local alpn = M.find_ext(m, "alpn")
    if alpn and alpn.protocols[1] then add("alpn=%s", alpn.protocols[1]) end
  elseif ty == "certificate" then
    local certs = m.certificates or {}
    add("certificates=%d", #certs)
    if certs[1] and certs[1].subject then add("subject=\"%s\"", certs[1].subject) end
    if certs[1] and certs[1].issuer then add("issuer=\"%s\"", certs[1].issuer) end
  elseif ty == "certificate_verify" then
    if m.scheme then add("scheme=%s", m.scheme) end
    if m.signature then add("signature=%dB", #m.signature) end
  elseif ty == "finished" then
    if m.verify_data then add("verify_data=%s", preview(m.verify_data)) end
  elseif ty == "new_session_ticket" then
    if m.lifetime then add("lifetime=%ds ticket=%dB", m.lifetime, m.ticket_len) end
  elseif ty == "key_update" then
    add("request_update=%s", tostring(m.request_update))
  elseif ty == "alert" then
    add("%s %s", m.level or "?", m.description or "?")
  end
  if m.err then add("(%s)", m.err) end
  return table.concat(t, " ")
end

return M
