/*
 * aes.c - AES with AES-NI when the CPU has it, else libtomcrypt's rijndael; GCM counter
 * mode and CBC on top.
 *
 * Notes:
 * - AES-NI key expansion follows the FIPS 197 5.2 schedule with AESKEYGENASSIST; the
 *   decryption keys are the encryption keys in reverse order through AESIMC (the
 *   "equivalent inverse cipher", FIPS 197 5.3.5).
 * - Counter mode and CBC decryption run 8 and 4 blocks in flight to hide the AESENC
 *   latency; CBC encryption is inherently serial.
 * - The portable path stores only libtomcrypt's rijndael_key (484 bytes) in the key's
 *   storage and hands libtomcrypt a pointer to it as a symmetric_key: rijndael's functions
 *   only touch the rijndael member at the start of that union (checked below).
 * - In-place operation (out == in) is supported everywhere: every block is read before
 *   the block at the same position is written.
 */
#include "aes.h"
#include "hash.h"
#include "buf/buf.h"
#include "internal.h"

#include <stddef.h>
#include <tomcrypt.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AESNI 1
#include <immintrin.h>
#else
#define HAVE_AESNI 0
#endif

_Static_assert(sizeof(struct rijndael_key) <= sizeof(((mt_aes_key *)0)->rk), "rijndael_key fits");
_Static_assert(offsetof(symmetric_key, rijndael) == 0, "rijndael at the start of symmetric_key");
_Static_assert(15 * 16 * 2 <= sizeof(((mt_aes_key *)0)->rk), "AES-NI schedules fit");

static symmetric_key *ltc_key(const mt_aes_key *k)
{
    return (symmetric_key *)(void *)k->rk;
}

static void inc32(uint8_t *ctr)
{
    uint32_t c =
        (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 | (uint32_t)ctr[14] << 8 | ctr[15];
    c++;
    ctr[12] = (uint8_t)(c >> 24);
    ctr[13] = (uint8_t)(c >> 16);
    ctr[14] = (uint8_t)(c >> 8);
    ctr[15] = (uint8_t)c;
}

/* ---- AES-NI ---- */

#if HAVE_AESNI
#define NI __attribute__((target("aes,sse4.1")))

NI static __m128i expand_step(__m128i key, __m128i gen)
{
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, gen);
}

#define EXP128(i, rcon)                                                                            \
    rk[i] = expand_step(rk[i - 1],                                                                 \
                        _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], rcon), 0xff))
#define EXP256(i, rcon)                                                                            \
    do {                                                                                           \
        rk[i] = expand_step(rk[i - 2],                                                             \
                            _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], rcon), 0xff));  \
        if (i + 1 <= 14)                                                                           \
            rk[i + 1] = expand_step(rk[i - 1],                                                     \
                                    _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i], 0), 0xaa)); \
    } while (0)

NI static void ni_init(mt_aes_key *k, const uint8_t *key, size_t key_len)
{
    __m128i *rk = (__m128i *)(void *)k->rk; /* encryption keys 0..14, decryption at 15.. */
    if (key_len == 16) {
        rk[0] = _mm_loadu_si128((const __m128i *)(const void *)key);
        EXP128(1, 0x01);
        EXP128(2, 0x02);
        EXP128(3, 0x04);
        EXP128(4, 0x08);
        EXP128(5, 0x10);
        EXP128(6, 0x20);
        EXP128(7, 0x40);
        EXP128(8, 0x80);
        EXP128(9, 0x1b);
        EXP128(10, 0x36);
        k->rounds = 10;
    } else {
        rk[0] = _mm_loadu_si128((const __m128i *)(const void *)key);
        rk[1] = _mm_loadu_si128((const __m128i *)(const void *)&key[16]);
        EXP256(2, 0x01);
        EXP256(4, 0x02);
        EXP256(6, 0x04);
        EXP256(8, 0x08);
        EXP256(10, 0x10);
        EXP256(12, 0x20);
        EXP256(14, 0x40);
        k->rounds = 14;
    }
    unsigned nr = k->rounds;
    __m128i *dk = &rk[15];
    dk[0] = rk[nr];
    for (unsigned i = 1; i < nr; i++)
        dk[i] = _mm_aesimc_si128(rk[nr - i]);
    dk[nr] = rk[0];
}

NI static __m128i ni_enc1(const mt_aes_key *k, __m128i b)
{
    const __m128i *rk = (const __m128i *)(const void *)k->rk;
    b = _mm_xor_si128(b, rk[0]);
    for (unsigned r = 1; r < k->rounds; r++)
        b = _mm_aesenc_si128(b, rk[r]);
    return _mm_aesenclast_si128(b, rk[k->rounds]);
}

NI static __m128i ni_dec1(const mt_aes_key *k, __m128i b)
{
    const __m128i *dk = &((const __m128i *)(const void *)k->rk)[15];
    b = _mm_xor_si128(b, dk[0]);
    for (unsigned r = 1; r < k->rounds; r++)
        b = _mm_aesdec_si128(b, dk[r]);
    return _mm_aesdeclast_si128(b, dk[k->rounds]);
}

NI static void ni_encrypt(const mt_aes_key *k, const uint8_t *in, uint8_t *out)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)in);
    _mm_storeu_si128((__m128i *)(void *)out, ni_enc1(k, b));
}

NI static void ni_decrypt(const mt_aes_key *k, const uint8_t *in, uint8_t *out)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)in);
    _mm_storeu_si128((__m128i *)(void *)out, ni_dec1(k, b));
}

NI static void ni_ctr32(const mt_aes_key *k, uint8_t *ctr, const uint8_t *in, uint8_t *out,
                        size_t len)
{
    const __m128i *rk = (const __m128i *)(const void *)k->rk;
    const unsigned nr = k->rounds;
    __m128i base = _mm_loadu_si128((const __m128i *)(const void *)ctr);
    uint32_t c =
        (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 | (uint32_t)ctr[14] << 8 | ctr[15];
    size_t off = 0;
    while (len - off >= 128) {
        __m128i b[8];
        for (int i = 0; i < 8; i++)
            b[i] = _mm_xor_si128(_mm_insert_epi32(base, (int)__builtin_bswap32(c + (uint32_t)i), 3),
                                 rk[0]);
        for (unsigned r = 1; r < nr; r++)
            for (int i = 0; i < 8; i++)
                b[i] = _mm_aesenc_si128(b[i], rk[r]);
        for (int i = 0; i < 8; i++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)&in[off + 16 * i]);
            b[i] = _mm_xor_si128(_mm_aesenclast_si128(b[i], rk[nr]), x);
        }
        for (int i = 0; i < 8; i++)
            _mm_storeu_si128((__m128i *)(void *)&out[off + 16 * i], b[i]);
        c += 8;
        off += 128;
    }
    while (off < len) {
        __m128i ks = ni_enc1(k, _mm_insert_epi32(base, (int)__builtin_bswap32(c), 3));
        size_t n = len - off < 16 ? len - off : 16;
        if (n == 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)&in[off]);
            _mm_storeu_si128((__m128i *)(void *)&out[off], _mm_xor_si128(x, ks));
        } else {
            uint8_t tmp[16];
            _mm_storeu_si128((__m128i *)(void *)tmp, ks);
            for (size_t i = 0; i < n; i++)
                out[off + i] = in[off + i] ^ tmp[i];
            mt_wipe(tmp, sizeof tmp);
        }
        c++;
        off += n;
    }
    ctr[12] = (uint8_t)(c >> 24);
    ctr[13] = (uint8_t)(c >> 16);
    ctr[14] = (uint8_t)(c >> 8);
    ctr[15] = (uint8_t)c;
}

NI static void ni_cbc_encrypt(const mt_aes_key *k, uint8_t *iv, const uint8_t *in, uint8_t *out,
                              size_t len)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)iv);
    for (size_t off = 0; off < len; off += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)&in[off]);
        v = ni_enc1(k, _mm_xor_si128(x, v));
        _mm_storeu_si128((__m128i *)(void *)&out[off], v);
    }
    _mm_storeu_si128((__m128i *)(void *)iv, v);
}

NI static void ni_cbc_decrypt(const mt_aes_key *k, uint8_t *iv, const uint8_t *in, uint8_t *out,
                              size_t len)
{
    const __m128i *dk = &((const __m128i *)(const void *)k->rk)[15];
    const unsigned nr = k->rounds;
    __m128i prev = _mm_loadu_si128((const __m128i *)(const void *)iv);
    size_t off = 0;
    while (len - off >= 64) {
        __m128i c[4], b[4];
        for (int i = 0; i < 4; i++) {
            c[i] = _mm_loadu_si128((const __m128i *)(const void *)&in[off + 16 * i]);
            b[i] = _mm_xor_si128(c[i], dk[0]);
        }
        for (unsigned r = 1; r < nr; r++)
            for (int i = 0; i < 4; i++)
                b[i] = _mm_aesdec_si128(b[i], dk[r]);
        for (int i = 0; i < 4; i++)
            b[i] = _mm_aesdeclast_si128(b[i], dk[nr]);
        b[0] = _mm_xor_si128(b[0], prev);
        for (int i = 1; i < 4; i++)
            b[i] = _mm_xor_si128(b[i], c[i - 1]);
        for (int i = 0; i < 4; i++)
            _mm_storeu_si128((__m128i *)(void *)&out[off + 16 * i], b[i]);
        prev = c[3];
        off += 64;
    }
    for (; off < len; off += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)&in[off]);
        _mm_storeu_si128((__m128i *)(void *)&out[off], _mm_xor_si128(ni_dec1(k, c), prev));
        prev = c;
    }
    _mm_storeu_si128((__m128i *)(void *)iv, prev);
}

static int cpu_has_aesni(void)
{
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}
#endif /* HAVE_AESNI */

/* ---- public (to lib/crypto) entry points ---- */

int mt_aes_init(mt_aes_key *k, const uint8_t *key, size_t key_len, mt_sym_impl impl)
{
    MT_ENSURE(k != NULL && key != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(key_len == 16 || key_len == 32, MT_ERR_BAD_PARAM);
    MT_TRY(mt_crypto_init());
    memset(k, 0, sizeof *k);
#if HAVE_AESNI
    if (impl == MT_SYM_AUTO && cpu_has_aesni()) {
        ni_init(k, key, key_len);
        k->ni = 1;
        return MT_OK;
    }
#endif
    MT_ENSURE(rijndael_setup(key, (int)key_len, 0, ltc_key(k)) == CRYPT_OK, MT_ERR_CRYPTO);
    k->rounds = key_len == 16 ? 10 : 14;
    return MT_OK;
}

void mt_aes_wipe(mt_aes_key *k)
{
    if (k) mt_wipe(k, sizeof *k);
}

void mt_aes_encrypt(const mt_aes_key *k, const uint8_t *in, uint8_t *out)
{
#if HAVE_AESNI
    if (k->ni) {
        ni_encrypt(k, in, out);
        return;
    }
#endif
    rijndael_ecb_encrypt(in, out, ltc_key(k));
}

void mt_aes_decrypt(const mt_aes_key *k, const uint8_t *in, uint8_t *out)
{
#if HAVE_AESNI
    if (k->ni) {
        ni_decrypt(k, in, out);
        return;
    }
#endif
    rijndael_ecb_decrypt(in, out, ltc_key(k));
}

void mt_aes_ctr32(const mt_aes_key *k, uint8_t *ctr, const uint8_t *in, uint8_t *out, size_t len)
{
#if HAVE_AESNI
    if (k->ni) {
        ni_ctr32(k, ctr, in, out, len);
        return;
    }
#endif
    uint8_t ks[16];
    for (size_t off = 0; off < len; off += 16) {
        size_t n = len - off < 16 ? len - off : 16;
        rijndael_ecb_encrypt(ctr, ks, ltc_key(k));
        inc32(ctr);
        for (size_t i = 0; i < n; i++)
            out[off + i] = in[off + i] ^ ks[i];
    }
    mt_wipe(ks, sizeof ks);
}

void mt_aes_cbc_encrypt(const mt_aes_key *k, uint8_t *iv, const uint8_t *in, uint8_t *out,
                        size_t len)
{
#if HAVE_AESNI
    if (k->ni) {
        ni_cbc_encrypt(k, iv, in, out, len);
        return;
    }
#endif
    uint8_t b[16];
    for (size_t off = 0; off < len; off += 16) {
        for (size_t i = 0; i < 16; i++)
            b[i] = in[off + i] ^ iv[i];
        rijndael_ecb_encrypt(b, iv, ltc_key(k));
        memcpy(&out[off], iv, 16);
    }
    mt_wipe(b, sizeof b);
}

void mt_aes_cbc_decrypt(const mt_aes_key *k, uint8_t *iv, const uint8_t *in, uint8_t *out,
                        size_t len)
{
#if HAVE_AESNI
    if (k->ni) {
        ni_cbc_decrypt(k, iv, in, out, len);
        return;
    }
#endif
    uint8_t c[16], p[16];
    for (size_t off = 0; off < len; off += 16) {
        memcpy(c, &in[off], 16);
        rijndael_ecb_decrypt(c, p, ltc_key(k));
        for (size_t i = 0; i < 16; i++)
            out[off + i] = p[i] ^ iv[i];
        memcpy(iv, c, 16);
    }
    mt_wipe(p, sizeof p);
    mt_wipe(c, sizeof c);
}
