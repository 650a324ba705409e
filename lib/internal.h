/*
 * internal.h - helpers shared by every lib/ source file; not part of the public API.
 *
 * MT_TRY(expr) returns the error code of expr if it is non-zero.
 * MT_ENSURE(cond, err) returns err when cond is false.
 * With a cleanup label, use MT_TRY_GOTO / MT_ENSURE_GOTO, which set `rc` and jump to out.
 */
#ifndef MT_INTERNAL_H
#define MT_INTERNAL_H

#include "moontls.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MT_TRY(expr)                                                                               \
    do {                                                                                           \
        int mt_try_rc_ = (expr);                                                                   \
        if (mt_try_rc_ != 0) return mt_try_rc_;                                                    \
    } while (0)

#define MT_ENSURE(cond, err)                                                                       \
    do {                                                                                           \
        if (!(cond)) return (err);                                                                 \
    } while (0)

#define MT_TRY_GOTO(expr)                                                                          \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc != 0) goto out;                                                                     \
    } while (0)

#define MT_ENSURE_GOTO(cond, err)                                                                  \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            rc = (err);                                                                            \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

#define MT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
