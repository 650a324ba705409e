/*
 * hostname.c - RFC 6125 host name verification against subjectAltName. See verify.h.
 *
 * Notes:
 * - Kept apart from verify.c so it does not depend on the public-key crypto.
 * - IP literals are recognised with inet_pton (pure parsing, no I/O): a dotted-quad
 *   IPv4 address or an IPv6 address; they are compared as 4 or 16 octets with the
 *   iPAddress entries (RFC 5280 4.2.1.6), never with dNSName entries, and a wildcard
 *   never matches them (RFC 6125 6.4.3 applies to DNS domain names only).
 */
#include "../internal.h"
#include "verify.h"

#include <arpa/inet.h>

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive equality of two byte strings (RFC 6125 6.4.1: ASCII case-insensitive;
 * A-labels are ASCII, so IDNs compare correctly in their A-label form). */
static int eq_nocase(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    if (an != bn) return 0;
    for (size_t i = 0; i < an; i++)
        if (lower(a[i]) != lower(b[i])) return 0;
    return 1;
}

static int contains(const uint8_t *s, size_t n, uint8_t c)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == c) return 1;
    return 0;
}

int mt_x509_dns_match(const uint8_t *pattern, size_t plen, const char *host)
{
    const uint8_t *h = (const uint8_t *)host;
    size_t hlen = strlen(host);
    /* An absolute name ("example.com.") is the same name. */
    if (plen > 0 && pattern[plen - 1] == '.') plen--;
    if (hlen > 0 && h[hlen - 1] == '.') hlen--;
    if (plen == 0 || hlen == 0) return 0;
    /* A NUL inside a dNSName is an old attack on C string handling: never a match. */
    if (contains(pattern, plen, 0) || contains(h, hlen, '*')) return 0;

    if (!(plen >= 2 && pattern[0] == '*' && pattern[1] == '.'))
        return !contains(pattern, plen, '*') && eq_nocase(pattern, plen, h, hlen);

    /* RFC 6125 6.4.3: the wildcard is the complete left-most label ("f*.example.com" and
     * "*oo.example.com" are not accepted: RFC 9525 6.3 drops partial wildcards); it
     * matches one label only, so "*.example.com" matches neither "example.com" nor
     * "a.b.example.com". The rest must hold two labels or more, so "*.com" matches
     * nothing. */
    const uint8_t *rest = pattern + 2;
    size_t rlen = plen - 2;
    if (contains(rest, rlen, '*') || !contains(rest, rlen, '.')) return 0;
    if (rest[0] == '.' || rest[rlen - 1] == '.') return 0;
    size_t first = 0;
    while (first < hlen && h[first] != '.')
        first++;
    if (first == 0 || first == hlen) return 0;
    return eq_nocase(rest, rlen, h + first + 1, hlen - first - 1);
}

int mt_x509_check_host(const mt_x509_cert *cert, const char *host)
{
    MT_ENSURE(host != NULL && host[0] != 0, MT_ERR_BAD_PARAM);
    uint8_t ip[16];
    size_t ip_len = 0;
    if (inet_pton(AF_INET, host, ip) == 1)
        ip_len = 4;
    else if (inet_pton(AF_INET6, host, ip) == 1)
        ip_len = 16;

    for (size_t i = 0; i < cert->san_count; i++) {
        const mt_x509_general_name *gn = &cert->san[i];
        if (ip_len && gn->type == MT_X509_GN_IP && gn->value.len == ip_len &&
            memcmp(gn->value.p, ip, ip_len) == 0)
            return 0;
        if (!ip_len && gn->type == MT_X509_GN_DNS &&
            mt_x509_dns_match(gn->value.p, gn->value.len, host))
            return 0;
    }
    return MT_ERR_CERT_BAD;
}
