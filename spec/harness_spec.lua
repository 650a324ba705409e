-- tls.test (SCRIPTING.md 6.9): a failed probe's report carries the transcript of each
-- connection it made (t:connect records them), cut to a size, off with --no-transcript,
-- whole under -v, saved as trace files under --trace-dir. Against openssl s_server on
-- 127.0.0.1, started and stopped here.
local tls = require "moontls"
local test = require "moontls.test"
local H = require "interop.helpers"

local function client()
  return assert(tls.context{ mode = "client", versions = { "1.3" }, verify = "none" })
end

-- A suite whose output is captured; returns the exit code and the text.
local function run_suite(port, argv)
  local buf = {}
  local out = { write = function(self, ...)
    for _, s in ipairs{ ... } do buf[#buf + 1] = tostring(s) end
    return self
  end, flush = function() end }
  argv = argv or {}
  table.insert(argv, 1, "-p")
  table.insert(argv, 2, tostring(port))
  local suite = test.suite{ name = "transcripts", argv = argv, out = out }
  suite:probe("sanity", function(t)
    local c = t:connect(client())
    t:ok(c:handshake())
  end)
  -- Fails on purpose: a ClientHello cut short draws decode_error, not handshake_failure.
  suite:probe("wrong alert on purpose", function(t)
    local c = t:connect(client())
    c:send_message("client_hello", nil, { body = tls.mut.truncate(3), name = "CH" })
    t:expect_alert(c, "handshake_failure")
  end)
  -- Fails on purpose too: the server answers with a ServerHello, not a HelloRetryRequest.
  suite:probe("hrr on purpose", function(t)
    local c = t:connect(client())
    c:send_message("client_hello", nil, { name = "CH" })
    t:expect(c, "hello_retry_request", nil, { name = "HRR" })
  end)
  local rc = suite:run()
  return rc, table.concat(buf)
end

local function lines_after(text, marker)
  local i = assert(text:find(marker, 1, true), "no " .. marker .. " in:\n" .. text)
  return text:sub(i)
end

describe("tls.test failure reports", function()
  local port
  setup(function() _, port = H.openssl_server("leaf-p256", "-www") end)
  teardown(function() H.cleanup() end)

  it("print the failed probe's transcript: records, messages and the alert, each way", function()
    local rc, text = run_suite(port, { "wrong alert on purpose" })
    assert.equal(1, rc)
    assert.matches("2 passed, 1 failed, 1 skipped", text, 1, true) -- sanity runs first and last
    local report = lines_after(text, "wrong alert on purpose ...\nFAIL")
    assert.matches("FAIL: [^\n]*decode_error", report)
    assert.matches("\n  transcript of connection 1 %(%-> sent, <%- received%):\n", report)
    assert.matches("\n    %-> initial     record handshake %d+ B\n", report)
    assert.matches("\n    %->               client_hello %(undecoded%) %d+ B\n", report)
    assert.matches("\n    <%- initial     record alert 2 B\n", report)
    assert.matches("\n    <%-               alert fatal decode_error 2 B\n", report)
    -- the passing sanity probe shows none
    local sanity = text:match("sanity %.%.%.\n(.-)\n")
    assert.equal("OK", sanity)
    assert.equal(1, H.count(text, "transcript of connection"))
  end)

  it("are cut to TRANSCRIPT_LINES lines, whole with fields under -v, absent with --no-transcript", function()
    local saved = test.TRANSCRIPT_LINES
    test.TRANSCRIPT_LINES = 2
    local _, text = run_suite(port, { "wrong alert on purpose" })
    test.TRANSCRIPT_LINES = saved
    local report = lines_after(text, "transcript of connection 1")
    assert.matches("\n    %-> initial     record handshake %d+ B\n    %.%.%. 3 more lines\n", report)
    assert.not_matches("alert fatal", report)

    _, text = run_suite(port, { "-v", "hrr on purpose" })
    report = lines_after(text, "hrr on purpose ...\nFAIL")
    assert.matches("expected hello_retry_request, got server_hello", report, 1, true)
    assert.matches("client_hello %d+ B\n +legacy_version=1.2 legacy_session_id=%x* extensions=[%w_,]*key_share", report)
    assert.matches("server_hello %d+ B\n +cipher_suite=TLS_AES_%d+_GCM_SHA%d+ ", report)

    _, text = run_suite(port, { "--no-transcript", "wrong alert on purpose" })
    assert.matches("FAIL: [^\n]*decode_error", text)
    assert.not_matches("transcript of", text)
    assert.not_matches("client_hello", text)
  end)

  it("are not printed for an expected failure; --trace-dir keeps the report and the trace", function()
    local dir = H.TMP .. "/traces"
    os.execute("mkdir -p " .. H.q(dir))
    local rc, text = run_suite(port, { "-x", "wrong alert on purpose", "--trace-dir", dir, "wrong alert on purpose" })
    assert.equal(0, rc)
    assert.matches("XFAIL", text, 1, true)
    assert.not_matches("transcript of", text)
    local saved = H.read(dir .. "/wrong_alert_on_purpose.txt")
    assert.matches("alert fatal decode_error", saved, 1, true)
    local tr = assert(tls.trace.load(dir .. "/wrong_alert_on_purpose.1.trace"))
    assert.equal("client", tr.role)
    assert.equal("decode_error", (tr:message("alert")).description)
  end)
end)
