/* The migration model without sockets: the scenario facts of issue 3 in virtual time. */
#include "config.h"

#include <math.h>

#include <glib.h>

#include "cv-sim-model.h"

#define GIB 1073741824.0

static CvSimScenario *
load(const gchar *name)
{
    g_autofree gchar *file = g_strconcat(name, ".scenario", NULL);
    g_autofree gchar *path = g_build_filename(SOURCE_DATADIR, "scenarios", file, NULL);
    g_autoptr(GError) error = NULL;
    CvSimScenario *sc = cv_sim_scenario_load_file(path, &error);

    g_assert_no_error(error);
    return sc;
}

static CvSimScenario *
load_data(const gchar *data)
{
    g_autoptr(GError) error = NULL;
    CvSimScenario *sc = cv_sim_scenario_load_data(data, -1, "inline", &error);

    g_assert_no_error(error);
    return sc;
}

static void
info_at(CvSimModel *m, gdouble t, CvSimInfo *info)
{
    cv_sim_model_advance(m, t);
    cv_sim_model_get_info(m, info);
}

static void
start(CvSimModel *m)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(cv_sim_model_migrate(m, &error));
    g_assert_no_error(error);
}

static void
assert_near(gdouble value, gdouble expect, gdouble rel)
{
    if (fabs(value - expect) > rel * fabs(expect))
        g_error("%.6g is not within %.1f%% of %.6g", value, rel * 100, expect);
}

/* Run until completed or @until; returns the completion time or -1. */
static gdouble
run_until_done(CvSimModel *m, gdouble until, gdouble step)
{
    for (gdouble t = cv_sim_model_get_time(m); t <= until; t += step) {
        cv_sim_model_advance(m, t);
        g_array_unref(cv_sim_model_take_events(m));
        if (cv_sim_model_get_status(m) == CV_MIGRATION_STATUS_COMPLETED)
            return t;
    }
    return -1;
}

/* ---- vgpu-2g ------------------------------------------------------------------------ */

static void
test_vgpu_seed_counters(void)
{
    g_autoptr(CvSimScenario) sc = load("vgpu-2g");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;

    start(m);
    info_at(m, 336.9, &info);
    /* the seed's `info migrate` after 336.9 s */
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    assert_near((gdouble)info.ram_transferred / GIB, 12.7, 0.03);
    assert_near((gdouble)info.ram_normal, 3306906, 0.03);
    assert_near((gdouble)info.ram_duplicate, 7745576, 0.01);
    assert_near((gdouble)info.ram_pages_per_second, 14010, 0.001);
    assert_near((gdouble)info.ram_dirty_pages_rate, 8039, 0.01);
    assert_near((gdouble)info.ram_dirty_sync_count, 247045, 0.03);
    assert_near(info.ram_mbps, 460, 0.001);
    /* RAM drained long ago */
    g_assert_cmpuint(info.ram_remaining, <, 1 << 20);
}

typedef struct {
    const gchar *name;
    guint64 limit_ms;
    guint64 switchover_bw;
} StallRow;

static const StallRow vgpu_stall_rows[] = {
    {"300ms-measured", 300, 0},
    {"1000ms-1GiBps", 1000, 1073741824},
    {"1500ms-1GiBps", 1500, 1073741824},
};

static void
test_vgpu_stalls(gconstpointer data)
{
    const StallRow *row = data;
    g_autoptr(CvSimScenario) sc = load("vgpu-2g");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;

    cv_sim_model_set_downtime_limit(m, row->limit_ms);
    cv_sim_model_set_avail_switchover_bandwidth(m, row->switchover_bw);
    start(m);
    g_assert_cmpfloat(run_until_done(m, 600, 5), <, 0);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    g_assert_cmpuint(info.ram_dirty_sync_count, >, 100000);
}

static void
test_vgpu_tuned(void)
{
    g_autoptr(CvSimScenario) sc = load("vgpu-2g");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;
    guint64 pass_when_set;

    start(m);
    info_at(m, 150, &info);
    g_assert_cmpuint(info.expected_downtime_ms, >, 30000);
    cv_sim_model_set_avail_switchover_bandwidth(m, 1073741824);
    cv_sim_model_get_info(m, &info);
    /* 1.91 GiB system-wide, of which RAM is a few pages */
    assert_near((gdouble)info.remaining, 2050846720, 0.0005);
    g_assert_cmpuint(info.expected_downtime_ms, >=, 1905);
    g_assert_cmpuint(info.expected_downtime_ms, <=, 1915);
    g_assert_cmpuint(info.ram_remaining, <, 1 << 20);

    cv_sim_model_set_downtime_limit(m, 2000);
    pass_when_set = info.ram_dirty_sync_count;
    g_assert_cmpfloat(run_until_done(m, 160, 0.001), >, 0);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_COMPLETED);
    g_assert_cmpuint(info.ram_dirty_sync_count, <=, pass_when_set + 2);
    /* (RAM dirty + 1.91 GiB) at 10 Gbit/s + 40 ms + 100 ms */
    g_assert_cmpuint(info.downtime_ms, >=, 1780);
    g_assert_cmpuint(info.downtime_ms, <=, 1790);
    g_assert_cmpuint(info.remaining, ==, 0);
    g_assert_cmpuint(info.vfio_transferred, >=, 2050801664);
}

static void
test_vgpu_pass_rate(void)
{
    g_autoptr(CvSimScenario) sc = load("vgpu-2g");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(GArray) events = NULL;
    guint passes = 0;
    guint64 last = 0;

    start(m);
    cv_sim_model_advance(m, 200);
    g_array_unref(cv_sim_model_take_events(m));
    cv_sim_model_set_events(m, TRUE);
    cv_sim_model_advance(m, 202);
    events = cv_sim_model_take_events(m);
    for (guint i = 0; i < events->len; i++) {
        const CvSimEvent *ev = &g_array_index(events, CvSimEvent, i);
        g_assert_cmpint(ev->kind, ==, CV_SIM_EVENT_MIGRATION_PASS);
        g_assert_cmpfloat(ev->time, >=, 200);
        g_assert_cmpfloat(ev->time, <=, 202);
        /* every pass, in order, none skipped */
        if (last != 0)
            g_assert_cmpuint(ev->pass, ==, last + 1);
        last = ev->pass;
        passes++;
    }
    /* hundreds of passes per virtual second */
    g_assert_cmpuint(passes / 2, >=, 300);
    g_assert_cmpuint(passes / 2, <=, 3000);
}

typedef struct {
    const gchar *name;
    CvSimQemuVersion version;
    guint64 min_ms;
    guint64 max_ms;
} ExpectedRow;

/* Before 11.1 expected-downtime counts RAM only: a few pages once RAM is drained. */
static const ExpectedRow vgpu_expected_rows[] = {
    {"7.2-ram-only", CV_SIM_QEMU_7_2, 0, 20},
    {"8.2-ram-only", CV_SIM_QEMU_8_2, 0, 20},
    {"11.1-every-device", CV_SIM_QEMU_11_1, 35000, 36000},
};

static void
test_vgpu_expected(gconstpointer data)
{
    const ExpectedRow *row = data;
    g_autoptr(CvSimScenario) sc = load("vgpu-2g");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, row->version, 1);
    CvSimInfo info;

    start(m);
    info_at(m, 200, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    g_assert_cmpuint(info.expected_downtime_ms, >=, row->min_ms);
    g_assert_cmpuint(info.expected_downtime_ms, <=, row->max_ms);
}

static void
test_expected_first_pass(void)
{
    g_autoptr(CvSimScenario) sc = load("vgpu-2g");
    CvSimInfo info;

    for (guint v = 0; v < CV_SIM_QEMU_N_VERSIONS; v++) {
        g_autoptr(CvSimModel) m = cv_sim_model_new(sc, (CvSimQemuVersion)v, 1);
        start(m);
        info_at(m, 5, &info);
        /* until pass 2: the limit itself, no dirty rate yet */
        g_assert_cmpuint(info.ram_dirty_sync_count, ==, 1);
        g_assert_cmpuint(info.expected_downtime_ms, ==, 300);
        g_assert_cmpuint(info.ram_dirty_pages_rate, ==, 0);
        g_assert_cmpuint(info.setup_time_ms, ==, 62);
        g_assert_cmpuint(info.total_time_ms, ==, 5000);
    }
}

/* ---- the other scenarios ------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    const gchar *scenario;
    CvSimQemuVersion version;
} VersionRow;

static const VersionRow idle_rows[] = {
    {"7.2", "idle", CV_SIM_QEMU_7_2},
    {"8.2", "idle", CV_SIM_QEMU_8_2},
    {"11.1", "idle", CV_SIM_QEMU_11_1},
};

static void
test_idle(gconstpointer data)
{
    const VersionRow *row = data;
    g_autoptr(CvSimScenario) sc = load(row->scenario);
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, row->version, 1);
    CvSimInfo info;

    start(m);
    g_assert_cmpfloat(run_until_done(m, 10, 0.1), >, 0);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpuint(info.ram_dirty_sync_count, <=, 5);
    g_assert_cmpuint(info.downtime_ms, <, 50);
    g_assert_cmpuint(info.ram_remaining, ==, 0);
    g_assert_cmpuint(info.ram_dirty_pages_rate, ==, 0);
    g_assert_cmpuint(info.ram_downtime_bytes, >, 0);
    g_assert_cmpuint(info.ram_transferred, ==,
                     info.ram_precopy_bytes + info.ram_downtime_bytes + info.ram_postcopy_bytes);
    g_assert_cmpint(cv_sim_model_get_run_state(m), ==, CV_SIM_RUN_POSTMIGRATE);
}

static void
test_ram_hog(void)
{
    g_autoptr(CvSimScenario) sc = load("ram-hog");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_8_2, 1);
    CvSimInfo info;

    start(m);
    g_assert_cmpfloat(run_until_done(m, 60, 1), <, 0);
    cv_sim_model_get_info(m, &info);
    /* stalled: RAM alone needs about 740 ms */
    g_assert_cmpuint(info.expected_downtime_ms, >=, 650);
    g_assert_cmpuint(info.expected_downtime_ms, <=, 850);
    /* the dirty rate it measures is above what precopy sends */
    g_assert_cmpuint(info.ram_dirty_pages_rate, >, info.ram_pages_per_second);
    /* within a sane cap, at about expected-downtime plus a margin, it converges */
    cv_sim_model_set_downtime_limit(m, info.expected_downtime_ms * 11 / 10);
    g_assert_cmpfloat(run_until_done(m, 70, 0.01), >, 0);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpuint(info.downtime_ms, <, 900);
}

static void
test_ram_hog_paused(void)
{
    g_autoptr(CvSimScenario) sc = load("ram-hog");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(GArray) events = NULL;

    start(m);
    g_assert_cmpfloat(run_until_done(m, 20, 1), <, 0);
    /* a paused guest stops dirtying, so it converges at 300 ms */
    cv_sim_model_stop(m);
    events = cv_sim_model_take_events(m);
    g_assert_cmpuint(events->len, ==, 1);
    g_assert_cmpint(g_array_index(events, CvSimEvent, 0).kind, ==, CV_SIM_EVENT_STOP);
    g_assert_cmpint(cv_sim_model_get_run_state(m), ==, CV_SIM_RUN_PAUSED);
    g_assert_cmpfloat(run_until_done(m, 30, 0.05), >, 0);
    /* it was paused, so completion leaves it paused (postmigrate), no RESUME */
    g_assert_cmpint(cv_sim_model_get_run_state(m), ==, CV_SIM_RUN_POSTMIGRATE);
}

static void
test_bandwidth_drop(void)
{
    g_autoptr(CvSimScenario) sc = load("bandwidth-drop");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;

    start(m);
    info_at(m, 24, &info);
    assert_near(info.ram_mbps, 2000, 1e-9);
    info_at(m, 26, &info);
    assert_near(info.ram_mbps, 1000, 1e-9);
    g_assert_cmpfloat(run_until_done(m, 150, 1), <, 0);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpuint(info.expected_downtime_ms, >, 5000);
    /* the link's rate as switchover bandwidth and ~800 ms converge it */
    cv_sim_model_set_avail_switchover_bandwidth(m, 1250000000);
    cv_sim_model_set_downtime_limit(m, 800);
    g_assert_cmpfloat(run_until_done(m, 170, 0.05), >, 0);
}

static void
test_bandwidth_no_drop_converges(void)
{
    /* the same guest without the drop converges by itself: the drop is what stalls it */
    g_autofree gchar *path =
        g_build_filename(SOURCE_DATADIR, "scenarios", "bandwidth-drop.scenario", NULL);
    g_autofree gchar *text = NULL;
    g_autofree gchar *patched = NULL;
    g_autoptr(CvSimScenario) sc = NULL;
    g_autoptr(CvSimModel) m = NULL;
    g_auto(GStrv) parts = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    parts = g_strsplit(text, "precopy-rate = 2Gbit/s@0s, 1Gbit/s@25s", 2);
    g_assert_nonnull(parts[1]);
    patched = g_strconcat(parts[0], "precopy-rate = 2Gbit/s", parts[1], NULL);
    sc = load_data(patched);
    m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    start(m);
    g_assert_cmpfloat(run_until_done(m, 60, 0.5), >, 25);
}

static void
test_converge_late(void)
{
    g_autoptr(CvSimScenario) sc = load("converge-late");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_7_2, 1);
    gdouble done;

    start(m);
    done = run_until_done(m, 90, 0.5);
    g_assert_cmpfloat(done, >, 60);
    g_assert_cmpfloat(done, <, 75);
}

static void
test_hopeless(void)
{
    g_autoptr(CvSimScenario) sc = load("hopeless");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;
    g_autoptr(GError) error = NULL;

    /* even the link's rate and a 10 s limit are not enough for 48 GiB */
    cv_sim_model_set_avail_switchover_bandwidth(m, 1250000000);
    cv_sim_model_set_downtime_limit(m, 10000);
    start(m);
    g_assert_cmpfloat(run_until_done(m, 300, 5), <, 0);
    cv_sim_model_get_info(m, &info);
    assert_near((gdouble)info.remaining, 48 * GIB, 0.001);
    g_assert_cmpuint(info.expected_downtime_ms, >, 40000);
    /* postcopy is no way out with VFIO */
    cv_sim_model_set_postcopy_ram(m, TRUE);
    g_assert_false(cv_sim_model_start_postcopy(m, &error));
    g_assert_error(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_VFIO_POSTCOPY);
    g_assert_cmpstr(error->message, ==,
                    "0000:af:00.0: VFIO migration is not supported with postcopy migration");
}

static void
test_vfio_garbage(void)
{
    g_autoptr(CvSimScenario) sc = load("vfio-garbage");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 7);
    g_autoptr(CvSimModel) same = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 7);
    g_autoptr(CvSimModel) other = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 8);
    CvSimInfo info;
    CvSimInfo info2;
    guint64 seen[8];
    gboolean differ = FALSE;

    start(m);
    start(same);
    start(other);
    info_at(m, 20, &info);
    /* the 100 GiB placeholder */
    g_assert_cmpuint(info.remaining, >=, G_GUINT64_CONSTANT(100) << 30);
    g_assert_cmpuint(info.remaining, <, G_GUINT64_CONSTANT(101) << 30);
    info_at(m, 45, &info);
    /* a negative size read as unsigned */
    g_assert_cmpuint(info.remaining, >, (guint64)G_MAXINT64);
    for (guint i = 0; i < G_N_ELEMENTS(seen); i++) {
        info_at(m, 100 + i, &info);
        seen[i] = info.remaining;
        g_assert_cmpuint(seen[i], >=, 256u << 20);
        g_assert_cmpuint(seen[i], <=, (2049u << 20) + (16u << 20));
        if (i > 0 && seen[i] != seen[i - 1])
            differ = TRUE;
        info_at(same, 100 + i, &info2);
        g_assert_cmpuint(info2.remaining, ==, seen[i]);
    }
    g_assert_true(differ);
    info_at(other, 107, &info2);
    g_assert_cmpuint(info2.remaining, !=, seen[7]);
}

/* ---- commands and state machine ------------------------------------------------------ */

#define SMALL                                                                                      \
    "[guest]\nram = 256MiB\nram-used = 64MiB\nworking-set = 16MiB\ndirty-rate = 100pages/s\n"      \
    "[migration]\nprecopy-rate = 1Gbit/s\nlink-rate = 10Gbit/s\nsetup-time = 1ms\n"

static GArray *
drain(CvSimModel *m)
{
    return cv_sim_model_take_events(m);
}

static void
assert_events(GArray *events, const gchar *expect)
{
    g_autoptr(GString) got = g_string_new(NULL);

    for (guint i = 0; i < events->len; i++) {
        const CvSimEvent *ev = &g_array_index(events, CvSimEvent, i);
        if (got->len > 0)
            g_string_append_c(got, ' ');
        switch (ev->kind) {
        case CV_SIM_EVENT_MIGRATION:
            g_string_append(got, cv_migration_status_to_string(ev->status));
            break;
        case CV_SIM_EVENT_MIGRATION_PASS:
            g_string_append_printf(got, "pass%" G_GUINT64_FORMAT, ev->pass);
            break;
        case CV_SIM_EVENT_STOP:
            g_string_append(got, "STOP");
            break;
        case CV_SIM_EVENT_RESUME:
            g_string_append(got, "RESUME");
            break;
        default:
            g_string_append(got, "?");
            break;
        }
    }
    g_assert_cmpstr(got->str, ==, expect);
}

typedef struct {
    const gchar *name;
    CvSimQemuVersion version;
    const gchar *events;
} EventsRow;

/* 7.2 and 8.2 go active -> completed; since 10.0 the switchover is always `device`. */
static const EventsRow completion_rows[] = {
    {"7.2", CV_SIM_QEMU_7_2, "setup pass1 active pass2 pass3 STOP pass4 completed"},
    {"8.2", CV_SIM_QEMU_8_2, "setup pass1 active pass2 pass3 STOP pass4 completed"},
    {"11.1", CV_SIM_QEMU_11_1, "setup pass1 active pass2 pass3 STOP device pass4 completed"},
};

static void
test_completion_events(gconstpointer data)
{
    const EventsRow *row = data;
    g_autoptr(CvSimScenario) sc = load_data(SMALL);
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, row->version, 1);
    g_autoptr(GArray) events = NULL;
    gdouble last = -1;

    cv_sim_model_set_events(m, TRUE);
    start(m);
    cv_sim_model_advance(m, 10);
    g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_COMPLETED);
    events = drain(m);
    assert_events(events, row->events);
    for (guint i = 0; i < events->len; i++) {
        g_assert_cmpfloat(g_array_index(events, CvSimEvent, i).time, >=, last);
        last = g_array_index(events, CvSimEvent, i).time;
    }
}

static void
test_events_need_capability(void)
{
    g_autoptr(CvSimScenario) sc = load_data(SMALL);
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(GArray) events = NULL;

    start(m);
    cv_sim_model_advance(m, 10);
    events = drain(m);
    /* without the events capability only the run-state events remain */
    assert_events(events, "STOP");
}

static const EventsRow postcopy_rows[] = {
    {"7.2", CV_SIM_QEMU_7_2, "setup pass1 active postcopy-active STOP pass2 completed"},
    {"8.2", CV_SIM_QEMU_8_2, "setup pass1 active postcopy-active STOP pass2 completed"},
    {"11.1", CV_SIM_QEMU_11_1, "setup pass1 active STOP device pass2 postcopy-active completed"},
};

static void
test_postcopy(gconstpointer data)
{
    const EventsRow *row = data;
    g_autoptr(CvSimScenario) sc = load("ram-hog");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, row->version, 1);
    g_autoptr(GArray) events = NULL;
    g_autoptr(GError) error = NULL;
    CvSimInfo info;

    cv_sim_model_set_postcopy_ram(m, TRUE);
    cv_sim_model_set_events(m, TRUE);
    start(m);
    cv_sim_model_advance(m, 2);
    g_assert_true(cv_sim_model_start_postcopy(m, &error));
    g_assert_no_error(error);
    info_at(m, 2.05, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE);
    g_assert_cmpuint(info.ram_postcopy_bytes, >, 0);
    g_assert_cmpuint(info.ram_remaining, >, 0);
    /* postcopy cannot be cancelled */
    g_assert_false(cv_sim_model_cancel(m, &error));
    g_assert_error(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_POSTCOPY_CANCEL);
    cv_sim_model_advance(m, 20);
    g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_COMPLETED);
    events = drain(m);
    assert_events(events, row->events);
    cv_sim_model_get_info(m, &info);
    g_assert_cmpuint(info.ram_postcopy_bytes, >, 0);
}

typedef struct {
    const gchar *name;
    const gchar *scenario; /* NULL: SMALL */
    CvSimQemuVersion version;
    gboolean cap;
    gboolean at_migrate; /* refused by migrate rather than by migrate-start-postcopy */
    gint code;
    const gchar *message;
} PostcopyRefusalRow;

static const PostcopyRefusalRow postcopy_refusal_rows[] = {
    {"capability-off", NULL, CV_SIM_QEMU_11_1, FALSE, FALSE, CV_SIM_MODEL_ERROR_POSTCOPY_OFF,
     "Enable postcopy with migrate_set_capability before the start of migration"},
    {"vfio-7.2", "vgpu-2g", CV_SIM_QEMU_7_2, TRUE, FALSE, CV_SIM_MODEL_ERROR_VFIO_POSTCOPY,
     "0000:65:00.0: VFIO migration is not supported with postcopy migration"},
    {"vfio-8.2-at-migrate", "vgpu-2g", CV_SIM_QEMU_8_2, TRUE, TRUE,
     CV_SIM_MODEL_ERROR_VFIO_POSTCOPY,
     "0000:65:00.0: VFIO migration is not supported with postcopy migration"},
    {"vfio-11.1-at-migrate", "vgpu-2g", CV_SIM_QEMU_11_1, TRUE, TRUE,
     CV_SIM_MODEL_ERROR_VFIO_POSTCOPY,
     "0000:65:00.0: VFIO migration is not supported with postcopy migration"},
};

static void
test_postcopy_refused(gconstpointer data)
{
    const PostcopyRefusalRow *row = data;
    g_autoptr(CvSimScenario) sc = row->scenario != NULL ? load(row->scenario) : load_data(SMALL);
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, row->version, 1);
    g_autoptr(GError) error = NULL;

    cv_sim_model_set_postcopy_ram(m, row->cap);
    if (row->at_migrate) {
        g_assert_false(cv_sim_model_migrate(m, &error));
        g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_NONE);
    } else {
        start(m);
        cv_sim_model_advance(m, 0.1);
        g_assert_false(cv_sim_model_start_postcopy(m, &error));
        g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_ACTIVE);
    }
    g_assert_error(error, CV_SIM_MODEL_ERROR, row->code);
    g_assert_cmpstr(error->message, ==, row->message);
}

static void
test_postcopy_before_migration(void)
{
    g_autoptr(CvSimScenario) sc = load_data(SMALL);
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_8_2, 1);
    g_autoptr(GError) error = NULL;

    cv_sim_model_set_postcopy_ram(m, TRUE);
    g_assert_false(cv_sim_model_start_postcopy(m, &error));
    g_assert_error(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_NOT_STARTED);
    g_assert_cmpstr(error->message, ==,
                    "Postcopy must be started after migration has been started");
}

static void
test_cancel_and_restart(void)
{
    g_autoptr(CvSimScenario) sc = load("ram-hog");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) events = NULL;
    CvSimInfo info;

    cv_sim_model_set_events(m, TRUE);
    start(m);
    cv_sim_model_advance(m, 3);
    g_array_unref(drain(m));
    /* a second migrate while one runs */
    g_assert_false(cv_sim_model_migrate(m, &error));
    g_assert_error(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_IN_PROGRESS);
    g_assert_cmpstr(error->message, ==, "There's a migration process in progress");
    g_clear_error(&error);

    g_assert_true(cv_sim_model_cancel(m, &error));
    cv_sim_model_get_info(m, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_CANCELLING);
    g_assert_cmpuint(info.ram_transferred, >, 0);
    g_assert_true(cv_sim_model_is_migrating(m));
    info_at(m, 3.1, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_CANCELLED);
    g_assert_false(cv_sim_model_is_migrating(m));
    events = drain(m);
    assert_events(events, "cancelling cancelled");
    g_assert_cmpint(cv_sim_model_get_run_state(m), ==, CV_SIM_RUN_RUNNING);

    /* after cancelled a new migrate starts over */
    start(m);
    info_at(m, 3.2, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    g_assert_cmpuint(info.ram_dirty_sync_count, ==, 1);
    g_assert_cmpuint(info.total_time_ms, ==, 100);
}

static void
test_cancel_during_switchover_resumes(void)
{
    g_autoptr(CvSimScenario) sc = load("vgpu-2g");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(GArray) events = NULL;
    g_autoptr(GError) error = NULL;

    cv_sim_model_set_avail_switchover_bandwidth(m, 1073741824);
    cv_sim_model_set_downtime_limit(m, 2000);
    start(m);
    /* the tuned migration switches over around 100 s and stays stopped for 1.8 s */
    for (gdouble t = 90; t < 120 && cv_sim_model_get_status(m) != CV_MIGRATION_STATUS_DEVICE;
         t += 0.01)
        cv_sim_model_advance(m, t);
    g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_DEVICE);
    g_assert_cmpint(cv_sim_model_get_run_state(m), ==, CV_SIM_RUN_FINISH_MIGRATE);
    g_array_unref(drain(m));
    g_assert_true(cv_sim_model_cancel(m, &error));
    cv_sim_model_advance(m, cv_sim_model_get_time(m) + 1);
    events = drain(m);
    /* the guest runs again on the source */
    assert_events(events, "RESUME");
    g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_CANCELLED);
    g_assert_cmpint(cv_sim_model_get_run_state(m), ==, CV_SIM_RUN_RUNNING);
}

static void
test_after_completed(void)
{
    g_autoptr(CvSimScenario) sc = load_data(SMALL);
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(GError) error = NULL;

    start(m);
    g_assert_cmpfloat(run_until_done(m, 10, 0.1), >, 0);
    g_assert_false(cv_sim_model_migrate(m, &error));
    g_assert_error(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_POSTMIGRATE);
    g_assert_cmpstr(error->message, ==,
                    "Can't migrate the vm that was paused due to previous migration");
    g_clear_error(&error);
    /* cancel after the end is a no-op, and so is postcopy */
    g_assert_true(cv_sim_model_cancel(m, &error));
    g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_COMPLETED);
    /* cont resumes the source; then it may migrate again */
    cv_sim_model_cont(m);
    g_assert_cmpint(cv_sim_model_get_run_state(m), ==, CV_SIM_RUN_RUNNING);
    start(m);
    g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_SETUP);
}

static void
test_failure(void)
{
    g_autoptr(CvSimScenario) sc =
        load_data("[guest]\nram = 8GiB\ndirty-rate = 100000pages/s\n"
                  "[migration]\nprecopy-rate = 1Gbit/s\nlink-rate = 10Gbit/s\n"
                  "fail-after = 5s\nerror-desc = Unable to write to socket: Broken pipe\n");
    CvSimInfo info;

    for (guint v = 0; v < CV_SIM_QEMU_N_VERSIONS; v++) {
        g_autoptr(CvSimModel) m = cv_sim_model_new(sc, (CvSimQemuVersion)v, 1);
        g_autoptr(GArray) events = NULL;

        cv_sim_model_set_events(m, TRUE);
        start(m);
        info_at(m, 4.99, &info);
        g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_ACTIVE);
        info_at(m, 5.01, &info);
        g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_FAILED);
        g_assert_cmpstr(info.error_desc, ==, "Unable to write to socket: Broken pipe");
        events = drain(m);
        assert_events(events, v == CV_SIM_QEMU_11_1 ? "setup pass1 active failing failed"
                                                    : "setup pass1 active failed");
        /* after failed a new migrate starts over */
        start(m);
        g_assert_cmpint(cv_sim_model_get_status(m), ==, CV_MIGRATION_STATUS_SETUP);
    }
}

static void
test_before_migration(void)
{
    g_autoptr(CvSimScenario) sc = load_data(SMALL);
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_7_2, 1);
    CvSimInfo info;

    info_at(m, 100, &info);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_NONE);
    g_assert_false(cv_sim_model_is_migrating(m));
    g_assert_cmpfloat(cv_sim_model_get_time(m), ==, 100);
    /* going back in time is a no-op */
    cv_sim_model_advance(m, 50);
    g_assert_cmpfloat(cv_sim_model_get_time(m), ==, 100);
    cv_sim_model_stop(m);
    cv_sim_model_stop(m);
    cv_sim_model_cont(m);
    {
        g_autoptr(GArray) events = drain(m);
        assert_events(events, "STOP RESUME");
    }
}

static void
test_max_bandwidth_throttles(void)
{
    g_autoptr(CvSimScenario) sc = load("ram-hog");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;

    cv_sim_model_set_max_bandwidth(m, 67108864);
    start(m);
    info_at(m, 1, &info);
    /* 64 MiB/s measured, as in the 7.2 capture (537.13 Mbit/s, 16360 pages/s: QEMU's
     * window measured a little above the limit) */
    assert_near(info.ram_mbps, 536.870912, 1e-9);
    g_assert_cmpuint(info.ram_pages_per_second, ==, 67108864 / (4096 + 8));
}

/* ---- a shared link ------------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    gdouble capacity;
    gdouble demands[4]; /* the others' demands (0 = idle) */
    gdouble demand;     /* the one asking */
    gdouble expect;
} LinkRow;

static const LinkRow link_rows[] = {
    {"alone-below-capacity", 10, {0}, 8, 8},
    {"alone-above-capacity", 10, {0}, 12, 10},
    {"two-equal", 10, {8}, 8, 5},
    {"four-equal", 10, {8, 8, 8}, 8, 2.5},
    {"small-other-met-in-full", 10, {2}, 8, 8},
    {"small-other-leaves-the-rest", 10, {3}, 9, 7},
    {"small-self-met-in-full", 10, {8, 8}, 1, 1},
    {"water-filling", 12, {1, 5, 20}, 20, 11.0 / 3},
    {"idle-others-ignored", 10, {0, 0, 0}, 8, 8},
    {"nothing-asked", 10, {8}, 0, 0},
};

static gdouble
row_demand(gconstpointer member)
{
    return *(const gdouble *)member;
}

static void
test_link_share(gconstpointer data)
{
    const LinkRow *row = data;
    g_autoptr(CvSimLink) link = cv_sim_link_new(row->capacity);
    gdouble self = row->demand;

    for (guint i = 0; i < G_N_ELEMENTS(row->demands); i++)
        cv_sim_link_add(link, &row->demands[i], row_demand);
    cv_sim_link_add(link, &self, row_demand);
    g_assert_cmpfloat_with_epsilon(cv_sim_link_share(link, &self, row->demand), row->expect, 1e-9);
    cv_sim_link_remove(link, &self);
    g_assert_cmpuint(cv_sim_link_get_n_members(link), ==, G_N_ELEMENTS(row->demands));
}

/* Two migrations on one link measure half the rate each; once one completes (and leaves the
 * link idle), the other gets all of it again. */
static void
test_link_two_models(void)
{
    g_autoptr(CvSimScenario) sc = load("shared-link");
    g_autoptr(CvSimLink) link = cv_sim_link_new(sc->shared_link_rate);
    g_autoptr(CvSimModel) a = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(CvSimModel) b = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 2);
    CvSimInfo ia, ib;
    CvSimTruth ta;

    cv_sim_model_set_link(a, link);
    cv_sim_model_set_link(b, link);
    g_assert_cmpuint(cv_sim_link_get_n_members(link), ==, 2);
    start(a);
    info_at(a, 1.0, &ia);
    /* alone on the link: its own 8 Gbit/s */
    assert_near(ia.ram_mbps, 8000, 0.001);
    cv_sim_model_advance(b, 1.0);
    start(b);
    for (gdouble t = 1.05; t <= 2.0; t += 0.05) {
        cv_sim_model_advance(a, t);
        cv_sim_model_advance(b, t);
    }
    cv_sim_model_get_info(a, &ia);
    cv_sim_model_get_info(b, &ib);
    assert_near(ia.ram_mbps, 5000, 0.001);
    assert_near(ib.ram_mbps, 5000, 0.001);
    cv_sim_model_get_truth(a, &ta);
    assert_near(ta.precopy_rate, 625e6, 0.001);
    /* b cancelled: a has the link to itself again */
    g_assert_true(cv_sim_model_cancel(b, NULL));
    cv_sim_model_advance(b, 2.1);
    cv_sim_model_advance(a, 2.1);
    cv_sim_model_get_info(a, &ia);
    assert_near(ia.ram_mbps, 8000, 0.001);
    g_array_unref(cv_sim_model_take_events(a));
    g_array_unref(cv_sim_model_take_events(b));
}

/* Four on the link, each writing 410 MB/s against a 312 MB/s share: none converges at 300 ms,
 * while one alone converges within seconds. */
static void
test_link_four_stall(void)
{
    g_autoptr(CvSimScenario) sc = load("shared-link");
    g_autoptr(CvSimLink) link = cv_sim_link_new(sc->shared_link_rate);
    CvSimModel *m[4];
    g_autoptr(CvSimModel) alone = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 9);

    for (guint i = 0; i < 4; i++) {
        m[i] = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, i + 1);
        cv_sim_model_set_link(m[i], link);
        start(m[i]);
    }
    for (gdouble t = 0.05; t <= 60.0; t += 0.05) {
        for (guint i = 0; i < 4; i++) {
            cv_sim_model_advance(m[i], t);
            g_array_unref(cv_sim_model_take_events(m[i]));
        }
    }
    for (guint i = 0; i < 4; i++) {
        g_assert_cmpint(cv_sim_model_get_status(m[i]), ==, CV_MIGRATION_STATUS_ACTIVE);
        cv_sim_model_free(m[i]);
    }
    g_assert_cmpuint(cv_sim_link_get_n_members(link), ==, 0);
    start(alone);
    g_assert_cmpfloat(run_until_done(alone, 30, 0.5), >, 0);
}

/* The final copy of one migration shares the link with the others' precopy streams: its
 * blackout is the state over its share, not over the whole link. */
static void
test_link_switchover_shares(void)
{
    g_autoptr(CvSimScenario) sc = load("shared-link");
    g_autoptr(CvSimLink) link = cv_sim_link_new(sc->shared_link_rate);
    g_autoptr(CvSimModel) a = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(CvSimModel) b = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 2);
    CvSimTruth ta;
    gdouble done = -1;

    cv_sim_model_set_link(a, link);
    cv_sim_model_set_link(b, link);
    start(a);
    start(b);
    cv_sim_model_set_downtime_limit(a, 3000);
    for (gdouble t = 0.01; t <= 30 && done < 0; t += 0.01) {
        cv_sim_model_advance(a, t);
        cv_sim_model_advance(b, t);
        g_array_unref(cv_sim_model_take_events(a));
        g_array_unref(cv_sim_model_take_events(b));
        if (cv_sim_model_get_status(a) == CV_MIGRATION_STATUS_COMPLETED)
            done = t;
    }
    g_assert_cmpfloat(done, >, 0);
    cv_sim_model_get_truth(a, &ta);
    g_assert_true(ta.switched_over);
    /* b streams at its 8 Gbit/s demand too: a's final copy gets half of the 10 Gbit link */
    assert_near(ta.stop_copy_rate, 625e6, 0.001);
    assert_near(ta.downtime, ta.stop_copy_bytes / ta.stop_copy_rate + ta.fixed_cost, 1e-6);
    g_assert_cmpfloat(ta.min_exact_bytes, >, 0);
    g_assert_cmpfloat(ta.min_exact_bytes, <=, ta.stop_copy_bytes + 1);
}

/* ---- a device whose state grows late ----------------------------------------------- */

static void
test_vfio_regrow(void)
{
    g_autoptr(CvSimScenario) sc = load("vfio-regrow");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;
    CvSimTruth truth;

    start(m);
    info_at(m, 20, &info);
    g_array_unref(cv_sim_model_take_events(m));
    /* RAM drained, the device's 256 MiB left, stalled at 300 ms */
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    assert_near((gdouble)info.remaining, 256.0 * 1048576, 0.01);
    info_at(m, 25.5, &info);
    g_array_unref(cv_sim_model_take_events(m));
    cv_sim_model_get_truth(m, &truth);
    /* re-reported: 1 GiB of stop-copy state, plus most of the 1 GiB of initial bytes pending */
    assert_near((gdouble)info.remaining, GIB, 0.01);
    g_assert_cmpfloat(truth.pending_bytes, >, 1.5 * GIB);
    info_at(m, 40, &info);
    g_array_unref(cv_sim_model_take_events(m));
    cv_sim_model_get_truth(m, &truth);
    /* the initial bytes are sent again; the grown stop-copy state stays */
    assert_near(truth.pending_bytes, GIB, 0.01);
    g_assert_cmpint(info.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    /* a limit that fits 1 GiB at the measured 4 Gbit/s (2.15 s) converges it */
    cv_sim_model_set_downtime_limit(m, 2400);
    g_assert_cmpfloat(run_until_done(m, 45, 0.1), >, 0);
    cv_sim_model_get_truth(m, &truth);
    /* the blackout sends the grown state at the link */
    g_assert_cmpfloat(truth.stop_copy_bytes, >=, GIB);
    assert_near(truth.downtime, truth.stop_copy_bytes / 1.25e9 + 0.08, 0.001);
    /* the best switchover of this run came before the growth */
    g_assert_cmpfloat(truth.min_exact_bytes, <, 0.3 * GIB);
}

/* A limit large enough for the first state converges it before the growth. */
static void
test_vfio_regrow_early(void)
{
    g_autoptr(CvSimScenario) sc = load("vfio-regrow");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_8_2, 1);
    CvSimTruth truth;
    gdouble done;

    start(m);
    cv_sim_model_set_downtime_limit(m, 700);
    done = run_until_done(m, 60, 0.1);
    g_assert_cmpfloat(done, >, 0);
    g_assert_cmpfloat(done, <, 25);
    cv_sim_model_get_truth(m, &truth);
    g_assert_cmpfloat(truth.stop_copy_bytes, <, 0.3 * GIB);
}

static void
test_vep291_converges_slowly(void)
{
    g_autoptr(CvSimScenario) sc = load("vep291");
    g_autoptr(CvSimModel) m = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    g_autoptr(CvSimModel) raised = cv_sim_model_new(sc, CV_SIM_QEMU_11_1, 1);
    CvSimInfo info;
    gdouble alone, tuned;

    start(m);
    alone = run_until_done(m, 300, 0.5);
    cv_sim_model_get_info(m, &info);
    /* by itself at 300 ms, after the first pass (about a minute) and several more */
    g_assert_cmpfloat(alone, >, 70);
    g_assert_cmpfloat(alone, <, 150);
    g_assert_cmpuint(info.ram_dirty_sync_count, >=, 6);
    g_assert_cmpuint(info.downtime_ms, <=, 330);
    start(raised);
    cv_sim_model_set_downtime_limit(raised, 1050);
    tuned = run_until_done(raised, 300, 0.5);
    g_assert_cmpfloat(tuned, >, 0);
    g_assert_cmpfloat(tuned, <, alone);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/sim/model/vgpu-2g/seed-counters", test_vgpu_seed_counters);
    for (gsize i = 0; i < G_N_ELEMENTS(vgpu_stall_rows); i++) {
        g_autofree gchar *p =
            g_strdup_printf("/sim/model/vgpu-2g/stalls/%s", vgpu_stall_rows[i].name);
        g_test_add_data_func(p, &vgpu_stall_rows[i], test_vgpu_stalls);
    }
    g_test_add_func("/sim/model/vgpu-2g/tuned", test_vgpu_tuned);
    g_test_add_func("/sim/model/vgpu-2g/pass-rate", test_vgpu_pass_rate);
    for (gsize i = 0; i < G_N_ELEMENTS(vgpu_expected_rows); i++) {
        g_autofree gchar *p =
            g_strdup_printf("/sim/model/vgpu-2g/expected/%s", vgpu_expected_rows[i].name);
        g_test_add_data_func(p, &vgpu_expected_rows[i], test_vgpu_expected);
    }
    g_test_add_func("/sim/model/expected-first-pass", test_expected_first_pass);
    for (gsize i = 0; i < G_N_ELEMENTS(idle_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/model/idle/%s", idle_rows[i].name);
        g_test_add_data_func(p, &idle_rows[i], test_idle);
    }
    g_test_add_func("/sim/model/ram-hog", test_ram_hog);
    g_test_add_func("/sim/model/ram-hog-paused", test_ram_hog_paused);
    g_test_add_func("/sim/model/bandwidth-drop", test_bandwidth_drop);
    g_test_add_func("/sim/model/bandwidth-no-drop", test_bandwidth_no_drop_converges);
    g_test_add_func("/sim/model/converge-late", test_converge_late);
    g_test_add_func("/sim/model/hopeless", test_hopeless);
    g_test_add_func("/sim/model/vfio-garbage", test_vfio_garbage);
    for (gsize i = 0; i < G_N_ELEMENTS(completion_rows); i++) {
        g_autofree gchar *p =
            g_strdup_printf("/sim/model/completion-events/%s", completion_rows[i].name);
        g_test_add_data_func(p, &completion_rows[i], test_completion_events);
    }
    g_test_add_func("/sim/model/events-need-capability", test_events_need_capability);
    for (gsize i = 0; i < G_N_ELEMENTS(postcopy_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/model/postcopy/%s", postcopy_rows[i].name);
        g_test_add_data_func(p, &postcopy_rows[i], test_postcopy);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(postcopy_refusal_rows); i++) {
        g_autofree gchar *p =
            g_strdup_printf("/sim/model/postcopy-refused/%s", postcopy_refusal_rows[i].name);
        g_test_add_data_func(p, &postcopy_refusal_rows[i], test_postcopy_refused);
    }
    g_test_add_func("/sim/model/postcopy-before-migration", test_postcopy_before_migration);
    g_test_add_func("/sim/model/cancel-and-restart", test_cancel_and_restart);
    g_test_add_func("/sim/model/cancel-during-switchover", test_cancel_during_switchover_resumes);
    g_test_add_func("/sim/model/after-completed", test_after_completed);
    g_test_add_func("/sim/model/failure", test_failure);
    g_test_add_func("/sim/model/before-migration", test_before_migration);
    g_test_add_func("/sim/model/max-bandwidth", test_max_bandwidth_throttles);
    for (guint i = 0; i < G_N_ELEMENTS(link_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/sim/link/share/%s", link_rows[i].name);
        g_test_add_data_func(p, &link_rows[i], test_link_share);
    }
    g_test_add_func("/sim/model/shared-link/two", test_link_two_models);
    g_test_add_func("/sim/model/shared-link/four-stall", test_link_four_stall);
    g_test_add_func("/sim/model/shared-link/switchover-shares", test_link_switchover_shares);
    g_test_add_func("/sim/model/vfio-regrow", test_vfio_regrow);
    g_test_add_func("/sim/model/vfio-regrow/early", test_vfio_regrow_early);
    g_test_add_func("/sim/model/vep291", test_vep291_converges_slowly);
    return g_test_run();
}
