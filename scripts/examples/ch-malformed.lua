#!/usr/bin/env lua5.4
-- ch-malformed.lua: probe a server's ClientHello parser (SCRIPTING.md 7 (a)).
--   ./scripts/moontls run scripts/examples/ch-malformed.lua -p 4433 [-x "duplicate supported_versions"]
local tls  = require "moontls"
local test = require "moontls.test"

local suite = test.suite{ name = "clienthello-malformed", argv = arg }

local function client()
  return assert(tls.context{
    mode = "client", versions = {"1.3"},
    groups = {"x25519", "secp256r1"}, verify = "none",
  })
end

suite:probe("sanity", function(t)
  local c = t:connect(client())
  t:ok(c:handshake())
  c:close()
end)

-- Extensions block declared one byte longer than it is: RFC 8446 6.2 says decode_error.
suite:probe("extensions length +1", function(t)
  local c  = t:connect(client())
  local ch = c:build("client_hello")
  ch.extensions_len = function(n) return n + 1 end
  c:send_message(ch, { name = "CH" })
  t:expect_alert(c, "decode_error")
  t:expect_close(c)
end)

-- Two supported_versions extensions; servers differ on the alert, so accept a set.
suite:probe("duplicate supported_versions", function(t)
  local c  = t:connect(client())
  local ch = c:build("client_hello")
  tls.ext.duplicate(ch, "supported_versions")
  c:send_message(ch)
  t:expect_alert(c, { "illegal_parameter", "decode_error" })
  t:expect_close(c)
end)

-- Cut 1..4 bytes from the body; the handshake header length follows the cut.
for cut = 1, 4 do
  suite:probe(("body truncated by %d"):format(cut), function(t)
    local c = t:connect(client())
    c:send_message("client_hello", nil, { body = tls.mut.truncate(cut) })
    t:expect_alert(c, "decode_error")
    t:expect_close(c)
  end)
end

os.exit(suite:run())
