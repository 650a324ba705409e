-- Lazy message tables in message hooks (conn.lua message_hook, msg.lua M.lazy): a hook
-- that only reads a message leaves the engine's bytes as they are, with no encode; a
-- write, at any depth, re-encodes; what a hook keeps is a plain table afterwards.
local tls = require "moontls"
local core = require "moontls.core"
local h = require "support.tls_helpers"

-- Runs fn with core.msg_decode / core.msg_encode counted. With `mark`, the encoder is made
-- non-canonical: a ClientHello it encodes gets its random's last byte flipped, so bytes
-- that went through it can be told from the engine's own.
local function with_codec_spy(mark, fn)
  local dec, enc = core.msg_decode, core.msg_encode
  local n = { decode = 0, encode = 0 }
  core.msg_decode = function(...) n.decode = n.decode + 1; return dec(...) end
  core.msg_encode = function(...)
    n.encode = n.encode + 1
    local out = enc(...)
    if mark and out:byte(1) == 1 then out = out:sub(1, 37) .. string.char(out:byte(38) ~ 0xff) .. out:sub(39) end
    return out
  end
  local ok, err = pcall(fn, n)
  core.msg_decode, core.msg_encode = dec, enc
  assert(ok, err)
  return n
end

-- The ClientHello the client's engine built (message_out sees it first) and the one the
-- server received, with `hook` as the client's message_out.
local function client_hello_through(hook)
  local built, received
  local c, s = tls.pair(h.client{ hooks = { message_out = function(conn, msg, ev)
    if ev.seq == 0 and built == nil then built = ev.encode() end
    return hook(conn, msg, ev)
  end } }, h.server())
  s:on("message_in", function(_, msg, ev)
    if received == nil then received = ev.encode() end
    local _ = msg
  end)
  tls.pump(c, s)
  return built, received
end

describe("lazy message tables", function()
  it("a hook that never touches the message decodes and encodes nothing", function()
    local n = with_codec_spy(true, function()
      local _, _, ok, err = h.handshake(h.client{ hooks = { message_out = function() end, message_in = function() end } },
                                  h.server{ hooks = { message_out = function() end, message_in = function() end } })
      assert.is_nil(err)
      assert.is_truthy(ok)
    end)
    assert.equal(0, n.decode)
    assert.equal(0, n.encode)
  end)

  it("a read-only hook leaves the bytes identical, with no re-encode, even from a non-canonical encoder", function()
    local seen = {}
    local built, received
    local n = with_codec_spy(true, function()
      built, received = client_hello_through(function(_, msg)
        seen[#seen + 1] = msg.type
        if msg.type == "client_hello" then
          for _, e in ipairs(msg.extensions) do seen[#seen + 1] = e.type end
          for k in pairs(msg) do local _ = k end
          local _ = #msg.cipher_suites, msg.random
        end
      end)
    end)
    assert.equal("client_hello", seen[1])
    assert.is_true(#seen > 3)
    assert.equal(0, n.encode)
    assert.is_true(n.decode > 0)
    assert.equal(built, received)
  end)

  it("a write re-encodes the message: the non-canonical encoder's bytes go out", function()
    local built, received
    local n = with_codec_spy(true, function()
      built, received = client_hello_through(function(_, msg)
        if msg.type == "client_hello" then msg.legacy_session_id = msg.legacy_session_id end
      end)
    end)
    assert.is_true(n.encode > 0)
    assert.equal(#built, #received)
    assert.are_not.equal(built, received)
    assert.equal(built:byte(38) ~ 0xff, received:byte(38))
  end)

  it("a length override re-encodes the message", function()
    local n = with_codec_spy(false, function()
      local built, received = client_hello_through(function(_, msg)
        if msg.type == "client_hello" then msg.cipher_suites_len = function(auto) return auto end end
      end)
      assert.equal(built, received)
    end)
    assert.is_true(n.encode > 0)
  end)

  it("writes through nested tables are seen and reach the peer", function()
    local got
    local c, s = tls.pair(h.client{ hooks = { message_out = function(_, msg)
      if msg.type == "client_hello" then
        local cs = msg.cipher_suites
        cs[#cs + 1] = 0x0a0a -- a GREASE suite: the server skips it
        tls.ext.find(msg, "supported_groups").named_group_list[1] = "x25519"
      end
    end } }, h.server())
    s:on("message_in", function(_, msg)
      if msg.type == "client_hello" then got = msg end
    end)
    assert.is_true(tls.pump(c, s))
    local suites = got.cipher_suites
    assert.equal(0x0a0a, suites[#suites])
  end)

  it("a message kept past its hook is a plain table", function()
    local kept, touched
    local c, s = tls.pair(h.client{ hooks = { message_out = function(_, msg)
      if kept == nil then kept = msg end
    end } }, h.server{ hooks = { message_in = function(_, msg)
      if touched == nil then touched = msg; local _ = msg.extensions[1].type end
    end } })
    assert.is_true(tls.pump(c, s))
    assert.equal("client_hello", kept.type)
    assert.is_nil(getmetatable(kept))
    assert.is_nil(getmetatable(touched))
    assert.is_nil(getmetatable(touched.extensions))
    assert.is_nil(getmetatable(touched.extensions[1]))
    assert.same(tls.decode(touched.raw).extensions, touched.extensions)
    assert.equal(touched.raw, tls.encode(touched))
  end)

  it("a hook returning its message re-encodes it; edits in place still count", function()
    local n = with_codec_spy(false, function()
      local built, received = client_hello_through(function(_, msg)
        if msg.type == "client_hello" then return msg end
      end)
      assert.equal(built, received)
    end)
    assert.is_true(n.encode > 0)
  end)
end)
