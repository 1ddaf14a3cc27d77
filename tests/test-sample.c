#include "config.h"

#include <math.h>

#include <glib.h>

#include "cv-decision.h"
#include "cv-sample.h"

typedef struct {
    const gchar *name;
    CvFieldState remaining_state;
    guint64 remaining;
    CvFieldState ram_state;
    guint64 ram_remaining;
    gboolean expect_ok;
    guint64 expect_pending;
    gboolean expect_system_wide;
} PendingRow;

static const PendingRow pending_rows[] = {
    {"system-wide", CV_FIELD_VALID, 2050846720, CV_FIELD_VALID, 1000, TRUE, 2050846720, TRUE},
    {"ram-only-old-qemu", CV_FIELD_ABSENT, 0, CV_FIELD_VALID, 27918336, TRUE, 27918336, FALSE},
    {"garbage-system-wide-no-fallback", CV_FIELD_INVALID, 0, CV_FIELD_VALID, 5, FALSE, 0, FALSE},
    {"nothing", CV_FIELD_ABSENT, 0, CV_FIELD_ABSENT, 0, FALSE, 0, FALSE},
    {"ram-garbage", CV_FIELD_ABSENT, 0, CV_FIELD_INVALID, 0, FALSE, 0, FALSE},
};

static void
test_pending(gconstpointer data)
{
    const PendingRow *row = data;
    CvSample s;
    guint64 pending = 0;
    gboolean system_wide = FALSE;
    gboolean ok;

    cv_sample_init(&s);
    s.remaining.state = row->remaining_state;
    s.remaining.value = row->remaining;
    s.ram_remaining.state = row->ram_state;
    s.ram_remaining.value = row->ram_remaining;
    ok = cv_sample_pending(&s, &pending, &system_wide);
    g_assert_cmpint(ok, ==, row->expect_ok);
    if (ok) {
        g_assert_cmpuint(pending, ==, row->expect_pending);
        g_assert_cmpint(system_wide, ==, row->expect_system_wide);
    }
}

static void
test_status_roundtrip(void)
{
    for (gint i = CV_MIGRATION_STATUS_NONE; i <= CV_MIGRATION_STATUS_WAIT_UNPLUG; i++) {
        const gchar *name = cv_migration_status_to_string((CvMigrationStatus)i);
        g_assert_cmpint(cv_migration_status_from_string(name), ==, i);
    }
    g_assert_cmpint(cv_migration_status_from_string("unknown"), ==, CV_MIGRATION_STATUS_UNKNOWN);
    g_assert_cmpint(cv_migration_status_from_string("Active"), ==, CV_MIGRATION_STATUS_UNKNOWN);
    g_assert_cmpint(cv_migration_status_from_string(NULL), ==, CV_MIGRATION_STATUS_UNKNOWN);
    g_assert_true(cv_migration_status_is_final(CV_MIGRATION_STATUS_CANCELLED));
    g_assert_false(cv_migration_status_is_final(CV_MIGRATION_STATUS_CANCELLING));
}

static void
test_throughput(void)
{
    CvSample s;
    guint64 bps = 0;

    cv_sample_init(&s);
    g_assert_false(cv_sample_throughput(&s, &bps));
    s.ram_mbps.state = CV_FIELD_VALID;
    s.ram_mbps.value = 537.1329599999999;
    g_assert_true(cv_sample_throughput(&s, &bps));
    /* 537.13 Mbit/s is the 64 MiB/s max-bandwidth of the real 7.2 capture */
    g_assert_cmpuint(bps, ==, 67141619);
    s.ram_mbps.value = 0.0;
    g_assert_false(cv_sample_throughput(&s, &bps));
    s.ram_mbps.value = -3.0;
    g_assert_false(cv_sample_throughput(&s, &bps));
    /* never converted to an integer: NaN, infinity, beyond 1 EiB/s, below 1 B/s */
    s.ram_mbps.value = NAN;
    g_assert_false(cv_sample_throughput(&s, &bps));
    s.ram_mbps.value = INFINITY;
    g_assert_false(cv_sample_throughput(&s, &bps));
    s.ram_mbps.value = 1e300;
    g_assert_false(cv_sample_throughput(&s, &bps));
    s.ram_mbps.value = 0.000007;
    g_assert_false(cv_sample_throughput(&s, &bps));
}

typedef struct {
    guint64 bytes;
    const gchar *expect;
} FormatRow;

static const FormatRow format_rows[] = {
    {0, "0 B"},
    {1023, "1023 B"},
    {1024, "1.00 KiB"},
    {67108864, "64.00 MiB"},
    {2050846720, "1.91 GiB"},
    {G_MAXUINT64, "16.00 EiB"},
};

static void
test_format_bytes(gconstpointer data)
{
    const FormatRow *row = data;
    gchar buf[32];

    cv_format_bytes(row->bytes, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, row->expect);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(pending_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/sample/pending/%s", pending_rows[i].name);
        g_test_add_data_func(path, &pending_rows[i], test_pending);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(format_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/sample/format-bytes/%" G_GUINT64_FORMAT, format_rows[i].bytes);
        g_test_add_data_func(path, &format_rows[i], test_format_bytes);
    }
    g_test_add_func("/sample/status/roundtrip", test_status_roundtrip);
    g_test_add_func("/sample/throughput", test_throughput);
    return g_test_run();
}
