/* virt-converge history [DOM] [--since TIME] [--json]: what virt-converged recorded about
 * migrations (decisions, restores, outside changes, outcomes, recoveries after a restart), from
 * its append-only history in the state directory (cv-history.h). Human lines by default, the
 * stored JSON lines with --json. Reads files only: no libvirt connection. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cv-cli.h"
#include "cv-decision.h"
#include "cv-history.h"
#include "cv-state-paths.h"

#define DOMAIN_COLUMN_MAX 24

static const gchar *
str(JsonObject *o, const gchar *name)
{
    JsonNode *n = json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;

    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static gboolean
num(JsonObject *o, const gchar *name, gint64 *value)
{
    JsonNode *n = json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;

    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return FALSE;
    *value = json_node_get_int(n);
    return TRUE;
}

/* "1900 ms", "1.00 GiB/s", "1234" (no unit), "?" (missing or mistyped) */
static gchar *
quantity(JsonObject *o, const gchar *name, const gchar *unit)
{
    gint64 v = 0;
    gchar buf[64];

    if (!num(o, name, &v) || v < 0)
        return g_strdup("?");
    if (g_strcmp0(unit, "bytes/s") == 0) {
        cv_format_rate((guint64)v, buf, sizeof(buf));
        return g_strdup(buf);
    }
    if (unit != NULL)
        return g_strdup_printf("%" G_GINT64_FORMAT " %s", v, unit);
    return g_strdup_printf("%" G_GINT64_FORMAT, v);
}

/* @prefix then @value, when there is a value */
static void
append_if(GString *s, const gchar *prefix, const gchar *value)
{
    if (value == NULL || *value == '\0')
        return;
    g_string_append(s, prefix);
    g_string_append(s, value);
}

/* The members of a line that are not its header, as compact JSON: what an event this CLI
 * does not know carries. */
static gchar *
rest_as_json(JsonObject *o)
{
    static const gchar *const header[] = {"time",   "event", "migration-id",
                                          "domain", "uri",   "policy"};
    g_autoptr(JsonObject) copy = json_object_new();
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    g_autoptr(GList) members = json_object_get_members(o);

    for (GList *l = members; l != NULL; l = l->next) {
        gboolean skip = FALSE;
        for (gsize i = 0; i < G_N_ELEMENTS(header) && !skip; i++)
            skip = g_str_equal(header[i], l->data);
        if (!skip)
            json_object_set_member(copy, l->data,
                                   json_node_copy(json_object_get_member(o, l->data)));
    }
    json_node_set_object(root, copy);
    return json_to_string(root, FALSE);
}

/* What a completed migration taught switchover-bandwidth = learned (the outcome's "learned"):
 * the blackout recorded and its rate, or why nothing was (only said for a completed one: the
 * others cannot teach, and saying so on every cancel is noise). */
static void
describe_learned(GString *s, JsonObject *o)
{
    JsonNode *n =
        json_object_has_member(o, "learned") ? json_object_get_member(o, "learned") : NULL;
    JsonObject *l;
    JsonNode *recorded;
    gint64 bytes = 0, ms = 0, rate = 0;
    gchar b[32], r[32];

    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return;
    l = json_node_get_object(n);
    recorded = json_object_has_member(l, "recorded") ? json_object_get_member(l, "recorded") : NULL;
    if (recorded == NULL || !JSON_NODE_HOLDS_VALUE(recorded) ||
        json_node_get_value_type(recorded) != G_TYPE_BOOLEAN)
        return;
    if (json_node_get_boolean(recorded) && num(l, "blackout-bytes", &bytes) && bytes >= 0 &&
        num(l, "downtime-ms", &ms) && num(l, "rate", &rate) && rate >= 0) {
        cv_format_bytes((guint64)bytes, b, sizeof(b));
        cv_format_rate((guint64)rate, r, sizeof(r));
        g_string_append_printf(
            s, "; learned %s in a %" G_GINT64_FORMAT " ms %s = %s", b, ms,
            g_strcmp0(str(l, "kind"), "job-window") == 0 ? "job window" : "blackout", r);
        append_if(s, " (", str(l, "source"));
        if (str(l, "source") != NULL)
            g_string_append_c(s, ')');
        append_if(s, ", recorded under ", str(l, "destination"));
    } else if (!json_node_get_boolean(recorded) &&
               (g_strcmp0(str(o, "outcome"), "completed") == 0 ||
                g_strcmp0(str(o, "outcome"), "cap-broken") == 0)) {
        append_if(s, "; learned nothing: ", str(l, "why"));
    }
}

static gchar *
describe(const CvHistoryEntry *e)
{
    JsonObject *o = e->object;
    g_autoptr(GString) s = g_string_new(NULL);
    const gchar *unit = str(o, "unit");

    if (g_str_equal(e->event, CV_HISTORY_EVENT_DECISION)) {
        g_autofree gchar *value = quantity(o, "value", unit);

        g_string_append_printf(s, "%s", str(o, "decision") != NULL ? str(o, "decision") : "?");
        if (json_object_has_member(o, "value"))
            g_string_append_printf(s, " %s", value);
        append_if(s, " ", str(o, "result"));
        append_if(s, ": ", str(o, "reason"));
        if (str(o, "error") != NULL)
            g_string_append_printf(s, " (%s)", str(o, "error"));
    } else if (g_str_equal(e->event, CV_HISTORY_EVENT_RESTORE)) {
        g_autofree gchar *value = quantity(o, "value", unit);
        const gchar *parameter = str(o, "parameter") != NULL ? str(o, "parameter") : "?";
        const gchar *result = str(o, "result");

        if (g_strcmp0(result, "applied") == 0)
            g_string_append_printf(s, "%s back to %s", parameter, value);
        else
            g_string_append_printf(s, "%s not set back to %s (%s)", parameter, value,
                                   result != NULL ? result : "?");
        append_if(s, ": ", str(o, "error"));
    } else if (g_str_equal(e->event, CV_HISTORY_EVENT_OUTSIDE_CHANGE)) {
        g_autofree gchar *before = quantity(o, "before", unit);
        g_autofree gchar *after = quantity(o, "after", unit);

        g_string_append_printf(s, "%s changed by someone else: %s -> %s",
                               str(o, "parameter") != NULL ? str(o, "parameter") : "?", before,
                               after);
        append_if(s, "; ", str(o, "action"));
        append_if(s, "; by ", str(o, "by"));
    } else if (g_str_equal(e->event, CV_HISTORY_EVENT_OUTCOME)) {
        gint64 v = 0;

        g_string_append(s, str(o, "outcome") != NULL ? str(o, "outcome") : "?");
        if (num(o, "downtime-ms", &v))
            g_string_append_printf(s, ", downtime %" G_GINT64_FORMAT " ms", v);
        /* libvirt's statistics of a cancelled job say 0: no migration took no time */
        if (num(o, "total-time-ms", &v) && v > 0)
            g_string_append_printf(s, ", total %.1f s", v / 1000.0);
        if (num(o, "changes", &v))
            g_string_append_printf(s, ", %" G_GINT64_FORMAT " change%s", v, v == 1 ? "" : "s");
        append_if(s, ": ", str(o, "message"));
        describe_learned(s, o);
    } else if (g_str_equal(e->event, CV_HISTORY_EVENT_ATTACH)) {
        g_autofree gchar *limit = quantity(o, "downtime-limit-ms", "ms");

        g_string_append_printf(s, "policy %s", str(o, "policy") != NULL ? str(o, "policy") : "?");
        /* why this policy: the resolver's own sentence, else just which rule */
        if (str(o, "why") != NULL)
            g_string_append_printf(s, " (%s)", str(o, "why"));
        else if (str(o, "policy-source") != NULL)
            g_string_append_printf(s, " (rule: %s)", str(o, "policy-source"));
        if (json_object_has_member(o, "downtime-limit-ms"))
            g_string_append_printf(s, ", downtime-limit was %s", limit);
        append_if(s, ", QEMU ", str(o, "qemu-version"));
    } else if (g_str_equal(e->event, CV_HISTORY_EVENT_RECOVERED) ||
               g_str_equal(e->event, CV_HISTORY_EVENT_DAEMON) ||
               g_str_equal(e->event, CV_HISTORY_EVENT_LINK)) {
        g_string_append(s, str(o, "action") != NULL ? str(o, "action") : "?");
        append_if(s, ": ", str(o, "message"));
    } else {
        g_autofree gchar *rest = rest_as_json(o);
        g_string_append(s, rest);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gchar *
local_time(gint64 time_us)
{
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
    g_autoptr(GDateTime) t = utc != NULL ? g_date_time_to_local(utc) : NULL;
    g_autofree gchar *s = NULL;

    if (t == NULL)
        return g_strdup("?");
    s = g_date_time_format(t, "%Y-%m-%d %H:%M:%S");
    return g_strdup_printf("%s.%03d", s, (gint)((time_us % G_USEC_PER_SEC) / 1000));
}

static void
print_human(GPtrArray *entries)
{
    gint width = (gint)strlen("DOMAIN");

    for (guint i = 0; i < entries->len; i++) {
        const CvHistoryEntry *e = entries->pdata[i];
        if (e->domain != NULL)
            width = MAX(width, (gint)MIN(g_utf8_strlen(e->domain, -1), DOMAIN_COLUMN_MAX));
    }
    printf("%-23s  %-*s  %-14s  %s\n", "TIME", width, "DOMAIN", "EVENT", "DETAIL");
    for (guint i = 0; i < entries->len; i++) {
        const CvHistoryEntry *e = entries->pdata[i];
        g_autofree gchar *t = local_time(e->time_us);
        g_autofree gchar *detail = describe(e);
        const gchar *domain = e->domain != NULL ? e->domain : "-";
        /* pad by characters, not bytes */
        gint pad = width - (gint)g_utf8_strlen(domain, -1);

        printf("%-23s  %s%*s  %-14s  %s\n", t, domain, MAX(pad, 0), "", e->event, detail);
    }
}

gint
cv_cli_history(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *since = NULL;
    g_autofree gchar *state_dir = NULL;
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"since", 0, 0, G_OPTION_ARG_STRING, &since,
         "only records at or after TIME: 2025-01-31, '2025-01-31 12:00', an ISO 8601 time, "
         "today, yesterday, or a duration ago ('1h ago', -30min)",
         "TIME"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "the stored records, one JSON object per line",
         NULL},
        {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
         "the daemon's state directory (default: $STATE_DIRECTORY, else " LOCALSTATEDIR
         "/lib/virt-converge)",
         "DIR"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "history", "[DOM]",
        "What virt-converged recorded: decisions, restores, changes made by others, outcomes.");
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GPtrArray) found = NULL;
    CvHistoryFilter filter = {.domain = NULL, .since_us = G_MININT64};

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "history", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc > 2) {
        cv_cli_error("history", "one domain at most (got '%s' and '%s')", argv[1], argv[2]);
        return CV_CLI_EXIT_ERROR;
    }
    if (global->connect_uri != NULL) {
        cv_cli_error("history",
                     "-c/--connect %s is not supported: the history is read from the daemon's "
                     "state directory on this host (--state-dir)",
                     global->connect_uri);
        return CV_CLI_EXIT_ERROR;
    }
    if (argc == 2)
        filter.domain = argv[1];
    if (since != NULL) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();

        if (!cv_history_parse_since(since, now, &filter.since_us, &error)) {
            cv_cli_error("history", "--since %s", error->message);
            return CV_CLI_EXIT_ERROR;
        }
    }
    if (state_dir == NULL)
        state_dir = cv_state_paths_state_dir();
    found = cv_history_read(state_dir, &filter, &skipped, &error);
    if (found == NULL) {
        cv_cli_error("history", "%s (is this the daemon's state directory? see --state-dir)",
                     error->message);
        return CV_CLI_EXIT_ERROR;
    }
    if (skipped->len > 0)
        cv_cli_error("history", "skipped %u unreadable line%s, the first: %s", skipped->len,
                     skipped->len == 1 ? "" : "s", (const gchar *)skipped->pdata[0]);
    if (json) {
        for (guint i = 0; i < found->len; i++)
            printf("%s\n", ((CvHistoryEntry *)found->pdata[i])->line);
        return CV_CLI_EXIT_OK;
    }
    if (found->len == 0) {
        cv_cli_error("history", "no records%s%s in %s/%s", filter.domain != NULL ? " of " : "",
                     filter.domain != NULL ? filter.domain : "", state_dir, CV_STATE_HISTORY_FILE);
        return CV_CLI_EXIT_OK;
    }
    print_human(found);
    return CV_CLI_EXIT_OK;
}
