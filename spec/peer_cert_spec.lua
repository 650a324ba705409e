-- conn:peer_certificate([i]), conn:peer_chain() and conn:verify_result() in memory over
-- the test PKI (leaf + intermediate chains, an expired leaf, a resumption), and once live
-- against openssl s_server. Certificates are DER strings (there is no tls.x509 object
-- module yet): compared with the fixture files' DER.
local tls = require "moontls"
local T = require "support.tls_helpers"
local server, client, leaf_server, handshake = T.server, T.client, T.leaf_server, T.handshake

local PKI = T.PKI

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The DER of the first certificate in a PEM file (base64 between the markers).
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function pem_der(path)
  local b64 = read(path):match("%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-(.-)%-%-%-%-%-END")
  b64 = b64:gsub("[^%w+/]", "")
  local out, bits, nbits = {}, 0, 0
  for ch in b64:gmatch(".") do
    bits = (bits << 6) | (B64:find(ch, 1, true) - 1)
    nbits = nbits + 6
    if nbits >= 8 then
      nbits = nbits - 8
      out[#out + 1] = string.char((bits >> nbits) & 0xff)
    end
  end
  return table.concat(out)
end

local INT = pem_der(PKI .. "int-ca.pem")

describe("peer certificates", function()
  it("the fixture DER helper agrees with leaf-p256.der", function()
    assert.equal(read(PKI .. "leaf-p256.der"), pem_der(PKI .. "leaf-p256.pem"))
  end)

  it("verify = none: leaf and intermediate as sent, no verification result", function()
    local c, _, ok, err = handshake(assert(tls.context{ mode = "client", verify = "none" }), server())
    assert.is_true(ok, err)
    local chain = c:peer_chain()
    assert.equal(2, #chain)
    assert.equal(read(PKI .. "leaf-p256.der"), chain[1])
    assert.equal(INT, chain[2])
    assert.equal(chain[1], c:peer_certificate())
    assert.equal(chain[1], c:peer_certificate(1))
    assert.equal(INT, c:peer_certificate(2))
    assert.is_nil(c:peer_certificate(3))
    assert.is_nil(c:verify_result())
  end)

  it("verified: true, and the chain survives the end of the handshake", function()
    local c, s, ok, err = handshake(client(), leaf_server("leaf-rsa"))
    assert.is_true(ok, err)
    assert.equal(5, c:send("hello"))
    assert(tls.pump(c, s))
    assert.equal("hello", s:receive(5))
    assert.is_true(c:verify_result())
    assert.same({ pem_der(PKI .. "leaf-rsa.pem"), INT }, c:peer_chain())
  end)

  it("expired leaf with verify off: the handshake completes and the leaf is there", function()
    local c, _, ok, err = handshake(assert(tls.context{ mode = "client", verify = "none" }),
      leaf_server("leaf-expired"))
    assert.is_true(ok, err)
    assert.equal(pem_der(PKI .. "leaf-expired.pem"), c:peer_certificate())
    assert.is_nil(c:verify_result())
  end)

  it("expired leaf verified: false, the reason and NAME, the chain kept after the failure", function()
    local c, _, ok = handshake(client(), leaf_server("leaf-expired"))
    assert.is_nil(ok)
    local v, reason, name = c:verify_result()
    assert.is_false(v)
    assert.matches("certificate has expired", reason)
    assert.equal("CERTIFICATE_EXPIRED", name)
    assert.equal(pem_der(PKI .. "leaf-expired.pem"), c:peer_certificate())
  end)

  it("a verify_peer hook that accepts a failed check: the result still says why it failed", function()
    local c, _, ok, err = handshake(client{ server_name = "wrong.example",
      hooks = { verify_peer = function() return true end } }, server())
    assert.is_true(ok, err)
    local v, reason, name = c:verify_result()
    assert.is_false(v)
    assert.matches("wrong.example", reason)
    assert.equal("BAD_CERTIFICATE", name)
  end)

  it("a resumed session carries no certificates and runs no check", function()
    local sctx = server()
    local c1, _, ok, err = handshake(client(), sctx)
    assert.is_true(ok, err)
    assert.equal(2, #c1:peer_chain())
    local c2, _, ok2, err2 = handshake(client{ session = assert(c1:session()) }, sctx)
    assert.is_true(ok2, err2)
    assert.is_true(c2:info().resumed)
    assert.same({}, c2:peer_chain())
    assert.is_nil(c2:peer_certificate())
    assert.is_nil(c2:verify_result())
  end)

  it("a server sees no client certificate; nothing before the handshake", function()
    local c, s = tls.pair(client(), server())
    assert.same({}, c:peer_chain())
    assert.is_nil(c:verify_result())
    assert(tls.pump(c, s))
    assert.same({}, s:peer_chain())
    assert.is_nil(s:peer_certificate())
    assert.is_nil(s:verify_result())
  end)

  it("raises on a bad index", function()
    local c = tls.pair(client(), server())
    assert.has_error(function() c:peer_certificate(0) end)
    assert.has_error(function() c:peer_certificate("1") end)
    assert.has_error(function() c:peer_certificate(1.5) end)
  end)
end)

T.describe_openssl("peer certificates from openssl s_server", function()
  it("the chain s_server sends, verified", function()
    local H = require "interop.helpers"
    local _, port = H.openssl_server("leaf-p384", "-www")
    local c, err, name = H.connect(port)
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    assert.is_true(c:verify_result())
    assert.same({ pem_der(PKI .. "leaf-p384.pem"), INT }, c:peer_chain())
  end)
end)
