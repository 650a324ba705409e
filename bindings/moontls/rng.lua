-- moontls.rng: random generators for tls.context{rng = ...}. Every draw the engine makes
-- carries a purpose label ("client_random", "session_id", "key_share", ...).
--
-- A generator here is a recipe: each connection instantiates its own, so a connection
-- always starts the stream afresh and two connections from one context draw the same
-- bytes. That is what makes a handshake reproducible byte for byte.
local M = {}

local Rng = {}
Rng.__index = Rng
Rng.__name = "moontls.Rng"
function Rng:__tostring() return "moontls.Rng (" .. self.kind .. ")" end

local function new(kind, fields)
  fields.kind = kind
  return setmetatable(fields, Rng)
end

function M.is_rng(v) return getmetatable(v) == Rng end

-- The operating system's generator (the default).
function M.system() return new("system", {}) end

-- Deterministic: SHA-256 in counter mode over the seed (C side), whatever the purposes.
function M.seeded(seed)
  if type(seed) == "number" then seed = tostring(seed) end
  if type(seed) ~= "string" then error("tls.rng.seeded: string or number seed expected", 2) end
  return new("seeded", { seed = seed })
end

-- Fixed bytes per purpose; a draw for any other purpose, or of another length, fails the
-- connection (so a script learns about every draw it did not foresee).
function M.pinned(map)
  if type(map) ~= "table" then error("tls.rng.pinned: table purpose -> bytes expected", 2) end
  for k, v in pairs(map) do
    if type(k) ~= "string" or type(v) ~= "string" then
      error("tls.rng.pinned: entries must be purpose = bytes", 2)
    end
  end
  return new("pinned", { map = map })
end

-- Hands out the given byte strings in order, one per draw; each entry is a string, or
-- {purpose = , bytes = } to also check the purpose. Running out is a failure.
function M.sequence(list)
  if type(list) ~= "table" then error("tls.rng.sequence: list expected", 2) end
  for i, v in ipairs(list) do
    if type(v) ~= "string" and not (type(v) == "table" and type(v.bytes) == "string") then
      error(("tls.rng.sequence: entry %d must be bytes or {purpose=, bytes=}"):format(i), 2)
    end
  end
  return new("sequence", { list = list })
end

-- Instantiate for one connection: returns ("seed", bytes), ("draw", function(n, purpose))
-- or nothing (system).
function M.instance(r)
  if type(r) == "function" then
    return "draw", function(n, purpose)
      local b = r(n, purpose)
      if type(b) ~= "string" or #b ~= n then
        error(("rng function returned %s for %d bytes of %s"):format(
          type(b) == "string" and (#b .. " bytes") or type(b), n, purpose), 0)
      end
      return b
    end
  end
  if r.kind == "system" then return nil end
  if r.kind == "seeded" then return "seed", r.seed end
  if r.kind == "pinned" then
    return "draw", function(n, purpose)
      local b = r.map[purpose]
      if b == nil then error(("pinned rng: unexpected draw of %d bytes for %s"):format(n, purpose), 0) end
      if #b ~= n then
        error(("pinned rng: %s is %d bytes, the draw wants %d"):format(purpose, #b, n), 0)
      end
      return b
    end
  end
  local i = 0
  return "draw", function(n, purpose)
    i = i + 1
    local e = r.list[i]
    if e == nil then error(("rng sequence exhausted at draw %d (%s)"):format(i, purpose), 0) end
    if type(e) == "table" then
      if e.purpose and e.purpose ~= purpose then
        error(("rng sequence draw %d: wanted purpose %s, got %s"):format(i, e.purpose, purpose), 0)
      end
      e = e.bytes
    end
    if #e ~= n then error(("rng sequence draw %d (%s): %d bytes given, %d wanted"):format(i, purpose, #e, n), 0) end
    return e
  end
end

return M
