-- moontls.hex: tls.hex.encode(bytes) -> "0a1b..", tls.hex.decode(hex) -> bytes or nil, err,
-- tls.hex.dump(bytes) -> an offset / hex / ASCII listing for traces.
local M = {}

function M.encode(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Whitespace is ignored, so dumps copied from RFCs decode as they are.
function M.decode(h)
  h = h:gsub("%s", "")
  if #h % 2 ~= 0 then return nil, "odd number of hex digits" end
  if h:find("[^%x]") then return nil, "invalid hex digit" end
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

-- 16 bytes a line: "0010  03 03 c7 83 ec 7a 98 e2  36 f3 d0 bd b1 36 ed f2  |.....z..6....6..|".
-- Offsets are hexadecimal and start at 0 (as in tls.mut offsets). The result ends with a
-- newline unless bytes is empty ("").
function M.dump(bytes)
  if type(bytes) ~= "string" then error("tls.hex.dump: bytes expected, got " .. type(bytes), 2) end
  local out = {}
  for off = 0, #bytes - 1, 16 do
    local chunk = bytes:sub(off + 1, off + 16)
    local hex = {}
    for i = 1, 16 do
      local b = chunk:byte(i)
      hex[i] = b and ("%02x"):format(b) or "  "
    end
    local ascii = chunk:gsub("[^\32-\126]", ".")
    out[#out + 1] = ("%04x  %s  %s  |%s|\n"):format(off, table.concat(hex, " ", 1, 8),
      table.concat(hex, " ", 9, 16), ascii)
  end
  return table.concat(out)
end

return M
