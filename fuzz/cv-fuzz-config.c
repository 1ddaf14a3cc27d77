#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-config.h"
#include "cv-fuzz-check.h"
#include "cv-fuzz.h"

#define FUZZ_PART_SEPARATOR "\n%%\n"
#define FUZZ_MAX_DROPINS 4

/* "PATH:LINE: ..." or, for the few problems without a line, "PATH: ..." */
static void
check_error(const GError *error, GPtrArray *paths)
{
    gboolean named = FALSE;

    g_assert_true(error->domain == CV_CONFIG_ERROR);
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    for (guint i = 0; i < paths->len; i++) {
        const gchar *path = g_ptr_array_index(paths, i);
        const gchar *rest;

        if (!g_str_has_prefix(error->message, path))
            continue;
        rest = error->message + strlen(path);
        if (rest[0] == ':' && g_ascii_isdigit(rest[1])) {
            named = TRUE;
        } else if (g_str_equal(rest, ": contains a NUL byte")) {
            named = TRUE;
        }
    }
    if (!named)
        cv_fuzz_fail("config error without FILE:LINE: %s", error->message);
}

static void
check_config(const CvConfig *config)
{
    g_auto(GStrv) names = cv_config_list_policies(config);
    g_autoptr(GString) all = g_string_new(NULL);
    g_autofree gchar *path = NULL;
    g_autoptr(CvConfig) again = NULL;
    g_autoptr(GError) error = NULL;
    gboolean has_default = FALSE;
    CvPolicy policy;
    CvConfigSource source;

    g_assert_nonnull(names);
    for (guint i = 0; names[i] != NULL; i++) {
        const CvPolicy *p = cv_config_get_policy(config, names[i]);
        g_autofree gchar *text = NULL;

        g_assert_nonnull(p);
        g_assert_true(cv_config_policy_name_is_valid(p->name));
        g_assert_cmpstr(p->name, ==, names[i]);
        g_assert_nonnull(cv_config_get_policy_origin(config, names[i]));
        if (g_str_equal(names[i], "default"))
            has_default = TRUE;
        text = cv_config_policy_to_string(p);
        g_string_append(all, text);
    }
    g_assert_true(has_default);

    /* cv_config_policy_to_string(): "every key, that loads back to the same policy" */
    path = g_build_filename(cv_fuzz_scratch_dir(), "roundtrip.conf", NULL);
    g_assert_true(g_file_set_contents(path, all->str, (gssize)all->len, NULL));
    again = cv_config_load(path, NULL, &error);
    if (again == NULL)
        cv_fuzz_fail("a loaded configuration written back does not load: %s\n%s", error->message,
                     all->str);
    for (guint i = 0; names[i] != NULL; i++) {
        g_autofree gchar *a = cv_config_policy_to_string(cv_config_get_policy(config, names[i]));
        g_autofree gchar *b = NULL;
        const CvPolicy *p = cv_config_get_policy(again, names[i]);

        g_assert_nonnull(p);
        b = cv_config_policy_to_string(p);
        g_assert_cmpstr(a, ==, b);
    }

    /* every domain gets a defined policy, whatever its name */
    cv_config_policy_for_domain(config, "vm-1", NULL, TRUE, &policy, &source, NULL);
    g_assert_nonnull(cv_config_get_policy(config, policy.name));
    cv_config_policy_for_domain(config, "", NULL, FALSE, &policy, &source, NULL);
    g_assert_nonnull(cv_config_get_policy(config, policy.name));

    g_assert_cmpuint(cv_config_get_poll_interval_ms(config), >, 0);
    g_assert_nonnull(cv_config_log_level_to_string(cv_config_get_log_level(config)));
    g_assert_nonnull(cv_config_monitor_commands_to_string(cv_config_get_monitor_commands(config)));
}

int
cv_fuzz_config(const guint8 *data, gsize size)
{
    const gchar *scratch = cv_fuzz_scratch_dir();
    g_autofree gchar *dir = g_build_filename(scratch, "config", NULL);
    g_autofree gchar *main_path = g_build_filename(dir, "virt-converged.conf", NULL);
    g_autofree gchar *dropins = g_build_filename(dir, "policies.d", NULL);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(CvConfig) config = NULL;
    g_autoptr(CvConfig) reloaded = NULL;
    g_autoptr(GError) error = NULL;
    const gchar *p = (const gchar *)data;
    const gchar *end = p + size;
    guint part = 0;

    cv_fuzz_empty_dir(scratch);
    g_assert_cmpint(g_mkdir_with_parents(dropins, 0700), ==, 0);
    while (p <= end && part <= FUZZ_MAX_DROPINS) {
        const gchar *sep = g_strstr_len(p, end - p, FUZZ_PART_SEPARATOR);
        const gchar *stop = sep != NULL ? sep : end;
        g_autofree gchar *name = g_strdup_printf("%02u.conf", part);
        gchar *path = part == 0 ? g_strdup(main_path) : g_build_filename(dropins, name, NULL);

        g_assert_true(g_file_set_contents(path, p, stop - p, NULL));
        g_ptr_array_add(paths, path);
        part++;
        if (sep == NULL)
            break;
        p = sep + strlen(FUZZ_PART_SEPARATOR);
    }

    config = cv_config_load(main_path, dropins, &error);
    if (config == NULL) {
        g_assert_nonnull(error);
        check_error(error, paths);
        /* a reload that fails keeps what it had */
        reloaded = cv_config_new_default();
        g_clear_error(&error);
        g_assert_false(cv_config_reload(&reloaded, main_path, dropins, &error));
        g_assert_nonnull(reloaded);
        g_assert_nonnull(cv_config_get_policy(reloaded, "default"));
        return 0;
    }
    g_assert_no_error(error);
    check_config(config);
    return 0;
}
