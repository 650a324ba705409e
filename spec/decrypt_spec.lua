-- tls.trace.decrypt (SCRIPTING.md 6.8): TLS 1.3 records opened with an NSS key log.
-- Proven on the RFC 8448 conversations (1-RTT, 0-RTT with EndOfEarlyData, HRR,
-- compatibility CCS, client auth) with key logs built from the RFC's secrets; on recorded
-- in-memory sessions in every suite, with KeyUpdate both ways; on the streams of a live
-- session with openssl s_server whose key log our client wrote; and on wrong key logs
-- and broken input, which give an error per record and no crash.
local tls = require "moontls"
local json = require "dkjson"
local H = require "interop.helpers"

local hex = tls.hex
local PKI = H.PKI
local FIX = H.ROOT .. "/spec/fixtures/"

local function read_json(name)
  local f = assert(io.open(FIX .. name, "rb"))
  local d = assert(json.decode(f:read("a")))
  f:close()
  return d
end

-- The RFC's records as two streams, and a key log from its key schedule.
local LABELS = {
  client_early_traffic_secret = "CLIENT_EARLY_TRAFFIC_SECRET",
  client_handshake_traffic_secret = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
  server_handshake_traffic_secret = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
  client_application_traffic_secret_0 = "CLIENT_TRAFFIC_SECRET_0",
  server_application_traffic_secret_0 = "SERVER_TRAFFIC_SECRET_0",
}
local function rfc_case(name)
  local d = read_json(name)
  local streams = { client = {}, server = {} }
  for _, r in ipairs(d.records) do table.insert(streams[r.sender], hex.decode(r.record)) end
  local ch = hex.decode(d.records[1].record)
  local random = ch:sub(12, 43) -- record header 5, handshake header 4, version 2
  local lines = {}
  for k, label in pairs(LABELS) do
    if d.key_schedule[k] then
      lines[#lines + 1] = ("%s %s %s"):format(label, hex.encode(random), d.key_schedule[k])
    end
  end
  table.sort(lines)
  return d, { client = table.concat(streams.client), server = table.concat(streams.server) },
    table.concat(lines, "\n") .. "\n"
end

local function records_of(t, side)
  local out = {}
  for _, e in ipairs(t.events) do
    if e.layer == "record" and e.side == side then out[#out + 1] = e end
  end
  return out
end

local EPOCH = { plaintext = "initial", client_early = "early", client_handshake = "handshake",
  server_handshake = "handshake", client_application = "application", server_application = "application" }

describe("tls.trace.decrypt on RFC 8448", function()
  for _, name in ipairs{ "rfc8448-1rtt.json", "rfc8448-resumption.json", "rfc8448-hrr.json",
                          "rfc8448-compat.json", "rfc8448-client-auth.json" } do
    it(name .. ": every record opens to the RFC's plaintext, in its epoch", function()
      local d, streams, keylog = rfc_case(name)
      local t = assert(tls.trace.decrypt(streams, keylog))
      assert.same({}, t.errors)
      assert.equal(d.cipher_suite.name, t.info.suite)
      for _, side in ipairs{ "client", "server" } do
        local got, want = records_of(t, side), {}
        for _, r in ipairs(d.records) do
          if r.sender == side then want[#want + 1] = r end
        end
        assert.equal(#want, #got, side)
        for i, r in ipairs(want) do
          local e = got[i]
          assert.equal(EPOCH[r.protection], e.epoch, ("%s record %d"):format(side, i))
          assert.equal(r.content_type_value, e.content_type, ("%s record %d"):format(side, i))
          assert.equal(r.payload, hex.encode(e.bytes), ("%s record %d"):format(side, i))
          if r.protection ~= "plaintext" then
            assert.equal(23, e.outer_type)
            assert.equal(r.sequence_number, e.record_seq)
          end
        end
      end
      -- every handshake message the RFC lists, decoded, in order per direction
      for _, side in ipairs{ "client", "server" } do
        local want, got = {}, {}
        for _, r in ipairs(d.records) do
          if r.sender == side then
            for _, m in ipairs(r.messages or {}) do want[#want + 1] = hex.decode(d.messages[m]) end
          end
        end
        for _, e in ipairs(t.events) do
          if e.layer == "message" and e.side == side and e.content_type == 22 then got[#got + 1] = e.bytes end
        end
        assert.same(want, got)
      end
      assert.equal(d.cipher_suite.name, (t:message("server_hello")).cipher_suite)
      assert.equal("finished", (t:message("finished")).type)
    end)
  end

  it("1-RTT: application data and close_notify both ways; flights in the handshake's order", function()
    local _, streams, keylog = rfc_case("rfc8448-1rtt.json")
    local t = assert(tls.trace.decrypt(streams, keylog))
    assert.equal("client", t.role)
    local data = {}
    for _, e in ipairs(t.events) do
      if e.layer == "message" and e.content_type == 23 then data[#data + 1] = e.dir .. " " .. #e.bytes end
    end
    assert.same({ "out 50", "in 50" }, data)
    assert.same({ { dir = "out", level = "warning", name = "close_notify", code = 0 },
                  { dir = "in", level = "warning", name = "close_notify", code = 0 } }, t.alerts)
    assert.equal("out", t:flight(1).dir)
    assert.equal("client_hello", t:flight(1).messages[1].type)
    local f2 = t:flight(2)
    assert.equal("in", f2.dir)
    assert.equal("server_hello", f2.messages[1].type)
    assert.equal("finished", f2.messages[#f2.messages].type)
    assert.equal("finished", t:flight(3).messages[1].type)
    assert.equal("new_session_ticket", t:flight(4).messages[1].type)
    -- the streams again, as the wire events of the flights
    assert.equal(streams.client, t:wire("out"))
    assert.equal(streams.server, t:wire("in"))
    -- the key log used comes back out
    assert.equal(keylog, t:keylog():gsub("\n$", "") .. "\n")
  end)

  it("HRR: the second ClientHello comes after the HelloRetryRequest", function()
    local _, streams, keylog = rfc_case("rfc8448-hrr.json")
    local t = assert(tls.trace.decrypt(streams, keylog))
    local order = {}
    for i = 1, t:flights() do order[i] = t:flight(i).messages[1].type end
    assert.same({ "client_hello", "hello_retry_request", "client_hello", "server_hello", "finished", "alert" }, order)
    -- (the RFC's last server record is its close_notify, after the client's data)
  end)
end)

-- ---------------------------------------------------------------------------------
-- Recorded moontls sessions
-- ---------------------------------------------------------------------------------

local function session(suite, opts)
  opts = opts or {}
  local lines = {}
  local cctx = assert(tls.context{ mode = "client", versions = { "1.3" }, verify = "none", suites = { suite },
    keylog = function(label, cr, secret)
      lines[#lines + 1] = ("%s %s %s\n"):format(label, hex.encode(cr), hex.encode(secret))
    end })
  local sctx = assert(tls.context{ mode = "server", versions = { "1.3" }, certificate = PKI .. "leaf-p256.pem",
    key = PKI .. "leaf-p256.key" })
  local c, s = tls.pair(cctx, sctx)
  local rec = tls.trace.record(opts.server_side and s or c)
  assert(tls.pump(c, s))
  assert(c:write("ping"))
  assert(tls.pump(c, s))
  assert(s:write(("pong"):rep(5000))) -- several records
  assert(tls.pump(c, s))
  assert(c:key_update(true))
  assert(tls.pump(c, s))
  assert(c:write("after update"))
  assert(s:write("server after update"))
  assert(tls.pump(c, s))
  assert(c:key_update(false))
  assert(tls.pump(c, s))
  assert(c:write("second update"))
  assert(tls.pump(c, s))
  return rec, table.concat(lines)
end

local function plaintext_messages(t)
  local out = {}
  for _, e in ipairs(t.events) do
    if e.layer == "message" then out[#out + 1] = e.dir .. " " .. e.content_type .. " " .. hex.encode(e.bytes) end
  end
  return out
end

describe("tls.trace.decrypt on recorded sessions", function()
  local TMP = os.tmpname()
  os.remove(TMP)
  os.execute("mkdir -p " .. TMP)
  teardown(function() os.execute("rm -rf " .. TMP) end)

  for _, suite in ipairs{ "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256" } do
    it(suite .. ": a trace saved without plaintext decrypts to the recorded messages, KeyUpdates included", function()
      local rec, keylog = session(suite)
      local path = TMP .. "/s.trace"
      assert(rec:save(path, { plaintext = false }))
      local saved = assert(tls.trace.load(path))
      for _, e in ipairs(saved.events) do
        assert.truthy(e.layer == "wire" or e.epoch == "initial", "protected plaintext was saved")
      end
      local kpath = TMP .. "/keylog.txt"
      H.write(kpath, keylog)
      local t = assert(tls.trace.decrypt(saved, kpath))
      assert.same({}, t.errors)
      assert.equal(suite, t.info.suite)
      assert.same(plaintext_messages(rec), plaintext_messages(t))
      -- the same flights as the recording
      assert.equal(rec:flights(), t:flights())
      for i = 1, rec:flights() do assert.equal(rec:flight(i).wire, t:flight(i).wire) end
      -- two client KeyUpdates: three generations of client keys
      local gens = {}
      for _, e in ipairs(t.events) do
        if e.layer == "record" and e.dir == "out" and e.generation then gens[e.generation] = true end
      end
      assert.same({ [0] = true, [1] = true, [2] = true }, gens)
      assert.matches("application record application_data 13 B %(keys after 2 KeyUpdates%)", table.concat(t:summary(), "\n"))
      -- a decrypted trace saves and loads like a recorded one
      assert(t:save(TMP .. "/d.trace"))
      local back = assert(tls.trace.load(TMP .. "/d.trace"))
      assert.same(plaintext_messages(rec), plaintext_messages(back))
      assert.equal(t.events[#t.events - 1].generation, back.events[#back.events - 1].generation)
      assert.equal("key_update", (t:message("key_update", 3)).type) -- the server's answer is one of them
      -- the key log as a table label -> hex secret works the same
      local map = {}
      for label, secret in keylog:gmatch("(%S+) %x+ (%x+)\n") do map[label] = secret end
      assert.same(plaintext_messages(rec), plaintext_messages(assert(tls.trace.decrypt(saved, map))))
    end)
  end

  it("a server's recording decrypts too (directions follow the trace's role)", function()
    local rec, keylog = session("TLS_AES_128_GCM_SHA256", { server_side = true })
    local t = assert(tls.trace.decrypt(rec, keylog))
    assert.same({}, t.errors)
    assert.equal("server", t.role)
    local _, ev = t:message("client_hello")
    assert.equal("in", ev.dir)
    assert.same(plaintext_messages(rec), plaintext_messages(t))
  end)

  it("a wrong key log gives one error per record it could not open, and no crash", function()
    local rec, keylog = session("TLS_AES_128_GCM_SHA256")
    -- one secret altered: only the server's handshake records fail, and say why
    local bad = keylog:gsub("(SERVER_HANDSHAKE_TRAFFIC_SECRET %x+ )(%x)", function(p, c)
      return p .. (c == "0" and "1" or "0")
    end)
    local t = assert(tls.trace.decrypt(rec, bad))
    assert.truthy(#t.errors >= 1)
    for _, err in ipairs(t.errors) do
      assert.matches("^server record %d+ %(handshake epoch%): bad record MAC: did not open with SERVER_HANDSHAKE_TRAFFIC_SECRET", err)
    end
    local failed = 0
    for _, e in ipairs(t.events) do
      if e.layer == "record" and e.error then
        failed = failed + 1
        assert.equal(23, e.content_type)
      end
    end
    assert.equal(#t.errors, failed)
    assert.equal("finished", (t:message("finished")).type) -- the client's still opened
    assert.matches("did not open with SERVER_HANDSHAKE_TRAFFIC_SECRET", table.concat(t:summary(), "\n"))

    -- a key log for another connection: every protected record names the missing lines
    local other = keylog:gsub(" (%x+) ", function(cr) return " " .. ("ab"):rep(32) .. " " end)
    t = assert(tls.trace.decrypt(rec, other))
    local protected = 0
    for _, e in ipairs(t.events) do
      if e.layer == "record" and e.error then protected = protected + 1 end
    end
    assert.truthy(protected >= 5)
    assert.matches("the key log has no lines for client random %x+", t.errors[1])
    -- a missing label
    t = assert(tls.trace.decrypt(rec, (keylog:gsub("CLIENT_TRAFFIC_SECRET_0[^\n]*\n", ""))))
    assert.matches("the key log has no CLIENT_TRAFFIC_SECRET_0 for this connection", t.errors[1])
    assert.same({ nil, "key log: no NSS key log lines (LABEL <client random> <secret>)" },
      { tls.trace.decrypt(rec, "# nothing here\n") })
    local none, err = tls.trace.decrypt(rec, "/nonexistent/keylog")
    assert.is_nil(none)
    assert.matches("^key log: /nonexistent/keylog", err)
  end)

  it("broken input: truncated, garbage and empty streams return a trace or nil, err; misuse raises", function()
    local rec, keylog = session("TLS_AES_128_GCM_SHA256")
    local c, s = rec:wire("out"), rec:wire("in")
    for _, cut in ipairs{ 1, 5, 50, 200, #c - 1 } do
      local t, err = tls.trace.decrypt({ client = c:sub(1, cut), server = s:sub(1, cut * 3) }, keylog)
      if cut < 10 then
        assert.equal("no TLS records in the input", err) -- not one whole record either way
      else
        assert.is_table(t.errors)
        assert.truthy(t:message("server_hello"))
        local ch_record = 5 + ((c:byte(4) << 8) | c:byte(5))
        assert.equal(cut >= ch_record, t:message("client_hello") ~= nil)
      end
    end
    local t = assert(tls.trace.decrypt({ client = c, server = s:sub(1, -3) }, keylog))
    assert.matches("server stream: %d+ bytes of an unfinished record at the end", t.errors[#t.errors])
    -- bytes flipped all over the server stream: errors, never a crash
    for i = 1, #s, 97 do
      local bad = s:sub(1, i - 1) .. string.char(s:byte(i) ~ 0x5a) .. s:sub(i + 1)
      local ok, res = pcall(tls.trace.decrypt, { client = c, server = bad }, keylog)
      assert.is_true(ok, res)
    end
    local gar = ("\23\3\3\0\20" .. ("x"):rep(20)):rep(3)
    t = assert(tls.trace.decrypt({ client = gar, server = gar }, keylog))
    assert.matches("no ServerHello in the server stream", t.errors[1])
    assert.same({ nil, "no TLS records in the input" }, { tls.trace.decrypt({ client = "", server = "" }, keylog) })
    assert.has_error(function() tls.trace.decrypt("nope", keylog) end)
    assert.has_error(function() tls.trace.decrypt({ client = c }, keylog) end)
    assert.has_error(function() tls.trace.decrypt({ client = c, server = s }, 42) end)
  end)
end)

describe("tls.trace.decrypt on a live session with openssl s_server", function()
  after_each(function() H.kill_all() end)
  teardown(function() H.cleanup() end)

  it("decrypts the TCP streams with the key log our client wrote", function()
    local _, port = H.openssl_server("leaf-p256", "-www")
    local kpath = H.TMP .. "/live-keylog.txt"
    os.execute("mkdir -p " .. H.TMP)
    local ctx = assert(tls.context{ mode = "client", versions = { "1.3" }, cafile = H.CA,
      server_name = "localhost", keylog = kpath })
    local c
    for _ = 1, 20 do
      c = tls.connect("127.0.0.1", port, ctx, { record = true, timeout = 10 })
      if c then break end
      require("socket").sleep(0.05)
    end
    assert.truthy(c)
    assert(c:handshake())
    assert(c:send("GET / HTTP/1.0\r\n\r\n"))
    local page = c:receive("*a")
    assert.matches("</HTML>", page, 1, true)
    c:close()
    local rec = c:transcript()
    local t = assert(tls.trace.decrypt({ client = rec:wire("out"), server = rec:wire("in") }, kpath))
    assert.same({}, t.errors)
    assert.equal(c:info().suite, t.info.suite)
    local sent, got = {}, {}
    for _, e in ipairs(t.events) do
      if e.layer == "message" and e.content_type == 23 then
        table.insert(e.dir == "out" and sent or got, e.bytes)
      end
    end
    assert.equal("GET / HTTP/1.0\r\n\r\n", table.concat(sent))
    assert.equal(page, table.concat(got))
    assert.truthy(t:message("new_session_ticket"))
    assert.truthy(t:message("certificate_verify"))
    -- the alerts of the end: our close_notify at least
    local found
    for _, a in ipairs(t.alerts) do
      if a.dir == "out" and a.name == "close_notify" then found = true end
    end
    assert.is_true(found)
  end)
end)
