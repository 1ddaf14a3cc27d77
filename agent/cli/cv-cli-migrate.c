/* virt-converge migrate DOM DESTURI: start the migration as virsh would
 * (virDomainMigrateToURI3 with --p2p, virDomainMigrate3 otherwise, on a thread of the
 * connection) and tune it in the foreground; the exit status is tune's. */
#include "config.h"

#include <stdio.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-target-libvirt.h"

/* How long to wait for virDomainMigrateToURI3 to return once the tuner is done. */
#define MIGRATE_RETURN_GUARD_S 60

static gboolean
tick_cb(gpointer user_data)
{
    return G_SOURCE_CONTINUE;
}

gint
cv_cli_migrate(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *policy_name = NULL;
    g_autofree gchar *config = NULL;
    g_autofree gchar *migrate_uri = NULL;
    g_autofree gchar *monitor_commands = NULL;
    gboolean live = FALSE, p2p = FALSE, tunnelled = FALSE, postcopy = FALSE, persistent = FALSE,
             undefine = FALSE, dry_run = FALSE, json = FALSE;
    gint64 bandwidth = 0;
    gdouble timeout = 0.0;
    const GOptionEntry entries[] = {
        {"live", 0, 0, G_OPTION_ARG_NONE, &live, "live migration (the guest keeps running)", NULL},
        {"p2p", 0, 0, G_OPTION_ARG_NONE, &p2p,
         "peer-to-peer: the source libvirtd connects to DESTURI itself", NULL},
        {"tunnelled", 0, 0, G_OPTION_ARG_NONE, &tunnelled,
         "tunnel the data through libvirtd (needs --p2p)", NULL},
        {"postcopy", 0, 0, G_OPTION_ARG_NONE, &postcopy,
         "allow post-copy, so a policy may escalate to it", NULL},
        {"persistent", 0, 0, G_OPTION_ARG_NONE, &persistent,
         "persist the domain on the destination", NULL},
        {"undefinesource", 0, 0, G_OPTION_ARG_NONE, &undefine, "undefine the domain on the source",
         NULL},
        {"bandwidth", 0, 0, G_OPTION_ARG_INT64, &bandwidth, "migration bandwidth limit", "MiB/s"},
        {"migrateuri", 0, 0, G_OPTION_ARG_STRING, &migrate_uri,
         "the hypervisor's migration URI (tcp://HOST[:PORT])", "URI"},
        {"policy", 'p', 0, G_OPTION_ARG_STRING, &policy_name,
         "policy to apply (default: the domain's, as tune)", "NAME"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"monitor-commands", 0, 0, G_OPTION_ARG_STRING, &monitor_commands,
         "when QEMU's monitor may be used (auto, always, never)", "MODE"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "migrate, but only report what would be tuned", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object per line", NULL},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout,
         "stop tuning after SECONDS (the migration goes on, our changes restored)", "SECONDS"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "migrate", "DOM DESTURI",
        "Migrate libvirt domain DOM to the libvirt at DESTURI, as `virsh migrate` would, and "
        "tune the migration to the end in the foreground. The exit status is tune's.");
    g_auto(CvCliDomain) dom = {0};
    g_autoptr(CvClock) clock = cv_clock_new_monotonic();
    g_autoptr(CvTarget) target = NULL;
    g_autofree gchar *destination = NULL;
    CvTunerOptions options;
    CvTuner *tuner;
    guint flags = 0;
    gint rc;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "migrate", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc != 3) {
        cv_cli_error("migrate", "usage: migrate DOM DESTURI [OPTIONS] (see 'migrate --help')");
        return CV_CLI_EXIT_ERROR;
    }
    if (bandwidth < 0 || timeout < 0.0 || (tunnelled && !p2p)) {
        cv_cli_error("migrate", "--bandwidth and --timeout must not be negative; --tunnelled "
                                "needs --p2p");
        return CV_CLI_EXIT_ERROR;
    }
    if (live)
        flags |= VIR_MIGRATE_LIVE;
    if (p2p)
        flags |= VIR_MIGRATE_PEER2PEER;
    if (tunnelled)
        flags |= VIR_MIGRATE_TUNNELLED;
    if (postcopy)
        flags |= VIR_MIGRATE_POSTCOPY;
    if (persistent)
        flags |= VIR_MIGRATE_PERSIST_DEST;
    if (undefine)
        flags |= VIR_MIGRATE_UNDEFINE_SOURCE;

    {
        CvCliDomainOptions opts = {
            .domain = argv[1],
            .policy_name = policy_name,
            .config_file = config,
            .monitor_commands = monitor_commands,
        };

        if (!cv_cli_domain_open(global, "migrate", &opts, &dom))
            return dom.exit_code != 0 ? dom.exit_code : CV_CLI_EXIT_ERROR;
    }
    cv_tuner_options_init(&options);
    options.policy = dom.policy;
    /* the data goes to --migrateuri's host when given, else to DESTURI's */
    destination = cv_cli_format_destination_from_uri(migrate_uri != NULL ? migrate_uri : argv[2]);
    if (!json)
        printf("%s: %s\n", cv_target_libvirt_get_name(dom.target), dom.policy_note);
    cv_cli_learned_use("migrate", config, destination, &options.policy, json);
    options.dry_run = dry_run;
    options.timeout_ms = (guint64)(timeout * 1000.0);
    options.start_uri = argv[2];
    cv_target_libvirt_set_migrate_options(dom.target, flags, (guint64)bandwidth, migrate_uri);
    if (!json) {
        printf("%s: migrating to %s%s%s%s", cv_target_libvirt_get_name(dom.target), argv[2],
               live ? " (live" : " (offline-capable", p2p ? ", peer-to-peer" : "",
               tunnelled ? ", tunnelled" : "");
        if (bandwidth > 0)
            printf(", %" G_GINT64_FORMAT " MiB/s", bandwidth);
        printf(")\n");
        fflush(stdout);
    }
    target = g_steal_pointer(&dom.target);
    tuner = cv_tuner_new(target, clock, &options);
    rc = cv_cli_run_tuner(tuner, json);
    cv_cli_learned_record("migrate", destination, cv_target_libvirt_get_name(target),
                          &options.policy, cv_tuner_get_summary(tuner), json);
    /* libvirt's migrate call returns a moment after the end (it waits for the source QEMU
     * to exit): let it, rather than drop the connection under it */
    if (cv_migration_status_is_final(cv_tuner_get_summary(tuner)->final_status)) {
        gint64 until = g_get_monotonic_time() + MIGRATE_RETURN_GUARD_S * G_USEC_PER_SEC;
        guint tick = g_timeout_add_seconds(1, tick_cb, NULL);

        while (cv_target_libvirt_is_migrating(target) && g_get_monotonic_time() < until)
            g_main_context_iteration(NULL, TRUE);
        g_source_remove(tick);
    }
    cv_tuner_free(tuner);
    g_clear_pointer(&target, cv_target_free);
    return rc;
}
