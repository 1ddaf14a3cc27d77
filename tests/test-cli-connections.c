/* Which libvirt connections each virt-converge command opens, observed from outside: the real
 * binary runs against libvirt's in-process test driver (test:///default) with libvirt's own
 * debug log on, and every virConnectOpenAuth it logs is read back with its flags. Commands
 * that only read (list, status, watch) must open read-only (VIR_CONNECT_RO: the -ro socket on a
 * real host, which gives no root-equivalent access); commands that change a domain (tune,
 * migrate, check, policy set/unset) need read-write; commands that need no libvirt (policy
 * list/show) open nothing. Whether the command itself succeeds on the test driver (it has no
 * job statistics) does not matter here. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include <glib.h>

#include "cv-test-fs.h"

#define TEST_URI "test:///default"
/* libvirt's VIR_CONNECT_RO */
#define FLAGS_RO "0x1"
#define FLAGS_RW "0x0"

typedef struct {
    const gchar *name;
    const gchar *args[6];
    guint n_opens;      /* connections the command opens */
    const gchar *flags; /* of every one of them; NULL when n_opens is 0 */
} Row;

static const Row rows[] = {
    {"list", {"list", NULL}, 1, FLAGS_RO},
    {"list-all", {"list", "--all", NULL}, 1, FLAGS_RO},
    {"status", {"status", "test", NULL}, 1, FLAGS_RO},
    {"status-json", {"status", "--json", "test", NULL}, 1, FLAGS_RO},
    {"watch", {"watch", "test", NULL}, 1, FLAGS_RO},
    {"tune", {"tune", "test", NULL}, 1, FLAGS_RW},
    {"check", {"check", "test", NULL}, 1, FLAGS_RW},
    {"migrate", {"migrate", "test", TEST_URI, NULL}, 2, FLAGS_RW},
    {"policy-set", {"policy", "set", "test", "default", "--force", NULL}, 1, FLAGS_RW},
    {"policy-unset", {"policy", "unset", "test", NULL}, 1, FLAGS_RW},
    {"policy-list", {"policy", "list", NULL}, 0, NULL},
    {"policy-show", {"policy", "show", "default", NULL}, 0, NULL},
};

static void
test_connections(gconstpointer data)
{
    const Row *row = data;
    g_autofree gchar *tmp = cv_test_fs_make_tmpdir();
    g_autofree gchar *log = g_build_filename(tmp, "libvirt.log", NULL);
    g_autofree gchar *outputs = g_strdup_printf("1:file:%s", log);
    g_autofree gchar *text = NULL;
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GRegex) re = NULL;
    g_autoptr(GMatchInfo) match = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) env = g_get_environ();
    guint n = 0;
    gint status = 0;

    g_ptr_array_add(
        argv, g_test_build_filename(G_TEST_BUILT, "..", "agent", "cli", "virt-converge", NULL));
    g_ptr_array_add(argv, g_strdup("-c"));
    g_ptr_array_add(argv, g_strdup(TEST_URI));
    for (guint i = 0; row->args[i] != NULL; i++)
        g_ptr_array_add(argv, g_strdup(row->args[i]));
    g_ptr_array_add(argv, NULL);
    env = g_environ_setenv(env, "LIBVIRT_LOG_FILTERS", "1:libvirt", TRUE);
    env = g_environ_setenv(env, "LIBVIRT_LOG_OUTPUTS", outputs, TRUE);
    env = g_environ_unsetenv(env, "LIBVIRT_DEFAULT_URI");
    g_assert_true(g_spawn_sync(NULL, (gchar **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
    g_assert_no_error(error);
    g_test_message("exit %d, stderr: %s", WIFEXITED(status) ? WEXITSTATUS(status) : -1, err);
    /* the command ran (a crash is no answer) */
    g_assert_true(WIFEXITED(status));

    if (!g_file_get_contents(log, &text, NULL, NULL))
        text = g_strdup("");
    re = g_regex_new("virConnectOpen[A-Za-z]*:[0-9]+ : name=([^,]*), .*flags=(0x[0-9a-f]+)", 0, 0,
                     &error);
    g_assert_no_error(error);
    g_regex_match(re, text, 0, &match);
    while (g_match_info_matches(match)) {
        g_autofree gchar *uri = g_match_info_fetch(match, 1);
        g_autofree gchar *flags = g_match_info_fetch(match, 2);

        g_test_message("opened %s flags=%s", uri, flags);
        g_assert_cmpstr(uri, ==, TEST_URI);
        g_assert_cmpstr(flags, ==, row->flags);
        n++;
        g_match_info_next(match, NULL);
    }
    g_assert_cmpuint(n, ==, row->n_opens);
    cv_test_fs_rm_rf(tmp);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/cli-connections/%s", rows[i].name);
        g_test_add_data_func(path, &rows[i], test_connections);
    }
    return g_test_run();
}
