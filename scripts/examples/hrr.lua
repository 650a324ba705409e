#!/usr/bin/env lua5.4
-- hrr.lua: TLS 1.3 HelloRetryRequest forced with a specific group (SCRIPTING.md 7 (d)).
--   openssl s_server -accept 4433 -tls1_3 -groups secp384r1 ...
--   ./scripts/moontls run scripts/examples/hrr.lua -p 4433
-- The in-memory probe needs no peer; its certificate comes from $MOONTLS_CERT and
-- $MOONTLS_KEY (default: the test PKI of the checkout).
local tls  = require "moontls"
local test = require "moontls.test"
local suite = test.suite{ name = "tls13-hrr", argv = arg }

local root = os.getenv("MOONTLS_ROOT") or "."
local CERT = os.getenv("MOONTLS_CERT") or root .. "/spec/fixtures/pki/leaf-p256.pem"
local KEY = os.getenv("MOONTLS_KEY") or root .. "/spec/fixtures/pki/leaf-p256.key"

-- Offer only secp384r1 and send no key share, so the server must send HRR for it.
local function client()
  return assert(tls.context{ mode = "client", versions = {"1.3"}, verify = "none",
                             groups = {"secp384r1"}, key_shares = {} })
end

suite:probe("HRR selects secp384r1, then the handshake completes", function(t)
  local c = t:connect(client())
  c:send_message("client_hello", nil, { name = "CH1" })
  local hrr = t:expect(c, "hello_retry_request", nil, { name = "HRR" })
  t:eq(tls.ext.find(hrr, "key_share").selected_group, "secp384r1")
  local ch2 = c:build("client_hello")            -- engine applies the HRR: one share, cookie echoed
  t:eq(#tls.ext.find(ch2, "key_share").client_shares, 1)
  c:send_message(ch2, { name = "CH2" })
  t:ok(c:handshake())                            -- let the engine finish
  t:eq(c:info().group, "secp384r1")
  t:ok(c:info().hrr)
end)

suite:probe("second ClientHello ignores the requested group", function(t)
  local c = t:connect(client())
  c:send_message("client_hello")
  t:expect(c, "hello_retry_request")
  local ch2 = c:build("client_hello")
  -- a real X25519 share: the group, not the value, is what the server must refuse
  tls.ext.find(ch2, "key_share").client_shares = { tls.key_share("x25519") }
  c:send_message(ch2, { name = "CH2" })
  t:expect_alert(c, "illegal_parameter")
  t:expect_close(c)
end)

-- The other side: our server asks for secp384r1, in memory, no sockets. With the
-- hello_retry quirk the server forces HRR even though x25519 was offered with a share;
-- without it (a build before quirks), the server supports secp384r1 only.
suite:probe("server-forced HRR (in-memory pair)", function(t)
  local params = { mode = "server", versions = {"1.3"}, certificate = CERT, key = KEY,
    groups = {"secp384r1", "x25519"},
    quirks = { hello_retry = { group = "secp384r1", cookie = true } } }
  local ok, server = pcall(tls.context, params)
  if not ok or not server then
    params.quirks, params.groups = nil, {"secp384r1"}
    server = assert(tls.context(params))
  end
  local client2 = assert(tls.context{ mode = "client", versions = {"1.3"}, verify = "none",
    groups = {"x25519", "secp384r1"}, key_shares = {"x25519"} })
  local c, s = tls.pair(client2, server)
  t:ok(tls.pump(c, s))
  t:ok(c:info().hrr)
  t:eq(s:info().group, "secp384r1")
end)

os.exit(suite:run())
