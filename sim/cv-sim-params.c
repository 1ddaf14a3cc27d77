#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-sim-params.h"

GQuark
cv_sim_params_error_quark(void)
{
    return g_quark_from_static_string("cv-sim-params-error-quark");
}

#define V72 (1u << CV_SIM_QEMU_7_2)
#define V82 (1u << CV_SIM_QEMU_8_2)
#define V111 (1u << CV_SIM_QEMU_11_1)
#define VALL (V72 | V82 | V111)

typedef enum {
    T_BOOL = 0,
    T_U8,
    T_U32,
    T_U64,
    T_STR,
    T_ENUM,
} ParamType;

typedef struct {
    const gchar *name;
    ParamType type;
    guint versions;
    const gchar *def; /* default as text: number, true/false, or the string */
    const gchar *const *values;
} ParamDef;

static const gchar *const compression_72[] = {"none", "zlib", "zstd", NULL};
static const gchar *const compression_111[] = {"none", "zlib", "zstd", "qatzip",
                                               "qpl",  "uadk", NULL};
static const gchar *const modes_82[] = {"normal", "cpr-reboot", NULL};
static const gchar *const modes_111[] = {"normal", "cpr-reboot", "cpr-transfer", "cpr-exec", NULL};
static const gchar *const zero_page_detection[] = {"none", "legacy", "multifd", NULL};

/* In the order of the real 7.2 reply (hash order), then what later versions added. The
 * 11.1 list follows QEMU 11.1's migration_properties as read in a port pinned to v11.1.0. */
static const ParamDef param_defs[] = {
    {"cpu-throttle-tailslow", T_BOOL, VALL, "false", NULL},
    {"xbzrle-cache-size", T_U64, VALL, "67108864", NULL},
    {"cpu-throttle-initial", T_U8, VALL, "20", NULL},
    {"announce-max", T_U64, VALL, "550", NULL},
    {"decompress-threads", T_U8, V72 | V82, "2", NULL},
    {"compress-threads", T_U8, V72 | V82, "8", NULL},
    {"compress-level", T_U8, V72 | V82, "1", NULL},
    {"multifd-channels", T_U8, VALL, "2", NULL},
    {"multifd-zstd-level", T_U8, VALL, "1", NULL},
    {"announce-initial", T_U64, VALL, "50", NULL},
    {"block-incremental", T_BOOL, V72 | V82, "false", NULL},
    {"compress-wait-thread", T_BOOL, V72 | V82, "true", NULL},
    {"downtime-limit", T_U64, VALL, "300", NULL},
    {"tls-authz", T_STR, VALL, "", NULL},
    {"multifd-compression", T_ENUM, V72 | V82, "none", compression_72},
    {"multifd-compression", T_ENUM, V111, "none", compression_111},
    {"announce-rounds", T_U64, VALL, "5", NULL},
    {"announce-step", T_U64, VALL, "100", NULL},
    {"tls-creds", T_STR, VALL, "", NULL},
    {"multifd-zlib-level", T_U8, VALL, "1", NULL},
    {"max-cpu-throttle", T_U8, VALL, "99", NULL},
    {"max-postcopy-bandwidth", T_U64, VALL, "0", NULL},
    {"tls-hostname", T_STR, VALL, "", NULL},
    {"throttle-trigger-threshold", T_U8, VALL, "50", NULL},
    {"max-bandwidth", T_U64, VALL, "134217728", NULL},
    {"x-checkpoint-delay", T_U32, VALL, "20000", NULL},
    {"cpu-throttle-increment", T_U8, VALL, "10", NULL},
    {"avail-switchover-bandwidth", T_U64, V82 | V111, "0", NULL},
    {"x-vcpu-dirty-limit-period", T_U64, V82 | V111, "1000", NULL},
    {"vcpu-dirty-limit", T_U64, V82 | V111, "1", NULL},
    {"mode", T_ENUM, V82, "normal", modes_82},
    {"mode", T_ENUM, V111, "normal", modes_111},
    {"multifd-qatzip-level", T_U8, V111, "1", NULL},
    {"zero-page-detection", T_ENUM, V111, "multifd", zero_page_detection},
    {"direct-io", T_BOOL, V111, "false", NULL},
    {"x-rdma-chunk-size", T_U64, V111, "1048576", NULL},
};

/* query-migrate-capabilities order of each version; 7.2 as captured. */
static const gchar *const caps_72[] = {"xbzrle",
                                       "rdma-pin-all",
                                       "auto-converge",
                                       "zero-blocks",
                                       "compress",
                                       "events",
                                       "postcopy-ram",
                                       "x-colo",
                                       "release-ram",
                                       "block",
                                       "return-path",
                                       "pause-before-switchover",
                                       "multifd",
                                       "dirty-bitmaps",
                                       "postcopy-blocktime",
                                       "late-block-activate",
                                       "x-ignore-shared",
                                       "validate-uuid",
                                       "background-snapshot",
                                       "zero-copy-send",
                                       "postcopy-preempt",
                                       NULL};
static const gchar *const caps_82[] = {
    "xbzrle",           "rdma-pin-all",   "auto-converge",       "zero-blocks",
    "compress",         "events",         "postcopy-ram",        "x-colo",
    "release-ram",      "block",          "return-path",         "pause-before-switchover",
    "multifd",          "dirty-bitmaps",  "postcopy-blocktime",  "late-block-activate",
    "x-ignore-shared",  "validate-uuid",  "background-snapshot", "zero-copy-send",
    "postcopy-preempt", "switchover-ack", "dirty-limit",         NULL};
static const gchar *const caps_111[] = {"xbzrle",
                                        "rdma-pin-all",
                                        "auto-converge",
                                        "events",
                                        "postcopy-ram",
                                        "x-colo",
                                        "release-ram",
                                        "return-path",
                                        "pause-before-switchover",
                                        "multifd",
                                        "dirty-bitmaps",
                                        "postcopy-blocktime",
                                        "late-block-activate",
                                        "x-ignore-shared",
                                        "validate-uuid",
                                        "background-snapshot",
                                        "zero-copy-send",
                                        "postcopy-preempt",
                                        "switchover-ack",
                                        "dirty-limit",
                                        "mapped-ram",
                                        NULL};

struct _CvSimParams {
    CvSimQemuVersion version;
    JsonObject *values; /* every parameter of this version, in query order */
    const gchar *const *caps;
    gboolean *cap_state;
};

static gboolean
def_in_version(const ParamDef *def, CvSimQemuVersion version)
{
    return (def->versions & (1u << version)) != 0;
}

static const ParamDef *
find_def(CvSimQemuVersion version, const gchar *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        if (def_in_version(&param_defs[i], version) && g_strcmp0(param_defs[i].name, name) == 0)
            return &param_defs[i];
    }
    return NULL;
}

static void
set_u64(JsonObject *obj, const gchar *name, guint64 value)
{
    /* QEMU's parameters stay far below INT64_MAX in practice; keep the JSON an integer */
    json_object_set_int_member(obj, name, (gint64)MIN(value, (guint64)G_MAXINT64));
}

static void
set_default(JsonObject *obj, const ParamDef *def)
{
    switch (def->type) {
    case T_BOOL:
        json_object_set_boolean_member(obj, def->name, g_strcmp0(def->def, "true") == 0);
        break;
    case T_U8:
    case T_U32:
    case T_U64:
        set_u64(obj, def->name, g_ascii_strtoull(def->def, NULL, 10));
        break;
    case T_STR:
    case T_ENUM:
        json_object_set_string_member(obj, def->name, def->def);
        break;
    default:
        break;
    }
}

CvSimParams *
cv_sim_params_new(CvSimQemuVersion version, const CvSimScenario *scenario)
{
    CvSimParams *params = g_new0(CvSimParams, 1);
    guint n_caps = 0;

    params->version = version;
    params->values = json_object_new();
    for (gsize i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        if (def_in_version(&param_defs[i], version))
            set_default(params->values, &param_defs[i]);
    }
    switch (version) {
    case CV_SIM_QEMU_7_2:
        params->caps = caps_72;
        break;
    case CV_SIM_QEMU_8_2:
        params->caps = caps_82;
        break;
    case CV_SIM_QEMU_11_1:
        params->caps = caps_111;
        break;
    default:
        params->caps = caps_111;
        break;
    }
    n_caps = g_strv_length((gchar **)params->caps);
    params->cap_state = g_new0(gboolean, n_caps);
    if (scenario != NULL) {
        set_u64(params->values, "downtime-limit", scenario->downtime_limit_ms);
        set_u64(params->values, "max-bandwidth", scenario->max_bandwidth);
        set_u64(params->values, "max-postcopy-bandwidth", scenario->max_postcopy_bandwidth);
        if (version >= CV_SIM_QEMU_8_2)
            set_u64(params->values, "avail-switchover-bandwidth",
                    scenario->avail_switchover_bandwidth);
        for (guint i = 0; i < n_caps; i++) {
            if (g_strcmp0(params->caps[i], "events") == 0)
                params->cap_state[i] = scenario->cap_events;
            else if (g_strcmp0(params->caps[i], "postcopy-ram") == 0)
                params->cap_state[i] = scenario->cap_postcopy_ram;
        }
    }
    return params;
}

void
cv_sim_params_free(CvSimParams *params)
{
    if (params == NULL)
        return;
    json_object_unref(params->values);
    g_free(params->cap_state);
    g_free(params);
}

JsonNode *
cv_sim_params_query(const CvSimParams *params)
{
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    JsonObject *copy = json_object_new();
    g_autoptr(GList) members = json_object_get_members(params->values);

    for (GList *l = members; l != NULL; l = l->next) {
        const gchar *name = l->data;
        json_object_set_member(copy, name,
                               json_node_copy(json_object_get_member(params->values, name)));
    }
    json_node_take_object(node, copy);
    return node;
}

JsonNode *
cv_sim_params_query_capabilities(const CvSimParams *params)
{
    JsonArray *array = json_array_new();
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);

    for (guint i = 0; params->caps[i] != NULL; i++) {
        JsonObject *item = json_object_new();
        json_object_set_boolean_member(item, "state", params->cap_state[i]);
        json_object_set_string_member(item, "capability", params->caps[i]);
        json_array_add_object_element(array, item);
    }
    json_node_take_array(node, array);
    return node;
}

guint64
cv_sim_params_get_u64(const CvSimParams *params, const gchar *name)
{
    JsonNode *node = json_object_get_member(params->values, name);

    if (node == NULL || json_node_get_value_type(node) != G_TYPE_INT64)
        return 0;
    return (guint64)json_node_get_int(node);
}

gboolean
cv_sim_params_get_capability(const CvSimParams *params, const gchar *name)
{
    for (guint i = 0; params->caps[i] != NULL; i++) {
        if (g_strcmp0(params->caps[i], name) == 0)
            return params->cap_state[i];
    }
    return FALSE;
}

/* ---- argument checking, with QEMU's QAPI visitor messages --------------------------- */

static gboolean
node_is(JsonNode *node, GType type)
{
    return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

/* QEMU reads unsigned members through uint64, accepting negative numbers for backward
 * compatibility, then range-checks narrower types. */
static gboolean
check_unsigned(JsonNode *node, const gchar *name, ParamType type, guint64 *out, GError **error)
{
    guint64 value;
    guint64 max = G_MAXUINT64;
    const gchar *type_name = "uint64";

    if (!node_is(node, G_TYPE_INT64)) {
        g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                    "Parameter '%s' expects uint64", name);
        return FALSE;
    }
    value = (guint64)json_node_get_int(node);
    if (type == T_U8) {
        max = G_MAXUINT8;
        type_name = "uint8";
    } else if (type == T_U32) {
        max = G_MAXUINT32;
        type_name = "uint32";
    }
    if (value > max) {
        g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                    "Parameter '%s' expects %s", name, type_name);
        return FALSE;
    }
    *out = value;
    return TRUE;
}

/* One member against its type; unsigned values come back in @number (full 64 bits). */
static gboolean
check_member(const ParamDef *def, JsonNode *node, JsonNode **converted, guint64 *number,
             GError **error)
{
    switch (def->type) {
    case T_BOOL:
        if (!node_is(node, G_TYPE_BOOLEAN)) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Invalid parameter type for '%s', expected: boolean", def->name);
            return FALSE;
        }
        *converted = json_node_copy(node);
        return TRUE;
    case T_U8:
    case T_U32:
    case T_U64:
        if (!check_unsigned(node, def->name, def->type, number, error))
            return FALSE;
        *converted = json_node_new(JSON_NODE_VALUE);
        json_node_set_int(*converted, (gint64)MIN(*number, (guint64)G_MAXINT64));
        return TRUE;
    case T_STR:
        /* tls-* are StrOrNull when set: null means the empty string */
        if (JSON_NODE_HOLDS_NULL(node)) {
            *converted = json_node_new(JSON_NODE_VALUE);
            json_node_set_string(*converted, "");
            return TRUE;
        }
        if (!node_is(node, G_TYPE_STRING)) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Invalid parameter type for '%s', expected: string", def->name);
            return FALSE;
        }
        *converted = json_node_copy(node);
        return TRUE;
    case T_ENUM:
        if (!node_is(node, G_TYPE_STRING)) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Invalid parameter type for '%s', expected: string", def->name);
            return FALSE;
        }
        if (!g_strv_contains(def->values, json_node_get_string(node))) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Parameter '%s' does not accept value '%s'", def->name,
                        json_node_get_string(node));
            return FALSE;
        }
        *converted = json_node_copy(node);
        return TRUE;
    default:
        g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                    "Parameter '%s' is unexpected", def->name);
        return FALSE;
    }
}

/* migrate_params_check(): the ranges QEMU enforces, in its order. 7.2 and 8.2 name the
 * parameter with underscores; newer releases word it as "Option NAME expects ...". */
typedef struct {
    const gchar *name;
    const gchar *old_name;
    guint64 min;
    guint64 max;
    const gchar *range;
} RangeDef;

static const RangeDef range_defs[] = {
    {"throttle-trigger-threshold", "throttle_trigger_threshold", 1, 100, "1 to 100"},
    {"cpu-throttle-initial", "cpu_throttle_initial", 1, 99, "1 to 99"},
    {"cpu-throttle-increment", "cpu_throttle_increment", 1, 99, "1 to 99"},
    {"downtime-limit", "downtime_limit", 0, 2000000, "0 to (2000 * 1000) ms"},
};

static gboolean
check_range(CvSimQemuVersion version, const gchar *name, guint64 value, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(range_defs); i++) {
        const RangeDef *r = &range_defs[i];
        if (g_strcmp0(r->name, name) != 0)
            continue;
        if (value >= r->min && value <= r->max)
            return TRUE;
        if (version >= CV_SIM_QEMU_11_1)
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_RANGE,
                        "Option %s expects an integer in the range of %s", r->name, r->range);
        else
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_RANGE,
                        "Parameter '%s' expects an integer in the range of %s", r->old_name,
                        r->range);
        return FALSE;
    }
    return TRUE;
}

gboolean
cv_sim_params_set(CvSimParams *params, JsonObject *arguments, GError **error)
{
    g_autoptr(JsonObject) staged = json_object_new();
    g_autoptr(GHashTable) numbers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_autoptr(GList) members = NULL;
    g_autoptr(GList) staged_members = NULL;

    if (arguments == NULL)
        return TRUE;
    /* the visitor walks the schema's members first, then complains about leftovers; the
     * range checks of migrate_params_check() come last */
    for (gsize i = 0; i < G_N_ELEMENTS(param_defs); i++) {
        const ParamDef *def = &param_defs[i];
        JsonNode *node;
        JsonNode *converted = NULL;
        guint64 number = 0;

        if (!def_in_version(def, params->version))
            continue;
        node = json_object_get_member(arguments, def->name);
        if (node == NULL)
            continue;
        if (!check_member(def, node, &converted, &number, error))
            return FALSE;
        json_object_set_member(staged, def->name, converted);
        if (def->type == T_U8 || def->type == T_U32 || def->type == T_U64)
            g_hash_table_insert(numbers, (gpointer)def->name, g_memdup2(&number, sizeof(number)));
    }
    members = json_object_get_members(arguments);
    for (GList *l = members; l != NULL; l = l->next) {
        if (find_def(params->version, l->data) == NULL) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Parameter '%s' is unexpected", (const gchar *)l->data);
            return FALSE;
        }
    }
    for (gsize i = 0; i < G_N_ELEMENTS(range_defs); i++) {
        const guint64 *number = g_hash_table_lookup(numbers, range_defs[i].name);
        if (number != NULL && !check_range(params->version, range_defs[i].name, *number, error))
            return FALSE;
    }
    staged_members = json_object_get_members(staged);
    for (GList *l = staged_members; l != NULL; l = l->next) {
        const gchar *name = l->data;
        json_object_set_member(params->values, name,
                               json_node_copy(json_object_get_member(staged, name)));
    }
    return TRUE;
}

static gint
cap_index(const CvSimParams *params, const gchar *name)
{
    for (guint i = 0; params->caps[i] != NULL; i++) {
        if (g_strcmp0(params->caps[i], name) == 0)
            return (gint)i;
    }
    return -1;
}

gboolean
cv_sim_params_set_capabilities(CvSimParams *params, JsonObject *arguments, gboolean migrating,
                               GError **error)
{
    JsonNode *list = arguments != NULL ? json_object_get_member(arguments, "capabilities") : NULL;
    g_autoptr(GList) members = NULL;
    g_autoptr(GArray) changes = g_array_new(FALSE, FALSE, sizeof(gint) * 2);
    JsonArray *array;

    if (list == NULL) {
        g_set_error_literal(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                            "Parameter 'capabilities' is missing");
        return FALSE;
    }
    if (!JSON_NODE_HOLDS_ARRAY(list)) {
        g_set_error_literal(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                            "Invalid parameter type for 'capabilities', expected: array");
        return FALSE;
    }
    array = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *item = json_array_get_element(array, i);
        JsonObject *obj;
        JsonNode *cap;
        JsonNode *state;
        gint change[2];
        g_autoptr(GList) keys = NULL;

        if (!JSON_NODE_HOLDS_OBJECT(item)) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Invalid parameter type for 'capabilities[%u]', expected: object", i);
            return FALSE;
        }
        obj = json_node_get_object(item);
        cap = json_object_get_member(obj, "capability");
        state = json_object_get_member(obj, "state");
        if (cap == NULL) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Parameter 'capabilities[%u].capability' is missing", i);
            return FALSE;
        }
        if (!node_is(cap, G_TYPE_STRING)) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Invalid parameter type for 'capabilities[%u].capability', expected: "
                        "string",
                        i);
            return FALSE;
        }
        change[0] = cap_index(params, json_node_get_string(cap));
        if (change[0] < 0) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Parameter 'capabilities[%u].capability' does not accept value '%s'", i,
                        json_node_get_string(cap));
            return FALSE;
        }
        if (state == NULL) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Parameter 'capabilities[%u].state' is missing", i);
            return FALSE;
        }
        if (!node_is(state, G_TYPE_BOOLEAN)) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Invalid parameter type for 'capabilities[%u].state', expected: boolean",
                        i);
            return FALSE;
        }
        keys = json_object_get_members(obj);
        for (GList *l = keys; l != NULL; l = l->next) {
            if (g_strcmp0(l->data, "capability") != 0 && g_strcmp0(l->data, "state") != 0) {
                g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                            "Parameter 'capabilities[%u].%s' is unexpected", i,
                            (const gchar *)l->data);
                return FALSE;
            }
        }
        change[1] = json_node_get_boolean(state);
        g_array_append_vals(changes, change, 1);
    }
    members = json_object_get_members(arguments);
    for (GList *l = members; l != NULL; l = l->next) {
        if (g_strcmp0(l->data, "capabilities") != 0) {
            g_set_error(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_INVALID,
                        "Parameter '%s' is unexpected", (const gchar *)l->data);
            return FALSE;
        }
    }
    if (migrating) {
        g_set_error_literal(error, CV_SIM_PARAMS_ERROR, CV_SIM_PARAMS_ERROR_IN_PROGRESS,
                            "There's a migration process in progress");
        return FALSE;
    }
    for (guint i = 0; i < changes->len; i++) {
        const gint *change = &g_array_index(changes, gint, i * 2);
        params->cap_state[change[0]] = change[1];
    }
    return TRUE;
}
