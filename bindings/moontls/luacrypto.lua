-- moontls.luacrypto: the primitives tls.trace.decrypt needs to open TLS 1.3 records
-- offline, in plain Lua 5.4: SHA-256, SHA-384, HMAC, HKDF (RFC 5869) with TLS 1.3's
-- HKDF-Expand-Label (RFC 8446 7.1), AES-128/256-GCM (NIST SP 800-38D) and
-- ChaCha20-Poly1305 (RFC 8439), decryption side only.
--
-- Why Lua and not the C engine's crypto: the public C API (lib/moontls.h), the only one
-- the binding may use, exposes no key schedule or AEAD, and decryption of a saved trace
-- is an offline tool where speed matters little (about a megabyte a second here). When
-- the C API gains a record opener, decrypt.lua can switch to it with no change of
-- behaviour; spec/luacrypto_spec.lua holds these to the known answers in spec/fixtures.
--
-- Strings are byte strings. Integers are Lua's 64-bit ones: 32-bit words are masked
-- explicitly; SHA-512's 64-bit words wrap as the algorithm wants, and >> is logical.
local M = {}

local spack, sunpack, schar, sbyte = string.pack, string.unpack, string.char, string.byte

-- ---------------------------------------------------------------------------------
-- SHA-256 and SHA-384 (FIPS 180-4)
-- ---------------------------------------------------------------------------------

local K512 = {
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
}
-- SHA-256's constants are the first 32 bits of SHA-512's first 64 (both are the
-- fractional parts of the cube roots of the first primes).
local K256 = {}
for i = 1, 64 do K256[i] = K512[i] >> 32 end

local function pad(msg, block, lenbytes)
  local ml = #msg
  local zeros = (block - lenbytes - 1 - ml) % block
  local len = spack(">I8", ml * 8)
  if lenbytes == 16 then len = ("\0"):rep(8) .. len end
  return msg .. "\128" .. ("\0"):rep(zeros) .. len
end

local function sha256(msg)
  local h0, h1, h2, h3, h4, h5, h6, h7 =
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  msg = pad(msg, 64, 8)
  local w = {}
  for pos = 1, #msg, 64 do
    for j = 1, 16 do w[j] = sunpack(">I4", msg, pos + (j - 1) * 4) end
    for j = 17, 64 do
      local x, y = w[j - 15], w[j - 2]
      local s0 = ((x >> 7) | (x << 25)) ~ ((x >> 18) | (x << 14)) ~ (x >> 3)
      local s1 = ((y >> 17) | (y << 15)) ~ ((y >> 19) | (y << 13)) ~ (y >> 10)
      w[j] = (w[j - 16] + s0 + w[j - 7] + s1) & 0xffffffff
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for j = 1, 64 do
      local S1 = ((e >> 6) | (e << 26)) ~ ((e >> 11) | (e << 21)) ~ ((e >> 25) | (e << 7))
      local ch = (e & f) ~ (~e & g)
      local t1 = (h + (S1 & 0xffffffff) + (ch & 0xffffffff) + K256[j] + w[j]) & 0xffffffff
      local S0 = ((a >> 2) | (a << 30)) ~ ((a >> 13) | (a << 19)) ~ ((a >> 22) | (a << 10))
      local maj = (a & b) ~ (a & c) ~ (b & c)
      local t2 = ((S0 & 0xffffffff) + maj) & 0xffffffff
      h, g, f, e, d, c, b, a = g, f, e, (d + t1) & 0xffffffff, c, b, a, (t1 + t2) & 0xffffffff
    end
    h0, h1, h2, h3 = (h0 + a) & 0xffffffff, (h1 + b) & 0xffffffff, (h2 + c) & 0xffffffff, (h3 + d) & 0xffffffff
    h4, h5, h6, h7 = (h4 + e) & 0xffffffff, (h5 + f) & 0xffffffff, (h6 + g) & 0xffffffff, (h7 + h) & 0xffffffff
  end
  return spack(">I4I4I4I4I4I4I4I4", h0, h1, h2, h3, h4, h5, h6, h7)
end

local function sha512_family(msg, iv, outwords)
  local h = { table.unpack(iv) }
  msg = pad(msg, 128, 16)
  local w = {}
  for pos = 1, #msg, 128 do
    for j = 1, 16 do w[j] = sunpack(">i8", msg, pos + (j - 1) * 8) end
    for j = 17, 80 do
      local x, y = w[j - 15], w[j - 2]
      local s0 = ((x >> 1) | (x << 63)) ~ ((x >> 8) | (x << 56)) ~ (x >> 7)
      local s1 = ((y >> 19) | (y << 45)) ~ ((y >> 61) | (y << 3)) ~ (y >> 6)
      w[j] = w[j - 16] + s0 + w[j - 7] + s1
    end
    local a, b, c, d, e, f, g, hh = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
    for j = 1, 80 do
      local S1 = ((e >> 14) | (e << 50)) ~ ((e >> 18) | (e << 46)) ~ ((e >> 41) | (e << 23))
      local ch = (e & f) ~ (~e & g)
      local t1 = hh + S1 + ch + K512[j] + w[j]
      local S0 = ((a >> 28) | (a << 36)) ~ ((a >> 34) | (a << 30)) ~ ((a >> 39) | (a << 25))
      local maj = (a & b) ~ (a & c) ~ (b & c)
      hh, g, f, e, d, c, b, a = g, f, e, d + t1, c, b, a, t1 + S0 + maj
    end
    h[1], h[2], h[3], h[4] = h[1] + a, h[2] + b, h[3] + c, h[4] + d
    h[5], h[6], h[7], h[8] = h[5] + e, h[6] + f, h[7] + g, h[8] + hh
  end
  local out = {}
  for i = 1, outwords do out[i] = spack(">i8", h[i]) end
  return table.concat(out)
end

local IV384 = {
  0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
  0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
}

M.hashes = {
  sha256 = { fn = sha256, size = 32, block = 64 },
  sha384 = { fn = function(m) return sha512_family(m, IV384, 6) end, size = 48, block = 128 },
}

local function hash_of(name)
  local h = M.hashes[name]
  if not h then error("luacrypto: unknown hash " .. tostring(name), 3) end
  return h
end

function M.hash(name, msg) return hash_of(name).fn(msg) end

local function xor_bytes(s, byte)
  return (s:gsub(".", function(c) return schar(sbyte(c) ~ byte) end))
end

function M.hmac(name, key, msg)
  local h = hash_of(name)
  if #key > h.block then key = h.fn(key) end
  key = key .. ("\0"):rep(h.block - #key)
  return h.fn(xor_bytes(key, 0x5c) .. h.fn(xor_bytes(key, 0x36) .. msg))
end

-- RFC 5869 2.2 and 2.3.
function M.hkdf_extract(name, salt, ikm)
  if salt == nil or salt == "" then salt = ("\0"):rep(hash_of(name).size) end
  return M.hmac(name, salt, ikm)
end

function M.hkdf_expand(name, prk, info, len)
  local out, t, i = {}, "", 1
  local have = 0
  while have < len do
    t = M.hmac(name, prk, t .. info .. schar(i))
    out[#out + 1] = t
    have = have + #t
    i = i + 1
  end
  return table.concat(out):sub(1, len)
end

-- RFC 8446 7.1: HKDF-Expand-Label(Secret, Label, Context, Length).
function M.hkdf_expand_label(name, secret, label, context, len)
  local full = "tls13 " .. label
  local info = spack(">I2s1s1", len, full, context or "")
  return M.hkdf_expand(name, secret, info, len)
end

-- ---------------------------------------------------------------------------------
-- AES (FIPS 197), encryption only: GCM needs the forward cipher alone
-- ---------------------------------------------------------------------------------

-- The S-box from its definition (inverse in GF(2^8), then the affine map), and the
-- round tables from the S-box, so no table of magic numbers can be mistyped.
local SBOX, TE0, TE1, TE2, TE3 = {}, {}, {}, {}, {}
do
  local function mul(a, b)
    local p = 0
    for _ = 1, 8 do
      if b & 1 ~= 0 then p = p ~ a end
      local hi = a & 0x80
      a = (a << 1) & 0xff
      if hi ~= 0 then a = a ~ 0x1b end
      b = b >> 1
    end
    return p
  end
  local inv = { [0] = 0 }
  for a = 1, 255 do
    for b = 1, 255 do
      if mul(a, b) == 1 then inv[a] = b break end
    end
  end
  for x = 0, 255 do
    local b = inv[x]
    local s = b
    for r = 1, 4 do s = s ~ (((b << r) | (b >> (8 - r))) & 0xff) end
    s = s ~ 0x63
    SBOX[x] = s
    local s2, s3 = mul(s, 2), mul(s, 3)
    local t = (s2 << 24) | (s << 16) | (s << 8) | s3
    TE0[x] = t
    TE1[x] = ((t >> 8) | (t << 24)) & 0xffffffff
    TE2[x] = ((t >> 16) | (t << 16)) & 0xffffffff
    TE3[x] = ((t >> 24) | (t << 8)) & 0xffffffff
  end
end

local function sub_word(w)
  return (SBOX[w >> 24] << 24) | (SBOX[(w >> 16) & 255] << 16) | (SBOX[(w >> 8) & 255] << 8) | SBOX[w & 255]
end

-- Round keys for a 16- or 32-byte key: {nr = rounds, [1..4*(nr+1)] = words}.
local function aes_expand(key)
  local nk = #key // 4
  if #key ~= 16 and #key ~= 32 then error("luacrypto: AES key of 16 or 32 bytes expected", 3) end
  local nr = nk + 6
  local w = {}
  for i = 1, nk do w[i] = sunpack(">I4", key, (i - 1) * 4 + 1) end
  local rcon = 1
  for i = nk, 4 * (nr + 1) - 1 do
    local t = w[i]
    if i % nk == 0 then
      t = sub_word(((t << 8) | (t >> 24)) & 0xffffffff) ~ (rcon << 24)
      rcon = rcon << 1
      if rcon > 0xff then rcon = rcon ~ 0x11b end
    elseif nk > 6 and i % nk == 4 then
      t = sub_word(t)
    end
    w[i + 1] = w[i - nk + 1] ~ t
  end
  w.nr = nr
  return w
end

-- Encrypt one block given as four 32-bit words; returns four words.
local function aes_block(rk, s0, s1, s2, s3)
  s0, s1, s2, s3 = s0 ~ rk[1], s1 ~ rk[2], s2 ~ rk[3], s3 ~ rk[4]
  local k = 5
  for _ = 1, rk.nr - 1 do
    local t0 = TE0[s0 >> 24] ~ TE1[(s1 >> 16) & 255] ~ TE2[(s2 >> 8) & 255] ~ TE3[s3 & 255] ~ rk[k]
    local t1 = TE0[s1 >> 24] ~ TE1[(s2 >> 16) & 255] ~ TE2[(s3 >> 8) & 255] ~ TE3[s0 & 255] ~ rk[k + 1]
    local t2 = TE0[s2 >> 24] ~ TE1[(s3 >> 16) & 255] ~ TE2[(s0 >> 8) & 255] ~ TE3[s1 & 255] ~ rk[k + 2]
    local t3 = TE0[s3 >> 24] ~ TE1[(s0 >> 16) & 255] ~ TE2[(s1 >> 8) & 255] ~ TE3[s2 & 255] ~ rk[k + 3]
    s0, s1, s2, s3 = t0, t1, t2, t3
    k = k + 4
  end
  local function last(a, b, c, d, key)
    return ((SBOX[a >> 24] << 24) | (SBOX[(b >> 16) & 255] << 16) | (SBOX[(c >> 8) & 255] << 8)
      | SBOX[d & 255]) ~ key
  end
  return last(s0, s1, s2, s3, rk[k]), last(s1, s2, s3, s0, rk[k + 1]),
    last(s2, s3, s0, s1, rk[k + 2]), last(s3, s0, s1, s2, rk[k + 3])
end

function M.aes_encrypt_block(key, block)
  local rk = aes_expand(key)
  return spack(">I4I4I4I4", aes_block(rk, sunpack(">I4I4I4I4", block)))
end

-- ---------------------------------------------------------------------------------
-- GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag
-- ---------------------------------------------------------------------------------

-- X * H in GF(2^128), bit-reflected as the specification writes it; 128-bit values are
-- (hi, lo) pairs of 64-bit integers, first byte most significant.
local R = 0xe1 << 56
local function gf_mul(xh, xl, hh, hl)
  local zh, zl = 0, 0
  local vh, vl = hh, hl
  for i = 0, 127 do
    local bit
    if i < 64 then bit = (xh >> (63 - i)) & 1 else bit = (xl >> (127 - i)) & 1 end
    if bit == 1 then zh, zl = zh ~ vh, zl ~ vl end
    local lsb = vl & 1
    vl = (vl >> 1) | (vh << 63)
    vh = vh >> 1
    if lsb == 1 then vh = vh ~ R end
  end
  return zh, zl
end

local function ghash(hh, hl, aad, ct)
  local yh, yl = 0, 0
  local function absorb(data)
    local n = #data
    if n % 16 ~= 0 then data = data .. ("\0"):rep(16 - n % 16) end
    for pos = 1, #data, 16 do
      local bh, bl = sunpack(">i8i8", data, pos)
      yh, yl = gf_mul(yh ~ bh, yl ~ bl, hh, hl)
    end
  end
  absorb(aad)
  absorb(ct)
  yh, yl = gf_mul(yh ~ (#aad * 8), yl ~ (#ct * 8), hh, hl)
  return yh, yl
end

-- CTR mode from counter block (n0, n1, n2, ctr) over data.
local function aes_ctr(rk, n0, n1, n2, ctr, data)
  local out = {}
  for pos = 1, #data, 16 do
    local k0, k1, k2, k3 = aes_block(rk, n0, n1, n2, ctr)
    local ks = spack(">I4I4I4I4", k0, k1, k2, k3)
    local chunk = data:sub(pos, pos + 15)
    local bytes = { sbyte(chunk, 1, -1) }
    for i = 1, #bytes do bytes[i] = bytes[i] ~ sbyte(ks, i) end
    out[#out + 1] = schar(table.unpack(bytes))
    ctr = (ctr + 1) & 0xffffffff
  end
  return table.concat(out)
end

-- Constant-time enough for an offline tool; equality of the tags.
local function tags_equal(a, b)
  if #a ~= #b then return false end
  local d = 0
  for i = 1, #a do d = d | (sbyte(a, i) ~ sbyte(b, i)) end
  return d == 0
end

local function gcm_open(key, nonce, aad, data)
  if #data < 16 then return nil end
  local rk = aes_expand(key)
  local ct, tag = data:sub(1, -17), data:sub(-16)
  local hh, hl = sunpack(">i8i8", spack(">I4I4I4I4", aes_block(rk, 0, 0, 0, 0)))
  local n0, n1, n2 = sunpack(">I4I4I4", nonce)
  local sh, sl = ghash(hh, hl, aad, ct)
  local e0, e1, e2, e3 = aes_block(rk, n0, n1, n2, 1)
  local want = spack(">i8i8", sh ~ ((e0 << 32) | e1), sl ~ ((e2 << 32) | e3))
  if not tags_equal(want, tag) then return nil end
  return aes_ctr(rk, n0, n1, n2, 2, ct)
end

-- ---------------------------------------------------------------------------------
-- ChaCha20 and Poly1305 (RFC 8439)
-- ---------------------------------------------------------------------------------

local function chacha_block(key_words, counter, n0, n1, n2)
  local s = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
    key_words[1], key_words[2], key_words[3], key_words[4],
    key_words[5], key_words[6], key_words[7], key_words[8], counter, n0, n1, n2 }
  local x = { table.unpack(s) }
  local function qr(a, b, c, d)
    local xa, xb, xc, xd = x[a], x[b], x[c], x[d]
    xa = (xa + xb) & 0xffffffff; xd = xd ~ xa; xd = ((xd << 16) | (xd >> 16)) & 0xffffffff
    xc = (xc + xd) & 0xffffffff; xb = xb ~ xc; xb = ((xb << 12) | (xb >> 20)) & 0xffffffff
    xa = (xa + xb) & 0xffffffff; xd = xd ~ xa; xd = ((xd << 8) | (xd >> 24)) & 0xffffffff
    xc = (xc + xd) & 0xffffffff; xb = xb ~ xc; xb = ((xb << 7) | (xb >> 25)) & 0xffffffff
    x[a], x[b], x[c], x[d] = xa, xb, xc, xd
  end
  for _ = 1, 10 do
    qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15); qr(4, 8, 12, 16)
    qr(1, 6, 11, 16); qr(2, 7, 12, 13); qr(3, 8, 9, 14); qr(4, 5, 10, 15)
  end
  for i = 1, 16 do x[i] = (x[i] + s[i]) & 0xffffffff end
  return spack("<I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4", table.unpack(x))
end

local function chacha20(key, counter, nonce, data)
  local kw = { sunpack("<I4I4I4I4I4I4I4I4", key) }
  local n0, n1, n2 = sunpack("<I4I4I4", nonce)
  local out = {}
  for pos = 1, #data, 64 do
    local ks = chacha_block(kw, counter, n0, n1, n2)
    local chunk = data:sub(pos, pos + 63)
    local bytes = { sbyte(chunk, 1, -1) }
    for i = 1, #bytes do bytes[i] = bytes[i] ~ sbyte(ks, i) end
    out[#out + 1] = schar(table.unpack(bytes))
    counter = (counter + 1) & 0xffffffff
  end
  return table.concat(out)
end
M.chacha20 = chacha20

-- Poly1305 with 26-bit limbs: products stay below 2^59, inside Lua's integers.
local function poly1305(key, msg)
  local M26 = 0x3ffffff
  local function le32(s, i) return sunpack("<I4", s, i) end
  local r0 = le32(key, 1) & 0x3ffffff
  local r1 = (le32(key, 4) >> 2) & 0x3ffff03
  local r2 = (le32(key, 7) >> 4) & 0x3ffc0ff
  local r3 = (le32(key, 10) >> 6) & 0x3f03fff
  local r4 = (le32(key, 13) >> 8) & 0x00fffff
  local s1, s2, s3, s4 = r1 * 5, r2 * 5, r3 * 5, r4 * 5
  local h0, h1, h2, h3, h4 = 0, 0, 0, 0, 0
  local pos, n = 1, #msg
  while pos <= n do
    local block = msg:sub(pos, pos + 15)
    local hibit = 1 << 24
    if #block < 16 then
      block = block .. "\1" .. ("\0"):rep(15 - #block)
      hibit = 0
    end
    h0 = h0 + (le32(block, 1) & M26)
    h1 = h1 + ((le32(block, 4) >> 2) & M26)
    h2 = h2 + ((le32(block, 7) >> 4) & M26)
    h3 = h3 + ((le32(block, 10) >> 6) & M26)
    h4 = h4 + ((le32(block, 13) >> 8) | hibit)
    local d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1
    local d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2
    local d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3
    local d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4
    local d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0
    local c = d0 >> 26; h0 = d0 & M26
    d1 = d1 + c; c = d1 >> 26; h1 = d1 & M26
    d2 = d2 + c; c = d2 >> 26; h2 = d2 & M26
    d3 = d3 + c; c = d3 >> 26; h3 = d3 & M26
    d4 = d4 + c; c = d4 >> 26; h4 = d4 & M26
    h0 = h0 + c * 5; c = h0 >> 26; h0 = h0 & M26
    h1 = h1 + c
    pos = pos + 16
  end
  local c = h1 >> 26; h1 = h1 & M26
  h2 = h2 + c; c = h2 >> 26; h2 = h2 & M26
  h3 = h3 + c; c = h3 >> 26; h3 = h3 & M26
  h4 = h4 + c; c = h4 >> 26; h4 = h4 & M26
  h0 = h0 + c * 5; c = h0 >> 26; h0 = h0 & M26
  h1 = h1 + c
  -- h - p = h + 5 - 2^130: keep it when it does not go negative
  local g0 = h0 + 5; c = g0 >> 26; g0 = g0 & M26
  local g1 = h1 + c; c = g1 >> 26; g1 = g1 & M26
  local g2 = h2 + c; c = g2 >> 26; g2 = g2 & M26
  local g3 = h3 + c; c = g3 >> 26; g3 = g3 & M26
  local g4 = h4 + c - (1 << 26)
  if g4 >= 0 then h0, h1, h2, h3, h4 = g0, g1, g2, g3, g4 end
  local w0 = (h0 | (h1 << 26)) & 0xffffffff
  local w1 = ((h1 >> 6) | (h2 << 20)) & 0xffffffff
  local w2 = ((h2 >> 12) | (h3 << 14)) & 0xffffffff
  local w3 = ((h3 >> 18) | (h4 << 8)) & 0xffffffff
  local f = w0 + le32(key, 17); w0 = f & 0xffffffff
  f = w1 + le32(key, 21) + (f >> 32); w1 = f & 0xffffffff
  f = w2 + le32(key, 25) + (f >> 32); w2 = f & 0xffffffff
  f = w3 + le32(key, 29) + (f >> 32); w3 = f & 0xffffffff
  return spack("<I4I4I4I4", w0, w1, w2, w3)
end
M.poly1305 = poly1305

local function pad16(s)
  if #s % 16 == 0 then return "" end
  return ("\0"):rep(16 - #s % 16)
end

local function chacha_poly_open(key, nonce, aad, data)
  if #data < 16 then return nil end
  local ct, tag = data:sub(1, -17), data:sub(-16)
  local otk = chacha_block({ sunpack("<I4I4I4I4I4I4I4I4", key) }, 0, sunpack("<I4I4I4", nonce)):sub(1, 32)
  local mac = poly1305(otk, aad .. pad16(aad) .. ct .. pad16(ct) .. spack("<I8I8", #aad, #ct))
  if not tags_equal(mac, tag) then return nil end
  return chacha20(key, 1, nonce, ct)
end

-- ---------------------------------------------------------------------------------
-- AEADs by name; TLS 1.3 cipher suites
-- ---------------------------------------------------------------------------------

M.aeads = {
  aes128gcm = { open = gcm_open, key_len = 16 },
  aes256gcm = { open = gcm_open, key_len = 32 },
  chacha20poly1305 = { open = chacha_poly_open, key_len = 32 },
}

-- aead_open(alg, key, nonce, aad, ciphertext .. tag) -> plaintext | nil (tag mismatch).
function M.aead_open(alg, key, nonce, aad, data)
  local a = M.aeads[alg]
  if not a then error("luacrypto: unknown AEAD " .. tostring(alg), 2) end
  if #key ~= a.key_len or #nonce ~= 12 then error("luacrypto: key or nonce length", 2) end
  return a.open(key, nonce, aad, data)
end

-- RFC 8446 B.4 (and RFC 8998 is not here): the suites a TLS 1.3 record may use.
M.suites = {
  [0x1301] = { name = "TLS_AES_128_GCM_SHA256", aead = "aes128gcm", hash = "sha256", key_len = 16 },
  [0x1302] = { name = "TLS_AES_256_GCM_SHA384", aead = "aes256gcm", hash = "sha384", key_len = 32 },
  [0x1303] = { name = "TLS_CHACHA20_POLY1305_SHA256", aead = "chacha20poly1305", hash = "sha256", key_len = 32 },
}

return M
