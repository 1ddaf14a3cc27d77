/* CvTunerReport: exit codes, action folding, restore counts, the cap's verdict on the achieved
 * downtime, the lower bound; one GTest path per row where there are rows. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-target-fake.h"
#include "cv-tuner-report.h"

/* ---- exit codes -------------------------------------------------------------------------- */

typedef struct {
    CvTunerOutcome outcome;
    const gchar *name;
    gint exit_code;
} ExitRow;

static const ExitRow exit_rows[] = {
    {CV_TUNER_OUTCOME_COMPLETED, "completed", 0},
    {CV_TUNER_OUTCOME_ERROR, "error", 1},
    {CV_TUNER_OUTCOME_RUNNING, "running", 1},
    {CV_TUNER_OUTCOME_FAILED, "failed", 2},
    {CV_TUNER_OUTCOME_CANCELLED, "cancelled", 3},
    {CV_TUNER_OUTCOME_ABORTED, "aborted", 4},
    {CV_TUNER_OUTCOME_VANISHED, "qemu-gone", 5},
    {CV_TUNER_OUTCOME_DETACHED, "detached", 6},
    {CV_TUNER_OUTCOME_NO_MIGRATION, "no-migration", 7},
    {CV_TUNER_OUTCOME_CAP_BROKEN, "cap-broken", 8},
};

static void
test_exit_code(gconstpointer data)
{
    const ExitRow *row = data;

    g_assert_cmpstr(cv_tuner_outcome_to_string(row->outcome), ==, row->name);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(row->outcome), ==, row->exit_code);
}

/* ---- folding ----------------------------------------------------------------------------- */

static CvTunerAction
action(CvDecisionKind kind, guint64 value, CvTunerResult result, guint64 pass, const gchar *error)
{
    CvTunerAction a;

    memset(&a, 0, sizeof(a));
    a.kind = kind;
    a.value = value;
    a.result = result;
    cv_field_set(&a.pass, pass);
    a.time_ms = (gint64)pass * 100;
    if (error != NULL)
        g_strlcpy(a.error, error, sizeof(a.error));
    return a;
}

/* A dry run proposes the same change every iteration: one entry, counted; applied changes are
 * never folded (each one changed QEMU); a different error starts a new entry. */
static void
test_folding(void)
{
    CvTunerSummary sum;
    CvTunerAction a;

    memset(&sum, 0, sizeof(sum));
    for (guint i = 0; i < 5; i++) {
        a = action(CV_DECISION_SET_DOWNTIME_LIMIT, 2101, CV_TUNER_RESULT_DRY_RUN, 3 + i, NULL);
        cv_tuner_summary_add_action(&sum, &a);
    }
    g_assert_cmpuint(sum.n_actions, ==, 5);
    g_assert_cmpuint(sum.n_action_entries, ==, 1);
    g_assert_cmpuint(sum.actions[0].repeats, ==, 5);
    g_assert_cmpuint(sum.actions[0].pass.value, ==, 3);
    g_assert_cmpuint(sum.actions[0].last_pass.value, ==, 7);
    g_assert_cmpint(sum.actions[0].last_time_ms, ==, 700);
    for (guint i = 0; i < 2; i++) {
        a = action(CV_DECISION_SET_DOWNTIME_LIMIT, 2101, CV_TUNER_RESULT_APPLIED, 10 + i, NULL);
        cv_tuner_summary_add_action(&sum, &a);
    }
    g_assert_cmpuint(sum.n_action_entries, ==, 3);
    g_assert_cmpuint(sum.n_changes, ==, 2);
    a = action(CV_DECISION_SET_DOWNTIME_LIMIT, 9000, CV_TUNER_RESULT_REFUSED, 12, "above the cap");
    cv_tuner_summary_add_action(&sum, &a);
    a = action(CV_DECISION_SET_DOWNTIME_LIMIT, 9000, CV_TUNER_RESULT_REFUSED, 13, "other reason");
    cv_tuner_summary_add_action(&sum, &a);
    g_assert_cmpuint(sum.n_action_entries, ==, 5);
}

/* Beyond the table's room, actions are counted, not lost silently. */
static void
test_folding_bounded(void)
{
    CvTunerSummary sum;

    memset(&sum, 0, sizeof(sum));
    for (guint i = 0; i < CV_TUNER_MAX_ACTIONS + 10; i++) {
        CvTunerAction a =
            action(CV_DECISION_SET_DOWNTIME_LIMIT, 1000 + i, CV_TUNER_RESULT_APPLIED, i, NULL);

        cv_tuner_summary_add_action(&sum, &a);
    }
    g_assert_cmpuint(sum.n_action_entries, ==, CV_TUNER_MAX_ACTIONS);
    g_assert_cmpuint(sum.n_actions_dropped, ==, 10);
    g_assert_cmpuint(sum.n_actions, ==, CV_TUNER_MAX_ACTIONS + 10);
}

static void
test_restore_counts(void)
{
    CvTunerSummary sum;
    const CvTunerResult results[] = {CV_TUNER_RESULT_APPLIED, CV_TUNER_RESULT_FAILED,
                                     CV_TUNER_RESULT_REFUSED, CV_TUNER_RESULT_LEFT_ALONE,
                                     CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED};

    memset(&sum, 0, sizeof(sum));
    for (gsize i = 0; i < G_N_ELEMENTS(results); i++) {
        CvTunerAction r = action(CV_DECISION_SET_DOWNTIME_LIMIT, 300, results[i], 1, NULL);

        cv_tuner_summary_add_restore(&sum, &r);
    }
    g_assert_cmpuint(sum.n_restores, ==, G_N_ELEMENTS(sum.restores));
    g_assert_cmpuint(sum.n_restore_failures, ==, 2);
    g_assert_cmpuint(sum.n_restores_left_alone, ==, 1);
    g_assert_cmpuint(sum.n_restores_unverified, ==, 1);
}

/* ---- the cap ----------------------------------------------------------------------------- */

#define NO_DOWNTIME G_MAXUINT64

typedef struct {
    const gchar *name;
    CvTunerOutcome outcome;
    guint64 cap;
    guint64 downtime;
    gboolean broken;
} CapRow;

static const CapRow cap_rows[] = {
    /* issue 7's run: 1299 ms against a 500 ms cap, and the summary said "converged: yes" */
    {"completed-above", CV_TUNER_OUTCOME_COMPLETED, 500, 1299, TRUE},
    {"completed-1ms-above", CV_TUNER_OUTCOME_COMPLETED, 500, 501, TRUE},
    {"completed-at", CV_TUNER_OUTCOME_COMPLETED, 500, 500, FALSE},
    {"completed-below", CV_TUNER_OUTCOME_COMPLETED, 500, 39, FALSE},
    /* no achieved downtime: nothing to judge */
    {"completed-unknown", CV_TUNER_OUTCOME_COMPLETED, 500, NO_DOWNTIME, FALSE},
    /* only a completed migration paused the guest for its switchover */
    {"failed", CV_TUNER_OUTCOME_FAILED, 500, 1299, FALSE},
    {"no-cap", CV_TUNER_OUTCOME_COMPLETED, 0, 1299, FALSE},
};

static void
test_cap(gconstpointer data)
{
    const CapRow *row = data;
    CvTunerSummary sum;
    gchar why[CV_TUNER_MESSAGE_MAX] = "";

    memset(&sum, 0, sizeof(sum));
    sum.outcome = row->outcome;
    sum.max_downtime_ms = row->cap;
    cv_field_set(&sum.downtime_limit_ms, 5360);
    if (row->downtime != NO_DOWNTIME)
        cv_field_set(&sum.downtime_ms, row->downtime);
    g_assert_cmpint(cv_tuner_summary_check_cap(&sum, TRUE, why, sizeof(why)), ==, row->broken);
    g_assert_cmpint(sum.cap_broken, ==, row->broken);
    if (row->broken) {
        g_autofree gchar *numbers = g_strdup_printf(
            "paused %" G_GUINT64_FORMAT " ms, above the policy's cap of %" G_GUINT64_FORMAT " ms",
            row->downtime, row->cap);

        g_assert_cmpint(sum.outcome, ==, CV_TUNER_OUTCOME_CAP_BROKEN);
        g_assert_cmpint(cv_tuner_outcome_to_exit_code(sum.outcome), ==, 8);
        g_assert_nonnull(strstr(why, numbers));
        g_assert_nonnull(strstr(why, "5360 ms, set by virt-converge"));
    } else {
        g_assert_cmpint(sum.outcome, ==, row->outcome);
    }
}

/* ---- the report end to end --------------------------------------------------------------- */

typedef struct {
    guint n_summaries;
    CvTunerSummary summary;
} Seen;

static void
record_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Seen *seen = user_data;

    if (record->kind == CV_TUNER_RECORD_SUMMARY) {
        seen->n_summaries++;
        seen->summary = *record->summary;
    }
}

/* The end of a migration that broke the cap: outcome, exit code, message and a warning nobody
 * misses. */
static void
test_end_cap_broken(void)
{
    g_autoptr(CvTarget) target = cv_target_fake_new(NULL);
    g_autoptr(CvClock) clock = cv_clock_new_manual(1000);
    g_autoptr(CvTunerReport) report = NULL;
    CvPolicy policy;
    CvTunerReportEnd end = {.outcome = CV_TUNER_OUTCOME_COMPLETED};
    CvSample last;
    Seen seen = {0};

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    report = cv_tuner_report_new(NULL, target, clock, &policy, FALSE);
    cv_tuner_report_set_record_func(report, record_cb, &seen);
    cv_tuner_report_start(report);
    cv_sample_init(&last);
    last.status = CV_MIGRATION_STATUS_COMPLETED;
    cv_field_set(&last.downtime_ms, 1299);
    cv_field_set(&last.total_time_ms, 130000);
    cv_tuner_report_observe(report, &last);
    cv_field_set(&end.downtime_limit, 5360);
    end.limit_is_ours = TRUE;
    g_test_expect_message("cv-agent", G_LOG_LEVEL_WARNING,
                          "fake:: the migration completed, but the guest was paused 1299 ms*");
    cv_tuner_report_end(report, &end, "the migration completed");
    g_test_assert_expected_messages();
    cv_clock_manual_advance(clock, 250);
    cv_tuner_report_emit_summary(report);
    g_assert_cmpuint(seen.n_summaries, ==, 1);
    g_assert_cmpint(seen.summary.outcome, ==, CV_TUNER_OUTCOME_CAP_BROKEN);
    g_assert_true(seen.summary.cap_broken);
    g_assert_cmpuint(seen.summary.downtime_ms.value, ==, 1299);
    g_assert_cmpuint(seen.summary.max_downtime_ms, ==, 500);
    g_assert_cmpint(seen.summary.elapsed_ms, ==, 250);
    g_assert_nonnull(strstr(seen.summary.message, "above the policy's cap of 500 ms"));
}

/* The lower bound: bytes over the stated rate, rounded up; a huge pending over a tiny rate is
 * clamped before the conversion (UBSan's float-cast-overflow). */
static void
test_lower_bound(void)
{
    g_autoptr(CvTarget) target = cv_target_fake_new(NULL);
    g_autoptr(CvClock) clock = cv_clock_new_manual(1000);
    CvPolicy policy;
    const struct {
        guint64 rate, bytes, ms;
    } rows[] = {
        {G_GUINT64_CONSTANT(1) << 30, 2050846720, 1910},
        {1, G_GUINT64_CONSTANT(1) << 60, G_GUINT64_CONSTANT(1000000000000000000)},
    };

    cv_policy_init_default(&policy);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(CvTunerReport) report = NULL;
        CvTunerReportEnd end = {.outcome = CV_TUNER_OUTCOME_FAILED};
        CvSample precopy;

        policy.switchover_bandwidth = rows[i].rate;
        report = cv_tuner_report_new(NULL, target, clock, &policy, FALSE);
        /* the system-wide remaining last seen in precopy: what was left at switchover */
        cv_sample_init(&precopy);
        precopy.status = CV_MIGRATION_STATUS_ACTIVE;
        cv_field_set(&precopy.remaining, rows[i].bytes);
        cv_tuner_report_observe(report, &precopy);
        cv_tuner_report_end(report, &end, "x");
        g_assert_true(cv_field_valid(&cv_tuner_report_get_summary(report)->lower_bound_ms));
        g_assert_cmpuint(cv_tuner_report_get_summary(report)->lower_bound_ms.value, ==, rows[i].ms);
    }
}

/* ---- a final reading's outcome ---------------------------------------------------------- */

typedef struct {
    const gchar *name;
    CvMigrationStatus status;
    const gchar *error_desc;
    gboolean aborting;
    CvTunerOutcome outcome;
    const gchar *message;
} FinalRow;

static const FinalRow final_rows[] = {
    {"completed", CV_MIGRATION_STATUS_COMPLETED, "", FALSE, CV_TUNER_OUTCOME_COMPLETED,
     "the migration completed"},
    /* our abort request does not turn a completion into an abort */
    {"completed-while-aborting", CV_MIGRATION_STATUS_COMPLETED, "", TRUE,
     CV_TUNER_OUTCOME_COMPLETED, "the migration completed"},
    {"failed-with-desc", CV_MIGRATION_STATUS_FAILED, "Unable to write to socket", FALSE,
     CV_TUNER_OUTCOME_FAILED, "the migration failed: Unable to write to socket"},
    {"failed", CV_MIGRATION_STATUS_FAILED, "", TRUE, CV_TUNER_OUTCOME_FAILED,
     "the migration failed"},
    {"cancelled", CV_MIGRATION_STATUS_CANCELLED, "", FALSE, CV_TUNER_OUTCOME_CANCELLED,
     "the migration was cancelled"},
    {"cancelled-by-policy", CV_MIGRATION_STATUS_CANCELLED, "", TRUE, CV_TUNER_OUTCOME_ABORTED,
     "the policy aborted the migration"},
};

static void
test_final(gconstpointer data)
{
    const FinalRow *row = data;
    gchar message[CV_TUNER_MESSAGE_MAX] = "";
    CvSample s;

    cv_sample_init(&s);
    s.status = row->status;
    g_strlcpy(s.error_desc, row->error_desc, sizeof(s.error_desc));
    g_assert_cmpint(cv_tuner_outcome_for_final(&s, row->aborting, message, sizeof(message)), ==,
                    row->outcome);
    g_assert_cmpstr(message, ==, row->message);
}

/* The readings observed: the last one is kept whatever its status, the stop-copy bytes only
 * from precopy (a post-copy or completed reading says nothing about what was left at
 * switchover); the pending source is said once. The epochs and outside changes go out as
 * NOTICE records. */
typedef struct {
    guint n_notices;
    gchar *last_notice;
    const gchar *parameter;
} Heard;

static void
heard_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Heard *h = user_data;

    if (record->kind != CV_TUNER_RECORD_NOTICE)
        return;
    h->n_notices++;
    g_free(h->last_notice);
    h->last_notice = g_strdup(record->message);
    h->parameter = record->parameter;
}

static void
test_observe(void)
{
    g_autoptr(CvTarget) target = cv_target_fake_new(NULL);
    g_autoptr(CvClock) clock = cv_clock_new_manual(1000);
    g_autoptr(CvTunerReport) report = NULL;
    CvTunerReportEnd end = {.outcome = CV_TUNER_OUTCOME_COMPLETED};
    CvU64Field before = {0}, b = {0}, a = {0};
    Heard heard = {0};
    CvPolicy policy;
    CvSample s;

    cv_policy_init_default(&policy);
    policy.switchover_bandwidth = G_GUINT64_CONSTANT(1) << 30;
    report = cv_tuner_report_new(NULL, target, clock, &policy, FALSE);
    cv_tuner_report_set_record_func(report, heard_cb, &heard);
    g_assert_null(cv_tuner_report_get_last(report));
    cv_sample_init(&s);
    s.status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s.ram_dirty_sync_count, 7);
    cv_field_set(&s.remaining, 2050846720);
    cv_tuner_report_observe(report, &s);
    cv_tuner_report_observe(report, &s);
    g_assert_cmpuint(heard.n_notices, ==, 1); /* which pending: once */
    g_assert_nonnull(strstr(heard.last_notice, "system-wide remaining"));
    s.status = CV_MIGRATION_STATUS_POSTCOPY_ACTIVE;
    cv_field_set(&s.remaining, 1);
    cv_tuner_report_observe(report, &s);
    s.status = CV_MIGRATION_STATUS_COMPLETED;
    cv_field_set(&s.ram_dirty_sync_count, 9);
    cv_field_set(&s.downtime_ms, 781);
    s.remaining.state = CV_FIELD_ABSENT;
    cv_tuner_report_observe(report, &s);
    g_assert_cmpuint(cv_tuner_report_get_last(report)->ram_dirty_sync_count.value, ==, 9);
    cv_field_set(&before, 9);
    cv_field_set(&s.ram_dirty_sync_count, 1);
    cv_tuner_report_new_epoch(report, &before, &s, 1);
    g_assert_nonnull(strstr(heard.last_notice, "the pass counter went back (1 after 9)"));
    cv_field_set(&b, 300);
    cv_field_set(&a, 5000);
    cv_tuner_report_outside_change(report, "downtime-limit", &b, &a, "changed behind us");
    g_assert_cmpstr(heard.parameter, ==, "downtime-limit");
    g_assert_cmpstr(heard.last_notice, ==, "changed behind us");
    cv_tuner_report_end(report, &end, "the migration completed");
    g_assert_cmpint(cv_tuner_report_get_summary(report)->final_status, ==,
                    CV_MIGRATION_STATUS_COMPLETED);
    g_assert_cmpuint(cv_tuner_report_get_summary(report)->downtime_ms.value, ==, 781);
    g_assert_cmpuint(cv_tuner_report_get_summary(report)->n_epochs, ==, 1);
    /* 1.91 GiB left at switchover, from the last precopy reading, at 1 GiB/s */
    g_assert_cmpuint(cv_tuner_report_get_summary(report)->lower_bound_ms.value, ==, 1910);
    g_free(heard.last_notice);
}

/* ---- what a finished migration teaches switchover-bandwidth = learned -------------------- */

#define NONE_ G_MAXUINT64 /* a counter QEMU did not report */
#define MIB_ (G_GUINT64_CONSTANT(1) << 20)

typedef struct {
    const gchar *name;
    CvTunerOutcome outcome;
    gboolean vfio;             /* the guest has a VFIO device (vfio.transferred reported) */
    guint64 precopy_remaining; /* system-wide remaining at the last precopy reading */
    guint64 precopy_ram;       /* ram.remaining at that reading */
    guint64 precopy_vfio;      /* vfio.transferred at that reading */
    guint64 final_vfio;        /* vfio.transferred at the end */
    guint64 downtime_bytes;    /* ram.downtime-bytes at the end */
    guint64 downtime_ms;       /* downtime at the end */
    gboolean observed;
    guint64 bytes;
    const gchar *why; /* in the reason or the note */
    /* the job window's counters (ram.transferred / memory_processed and the job's elapsed
     * time) at the last precopy reading and at the end; final_elapsed 0 = not reported */
    guint64 precopy_transferred;
    guint64 precopy_elapsed;
    guint64 final_transferred;
    guint64 final_elapsed;
    guint64 ms; /* the observation's ms; 0 = downtime_ms */
    CvLearnedSource source;
} ObservationRow;

static const ObservationRow observation_rows[] = {
    /* RAM only: exactly what QEMU counted while the guest was stopped; the last precopy
     * remaining (900 MiB here) is not used: precopy kept sending after that reading */
    {"ram-downtime-bytes", CV_TUNER_OUTCOME_COMPLETED, FALSE, 900 * MIB_, 900 * MIB_, NONE_, NONE_,
     600 * MIB_, 560, TRUE, 600 * MIB_, "ram.downtime-bytes"},
    {"ram-7.2-no-system-wide", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 900 * MIB_, NONE_, NONE_,
     600 * MIB_, 560, TRUE, 600 * MIB_, "ram.downtime-bytes"},
    /* the vGPU: RAM's downtime-bytes plus the device's stop-copy size (remaining less RAM) */
    {"vgpu-11.1", CV_TUNER_OUTCOME_COMPLETED, TRUE, 2050846720 + 4 * MIB_, 4 * MIB_, 64 * MIB_,
     64 * MIB_ + 2050801664, 4 * MIB_, 1800, TRUE, 4 * MIB_ + 2050801664,
     "plus the VFIO device's stop-copy size"},
    /* a device that claims more than it then sent (a garbage size): what it sent bounds it */
    {"vgpu-garbage-size", CV_TUNER_OUTCOME_COMPLETED, TRUE, 100 * 1024 * MIB_ + 4 * MIB_, 4 * MIB_,
     64 * MIB_, 64 * MIB_ + 2050801664, 4 * MIB_, 1800, TRUE, 4 * MIB_ + 2050801664,
     "plus the VFIO device's stop-copy size"},
    /* 7.2 with a vGPU: the device's share is not reported, nothing is recorded */
    {"vgpu-7.2", CV_TUNER_OUTCOME_COMPLETED, TRUE, NONE_, 4 * MIB_, 64 * MIB_,
     64 * MIB_ + 2050801664, 4 * MIB_, 1800, FALSE, 0, "before 11.1"},
    /* libvirt's job statistics (or QEMU before 7.0): no downtime-bytes */
    {"no-downtime-bytes", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 900 * MIB_, NONE_, NONE_, NONE_,
     560, FALSE, 0, "no ram.downtime-bytes"},
    /* tiny blackouts: fixed costs dominate them */
    {"tiny-bytes", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 4 * MIB_, NONE_, NONE_, 4 * MIB_, 60,
     FALSE, 0, "too small to measure the link"},
    {"tiny-downtime", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 4 * MIB_, NONE_, NONE_, 100 * MIB_,
     40, FALSE, 0, "too small to measure the link"},
    /* the cap was broken, but the blackout measured the link all the same */
    {"cap-broken", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 900 * MIB_, NONE_, NONE_, 6000 * MIB_,
     5400, TRUE, 6000 * MIB_, "ram.downtime-bytes"},
    {"aborted", CV_TUNER_OUTCOME_ABORTED, FALSE, NONE_, 900 * MIB_, NONE_, NONE_, NONE_, 0, FALSE,
     0, "did not complete (aborted)"},
    {"failed", CV_TUNER_OUTCOME_FAILED, FALSE, NONE_, 900 * MIB_, NONE_, NONE_, NONE_, 0, FALSE, 0,
     "did not complete (failed)"},
    {"no-downtime", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 900 * MIB_, NONE_, NONE_, 600 * MIB_,
     0, FALSE, 0, "no achieved downtime"},
    /* libvirt's job statistics: no downtime-bytes, but the job window from the last precopy
     * reading (the libvirt 9.0 sample's counters) to the end, +1 ms for rounding */
    {"job-window", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 45 * MIB_, NONE_, NONE_, NONE_, 33,
     TRUE, 67244040, "job window: 67244040 bytes in 132 ms between the last precopy reading",
     248422680, 3909, 315666720, 4040, 132, CV_LEARNED_SOURCE_JOB_WINDOW},
    /* a VFIO device on libvirt 9.0: RAM's bytes only, which errs low, and the note says so */
    {"job-window-vfio", CV_TUNER_OUTCOME_COMPLETED, TRUE, NONE_, 45 * MIB_, NONE_, NONE_, NONE_, 33,
     TRUE, 67244040, "RAM only: the VFIO device's bytes are not counted", 248422680, 3909,
     315666720, 4040, 132, CV_LEARNED_SOURCE_JOB_WINDOW},
    /* downtime-bytes reported (QMP): the blackout, as before, though the window's counters exist */
    {"downtime-bytes-beats-window", CV_TUNER_OUTCOME_COMPLETED, FALSE, 900 * MIB_, 900 * MIB_,
     NONE_, NONE_, 600 * MIB_, 560, TRUE, 600 * MIB_, "ram.downtime-bytes", 100 * MIB_, 3000,
     1600 * MIB_, 4000, 0, CV_LEARNED_SOURCE_BLACKOUT},
    /* the window is shorter than the downtime it must hold: counters from different jobs */
    {"job-window-shorter-than-downtime", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 45 * MIB_, NONE_,
     NONE_, NONE_, 500, FALSE, 0, "shorter than the 500 ms downtime", 248422680, 3909, 315666720,
     4040, 0, CV_LEARNED_SOURCE_BLACKOUT},
    /* a counter regression: the end below the last reading */
    {"job-window-regression", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 45 * MIB_, NONE_, NONE_,
     NONE_, 33, FALSE, 0, "went back", 315666720, 3909, 248422680, 4040, 0,
     CV_LEARNED_SOURCE_BLACKOUT},
    /* libvirt left out time_elapsed at the end */
    {"job-window-no-elapsed", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 45 * MIB_, NONE_, NONE_,
     NONE_, 33, FALSE, 0, "elapsed time is missing", 248422680, 3909, 315666720, NONE_, 0,
     CV_LEARNED_SOURCE_BLACKOUT},
    /* under the floors: 40 MiB from the oldest reading, 10 MiB from the last */
    {"job-window-too-small", CV_TUNER_OUTCOME_COMPLETED, FALSE, NONE_, 45 * MIB_, NONE_, NONE_,
     NONE_, 33, FALSE, 0, "too small to measure the link", 30 * MIB_, 3909, 40 * MIB_, 4040, 0,
     CV_LEARNED_SOURCE_BLACKOUT},
};

static void
set_or_absent(CvU64Field *field, guint64 value)
{
    if (value == NONE_)
        field->state = CV_FIELD_ABSENT;
    else
        cv_field_set(field, value);
}

static void
test_observation(gconstpointer data)
{
    const ObservationRow *row = data;
    g_autoptr(CvTarget) target = cv_target_fake_new(NULL);
    g_autoptr(CvClock) clock = cv_clock_new_manual(1000);
    g_autoptr(CvTunerReport) report = NULL;
    CvTunerReportEnd end = {.outcome = row->outcome};
    CvLearnedObservation obs;
    const CvTunerSummary *sum;
    gchar why[256] = "";
    CvPolicy policy;
    CvSample s;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 5000;
    report = cv_tuner_report_new(NULL, target, clock, &policy, FALSE);
    if (row->vfio && row->precopy_vfio == NONE_) {
        /* libvirt 9.0: no vfio_data_transferred; the domain's <hostdev> says VFIO */
        CvParams params;

        cv_params_init(&params);
        params.vfio_devices = CV_TRI_YES;
        cv_tuner_report_attach(report, &params, &policy, 1000);
    }
    cv_sample_init(&s);
    s.status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s.ram_dirty_sync_count, 7);
    /* an older reading whose device share must not survive the last one's */
    cv_field_set(&s.remaining, 1);
    cv_field_set(&s.ram_remaining, 0);
    if (row->final_elapsed != 0) {
        /* an older reading of the window's counters: 0 bytes at 100 ms */
        cv_field_set(&s.ram_transferred, 0);
        cv_field_set(&s.total_time_ms, 100);
    }
    cv_tuner_report_observe(report, &s);
    if (row->final_elapsed != 0) {
        set_or_absent(&s.ram_transferred, row->precopy_transferred);
        set_or_absent(&s.total_time_ms, row->precopy_elapsed);
    }
    set_or_absent(&s.remaining, row->precopy_remaining);
    set_or_absent(&s.ram_remaining, row->precopy_ram);
    if (row->vfio)
        set_or_absent(&s.vfio_transferred, row->precopy_vfio);
    s.ram_mbps.state = CV_FIELD_VALID;
    s.ram_mbps.value = 8000.0; /* 1 GB/s */
    cv_tuner_report_observe(report, &s);
    s.status = row->outcome == CV_TUNER_OUTCOME_FAILED    ? CV_MIGRATION_STATUS_FAILED
               : row->outcome == CV_TUNER_OUTCOME_ABORTED ? CV_MIGRATION_STATUS_CANCELLED
                                                          : CV_MIGRATION_STATUS_COMPLETED;
    s.remaining.state = CV_FIELD_ABSENT;
    cv_field_set(&s.ram_remaining, 0);
    if (row->vfio)
        set_or_absent(&s.vfio_transferred, row->final_vfio);
    set_or_absent(&s.ram_downtime_bytes, row->downtime_bytes);
    if (row->downtime_ms > 0)
        cv_field_set(&s.downtime_ms, row->downtime_ms);
    if (row->final_elapsed != 0) {
        set_or_absent(&s.ram_transferred, row->final_transferred);
        set_or_absent(&s.total_time_ms, row->final_elapsed);
    }
    cv_tuner_report_observe(report, &s);
    if (row->downtime_ms > policy.max_downtime_ms)
        g_test_expect_message("cv-agent", G_LOG_LEVEL_WARNING, "*above the policy's cap*");
    cv_tuner_report_end(report, &end, "the end");
    g_test_assert_expected_messages();
    sum = cv_tuner_report_get_summary(report);
    if (row->downtime_ms > policy.max_downtime_ms)
        g_assert_cmpint(sum->outcome, ==, CV_TUNER_OUTCOME_CAP_BROKEN);
    /* the end may have turned COMPLETED into CAP_BROKEN: either teaches */
    memset(&obs, 0xa5, sizeof(obs));
    g_assert_cmpint(
        cv_tuner_summary_observation(sum, 1700000000000, 1250000000, &obs, why, sizeof(why)), ==,
        row->observed);
    if (!row->observed) {
        g_test_message("why: %s", why);
        g_assert_nonnull(strstr(why, row->why));
        return;
    }
    g_test_message("note: %s", sum->blackout_note);
    g_assert_nonnull(strstr(sum->blackout_note, row->why));
    g_assert_cmpint(obs.time_ms, ==, 1700000000000);
    g_assert_cmpuint(obs.blackout_bytes, ==, row->bytes);
    g_assert_cmpuint(obs.downtime_ms, ==, row->ms != 0 ? row->ms : row->downtime_ms);
    g_assert_cmpint(obs.source, ==, row->source);
    g_assert_cmpuint(obs.qemu_rate, ==, 1000000000);
    g_assert_cmpuint(obs.stated_rate, ==, 1250000000);
}

/* ---- the fallback notice before 8.2 ----------------------------------------------------- */

#define MB_ABSENT G_MAXUINT64
#define MB_INVALID (G_MAXUINT64 - 1)

typedef struct {
    const gchar *name;
    guint64 stated;        /* the policy's switchover-bandwidth; 0 = none */
    guint64 max_bandwidth; /* as read; MB_ABSENT, MB_INVALID */
    gboolean vfio;
    const gchar *expected; /* in the notice; NULL = no notice (8.2+) */
} FallbackRow;

#define MiB_ (G_GUINT64_CONSTANT(1) << 20)
#define GiB_ (G_GUINT64_CONSTANT(1) << 30)

static const FallbackRow fallback_rows[] = {
    /* the one case where a limit above the cap is allowed: the prediction has both rates */
    {"throttled", GiB_, 64 * MiB_, FALSE,
     "max-bandwidth 64.00 MiB/s bounds the precopy rate: blackout predicted as limit x 64.00 "
     "MiB/s / 1.00 GiB/s (stated) + the 50 ms switchover reserve, so the limit may go above the "
     "cap while that stays within 500 ms"},
    {"at-stated", GiB_, GiB_, FALSE, "blackout predicted as limit x 1.00 GiB/s / 1.00 GiB/s"},
    {"unlimited", GiB_, 0, FALSE,
     "max-bandwidth is unlimited (0): nothing bounds the precopy rate QEMU will measure, so the "
     "limit is held to the cap of 500 ms less its 50 ms switchover reserve"},
    {"unknown", GiB_, MB_ABSENT, FALSE, "max-bandwidth is unknown: nothing bounds"},
    {"invalid", GiB_, MB_INVALID, FALSE,
     "max-bandwidth is unlimited or invalid: nothing bounds the precopy rate QEMU will measure, so "
     "the limit "
     "is held to the cap of 500 ms"},
    {"above-stated", GiB_, 2 * GiB_, FALSE,
     "max-bandwidth 2.00 GiB/s is above the stated link rate 1.00 GiB/s, so the limit is held to "
     "the cap of 500 ms"},
    {"vfio", GiB_, 64 * MiB_, TRUE,
     "a VFIO device's share is not reported (before 11.1) and max-bandwidth does not bound it, "
     "so the limit is held to the cap of 500 ms"},
    {"no-link-rate", 0, 64 * MiB_, FALSE,
     "the policy states no link rate, so the limit is held to the cap of 500 ms"},
    {"supported", GiB_, 64 * MiB_, FALSE, NULL},
};

static void
notice_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    GPtrArray *notices = user_data;

    if (record->kind == CV_TUNER_RECORD_NOTICE)
        g_ptr_array_add(notices, g_strdup(record->message));
}

/* Before 8.2 the tuner says how it bounds the blackout, from the parameters it read: the
 * prediction is limit x max-bandwidth / stated, and with max-bandwidth unlimited, unreadable or
 * above the stated rate the limit is held to the cap. It used to say "blackout predicted as
 * pending / RATE" whatever max-bandwidth was, a rule the engine no longer follows. */
static void
test_fallback_notice(gconstpointer data)
{
    const FallbackRow *row = data;
    g_autoptr(CvTarget) target = cv_target_fake_new(NULL);
    g_autoptr(CvClock) clock = cv_clock_new_manual(1000);
    g_autoptr(CvTunerReport) report = NULL;
    g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func(g_free);
    CvPolicy policy;
    CvParams params;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    policy.switchover_bandwidth = row->stated;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    if (row->expected != NULL)
        params.avail_switchover_bandwidth.state = CV_FIELD_ABSENT;
    else
        cv_field_set(&params.avail_switchover_bandwidth, 0);
    if (row->max_bandwidth == MB_ABSENT)
        params.max_bandwidth.state = CV_FIELD_ABSENT;
    else if (row->max_bandwidth == MB_INVALID)
        params.max_bandwidth.state = CV_FIELD_INVALID;
    else
        cv_field_set(&params.max_bandwidth, row->max_bandwidth);
    params.vfio_devices = row->vfio ? CV_TRI_YES : CV_TRI_NO;
    report = cv_tuner_report_new(NULL, target, clock, &policy, FALSE);
    cv_tuner_report_set_record_func(report, notice_cb, notices);
    cv_tuner_report_start(report);
    cv_tuner_report_switchover_support(report, &params);
    if (row->expected == NULL) {
        g_assert_cmpuint(notices->len, ==, 0);
        g_assert_cmpint(cv_tuner_report_get_summary(report)->switchover_bandwidth, ==, CV_TRI_YES);
        return;
    }
    g_assert_cmpuint(notices->len, ==, 1);
    g_test_message("notice: %s", (const gchar *)notices->pdata[0]);
    g_assert_true(g_str_has_prefix(notices->pdata[0], "fallback: this QEMU has no "
                                                      "avail-switchover-bandwidth (before 8.2)"));
    g_assert_nonnull(strstr(notices->pdata[0], row->expected));
    g_assert_null(strstr(notices->pdata[0], "pending /"));
    g_assert_cmpint(cv_tuner_report_get_summary(report)->switchover_bandwidth, ==, CV_TRI_NO);
}

/* A policy changed in flight (the daemon's reload) brings its cap and its switchover reserve:
 * the notice must not keep the old policy's reserve. */
static void
test_set_policy_reserve(void)
{
    g_autoptr(CvTarget) target = cv_target_fake_new(NULL);
    g_autoptr(CvClock) clock = cv_clock_new_manual(1000);
    g_autoptr(CvTunerReport) report = NULL;
    g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func(g_free);
    CvPolicy policy;
    CvParams params;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 500;
    report = cv_tuner_report_new(NULL, target, clock, &policy, FALSE);
    policy.max_downtime_ms = 2000;
    policy.switchover_reserve_ms = 200;
    cv_tuner_report_set_policy(report, &policy);
    cv_params_init(&params);
    params.avail_switchover_bandwidth.state = CV_FIELD_ABSENT;
    cv_field_set(&params.max_bandwidth, 64 * MiB_);
    cv_tuner_report_set_record_func(report, notice_cb, notices);
    cv_tuner_report_start(report);
    cv_tuner_report_switchover_support(report, &params);
    g_assert_cmpuint(notices->len, ==, 1);
    g_assert_nonnull(strstr(notices->pdata[0], "held to the cap of 2000 ms less its 200 ms "
                                               "switchover reserve"));
    g_assert_cmpuint(cv_tuner_report_get_summary(report)->max_downtime_ms, ==, 2000);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(exit_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner-report/exit-code/%s", exit_rows[i].name);

        g_test_add_data_func(path, &exit_rows[i], test_exit_code);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(cap_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner-report/cap/%s", cap_rows[i].name);

        g_test_add_data_func(path, &cap_rows[i], test_cap);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(fallback_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/tuner-report/fallback/%s", fallback_rows[i].name);

        g_test_add_data_func(path, &fallback_rows[i], test_fallback_notice);
    }
    g_test_add_func("/tuner-report/set-policy-reserve", test_set_policy_reserve);
    for (gsize i = 0; i < G_N_ELEMENTS(final_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner-report/final/%s", final_rows[i].name);

        g_test_add_data_func(path, &final_rows[i], test_final);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(observation_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/tuner-report/observation/%s", observation_rows[i].name);
        g_test_add_data_func(path, &observation_rows[i], test_observation);
    }
    g_test_add_func("/tuner-report/observe", test_observe);
    g_test_add_func("/tuner-report/folding", test_folding);
    g_test_add_func("/tuner-report/folding-bounded", test_folding_bounded);
    g_test_add_func("/tuner-report/restore-counts", test_restore_counts);
    g_test_add_func("/tuner-report/end-cap-broken", test_end_cap_broken);
    g_test_add_func("/tuner-report/lower-bound", test_lower_bound);
    return g_test_run();
}
