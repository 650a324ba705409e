-- moontls: the Lua facade over moontls.core.
-- The surface grows toward ../shared/SCRIPTING.md issue by issue; what is here works.
local core = require "moontls.core"
local names = require "moontls.names"
local rng = require "moontls.rng"
local context = require "moontls.context"
local conn = require "moontls.conn"
local hex = require "moontls.hex"
local msg = require "moontls.msg"

-- Messages as tables (SCRIPTING.md 6.4): tls.decode, tls.encode, tls.validate, the
-- extension helpers tls.ext.*, the byte mutators tls.mut.*, and tls.hex (encode,
-- decode, dump).
local M = {
  version = core.version, core = core, names = names, rng = rng, hex = hex,
  decode = msg.decode, encode = msg.encode, validate = msg.validate,
  ext = require "moontls.ext", mut = require "moontls.mut",
}

-- Alert names both ways: tls.alerts[50] == "decode_error", tls.alerts.decode_error == 50.
M.alerts = setmetatable({}, {
  __index = function(_, k)
    if type(k) == "number" then return core.alert_name(k) end
    if type(k) == "string" then return core.alert_code(k) end
  end,
})

M.context = context.new
-- tls.key_share(group[, private][, rng]) -> {group=, key_exchange=, private=} (SCRIPTING.md 6.1).
M.key_share = require("moontls.keyshare").key_share
-- Sessions for resumption (SCRIPTING.md 6.3): tls.session(bytes); conn:session().
M.session = require("moontls.session").new
-- tls.session_cache([max]): client contexts with session_cache = cache resume by themselves.
M.session_cache = require("moontls.sessioncache").new
M.pair = conn.pair
M.pump = conn.pump
-- Declarative quirks (SCRIPTING.md 6.6): tls.quirks.names, tls.quirks.check; conn:quirk.
M.quirks = require "moontls.quirks"

-- Manual driving and expectations (SCRIPTING.md 6.7): conn:build/send_message/expect...
local drive = require "moontls.drive"
M.is_alert = drive.is_alert
-- Traces, trace files, trace peers and replay (SCRIPTING.md 6.8); conn:transcript().
M.trace = require "moontls.trace"

-- LuaSocket is loaded on first use only: sans-I/O users need not have it.
function M.connect(host, port, ctx, opts)
  return require("moontls.socket").connect(host, port, ctx, opts)
end
-- tls.listen(host, port, ctx[, opts]) -> listener; listener:accept() -> conn (SCRIPTING.md 6.3).
function M.listen(host, port, ctx, opts)
  return require("moontls.socket").listen(host, port, ctx, opts)
end
-- tls.raw_connect(host, port[, opts]) -> raw: plain TCP with a record splitter, no TLS state.
function M.raw_connect(host, port, opts)
  return require("moontls.raw").connect(host, port, opts)
end

return M
