/*
 * config.c - connection configuration: secure defaults, preference lists, reference
 * counting. Credentials and trust anchors live in cred.c.
 */
#include "cred.h"
#include "engine.h"
#include "handshake/ticket.h"
#include "internal.h"

#include <stdlib.h>
#include <time.h>

static const uint16_t default_suites[] = {0x1301, 0x1302, 0x1303};
static const uint16_t default_groups[] = {0x001d, 0x0017, 0x001e, 0x0018,
                                          0x0019, 0x0100, 0x0101, 0x0102};
static const uint16_t default_sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806,
                                           0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601};

/* What this build implements; a list naming anything else is refused. */
static int in_list(const uint16_t *l, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == v) return 1;
    return 0;
}

static int set_list(uint16_t *dst, size_t *dst_n, const uint16_t *v, size_t n,
                    const uint16_t *known, size_t known_n)
{
    MT_ENSURE(n <= MT_MAX_LIST, MT_ERR_LIMIT);
    MT_ENSURE(n == 0 || v != NULL, MT_ERR_BAD_PARAM);
    if (n == 0) {
        memcpy(dst, known, known_n * sizeof *known);
        *dst_n = known_n;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        MT_ENSURE(in_list(known, known_n, v[i]), MT_ERR_UNSUPPORTED);
    memcpy(dst, v, n * sizeof *v);
    *dst_n = n;
    return 0;
}

static int64_t system_clock(void *ud)
{
    (void)ud;
    /* The one place lib/ reads the clock: the configuration default (DESIGN.md 3). */
    return (int64_t)time(NULL);
}

mt_config *mt_config_new(int role)
{
    if (role != MT_ROLE_CLIENT && role != MT_ROLE_SERVER) return NULL;
    mt_config *cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL) return NULL;
    cfg->refs = 1;
    cfg->role = role;
    cfg->vmin = cfg->vmax = MT_VERSION_TLS13;
    set_list(cfg->suites, &cfg->n_suites, NULL, 0, default_suites, MT_ARRAY_LEN(default_suites));
    set_list(cfg->groups, &cfg->n_groups, NULL, 0, default_groups, MT_ARRAY_LEN(default_groups));
    set_list(cfg->sigalgs, &cfg->n_sigalgs, NULL, 0, default_sigalgs,
             MT_ARRAY_LEN(default_sigalgs));
    cfg->verify = role == MT_ROLE_CLIENT ? MT_VERIFY_PEER : MT_VERIFY_NONE;
    cfg->compat = 1;
    cfg->rng = mt_rng_system();
    cfg->clock = system_clock;
    /* RFC 8446 4.6.1 leaves the count to the server; OpenSSL sends 2 by default. */
    cfg->tickets = role == MT_ROLE_SERVER ? 2 : 0;
    cfg->ticket_lifetime = 7200;
    return cfg;
}

void mt_config_ref(mt_config *cfg)
{
    cfg->refs++;
}

void mt_config_unref(mt_config *cfg)
{
    if (cfg == NULL || --cfg->refs > 0) return;
    for (size_t i = 0; i < cfg->n_creds; i++)
        mt_cred_free(cfg->creds[i]);
    mt_buf_free(&cfg->alpn);
    mt_buf_free(&cfg->ca_pem);
    mt_buf_free(&cfg->hrr_cookie_value);
    for (size_t i = 0; i < MT_ARRAY_LEN(cfg->shapes); i++)
        mt_buf_free(&cfg->shapes[i].extra);
    free(cfg->server_name);
    mt_buf_free(&cfg->ext_psk_identity);
    mt_buf_free(&cfg->ext_psk_key);
    mt_wipe(cfg, sizeof *cfg); /* the ticket key among it */
    free(cfg);
}

int mt_config_set_versions(mt_config *cfg, uint16_t min, uint16_t max)
{
    MT_ENSURE(min <= max && min >= MT_VERSION_TLS10 && max <= MT_VERSION_TLS13, MT_ERR_BAD_PARAM);
    /* TLS 1.0-1.2 arrive with their own state machines; until then only 1.3. */
    MT_ENSURE(max == MT_VERSION_TLS13, MT_ERR_UNSUPPORTED);
    cfg->vmin = MT_VERSION_TLS13;
    cfg->vmax = max;
    return 0;
}

int mt_config_set_suites(mt_config *cfg, const uint16_t *v, size_t n)
{
    return set_list(cfg->suites, &cfg->n_suites, v, n, default_suites,
                    MT_ARRAY_LEN(default_suites));
}

int mt_config_set_groups(mt_config *cfg, const uint16_t *v, size_t n)
{
    return set_list(cfg->groups, &cfg->n_groups, v, n, default_groups,
                    MT_ARRAY_LEN(default_groups));
}

int mt_config_set_sigalgs(mt_config *cfg, const uint16_t *v, size_t n)
{
    return set_list(cfg->sigalgs, &cfg->n_sigalgs, v, n, default_sigalgs,
                    MT_ARRAY_LEN(default_sigalgs));
}

int mt_config_set_key_shares(mt_config *cfg, const uint16_t *v, size_t n)
{
    if (v == NULL && n == 0) {
        cfg->key_shares_set = 0;
        cfg->n_key_shares = 0;
        return 0;
    }
    MT_ENSURE(n <= MT_MAX_LIST, MT_ERR_LIMIT);
    for (size_t i = 0; i < n; i++)
        MT_ENSURE(in_list(default_groups, MT_ARRAY_LEN(default_groups), v[i]), MT_ERR_UNSUPPORTED);
    if (n) memcpy(cfg->key_shares, v, n * sizeof *v);
    cfg->n_key_shares = n;
    cfg->key_shares_set = 1;
    return 0;
}

int mt_config_pin_key_share(mt_config *cfg, uint16_t group, const uint8_t *priv, size_t len)
{
    MT_ENSURE(in_list(default_groups, MT_ARRAY_LEN(default_groups), group), MT_ERR_UNSUPPORTED);
    MT_ENSURE(len > 0 && len <= sizeof cfg->pinned[0].priv, MT_ERR_BAD_PARAM);
    size_t i = 0;
    while (i < cfg->n_pinned && cfg->pinned[i].group != group)
        i++;
    MT_ENSURE(i < MT_MAX_PINNED, MT_ERR_LIMIT);
    cfg->pinned[i].group = group;
    memcpy(cfg->pinned[i].priv, priv, len);
    cfg->pinned[i].len = len;
    if (i == cfg->n_pinned) cfg->n_pinned++;
    return 0;
}

int mt_config_set_alpn(mt_config *cfg, const char *const *names, size_t n)
{
    mt_buf b = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t l = strlen(names[i]);
        /* RFC 7301 3.1: ProtocolName<1..2^8-1> */
        if (l == 0 || l > 255) rc = MT_ERR_BAD_PARAM;
        if (rc == 0) rc = mt_wr_vec8(&b, names[i], l);
    }
    if (rc == 0 && b.len > 0xffff) rc = MT_ERR_LIMIT;
    if (rc) {
        mt_buf_free(&b);
        return rc;
    }
    mt_buf_free(&cfg->alpn);
    cfg->alpn = b;
    return 0;
}

int mt_config_set_server_name(mt_config *cfg, const char *name)
{
    char *copy = NULL;
    if (name) {
        size_t l = strlen(name);
        MT_ENSURE(l > 0 && l < 256, MT_ERR_BAD_PARAM);
        copy = malloc(l + 1);
        MT_ENSURE(copy != NULL, MT_ERR_NO_MEMORY);
        memcpy(copy, name, l + 1);
    }
    free(cfg->server_name);
    cfg->server_name = copy;
    return 0;
}

int mt_config_set_verify(mt_config *cfg, int mode)
{
    MT_ENSURE(mode == MT_VERIFY_NONE || mode == MT_VERIFY_PEER, MT_ERR_BAD_PARAM);
    cfg->verify = mode;
    return 0;
}

void mt_config_set_rng(mt_config *cfg, mt_rng_cb fn, void *ud)
{
    if (fn == NULL) {
        cfg->rng = mt_rng_system();
        return;
    }
    cfg->rng.fn = fn;
    cfg->rng.ud = ud;
}

void mt_config_set_clock(mt_config *cfg, mt_clock_cb fn, void *ud)
{
    cfg->clock = fn ? fn : system_clock;
    cfg->clock_ud = fn ? ud : NULL;
}

void mt_config_set_compat(mt_config *cfg, int on)
{
    cfg->compat = on;
}

void mt_config_set_hrr_cookie(mt_config *cfg, int on)
{
    cfg->hrr_cookie = on;
}

int mt_config_force_hrr(mt_config *cfg, uint16_t group, int twice)
{
    MT_ENSURE(cfg->role == MT_ROLE_SERVER, MT_ERR_BAD_PARAM);
    MT_ENSURE(group == 0 || in_list(default_groups, MT_ARRAY_LEN(default_groups), group),
              MT_ERR_UNSUPPORTED);
    cfg->force_hrr = 1;
    cfg->force_hrr_group = group;
    cfg->force_hrr_twice = twice ? 1 : 0;
    return 0;
}

/* RFC 8446 4.2.2: Cookie { opaque cookie<1..2^16-1>; }, inside an extension whose own
 * length is 16 bits: at most 65533 bytes. */
#define MAX_COOKIE 65533

int mt_config_set_hrr_cookie_value(mt_config *cfg, const uint8_t *p, size_t len)
{
    MT_ENSURE(cfg->role == MT_ROLE_SERVER, MT_ERR_BAD_PARAM);
    if (p == NULL && len == 0) {
        mt_buf_free(&cfg->hrr_cookie_value);
        return 0;
    }
    MT_ENSURE(p != NULL && len >= 1 && len <= MAX_COOKIE, MT_ERR_BAD_PARAM);
    MT_TRY(mt_buf_set(&cfg->hrr_cookie_value, p, len));
    cfg->hrr_cookie = 1;
    return 0;
}

/* The shaping slot of a message kind, or NULL when the kind is not one this role builds;
 * create: take a free slot for a kind that has none yet. */
static struct mt_shape *shape_slot(mt_config *cfg, unsigned kind, int create)
{
    int ok = cfg->role == MT_ROLE_CLIENT
                 ? kind == 1
                 : kind == 2 || kind == 8 || kind == MT_MSG_HELLO_RETRY_REQUEST;
    if (!ok) return NULL;
    for (size_t i = 0; i < MT_ARRAY_LEN(cfg->shapes); i++)
        if (cfg->shapes[i].kind == kind) return &cfg->shapes[i];
    for (size_t i = 0; create && i < MT_ARRAY_LEN(cfg->shapes); i++)
        if (cfg->shapes[i].kind == 0) {
            cfg->shapes[i].kind = kind;
            return &cfg->shapes[i];
        }
    return NULL;
}

int mt_config_set_extension_order(mt_config *cfg, unsigned kind, const uint16_t *types, size_t n)
{
    MT_ENSURE(n == 0 || types != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(n <= MT_MAX_LIST, MT_ERR_LIMIT);
    struct mt_shape *s = shape_slot(cfg, kind, 1);
    MT_ENSURE(s != NULL, MT_ERR_BAD_PARAM);
    if (n) memcpy(s->order, types, n * sizeof *types);
    s->n_order = n;
    return 0;
}

int mt_config_add_extension(mt_config *cfg, unsigned kind, uint16_t type, const uint8_t *data,
                            size_t len)
{
    MT_ENSURE(len <= 0xffff && (len == 0 || data != NULL), MT_ERR_BAD_PARAM);
    struct mt_shape *s = shape_slot(cfg, kind, 1);
    MT_ENSURE(s != NULL, MT_ERR_BAD_PARAM);
    MT_ENSURE(s->extra.len + 4 + len <= 0xffff, MT_ERR_LIMIT);
    MT_TRY(mt_wr_u16(&s->extra, type));
    return mt_wr_vec16(&s->extra, data, len);
}

void mt_config_clear_extensions(mt_config *cfg, unsigned kind)
{
    struct mt_shape *s = shape_slot(cfg, kind, 0);
    if (s == NULL) return;
    mt_buf_free(&s->extra);
    memset(s, 0, sizeof *s);
}

void mt_config_set_hooks(mt_config *cfg, uint32_t mask)
{
    cfg->hooks = mask;
}

int mt_config_set_tickets(mt_config *cfg, unsigned count, uint32_t lifetime)
{
    /* RFC 8446 4.6.1: at most seven days. */
    MT_ENSURE(count <= 255 && lifetime >= 1 && lifetime <= MT_TICKET_MAX_LIFETIME,
              MT_ERR_BAD_PARAM);
    cfg->tickets = count;
    cfg->ticket_lifetime = lifetime;
    return 0;
}

int mt_config_set_ticket_key(mt_config *cfg, const uint8_t *key, size_t len)
{
    MT_ENSURE(key != NULL && len == sizeof cfg->ticket_key, MT_ERR_BAD_PARAM);
    memcpy(cfg->ticket_key, key, len);
    cfg->ticket_key_set = 1;
    return 0;
}

void mt_config_set_psk_ke(mt_config *cfg, int allow_psk_ke)
{
    cfg->psk_ke = allow_psk_ke == 2 ? 2 : allow_psk_ke ? 1 : 0;
}

int mt_config_set_psk(mt_config *cfg, const uint8_t *identity, size_t identity_len,
                      const uint8_t *key, size_t key_len, int hash)
{
    if (identity == NULL) {
        mt_buf_free(&cfg->ext_psk_identity);
        mt_buf_free(&cfg->ext_psk_key);
        cfg->ext_psk_hash = 0;
        return 0;
    }
    MT_ENSURE(identity_len >= 1 && identity_len <= 0xffff, MT_ERR_BAD_PARAM);
    MT_ENSURE(key != NULL && key_len >= 1 && key_len <= 64, MT_ERR_BAD_PARAM);
    MT_ENSURE(hash == MT_PSK_SHA256 || hash == MT_PSK_SHA384, MT_ERR_BAD_PARAM);
    MT_TRY(mt_buf_set(&cfg->ext_psk_identity, identity, identity_len));
    MT_TRY(mt_buf_set(&cfg->ext_psk_key, key, key_len));
    cfg->ext_psk_hash = hash == MT_PSK_SHA256 ? MT_HASH_SHA256 : MT_HASH_SHA384;
    return 0;
}

int mt_config_set_early_data(mt_config *cfg, uint32_t max)
{
    cfg->max_early_data = max;
    return 0;
}
