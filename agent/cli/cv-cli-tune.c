/* virt-converge tune DOM | --qmp PATH: attach to a migration and tune it to the end. DOM is a
 * libvirt domain (name, UUID or id) on -c URI; --qmp speaks to a QEMU without libvirt. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cv-cli.h"
#include "cv-target-libvirt.h"
#include "cv-target-qmp.h"

gint
cv_cli_tune(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *qmp = NULL;
    g_autofree gchar *policy_name = NULL;
    g_autofree gchar *config = NULL;
    g_autofree gchar *migrate_uri = NULL;
    g_autofree gchar *monitor_commands = NULL;
    g_autofree gchar *destination = NULL;
    gboolean dry_run = FALSE, json = FALSE, keep = FALSE, no_events = FALSE;
    gint max_passes = 0;
    gdouble timeout = 0.0, speed = 1.0, start_timeout = 60.0, poll = 1.0, qmp_timeout = 10.0;
    const GOptionEntry entries[] = {
        {"qmp", 0, 0, G_OPTION_ARG_FILENAME, &qmp, "QEMU's QMP unix socket", "PATH"},
        {"policy", 'p', 0, G_OPTION_ARG_STRING, &policy_name, "policy to apply (default: default)",
         "NAME"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "decide and report, change nothing", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object per line", NULL},
        {"max-passes", 0, 0, G_OPTION_ARG_INT, &max_passes,
         "stop watching after N evaluated iterations", "N"},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, "stop watching after SECONDS", "SECONDS"},
        {"start-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &start_timeout,
         "give up when no migration starts within SECONDS (default 60, 0 = wait)", "SECONDS"},
        {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed,
         "the peer's clock runs N times faster than real time (simulator)", "N"},
        {"poll", 0, 0, G_OPTION_ARG_DOUBLE, &poll,
         "query period in seconds, with or without events (default 1)", "SECONDS"},
        {"migrate", 0, 0, G_OPTION_ARG_STRING, &migrate_uri,
         "start the migration to URI once attached (QEMU's monitor takes one client at a time)",
         "URI"},
        {"qmp-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &qmp_timeout,
         "how long a QMP command may wait for its reply, in real seconds (default 10)", "SECONDS"},
        {"destination", 0, 0, G_OPTION_ARG_STRING, &destination,
         "the host the migration goes to: a learned switchover-bandwidth uses what completed "
         "migrations to it taught, and this one is recorded for it once completed (default: "
         "the host-wide key 'any', as the daemon)",
         "HOST"},
        {"keep", 0, 0, G_OPTION_ARG_NONE, &keep,
         "when watching stops early, leave the changes in place", NULL},
        {"no-events", 0, 0, G_OPTION_ARG_NONE, &no_events,
         "do not enable QEMU's migration events; poll only (--qmp)", NULL},
        {"monitor-commands", 0, 0, G_OPTION_ARG_STRING, &monitor_commands,
         "libvirt: when QEMU's monitor may be used (auto, always, never; default: the "
         "configuration's monitor-commands)",
         "MODE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "tune", "DOM | --qmp PATH",
        "Attach to the outgoing migration of libvirt domain DOM (name, UUID or id, on -c URI) "
        "or of the QEMU on a QMP socket, and tune it to the end: one line per evaluated "
        "iteration, a summary at the end. Without --policy, DOM's policy is the one its "
        "<metadata> names, else the first [domain:PATTERN] rule, else vfio for a domain with "
        "VFIO devices, else default.");
    g_auto(CvCliDomain) dom = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(CvClock) clock = NULL;
    g_autoptr(CvTarget) target = NULL;
    CvTunerOptions options;
    CvTuner *tuner;
    gint rc;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "tune", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc > 2 || (argc == 2 && qmp != NULL)) {
        cv_cli_error("tune", "unexpected argument '%s'", argv[argc - 1]);
        return CV_CLI_EXIT_ERROR;
    }
    if (argc < 2 && qmp == NULL) {
        cv_cli_error("tune", "a domain (name, UUID or id) or --qmp PATH is required");
        return CV_CLI_EXIT_ERROR;
    }
    if (qmp != NULL && cv_cli_reject_connect(global, "tune"))
        return CV_CLI_EXIT_ERROR;
    if (qmp == NULL && (migrate_uri != NULL || no_events || speed != 1.0)) {
        cv_cli_error("tune", "--migrate, --no-events and --speed are for --qmp; use "
                             "'virt-converge migrate' for libvirt");
        return CV_CLI_EXIT_ERROR;
    }
    if (!(speed > 0.0) || max_passes < 0 || timeout < 0.0 || start_timeout < 0.0 || !(poll > 0.0) ||
        !(qmp_timeout > 0.0) || qmp_timeout > 3600.0) {
        cv_cli_error("tune", "--speed, --poll and --qmp-timeout (at most 3600) must be positive, "
                             "--max-passes and the timeouts not negative");
        return CV_CLI_EXIT_ERROR;
    }
    cv_tuner_options_init(&options);
    if (qmp == NULL) {
        CvCliDomainOptions opts = {
            .domain = argv[1],
            .policy_name = policy_name,
            .config_file = config,
            .monitor_commands = monitor_commands,
        };

        if (!cv_cli_domain_open(global, "tune", &opts, &dom))
            return dom.exit_code != 0 ? dom.exit_code : CV_CLI_EXIT_ERROR;
        options.policy = dom.policy;
        if (!json)
            printf("%s: %s\n", cv_target_libvirt_get_name(dom.target), dom.policy_note);
    } else if (!cv_cli_load_policy(policy_name, config, &options.policy, &error)) {
        cv_cli_error("tune", "%s", error->message);
        return CV_CLI_EXIT_ERROR;
    }
    if (destination != NULL && *destination == '\0') {
        cv_cli_error("tune", "--destination must name a host");
        return CV_CLI_EXIT_ERROR;
    }
    cv_cli_learned_use("tune", config, destination, &options.policy, json);
    options.dry_run = dry_run;
    options.keep = keep;
    options.max_iterations = (guint)max_passes;
    options.timeout_ms = (guint64)(timeout * 1000.0);
    options.start_timeout_ms = (guint64)(start_timeout * 1000.0);
    options.poll_interval_ms = (guint64)MAX(1.0, poll * 1000.0);
    options.start_uri = migrate_uri;

    clock = speed == 1.0 ? cv_clock_new_monotonic() : cv_clock_new_scaled(speed);
    if (qmp != NULL) {
        target = cv_target_qmp_new(qmp, NULL);
        cv_target_qmp_set_enable_events(target, !no_events);
        cv_target_qmp_set_timeout(target, (guint)ceil(qmp_timeout * 1000.0));
    } else {
        target = g_steal_pointer(&dom.target);
    }
    tuner = cv_tuner_new(target, clock, &options);
    rc = cv_cli_run_tuner(tuner, json);
    cv_cli_learned_record("tune", destination, cv_target_get_description(target), &options.policy,
                          cv_tuner_get_summary(tuner), json);
    /* The tuner, then its target (which drops the tuner's callbacks still in flight). */
    cv_tuner_free(tuner);
    g_clear_pointer(&target, cv_target_free);
    return rc;
}
