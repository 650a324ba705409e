-- moontls.names: IANA names <-> code points, both ways (tls.names.groups.x25519 == 29,
-- tls.names.groups[29] == "x25519"), from the C names table (lib/handshake/names.c, the
-- one diagnostics and the codec use), so Lua and C never disagree.
--
-- Each table holds the canonical entries both ways (pairs() walks them); other spellings
-- the C table accepts ("alpn", "P-256", "tls1.3", "hello_retry_request") and "grease"
-- resolve through __index, and so does a GREASE code (-> "grease").
local core = require "moontls.core"

local M = {}
local K = core.name_kinds

local function table_of(kind)
  return setmetatable(core.names_list(kind), {
    __index = function(_, k)
      if type(k) == "string" then return core.name_code(kind, k) end
      if math.type(k) == "integer" then return core.name_of(kind, k) end
      return nil
    end,
  })
end

M.versions = table_of(K.version)
M.suites = table_of(K.cipher_suite)
M.groups = table_of(K.group)
M.sigalgs = table_of(K.sigscheme)
M.extensions = table_of(K.extension)
M.messages = table_of(K.handshake)
M.alerts = table_of(K.alert)
M.alert_levels = table_of(K.alert_level)
M.content_types = table_of(K.content_type)
M.psk_modes = table_of(K.psk_mode)
M.ec_point_formats = table_of(K.ec_point_format)
M.cert_types = table_of(K.cert_type)
M.cert_status_types = table_of(K.cert_status_type)
M.handshake_types = M.messages -- the name this module first used

-- RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
M.HRR_RANDOM = "\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91"
  .. "\xc2\xa2\x11\x16\x7a\xbb\x8c\x5e\x07\x9e\x09\xe2\xc8\xa8\x33\x9c"

-- Resolve a name or a number against one table. Returns the code, or nil and a reason
-- (the caller raises: an unknown name is a script bug, not a runtime failure).
function M.code(tbl, v, what)
  if math.type(v) == "integer" then
    if v < 0 or v > 0xffff then return nil, ("%s %d is not a 16-bit code"):format(what, v) end
    return v
  end
  if type(v) == "string" then
    local c = tbl[v]
    if math.type(c) == "integer" then return c end
    return nil, ("unknown %s %q"):format(what, v)
  end
  return nil, ("%s: name or number expected, got %s"):format(what, type(v))
end

-- A code's name, or its hex spelling when the registry has none.
function M.name(tbl, code)
  if code == nil or code == 0 then return nil end
  return tbl[code] or ("0x%04x"):format(code)
end

return M
