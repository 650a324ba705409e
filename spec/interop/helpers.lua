-- Shared plumbing for the live interop specs (spec/interop/*_spec.lua): peer processes
-- on 127.0.0.1, bounded waits, random ports in 20000-40000, and one place that kills
-- every process a spec started. Load as require "interop.helpers".
--
-- Every spawned command runs under timeout(1) as a last resort, so even a crashed busted
-- run leaves nothing behind for long; specs still kill each process in after_each.
local socket = require "socket"

local M = {}

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "spec/interop"
M.ROOT = here:match("^(.*)/spec/interop$") or "."
if M.ROOT:sub(1, 1) ~= "/" then M.ROOT = (os.getenv("PWD") or ".") .. "/" .. M.ROOT end
M.ROOT = M.ROOT:gsub("/%./?$", ""):gsub("/%.$", "")
M.PKI = M.ROOT .. "/spec/fixtures/pki/"
M.CA = M.PKI .. "ca-bundle.pem"
M.SERVER = M.ROOT .. "/spec/interop/server.lua"

M.SUITES = { "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256" }
M.GROUPS = { "x25519", "x448", "secp256r1", "secp384r1", "secp521r1", "ffdhe2048", "ffdhe3072", "ffdhe4096" }

-- Server certificates: the stem in spec/fixtures/pki and the TLS 1.3 signature scheme a
-- peer uses by default with it.
M.CERTS = {
  { stem = "leaf-p256", sigalg = "ecdsa_secp256r1_sha256" },
  { stem = "leaf-rsa", sigalg = "rsa_pss_rsae_sha256" },
}

-- Names the peers print -------------------------------------------------------------

M.openssl_suite = { -- OpenSSL uses the IANA names for TLS 1.3 suites
  TLS_AES_128_GCM_SHA256 = "TLS_AES_128_GCM_SHA256",
  TLS_AES_256_GCM_SHA384 = "TLS_AES_256_GCM_SHA384",
  TLS_CHACHA20_POLY1305_SHA256 = "TLS_CHACHA20_POLY1305_SHA256",
}
-- s_client's "Server Temp Key:" line per group (OpenSSL 3.0 prints no group name).
M.openssl_temp_key = {
  x25519 = "X25519, 253 bits", x448 = "X448, 448 bits",
  secp256r1 = "ECDH, prime256v1, 256 bits", secp384r1 = "ECDH, secp384r1, 384 bits",
  secp521r1 = "ECDH, secp521r1, 521 bits",
  ffdhe2048 = "DH, 2048 bits", ffdhe3072 = "DH, 3072 bits", ffdhe4096 = "DH, 4096 bits",
}
-- s_client -brief "Signature type:" and "Hash used:" per scheme.
M.openssl_sig = {
  ecdsa_secp256r1_sha256 = { "ECDSA", "SHA256" }, ecdsa_secp384r1_sha384 = { "ECDSA", "SHA384" },
  ecdsa_secp521r1_sha512 = { "ECDSA", "SHA512" },
  rsa_pss_rsae_sha256 = { "RSA-PSS", "SHA256" }, rsa_pss_rsae_sha384 = { "RSA-PSS", "SHA384" },
  rsa_pss_rsae_sha512 = { "RSA-PSS", "SHA512" },
}
M.gnutls_cipher = {
  TLS_AES_128_GCM_SHA256 = "AES-128-GCM", TLS_AES_256_GCM_SHA384 = "AES-256-GCM",
  TLS_CHACHA20_POLY1305_SHA256 = "CHACHA20-POLY1305",
}
M.gnutls_group = {
  x25519 = "X25519", x448 = "X448", secp256r1 = "SECP256R1", secp384r1 = "SECP384R1",
  secp521r1 = "SECP521R1", ffdhe2048 = "FFDHE2048", ffdhe3072 = "FFDHE3072", ffdhe4096 = "FFDHE4096",
}
-- The key exchange part of gnutls' "- Description:" line.
function M.gnutls_kx(group)
  if group:match("^ffdhe") then return "DHE-" .. M.gnutls_group[group] end
  return "ECDHE-" .. M.gnutls_group[group]
end
M.gnutls_sig = {
  ecdsa_secp256r1_sha256 = "ECDSA-SECP256R1-SHA256", ecdsa_secp384r1_sha384 = "ECDSA-SECP384R1-SHA384",
  ecdsa_secp521r1_sha512 = "ECDSA-SECP521R1-SHA512",
  rsa_pss_rsae_sha256 = "RSA-PSS-RSAE-SHA256", rsa_pss_rsae_sha384 = "RSA-PSS-RSAE-SHA384",
  rsa_pss_rsae_sha512 = "RSA-PSS-RSAE-SHA512",
}

-- A GnuTLS priority string for TLS 1.3 only, optionally forcing one suite and one group.
function M.gnutls_priority(suite, group)
  local p = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+GROUP-X448"
  if suite then p = p .. ":-CIPHER-ALL:+" .. M.gnutls_cipher[suite] end
  if group then p = p .. ":-GROUP-ALL:+GROUP-" .. M.gnutls_group[group] end
  return p
end

-- Files ------------------------------------------------------------------------------

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

function M.write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- The build the specs run against (the Makefile puts it first on LUA_CPATH), for the
-- moontls command's MOONTLS_BUILD: its environment, else the first LUA_CPATH directory
-- holding moontls/core.so, else build.
function M.build_dir()
  local env = os.getenv("MOONTLS_BUILD")
  if env then return env end
  for dir in package.cpath:gmatch("([^;]+)/%?%.so") do
    local f = io.open(dir .. "/moontls/core.so", "rb")
    if f then f:close(); return dir end
  end
  return "build"
end

-- Logs and client output go to a private directory, made on first use and removed
-- by cleanup() (a later use makes it again).
M.TMP = os.tmpname()
os.remove(M.TMP)
local made = false

local seq = 0
local function tmpfile(tag)
  if not made then
    assert(os.execute("mkdir -p " .. M.TMP))
    made = true
  end
  seq = seq + 1
  return ("%s/%s%d"):format(M.TMP, tag, seq)
end

-- Shell quoting for one argument.
function M.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Processes --------------------------------------------------------------------------

local pids = {}

-- A spawned process is reparented once its shell exits, and its new parent may reap it
-- late: a zombie counts as dead (kill -0 would still succeed on it).
local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "rb")
  if not f then return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true end
  local stat = f:read("a") or ""
  f:close()
  local state = stat:match("^%d+ %b() (%a)")
  return state ~= nil and state ~= "Z" and state ~= "X"
end
M.alive = alive

-- Start `cmd` in the background with stdout and stderr in `log`; returns its pid.
function M.spawn(cmd, log, limit)
  local p = assert(io.popen(("exec timeout %d %s >%s 2>&1 </dev/null & echo $!")
    :format(limit or 90, cmd, log)))
  local pid = math.tointeger(tonumber(p:read("l")))
  p:close()
  assert(pid, "no pid for " .. cmd)
  pids[#pids + 1] = pid
  return pid
end

-- Kill every process started with spawn (by pid: TERM, then KILL if it lingers).
function M.kill_all()
  for _, pid in ipairs(pids) do
    if alive(pid) then os.execute("kill " .. pid .. " 2>/dev/null") end
  end
  for _, pid in ipairs(pids) do
    for _ = 1, 40 do
      if not alive(pid) then break end
      socket.sleep(0.025)
    end
    if alive(pid) then os.execute("kill -9 " .. pid .. " 2>/dev/null") end
  end
  pids = {}
end

function M.cleanup()
  M.kill_all()
  os.execute("rm -rf " .. M.TMP)
  made = false
end

-- Wait until `log` contains `pattern` (plain text), or the process died, or time ran
-- out. Returns true when found.
function M.wait_log(pid, log, pattern, seconds)
  local deadline = socket.gettime() + (seconds or 10)
  while socket.gettime() < deadline do
    if M.read(log):find(pattern, 1, true) then return true end
    if pid and not alive(pid) then return M.read(log):find(pattern, 1, true) ~= nil end
    socket.sleep(0.01)
  end
  return false
end

function M.wait_exit(pid, seconds)
  local deadline = socket.gettime() + (seconds or 10)
  while socket.gettime() < deadline do
    if not alive(pid) then return true end
    socket.sleep(0.02)
  end
  return false
end

math.randomseed(os.time() ~ math.floor(socket.gettime() * 1e6))
function M.random_port()
  return 20000 + math.random(0, 20000)
end

-- Start a listening peer: `make(port)` gives the command, `ready` the text its log
-- shows once it listens. Retries on other ports when one is taken (the peer dies).
-- Returns pid, port, log.
local function start_server(tag, make, ready)
  local last
  for _ = 1, 5 do
    local port = M.random_port()
    local log = tmpfile(tag)
    local pid = M.spawn(make(port), log)
    if M.wait_log(pid, log, ready, 10) then return pid, port, log end
    last = M.read(log)
    if alive(pid) then os.execute("kill " .. pid .. " 2>/dev/null") end
  end
  error(tag .. " did not start: " .. tostring(last))
end

-- openssl s_server -tls1_3 on 127.0.0.1 with a certificate stem from the test PKI.
function M.openssl_server(stem, args)
  local chain = M.PKI .. stem .. ".chain.pem"
  local cert_args = ("-cert %s%s.pem -key %s%s.key"):format(M.PKI, stem, M.PKI, stem)
  if M.read(chain) ~= "" then cert_args = cert_args .. " -cert_chain " .. M.PKI .. "int-ca.pem" end
  return start_server("s_server", function(port)
    return ("openssl s_server -accept 127.0.0.1:%d -tls1_3 %s %s"):format(port, cert_args, args or "")
  end, "ACCEPT")
end

-- gnutls-serv --echo, TLS 1.3 only. gnutls-serv has no bind-address option: it listens
-- on every interface; the specs only ever connect to 127.0.0.1.
function M.gnutls_server(stem, priority, args)
  local chain = M.PKI .. stem .. ".chain.pem"
  if M.read(chain) == "" then chain = M.PKI .. stem .. ".pem" end
  return start_server("gnutls-serv", function(port)
    return ("gnutls-serv --priority %s --x509certfile %s --x509keyfile %s%s.key --echo -a -p %d %s")
      :format(M.q(priority or M.gnutls_priority()), chain, M.PKI, stem, port, args or "")
  end, "...done") -- "listening on IPv4 ... port N" comes before listen() returns: wait for
                 -- the "...done" that follows it
end

-- The moontls server child (spec/interop/server.lua) with key=value options.
function M.moontls_server(opts)
  local args = {}
  for k, v in pairs(opts or {}) do args[#args + 1] = ("%s=%s"):format(k, M.q(v)) end
  table.sort(args)
  return start_server("moontls-server", function(port)
    return ("lua5.4 %s port=%d %s"):format(M.SERVER, port, table.concat(args, " "))
  end, "listening")
end

-- A moontls client handshake with 127.0.0.1:port (test PKI trust, name localhost),
-- params overriding. A refused connection is retried briefly: a peer's "listening"
-- line may precede its listen() by a moment. Returns conn or nil, err, NAME.
function M.connect(port, params)
  local tls = require "moontls"
  local p = { mode = "client", cafile = M.CA, server_name = "localhost" }
  for k, v in pairs(params or {}) do p[k] = v end
  local ctx = assert(tls.context(p))
  local c, err, name
  for _ = 1, 20 do
    c, err, name = tls.connect("127.0.0.1", port, ctx, { timeout = 10, handshake = true })
    if c or tostring(err):find("connection refused", 1, true) == nil then break end
    socket.sleep(0.05)
  end
  return c, err, name
end

-- Run a client command with `input` on its stdin, stdout and stderr together. The
-- stdin stays open until the output shows `expect` (plain text) or the peer is done,
-- so a client that quits on end of input cannot race the peer's answer. Bounded by
-- timeout(1) and by `seconds`. Returns output, exit code.
function M.run_client(cmd, input, expect, seconds)
  local out = tmpfile("client")
  local done = out .. ".rc"
  local p = assert(io.popen(("timeout %d %s >%s 2>&1; echo $? >%s")
    :format(seconds or 20, cmd, out, done), "w"))
  p:write(input or "")
  p:flush()
  if expect then
    local deadline = socket.gettime() + (seconds or 20)
    while socket.gettime() < deadline do
      if M.read(out):find(expect, 1, true) or M.read(done) ~= "" then break end
      socket.sleep(0.01)
    end
  end
  p:close()
  return M.read(out), math.tointeger(tonumber(M.read(done)))
end

-- Count plain occurrences of `needle` in `s`.
function M.count(s, needle)
  local n, i = 0, 1
  while true do
    local j = s:find(needle, i, true)
    if not j then return n end
    n, i = n + 1, j + #needle
  end
end

-- Escape a string for use as a Lua pattern.
function M.lit(s)
  return (s:gsub("%p", "%%%0"))
end

return M
