#!/usr/bin/env lua5.4
-- mutating-server.lua: a custom HTTPS-ish server that mutates its ServerHello, one
-- connection per mutation, then exit (SCRIPTING.md 7 (b)).
--   ./scripts/moontls run scripts/examples/mutating-server.lua [PORT [CERT KEY]] [MUTATION...]
-- PORT (default $PORT or 8443), CERT and KEY (default $MOONTLS_CERT/$MOONTLS_KEY, else the
-- test PKI of the checkout); MUTATION names pick and order the mutations (default: all).
-- Each line printed: "<mutation> accepted by client <request line>" or
-- "<mutation> rejected by client: <error>".
local tls    = require "moontls"
local socket = require "socket"

local MUTATE = {
  none              = function() end,
  ["session-echo"]  = function(sh) sh.legacy_session_id_echo = ("\0"):rep(32) end,
  ["unknown-ext"]   = function(sh) tls.ext.insert(sh, { type = 0x7a7a, data = "" }) end,
  ["dup-key-share"] = function(sh) tls.ext.duplicate(sh, "key_share") end,
  -- if the client did not offer this suite expect illegal_parameter, else a decrypt failure
  ["other-suite"]   = function(sh) sh.cipher_suite = "TLS_CHACHA20_POLY1305_SHA256" end,
}
local ORDER = { "none", "session-echo", "unknown-ext", "dup-key-share", "other-suite" }

local args = { ... }
local port = math.tointeger(tonumber(os.getenv("PORT") or "")) or 8443
if args[1] and args[1]:match("^%d+$") then port = math.tointeger(tonumber(table.remove(args, 1))) end
local root = os.getenv("MOONTLS_ROOT") or "."
local cert = os.getenv("MOONTLS_CERT") or root .. "/spec/fixtures/pki/leaf-p256.pem"
local key = os.getenv("MOONTLS_KEY") or root .. "/spec/fixtures/pki/leaf-p256.key"
if args[1] and args[2] and not MUTATE[args[1]] then
  cert, key = table.remove(args, 1), table.remove(args, 1)
end
local order = ORDER
if #args > 0 then
  order = args
  for _, name in ipairs(order) do
    if not MUTATE[name] then error("unknown mutation " .. name) end
  end
end

local ctx = assert(tls.context{
  mode = "server", versions = {"1.3"},
  certificate = cert, key = key,
  alpn = {"http/1.1"},
  keylog = os.getenv("KEYLOG"),          -- nil: no key log
  hooks = {
    message_out = function(conn, msg, ev)
      if msg.type == "server_hello" then
        MUTATE[conn.data.mutation](msg)
        -- ev.hash stays true and ev.adopt stays false: the wire and the transcript
        -- carry the lie, while our keys follow what we really negotiated.
      end
    end,
  },
})

local listener = assert(socket.bind("127.0.0.1", port))
print("listening on 127.0.0.1:" .. port)
io.stdout:flush()
for _, name in ipairs(order) do
  local sock = assert(listener:accept())
  local conn = ctx:wrap(sock)
  conn.data.mutation = name
  conn:settimeout(5)
  local ok, err = conn:handshake()
  if ok then
    local request = conn:receive("*l")
    conn:send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    print(name, "accepted by client", request)
  else
    print(name, "rejected by client:", tostring(err))  -- e.g. alert received: fatal illegal_parameter
  end
  io.stdout:flush()
  conn:close()
end
listener:close()
