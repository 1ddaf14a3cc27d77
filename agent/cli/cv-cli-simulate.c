/* virt-converge simulate SCENARIO: start virt-converge-sim on a private socket, start its
 * migration, tune it with a clock scaled like the simulator's, print the timeline and a summary,
 * and stop the simulator. */
#include "config.h"

#include <signal.h>
#include <stdio.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "cv-cli.h"
#include "cv-target-qmp.h"
#include "cv-tuner-report.h"

/* How long the simulator may take to listen, in real time. */
#define SIM_START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define SIM_STOP_TIMEOUT_US (3 * G_USEC_PER_SEC)

typedef struct {
    gchar *dir;
    gchar *socket;
    gchar *log;
    GSubprocess *process;
    gboolean exited;
} Sim;

static gchar *
find_simulator(const gchar *option)
{
    const gchar *env = g_getenv("CV_SIM_PATH");
    g_autofree gchar *built = g_build_filename(BUILD_SIMDIR, "virt-converge-sim", NULL);

    if (option != NULL)
        return g_strdup(option);
    if (env != NULL && env[0] != '\0')
        return g_strdup(env);
    if (g_file_test(built, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer(&built);
    return g_find_program_in_path("virt-converge-sim");
}

static void
sim_wait_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Sim *sim = user_data;

    g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
    sim->exited = TRUE;
}

static gchar *
sim_log_tail(Sim *sim)
{
    g_autofree gchar *text = NULL;
    gsize len = 0;

    if (sim->log == NULL || !g_file_get_contents(sim->log, &text, &len, NULL) || len == 0)
        return g_strdup("(no output)");
    if (len > 2000)
        return g_strdup(text + len - 2000);
    return g_steal_pointer(&text);
}

static gboolean
sim_listening(Sim *sim)
{
    g_autoptr(GSocketClient) client = NULL;
    g_autoptr(GSocketAddress) address = NULL;
    g_autoptr(GSocketConnection) connection = NULL;

    if (!g_file_test(sim->socket, G_FILE_TEST_EXISTS))
        return FALSE;
    client = g_socket_client_new();
    address = g_unix_socket_address_new(sim->socket);
    connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, NULL);
    return connection != NULL;
}

static gboolean
sim_start(Sim *sim, const gchar *binary, const gchar *scenario, const gchar *qemu_version,
          gdouble speed, gint64 seed, GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autofree gchar *speed_str = NULL;
    g_autofree gchar *seed_str = g_strdup_printf("%" G_GINT64_FORMAT, seed);
    gchar speed_buf[G_ASCII_DTOSTR_BUF_SIZE];
    gint64 deadline;

    sim->dir = g_dir_make_tmp("virt-converge-sim-XXXXXX", error);
    if (sim->dir == NULL)
        return FALSE;
    sim->socket = g_build_filename(sim->dir, "qmp.sock", NULL);
    sim->log = g_build_filename(sim->dir, "sim.log", NULL);
    speed_str = g_strdup(g_ascii_dtostr(speed_buf, sizeof(speed_buf), speed));

    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT |
                                         G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_subprocess_launcher_set_stdout_file_path(launcher, sim->log);
    sim->process = g_subprocess_launcher_spawn(
        launcher, error, binary, "--socket", sim->socket, "--scenario", scenario, "--qemu-version",
        qemu_version, "--speed", speed_str, "--seed", seed_str, NULL);
    if (sim->process == NULL) {
        g_prefix_error(error, "cannot start the simulator %s: ", binary);
        return FALSE;
    }
    g_subprocess_wait_async(sim->process, NULL, sim_wait_cb, sim);
    deadline = g_get_monotonic_time() + SIM_START_TIMEOUT_US;
    while (!sim_listening(sim)) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        if (sim->exited) {
            g_autofree gchar *tail = sim_log_tail(sim);

            g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                        "the simulator exited before listening:\n%s", tail);
            return FALSE;
        }
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                        "the simulator did not listen on %s within %d s", sim->socket,
                        (gint)(SIM_START_TIMEOUT_US / G_USEC_PER_SEC));
            return FALSE;
        }
        g_usleep(10000);
    }
    return TRUE;
}

static void
sim_stop(Sim *sim)
{
    if (sim->process != NULL && !sim->exited) {
        gint64 deadline = g_get_monotonic_time() + SIM_STOP_TIMEOUT_US;

        g_subprocess_send_signal(sim->process, SIGTERM);
        while (!sim->exited && g_get_monotonic_time() < deadline) {
            while (g_main_context_iteration(NULL, FALSE))
                ;
            if (!sim->exited)
                g_usleep(5000);
        }
        if (!sim->exited) {
            g_subprocess_force_exit(sim->process);
            while (!sim->exited)
                g_main_context_iteration(NULL, TRUE);
        }
    }
    g_clear_object(&sim->process);
    if (sim->socket != NULL)
        g_unlink(sim->socket);
    if (sim->log != NULL)
        g_unlink(sim->log);
    if (sim->dir != NULL)
        g_rmdir(sim->dir);
    g_clear_pointer(&sim->socket, g_free);
    g_clear_pointer(&sim->log, g_free);
    g_clear_pointer(&sim->dir, g_free);
}

gint
cv_cli_simulate(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *policy_name = NULL;
    g_autofree gchar *config = NULL;
    g_autofree gchar *qemu_version = NULL;
    g_autofree gchar *sim_path = NULL;
    g_autofree gchar *destination = NULL;
    gboolean dry_run = FALSE, json = FALSE, no_events = FALSE;
    gint max_passes = 0;
    gint64 seed = 1;
    gdouble speed = 50.0, timeout = 3600.0;
    const GOptionEntry entries[] = {
        {"policy", 'p', 0, G_OPTION_ARG_STRING, &policy_name, "policy to apply (default: default)",
         "NAME"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"qemu-version", 0, 0, G_OPTION_ARG_STRING, &qemu_version,
         "QEMU semantics to simulate: 7.2, 8.2 or 11.1 (default 11.1)", "V"},
        {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed,
         "run the simulated clock N times faster than real time (default 50)", "N"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "simulator seed (default 1)", "N"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "decide and report, change nothing", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object per line", NULL},
        {"max-passes", 0, 0, G_OPTION_ARG_INT, &max_passes,
         "stop watching after N evaluated iterations", "N"},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout,
         "stop after SECONDS of simulated time (default 3600)", "SECONDS"},
        {"no-events", 0, 0, G_OPTION_ARG_NONE, &no_events,
         "do not enable migration events; poll only", NULL},
        {"destination", 0, 0, G_OPTION_ARG_STRING, &destination,
         "the destination host this migration stands for: a learned switchover-bandwidth uses "
         "what completed migrations to it taught, and a completed one is recorded for it "
         "(in $STATE_DIRECTORY/learned)",
         "HOST"},
        {"simulator", 0, 0, G_OPTION_ARG_FILENAME, &sim_path,
         "the virt-converge-sim binary (default: $CV_SIM_PATH, the build tree, PATH)", "PATH"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "simulate", "SCENARIO",
        "Start virt-converge-sim with SCENARIO on a private socket, start its migration and tune "
        "it: the timeline, then a summary (converged or not, total time, achieved downtime vs "
        "the lower bound, changes made).");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvClock) clock = NULL;
    g_autoptr(CvTarget) target = NULL;
    g_autofree gchar *binary = NULL;
    CvTunerOptions options;
    CvTuner *tuner;
    Sim sim = {0};
    gint rc;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "simulate", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (cv_cli_reject_connect(global, "simulate"))
        return CV_CLI_EXIT_ERROR;
    if (argc != 2) {
        cv_cli_error("simulate", argc < 2 ? "SCENARIO is required" : "one SCENARIO only");
        return CV_CLI_EXIT_ERROR;
    }
    if (qemu_version == NULL)
        qemu_version = g_strdup("11.1");
    if (!(speed > 0.0) || max_passes < 0 || timeout < 0.0) {
        cv_cli_error("simulate", "--speed must be positive, --max-passes and --timeout not "
                                 "negative");
        return CV_CLI_EXIT_ERROR;
    }
    cv_tuner_options_init(&options);
    if (!cv_cli_load_policy(policy_name, config, &options.policy, &error)) {
        cv_cli_error("simulate", "%s", error->message);
        return CV_CLI_EXIT_ERROR;
    }
    binary = find_simulator(sim_path);
    if (binary == NULL) {
        cv_cli_error("simulate", "virt-converge-sim not found (set CV_SIM_PATH or --simulator)");
        return CV_CLI_EXIT_ERROR;
    }
    options.dry_run = dry_run;
    options.max_iterations = (guint)max_passes;
    options.timeout_ms = (guint64)(timeout * 1000.0);
    options.start_uri = "tcp:127.0.0.1:4444";

    if (json) {
        g_autofree gchar *scenario = g_strescape(argv[1], NULL);
        g_autofree gchar *version = g_strescape(qemu_version, NULL);

        printf("{\"record\":\"simulate\",\"scenario\":\"%s\",\"qemu-version\":\"%s\","
               "\"speed\":%g,\"seed\":%" G_GINT64_FORMAT "}\n",
               scenario, version, speed, seed);
    } else
        printf("simulate: scenario %s, QEMU %s semantics, speed %gx, seed %" G_GINT64_FORMAT "\n",
               argv[1], qemu_version, speed, seed);
    if (destination != NULL)
        cv_cli_learned_use("simulate", config, destination, &options.policy, json);
    fflush(stdout);

    if (!sim_start(&sim, binary, argv[1], qemu_version, speed, seed, &error)) {
        cv_cli_error("simulate", "%s", error->message);
        sim_stop(&sim);
        return CV_CLI_EXIT_ERROR;
    }
    clock = cv_clock_new_scaled(speed);
    target = cv_target_qmp_new(sim.socket, NULL);
    cv_target_qmp_set_enable_events(target, !no_events);
    tuner = cv_tuner_new(target, clock, &options);
    rc = cv_cli_run_tuner(tuner, json);
    if (cv_tuner_get_summary(tuner)->outcome == CV_TUNER_OUTCOME_VANISHED) {
        g_autofree gchar *tail = sim_log_tail(&sim);

        cv_cli_error("simulate", "simulator output:\n%s", tail);
    }
    if (destination != NULL)
        cv_cli_learned_record("simulate", destination, argv[1], &options.policy,
                              cv_tuner_get_summary(tuner), json);
    cv_tuner_free(tuner);
    g_clear_pointer(&target, cv_target_free);
    sim_stop(&sim);
    return rc;
}
