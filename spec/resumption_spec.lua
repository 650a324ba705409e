-- TLS 1.3 resumption (RFC 8446 2.2, 4.2.9, 4.2.11, 4.6.1) in memory: tickets, sessions as
-- bytes, resumed handshakes, fallback to a full handshake, the ticket key, and the peer
-- faults with the alert on both sides.
local tls = require "moontls"

local PKI = "spec/fixtures/pki/"
local NOW = 1735689600

local function server_ctx(extra)
  local p = { mode = "server", certificate = PKI .. "leaf-p256.chain.pem", key = PKI .. "leaf-p256.key",
              clock = function() return NOW end }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

local function client_ctx(extra)
  local p = { mode = "client", cafile = PKI .. "ca-bundle.pem", server_name = "localhost",
              clock = function() return NOW end }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

-- A full handshake; returns the client's newest session.
local function first(cctx, sctx)
  local c, s = tls.pair(cctx or client_ctx(), sctx)
  assert(tls.pump(c, s))
  assert.is_false(c:info().resumed)
  return assert(c:session())
end

local function types_in(conn)
  local seen = {}
  conn:on("message_in", function(_, msg) seen[#seen + 1] = msg.type end)
  return seen
end

local H = require "support.tls_helpers"
local sent, received = H.sent, H.received

describe("resumption", function()
  it("a ticket becomes a session that resumes without a certificate", function()
    local sctx = server_ctx()
    local sess = first(nil, sctx)
    assert.equal("TLS_AES_128_GCM_SHA256", sess.suite)
    assert.equal("localhost", sess.server_name)
    assert.equal(7200, sess.lifetime)
    local c, s = tls.pair(client_ctx{ session = sess }, sctx)
    local seen = types_in(c)
    assert(tls.pump(c, s))
    assert.is_true(c:info().resumed)
    assert.is_true(s:info().resumed)
    assert.equal("x25519", c:info().group) -- psk_dhe_ke
    assert.same({ "server_hello", "encrypted_extensions", "finished", "new_session_ticket",
                  "new_session_ticket" }, seen)
    -- application data under the resumed keys
    assert(c:write("ping"))
    assert(tls.pump(c, s))
    assert.equal("ping", s:read())
  end)

  it("sessions export to bytes and read back; garbage is refused", function()
    local sctx = server_ctx()
    local sess = first(nil, sctx)
    local bytes = sess:export()
    assert.is_string(bytes)
    local back = assert(tls.session(bytes))
    assert.equal(bytes, back:export())
    local c, s = tls.pair(client_ctx(), sctx)
    assert(c:set_session(bytes))
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    local none, err, name = tls.session("not a session")
    assert.is_nil(none)
    assert.equal("DECODE_ERROR", name)
    assert.matches("not a moontls session", err)
    assert.is_nil((tls.session(bytes:sub(1, -2))))
    assert.has_error(function() tls.session(42) end)
    assert.has_error(function() client_ctx{ session = 42 } end)
    assert.has_error(function() server_ctx{ session = bytes } end)
  end)

  it("session bytes: every truncation and bit flip is refused or imports consistently", function()
    -- tls.session and the engine read the same bytes the same way: what one refuses the
    -- other refuses, and what is taken resumes or falls back, never crashes.
    local sctx = server_ctx()
    local bytes = first(nil, sctx):export()
    local cctx = client_ctx()
    local function consistent(b)
      local sess, err, name = tls.session(b)
      local ok = cctx:connection():set_session(b)
      if sess then
        assert.truthy(ok)
      else
        assert.is_string(err)
        assert.equal("DECODE_ERROR", name)
        assert.is_nil(ok)
      end
      return sess
    end
    for n = 1, #bytes - 1 do assert.is_nil(consistent(bytes:sub(1, n))) end
    local taken = {}
    for i = 1, #bytes do
      for bit = 0, 7 do
        local b = bytes:sub(1, i - 1) .. string.char(bytes:byte(i) ~ (1 << bit)) .. bytes:sub(i + 1)
        if consistent(b) and i <= 30 then taken[#taken + 1] = b end
      end
    end
    -- suite (bytes 5-6): another hash or no TLS 1.3 suite at all is refused
    local function with_suite(v) return bytes:sub(1, 4) .. string.pack(">I2", v) .. bytes:sub(7) end
    local other_hash = tls.session(bytes).suite:match("SHA384$") and 0x1301 or 0x1302
    assert.is_nil((tls.session(with_suite(other_hash)))) -- the PSK's length is the hash's
    assert.is_nil((tls.session(with_suite(0xc02f))))
    -- lifetime (bytes 15-18): RFC 8446 4.6.1, at most seven days, and not zero
    local function with_lifetime(v) return bytes:sub(1, 14) .. string.pack(">I4", v) .. bytes:sub(19) end
    assert.truthy(tls.session(with_lifetime(604800)))
    assert.is_nil((tls.session(with_lifetime(604801))))
    assert.is_nil((tls.session(with_lifetime(0))))
    -- the header fields that still read: each handshake resumes or falls back, or fails cleanly
    for _, b in ipairs(taken) do
      local c, s = tls.pair(client_ctx{ session = b }, sctx)
      local ok = tls.pump(c, s)
      assert.is_true(ok == true or (c:error() ~= nil or s:error() ~= nil))
    end
  end)

  it("tickets = 0 issues none; the count and lifetime are the server's", function()
    local c, s = tls.pair(client_ctx(), server_ctx{ tickets = 0 })
    assert(tls.pump(c, s))
    assert.is_nil(c:session())
    local c2, s2 = tls.pair(client_ctx(), server_ctx{ tickets = 1, ticket_lifetime = 60 })
    local seen = types_in(c2)
    assert(tls.pump(c2, s2))
    assert.equal(60, c2:session().lifetime)
    assert.equal("new_session_ticket", seen[#seen])
    assert.equal("finished", seen[#seen - 1])
    assert.has_error(function() server_ctx{ ticket_lifetime = 604801 } end)
    assert.has_error(function() server_ctx{ tickets = -1 } end)
    assert.has_error(function() client_ctx{ tickets = 2 } end)
    assert.has_error(function() server_ctx{ ticket_key = "short" } end)
  end)

  it("a seeded server's tickets never share an AES-GCM nonce across connections", function()
    -- A seeded rng gives every connection of the context the same draws, ticket IV
    -- included; two clients' tickets (different PSKs) must still get different IVs.
    local sctx = server_ctx{ rng = tls.rng.seeded("tickets"), tickets = 1 }
    local function ticket_of(client_seed)
      local c, s = tls.pair(client_ctx{ rng = tls.rng.seeded(client_seed) }, sctx)
      local ticket
      c:on("message_in", function(_, msg)
        if msg.type == "new_session_ticket" then ticket = msg.ticket end
      end)
      assert(tls.pump(c, s))
      return assert(ticket)
    end
    local a, a2, b = ticket_of("one"), ticket_of("one"), ticket_of("two")
    assert.equal(a, a2) -- reproducible
    assert.not_equal(a:sub(1, 12), b:sub(1, 12))
  end)

  it("a ticket from another key falls back to a full handshake; a shared key resumes", function()
    local sess = first(nil, server_ctx())
    local c, s = tls.pair(client_ctx{ session = sess }, server_ctx())
    local seen = types_in(c)
    assert(tls.pump(c, s))
    assert.is_false(c:info().resumed)
    assert.is_false(s:info().resumed)
    assert.equal("certificate", seen[3])
    local key = ("k"):rep(32)
    local sess2 = first(nil, server_ctx{ ticket_key = key })
    local c2, s2 = tls.pair(client_ctx{ session = sess2 }, server_ctx{ ticket_key = key })
    assert(tls.pump(c2, s2))
    assert.is_true(s2:info().resumed)
  end)

  it("an expired ticket is not used (either clock)", function()
    local sctx = server_ctx()
    local sess = first(nil, sctx)
    -- the server's clock says it expired: full handshake
    local late_server = server_ctx{ ticket_key = nil, clock = function() return NOW + 7200 end }
    local c, s = tls.pair(client_ctx{ session = sess }, sctx:with{ clock = function() return NOW + 7200 end })
    assert(tls.pump(c, s))
    assert.is_false(s:info().resumed)
    assert.truthy(late_server)
    -- the client's clock says so: not even offered
    local offered
    local c2, s2 = tls.pair(client_ctx{ session = sess, clock = function() return NOW + 7201 end,
      hooks = { message_out = function(_, msg)
        if msg.type == "client_hello" then offered = tls.ext.find(msg, "pre_shared_key") ~= nil end
      end } }, sctx)
    assert(tls.pump(c2, s2))
    assert.is_false(offered)
    assert.is_false(c2:info().resumed)
  end)

  it("resumes after a HelloRetryRequest with a binder over the new transcript", function()
    local sctx = server_ctx{ groups = { "secp256r1", "x25519" } }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, groups = { "x25519", "secp256r1" },
                                      key_shares = { "x25519" } }, sctx)
    assert(tls.pump(c, s))
    -- x25519 was offered with a share and the server takes it: no HRR there; force one
    assert.is_true(c:info().resumed)
    local c2, s2 = tls.pair(client_ctx{ session = sess, groups = { "x25519", "secp256r1" },
                                        key_shares = {} }, sctx)
    assert(tls.pump(c2, s2))
    assert.is_true(c2:info().hrr)
    assert.is_true(c2:info().resumed)
    assert.is_true(s2:info().resumed)
  end)

  it("psk_ke (no key share) when the client offers only it and the server allows it", function()
    local sctx = server_ctx{ psk_ke = true }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, psk_ke = "only" }, sctx)
    local sh
    c:on("message_in", function(_, msg) if msg.type == "server_hello" then sh = msg end end)
    assert(tls.pump(c, s))
    assert.is_true(c:info().resumed)
    assert.is_nil(tls.ext.find(sh, "key_share"))
    assert.is_nil(c:info().group)
    -- a server that does not allow psk_ke does a full handshake instead
    local strict = server_ctx()
    local sess2 = first(nil, strict)
    local c2, s2 = tls.pair(client_ctx{ session = sess2, psk_ke = "only" }, strict)
    assert(tls.pump(c2, s2))
    assert.is_false(s2:info().resumed)
    -- both offered: (EC)DHE wins
    local c3, s3 = tls.pair(client_ctx{ session = sess, psk_ke = true }, sctx)
    assert(tls.pump(c3, s3))
    assert.is_true(c3:info().resumed)
    assert.equal("x25519", c3:info().group)
  end)

  it("a message_out edit after the binders were computed breaks them: decrypt_error", function()
    local sctx = server_ctx()
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, hooks = {
      message_out = function(_, msg)
        if msg.type == "client_hello" then tls.ext.find(msg, "psk_key_exchange_modes").ke_modes = { 1, 0 } end
      end } }, sctx)
    tls.pump(c, s)
    sent(s, "decrypt_error")
    received(c, "decrypt_error")
  end)

  it("the psk_binder hook sees (conn, index, computed) and may replace the binder", function()
    local sctx = server_ctx()
    local sess = first(nil, sctx)
    local calls = {}
    local c, s = tls.pair(client_ctx{ session = sess, hooks = {
      psk_binder = function(_, index, computed) calls[#calls + 1] = { index, computed } end } }, sctx)
    assert(tls.pump(c, s))
    assert.equal(1, #calls)
    assert.equal(1, calls[1][1])
    assert.equal(32, #calls[1][2])
    assert.is_true(s:info().resumed)
    -- an answer is sent instead (another length included): the server refuses it
    c, s = tls.pair(client_ctx{ session = sess, hooks = {
      psk_binder = function() return ("\0"):rep(40) end } }, sctx)
    tls.pump(c, s)
    sent(s, "decrypt_error")
    received(c, "decrypt_error")
    -- a wrong type is the script's error
    c, s = tls.pair(client_ctx{ session = sess, hooks = { psk_binder = function() return 1 end } }, sctx)
    local ok, err = tls.pump(c, s)
    assert.is_nil(ok)
    assert.matches("psk_binder hook: bytes or nil expected", err)
  end)

  it("the server's psk_binder hook sees the binder it expects; nil keeps it", function()
    local sent_binder
    local calls = {}
    local sctx = server_ctx{ hooks = { psk_binder = function(_, index, computed)
      calls[#calls + 1] = { index, computed }
    end } }
    local sess = first(nil, sctx)
    assert.equal(0, #calls) -- a full handshake verifies no binder
    local c, s = tls.pair(client_ctx{ session = sess, hooks = {
      psk_binder = function(_, _, computed) sent_binder = computed end } }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.is_true(c:info().resumed)
    assert.equal(1, #calls)
    assert.equal(1, calls[1][1])
    assert.equal(32, #calls[1][2])
    assert.equal(sent_binder, calls[1][2]) -- expected = what the honest client sent
  end)

  it("the server's psk_binder hook may accept a forged binder or refuse a good one", function()
    local forged = ("\7"):rep(32)
    local accept = server_ctx{ hooks = { psk_binder = function() return forged end } }
    local sess = first(nil, accept)
    local c, s = tls.pair(client_ctx{ session = sess, hooks = { psk_binder = function() return forged end } },
                          accept)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.is_true(c:info().resumed)
    -- the honest binder against the replaced expectation: refused, decrypt_error
    c, s = tls.pair(client_ctx{ session = sess }, accept)
    tls.pump(c, s)
    sent(s, "decrypt_error")
    received(c, "decrypt_error")
    -- another length than the hash's: compared as it is, so refused
    local short = server_ctx{ hooks = { psk_binder = function(_, _, computed) return computed:sub(1, 31) end } }
    c, s = tls.pair(client_ctx{ session = first(nil, short) }, short)
    tls.pump(c, s)
    sent(s, "decrypt_error")
    received(c, "decrypt_error")
    -- a wrong type is the script's error
    local wrong = server_ctx{ hooks = { psk_binder = function() return 1 end } }
    c, s = tls.pair(client_ctx{ session = first(nil, wrong) }, wrong)
    assert.is_nil(tls.pump(c, s))
    assert.matches("psk_binder hook: bytes or nil expected", s:error())
    received(c, "internal_error")
  end)

  it("the server's psk_binder hook gets the index of the identity it chose", function()
    local key = ("\1"):rep(32)
    local calls = {}
    local sctx = server_ctx{ psk = { identity = "client-1", key = key }, hooks = {
      psk_binder = function(_, index, computed) calls[#calls + 1] = { index, #computed } end } }
    -- a session from another server (a ticket this one cannot open) first, then the PSK
    local other = first(nil, server_ctx())
    local c, s = tls.pair(client_ctx{ session = other, psk = { identity = "client-1", key = key } }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.same({ { 2, 32 } }, calls)
  end)

  it("a select hook may edit the decision of a resumed handshake (no sigalg there)", function()
    local seen
    local sctx = server_ctx{ alpn = { "h2", "http/1.1" }, hooks = { select = function(_, choice)
      seen = choice.sigalg
      choice.alpn = "http/1.1"
    end } }
    local cctx = client_ctx{ alpn = { "h2", "http/1.1" } }
    local sess = first(cctx, sctx)
    local c, s = tls.pair(cctx:with{ session = sess }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(c:info().resumed)
    assert.is_nil(seen)
    assert.equal("http/1.1", c:info().alpn)
  end)

  it("secrets of a resumed handshake reach the secret hook", function()
    local sctx = server_ctx()
    local sess = first(nil, sctx)
    local labels = {}
    local c, s = tls.pair(client_ctx{ session = sess, hooks = {
      secret = function(_, label) labels[label] = true end } }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(labels.CLIENT_HANDSHAKE_TRAFFIC_SECRET)
    assert.is_true(labels.SERVER_TRAFFIC_SECRET_0)
    assert.is_true(labels.EXPORTER_SECRET)
  end)
end)

describe("resumption faults", function()
  local function early_server_ctx() return server_ctx{ early_data = 100, tickets = 1 } end
  local function with_session(hooks)
    local sctx = server_ctx()
    local sess = first(nil, sctx)
    return sctx, sess
  end

  it("pre_shared_key not last: illegal_parameter", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess, hooks = { message_out = function(_, msg)
      if msg.type == "client_hello" then tls.ext.move(msg, "pre_shared_key", 1) end
    end } }, sctx)
    tls.pump(c, s)
    sent(s, "illegal_parameter")
    received(c, "illegal_parameter")
    assert.matches("pre_shared_key", s:error())
  end)

  it("pre_shared_key without psk_key_exchange_modes: missing_extension", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess, hooks = { message_out = function(_, msg)
      if msg.type == "client_hello" then tls.ext.remove(msg, "psk_key_exchange_modes") end
    end } }, sctx)
    tls.pump(c, s)
    sent(s, "missing_extension")
    received(c, "missing_extension")
  end)

  it("a binder that does not validate: decrypt_error", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess, hooks = { message_out = function(_, msg)
      if msg.type == "client_hello" then
        local p = tls.ext.find(msg, "pre_shared_key")
        local b = p.binders[1]
        p.binders[1] = b:sub(1, -2) .. string.char(b:byte(-1) ~ 1)
      end
    end } }, sctx)
    tls.pump(c, s)
    sent(s, "decrypt_error")
    received(c, "decrypt_error")
  end)

  it("binders and identities differ in number: illegal_parameter", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess, hooks = { message_out = function(_, msg)
      if msg.type == "client_hello" then
        local p = tls.ext.find(msg, "pre_shared_key")
        p.binders[2] = p.binders[1]
      end
    end } }, sctx)
    tls.pump(c, s)
    sent(s, "illegal_parameter")
    received(c, "illegal_parameter")
  end)

  it("selected_identity out of range: the client says illegal_parameter", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess }, server_ctx{ ticket_key = nil,
      certificate = PKI .. "leaf-p256.chain.pem", key = PKI .. "leaf-p256.key" })
    -- the same server context (its ticket key) with a lying ServerHello
    c, s = tls.pair(client_ctx{ session = sess }, sctx)
    s:on("message_out", function(_, msg)
      if msg.type == "server_hello" then tls.ext.find(msg, "pre_shared_key").selected_identity = 5 end
    end)
    tls.pump(c, s)
    sent(c, "illegal_parameter")
    received(s, "illegal_parameter")
  end)

  it("pre_shared_key in a ServerHello when none was offered: unsupported_extension", function()
    local sctx = server_ctx()
    local c, s = tls.pair(client_ctx(), sctx)
    s:on("message_out", function(_, msg)
      if msg.type == "server_hello" then
        tls.ext.insert(msg, { type = "pre_shared_key", selected_identity = 0 })
      end
    end)
    tls.pump(c, s)
    assert.matches("^alert sent: fatal", c:error())
    assert.matches("^alert received: fatal", s:error())
  end)

  it("a suite whose hash does not fit the PSK: the client says illegal_parameter", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess }, sctx)
    s:on("message_out", function(_, msg)
      if msg.type == "server_hello" then msg.cipher_suite = "TLS_AES_256_GCM_SHA384" end
    end)
    tls.pump(c, s)
    sent(c, "illegal_parameter")
    received(s, "illegal_parameter")
    assert.matches("hash", c:error())
  end)

  it("a PSK ServerHello without key_share when only psk_dhe_ke was offered: missing_extension", function()
    -- RFC 8446 4.2.9: psk_dhe_ke means "the client and server MUST supply key_share values"
    local sctx = server_ctx{ psk_ke = true }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess }, sctx)
    s:on("message_out", function(_, msg)
      if msg.type == "server_hello" then tls.ext.remove(msg, "key_share"); return msg end
    end)
    tls.pump(c, s)
    sent(c, "missing_extension")
    assert.matches("no key_share", c:error())
  end)

  it("a PSK ServerHello with key_share when only psk_ke was offered: illegal_parameter", function()
    -- RFC 8446 4.2.9: "Servers MUST NOT select a key exchange mode that is not listed by
    -- the client"; a key_share beside the PSK is psk_dhe_ke.
    local sctx = server_ctx{ psk_ke = true }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, psk_ke = "only" }, sctx)
    s:on("message_out", function(_, msg)
      if msg.type == "server_hello" then
        table.insert(msg.extensions, { type = "key_share", group = 0x001d, key_exchange = ("\9"):rep(32) })
        return msg
      end
    end)
    tls.pump(c, s)
    sent(c, "illegal_parameter")
    assert.matches("psk_dhe_ke", c:error())
  end)

  it("a ticket lifetime over seven days: illegal_parameter", function()
    local c, s = tls.pair(client_ctx(), server_ctx())
    s:on("message_out", function(_, msg)
      if msg.type == "new_session_ticket" then msg.ticket_lifetime = 604801 end
    end)
    tls.pump(c, s)
    sent(c, "illegal_parameter")
    received(s, "illegal_parameter")
  end)

  it("a ticket lifetime of zero: the ticket is dropped", function()
    local c, s = tls.pair(client_ctx(), server_ctx{ tickets = 1 })
    s:on("message_out", function(_, msg)
      if msg.type == "new_session_ticket" then msg.ticket_lifetime = 0 end
    end)
    assert(tls.pump(c, s))
    assert.is_nil(c:session())
  end)

  it("NewSessionTicket: unknown extensions kept out of the way, an empty ticket or an early_data of other than 4 bytes is decode_error", function()
    local function nst(edit)
      local c, s = tls.pair(client_ctx(), early_server_ctx())
      s:on("message_out", function(_, msg) if msg.type == "new_session_ticket" then return edit(msg) end end)
      return c, s, tls.pump(c, s)
    end
    -- RFC 8446 4.6.1: "Clients MUST ignore unrecognized extensions"
    local c, _, ok = nst(function(msg)
      table.insert(msg.extensions, 1, { type = 0x7a7a, data = "grease" }); return msg
    end)
    assert.truthy(ok)
    assert.equal(100, c:session().max_early_data)
    -- ticket<1..2^16-1>
    c = nst(function(msg) msg.ticket = ""; return msg end)
    sent(c, "decode_error")
    -- early_data: uint32 max_early_data_size, nothing more or less
    for _, extra in ipairs{ "\0", "\0\0\0\0" } do
      c = nst(function(msg)
        local head = msg.raw:sub(5, -11) -- up to the extensions, which hold early_data only
        local ext = "\0\42" .. string.pack(">s2", "\0\0\0\100" .. extra)
        return string.pack(">B s3", 4, head .. string.pack(">s2", ext))
      end)
      sent(c, "decode_error")
    end
    c = nst(function(msg)
      local head = msg.raw:sub(5, -11)
      return string.pack(">B s3", 4, head .. string.pack(">s2", "\0\42\0\2\0\100"))
    end)
    sent(c, "decode_error")
  end)

  it("early_data in the second ClientHello: illegal_parameter", function()
    local sctx = server_ctx{ groups = { "secp256r1", "x25519" } }
    local c, s = tls.pair(client_ctx{ key_shares = {}, groups = { "x25519", "secp256r1" } }, sctx)
    local n = 0
    c:on("message_out", function(_, msg)
      if msg.type == "client_hello" then
        n = n + 1
        if n == 2 then tls.ext.insert(msg, { type = "early_data" }, 1) end
      end
    end)
    tls.pump(c, s)
    sent(s, "illegal_parameter")
    received(c, "illegal_parameter")
  end)

  it("a certificate in a resumed handshake: unexpected_message", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess }, sctx)
    s:on("message_out", function(conn, msg)
      if msg.type == "encrypted_extensions" then
        return { msg, { type = "certificate", certificate_request_context = "", certificate_list = {} } }
      end
    end)
    tls.pump(c, s)
    sent(c, "unexpected_message")
    received(s, "unexpected_message")
  end)

  it("a certificate request in a resumed handshake: unexpected_message", function()
    local sctx, sess = with_session()
    local c, s = tls.pair(client_ctx{ session = sess }, sctx)
    s:on("message_out", function(conn, msg)
      if msg.type == "encrypted_extensions" then
        return { msg, { type = "certificate_request", certificate_request_context = "",
                        extensions = { { type = "signature_algorithms",
                                         supported_signature_algorithms = { 0x0403 } } } } }
      end
    end)
    tls.pump(c, s)
    sent(c, "unexpected_message")
    received(s, "unexpected_message")
  end)

  it("a second ClientHello without the PSK the server picked from the first: full handshake", function()
    -- The server chose the ticket on ClientHello1 (so no certificate), then a hostile or
    -- changed ClientHello2 drops pre_shared_key: the server must pick a certificate now.
    local sctx = server_ctx{ groups = { "secp256r1", "x25519" } }
    local sess = first(nil, sctx)
    local n = 0
    local c, s = tls.pair(client_ctx{ session = sess, groups = { "x25519", "secp256r1" }, key_shares = {},
      hooks = { message_out = function(_, msg)
        if msg.type == "client_hello" then
          n = n + 1
          if n == 2 then tls.ext.remove(msg, "pre_shared_key") end
        end
      end } }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(s:info().hrr)
    assert.is_false(s:info().resumed)
    assert.is_false(c:info().resumed)
  end)
end)

describe("external PSK", function()
  local key = ("\1"):rep(32)

  it("resumes nothing but authenticates both sides with the PSK (no certificate)", function()
    local sctx = assert(tls.context{ mode = "server", psk = { identity = "client-1", key = key } })
    local cctx = client_ctx{ psk = { identity = "client-1", key = key } }
    local c, s = tls.pair(cctx, sctx)
    assert(tls.pump(c, s))
    assert.is_true(c:info().resumed)
    assert.is_true(s:info().resumed)
    assert.equal("TLS_AES_128_GCM_SHA256", c:info().suite)
  end)

  it("SHA-384 PSKs pick a SHA-384 suite", function()
    local p = { identity = "c384", key = key, hash = "sha384" }
    local c, s = tls.pair(client_ctx{ psk = p }, assert(tls.context{ mode = "server", psk = p }))
    assert(tls.pump(c, s))
    assert.equal("TLS_AES_256_GCM_SHA384", c:info().suite)
  end)

  it("a wrong key: decrypt_error; an unknown identity without certificate: handshake_failure", function()
    local sctx = assert(tls.context{ mode = "server", psk = { identity = "client-1", key = key } })
    local c, s = tls.pair(client_ctx{ psk = { identity = "client-1", key = ("\2"):rep(32) } }, sctx)
    tls.pump(c, s)
    sent(s, "decrypt_error")
    received(c, "decrypt_error")
    c, s = tls.pair(client_ctx{ psk = { identity = "client-2", key = key } }, sctx)
    tls.pump(c, s)
    sent(s, "handshake_failure")
    received(c, "handshake_failure")
  end)

  it("misuse raises", function()
    assert.has_error(function() client_ctx{ psk = { identity = "", key = key } } end)
    assert.has_error(function() client_ctx{ psk = { identity = "x", key = ("k"):rep(65) } } end)
    assert.has_error(function() client_ctx{ psk = { identity = "x", key = key, hash = "md5" } } end)
    assert.has_error(function() client_ctx{ psk = { identity = "x", key = key, extra = 1 } } end)
  end)
end)

describe("0-RTT early data", function()
  local function early_server(extra)
    local p = { early_data = 1024 }
    for k, v in pairs(extra or {}) do p[k] = v end
    return server_ctx(p)
  end

  it("a ticket with max_early_data_size carries early data to the server", function()
    local sctx = early_server()
    local sess = first(nil, sctx)
    assert.equal(1024, sess.max_early_data)
    local c, s = tls.pair(client_ctx{ session = sess, early_data = "early words" }, sctx)
    local seen = types_in(s)
    assert(tls.pump(c, s))
    assert.equal("accepted", c:info().early_data)
    assert.equal("accepted", s:info().early_data)
    assert.equal("early words", s:read())
    -- EndOfEarlyData before the client's Finished
    assert.same({ "client_hello", "end_of_early_data", "finished" }, seen)
  end)

  it("the same ticket twice: the second 0-RTT is refused and skipped, the handshake resumes", function()
    local sctx = early_server()
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, early_data = "once" }, sctx)
    assert(tls.pump(c, s))
    assert.equal("accepted", s:info().early_data)
    c, s = tls.pair(client_ctx{ session = sess, early_data = "twice" }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.equal("rejected", c:info().early_data)
    assert.equal("rejected", s:info().early_data)
    assert.equal("", s:read() or "")
  end)

  it("a ticket gets 0-RTT once even after 256 others: a full replay cache refuses, not forgets", function()
    -- RFC 8446 8: "The server MUST ensure that any instance of it ... would accept 0-RTT
    -- for the same 0-RTT handshake at most once". A replay still inside the ticket age
    -- window must not pass because newer tickets pushed it out of the cache (256 kept).
    local now = NOW
    local clock = function() return now end
    local sctx = early_server{ clock = clock }
    local sess = first(client_ctx{ clock = clock }, sctx)
    local replayed = sess
    local function zero_rtt(session, client_clock)
      local c, s = tls.pair(client_ctx{ session = session, early_data = "e", clock = client_clock or clock }, sctx)
      assert(tls.pump(c, s))
      assert.is_true(s:info().resumed)
      return s:info().early_data, assert(c:session())
    end
    local state
    for _ = 1, 256 do -- the replayed ticket's own 0-RTT, then 255 others
      state, sess = zero_rtt(sess)
      assert.equal("accepted", state)
    end
    -- full of entries a replay could still match: no 0-RTT rather than forget one
    assert.equal("rejected", (zero_rtt(sess)))
    assert.equal("rejected", (zero_rtt(replayed)))
    -- once the oldest entries are past any replay's age window, 0-RTT comes back; the
    -- old ClientHello replayed (its ticket age as then) is refused by the age window
    now = now + 60
    state, sess = zero_rtt(sess)
    assert.equal("accepted", state)
    assert.equal("rejected", (zero_rtt(replayed, function() return NOW end)))
  end)

  it("ticket age: obfuscated mod 2^32, and 0-RTT only within 10 s of the server's view", function()
    -- RFC 8446 4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add mod 2^32;
    -- 8.3: the server compares the client's view of the age with its own.
    local n_draws = 0
    local rng = function(n, purpose)
      if purpose == "ticket_age_add" then return "\255\255\240\0" end -- wraps after 4096 ms
      n_draws = n_draws + 1
      return (("%08x"):format(n_draws)):rep(n):sub(1, n)
    end
    local snow, cnow = NOW, NOW
    local sctx = early_server{ clock = function() return snow end, rng = rng }
    local function ticket()
      snow, cnow = NOW, NOW
      return first(client_ctx{ clock = function() return cnow end }, sctx)
    end
    local function zero_rtt(sess, server_at, client_at)
      snow, cnow = server_at, client_at
      local c, s = tls.pair(client_ctx{ session = sess, early_data = "e", clock = function() return cnow end }, sctx)
      local age
      c:on("message_out", function(_, msg)
        if msg.type == "client_hello" then
          age = tls.ext.find(msg, "pre_shared_key").identities[1].obfuscated_ticket_age
        end
      end)
      assert(tls.pump(c, s))
      assert.is_true(s:info().resumed)
      return s:info().early_data, age
    end
    -- both clocks 5 s on: 5000 + 0xfffff000 wraps to 904, and the ages agree
    local state, age = zero_rtt(ticket(), NOW + 5, NOW + 5)
    assert.equal(904, age)
    assert.equal("accepted", state)
    -- the client's age 0 (its clock stood still), ours 9 s: inside the window; 11 s: not
    assert.equal("accepted", (zero_rtt(ticket(), NOW + 9, NOW)))
    assert.equal("rejected", (zero_rtt(ticket(), NOW + 11, NOW)))
    -- the client's age 11 s ahead of ours
    assert.equal("rejected", (zero_rtt(ticket(), NOW, NOW + 11)))
  end)

  it("refused after a HelloRetryRequest; the second ClientHello has no early_data", function()
    local sctx = early_server{ groups = { "secp256r1", "x25519" } }
    local sess = first(nil, sctx)
    local hellos = {}
    local c, s = tls.pair(client_ctx{ session = sess, early_data = "too early", key_shares = {},
      groups = { "x25519", "secp256r1" } }, sctx)
    c:on("message_out", function(_, msg)
      if msg.type == "client_hello" then hellos[#hellos + 1] = tls.ext.find(msg, "early_data") ~= nil end
    end)
    assert(tls.pump(c, s))
    assert.is_true(c:info().hrr)
    assert.is_true(s:info().resumed)
    assert.equal("rejected", c:info().early_data)
    assert.same({ true, false }, hellos)
  end)

  it("after a HelloRetryRequest nothing is skipped past the second ClientHello", function()
    -- RFC 8446 4.2.10: the early data a HelloRetryRequest refuses comes before the second
    -- ClientHello; a record after it that does not open is a fault (bad_record_mac), not
    -- refused early data to skip.
    local sctx = early_server{ groups = { "secp256r1", "x25519" } }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, early_data = "too early", key_shares = {},
      groups = { "x25519", "secp256r1" } }, sctx)
    local hellos = 0
    s:on("wire_in", function(_, bytes)
      if bytes:find("\22\3[\1\3]..\1") then hellos = hellos + 1 end
      if hellos == 2 then
        hellos = 3
        return bytes .. "\23\3\3\0\32" .. ("j"):rep(32)
      end
    end)
    tls.pump(c, s)
    assert.is_true(s:info().hrr)
    sent(s, "bad_record_mac")
  end)

  it("the first identity unknown, the second usable: that one, and no 0-RTT (RFC 8446 4.2.10)", function()
    -- 0-RTT is tied to the first identity; a server selecting another must refuse it.
    local sess = first(nil, early_server())        -- a ticket this server cannot open
    local psk = { identity = "ext", key = ("k"):rep(32), hash = "sha256" }
    local sctx = early_server{ psk = psk }
    local c, s = tls.pair(client_ctx{ session = sess, psk = psk, early_data = "zz" }, sctx)
    local sel
    c:on("message_in", function(_, msg)
      if msg.type == "server_hello" then sel = tls.ext.find(msg, "pre_shared_key").selected_identity end
    end)
    assert(tls.pump(c, s))
    assert.equal(1, sel)
    assert.is_true(s:info().resumed)
    assert.equal("rejected", s:info().early_data)
    assert.equal("rejected", c:info().early_data)
    assert.equal("", s:read() or "")
  end)

  it("a ticket the server cannot open: full handshake, the early data skipped", function()
    local sess = first(nil, early_server())
    local other = early_server()
    local c, s = tls.pair(client_ctx{ session = sess, early_data = ("e"):rep(1000) }, other)
    local seen = types_in(c)
    assert(tls.pump(c, s))
    assert.is_false(s:info().resumed)
    assert.equal("rejected", c:info().early_data)
    assert.equal("rejected", s:info().early_data)
    assert.equal("certificate", seen[3])
    assert.equal("", s:read() or "")
    -- and the connection works afterwards
    assert(c:write("1-RTT"))
    assert(tls.pump(c, s))
    assert.equal("1-RTT", s:read())
  end)

  it("refused early data beyond what the server skips (16384 bytes by default): unexpected_message", function()
    local key = ("q"):rep(32)
    local sess = first(nil, early_server{ early_data = 40000, ticket_key = key })
    local refusing = server_ctx{ ticket_key = key } -- takes no 0-RTT at all
    local c, s = tls.pair(client_ctx{ session = sess, early_data = ("e"):rep(20000) }, refusing)
    tls.pump(c, s)
    sent(s, "unexpected_message")
    received(c, "unexpected_message")
    assert.matches("refused early data beyond what we skip", s:error())
    -- within the budget it is skipped and the handshake resumes
    c, s = tls.pair(client_ctx{ session = sess, early_data = ("e"):rep(16000) }, refusing)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.equal("rejected", s:info().early_data)
  end)

  it("refused early data of exactly the allowed size is skipped, record overhead not counted", function()
    -- RFC 8446 4.2.10: max_early_data_size counts application data only, not the tag
    -- and content type each record adds; a client sending all it may, refused (here: the
    -- ticket's second 0-RTT), must still get its 1-RTT handshake.
    local sctx = early_server{ early_data = 40000 }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, early_data = "first" }, sctx)
    assert(tls.pump(c, s))
    assert.equal("accepted", s:info().early_data)
    c, s = tls.pair(client_ctx{ session = sess, early_data = ("e"):rep(40000) }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.equal("rejected", s:info().early_data)
    -- the same when the server takes no 0-RTT at all (its skip budget: 16384 bytes)
    local key = ("q"):rep(32)
    sess = first(nil, early_server{ early_data = 40000, ticket_key = key })
    c, s = tls.pair(client_ctx{ session = sess, early_data = ("e"):rep(16384) }, server_ctx{ ticket_key = key })
    assert(tls.pump(c, s))
    assert.equal("rejected", s:info().early_data)
  end)

  it("accepted early data beyond the server's own limit: unexpected_message", function()
    -- RFC 8446 4.2.10: a server receiving more than max_early_data_size "SHOULD terminate
    -- the connection with an "unexpected_message" alert". The ticket allows 40000; the
    -- server taking it (same key) allows 100.
    local key = ("k"):rep(32)
    local sess = first(nil, early_server{ early_data = 40000, ticket_key = key })
    local c, s = tls.pair(client_ctx{ session = sess, early_data = ("e"):rep(1000) },
                          early_server{ early_data = 100, ticket_key = key })
    tls.pump(c, s)
    assert.equal("accepted", s:info().early_data)
    sent(s, "unexpected_message")
    received(c, "unexpected_message")
    assert.matches("early data beyond 100 bytes", s:error())
  end)

  it("EndOfEarlyData only after accepted early data, and only once: unexpected_message", function()
    local sctx = early_server()
    local sess = first(nil, sctx)
    local eoed = { type = "end_of_early_data" }
    -- a resumption without early data
    local c, s = tls.pair(client_ctx{ session = sess, hooks = { message_out = function(_, msg)
      if msg.type == "finished" then return { eoed, msg } end
    end } }, sctx)
    tls.pump(c, s)
    sent(s, "unexpected_message")
    -- early data refused (the ticket's second 0-RTT)
    c, s = tls.pair(client_ctx{ session = sess, early_data = "x" }, sctx)
    assert(tls.pump(c, s))
    c, s = tls.pair(client_ctx{ session = sess, early_data = "again", hooks = { message_out = function(_, msg)
      if msg.type == "finished" then return { eoed, msg } end
    end } }, sctx)
    tls.pump(c, s)
    assert.equal("rejected", s:info().early_data)
    sent(s, "unexpected_message")
    -- accepted, then a second one under the handshake keys
    sess = first(nil, sctx)
    c, s = tls.pair(client_ctx{ session = sess, early_data = "x", hooks = { message_out = function(_, msg)
      if msg.type == "finished" then return { eoed, msg } end
    end } }, sctx)
    tls.pump(c, s)
    assert.equal("accepted", s:info().early_data)
    sent(s, "unexpected_message")
  end)

  it("more than the ticket allows is not sent; a server without early_data announces none", function()
    local sctx = early_server()
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, early_data = ("x"):rep(1025) }, sctx)
    assert(tls.pump(c, s))
    assert.is_nil(c:info().early_data)
    assert.equal(0, first(nil, server_ctx()).max_early_data)
  end)

  it("ALPN: a different protocol refuses 0-RTT; a server accepting anyway is illegal_parameter", function()
    local sctx = early_server{ alpn = { "h2", "http/1.1" } }
    local sess = first(client_ctx{ alpn = { "h2" } }, sctx)
    assert.equal("h2", sess.alpn)
    -- the client now offers only http/1.1: the server picks it and refuses early data
    local c, s = tls.pair(client_ctx{ session = sess, early_data = "x", alpn = { "http/1.1" } }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.equal("rejected", s:info().early_data)
    -- a server that accepts and then names another protocol on the wire: the client objects
    local c2, s2 = tls.pair(client_ctx{ session = sess, early_data = "x", alpn = { "h2", "http/1.1" } },
                            sctx)
    s2:on("message_out", function(_, msg)
      if msg.type == "encrypted_extensions" then
        local a = tls.ext.find(msg, "application_layer_protocol_negotiation") or tls.ext.find(msg, "alpn")
        a.protocol_name_list = { "http/1.1" }
      end
    end)
    tls.pump(c2, s2)
    assert.equal("accepted", s2:info().early_data)
    sent(c2, "illegal_parameter")
    received(s2, "illegal_parameter")
    assert.matches("ALPN", c2:error())
  end)

  it("early_data in EncryptedExtensions without an offer: unsupported_extension", function()
    local sctx = server_ctx()
    local c, s = tls.pair(client_ctx(), sctx)
    s:on("message_out", function(_, msg)
      if msg.type == "encrypted_extensions" then tls.ext.insert(msg, { type = "early_data" }) end
    end)
    tls.pump(c, s)
    sent(c, "unsupported_extension")
    received(s, "unsupported_extension")
  end)

  it("both key logs carry the same early secrets", function()
    local clog, slog = {}, {}
    local sctx = early_server{ keylog = function(label, cr, secret) slog[label] = secret end }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess, early_data = "x",
      keylog = function(label, cr, secret) clog[label] = secret end }, sctx)
    assert(tls.pump(c, s))
    assert.equal(32, #clog.CLIENT_EARLY_TRAFFIC_SECRET)
    assert.equal(clog.CLIENT_EARLY_TRAFFIC_SECRET, slog.CLIENT_EARLY_TRAFFIC_SECRET)
    assert.equal(clog.EARLY_EXPORTER_SECRET, slog.EARLY_EXPORTER_SECRET)
    assert.equal(clog.CLIENT_TRAFFIC_SECRET_0, slog.CLIENT_TRAFFIC_SECRET_0)
  end)

  it("misuse raises", function()
    assert.has_error(function() server_ctx{ early_data = "bytes" } end)
    assert.has_error(function() client_ctx{ early_data = 10 } end)
    assert.has_error(function() client_ctx():connection():set_early_data(5) end)
  end)
end)

-- The server's PSK lookup (SCRIPTING.md 6.2 `psk` as a function): the script maps an
-- identity the server did not seal to a PSK; the engine checks the binder and 0-RTT.
describe("server psk lookup", function()
  local PSK = ("\7"):rep(32)
  local TICKET = "an opaque ticket some other server sealed"
  local AGE_ADD = 0x01020304
  -- A client session for TICKET (the engine's session bytes, lib/handshake/ticket.h).
  local function foreign_session(max_early)
    return assert(tls.session(string.pack(">c4 I2 i8 I4 I4 I4 s1 s1 s1 s2", "MTS1", 0x1301, NOW,
                                          7200, AGE_ADD, max_early or 0, PSK, "", "localhost", TICKET)))
  end

  it("maps a foreign ticket to its PSK: the handshake resumes with the resumption binder", function()
    local asked = {}
    local sctx = server_ctx{ psk = function(_, identity, age)
      asked[#asked + 1] = { identity, age }
      if identity == TICKET then return { key = PSK, age_add = AGE_ADD, issued = NOW } end
    end }
    local c, s = tls.pair(client_ctx{ session = foreign_session() }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(c:info().resumed)
    assert.is_true(s:info().resumed)
    assert.equal(1, #asked)
    assert.equal(TICKET, asked[1][1])
    assert.equal(AGE_ADD, asked[1][2]) -- a ticket age of 0 ms, obfuscated
  end)

  it("nil: not the script's identity, a full handshake", function()
    local sctx = server_ctx{ psk = function() return nil end }
    local c, s = tls.pair(client_ctx{ session = foreign_session() }, sctx)
    assert(tls.pump(c, s))
    assert.is_false(c:info().resumed)
    assert.is_false(s:info().resumed)
  end)

  it("nil for a ticket the server sealed itself: its own tickets still resume", function()
    local sctx = server_ctx{ psk = function() return nil end }
    local sess = first(nil, sctx)
    local c, s = tls.pair(client_ctx{ session = sess }, sctx)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
  end)

  it("a wrong key: the binder does not validate, decrypt_error", function()
    local sctx = server_ctx{ psk = function() return { key = ("\8"):rep(32) } end }
    local c, s = tls.pair(client_ctx{ session = foreign_session() }, sctx)
    assert.is_nil(tls.pump(c, s))
    sent(s, "decrypt_error")
    received(c, "decrypt_error")
  end)

  it("the resumption key as external (the ext binder label): decrypt_error", function()
    local sctx = server_ctx{ psk = function() return { key = PSK, external = true } end }
    local c, s = tls.pair(client_ctx{ session = foreign_session() }, sctx)
    assert.is_nil(tls.pump(c, s))
    sent(s, "decrypt_error")
  end)

  it("a lookup that raises, or answers garbage: internal_error", function()
    for _, fn in ipairs{ function() error("lookup down") end,
                         function() return { key = PSK, colour = "blue" } end,
                         function() return "not a table" end } do
      local c, s = tls.pair(client_ctx{ session = foreign_session() }, server_ctx{ psk = fn })
      assert.is_nil(tls.pump(c, s))
      assert.matches("^hook error: ", s:error())
      received(c, "internal_error")
    end
  end)

  it("an external PSK: the ext binder, no certificate", function()
    local key = ("\3"):rep(32)
    local sctx = assert(tls.context{ mode = "server", psk = function(_, identity)
      if identity == "client-7" then return { key = key, external = true } end
    end })
    local c, s = tls.pair(client_ctx{ psk = { identity = "client-7", key = key } }, sctx)
    local seen = types_in(c)
    assert(tls.pump(c, s))
    assert.is_true(s:info().resumed)
    assert.same({ "server_hello", "encrypted_extensions", "finished" }, { table.unpack(seen, 1, 3) })
    c, s = tls.pair(client_ctx{ psk = { identity = "client-8", key = key } }, sctx)
    assert.is_nil(tls.pump(c, s)) -- no certificate to fall back on
    assert.is_false(s:info().resumed)
  end)

  it("a SHA-384 answer for a SHA-256 suite: not selected", function()
    local sctx = server_ctx{ psk = function() return { key = PSK, hash = "sha384" } end,
                             suites = { "TLS_AES_128_GCM_SHA256" } }
    local c, s = tls.pair(client_ctx{ session = foreign_session() }, sctx)
    assert(tls.pump(c, s))
    assert.is_false(s:info().resumed)
  end)

  it("0-RTT accepted through the lookup; refused without max_early_data or with a stale age", function()
    local function try(answer)
      local sctx = server_ctx{ early_data = 1024, psk = function() return answer end }
      local c, s = tls.pair(client_ctx{ session = foreign_session(1024), early_data = "early" }, sctx)
      assert(tls.pump(c, s))
      assert.is_true(s:info().resumed)
      return s:info().early_data, s
    end
    local state, s = try{ key = PSK, age_add = AGE_ADD, issued = NOW, max_early_data = 1024 }
    assert.equal("accepted", state)
    assert.equal("early", s:read())
    assert.equal("accepted", (try{ key = PSK, ticket_age_ok = true, max_early_data = 1024 }))
    assert.equal("rejected", (try{ key = PSK, age_add = AGE_ADD, issued = NOW }))
    assert.equal("rejected", (try{ key = PSK, age_add = AGE_ADD, issued = NOW - 60, max_early_data = 1024 }))
    assert.equal("rejected", (try{ key = PSK, max_early_data = 1024 })) -- age unknown
    assert.equal("rejected", (try{ key = PSK, ticket_age_ok = true, max_early_data = 1024, alpn = "h2" }))
  end)
end)
