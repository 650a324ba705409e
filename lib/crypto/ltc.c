/*
 * ltc.c - one-time libtomcrypt set-up: register the algorithms lib/ looks up by name and
 * choose the big-number math descriptor.
 *
 * Notes:
 * - libtomcrypt keeps its descriptor tables and ltc_mp as process globals; they are written
 *   exactly once here under pthread_once, so concurrent first calls from several threads
 *   are safe and later calls cost one atomic load.
 * - The symmetric code in lib/crypto (hash.c, aead.c, cbc.c) calls the algorithms directly
 *   and needs no registration; the public-key code (RSA, ECC, DH) finds hashes and uses the
 *   math descriptor through these tables.
 */
#include "hash.h"
#include "internal.h"

#include <pthread.h>
#include <tomcrypt.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Written once inside init_once, then only read: not mutable shared state. */
static int init_rc = MT_OK;

static void crypto_init_once(void)
{
    int ok = 1;
    ok &= register_cipher(&aes_desc) != -1;
    ok &= register_hash(&md5_desc) != -1;
    ok &= register_hash(&sha1_desc) != -1;
    ok &= register_hash(&sha224_desc) != -1;
    ok &= register_hash(&sha256_desc) != -1;
    ok &= register_hash(&sha384_desc) != -1;
    ok &= register_hash(&sha512_desc) != -1;
#ifdef MT_MATH_GMP
    ltc_mp = gmp_desc;
#else
    ltc_mp = ltm_desc;
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    /* Fill libgcc's CPU model before any __builtin_cpu_supports (aes.c, ghash.c). */
    __builtin_cpu_init();
#endif
    init_rc = ok ? MT_OK : MT_ERR_CRYPTO;
}

int mt_crypto_init(void)
{
    if (pthread_once(&init_once, crypto_init_once) != 0) return MT_ERR_CRYPTO;
    return init_rc;
}
