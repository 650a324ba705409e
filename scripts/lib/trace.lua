-- trace: watch one connection through its hooks. Prints a readable line per handshake
-- message as it passes (direction, epoch, name, length, the fields that matter) and keeps
-- every message, record and alert that crossed the wire, in order, for the ladder.
--
--   local t = trace.new{ role = "client", out = io.stderr, quiet = false }
--   t:attach(conn)            -- before the handshake: adds hooks with conn:on()
--   ... t.events              -- what happened, for ladder.draw(t.events)
--
-- The hooks only observe (they return nil), so tracing never changes the conversation.
local decode = require "decode"

local M = {}
local Trace = {}
Trace.__index = Trace

-- Protected TLS 1.3 records carry the inner content type (1 byte) and the AEAD tag.
local function wire_size(conn, payload_len, padding, epoch)
  if epoch == "initial" then return 5 + payload_len end
  local tag = 16
  local ok, info = pcall(conn.info, conn)
  if ok and info and info.suite == "TLS_AES_128_CCM_8_SHA256" then tag = 8 end
  return 5 + payload_len + 1 + (padding or 0) + tag
end
M.wire_size = wire_size

-- opts: role ("client"|"server"), out (file, default io.stdout), quiet (no printing),
-- secrets (print each derived secret's label), prefix (string before each line),
-- app_data (print application data records too), dump (print each message as a table
-- dump under its line: the CLI's --trace).
function M.new(opts)
  opts = opts or {}
  return setmetatable({
    role = opts.role or "client", out = opts.out or io.stdout, quiet = opts.quiet,
    secrets = opts.secrets, prefix = opts.prefix or "", app_data = opts.app_data,
    dump = opts.dump,
    events = {}, messages = {},
    -- the keys each direction uses now: from records seen, and from the key schedule
    -- for what has no record yet (a fatal alert's record bypasses the hooks)
    write_epoch = "initial", read_epoch = "initial",
  }, Trace)
end

function Trace:print(fmt, ...)
  if self.quiet then return end
  self.out:write(self.prefix, fmt:format(...), "\n")
  self.out:flush()
end

-- Who sent something that went in direction dir, seen from this side.
function Trace:sender(dir)
  if dir == "out" then return self.role end
  return self.role == "client" and "server" or "client"
end

-- A message table (tls.decode's) as indented Lua-like text: strings that are not
-- printable text show as hex, raw bytes and hints are left out (the line above has the
-- length).
local function is_text(v) return not v:find("[^\32-\126]") end
local function hexs(v) return (v:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

local function dump_value(v, indent, out, depth)
  if type(v) == "string" then
    if #v > 0 and is_text(v) then out[#out + 1] = ("%q"):format(v)
    elseif #v > 256 then out[#out + 1] = ("hex(\"%s..\") --[[ %d bytes ]]"):format(hexs(v:sub(1, 64)), #v)
    else out[#out + 1] = ("hex(\"%s\")"):format(hexs(v)) end
    return
  end
  if type(v) ~= "table" then out[#out + 1] = tostring(v); return end
  if depth > 12 then out[#out + 1] = "{...}"; return end
  local keys, n = {}, #v
  -- an extension's `data` repeats its parsed fields: shown only when nothing is parsed
  local parsed = 0
  for k in pairs(v) do
    if k ~= "type" and k ~= "data" and k ~= "length" then parsed = parsed + 1 end
  end
  local skip_data = v.type ~= nil and type(v.data) == "string" and parsed > 0
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) and k ~= "raw" and k ~= "hints"
      and not (skip_data and k == "data") then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys, function(a, b)
    if a == "type" then return b ~= "type" end
    if b == "type" then return false end
    return tostring(a) < tostring(b)
  end)
  if #keys == 0 and n == 0 then out[#out + 1] = "{}"; return end
  out[#out + 1] = "{\n"
  local pad = indent .. "  "
  for _, k in ipairs(keys) do
    out[#out + 1] = pad .. (type(k) == "string" and k:match("^[%a_][%w_]*$") and k or ("[" .. tostring(k) .. "]")) .. " = "
    dump_value(v[k], pad, out, depth + 1)
    out[#out + 1] = ",\n"
  end
  for i = 1, n do
    out[#out + 1] = pad
    dump_value(v[i], pad, out, depth + 1)
    out[#out + 1] = ",\n"
  end
  out[#out + 1] = indent .. "}"
end

-- dump(msg) -> the table dump text (no trailing newline).
function M.dump(msg, indent)
  local out = {}
  dump_value(msg, indent or "", out, 0)
  return table.concat(out)
end

function Trace:on_message(conn, msg, ev)
  -- Only handshake messages get a line: CCS, alerts and application data are shown
  -- through their records and the alert hook (message_in does not fire for them).
  if msg.content_type ~= 22 then return end
  local m = decode.message(msg.type, msg.raw)
  m.dir, m.epoch, m.sender = ev.dir, ev.epoch, self:sender(ev.dir)
  if m.type == "finished" and ev.dir == "out" and self.role == "client" then
    self.after_record = "application" -- the client's next records use application keys
  end
  self.messages[#self.messages + 1] = m
  self.events[#self.events + 1] = {
    kind = "message", dir = ev.dir, sender = m.sender, epoch = ev.epoch,
    name = decode.pretty(m.type), size = #msg.raw, decoded = m,
  }
  self:print("%s [%-11s] %-20s %5dB  %s", ev.dir == "out" and "->" or "<-", ev.epoch,
    decode.pretty(m.type), #msg.raw, decode.summary(m))
  if self.dump and not self.quiet then
    -- --trace: the whole message as tls.decode gives it, one field a line
    self.out:write(self.prefix, "   ", M.dump(msg, self.prefix .. "   "), "\n")
    self.out:flush()
  end
  if self.on_decoded then self.on_decoded(m) end
end

-- The last outbound alert record not yet paired with its alert event, within a few events.
local function unpaired_alert_record(events)
  for i = #events, math.max(1, #events - 3), -1 do
    local e = events[i]
    if e.kind == "record" and e.dir == "out" and e.name == "alert" and not e.paired then return e end
  end
end

function Trace:on_record(conn, rec, ev)
  local size = wire_size(conn, #rec.payload, rec.padding, ev.epoch)
  local tname = type(rec.type) == "string" and rec.type or ("content_" .. tostring(rec.type))
  if ev.dir == "out" and tname ~= "change_cipher_spec" then
    self.write_epoch = ev.epoch
    if self.after_record and tname == "handshake" then
      self.write_epoch, self.after_record = self.after_record, nil
    end
  end
  if ev.dir == "in" and tname ~= "change_cipher_spec" then self.read_epoch = ev.epoch end
  if tname == "alert" and ev.dir == "out" then
    -- the alert hook may already have stood in for this record (see on_alert)
    local e = unpaired_alert_record(self.events)
    if e and e.synthetic then
      e.synthetic, e.paired, e.size, e.epoch = nil, true, size, ev.epoch
      return
    end
  end
  self.events[#self.events + 1] = {
    kind = "record", dir = ev.dir, sender = self:sender(ev.dir), epoch = ev.epoch,
    name = tname, size = size, payload = #rec.payload, protected = ev.epoch ~= "initial",
  }
  if tname == "application_data" and self.app_data then
    self:print("%s [%-11s] %-20s %5dB  record of %d B on the wire", ev.dir == "out" and "->" or "<-",
      ev.epoch, "ApplicationData", #rec.payload, size)
  end
end

function Trace:on_alert(conn, alert, dir)
  -- Sent alerts bypass the message and record hooks, so the alert hook is our only
  -- witness; its epoch is the one the last record in that direction used.
  local epoch = dir == "out" and self.write_epoch or self.read_epoch or "initial"
  if dir == "out" then
    -- A close_notify passes the record hook (before or after this one); a fatal alert
    -- does not: then this stands in for its record, marked synthetic.
    local e = unpaired_alert_record(self.events)
    if e and not e.synthetic then
      e.paired = true
    else
      self.events[#self.events + 1] = {
        kind = "record", dir = dir, sender = self:sender(dir), epoch = epoch, name = "alert",
        size = wire_size(conn, 2, 0, epoch), protected = epoch ~= "initial", synthetic = true,
      }
    end
  end
  self.events[#self.events + 1] = {
    kind = "alert", dir = dir, sender = self:sender(dir), epoch = epoch,
    name = ("Alert %s %s"):format(alert.level, alert.name), size = 2, alert = alert,
  }
  self.last_alert = { dir = dir, level = alert.level, name = alert.name }
  self:print("%s [%-11s] %-20s %5dB  %s %s", dir == "out" and "->" or "<-", epoch, "Alert", 2,
    tostring(alert.level), tostring(alert.name))
end

-- RFC 8446 7.1: a side writes with its handshake traffic keys once they exist, and with
-- application keys after its Finished (the server right after sending it).
local WRITE_SWITCH = {
  client = { CLIENT_HANDSHAKE_TRAFFIC_SECRET = "handshake" },
  server = { SERVER_HANDSHAKE_TRAFFIC_SECRET = "handshake", SERVER_TRAFFIC_SECRET_0 = "application" },
}

function Trace:on_secret(conn, label)
  local switch = WRITE_SWITCH[self.role][label]
  if switch then self.write_epoch = switch end
  self.events[#self.events + 1] = { kind = "secret", sender = self.role, name = label }
  if self.secrets then self:print("   * key schedule: %s derived", label) end
end

-- Add the observing hooks to conn (before its handshake). `only` (a list of hook names)
-- limits them: each hook set makes the engine pause at that point, which a benchmark
-- notices.
function Trace:attach(conn, only)
  local fns = {
    message_out = function(c, m, ev) self:on_message(c, m, ev) end,
    message_in = function(c, m, ev) self:on_message(c, m, ev) end,
    record_out = function(c, r, ev) self:on_record(c, r, ev) end,
    record_in = function(c, r, ev) self:on_record(c, r, ev) end,
    alert = function(c, a, dir) self:on_alert(c, a, dir) end,
    secret = function(c, label) self:on_secret(c, label) end,
  }
  for _, name in ipairs(only or { "message_out", "message_in", "record_out", "record_in", "alert", "secret" }) do
    conn:on(name, fns[name])
  end
  return self
end

-- The negotiated parameters as lines "key: value", from conn:info() and the messages.
function Trace:parameters(conn)
  local info = conn:info()
  local lines = {}
  local function add(k, v) if v ~= nil and v ~= "" then lines[#lines + 1] = ("%-12s %s"):format(k .. ":", tostring(v)) end end
  add("protocol", info.version and ("TLSv" .. info.version))
  add("cipher", info.suite)
  add("group", info.group)
  add("signature", info.sigalg)
  add("alpn", info.alpn or "(none)")
  for _, m in ipairs(self.messages) do
    if m.type == "client_hello" then
      local sni = decode.find_ext(m, "server_name")
      add("sni", sni and sni.host or "(none sent)")
      break -- a second ClientHello (after HelloRetryRequest) repeats the name
    end
  end
  if self.role == "client" then add("checked", info.sni and ("certificate checked for " .. info.sni)) end
  add("hrr", info.hrr and "yes" or "no")
  add("resumed", info.resumed and "yes" or "no")
  for _, m in ipairs(self.messages) do
    if m.type == "certificate" and m.certificates and m.certificates[1] then
      add("certificate", m.certificates[1].subject)
      add("issuer", m.certificates[1].issuer)
      add("chain", ("%d certificate(s)"):format(#m.certificates))
    end
  end
  return lines
end

return M
