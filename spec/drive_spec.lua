-- Manual driving and expectations (SCRIPTING.md 6.7; bindings/moontls/drive.lua): build,
-- send_message / send_record / send_raw / send_alert, expect* and drive, both roles, in
-- memory and against openssl s_server / s_client, with the peer's answer asserted.
local tls = require "moontls"
local H = require "interop.helpers"
local socket = require "socket"

local PKI = H.PKI
local function client(over)
  local p = { mode = "client", versions = { "1.3" }, verify = "none" }
  for k, v in pairs(over or {}) do p[k] = v end
  return assert(tls.context(p))
end
local function server(over)
  local p = { mode = "server", versions = { "1.3" }, certificate = PKI .. "leaf-p256.pem",
              key = PKI .. "leaf-p256.key" }
  for k, v in pairs(over or {}) do p[k] = v end
  return assert(tls.context(p))
end

describe("manual driving in memory", function()
  it("build returns the engine's ClientHello and keeps it pending; send_message sends it", function()
    local c, s = tls.pair(client(), server())
    local ch = assert(c:build("client_hello"))
    assert.equal("client_hello", ch.type)
    assert.truthy(tls.ext.find(ch, "supported_versions"))
    assert.same(ch.random, c:build("client_hello").random) -- still the same pending message
    assert.is_true(c:send_message(ch))
    assert.is_true(c:handshake()) -- back to automatic mode (the memory peer runs on demand)
    assert.is_true(c:info().handshake_done)
  end)

  it("build of a message the engine would not send now is a state error", function()
    local c = tls.pair(client(), server())
    local m, err = c:build("finished")
    assert.is_nil(m)
    assert.equal("state", err.kind)
    assert.matches("would send client_hello now, not finished", tostring(err))
  end)

  it("extensions length +1 draws decode_error; then the peer closes", function()
    local c, s = tls.pair(client(), server())
    local ch = c:build("client_hello")
    ch.extensions_len = function(n) return n + 1 end
    assert.is_true(c:send_message(ch, { name = "CH" }))
    assert.is_nil(s:handshake())
    s:close()
    local a = assert(c:expect_alert("decode_error"))
    assert.same({ level = "fatal", name = "decode_error", code = 50 }, a)
    assert.is_true(c:expect_close())
  end)

  it("send_message by type with a body mutator", function()
    local c, s = tls.pair(client(), server())
    assert.is_true(c:send_message("client_hello", nil, { body = tls.mut.truncate(2) }))
    s:handshake()
    local _, err = c:expect("server_hello", nil, { name = "SH" })
    assert.equal("alert_received", err.kind)
    assert.is_true(tls.is_alert(err, "decode_error"))
    assert.is_true(tls.is_alert(err, { "illegal_parameter", "decode_error" }))
    assert.is_false(tls.is_alert(err, "bad_record_mac"))
    assert.equal('step "SH": expected server_hello, got alert (fatal decode_error)', tostring(err))
  end)

  it("scripted server: expect ClientHello with checks, build and send its flight, drive to Finished", function()
    local c, s = tls.pair(client(), server())
    c:run()
    local ch = assert(s:expect("client_hello", {
      legacy_version = "1.2",
      legacy_compression_methods = function(v) return #v == 1, "one method" end,
    }, { name = "CH" }))
    assert.equal("client_hello", ch.type)
    local sh = assert(s:build("server_hello"))
    assert.equal("TLS_AES_128_GCM_SHA256", sh.cipher_suite)
    assert.is_true(s:send_message(sh))
    assert.is_true(s:drive{ ["until"] = "finished" })
    local fin = assert(s:build("finished"))
    assert.is_true(s:send_message(fin))
    -- the client, automatic, answers with its Finished
    assert.truthy(s:expect("finished", nil, { name = "client Finished" }))
    assert.is_true(c:info().handshake_done)
    assert.is_true(s:info().handshake_done)
  end)

  it("a ServerHello naming an unoffered suite draws illegal_parameter from our client", function()
    local c, s = tls.pair(client{ suites = { "TLS_AES_128_GCM_SHA256" } }, server())
    c:run()
    assert.truthy(s:expect("client_hello"))
    local sh = s:build("server_hello")
    sh.cipher_suite = "TLS_CHACHA20_POLY1305_SHA256"
    s:send_message(sh)
    assert.is_nil(c:handshake())
    local a = assert(s:expect_alert({ "illegal_parameter" }, { level = "fatal" }))
    assert.equal(47, a.code)
  end)

  it("unasked messages queue for the next expect; a wrong type is 'unexpected' with got", function()
    local c, s = tls.pair(client(), server())
    c:send_message("client_hello")
    assert.truthy(c:expect("server_hello"))
    local _, err = c:expect("certificate", nil, { name = "Cert" })
    assert.equal("unexpected", err.kind)
    assert.equal("encrypted_extensions", err.got.type)
    assert.equal('step "Cert": expected certificate, got encrypted_extensions', tostring(err))
    assert.truthy(c:expect("certificate"))
    local i, v = c:expect_one_of{ "finished", { alert = true }, "certificate_verify" }
    assert.equal(3, i)
    assert.equal("certificate_verify", v.type)
    local _, e2 = c:expect("finished", { verify_data = "x" })
    assert.equal("unexpected", e2.kind)
    assert.matches("verify_data", tostring(e2))
  end)

  it("expect_nothing, timeout, EOF without alert and close_notify are distinct", function()
    local c, s = tls.pair(client(), server())
    c:send_message("client_hello")
    local _, err = c:expect_alert("decode_error", { timeout = 0.1 })
    assert.equal("unexpected", err.kind) -- ServerHello arrives, not an alert
    assert.equal("server_hello", err.got.type)
    local c2, s2 = tls.pair(client(), server())
    c2:send_message("client_hello")
    assert.truthy(s2:expect("client_hello")) -- the scripted server now holds its ServerHello
    local _, t = c2:expect("server_hello", nil, { timeout = 0.1 })
    assert.equal("timeout", t.kind) -- the server never ran: nothing came
    s2:close("silent")
    local _, eof = c2:expect("server_hello")
    assert.equal("eof", eof.kind)
    assert.equal("expected server_hello, got EOF without an alert", tostring(eof))
    local c3, s3 = tls.pair(client(), server())
    assert.is_true(tls.pump(c3, s3))
    assert.is_true(c3:expect_nothing(0.1))
    s3:close()
    local _, cl = c3:expect("new_session_ticket")
    assert.equal("closed", cl.kind)
    assert.equal("close_notify", cl.alert.name)
  end)

  it("send_alert, send_record, send_raw", function()
    local c, s = tls.pair(client(), server())
    c:send_message("client_hello")
    assert.is_true(c:send_alert("fatal", "user_canceled"))
    local _, e = s:handshake()
    assert.matches("user_canceled", tostring(e))
    -- a plaintext record of an unknown content type straight to the wire
    local c2, s2 = tls.pair(client(), server())
    assert.is_true(c2:send_record(99, "xx", { protect = false }))
    assert.is_nil(s2:handshake())
    s2:close()
    assert.truthy(c2:expect_alert("unexpected_message"))
    local c3, s3 = tls.pair(client(), server())
    assert.is_true(c3:send_raw("\22\3\1\0\4"))
    assert.is_true(c3:send_raw("\1\0\0\0")) -- a ClientHello with an empty body
    assert.is_nil(s3:handshake())
    assert.truthy(c3:expect_alert({ "decode_error", "unexpected_message" }))
  end)

  it("adopt: an adopted ClientHello edit becomes what the engine offered", function()
    local c, s = tls.pair(client{ suites = { "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384" } },
      server{ suites = { "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256" } })
    local ch = c:build("client_hello")
    ch.cipher_suites = { "TLS_AES_256_GCM_SHA384" }
    c:send_message(ch, { adopt = true })
    assert.is_true(c:handshake())
    assert.equal("TLS_AES_256_GCM_SHA384", c:info().suite)
  end)
end)

describe("manual driving against OpenSSL", function()
  after_each(H.cleanup)

  it("openssl s_server answers a ClientHello with extensions length +1 with decode_error", function()
    local _, port = H.openssl_server("leaf-p256", "-www")
    local c = assert(tls.connect("127.0.0.1", port, client(), { timeout = 5 }))
    local ch = c:build("client_hello")
    ch.extensions_len = function(n) return n + 1 end
    assert.is_true(c:send_message(ch, { name = "CH" }))
    assert.truthy(c:expect_alert("decode_error"))
    assert.is_true(c:expect_close())
    c:close("silent")
  end)

  it("openssl s_server: the handshake completes after manual steps", function()
    local _, port = H.openssl_server("leaf-p256", "-www")
    local c = assert(tls.connect("127.0.0.1", port, client(), { timeout = 5 }))
    c:send_message("client_hello", nil, { name = "CH" })
    assert.truthy(c:expect("server_hello", { legacy_version = "1.2" }))
    assert.is_true(c:drive{ ["until"] = "finished" })
    assert.truthy(c:expect("finished"))
    assert.is_true(c:handshake())
    assert.equal(5, c:send("GET /"))
    c:close()
  end)

  it("openssl s_client answers a ServerHello naming an unoffered suite with illegal_parameter", function()
    local listener = assert(socket.bind("127.0.0.1", 0))
    local _, port = listener:getsockname()
    H.spawn(("openssl s_client -connect 127.0.0.1:%d -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -ign_eof")
      :format(port), H.TMP .. "-sclient.log", 20)
    listener:settimeout(10)
    local sock = assert(listener:accept())
    listener:close()
    local s = server():wrap(sock)
    s:settimeout(5)
    local ch = assert(s:expect("client_hello", { cipher_suites = function(v) return #v >= 1 end }))
    assert.truthy(ch)
    local sh = assert(s:build("server_hello"))
    sh.cipher_suite = "TLS_CHACHA20_POLY1305_SHA256"
    assert.is_true(s:send_message(sh, { name = "SH" }))
    assert.truthy(s:expect_alert("illegal_parameter"))
    assert.is_true(s:expect_close())
    s:close("silent")
  end)
end)
