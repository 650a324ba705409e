-- The moontls command (scripts/moontls): client and server against each other and against
-- OpenSSL (and curl when installed), on 127.0.0.1. Every process a test starts is killed
-- in after_each; every wait is bounded.
local socket = require "socket"
local H = require "interop.helpers"

local ROOT = debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$") or "."
if ROOT:sub(1, 1) ~= "/" then ROOT = os.getenv("PWD") .. "/" .. ROOT end
local CLI = ROOT .. "/scripts/moontls"
local PKI = ROOT .. "/spec/fixtures/pki/"
local CA = PKI .. "ca-bundle.pem"

-- The wrapper loads core.so from MOONTLS_BUILD: use the build the specs run against
-- (the Makefile puts it first on LUA_CPATH).
local build_dir = H.build_dir
local ENV = "env MOONTLS_BUILD='" .. build_dir() .. "' "

local function have(cmd)
  return os.execute("command -v " .. cmd .. " >/dev/null 2>&1") == true
end

local read, write = H.read, H.write

local TMP = os.tmpname()
os.remove(TMP)
assert(os.execute("mkdir -p " .. TMP))

-- ---------------------------------------------------------------------------------
-- Processes
-- ---------------------------------------------------------------------------------

local pids = {}

-- Start a command in the background with its output in `log`; returns its pid.
local function spawn(cmd, log)
  local p = assert(io.popen(("%s >%s 2>&1 </dev/null & echo $!"):format(cmd, log)))
  local pid = tonumber(p:read("l"))
  p:close()
  assert(pid, "no pid for " .. cmd)
  pids[#pids + 1] = pid
  return pid
end

local function alive(pid)
  return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end

local function wait_exit(pid, seconds)
  local deadline = socket.gettime() + seconds
  while socket.gettime() < deadline do
    if not alive(pid) then return true end
    socket.sleep(0.05)
  end
  return false
end

-- Wait until `log` contains `pattern` (plain text), or the process died, or time ran
-- out. Watching the log, not probing the port: a probe would be a connection, and
-- `--count 1` would count it.
local function wait_log(pid, log, pattern, seconds)
  local deadline = socket.gettime() + (seconds or 10)
  while socket.gettime() < deadline do
    if read(log):find(pattern, 1, true) then return true end
    if not alive(pid) then return false end
    socket.sleep(0.05)
  end
  return false
end

-- Run a command to completion (bounded by timeout(1)); returns exit code, stdout, stderr.
local seq = 0
local function run(cmd, stdin)
  seq = seq + 1
  local base = ("%s/run%d"):format(TMP, seq)
  write(base .. ".in", stdin or "")
  local ok, how, code = os.execute(("timeout 30 %s <%s.in >%s.out 2>%s.err"):format(cmd, base, base, base))
  if how == "signal" then code = 128 + code end
  if ok then code = 0 end
  return code, read(base .. ".out"), read(base .. ".err")
end

local function random_port()
  return 20000 + math.random(20000)
end

-- Start a moontls server with `args`; returns pid, port, log. Retries on another port
-- when the first is taken.
local function moontls_server(args)
  for _ = 1, 3 do
    local port = random_port()
    local log = ("%s/server%d.log"):format(TMP, port)
    local pid = spawn(("%s%s server --port %d %s"):format(ENV, CLI, port, args or ""), log)
    if wait_log(pid, log, "listening on", 10) then return pid, port, log end
  end
  error("the moontls server did not start")
end

local function openssl_server(args)
  for _ = 1, 3 do
    local port = random_port()
    local log = ("%s/openssl%d.log"):format(TMP, port)
    local pid = spawn(("exec openssl s_server -accept %d %s"):format(port, args), log)
    if wait_log(pid, log, "ACCEPT", 10) then return pid, port, log end
  end
  error("openssl s_server did not start")
end

after_each(function()
  for _, pid in ipairs(pids) do
    if alive(pid) then os.execute("kill " .. pid .. " 2>/dev/null") end
  end
  pids = {}
end)

teardown(function()
  os.execute("rm -rf " .. TMP)
end)

local function client(port, opts, stdin)
  return run(("%s%s client 127.0.0.1:%d %s"):format(ENV, CLI, port, opts or ""), stdin)
end

-- ---------------------------------------------------------------------------------

describe("moontls client and server", function()
  it("echo: the client's stdin comes back, both sides trace the handshake", function()
    local pid, port, log = moontls_server("--count 1")
    local code, out, err = client(port, "--cafile " .. CA, "hello\nworld\n")
    assert.equal(0, code, err)
    assert.equal("hello\nworld\n", out)
    -- the client's trace: one line per message, direction, epoch, name, length, fields
    assert.matches("%-> %[initial%s*%] ClientHello%s+%d+B  versions=TLS1%.3", err)
    assert.matches("<%- %[initial%s*%] ServerHello%s+%d+B  version=TLS1%.3 suite=TLS_AES_128_GCM_SHA256", err)
    assert.matches("<%- %[handshake%s*%] EncryptedExtensions", err)
    assert.matches("<%- %[handshake%s*%] Certificate%s+%d+B  certificates=2 subject=\"O=moontls test PKI, CN=localhost\"", err)
    assert.matches("<%- %[handshake%s*%] CertificateVerify%s+%d+B  scheme=ecdsa_secp256r1_sha256", err)
    assert.matches("<%- %[handshake%s*%] Finished%s+36B  verify_data=%x+", err)
    assert.matches("%-> %[handshake%s*%] Finished%s+36B", err)
    assert.matches("protocol:%s+TLSv1%.3", err)
    assert.matches("cipher:%s+TLS_AES_128_GCM_SHA256", err)
    -- the server ends after one connection and says what it did
    assert.is_true(wait_exit(pid, 10), "server still running after --count 1")
    local slog = read(log)
    assert.matches("leaf%-p256", slog) -- the default certificate is announced
    assert.matches("<%- %[initial%s*%] ClientHello", slog)
    assert.matches("%-> %[handshake%s*%] Finished", slog)
    assert.matches("echoed 12 bytes", slog)
  end)

  it("--ladder draws records and messages; --quiet drops the trace", function()
    local pid, port = moontls_server("--count 1 --quiet")
    local code, out, err = client(port, "--cafile " .. CA .. " --quiet --ladder", "ping\n")
    assert.equal(0, code, err)
    assert.equal("ping\n", out)
    assert.not_matches("ClientHello%s+%d+B  versions", err) -- no trace lines
    assert.matches("client%s+server", err)
    assert.matches("initial%s+|=== record handshake %d+ B =+>|", err)
    assert.matches("|%-%-%-   ClientHello %d+ B %-+>|", err)
    assert.matches("handshake%s+|<=+ record handshake %d+ B ===|", err)
    assert.matches("Certificate %d+ B", err)
    assert.matches("application%s+|=== record application_data 27 B", err) -- 5 + 5 + 1 + 16
    assert.matches("Alert warning close_notify", err)
    assert.is_true(wait_exit(pid, 10))
  end)

  it("--groups, --ciphers and --alpn reach the handshake", function()
    local _, port = moontls_server("--count 1 --alpn http/1.1 --groups secp256r1")
    local code, _, err = client(port, "--cafile " .. CA
      .. " --groups secp256r1,x25519 --ciphers TLS_CHACHA20_POLY1305_SHA256 --alpn h2,http/1.1 --tls1.3", "x")
    assert.equal(0, code, err)
    assert.matches("group:%s+secp256r1", err)
    assert.matches("cipher:%s+TLS_CHACHA20_POLY1305_SHA256", err)
    assert.matches("alpn:%s+http/1%.1", err)
  end)

  it("fails verification without the test CA, and --insecure says what it skips", function()
    local _, port = moontls_server("--count 2")
    local code, _, err = client(port, "--cafile " .. PKI .. "leaf-rsa.pem", "x")
    assert.not_equal(0, code)
    assert.matches("handshake failed: .*unknown_ca", err)
    code, _, err = client(port, "--insecure", "x")
    assert.equal(0, code, err)
    assert.matches("%-%-insecure: the server's certificate is NOT verified", err)
  end)

  it("writes an NSS key log with --keylog", function()
    local _, port = moontls_server("--count 1 --quiet")
    local file = TMP .. "/keys.log"
    local code, _, err = client(port, "--quiet --cafile " .. CA .. " --keylog " .. file, "x")
    assert.equal(0, code, err)
    local keys = read(file)
    assert.matches("CLIENT_HANDSHAKE_TRAFFIC_SECRET %x+ %x+", keys)
    assert.matches("SERVER_TRAFFIC_SECRET_0 %x+ %x+", keys)
  end)

  it("rejects bad usage with a message", function()
    local code, _, err = run(ENV .. CLI .. " client 127.0.0.1:1 --bogus")
    assert.not_equal(0, code)
    assert.matches("unknown option %-%-bogus", err)
    code, _, err = run(ENV .. CLI .. " client 127.0.0.1:1 --insecure --groups nosuchgroup")
    assert.not_equal(0, code)
    assert.matches("nosuchgroup", err)
    code, _, err = run(ENV .. CLI .. " frobnicate")
    assert.not_equal(0, code)
    assert.matches("unknown command", err)
  end)
end)

describe("moontls client --sess-out / --sess-in / --early-data", function()
  it("resumes the session it kept, and sends 0-RTT with it", function()
    local pid, port, log = moontls_server("--count 3 --early-data 1024")
    local sess = TMP .. "/cli.sess"
    local early = TMP .. "/early.txt"
    write(early, "early\n")
    local code, out, err = client(port, "--cafile " .. CA .. " --sess-out " .. sess, "one\n")
    assert.equal(0, code, err)
    assert.equal("one\n", out)
    assert.matches("resumed: no", err)
    assert.truthy(#read(sess) > 0, "no session written")
    code, out, err = client(port, "--cafile " .. CA .. " --sess-in " .. sess, "two\n")
    assert.equal(0, code, err)
    assert.equal("two\n", out)
    assert.matches("resumed: yes", err)
    -- a resumed handshake has no Certificate
    assert.is_nil(err:find("] Certificate ", 1, true))
    code, out, err = client(port, "--cafile " .. CA .. " --sess-in " .. sess .. " --early-data " .. early,
      "three\n")
    assert.equal(0, code, err)
    assert.equal("early\nthree\n", out)
    assert.matches("resumed: yes, early data accepted", err)
    assert.truthy(wait_exit(pid, 10))
    assert.truthy(log)
  end)

  it("refuses what it cannot use", function()
    local code, _, err = client(1, "--sess-in /nonexistent/x")
    assert.equal(1, code)
    assert.matches("cannot read", err)
    code, _, err = client(1, "--early-data /dev/null")
    assert.equal(1, code)
    assert.matches("needs %-%-sess%-in", err)
  end)
end)

describe("moontls client against openssl s_server", function()
  it("fetches the -www status page over TLS 1.3", function()
    local _, port = openssl_server(("-tls1_3 -cert %sleaf-p256.pem -cert_chain %sint-ca.pem -key %sleaf-p256.key -www")
      :format(PKI, PKI, PKI))
    local code, out, err = client(port, "--cafile " .. CA .. " --servername localhost",
      "GET / HTTP/1.0\r\n\r\n")
    assert.equal(0, code, err)
    assert.matches("^HTTP/1%.0 200 ok", out)
    assert.matches("New, TLSv1%.3, Cipher is TLS_AES_128_GCM_SHA256", out)
    assert.matches("<%- %[handshake%s*%] Certificate%s+%d+B  certificates=2", err)
    assert.matches("sni:%s+localhost", err)
  end)

  it("talks to an RSA server", function()
    local _, port = openssl_server(("-tls1_3 -cert %sleaf-rsa.pem -cert_chain %sint-ca.pem -key %sleaf-rsa.key -www")
      :format(PKI, PKI, PKI))
    local code, out, err = client(port, "--cafile " .. CA, "GET / HTTP/1.0\r\n\r\n")
    assert.equal(0, code, err)
    assert.matches("^HTTP/1%.0 200 ok", out)
    assert.matches("scheme=rsa_pss_rsae_sha256", err)
  end)
end)

describe("moontls server --www", function()
  local docroot = TMP .. "/docroot"
  setup(function()
    assert(os.execute(("mkdir -p %s/sub && printf 'secret\\n' > %s/secret.txt"):format(docroot, TMP)))
    write(docroot .. "/sub/hello.txt", "hello from the docroot\n")
    os.execute(("ln -sf %s/secret.txt %s/escape"):format(TMP, docroot))
  end)

  it("answers openssl s_client with the status page and files", function()
    local pid, port = moontls_server("--www --count 2 --docroot " .. docroot)
    local code, out = run(("openssl s_client -connect 127.0.0.1:%d -CAfile %s -quiet"):format(port, CA),
      "GET / HTTP/1.0\r\n\r\n")
    assert.equal(0, code)
    assert.matches("^HTTP/1%.0 200 OK", out)
    assert.matches("protocol:%s+TLSv1%.3", out)
    assert.matches("New, TLSv1%.3, Cipher is TLS_AES_", out)
    assert.matches("Client offered ciphers: TLS_AES_256_GCM_SHA384", out)
    code, out = run(("openssl s_client -connect 127.0.0.1:%d -CAfile %s -verify_return_error -quiet"):format(port, CA),
      "GET /sub/hello.txt HTTP/1.0\r\n\r\n")
    assert.equal(0, code)
    assert.matches("^HTTP/1%.0 200 OK", out)
    assert.matches("\r\n\r\nhello from the docroot\n$", out)
    assert.is_true(wait_exit(pid, 10))
  end)

  it("refuses paths outside --docroot", function()
    local attempts = {
      { "/../secret.txt", "403" }, { "/sub/../../secret.txt", "403" },
      { "/%2e%2e/secret.txt", "403" }, { "//etc/passwd", "403" }, { "/sub/..%2f..%2fsecret.txt", "403" },
      { "/nothing-here.txt", "404" }, { "/sub", "404" },
    }
    if pcall(require, "lfs") then attempts[#attempts + 1] = { "/escape", "403" } end
    local _, port = moontls_server(("--www --quiet --count %d --docroot %s"):format(#attempts, docroot))
    for _, a in ipairs(attempts) do
      local code, out, err = client(port, "--quiet --cafile " .. CA, ("GET %s HTTP/1.0\r\n\r\n"):format(a[1]))
      assert.equal(0, code, err)
      assert.matches("^HTTP/1%.0 " .. a[2], out, a[1])
      assert.not_matches("secret", out)
    end
  end)

  it("serves curl when curl is installed", function()
    if not have("curl") then
      pending("curl not installed")
      return
    end
    local _, port = moontls_server("--www --quiet --count 2 --docroot " .. docroot)
    local code, out = run(("curl -sS --max-time 20 --cacert %s https://localhost:%d/sub/hello.txt"):format(CA, port))
    assert.equal(0, code)
    assert.equal("hello from the docroot\n", out)
    code, out = run(("curl -sS --max-time 20 --path-as-is --cacert %s -o /dev/null -w '%%{http_code}' https://127.0.0.1:%d/../secret.txt")
      :format(CA, port))
    assert.equal(0, code)
    assert.equal("403", out)
  end)
end)

describe("moontls run", function()
  it("runs a script with the module on its path and arg set", function()
    local script = TMP .. "/script.lua"
    write(script, [[
local tls = require "moontls"
print("version " .. tls.version)
print("arg0 " .. arg[0])
print("args " .. select("#", ...) .. " " .. table.concat(arg, ","))
return tonumber(arg[3]) or 0
]])
    local code, out, err = run(("%s%s run %s one 'two words' 0"):format(ENV, CLI, script))
    assert.equal(0, code, err)
    assert.matches("version %d+%.%d+%.%d+", out)
    assert.matches("arg0 " .. script:gsub("%p", "%%%0"), out)
    assert.matches("args 3 one,two words,0", out)
    code = run(("%s%s run %s a b 7"):format(ENV, CLI, script))
    assert.equal(7, code)
  end)

  it("reports a script's error and exits non-zero", function()
    local script = TMP .. "/broken.lua"
    write(script, "error('boom')\n")
    local code, _, err = run(("%s%s run %s"):format(ENV, CLI, script))
    assert.not_equal(0, code)
    assert.matches("boom", err)
  end)
end)
