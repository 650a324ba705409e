-- moontls.decrypt: tls.trace.decrypt(trace_or_streams, keylog) (SCRIPTING.md 6.8).
--
-- Input: a trace (its wire events are all that is used, so a trace saved with
-- {plaintext = false} or a capture turned into a trace works), or a pair
-- {client = bytes, server = bytes} of reassembled TCP streams. keylog: an NSS key log
-- (SSLKEYLOGFILE) as a path, as a string of lines, as a table label -> secret (bytes or
-- hex), as a list {{label =, secret =}, ...}, or as a trace recorded with its secrets.
--
-- Output: a trace of the same shape as a recorded one (wire, record and message events
-- with dir, epoch, flight, seq; trace:message, trace:flight, trace:summary work), with
--   .errors    one line per record that could not be opened (empty when all opened)
--   .alerts    {dir =, level =, name =, code =} for every alert, plaintext or protected
--   .info      {version =, suite =}
--   .secrets, .client_random   the key log entries used (trace:keylog() gives them back)
-- Record events of protected records carry the plaintext, the inner content type and
-- padding, plus outer_type = 23 and record_seq (the AEAD sequence number); a record that
-- did not open keeps its ciphertext in bytes, content_type 23 and an `error`.
-- Returns nil, err only when the key log cannot be read or the input holds no records.
--
-- How it works (RFC 8446): each direction is read on its own. The ServerHello's suite
-- picks the AEAD and hash; the client random of the first ClientHello picks the key log
-- lines. Keys and IVs come from the traffic secrets with HKDF-Expand-Label "key" / "iv"
-- (7.3); the nonce is the IV xor the record's sequence number (5.3); the additional data
-- is the record header (5.2); the inner plaintext ends with its content type after any
-- zero padding (5.4). The C record layer does all of that (core.tls13_keys over
-- mt_tls13_keys_*: the engine's own key schedule, AEADs and RFC 8446 5.2-5.4 checks);
-- this module tracks sequence numbers and key changes. A direction moves from early to
-- handshake keys after EndOfEarlyData, from handshake to application keys after its
-- Finished, and to the next generation after its KeyUpdate (7.2: "traffic upd"). When a
-- record does not open with the current keys but opens with the next ones, the direction
-- moves on (a server that refused 0-RTT, a Finished that was lost): a trace is evidence,
-- not a peer to judge.
--
-- A pair of streams has no timing, so flights are rebuilt from the handshake's order:
-- the client's first flight, the server's HelloRetryRequest, the client's second
-- ClientHello, the server's flight, then the client's remaining records and the server's
-- remaining records. A trace keeps its own wire order and flights.
local core = require "moontls.core"
local hexmod = require "moontls.hex"
local msgmod = require "moontls.msg"
local names = require "moontls.names"
local trace = require "moontls.trace"

local M = {}

-- ---------------------------------------------------------------------------------
-- Key logs
-- ---------------------------------------------------------------------------------

local function unhex_secret(v)
  if type(v) ~= "string" then return nil end
  if (#v == 64 or #v == 96 or #v == 128) and v:match("^%x+$") then return hexmod.decode(v) end
  return v
end

-- -> {randoms = {[client_random] = {label = secret}}, any = {label = secret} | nil}
local function read_keylog(keylog)
  local kl = { randoms = {} }
  if type(keylog) == "table" then
    if getmetatable(keylog) == trace.Trace then
      if not keylog.secrets then return nil, "key log: the trace has no secrets (record them and save with {secrets = true})" end
      keylog = keylog.secrets
    end
    kl.any = {}
    for k, v in pairs(keylog) do
      if math.type(k) == "integer" then
        if type(v) ~= "table" or type(v.label) ~= "string" then error("tls.trace.decrypt: key log list entries are {label =, secret =}", 4) end
        kl.any[v.label] = unhex_secret(v.secret)
      elseif type(k) == "string" then
        if type(v) ~= "string" then error(("tls.trace.decrypt: key log: secret for %s must be a string"):format(k), 4) end
        kl.any[k] = unhex_secret(v)
      end
    end
    return kl
  end
  if type(keylog) ~= "string" then error("tls.trace.decrypt: key log path, text or table expected", 4) end
  local text = keylog
  if not (text:find("\n", 1, true) or text:match("^%s*#") or text:match("^%s*[%u_%d]+ %x+ %x+")) then
    local f, err = io.open(keylog, "rb")
    if not f then return nil, "key log: " .. tostring(err) end
    text = f:read("a")
    f:close()
  end
  local n = 0
  for line in text:gmatch("[^\r\n]+") do
    local label, cr, secret = line:match("^%s*([%u_%d]+)%s+(%x+)%s+(%x+)%s*$")
    if label and #cr == 64 and #secret % 2 == 0 then
      local r = hexmod.decode(cr)
      kl.randoms[r] = kl.randoms[r] or {}
      kl.randoms[r][label] = hexmod.decode(secret)
      n = n + 1
    end
  end
  if n == 0 then return nil, "key log: no NSS key log lines (LABEL <client random> <secret>)" end
  return kl
end

-- ---------------------------------------------------------------------------------
-- Records and handshake messages of one direction
-- ---------------------------------------------------------------------------------

-- Split a stream into records: {ct, version, fragment, raw, first, last} (byte offsets
-- of the record in the stream); the rest when the stream ends inside a record.
local function split_records(stream)
  local recs, pos, n = {}, 1, #stream
  while n - pos + 1 >= 5 do
    local len = (stream:byte(pos + 3) << 8) | stream:byte(pos + 4)
    if n - pos + 1 < 5 + len then break end
    recs[#recs + 1] = {
      ct = stream:byte(pos), version = (stream:byte(pos + 1) << 8) | stream:byte(pos + 2),
      fragment = stream:sub(pos + 5, pos + 4 + len), raw = stream:sub(pos, pos + 4 + len),
      first = pos, last = pos + 4 + len,
    }
    pos = pos + 5 + len
  end
  return recs, stream:sub(pos)
end

local cut_handshake = msgmod.cut_handshake

-- The plaintext handshake messages at the start of a direction (before any protected
-- record): the ClientHello(s), or the HelloRetryRequest and ServerHello.
local function plaintext_hellos(recs)
  local buf, msgs = "", {}
  for _, r in ipairs(recs) do
    if r.ct == 23 then break end
    if r.ct == 22 then
      local got
      got, buf = cut_handshake(buf .. r.fragment)
      for _, m in ipairs(got) do msgs[#msgs + 1] = m end
    end
  end
  return msgs
end

local function find_ext(m, name)
  for _, x in ipairs(m and m.extensions or {}) do
    if x.type == name then return x end
  end
end

-- ---------------------------------------------------------------------------------
-- Keys of one direction
-- ---------------------------------------------------------------------------------

-- The TLS 1.3 suites the C library implements: {code, name, secret_len} or nil.
local function suite_of(code)
  local len = math.type(code) == "integer" and core.tls13_secret_len(code)
  if not len then return nil end
  return { code = code, name = names.suites[code], secret_len = len }
end

-- Keys of one epoch: the C keys (key and IV from the secret, RFC 8446 7.3) and the
-- sequence number of the next record under them (the nonce is the IV xor it, 5.3).
local function traffic_keys(suite, secret)
  local keys, err = core.tls13_keys(suite.code, secret)
  if not keys then return nil, err end
  return { keys = keys, seq = 0 }
end

-- What the C opener says about the inner plaintext of a record it authenticated (or
-- refused from its header alone), by error NAME.
local OPEN_ERROR = {
  UNEXPECTED_MESSAGE = "protected record without a valid inner content type (all zeros, or not alert, handshake, application_data or heartbeat)",
  RECORD_OVERFLOW = "record_overflow: longer than a TLS 1.3 record may be (RFC 8446 5.2, 5.4)",
}

-- Open record r under keys k at k.seq: {content, ct, padding} when it opened; {err} when
-- the keys are right but the content is not; nil when the tag did not verify (RFC 8446
-- 5.2: bad_record_mac), so other keys may be tried.
local function try_open(k, r)
  local content, ct, padding = k.keys:open(k.seq, r.raw)
  if content then return { content = content, ct = ct, padding = padding } end
  if padding == "BAD_RECORD_MAC" then return nil end
  return { err = OPEN_ERROR[padding] or ct }
end

-- ---------------------------------------------------------------------------------
-- Decrypting one direction
-- ---------------------------------------------------------------------------------

local EPOCH_LABEL = {
  client = { early = "CLIENT_EARLY_TRAFFIC_SECRET", handshake = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    application = "CLIENT_TRAFFIC_SECRET_0" },
  server = { handshake = "SERVER_HANDSHAKE_TRAFFIC_SECRET", application = "SERVER_TRAFFIC_SECRET_0" },
}

-- ctx: {suite, secrets (label -> secret, or nil with why), tls12, early_offered, errors}
-- Returns the list of decoded items: {rec = record, epoch, content_type, payload,
-- padding, error, messages = {bytes...}, generation}.
local function decrypt_direction(side, recs, ctx)
  local order = side == "client" and (ctx.early_offered and { "early", "handshake", "application" }
    or { "handshake", "application" }) or { "handshake", "application" }
  local cur = 0         -- index into order; 0 while records are plaintext
  local keys = {}       -- epoch -> traffic keys (derived on first use)
  local generation = 0  -- KeyUpdate generation of the application keys
  local hs_buf = ""
  local ccs_seen = false
  local items = {}

  local function keys_for(epoch)
    if keys[epoch] then return keys[epoch] end
    local label = EPOCH_LABEL[side][epoch]
    if not ctx.secrets then return nil, ctx.no_secrets end
    local secret = ctx.secrets[label]
    if not secret then return nil, ("the key log has no %s for this connection"):format(label) end
    if #secret ~= ctx.suite.secret_len then
      return nil, ("%s is %d bytes, %s needs %d"):format(label, #secret, ctx.suite.name, ctx.suite.secret_len)
    end
    local k, err = traffic_keys(ctx.suite, secret)
    if not k then return nil, ("%s: %s"):format(label, err) end
    keys[epoch] = k
    return k
  end

  local function take_messages(item, epoch)
    local got
    got, hs_buf = cut_handshake(hs_buf .. item.payload)
    item.messages = got
    for _, m in ipairs(got) do
      local t = m:byte(1)
      if epoch == "early" and t == 5 then               -- EndOfEarlyData
        cur = cur + 1
      elseif epoch == "handshake" and t == 20 then       -- Finished
        cur = cur + 1
      elseif epoch == "application" and t == 24 then     -- KeyUpdate: next generation
        local k = keys.application
        if k then
          assert(k.keys:next()) -- "traffic upd" (RFC 8446 7.2); fails only out of memory
          k.seq = 0
          generation = generation + 1
        end
      end
    end
  end

  for i, r in ipairs(recs) do
    local item = { rec = r, index = i }
    items[#items + 1] = item
    if r.ct ~= 23 or (ctx.tls12 and not ccs_seen) then
      -- plaintext: ClientHello, ServerHello, HelloRetryRequest, CCS, plaintext alerts
      item.epoch, item.content_type, item.payload = "initial", r.ct, r.fragment
      if r.ct == 20 then ccs_seen = true end
      if ctx.tls12 and ccs_seen and r.ct ~= 20 then
        item.error = "TLS 1.2 record after ChangeCipherSpec: not decrypted (only TLS 1.3 is supported)"
      elseif r.ct == 22 then
        take_messages(item, "initial")
      end
    elseif ctx.tls12 then
      item.error = "TLS 1.2 protected record: not decrypted (only TLS 1.3 is supported)"
    elseif not ctx.suite then
      item.error = ctx.no_suite
    else
      if cur == 0 then cur = 1 end
      local epoch = order[cur]
      local k, why = keys_for(epoch)
      local pt = k and try_open(k, r)
      if not pt and order[cur + 1] then
        -- the next keys open it: this direction moved on (0-RTT refused, lost Finished)
        local k2 = keys_for(order[cur + 1])
        local pt2 = k2 and try_open(k2, r)
        if pt2 then
          cur, k, pt, epoch, why = cur + 1, k2, pt2, order[cur + 1], nil
          hs_buf = ""
        end
      end
      item.epoch = epoch
      if epoch == "application" then item.generation = generation end
      if not k then
        item.error = why
      elseif not pt then
        item.error = ("bad record MAC: did not open with %s%s (record %d under those keys; wrong key log?)")
          :format(EPOCH_LABEL[side][epoch], generation > 0 and epoch == "application" and (" generation " .. generation) or "",
            k.seq)
        k.seq = k.seq + 1
      else
        item.record_seq = k.seq
        k.seq = k.seq + 1
        if pt.err then
          item.error = pt.err
        else
          item.content_type, item.payload, item.padding = pt.ct, pt.content, pt.padding
          if pt.ct == 22 then take_messages(item, epoch) end
        end
      end
    end
  end
  -- wipe the keys now rather than at the next collection
  for _, k in pairs(keys) do k.keys:close() end
  return items
end

-- ---------------------------------------------------------------------------------
-- Building the decrypted trace
-- ---------------------------------------------------------------------------------

-- Streams from the input: {client = bytes, server = bytes}, chunks (trace input: the
-- wire events in order as {side, bytes, flight}), role.
local function streams_of(input)
  if getmetatable(input) == trace.Trace then
    local role = input.role or "client"
    local other = role == "client" and "server" or "client"
    local parts, chunks = { client = {}, server = {} }, {}
    for _, e in ipairs(input.events) do
      if e.layer == "wire" then
        local side = e.dir == "out" and role or other
        parts[side][#parts[side] + 1] = e.bytes
        chunks[#chunks + 1] = { side = side, bytes = e.bytes, flight = e.flight, epoch = e.epoch }
      end
    end
    if #chunks == 0 then return nil, "the trace has no wire events" end
    return { client = table.concat(parts.client), server = table.concat(parts.server) }, chunks, role
  end
  if type(input) ~= "table" or type(input.client) ~= "string" or type(input.server) ~= "string" then
    error("tls.trace.decrypt: a trace or {client = bytes, server = bytes} expected", 4)
  end
  return { client = input.client, server = input.server }, nil, "client"
end

-- Phases of the handshake's order, for streams without timing (see the notes above).
local function phase_of(side, item, state)
  if side == "client" then
    local hs = item.messages or {}
    for _, m in ipairs(hs) do
      if m:byte(1) == 1 then
        state.client_hellos = state.client_hellos + 1
        if state.client_hellos == 2 then state.after_hrr = true end
      end
    end
    if item.epoch == "handshake" or item.epoch == "application" then return 5 end
    return state.after_hrr and 3 or 1
  end
  if item.epoch == "application" then return 6 end
  if item.epoch == "handshake" then return 4 end
  for _, m in ipairs(item.messages or {}) do
    if m:byte(1) == 2 then
      state.server_hello = m:sub(7, 38) ~= names.HRR_RANDOM
    end
  end
  return state.server_hello and 4 or 2
end

function M.decrypt(input, keylog)
  local streams, chunks, role = streams_of(input)
  if not streams then return nil, chunks end
  local kl, kerr = read_keylog(keylog)
  if not kl then return nil, kerr end

  local recs, rest = {}, {}
  recs.client, rest.client = split_records(streams.client)
  recs.server, rest.server = split_records(streams.server)
  if #recs.client == 0 and #recs.server == 0 then return nil, "no TLS records in the input" end

  local errors, ctx = {}, {}
  -- The ClientHello: its random selects the key log lines; early_data offered or not.
  local client_random
  for _, bytes in ipairs(plaintext_hellos(recs.client)) do
    if bytes:byte(1) == 1 then
      local ch = msgmod.decode(bytes, { side = "client" })
      if ch and not client_random then
        client_random = ch.random
        ctx.early_offered = find_ext(ch, "early_data") ~= nil
      end
    end
  end
  -- The ServerHello (not a HelloRetryRequest): the suite and the version.
  for _, bytes in ipairs(plaintext_hellos(recs.server)) do
    if bytes:byte(1) == 2 and bytes:sub(7, 38) ~= names.HRR_RANDOM then
      local sh = msgmod.decode(bytes, { side = "server" })
      if sh then
        local code = type(sh.cipher_suite) == "number" and sh.cipher_suite or names.suites[sh.cipher_suite]
        local sv = find_ext(sh, "supported_versions")
        if not sv or not (sv.selected_version == "1.3" or sv.selected_version == 0x0304) then
          ctx.tls12 = true
        end
        ctx.suite = suite_of(code)
        if not ctx.suite and not ctx.tls12 then
          ctx.no_suite = ("the ServerHello's suite %s is not a TLS 1.3 suite this decrypter knows"):format(tostring(sh.cipher_suite))
        end
      end
      break
    end
  end
  ctx.no_suite = ctx.no_suite or "no ServerHello in the server stream: the suite is unknown"
  if kl.any then
    ctx.secrets = kl.any
  elseif not client_random then
    ctx.no_secrets = "no ClientHello in the client stream: no client random to find the key log lines"
  else
    ctx.secrets = kl.randoms[client_random]
    if not ctx.secrets then
      ctx.no_secrets = ("the key log has no lines for client random %s"):format(hexmod.encode(client_random))
    end
  end

  local items = {
    client = decrypt_direction("client", recs.client, ctx),
    server = decrypt_direction("server", recs.server, ctx),
  }

  local t = trace.new{ role = role, decrypted = true, alerts = {}, errors = errors,
    info = { version = ctx.tls12 and "1.2" or "1.3", suite = ctx.suite and ctx.suite.name } }
  if ctx.secrets then
    t.secrets, t.client_random = {}, client_random
    local labels = {}
    for label in pairs(ctx.secrets) do labels[#labels + 1] = label end
    table.sort(labels)
    for _, label in ipairs(labels) do t.secrets[#t.secrets + 1] = { label = label, secret = ctx.secrets[label] } end
  end

  local function dir_of(side) return side == role and "out" or "in" end
  local function add(e)
    e.seq = #t.events + 1
    t.events[#t.events + 1] = e
  end
  local function emit_item(side, item, flight)
    local r = item.rec
    local d = dir_of(side)
    local e = { dir = d, layer = "record", epoch = item.epoch, flight = flight, version = r.version,
      side = side, generation = item.generation }
    if item.error then
      e.content_type, e.bytes, e.error = r.ct, r.fragment, item.error
      errors[#errors + 1] = ("%s record %d (%s epoch): %s"):format(side, item.index, item.epoch or "?", item.error)
    else
      e.content_type, e.bytes, e.padding = item.content_type, item.payload, item.padding
      if r.ct == 23 then e.outer_type, e.record_seq = 23, item.record_seq end
    end
    add(e)
    if item.error then return end
    local ct = item.content_type
    if ct == 22 then
      for _, m in ipairs(item.messages or {}) do
        add{ dir = d, layer = "message", epoch = item.epoch, flight = flight, content_type = 22, side = side, bytes = m }
      end
    else
      add{ dir = d, layer = "message", epoch = item.epoch, flight = flight, content_type = ct, side = side,
        bytes = item.payload }
      if ct == 21 and #item.payload == 2 then
        local level, code = item.payload:byte(1), item.payload:byte(2)
        t.alerts[#t.alerts + 1] = { dir = d, level = names.alert_levels[level] or level,
          name = names.alerts[code] or code, code = code }
      end
    end
  end

  if chunks then
    -- trace input: the wire order; each record joins the chunk where its last byte came
    local ends = { client = 0, server = 0 }
    local next_item = { client = 1, server = 1 }
    for _, c in ipairs(chunks) do
      add{ dir = dir_of(c.side), layer = "wire", epoch = c.epoch, flight = c.flight, bytes = c.bytes, side = c.side }
      ends[c.side] = ends[c.side] + #c.bytes
      local list = items[c.side]
      while list[next_item[c.side]] and list[next_item[c.side]].rec.last <= ends[c.side] do
        emit_item(c.side, list[next_item[c.side]], c.flight)
        next_item[c.side] = next_item[c.side] + 1
      end
    end
  else
    -- streams: rebuild the flights from the handshake's order
    local merged, state = {}, { client_hellos = 0 }
    local last_phase = { client = 1, server = 2 }
    for _, side in ipairs{ "client", "server" } do
      local list = items[side]
      for i, item in ipairs(list) do
        local ph
        if item.rec.ct == 20 then
          -- a compatibility CCS goes with its neighbour: the client's before its next
          -- record, the server's after its previous one
          if side == "client" then
            ph = nil
            for j = i + 1, #list do
              if list[j].rec.ct ~= 20 then ph = phase_of(side, list[j], { client_hellos = state.client_hellos, after_hrr = state.after_hrr }) break end
            end
            ph = ph or last_phase[side]
          else
            ph = last_phase[side]
          end
        else
          ph = phase_of(side, item, state)
        end
        last_phase[side] = ph
        merged[#merged + 1] = { side = side, item = item, phase = ph, order = #merged }
      end
    end
    table.sort(merged, function(a, b)
      if a.phase ~= b.phase then return a.phase < b.phase end
      return a.order < b.order
    end)
    local flight, last_side = 0, nil
    local i = 1
    while merged[i] do
      local side = merged[i].side
      flight = flight + (side ~= last_side and 1 or 0)
      last_side = side
      local j, wire = i, {}
      while merged[j] and merged[j].side == side do
        wire[#wire + 1] = merged[j].item.rec.raw
        j = j + 1
      end
      add{ dir = dir_of(side), layer = "wire", epoch = merged[i].item.epoch, flight = flight,
        bytes = table.concat(wire), side = side }
      for k = i, j - 1 do emit_item(side, merged[k].item, flight) end
      i = j
    end
  end
  for _, side in ipairs{ "client", "server" } do
    if #rest[side] > 0 then
      errors[#errors + 1] = ("%s stream: %d bytes of an unfinished record at the end"):format(side, #rest[side])
    end
  end
  return t
end

return M
