-- Injection before the next queued item (mt_conn_inject_at, MT_INJECT_NEXT) from Lua:
-- ev.inject in message_out / record_out / wire_out hooks, and the position option of
-- conn:send_record / conn:send_message in manual driving. In memory, with where the
-- record landed on the peer's side and how the peer answered.
local tls = require "moontls"

local T = require "support.tls_helpers"
local server, client = T.server, T.client

-- The records the peer reads: "type/epoch/payload" for application data, "type/epoch"
-- otherwise.
local function peer_records(peer)
  local recs = {}
  peer:on("record_in", function(_, rec)
    local r = rec.type .. "/" .. rec.epoch
    if rec.type == "application_data" then r = r .. "/" .. rec.payload end
    recs[#recs + 1] = r
  end)
  return recs
end

local function index_of(list, v)
  for i, x in ipairs(list) do if x == v then return i end end
end

-- A handshake of a client of `cctx` with our server that must fail; returns the record
-- the server read right after the client's change_cipher_spec, then c and s.
local function after_ccs(cctx)
  local c, s = tls.pair(cctx, server())
  local recs = peer_records(s)
  assert.is_nil((tls.pump(c, s)))
  return recs[index_of(recs, "change_cipher_spec/initial") + 1], c, s
end

describe("ev.inject", function()
  it("from message_out, position next: ahead of the message the hook sees", function()
    local cctx = client{ hooks = { message_out = function(_, msg, ev)
      if msg.type == "finished" then
        assert.is_true(ev.inject("application_data", "one"))
        assert.is_true(ev.inject(23, "two", { position = "next" }))
      end
    end } }
    local rec, c, s = after_ccs(cctx)
    assert.equal("application_data/handshake/one", rec)
    -- RFC 8446 5: application data before the client's Finished
    assert.matches("^alert sent: fatal unexpected_message", s:error())
    assert.matches("^alert received: fatal unexpected_message", c:error())
  end)

  it("from message_out, position last: after everything queued (the key change too)", function()
    local cctx = client{ hooks = { message_out = function(_, msg, ev)
      if msg.type == "finished" then assert.is_true(ev.inject("application_data", "late", { position = "last" })) end
    end } }
    local c, s = tls.pair(cctx, server())
    assert.is_true(tls.pump(c, s))
    -- after the Finished and under the application keys: plain application data
    assert.equal("late", s:read())
  end)

  it("from record_out: right after the record being written", function()
    local cctx = client{ hooks = { record_out = function(_, rec, ev)
      if rec.type == "change_cipher_spec" then assert.is_true(ev.inject("application_data", "x")) end
    end } }
    local rec, _, s = after_ccs(cctx)
    assert.equal("application_data/handshake/x", rec)
    assert.matches("^alert sent: fatal unexpected_message", s:error())
  end)

  it("a handshake message injected next enters the transcript in wire order", function()
    -- an empty extra EncryptedExtensions ahead of ours: the client refuses the second one
    local injected = false -- the injected message goes through message_out too
    local sctx = server{ hooks = { message_out = function(_, msg, ev)
      if msg.type == "encrypted_extensions" and not injected then
        injected = true
        assert.is_true(ev.inject("handshake", "\8\0\0\2\0\0"))
      end
    end } }
    local got = {}
    local cctx = client{ hooks = { message_in = function(_, m) got[#got + 1] = m.type end } }
    local c, s = tls.pair(cctx, sctx)
    assert.is_nil((tls.pump(c, s)))
    assert.same({ "server_hello", "encrypted_extensions", "encrypted_extensions" }, got)
    assert.matches("^alert sent: fatal unexpected_message", c:error())
  end)

  it("raises on misuse", function()
    local errs = {}
    local cctx = client{ hooks = { message_out = function(_, msg, ev)
      if msg.type ~= "client_hello" then return end
      for _, f in ipairs{
        function() ev.inject("nonsense", "x") end,
        function() ev.inject(23, 5) end,
        function() ev.inject(23, "x", { position = "first" }) end,
        function() ev.inject(23, "x", { where = "next" }) end,
      } do
        local ok, err = pcall(f)
        errs[#errs + 1] = not ok and err or "no error"
      end
    end } }
    local c, s = tls.pair(cctx, server())
    tls.pump(c, s)
    assert.equal(4, #errs)
    assert.matches("unknown content type", errs[1])
    assert.matches("bytes expected", errs[2])
    assert.matches("position", errs[3])
    assert.matches("unknown option", errs[4])
  end)
end)

describe("manual driving: position = next", function()
  it("send_record ahead of the held Finished", function()
    local c, s = tls.pair(client(), server())
    local recs = peer_records(s)
    assert.is_true(c:drive{ ["until"] = "finished" })
    assert.truthy(c:expect("finished")) -- the server's
    local fin = assert(c:build("finished")) -- ours, held by the engine
    assert.is_true(c:send_record("application_data", "ahead", { position = "next" }))
    assert.is_true(c:send_message(fin))
    local a = assert(c:expect_alert("unexpected_message"))
    assert.equal("fatal", a.level)
    assert.equal("application_data/handshake/ahead", recs[index_of(recs, "change_cipher_spec/initial") + 1])
  end)

  it("send_record without position goes after the held message (the default)", function()
    local c, s = tls.pair(client(), server())
    assert.is_true(c:drive{ ["until"] = "finished" })
    assert.truthy(c:expect("finished"))
    local fin = assert(c:build("finished"))
    assert.is_true(c:send_record("application_data", "after"))
    assert.is_true(c:send_message(fin))
    assert.is_true(c:handshake())
    assert.equal("after", s:receive(5))
  end)
end)
