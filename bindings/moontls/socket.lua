-- moontls.socket: the LuaSocket transport (SCRIPTING.md 6.3): ctx:wrap(sock),
-- tls.connect(host, port, ctx[, opts]) and tls.listen(host, port, ctx[, opts]). Waiting
-- uses socket.select plus a non-blocking receive, so a timeout bounds each wait and
-- settimeout(0) never blocks.
local socket = require "socket"

local M = {}

local function transport(sock)
  return {
    send = function(bytes, timeout)
      sock:settimeout(timeout)
      local i, err, last = sock:send(bytes)
      if i then return i end
      return last or 0, err
    end,
    recv = function(timeout)
      local deadline = timeout and socket.gettime() + timeout
      for _ = 1, 1000 do
        if not sock:dirty() then
          local wait = deadline and math.max(0, deadline - socket.gettime()) or nil
          local r, _, err = socket.select({ sock }, nil, wait)
          if #r == 0 then return nil, err == "timeout" and "timeout" or (err or "timeout") end
        end
        sock:settimeout(0)
        local data, err, partial = sock:receive(16384)
        if data then return data end
        if partial and #partial > 0 then return partial end -- "closed" comes next call
        if err ~= "timeout" then return nil, err end
        -- readable but nothing there (spurious wake-up): wait again until the deadline
        if deadline and socket.gettime() >= deadline then return nil, "timeout" end
      end
      return nil, "timeout"
    end,
    close = function(how)
      if how == "abort" then pcall(sock.setoption, sock, "linger", { on = true, timeout = 0 }) end
      sock:close()
    end,
    getfd = function() return sock:getfd() end,
  }
end

-- A table transport {read = fn, write = fn[, close = fn][, getfd = fn]}:
--   write(bytes[, timeout]) -> count | true | nil, err (count < #bytes: the rest waits)
--   read([timeout]) -> bytes | nil, "timeout" | "closed" | err
local function table_transport(t)
  if type(t.read) ~= "function" or type(t.write) ~= "function" then
    error("ctx:wrap: a transport table needs read and write functions", 4)
  end
  return {
    send = function(bytes, timeout)
      local n, err = t.write(bytes, timeout)
      if n == true or (n == nil and err == nil) then return #bytes end
      if math.type(n) == "integer" then return n, err end
      return 0, err or "write failed"
    end,
    recv = function(timeout)
      local data, err = t.read(timeout)
      if data == nil or data == "" then
        if data == "" and err == nil then return nil, "timeout" end
        return nil, err or "closed"
      end
      return data
    end,
    close = function(how) if t.close then t.close(how) end end,
    getfd = function() return t.getfd and t.getfd() or -1 end,
  }
end

-- Put a connection on a transport: a LuaSocket TCP object (connected or accepted), a
-- table {read =, write =, close =}, or a trace peer (tls.trace.peer).
function M.attach(conn, sock)
  local st = conn:_state()
  if type(sock) == "table" then
    local trace = require "moontls.trace"
    if trace.is_peer(sock) then
      st.peer_transport = sock
      st.transport = { send = sock.send, recv = sock.recv, close = sock.close, getfd = sock.getfd }
    else
      st.transport = table_transport(sock)
    end
    return
  end
  if type(sock) ~= "userdata" or not sock.receive or not sock.send then
    error("ctx:wrap: a LuaSocket TCP object, a {read =, write =} table or a trace peer expected", 3)
  end
  st.sock = sock
  -- A flight leaves as several writes; with Nagle's algorithm the later ones wait for
  -- the peer's delayed ACK (about 40 ms on Linux), which capped a loopback server at
  -- ~22 handshakes per second. TLS records are already coalesced by the engine.
  pcall(sock.setoption, sock, "tcp-nodelay", true)
  st.transport = transport(sock)
end

-- A client context without server_name checks the certificate against the host it
-- connects to (SCRIPTING.md 6.2: hostname checks default on when a name is known). The
-- engine keeps the name in the configuration, so derive one context per host, cached.
local derived = setmetatable({}, { __mode = "k" })
local function for_host(ctx, host)
  local params = ctx:_params().params
  if params.mode ~= "client" or params.server_name ~= nil then return ctx end
  -- RFC 6066 3: SNI carries host names only, never address literals.
  if host:match("^[%d.]+$") or host:find(":", 1, true) then return ctx end
  local per = derived[ctx] or {}
  derived[ctx] = per
  if not per[host] then per[host] = assert(ctx:with{ server_name = host }) end
  return per[host]
end

-- tls.connect(host, port, ctx[, opts]) -> conn | nil, err. opts: timeout (seconds, also
-- the connection's), session (a session or its bytes to resume), early_data (bytes to
-- send as 0-RTT with that session), handshake (true: handshake now), record (true: keep a transcript,
-- conn:transcript()), replay (a trace) with replay_mode:
--   "messages" (default) / "verbatim": a live connection re-sending the recorded
--     messages (tls.trace.replay);
--   "wire": no engine; returns a raw replayer (tls.trace.wire) that writes the recorded
--     flights byte for byte: r:replay{flights = n} -> reply traces, r:read_flight(),
--     r:write(bytes), r:close().
local REPLAY_MODES = { wire = true, messages = true, verbatim = true }
local CONNECT_OPTS = { timeout = true, handshake = true, record = true, replay = true, replay_mode = true,
                       session = true, early_data = true }

function M.connect(host, port, ctx, opts)
  if type(host) ~= "string" then error("tls.connect: host string expected", 2) end
  if math.type(port) ~= "integer" and type(port) ~= "string" then error("tls.connect: port expected", 2) end
  if ctx == nil then error("tls.connect: context expected", 2) end
  opts = opts or {}
  for k in pairs(opts) do
    if not CONNECT_OPTS[k] then error(("tls.connect: unknown option %q"):format(tostring(k)), 2) end
  end
  local trace
  if opts.replay ~= nil or opts.replay_mode ~= nil then
    trace = require "moontls.trace"
    if getmetatable(opts.replay) ~= trace.Trace then error("tls.connect: replay: a trace expected", 2) end
    if opts.replay_mode ~= nil and not REPLAY_MODES[opts.replay_mode] then
      error("tls.connect: replay_mode: \"wire\", \"messages\" or \"verbatim\" expected", 2)
    end
  end
  local sock, err = socket.tcp()
  if not sock then return nil, err, "IO" end
  if opts.timeout then sock:settimeout(opts.timeout) end
  local ok
  ok, err = sock:connect(host, port)
  if not ok then
    sock:close()
    return nil, err, err == "timeout" and "TIMEOUT" or "IO"
  end
  if trace and opts.replay_mode == "wire" then return trace.wire(sock, opts.replay) end
  local conn = for_host(ctx, host):wrap(sock)
  if opts.timeout then conn:settimeout(opts.timeout) end
  if opts.session ~= nil then
    -- resumption (SCRIPTING.md 6.3): offer this session in the ClientHello
    local sok, serr, sname = conn:set_session(opts.session)
    if not sok then
      conn:close("silent")
      return nil, serr, sname
    end
  end
  if opts.early_data ~= nil then
    -- 0-RTT (RFC 8446 4.2.10): sent right after the ClientHello when the session allows
    local eok, eerr, ename = conn:set_early_data(opts.early_data)
    if not eok then
      conn:close("silent")
      return nil, eerr, ename
    end
  end
  if opts.record then require("moontls.trace").record(conn) end
  if trace then trace.replay(conn, opts.replay, opts.replay_mode or "messages") end
  if opts.handshake then
    local name
    ok, err, name = conn:handshake()
    if not ok then
      conn:close("silent")
      return nil, err, name
    end
  end
  return conn
end

-- ---------------------------------------------------------------------------------
-- Listeners: tls.listen(host, port, ctx[, opts])
-- ---------------------------------------------------------------------------------

local Listener = {}
Listener.__index = Listener
Listener.__name = "moontls.Listener"
M.Listener = Listener

local LISTEN_OPTS = { timeout = true, backlog = true, record = true }

-- tls.listen(host, port, ctx[, opts]) -> listener | nil, err, "IO". Port 0 picks a free
-- port (listener:getsockname() tells which). opts: timeout (accept's, as
-- listener:settimeout), backlog (default 32), record (true: every accepted connection
-- keeps a transcript, conn:transcript()). The context gives the accepted connections
-- their role: normally a server context, but a client context makes a listening client
-- (the peer connects and then plays the server), which tests sometimes want.
function M.listen(host, port, ctx, opts)
  if type(host) ~= "string" then error("tls.listen: host string expected", 3) end
  if math.type(port) ~= "integer" and type(port) ~= "string" then error("tls.listen: port expected", 3) end
  if (type(ctx) ~= "userdata" and type(ctx) ~= "table") or type(ctx.wrap) ~= "function" then
    error("tls.listen: context expected", 3)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error("tls.listen: options table expected", 3) end
  for k in pairs(opts) do
    if not LISTEN_OPTS[k] then error(("tls.listen: unknown option %q"):format(tostring(k)), 3) end
  end
  if opts.timeout ~= nil and type(opts.timeout) ~= "number" then error("tls.listen: timeout: number expected", 3) end
  local sock, err = socket.tcp()
  if not sock then return nil, err, "IO" end
  sock:setoption("reuseaddr", true)
  local ok
  ok, err = sock:bind(host, port)
  if ok then ok, err = sock:listen(opts.backlog or 32) end
  if not ok then
    sock:close()
    return nil, ("listen on %s:%s: %s"):format(host, tostring(port), tostring(err)), "IO"
  end
  local l = setmetatable({ sock = sock, ctx = ctx, record = opts.record, closed = false }, Listener)
  l:settimeout(opts.timeout)
  return l
end

-- listener:settimeout(seconds): how long accept() waits; nil or negative blocks, 0 polls.
function Listener:settimeout(t)
  if t ~= nil and type(t) ~= "number" then error("listener:settimeout: number expected", 2) end
  if t and t < 0 then t = nil end
  self.timeout = t
  return true
end

-- listener:accept() -> conn, ip, port | nil, err, NAME: the next TCP connection, wrapped as
-- ctx:wrap would (no handshake yet). err is "timeout" (TIMEOUT) when nobody connected
-- in time, "closed" (CLOSED) after listener:close(), else the socket's message (IO).
-- On success the peer's address follows: conn, ip, port.
function Listener:accept()
  if self.closed then return nil, "closed", "CLOSED" end
  self.sock:settimeout(self.timeout)
  local client, err = self.sock:accept()
  if not client then
    if err == "timeout" then return nil, "timeout", "TIMEOUT" end
    return nil, tostring(err), err == "closed" and "CLOSED" or "IO"
  end
  local conn = self.ctx:wrap(client)
  if self.record then require("moontls.trace").record(conn) end
  local ip, cport = client:getpeername()
  return conn, ip, math.tointeger(tonumber(cport))
end

-- listener:getsockname() -> ip, port (an integer).
function Listener:getsockname()
  if self.closed then return nil, "closed", "CLOSED" end
  local ip, port = self.sock:getsockname()
  return ip, math.tointeger(tonumber(port))
end

function Listener:getfd()
  if self.closed then return -1 end
  return self.sock:getfd()
end

-- listener:close(): stop listening; accepted connections are not affected. Twice is fine.
function Listener:close()
  if not self.closed then
    self.closed = true
    self.sock:close()
  end
  return true
end
Listener.__close = Listener.close
Listener.__gc = Listener.close

function Listener:__tostring()
  if self.closed then return "moontls.Listener (closed)" end
  local ip, port = self.sock:getsockname()
  return ("moontls.Listener (%s:%s)"):format(ip, port)
end

return M
