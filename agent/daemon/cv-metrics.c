#include "config.h"

#include <string.h>

#include "cv-atomic-file.h"
#include "cv-metrics.h"
#include "cv-state-error.h"

#define METRICS_MODE 0644

typedef struct {
    gchar *migration_id;
    gchar *domain;
    gchar *uri;
    gchar *policy;
    CvU64Field pending;
    CvU64Field expected_downtime;
    CvU64Field downtime_limit;
    gboolean have_verdict;
    CvVerdict verdict;
} Migration;

struct _CvMetrics {
    gboolean up;
    GHashTable *decisions;       /* "kind\nresult" -> guint64 * */
    GHashTable *outcomes;        /* outcome -> guint64 * */
    GHashTable *outside_changes; /* parameter -> guint64 * */
    guint64 cap_refusals;
    GHashTable *migrations; /* id -> Migration * */
};

static const CvDecisionKind decision_kinds[] = {
    CV_DECISION_SET_SWITCHOVER_BANDWIDTH,
    CV_DECISION_SET_DOWNTIME_LIMIT,
    CV_DECISION_START_POSTCOPY,
    CV_DECISION_PAUSE_GUEST,
    CV_DECISION_ABORT,
};

static const CvVerdict verdicts[] = {
    CV_VERDICT_WARMUP,     CV_VERDICT_CONVERGING, CV_VERDICT_STALLED, CV_VERDICT_ESCALATING,
    CV_VERDICT_SWITCHOVER, CV_VERDICT_FINISHED,   CV_VERDICT_BLIND,
};

static const gchar *const parameters[] = {"downtime-limit", "max-bandwidth",
                                          "avail-switchover-bandwidth"};

static void
migration_free(Migration *m)
{
    g_free(m->migration_id);
    g_free(m->domain);
    g_free(m->uri);
    g_free(m->policy);
    g_free(m);
}

static guint64 *
counter(GHashTable *table, const gchar *key)
{
    guint64 *c = g_hash_table_lookup(table, key);

    if (c == NULL) {
        c = g_new0(guint64, 1);
        g_hash_table_insert(table, g_strdup(key), c);
    }
    return c;
}

CvMetrics *
cv_metrics_new(void)
{
    CvMetrics *m = g_new0(CvMetrics, 1);

    m->up = TRUE;
    m->decisions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->outcomes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->outside_changes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->migrations =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)migration_free);
    for (gsize i = 0; i < G_N_ELEMENTS(decision_kinds); i++) {
        g_autofree gchar *key =
            g_strdup_printf("%s\napplied", cv_decision_kind_to_string(decision_kinds[i]));
        counter(m->decisions, key);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(parameters); i++)
        counter(m->outside_changes, parameters[i]);
    return m;
}

void
cv_metrics_free(CvMetrics *metrics)
{
    if (metrics == NULL)
        return;
    g_hash_table_unref(metrics->decisions);
    g_hash_table_unref(metrics->outcomes);
    g_hash_table_unref(metrics->outside_changes);
    g_hash_table_unref(metrics->migrations);
    g_free(metrics);
}

void
cv_metrics_declare_outcome(CvMetrics *metrics, const gchar *outcome)
{
    counter(metrics->outcomes, outcome);
}

void
cv_metrics_count_decision(CvMetrics *metrics, const gchar *kind, const gchar *result)
{
    g_autofree gchar *key = g_strdup_printf("%s\n%s", kind, result);

    (*counter(metrics->decisions, key))++;
}

void
cv_metrics_count_outcome(CvMetrics *metrics, const gchar *outcome)
{
    (*counter(metrics->outcomes, outcome))++;
}

void
cv_metrics_count_outside_change(CvMetrics *metrics, const gchar *parameter)
{
    (*counter(metrics->outside_changes, parameter))++;
}

void
cv_metrics_count_cap_refusal(CvMetrics *metrics)
{
    metrics->cap_refusals++;
}

void
cv_metrics_set_up(CvMetrics *metrics, gboolean up)
{
    metrics->up = up;
}

void
cv_metrics_set_migration(CvMetrics *metrics, const CvMetricsMigration *migration)
{
    Migration *m;

    g_return_if_fail(migration != NULL && migration->migration_id != NULL);
    m = g_new0(Migration, 1);
    m->migration_id = g_strdup(migration->migration_id);
    m->domain = g_strdup(migration->domain != NULL ? migration->domain : "");
    m->uri = g_strdup(migration->uri != NULL ? migration->uri : "");
    m->policy = g_strdup(migration->policy != NULL ? migration->policy : "");
    m->pending = migration->pending;
    m->expected_downtime = migration->expected_downtime;
    m->downtime_limit = migration->downtime_limit;
    m->have_verdict = migration->have_verdict;
    m->verdict = migration->verdict;
    g_hash_table_replace(metrics->migrations, m->migration_id, m);
}

void
cv_metrics_remove_migration(CvMetrics *metrics, const gchar *migration_id)
{
    g_hash_table_remove(metrics->migrations, migration_id);
}

/* Label values escape backslash, double quote and newline (the exposition format's rules). */
static void
append_label_value(GString *out, const gchar *value)
{
    for (const gchar *p = value; *p != '\0'; p++) {
        switch (*p) {
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        default:
            g_string_append_c(out, *p);
            break;
        }
    }
}

static void
append_labels(GString *out, const gchar *const *pairs)
{
    g_string_append_c(out, '{');
    for (guint i = 0; pairs[i] != NULL; i += 2) {
        g_string_append_printf(out, "%s%s=\"", i > 0 ? "," : "", pairs[i]);
        append_label_value(out, pairs[i + 1]);
        g_string_append_c(out, '"');
    }
    g_string_append_c(out, '}');
}

static void
header(GString *out, const gchar *name, const gchar *type, const gchar *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static gint
compare_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* g_hash_table_get_{keys,values}_as_ptr_array are GLib 2.76; we pin 2.74. */
static GPtrArray *
table_items(GHashTable *table, gboolean keys)
{
    GPtrArray *items = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key;
    gpointer value;

    g_hash_table_iter_init(&iter, table);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_ptr_array_add(items, keys ? key : value);
    return items;
}

static GPtrArray *
sorted_keys(GHashTable *table)
{
    GPtrArray *keys = table_items(table, TRUE);

    g_ptr_array_sort(keys, compare_keys);
    return keys;
}

static gint
compare_migrations(gconstpointer a, gconstpointer b)
{
    const Migration *ma = *(Migration *const *)a;
    const Migration *mb = *(Migration *const *)b;
    gint c = strcmp(ma->domain, mb->domain);

    return c != 0 ? c : strcmp(ma->migration_id, mb->migration_id);
}

static void
append_seconds(GString *out, guint64 ms)
{
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf(out, " %s\n", g_ascii_formatd(buf, sizeof(buf), "%.3f", ms / 1000.0));
}

static void
append_counters(GString *out, GHashTable *table, const gchar *name, const gchar *label)
{
    g_autoptr(GPtrArray) keys = sorted_keys(table);

    for (guint i = 0; i < keys->len; i++) {
        const gchar *key = g_ptr_array_index(keys, i);
        const guint64 *v = g_hash_table_lookup(table, key);
        const gchar *pairs[] = {label, key, NULL};

        g_string_append(out, name);
        append_labels(out, pairs);
        g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", *v);
    }
}

gchar *
cv_metrics_format(const CvMetrics *m)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) migrations = table_items(m->migrations, FALSE);
    g_autoptr(GPtrArray) keys = NULL;

    g_ptr_array_sort(migrations, compare_migrations);

    header(out, "virt_converge_up", "gauge", "1 while virt-converged runs, 0 once it stopped.");
    g_string_append_printf(out, "virt_converge_up %d\n", m->up ? 1 : 0);
    header(out, "virt_converge_migrations", "gauge", "Outgoing migrations being tuned.");
    g_string_append_printf(out, "virt_converge_migrations %u\n", migrations->len);

    header(out, "virt_converge_migration_info", "gauge",
           "One per tuned migration: its URI and policy.");
    for (guint i = 0; i < migrations->len; i++) {
        const Migration *mi = g_ptr_array_index(migrations, i);
        const gchar *pairs[] = {"migration_id", mi->migration_id, "domain",   mi->domain, "uri",
                                mi->uri,        "policy",         mi->policy, NULL};

        g_string_append(out, "virt_converge_migration_info");
        append_labels(out, pairs);
        g_string_append(out, " 1\n");
    }
    header(out, "virt_converge_migration_remaining_bytes", "gauge",
           "Data still to send: QEMU's system-wide remaining, else RAM remaining.");
    for (guint i = 0; i < migrations->len; i++) {
        const Migration *mi = g_ptr_array_index(migrations, i);
        const gchar *pairs[] = {"migration_id", mi->migration_id, "domain", mi->domain, NULL};

        if (!cv_field_valid(&mi->pending))
            continue;
        g_string_append(out, "virt_converge_migration_remaining_bytes");
        append_labels(out, pairs);
        g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", mi->pending.value);
    }
    header(out, "virt_converge_migration_expected_downtime_seconds", "gauge",
           "QEMU's expected downtime.");
    for (guint i = 0; i < migrations->len; i++) {
        const Migration *mi = g_ptr_array_index(migrations, i);
        const gchar *pairs[] = {"migration_id", mi->migration_id, "domain", mi->domain, NULL};

        if (!cv_field_valid(&mi->expected_downtime))
            continue;
        g_string_append(out, "virt_converge_migration_expected_downtime_seconds");
        append_labels(out, pairs);
        append_seconds(out, mi->expected_downtime.value);
    }
    header(out, "virt_converge_migration_downtime_limit_seconds", "gauge",
           "The downtime-limit in force.");
    for (guint i = 0; i < migrations->len; i++) {
        const Migration *mi = g_ptr_array_index(migrations, i);
        const gchar *pairs[] = {"migration_id", mi->migration_id, "domain", mi->domain, NULL};

        if (!cv_field_valid(&mi->downtime_limit))
            continue;
        g_string_append(out, "virt_converge_migration_downtime_limit_seconds");
        append_labels(out, pairs);
        append_seconds(out, mi->downtime_limit.value);
    }
    header(out, "virt_converge_migration_verdict", "gauge",
           "The engine's reading of the migration: 1 for the current verdict.");
    for (guint i = 0; i < migrations->len; i++) {
        const Migration *mi = g_ptr_array_index(migrations, i);

        if (!mi->have_verdict)
            continue;
        for (gsize v = 0; v < G_N_ELEMENTS(verdicts); v++) {
            const gchar *pairs[] = {"migration_id",
                                    mi->migration_id,
                                    "domain",
                                    mi->domain,
                                    "verdict",
                                    cv_verdict_to_string(verdicts[v]),
                                    NULL};

            g_string_append(out, "virt_converge_migration_verdict");
            append_labels(out, pairs);
            g_string_append_printf(out, " %d\n", mi->verdict == verdicts[v] ? 1 : 0);
        }
    }

    header(out, "virt_converge_decisions_total", "counter",
           "Changes decided, by kind and result (applied, dry-run, refused, failed).");
    keys = sorted_keys(m->decisions);
    for (guint i = 0; i < keys->len; i++) {
        const gchar *key = g_ptr_array_index(keys, i);
        const guint64 *v = g_hash_table_lookup(m->decisions, key);
        g_auto(GStrv) parts = g_strsplit(key, "\n", 2);
        const gchar *pairs[] = {"kind", parts[0], "result", parts[1] != NULL ? parts[1] : "", NULL};

        g_string_append(out, "virt_converge_decisions_total");
        append_labels(out, pairs);
        g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", *v);
    }
    header(out, "virt_converge_outcomes_total", "counter",
           "Tuned migrations that ended, by outcome.");
    append_counters(out, m->outcomes, "virt_converge_outcomes_total", "outcome");
    header(out, "virt_converge_outside_changes_total", "counter",
           "Parameters someone else changed after virt-converged did.");
    append_counters(out, m->outside_changes, "virt_converge_outside_changes_total", "parameter");
    header(out, "virt_converge_cap_refusals_total", "counter",
           "Changes the actuator refused because they would exceed a policy's cap.");
    g_string_append_printf(out, "virt_converge_cap_refusals_total %" G_GUINT64_FORMAT "\n",
                           m->cap_refusals);
    return g_string_free(out, FALSE);
}

gboolean
cv_metrics_write(const CvMetrics *metrics, const gchar *path, GError **error)
{
    g_autofree gchar *text = cv_metrics_format(metrics);

    return cv_atomic_file_replace(path, text, strlen(text), METRICS_MODE, CV_ATOMIC_FILE_NONE,
                                  error);
}
