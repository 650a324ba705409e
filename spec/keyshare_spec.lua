-- tls.key_share (bindings/moontls/keyshare.lua, bindings/keyshare.c, moontls.h
-- mt_key_share): key pairs made by the engine's own key-share code, as ClientHello
-- key_share entries. RFC 7748 vectors through `private`; every group's public value is
-- accepted by our server; pinned keys give the same share the engine builds.
local tls = require "moontls"
local H = require "interop.helpers"

local hex = tls.hex.decode
local PKI = H.PKI
local GROUPS = { "x25519", "x448", "secp256r1", "secp384r1", "secp521r1",
                 "ffdhe2048", "ffdhe3072", "ffdhe4096" }
local PUB_LEN = { x25519 = 32, x448 = 56, secp256r1 = 65, secp384r1 = 97, secp521r1 = 133,
                  ffdhe2048 = 256, ffdhe3072 = 384, ffdhe4096 = 512 }

-- key = hex lines of spec/fixtures/rfc7748-*-dh.txt
local function vectors(name)
  local v = {}
  for line in io.lines("spec/fixtures/" .. name) do
    local k, x = line:match("^([%w_]+) = (%x+)$")
    if k then v[k] = hex(x) end
  end
  return v
end

local function server(group)
  return assert(tls.context{ mode = "server", versions = { "1.3" }, groups = { group },
    certificate = PKI .. "leaf-p256.pem", key = PKI .. "leaf-p256.key" })
end

describe("tls.key_share", function()
  for _, f in ipairs{ "rfc7748-x25519-dh.txt", "rfc7748-x448-dh.txt" } do
    it("derives the RFC 7748 public values from the private keys (" .. f .. ")", function()
      local v = vectors(f)
      local group = f:match("(x%d+)")
      for _, who in ipairs{ "alice", "bob" } do
        local k = assert(tls.key_share(group, v[who .. "_private"]))
        assert.same({ group = group, key_exchange = v[who .. "_public"],
                      private = v[who .. "_private"] }, k)
      end
    end)
  end

  for _, g in ipairs(GROUPS) do
    it(g .. ": a fresh share of the right shape, accepted by our server in a ClientHello", function()
      local k = assert(tls.key_share(g))
      assert.equal(g, k.group)
      assert.equal(PUB_LEN[g], #k.key_exchange)
      assert.is_true(#k.private > 0)
      if g:match("^secp") then assert.equal("\4", k.key_exchange:sub(1, 1)) end
      assert.not_equal(k.key_exchange, tls.key_share(g).key_exchange) -- a new key each call
      local c, s = tls.pair(tls.context{ mode = "client", versions = { "1.3" }, verify = "none",
                                         groups = { g }, key_shares = { g } }, server(g))
      local ch = assert(c:build("client_hello"))
      tls.ext.find(ch, "key_share").client_shares = { k }   -- the table as returned
      assert.is_true(c:send_message(ch, { name = "CH" }))
      s:handshake()
      local sh = assert(c:expect("server_hello", nil, { name = "SH" }))
      assert.equal(g, tls.ext.find(sh, "key_share").group)
    end)
  end

  it("the control: a share of the right length but invalid is refused by the same server", function()
    local c, s = tls.pair(tls.context{ mode = "client", versions = { "1.3" }, verify = "none",
                                       groups = { "secp256r1" } }, server("secp256r1"))
    local ch = assert(c:build("client_hello"))
    tls.ext.find(ch, "key_share").client_shares =
      { { group = "secp256r1", key_exchange = "\4" .. ("\1"):rep(64) } }
    c:send_message(ch)
    s:handshake()
    local _, err = c:expect("server_hello")
    assert.is_true(tls.is_alert(err, "illegal_parameter"))
  end)

  for _, g in ipairs{ "x25519", "x448", "secp256r1", "secp384r1", "secp521r1" } do
    it(g .. ": a pinned private key gives the share the engine builds, and the handshake completes", function()
      local k = assert(tls.key_share(g))
      assert.same(k, tls.key_share(g, k.private))
      local c, s = tls.pair(tls.context{ mode = "client", versions = { "1.3" }, verify = "none",
                                         groups = { g }, key_shares = { [g] = { private = k.private } } },
                            server(g))
      local ch = assert(c:build("client_hello"))
      assert.same({ { group = g, key_exchange = k.key_exchange } },
                  tls.ext.find(ch, "key_share").client_shares)
      assert.is_true(c:send_message(ch))
      assert.is_true(c:handshake())
      assert.equal(g, c:info().group)
    end)
  end

  it("draws through a tls.rng generator, a function or {rng = ...}, purpose key_share", function()
    local a = assert(tls.key_share("x25519", nil, tls.rng.seeded("seed")))
    assert.same(a, tls.key_share("x25519", nil, { rng = tls.rng.seeded("seed") }))
    local scalar = ("\7"):rep(32)
    local seen
    local b = assert(tls.key_share("x25519", nil, function(n, purpose)
      seen = { n, purpose }
      return scalar
    end))
    assert.same({ 32, "key_share" }, seen)
    assert.same(tls.key_share("x25519", scalar), b)
    assert.same(b, tls.key_share("x25519", nil, tls.rng.pinned{ key_share = scalar }))
  end)

  it("a failing generator is a runtime failure, not a raise", function()
    local k, err, name = tls.key_share("x448", nil, function() error("no entropy") end)
    assert.is_nil(k)
    assert.matches("no entropy", err)
    assert.equal("HOOK", name)
    k, err, name = tls.key_share("x25519", nil, function() return "short" end)
    assert.is_nil(k)
    assert.matches("32 bytes", err)
    assert.equal("HOOK", name)
  end)

  it("misuse raises: unknown group, bad private key, wrong argument types", function()
    assert.has_error(function() tls.key_share("x12345") end, 'key_share: unknown group "x12345"')
    assert.has_error(function() tls.key_share(0x1234) end)
    assert.has_error(function() tls.key_share("x25519", ("\1"):rep(31)) end)
    assert.has_error(function() tls.key_share("secp256r1", ("\0"):rep(32)) end) -- d = 0
    assert.has_error(function() tls.key_share("ffdhe2048", ("\1"):rep(32)) end) -- no import
    assert.has_error(function() tls.key_share("x25519", 42) end)
    assert.has_error(function() tls.key_share("x25519", nil, "seed") end)
  end)
end)
