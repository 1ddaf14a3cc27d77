#include "config.h"

#include <math.h>
#include <string.h>

#include "cv-tuner-private.h"
#include "cv-tuner.h"

/* Iteration-boundary samples kept for the engine: those within HISTORY_WINDOWS stall windows
 * (in time and in passes) of the newest, which is all the engine's "lowest pending older than
 * the window" needs; and never more than HISTORY_MAX. When full, the older half is thinned by
 * two, keeping the lower pending of each pair so the reference value stays right. */
#define HISTORY_MAX 128
#define HISTORY_WINDOWS 4
/* Re-reads of a completed migration whose final figures QEMU has not stored yet. */
#define FINAL_RETRIES 10
#define FINAL_RETRY_MS 50
/* Consecutive query errors (QEMU answering, but with errors) before we give up. */
#define MAX_QUERY_ERRORS 10
/* Default period of the parameter refresh while watching (CvTunerOptions.params_refresh_ms). */
#define PARAMS_REFRESH_MS 10000

typedef enum {
    PHASE_INIT = 0,
    PHASE_CONNECTING,
    PHASE_WATCHING,
    PHASE_RESTORING,
    PHASE_DONE,
} Phase;

typedef enum {
    RESTORE_DOWNTIME = 0,
    RESTORE_SWITCHOVER,
    RESTORE_RESUME,
} RestoreKind;

struct _CvTuner {
    CvTarget *target;
    CvClock *clock;
    CvTunerOptions opts;
    gchar *start_uri;
    CvTunerRecordFunc record_func;
    gpointer record_data;
    CvTunerDecideFunc decide_func;
    gpointer decide_data;

    Phase phase;
    gint64 attach_ms;
    CvParams params;   /* as we believe they are now */
    CvParams original; /* as found at attach time */
    CvPolicyHistory history;

    /* One spare slot at the end for an evaluation between boundaries. */
    CvSample samples[HISTORY_MAX + 1];
    guint n_samples;
    CvSample last;
    gboolean have_last;
    /* The last system-wide remaining seen in precopy: the stop-copy bytes at switchover. */
    gboolean have_stopcopy;
    guint64 stopcopy_bytes;

    gboolean migration_seen;
    gboolean query_in_flight;
    gboolean query_wanted;
    gboolean query_urgent;
    gint64 last_query_ms;
    gint64 last_eval_ms;
    guint n_queries;
    guint query_errors;
    GSource *poll_source;
    GSource *coalesce_source;
    GSource *timeout_source;

    /* Parameter re-reads: at most one query-migrate-parameters in flight; whoever needs fresh
     * parameters while one is out waits for its answer instead of sending another. */
    gboolean params_in_flight;
    gint64 last_params_ms;
    guint n_params_queries;
    /* A change decided on n samples, waiting for fresh parameters before it is sent. */
    gboolean verify_pending;
    CvDecision verify_decision;
    guint verify_n;
    /* The restore waits for fresh parameters. */
    gboolean restore_waiting;

    gboolean action_in_flight;
    CvDecision action_decision;
    CvSample action_sample;
    CvTunerAction action;
    gboolean detach_after_action;

    /* What we changed (set when the command is sent, so a detach racing with it restores), and
     * the last value QEMU accepted from us: a restore undoes only a value that is still ours. */
    gboolean changed_downtime;
    gboolean changed_switchover;
    CvU64Field ours_downtime;
    CvU64Field ours_switchover;
    gboolean paused_guest;
    gboolean aborting;

    guint final_retries;
    gboolean noticed_pending;
    gboolean noticed_estimate;

    CvTunerOutcome outcome;
    RestoreKind restore_queue[3];
    guint n_restore_queue;
    guint restore_index;
    CvTunerAction restore;
    CvTunerSummary summary;
};

static void finish(CvTuner *self, CvTunerOutcome outcome, const gchar *format, ...)
    G_GNUC_PRINTF(3, 4);
static void request_query(CvTuner *self, gboolean urgent);
static void request_params(CvTuner *self);
static void restore_start(CvTuner *self);
static void restore_next(CvTuner *self);

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

static void
emit(CvTuner *self, CvTunerRecord *record)
{
    record->time_ms = tuner_now(self) - self->attach_ms;
    record->target = cv_target_get_description(self->target);
    record->version = cv_target_get_version(self->target);
    record->events = cv_target_has_events(self->target);
    if (self->record_func != NULL)
        self->record_func(self, record, self->record_data);
}

static void notice(CvTuner *self, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static void
notice(CvTuner *self, const gchar *format, ...)
{
    va_list args;
    g_autofree gchar *message = NULL;
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_NOTICE};

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    /* Not logged: the record is the channel (the CLI prints it, a daemon journals it). */
    record.message = message;
    emit(self, &record);
}

static void
clear_source(GSource **source)
{
    if (*source != NULL) {
        g_source_destroy(*source);
        *source = NULL;
    }
}

/* ---- parameters changed by others -------------------------------------------------------- */

typedef enum {
    PARAM_DOWNTIME_LIMIT = 0,
    PARAM_MAX_BANDWIDTH,
    PARAM_SWITCHOVER_BANDWIDTH,
    PARAM_MAX_POSTCOPY_BANDWIDTH,
} ParamId;

typedef struct {
    const gchar *name;
    gsize offset;
    gboolean is_ms; /* else bytes/s */
} ParamField;

/* The parameters anyone may change while a migration runs (QEMU refuses capability changes
 * then, so those are never re-read). */
static const ParamField param_fields[] = {
    [PARAM_DOWNTIME_LIMIT] = {"downtime-limit", G_STRUCT_OFFSET(CvParams, downtime_limit_ms), TRUE},
    [PARAM_MAX_BANDWIDTH] = {"max-bandwidth", G_STRUCT_OFFSET(CvParams, max_bandwidth), FALSE},
    [PARAM_SWITCHOVER_BANDWIDTH] = {"avail-switchover-bandwidth",
                                    G_STRUCT_OFFSET(CvParams, avail_switchover_bandwidth), FALSE},
    [PARAM_MAX_POSTCOPY_BANDWIDTH] = {"max-postcopy-bandwidth",
                                      G_STRUCT_OFFSET(CvParams, max_postcopy_bandwidth), FALSE},
};

static CvU64Field *
param_field(CvParams *params, const ParamField *pf)
{
    return G_STRUCT_MEMBER_P(params, pf->offset);
}

static const CvU64Field *
param_field_const(const CvParams *params, const ParamField *pf)
{
    return (const CvU64Field *)((const guint8 *)params + pf->offset);
}

static gboolean
field_same(const CvU64Field *a, const CvU64Field *b)
{
    return a->state == b->state && (a->state != CV_FIELD_VALID || a->value == b->value);
}

static void
format_param(const ParamField *pf, const CvU64Field *f, gchar *buf, gsize len)
{
    switch (f->state) {
    case CV_FIELD_VALID:
        if (pf->is_ms)
            g_snprintf(buf, len, "%" G_GUINT64_FORMAT " ms", f->value);
        else
            cv_format_rate(f->value, buf, len);
        return;
    case CV_FIELD_INVALID:
        g_strlcpy(buf, "invalid", len);
        return;
    case CV_FIELD_ABSENT:
    default:
        g_strlcpy(buf, "absent", len);
        return;
    }
}

/* Did we send a change of this parameter? Only downtime-limit and avail-switchover-bandwidth
 * are ever ours. */
static gboolean
param_changed_by_us(CvTuner *self, ParamId id)
{
    switch (id) {
    case PARAM_DOWNTIME_LIMIT:
        return self->changed_downtime;
    case PARAM_SWITCHOVER_BANDWIDTH:
        return self->changed_switchover;
    case PARAM_MAX_BANDWIDTH:
    case PARAM_MAX_POSTCOPY_BANDWIDTH:
    default:
        return FALSE;
    }
}

/* Take a fresh reading of the parameters. Each one that differs from what we believed was
 * changed by someone else (our own changes update the belief when QEMU acknowledges them, and
 * no reading is ever in flight across one of our changes): say so, once. Until we change a
 * parameter ourselves, its new value is also the one a restore would go back to. Returns
 * whether anything differed. */
static gboolean
merge_params(CvTuner *self, const CvParams *fresh)
{
    gboolean differs = FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS(param_fields); i++) {
        const ParamField *pf = &param_fields[i];
        CvU64Field *believed = param_field(&self->params, pf);
        const CvU64Field *now = param_field_const(fresh, pf);
        CvU64Field before = *believed;
        CvTunerRecord record = {.kind = CV_TUNER_RECORD_NOTICE};
        gchar from[32], to[32];
        g_autofree gchar *message = NULL;

        if (field_same(believed, now))
            continue;
        differs = TRUE;
        *believed = *now;
        if (!param_changed_by_us(self, (ParamId)i))
            *param_field(&self->original, pf) = *now;
        if (pf->is_ms && cv_field_valid(&before) && cv_field_valid(now)) {
            message = g_strdup_printf("%s changed behind us: %" G_GUINT64_FORMAT
                                      " -> %" G_GUINT64_FORMAT " ms (not by virt-converge)",
                                      pf->name, before.value, now->value);
        } else {
            format_param(pf, &before, from, sizeof(from));
            format_param(pf, now, to, sizeof(to));
            message = g_strdup_printf("%s changed behind us: %s -> %s (not by virt-converge)",
                                      pf->name, from, to);
        }
        record.message = message;
        record.parameter = pf->name;
        record.before = &before;
        record.after = believed;
        emit(self, &record);
    }
    return differs;
}

/* ---- history ---------------------------------------------------------------------------- */

static gboolean
sample_pending(const CvSample *s, guint64 *pending)
{
    return cv_sample_pending(s, pending, NULL);
}

static void
history_thin(CvTuner *self)
{
    guint half = self->n_samples / 2;
    guint out = 0;

    /* Pairs from the older half collapse into one sample each. */
    for (guint i = 0; i + 1 < half; i += 2) {
        const CvSample *a = &self->samples[i];
        const CvSample *b = &self->samples[i + 1];
        guint64 pa = 0, pb = 0;
        gboolean va = sample_pending(a, &pa), vb = sample_pending(b, &pb);

        self->samples[out++] = (va && vb && pa < pb) ? *a : *b;
    }
    if (half % 2 != 0)
        self->samples[out++] = self->samples[half - 1];
    memmove(&self->samples[out], &self->samples[half], (self->n_samples - half) * sizeof(CvSample));
    self->n_samples = out + (self->n_samples - half);
}

static gboolean
is_boundary(CvTuner *self, const CvSample *s)
{
    const CvSample *prev;

    if (self->n_samples == 0)
        return TRUE;
    prev = &self->samples[self->n_samples - 1];
    if (cv_field_valid(&s->ram_dirty_sync_count)) {
        if (!cv_field_valid(&prev->ram_dirty_sync_count))
            return TRUE;
        return s->ram_dirty_sync_count.value > prev->ram_dirty_sync_count.value;
    }
    /* No trustworthy counter: fall back to time windows. */
    return s->time_ms - prev->time_ms >= (gint64)self->opts.poll_interval_ms;
}

/* Is @old more than HISTORY_WINDOWS stall windows behind @newest? */
static gboolean
history_expired(const CvPolicy *policy, const CvSample *old, const CvSample *newest)
{
    guint64 window_passes = policy->stall_window_passes;
    guint64 window_ms = policy->stall_window_ms;

    if (window_passes == 0 && window_ms == 0)
        return FALSE;
    if (window_ms > 0 && newest->time_ms - old->time_ms <= (gint64)(HISTORY_WINDOWS * window_ms))
        return FALSE;
    if (window_passes > 0 && cv_field_valid(&old->ram_dirty_sync_count) &&
        cv_field_valid(&newest->ram_dirty_sync_count) &&
        newest->ram_dirty_sync_count.value - old->ram_dirty_sync_count.value <=
            HISTORY_WINDOWS * window_passes)
        return FALSE;
    return TRUE;
}

static void
history_append(CvTuner *self, const CvSample *s)
{
    guint drop = 0;

    if (self->n_samples == HISTORY_MAX)
        history_thin(self);
    self->samples[self->n_samples++] = *s;
    /* Keep two expired samples: the older one is what makes the younger a boundary for the
     * engine, and the younger may still be the window's reference (sparse evaluations at a
     * high --speed leave nothing else older than the window). */
    while (drop + 2 < self->n_samples &&
           history_expired(&self->opts.policy, &self->samples[drop + 2], s))
        drop++;
    if (drop > 0) {
        memmove(&self->samples[0], &self->samples[drop],
                (self->n_samples - drop) * sizeof(CvSample));
        self->n_samples -= drop;
    }
}

/* ---- actuator --------------------------------------------------------------------------- */

static void
action_init(CvTunerAction *action, CvTuner *self, const CvDecision *d, const CvSample *s)
{
    memset(action, 0, sizeof(*action));
    action->kind = d->kind;
    action->value = d->value;
    action->predicted_blackout_ms = d->predicted_blackout_ms;
    action->pass = s->ram_dirty_sync_count;
    action->time_ms = tuner_now(self) - self->attach_ms;
    g_strlcpy(action->reason, d->reason, sizeof(action->reason));
    if (d->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        action->previous = self->params.downtime_limit_ms;
    else if (d->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
        action->previous = self->params.avail_switchover_bandwidth;
}

static gboolean
action_same(const CvTunerAction *a, const CvTunerAction *b)
{
    return a->kind == b->kind && a->value == b->value && a->result == b->result &&
           g_strcmp0(a->error, b->error) == 0;
}

static void
summary_add_action(CvTuner *self, const CvTunerAction *action)
{
    CvTunerSummary *sum = &self->summary;
    CvTunerAction *last =
        sum->n_action_entries > 0 ? &sum->actions[sum->n_action_entries - 1] : NULL;

    sum->n_actions++;
    if (action->result == CV_TUNER_RESULT_APPLIED)
        sum->n_changes++;
    if (last != NULL && action->result != CV_TUNER_RESULT_APPLIED && action_same(last, action)) {
        last->repeats++;
        last->last_pass = action->pass;
        last->last_time_ms = action->time_ms;
        return;
    }
    if (sum->n_action_entries == CV_TUNER_MAX_ACTIONS) {
        sum->n_actions_dropped++;
        return;
    }
    last = &sum->actions[sum->n_action_entries++];
    *last = *action;
    last->repeats = 1;
    last->last_pass = action->pass;
    last->last_time_ms = action->time_ms;
}

static void
report_action(CvTuner *self, CvTunerAction *action)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_ACTION, .action = action};

    summary_add_action(self, action);
    switch (action->result) {
    case CV_TUNER_RESULT_APPLIED:
    case CV_TUNER_RESULT_DRY_RUN:
        g_info("%s %s %" G_GUINT64_FORMAT ": %s", cv_tuner_result_to_string(action->result),
               cv_decision_kind_to_string(action->kind), action->value, action->reason);
        break;
    case CV_TUNER_RESULT_REFUSED:
    case CV_TUNER_RESULT_FAILED:
    case CV_TUNER_RESULT_LEFT_ALONE:
    case CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED:
    default:
        g_info("%s %s %" G_GUINT64_FORMAT ": %s", cv_tuner_result_to_string(action->result),
               cv_decision_kind_to_string(action->kind), action->value, action->error);
        break;
    }
    emit(self, &record);
}

static void
maybe_detach_after_eval(CvTuner *self)
{
    if (self->phase != PHASE_WATCHING || self->opts.max_iterations == 0)
        return;
    if (self->summary.n_evaluations >= self->opts.max_iterations)
        cv_tuner_detach(self);
}

static void
action_done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;
    CvTunerAction *action = &self->action;
    gboolean gone = cv_target_error_is_gone(error);

    self->action_in_flight = FALSE;
    if (error != NULL) {
        action->result = CV_TUNER_RESULT_FAILED;
        g_strlcpy(action->error, error->message, sizeof(action->error));
        if (action->kind == CV_DECISION_ABORT)
            self->aborting = FALSE;
        if (action->kind == CV_DECISION_PAUSE_GUEST)
            self->paused_guest = FALSE;
    } else {
        action->result = CV_TUNER_RESULT_APPLIED;
        switch (action->kind) {
        case CV_DECISION_SET_DOWNTIME_LIMIT:
            cv_field_set(&self->params.downtime_limit_ms, action->value);
            cv_field_set(&self->ours_downtime, action->value);
            break;
        case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
            cv_field_set(&self->params.avail_switchover_bandwidth, action->value);
            cv_field_set(&self->ours_switchover, action->value);
            break;
        case CV_DECISION_ABORT:
            self->aborting = TRUE;
            break;
        case CV_DECISION_START_POSTCOPY:
        case CV_DECISION_PAUSE_GUEST:
        case CV_DECISION_NONE:
        default:
            break;
        }
        cv_policy_history_record(&self->history, &self->action_decision, &self->action_sample);
    }
    report_action(self, action);
    if (self->phase == PHASE_RESTORING) {
        /* finish() waited for this change to land before restoring. */
        restore_start(self);
        return;
    }
    if (gone) {
        finish(self, CV_TUNER_OUTCOME_VANISHED, "%s", error->message);
        return;
    }
    if (self->phase == PHASE_WATCHING) {
        if (self->detach_after_action) {
            cv_tuner_detach(self);
            return;
        }
        maybe_detach_after_eval(self);
    }
}

/* The last line of defence: a limit above the cap is only legal when the engine predicts a
 * blackout within the cap (QEMU without switchover bandwidth, policy stating the link rate). */
static gboolean
check_downtime_value(CvTuner *self, const CvDecision *d, gchar *why, gsize why_len)
{
    guint64 cap = self->opts.policy.max_downtime_ms;

    if (d->value == 0 || d->value > CV_SAMPLE_MAX_MS) {
        g_snprintf(why, why_len, "downtime-limit %" G_GUINT64_FORMAT " ms is out of range",
                   d->value);
        return FALSE;
    }
    if (cap == 0 || d->value <= cap)
        return TRUE;
    if (d->predicted_blackout_ms > 0 && d->predicted_blackout_ms <= cap &&
        self->opts.policy.switchover_bandwidth > 0 &&
        !cv_params_supports_switchover_bandwidth(&self->params))
        return TRUE;
    g_snprintf(why, why_len,
               "downtime-limit %" G_GUINT64_FORMAT " ms is above the cap of %" G_GUINT64_FORMAT
               " ms without a predicted blackout within it",
               d->value, cap);
    return FALSE;
}

/* Would the actuator send @d? FALSE with @why set when it refuses. */
static gboolean
check_decision(CvTuner *self, const CvDecision *d, gchar *why, gsize why_len)
{
    switch (d->kind) {
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        return check_downtime_value(self, d, why, why_len);
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
        if (!cv_params_supports_switchover_bandwidth(&self->params)) {
            g_strlcpy(why, "this QEMU has no avail-switchover-bandwidth; not sent", why_len);
            return FALSE;
        }
        return TRUE;
    case CV_DECISION_START_POSTCOPY:
    case CV_DECISION_PAUSE_GUEST:
    case CV_DECISION_ABORT:
    case CV_DECISION_NONE:
    default:
        return TRUE;
    }
}

static void
apply_decision(CvTuner *self, const CvDecision *d, const CvSample *s)
{
    CvTunerAction *action = &self->action;
    gchar why[CV_TUNER_MESSAGE_MAX] = "";

    if (d->kind == CV_DECISION_NONE)
        return;
    action_init(action, self, d, s);
    if (!check_decision(self, d, why, sizeof(why))) {
        if (d->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            g_warning("refusing the engine's decision: %s", why);
        action->result = CV_TUNER_RESULT_REFUSED;
        g_strlcpy(action->error, why, sizeof(action->error));
        report_action(self, action);
        return;
    }
    if (self->opts.dry_run) {
        action->result = CV_TUNER_RESULT_DRY_RUN;
        report_action(self, action);
        return;
    }
    self->action_in_flight = TRUE;
    self->action_decision = *d;
    self->action_sample = *s;
    switch (d->kind) {
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        self->changed_downtime = TRUE;
        cv_target_set_downtime_limit(self->target, d->value, action_done_cb, self);
        break;
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
        self->changed_switchover = TRUE;
        cv_target_set_switchover_bandwidth(self->target, d->value, action_done_cb, self);
        break;
    case CV_DECISION_START_POSTCOPY:
        cv_target_start_postcopy(self->target, action_done_cb, self);
        break;
    case CV_DECISION_PAUSE_GUEST:
        self->paused_guest = TRUE;
        cv_target_stop_guest(self->target, action_done_cb, self);
        break;
    case CV_DECISION_ABORT:
        self->aborting = TRUE;
        cv_target_cancel(self->target, action_done_cb, self);
        break;
    case CV_DECISION_NONE:
    default:
        g_assert_not_reached();
    }
}

/* ---- evaluation ------------------------------------------------------------------------- */

static CvDecision
decide(CvTuner *self, guint n)
{
    if (self->decide_func != NULL)
        return self->decide_func(&self->opts.policy, self->samples, n, &self->params,
                                 &self->history, self->decide_data);
    return cv_policy_decide(&self->opts.policy, self->samples, n, &self->params, &self->history);
}

/* Report the evaluation of the first @n samples and act on @d. @verify_error: the parameters
 * could not be re-read, so a change is not sent (the engine decides again next time). */
static void
conclude(CvTuner *self, const CvDecision *d, guint n, const GError *verify_error)
{
    const CvSample *s = &self->samples[n - 1];
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_SAMPLE};

    record.sample = s;
    record.decision = d;
    record.params = &self->params;
    emit(self, &record);
    if (!self->noticed_estimate && d->source != CV_ESTIMATE_NONE) {
        self->noticed_estimate = TRUE;
        self->summary.estimate = d->source;
        notice(self, "estimate: %s", cv_estimate_source_to_string(d->source));
    }
    /* A NONE decision still moves the engine's escalation clock (a WAIT step, the time the
     * cap was first found short); changes are recorded once they are applied. */
    if (d->kind == CV_DECISION_NONE)
        cv_policy_history_record(&self->history, d, s);
    if (verify_error != NULL && d->kind != CV_DECISION_NONE) {
        CvTunerAction *action = &self->action;

        action_init(action, self, d, s);
        action->result = CV_TUNER_RESULT_FAILED;
        g_snprintf(action->error, sizeof(action->error),
                   "not sent: cannot re-read the migration parameters first: %s",
                   verify_error->message);
        report_action(self, action);
        if (cv_target_error_is_gone(verify_error)) {
            finish(self, CV_TUNER_OUTCOME_VANISHED, "%s", verify_error->message);
            return;
        }
    } else {
        apply_decision(self, d, s);
    }
    if (!self->action_in_flight)
        maybe_detach_after_eval(self);
}

/* Does @d wait for fresh parameters before it is applied? Every change the actuator would
 * send does: the engine decided on what we last knew, and someone may have moved a parameter
 * since (raised the limit above what we would set, for one). A dry run, a refusal or nothing
 * to do cost no query. */
static gboolean
needs_fresh_params(CvTuner *self, const CvDecision *d)
{
    gchar why[CV_TUNER_MESSAGE_MAX];

    if (d->kind == CV_DECISION_NONE || self->opts.dry_run)
        return FALSE;
    return check_decision(self, d, why, sizeof(why));
}

static void
evaluate(CvTuner *self, guint n)
{
    CvDecision d = decide(self, n);

    self->last_eval_ms = tuner_now(self);
    self->summary.n_evaluations++;
    if (needs_fresh_params(self, &d)) {
        /* No new sample enters samples[] until this is settled (handle_sample waits). */
        self->verify_pending = TRUE;
        self->verify_decision = d;
        self->verify_n = n;
        request_params(self);
        return;
    }
    conclude(self, &d, n, NULL);
}

/* The fresh parameters for a pending change are in (or could not be read). */
static void
verified(CvTuner *self, gboolean differs, const GError *error)
{
    CvDecision d = self->verify_decision;
    guint n = self->verify_n;

    self->verify_pending = FALSE;
    /* Someone else moved a parameter: decide again on the same samples and history, with what
     * QEMU holds now (it may now be nothing: a limit raised above ours is left alone). */
    if (error == NULL && differs)
        d = decide(self, n);
    conclude(self, &d, n, error);
}

static void
notice_pending_source(CvTuner *self, const CvSample *s)
{
    gboolean system_wide = FALSE;

    if (self->noticed_pending || !cv_sample_pending(s, NULL, &system_wide))
        return;
    self->noticed_pending = TRUE;
    self->summary.system_wide_remaining = system_wide ? CV_TRI_YES : CV_TRI_NO;
    if (system_wide)
        notice(self, "pending: system-wide remaining (RAM and device state, QEMU 11.1+)");
    else if (cv_sample_has_vfio(s))
        notice(self, "pending: ram.remaining only; this QEMU reports no system-wide remaining "
                     "(before 11.1) and the VFIO device's share is unknown");
    else
        notice(self, "pending: ram.remaining only; this QEMU reports no system-wide remaining "
                     "(before 11.1)");
}

static void
finish_from_status(CvTuner *self, const CvSample *s)
{
    switch (s->status) {
    case CV_MIGRATION_STATUS_COMPLETED:
        finish(self, CV_TUNER_OUTCOME_COMPLETED, "the migration completed");
        return;
    case CV_MIGRATION_STATUS_FAILED:
        if (s->error_desc[0] != '\0')
            finish(self, CV_TUNER_OUTCOME_FAILED, "the migration failed: %s", s->error_desc);
        else
            finish(self, CV_TUNER_OUTCOME_FAILED, "the migration failed");
        return;
    case CV_MIGRATION_STATUS_CANCELLED:
        if (self->aborting)
            finish(self, CV_TUNER_OUTCOME_ABORTED, "the policy aborted the migration");
        else
            finish(self, CV_TUNER_OUTCOME_CANCELLED, "the migration was cancelled");
        return;
    case CV_MIGRATION_STATUS_UNKNOWN:
    case CV_MIGRATION_STATUS_NONE:
    case CV_MIGRATION_STATUS_SETUP:
    case CV_MIGRATION_STATUS_ACTIVE:
    case CV_MIGRATION_STATUS_PRE_SWITCHOVER:
    case CV_MIGRATION_STATUS_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_ACTIVE:
    case CV_MIGRATION_STATUS_POSTCOPY_PAUSED:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER_SETUP:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER:
    case CV_MIGRATION_STATUS_FAILING:
    case CV_MIGRATION_STATUS_CANCELLING:
    case CV_MIGRATION_STATUS_COLO:
    case CV_MIGRATION_STATUS_WAIT_UNPLUG:
    default:
        g_assert_not_reached();
    }
}

static void
mark_migration_seen(CvTuner *self)
{
    if (self->migration_seen)
        return;
    self->migration_seen = TRUE;
    notice(self, "migration running; tuning with policy '%s'%s", self->opts.policy.name,
           self->opts.dry_run ? " (dry run: nothing will be changed)" : "");
}

static gboolean
final_stats_pending(CvTuner *self, const CvSample *s)
{
    if (s->status != CV_MIGRATION_STATUS_COMPLETED || self->final_retries >= FINAL_RETRIES)
        return FALSE;
    return !cv_field_valid(&s->total_time_ms) || s->total_time_ms.value == 0 ||
           (s->downtime_ms.state == CV_FIELD_VALID && s->downtime_ms.value == 0);
}

static gboolean coalesce_cb(gpointer user_data);

static void
handle_sample(CvTuner *self, const CvSample *s)
{
    switch (s->status) {
    case CV_MIGRATION_STATUS_UNKNOWN:
        /* A status this build does not know, or garbage: nothing to act on. */
        return;
    case CV_MIGRATION_STATUS_NONE:
        return;
    case CV_MIGRATION_STATUS_COMPLETED:
    case CV_MIGRATION_STATUS_FAILED:
    case CV_MIGRATION_STATUS_CANCELLED:
        /* A final state left from an earlier migration is not ours: wait for a new one. */
        if (!self->migration_seen)
            return;
        self->last = *s;
        self->have_last = TRUE;
        if (final_stats_pending(self, s)) {
            /* QEMU announces completed a moment before it stores total-time and downtime:
             * ask again shortly rather than report a 0 ms downtime. */
            self->final_retries++;
            clear_source(&self->coalesce_source);
            self->coalesce_source =
                cv_clock_timeout_add(self->clock, cv_target_get_context(self->target),
                                     FINAL_RETRY_MS, coalesce_cb, self);
            return;
        }
        finish_from_status(self, s);
        return;
    case CV_MIGRATION_STATUS_SETUP:
    case CV_MIGRATION_STATUS_ACTIVE:
    case CV_MIGRATION_STATUS_PRE_SWITCHOVER:
    case CV_MIGRATION_STATUS_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_ACTIVE:
    case CV_MIGRATION_STATUS_POSTCOPY_PAUSED:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER_SETUP:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER:
    case CV_MIGRATION_STATUS_FAILING:
    case CV_MIGRATION_STATUS_CANCELLING:
    case CV_MIGRATION_STATUS_COLO:
    case CV_MIGRATION_STATUS_WAIT_UNPLUG:
    default:
        break;
    }
    mark_migration_seen(self);
    self->last = *s;
    self->have_last = TRUE;
    if (cv_migration_status_is_precopy(s->status) && cv_field_valid(&s->remaining)) {
        self->have_stopcopy = TRUE;
        self->stopcopy_bytes = s->remaining.value;
    }
    if (s->status == CV_MIGRATION_STATUS_ACTIVE)
        notice_pending_source(self, s);
    if (self->action_in_flight || self->verify_pending)
        return;
    if (is_boundary(self, s)) {
        history_append(self, s);
        evaluate(self, self->n_samples);
        return;
    }
    if (self->opts.idle_eval_interval_ms > 0 &&
        s->time_ms - self->last_eval_ms >= (gint64)self->opts.idle_eval_interval_ms) {
        self->samples[self->n_samples] = *s;
        evaluate(self, self->n_samples + 1);
    }
}

/* ---- queries ---------------------------------------------------------------------------- */

static void
sample_cb(CvTarget *target, const CvSample *sample, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;
    CvSample s;

    self->query_in_flight = FALSE;
    if (self->phase != PHASE_WATCHING)
        return;
    if (error != NULL) {
        if (cv_target_error_is_gone(error)) {
            finish(self, CV_TUNER_OUTCOME_VANISHED, "%s", error->message);
            return;
        }
        g_info("query-migrate failed: %s", error->message);
        if (++self->query_errors >= MAX_QUERY_ERRORS) {
            finish(self, CV_TUNER_OUTCOME_ERROR, "query-migrate failed %u times in a row: %s",
                   self->query_errors, error->message);
            return;
        }
    } else {
        self->query_errors = 0;
        s = *sample;
        s.time_ms = tuner_now(self);
        handle_sample(self, &s);
    }
    if (self->phase == PHASE_WATCHING && self->query_wanted) {
        gboolean urgent = self->query_urgent;

        self->query_wanted = FALSE;
        self->query_urgent = FALSE;
        request_query(self, urgent);
    }
}

static void
send_query(CvTuner *self)
{
    clear_source(&self->coalesce_source);
    self->query_in_flight = TRUE;
    self->n_queries++;
    self->last_query_ms = tuner_now(self);
    cv_target_query_migrate(self->target, sample_cb, self);
}

static gboolean
coalesce_cb(gpointer user_data)
{
    CvTuner *self = user_data;

    self->coalesce_source = NULL;
    if (self->phase == PHASE_WATCHING && !self->query_in_flight)
        send_query(self);
    return G_SOURCE_REMOVE;
}

/* At most one query in flight, and (urgent status changes aside) at most one per
 * min_eval_interval: a burst of pass events costs a flag, not a query each. */
static void
request_query(CvTuner *self, gboolean urgent)
{
    gint64 now, wait;

    if (self->phase != PHASE_WATCHING)
        return;
    if (self->query_in_flight) {
        self->query_wanted = TRUE;
        self->query_urgent |= urgent;
        return;
    }
    now = tuner_now(self);
    wait = self->last_query_ms + (gint64)self->opts.min_eval_interval_ms - now;
    if (urgent || self->n_queries == 0 || wait <= 0) {
        send_query(self);
        return;
    }
    if (self->coalesce_source == NULL)
        self->coalesce_source = cv_clock_timeout_add(
            self->clock, cv_target_get_context(self->target), (guint)wait, coalesce_cb, self);
}

static void
params_refresh_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;
    gboolean differs = FALSE;

    self->params_in_flight = FALSE;
    if (self->phase == PHASE_DONE)
        return;
    if (error == NULL)
        differs = merge_params(self, params);
    else
        g_info("query-migrate-parameters failed: %s", error->message);
    /* finish() drops a pending change before it waits for a restore, so at most one of the
     * two waits here; each path may start the next re-read itself. */
    if (self->verify_pending) {
        verified(self, differs, error);
        return;
    }
    if (self->restore_waiting) {
        self->restore_waiting = FALSE;
        if (error != NULL)
            notice(self,
                   "cannot re-read the migration parameters before restoring (%s): "
                   "restoring from what was read last",
                   error->message);
        restore_next(self);
        return;
    }
    if (self->phase == PHASE_WATCHING && cv_target_error_is_gone(error))
        finish(self, CV_TUNER_OUTCOME_VANISHED, "%s", error->message);
}

/* One query-migrate-parameters, unless one is already out: its answer serves every waiter. */
static void
request_params(CvTuner *self)
{
    if (self->params_in_flight)
        return;
    self->params_in_flight = TRUE;
    self->n_params_queries++;
    self->last_params_ms = tuner_now(self);
    cv_target_refresh_params(self->target, params_refresh_cb, self);
}

/* Outside changes show up within params_refresh_ms even when the tuner has nothing to change:
 * one small query per period, on the poll's timer (no timer of its own). Not while a change of
 * ours is in flight, so no reading ever straddles one. */
static void
maybe_refresh_params(CvTuner *self)
{
    if (self->opts.params_refresh_ms == 0 || self->action_in_flight)
        return;
    if (tuner_now(self) - self->last_params_ms < (gint64)self->opts.params_refresh_ms)
        return;
    request_params(self);
}

static gboolean
poll_cb(gpointer user_data)
{
    CvTuner *self = user_data;

    if (self->phase != PHASE_WATCHING)
        return G_SOURCE_CONTINUE;
    if (!self->migration_seen && self->opts.start_timeout_ms > 0 &&
        tuner_now(self) - self->attach_ms >= (gint64)self->opts.start_timeout_ms) {
        finish(self, CV_TUNER_OUTCOME_NO_MIGRATION,
               "no migration started within %" G_GUINT64_FORMAT " ms", self->opts.start_timeout_ms);
        return G_SOURCE_CONTINUE;
    }
    request_query(self, FALSE);
    maybe_refresh_params(self);
    return G_SOURCE_CONTINUE;
}

static gboolean
timeout_cb(gpointer user_data)
{
    CvTuner *self = user_data;

    self->timeout_source = NULL;
    cv_tuner_detach(self);
    return G_SOURCE_REMOVE;
}

static void
event_cb(CvTarget *target, const CvTargetEvent *event, gpointer user_data)
{
    CvTuner *self = user_data;

    switch (event->kind) {
    case CV_TARGET_EVENT_PASS:
        request_query(self, FALSE);
        break;
    case CV_TARGET_EVENT_STATUS:
        if (event->status != CV_MIGRATION_STATUS_NONE &&
            !cv_migration_status_is_final(event->status) &&
            event->status != CV_MIGRATION_STATUS_UNKNOWN && self->phase == PHASE_WATCHING)
            mark_migration_seen(self);
        request_query(self, TRUE);
        break;
    case CV_TARGET_EVENT_STOP:
    case CV_TARGET_EVENT_RESUME:
        break;
    case CV_TARGET_EVENT_CLOSED:
        if (self->phase == PHASE_RESTORING) {
            /* The restore's own callbacks will report CLOSED. */
            break;
        }
        finish(self, CV_TUNER_OUTCOME_VANISHED, "%s",
               event->error != NULL ? event->error->message : "QEMU went away");
        break;
    default:
        break;
    }
}

/* ---- attach ----------------------------------------------------------------------------- */

static void
start_watching(CvTuner *self)
{
    self->phase = PHASE_WATCHING;
    self->poll_source = cv_clock_timeout_add(self->clock, cv_target_get_context(self->target),
                                             (guint)self->opts.poll_interval_ms, poll_cb, self);
    request_query(self, TRUE);
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
notice_switchover_support(CvTuner *self)
{
    gchar rate[32];

    if (cv_params_supports_switchover_bandwidth(&self->params)) {
        self->summary.switchover_bandwidth = CV_TRI_YES;
        return;
    }
    self->summary.switchover_bandwidth = CV_TRI_NO;
    if (self->opts.policy.switchover_bandwidth > 0) {
        cv_format_rate(self->opts.policy.switchover_bandwidth, rate, sizeof(rate));
        notice(self,
               "fallback: this QEMU has no avail-switchover-bandwidth (before 8.2): never sent; "
               "blackout predicted as pending / %s",
               rate);
    } else {
        notice(self, "fallback: this QEMU has no avail-switchover-bandwidth (before 8.2): never "
                     "sent; the policy states no link rate, so the limit is held to the cap");
    }
}

static void params_cb(CvTarget *target, const CvParams *params, const GError *error,
                      gpointer user_data);

/* The attach-time read: parameters and capabilities. */
static void
query_params_at_attach(CvTuner *self)
{
    self->n_params_queries++;
    self->last_params_ms = tuner_now(self);
    cv_target_query_params(self->target, params_cb, self);
}

static void
params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_ATTACH};

    if (self->phase != PHASE_CONNECTING)
        return;
    if (error != NULL) {
        finish(self,
               cv_target_error_is_gone(error) ? CV_TUNER_OUTCOME_VANISHED : CV_TUNER_OUTCOME_ERROR,
               "cannot read the migration parameters: %s", error->message);
        return;
    }
    self->params = *params;
    self->original = *params;
    if (cv_field_valid(&params->downtime_limit_ms))
        self->history.original_downtime_limit_ms = params->downtime_limit_ms.value;
    record.params = &self->params;
    record.policy = &self->opts.policy;
    record.dry_run = self->opts.dry_run;
    record.message = cv_target_get_events_note(target);
    emit(self, &record);
    notice_switchover_support(self);
    if (!cv_target_has_events(target))
        notice(self, "polling every %" G_GUINT64_FORMAT " ms: %s", self->opts.poll_interval_ms,
               cv_target_get_events_note(target) != NULL ? cv_target_get_events_note(target)
                                                         : "no migration events");
    if (self->start_uri != NULL) {
        cv_target_migrate(target, self->start_uri, migrate_cb, self);
        return;
    }
    start_watching(self);
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
    query_params_at_attach(self);
}

/* ---- the end ---------------------------------------------------------------------------- */

static void
emit_summary(CvTuner *self)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_SUMMARY, .summary = &self->summary};

    self->phase = PHASE_DONE;
    self->summary.elapsed_ms = tuner_now(self) - self->attach_ms;
    emit(self, &record);
}

static void
summary_add_restore(CvTuner *self, const CvTunerAction *r)
{
    if (self->summary.n_restores < G_N_ELEMENTS(self->summary.restores))
        self->summary.restores[self->summary.n_restores++] = *r;
}

/* Someone else set the parameter after our change: their value stays. Restoring it would
 * fight an operator, and "never leave a parameter changed" is about what we changed. */
static void
record_left_alone(CvTuner *self, const ParamField *pf, const CvU64Field *ours)
{
    CvTunerAction *r = &self->restore;
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_RESTORE, .action = r};
    gchar now[32], set[32], orig[32];
    CvU64Field value = {.state = CV_FIELD_VALID, .value = r->value};

    r->result = CV_TUNER_RESULT_LEFT_ALONE;
    format_param(pf, &r->previous, now, sizeof(now));
    format_param(pf, &value, orig, sizeof(orig));
    if (cv_field_valid(ours)) {
        format_param(pf, ours, set, sizeof(set));
        g_snprintf(r->error, sizeof(r->error),
                   "someone else set %s after virt-converge set %s; not restored to %s", now, set,
                   orig);
    } else {
        g_snprintf(r->error, sizeof(r->error),
                   "someone else set %s (virt-converge's change did not take); not restored to %s",
                   now, orig);
    }
    self->summary.n_restores_left_alone++;
    summary_add_restore(self, r);
    emit(self, &record);
}

static void
restore_done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvTuner *self = user_data;
    CvTunerAction *r = &self->restore;
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_RESTORE, .action = r};

    if (error != NULL) {
        r->result = CV_TUNER_RESULT_FAILED;
        g_strlcpy(r->error, error->message, sizeof(r->error));
        self->summary.n_restore_failures++;
        g_info("restoring %s failed: %s", cv_decision_kind_to_string(r->kind), error->message);
    } else {
        r->result = CV_TUNER_RESULT_APPLIED;
        if (r->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            cv_field_set(&self->params.downtime_limit_ms, r->value);
        else if (r->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
            cv_field_set(&self->params.avail_switchover_bandwidth, r->value);
    }
    summary_add_restore(self, r);
    emit(self, &record);
    self->restore_index++;
    restore_next(self);
}

/* Before undoing a parameter change, read what QEMU holds now: only a value that is still ours
 * is restored. */
static void
restore_start(CvTuner *self)
{
    for (guint i = 0; i < self->n_restore_queue; i++) {
        if (self->restore_queue[i] == RESTORE_DOWNTIME ||
            self->restore_queue[i] == RESTORE_SWITCHOVER) {
            self->restore_waiting = TRUE;
            request_params(self);
            return;
        }
    }
    restore_next(self);
}

/* Restore one change after the other; a failure is reported and the next one still runs. */
static void
restore_next(CvTuner *self)
{
    CvTunerAction *r = &self->restore;
    const CvU64Field *orig = NULL;
    const CvU64Field *ours = NULL;
    const ParamField *pf = NULL;

    if (self->restore_index >= self->n_restore_queue) {
        self->summary.downtime_limit_ms = self->params.downtime_limit_ms;
        emit_summary(self);
        return;
    }
    memset(r, 0, sizeof(*r));
    r->time_ms = tuner_now(self) - self->attach_ms;
    switch (self->restore_queue[self->restore_index]) {
    case RESTORE_DOWNTIME:
        r->kind = CV_DECISION_SET_DOWNTIME_LIMIT;
        r->previous = self->params.downtime_limit_ms;
        orig = &self->original.downtime_limit_ms;
        ours = &self->ours_downtime;
        pf = &param_fields[PARAM_DOWNTIME_LIMIT];
        break;
    case RESTORE_SWITCHOVER:
        r->kind = CV_DECISION_SET_SWITCHOVER_BANDWIDTH;
        r->previous = self->params.avail_switchover_bandwidth;
        orig = &self->original.avail_switchover_bandwidth;
        ours = &self->ours_switchover;
        pf = &param_fields[PARAM_SWITCHOVER_BANDWIDTH];
        break;
    case RESTORE_RESUME:
        r->kind = CV_DECISION_PAUSE_GUEST;
        g_strlcpy(r->reason, "resume the guest we paused", sizeof(r->reason));
        cv_target_resume_guest(self->target, restore_done_cb, self);
        return;
    default:
        g_assert_not_reached();
    }
    if (!cv_field_valid(orig)) {
        CvTunerRecord record = {.kind = CV_TUNER_RECORD_RESTORE, .action = r};

        r->result = CV_TUNER_RESULT_REFUSED;
        g_strlcpy(r->error, "the original value is unknown", sizeof(r->error));
        self->summary.n_restore_failures++;
        summary_add_restore(self, r);
        emit(self, &record);
        self->restore_index++;
        restore_next(self);
        return;
    }
    r->value = orig->value;
    g_strlcpy(r->reason, "restore the value found before our first change", sizeof(r->reason));
    /* r->previous was just re-read (restore_start). */
    if (cv_field_valid(&r->previous) && r->previous.value == orig->value) {
        /* Back where it was already: our change did not take, or someone put it back. */
        self->restore_index++;
        restore_next(self);
        return;
    }
    if (cv_field_valid(&r->previous) &&
        !(cv_field_valid(ours) && ours->value == r->previous.value)) {
        record_left_alone(self, pf, ours);
        self->restore_index++;
        restore_next(self);
        return;
    }
    if (r->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        cv_target_set_downtime_limit(self->target, r->value, restore_done_cb, self);
    else
        cv_target_set_switchover_bandwidth(self->target, r->value, restore_done_cb, self);
}

static void
fill_summary(CvTuner *self)
{
    CvTunerSummary *sum = &self->summary;
    const CvSample *s = self->have_last ? &self->last : NULL;

    sum->outcome = self->outcome;
    sum->dry_run = self->opts.dry_run;
    g_strlcpy(sum->policy, self->opts.policy.name, sizeof(sum->policy));
    sum->max_downtime_ms = self->opts.policy.max_downtime_ms;
    sum->downtime_limit_ms = self->params.downtime_limit_ms;
    if (s != NULL) {
        sum->final_status = s->status;
        sum->total_time_ms = s->total_time_ms;
        sum->downtime_ms = s->downtime_ms;
        sum->passes = s->ram_dirty_sync_count;
    }
    if (s != NULL && !cv_field_valid(&sum->passes) && self->n_samples > 0)
        sum->passes = self->samples[self->n_samples - 1].ram_dirty_sync_count;
    if (self->have_stopcopy && self->opts.policy.switchover_bandwidth > 0) {
        gdouble ms = (gdouble)self->stopcopy_bytes * 1000.0 /
                     (gdouble)self->opts.policy.switchover_bandwidth;

        cv_field_set(&sum->lower_bound_ms, (guint64)ceil(ms));
        sum->lower_bound_bytes = self->stopcopy_bytes;
        sum->lower_bound_rate = self->opts.policy.switchover_bandwidth;
    }
}

static void
finish(CvTuner *self, CvTunerOutcome outcome, const gchar *format, ...)
{
    va_list args;
    gboolean restore = FALSE;

    if (self->phase == PHASE_RESTORING || self->phase == PHASE_DONE)
        return;
    self->phase = PHASE_RESTORING;
    self->outcome = outcome;
    clear_source(&self->poll_source);
    clear_source(&self->coalesce_source);
    clear_source(&self->timeout_source);
    va_start(args, format);
    g_vsnprintf(self->summary.message, sizeof(self->summary.message), format, args);
    va_end(args);
    fill_summary(self);

    switch (outcome) {
    case CV_TUNER_OUTCOME_FAILED:
    case CV_TUNER_OUTCOME_CANCELLED:
    case CV_TUNER_OUTCOME_ABORTED:
    case CV_TUNER_OUTCOME_ERROR:
        restore = TRUE;
        break;
    case CV_TUNER_OUTCOME_DETACHED:
        restore = !self->opts.keep;
        self->summary.restore_skipped = self->opts.keep;
        break;
    case CV_TUNER_OUTCOME_VANISHED:
        self->summary.restore_skipped =
            self->changed_downtime || self->changed_switchover || self->paused_guest;
        break;
    case CV_TUNER_OUTCOME_COMPLETED:
    case CV_TUNER_OUTCOME_CAP_BROKEN:
    case CV_TUNER_OUTCOME_NO_MIGRATION:
    case CV_TUNER_OUTCOME_RUNNING:
    default:
        break;
    }
    self->n_restore_queue = 0;
    self->restore_index = 0;
    if (restore && cv_target_is_connected(self->target)) {
        if (self->changed_downtime)
            self->restore_queue[self->n_restore_queue++] = RESTORE_DOWNTIME;
        if (self->changed_switchover)
            self->restore_queue[self->n_restore_queue++] = RESTORE_SWITCHOVER;
        if (self->paused_guest && outcome != CV_TUNER_OUTCOME_ABORTED)
            self->restore_queue[self->n_restore_queue++] = RESTORE_RESUME;
    }
    /* A change still waiting for fresh parameters was never sent: drop it. */
    self->verify_pending = FALSE;
    if (!self->action_in_flight)
        restore_start(self);
}

/* ---- public ----------------------------------------------------------------------------- */

CvTuner *
cv_tuner_new(CvTarget *target, CvClock *clock, const CvTunerOptions *options)
{
    CvTuner *self;

    g_return_val_if_fail(target != NULL && clock != NULL && options != NULL, NULL);
    self = g_new0(CvTuner, 1);
    self->target = target;
    self->clock = clock;
    self->opts = *options;
    self->start_uri = g_strdup(options->start_uri);
    self->opts.start_uri = self->start_uri;
    if (self->opts.poll_interval_ms == 0)
        self->opts.poll_interval_ms = 1000;
    cv_params_init(&self->params);
    cv_params_init(&self->original);
    cv_policy_history_init(&self->history);
    self->summary.system_wide_remaining = CV_TRI_UNKNOWN;
    self->summary.switchover_bandwidth = CV_TRI_UNKNOWN;
    return self;
}

void
cv_tuner_set_record_func(CvTuner *tuner, CvTunerRecordFunc func, gpointer user_data)
{
    g_return_if_fail(tuner != NULL);
    tuner->record_func = func;
    tuner->record_data = user_data;
}

void
cv_tuner_start(CvTuner *tuner)
{
    g_return_if_fail(tuner != NULL && tuner->phase == PHASE_INIT);
    tuner->phase = PHASE_CONNECTING;
    tuner->attach_ms = tuner_now(tuner);
    tuner->last_eval_ms = tuner->attach_ms;
    cv_target_set_event_func(tuner->target, event_cb, tuner);
    if (tuner->opts.timeout_ms > 0)
        tuner->timeout_source =
            cv_clock_timeout_add(tuner->clock, cv_target_get_context(tuner->target),
                                 (guint)MIN(tuner->opts.timeout_ms, G_MAXUINT), timeout_cb, tuner);
    if (cv_target_is_connected(tuner->target))
        query_params_at_attach(tuner);
    else
        cv_target_connect(tuner->target, connect_cb, tuner);
}

void
cv_tuner_detach(CvTuner *tuner)
{
    g_return_if_fail(tuner != NULL);
    if (tuner->phase == PHASE_RESTORING || tuner->phase == PHASE_DONE)
        return;
    if (tuner->action_in_flight) {
        /* Let the change land (or fail) first, so the restore sees it. */
        tuner->detach_after_action = TRUE;
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
    return &tuner->summary;
}

guint
cv_tuner_get_n_queries(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, 0);
    return tuner->n_queries;
}

guint
cv_tuner_get_n_params_queries(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, 0);
    return tuner->n_params_queries;
}

guint
cv_tuner_get_n_history(const CvTuner *tuner)
{
    g_return_val_if_fail(tuner != NULL, 0);
    return tuner->n_samples;
}

void
cv_tuner_free(CvTuner *tuner)
{
    if (tuner == NULL)
        return;
    clear_source(&tuner->poll_source);
    clear_source(&tuner->coalesce_source);
    clear_source(&tuner->timeout_source);
    cv_target_unset_event_func(tuner->target, event_cb, tuner);
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
    if (n_samples != NULL)
        *n_samples = tuner->n_samples;
    return tuner->samples;
}
