-- Adoption (SCRIPTING.md 6.5, ev.adopt): a message_out hook edits one of our messages and
-- sets ev.adopt = true; the engine takes the final bytes as what it meant, and its state
-- follows. Both roles, in memory, with the peer's reaction asserted against the same edit
-- left on the wire only.
local tls = require "moontls"

local T = require "support.tls_helpers"
local server, client = T.server, T.client

-- A server whose message_out hook runs edit(msg) on messages of type `what` and adopts
-- the result when `adopt` is true.
local function editing_server(what, edit, adopt, extra)
  extra = extra or {}
  local fired = 0
  extra.hooks = { message_out = function(_, msg, ev)
    if msg.type == what then
      fired = fired + 1
      edit(msg)
      ev.adopt = adopt
    end
  end }
  return server(extra), function() return fired end
end

describe("adoption on the server", function()
  local function chacha(sh) sh.cipher_suite = "TLS_CHACHA20_POLY1305_SHA256" end

  it("ServerHello.cipher_suite adopted: both sides use it", function()
    local sctx, fired = editing_server("server_hello", chacha, true)
    local c, s = tls.pair(client(), sctx)
    assert.is_true(tls.pump(c, s))
    assert.equal(1, fired())
    assert.equal("TLS_CHACHA20_POLY1305_SHA256", c:info().suite)
    assert.equal("TLS_CHACHA20_POLY1305_SHA256", s:info().suite)
    assert.equal(5, c:send("ping\n"))
    assert.equal("ping", s:receive("*l"))
  end)

  it("the same edit on the wire only: the client follows it and cannot open our flight", function()
    local sctx = editing_server("server_hello", chacha, false)
    local c, s = tls.pair(client(), sctx)
    assert.is_nil(tls.pump(c, s))
    assert.matches("^alert sent: fatal bad_record_mac", c:error())
    assert.equal("TLS_AES_128_GCM_SHA256", s:info().suite)
  end)

  it("a suite with another hash cannot be adopted: the error names the field", function()
    local sctx = editing_server("server_hello", function(sh) sh.cipher_suite = "TLS_AES_256_GCM_SHA384" end, true)
    local c, s = tls.pair(client(), sctx)
    assert.is_nil(tls.pump(c, s))
    assert.matches("cannot adopt ServerHello.cipher_suite: 0x1302", s:error())
    assert.matches("^alert received: fatal internal_error", c:error())
  end)

  it("a key share for a group the client did not share cannot be adopted", function()
    local sctx = editing_server("server_hello", function(sh)
      local ks = tls.ext.find(sh, "key_share")
      ks.group = "secp384r1"
    end, true)
    local c, s = tls.pair(client(), sctx)
    assert.is_nil(tls.pump(c, s))
    local err, name = s:error()
    assert.matches("cannot adopt ServerHello.key_share.group: 0x0018: the client sent no share", err)
    assert.equal("BAD_PARAM", name)
    assert.matches("^alert received: fatal internal_error", c:error())
  end)

  it("on a resumed handshake too: the suite (same hash as the PSK's) is followed", function()
    local NOW = 1735689600
    local function clock() return NOW end
    local sctx = server{ clock = clock, hooks = { message_out = function(conn, msg, ev)
      if msg.type == "server_hello" and conn.data.edit then
        chacha(msg)
        ev.adopt = true
      end
    end } }
    local cctx = client{ clock = clock }
    local c, s = tls.pair(cctx, sctx)
    assert.is_true(tls.pump(c, s))
    local c2, s2 = tls.pair(cctx:with{ session = assert(c:session()) }, sctx)
    s2.data.edit = true
    assert.is_true(tls.pump(c2, s2))
    assert.is_true(c2:info().resumed)
    assert.is_true(s2:info().resumed)
    assert.equal("TLS_CHACHA20_POLY1305_SHA256", c2:info().suite)
    assert.equal("TLS_CHACHA20_POLY1305_SHA256", s2:info().suite)
  end)

  it("HelloRetryRequest.selected_group adopted: the server waits for that share", function()
    local function p521(hrr) tls.ext.find(hrr, "key_share").selected_group = "secp521r1" end
    local cctx = client{ groups = { "x25519", "secp384r1", "secp521r1" } }
    local sctx = editing_server("hello_retry_request", p521, true, { quirks = { hello_retry = { group = "secp384r1" } } })
    local c, s = tls.pair(cctx, sctx)
    assert.is_true(tls.pump(c, s))
    assert.equal("secp521r1", c:info().group)
    assert.equal("secp521r1", s:info().group)
    -- wire only: the server still wants secp384r1 and refuses the client's P-521 share
    sctx = editing_server("hello_retry_request", p521, false, { quirks = { hello_retry = { group = "secp384r1" } } })
    c, s = tls.pair(cctx, sctx)
    assert.is_nil(tls.pump(c, s))
    assert.matches("^alert sent: fatal illegal_parameter", s:error())
    assert.matches("^alert received: fatal illegal_parameter", c:error())
  end)

  it("HelloRetryRequest.cookie adopted: the echo of the new cookie is what is checked", function()
    local function other(hrr) tls.ext.find(hrr, "cookie").cookie = "replaced" end
    local cctx = client{ groups = { "x25519", "secp384r1" } }
    local q = { quirks = { hello_retry = { group = "secp384r1" } }, hrr_cookie = "original" }
    local sctx = editing_server("hello_retry_request", other, true, q)
    local c, s = tls.pair(cctx, sctx)
    assert.is_true(tls.pump(c, s))
    sctx = editing_server("hello_retry_request", other, false,
                          { quirks = { hello_retry = { group = "secp384r1" } }, hrr_cookie = "original" })
    c, s = tls.pair(cctx, sctx)
    assert.is_nil(tls.pump(c, s))
    assert.matches("cookie", s:error())
    assert.matches("^alert received: fatal illegal_parameter", c:error())
  end)

  it("EncryptedExtensions.alpn adopted: the server's info follows the wire", function()
    local function h11(ee) tls.ext.find(ee, "alpn").protocol_name_list = { "http/1.1" } end
    local cctx = client{ alpn = { "h2", "http/1.1" } }
    local sctx = editing_server("encrypted_extensions", h11, true, { alpn = { "h2", "http/1.1" } })
    local c, s = tls.pair(cctx, sctx)
    assert.is_true(tls.pump(c, s))
    assert.equal("http/1.1", c:info().alpn)
    assert.equal("http/1.1", s:info().alpn)
    sctx = editing_server("encrypted_extensions", h11, false, { alpn = { "h2", "http/1.1" } })
    c, s = tls.pair(cctx, sctx)
    assert.is_true(tls.pump(c, s))
    assert.equal("http/1.1", c:info().alpn)
    assert.equal("h2", s:info().alpn) -- the decision stayed ours
  end)

  it("a message the server cannot adopt fails by name; an unchanged one is simply passed", function()
    -- ev.adopt on a message the hook did not change: nothing is replaced, nothing adopted
    local sctx = editing_server("certificate", function() end, true)
    local c, s = tls.pair(client(), sctx)
    assert.is_true(tls.pump(c, s))
    -- a changed CertificateVerify with ev.adopt: the engine has no state to follow there
    sctx = server{ hooks = { message_out = function(_, msg, ev)
      if msg.type == "certificate_verify" then
        ev.adopt = true
        local raw = msg.raw
        return raw:sub(1, -2) .. string.char(raw:byte(-1) ~ 1)
      end
    end } }
    c, s = tls.pair(client(), sctx)
    assert.is_nil(tls.pump(c, s))
    assert.matches("cannot adopt certificate_verify here", s:error())
    assert.matches("^alert received: fatal internal_error", c:error())
  end)
end)

describe("adoption on the client", function()
  local function new_sid(ch) ch.legacy_session_id = ("\x42"):rep(32) end

  local function editing_client(adopt)
    return client{ hooks = { message_out = function(_, msg, ev)
      if msg.type == "client_hello" then
        new_sid(msg)
        ev.adopt = adopt
      end
    end } }
  end

  it("ClientHello.legacy_session_id adopted: the server's echo matches, the handshake completes", function()
    local c, s = tls.pair(editing_client(true), server())
    assert.is_true(tls.pump(c, s))
  end)

  it("wire only: the client checks the echo against the id it meant (illegal_parameter)", function()
    local c, s = tls.pair(editing_client(false), server())
    assert.is_nil(tls.pump(c, s))
    assert.matches("^alert sent: fatal illegal_parameter", c:error())
    assert.matches("legacy_session_id_echo", c:error())
    assert.matches("^alert received: fatal illegal_parameter", s:error())
  end)
end)
