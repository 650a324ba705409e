-- spec/bench/hooks.lua: in-memory handshakes through the Lua driver (tls.pair /
-- tls.pump) for `make bench` (issue 4): CPU per handshake with no hooks, with one
-- no-op hook (function() end) on every hook point, on both roles, and with one read-only
-- message hook (message_out and message_in reading msg.type and the extension types).
--
--   lua5.4 spec/bench/hooks.lua [REPS [ROUNDS]] [--profile] [--case none|noop|read]
--
-- Run from the repository root with the built module on the path (bench.sh sets
-- LUA_PATH/LUA_CPATH as the Makefile does). Configuration: the one `bench_engine pair`
-- builds in C, so its figure is the "plain engine" baseline: server leaf-p256 chain,
-- x25519, TLS_AES_128_GCM_SHA256, the client verifies against ca-bundle.pem for
-- "localhost". One handshake = tls.pair, tls.pump, both connections released (what
-- `<close>`/GC do, without a close_notify), like bench_engine's mt_conn_free.
--
-- CPU is os.clock() (process CPU time), both sides together. Cases (a) none, (b) noop
-- and (c) read take turns, ROUNDS rounds of REPS handshakes each; the median round of
-- each is reported, so drift on the shared cores hits all alike. Output, one line per case:
--   hooks none us X n N
--   hooks noop us Y n N events E     (E: hook calls per handshake, both sides)
--   hooks read us Z n N
--   hooks_events name=count,...      (per hook point, per handshake)
-- --profile adds a breakdown of each case: CPU inside the C calls the driver makes
-- (core.Conn methods), inside the hook runners (conn.lua's run_hook.*, which include
-- decode/encode of messages), and the rest (driver loop), each with call counts. It
-- times every call (clock reads are not free: the breakdown's total exceeds (b)).
-- A benchmark: it prints; it asserts nothing about speed.
local tls = require "moontls"
local core = require "moontls.core"

local PKI = "spec/fixtures/pki/"
local args, profile, only = {}, false, nil
local argv = arg or {}
local i = 1
while argv[i] do
  local a = argv[i]
  if a == "--profile" then profile = true
  elseif a == "--case" then only = argv[i + 1]; i = i + 1
  else args[#args + 1] = a end
  i = i + 1
end
local REPS = math.tointeger(tonumber(args[1] or "")) or 100
local ROUNDS = math.tointeger(tonumber(args[2] or "")) or 5

local POINTS = { "message_out", "message_in", "record_out", "record_in", "wire_out", "wire_in",
                 "secret", "alert", "state", "sign", "verify_data", "key_share", "client_hello" }

local function contexts(hooks)
  local common = { groups = { "x25519" }, suites = { "TLS_AES_128_GCM_SHA256" }, hooks = hooks }
  local sp = { mode = "server", certificate = PKI .. "leaf-p256.chain.pem", key = PKI .. "leaf-p256.key" }
  local cp = { mode = "client", cafile = PKI .. "ca-bundle.pem", server_name = "localhost" }
  for k, v in pairs(common) do sp[k] = v; cp[k] = v end
  return assert(tls.context(cp)), assert(tls.context(sp))
end

local function handshake(cctx, sctx)
  local c, s = tls.pair(cctx, sctx)
  local ok, err = tls.pump(c, s)
  if not ok then error("hooks.lua: handshake failed: " .. tostring(err)) end
  c:_release()
  s:_release()
end

local function noop() end
local none_c, none_s = contexts(nil)
local all = {}
for _, p in ipairs(POINTS) do all[p] = noop end
local noop_c, noop_s = contexts(all)
local function reader(_, msg)
  local _ = msg.type
  for _, e in ipairs(msg.extensions or {}) do local _ = e.type end
end
local read_c, read_s = contexts({ message_out = reader, message_in = reader })

-- --case none|noop N: two warm-up handshakes, then N of that case and nothing else
-- (for callgrind: the difference of two runs with different N is the cost of N
-- handshakes, without start-up).
if only then
  local cc, sc = none_c, none_s
  if only == "noop" then cc, sc = noop_c, noop_s end
  if only == "read" then cc, sc = read_c, read_s end
  for _ = 1, 2 + REPS do handshake(cc, sc) end
  return
end

-- Hook calls per handshake, by point: one counting pass, not timed.
local counts, total = {}, 0
do
  local counting = {}
  for _, p in ipairs(POINTS) do
    counts[p] = 0
    counting[p] = function() counts[p] = counts[p] + 1 end
  end
  local cc, sc = contexts(counting)
  for _ = 1, 10 do handshake(cc, sc) end
  for _, p in ipairs(POINTS) do
    counts[p] = counts[p] / 10
    total = total + counts[p]
  end
end

local function round(cctx, sctx)
  collectgarbage()
  local t0 = os.clock()
  for _ = 1, REPS do handshake(cctx, sctx) end
  return (os.clock() - t0) * 1e6 / REPS
end

local function median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

for _ = 1, 10 do handshake(none_c, none_s); handshake(noop_c, noop_s); handshake(read_c, read_s) end -- warm-up
local a, b, c = {}, {}, {}
for r = 1, ROUNDS do
  if r % 2 == 1 then
    a[#a + 1] = round(none_c, none_s); b[#b + 1] = round(noop_c, noop_s); c[#c + 1] = round(read_c, read_s)
  else
    c[#c + 1] = round(read_c, read_s); b[#b + 1] = round(noop_c, noop_s); a[#a + 1] = round(none_c, none_s)
  end
end
print(("hooks none us %.1f n %d"):format(median(a), REPS * ROUNDS))
print(("hooks noop us %.1f n %d events %g"):format(median(b), REPS * ROUNDS, total))
print(("hooks read us %.1f n %d"):format(median(c), REPS * ROUNDS))
local ev = {}
for _, p in ipairs(POINTS) do ev[#ev + 1] = ("%s=%g"):format(p, counts[p]) end
print("hooks_events " .. table.concat(ev, ","))

if not profile then return end

-- Breakdown of (b): wrap the userdata's C methods and conn.lua's hook runners. The
-- runners are upvalues of conn.lua's dispatch(); they are found by name through the
-- debug library (a benchmark may; nothing here changes behaviour).
local buckets = {} -- name -> {calls, us}
local clock = os.clock
local depth = 0
local function wrap(tbl, key, label)
  local f = tbl[key]
  if type(f) ~= "function" then return end
  local b = { 0, 0 }
  buckets[label] = b
  tbl[key] = function(...)
    if depth > 0 then return f(...) end -- count the outermost timed call only
    depth = depth + 1
    local t0 = clock()
    local r = table.pack(f(...))
    b[2] = b[2] + (clock() - t0)
    b[1] = b[1] + 1
    depth = depth - 1
    return table.unpack(r, 1, r.n)
  end
end
local Conn = core.Conn
local names = {}
for k, v in pairs(Conn) do
  if type(v) == "function" and k:sub(1, 1) == "_" then names[#names + 1] = k end
end
table.sort(names)
for _, k in ipairs(names) do wrap(Conn, k, "C " .. k) end
local cm = require "moontls.conn"
local function upvalue(fn, want)
  for i = 1, 255 do
    local n, v = debug.getupvalue(fn, i)
    if n == nil then return nil end
    if n == want then return v end
  end
end
local run_hook = upvalue(cm.dispatch, "run_hook")
if run_hook then
  local keys = {}
  for k in pairs(run_hook) do keys[#keys + 1] = k end
  for _, k in ipairs(keys) do wrap(run_hook, k, "Lua run_hook." .. k) end
end
for _, case in ipairs{ { "none", none_c, none_s }, { "noop", noop_c, noop_s }, { "read", read_c, read_s } } do
  for _, bk in pairs(buckets) do bk[1], bk[2] = 0, 0 end
  collectgarbage()
  local t0 = clock()
  for _ = 1, REPS do handshake(case[2], case[3]) end
  local whole = (clock() - t0) * 1e6 / REPS
  local rows, inside = {}, 0
  for label, bk in pairs(buckets) do
    if bk[1] > 0 then
      rows[#rows + 1] = { label, bk[1] / REPS, bk[2] * 1e6 / REPS }
      inside = inside + bk[2] * 1e6 / REPS
    end
  end
  table.sort(rows, function(x, y) return x[3] > y[3] end)
  print(("profile %s whole_us %.1f (timed; clock reads included)"):format(case[1], whole))
  for _, r in ipairs(rows) do
    print(("profile %s %-28s calls/hs %6.1f us/hs %8.1f"):format(case[1], r[1], r[2], r[3]))
  end
  print(("profile %s %-28s %15s us/hs %8.1f"):format(case[1], "rest (Lua driver, GC)", "", whole - inside))
end
