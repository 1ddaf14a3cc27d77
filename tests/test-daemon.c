/* CvDaemon in this process, with real directories, a real notification socket and a capturing
 * log writer: start (READY=1, directories, lock, history, metrics), the records a restart
 * finds (trusted ones kept for adoption, bad ones quarantined and reported, records from
 * before a reboot closed), reload (good: swapped; bad: kept, FILE:LINE logged), stop
 * (STOPPING=1, metrics say down), the watchdog timer, a second daemon on the same state. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-daemon-fake.h"
#include "cv-daemon.h"
#include "cv-history.h"
#include "cv-state-paths.h"
#include "cv-test-fs.h"
#include "cv-test-notify.h"

#define ID_A "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define ID_B "1b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define ID_C "2b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define OTHER_BOOT "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

/* Every record the daemon logs; warnings must be claimed by a test (take_log). */
typedef struct {
    GLogLevelFlags level;
    gchar *message;
    gchar *message_id;
} Logged;

static GPtrArray *logged;

static void
logged_free(Logged *l)
{
    g_free(l->message);
    g_free(l->message_id);
    g_free(l);
}

static GLogWriterOutput
capture(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer user_data)
{
    Logged *l = g_new0(Logged, 1);

    l->level = level;
    for (gsize i = 0; i < n; i++) {
        g_autofree gchar *v = fields[i].length < 0
                                  ? g_strdup(fields[i].value)
                                  : g_strndup(fields[i].value, (gsize)fields[i].length);
        if (g_str_equal(fields[i].key, "MESSAGE"))
            l->message = g_steal_pointer(&v);
        else if (g_str_equal(fields[i].key, "MESSAGE_ID"))
            l->message_id = g_steal_pointer(&v);
    }
    if (g_test_verbose())
        g_printerr("  [log %d] %s\n", level, l->message);
    g_ptr_array_add(logged, l);
    return G_LOG_WRITER_HANDLED;
}

/* Remove and return the first logged record whose message contains @text. */
static Logged *
take_log(const gchar *text)
{
    for (guint i = 0; i < logged->len; i++) {
        Logged *l = logged->pdata[i];

        if (l->message != NULL && strstr(l->message, text) != NULL)
            return g_ptr_array_steal_index(logged, i);
    }
    return NULL;
}

static void
expect_log(GLogLevelFlags level, const gchar *text)
{
    Logged *l = take_log(text);

    if (l == NULL)
        g_error("nothing logged with '%s'", text);
    g_assert_cmpint(l->level, ==, level);
    logged_free(l);
}

/* Every warning must have been expected. */
static void
assert_no_unexpected_warnings(void)
{
    for (guint i = 0; i < logged->len; i++) {
        const Logged *l = logged->pdata[i];

        if (l->level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
            g_error("unexpected warning: %s", l->message);
    }
}

typedef struct {
    gchar *dir;
    gchar *conf_dir;
    gchar *state_dir;
    gchar *runtime_dir;
    gchar *conf;
    gchar *metrics;
    CvTestNotify *notify;
    CvDaemon *daemon;
    CvFakeHost *host; /* what the daemon watches instead of libvirt */
} Fixture;

static CvFakeHost *current_host;

static void
write_conf(Fixture *f, const gchar *text)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(f->conf, text, -1, &error));
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autofree gchar *sock = NULL;

    g_ptr_array_set_size(logged, 0);
    f->host = cv_fake_host_new();
    current_host = f->host;
    f->dir = cv_test_fs_make_tmpdir();
    f->conf_dir = g_build_filename(f->dir, "etc", NULL);
    f->state_dir = g_build_filename(f->dir, "lib", NULL);
    f->runtime_dir = g_build_filename(f->dir, "run", NULL);
    f->conf = g_build_filename(f->conf_dir, "virt-converged.conf", NULL);
    f->metrics = g_build_filename(f->runtime_dir, "virt-converge.prom", NULL);
    g_assert_cmpint(g_mkdir(f->conf_dir, 0755), ==, 0);
    sock = g_build_filename(f->dir, "notify.sock", NULL);
    f->notify = cv_test_notify_new(sock);
    /* as systemd would set them */
    g_setenv("NOTIFY_SOCKET", sock, TRUE);
    g_setenv("CONFIGURATION_DIRECTORY", f->conf_dir, TRUE);
    g_setenv("STATE_DIRECTORY", f->state_dir, TRUE);
    g_setenv("RUNTIME_DIRECTORY", f->runtime_dir, TRUE);
    g_unsetenv("WATCHDOG_USEC");
    g_unsetenv("WATCHDOG_PID");
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->daemon, cv_daemon_free);
    /* the daemon's timers and signal sources are gone: drain what is left */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    assert_no_unexpected_warnings();
    g_clear_pointer(&f->host, cv_fake_host_free);
    current_host = NULL;
    g_clear_pointer(&f->notify, cv_test_notify_free);
    cv_test_fs_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->conf_dir);
    g_free(f->state_dir);
    g_free(f->runtime_dir);
    g_free(f->conf);
    g_free(f->metrics);
    g_unsetenv("NOTIFY_SOCKET");
    g_unsetenv("CONFIGURATION_DIRECTORY");
    g_unsetenv("STATE_DIRECTORY");
    g_unsetenv("RUNTIME_DIRECTORY");
}

static CvDaemon *
new_daemon(const CvDaemonOptions *options)
{
    g_autoptr(GError) error = NULL;
    CvDaemonOptions o = {0};
    CvDaemon *d;

    if (options != NULL)
        o = *options;
    /* no libvirt here: the URIs are watched on a fake host */
    o.source_factory = cv_fake_host_source_factory;
    o.source_data = current_host;
    d = cv_daemon_new(&o, &error);

    g_assert_no_error(error);
    g_assert_nonnull(d);
    return d;
}

static void
start_ok(Fixture *f)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(cv_daemon_start(f->daemon, &error));
    g_assert_no_error(error);
    /* READY=1 once every URI answered its first scan */
    g_assert_true(cv_test_notify_wait_for(f->notify, "READY=1", 5000, NULL));
    g_assert_true(cv_daemon_is_ready(f->daemon));
}

static void
test_start_stop(Fixture *f, gconstpointer data)
{
    g_autofree gchar *history = NULL;
    g_autofree gchar *lock = g_build_filename(f->state_dir, CV_STATE_LOCK_FILE, NULL);
    g_autofree gchar *migrations = g_build_filename(f->state_dir, CV_STATE_MIGRATIONS_DIR, NULL);
    g_autofree gchar *path = g_build_filename(f->state_dir, CV_STATE_HISTORY_FILE, NULL);
    g_autofree gchar *ready = NULL;
    g_autoptr(GPtrArray) entries = NULL;
    struct stat st;

    /* no configuration file at all: the built-in defaults */
    f->daemon = new_daemon(NULL);
    g_assert_cmpstrv(cv_daemon_get_uris(f->daemon),
                     ((const gchar *const[]){"qemu:///system", NULL}));
    g_assert_cmpstr(cv_daemon_get_state_dir(f->daemon), ==, f->state_dir);
    g_assert_cmpstr(cv_daemon_get_runtime_dir(f->daemon), ==, f->runtime_dir);
    g_assert_true(cv_daemon_start(f->daemon, NULL));
    /* not before the URI answered */
    g_assert_false(cv_daemon_is_ready(f->daemon));
    ready = cv_test_notify_next(f->notify, 5000);
    g_assert_nonnull(ready);
    g_assert_true(g_str_has_prefix(ready, "READY=1\nSTATUS=started: 1 URI(s), 0 migrations "
                                          "tuned, 0 state record(s) waiting"));
    expect_log(G_LOG_LEVEL_MESSAGE, "starting");

    g_assert_cmpint(stat(migrations, &st), ==, 0);
    g_assert_cmpint(stat(lock, &st), ==, 0);
    g_assert_cmpint(stat(f->runtime_dir, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0750);
    g_assert_cmpuint(cv_daemon_get_watchdog_interval_ms(f->daemon), ==, 0);

    cv_daemon_stop(f->daemon);
    cv_daemon_stop(f->daemon); /* idempotent: one STOPPING=1 */
    g_assert_true(cv_test_notify_wait_for(f->notify, "STOPPING=1", 5000, NULL));
    g_assert_null(cv_test_notify_next(f->notify, 0));
    expect_log(G_LOG_LEVEL_MESSAGE, "stopping");
    /* the loop was quit before it ran: run returns at once */
    cv_daemon_run(f->daemon);

    entries = cv_history_read(f->state_dir, NULL, NULL, NULL);
    g_assert_cmpuint(entries->len, ==, 2);
    g_assert_cmpstr(
        json_object_get_string_member(((CvHistoryEntry *)entries->pdata[0])->object, "action"), ==,
        "started");
    g_assert_cmpstr(
        json_object_get_string_member(((CvHistoryEntry *)entries->pdata[1])->object, "action"), ==,
        "stopped");
}

static void
test_run_until_stop(Fixture *f, gconstpointer data)
{
    f->daemon = new_daemon(NULL);
    start_ok(f);
    /* stop from inside the loop, as the SIGTERM handler does */
    g_idle_add_once((GSourceOnceFunc)cv_daemon_stop, f->daemon);
    cv_daemon_run(f->daemon);
    g_assert_true(cv_test_notify_wait_for(f->notify, "STOPPING=1", 5000, NULL));
}

static void
test_connect_overrides(Fixture *f, gconstpointer data)
{
    const gchar *uris[] = {"qemu+ssh://a/system", "test:///default", NULL};
    CvDaemonOptions options = {.connect_uris = uris};
    const gchar *twice[] = {"test:///default", "test:///default", NULL};
    CvDaemonOptions bad = {.connect_uris = twice};
    g_autoptr(GError) error = NULL;
    g_autoptr(CvDaemon) nope = NULL;

    write_conf(f, "[daemon]\nuri = qemu:///system, qemu:///session\n");
    f->daemon = new_daemon(&options);
    g_assert_cmpstrv(cv_daemon_get_uris(f->daemon), uris);
    nope = cv_daemon_new(&bad, &error);
    g_assert_null(nope);
    g_assert_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_USAGE);
    g_assert_cmpstr(error->message, ==, "--connect test:///default is given twice");
}

static void
test_bad_config_at_start(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvDaemon) d = NULL;
    CvDaemonOptions defaults = {0};
    g_autofree gchar *expected = NULL;

    write_conf(f, "[daemon]\nuri = qemu:///system\n\n[policy:gold]\nmax-downtime = 2001s\n");
    d = cv_daemon_new(&defaults, &error);
    g_assert_null(d);
    g_assert_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_CONFIG);
    expected = g_strdup_printf("%s:5: max-downtime: '2001s': above 2000s, the largest "
                               "downtime-limit QEMU accepts",
                               f->conf);
    g_assert_cmpstr(error->message, ==, expected);
}

static void
test_explicit_config_missing(Fixture *f, gconstpointer data)
{
    g_autofree gchar *path = g_build_filename(f->dir, "nope.conf", NULL);
    CvDaemonOptions options = {.config_file = path};
    g_autoptr(GError) error = NULL;
    g_autoptr(CvDaemon) d = cv_daemon_new(&options, &error);

    g_assert_null(d);
    g_assert_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_CONFIG);
    g_assert_true(g_str_has_prefix(error->message, path));
}

static gchar *
read_file(const gchar *path)
{
    gchar *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

/* A good reload swaps (RELOADING=1, then READY=1) and applies metrics-file at once; a broken
 * file keeps the running configuration, says FILE:LINE, and still ends with READY=1. */
static void
test_reload(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autofree gchar *reloading = NULL;
    g_autofree gchar *metrics = NULL;
    g_autofree gchar *expected = NULL;
    g_autofree gchar *conf2 = NULL;
    Logged *l;

    write_conf(f, "[policy:gold]\nmax-downtime = 1s\n");
    f->daemon = new_daemon(NULL);
    start_ok(f);
    g_assert_nonnull(cv_config_get_policy(cv_daemon_get_config(f->daemon), "gold"));
    g_assert_false(g_file_test(f->metrics, G_FILE_TEST_EXISTS));

    conf2 = g_strdup_printf("[daemon]\nmetrics-file = %s\nlog-level = info\n\n"
                            "[policy:silver]\nmax-downtime = 2s\n",
                            f->metrics);
    write_conf(f, conf2);
    g_assert_true(cv_daemon_reload(f->daemon, &error));
    g_assert_no_error(error);
    reloading = cv_test_notify_next(f->notify, 5000);
    g_assert_true(g_str_has_prefix(reloading, "RELOADING=1\nMONOTONIC_USEC="));
    g_assert_true(cv_test_notify_wait_for(f->notify, "READY=1", 5000, NULL));
    g_assert_null(cv_config_get_policy(cv_daemon_get_config(f->daemon), "gold"));
    g_assert_nonnull(cv_config_get_policy(cv_daemon_get_config(f->daemon), "silver"));
    expect_log(G_LOG_LEVEL_MESSAGE, "configuration reloaded");
    metrics = read_file(f->metrics);
    g_assert_nonnull(metrics);
    g_assert_nonnull(strstr(metrics, "virt_converge_up 1\n"));

    /* broken: line 2 */
    write_conf(f, "[policy:silver]\nmax-downtime = 2 s\n");
    g_assert_false(cv_daemon_reload(f->daemon, &error));
    g_assert_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_CONFIG);
    expected = g_strdup_printf("%s:2: max-downtime: invalid duration '2 s': no space allowed "
                               "between number and unit",
                               f->conf);
    g_assert_cmpstr(error->message, ==, expected);
    l = take_log(expected);
    g_assert_nonnull(l);
    g_assert_cmpint(l->level, ==, G_LOG_LEVEL_WARNING);
    g_assert_true(g_str_has_prefix(l->message, "reload failed, keeping the running "
                                               "configuration: "));
    logged_free(l);
    g_assert_true(cv_test_notify_wait_for(f->notify, "RELOADING=1", 5000, NULL));
    g_assert_true(cv_test_notify_wait_for(f->notify, "READY=1", 5000, skipped));
    g_assert_cmpuint(skipped->len, ==, 0);
    /* still the configuration of the good reload */
    g_assert_nonnull(cv_config_get_policy(cv_daemon_get_config(f->daemon), "silver"));
    g_assert_cmpstr(cv_config_get_metrics_file(cv_daemon_get_config(f->daemon)), ==, f->metrics);

    /* metrics off again: the file goes, rather than going stale */
    write_conf(f, "[daemon]\nmetrics-file = off\n");
    g_assert_true(cv_daemon_reload(f->daemon, &error));
    g_assert_false(g_file_test(f->metrics, G_FILE_TEST_EXISTS));
    expect_log(G_LOG_LEVEL_MESSAGE, "configuration reloaded");
}

static void
test_stop_writes_down(Fixture *f, gconstpointer data)
{
    g_autofree gchar *conf = g_strdup_printf("[daemon]\nmetrics-file = %s\n", f->metrics);
    g_autofree gchar *metrics = NULL;

    write_conf(f, conf);
    f->daemon = new_daemon(NULL);
    start_ok(f);
    cv_daemon_stop(f->daemon);
    metrics = read_file(f->metrics);
    g_assert_nonnull(strstr(metrics, "virt_converge_up 0\n"));
}

static void
test_metrics_unwritable(Fixture *f, gconstpointer data)
{
    g_autofree gchar *conf =
        g_strdup_printf("[daemon]\nmetrics-file = %s/no/such/dir/x.prom\n", f->dir);

    write_conf(f, conf);
    f->daemon = new_daemon(NULL);
    start_ok(f);
    /* said, not fatal */
    expect_log(G_LOG_LEVEL_WARNING, "metrics: ");
}

static void
test_watchdog(Fixture *f, gconstpointer data)
{
    g_setenv("WATCHDOG_USEC", "100000", TRUE);
    f->daemon = new_daemon(NULL);
    start_ok(f);
    g_assert_cmpuint(cv_daemon_get_watchdog_interval_ms(f->daemon), ==, 50);
    /* the pings come from the main loop */
    for (guint i = 0; i < 3; i++)
        g_assert_true(cv_test_notify_wait_for(f->notify, "WATCHDOG=1", 5000, NULL));
    cv_daemon_stop(f->daemon);
    g_assert_true(cv_test_notify_wait_for(f->notify, "STOPPING=1", 5000, NULL));
    /* none after stop */
    g_assert_null(cv_test_notify_next(f->notify, 200));
}

static void
test_second_daemon(Fixture *f, gconstpointer data)
{
    g_autoptr(CvDaemon) second = NULL;
    g_autoptr(GError) error = NULL;

    f->daemon = new_daemon(NULL);
    start_ok(f);
    second = new_daemon(NULL);
    g_assert_false(cv_daemon_start(second, &error));
    g_assert_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_LOCKED);
    g_assert_nonnull(strstr(error->message, "another virt-converged"));
    /* no READY=1 for the one that refused */
    g_assert_null(cv_test_notify_next(f->notify, 100));
}

static void
test_unusable_state_dir(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(f->state_dir, "a file, not a directory", -1, NULL));
    f->daemon = new_daemon(NULL);
    g_assert_false(cv_daemon_start(f->daemon, &error));
    g_assert_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_DIRECTORY);
    g_assert_true(g_str_has_prefix(error->message, "state directory "));
    g_assert_null(cv_test_notify_next(f->notify, 100));
}

static gchar *
current_boot_id(void)
{
    g_autofree gchar *text = NULL;

    if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &text, NULL, NULL))
        return NULL;
    return g_strdup(g_strstrip(text));
}

static void
save_record(Fixture *f, const gchar *id, const gchar *uri, const gchar *boot_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvStateStore) store = cv_state_store_open(f->state_dir, &error);
    g_autoptr(CvStateRecord) r = cv_state_record_new();

    g_assert_no_error(error);
    r->migration_id = g_strdup(id);
    r->uri = g_strdup(uri);
    r->domain = g_strdup("vm");
    r->policy = g_strdup("default");
    r->boot_id = g_strdup(boot_id);
    r->daemon_pid = 1234;
    r->created_us = g_get_real_time();
    r->updated_us = r->created_us;
    cv_field_set(&r->params[CV_STATE_PARAM_DOWNTIME_LIMIT].original, 300);
    cv_state_record_add_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, 1100);
    g_assert_true(cv_state_store_save(store, r, &error));
    g_assert_no_error(error);
}

/* What a restart finds. A trusted record waits to be adopted or restored; a corrupt one is
 * quarantined and reported; a record of a local URI from before a reboot is closed; one of a
 * remote host is kept (its QEMU did not reboot with us). */
static void
test_restart_records(Fixture *f, gconstpointer data)
{
    g_autofree gchar *boot = current_boot_id();
    g_autofree gchar *bad = NULL;
    g_autofree gchar *qdir = g_build_filename(f->state_dir, CV_STATE_QUARANTINE_DIR, NULL);
    g_autoptr(GPtrArray) entries = NULL;
    GPtrArray *orphans;
    guint recovered = 0;

    if (boot == NULL) {
        g_test_skip("no /proc/sys/kernel/random/boot_id");
        return;
    }
    /* libvirtd does not answer: the records wait for it */
    cv_fake_host_set_unreachable(f->host, TRUE);
    save_record(f, ID_A, "qemu:///system", boot);
    save_record(f, ID_B, "qemu:///system", OTHER_BOOT);
    save_record(f, ID_C, "qemu+tls://host-2/system", OTHER_BOOT);
    bad = g_build_filename(f->state_dir, CV_STATE_MIGRATIONS_DIR,
                           "3b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b.json", NULL);
    g_assert_true(
        g_file_set_contents(bad, "{\"format\":\"virt-converge-migration\",\"ver", -1, NULL));

    f->daemon = new_daemon(NULL);
    start_ok(f);
    orphans = cv_daemon_get_orphan_records(f->daemon);
    g_assert_cmpuint(orphans->len, ==, 2);
    g_assert_cmpstr(((CvStateRecord *)orphans->pdata[0])->migration_id, ==, ID_A);
    g_assert_cmpstr(((CvStateRecord *)orphans->pdata[1])->migration_id, ==, ID_C);
    /* the closed one is gone from the disk, the others stay */
    {
        g_autofree gchar *b =
            g_build_filename(f->state_dir, CV_STATE_MIGRATIONS_DIR, ID_B ".json", NULL);
        g_autofree gchar *a =
            g_build_filename(f->state_dir, CV_STATE_MIGRATIONS_DIR, ID_A ".json", NULL);
        g_assert_false(g_file_test(b, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(a, G_FILE_TEST_EXISTS));
    }
    g_assert_false(g_file_test(bad, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(qdir, G_FILE_TEST_IS_DIR));
    expect_log(G_LOG_LEVEL_WARNING, "state record not trusted: ");
    expect_log(G_LOG_LEVEL_MESSAGE, "written before this host rebooted");
    expect_log(G_LOG_LEVEL_WARNING, "qemu+tls://host-2/system is not watched");
    expect_log(G_LOG_LEVEL_WARNING, "qemu:///system: cannot connect to libvirt at "
                                    "qemu:///system: Connection refused (fake); its migrations "
                                    "are not watched until it answers");

    entries = cv_history_read(f->state_dir, NULL, NULL, NULL);
    for (guint i = 0; i < entries->len; i++) {
        const CvHistoryEntry *e = entries->pdata[i];
        if (g_str_equal(e->event, CV_HISTORY_EVENT_RECOVERED))
            recovered++;
    }
    g_assert_cmpuint(recovered, ==, 2); /* the quarantined one and the closed one */

    /* a restart keeps the waiting records (nothing adopted them yet) */
    g_clear_pointer(&f->daemon, cv_daemon_free);
    f->daemon = new_daemon(NULL);
    start_ok(f);
    g_assert_cmpuint(cv_daemon_get_orphan_records(f->daemon)->len, ==, 2);
    for (Logged *l; (l = take_log("found: it is adopted or restored")) != NULL;)
        logged_free(l);
    expect_log(G_LOG_LEVEL_WARNING, "qemu+tls://host-2/system is not watched");
    expect_log(G_LOG_LEVEL_WARNING, "Connection refused (fake)");
}

static void
add(const gchar *path, void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    logged = g_ptr_array_new_with_free_func((GDestroyNotify)logged_free);
    /* The daemon's warnings are part of what is tested: captured and claimed (every warning a
     * test does not expect fails it), instead of aborting. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_writer_func(capture, NULL, NULL);
    add("/daemon/start-stop", test_start_stop);
    add("/daemon/run-until-stop", test_run_until_stop);
    add("/daemon/connect-overrides", test_connect_overrides);
    add("/daemon/bad-config-at-start", test_bad_config_at_start);
    add("/daemon/explicit-config-missing", test_explicit_config_missing);
    add("/daemon/reload", test_reload);
    add("/daemon/stop-writes-down", test_stop_writes_down);
    add("/daemon/metrics-unwritable", test_metrics_unwritable);
    add("/daemon/watchdog", test_watchdog);
    add("/daemon/fault/second-daemon", test_second_daemon);
    add("/daemon/fault/unusable-state-dir", test_unusable_state_dir);
    add("/daemon/restart-records", test_restart_records);
    return g_test_run();
}
