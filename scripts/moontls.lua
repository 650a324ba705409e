-- moontls: the command line. Run it through the scripts/moontls wrapper, which puts this
-- checkout's module on the Lua paths.
--
--   moontls client HOST:PORT [options]   connect, trace the handshake, then copy stdin to
--                                        the connection and the connection to stdout
--   moontls server [options]             accept connections one after another, trace
--                                        them, echo data back (or serve HTTP with --www)
--   moontls run SCRIPT.lua [args...]     run a Lua script with the module on its path
--
-- Where the output goes: the client writes received data to stdout and everything else
-- (trace, parameters, ladder, errors) to stderr, so `moontls client ... > page.html` keeps
-- just the data. The server has no data stream of its own and logs to stdout.
local socket = require "socket"

-- The module is loaded on first use, so `moontls --help` works even without a build, and
-- a missing or stale build gives one clear line instead of a traceback.
local tls, trace, ladder
local function load_module()
  local ok, mod = pcall(require, "moontls")
  if not ok then
    io.stderr:write("moontls: cannot load the Lua module (", os.getenv("MOONTLS_BUILD") or "build",
      "/moontls/core.so with bindings/): run make\n  ", tostring(mod):match("^[^\n]*"), "\n")
    os.exit(2)
  end
  tls, trace, ladder = mod, require "trace", require "ladder"
end

local ROOT = os.getenv("MOONTLS_ROOT") or "."
local PKI = ROOT .. "/spec/fixtures/pki/"
local SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"

local USAGE = [[
usage: moontls client HOST:PORT [options]
       moontls server [options]
       moontls run SCRIPT.lua [args...]

common options:
  --tls1.3             offer/accept TLS 1.3 only (the only version this build speaks)
  --groups LIST        key exchange groups, comma separated (x25519,secp256r1,...)
  --ciphers LIST       TLS 1.3 cipher suites (TLS_AES_128_GCM_SHA256,...)
  --alpn LIST          ALPN protocols (h2,http/1.1,...)
  --keylog FILE        append the session keys in NSS key log format (for Wireshark)
  --trace              dump each handshake message as a table (tls.decode's fields)
                       under its one-line summary (the summary alone is the default)
  --ladder             draw a ladder diagram of what crossed the wire afterwards
  --quiet              no trace, no parameters
  --timeout S          seconds to wait for the peer on each read (client 10, server 30)

client options:
  --servername NAME    SNI and the name the certificate must match (default: HOST)
  --cafile FILE        trust anchors (default: ]] .. SYSTEM_CA .. [[)
  --insecure           do not verify the server's certificate
  --wait S             after stdin ends, wait this long for more data (default 1)
  --sess-in FILE       resume the session kept in FILE (from --sess-out)
  --sess-out FILE      keep the newest session the server gave in FILE (a secret: it
                       holds the resumption PSK)
  --early-data FILE    send FILE as 0-RTT early data with --sess-in's session

server options:
  --host H             address to listen on (default 127.0.0.1)
  --port N             port (default 4433; 0 picks one and prints it)
  --cert FILE --key FILE   credential (default: the test PKI's leaf-p256)
  --www                answer HTTP GET: / is a status page, /FILE a file from --docroot
  --docroot DIR        where --www finds files (default: the current directory)
  --count N            stop after N connections
  --tickets N          NewSessionTickets per connection (default 2; 0: none)
  --early-data MAX     accept up to MAX bytes of 0-RTT early data on resumed connections
]]

local function die(fmt, ...)
  io.stderr:write("moontls: ", fmt:format(...), "\n")
  os.exit(1)
end

-- ---------------------------------------------------------------------------------
-- Arguments
-- ---------------------------------------------------------------------------------

-- Options and whether they take a value.
local OPTIONS = {
  ["--servername"] = true, ["--insecure"] = false, ["--cafile"] = true, ["--tls1.3"] = false,
  ["--groups"] = true, ["--ciphers"] = true, ["--alpn"] = true, ["--keylog"] = true,
  ["--trace"] = false, ["--ladder"] = false, ["--quiet"] = false, ["--port"] = true,
  ["--host"] = true, ["--cert"] = true, ["--key"] = true, ["--www"] = false,
  ["--docroot"] = true, ["--count"] = true, ["--timeout"] = true, ["--wait"] = true,
  ["--help"] = false, ["-h"] = false,
  ["--sess-in"] = true, ["--sess-out"] = true, ["--early-data"] = true, ["--tickets"] = true,
}

local function parse(args, first)
  local o, pos = {}, {}
  local i = first
  while i <= #args do
    local a = args[i]
    local name, inline = a:match("^(%-%-[^=]+)=(.*)$")
    name = name or a
    if OPTIONS[name] == nil then
      if a:sub(1, 1) == "-" then die("unknown option %s (see moontls --help)", a) end
      pos[#pos + 1] = a
    elseif OPTIONS[name] then
      local v = inline
      if v == nil then
        i = i + 1
        v = args[i]
      end
      if v == nil then die("%s needs a value", name) end
      o[name:sub(3)] = v
    else
      o[name:gsub("^%-+", "")] = true
    end
    i = i + 1
  end
  return o, pos
end

local function list(s)
  if not s then return nil end
  local t = {}
  for item in s:gmatch("[^,%s:]+") do t[#t + 1] = item end
  return t
end

local function number(o, key, default)
  if o[key] == nil then return default end
  local n = tonumber(o[key])
  if not n or n < 0 then die("--%s: a non-negative number expected, got %s", key, o[key]) end
  return n
end

-- The context keys the client and server share.
local function common_params(o, mode)
  local p = { mode = mode }
  if o["tls1.3"] then p.versions = { "1.3" } end
  p.groups = list(o.groups)
  p.suites = list(o.ciphers)
  p.alpn = list(o.alpn)
  if o.keylog then p.keylog = o.keylog end
  return p
end

-- tls.context raises on a bad name ("unknown group"): a usage error here, not a crash.
local function make_context(p)
  local ok, ctx, err = pcall(tls.context, p)
  if not ok then die("%s", tostring(ctx):gsub("^tls%.context: ", "")) end
  if not ctx then die("%s", err) end
  return ctx
end

-- ---------------------------------------------------------------------------------
-- Reading "whatever has arrived" from a connection
-- ---------------------------------------------------------------------------------

-- Application data the connection already holds or the socket has ready, without
-- waiting: LuaSocket's receive(n) with a zero timeout hands back what it has as
-- `partial`. Returns data ("" when none), and "closed" or an error message when the
-- connection ended.
local function take_available(conn)
  conn:settimeout(0)
  local data, err, partial = conn:receive(65536)
  if data then return data end
  if err == "timeout" then return partial or "" end
  return partial or "", err
end

-- Wait up to `wait` seconds (nil: forever) for data; returns data or "", err where err
-- is "idle" when nothing came.
local function receive_some(conn, sock, wait)
  local deadline = wait and socket.gettime() + wait
  for _ = 1, 100000 do
    local data, err = take_available(conn)
    if #data > 0 or err then return data, err end
    local left = deadline and deadline - socket.gettime()
    if left and left <= 0 then return "", "idle" end
    socket.select({ sock }, nil, left)
  end
  return "", "idle"
end

local function send_all(conn, data, timeout)
  conn:settimeout(timeout)
  local n, err = conn:send(data)
  if not n then return nil, err end
  return true
end

-- ---------------------------------------------------------------------------------
-- client
-- ---------------------------------------------------------------------------------

local function split_hostport(s)
  local host, port = s:match("^%[(.+)%]:(%d+)$")
  if not host then host, port = s:match("^([^:]+):(%d+)$") end
  if not host then die("client: HOST:PORT expected, got %q", s) end
  return host, tonumber(port)
end

-- stdin as something socket.select can watch. It is read one byte at a time, unbuffered,
-- while select says more is ready: a buffered read could pull several lines into the C
-- library's buffer where select no longer sees them (and would then wait for input that
-- has already arrived). Plain Lua has no non-blocking read; this is the portable way.
local STDIN = { getfd = function() return 0 end, dirty = function() return false end }

local stdin_unbuffered = false

local function read_stdin_available()
  if not stdin_unbuffered then
    io.stdin:setvbuf("no")
    stdin_unbuffered = true
  end
  local chunk = {}
  for _ = 1, 16384 do
    local c = io.stdin:read(1)
    if c == nil then return table.concat(chunk), true end
    chunk[#chunk + 1] = c
    local r = socket.select({ STDIN }, nil, 0)
    if #r == 0 then break end
  end
  return table.concat(chunk), false
end

local function client(args)
  local o, pos = parse(args, 2)
  if o.help or o.h then io.stdout:write(USAGE); return 0 end
  if #pos ~= 1 then die("client: HOST:PORT expected (see moontls --help)") end
  local host, port = split_hostport(pos[1])
  local timeout = number(o, "timeout", 10)
  local wait = number(o, "wait", 1)
  local log = io.stderr
  local p = common_params(o, "client")
  p.server_name = o.servername or host
  if o.insecure then
    p.verify = "none"
    log:write("moontls: --insecure: the server's certificate is NOT verified\n")
  else
    local ca = o.cafile
    if not ca then
      local f = io.open(SYSTEM_CA, "rb")
      if not f then die("no trust anchors: give --cafile FILE or --insecure") end
      f:close()
      ca = SYSTEM_CA
    end
    p.cafile = ca
    p.verify = "peer"
  end
  if o["sess-in"] then
    local f = io.open(o["sess-in"], "rb")
    if not f then die("--sess-in: cannot read %s", o["sess-in"]) end
    local bytes = f:read("a")
    f:close()
    local sess, serr = tls.session(bytes)
    if not sess then die("--sess-in %s: %s", o["sess-in"], serr) end
    p.session = sess
  end
  if o["early-data"] then
    if not p.session then die("--early-data needs --sess-in (0-RTT resumes a session)") end
    local f = io.open(o["early-data"], "rb")
    if not f then die("--early-data: cannot read %s", o["early-data"]) end
    p.early_data = f:read("a")
    f:close()
  end
  local ctx = make_context(p)

  local sock = socket.tcp()
  sock:settimeout(timeout)
  local ok, err = sock:connect(host, port)
  if not ok then die("connect %s:%d: %s", host, port, err) end
  local conn = ctx:wrap(sock)
  local t = trace.new{ role = "client", out = log, quiet = o.quiet and not o.trace, dump = o.trace }
  if not o.quiet or o.trace or o.ladder then t:attach(conn) end
  conn:settimeout(timeout)
  local name
  ok, err, name = conn:handshake()
  if not ok then
    log:write(("moontls: handshake failed: %s (%s)\n"):format(tostring(err), tostring(name)))
    if o.ladder then log:write(ladder.draw(t.events), "\n") end
    conn:close("silent")
    return 1
  end
  if not o.quiet then
    log:write("--- handshake done\n")
    for _, line in ipairs(t:parameters(conn)) do log:write("    ", line, "\n") end
    local i = conn:info()
    log:write(("    resumed: %s%s\n"):format(i.resumed and "yes" or "no",
      i.early_data and (", early data " .. i.early_data) or ""))
    log:write("---\n")
  end

  -- The data phase: stdin -> connection, connection -> stdout, until the server closes,
  -- or until stdin has ended and nothing more came for --wait seconds.
  local stdin_open, status, idle_since = true, 0, nil
  for _ = 1, 10000000 do
    local data, rerr = take_available(conn)
    if #data > 0 then
      io.stdout:write(data)
      io.stdout:flush()
      idle_since = not stdin_open and socket.gettime() or nil
    end
    if rerr then
      if rerr ~= "closed" then
        log:write("moontls: ", rerr, "\n")
        status = 1
      elseif not o.quiet then
        log:write("moontls: the server closed the connection\n")
      end
      break
    end
    local watch = { sock }
    if stdin_open then watch[2] = STDIN end
    local left = nil
    if not stdin_open then
      left = wait - (socket.gettime() - idle_since)
      if left <= 0 then break end
    end
    local ready = socket.select(watch, nil, left)
    for _, s in ipairs(ready) do
      if s == STDIN then
        local chunk, eof = read_stdin_available()
        if #chunk > 0 then
          local sent, serr = send_all(conn, chunk, timeout)
          if not sent then
            log:write("moontls: send: ", tostring(serr), "\n")
            status = 1
            stdin_open = false
          end
        end
        if eof then
          stdin_open = false
          idle_since = socket.gettime()
        end
      end
    end
    if status ~= 0 then break end
  end
  conn:settimeout(timeout)
  conn:close()
  if o["sess-out"] then
    local sess = conn:session()
    if sess then
      local f = io.open(o["sess-out"], "wb")
      if not f then die("--sess-out: cannot write %s", o["sess-out"]) end
      f:write(sess:export())
      f:close()
    elseif not o.quiet then
      log:write("moontls: --sess-out: the server sent no ticket\n")
    end
  end
  if o.ladder then log:write(ladder.draw(t.events), "\n") end
  return status
end

-- ---------------------------------------------------------------------------------
-- server
-- ---------------------------------------------------------------------------------

local function html_escape(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

-- The `GET /` status page, like `openssl s_server -www`: what this connection negotiated
-- and what the client offered.
local function status_page(conn, t)
  local lines = { "moontls " .. tls.version .. " s_server-style status page", "" }
  for _, l in ipairs(t:parameters(conn)) do lines[#lines + 1] = l end
  local info = conn:info()
  lines[#lines + 1] = ""
  lines[#lines + 1] = ("New, TLSv%s, Cipher is %s"):format(info.version or "?", info.suite or "?")
  for _, m in ipairs(t.messages) do
    if m.type == "client_hello" then
      local decode = require "decode"
      lines[#lines + 1] = "Client offered ciphers: " .. table.concat(m.cipher_suites or {}, ":")
      local g = decode.find_ext(m, "supported_groups")
      if g then lines[#lines + 1] = "Client supported groups: " .. table.concat(g.groups, ":") end
      local ks = decode.find_ext(m, "key_share")
      if ks and ks.shares then
        local s = {}
        for _, sh in ipairs(ks.shares) do s[#s + 1] = sh.group end
        lines[#lines + 1] = "Client key shares: " .. table.concat(s, ":")
      end
      local sa = decode.find_ext(m, "signature_algorithms")
      if sa then lines[#lines + 1] = "Client signature algorithms: " .. table.concat(sa.schemes, ":") end
    end
  end
  return "<html><body><pre>\n" .. html_escape(table.concat(lines, "\n")) .. "\n</pre></body></html>\n"
end

local lfs_ok, lfs = pcall(require, "lfs")

-- Map a request path onto a file under docroot, or nil, status. Anything that could
-- leave docroot is refused (403): "..", absolute paths, backslashes, NUL, and symbolic
-- links (they may point anywhere; checked when LuaFileSystem is installed).
local function resolve(docroot, target)
  local path = target:gsub("[?#].*$", "")
  path = path:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  if path:sub(1, 1) ~= "/" then return nil, 400 end
  local rel = path:sub(2)
  if rel:find("[%z\\]") then return nil, 403 end
  if rel:sub(1, 1) == "/" or rel:match("^%a:") or rel:sub(1, 1) == "~" then return nil, 403 end
  local parts = {}
  for part in rel:gmatch("[^/]+") do
    if part == ".." then return nil, 403 end
    if part ~= "." then parts[#parts + 1] = part end
  end
  if #parts == 0 then return nil, 404 end
  local full = docroot
  for _, part in ipairs(parts) do
    full = full .. "/" .. part
    if lfs_ok and lfs.symlinkattributes(full, "mode") == "link" then return nil, 403 end
  end
  if lfs_ok and lfs.attributes(full, "mode") ~= "file" then return nil, 404 end
  return full
end

local REASON = { [200] = "OK", [400] = "Bad Request", [403] = "Forbidden", [404] = "Not Found",
                 [405] = "Method Not Allowed" }

local function http_response(code, body, ctype)
  return ("HTTP/1.0 %d %s\r\nServer: moontls\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"):format(
    code, REASON[code] or "", ctype or "text/plain", #body, body)
end

local CTYPES = { html = "text/html", htm = "text/html", txt = "text/plain", css = "text/css",
                 js = "application/javascript", json = "application/json", png = "image/png" }

-- One HTTP/1.0 exchange: read the request head, answer, done (the caller closes).
local function serve_www(conn, t, o, log)
  local request
  for i = 1, 100 do
    conn:settimeout(o.timeout)
    local line, err = conn:receive("*l")
    if not line then
      if i == 1 then return nil, "no request: " .. tostring(err) end
      break
    end
    if i == 1 then request = line end
    if line == "" then break end
  end
  local method, target = (request or ""):match("^(%u+)%s+(%S+)")
  local resp, code
  if not method then
    code = 400
    resp = http_response(400, "bad request\n")
  elseif method ~= "GET" then
    code = 405
    resp = http_response(405, "only GET\n")
  elseif target == "/" then
    code = 200
    resp = http_response(200, status_page(conn, t), "text/html")
  else
    local file, status = resolve(o.docroot, target)
    local body
    if file then
      local f = io.open(file, "rb")
      body = f and f:read("a")
      if f then f:close() end
    end
    if body then
      code = 200
      resp = http_response(200, body, CTYPES[file:match("%.(%w+)$") or ""] or "application/octet-stream")
    else
      code = status or 404
      resp = http_response(code, (REASON[code] or "error"):lower() .. "\n")
    end
  end
  if not o.quiet then log:write(("    %s -> %d\n"):format(request or "(no request line)", code)) end
  conn:settimeout(o.timeout)
  return conn:send(resp)
end

local function serve_echo(conn, sock, o, log)
  local total = 0
  for _ = 1, 10000000 do
    local data, err = receive_some(conn, sock, o.timeout)
    if #data > 0 then
      total = total + #data
      local ok, serr = send_all(conn, data, o.timeout)
      if not ok then return nil, serr end
    end
    if err == "closed" then break end
    if err then return nil, err == "idle" and "timeout" or err end
  end
  if not o.quiet then log:write(("    echoed %d bytes\n"):format(total)) end
  return true
end

local function server(args)
  local o, pos = parse(args, 2)
  if o.help or o.h then io.stdout:write(USAGE); return 0 end
  if #pos > 0 then die("server: unexpected argument %s", pos[1]) end
  local log = io.stdout
  o.timeout = number(o, "timeout", 30)
  local count = o.count and math.tointeger(number(o, "count"))
  local port = math.tointeger(number(o, "port", 4433))
  local host = o.host or "127.0.0.1"
  o.docroot = (o.docroot or "."):gsub("/+$", "")
  if o.docroot == "" then o.docroot = "/" end
  local p = common_params(o, "server")
  if o.tickets then p.tickets = math.tointeger(number(o, "tickets")) end
  if o["early-data"] then p.early_data = math.tointeger(number(o, "early-data")) end
  if (o.cert == nil) ~= (o.key == nil) then die("--cert and --key go together") end
  if o.cert then
    p.certificate, p.key = o.cert, o.key
  else
    p.certificate, p.key = PKI .. "leaf-p256.chain.pem", PKI .. "leaf-p256.key"
    if not o.quiet then
      log:write("moontls: no --cert/--key: using the test PKI's leaf-p256 (CN=localhost, ",
        "trusted via spec/fixtures/pki/ca-bundle.pem)\n")
    end
  end
  local ctx = make_context(p)
  local listener, err = socket.bind(host, port)
  if not listener then die("listen on %s:%d: %s", host, port, err) end
  local _, actual = listener:getsockname()
  log:write(("moontls: listening on %s:%s%s\n"):format(host, actual,
    o.www and (" (HTTP, docroot " .. o.docroot .. ")") or " (echo)"))
  log:flush()

  local served = 0
  while not count or served < count do
    local sock = listener:accept()
    if sock then
      served = served + 1
      local peer_ip, peer_port = sock:getpeername()
      local conn = ctx:wrap(sock)
      local t = trace.new{ role = "server", out = log, quiet = o.quiet and not o.trace, dump = o.trace }
      -- A traced (hooked) connection pauses the engine at every hook point; --quiet
      -- without --ladder skips the hooks so benchmarks measure the handshake only. The
      -- status page needs the ClientHello, so --www always watches messages.
      if not o.quiet or o.trace or o.ladder then
        t:attach(conn)
      elseif o.www then
        t:attach(conn, { "message_in" })
      end
      if not o.quiet then log:write(("--- connection %d from %s:%s\n"):format(served, peer_ip, peer_port)) end
      conn:settimeout(o.timeout)
      local ok, herr, name = conn:handshake()
      if not ok then
        io.stderr:write(("moontls: connection %d: handshake failed: %s (%s)\n"):format(served, tostring(herr), tostring(name)))
        conn:close("silent")
      else
        if not o.quiet then
          for _, line in ipairs(t:parameters(conn)) do log:write("    ", line, "\n") end
        end
        local good, res, rerr = pcall(o.www and serve_www or serve_echo, conn, o.www and t or sock, o, log)
        -- `openssl s_time` without -www connects, handshakes and leaves: not worth a line
        local benign = good and not res and o.quiet and tostring(rerr):find("^no request: closed")
        if (not good or not res) and not benign then
          io.stderr:write(("moontls: connection %d: %s\n"):format(served, tostring(good and rerr or res)))
        end
        conn:settimeout(5)
        conn:close()
      end
      if o.ladder then log:write(ladder.draw(t.events), "\n") end
      log:flush()
    end
  end
  listener:close()
  return 0
end

-- ---------------------------------------------------------------------------------
-- run
-- ---------------------------------------------------------------------------------

local function run(args)
  local script = args[2]
  if not script then die("run: SCRIPT.lua expected") end
  local chunk, err = loadfile(script)
  if not chunk then die("%s", err) end
  -- `arg` as lua(1) sets it: arg[0] the script, arg[1..] its arguments.
  local sarg = { [0] = script, [-1] = "moontls run" }
  for i = 3, #args do sarg[i - 2] = args[i] end
  _G.arg = sarg -- the one global the standalone interpreter defines for scripts
  local res = table.pack(xpcall(chunk, debug.traceback, table.unpack(sarg, 1, #sarg)))
  if not res[1] then
    io.stderr:write("moontls run: ", tostring(res[2]), "\n")
    return 1
  end
  if math.type(res[2]) == "integer" then return res[2] end
  return 0
end

-- ---------------------------------------------------------------------------------

local function main(args)
  local cmd = args[1]
  if cmd == "client" or cmd == "server" or cmd == "run" then load_module() end
  if cmd == "client" then return client(args) end
  if cmd == "server" then return server(args) end
  if cmd == "run" then return run(args) end
  if cmd == nil or cmd == "--help" or cmd == "-h" or cmd == "help" then
    io.stdout:write(USAGE)
    return cmd == nil and 2 or 0
  end
  die("unknown command %q (client, server or run)", cmd)
end

os.exit(main(arg))
