-- replay.lua: SCRIPTING.md 7 (c). Record a session once, then replay it against the server.
--
--   lua5.4 scripts/examples/replay.lua [trace-file] [port] [host]
--   (against e.g. openssl s_server -accept 127.0.0.1:4433 -tls1_3 -cert ... -key ... -www)
--
-- 1) with no trace file yet: a handshake with {record = true}; the transcript is saved
--    (a data-only Lua table file; no secrets);
-- 2) byte-exact: the recorded first flight (the ClientHello record) byte for byte on a
--    fresh TCP connection with tls.raw_connect, no engine; the server's reply flight is
--    read (until it is quiet for 2 s) and its ServerHello decoded;
-- 3) "messages": the recorded ClientHello's structure (order, fields, extensions) through
--    a live engine, which recomputes the random and key shares, so the handshake completes.
--
-- Required (dofile) it returns M.run(opts), which spec/trace_spec.lua calls.
local tls = require "moontls"

local M = {}

-- opts: host, port, path (trace file), ctx (client context), log (function(line)),
-- fresh (true: record again even if the file exists). Returns a result table.
function M.run(opts)
  local host, port = opts.host or "127.0.0.1", opts.port or 4433
  local log = opts.log or print
  local ctx = opts.ctx or assert(tls.context{ mode = "client", versions = { "1.3" },
    server_name = "localhost", verify = "none" })
  local path = opts.path or "first-flight.trace"
  local res = {}

  local f = io.open(path)
  if f and not opts.fresh then f:close() else                      -- record once
    if f then f:close() end
    local c = assert(tls.connect(host, port, ctx, { record = true, timeout = 5 }))
    assert(c:handshake())
    c:close()
    assert(c:transcript():save(path))
    res.recorded = true
    log("recorded " .. path)
  end
  local trace = assert(tls.trace.load(path))
  res.trace = trace
  local recorded_sh = assert(trace:message("server_hello"))

  -- 1) Byte-exact: the same ClientHello bytes on a fresh TCP connection.
  local raw = assert(tls.raw_connect(host, port))
  assert(raw:write(trace:flight(1).wire))
  local reply = assert(raw:read_flight{ timeout = 2 })
  local sh = assert(reply:message("server_hello"), "no ServerHello")
  res.wire_sh, res.wire_reply = sh, reply
  res.same_suite = sh.cipher_suite == recorded_sh.cipher_suite
  res.fresh_random = sh.random ~= recorded_sh.random
  log("wire replay: same suite: " .. tostring(res.same_suite) .. ", fresh server random: "
    .. tostring(res.fresh_random))
  raw:close()

  -- 2) Same messages through a live engine: order, fields and mutations are kept; key
  --    shares, binders and Finished are recomputed, so the handshake can finish.
  local c2 = assert(tls.connect(host, port, ctx, { replay = trace, replay_mode = "messages",
    record = true, timeout = 5 }))
  local ok, err = c2:handshake()
  res.messages_ok, res.messages_err = ok, err
  res.replayed = c2:transcript()
  log("replayed handshake: " .. tostring(ok or err))
  c2:close()
  return res
end

if arg and arg[0] and arg[0]:match("replay%.lua$") then
  local r = M.run{ path = arg[1], port = tonumber(arg[2]), host = arg[3] }
  os.exit(r.messages_ok and 0 or 1)
end
return M
