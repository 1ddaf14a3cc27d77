/* virt-converge status DOM | --qmp PATH: one reading, like QEMU's `info migrate`, plus the
 * verdict and what the engine would set now. Read-only: it changes nothing in QEMU, not even
 * capabilities; a libvirt domain is read on a read-only connection, from its job statistics.
 * When virt-converged tunes the domain's migration, its view comes first (the policy it
 * resolved, its state, latest decision and reason); --json adds it as "daemon". */
#include "config.h"

#include <stdio.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-target-libvirt.h"
#include "cv-target-qmp.h"

/* What the engine would do if the migration kept stalling at this reading: feed it the reading
 * twice, a stall window apart, and follow its steps (switchover bandwidth first) on a copy of
 * the parameters. Nothing is sent. */
static gboolean
would_set(const CvPolicy *policy, const CvSample *s, const CvParams *params, CvDecision *out)
{
    CvSample samples[3];
    CvPolicyHistory history;
    gint64 window_ms = (gint64)MAX(policy->stall_window_ms, (guint64)1000);
    guint64 window_passes = MAX(policy->stall_window_passes, 1u);

    if (s->status != CV_MIGRATION_STATUS_ACTIVE || !cv_field_valid(&s->ram_dirty_sync_count) ||
        s->ram_dirty_sync_count.value <= 2 * window_passes + 2)
        return FALSE;
    cv_policy_history_init(&history);
    if (cv_field_valid(&params->downtime_limit_ms))
        history.original_downtime_limit_ms = params->downtime_limit_ms.value;
    /* Three readings a stall window apart, the same pending in each: the engine's boundaries
     * are the readings after the counter moved, so the first one only anchors the second. */
    for (guint i = 0; i < 3; i++) {
        samples[i] = *s;
        samples[i].time_ms = s->time_ms - (gint64)(2 - i) * (window_ms + 1);
        samples[i].ram_dirty_sync_count.value =
            s->ram_dirty_sync_count.value - (2 - i) * (window_passes + 1);
    }
    /* Only the first step: after a switchover bandwidth QEMU re-estimates expected-downtime,
     * and a limit computed from this reading would be wrong. */
    *out = cv_policy_decide(policy, samples, 3, params, &history);
    return out->kind != CV_DECISION_NONE;
}

gint
cv_cli_status(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *qmp = NULL;
    g_autofree gchar *policy_name = NULL;
    g_autofree gchar *config = NULL;
    g_autofree gchar *runtime_dir = NULL;
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &runtime_dir,
         "where virt-converged publishes its view (default: $RUNTIME_DIRECTORY or " RUNSTATEDIR
         "/virt-converge)",
         "DIR"},
        {"qmp", 0, 0, G_OPTION_ARG_FILENAME, &qmp, "QEMU's QMP unix socket", "PATH"},
        {"policy", 'p', 0, G_OPTION_ARG_STRING, &policy_name, "policy to judge with", "NAME"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "status", "DOM | --qmp PATH",
        "One reading of the outgoing migration of libvirt domain DOM (read-only connection) or "
        "of the QEMU on a QMP socket, laid out like `info migrate`, with the verdict and the "
        "downtime-limit the engine would set now. Changes nothing.");
    g_auto(CvCliDomain) dom = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(CvClock) clock = cv_clock_new_monotonic();
    g_autoptr(CvTarget) target = NULL;
    g_autofree gchar *text = NULL;
    CvPolicy policy;
    CvPolicyHistory history;
    CvParams params;
    CvSample sample;
    CvDecision now, would;
    gboolean have_would;
    g_autoptr(CvCliDaemonView) view = NULL;
    JsonObject *daemon_doc = NULL;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "status", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc > 2 || (argc == 2 && qmp != NULL)) {
        cv_cli_error("status", "unexpected argument '%s'", argv[argc - 1]);
        return CV_CLI_EXIT_ERROR;
    }
    if (argc < 2 && qmp == NULL) {
        cv_cli_error("status", "a domain (name, UUID or id) or --qmp PATH is required");
        return CV_CLI_EXIT_ERROR;
    }
    if (qmp != NULL) {
        if (cv_cli_reject_connect(global, "status"))
            return CV_CLI_EXIT_ERROR;
        if (!cv_cli_load_policy(policy_name, config, &policy, &error)) {
            cv_cli_error("status", "%s", error->message);
            return CV_CLI_EXIT_ERROR;
        }
        target = cv_target_qmp_new(qmp, NULL);
        cv_target_qmp_set_enable_events(target, FALSE);
        if (!cv_target_connect_sync(target, &error)) {
            cv_cli_error("status", "%s", error->message);
            return cv_cli_exit_for_error(error);
        }
    } else {
        CvCliDomainOptions opts = {
            .domain = argv[1],
            .read_only = TRUE,
            .policy_name = policy_name,
            .config_file = config,
        };
        const gchar *uris[3] = {NULL};

        if (!cv_cli_domain_open(global, "status", &opts, &dom))
            return dom.exit_code != 0 ? dom.exit_code : CV_CLI_EXIT_ERROR;
        uris[0] = cv_libvirt_conn_get_uri(dom.conn);
        uris[1] = global->connect_uri;
        policy = dom.policy;
        target = g_steal_pointer(&dom.target);
        view = cv_cli_daemon_view_load(runtime_dir);
        daemon_doc = cv_cli_daemon_view_find(view, uris, NULL, cv_target_libvirt_get_name(target));
    }
    if (!cv_target_query_params_sync(target, &params, &error) ||
        !cv_target_query_migrate_sync(target, &sample, &error)) {
        cv_cli_error("status", "%s", error->message);
        return cv_cli_exit_for_error(error);
    }
    sample.time_ms = cv_clock_now_ms(clock);
    cv_policy_history_init(&history);
    if (cv_field_valid(&params.downtime_limit_ms))
        history.original_downtime_limit_ms = params.downtime_limit_ms.value;
    now = cv_policy_decide(&policy, &sample, 1, &params, &history);
    have_would = would_set(&policy, &sample, &params, &would);
    if (json) {
        g_autofree gchar *plain =
            cv_cli_format_status_json(&sample, &params, &policy, &now, have_would ? &would : NULL);
        g_autoptr(JsonNode) root = json_from_string(plain, NULL);

        if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
            text = g_steal_pointer(&plain);
        } else {
            g_autoptr(JsonGenerator) gen = json_generator_new();
            g_autofree gchar *data = NULL;

            /* the daemon's document as it published it (cv-runtime-doc.h), or null */
            if (daemon_doc != NULL)
                json_object_set_object_member(json_node_get_object(root), "daemon",
                                              json_object_ref(daemon_doc));
            else
                json_object_set_null_member(json_node_get_object(root), "daemon");
            json_generator_set_root(gen, root);
            data = json_generator_to_data(gen, NULL);
            text = g_strconcat(data, "\n", NULL);
        }
    } else
        text = cv_cli_format_status(&sample, &params, &policy, &now, have_would ? &would : NULL);
    if (dom.policy_note != NULL && !json)
        printf("domain: %s (%s)\n%s\n", cv_target_libvirt_get_name(target),
               cv_target_get_description(target), dom.policy_note);
    if (daemon_doc != NULL && !json) {
        g_autofree gchar *tuned = cv_cli_daemon_doc_describe(view, daemon_doc);

        fputs(tuned, stdout);
    } else if (view != NULL && !json && qmp == NULL) {
        printf("virt-converged (pid %" G_GINT64_FORMAT ") runs but does not tune this domain\n",
               cv_cli_daemon_view_pid(view));
    }
    fputs(text, stdout);
    return CV_CLI_EXIT_OK;
}
