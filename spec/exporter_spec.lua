-- conn:export_keying_material (RFC 8446 7.5, RFC 5705 interface) in memory. RFC 8448
-- gives no exporter values, so this proves agreement and separation: both sides derive
-- the same bytes, and label, context and length each change them. The match with OpenSSL
-- is in spec/interop/exporter_spec.lua.
local tls = require "moontls"

local PKI = "spec/fixtures/pki/"

local function pair(suites)
  local s = assert(tls.context{ mode = "server", certificate = PKI .. "leaf-p256.chain.pem",
                                key = PKI .. "leaf-p256.key", suites = suites })
  local c = assert(tls.context{ mode = "client", verify = "none", suites = suites })
  return tls.pair(c, s)
end

local function done_pair(suites)
  local c, s = pair(suites)
  assert(tls.pump(c, s))
  return c, s
end

describe("export_keying_material", function()
  it("gives both sides the same bytes", function()
    local c, s = done_pair()
    local a = assert(c:export_keying_material("EXPERIMENTAL moontls", 32, "ctx"))
    local b = assert(s:export_keying_material("EXPERIMENTAL moontls", 32, "ctx"))
    assert.equal(32, #a)
    assert.equal(a, b)
  end)

  it("differs by label, context and connection", function()
    local c, s = done_pair()
    local base = c:export_keying_material("label A", 32, "x")
    assert.not_equal(base, c:export_keying_material("label B", 32, "x"))
    assert.not_equal(base, c:export_keying_material("label A", 32, "y"))
    assert.equal(base, s:export_keying_material("label A", 32, "x"))
    local c2 = done_pair()
    assert.not_equal(base, c2:export_keying_material("label A", 32, "x"))
  end)

  it("a shorter output is not a prefix of a longer one (the length is in the HKDF label)", function()
    local c = done_pair()
    local long = c:export_keying_material("label", 64)
    local short = c:export_keying_material("label", 20)
    assert.equal(64, #long)
    assert.equal(20, #short)
    assert.not_equal(long:sub(1, 20), short)
  end)

  it("in TLS 1.3 no context equals the empty context (RFC 8446 7.5)", function()
    local c, s = done_pair()
    assert.equal(c:export_keying_material("label", 16), s:export_keying_material("label", 16, ""))
    assert.not_equal(c:export_keying_material("label", 16), c:export_keying_material("label", 16, "\0"))
  end)

  it("works with a SHA-384 suite and stays after application data and a key update", function()
    local c, s = done_pair{ "TLS_AES_256_GCM_SHA384" }
    local before = c:export_keying_material("label", 48)
    assert(c:key_update(true))
    assert(tls.pump(c, s))
    assert.equal(before, c:export_keying_material("label", 48))
    assert.equal(before, s:export_keying_material("label", 48))
    assert.equal(255 * 48, #assert(c:export_keying_material("label", 255 * 48)))
    local ok, err, name = c:export_keying_material("label", 255 * 48 + 1)
    assert.is_nil(ok)
    assert.is_string(err)
    assert.equal("BAD_PARAM", name)
  end)

  it("before the handshake completes: nil, err, BAD_STATE", function()
    local c, s = pair()
    local ok, err, name = c:export_keying_material("label", 16)
    assert.is_nil(ok)
    assert.is_string(err)
    assert.equal("BAD_STATE", name)
    ok, err, name = s:export_keying_material("label", 16)
    assert.is_nil(ok)
    assert.equal("BAD_STATE", name)
  end)

  it("a zero-length output is an empty string", function()
    local c = done_pair()
    assert.equal("", c:export_keying_material("label", 0))
  end)

  it("raises on misuse", function()
    local c = done_pair()
    assert.has_error(function() c:export_keying_material(nil, 16) end)
    assert.has_error(function() c:export_keying_material("label", -1) end)
    assert.has_error(function() c:export_keying_material("label", 1.5) end)
    assert.has_error(function() c:export_keying_material("label", 16, 7) end)
  end)

  it("a label too long for the HKDF label is refused", function()
    local c = done_pair()
    assert.truthy(c:export_keying_material(("l"):rep(249), 16))
    local ok, _, name = c:export_keying_material(("l"):rep(250), 16)
    assert.is_nil(ok)
    assert.equal("BAD_PARAM", name)
  end)
end)
