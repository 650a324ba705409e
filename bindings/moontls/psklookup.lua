-- The server's PSK lookup (SCRIPTING.md 6.2 `psk` as a function): the engine asks once
-- per ClientHello with every offered identity (MT_HOOK_PSK_LOOKUP); we call the script's
-- function for each identity in the client's order until it answers, and encode the
-- answer in the layout server13.c's lookup_psk reads. The engine then checks the binder
-- (resumption or external label per `external`), the hash against the suite, and for
-- 0-RTT the max early data, ALPN and ticket age.
local names = require "moontls.names"

local M = {}

local HASH = { sha256 = 1, sha384 = 2 }
local KEYS = { key = true, hash = true, suite = true, external = true, age_add = true,
               issued = true, ticket_age_ok = true, max_early_data = true, alpn = true }

local function u32(v, what)
  if v == nil then return 0 end
  if math.type(v) ~= "integer" or v < 0 or v > 0xffffffff then
    error(("psk lookup: %s: 32-bit unsigned integer expected"):format(what), 0)
  end
  return v
end

-- The answer for identity index i (0-based), or raises on a malformed table.
function M.encode(i, a)
  if type(a) ~= "table" then error("psk lookup: a table or nil expected, got " .. type(a), 0) end
  for k in pairs(a) do
    if not KEYS[k] then error(("psk lookup: unknown key %q"):format(tostring(k)), 0) end
  end
  if type(a.key) ~= "string" or #a.key < 1 or #a.key > 64 then
    error("psk lookup: key: 1..64 byte string expected", 0)
  end
  local suite = 0
  if a.suite ~= nil then
    local s, err = names.code(names.suites, a.suite, "suite")
    if not s then error("psk lookup: " .. err, 0) end
    suite = s
  end
  local hash = HASH[a.hash or (suite == 0x1302 and "sha384") or "sha256"]
  if not hash then error("psk lookup: hash: \"sha256\" or \"sha384\" expected", 0) end
  local age = 0
  if a.issued ~= nil then
    if math.type(a.issued) ~= "integer" or a.issued < 0 then
      error("psk lookup: issued: seconds on the context's clock expected", 0)
    end
    age = 1
  end
  if a.ticket_age_ok then age = 2 end
  if a.alpn ~= nil and (type(a.alpn) ~= "string" or #a.alpn > 255) then
    error("psk lookup: alpn: string of at most 255 bytes expected", 0)
  end
  return string.pack(">I2I1I1I2I4I1I8I4s1s1", i, a.external and 1 or 0, hash, suite,
                     u32(a.age_add, "age_add"), age, a.issued or 0,
                     u32(a.max_early_data, "max_early_data"), a.alpn or "", a.key)
end

-- Run the lookup functions fns over the event: ok[, error].
function M.run(conn, fns, ev)
  local d = ev.data
  local n, pos = string.unpack(">I2", d)
  local offered = {}
  for i = 1, n do
    local id, age
    id, age, pos = string.unpack(">s2I4", d, pos)
    offered[i] = { id, age }
  end
  for i, o in ipairs(offered) do
    for _, fn in ipairs(fns) do
      local ok, v = xpcall(fn, debug.traceback, conn, o[1], o[2])
      if not ok then return false, v end
      if v ~= nil then
        local okk, bytes = pcall(M.encode, i - 1, v)
        if not okk then return false, bytes end
        conn:_event_replace({ bytes })
        return true
      end
    end
  end
  return true
end

return M
