-- Declarative quirks (SCRIPTING.md 6.6, bindings/moontls/quirks.lua): each misbehaviour
-- in both roles where it applies, set in ctx.quirks and with conn:quirk, in memory
-- (tls.pair / tls.pump) with the alert the peer answers and the shape it leaves on the
-- wire; then every quirk in each role where it applies against openssl s_server /
-- s_client on 127.0.0.1 (bad_binder needs a session: spec/interop/resumption_spec.lua;
-- a client has no bad_signature without client certificates, hello_retry is a server's).
local tls = require "moontls"

local PKI = "spec/fixtures/pki/"

local function server_ctx(quirks, extra)
  local p = { mode = "server", certificate = PKI .. "leaf-p256.chain.pem", key = PKI .. "leaf-p256.key",
              alpn = { "h2", "http/1.1" }, quirks = quirks }
  for k, v in pairs(extra or {}) do
    if v == false then p[k] = nil else p[k] = v end
  end
  return assert(tls.context(p))
end

local function client_ctx(quirks, extra)
  local p = { mode = "client", cafile = PKI .. "ca-bundle.pem", server_name = "localhost",
              alpn = { "h2" }, quirks = quirks }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

-- A pair where `role` misbehaves: through the context (how = "ctx") or conn:quirk.
local function pair(role, name, value, how, extra)
  local q = how == "ctx" and { [name] = value } or nil
  local c, s = tls.pair(role == "client" and client_ctx(q, extra) or client_ctx(),
                        role == "server" and server_ctx(q, extra) or server_ctx())
  if how == "conn" then assert((role == "client" and c or s):quirk(name, value)) end
  return c, s
end

local H = require "support.tls_helpers"
local sent, received = H.sent, H.received

describe("quirks: options", function()
  it("lists at least 25 quirks", function()
    assert.is_true(#tls.quirks.names >= 25)
    for _, n in ipairs{ "record_version", "initial_record_version", "max_fragment", "pack_flight",
                        "empty_records", "record_padding", "oversize_records", "outer_type", "ccs",
                        "skip", "duplicate", "reorder", "wrong_type", "trailing", "bad_finished",
                        "bad_signature", "key_share", "hello_retry", "send_version",
                        "send_supported_versions", "send_cipher_suite", "send_alpn", "send_session_id",
                        "send_compression", "duplicate_extension", "app_data_early" } do
      assert.truthy(tls.quirks.check(n, nil) == false, n)
    end
  end)

  it("raises on misuse, naming the quirk", function()
    assert.has_error(function() client_ctx{ no_such = true } end, 'tls.quirks: unknown quirk "no_such"')
    assert.has_error(function() client_ctx{ max_fragment = 0 } end)
    assert.has_error(function() client_ctx{ skip = { "no_such_message" } } end)
    assert.has_error(function() client_ctx{ key_share = { invalid = "purple" } } end)
    assert.has_error(function() client_ctx{ ccs = { sideways = true } } end)
    assert.has_error(function() client_ctx{ app_data_early = "later" } end)
    assert.has_error(function() client_ctx{ pack_flight = true, max_fragment = 10 } end)
    assert.has_error(function() client_ctx{ hello_retry = true } end, "tls.context: quirks.hello_retry: a server quirk")
    local c = client_ctx():connection()
    assert.has_error(function() c:quirk("hello_retry", true) end)
    assert.has_error(function() c:quirk("record_version", "9.9") end)
  end)

  it("bad_binder is a known quirk", function()
    assert.truthy(client_ctx{ bad_binder = true })
    local c = client_ctx():connection()
    assert(c:quirk("bad_binder", true))
    assert.is_true(c:quirk("bad_binder"))
  end)

  it("normalizes names to codes; conn:quirk reads back and clears", function()
    local c = client_ctx{ record_version = "1.0", wrong_type = { finished = "certificate" } }:connection()
    assert.equal(0x0301, c:quirk("record_version"))
    assert.same({ finished = 11 }, c:quirk("wrong_type"))
    assert.equal(c, c:quirk("skip", "finished"))
    assert.same({ finished = true }, c:quirk("skip"))
    c:quirk("skip", nil)
    assert.is_nil(c:quirk("skip"))
    local q = c:quirks()
    assert.equal(0x0301, q.record_version)
  end)

  it("ctx:with keeps and overrides quirks", function()
    local ctx = client_ctx{ bad_finished = true }
    local ctx2 = assert(ctx:with{ quirks = { max_fragment = 5 } })
    assert.is_true(ctx:connection():quirk("bad_finished"))
    assert.is_nil(ctx2:connection():quirk("bad_finished"))
    assert.equal(5, ctx2:connection():quirk("max_fragment"))
  end)
end)

-- { quirk, value, role, expected }: expected is "done" (the handshake completes), an
-- alert name (the peer sends it, the quirky side receives it), "self:" and an alert
-- name (the quirky side sends it), or "timeout".
local CASES = {
  { "record_version", 0x0301, "client", "done" },
  { "record_version", 0x0301, "server", "done" },
  { "record_version", 0x0305, "client", "done" }, -- RFC 8446 5.1: MUST be ignored
  { "initial_record_version", 0x0300, "client", "done" },
  { "initial_record_version", 0x0300, "server", "done" },
  { "max_fragment", 1, "client", "done" },
  { "max_fragment", 1, "server", "done" },
  { "max_fragment", 7, "server", "done" },
  { "pack_flight", true, "client", "done" },
  { "pack_flight", true, "server", "done" },
  -- RFC 8446 5.1: zero-length handshake fragments MUST NOT be sent
  { "empty_records", 1, "client", "unexpected_message" },
  { "empty_records", 1, "server", "unexpected_message" },
  { "record_padding", 100, "client", "done" },
  { "record_padding", 100, "server", "done" },
  { "record_padding", function(rec) return #rec.payload end, "server", "done" },
  { "record_padding", 16384, "client", "record_overflow" },
  { "record_padding", 16384, "server", "record_overflow" },
  { "outer_type", 22, "client", "unexpected_message" },
  { "outer_type", "handshake", "server", "unexpected_message" },
  { "ccs", { extra = 2 }, "client", "done" },
  { "ccs", { extra = 1 }, "server", "done" },
  { "ccs", { early = true }, "client", "unexpected_message" }, -- before any ClientHello
  { "ccs", { early = true }, "server", "done" }, -- after the client's ClientHello: dropped
  { "ccs", { skip = true }, "client", "done" },
  { "ccs", { skip = true }, "server", "done" },
  { "ccs", { split_across = true }, "server", "unexpected_message" },
  { "ccs", { after_finished = true }, "client", "unexpected_message" },
  { "ccs", { after_finished = true }, "server", "unexpected_message" },
  { "skip", { "encrypted_extensions" }, "server", "unexpected_message" },
  { "skip", "certificate_verify", "server", "unexpected_message" },
  { "skip", "finished", "client", "timeout" },
  { "duplicate", { "finished" }, "client", "unexpected_message" },
  { "duplicate", { "finished" }, "server", "unexpected_message" },
  { "duplicate", "client_hello", "client", "unexpected_message" },
  { "duplicate", "encrypted_extensions", "server", "unexpected_message" },
  { "reorder", { "certificate", "certificate_verify" }, "server", "unexpected_message" },
  { "wrong_type", { client_hello = 2 }, "client", "unexpected_message" },
  { "wrong_type", { server_hello = 1 }, "server", "unexpected_message" },
  { "wrong_type", { finished = "certificate_verify" }, "client", "unexpected_message" },
  { "wrong_type", { finished = 15 }, "server", "unexpected_message" },
  { "trailing", { client_hello = "\0" }, "client", "decode_error" },
  { "trailing", { server_hello = "\0\0" }, "server", "decode_error" },
  { "trailing", { finished = "\0" }, "client", "decode_error" },
  { "trailing", { finished = "\0" }, "server", "decode_error" },
  { "bad_finished", true, "client", "decrypt_error" },
  { "bad_finished", true, "server", "decrypt_error" },
  { "bad_signature", true, "server", "decrypt_error" },
  { "key_share", { invalid = "zero" }, "client", "illegal_parameter" },
  { "key_share", { invalid = "zero" }, "server", "illegal_parameter" },
  { "key_share", { invalid = "low_order" }, "client", "illegal_parameter" },
  { "key_share", { invalid = "low_order" }, "server", "illegal_parameter" },
  { "key_share", { invalid = "truncate" }, "client", "illegal_parameter" },
  { "key_share", { invalid = "truncate" }, "server", "illegal_parameter" },
  { "key_share", { invalid = "pad" }, "client", "illegal_parameter" },
  { "key_share", { invalid = "pad" }, "server", "illegal_parameter" },
  -- RFC 8446 4.2.1: with supported_versions the client ignores ServerHello.legacy_version
  { "send_version", 0x0304, "server", "done" },
  { "send_version", 0x0301, "client", "done" }, -- the server reads supported_versions
  { "send_supported_versions", 0x0303, "client", "protocol_version" },
  { "send_supported_versions", 0x0303, "server", "illegal_parameter" },
  { "send_cipher_suite", 0x1305, "client", "handshake_failure" }, -- the server has no CCM
  { "send_cipher_suite", 0x1305, "server", "illegal_parameter" }, -- not offered
  -- offered, so the client follows the lie while the server keeps AES-128: keys differ,
  -- and each side fails to open the other's (protected) records and alerts
  { "send_cipher_suite", "TLS_AES_256_GCM_SHA384", "server", "both:bad_record_mac" },
  { "send_alpn", "h3", "client", "no_application_protocol" },
  { "send_alpn", "h3", "server", "illegal_parameter" },
  { "send_session_id", ("\7"):rep(32), "server", "illegal_parameter" }, -- not the echo
  -- the server echoes the lie; the client checks the echo against the id it meant
  { "send_session_id", "", "client", "self:illegal_parameter" },
  { "send_compression", 1, "client", "illegal_parameter" }, -- RFC 8446 4.1.2: only null
  { "send_compression", 1, "server", "illegal_parameter" },
  { "duplicate_extension", { client_hello = "supported_groups" }, "client", "illegal_parameter" },
  { "duplicate_extension", { encrypted_extensions = "alpn" }, "server", "illegal_parameter" },
  { "app_data_early", "before_handshake", "client", "unexpected_message" },
  { "app_data_early", "before_handshake", "server", "unexpected_message" },
  { "app_data_early", "after_ccs", "client", "unexpected_message" },
  { "app_data_early", "after_ccs", "server", "unexpected_message" },
}

-- bad_binder needs a PSK to offer: a session from a first handshake with the same server.
-- With a seeded client rng the hello is the same with and without the quirk, so the
-- binder sent is the honest one with its last bit flipped.
describe("quirks in memory: bad_binder", function()
  local function binder_sent(cctx, sctx, how)
    local c, s = tls.pair(cctx, sctx)
    if how == "conn" then assert(c:quirk("bad_binder", true)) end
    local sent_binder
    c:on("message_out", function(_, msg)
      if msg.type == "client_hello" then sent_binder = tls.ext.find(msg, "pre_shared_key").binders[1] end
    end)
    tls.pump(c, s)
    return sent_binder, c, s
  end
  for _, how in ipairs{ "ctx", "conn" } do
    it(("client bad_binder (%s): the server answers decrypt_error"):format(how), function()
      local sctx = server_ctx()
      local c0, s0 = tls.pair(client_ctx(), sctx)
      assert(tls.pump(c0, s0))
      local sess = assert(c0:session())
      local extra = { session = sess, rng = tls.rng.seeded("bad_binder") }
      local honest, hc, hs = binder_sent(client_ctx(nil, extra), sctx)
      assert.is_true(hs:info().resumed and hc:info().resumed)
      local q = how == "ctx" and { bad_binder = true } or nil
      local bad_b, c, s = binder_sent(client_ctx(q, extra), sctx, how)
      sent(s, "decrypt_error")
      received(c, "decrypt_error")
      assert.equal(32, #honest)
      assert.equal(honest:sub(1, -2) .. string.char(honest:byte(-1) ~ 1), bad_b)
    end)
  end
end)

-- On a server, bad_binder corrupts the binder it expects: every PSK is refused. The
-- session comes from an honest server with the same ticket key.
describe("quirks in memory: bad_binder on a server", function()
  local TICKET_KEY = ("\5"):rep(32)
  for _, how in ipairs{ "ctx", "conn" } do
    it(("server bad_binder (%s): it refuses an honest binder with decrypt_error"):format(how), function()
      local honest = server_ctx(nil, { ticket_key = TICKET_KEY })
      local c0, s0 = tls.pair(client_ctx(), honest)
      assert(tls.pump(c0, s0))
      local sess = assert(c0:session())
      -- control: the honest server resumes it
      c0, s0 = tls.pair(client_ctx(nil, { session = sess }), honest)
      assert(tls.pump(c0, s0))
      assert.is_true(s0:info().resumed)
      local q = how == "ctx" and { bad_binder = true } or nil
      local sctx = server_ctx(q, { ticket_key = TICKET_KEY })
      local sent_binder
      local c, s = tls.pair(client_ctx(nil, { session = sess }), sctx)
      if how == "conn" then assert(s:quirk("bad_binder", true)) end
      c:on("psk_binder", function(_, _, computed) sent_binder = computed end)
      tls.pump(c, s)
      sent(s, "decrypt_error")
      received(c, "decrypt_error")
      assert.equal(32, #sent_binder) -- sent, honest (the client has no quirk), refused
      -- a full handshake offers no PSK: the quirk changes nothing there
      c, s = tls.pair(client_ctx(), sctx)
      if how == "conn" then assert(s:quirk("bad_binder", true)) end
      assert(tls.pump(c, s))
      assert.is_false(s:info().resumed)
    end)
  end
end)

local function label(v)
  if type(v) == "table" then
    local t = {}
    for k, x in pairs(v) do
      t[#t + 1] = (math.type(k) == "integer" and "" or tostring(k) .. "=") .. tostring(x):gsub("%z", "\\0")
    end
    table.sort(t)
    return "{" .. table.concat(t, ",") .. "}"
  end
  if type(v) == "function" then return "fn" end
  return tostring(v)
end

for _, how in ipairs{ "ctx", "conn" } do
  describe(("quirks in memory (%s):"):format(how == "ctx" and "ctx.quirks" or "conn:quirk"), function()
    for _, case in ipairs(CASES) do
      local name, value, role, want = table.unpack(case)
      it(("%s = %s on the %s: %s"):format(name, label(value), role, want), function()
        local c, s = pair(role, name, value, how)
        local ok, err, ename = tls.pump(c, s)
        local quirky, peer = c, s
        if role == "server" then quirky, peer = s, c end
        if want == "done" then
          assert.is_true(ok, err)
          assert.equal("done", ok and "done")
          -- and application data still flows both ways
          assert.equal(5, c:send("ping\n"))
          assert.equal("ping", s:receive("*l"))
        elseif want == "timeout" then
          assert.is_nil(ok)
          assert.equal("TIMEOUT", ename, err)
          assert.is_nil(peer:error())
        elseif want:match("^both:") then -- keys differ: each side detects it itself
          assert.is_nil(ok)
          sent(quirky, want:sub(6))
          sent(peer, want:sub(6))
        elseif want:match("^self:") then -- the quirky side catches its own lie
          assert.is_nil(ok)
          sent(quirky, want:sub(6))
          received(peer, want:sub(6))
        else
          assert.is_nil(ok)
          sent(peer, want)
          received(quirky, want)
        end
      end)
    end
  end)
end

describe("quirks in memory: hello_retry (server context)", function()
  it("forces HRR to secp384r1 with a cookie, then completes", function()
    local seen = {}
    local c, s = tls.pair(client_ctx(nil, { hooks = { message_in = function(_, m)
      if m.type == "hello_retry_request" then
        for _, e in ipairs(m.extensions) do seen[e.type] = e end
      end
    end } }), server_ctx{ hello_retry = { group = "secp384r1", cookie = true } })
    assert.is_true(tls.pump(c, s))
    assert.is_true(c:info().hrr)
    assert.equal("secp384r1", s:info().group)
    assert.equal("secp384r1", seen.key_share.selected_group)
    assert.truthy(seen.cookie)
  end)

  it("hello_retry = {group = x25519} forces HRR although the client's share would do", function()
    local c, s = tls.pair(client_ctx(nil, { groups = { "x25519", "secp256r1" }, key_shares = { "secp256r1" } }),
                          server_ctx{ hello_retry = { group = "x25519" } })
    assert.is_true(tls.pump(c, s))
    assert.is_true(c:info().hrr)
    assert.equal("x25519", c:info().group)
  end)

  it("hello_retry = true for the group the client already shared: illegal_parameter (RFC 8446 4.1.4)", function()
    local c, s = tls.pair(client_ctx(), server_ctx{ hello_retry = true })
    assert.is_nil((tls.pump(c, s)))
    sent(c, "illegal_parameter")
    received(s, "illegal_parameter")
  end)

  it("twice = true: a second HRR, which the client refuses", function()
    local c, s = tls.pair(client_ctx(), server_ctx{ hello_retry = { twice = true } })
    assert.is_nil((tls.pump(c, s)))
    -- The second HRR names the group the second ClientHello already carries: the client
    -- objects to that first (illegal_parameter, as OpenSSL does below). RFC 8446 4.1.4's
    -- unexpected_message for a second HRR as such needs a different group in it.
    sent(c, "illegal_parameter")
    received(s, "illegal_parameter")
  end)
end)

describe("quirks in memory: what reaches the wire", function()
  -- Records as the peer sees them: {type=, version=, len=, padding=, epoch=}.
  local function peer_records(peer)
    local recs = {}
    peer:on("record_in", function(_, rec)
      recs[#recs + 1] = { type = rec.type, version = rec.version, len = #rec.payload,
                          padding = rec.padding, epoch = rec.epoch }
    end)
    return recs
  end

  it("record_version / initial_record_version set the headers", function()
    local c, s = pair("client", "record_version", 0x0301, "conn")
    c:quirk("initial_record_version", 0x0300)
    local recs = peer_records(s)
    assert.is_true(tls.pump(c, s))
    assert.equal(0x0300, recs[1].version)
    for i = 2, #recs do assert.equal(0x0301, recs[i].version) end
  end)

  it("max_fragment = 1: one-byte plaintext handshake records", function()
    local c, s = pair("client", "max_fragment", 1, "conn")
    local recs = peer_records(s)
    assert.is_true(tls.pump(c, s))
    local plain = 0
    for _, r in ipairs(recs) do
      if r.type == "handshake" and r.epoch == "initial" then
        assert.equal(1, r.len)
        plain = plain + 1
      end
    end
    assert.is_true(plain > 100) -- the whole ClientHello, byte by byte
  end)

  -- Protected records are cut by the engine itself (mt_conn_set_max_fragment).
  it("max_fragment = 1 on the server: one-byte protected handshake records", function()
    local c, s = pair("server", "max_fragment", 1, "ctx")
    local recs = peer_records(c)
    assert.is_true(tls.pump(c, s))
    local protected = 0
    for _, r in ipairs(recs) do
      if r.type == "handshake" then
        assert.equal(1, r.len)
        if r.epoch ~= "initial" then protected = protected + 1 end
      end
    end
    assert.is_true(protected > 1000) -- the whole encrypted flight, byte by byte
  end)

  it("max_fragment = 100 on the server: no handshake record over 100 bytes", function()
    local c, s = pair("server", "max_fragment", 100, "ctx")
    local recs = peer_records(c)
    assert.is_true(tls.pump(c, s))
    local n = 0
    for _, r in ipairs(recs) do
      if r.type == "handshake" then
        assert.is_true(r.len <= 100, r.len)
        n = n + 1
      end
    end
    assert.is_true(n > 10)
  end)

  it("pack_flight: the server's whole flight in one write", function()
    local c, s = pair("server", "pack_flight", true, "ctx")
    local writes = 0
    c:on("wire_in", function() writes = writes + 1 end)
    assert.is_true(tls.pump(c, s))
    -- SH + CCS + EE..Finished arrive in one write; then, after the client's Finished,
    -- the two NewSessionTickets in another
    assert.equal(2, writes)
  end)

  it("record_padding pads protected records only", function()
    local c, s = pair("client", "record_padding", 33, "ctx")
    local recs = peer_records(s)
    assert.is_true(tls.pump(c, s))
    for _, r in ipairs(recs) do
      if r.epoch == "initial" then assert.equal(0, r.padding) else assert.equal(33, r.padding) end
    end
  end)

  it("oversize_records: 20000 bytes of application data in one record: record_overflow", function()
    local c, s = pair("client", "oversize_records", true, "ctx")
    assert.is_true(tls.pump(c, s))
    c:send(("x"):rep(20000))
    local data, err = s:receive(20000)
    assert.is_nil(data)
    assert.matches("record_overflow", err)
    sent(s, "record_overflow")
  end)

  it("empty_records = 2 puts two empty records before each plaintext handshake record", function()
    local c, s = pair("client", "empty_records", 2, "ctx")
    local wire = ""
    s:on("wire_in", function(_, b) wire = wire .. b end)
    tls.pump(c, s)
    local lens = {}
    local pos = 1
    for _ = 1, 3 do
      local t, _, len = string.unpack(">BI2I2", wire, pos)
      lens[#lens + 1] = t .. ":" .. len
      pos = pos + 5 + len
    end
    assert.equal("22:0", lens[1])
    assert.equal("22:0", lens[2])
    assert.matches("^22:%d+$", lens[3])
    sent(s, "unexpected_message")
  end)

  it("key_share invalid = zero sends 32 zero bytes for x25519", function()
    local c, s = pair("client", "key_share", { invalid = "zero" }, "ctx")
    local share
    s:on("message_in", function(_, m)
      if m.type == "client_hello" then share = tls.ext.find(m, "key_share").client_shares[1] end
    end)
    tls.pump(c, s)
    assert.equal("x25519", share.group)
    assert.equal(("\0"):rep(32), share.key_exchange)
  end)

  it("key_share invalid = off_curve on secp256r1: illegal_parameter", function()
    local c, s = tls.pair(client_ctx({ key_share = { invalid = "off_curve" } }, { groups = { "secp256r1" } }),
                          server_ctx())
    assert.is_nil((tls.pump(c, s)))
    sent(s, "illegal_parameter")
  end)

  it("key_share invalid = off_curve on x25519 is refused as a script error", function()
    local c, s = pair("client", "key_share", { invalid = "off_curve" }, "ctx")
    local _, err, name = tls.pump(c, s)
    assert.equal("HOOK", name)
    assert.matches("accepts every u", err)
  end)

  it("send_cipher_suite lies on the wire only: the engine keeps its choice", function()
    local c, s = pair("server", "send_cipher_suite", "TLS_AES_256_GCM_SHA384", "conn")
    local got
    c:on("message_in", function(_, m) if m.type == "server_hello" then got = m.cipher_suite end end)
    tls.pump(c, s)
    assert.equal("TLS_AES_256_GCM_SHA384", got)
    assert.equal("TLS_AES_128_GCM_SHA256", s:info().suite)
  end)

  -- app_data_early = "after_ccs": one application data record injected right after the
  -- CCS, under the handshake keys, ahead of the first handshake message those keys
  -- protect, which goes out unchanged (no record is re-typed).
  for _, case in ipairs{ { "client", "finished" }, { "server", "encrypted_extensions" } } do
    local role, first = table.unpack(case)
    it(("app_data_early = after_ccs on the %s: CCS, application data, then %s"):format(role, first), function()
      local c, s = pair(role, "app_data_early", "after_ccs", "ctx")
      local quirky, peer = c, s
      if role == "server" then quirky, peer = s, c end
      local recs = peer_records(peer)
      local sent_msgs = {}
      quirky:on("message_out", function(_, m) sent_msgs[#sent_msgs + 1] = m.type end)
      local got = {}
      peer:on("message_in", function(_, m) got[#got + 1] = m.type end)
      assert.is_nil((tls.pump(c, s)))
      sent(peer, "unexpected_message")
      received(quirky, "unexpected_message")
      local ccs
      for i, r in ipairs(recs) do
        if r.type == "change_cipher_spec" then ccs = i end
      end
      assert.is_number(ccs)
      local ad = recs[ccs + 1]
      assert.equal("application_data", ad.type)
      assert.equal("handshake", ad.epoch)
      assert.equal(#"early application data", ad.len)
      -- the peer refused it: nothing after it was read, and the message it preceded was
      -- built and hooked as usual (message_out saw it once, unchanged by the quirk)
      assert.is_nil(recs[ccs + 2])
      local n = 0
      for _, t in ipairs(sent_msgs) do if t == first then n = n + 1 end end
      assert.equal(1, n)
      for _, t in ipairs(got) do assert.not_equal(first, t) end
    end)
  end

  it("quirks run after the context's own hooks, which still see every message", function()
    local types = {}
    local c, s = tls.pair(client_ctx({ duplicate = "finished" },
      { hooks = { message_out = function(_, m) types[#types + 1] = m.type end } }), server_ctx())
    tls.pump(c, s)
    assert.same({ "client_hello", "change_cipher_spec", "finished" }, types)
    sent(s, "unexpected_message")
  end)
end)

-- ---------------------------------------------------------------------------------
-- Against OpenSSL on 127.0.0.1
-- ---------------------------------------------------------------------------------

local HAVE_OPENSSL = os.execute("command -v openssl >/dev/null 2>&1") == true

describe("quirks against openssl", function()
  if not HAVE_OPENSSL then
    it("needs openssl", function() pending("openssl not installed") end)
    return
  end
  local H = require "interop.helpers"
  local socket = require "socket"
  after_each(H.kill_all)
  teardown(H.cleanup)

  -- moontls client with quirks -> s_server -www. The answer: "done" (an HTTP reply),
  -- or the alert s_server sends (during the handshake, or on the request once our
  -- Finished is refused).
  local function vs_s_server(quirks, extra, body)
    local _, port = H.openssl_server("leaf-p256", "-www")
    local p = { mode = "client", cafile = H.CA, server_name = "localhost", quirks = quirks }
    for k, v in pairs(extra or {}) do p[k] = v end
    local ctx = assert(tls.context(p))
    local c, err = tls.connect("127.0.0.1", port, ctx, { timeout = 10, handshake = true })
    if not c then return err end
    body = body or "GET / HTTP/1.0\r\n\r\n"
    local n, serr = c:send(body)
    local line, rerr = nil, serr
    if n then line, rerr = c:receive("*l") end
    c:close()
    if line then return "done: " .. line end
    return rerr
  end

  -- s_client -> moontls server with quirks. Returns ok, err, the s_client output, and
  -- what after(conn) returns when it is given (run once the handshake is done).
  local function vs_s_client(quirks, args, after)
    local l = assert(socket.bind("127.0.0.1", 0))
    local _, port = l:getsockname()
    l:settimeout(10)
    local log = os.tmpname()
    local pid = H.spawn(("openssl s_client -tls1_3 -connect 127.0.0.1:%d -CAfile %s -servername localhost -brief %s")
      :format(port, H.CA, args or ""), log, 20)
    local sock = l:accept()
    l:close()
    assert(sock, "s_client did not connect")
    local conn = server_ctx(quirks, { alpn = false }):wrap(sock)
    conn:settimeout(10)
    local ok, err = conn:handshake()
    local res
    if ok and after then res = { after(conn) } end
    H.wait_exit(pid, 10)
    conn:close()
    local out = H.read(log)
    os.remove(log)
    return ok, err, out, res
  end

  local CLIENT = {
    { "max_fragment", 1, "done" },
    { "record_padding", 100, "done" },
    { "ccs", { extra = 1 }, "done" },
    { "ccs", { skip = true }, "done" },
    { "empty_records", 1, "unexpected_message" },
    { "wrong_type", { client_hello = 2 }, "unexpected_message" },
    { "outer_type", 22, "unexpected_message" },
    { "duplicate", { "finished" }, "unexpected_message" },
    { "app_data_early", "before_handshake", "unexpected_message" },
    { "app_data_early", "after_ccs", "unexpected_message" },
    { "key_share", { invalid = "zero" }, "illegal_parameter" },
    { "bad_finished", true, "decrypt_error" },
    { "trailing", { finished = "\0" }, "decode_error" },
    { "send_supported_versions", 0x0303, "protocol_version" },
    -- OpenSSL insists on 0x0303 in protected records (RFC 8446 5.1 says ignore it)
    { "record_version", 0x0301, "decode_error" },
    { "initial_record_version", 0x0300, "done" },
    { "pack_flight", true, "done" },
    { "skip", "finished", "bad_record_mac" },
    { "reorder", { "change_cipher_spec", "finished" }, "unexpected_message" },
    { "send_version", 0x0301, "done" },
    { "send_cipher_suite", 0x1305, "handshake_failure" },
    { "send_alpn", "h3", "done" },
    { "send_session_id", "", "self:illegal_parameter" },
    -- RFC 8446 4.1.2 asks illegal_parameter for anything but {0}; OpenSSL 3.0 says so
    -- when null is among the methods, and decode_error ("no compression specified")
    -- when it is missing
    { "send_compression", { 0, 1 }, "illegal_parameter" },
    { "send_compression", 1, "decode_error" },
    { "duplicate_extension", { client_hello = "supported_groups" }, "illegal_parameter" },
    { "trailing", { client_hello = "\0" }, "decode_error" },
  }
  for _, case in ipairs(CLIENT) do
    local name, value, want = table.unpack(case)
    it(("moontls client %s = %s -> s_server: %s"):format(name, label(value), want), function()
      local got = vs_s_server({ [name] = value })
      if want == "done" then
        assert.matches("^done: HTTP/1.0 200 ok", got)
      elseif want:match("^self:") then
        assert.matches("alert sent: fatal " .. want:sub(6), got)
      else
        assert.matches("alert received: fatal " .. want, got)
      end
    end)
  end

  it("moontls client oversize_records -> s_server: record_overflow", function()
    local got = vs_s_server({ oversize_records = true }, nil, ("x"):rep(20000))
    assert.matches("alert received: fatal record_overflow", got)
  end)

  -- s_client prints the alert it sends as the reason; moontls receives the alert.
  local SERVER = {
    { "max_fragment", 1, "done" },
    { "record_padding", 200, "done" },
    { "empty_records", 1, "unexpected_message" },
    { "wrong_type", { server_hello = 1 }, "unexpected_message" },
    { "skip", "encrypted_extensions", "unexpected_message" },
    { "ccs", { split_across = true }, "unexpected_message" },
    -- OpenSSL takes a CCS only after ServerHello (stricter than RFC 8446 5, and than us)
    { "ccs", { early = true }, "unexpected_message" },
    { "app_data_early", "after_ccs", "unexpected_message" },
    { "key_share", { invalid = "zero" }, "illegal_parameter" },
    { "bad_signature", true, "decrypt_error" },
    { "bad_finished", true, "decrypt_error" },
    { "send_cipher_suite", "TLS_AES_256_GCM_SHA384", "bad_record_mac" },
    -- s_client offers no ALPN: an answer to nothing
    { "send_alpn", "h2", "unsupported_extension" },
    { "hello_retry", { twice = true }, "illegal_parameter" },
    -- as on the client side: OpenSSL wants 0x0303 in protected records ("wrong version
    -- number"), where RFC 8446 5.1 says the field MUST be ignored
    { "record_version", 0x0301, "decode_error" },
    { "initial_record_version", 0x0300, "done" },
    { "pack_flight", true, "done" },
    { "outer_type", "handshake", "unexpected_message" },
    { "duplicate", "encrypted_extensions", "unexpected_message" },
    { "reorder", { "certificate", "certificate_verify" }, "unexpected_message" },
    { "trailing", { server_hello = "\0\0" }, "decode_error" },
    -- RFC 8446 4.2.1: with supported_versions "clients MUST ignore the
    -- ServerHello.legacy_version value", and OpenSSL does
    { "send_version", 0x0304, "done" },
    { "send_supported_versions", 0x0303, "illegal_parameter" },
    { "send_session_id", ("\7"):rep(32), "illegal_parameter" },
    { "send_compression", 1, "illegal_parameter" },
    { "duplicate_extension", { server_hello = "supported_versions" }, "illegal_parameter" },
    { "app_data_early", "before_handshake", "unexpected_message" },
    { "ccs", { extra = 1 }, "done" },
    { "ccs", { skip = true }, "done" },
  }
  for _, case in ipairs(SERVER) do
    local name, value, want = table.unpack(case)
    it(("s_client -> moontls server %s = %s: %s"):format(name, label(value), want), function()
      local ok, err, out = vs_s_client({ [name] = value })
      if want == "done" then
        assert.is_true(ok, err)
        assert.matches("CONNECTION ESTABLISHED", out)
      else
        assert.is_nil(ok)
        assert.matches("alert received: fatal " .. want, err)
      end
    end)
  end

  it("s_client -> moontls server oversize_records: record_overflow", function()
    -- s_client keeps reading (-ign_eof) until our 20000-byte record arrives
    local ok, err, out, res = vs_s_client({ oversize_records = true }, "-ign_eof", function(conn)
      assert(conn:send(("x"):rep(20000)))
      return conn:receive("*l")
    end)
    assert.is_true(ok, err)
    assert.is_nil(res[1])
    assert.matches("alert received: fatal record_overflow", res[2])
    assert.matches("CONNECTION ESTABLISHED", out)
  end)

  -- RFC 8446 5: a CCS is dropped only "before the peer's Finished message has been
  -- received". s_client refuses the CCS behind our Finished either way, but when depends
  -- on how it reads the segment: before it sends its own Finished (our handshake fails
  -- with its unexpected_message), or after (ours completes; s_client reports "bad record
  -- type" and drops the connection).
  it("s_client -> moontls server ccs = {after_finished=true}: s_client refuses the late CCS", function()
    local ok, err, out = vs_s_client({ ccs = { after_finished = true } })
    if ok then
      assert.matches("CONNECTION ESTABLISHED", out)
      assert.matches("bad record type", out)
    else
      assert.matches("alert received: fatal unexpected_message", err)
    end
  end)

  it("s_client -> moontls server hello_retry = {group = secp384r1, cookie = true}: completes on P-384", function()
    local ok, err, out = vs_s_client({ hello_retry = { group = "secp384r1", cookie = true } })
    assert.is_true(ok, err)
    assert.matches("Server Temp Key: ECDH, secp384r1", out)
  end)
end)
