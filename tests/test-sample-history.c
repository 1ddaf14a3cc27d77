/* CvSampleHistory: which readings are iteration boundaries, epochs, thinning and expiry. Pure
 * tables, one GTest path per row. */
#include "config.h"

#include <glib.h>

#include "cv-sample-history.h"

#define NO_COUNTER G_MAXUINT64
#define MAX_STEPS 10

typedef struct {
    guint64 pass; /* NO_COUNTER: the counter is invalid */
    gint64 time_ms;
    CvSampleRead read;
    CvSampleKept expect;
} Step;

typedef struct {
    const gchar *name;
    gboolean pass_events;
    Step steps[MAX_STEPS];
    guint n_kept; /* at the end */
    guint n_mid;
    guint epoch;
} KeepRow;

#define AT CV_SAMPLE_READ_AT_PASS
#define POLL CV_SAMPLE_READ_POLL
#define B CV_SAMPLE_KEPT_BOUNDARY
#define M CV_SAMPLE_KEPT_MID
#define NK CV_SAMPLE_NOT_KEPT
#define SK CV_SAMPLE_SKIPPED_MID
#define NE CV_SAMPLE_KEPT_NEW_EPOCH

static const KeepRow keep_rows[] = {
    {"at-pass-boundaries", TRUE, {{2, 0, AT, B}, {3, 300, AT, B}, {4, 600, AT, B}}, 3, 0, 0},
    {"same-iteration-not-kept",
     TRUE,
     {{2, 0, AT, B}, {2, 1000, POLL, NK}, {2, 2000, POLL, NK}, {2, 2100, AT, NK}},
     1,
     0,
     0},
    /* events flow: a poll that saw a new iteration is mid-way; the boundary reading follows */
    {"events-poll-skipped",
     TRUE,
     {{2, 0, AT, B}, {5, 1000, POLL, SK}, {5, 1001, AT, B}, {6, 1300, AT, B}},
     3,
     0,
     0},
    /* no events, polls slower than iterations: every new iteration is read mid-way */
    {"slow-polls-mid", FALSE, {{2, 0, POLL, M}, {5, 1000, POLL, M}, {9, 2000, POLL, M}}, 3, 3, 0},
    /* no events, polls faster than iterations: the first poll of the next iteration is within
     * one poll of its boundary */
    {"fast-polls-boundary",
     FALSE,
     {{2, 0, POLL, M},
      {2, 1000, POLL, NK},
      {3, 2000, POLL, B},
      {3, 3000, POLL, NK},
      {4, 4000, POLL, B}},
     3,
     1,
     0},
    /* an iteration went by unseen: the reading is somewhere in the one after */
    {"skipped-iteration-mid",
     FALSE,
     {{2, 0, POLL, M}, {2, 1000, POLL, NK}, {4, 2000, POLL, M}},
     2,
     2,
     0},
    /* an iteration seen only once says nothing about how fast polls are */
    {"seen-once-mid", FALSE, {{2, 0, POLL, M}, {3, 1000, POLL, M}, {3, 2000, POLL, NK}}, 2, 2, 0},
    /* the counter goes back (a new migration): a new epoch, nothing older kept */
    {"counter-regression",
     TRUE,
     {{10, 0, AT, B}, {11, 300, AT, B}, {2, 600, AT, NE}, {3, 900, AT, B}},
     2,
     0,
     1},
    /* seen by a poll while events flow: still kept, as the new epoch's first reading */
    {"regression-by-poll", TRUE, {{10, 0, AT, B}, {1, 1000, POLL, NE}}, 1, 1, 1},
    /* a regression seen only in a reading that was not kept still counts */
    {"regression-after-unkept",
     TRUE,
     {{10, 0, AT, B}, {12, 100, POLL, SK}, {11, 200, AT, NE}},
     1,
     0,
     1},
    {"two-epochs",
     TRUE,
     {{10, 0, AT, B}, {2, 300, AT, NE}, {3, 600, AT, B}, {1, 900, AT, NE}},
     1,
     0,
     2},
    /* a lower pass than the newest kept but not lower than the last seen cannot happen in one
     * epoch; equal passes never count as new */
    {"equal-pass-at-event", TRUE, {{7, 0, AT, B}, {7, 10, AT, NK}}, 1, 0, 0},
    /* no trustworthy counter: one reading per period, each flagged */
    {"no-counter",
     FALSE,
     {{NO_COUNTER, 0, POLL, M}, {NO_COUNTER, 500, POLL, NK}, {NO_COUNTER, 1000, POLL, M}},
     2,
     2,
     0},
};

static CvSampleHistoryLimits
limits_default(void)
{
    CvSampleHistoryLimits limits = {
        .max_samples = 128, .window_passes = 3, .window_ms = 10000, .no_counter_ms = 1000};

    return limits;
}

static void
reading(CvSample *s, guint64 pass, gint64 time_ms, guint64 pending)
{
    cv_sample_init(s);
    s->status = CV_MIGRATION_STATUS_ACTIVE;
    s->time_ms = time_ms;
    if (pass == NO_COUNTER)
        s->ram_dirty_sync_count.state = CV_FIELD_INVALID;
    else
        cv_field_set(&s->ram_dirty_sync_count, pass);
    cv_field_set(&s->ram_remaining, pending);
}

static void
test_keep(gconstpointer data)
{
    const KeepRow *row = data;
    CvSampleHistoryLimits limits = limits_default();
    g_autoptr(CvSampleHistory) h = cv_sample_history_new(&limits);

    for (guint i = 0; i < MAX_STEPS && !(row->steps[i].pass == 0 && row->steps[i].time_ms == 0);
         i++) {
        const Step *step = &row->steps[i];
        CvSample s;

        reading(&s, step->pass, step->time_ms, 1000);
        g_test_message("step %u: pass %" G_GUINT64_FORMAT, i, step->pass);
        g_assert_cmpint(cv_sample_history_add(h, &s, step->read, row->pass_events), ==,
                        step->expect);
    }
    g_assert_cmpuint(cv_sample_history_get_n(h), ==, row->n_kept);
    g_assert_cmpuint(cv_sample_history_count_mid(h), ==, row->n_mid);
    g_assert_cmpuint(cv_sample_history_get_epoch(h), ==, row->epoch);
}

/* ---- thinning ---------------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    gboolean mid[8];
    guint64 pending[8];
    /* the older half (4 readings) becomes 2: which pendings stay */
    guint64 kept[2];
} ThinRow;

static const ThinRow thin_rows[] = {
    /* boundaries: the lower of each pair, so the engine's reference (the lowest) stays */
    {"boundaries-keep-lower",
     {FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE},
     {900, 500, 700, 800, 1, 1, 1, 1},
     {500, 700}},
    /* mid-iteration readings read low by an unknown amount: the higher is the nearer to its
     * boundary, and keeping the lower would drag the reference toward "stalled" */
    {"mid-keep-higher",
     {TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE},
     {900, 500, 700, 800, 1, 1, 1, 1},
     {900, 800}},
    {"mixed-keep-higher",
     {FALSE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE},
     {400, 600, 300, 200, 1, 1, 1, 1},
     {600, 300}},
    {"ties-keep-later",
     {FALSE, FALSE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE},
     {500, 500, 700, 700, 1, 1, 1, 1},
     {500, 700}},
};

static void
test_thin(gconstpointer data)
{
    const ThinRow *row = data;
    CvSampleHistoryLimits limits = {.max_samples = 8, .no_counter_ms = 1000};
    g_autoptr(CvSampleHistory) h = cv_sample_history_new(&limits);
    const CvSample *view;
    guint n = 0;
    CvSample s;

    for (guint i = 0; i < 8; i++) {
        /* a mid-iteration reading: no events, an iteration skipped before it */
        reading(&s, 10 * (i + 1), 1000 * i, row->pending[i]);
        g_assert_cmpint(cv_sample_history_add(h, &s, row->mid[i] ? POLL : AT, FALSE), ==,
                        row->mid[i] ? M : B);
    }
    reading(&s, 100, 9000, 1);
    cv_sample_history_add(h, &s, AT, FALSE);
    view = cv_sample_history_view(h, NULL, &n);
    /* 8 full: the older 4 thinned to 2, then the new one: 2 + 4 + 1 */
    g_assert_cmpuint(n, ==, 7);
    for (guint i = 0; i < 2; i++) {
        guint64 pending = 0;

        g_assert_true(cv_sample_pending(&view[i], &pending, NULL));
        g_assert_cmpuint(pending, ==, row->kept[i]);
    }
    for (guint i = 1; i < n; i++)
        g_assert_cmpuint(view[i].ram_dirty_sync_count.value, >,
                         view[i - 1].ram_dirty_sync_count.value);
}

/* ---- expiry and the spare slot ------------------------------------------------------------ */

/* Hours of boundaries fit in the bound and still reach back past the window, never more than
 * four windows plus the two expired readings kept as anchors. */
static void
test_expiry(void)
{
    CvSampleHistoryLimits limits = limits_default();
    g_autoptr(CvSampleHistory) h = cv_sample_history_new(&limits);
    const CvSample *view;
    guint n = 0;

    for (guint i = 0; i < 3000; i++) {
        CvSample s;

        reading(&s, 10 + i, (gint64)i * 1000, 1000);
        cv_sample_history_add(h, &s, AT, TRUE);
    }
    view = cv_sample_history_view(h, NULL, &n);
    g_assert_cmpuint(n, <=, 128);
    g_assert_cmpint(view[n - 1].time_ms - view[0].time_ms, >, 2 * (gint64)limits.window_ms);
    g_assert_cmpint(view[n - 1].time_ms - view[0].time_ms, <=,
                    CV_SAMPLE_HISTORY_WINDOWS * (gint64)limits.window_ms + 2000);
}

/* Readings far apart (a high --speed): each is older than the whole retention, yet two stay
 * besides the newest, so the engine still has a boundary older than its window. */
static void
test_sparse(void)
{
    CvSampleHistoryLimits limits = limits_default();
    g_autoptr(CvSampleHistory) h = cv_sample_history_new(&limits);

    for (guint i = 0; i < 6; i++) {
        CvSample s;

        reading(&s, 1000 + i * 1000, (gint64)i * 100000, 1000);
        cv_sample_history_add(h, &s, AT, TRUE);
    }
    g_assert_cmpuint(cv_sample_history_get_n(h), ==, 3);
}

/* An evaluation between boundaries sees the kept readings plus the extra one, which is not
 * kept. */
static void
test_view_extra(void)
{
    CvSampleHistoryLimits limits = limits_default();
    g_autoptr(CvSampleHistory) h = cv_sample_history_new(&limits);
    CvSample s, extra;
    const CvSample *view;
    guint n = 0;

    reading(&s, 2, 0, 1000);
    cv_sample_history_add(h, &s, AT, TRUE);
    reading(&extra, 2, 30000, 900);
    view = cv_sample_history_view(h, &extra, &n);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpint(view[1].time_ms, ==, 30000);
    g_assert_cmpuint(cv_sample_history_get_n(h), ==, 1);
    view = cv_sample_history_view(h, NULL, &n);
    g_assert_cmpuint(n, ==, 1);
}

/* A judgement on readings taken mid-iteration says so: they read low and lean toward
 * "stalled". Rows: the verdict, and whether the readings were taken mid-iteration. */
typedef struct {
    const gchar *name;
    CvVerdict verdict;
    gboolean mid;
    gboolean noted;
} AnnotateRow;

static const AnnotateRow annotate_rows[] = {
    {"stalled-mid", CV_VERDICT_STALLED, TRUE, TRUE},
    {"converging-mid", CV_VERDICT_CONVERGING, TRUE, TRUE},
    {"escalating-mid", CV_VERDICT_ESCALATING, TRUE, TRUE},
    {"stalled-boundaries", CV_VERDICT_STALLED, FALSE, FALSE},
    /* no judgement of progress: nothing to qualify */
    {"warmup-mid", CV_VERDICT_WARMUP, TRUE, FALSE},
    {"blind-mid", CV_VERDICT_BLIND, TRUE, FALSE},
};

static void
test_annotate(gconstpointer data)
{
    const AnnotateRow *row = data;
    CvSampleHistoryLimits limits = {.max_samples = 16};
    g_autoptr(CvSampleHistory) h = cv_sample_history_new(&limits);
    CvDecision d = {0};

    for (guint64 pass = 2; pass < 5; pass++) {
        CvSample s;

        cv_sample_init(&s);
        s.status = CV_MIGRATION_STATUS_ACTIVE;
        cv_field_set(&s.ram_dirty_sync_count, row->mid ? pass * 3 : pass);
        s.time_ms = (gint64)pass * 1000;
        cv_sample_history_add(h, &s, row->mid ? CV_SAMPLE_READ_POLL : CV_SAMPLE_READ_AT_PASS,
                              !row->mid);
    }
    d.verdict = row->verdict;
    g_strlcpy(d.reason, "judged", sizeof(d.reason));
    cv_sample_history_annotate(h, &d);
    if (row->noted)
        g_assert_cmpstr(d.reason, ==,
                        "judged; 3 of 3 readings taken mid-iteration (at attach, or polled "
                        "between iteration boundaries): pending may read low");
    else
        g_assert_cmpstr(d.reason, ==, "judged");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(keep_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/sample-history/keep/%s", keep_rows[i].name);

        g_test_add_data_func(path, &keep_rows[i], test_keep);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(thin_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/sample-history/thin/%s", thin_rows[i].name);

        g_test_add_data_func(path, &thin_rows[i], test_thin);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(annotate_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/sample-history/annotate/%s", annotate_rows[i].name);

        g_test_add_data_func(path, &annotate_rows[i], test_annotate);
    }
    g_test_add_func("/sample-history/expiry", test_expiry);
    g_test_add_func("/sample-history/sparse", test_sparse);
    g_test_add_func("/sample-history/view-extra", test_view_extra);
    return g_test_run();
}
