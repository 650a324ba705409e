-- Messages as tables (SCRIPTING.md 6.4 and 6.5): tls.decode / tls.encode over every
-- message sample, field edits, the field rule for lengths, data/body overrides, the
-- extension helpers, the byte mutators, hex dumps, the name tables, tls.validate, and
-- message hooks that edit a ClientHello in place during an in-memory handshake.
local tls = require "moontls"

local hex = tls.hex.decode
local PKI = "spec/fixtures/pki/"
local SAMPLES = "spec/fixtures/messages/"

-- The sample format of spec/c/test_codec_samples.h: blocks of `key = value` lines, each
-- opening with `name`; `#` starts a comment line.
local function load_samples()
  local files = {}
  for f in io.popen("ls " .. SAMPLES .. "*.txt"):lines() do files[#files + 1] = f end
  table.sort(files)
  local out = {}
  for _, f in ipairs(files) do
    local cur
    for line in io.lines(f) do
      local k, v = line:match("^([%w_]+)%s*=%s*(.-)%s*$")
      if k and not line:match("^%s*#") then
        if k == "name" then cur = {}; out[#out + 1] = cur end
        cur[k] = v
      end
    end
  end
  return out
end

local function hints_of(s)
  return { version = tonumber(s.version, 16), side = s.side, kx = s.kx, sig = s.sig,
           content_type = tonumber(s.content_type) }
end

local samples = load_samples()
local function sample(name)
  for _, s in ipairs(samples) do
    if s.name == name then return s, hex(s.hex) end
  end
  error("no sample " .. name)
end

local CH_NAME = "openssl-tls13/client-client_hello"

-- A fresh decoded copy of the OpenSSL TLS 1.3 ClientHello.
local function client_hello()
  local _, bytes = sample(CH_NAME)
  return assert(tls.decode(bytes)), bytes
end

-- Offsets where two strings differ.
local function diff(a, b)
  local out = {}
  for i = 1, math.max(#a, #b) do
    if a:byte(i) ~= b:byte(i) then out[#out + 1] = i - 1 end
  end
  return out
end

describe("tls.decode / tls.encode", function()
  it("round-trip every message sample byte for byte", function()
    assert.truthy(#samples > 100)
    for _, s in ipairs(samples) do
      local bytes = hex(s.hex)
      local m, err = tls.decode(bytes, hints_of(s))
      assert.truthy(m, s.name .. ": " .. tostring(err))
      assert.equal(bytes, m.raw, s.name)
      if s.type ~= "unknown_handshake" then assert.equal(s.type, m.type, s.name) end
      assert.equal(bytes, tls.encode(m), s.name) -- msg.hints carries the context
      assert.equal(bytes, tls.encode(m, hints_of(s)), s.name)
    end
  end)

  it("gives RFC field names, names for known code points and numbers for the rest", function()
    local ch = client_hello()
    assert.equal("client_hello", ch.type)
    assert.equal(1, ch.type_code)
    assert.equal(22, ch.content_type)
    assert.equal("1.2", ch.legacy_version)
    assert.equal(32, #ch.random)
    assert.equal(32, #ch.legacy_session_id)
    assert.same({ "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
                  "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" }, ch.cipher_suites)
    assert.same({ 0 }, ch.legacy_compression_methods)
    local ks = tls.ext.find(ch, "key_share")
    assert.equal("key_share", ks.type)
    assert.equal(1, #ks.client_shares)
    assert.equal("x25519", ks.client_shares[1].group)
    assert.equal(32, #ks.client_shares[1].key_exchange)
    assert.equal(38, #ks.data)
    assert.same({ "1.3" }, tls.ext.find(ch, "supported_versions").versions)
    assert.same({ "psk_dhe_ke" }, tls.ext.find(ch, "psk_key_exchange_modes").ke_modes)
    assert.equal("x25519", tls.ext.find(ch, "supported_groups").named_group_list[1])
    -- extensions stay in wire order
    assert.equal("ec_point_formats", ch.extensions[1].type)
    assert.equal("key_share", ch.extensions[#ch.extensions].type)
  end)

  it("keeps unknown and GREASE values as numbers, and unparsed extensions as data", function()
    local ch = client_hello()
    ch.cipher_suites[1] = 0x0a0a
    ch.cipher_suites[2] = 0xfefe
    tls.ext.insert(ch, { type = 0x7a7a, data = "\1\2" })
    tls.ext.insert(ch, { type = 0x4444, data = "" })
    local m = assert(tls.decode(tls.encode(ch)))
    assert.equal(0x0a0a, m.cipher_suites[1])
    assert.equal(0xfefe, m.cipher_suites[2])
    local e = m.extensions[#m.extensions - 1]
    assert.same({ type = 0x7a7a, data = "\1\2" }, e)
    assert.same({ type = 0x4444, data = "" }, m.extensions[#m.extensions])
  end)

  it("names HelloRetryRequest, alerts and ChangeCipherSpec", function()
    local _, hrr = sample("rfc8448-hrr/hello_retry_request")
    local m = assert(tls.decode(hrr))
    assert.equal("hello_retry_request", m.type)
    assert.equal(2, m.type_code)
    assert.equal("secp256r1", tls.ext.find(m, "key_share").selected_group)
    assert.equal(hrr, tls.encode(m))

    local a = assert(tls.decode("\2\50", { content_type = "alert" }))
    assert.equal("alert", a.type)
    assert.equal("fatal", a.level)
    assert.equal("decode_error", a.description)
    assert.equal("\2\50", tls.encode(a))
    assert.equal("\1\40", tls.encode{ type = "alert", level = "warning", description = "handshake_failure" })

    local c = assert(tls.decode("\1", { content_type = "change_cipher_spec" }))
    assert.equal("change_cipher_spec", c.type)
    assert.equal(1, c.ccs_type)
    assert.equal("\1", tls.encode(c))
    assert.equal("\1", tls.encode{ type = "change_cipher_spec", ccs_type = 1 })
  end)

  it("returns nil, err, NAME for malformed input", function()
    local _, bytes = client_hello()
    -- extensions block declared one byte longer than it is (the message length follows)
    local bad = tls.mut.apply(bytes, tls.mut.set(84, string.char(bytes:byte(85) + 1)))
    local m, err, name = tls.decode(bad)
    assert.is_nil(m)
    assert.equal("decode_error: ClientHello.extensions: length exceeds block", err)
    assert.equal("DECODE_ERROR", name)
    m, err, name = tls.decode(bytes:sub(1, 40))
    assert.is_nil(m)
    assert.matches("^decode_error: ", err)
    assert.equal("DECODE_ERROR", name)
    assert.is_nil((tls.decode("")))
  end)

  it("raises on misuse", function()
    assert.has_error(function() tls.decode(42) end)
    assert.has_error(function() tls.decode("\1\0\0\0", { verison = "1.3" }) end)
    assert.has_error(function() tls.decode("\1\0\0\0", { version = "9.9" }) end)
    assert.has_error(function() tls.encode("bytes") end)
    assert.has_error(function() tls.encode{ legacy_version = "1.2" } end)
    assert.has_error(function() tls.encode{ type = "no_such_message" } end)
    local ch = client_hello()
    ch.cipher_suites[1] = "TLS_NOPE"
    assert.has_error(function() tls.encode(ch) end, "tls.encode: ClientHello.cipher_suites[1]: unknown cipher_suite \"TLS_NOPE\"")
    ch = client_hello()
    ch.random = 7
    assert.has_error(function() tls.encode(ch) end)
    ch = client_hello()
    ch.legacy_version = 0x10000
    assert.has_error(function() tls.encode(ch) end)
    ch = client_hello()
    tls.ext.find(ch, "key_share").client_shares[1].group = "x2551"
    assert.has_error(function() tls.encode(ch) end,
      "tls.encode: ClientHello.extensions[9].key_share.client_shares[1].group: unknown named_group \"x2551\"")
  end)
end)

describe("field edits", function()
  it("change only the edited field", function()
    local ch, bytes = client_hello()
    ch.cipher_suites[1] = "TLS_AES_128_GCM_SHA256" -- 0x1302 -> 0x1301 at offset 74
    assert.same({ 74 }, diff(bytes, tls.encode(ch)))
    ch = client_hello()
    ch.legacy_version = 0x0301
    assert.same({ 5 }, diff(bytes, tls.encode(ch)))
    ch = client_hello()
    ch.random = ("\0"):rep(32)
    local out = tls.encode(ch)
    assert.equal(#bytes, #out)
    assert.equal(bytes:sub(39), out:sub(39))
    -- a parsed extension field: only the key share's group bytes change
    ch = client_hello()
    tls.ext.find(ch, "key_share").client_shares[1].group = "ffdhe2048" -- 0x001d -> 0x0100
    assert.same({ #bytes - 36, #bytes - 35 }, diff(bytes, tls.encode(ch)))
  end)

  it("recompute lengths when sizes change", function()
    local ch, bytes = client_hello()
    ch.legacy_session_id = ""
    local m = assert(tls.decode(tls.encode(ch)))
    assert.equal("", m.legacy_session_id)
    assert.equal(#bytes - 32, #m.raw)
    assert.same(ch.cipher_suites, m.cipher_suites)
    ch = client_hello()
    table.insert(tls.ext.find(ch, "supported_versions").versions, "1.2")
    m = assert(tls.decode(tls.encode(ch)))
    assert.same({ "1.3", "1.2" }, tls.ext.find(m, "supported_versions").versions)
    assert.equal(#bytes + 2, #m.raw)
  end)

  it("builds a message from nothing", function()
    local sh = {
      type = "server_hello", legacy_version = "1.2", random = ("\7"):rep(32),
      legacy_session_id_echo = "abc", cipher_suite = "TLS_AES_128_GCM_SHA256",
      legacy_compression_method = 0,
      extensions = {
        { type = "supported_versions", selected_version = "1.3" },
        { type = "key_share", group = "x25519", key_exchange = ("\9"):rep(32) },
      },
    }
    local bytes = tls.encode(sh)
    local m = assert(tls.decode(bytes))
    assert.equal("server_hello", m.type)
    assert.equal("abc", m.legacy_session_id_echo)
    assert.equal("TLS_AES_128_GCM_SHA256", m.cipher_suite)
    assert.equal("1.3", tls.ext.find(m, "supported_versions").selected_version)
    assert.equal(("\9"):rep(32), tls.ext.find(m, "key_share").key_exchange)
    assert.equal(2, bytes:byte(1))
    assert.equal(#bytes - 4, string.unpack(">I3", bytes, 2))
    -- a message without extensions has no block at all; an empty list gives an empty one
    sh.extensions = nil
    local short = tls.encode(sh)
    sh.extensions = {}
    assert.equal(#short + 2, #tls.encode(sh))
  end)

  it("accept numbers where names are given and the reverse", function()
    local ch = client_hello()
    ch.cipher_suites = { 0x1301, "TLS_AES_256_GCM_SHA384" }
    ch.legacy_version = 0x0303
    tls.ext.find(ch, "supported_groups").named_group_list = { 29, "secp256r1", "P-384" }
    local m = assert(tls.decode(tls.encode(ch)))
    assert.same({ "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384" }, m.cipher_suites)
    assert.same({ "x25519", "secp256r1", "secp384r1" }, tls.ext.find(m, "supported_groups").named_group_list)
  end)
end)

describe("the field rule", function()
  it("nil computes a length, a number is used as given, a function edits the computed one", function()
    local ch, bytes = client_hello()
    ch.legacy_session_id_len = nil
    assert.equal(bytes, tls.encode(ch))
    -- the session id length byte sits at offset 38
    ch.legacy_session_id_len = 5
    local out = tls.encode(ch)
    assert.same({ 38 }, diff(bytes, out))
    assert.equal(5, out:byte(39))
    ch.legacy_session_id_len = function(n) return n + 1 end
    assert.equal(33, tls.encode(ch):byte(39))
    ch.legacy_session_id_len = function() return nil end -- nil keeps the computed value
    assert.equal(bytes, tls.encode(ch))
  end)

  it("applies to list lengths, the handshake header and extension lengths", function()
    local ch, bytes = client_hello()
    local seen
    ch.extensions_len = function(n) seen = n; return n + 1 end
    local out = tls.encode(ch)
    assert.equal(#bytes - 85, seen)             -- the extension block's real size
    assert.same({ 84 }, diff(bytes, out))
    assert.is_nil((tls.decode(out)))

    ch = client_hello()
    ch.cipher_suites_len = 7 -- odd, inconsistent: written anyway
    out = tls.encode(ch)
    assert.equal(7, string.unpack(">I2", out, 72))
    ch = client_hello()
    ch.length = 3
    assert.same({ 3 }, diff(bytes, tls.encode(ch)))
    ch.length = function(n) return n - 1 end
    assert.equal(#bytes - 5, string.unpack(">I3", tls.encode(ch), 2))

    ch = client_hello()
    local ks = tls.ext.find(ch, "key_share")
    ks.length = function(n) return n + 2 end
    out = tls.encode(ch)
    assert.equal(40, string.unpack(">I2", out, #bytes - 39))
    ks.length = nil
    ks.client_shares[1].key_exchange_len = 0xffff
    ks.client_shares_len = function(n) return n * 2 end
    out = tls.encode(ch)
    assert.equal(72, string.unpack(">I2", out, #bytes - 37))
    assert.equal(0xffff, string.unpack(">I2", out, #bytes - 33))
  end)

  it("raises for lengths that do not fit or are not numbers", function()
    local ch = client_hello()
    ch.legacy_session_id_len = 256
    assert.has_error(function() tls.encode(ch) end)
    ch.legacy_session_id_len = "x"
    assert.has_error(function() tls.encode(ch) end)
    ch.legacy_session_id_len = function() error("mine") end
    assert.has_error(function() tls.encode(ch) end)
  end)

  it("uses data and body verbatim, and reads unchanged data as 'unchanged'", function()
    local ch, bytes = client_hello()
    local ks = tls.ext.find(ch, "key_share")
    ks.client_shares[1].key_exchange = ("\1"):rep(32) -- data left alone: the fields count
    local out = tls.encode(ch)
    assert.equal(("\1"):rep(32), out:sub(-32))
    ks.data = "\0\0"                                  -- data replaced: written as it is
    out = tls.encode(ch)
    assert.equal(#bytes - 36, #out)
    assert.equal("\0\51\0\2\0\0", out:sub(-6))
    -- a new table with data is verbatim too
    ch = client_hello()
    ch.extensions[9] = { type = "key_share", data = "zz" }
    assert.equal("\0\51\0\2zz", tls.encode(ch):sub(-6))
    -- an extension kept raw where it was decoded keeps its data wherever it goes: a
    -- cookie is raw in EncryptedExtensions and parsed in a HelloRetryRequest
    local ee = assert(tls.decode(tls.encode{ type = "encrypted_extensions",
      extensions = { { type = "cookie", data = "\0\3abc" } } }))
    assert.same({ type = "cookie", data = "\0\3abc" }, ee.extensions[1])
    local hrr = { type = "hello_retry_request", cipher_suite = 0x1301, extensions = { ee.extensions[1] } }
    assert.equal("abc", tls.ext.find(assert(tls.decode(tls.encode(hrr))), "cookie").cookie)
    -- body replaces the whole body; the header length follows unless given
    ch = client_hello()
    ch.body = "hello"
    assert.equal("\1\0\0\5hello", tls.encode(ch))
    ch.length = 0x10
    assert.equal("\1\0\0\16hello", tls.encode(ch))
    -- type_code overrides the wire type, the fields keep the ClientHello layout
    ch = client_hello()
    ch.type_code = 99
    assert.same({ 0 }, diff(bytes, tls.encode(ch)))
  end)

  it("gives other fields given as functions their zero value", function()
    local ch = client_hello()
    ch.legacy_version = function(v) assert.equal(0, v); return "1.0" end
    ch.legacy_session_id = function(v) return v .. "x" end
    local m = assert(tls.decode(tls.encode(ch)))
    assert.equal("1.0", m.legacy_version)
    assert.equal("x", m.legacy_session_id)
  end)
end)

describe("tls.ext", function()
  it("finds by name or number", function()
    local ch = client_hello()
    local e, i = tls.ext.find(ch, "supported_versions")
    assert.equal(7, i)
    assert.equal(e, (tls.ext.find(ch, 43)))
    assert.equal(ch.extensions[4], (tls.ext.find(ch, "encrypt_then_mac")))
    assert.is_nil(tls.ext.find(ch, "server_name"))
    assert.has_error(function() tls.ext.find(ch, "no_such_extension") end)
    assert.has_error(function() tls.ext.find("ch", "key_share") end)
  end)

  it("inserts, removes and moves", function()
    local ch = client_hello()
    local n = #ch.extensions
    tls.ext.insert(ch, { type = 0x7a7a, data = "" }, 1)
    assert.equal(0x7a7a, ch.extensions[1].type)
    tls.ext.insert(ch, { type = "padding", padding = ("\0"):rep(10) })
    assert.equal("padding", ch.extensions[n + 2].type)
    tls.ext.insert(ch, { type = "early_data" }, -2)
    assert.equal("early_data", ch.extensions[n + 2].type)
    assert.equal(n + 3, #ch.extensions)
    assert.equal("padding", tls.ext.remove(ch, 21).type)
    assert.is_nil(tls.ext.remove(ch, "padding"))
    tls.ext.move(ch, "key_share", 1)
    assert.equal("key_share", ch.extensions[1].type)
    tls.ext.move(ch, "key_share", -1)
    assert.equal("key_share", ch.extensions[#ch.extensions].type)
    assert.has_error(function() tls.ext.move(ch, "server_name", 1) end)
    assert.has_error(function() tls.ext.insert(ch, { data = "" }) end)
    local m = assert(tls.decode(tls.encode(ch)))
    assert.equal(0x7a7a, m.extensions[1].type)
    assert.equal("early_data", m.extensions[#m.extensions - 1].type)
    assert.equal("key_share", m.extensions[#m.extensions].type)
    -- a message without an extension block gets one
    local sh = { type = "server_hello", cipher_suite = 0x1301 }
    tls.ext.insert(sh, { type = "supported_versions", selected_version = "1.3" })
    assert.equal("1.3", tls.ext.find(assert(tls.decode(tls.encode(sh))), "supported_versions").selected_version)
  end)

  it("duplicates into an independent copy", function()
    local ch, bytes = client_hello()
    local copy = tls.ext.duplicate(ch, "supported_versions")
    local orig = tls.ext.find(ch, "supported_versions")
    assert.are_not.equal(orig, copy)
    assert.equal(copy, ch.extensions[8])
    local out = tls.encode(ch)
    assert.equal(#bytes + 7, #out)
    copy.versions[1] = "1.2" -- the copy's fields count: it was unedited when copied
    local m = assert(tls.decode(tls.encode(ch)))
    assert.same({ "1.3" }, m.extensions[7].versions)
    assert.same({ "1.2" }, m.extensions[8].versions)
    assert.has_error(function() tls.ext.duplicate(ch, "cookie") end)
  end)

  it("shuffles with the given rng, reproducibly", function()
    local function lcg(seed)
      return function(n)
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n + 1
      end
    end
    local a, b = client_hello(), client_hello()
    tls.ext.shuffle(a, lcg(7))
    tls.ext.shuffle(b, lcg(7))
    local ta, tb = {}, {}
    for i, e in ipairs(a.extensions) do ta[i], tb[i] = e.type, b.extensions[i].type end
    assert.same(ta, tb)
    assert.equal(9, #ta)
    local m = assert(tls.decode(tls.encode(a)))
    for i, e in ipairs(m.extensions) do assert.equal(ta[i], e.type) end
    assert.has_error(function() tls.ext.shuffle(a, function() return 0 end) end)
  end)
end)

describe("tls.mut", function()
  local b = "\0\1\2\3\4\5\6\7"

  it("xor and flip, from the start and from the end", function()
    assert.equal("\0\1\2\3\4\5\6\6", tls.mut.xor(-1, 1)(b))
    assert.equal("\255\1\2\3\4\5\6\7", tls.mut.xor(0, 0xff)(b))
    assert.equal("\0\1\3\2\4\5\6\7", tls.mut.xor(2, "\1\1")(b))
    assert.equal("\0\1\2\3\4\5\7\6", tls.mut.xor(-2, "\1\1")(b))
    assert.equal("\128\1\2\3\4\5\6\7", tls.mut.flip(0, 7)(b))
    assert.equal("\0\1\2\3\4\5\6\3", tls.mut.flip(-1, 2)(b))
    assert.has_error(function() tls.mut.xor(8, 1)(b) end)
    assert.has_error(function() tls.mut.xor(-9, 1)(b) end)
    assert.has_error(function() tls.mut.xor(7, "\1\1")(b) end)
    assert.has_error(function() tls.mut.flip(0, 8) end)
  end)

  it("set, insert and delete", function()
    assert.equal("\0\1ab\4\5\6\7", tls.mut.set(2, "ab")(b))
    assert.equal("\0\1\2\3\4\5\6z", tls.mut.set(-1, "z")(b))
    assert.equal("\0\1\2\3\4\5\6yz", tls.mut.set(-1, "yz")(b)) -- grows past the end
    assert.equal("\0\1\2\3\4\5\6\7!", tls.mut.set(8, "!")(b))
    assert.equal("xy\0\1\2\3\4\5\6\7", tls.mut.insert(0, "xy")(b))
    assert.equal("\0\1\2\3\4\5\6x\7", tls.mut.insert(-1, "x")(b))
    assert.equal(b .. "x", tls.mut.insert(8, "x")(b))
    assert.equal("\0\3\4\5\6\7", tls.mut.delete(1, 2)(b))
    assert.equal("\0\1\2\3\4\5", tls.mut.delete(-2, 2)(b))
    assert.has_error(function() tls.mut.delete(-1, 2)(b) end)
    assert.has_error(function() tls.mut.insert(9, "x")(b) end)
  end)

  it("truncate and pad", function()
    assert.equal("\0\1\2\3\4", tls.mut.truncate(3)(b))
    assert.equal("", tls.mut.truncate(8)(b))
    assert.has_error(function() tls.mut.truncate(9)(b) end)
    assert.has_error(function() tls.mut.truncate(-1) end)
    assert.equal(b .. "\0\0", tls.mut.pad(2)(b))
    assert.equal(b .. "\255", tls.mut.pad(1, 0xff)(b))
  end)

  it("apply one or a list in order", function()
    assert.equal("\1\2\3\4\5\6\6", tls.mut.apply(b, { tls.mut.delete(0, 1), tls.mut.xor(-1, 1) }))
    assert.equal("\0\1", tls.mut.apply(b, tls.mut.truncate(6)))
    assert.has_error(function() tls.mut.apply(b, { 1 }) end)
  end)

  it("body keeps the handshake header length consistent", function()
    local _, bytes = client_hello()
    local out = tls.mut.body(tls.mut.truncate(3))(bytes)
    assert.equal(#bytes - 3, #out)
    assert.equal(#out - 4, string.unpack(">I3", out, 2))
    assert.equal(bytes:sub(5, -4), out:sub(5))
    out = tls.mut.body{ tls.mut.pad(2), tls.mut.xor(0, 1) }(bytes)
    assert.equal(#bytes - 2, string.unpack(">I3", out, 2))
    assert.equal(string.char(bytes:byte(5) ~ 1), out:sub(5, 5))
    -- a truncated ClientHello body no longer decodes
    assert.is_nil((tls.decode(tls.mut.apply(bytes, tls.mut.body(tls.mut.truncate(1))))))
  end)
end)

describe("tls.hex", function()
  it("encodes, decodes and dumps", function()
    assert.equal("000aff", tls.hex.encode("\0\10\255"))
    assert.equal("\0\10\255", tls.hex.decode("00 0a\nff"))
    assert.is_nil((tls.hex.decode("abc")))
    local d = tls.hex.dump("\1\0\0\4abcd" .. ("\0"):rep(10))
    assert.equal("0000  01 00 00 04 61 62 63 64  00 00 00 00 00 00 00 00  |....abcd........|\n"
      .. "0010  00 00                                             |..|\n", d)
    assert.equal("", tls.hex.dump(""))
  end)
end)

describe("tls.names", function()
  it("answer both ways from the C table", function()
    assert.equal(0x1301, tls.names.suites["TLS_AES_128_GCM_SHA256"])
    assert.equal("TLS_AES_128_GCM_SHA256", tls.names.suites[0x1301])
    assert.equal(29, tls.names.groups.x25519)
    assert.equal("x25519", tls.names.groups[29])
    assert.equal(0x0804, tls.names.sigalgs.rsa_pss_rsae_sha256)
    assert.equal("ed25519", tls.names.sigalgs[0x0807])
    assert.equal(51, tls.names.extensions.key_share)
    assert.equal("key_share", tls.names.extensions[51])
    assert.equal(1, tls.names.messages.client_hello)
    assert.equal("finished", tls.names.messages[20])
    assert.equal(50, tls.names.alerts.decode_error)
    assert.equal("decode_error", tls.names.alerts[50])
    assert.equal(0x0304, tls.names.versions["1.3"])
    assert.equal("1.2", tls.names.versions[0x0303])
  end)

  it("take aliases and GREASE, and walk the canonical entries", function()
    assert.equal(16, tls.names.extensions.alpn)
    assert.equal(23, tls.names.groups["P-256"])
    assert.equal(0x0304, tls.names.versions["tls1.3"])
    assert.equal(2, tls.names.messages.hello_retry_request)
    assert.equal("grease", tls.names.groups[0x3a3a])
    assert.equal(0x0a0a, tls.names.suites.grease)
    assert.is_nil(tls.names.groups.nonsense)
    assert.is_nil(tls.names.groups[0x1234])
    local n = 0
    for k, v in pairs(tls.names.suites) do
      if type(k) == "string" then
        n = n + 1
        assert.equal(k, tls.names.suites[v])
      end
    end
    assert.truthy(n > 30)
  end)

  it("keep the older tables and helpers", function()
    assert.equal(22, tls.names.content_types.handshake)
    assert.equal("certificate", tls.names.handshake_types[11])
    assert.equal(0x1302, tls.names.code(tls.names.suites, "TLS_AES_256_GCM_SHA384", "suite"))
    assert.equal("0x1234", tls.names.name(tls.names.groups, 0x1234))
  end)
end)

describe("tls.validate", function()
  it("accepts valid messages and names the alert for invalid ones", function()
    local ch = client_hello()
    assert.is_true(tls.validate(ch))
    local s, bytes = sample("invalid/ch-psk-not-last")
    local ok, err, name = tls.validate(bytes, nil, hints_of(s))
    assert.is_nil(ok)
    assert.matches("^illegal_parameter: .*pre_shared_key: not the last extension", err)
    assert.equal("ILLEGAL_PARAMETER", name)
    tls.ext.duplicate(ch, "supported_versions")
    ok, err = tls.validate(ch)
    assert.is_nil(ok)
    assert.matches("^illegal_parameter: ", err)
  end)
end)

describe("message hooks with tables", function()
  local function server()
    return assert(tls.context{ mode = "server", certificate = PKI .. "leaf-p256.chain.pem",
                               key = PKI .. "leaf-p256.key" })
  end
  local function client(hooks)
    return assert(tls.context{ mode = "client", cafile = PKI .. "ca-bundle.pem",
                               server_name = "localhost", hooks = hooks })
  end

  it("hand out decoded tables with raw, both ways", function()
    local out, ins = {}, {}
    local c, s = tls.pair(client{
      message_out = function(_, msg) out[#out + 1] = msg end,
      message_in = function(_, msg) ins[#ins + 1] = msg end,
    }, server())
    assert.is_true(tls.pump(c, s))
    assert.equal("client_hello", out[1].type)
    assert.equal(out[1].raw, tls.encode(out[1]))
    assert.equal("x25519", tls.ext.find(out[1], "key_share").client_shares[1].group)
    assert.equal("server_hello", ins[1].type)
    assert.equal("TLS_AES_128_GCM_SHA256", ins[1].cipher_suite)
    assert.equal("server", ins[1].hints.side)
    local types = {}
    for i, m in ipairs(ins) do types[i] = m.type end
    assert.same({ "server_hello", "encrypted_extensions", "certificate", "certificate_verify",
                  "finished", "new_session_ticket", "new_session_ticket" }, types)
    assert.equal("change_cipher_spec", out[2].type)
    assert.equal(1, out[2].ccs_type)
    assert.truthy(#ins[3].certificate_list >= 1)
  end)

  it("an unknown extension inserted in place reaches the server and the handshake completes", function()
    local enc_before, enc_after
    local c, s = tls.pair(client{ message_out = function(_, msg, ev)
      if msg.type == "client_hello" then
        enc_before = ev.encode()
        tls.ext.insert(msg, { type = 0x7a7a, data = "moon" }, 1)
        enc_after = ev.encode()
      end
    end }, server())
    local seen
    s:on("message_in", function(_, msg)
      if msg.type == "client_hello" then seen = msg end
    end)
    local ok, err = tls.pump(c, s)
    assert.is_true(ok, err)
    assert.equal(#enc_before + 8, #enc_after)
    assert.same({ type = 0x7a7a, data = "moon" }, seen.extensions[1])
    assert.equal(enc_after, seen.raw)
  end)

  it("extensions_len + 1 on the ClientHello makes the server fail with DECODE_ERROR", function()
    local c, s = tls.pair(client{ message_out = function(_, msg)
      if msg.type == "client_hello" then
        msg.extensions_len = function(n) return n + 1 end
      end
    end }, server())
    assert.is_nil((tls.pump(c, s)))
    local serr, sname = s:error()
    assert.equal("DECODE_ERROR", sname)
    assert.matches("ClientHello.extensions: length exceeds block", serr)
    assert.equal("alert received: fatal decode_error", (c:error()))
  end)

  it("take a returned table, a string, or a list", function()
    -- a returned (new) table is encoded: a TLS 1.3 ClientHello offering compression
    -- method 1 is refused (RFC 8446 4.1.2)
    local c, s = tls.pair(client{ message_out = function(_, msg)
      if msg.type == "client_hello" then
        local copy = assert(tls.decode(msg.raw))
        copy.legacy_compression_methods = { 1 }
        return copy
      end
    end }, server())
    assert.is_nil((tls.pump(c, s)))
    assert.equal("ILLEGAL_PARAMETER", select(2, s:error()))

    -- a list: the ClientHello then a repeat of it; the server refuses the second one
    c, s = tls.pair(client{ message_out = function(_, msg)
      if msg.type == "client_hello" then return { msg, msg.raw } end
    end }, server())
    assert.is_nil((tls.pump(c, s)))
    assert.equal("UNEXPECTED_MESSAGE", select(2, s:error()))
  end)

  it("an edited field with ev.hash = false makes the Finished check fail", function()
    local c, s = tls.pair(client{ message_out = function(_, msg, ev)
      if msg.type == "client_hello" then
        ev.hash = false
        msg.legacy_session_id = ("\1"):rep(32)
      end
    end }, server())
    assert.is_nil((tls.pump(c, s)))
    assert.truthy(s:error() or c:error())
  end)
end)
