-- moontls.mut: byte mutators (SCRIPTING.md 6.4). Each constructor returns a function
-- (bytes) -> bytes; tls.mut.apply(bytes, m_or_list) runs one or a list in order, and
-- tls.mut.body(m_or_list) wraps them to act on a handshake message's body (after the
-- 4-byte header) and rewrite the header's length to match.
--
-- Offsets are 0-based byte offsets, as in tls.hex.dump and the codec's spans; negative
-- offsets count from the end (-1 is the last byte; for insert, -1 inserts before the last
-- byte). An offset outside the bytes raises when the mutator runs (a script bug).
local M = {}

local function need_int(fn, what, v)
  if math.type(v) ~= "integer" then
    error(("tls.mut.%s: %s must be an integer, got %s"):format(fn, what, tostring(v)), 3)
  end
end

local function need_bytes(fn, what, v)
  if type(v) ~= "string" then
    error(("tls.mut.%s: %s must be bytes (a string), got %s"):format(fn, what, type(v)), 3)
  end
end

-- Absolute 0-based offset of `off` in a string of length n; `room` allows off == n.
local function at(fn, off, n, room)
  local a = off < 0 and n + off or off
  if a < 0 or a > n or (a == n and not room) then
    error(("tls.mut.%s: offset %d outside %d bytes"):format(fn, off, n), 0)
  end
  return a
end

-- xor(offset, mask): mask is a byte value (0..255) or a string xored from offset on.
function M.xor(offset, mask)
  need_int("xor", "offset", offset)
  if math.type(mask) == "integer" then
    if mask < 0 or mask > 255 then error("tls.mut.xor: mask byte out of range", 2) end
    mask = string.char(mask)
  end
  need_bytes("xor", "mask", mask)
  return function(b)
    local a = at("xor", offset, #b)
    if a + #mask > #b then error(("tls.mut.xor: %d mask bytes at %d overrun %d bytes"):format(#mask, a, #b), 0) end
    local out = {}
    for i = 1, #mask do out[i] = string.char(b:byte(a + i) ~ mask:byte(i)) end
    return b:sub(1, a) .. table.concat(out) .. b:sub(a + #mask + 1)
  end
end

-- set(offset, bytes): overwrite from offset (the result grows if bytes run past the end).
function M.set(offset, bytes)
  need_int("set", "offset", offset)
  if math.type(bytes) == "integer" then bytes = string.char(bytes) end
  need_bytes("set", "bytes", bytes)
  return function(b)
    local a = at("set", offset, #b, true)
    return b:sub(1, a) .. bytes .. b:sub(a + #bytes + 1)
  end
end

-- truncate(n): drop the last n bytes.
function M.truncate(n)
  need_int("truncate", "n", n)
  if n < 0 then error("tls.mut.truncate: n must not be negative", 2) end
  return function(b)
    if n > #b then error(("tls.mut.truncate: cannot cut %d of %d bytes"):format(n, #b), 0) end
    return b:sub(1, #b - n)
  end
end

-- pad(n[, byte]): append n bytes of `byte` (default 0).
function M.pad(n, byte)
  need_int("pad", "n", n)
  byte = byte or 0
  need_int("pad", "byte", byte)
  if n < 0 or byte < 0 or byte > 255 then error("tls.mut.pad: bad count or byte", 2) end
  local tail = string.char(byte):rep(n)
  return function(b) return b .. tail end
end

-- insert(offset, bytes): insert before the byte at offset (offset == #bytes appends).
function M.insert(offset, bytes)
  need_int("insert", "offset", offset)
  need_bytes("insert", "bytes", bytes)
  return function(b)
    local a = at("insert", offset, #b, true)
    return b:sub(1, a) .. bytes .. b:sub(a + 1)
  end
end

-- delete(offset, n): remove n bytes from offset.
function M.delete(offset, n)
  need_int("delete", "offset", offset)
  need_int("delete", "n", n)
  if n < 0 then error("tls.mut.delete: n must not be negative", 2) end
  return function(b)
    local a = at("delete", offset, #b, n == 0)
    if a + n > #b then error(("tls.mut.delete: %d bytes at %d overrun %d bytes"):format(n, a, #b), 0) end
    return b:sub(1, a) .. b:sub(a + n + 1)
  end
end

-- flip(offset, bit): flip bit 0..7 (0 = least significant) of the byte at offset.
function M.flip(offset, bit)
  need_int("flip", "offset", offset)
  need_int("flip", "bit", bit)
  if bit < 0 or bit > 7 then error("tls.mut.flip: bit must be 0..7", 2) end
  return M.xor(offset, 1 << bit)
end

local function is_list(m)
  return type(m) == "table" and getmetatable(m) == nil
end

-- apply(bytes, m_or_list) -> bytes
function M.apply(bytes, m)
  need_bytes("apply", "bytes", bytes)
  if type(m) == "function" then
    bytes = m(bytes)
  elseif is_list(m) then
    for i, f in ipairs(m) do
      if type(f) ~= "function" then error(("tls.mut.apply: entry %d is not a mutator"):format(i), 2) end
      bytes = f(bytes)
    end
  else
    error("tls.mut.apply: a mutator or a list of mutators expected, got " .. type(m), 2)
  end
  if type(bytes) ~= "string" then error("tls.mut.apply: a mutator returned " .. type(bytes), 2) end
  return bytes
end

-- body(m_or_list): a mutator of a whole handshake message (4-byte header + body) that
-- applies m to the body and writes the new body length into the header.
function M.body(m)
  if type(m) ~= "function" and not is_list(m) then
    error("tls.mut.body: a mutator or a list of mutators expected, got " .. type(m), 2)
  end
  return function(b)
    if #b < 4 then error(("tls.mut.body: %d bytes are no handshake message"):format(#b), 0) end
    local body = M.apply(b:sub(5), m)
    if #body > 0xffffff then error("tls.mut.body: body longer than 2^24-1", 0) end
    return b:sub(1, 1) .. string.pack(">I3", #body) .. body
  end
end

return M
