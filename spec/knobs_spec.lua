-- Engine knobs as context keys (bindings/moontls/context.lua): hrr_cookie (fixed bytes or
-- a function), extensions = {[message] = {order =, add =}}. In memory, with what the peer
-- saw and how it answered.
local tls = require "moontls"

local T = require "support.tls_helpers"
local server, client = T.server, T.client

local function types(msg)
  local t = {}
  for i, e in ipairs(msg.extensions or {}) do t[i] = e.type end
  return t
end

-- A client that records every message it receives, by type (hello_retry_request apart).
local function watching_client(extra)
  local seen = {}
  extra = extra or {}
  extra.hooks = { message_in = function(_, m) seen[m.type] = m end }
  return client(extra), seen
end

describe("context key extensions", function()
  it("orders the ServerHello's extensions; the client accepts any order", function()
    local cctx, seen = watching_client()
    local c, s = tls.pair(cctx, server{ extensions = { server_hello = { order = { "key_share", "supported_versions" } } } })
    assert.is_true(tls.pump(c, s))
    assert.same({ "key_share", "supported_versions" }, types(seen.server_hello))
    -- without the knob the engine writes supported_versions first
    local cctx2, seen2 = watching_client()
    c, s = tls.pair(cctx2, server())
    assert.is_true(tls.pump(c, s))
    assert.same({ "supported_versions", "key_share" }, types(seen2.server_hello))
  end)

  it("adds to EncryptedExtensions (parsed fields or raw data) in the asked order", function()
    local cctx, seen = watching_client()
    local sctx = server{ extensions = { encrypted_extensions = {
      add = { { type = "supported_groups", named_group_list = { "x25519", "secp256r1" } } },
      order = { "supported_groups", "server_name" },
    } } }
    local c, s = tls.pair(cctx, sctx)
    assert.is_true(tls.pump(c, s)) -- RFC 8446 4.2.7: servers may send supported_groups
    local ee = seen.encrypted_extensions
    assert.same({ "supported_groups", "server_name" }, types(ee))
    assert.same({ "x25519", "secp256r1" }, ee.extensions[1].named_group_list)
    assert.equal("", ee.extensions[2].data or "")
  end)

  it("an extension the client did not offer: the client answers unsupported_extension", function()
    local c, s = tls.pair(client(), server{ extensions = { encrypted_extensions = {
      add = { { type = "record_size_limit", data = "\x40\x01" } } } } })
    local ok = tls.pump(c, s)
    assert.is_nil(ok)
    assert.matches("^alert sent: fatal unsupported_extension", c:error())
    assert.matches("^alert received: fatal unsupported_extension", s:error())
  end)

  it("orders the client's ClientHello and adds to it; the server sees it so", function()
    local got
    local sctx = server{ hooks = { client_hello = function(_, ch) got = ch end } }
    local c, s = tls.pair(client{ extensions = { client_hello = {
      order = { "key_share", "supported_versions" }, add = { { type = 0x4242, data = "" } } } } }, sctx)
    assert.is_true(tls.pump(c, s))
    local t = types(got)
    assert.equal("key_share", t[1])
    assert.equal("supported_versions", t[2])
    assert.equal(0x4242, t[#t])
  end)

  it("a ClientHello with pre_shared_key is left as built (its binders cover the order)", function()
    local NOW = 1735689600
    local function clock() return NOW end
    local sctx = server{ clock = clock }
    local shape = { client_hello = { order = { "key_share", "supported_versions" } } }
    local hellos = {}
    local function run(session)
      local c, s = tls.pair(client{ clock = clock, extensions = shape, session = session }, sctx)
      s:on("message_in", function(_, m)
        if m.type == "client_hello" then hellos[#hellos + 1] = types(m) end
      end)
      assert.is_true(tls.pump(c, s))
      return c, s
    end
    local c = run(nil) -- full handshake: the ClientHello is shaped
    assert.equal("key_share", hellos[1][1])
    assert.equal("supported_versions", hellos[1][2])
    local c2, s2 = run(assert(c:session())) -- resumption: as built, binders verify
    local h2 = hellos[2]
    assert.equal("pre_shared_key", h2[#h2])
    assert.not_equal("key_share", h2[1])
    assert.is_true(c2:info().resumed)
    assert.is_true(s2:info().resumed)
  end)

  it("orders the HelloRetryRequest's extensions", function()
    local cctx, seen = watching_client{ groups = { "x25519", "secp384r1" } }
    local sctx = server{ quirks = { hello_retry = { group = "secp384r1" } }, hrr_cookie = true,
                         extensions = { hello_retry_request = { order = { "key_share", "cookie" } } } }
    local c, s = tls.pair(cctx, sctx)
    assert.is_true(tls.pump(c, s))
    assert.same({ "key_share", "cookie", "supported_versions" }, types(seen.hello_retry_request))
  end)

  it("raises on misuse, naming the key", function()
    assert.has_error(function() server{ extensions = { finished = { order = {} } } } end)
    assert.has_error(function() server{ extensions = { client_hello = { order = { "key_share" } } } } end,
                     "tls.context: extensions.client_hello: the server does not build it")
    assert.has_error(function() client{ extensions = { server_hello = { order = { "key_share" } } } } end)
    assert.has_error(function() server{ extensions = { server_hello = { order = { "no_such" } } } } end)
    assert.has_error(function() server{ extensions = { server_hello = { sort = {} } } } end)
    assert.has_error(function() server{ extensions = { encrypted_extensions = { add = { "x" } } } } end)
    assert.has_error(function() server{ extensions = { encrypted_extensions = { add = { { data = "" } } } } } end)
    assert.has_error(function()
      server{ extensions = { encrypted_extensions = { add = { { type = 28, data = 5 } } } } }
    end)
    assert.has_error(function() server{ extensions = 3 } end)
  end)
end)

describe("context key hrr_cookie", function()
  local function hrr_pair(cookie, chooks)
    local seen = {}
    local hooks = chooks or {}
    hooks.message_in = function(_, m) seen[m.type] = m end
    local cctx = client{ groups = { "x25519", "secp384r1" }, hooks = hooks }
    local sctx = server{ quirks = { hello_retry = { group = "secp384r1" } }, hrr_cookie = cookie }
    local c, s = tls.pair(cctx, sctx)
    return c, s, seen
  end

  it("fixed bytes: sent in the HelloRetryRequest, echoed, the handshake completes", function()
    local c, s, seen = hrr_pair("my cookie")
    assert.is_true(tls.pump(c, s))
    assert.equal("my cookie", tls.ext.find(seen.hello_retry_request, "cookie").cookie)
  end)

  it("a function: called with the ClientHello, its bytes are the cookie", function()
    local calls = 0
    local c, s, seen = hrr_pair(function(conn, ch)
      calls = calls + 1
      assert.equal("server", conn:mode())
      return "r:" .. ch.random:sub(1, 4)
    end)
    assert.is_true(tls.pump(c, s))
    assert.equal(1, calls) -- the first ClientHello only
    local cookie = tls.ext.find(seen.hello_retry_request, "cookie").cookie
    assert.equal("r:", cookie:sub(1, 2))
    assert.equal(6, #cookie)
  end)

  it("a function that returns nil: no cookie on that connection", function()
    local c, s, seen = hrr_pair(function() return nil end)
    assert.is_true(tls.pump(c, s))
    assert.is_nil(tls.ext.find(seen.hello_retry_request, "cookie"))
  end)

  it("the second ClientHello must echo it: illegal_parameter otherwise", function()
    local c, s = hrr_pair("fixed", { message_out = function(_, m)
      local e = m.type == "client_hello" and tls.ext.find(m, "cookie")
      if e then e.cookie = "other" end
    end })
    assert.is_nil(tls.pump(c, s))
    assert.matches("^alert sent: fatal illegal_parameter", s:error())
    assert.matches("cookie", s:error())
    assert.matches("^alert received: fatal illegal_parameter", c:error())
  end)

  it("a function that raises fails the server with the script's message", function()
    local c, s = hrr_pair(function() error("no state today") end)
    assert.is_nil(tls.pump(c, s))
    assert.matches("no state today", s:error())
  end)

  it("raises on misuse", function()
    assert.has_error(function() server{ hrr_cookie = 5 } end)
    assert.has_error(function() server{ hrr_cookie = "" } end, "tls.context: hrr_cookie: 1..65533 bytes expected, got 0")
    assert.has_error(function() server{ hrr_cookie = ("x"):rep(65534) } end)
    assert.has_error(function() client{ hrr_cookie = "x" } end, "tls.context: hrr_cookie: a server option")
  end)
end)

-- ---------------------------------------------------------------------------------
-- Against OpenSSL on 127.0.0.1: a real client takes the shaped messages and echoes the
-- cookie the knob chose
-- ---------------------------------------------------------------------------------

T.describe_openssl("knobs against openssl s_client", function()
  -- s_client (X25519 share, P-384 also offered) -> our server with `extra`; returns ok,
  -- err, the server connection, the s_client output.
  local function vs_s_client(extra)
    return T.vs_s_client("-tls1_3 -groups X25519:P-384", server(extra))
  end

  it("ServerHello in another order, EncryptedExtensions with supported_groups added: completes", function()
    local sent = {}
    local ok, err, _, out = vs_s_client{
      extensions = {
        server_hello = { order = { "key_share", "supported_versions" } },
        encrypted_extensions = { add = { { type = "supported_groups", named_group_list = { "x25519" } } } },
      },
      hooks = { message_out = function(_, m) sent[m.type] = types(m) end },
    }
    assert.is_true(ok, err)
    assert.matches("CONNECTION ESTABLISHED", out)
    assert.same({ "key_share", "supported_versions" }, sent.server_hello)
    assert.equal("supported_groups", sent.encrypted_extensions[#sent.encrypted_extensions])
  end)

  it("a forced HelloRetryRequest with the cookie of a function: s_client echoes it", function()
    local echoed
    local ok, err, conn, out = vs_s_client{
      quirks = { hello_retry = { group = "secp384r1" } },
      hrr_cookie = function(_, ch) return "cookie:" .. ch.random:sub(1, 8) end,
      extensions = { hello_retry_request = { order = { "key_share", "cookie" } } },
      hooks = { message_in = function(_, m)
        if m.type == "client_hello" and tls.ext.find(m, "cookie") then echoed = tls.ext.find(m, "cookie").cookie end
      end },
    }
    assert.is_true(ok, err)
    assert.matches("CONNECTION ESTABLISHED", out)
    assert.is_true(conn:info().hrr)
    assert.equal("secp384r1", conn:info().group)
    assert.equal("cookie:", echoed:sub(1, 7))
    assert.equal(15, #echoed)
  end)
end)
