-- A moontls TLS 1.3 server for the interop specs, run as a child process:
--
--   lua5.4 spec/interop/server.lua port=P cert=leaf-p256 [suites=a,b] [groups=a,b]
--          [sigalgs=a,b] [alpn=a,b] [hrr_cookie=1] [count=N] [timeout=S] [tickets=N]
--          [psk_ke=1] [early_data=MAX] [quirks=name,name] [psk_binder=keep]
--          [export=LABEL:LEN]
--
-- quirks: boolean quirks set on the context (bad_binder, bad_finished, ...);
-- psk_binder=keep: a psk_binder hook that logs "psk_binder index=I len=N" and returns nil.
-- export=LABEL:LEN: after the handshake, logs "Keying material: HEX" (upper case, as
-- OpenSSL prints it) from conn:export_keying_material(LABEL, LEN), no context.
--
-- It binds 127.0.0.1:P, prints "listening P" (or "bind failed ..." and exits 2), then
-- serves `count` connections one after another (default 1). For each: the handshake,
-- then one line "handshake ok version=.. suite=.. group=.. sigalg=.. alpn=.. sni=.. hrr=.."
-- or "handshake failed NAME: message"; then it reads one line and answers
-- "echo: <line>\n" and closes with close_notify. Every wait is bounded by `timeout`
-- (default 10 s), and the whole process gives up after count * timeout seconds.
local tls = require "moontls"
local socket = require "socket"

local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local PKI = dir .. "/../fixtures/pki/"

local opt = { count = "1", timeout = "10" }
for _, a in ipairs(arg) do
  local k, v = a:match("^([%w_]+)=(.*)$")
  if not k then
    io.stderr:write("bad argument " .. a .. "\n")
    os.exit(2)
  end
  opt[k] = v
end

local function list(s)
  if s == nil then return nil end
  local t = {}
  for item in s:gmatch("[^,]+") do t[#t + 1] = item end
  return t
end

local function out(fmt, ...)
  io.stdout:write(fmt:format(...), "\n")
  io.stdout:flush()
end

local cert = opt.cert or "leaf-p256"
local chain = PKI .. cert .. ".chain.pem"
local probe = io.open(chain, "rb")
if probe then probe:close() else chain = PKI .. cert .. ".pem" end
local params = {
  mode = "server", certificate = chain, key = PKI .. cert .. ".key",
  suites = list(opt.suites), groups = list(opt.groups), sigalgs = list(opt.sigalgs),
  alpn = list(opt.alpn),
}
if opt.hrr_cookie then params.hrr_cookie = opt.hrr_cookie == "1" end
if opt.tickets then params.tickets = math.tointeger(tonumber(opt.tickets)) end
if opt.psk_ke then params.psk_ke = opt.psk_ke == "1" end
if opt.early_data then params.early_data = math.tointeger(tonumber(opt.early_data)) end
if opt.quirks then
  params.quirks = {}
  for _, q in ipairs(list(opt.quirks)) do params.quirks[q] = true end
end
if opt.psk_binder == "keep" then
  params.hooks = { psk_binder = function(_, index, computed)
    out("psk_binder index=%d len=%d", index, #computed)
    return nil
  end }
elseif opt.psk_binder then
  out("bad argument psk_binder=%s", opt.psk_binder)
  os.exit(2)
end
local ctx, err, name = tls.context(params)
if not ctx then
  out("context failed %s: %s", tostring(name), tostring(err))
  os.exit(2)
end

local timeout = tonumber(opt.timeout)
local count = math.tointeger(tonumber(opt.count))
local deadline = socket.gettime() + timeout * count + 5

local l, berr = socket.bind("127.0.0.1", tonumber(opt.port))
if not l then
  out("bind failed %s", tostring(berr))
  os.exit(2)
end
out("listening %s", opt.port)

for _ = 1, count do
  local left = deadline - socket.gettime()
  if left <= 0 then break end
  l:settimeout(math.min(timeout, left))
  local raw = l:accept()
  if not raw then
    out("accept timed out")
    break
  end
  local conn = ctx:wrap(raw)
  conn:settimeout(timeout)
  local ok, herr, hname = conn:handshake()
  if ok then
    local i = conn:info()
    out("handshake ok version=%s suite=%s group=%s sigalg=%s alpn=%s sni=%s hrr=%s resumed=%s early=%s",
      tostring(i.version), tostring(i.suite), tostring(i.group), tostring(i.sigalg),
      tostring(i.alpn), tostring(i.sni), tostring(i.hrr), tostring(i.resumed),
      tostring(i.early_data))
    if opt.export then
      local label, len = opt.export:match("^(.*):(%d+)$")
      local km, xerr = conn:export_keying_material(label, math.tointeger(tonumber(len)))
      out("Keying material: %s", km and tls.hex.encode(km):upper() or ("failed " .. tostring(xerr)))
    end
    local line, rerr = conn:receive("*l")
    if line then
      conn:send("echo: " .. line .. "\n")
      out("echoed %d bytes", #line)
    else
      out("receive failed: %s", tostring(rerr))
    end
    conn:close()
  else
    out("handshake failed %s: %s", tostring(hname), tostring(herr))
    conn:close()
  end
end
l:close()
out("done")
