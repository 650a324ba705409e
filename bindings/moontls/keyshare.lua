-- moontls.keyshare: tls.key_share(group[, private][, rng]) (SCRIPTING.md 6.1, 7 (d)).
-- One ephemeral key pair made by the engine's own key-share code (moontls.h
-- mt_key_share), returned as a ClientHello key_share entry:
--   {group = name, key_exchange = public bytes, private = private bytes}
-- so `tls.ext.find(ch, "key_share").client_shares = { tls.key_share("x25519") }` works.
-- `private` pins the key (the X25519/X448 scalar, the NIST scalar big-endian; FFDHE keys
-- cannot be pinned). The draw goes through `rng` (a tls.rng generator or a function
-- (n, purpose), also as {rng = ...}), else the system generator; purpose "key_share".
-- Misuse (unknown group, bad private key, wrong argument types) raises; a failing
-- generator returns nil, msg, NAME.
local core = require "moontls.core"
local names = require "moontls.names"
local rng = require "moontls.rng"

local M = {}

function M.key_share(group, private, opts)
  local code, err = names.code(names.groups, group, "group")
  if not code then error("key_share: " .. err, 2) end
  if private ~= nil and type(private) ~= "string" then
    error(("key_share: private: bytes expected, got %s"):format(type(private)), 2)
  end
  local r = opts
  if type(opts) == "table" and not rng.is_rng(opts) then r = opts.rng end
  if r ~= nil and type(r) ~= "function" and not rng.is_rng(r) then
    error(("key_share: rng: tls.rng.* generator or function(n, purpose) expected, got %s")
      :format(type(r)), 2)
  end
  local draw
  if r ~= nil and private == nil then
    local kind, v = rng.instance(r)
    draw = kind and v or nil
  end
  local pub, priv, name = core.key_share(code, private, draw)
  if not pub then return nil, priv, name end
  return { group = names.name(names.groups, code), key_exchange = pub, private = priv }
end

return M
