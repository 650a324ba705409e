-- moontls.session: TLS 1.3 sessions for resumption (SCRIPTING.md 6.3: conn:session(),
-- session:export(), tls.session(bytes)). A session is what a server's NewSessionTicket
-- left the client: its bytes hold the resumption PSK, so keep them like a key.
--
-- The bytes are the engine's format (lib/handshake/ticket.h): "MTS1", suite, time
-- received, lifetime, ticket_age_add, max_early_data_size, PSK, ALPN, server name, ticket.
-- The fields are read here for information; the engine checks the bytes again when a
-- connection offers them.
local core = require "moontls.core"
local names = require "moontls.names"

local M = {}
local Session = {}
Session.__index = Session
Session.__name = "moontls.Session"
M.Session = Session

local FORMAT = ">c4 I2 i8 I4 I4 I4 s1 s1 s1 s2"

-- tls.session(bytes) -> session | nil, err, NAME
function M.new(bytes)
  if type(bytes) ~= "string" then error("tls.session: bytes expected, got " .. type(bytes), 2) end
  local ok, magic, suite, time, lifetime, _, max_early, psk, alpn, sni, ticket, pos =
    pcall(string.unpack, FORMAT, bytes)
  if not ok or magic ~= "MTS1" then return nil, "tls.session: not a moontls session", "DECODE_ERROR" end
  -- the engine's checks too (suite and PSK length, lifetime), so what this takes
  -- conn:set_session takes
  if pos ~= #bytes + 1 or #ticket == 0 or #psk == 0 or not core.session_check(bytes) then
    return nil, "tls.session: malformed session", "DECODE_ERROR"
  end
  return setmetatable({
    bytes = bytes, suite = names.name(names.suites, suite), received = time, lifetime = lifetime,
    max_early_data = max_early, alpn = alpn ~= "" and alpn or nil,
    server_name = sni ~= "" and sni or nil,
  }, Session)
end

function M.is(v) return getmetatable(v) == Session end

-- The bytes to keep (tls.session(bytes) reads them back).
function Session:export() return self.bytes end

function Session:__tostring()
  return ("moontls.Session(%s, %s, lifetime %ds)"):format(self.suite or "?",
    self.server_name or "no name", self.lifetime)
end

-- A session or its bytes -> bytes; misuse raises.
function M.bytes(v, what)
  if M.is(v) then return v.bytes end
  if type(v) == "string" then return v end
  error(("%s: a session (tls.session / conn:session()) or its bytes expected, got %s")
    :format(what, type(v)), 3)
end

return M
