/* CvActuator: the independent cap check (one GTest path per row), then its behaviour against
 * the fake target: re-reads and outside changes, changes sent and refused, reads that never
 * straddle a change, a change whose reply was lost, and no callback after free. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-actuator.h"
#include "cv-target-fake.h"

#define GiB (G_GUINT64_CONSTANT(1) << 30)
#define MiB (G_GUINT64_CONSTANT(1) << 20)
#define ABSENT G_MAXUINT64
#define INVALID (G_MAXUINT64 - 1)

/* ---- the cap ----------------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    guint64 cap;
    guint64 stated;        /* policy switchover-bandwidth; 0 = not stated */
    guint64 avail;         /* avail-switchover-bandwidth; ABSENT = QEMU < 8.2 */
    guint64 max_bandwidth; /* ABSENT / INVALID / a value */
    gboolean vfio;         /* a VFIO device whose share is not reported */
    guint64 limit;
    guint64 engine; /* the engine's predicted blackout */
    gboolean allowed;
    const gchar *why; /* a substring of the refusal */
    guint64 reserve;  /* the policy's switchover-reserve; 0 unless a row gives one */
} CapRow;

static const CapRow cap_rows[] = {
    {"within-cap", 500, 0, 0, 128 * MiB, FALSE, 450, 450, TRUE, NULL},
    {"at-cap", 500, 0, 0, 128 * MiB, FALSE, 500, 500, TRUE, NULL},
    {"zero", 500, 0, 0, 128 * MiB, FALSE, 0, 0, FALSE, "out of range"},
    {"above-qemu-range", 500, GiB, ABSENT, 64 * MiB, FALSE, 2000001, 100, FALSE, "out of range"},
    {"no-stated-rate", 500, 0, ABSENT, 64 * MiB, FALSE, 1100, 69, FALSE, "states no link rate"},
    /* 8.2+: the limit is the blackout, whatever max-bandwidth says */
    {"qemu-takes-switchover", 500, GiB, 0, 64 * MiB, FALSE, 1100, 69, FALSE,
     "takes avail-switchover-bandwidth"},
    {"switchover-in-force", 500, GiB, GiB, 64 * MiB, FALSE, 1100, 69, FALSE,
     "takes avail-switchover-bandwidth"},
    /* libvirt's "unlimited" and anything unreadable bound nothing */
    {"max-bandwidth-unlimited", 500, GiB, ABSENT, 0, FALSE, 1100, 69, FALSE, "unlimited (0)"},
    {"max-bandwidth-invalid", 500, GiB, ABSENT, INVALID, FALSE, 1100, 69, FALSE, "unknown"},
    {"max-bandwidth-absent", 500, GiB, ABSENT, ABSENT, FALSE, 1100, 69, FALSE, "unknown"},
    {"max-bandwidth-above-stated", 500, GiB, ABSENT, 2 * GiB, FALSE, 1100, 69, FALSE,
     "above the stated link rate"},
    /* issue 7's reproduction: 5360 ms while the measured rate was low; max-bandwidth (1 GiB/s,
     * the stated rate) bounds nothing below it: 5360 ms of blackout */
    {"issue-7-momentary-rate", 500, GiB, ABSENT, GiB, FALSE, 5360, 500, FALSE,
     "5360 ms x max-bandwidth 1.00 GiB/s / stated 1.00 GiB/s allows a 5360 ms blackout"},
    /* real QEMU 7.2 at a 64 MiB/s throttle: limit 1100 ms, blackout at most 69 ms */
    {"throttled-within", 500, GiB, ABSENT, 64 * MiB, FALSE, 1100, 69, TRUE, NULL},
    {"throttled-at-bound", 300, GiB, ABSENT, 64 * MiB, FALSE, 4800, 300, TRUE, NULL},
    {"throttled-past-bound", 300, GiB, ABSENT, 64 * MiB, FALSE, 4810, 300, FALSE,
     "allows a 301 ms blackout"},
    /* the two computations must agree */
    {"engine-predicts-nothing", 500, GiB, ABSENT, 64 * MiB, FALSE, 1100, 0, FALSE, "disagree"},
    {"engine-predicts-above", 500, GiB, ABSENT, 64 * MiB, FALSE, 1100, 900, FALSE, "disagree"},
    {"vfio-share-unknown", 500, GiB, ABSENT, 64 * MiB, TRUE, 1100, 69, FALSE, "VFIO"},
    /* no overflow: 2e6 ms x 2^60 B/s */
    {"huge-rates", 500, G_GUINT64_CONSTANT(1) << 60, ABSENT, G_GUINT64_CONSTANT(1) << 60, FALSE,
     2000000, 500, FALSE, "allows a 2000000 ms blackout"},
    {"huge-rates-throttled", 500, G_GUINT64_CONSTANT(1) << 60, ABSENT, 1, FALSE, 2000000, 1, TRUE,
     NULL},
    /* the switchover reserve: the pause is the limit plus what QEMU's threshold does not
     * count, so limit + reserve <= cap */
    {"reserve-room", 1000, 0, 0, 128 * MiB, FALSE, 950, 1000, TRUE, NULL, 50},
    {"reserve-past-room", 1000, 0, 0, 128 * MiB, FALSE, 960, 1010, FALSE,
     "downtime-limit 960 ms + 50 ms switchover reserve is above the cap of 1000 ms", 50},
    {"reserve-throttled-at-bound", 300, GiB, ABSENT, 64 * MiB, FALSE, 4000, 300, TRUE, NULL, 50},
    {"reserve-throttled-past-bound", 300, GiB, ABSENT, 64 * MiB, FALSE, 4010, 300, FALSE,
     "stated 1.00 GiB/s + the switchover reserve allows a 301 ms blackout", 50},
    /* a reserve not below the cap (a metadata override can make one): a tenth of the cap */
    {"reserve-not-below-cap", 500, 0, 0, 128 * MiB, FALSE, 450, 500, TRUE, NULL, 600},
    {"reserve-not-below-cap-past", 500, 0, 0, 128 * MiB, FALSE, 460, 500, FALSE,
     "+ 50 ms switchover reserve", 600},
};

static void
set_field(CvU64Field *f, guint64 v)
{
    if (v == ABSENT)
        f->state = CV_FIELD_ABSENT;
    else if (v == INVALID)
        f->state = CV_FIELD_INVALID;
    else
        cv_field_set(f, v);
}

static void
test_cap(gconstpointer data)
{
    const CapRow *row = data;
    CvPolicy policy;
    CvParams params;
    gchar why[CV_TUNER_MESSAGE_MAX] = "";
    gboolean allowed;

    cv_policy_init_default(&policy);
    policy.max_downtime_ms = row->cap;
    policy.switchover_bandwidth = row->stated;
    policy.switchover_reserve_ms = row->reserve;
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    set_field(&params.avail_switchover_bandwidth, row->avail);
    set_field(&params.max_bandwidth, row->max_bandwidth);
    allowed = cv_actuator_check_downtime_limit(&policy, &params, row->limit, row->engine, row->vfio,
                                               why, sizeof(why));
    g_test_message("why: %s", why);
    g_assert_cmpint(allowed, ==, row->allowed);
    if (row->why != NULL)
        g_assert_nonnull(strstr(why, row->why));
}

/* ---- against the fake -------------------------------------------------------------------- */

typedef struct {
    CvTarget *target;
    CvActuator *actuator;
    CvPolicy policy;
    GPtrArray *outside; /* messages */
    GArray *done;       /* CvTunerAction, settled */
    guint n_lost;
    guint n_reads_answered;
    gboolean last_differs;
} Fixture;

static void
outside_cb(CvActuator *actuator, const gchar *parameter, const CvU64Field *before,
           const CvU64Field *after, const gchar *message, gpointer user_data)
{
    Fixture *f = user_data;

    g_ptr_array_add(f->outside, g_strdup(message));
}

static void
done_cb(CvActuator *actuator, CvTunerAction *action, const CvDecision *decision,
        const CvSample *sample, const GError *error, gpointer user_data)
{
    Fixture *f = user_data;

    if (action == NULL) {
        f->n_lost++;
        return;
    }
    g_array_append_val(f->done, *action);
}

static void
read_cb(CvActuator *actuator, gboolean differs, const GError *error, gpointer user_data)
{
    Fixture *f = user_data;

    f->n_reads_answered++;
    f->last_differs = differs;
}

static void
run_pending(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
fixture_init(Fixture *f, gboolean dry_run)
{
    g_autoptr(GError) error = NULL;
    CvParams found;

    memset(f, 0, sizeof(*f));
    f->target = cv_target_fake_new(NULL);
    g_assert_true(cv_target_connect_sync(f->target, &error));
    cv_policy_init_default(&f->policy);
    f->policy.max_downtime_ms = 5000;
    f->actuator = cv_actuator_new(f->target, &f->policy, dry_run);
    f->outside = g_ptr_array_new_with_free_func(g_free);
    f->done = g_array_new(FALSE, TRUE, sizeof(CvTunerAction));
    cv_actuator_set_funcs(f->actuator, outside_cb, done_cb, f);
    g_assert_true(cv_target_query_params_sync(f->target, &found, &error));
    cv_actuator_set_found(f->actuator, &found);
}

static void
fixture_clear(Fixture *f)
{
    g_clear_pointer(&f->actuator, cv_actuator_free);
    g_clear_pointer(&f->target, cv_target_free);
    g_ptr_array_unref(f->outside);
    g_array_unref(f->done);
    run_pending();
}

static CvDecision
raise_to(guint64 value)
{
    CvDecision d = {0};

    d.kind = CV_DECISION_SET_DOWNTIME_LIMIT;
    d.value = value;
    d.predicted_blackout_ms = value;
    g_strlcpy(d.reason, "raise", sizeof(d.reason));
    return d;
}

static CvSample
reading(void)
{
    CvSample s;

    cv_sample_init(&s);
    s.status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s.ram_dirty_sync_count, 5);
    cv_field_set(&s.remaining, GiB);
    return s;
}

/* Someone else changed a parameter: reported once; until we change it, a restore goes back to
 * their value. */
static void
test_outside_change(void)
{
    Fixture f;

    fixture_init(&f, FALSE);
    cv_target_fake_change_param(f.target, "downtime-limit", 500);
    cv_actuator_refresh(f.actuator, read_cb, &f);
    run_pending();
    g_assert_cmpuint(f.n_reads_answered, ==, 1);
    g_assert_true(f.last_differs);
    g_assert_cmpuint(f.outside->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(f.outside, 0), ==,
                    "downtime-limit changed behind us: 300 -> 500 ms (not by virt-converge)");
    g_assert_cmpuint(cv_actuator_get_original(f.actuator)->downtime_limit_ms.value, ==, 500);
    /* the same reading again: nothing new */
    cv_actuator_refresh(f.actuator, read_cb, &f);
    run_pending();
    g_assert_false(f.last_differs);
    g_assert_cmpuint(f.outside->len, ==, 1);
    fixture_clear(&f);
}

/* A change goes out, lands, and becomes both the belief and "ours"; the original stays. */
static void
test_apply(void)
{
    Fixture f;
    CvDecision d = raise_to(2101);
    CvSample s = reading();
    CvTunerAction action;

    fixture_init(&f, FALSE);
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    g_assert_true(cv_actuator_is_busy(f.actuator));
    run_pending();
    g_assert_false(cv_actuator_is_busy(f.actuator));
    g_assert_cmpuint(f.done->len, ==, 1);
    g_assert_cmpint(g_array_index(f.done, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_cmpuint(g_array_index(f.done, CvTunerAction, 0).previous.value, ==, 300);
    g_assert_cmpuint(cv_actuator_get_params(f.actuator)->downtime_limit_ms.value, ==, 2101);
    g_assert_cmpuint(cv_actuator_get_original(f.actuator)->downtime_limit_ms.value, ==, 300);
    g_assert_true(cv_actuator_limit_is_ours(f.actuator));
    /* a later read does not take our own change for someone else's */
    cv_actuator_refresh(f.actuator, read_cb, &f);
    run_pending();
    g_assert_false(f.last_differs);
    g_assert_cmpuint(f.outside->len, ==, 0);
    fixture_clear(&f);
}

/* Refused and dry-run decisions settle at once, and nothing is sent. */
static void
test_not_sent(void)
{
    Fixture f;
    CvDecision d = raise_to(6000); /* above the 5000 ms cap, no stated rate */
    CvSample s = reading();
    CvTunerAction action;

    fixture_init(&f, FALSE);
    g_test_expect_message("cv-agent", G_LOG_LEVEL_WARNING, "refusing the engine's decision*");
    g_assert_false(cv_actuator_apply(f.actuator, &d, &s, &action));
    g_test_assert_expected_messages();
    g_assert_cmpint(action.result, ==, CV_TUNER_RESULT_REFUSED);
    g_assert_nonnull(strstr(action.error, "states no link rate"));
    fixture_clear(&f);

    fixture_init(&f, TRUE);
    d = raise_to(2101);
    g_assert_false(cv_actuator_apply(f.actuator, &d, &s, &action));
    g_assert_cmpint(action.result, ==, CV_TUNER_RESULT_DRY_RUN);
    run_pending();
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==, 0);
    fixture_clear(&f);
}

/* One read in flight answers everyone who asked meanwhile; a read asked for while a change is
 * out goes after it, so no reading straddles one of our changes. */
static void
test_reads(void)
{
    Fixture f;
    CvDecision d = raise_to(2101);
    CvSample s = reading();
    CvTunerAction action;
    const GPtrArray *log;

    fixture_init(&f, FALSE);
    cv_actuator_refresh(f.actuator, read_cb, &f);
    cv_actuator_refresh(f.actuator, read_cb, &f);
    g_assert_true(cv_actuator_is_reading(f.actuator));
    run_pending();
    g_assert_cmpuint(f.n_reads_answered, ==, 2);
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), ==, 1);

    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    cv_actuator_refresh(f.actuator, read_cb, &f);
    g_assert_false(cv_actuator_is_reading(f.actuator));
    run_pending();
    g_assert_cmpuint(f.n_reads_answered, ==, 3);
    log = cv_target_fake_log(f.target);
    g_assert_cmpstr(g_ptr_array_index(log, log->len - 2), ==, "set-downtime-limit 2101");
    g_assert_cmpstr(g_ptr_array_index(log, log->len - 1), ==, "refresh-params");
    g_assert_cmpuint(cv_actuator_get_n_reads(f.actuator), ==, 2);
    fixture_clear(&f);
}

/* A change whose reply timed out: its fate is unknown until a new connection reads the
 * parameters; holding its value means it took (and that is not someone else's change). */
static void
test_lost_reply(void)
{
    Fixture f;
    CvDecision d = raise_to(2101);
    CvSample s = reading();
    CvTunerAction action;
    CvParams fresh;

    fixture_init(&f, FALSE);
    cv_target_fake_fail(f.target, "set-downtime-limit", 1, CV_TARGET_ERROR_TIMEOUT);
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    run_pending();
    g_assert_cmpuint(f.n_lost, ==, 1);
    g_assert_cmpuint(f.done->len, ==, 0);
    g_assert_true(cv_actuator_is_busy(f.actuator));
    /* no read while its fate is unknown */
    cv_actuator_refresh(f.actuator, read_cb, &f);
    g_assert_false(cv_actuator_is_reading(f.actuator));
    cv_actuator_suspend(f.actuator);
    fresh = *cv_target_fake_get_params(f.target);
    cv_field_set(&fresh.downtime_limit_ms, 2101);
    cv_actuator_resume(f.actuator, &fresh);
    g_assert_false(cv_actuator_is_busy(f.actuator));
    g_assert_cmpuint(f.done->len, ==, 1);
    g_assert_cmpint(g_array_index(f.done, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_nonnull(strstr(g_array_index(f.done, CvTunerAction, 0).reason, "reply was lost"));
    g_assert_cmpuint(f.outside->len, ==, 0);
    g_assert_true(cv_actuator_limit_is_ours(f.actuator));
    fixture_clear(&f);

    /* ... and not holding it means it did not */
    fixture_init(&f, FALSE);
    cv_target_fake_fail(f.target, "set-downtime-limit", 1, CV_TARGET_ERROR_TIMEOUT);
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    run_pending();
    cv_actuator_suspend(f.actuator);
    cv_actuator_resume(f.actuator, cv_target_fake_get_params(f.target));
    g_assert_cmpuint(f.done->len, ==, 1);
    g_assert_cmpint(g_array_index(f.done, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_FAILED);
    g_assert_nonnull(strstr(g_array_index(f.done, CvTunerAction, 0).error, "does not hold it"));
    g_assert_false(cv_actuator_limit_is_ours(f.actuator));
    fixture_clear(&f);
}

/* A change answered by a line that cannot be read (a broken peer: found by the fault suite's
 * garbage proxy, where the change had taken and the tuner reported it failed): QEMU is asked
 * what it holds before the change is called applied or failed. */
static void
test_unreadable_reply(void)
{
    Fixture f;
    CvDecision d = raise_to(2101);
    CvSample s = reading();
    CvTunerAction action;

    fixture_init(&f, FALSE);
    cv_target_fake_garble_reply(f.target, "set-downtime-limit");
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    run_pending();
    g_assert_false(cv_actuator_is_busy(f.actuator));
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), ==, 1);
    g_assert_cmpuint(f.done->len, ==, 1);
    g_assert_cmpint(g_array_index(f.done, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_APPLIED);
    g_assert_nonnull(
        strstr(g_array_index(f.done, CvTunerAction, 0).reason, "could not be read, QEMU holds it"));
    g_assert_cmpuint(f.outside->len, ==, 0);
    g_assert_true(cv_actuator_limit_is_ours(f.actuator));
    g_assert_cmpuint(cv_actuator_get_params(f.actuator)->downtime_limit_ms.value, ==, 2101);
    fixture_clear(&f);

    /* ... and a refusal hidden behind the broken line: QEMU does not hold it, failed */
    fixture_init(&f, FALSE);
    cv_target_fake_fail(f.target, "set-downtime-limit", 1, CV_TARGET_ERROR_INVALID_REPLY);
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    run_pending();
    g_assert_false(cv_actuator_is_busy(f.actuator));
    g_assert_cmpuint(f.done->len, ==, 1);
    g_assert_cmpint(g_array_index(f.done, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_FAILED);
    g_assert_false(cv_actuator_limit_is_ours(f.actuator));
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 300);
    fixture_clear(&f);
}

/* A pause whose reply was lost may have happened: it still counts as ours, so the restore
 * resumes the guest (harmless if it runs, essential if it does not). */
static void
test_lost_pause_still_ours(void)
{
    Fixture f;
    CvDecision d = {0};
    CvSample s = reading();
    CvTunerAction action;
    g_autoptr(CvRestoreLedger) ledger = NULL;

    fixture_init(&f, FALSE);
    d.kind = CV_DECISION_PAUSE_GUEST;
    cv_target_fake_lose_reply(f.target, "stop");
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    run_pending();
    g_assert_cmpuint(f.n_lost, ==, 1);
    cv_actuator_suspend(f.actuator);
    cv_actuator_resume(f.actuator, cv_target_fake_get_params(f.target));
    g_assert_cmpuint(f.done->len, ==, 1);
    g_assert_cmpint(g_array_index(f.done, CvTunerAction, 0).result, ==, CV_TUNER_RESULT_FAILED);
    g_assert_nonnull(strstr(g_array_index(f.done, CvTunerAction, 0).error, "unknown"));
    g_assert_true(cv_actuator_paused_guest(f.actuator));
    ledger = cv_restore_ledger_new(f.target);
    cv_actuator_fill_ledger(f.actuator, ledger, TRUE, TRUE);
    g_assert_cmpuint(cv_restore_ledger_get_n(ledger), ==, 1);
    g_clear_pointer(&ledger, cv_restore_ledger_free);
    fixture_clear(&f);
}

/* ---- restoring ---------------------------------------------------------------------------- */

typedef struct {
    GArray *entries; /* CvTunerAction, settled */
    guint n_done;
    GError *error; /* the done func's */
} Restored;

static void
restored_entry_cb(CvRestoreLedger *ledger, CvTunerAction *entry, gpointer user_data)
{
    Restored *r = user_data;

    g_array_append_val(r->entries, *entry);
}

static void
restored_done_cb(CvRestoreLedger *ledger, const GError *error, gpointer user_data)
{
    Restored *r = user_data;

    r->n_done++;
    g_clear_error(&r->error);
    r->error = error != NULL ? g_error_copy(error) : NULL;
}

typedef struct {
    const gchar *name;
    guint64 theirs;          /* someone else's limit set after ours; 0 = none */
    gboolean read_fails;     /* the re-read fails ... */
    CvTargetErrorCode fails; /* ... with this */
    CvTunerResult result;    /* of the one entry; LEFT_ALONE_UNVERIFIED + 1: none (error) */
    guint64 limit_after;     /* what QEMU holds at the end */
    guint64 believed_after;  /* what the actuator believes then */
} RestoreRow;

#define NO_ENTRY (CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED + 1)

static const RestoreRow restore_rows[] = {
    /* re-read, still ours: the original goes back, and the belief follows */
    {"undo", 0, FALSE, 0, CV_TUNER_RESULT_APPLIED, 300, 300},
    /* re-read first: an operator's 5000 ms set after ours stays */
    {"theirs-left-alone", 5000, FALSE, 0, CV_TUNER_RESULT_LEFT_ALONE, 5000, 5000},
    /* the re-read fails with QEMU's error: nothing is known, nothing is sent */
    {"read-fails-unverified", 0, TRUE, CV_TARGET_ERROR_FAILED,
     CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED, 2101, 2101},
    /* the re-read times out or the connection closed: the caller reconnects first */
    {"read-timeout-stops", 0, TRUE, CV_TARGET_ERROR_TIMEOUT, NO_ENTRY, 2101, 2101},
    {"read-closed-stops", 0, TRUE, CV_TARGET_ERROR_CLOSED, NO_ENTRY, 2101, 2101},
};

/* The actuator undoes its own change: it re-reads first, walks the ledger, and its belief
 * follows every restore. */
static void
test_restore(gconstpointer data)
{
    const RestoreRow *row = data;
    Fixture f;
    CvDecision d = raise_to(2101);
    CvSample s = reading();
    CvTunerAction action;
    Restored r = {g_array_new(FALSE, TRUE, sizeof(CvTunerAction)), 0, NULL};
    g_autoptr(CvRestoreLedger) ledger = NULL;
    guint reads;

    fixture_init(&f, FALSE);
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    run_pending();
    if (row->theirs > 0)
        cv_target_fake_change_param(f.target, "downtime-limit", row->theirs);
    if (row->read_fails)
        cv_target_fake_fail(f.target, "refresh-params", 1, row->fails);
    ledger = cv_restore_ledger_new(f.target);
    cv_actuator_fill_ledger(f.actuator, ledger, TRUE, TRUE);
    g_assert_cmpuint(cv_restore_ledger_get_n(ledger), ==, 1);
    reads = cv_target_fake_count(f.target, "refresh-params");
    cv_actuator_restore(f.actuator, ledger, restored_entry_cb, restored_done_cb, &r);
    run_pending();
    g_assert_cmpuint(cv_target_fake_count(f.target, "refresh-params"), ==, reads + 1);
    g_assert_cmpuint(r.n_done, ==, 1);
    if (row->result == NO_ENTRY) {
        g_assert_error(r.error, CV_TARGET_ERROR, (gint)row->fails);
        g_assert_cmpuint(r.entries->len, ==, 0);
    } else {
        g_assert_no_error(r.error);
        g_assert_cmpuint(r.entries->len, ==, 1);
        g_assert_cmpint(g_array_index(r.entries, CvTunerAction, 0).result, ==, row->result);
    }
    g_assert_cmpuint(cv_target_fake_count(f.target, "set-downtime-limit"), ==,
                     row->result == CV_TUNER_RESULT_APPLIED ? 2 : 1);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==,
                     row->limit_after);
    g_assert_cmpuint(cv_actuator_get_params(f.actuator)->downtime_limit_ms.value, ==,
                     row->believed_after);
    g_array_unref(r.entries);
    g_clear_error(&r.error);
    g_clear_pointer(&ledger, cv_restore_ledger_free); /* before its target */
    fixture_clear(&f);
}

/* Freed with a change and a read in flight: no callback reaches the freed actuator (ASan). */
static void
test_free_in_flight(void)
{
    Fixture f;
    CvDecision d = raise_to(2101);
    CvSample s = reading();
    CvTunerAction action;

    fixture_init(&f, FALSE);
    cv_actuator_refresh(f.actuator, read_cb, &f);
    run_pending();
    g_assert_true(cv_actuator_apply(f.actuator, &d, &s, &action));
    cv_actuator_refresh(f.actuator, read_cb, &f);
    g_clear_pointer(&f.actuator, cv_actuator_free);
    run_pending();
    g_assert_cmpuint(f.done->len, ==, 0);
    g_assert_cmpuint(f.n_reads_answered, ==, 1);
    g_assert_cmpuint(cv_target_fake_get_params(f.target)->downtime_limit_ms.value, ==, 2101);
    fixture_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cap_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/actuator/cap/%s", cap_rows[i].name);

        g_test_add_data_func(path, &cap_rows[i], test_cap);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(restore_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/actuator/restore/%s", restore_rows[i].name);

        g_test_add_data_func(path, &restore_rows[i], test_restore);
    }
    g_test_add_func("/actuator/outside-change", test_outside_change);
    g_test_add_func("/actuator/apply", test_apply);
    g_test_add_func("/actuator/not-sent", test_not_sent);
    g_test_add_func("/actuator/reads", test_reads);
    g_test_add_func("/actuator/lost-reply", test_lost_reply);
    g_test_add_func("/actuator/lost-pause-still-ours", test_lost_pause_still_ours);
    g_test_add_func("/actuator/unreadable-reply", test_unreadable_reply);
    g_test_add_func("/actuator/free-in-flight", test_free_in_flight);
    return g_test_run();
}
