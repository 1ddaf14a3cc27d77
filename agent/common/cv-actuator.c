#include "config.h"

#include <string.h>

#include "cv-actuator.h"

typedef struct {
    CvActuatorReadFunc func;
    gpointer user_data;
} Waiter;

struct _CvActuator {
    CvTarget *target;
    CvPolicy policy;
    gboolean dry_run;
    CvActuatorOutsideFunc outside_func;
    CvActuatorDoneFunc done_func;
    gpointer user_data;
    CvActuatorGateFunc gate_func;
    gpointer gate_data;

    CvParams params;   /* as we believe they are now */
    CvParams original; /* before our first change of each */
    /* What we changed (set when the command is sent, so a restore racing with it covers it),
     * and the last value QEMU accepted from us: a restore undoes only a value still ours. */
    gboolean changed_downtime;
    gboolean changed_switchover;
    CvU64Field ours_downtime;
    CvU64Field ours_switchover;
    gboolean paused_guest;
    gboolean aborting;

    gboolean reading;
    guint n_reads;
    GArray *waiters;  /* Waiter: answered by the next read that completes */
    guint generation; /* bumped by cv_actuator_suspend(): callbacks of older reads are void */

    /* The restore under way (cv_actuator_restore): the ledger walked and whom it tells. */
    CvRestoreLedger *restore_ledger;
    CvRestoreLedgerEntryFunc restore_entry_func;
    CvRestoreLedgerDoneFunc restore_done_func;
    gpointer restore_data;

    gboolean in_flight; /* a change sent, its reply awaited */
    gboolean lost;      /* its reply was lost: fate unknown until resume/abandon */
    /* its reply could not be read (a broken line in its place): re-read before saying */
    gchar unreadable[256];
    CvDecision decision;
    CvSample sample;
    CvTunerAction action;
};

typedef struct {
    const gchar *name;
    gsize offset;
    gboolean is_ms; /* else bytes/s */
} ParamField;

/* The parameters anyone may change while a migration runs (QEMU refuses capability changes
 * then, so those are never re-read). */
static const ParamField param_fields[] = {
    {"downtime-limit", G_STRUCT_OFFSET(CvParams, downtime_limit_ms), TRUE},
    {"max-bandwidth", G_STRUCT_OFFSET(CvParams, max_bandwidth), FALSE},
    {"avail-switchover-bandwidth", G_STRUCT_OFFSET(CvParams, avail_switchover_bandwidth), FALSE},
    {"max-postcopy-bandwidth", G_STRUCT_OFFSET(CvParams, max_postcopy_bandwidth), FALSE},
};

static CvU64Field *
param_field(CvParams *params, const ParamField *pf)
{
    return G_STRUCT_MEMBER_P(params, pf->offset);
}

static gboolean
field_same(const CvU64Field *a, const CvU64Field *b)
{
    return a->state == b->state && (a->state != CV_FIELD_VALID || a->value == b->value);
}

static void
format_field(const CvU64Field *f, gboolean is_ms, gchar *buf, gsize len)
{
    switch (f->state) {
    case CV_FIELD_VALID:
        if (is_ms)
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

CvActuator *
cv_actuator_new(CvTarget *target, const CvPolicy *policy, gboolean dry_run)
{
    CvActuator *self;

    g_return_val_if_fail(target != NULL && policy != NULL, NULL);
    self = g_new0(CvActuator, 1);
    self->target = target;
    self->policy = *policy;
    self->dry_run = dry_run;
    cv_params_init(&self->params);
    cv_params_init(&self->original);
    self->waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
    return self;
}

void
cv_actuator_free(CvActuator *actuator)
{
    if (actuator == NULL)
        return;
    cv_target_forget(actuator->target, actuator);
    g_array_unref(actuator->waiters);
    g_free(actuator);
}

void
cv_actuator_set_funcs(CvActuator *actuator, CvActuatorOutsideFunc outside_func,
                      CvActuatorDoneFunc done_func, gpointer user_data)
{
    g_return_if_fail(actuator != NULL);
    actuator->outside_func = outside_func;
    actuator->done_func = done_func;
    actuator->user_data = user_data;
}

void
cv_actuator_set_gate_func(CvActuator *actuator, CvActuatorGateFunc func, gpointer user_data)
{
    g_return_if_fail(actuator != NULL);
    actuator->gate_func = func;
    actuator->gate_data = user_data;
}

void
cv_actuator_set_policy(CvActuator *actuator, const CvPolicy *policy)
{
    g_return_if_fail(actuator != NULL && policy != NULL);
    actuator->policy = *policy;
}

gboolean
cv_actuator_adopt(CvActuator *actuator, CvDecisionKind kind, const CvTunerAdoptedParam *adopted)
{
    CvU64Field *original, *now, *ours;
    gboolean *changed;
    gboolean held = FALSE;

    g_return_val_if_fail(actuator != NULL && adopted != NULL, FALSE);
    if (kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
        original = &actuator->original.downtime_limit_ms;
        now = &actuator->params.downtime_limit_ms;
        ours = &actuator->ours_downtime;
        changed = &actuator->changed_downtime;
    } else if (kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH) {
        original = &actuator->original.avail_switchover_bandwidth;
        now = &actuator->params.avail_switchover_bandwidth;
        ours = &actuator->ours_switchover;
        changed = &actuator->changed_switchover;
    } else {
        g_return_val_if_reached(FALSE);
    }
    if (adopted->n_ours == 0)
        return FALSE;
    *original = adopted->original;
    if (original->state == CV_FIELD_INVALID)
        original->state = CV_FIELD_ABSENT;
    *changed = TRUE;
    for (guint i = 0; i < adopted->n_ours && cv_field_valid(now); i++)
        held |= adopted->ours[i] == now->value;
    /* Not held: someone else's value stands there now (or the original again); a restore
     * compares against the last of ours and leaves theirs alone. */
    cv_field_set(ours, held ? now->value : adopted->ours[adopted->n_ours - 1]);
    return held;
}

void
cv_actuator_set_found(CvActuator *actuator, const CvParams *params)
{
    g_return_if_fail(actuator != NULL && params != NULL);
    actuator->params = *params;
    actuator->original = *params;
}

const CvParams *
cv_actuator_get_params(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, NULL);
    return &actuator->params;
}

const CvParams *
cv_actuator_get_original(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, NULL);
    return &actuator->original;
}

/* ---- reading ------------------------------------------------------------------------------ */

static gboolean
changed_by_us(const CvActuator *self, const ParamField *pf)
{
    if (pf->offset == G_STRUCT_OFFSET(CvParams, downtime_limit_ms))
        return self->changed_downtime;
    if (pf->offset == G_STRUCT_OFFSET(CvParams, avail_switchover_bandwidth))
        return self->changed_switchover;
    return FALSE;
}

/* Each parameter that differs from what we believed was changed by someone else: our own
 * changes update the belief when QEMU acknowledges them, and no read is ever in flight across
 * one of them. */
gboolean
cv_actuator_merge(CvActuator *actuator, const CvParams *fresh)
{
    gboolean differs = FALSE;

    g_return_val_if_fail(actuator != NULL && fresh != NULL, FALSE);
    for (gsize i = 0; i < G_N_ELEMENTS(param_fields); i++) {
        const ParamField *pf = &param_fields[i];
        CvU64Field *believed = param_field(&actuator->params, pf);
        const CvU64Field *now = param_field((CvParams *)fresh, pf);
        CvU64Field before = *believed;
        g_autofree gchar *message = NULL;
        gchar from[32], to[32];

        if (field_same(believed, now))
            continue;
        differs = TRUE;
        *believed = *now;
        if (!changed_by_us(actuator, pf))
            *param_field(&actuator->original, pf) = *now;
        if (pf->is_ms && cv_field_valid(&before) && cv_field_valid(now)) {
            message = g_strdup_printf("%s changed behind us: %" G_GUINT64_FORMAT
                                      " -> %" G_GUINT64_FORMAT " ms (not by virt-converge)",
                                      pf->name, before.value, now->value);
        } else {
            format_field(&before, pf->is_ms, from, sizeof(from));
            format_field(now, pf->is_ms, to, sizeof(to));
            message = g_strdup_printf("%s changed behind us: %s -> %s (not by virt-converge)",
                                      pf->name, from, to);
        }
        if (actuator->outside_func != NULL)
            actuator->outside_func(actuator, pf->name, &before, believed, message,
                                   actuator->user_data);
    }
    return differs;
}

static void send_read(CvActuator *self);

static void
read_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    CvActuator *self = user_data;
    g_autoptr(GArray) waiters = g_steal_pointer(&self->waiters);
    guint generation = self->generation;
    gboolean differs = FALSE;

    self->reading = FALSE;
    self->waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
    if (error == NULL)
        differs = cv_actuator_merge(self, params);
    else
        g_info("query-migrate-parameters failed: %s", error->message);
    for (guint i = 0; i < waiters->len && self->generation == generation; i++) {
        const Waiter *w = &g_array_index(waiters, Waiter, i);

        w->func(self, differs, error, w->user_data);
    }
}

static void
send_read(CvActuator *self)
{
    self->reading = TRUE;
    self->n_reads++;
    cv_target_refresh_params(self->target, read_cb, self);
}

void
cv_actuator_refresh(CvActuator *actuator, CvActuatorReadFunc func, gpointer user_data)
{
    g_return_if_fail(actuator != NULL);
    if (func != NULL) {
        Waiter w = {func, user_data};

        g_array_append_val(actuator->waiters, w);
    }
    /* Never across one of our changes: it goes out once the change settled. */
    if (actuator->reading || actuator->in_flight || actuator->lost)
        return;
    send_read(actuator);
}

guint
cv_actuator_get_n_reads(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, 0);
    return actuator->n_reads;
}

gboolean
cv_actuator_is_reading(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, FALSE);
    return actuator->reading;
}

/* ---- changes ------------------------------------------------------------------------------ */

static void
action_init(CvActuator *self, CvTunerAction *action, const CvDecision *d, const CvSample *s)
{
    memset(action, 0, sizeof(*action));
    action->kind = d->kind;
    action->value = d->value;
    action->predicted_blackout_ms = d->predicted_blackout_ms;
    action->pass = s->ram_dirty_sync_count;
    g_strlcpy(action->reason, d->reason, sizeof(action->reason));
    if (d->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        action->previous = self->params.downtime_limit_ms;
    else if (d->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
        action->previous = self->params.avail_switchover_bandwidth;
}

void
cv_actuator_fill_not_sent(CvActuator *actuator, const CvDecision *d, const CvSample *s,
                          const GError *error, CvTunerAction *action)
{
    action_init(actuator, action, d, s);
    action->result = CV_TUNER_RESULT_FAILED;
    g_snprintf(action->error, sizeof(action->error),
               "not sent: cannot re-read the migration parameters first: %s", error->message);
}

/* @fate_unknown: the error is a lost reply; a pause or an abort that may have happened still
 * counts as ours (resuming a running guest is harmless, missing a paused one is not). */
static void
settle(CvActuator *self, const GError *error, gboolean fate_unknown)
{
    CvTunerAction *action = &self->action;

    if (error != NULL) {
        action->result = CV_TUNER_RESULT_FAILED;
        g_strlcpy(action->error, error->message, sizeof(action->error));
        if (action->kind == CV_DECISION_ABORT && !fate_unknown)
            self->aborting = FALSE;
        if (action->kind == CV_DECISION_PAUSE_GUEST && !fate_unknown)
            self->paused_guest = FALSE;
    } else {
        action->result = CV_TUNER_RESULT_APPLIED;
        if (action->kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
            cv_field_set(&self->params.downtime_limit_ms, action->value);
            cv_field_set(&self->ours_downtime, action->value);
        } else if (action->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH) {
            cv_field_set(&self->params.avail_switchover_bandwidth, action->value);
            cv_field_set(&self->ours_switchover, action->value);
        }
    }
    if (self->done_func != NULL)
        self->done_func(self, action, &self->decision, &self->sample, NULL, self->user_data);
    /* A read asked for while the change was out goes now. */
    if (self->waiters->len > 0 && !self->reading && !self->in_flight && !self->lost)
        send_read(self);
}

static gboolean
error_loses_reply(const GError *error)
{
    return cv_target_error_is_gone(error) ||
           g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT);
}

static gboolean lost_change_took(const CvActuator *self, const CvParams *fresh);

/* The parameters after a change whose reply could not be read: applied when QEMU holds the
 * value (the belief follows first, so the merge does not take ours for someone else's),
 * failed with the unreadable reply's error otherwise, or when they cannot be read either. */
static void
unreadable_read_cb(CvTarget *target, const CvParams *params, const GError *error,
                   gpointer user_data)
{
    CvActuator *self = user_data;
    g_autoptr(GError) why =
        g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_INVALID_REPLY, "%s", self->unreadable);

    self->lost = FALSE;
    if (error == NULL && lost_change_took(self, params)) {
        g_strlcat(self->action.reason, "; its reply could not be read, QEMU holds it",
                  sizeof(self->action.reason));
        if (self->action.kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            cv_field_set(&self->params.downtime_limit_ms, self->action.value);
        else
            cv_field_set(&self->params.avail_switchover_bandwidth, self->action.value);
        cv_actuator_merge(self, params);
        settle(self, NULL, FALSE);
        return;
    }
    if (error == NULL)
        cv_actuator_merge(self, params);
    settle(self, why, FALSE);
}

static void
change_done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvActuator *self = user_data;

    self->in_flight = FALSE;
    /* A parameter change answered by a line that cannot be read may well have taken (QEMU
     * never sends one; a broken peer or monitor proxy might): what QEMU holds says. Until
     * then the change counts as lost: nothing else goes out, and a reconnect settles it. */
    if (error != NULL && g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_INVALID_REPLY) &&
        (self->action.kind == CV_DECISION_SET_DOWNTIME_LIMIT ||
         self->action.kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)) {
        self->lost = TRUE;
        g_strlcpy(self->unreadable, error->message, sizeof(self->unreadable));
        cv_target_refresh_params(self->target, unreadable_read_cb, self);
        return;
    }
    if (error != NULL && error_loses_reply(error)) {
        self->lost = TRUE;
        if (self->done_func != NULL)
            self->done_func(self, NULL, &self->decision, &self->sample, error, self->user_data);
        return;
    }
    settle(self, error, FALSE);
}

gboolean
cv_actuator_apply(CvActuator *actuator, const CvDecision *d, const CvSample *s,
                  CvTunerAction *action)
{
    CvActuator *self = actuator;
    gchar why[CV_TUNER_MESSAGE_MAX] = "";

    g_return_val_if_fail(self != NULL && !self->in_flight && !self->lost, FALSE);
    action_init(self, action, d, s);
    if (d->kind == CV_DECISION_NONE)
        return FALSE;
    if (!cv_actuator_check(&self->policy, &self->params, d, s, why, sizeof(why))) {
        if (d->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            g_warning("refusing the engine's decision: %s", why);
        action->result = CV_TUNER_RESULT_REFUSED;
        g_strlcpy(action->error, why, sizeof(action->error));
        return FALSE;
    }
    if (self->dry_run) {
        action->result = CV_TUNER_RESULT_DRY_RUN;
        return FALSE;
    }
    if (self->gate_func != NULL) {
        CvTunerChange change = {
            .decision = d, .current = &self->params, .original = &self->original};

        switch (self->gate_func(&change, why, sizeof(why), self->gate_data)) {
        case CV_TUNER_GATE_HOLD:
            action->result = CV_TUNER_RESULT_HELD;
            g_strlcpy(action->error, why, sizeof(action->error));
            return FALSE;
        case CV_TUNER_GATE_REFUSE:
            action->result = CV_TUNER_RESULT_REFUSED;
            g_strlcpy(action->error, why, sizeof(action->error));
            return FALSE;
        case CV_TUNER_GATE_PROCEED:
        default:
            break;
        }
    }
    self->in_flight = TRUE;
    self->decision = *d;
    self->sample = *s;
    self->action = *action;
    switch (d->kind) {
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        self->changed_downtime = TRUE;
        cv_target_set_downtime_limit(self->target, d->value, change_done_cb, self);
        break;
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
        self->changed_switchover = TRUE;
        cv_target_set_switchover_bandwidth(self->target, d->value, change_done_cb, self);
        break;
    case CV_DECISION_START_POSTCOPY:
        cv_target_start_postcopy(self->target, change_done_cb, self);
        break;
    case CV_DECISION_PAUSE_GUEST:
        self->paused_guest = TRUE;
        cv_target_stop_guest(self->target, change_done_cb, self);
        break;
    case CV_DECISION_ABORT:
        self->aborting = TRUE;
        cv_target_cancel(self->target, change_done_cb, self);
        break;
    case CV_DECISION_NONE:
    default:
        g_assert_not_reached();
    }
    return TRUE;
}

gboolean
cv_actuator_is_busy(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, FALSE);
    return actuator->in_flight || actuator->lost;
}

/* ---- reconnects --------------------------------------------------------------------------- */

void
cv_actuator_suspend(CvActuator *actuator)
{
    g_return_if_fail(actuator != NULL);
    cv_target_forget(actuator->target, actuator);
    actuator->generation++;
    actuator->reading = FALSE;
    g_array_set_size(actuator->waiters, 0);
    if (actuator->in_flight) {
        actuator->in_flight = FALSE;
        actuator->lost = TRUE;
    }
}

/* The lost change's parameter reads @value on the new connection: it took. */
static gboolean
lost_change_took(const CvActuator *self, const CvParams *fresh)
{
    const CvU64Field *f = NULL;

    if (self->action.kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        f = &fresh->downtime_limit_ms;
    else if (self->action.kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
        f = &fresh->avail_switchover_bandwidth;
    return f != NULL && cv_field_valid(f) && f->value == self->action.value;
}

void
cv_actuator_resume(CvActuator *actuator, const CvParams *fresh)
{
    CvActuator *self = actuator;
    gboolean was_lost, parameter;

    g_return_if_fail(self != NULL && fresh != NULL);
    was_lost = self->lost;
    parameter = self->action.kind == CV_DECISION_SET_DOWNTIME_LIMIT ||
                self->action.kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH;
    if (fresh->postcopy_ram != CV_TRI_UNKNOWN)
        self->params.postcopy_ram = fresh->postcopy_ram;
    if (fresh->events != CV_TRI_UNKNOWN)
        self->params.events = fresh->events;
    self->lost = FALSE;
    if (was_lost && parameter && lost_change_took(self, fresh)) {
        g_strlcat(self->action.reason, "; its reply was lost, QEMU holds it",
                  sizeof(self->action.reason));
        /* the belief follows first, so the merge does not take ours for someone else's */
        if (self->action.kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            cv_field_set(&self->params.downtime_limit_ms, self->action.value);
        else
            cv_field_set(&self->params.avail_switchover_bandwidth, self->action.value);
        cv_actuator_merge(self, fresh);
        settle(self, NULL, FALSE);
        return;
    }
    cv_actuator_merge(self, fresh);
    if (was_lost) {
        g_autoptr(GError) error = g_error_new_literal(
            CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT,
            parameter ? "its reply was lost, and QEMU does not hold it after reconnecting"
                      : "its reply was lost; whether QEMU did it is unknown");

        settle(self, error, TRUE);
    }
}

void
cv_actuator_abandon(CvActuator *actuator, const GError *error)
{
    g_return_if_fail(actuator != NULL && error != NULL);
    cv_actuator_suspend(actuator);
    if (!actuator->lost)
        return;
    actuator->lost = FALSE;
    settle(actuator, error, TRUE);
}

/* ---- what to undo ------------------------------------------------------------------------- */

gboolean
cv_actuator_changed_anything(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, FALSE);
    return actuator->changed_downtime || actuator->changed_switchover || actuator->paused_guest;
}

gboolean
cv_actuator_paused_guest(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, FALSE);
    return actuator->paused_guest;
}

gboolean
cv_actuator_is_aborting(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, FALSE);
    return actuator->aborting;
}

gboolean
cv_actuator_limit_is_ours(const CvActuator *actuator)
{
    g_return_val_if_fail(actuator != NULL, FALSE);
    return cv_field_valid(&actuator->ours_downtime) &&
           cv_field_valid(&actuator->params.downtime_limit_ms) &&
           actuator->ours_downtime.value == actuator->params.downtime_limit_ms.value;
}

void
cv_actuator_fill_ledger(const CvActuator *actuator, CvRestoreLedger *ledger, gboolean params,
                        gboolean resume)
{
    const CvActuator *self = actuator;

    g_return_if_fail(self != NULL && ledger != NULL);
    if (params && self->changed_downtime)
        cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_DOWNTIME_LIMIT,
                              &self->original.downtime_limit_ms, &self->ours_downtime,
                              &self->params.downtime_limit_ms);
    if (params && self->changed_switchover)
        cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_SWITCHOVER_BANDWIDTH,
                              &self->original.avail_switchover_bandwidth, &self->ours_switchover,
                              &self->params.avail_switchover_bandwidth);
    if (resume && self->paused_guest)
        cv_restore_ledger_add(ledger, CV_RESTORE_ITEM_RESUME_GUEST, NULL, NULL, NULL);
}

void
cv_actuator_note_restore(CvActuator *actuator, const CvTunerAction *restore)
{
    g_return_if_fail(actuator != NULL && restore != NULL);
    if (restore->result != CV_TUNER_RESULT_APPLIED)
        return;
    if (restore->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        cv_field_set(&actuator->params.downtime_limit_ms, restore->value);
    else if (restore->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
        cv_field_set(&actuator->params.avail_switchover_bandwidth, restore->value);
    else if (restore->kind == CV_DECISION_PAUSE_GUEST)
        actuator->paused_guest = FALSE;
}

/* ---- restoring ---------------------------------------------------------------------------- */

static void
restore_entry_cb(CvRestoreLedger *ledger, CvTunerAction *entry, gpointer user_data)
{
    CvActuator *self = user_data;

    cv_actuator_note_restore(self, entry);
    if (self->restore_entry_func != NULL)
        self->restore_entry_func(ledger, entry, self->restore_data);
}

static void
restore_done_cb(CvRestoreLedger *ledger, const GError *error, gpointer user_data)
{
    CvActuator *self = user_data;

    self->restore_done_func(ledger, error, self->restore_data);
}

static void
restore_read_cb(CvActuator *self, gboolean differs, const GError *error, gpointer user_data)
{
    if (error != NULL && (cv_target_error_is_gone(error) ||
                          g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT))) {
        self->restore_done_func(self->restore_ledger, error, self->restore_data);
        return;
    }
    /* Without a reading, what QEMU holds is unknown: the ledger leaves it (unverified) rather
     * than restore from an old belief over a value someone raised meanwhile. */
    cv_restore_ledger_run(self->restore_ledger, error == NULL ? &self->params : NULL, error,
                          restore_entry_cb, restore_done_cb, self);
}

void
cv_actuator_restore(CvActuator *actuator, CvRestoreLedger *ledger,
                    CvRestoreLedgerEntryFunc entry_func, CvRestoreLedgerDoneFunc done_func,
                    gpointer user_data)
{
    g_return_if_fail(actuator != NULL && ledger != NULL && done_func != NULL);
    actuator->restore_ledger = ledger;
    actuator->restore_entry_func = entry_func;
    actuator->restore_done_func = done_func;
    actuator->restore_data = user_data;
    if (cv_restore_ledger_needs_params(ledger))
        cv_actuator_refresh(actuator, restore_read_cb, NULL);
    else
        cv_restore_ledger_run(ledger, NULL, NULL, restore_entry_cb, restore_done_cb, actuator);
}
