-- Negative live interop on 127.0.0.1: each side refuses what it must, with the alert
-- RFC 8446 names, and the peer sees that alert.
--   moontls client vs openssl s_server / gnutls-serv: certificate for the wrong name,
--     wrong server_name, untrusted certificate, no common suite / group / ALPN;
--   openssl s_client / gnutls-cli vs moontls server: no common suite, no common group,
--     ALPN {"h2"} vs http/1.1, and the peer refusing moontls's certificate.
local tls = require "moontls"
local H = require "interop.helpers"

local function have(cmd)
  return os.execute("command -v " .. cmd .. " >/dev/null 2>&1") == true
end
local HAVE_OPENSSL = have("openssl")
local HAVE_GNUTLS = have("gnutls-serv") and have("gnutls-cli")

local connect = H.connect

local S_CLIENT = "openssl s_client -tls1_3 -connect 127.0.0.1:%d -CAfile " .. H.CA
  .. " -servername localhost -verify_return_error -verify_hostname localhost -brief -ign_eof "
local G_CLI = "gnutls-cli --x509cafile " .. H.CA
  .. " --sni-hostname localhost --verify-hostname localhost -p %d 127.0.0.1 "

-- A client's alert about the server's encrypted flight is protected with its handshake
-- keys and carries record version 0x0303; both peers must report the alert itself (an
-- earlier build sent it in plaintext with 0x0301: OpenSSL answered "wrong version
-- number", GnuTLS "Decryption has failed").
-- Client-side certificate failures: server certificate stem, client overrides, the
-- error NAME moontls returns, the alert name, and OpenSSL's spelling of that alert.
local CERT_FAILURES = {
  { "leaf-wrong-name", {}, "BAD_CERTIFICATE", "bad_certificate", "bad certificate", 42,
    "a certificate for the wrong name" },
  { "leaf-p256", { server_name = "other.moontls.test" }, "BAD_CERTIFICATE", "bad_certificate",
    "bad certificate", 42, "a server_name the certificate does not carry" },
  { "self-signed", {}, "UNKNOWN_CA", "unknown_ca", "unknown ca", 48, "an untrusted self-signed certificate" },
}

describe("moontls client refuses openssl s_server's certificate", function()
  if not HAVE_OPENSSL then
    it("needs openssl", function() pending("openssl not installed") end)
    return
  end
  after_each(H.kill_all)

  for _, f in ipairs(CERT_FAILURES) do
    local stem, over, NAME, alert, ossl_alert, number, what = table.unpack(f)
    it(("%s: %s"):format(what, NAME), function()
      local _, port = H.openssl_server(stem, "-www")
      local c, err, name = connect(port, over)
      assert.is_nil(c)
      assert.equal(NAME, name)
      assert.matches("^alert sent: fatal " .. alert, err)
    end)

    it(("%s: s_server receives %s"):format(what, alert), function()
      local pid, port, log = H.openssl_server(stem, "-www")
      assert.is_nil((connect(port, over)))
      -- s_server logs the alert once it has read it; give it a bounded moment
      H.wait_log(pid, log, "SSL routines", 5)
      local slog = H.read(log)
      assert.matches("alert " .. ossl_alert .. ".*SSL alert number " .. number, slog)
    end)
  end

  it("no common suite: the server's handshake_failure reaches the client", function()
    local pid, port, log = H.openssl_server("leaf-p256", "-www -ciphersuites TLS_AES_256_GCM_SHA384")
    local c, err, name = connect(port, { suites = { "TLS_AES_128_GCM_SHA256" } })
    assert.is_nil(c)
    assert.equal("HANDSHAKE_FAILURE", name)
    assert.equal("alert received: fatal handshake_failure", err)
    H.wait_log(pid, log, "no shared cipher", 5)
    assert.matches("no shared cipher", H.read(log))
  end)

  it("no common group: the server's handshake_failure reaches the client", function()
    local pid, port, log = H.openssl_server("leaf-p256", "-www -groups x448")
    local c, err, name = connect(port, { groups = { "x25519", "secp256r1" } })
    assert.is_nil(c)
    assert.equal("HANDSHAKE_FAILURE", name)
    assert.equal("alert received: fatal handshake_failure", err)
    H.wait_log(pid, log, "no suitable key share", 5)
    assert.matches("no suitable key share", H.read(log))
  end)

  it("no common ALPN protocol: OpenSSL 3.0 s_server sends no_application_protocol", function()
    local pid, port, log = H.openssl_server("leaf-p256", "-www -alpn http/1.1")
    local c, err, name = connect(port, { alpn = { "h2" } })
    assert.is_nil(c)
    assert.equal("NO_APPLICATION_PROTOCOL", name)
    assert.equal("alert received: fatal no_application_protocol", err)
    H.wait_log(pid, log, "no application protocol", 5)
    assert.matches("tls_handle_alpn:no application protocol", H.read(log))
  end)
end)

describe("moontls client refuses gnutls-serv's certificate", function()
  if not HAVE_GNUTLS then
    it("needs gnutls-bin", function() pending("gnutls-serv not installed") end)
    return
  end
  after_each(H.kill_all)

  for _, f in ipairs(CERT_FAILURES) do
    local stem, over, NAME, alert, _, _, what = table.unpack(f)
    it(("%s: %s, and gnutls-serv receives the alert"):format(what, NAME), function()
      local pid, port, log = H.gnutls_server(stem)
      local c, err, name = connect(port, over)
      assert.is_nil(c)
      assert.equal(NAME, name)
      assert.matches("^alert sent: fatal " .. alert, err)
      H.wait_log(pid, log, "Error in handshake", 5)
      local glog = H.read(log)
      assert.matches("Error in handshake: A TLS fatal alert has been received%.", glog)
    end)
  end

  it("no common suite: the server's handshake_failure reaches the client", function()
    local _, port = H.gnutls_server("leaf-p256", H.gnutls_priority("TLS_AES_256_GCM_SHA384"))
    local c, err, name = connect(port, { suites = { "TLS_CHACHA20_POLY1305_SHA256" } })
    assert.is_nil(c)
    assert.equal("HANDSHAKE_FAILURE", name)
    assert.equal("alert received: fatal handshake_failure", err)
  end)

  it("no common ALPN protocol with --alpn-fatal: no_application_protocol", function()
    local pid, port, log = H.gnutls_server("leaf-p256", nil, "--alpn http/1.1 --alpn-fatal")
    local c, err, name = connect(port, { alpn = { "h2" } })
    assert.is_nil(c)
    assert.equal("NO_APPLICATION_PROTOCOL", name)
    assert.equal("alert received: fatal no_application_protocol", err)
    H.wait_log(pid, log, "Error in handshake", 5)
    assert.matches("No common application protocol could be negotiated", H.read(log))
  end)
end)

-- Server side: moontls refuses; the client tool prints the alert it received.
local SERVER_FAILURES = {
  { "no common suite", { suites = "TLS_CHACHA20_POLY1305_SHA256" },
    "-ciphersuites TLS_AES_128_GCM_SHA256", H.gnutls_priority("TLS_AES_128_GCM_SHA256"), "",
    "HANDSHAKE_FAILURE", "handshake_failure", "sslv3 alert handshake failure", 40, "Handshake failed" },
  { "no common group", { groups = "x448" },
    "-groups x25519:secp256r1", H.gnutls_priority(nil, "x25519"), "",
    "HANDSHAKE_FAILURE", "handshake_failure", "sslv3 alert handshake failure", 40, "Handshake failed" },
  { "ALPN {h2} vs http/1.1", { alpn = "h2" },
    "-alpn http/1.1", H.gnutls_priority(), "--alpn http/1.1",
    "NO_APPLICATION_PROTOCOL", "no_application_protocol", "tlsv1 alert no application protocol", 120,
    "No supported application protocol could be negotiated" },
}

describe("openssl s_client vs a refusing moontls server", function()
  if not HAVE_OPENSSL then
    it("needs openssl", function() pending("openssl not installed") end)
    return
  end
  after_each(H.kill_all)

  for _, f in ipairs(SERVER_FAILURES) do
    local what, sopts, s_args, _, _, NAME, alert, ossl_text, number = table.unpack(f)
    it(what .. ": s_client reports " .. alert, function()
      local pid, port, log = H.moontls_server(sopts)
      local out, rc = H.run_client(S_CLIENT:format(port) .. s_args, "hello\n")
      assert.not_equal(0, rc)
      assert.matches(H.lit(ossl_text) .. ".*SSL alert number " .. number, out)
      assert.not_matches("CONNECTION ESTABLISHED", out)
      assert.is_true(H.wait_log(pid, log, "done", 10))
      assert.matches(("handshake failed %s: alert sent: fatal %s"):format(NAME, alert), H.read(log))
    end)
  end

  it("s_client refuses a certificate for the wrong name: moontls receives bad_certificate", function()
    local pid, port, log = H.moontls_server{ cert = "leaf-wrong-name" }
    local out, rc = H.run_client(S_CLIENT:format(port), "hello\n")
    assert.not_equal(0, rc)
    assert.matches("hostname mismatch", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("handshake failed BAD_CERTIFICATE: alert received: fatal bad_certificate", H.read(log))
  end)

  it("s_client refuses an untrusted certificate: moontls receives unknown_ca", function()
    local pid, port, log = H.moontls_server{ cert = "self-signed" }
    local out, rc = H.run_client(S_CLIENT:format(port), "hello\n")
    assert.not_equal(0, rc)
    assert.matches("self%-signed certificate", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("handshake failed UNKNOWN_CA: alert received: fatal unknown_ca", H.read(log))
  end)
end)

describe("gnutls-cli vs a refusing moontls server", function()
  if not HAVE_GNUTLS then
    it("needs gnutls-bin", function() pending("gnutls-cli not installed") end)
    return
  end
  after_each(H.kill_all)

  for _, f in ipairs(SERVER_FAILURES) do
    local what, sopts, _, prio, g_args, NAME, alert, _, number, g_text = table.unpack(f)
    it(what .. ": gnutls-cli reports " .. alert, function()
      local pid, port, log = H.moontls_server(sopts)
      local out, rc = H.run_client(G_CLI:format(port) .. "--priority " .. H.q(prio) .. " " .. g_args, "hello\n")
      assert.not_equal(0, rc)
      assert.matches("%*%*%* Received alert %[" .. number .. "%]: " .. H.lit(g_text), out)
      assert.is_true(H.wait_log(pid, log, "done", 10))
      assert.matches(("handshake failed %s: alert sent: fatal %s"):format(NAME, alert), H.read(log))
    end)
  end

  it("gnutls-cli refuses a certificate for the wrong name: moontls receives bad_certificate", function()
    local pid, port, log = H.moontls_server{ cert = "leaf-wrong-name" }
    local out, rc = H.run_client(G_CLI:format(port) .. "--priority " .. H.q(H.gnutls_priority()), "hello\n")
    assert.not_equal(0, rc)
    assert.matches("The name in the certificate does not match the expected", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("handshake failed BAD_CERTIFICATE: alert received: fatal bad_certificate", H.read(log))
  end)
end)

teardown(H.cleanup)
