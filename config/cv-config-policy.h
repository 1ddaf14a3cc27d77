/* The keys of a policy, as [policy:NAME] groups and domain <metadata> write them, with the
 * built-in defaults: the one table that files, metadata, `policy show` and the built-in
 * `default` policy all go through. */
#pragma once

#include <glib.h>

#include "cv-policy.h"

G_BEGIN_DECLS

/* Documentation order. `inherits` is not here: it only exists in files. */
typedef enum {
    CV_CONFIG_POLICY_KEY_MAX_DOWNTIME = 0,
    CV_CONFIG_POLICY_KEY_SWITCHOVER_RESERVE,
    CV_CONFIG_POLICY_KEY_MARGIN,
    CV_CONFIG_POLICY_KEY_SWITCHOVER_BANDWIDTH,
    CV_CONFIG_POLICY_KEY_PATIENCE,
    CV_CONFIG_POLICY_KEY_STALL_WINDOW,
    CV_CONFIG_POLICY_KEY_STALL_MIN_PROGRESS,
    CV_CONFIG_POLICY_KEY_ESCALATION,
    CV_CONFIG_POLICY_KEY_WAIT_TIME,
    CV_CONFIG_POLICY_KEY_COMPLETION_TIMEOUT,
    CV_CONFIG_POLICY_KEY_ON_OUTSIDE_CHANGE,
    CV_CONFIG_POLICY_N_KEYS, /* not a key */
} CvConfigPolicyKey;

#define CV_CONFIG_POLICY_DEFAULT "default"
#define CV_CONFIG_POLICY_VFIO "vfio"

/* "max-downtime", ...; NULL for CV_CONFIG_POLICY_N_KEYS. */
const gchar *cv_config_policy_key_to_string(CvConfigPolicyKey key);
gboolean cv_config_policy_key_from_string(const gchar *name, CvConfigPolicyKey *key);

/* "yield", "keep-tuning"; NULL for a value outside the enum. */
const gchar *cv_config_outside_change_to_string(CvOutsideChange value);

/* The built-in defaults, named "default". */
void cv_config_policy_init_builtin(CvPolicy *policy);

/* A policy name: 1 to CV_POLICY_NAME_MAX - 1 characters of [A-Za-z0-9_.-]. */
gboolean cv_config_policy_name_is_valid(const gchar *name);

/* Parse @value for @key into @policy, touching only the fields @key owns; on failure
 * @policy is unchanged. The message starts with the key name. Errors: CV_CONFIG_ERROR_BAD_UNIT,
 * CV_CONFIG_ERROR_BAD_VALUE. */
gboolean cv_config_policy_parse_key(CvPolicy *policy, CvConfigPolicyKey key, const gchar *value,
                                    GError **error);

/* The value of @key as text cv_config_policy_parse_key() reads back to the same fields. */
gchar *cv_config_policy_format_key(const CvPolicy *policy, CvConfigPolicyKey key);

/* Copy the fields @key owns. */
void cv_config_policy_copy_key(CvPolicy *dst, const CvPolicy *src, CvConfigPolicyKey key);

/* The policy as a key-file group "[policy:NAME]\nmax-downtime = 1s\n...", every key, that
 * loads back to the same policy. */
gchar *cv_config_policy_to_string(const CvPolicy *policy);

G_END_DECLS
