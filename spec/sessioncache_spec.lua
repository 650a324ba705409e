-- The client session cache (SCRIPTING.md 6.2 session_cache; moontls/sessioncache.lua):
-- a client context with a cache offers the newest session for its server name and
-- stores every ticket as it arrives; tickets are single use (RFC 8446 C.4). In memory,
-- then once live against openssl s_server.
local tls = require "moontls"
local H = require "interop.helpers"

local PKI = "spec/fixtures/pki/"
local NOW = 1735689600
local function clock() return NOW end

local function server_ctx(extra)
  local p = { mode = "server", certificate = PKI .. "leaf-p256.chain.pem",
              key = PKI .. "leaf-p256.key", clock = clock, tickets = 1 }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

local function client_ctx(cache, extra)
  local p = { mode = "client", cafile = PKI .. "ca-bundle.pem", server_name = "localhost",
              clock = clock, session_cache = cache }
  for k, v in pairs(extra or {}) do p[k] = v end
  return assert(tls.context(p))
end

-- One in-memory connection; returns the client connection.
local function connect(cctx, sctx)
  local c, s = tls.pair(cctx, sctx)
  assert(tls.pump(c, s))
  assert.is_true(c:info().handshake_done)
  return c
end

-- the cache's entries, oldest first, as bytes (white-box: to tell tickets apart)
local function held(cache)
  local t = {}
  for i, s in ipairs(cache.entries) do t[i] = s.bytes end
  return t
end

describe("tls.session_cache", function()
  it("the second connection resumes by itself, the third with the second's ticket", function()
    local cache = tls.session_cache()
    local sctx, cctx = server_ctx(), nil
    cctx = client_ctx(cache)
    local c1 = connect(cctx, sctx)
    assert.is_false(c1:info().resumed)
    assert.equal(1, #cache)
    assert.same({ c1:session():export() }, held(cache))

    local c2 = connect(cctx, sctx)
    assert.is_true(c2:info().resumed)
    -- c1's ticket was taken out when offered; c2's own ticket replaced it
    assert.same({ c2:session():export() }, held(cache))
    assert.not_equal(c1:session():export(), c2:session():export())

    local c3 = connect(cctx, sctx)
    assert.is_true(c3:info().resumed)
    assert.same({ c3:session():export() }, held(cache))
  end)

  it("stores every ticket of a flight, and offers the newest", function()
    local cache = tls.session_cache()
    local sctx = server_ctx{ tickets = 3 }
    local c1 = connect(client_ctx(cache), sctx)
    assert.equal(3, cache:count())
    local newest = held(cache)[3]
    assert.equal(c1:session():export(), newest)
    local c2, s2 = tls.pair(client_ctx(cache), sctx)
    local offered
    c2:on("message_out", function(_, msg)
      if msg.type == "client_hello" then
        offered = tls.ext.find(msg, "pre_shared_key").identities[1].identity
      end
    end)
    assert(tls.pump(c2, s2))
    assert.is_true(c2:info().resumed)
    assert.equal(tls.session(newest):export(), newest)
    -- the identity offered is the newest session's ticket (the last field of the bytes)
    assert.equal(newest:sub(-#offered), offered)
    assert.equal(2 + 3, cache:count()) -- two older ones left, three new
  end)

  it("keeps at most max sessions, dropping the oldest", function()
    local cache = tls.session_cache(2)
    local sctx = server_ctx{ tickets = 3 }
    local c1 = connect(client_ctx(cache), sctx)
    assert.equal(2, #cache)
    assert.equal(c1:session():export(), held(cache)[2])
    local other = connect(client_ctx(nil), sctx):session()
    assert.is_true(cache:put(other))
    assert.equal(2, #cache)
    assert.equal(other:export(), held(cache)[2])
    assert.equal(c1:session():export(), held(cache)[1])
    cache:clear()
    assert.equal(0, cache:count())
  end)

  it("keeps server names apart", function()
    local cache = tls.session_cache()
    local sctx = server_ctx()
    local local1 = connect(client_ctx(cache), sctx)
    local octx = client_ctx(cache, { server_name = "other.test", verify = "none" })
    local o1 = connect(octx, sctx)
    assert.is_false(o1:info().resumed) -- localhost's session is not offered to other.test
    assert.equal(2, #cache)
    assert.equal("other.test", cache:get("other.test", NOW).server_name)
    assert.is_nil(cache:get("other.test", NOW))                   -- taken: single use
    assert.equal(local1:session():export(), cache:get("localhost", NOW):export())
    assert.equal(0, #cache)
  end)

  it("an explicit session wins; expired sessions are not offered", function()
    local cache = tls.session_cache()
    local sctx = server_ctx()
    local mine = connect(client_ctx(nil), sctx):session()
    connect(client_ctx(cache), sctx)
    assert.equal(1, #cache)
    local c = connect(client_ctx(cache, { session = mine }), sctx)
    assert.is_true(c:info().resumed)
    assert.equal(2, #cache) -- nothing taken, this connection's ticket stored
    local later = NOW + 7200
    local c2 = connect(client_ctx(cache, { clock = function() return later end }),
                       server_ctx{ clock = function() return later end })
    assert.is_false(c2:info().resumed)
    assert.equal(1, #cache) -- the two expired ones dropped, the new one kept
  end)

  it("put refuses bytes that are no session; misuse raises", function()
    local cache = tls.session_cache()
    local ok, err, name = cache:put("not a session")
    assert.is_nil(ok)
    assert.matches("not a moontls session", err)
    assert.equal("DECODE_ERROR", name)
    assert.equal(0, #cache)
    assert.has_error(function() tls.session_cache(0) end)
    assert.has_error(function() tls.session_cache("10") end)
    assert.has_error(function() cache:put(42) end)
    assert.has_error(function() cache:get(42) end)
    assert.has_error(function() tls.context{ mode = "client", session_cache = {} } end)
    assert.has_error(function()
      tls.context{ mode = "server", certificate = PKI .. "leaf-p256.chain.pem",
                   key = PKI .. "leaf-p256.key", session_cache = cache }
    end)
  end)
end)

describe("tls.session_cache live", function()
  after_each(H.kill_all)
  teardown(H.cleanup)

  it("resumes with openssl s_server through the cache", function()
    if os.execute("command -v openssl >/dev/null 2>&1") ~= true then pending("no openssl") return end
    local _, port = H.openssl_server("leaf-p256", "-www")
    local cache = tls.session_cache()
    local ctx = assert(tls.context{ mode = "client", cafile = H.CA, server_name = "localhost",
                                    session_cache = cache })
    local function get()
      local c, err
      for _ = 1, 20 do
        c, err = tls.connect("127.0.0.1", port, ctx, { timeout = 10, handshake = true })
        if c or not tostring(err):find("connection refused", 1, true) then break end
        require("socket").sleep(0.05)
      end
      assert.truthy(c, tostring(err))
      assert(c:send("GET / HTTP/1.0\r\n\r\n"))
      local page = c:receive("*a") or ""
      c:close()
      return c, page
    end
    local c1, page1 = get()
    assert.matches("New, TLSv1.3", page1)
    assert.is_false(c1:info().resumed)
    assert.is_true(#cache >= 1, "no ticket from s_server stored")
    local n = #cache
    local c2, page2 = get()
    assert.is_true(c2:info().resumed)
    assert.matches("Reused, TLSv1.3", page2)
    assert.is_true(#cache >= n) -- one taken, s_server's new tickets stored
  end)
end)
