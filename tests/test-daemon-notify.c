/* systemd notification: the built-in sender (always built, used when libsystemd is absent)
 * and whichever backend this build uses, against a real datagram socket; the watchdog
 * period from $WATCHDOG_USEC / $WATCHDOG_PID. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-daemon-notify.h"
#include "cv-test-notify.h"

static gchar *
socket_path(const gchar *dir)
{
    return g_build_filename(dir, "notify.sock", NULL);
}

static void
test_builtin_path(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_dir_make_tmp("cv-notify-XXXXXX", &error);
    g_autofree gchar *path = socket_path(dir);
    g_autoptr(CvTestNotify) n = cv_test_notify_new(path);
    g_autofree gchar *got = NULL;

    g_assert_true(cv_daemon_notify_builtin(path, "READY=1\nSTATUS=ok", &error));
    g_assert_no_error(error);
    got = cv_test_notify_next(n, 1000);
    g_assert_cmpstr(got, ==, "READY=1\nSTATUS=ok");
    g_clear_pointer(&n, cv_test_notify_free);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
test_builtin_abstract(void)
{
    g_autofree gchar *name = g_strdup_printf("@cv-test-notify-%d", (gint)getpid());
    g_autoptr(CvTestNotify) n = cv_test_notify_new(name);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *got = NULL;

    g_assert_true(cv_daemon_notify_builtin(name, "STOPPING=1", &error));
    g_assert_no_error(error);
    got = cv_test_notify_next(n, 1000);
    g_assert_cmpstr(got, ==, "STOPPING=1");
}

typedef struct {
    const gchar *name;
    const gchar *address;
    gint code;
} BadAddressRow;

static const BadAddressRow bad_rows[] = {
    {"relative", "run/notify", CV_DAEMON_NOTIFY_ERROR_ADDRESS},
    {"empty-abstract", "@", CV_DAEMON_NOTIFY_ERROR_ADDRESS},
    {"vsock", "vsock:2:1234", CV_DAEMON_NOTIFY_ERROR_ADDRESS},
    {"too-long",
     "/run/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/notify",
     CV_DAEMON_NOTIFY_ERROR_ADDRESS},
    {"nobody-listening", "/nonexistent/notify.sock", CV_DAEMON_NOTIFY_ERROR_FAILED},
};

static void
test_builtin_bad_address(gconstpointer data)
{
    const BadAddressRow *row = data;
    g_autoptr(GError) error = NULL;

    g_assert_false(cv_daemon_notify_builtin(row->address, "READY=1", &error));
    g_assert_error(error, CV_DAEMON_NOTIFY_ERROR, row->code);
    g_assert_nonnull(strstr(error->message, row->address));
}

/* The backend this build uses (libsystemd or built-in), through $NOTIFY_SOCKET. */
static void
test_backend(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_dir_make_tmp("cv-notify-XXXXXX", &error);
    g_autofree gchar *path = socket_path(dir);
    g_autoptr(CvTestNotify) n = cv_test_notify_new(path);
    g_autofree gchar *ready = NULL;
    g_autofree gchar *reloading = NULL;
    guint64 usec = 0;

    g_test_message("backend: %s", cv_daemon_notify_backend());
    g_assert_cmpstr(cv_daemon_notify_backend(), ==, HAVE_LIBSYSTEMD ? "libsystemd" : "built-in");
    g_setenv("NOTIFY_SOCKET", path, TRUE);
    g_assert_true(cv_daemon_notify("READY=1", &error));
    g_assert_no_error(error);
    ready = cv_test_notify_next(n, 1000);
    g_assert_cmpstr(ready, ==, "READY=1");
    g_assert_true(cv_daemon_notify_reloading(&error));
    reloading = cv_test_notify_next(n, 1000);
    g_assert_true(g_str_has_prefix(reloading, "RELOADING=1\nMONOTONIC_USEC="));
    g_assert_true(g_ascii_string_to_unsigned(reloading + strlen("RELOADING=1\nMONOTONIC_USEC="), 10,
                                             1, G_MAXUINT64, &usec, NULL));
    g_assert_cmpuint(usec, <=, (guint64)g_get_monotonic_time());

    /* not started by systemd: nothing to do, and not an error */
    g_unsetenv("NOTIFY_SOCKET");
    g_assert_true(cv_daemon_notify("READY=1", &error));
    g_assert_no_error(error);
    g_assert_null(cv_test_notify_next(n, 0));
    g_clear_pointer(&n, cv_test_notify_free);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

typedef struct {
    const gchar *name;
    const gchar *usec;
    const gchar *pid; /* "self" for ours */
    guint64 expected;
} WatchdogRow;

static const WatchdogRow watchdog_rows[] = {
    {"unset", NULL, NULL, 0},
    {"usec", "30000000", NULL, 30000000},
    {"our-pid", "200000", "self", 200000},
    {"other-pid", "200000", "1", 0},
    {"garbage", "soon", NULL, 0},
    {"zero", "0", NULL, 0},
};

static void
test_watchdog(gconstpointer data)
{
    const WatchdogRow *row = data;
    g_autofree gchar *self = g_strdup_printf("%d", (gint)getpid());

    if (row->usec != NULL)
        g_setenv("WATCHDOG_USEC", row->usec, TRUE);
    else
        g_unsetenv("WATCHDOG_USEC");
    if (row->pid != NULL)
        g_setenv("WATCHDOG_PID", g_str_equal(row->pid, "self") ? self : row->pid, TRUE);
    else
        g_unsetenv("WATCHDOG_PID");
    g_assert_cmpuint(cv_daemon_notify_watchdog_usec(), ==, row->expected);
    g_unsetenv("WATCHDOG_USEC");
    g_unsetenv("WATCHDOG_PID");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/daemon-notify/builtin/path", test_builtin_path);
    g_test_add_func("/daemon-notify/builtin/abstract", test_builtin_abstract);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/daemon-notify/builtin/bad/%s", bad_rows[i].name);
        g_test_add_data_func(path, &bad_rows[i], test_builtin_bad_address);
    }
    g_test_add_func("/daemon-notify/backend", test_backend);
    for (gsize i = 0; i < G_N_ELEMENTS(watchdog_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/daemon-notify/watchdog/%s", watchdog_rows[i].name);
        g_test_add_data_func(path, &watchdog_rows[i], test_watchdog);
    }
    return g_test_run();
}
