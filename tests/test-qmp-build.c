#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-build.h"
#include "cv-qmp-frame.h"

/* One row per builder: the exact line QEMU receives, and how it classifies. */
typedef struct {
    const gchar *name;
    gchar *(*build)(void);
    const gchar *expect;
    CvQmpMessageKind kind;
} BuildRow;

static gchar *
b_capabilities(void)
{
    return cv_qmp_build_qmp_capabilities("cv-1");
}

static gchar *
b_capabilities_no_id(void)
{
    return cv_qmp_build_qmp_capabilities(NULL);
}

static gchar *
b_query_version(void)
{
    return cv_qmp_build_query_version("cv-2");
}

static gchar *
b_query_status(void)
{
    return cv_qmp_build_query_status("cv-2");
}

static gchar *
b_query_migrate(void)
{
    return cv_qmp_build_query_migrate("cv-3");
}

static gchar *
b_query_migrate_parameters(void)
{
    return cv_qmp_build_query_migrate_parameters("cv-4");
}

static gchar *
b_query_migrate_capabilities(void)
{
    return cv_qmp_build_query_migrate_capabilities("cv-5");
}

static gchar *
b_set_downtime(void)
{
    CvQmpSetParameters p = {.set_downtime_limit = TRUE, .downtime_limit_ms = 500};
    return cv_qmp_build_migrate_set_parameters(&p, "t1");
}

static gchar *
b_set_all(void)
{
    CvQmpSetParameters p = {
        .set_downtime_limit = TRUE,
        .downtime_limit_ms = 2000,
        .set_max_bandwidth = TRUE,
        .max_bandwidth = G_GUINT64_CONSTANT(134217728),
        .set_avail_switchover_bandwidth = TRUE,
        .avail_switchover_bandwidth = G_GUINT64_CONSTANT(1073741824),
    };
    return cv_qmp_build_migrate_set_parameters(&p, "cv-6");
}

static gchar *
b_set_switchover_only(void)
{
    CvQmpSetParameters p = {
        .downtime_limit_ms = 99, /* ignored: its flag is not set */
        .set_avail_switchover_bandwidth = TRUE,
        .avail_switchover_bandwidth = G_MAXINT64,
    };
    return cv_qmp_build_migrate_set_parameters(&p, "cv-7");
}

static gchar *
b_set_none(void)
{
    CvQmpSetParameters p = {0};
    return cv_qmp_build_migrate_set_parameters(&p, "cv-8");
}

static gchar *
b_set_capability(void)
{
    return cv_qmp_build_migrate_set_capability("postcopy-ram", TRUE, "cv-9");
}

static gchar *
b_set_capability_off(void)
{
    return cv_qmp_build_migrate_set_capability("events", FALSE, NULL);
}

static gchar *
b_migrate(void)
{
    return cv_qmp_build_migrate("tcp:127.0.0.1:4444", "cv-10");
}

static gchar *
b_migrate_escaped(void)
{
    return cv_qmp_build_migrate("unix:/run/a \"b\"\\c", "cv-11");
}

static gchar *
b_postcopy(void)
{
    return cv_qmp_build_migrate_start_postcopy("cv-12");
}

static gchar *
b_cancel(void)
{
    return cv_qmp_build_migrate_cancel("cv-13");
}

static gchar *
b_stop(void)
{
    return cv_qmp_build_stop("cv-14");
}

static gchar *
b_cont(void)
{
    return cv_qmp_build_cont("cv-15");
}

static gchar *
b_command_args(void)
{
    g_autoptr(JsonObject) args = json_object_new();
    gchar *line;

    json_object_set_string_member(args, "command-line", "info migrate");
    line = cv_qmp_build_command("human-monitor-command", args, "cv-16");
    /* not consumed: still ours, still intact */
    g_assert_cmpstr(json_object_get_string_member(args, "command-line"), ==, "info migrate");
    return line;
}

static gchar *
b_greeting(void)
{
    return cv_qmp_build_greeting(7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3");
}

static gchar *
b_greeting_no_package(void)
{
    return cv_qmp_build_greeting(11, 1, 0, NULL);
}

static gchar *
b_return_empty_string_id(void)
{
    g_autoptr(JsonNode) id = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(id, "cv-1");
    return cv_qmp_build_return(NULL, id);
}

static gchar *
b_return_value_int_id(void)
{
    g_autoptr(JsonNode) id = json_node_new(JSON_NODE_VALUE);
    g_autoptr(JsonNode) value = json_from_string("{\"status\":\"active\"}", NULL);
    json_node_set_int(id, 7);
    return cv_qmp_build_return(value, id);
}

static gchar *
b_return_no_id(void)
{
    return cv_qmp_build_return(NULL, NULL);
}

static gchar *
b_error_id(void)
{
    g_autoptr(JsonNode) id = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(id, "cv-2");
    return cv_qmp_build_error("CommandNotFound",
                              "Expecting capabilities negotiation with "
                              "'qmp_capabilities'",
                              id);
}

static gchar *
b_error_no_id(void)
{
    return cv_qmp_build_error("GenericError", "JSON parse error", NULL);
}

static gchar *
b_event_pass(void)
{
    g_autoptr(JsonObject) data = json_object_new();
    json_object_set_int_member(data, "pass", 2);
    return cv_qmp_build_event("MIGRATION_PASS", data, 1795626234, 686366);
}

static gchar *
b_event_stop(void)
{
    return cv_qmp_build_event("STOP", NULL, 1, 2);
}

static const BuildRow build_rows[] = {
    {"qmp-capabilities", b_capabilities, "{\"execute\":\"qmp_capabilities\",\"id\":\"cv-1\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"qmp-capabilities-no-id", b_capabilities_no_id, "{\"execute\":\"qmp_capabilities\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"query-version", b_query_version, "{\"execute\":\"query-version\",\"id\":\"cv-2\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"query-status", b_query_status, "{\"execute\":\"query-status\",\"id\":\"cv-2\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"query-migrate", b_query_migrate, "{\"execute\":\"query-migrate\",\"id\":\"cv-3\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"query-migrate-parameters", b_query_migrate_parameters,
     "{\"execute\":\"query-migrate-parameters\",\"id\":\"cv-4\"}", CV_QMP_MESSAGE_COMMAND},
    {"query-migrate-capabilities", b_query_migrate_capabilities,
     "{\"execute\":\"query-migrate-capabilities\",\"id\":\"cv-5\"}", CV_QMP_MESSAGE_COMMAND},
    {"set-downtime", b_set_downtime,
     "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":500},\"id\":"
     "\"t1\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"set-all", b_set_all,
     "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"downtime-limit\":2000,\"max-"
     "bandwidth\":134217728,\"avail-switchover-bandwidth\":1073741824},\"id\":\"cv-6\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"set-switchover-only", b_set_switchover_only,
     "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"avail-switchover-bandwidth\":"
     "9223372036854775807},\"id\":\"cv-7\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"set-none", b_set_none,
     "{\"execute\":\"migrate-set-parameters\",\"arguments\":{},\"id\":\"cv-8\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"set-capability", b_set_capability,
     "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":"
     "\"postcopy-ram\",\"state\":true}]},\"id\":\"cv-9\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"set-capability-off", b_set_capability_off,
     "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":"
     "\"events\",\"state\":false}]}}",
     CV_QMP_MESSAGE_COMMAND},
    {"migrate", b_migrate,
     "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:4444\"},\"id\":\"cv-10\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"migrate-escaped", b_migrate_escaped,
     "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:/run/a \\\"b\\\"\\\\c\"},\"id\":"
     "\"cv-11\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"migrate-start-postcopy", b_postcopy,
     "{\"execute\":\"migrate-start-postcopy\",\"id\":\"cv-12\"}", CV_QMP_MESSAGE_COMMAND},
    {"migrate-cancel", b_cancel, "{\"execute\":\"migrate_cancel\",\"id\":\"cv-13\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"stop", b_stop, "{\"execute\":\"stop\",\"id\":\"cv-14\"}", CV_QMP_MESSAGE_COMMAND},
    {"cont", b_cont, "{\"execute\":\"cont\",\"id\":\"cv-15\"}", CV_QMP_MESSAGE_COMMAND},
    {"command-arguments", b_command_args,
     "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info "
     "migrate\"},\"id\":\"cv-16\"}",
     CV_QMP_MESSAGE_COMMAND},
    {"greeting", b_greeting,
     "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7},\"package\":"
     "\"Debian 1:7.2+dfsg-7+deb12u18+b3\"},\"capabilities\":[]}}",
     CV_QMP_MESSAGE_GREETING},
    {"greeting-no-package", b_greeting_no_package,
     "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":0,\"minor\":1,\"major\":11},\"package\":\"\"},"
     "\"capabilities\":[]}}",
     CV_QMP_MESSAGE_GREETING},
    {"return-empty", b_return_empty_string_id, "{\"return\":{},\"id\":\"cv-1\"}",
     CV_QMP_MESSAGE_RETURN},
    {"return-value-int-id", b_return_value_int_id, "{\"return\":{\"status\":\"active\"},\"id\":7}",
     CV_QMP_MESSAGE_RETURN},
    {"return-no-id", b_return_no_id, "{\"return\":{}}", CV_QMP_MESSAGE_RETURN},
    {"error-id", b_error_id,
     "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Expecting capabilities negotiation "
     "with 'qmp_capabilities'\"},\"id\":\"cv-2\"}",
     CV_QMP_MESSAGE_ERROR},
    {"error-no-id", b_error_no_id,
     "{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error\"}}",
     CV_QMP_MESSAGE_ERROR},
    {"event-pass", b_event_pass,
     "{\"timestamp\":{\"seconds\":1795626234,\"microseconds\":686366},\"event\":\"MIGRATION_"
     "PASS\",\"data\":{\"pass\":2}}",
     CV_QMP_MESSAGE_EVENT},
    {"event-stop", b_event_stop,
     "{\"timestamp\":{\"seconds\":1,\"microseconds\":2},\"event\":\"STOP\"}", CV_QMP_MESSAGE_EVENT},
};

static void
test_build_row(gconstpointer data)
{
    const BuildRow *row = data;
    g_autofree gchar *line = row->build();
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) msg = NULL;

    g_assert_cmpstr(line, ==, row->expect);
    /* one line on the wire: nothing the writer's CRLF could be confused with */
    g_assert_null(strchr(line, '\n'));
    g_assert_null(strchr(line, '\r'));
    msg = cv_qmp_message_parse(line, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpint(msg->kind, ==, row->kind);
}

/* a value that json-glib would write as a negative number is a programmer error */
static void
test_build_overflow(void)
{
    if (g_test_subprocess()) {
        CvQmpSetParameters p = {.set_max_bandwidth = TRUE, .max_bandwidth = G_MAXUINT64};
        g_autofree gchar *line = cv_qmp_build_migrate_set_parameters(&p, "x");
        g_assert_null(line);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*max_bandwidth <= G_MAXINT64*");
}

/* a newline inside a string must go out escaped */
static void
test_build_newline_escaped(void)
{
    g_autofree gchar *line = cv_qmp_build_error("GenericError", "two\r\nlines", NULL);

    g_assert_null(strchr(line, '\n'));
    g_assert_null(strchr(line, '\r'));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(build_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/qmp/build/%s", build_rows[i].name);
        g_test_add_data_func(path, &build_rows[i], test_build_row);
    }
    g_test_add_func("/qmp/build/overflow", test_build_overflow);
    g_test_add_func("/qmp/build/newline-escaped", test_build_newline_escaped);
    return g_test_run();
}
