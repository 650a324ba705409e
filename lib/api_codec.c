/*
 * api_codec.c - the codec, the validation step and the names table seen from outside lib/
 * (the "Messages as trees" section of moontls.h), for the Lua binding's tls.decode,
 * tls.encode and tls.names.
 *
 * Notes:
 * - Thin on purpose: an mt_msg is an mt_hs_msg plus the buffer mt_msg_encode hands out,
 *   and every call forwards to handshake/codec.h, validate.h or names.h. The public
 *   constants mirror the internal ones value for value (checked below at compile time),
 *   so nothing is translated at run time.
 * - The one piece of knowledge added here is which name table an integer field's value
 *   belongs to (mt_msg_info.names): the schema names fields after the RFC structures, and
 *   those names say it ("cipher_suite", "named_curve", "selected_version", ...). A list of
 *   bare u8 values ("value") takes its table from the list's name (ke_modes,
 *   ec_point_format_list, certificate_types).
 */
#include "handshake/codec.h"
#include "handshake/names.h"
#include "handshake/validate.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(MT_MSG_HELLO_RETRY_REQUEST == (int)MT_HS_HELLO_RETRY_REQUEST, "HRR kind");
_Static_assert(MT_MSG_CT_ALERT == (int)MT_HS_CT_ALERT &&
                   MT_MSG_CT_HANDSHAKE == (int)MT_HS_CT_HANDSHAKE &&
                   MT_MSG_CT_CHANGE_CIPHER_SPEC == (int)MT_HS_CT_CHANGE_CIPHER_SPEC,
               "content types");
_Static_assert(MT_MSG_SIDE_SERVER == (int)MT_HS_SIDE_SERVER &&
                   MT_MSG_KX_ECDHE == (int)MT_HS_KX_ECDHE && MT_MSG_KX_DHE == (int)MT_HS_KX_DHE &&
                   MT_MSG_KX_RSA == (int)MT_HS_KX_RSA && MT_MSG_SIG_ANON == (int)MT_HS_SIG_ANON &&
                   MT_MSG_SIG_LEGACY == (int)MT_HS_SIG_LEGACY &&
                   MT_MSG_SIG_SCHEME == (int)MT_HS_SIG_SCHEME,
               "context values");
_Static_assert(MT_MSG_K_INT == (int)MT_HS_K_INT && MT_MSG_K_OPAQUE == (int)MT_HS_K_OPAQUE &&
                   MT_MSG_K_VEC == (int)MT_HS_K_VEC && MT_MSG_K_LIST == (int)MT_HS_K_LIST &&
                   MT_MSG_K_STRUCT == (int)MT_HS_K_STRUCT && MT_MSG_K_EXT == (int)MT_HS_K_EXT &&
                   MT_MSG_K_MSG == (int)MT_HS_K_MSG,
               "node kinds");
_Static_assert(
    MT_NAMES_HANDSHAKE == (int)MT_NAME_HANDSHAKE && MT_NAMES_EXTENSION == (int)MT_NAME_EXTENSION &&
        MT_NAMES_CIPHER_SUITE == (int)MT_NAME_CIPHER_SUITE &&
        MT_NAMES_GROUP == (int)MT_NAME_GROUP && MT_NAMES_SIGSCHEME == (int)MT_NAME_SIGSCHEME &&
        MT_NAMES_ALERT == (int)MT_NAME_ALERT && MT_NAMES_ALERT_LEVEL == (int)MT_NAME_ALERT_LEVEL &&
        MT_NAMES_CONTENT_TYPE == (int)MT_NAME_CONTENT_TYPE &&
        MT_NAMES_VERSION == (int)MT_NAME_VERSION && MT_NAMES_PSK_MODE == (int)MT_NAME_PSK_MODE &&
        MT_NAMES_EC_POINT_FORMAT == (int)MT_NAME_EC_POINT_FORMAT &&
        MT_NAMES_CERT_TYPE == (int)MT_NAME_CERT_TYPE &&
        MT_NAMES_CERT_STATUS_TYPE == (int)MT_NAME_CERT_STATUS_TYPE &&
        MT_NAMES_COUNT == (int)MT_NAME_KIND_COUNT,
    "name kinds");
_Static_assert(MT_MSG_WHERE_MAX == MT_HS_WHERE_MAX, "where size");

struct mt_msg {
    mt_hs_msg *hs;
    mt_buf enc; /* the last encoding handed out by mt_msg_encode */
};

static int to_hs_ctx(const mt_msg_ctx *ctx, mt_hs_ctx *out)
{
    MT_ENSURE(ctx != NULL, MT_ERR_BAD_PARAM);
    memset(out, 0, sizeof *out);
    out->content_type = ctx->content_type;
    out->version = ctx->version;
    out->side = ctx->side;
    out->kx = ctx->kx;
    out->sig = ctx->sig;
    return 0;
}

static int wrap(mt_hs_msg *hs, mt_msg **out)
{
    mt_msg *m = calloc(1, sizeof *m);
    if (m == NULL) {
        mt_hs_msg_free(hs);
        return MT_ERR_NO_MEMORY;
    }
    m->hs = hs;
    mt_buf_init(&m->enc);
    *out = m;
    return 0;
}

int mt_msg_decode(const mt_msg_ctx *ctx, const uint8_t *p, size_t n, mt_msg **out, char *where,
                  size_t where_cap)
{
    mt_hs_ctx hc;
    mt_hs_msg *hs = NULL;
    if (where && where_cap) where[0] = 0;
    MT_ENSURE(out != NULL, MT_ERR_BAD_PARAM);
    *out = NULL;
    MT_TRY(to_hs_ctx(ctx, &hc));
    MT_TRY(mt_hs_decode(&hc, p, n, &hs, where, where_cap));
    return wrap(hs, out);
}

int mt_msg_new(const mt_msg_ctx *ctx, unsigned kind, mt_msg **out)
{
    mt_hs_ctx hc;
    mt_hs_msg *hs = NULL;
    MT_ENSURE(out != NULL, MT_ERR_BAD_PARAM);
    *out = NULL;
    MT_TRY(to_hs_ctx(ctx, &hc));
    MT_TRY(mt_hs_msg_new(&hc, kind, &hs));
    return wrap(hs, out);
}

void mt_msg_free(mt_msg *m)
{
    if (m == NULL) return;
    mt_hs_msg_free(m->hs);
    mt_buf_free(&m->enc);
    free(m);
}

unsigned mt_msg_kind(const mt_msg *m)
{
    return mt_hs_msg_kind(m->hs);
}

const char *mt_msg_name(const mt_msg *m)
{
    return mt_hs_msg_name(m->hs);
}

const char *mt_msg_title(const mt_msg *m)
{
    return mt_hs_msg_title(m->hs);
}

static int field_is(const char *name, const char *want)
{
    return name != NULL && strcmp(name, want) == 0;
}

/* The name table of an INT node's value, from its field name (see the notes). */
static int int_names(const mt_hs_msg *m, mt_hs_id id, const char *name)
{
    static const struct {
        const char *field;
        int names;
    } by_field[] = {
        {"cipher_suite", MT_NAMES_CIPHER_SUITE}, {"group", MT_NAMES_GROUP},
        {"selected_group", MT_NAMES_GROUP},      {"named_curve", MT_NAMES_GROUP},
        {"scheme", MT_NAMES_SIGSCHEME},          {"algorithm", MT_NAMES_SIGSCHEME},
        {"version", MT_NAMES_VERSION},           {"selected_version", MT_NAMES_VERSION},
        {"legacy_version", MT_NAMES_VERSION},    {"status_type", MT_NAMES_CERT_STATUS_TYPE},
        {"level", MT_NAMES_ALERT_LEVEL},         {"description", MT_NAMES_ALERT},
    };
    static const struct {
        const char *list;
        int names;
    } by_list[] = {
        {"ke_modes", MT_NAMES_PSK_MODE},
        {"ec_point_format_list", MT_NAMES_EC_POINT_FORMAT},
        {"certificate_types", MT_NAMES_CERT_TYPE},
    };
    for (size_t i = 0; i < MT_ARRAY_LEN(by_field); i++)
        if (field_is(name, by_field[i].field)) return by_field[i].names;
    if (!field_is(name, "value")) return -1;
    mt_hs_info parent;
    if (mt_hs_node_info(m, mt_hs_parent(m, id), &parent) != 0) return -1;
    for (size_t i = 0; i < MT_ARRAY_LEN(by_list); i++)
        if (field_is(parent.name, by_list[i].list)) return by_list[i].names;
    return -1;
}

int mt_msg_node(const mt_msg *m, mt_msg_id id, mt_msg_info *info)
{
    mt_hs_info hi;
    MT_ENSURE(m != NULL && info != NULL, MT_ERR_BAD_PARAM);
    MT_TRY(mt_hs_node_info(m->hs, id, &hi));
    memset(info, 0, sizeof *info);
    info->name = hi.name;
    info->kind = hi.kind;
    info->width = hi.width;
    info->value = hi.value;
    info->bytes = hi.bytes.p;
    info->len = hi.bytes.len;
    info->raw = hi.raw;
    info->absent = hi.absent;
    info->has_len = hi.has_len;
    info->len_value = hi.len;
    info->decoded = hi.decoded;
    info->span_off = hi.span_off;
    info->span_len = hi.span_len;
    info->len_at = hi.len_at;
    info->fixed = hi.fixed;
    info->min = hi.min;
    info->max = hi.max;
    info->names = -1;
    switch (hi.kind) {
    case MT_HS_K_INT:
        info->names = int_names(m->hs, id, hi.name);
        break;
    case MT_HS_K_EXT:
        info->names = MT_NAMES_EXTENSION;
        break;
    case MT_HS_K_MSG:
        if (hi.width != 0) info->names = MT_NAMES_HANDSHAKE;
        break;
    case MT_HS_K_LIST:
        info->ext_list = mt_hs_ext_context(m->hs, id) != 0;
        break;
    default:
        break;
    }
    return 0;
}

mt_msg_id mt_msg_first(const mt_msg *m, mt_msg_id id)
{
    return m ? mt_hs_first(m->hs, id) : MT_MSG_NONE;
}

mt_msg_id mt_msg_next(const mt_msg *m, mt_msg_id id)
{
    return m ? mt_hs_next(m->hs, id) : MT_MSG_NONE;
}

int mt_msg_set_int(mt_msg *m, mt_msg_id id, uint64_t v)
{
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_set_int(m->hs, id, v);
}

int mt_msg_set_bytes(mt_msg *m, mt_msg_id id, const void *p, size_t n)
{
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_set_bytes(m->hs, id, p, n);
}

int mt_msg_set_len(mt_msg *m, mt_msg_id id, uint32_t len)
{
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_set_len(m->hs, id, len);
}

int mt_msg_content_len(const mt_msg *m, mt_msg_id id, size_t *len)
{
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_node_content_len(m->hs, id, len);
}

int mt_msg_set_absent(mt_msg *m, mt_msg_id id, int absent)
{
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_set_absent(m->hs, id, absent);
}

int mt_msg_list_add(mt_msg *m, mt_msg_id list, mt_msg_id *id)
{
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_list_add(m->hs, list, SIZE_MAX, id);
}

int mt_msg_ext_add(mt_msg *m, mt_msg_id list, unsigned type, mt_msg_id *id)
{
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_ext_add(m->hs, list, SIZE_MAX, type, id);
}

int mt_msg_encode(mt_msg *m, const uint8_t **p, size_t *n)
{
    MT_ENSURE(m != NULL && p != NULL && n != NULL, MT_ERR_BAD_PARAM);
    mt_buf_reset(&m->enc);
    MT_TRY(mt_hs_encode(m->hs, &m->enc));
    *p = m->enc.data;
    *n = m->enc.len;
    return 0;
}

int mt_msg_validate(const mt_msg *m, const mt_msg *client_hello, char *where, size_t where_cap)
{
    if (where && where_cap) where[0] = 0;
    MT_ENSURE(m != NULL, MT_ERR_BAD_PARAM);
    return mt_hs_validate(m->hs, client_hello ? client_hello->hs : NULL, where, where_cap);
}

const char *mt_names_of(int kind, uint32_t code)
{
    return mt_name_of((mt_name_kind)kind, code);
}

int mt_names_code(int kind, const char *name, uint32_t *code)
{
    return mt_name_code((mt_name_kind)kind, name, code);
}

size_t mt_names_count(int kind)
{
    return mt_name_count((mt_name_kind)kind);
}

int mt_names_at(int kind, size_t i, uint32_t *code, const char **name)
{
    return mt_name_at((mt_name_kind)kind, i, code, name);
}

int mt_names_is_grease(int kind, uint32_t code)
{
    return mt_name_is_grease((mt_name_kind)kind, code);
}

const char *mt_names_kind_name(int kind)
{
    return mt_name_kind_name((mt_name_kind)kind);
}
