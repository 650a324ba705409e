/*
 * rng.h - the one randomness interface of moontls.
 *
 * Notes:
 * - Every random draw in the library goes through an mt_rng with a purpose label
 *   ("client_random", "session_id", "key_share", "pss_salt", "ecdsa_nonce", "padding",
 *   ...), so a script can seed, pin or log each draw and a handshake can be replayed byte
 *   for byte (DESIGN.md section 7).
 * - mt_rng_system() reads getrandom(2); it is the configuration default and the only
 *   place lib/ touches the system RNG.
 * - mt_rng_seeded is deterministic: SHA-256 in counter mode over the seed. Same seed,
 *   same stream, whatever the purposes. For tests and replay only.
 * - libtomcrypt's public-key functions take a PRNG descriptor; lib/crypto/rng_ltc.h bridges
 *   an mt_rng into one, so RSA/ECDSA/DH draws go through the same interface.
 */
#ifndef MT_CRYPTO_RNG_H
#define MT_CRYPTO_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Fill out[0..n) for `purpose` (a static label). Return 0 or an error code
 * (MT_ERR_CRYPTO when the source failed, MT_ERR_HOOK when a script generator failed). */
typedef int (*mt_rng_fn)(void *ud, const char *purpose, uint8_t *out, size_t n);

typedef struct mt_rng {
    mt_rng_fn fn;
    void *ud; /* borrowed; must outlive every use of the mt_rng */
} mt_rng;

/* Draw n bytes. A NULL rng or NULL fn means the system generator. */
int mt_rng_bytes(const mt_rng *rng, const char *purpose, uint8_t *out, size_t n);

/* The system generator (getrandom). */
mt_rng mt_rng_system(void);

typedef struct mt_rng_seeded {
    uint8_t key[32]; /* SHA-256 of the seed */
    uint64_t counter;
    uint8_t block[32];
    size_t used; /* bytes of block already handed out (32 = empty) */
} mt_rng_seeded;

/* Initialise a deterministic generator from seed bytes (any length, NULL with 0 allowed).
 * The returned mt_rng borrows s. mt_rng_seeded_wipe clears it. */
mt_rng mt_rng_seeded_init(mt_rng_seeded *s, const uint8_t *seed, size_t seed_len);
void mt_rng_seeded_wipe(mt_rng_seeded *s);

#endif
