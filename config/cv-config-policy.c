#include "config.h"

#include <string.h>

#include "cv-config-error.h"
#include "cv-config-policy.h"
#include "cv-config-units.h"

/* QEMU refuses a downtime-limit above 2000 s (qemu-libvirt-reference.md, downtime-limit). */
#define MAX_DOWNTIME_CEILING_MS (G_GUINT64_CONSTANT(2000) * 1000)
#define STALL_WINDOW_MAX_PASSES 1000

typedef gboolean (*KeyParseFunc)(CvPolicy *policy, const gchar *value, GError **error);
typedef gchar *(*KeyFormatFunc)(const CvPolicy *policy);

typedef struct {
    const gchar *name;
    /* The built-in `default` policy, as text, read by the same parser as files: the
     * shipped virt-converged.conf explains each one. */
    const gchar *builtin;
    KeyParseFunc parse;
    KeyFormatFunc format;
} KeyInfo;

/* Items of a comma-separated list, spaces around each item removed; empty items refused. */
static gchar **
split_list(const gchar *value, GError **error)
{
    g_auto(GStrv) items = g_strsplit(value, ",", -1);

    if (items[0] == NULL) {
        g_set_error_literal(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE, "empty value");
        return NULL;
    }
    for (guint i = 0; items[i] != NULL; i++) {
        g_strstrip(items[i]);
        if (*items[i] == '\0') {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "'%s': empty item in a comma-separated list", value);
            return NULL;
        }
    }
    return g_steal_pointer(&items);
}

static gboolean
parse_positive_duration(const gchar *value, guint64 *ms, GError **error)
{
    guint64 v = 0;

    if (!cv_config_parse_duration(value, &v, error))
        return FALSE;
    if (v == 0) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': must be longer than zero", value);
        return FALSE;
    }
    *ms = v;
    return TRUE;
}

static gboolean
parse_max_downtime(CvPolicy *policy, const gchar *value, GError **error)
{
    guint64 ms = 0;

    if (!parse_positive_duration(value, &ms, error))
        return FALSE;
    if (ms > MAX_DOWNTIME_CEILING_MS) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': above 2000s, the largest downtime-limit QEMU accepts", value);
        return FALSE;
    }
    policy->max_downtime_ms = ms;
    return TRUE;
}

static gchar *
format_max_downtime(const CvPolicy *policy)
{
    return cv_config_format_duration(policy->max_downtime_ms);
}

/* A reserve beyond a minute is a unit typo: no switchover has fixed costs like that. */
#define SWITCHOVER_RESERVE_MAX_MS 60000

static gboolean
parse_switchover_reserve(CvPolicy *policy, const gchar *value, GError **error)
{
    guint64 ms = 0;

    if (!cv_config_parse_duration(value, &ms, error))
        return FALSE;
    if (ms > SWITCHOVER_RESERVE_MAX_MS) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': above 60s, more than any switchover's fixed costs", value);
        return FALSE;
    }
    policy->switchover_reserve_ms = ms;
    return TRUE;
}

static gchar *
format_switchover_reserve(const CvPolicy *policy)
{
    return cv_config_format_duration(policy->switchover_reserve_ms);
}

static gboolean
parse_margin(CvPolicy *policy, const gchar *value, GError **error)
{
    gdouble f = 0;

    if (!cv_config_parse_percent(value, &f, error))
        return FALSE;
    policy->margin = f;
    return TRUE;
}

static gchar *
format_margin(const CvPolicy *policy)
{
    return cv_config_format_percent(policy->margin);
}

#define LEARNED "learned"
#define AT_MOST "at most"

static gboolean
parse_stated_rate(const gchar *value, guint64 *rate, GError **error)
{
    if (!cv_config_parse_rate(value, rate, error))
        return FALSE;
    if (*rate == 0) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': a zero rate; write 'off' to leave the switchover bandwidth alone",
                    value);
        return FALSE;
    }
    return TRUE;
}

/* "learned" or "learned, at most RATE" */
static gboolean
parse_learned(CvPolicy *policy, const gchar *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    guint64 max = 0;

    if (items == NULL)
        return FALSE;
    if (g_strcmp0(items[0], LEARNED) != 0 || (items[1] != NULL && items[2] != NULL)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': expected 'learned' or 'learned, at most RATE'", value);
        return FALSE;
    }
    if (items[1] != NULL) {
        const gchar *rate = items[1] + strlen(AT_MOST);

        if (!g_str_has_prefix(items[1], AT_MOST) || !g_ascii_isspace(*rate)) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "'%s': expected 'learned, at most RATE' (e.g. learned, at most 10Gbit)",
                        value);
            return FALSE;
        }
        while (g_ascii_isspace(*rate))
            rate++;
        if (!parse_stated_rate(rate, &max, error))
            return FALSE;
    }
    policy->switchover_bandwidth = 0;
    policy->switchover_learned = TRUE;
    policy->switchover_learned_max = max;
    return TRUE;
}

static gboolean
parse_switchover_bandwidth(CvPolicy *policy, const gchar *value, GError **error)
{
    guint64 rate = 0;

    if (g_str_has_prefix(value, LEARNED))
        return parse_learned(policy, value, error);
    if (g_strcmp0(value, "off") == 0) {
        policy->switchover_bandwidth = 0;
        policy->switchover_learned = FALSE;
        policy->switchover_learned_max = 0;
        return TRUE;
    }
    if (!parse_stated_rate(value, &rate, error))
        return FALSE;
    policy->switchover_bandwidth = rate;
    policy->switchover_learned = FALSE;
    policy->switchover_learned_max = 0;
    return TRUE;
}

static gchar *
format_switchover_bandwidth(const CvPolicy *policy)
{
    /* a learned policy reads back as learned, whatever rate a tuner resolved into its copy */
    if (policy->switchover_learned && policy->switchover_learned_max > 0) {
        g_autofree gchar *max = cv_config_format_rate(policy->switchover_learned_max);
        return g_strdup_printf(LEARNED ", " AT_MOST " %s", max);
    }
    if (policy->switchover_learned)
        return g_strdup(LEARNED);
    if (policy->switchover_bandwidth == 0)
        return g_strdup("off");
    return cv_config_format_rate(policy->switchover_bandwidth);
}

/* A day is far beyond any completion timeout: a longer patience is a typo. */
#define PATIENCE_MAX_MS (G_GUINT64_CONSTANT(24) * 3600 * 1000)

static gboolean
parse_patience(CvPolicy *policy, const gchar *value, GError **error)
{
    guint64 ms = 0;

    if (g_strcmp0(value, "off") == 0) {
        policy->patience_ms = 0;
        return TRUE;
    }
    if (!parse_positive_duration(value, &ms, error))
        return FALSE;
    if (ms > PATIENCE_MAX_MS) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': above 24h (write 'off' to judge stalls by stall-window alone)", value);
        return FALSE;
    }
    policy->patience_ms = ms;
    return TRUE;
}

static gchar *
format_patience(const CvPolicy *policy)
{
    if (policy->patience_ms == 0)
        return g_strdup("off");
    return cv_config_format_duration(policy->patience_ms);
}

static gboolean
parse_passes(const gchar *item, guint *passes, GError **error)
{
    guint64 v = 0;

    if (!g_ascii_string_to_unsigned(item, 10, 1, STALL_WINDOW_MAX_PASSES, &v, NULL)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': a number of iterations must be from 1 to %d", item,
                    STALL_WINDOW_MAX_PASSES);
        return FALSE;
    }
    *passes = (guint)v;
    return TRUE;
}

static gboolean
parse_stall_window(CvPolicy *policy, const gchar *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    gboolean have_passes = FALSE;
    gboolean have_time = FALSE;
    guint passes = 0;
    guint64 ms = 0;

    if (items == NULL)
        return FALSE;
    for (guint i = 0; items[i] != NULL; i++) {
        /* A bare integer counts iterations; anything with a unit is a time. */
        gboolean bare = items[i][strspn(items[i], "0123456789")] == '\0';

        if (bare) {
            if (have_passes) {
                g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                            "'%s': gives the number of iterations twice", value);
                return FALSE;
            }
            if (!parse_passes(items[i], &passes, error))
                return FALSE;
            have_passes = TRUE;
        } else {
            if (have_time) {
                g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                            "'%s': gives the time twice", value);
                return FALSE;
            }
            if (!parse_positive_duration(items[i], &ms, error))
                return FALSE;
            have_time = TRUE;
        }
    }
    policy->stall_window_passes = passes;
    policy->stall_window_ms = ms;
    return TRUE;
}

static gchar *
format_stall_window(const CvPolicy *policy)
{
    g_autofree gchar *time = NULL;

    if (policy->stall_window_ms != 0)
        time = cv_config_format_duration(policy->stall_window_ms);
    if (policy->stall_window_passes != 0 && time != NULL)
        return g_strdup_printf("%u,%s", policy->stall_window_passes, time);
    if (policy->stall_window_passes != 0)
        return g_strdup_printf("%u", policy->stall_window_passes);
    if (time != NULL)
        return g_steal_pointer(&time);
    /* Not producible from text: the engine's struct allows it, so show it honestly. */
    return g_strdup("0");
}

static gboolean
parse_stall_min_progress(CvPolicy *policy, const gchar *value, GError **error)
{
    gdouble f = 0;

    if (!cv_config_parse_percent(value, &f, error))
        return FALSE;
    if (f >= 1.0) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': must be below 100%% (pending can never fall by all of itself)", value);
        return FALSE;
    }
    policy->stall_min_progress = f;
    return TRUE;
}

static gchar *
format_stall_min_progress(const CvPolicy *policy)
{
    return cv_config_format_percent(policy->stall_min_progress);
}

static gboolean
parse_escalation(CvPolicy *policy, const gchar *value, GError **error)
{
    g_auto(GStrv) items = split_list(value, error);
    CvEscalationStep steps[CV_POLICY_MAX_ESCALATION];
    guint n = 0;

    if (items == NULL)
        return FALSE;
    memset(steps, 0, sizeof(steps));
    if (g_strv_length(items) > CV_POLICY_MAX_ESCALATION) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE, "'%s': more than %d steps",
                    value, CV_POLICY_MAX_ESCALATION);
        return FALSE;
    }
    for (guint i = 0; items[i] != NULL; i++) {
        gchar *colon = strchr(items[i], ':');
        CvEscalationAction action = CV_ESCALATION_WAIT;
        guint64 bound = 0;

        if (colon != NULL)
            *colon = '\0';
        if (!cv_escalation_action_from_string(items[i], &action)) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "unknown step '%s' (use wait, postcopy, pause or abort)", items[i]);
            return FALSE;
        }
        for (guint j = 0; j < n; j++) {
            if (steps[j].action == action) {
                g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                            "step '%s' is listed twice", items[i]);
                return FALSE;
            }
        }
        if (n > 0 && steps[n - 1].action == CV_ESCALATION_ABORT) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "step '%s' comes after 'abort', which ends the migration", items[i]);
            return FALSE;
        }
        if (colon != NULL) {
            if (items[i + 1] == NULL) {
                g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                            "the last step '%s' has a time bound, but no step follows it",
                            items[i]);
                return FALSE;
            }
            if (!parse_positive_duration(colon + 1, &bound, error)) {
                g_prefix_error(error, "step '%s': ", items[i]);
                return FALSE;
            }
        }
        steps[n].action = action;
        steps[n].bound_ms = bound;
        n++;
    }
    memcpy(policy->escalation, steps, sizeof(steps));
    policy->n_escalation = n;
    return TRUE;
}

static gchar *
format_escalation(const CvPolicy *policy)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < policy->n_escalation && i < CV_POLICY_MAX_ESCALATION; i++) {
        const CvEscalationStep *step = &policy->escalation[i];

        if (i > 0)
            g_string_append_c(s, ',');
        g_string_append(s, cv_escalation_action_to_string(step->action));
        if (step->bound_ms != 0) {
            g_autofree gchar *d = cv_config_format_duration(step->bound_ms);
            g_string_append_printf(s, ":%s", d);
        }
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean
parse_wait_time(CvPolicy *policy, const gchar *value, GError **error)
{
    guint64 ms = 0;

    if (!parse_positive_duration(value, &ms, error))
        return FALSE;
    policy->wait_time_ms = ms;
    return TRUE;
}

static gchar *
format_wait_time(const CvPolicy *policy)
{
    return cv_config_format_duration(policy->wait_time_ms);
}

static gboolean
parse_completion_timeout(CvPolicy *policy, const gchar *value, GError **error)
{
    guint64 ms = 0;

    if (g_strcmp0(value, "off") == 0) {
        policy->completion_timeout_ms = 0;
        policy->completion_timeout_ms_per_gib = 0;
        return TRUE;
    }
    if (strchr(value, '/') != NULL) {
        if (!cv_config_parse_per_gib(value, &ms, error))
            return FALSE;
        if (ms == 0) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "'%s': must be longer than zero (write 'off' for no timeout)", value);
            return FALSE;
        }
        policy->completion_timeout_ms = 0;
        policy->completion_timeout_ms_per_gib = ms;
        return TRUE;
    }
    if (!parse_positive_duration(value, &ms, error))
        return FALSE;
    policy->completion_timeout_ms = ms;
    policy->completion_timeout_ms_per_gib = 0;
    return TRUE;
}

static gchar *
format_completion_timeout(const CvPolicy *policy)
{
    /* Files set one or the other; the per-GiB form wins if a caller set both. */
    if (policy->completion_timeout_ms_per_gib != 0)
        return cv_config_format_per_gib(policy->completion_timeout_ms_per_gib);
    if (policy->completion_timeout_ms != 0)
        return cv_config_format_duration(policy->completion_timeout_ms);
    return g_strdup("off");
}

static const gchar *const outside_change_names[] = {
    [CV_OUTSIDE_CHANGE_YIELD] = "yield",
    [CV_OUTSIDE_CHANGE_KEEP_TUNING] = "keep-tuning",
};

const gchar *
cv_config_outside_change_to_string(CvOutsideChange value)
{
    if ((guint)value >= G_N_ELEMENTS(outside_change_names))
        return NULL;
    return outside_change_names[value];
}

static gboolean
parse_on_outside_change(CvPolicy *policy, const gchar *value, GError **error)
{
    for (guint i = 0; i < G_N_ELEMENTS(outside_change_names); i++) {
        if (g_strcmp0(outside_change_names[i], value) == 0) {
            policy->on_outside_change = (CvOutsideChange)i;
            return TRUE;
        }
    }
    g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                "'%s': expected yield or keep-tuning", value);
    return FALSE;
}

static gchar *
format_on_outside_change(const CvPolicy *policy)
{
    const gchar *name = cv_config_outside_change_to_string(policy->on_outside_change);

    /* Not producible from text: show the number rather than hide it. */
    return name != NULL ? g_strdup(name) : g_strdup_printf("%d", (gint)policy->on_outside_change);
}

/* Indexed by CvConfigPolicyKey. The defaults are defended in data/virt-converged.conf. */
static const KeyInfo keys[CV_CONFIG_POLICY_N_KEYS] = {
    [CV_CONFIG_POLICY_KEY_MAX_DOWNTIME] = {"max-downtime", "1s", parse_max_downtime,
                                           format_max_downtime},
    [CV_CONFIG_POLICY_KEY_SWITCHOVER_RESERVE] = {"switchover-reserve", "50ms",
                                                 parse_switchover_reserve,
                                                 format_switchover_reserve},
    [CV_CONFIG_POLICY_KEY_MARGIN] = {"margin", "10%", parse_margin, format_margin},
    [CV_CONFIG_POLICY_KEY_SWITCHOVER_BANDWIDTH] = {"switchover-bandwidth", "off",
                                                   parse_switchover_bandwidth,
                                                   format_switchover_bandwidth},
    [CV_CONFIG_POLICY_KEY_PATIENCE] = {"patience", "2min", parse_patience, format_patience},
    [CV_CONFIG_POLICY_KEY_STALL_WINDOW] = {"stall-window", "3,10s", parse_stall_window,
                                           format_stall_window},
    [CV_CONFIG_POLICY_KEY_STALL_MIN_PROGRESS] = {"stall-min-progress", "4%",
                                                 parse_stall_min_progress,
                                                 format_stall_min_progress},
    [CV_CONFIG_POLICY_KEY_ESCALATION] = {"escalation", "wait,abort", parse_escalation,
                                         format_escalation},
    [CV_CONFIG_POLICY_KEY_WAIT_TIME] = {"wait-time", "2min", parse_wait_time, format_wait_time},
    [CV_CONFIG_POLICY_KEY_COMPLETION_TIMEOUT] = {"completion-timeout", "150s/GiB",
                                                 parse_completion_timeout,
                                                 format_completion_timeout},
    [CV_CONFIG_POLICY_KEY_ON_OUTSIDE_CHANGE] = {"on-outside-change", "yield",
                                                parse_on_outside_change, format_on_outside_change},
};

const gchar *
cv_config_policy_key_to_string(CvConfigPolicyKey key)
{
    if ((guint)key >= CV_CONFIG_POLICY_N_KEYS)
        return NULL;
    return keys[key].name;
}

gboolean
cv_config_policy_key_from_string(const gchar *name, CvConfigPolicyKey *key)
{
    for (guint i = 0; i < CV_CONFIG_POLICY_N_KEYS; i++) {
        if (g_strcmp0(keys[i].name, name) == 0) {
            *key = (CvConfigPolicyKey)i;
            return TRUE;
        }
    }
    return FALSE;
}

void
cv_config_policy_init_builtin(CvPolicy *policy)
{
    memset(policy, 0, sizeof(*policy));
    g_strlcpy(policy->name, CV_CONFIG_POLICY_DEFAULT, sizeof(policy->name));
    for (guint i = 0; i < CV_CONFIG_POLICY_N_KEYS; i++) {
        g_autoptr(GError) error = NULL;

        /* The table is ours and a unit test parses it: failing here is a programming bug. */
        if (!keys[i].parse(policy, keys[i].builtin, &error))
            g_critical("built-in default %s = %s: %s", keys[i].name, keys[i].builtin,
                       error->message);
    }
}

gboolean
cv_config_policy_name_is_valid(const gchar *name)
{
    gsize len;

    if (name == NULL)
        return FALSE;
    len = strlen(name);
    if (len == 0 || len >= CV_POLICY_NAME_MAX)
        return FALSE;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == len;
}

gboolean
cv_config_policy_parse_key(CvPolicy *policy, CvConfigPolicyKey key, const gchar *value,
                           GError **error)
{
    CvPolicy tmp;

    g_return_val_if_fail(policy != NULL, FALSE);
    g_return_val_if_fail((guint)key < CV_CONFIG_POLICY_N_KEYS, FALSE);
    g_return_val_if_fail(value != NULL, FALSE);

    /* Parse into a copy so a failure leaves @policy as it was. */
    tmp = *policy;
    if (!keys[key].parse(&tmp, value, error)) {
        g_prefix_error(error, "%s: ", keys[key].name);
        return FALSE;
    }
    *policy = tmp;
    return TRUE;
}

gchar *
cv_config_policy_format_key(const CvPolicy *policy, CvConfigPolicyKey key)
{
    g_return_val_if_fail(policy != NULL, NULL);
    g_return_val_if_fail((guint)key < CV_CONFIG_POLICY_N_KEYS, NULL);
    return keys[key].format(policy);
}

void
cv_config_policy_copy_key(CvPolicy *dst, const CvPolicy *src, CvConfigPolicyKey key)
{
    switch (key) {
    case CV_CONFIG_POLICY_KEY_MAX_DOWNTIME:
        dst->max_downtime_ms = src->max_downtime_ms;
        break;
    case CV_CONFIG_POLICY_KEY_SWITCHOVER_RESERVE:
        dst->switchover_reserve_ms = src->switchover_reserve_ms;
        break;
    case CV_CONFIG_POLICY_KEY_MARGIN:
        dst->margin = src->margin;
        break;
    case CV_CONFIG_POLICY_KEY_SWITCHOVER_BANDWIDTH:
        dst->switchover_bandwidth = src->switchover_bandwidth;
        dst->switchover_learned = src->switchover_learned;
        dst->switchover_learned_max = src->switchover_learned_max;
        break;
    case CV_CONFIG_POLICY_KEY_PATIENCE:
        dst->patience_ms = src->patience_ms;
        break;
    case CV_CONFIG_POLICY_KEY_STALL_WINDOW:
        dst->stall_window_passes = src->stall_window_passes;
        dst->stall_window_ms = src->stall_window_ms;
        break;
    case CV_CONFIG_POLICY_KEY_STALL_MIN_PROGRESS:
        dst->stall_min_progress = src->stall_min_progress;
        break;
    case CV_CONFIG_POLICY_KEY_ESCALATION:
        memcpy(dst->escalation, src->escalation, sizeof(dst->escalation));
        dst->n_escalation = src->n_escalation;
        break;
    case CV_CONFIG_POLICY_KEY_WAIT_TIME:
        dst->wait_time_ms = src->wait_time_ms;
        break;
    case CV_CONFIG_POLICY_KEY_COMPLETION_TIMEOUT:
        dst->completion_timeout_ms = src->completion_timeout_ms;
        dst->completion_timeout_ms_per_gib = src->completion_timeout_ms_per_gib;
        break;
    case CV_CONFIG_POLICY_KEY_ON_OUTSIDE_CHANGE:
        dst->on_outside_change = src->on_outside_change;
        break;
    case CV_CONFIG_POLICY_N_KEYS:
    default:
        g_return_if_reached();
    }
}

gchar *
cv_config_policy_to_string(const CvPolicy *policy)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_return_val_if_fail(policy != NULL, NULL);
    g_string_append_printf(s, "[policy:%s]\n", policy->name);
    for (guint i = 0; i < CV_CONFIG_POLICY_N_KEYS; i++) {
        g_autofree gchar *v = keys[i].format(policy);
        g_string_append_printf(s, "%s = %s\n", keys[i].name, v);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}
