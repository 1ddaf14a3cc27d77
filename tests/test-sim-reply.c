/* The simulator's JSON: query-migrate presence rules per version and state, parameters and
 * capabilities with QEMU's errors, and 7.2 mode against real QEMU 7.2 captures. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-sim-model.h"
#include "cv-sim-params.h"
#include "cv-sim-reply.h"

/* ---- helpers ------------------------------------------------------------------------ */

static JsonNode *
load_capture(const gchar *name)
{
    g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "data", "sim", name, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;

    json_parser_load_from_file(parser, path, &error);
    g_assert_no_error(error);
    return json_node_copy(json_parser_get_root(parser));
}

static JsonNode *
parse(const gchar *text)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;

    json_parser_load_from_data(parser, text, -1, &error);
    g_assert_no_error(error);
    return json_node_copy(json_parser_get_root(parser));
}

static const gchar *
kind_name(JsonNode *node)
{
    switch (JSON_NODE_TYPE(node)) {
    case JSON_NODE_OBJECT:
        return "object";
    case JSON_NODE_ARRAY:
        return "array";
    case JSON_NODE_NULL:
        return "null";
    case JSON_NODE_VALUE:
        return g_type_name(json_node_get_value_type(node));
    default:
        return "?";
    }
}

/* Same keys, recursively, and the same JSON type for every value (int stays int, double
 * stays double). Arrays: same length, element by element. */
static void
assert_same_shape(JsonNode *ours, JsonNode *real, const gchar *where)
{
    if (g_strcmp0(kind_name(ours), kind_name(real)) != 0)
        g_error("%s: ours is %s, QEMU's is %s", where, kind_name(ours), kind_name(real));
    if (JSON_NODE_HOLDS_OBJECT(real)) {
        JsonObject *a = json_node_get_object(ours);
        JsonObject *b = json_node_get_object(real);
        g_autoptr(GList) keys_b = json_object_get_members(b);
        g_autoptr(GList) keys_a = json_object_get_members(a);

        for (GList *l = keys_b; l != NULL; l = l->next) {
            g_autofree gchar *sub = g_strdup_printf("%s.%s", where, (const gchar *)l->data);
            if (!json_object_has_member(a, l->data))
                g_error("%s: missing in ours", sub);
            assert_same_shape(json_object_get_member(a, l->data),
                              json_object_get_member(b, l->data), sub);
        }
        for (GList *l = keys_a; l != NULL; l = l->next) {
            if (!json_object_has_member(b, l->data))
                g_error("%s.%s: not in QEMU's reply", where, (const gchar *)l->data);
        }
    } else if (JSON_NODE_HOLDS_ARRAY(real)) {
        JsonArray *a = json_node_get_array(ours);
        JsonArray *b = json_node_get_array(real);

        g_assert_cmpuint(json_array_get_length(a), ==, json_array_get_length(b));
        for (guint i = 0; i < json_array_get_length(b); i++) {
            g_autofree gchar *sub = g_strdup_printf("%s[%u]", where, i);
            assert_same_shape(json_array_get_element(a, i), json_array_get_element(b, i), sub);
        }
    }
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gchar *
keys_of(JsonNode *node)
{
    g_autoptr(GList) keys = json_object_get_members(json_node_get_object(node));
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();

    for (GList *l = keys; l != NULL; l = l->next)
        g_ptr_array_add(sorted, l->data);
    g_ptr_array_sort(sorted, compare_strings);
    g_ptr_array_add(sorted, NULL);
    return g_strjoinv(",", (gchar **)sorted->pdata);
}

static CvSimScenario *
load_scenario(const gchar *name)
{
    g_autofree gchar *file = g_strconcat(name, ".scenario", NULL);
    g_autofree gchar *path = g_build_filename(SOURCE_DATADIR, "scenarios", file, NULL);
    g_autoptr(GError) error = NULL;
    CvSimScenario *sc = cv_sim_scenario_load_file(path, &error);

    g_assert_no_error(error);
    return sc;
}

/* ---- 7.2 against the captures ------------------------------------------------------- */

static void
test_capture_before(void)
{
    g_autoptr(CvSimScenario) sc = load_scenario("idle");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_7_2, 1);
    g_autoptr(JsonNode) real = load_capture("qemu-7.2-r64-bw64-query-migrate-before.json");
    g_autoptr(JsonNode) ours = NULL;
    CvSimInfo info;

    cv_sim_model_get_info(m, &info);
    ours = cv_sim_reply_query_migrate(&info, CV_SIM_QEMU_7_2);
    g_assert_true(json_node_equal(ours, real));
}

static void
test_capture_active_and_final(void)
{
    g_autoptr(CvSimScenario) sc = load_scenario("ram-hog");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_7_2, 1);
    g_autoptr(JsonNode) active = load_capture("qemu-7.2-r64-bw64-active-01.json");
    g_autoptr(JsonNode) final = load_capture("qemu-7.2-r64-bw64-query-migrate-final.json");
    g_autoptr(JsonNode) ours = NULL;
    g_autoptr(JsonNode) ours_final = NULL;
    CvSimInfo info;

    g_assert_true(cv_sim_model_migrate(m, NULL));
    cv_sim_model_advance(m, 10);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpuint(info.ram_dirty_sync_count, >=, 2);
    ours = cv_sim_reply_query_migrate(&info, CV_SIM_QEMU_7_2);
    assert_same_shape(ours, active, "return");
    cv_sim_model_stop(m);
    cv_sim_model_advance(m, 30);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_COMPLETED);
    ours_final = cv_sim_reply_query_migrate(&info, CV_SIM_QEMU_7_2);
    assert_same_shape(ours_final, final, "return");
}

static void
test_capture_final_states(void)
{
    CvSimInfo info = {0};
    g_autoptr(JsonNode) cancelled = load_capture("qemu-7.2-cancelled.json");
    g_autoptr(JsonNode) failed = load_capture("qemu-7.2-failed-dest-killed.json");
    g_autoptr(JsonNode) ours = NULL;
    g_autoptr(JsonNode) ours_failed = NULL;

    info.status = CV_MIGRATION_STATUS_CANCELLED;
    ours = cv_sim_reply_query_migrate(&info, CV_SIM_QEMU_7_2);
    g_assert_true(json_node_equal(ours, cancelled));
    info.status = CV_MIGRATION_STATUS_FAILED;
    info.error_desc = "Unable to write to socket: Broken pipe";
    ours_failed = cv_sim_reply_query_migrate(&info, CV_SIM_QEMU_7_2);
    g_assert_true(json_node_equal(ours_failed, failed));
}

static void
test_capture_capabilities(void)
{
    g_autoptr(CvSimParams) params = cv_sim_params_new(CV_SIM_QEMU_7_2, NULL);
    g_autoptr(JsonNode) real = load_capture("qemu-7.2-r64-bw64-query-migrate-capabilities.json");
    g_autoptr(JsonNode) ours = NULL;
    g_autoptr(JsonNode) args =
        parse("{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}");

    /* the capture was taken with events on */
    g_assert_true(cv_sim_params_set_capabilities(params, json_node_get_object(args), FALSE, NULL));
    ours = cv_sim_params_query_capabilities(params);
    assert_same_shape(ours, real, "return");
    /* same names, same order, same states */
    g_assert_true(json_node_equal(ours, real));
}

static void
test_capture_parameters(void)
{
    g_autoptr(CvSimParams) params = cv_sim_params_new(CV_SIM_QEMU_7_2, NULL);
    g_autoptr(JsonNode) real = load_capture("qemu-7.2-default-migrate-parameters.json");
    g_autoptr(JsonNode) ours = cv_sim_params_query(params);

    assert_same_shape(ours, real, "return");
    /* QEMU's defaults, value for value */
    g_assert_true(json_node_equal(ours, real));
}

static void
test_capture_greeting(void)
{
    g_autofree gchar *line = cv_sim_reply_greeting(CV_SIM_QEMU_7_2);
    g_autoptr(JsonNode) ours = parse(line);
    g_autoptr(JsonNode) real = load_capture("qemu-7.2-greeting.json");

    g_assert_true(json_node_equal(ours, real));
    g_assert_null(strchr(line, '\n'));
}

/* ---- presence rules ----------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    CvSimQemuVersion version;
    CvMigrationStatus status;
    gboolean vfio;
    const gchar *keys; /* sorted */
} PresenceRow;

#define TIME_RAM "expected-downtime,ram,setup-time,status,total-time"
static const PresenceRow presence_rows[] = {
    {"7.2-none", CV_SIM_QEMU_7_2, CV_MIGRATION_STATUS_NONE, FALSE, ""},
    {"7.2-setup", CV_SIM_QEMU_7_2, CV_MIGRATION_STATUS_SETUP, FALSE, "status"},
    {"11.1-setup", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_SETUP, TRUE, "status"},
    {"7.2-active", CV_SIM_QEMU_7_2, CV_MIGRATION_STATUS_ACTIVE, FALSE, TIME_RAM},
    {"7.2-active-vfio", CV_SIM_QEMU_7_2, CV_MIGRATION_STATUS_ACTIVE, TRUE, TIME_RAM ",vfio"},
    {"8.2-active-vfio", CV_SIM_QEMU_8_2, CV_MIGRATION_STATUS_ACTIVE, TRUE, TIME_RAM ",vfio"},
    {"11.1-active", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_ACTIVE, FALSE,
     "expected-downtime,ram,remaining,setup-time,status,total-time"},
    {"11.1-active-vfio", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_ACTIVE, TRUE,
     "expected-downtime,ram,remaining,setup-time,status,total-time,vfio"},
    {"11.1-device", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_DEVICE, TRUE,
     "expected-downtime,ram,remaining,setup-time,status,total-time,vfio"},
    {"7.2-cancelling", CV_SIM_QEMU_7_2, CV_MIGRATION_STATUS_CANCELLING, FALSE, TIME_RAM},
    {"7.2-postcopy", CV_SIM_QEMU_7_2, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE, FALSE, TIME_RAM},
    {"8.2-postcopy", CV_SIM_QEMU_8_2, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE, FALSE,
     "downtime,ram,setup-time,status,total-time"},
    {"11.1-postcopy", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE, FALSE,
     "downtime,ram,remaining,setup-time,status,total-time"},
    {"7.2-completed", CV_SIM_QEMU_7_2, CV_MIGRATION_STATUS_COMPLETED, FALSE,
     "downtime,ram,setup-time,status,total-time"},
    {"11.1-completed-vfio", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_COMPLETED, TRUE,
     "downtime,ram,setup-time,status,total-time,vfio"},
    {"11.1-failing", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_FAILING, FALSE,
     "error-desc,expected-downtime,ram,remaining,setup-time,status,total-time"},
    {"8.2-failed", CV_SIM_QEMU_8_2, CV_MIGRATION_STATUS_FAILED, TRUE, "error-desc,status"},
    {"11.1-cancelled", CV_SIM_QEMU_11_1, CV_MIGRATION_STATUS_CANCELLED, TRUE, "status"},
};

static void
test_presence(gconstpointer data)
{
    const PresenceRow *row = data;
    CvSimInfo info = {0};
    g_autoptr(JsonNode) node = NULL;
    g_autofree gchar *keys = NULL;

    info.status = row->status;
    info.has_vfio = row->vfio;
    info.error_desc = "Unable to write to socket: Broken pipe";
    info.ram_mbps = 460;
    node = cv_sim_reply_query_migrate(&info, row->version);
    keys = keys_of(node);
    g_assert_cmpstr(keys, ==, row->keys);
    if (json_object_has_member(json_node_get_object(node), "ram")) {
        JsonObject *ram = json_object_get_object_member(json_node_get_object(node), "ram");
        /* skipped is still in 7.2 and 8.2, gone by 11.1; mbps is always a double */
        g_assert_cmpint(json_object_has_member(ram, "skipped"), ==,
                        row->version < CV_SIM_QEMU_11_1);
        g_assert_cmpint(json_node_get_value_type(json_object_get_member(ram, "mbps")), ==,
                        G_TYPE_DOUBLE);
        g_assert_cmpuint(json_object_get_size(ram), ==, row->version < CV_SIM_QEMU_11_1 ? 18 : 17);
    }
}

/* ---- unsigned values above INT64_MAX ------------------------------------------------ */

static void
test_u64_on_the_wire(void)
{
    CvSimInfo info = {0};
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(JsonNode) small = cv_sim_reply_u64_node(42);
    g_autofree gchar *line = NULL;

    g_assert_cmpint(json_node_get_value_type(small), ==, G_TYPE_INT64);
    info.status = CV_MIGRATION_STATUS_ACTIVE;
    info.has_vfio = TRUE;
    info.remaining = G_MAXUINT64;
    node = cv_sim_reply_query_migrate(&info, CV_SIM_QEMU_11_1);
    line = cv_sim_reply_finish_line(json_to_string(node, FALSE));
    g_assert_nonnull(strstr(line, "\"remaining\":18446744073709551615"));
    g_assert_null(strstr(line, "@@"));
    g_assert_null(strstr(line, "\"remaining\":\""));
    /* a line without placeholders comes back untouched */
    line = cv_sim_reply_finish_line(g_steal_pointer(&line));
    g_assert_nonnull(strstr(line, "18446744073709551615"));
}

/* ---- query-status, query-version, events -------------------------------------------- */

static void
test_query_status(void)
{
    g_autoptr(JsonNode) old = cv_sim_reply_query_status(CV_SIM_RUN_RUNNING, CV_SIM_QEMU_7_2);
    g_autoptr(JsonNode) new = cv_sim_reply_query_status(CV_SIM_RUN_POSTMIGRATE, CV_SIM_QEMU_11_1);
    g_autoptr(JsonNode) expect_old =
        parse("{\"status\": \"running\", \"singlestep\": false, \"running\": true}");
    g_autoptr(JsonNode) expect_new = parse("{\"status\": \"postmigrate\", \"running\": false}");

    g_assert_true(json_node_equal(old, expect_old));
    g_assert_true(json_node_equal(new, expect_new));
}

static void
test_query_version(void)
{
    g_autoptr(JsonNode) v72 = cv_sim_reply_query_version(CV_SIM_QEMU_7_2);
    g_autoptr(JsonNode) v111 = cv_sim_reply_query_version(CV_SIM_QEMU_11_1);
    g_autoptr(JsonNode) expect72 = parse("{\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7},"
                                         " \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}");
    g_autoptr(JsonNode) expect111 =
        parse("{\"qemu\": {\"micro\": 0, \"minor\": 1, \"major\": 11}, \"package\": \"\"}");

    g_assert_true(json_node_equal(v72, expect72));
    g_assert_true(json_node_equal(v111, expect111));
}

static void
test_event_data(void)
{
    CvSimEvent pass = {CV_SIM_EVENT_MIGRATION_PASS, 1.0, CV_MIGRATION_STATUS_NONE, 247045};
    CvSimEvent mig = {CV_SIM_EVENT_MIGRATION, 1.0, CV_MIGRATION_STATUS_DEVICE, 0};
    CvSimEvent stop = {CV_SIM_EVENT_STOP, 1.0, CV_MIGRATION_STATUS_NONE, 0};
    g_autoptr(JsonObject) pass_data = cv_sim_reply_event_data(&pass);
    g_autoptr(JsonObject) mig_data = cv_sim_reply_event_data(&mig);

    g_assert_cmpstr(cv_sim_reply_event_name(&pass), ==, "MIGRATION_PASS");
    g_assert_cmpint(json_object_get_int_member(pass_data, "pass"), ==, 247045);
    g_assert_cmpstr(cv_sim_reply_event_name(&mig), ==, "MIGRATION");
    g_assert_cmpstr(json_object_get_string_member(mig_data, "status"), ==, "device");
    g_assert_cmpstr(cv_sim_reply_event_name(&stop), ==, "STOP");
    g_assert_null(cv_sim_reply_event_data(&stop));
}

/* ---- migrate-set-parameters --------------------------------------------------------- */

typedef struct {
    const gchar *name;
    CvSimQemuVersion version;
    const gchar *args;
    const gchar *message; /* NULL: accepted */
} SetRow;

#define RANGE_72                                                                                   \
    "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms"
static const SetRow set_rows[] = {
    {"7.2-no-switchover-bandwidth", CV_SIM_QEMU_7_2, "{\"avail-switchover-bandwidth\": 1073741824}",
     "Parameter 'avail-switchover-bandwidth' is unexpected"},
    {"8.2-switchover-bandwidth", CV_SIM_QEMU_8_2, "{\"avail-switchover-bandwidth\": 1073741824}",
     NULL},
    {"11.1-switchover-bandwidth", CV_SIM_QEMU_11_1, "{\"avail-switchover-bandwidth\": 1073741824}",
     NULL},
    {"7.2-limit-max", CV_SIM_QEMU_7_2, "{\"downtime-limit\": 2000000}", NULL},
    {"7.2-limit-above", CV_SIM_QEMU_7_2, "{\"downtime-limit\": 2000001}", RANGE_72},
    {"8.2-limit-above", CV_SIM_QEMU_8_2, "{\"downtime-limit\": 2000001}", RANGE_72},
    {"11.1-limit-above", CV_SIM_QEMU_11_1, "{\"downtime-limit\": 2000001}",
     "Option downtime-limit expects an integer in the range of 0 to (2000 * 1000) ms"},
    {"7.2-limit-negative", CV_SIM_QEMU_7_2, "{\"downtime-limit\": -1}", RANGE_72},
    {"7.2-limit-2^64-1", CV_SIM_QEMU_7_2, "{\"downtime-limit\": 18446744073709551615}", RANGE_72},
    {"7.2-limit-string", CV_SIM_QEMU_7_2, "{\"downtime-limit\": \"300\"}",
     "Parameter 'downtime-limit' expects uint64"},
    {"7.2-limit-double", CV_SIM_QEMU_7_2, "{\"downtime-limit\": 1.5}",
     "Parameter 'downtime-limit' expects uint64"},
    {"7.2-uint8-overflow", CV_SIM_QEMU_7_2, "{\"cpu-throttle-initial\": 300}",
     "Parameter 'cpu-throttle-initial' expects uint8"},
    {"7.2-throttle-range", CV_SIM_QEMU_7_2, "{\"cpu-throttle-initial\": 0}",
     "Parameter 'cpu_throttle_initial' expects an integer in the range of 1 to 99"},
    {"7.2-bool-type", CV_SIM_QEMU_7_2, "{\"block-incremental\": 1}",
     "Invalid parameter type for 'block-incremental', expected: boolean"},
    {"11.1-removed-parameter", CV_SIM_QEMU_11_1, "{\"block-incremental\": false}",
     "Parameter 'block-incremental' is unexpected"},
    {"7.2-enum-value", CV_SIM_QEMU_7_2, "{\"multifd-compression\": \"lz4\"}",
     "Parameter 'multifd-compression' does not accept value 'lz4'"},
    {"7.2-string-type", CV_SIM_QEMU_7_2, "{\"tls-creds\": 5}",
     "Invalid parameter type for 'tls-creds', expected: string"},
    {"7.2-string-null", CV_SIM_QEMU_7_2, "{\"tls-creds\": null}", NULL},
    {"7.2-unknown", CV_SIM_QEMU_7_2, "{\"downtime-limit\": 500, \"nope\": 1}",
     "Parameter 'nope' is unexpected"},
    {"7.2-type-before-unknown", CV_SIM_QEMU_7_2, "{\"nope\": 1, \"downtime-limit\": \"x\"}",
     "Parameter 'downtime-limit' expects uint64"},
    {"7.2-several", CV_SIM_QEMU_7_2, "{\"downtime-limit\": 900, \"max-bandwidth\": 0}", NULL},
};

static void
test_set_parameters(gconstpointer data)
{
    const SetRow *row = data;
    g_autoptr(CvSimParams) params = cv_sim_params_new(row->version, NULL);
    g_autoptr(JsonNode) args = parse(row->args);
    g_autoptr(JsonNode) before = cv_sim_params_query(params);
    g_autoptr(JsonNode) after = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ok = cv_sim_params_set(params, json_node_get_object(args), &error);

    after = cv_sim_params_query(params);
    if (row->message == NULL) {
        g_autoptr(GList) members = json_object_get_members(json_node_get_object(args));
        g_assert_no_error(error);
        g_assert_true(ok);
        for (GList *l = members; l != NULL; l = l->next) {
            JsonNode *set = json_object_get_member(json_node_get_object(args), l->data);
            JsonNode *now = json_object_get_member(json_node_get_object(after), l->data);
            g_assert_nonnull(now);
            if (JSON_NODE_HOLDS_NULL(set))
                g_assert_cmpstr(json_node_get_string(now), ==, "");
            else
                g_assert_true(json_node_equal(set, now));
        }
    } else {
        g_assert_false(ok);
        g_assert_true(error->domain == CV_SIM_PARAMS_ERROR);
        g_assert_cmpstr(error->message, ==, row->message);
        /* nothing applied when anything is refused */
        g_assert_true(json_node_equal(before, after));
    }
}

static void
test_parameter_lists(void)
{
    g_autoptr(CvSimParams) p72 = cv_sim_params_new(CV_SIM_QEMU_7_2, NULL);
    g_autoptr(CvSimParams) p82 = cv_sim_params_new(CV_SIM_QEMU_8_2, NULL);
    g_autoptr(CvSimParams) p111 = cv_sim_params_new(CV_SIM_QEMU_11_1, NULL);
    g_autoptr(JsonNode) q72 = cv_sim_params_query(p72);
    g_autoptr(JsonNode) q82 = cv_sim_params_query(p82);
    g_autoptr(JsonNode) q111 = cv_sim_params_query(p111);
    JsonObject *o82 = json_node_get_object(q82);
    JsonObject *o111 = json_node_get_object(q111);

    g_assert_cmpuint(json_object_get_size(json_node_get_object(q72)), ==, 26);
    g_assert_false(json_object_has_member(json_node_get_object(q72), "avail-switchover-bandwidth"));
    g_assert_cmpint(json_object_get_int_member(o82, "avail-switchover-bandwidth"), ==, 0);
    g_assert_true(json_object_has_member(o82, "compress-level"));
    g_assert_cmpint(json_object_get_int_member(o111, "avail-switchover-bandwidth"), ==, 0);
    g_assert_false(json_object_has_member(o111, "compress-level"));
    g_assert_false(json_object_has_member(o111, "block-incremental"));
    g_assert_cmpstr(json_object_get_string_member(o111, "zero-page-detection"), ==, "multifd");
    g_assert_cmpuint(cv_sim_params_get_u64(p111, "downtime-limit"), ==, 300);
    g_assert_cmpuint(cv_sim_params_get_u64(p72, "avail-switchover-bandwidth"), ==, 0);
}

static void
test_scenario_parameters(void)
{
    g_autoptr(CvSimScenario) sc = load_scenario("ram-hog");
    g_autoptr(CvSimParams) params = cv_sim_params_new(CV_SIM_QEMU_8_2, sc);

    /* libvirt's "unlimited" from the scenario */
    g_assert_cmpuint(cv_sim_params_get_u64(params, "max-bandwidth"), ==,
                     G_GUINT64_CONSTANT(9223372036853727232));
    g_assert_cmpuint(cv_sim_params_get_u64(params, "downtime-limit"), ==, 300);
    g_assert_false(cv_sim_params_get_capability(params, "events"));
}

/* ---- migrate-set-capabilities ------------------------------------------------------- */

typedef struct {
    const gchar *name;
    CvSimQemuVersion version;
    const gchar *args;
    gboolean migrating;
    const gchar *message; /* NULL: accepted */
} CapRow;

static const CapRow cap_rows[] = {
    {"events-on", CV_SIM_QEMU_7_2,
     "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}", FALSE, NULL},
    {"two", CV_SIM_QEMU_11_1,
     "{\"capabilities\":[{\"capability\":\"events\",\"state\":true},"
     "{\"capability\":\"postcopy-ram\",\"state\":true}]}",
     FALSE, NULL},
    {"during-migration", CV_SIM_QEMU_7_2,
     "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}", TRUE,
     "There's a migration process in progress"},
    {"bad-args-first", CV_SIM_QEMU_7_2,
     "{\"capabilities\":[{\"capability\":\"nope\",\"state\":true}]}", TRUE,
     "Parameter 'capabilities[0].capability' does not accept value 'nope'"},
    {"missing", CV_SIM_QEMU_7_2, "{}", FALSE, "Parameter 'capabilities' is missing"},
    {"not-array", CV_SIM_QEMU_7_2, "{\"capabilities\": {}}", FALSE,
     "Invalid parameter type for 'capabilities', expected: array"},
    {"not-object", CV_SIM_QEMU_7_2, "{\"capabilities\": [1]}", FALSE,
     "Invalid parameter type for 'capabilities[0]', expected: object"},
    {"removed-in-11.1", CV_SIM_QEMU_11_1,
     "{\"capabilities\":[{\"capability\":\"zero-blocks\",\"state\":true}]}", FALSE,
     "Parameter 'capabilities[0].capability' does not accept value 'zero-blocks'"},
    {"new-in-8.2", CV_SIM_QEMU_7_2,
     "{\"capabilities\":[{\"capability\":\"switchover-ack\",\"state\":true}]}", FALSE,
     "Parameter 'capabilities[0].capability' does not accept value 'switchover-ack'"},
    {"state-missing", CV_SIM_QEMU_7_2, "{\"capabilities\":[{\"capability\":\"events\"}]}", FALSE,
     "Parameter 'capabilities[0].state' is missing"},
    {"state-type", CV_SIM_QEMU_7_2,
     "{\"capabilities\":[{\"capability\":\"events\",\"state\":\"on\"}]}", FALSE,
     "Invalid parameter type for 'capabilities[0].state', expected: boolean"},
    {"extra-in-item", CV_SIM_QEMU_7_2,
     "{\"capabilities\":[{\"capability\":\"events\",\"state\":true,\"x\":1}]}", FALSE,
     "Parameter 'capabilities[0].x' is unexpected"},
    {"extra-top", CV_SIM_QEMU_7_2, "{\"capabilities\":[],\"x\":1}", FALSE,
     "Parameter 'x' is unexpected"},
};

static void
test_set_capabilities(gconstpointer data)
{
    const CapRow *row = data;
    g_autoptr(CvSimParams) params = cv_sim_params_new(row->version, NULL);
    g_autoptr(JsonNode) args = parse(row->args);
    g_autoptr(GError) error = NULL;
    gboolean ok =
        cv_sim_params_set_capabilities(params, json_node_get_object(args), row->migrating, &error);

    if (row->message == NULL) {
        g_assert_no_error(error);
        g_assert_true(ok);
        g_assert_true(cv_sim_params_get_capability(params, "events"));
    } else {
        g_assert_false(ok);
        g_assert_cmpstr(error->message, ==, row->message);
        g_assert_false(cv_sim_params_get_capability(params, "events"));
    }
}

static void
test_capability_lists(void)
{
    g_autoptr(CvSimParams) p82 = cv_sim_params_new(CV_SIM_QEMU_8_2, NULL);
    g_autoptr(CvSimParams) p111 = cv_sim_params_new(CV_SIM_QEMU_11_1, NULL);
    g_autoptr(JsonNode) q82 = cv_sim_params_query_capabilities(p82);
    g_autoptr(JsonNode) q111 = cv_sim_params_query_capabilities(p111);

    g_assert_cmpuint(json_array_get_length(json_node_get_array(q82)), ==, 23);
    g_assert_cmpuint(json_array_get_length(json_node_get_array(q111)), ==, 21);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/sim/reply/capture/before", test_capture_before);
    g_test_add_func("/sim/reply/capture/active-and-final", test_capture_active_and_final);
    g_test_add_func("/sim/reply/capture/final-states", test_capture_final_states);
    g_test_add_func("/sim/reply/capture/capabilities", test_capture_capabilities);
    g_test_add_func("/sim/reply/capture/parameters", test_capture_parameters);
    g_test_add_func("/sim/reply/capture/greeting", test_capture_greeting);
    for (gsize i = 0; i < G_N_ELEMENTS(presence_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/reply/presence/%s", presence_rows[i].name);
        g_test_add_data_func(p, &presence_rows[i], test_presence);
    }
    g_test_add_func("/sim/reply/u64-on-the-wire", test_u64_on_the_wire);
    g_test_add_func("/sim/reply/query-status", test_query_status);
    g_test_add_func("/sim/reply/query-version", test_query_version);
    g_test_add_func("/sim/reply/event-data", test_event_data);
    for (gsize i = 0; i < G_N_ELEMENTS(set_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/params/set/%s", set_rows[i].name);
        g_test_add_data_func(p, &set_rows[i], test_set_parameters);
    }
    g_test_add_func("/sim/params/lists", test_parameter_lists);
    g_test_add_func("/sim/params/scenario", test_scenario_parameters);
    for (gsize i = 0; i < G_N_ELEMENTS(cap_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/params/capabilities/%s", cap_rows[i].name);
        g_test_add_data_func(p, &cap_rows[i], test_set_capabilities);
    }
    g_test_add_func("/sim/params/capability-lists", test_capability_lists);
    return g_test_run();
}
