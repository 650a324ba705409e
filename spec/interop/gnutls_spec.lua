-- Live interop with GnuTLS 3.7 on 127.0.0.1, both roles, TLS 1.3 only:
--   moontls client -> gnutls-serv --echo --priority NORMAL:-VERS-ALL:+VERS-TLS1.3...
--   gnutls-cli --priority ... -> moontls server (spec/interop/server.lua, a child process)
-- over every TLS 1.3 suite x every group x an ECDSA and an RSA certificate, plus
-- signature schemes, HelloRetryRequest and ALPN. Negative cases: negative_spec.lua.
local tls = require "moontls"
local socket = require "socket"
local H = require "interop.helpers"

local function have(cmd)
  return os.execute("command -v " .. cmd .. " >/dev/null 2>&1") == true
end
local HAVE = have("gnutls-serv") and have("gnutls-cli")

local connect = H.connect

local function forced(i)
  return { version = i.version, suite = i.suite, group = i.group, sigalg = i.sigalg, hrr = i.hrr }
end

-- Send a line through gnutls-serv --echo and expect it back.
local function echo(c, line)
  line = line or "hello from moontls"
  assert.equal(#line + 1, c:send(line .. "\n"))
  local back, err = c:receive("*l")
  assert.equal(line, back, err)
end

-- The "- Description:" line gnutls-serv logged for the connection that began after
-- `from` bytes of its log (waits a bounded time for it).
local function served(log, from)
  local deadline = socket.gettime() + 5
  repeat
    local d = H.read(log):sub(from + 1):match("%- Description: ([^\n]+)")
    if d then return d end
    socket.sleep(0.01)
  until socket.gettime() > deadline
  return H.read(log):sub(from + 1)
end

local function description(group, sigalg, suite)
  return ("(TLS1.3-X.509)-(%s)-(%s)-(%s)"):format(H.gnutls_kx(group), H.gnutls_sig[sigalg],
    H.gnutls_cipher[suite])
end

local CLI = "gnutls-cli --priority %s --x509cafile " .. H.CA
  .. " --sni-hostname localhost --verify-hostname localhost -p %d 127.0.0.1"

local function gnutls_cli(port, priority, args, line)
  line = line or "hello from gnutls"
  return H.run_client(CLI:format(H.q(priority), port) .. " " .. (args or ""), line .. "\n",
    "echo: " .. line)
end

describe("moontls client -> gnutls-serv", function()
  if not HAVE then
    it("needs gnutls-bin", function() pending("gnutls-serv / gnutls-cli not installed") end)
    return
  end

  -- One gnutls-serv per certificate, shared by the cases: started in setup, killed in
  -- teardown.
  for _, cert in ipairs(H.CERTS) do
    describe(cert.stem, function()
      local port, log
      setup(function()
        local _
        _, port, log = H.gnutls_server(cert.stem)
      end)
      teardown(H.kill_all)

      for _, suite in ipairs(H.SUITES) do
        for _, group in ipairs(H.GROUPS) do
          it(("%s %s"):format(suite, group), function()
            local from = #H.read(log)
            local c, err, name = connect(port, { suites = { suite }, groups = { group } })
            assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
            finally(function() c:close() end)
            assert.same({ version = "1.3", suite = suite, group = group, sigalg = cert.sigalg, hrr = false },
              forced(c:info()))
            echo(c)
            assert.equal(description(group, cert.sigalg, suite), served(log, from))
          end)
        end
      end
    end)
  end
end)

describe("moontls client -> gnutls-serv, one server per case", function()
  if not HAVE then return end
  after_each(H.kill_all)

  local schemes = {
    { "leaf-p384", "ecdsa_secp384r1_sha384" },
    { "leaf-p521", "ecdsa_secp521r1_sha512" },
    { "leaf-rsa", "rsa_pss_rsae_sha384" },
    { "leaf-rsa", "rsa_pss_rsae_sha512" },
    { "leaf-pss", "rsa_pss_rsae_sha256" },
  }
  for _, s in ipairs(schemes) do
    it(("signature scheme %s with %s"):format(s[2], s[1]), function()
      local _, port, log = H.gnutls_server(s[1])
      local c, err, name = connect(port, { sigalgs = { s[2] } })
      assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
      finally(function() c:close() end)
      assert.equal(s[2], c:info().sigalg)
      echo(c)
      assert.matches("%-%(" .. H.lit(H.gnutls_sig[s[2]]) .. "%)%-", served(log, 0))
    end)
  end

  it("HelloRetryRequest: the server accepts secp521r1 only, the client shared x25519", function()
    local _, port, log = H.gnutls_server("leaf-p256", H.gnutls_priority(nil, "secp521r1"))
    local c, err, name = connect(port, { groups = { "x25519", "secp521r1" }, key_shares = { "x25519" } })
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    assert.is_true(c:info().hrr)
    assert.equal("secp521r1", c:info().group)
    echo(c)
    assert.matches("%(ECDHE%-SECP521R1%)", served(log, 0))
  end)

  it("ALPN: gnutls-serv selects http/1.1", function()
    local _, port, log = H.gnutls_server("leaf-p256", nil, "--alpn http/1.1")
    local c, err, name = connect(port, { alpn = { "h2", "http/1.1" } })
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    assert.equal("http/1.1", c:info().alpn)
    echo(c)
    served(log, 0)
    assert.matches("%- Application protocol: http/1%.1\n", H.read(log))
  end)

  it("application data: lines of many sizes come back", function()
    local _, port = H.gnutls_server("leaf-rsa")
    local c, err, name = connect(port, {})
    assert.truthy(c, ("handshake failed: %s %s"):format(tostring(err), tostring(name)))
    finally(function() c:close() end)
    for _, n in ipairs{ 1, 100, 1000, 4000 } do
      local line = {}
      for k = 1, n do line[k] = string.char(97 + (k * 7 + n) % 26) end
      echo(c, table.concat(line))
    end
  end)
end)

describe("gnutls-cli -> moontls server", function()
  if not HAVE then
    it("needs gnutls-bin", function() pending("gnutls-serv / gnutls-cli not installed") end)
    return
  end
  after_each(H.kill_all)

  for _, cert in ipairs(H.CERTS) do
    for _, suite in ipairs(H.SUITES) do
      for _, group in ipairs(H.GROUPS) do
        it(("%s %s %s"):format(cert.stem, suite, group), function()
          local pid, port, log = H.moontls_server{ cert = cert.stem }
          local out = gnutls_cli(port, H.gnutls_priority(suite, group))
          assert.matches("%- Status: The certificate is trusted%.", out)
          assert.matches("%- Description: " .. H.lit(description(group, cert.sigalg, suite)) .. "\n", out)
          assert.matches("%- Handshake was completed", out)
          assert.matches("echo: hello from gnutls\n", out)
          assert.is_true(H.wait_log(pid, log, "done", 10), H.read(log))
          assert.matches(("handshake ok version=1%%.3 suite=%s group=%s sigalg=%s alpn=nil sni=localhost hrr=false")
            :format(suite, group, cert.sigalg), H.read(log))
        end)
      end
    end
  end

  local schemes = {
    { "leaf-p384", "ecdsa_secp384r1_sha384", "ECDSA-SECP384R1-SHA384" },
    { "leaf-p521", "ecdsa_secp521r1_sha512", "ECDSA-SECP521R1-SHA512" },
    { "leaf-rsa", "rsa_pss_rsae_sha384", "RSA-PSS-RSAE-SHA384" },
    { "leaf-rsa", "rsa_pss_rsae_sha512", "RSA-PSS-RSAE-SHA512" },
    { "leaf-pss", "rsa_pss_rsae_sha256", "RSA-PSS-RSAE-SHA256" },
  }
  for _, s in ipairs(schemes) do
    it(("priority +SIGN-%s with %s"):format(s[3], s[1]), function()
      local pid, port, log = H.moontls_server{ cert = s[1] }
      local out = gnutls_cli(port, H.gnutls_priority() .. ":-SIGN-ALL:+SIGN-" .. s[3])
      assert.matches("%- Status: The certificate is trusted%.", out)
      assert.matches("%-%(" .. H.lit(s[3]) .. "%)%-", out)
      assert.matches("echo: hello from gnutls\n", out)
      assert.is_true(H.wait_log(pid, log, "done", 10))
      assert.matches("sigalg=" .. s[2], H.read(log))
    end)
  end

  it("HelloRetryRequest: gnutls-cli shares x25519 first, the server accepts ffdhe2048 only", function()
    local pid, port, log = H.moontls_server{ groups = "ffdhe2048" }
    local out = gnutls_cli(port, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-FFDHE2048")
    assert.matches("%(DHE%-FFDHE2048%)", out)
    assert.matches("echo: hello from gnutls\n", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("group=ffdhe2048 .* hrr=true", H.read(log))
  end)

  it("ALPN: the server selects from gnutls-cli's list", function()
    local pid, port, log = H.moontls_server{ alpn = "h2,http/1.1" }
    local out = gnutls_cli(port, H.gnutls_priority(), "--alpn http/1.1 --alpn h2")
    assert.matches("%- Application protocol: h2\n", out)
    assert.matches("echo: hello from gnutls\n", out)
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("alpn=h2 ", H.read(log))
  end)

  it("application data: a long line in many records comes back", function()
    local line = ("0123456789abcdef"):rep(2000)
    local pid, port, log = H.moontls_server{}
    local out = gnutls_cli(port, H.gnutls_priority(), "", line)
    assert.truthy(out:find("echo: " .. line .. "\n", 1, true))
    assert.is_true(H.wait_log(pid, log, "done", 10))
    assert.matches("echoed 32000 bytes", H.read(log))
  end)
end)

teardown(H.cleanup)
