#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cv-sim-scenario.h"

GQuark
cv_sim_scenario_error_quark(void)
{
    return g_quark_from_static_string("cv-sim-scenario-error-quark");
}

static const gchar *const version_names[CV_SIM_QEMU_N_VERSIONS] = {
    [CV_SIM_QEMU_7_2] = "7.2",
    [CV_SIM_QEMU_8_2] = "8.2",
    [CV_SIM_QEMU_11_1] = "11.1",
};

const gchar *
cv_sim_qemu_version_to_string(CvSimQemuVersion version)
{
    if ((guint)version >= CV_SIM_QEMU_N_VERSIONS)
        return "unknown";
    return version_names[version];
}

gboolean
cv_sim_qemu_version_from_string(const gchar *str, CvSimQemuVersion *version)
{
    for (guint i = 0; i < CV_SIM_QEMU_N_VERSIONS; i++) {
        if (g_strcmp0(str, version_names[i]) == 0) {
            *version = (CvSimQemuVersion)i;
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- schedules ---------------------------------------------------------------------- */

gdouble
cv_sim_schedule_value_at(const CvSimSchedule *schedule, gdouble t)
{
    gdouble value = 0;

    if (schedule->steps == NULL)
        return 0;
    for (guint i = 0; i < schedule->steps->len; i++) {
        const CvSimStep *step = &g_array_index(schedule->steps, CvSimStep, i);
        if (step->at > t)
            break;
        value = step->value;
    }
    return value;
}

gdouble
cv_sim_schedule_next_change(const CvSimSchedule *schedule, gdouble t)
{
    if (schedule->steps == NULL)
        return G_MAXDOUBLE;
    for (guint i = 0; i < schedule->steps->len; i++) {
        const CvSimStep *step = &g_array_index(schedule->steps, CvSimStep, i);
        if (step->at > t)
            return step->at;
    }
    return G_MAXDOUBLE;
}

void
cv_sim_schedule_clear(CvSimSchedule *schedule)
{
    g_clear_pointer(&schedule->steps, g_array_unref);
}

static void
schedule_set_constant(CvSimSchedule *schedule, gdouble value)
{
    CvSimStep step = {0, value};

    cv_sim_schedule_clear(schedule);
    schedule->steps = g_array_new(FALSE, FALSE, sizeof(CvSimStep));
    g_array_append_val(schedule->steps, step);
}

/* ---- value parsers ------------------------------------------------------------------ */

typedef struct {
    const gchar *suffix;
    gdouble factor; /* 0: multiply by the page size */
} Unit;

static const Unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"KiB", 1024.0},
    {"MiB", 1024.0 * 1024},
    {"GiB", 1024.0 * 1024 * 1024},
    {"TiB", 1024.0 * 1024 * 1024 * 1024},
    {"KB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"TB", 1e12},
    {"pages", 0},
};

static const Unit rate_units[] = {
    {"", 1},
    {"B/s", 1},
    {"KiB/s", 1024.0},
    {"MiB/s", 1024.0 * 1024},
    {"GiB/s", 1024.0 * 1024 * 1024},
    {"KB/s", 1e3},
    {"MB/s", 1e6},
    {"GB/s", 1e9},
    {"bit/s", 1.0 / 8},
    {"kbit/s", 1e3 / 8},
    {"Mbit/s", 1e6 / 8},
    {"Gbit/s", 1e9 / 8},
    {"pages/s", 0},
};

static const Unit duration_units[] = {
    {"", 1}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"min", 60},
};

static gboolean
parse_with_units(const gchar *str, const Unit *units, gsize n_units, guint64 page_size,
                 const gchar *what, gdouble *out, GError **error)
{
    g_autofree gchar *copy = g_strstrip(g_strdup(str));
    const gchar *suffix;
    gchar *end = NULL;
    gdouble number;

    errno = 0;
    number = g_ascii_strtod(copy, &end);
    if (end == copy || errno != 0 || !isfinite(number) || number < 0) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                    "'%s' is not a %s (a non-negative number and a unit)", str, what);
        return FALSE;
    }
    suffix = end;
    while (*suffix == ' ')
        suffix++;
    for (gsize i = 0; i < n_units; i++) {
        if (g_strcmp0(suffix, units[i].suffix) != 0)
            continue;
        if (units[i].factor == 0) {
            if (page_size == 0) {
                g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "'%s': pages need a page size", str);
                return FALSE;
            }
            *out = number * (gdouble)page_size;
        } else {
            *out = number * units[i].factor;
        }
        return TRUE;
    }
    g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                "'%s': unknown unit '%s' for a %s", str, suffix, what);
    return FALSE;
}

gboolean
cv_sim_parse_size(const gchar *str, guint64 page_size, guint64 *bytes, GError **error)
{
    gdouble value = 0;

    if (!parse_with_units(str, size_units, G_N_ELEMENTS(size_units), page_size, "size", &value,
                          error))
        return FALSE;
    /* 2^64 itself does not fit; anything above 2^63 is no guest we simulate either */
    if (value >= 9.2e18) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                    "'%s' is too large", str);
        return FALSE;
    }
    *bytes = (guint64)llround(value);
    return TRUE;
}

gboolean
cv_sim_parse_rate(const gchar *str, guint64 page_size, gdouble *bytes_per_s, GError **error)
{
    return parse_with_units(str, rate_units, G_N_ELEMENTS(rate_units), page_size, "rate",
                            bytes_per_s, error);
}

gboolean
cv_sim_parse_duration(const gchar *str, gdouble *seconds, GError **error)
{
    return parse_with_units(str, duration_units, G_N_ELEMENTS(duration_units), 0, "duration",
                            seconds, error);
}

static gboolean
parse_rate_value(const gchar *str, guint64 page_size, gdouble *value, GError **error)
{
    return cv_sim_parse_rate(str, page_size, value, error);
}

static gboolean
parse_size_value(const gchar *str, guint64 page_size, gdouble *value, GError **error)
{
    guint64 bytes = 0;

    if (!cv_sim_parse_size(str, page_size, &bytes, error))
        return FALSE;
    *value = (gdouble)bytes;
    return TRUE;
}

static gboolean
parse_garbage_value(const gchar *str, guint64 page_size, gdouble *value, GError **error)
{
    static const gchar *const names[] = {
        [CV_SIM_GARBAGE_NONE] = "none",
        [CV_SIM_GARBAGE_HUGE] = "huge",
        [CV_SIM_GARBAGE_WRAPPING] = "wrapping",
        [CV_SIM_GARBAGE_FLUCTUATING] = "fluctuating",
    };
    g_autofree gchar *copy = g_strstrip(g_strdup(str));

    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (g_strcmp0(copy, names[i]) == 0) {
            *value = i;
            return TRUE;
        }
    }
    g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                "'%s' is not a garbage mode (none, huge, wrapping, fluctuating)", str);
    return FALSE;
}

gboolean
cv_sim_parse_schedule(const gchar *str, guint64 page_size, CvSimValueParser parse_value,
                      CvSimSchedule *schedule, GError **error)
{
    g_auto(GStrv) items = g_strsplit(str, ",", -1);
    g_autoptr(GArray) steps = g_array_new(FALSE, FALSE, sizeof(CvSimStep));

    for (guint i = 0; items[i] != NULL; i++) {
        CvSimStep step = {0, 0};
        const gchar *at = strchr(items[i], '@');
        g_autofree gchar *value_str = NULL;

        if (at != NULL) {
            value_str = g_strndup(items[i], at - items[i]);
            if (!cv_sim_parse_duration(at + 1, &step.at, error)) {
                g_prefix_error(error, "schedule step %u: ", i + 1);
                return FALSE;
            }
        } else if (items[1] == NULL) {
            value_str = g_strdup(items[i]);
        } else {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                        "schedule step %u ('%s') has no @TIME", i + 1, items[i]);
            return FALSE;
        }
        if (!parse_value(value_str, page_size, &step.value, error)) {
            g_prefix_error(error, "schedule step %u: ", i + 1);
            return FALSE;
        }
        if (i == 0 && step.at != 0) {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                        "a schedule must start @0s");
            return FALSE;
        }
        if (i > 0 && step.at <= g_array_index(steps, CvSimStep, i - 1).at) {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                        "schedule step %u is not later than the one before", i + 1);
            return FALSE;
        }
        g_array_append_val(steps, step);
    }
    cv_sim_schedule_clear(schedule);
    schedule->steps = g_steal_pointer(&steps);
    return TRUE;
}

/* ---- the key file ------------------------------------------------------------------- */

static void
device_free(gpointer data)
{
    CvSimDevice *device = data;

    g_free(device->name);
    cv_sim_schedule_clear(&device->stop_copy);
    g_clear_pointer(&device->reinit_at, g_array_unref);
    cv_sim_schedule_clear(&device->dirty_rate);
    cv_sim_schedule_clear(&device->garbage);
    g_free(device);
}

void
cv_sim_scenario_free(CvSimScenario *scenario)
{
    if (scenario == NULL)
        return;
    g_free(scenario->name);
    g_free(scenario->path);
    g_free(scenario->description);
    cv_sim_schedule_clear(&scenario->dirty_rate);
    cv_sim_schedule_clear(&scenario->precopy_rate);
    g_free(scenario->error_desc);
    g_clear_pointer(&scenario->devices, g_ptr_array_unref);
    g_free(scenario);
}

gboolean
cv_sim_scenario_supports(const CvSimScenario *scenario, CvSimQemuVersion version)
{
    return (scenario->versions & (1u << version)) != 0;
}

gboolean
cv_sim_scenario_has_vfio(const CvSimScenario *scenario)
{
    return scenario->devices->len > 0;
}

/* Every key a group may hold; anything else is a typo and an error. */
static const gchar *const scenario_keys[] = {"name", "description", "qemu-versions",
                                             "default-qemu-version", NULL};
static const gchar *const guest_keys[] = {"ram",        "page-size", "ram-used", "working-set",
                                          "dirty-rate", "sync-time", NULL};
static const gchar *const migration_keys[] = {
    "precopy-rate",   "link-rate",  "shared-link-rate", "setup-time",
    "downtime-fixed", "fail-after", "error-desc",       NULL};
static const gchar *const parameter_keys[] = {"downtime-limit", "max-bandwidth",
                                              "avail-switchover-bandwidth",
                                              "max-postcopy-bandwidth", NULL};
static const gchar *const capability_keys[] = {"events", "postcopy-ram", NULL};
static const gchar *const vfio_keys[] = {
    "precopy-bytes", "stop-copy-bytes", "dirty-rate", "garbage",
    "downtime-cost", "reinit-at",       NULL};

typedef struct {
    GKeyFile *kf;
    const gchar *group;
    guint64 page_size;
} Ctx;

static gboolean
check_keys(GKeyFile *kf, const gchar *group, const gchar *const *allowed, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

    for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
        if (!g_strv_contains(allowed, keys[i])) {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                        "[%s]: unknown key '%s'", group, keys[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* The raw value with surrounding blanks removed; NULL (no error) when the key is absent. */
static gchar *
get_value(const Ctx *ctx, const gchar *key)
{
    gchar *value = NULL;

    if (!g_key_file_has_key(ctx->kf, ctx->group, key, NULL))
        return NULL;
    value = g_key_file_get_string(ctx->kf, ctx->group, key, NULL);
    return value != NULL ? g_strstrip(value) : NULL;
}

/* get_value(), and a clear error when a required key is absent. TRUE with *value NULL means
 * an optional key is absent. */
static gboolean
get_value_checked(const Ctx *ctx, const gchar *key, gboolean required, gchar **value,
                  GError **error)
{
    *value = get_value(ctx, key);
    if (*value == NULL && required) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                    "[%s]: missing key '%s'", ctx->group, key);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_size(const Ctx *ctx, const gchar *key, gboolean required, guint64 *out, GError **error)
{
    g_autofree gchar *value = NULL;

    if (!get_value_checked(ctx, key, required, &value, error))
        return FALSE;
    if (value == NULL)
        return TRUE;
    if (!cv_sim_parse_size(value, ctx->page_size, out, error)) {
        g_prefix_error(error, "[%s] %s: ", ctx->group, key);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_rate(const Ctx *ctx, const gchar *key, gboolean required, gdouble *out, GError **error)
{
    g_autofree gchar *value = NULL;

    if (!get_value_checked(ctx, key, required, &value, error))
        return FALSE;
    if (value == NULL)
        return TRUE;
    if (!cv_sim_parse_rate(value, ctx->page_size, out, error)) {
        g_prefix_error(error, "[%s] %s: ", ctx->group, key);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_duration(const Ctx *ctx, const gchar *key, gdouble *out, GError **error)
{
    g_autofree gchar *value = get_value(ctx, key);

    if (value == NULL)
        return TRUE;
    if (!cv_sim_parse_duration(value, out, error)) {
        g_prefix_error(error, "[%s] %s: ", ctx->group, key);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_schedule(const Ctx *ctx, const gchar *key, gboolean required, CvSimValueParser parser,
              CvSimSchedule *out, GError **error)
{
    g_autofree gchar *value = NULL;

    if (!get_value_checked(ctx, key, required, &value, error))
        return FALSE;
    if (value == NULL)
        return TRUE;
    if (!cv_sim_parse_schedule(value, ctx->page_size, parser, out, error)) {
        g_prefix_error(error, "[%s] %s: ", ctx->group, key);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_bool(const Ctx *ctx, const gchar *key, gboolean *out, GError **error)
{
    g_autofree gchar *value = get_value(ctx, key);

    if (value == NULL)
        return TRUE;
    if (g_strcmp0(value, "true") == 0) {
        *out = TRUE;
    } else if (g_strcmp0(value, "false") == 0) {
        *out = FALSE;
    } else {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                    "[%s] %s: '%s' is not true or false", ctx->group, key, value);
        return FALSE;
    }
    return TRUE;
}

static gboolean
read_u64(const Ctx *ctx, const gchar *key, guint64 max, guint64 *out, GError **error)
{
    g_autofree gchar *value = get_value(ctx, key);
    g_autoptr(GError) local = NULL;
    guint64 number = 0;

    if (value == NULL)
        return TRUE;
    if (!g_ascii_string_to_unsigned(value, 10, 0, max, &number, &local)) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID, "[%s] %s: %s",
                    ctx->group, key, local->message);
        return FALSE;
    }
    *out = number;
    return TRUE;
}

/* A rate parameter in bytes/s: a plain integer as QMP takes it, or a rate with a unit. */
static gboolean
read_bandwidth(const Ctx *ctx, const gchar *key, guint64 *out, GError **error)
{
    gdouble rate = -1;

    if (!read_rate(ctx, key, FALSE, &rate, error))
        return FALSE;
    if (rate >= 0) {
        if (rate >= 1.8e19) {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                        "[%s] %s: out of range", ctx->group, key);
            return FALSE;
        }
        *out = (guint64)llround(rate);
    }
    return TRUE;
}

static gboolean
load_scenario_group(GKeyFile *kf, CvSimScenario *sc, GError **error)
{
    Ctx ctx = {kf, "scenario", 0};
    g_autofree gchar *name = NULL;
    g_autofree gchar *def = NULL;
    g_auto(GStrv) versions = NULL;

    if (!g_key_file_has_group(kf, "scenario"))
        return TRUE;
    if (!check_keys(kf, "scenario", scenario_keys, error))
        return FALSE;
    name = get_value(&ctx, "name");
    if (name != NULL) {
        g_free(sc->name);
        sc->name = g_steal_pointer(&name);
    }
    if (g_key_file_has_key(kf, "scenario", "description", NULL)) {
        g_free(sc->description);
        sc->description = get_value(&ctx, "description");
    }
    versions = g_key_file_get_string_list(kf, "scenario", "qemu-versions", NULL, NULL);
    if (versions != NULL) {
        sc->versions = 0;
        for (guint i = 0; versions[i] != NULL; i++) {
            CvSimQemuVersion v = CV_SIM_QEMU_11_1;
            g_strstrip(versions[i]);
            if (!cv_sim_qemu_version_from_string(versions[i], &v)) {
                g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "[scenario] qemu-versions: unknown version '%s' (7.2, 8.2, 11.1)",
                            versions[i]);
                return FALSE;
            }
            sc->versions |= 1u << v;
        }
        if (sc->versions == 0) {
            g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                                "[scenario] qemu-versions: empty");
            return FALSE;
        }
    }
    def = get_value(&ctx, "default-qemu-version");
    if (def != NULL && !cv_sim_qemu_version_from_string(def, &sc->default_version)) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                    "[scenario] default-qemu-version: unknown version '%s'", def);
        return FALSE;
    }
    if (!cv_sim_scenario_supports(sc, sc->default_version)) {
        /* the newest version the scenario allows */
        for (gint v = CV_SIM_QEMU_N_VERSIONS - 1; v >= 0; v--) {
            if (cv_sim_scenario_supports(sc, (CvSimQemuVersion)v)) {
                if (def != NULL) {
                    g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                                "[scenario] default-qemu-version %s is not in qemu-versions", def);
                    return FALSE;
                }
                sc->default_version = (CvSimQemuVersion)v;
                break;
            }
        }
    }
    return TRUE;
}

static gboolean
load_guest_group(GKeyFile *kf, CvSimScenario *sc, GError **error)
{
    Ctx ctx = {kf, "guest", 0};

    if (!g_key_file_has_group(kf, "guest")) {
        g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "missing group [guest]");
        return FALSE;
    }
    if (!check_keys(kf, "guest", guest_keys, error))
        return FALSE;
    if (!read_size(&ctx, "page-size", FALSE, &sc->page_size, error))
        return FALSE;
    if (sc->page_size < 512 || sc->page_size > (G_GUINT64_CONSTANT(1) << 30) ||
        (sc->page_size & (sc->page_size - 1)) != 0) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                    "[guest] page-size: %" G_GUINT64_FORMAT " is not a power of two >= 512",
                    sc->page_size);
        return FALSE;
    }
    ctx.page_size = sc->page_size;
    if (!read_size(&ctx, "ram", TRUE, &sc->ram_bytes, error))
        return FALSE;
    if (sc->ram_bytes < sc->page_size) {
        g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "[guest] ram: smaller than one page");
        return FALSE;
    }
    sc->ram_used_bytes = sc->ram_bytes;
    sc->working_set_bytes = sc->ram_bytes;
    if (!read_size(&ctx, "ram-used", FALSE, &sc->ram_used_bytes, error) ||
        !read_size(&ctx, "working-set", FALSE, &sc->working_set_bytes, error))
        return FALSE;
    if (sc->ram_used_bytes > sc->ram_bytes || sc->working_set_bytes > sc->ram_bytes) {
        g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "[guest] ram-used and working-set cannot exceed ram");
        return FALSE;
    }
    if (!read_schedule(&ctx, "dirty-rate", FALSE, parse_rate_value, &sc->dirty_rate, error))
        return FALSE;
    /* stored as page writes per second */
    for (guint i = 0; i < sc->dirty_rate.steps->len; i++)
        g_array_index(sc->dirty_rate.steps, CvSimStep, i).value /= (gdouble)sc->page_size;
    /* A KVM dirty-log sync walks the bitmap of all guest memory: cost grows with RAM. */
    sc->sync_time = 100e-6 + 10e-6 * (gdouble)sc->ram_bytes / (1024.0 * 1024 * 1024);
    if (!read_duration(&ctx, "sync-time", &sc->sync_time, error))
        return FALSE;
    if (sc->sync_time < 1e-6) {
        g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "[guest] sync-time: must be at least 1us");
        return FALSE;
    }
    return TRUE;
}

static gboolean
load_migration_group(GKeyFile *kf, CvSimScenario *sc, GError **error)
{
    Ctx ctx = {kf, "migration", sc->page_size};
    g_autofree gchar *desc = NULL;

    if (!g_key_file_has_group(kf, "migration")) {
        g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "missing group [migration]");
        return FALSE;
    }
    if (!check_keys(kf, "migration", migration_keys, error))
        return FALSE;
    if (!read_schedule(&ctx, "precopy-rate", TRUE, parse_rate_value, &sc->precopy_rate, error) ||
        !read_rate(&ctx, "link-rate", TRUE, &sc->link_rate, error) ||
        !read_rate(&ctx, "shared-link-rate", FALSE, &sc->shared_link_rate, error) ||
        !read_duration(&ctx, "setup-time", &sc->setup_time, error) ||
        !read_duration(&ctx, "downtime-fixed", &sc->downtime_fixed, error) ||
        !read_duration(&ctx, "fail-after", &sc->fail_after, error))
        return FALSE;
    if (sc->link_rate <= 0) {
        g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "[migration] link-rate: must be above 0");
        return FALSE;
    }
    desc = get_value(&ctx, "error-desc");
    if (desc != NULL) {
        g_free(sc->error_desc);
        sc->error_desc = g_steal_pointer(&desc);
    }
    return TRUE;
}

static gboolean
load_parameter_groups(GKeyFile *kf, CvSimScenario *sc, GError **error)
{
    Ctx ctx = {kf, "parameters", sc->page_size};

    if (g_key_file_has_group(kf, "parameters")) {
        if (!check_keys(kf, "parameters", parameter_keys, error))
            return FALSE;
        /* QEMU's own range for downtime-limit */
        if (!read_u64(&ctx, "downtime-limit", 2000000, &sc->downtime_limit_ms, error) ||
            !read_bandwidth(&ctx, "max-bandwidth", &sc->max_bandwidth, error) ||
            !read_bandwidth(&ctx, "avail-switchover-bandwidth", &sc->avail_switchover_bandwidth,
                            error) ||
            !read_bandwidth(&ctx, "max-postcopy-bandwidth", &sc->max_postcopy_bandwidth, error))
            return FALSE;
    }
    if (g_key_file_has_group(kf, "capabilities")) {
        ctx.group = "capabilities";
        if (!check_keys(kf, "capabilities", capability_keys, error))
            return FALSE;
        if (!read_bool(&ctx, "events", &sc->cap_events, error) ||
            !read_bool(&ctx, "postcopy-ram", &sc->cap_postcopy_ram, error))
            return FALSE;
    }
    return TRUE;
}

/* "20s, 1min": the times a driver re-reports its initial bytes, strictly increasing. */
static gboolean
read_reinit(const Ctx *ctx, GArray *times, GError **error)
{
    g_autofree gchar *value = get_value(ctx, "reinit-at");
    g_auto(GStrv) items = NULL;

    if (value == NULL)
        return TRUE;
    items = g_strsplit(value, ",", -1);
    for (guint i = 0; items[i] != NULL; i++) {
        gdouble at = 0;

        if (!cv_sim_parse_duration(items[i], &at, error)) {
            g_prefix_error(error, "[%s] reinit-at: ", ctx->group);
            return FALSE;
        }
        if (at <= 0 || (times->len > 0 && at <= g_array_index(times, gdouble, times->len - 1))) {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                        "[%s] reinit-at: times must be above 0 and increase", ctx->group);
            return FALSE;
        }
        g_array_append_val(times, at);
    }
    return TRUE;
}

static gboolean
load_vfio_group(GKeyFile *kf, const gchar *group, CvSimScenario *sc, GError **error)
{
    Ctx ctx = {kf, group, sc->page_size};
    CvSimDevice *device = g_new0(CvSimDevice, 1);

    g_ptr_array_add(sc->devices, device);
    device->name = g_strdup(group + strlen("vfio:"));
    if (device->name[0] == '\0') {
        g_set_error_literal(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                            "[vfio:]: a device needs a name");
        return FALSE;
    }
    schedule_set_constant(&device->dirty_rate, 0);
    schedule_set_constant(&device->garbage, CV_SIM_GARBAGE_NONE);
    if (!check_keys(kf, group, vfio_keys, error))
        return FALSE;
    device->reinit_at = g_array_new(FALSE, FALSE, sizeof(gdouble));
    if (!read_size(&ctx, "precopy-bytes", FALSE, &device->precopy_bytes, error) ||
        !read_schedule(&ctx, "stop-copy-bytes", TRUE, parse_size_value, &device->stop_copy,
                       error) ||
        !read_schedule(&ctx, "dirty-rate", FALSE, parse_rate_value, &device->dirty_rate, error) ||
        !read_schedule(&ctx, "garbage", FALSE, parse_garbage_value, &device->garbage, error) ||
        !read_duration(&ctx, "downtime-cost", &device->downtime_cost, error) ||
        !read_reinit(&ctx, device->reinit_at, error))
        return FALSE;
    device->stop_copy_bytes = (guint64)cv_sim_schedule_value_at(&device->stop_copy, 0);
    return TRUE;
}

static CvSimScenario *
scenario_load(GKeyFile *kf, const gchar *name_hint, GError **error)
{
    g_autoptr(CvSimScenario) sc = g_new0(CvSimScenario, 1);
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    sc->name = g_strdup(name_hint != NULL ? name_hint : "unnamed");
    sc->description = g_strdup("");
    sc->versions = (1u << CV_SIM_QEMU_N_VERSIONS) - 1;
    sc->default_version = CV_SIM_QEMU_11_1;
    sc->page_size = 4096;
    sc->setup_time = 0.005;
    sc->downtime_fixed = 0.005;
    sc->fail_after = -1;
    sc->error_desc = g_strdup("Unable to write to socket: Broken pipe");
    /* QEMU's defaults, as in the 7.2 capture of query-migrate-parameters */
    sc->downtime_limit_ms = 300;
    sc->max_bandwidth = 134217728;
    sc->devices = g_ptr_array_new_with_free_func(device_free);
    schedule_set_constant(&sc->dirty_rate, 0);
    schedule_set_constant(&sc->precopy_rate, 0);

    for (guint i = 0; groups[i] != NULL; i++) {
        static const gchar *const known[] = {"scenario",   "guest",        "migration",
                                             "parameters", "capabilities", NULL};
        if (!g_strv_contains(known, groups[i]) && !g_str_has_prefix(groups[i], "vfio:")) {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID,
                        "unknown group [%s]", groups[i]);
            return NULL;
        }
    }
    if (!load_scenario_group(kf, sc, error) || !load_guest_group(kf, sc, error) ||
        !load_migration_group(kf, sc, error) || !load_parameter_groups(kf, sc, error))
        return NULL;
    for (guint i = 0; groups[i] != NULL; i++) {
        if (g_str_has_prefix(groups[i], "vfio:") && !load_vfio_group(kf, groups[i], sc, error))
            return NULL;
    }
    return g_steal_pointer(&sc);
}

CvSimScenario *
cv_sim_scenario_load_data(const gchar *data, gssize len, const gchar *name_hint, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;

    if (len < 0)
        len = (gssize)strlen(data);
    if (!g_key_file_load_from_data(kf, data, (gsize)len, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_PARSE, "%s",
                    local->message);
        return NULL;
    }
    return scenario_load(kf, name_hint, error);
}

CvSimScenario *
cv_sim_scenario_load_file(const gchar *path, GError **error)
{
    g_autofree gchar *data = NULL;
    g_autofree gchar *base = g_path_get_basename(path);
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    CvSimScenario *sc;

    if (g_str_has_suffix(base, ".scenario"))
        base[strlen(base) - strlen(".scenario")] = '\0';
    if (!g_file_get_contents(path, &data, &len, &local)) {
        g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_NOT_FOUND, "%s",
                    local->message);
        return NULL;
    }
    sc = cv_sim_scenario_load_data(data, (gssize)len, base, error);
    if (sc == NULL) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    sc->path = g_strdup(path);
    return sc;
}

/* ---- search path -------------------------------------------------------------------- */

gchar **
cv_sim_scenario_search_path(void)
{
    g_autoptr(GPtrArray) dirs = g_ptr_array_new();
    const gchar *env = g_getenv("CV_SIM_SCENARIO_DIR");

    if (env != NULL && env[0] != '\0')
        g_ptr_array_add(dirs, g_strdup(env));
    g_ptr_array_add(dirs, g_build_filename(PKGDATADIR, "scenarios", NULL));
    g_ptr_array_add(dirs, g_build_filename(SOURCE_DATADIR, "scenarios", NULL));
    g_ptr_array_add(dirs, NULL);
    return (gchar **)g_ptr_array_free(g_steal_pointer(&dirs), FALSE);
}

gchar *
cv_sim_scenario_find(const gchar *name_or_path, GError **error)
{
    g_auto(GStrv) dirs = NULL;
    g_autofree gchar *file = NULL;
    g_autofree gchar *joined = NULL;

    if (strchr(name_or_path, '/') != NULL || g_str_has_suffix(name_or_path, ".scenario")) {
        if (!g_file_test(name_or_path, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_NOT_FOUND,
                        "no scenario file %s", name_or_path);
            return NULL;
        }
        return g_strdup(name_or_path);
    }
    dirs = cv_sim_scenario_search_path();
    file = g_strconcat(name_or_path, ".scenario", NULL);
    for (guint i = 0; dirs[i] != NULL; i++) {
        g_autofree gchar *path = g_build_filename(dirs[i], file, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
            return g_steal_pointer(&path);
    }
    joined = g_strjoinv(", ", dirs);
    g_set_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_NOT_FOUND,
                "no scenario '%s' in %s", name_or_path, joined);
    return NULL;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

gchar **
cv_sim_scenario_list(void)
{
    g_auto(GStrv) dirs = cv_sim_scenario_search_path();
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; dirs[i] != NULL; i++) {
        g_autoptr(GDir) dir = g_dir_open(dirs[i], 0, NULL);
        const gchar *entry;

        if (dir == NULL)
            continue;
        while ((entry = g_dir_read_name(dir)) != NULL) {
            g_autofree gchar *name = NULL;
            gboolean seen = FALSE;

            if (!g_str_has_suffix(entry, ".scenario"))
                continue;
            name = g_strndup(entry, strlen(entry) - strlen(".scenario"));
            for (guint j = 0; j < names->len && !seen; j++)
                seen = g_strcmp0(g_ptr_array_index(names, j), name) == 0;
            if (!seen)
                g_ptr_array_add(names, g_steal_pointer(&name));
        }
    }
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    return (gchar **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}
