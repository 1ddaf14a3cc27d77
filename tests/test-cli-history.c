/* virt-converge history against recorded histories (tests/data/history/): the real binary's
 * stdout, stderr and exit status compared with golden files, tests/data/history/NAME.out.
 * CV_TEST_REGENERATE=1 rewrites them (then review the diff). */
#include "config.h"

#include <string.h>

#include <glib.h>

typedef struct {
    const gchar *name;
    const gchar *args[8]; /* after "history"; @DATA@ is tests/data/history */
} Row;

static const Row rows[] = {
    {"all", {"--state-dir", "@DATA@/session", NULL}},
    {"domain", {"db-primary", "--state-dir", "@DATA@/session", NULL}},
    {"since", {"--since", "2025-03-04 11:13", "--state-dir", "@DATA@/session", NULL}},
    {"since-iso-zone",
     {"vgpu-1", "--since", "2025-03-04T12:00:00+02:00", "--state-dir", "@DATA@/session", NULL}},
    {"json", {"--json", "--state-dir", "@DATA@/session", NULL}},
    {"json-domain-since",
     {"vgpu-1", "--json", "--since", "2025-03-04", "--state-dir", "@DATA@/session", NULL}},
    {"unknown-domain", {"no-such-vm", "--state-dir", "@DATA@/session", NULL}},
    {"damaged", {"--state-dir", "@DATA@/damaged", NULL}},
    {"bad-since", {"--since", "last tuesday", "--state-dir", "@DATA@/session", NULL}},
    {"missing-dir", {"--state-dir", "@DATA@/no-such-dir", NULL}},
    {"two-domains", {"a", "b", "--state-dir", "@DATA@/session", NULL}},
    {"connect", {"-c", "qemu:///system", "--state-dir", "@DATA@/session", NULL}},
};

static gchar *
data_dir(void)
{
    return g_test_build_filename(G_TEST_DIST, "data", "history", NULL);
}

static void
test_golden(gconstpointer user_data)
{
    const Row *row = user_data;
    g_autofree gchar *data = data_dir();
    g_autofree gchar *golden = g_strdup_printf("%s/%s.out", data, row->name);
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    g_autofree gchar *expected = NULL;
    g_autoptr(GString) actual = NULL;
    g_auto(GStrv) env = g_get_environ();
    gint status = 0;

    g_ptr_array_add(
        argv, g_test_build_filename(G_TEST_BUILT, "..", "agent", "cli", "virt-converge", NULL));
    g_ptr_array_add(argv, g_strdup("history"));
    for (guint i = 0; row->args[i] != NULL; i++) {
        g_autoptr(GString) a = g_string_new(row->args[i]);
        g_string_replace(a, "@DATA@", data, 0);
        g_ptr_array_add(argv, g_string_free(g_steal_pointer(&a), FALSE));
    }
    g_ptr_array_add(argv, NULL);
    /* times are shown in local time: make it UTC */
    env = g_environ_setenv(env, "TZ", "UTC", TRUE);
    env = g_environ_unsetenv(env, "STATE_DIRECTORY");
    g_assert_true(g_spawn_sync(NULL, (gchar **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
    g_assert_no_error(error);
    actual = g_string_new(out);
    g_string_append_printf(actual, "--- stderr\n%s--- exit %d\n", err,
                           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    g_string_replace(actual, data, "@DATA@", 0);

    if (g_strcmp0(g_getenv("CV_TEST_REGENERATE"), "1") == 0) {
        g_assert_true(g_file_set_contents(golden, actual->str, -1, NULL));
        return;
    }
    if (!g_file_get_contents(golden, &expected, NULL, NULL))
        g_error("missing %s (run with CV_TEST_REGENERATE=1)", golden);
    g_assert_cmpstr(actual->str, ==, expected);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/cli-history/%s", rows[i].name);
        g_test_add_data_func(path, &rows[i], test_golden);
    }
    return g_test_run();
}
