-- moontls.core.tls13_keys (bindings/keys.c over mt_tls13_keys_*): TLS 1.3 record keys
-- outside a connection, as tls.trace.decrypt uses them. The records are those of
-- spec/fixtures/tls13-keys.txt (an independent implementation, tls13-keys-gen.py) and
-- RFC 8448; spec/c/test_tls13_keys.c covers the C API in depth.
local core = require "moontls.core"
local hex = require "moontls.hex"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "spec"
local FIX = here .. "/fixtures/"

-- The "key = value" blocks of a vector file, as a list of tables.
local function blocks(name)
  local f = assert(io.open(FIX .. name, "rb"))
  local out, cur = {}, nil
  for line in f:lines() do
    local k, v = line:match("^(%S+) = ?(.*)$")
    if k and not line:match("^#") then
      cur = cur or {}
      cur[k] = v
    elseif line == "" and cur then
      out[#out + 1], cur = cur, nil
    end
  end
  if cur then out[#out + 1] = cur end
  f:close()
  return out
end

local VECTORS = blocks("tls13-keys.txt")

local function keys_of(v)
  local k = assert(core.tls13_keys(tonumber(v.suite, 16), hex.decode(v.secret)))
  for _ = 1, tonumber(v.generation) do assert(k:next()) end
  return k
end

describe("core.tls13_keys", function()
  it("opens and seals every vector: three suites, KeyUpdate generations, padding", function()
    local n = 0
    for _, v in ipairs(VECTORS) do
      local k <close> = keys_of(v)
      local seq, rec, payload = tonumber(v.seq, 16), hex.decode(v.record), hex.decode(v.payload)
      assert.equal(tonumber(v.generation), k:generation())
      assert.equal(tonumber(v.suite, 16), k:suite())
      if v.expect == "ok" then
        local content, ct, padding = k:open(seq, rec)
        assert.equal(payload, content, v.name)
        assert.equal(tonumber(v.type, 16), ct, v.name)
        assert.equal(tonumber(v.padding), padding, v.name)
        n = n + 1
      else
        -- authenticated, but the inner plaintext is refused by RFC 8446 5.4
        local none, msg, name = k:open(seq, rec)
        assert.is_nil(none)
        assert.equal(v.expect, name, v.name)
        assert.is_string(msg)
      end
      assert.equal(rec, k:seal(seq, tonumber(v.type, 16), payload, tonumber(v.padding)), v.name)
    end
    assert.equal(15, n)
  end)

  it("opens an RFC 8448 record with the RFC's client application traffic secret", function()
    local secret
    for _, b in ipairs(blocks("rfc8448-1rtt.txt")) do
      if b.block == "traffic_keys" then secret = hex.decode(b.client_application_secret) end
    end
    local rec
    for _, b in ipairs(blocks("record-rfc8448.txt")) do
      if b.name == "1rtt-5" then rec = b end
    end
    local k <close> = assert(core.tls13_keys(0x1301, secret))
    local content, ct, padding = k:open(0, hex.decode(rec.record))
    assert.equal(rec.payload, hex.encode(content))
    assert.same({ 23, 0 }, { ct, padding })
    assert.equal(rec.record, hex.encode(k:seal(0, 23, content)))
  end)

  it("says why a record does not open: tag, sequence number, generation, framing", function()
    local v = VECTORS[2] -- AES-128-GCM, generation 1
    local rec, seq = hex.decode(v.record), tonumber(v.seq, 16)
    local k <close> = assert(core.tls13_keys(tonumber(v.suite, 16), hex.decode(v.secret)))
    assert.same({ nil, "alert sent: fatal bad_record_mac", "BAD_RECORD_MAC" }, { k:open(seq, rec) })
    assert(k:next())
    assert.equal(hex.decode(v.payload), (k:open(seq, rec)))
    assert.equal("BAD_RECORD_MAC", select(3, k:open(seq + 1, rec)))
    local flipped = rec:sub(1, 10) .. string.char(rec:byte(11) ~ 1) .. rec:sub(12)
    assert.equal("BAD_RECORD_MAC", select(3, k:open(seq, flipped)))
    assert.equal("DECODE_ERROR", select(3, k:open(seq, rec:sub(1, -2))))
    assert.equal("DECODE_ERROR", select(3, k:open(seq, rec .. "\0")))
    assert.equal("DECODE_ERROR", select(3, k:open(seq, "")))
    assert.equal("UNEXPECTED_MESSAGE", select(3, k:open(seq, "\22" .. rec:sub(2))))
    -- garbage never crashes
    for i = 0, 200 do
      local junk = ("\23\3\3" .. string.pack(">I2", i) .. ("\x5a"):rep(i))
      assert.is_nil((k:open(i, junk)))
    end
  end)

  it("refuses suites it does not implement and secrets of the wrong length; misuse raises", function()
    assert.equal(32, core.tls13_secret_len(0x1301))
    assert.equal(48, core.tls13_secret_len(0x1302))
    assert.equal(32, core.tls13_secret_len(0x1303))
    assert.is_nil(core.tls13_secret_len(0x1304))
    assert.is_nil(core.tls13_secret_len(0xC02F))
    local none, msg, name = core.tls13_keys(0x1304, ("\1"):rep(32))
    assert.is_nil(none)
    assert.equal("UNSUPPORTED", name)
    assert.matches("0x1304", msg)
    none, msg, name = core.tls13_keys(0x1302, ("\1"):rep(32))
    assert.is_nil(none)
    assert.equal("BAD_PARAM", name)
    assert.matches("the secret is 32 bytes, the suite needs 48", msg)
    assert.has_error(function() core.tls13_keys("x", "y") end)
    assert.has_error(function() core.tls13_keys(0x10000, "y") end)
    local k = assert(core.tls13_keys(0x1303, ("\1"):rep(32)))
    assert.has_error(function() k:open(-1, "") end)
    assert.has_error(function() k:seal(0, 256, "") end)
    assert.has_error(function() k:seal(0, 23, "", -1) end)
    assert.matches("TLS_CHACHA20_POLY1305_SHA256, generation 0", tostring(k))
    k:close()
    assert.equal("moontls.Tls13Keys (closed)", tostring(k))
    assert.has_error(function() k:open(0, "") end, "TLS 1.3 keys are closed")
    assert.has_error(function() k:next() end)
    k:close() -- twice is fine
  end)
end)
