/*
 * rng_ltc.h - crypto-internal bridge from an mt_rng to a libtomcrypt PRNG, so that
 * libtomcrypt's RSA, ECC and DH functions draw through moontls' rng with a purpose label.
 * Only files under lib/crypto/ include this (it names libtomcrypt types).
 *
 *     prng_state ps;
 *     int idx;
 *     MT_TRY(mt_rng_ltc_bind(&ps, &idx, rng, "pss_salt"));
 *     rsa_sign_hash_ex(..., &ps, idx, ...);
 *
 * The prng_state only borrows rng; nothing needs releasing. A draw that fails inside
 * libtomcrypt is reported by libtomcrypt as a PRNG error (map it to MT_ERR_CRYPTO).
 */
#ifndef MT_CRYPTO_RNG_LTC_H
#define MT_CRYPTO_RNG_LTC_H

#include "rng.h"
#include <tomcrypt.h>

/* Bind ps to (rng, purpose) and return the registered descriptor index in *wprng.
 * Returns 0 or MT_ERR_CRYPTO. */
int mt_rng_ltc_bind(prng_state *ps, int *wprng, const mt_rng *rng, const char *purpose);

#endif
