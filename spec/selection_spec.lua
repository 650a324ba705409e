-- Selection hooks: SNI picks the context, an ALPN function picks the
-- protocol, the client_hello hook may switch context or refuse, select edits the
-- server's decision, verify_peer overrides the client's chain check.
local tls = require "moontls"

local PKI = "spec/fixtures/pki/"

local function server(stem, extra)
  local p = { mode = "server", certificate = PKI .. stem .. ".chain.pem", key = PKI .. stem .. ".key" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

local function client(name, extra)
  local p = { mode = "client", cafile = PKI .. "ca-bundle.pem", server_name = name }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

local function handshake(cctx, sctx)
  local c, s = tls.pair(cctx, sctx)
  local ok, err, name = tls.pump(c, s)
  return c, s, ok, err, name
end

local function is_rsa(sigalg) return sigalg:match("^rsa_pss") ~= nil end

describe("sni", function()
  local rsa = server("leaf-rsa")

  it("a table maps the client's name to a context", function()
    local s = server("leaf-p256", { sni = { ["server.moontls.test"] = rsa } })
    local c, _, ok, err = handshake(client("server.moontls.test"), s)
    assert.is_true(ok, err)
    assert.is_true(is_rsa(c:info().sigalg), c:info().sigalg)
    -- another name keeps the default context (ECDSA)
    c, _, ok, err = handshake(client("localhost"), s)
    assert.is_true(ok, err)
    assert.equal("ecdsa_secp256r1_sha256", c:info().sigalg)
  end)

  it("a function may pick a context or refuse with an alert", function()
    local seen
    local s = server("leaf-p256", { sni = function(conn, name)
      seen = name
      if name == "server.moontls.test" then return rsa end
      return nil, "unrecognized_name"
    end })
    local c, _, ok, err = handshake(client("server.moontls.test"), s)
    assert.is_true(ok, err)
    assert.equal("server.moontls.test", seen)
    assert.is_true(is_rsa(c:info().sigalg))
    local c2, s2, ok2, err2 = handshake(client("localhost"), s)
    assert.is_nil(ok2)
    assert.equal("localhost", seen)
    assert.matches("unrecognized_name", tostring(c2:error() or err2))
    assert.matches("alert sent: fatal unrecognized_name", s2:error())
  end)

  it("is for servers only", function()
    assert.has_error(function() client("localhost", { sni = {} }) end)
  end)
end)

describe("alpn function", function()
  it("chooses among the client's offers", function()
    local offered
    local s = server("leaf-p256", { alpn = function(conn, list)
      offered = list
      return list[#list]
    end })
    local c, sc, ok, err = handshake(client("localhost", { alpn = { "h2", "http/1.1" } }), s)
    assert.is_true(ok, err)
    assert.same({ "h2", "http/1.1" }, offered)
    assert.equal("http/1.1", c:info().alpn)
    assert.equal("http/1.1", sc:info().alpn)
  end)

  it("nil negotiates no protocol", function()
    local s = server("leaf-p256", { alpn = function() return nil end })
    local c, _, ok, err = handshake(client("localhost", { alpn = { "h2" } }), s)
    assert.is_true(ok, err)
    assert.is_nil(c:info().alpn)
  end)

  it("a protocol the client did not offer draws no_application_protocol", function()
    local s = server("leaf-p256", { alpn = function() return "spdy/3" end })
    local _, sc, ok = handshake(client("localhost", { alpn = { "h2" } }), s)
    assert.is_nil(ok)
    assert.matches("alert sent: fatal no_application_protocol", sc:error())
  end)
end)

describe("client_hello hook", function()
  it("sees the decoded ClientHello and may return a context", function()
    local rsa = server("leaf-rsa")
    local got
    local s = server("leaf-p256", { hooks = { client_hello = function(conn, ch)
      got = ch
      return rsa
    end } })
    local c, _, ok, err = handshake(client("localhost"), s)
    assert.is_true(ok, err)
    assert.equal("client_hello", got.type)
    assert.is_table(got.cipher_suites)
    assert.is_true(is_rsa(c:info().sigalg))
  end)
end)

describe("select hook", function()
  it("edits the decision: both sides follow", function()
    local s = server("leaf-p256", { hooks = { select = function(conn, choice)
      assert.equal("TLS_AES_128_GCM_SHA256", choice.suite)
      choice.suite = "TLS_CHACHA20_POLY1305_SHA256"
    end } })
    local c, sc, ok, err = handshake(client("localhost"), s)
    assert.is_true(ok, err)
    assert.equal("TLS_CHACHA20_POLY1305_SHA256", c:info().suite)
    assert.equal("TLS_CHACHA20_POLY1305_SHA256", sc:info().suite)
  end)

  it("can ask for another group with a HelloRetryRequest", function()
    local s = server("leaf-p256", { hooks = { select = function(conn, choice)
      choice.group, choice.hrr = "secp384r1", true
    end } })
    local c, _, ok, err = handshake(client("localhost"), s)
    assert.is_true(ok, err)
    assert.is_true(c:info().hrr)
    assert.equal("secp384r1", c:info().group)
  end)
end)

describe("verify_peer hook", function()
  it("sees the chain and the check's result, and may accept a failed check", function()
    local seen
    local c, _, ok, err = handshake(client("wrong.example", { hooks = { verify_peer =
      function(conn, chain, result)
        seen = result
        assert.is_true(#chain >= 2)
        assert.equal(0x30, chain[1]:byte(1)) -- DER SEQUENCE
        return true
      end } }), server("leaf-p256"))
    assert.is_true(ok, err)
    assert.is_false(seen.ok)
    assert.equal("BAD_CERTIFICATE", seen.error)
    assert.matches("wrong.example", seen.reason)
  end)

  it("may refuse a good chain with the alert it names", function()
    local c, s, ok = handshake(client("localhost", { hooks = { verify_peer =
      function() return false, "certificate_unknown" end } }), server("leaf-p256"))
    assert.is_nil(ok)
    assert.matches("alert sent: fatal certificate_unknown", c:error())
    assert.matches("alert received: fatal certificate_unknown", s:error())
  end)
end)
