/* The tuner's hooks for a daemon, against the scripted fake target and a manual clock: the gate
 * asked before every change leaves (and only then), holding or refusing it; watch-only after a
 * yield (no change but lowering our own limit, restores still done); adoption of what an
 * earlier tuner changed (ours restored, someone else's left alone); a new policy in flight. */
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
    GArray *actions;  /* CvTunerAction from ACTION records */
    GArray *restores; /* CvTunerAction from RESTORE records */
    GPtrArray *notices;
    CvTunerSummary summary;
    gboolean finished;
    /* scripted decisions, one per evaluation; the last one repeats */
    CvDecision script[8];
    guint n_script;
    guint script_pos;
    guint n_decide_calls;
    CvPolicy seen_policy;
    CvPolicyHistory seen_history;
    /* the gate */
    guint n_gate;
    guint hold_first; /* hold this many, then proceed */
    gboolean refuse;
    CvU64Field gate_saw_current; /* what QEMU held when the gate was asked */
    CvU64Field gate_saw_original;
    guint64 gate_saw_value;
} Fixture;

static void
record_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Fixture *f = user_data;

    g_assert_false(f->finished);
    switch (record->kind) {
    case CV_TUNER_RECORD_ACTION:
        g_array_append_val(f->actions, *record->action);
        break;
    case CV_TUNER_RECORD_RESTORE:
        g_array_append_val(f->restores, *record->action);
        break;
    case CV_TUNER_RECORD_NOTICE:
        g_ptr_array_add(f->notices, g_strdup(record->message));
        break;
    case CV_TUNER_RECORD_SUMMARY:
        f->summary = *record->summary;
        f->finished = TRUE;
        break;
    case CV_TUNER_RECORD_ATTACH:
    case CV_TUNER_RECORD_SAMPLE:
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

    f->n_decide_calls++;
    f->seen_policy = *policy;
    f->seen_history = *history;
    if (f->n_script == 0) {
        d.verdict = CV_VERDICT_CONVERGING;
        return d;
    }
    d = f->script[MIN(f->script_pos, f->n_script - 1)];
    f->script_pos++;
    return d;
}

static CvTunerGate
gate_cb(CvTuner *tuner, const CvTunerChange *change, gchar *why, gsize why_len, gpointer user_data)
{
    Fixture *f = user_data;

    f->n_gate++;
    f->gate_saw_value = change->decision->value;
    f->gate_saw_current = cv_target_fake_get_params(f->target)->downtime_limit_ms;
    f->gate_saw_original = change->original->downtime_limit_ms;
    g_assert_cmpuint(change->current->downtime_limit_ms.value, ==, f->gate_saw_current.value);
    if (f->refuse) {
        g_strlcpy(why, "cannot write the state record (test)", why_len);
        return CV_TUNER_GATE_REFUSE;
    }
    if (f->n_gate <= f->hold_first) {
        g_strlcpy(why, "the link is busy (test)", why_len);
        return CV_TUNER_GATE_HOLD;
    }
    return CV_TUNER_GATE_PROCEED;
}

static void
script_set(Fixture *f, guint64 value)
{
    CvDecision *d = &f->script[f->n_script++];

    memset(d, 0, sizeof(*d));
    d->kind = CV_DECISION_SET_DOWNTIME_LIMIT;
    d->value = value;
    d->verdict = CV_VERDICT_STALLED;
    d->predicted_blackout_ms = value;
    d->source = CV_ESTIMATE_QEMU_ALL_DEVICES;
    g_snprintf(d->reason, sizeof(d->reason), "scripted %" G_GUINT64_FORMAT, value);
}

static void
run_pending(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
advance(Fixture *f, gint64 ms)
{
    for (gint64 done = 0; done < ms; done += 10) {
        cv_clock_manual_advance(f->clock, MIN(10, ms - done));
        run_pending();
    }
}

static void
fixture_init(Fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->clock = cv_clock_new_manual(1000000);
    f->target = cv_target_fake_new(NULL);
    cv_tuner_options_init(&f->opts);
    f->opts.policy.max_downtime_ms = 5000;
    f->opts.start_timeout_ms = 0;
    f->actions = g_array_new(FALSE, TRUE, sizeof(CvTunerAction));
    f->restores = g_array_new(FALSE, TRUE, sizeof(CvTunerAction));
    f->notices = g_ptr_array_new_with_free_func(g_free);
}

static void
fixture_create(Fixture *f)
{
    f->tuner = cv_tuner_new(f->target, f->clock, &f->opts);
    cv_tuner_set_record_func(f->tuner, record_cb, f);
    cv_tuner_set_decide_func(f->tuner, scripted_decide, f);
}

static void
fixture_start(Fixture *f)
{
    if (f->tuner == NULL)
        fixture_create(f);
    cv_tuner_start(f->tuner);
    run_pending();
}

static void
fixture_clear(Fixture *f)
{
    g_clear_pointer(&f->tuner, cv_tuner_free);
    g_clear_pointer(&f->target, cv_target_free);
    g_clear_pointer(&f->clock, cv_clock_free);
    g_array_unref(f->actions);
    g_array_unref(f->restores);
    g_ptr_array_unref(f->notices);
    run_pending();
}

static void
pass(Fixture *f, guint64 n)
{
    CvSample s;

    cv_sample_init(&s);
    s.status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s.ram_dirty_sync_count, n);
    cv_field_set(&s.remaining, 2 * GiB);
    cv_field_set(&s.ram_remaining, 16 * MiB);
    cv_field_set(&s.ram_total, 32 * GiB);
    cv_field_set(&s.expected_downtime_ms, 3000);
    cv_field_set(&s.total_time_ms, 300000);
    cv_target_fake_set_sample(f->target, &s);
    cv_target_fake_emit_pass(f->target, n);
    run_pending();
    advance(f, 300);
}

static void
end_with(Fixture *f, CvMigrationStatus status)
{
    cv_target_fake_get_sample(f->target)->status = status;
    cv_target_fake_emit_status(f->target, status);
    run_pending();
    advance(f, 100);
}

static guint64
fake_limit(Fixture *f)
{
    return cv_target_fake_get_params(f->target)->downtime_limit_ms.value;
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

/* ---- the gate ----------------------------------------------------------------------------- */

/* Asked once per change, before the command leaves: QEMU still holds the old value, and the
 * gate is told the value found before our first change. */
static void
test_gate_before_change(void)
{
    Fixture f;

    fixture_init(&f);
    script_set(&f, 2100);
    fixture_create(&f);
    cv_tuner_set_gate_func(f.tuner, gate_cb, &f);
    fixture_start(&f);
    pass(&f, 2);
    g_assert_cmpuint(f.n_gate, ==, 1);
    g_assert_cmpuint(f.gate_saw_value, ==, 2100);
    g_assert_cmpuint(f.gate_saw_current.value, ==, 300);
    g_assert_cmpuint(f.gate_saw_original.value, ==, 300);
    g_assert_cmpuint(fake_limit(&f), ==, 2100);
    /* restores do not ask the gate */
    end_with(&f, CV_MIGRATION_STATUS_CANCELLED);
    g_assert_true(f.finished);
    g_assert_cmpuint(fake_limit(&f), ==, 300);
    g_assert_cmpuint(f.n_gate, ==, 1);
    fixture_clear(&f);
}

/* Held: nothing sent, HELD reported with the reason, decided again at the next evaluation. */
static void
test_gate_hold(void)
{
    Fixture f;

    fixture_init(&f);
    f.hold_first = 2;
    script_set(&f, 2100);
    fixture_create(&f);
    cv_tuner_set_gate_func(f.tuner, gate_cb, &f);
    fixture_start(&f);
    pass(&f, 2);
    pass(&f, 3);
    g_assert_cmpuint(f.n_gate, ==, 2);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
    g_assert_cmpuint(fake_limit(&f), ==, 300);
    g_assert_cmpuint(f.actions->len, ==, 2);
    for (guint i = 0; i < 2; i++) {
        const CvTunerAction *a = &g_array_index(f.actions, CvTunerAction, i);

        g_assert_cmpint(a->result, ==, CV_TUNER_RESULT_HELD);
        g_assert_cmpstr(a->error, ==, "the link is busy (test)");
        g_assert_cmpstr(cv_tuner_result_to_string(a->result), ==, "held");
    }
    /* a held change is not the engine's: its history has no change of ours */
    pass(&f, 4);
    g_assert_cmpuint(f.seen_history.our_downtime_limit_ms, ==, 0);
    g_assert_cmpuint(f.n_gate, ==, 3);
    g_assert_cmpuint(fake_limit(&f), ==, 2100);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 2).result, ==, CV_TUNER_RESULT_APPLIED);
    fixture_clear(&f);
}

static void
test_gate_refuse(void)
{
    Fixture f;

    fixture_init(&f);
    f.refuse = TRUE;
    script_set(&f, 2100);
    fixture_create(&f);
    cv_tuner_set_gate_func(f.tuner, gate_cb, &f);
    fixture_start(&f);
    pass(&f, 2);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
    g_assert_cmpuint(f.actions->len, ==, 1);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_REFUSED);
    g_assert_cmpstr(g_array_index(f.actions, CvTunerAction, 0).error, ==,
                    "cannot write the state record (test)");
    /* nothing of ours: nothing to restore */
    end_with(&f, CV_MIGRATION_STATUS_FAILED);
    g_assert_true(f.finished);
    g_assert_cmpuint(f.summary.n_restores, ==, 0);
    fixture_clear(&f);
}

/* A dry run never asks: nothing leaves anyway. */
static void
test_gate_dry_run(void)
{
    Fixture f;

    fixture_init(&f);
    f.opts.dry_run = TRUE;
    script_set(&f, 2100);
    fixture_create(&f);
    cv_tuner_set_gate_func(f.tuner, gate_cb, &f);
    fixture_start(&f);
    pass(&f, 2);
    g_assert_cmpuint(f.n_gate, ==, 0);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_DRY_RUN);
    fixture_clear(&f);
}

/* ---- watch-only --------------------------------------------------------------------------- */

static void
test_watch_only(void)
{
    Fixture f;

    fixture_init(&f);
    script_set(&f, 2100);
    script_set(&f, 2600); /* a raise: not while watching only */
    script_set(&f, 1500); /* lowering our own limit: a bound requires it, it goes */
    script_set(&f, 1500);
    fixture_start(&f);
    pass(&f, 2);
    g_assert_cmpuint(fake_limit(&f), ==, 2100);
    cv_tuner_set_watch_only(f.tuner, TRUE, "someone else changed max-bandwidth (test)");
    g_assert_true(cv_tuner_is_watch_only(f.tuner));
    g_assert_true(has_notice(&f, "watching only, no more changes: someone else changed"));
    pass(&f, 3);
    g_assert_cmpuint(f.n_decide_calls, ==, 2);
    g_assert_cmpuint(fake_limit(&f), ==, 2100);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 1);
    g_assert_cmpuint(f.actions->len, ==, 1);
    pass(&f, 4);
    g_assert_cmpuint(fake_limit(&f), ==, 1500);
    /* ours is still restored */
    end_with(&f, CV_MIGRATION_STATUS_CANCELLED);
    g_assert_true(f.finished);
    g_assert_cmpuint(fake_limit(&f), ==, 300);
    g_assert_cmpuint(f.summary.n_restores, ==, 1);
    fixture_clear(&f);
}

/* A lowering is not ours to make on someone else's limit, watching only or not. */
static void
test_watch_only_theirs(void)
{
    Fixture f;

    fixture_init(&f);
    script_set(&f, 2100);
    script_set(&f, 1500);
    fixture_start(&f);
    pass(&f, 2);
    cv_target_fake_change_param(f.target, "downtime-limit", 2500);
    cv_tuner_set_watch_only(f.tuner, TRUE, NULL);
    pass(&f, 3);
    g_assert_cmpuint(fake_limit(&f), ==, 2500);
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 1);
    /* back to tuning: the next decision goes out again */
    cv_tuner_set_watch_only(f.tuner, FALSE, "test");
    g_assert_true(has_notice(&f, "tuning again: test"));
    fixture_clear(&f);
}

/* ---- adoption ----------------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    guint64 held; /* what QEMU holds when the new tuner attaches */
    guint64 ours[2];
    guint n_ours;
    gboolean original_known;
    CvMigrationStatus end;
    guint64 after;       /* downtime-limit after the end */
    gint restore_result; /* -1: no restore entry */
    guint64 engine_ours; /* the engine's our_downtime_limit_ms */
} AdoptRow;

static const AdoptRow adopt_rows[] = {
    /* QEMU holds our last value: restored on failure */
    {"ours-restored",
     800,
     {700, 800},
     2,
     TRUE,
     CV_MIGRATION_STATUS_CANCELLED,
     300,
     CV_TUNER_RESULT_APPLIED,
     800},
    /* an older value of ours (a change whose reply was lost before the crash) */
    {"older-ours-restored",
     700,
     {700, 800},
     2,
     TRUE,
     CV_MIGRATION_STATUS_FAILED,
     300,
     CV_TUNER_RESULT_APPLIED,
     700},
    /* someone else's value since: theirs stays */
    {"theirs-left",
     950,
     {800, 0},
     1,
     TRUE,
     CV_MIGRATION_STATUS_FAILED,
     950,
     CV_TUNER_RESULT_LEFT_ALONE,
     0},
    /* already back at the original (libvirt resets it when its job ends): nothing to do */
    {"original-back", 300, {800, 0}, 1, TRUE, CV_MIGRATION_STATUS_CANCELLED, 300, -1, 0},
    /* completed: nothing is restored */
    {"completed", 800, {800, 0}, 1, TRUE, CV_MIGRATION_STATUS_COMPLETED, 800, -1, 800},
    /* the record did not know the original: ours cannot be undone, said so */
    {"original-unknown",
     800,
     {800, 0},
     1,
     FALSE,
     CV_MIGRATION_STATUS_FAILED,
     800,
     CV_TUNER_RESULT_REFUSED,
     800},
};

static void
test_adopt(gconstpointer data)
{
    const AdoptRow *row = data;
    Fixture f;
    CvTunerAdoption adoption = {0};

    fixture_init(&f);
    cv_target_fake_change_param(f.target, "downtime-limit", row->held);
    if (row->original_known)
        cv_field_set(&adoption.downtime_limit.original, 300);
    adoption.downtime_limit.ours = row->ours;
    adoption.downtime_limit.n_ours = row->n_ours;
    fixture_create(&f);
    cv_tuner_adopt(f.tuner, &adoption);
    fixture_start(&f);
    g_assert_true(has_notice(&f, "adopted: downtime-limit"));
    pass(&f, 40);
    g_assert_cmpuint(f.seen_history.our_downtime_limit_ms, ==, row->engine_ours);
    g_assert_cmpuint(f.seen_history.original_downtime_limit_ms, ==, row->original_known ? 300 : 0);
    end_with(&f, row->end);
    g_assert_true(f.finished);
    g_assert_cmpuint(fake_limit(&f), ==, row->after);
    if (row->restore_result < 0) {
        g_assert_cmpuint(f.restores->len, ==, 0);
    } else {
        g_assert_cmpuint(f.restores->len, ==, 1);
        g_assert_cmpint(g_array_index(f.restores, CvTunerAction, 0).result, ==,
                        row->restore_result);
    }
    fixture_clear(&f);
}

/* ---- a new policy in flight --------------------------------------------------------------- */

static void
test_set_policy(void)
{
    Fixture f;
    CvPolicy lower;
    guint calls;

    fixture_init(&f);
    f.opts.policy.switchover_bandwidth = 0;
    script_set(&f, 3000);
    script_set(&f, 1800); /* what the engine does when the cap went below our limit */
    script_set(&f, 2500); /* above the new cap: the actuator refuses it on its own */
    fixture_start(&f);
    pass(&f, 2);
    g_assert_cmpuint(fake_limit(&f), ==, 3000);
    lower = f.opts.policy;
    lower.max_downtime_ms = 2000;
    calls = f.n_decide_calls;
    /* judged again at once (no new iteration), with the new policy */
    cv_tuner_set_policy(f.tuner, &lower);
    run_pending();
    g_assert_cmpuint(f.n_decide_calls, ==, calls + 1);
    g_assert_cmpuint(f.seen_policy.max_downtime_ms, ==, 2000);
    g_assert_cmpuint(cv_tuner_get_policy(f.tuner)->max_downtime_ms, ==, 2000);
    g_assert_true(has_notice(&f, "changed: tuning with its new version"));
    g_assert_cmpuint(fake_limit(&f), ==, 1800);
    g_test_expect_message("cv-agent", G_LOG_LEVEL_WARNING, "refusing the engine's decision*");
    pass(&f, 3);
    g_test_assert_expected_messages();
    g_assert_cmpuint(fake_limit(&f), ==, 1800);
    g_assert_cmpint(g_array_index(f.actions, CvTunerAction, f.actions->len - 1).result, ==,
                    CV_TUNER_RESULT_REFUSED);
    f.n_script = 0; /* nothing more to decide */
    end_with(&f, CV_MIGRATION_STATUS_COMPLETED);
    g_assert_true(f.finished);
    g_assert_cmpuint(f.summary.max_downtime_ms, ==, 2000);
    fixture_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tuner-hooks/gate/before-change", test_gate_before_change);
    g_test_add_func("/tuner-hooks/gate/hold", test_gate_hold);
    g_test_add_func("/tuner-hooks/gate/refuse", test_gate_refuse);
    g_test_add_func("/tuner-hooks/gate/dry-run", test_gate_dry_run);
    g_test_add_func("/tuner-hooks/watch-only/ours", test_watch_only);
    g_test_add_func("/tuner-hooks/watch-only/theirs", test_watch_only_theirs);
    for (gsize i = 0; i < G_N_ELEMENTS(adopt_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/tuner-hooks/adopt/%s", adopt_rows[i].name);

        g_test_add_data_func(path, &adopt_rows[i], test_adopt);
    }
    g_test_add_func("/tuner-hooks/set-policy", test_set_policy);
    return g_test_run();
}
