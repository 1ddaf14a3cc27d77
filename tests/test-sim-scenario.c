#include "config.h"

#include <math.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-sim-scenario.h"

/* ---- value parsers ------------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    const gchar *input;
    guint64 page_size;
    gboolean ok;
    gdouble expect;
} ValueRow;

static const ValueRow size_rows[] = {
    {"gib", "32GiB", 0, TRUE, 34359738368.0},
    {"mib", "2560MiB", 0, TRUE, 2684354560.0},
    {"pages", "643032pages", 4096, TRUE, 2633859072.0},
    {"space-before-unit", "64 MiB", 0, TRUE, 67108864.0},
    {"decimal-gb", "1.5GB", 0, TRUE, 1.5e9},
    {"bare-bytes", "2050801664", 0, TRUE, 2050801664.0},
    {"tib", "1TiB", 0, TRUE, 1099511627776.0},
    {"empty", "", 0, FALSE, 0},
    {"negative", "-1GiB", 0, FALSE, 0},
    {"unknown-unit", "5 parsecs", 0, FALSE, 0},
    {"pages-without-size", "10pages", 0, FALSE, 0},
    {"too-large", "100000000TiB", 0, FALSE, 0},
};

static void
test_size(gconstpointer data)
{
    const ValueRow *row = data;
    g_autoptr(GError) error = NULL;
    guint64 bytes = 0;
    gboolean ok = cv_sim_parse_size(row->input, row->page_size, &bytes, &error);

    g_assert_cmpint(ok, ==, row->ok);
    if (row->ok) {
        g_assert_no_error(error);
        g_assert_cmpuint(bytes, ==, (guint64)row->expect);
    } else {
        g_assert_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID);
    }
}

static const ValueRow rate_rows[] = {
    {"mbit", "460Mbit/s", 0, TRUE, 57.5e6},
    {"gbit", "10Gbit/s", 0, TRUE, 1.25e9},
    {"pages", "8039pages/s", 4096, TRUE, 8039.0 * 4096},
    {"gib", "1GiB/s", 0, TRUE, 1073741824.0},
    {"mb", "100MB/s", 0, TRUE, 1e8},
    {"bare", "1000", 0, TRUE, 1000},
    {"word", "fast", 0, FALSE, 0},
    {"size-unit", "1GiB", 0, FALSE, 0},
};

static void
test_rate(gconstpointer data)
{
    const ValueRow *row = data;
    g_autoptr(GError) error = NULL;
    gdouble rate = 0;
    gboolean ok = cv_sim_parse_rate(row->input, row->page_size, &rate, &error);

    g_assert_cmpint(ok, ==, row->ok);
    if (row->ok)
        g_assert_cmpfloat_with_epsilon(rate, row->expect, 1e-6 * row->expect + 1e-9);
    else
        g_assert_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID);
}

static const ValueRow duration_rows[] = {
    {"ms", "62ms", 0, TRUE, 0.062},    {"fraction", "0.41ms", 0, TRUE, 0.00041},
    {"minutes", "2min", 0, TRUE, 120}, {"bare-seconds", "30", 0, TRUE, 30},
    {"us", "500us", 0, TRUE, 0.0005},  {"hours", "1h", 0, FALSE, 0},
    {"garbage", "soon", 0, FALSE, 0},
};

static void
test_duration(gconstpointer data)
{
    const ValueRow *row = data;
    g_autoptr(GError) error = NULL;
    gdouble seconds = 0;
    gboolean ok = cv_sim_parse_duration(row->input, &seconds, &error);

    g_assert_cmpint(ok, ==, row->ok);
    if (row->ok)
        g_assert_cmpfloat_with_epsilon(seconds, row->expect, 1e-12);
    else
        g_assert_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID);
}

static gboolean
parse_rate_value(const gchar *str, guint64 page_size, gdouble *value, GError **error)
{
    return cv_sim_parse_rate(str, page_size, value, error);
}

static void
test_schedule(void)
{
    CvSimSchedule schedule = {NULL};
    g_autoptr(GError) error = NULL;

    g_assert_true(cv_sim_parse_schedule("30000pages/s@0s, 2000pages/s@60s", 4096, parse_rate_value,
                                        &schedule, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(schedule.steps->len, ==, 2);
    g_assert_cmpfloat(cv_sim_schedule_value_at(&schedule, 0), ==, 30000.0 * 4096);
    g_assert_cmpfloat(cv_sim_schedule_value_at(&schedule, 59.999), ==, 30000.0 * 4096);
    g_assert_cmpfloat(cv_sim_schedule_value_at(&schedule, 60), ==, 2000.0 * 4096);
    g_assert_cmpfloat(cv_sim_schedule_next_change(&schedule, 10), ==, 60);
    g_assert_cmpfloat(cv_sim_schedule_next_change(&schedule, 60), ==, G_MAXDOUBLE);

    /* a single value is a schedule starting at 0 */
    g_assert_true(cv_sim_parse_schedule("1Gbit/s", 4096, parse_rate_value, &schedule, &error));
    g_assert_cmpuint(schedule.steps->len, ==, 1);
    g_assert_cmpfloat(cv_sim_schedule_value_at(&schedule, 1000), ==, 1.25e8);
    cv_sim_schedule_clear(&schedule);
}

typedef struct {
    const gchar *name;
    const gchar *input;
    const gchar *message;
} BadScheduleRow;

static const BadScheduleRow bad_schedule_rows[] = {
    {"not-at-zero", "1Gbit/s@5s", "start @0s"},
    {"not-increasing", "1Gbit/s@0s, 2Gbit/s@10s, 3Gbit/s@10s", "not later"},
    {"missing-at", "1Gbit/s@0s, 2Gbit/s", "no @TIME"},
    {"bad-time", "1Gbit/s@0s, 2Gbit/s@soon", "step 2"},
    {"bad-value", "1Gbit/s@0s, fast@10s", "step 2"},
};

static void
test_bad_schedule(gconstpointer data)
{
    const BadScheduleRow *row = data;
    CvSimSchedule schedule = {NULL};
    g_autoptr(GError) error = NULL;

    g_assert_false(cv_sim_parse_schedule(row->input, 4096, parse_rate_value, &schedule, &error));
    g_assert_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, row->message));
    g_assert_null(schedule.steps);
}

/* ---- the shipped scenarios ---------------------------------------------------------- */

typedef struct {
    const gchar *name;
    gboolean vfio;
    guint64 ram_bytes;
    guint versions;
    gdouble link_rate; /* 0: the 10 Gbit/s most scenarios use */
} ShippedRow;

#define ALL_VERSIONS 7u
static const ShippedRow shipped_rows[] = {
    {"vgpu-2g", TRUE, G_GUINT64_CONSTANT(32) << 30, ALL_VERSIONS},
    {"idle", FALSE, G_GUINT64_CONSTANT(2) << 30, ALL_VERSIONS},
    {"ram-hog", FALSE, G_GUINT64_CONSTANT(8) << 30, ALL_VERSIONS},
    {"bandwidth-drop", FALSE, G_GUINT64_CONSTANT(8) << 30, ALL_VERSIONS},
    {"vfio-garbage", TRUE, G_GUINT64_CONSTANT(16) << 30,
     (1u << CV_SIM_QEMU_8_2) | (1u << CV_SIM_QEMU_11_1)},
    {"hopeless", TRUE, G_GUINT64_CONSTANT(64) << 30, ALL_VERSIONS},
    {"converge-late", FALSE, G_GUINT64_CONSTANT(8) << 30, ALL_VERSIONS},
    {"rate-swing", FALSE, G_GUINT64_CONSTANT(8) << 30, ALL_VERSIONS},
    {"rate-swing-throttled", FALSE, G_GUINT64_CONSTANT(8) << 30, ALL_VERSIONS},
    {"throttled", FALSE, G_GUINT64_CONSTANT(256) << 20, ALL_VERSIONS},
    {"vep291", FALSE, G_GUINT64_CONSTANT(8) << 30, ALL_VERSIONS, 940e6 / 8},
    {"vfio-regrow", TRUE, G_GUINT64_CONSTANT(16) << 30, ALL_VERSIONS},
    {"shared-link", FALSE, G_GUINT64_CONSTANT(16) << 30, ALL_VERSIONS},
};

static gchar *
shipped_path(const gchar *name)
{
    g_autofree gchar *file = g_strconcat(name, ".scenario", NULL);
    return g_build_filename(SOURCE_DATADIR, "scenarios", file, NULL);
}

static void
test_shipped(gconstpointer data)
{
    const ShippedRow *row = data;
    g_autofree gchar *path = shipped_path(row->name);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_file(path, &error);
    g_autofree gchar *text = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(sc);
    g_assert_cmpstr(sc->name, ==, row->name);
    g_assert_cmpuint(strlen(sc->description), >, 10);
    g_assert_cmpint(cv_sim_scenario_has_vfio(sc), ==, row->vfio);
    g_assert_cmpuint(sc->ram_bytes, ==, row->ram_bytes);
    g_assert_cmpuint(sc->versions, ==, row->versions);
    g_assert_true(cv_sim_scenario_supports(sc, sc->default_version));
    g_assert_cmpuint(sc->downtime_limit_ms, ==, 300);
    g_assert_cmpfloat(sc->link_rate, ==, row->link_rate > 0 ? row->link_rate : 1.25e9);
    /* each file documents itself: a comment block before the first group */
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_true(g_str_has_prefix(text, "# "));
}

static void
test_vgpu_numbers(void)
{
    g_autofree gchar *path = shipped_path("vgpu-2g");
    g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_file(path, NULL);
    const CvSimDevice *gpu;

    g_assert_nonnull(sc);
    g_assert_cmpuint(sc->page_size, ==, 4096);
    g_assert_cmpfloat_with_epsilon(cv_sim_schedule_value_at(&sc->precopy_rate, 0), 57.5e6, 1);
    g_assert_cmpfloat_with_epsilon(cv_sim_schedule_value_at(&sc->dirty_rate, 100), 8039, 1e-9);
    g_assert_cmpuint(sc->devices->len, ==, 1);
    gpu = g_ptr_array_index(sc->devices, 0);
    g_assert_cmpstr(gpu->name, ==, "0000:65:00.0");
    /* 1.91 GiB */
    g_assert_cmpfloat_with_epsilon((gdouble)gpu->stop_copy_bytes / 1073741824.0, 1.91, 0.005);
}

/* Issue 7's reproduction: the precopy rate collapses from 8 Gbit/s to 800 Mbit/s at 25 s and
 * recovers at 100 s; unthrottled (libvirt's unlimited), or behind 8 Gbit/s; and the QEMU 7.2
 * capture behind 64 MiB/s. */
static void
test_rate_swing_numbers(void)
{
    const gchar *const names[] = {"rate-swing", "rate-swing-throttled"};
    const guint64 max_bandwidth[] = {G_GUINT64_CONSTANT(9223372036853727232), 1000000000};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree gchar *path = shipped_path(names[i]);
        g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_file(path, NULL);

        g_assert_nonnull(sc);
        g_assert_cmpuint(sc->default_version, ==, CV_SIM_QEMU_7_2);
        g_assert_cmpfloat(cv_sim_schedule_value_at(&sc->precopy_rate, 0), ==, 1e9);
        g_assert_cmpfloat(cv_sim_schedule_value_at(&sc->precopy_rate, 24.9), ==, 1e9);
        g_assert_cmpfloat(cv_sim_schedule_value_at(&sc->precopy_rate, 25), ==, 1e8);
        g_assert_cmpfloat(cv_sim_schedule_value_at(&sc->precopy_rate, 99.9), ==, 1e8);
        g_assert_cmpfloat(cv_sim_schedule_value_at(&sc->precopy_rate, 100), ==, 1e9);
        g_assert_cmpuint(sc->working_set_bytes, ==, G_GUINT64_CONSTANT(1536) << 20);
        g_assert_cmpuint(sc->max_bandwidth, ==, max_bandwidth[i]);
    }
    {
        g_autofree gchar *path = shipped_path("throttled");
        g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_file(path, NULL);

        g_assert_nonnull(sc);
        g_assert_cmpuint(sc->max_bandwidth, ==, G_GUINT64_CONSTANT(64) << 20);
        g_assert_cmpuint(sc->working_set_bytes, ==, G_GUINT64_CONSTANT(64) << 20);
    }
}

static void
test_vfio_garbage_schedule(void)
{
    g_autofree gchar *path = shipped_path("vfio-garbage");
    g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_file(path, NULL);
    const CvSimDevice *dev;

    g_assert_nonnull(sc);
    dev = g_ptr_array_index(sc->devices, 0);
    g_assert_cmpint((gint)cv_sim_schedule_value_at(&dev->garbage, 0), ==, CV_SIM_GARBAGE_HUGE);
    g_assert_cmpint((gint)cv_sim_schedule_value_at(&dev->garbage, 45), ==, CV_SIM_GARBAGE_WRAPPING);
    g_assert_cmpint((gint)cv_sim_schedule_value_at(&dev->garbage, 600), ==,
                    CV_SIM_GARBAGE_FLUCTUATING);
}

/* A device whose state grows late: the stop-copy size is a schedule of sizes, and the driver
 * re-reports its initial bytes at the listed times. */
static void
test_vfio_regrow_keys(void)
{
    g_autofree gchar *path = shipped_path("vfio-regrow");
    g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_file(path, NULL);
    const CvSimDevice *dev;

    g_assert_nonnull(sc);
    dev = g_ptr_array_index(sc->devices, 0);
    g_assert_cmpuint(dev->stop_copy_bytes, ==, G_GUINT64_CONSTANT(256) << 20);
    g_assert_cmpfloat(cv_sim_schedule_value_at(&dev->stop_copy, 24.9), ==, 256.0 * 1048576);
    g_assert_cmpfloat(cv_sim_schedule_value_at(&dev->stop_copy, 25), ==, 1073741824.0);
    g_assert_cmpuint(dev->reinit_at->len, ==, 1);
    g_assert_cmpfloat(g_array_index(dev->reinit_at, gdouble, 0), ==, 25);
    g_assert_cmpfloat(sc->shared_link_rate, ==, 0);
}

static void
test_shared_link_key(void)
{
    g_autofree gchar *path = shipped_path("shared-link");
    g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_file(path, NULL);

    g_assert_nonnull(sc);
    g_assert_cmpfloat(sc->shared_link_rate, ==, 1.25e9);
}

/* ---- invalid files ------------------------------------------------------------------ */

#define MINIMAL "[guest]\nram = 1GiB\n[migration]\nprecopy-rate = 1Gbit/s\nlink-rate = 10Gbit/s\n"

typedef struct {
    const gchar *name;
    const gchar *data;
    gint code;
    const gchar *message;
} BadFileRow;

static const BadFileRow bad_file_rows[] = {
    {"not-a-key-file", "this is not ini", CV_SIM_SCENARIO_ERROR_PARSE, ""},
    {"unknown-group", MINIMAL "[gust]\nram = 1GiB\n", CV_SIM_SCENARIO_ERROR_INVALID,
     "unknown group [gust]"},
    {"unknown-key", MINIMAL "[parameters]\ndowntime = 300\n", CV_SIM_SCENARIO_ERROR_INVALID,
     "unknown key 'downtime'"},
    {"missing-guest", "[migration]\nprecopy-rate = 1Gbit/s\nlink-rate = 1Gbit/s\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "missing group [guest]"},
    {"missing-ram", "[guest]\npage-size = 4096\n[migration]\nprecopy-rate = 1\nlink-rate = 1\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "missing key 'ram'"},
    {"missing-link", "[guest]\nram = 1GiB\n[migration]\nprecopy-rate = 1Gbit/s\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "missing key 'link-rate'"},
    {"bad-page-size",
     "[guest]\nram = 1GiB\npage-size = 3000\n[migration]\nprecopy-rate = "
     "1\nlink-rate = 1\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "power of two"},
    {"used-above-ram", MINIMAL "[guest]\nram-used = 2GiB\n", CV_SIM_SCENARIO_ERROR_INVALID,
     "cannot exceed ram"},
    {"bad-version", MINIMAL "[scenario]\nqemu-versions = 7.2;9.9\n", CV_SIM_SCENARIO_ERROR_INVALID,
     "unknown version '9.9'"},
    {"default-not-allowed", MINIMAL "[scenario]\nqemu-versions = 8.2\ndefault-qemu-version = 7.2\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "not in qemu-versions"},
    {"limit-out-of-range", MINIMAL "[parameters]\ndowntime-limit = 2000001\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "downtime-limit"},
    {"vfio-without-stop-copy", MINIMAL "[vfio:gpu]\nprecopy-bytes = 1MiB\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "stop-copy-bytes"},
    {"vfio-bad-garbage", MINIMAL "[vfio:gpu]\nstop-copy-bytes = 1GiB\ngarbage = weird\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "garbage mode"},
    {"bad-bool", MINIMAL "[capabilities]\nevents = yes\n", CV_SIM_SCENARIO_ERROR_INVALID,
     "true or false"},
    {"bad-shared-link", MINIMAL "[migration]\nshared-link-rate = fast\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "shared-link-rate"},
    {"stop-copy-schedule-late-start", MINIMAL "[vfio:gpu]\nstop-copy-bytes = 1GiB@5s\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "start @0s"},
    {"reinit-not-increasing", MINIMAL "[vfio:gpu]\nstop-copy-bytes = 1GiB\nreinit-at = 20s, 10s\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "reinit-at: times must be above 0 and increase"},
    {"reinit-at-zero", MINIMAL "[vfio:gpu]\nstop-copy-bytes = 1GiB\nreinit-at = 0s\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "reinit-at"},
    {"reinit-bad-duration", MINIMAL "[vfio:gpu]\nstop-copy-bytes = 1GiB\nreinit-at = soon\n",
     CV_SIM_SCENARIO_ERROR_INVALID, "reinit-at"},
};

static void
test_bad_file(gconstpointer data)
{
    const BadFileRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_data(row->data, -1, "bad", &error);

    g_assert_null(sc);
    g_assert_error(error, CV_SIM_SCENARIO_ERROR, row->code);
    g_assert_nonnull(strstr(error->message, row->message));
}

static void
test_minimal_defaults(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvSimScenario) sc = cv_sim_scenario_load_data(MINIMAL, -1, "mini", &error);

    g_assert_no_error(error);
    g_assert_cmpstr(sc->name, ==, "mini");
    g_assert_cmpuint(sc->page_size, ==, 4096);
    g_assert_cmpuint(sc->ram_used_bytes, ==, sc->ram_bytes);
    g_assert_cmpuint(sc->working_set_bytes, ==, sc->ram_bytes);
    g_assert_cmpuint(sc->max_bandwidth, ==, 134217728);
    g_assert_cmpuint(sc->versions, ==, ALL_VERSIONS);
    g_assert_cmpint(sc->default_version, ==, CV_SIM_QEMU_11_1);
    g_assert_false(sc->cap_events);
    g_assert_cmpfloat(sc->fail_after, <, 0);
    g_assert_cmpfloat(sc->sync_time, >, 0);
}

/* ---- lookup ------------------------------------------------------------------------- */

static void
test_find(void)
{
    g_autofree gchar *dir = g_dir_make_tmp("cv-sim-scenario-XXXXXX", NULL);
    g_autofree gchar *mine = g_build_filename(dir, "mine.scenario", NULL);
    g_autofree gchar *shadow = g_build_filename(dir, "idle.scenario", NULL);
    g_autofree gchar *found = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) names = NULL;

    g_assert_true(g_file_set_contents(mine, MINIMAL, -1, NULL));
    g_assert_true(g_file_set_contents(shadow, MINIMAL, -1, NULL));
    g_setenv("CV_SIM_SCENARIO_DIR", dir, TRUE);

    /* $CV_SIM_SCENARIO_DIR comes first, and shadows the shipped file of the same name */
    found = cv_sim_scenario_find("mine", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(found, ==, mine);
    g_clear_pointer(&found, g_free);
    found = cv_sim_scenario_find("idle", &error);
    g_assert_cmpstr(found, ==, shadow);
    g_clear_pointer(&found, g_free);
    /* then the source tree */
    found = cv_sim_scenario_find("vgpu-2g", &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_suffix(found, "data/scenarios/vgpu-2g.scenario"));
    g_clear_pointer(&found, g_free);
    /* a path is taken as it is */
    found = cv_sim_scenario_find(mine, &error);
    g_assert_cmpstr(found, ==, mine);
    g_clear_pointer(&found, g_free);

    names = cv_sim_scenario_list();
    g_assert_true(g_strv_contains((const gchar *const *)names, "mine"));
    g_assert_true(g_strv_contains((const gchar *const *)names, "hopeless"));
    for (guint i = 1; names[i] != NULL; i++)
        g_assert_cmpint(g_strcmp0(names[i - 1], names[i]), <, 0);

    g_assert_null(cv_sim_scenario_find("no-such-scenario", &error));
    g_assert_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_null(cv_sim_scenario_find("/nonexistent/x.scenario", &error));
    g_assert_error(error, CV_SIM_SCENARIO_ERROR, CV_SIM_SCENARIO_ERROR_NOT_FOUND);

    g_unsetenv("CV_SIM_SCENARIO_DIR");
    g_unlink(mine);
    g_unlink(shadow);
    g_rmdir(dir);
}

static void
test_versions(void)
{
    CvSimQemuVersion v = CV_SIM_QEMU_7_2;

    for (guint i = 0; i < CV_SIM_QEMU_N_VERSIONS; i++) {
        g_assert_true(cv_sim_qemu_version_from_string(
            cv_sim_qemu_version_to_string((CvSimQemuVersion)i), &v));
        g_assert_cmpint(v, ==, i);
    }
    g_assert_false(cv_sim_qemu_version_from_string("9.0", &v));
    g_assert_false(cv_sim_qemu_version_from_string(NULL, &v));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(size_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/scenario/size/%s", size_rows[i].name);
        g_test_add_data_func(p, &size_rows[i], test_size);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(rate_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/scenario/rate/%s", rate_rows[i].name);
        g_test_add_data_func(p, &rate_rows[i], test_rate);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(duration_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/scenario/duration/%s", duration_rows[i].name);
        g_test_add_data_func(p, &duration_rows[i], test_duration);
    }
    g_test_add_func("/sim/scenario/schedule", test_schedule);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_schedule_rows); i++) {
        g_autofree gchar *p =
            g_strdup_printf("/sim/scenario/bad-schedule/%s", bad_schedule_rows[i].name);
        g_test_add_data_func(p, &bad_schedule_rows[i], test_bad_schedule);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(shipped_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/scenario/shipped/%s", shipped_rows[i].name);
        g_test_add_data_func(p, &shipped_rows[i], test_shipped);
    }
    g_test_add_func("/sim/scenario/vgpu-2g-numbers", test_vgpu_numbers);
    g_test_add_func("/sim/scenario/rate-swing-numbers", test_rate_swing_numbers);
    g_test_add_func("/sim/scenario/vfio-garbage-schedule", test_vfio_garbage_schedule);
    g_test_add_func("/sim/scenario/vfio-regrow-keys", test_vfio_regrow_keys);
    g_test_add_func("/sim/scenario/shared-link-key", test_shared_link_key);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_file_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/scenario/bad-file/%s", bad_file_rows[i].name);
        g_test_add_data_func(p, &bad_file_rows[i], test_bad_file);
    }
    g_test_add_func("/sim/scenario/minimal-defaults", test_minimal_defaults);
    g_test_add_func("/sim/scenario/find", test_find);
    g_test_add_func("/sim/scenario/versions", test_versions);
    return g_test_run();
}
