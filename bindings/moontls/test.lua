-- moontls.test: the probe/suite harness (SCRIPTING.md 6.9), with tlsfuzzer's conventions:
-- named probes against one target, `sanity` first and last, expected failures (-x/-X),
-- exclusions (-e), a sample of N (-n, --seed), a summary TOTAL/SKIP/PASS/XFAIL/FAIL/XPASS
-- and the closing line "N passed, N failed[, N skipped]"; the exit code is non-zero on
-- FAIL or XPASS.
--
--   local suite = test.suite{ name = "...", argv = arg, host = "127.0.0.1", port = 4433 }
--   suite:probe("name", function(t) local c = t:connect(ctx) ... end[, { tags = {...} }])
--   os.exit(suite:run())
--
-- Inside a probe, t:expect / expect_alert / expect_close / expect_nothing / expect_one_of
-- call the connection's and raise a test failure on nil, err; t:ok(v, msg) and
-- t:eq(a, b, msg) likewise. Any other error in a probe is a failure too (with its
-- traceback under -v).
--
-- t:connect records each connection (conn:transcript()); when a probe fails, the report
-- shows each of its connections' transcript under the FAIL line: one line per record and
-- per message each way, alerts by name, cut to TRANSCRIPT_LINES lines per connection
-- (-v: all lines, plus the main fields of each handshake message; --no-transcript: none).
-- --trace-dir also saves those transcripts as trace files (tls.trace.load reads them).
local tls = require "moontls"

local M = {}

-- Lines of transcript per connection in a failure report (without -v).
M.TRANSCRIPT_LINES = 40

local USAGE = [[
usage: %s [options] [probe names...]
  -h HOST          target host (default %s)
  -p PORT          target port (default %d)
  -e NAME          exclude a probe (repeatable)
  -x NAME          the probe is expected to fail (repeatable)
  -X TEXT          right after -x: the failure message must contain TEXT
  -n N             run a random sample of N probes (sanity always runs)
  --seed S         seed for -n and the probe order (the order is shuffled when given)
  --json FILE      write the results as JSON
  --keylog FILE    NSS key log of every connection the probes make
  --trace-dir DIR  save failed probes there: the failure and its connections' traces
  --no-transcript  no connection transcripts in failure reports
  -v               verbose: failure tracebacks, pending messages, whole transcripts
  --help           this text
]]

local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(f) return f.msg end

local function fail(msg, level)
  error(setmetatable({ msg = msg }, Failure), level or 2)
end
M.fail = fail

-- ---------------------------------------------------------------------------------
-- The probe's handle
-- ---------------------------------------------------------------------------------

local T = {}
T.__index = T

-- t:connect(ctx[, opts]) -> conn to the suite's target (opts: host, port, timeout, and
-- tls.connect's). Raises a test failure when the connection cannot be made.
function T:connect(ctx, opts)
  opts = opts or {}
  local s = self.suite
  local host, port = opts.host or s.host, opts.port or s.port
  -- recorded for the failure report unless the probe says record = false
  local copts = { timeout = opts.timeout or s.timeout, record = s.transcripts ~= false or s.trace_dir ~= nil }
  for k, v in pairs(opts) do
    if k ~= "host" and k ~= "port" then copts[k] = v end
  end
  if s.keylog_ctx then ctx = s.keylog_ctx(ctx) end
  local conn, err = tls.connect(host, port, ctx, copts)
  if not conn then fail(("connect %s:%s: %s"):format(host, tostring(port), tostring(err))) end
  self.conns[#self.conns + 1] = conn
  return conn
end

local function expectation(name)
  return function(self, conn, ...)
    if type(conn) ~= "userdata" then error(("t:%s: connection expected"):format(name), 2) end
    local a, b = conn[name](conn, ...)
    if a == nil then
      self.last_conn = conn
      fail(tostring(b), 2)
    end
    return a, b
  end
end
for _, n in ipairs{ "expect", "expect_alert", "expect_close", "expect_nothing", "expect_one_of", "drive" } do
  T[n] = expectation(n)
end

-- t:ok(v[, msg]): fails unless v; msg defaults to the second value (t:ok(c:handshake())).
function T:ok(v, msg, ...)
  if not v then fail(msg ~= nil and tostring(msg) or "not ok", 2) end
  return v, msg, ...
end

function T:eq(a, b, msg)
  if a ~= b then
    fail(("%sexpected %s, got %s"):format(msg and (msg .. ": ") or "", tostring(b), tostring(a)), 2)
  end
  return a
end

function T:fail(msg) fail(msg, 2) end

function T:log(...)
  if self.suite.verbose then
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    io.stdout:write("    ", table.concat(parts, " "), "\n")
  end
end

-- ---------------------------------------------------------------------------------
-- Suites
-- ---------------------------------------------------------------------------------

local Suite = {}
Suite.__index = Suite

-- test.suite{name=, argv=, host=, port=, timeout=}
function M.suite(opts)
  opts = opts or {}
  return setmetatable({
    name = opts.name or "tests", argv = opts.argv or {}, host = opts.host or "127.0.0.1",
    port = opts.port or 4433, timeout = opts.timeout or 5, probes = {}, by_name = {},
    out = opts.out or io.stdout,
  }, Suite)
end

function Suite:probe(name, fn, popts)
  if type(name) ~= "string" then error("suite:probe: name expected", 2) end
  if type(fn) ~= "function" then error("suite:probe: function expected", 2) end
  if self.by_name[name] then error(("suite:probe: duplicate probe %q"):format(name), 2) end
  local p = { name = name, fn = fn, tags = popts and popts.tags or {} }
  self.probes[#self.probes + 1] = p
  self.by_name[name] = p
  return p
end

local function parse(self, argv)
  local o = { exclude = {}, xfail = {}, only = {}, n = 0 }
  local i = 1
  local function value(flag)
    i = i + 1
    local v = argv[i]
    if v == nil then error(("%s: %s needs a value"):format(self.name, flag), 0) end
    return v
  end
  local last_x
  while argv[i] ~= nil do
    local a = argv[i]
    if a == "-h" then o.host = value(a)
    elseif a == "-p" then o.port = math.tointeger(tonumber(value(a))) or error("-p: a port number expected", 0)
    elseif a == "-e" then o.exclude[value(a)] = true
    elseif a == "-x" then last_x = value(a) o.xfail[last_x] = o.xfail[last_x] or true
    elseif a == "-X" then
      if not last_x then error("-X must follow -x", 0) end
      o.xfail[last_x] = value(a)
    elseif a == "-n" then o.n = math.tointeger(tonumber(value(a))) or error("-n: a number expected", 0)
    elseif a == "--seed" then o.seed = value(a)
    elseif a == "--json" then o.json = value(a)
    elseif a == "--keylog" then o.keylog = value(a)
    elseif a == "--trace-dir" then o.trace_dir = value(a)
    elseif a == "-v" then o.verbose = true
    elseif a == "--no-transcript" then o.no_transcript = true
    elseif a == "--help" then o.help = true
    elseif a:sub(1, 1) == "-" then error(("unknown option %s (--help)"):format(a), 0)
    else o.only[#o.only + 1] = a end
    if a ~= "-x" then last_x = nil end -- -X belongs to the -x right before it
    i = i + 1
  end
  return o
end

local function json_string(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
    return ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function write_json(path, suite, results, counts)
  local items = {}
  for i, r in ipairs(results) do
    items[i] = ("{%q:%s,%q:%s,%q:%s,%q:%.3f}"):format("name", json_string(r.name), "status",
      json_string(r.status), "message", json_string(r.message or ""), "seconds", r.seconds)
  end
  local c = {}
  for _, k in ipairs{ "TOTAL", "SKIP", "PASS", "XFAIL", "FAIL", "XPASS" } do
    c[#c + 1] = ("%q:%d"):format(k, counts[k])
  end
  local f = assert(io.open(path, "w"))
  f:write(("{%q:%s,%q:[%s],%q:{%s}}\n"):format("suite", json_string(suite.name), "results",
    table.concat(items, ","), "summary", table.concat(c, ",")))
  f:close()
end

local function clock()
  local ok, socket = pcall(require, "socket")
  if ok then return socket.gettime() end
  return os.clock()
end

-- The failure report's transcript lines: each connection the probe made, in order.
local function transcript_report(self, t)
  local out = {}
  for i, c in ipairs(t.conns) do
    local tr = c:transcript()
    if tr then
      local lines = tr:summary{ max_lines = not self.verbose and M.TRANSCRIPT_LINES or nil, fields = self.verbose }
      out[#out + 1] = ("  transcript of connection %d (%s):"):format(i, #lines > 0 and "-> sent, <- received"
        or "nothing crossed")
      for _, l in ipairs(lines) do out[#out + 1] = "    " .. l end
    end
  end
  return out
end

-- Run one probe: returns ok, message, report lines (the failed probe's transcripts).
function Suite:run_probe(p)
  local t = setmetatable({ suite = self, conns = {}, name = p.name, data = {} }, T)
  local ok, err = xpcall(p.fn, function(e)
    if getmetatable(e) == Failure then return e end
    return setmetatable({ msg = tostring(e), trace = debug.traceback(tostring(e), 2) }, Failure)
  end, t)
  for _, c in ipairs(t.conns) do pcall(c.close, c, "silent") end
  if ok then return true end
  local report = self.transcripts ~= false and transcript_report(self, t) or {}
  if self.verbose and err.trace then self.out:write(err.trace, "\n") end
  if self.verbose and t.last_conn then
    for _, m in ipairs(t.last_conn:pending()) do
      self.out:write("    pending: ", tostring(m.type or (m.alert and m.alert.name)), "\n")
    end
  end
  if self.trace_dir then
    local f = io.open(("%s/%s.txt"):format(self.trace_dir, p.name:gsub("[^%w%-_.]", "_")), "w")
    if f then
      f:write(p.name, "\n", err.msg, "\n", err.trace or "", "\n")
      for _, l in ipairs(self.transcripts ~= false and report or transcript_report(self, t)) do f:write(l, "\n") end
      f:close()
    end
    for i, c in ipairs(t.conns) do
      local tr = c:transcript()
      if tr then tr:save(("%s/%s.%d.trace"):format(self.trace_dir, p.name:gsub("[^%w%-_.]", "_"), i)) end
    end
  end
  return false, err.msg, report
end

-- suite:run() -> exit code (0: no FAIL and no XPASS).
function Suite:run()
  local ok, o = pcall(parse, self, self.argv)
  local prog = self.argv[0] or self.name
  if not ok then
    io.stderr:write(prog, ": ", tostring(o), "\n")
    return 2
  end
  if o.help then
    io.stdout:write(USAGE:format(prog, self.host, self.port))
    return 0
  end
  self.host, self.port, self.verbose, self.trace_dir = o.host or self.host, o.port or self.port, o.verbose, o.trace_dir
  self.transcripts = not o.no_transcript
  if o.keylog then
    local path = o.keylog
    local cache = setmetatable({}, { __mode = "k" })
    self.keylog_ctx = function(ctx)
      cache[ctx] = cache[ctx] or assert(ctx:with{ keylog = path })
      return cache[ctx]
    end
  end
  for name in pairs(o.xfail) do
    if not self.by_name[name] then io.stderr:write(prog, ": -x: no probe named ", name, "\n") return 2 end
  end
  for _, name in ipairs(o.only) do
    if not self.by_name[name] then io.stderr:write(prog, ": no probe named ", name, "\n") return 2 end
  end

  local sanity = self.by_name.sanity
  local only = {}
  for _, n in ipairs(o.only) do only[n] = true end
  local chosen, skipped = {}, {}
  for _, p in ipairs(self.probes) do
    if p ~= sanity then
      if o.exclude[p.name] or (#o.only > 0 and not only[p.name]) then
        skipped[#skipped + 1] = p
      else
        chosen[#chosen + 1] = p
      end
    end
  end
  if o.seed or o.n > 0 then
    local seed = o.seed and (math.tointeger(tonumber(o.seed)) or #o.seed * 7919 + o.seed:byte(1)) or os.time()
    math.randomseed(seed)
    for i = #chosen, 2, -1 do
      local j = math.random(i)
      chosen[i], chosen[j] = chosen[j], chosen[i]
    end
    if o.n > 0 and o.n < #chosen then
      for i = #chosen, o.n + 1, -1 do skipped[#skipped + 1] = table.remove(chosen, i) end
    end
  end
  local order = {}
  if sanity then order[#order + 1] = sanity end
  for _, p in ipairs(chosen) do order[#order + 1] = p end
  if sanity and #chosen > 0 then order[#order + 1] = sanity end

  local counts = { TOTAL = 0, SKIP = #skipped, PASS = 0, XFAIL = 0, FAIL = 0, XPASS = 0 }
  local results, failed_names = {}, {}
  local out = self.out
  out:write(("%s: %d probes against %s:%d\n"):format(self.name, #order, self.host, self.port))
  for _, p in ipairs(order) do
    local t0 = clock()
    local pass, msg, report = self:run_probe(p)
    local x = o.xfail[p.name]
    local status
    if x then
      if pass then
        status = "XPASS"
      elseif x ~= true and not msg:find(x, 1, true) then
        status = "FAIL"
        msg = ("expected failure with %q, got: %s"):format(x, msg)
      else
        status = "XFAIL"
      end
    else
      status = pass and "PASS" or "FAIL"
    end
    counts[status] = counts[status] + 1
    counts.TOTAL = counts.TOTAL + 1
    results[#results + 1] = { name = p.name, status = status, message = msg, seconds = clock() - t0 }
    if status == "PASS" then
      out:write(p.name, " ...\nOK\n")
    else
      out:write(p.name, " ...\n", status, msg and (": " .. msg) or "", "\n")
      if status == "FAIL" then
        for _, l in ipairs(report or {}) do out:write(l, "\n") end
      end
      if status == "FAIL" or status == "XPASS" then failed_names[#failed_names + 1] = p.name end
    end
  end
  counts.TOTAL = counts.TOTAL + counts.SKIP
  for _, p in ipairs(skipped) do results[#results + 1] = { name = p.name, status = "SKIP", seconds = 0 } end

  out:write("\nTest end\n", ("="):rep(20), "\n")
  for _, k in ipairs{ "TOTAL", "SKIP", "PASS", "XFAIL", "FAIL", "XPASS" } do
    out:write(("%s: %d\n"):format(k, counts[k]))
  end
  out:write(("="):rep(20), "\n")
  if #failed_names > 0 then out:write("Failed: ", table.concat(failed_names, ", "), "\n") end
  local passed, failed = counts.PASS + counts.XFAIL, counts.FAIL + counts.XPASS
  local line = ("%d passed, %d failed"):format(passed, failed)
  if counts.SKIP > 0 then line = line .. (", %d skipped"):format(counts.SKIP) end
  out:write(line, "\n")
  out:flush()
  if o.json then write_json(o.json, self, results, counts) end
  return failed > 0 and 1 or 0
end

return M
