-- moontls.context: tls.context{...} (SCRIPTING.md 6.2). Validates every key, turns names
-- into code points, and configures a moontls.Context userdata through moontls.core.
-- Misuse (unknown key, wrong type, unknown name) raises; what this build cannot do, or
-- what fails at run time (a missing file, a key that does not match), returns nil, err.
local core = require "moontls.core"
local hexmod = require "moontls.hex"
local names = require "moontls.names"
local rng = require "moontls.rng"
local quirks = require "moontls.quirks"

local M = {}
local Context = core.Context -- the userdata's method table: we add the Lua methods

-- Hook names a context or connection may set, and whether the engine pauses for them.
M.HOOKS = {
  message_out = true, message_in = true, record_out = true, record_in = true,
  wire_out = true, wire_in = true, secret = true, alert = true, state = true,
  sign = true, verify_data = true, key_share = true,
  client_hello = true, select = true, psk_binder = true, verify_peer = true,
  psk_lookup = true,
}

-- Context keys (SCRIPTING.md 6.2), with the engine knobs this module adds:
--   hrr_cookie  (server) the HelloRetryRequest cookie: false/nil none (default), true 32
--               random bytes, bytes: these bytes on every connection, or
--               function(conn, ch) -> bytes | nil, called on each ClientHello with the
--               decoded message (nil: no cookie on that connection). The second
--               ClientHello must echo it (illegal_parameter otherwise).
--   extensions  the extensions of the messages the engine builds, per message:
--               { [message] = { order = {ext, ...}, add = {ext table, ...} } } with message
--               client_hello (client), server_hello, hello_retry_request,
--               encrypted_extensions (server). `order`: the listed extension types (names
--               or numbers) come first, in that order, the rest follow in the engine's
--               order. `add`: extensions, each replacing the engine's extension of its
--               type (in its place) or, when the engine writes none, added after the
--               engine's own; each {type = name | number, data = bytes} or
--               {type = name, <parsed fields>}
--               encoded like a hook's message table (e.g. {type = "supported_groups",
--               named_group_list = {...}}). These change the wire and the transcript,
--               not the negotiation (adopt in a message_out hook for that); a
--               ClientHello with pre_shared_key is never reshaped (its binders).
local KEYS = {
  mode = true, versions = true, suites = true, groups = true, key_shares = true,
  sigalgs = true, certificate = true, key = true, certificates = true, cafile = true,
  verify = true, server_name = true, alpn = true, compat_ccs = true, hrr_cookie = true,
  rng = true, clock = true, keylog = true, hooks = true, quirks = true, sni = true,
  extensions = true,
  tickets = true, ticket_lifetime = true, ticket_key = true, session = true, psk = true,
  psk_ke = true, early_data = true, session_cache = true,
}

-- extensions = {...}: the messages whose extensions can be shaped, with the kind the
-- engine knows them by and the role that builds them.
local SHAPED = {
  client_hello = { kind = 1, server = false, hints = { version = 0x0304, side = "client" } },
  server_hello = { kind = 2, server = true, hints = { version = 0x0304, side = "server" } },
  hello_retry_request = { kind = 0x102, server = true, hints = { version = 0x0304, side = "server" } },
  encrypted_extensions = { kind = 8, server = true, hints = { version = 0x0304, side = "server" } },
}

-- Misuse raises; the message names the key (no position: helpers sit at varying depths).
local function bad(fmt, ...)
  error("tls.context: " .. fmt:format(...), 0)
end

local function check_type(key, v, want)
  if type(v) ~= want then bad("%s: %s expected, got %s", key, want, type(v)) end
end

local function codes(key, list, tbl, what)
  check_type(key, list, "table")
  local out = {}
  for i, v in ipairs(list) do
    local c, err = names.code(tbl, v, what)
    if not c then bad("%s[%d]: %s", key, i, err) end
    out[i] = c
  end
  return out
end

-- PEM bytes from a path or from the PEM text itself.
local function pem(key, v)
  check_type(key, v, "string")
  if v:find("-----BEGIN", 1, true) then return v end
  local f, err = io.open(v, "rb")
  if not f then return nil, ("%s: cannot read %s"):format(key, err) end
  local data = f:read("a")
  f:close()
  return data
end

-- Turn a setter's (nil, message, NAME) into the context's failure, naming the key.
local function failed(key, value, msg, name)
  if name == "UNSUPPORTED" then
    return nil, ("unsupported: %s %s"):format(key, value), name
  end
  return nil, ("%s: %s"):format(key, msg), name
end

local function list_text(list)
  local t = {}
  for i, v in ipairs(list) do t[i] = tostring(v) end
  return table.concat(t, ",")
end

-- A NSS key log writer for keylog = path | function | true (SSLKEYLOGFILE).
local function keylog_writer(v)
  if v == true then
    v = os.getenv("SSLKEYLOGFILE")
    if v == nil or v == "" then return nil end
  end
  if type(v) == "function" then return v end
  local path = v
  return function(label, client_random, secret)
    local f = io.open(path, "a")
    if not f then return end -- a key log must never break a connection
    f:write(label, " ", hexmod.encode(client_random), " ", hexmod.encode(secret), "\n")
    f:close()
  end
end

-- One extension of extensions[message].add as {code, data}: raw data, or the parsed
-- fields encoded by the codec inside a message of that kind (so every field rule holds).
local function extension_bytes(key, msgname, e)
  if type(e) ~= "table" then bad("%s: extension table expected, got %s", key, type(e)) end
  local code, err = names.code(names.extensions, e.type, "extension")
  if not code then bad("%s.type: %s", key, err) end
  if e.data ~= nil then
    check_type(key .. ".data", e.data, "string")
    if #e.data > 0xffff then bad("%s.data: at most 65535 bytes", key) end
    return { code = code, data = e.data }
  end
  local msgmod = require "moontls.msg"
  local hints = SHAPED[msgname].hints
  local ok0, empty = pcall(msgmod.encode, { type = msgname, extensions = {} }, hints)
  local ok1, one = pcall(msgmod.encode, { type = msgname, extensions = { e } }, hints)
  if not (ok0 and ok1) then bad("%s: cannot encode: %s", key, tostring(ok1 and empty or one)) end
  -- The block grows by exactly this extension: type, length, data.
  local whole = one:sub(#empty + 1)
  return { code = code, data = whole:sub(5) }
end

local function validate_extensions(shape, server)
  check_type("extensions", shape, "table")
  local out = {}
  for msgname, spec in pairs(shape) do
    local S = SHAPED[msgname]
    if not S then bad("extensions: unknown message %q (client_hello, server_hello, "
      .. "hello_retry_request or encrypted_extensions)", tostring(msgname)) end
    if S.server ~= server then
      bad("extensions.%s: the %s does not build it", msgname, server and "server" or "client")
    end
    local key = "extensions." .. msgname
    check_type(key, spec, "table")
    for k in pairs(spec) do
      if k ~= "order" and k ~= "add" then bad("%s: unknown field %q (order, add)", key, tostring(k)) end
    end
    local entry = { kind = S.kind, add = {} }
    if spec.order ~= nil then
      entry.order = codes(key .. ".order", spec.order, names.extensions, "extension")
      if #entry.order > 32 then bad("%s.order: at most 32 types", key) end
    end
    if spec.add ~= nil then
      check_type(key .. ".add", spec.add, "table")
      for i, e in ipairs(spec.add) do
        entry.add[i] = extension_bytes(("%s.add[%d]"):format(key, i), msgname, e)
      end
    end
    out[#out + 1] = entry
  end
  return out
end

local function validate_hooks(key, hooks)
  check_type(key, hooks, "table")
  for name, fn in pairs(hooks) do
    if not M.HOOKS[name] then bad("%s: unknown hook %q", key, tostring(name)) end
    if type(fn) ~= "function" then bad("%s.%s: function expected, got %s", key, name, type(fn)) end
  end
end

-- Build a context from params (already copied). Returns ctx or nil, err, NAME.
local function build(params)
  for k in pairs(params) do
    if not KEYS[k] then bad("unknown key %q", tostring(k)) end
  end
  local mode = params.mode
  if mode ~= "client" and mode ~= "server" then
    bad("mode: \"client\" or \"server\" required, got %s", tostring(mode))
  end
  local server = mode == "server"
  -- Type checks first, so every misuse raises before any runtime failure returns.
  for _, k in ipairs{ "server_name" } do
    if params[k] ~= nil then check_type(k, params[k], "string") end
  end
  if params.compat_ccs ~= nil then check_type("compat_ccs", params.compat_ccs, "boolean") end
  local cookie = params.hrr_cookie
  if cookie ~= nil then
    local t = type(cookie)
    if t ~= "boolean" and t ~= "string" and t ~= "function" then
      bad("hrr_cookie: boolean, bytes or function(conn, ch) expected, got %s", t)
    end
    if t == "string" and (#cookie < 1 or #cookie > 65533) then
      bad("hrr_cookie: 1..65533 bytes expected, got %d", #cookie)
    end
    if not server then bad("hrr_cookie: a server option") end
  end
  local cookie_fn = type(cookie) == "function" and cookie or nil
  local shapes = params.extensions ~= nil and validate_extensions(params.extensions, server) or nil
  if params.clock ~= nil then check_type("clock", params.clock, "function") end
  if params.rng ~= nil and type(params.rng) ~= "function" and not rng.is_rng(params.rng) then
    bad("rng: tls.rng.* generator or function(n, purpose) expected, got %s", type(params.rng))
  end
  local kl = params.keylog
  if kl ~= nil and kl ~= false and kl ~= true and type(kl) ~= "string" and type(kl) ~= "function" then
    bad("keylog: path, function or true expected, got %s", type(kl))
  end
  if params.hooks ~= nil then validate_hooks("hooks", params.hooks) end
  -- quirks (SCRIPTING.md 6.6, moontls.quirks): misuse raises here; an unsupported one
  -- (bad_binder) is a runtime failure like any other.
  local qs, qerr, qname
  if params.quirks ~= nil then
    qs, qerr, qname = quirks.validate(params.quirks)
    if not qs then return nil, qerr, qname end
    if qs.hello_retry and not server then bad("quirks.hello_retry: a server quirk") end
  end
  local verify = params.verify
  if verify ~= nil and verify ~= "none" and verify ~= "peer" then
    bad("verify: \"none\" or \"peer\" expected, got %s", tostring(verify))
  end
  if (params.certificate == nil) ~= (params.key == nil) then
    bad("certificate and key go together")
  end
  local creds = {}
  if params.certificate ~= nil then creds[1] = { certificate = params.certificate, key = params.key } end
  if params.certificates ~= nil then
    check_type("certificates", params.certificates, "table")
    for i, c in ipairs(params.certificates) do
      if type(c) ~= "table" then bad("certificates[%d]: table expected", i) end
      for k in pairs(c) do
        if k ~= "certificate" and k ~= "key" then bad("certificates[%d]: unknown key %q", i, tostring(k)) end
      end
      if type(c.certificate) ~= "string" or type(c.key) ~= "string" then
        bad("certificates[%d]: certificate and key (path or PEM) required", i)
      end
      creds[#creds + 1] = c
    end
  end
  if params.cafile ~= nil then check_type("cafile", params.cafile, "string") end
  -- resumption and PSK (RFC 8446 2.2, 4.6.1)
  for _, k in ipairs{ "tickets", "ticket_lifetime", "ticket_key" } do
    if params[k] ~= nil and not server then bad("%s: a server option", k) end
  end
  for _, k in ipairs{ "tickets", "ticket_lifetime" } do
    if params[k] ~= nil and math.type(params[k]) ~= "integer" then bad("%s: integer expected", k) end
  end
  if params.tickets ~= nil and (params.tickets < 0 or params.tickets > 255) then
    bad("tickets: 0..255 expected, got %d", params.tickets)
  end
  if params.ticket_lifetime ~= nil and (params.ticket_lifetime < 1 or params.ticket_lifetime > 604800) then
    bad("ticket_lifetime: 1..604800 seconds expected (RFC 8446 4.6.1), got %d", params.ticket_lifetime)
  end
  if params.ticket_key ~= nil then
    check_type("ticket_key", params.ticket_key, "string")
    if #params.ticket_key ~= 32 then bad("ticket_key: 32 bytes expected, got %d", #params.ticket_key) end
  end
  if params.session ~= nil then
    if server then bad("session: a client option") end
    require("moontls.session").bytes(params.session, "tls.context: session")
  end
  if params.session_cache ~= nil then
    if server then bad("session_cache: a client option") end
    if not require("moontls.sessioncache").is(params.session_cache) then
      bad("session_cache: tls.session_cache() expected, got %s", type(params.session_cache))
    end
  end
  -- early_data: a server's max_early_data_size (integer), a client's 0-RTT bytes (string)
  if params.early_data ~= nil then
    if server and (math.type(params.early_data) ~= "integer" or params.early_data < 0
                   or params.early_data > 0xffffffff) then
      bad("early_data: a server takes the largest early data it accepts (integer bytes)")
    end
    if not server and type(params.early_data) ~= "string" then
      bad("early_data: a client takes the bytes to send as early data")
    end
  end
  if params.psk_ke ~= nil and type(params.psk_ke) ~= "boolean" and params.psk_ke ~= "only" then
    bad("psk_ke: boolean or \"only\" (client) expected, got %s", tostring(params.psk_ke))
  end
  if params.psk_ke == "only" and server then bad("psk_ke: \"only\" is for clients") end
  local psk_hash
  local psk_fn = server and type(params.psk) == "function" and params.psk or nil
  if params.psk ~= nil and not psk_fn then
    check_type("psk", params.psk, "table")
    for k in pairs(params.psk) do
      if k ~= "identity" and k ~= "key" and k ~= "hash" then bad("psk: unknown key %q", tostring(k)) end
    end
    local p = params.psk
    if type(p.identity) ~= "string" or #p.identity < 1 or #p.identity > 65535 then
      bad("psk.identity: 1..65535 byte string expected")
    end
    if type(p.key) ~= "string" or #p.key < 1 or #p.key > 64 then bad("psk.key: 1..64 byte string expected") end
    psk_hash = ({ sha256 = 1, sha384 = 2 })[p.hash or "sha256"]
    if not psk_hash then bad("psk.hash: \"sha256\" or \"sha384\" expected, got %s", tostring(p.hash)) end
  end

  local versions, suites, groups, sigalgs, alpn
  if params.versions ~= nil then
    versions = codes("versions", params.versions, names.versions, "version")
    if #versions == 0 then bad("versions: empty list") end
  end
  if params.suites ~= nil then suites = codes("suites", params.suites, names.suites, "suite") end
  if params.groups ~= nil then groups = codes("groups", params.groups, names.groups, "group") end
  if params.sigalgs ~= nil then sigalgs = codes("sigalgs", params.sigalgs, names.sigalgs, "sigalg") end
  local alpn_fn
  if type(params.alpn) == "function" then
    -- server: function(conn, offered_list) -> name | nil, called on each ClientHello
    if not server then bad("alpn: a function is for servers (a client offers a list)") end
    alpn_fn = params.alpn
  elseif params.alpn ~= nil then
    check_type("alpn", params.alpn, "table")
    alpn = {}
    for i, p in ipairs(params.alpn) do
      if type(p) ~= "string" or #p < 1 or #p > 255 then bad("alpn[%d]: 1..255 byte string expected", i) end
      alpn[i] = p
    end
  end
  -- key_shares: a list of groups, and/or group = {private = bytes} to pin a share.
  local shares, pins
  if params.key_shares ~= nil then
    check_type("key_shares", params.key_shares, "table")
    shares, pins = {}, {}
    for i, g in ipairs(params.key_shares) do
      local c, err = names.code(names.groups, g, "group")
      if not c then bad("key_shares[%d]: %s", i, err) end
      shares[#shares + 1] = c
    end
    local pinned = {}
    for k, v in pairs(params.key_shares) do
      if math.type(k) ~= "integer" or k < 1 or k > #params.key_shares then
        local c, err = names.code(names.groups, k, "group")
        if not c then bad("key_shares: %s", err) end
        if type(v) ~= "table" or type(v.private) ~= "string" then
          bad("key_shares.%s: {private = bytes} expected", tostring(k))
        end
        pinned[#pinned + 1] = { code = c, private = v.private }
      end
    end
    -- pairs() has no order: send pinned shares in code order, after the listed ones.
    table.sort(pinned, function(a, b) return a.code < b.code end)
    for _, p in ipairs(pinned) do
      local seen = false
      for _, s in ipairs(shares) do seen = seen or s == p.code end
      if not seen then shares[#shares + 1] = p.code end
      pins[#pins + 1] = p
    end
  end

  -- sni (server): {name = ctx} or function(conn, name) -> ctx | nil[, "alert"]; with a
  -- function alpn, both become client_hello handlers ahead of the script's own.
  local hooks = params.hooks or {}
  if params.sni ~= nil or alpn_fn or cookie_fn then
    if not server then bad("sni: for servers only") end
    if params.sni ~= nil and type(params.sni) ~= "table" and type(params.sni) ~= "function" then
      bad("sni: table name -> context, or function(conn, name) expected")
    end
    local own = hooks.client_hello
    local copy = {}
    for k, v in pairs(hooks) do copy[k] = v end
    copy.client_hello = function(conn, ch, ev)
      local ext = require "moontls.ext"
      if cookie_fn then
        -- hrr_cookie = function: this connection's cookie, should it get a HelloRetryRequest
        local v = cookie_fn(conn, ch)
        if v ~= nil and (type(v) ~= "string" or #v < 1 or #v > 65533) then
          error("hrr_cookie function: 1..65533 bytes or nil expected", 0)
        end
        if conn:_set_hrr_cookie(v) ~= 0 then error("hrr_cookie function: cannot set the cookie now", 0) end
      end
      if alpn_fn then
        local offered = {}
        local a = ext.find(ch, "application_layer_protocol_negotiation") or ext.find(ch, "alpn")
        for _, p in ipairs(a and a.protocol_name_list or {}) do
          offered[#offered + 1] = type(p) == "table" and (p.protocol_name or p.value) or p
        end
        local pick = alpn_fn(conn, offered)
        if pick ~= nil and type(pick) ~= "string" then error("alpn function: a name or nil expected", 0) end
        if conn:_select_alpn(pick) ~= 0 then error("alpn function: cannot select now", 0) end
      end
      if params.sni ~= nil then
        local sn = ext.find(ch, "server_name")
        local entry = sn and sn.server_name_list and sn.server_name_list[1]
        local host = entry and entry.host_name
        local target, alert
        if type(params.sni) == "function" then
          target, alert = params.sni(conn, host)
        else
          target = host and params.sni[host]
        end
        if target ~= nil or alert ~= nil then return target, alert end
      end
      if own then return own(conn, ch, ev) end
    end
    hooks = copy
  end

  -- psk (server) = function(conn, identity, obfuscated_age) -> nil | {key=, ...}: the
  -- script's PSK lookup (moontls/psklookup.lua), asked before our own tickets; a hook
  -- so that a Lua function answers the engine's ask like any other.
  if psk_fn then
    local copy = {}
    for k, v in pairs(hooks) do copy[k] = v end
    copy.psk_lookup = psk_fn
    hooks = copy
  end

  -- Everything is well-formed: configure.
  local state = {
    params = params, hooks = hooks, rng = params.rng, clock = params.clock,
    keylog = kl and keylog_writer(kl) or nil, quirks = qs,
  }
  local ctx = core.context_new(mode, state)
  local ok, msg, name
  if versions then
    local lo, hi = math.huge, 0
    for _, v in ipairs(versions) do lo = math.min(lo, v); hi = math.max(hi, v) end
    for _, v in ipairs(versions) do
      -- Only TLS 1.3 has a state machine yet; say so by name rather than drop it.
      if v ~= 0x0304 then return nil, ("unsupported: TLS %s"):format(names.versions[v]), "UNSUPPORTED" end
    end
    ok, msg, name = ctx:_set_versions(lo, hi)
    if not ok then return failed("versions", list_text(params.versions), msg, name) end
  end
  if suites then
    ok, msg, name = ctx:_set_suites(suites)
    if not ok then return failed("suites", list_text(params.suites), msg, name) end
  end
  if groups then
    ok, msg, name = ctx:_set_groups(groups)
    if not ok then return failed("groups", list_text(params.groups), msg, name) end
  end
  if sigalgs then
    ok, msg, name = ctx:_set_sigalgs(sigalgs)
    if not ok then return failed("sigalgs", list_text(params.sigalgs), msg, name) end
  end
  if shares then
    ok, msg, name = ctx:_set_key_shares(shares)
    if not ok then return failed("key_shares", list_text(shares), msg, name) end
    for _, p in ipairs(pins) do
      ok, msg, name = ctx:_pin_key_share(p.code, p.private)
      if not ok then return failed("key_shares", names.groups[p.code] or p.code, msg, name) end
    end
  end
  if alpn then
    ok, msg, name = ctx:_set_alpn(alpn)
    if not ok then return failed("alpn", list_text(alpn), msg, name) end
  end
  if params.server_name then
    ok, msg, name = ctx:_set_server_name(params.server_name)
    if not ok then return failed("server_name", params.server_name, msg, name) end
  end
  for i, c in ipairs(creds) do
    local chain, err = pem("certificate", c.certificate)
    if not chain then return nil, err, "NOT_FOUND" end
    local key
    key, err = pem("key", c.key)
    if not key then return nil, err, "NOT_FOUND" end
    ok, msg, name = ctx:_add_credential(chain, key)
    if not ok then return failed(("certificate %d"):format(i), "", msg, name) end
  end
  if params.cafile then
    local ca, err = pem("cafile", params.cafile)
    if not ca then return nil, err, "NOT_FOUND" end
    ok, msg, name = ctx:_set_ca(ca)
    if not ok then return failed("cafile", "", msg, name) end
  end
  if verify == "peer" and server then
    return nil, "unsupported: verify \"peer\" on a server (client certificates)", "UNSUPPORTED"
  end
  if verify then ctx:_set_verify(verify == "peer") end
  if params.compat_ccs ~= nil then ctx:_set_compat(params.compat_ccs) end
  if type(cookie) == "boolean" then ctx:_set_hrr_cookie(cookie) end
  if type(cookie) == "string" then
    ok, msg, name = ctx:_set_hrr_cookie_value(cookie)
    if not ok then return failed("hrr_cookie", ("%d bytes"):format(#cookie), msg, name) end
  end
  for _, sh in ipairs(shapes or {}) do
    if sh.order then
      ok, msg, name = ctx:_set_extension_order(sh.kind, sh.order)
      if not ok then return failed("extensions", "order", msg, name) end
    end
    for _, e in ipairs(sh.add) do
      ok, msg, name = ctx:_add_extension(sh.kind, e.code, e.data)
      if not ok then return failed("extensions", "add", msg, name) end
    end
  end
  if params.tickets ~= nil or params.ticket_lifetime ~= nil then
    ok, msg, name = ctx:_set_tickets(params.tickets or 2, params.ticket_lifetime or 7200)
    if not ok then return failed("tickets", params.tickets, msg, name) end
  end
  if params.ticket_key ~= nil then
    ok, msg, name = ctx:_set_ticket_key(params.ticket_key)
    if not ok then return failed("ticket_key", "", msg, name) end
  end
  if params.psk_ke ~= nil then ctx:_set_psk_ke(params.psk_ke) end
  if server and params.early_data ~= nil then
    ok, msg, name = ctx:_set_early_data(params.early_data)
    if not ok then return failed("early_data", params.early_data, msg, name) end
  end
  if params.psk ~= nil and not psk_fn then
    ok, msg, name = ctx:_set_psk(params.psk.identity, params.psk.key, psk_hash)
    if not ok then return failed("psk", "", msg, name) end
  end
  if qs then
    ok, msg, name = quirks.configure(ctx, qs, server)
    if not ok then return nil, msg, name end
  end
  if params.rng ~= nil and not (rng.is_rng(params.rng) and params.rng.kind == "system") then
    ctx:_use_rng(true)
  end
  if params.clock then ctx:_use_clock(true) end
  ctx:_set_hooks(M.mask(state.hooks, state.keylog ~= nil))
  return ctx
end

-- The engine's interest mask for a set of hooks (plus the secret point for a key log).
function M.mask(hooks, keylog)
  local mask = 0
  for name in pairs(hooks) do
    local bit = core.hook_bits[name]
    if bit then mask = mask | (1 << bit) end
  end
  if keylog then mask = mask | (1 << core.hook_bits.secret) end
  return mask
end

function M.new(params)
  if type(params) ~= "table" then error("tls.context: table of parameters expected", 2) end
  local copy = {}
  for k, v in pairs(params) do copy[k] = v end
  return build(copy)
end

-- ctx:with(overrides) -> a new context: this one's parameters with overrides applied.
function Context:with(overrides)
  if type(overrides) ~= "table" then error("ctx:with: table expected", 2) end
  local copy = {}
  for k, v in pairs(self:_params().params) do copy[k] = v end
  for k, v in pairs(overrides) do copy[k] = v end
  return build(copy)
end

function Context:mode() return self:_role() end

-- ctx:connection() -> a sans-I/O connection (feed / run / output / want).
function Context:connection()
  local conn = require("moontls.conn").new(self)
  local params = self:_params().params
  local session = params.session
  if session ~= nil then
    -- a session that does not decode was refused when the context was made
    local ok, msg = conn:set_session(session)
    if not ok then error("ctx:connection: session: " .. tostring(msg), 2) end
  end
  if params.session_cache ~= nil then
    -- an explicit session wins: the cache then only stores this connection's tickets
    require("moontls.sessioncache").attach(conn, params.session_cache, session == nil,
                                           params.server_name, params.clock)
  end
  local early = self:_params().params.early_data
  if type(early) == "string" then assert(conn:set_early_data(early)) end
  local qs = self:_params().quirks
  if qs and next(qs) then quirks.attach(conn, qs) end
  return conn
end

-- ctx:wrap(socket) -> a connection driven over a LuaSocket TCP object.
function Context:wrap(sock)
  local conn = self:connection()
  require("moontls.socket").attach(conn, sock)
  return conn
end

return M
