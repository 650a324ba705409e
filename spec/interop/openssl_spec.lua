-- Live interop with OpenSSL 3.0 on 127.0.0.1, both roles, TLS 1.3 only:
--   moontls client -> openssl s_server -tls1_3 (-www / -rev)
--   openssl s_client -tls1_3 -> moontls server (spec/interop/server.lua, a child process)
-- over every TLS 1.3 suite x every group both support x an ECDSA and an RSA certificate,
-- plus signature schemes, HelloRetryRequest and ALPN. Negative cases: negative_spec.lua.
-- Every peer process is killed in after_each/teardown; every wait is bounded.
local tls = require "moontls"
local H = require "interop.helpers"

local function have(cmd)
  return os.execute("command -v " .. cmd .. " >/dev/null 2>&1") == true
end
local HAVE_OPENSSL = have("openssl")

-- A moontls client connection to 127.0.0.1:port, handshake done (or nil, err, NAME).
local connect = H.connect

-- The fields of info() the matrix forces.
local function forced(i)
  return { version = i.version, suite = i.suite, group = i.group, sigalg = i.sigalg, hrr = i.hrr }
end

-- Fetch s_server's -www status page over a connected moontls client.
local function fetch(c)
  assert.equal(18, c:send("GET / HTTP/1.0\r\n\r\n"))
  local page, err, partial = c:receive("*a")
  assert.truthy(page, ("receive failed: %s (partial %q)"):format(tostring(err), tostring(partial)))
  return page
end

local S_CLIENT = "openssl s_client -tls1_3 -connect 127.0.0.1:%d -CAfile " .. H.CA
  .. " -servername localhost -verify_return_error -verify_hostname localhost -brief -ign_eof"

-- Run s_client against a port with extra options; sends one line and waits for its echo.
local function s_client(port, args, line)
  line = line or "hello from openssl"
  return H.run_client(S_CLIENT:format(port) .. " " .. (args or ""), line .. "\n", "echo: " .. line)
end

describe("moontls client -> openssl s_server", function()
  if not HAVE_OPENSSL then
    it("needs openssl", function() pending("openssl not installed") end)
    return
  end

  -- One s_server per certificate, shared by the cases (started in setup, killed in
  -- teardown): no after_each kill here.
  for _, cert in ipairs(H.CERTS) do
    describe(cert.stem, function()
      local port
      setup(function()
        local _
        _, port = H.openssl_server(cert.stem, "-www")
      end)
      teardown(H.kill_all)

      for _, suite in ipairs(H.SUITES) do
        for _, group in ipairs(H.GROUPS) do
          it(("%s %s"):format(suite, group), function()
            local c, err, name = connect(port, { suites = { suite }, groups = { group } })
            assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
            finally(function() c:close() end)
            assert.same({ version = "1.3", suite = suite, group = group, sigalg = cert.sigalg, hrr = false },
              forced(c:info()))
            local page = fetch(c)
            -- what openssl says it negotiated
            assert.matches("^HTTP/1%.0 200 ok", page)
            assert.matches("Protocol  : TLSv1%.3\n", page)
            assert.matches("Cipher    : " .. H.lit(suite) .. "\n", page)
            assert.matches("Shared groups: " .. group .. "\n", page)
            assert.matches("New, TLSv1%.3, Cipher is " .. H.lit(suite), page)
          end)
        end
      end
    end)
  end
end)

describe("moontls client -> openssl s_server, one server per case", function()
  if not HAVE_OPENSSL then return end
  after_each(H.kill_all)

  -- Signature schemes: the certificate's key decides the family; the client forces one.
  local schemes = {
    { "leaf-p256", "ecdsa_secp256r1_sha256" },
    { "leaf-p384", "ecdsa_secp384r1_sha384" },
    { "leaf-p521", "ecdsa_secp521r1_sha512" },
    { "leaf-rsa", "rsa_pss_rsae_sha256" },
    { "leaf-rsa", "rsa_pss_rsae_sha384" },
    { "leaf-rsa", "rsa_pss_rsae_sha512" },
    { "leaf-pss", "rsa_pss_rsae_sha256" }, -- RSA key, certificate signed with RSASSA-PSS
  }
  for _, s in ipairs(schemes) do
    it(("signature scheme %s with %s"):format(s[2], s[1]), function()
      local _, port = H.openssl_server(s[1], "-www")
      local c, err, name = connect(port, { sigalgs = { s[2] } })
      assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
      finally(function() c:close() end)
      assert.equal(s[2], c:info().sigalg)
      assert.matches("^HTTP/1%.0 200 ok", fetch(c))
    end)
  end

  it("HelloRetryRequest: the server wants secp384r1, the client shared x25519 only", function()
    local _, port = H.openssl_server("leaf-p256", "-www -groups secp384r1")
    local c, err, name = connect(port, { groups = { "x25519", "secp384r1" }, key_shares = { "x25519" } })
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    local i = c:info()
    assert.is_true(i.hrr)
    assert.equal("secp384r1", i.group)
    local page = fetch(c)
    assert.matches("Shared groups: secp384r1\n", page)
  end)

  it("HelloRetryRequest to an FFDHE group", function()
    local _, port = H.openssl_server("leaf-rsa", "-www -groups ffdhe3072")
    local c, err, name = connect(port, { groups = { "x25519", "ffdhe3072" }, key_shares = { "x25519" } })
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    assert.is_true(c:info().hrr)
    assert.equal("ffdhe3072", c:info().group)
    assert.matches("^HTTP/1%.0 200 ok", fetch(c))
  end)

  it("ALPN: the server picks http/1.1 from the client's h2, http/1.1", function()
    -- s_server's stdout is block-buffered into the log: let it exit after one connection
    local pid, port, log = H.openssl_server("leaf-p256", "-www -alpn http/1.1 -naccept 1")
    local c, err, name = connect(port, { alpn = { "h2", "http/1.1" } })
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    assert.equal("http/1.1", c:info().alpn)
    assert.matches("^HTTP/1%.0 200 ok", fetch(c))
    c:close()
    assert.is_true(H.wait_exit(pid, 10))
    local slog = H.read(log)
    assert.matches("ALPN protocols advertised by the client: h2, http/1%.1", slog)
    assert.matches("ALPN protocols selected: http/1%.1", slog)
  end)

  it("ALPN: no ALPN when the server has none configured", function()
    local _, port = H.openssl_server("leaf-p256", "-www")
    local c, err, name = connect(port, { alpn = { "h2" } })
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    assert.is_nil(c:info().alpn)
  end)

  it("application data: lines of many sizes come back reversed (s_server -rev)", function()
    local _, port = H.openssl_server("leaf-rsa", "-rev")
    local c, err, name = connect(port, { suites = { "TLS_CHACHA20_POLY1305_SHA256" } })
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    for _, n in ipairs{ 1, 100, 1000, 4000, 8000 } do
      local line = {}
      for k = 1, n do line[k] = string.char(97 + (k * 7 + n) % 26) end
      line = table.concat(line)
      assert.equal(n + 1, c:send(line .. "\n"))
      local back, rerr = c:receive("*l")
      assert.equal(line:reverse(), back, rerr)
    end
  end)
end)

describe("openssl s_client -> moontls server", function()
  if not HAVE_OPENSSL then
    it("needs openssl", function() pending("openssl not installed") end)
    return
  end
  after_each(H.kill_all)

  for _, cert in ipairs(H.CERTS) do
    local sig = H.openssl_sig[cert.sigalg]
    for _, suite in ipairs(H.SUITES) do
      for _, group in ipairs(H.GROUPS) do
        it(("%s %s %s"):format(cert.stem, suite, group), function()
          local pid, port, log = H.moontls_server{ cert = cert.stem }
          local out = s_client(port, ("-ciphersuites %s -groups %s"):format(suite, group))
          assert.matches("Protocol version: TLSv1%.3\n", out)
          assert.matches("Ciphersuite: " .. H.lit(suite) .. "\n", out)
          assert.matches("Server Temp Key: " .. H.lit(H.openssl_temp_key[group]) .. "\n", out)
          assert.matches("Signature type: " .. H.lit(sig[1]) .. "\n", out)
          assert.matches("Hash used: " .. sig[2] .. "\n", out)
          assert.matches("Verification: OK\n", out)
          assert.matches("echo: hello from openssl\n", out)
          assert.is_true(H.wait_log(pid, log, "done", 10), H.read(log))
          assert.matches(("handshake ok version=1%%.3 suite=%s group=%s sigalg=%s alpn=nil sni=localhost hrr=false")
            :format(suite, group, cert.sigalg), H.read(log))
        end)
      end
    end
  end

  local schemes = {
    { "leaf-p384", "ecdsa_secp384r1_sha384" },
    { "leaf-p521", "ecdsa_secp521r1_sha512" },
    { "leaf-rsa", "rsa_pss_rsae_sha384" },
    { "leaf-rsa", "rsa_pss_rsae_sha512" },
    { "leaf-pss", "rsa_pss_rsae_sha256" },
  }
  for _, s in ipairs(schemes) do
    it(("-sigalgs %s with %s"):format(s[2], s[1]), function()
      local pid, port, log = H.moontls_server{ cert = s[1] }
      local out = s_client(port, "-sigalgs " .. s[2])
      local sig = H.openssl_sig[s[2]]
      assert.matches("Signature type: " .. H.lit(sig[1]) .. "\n", out)
      assert.matches("Hash used: " .. sig[2] .. "\n", out)
      assert.matches("Verification: OK\n", out)
      assert.matches("echo: hello from openssl\n", out)
      assert.is_true(H.wait_log(pid, log, "done", 10))
      assert.matches("sigalg=" .. s[2], H.read(log))
    end)
  end

  it("HelloRetryRequest: s_client shares secp384r1 only, the server accepts x25519 only", function()
    -- OpenSSL sends one key share, for the first group of -groups: the server must ask
    -- for x25519 with a HelloRetryRequest (-msg shows two ClientHellos).
    local pid, port, log = H.moontls_server{ groups = "x25519" }
    local out = s_client(port, "-groups secp384r1:x25519 -msg")
    assert.equal(2, H.count(out, ", ClientHello\n"))
    assert.matches("Server Temp Key: X25519, 253 bits\n", out)
    assert.matches("Verification: OK\n", out)
    assert.matches("echo: hello from openssl\n", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("group=x25519 .* hrr=true", H.read(log))
  end)

  it("HelloRetryRequest with a cookie", function()
    local pid, port, log = H.moontls_server{ groups = "secp521r1", hrr_cookie = "1" }
    local out = s_client(port, "-groups x25519:secp521r1")
    assert.matches("Server Temp Key: ECDH, secp521r1, 521 bits\n", out)
    assert.matches("echo: hello from openssl\n", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("group=secp521r1 .* hrr=true", H.read(log))
  end)

  it("no HelloRetryRequest when the offered share is acceptable", function()
    local pid, port, log = H.moontls_server{ groups = "x25519,secp384r1" }
    local out = s_client(port, "-groups secp384r1:x25519 -msg")
    assert.equal(1, H.count(out, ", ClientHello\n"))
    assert.matches("Server Temp Key: ECDH, secp384r1, 384 bits\n", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("group=secp384r1 .* hrr=false", H.read(log))
  end)

  it("ALPN: the server selects from s_client's list", function()
    local pid, port, log = H.moontls_server{ alpn = "h2,http/1.1" }
    -- -brief does not print the ALPN result: the full output does
    local out = H.run_client(S_CLIENT:format(port):gsub(" %-brief", "") .. " -alpn http/1.1,h2",
      "hello from openssl\n", "echo: hello from openssl")
    assert.matches("ALPN protocol: h2\n", out)
    assert.matches("New, TLSv1%.3, Cipher is TLS_AES_128_GCM_SHA256", out)
    assert.matches("Verify return code: 0 %(ok%)", out)
    assert.matches("echo: hello from openssl\n", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("alpn=h2 ", H.read(log))
  end)

  it("application data: a long line in many records comes back", function()
    local line = ("0123456789abcdef"):rep(2000) -- 32000 bytes: several records each way
    local pid, port, log = H.moontls_server{}
    local out = s_client(port, "", line)
    assert.truthy(out:find("echo: " .. line .. "\n", 1, true))
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("echoed 32000 bytes", H.read(log))
  end)
end)

teardown(H.cleanup)
