-- The LuaSocket driver on loopback: a moontls server and a moontls client in one
-- process, interleaved with non-blocking sockets (settimeout(0) + socket.select) or with
-- coroutines. Every loop is bounded; every wait has a timeout; 127.0.0.1 only.
local tls = require "moontls"
local socket = require "socket"

local PKI = "spec/fixtures/pki/"

local function server_ctx(stem)
  stem = stem or "leaf-p256"
  return assert(tls.context{ mode = "server", certificate = PKI .. stem .. ".chain.pem",
                             key = PKI .. stem .. ".key" })
end

local function client_ctx(extra)
  local p = { mode = "client", cafile = PKI .. "ca-bundle.pem", server_name = "localhost" }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

local function listener()
  local l = assert(socket.bind("127.0.0.1", 0))
  l:settimeout(5)
  local _, port = l:getsockname()
  return l, math.tointeger(tonumber(port))
end

-- Run both handshakes with non-blocking sockets until each returns something other
-- than "timeout". Returns the two results as {ok, err, name}.
local function interleave(a, b)
  a:settimeout(0)
  b:settimeout(0)
  local ra, rb
  for _ = 1, 500 do
    if not ra then
      local ok, err, name = a:handshake()
      if ok or err ~= "timeout" then ra = { ok, err, name } end
    end
    if not rb then
      local ok, err, name = b:handshake()
      if ok or err ~= "timeout" then rb = { ok, err, name } end
    end
    if ra and rb then break end
    socket.sleep(0.002)
  end
  return ra, rb
end

local function connected_pair(cctx, sctx)
  local l, port = listener()
  local c = assert(tls.connect("127.0.0.1", port, cctx, { timeout = 5 }))
  local raw = assert(l:accept())
  l:close()
  local s = sctx:wrap(raw)
  return c, s
end

describe("LuaSocket driver", function()
  it("handshakes over loopback with non-blocking sockets", function()
    local c, s = connected_pair(client_ctx(), server_ctx())
    local rc, rs = interleave(c, s)
    assert.is_true(rc[1], rc[2])
    assert.is_true(rs[1], rs[2])
    assert.equal("TLS_AES_128_GCM_SHA256", c:info().suite)
    assert.equal("localhost", s:info().sni)
    assert.is_number(c:getfd())
    assert.truthy(c:getfd() >= 0)

    c:settimeout(5)
    s:settimeout(5)
    assert.equal(6, c:send("hello\n"))
    assert.equal("hello", s:receive("*l"))
    s:send(("z"):rep(50000))
    assert.equal(("z"):rep(50000), c:receive(50000))
    assert.is_true(c:key_update(true))
    c:send("after update\n")
    assert.equal("after update", s:receive())
    s:send("and back\n")
    assert.equal("and back", c:receive())
    c:close()
    local data, err = s:receive()
    assert.is_nil(data)
    assert.equal("closed", err)
    s:close()
  end)

  it("handshakes with coroutines and a blocking-style loop", function()
    local c, s = connected_pair(client_ctx(), server_ctx())
    c:settimeout(0)
    s:settimeout(0)
    -- Each side runs in its own coroutine and yields while it would block.
    local function side(conn)
      return coroutine.wrap(function()
        for _ = 1, 500 do
          local ok, err, name = conn:handshake()
          if ok or err ~= "timeout" then return ok, err, name end
          coroutine.yield()
        end
        return nil, "gave up"
      end)
    end
    local co = { side(c), side(s) }
    local done = {}
    for _ = 1, 500 do
      for i = 1, 2 do
        if not done[i] then
          local ok, err = co[i]()
          if ok or (err and err ~= "timeout") then done[i] = { ok, err } end
        end
      end
      if done[1] and done[2] then break end
      socket.sleep(0.005)
    end
    assert.is_true(done[1][1], done[1][2])
    assert.is_true(done[2][1], done[2][2])
    c:close()
    s:close()
  end)

  it("tls.connect with opts.handshake against a server in a child process", function()
    -- The child echoes one line; it prints its port first and gives up after 10 s.
    local script = [[
      local tls, socket = require "moontls", require "socket"
      local P = "spec/fixtures/pki/"
      local ctx = assert(tls.context{ mode = "server", certificate = P .. "leaf-rsa.chain.pem",
                                      key = P .. "leaf-rsa.key", alpn = { "echo" } })
      local l = assert(socket.bind("127.0.0.1", 0))
      l:settimeout(10)
      print((select(2, l:getsockname())))
      io.stdout:flush()
      local raw = l:accept()
      if not raw then return end
      local conn = ctx:wrap(raw)
      conn:settimeout(10)
      if conn:handshake() then
        local line = conn:receive("*l")
        if line then conn:send(line:upper() .. "\n") end
      end
      conn:close()
    ]]
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(script)
    f:close()
    local child = assert(io.popen("lua5.4 " .. path .. " 2>&1", "r"))
    local port = math.tointeger(tonumber(child:read("l")))
    assert.is_number(port)
    local c, err, name = tls.connect("127.0.0.1", port, client_ctx{ alpn = { "echo" } },
                                     { timeout = 10, handshake = true })
    assert.truthy(c, tostring(err) .. " " .. tostring(name))
    assert.equal("echo", c:info().alpn)
    assert.equal("rsa_pss_rsae_sha256", c:info().sigalg)
    c:send("shout\n")
    assert.equal("SHOUT", c:receive())
    c:close()
    child:close()
    os.remove(path)

    -- a refused port gives nil, err
    local l2, port2 = listener()
    l2:close()
    local conn, cerr = tls.connect("127.0.0.1", port2, client_ctx(), { timeout = 2, handshake = true })
    assert.is_nil(conn)
    assert.is_string(cerr)
  end)

  it("times out with nil, \"timeout\"", function()
    local c, s = connected_pair(client_ctx(), server_ctx())
    local rc, rs = interleave(c, s)
    assert.is_true(rc[1] and rs[1])
    s:settimeout(0.1)
    local data, err, partial = s:receive("*l")
    assert.is_nil(data)
    assert.equal("timeout", err)
    assert.equal("", partial)
    c:close()
    s:close()
  end)

  it("reports a certificate failure with the right NAME on both sides", function()
    local c, s = connected_pair(client_ctx(), server_ctx("leaf-wrong-name"))
    local rc, rs = interleave(c, s)
    assert.is_nil(rc[1])
    assert.equal("BAD_CERTIFICATE", rc[3])
    assert.matches("^alert sent: fatal bad_certificate", rc[2])
    assert.is_nil(rs[1])
    assert.equal("BAD_CERTIFICATE", rs[3])
    assert.equal("alert received: fatal bad_certificate", rs[2])
    c:close()
    s:close()
  end)

  it("reports closed when the peer drops TCP mid-handshake", function()
    local l, port = listener()
    local c = assert(tls.connect("127.0.0.1", port, client_ctx(), { timeout = 5 }))
    local raw = assert(l:accept())
    l:close()
    raw:close()
    local ok, err, name = c:handshake()
    assert.is_nil(ok)
    assert.equal("closed", err)
    assert.equal("CLOSED", name)
    c:close("silent")
  end)

  it("a dropped Finished leaves the server waiting until its timeout", function()
    local cctx = client_ctx{ hooks = { message_out = function(_, msg)
      if msg.type == "finished" then return false end
    end } }
    local c, s = connected_pair(cctx, server_ctx())
    local rc = interleave(c, s)
    assert.is_true(rc[1])
    s:settimeout(0.2)
    local ok, err, name = s:handshake()
    assert.is_nil(ok)
    assert.equal("timeout", err)
    assert.equal("TIMEOUT", name)
    c:close("abort")
    s:close()
  end)

  it("wrap raises on something that is not a socket", function()
    assert.has_error(function() client_ctx():wrap({}) end)
  end)
end)

describe("tls.connect and host names", function()
  it("checks the certificate against the host name when the context has none", function()
    local l, port = listener()
    local cctx = assert(tls.context{ mode = "client", cafile = PKI .. "ca-bundle.pem" })
    local c = assert(tls.connect("localhost", port, cctx, { timeout = 5 }))
    local s = server_ctx("leaf-wrong-name"):wrap(assert(l:accept()))
    l:close()
    local rc = interleave(c, s)
    assert.is_nil(rc[1])
    assert.equal("BAD_CERTIFICATE", rc[3])
    c:close()
    s:close()
  end)
end)

describe("tls.listen", function()
  local helpers = require "interop.helpers"
  after_each(function() helpers.kill_all() end)
  teardown(function() helpers.cleanup() end)

  it("listens on port 0, accepts a moontls client and carries data both ways", function()
    local l = assert(tls.listen("127.0.0.1", 0, server_ctx(), { timeout = 5 }))
    local ip, port = l:getsockname()
    assert.equal("127.0.0.1", ip)
    assert.is_true(math.type(port) == "integer" and port > 0)
    assert.matches("moontls.Listener %(127.0.0.1:" .. port .. "%)", tostring(l))
    local c = assert(tls.connect("127.0.0.1", port, client_ctx(), { timeout = 5 }))
    local s, peer_ip, peer_port = l:accept()
    assert.truthy(s, peer_ip)
    assert.equal("127.0.0.1", peer_ip)
    assert.is_true(math.type(peer_port) == "integer" and peer_port > 0)
    assert.equal("server", s:mode())
    local rc, rs = interleave(c, s)
    assert.is_true(rc[1], rc[2])
    assert.is_true(rs[1], rs[2])
    assert.equal("localhost", s:info().sni)
    c:settimeout(5)
    s:settimeout(5)
    assert.equal(4, c:send("hi!\n"))
    assert.equal("hi!", s:receive())
    s:send("back\n")
    assert.equal("back", c:receive())
    c:close()
    s:close()
    l:close()
  end)

  it("accept times out, polls with 0, reports closed after close, and records on request", function()
    local l = assert(tls.listen("127.0.0.1", 0, server_ctx(), { record = true }))
    local _, port = l:getsockname()
    l:settimeout(0)
    local conn, err, name = l:accept()
    assert.is_nil(conn)
    assert.equal("timeout", err)
    assert.equal("TIMEOUT", name)
    l:settimeout(0.05)
    conn, err, name = l:accept()
    assert.equal("TIMEOUT", name)
    -- a connection waiting in the backlog is taken even by a polling accept
    local c = assert(tls.connect("127.0.0.1", port, client_ctx(), { timeout = 5 }))
    l:settimeout(5)
    local s = assert(l:accept())
    local rc, rs = interleave(c, s)
    assert.is_true(rc[1] and rs[1])
    local t = assert(s:transcript())
    assert.equal("server", t.role)
    assert.equal("client_hello", (t:message("client_hello")).type)
    assert.equal("in", select(2, t:message("client_hello")).dir)
    c:close()
    s:close()
    assert.is_true(l:close())
    assert.is_true(l:close())
    conn, err, name = l:accept()
    assert.is_nil(conn)
    assert.equal("closed", err)
    assert.equal("CLOSED", name)
    assert.equal("moontls.Listener (closed)", tostring(l))
  end)

  it("a taken port gives nil, err; misuse raises", function()
    local l = assert(tls.listen("127.0.0.1", 0, server_ctx()))
    local _, port = l:getsockname()
    local l2, err, name = tls.listen("127.0.0.1", port, server_ctx())
    assert.is_nil(l2)
    assert.matches("listen on 127.0.0.1:" .. port, err)
    assert.equal("IO", name)
    l:close()
    assert.has_error(function() tls.listen(nil, 0, server_ctx()) end)
    assert.has_error(function() tls.listen("127.0.0.1", {}, server_ctx()) end)
    assert.has_error(function() tls.listen("127.0.0.1", 0, "ctx") end)
    assert.has_error(function() tls.listen("127.0.0.1", 0, server_ctx(), { bogus = 1 }) end)
    assert.has_error(function() l:settimeout("x") end)
  end)

  it("serves openssl s_client", function()
    local l = assert(tls.listen("127.0.0.1", 0, server_ctx(), { timeout = 10 }))
    local _, port = l:getsockname()
    local log = helpers.TMP .. "/s_client-listen.log"
    os.execute("mkdir -p " .. helpers.TMP)
    local pid = helpers.spawn(("sh -c %s"):format(helpers.q(
      ("(echo ping; sleep 2) | openssl s_client -connect 127.0.0.1:%d -tls1_3 -servername localhost -CAfile %s -quiet")
        :format(port, PKI .. "ca-bundle.pem"))), log, 20)
    local s = assert(l:accept())
    l:close()
    s:settimeout(10)
    assert(s:handshake())
    assert.equal("1.3", s:info().version)
    assert.equal("ping", s:receive())
    assert(s:send("pong\n"))
    assert.truthy(helpers.wait_log(pid, log, "pong", 10), helpers.read(log))
    s:close()
  end)
end)
