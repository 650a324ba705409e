-- conn:export_keying_material against OpenSSL 3.0 on 127.0.0.1, both roles: s_server and
-- s_client print "Keying material: HEX" for -keymatexport LABEL -keymatexportlen N (no
-- context, which TLS 1.3 treats as the empty context, RFC 8446 7.5); ours must equal
-- theirs. Every peer is killed in after_each; every wait is bounded.
local H = require "interop.helpers"

local HAVE_OPENSSL = os.execute("command -v openssl >/dev/null 2>&1") == true
local LABEL = "EXPERIMENTAL moontls exporter"

-- s_server prints the keying material only in its default (stdin echo) mode, which
-- quits at end of input even with -ign_eof: its stdin is a FIFO we hold open for the
-- test (closed by the returned function, which ends the server). Returns pid, port, log,
-- close.
local function s_server_keymat(args)
  local last
  for _ = 1, 5 do
    local port = H.random_port()
    local fifo = os.tmpname()
    os.remove(fifo)
    assert(os.execute("mkfifo " .. H.q(fifo)))
    local log = os.tmpname()
    local cmd = ("openssl s_server -accept 127.0.0.1:%d -tls1_3 -cert %sleaf-p256.pem -cert_chain %sint-ca.pem "
      .. "-key %sleaf-p256.key %s <%s"):format(port, H.PKI, H.PKI, H.PKI, args, H.q(fifo))
    local pid = H.spawn("sh -c " .. H.q("exec " .. cmd), log, 30)
    local w = assert(io.open(fifo, "w")) -- blocks until the shell opens the read end
    local function close()
      w:close()
      os.remove(fifo)
      os.remove(log)
    end
    if H.wait_log(pid, log, "ACCEPT", 10) then return pid, port, log, close end
    last = H.read(log)
    close()
  end
  error("s_server did not start: " .. tostring(last))
end

local function keymat(log)
  return log:match("Keying material: (%x+)")
end

describe("exporter vs openssl", function()
  if not HAVE_OPENSSL then
    it("needs openssl", function() pending("openssl not installed") end)
    return
  end
  after_each(H.kill_all)
  teardown(H.cleanup)

  for _, suite in ipairs{ "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384" } do
    it("moontls client -> s_server, " .. suite, function()
      local pid, port, log, close = s_server_keymat(
        ("-keymatexport %s -keymatexportlen 20"):format(H.q(LABEL)))
      finally(close)
      local c, err, name = H.connect(port, { suites = { suite } })
      assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
      finally(function() c:close() end)
      local ours = assert(c:export_keying_material(LABEL, 20))
      assert.equal(ours, c:export_keying_material(LABEL, 20, ""))
      assert.truthy(H.wait_log(pid, log, "Keying material: ", 10), H.read(log))
      local theirs = keymat(H.read(log))
      assert.equal(40, #theirs)
      assert.equal(theirs, require("moontls").hex.encode(ours):upper())
    end)

    it("s_client -> moontls server, " .. suite, function()
      local pid, port, log = H.moontls_server{ export = LABEL .. ":20", suites = suite }
      local out = H.run_client(("openssl s_client -tls1_3 -connect 127.0.0.1:%d -CAfile %s "
        .. "-servername localhost -verify_return_error -ign_eof -keymatexport %s -keymatexportlen 20")
        :format(port, H.CA, H.q(LABEL)), "hello\n", "echo: hello")
      assert.truthy(H.wait_log(pid, log, "Keying material: ", 10), H.read(log))
      local theirs = keymat(out)
      local ours = keymat(H.read(log))
      assert.truthy(theirs, out)
      assert.equal(40, #theirs)
      assert.equal(theirs, ours)
    end)
  end
end)
