#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <glib.h>

#include "cv-sim-scenario.h"
#include "cv-sim-server.h"

#define DEFAULT_SCENARIO "vgpu-2g"

typedef struct {
    GMainLoop *loop;
    guint running;
} MainState;

static gboolean
on_signal(gpointer user_data)
{
    MainState *state = user_data;

    g_message("signal received, exiting");
    g_main_loop_quit(state->loop);
    return G_SOURCE_CONTINUE;
}

static void
on_quit(CvSimServer *server, gpointer user_data)
{
    MainState *state = user_data;

    g_message("%s: quit", cv_sim_server_get_path(server));
    if (--state->running == 0)
        g_main_loop_quit(state->loop);
}

static gchar *
help_description(void)
{
    GString *text = g_string_new(NULL);
    g_auto(GStrv) names = cv_sim_scenario_list();
    g_auto(GStrv) dirs = cv_sim_scenario_search_path();
    g_autofree gchar *joined = g_strjoinv(", ", dirs);

    g_string_append(text, "Scenarios (NAME.scenario, searched in ");
    g_string_append(text, joined);
    g_string_append(text, "):\n");
    for (guint i = 0; names[i] != NULL; i++) {
        g_autofree gchar *path = cv_sim_scenario_find(names[i], NULL);
        g_autoptr(CvSimScenario) sc = path != NULL ? cv_sim_scenario_load_file(path, NULL) : NULL;
        GString *versions = g_string_new(NULL);

        for (guint v = 0; sc != NULL && v < CV_SIM_QEMU_N_VERSIONS; v++) {
            if (cv_sim_scenario_supports(sc, (CvSimQemuVersion)v))
                g_string_append_printf(versions, "%s%s", versions->len > 0 ? "," : "",
                                       cv_sim_qemu_version_to_string((CvSimQemuVersion)v));
        }
        g_string_append_printf(text, "  %-15s %s [QEMU %s]\n", names[i],
                               sc != NULL ? sc->description : "(does not load)", versions->str);
        g_string_free(versions, TRUE);
    }
    g_string_append(
        text,
        "\nQEMU versions (--qemu-version):\n"
        "  7.2   the key set of real QEMU 7.2 replies (ram.skipped included); no\n"
        "        avail-switchover-bandwidth (\"Parameter ... is unexpected\");\n"
        "        expected-downtime counts RAM only\n"
        "  8.2   avail-switchover-bandwidth accepted; expected-downtime still RAM only\n"
        "  11.1  top-level system-wide `remaining`; expected-downtime counts every device;\n"
        "        status `device` at every switchover\n"
        "\nThe model and its limits:\n"
        "  One guest per socket: RAM written uniformly over a working set, a precopy rate that\n"
        "  QEMU measures (mbps), a link rate for the final stop-copy, VFIO devices with\n"
        "  precopy and stop-copy sizes. QEMU's switchover rule: pending <= bandwidth x\n"
        "  downtime-limit, bandwidth = avail-switchover-bandwidth or the measured rate.\n"
        "  Every iteration is simulated and every MIGRATION_PASS is sent, hundreds per\n"
        "  virtual second once RAM is drained and a device state dominates.\n"
        "  Not modelled: auto-converge, dirty-limit, xbzrle, multifd, compression,\n"
        "  pause-before-switchover, switchover-ack (accepted and reported, no effect);\n"
        "  postcopy page faults (postcopy-requests stays 0); the destination. The measured\n"
        "  rate is the scenario's precopy rate even when the stream is idle. Several JSON\n"
        "  objects on one line are not split as QEMU's streamer does.\n"
        "\nExit status: 0 after quit (every instance) or SIGTERM/SIGINT, 1 on errors.\n");
    return g_string_free(text, FALSE);
}

int
main(int argc, char **argv)
{
    g_autofree gchar *socket_path = NULL;
    g_autofree gchar *scenario_arg = NULL;
    g_autofree gchar *version_arg = NULL;
    g_autofree gchar *scenario_path = NULL;
    g_autofree gchar *description = NULL;
    gdouble speed = 1;
    gint64 seed = -1;
    gboolean start = FALSE;
    gboolean verbose = FALSE;
    gboolean list = FALSE;
    gint instances = 1;
    const GOptionEntry entries[] = {
        {"socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
         "Serve QMP on the unix socket PATH (PATH-0 ... PATH-(N-1) with --instances N > 1)",
         "PATH"},
        {"scenario", 'S', 0, G_OPTION_ARG_STRING, &scenario_arg,
         "Scenario NAME (see below) or a .scenario FILE (default " DEFAULT_SCENARIO ")",
         "NAME|FILE"},
        {"qemu-version", 'q', 0, G_OPTION_ARG_STRING, &version_arg,
         "Reply format and semantics: 7.2, 8.2 or 11.1 (default: the scenario's)", "VERSION"},
        {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed,
         "Virtual time runs N times faster than real time (default 1)", "N"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed,
         "Seed of the random garbage sizes, for reproducible runs (default: random, logged)", "N"},
        {"start", 0, 0, G_OPTION_ARG_NONE, &start,
         "Start the migration at once instead of waiting for `migrate`", NULL},
        {"instances", 'n', 0, G_OPTION_ARG_INT, &instances,
         "Serve N independent guests from one process (default 1)", "N"},
        {"list-scenarios", 0, 0, G_OPTION_ARG_NONE, &list, "List the scenarios and exit", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvSimScenario) scenario = NULL;
    /* declared before the servers, so it is freed after them (they leave it first) */
    g_autoptr(CvSimLink) link = NULL;
    g_autoptr(GPtrArray) servers = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    CvSimQemuVersion version;
    MainState state = {NULL, 0};
    gint64 origin_us;
    gint64 epoch_us;

    setlocale(LC_ALL, "");
    context = g_option_context_new("- a QMP peer that migrates like QEMU 7.2, 8.2 and 11.1");
    g_option_context_add_main_entries(context, entries, NULL);
    description = help_description();
    g_option_context_set_description(context, description);
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        g_printerr("virt-converge-sim: %s\n", error->message);
        return EXIT_FAILURE;
    }
    if (verbose)
        g_log_set_debug_enabled(TRUE);
    if (list) {
        g_auto(GStrv) names = cv_sim_scenario_list();
        for (guint i = 0; names[i] != NULL; i++)
            g_print("%s\n", names[i]);
        return EXIT_SUCCESS;
    }
    if (socket_path == NULL) {
        g_printerr("virt-converge-sim: --socket PATH is required (see --help)\n");
        return EXIT_FAILURE;
    }
    if (!(speed > 0) || speed > 1e6) {
        g_printerr("virt-converge-sim: --speed must be above 0 and at most 1000000\n");
        return EXIT_FAILURE;
    }
    if (instances < 1 || instances > 10000) {
        g_printerr("virt-converge-sim: --instances must be between 1 and 10000\n");
        return EXIT_FAILURE;
    }
    if (seed < 0)
        seed = g_random_int();
    scenario_path =
        cv_sim_scenario_find(scenario_arg != NULL ? scenario_arg : DEFAULT_SCENARIO, &error);
    if (scenario_path != NULL)
        scenario = cv_sim_scenario_load_file(scenario_path, &error);
    if (scenario == NULL) {
        g_printerr("virt-converge-sim: %s\n", error->message);
        return EXIT_FAILURE;
    }
    version = scenario->default_version;
    if (version_arg != NULL && !cv_sim_qemu_version_from_string(version_arg, &version)) {
        g_printerr("virt-converge-sim: unknown --qemu-version %s (7.2, 8.2 or 11.1)\n",
                   version_arg);
        return EXIT_FAILURE;
    }
    if (!cv_sim_scenario_supports(scenario, version)) {
        g_printerr("virt-converge-sim: scenario %s does not make sense with QEMU %s\n",
                   scenario->name, cv_sim_qemu_version_to_string(version));
        return EXIT_FAILURE;
    }

    loop = g_main_loop_new(NULL, FALSE);
    state.loop = loop;
    servers = g_ptr_array_new_with_free_func((GDestroyNotify)cv_sim_server_free);
    /* one virtual clock for every instance */
    origin_us = g_get_monotonic_time();
    epoch_us = g_get_real_time();
    if (scenario->shared_link_rate > 0)
        link = cv_sim_link_new(scenario->shared_link_rate);
    for (gint i = 0; i < instances; i++) {
        CvSimServerOptions options = {version,   speed, (guint32)seed + (guint32)i, start, epoch_us,
                                      origin_us, link};
        g_autofree gchar *path =
            instances > 1 ? g_strdup_printf("%s-%d", socket_path, i) : g_strdup(socket_path);
        CvSimServer *server = cv_sim_server_new(scenario, &options);

        g_ptr_array_add(servers, server);
        if (!cv_sim_server_listen(server, path, &error)) {
            g_printerr("virt-converge-sim: %s\n", error->message);
            return EXIT_FAILURE;
        }
        cv_sim_server_set_quit_func(server, on_quit, &state);
        state.running++;
    }
    g_unix_signal_add(SIGTERM, on_signal, &state);
    g_unix_signal_add(SIGINT, on_signal, &state);
    g_message(
        "serving %d instance%s on %s%s: scenario %s, QEMU %s, speed %g, seed %" G_GINT64_FORMAT
        "%s",
        instances, instances > 1 ? "s" : "", socket_path, instances > 1 ? "-N" : "", scenario->name,
        cv_sim_qemu_version_to_string(version), speed, seed, start ? ", migrating" : "");
    g_main_loop_run(loop);
    return EXIT_SUCCESS;
}
