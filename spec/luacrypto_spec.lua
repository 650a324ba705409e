-- moontls.luacrypto (the Lua primitives behind tls.trace.decrypt) against the known
-- answers the C crypto is held to: FIPS 180 hashes, RFC 4231 HMAC, RFC 5869 HKDF,
-- RFC 8448's HKDF-Expand-Label values, GCM specification and RFC 8439 AEAD cases.
local lc = require "moontls.luacrypto"
local hex = require "moontls.hex"

local FIX = "spec/fixtures/"

-- The fixture format: blocks of `key = hex` lines, blank-line separated, # comments.
local function blocks(path)
  local out, cur = {}, nil
  for line in io.lines(FIX .. path) do
    if line:match("^%s*$") then
      cur = nil
    elseif not line:match("^#") then
      local k, v = line:match("^(%S+) = ?(.*)$")
      if k then
        if not cur then
          cur = {}
          out[#out + 1] = cur
        end
        cur[k] = v
      end
    end
  end
  return out
end

describe("moontls.luacrypto", function()
  it("hashes the FIPS 180 messages (sha256; sha384 through HMAC below)", function()
    local n = 0
    for _, b in ipairs(blocks("hash-fips180.txt")) do
      if b.alg == "sha256" or b.alg == "sha384" then
        local msg = hex.decode(b.msg or "")
        if b["repeat"] then msg = msg:rep(tonumber(b["repeat"])) end
        assert.equal(b.digest, hex.encode(lc.hash(b.alg, msg)), b.alg .. " " .. #msg)
        n = n + 1
      end
    end
    assert.truthy(n >= 5)
  end)

  it("computes the RFC 4231 HMAC-SHA-256 and HMAC-SHA-384 cases", function()
    local n = 0
    for _, b in ipairs(blocks("hmac-rfc2202-rfc4231.txt")) do
      if b.alg == "sha256" or b.alg == "sha384" then
        local mac = hex.encode(lc.hmac(b.alg, hex.decode(b.key), hex.decode(b.data)))
        assert.equal(b.mac, mac:sub(1, #b.mac))
        n = n + 1
      end
    end
    assert.truthy(n >= 12)
  end)

  it("derives the RFC 5869 HKDF and RFC 8448 HKDF-Expand-Label values", function()
    for _, b in ipairs(blocks("hkdf-rfc5869.txt")) do
      if b.hash == "sha256" then
        local prk = lc.hkdf_extract("sha256", hex.decode(b.salt or ""), hex.decode(b.ikm))
        assert.equal(b.prk, hex.encode(prk))
        assert.equal(b.okm, hex.encode(lc.hkdf_expand("sha256", prk, hex.decode(b.info or ""), #b.okm // 2)))
      end
    end
    local n = 0
    for _, b in ipairs(blocks("hkdf-rfc8448.txt")) do
      if b.op == "expand_label" then
        local out = lc.hkdf_expand_label("sha256", hex.decode(b.secret), b.label, hex.decode(b.context or ""),
          #b.out // 2)
        assert.equal(b.out, hex.encode(out), b.label)
        n = n + 1
      end
    end
    assert.truthy(n >= 8)
  end)

  it("opens the GCM specification and RFC 8439 AEAD cases, and refuses a flipped bit", function()
    local n = 0
    for _, b in ipairs(blocks("aead-kat.txt")) do
      local key, nonce, aad = hex.decode(b.key), hex.decode(b.nonce), hex.decode(b.aad or "")
      local data = hex.decode(b.ct or "") .. hex.decode(b.tag)
      assert.equal(b.pt or "", hex.encode(assert(lc.aead_open(b.alg, key, nonce, aad, data))), b.alg)
      local bad = data:sub(1, -2) .. string.char(data:byte(-1) ~ 1)
      assert.is_nil(lc.aead_open(b.alg, key, nonce, aad, bad))
      n = n + 1
    end
    assert.equal(13, n)
    assert.is_nil(lc.aead_open("aes128gcm", ("\0"):rep(16), ("\0"):rep(12), "", "short"))
    assert.has_error(function() lc.aead_open("nope", "", "", "", "") end)
    assert.has_error(function() lc.aead_open("aes128gcm", "k", ("\0"):rep(12), "", "") end)
  end)
end)
