-- Shared by the specs that run moontls against itself in memory: contexts over the test
-- PKI (spec/fixtures/pki), a handshake through tls.pair / tls.pump, and one of our
-- servers handshaking with openssl s_client on 127.0.0.1. Not a spec itself: busted
-- collects *_spec.lua only; required as "support.tls_helpers" (spec/ is on LUA_PATH).
local tls = require "moontls"

local M = {}

M.PKI = "spec/fixtures/pki/"

-- tls.context over `p` with the keys of `extra` (may be nil) laid over it.
local function context(p, extra)
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

-- A server on the leaf `stem` of the test PKI (its chain file, or the leaf itself when
-- it is self-signed and has none), with `extra` keys.
function M.leaf_server(stem, extra)
  local chain = M.PKI .. stem .. ".chain.pem"
  local f = io.open(chain)
  if f then f:close() else chain = M.PKI .. stem .. ".pem" end
  return context({ mode = "server", certificate = chain, key = M.PKI .. stem .. ".key" }, extra)
end

-- The usual server: leaf-p256 under the test CA.
function M.server(extra)
  return M.leaf_server("leaf-p256", extra)
end

-- A client that trusts the test CA and asks for "localhost".
function M.client(extra)
  return context({ mode = "client", cafile = M.PKI .. "ca-bundle.pem", server_name = "localhost" }, extra)
end

-- Pairs the two contexts in memory and pumps the handshake: c, s, then what tls.pump
-- returned (true, or nil, message, NAME).
function M.handshake(cctx, sctx)
  local c, s = tls.pair(cctx, sctx)
  local ok, err, name = tls.pump(c, s)
  return c, s, ok, err, name
end

local HAVE_OPENSSL = os.execute("command -v openssl >/dev/null 2>&1") == true

-- A describe block of tests against openssl on 127.0.0.1: `body` runs inside it with the
-- processes interop.helpers spawned killed after each test and its files removed at the
-- end; without openssl on PATH the block holds one pending test instead. busted's API
-- comes from require "busted" here, as its globals reach spec files only.
function M.describe_openssl(name, body)
  local busted = require "busted"
  busted.describe(name, function()
    if not HAVE_OPENSSL then
      busted.pending("needs openssl: openssl not installed")
      return
    end
    local H = require "interop.helpers"
    busted.after_each(H.kill_all)
    busted.teardown(H.cleanup)
    body()
  end)
end

-- `openssl s_client <args> -connect 127.0.0.1:PORT -CAfile CA -servername localhost
-- -brief` against a server of context `sctx` on a fresh port; the handshake is run on our
-- side and s_client left to exit. Returns ok, err (our handshake's result), the server
-- connection (closed) and s_client's output. Call it inside M.describe_openssl, which
-- ends the processes it leaves.
function M.vs_s_client(args, sctx)
  local H = require "interop.helpers"
  local socket = require "socket"
  local l = assert(socket.bind("127.0.0.1", 0))
  local _, port = l:getsockname()
  l:settimeout(10)
  local log = os.tmpname()
  local pid = H.spawn(("openssl s_client %s -connect 127.0.0.1:%d -CAfile %s -servername localhost -brief")
    :format(args, port, H.CA), log, 20)
  local sock = l:accept()
  l:close()
  assert(sock, "s_client did not connect")
  local conn = sctx:wrap(sock)
  conn:settimeout(10)
  local ok, err = conn:handshake()
  H.wait_exit(pid, 10)
  conn:close()
  local out = H.read(log)
  os.remove(log)
  return ok, err, conn, out
end

-- `conn` failed with a fatal `alert` (a Lua pattern) that it sent / that it received.
local function failed_with(conn, how, alert)
  local assert = require("luassert")
  local msg = conn:error()
  assert.is_string(msg, "no failure on the " .. conn:mode())
  assert.matches("^alert " .. how .. ": fatal " .. alert, msg)
end
function M.sent(conn, alert) failed_with(conn, "sent", alert) end
function M.received(conn, alert) failed_with(conn, "received", alert) end

return M
