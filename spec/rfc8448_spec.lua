-- RFC 8448 byte for byte through the public Lua API (SCRIPTING.md 7 (e)):
-- scripts/examples/rfc8448.lua drives the engine against trace peers playing the RFC's
-- records; here we check what it returns and a few facts about the transcripts.
local tls = require "moontls"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "spec"
local example = dofile(here .. "/../scripts/examples/rfc8448.lua")
local hex = tls.hex.decode

local function problems(r) return table.concat(r.problems, "\n") end

describe("RFC 8448 section 3 (simple 1-RTT)", function()
  local V = example.vectors("1rtt")

  it("client side: every record and every secret equal the RFC's", function()
    local r = example.client(V)
    assert.is_true(r.ok, problems(r))
    assert.is_true(r.peer:done(), "the RFC server's steps did not all run")
    for label, key in pairs(example.SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    -- the ClientHello is the engine's, shaped by context keys: no message_out hook
    assert.is_nil(r.conn:_state().ctx:_params().hooks.message_out)
    assert.equal(hex(V.messages.client_hello), assert(r.transcript:message("client_hello")).raw)
    -- the client Finished record, byte for byte (the peer compared it; check it again here)
    local t = r.transcript
    local finished = t:flight(3)
    -- (the application data record follows in the same flight: the client writes it
    -- before it reads the ticket)
    assert.equal(hex(V.records[4].record), finished.wire:sub(1, #V.records[4].record // 2))
    assert.equal(hex(V.records[4].record) .. hex(V.records[6].record), finished.wire)
    assert.equal("finished", finished.messages[1].type)
    -- the transcript's decoded view of the RFC server's flight
    local sh = assert(t:message("server_hello"))
    assert.equal(hex(V.parsed.server_hello.random), sh.random)
    local cv = assert(t:message("certificate_verify"))
    assert.equal("rsa_pss_rsae_sha256", cv.algorithm)
    assert.equal(hex(V.messages.server_certificate_verify), cv.raw)
  end)

  it("server side: the engine signs the RFC's CertificateVerify with the pinned PSS salt", function()
    local r = example.server(V)
    assert.is_true(r.ok, problems(r))
    assert.is_true(r.peer:done())
    assert.equal(1, r.sign_calls)
    assert.is_nil(r.by_hook.certificate_verify) -- the engine's own signature
    -- no message_out hook at all: ServerHello and EncryptedExtensions come from the
    -- engine, shaped by the extensions knob; only the ticket is injected
    assert.same({ new_session_ticket = "injected RFC bytes" }, r.by_hook)
    local ctx = r.conn:_state().ctx
    assert.is_nil(ctx:_params().hooks.message_out)
    local ee = assert(r.transcript:message("encrypted_extensions"))
    assert.equal(hex(V.messages.encrypted_extensions), ee.raw)
    for label, key in pairs(example.SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    local flight = r.transcript:flight(2)
    assert.equal(hex(V.records[2].record) .. hex(V.records[3].record), flight.wire)
    local types = {}
    for i, m in ipairs(flight.messages) do types[i] = m.type end
    assert.same({ "server_hello", "encrypted_extensions", "certificate", "certificate_verify", "finished" }, types)
  end)

  it("server side: the sign hook's answer is the signature", function()
    local r = example.server(V, "sign_hook")
    assert.is_true(r.ok, problems(r))
    assert.equal("signature from the sign hook", r.by_hook.certificate_verify)
  end)

  it("a wrong byte in the RFC server's flight fails the client with a named error", function()
    -- sanity of the harness: the same run with one flipped ciphertext byte must fail
    local V2 = example.vectors("1rtt")
    local rec = V2.records[3].record
    V2.records[3].record = rec:sub(1, 40) .. (rec:sub(41, 42) == "00" and "01" or "00") .. rec:sub(43)
    local r = example.client(V2)
    assert.is_false(r.ok)
    assert.matches("handshake: ", problems(r))
  end)
end)

describe("RFC 8448 section 5 (HelloRetryRequest)", function()
  it("client side: both ClientHellos, the Finished and every secret equal the RFC's", function()
    local V = example.vectors("hrr")
    local r = example.hrr_client(V)
    assert.is_true(r.ok, problems(r))
    assert.is_true(r.conn:info().hrr)
    assert.equal("secp256r1", r.conn:info().group)
    local hrr = assert(r.transcript:message("hello_retry_request"))
    assert.equal("secp256r1", tls.ext.find(hrr, "key_share").selected_group)
    -- both ClientHellos as the RFC has them, from the engine and the knobs (a hook only
    -- adds the second one's padding)
    assert.equal(hex(V.messages.client_hello_1), assert(r.transcript:message("client_hello", 1)).raw)
    assert.equal(hex(V.messages.client_hello_2), assert(r.transcript:message("client_hello", 2)).raw)
  end)

  it("server side: the engine retries for secp256r1 and produces the RFC's HRR, ServerHello and flight", function()
    local V = example.vectors("hrr")
    local r = example.hrr_server(V)
    assert.is_true(r.ok, problems(r))
    assert.is_true(r.peer:done())
    assert.is_true(r.conn:info().hrr)
    assert.equal("secp256r1", r.conn:info().group)
    assert.equal(1, r.sign_calls)
    assert.is_nil(r.by_hook.certificate_verify) -- the engine's own signature (pinned salt)
    -- no hook made any of it: the HRR (with the RFC's cookie), ServerHello and
    -- EncryptedExtensions are the engine's, shaped by hrr_cookie and extensions
    assert.same({}, r.by_hook)
    assert.is_nil(r.conn:_state().ctx:_params().hooks.message_out)
    -- the engine drew no cookie of its own (hrr_cookie = fixed bytes) and one server random
    local n_random = 0
    for _, p in ipairs(r.draws) do
      assert.not_equal("cookie", p)
      if p == "server_random" then n_random = n_random + 1 end
    end
    assert.equal(1, n_random)
    for label, key in pairs(example.SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    local t = r.transcript
    assert.equal(hex(V.records[2].record), t:flight(2).wire)
    local flight = t:flight(4)
    assert.equal(hex(V.records[4].record) .. hex(V.records[5].record), flight.wire)
    local types = {}
    for i, m in ipairs(flight.messages) do types[i] = m.type end
    assert.same({ "server_hello", "encrypted_extensions", "certificate", "certificate_verify", "finished" }, types)
    local hrr = assert(t:message("hello_retry_request"))
    assert.equal(hex(V.messages.hello_retry_request), hrr.raw)
    assert.equal(hex(V.parsed.hello_retry_request.cookie), tls.ext.find(hrr, "cookie").cookie)
    -- the client's Finished, over message_hash(ClientHello1) + the RFC's HRR bytes + ...,
    -- verified: the engine's transcript hashed the HRR as sent, not as it built it
    assert.equal("finished", t:flight(5).messages[1].type)
  end)

  it("server side: the sign hook's answer is the signature", function()
    local r = example.hrr_server(nil, "sign_hook")
    assert.is_true(r.ok, problems(r))
    assert.equal("signature from the sign hook", r.by_hook.certificate_verify)
  end)
end)

describe("RFC 8448 section 7 (compatibility mode)", function()
  it("client side: session id, both change_cipher_spec records, the Finished and every secret", function()
    local V = example.vectors("compat")
    local r = example.compat_client(V)
    assert.is_true(r.ok, problems(r))
    assert.is_true(r.peer:done())
    for label, key in pairs(example.SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    local t = r.transcript
    local ch = assert(t:message("client_hello"))
    assert.is_nil(r.conn:_state().ctx:_params().hooks.message_out) -- knobs, no hook
    assert.equal(hex(V.messages.client_hello), ch.raw)
    assert.equal(32, #ch.legacy_session_id)
    assert.equal(hex(V.parsed.client_hello.legacy_session_id), ch.legacy_session_id)
    assert.equal(hex(V.parsed.server_hello.legacy_session_id_echo), assert(t:message("server_hello")).legacy_session_id_echo)
    -- the server's CCS between its ServerHello and its encrypted flight, accepted
    local types = {}
    for i, m in ipairs(t:flight(2).messages) do types[i] = m.type end
    assert.same({ "server_hello", "change_cipher_spec", "encrypted_extensions", "certificate",
                  "certificate_verify", "finished" }, types)
    -- ours: the CCS record right before the Finished, exactly the RFC's two records
    local out = t:flight(3)
    assert.equal("change_cipher_spec", out.messages[1].type)
    assert.equal("finished", out.messages[2].type)
    assert.equal(hex(V.records[5].record) .. hex(V.records[6].record) .. hex(V.records[7].record), out.wire)
  end)
end)

describe("RFC 8448 section 4 (resumed 0-RTT)", function()
  local V = example.vectors("resumption")

  it("client side: from section 3's ticket, every record and every secret equal the RFC's", function()
    local r = example.resumption_client(V)
    assert.is_true(r.ok, problems(r))
    assert.is_true(r.peer:done(), "the RFC server's steps did not all run")
    for label, key in pairs(example.SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    for label, key in pairs(example.EARLY_SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    assert.is_true(r.conn:info().resumed)
    assert.equal("accepted", r.conn:info().early_data)
    -- the first flight: ClientHello, then the early data record under the early keys
    local f1 = r.transcript:flight(1)
    assert.equal(hex(V.records[1].record) .. hex(V.records[2].record), f1.wire)
    -- EndOfEarlyData then Finished, byte for byte
    local f3 = r.transcript:flight(3)
    assert.equal(hex(V.records[5].record) .. hex(V.records[6].record),
                 f3.wire:sub(1, (#V.records[5].record + #V.records[6].record) // 2))
    assert.equal("end_of_early_data", f3.messages[1].type)
  end)

  it("server side: the psk lookup maps the RFC's ticket to section 3's PSK; ServerHello, EncryptedExtensions, Finished and every secret equal the RFC's", function()
    local r = example.resumption_server(V)
    assert.is_true(r.ok, problems(r))
    assert.is_true(r.peer:done(), "the RFC client's steps did not all run")
    assert.same({ hex(example.vectors("1rtt").parsed.new_session_ticket.ticket) }, r.asked)
    for label, key in pairs(example.SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    for label, key in pairs(example.EARLY_SECRETS) do
      assert.equal(hex(V.key_schedule[key]), r.secrets[label], label)
    end
    assert.is_true(r.conn:info().resumed)
    assert.equal("accepted", r.conn:info().early_data)
    -- the server's flight: ServerHello in the clear, then EncryptedExtensions (with
    -- early_data) and Finished under the handshake keys, byte for byte
    local f = r.transcript:flight(2)
    assert.equal(hex(V.records[3].record) .. hex(V.records[4].record), f.wire)
    assert.same({ "server_hello", "encrypted_extensions", "finished" },
                { f.messages[1].type, f.messages[2].type, f.messages[3].type })
  end)

  it("server side: a lookup that does not know the ticket leaves a full handshake, which the RFC's client cannot finish", function()
    -- the same run with the lookup answering nil: no certificate, so handshake_failure
    local r = example.resumption_server(V, nil, function() return nil end)
    assert.is_false(r.ok)
    assert.matches("handshake_failure", problems(r))
  end)
end)
