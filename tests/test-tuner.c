/* CvTuner against a scripted fake target and a manual clock: attach, coalescing, bounded
 * history, dry run, restore on failed/cancelled/abort/detach, restore failures, QEMU going
 * away, the actuator's cap check, garbage readings. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-clock.h"
#include "cv-target-fake.h"
#include "cv-tuner-private.h"
#include "cv-tuner.h"

#define GiB (G_GUINT64_CONSTANT(1) << 30)
#define MiB (G_GUINT64_CONSTANT(1) << 20)

typedef struct {
    CvClock *clock;
    CvTarget *target;
    CvTuner *tuner;
    CvTunerOptions opts;
    guint n_records[CV_TUNER_RECORD_SUMMARY + 1];
    GArray *actions;   /* CvTunerAction from ACTION records */
    GArray *restores;  /* CvTunerAction from RESTORE records */
    GArray *decisions; /* CvDecision from SAMPLE records */
    GArray *limits;    /* CvU64Field: the downtime-limit each SAMPLE record carried */
    GPtrArray *notices;
    guint n_param_notices; /* NOTICE records of a parameter changed by someone else */
    CvTunerSummary summary;
    gboolean finished;
    gboolean after_summary; /* a record after the summary is a bug */
    /* scripted decisions, consumed one per evaluation */
    CvDecision script[8];
    guint n_script;
    guint script_pos;
    /* Instead of the script: raise the limit to this unless it already is at or above it. */
    guint64 raise_to;
    guint n_decide_calls;
    /* The tuner decides again on the same samples when the parameters moved: a script answers
     * that with the decision it gave for them. */
    gboolean have_last_decision;
    gint64 last_decision_time;
    guint64 last_decision_pass;
    CvDecision last_decision;
    /* What the engine was given at its last call. */
    guint64 seen_last_change_pass;
    guint seen_n_samples;
    guint64 seen_oldest_pass;
    CvU64Field seen_max_bandwidth;
} Fixture;

static void
record_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Fixture *f = user_data;

    if (f->finished)
        f->after_summary = TRUE;
    f->n_records[record->kind]++;
    switch (record->kind) {
    case CV_TUNER_RECORD_ACTION:
        g_array_append_val(f->actions, *record->action);
        break;
    case CV_TUNER_RECORD_RESTORE:
        g_array_append_val(f->restores, *record->action);
        break;
    case CV_TUNER_RECORD_SAMPLE:
        g_array_append_val(f->decisions, *record->decision);
        g_array_append_val(f->limits, record->params->downtime_limit_ms);
        break;
    case CV_TUNER_RECORD_NOTICE:
        g_ptr_array_add(f->notices, g_strdup(record->message));
        if (record->parameter != NULL)
            f->n_param_notices++;
        break;
    case CV_TUNER_RECORD_SUMMARY:
        f->summary = *record->summary;
        f->finished = TRUE;
        break;
    case CV_TUNER_RECORD_ATTACH:
    default:
        break;
    }
}

static CvDecision
scripted_decide(const CvPolicy *policy, const CvSample *samples, gsize n, const CvParams *current,
                const CvPolicyHistory *history, gpointer user_data)
{
    Fixture *f = user_data;
    CvDecision d = {0};
    const CvSample *newest = &samples[n - 1];

    f->n_decide_calls++;
    f->seen_last_change_pass = history->last_change_pass;
    f->seen_n_samples = (guint)n;
    f->seen_oldest_pass = samples[0].ram_dirty_sync_count.value;
    f->seen_max_bandwidth = current->max_bandwidth;
    if (f->raise_to > 0) {
        if (cv_field_valid(&current->downtime_limit_ms) &&
            current->downtime_limit_ms.value >= f->raise_to) {
            d.verdict = CV_VERDICT_STALLED;
            g_strlcpy(d.reason, "limit already high enough: left alone", sizeof(d.reason));
            return d;
        }
        d.kind = CV_DECISION_SET_DOWNTIME_LIMIT;
        d.verdict = CV_VERDICT_STALLED;
        d.value = f->raise_to;
        d.predicted_blackout_ms = f->raise_to;
        g_strlcpy(d.reason, "raise", sizeof(d.reason));
        return d;
    }
    if (f->have_last_decision && newest->time_ms == f->last_decision_time &&
        newest->ram_dirty_sync_count.value == f->last_decision_pass)
        return f->last_decision;
    if (f->script_pos < f->n_script) {
        d = f->script[f->script_pos++];
    } else {
        d.verdict = CV_VERDICT_CONVERGING;
        g_strlcpy(d.reason, "script exhausted", sizeof(d.reason));
    }
    f->have_last_decision = TRUE;
    f->last_decision_time = newest->time_ms;
    f->last_decision_pass = newest->ram_dirty_sync_count.value;
    f->last_decision = d;
    return d;
}

static void
script_add(Fixture *f, CvDecisionKind kind, guint64 value, guint64 predicted)
{
    CvDecision *d = &f->script[f->n_script++];

    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->value = value;
    d->verdict = CV_VERDICT_STALLED;
    d->predicted_blackout_ms = predicted;
    d->source = CV_ESTIMATE_QEMU_ALL_DEVICES;
    g_snprintf(d->reason, sizeof(d->reason), "scripted %s %" G_GUINT64_FORMAT,
               cv_decision_kind_to_string(kind), value);
}

static void
run_pending(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* Move the manual clock in small steps, letting timers and replies run in between. */
static void
advance(Fixture *f, gint64 ms)
{
    for (gint64 done = 0; done < ms; done += 10) {
        cv_clock_manual_advance(f->clock, MIN(10, ms - done));
        run_pending();
    }
}

static void
active_sample(CvSample *s, guint64 pass, guint64 pending, guint64 expected)
{
    cv_sample_init(s);
    s->status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s->ram_dirty_sync_count, pass);
    cv_field_set(&s->remaining, pending);
    cv_field_set(&s->ram_remaining, 16 * MiB);
    cv_field_set(&s->ram_total, 32 * GiB);
    cv_field_set(&s->expected_downtime_ms, expected);
    cv_field_set(&s->total_time_ms, 300000);
    s->ram_mbps.state = CV_FIELD_VALID;
    s->ram_mbps.value = 460.0;
    cv_field_set(&s->ram_page_size, 4096);
    cv_field_set(&s->ram_dirty_pages_rate, 8039);
}

static void
fixture_init(Fixture *f, gboolean scripted)
{
    memset(f, 0, sizeof(*f));
    f->clock = cv_clock_new_manual(1000000);
    f->target = cv_target_fake_new(NULL);
    cv_tuner_options_init(&f->opts);
    f->opts.policy.max_downtime_ms = 5000;
    f->opts.policy.switchover_bandwidth = GiB;
    f->opts.start_timeout_ms = 0;
    f->actions = g_array_new(FALSE, TRUE, sizeof(CvTunerAction));
    f->restores = g_array_new(FALSE, TRUE, sizeof(CvTunerAction));
    f->decisions = g_array_new(FALSE, TRUE, sizeof(CvDecision));
    f->limits = g_array_new(FALSE, TRUE, sizeof(CvU64Field));
    f->notices = g_ptr_array_new_with_free_func(g_free);
    (void)scripted;
}

/* Create and start the tuner with f->opts. */
static void
fixture_start(Fixture *f, gboolean scripted)
{
    f->tuner = cv_tuner_new(f->target, f->clock, &f->opts);
    cv_tuner_set_record_func(f->tuner, record_cb, f);
    if (scripted)
        cv_tuner_set_decide_func(f->tuner, scripted_decide, f);
    cv_tuner_start(f->tuner);
    run_pending();
}

static void
fixture_clear(Fixture *f)
{
    g_assert_false(f->after_summary);
    /* The tuner, then its target (which drops the tuner's callbacks still in flight). */
    g_clear_pointer(&f->tuner, cv_tuner_free);
    g_clear_pointer(&f->target, cv_target_free);
    g_clear_pointer(&f->clock, cv_clock_free);
    g_array_unref(f->actions);
    g_array_unref(f->restores);
    g_array_unref(f->decisions);
    g_array_unref(f->limits);
    g_ptr_array_unref(f->notices);
    run_pending();
}

/* The migration advances one pass with the given reading; the tuner sees the event. */
static void
pass(Fixture *f, guint64 n, guint64 pending, guint64 expected)
{
    CvSample s;

    active_sample(&s, n, pending, expected);
    cv_target_fake_set_sample(f->target, &s);
    cv_target_fake_emit_pass(f->target, n);
    run_pending();
}

static void
end_with(Fixture *f, CvMigrationStatus status)
{
    CvSample *s = cv_target_fake_get_sample(f->target);

    s->status = status;
    if (status == CV_MIGRATION_STATUS_COMPLETED) {
        s->expected_downtime_ms.state = CV_FIELD_ABSENT;
        s->remaining.state = CV_FIELD_ABSENT;
        cv_field_set(&s->downtime_ms, 1950);
        cv_field_set(&s->total_time_ms, 340000);
    }
    cv_target_fake_emit_status(f->target, status);
    run_pending();
}

/* A migration that completed: QEMU's achieved downtime (what the fake reported) within the
 * policy's cap, and the summary says so: completed, not cap-broken, exit 0. Every test that
 * completes a migration ends with this (test_cap_broken is the one that must break it). */
static void
assert_completed_within_cap(Fixture *f)
{
    g_assert_true(f->finished);
    g_assert_cmpint(f->summary.outcome, ==, CV_TUNER_OUTCOME_COMPLETED);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f->summary.outcome), ==, 0);
    g_assert_false(f->summary.cap_broken);
    g_assert_cmpuint(f->summary.max_downtime_ms, ==, f->opts.policy.max_downtime_ms);
    g_assert_true(cv_field_valid(&f->summary.downtime_ms));
    g_assert_cmpuint(f->summary.downtime_ms.value, <=, f->opts.policy.max_downtime_ms);
}

/* Start a migration and get two stalled boundaries so the script's first decisions run. */
static void
start_migration(Fixture *f)
{
    cv_target_fake_emit_status(f->target, CV_MIGRATION_STATUS_ACTIVE);
    pass(f, 2, 2050846720, 31000);
}

/* ---- attach and lifecycle ---------------------------------------------------------------- */

static void
test_attach(void)
{
    Fixture f;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    g_assert_cmpuint(f.n_records[CV_TUNER_RECORD_ATTACH], ==, 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-params"), ==, 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-migrate"), ==, 1);
    g_assert_false(cv_tuner_is_finished(f.tuner));
    /* Nothing running: polling goes on, no evaluation, no change. */
    advance(&f, 5000);
    g_assert_cmpuint(f.n_records[CV_TUNER_RECORD_SAMPLE], ==, 0);
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-migrate"), >=, 5);
    cv_tuner_detach(f.tuner);
    run_pending();
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_NO_MIGRATION);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f.summary.outcome), ==, 7);
    fixture_clear(&f);
}

static void
test_start_timeout(void)
{
    Fixture f;

    fixture_init(&f, FALSE);
    f.opts.start_timeout_ms = 5000;
    fixture_start(&f, FALSE);
    advance(&f, 4000);
    g_assert_false(f.finished);
    advance(&f, 2000);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_NO_MIGRATION);
    fixture_clear(&f);
}

static void
test_connect_failure(void)
{
    Fixture f;

    fixture_init(&f, FALSE);
    cv_target_fake_fail(f.target, "connect", 1, CV_TARGET_ERROR_CONNECT);
    fixture_start(&f, FALSE);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_ERROR);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f.summary.outcome), ==, 1);
    g_assert_nonnull(strstr(f.summary.message, "injected failure"));
    fixture_clear(&f);
}

/* A final status left over from an earlier migration is not ours to report. */
static void
test_stale_final_status(void)
{
    Fixture f;
    CvSample *s;

    fixture_init(&f, FALSE);
    s = cv_target_fake_get_sample(f.target);
    s->status = CV_MIGRATION_STATUS_COMPLETED;
    fixture_start(&f, FALSE);
    advance(&f, 3000);
    g_assert_false(f.finished);
    start_migration(&f);
    end_with(&f, CV_MIGRATION_STATUS_COMPLETED);
    g_assert_true(f.finished);
    assert_completed_within_cap(&f);
    g_assert_cmpuint(f.summary.downtime_ms.value, ==, 1950);
    fixture_clear(&f);
}

/* QEMU 7.2 announces completed before it stores total-time and downtime: read again. */
static void
test_completed_stats_late(void)
{
    Fixture f;
    CvSample *s;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    start_migration(&f);
    s = cv_target_fake_get_sample(f.target);
    s->status = CV_MIGRATION_STATUS_COMPLETED;
    s->expected_downtime_ms.state = CV_FIELD_ABSENT;
    cv_field_set(&s->downtime_ms, 0);
    cv_field_set(&s->total_time_ms, 0);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_COMPLETED);
    run_pending();
    g_assert_false(f.finished);
    cv_field_set(&s->downtime_ms, 67);
    cv_field_set(&s->total_time_ms, 22902);
    advance(&f, 100);
    g_assert_true(f.finished);
    assert_completed_within_cap(&f);
    g_assert_cmpuint(f.summary.downtime_ms.value, ==, 67);
    g_assert_cmpuint(f.summary.total_time_ms.value, ==, 22902);
    fixture_clear(&f);
}

/* ... but not for ever: a QEMU that never fills them in still ends the session. */
static void
test_completed_stats_never(void)
{
    Fixture f;
    CvSample *s;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    start_migration(&f);
    s = cv_target_fake_get_sample(f.target);
    s->status = CV_MIGRATION_STATUS_COMPLETED;
    cv_field_set(&s->downtime_ms, 0);
    cv_field_set(&s->total_time_ms, 0);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_COMPLETED);
    advance(&f, 2000);
    g_assert_true(f.finished);
    assert_completed_within_cap(&f);
    g_assert_cmpuint(f.summary.downtime_ms.value, ==, 0);
    fixture_clear(&f);
}

static void
test_start_uri(void)
{
    Fixture f;

    fixture_init(&f, FALSE);
    f.opts.start_uri = "tcp:127.0.0.1:4444";
    fixture_start(&f, FALSE);
    g_assert_cmpuint(cv_target_fake_count(f.target, "migrate"), ==, 1);
    /* We started it, so a completed status is ours even without having seen it active. */
    end_with(&f, CV_MIGRATION_STATUS_COMPLETED);
    g_assert_true(f.finished);
    assert_completed_within_cap(&f);
    fixture_clear(&f);
}

/* ---- coalescing and bounded memory ------------------------------------------------------ */

/* A burst of events costs one query: at most one is ever in flight. */
static void
test_coalesce_burst(void)
{
    Fixture f;
    CvSample s;
    guint before;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    start_migration(&f);
    advance(&f, 1000);
    before = cv_tuner_get_n_queries(f.tuner);
    active_sample(&s, 100, 2050846720, 31000);
    cv_target_fake_set_sample(f.target, &s);
    cv_target_fake_hold(f.target, TRUE);
    for (guint i = 0; i < 1000; i++)
        cv_target_fake_emit_pass(f.target, 3 + i);
    g_assert_cmpuint(cv_tuner_get_n_queries(f.tuner), <=, before + 1);
    cv_target_fake_hold(f.target, FALSE);
    run_pending();
    /* What the burst left becomes at most one more query, after the minimum interval. */
    advance(&f, 300);
    g_assert_cmpuint(cv_tuner_get_n_queries(f.tuner), >=, before + 1);
    g_assert_cmpuint(cv_tuner_get_n_queries(f.tuner), <=, before + 2);
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-migrate"), ==,
                     cv_tuner_get_n_queries(f.tuner));
    fixture_clear(&f);
}

/* 1000 passes a second for 10 s: queries and evaluations are bounded by time, not passes. */
static void
test_coalesce_rate(void)
{
    Fixture f;
    guint passes = 0;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    start_migration(&f);
    for (guint ms = 0; ms < 10000; ms++) {
        CvSample s;

        active_sample(&s, 3 + passes, 2050846720, 31000);
        cv_target_fake_set_sample(f.target, &s);
        cv_target_fake_emit_pass(f.target, 3 + passes);
        passes++;
        cv_clock_manual_advance(f.clock, 1);
        run_pending();
    }
    g_assert_cmpuint(passes, ==, 10000);
    /* min_eval_interval 250 ms over 10 s: about 40 queries, plus the poll and the start. */
    g_assert_cmpuint(cv_tuner_get_n_queries(f.tuner), <=, 10000 / 250 + 10 + 2);
    g_assert_cmpuint(f.n_records[CV_TUNER_RECORD_SAMPLE], <=, 10000 / 250 + 10 + 2);
    g_assert_cmpuint(f.n_records[CV_TUNER_RECORD_SAMPLE], >=, 10);
    fixture_clear(&f);
}

/* Hours of boundaries fit in a bounded history that still reaches back past the window. */
static void
test_history_bounded(void)
{
    Fixture f;
    const CvSample *h;
    guint n = 0;
    gint64 first = 0;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    start_migration(&f);
    first = cv_clock_now_ms(f.clock);
    for (guint i = 0; i < 3000; i++) {
        pass(&f, 10 + i, 2050846720 - i, 31000);
        advance(&f, 260);
    }
    h = cv_tuner_get_history(f.tuner, &n);
    g_assert_cmpuint(n, <=, 128);
    g_assert_cmpuint(n, >=, 64);
    /* Oldest first, strictly advancing passes (every kept sample is a boundary). */
    for (guint i = 1; i < n; i++) {
        g_assert_cmpuint(h[i].ram_dirty_sync_count.value, >, h[i - 1].ram_dirty_sync_count.value);
        g_assert_cmpint(h[i].time_ms, >=, h[i - 1].time_ms);
    }
    /* It covers the policy's stall window with room to spare, and no more than four. */
    g_assert_cmpint(h[n - 1].time_ms - h[0].time_ms, >, 2 * (gint64)f.opts.policy.stall_window_ms);
    g_assert_cmpint(h[n - 1].time_ms - h[0].time_ms, <=,
                    4 * (gint64)f.opts.policy.stall_window_ms + 2000);
    g_assert_cmpint(h[0].time_ms, >, first);
    fixture_clear(&f);
}

/* Evaluations far apart (a high --speed): each one is older than the whole retention, yet the
 * engine still gets a boundary older than its window and judges the stall. */
static void
test_sparse_boundaries(void)
{
    Fixture f;
    gboolean judged = FALSE;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    start_migration(&f);
    for (guint i = 0; i < 6; i++) {
        advance(&f, 100000);
        pass(&f, 1000 + i * 1000, 2050846720, 31000);
    }
    for (guint i = 0; i < f.decisions->len; i++) {
        const CvDecision *d = &g_array_index(f.decisions, CvDecision, i);

        if (d->verdict == CV_VERDICT_STALLED || d->verdict == CV_VERDICT_ESCALATING)
            judged = TRUE;
    }
    g_assert_true(judged);
    g_assert_cmpuint(cv_tuner_get_n_history(f.tuner), <=, 3);
    fixture_clear(&f);
}

/* Polls between iteration boundaries are not evaluations, unless the idle interval passes. */
static void
test_boundaries_only(void)
{
    Fixture f;
    guint evals;

    fixture_init(&f, FALSE);
    f.opts.idle_eval_interval_ms = 30000;
    fixture_start(&f, FALSE);
    start_migration(&f);
    evals = f.n_records[CV_TUNER_RECORD_SAMPLE];
    advance(&f, 20000); /* 20 polls, same pass */
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-migrate"), >=, 20);
    g_assert_cmpuint(f.n_records[CV_TUNER_RECORD_SAMPLE], ==, evals);
    advance(&f, 11000);
    g_assert_cmpuint(f.n_records[CV_TUNER_RECORD_SAMPLE], ==, evals + 1);
    fixture_clear(&f);
}

/* ---- the actuator ----------------------------------------------------------------------- */

static void
assert_log(Fixture *f, const gchar *const *expected)
{
    const GPtrArray *log = cv_target_fake_log(f->target);
    g_autoptr(GPtrArray) sets = g_ptr_array_new();

    /* Only the changes: queries come and go with timing. */
    for (guint i = 0; i < log->len; i++) {
        const gchar *line = g_ptr_array_index(log, i);

        if (g_str_has_prefix(line, "set-") || g_str_equal(line, "cancel") ||
            g_str_equal(line, "stop") || g_str_equal(line, "cont") ||
            g_str_equal(line, "start-postcopy"))
            g_ptr_array_add(sets, (gpointer)line);
    }
    g_assert_cmpuint(sets->len, ==, g_strv_length((gchar **)expected));
    for (guint i = 0; i < sets->len; i++)
        g_assert_cmpstr(g_ptr_array_index(sets, i), ==, expected[i]);
}

/* The vGPU story with scripted decisions: switchover bandwidth, one raise, completed. */
static void
test_apply_and_complete(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-switchover-bandwidth 1073741824",
                                     "set-downtime-limit 2101", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 1910);
    advance(&f, 300);
    end_with(&f, CV_MIGRATION_STATUS_COMPLETED);
    g_assert_true(f.finished);
    assert_completed_within_cap(&f);
    assert_log(&f, expected);
    g_assert_cmpuint(f.summary.n_changes, ==, 2);
    g_assert_cmpuint(f.summary.downtime_ms.value, ==, 1950);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 2101);
    /* Lower bound: 1.91 GiB of system-wide remaining at 1 GiB/s. */
    g_assert_true(cv_field_valid(&f.summary.lower_bound_ms));
    g_assert_cmpuint(f.summary.lower_bound_ms.value, ==, 1910);
    g_assert_cmpuint(f.summary.n_restores, ==, 0);
    g_assert_cmpuint(f.actions->len, ==, 2);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 1).previous.value, ==, 300);
    fixture_clear(&f);
}

static void
test_dry_run(void)
{
    Fixture f;
    const gchar *const expected[] = {NULL};

    fixture_init(&f, TRUE);
    f.opts.dry_run = TRUE;
    f.opts.max_iterations = 3;
    script_add(&f, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    script_add(&f, CV_DECISION_ABORT, 0, 0);
    fixture_start(&f, TRUE);
    start_migration(&f);
    for (guint i = 0; i < 5 && !f.finished; i++) {
        advance(&f, 300);
        pass(&f, 3 + i, 2050846720, 31000);
    }
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_DETACHED);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f.summary.outcome), ==, 6);
    assert_log(&f, expected);
    g_assert_cmpuint(f.actions->len, ==, 3);
    for (guint i = 0; i < f.actions->len; i++)
        g_assert_cmpint(g_array_index(f.actions, CvTunerAction, i).result, ==,
                        CV_TUNER_RESULT_DRY_RUN);
    g_assert_cmpuint(f.summary.n_changes, ==, 0);
    g_assert_cmpuint(f.summary.n_actions, ==, 3);
    g_assert_cmpuint(f.summary.n_action_entries, ==, 3);
    g_assert_cmpuint(f.summary.n_restores, ==, 0);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->avail_switchover_bandwidth.value, ==, 0);
    fixture_clear(&f);
}

/* A dry run repeats its decision every iteration: the summary folds the repeats. */
static void
test_dry_run_folds_repeats(void)
{
    Fixture f;

    fixture_init(&f, TRUE);
    f.opts.dry_run = TRUE;
    f.opts.max_iterations = 5;
    for (guint i = 0; i < 5; i++)
        script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    for (guint i = 0; i < 8 && !f.finished; i++) {
        advance(&f, 300);
        pass(&f, 3 + i, 2050846720, 31000);
    }
    g_assert_true(f.finished);
    g_assert_cmpuint(f.actions->len, ==, 5);
    g_assert_cmpuint(f.summary.n_actions, ==, 5);
    g_assert_cmpuint(f.summary.n_action_entries, ==, 1);
    g_assert_cmpuint(f.summary.actions[0].repeats, ==, 5);
    g_assert_cmpuint(f.summary.actions[0].last_pass.value, >, f.summary.actions[0].pass.value);
    fixture_clear(&f);
}

typedef struct {
    const gchar *name;
    CvMigrationStatus end;
    CvTunerOutcome outcome;
    gint exit_code;
} RestoreRow;

static const RestoreRow restore_rows[] = {
    {"failed", CV_MIGRATION_STATUS_FAILED, CV_TUNER_OUTCOME_FAILED, 2},
    {"cancelled", CV_MIGRATION_STATUS_CANCELLED, CV_TUNER_OUTCOME_CANCELLED, 3},
};

static void
test_restore(gconstpointer data)
{
    const RestoreRow *row = data;
    Fixture f;
    const gchar *const expected[] = {"set-switchover-bandwidth 1073741824",
                                     "set-downtime-limit 2101", "set-downtime-limit 300",
                                     "set-switchover-bandwidth 0", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 1910);
    advance(&f, 300);
    end_with(&f, row->end);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, row->outcome);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f.summary.outcome), ==, row->exit_code);
    assert_log(&f, expected);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->avail_switchover_bandwidth.value, ==, 0);
    g_assert_cmpuint(f.summary.n_restores, ==, 2);
    g_assert_cmpuint(f.summary.n_restore_failures, ==, 0);
    g_assert_cmpuint(f.restores->len, ==, 2);
    fixture_clear(&f);
}

/* One restore fails: it is reported, and the next one still runs. */
static void
test_restore_failure_reported(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-switchover-bandwidth 1073741824",
                                     "set-downtime-limit 2101", "set-downtime-limit 300",
                                     "set-switchover-bandwidth 0", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 1910);
    advance(&f, 300);
    cv_target_fake_fail(f.target, "set-downtime-limit", 1, CV_TARGET_ERROR_FAILED);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_FAILED);
    assert_log(&f, expected);
    g_assert_cmpuint(f.summary.n_restores, ==, 2);
    g_assert_cmpuint(f.summary.n_restore_failures, ==, 1);
    g_assert_cmpint(f.summary.restores[0].result, ==, CV_TUNER_RESULT_FAILED);
    g_assert_nonnull(strstr(f.summary.restores[0].error, "injected failure"));
    g_assert_cmpint(f.summary.restores[1].result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 2101);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->avail_switchover_bandwidth.value, ==, 0);
    fixture_clear(&f);
}

/* The original value could not be read at attach time: nothing to restore it to, said so. */
static void
test_restore_unknown_original(void)
{
    Fixture f;
    CvParams p;

    fixture_init(&f, TRUE);
    p = *cv_target_fake_get_params(f.target);
    p.downtime_limit_ms.state = CV_FIELD_INVALID;
    cv_target_fake_set_params(f.target, &p);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 1);
    g_assert_cmpuint(f.summary.n_restores, ==, 1);
    g_assert_cmpuint(f.summary.n_restore_failures, ==, 1);
    g_assert_cmpint(f.summary.restores[0].result, ==, CV_TUNER_RESULT_REFUSED);
    g_assert_nonnull(strstr(f.summary.restores[0].error, "unknown"));
    fixture_clear(&f);
}

static void
test_policy_abort(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", "cancel", "set-downtime-limit 300",
                                     NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    script_add(&f, CV_DECISION_ABORT, 0, 0);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 31000);
    advance(&f, 300);
    g_assert_cmpuint(cv_target_fake_count(f.target, "cancel"), ==, 1);
    end_with(&f, CV_MIGRATION_STATUS_CANCELLED);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_ABORTED);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f.summary.outcome), ==, 4);
    assert_log(&f, expected);
    fixture_clear(&f);
}

typedef struct {
    const gchar *name;
    gboolean keep;
    guint64 final_limit;
} DetachRow;

static const DetachRow detach_rows[] = {
    {"restore", FALSE, 300},
    {"keep", TRUE, 2101},
};

static void
test_detach(gconstpointer data)
{
    const DetachRow *row = data;
    Fixture f;

    fixture_init(&f, TRUE);
    f.opts.keep = row->keep;
    f.opts.max_iterations = 2;
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 31000);
    advance(&f, 300);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_DETACHED);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==,
                     row->final_limit);
    g_assert_cmpint(f.summary.restore_skipped, ==, row->keep);
    fixture_clear(&f);
}

/* Detaching while a change is in flight waits for it, then restores it. */
static void
test_detach_during_action(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", "set-downtime-limit 300", NULL};
    CvSample s;

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    cv_target_fake_hold(f.target, TRUE);
    active_sample(&s, 2, 2050846720, 31000);
    cv_target_fake_set_sample(f.target, &s);
    /* a status change is queried at once */
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    cv_target_fake_hold(f.target, FALSE);
    /* deliver the query reply, then the parameters re-read before the change: the set is now
     * in flight */
    g_main_context_iteration(NULL, FALSE);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
    g_main_context_iteration(NULL, FALSE);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 1);
    cv_tuner_detach(f.tuner);
    run_pending();
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    fixture_clear(&f);
}

typedef struct {
    const gchar *name;
    guint64 value;
    guint64 predicted;
    guint64 policy_rate;
    gboolean qemu_has_switchover;
    gboolean applied;
} CapRow;

/* cap 500 ms, the default 50 ms switchover reserve */
static const CapRow cap_rows[] = {
    {"within-cap", 400, 450, 0, TRUE, TRUE},
    {"at-cap-less-reserve", 450, 500, 0, TRUE, TRUE},
    {"past-cap-less-reserve", 460, 510, 0, TRUE, FALSE},
    {"above-cap-no-prediction", 2000, 0, 0, TRUE, FALSE},
    {"above-cap-prediction-too-long", 2000, 900, GiB, FALSE, FALSE},
    {"above-cap-predicted-within-old-qemu", 1100, 60, GiB, FALSE, TRUE},
    {"above-cap-predicted-but-qemu-has-switchover", 1100, 60, GiB, TRUE, FALSE},
    {"above-cap-predicted-no-policy-rate", 1100, 60, 0, FALSE, FALSE},
    {"zero", 0, 0, 0, TRUE, FALSE},
    {"above-qemu-range", 2000001, 400, GiB, FALSE, FALSE},
};

static void
test_cap(gconstpointer data)
{
    const CapRow *row = data;
    Fixture f;
    CvParams p;

    fixture_init(&f, TRUE);
    f.opts.policy.max_downtime_ms = 500;
    f.opts.policy.switchover_bandwidth = row->policy_rate;
    p = *cv_target_fake_get_params(f.target);
    if (!row->qemu_has_switchover)
        p.avail_switchover_bandwidth.state = CV_FIELD_ABSENT;
    cv_target_fake_set_params(f.target, &p);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, row->value, row->predicted);
    fixture_start(&f, TRUE);
    if (!row->applied)
        g_test_expect_message("cv-agent", G_LOG_LEVEL_WARNING, "refusing the engine's decision*");
    start_migration(&f);
    g_test_assert_expected_messages();
    g_assert_cmpuint(f.actions->len, ==, 1);
    if (row->applied) {
        g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==,
                        CV_TUNER_RESULT_APPLIED);
        g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 1);
        g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==,
                         row->value);
    } else {
        g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==,
                        CV_TUNER_RESULT_REFUSED);
        g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
        g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    }
    fixture_clear(&f);
}

/* QEMU 7.2: the engine never gets to send avail-switchover-bandwidth; if it asked, the
 * actuator would refuse without sending. */
static void
test_switchover_unsupported(void)
{
    Fixture f;
    CvParams p;

    fixture_init(&f, TRUE);
    p = *cv_target_fake_get_params(f.target);
    p.avail_switchover_bandwidth.state = CV_FIELD_ABSENT;
    cv_target_fake_set_params(f.target, &p);
    script_add(&f, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0);
    fixture_start(&f, TRUE);
    start_migration(&f);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-switchover-bandwidth"), ==, 0);
    g_assert_cmpuint(f.actions->len, ==, 1);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_REFUSED);
    g_assert_cmpint(f.summary.switchover_bandwidth, ==, CV_TRI_UNKNOWN);
    cv_tuner_detach(f.tuner);
    run_pending();
    g_assert_cmpint(f.summary.switchover_bandwidth, ==, CV_TRI_NO);
    fixture_clear(&f);
}

/* ---- QEMU going away -------------------------------------------------------------------- */

typedef enum {
    GO_CLOSED_EVENT = 0, /* QEMU exits: the socket closes, a new connection is refused */
    GO_DROPPED,          /* the socket closes, QEMU lives on: a new connection works */
    GO_QUERY_ERROR,      /* query-migrate keeps failing with @query_error */
} GoneHow;

typedef struct {
    const gchar *name;
    gboolean changed_first;
    GoneHow how;
    CvTargetErrorCode query_error; /* GO_QUERY_ERROR */
    gboolean restore_skipped;
    guint n_restores;
} VanishRow;

static const VanishRow vanish_rows[] = {
    {"closed-event", FALSE, GO_CLOSED_EVENT, 0, FALSE, 0},
    /* the restore is tried on a new connection; QEMU is gone, so it is left in place */
    {"closed-event-after-change", TRUE, GO_CLOSED_EVENT, 0, TRUE, 0},
    /* ... and when QEMU is still there, it is restored */
    {"dropped-after-change", TRUE, GO_DROPPED, 0, FALSE, 1},
    {"query-closed", FALSE, GO_QUERY_ERROR, CV_TARGET_ERROR_CLOSED, FALSE, 0},
    /* timeouts on every new connection: gone after a few reconnects, restored on the last */
    {"query-timeouts-forever", TRUE, GO_QUERY_ERROR, CV_TARGET_ERROR_TIMEOUT, FALSE, 1},
};

static void
test_vanish(gconstpointer data)
{
    const VanishRow *row = data;
    Fixture f;

    fixture_init(&f, TRUE);
    if (row->changed_first)
        script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    switch (row->how) {
    case GO_CLOSED_EVENT:
        cv_target_fake_vanish(f.target);
        break;
    case GO_DROPPED:
        cv_target_fake_drop_connection(f.target);
        break;
    case GO_QUERY_ERROR:
    default:
        cv_target_fake_fail(f.target, "query-migrate", 100, row->query_error);
        break;
    }
    advance(&f, 10000);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_VANISHED);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f.summary.outcome), ==, 5);
    g_assert_cmpint(f.summary.restore_skipped, ==, row->restore_skipped);
    g_assert_cmpuint(f.summary.n_restores, ==, row->n_restores);
    if (row->n_restores > 0) {
        g_assert_cmpint(f.summary.restores[0].result, ==, CV_TUNER_RESULT_APPLIED);
        g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    }
    if (row->changed_first)
        g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), >=, 2);
    fixture_clear(&f);
}

/* QEMU answers, but with errors: keep polling, give up after a run of them. */
static void
test_query_errors(void)
{
    Fixture f;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    start_migration(&f);
    cv_target_fake_fail(f.target, "query-migrate", 5, CV_TARGET_ERROR_FAILED);
    advance(&f, 8000);
    g_assert_false(f.finished);
    cv_target_fake_fail(f.target, "query-migrate", 100, CV_TARGET_ERROR_FAILED);
    advance(&f, 15000);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_ERROR);
    fixture_clear(&f);
}

/* ---- with the real engine --------------------------------------------------------------- */

/* Garbage from a VFIO driver: nothing beyond what valid fields justify. */
typedef struct {
    const gchar *name;
    void (*spoil)(CvSample *s);
    gboolean acts; /* the control row: valid readings of a stall do get changes */
} GarbageRow;

static void
spoil_nothing(CvSample *s)
{
}

static void
spoil_remaining(CvSample *s)
{
    s->remaining.state = CV_FIELD_INVALID;
}

static void
spoil_everything(CvSample *s)
{
    s->remaining.state = CV_FIELD_INVALID;
    s->ram_remaining.state = CV_FIELD_INVALID;
    s->expected_downtime_ms.state = CV_FIELD_INVALID;
    s->ram_mbps.state = CV_FIELD_INVALID;
}

static void
spoil_counter(CvSample *s)
{
    s->ram_dirty_sync_count.state = CV_FIELD_INVALID;
}

static void
spoil_status(CvSample *s)
{
    s->status = CV_MIGRATION_STATUS_UNKNOWN;
}

static const GarbageRow garbage_rows[] = {
    {"control-valid", spoil_nothing, TRUE},  {"remaining", spoil_remaining, FALSE},
    {"everything", spoil_everything, FALSE}, {"pass-counter", spoil_counter, FALSE},
    {"status", spoil_status, FALSE},
};

static void
test_garbage(gconstpointer data)
{
    const GarbageRow *row = data;
    Fixture f;
    const gchar *const expected[] = {NULL};

    fixture_init(&f, FALSE);
    f.opts.policy.max_downtime_ms = 5000;
    fixture_start(&f, FALSE);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    for (guint i = 0; i < 200; i++) {
        CvSample s;

        active_sample(&s, 2 + i, 2050846720, 1910);
        row->spoil(&s);
        cv_target_fake_set_sample(f.target, &s);
        cv_target_fake_emit_pass(f.target, 2 + i);
        advance(&f, 300);
    }
    if (row->acts) {
        /* the engine's own story: switchover bandwidth first, then one raise within the cap */
        g_assert_cmpuint(f.actions->len, >=, 2);
        g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).kind, ==,
                        CV_DECISION_SET_SWITCHOVER_BANDWIDTH);
        g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 1).kind, ==,
                        CV_DECISION_SET_DOWNTIME_LIMIT);
        g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, <=,
                         f.opts.policy.max_downtime_ms);
        g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, >, 1910);
    } else {
        assert_log(&f, expected);
        g_assert_cmpuint(f.actions->len, ==, 0);
    }
    g_assert_false(f.finished);
    fixture_clear(&f);
}

/* ---- parameters changed by someone else --------------------------------------------------- */

static guint
param_reads(Fixture *f)
{
    return cv_target_fake_count(f->target, "query-params") +
           cv_target_fake_count(f->target, "refresh-params");
}

static gboolean
has_notice(Fixture *f, const gchar *text)
{
    for (guint i = 0; i < f->notices->len; i++) {
        if (strstr(g_ptr_array_index(f->notices, i), text) != NULL)
            return TRUE;
    }
    return FALSE;
}

static gboolean
log_has(Fixture *f, const gchar *line)
{
    const GPtrArray *log = cv_target_fake_log(f->target);

    for (guint i = 0; i < log->len; i++) {
        if (g_str_equal(g_ptr_array_index(log, i), line))
            return TRUE;
    }
    return FALSE;
}

/* The vGPU migration under the real engine, one pass every 300 ms, until @until says stop (or
 * @max passes). Returns the next pass number. */
static guint64
run_vgpu(Fixture *f, guint64 first, guint max, gboolean (*until)(Fixture *f))
{
    guint64 n = first;

    for (guint i = 0; i < max && !f->finished; i++, n++) {
        pass(f, n, 2050846720, 1910);
        advance(f, 300);
        if (until != NULL && until(f))
            return n + 1;
    }
    return n;
}

static gboolean
switchover_applied(Fixture *f)
{
    return f->actions->len >= 1;
}

/* (a) An operator raises downtime-limit to 5000 ms while the engine is about to raise it to
 * about 2100 ms: the re-read before the change sees it, the engine decides again with it and
 * leaves it alone. No SET_DOWNTIME_LIMIT, and the change is reported. */
static void
test_outside_raise_before_change(void)
{
    Fixture f;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    run_vgpu(&f, 2, 100, switchover_applied);
    g_assert_cmpuint(f.actions->len, ==, 1);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).kind, ==,
                    CV_DECISION_SET_SWITCHOVER_BANDWIDTH);
    g_assert_cmpuint(f.n_param_notices, ==, 0);
    /* it lands while the tuner re-reads before its next change */
    cv_target_fake_change_param_on_read(f.target, "downtime-limit", 5000);
    run_vgpu(&f, 1000, 100, NULL);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 5000);
    g_assert_cmpuint(f.actions->len, ==, 1);
    g_assert_true(has_notice(&f, "downtime-limit changed behind us: 300 -> 5000 ms (not by "
                                 "virt-converge)"));
    g_assert_cmpuint(f.n_param_notices, ==, 1);
    /* the engine's later readings carry the operator's limit */
    g_assert_cmpuint(g_array_index(f.limits, CvU64Field, f.limits->len - 1).value, ==, 5000);
    /* a failure now restores only what we changed, and nothing over the operator's value */
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    g_assert_false(log_has(&f, "set-downtime-limit 300"));
    g_assert_true(log_has(&f, "set-switchover-bandwidth 0"));
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 5000);
    fixture_clear(&f);
}

/* The same with the decision in hand: the tuner decided "raise to 2101" on the old limit, the
 * re-read shows 5000, and the engine (asked again on the same samples) says leave it. */
static void
test_outside_raise_redecides(void)
{
    Fixture f;
    const gchar *const expected[] = {NULL};
    guint calls;

    fixture_init(&f, TRUE);
    f.raise_to = 2101;
    fixture_start(&f, TRUE);
    cv_target_fake_change_param_on_read(f.target, "downtime-limit", 5000);
    calls = f.n_decide_calls;
    start_migration(&f);
    /* decided once on 300, once more on 5000 */
    g_assert_cmpuint(f.n_decide_calls, ==, calls + 2);
    g_assert_cmpuint(f.decisions->len, ==, 1);
    g_assert_cmpint(g_array_index(f.decisions, CvDecision, 0).kind, ==, CV_DECISION_NONE);
    g_assert_cmpuint(g_array_index(f.limits, CvU64Field, 0).value, ==, 5000);
    assert_log(&f, expected);
    g_assert_cmpuint(f.actions->len, ==, 0);
    g_assert_true(has_notice(&f, "downtime-limit changed behind us: 300 -> 5000 ms"));
    fixture_clear(&f);
}

typedef struct {
    const gchar *name;
    CvMigrationStatus end; /* NONE: detach */
    gboolean abort;        /* the policy aborts (then QEMU reports cancelled) */
    guint64 theirs;        /* what the operator sets after our raise; 0 = nobody */
    gboolean left_alone;
    CvTunerOutcome outcome;
} OutsideRestoreRow;

static const OutsideRestoreRow outside_restore_rows[] = {
    {"failed", CV_MIGRATION_STATUS_FAILED, FALSE, 1000, TRUE, CV_TUNER_OUTCOME_FAILED},
    {"cancelled", CV_MIGRATION_STATUS_CANCELLED, FALSE, 1000, TRUE, CV_TUNER_OUTCOME_CANCELLED},
    {"abort", CV_MIGRATION_STATUS_CANCELLED, TRUE, 1000, TRUE, CV_TUNER_OUTCOME_ABORTED},
    {"detach", CV_MIGRATION_STATUS_NONE, FALSE, 1000, TRUE, CV_TUNER_OUTCOME_DETACHED},
    /* raised further than we did: still theirs */
    {"failed-raised-further", CV_MIGRATION_STATUS_FAILED, FALSE, 4000, TRUE,
     CV_TUNER_OUTCOME_FAILED},
    /* put back where it was: nothing left to restore, nothing to report */
    {"failed-put-back", CV_MIGRATION_STATUS_FAILED, FALSE, 300, FALSE, CV_TUNER_OUTCOME_FAILED},
    /* control: nobody touched it, so it is restored */
    {"failed-untouched", CV_MIGRATION_STATUS_FAILED, FALSE, 0, FALSE, CV_TUNER_OUTCOME_FAILED},
};

/* (b) Someone changes downtime-limit after our raise: when the migration fails, is cancelled,
 * aborted or given up, the tuner re-reads it, leaves their value and says so; what is still
 * ours (the switchover bandwidth) is restored as before. */
static void
test_outside_change_restore(gconstpointer data)
{
    const OutsideRestoreRow *row = data;
    Fixture f;
    const CvParams *qemu;
    guint reads;

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    if (row->abort)
        script_add(&f, CV_DECISION_ABORT, 0, 0);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 1910);
    advance(&f, 300);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 2101);
    if (row->theirs > 0)
        cv_target_fake_change_param(f.target, "downtime-limit", row->theirs);
    if (row->abort) {
        pass(&f, 4, 2050846720, 1910);
        advance(&f, 300);
        g_assert_cmpuint(cv_target_fake_count(f.target, "cancel"), ==, 1);
    }
    reads = param_reads(&f);
    if (row->end == CV_MIGRATION_STATUS_NONE)
        cv_tuner_detach(f.tuner);
    else
        end_with(&f, row->end);
    run_pending();
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, row->outcome);
    /* re-read before restoring */
    g_assert_cmpuint(param_reads(&f), ==, reads + 1);
    qemu = cv_target_fake_get_params(f.target);
    g_assert_cmpuint(qemu->avail_switchover_bandwidth.value, ==, 0);
    g_assert_true(log_has(&f, "set-switchover-bandwidth 0"));
    if (row->left_alone) {
        g_assert_false(log_has(&f, "set-downtime-limit 300"));
        g_assert_cmpuint(qemu->downtime_limit_ms.value, ==, row->theirs);
        g_assert_cmpuint(f.summary.n_restores_left_alone, ==, 1);
        g_assert_cmpuint(f.summary.n_restore_failures, ==, 0);
        g_assert_cmpuint(f.summary.n_restores, ==, 2);
        g_assert_cmpint(f.summary.restores[0].kind, ==, CV_DECISION_SET_DOWNTIME_LIMIT);
        g_assert_cmpint(f.summary.restores[0].result, ==, CV_TUNER_RESULT_LEFT_ALONE);
        g_assert_cmpuint(f.summary.restores[0].previous.value, ==, row->theirs);
        g_assert_cmpuint(f.summary.restores[0].value, ==, 300);
        g_assert_nonnull(strstr(f.summary.restores[0].error, "after virt-converge set 2101 ms"));
        g_assert_cmpint(f.summary.restores[1].result, ==, CV_TUNER_RESULT_APPLIED);
        g_assert_cmpuint(f.summary.downtime_limit_ms.value, ==, row->theirs);
        g_assert_cmpuint(f.n_param_notices, ==, 1);
        g_assert_true(has_notice(&f, "downtime-limit changed behind us: 2101 ->"));
    } else if (row->theirs > 0) {
        g_assert_false(log_has(&f, "set-downtime-limit 300"));
        g_assert_cmpuint(qemu->downtime_limit_ms.value, ==, 300);
        g_assert_cmpuint(f.summary.n_restores_left_alone, ==, 0);
        g_assert_cmpuint(f.summary.n_restores, ==, 1);
        g_assert_cmpint(f.summary.restores[0].kind, ==, CV_DECISION_SET_SWITCHOVER_BANDWIDTH);
    } else {
        g_assert_true(log_has(&f, "set-downtime-limit 300"));
        g_assert_cmpuint(qemu->downtime_limit_ms.value, ==, 300);
        g_assert_cmpuint(f.summary.n_restores_left_alone, ==, 0);
        g_assert_cmpuint(f.summary.n_restores, ==, 2);
        g_assert_cmpuint(f.n_param_notices, ==, 0);
    }
    fixture_clear(&f);
}

/* libvirt (or anyone) sets the limit before our first change: a restore goes back to that
 * value, the one we replaced, not to what was there at attach time. */
static void
test_restore_to_value_before_first_change(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", "set-downtime-limit 500", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    cv_target_fake_change_param(f.target, "downtime-limit", 500);
    start_migration(&f);
    g_assert_cmpuint(g_array_index(f.actions, CvTunerAction, 0).previous.value, ==, 500);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 500);
    g_assert_cmpuint(f.summary.n_restores_left_alone, ==, 0);
    fixture_clear(&f);
}

/* (c) Every change sent is preceded by a parameter read; evaluations with nothing to apply
 * read nothing. */
static void
test_reread_before_every_change(void)
{
    Fixture f;
    const GPtrArray *log;
    guint sets = 0;

    fixture_init(&f, TRUE);
    f.opts.params_refresh_ms = 0; /* only the reads the changes make */
    script_add(&f, CV_DECISION_NONE, 0, 0);
    script_add(&f, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0);
    script_add(&f, CV_DECISION_NONE, 0, 0);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    script_add(&f, CV_DECISION_NONE, 0, 0);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 3001, 3001);
    fixture_start(&f, TRUE);
    g_assert_cmpuint(param_reads(&f), ==, 1);
    start_migration(&f); /* NONE */
    g_assert_cmpuint(param_reads(&f), ==, 1);
    for (guint i = 0; i < 5; i++) {
        advance(&f, 300);
        pass(&f, 3 + i, 2050846720, 1910);
    }
    /* and a long quiet stretch with nothing to apply */
    for (guint i = 0; i < 30; i++) {
        advance(&f, 300);
        pass(&f, 8 + i, 2050846720, 1910);
    }
    g_assert_cmpuint(f.decisions->len, >=, 30);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    /* three changes, one restore read for both parameters */
    g_assert_cmpuint(param_reads(&f), ==, 1 + 3 + 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), ==, 3 + 1);
    log = cv_target_fake_log(f.target);
    for (guint i = 0; i < log->len; i++) {
        const gchar *line = g_ptr_array_index(log, i);
        const gchar *before = NULL;

        if (!g_str_has_prefix(line, "set-"))
            continue;
        sets++;
        /* the command right before it, query-migrate polls aside */
        for (guint j = i; j > 0 && before == NULL; j--) {
            const gchar *prev = g_ptr_array_index(log, j - 1);

            if (!g_str_equal(prev, "query-migrate"))
                before = prev;
        }
        /* the restore of the second parameter follows the first restore, after one read */
        if (g_strcmp0(before, "refresh-params") != 0)
            g_assert_true(g_str_equal(line, "set-switchover-bandwidth 0") &&
                          g_strcmp0(before, "set-downtime-limit 300") == 0);
    }
    g_assert_cmpuint(sets, ==, 3 + 2);
    fixture_clear(&f);
}

/* A read already in flight (the periodic refresh) serves the change that comes up meanwhile:
 * one query-migrate-parameters, not two. */
static void
test_reread_coalesced(void)
{
    Fixture f;
    CvSample s;
    const GPtrArray *log;

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    advance(&f, 9990);
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), ==, 0);
    cv_target_fake_hold(f.target, TRUE);
    active_sample(&s, 2, 2050846720, 1910);
    cv_target_fake_set_sample(f.target, &s);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    cv_clock_manual_advance(f.clock, 10); /* the poll: refresh due */
    run_pending();
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), ==, 1);
    cv_target_fake_hold(f.target, FALSE);
    run_pending();
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), ==, 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 1);
    log = cv_target_fake_log(f.target);
    g_assert_cmpstr(g_ptr_array_index(log, log->len - 1), ==, "set-downtime-limit 2101");
    fixture_clear(&f);
}

/* The re-read before a change fails: the change is not sent (reported), and the next
 * boundary tries again. */
static void
test_reread_failure(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", NULL};

    fixture_init(&f, TRUE);
    f.raise_to = 2101;
    fixture_start(&f, TRUE);
    cv_target_fake_fail(f.target, "refresh-params", 1, CV_TARGET_ERROR_FAILED);
    start_migration(&f);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
    g_assert_cmpuint(f.actions->len, ==, 1);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_FAILED);
    g_assert_nonnull(strstr(g_array_index(f.actions, CvTunerAction, 0).error, "re-read"));
    advance(&f, 300);
    pass(&f, 3, 2050846720, 1910);
    advance(&f, 300);
    assert_log(&f, expected);
    g_assert_false(f.finished);
    fixture_clear(&f);
}

/* The re-read before restoring fails: what QEMU holds is unknown, so the limit is left as it
 * is, reported "left-alone (unverified)"; restoring from a belief up to 10 s old could lower a
 * limit someone raised meanwhile. */
static void
test_restore_reread_failure(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    cv_target_fake_fail(f.target, "refresh-params", 1, CV_TARGET_ERROR_FAILED);
    /* someone raised it meanwhile; the tuner cannot know */
    cv_target_fake_change_param(f.target, "downtime-limit", 4000);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 4000);
    g_assert_cmpuint(f.summary.n_restores, ==, 1);
    g_assert_cmpuint(f.summary.n_restores_unverified, ==, 1);
    g_assert_cmpuint(f.summary.n_restore_failures, ==, 0);
    g_assert_cmpint(f.summary.restores[0].result, ==, CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED);
    g_assert_nonnull(strstr(f.summary.restores[0].error, "injected failure"));
    g_assert_nonnull(strstr(f.summary.restores[0].error, "not restored to 300 ms"));
    fixture_clear(&f);
}

/* (d) A dry run sees outside changes too (the periodic refresh), and still sends nothing: no
 * change, no re-read before its would-be changes, no restore. */
static void
test_outside_change_dry_run(void)
{
    Fixture f;
    const gchar *const expected[] = {NULL};
    gboolean saw_none = FALSE;

    fixture_init(&f, TRUE);
    f.opts.dry_run = TRUE;
    f.raise_to = 2101;
    fixture_start(&f, TRUE);
    start_migration(&f);
    for (guint i = 0; i < 20; i++) {
        advance(&f, 300);
        pass(&f, 3 + i, 2050846720, 1910);
    }
    /* 6 s, a dry-run proposal at every boundary, and only the attach read */
    g_assert_cmpuint(param_reads(&f), ==, 1);
    g_assert_cmpuint(f.actions->len, >=, 10);
    cv_target_fake_change_param(f.target, "downtime-limit", 5000);
    for (guint i = 0; i < 30; i++) {
        advance(&f, 300);
        pass(&f, 23 + i, 2050846720, 1910);
    }
    g_assert_true(has_notice(&f, "downtime-limit changed behind us: 300 -> 5000 ms"));
    for (guint i = 0; i < f.decisions->len; i++) {
        if (g_array_index(f.decisions, CvDecision, i).kind == CV_DECISION_NONE)
            saw_none = TRUE;
    }
    g_assert_true(saw_none);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(f.summary.n_restores, ==, 0);
    g_assert_cmpuint(f.summary.n_changes, ==, 0);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 5000);
    fixture_clear(&f);
}

/* (e) The periodic refresh is bounded by the clock, not by how fast QEMU iterates: 60 s with a
 * pass every 5 ms cost about six reads, and an outside change shows up within one period even
 * with nothing to apply. */
static void
test_refresh_bounded(void)
{
    Fixture f;
    guint64 n = 2;
    gint64 changed_at = 0, seen_at = 0;

    fixture_init(&f, TRUE);
    fixture_start(&f, TRUE); /* the script is empty: nothing to apply, ever */
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    for (gint64 ms = 0; ms < 60000; ms += 5, n++) {
        CvSample s;

        if (ms == 25000) {
            cv_target_fake_change_param(f.target, "max-bandwidth", 64 * MiB);
            changed_at = ms;
        }
        if (seen_at == 0 && f.n_param_notices > 0)
            seen_at = ms;
        active_sample(&s, n, 2050846720 - n, 1910);
        cv_target_fake_set_sample(f.target, &s);
        cv_target_fake_emit_pass(f.target, n);
        cv_clock_manual_advance(f.clock, 5);
        run_pending();
    }
    g_assert_cmpuint(f.decisions->len, >=, 100);
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), >=, 5);
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), <=, 60000 / 10000);
    g_assert_cmpuint(cv_target_fake_count(f.target, "query-params"), ==, 1);
    g_assert_cmpuint(cv_tuner_get_n_params_queries(f.tuner), ==, param_reads(&f));
    g_assert_cmpuint(f.n_param_notices, ==, 1);
    g_assert_true(has_notice(&f, "max-bandwidth changed behind us: 128.00 MiB/s -> 64.00 MiB/s"));
    g_assert_cmpint(seen_at, >, changed_at);
    g_assert_cmpint(seen_at - changed_at, <=, 10000 + 1000);
    fixture_clear(&f);
}

/* ---- issue 7: counter regressions (epochs) ------------------------------------------------ */

/* The pass counter goes back (a new migration on the same QEMU, a counter reset): the tuner
 * starts a new epoch, says so, and the engine judges the new migration from scratch, with its
 * own history reset. On main every later reading below the old pass was ignored and the
 * engine's "wait for an iteration after the change at N" blocked every change. */
static void
test_counter_regression(void)
{
    Fixture f;
    guint evaluations;

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f); /* pass 2: raised */
    for (guint i = 0; i < 20; i++) {
        advance(&f, 300);
        pass(&f, 3 + i, 2050846720, 1910);
    }
    g_assert_cmpuint(f.seen_last_change_pass, ==, 2);
    evaluations = f.decisions->len;
    /* a new migration: its counter starts again */
    for (guint i = 0; i < 5; i++) {
        advance(&f, 300);
        pass(&f, 1 + i, 1073741824, 900);
    }
    g_assert_cmpuint(f.decisions->len, ==, evaluations + 5);
    g_assert_true(has_notice(&f, "the pass counter went back (1 after 22)"));
    g_assert_cmpuint(f.seen_last_change_pass, ==, 0);
    g_assert_cmpuint(f.seen_oldest_pass, ==, 1);
    g_assert_cmpuint(f.seen_n_samples, ==, 5);
    cv_tuner_detach(f.tuner);
    run_pending();
    g_assert_cmpuint(f.summary.n_epochs, ==, 1);
    fixture_clear(&f);
}

/* The same with the real engine: after the counter went back, a stall in the new migration
 * gets its change long before the counter reaches the pass of the old change. */
static void
test_counter_regression_engine(void)
{
    Fixture f;
    guint64 old_change_pass = 0, n;
    guint changes;

    fixture_init(&f, FALSE);
    fixture_start(&f, FALSE);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    n = run_vgpu(&f, 2, 200, NULL);
    g_assert_cmpuint(f.actions->len, ==, 2); /* switchover bandwidth, then the limit */
    old_change_pass = g_array_index(f.actions, CvTunerAction, 1).pass.value;
    /* the forecast decides after three boundaries over a second or more */
    g_assert_cmpuint(old_change_pass, >, 5);
    changes = f.actions->len;
    /* a new migration needing more (3.5 s expected at 1 GiB/s), iterating a little slower: its
     * forecast (three boundaries over a second) says "never" before its counter reaches the old
     * change's pass */
    for (guint64 p = 1; p < old_change_pass && f.actions->len == changes; p++) {
        pass(&f, p, 3758096384, 3500);
        advance(&f, 500);
    }
    g_assert_cmpuint(f.actions->len, ==, changes + 1);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, changes).kind, ==,
                    CV_DECISION_SET_DOWNTIME_LIMIT);
    g_assert_cmpuint(g_array_index(f.actions, CvTunerAction, changes).value, >, 3500);
    g_assert_cmpuint(g_array_index(f.actions, CvTunerAction, changes).pass.value, <,
                     old_change_pass);
    (void)n;
    fixture_clear(&f);
}

/* A reading of QEMU 7.2: RAM only (no system-wide remaining), a throttled precopy stream. */
static void
pass_qemu72(Fixture *f, guint64 n, guint64 ram_pending, guint64 expected)
{
    CvSample s;

    active_sample(&s, n, ram_pending, expected);
    s.remaining.state = CV_FIELD_ABSENT;
    cv_field_set(&s.ram_remaining, ram_pending);
    s.ram_mbps.value = 536.9; /* 64 MiB/s, the throttle */
    cv_target_fake_set_sample(f->target, &s);
    cv_target_fake_emit_pass(f->target, n);
    run_pending();
}

/* The limit the engine set above the cap stays its own across a counter regression. A 7.2
 * target (no avail-switchover-bandwidth), a policy stating 1 GiB/s and a 500 ms cap, QEMU
 * throttled to 64 MiB/s: the engine sets 1100 ms (predicted blackout 69 ms + the 50 ms reserve).
 * The counter goes back; then someone raises max-bandwidth to 512 MiB/s, so 1100 ms would allow a
 * 550 ms blackout: the engine must lower its limit to the new ceiling (900 ms: the cap less the 50
 * ms reserve, x 1 GiB/s / 512 MiB/s) at once. With the engine's history re-initialised at the new
 * epoch (main), 1100 ms read as someone else's and stayed. */
static void
test_epoch_keeps_ours(void)
{
    Fixture f;
    CvParams p;
    const CvTunerAction *a;
    guint64 n = 2;
    guint changes;

    fixture_init(&f, FALSE);
    f.opts.policy.max_downtime_ms = 500;
    f.opts.policy.switchover_bandwidth = GiB;
    p = *cv_target_fake_get_params(f.target);
    p.avail_switchover_bandwidth.state = CV_FIELD_ABSENT;
    cv_field_set(&p.max_bandwidth, 64 * MiB);
    cv_target_fake_set_params(f.target, &p);
    fixture_start(&f, FALSE);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    for (; n < 60 && f.actions->len == 0; n++) {
        pass_qemu72(&f, n, 64 * MiB, 1000);
        advance(&f, 1000);
    }
    g_assert_cmpuint(f.actions->len, ==, 1);
    a = &g_array_index(f.actions, CvTunerAction, 0);
    g_assert_cmpint(a->kind, ==, CV_DECISION_SET_DOWNTIME_LIMIT);
    g_assert_cmpint(a->result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_cmpuint(a->value, ==, 1100);
    /* 1100 ms x 64 MiB/s / 1 GiB/s + the default 50 ms switchover reserve */
    g_assert_cmpuint(a->predicted_blackout_ms, ==, 69 + 50);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 1100);
    /* a few more iterations, then the counter goes back */
    for (guint i = 0; i < 3; i++, n++) {
        pass_qemu72(&f, n, 64 * MiB, 1000);
        advance(&f, 1000);
    }
    changes = f.actions->len;
    pass_qemu72(&f, 1, 64 * MiB, 1000);
    advance(&f, 1000);
    g_assert_true(has_notice(&f, "the pass counter went back"));
    g_assert_cmpuint(f.actions->len, ==, changes);
    /* someone raises max-bandwidth: no new iteration; the periodic refresh sees it */
    cv_target_fake_change_param(f.target, "max-bandwidth", 512 * MiB);
    advance(&f, f.opts.params_refresh_ms + 1000);
    g_assert_cmpuint(f.actions->len, ==, changes + 1);
    a = &g_array_index(f.actions, CvTunerAction, changes);
    g_test_message("lowered: %s", a->reason);
    g_assert_cmpint(a->kind, ==, CV_DECISION_SET_DOWNTIME_LIMIT);
    g_assert_cmpint(a->result, ==, CV_TUNER_RESULT_APPLIED);
    /* (500 - 50 ms reserve) x 1 GiB/s / 512 MiB/s */
    g_assert_cmpuint(a->value, ==, 900);
    g_assert_cmpuint(a->predicted_blackout_ms, ==, 500);
    g_assert_nonnull(strstr(a->reason, "lowered to 900 ms"));
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 900);
    cv_tuner_detach(f.tuner);
    run_pending();
    g_assert_cmpuint(f.summary.n_epochs, ==, 1);
    fixture_clear(&f);
}

/* ---- issue 7: readings between boundaries ------------------------------------------------- */

/* Iterations of varying length, 50 a second, and ram.remaining's sawtooth: the boundary holds
 * the whole dirty set, then it falls to a twentieth by the iteration's end. The migration
 * converges (the boundary value falls 1 % of its start per second). */
#define SAW_START (G_GUINT64_CONSTANT(4) << 30)

static guint64
saw_boundary(guint64 pass)
{
    return SAW_START - pass * (SAW_START / 5000); /* 50 passes/s: 1 % a second */
}

static void
saw_run(Fixture *f, gboolean events, guint seconds)
{
    static const guint lengths[] = {13, 29, 17, 23, 31, 11, 19, 27, 15, 25};
    guint64 n = 2;
    guint in_pass = 0, k = 0;

    cv_target_fake_emit_status(f->target, CV_MIGRATION_STATUS_ACTIVE);
    for (guint ms = 0; ms < seconds * 1000; ms++) {
        CvSample *s = cv_target_fake_get_sample(f->target);
        gboolean boundary = in_pass == 0;

        if (boundary) {
            CvSample fresh;

            active_sample(&fresh, n, saw_boundary(n), 1910);
            cv_target_fake_set_sample(f->target, &fresh);
            if (events)
                cv_target_fake_emit_pass(f->target, n);
        } else {
            guint len = lengths[k % G_N_ELEMENTS(lengths)];

            cv_field_set(&s->remaining,
                         saw_boundary(n) - saw_boundary(n) / 20 * 19 * in_pass / (len - 1));
        }
        run_pending();
        cv_clock_manual_advance(f->clock, 1);
        run_pending();
        if (++in_pass == lengths[k % G_N_ELEMENTS(lengths)]) {
            in_pass = 0;
            k++;
            n++;
        }
    }
}

/* With migration events, the engine judges what QEMU said at the boundary: every reading it
 * keeps is the boundary value of its pass, and a converging migration is not taken for a
 * stalled one. On main the coalesced queries landed anywhere in an iteration, read low, and
 * the engine saw a stall. */
static void
test_boundary_readings_with_events(void)
{
    Fixture f;
    const CvSample *h;
    guint n = 0;

    fixture_init(&f, FALSE);
    /* the drain of 1 % a second reaches QEMU's threshold in about 9 minutes by the forecast:
     * within this patience, the engine judges it converging from boundary readings, while
     * mid-iteration readings (up to 95 % low) would make it look like anything */
    f.opts.policy.patience_ms = 15 * 60000;
    fixture_start(&f, FALSE);
    saw_run(&f, TRUE, 40);
    h = cv_tuner_get_history(f.tuner, &n);
    g_assert_cmpuint(n, >=, 20);
    for (guint i = 0; i < n; i++) {
        g_test_message("kept pass %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT,
                       h[i].ram_dirty_sync_count.value, h[i].remaining.value);
        g_assert_cmpuint(h[i].remaining.value, ==, saw_boundary(h[i].ram_dirty_sync_count.value));
    }
    for (guint i = 0; i < f.decisions->len; i++)
        g_assert_cmpint(g_array_index(f.decisions, CvDecision, i).verdict, !=, CV_VERDICT_STALLED);
    g_assert_cmpuint(f.actions->len, ==, 0);
    fixture_clear(&f);
}

/* Without events, polls slower than iterations can only read mid-iteration: the reason says
 * so, with how many of the readings judged were. */
static void
test_mid_iteration_said(void)
{
    Fixture f;
    const CvDecision *last;

    fixture_init(&f, FALSE);
    cv_target_fake_set_events(f.target, FALSE);
    fixture_start(&f, FALSE);
    saw_run(&f, FALSE, 30);
    g_assert_cmpuint(f.decisions->len, >=, 10);
    last = &g_array_index(f.decisions, CvDecision, f.decisions->len - 1);
    g_test_message("reason: %s", last->reason);
    g_assert_nonnull(strstr(last->reason, "readings taken mid-iteration"));
    fixture_clear(&f);
}

/* ---- issue 7: timeouts ------------------------------------------------------------------- */

/* The monitor connection stops answering after a change: one retry, then a new connection;
 * tuning goes on there, the next change is made, and the migration completes. On main one
 * timeout ended the session as "QEMU gone". */
static void
test_timeout_then_recovery(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", "set-downtime-limit 3001", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 3001, 3001);
    fixture_start(&f, TRUE);
    start_migration(&f);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 2101);
    cv_target_fake_hang(f.target);
    advance(&f, 3000);
    g_assert_false(f.finished);
    g_assert_cmpuint(cv_target_fake_count(f.target, "close"), ==, 1);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 2);
    g_assert_true(has_notice(&f, "QEMU did not answer"));
    g_assert_true(has_notice(&f, "connection re-opened"));
    /* our change is still ours on the new connection: no "behind us" */
    g_assert_cmpuint(f.n_param_notices, ==, 0);
    pass(&f, 12, 2050846720, 2800);
    advance(&f, 300);
    end_with(&f, CV_MIGRATION_STATUS_COMPLETED);
    g_assert_true(f.finished);
    assert_completed_within_cap(&f);
    g_assert_cmpuint(f.summary.n_reconnects, ==, 1);
    assert_log(&f, expected);
    fixture_clear(&f);
}

/* A change whose reply is lost: after the new connection the tuner reads that QEMU holds it,
 * reports it applied, and restores it on failure. */
static void
test_timeout_lost_reply(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", "set-downtime-limit 300", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    cv_target_fake_lose_reply(f.target, "set-downtime-limit");
    start_migration(&f);
    advance(&f, 1000);
    g_assert_cmpuint(f.actions->len, ==, 1);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_nonnull(strstr(g_array_index(f.actions, CvTunerAction, 0).reason, "reply was lost"));
    g_assert_cmpuint(f.n_param_notices, ==, 0);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    fixture_clear(&f);
}

/* QEMU stops answering and new connections fail too: three tries, further apart each time,
 * then "QEMU gone"; nothing can be restored, and the summary says so. */
static void
test_timeout_unrecoverable(void)
{
    Fixture f;

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    cv_target_fake_hang(f.target);
    cv_target_fake_set_dead(f.target, TRUE);
    /* the next poll times out, its retry too: the first new connection, refused */
    advance(&f, 1000);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 2);
    advance(&f, 1000);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 3);
    advance(&f, 1990);
    g_assert_false(f.finished);
    advance(&f, 20);
    g_assert_true(f.finished);
    g_assert_cmpuint(cv_target_fake_count(f.target, "connect"), ==, 4);
    g_assert_true(has_notice(&f, "next try in 2.0 s"));
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_VANISHED);
    g_assert_true(f.summary.restore_skipped);
    g_assert_cmpuint(f.summary.n_restores, ==, 0);
    fixture_clear(&f);
}

/* A restore that times out is retried on a new connection. */
static void
test_timeout_during_restore(void)
{
    Fixture f;

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    cv_target_fake_fail(f.target, "set-downtime-limit", 1, CV_TARGET_ERROR_TIMEOUT);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    advance(&f, 100);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_FAILED);
    g_assert_cmpuint(f.summary.n_reconnects, ==, 1);
    g_assert_cmpuint(f.summary.n_restores, ==, 1);
    g_assert_cmpint(f.summary.restores[0].result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    fixture_clear(&f);
}

/* ---- issue 7: outside changes in every phase --------------------------------------------- */

/* While connecting: the value found at attach is the baseline, not a change behind us; a
 * restore goes back to it. */
static void
test_outside_while_connecting(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", "set-downtime-limit 700", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    cv_target_fake_change_param_on_read(f.target, "downtime-limit", 700);
    fixture_start(&f, TRUE);
    g_assert_cmpuint(f.n_param_notices, ==, 0);
    start_migration(&f);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(f.n_param_notices, ==, 0);
    fixture_clear(&f);
}

/* While reconnecting: the change shows up in the read on the new connection, is reported, and
 * stays at restore time. */
static void
test_outside_while_reconnecting(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    cv_target_fake_hang(f.target);
    cv_target_fake_change_param_on_read(f.target, "downtime-limit", 4000);
    advance(&f, 3000);
    g_assert_cmpuint(f.summary.n_reconnects + cv_target_fake_count(f.target, "connect"), >=, 2);
    g_assert_true(has_notice(&f, "downtime-limit changed behind us: 2101 -> 4000 ms"));
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(f.summary.n_restores_left_alone, ==, 1);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 4000);
    fixture_clear(&f);
}

/* While watching: the periodic refresh reports it, and the engine's next call sees it. */
static void
test_outside_while_watching(void)
{
    Fixture f;

    fixture_init(&f, TRUE);
    fixture_start(&f, TRUE);
    start_migration(&f);
    cv_target_fake_change_param(f.target, "max-bandwidth", 64 * MiB);
    for (guint i = 0; i < 40; i++) {
        advance(&f, 300);
        pass(&f, 3 + i, 2050846720, 1910);
    }
    g_assert_true(has_notice(&f, "max-bandwidth changed behind us: 128.00 MiB/s -> 64.00 MiB/s"));
    g_assert_cmpuint(f.seen_max_bandwidth.value, ==, 64 * MiB);
    fixture_clear(&f);
}

/* An outside change found by the periodic refresh is judged at once, on the newest boundary,
 * not at the next one: with a slow iteration that could be minutes. */
static void
test_outside_change_judged_at_once(void)
{
    Fixture f;
    guint calls;

    fixture_init(&f, TRUE);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 5000);
    calls = f.n_decide_calls;
    cv_target_fake_change_param(f.target, "max-bandwidth", GiB);
    /* no new iteration; the refresh (every 10 s) sees it */
    advance(&f, 4000);
    g_assert_cmpuint(f.n_decide_calls, ==, calls);
    advance(&f, 2000);
    g_assert_cmpuint(f.n_decide_calls, ==, calls + 1);
    g_assert_cmpuint(f.seen_max_bandwidth.value, ==, GiB);
    /* the same iteration, judged again: the record says so with the new parameters */
    g_assert_cmpuint(g_array_index(f.limits, CvU64Field, f.limits->len - 1).value, ==, 300);
    fixture_clear(&f);
}

/* While our change is in flight: theirs lands right after ours. Our reply says ours took; the
 * next read shows theirs, reports it, and the restore leaves it. */
static void
test_outside_while_change_in_flight(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", NULL};

    fixture_init(&f, TRUE);
    f.raise_to = 2101; /* like the engine: raises, never lowers a value it did not set */
    fixture_start(&f, TRUE);
    cv_target_fake_change_param_after(f.target, "set-downtime-limit", "downtime-limit", 5000);
    start_migration(&f);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_APPLIED);
    advance(&f, 11000); /* a periodic refresh */
    g_assert_true(has_notice(&f, "downtime-limit changed behind us: 2101 -> 5000 ms"));
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(f.summary.n_restores_left_alone, ==, 1);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 5000);
    fixture_clear(&f);
}

/* While restoring: the change lands before the restore's own read answers; it stays. */
static void
test_outside_while_restoring(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    fixture_start(&f, TRUE);
    start_migration(&f);
    cv_target_fake_change_param_on_read(f.target, "downtime-limit", 900);
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    assert_log(&f, expected);
    g_assert_cmpuint(f.summary.n_restores_left_alone, ==, 1);
    g_assert_true(has_notice(&f, "downtime-limit changed behind us: 2101 -> 900 ms"));
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 900);
    fixture_clear(&f);
}

/* ---- issue 7: restores ------------------------------------------------------------------- */

/* --keep is about parameters: the guest the tuner paused runs again when it stops watching.
 * On main it stayed paused. */
static void
test_keep_resumes_paused_guest(void)
{
    Fixture f;
    const gchar *const expected[] = {"set-downtime-limit 2101", "stop", "cont", NULL};

    fixture_init(&f, TRUE);
    f.opts.keep = TRUE;
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 2101);
    script_add(&f, CV_DECISION_PAUSE_GUEST, 0, 0);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 1910);
    advance(&f, 300);
    g_assert_true(cv_target_fake_is_paused(f.target));
    cv_tuner_detach(f.tuner);
    run_pending();
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_DETACHED);
    assert_log(&f, expected);
    g_assert_false(cv_target_fake_is_paused(f.target));
    /* the parameters stay, as --keep says */
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 2101);
    g_assert_true(f.summary.restore_skipped);
    fixture_clear(&f);
}

/* The policy paused the guest, then aborted: QEMU does not restart a guest that was stopped
 * before migrate_cancel, so the restore resumes it (main left it paused). */
static void
test_abort_resumes_paused_guest(void)
{
    Fixture f;
    const gchar *const expected[] = {"stop", "cancel", "cont", NULL};

    fixture_init(&f, TRUE);
    script_add(&f, CV_DECISION_PAUSE_GUEST, 0, 0);
    script_add(&f, CV_DECISION_ABORT, 0, 0);
    fixture_start(&f, TRUE);
    start_migration(&f);
    advance(&f, 300);
    pass(&f, 3, 2050846720, 1910);
    advance(&f, 300);
    g_assert_cmpuint(cv_target_fake_count(f.target, "cancel"), ==, 1);
    end_with(&f, CV_MIGRATION_STATUS_CANCELLED);
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_ABORTED);
    assert_log(&f, expected);
    g_assert_false(cv_target_fake_is_paused(f.target));
    fixture_clear(&f);
}

/* ---- issue 7: the cap -------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    guint64 max_bandwidth;    /* at the decision */
    guint64 max_bandwidth_rd; /* what the re-read before the change shows; 0 = unchanged */
    guint64 limit;
    guint64 predicted; /* the engine's claim */
    gboolean applied;
} IndependentCapRow;

/* cap 500 ms, QEMU 7.2, stated rate 1 GiB/s */
static const IndependentCapRow independent_cap_rows[] = {
    /* issue 7: the engine claimed 500 ms for 5360 ms while the precopy rate was low */
    {"momentary-rate-claim", GiB, 0, 5360, 500, FALSE},
    /* the throttled case the rule exists for: 1100 ms at 64 MiB/s, 69 ms of blackout */
    {"throttled", 64 * MiB, 0, 1100, 69, TRUE},
    /* someone raised max-bandwidth between the decision and the re-read: refused on the fresh
     * value although the engine's claim was right for the old one */
    {"max-bandwidth-raised-meanwhile", 64 * MiB, GiB, 1100, 69, FALSE},
};

/* The actuator checks a limit above the cap on its own, from the policy and the parameters it
 * just re-read; it does not take the engine's word. */
static void
test_independent_cap(gconstpointer data)
{
    const IndependentCapRow *row = data;
    Fixture f;
    CvParams p;

    fixture_init(&f, TRUE);
    f.opts.policy.max_downtime_ms = 500;
    f.opts.policy.switchover_bandwidth = GiB;
    p = *cv_target_fake_get_params(f.target);
    p.avail_switchover_bandwidth.state = CV_FIELD_ABSENT;
    cv_field_set(&p.max_bandwidth, row->max_bandwidth);
    cv_target_fake_set_params(f.target, &p);
    script_add(&f, CV_DECISION_SET_DOWNTIME_LIMIT, row->limit, row->predicted);
    fixture_start(&f, TRUE);
    if (row->max_bandwidth_rd > 0)
        cv_target_fake_change_param_on_read(f.target, "max-bandwidth", row->max_bandwidth_rd);
    if (!row->applied)
        g_test_expect_message("cv-agent", G_LOG_LEVEL_WARNING, "refusing the engine's decision*");
    start_migration(&f);
    g_test_assert_expected_messages();
    g_assert_cmpuint(f.actions->len, ==, 1);
    if (row->applied) {
        g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==,
                        CV_TUNER_RESULT_APPLIED);
        g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==,
                         row->limit);
    } else {
        g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==,
                        CV_TUNER_RESULT_REFUSED);
        g_assert_nonnull(strstr(g_array_index(f.actions, CvTunerAction, 0).error, "blackout"));
        g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
    }
    fixture_clear(&f);
}

/* A migration that completes with an achieved downtime above the cap: the summary and the exit
 * status say so, and a warning is logged. On main it was "completed", exit 0. */
static void
test_cap_broken(void)
{
    Fixture f;
    CvSample *s;

    fixture_init(&f, TRUE);
    f.opts.policy.max_downtime_ms = 500;
    fixture_start(&f, TRUE);
    start_migration(&f);
    s = cv_target_fake_get_sample(f.target);
    s->status = CV_MIGRATION_STATUS_COMPLETED;
    cv_field_set(&s->downtime_ms, 1299);
    cv_field_set(&s->total_time_ms, 130000);
    g_test_expect_message("cv-agent", G_LOG_LEVEL_WARNING,
                          "*the guest was paused 1299 ms, above the policy's cap of 500 ms*");
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_COMPLETED);
    run_pending();
    g_test_assert_expected_messages();
    g_assert_true(f.finished);
    g_assert_cmpint(f.summary.outcome, ==, CV_TUNER_OUTCOME_CAP_BROKEN);
    g_assert_cmpint(cv_tuner_outcome_to_exit_code(f.summary.outcome), ==, 8);
    g_assert_true(f.summary.cap_broken);
    g_assert_cmpuint(f.summary.downtime_ms.value, ==, 1299);
    g_assert_cmpuint(f.summary.max_downtime_ms, ==, 500);
    fixture_clear(&f);
}

/* ---- no callback into a freed tuner ------------------------------------------------------- */

/* Freed with a query, a re-read and a change in flight, and the context iterated before the
 * target goes: nothing reaches the freed tuner or its parts (ASan sees it otherwise). */
static void
test_free_with_operations_in_flight(void)
{
    Fixture f;

    fixture_init(&f, TRUE);
    f.raise_to = 2101;
    fixture_start(&f, TRUE);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    pass(&f, 2, 2050846720, 1910);
    cv_target_fake_hold(f.target, TRUE);
    pass(&f, 3, 2050846720, 1910);
    cv_target_fake_emit_status(f.target, CV_MIGRATION_STATUS_ACTIVE);
    advance(&f, 11000);
    g_clear_pointer(&f.tuner, cv_tuner_free);
    cv_target_fake_hold(f.target, FALSE);
    run_pending();
    advance(&f, 5000);
    fixture_clear(&f);
}

/* ---- the clocks ------------------------------------------------------------------------ */

static gboolean
count_cb(gpointer user_data)
{
    (*(guint *)user_data)++;
    return G_SOURCE_CONTINUE;
}

/* A manual clock's timers fire when the clock is advanced past them, never by themselves. */
static void
test_clock_manual(void)
{
    g_autoptr(CvClock) clock = cv_clock_new_manual(500);
    guint fired = 0;
    GSource *source;

    g_assert_cmpint(cv_clock_now_ms(clock), ==, 500);
    source = cv_clock_timeout_add(clock, NULL, 100, count_cb, &fired);
    run_pending();
    g_assert_cmpuint(fired, ==, 0);
    cv_clock_manual_advance(clock, 99);
    run_pending();
    g_assert_cmpuint(fired, ==, 0);
    cv_clock_manual_advance(clock, 1);
    run_pending();
    g_assert_cmpuint(fired, ==, 1);
    /* re-armed from the time it fired */
    cv_clock_manual_advance(clock, 100);
    run_pending();
    g_assert_cmpuint(fired, ==, 2);
    g_assert_cmpint(cv_clock_now_ms(clock), ==, 700);
    g_source_destroy(source);
}

/* A scaled clock waits 1/speed of real time for each of its ms, and never goes back. */
static void
test_clock_scaled(void)
{
    g_autoptr(CvClock) scaled = cv_clock_new_scaled(50.0);
    g_autoptr(CvClock) real = cv_clock_new_monotonic();
    gint64 a, b;

    g_assert_cmpint(scaled->klass->to_real_ms(scaled, 1000), ==, 20);
    g_assert_cmpint(scaled->klass->to_real_ms(scaled, 1), ==, 1); /* rounded up, not 0 */
    g_assert_cmpint(scaled->klass->to_real_ms(scaled, 0), ==, 0);
    g_assert_cmpint(real->klass->to_real_ms(real, 1000), ==, 1000);
    a = cv_clock_now_ms(scaled);
    g_assert_cmpint(a, >=, 0);
    g_usleep(2000);
    b = cv_clock_now_ms(scaled);
    g_assert_cmpint(b, >, a); /* 2 ms real are at least 100 ms of this clock */
}

static void
add_rows(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(restore_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner/restore/%s", restore_rows[i].name);

        g_test_add_data_func(path, &restore_rows[i], test_restore);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(detach_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner/detach/%s", detach_rows[i].name);

        g_test_add_data_func(path, &detach_rows[i], test_detach);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(cap_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner/cap/%s", cap_rows[i].name);

        g_test_add_data_func(path, &cap_rows[i], test_cap);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(vanish_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner/vanish/%s", vanish_rows[i].name);

        g_test_add_data_func(path, &vanish_rows[i], test_vanish);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(outside_restore_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/tuner/outside/restore/%s", outside_restore_rows[i].name);

        g_test_add_data_func(path, &outside_restore_rows[i], test_outside_change_restore);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(independent_cap_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/tuner/independent-cap/%s", independent_cap_rows[i].name);

        g_test_add_data_func(path, &independent_cap_rows[i], test_independent_cap);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(garbage_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner/garbage/%s", garbage_rows[i].name);

        g_test_add_data_func(path, &garbage_rows[i], test_garbage);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clock/manual", test_clock_manual);
    g_test_add_func("/clock/scaled", test_clock_scaled);
    g_test_add_func("/tuner/attach", test_attach);
    g_test_add_func("/tuner/start-timeout", test_start_timeout);
    g_test_add_func("/tuner/connect-failure", test_connect_failure);
    g_test_add_func("/tuner/stale-final-status", test_stale_final_status);
    g_test_add_func("/tuner/start-uri", test_start_uri);
    g_test_add_func("/tuner/completed-stats-late", test_completed_stats_late);
    g_test_add_func("/tuner/completed-stats-never", test_completed_stats_never);
    g_test_add_func("/tuner/coalesce/burst", test_coalesce_burst);
    g_test_add_func("/tuner/coalesce/rate", test_coalesce_rate);
    g_test_add_func("/tuner/history-bounded", test_history_bounded);
    g_test_add_func("/tuner/boundaries-only", test_boundaries_only);
    g_test_add_func("/tuner/sparse-boundaries", test_sparse_boundaries);
    g_test_add_func("/tuner/apply-and-complete", test_apply_and_complete);
    g_test_add_func("/tuner/dry-run", test_dry_run);
    g_test_add_func("/tuner/dry-run-folds-repeats", test_dry_run_folds_repeats);
    g_test_add_func("/tuner/restore-failure-reported", test_restore_failure_reported);
    g_test_add_func("/tuner/policy-abort", test_policy_abort);
    g_test_add_func("/tuner/detach-during-action", test_detach_during_action);
    g_test_add_func("/tuner/switchover-unsupported", test_switchover_unsupported);
    g_test_add_func("/tuner/query-errors", test_query_errors);
    g_test_add_func("/tuner/restore-unknown-original", test_restore_unknown_original);
    g_test_add_func("/tuner/outside/raise-before-change", test_outside_raise_before_change);
    g_test_add_func("/tuner/outside/raise-redecides", test_outside_raise_redecides);
    g_test_add_func("/tuner/outside/restore-to-value-before-first-change",
                    test_restore_to_value_before_first_change);
    g_test_add_func("/tuner/outside/reread-before-every-change", test_reread_before_every_change);
    g_test_add_func("/tuner/outside/reread-coalesced", test_reread_coalesced);
    g_test_add_func("/tuner/outside/reread-failure", test_reread_failure);
    g_test_add_func("/tuner/outside/restore-reread-failure", test_restore_reread_failure);
    g_test_add_func("/tuner/outside/dry-run", test_outside_change_dry_run);
    g_test_add_func("/tuner/outside/refresh-bounded", test_refresh_bounded);
    g_test_add_func("/tuner/epoch/counter-regression", test_counter_regression);
    g_test_add_func("/tuner/epoch/counter-regression-engine", test_counter_regression_engine);
    g_test_add_func("/tuner/epoch/keeps-ours", test_epoch_keeps_ours);
    g_test_add_func("/tuner/boundary/readings-with-events", test_boundary_readings_with_events);
    g_test_add_func("/tuner/boundary/mid-iteration-said", test_mid_iteration_said);
    g_test_add_func("/tuner/timeout/recovery", test_timeout_then_recovery);
    g_test_add_func("/tuner/timeout/lost-reply", test_timeout_lost_reply);
    g_test_add_func("/tuner/timeout/unrecoverable", test_timeout_unrecoverable);
    g_test_add_func("/tuner/timeout/during-restore", test_timeout_during_restore);
    g_test_add_func("/tuner/outside/phase/connecting", test_outside_while_connecting);
    g_test_add_func("/tuner/outside/phase/reconnecting", test_outside_while_reconnecting);
    g_test_add_func("/tuner/outside/phase/watching", test_outside_while_watching);
    g_test_add_func("/tuner/outside/phase/change-in-flight", test_outside_while_change_in_flight);
    g_test_add_func("/tuner/outside/judged-at-once", test_outside_change_judged_at_once);
    g_test_add_func("/tuner/outside/phase/restoring", test_outside_while_restoring);
    g_test_add_func("/tuner/keep-resumes-paused-guest", test_keep_resumes_paused_guest);
    g_test_add_func("/tuner/abort-resumes-paused-guest", test_abort_resumes_paused_guest);
    g_test_add_func("/tuner/cap-broken", test_cap_broken);
    g_test_add_func("/tuner/free-with-operations-in-flight", test_free_with_operations_in_flight);
    add_rows();
    return g_test_run();
}
