-- rfc8448.lua: SCRIPTING.md 7 (e). RFC 8448 byte for byte through the public Lua API.
--
--   lua5.4 scripts/examples/rfc8448.lua        (from the repository root, after make;
--                                               or: scripts/moontls run scripts/examples/rfc8448.lua)
--
-- Section 3 (simple 1-RTT), client side: the client random comes from a pinned rng, the
-- x25519 private key is pinned, context keys give the engine's ClientHello the RFC
-- client's suites, server name and extensions in its order (client_knobs: no hook), and
-- a trace peer plays the RFC's server records. Every secret must equal the RFC's, and every record the client
-- writes (ClientHello, Finished, application data, close_notify) must equal the RFC's
-- byte for byte: the peer compares them exactly.
--
-- Section 3, server side: pinned server random, pinned server x25519 key, the RFC's RSA
-- key (a PEM built from the published components), and the RSA-PSS salt pinned too
-- (purpose "pss_salt", recovered from the RFC's signature), so the engine itself signs
-- the RFC's CertificateVerify. A trace peer plays the RFC's client records.
-- What the engine produces by itself, shaped by context keys (no hooks), and what a hook
-- or an injection supplies:
--   ServerHello          engine; extensions = {server_hello = {order = ...}} puts key_share
--                        before supported_versions (the engine's own order is the reverse)
--   EncryptedExtensions  engine (the empty server_name acknowledging SNI) plus
--                        extensions.encrypted_extensions.add = the RFC server's
--                        supported_groups and record_size_limit, in the RFC's order
--   NewSessionTicket     injected after the handshake (tickets = 0: the engine's own
--                        tickets seal its session state under a random key and nonce,
--                        which the RFC's opaque ticket cannot match)
--   Certificate, CertificateVerify, Finished, all secrets, all record protection,
--   application data and close_notify: engine
--
-- Section 5 (HelloRetryRequest), client side: as section 3, both ClientHellos shaped by
-- the same knobs, the secp256r1 private key given by the key_share hook for the second,
-- whose padding extension (the one thing the engine does not build) a message_out hook
-- adds on the wire.
--
-- Section 5, server side: a server that takes only secp256r1 answers the RFC's first
-- ClientHello (x25519 share) with a HelloRetryRequest by its own decision; pinned server
-- random and secp256r1 key, the RFC's RSA key and PSS salt as in section 3.
--   HelloRetryRequest    engine (fixed HRR random, suite, selected_group, supported_versions);
--                        hrr_cookie = the RFC's 114 cookie bytes (sent, and checked in the
--                        RFC's second ClientHello) and the RFC's extension order
--   ServerHello          engine, extension order as in section 3
--   EncryptedExtensions  as in section 3
--   Certificate, CertificateVerify, Finished, all secrets, record protection and
--   close_notify: engine
--
-- Section 4 (resumed 0-RTT handshake), client side: the session section 3's
-- NewSessionTicket left (its ticket, PSK, ticket_age_add, max_early_data_size), built in
-- the engine's session format and offered with the RFC's six bytes of early data; the
-- ClientHello is adopted from the RFC (its binder is the RFC's), and the early data
-- record, EndOfEarlyData, Finished, application data and close_notify are the engine's,
-- as are the early, handshake and application secrets.
--
-- Section 4, server side: the context's psk lookup maps the RFC's ticket (opaque to
-- our server) to section 3's resumption PSK; the engine checks the RFC's binder, accepts
-- the early data, and its ServerHello, EncryptedExtensions (early_data included: the
-- extensions knob orders and adds the rest), Finished and secrets are the RFC's.
--
-- Section 7 (compatibility mode), client side: as section 3 with compat_ccs = true and
-- the session id pinned (the engine draws it, purpose "session_id"); the ClientHello is
-- shaped by the same knobs, and both change_cipher_spec records (the server's, accepted
-- after its ServerHello; ours, right before our Finished) are the engine's.
--
-- Run as a script it prints one line per check; required (dofile) it returns the
-- functions, which spec/rfc8448_spec.lua calls.
local tls = require "moontls"
local json = require "dkjson"
local mime = require "mime"

local hex = tls.hex.decode
local M = {}

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "scripts/examples"
M.FIXTURES = os.getenv("MOONTLS_FIXTURES") or (here .. "/../../spec/fixtures")

-- The RFC 8448 data (spec/fixtures/rfc8448-*.json; layout in its README).
function M.vectors(name)
  local path = ("%s/rfc8448-%s.json"):format(M.FIXTURES, name)
  local f = assert(io.open(path, "rb"))
  local V = assert(json.decode(f:read("a")))
  f:close()
  return V
end

-- NSS key log label -> key_schedule entry.
M.SECRETS = {
  CLIENT_HANDSHAKE_TRAFFIC_SECRET = "client_handshake_traffic_secret",
  SERVER_HANDSHAKE_TRAFFIC_SECRET = "server_handshake_traffic_secret",
  CLIENT_TRAFFIC_SECRET_0 = "client_application_traffic_secret_0",
  SERVER_TRAFFIC_SECRET_0 = "server_application_traffic_secret_0",
  EXPORTER_SECRET = "exporter_master_secret",
}

-- Compare what the secret hook saw with the RFC; returns a list of problems.
local function check_secrets(V, got, problems)
  for label, key in pairs(M.SECRETS) do
    if got[label] == nil then
      problems[#problems + 1] = label .. " not derived"
    elseif got[label] ~= hex(V.key_schedule[key]) then
      problems[#problems + 1] = label .. " differs from RFC 8448"
    end
  end
end

-- A trace peer that did not play all its steps is a problem too.
local function peer_problems(peer, problems)
  if peer.error then problems[#problems + 1] = peer.error end
  if not peer:done() and not peer.error then
    problems[#problems + 1] = ("trace peer stopped at step %d"):format(peer.pos)
  end
end

-- Runs `ctx` against a trace peer playing `steps` (the RFC's records), keeping a
-- transcript: the handshake, then every secret compared with the RFC's. Returns conn,
-- whether the handshake completed, and the peer.
local function play(ctx, steps, V, got, problems)
  local peer = tls.trace.peer(steps)
  local conn = ctx:wrap(peer)
  tls.trace.record(conn)
  local ok, err = conn:handshake()
  if not ok then problems[#problems + 1] = "handshake: " .. tostring(err) end
  check_secrets(V, got, problems)
  return conn, ok, peer
end

-- The result of a run: {ok =, problems =, secrets =, conn =, peer =, transcript =} and
-- `extra`'s fields; the peer's own problems are added first.
local function result(conn, peer, got, problems, extra)
  peer_problems(peer, problems)
  local r = { ok = #problems == 0, problems = problems, secrets = got, conn = conn, peer = peer,
              transcript = conn:transcript() }
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

-- Application data as the RFC has it: `payload` sent, or exactly `payload` received.
local function send_exact(conn, payload, problems)
  local n, err = conn:send(payload)
  if n ~= #payload then problems[#problems + 1] = "send: " .. tostring(err) end
end

local function receive_exact(conn, payload, problems, what)
  local data, err = conn:receive(#payload)
  if data ~= payload then problems[#problems + 1] = (what or "receive") .. ": " .. tostring(err) end
end

-- The early secrets (section 4) compared with the RFC's.
local function check_early_secrets(V, got, problems)
  for label, key in pairs(M.EARLY_SECRETS) do
    if got[label] ~= hex(V.key_schedule[key]) then problems[#problems + 1] = label .. " differs from RFC 8448" end
  end
end

-- The records of one sender, in order.
local function records(V)
  local r = {}
  for i, rec in ipairs(V.records) do
    r[i] = { sender = rec.sender, record = hex(rec.record), payload = hex(rec.payload),
             messages = rec.messages, content_type = rec.content_type }
  end
  return r
end

-- The RSA private key of RFC 8448 section 2 as a PKCS#1 PEM, from its components.
function M.rsa_pem(K)
  local function len(n)
    if n < 128 then return string.char(n) end
    if n < 256 then return "\x81" .. string.char(n) end
    return "\x82" .. string.char(n >> 8, n & 255)
  end
  local function int(h)
    local b = hex(h):gsub("^%z+", "")
    if b == "" or b:byte(1) >= 0x80 then b = "\0" .. b end
    return "\2" .. len(#b) .. b
  end
  local body = int("00") .. int(K.modulus) .. int(K.public_exponent) .. int(K.private_exponent)
    .. int(K.prime1) .. int(K.prime2) .. int(K.exponent1) .. int(K.exponent2) .. int(K.coefficient)
  return M.pem("RSA PRIVATE KEY", "\x30" .. len(#body) .. body)
end

function M.pem(label, der)
  local b64 = mime.b64(der)
  return ("-----BEGIN %s-----\n%s\n-----END %s-----\n"):format(label, b64:gsub(("."):rep(64), "%0\n"):gsub("\n$", ""), label)
end

-- ---------------------------------------------------------------------------------
-- Section 3, client side
-- ---------------------------------------------------------------------------------

-- The RFC client's ClientHello as engine knobs (context keys, no hook): its suites in
-- its order, its server name, and its extensions in its order (extensions.client_hello):
-- the engine's own key_share (pinned private key, so the RFC's bytes) and the RFC's
-- bytes for the others, which replace the engine's (supported_groups,
-- signature_algorithms: the RFC client lists groups and schemes this build does not
-- implement) or are added (renegotiation_info, session_ticket, psk_key_exchange_modes,
-- record_size_limit). The knobs shape the wire and the transcript; the engine's offer
-- (what the server's answers are checked against) stays its own.
local function client_knobs(ch)
  local suites, order, add = {}, {}, {}
  for i, c in ipairs(ch.cipher_suites) do suites[i] = tonumber(c, 16) end
  for i, e in ipairs(ch.extensions) do
    order[i] = e.type
    if e.name ~= "key_share" then add[#add + 1] = { type = e.type, data = hex(e.data) } end
  end
  return { suites = suites, server_name = "server",
           extensions = { client_hello = { order = order, add = add } } }
end

local function with(params, knobs)
  for k, v in pairs(knobs) do params[k] = v end
  return params
end

-- Returns result = {ok =, problems = {...}, secrets = {label = bytes}, conn =, peer =,
-- transcript =}.
function M.client(V)
  V = V or M.vectors("1rtt")
  local R = records(V)
  local got, problems = {}, {}
  local ctx = assert(tls.context(with({
    mode = "client", versions = { "1.3" }, verify = "none", compat_ccs = false,
    groups = { "x25519" },
    rng = tls.rng.pinned{ client_random = hex(V.parsed.client_hello.random) }, -- any other draw fails
    key_shares = { x25519 = { private = hex(V.keys.client_ephemeral_x25519.private) } },
    hooks = { secret = function(conn, label, secret) got[label] = secret end },
  }, client_knobs(V.parsed.client_hello))))
  -- The RFC's server: it checks what it receives and answers with the RFC's records, so
  -- no server-side crypto runs here.
  local conn, ok, peer = play(ctx, {
    { expect = R[1].record, compare = "exact", name = "ClientHello" },
    { send = R[2].record .. R[3].record, name = "ServerHello + encrypted flight" },
    { expect = R[4].record, compare = "exact", name = "client Finished" },
    { send = R[5].record, name = "NewSessionTicket" },
    { expect = R[6].record, compare = "exact", name = "client application data" },
    { send = R[7].record, name = "server application data" },
    { expect = R[8].record, compare = "exact", name = "client close_notify" },
    { send = R[9].record, name = "server close_notify" },
  }, V, got, problems)
  if ok then
    -- RFC 8448 3: 50 bytes each way after the handshake, then close_notify both ways.
    send_exact(conn, R[6].payload, problems)
    receive_exact(conn, R[7].payload, problems)
    conn:close()
    conn:receive("*a") -- drain: the server's close_notify
  end
  return result(conn, peer, got, problems)
end

-- ---------------------------------------------------------------------------------
-- Section 3, server side
-- ---------------------------------------------------------------------------------

-- `how`: "pinned_salt" (default: the engine signs with the RFC's PSS salt) or
-- "sign_hook" (the sign hook returns the RFC's signature).
-- What both server runs (sections 3 and 5) share. The rng pins the server random and,
-- with how == "pinned_salt", the PSS salt; every other draw (RSA blinding: no effect on
-- the signature) comes from a deterministic filler. `draws`, when given, logs purposes.
local function server_rng(V, how, draws)
  local filler = 0
  local function fill(n)
    local t = {}
    for i = 1, n do
      filler = (filler * 1103515245 + 12345) % 2147483648
      t[i] = string.char((filler >> 16) & 255)
    end
    return table.concat(t)
  end
  return function(n, purpose)
    if draws then draws[#draws + 1] = purpose end
    if purpose == "server_random" then return hex(V.parsed.server_hello.random) end
    if purpose == "pss_salt" and how == "pinned_salt" then
      return hex(V.parsed.server_certificate_verify.pss_salt)
    end
    return fill(n)
  end
end

-- The engine knobs both server runs use (context keys, no hooks): the RFC's extension
-- order in ServerHello (and, with hrr, in the HelloRetryRequest), and the RFC's
-- EncryptedExtensions: the RFC server's supported_groups and record_size_limit added to
-- what the engine writes itself (the empty server_name that acknowledges SNI), in the
-- RFC's order. With hrr, the RFC's cookie too (hrr_cookie = bytes: the engine sends them
-- and checks that the second ClientHello echoes them).
local function server_knobs(V, hrr)
  local function types(exts)
    local t = {}
    for i, e in ipairs(exts) do t[i] = e.type end
    return t
  end
  local ee = V.parsed.encrypted_extensions.extensions
  local add = {}
  for _, e in ipairs(ee) do
    if e.name ~= "server_name" then add[#add + 1] = { type = e.type, data = hex(e.data) } end
  end
  local k = {
    extensions = {
      server_hello = { order = types(V.parsed.server_hello.extensions) },
      encrypted_extensions = { order = types(ee), add = add },
    },
  }
  if hrr then
    k.extensions.hello_retry_request = { order = types(V.parsed.hello_retry_request.extensions) }
    k.hrr_cookie = hex(V.parsed.hello_retry_request.cookie)
  end
  return k
end

-- The hooks both server runs use: the RFC's signature when how == "sign_hook", and every
-- secret into st.got. st.by_hook lists what a hook made; st.sign_calls counts signatures.
local function server_hooks(V, how, st)
  return {
    sign = function(conn, scheme, tbs)
      st.sign_calls = st.sign_calls + 1
      if how == "sign_hook" then
        st.by_hook.certificate_verify = "signature from the sign hook"
        return hex(V.parsed.server_certificate_verify.signature)
      end
    end,
    secret = function(conn, label, secret) st.got[label] = secret end,
  }
end

-- A context for the server runs: params plus the knobs.
local function server_context(params, knobs)
  for k, v in pairs(knobs) do params[k] = v end
  return assert(tls.context(params))
end

function M.server(V, how)
  V = V or M.vectors("1rtt")
  how = how or "pinned_salt"
  local R = records(V)
  local problems, st = {}, { got = {}, by_hook = {}, sign_calls = 0 }
  local got = st.got
  local ctx = server_context({
    mode = "server", versions = { "1.3" }, compat_ccs = false, tickets = 0,
    suites = { "TLS_AES_128_GCM_SHA256" }, groups = { "x25519" },
    certificate = M.pem("CERTIFICATE", hex(V.keys.server_certificate_der)),
    key = M.rsa_pem(V.keys.server_rsa),
    rng = server_rng(V, how),
    key_shares = { x25519 = { private = hex(V.keys.server_ephemeral_x25519.private) } },
    hooks = server_hooks(V, how, st),
  }, server_knobs(V, false))
  local conn, ok, peer = play(ctx, {
    { send = R[1].record, name = "ClientHello" },
    { expect = R[2].record, compare = "exact", name = "ServerHello" },
    { expect = R[3].record, compare = "exact", name = "server encrypted flight" },
    { send = R[4].record, name = "client Finished" },
    { expect = R[5].record, compare = "exact", name = "NewSessionTicket" },
    { send = R[6].record, name = "client application data" },
    { expect = R[7].record, compare = "exact", name = "server application data" },
    { send = R[8].record, name = "client close_notify" },
    { expect = R[9].record, compare = "exact", name = "server close_notify" },
  }, V, got, problems)
  if ok then
    -- tickets = 0: inject the RFC's NewSessionTicket (application keys, seq 0).
    st.by_hook.new_session_ticket = "injected RFC bytes"
    local rc = conn:_inject(22, hex(V.messages.new_session_ticket), true)
    if rc ~= 0 then problems[#problems + 1] = "inject NewSessionTicket: " .. rc end
    receive_exact(conn, R[6].payload, problems)
    send_exact(conn, R[7].payload, problems)
    conn:receive("*a") -- the client's close_notify
    conn:close()
  end
  return result(conn, peer, got, problems, { by_hook = st.by_hook, sign_calls = st.sign_calls })
end

-- ---------------------------------------------------------------------------------
-- Section 5 (HelloRetryRequest), client side
-- ---------------------------------------------------------------------------------

function M.hrr_client(V)
  V = V or M.vectors("hrr")
  local R = records(V)
  local got, problems = {}, {}
  -- Both ClientHellos from the knobs of the first (the second differs by the engine's own
  -- secp256r1 share and echoed cookie, and by a padding extension): the order is the
  -- second's (cookie and padding in their places), and a message_out hook adds the
  -- RFC's padding to the second, the one thing the engine does not build (wire only: no
  -- adoption needed).
  local knobs = client_knobs(V.parsed.client_hello_1)
  local order = {}
  for i, e in ipairs(V.parsed.client_hello_2.extensions) do order[i] = e.type end
  knobs.extensions.client_hello.order = order
  local padding
  for _, e in ipairs(V.parsed.client_hello_2.extensions) do
    if e.name == "padding" then padding = hex(e.data) end
  end
  local ctx = assert(tls.context(with({
    mode = "client", versions = { "1.3" }, verify = "none", compat_ccs = false,
    groups = { "x25519", "secp256r1" },
    rng = tls.rng.pinned{ client_random = hex(V.parsed.client_hello_1.random) },
    -- Only x25519 goes in the first ClientHello; pinning secp256r1 here would also put
    -- a secp256r1 share in it, and the RFC's HRR asking for secp256r1 would then be
    -- refused as "already shared".
    key_shares = { x25519 = { private = hex(V.keys.client_ephemeral_x25519.private) } },
    hooks = {
      -- the second ClientHello's share: the RFC's secp256r1 private key
      key_share = function(conn, group)
        if group == "secp256r1" then return hex(V.keys.client_ephemeral_secp256r1.private) end
      end,
      message_out = function(conn, msg, ev)
        if msg.type == "client_hello" and tls.ext.find(msg, "cookie") then
          tls.ext.insert(msg, { type = "padding", data = padding })
        end
      end,
      secret = function(conn, label, secret) got[label] = secret end,
    },
  }, knobs)))
  local conn, ok, peer = play(ctx, {
    { expect = R[1].record, compare = "exact", name = "ClientHello1" },
    { send = R[2].record, name = "HelloRetryRequest" },
    { expect = R[3].record, compare = "exact", name = "ClientHello2" },
    { send = R[4].record .. R[5].record, name = "ServerHello + encrypted flight" },
    { expect = R[6].record, compare = "exact", name = "client Finished" },
    { expect = R[7].record, compare = "exact", name = "client close_notify" },
    { send = R[8].record, name = "server close_notify" },
  }, V, got, problems)
  if ok then
    conn:close()
    conn:receive("*a")
  end
  return result(conn, peer, got, problems)
end

-- ---------------------------------------------------------------------------------
-- Section 5 (HelloRetryRequest), server side
-- ---------------------------------------------------------------------------------

-- The RFC's client offers an x25519 share; a server that only takes secp256r1 asks for
-- it with a HelloRetryRequest (the engine's own decision: no select hook, no quirk).
-- `how` as for M.server.
function M.hrr_server(V, how)
  V = V or M.vectors("hrr")
  how = how or "pinned_salt"
  local R = records(V)
  local problems, draws, st = {}, {}, { got = {}, by_hook = {}, sign_calls = 0 }
  local got = st.got
  local ctx = server_context({
    mode = "server", versions = { "1.3" }, compat_ccs = false, tickets = 0, -- no ticket in 5
    suites = { "TLS_AES_128_GCM_SHA256" }, groups = { "secp256r1" },
    certificate = M.pem("CERTIFICATE", hex(V.keys.server_certificate_der)),
    key = M.rsa_pem(V.keys.server_rsa),
    rng = server_rng(V, how, draws),
    key_shares = { secp256r1 = { private = hex(V.keys.server_ephemeral_secp256r1.private) } },
    hooks = server_hooks(V, how, st),
  }, server_knobs(V, true)) -- hrr_cookie: the RFC's 114 bytes, sent and checked
  local conn, ok, peer = play(ctx, {
    { send = R[1].record, name = "ClientHello1" },
    { expect = R[2].record, compare = "exact", name = "HelloRetryRequest" },
    { send = R[3].record, name = "ClientHello2" },
    { expect = R[4].record, compare = "exact", name = "ServerHello" },
    { expect = R[5].record, compare = "exact", name = "server encrypted flight" },
    { send = R[6].record, name = "client Finished" },
    { send = R[7].record, name = "client close_notify" },
    { expect = R[8].record, compare = "exact", name = "server close_notify" },
  }, V, got, problems)
  if ok then
    conn:receive("*a") -- the client's close_notify
    conn:close()
  end
  return result(conn, peer, got, problems,
                { by_hook = st.by_hook, sign_calls = st.sign_calls, draws = draws })
end

-- ---------------------------------------------------------------------------------
-- Section 7 (compatibility mode), client side
-- ---------------------------------------------------------------------------------

-- compat_ccs = true: the engine sends a 32-byte session id (pinned: purpose "session_id")
-- and a dummy change_cipher_spec record before its Finished, and takes the server's
-- (after the ServerHello) without counting it as a handshake message.
function M.compat_client(V)
  V = V or M.vectors("compat")
  local R = records(V)
  local got, problems = {}, {}
  local ctx = assert(tls.context(with({
    mode = "client", versions = { "1.3" }, verify = "none", compat_ccs = true,
    groups = { "x25519" },
    rng = tls.rng.pinned{ client_random = hex(V.parsed.client_hello.random),
                          session_id = hex(V.parsed.client_hello.legacy_session_id) },
    key_shares = { x25519 = { private = hex(V.keys.client_ephemeral_x25519.private) } },
    hooks = { secret = function(conn, label, secret) got[label] = secret end },
  }, client_knobs(V.parsed.client_hello))))
  local conn, ok, peer = play(ctx, {
    { expect = R[1].record, compare = "exact", name = "ClientHello" },
    { send = R[2].record .. R[3].record .. R[4].record,
      name = "ServerHello + change_cipher_spec + encrypted flight" },
    { expect = R[5].record, compare = "exact", name = "client change_cipher_spec" },
    { expect = R[6].record, compare = "exact", name = "client Finished" },
    { expect = R[7].record, compare = "exact", name = "client close_notify" },
    { send = R[8].record, name = "server close_notify" },
  }, V, got, problems)
  if ok then
    conn:close()
    conn:receive("*a")
  end
  return result(conn, peer, got, problems)
end

-- ---------------------------------------------------------------------------------
-- Section 4 (resumed 0-RTT handshake), client side
-- ---------------------------------------------------------------------------------

-- The session section 3 left the client: the ticket of its NewSessionTicket, the PSK
-- from its resumption_master_secret and ticket_nonce, ticket_age_add, lifetime 30 s,
-- max_early_data_size 1024, server name "server", in the engine's session format
-- (lib/handshake/ticket.h). `now` is when it arrived: the clock stays there, inside the
-- ticket's 30 seconds.
function M.session_from_1rtt(V3, now)
  local nst = V3.parsed.new_session_ticket
  local max_early = 0
  for _, e in ipairs(nst.extensions) do
    if e.name == "early_data" then max_early = string.unpack(">I4", hex(e.data)) end
  end
  return assert(tls.session(string.pack(">c4 I2 i8 I4 I4 I4 s1 s1 s1 s2", "MTS1", 0x1301, now,
    nst.ticket_lifetime, nst.ticket_age_add, max_early, hex(V3.key_schedule.resumption_psk), "",
    "server", hex(nst.ticket))))
end

-- Pinned client random and x25519 key, the session from section 3 and the RFC's six
-- bytes of early data; a message_out hook hands the engine the RFC's ClientHello
-- (ev.adopt: its random, and its offer the server's answers are checked against). The
-- engine derives the binder key, the early secrets and every traffic secret from the PSK,
-- and writes the early data record, EndOfEarlyData (under the early keys), Finished,
-- application data and close_notify; the peer compares each record exactly.
-- What differs from a plain engine run: the ClientHello's bytes (the RFC's client sends
-- extensions ours does not: renegotiation_info, record_size_limit, padding), so its
-- binder is the RFC's too; the engine's own binder over the same bytes is checked against
-- the RFC's through the psk_binder hook.
M.EARLY_SECRETS = {
  CLIENT_EARLY_TRAFFIC_SECRET = "client_early_traffic_secret",
  EARLY_EXPORTER_SECRET = "early_exporter_master_secret",
}

function M.resumption_client(V, V3)
  V = V or M.vectors("resumption")
  V3 = V3 or M.vectors("1rtt")
  local R = records(V)
  local got, problems, binders = {}, {}, {}
  local now = 1500000000
  local ctx = assert(tls.context{
    mode = "client", versions = { "1.3" }, verify = "none", compat_ccs = false,
    server_name = "server", suites = { "TLS_AES_128_GCM_SHA256" }, groups = { "x25519" },
    clock = function() return now end,
    session = M.session_from_1rtt(V3, now),
    early_data = R[2].payload,
    rng = tls.rng.pinned{ client_random = hex(V.parsed.client_hello.random) },
    key_shares = { x25519 = { private = hex(V.keys.client_ephemeral_x25519.private) } },
    hooks = {
      psk_binder = function(conn, index, computed) binders[index] = computed end,
      message_out = function(conn, msg, ev)
        if msg.type == "client_hello" then
          ev.adopt = true
          return hex(V.messages.client_hello)
        end
      end,
      secret = function(conn, label, secret) got[label] = secret end,
    },
  })
  local conn, ok, peer = play(ctx, {
    { expect = R[1].record, compare = "exact", name = "ClientHello" },
    { expect = R[2].record, compare = "exact", name = "early data" },
    { send = R[3].record .. R[4].record, name = "ServerHello + encrypted flight" },
    { expect = R[5].record, compare = "exact", name = "EndOfEarlyData" },
    { expect = R[6].record, compare = "exact", name = "client Finished" },
    { expect = R[7].record, compare = "exact", name = "client application data" },
    { send = R[8].record, name = "server application data" },
    { expect = R[9].record, compare = "exact", name = "client close_notify" },
    { send = R[10].record, name = "server close_notify" },
  }, V, got, problems)
  check_early_secrets(V, got, problems)
  -- The engine's binder: over our own hello it differs from the RFC's; over the RFC's
  -- truncated hello (the transcript hash the RFC prints) the schedule gives the RFC's,
  -- which test_keysched13.c checks; here it must at least be a 32-byte binder.
  if binders[1] == nil or #binders[1] ~= 32 then problems[#problems + 1] = "psk_binder hook did not fire" end
  if ok then
    local i = conn:info()
    if not i.resumed then problems[#problems + 1] = "not resumed" end
    if i.early_data ~= "accepted" then problems[#problems + 1] = "early data " .. tostring(i.early_data) end
    send_exact(conn, R[7].payload, problems)
    receive_exact(conn, R[8].payload, problems)
    conn:close()
    conn:receive("*a")
  end
  return result(conn, peer, got, problems, { binders = binders })
end

-- ---------------------------------------------------------------------------------
-- Section 4 (resumed 0-RTT handshake), server side
-- ---------------------------------------------------------------------------------

-- The ticket section 3's server sealed is opaque to ours: the context's psk lookup maps
-- that identity to section 3's resumption PSK (from resumption_master_secret and the
-- ticket nonce), with the ticket's age_add and max_early_data_size, issued at `now`. The
-- clock reads `now` plus the age the RFC's client claims (its obfuscated_ticket_age
-- minus age_add), so the engine's own 0-RTT age window check passes on its merits.
-- Pinned server random and x25519 key; the extensions knob orders ServerHello and adds
-- the RFC server's supported_groups and record_size_limit to EncryptedExtensions (the
-- engine writes server_name and early_data itself). The engine checks the RFC's binder,
-- accepts the early data, and writes ServerHello, EncryptedExtensions, Finished,
-- application data and close_notify: the peer compares each record exactly.
-- `lookup`, when given, replaces the mapping (a spec's negative case).
function M.resumption_server(V, V3, lookup)
  V = V or M.vectors("resumption")
  V3 = V3 or M.vectors("1rtt")
  local R = records(V)
  local got, problems, asked = {}, {}, {}
  local nst = V3.parsed.new_session_ticket
  local ticket, psk = hex(nst.ticket), hex(V3.key_schedule.resumption_psk)
  local max_early = 0
  for _, e in ipairs(nst.extensions) do
    if e.name == "early_data" then max_early = string.unpack(">I4", hex(e.data)) end
  end
  local age_ms
  for _, e in ipairs(V.parsed.client_hello.extensions) do
    if e.name == "pre_shared_key" then
      local _, obfuscated = string.unpack(">s2I4", hex(e.data), 3)
      age_ms = (obfuscated - nst.ticket_age_add) & 0xffffffff
    end
  end
  local issued = 1500000000
  local knobs = server_knobs(V, false)
  local add = {}
  for _, e in ipairs(knobs.extensions.encrypted_extensions.add) do
    if e.type ~= 42 then add[#add + 1] = e end -- early_data: the engine's own
  end
  knobs.extensions.encrypted_extensions.add = add
  local ctx = server_context({
    mode = "server", versions = { "1.3" }, compat_ccs = false, tickets = 0,
    suites = { "TLS_AES_128_GCM_SHA256" }, groups = { "x25519" },
    clock = function() return issued + age_ms // 1000 end,
    early_data = max_early,
    psk = function(conn, identity, obfuscated_age)
      asked[#asked + 1] = identity
      if lookup then return lookup(conn, identity, obfuscated_age) end
      if identity ~= ticket then return nil end
      return { key = psk, suite = "TLS_AES_128_GCM_SHA256", age_add = nst.ticket_age_add,
               issued = issued, max_early_data = max_early }
    end,
    rng = server_rng(V),
    key_shares = { x25519 = { private = hex(V.keys.server_ephemeral_x25519.private) } },
    hooks = { secret = function(conn, label, secret) got[label] = secret end },
  }, knobs)
  local conn, ok, peer = play(ctx, {
    { send = R[1].record, name = "ClientHello" },
    { send = R[2].record, name = "early data" },
    { expect = R[3].record, compare = "exact", name = "ServerHello" },
    { expect = R[4].record, compare = "exact", name = "server encrypted flight" },
    { send = R[5].record, name = "EndOfEarlyData" },
    { send = R[6].record, name = "client Finished" },
    { send = R[7].record, name = "client application data" },
    { expect = R[8].record, compare = "exact", name = "server application data" },
    { send = R[9].record, name = "client close_notify" },
    { expect = R[10].record, compare = "exact", name = "server close_notify" },
  }, V, got, problems)
  check_early_secrets(V, got, problems)
  if #asked ~= 1 or asked[1] ~= ticket then problems[#problems + 1] = "psk lookup not asked for the RFC's ticket" end
  if ok then
    local i = conn:info()
    if not i.resumed then problems[#problems + 1] = "not resumed" end
    if i.early_data ~= "accepted" then problems[#problems + 1] = "early data " .. tostring(i.early_data) end
    receive_exact(conn, R[2].payload, problems, "early data received")
    receive_exact(conn, R[7].payload, problems)
    send_exact(conn, R[8].payload, problems)
    conn:receive("*a") -- the client's close_notify
    conn:close()
  end
  return result(conn, peer, got, problems, { asked = asked })
end

-- ---------------------------------------------------------------------------------

local function main()
  local status = 0
  local function report(name, r)
    if r.ok then
      print(name .. ": reproduced byte for byte")
    else
      status = 1
      print(name .. ": FAILED")
      for _, p in ipairs(r.problems) do print("  " .. p) end
    end
    if r.by_hook then
      local keys = {}
      for k in pairs(r.by_hook) do keys[#keys + 1] = k end
      table.sort(keys)
      for _, k in ipairs(keys) do print(("  by hook: %s (%s)"):format(k, r.by_hook[k])) end
    end
  end
  report("RFC 8448 section 3, client side", M.client())
  report("RFC 8448 section 3, server side", M.server())
  report("RFC 8448 section 3, server side (sign hook)", M.server(nil, "sign_hook"))
  report("RFC 8448 section 5 (HRR), client side", M.hrr_client())
  report("RFC 8448 section 5 (HRR), server side", M.hrr_server())
  report("RFC 8448 section 5 (HRR), server side (sign hook)", M.hrr_server(nil, "sign_hook"))
  report("RFC 8448 section 4 (resumed 0-RTT), client side", M.resumption_client())
  report("RFC 8448 section 4 (resumed 0-RTT), server side", M.resumption_server())
  report("RFC 8448 section 7 (compatibility mode), client side", M.compat_client())
  os.exit(status)
end

if arg and arg[0] and arg[0]:match("rfc8448%.lua$") then main() end
return M
