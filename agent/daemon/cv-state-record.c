#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "cv-state-record.h"

#define MARKER ",\"sha256\":\""
#define SHA256_HEX_LEN 64

static const gchar *const param_names[CV_STATE_N_PARAMS] = {
    [CV_STATE_PARAM_DOWNTIME_LIMIT] = "downtime-limit",
    [CV_STATE_PARAM_MAX_BANDWIDTH] = "max-bandwidth",
    [CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH] = "avail-switchover-bandwidth",
};

/* Every member a version 1 record has; anything else is refused. */
static const gchar *const top_members[] = {
    "format",        "version", "migration-id", "uri",        "domain",     "domain-uuid", "policy",
    "policy-sha256", "boot-id", "daemon-pid",   "created-us", "updated-us", "params",      "sha256",
};

const gchar *
cv_state_param_to_string(CvStateParamId id)
{
    if ((guint)id >= CV_STATE_N_PARAMS)
        return NULL;
    return param_names[id];
}

CvStateRecord *
cv_state_record_new(void)
{
    return g_new0(CvStateRecord, 1);
}

CvStateRecord *
cv_state_record_copy(const CvStateRecord *record)
{
    CvStateRecord *copy;

    g_return_val_if_fail(record != NULL, NULL);
    copy = g_new0(CvStateRecord, 1);
    *copy = *record;
    copy->migration_id = g_strdup(record->migration_id);
    copy->uri = g_strdup(record->uri);
    copy->domain = g_strdup(record->domain);
    copy->domain_uuid = g_strdup(record->domain_uuid);
    copy->policy = g_strdup(record->policy);
    copy->policy_sha256 = g_strdup(record->policy_sha256);
    copy->boot_id = g_strdup(record->boot_id);
    return copy;
}

void
cv_state_record_free(CvStateRecord *record)
{
    if (record == NULL)
        return;
    g_free(record->migration_id);
    g_free(record->uri);
    g_free(record->domain);
    g_free(record->domain_uuid);
    g_free(record->policy);
    g_free(record->policy_sha256);
    g_free(record->boot_id);
    g_free(record);
}

void
cv_state_record_add_ours(CvStateRecord *record, CvStateParamId id, guint64 value)
{
    CvStateParam *p;

    g_return_if_fail(record != NULL);
    g_return_if_fail((guint)id < CV_STATE_N_PARAMS);
    p = &record->params[id];
    if (p->n_ours > 0 && p->ours[p->n_ours - 1] == value)
        return;
    if (p->n_ours == CV_STATE_RECORD_MAX_OURS) {
        memmove(p->ours, p->ours + 1, sizeof(p->ours[0]) * (CV_STATE_RECORD_MAX_OURS - 1));
        p->n_ours--;
    }
    p->ours[p->n_ours++] = value;
}

gboolean
cv_state_record_is_ours(const CvStateRecord *record, CvStateParamId id, guint64 value)
{
    g_return_val_if_fail(record != NULL, FALSE);
    g_return_val_if_fail((guint)id < CV_STATE_N_PARAMS, FALSE);
    for (guint i = 0; i < record->params[id].n_ours; i++) {
        if (record->params[id].ours[i] == value)
            return TRUE;
    }
    return FALSE;
}

/* ---- validation shared by both directions ---- */

static gboolean
text_is_clean(const gchar *s)
{
    for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return FALSE;
    }
    return TRUE;
}

static gboolean
check_text(const gchar *member, const gchar *value, gboolean nullable, GError **error)
{
    if (value == NULL) {
        if (nullable)
            return TRUE;
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID, "%s: missing", member);
        return FALSE;
    }
    if (*value == '\0' || strlen(value) > CV_STATE_RECORD_MAX_STRING ||
        !g_utf8_validate(value, -1, NULL) || !text_is_clean(value)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                    "%s: empty, longer than %d bytes, or with control characters", member,
                    CV_STATE_RECORD_MAX_STRING);
        return FALSE;
    }
    return TRUE;
}

static gboolean
is_sha256_hex(const gchar *s)
{
    return s != NULL && strlen(s) == SHA256_HEX_LEN &&
           strspn(s, "0123456789abcdef") == SHA256_HEX_LEN;
}

static gboolean
check_uuid(const gchar *member, const gchar *value, gboolean nullable, GError **error)
{
    if (value == NULL && nullable)
        return TRUE;
    if (value == NULL || !g_uuid_string_is_valid(value)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID, "%s: not a UUID", member);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_record(const CvStateRecord *r, GError **error)
{
    if (!check_uuid("migration-id", r->migration_id, FALSE, error) ||
        !check_text("uri", r->uri, FALSE, error) ||
        !check_text("domain", r->domain, FALSE, error) ||
        !check_uuid("domain-uuid", r->domain_uuid, TRUE, error) ||
        !check_text("policy", r->policy, FALSE, error) ||
        !check_uuid("boot-id", r->boot_id, TRUE, error))
        return FALSE;
    if (r->policy_sha256 != NULL && !is_sha256_hex(r->policy_sha256)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                    "policy-sha256: not 64 lowercase hex digits");
        return FALSE;
    }
    if (r->daemon_pid == 0 || r->daemon_pid > G_MAXINT32) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                    "daemon-pid: %u is not a process id", r->daemon_pid);
        return FALSE;
    }
    if (r->created_us <= 0 || r->updated_us < r->created_us) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                    "created-us %" G_GINT64_FORMAT " and updated-us %" G_GINT64_FORMAT
                    ": not positive, or updated before created",
                    r->created_us, r->updated_us);
        return FALSE;
    }
    for (guint i = 0; i < CV_STATE_N_PARAMS; i++) {
        const CvStateParam *p = &r->params[i];

        if (p->original.state == CV_FIELD_INVALID) {
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                        "params.%s.original: an invalid reading is never recorded", param_names[i]);
            return FALSE;
        }
        if ((p->original.state == CV_FIELD_VALID && p->original.value > G_MAXINT64) ||
            p->n_ours > CV_STATE_RECORD_MAX_OURS) {
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                        "params.%s: value out of range or too many values", param_names[i]);
            return FALSE;
        }
        for (guint j = 0; j < p->n_ours; j++) {
            if (p->ours[j] > G_MAXINT64) {
                g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                            "params.%s.ours: %" G_GUINT64_FORMAT " is out of range", param_names[i],
                            p->ours[j]);
                return FALSE;
            }
        }
    }
    return TRUE;
}

/* ---- writing ---- */

static void
add_string_or_null(JsonBuilder *b, const gchar *name, const gchar *value)
{
    json_builder_set_member_name(b, name);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
add_int(JsonBuilder *b, const gchar *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static gchar *
sha256_hex(const gchar *data, gsize len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

gchar *
cv_state_record_serialize(const CvStateRecord *record, gsize *len, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree gchar *body = NULL;
    g_autofree gchar *sum = NULL;
    gsize body_len = 0;
    gchar *text;

    g_return_val_if_fail(record != NULL, NULL);
    if (!check_record(record, error)) {
        g_prefix_error(error, "cannot write a migration record: ");
        return NULL;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, CV_STATE_RECORD_FORMAT);
    add_int(b, "version", CV_STATE_RECORD_VERSION);
    add_string_or_null(b, "migration-id", record->migration_id);
    add_string_or_null(b, "uri", record->uri);
    add_string_or_null(b, "domain", record->domain);
    add_string_or_null(b, "domain-uuid", record->domain_uuid);
    add_string_or_null(b, "policy", record->policy);
    add_string_or_null(b, "policy-sha256", record->policy_sha256);
    add_string_or_null(b, "boot-id", record->boot_id);
    add_int(b, "daemon-pid", record->daemon_pid);
    add_int(b, "created-us", record->created_us);
    add_int(b, "updated-us", record->updated_us);
    json_builder_set_member_name(b, "params");
    json_builder_begin_object(b);
    for (guint i = 0; i < CV_STATE_N_PARAMS; i++) {
        const CvStateParam *p = &record->params[i];

        json_builder_set_member_name(b, param_names[i]);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "original");
        if (p->original.state == CV_FIELD_VALID)
            json_builder_add_int_value(b, (gint64)p->original.value);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "ours");
        json_builder_begin_array(b);
        for (guint j = 0; j < p->n_ours; j++)
            json_builder_add_int_value(b, (gint64)p->ours[j]);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    body = json_generator_to_data(gen, &body_len);
    /* The checksum covers the object up to its closing brace, which the checksum member
     * replaces: the file stays one JSON object. */
    g_assert(body_len > 2 && body[body_len - 1] == '}');
    body_len--;
    sum = sha256_hex(body, body_len);
    text = g_strdup_printf("%.*s" MARKER "%s\"}\n", (gint)body_len, body, sum);
    if (len != NULL)
        *len = strlen(text);
    return text;
}

/* ---- reading ---- */

static JsonNode *
member(JsonObject *o, const gchar *name)
{
    return json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
}

static gboolean
read_string(JsonObject *o, const gchar *name, gboolean nullable, gchar **out, GError **error)
{
    JsonNode *n = member(o, name);

    if (n == NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: missing", name);
        return FALSE;
    }
    if (JSON_NODE_HOLDS_NULL(n) && nullable) {
        *out = NULL;
        return TRUE;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: not a string%s", name,
                    nullable ? " or null" : "");
        return FALSE;
    }
    *out = g_strdup(json_node_get_string(n));
    return TRUE;
}

/* json-glib wraps integers above G_MAXINT64 to negative values and reads a double as a
 * truncated integer: only a genuine integer node within [min, max] is accepted. */
static gboolean
int_node(JsonNode *n, const gchar *name, gint64 min, gint64 max, gint64 *out, GError **error)
{
    gint64 v;

    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: not an integer", name);
        return FALSE;
    }
    v = json_node_get_int(n);
    if (v < min || v > max) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                    "%s: %" G_GINT64_FORMAT " is out of range", name, v);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

static gboolean
read_int(JsonObject *o, const gchar *name, gint64 min, gint64 max, gint64 *out, GError **error)
{
    JsonNode *n = member(o, name);

    if (n == NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: missing", name);
        return FALSE;
    }
    return int_node(n, name, min, max, out, error);
}

static gboolean
only_members(JsonObject *o, const gchar *where, const gchar *const *names, gsize n_names,
             GError **error)
{
    g_autoptr(GList) list = json_object_get_members(o);

    for (GList *l = list; l != NULL; l = l->next) {
        gboolean known = FALSE;

        for (gsize i = 0; i < n_names && !known; i++)
            known = g_str_equal(names[i], l->data);
        if (!known) {
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s%s: unknown member",
                        where, (const gchar *)l->data);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
read_param(JsonObject *params, CvStateParamId id, CvStateParam *p, GError **error)
{
    static const gchar *const names[] = {"original", "ours"};
    g_autofree gchar *where = g_strdup_printf("params.%s", param_names[id]);
    g_autofree gchar *where_dot = g_strdup_printf("%s.", where);
    JsonNode *n = member(params, param_names[id]);
    JsonObject *o;
    JsonNode *orig;
    JsonNode *ours;
    JsonArray *a;
    gint64 v = 0;

    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: missing or not an object",
                    where);
        return FALSE;
    }
    o = json_node_get_object(n);
    if (!only_members(o, where_dot, names, G_N_ELEMENTS(names), error))
        return FALSE;
    orig = member(o, "original");
    ours = member(o, "ours");
    if (orig == NULL || ours == NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "%s: needs both original and ours", where);
        return FALSE;
    }
    if (JSON_NODE_HOLDS_NULL(orig)) {
        p->original.state = CV_FIELD_ABSENT;
    } else {
        g_autofree gchar *name = g_strdup_printf("%s.original", where);
        if (!int_node(orig, name, 0, G_MAXINT64, &v, error))
            return FALSE;
        p->original.state = CV_FIELD_VALID;
        p->original.value = (guint64)v;
    }
    if (!JSON_NODE_HOLDS_ARRAY(ours)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s.ours: not an array", where);
        return FALSE;
    }
    a = json_node_get_array(ours);
    if (json_array_get_length(a) > CV_STATE_RECORD_MAX_OURS) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID, "%s.ours: more than %d values",
                    where, CV_STATE_RECORD_MAX_OURS);
        return FALSE;
    }
    for (guint i = 0; i < json_array_get_length(a); i++) {
        g_autofree gchar *name = g_strdup_printf("%s.ours[%u]", where, i);
        if (!int_node(json_array_get_element(a, i), name, 0, G_MAXINT64, &v, error))
            return FALSE;
        p->ours[p->n_ours++] = (guint64)v;
    }
    return TRUE;
}

/* The checksum frame: "{...,"sha256":"<64 hex>"}" and at most one newline. */
static gboolean
check_frame(const gchar *data, gsize len, gchar **hex, GError **error)
{
    const gchar *marker = NULL;
    gsize file_len = len;
    gsize body_len;
    const gchar *tail;
    gsize tail_len;

    if (len == 0) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TRUNCATED, "empty");
        return FALSE;
    }
    if (memchr(data, '\0', len) != NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "contains a NUL byte");
        return FALSE;
    }
    if (data[len - 1] == '\n')
        len--;
    for (const gchar *p = data; p != NULL && (gsize)(p - data) < len;) {
        const gchar *found = g_strstr_len(p, (gssize)(len - (gsize)(p - data)), MARKER);
        if (found == NULL)
            break;
        marker = found;
        p = found + 1;
    }
    if (marker == NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TRUNCATED,
                    "ends before its checksum (%" G_GSIZE_FORMAT " bytes)", file_len);
        return FALSE;
    }
    body_len = (gsize)(marker - data);
    tail = marker + strlen(MARKER);
    tail_len = len - body_len - strlen(MARKER);
    if (tail_len < SHA256_HEX_LEN + 2) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TRUNCATED,
                    "ends inside its checksum (%" G_GSIZE_FORMAT " bytes)", file_len);
        return FALSE;
    }
    if (tail_len != SHA256_HEX_LEN + 2 || tail[SHA256_HEX_LEN] != '"' ||
        tail[SHA256_HEX_LEN + 1] != '}') {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "unexpected text after the checksum");
        return FALSE;
    }
    *hex = g_strndup(tail, SHA256_HEX_LEN);
    if (!is_sha256_hex(*hex)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "the checksum is not 64 lowercase hex digits");
        g_clear_pointer(hex, g_free);
        return FALSE;
    }
    {
        g_autofree gchar *sum = sha256_hex(data, body_len);
        if (!g_str_equal(sum, *hex)) {
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                        "checksum mismatch: the content was altered after it was written");
            g_clear_pointer(hex, g_free);
            return FALSE;
        }
    }
    return TRUE;
}

CvStateRecord *
cv_state_record_parse(const gchar *data, gsize len, const gchar *expected_id, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(CvStateRecord) r = cv_state_record_new();
    g_autoptr(GError) local_error = NULL;
    g_autofree gchar *hex = NULL;
    g_autofree gchar *format = NULL;
    g_autofree gchar *sum_member = NULL;
    JsonNode *root;
    JsonObject *o;
    JsonNode *params;
    gint64 v = 0;

    g_return_val_if_fail(data != NULL || len == 0, NULL);
    if (len > CV_STATE_RECORD_MAX_SIZE) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TOO_LARGE,
                    "%" G_GSIZE_FORMAT " bytes, more than the %d a record can have", len,
                    CV_STATE_RECORD_MAX_SIZE);
        return NULL;
    }
    if (!check_frame(data, len, &hex, error))
        return NULL;
    if (!json_parser_load_from_data(parser, data, (gssize)len, &local_error)) {
        /* json-glib quotes the bytes it could not read, invalid UTF-8 included (found by
         * fuzz-state) */
        g_autofree gchar *why = cv_state_printable(local_error->message);

        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "not JSON: %s", why);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "not a JSON object");
        return NULL;
    }
    o = json_node_get_object(root);
    if (!read_string(o, "format", FALSE, &format, error))
        return NULL;
    if (!g_str_equal(format, CV_STATE_RECORD_FORMAT)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "format '%s' is not " CV_STATE_RECORD_FORMAT, format);
        return NULL;
    }
    if (!read_int(o, "version", 0, G_MAXINT32, &v, error))
        return NULL;
    if (v != CV_STATE_RECORD_VERSION) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_VERSION,
                    "version %" G_GINT64_FORMAT ": this daemon reads version %d only", v,
                    CV_STATE_RECORD_VERSION);
        return NULL;
    }
    if (!only_members(o, "", top_members, G_N_ELEMENTS(top_members), error))
        return NULL;
    if (!read_string(o, "sha256", FALSE, &sum_member, error))
        return NULL;
    if (!g_str_equal(sum_member, hex)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "sha256: the member is not the checksum of the record");
        return NULL;
    }
    if (!read_string(o, "migration-id", FALSE, &r->migration_id, error) ||
        !read_string(o, "uri", FALSE, &r->uri, error) ||
        !read_string(o, "domain", FALSE, &r->domain, error) ||
        !read_string(o, "domain-uuid", TRUE, &r->domain_uuid, error) ||
        !read_string(o, "policy", FALSE, &r->policy, error) ||
        !read_string(o, "policy-sha256", TRUE, &r->policy_sha256, error) ||
        !read_string(o, "boot-id", TRUE, &r->boot_id, error))
        return NULL;
    if (!read_int(o, "daemon-pid", 1, G_MAXINT32, &v, error))
        return NULL;
    r->daemon_pid = (guint32)v;
    if (!read_int(o, "created-us", 1, G_MAXINT64, &r->created_us, error) ||
        !read_int(o, "updated-us", 1, G_MAXINT64, &r->updated_us, error))
        return NULL;
    params = member(o, "params");
    if (params == NULL || !JSON_NODE_HOLDS_OBJECT(params)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "params: missing or not an object");
        return NULL;
    }
    if (!only_members(json_node_get_object(params), "params.", param_names,
                      G_N_ELEMENTS(param_names), error))
        return NULL;
    for (guint i = 0; i < CV_STATE_N_PARAMS; i++) {
        if (!read_param(json_node_get_object(params), (CvStateParamId)i, &r->params[i], error))
            return NULL;
    }
    if (!check_record(r, error))
        return NULL;
    if (expected_id != NULL && !g_str_equal(expected_id, r->migration_id)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                    "migration-id %s does not match the file name (%s)", r->migration_id,
                    expected_id);
        return NULL;
    }
    return g_steal_pointer(&r);
}
