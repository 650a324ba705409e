-- moontls: the Lua facade over moontls.core.
-- The surface grows toward ../shared/SCRIPTING.md issue by issue; what is here works.
local core = require "moontls.core"
local names = require "moontls.names"
local rng = require "moontls.rng"
local context = require "moontls.context"
local conn = require "moontls.conn"

local M = { version = core.version, core = core, names = names, rng = rng }

-- Hex helpers: tls.hex.encode(bytes) -> "0a1b..", tls.hex.decode(hex) -> bytes or nil, err.
M.hex = {}

function M.hex.encode(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function M.hex.decode(h)
  h = h:gsub("%s", "")
  if #h % 2 ~= 0 then return nil, "odd number of hex digits" end
  if h:find("[^%x]") then return nil, "invalid hex digit" end
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

-- Alert names both ways: tls.alerts[50] == "decode_error", tls.alerts.decode_error == 50.
M.alerts = setmetatable({}, {
  __index = function(_, k)
    if type(k) == "number" then return core.alert_name(k) end
    if type(k) == "string" then return core.alert_code(k) end
  end,
})

M.context = context.new
M.pair = conn.pair
M.pump = conn.pump

-- LuaSocket is loaded on first use only: sans-I/O users need not have it.
function M.connect(host, port, ctx, opts)
  return require("moontls.socket").connect(host, port, ctx, opts)
end

return M
