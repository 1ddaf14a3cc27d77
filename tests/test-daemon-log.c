/* Structured logging: the fields an operator filters on reach the writer, the level filter
 * of [daemon] log-level and --verbose, and the stderr line of a record. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-daemon-log.h"

typedef struct {
    GLogLevelFlags level;
    GHashTable *fields; /* key -> value */
} Captured;

static GPtrArray *captured;

static void
captured_free(Captured *c)
{
    g_hash_table_unref(c->fields);
    g_free(c);
}

static GLogWriterOutput
capture(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer user_data)
{
    Captured *c = g_new0(Captured, 1);

    c->level = level;
    c->fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (gsize i = 0; i < n; i++)
        g_hash_table_insert(c->fields, g_strdup(fields[i].key),
                            fields[i].length < 0
                                ? g_strdup(fields[i].value)
                                : g_strndup(fields[i].value, (gsize)fields[i].length));
    g_ptr_array_add(captured, c);
    return G_LOG_WRITER_HANDLED;
}

static const gchar *
field(const Captured *c, const gchar *key)
{
    return g_hash_table_lookup(c->fields, key);
}

static void
test_fields(void)
{
    CvLogContext ctx = {
        .domain = "vm-1",
        .migration_id = "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b",
        .uri = "qemu:///system",
        .policy = "vfio",
    };
    CvLogDetails details = {
        .decision = "set-downtime-limit",
        .value = "1900",
        .unit = "ms",
        .result = "applied",
        .reason = "stalled: pending 2.00 GiB",
    };
    const Captured *c;

    g_ptr_array_set_size(captured, 0);
    cv_log_migration(G_LOG_LEVEL_INFO, CV_LOG_ID_DECISION, &ctx, &details,
                     "%s: downtime-limit %d ms", ctx.domain, 1900);
    g_assert_cmpuint(captured->len, ==, 1);
    c = captured->pdata[0];
    g_assert_cmpint(c->level, ==, G_LOG_LEVEL_INFO);
    g_assert_cmpstr(field(c, "MESSAGE"), ==, "vm-1: downtime-limit 1900 ms");
    g_assert_cmpstr(field(c, "MESSAGE_ID"), ==, CV_LOG_ID_DECISION);
    g_assert_cmpstr(field(c, "DOMAIN"), ==, "vm-1");
    g_assert_cmpstr(field(c, "MIGRATION_ID"), ==, ctx.migration_id);
    g_assert_cmpstr(field(c, "URI"), ==, "qemu:///system");
    g_assert_cmpstr(field(c, "POLICY"), ==, "vfio");
    g_assert_cmpstr(field(c, "DECISION"), ==, "set-downtime-limit");
    g_assert_cmpstr(field(c, "VALUE"), ==, "1900");
    g_assert_cmpstr(field(c, "UNIT"), ==, "ms");
    g_assert_cmpstr(field(c, "RESULT"), ==, "applied");
    g_assert_cmpstr(field(c, "REASON"), ==, "stalled: pending 2.00 GiB");
    g_assert_cmpstr(field(c, "GLIB_DOMAIN"), ==, "virt-converged");
    /* GLib adds the syslog priority: 6 = info */
    g_assert_cmpstr(field(c, "PRIORITY"), ==, "6");
    g_assert_null(field(c, "PARAMETER"));
}

static void
test_no_context(void)
{
    const Captured *c;

    g_ptr_array_set_size(captured, 0);
    cv_log_migration(G_LOG_LEVEL_MESSAGE, NULL, NULL, NULL, "plain %s", "line");
    c = captured->pdata[0];
    g_assert_cmpstr(field(c, "MESSAGE"), ==, "plain line");
    g_assert_null(field(c, "MESSAGE_ID"));
    g_assert_null(field(c, "DOMAIN"));
    g_assert_cmpstr(field(c, "PRIORITY"), ==, "5");
}

/* The message ids are 128-bit hex, as journald wants, and all different. */
static void
test_message_ids(void)
{
    const gchar *ids[] = {CV_LOG_ID_DECISION, CV_LOG_ID_OUTCOME,       CV_LOG_ID_OUTSIDE_CHANGE,
                          CV_LOG_ID_RESTORE,  CV_LOG_ID_ATTACH,        CV_LOG_ID_RECOVERED,
                          CV_LOG_ID_RELOAD,   CV_LOG_ID_STATE_PROBLEM, CV_LOG_ID_LIFECYCLE};

    g_autofree gchar *man = NULL;

    /* operators look them up in virt-converged(8) */
    g_assert_true(g_file_get_contents(SOURCE_DATADIR "/virt-converged.8.rst", &man, NULL, NULL));
    for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
        if (strstr(man, ids[i]) == NULL)
            g_error("MESSAGE_ID %s is not in virt-converged.8.rst", ids[i]);
        g_assert_cmpuint(strlen(ids[i]), ==, 32);
        g_assert_cmpuint(strspn(ids[i], "0123456789abcdef"), ==, 32);
        for (gsize j = 0; j < i; j++)
            g_assert_cmpstr(ids[i], !=, ids[j]);
    }
}

typedef struct {
    const gchar *name;
    CvConfigLogLevel threshold;
    gboolean verbose;
    GLogLevelFlags level;
    gboolean enabled;
} LevelRow;

static const LevelRow level_rows[] = {
    {"warning-drops-message", CV_CONFIG_LOG_LEVEL_WARNING, FALSE, G_LOG_LEVEL_MESSAGE, FALSE},
    {"warning-keeps-warning", CV_CONFIG_LOG_LEVEL_WARNING, FALSE, G_LOG_LEVEL_WARNING, TRUE},
    {"warning-keeps-critical", CV_CONFIG_LOG_LEVEL_WARNING, FALSE, G_LOG_LEVEL_CRITICAL, TRUE},
    {"message-keeps-message", CV_CONFIG_LOG_LEVEL_MESSAGE, FALSE, G_LOG_LEVEL_MESSAGE, TRUE},
    {"message-drops-info", CV_CONFIG_LOG_LEVEL_MESSAGE, FALSE, G_LOG_LEVEL_INFO, FALSE},
    {"info-keeps-info", CV_CONFIG_LOG_LEVEL_INFO, FALSE, G_LOG_LEVEL_INFO, TRUE},
    {"info-drops-debug", CV_CONFIG_LOG_LEVEL_INFO, FALSE, G_LOG_LEVEL_DEBUG, FALSE},
    {"debug-keeps-debug", CV_CONFIG_LOG_LEVEL_DEBUG, FALSE, G_LOG_LEVEL_DEBUG, TRUE},
    {"verbose-keeps-debug", CV_CONFIG_LOG_LEVEL_WARNING, TRUE, G_LOG_LEVEL_DEBUG, TRUE},
};

static void
test_level(gconstpointer data)
{
    const LevelRow *row = data;

    g_assert_cmpint(cv_log_level_enabled(row->threshold, row->verbose, row->level), ==,
                    row->enabled);
}

static void
test_line(void)
{
    const GLogField fields[] = {
        {"MESSAGE", "vm-1: downtime-limit 1900 ms", -1}, {"PRIORITY", "6", -1},
        {"DECISION", "set-downtime-limit", -1},          {"DOMAIN", "vm-1", -1},
        {"REASON", "not shown on the line", -1},         {"MIGRATION_ID", "0b1c2d3e", 8},
    };
    g_autofree gchar *line =
        cv_log_format_line(fields, G_N_ELEMENTS(fields), G_LOG_LEVEL_INFO, FALSE);
    g_autofree gchar *stamped = cv_log_format_line(fields, 1, G_LOG_LEVEL_WARNING, TRUE);
    g_autoptr(GRegex) re = g_regex_new("^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} warning: vm-1: "
                                       "downtime-limit 1900 ms$",
                                       0, 0, NULL);

    g_assert_cmpstr(line, ==,
                    "info: vm-1: downtime-limit 1900 ms [DOMAIN=vm-1 MIGRATION_ID=0b1c2d3e "
                    "DECISION=set-downtime-limit]");
    g_assert_true(g_regex_match(re, stamped, 0, NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    captured = g_ptr_array_new_with_free_func((GDestroyNotify)captured_free);
    g_log_set_writer_func(capture, NULL, NULL);
    g_test_add_func("/daemon-log/fields", test_fields);
    g_test_add_func("/daemon-log/no-context", test_no_context);
    g_test_add_func("/daemon-log/message-ids", test_message_ids);
    for (gsize i = 0; i < G_N_ELEMENTS(level_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/daemon-log/level/%s", level_rows[i].name);
        g_test_add_data_func(path, &level_rows[i], test_level);
    }
    g_test_add_func("/daemon-log/line", test_line);
    return g_test_run();
}
