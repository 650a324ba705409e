-- moontls.sessioncache: the client-side session cache (SCRIPTING.md 6.2 `session_cache`).
--
--   local cache = tls.session_cache([max])      -- max sessions kept, default 64
--   tls.context{ mode = "client", server_name = "example.com", session_cache = cache }
--
-- A client context with a cache offers, on each new connection without an explicit
-- `session =`, the newest unexpired session stored for its server name, and stores each
-- session a NewSessionTicket gives as it arrives. Tickets are single use (RFC 8446 C.4:
-- "Clients SHOULD NOT reuse a ticket for multiple connections"): cache:get takes the
-- session out, so every connection offers a ticket no other connection offered.
-- Sessions hold resumption PSKs: keep the cache like a key (cache:clear() drops them).
--
--   cache:put(session | bytes) -> true | nil, err, NAME   -- oldest dropped beyond max
--   cache:get(server_name[, now]) -> session | nil        -- taken out; nil name: no SNI
--   cache:count(), #cache, cache:clear()
local session = require "moontls.session"

local M = {}
local Cache = {}
Cache.__index = Cache
Cache.__name = "moontls.SessionCache"

-- tls.session_cache([max]) -> cache
function M.new(max)
  if max == nil then max = 64 end
  if math.type(max) ~= "integer" or max < 1 then
    error("tls.session_cache: max: a positive integer expected", 2)
  end
  -- entries oldest first; each a moontls.Session
  return setmetatable({ max = max, entries = {} }, Cache)
end

function M.is(v) return getmetatable(v) == Cache end

function Cache:put(s)
  if not session.is(s) then
    local err, name
    s, err, name = session.new(session.bytes(s, "cache:put"))
    if not s then return nil, err, name end
  end
  local e = self.entries
  for i = #e, 1, -1 do -- the same ticket twice is one entry
    if e[i].bytes == s.bytes then table.remove(e, i) end
  end
  e[#e + 1] = s
  while #e > self.max do table.remove(e, 1) end
  return true
end

-- The newest session for server_name still valid at `now` (seconds; default os.time()),
-- taken out of the cache; expired ones met on the way are dropped.
function Cache:get(server_name, now)
  if server_name ~= nil and type(server_name) ~= "string" then
    error("cache:get: server name string or nil expected", 2)
  end
  now = now or os.time()
  local e = self.entries
  for i = #e, 1, -1 do
    local s = e[i]
    if s.received + s.lifetime <= now then
      table.remove(e, i)
    elseif s.server_name == server_name then
      table.remove(e, i)
      return s
    end
  end
  return nil
end

function Cache:count() return #self.entries end
Cache.__len = Cache.count

function Cache:clear() self.entries = {} end

function Cache:__tostring()
  return ("moontls.SessionCache(%d/%d)"):format(#self.entries, self.max)
end

-- Context side (context.lua): offer a cached session on a new client connection and
-- store the ones its tickets give. The binding calls st.on_session(bytes) after each
-- engine run that left a new session (bindings/conn.c); the message_in interest makes
-- the engine stop at every inbound message, so each ticket of a flight is seen, not
-- only the last one.
function M.attach(conn, cache, offer, server_name, clock)
  local s = offer and cache:get(server_name, clock and clock() or nil)
  if s then assert(conn:set_session(s)) end
  local st = conn:_state()
  st.on_session = function(bytes)
    local ok, err = cache:put(bytes)
    if not ok then error("session_cache: " .. tostring(err), 0) end
  end
  conn:on("message_in", function() end)
end

return M
