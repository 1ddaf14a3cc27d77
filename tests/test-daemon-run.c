/* The real virt-converged binary, started the way systemd starts it: $CONFIGURATION_DIRECTORY,
 * $STATE_DIRECTORY and $RUNTIME_DIRECTORY in a temporary directory, $NOTIFY_SOCKET pointing to
 * a datagram socket this test reads, $WATCHDOG_USEC set. It must say READY=1, ping the watchdog,
 * reload on SIGHUP (a good file: RELOADING=1 then READY=1 and the new policies; a broken file:
 * RELOADING=1, READY=1, still running, FILE:LINE logged), refuse a second instance, and stop on
 * SIGTERM or SIGINT with STOPPING=1 and exit status 0. Also --check-config on both files. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "cv-test-fs.h"
#include "cv-test-notify.h"

#define WAIT_MS 20000 /* a bound for a loaded machine, not a performance claim */

typedef struct {
    gchar *dir;
    gchar *conf_dir;
    gchar *conf;
    gchar *state_dir;
    gchar *runtime_dir;
    gchar *sock;
    CvTestNotify *notify;
    GSubprocess *proc;
    GString *err; /* the daemon's standard error, read as it comes */
    GInputStream *err_stream;
    GCancellable *cancel;
    gchar buf[4096];
} Fixture;

static gchar *
daemon_path(void)
{
    return g_test_build_filename(G_TEST_BUILT, "..", "agent", "daemon", "virt-converged", NULL);
}

static void
write_conf(Fixture *f, const gchar *text)
{
    g_assert_true(g_file_set_contents(f->conf, text, -1, NULL));
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    f->dir = cv_test_fs_make_tmpdir();
    f->conf_dir = g_build_filename(f->dir, "etc", NULL);
    f->conf = g_build_filename(f->conf_dir, "virt-converged.conf", NULL);
    f->state_dir = g_build_filename(f->dir, "lib", NULL);
    f->runtime_dir = g_build_filename(f->dir, "run", NULL);
    f->sock = g_build_filename(f->dir, "notify", NULL);
    g_assert_cmpint(g_mkdir(f->conf_dir, 0755), ==, 0);
    f->notify = cv_test_notify_new(f->sock);
    f->err = g_string_new(NULL);
    f->cancel = g_cancellable_new();
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    if (f->proc != NULL) {
        g_subprocess_force_exit(f->proc);
        g_subprocess_wait(f->proc, NULL, NULL);
    }
    g_cancellable_cancel(f->cancel);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_clear_object(&f->proc);
    g_clear_object(&f->cancel);
    g_clear_pointer(&f->notify, cv_test_notify_free);
    g_string_free(f->err, TRUE);
    cv_test_fs_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->conf_dir);
    g_free(f->conf);
    g_free(f->state_dir);
    g_free(f->runtime_dir);
    g_free(f->sock);
}

static void
err_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Fixture *f = user_data;
    g_autoptr(GError) error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);

    if (n <= 0)
        return; /* end of file, or cancelled at tear-down */
    g_string_append_len(f->err, f->buf, n);
    if (g_test_verbose())
        g_printerr("  [daemon] %.*s", (gint)n, f->buf);
    g_input_stream_read_async(G_INPUT_STREAM(source), f->buf, sizeof(f->buf), G_PRIORITY_DEFAULT,
                              f->cancel, err_read_cb, f);
}

static GSubprocessLauncher *
launcher(Fixture *f)
{
    GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                                       G_SUBPROCESS_FLAGS_STDOUT_SILENCE);

    /* the environment systemd gives the unit */
    g_subprocess_launcher_setenv(l, "CONFIGURATION_DIRECTORY", f->conf_dir, TRUE);
    g_subprocess_launcher_setenv(l, "STATE_DIRECTORY", f->state_dir, TRUE);
    g_subprocess_launcher_setenv(l, "RUNTIME_DIRECTORY", f->runtime_dir, TRUE);
    g_subprocess_launcher_setenv(l, "NOTIFY_SOCKET", f->sock, TRUE);
    g_subprocess_launcher_setenv(l, "WATCHDOG_USEC", "400000", TRUE);
    g_subprocess_launcher_unsetenv(l, "WATCHDOG_PID");
    /* The daemon's warnings (a failed reload) are expected here; criticals still abort it. */
    g_subprocess_launcher_setenv(l, "G_DEBUG", "fatal-criticals", TRUE);
    return l;
}

static void
start_daemon(Fixture *f)
{
    g_autoptr(GSubprocessLauncher) l = launcher(f);
    g_autofree gchar *path = daemon_path();
    g_autoptr(GError) error = NULL;

    /* libvirt's in-process test driver: a URI that answers, without a libvirtd */
    f->proc = g_subprocess_launcher_spawn(l, &error, path, "--connect", "test:///default", NULL);
    g_assert_no_error(error);
    f->err_stream = g_subprocess_get_stderr_pipe(f->proc);
    g_input_stream_read_async(f->err_stream, f->buf, sizeof(f->buf), G_PRIORITY_DEFAULT, f->cancel,
                              err_read_cb, f);
}

/* The next notification that is not a watchdog ping. */
static gchar *
next_state(Fixture *f)
{
    for (;;) {
        g_autofree gchar *d = cv_test_notify_next(f->notify, WAIT_MS);

        if (d == NULL || !g_str_equal(d, "WATCHDOG=1"))
            return g_steal_pointer(&d);
    }
}

static void
assert_next_state(Fixture *f, const gchar *prefix)
{
    g_autofree gchar *d = next_state(f);

    if (d == NULL)
        g_error("no notification after %u ms, expected %s; stderr:\n%s", WAIT_MS, prefix,
                f->err->str);
    if (!g_str_has_prefix(d, prefix))
        g_error("notification '%s', expected %s...; stderr:\n%s", d, prefix, f->err->str);
}

/* Wait (on the main context) until stderr holds @text. */
static void
wait_for_stderr(Fixture *f, const gchar *text)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;

    while (strstr(f->err->str, text) == NULL) {
        if (g_get_monotonic_time() > deadline)
            g_error("stderr never said '%s'; it said:\n%s", text, f->err->str);
        g_main_context_iteration(NULL, TRUE);
    }
}

static void
exited_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    gboolean *done = user_data;

    g_assert_true(g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL));
    *done = TRUE;
}

static gint
wait_exit(Fixture *f)
{
    gboolean done = FALSE;
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;

    g_subprocess_wait_async(f->proc, NULL, exited_cb, &done);
    while (!done) {
        if (g_get_monotonic_time() > deadline)
            g_error("the daemon did not exit; stderr:\n%s", f->err->str);
        g_main_context_iteration(NULL, TRUE);
    }
    g_assert_true(g_subprocess_get_if_exited(f->proc));
    return g_subprocess_get_exit_status(f->proc);
}

static GPtrArray *
history_actions(Fixture *f)
{
    g_autofree gchar *path = g_build_filename(f->state_dir, "history.jsonl", NULL);
    g_autofree gchar *text = NULL;
    g_auto(GStrv) lines = NULL;
    GPtrArray *actions = g_ptr_array_new_with_free_func(g_free);

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        const gchar *a = strstr(lines[i], "\"action\":\"");
        if (a != NULL)
            g_ptr_array_add(actions, g_strndup(a + 10, strcspn(a + 10, "\"")));
    }
    return actions;
}

static void
test_lifecycle(Fixture *f, gconstpointer data)
{
    g_autofree gchar *broken_at = NULL;
    g_autoptr(GPtrArray) actions = NULL;
    g_autofree gchar *daemon_doc = g_build_filename(f->runtime_dir, "daemon.json", NULL);
    struct stat st;

    write_conf(f, "[daemon]\nlog-level = info\n\n[policy:gold]\nmax-downtime = 1s\n");
    start_daemon(f);
    assert_next_state(f, "READY=1\nSTATUS=started");
    wait_for_stderr(f, "virt-converged " PACKAGE_VERSION " starting");
    wait_for_stderr(f, "policies default, gold");
    g_assert_cmpint(stat(f->state_dir, &st), ==, 0);
    g_assert_cmpint(stat(f->runtime_dir, &st), ==, 0);
    /* the daemon says it runs, for the CLI */
    g_assert_cmpint(stat(daemon_doc, &st), ==, 0);

    /* the watchdog: pings from the main loop at half of WATCHDOG_USEC */
    for (guint i = 0; i < 2; i++)
        g_assert_true(cv_test_notify_wait_for(f->notify, "WATCHDOG=1", WAIT_MS, NULL));

    /* SIGHUP with a good file: RELOADING=1, then READY=1, and the new configuration */
    write_conf(f, "[policy:silver]\nmax-downtime = 2s\n");
    g_subprocess_send_signal(f->proc, SIGHUP);
    assert_next_state(f, "RELOADING=1\nMONOTONIC_USEC=");
    assert_next_state(f, "READY=1\nSTATUS=reloaded");
    wait_for_stderr(f, "configuration reloaded: ");
    wait_for_stderr(f, "policies default, silver");

    /* SIGHUP with a broken file: the same protocol, the old configuration, FILE:LINE */
    write_conf(f, "[policy:silver]\nmax-downtime = 2s\nmargin = lots\n");
    g_subprocess_send_signal(f->proc, SIGHUP);
    assert_next_state(f, "RELOADING=1");
    assert_next_state(f, "READY=1\nSTATUS=reload failed, running configuration kept");
    broken_at = g_strdup_printf("reload failed, keeping the running configuration: %s:3: margin: "
                                "invalid percentage 'lots'",
                                f->conf);
    wait_for_stderr(f, broken_at);
    g_assert_nonnull(g_subprocess_get_identifier(f->proc)); /* still running */

    /* still serving: the watchdog goes on */
    g_assert_true(cv_test_notify_wait_for(f->notify, "WATCHDOG=1", WAIT_MS, NULL));

    /* SIGTERM: STOPPING=1 and exit 0 */
    g_subprocess_send_signal(f->proc, SIGTERM);
    assert_next_state(f, "STOPPING=1");
    g_assert_cmpint(wait_exit(f), ==, 0);
    g_assert_false(g_file_test(daemon_doc, G_FILE_TEST_EXISTS));

    actions = history_actions(f);
    g_assert_cmpuint(actions->len, ==, 4);
    g_assert_cmpstr(actions->pdata[0], ==, "started");
    g_assert_cmpstr(actions->pdata[1], ==, "reloaded");
    g_assert_cmpstr(actions->pdata[2], ==, "reload-failed");
    g_assert_cmpstr(actions->pdata[3], ==, "stopped");
}

static void
test_sigint_and_second_instance(Fixture *f, gconstpointer data)
{
    g_autoptr(GSubprocessLauncher) l = launcher(f);
    g_autofree gchar *path = daemon_path();
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) second = NULL;
    g_autofree gchar *err = NULL;

    start_daemon(f);
    assert_next_state(f, "READY=1");

    /* the same state directory: refused, clearly, and the first one is untouched */
    g_subprocess_launcher_set_flags(l, G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                           G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    second = g_subprocess_launcher_spawn(l, &error, path, NULL);
    g_assert_no_error(error);
    g_assert_true(g_subprocess_communicate_utf8(second, NULL, NULL, NULL, &err, &error));
    g_assert_no_error(error);
    g_assert_true(g_subprocess_get_if_exited(second));
    g_assert_cmpint(g_subprocess_get_exit_status(second), ==, 1);
    g_assert_nonnull(strstr(err, "another virt-converged (pid "));
    g_assert_nonnull(g_subprocess_get_identifier(f->proc)); /* still running */

    g_subprocess_send_signal(f->proc, SIGINT);
    assert_next_state(f, "STOPPING=1");
    g_assert_cmpint(wait_exit(f), ==, 0);
}

/* A record left by an earlier daemon that is corrupt: reported, quarantined, the daemon runs. */
static void
test_corrupt_record_at_start(Fixture *f, gconstpointer data)
{
    g_autofree gchar *mdir = g_build_filename(f->state_dir, "migrations", NULL);
    g_autofree gchar *rec =
        g_build_filename(mdir, "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b.json", NULL);

    g_assert_cmpint(g_mkdir_with_parents(mdir, 0750), ==, 0);
    g_assert_true(
        g_file_set_contents(rec, "{\"format\":\"virt-converge-migration\",\"ver", -1, NULL));
    start_daemon(f);
    assert_next_state(f, "READY=1");
    wait_for_stderr(f, "state record not trusted: ");
    wait_for_stderr(f, "ends before its checksum");
    g_assert_false(g_file_test(rec, G_FILE_TEST_EXISTS));
    g_subprocess_send_signal(f->proc, SIGTERM);
    g_assert_cmpint(wait_exit(f), ==, 0);
}

static void
test_check_config(Fixture *f, gconstpointer data)
{
    g_autofree gchar *path = daemon_path();
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    g_autofree gchar *expected = NULL;
    g_autoptr(GError) error = NULL;
    gint status = 0;
    const gchar *argv[] = {path, "--check-config", "--config", f->conf, NULL};

    write_conf(f, "[daemon]\nuri = qemu:///system\n[policy:gold]\nmax-downtime = 1s\n");
    g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_nonnull(strstr(out, "configuration OK"));
    g_assert_nonnull(strstr(out, "policies: default, gold"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    write_conf(f, "[daemon]\nuri = qemu:///system\n[policy:gold]\nmax-downtme = 1s\n");
    g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
    g_assert_false(g_spawn_check_wait_status(status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    expected =
        g_strdup_printf("%s:4: unknown key 'max-downtme' in [policy:gold] (known: ", f->conf);
    g_assert_true(g_str_has_prefix(err, expected));
    g_assert_cmpstr(out, ==, "");
    /* and nothing was created: --check-config touches nothing */
    g_assert_false(g_file_test(f->state_dir, G_FILE_TEST_EXISTS));
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
    add("/daemon-run/lifecycle", test_lifecycle);
    add("/daemon-run/fault/sigint-and-second-instance", test_sigint_and_second_instance);
    add("/daemon-run/fault/corrupt-record-at-start", test_corrupt_record_at_start);
    add("/daemon-run/check-config", test_check_config);
    return g_test_run();
}
