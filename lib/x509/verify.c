/*
 * verify.c - signature checks, chain building and path validation. See verify.h.
 *
 * Notes:
 * - Two phases. build_path() finds, for each certificate, an issuer whose name matches
 *   and whose key verifies the signature (anchors first), so the path it returns is
 *   cryptographically linked; a name match whose signature fails is remembered so the
 *   error can say "bad signature" rather than "unknown CA". check_path() then applies
 *   the RFC 5280 6.1 rules to the path, leaf first, and stops at the first failure.
 * - A path is an array of pointers into the two borrowed lists; the anchor is kept
 *   apart. Nothing is allocated except the transient issuer keys inside
 *   mt_x509_verify_signature.
 */
#include "verify.h"
#include "../internal.h"
#include "key.h"

#include <stdarg.h>
#include <stdio.h>

#define MAX_DEPTH_LIMIT 32

typedef struct path {
    const mt_x509_cert *certs[MAX_DEPTH_LIMIT]; /* certs[0] is the leaf */
    unsigned n;
    const mt_x509_cert *anchor; /* NULL when the last cert is itself the anchor */
    int anchor_index;
} path;

/* Fill res (when given) and return err. */
static int fail(mt_x509_verify_result *res, int err, int depth, const mt_x509_cert *c,
                const char *fmt, ...)
{
    if (!res) return err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    va_end(ap);
    size_t used = strlen(res->reason);
    if (c && used < sizeof res->reason)
        snprintf(res->reason + used, sizeof res->reason - used, " [depth %d: %s]", depth,
                 c->subject_text ? c->subject_text : "");
    res->err = err;
    res->depth = depth;
    return err;
}

static int same_der(const mt_x509_cert *a, const mt_x509_cert *b)
{
    return a->der.len == b->der.len && memcmp(a->der.data, b->der.data, a->der.len) == 0;
}

static int names_equal(mt_slice a, mt_slice b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* Could `issuer` have issued `c`? Names equal (RFC 5280 6.1.3 (a)(4)), and when both
 * key identifiers are present they agree (RFC 5280 4.2.1.1: a hint, not a rule, but a
 * mismatch rules the candidate out cheaply). */
static int may_issue(const mt_x509_cert *issuer, const mt_x509_cert *c)
{
    if (!names_equal(issuer->subject, c->issuer)) return 0;
    if (c->authority_key_id.len && issuer->subject_key_id.len)
        return names_equal(c->authority_key_id, issuer->subject_key_id);
    return 1;
}

int mt_x509_verify_signature(const mt_x509_cert *cert, const mt_x509_spki *issuer)
{
    const mt_x509_sigalg *a = &cert->sig_alg;
    mt_x509_key key;
    uint8_t digest[MT_HASH_MAX_LEN];
    size_t dlen = mt_hash_len(a->hash);
    int rc = 0;
    /* SHA-1 certificate signatures are forgeable (SHAttered, RFC 9155 for TLS); SHA-224 is
     * not in the TLS 1.3 signature schemes. Only SHA-2 256/384/512 are accepted. */
    MT_ENSURE(a->hash == MT_HASH_SHA256 || a->hash == MT_HASH_SHA384 || a->hash == MT_HASH_SHA512,
              MT_ERR_UNSUPPORTED);
    MT_ENSURE(a->type == MT_X509_SIG_RSA_PKCS1 || a->type == MT_X509_SIG_RSA_PSS ||
                  a->type == MT_X509_SIG_ECDSA,
              MT_ERR_UNSUPPORTED);
    MT_TRY(mt_x509_key_from_spki(&key, issuer));
    MT_TRY_GOTO(mt_hash(a->hash, cert->tbs.p, cert->tbs.len, digest));
    switch (a->type) {
    case MT_X509_SIG_RSA_PKCS1:
        MT_ENSURE_GOTO(key.type == MT_X509_KEY_RSA && !key.rsa_pss_only, MT_ERR_VERIFY);
        rc = mt_rsa_verify_pkcs1(key.rsa, a->hash, digest, dlen, cert->signature.p,
                                 cert->signature.len);
        break;
    case MT_X509_SIG_RSA_PSS:
        MT_ENSURE_GOTO(key.type == MT_X509_KEY_RSA, MT_ERR_VERIFY);
        rc = mt_rsa_verify_pss(key.rsa, a->hash, digest, dlen, a->pss_salt_len, cert->signature.p,
                               cert->signature.len);
        break;
    case MT_X509_SIG_ECDSA:
        MT_ENSURE_GOTO(key.type == MT_X509_KEY_EC, MT_ERR_VERIFY);
        rc = mt_ecdsa_verify(key.ec, digest, dlen, cert->signature.p, cert->signature.len);
        break;
    default:
        rc = MT_ERR_UNSUPPORTED;
        break;
    }
    /* A malformed signature value is a signature that does not verify. */
    if (rc == MT_ERR_BAD_PARAM || rc == MT_ERR_DECODE) rc = MT_ERR_VERIFY;
out:
    mt_x509_key_free(&key);
    return rc;
}

/* Map a signature check failure to the alert code and a reason. */
static int sig_failure(mt_x509_verify_result *res, int rc, int depth, const mt_x509_cert *c)
{
    switch (rc) {
    case MT_ERR_VERIFY:
        return fail(res, MT_ERR_CERT_BAD, depth, c, "certificate signature does not verify");
    case MT_ERR_UNSUPPORTED:
        return fail(res, MT_ERR_CERT_UNSUPPORTED, depth, c,
                    "unsupported signature algorithm %s or issuer key",
                    mt_oid_name(c->sig_alg.oid));
    case MT_ERR_NO_MEMORY:
        return fail(res, MT_ERR_NO_MEMORY, depth, c, "out of memory");
    default:
        return fail(res, MT_ERR_CERT_UNKNOWN, depth, c,
                    "issuer key cannot check the signature (%s)", mt_err_name(rc));
    }
}

static int build_path(const mt_x509_list *chain, const mt_x509_list *anchors, unsigned max, path *p,
                      mt_x509_verify_result *res)
{
    const mt_x509_cert *cur = &chain->certs[0];
    p->certs[0] = cur;
    p->n = 1;
    p->anchor = NULL;
    p->anchor_index = -1;
    for (;;) {
        int sig_rc = 0; /* first signature failure among name-matching candidates */
        int depth = (int)p->n - 1;
        /* The certificate is itself trusted (a self-signed server certificate listed as
         * an anchor, or a peer sending the root). */
        for (size_t i = 0; i < anchors->count; i++) {
            if (!same_der(&anchors->certs[i], cur)) continue;
            p->anchor_index = (int)i;
            return 0;
        }
        for (size_t i = 0; i < anchors->count; i++) {
            const mt_x509_cert *a = &anchors->certs[i];
            if (!may_issue(a, cur)) continue;
            int rc = mt_x509_verify_signature(cur, &a->spki);
            if (rc == 0) {
                p->anchor = a;
                p->anchor_index = (int)i;
                return 0;
            }
            if (!sig_rc) sig_rc = rc;
        }
        MT_ENSURE(p->n + 1 < max,
                  fail(res, MT_ERR_CERT_UNKNOWN_CA, depth, cur,
                       "certificate chain longer than %u without a trusted CA", max));
        const mt_x509_cert *next = NULL;
        for (size_t i = 1; i < chain->count && !next; i++) {
            const mt_x509_cert *c = &chain->certs[i];
            int used = 0;
            for (unsigned j = 0; j < p->n; j++)
                used |= same_der(p->certs[j], c);
            if (used || !may_issue(c, cur)) continue;
            int rc = mt_x509_verify_signature(cur, &c->spki);
            if (rc == 0)
                next = c;
            else if (!sig_rc)
                sig_rc = rc;
        }
        if (!next && sig_rc) return sig_failure(res, sig_rc, depth, cur);
        if (!next && cur->self_issued)
            return fail(res, MT_ERR_CERT_UNKNOWN_CA, depth, cur,
                        "self-signed certificate is not a trusted anchor");
        MT_ENSURE(next != NULL, fail(res, MT_ERR_CERT_UNKNOWN_CA, depth, cur,
                                     "unknown CA: no trusted issuer \"%s\"", cur->issuer_text));
        p->certs[p->n++] = next;
        cur = next;
    }
}

static int check_time(const mt_x509_cert *c, int depth, int64_t now, mt_x509_verify_result *res)
{
    char when[32];
    /* RFC 5280 6.1.3 (a)(2): the certificate validity period includes the current time. */
    if (now < c->not_before) {
        mt_der_format_time(c->not_before, when, sizeof when);
        return fail(res, MT_ERR_CERT_BAD, depth, c, "certificate is not yet valid (notBefore %s)",
                    when);
    }
    if (now > c->not_after) {
        mt_der_format_time(c->not_after, when, sizeof when);
        return fail(res, MT_ERR_CERT_EXPIRED, depth, c, "certificate has expired (notAfter %s)",
                    when);
    }
    return 0;
}

/* RFC 5280 6.1.4 (k), (l), (m), (n) for a certificate that issued another in the path.
 * `below` counts the non-self-issued intermediates between it and the leaf. */
static int check_issuer(const mt_x509_cert *c, int depth, unsigned below, int is_anchor,
                        mt_x509_verify_result *res)
{
    /* (k): a version 3 issuer must assert cA; a version 1 or 2 anchor predates
     * basicConstraints and is accepted as a CA (it is configuration, not peer input). */
    int v1_anchor = is_anchor && c->version < 3;
    MT_ENSURE(v1_anchor || ((c->ext_present & MT_X509_EXT_BASIC_CONSTRAINTS) && c->is_ca),
              fail(res, MT_ERR_CERT_UNKNOWN_CA, depth, c,
                   "issuer is not a CA (basicConstraints cA is not set)"));
    /* (n): when keyUsage is present, keyCertSign must be set. */
    MT_ENSURE(
        !(c->ext_present & MT_X509_EXT_KEY_USAGE) || (c->key_usage & MT_X509_KU_KEY_CERT_SIGN),
        fail(res, MT_ERR_CERT_UNKNOWN_CA, depth, c, "issuer keyUsage does not allow keyCertSign"));
    /* (l), (m): pathLenConstraint bounds the non-self-issued intermediates below. */
    MT_ENSURE(c->path_len < 0 || below <= (unsigned)c->path_len,
              fail(res, MT_ERR_CERT_UNKNOWN_CA, depth, c,
                   "pathLenConstraint %d exceeded (%u intermediate certificates below)",
                   c->path_len, below));
    return 0;
}

static int check_path(const path *p, const mt_x509_verify_params *params,
                      mt_x509_verify_result *res)
{
    char oid[64];
    unsigned below = 0;
    for (unsigned i = 0; i < p->n; i++) {
        const mt_x509_cert *c = p->certs[i];
        int is_anchor = p->anchor == NULL && i + 1 == p->n;
        MT_TRY(check_time(c, (int)i, params->now, res));
        /* RFC 5280 4.2: reject a critical extension that is not processed. */
        if (c->unknown_critical.len && !is_anchor) {
            if (mt_oid_to_text(c->unknown_critical, oid, sizeof oid) != 0) strcpy(oid, "?");
            return fail(res, MT_ERR_CERT_UNSUPPORTED, (int)i, c,
                        "unsupported critical extension %s", oid);
        }
        if (i > 0) {
            MT_TRY(check_issuer(c, (int)i, below, is_anchor, res));
            if (!c->self_issued) below++;
        }
    }
    if (p->anchor) {
        MT_TRY(check_time(p->anchor, (int)p->n, params->now, res));
        MT_TRY(check_issuer(p->anchor, (int)p->n, below, 1, res));
    }
    return 0;
}

static int check_purpose(const mt_x509_cert *leaf, int purpose, mt_x509_verify_result *res)
{
    unsigned need = purpose == MT_X509_PURPOSE_SERVER   ? MT_X509_EKU_SERVER_AUTH
                    : purpose == MT_X509_PURPOSE_CLIENT ? MT_X509_EKU_CLIENT_AUTH
                                                        : 0;
    /* RFC 5280 4.2.1.12: when extendedKeyUsage is present, the certificate is used only
     * for a listed purpose (anyExtendedKeyUsage allowing any). */
    if (!need || !(leaf->ext_present & MT_X509_EXT_EXT_KEY_USAGE)) return 0;
    if (leaf->ext_key_usage & (need | MT_X509_EKU_ANY)) return 0;
    return fail(res, MT_ERR_CERT_UNSUPPORTED, 0, leaf,
                "extendedKeyUsage does not allow TLS %s authentication",
                purpose == MT_X509_PURPOSE_SERVER ? "server" : "client");
}

int mt_x509_verify_chain(const mt_x509_list *chain, const mt_x509_list *anchors,
                         const mt_x509_verify_params *params, mt_x509_verify_result *res)
{
    path p;
    mt_x509_verify_result scratch;
    if (!res) res = &scratch;
    memset(res, 0, sizeof *res);
    res->depth = -1;
    res->anchor = -1;
    MT_ENSURE(chain && anchors && params, MT_ERR_BAD_PARAM);
    unsigned max = params->max_depth ? params->max_depth : MT_X509_DEFAULT_MAX_DEPTH;
    if (max > MAX_DEPTH_LIMIT) max = MAX_DEPTH_LIMIT;
    MT_ENSURE(chain->count > 0,
              fail(res, MT_ERR_CERT_UNKNOWN, -1, NULL, "empty certificate chain"));

    MT_TRY(build_path(chain, anchors, max, &p, res));
    res->anchor = p.anchor_index;
    res->path_len = p.n + (p.anchor != NULL);
    MT_TRY(check_path(&p, params, res));
    MT_TRY(check_purpose(p.certs[0], params->purpose, res));
    if (params->host && mt_x509_check_host(p.certs[0], params->host) != 0)
        return fail(res, MT_ERR_CERT_BAD, 0, p.certs[0],
                    "certificate does not match host name \"%s\"", params->host);
    return 0;
}
