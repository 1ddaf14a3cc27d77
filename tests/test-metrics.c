/* The Prometheus text exposition: a golden file, label escaping, absent readings left out,
 * counters at 0 from the start, and the atomic write with its mode. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-metrics.h"
#include "cv-state-error.h"

static gchar *
golden_path(const gchar *name)
{
    return g_test_build_filename(G_TEST_DIST, "data", "daemon", name, NULL);
}

/* Compare with tests/data/daemon/NAME; CV_TEST_REGENERATE=1 rewrites it. */
static void
assert_golden(const gchar *name, const gchar *actual)
{
    g_autofree gchar *path = golden_path(name);
    g_autofree gchar *expected = NULL;

    if (g_strcmp0(g_getenv("CV_TEST_REGENERATE"), "1") == 0) {
        g_assert_true(g_file_set_contents(path, actual, -1, NULL));
        return;
    }
    if (!g_file_get_contents(path, &expected, NULL, NULL))
        g_error("missing %s (run with CV_TEST_REGENERATE=1)", path);
    g_assert_cmpstr(actual, ==, expected);
}

static CvMetrics *
make_metrics(void)
{
    CvMetrics *m = cv_metrics_new();
    CvMetricsMigration a = {
        .migration_id = "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b",
        .domain = "vgpu-1",
        .uri = "qemu:///system",
        .policy = "vfio",
        .have_verdict = TRUE,
        .verdict = CV_VERDICT_STALLED,
    };
    CvMetricsMigration b = {
        .migration_id = "1b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b",
        .domain = "db \"primary\"\\\n",
        .uri = "qemu+tls://host-2/system",
        .policy = "default",
    };

    cv_metrics_declare_outcome(m, "completed");
    cv_metrics_declare_outcome(m, "failed");
    cv_field_set(&a.pending, 2147483648);
    cv_field_set(&a.expected_downtime, 1712);
    cv_field_set(&a.downtime_limit, 1900);
    cv_metrics_set_migration(m, &a);
    /* b: nothing read yet; only its info series appears */
    cv_metrics_set_migration(m, &b);
    cv_metrics_count_decision(m, "set-downtime-limit", "applied");
    cv_metrics_count_decision(m, "set-downtime-limit", "applied");
    cv_metrics_count_decision(m, "set-switchover-bandwidth", "failed");
    cv_metrics_count_outcome(m, "completed");
    cv_metrics_count_outcome(m, "qemu-gone");
    cv_metrics_count_outside_change(m, "downtime-limit");
    cv_metrics_count_cap_refusal(m);
    return m;
}

static void
test_golden(void)
{
    g_autoptr(CvMetrics) m = make_metrics();
    g_autofree gchar *text = cv_metrics_format(m);

    assert_golden("metrics.prom", text);
}

static void
test_empty(void)
{
    g_autoptr(CvMetrics) m = cv_metrics_new();
    g_autofree gchar *text = cv_metrics_format(m);

    /* the counters exist at 0 before anything happened */
    g_assert_nonnull(strstr(text, "virt_converge_decisions_total{kind=\"set-downtime-limit\","
                                  "result=\"applied\"} 0\n"));
    g_assert_nonnull(strstr(text, "virt_converge_outside_changes_total{parameter=\"max-"
                                  "bandwidth\"} 0\n"));
    g_assert_nonnull(strstr(text, "virt_converge_migrations 0\n"));
    g_assert_nonnull(strstr(text, "virt_converge_up 1\n"));
    g_assert_null(strstr(text, "virt_converge_migration_remaining_bytes{"));
}

static void
test_remove_and_down(void)
{
    g_autoptr(CvMetrics) m = make_metrics();
    g_autofree gchar *text = NULL;

    cv_metrics_remove_migration(m, "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b");
    cv_metrics_remove_migration(m, "not-there");
    cv_metrics_set_up(m, FALSE);
    text = cv_metrics_format(m);
    g_assert_null(strstr(text, "vgpu-1"));
    g_assert_nonnull(strstr(text, "virt_converge_migrations 1\n"));
    g_assert_nonnull(strstr(text, "virt_converge_up 0\n"));
    /* the counters survive the migration */
    g_assert_nonnull(strstr(text, "virt_converge_decisions_total{kind=\"set-downtime-limit\","
                                  "result=\"applied\"} 2\n"));
}

static void
test_write(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_dir_make_tmp("cv-metrics-XXXXXX", &error);
    g_autofree gchar *path = g_build_filename(dir, "virt-converge.prom", NULL);
    g_autofree gchar *missing = g_build_filename(dir, "no", "such", "x.prom", NULL);
    g_autoptr(CvMetrics) m = make_metrics();
    g_autofree gchar *expected = cv_metrics_format(m);
    g_autofree gchar *contents = NULL;
    struct stat st;

    g_assert_no_error(error);
    g_assert_true(cv_metrics_write(m, path, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, expected);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0644);
    g_assert_false(cv_metrics_write(m, missing, &error));
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND);
    g_assert_true(g_str_has_prefix(error->message, missing));
    g_assert_cmpint(g_remove(path), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/metrics/golden", test_golden);
    g_test_add_func("/metrics/empty", test_empty);
    g_test_add_func("/metrics/remove-and-down", test_remove_and_down);
    g_test_add_func("/metrics/write", test_write);
    return g_test_run();
}
