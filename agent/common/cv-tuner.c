#include "config.h"

#include <string.h>

#include "cv-actuator.h"
#include "cv-reconnector.h"
#include "cv-restore-ledger.h"
#include "cv-sample-history.h"
#include "cv-sampler.h"
#include "cv-tuner-private.h"
#include "cv-tuner-report.h"
#include "cv-tuner.h"

/* The phases of one tuning session:
 *
 *   INIT -> CONNECTING -> WATCHING -> RESTORING -> DONE
 *                            ^  |        ^  |
 *                            |  v        |  v
 *                          RECONNECTING (back to where it came from)
 *
 * The parts: the sampler reads query-migrate, the sample history keeps the boundary readings
 * (and says when they were read mid-iteration), the engine decides, the actuator changes (it
 * re-reads before it does, and undoes through the restore ledger, which also says what a
 * session's outcome undoes), the reconnector re-opens connections (and rules when), the report
 * tells (records, notices, the outcome of a final reading, the summary). This file moves
 * between phases; while WATCHING it runs the evaluation step: decide on the history, wait for
 * fresh parameters before a change, conclude. */

#define HISTORY_MAX 128
/* Consecutive query errors (QEMU answering, but with errors) before we give up. */
#define MAX_QUERY_ERRORS 10
/* Default period of the parameter refresh while watching (CvTunerOptions.params_refresh_ms). */
#define PARAMS_REFRESH_MS 10000
/* Values of ours an adoption keeps per parameter (the newest). */
#define CV_TUNER_MAX_ADOPTED 32

typedef enum {
    PHASE_INIT = 0,
    PHASE_CONNECTING,
    PHASE_WATCHING,
    PHASE_RECONNECTING,
    PHASE_RESTORING,
    PHASE_DONE,
} Phase;

struct _CvTuner {
    CvTarget *target;
    CvClock *clock;
    CvTunerOptions opts;
    gchar *start_uri;
    CvTunerDecideFunc decide_func;
    gpointer decide_data;

    CvTunerReport *report;
    CvSampler *sampler;
    CvSampleHistory *history;
    CvActuator *actuator;
    CvRestoreLedger *ledger;
    CvReconnector *reconnector;
    CvPolicyHistory engine;

    Phase phase;
    gboolean migration_seen;
    gint64 last_eval_ms;
    gint64 last_refresh_ms;
    guint n_attach_reads;
    gboolean noticed_estimate;
    GSource *timeout_source;

    /* A change decided on the history (plus @verify_extra), waiting for fresh parameters. */
    gboolean verify_pending;
    CvDecision verify_decision;
    gboolean verify_has_extra;
    CvSample verify_extra;
    gboolean detach_requested;

    /* The end: set by finish(). */
    CvTunerOutcome outcome;
    gboolean ledger_filled;
    gboolean unreachable; /* no new connection could be made: nothing more can be restored */

    /* Reconnects. */
    Phase resume_phase;
    gboolean connection_lost; /* the socket closed under us */

    /* A daemon's hooks and modes (cv_tuner_set_gate_func, _set_watch_only, _adopt). */
    CvTunerGateFunc gate_func;
    gpointer gate_data;
    gboolean watch_only;
    gboolean adopting;
    CvTunerAdoption adoption; /* its ours point into the arrays below */
    guint64 adopted_downtime[CV_TUNER_MAX_ADOPTED];
    guint64 adopted_switchover[CV_TUNER_MAX_ADOPTED];
};

static void finish(CvTuner *self, CvTunerOutcome outcome, const gchar *format, ...)
    G_GNUC_PRINTF(3, 4);
static void reconnect(CvTuner *self, const GError *why);
static void restore_start(CvTuner *self);

void
cv_tuner_options_init(CvTunerOptions *options)
{
    memset(options, 0, sizeof(*options));
    cv_policy_init_default(&options->policy);
    options->poll_interval_ms = 1000;
    options->min_eval_interval_ms = 250;
    options->idle_eval_interval_ms = 30000;
    options->start_timeout_ms = 60000;
    options->params_refresh_ms = PARAMS_REFRESH_MS;
}

static gint64
tuner_now(CvTuner *self)
{
    return cv_clock_now_ms(self->clock);
}

static CvTunerSummary *
summary(CvTuner *self)
{
    return cv_tuner_report_get_summary(self->report);
}

static void
clear_source(GSource **source)
{
    if (*source != NULL) {
        g_source_destroy(*source);
        *source = NULL;
    }
}

static gboolean
is_timeout(const GError *error)
{
    return g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT);
}

/* A command timed out, one too many in a row: re-open the connection. */
static gboolean
timed_out(CvTuner *self, const GError *error)
{
    return is_timeout(error) && cv_reconnector_note_timeout(self->reconnector);
}

/* ---- evaluation --------------------------------------------------------------------------- */

static CvDecision
decide(CvTuner *self, const CvSample *samples, guint n)
{
    CvDecision d;

    if (self->decide_func != NULL)
        d = self->decide_func(&self->opts.policy, samples, n,
                              cv_actuator_get_params(self->actuator), &self->engine,
                              self->decide_data);
    else
        d = cv_policy_decide(&self->opts.policy, samples, n, cv_actuator_get_params(self->actuator),
                             &self->engine);
    cv_sample_history_annotate(self->history, &d);
    return d;
}

static void
maybe_detach_after_eval(CvTuner *self)
{
    if (self->phase != PHASE_WATCHING || self->opts.max_iterations == 0)
        return;
    if (summary(self)->n_evaluations >= self->opts.max_iterations)
        cv_tuner_detach(self);
}

/* Watching only: a change is held back unless it lowers a downtime-limit that is still ours
 * (a bound requires it: a lower cap, a max-bandwidth raised under our over-cap limit). */
static gboolean
watch_only_blocks(CvTuner *self, const CvDecision *d)
{
    const CvU64Field *now = &cv_actuator_get_params(self->actuator)->downtime_limit_ms;

    if (!self->watch_only || d->kind == CV_DECISION_NONE)
        return FALSE;
    return !(d->kind == CV_DECISION_SET_DOWNTIME_LIMIT &&
             cv_actuator_limit_is_ours(self->actuator) && cv_field_valid(now) &&
             d->value < now->value);
}

/* Report the evaluation of @samples[n - 1] and act on @d. @verify_error: the parameters could
 * not be re-read, so a change is not sent (the engine decides again next time). */
static void
conclude(CvTuner *self, const CvDecision *d, const CvSample *s, const GError *verify_error)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_SAMPLE};
    CvTunerAction action;

    record.sample = s;
    record.decision = d;
    record.params = cv_actuator_get_params(self->actuator);
    cv_tuner_report_emit(self->report, &record);
    if (!self->noticed_estimate && d->source != CV_ESTIMATE_NONE) {
        self->noticed_estimate = TRUE;
        summary(self)->estimate = d->source;
        cv_tuner_report_notice(self->report, "estimate: %s",
                               cv_estimate_source_to_string(d->source));
    }
    /* A NONE decision still moves the engine's escalation clock (a WAIT step, the time the cap
     * was first found short); changes are recorded once they are applied. */
    if (d->kind == CV_DECISION_NONE)
        cv_policy_history_record(&self->engine, d, s);
    if (watch_only_blocks(self, d)) {
        /* reported in the SAMPLE record only: nothing was tried */
    } else if (verify_error != NULL && d->kind != CV_DECISION_NONE) {
        cv_actuator_fill_not_sent(self->actuator, d, s, verify_error, &action);
        cv_tuner_report_action(self->report, &action);
    } else if (!cv_actuator_apply(self->actuator, d, s, &action) && d->kind != CV_DECISION_NONE) {
        cv_tuner_report_action(self->report, &action);
    }
    if (!cv_actuator_is_busy(self->actuator))
        maybe_detach_after_eval(self);
}

static const CvSample *
verify_view(CvTuner *self, guint *n)
{
    return cv_sample_history_view(self->history,
                                  self->verify_has_extra ? &self->verify_extra : NULL, n);
}

/* The fresh parameters for a pending change are in (or could not be read). */
static void
verified_cb(CvActuator *actuator, gboolean differs, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;
    CvDecision d = self->verify_decision;
    const CvSample *samples;
    guint n = 0;

    if (!self->verify_pending || self->phase != PHASE_WATCHING)
        return;
    self->verify_pending = FALSE;
    if (cv_target_error_is_gone(error)) {
        reconnect(self, error);
        return;
    }
    samples = verify_view(self, &n);
    /* Someone else moved a parameter: decide again on the same readings, with what QEMU holds
     * now (it may now be nothing: a limit raised above ours is left alone). */
    if (error == NULL && differs)
        d = decide(self, samples, n);
    conclude(self, &d, &samples[n - 1], error);
    if (error != NULL && timed_out(self, error))
        reconnect(self, error);
    else if (error == NULL)
        cv_reconnector_note_answer(self->reconnector);
}

/* Does @d wait for fresh parameters? Every change the actuator would send does: the engine
 * decided on what we last knew, and someone may have moved a parameter since. A dry run, a
 * refusal or nothing to do cost no query. */
static gboolean
needs_fresh_params(CvTuner *self, const CvDecision *d, const CvSample *s)
{
    gchar why[CV_TUNER_MESSAGE_MAX];

    if (d->kind == CV_DECISION_NONE || self->opts.dry_run || watch_only_blocks(self, d))
        return FALSE;
    return cv_actuator_check(&self->opts.policy, cv_actuator_get_params(self->actuator), d, s, why,
                             sizeof(why));
}

static void
evaluate(CvTuner *self, const CvSample *extra)
{
    guint n = 0;
    const CvSample *samples = cv_sample_history_view(self->history, extra, &n);
    CvDecision d = decide(self, samples, n);

    self->last_eval_ms = tuner_now(self);
    summary(self)->n_evaluations++;
    if (needs_fresh_params(self, &d, &samples[n - 1])) {
        /* No new reading enters the history until this is settled (on_sample waits). */
        self->verify_pending = TRUE;
        self->verify_decision = d;
        self->verify_has_extra = extra != NULL;
        if (extra != NULL)
            self->verify_extra = *extra;
        cv_actuator_refresh(self->actuator, verified_cb, self);
        return;
    }
    conclude(self, &d, &samples[n - 1], NULL);
}

/* ---- readings ----------------------------------------------------------------------------- */

static void
mark_migration_seen(CvTuner *self)
{
    if (self->migration_seen)
        return;
    self->migration_seen = TRUE;
    cv_tuner_report_notice(self->report, "migration running; tuning with policy '%s'%s",
                           self->opts.policy.name,
                           self->opts.dry_run ? " (dry run: nothing will be changed)" : "");
}

/* The pass counter went back: what was read before belongs to another migration. */
static void
new_epoch(CvTuner *self, const CvU64Field *before, const CvSample *s)
{
    const CvU64Field *orig = &cv_actuator_get_original(self->actuator)->downtime_limit_ms;

    /* Not _init(): the values we set persist in QEMU across migrations, and a limit of ours
     * above the cap must still read as ours, or the ceiling could not lower it. */
    cv_policy_history_new_epoch(&self->engine);
    if (cv_field_valid(orig))
        self->engine.original_downtime_limit_ms = orig->value;
    cv_tuner_report_new_epoch(self->report, before, s, cv_sample_history_get_epoch(self->history));
}

static void
sample_cb(CvSampler *sampler, const CvSample *s, CvSampleRead read, gpointer user_data)
{
    CvTuner *self = user_data;
    const CvSample *last = cv_tuner_report_get_last(self->report);
    CvU64Field before = last != NULL ? last->ram_dirty_sync_count : (CvU64Field){0};
    CvSampleKept kept;

    cv_reconnector_note_answer(self->reconnector);
    /* UNKNOWN: a status this build does not know, or garbage; NONE: no migration yet */
    if (self->phase != PHASE_WATCHING || s->status == CV_MIGRATION_STATUS_UNKNOWN ||
        s->status == CV_MIGRATION_STATUS_NONE)
        return;
    if (cv_migration_status_is_final(s->status)) {
        gchar message[CV_TUNER_MESSAGE_MAX];
        CvTunerOutcome outcome;

        /* A final state left from an earlier migration is not ours: wait for a new one. */
        if (!self->migration_seen)
            return;
        cv_tuner_report_observe(self->report, s);
        if (cv_sampler_retry_final(self->sampler, s))
            return;
        outcome = cv_tuner_outcome_for_final(s, cv_actuator_is_aborting(self->actuator), message,
                                             sizeof(message));
        finish(self, outcome, "%s", message);
        return;
    }
    mark_migration_seen(self);
    cv_tuner_report_observe(self->report, s);
    if (cv_actuator_is_busy(self->actuator) || self->verify_pending)
        return;
    kept = cv_sample_history_add(self->history, s, read, cv_sampler_saw_pass_events(sampler));
    switch (kept) {
    case CV_SAMPLE_KEPT_NEW_EPOCH:
        new_epoch(self, &before, s);
        evaluate(self, NULL);
        return;
    case CV_SAMPLE_KEPT_BOUNDARY:
    case CV_SAMPLE_KEPT_MID:
        evaluate(self, NULL);
        return;
    case CV_SAMPLE_NOT_KEPT:
    case CV_SAMPLE_SKIPPED_MID:
    default:
        break;
    }
    if (self->opts.idle_eval_interval_ms > 0 && cv_sample_history_get_n(self->history) > 0 &&
        s->time_ms - self->last_eval_ms >= (gint64)self->opts.idle_eval_interval_ms)
        evaluate(self, s);
}

static void
sample_error_cb(CvSampler *sampler, const GError *error, guint consecutive, gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->phase != PHASE_WATCHING)
        return;
    if (cv_target_error_is_gone(error)) {
        reconnect(self, error);
        return;
    }
    if (is_timeout(error)) {
        if (timed_out(self, error))
            reconnect(self, error);
        else
            cv_sampler_query_now(sampler); /* one retry, at once */
        return;
    }
    g_info("query-migrate failed: %s", error->message);
    if (consecutive >= MAX_QUERY_ERRORS)
        finish(self, CV_TUNER_OUTCOME_ERROR, "query-migrate failed %u times in a row: %s",
               consecutive, error->message);
}

/* ---- parameters --------------------------------------------------------------------------- */

static void
outside_cb(CvActuator *actuator, const gchar *parameter, const CvU64Field *before,
           const CvU64Field *after, const gchar *message, gpointer user_data)
{
    CvTuner *self = user_data;

    cv_tuner_report_outside_change(self->report, parameter, before, after, message);
}

static void
refresh_cb(CvActuator *actuator, gboolean differs, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->phase != PHASE_WATCHING)
        return;
    if (error != NULL) {
        if (cv_target_error_is_gone(error) || timed_out(self, error))
            reconnect(self, error);
        return;
    }
    cv_reconnector_note_answer(self->reconnector);
    /* Someone moved a parameter: the engine judges the newest boundary again with it now, not
     * at the next boundary (a slow iteration can take minutes). A max-bandwidth raised under
     * our own limit above the cap must lower that limit at once. */
    if (differs && !self->verify_pending && !cv_actuator_is_busy(self->actuator) &&
        cv_sample_history_get_n(self->history) > 0)
        evaluate(self, NULL);
}

/* Outside changes show up within params_refresh_ms even when the tuner has nothing to change:
 * one small query per period, on the poll's tick. Not while a change of ours is in flight, so
 * no reading ever straddles one. */
static void
tick_cb(CvSampler *sampler, gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->phase != PHASE_WATCHING)
        return;
    if (!self->migration_seen && self->opts.start_timeout_ms > 0 &&
        cv_tuner_report_elapsed_ms(self->report) >= (gint64)self->opts.start_timeout_ms) {
        finish(self, CV_TUNER_OUTCOME_NO_MIGRATION,
               "no migration started within %" G_GUINT64_FORMAT " ms", self->opts.start_timeout_ms);
        return;
    }
    if (self->opts.params_refresh_ms == 0 || cv_actuator_is_busy(self->actuator) ||
        cv_actuator_is_reading(self->actuator) ||
        tuner_now(self) - self->last_refresh_ms < (gint64)self->opts.params_refresh_ms)
        return;
    self->last_refresh_ms = tuner_now(self);
    cv_actuator_refresh(self->actuator, refresh_cb, self);
}

/* ---- changes ------------------------------------------------------------------------------ */

static void
action_done_cb(CvActuator *actuator, CvTunerAction *action, const CvDecision *decision,
               const CvSample *sample, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;

    if (action == NULL) {
        /* Its reply was lost: a new connection tells whether it took. */
        reconnect(self, error);
        return;
    }
    cv_tuner_report_action(self->report, action);
    if (action->result == CV_TUNER_RESULT_APPLIED)
        cv_policy_history_record(&self->engine, decision, sample);
    switch (self->phase) {
    case PHASE_RESTORING:
        /* finish() waited for this change to land before restoring. */
        restore_start(self);
        return;
    case PHASE_WATCHING:
        if (self->detach_requested) {
            cv_tuner_detach(self);
            return;
        }
        maybe_detach_after_eval(self);
        return;
    case PHASE_INIT:
    case PHASE_CONNECTING:
    case PHASE_RECONNECTING:
    case PHASE_DONE:
    default:
        return;
    }
}

/* ---- reconnecting ------------------------------------------------------------------------- */

static void
leave_reconnecting(CvTuner *self)
{
    self->phase = self->resume_phase;
    if (self->phase == PHASE_RESTORING) {
        restore_start(self);
        return;
    }
    if (self->detach_requested) {
        cv_tuner_detach(self);
        return;
    }
    cv_sampler_start(self->sampler);
}

/* No new connection: QEMU is gone for us. */
static void
give_up(CvTuner *self, const GError *error)
{
    self->unreachable = TRUE;
    cv_actuator_abandon(self->actuator, error);
    if (self->resume_phase == PHASE_RESTORING) {
        self->phase = PHASE_RESTORING;
        restore_start(self);
        return;
    }
    self->phase = PHASE_WATCHING;
    finish(self, CV_TUNER_OUTCOME_VANISHED, "QEMU went away: %s", error->message);
}

static void
reconnect_retry_cb(CvReconnector *reconnector, const GError *error, guint64 wait_ms,
                   gpointer user_data)
{
    CvTuner *self = user_data;

    cv_tuner_report_notice(self->report, "cannot re-open the connection (%s): next try in %.1f s",
                           error->message, (gdouble)wait_ms / 1000.0);
}

static void
reconnect_done_cb(CvReconnector *reconnector, const CvParams *params, const GError *error,
                  gpointer user_data)
{
    CvTuner *self = user_data;

    if (params == NULL) {
        give_up(self, error);
        return;
    }
    self->n_attach_reads++;
    self->last_refresh_ms = tuner_now(self);
    self->connection_lost = FALSE;
    summary(self)->n_reconnects = cv_reconnector_get_n_reconnects(reconnector);
    cv_tuner_report_notice(self->report, "connection re-opened; parameters read again");
    /* Settles a change whose reply was lost (it took if QEMU holds its value), then reports what
     * others changed meanwhile. */
    cv_actuator_resume(self->actuator, params);
    leave_reconnecting(self);
}

/* The connection is in doubt (a reply lost to a timeout) or gone (the socket closed): drop
 * what is in flight and open a new one. Watching goes on afterwards, or the restore. */
static void
reconnect(CvTuner *self, const GError *why)
{
    gboolean closed = cv_target_error_is_gone(why);

    if (self->phase == PHASE_RECONNECTING || self->phase == PHASE_DONE)
        return;
    if (closed)
        self->connection_lost = TRUE;
    /* A closed socket, or a QEMU that keeps timing out on new connections: gone. The restore
     * still tries a new connection. */
    if (self->phase == PHASE_WATCHING && closed) {
        finish(self, CV_TUNER_OUTCOME_VANISHED, "%s", why->message);
        return;
    }
    if (self->phase == PHASE_WATCHING && cv_reconnector_is_exhausted(self->reconnector)) {
        finish(self, CV_TUNER_OUTCOME_VANISHED, "QEMU keeps timing out (%u new connections): %s",
               summary(self)->n_reconnects, why->message);
        return;
    }
    if (self->phase == PHASE_RESTORING && cv_reconnector_is_exhausted(self->reconnector)) {
        give_up(self, why);
        return;
    }
    self->resume_phase = self->phase;
    self->phase = PHASE_RECONNECTING;
    cv_sampler_stop(self->sampler);
    cv_actuator_suspend(self->actuator);
    cv_restore_ledger_stop(self->ledger);
    self->verify_pending = FALSE;
    if (!closed)
        cv_tuner_report_notice(self->report, "QEMU did not answer (%s): re-opening the connection",
                               why->message);
    else if (self->resume_phase == PHASE_RESTORING)
        cv_tuner_report_notice(self->report, "the connection is closed: re-opening it to undo what "
                                             "virt-converge changed");
    else
        cv_tuner_report_notice(self->report, "the connection closed (%s): re-opening it",
                               why->message);
    cv_reconnector_start(self->reconnector, closed ? 1 : CV_RECONNECTOR_TRIES_AFTER_TIMEOUT,
                         reconnect_done_cb, reconnect_retry_cb, self);
}

/* ---- events ------------------------------------------------------------------------------- */

static void
event_cb(CvTarget *target, const CvTargetEvent *event, gpointer user_data)
{
    CvTuner *self = user_data;

    switch (event->kind) {
    case CV_TARGET_EVENT_PASS:
        if (self->phase == PHASE_WATCHING)
            cv_sampler_pass_event(self->sampler, event->pass);
        break;
    case CV_TARGET_EVENT_STATUS:
        if (self->phase != PHASE_WATCHING)
            break;
        if (event->status != CV_MIGRATION_STATUS_NONE &&
            !cv_migration_status_is_final(event->status) &&
            event->status != CV_MIGRATION_STATUS_UNKNOWN)
            mark_migration_seen(self);
        cv_sampler_status_event(self->sampler);
        break;
    case CV_TARGET_EVENT_CLOSED: {
        g_autoptr(GError) error =
            event->error != NULL
                ? g_error_copy(event->error)
                : g_error_new_literal(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED, "QEMU went away");

        self->connection_lost = TRUE;
        /* While restoring, the restore's own callbacks hear CLOSED and reconnect. */
        if (self->phase == PHASE_WATCHING)
            reconnect(self, error);
        break;
    }
    case CV_TARGET_EVENT_STOP:
    case CV_TARGET_EVENT_RESUME:
    default:
        break;
    }
}

/* ---- attach ------------------------------------------------------------------------------- */

static void
start_watching(CvTuner *self)
{
    self->phase = PHASE_WATCHING;
    cv_sampler_start(self->sampler);
}

static void
migrate_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->phase != PHASE_CONNECTING)
        return;
    if (error != NULL) {
        finish(self,
               cv_target_error_is_gone(error) ? CV_TUNER_OUTCOME_VANISHED : CV_TUNER_OUTCOME_ERROR,
               "cannot start the migration: %s", error->message);
        return;
    }
    start_watching(self);
    mark_migration_seen(self);
}

static void
adopt_at_attach(CvTuner *self)
{
    const CvTunerAdoptedParam *dt = &self->adoption.downtime_limit;
    const CvTunerAdoptedParam *sw = &self->adoption.avail_switchover_bandwidth;
    const CvParams *now = cv_actuator_get_params(self->actuator);

    if (dt->n_ours > 0) {
        gboolean ours = cv_actuator_adopt(self->actuator, CV_DECISION_SET_DOWNTIME_LIMIT, dt);

        self->engine.original_downtime_limit_ms =
            cv_field_valid(&dt->original) ? dt->original.value : 0;
        self->engine.n_downtime_changes = dt->n_ours;
        /* the engine may lower a limit of ours; one someone else set since is theirs */
        if (ours)
            self->engine.our_downtime_limit_ms = now->downtime_limit_ms.value;
        cv_tuner_report_notice(self->report,
                               "adopted: downtime-limit %s (found before the first change: %s)",
                               ours ? "is one of ours" : "is not ours (left alone)",
                               cv_field_valid(&dt->original) ? "known" : "unknown");
    }
    if (sw->n_ours > 0) {
        gboolean ours = cv_actuator_adopt(self->actuator, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, sw);

        self->engine.switchover_bandwidth_set = TRUE;
        if (ours)
            self->engine.our_switchover_bandwidth = now->avail_switchover_bandwidth.value;
        cv_tuner_report_notice(self->report, "adopted: avail-switchover-bandwidth %s",
                               ours ? "is one of ours" : "is not ours (left alone)");
    }
}

static void
params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->phase != PHASE_CONNECTING)
        return;
    if (error != NULL) {
        finish(self,
               cv_target_error_is_gone(error) ? CV_TUNER_OUTCOME_VANISHED : CV_TUNER_OUTCOME_ERROR,
               "cannot read the migration parameters: %s", error->message);
        return;
    }
    cv_actuator_set_found(self->actuator, params);
    if (cv_field_valid(&params->downtime_limit_ms))
        self->engine.original_downtime_limit_ms = params->downtime_limit_ms.value;
    if (self->adopting)
        adopt_at_attach(self);
    cv_tuner_report_attach(self->report, cv_actuator_get_params(self->actuator), &self->opts.policy,
                           self->opts.poll_interval_ms);
    if (self->start_uri != NULL) {
        cv_target_migrate(target, self->start_uri, migrate_cb, self);
        return;
    }
    start_watching(self);
}

static void
read_at_attach(CvTuner *self)
{
    self->n_attach_reads++;
    self->last_refresh_ms = tuner_now(self);
    cv_target_query_params(self->target, params_cb, self);
}

static void
connect_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->phase != PHASE_CONNECTING)
        return;
    if (error != NULL) {
        finish(self, CV_TUNER_OUTCOME_ERROR, "%s", error->message);
        return;
    }
    read_at_attach(self);
}

/* ---- the end ------------------------------------------------------------------------------ */

static void
emit_summary(CvTuner *self)
{
    cv_tuner_report_set_final_limit(self->report,
                                    &cv_actuator_get_params(self->actuator)->downtime_limit_ms);
    self->phase = PHASE_DONE;
    cv_tuner_report_emit_summary(self->report);
}

static void
restore_entry_cb(CvRestoreLedger *ledger, CvTunerAction *entry, gpointer user_data)
{
    CvTuner *self = user_data;

    cv_tuner_report_restore(self->report, entry);
}

static void
restore_done_cb(CvRestoreLedger *ledger, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;

    if (error != NULL) {
        /* a read or a command timed out or the socket closed: the walk resumes at that entry
         * on a new connection */
        reconnect(self, error);
        return;
    }
    emit_summary(self);
}

/* Undo what finish() asked for, once no change of ours is in flight. */
static void
restore_start(CvTuner *self)
{
    if (cv_actuator_is_busy(self->actuator))
        return; /* its done func (or the reconnect) comes back here */
    if (!self->ledger_filled) {
        CvRestorePlan plan = cv_restore_plan_for(self->outcome, self->opts.keep);

        self->ledger_filled = TRUE;
        if (plan.kept)
            summary(self)->restore_skipped = TRUE;
        cv_actuator_fill_ledger(self->actuator, self->ledger, plan.params, plan.resume);
    }
    if (cv_restore_ledger_get_n(self->ledger) == 0) {
        emit_summary(self);
        return;
    }
    if (self->unreachable) {
        summary(self)->restore_skipped = TRUE;
        emit_summary(self);
        return;
    }
    if (self->connection_lost) {
        g_autoptr(GError) why =
            g_error_new_literal(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED, "the connection closed");

        reconnect(self, why);
        return;
    }
    cv_actuator_restore(self->actuator, self->ledger, restore_entry_cb, restore_done_cb, self);
}

static void
finish(CvTuner *self, CvTunerOutcome outcome, const gchar *format, ...)
{
    CvTunerReportEnd end = {.outcome = outcome};
    g_autofree gchar *message = NULL;
    guint n = 0;
    const CvSample *kept;
    va_list args;

    if (self->phase == PHASE_RESTORING || self->phase == PHASE_DONE)
        return;
    self->phase = PHASE_RESTORING;
    clear_source(&self->timeout_source);
    cv_sampler_stop(self->sampler);
    /* A change still waiting for fresh parameters was never sent: drop it. */
    self->verify_pending = FALSE;
    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);

    kept = cv_sample_history_view(self->history, NULL, &n);
    if (n > 0)
        end.last_boundary_pass = kept[n - 1].ram_dirty_sync_count;
    end.downtime_limit = cv_actuator_get_params(self->actuator)->downtime_limit_ms;
    end.limit_is_ours = cv_actuator_limit_is_ours(self->actuator);
    cv_tuner_report_end(self->report, &end, "%s", message);
    self->outcome = summary(self)->outcome;
    if (outcome == CV_TUNER_OUTCOME_VANISHED && self->unreachable)
        summary(self)->restore_skipped = cv_actuator_changed_anything(self->actuator);
    restore_start(self);
}

/* ---- public ------------------------------------------------------------------------------- */

static gboolean
timeout_cb(gpointer user_data)
{
    CvTuner *self = user_data;

    self->timeout_source = NULL;
    cv_tuner_detach(self);
    return G_SOURCE_REMOVE;
}

CvTuner *
cv_tuner_new(CvTarget *target, CvClock *clock, const CvTunerOptions *options)
{
    CvTuner *self;
    CvSampleHistoryLimits limits = {.max_samples = HISTORY_MAX};

    g_return_val_if_fail(target != NULL && clock != NULL && options != NULL, NULL);
    self = g_new0(CvTuner, 1);
    self->target = target;
    self->clock = clock;
    self->opts = *options;
    self->start_uri = g_strdup(options->start_uri);
    self->opts.start_uri = self->start_uri;
    if (self->opts.poll_interval_ms == 0)
        self->opts.poll_interval_ms = 1000;
    limits.window_passes = self->opts.policy.stall_window_passes;
    limits.window_ms = self->opts.policy.stall_window_ms;
    limits.no_counter_ms = self->opts.poll_interval_ms;
    self->report = cv_tuner_report_new(self, target, clock, &self->opts.policy, self->opts.dry_run);
    self->sampler =
        cv_sampler_new(target, clock, self->opts.poll_interval_ms, self->opts.min_eval_interval_ms);
    cv_sampler_set_funcs(self->sampler, sample_cb, sample_error_cb, tick_cb, self);
    self->history = cv_sample_history_new(&limits);
    self->actuator = cv_actuator_new(target, &self->opts.policy, self->opts.dry_run);
    cv_actuator_set_funcs(self->actuator, outside_cb, action_done_cb, self);
    self->ledger = cv_restore_ledger_new(target);
    self->reconnector = cv_reconnector_new(target, clock);
    cv_policy_history_init(&self->engine);
    return self;
}

void
cv_tuner_set_record_func(CvTuner *tuner, CvTunerRecordFunc func, gpointer user_data)
{
    g_return_if_fail(tuner != NULL);
    cv_tuner_report_set_record_func(tuner->report, func, user_data);
}

void
cv_tuner_start(CvTuner *tuner)
{
    g_return_if_fail(tuner != NULL && tuner->phase == PHASE_INIT);
    tuner->phase = PHASE_CONNECTING;
    cv_tuner_report_start(tuner->report);
    tuner->last_eval_ms = tuner_now(tuner);
    cv_target_set_event_func(tuner->target, event_cb, tuner);
    if (tuner->opts.timeout_ms > 0)
        tuner->timeout_source =
            cv_clock_timeout_add(tuner->clock, cv_target_get_context(tuner->target),
                                 (guint)MIN(tuner->opts.timeout_ms, G_MAXUINT), timeout_cb, tuner);
    if (cv_target_is_connected(tuner->target))
        read_at_attach(tuner);
    else
        cv_target_connect(tuner->target, connect_cb, tuner);
}

void
cv_tuner_detach(CvTuner *tuner)
{
    g_return_if_fail(tuner != NULL);
    if (tuner->phase == PHASE_RESTORING || tuner->phase == PHASE_DONE)
        return;
    if (tuner->phase == PHASE_RECONNECTING || cv_actuator_is_busy(tuner->actuator)) {
        /* Let the change land (or the connection come back) first, so the restore sees it. */
        tuner->detach_requested = TRUE;
        return;
    }
    if (tuner->migration_seen)
        finish(tuner, CV_TUNER_OUTCOME_DETACHED, "stopped watching a running migration");
    else
        finish(tuner, CV_TUNER_OUTCOME_NO_MIGRATION, "no migration to tune");
}

gboolean
cv_tuner_is_finished(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, TRUE);
    return tuner->phase == PHASE_DONE;
}

const CvTunerSummary *
cv_tuner_get_summary(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, NULL);
    return cv_tuner_report_get_summary(tuner->report);
}

guint
cv_tuner_get_n_queries(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, 0);
    return cv_sampler_get_n_queries(tuner->sampler);
}

guint
cv_tuner_get_n_params_queries(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, 0);
    return tuner->n_attach_reads + cv_actuator_get_n_reads(tuner->actuator);
}

guint
cv_tuner_get_n_history(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, 0);
    return cv_sample_history_get_n(tuner->history);
}

void
cv_tuner_free(CvTuner *tuner)
{
    if (tuner == NULL)
        return;
    clear_source(&tuner->timeout_source);
    cv_target_unset_event_func(tuner->target, event_cb, tuner);
    /* No callback of an operation still in flight reaches the parts once they are gone. */
    cv_target_forget(tuner->target, tuner);
    g_clear_pointer(&tuner->sampler, cv_sampler_free);
    g_clear_pointer(&tuner->actuator, cv_actuator_free);
    g_clear_pointer(&tuner->ledger, cv_restore_ledger_free);
    g_clear_pointer(&tuner->reconnector, cv_reconnector_free);
    g_clear_pointer(&tuner->history, cv_sample_history_free);
    g_clear_pointer(&tuner->report, cv_tuner_report_free);
    g_free(tuner->start_uri);
    g_free(tuner);
}

void
cv_tuner_set_decide_func(CvTuner *tuner, CvTunerDecideFunc func, gpointer user_data)
{
    g_return_if_fail(tuner != NULL);
    tuner->decide_func = func;
    tuner->decide_data = user_data;
}

const CvSample *
cv_tuner_get_history(const CvTuner *tuner, guint *n_samples)
{
    g_return_val_if_fail(tuner != NULL, NULL);
    return cv_sample_history_view(tuner->history, NULL, n_samples);
}

/* ---- a daemon's hooks --------------------------------------------------------------------- */

static CvTunerGate
gate_cb(const CvTunerChange *change, gchar *why, gsize why_len, gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->gate_func == NULL)
        return CV_TUNER_GATE_PROCEED;
    return self->gate_func(self, change, why, why_len, self->gate_data);
}

void
cv_tuner_set_gate_func(CvTuner *tuner, CvTunerGateFunc func, gpointer user_data)
{
    g_return_if_fail(tuner != NULL);
    tuner->gate_func = func;
    tuner->gate_data = user_data;
    cv_actuator_set_gate_func(tuner->actuator, func != NULL ? gate_cb : NULL, tuner);
}

void
cv_tuner_set_watch_only(CvTuner *tuner, gboolean watch_only, const gchar *reason)
{
    g_return_if_fail(tuner != NULL);
    if (tuner->watch_only == watch_only)
        return;
    tuner->watch_only = watch_only;
    if (tuner->phase == PHASE_DONE)
        return;
    if (watch_only)
        cv_tuner_report_notice(tuner->report, "watching only, no more changes%s%s",
                               reason != NULL ? ": " : "", reason != NULL ? reason : "");
    else
        cv_tuner_report_notice(tuner->report, "tuning again%s%s", reason != NULL ? ": " : "",
                               reason != NULL ? reason : "");
}

gboolean
cv_tuner_is_watch_only(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, FALSE);
    return tuner->watch_only;
}

static void
copy_adopted(const CvTunerAdoptedParam *from, CvTunerAdoptedParam *to, guint64 *storage)
{
    /* the newest values when there are more than we keep */
    guint skip = from->n_ours > CV_TUNER_MAX_ADOPTED ? from->n_ours - CV_TUNER_MAX_ADOPTED : 0;

    to->original = from->original;
    to->n_ours = from->n_ours - skip;
    if (to->n_ours > 0)
        memcpy(storage, from->ours + skip, to->n_ours * sizeof(guint64));
    to->ours = storage;
}

void
cv_tuner_adopt(CvTuner *tuner, const CvTunerAdoption *adoption)
{
    g_return_if_fail(tuner != NULL && adoption != NULL && tuner->phase == PHASE_INIT);
    tuner->adopting = TRUE;
    copy_adopted(&adoption->downtime_limit, &tuner->adoption.downtime_limit,
                 tuner->adopted_downtime);
    copy_adopted(&adoption->avail_switchover_bandwidth, &tuner->adoption.avail_switchover_bandwidth,
                 tuner->adopted_switchover);
}

void
cv_tuner_set_policy(CvTuner *tuner, const CvPolicy *policy)
{
    g_return_if_fail(tuner != NULL && policy != NULL);
    tuner->opts.policy = *policy;
    cv_actuator_set_policy(tuner->actuator, policy);
    cv_tuner_report_set_policy(tuner->report, policy);
    cv_sample_history_set_windows(tuner->history, policy->stall_window_passes,
                                  policy->stall_window_ms);
    if (tuner->phase != PHASE_WATCHING)
        return;
    cv_tuner_report_notice(tuner->report, "policy '%s' changed: tuning with its new version",
                           policy->name);
    if (!tuner->verify_pending && !cv_actuator_is_busy(tuner->actuator) &&
        cv_sample_history_get_n(tuner->history) > 0)
        evaluate(tuner, NULL);
}

const CvPolicy *
cv_tuner_get_policy(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, NULL);
    return &tuner->opts.policy;
}
