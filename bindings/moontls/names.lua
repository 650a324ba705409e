-- moontls.names: IANA names <-> code points, both ways (tls.names.groups.x25519 == 29,
-- tls.names.groups[29] == "x25519"). Written here in Lua until the C codec's table
-- (lib/handshake/names.c) is public; the values are the IANA registry's.
local M = {}

-- One table answering both directions: names are strings, codes are integers.
local function both(t)
  local r = {}
  for name, code in pairs(t) do
    r[name] = code
    r[code] = name
  end
  return r
end

M.versions = both{
  ["1.0"] = 0x0301, ["1.1"] = 0x0302, ["1.2"] = 0x0303, ["1.3"] = 0x0304,
}

M.suites = both{
  -- TLS 1.3 (RFC 8446 B.4)
  TLS_AES_128_GCM_SHA256 = 0x1301,
  TLS_AES_256_GCM_SHA384 = 0x1302,
  TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
  TLS_AES_128_CCM_SHA256 = 0x1304,
  TLS_AES_128_CCM_8_SHA256 = 0x1305,
  -- TLS 1.2 (for naming what peers send; the 1.2 engine is later work)
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009e,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009f,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014,
  TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d,
  TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f,
  TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
  TLS_FALLBACK_SCSV = 0x5600,
}

M.groups = both{
  secp256r1 = 23, secp384r1 = 24, secp521r1 = 25,
  x25519 = 29, x448 = 30,
  ffdhe2048 = 256, ffdhe3072 = 257, ffdhe4096 = 258, ffdhe6144 = 259, ffdhe8192 = 260,
}

M.sigalgs = both{
  rsa_pkcs1_sha256 = 0x0401, rsa_pkcs1_sha384 = 0x0501, rsa_pkcs1_sha512 = 0x0601,
  ecdsa_secp256r1_sha256 = 0x0403, ecdsa_secp384r1_sha384 = 0x0503,
  ecdsa_secp521r1_sha512 = 0x0603,
  rsa_pss_rsae_sha256 = 0x0804, rsa_pss_rsae_sha384 = 0x0805, rsa_pss_rsae_sha512 = 0x0806,
  ed25519 = 0x0807, ed448 = 0x0808,
  rsa_pss_pss_sha256 = 0x0809, rsa_pss_pss_sha384 = 0x080a, rsa_pss_pss_sha512 = 0x080b,
  rsa_pkcs1_sha1 = 0x0201, ecdsa_sha1 = 0x0203,
}

M.content_types = both{
  change_cipher_spec = 20, alert = 21, handshake = 22, application_data = 23, heartbeat = 24,
}

M.handshake_types = both{
  hello_request = 0, client_hello = 1, server_hello = 2, hello_verify_request = 3,
  new_session_ticket = 4, end_of_early_data = 5, encrypted_extensions = 8,
  certificate = 11, server_key_exchange = 12, certificate_request = 13,
  server_hello_done = 14, certificate_verify = 15, client_key_exchange = 16,
  finished = 20, certificate_url = 21, certificate_status = 22, supplemental_data = 23,
  key_update = 24, compressed_certificate = 25, message_hash = 254,
}

-- RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
M.HRR_RANDOM = "\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91"
  .. "\xc2\xa2\x11\x16\x7a\xbb\x8c\x5e\x07\x9e\x09\xe2\xc8\xa8\x33\x9c"

-- Resolve a name or a number against one table. Returns the code, or nil and a reason
-- (the caller raises: an unknown name is a script bug, not a runtime failure).
function M.code(tbl, v, what)
  if math.type(v) == "integer" then
    if v < 0 or v > 0xffff then return nil, ("%s %d is not a 16-bit code"):format(what, v) end
    return v
  end
  if type(v) == "string" then
    local c = tbl[v]
    if math.type(c) == "integer" then return c end
    return nil, ("unknown %s %q"):format(what, v)
  end
  return nil, ("%s: name or number expected, got %s"):format(what, type(v))
end

-- A code's name, or its hex spelling when the registry has none.
function M.name(tbl, code)
  if code == nil or code == 0 then return nil end
  return tbl[code] or ("0x%04x"):format(code)
end

return M
