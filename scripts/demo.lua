-- moontls demo (`make demo`): a TLS 1.3 handshake, step by step, between a moontls server
-- and a moontls client in this one process, over a real TCP connection on 127.0.0.1.
--
-- Both connections are LuaSocket sockets wrapped by moontls with a zero timeout: each
-- call does what it can and returns "timeout" instead of waiting, so one loop can drive
-- both sides in turn (socket.select sleeps until either has something to read).
-- Everything printed comes from hooks watching the two connections; the diagrams at the
-- end are drawn from what the hooks saw, not from a template.
--
-- It doubles as a smoke test: any surprise prints "demo FAILED: ..." and exits 1.

-- Paths: the Makefile sets LUA_PATH/LUA_CPATH to this checkout; without them, find the
-- module next to this script (bindings/, build/). scripts/lib holds the trace helpers.
local here = (arg and arg[0] or "scripts/demo.lua"):match("^(.*)/[^/]*$") or "."
local root = here .. "/.."
package.path = here .. "/lib/?.lua;" .. package.path .. ";" .. root .. "/bindings/?.lua;"
  .. root .. "/bindings/?/init.lua"
package.cpath = package.cpath .. ";" .. root .. "/" .. (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so"

local socket = require "socket"
local tls = require "moontls"
local decode = require "decode"
local trace = require "trace"
local ladder = require "ladder"

local PKI = root .. "/spec/fixtures/pki/"
local DEADLINE = 10 -- seconds for each connection: the demo must never hang

-- ---------------------------------------------------------------------------------
-- Printing
-- ---------------------------------------------------------------------------------

local function say(fmt, ...)
  io.stdout:write(fmt:format(...), "\n")
end

local function wrap_text(text, indent)
  local out, line = {}, indent
  for word in text:gmatch("%S+") do
    if #line + #word + 1 > 88 and #line > #indent then
      out[#out + 1] = line
      line = indent
    end
    line = line .. (#line > #indent and " " or "") .. word
  end
  out[#out + 1] = line
  return table.concat(out, "\n")
end

local function explain(text)
  io.stdout:write(wrap_text(text, "   | "), "\n")
end

local function heading(text)
  say("")
  say("%s", text)
  say("%s", ("="):rep(#text))
end

local failures = {}
local function expect(cond, fmt, ...)
  if not cond then
    local msg = fmt:format(...)
    failures[#failures + 1] = msg
    say("!! unexpected: %s", msg)
  end
  return cond
end

local function fail_now(fmt, ...)
  io.stdout:flush()
  io.stderr:write("demo FAILED: ", fmt:format(...), "\n")
  os.exit(1)
end

-- ---------------------------------------------------------------------------------
-- What each message is for, told once, the first time it crosses the wire
-- ---------------------------------------------------------------------------------

local WHY = {
  client_hello = "The client opens. It lists what it can do (TLS versions, cipher suites, "
    .. "groups for the key exchange) and already sends a key share: its half of a "
    .. "Diffie-Hellman exchange, so the server can answer in one round trip.",
  server_hello = "The server picks one of each and sends its own key share. From the two "
    .. "shares both sides now compute the same secret; someone watching the wire sees "
    .. "both public halves and still cannot.",
  encrypted_extensions = "The first encrypted message: the rest of the server's answers "
    .. "(ALPN, for example). From here on an eavesdropper sees only record sizes.",
  certificate = "Who the server claims to be: its certificate and the intermediate CA "
    .. "that signed it. The client checks the chain up to a CA it trusts and that the "
    .. "name matches the one it asked for.",
  certificate_verify = "A signature, made with the certificate's private key, over a hash "
    .. "of every message so far: proof that the server holds that key, bound to this "
    .. "very handshake (it cannot be replayed into another one).",
  finished = "A MAC over the whole transcript with a key only the two ends can know: if "
    .. "anyone had changed one byte of any message, the values would differ.",
  new_session_ticket = "A ticket the client may use to resume later without a full "
    .. "handshake.",
}

-- The fields that matter, one per line, in plain words.
local function describe(m)
  local lines = {}
  local function add(k, v) lines[#lines + 1] = ("      %-22s %s"):format(k, v) end
  if m.type == "client_hello" then
    local sv = decode.find_ext(m, "supported_versions")
    add("versions offered:", sv and table.concat(sv.versions, ", ") or "?")
    add("cipher suites:", table.concat(m.cipher_suites or {}, ", "))
    local g = decode.find_ext(m, "supported_groups")
    if g then add("key exchange groups:", table.concat(g.groups, ", ")) end
    local ks = decode.find_ext(m, "key_share")
    for _, sh in ipairs(ks and ks.shares or {}) do
      add("key share:", ("%s public key %s (%d bytes)"):format(sh.group, decode.preview(sh.key, 6), #sh.key))
    end
    local sni = decode.find_ext(m, "server_name")
    if sni then add("server name (SNI):", sni.host) end
    local sa = decode.find_ext(m, "signature_algorithms")
    if sa then add("signatures accepted:", ("%d schemes, first %s"):format(#sa.schemes, sa.schemes[1] or "-")) end
    add("client random:", decode.preview(m.random or "", 12))
  elseif m.type == "server_hello" then
    local sv = decode.find_ext(m, "supported_versions")
    add("version chosen:", sv and sv.selected or "?")
    add("cipher suite chosen:", m.cipher_suite or "?")
    local ks = decode.find_ext(m, "key_share")
    if ks and ks.share then
      add("key share:", ("%s public key %s (%d bytes)"):format(ks.share.group, decode.preview(ks.share.key, 6), #ks.share.key))
    end
    add("server random:", decode.preview(m.random or "", 12))
  elseif m.type == "encrypted_extensions" then
    local n = {}
    for _, e in ipairs(m.extensions or {}) do n[#n + 1] = e.name end
    add("extensions:", #n > 0 and table.concat(n, ", ") or "(none)")
  elseif m.type == "certificate" then
    for i, c in ipairs(m.certificates or {}) do
      add(i == 1 and "certificate subject:" or "  then:", c.subject or "?")
      add("  signed by:", c.issuer or "?")
    end
  elseif m.type == "certificate_verify" then
    add("signature scheme:", m.scheme or "?")
    add("signature:", ("%s (%d bytes)"):format(decode.preview(m.signature or "", 8), #(m.signature or "")))
  elseif m.type == "finished" then
    add("verify_data:", ("%s (%d bytes)"):format(decode.preview(m.verify_data or "", 12), #(m.verify_data or "")))
  else
    add("fields:", decode.summary(m))
  end
  return lines
end

-- ---------------------------------------------------------------------------------
-- A narrator: hooks on both connections that print the story as it happens
-- ---------------------------------------------------------------------------------

local function narrate(cconn, sconn)
  local told, secrets, step = {}, {}, 0
  local n = {}

  local function on_message_out(who)
    return function(_, msg, ev)
      if msg.content_type == 20 then
        say("")
        say("   %s -> %s  ChangeCipherSpec (1 byte, plaintext)", who, who == "client" and "server" or "client")
        if not told.ccs then
          explain("A dummy message with no meaning in TLS 1.3: it makes the exchange look like "
            .. "a TLS 1.2 resumption to old middleboxes (RFC 8446 appendix D.4). The peer ignores it.")
          told.ccs = true
        end
        return
      end
      if msg.content_type ~= 22 then return end
      local m = decode.message(msg.type, msg.raw)
      step = step + 1
      say("")
      say("Step %d. %s -> %s  %s (%d bytes, %s)", step, who, who == "client" and "server" or "client",
        decode.pretty(m.type), #msg.raw,
        ev.epoch == "initial" and "in plaintext" or ("encrypted with " .. ev.epoch .. " keys"))
      for _, l in ipairs(describe(m)) do say("%s", l) end
      local key = m.type == "finished" and (who .. "_finished") or m.type
      if not told[key] then
        local text = WHY[m.type]
        if key == "client_finished" then
          text = "The client's own Finished, over the transcript including the server's "
            .. "Finished. The handshake is complete; both sides switch to application keys."
        elseif key == "server_finished" then
          text = WHY.finished .. " The server's side is done: it could already send data."
        end
        if text then explain(text) end
        told[key] = true
      end
      n.messages = (n.messages or 0) + 1
    end
  end

  local function on_record_out(who)
    return function(conn, rec, ev)
      local size = trace.wire_size(conn, #rec.payload, rec.padding, ev.epoch)
      local what = rec.type
      if what == "alert" then
        local code = rec.payload:byte(2)
        what = "alert (" .. tostring(code and tls.alerts[code] or "?") .. ")"
      end
      if ev.epoch == "initial" then
        say("      [%s's record: %s, %d B on the wire = 5-byte header + %d B, not encrypted]",
          who, rec.type, size, #rec.payload)
      else
        say("      [%s's record: %d B of %s -> %d B on the wire (+5 header, +1 type, +16 tag)]",
          who, #rec.payload, what, size)
        if not told.record then
          explain("Encrypted records all look alike from outside: type application_data, "
            .. "version TLS 1.2. The real type travels inside the encryption, with the "
            .. "16-byte authentication tag that detects any change.")
          told.record = true
        end
      end
    end
  end

  -- Both sides derive every secret: the narrator tells the first derivation, and checks
  -- that the other side's is equal (if not, the Finished checks would fail anyway).
  local function on_secret(who)
    return function(_, label, secret)
      local s = secrets[label]
      if s then
        expect(s.secret == secret, "client and server derived different %s", label)
        n.agreed = (n.agreed or 0) + 1
        return
      end
      secrets[label] = { secret = secret, who = who }
      say("      * %s derives %s (%d bytes)", who, label, #secret)
      if not told.secret then
        explain("The key schedule (RFC 8446 7.1): from the shared Diffie-Hellman secret and "
          .. "a hash of the messages so far, each side derives named secrets, then keys from "
          .. "them. The names are the ones an SSLKEYLOGFILE uses, so Wireshark can decrypt.")
        told.secret = true
      end
    end
  end

  for who, conn in pairs{ client = cconn, server = sconn } do
    conn:on("message_out", on_message_out(who))
    conn:on("record_out", on_record_out(who))
    conn:on("secret", on_secret(who))
  end
  return n
end

-- ---------------------------------------------------------------------------------
-- Sockets and driving
-- ---------------------------------------------------------------------------------

local listener = assert(socket.bind("127.0.0.1", 0))
local _, port = listener:getsockname()
listener:settimeout(2)

local sctx = assert(tls.context{
  mode = "server", certificate = PKI .. "leaf-p256.chain.pem", key = PKI .. "leaf-p256.key",
  alpn = { "http/1.1" },
})
local cctx = assert(tls.context{
  mode = "client", cafile = PKI .. "ca-bundle.pem", server_name = "localhost",
  alpn = { "h2", "http/1.1" },
})

-- A fresh TCP connection on loopback: the client socket and the server's accepted one.
local function tcp_pair()
  local csock = assert(socket.tcp())
  csock:settimeout(2)
  local ok, err = csock:connect("127.0.0.1", port)
  if not ok then fail_now("connect to 127.0.0.1:%s: %s", port, err) end
  local ssock = listener:accept()
  if not ssock then fail_now("accept timed out") end
  return csock, ssock
end

-- Call step(side) for each side until done(side) holds for both, or one fails. Each
-- step returns true (done), nil, "timeout" (waiting for the peer), or nil, err.
local function drive(sides, step, socks)
  local deadline = socket.gettime() + DEADLINE
  local state = {}
  for _ = 1, 100000 do
    local waiting = false
    for _, side in ipairs(sides) do
      if not state[side] then
        local ok, err, name = step(side)
        if ok then
          state[side] = { ok = true }
        elseif err ~= "timeout" then
          state[side] = { ok = false, err = err, name = name }
        else
          waiting = true
        end
      end
    end
    if not waiting then return state end
    if socket.gettime() > deadline then fail_now("no progress for %d seconds", DEADLINE) end
    socket.select(socks, nil, 0.05)
  end
  fail_now("the drive loop did not settle")
end

-- ---------------------------------------------------------------------------------
-- Part 1: a clean handshake and some data
-- ---------------------------------------------------------------------------------

say("moontls %s demo: a TLS 1.3 handshake, step by step", tls.version)
say("")
say("A server listens on 127.0.0.1:%s with the test certificate for \"localhost\"", port)
say("(spec/fixtures/pki). A client that trusts the test CA connects to it. Both run in")
say("this one process over a real TCP connection; hooks print each message as it is sent.")

heading("Part 1: the handshake")
local csock, ssock = tcp_pair()
local client, server = cctx:wrap(csock), sctx:wrap(ssock)
local ctrace = trace.new{ role = "client", quiet = true }:attach(client)
local narrator = narrate(client, server)
client:settimeout(0)
server:settimeout(0)
local conns = { client = client, server = server }
local st = drive({ "client", "server" }, function(side) return conns[side]:handshake() end, { csock, ssock })
if not (st.client.ok and st.server.ok) then
  fail_now("handshake failed: client %s, server %s", tostring(st.client.err), tostring(st.server.err))
end

local info = client:info()
say("")
say("Handshake complete. What the two sides agreed on:")
say("      %-22s TLS %s", "version:", info.version)
say("      %-22s %s", "cipher suite:", info.suite)
say("      %-22s %s", "key exchange group:", info.group)
say("      %-22s %s", "server signature:", info.sigalg)
say("      %-22s %s", "ALPN protocol:", tostring(info.alpn))
say("      %-22s %d, and each side derived the same values", "secrets derived:", narrator.agreed or 0)
expect((narrator.agreed or 0) >= 5, "only %d secrets matched on both sides", narrator.agreed or 0)
expect(info.version == "1.3", "version %s", tostring(info.version))
expect(info.alpn == "http/1.1", "ALPN %s", tostring(info.alpn))
local sinfo = server:info()
expect(sinfo.suite == info.suite and sinfo.group == info.group, "the two sides disagree on the parameters")

heading("Part 2: application data")
explain("Now the client sends a line and the server answers. The record hooks show the "
  .. "sizes: each record grows by 22 bytes (header, inner type, tag). The first bytes on "
  .. "the wire are the record header, then ciphertext.")
local shown = false
client:on("wire_out", function(_, bytes)
  if shown then return end
  shown = true
  say("      client wire bytes:  %s %s %s | %s...", decode.hex(bytes:sub(1, 1)), decode.hex(bytes:sub(2, 3)),
    decode.hex(bytes:sub(4, 5)), decode.hex(bytes:sub(6, 17)))
  say("                          type  vers  length  ciphertext")
end)
client:settimeout(2)
server:settimeout(2)
local line = "hello over TLS 1.3"
say("")
say("   client sends %q (%d bytes + newline)", line, #line)
assert(client:send(line .. "\n"))
local got, err = server:receive("*l")
expect(got == line, "server received %s (%s)", tostring(got), tostring(err))
say("   server received %q", tostring(got))
assert(server:send("echo: " .. tostring(got) .. "\n"))
local reply
reply, err = client:receive("*l")
expect(reply == "echo: " .. line, "client received %s (%s)", tostring(reply), tostring(err))
say("   client received %q", tostring(reply))
client:close()
server:close()

-- ---------------------------------------------------------------------------------
-- Part 3: a hook changes a message, the peer answers with an alert
-- ---------------------------------------------------------------------------------

heading("Part 3: a hook tampers with the client's Finished")
explain("A second connection, the same two contexts. This time the client's message_out "
  .. "hook flips one bit of its Finished before it is encrypted and sent. The server "
  .. "computes the value it expects from its own transcript, sees a difference, and must "
  .. "answer with a decrypt_error alert (RFC 8446 4.4.4).")
csock, ssock = tcp_pair()
client, server = cctx:wrap(csock), sctx:wrap(ssock)
local ttrace = trace.new{ role = "client", quiet = true }:attach(client)
local tampered = false
client:on("message_out", function(_, msg)
  if msg.type ~= "finished" then return end
  tampered = true
  local raw = msg.raw
  local bad = raw:sub(1, 4) .. string.char(raw:byte(5) ~ 0x01) .. raw:sub(6)
  say("")
  say("   client Finished as computed: %s", decode.preview(raw:sub(5), 12))
  say("   client Finished as sent:     %s   (first bit flipped by the hook)", decode.preview(bad:sub(5), 12))
  return bad
end)
local alerts = {}
for who, conn in pairs{ client = client, server = server } do
  conn:on("alert", function(_, a, dir)
    alerts[#alerts + 1] = { who = who, dir = dir, name = a.name, level = a.level }
    say("   %s %s alert: %s %s", who, dir == "out" and "sends" or "receives", a.level, a.name)
  end)
end
client:settimeout(0)
server:settimeout(0)
conns = { client = client, server = server }
-- A TLS 1.3 client is done once it has sent its Finished: it learns of the server's
-- alert by reading on, so its step is "handshake, then wait for data".
st = drive({ "client", "server" }, function(side)
  local conn = conns[side]
  local ok, herr, name = conn:handshake()
  if side == "server" or not ok then return ok, herr, name end
  local data, rerr = conn:receive(1)
  if data then return nil, "unexpected data" end
  return nil, rerr
end, { csock, ssock })

expect(tampered, "the tamper hook never ran")
expect(st.server.ok == false and st.server.name == "DECRYPT_ERROR",
  "server: expected a DECRYPT_ERROR failure, got %s %s", tostring(st.server.err), tostring(st.server.name))
expect(st.client.ok == false and tostring(st.client.err):find("decrypt_error", 1, true),
  "client: expected the decrypt_error alert, got %s", tostring(st.client.err))
local seen = false
for _, a in ipairs(alerts) do
  if a.who == "client" and a.dir == "in" and a.name == "decrypt_error" then seen = true end
end
expect(seen, "the client's alert hook did not see decrypt_error")
say("")
say("   server: %s", tostring(st.server.err))
say("   client: %s", tostring(st.client.err))
client:close("silent")
server:close("silent")
listener:close()

-- ---------------------------------------------------------------------------------
-- The ladders
-- ---------------------------------------------------------------------------------

heading("What crossed the wire")
explain("Drawn from the client's record and message hooks. ===> is a record (bytes on the "
  .. "wire), ---> a handshake message inside the record above it, - - > an alert. The left "
  .. "column is the keys the record was protected with: initial means none.")
say("")
say("Connection 1 (clean handshake, then data):")
say("%s", ladder.draw(ctrace.events))
say("")
say("Connection 2 (tampered Finished):")
local drawing = ladder.draw(ttrace.events)
say("%s", drawing)
expect(drawing:find("Alert fatal decrypt_error", 1, true), "the ladder does not show the alert")

if #failures > 0 then
  fail_now("%d unexpected result(s): %s", #failures, table.concat(failures, "; "))
end
say("")
say("demo ok")
