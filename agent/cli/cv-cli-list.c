/* virt-converge list: the domains with an outgoing migration on -c URI, one line each, from a
 * read-only connection: iteration, remaining, expected downtime, downtime-limit, the engine's
 * verdict on that reading and the policy the domain would be tuned with. When virt-converged
 * runs and tunes a migration, its view replaces the guesses: the policy it resolved when the
 * migration started, its latest verdict, its state (tuning, yielded, dry-run) and changes. */
#include "config.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-libvirt-domain.h"

typedef struct {
    CvLibvirtDomainRow *row;
    CvPolicy policy;
    CvConfigSource source;
    CvDecision decision;
    gboolean have_decision;
    JsonObject *daemon_doc; /* the daemon's document; NULL: the daemon does not tune it */
} ListEntry;

static void
judge(const CvConfig *config, CvLibvirtDomainRow *row, ListEntry *e)
{
    g_autoptr(CvConfigMetadata) metadata = NULL;
    g_autoptr(GError) error = NULL;
    CvParams params;
    CvPolicyHistory history;

    e->row = row;
    if (row->xml != NULL)
        metadata = cv_config_metadata_parse(row->xml, -1, &error);
    cv_config_policy_for_domain(config, row->name, metadata,
                                metadata != NULL && cv_config_metadata_has_vfio(metadata),
                                &e->policy, &e->source, NULL);
    cv_params_init(&params);
    params.downtime_limit_ms = row->downtime_limit_ms;
    params.vfio_devices =
        metadata != NULL && cv_config_metadata_has_vfio(metadata) ? CV_TRI_YES : CV_TRI_NO;
    cv_policy_history_init(&history);
    if (cv_field_valid(&params.downtime_limit_ms))
        history.original_downtime_limit_ms = params.downtime_limit_ms.value;
    /* one reading: the verdict says what can be told from it (a stall needs a history) */
    e->decision = cv_policy_decide(&e->policy, &row->sample, 1, &params, &history);
    e->have_decision = TRUE;
}

/* One reading cannot show a stall (that needs a history), but it shows whether QEMU can
 * switch over at all right now: its expected downtime against the limit. */
static gboolean
over_limit(const ListEntry *e)
{
    const CvSample *s = &e->row->sample;

    return cv_field_valid(&s->expected_downtime_ms) && cv_field_valid(&e->row->downtime_limit_ms) &&
           cv_field_valid(&s->ram_dirty_sync_count) && s->ram_dirty_sync_count.value >= 2 &&
           s->expected_downtime_ms.value > e->row->downtime_limit_ms.value;
}

static const gchar *
verdict_text(const ListEntry *e)
{
    if (e->daemon_doc != NULL && cv_cli_daemon_doc_verdict(e->daemon_doc) != NULL)
        return cv_cli_daemon_doc_verdict(e->daemon_doc);
    if (e->decision.verdict == CV_VERDICT_WARMUP && over_limit(e))
        return "over-limit";
    return cv_verdict_to_string(e->decision.verdict);
}

static void
json_field(JsonBuilder *b, const gchar *name, const CvU64Field *f)
{
    json_builder_set_member_name(b, name);
    if (cv_field_valid(f))
        json_builder_add_int_value(b, (gint64)f->value);
    else
        json_builder_add_null_value(b);
}

static void
print_json(GPtrArray *entries, const gchar *uri, const CvCliDaemonView *view)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree gchar *text = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "uri");
    json_builder_add_string_value(b, uri);
    json_builder_set_member_name(b, "daemon-pid");
    if (view != NULL)
        json_builder_add_int_value(b, cv_cli_daemon_view_pid(view));
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "migrations");
    json_builder_begin_array(b);
    for (guint i = 0; i < entries->len; i++) {
        ListEntry *e = g_ptr_array_index(entries, i);
        const CvSample *s = &e->row->sample;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, e->row->name);
        json_builder_set_member_name(b, "uuid");
        json_builder_add_string_value(b, e->row->uuid);
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, cv_migration_status_to_string(s->status));
        json_field(b, "iteration", &s->ram_dirty_sync_count);
        json_field(b, "remaining", &s->ram_remaining);
        json_field(b, "expected-downtime-ms", &s->expected_downtime_ms);
        json_field(b, "downtime-limit-ms", &e->row->downtime_limit_ms);
        json_builder_set_member_name(b, "verdict");
        json_builder_add_string_value(b, cv_verdict_to_string(e->decision.verdict));
        json_builder_set_member_name(b, "expected-over-limit");
        json_builder_add_boolean_value(b, over_limit(e));
        json_builder_set_member_name(b, "policy");
        json_builder_add_string_value(b, e->policy.name);
        json_builder_set_member_name(b, "policy-source");
        json_builder_add_string_value(b, cv_config_source_to_string(e->source));
        /* the daemon's document as it published it (cv-runtime-doc.h), or null */
        json_builder_set_member_name(b, "daemon");
        if (e->daemon_doc != NULL) {
            g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), e->daemon_doc);

            json_builder_add_value(b, g_steal_pointer(&node));
        } else {
            json_builder_add_null_value(b);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
}

/* The switchover rate the daemon gives the migration and where it came from (stated, learned
 * from N migrations to DEST, [daemon] link, none); "-" when the daemon does not tune it or its
 * document predates the fields. */
static gchar *
rate_text(JsonObject *doc)
{
    JsonNode *n = doc != NULL && json_object_has_member(doc, "switchover-rate")
                      ? json_object_get_member(doc, "switchover-rate")
                      : NULL;
    const gchar *detail = doc != NULL ? cv_cli_daemon_doc_str(doc, "rate-detail") : NULL;
    gint64 rate;
    gchar r[32];

    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return g_strdup("-");
    rate = json_node_get_int(n);
    if (rate <= 0)
        return g_strdup_printf("none (%s)", detail != NULL ? detail : "QEMU's measured rate");
    cv_format_rate((guint64)rate, r, sizeof(r));
    return g_strdup_printf("%s %s", r, detail != NULL ? detail : "stated");
}

static void
print_table(GPtrArray *entries, const CvCliDaemonView *view)
{
    printf("%-20s %5s %12s %9s %9s %-11s %-24s %-32s %s\n", "NAME", "ITER", "REMAINING", "EXPECTED",
           "LIMIT", "VERDICT", "POLICY", "SWITCHOVER RATE", "DAEMON");
    for (guint i = 0; i < entries->len; i++) {
        ListEntry *e = g_ptr_array_index(entries, i);
        const CvSample *s = &e->row->sample;
        g_autofree gchar *remaining = cv_cli_format_field_bytes(&s->ram_remaining);
        g_autofree gchar *expected = cv_cli_format_field_ms(&s->expected_downtime_ms);
        g_autofree gchar *limit = cv_cli_format_field_ms(&e->row->downtime_limit_ms);
        g_autofree gchar *iter =
            cv_field_valid(&s->ram_dirty_sync_count)
                ? g_strdup_printf("%" G_GUINT64_FORMAT, s->ram_dirty_sync_count.value)
                : g_strdup("-");

        g_autofree gchar *policy = NULL;
        g_autofree gchar *tuned = NULL;
        g_autofree gchar *rate = rate_text(e->daemon_doc);

        if (e->daemon_doc != NULL) {
            const gchar *source = cv_cli_daemon_doc_str(e->daemon_doc, "policy-source");

            policy = g_strdup_printf("%s (%s)", cv_cli_daemon_doc_str(e->daemon_doc, "policy"),
                                     source != NULL ? source : "?");
            tuned = cv_cli_daemon_doc_summary(e->daemon_doc);
        } else {
            policy =
                g_strdup_printf("%s (%s)", e->policy.name, cv_config_source_to_string(e->source));
            tuned = g_strdup(view != NULL ? "not tuned" : "no daemon");
        }
        printf("%-20s %5s %12s %9s %9s %-11s %-24s %-32s %s\n", e->row->name, iter, remaining,
               expected, limit, verdict_text(e), policy, rate, tuned);
    }
}

gint
cv_cli_list(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *config_file = NULL;
    g_autofree gchar *runtime_dir = NULL;
    gboolean json = FALSE, all = FALSE;
    const GOptionEntry entries[] = {
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_file,
         "configuration file with the policies", "FILE"},
        {"runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &runtime_dir,
         "where virt-converged publishes its view (default: $RUNTIME_DIRECTORY or " RUNSTATEDIR
         "/virt-converge)",
         "DIR"},
        {"all", 'a', 0, G_OPTION_ARG_NONE, &all, "every running domain, migrating or not", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "list", NULL,
        "The domains of -c URI with an outgoing migration: iteration, remaining RAM, expected "
        "downtime, downtime-limit, the engine's verdict on that one reading (over-limit: QEMU "
        "expects more downtime than the limit allows, so it cannot switch over now), and the "
        "policy the domain would be tuned with. When virt-converged runs, a migration it tunes "
        "shows its view: the policy it resolved, its latest verdict, its state and changes. "
        "Read-only.");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = NULL;
    g_autoptr(CvLibvirtConn) conn = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(CvCliDaemonView) view = NULL;
    const gchar *uris[3] = {NULL};

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "list", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc > 1) {
        cv_cli_error("list", "unexpected argument '%s'", argv[1]);
        return CV_CLI_EXIT_ERROR;
    }
    config = cv_cli_load_config(config_file, &error);
    if (config == NULL) {
        cv_cli_error("list", "%s", error->message);
        return CV_CLI_EXIT_ERROR;
    }
    conn = cv_libvirt_conn_new(global->connect_uri, TRUE);
    rows = cv_libvirt_list_domains(conn, !all, &error);
    if (rows == NULL) {
        cv_cli_error("list", "%s", error->message);
        return cv_cli_exit_for_error(error);
    }
    view = cv_cli_daemon_view_load(runtime_dir);
    uris[0] = cv_libvirt_conn_get_uri(conn);
    uris[1] = global->connect_uri;
    for (guint i = 0; i < rows->len; i++) {
        ListEntry *e = g_new0(ListEntry, 1);

        judge(config, g_ptr_array_index(rows, i), e);
        e->daemon_doc = cv_cli_daemon_view_find(view, uris, e->row->uuid, e->row->name);
        g_ptr_array_add(list, e);
    }
    if (json)
        print_json(list, cv_libvirt_conn_get_uri(conn), view);
    else if (list->len == 0)
        printf("no outgoing migrations on %s\n", cv_libvirt_conn_get_uri(conn));
    else
        print_table(list, view);
    return CV_CLI_EXIT_OK;
}
