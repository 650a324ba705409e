-- tls.raw_connect (SCRIPTING.md 6.3): plain TCP with a record splitter. A LuaSocket
-- peer in this process writes exactly the bytes each case needs; openssl s_server shows
-- the same against a real TLS stack. 127.0.0.1 only; every wait is bounded.
local tls = require "moontls"
local socket = require "socket"
local helpers = require "interop.helpers"

local PKI = helpers.PKI

local function rec(ct, payload, version)
  version = version or 0x0303
  return string.char(ct, version >> 8, version & 0xff, #payload >> 8, #payload & 0xff) .. payload
end

local function hs(htype, body)
  return string.char(htype, #body >> 16, (#body >> 8) & 0xff, #body & 0xff) .. body
end

-- A plain TCP peer: returns raw, the accepted server-side socket.
local function raw_pair()
  local l = assert(socket.bind("127.0.0.1", 0))
  l:settimeout(5)
  local _, port = l:getsockname()
  local raw = assert(tls.raw_connect("127.0.0.1", math.tointeger(tonumber(port)), { timeout = 5 }))
  local peer = assert(l:accept())
  l:close()
  peer:settimeout(5)
  return raw, peer
end

-- A real ServerHello (and the rest of a server flight) from an in-memory handshake.
local function server_flight()
  local sctx = assert(tls.context{ mode = "server", versions = { "1.3" },
    certificate = PKI .. "leaf-p256.pem", key = PKI .. "leaf-p256.key" })
  local c = assert(tls.context{ mode = "client", versions = { "1.3" }, verify = "none" }):connection()
  local s = sctx:connection()
  assert(c:run())
  local ch = c:output()
  assert(s:feed(ch))
  assert(s:run())
  return ch, s:output()
end

describe("tls.raw_connect", function()
  after_each(function() helpers.kill_all() end)
  teardown(function() helpers.cleanup() end)

  it("splits records however TCP cuts them", function()
    local raw, peer = raw_pair()
    assert.is_true(raw:write("hello"))
    assert.equal("hello", peer:receive(5))
    local a, b = rec(22, hs(2, ("x"):rep(40))), rec(23, ("y"):rep(300))
    local bytes = a .. b
    -- the header of the first record alone, then the rest in two pieces
    peer:send(bytes:sub(1, 3))
    socket.sleep(0.02)
    peer:send(bytes:sub(4, 60))
    peer:send(bytes:sub(61))
    local r1 = assert(raw:read_record{ timeout = 5 })
    assert.equal("handshake", r1.type)
    assert.equal(22, r1.content_type)
    assert.equal(0x0303, r1.version)
    assert.equal(hs(2, ("x"):rep(40)), r1.fragment)
    assert.equal(a, r1.raw)
    local r2 = assert(raw:read_record{ timeout = 5 })
    assert.equal("application_data", r2.type)
    assert.equal(("y"):rep(300), r2.fragment)
    -- nothing more: a timeout, not an end
    local r3, err, name = raw:read_record{ timeout = 0.05 }
    assert.is_nil(r3)
    assert.equal("timeout", err)
    assert.equal("TIMEOUT", name)
    raw:close()
    peer:close()
  end)

  it("closed, closed mid-record and reset are told apart", function()
    local raw, peer = raw_pair()
    peer:send(rec(21, "\2\40"))
    peer:close()
    assert.equal(21, assert(raw:read_record()).content_type)
    local r, err, name = raw:read_record{ timeout = 5 }
    assert.is_nil(r)
    assert.equal("closed", err)
    assert.equal("CLOSED", name)
    raw:close()

    raw, peer = raw_pair()
    peer:send(rec(22, "abcdef"):sub(1, 8))
    peer:close()
    r, err, name = raw:read_record{ timeout = 5 }
    assert.is_nil(r)
    assert.equal("closed (8 bytes of an unfinished record)", err)
    assert.equal("CLOSED", name)
    assert.equal(rec(22, "abcdef"):sub(1, 8), raw.partial)
    raw:close()

    raw, peer = raw_pair()
    peer:setoption("linger", { on = true, timeout = 0 })
    peer:close()
    r, err, name = raw:read_record{ timeout = 5 }
    assert.is_nil(r)
    assert.equal("reset", err)
    assert.equal("RESET", name)
    raw:close()
    assert.is_true(raw:close())
    assert.same({ nil, "closed", "CLOSED" }, { raw:write("x") })
  end)

  it("read_flight: wire, records, messages reassembled across records, alert, closed", function()
    local _, sflight = server_flight()
    local raw, peer = raw_pair()
    -- the ServerHello record, re-cut: the message split over two records, then a
    -- compatibility CCS, the protected rest as it was, and a plaintext alert
    local first_len = (sflight:byte(4) << 8) | sflight:byte(5)
    local sh = sflight:sub(6, 5 + first_len)
    local rest = sflight:sub(6 + first_len)
    local wire = rec(22, sh:sub(1, 10)) .. rec(22, sh:sub(11)) .. rest .. rec(21, "\2\10")
    peer:send(wire)
    peer:close()
    local f = assert(raw:read_flight{ timeout = 5, quiet = 0.2 })
    assert.equal(wire, f.wire)
    assert.is_true(f.closed)
    assert.is_nil(f.reset)
    local types, n = {}, {}
    for i, r in ipairs(f.records) do
      types[i] = r.type
      n[r.type] = (n[r.type] or 0) + 1
    end
    assert.equal("handshake", types[1])
    assert.equal("handshake", types[2])
    assert.equal("alert", types[#types])
    assert.equal(1, n.change_cipher_spec) -- the server's compatibility CCS
    assert.truthy(n.application_data >= 1) -- its protected flight
    -- messages: ServerHello (whole, from two records), CCS, the alert; nothing protected
    local mtypes = {}
    for i, m in ipairs(f.messages) do mtypes[i] = m.type end
    assert.same({ "server_hello", "change_cipher_spec", "alert" }, mtypes)
    local m = assert(f:message("server_hello"))
    assert.equal(sh, m.raw)
    assert.equal("TLS_AES_128_GCM_SHA256", m.cipher_suite)
    assert.is_nil(f:message("server_hello", 2))
    assert.is_nil(f:message("finished"))
    assert.same({ level = "fatal", name = "unexpected_message", code = 10 }, f.alert)
    -- after the end: nil, "closed"
    local f2, err, name = raw:read_flight{ timeout = 1 }
    assert.is_nil(f2)
    assert.equal("closed", err)
    assert.equal("CLOSED", name)
    raw:close()
  end)

  it("read_flight: nil, timeout when nothing comes; an empty flight when the peer just closes or resets", function()
    local raw, peer = raw_pair()
    local f, err, name = raw:read_flight{ timeout = 0.05 }
    assert.is_nil(f)
    assert.equal("timeout", err)
    assert.equal("TIMEOUT", name)
    peer:close()
    f = assert(raw:read_flight{ timeout = 5 })
    assert.is_true(f.closed)
    assert.same({}, f.records)
    assert.equal("", f.wire)
    assert.is_nil(f.alert)
    raw:close()

    raw, peer = raw_pair()
    peer:setoption("linger", { on = true, timeout = 0 })
    peer:close()
    f = assert(raw:read_flight{ timeout = 5 })
    assert.is_true(f.reset)
    assert.is_nil(f.closed)
    f, err, name = raw:read_flight{ timeout = 1 }
    assert.is_nil(f)
    assert.equal("reset", err)
    assert.equal("RESET", name)
    raw:close()
  end)

  it("connect failures return nil, err; misuse raises", function()
    local l = assert(socket.bind("127.0.0.1", 0))
    local _, port = l:getsockname()
    l:close()
    local raw, err = tls.raw_connect("127.0.0.1", math.tointeger(tonumber(port)), { timeout = 2 })
    assert.is_nil(raw)
    assert.matches("refused", err)
    assert.has_error(function() tls.raw_connect(1, 2) end)
    assert.has_error(function() tls.raw_connect("127.0.0.1", 1, { bogus = true }) end)
    local r, peer = raw_pair()
    assert.has_error(function() r:write(12) end)
    assert.has_error(function() r:read_flight{ nope = 1 } end)
    assert.has_error(function() r:read_record{ timeout = "x" } end)
    r:close()
    peer:close()
  end)

  it("against openssl s_server: a ClientHello gets a ServerHello and protected records; junk gets an alert and a close", function()
    local _, port = helpers.openssl_server("leaf-p256", "-www")
    local ch = server_flight()
    local raw
    for _ = 1, 20 do -- s_server prints ACCEPT a moment before it listens
      raw = tls.raw_connect("127.0.0.1", port, { timeout = 5 })
      if raw then break end
      socket.sleep(0.05)
    end
    assert.truthy(raw)
    assert.is_true(raw:write(ch))
    local f = assert(raw:read_flight{ timeout = 5, quiet = 0.3 })
    local sh = assert(f:message("server_hello"))
    assert.equal(("\22\3\3"), f.wire:sub(1, 3))
    assert.truthy(tls.ext.find(sh, "key_share"))
    local protected = 0
    for _, r in ipairs(f.records) do
      if r.content_type == 23 then protected = protected + 1 end
    end
    assert.truthy(protected >= 1)
    for _, m in ipairs(f.messages) do
      assert.truthy(m.type == "server_hello" or m.type == "change_cipher_spec", m.type)
    end
    raw:close()

    -- a ClientHello whose body is cut short: a plaintext decode_error, then the close
    raw = assert(tls.raw_connect("127.0.0.1", port, { timeout = 5 }))
    assert.is_true(raw:write(rec(22, hs(1, "\3\3" .. ("\0"):rep(10)), 0x0301)))
    f = assert(raw:read_flight{ timeout = 5, quiet = 1 })
    assert.truthy(f.alert, f.wire)
    assert.equal("fatal", f.alert.level)
    assert.equal("decode_error", f.alert.name)
    assert.equal(50, f.alert.code)
    assert.is_true(f.closed)
    raw:close()
  end)
end)
