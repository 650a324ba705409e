-- The example scripts of SCRIPTING.md 7 (a), (b), (d) under scripts/examples/, run as a
-- user runs them (./scripts/moontls run ...) against local peers on 127.0.0.1: openssl
-- s_server / s_client and the moontls server. Every process is killed in after_each.
local H = require "interop.helpers"

local ROOT = H.ROOT
local MOONTLS = ROOT .. "/scripts/moontls"
local BUILD = (os.getenv("LUA_CPATH") or ""):match("([^;]*)/%?%.so") or "build"
local ENV = ("env MOONTLS_BUILD=%s "):format(H.q(BUILD:sub(1, 1) == "/" and BUILD or ROOT .. "/" .. BUILD))

local function run_example(name, args)
  local out, rc = H.run_client(("%s%s run %s/scripts/examples/%s %s"):format(ENV, MOONTLS, ROOT, name, args),
    "", nil, 60)
  return out, rc
end

-- The status line of one probe in the harness output ("OK", "FAIL: ...", "XFAIL: ...").
local function status(out, probe)
  local esc = probe:gsub("%p", "%%%0")
  return out:match("\n" .. esc .. " %.%.%.\n([^\n]*)") or out:match("^" .. esc .. " %.%.%.\n([^\n]*)")
end

local CH_PROBES = { "extensions length +1", "duplicate supported_versions", "body truncated by 1",
  "body truncated by 2", "body truncated by 3", "body truncated by 4" }

describe("example (a) ch-malformed.lua", function()
  after_each(H.cleanup)

  it("against openssl s_server -tls1_3: every probe draws its alert (decode_error for the +1 length)", function()
    local _, port = H.openssl_server("leaf-p256", "-www")
    local out, rc = run_example("ch-malformed.lua", "-p " .. port)
    assert.equal(0, rc, out)
    for _, p in ipairs(CH_PROBES) do assert.equal("OK", status(out, p), out) end
    assert.truthy(out:find("TOTAL: 8\nSKIP: 0\nPASS: 8\nXFAIL: 0\nFAIL: 0\nXPASS: 0", 1, true), out)
    assert.truthy(out:find("8 passed, 0 failed\n", 1, true), out)
  end)

  it("against the moontls server", function()
    local pid, port, log
    for _ = 1, 5 do
      port = H.random_port()
      log = H.TMP .. "/moontls-server-" .. port
      os.execute("mkdir -p " .. H.TMP)
      pid = H.spawn(("%s%s server --port %d"):format(ENV, MOONTLS, port), log)
      if H.wait_log(pid, log, "listening", 10) then break end
    end
    local out, rc = run_example("ch-malformed.lua", "-p " .. port)
    assert.equal(0, rc, out)
    for _, p in ipairs(CH_PROBES) do assert.equal("OK", status(out, p), out) end
    assert.truthy(out:find("8 passed, 0 failed\n", 1, true), out)
  end)

  it("-x marks an expected failure (XPASS fails the run), -e skips, -X checks the message", function()
    local _, port = H.openssl_server("leaf-p256", "-www")
    local out, rc = run_example("ch-malformed.lua",
      ("-p %d -x 'duplicate supported_versions' -e 'body truncated by 3' 'extensions length +1' 'duplicate supported_versions'"):format(port))
    assert.equal(1, rc, out)
    assert.equal("XPASS", status(out, "duplicate supported_versions"), out)
    assert.truthy(out:find("TOTAL: 8\nSKIP: 4\nPASS: 3\nXFAIL: 0\nFAIL: 0\nXPASS: 1", 1, true), out)
    assert.truthy(out:find("3 passed, 1 failed, 4 skipped\n", 1, true), out)
  end)
end)

describe("example (b) mutating-server.lua", function()
  after_each(H.cleanup)

  -- What OpenSSL 3.0's client says to each mutation. It offers TLS_AES_128_GCM_SHA256
  -- only, so the other-suite ServerHello names a suite it never offered.
  local EXPECT = {
    { "none", "accepted by client\tGET /" },
    { "session-echo", "rejected by client:\talert received: fatal illegal_parameter" },
    { "unknown-ext", "accepted by client\tGET /" }, -- OpenSSL ignores unknown extensions
    { "dup-key-share", "rejected by client:\talert received: fatal illegal_parameter" },
    { "other-suite", "rejected by client:\talert received: fatal illegal_parameter" },
  }

  it("openssl s_client, one connection per mutation", function()
    local pid, port, log
    for _ = 1, 5 do
      port = H.random_port()
      os.execute("mkdir -p " .. H.TMP)
      log = H.TMP .. "/mutating-" .. port
      pid = H.spawn(("%s%s run %s/scripts/examples/mutating-server.lua %d"):format(ENV, MOONTLS, ROOT, port), log)
      if H.wait_log(pid, log, "listening", 10) then break end
    end
    for _, e in ipairs(EXPECT) do
      H.run_client(("openssl s_client -connect 127.0.0.1:%d -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -ign_eof")
        :format(port), "GET /\n", nil, 10)
      assert.truthy(H.wait_log(pid, log, e[1] .. "\t", 10), H.read(log))
    end
    assert.truthy(H.wait_exit(pid, 10), "the server did not exit")
    local got = H.read(log)
    for _, e in ipairs(EXPECT) do
      assert.truthy(got:find(e[1] .. "\t" .. e[2], 1, true), ("%s: %s"):format(e[1], got))
    end
  end)
end)

describe("example (d) hrr.lua", function()
  after_each(H.cleanup)

  it("against openssl s_server -groups secp384r1 (socket probes), and in memory", function()
    local _, port = H.openssl_server("leaf-p256", "-www -groups secp384r1")
    local out, rc = run_example("hrr.lua", "-p " .. port)
    assert.equal(0, rc, out)
    assert.equal("OK", status(out, "HRR selects secp384r1, then the handshake completes"), out)
    assert.equal("OK", status(out, "second ClientHello ignores the requested group"), out)
    assert.equal("OK", status(out, "server-forced HRR (in-memory pair)"), out)
    assert.truthy(out:find("3 passed, 0 failed\n", 1, true), out)
  end)
end)
