/* CvRestoreLedger: the pure rule (original, ours, fresh) -> undo / skip / left alone / left alone
 * unverified / no original, one GTest path per row; then the walk through a fake target. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-restore-ledger.h"
#include "cv-target-fake.h"

#define NO_READING G_MAXUINT64 /* fresh: the re-read failed */
#define ABSENT (G_MAXUINT64 - 1)
#define INVALID (G_MAXUINT64 - 2)

typedef struct {
    const gchar *name;
    guint64 original;
    guint64 ours;
    guint64 fresh;
    CvRestoreVerdict verdict;
} DecideRow;

static const DecideRow decide_rows[] = {
    /* QEMU still holds what we set: undo it */
    {"ours-undo", 300, 2101, 2101, CV_RESTORE_UNDO},
    /* already back where it was: our change did not take, or someone put it back */
    {"back-at-original", 300, 2101, 300, CV_RESTORE_SKIP},
    {"never-took-at-original", 300, ABSENT, 300, CV_RESTORE_SKIP},
    /* someone raised it after us, or lowered it: theirs stays */
    {"raised-after-us", 300, 2101, 5000, CV_RESTORE_LEFT_ALONE},
    {"lowered-after-us", 300, 2101, 1000, CV_RESTORE_LEFT_ALONE},
    /* our change never took and someone else set a value */
    {"ours-never-took", 300, ABSENT, 1000, CV_RESTORE_LEFT_ALONE},
    /* no reading: whatever holds now stays, however sure we were */
    {"no-reading", 300, 2101, NO_READING, CV_RESTORE_UNVERIFIED},
    {"garbage-reading", 300, 2101, INVALID, CV_RESTORE_UNVERIFIED},
    {"absent-reading", 300, 2101, ABSENT, CV_RESTORE_UNVERIFIED},
    /* nothing to restore to */
    {"no-original", ABSENT, 2101, 2101, CV_RESTORE_NO_ORIGINAL},
    {"no-original-no-reading", INVALID, 2101, NO_READING, CV_RESTORE_NO_ORIGINAL},
    /* an original of 0 (avail-switchover-bandwidth unset) is a value like any other */
    {"zero-original", 0, 1073741824, 1073741824, CV_RESTORE_UNDO},
};

static CvU64Field
field(guint64 v)
{
    CvU64Field f = {0};

    if (v == ABSENT)
        f.state = CV_FIELD_ABSENT;
    else if (v == INVALID)
        f.state = CV_FIELD_INVALID;
    else
        cv_field_set(&f, v);
    return f;
}

static void
test_decide(gconstpointer data)
{
    const DecideRow *row = data;
    CvU64Field original = field(row->original), ours = field(row->ours), fresh = field(row->fresh);

    g_assert_cmpstr(cv_restore_verdict_to_string(cv_restore_decide(
                        &original, &ours, row->fresh == NO_READING ? NULL : &fresh)),
                    ==, cv_restore_verdict_to_string(row->verdict));
}

/* ---- the walk ---------------------------------------------------------------------------- */

typedef struct {
    GArray *entries; /* CvTunerAction */
    gboolean done;
    GError *error;
} Walk;

static void
entry_cb(CvRestoreLedger *ledger, CvTunerAction *entry, gpointer user_data)
{
    Walk *w = user_data;

    g_array_append_val(w->entries, *entry);
}

static void
done_cb(CvRestoreLedger *ledger, const GError *error, gpointer user_data)
{
    Walk *w = user_data;

    w->done = TRUE;
    g_clear_error(&w->error);
    if (error != NULL)
        w->error = g_error_copy(error);
}

static void
run_until_done(Walk *w)
{
    while (!w->done)
        g_main_context_iteration(NULL, TRUE);
}

static CvTarget *
connected_fake(void)
{
    CvTarget *target = cv_target_fake_new(NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(cv_target_connect_sync(target, &error));
    return target;
}

/* Both parameters ours, a guest we paused: undone in order, a failure reported and the next
 * one still done. */
static void
test_walk_in_order(void)
{
    g_autoptr(CvTarget) target = connected_fake();
    g_autoptr(CvRestoreLedger) ledger = cv_restore_ledger_new(target);
    Walk w = {g_array_new(FALSE, TRUE, sizeof(CvTunerAction)), FALSE, NULL};
    CvU64Field o1 = field(300), u1 = field(2101), o2 = field(0), u2 = field(1073741824);
    CvParams fresh;
    const GPtrArray *log = cv_target_fake_log(target);

    cv_params_init(&fresh);
    fresh.downtime_limit_ms = u1;
    fresh.avail_switchover_bandwidth = u2;
    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_DOWNTIME_LIMIT, &o1, &u1, &u1);
    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_SWITCHOVER_BANDWIDTH, &o2, &u2, &u2);
    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_RESUME_GUEST, NULL, NULL, NULL);
    g_assert_true(cv_restore_ledger_needs_params(ledger));
    cv_target_fake_fail(target, "set-downtime-limit", 1, CV_TARGET_ERROR_FAILED);
    cv_restore_ledger_run(ledger, &fresh, NULL, entry_cb, done_cb, &w);
    run_until_done(&w);
    g_assert_no_error(w.error);
    g_assert_cmpuint(w.entries->len, ==, 3);
    g_assert_cmpint(g_array_index(w.entries, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_FAILED);
    g_assert_cmpint(g_array_index(w.entries, CvTunerAction, 1).result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_cmpuint(g_array_index(w.entries, CvTunerAction, 1).value, ==, 0);
    g_assert_cmpint(g_array_index(w.entries, CvTunerAction, 2).kind, ==, CV_DECISION_PAUSE_GUEST);
    g_assert_cmpint(g_array_index(w.entries, CvTunerAction, 2).result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_cmpstr(g_ptr_array_index(log, log->len - 3), ==, "set-downtime-limit 300");
    g_assert_cmpstr(g_ptr_array_index(log, log->len - 2), ==, "set-switchover-bandwidth 0");
    g_assert_cmpstr(g_ptr_array_index(log, log->len - 1), ==, "cont");
    g_array_unref(w.entries);
}

/* No reading: nothing is set; each parameter is reported left alone (unverified), with why
 * and the value it was not restored to; the guest is still resumed (no reading needed). */
static void
test_walk_unverified(void)
{
    g_autoptr(CvTarget) target = connected_fake();
    g_autoptr(CvRestoreLedger) ledger = cv_restore_ledger_new(target);
    g_autoptr(GError) why = g_error_new_literal(CV_TARGET_ERROR, CV_TARGET_ERROR_FAILED,
                                                "query-migrate-parameters: refused");
    Walk w = {g_array_new(FALSE, TRUE, sizeof(CvTunerAction)), FALSE, NULL};
    CvU64Field o = field(300), u = field(2101);
    const CvTunerAction *e;

    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_DOWNTIME_LIMIT, &o, &u, &u);
    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_RESUME_GUEST, NULL, NULL, NULL);
    cv_restore_ledger_run(ledger, NULL, why, entry_cb, done_cb, &w);
    run_until_done(&w);
    g_assert_cmpuint(w.entries->len, ==, 2);
    e = &g_array_index(w.entries, CvTunerAction, 0);
    g_assert_cmpint(e->result, ==, CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED);
    g_assert_nonnull(strstr(e->error, "refused"));
    g_assert_nonnull(strstr(e->error, "last knew 2101 ms"));
    g_assert_nonnull(strstr(e->error, "not restored to 300 ms"));
    g_assert_cmpuint(cv_target_fake_count(target, "set-downtime-limit"), ==, 0);
    g_assert_cmpuint(cv_target_fake_count(target, "cont"), ==, 1);
    g_array_unref(w.entries);
}

/* A restore command times out: the walk stops at that entry (its fate unknown) and resumes
 * there on the next run, deciding again on the new reading. */
static void
test_walk_resumes_after_timeout(void)
{
    g_autoptr(CvTarget) target = connected_fake();
    g_autoptr(CvRestoreLedger) ledger = cv_restore_ledger_new(target);
    Walk w = {g_array_new(FALSE, TRUE, sizeof(CvTunerAction)), FALSE, NULL};
    CvU64Field o1 = field(300), u1 = field(2101), o2 = field(0), u2 = field(1073741824);
    CvParams fresh;

    cv_params_init(&fresh);
    fresh.downtime_limit_ms = u1;
    fresh.avail_switchover_bandwidth = u2;
    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_DOWNTIME_LIMIT, &o1, &u1, &u1);
    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_SWITCHOVER_BANDWIDTH, &o2, &u2, &u2);
    cv_target_fake_fail(target, "set-downtime-limit", 1, CV_TARGET_ERROR_TIMEOUT);
    cv_restore_ledger_run(ledger, &fresh, NULL, entry_cb, done_cb, &w);
    run_until_done(&w);
    g_assert_error(w.error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT);
    g_assert_cmpuint(w.entries->len, ==, 0);
    g_assert_false(cv_restore_ledger_is_running(ledger));
    /* the timed-out set did land after all: the new reading says so, nothing left to do */
    w.done = FALSE;
    fresh.downtime_limit_ms = field(300);
    cv_restore_ledger_run(ledger, &fresh, NULL, entry_cb, done_cb, &w);
    run_until_done(&w);
    g_assert_no_error(w.error);
    g_assert_cmpuint(w.entries->len, ==, 1);
    g_assert_cmpint(g_array_index(w.entries, CvTunerAction, 0).kind, ==,
                    CV_DECISION_SET_SWITCHOVER_BANDWIDTH);
    g_assert_cmpuint(cv_target_fake_count(target, "set-downtime-limit"), ==, 1);
    g_array_unref(w.entries);
}

/* Freed with a command in flight: its callback reaches nobody (ASan would see it). */
static void
test_free_in_flight(void)
{
    g_autoptr(CvTarget) target = connected_fake();
    CvRestoreLedger *ledger = cv_restore_ledger_new(target);
    Walk w = {g_array_new(FALSE, TRUE, sizeof(CvTunerAction)), FALSE, NULL};

    cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_RESUME_GUEST, NULL, NULL, NULL);
    cv_restore_ledger_run(ledger, NULL, NULL, entry_cb, done_cb, &w);
    cv_restore_ledger_free(ledger);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_assert_false(w.done);
    g_assert_cmpuint(w.entries->len, ==, 0);
    g_assert_cmpuint(cv_target_fake_count(target, "cont"), ==, 1);
    g_array_unref(w.entries);
}

/* ---- what a session undoes ------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    CvTunerOutcome outcome;
    gboolean keep;
    gboolean params, resume, kept;
} PlanRow;

static const PlanRow plan_rows[] = {
    {"failed", CV_TUNER_OUTCOME_FAILED, FALSE, TRUE, TRUE, FALSE},
    {"cancelled", CV_TUNER_OUTCOME_CANCELLED, FALSE, TRUE, TRUE, FALSE},
    {"aborted", CV_TUNER_OUTCOME_ABORTED, FALSE, TRUE, TRUE, FALSE},
    {"error", CV_TUNER_OUTCOME_ERROR, FALSE, TRUE, TRUE, FALSE},
    {"vanished", CV_TUNER_OUTCOME_VANISHED, FALSE, TRUE, TRUE, FALSE},
    /* --keep does not keep a failed migration's changes: it is about stopping to watch */
    {"failed-keep", CV_TUNER_OUTCOME_FAILED, TRUE, TRUE, TRUE, FALSE},
    {"detached", CV_TUNER_OUTCOME_DETACHED, FALSE, TRUE, TRUE, FALSE},
    /* --keep is about the parameters: a guest we paused runs again all the same */
    {"detached-keep", CV_TUNER_OUTCOME_DETACHED, TRUE, FALSE, TRUE, TRUE},
    /* a completed migration took our values with it; nothing to undo */
    {"completed", CV_TUNER_OUTCOME_COMPLETED, FALSE, FALSE, FALSE, FALSE},
    {"cap-broken", CV_TUNER_OUTCOME_CAP_BROKEN, FALSE, FALSE, FALSE, FALSE},
    {"no-migration", CV_TUNER_OUTCOME_NO_MIGRATION, FALSE, FALSE, FALSE, FALSE},
    {"running", CV_TUNER_OUTCOME_RUNNING, FALSE, FALSE, FALSE, FALSE},
};

static void
test_plan(gconstpointer data)
{
    const PlanRow *row = data;
    CvRestorePlan plan = cv_restore_plan_for(row->outcome, row->keep);

    g_assert_cmpint(plan.params, ==, row->params);
    g_assert_cmpint(plan.resume, ==, row->resume);
    g_assert_cmpint(plan.kept, ==, row->kept);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(decide_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/restore-ledger/decide/%s", decide_rows[i].name);

        g_test_add_data_func(path, &decide_rows[i], test_decide);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(plan_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/restore-ledger/plan/%s", plan_rows[i].name);

        g_test_add_data_func(path, &plan_rows[i], test_plan);
    }
    g_test_add_func("/restore-ledger/walk/in-order", test_walk_in_order);
    g_test_add_func("/restore-ledger/walk/unverified", test_walk_unverified);
    g_test_add_func("/restore-ledger/walk/resumes-after-timeout", test_walk_resumes_after_timeout);
    g_test_add_func("/restore-ledger/walk/free-in-flight", test_free_in_flight);
    return g_test_run();
}
