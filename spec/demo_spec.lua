-- `make demo` (scripts/demo.lua) is also a smoke test: it runs a real loopback handshake,
-- a tampered one, and draws the ladders. It must finish quickly and exit 0.
local ROOT = debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$") or "."

describe("the demo", function()
  it("runs in a few seconds, shows the alert and the ladder, exits 0", function()
    local out = os.tmpname()
    local t0 = os.time()
    -- LUA_PATH/LUA_CPATH come from the environment busted runs in (the Makefile's).
    local ok, how, code = os.execute(("cd %s && timeout 60 lua5.4 scripts/demo.lua >%s 2>&1"):format(ROOT, out))
    local f = assert(io.open(out, "rb"))
    local text = f:read("a")
    f:close()
    os.remove(out)
    assert.is_true(ok == true, ("demo exited %s %s:\n%s"):format(tostring(how), tostring(code), text))
    assert.is_true(os.time() - t0 <= 15, "the demo took too long")
    -- the walk-through
    assert.matches("Step 1%. client %-> server  ClientHello", text)
    assert.matches("cipher suite chosen:%s+TLS_AES_128_GCM_SHA256", text)
    assert.matches("certificate subject:%s+O=moontls test PKI, CN=localhost", text)
    assert.matches("signature scheme:%s+ecdsa_secp256r1_sha256", text)
    assert.matches("derives CLIENT_HANDSHAKE_TRAFFIC_SECRET", text)
    assert.matches("client received \"echo: hello over TLS 1%.3\"", text)
    -- the tampered Finished and the peer's answer
    assert.matches("server sends alert: fatal decrypt_error", text)
    assert.matches("client receives alert: fatal decrypt_error", text)
    -- the ladders, drawn from the hooks
    assert.matches("client%s+server", text)
    assert.matches("initial%s+|=== record handshake %d+ B =+>|", text)
    assert.matches("|<%-[%- ]+Alert fatal decrypt_error", text)
    assert.matches("demo ok", text)
  end)
end)
