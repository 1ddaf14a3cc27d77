#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-config.h"
#include "cv-fuzz.h"

int
cv_fuzz_metadata(const guint8 *data, gsize size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfigMetadata) md = NULL;
    g_autofree gchar *overrides = NULL;
    const gchar *name;
    CvPolicy policy;
    g_autofree gchar *before = NULL;
    g_autofree gchar *after = NULL;

    /* A NUL-terminated copy is not made: the parser must respect @len. */
    md = cv_config_metadata_parse((const gchar *)data, (gssize)size, &error);
    if (md == NULL) {
        g_assert_nonnull(error);
        g_assert_true(error->domain == CV_CONFIG_ERROR);
        g_assert_true(error->code == CV_CONFIG_ERROR_METADATA ||
                      error->code == CV_CONFIG_ERROR_BAD_UNIT ||
                      error->code == CV_CONFIG_ERROR_BAD_VALUE);
        g_assert_true(g_str_has_prefix(error->message, "metadata line ") ||
                      g_str_has_prefix(error->message, "domain XML of "));
        g_assert_true(g_utf8_validate(error->message, -1, NULL));
        return 0;
    }
    g_assert_no_error(error);

    name = cv_config_metadata_get_policy_name(md);
    if (name != NULL) {
        g_autofree gchar *element = NULL;

        g_assert_true(cv_config_metadata_has_element(md));
        /* what `policy set` would write back is accepted */
        g_assert_true(cv_config_policy_name_is_valid(name));
        element = cv_config_metadata_build(name, &error);
        g_assert_no_error(error);
        g_assert_nonnull(element);
    }
    if (cv_config_metadata_get_domain_name(md) != NULL)
        g_assert_true(g_utf8_validate(cv_config_metadata_get_domain_name(md), -1, NULL));
    g_assert_cmpint(cv_config_metadata_has_vfio(md), ==,
                    cv_config_metadata_get_n_vfio_devices(md) > 0);

    /* overrides land on a valid policy and describe themselves */
    cv_config_policy_init_builtin(&policy);
    before = cv_config_policy_to_string(&policy);
    if (cv_config_metadata_apply_overrides(md, &policy) == 0) {
        after = cv_config_policy_to_string(&policy);
        g_assert_cmpstr(before, ==, after);
        g_assert_null(cv_config_metadata_describe_overrides(md));
    } else {
        overrides = cv_config_metadata_describe_overrides(md);
        g_assert_nonnull(overrides);
        g_assert_true(g_utf8_validate(overrides, -1, NULL));
        g_assert_cmpstr(policy.name, ==, "default");
    }
    return 0;
}
