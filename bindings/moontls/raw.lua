-- moontls.raw: plain TCP with a TLS record splitter and no TLS state (SCRIPTING.md 6.3,
-- example (c)): write any bytes, read back what the peer answers as records, and as
-- decoded messages where they are plaintext.
--
--   local raw = tls.raw_connect(host, port[, {timeout = s}])  -> raw | nil, err, NAME
--   raw:write(bytes)                        -> true | nil, err, NAME
--   raw:read_record{timeout =}              -> rec | nil, err, NAME
--       rec = {type = "handshake" | n, content_type = n, version = n, fragment = bytes,
--              raw = header .. fragment}
--   raw:read_flight{timeout =, quiet =}     -> flight | nil, err, NAME
--   raw:close([how])                        "abort" resets the connection
--
-- Errors keep the three endings apart: "closed" (CLOSED: the peer closed; a record cut
-- short by the close is kept in raw.partial), "reset" (RESET: the peer reset the
-- connection) and "timeout" (TIMEOUT: nothing arrived in time). Anything else is IO.
--
-- A flight is what arrived until the peer was quiet for `quiet` seconds (default: the
-- timeout) after its first bytes, or closed or reset the connection; `timeout` (default
-- 5) bounds the wait for the first bytes. It carries:
--   .wire       the bytes, as they arrived
--   .records    every complete record, as read_record gives them
--   .messages   plaintext handshake messages (tls.decode tables, reassembled across
--               records and across flights), ChangeCipherSpec and alerts; protected
--               records are not messages (they stay in .records)
--   .alerts     the plaintext alerts {level =, name =, code =}; .alert is the first
--   .closed, .reset   how the flight ended when the peer ended it
--   :message(type[, n])  the n-th message of that type
-- Handshake records after the peer's ChangeCipherSpec are protected in TLS 1.2 and stay
-- records; a TLS 1.3 ServerHello makes its CCS a compatibility no-op, and its protected
-- records are application_data anyway.
local socket = require "socket"
local msgmod = require "moontls.msg"
local names = require "moontls.names"

local M = {}

local Raw = {}
Raw.__index = Raw
Raw.__name = "moontls.Raw"
M.Raw = Raw

local Flight = {}
Flight.__index = Flight
Flight.__name = "moontls.RawFlight"
M.Flight = Flight

-- The largest record fragment we accept from the wire: RFC 8446 5.2 allows 2^14 + 256
-- protected bytes and RFC 5246 6.2.3 2^14 + 2048; the length field allows 2^16 - 1, and
-- a raw reader reports what came, so take anything the header can say.
local READ_CHUNK = 16384

-- Socket errors as the three endings the surface promises.
local function ending(err)
  if err == "closed" then return "closed", "CLOSED" end
  if err == "timeout" then return "timeout", "TIMEOUT" end
  if type(err) == "string" and (err:find("reset", 1, true) or err:find("broken pipe", 1, true)) then
    return "reset", "RESET"
  end
  return tostring(err), "IO"
end

-- tls.raw_connect(host, port[, opts]) -> raw | nil, err, NAME. opts.timeout bounds the
-- TCP connect (default 10 s) and is the default for reads.
function M.connect(host, port, opts)
  if type(host) ~= "string" then error("tls.raw_connect: host string expected", 3) end
  if math.type(port) ~= "integer" and type(port) ~= "string" then error("tls.raw_connect: port expected", 3) end
  opts = opts or {}
  if type(opts) ~= "table" then error("tls.raw_connect: options table expected", 3) end
  for k in pairs(opts) do
    if k ~= "timeout" then error(("tls.raw_connect: unknown option %q"):format(tostring(k)), 3) end
  end
  if opts.timeout ~= nil and type(opts.timeout) ~= "number" then error("tls.raw_connect: timeout: number expected", 3) end
  local sock, err = socket.tcp()
  if not sock then return nil, err, "IO" end
  sock:settimeout(opts.timeout or 10)
  local ok
  ok, err = sock:connect(host, port)
  if not ok then
    sock:close()
    local e, name = ending(err)
    return nil, e, name
  end
  pcall(sock.setoption, sock, "tcp-nodelay", true)
  return M.wrap(sock, opts)
end

-- M.wrap(sock[, opts]): a raw reader/writer over a connected LuaSocket TCP object.
-- opts.timeout (default 5), opts.peer_side ("server" unless we play the server).
function M.wrap(sock, opts)
  return setmetatable({
    sock = sock, rbuf = "", timeout = opts and opts.timeout or 5,
    peer_side = opts and opts.peer_side or "server", -- who sent what we read (decode hints)
    hs_pending = "",   -- a handshake message cut across records (or flights)
    peer_ccs = false,  -- the peer sent ChangeCipherSpec
    tls13 = false,     -- a ServerHello chose TLS 1.3
    eof = nil,         -- "closed" | "reset" once the peer ended the connection
    closed = false,
  }, Raw)
end

-- raw:write(bytes) -> true | nil, err, NAME (err "closed", "reset", "timeout").
function Raw:write(bytes)
  if type(bytes) ~= "string" then error("raw:write: bytes expected", 2) end
  if self.closed then return nil, "closed", "CLOSED" end
  self.sock:settimeout(self.timeout)
  local n, err, last = self.sock:send(bytes)
  if n then return true end
  local e, name = ending(err)
  return nil, e, name, last
end

-- Wait up to `wait` seconds (nil: block) for bytes. Returns data, or nil, ending.
function Raw:_recv(wait)
  if self.eof then return nil, self.eof end
  local r, _, serr = socket.select({ self.sock }, nil, wait)
  if #r == 0 and not self.sock:dirty() then
    return nil, serr == "timeout" and "timeout" or (serr or "timeout")
  end
  -- LuaSocket reports a reset as "closed" on receive; the pending socket error (read
  -- and cleared here, before receive would consume it) tells a reset from an EOF.
  local ok, soerr = pcall(self.sock.getoption, self.sock, "error")
  if ok and soerr ~= nil then
    self.eof = "reset"
    return nil, "reset"
  end
  self.sock:settimeout(0)
  local data, err, partial = self.sock:receive(READ_CHUNK)
  data = data or partial
  if data and #data > 0 then
    if err and err ~= "timeout" then self.eof = ending(err) end
    return data
  end
  if err == "timeout" then return nil, "timeout" end -- readable, nothing there: spurious
  self.eof = ending(err)
  return nil, self.eof
end

-- One complete record off the front of the buffer, or nil.
local function split_record(self)
  local buf = self.rbuf
  if #buf < 5 then return nil end
  local len = (buf:byte(4) << 8) | buf:byte(5)
  if #buf < 5 + len then return nil end
  local ct = buf:byte(1)
  local rec = {
    type = names.content_types[ct] or ct, content_type = ct,
    version = (buf:byte(2) << 8) | buf:byte(3), fragment = buf:sub(6, 5 + len), raw = buf:sub(1, 5 + len),
  }
  self.rbuf = buf:sub(6 + len)
  return rec
end

local function now() return socket.gettime() end

local function timeout_of(self, fn, opts)
  if opts == nil then return self.timeout end
  if type(opts) ~= "table" then error(fn .. ": options table expected", 3) end
  for k in pairs(opts) do
    if k ~= "timeout" and k ~= "quiet" then error(("%s: unknown option %q"):format(fn, tostring(k)), 3) end
  end
  if opts.timeout ~= nil and type(opts.timeout) ~= "number" then error(fn .. ": timeout: number expected", 3) end
  if opts.quiet ~= nil and type(opts.quiet) ~= "number" then error(fn .. ": quiet: number expected", 3) end
  return opts.timeout or self.timeout, opts.quiet
end

-- raw:read_record{timeout =} -> rec | nil, err, NAME: the next record, waiting up to
-- timeout seconds (default: the connect timeout, else 5) for it to be complete.
function Raw:read_record(opts)
  local timeout = timeout_of(self, "raw:read_record", opts)
  local rec = split_record(self)
  if rec then return rec end
  if self.closed then return nil, "closed", "CLOSED" end
  local deadline = now() + timeout
  for _ = 1, 100000 do
    local data, err = self:_recv(math.max(0, deadline - now()))
    if data then
      self.rbuf = self.rbuf .. data
      rec = split_record(self)
      if rec then return rec end
    elseif err ~= "timeout" or now() >= deadline then
      local e, name = ending(err)
      if e == "closed" and #self.rbuf > 0 then
        self.partial = self.rbuf
        return nil, ("closed (%d bytes of an unfinished record)"):format(#self.rbuf), name
      end
      return nil, e, name
    end
  end
  return nil, "timeout", "TIMEOUT"
end

-- Cut plaintext messages out of a record into flight.messages (and flight.alerts).
local function add_messages(self, f, rec)
  local ct = rec.content_type
  if ct == 20 then
    local m = msgmod.decode(rec.fragment, { content_type = 20 })
    f.messages[#f.messages + 1] = m or { type = "change_cipher_spec", content_type = 20, raw = rec.fragment }
    -- RFC 8446 D.4: in TLS 1.3 the CCS changes nothing; in 1.2 protection starts here.
    if not self.tls13 then self.peer_ccs = true end
    return
  end
  if ct == 21 and not self.peer_ccs and #rec.fragment == 2 then
    local m = msgmod.decode(rec.fragment, { content_type = 21 })
    if m then
      f.messages[#f.messages + 1] = m
      local a = { level = m.level, name = m.description, code = rec.fragment:byte(2) }
      f.alerts[#f.alerts + 1] = a
    end
    return
  end
  if ct ~= 22 or self.peer_ccs then return end
  local msgs
  msgs, self.hs_pending = msgmod.cut_handshake(self.hs_pending .. rec.fragment)
  for _, bytes in ipairs(msgs) do
    local m, err = msgmod.decode(bytes, { side = self.peer_side, version = self.version })
    if m and m.type == "server_hello" then
      -- later messages take the negotiated version's formats (1.2 Certificate, ...)
      self.version = 0x0303
      for _, x in ipairs(m.extensions or {}) do
        if x.type == "supported_versions" and (x.selected_version == "1.3" or x.selected_version == 0x0304) then
          self.tls13, self.version = true, 0x0304
        end
      end
    end
    f.messages[#f.messages + 1] = m or { type = "undecoded", type_code = bytes:byte(1), content_type = 22,
      raw = bytes, error = err }
  end
end

-- raw:read_flight{timeout =, quiet =} -> flight | nil, err, NAME. nil, "timeout" when
-- nothing arrived within timeout; nil, "closed" / "reset" when the connection had
-- already ended with nothing left to read. A flight the peer ended has .closed or .reset.
function Raw:read_flight(opts)
  local timeout, quiet = timeout_of(self, "raw:read_flight", opts)
  quiet = quiet or timeout
  local f = setmetatable({ wire = {}, records = {}, messages = {}, alerts = {} }, Flight)
  local got = false
  local deadline = now() + timeout
  if self.closed then return nil, "closed", "CLOSED" end
  if #self.rbuf > 0 then got = true end
  local ended
  for _ = 1, 100000 do
    local wait = got and quiet or math.max(0, deadline - now())
    local data, err = self:_recv(wait)
    if data then
      got = true
      f.wire[#f.wire + 1] = data
      self.rbuf = self.rbuf .. data
    elseif err ~= "timeout" then
      ended = err
      break
    elseif got or now() >= deadline then
      break
    end
  end
  f.wire = table.concat(f.wire)
  for _ = 1, 100000 do
    local rec = split_record(self)
    if not rec then break end
    f.records[#f.records + 1] = rec
    add_messages(self, f, rec)
  end
  f.alert = f.alerts[1]
  if ended then
    local e, name = ending(ended)
    if not got and self.reported_end then return nil, e, name end
    self.reported_end = true
    if e == "closed" then f.closed = true elseif e == "reset" then f.reset = true else f.error = e end
    if #self.rbuf > 0 then f.partial = self.rbuf end
    return f
  end
  if not got then return nil, "timeout", "TIMEOUT" end
  return f
end

-- flight:message(type[, n]) -> the n-th (default 1) message of that type (a name, or a
-- number matching type_code), or nil.
function Flight:message(mtype, n)
  n = n or 1
  for _, m in ipairs(self.messages) do
    if m.type == mtype or m.type_code == mtype then
      n = n - 1
      if n == 0 then return m end
    end
  end
  return nil
end

-- raw:close([how]): "abort" resets the connection (SO_LINGER 0); twice is fine.
function Raw:close(how)
  if how ~= nil and how ~= "abort" and how ~= "notify" and how ~= "silent" then
    error("raw:close: \"abort\" or nothing expected", 2)
  end
  if self.closed then return true end
  self.closed = true
  if how == "abort" then pcall(self.sock.setoption, self.sock, "linger", { on = true, timeout = 0 }) end
  self.sock:close()
  return true
end
Raw.__close = Raw.close

function Raw:getfd()
  if self.closed then return -1 end
  return self.sock:getfd()
end

function Raw:__tostring()
  return ("moontls.Raw (%s)"):format(self.closed and "closed" or "open")
end

return M
