-- Connections in memory: tls.pair / tls.pump over the test PKI, app data, key update,
-- close, failures named on both sides, the sans-I/O surface, hooks, rng and determinism.
local tls = require "moontls"

local T = require "support.tls_helpers"
local server, client, leaf_server, handshake = T.server, T.client, T.leaf_server, T.handshake

local function echo(c, s)
  assert.equal(5, c:send("ping\n"))
  assert.equal("ping", s:receive("*l"))
  assert.equal(4, s:send("pong"))
  assert.equal("pong", c:receive(4))
end

describe("in-memory handshakes", function()
  for _, suite in ipairs{ "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256" } do
    it("negotiates " .. suite, function()
      local c, s, ok, err = handshake(client{ suites = { suite } }, server())
      assert.is_true(ok, err)
      assert.equal(suite, c:info().suite)
      assert.equal(suite, s:info().suite)
      echo(c, s)
    end)
  end

  for _, group in ipairs{ "x25519", "secp256r1", "secp384r1", "secp521r1", "x448", "ffdhe2048",
                          "ffdhe3072", "ffdhe4096" } do
    it("negotiates " .. group, function()
      local c, s, ok, err = handshake(client{ groups = { group } }, server())
      assert.is_true(ok, err)
      assert.equal(group, c:info().group)
      assert.equal(group, s:info().group)
      echo(c, s)
    end)
  end

  for stem, sigalg in pairs{ ["leaf-rsa"] = "rsa_pss_rsae_sha256", ["leaf-p384"] = "ecdsa_secp384r1_sha384",
                             ["leaf-p521"] = "ecdsa_secp521r1_sha512" } do
    it("authenticates with " .. stem, function()
      local c, _, ok, err = handshake(client(), leaf_server(stem))
      assert.is_true(ok, err)
      assert.equal(sigalg, c:info().sigalg)
    end)
  end

  it("reports every info field", function()
    local c, s, ok, err = handshake(client{ alpn = { "h2", "http/1.1" } }, server({ alpn = { "http/1.1" } }))
    assert.is_true(ok, err)
    local i = c:info()
    assert.equal("1.3", i.version)
    assert.equal("TLS_AES_128_GCM_SHA256", i.suite)
    assert.equal("x25519", i.group)
    assert.equal("ecdsa_secp256r1_sha256", i.sigalg)
    assert.equal("http/1.1", i.alpn)
    assert.equal("localhost", i.sni)
    assert.is_false(i.hrr)
    assert.is_false(i.resumed)
    assert.equal("localhost", s:info().sni)
    assert.equal("http/1.1", s:info().alpn)
  end)

  it("goes through HelloRetryRequest when the client sends no share", function()
    local c, s, ok, err = handshake(client{ groups = { "secp384r1", "x25519" }, key_shares = {} }, server())
    assert.is_true(ok, err)
    assert.is_true(c:info().hrr)
    assert.is_true(s:info().hrr)
    echo(c, s)
  end)

  it("works with a server HRR cookie and without compatibility mode", function()
    local c, s, ok, err = handshake(client{ key_shares = {}, compat_ccs = false }, server({ hrr_cookie = true }))
    assert.is_true(ok, err)
    assert.is_true(c:info().hrr)
    echo(c, s)
  end)

  it("drives the peer on demand: handshake() alone completes a pair", function()
    local c, s = tls.pair(client(), server())
    assert.is_true(c:handshake())
    assert.is_true(s:handshake())
  end)
end)

describe("application data", function()
  it("flows both ways with LuaSocket patterns", function()
    local c, s = handshake(client(), server())
    c:send("line one\r\nline two\n")
    assert.equal("line one", s:receive())
    assert.equal("line two", s:receive("*l"))
    s:send(("x"):rep(40000))
    assert.equal(("x"):rep(40000), c:receive(40000))
    c:send("abc")
    assert.equal("xabc", s:receive(3, "x") and "xabc")
  end)

  it("returns nil, \"timeout\", partial when the peer has nothing more", function()
    local c, s = handshake(client(), server())
    c:send("part")
    local data, err, partial = s:receive("*l")
    assert.is_nil(data)
    assert.equal("timeout", err)
    assert.equal("part", partial)
  end)

  it("survives key updates both ways", function()
    local c, s = handshake(client(), server())
    assert.is_true(c:key_update(true))
    echo(c, s)
    assert.is_true(s:key_update())
    echo(c, s)
  end)

  it("reports close_notify as closed, and *a reads to the end", function()
    local c, s = handshake(client(), server())
    c:send("last words")
    c:close()
    assert.equal("last words", s:receive("*a"))
    local data, err = s:receive()
    assert.is_nil(data)
    assert.equal("closed", err)
  end)

  it("refuses key updates before the handshake", function()
    local c = client():connection()
    local ok, _, name = c:key_update()
    assert.is_nil(ok)
    assert.equal("BAD_STATE", name)
  end)
end)

describe("certificate failures", function()
  local function fails(stem, cname, sname, extra)
    local c, s, ok = handshake(client(extra), leaf_server(stem))
    assert.is_nil(ok)
    local cmsg, cn = c:error()
    local smsg, sn = s:error()
    assert.equal(cname, cn)
    assert.equal(sname, sn)
    assert.matches("^alert sent: fatal ", cmsg)
    assert.matches("^alert received: fatal ", smsg)
    return cmsg, smsg
  end

  it("leaf-wrong-name: BAD_CERTIFICATE both sides", function()
    local cmsg, smsg = fails("leaf-wrong-name", "BAD_CERTIFICATE", "BAD_CERTIFICATE")
    assert.matches("bad_certificate", cmsg)
    assert.equal("alert received: fatal bad_certificate", smsg)
  end)
  it("another server name: BAD_CERTIFICATE", function()
    fails("leaf-p256", "BAD_CERTIFICATE", "BAD_CERTIFICATE", { server_name = "other.example" })
  end)
  it("leaf-expired: CERTIFICATE_EXPIRED", function()
    fails("leaf-expired", "CERTIFICATE_EXPIRED", "CERTIFICATE_EXPIRED")
  end)
  it("self-signed: UNKNOWN_CA", function() fails("self-signed", "UNKNOWN_CA", "UNKNOWN_CA") end)
  it("no trust anchor: UNKNOWN_CA", function()
    local c, _, ok = handshake(assert(tls.context{ mode = "client", server_name = "localhost" }), server())
    assert.is_nil(ok)
    assert.equal("UNKNOWN_CA", select(2, c:error()))
  end)
  it("verify = none works without a cafile", function()
    local c, _, ok, err = handshake(assert(tls.context{ mode = "client", verify = "none" }), leaf_server("leaf-wrong-name"))
    assert.is_true(ok, err)
    assert.is_nil(c:error())
  end)
  it("a clock outside the validity gives CERTIFICATE_EXPIRED", function()
    local _, _, ok, err, name = handshake(client{ clock = function() return 4102444800 * 2 end }, server())
    assert.is_nil(ok)
    assert.equal("CERTIFICATE_EXPIRED", name, err)
  end)
  it("handshake() returns nil, message, NAME", function()
    local c, s = tls.pair(client(), leaf_server("leaf-wrong-name"))
    local ok, msg, name = c:handshake()
    assert.is_nil(ok)
    assert.matches("^alert sent: fatal bad_certificate", msg)
    assert.equal("BAD_CERTIFICATE", name)
    ok, msg, name = s:handshake()
    assert.is_nil(ok)
    assert.equal("alert received: fatal bad_certificate", msg)
    assert.equal("BAD_CERTIFICATE", name)
  end)
end)

describe("sans-I/O connections", function()
  it("feed / run / output / want make a handshake by hand", function()
    local c, s = client():connection(), server():connection()
    assert.is_true(c:want().input == nil or c:want().input)
    for _ = 1, 20 do
      assert.is_true(c:run())
      assert.is_true(s:feed(c:output()))
      assert.is_true(s:run())
      assert.is_true(c:feed(s:output()))
      if c:want().done and s:want().done then break end
    end
    assert.is_true(c:want().done)
    assert.is_true(s:want().done)
    assert.is_true(c:write("hello"))
    s:feed(c:output())
    s:run()
    assert.is_true(s:want().read)
    assert.equal("hello", s:read())
    assert.equal("", s:read())
  end)

  it("write before the handshake is a BAD_STATE failure", function()
    local c = client():connection()
    local ok, _, name = c:write("x")
    assert.is_nil(ok)
    assert.equal("BAD_STATE", name)
  end)

  it("has conn.data, a mode and a name", function()
    local c = client():connection()
    c.data.answer = 42
    assert.equal(42, c.data.answer)
    assert.equal("client", c:mode())
    assert.matches("^moontls.Conn %(client, handshaking%)", tostring(c))
    assert.equal(-1, c:getfd())
  end)

  it("closes with <close>", function()
    local c, s = handshake(client(), server())
    do
      local cc <close> = c
      cc:send("bye")
    end
    assert.equal("bye", s:receive("*a"))
    assert.has_error(function() c:_want() end, "connection is closed")
  end)
end)

describe("key log", function()
  it("writes the five TLS 1.3 secrets in NSS format", function()
    local path = os.tmpname()
    local c, _, ok = handshake(client{ keylog = path }, server())
    assert.is_true(ok)
    local cr = tls.hex.encode(c:_client_random())
    local labels = {}
    for line in io.lines(path) do
      local label, r, secret = line:match("^(%u[%u_%d]+) (%x+) (%x+)$")
      assert.truthy(label, line)
      assert.equal(cr, r)
      assert.equal(64, #secret)
      labels[label] = true
    end
    os.remove(path)
    for _, l in ipairs{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET" } do
      assert.is_true(labels[l], l)
    end
  end)

  it("calls a function with raw bytes, server side too", function()
    local got = {}
    local _, _, ok = handshake(client(), server({ keylog = function(label, cr, secret)
      got[#got + 1] = { label, #cr, #secret }
    end }))
    assert.is_true(ok)
    assert.equal(5, #got)
    for _, g in ipairs(got) do
      assert.equal(32, g[2])
      assert.equal(32, g[3])
    end
  end)
end)

describe("hooks", function()
  it("fire at every point", function()
    local seen = {}
    local function count(name) return function() seen[name] = (seen[name] or 0) + 1 end end
    local hooks = {}
    for _, n in ipairs{ "message_out", "message_in", "record_out", "record_in", "wire_out", "wire_in",
                        "secret", "alert", "state", "verify_data", "key_share" } do
      hooks[n] = count(n)
    end
    local sseen = {}
    local c, s, ok, err = handshake(client{ hooks = hooks }, server({ hooks = {
      sign = function() sseen.sign = true end,
      key_share = function() sseen.key_share = true end,
    } }))
    assert.is_true(ok, err)
    c:close()
    tls.pump(c, s)
    for n in pairs(hooks) do assert.truthy(seen[n], n) end
    assert.is_true(sseen.sign)
    assert.is_true(sseen.key_share)
  end)

  it("message hooks see types, raw bytes and the event", function()
    local out, evs = {}, {}
    local c, s, ok = handshake(client{ hooks = { message_out = function(_, msg, ev)
      out[#out + 1] = msg.type
      evs[#evs + 1] = ev
      assert.equal("string", type(msg.raw))
    end } }, server())
    assert.is_true(ok)
    assert.same({ "client_hello", "change_cipher_spec", "finished" }, out)
    assert.equal("out", evs[1].dir)
    assert.equal("initial", evs[1].epoch)
    assert.equal("handshake", evs[3].epoch)
    assert.is_true(evs[1].hash)
    assert.is_false(evs[1].adopt)
    local ins = {}
    c:on("message_in", function(_, msg) ins[#ins + 1] = msg.type end)
    s:send("x")
    c:receive(1)
    assert.same({}, ins) -- application data is not a handshake message
  end)

  it("a dropped client Finished makes the server time out", function()
    local c, s, ok, err, name = handshake(client{ hooks = { message_out = function(_, msg)
      if msg.type == "finished" then return false end
    end } }, server())
    assert.is_nil(ok)
    assert.equal("TIMEOUT", name, err)
    assert.is_true(c:want().done)
    assert.is_nil(s:want().done)
    local data, rerr = s:receive()
    assert.is_nil(data)
    assert.equal("timeout", rerr)
  end)

  it("a replaced verify_data makes the server fail", function()
    local _, s, ok = handshake(client{ hooks = { verify_data = function(_, side, computed)
      assert.equal("client", side)
      return ("\0"):rep(#computed)
    end } }, server())
    assert.is_nil(ok)
    assert.equal("DECRYPT_ERROR", select(2, s:error()))
  end)

  it("hash = false hashes the unmodified encoding: the peer's Finished check fails", function()
    local _, s, ok = handshake(client{ hooks = { message_out = function(_, msg, ev)
      if msg.type == "client_hello" then
        ev.hash = false
        -- same length, different session id byte: the server hashes what it got
        local raw = msg.raw
        return raw:sub(1, 39) .. string.char(raw:byte(40) ~ 1) .. raw:sub(41)
      end
    end } }, server())
    assert.is_nil(ok)
    assert.truthy(s:error())
  end)

  it("the secret hook sees the five TLS 1.3 labels", function()
    local labels = {}
    local _, _, ok = handshake(client{ hooks = { secret = function(_, label, secret, cr)
      labels[#labels + 1] = label
      assert.equal(32, #secret)
      assert.equal(32, #cr)
    end } }, server())
    assert.is_true(ok)
    table.sort(labels)
    assert.same({ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "EXPORTER_SECRET",
                  "SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0" }, labels)
  end)

  it("alert and state hooks get readable arguments", function()
    local alerts, states = {}, {}
    local c, s = handshake(client{ hooks = {
      alert = function(_, a, dir) alerts[#alerts + 1] = { a.name, a.level, dir } end,
      state = function(_, from, to) states[#states + 1] = to end,
    } }, leaf_server("leaf-wrong-name"))
    assert.same({ "bad_certificate", "fatal", "out" }, alerts[1])
    assert.truthy(#states > 1)
    assert.truthy(c and s)
  end)

  it("a hook error fails the connection with HOOK", function()
    local c, _, ok, err, name = handshake(client{ hooks = { message_out = function(_, msg)
      if msg.type == "finished" then error("boom") end
    end } }, server())
    assert.is_nil(ok)
    assert.equal("HOOK", name)
    assert.matches("^hook error: .*boom", err)
    assert.matches("traceback", err)
    assert.equal("HOOK", select(2, c:error()))
  end)

  it("an error in an informational hook fails the connection too", function()
    local c, _, ok, _, name = handshake(client{ hooks = { secret = function() error("nope") end } }, server())
    assert.is_nil(ok)
    assert.equal("HOOK", name)
    assert.matches("nope", (c:error()))
  end)

  it("conn:on adds per-connection hooks and checks names", function()
    local c, s = tls.pair(client(), server())
    local n = 0
    c:on("wire_out", function(_, bytes) n = n + #bytes end)
    assert.has_error(function() c:on("nope", print) end)
    assert.has_error(function() c:on("wire_out", 1) end)
    assert.is_true(tls.pump(c, s))
    assert.truthy(n > 0)
  end)

  it("hooks may yield: a pump runs inside a coroutine", function()
    local yields = 0
    local co = coroutine.wrap(function()
      return handshake(client{ hooks = { message_out = function() coroutine.yield("paused") end } }, server())
    end)
    local r
    for _ = 1, 100 do
      r = table.pack(co())
      if r[1] ~= "paused" then break end
      yields = yields + 1
    end
    assert.equal(3, yields)
    assert.is_true(r[3])
  end)

  it("a wire_out hook can split bytes into several writes", function()
    local c, s = tls.pair(client{ hooks = { wire_out = function(_, bytes)
      local parts = {}
      for i = 1, #bytes, 7 do parts[#parts + 1] = bytes:sub(i, i + 6) end
      if #parts > 16 then return nil end
      return parts
    end } }, server())
    assert.is_true(tls.pump(c, s))
  end)
end)

describe("rng", function()
  local function transcript(cctx, sctx)
    local c, s = cctx:connection(), sctx:connection()
    local log = {}
    for _ = 1, 20 do
      c:run()
      local a = c:output()
      s:feed(a)
      s:run()
      local b = s:output()
      c:feed(b)
      log[#log + 1] = a
      log[#log + 1] = b
      if a == "" and b == "" then break end
    end
    assert.is_true(c:want().done)
    return table.concat(log)
  end

  it("same seeded rng on both sides gives identical byte streams", function()
    -- and the same clock: the server's tickets carry their issue time (DESIGN.md 1.3:
    -- fixed randoms, keys and clock reproduce a handshake byte for byte); with the
    -- system clock two runs a second apart differ
    local function clock() return 1735689600 end
    local function run(seed)
      return transcript(client{ rng = tls.rng.seeded(seed), clock = clock },
                        server({ rng = tls.rng.seeded(seed .. "/s"), clock = clock }))
    end
    local a, b = run("one"), run("one")
    assert.equal(a, b)
    assert.are_not.equal(a, run("two"))
    -- and one context makes identical connections: each starts its own stream
    local cc, sc = client{ rng = tls.rng.seeded("x"), clock = clock },
                   server({ rng = tls.rng.seeded("y"), clock = clock })
    assert.equal(transcript(cc, sc), transcript(cc, sc))
  end)

  it("a function rng sees every draw with its purpose", function()
    local purposes = {}
    local _, _, ok = handshake(client{ rng = function(n, purpose)
      purposes[purpose] = n
      return ("\7"):rep(n)
    end }, server())
    assert.is_true(ok)
    assert.equal(32, purposes.client_random)
  end)

  it("pinned bytes show up in the ClientHello; other draws fail with HOOK", function()
    local random = ("\42"):rep(32)
    local ch
    local c, s = tls.pair(client{ compat_ccs = false,
      rng = tls.rng.pinned{ client_random = random },
      key_shares = { x25519 = { private = ("\9"):rep(32) } },
      hooks = { message_out = function(_, msg) ch = ch or msg.raw end } }, server())
    local ok, err = tls.pump(c, s)
    assert.is_true(ok, err)
    assert.equal(random, ch:sub(7, 38))

    c, s = tls.pair(client{ rng = tls.rng.pinned{ client_random = random } }, server())
    local _, msg, name = c:handshake()
    assert.equal("HOOK", name)
    assert.matches("pinned rng: unexpected draw", msg)
  end)

  it("pinned key shares give the same public key every time", function()
    local function share()
      local ch
      local c, s = tls.pair(client{ key_shares = { x25519 = { private = ("\5"):rep(32) } },
        hooks = { message_out = function(_, msg) ch = ch or msg.raw end } }, server())
      assert.is_true(tls.pump(c, s))
      local i = ch:find("\0\29\0\32", 1, true)
      return ch:sub(i + 4, i + 35)
    end
    assert.equal(share(), share())
  end)

  it("a sequence hands out its entries in order and fails when exhausted", function()
    local c = tls.pair(client{ rng = tls.rng.sequence{ ("\1"):rep(32) } }, server())
    local _, msg, name = c:handshake()
    assert.equal("HOOK", name)
    assert.matches("exhausted at draw 2", msg)
    c = tls.pair(client{ rng = tls.rng.sequence{ { purpose = "session_id", bytes = ("\1"):rep(32) } } }, server())
    _, msg = c:handshake()
    assert.matches("wanted purpose session_id", msg)
  end)
end)

describe("receive patterns", function()
  it("raises on a bad pattern", function()
    local c = tls.pair(client(), server())
    assert.has_error(function() c:receive("*x") end)
    assert.has_error(function() c:receive(1.5) end)
  end)
end)
