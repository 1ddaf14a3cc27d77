/* Load and leaks (suite 'load'): the daemon's core (CvDaemon: discovery, one tuner per
 * migration, records, history, runtime documents, metrics) with 200 migrations at once, until
 * 10,000 iterations (QEMU's dirty-sync passes) have been tuned in total.
 *
 * What is real and what is not: the daemon finds migrations only through libvirt
 * (CvDaemonSource). Here a test source stands in for libvirt (tests/cv-test-load-source.c,
 * which cv-bench-overhead scale-daemon runs too): its 200 domains' QEMUs are the
 * 200 guests of ONE `virt-converge-sim --instances 200` process (scenario ram-hog, 8 GiB
 * writing 2 GB/s, one raise converges it: 8 passes alone, 30 to 60 with 200 sharing the
 * simulator's process, so 5 rounds make 40,000-50,000 iterations), reached over real
 * unix sockets through the QMP target, with migration events on. The source scans by asking
 * each simulated QEMU query-migrate on a connection of its own. Everything above the source
 * is the production code.
 *
 * The test drives rounds: it starts a migration on every instance (`cont` after the previous
 * one, then `migrate`), hints the daemon (as libvirt's iteration event would), waits until the
 * daemon has written all 200 outcomes, then checks each instance on the simulator itself:
 * - the migration ended as its policy says: completed (the default policy here has a 1 s
 *   cap, enough for ram-hog's ~600-750 ms); the daemon's outcome line says completed too;
 * - no cap exceeded: QEMU's achieved downtime <= 1000 ms; the downtime-limit left on the
 *   source (query-migrate-parameters) and every limit the daemon applied (history) <= the
 *   cap less the 50 ms switchover reserve;
 * - no iteration boundary missed that the engine needed: every judgement the daemon made a
 *   change on was taken on boundary readings, i.e. its reason counts no reading taken
 *   mid-iteration beyond the first one at attach (the tuner attaches after QEMU started, so
 *   that one is mid-iteration by nature); a MIGRATION_PASS event whose read came too late or
 *   never would show up as a polled, mid-iteration reading there;
 * - the daemon answers: its runtime documents are gone for ended migrations, daemon.json is
 *   there, and it has no migration left between rounds.
 * Memory: glibc's allocator counter of bytes in use (mallinfo2().uordblks) after round 2
 * (warm-up: every code path has run, GLib's and json-glib's caches are filled) and after the
 * last round, both at rest between rounds (no migration tuned), must not grow by more than
 * 256 KiB: with at least 600 migrations between the two points, that catches a leak of about
 * 440 bytes per migration (or 26 bytes per iteration) or more, while allowing allocator
 * fragmentation. RSS is printed for the record, not asserted (RSS never shrinks reliably).
 * Under ASan the counters are the sanitizer's: the flatness check is skipped there and
 * LeakSanitizer checks for leaks at exit (scripts/test.sh runs this suite under ASan too).
 *
 * CV_LOAD_INSTANCES and CV_LOAD_ITERATIONS override 200 and 10,000 for a quick run. */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-clock.h"
#include "cv-daemon.h"
#include "cv-target-qmp.h"
#include "cv-test-fs.h"
#include "cv-test-load-source.h"

#if defined(__SANITIZE_ADDRESS__)
#define LOAD_UNDER_ASAN 1
#else
#define LOAD_UNDER_ASAN 0
#endif

#define LOAD_SPEED 5.0
#define LOAD_CAP_MS 1000
#define LOAD_RESERVE_MS 50
#define LOAD_FLAT_TOLERANCE (256 * 1024)
/* 2 rounds to warm up, 3 (600 migrations) between the two memory readings; under ASan, which
 * checks leaks at exit instead, only the iterations count */
#define LOAD_MIN_ROUNDS (LOAD_UNDER_ASAN ? 1 : 5)

typedef struct {
    CvTestLoadHost host; /* the stand-in for libvirt; its control targets are the test's too */
    gchar *dir;
    GSubprocess *sim;
    gsize history_offset;
    guint n_outcomes;
    guint pending; /* async operations of the test in flight */
} Load;

static Load load;

/* ---- the simulator ------------------------------------------------------------------------ */

static void
child_setup(gpointer user_data)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)GPOINTER_TO_INT(user_data))
        _exit(127);
}

static void
sim_start(void)
{
    g_autofree gchar *bin =
        g_test_build_filename(G_TEST_BUILT, "..", "sim", "virt-converge-sim", NULL);
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *n = g_strdup_printf("%u", load.host.n);
    g_autofree gchar *speed = g_strdup_printf("%g", LOAD_SPEED);
    g_autofree gchar *last = g_strdup_printf("%s-%u", load.host.sock_base, load.host.n - 1);
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    g_subprocess_launcher_set_child_setup(launcher, child_setup, GINT_TO_POINTER(getpid()), NULL);
    load.sim = g_subprocess_launcher_spawn(launcher, &error, bin, "--socket", load.host.sock_base,
                                           "--instances", n, "--scenario", "ram-hog", "--speed",
                                           speed, "--seed", "1", NULL);
    g_assert_no_error(error);
    while (!g_file_test(last, G_FILE_TEST_EXISTS) && g_get_monotonic_time() < deadline)
        g_usleep(20000);
    g_assert_true(g_file_test(last, G_FILE_TEST_EXISTS));
    g_usleep(100000);
    load.host.control = g_new0(CvTarget *, load.host.n);
    for (guint i = 0; i < load.host.n; i++) {
        g_autofree gchar *path = g_strdup_printf("%s-%u", load.host.sock_base, i);

        /* the migration events capability on before any migration, as libvirt sets it for
         * its migrations; QEMU refuses it while one runs, and the daemon attaches later */
        load.host.control[i] = cv_target_qmp_new(path, NULL);
        g_assert_true(cv_target_connect_sync(load.host.control[i], &error));
        g_assert_no_error(error);
    }
}

static void
op_done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    g_assert_no_error(error);
    load.pending--;
}

static void
run_until_no_pending(void)
{
    while (load.pending > 0)
        g_main_context_iteration(NULL, TRUE);
}

/* A new migration on every instance: `cont` after a completed one (the guest is paused in
 * postmigrate, as QEMU leaves it) and downtime-limit back to 300 ms, then `migrate`; then the
 * hints libvirt's events would give. */
static void
start_round(guint round)
{
    for (guint i = 0; i < load.host.n && round > 0; i++) {
        load.pending += 2;
        cv_target_resume_guest(load.host.control[i], op_done_cb, NULL);
        /* QEMU keeps a limit across migrations; libvirt resets it when its job ends */
        cv_target_set_downtime_limit(load.host.control[i], 300, op_done_cb, NULL);
    }
    run_until_no_pending();
    for (guint i = 0; i < load.host.n; i++) {
        load.pending++;
        cv_target_migrate(load.host.control[i], "tcp:127.0.0.1:4444", op_done_cb, NULL);
    }
    run_until_no_pending();
    cv_test_load_host_hint_all(&load.host);
}

/* ---- what the daemon wrote ---------------------------------------------------------------- */

typedef struct {
    guint outcomes, completed, applied, boundary_misses;
    guint64 passes;       /* from the outcome lines */
    guint64 highest_sent; /* the highest downtime-limit applied */
} Tally;

/* New history lines since the last call, tallied. */
static void
read_history(const gchar *state_dir, Tally *t)
{
    g_autofree gchar *path = g_build_filename(state_dir, "history.jsonl", NULL);
    g_autofree gchar *text = NULL;
    gsize len = 0;
    gchar *line, *end;

    if (!g_file_get_contents(path, &text, &len, NULL) || len <= load.history_offset)
        return;
    line = text + load.history_offset;
    while ((end = memchr(line, '\n', (gsize)(text + len - line))) != NULL) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o;
        const gchar *event;

        *end = '\0';
        g_assert_true(json_parser_load_from_data(parser, line, -1, NULL));
        o = json_node_get_object(json_parser_get_root(parser));
        event = json_object_get_string_member_with_default(o, "event", "");
        if (g_str_equal(event, "outcome")) {
            t->outcomes++;
            if (g_strcmp0(json_object_get_string_member(o, "outcome"), "completed") == 0)
                t->completed++;
            else
                g_test_message("not completed: %s", line);
            t->passes += (guint64)json_object_get_int_member_with_default(o, "passes", 0);
        } else if (g_str_equal(event, "decision") &&
                   g_strcmp0(json_object_get_string_member_with_default(o, "result", ""),
                             "applied") == 0) {
            const gchar *reason = json_object_get_string_member_with_default(o, "reason", "");
            const gchar *mid = strstr(reason, " readings taken mid-iteration");
            guint k = 0;

            t->applied++;
            if (g_strcmp0(json_object_get_string_member_with_default(o, "decision", ""),
                          "set-downtime-limit") == 0)
                t->highest_sent =
                    MAX(t->highest_sent, (guint64)json_object_get_int_member(o, "value"));
            if (mid != NULL) {
                /* "; K of N readings taken mid-iteration" */
                const gchar *p = mid;

                while (p > reason && p[-1] != ';')
                    p--;
                k = (guint)g_ascii_strtoull(p + 1, NULL, 10);
            }
            if (k > 1) {
                t->boundary_misses++;
                g_test_message("judged on %u mid-iteration readings: %s", k, reason);
            }
        }
        line = end + 1;
    }
    load.history_offset = (gsize)(line - text);
}

static gsize
allocated_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static guint64
rss_kib(void)
{
    g_autofree gchar *text = NULL;
    const gchar *p;

    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL) ||
        (p = strstr(text, "VmRSS:")) == NULL)
        return 0;
    return g_ascii_strtoull(p + strlen("VmRSS:"), NULL, 10);
}

static guint
env_uint(const gchar *name, guint fallback)
{
    const gchar *v = g_getenv(name);

    return v != NULL && *v != '\0' ? (guint)g_ascii_strtoull(v, NULL, 10) : fallback;
}

static void
test_load(void)
{
    guint target_iterations = env_uint("CV_LOAD_ITERATIONS", 10000);
    g_autofree gchar *conf = NULL;
    g_autofree gchar *state_dir = NULL;
    g_autofree gchar *runtime_dir = NULL;
    g_autofree gchar *daemon_doc = NULL;
    g_autoptr(CvClock) clock = cv_clock_new_scaled(LOAD_SPEED);
    g_autoptr(CvDaemon) daemon = NULL;
    g_autoptr(GError) error = NULL;
    Tally tally = {0};
    guint64 sim_passes = 0, highest_downtime = 0, highest_left = 0;
    gsize mem_warm = 0, mem_end = 0;
    guint64 rss_warm = 0, rss_end = 0;
    guint round = 0;
    CvDaemonOptions o = {0};
    gint64 t0 = g_get_monotonic_time();
    g_autofree gchar *sock_base = NULL;

    load.dir = cv_test_fs_make_tmpdir();
    sock_base = g_build_filename(load.dir, "qmp", NULL);
    cv_test_load_host_init(&load.host, env_uint("CV_LOAD_INSTANCES", 200), sock_base);
    conf = g_build_filename(load.dir, "virt-converged.conf", NULL);
    state_dir = g_build_filename(load.dir, "lib", NULL);
    runtime_dir = g_build_filename(load.dir, "run", NULL);
    daemon_doc = g_build_filename(runtime_dir, "daemon.json", NULL);
    g_assert_true(g_file_set_contents(conf,
                                      "[policy:default]\n"
                                      "max-downtime = 1s\n"
                                      "switchover-reserve = 50ms\n",
                                      -1, NULL));
    sim_start();

    o.config_file = conf;
    o.state_dir = state_dir;
    o.runtime_dir = runtime_dir;
    o.source_factory = cv_test_load_source_factory;
    o.source_data = &load.host;
    o.clock = clock;
    /* discovery comes from the hints; the periodic scan is only a fallback */
    o.rescan_interval_ms = 2000;
    daemon = cv_daemon_new(&o, &error);
    g_assert_no_error(error);
    g_assert_true(cv_daemon_start(daemon, &error));
    g_assert_no_error(error);
    while (!cv_daemon_is_ready(daemon))
        g_main_context_iteration(NULL, TRUE);

    while (sim_passes < target_iterations || round < LOAD_MIN_ROUNDS) {
        gint64 guard = g_get_monotonic_time() + 240 * G_USEC_PER_SEC;
        guint want = load.host.n * (round + 1);

        start_round(round);
        while (tally.outcomes < want) {
            g_assert_cmpint(g_get_monotonic_time(), <, guard);
            g_main_context_iteration(NULL, TRUE);
            read_history(state_dir, &tally);
        }
        g_assert_cmpuint(tally.outcomes, ==, want);
        /* let the ended migrations be freed (from an idle) */
        while (cv_daemon_get_n_migrations(daemon) > 0 && g_get_monotonic_time() < guard)
            g_main_context_iteration(NULL, TRUE);
        while (g_main_context_iteration(NULL, FALSE))
            ;
        g_assert_cmpuint(cv_daemon_get_n_migrations(daemon), ==, 0);

        /* the final state of every instance, from the simulator */
        for (guint i = 0; i < load.host.n; i++) {
            CvSample s;
            CvParams p;

            g_assert_true(cv_target_query_migrate_sync(load.host.control[i], &s, &error));
            g_assert_no_error(error);
            g_assert_true(cv_target_query_params_sync(load.host.control[i], &p, &error));
            g_assert_no_error(error);
            g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_COMPLETED);
            g_assert_true(cv_field_valid(&s.downtime_ms));
            g_assert_cmpuint(s.downtime_ms.value, <=, LOAD_CAP_MS);
            highest_downtime = MAX(highest_downtime, s.downtime_ms.value);
            g_assert_true(cv_field_valid(&s.ram_dirty_sync_count));
            sim_passes += s.ram_dirty_sync_count.value;
            g_assert_cmpuint(p.downtime_limit_ms.value, <=, LOAD_CAP_MS - LOAD_RESERVE_MS);
            highest_left = MAX(highest_left, p.downtime_limit_ms.value);
        }
        g_assert_cmpuint(tally.completed, ==, tally.outcomes);
        g_assert_cmpuint(tally.highest_sent, <=, LOAD_CAP_MS - LOAD_RESERVE_MS);
        g_assert_cmpuint(tally.boundary_misses, ==, 0);
        /* the daemon answers: its document is there, no migration document is left */
        g_assert_true(g_file_test(daemon_doc, G_FILE_TEST_IS_REGULAR));
        round++;
        g_test_message("round %u: %u migrations completed, %" G_GUINT64_FORMAT
                       " iterations so far; allocated %zu B, RSS %" G_GUINT64_FORMAT " KiB",
                       round, tally.completed, sim_passes, allocated_bytes(), rss_kib());
        if (round == 2) {
            mem_warm = allocated_bytes();
            rss_warm = rss_kib();
        }
    }
    mem_end = allocated_bytes();
    rss_end = rss_kib();
    g_test_message("load: %u instances, %u rounds, %u migrations completed, %" G_GUINT64_FORMAT
                   " iterations (simulator), %" G_GUINT64_FORMAT
                   " (daemon's outcome lines), %u changes applied, highest limit %" G_GUINT64_FORMAT
                   " ms applied / %" G_GUINT64_FORMAT
                   " ms left, highest achieved downtime %" G_GUINT64_FORMAT
                   " ms; allocated after warm-up %zu B, at the end %zu B; RSS "
                   "%" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " KiB; %.1f s",
                   load.host.n, round, tally.completed, sim_passes, tally.passes, tally.applied,
                   tally.highest_sent, highest_left, highest_downtime, mem_warm, mem_end, rss_warm,
                   rss_end, (gdouble)(g_get_monotonic_time() - t0) / 1e6);
    g_assert_cmpuint(sim_passes, >=, target_iterations);
    g_assert_cmpuint(tally.passes, ==, sim_passes);
    /* every migration needed a change, and got one */
    g_assert_cmpuint(tally.applied, >=, tally.completed);
    if (!LOAD_UNDER_ASAN)
        g_assert_cmpint((gssize)mem_end - (gssize)mem_warm, <=, LOAD_FLAT_TOLERANCE);

    cv_daemon_stop(daemon);
    cv_daemon_run(daemon);
    g_clear_pointer(&daemon, cv_daemon_free);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_subprocess_send_signal(load.sim, SIGTERM);
    g_subprocess_wait(load.sim, NULL, NULL);
    g_clear_object(&load.sim);
    cv_test_load_host_clear(&load.host);
    cv_test_fs_rm_rf(load.dir);
    g_free(load.dir);
}

/* 1250 migrations' worth of lifecycle messages would drown the log: warnings and worse only
 * (still fatal under G_DEBUG=fatal-warnings: the daemon must not warn under load). */
static void
quiet_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        g_log_default_handler(domain, level, message, user_data);
}

static GLogWriterOutput
quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer user_data)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        return g_log_writer_standard_streams(level, fields, n, user_data);
    return G_LOG_WRITER_HANDLED;
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_log_set_writer_func(quiet_writer, NULL, NULL);
    g_log_set_default_handler(quiet_handler, NULL);
    g_test_add_func("/load/daemon-200-migrations", test_load);
    return g_test_run();
}
