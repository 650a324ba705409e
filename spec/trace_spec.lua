-- tls.trace (SCRIPTING.md 6.8): transcripts, data-only trace files, trace peers, table
-- transports, replay against openssl s_server, and the CLI's --trace table dumps.
local tls = require "moontls"
local socket = require "socket"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "spec"
local ROOT = here .. "/.."
local PKI = ROOT .. "/spec/fixtures/pki/"

local function server_ctx(extra)
  local p = { mode = "server", versions = { "1.3" }, certificate = PKI .. "leaf-p256.pem",
              key = PKI .. "leaf-p256.key" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end
local function client_ctx(extra)
  local p = { mode = "client", versions = { "1.3" }, verify = "none" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

local TMP = os.tmpname()
os.remove(TMP)
os.execute("mkdir -p " .. TMP)
teardown(function() os.execute("rm -rf " .. TMP) end)

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end
local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- A recorded in-memory handshake plus one exchange of data.
local function recorded_pair()
  local c, s = tls.pair(client_ctx(), server_ctx())
  tls.trace.record(c)
  assert(tls.pump(c, s))
  assert(c:write("ping"))
  assert(tls.pump(c, s))
  return c, s, assert(c:transcript())
end

describe("conn:transcript()", function()
  it("is nil, err until the connection is recorded", function()
    local c = client_ctx():connection()
    local t, err = c:transcript()
    assert.is_nil(t)
    assert.matches("not recorded", err)
  end)

  it("lists wire, record and message events with dir, epoch, flight and seq", function()
    local _, _, t = recorded_pair()
    local layers = {}
    for i, e in ipairs(t.events) do
      layers[e.layer] = (layers[e.layer] or 0) + 1
      assert.equal(i, e.seq)
      assert.is_string(e.bytes)
      assert.truthy(e.dir == "out" or e.dir == "in")
      assert.truthy(e.epoch == "initial" or e.epoch == "handshake" or e.epoch == "application", e.epoch)
      assert.truthy(e.flight >= 1)
    end
    assert.truthy(layers.wire >= 3 and layers.record >= 3 and layers.message >= 7)
    assert.equal("client", t.role)
    -- flights: ClientHello out; the server's flight in; the client's Finished out
    local f1, f2, f3 = t:flight(1), t:flight(2), t:flight(3)
    assert.equal("out", f1.dir)
    assert.equal("client_hello", f1.messages[1].type)
    assert.equal(0x16, f1.wire:byte(1))
    assert.equal("in", f2.dir)
    local types = {}
    for _, m in ipairs(f2.messages) do
      if m.content_type == 22 then types[#types + 1] = m.type end -- (a compat CCS may come too)
    end
    assert.same({ "server_hello", "encrypted_extensions", "certificate", "certificate_verify", "finished" }, types)
    assert.equal("out", f3.dir)
    local hs3 = {}
    for _, m in ipairs(f3.messages) do
      if m.content_type == 22 then hs3[#hs3 + 1] = m.type end
    end
    assert.same({ "finished" }, hs3)
    assert.is_nil(t:flight(99))
    -- messages by type, decoded
    local sh, ev = t:message("server_hello")
    assert.equal("TLS_AES_128_GCM_SHA256", sh.cipher_suite)
    assert.equal("in", ev.dir)
    assert.equal("finished", (t:message("finished", 2)).type)
    assert.is_nil((t:message("finished", 3)))
    -- application data is a message too (the recorded "ping")
    local found
    for _, e in ipairs(t.events) do
      if e.layer == "message" and e.content_type == 23 and e.bytes == "ping" then found = e end
    end
    assert.truthy(found)
    assert.equal("application", found.epoch)
    -- secrets from the secret hook, in memory only
    assert.equal(32, #t:secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET"))
    assert.equal(32, #t.client_random)
    assert.matches("^CLIENT_HANDSHAKE_TRAFFIC_SECRET %x+ %x+\n", t:keylog())
  end)

  it("keeps the bytes a message hook's verdict put on the wire", function()
    local c, s = tls.pair(client_ctx{ hooks = { message_out = function(_, m)
      if m.type == "client_hello" then
        tls.ext.insert(m, { type = 0x7a7a, data = "xyz" })
        return m
      end
    end } }, server_ctx())
    tls.trace.record(c)
    assert(tls.pump(c, s))
    local ch = assert(c:transcript():message("client_hello"))
    assert.truthy(tls.ext.find(ch, 0x7a7a))
  end)
end)

describe("trace files", function()
  it("save / load round trip, secrets omitted unless asked", function()
    local _, _, t = recorded_pair()
    local path = TMP .. "/a.trace"
    assert(t:save(path))
    local text = read(path)
    assert.not_matches("secrets", text)
    assert.not_matches("client_random", text)
    local back = assert(tls.trace.load(path))
    assert.equal(#t.events, #back.events)
    for i, e in ipairs(t.events) do
      for _, k in ipairs{ "dir", "layer", "epoch", "flight", "seq", "bytes", "content_type" } do
        assert.equal(e[k], back.events[i][k], ("event %d %s"):format(i, k))
      end
    end
    assert.is_nil(back.secrets)
    assert.equal(t:flight(1).wire, back:flight(1).wire)
    assert.same(t:message("server_hello").random, back:message("server_hello").random)
    assert.equal("TLS_AES_128_GCM_SHA256", back.info.suite)

    assert(t:save(path, { secrets = true }))
    back = assert(tls.trace.load(path))
    assert.equal(t:secret("SERVER_TRAFFIC_SECRET_0"), back:secret("SERVER_TRAFFIC_SECRET_0"))
    assert.equal(t.client_random, back.client_random)

    assert(t:save(path, { plaintext = false }))
    back = assert(tls.trace.load(path))
    for _, e in ipairs(back.events) do
      assert.truthy(e.layer == "wire" or e.epoch == "initial")
    end
  end)

  it("loading runs no code: calls, loops and functions are refused before load()", function()
    local marker = TMP .. "/pwned"
    local attacks = {
      ("return { events = {}, x = os.execute('touch %s') }"):format(marker),
      ("return { events = { io.open('%s', 'w') } }"):format(marker),
      "return { events = {}, x = print 'hi' }",
      "return { events = {}, x = (function() while true do end end)() }",
      "while true do end",
      "x = 1 return { events = {} }",
      "return { events = {}, x = 'a' .. 'b' }",
      "return { events = {}, x = [[long]] }",
      "return { events = {}, x = string.rep('x', 1e9) }",
      "return setmetatable({ events = {} }, { __index = function() end })",
    }
    for i, text in ipairs(attacks) do
      local path = ("%s/evil%d.trace"):format(TMP, i)
      write(path, text)
      local t, err = tls.trace.load(path)
      assert.is_nil(t, text)
      assert.matches("not a data%-only trace file", err)
    end
    assert.is_nil(read(marker))
    -- and the empty environment is there too: data that passes the check is only data
    local t = assert(tls.trace.parse('return { events = { { layer = "wire", dir = "out", bytes = "\\x16" } } }'))
    assert.equal("\22", t.events[1].bytes)
    assert.is_nil(tls.trace.parse("return { nope = 1 }"))
  end)
end)

describe("tls.trace.peer", function()
  it("plays canned steps and checks what it receives", function()
    local p = tls.trace.peer{ { expect = "abc" }, { send = "xyz" }, { expect = "12", compare = "prefix", length = 4 } }
    assert.equal(3, p.send("abc"))
    assert.equal("xyz", p.recv())
    assert.equal(4, p.send("1234"))
    assert.is_true(p:done())
    local data, err = p.recv()
    assert.is_nil(data)
    assert.equal("closed", err)
  end)

  it("names the step and the first differing offset on a mismatch", function()
    local p = tls.trace.peer{ { send = "hello" }, { expect = "abcdef", name = "CF" } }
    assert.equal("hello", p.recv())
    local n, err = p.send("abcXef")
    assert.equal(0, n)
    assert.matches('step 2 "CF" %(expect%): differs at offset 3', err)
    assert.has_error(function() p:check() end)
    -- a mismatch already visible in a partial write is reported at once
    p = tls.trace.peer{ { expect = "abcdef" } }
    n, err = p.send("ab!")
    assert.equal(0, n)
    assert.matches("step 1 %(expect%): differs at offset 2", err)
    -- prefix: records must start with the bytes
    p = tls.trace.peer{ { expect = "\22\3\1", compare = "prefix" } }
    n, err = p.send("\22\3\3\0\1x")
    assert.matches("step 1 %(expect%): differs at offset 2 %(prefix", err)
    -- a compare function's refusal and its reason
    p = tls.trace.peer{ { compare = function(got) return false, "nope " .. #got end } }
    n, err = p.send("\23\3\3\0\2ab")
    assert.matches("the compare function refused 7 bytes: nope 7", err)
    -- extra bytes after the last step
    p = tls.trace.peer{ { expect = "a" } }
    n, err = p.send("ab")
    assert.matches("1 bytes after the last step", err)
    -- the connection waits to read while the peer still expects bytes
    p = tls.trace.peer{ { expect = "abcdef" } }
    p.send("abc")
    local d
    d, err = p.recv()
    assert.is_nil(d)
    assert.matches("the connection waits to read, but the peer still expects data %(3 of 6 bytes arrived%)", err)
  end)

  it("a connection on a peer returns the mismatch as its error", function()
    local p = tls.trace.peer{ { expect = "\22\3\1\0\0", name = "CH" } }
    local c = client_ctx():wrap(p)
    local ok, err, name = c:handshake()
    assert.is_nil(ok)
    assert.equal("IO", name)
    assert.matches('trace peer: step 1 "CH" %(expect%): differs at offset 4', err)
  end)

  it("replays a recorded server from its trace (pinned client)", function()
    local ctx = client_ctx{ rng = tls.rng.seeded("trace"), key_shares = { "x25519" } }
    -- no tickets: the replayed handshake ends with the client's Finished
    local c, s = tls.pair(ctx, server_ctx{ tickets = 0 })
    tls.trace.record(c)
    assert(tls.pump(c, s))
    local t = c:transcript()
    -- the same client again, against a peer made from the trace: byte-exact both ways
    local p = tls.trace.peer(t)
    local c2 = ctx:wrap(p)
    assert(c2:handshake())
    assert.is_true(p:done(), p.error)
    -- an unpinned client differs in its random: the peer says where
    local p3 = tls.trace.peer(t)
    local ok, err = client_ctx():wrap(p3):handshake()
    assert.is_nil(ok)
    assert.matches("step 1 %(expect%): differs at offset 11", err) -- 5 header + 4 + 2 version
  end)
end)

describe("ctx:wrap(transport table)", function()
  it("drives a handshake over {read =, write =, close =}", function()
    local server = server_ctx():connection()
    local closed = false
    local transport = {
      write = function(bytes)
        assert(server:feed(bytes))
        assert(server:run())
        return #bytes
      end,
      read = function()
        local out = server:output()
        if out == "" then return nil, "timeout" end
        return out
      end,
      close = function() closed = true end,
    }
    local c = client_ctx():wrap(transport)
    assert(c:handshake())
    assert.equal("1.3", c:info().version)
    c:close()
    assert.is_true(closed)
    assert.has_error(function() client_ctx():wrap{ read = 1 } end)
  end)
end)

-- ---------------------------------------------------------------------------------
-- Against openssl s_server on loopback
-- ---------------------------------------------------------------------------------

local helpers = require "interop.helpers"

describe("replay against openssl s_server (example c)", function()
  after_each(function() helpers.kill_all() end)

  it("records, saves, loads, replays the first flight on the wire and the messages live", function()
    local _, port = helpers.openssl_server("leaf-p256", "-www")
    local example = dofile(ROOT .. "/scripts/examples/replay.lua")
    local path = TMP .. "/first-flight.trace"
    local lines = {}
    local r = example.run{ port = port, path = path, fresh = true, log = function(l) lines[#lines + 1] = l end }
    assert.is_true(r.recorded)
    assert.not_matches("secrets", read(path))
    assert.is_true(r.same_suite)
    assert.is_true(r.fresh_random)
    -- the raw reply: the server echoed the recorded session id, so the bytes written were
    -- the recorded ones; its protected flight stays records
    assert.equal(r.trace:message("client_hello").legacy_session_id, r.wire_sh.legacy_session_id_echo)
    assert.equal(0x16, r.wire_reply.records[1].content_type)
    assert.equal(23, r.wire_reply.records[#r.wire_reply.records].content_type)
    assert.is_true(r.messages_ok, tostring(r.messages_err))
    -- the live replay kept the recorded ClientHello's structure, not its random or share
    local rec_ch = r.trace:message("client_hello")
    local live_ch = r.replayed:message("client_hello")
    local function ext_types(m)
      local t = {}
      for i, x in ipairs(m.extensions) do t[i] = x.type end
      return t
    end
    assert.same(ext_types(rec_ch), ext_types(live_ch))
    assert.same(rec_ch.cipher_suites, live_ch.cipher_suites)
    assert.not_equal(rec_ch.random, live_ch.random)
    assert.not_equal(tls.ext.find(rec_ch, "key_share").client_shares[1].key_exchange,
      tls.ext.find(live_ch, "key_share").client_shares[1].key_exchange)
    -- a second run replays from the file without recording again
    r = example.run{ port = port, path = path, log = function() end }
    assert.is_nil(r.recorded)
    assert.is_true(r.messages_ok, tostring(r.messages_err))
  end)

  it("wire mode writes the recorded bytes exactly (the ClientHello the server logs)", function()
    local _, port = helpers.openssl_server("leaf-p256", "-www")
    local ctx = client_ctx{ server_name = "localhost" }
    local c = assert(tls.connect("127.0.0.1", port, ctx, { record = true, timeout = 5 }))
    assert(c:handshake())
    c:close()
    local t = c:transcript()
    local w = assert(tls.connect("127.0.0.1", port, ctx, { replay = t, replay_mode = "wire" }))
    -- what the server answers the recorded bytes with: a ServerHello for that offer
    local reply = assert(w:replay{ timeout = 5 })[1]
    local sh = assert(reply:message("server_hello"))
    assert.equal(t:message("server_hello").cipher_suite, sh.cipher_suite)
    -- the server echoed the recorded session id: the bytes were the recorded ones
    assert.equal(t:message("client_hello").legacy_session_id, sh.legacy_session_id_echo)
    w:close()
    assert.has_error(function() tls.connect("127.0.0.1", port, ctx, { replay = t, replay_mode = "bogus" }) end)
    assert.has_error(function() tls.connect("127.0.0.1", port, ctx, { replay = "nope" }) end)
  end)
end)

describe("moontls CLI --trace", function()
  after_each(function() helpers.kill_all() end)

  it("dumps each message as a table under its one-line summary", function()
    local cli = ROOT .. "/scripts/moontls"
    local build = os.getenv("MOONTLS_BUILD")
      or (os.getenv("LUA_CPATH") or ""):match("^([^;]*)/%?%.so") or "build"
    local env = ("env MOONTLS_BUILD=%s "):format(helpers.q(build))
    local _, port = helpers.openssl_server("leaf-p256", "-www")
    local out = helpers.run_client(("%s%s client 127.0.0.1:%d --insecure --trace"):format(env, cli, port),
      "GET / HTTP/1.0\r\n\r\n", "</HTML>", 10)
    assert.matches("%-> %[initial%s*%] ClientHello%s+%d+B", out)
    assert.matches('type = "client_hello"', out, 1, true)
    assert.matches('type = "key_share"', out, 1, true)
    assert.matches('cipher_suite = "TLS_AES_128_GCM_SHA256"', out, 1, true)
    assert.matches('type = "finished"', out, 1, true)
    -- without --trace: the summary lines only
    out = helpers.run_client(("%s%s client 127.0.0.1:%d --insecure"):format(env, cli, port),
      "GET / HTTP/1.0\r\n\r\n", "</HTML>", 10)
    assert.matches("ClientHello%s+%d+B", out)
    assert.not_matches('type = "client_hello"', out, 1, true)
  end)
end)
