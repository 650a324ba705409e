-- Our fatal alerts go through the record_out and wire_out hooks (a script may mutate or
-- drop them), and a Lua hook that raises sends internal_error and reports the Lua error.
-- In memory, with what the peer received.
local tls = require "moontls"

local T = require "support.tls_helpers"
local server, client = T.server, T.client

-- A client whose Finished is wrong: the server answers decrypt_error (RFC 8446 4.4.4).
local function bad_client() return client{ quirks = { bad_finished = true } } end

describe("our fatal alerts through the record hooks", function()
  it("record_out sees the alert and may rewrite it; our decision stays decrypt_error", function()
    local seen
    local sctx = server{ hooks = { record_out = function(_, rec, ev)
      if rec.type == "alert" then
        seen = { payload = rec.payload, epoch = ev.epoch }
        rec.payload = "\2\40" -- handshake_failure
      end
    end } }
    local c, s = tls.pair(bad_client(), sctx)
    assert.is_nil((tls.pump(c, s)))
    -- under the server's application keys: it had sent its Finished
    assert.same({ payload = "\2\51", epoch = "application" }, seen)
    assert.matches("^alert sent: fatal decrypt_error", s:error())
    assert.matches("^alert received: fatal handshake_failure", c:error())
  end)

  it("record_out returning false drops it: the peer hears nothing", function()
    local sctx = server{ hooks = { record_out = function(_, rec)
      if rec.type == "alert" then return false end
    end } }
    local c, s = tls.pair(bad_client(), sctx)
    local ok, err = tls.pump(c, s)
    assert.is_nil(ok)
    assert.matches("^alert sent: fatal decrypt_error", err)
    assert.matches("^alert sent: fatal decrypt_error", s:error())
    -- the client never hears of it: its handshake looks complete
    assert.is_nil(c:error())
    assert.is_true(c:info().handshake_done)
  end)

  it("wire_out sees the sealed alert record", function()
    local writes = {}
    local sctx = server{ hooks = { wire_out = function(_, bytes) writes[#writes + 1] = bytes end } }
    local c, s = tls.pair(bad_client(), sctx)
    local n_before
    s:on("alert", function(_, a, dir) if dir == "out" then n_before = #writes end end)
    assert.is_nil((tls.pump(c, s)))
    assert.is_number(n_before)
    local last = writes[#writes]
    -- a protected record (application keys): outer type application_data, 2 bytes of
    -- alert, 1 of inner type, 16 of tag
    assert.equal(23, last:byte(1))
    assert.equal(2 + 1 + 16, string.unpack(">I2", last, 4))
    assert.matches("^alert received: fatal decrypt_error", c:error())
  end)

  it("plaintext alerts too (before any key): the ClientHello refused", function()
    local seen
    local sctx = server{ suites = { "TLS_AES_256_GCM_SHA384" }, hooks = { record_out = function(_, rec, ev)
      if rec.type == "alert" then seen = ev.epoch; rec.payload = "\2\80" end
    end } }
    local c, s = tls.pair(client{ suites = { "TLS_AES_128_GCM_SHA256" } }, sctx)
    assert.is_nil((tls.pump(c, s)))
    assert.equal("initial", seen)
    assert.matches("^alert sent: fatal handshake_failure", s:error())
    assert.matches("^alert received: fatal internal_error", c:error())
  end)
end)

describe("a Lua hook that raises", function()
  it("sends internal_error and reports the Lua error", function()
    local c, s = tls.pair(client{ hooks = { message_out = function(_, msg)
      if msg.type == "finished" then error("boom in a hook") end
    end } }, server())
    local ok, err, name = tls.pump(c, s)
    assert.is_nil(ok)
    assert.equal("HOOK", name)
    assert.matches("^hook error: .*boom in a hook", err)
    assert.matches("^alert received: fatal internal_error", s:error())
  end)

  it("an informational hook too (secret)", function()
    local c, s = tls.pair(client(), server{ hooks = { secret = function() error("no keys for you") end } })
    assert.is_nil((tls.pump(c, s)))
    assert.matches("no keys for you", s:error())
    assert.matches("^alert received: fatal internal_error", c:error())
  end)

  it("with a record_out hook: the internal_error goes through it, the failed hook is not run again", function()
    local calls = 0
    local cctx = client{ hooks = {
      message_out = function(_, msg) if msg.type == "finished" then error("boom") end end,
      record_out = function(_, rec) if rec.type == "alert" then calls = calls + 1 end end,
    } }
    local c, s = tls.pair(cctx, server())
    assert.is_nil((tls.pump(c, s)))
    -- after a hook error the connection runs no more hooks (conn.lua): the alert passes
    assert.equal(0, calls)
    assert.matches("^alert received: fatal internal_error", s:error())
    assert.matches("boom", c:error())
  end)
end)

-- ---------------------------------------------------------------------------------
-- Against OpenSSL on 127.0.0.1: s_client reports the alert as our hook rewrote it
-- ---------------------------------------------------------------------------------

T.describe_openssl("our rewritten fatal alert against openssl s_client", function()
  -- s_client offers only AES-256 to a server that takes only AES-128: handshake_failure
  -- (RFC 8446 4.1.1), unless the record_out hook rewrites it. Returns our error and the
  -- s_client output.
  local function refuse(rewrite)
    local ctx = server{ suites = { "TLS_AES_128_GCM_SHA256" }, hooks = { record_out = function(_, rec)
      if rewrite and rec.type == "alert" then rec.payload = rewrite end
    end } }
    local ok, err, _, out = T.vs_s_client("-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384", ctx)
    assert.is_nil(ok)
    return err, out
  end

  it("as the engine sent it: handshake failure", function()
    local err, out = refuse(nil)
    assert.matches("^alert sent: fatal handshake_failure", err)
    assert.matches("handshake failure", out)
  end)

  it("rewritten by record_out to internal_error: s_client reports internal error", function()
    local err, out = refuse("\2\80")
    assert.matches("^alert sent: fatal handshake_failure", err) -- our decision
    assert.matches("internal error", out)                     -- the wire
    assert.not_matches("handshake failure", out)
  end)
end)
