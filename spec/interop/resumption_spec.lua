-- Live resumption interop on 127.0.0.1 (RFC 8446 2.2, 4.6.1), both roles:
--   moontls client -> openssl s_server -www, gnutls-serv --echo: a first handshake
--     leaves a session from the peer's NewSessionTicket; the second resumes with it;
--   openssl s_client -sess_out / -sess_in, gnutls-cli --resume -> moontls server.
-- Every peer is started and killed here; every wait is bounded.
local tls = require "moontls"
local H = require "interop.helpers"

local function have(cmd)
  return os.execute("command -v " .. cmd .. " >/dev/null 2>&1") == true
end

local S_CLIENT = "openssl s_client -tls1_3 -connect 127.0.0.1:%d -CAfile " .. H.CA
  .. " -servername localhost -verify_return_error -ign_eof"

-- One GET to s_server -www; the page says "New, ..." or "Reused, ...". The tickets
-- arrive before the page, so the connection has a session afterwards.
local function www(port, opts)
  local c, err, name
  for _ = 1, 20 do
    local ctx = assert(tls.context{ mode = "client", cafile = H.CA, server_name = "localhost" })
    c, err, name = tls.connect("127.0.0.1", port, ctx, { timeout = 10, handshake = true,
                                                           session = opts and opts.session })
    if c or not tostring(err):find("connection refused", 1, true) then break end
    require("socket").sleep(0.05)
  end
  assert.truthy(c, tostring(err) .. " " .. tostring(name))
  assert(c:send("GET / HTTP/1.0\r\n\r\n"))
  local page = c:receive("*a") or ""
  c:close()
  return c, page
end

describe("moontls client resumes with", function()
  after_each(H.kill_all)
  teardown(H.cleanup)

  it("openssl s_server", function()
    if not have("openssl") then pending("no openssl") return end
    local pid, port = H.openssl_server("leaf-p256", "-www")
    local c1, page1 = www(port)
    assert.matches("New, TLSv1.3", page1)
    assert.is_false(c1:info().resumed)
    local sess = assert(c1:session(), "no session from s_server's tickets")
    local c2, page2 = www(port, { session = sess })
    assert.is_true(c2:info().resumed)
    assert.matches("Reused, TLSv1.3", page2)
    -- the bytes survive export and import
    local c3, page3 = www(port, { session = tls.session(sess:export()) })
    assert.is_true(c3:info().resumed)
    assert.matches("Reused, TLSv1.3", page3)
    assert.truthy(pid)
  end)

  it("openssl s_server after a HelloRetryRequest (binder over the new transcript)", function()
    if not have("openssl") then pending("no openssl") return end
    -- we share x25519 only; s_server takes P-256 only: HRR on both connections
    local _, port = H.openssl_server("leaf-p256", "-www -groups P-256")
    local c1, page1 = www(port)
    assert.matches("New, TLSv1.3", page1)
    assert.is_true(c1:info().hrr)
    local c2, page2 = www(port, { session = assert(c1:session()) })
    assert.is_true(c2:info().hrr)
    assert.is_true(c2:info().resumed)
    assert.matches("Reused, TLSv1.3", page2)
  end)

  it("gnutls-serv", function()
    if not have("gnutls-serv") then pending("no gnutls-serv") return end
    local _, port = H.gnutls_server("leaf-p256")
    local function once(sess)
      local ctx = assert(tls.context{ mode = "client", cafile = H.CA, server_name = "localhost" })
      local c, err
      for _ = 1, 20 do
        c, err = tls.connect("127.0.0.1", port, ctx, { timeout = 10, handshake = true, session = sess })
        if c or not tostring(err):find("connection refused", 1, true) then break end
        require("socket").sleep(0.05)
      end
      assert.truthy(c, tostring(err))
      assert(c:send("ping\n"))
      assert.equal("ping", c:receive("*l"))
      local s = c:session()
      local resumed = c:info().resumed
      c:close()
      return resumed, s
    end
    local r1, sess = once()
    assert.is_false(r1)
    assert.truthy(sess, "no session from gnutls-serv's ticket")
    local r2 = once(sess)
    assert.is_true(r2)
  end)
end)

-- The client's session from a peer that answers nothing (s_server -early_data cannot
-- serve -www): its tickets come right after our Finished; read until they are there
-- (bounded: 50 reads of at most 0.1 s).
local function session_from(c)
  c:settimeout(0.1)
  for _ = 1, 50 do
    if c:session() then break end
    c:receive(1)
  end
  return c:session()
end

describe("moontls client 0-RTT", function()
  after_each(H.kill_all)
  teardown(H.cleanup)

  it("to openssl s_server -early_data: accepted, and the server prints it", function()
    if not have("openssl") then pending("no openssl") return end
    -- s_server -early_data cannot serve -www, and it drops a connection when its stdin
    -- ends: its stdin is a pipe this test holds open, and it exits after two connections
    -- (or when the pipe closes, or after 30 s).
    local port = H.random_port()
    local log = H.TMP .. "/s_server-early.log"
    os.execute("mkdir -p " .. H.TMP)
    local stdin = assert(io.popen(("exec timeout 30 openssl s_server -accept 127.0.0.1:%d -tls1_3 "
      .. "-cert %sleaf-p256.pem -key %sleaf-p256.key -cert_chain %sint-ca.pem -early_data "
      .. "-naccept 2 >%s 2>&1"):format(port, H.PKI, H.PKI, H.PKI, log), "w"))
    local ok, err = pcall(function()
      assert.truthy(H.wait_log(nil, log, "ACCEPT", 10), H.read(log))
      local ctx = assert(tls.context{ mode = "client", cafile = H.CA, server_name = "localhost" })
      local c1 = assert(H.connect(port))
      local sess = assert(session_from(c1), "no ticket from s_server")
      assert.is_true(sess.max_early_data > 0)
      c1:close()
      local c2 = assert(tls.connect("127.0.0.1", port, ctx, { timeout = 10, session = sess,
                                                               early_data = "zero round trip\n" }))
      assert(c2:handshake())
      assert.is_true(c2:info().resumed)
      assert.equal("accepted", c2:info().early_data)
      assert(c2:send("after the handshake\n"))
      assert.truthy(H.wait_log(nil, log, "after the handshake", 10))
      c2:close()
      local l = H.read(log)
      assert.truthy(l:find("Early data received:", 1, true), l)
      assert.truthy(l:find("zero round trip", 1, true))
      assert.truthy(l:find("End of early data", 1, true))
    end)
    stdin:close() -- s_server is done (two connections) or ends on end of input
    assert(ok, err)
  end)
end)

describe("moontls client 0-RTT to gnutls-serv", function()
  after_each(H.kill_all)
  teardown(H.cleanup)

  it("--earlydata: accepted, and the connection carries on (EndOfEarlyData, keys)", function()
    if not have("gnutls-serv") then pending("no gnutls-serv") return end
    -- gnutls-serv takes the early data but neither echoes nor prints it: the proof is the
    -- accepted answer and a working connection after it
    local _, port = H.gnutls_server("leaf-p256", nil, "--earlydata")
    local ctx = assert(tls.context{ mode = "client", cafile = H.CA, server_name = "localhost" })
    local c1 = assert(H.connect(port))
    assert(c1:send("ping\n"))
    assert.equal("ping", c1:receive("*l"))
    local sess = assert(c1:session(), "no ticket from gnutls-serv")
    c1:close()
    assert.is_true(sess.max_early_data > 0)
    local c2 = assert(tls.connect("127.0.0.1", port, ctx, { timeout = 10, session = sess,
                                                             early_data = "zero\n" }))
    assert(c2:handshake())
    assert.is_true(c2:info().resumed)
    assert.equal("accepted", c2:info().early_data)
    assert(c2:send("after\n"))
    assert.equal("after", c2:receive("*l"))
    c2:close()
  end)
end)

describe("a moontls server resumes", function()
  after_each(H.kill_all)
  teardown(H.cleanup)

  it("openssl s_client -sess_out then -sess_in", function()
    if not have("openssl") then pending("no openssl") return end
    local pid, port, log = H.moontls_server{ count = 2 }
    local sess = H.TMP .. "/s_client.sess"
    local out1 = H.run_client(S_CLIENT:format(port) .. " -sess_out " .. sess, "one\n", "echo: one")
    assert.matches("New, TLSv1.3", out1)
    assert.truthy(H.read(sess):find("BEGIN SSL SESSION PARAMETERS", 1, true), "s_client kept no session")
    local out2 = H.run_client(S_CLIENT:format(port) .. " -sess_in " .. sess, "two\n", "echo: two")
    assert.matches("Reused, TLSv1.3", out2)
    assert.truthy(H.wait_exit(pid, 10))
    local l = H.read(log)
    assert.matches("resumed=false", l)
    assert.matches("handshake ok .* resumed=true", l)
  end)

  it("openssl s_client -sess_in -early_data: accepted (and refused when off)", function()
    if not have("openssl") then pending("no openssl") return end
    local pid, port, log = H.moontls_server{ count = 2, early_data = 1024 }
    local sess = H.TMP .. "/s_client-early.sess"
    local early = H.TMP .. "/early.txt"
    H.write(early, "early line\n")
    local out1 = H.run_client(S_CLIENT:format(port) .. " -sess_out " .. sess, "one\n", "echo: one")
    assert.matches("New, TLSv1.3", out1)
    assert.matches("Max Early Data: 1024", out1)
    local out2 = H.run_client(S_CLIENT:format(port) .. " -sess_in " .. sess .. " -early_data " .. early,
      "two\n", "echo: early line")
    assert.matches("Reused, TLSv1.3", out2)
    assert.matches("Early data was accepted", out2)
    assert.matches("echo: early line", out2)
    assert.truthy(H.wait_exit(pid, 10))
    assert.matches("handshake ok .* resumed=true early=accepted", H.read(log))
  end)

  it("openssl s_client -early_data to a server that does not take it: skipped, 1-RTT", function()
    if not have("openssl") then pending("no openssl") return end
    -- tickets from an early_data server, then the same ticket key refusing it
    local pid, port, log = H.moontls_server{ count = 2, early_data = 1024 }
    local sess = H.TMP .. "/s_client-early2.sess"
    local early = H.TMP .. "/early2.txt"
    H.write(early, "early line\n")
    H.run_client(S_CLIENT:format(port) .. " -sess_out " .. sess, "one\n", "echo: one")
    -- the same ticket twice: the single-use cache refuses the second 0-RTT
    H.run_client(S_CLIENT:format(port) .. " -sess_in " .. sess .. " -early_data " .. early,
      "two\n", "echo: early line")
    assert.truthy(H.wait_exit(pid, 10))
    local pid2, port2, log2 = H.moontls_server{ count = 1 }
    local out = H.run_client(S_CLIENT:format(port2) .. " -sess_in " .. sess .. " -early_data " .. early,
      "three\n", "echo: three")
    assert.matches("Early data was rejected", out)
    assert.matches("echo: three", out)
    assert.truthy(H.wait_exit(pid2, 10))
    assert.matches("handshake ok .* early=rejected", H.read(log2))
    assert.truthy(log)
  end)

  it("gnutls-cli --resume --earlydata: accepted and echoed", function()
    if not have("gnutls-cli") then pending("no gnutls-cli") return end
    local pid, port, log = H.moontls_server{ count = 2, early_data = 1024 }
    local early = H.TMP .. "/gnutls-early.txt"
    H.write(early, "early line\n")
    local out = H.run_client(("gnutls-cli --x509cafile %s --resume --earlydata=%s -p %d 127.0.0.1 "
      .. "--sni-hostname localhost --verify-hostname localhost"):format(H.CA, early, port),
      "hello\n", "echo: early line", 20)
    assert.matches("This is a resumed session", out)
    assert.matches("echo: early line", out)
    assert.truthy(H.wait_exit(pid, 10))
    assert.matches("handshake ok .* resumed=true early=accepted", H.read(log))
  end)

  it("gnutls-cli --resume", function()
    if not have("gnutls-cli") then pending("no gnutls-cli") return end
    local pid, port, log = H.moontls_server{ count = 2 }
    local out = H.run_client(("gnutls-cli --x509cafile %s --resume -p %d 127.0.0.1 --sni-hostname localhost --verify-hostname localhost")
      :format(H.CA, port), "hello\n", "This is a resumed session", 20)
    assert.matches("This is a resumed session", out)
    assert.truthy(H.wait_exit(pid, 10))
    assert.matches("handshake ok .* resumed=true", H.read(log))
  end)
end)

-- PSK binders against OpenSSL (RFC 8446 4.2.11.2, 6.2): a binder that does not validate
-- ends the handshake. RFC 8446 6.2 names decrypt_error ("unable to ... validate ... a PSK
-- binder"), which our server sends; OpenSSL 3.0's s_server sends illegal_parameter
-- instead (its log says "binder does not verify"), and that is what we assert of it.
describe("PSK binders against openssl", function()
  after_each(H.kill_all)
  teardown(H.cleanup)

  -- A session from s_server -www, then a second handshake with `params` added.
  -- Returns conn or nil, err, NAME, then s_server's log.
  local function resume(params)
    local _, port, log = H.openssl_server("leaf-p256", "-www")
    local _, page1 = www(port)
    assert.matches("New, TLSv1.3", page1)
    local c1 = H.connect(port)
    assert.truthy(c1, "no connection to s_server")
    c1:send("GET / HTTP/1.0\r\n\r\n")
    c1:receive("*a")
    local sess = assert(c1:session(), "no session from s_server's tickets")
    c1:close()
    local p = { session = sess }
    for k, v in pairs(params) do p[k] = v end
    local c, err, name = H.connect(port, p)
    return c, err, name, log
  end

  -- s_server's log once it shows `what` (bounded).
  local function server_log(log, what)
    H.wait_log(nil, log, what, 5)
    return H.read(log)
  end

  it("moontls client bad_binder -> s_server: refused (illegal_parameter, OpenSSL's choice)", function()
    if not have("openssl") then pending("no openssl") return end
    local c, err, _, log = resume{ quirks = { bad_binder = true } }
    assert.is_nil(c)
    assert.matches("alert received: fatal illegal_parameter", err)
    assert.matches("binder does not verify", server_log(log, "binder does not verify"))
  end)

  it("moontls client psk_binder hook returning a wrong binder -> s_server: refused", function()
    if not have("openssl") then pending("no openssl") return end
    local calls = 0
    local c, err, _, log = resume{ hooks = { psk_binder = function(_, _, computed)
      calls = calls + 1
      return computed:reverse()
    end } }
    assert.is_nil(c)
    assert.equal(1, calls)
    assert.matches("alert received: fatal illegal_parameter", err)
    assert.matches("binder does not verify", server_log(log, "binder does not verify"))
  end)

  it("moontls client psk_binder hook returning the computed binder -> s_server: resumed", function()
    if not have("openssl") then pending("no openssl") return end
    local seen
    local c, err = resume{ hooks = { psk_binder = function(_, index, computed)
      seen = { index, #computed }
      return computed
    end } }
    assert.truthy(c, err)
    assert.same({ 1, 32 }, seen)
    assert.is_true(c:info().resumed)
    assert(c:send("GET / HTTP/1.0\r\n\r\n"))
    assert.matches("Reused, TLSv1.3", c:receive("*a") or "")
    c:close()
  end)

  it("openssl s_client -sess_in -> moontls server bad_binder: decrypt_error", function()
    if not have("openssl") then pending("no openssl") return end
    -- the first connection offers no PSK (a full handshake, tickets); the second is refused
    local pid, port, log = H.moontls_server{ count = 2, quirks = "bad_binder" }
    local sess = H.TMP .. "/s_client-binder.sess"
    local out1 = H.run_client(S_CLIENT:format(port) .. " -sess_out " .. sess, "one\n", "echo: one")
    assert.matches("New, TLSv1.3", out1)
    local out2 = H.run_client(S_CLIENT:format(port) .. " -sess_in " .. sess, "two\n", "alert decrypt error")
    assert.matches("alert decrypt error", out2)
    assert.matches("SSL alert number 51", out2)
    assert.is_nil(out2:find("echo: two", 1, true))
    assert.truthy(H.wait_exit(pid, 10))
    assert.matches("handshake failed DECRYPT_ERROR: alert sent: fatal decrypt_error", H.read(log))
  end)

  it("openssl s_client -sess_in -> moontls server with a psk_binder hook returning nil: Reused", function()
    if not have("openssl") then pending("no openssl") return end
    local pid, port, log = H.moontls_server{ count = 2, psk_binder = "keep" }
    local sess = H.TMP .. "/s_client-binder2.sess"
    local out1 = H.run_client(S_CLIENT:format(port) .. " -sess_out " .. sess, "one\n", "echo: one")
    assert.matches("New, TLSv1.3", out1)
    local out2 = H.run_client(S_CLIENT:format(port) .. " -sess_in " .. sess, "two\n", "echo: two")
    assert.matches("Reused, TLSv1.3", out2)
    assert.matches("echo: two", out2)
    assert.truthy(H.wait_exit(pid, 10))
    local l = H.read(log)
    assert.matches("psk_binder index=1 len=32", l)
    assert.matches("handshake ok .* resumed=true", l)
  end)
end)
