/* The history: lines appended and read back in order, filtered by domain and time, rotated by
 * size with a bounded number of files, lines that cannot be read skipped and named, a full
 * disk leaving no partial line, and the --since parser. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-history.h"
#include "cv-state-paths.h"
#include "cv-test-fs.h"

#define T0 G_GINT64_CONSTANT(1700000000000000) /* 2023-11-14T22:13:20Z */

typedef struct {
    gchar *dir;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    f->dir = cv_test_fs_make_tmpdir();
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    if (g_test_subprocess())
        cv_test_fs_unmount(f->dir);
    cv_test_fs_rm_rf(f->dir);
    g_free(f->dir);
}

static gboolean
append(CvHistory *h, gint64 t, const gchar *event, const gchar *domain, guint n, GError **error)
{
    CvHistoryHeader header = {
        .time_us = t,
        .event = event,
        .migration_id = "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b",
        .domain = domain,
        .uri = "qemu:///system",
        .policy = "default",
    };
    g_autoptr(JsonBuilder) b = cv_history_begin(&header);

    json_builder_set_member_name(b, "n");
    json_builder_add_int_value(b, n);
    return cv_history_append(h, b, error);
}

static void
append_ok(CvHistory *h, gint64 t, const gchar *event, const gchar *domain, guint n)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(append(h, t, event, domain, n, &error));
    g_assert_no_error(error);
}

static GPtrArray *
read_ok(const gchar *dir, const CvHistoryFilter *filter, GPtrArray **skipped)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *entries = cv_history_read(dir, filter, skipped, &error);

    g_assert_no_error(error);
    g_assert_nonnull(entries);
    return entries;
}

static gint64
entry_n(const CvHistoryEntry *e)
{
    return json_object_get_int_member(e->object, "n");
}

static void
test_roundtrip(Fixture *f, gconstpointer data)
{
    g_autoptr(CvHistory) h = cv_history_new(f->dir, 1 << 20, 3);
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autofree gchar *contents = NULL;
    g_autofree gchar *path = g_build_filename(f->dir, CV_STATE_HISTORY_FILE, NULL);
    const CvHistoryEntry *e;
    struct stat st;

    append_ok(h, T0, CV_HISTORY_EVENT_ATTACH, "vm-a", 0);
    append_ok(h, T0 + 1500, CV_HISTORY_EVENT_DECISION, "vm-a", 1);
    append_ok(h, T0 + 2 * G_USEC_PER_SEC, CV_HISTORY_EVENT_OUTCOME, "vm-a", 2);
    g_assert_cmpstr(cv_history_get_path(h), ==, path);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0640);
    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    g_assert_true(g_str_has_prefix(
        contents, "{\"time\":\"2023-11-14T22:13:20.000Z\",\"event\":\"attach\",\"migration-id\":"
                  "\"0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b\",\"domain\":\"vm-a\",\"uri\":"
                  "\"qemu:///system\",\"policy\":\"default\",\"n\":0}\n{"));

    all = read_ok(f->dir, NULL, &skipped);
    g_assert_cmpuint(skipped->len, ==, 0);
    g_assert_cmpuint(all->len, ==, 3);
    e = all->pdata[1];
    g_assert_cmpint(e->time_us, ==, T0 + 1000); /* the file keeps milliseconds */
    g_assert_cmpstr(e->event, ==, "decision");
    g_assert_cmpstr(e->domain, ==, "vm-a");
    g_assert_cmpstr(e->migration_id, ==, "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b");
    g_assert_true(g_str_has_prefix(e->line, "{\"time\":\"2023-11-14T22:13:20.001Z\""));
    g_assert_false(g_str_has_suffix(e->line, "\n"));
}

static void
test_filter(Fixture *f, gconstpointer data)
{
    g_autoptr(CvHistory) h = cv_history_new(f->dir, 1 << 20, 3);
    CvHistoryFilter by_domain = {.domain = "vm-b", .since_us = G_MININT64};
    CvHistoryFilter by_time = {.domain = NULL, .since_us = T0 + 2 * G_USEC_PER_SEC};
    CvHistoryFilter both = {.domain = "vm-a", .since_us = T0 + 2 * G_USEC_PER_SEC};
    g_autoptr(GPtrArray) a = NULL;
    g_autoptr(GPtrArray) b = NULL;
    g_autoptr(GPtrArray) c = NULL;

    for (guint i = 0; i < 6; i++)
        append_ok(h, T0 + i * G_USEC_PER_SEC, "decision", i % 2 ? "vm-b" : "vm-a", i);
    /* a line without a domain (the daemon's own events) only shows unfiltered */
    {
        CvHistoryHeader header = {.time_us = T0 + 10 * G_USEC_PER_SEC, .event = "daemon"};
        g_autoptr(JsonBuilder) jb = cv_history_begin(&header);
        g_autoptr(GError) error = NULL;
        g_assert_true(cv_history_append(h, jb, &error));
    }
    a = read_ok(f->dir, &by_domain, NULL);
    g_assert_cmpuint(a->len, ==, 3);
    g_assert_cmpint(entry_n(a->pdata[0]), ==, 1);
    g_assert_cmpint(entry_n(a->pdata[2]), ==, 5);
    b = read_ok(f->dir, &by_time, NULL);
    g_assert_cmpuint(b->len, ==, 5); /* 2, 3, 4, 5 and the daemon line */
    g_assert_cmpint(entry_n(b->pdata[0]), ==, 2);
    g_assert_null(((CvHistoryEntry *)b->pdata[4])->domain);
    c = read_ok(f->dir, &both, NULL);
    g_assert_cmpuint(c->len, ==, 2);
    g_assert_cmpint(entry_n(c->pdata[1]), ==, 4);
}

static guint
count_history_files(const gchar *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const gchar *name;
    guint n = 0;

    while ((name = g_dir_read_name(d)) != NULL)
        n += g_str_has_prefix(name, CV_STATE_HISTORY_FILE) ? 1 : 0;
    return n;
}

/* Each file stays within its bound, at most keep rotated files exist, the oldest lines are
 * the ones dropped, and what is left reads back in order. */
static void
test_rotation(Fixture *f, gconstpointer data)
{
    const guint64 max = CV_HISTORY_MAX_LINE; /* the smallest bound */
    g_autoptr(CvHistory) h = cv_history_new(f->dir, max, 2);
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) rest = NULL;
    g_autofree gchar *domain = g_strnfill(200, 'd');
    guint n = 400; /* ~330 bytes each: about 8 files' worth */

    for (guint i = 0; i < n; i++)
        append_ok(h, T0 + i, "decision", domain, i);
    g_assert_cmpuint(count_history_files(f->dir), ==, 3);
    for (guint i = 0; i <= 2; i++) {
        g_autofree gchar *path =
            i == 0 ? g_build_filename(f->dir, CV_STATE_HISTORY_FILE, NULL)
                   : g_strdup_printf("%s/%s.%u", f->dir, CV_STATE_HISTORY_FILE, i);
        struct stat st;

        g_assert_cmpint(stat(path, &st), ==, 0);
        g_assert_cmpuint((guint64)st.st_size, <=, max);
    }
    all = read_ok(f->dir, NULL, NULL);
    g_assert_cmpuint(all->len, <, n);
    g_assert_cmpuint(all->len, >, 2 * (max / 400));
    /* contiguous, ending with the newest */
    for (guint i = 0; i < all->len; i++)
        g_assert_cmpint(entry_n(all->pdata[i]), ==, n - all->len + i);

    /* a reload that keeps fewer files drops the extra ones at the next rotation */
    cv_history_set_limits(h, max, 1);
    for (guint i = n; i < n + 60; i++)
        append_ok(h, T0 + i, "decision", domain, i);
    g_assert_cmpuint(count_history_files(f->dir), ==, 2);
    rest = read_ok(f->dir, NULL, NULL);
    g_assert_cmpint(entry_n(rest->pdata[rest->len - 1]), ==, n + 59);
}

static void
test_bad_lines(Fixture *f, gconstpointer data)
{
    g_autofree gchar *path = g_build_filename(f->dir, CV_STATE_HISTORY_FILE, NULL);
    g_autofree gchar *old = g_strdup_printf("%s.1", path);
    g_autofree gchar *long_line = g_strnfill(CV_HISTORY_MAX_LINE + 10, 'x');
    g_autofree gchar *text = NULL;
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autofree gchar *expected = NULL;

    g_assert_true(g_file_set_contents(
        old, "{\"time\":\"2023-11-14T22:13:20.000Z\",\"event\":\"attach\",\"n\":0}\n", -1, NULL));
    text = g_strconcat("{\"time\":\"2023-11-14T22:13:21.000Z\",\"event\":\"decision\",\"n\":1}\n",
                       "not json\n", "[1,2]\n", "{\"event\":\"decision\"}\n",
                       "{\"time\":\"yesterday\",\"event\":\"decision\"}\n",
                       "{\"time\":\"2023-11-14T22:13:21Z\",\"event\":7}\n",
                       "{\"time\":\"2023-11-14T22:13:21Z\",\"event\":\"x\",\"domain\":[1]}\n",
                       long_line, "\n", "\n",
                       "{\"time\":\"2023-11-14T22:13:22.000Z\",\"event\":\"outcome\",\"n\":2}\n",
                       "{\"time\":\"2023-11-14T22:13:23.000Z\",\"eve", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    all = read_ok(f->dir, NULL, &skipped);
    g_assert_cmpuint(all->len, ==, 3);
    g_assert_cmpint(entry_n(all->pdata[0]), ==, 0);
    g_assert_cmpint(entry_n(all->pdata[2]), ==, 2);
    g_assert_cmpuint(skipped->len, ==, 8);
    expected = g_strdup_printf("%s:2: not JSON", path);
    g_assert_cmpstr(skipped->pdata[0], ==, expected);
    g_assert_true(g_str_has_suffix(skipped->pdata[1], ":3: not a JSON object"));
    g_assert_true(g_str_has_suffix(skipped->pdata[2], ":4: no string \"time\" and \"event\", or a "
                                                      "mistyped member"));
    g_assert_true(g_str_has_suffix(skipped->pdata[3], ":5: \"time\" is not an ISO 8601 time"));
    g_assert_true(g_str_has_suffix(skipped->pdata[6], ":8: longer than 16384 bytes"));
    g_assert_true(g_str_has_suffix(skipped->pdata[7], ":11: incomplete last line"));
}

static void
test_missing(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) all = cv_history_read("/nonexistent/virt-converge", NULL, NULL, &error);

    g_assert_null(all);
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND);
    g_assert_cmpstr(error->message, ==, "/nonexistent/virt-converge: No such file or directory");
}

static void
test_empty_dir(Fixture *f, gconstpointer data)
{
    g_autoptr(GPtrArray) all = read_ok(f->dir, NULL, NULL);

    g_assert_cmpuint(all->len, ==, 0);
}

static void
test_line_too_long(Fixture *f, gconstpointer data)
{
    g_autoptr(CvHistory) h = cv_history_new(f->dir, 1 << 20, 3);
    g_autofree gchar *domain = g_strnfill(CV_HISTORY_MAX_LINE, 'd');
    g_autoptr(GError) error = NULL;

    g_assert_false(append(h, T0, "decision", domain, 0, &error));
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TOO_LARGE);
}

/* A disk that fills up: the append fails with NO_SPACE and what was there reads back whole. */
static void
test_full(Fixture *f, gconstpointer data)
{
    if (g_test_subprocess()) {
        g_autoptr(CvHistory) h = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) skipped = NULL;
        g_autoptr(GPtrArray) all = NULL;
        g_autofree gchar *domain = g_strnfill(2000, 'd');
        guint i;

        cv_test_fs_mount_tmpfs(f->dir, 16);
        h = cv_history_new(f->dir, 1 << 20, 3);
        for (i = 0; i < 1000; i++) {
            if (!append(h, T0 + i, "decision", domain, i, &error))
                break;
        }
        g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NO_SPACE);
        g_assert_cmpuint(i, >, 0);
        all = read_ok(f->dir, NULL, &skipped);
        g_assert_cmpuint(all->len, ==, i);
        g_assert_cmpuint(skipped->len, ==, 0); /* no partial line */
        return;
    }
    {
        g_autofree gchar *why = NULL;
        if (!cv_test_fs_can_mount_tmpfs(&why)) {
            g_autofree gchar *msg = g_strdup_printf("no private tmpfs here (%s)", why);
            g_test_skip(msg);
            return;
        }
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static void
test_format_time(void)
{
    g_autofree gchar *a = cv_history_format_time(T0);
    g_autofree gchar *b = cv_history_format_time(T0 + 999999);
    g_autofree gchar *c = cv_history_format_time(0);

    g_assert_cmpstr(a, ==, "2023-11-14T22:13:20.000Z");
    g_assert_cmpstr(b, ==, "2023-11-14T22:13:20.999Z");
    g_assert_cmpstr(c, ==, "1970-01-01T00:00:00.000Z");
}

/* --since, with "now" fixed at 2023-11-14T22:13:20Z and TZ=UTC (set in main). */
typedef struct {
    const gchar *name;
    const gchar *text;
    gint64 expected; /* µs; 0 = an error */
} SinceRow;

static const SinceRow since_rows[] = {
    {"now", "now", T0},
    {"date", "2023-11-14", G_GINT64_CONSTANT(1699920000000000)},
    {"date-time", "2023-11-14 12:00", G_GINT64_CONSTANT(1699963200000000)},
    {"date-time-seconds", "2023-11-14 12:00:30", G_GINT64_CONSTANT(1699963230000000)},
    {"iso-t", "2023-11-14T12:00:30", G_GINT64_CONSTANT(1699963230000000)},
    {"iso-zone", "2023-11-14T12:00:30+02:00", G_GINT64_CONSTANT(1699956030000000)},
    {"iso-z-fraction", "2023-11-14T22:13:20.000Z", T0},
    {"today", "today", G_GINT64_CONSTANT(1699920000000000)},
    {"yesterday", "yesterday", G_GINT64_CONSTANT(1699833600000000)},
    {"hour-ago", "1h ago", T0 - G_GINT64_CONSTANT(3600000000)},
    {"minus-30min", "-30min", T0 - G_GINT64_CONSTANT(1800000000)},
    {"minus-1.5s", "-1.5s", T0 - 1500000},
    {"bad-word", "last tuesday", 0},
    {"bad-unit", "-3m", 0},
    {"bad-date", "2023-13-01", 0},
    {"empty", "", 0},
    {"bare-number", "1700000000", 0},
    {"ago-without-unit", "5 ago", 0},
};

static void
test_since(gconstpointer data)
{
    const SinceRow *row = data;
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(T0 / G_USEC_PER_SEC);
    g_autoptr(GError) error = NULL;
    gint64 t = 0;
    gboolean ok = cv_history_parse_since(row->text, now, &t, &error);

    if (row->expected == 0) {
        g_assert_false(ok);
        g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID);
        g_assert_true(g_str_has_prefix(error->message, "'"));
        return;
    }
    g_assert_no_error(error);
    g_assert_true(ok);
    g_assert_cmpint(t, ==, row->expected);
}

static void
add(const gchar *path, void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down);
}

int
main(int argc, char **argv)
{
    g_setenv("TZ", "UTC", TRUE);
    g_test_init(&argc, &argv, NULL);
    add("/history/roundtrip", test_roundtrip);
    add("/history/filter", test_filter);
    add("/history/rotation", test_rotation);
    add("/history/bad-lines", test_bad_lines);
    add("/history/empty-dir", test_empty_dir);
    add("/history/line-too-long", test_line_too_long);
    add("/history/fault/full", test_full);
    g_test_add_func("/history/missing-dir", test_missing);
    g_test_add_func("/history/format-time", test_format_time);
    for (gsize i = 0; i < G_N_ELEMENTS(since_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/history/since/%s", since_rows[i].name);
        g_test_add_data_func(path, &since_rows[i], test_since);
    }
    return g_test_run();
}
