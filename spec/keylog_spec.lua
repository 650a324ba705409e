-- Key logs against a real dissector: a moontls client (the Lua API, keylog = path) fetches
-- a page from the moontls server (scripts/moontls server --www --keylog) over 127.0.0.1
-- while tshark captures the loopback interface; then tshark, given the key log, must
-- decrypt the session (the handshake, the HTTP request with a unique marker in its path,
-- the response with another marker, the close_notify alerts), and without it, or with one
-- secret altered, must not. The key logs themselves are checked for the NSS format and for
-- agreement between client and server.
--
-- Needs tshark and permission to capture on `lo` (root, or dumpcap's capabilities): when
-- either is missing each test is marked pending with the reason, it does not fail. Every
-- process a test starts (tshark, the server) is stopped in after_each; every wait is
-- bounded, and tshark also stops itself after CAPTURE_LIMIT seconds.
local socket = require "socket"
local H = require "interop.helpers"
local tls = require "moontls"

local ROOT = debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$") or "."
if ROOT:sub(1, 1) ~= "/" then ROOT = os.getenv("PWD") .. "/" .. ROOT end
local CLI = ROOT .. "/scripts/moontls"
local CA = ROOT .. "/spec/fixtures/pki/ca-bundle.pem"
local TSHARK = os.getenv("MOONTLS_TSHARK") or "tshark"
local CAPTURE_LIMIT = 120

-- The wrapper loads core.so from MOONTLS_BUILD: use the build the specs run against.
local build_dir = H.build_dir

local q = H.q

local read, write = H.read, H.write

local TMP = os.tmpname()
os.remove(TMP)
assert(os.execute("mkdir -p " .. q(TMP)))
-- An empty Wireshark profile: no personal preference (a global tls.keylog_file, say) can
-- decrypt for us or stop a decryption.
local WSCONF = TMP .. "/wireshark"
assert(os.execute("mkdir -p " .. q(WSCONF)))
local TSHARK_ENV = "env WIRESHARK_CONFIG_DIR=" .. q(WSCONF) .. " "

-- ---------------------------------------------------------------------------------
-- Processes
-- ---------------------------------------------------------------------------------

local procs = {} -- { pid =, signal = } started by the running test
local open_socks = {}

local function spawn(cmd, log, signal)
  local p = assert(io.popen(("exec %s >%s 2>&1 </dev/null & echo $!"):format(cmd, q(log))))
  local pid = tonumber(p:read("l"))
  p:close()
  assert(pid, "no pid for " .. cmd)
  procs[#procs + 1] = { pid = pid, signal = signal or "TERM" }
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
  return not alive(pid)
end

-- Signal, wait a little, then SIGKILL.
local function stop(pid, signal)
  if not alive(pid) then return end
  os.execute(("kill -%s %d 2>/dev/null"):format(signal or "TERM", pid))
  if not wait_exit(pid, 10) then
    os.execute("kill -KILL " .. pid .. " 2>/dev/null")
    wait_exit(pid, 5)
  end
end

local function wait_log(pid, log, pattern, seconds)
  local deadline = socket.gettime() + seconds
  while socket.gettime() < deadline do
    if read(log):find(pattern, 1, true) then return true end
    if not alive(pid) then return read(log):find(pattern, 1, true) ~= nil end
    socket.sleep(0.05)
  end
  return false
end

local seq = 0 -- names the files of each batch of tshark -r runs

after_each(function()
  for _, s in ipairs(open_socks) do pcall(s.close, s) end
  open_socks = {}
  for i = #procs, 1, -1 do stop(procs[i].pid, procs[i].signal) end
  procs = {}
end)

teardown(function()
  os.execute("rm -rf " .. q(TMP))
end)

-- ---------------------------------------------------------------------------------
-- Capture
-- ---------------------------------------------------------------------------------

local function have(cmd)
  return os.execute("command -v " .. q(cmd) .. " >/dev/null 2>&1") == true
end

-- What tshark/dumpcap say when this machine cannot capture on lo: not a moontls failure.
local CANNOT_CAPTURE = {
  "permission", "not permitted", "no such device", "there is no device",
  "no interfaces", "no capture devices", "socket: address family not supported",
}

local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return 0 end
  local size = f:seek("end")
  f:close()
  return size
end

-- Start capturing TCP port `port` on lo into `pcap`. Returns the pid; marks the test
-- pending when tshark is missing or capture is not permitted; raises on anything else.
-- "Capturing on 'Loopback: lo'" comes before dumpcap has opened the interface (and also
-- when it then fails for lack of permission): capture is on once dumpcap has written the
-- file's header, which it does after opening the interface and setting the filter.
local function start_capture(port, pcap)
  if not have(TSHARK) then
    pending(("%s is not installed (make deps installs it): key logs not checked against Wireshark"):format(TSHARK))
  end
  local log = pcap .. ".tshark.log"
  os.remove(pcap) -- a file from an earlier try would look like a started capture
  local pid = spawn(("%s%s -i lo -f %s -w %s -a duration:%d"):format(TSHARK_ENV, q(TSHARK),
    q("tcp port " .. port), q(pcap), CAPTURE_LIMIT), log, "INT")
  local deadline = socket.gettime() + 20
  local started = false
  while socket.gettime() < deadline do
    local out = read(log)
    local failed = out:find("tshark: ", 1, true) or not alive(pid)
    if not failed and out:find("Capturing on", 1, true) and file_size(pcap) > 0 then
      started = true
      break
    end
    if failed then socket.sleep(0.2); break end -- let the whole message arrive
    socket.sleep(0.05)
  end
  if started then return pid end
  stop(pid, "INT")
  local out = read(log)
  local lower = out:lower()
  for _, p in ipairs(CANNOT_CAPTURE) do
    if lower:find(p, 1, true) then
      local why = out:gsub("Running as user[^\n]*\n", ""):gsub("Capturing on[^\n]*\n", "")
      pending("cannot capture on lo here: " .. (why:gsub("%s+", " "):gsub("^%s+", "")):sub(1, 200))
    end
  end
  error("tshark did not start capturing on lo within 20 s:\n" .. out)
end

-- Stop the capture once every packet is in: tshark flushes the file on SIGINT.
local function stop_capture(pid, pcap)
  socket.sleep(0.3) -- let the last segments (FIN/RST) reach the capture buffer
  os.execute("kill -INT " .. pid .. " 2>/dev/null")
  assert.is_true(wait_exit(pid, 15), "tshark did not stop on SIGINT")
  assert.is_true(file_size(pcap) > 0, "tshark wrote no capture file")
end

-- ---------------------------------------------------------------------------------
-- The session: moontls server (CLI, --www) and moontls client (Lua API)
-- ---------------------------------------------------------------------------------

local function random_port()
  return 20000 + math.random(20000)
end

local function token(tag)
  return ("%s-%d-%d"):format(tag, os.time(), math.random(1000000000))
end

-- Everything one captured session leaves behind.
local function session(suite)
  local dir = TMP .. "/" .. token("s")
  assert(os.execute("mkdir -p " .. q(dir .. "/docroot")))
  local s = {
    suite = suite, dir = dir, pcap = dir .. "/x.pcapng",
    k1 = dir .. "/server.keys", k2 = dir .. "/client.keys",
    req_marker = token("moontls-request-marker"),
    resp_marker = token("moontls-response-marker"),
  }
  s.file = token("page") .. ".txt"
  s.path = "/" .. s.file .. "?marker=" .. s.req_marker
  write(dir .. "/docroot/" .. s.file, "moontls keylog test page: " .. s.resp_marker .. "\n")

  -- Port: chosen before tshark starts (its filter names it); another try when taken.
  local tshark_pid, server_pid, server_log
  for _ = 1, 3 do
    s.port = random_port()
    local probe = socket.tcp()
    local free = probe:bind("127.0.0.1", s.port)
    probe:close()
    if free then
      tshark_pid = start_capture(s.port, s.pcap)
      server_log = dir .. "/server.log"
      server_pid = spawn(("env MOONTLS_BUILD=%s %s server --port %d --count 1 --www --docroot %s --ciphers %s --keylog %s --timeout 10")
        :format(q(build_dir()), q(CLI), s.port, q(dir .. "/docroot"), q(suite), q(s.k1)), server_log)
      if wait_log(server_pid, server_log, "listening on", 10) then break end
      stop(server_pid)
      stop(tshark_pid, "INT")
      server_pid = nil
    end
  end
  assert.truthy(server_pid, "the moontls server did not start: " .. read(server_log or ""))

  local ctx = assert(tls.context{
    mode = "client", versions = { "1.3" }, suites = { suite }, cafile = CA, verify = "peer",
    server_name = "localhost", keylog = s.k2,
  })
  local sock = socket.tcp()
  open_socks[#open_socks + 1] = sock
  sock:settimeout(10)
  assert(sock:connect("127.0.0.1", s.port))
  local conn = ctx:wrap(sock)
  conn:settimeout(10)
  local ok, err, name = conn:handshake()
  assert(ok, ("handshake failed: %s (%s)\nserver log:\n%s"):format(tostring(err), tostring(name), read(server_log)))
  s.info = conn:info()
  assert(conn:send(("GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n"):format(s.path)))
  local data, rerr, partial = conn:receive("*a")
  s.response = data or partial or ""
  assert(data, ("receive: %s\nserver log:\n%s"):format(tostring(rerr), read(server_log)))
  conn:close()

  assert.is_true(wait_exit(server_pid, 15), "the server did not exit after --count 1")
  stop_capture(tshark_pid, s.pcap)
  s.server_log = read(server_log)
  return s
end

-- ---------------------------------------------------------------------------------
-- Reading the capture back
-- ---------------------------------------------------------------------------------

-- What tshark sees of the session's capture given each key log in `keylogs` ("" for
-- none): one tshark -r per key log, all at once (each takes about a second to start).
local VIEW_FIELDS = { "tls.handshake.type", "tls.record.content_type", "tls.alert_message.desc",
  "tls.app_data", "tls.handshake.random", "http.request.uri", "http.response.code", "http.file_data" }

local function views(s, keylogs)
  seq = seq + 1
  local jobs = {}
  for i, keylog in ipairs(keylogs) do
    local base = ("%s/dissect%d.%d"):format(TMP, seq, i)
    local cmd = ("timeout 60 %s%s -r %s -n -d %s -o %s -Y tls -T fields -E separator=/t"):format(
      TSHARK_ENV, q(TSHARK), q(s.pcap), q("tcp.port==" .. s.port .. ",tls"), q("tls.keylog_file:" .. keylog))
    for _, f in ipairs(VIEW_FIELDS) do cmd = cmd .. " -e " .. q(f) end
    jobs[i] = ("( %s </dev/null >%s.out 2>%s.err; echo $? >%s.rc ) &"):format(cmd, base, base, base)
  end
  os.execute(table.concat(jobs, " ") .. " wait")
  local result = {}
  for i in ipairs(keylogs) do
    local base = ("%s/dissect%d.%d"):format(TMP, seq, i)
    assert.equal("0", read(base .. ".rc"):match("%d+"), "tshark -r failed: " .. read(base .. ".err"))
    local v = { uris = {}, bodies = {}, codes = {}, hs = {}, inner = {}, alerts = 0, opaque = 0, randoms = {} }
    for line in read(base .. ".out"):gmatch("[^\n]+") do
      local r, n = {}, 0
      for f in (line .. "\t"):gmatch("([^\t]*)\t") do n = n + 1; r[n] = f end
      for k = n + 1, #VIEW_FIELDS do r[k] = "" end
      for t in r[1]:gmatch("%d+") do v.hs[#v.hs + 1] = tonumber(t) end
      for t in r[2]:gmatch("%d+") do v.inner[tonumber(t)] = (v.inner[tonumber(t)] or 0) + 1 end
      for t in r[3]:gmatch("%d+") do if t == "0" then v.alerts = v.alerts + 1 end end
      for _ in r[4]:gmatch("[^,]+") do v.opaque = v.opaque + 1 end
      if r[5] ~= "" then v.randoms[#v.randoms + 1] = r[5] end
      if r[6] ~= "" then v.uris[#v.uris + 1] = r[6] end
      if r[7] ~= "" then v.codes[#v.codes + 1] = r[7] end
      if r[8] ~= "" then v.bodies[#v.bodies + 1] = r[8] end
    end
    table.sort(v.hs)
    result[i] = v
  end
  return table.unpack(result)
end

local function joined(list) return table.concat(list, ",") end

-- ---------------------------------------------------------------------------------
-- Key log files
-- ---------------------------------------------------------------------------------

local LABELS = { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                 "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET" }
local HASH_LEN = { TLS_AES_128_GCM_SHA256 = 32, TLS_CHACHA20_POLY1305_SHA256 = 32,
                   TLS_AES_256_GCM_SHA384 = 48 }

-- Parse and check an NSS key log of one TLS 1.3 connection: five lines
-- `LABEL <64 hex client random> <hex secret>`, each label once, one client random,
-- secrets as long as the suite's hash. Returns { label = secret }, client random, lines.
local function keylog_file(path, suite, who)
  local text = read(path)
  assert.is_true(#text > 0, who .. " key log is empty or missing: " .. path)
  assert.equal("\n", text:sub(-1), who .. " key log: last line not terminated")
  assert.is_nil(text:find("\r", 1, true), who .. " key log: CR in the file")
  local secrets, cr, lines = {}, nil, {}
  for line in text:gmatch("([^\n]*)\n") do
    lines[#lines + 1] = line
    local label, random, secret = line:match("^([%u%d_]+) (%x+) (%x+)$")
    assert.truthy(label, who .. " key log: not `LABEL <hex> <hex>`: " .. line)
    assert.equal(64, #random, who .. " key log: client random is not 32 bytes: " .. line)
    assert.equal(2 * HASH_LEN[suite], #secret, who .. " key log: secret length for " .. suite .. ": " .. line)
    assert.is_nil(secrets[label], who .. " key log: " .. label .. " twice")
    cr = cr or random:lower()
    assert.equal(cr, random:lower(), who .. " key log: client randoms differ")
    secrets[label] = secret:lower()
  end
  assert.equal(#LABELS, #lines, who .. " key log: five lines expected:\n" .. text)
  local seen = {}
  for _, l in ipairs(LABELS) do
    assert.truthy(secrets[l], who .. " key log: no " .. l)
    assert.is_nil(seen[secrets[l]], who .. " key log: the same secret under two labels")
    seen[secrets[l]] = true
  end
  assert.is_nil(secrets.CLIENT_RANDOM, who .. " key log: a TLS 1.2 CLIENT_RANDOM line in a TLS 1.3 session")
  return secrets, cr, lines
end

-- A copy of a key log with one label's secret altered (first hex digit flipped).
local function tampered(path, label)
  local out, n = read(path):gsub("(" .. label .. " %x+ )(%x)", function(pre, d)
    return pre .. (d == "0" and "1" or "0")
  end)
  assert.equal(1, n)
  local p = path .. "." .. label
  write(p, out)
  return p
end

-- ---------------------------------------------------------------------------------
-- The checks
-- ---------------------------------------------------------------------------------

-- Sorted types: CH, SH, the server's two NewSessionTickets (under its application keys),
-- EE, Certificate, CertificateVerify, Finished x2
local FULL_HANDSHAKE = "1,2,4,4,8,11,15,20,20"

local function check_session(s, keylog_path)
  -- The session itself worked and used the suite asked for.
  assert.equal(s.suite, s.info.suite)
  assert.equal("1.3", s.info.version)
  assert.matches("^HTTP/1%.0 200 OK\r\n", s.response)
  assert.truthy(s.response:find(s.resp_marker, 1, true), "the page did not come back")

  -- Both key logs are well-formed, name this connection's ClientHello random, and agree.
  local cs, ccr, clines = keylog_file(s.k2, s.suite, "client")
  local ss, scr, slines = keylog_file(s.k1, s.suite, "server")
  assert.equal(ccr, scr, "client and server log different client randoms")
  for _, l in ipairs(LABELS) do
    assert.equal(cs[l], ss[l], "client and server disagree on " .. l)
  end
  table.sort(clines)
  table.sort(slines)
  assert.same(clines, slines)
  local blind, seen, no_client, no_server, no_shs = views(s, { "", keylog_path,
    tampered(keylog_path, "CLIENT_TRAFFIC_SECRET_0"), tampered(keylog_path, "SERVER_TRAFFIC_SECRET_0"),
    tampered(keylog_path, "SERVER_HANDSHAKE_TRAFFIC_SECRET") })
  -- randoms: the ClientHello's, then the ServerHello's
  assert.equal(2, #blind.randoms, "one ClientHello and one ServerHello expected in the capture")
  assert.equal(ccr, (blind.randoms[1]:gsub(":", "")):lower(), "the key log's client random is not the ClientHello's")

  -- Not by accident: the markers are nowhere in the raw capture, and tshark without a
  -- key log sees records it cannot read, no HTTP and only the plaintext handshake.
  local raw = read(s.pcap)
  assert.is_nil(raw:find(s.req_marker, 1, true), "request marker in clear in the capture")
  assert.is_nil(raw:find(s.resp_marker, 1, true), "response marker in clear in the capture")
  assert.same({}, blind.uris)
  assert.same({}, blind.codes)
  assert.equal("1,2", joined(blind.hs))
  assert.is_nil(blind.inner[23], "application data readable without keys")
  assert.equal(0, blind.alerts)
  -- encrypted records: server flight, client Finished, request, response, two alerts
  assert.is_true(blind.opaque >= 6, "expected encrypted records in the capture, got " .. blind.opaque)

  -- With the key log: every encrypted message decrypts.
  assert.same({ s.path }, seen.uris)
  assert.same({ "200" }, seen.codes)
  assert.truthy(seen.uris[1]:find(s.req_marker, 1, true))
  assert.truthy(seen.bodies[1]:find(s.resp_marker, 1, true), "decrypted body: " .. tostring(seen.bodies[1]))
  assert.equal(FULL_HANDSHAKE, joined(seen.hs))
  assert.equal(2, seen.inner[23], "two decrypted application data records (request, response)")
  assert.equal(2, seen.alerts, "both close_notify alerts decrypted")

  -- Each application traffic secret opens its own direction and nothing else.
  assert.same({}, no_client.uris)
  assert.same({ "200" }, no_client.codes)
  assert.equal(FULL_HANDSHAKE, joined(no_client.hs))
  assert.same({ s.path }, no_server.uris)
  assert.same({}, no_server.codes)
  -- A wrong server handshake secret hides EncryptedExtensions .. server Finished.
  assert.equal("1,2,20", joined(no_shs.hs))
end

describe("NSS key log from moontls decrypts a loopback capture in tshark", function()
  it("TLS_AES_128_GCM_SHA256, the client's key log", function()
    local s = session("TLS_AES_128_GCM_SHA256")
    check_session(s, s.k2)
  end)

  it("TLS_CHACHA20_POLY1305_SHA256, the client's key log", function()
    local s = session("TLS_CHACHA20_POLY1305_SHA256")
    check_session(s, s.k2)
  end)

  it("TLS_AES_128_GCM_SHA256, the server's key log (scripts/moontls server --keylog)", function()
    local s = session("TLS_AES_128_GCM_SHA256")
    check_session(s, s.k1)
  end)

  it("TLS_AES_256_GCM_SHA384 (48-byte secrets), the client's key log", function()
    local s = session("TLS_AES_256_GCM_SHA384")
    check_session(s, s.k2)
  end)
end)
