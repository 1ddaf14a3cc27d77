/* virt-converged: main() parses the options, installs logging and the signal handlers, and
 * hands over to CvDaemon (cv-daemon.c, whose top comment is the daemon's design). */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>

#include "cv-daemon-log.h"
#include "cv-daemon-notify.h"
#include "cv-daemon.h"

#define EXIT_USAGE 1

static gboolean
reload_cb(gpointer user_data)
{
    g_autoptr(GError) error = NULL;

    /* a failure is logged by the daemon with FILE:LINE; the running configuration stays */
    (void)cv_daemon_reload(user_data, &error);
    return G_SOURCE_CONTINUE;
}

static gboolean
stop_cb(gpointer user_data)
{
    cv_daemon_stop(user_data);
    return G_SOURCE_CONTINUE;
}

static gint
check_config(const CvDaemonOptions *options)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_daemon_load_config(options, &error);
    g_autofree gchar *main_path = NULL;
    g_autofree gchar *policies_dir = NULL;
    g_auto(GStrv) policies = NULL;
    g_autofree gchar *names = NULL;

    if (config == NULL) {
        /* "FILE:LINE: what is wrong", nothing else: editors and CI read it */
        fprintf(stderr, "%s\n", error->message);
        return EXIT_USAGE;
    }
    cv_daemon_options_config_paths(options, &main_path, &policies_dir);
    policies = cv_config_list_policies(config);
    names = g_strjoinv(", ", policies);
    printf("%s: configuration OK (drop-ins from %s); policies: %s\n",
           main_path != NULL ? main_path : "no file, built-in defaults", policies_dir, names);
    return EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
    g_autofree gchar *config_file = NULL;
    g_auto(GStrv) connect = NULL;
    gboolean foreground = FALSE;
    gboolean verbose = FALSE;
    gboolean check = FALSE;
    gboolean version = FALSE;
    const GOptionEntry entries[] = {
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_file,
         "configuration file (default: $CONFIGURATION_DIRECTORY or " SYSCONFDIR
         "/virt-converge, virt-converged.conf); its policies.d beside it",
         "FILE"},
        {"connect", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &connect,
         "libvirt URI to watch, instead of [daemon] uri (repeat for several)", "URI"},
        {"foreground", 0, 0, G_OPTION_ARG_NONE, &foreground,
         "log to standard error with time stamps, even under systemd (never forks either way)",
         NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log every decision and debug details",
         NULL},
        {"check-config", 0, 0, G_OPTION_ARG_NONE, &check,
         "validate the configuration and exit (FILE:LINE: what is wrong)", NULL},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvDaemon) daemon = NULL;
    CvDaemonOptions options = {0};

    setlocale(LC_ALL, "");
    /* A peer that goes away mid-write (libvirtd restarting under us, a closed notify socket)
     * is an error on that write, never the end of the daemon. */
    signal(SIGPIPE, SIG_IGN);
    g_set_prgname("virt-converged");
    g_option_context_set_summary(context,
                                 "Watch the live migrations of QEMU/KVM guests that libvirt "
                                 "manages and make stalled ones converge,\nwithin the "
                                 "downtime each domain's policy allows.");
    g_option_context_set_description(context,
                                     "Signals: SIGHUP reloads the configuration, SIGTERM and "
                                     "SIGINT stop.\nSee virt-converged(8) and "
                                     "virt-converged.conf(5).");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "virt-converged: %s (see --help)\n", error->message);
        return EXIT_USAGE;
    }
    if (argc > 1) {
        fprintf(stderr, "virt-converged: unexpected argument '%s' (see --help)\n", argv[1]);
        return EXIT_USAGE;
    }
    if (version) {
        printf("virt-converged %s\n", PACKAGE_VERSION);
        return EXIT_SUCCESS;
    }
    options.config_file = config_file;
    options.connect_uris = (const gchar *const *)connect;
    options.verbose = verbose;
    if (check)
        return check_config(&options);

    cv_log_install_writer(foreground, verbose);
    if (verbose)
        g_log_set_debug_enabled(TRUE);
    daemon = cv_daemon_new(&options, &error);
    if (daemon == NULL) {
        g_printerr("virt-converged: %s\n", error->message);
        return EXIT_USAGE;
    }
    g_unix_signal_add(SIGHUP, reload_cb, daemon);
    g_unix_signal_add(SIGTERM, stop_cb, daemon);
    g_unix_signal_add(SIGINT, stop_cb, daemon);
    if (!cv_daemon_start(daemon, &error)) {
        g_printerr("virt-converged: %s\n", error->message);
        return EXIT_FAILURE;
    }
    cv_daemon_run(daemon);
    return EXIT_SUCCESS;
}
