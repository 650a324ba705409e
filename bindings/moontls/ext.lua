-- moontls.ext: extension helpers over message tables (SCRIPTING.md 6.4): tls.ext.find,
-- insert, remove, move, duplicate, shuffle. They edit msg.extensions (an array in wire
-- order) in place; tls.encode then writes the new order. An extension is named by its
-- type: a name ("key_share", "alpn") or a number; both match either spelling.
-- Positions are 1-based like Lua arrays; negative positions count from the end
-- (-1 is the last).
local names = require "moontls.names"
local msgmod = require "moontls.msg"

local M = {}

local function code_of(t)
  if math.type(t) == "integer" then return t end
  if type(t) == "string" then return names.extensions[t] end
  return nil
end

local function check_msg(fn, msg)
  if type(msg) ~= "table" then error(("tls.ext.%s: message table expected, got %s"):format(fn, type(msg)), 3) end
end

local function check_name(fn, name)
  if code_of(name) == nil then
    error(("tls.ext.%s: unknown extension %s"):format(fn, tostring(name)), 3)
  end
  return code_of(name)
end

local function index_of(msg, code)
  for i, e in ipairs(msg.extensions or {}) do
    if code_of(e.type) == code then return i, e end
  end
  return nil
end

-- tls.ext.find(msg, name) -> ext, index (the first of that type) | nil
function M.find(msg, name)
  check_msg("find", msg)
  local i, e = index_of(msg, check_name("find", name))
  return e, i
end

-- Position for inserting among n entries: 1..n+1; -1 appends, -2 goes before the last.
local function insert_pos(fn, pos, n)
  if pos == nil then return n + 1 end
  if math.type(pos) ~= "integer" then error(("tls.ext.%s: integer position expected"):format(fn), 3) end
  if pos < 0 then pos = n + 2 + pos end
  if pos < 1 or pos > n + 1 then error(("tls.ext.%s: position out of range"):format(fn), 3) end
  return pos
end

-- tls.ext.insert(msg, ext[, pos]) -> ext. Creates msg.extensions when the message has
-- none (an optional block that was absent).
function M.insert(msg, ext, pos)
  check_msg("insert", msg)
  if type(ext) ~= "table" then error("tls.ext.insert: extension table expected, got " .. type(ext), 2) end
  check_name("insert", ext.type)
  msg.extensions = msg.extensions or {}
  table.insert(msg.extensions, insert_pos("insert", pos, #msg.extensions), ext)
  return ext
end

-- tls.ext.remove(msg, name) -> the removed extension (the first of that type) | nil
function M.remove(msg, name)
  check_msg("remove", msg)
  local i = index_of(msg, check_name("remove", name))
  if not i then return nil end
  return table.remove(msg.extensions, i)
end

local function need(fn, msg, name)
  local i, e = index_of(msg, check_name(fn, name))
  if not i then error(("tls.ext.%s: the message has no %s extension"):format(fn, tostring(name)), 3) end
  return i, e
end

-- tls.ext.move(msg, name, pos) -> ext: the first extension of that type to position pos
-- (1..n, or -1 for last). Raises when there is none.
function M.move(msg, name, pos)
  check_msg("move", msg)
  local i, e = need("move", msg, name)
  local n = #msg.extensions
  if math.type(pos) ~= "integer" then error("tls.ext.move: integer position expected", 2) end
  if pos < 0 then pos = n + 1 + pos end
  if pos < 1 or pos > n then error("tls.ext.move: position out of range", 2) end
  table.remove(msg.extensions, i)
  table.insert(msg.extensions, pos, e)
  return e
end

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = deep_copy(x) end
  return c
end

-- tls.ext.duplicate(msg, name) -> the copy, inserted right after the first extension of
-- that type. The copy is independent: edit either one. Raises when there is none.
function M.duplicate(msg, name)
  check_msg("duplicate", msg)
  local i, e = need("duplicate", msg, name)
  local copy = deep_copy(e)
  -- a copy of a decoded, unedited extension is unedited too (see moontls.msg)
  if msgmod.registry[e] ~= nil then msgmod.registry[copy] = msgmod.registry[e] end
  table.insert(msg.extensions, i + 1, copy)
  return copy
end

-- tls.ext.shuffle(msg[, rng]) -> msg: reorder the extensions. rng(n) returns an integer
-- in 1..n (math.random's shape, the default); a deterministic rng gives a reproducible
-- order.
function M.shuffle(msg, rng)
  check_msg("shuffle", msg)
  rng = rng or math.random
  if type(rng) ~= "function" then error("tls.ext.shuffle: rng must be a function(n) -> 1..n", 2) end
  local list = msg.extensions or {}
  for i = #list, 2, -1 do
    local j = rng(i)
    if math.type(j) ~= "integer" or j < 1 or j > i then
      error(("tls.ext.shuffle: rng(%d) returned %s, not an integer in 1..%d"):format(i, tostring(j), i), 2)
    end
    list[i], list[j] = list[j], list[i]
  end
  return msg
end

return M
