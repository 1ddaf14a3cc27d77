#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "cv-policy-private.h"

/* The pure decision engine: (policy, recent samples, current parameters, history) ->
 * decision with a one-line reason. The order of the rules, newest sample first:
 *   1. status: final -> FINISHED; stopped for switchover or in post-copy -> SWITCHOVER;
 *      setup -> WARMUP; unknown -> BLIND.
 *   2. the ceiling, at every evaluation in precopy: our own downtime-limit above what the
 *      current parameters allow (cv-policy.h, the over-cap rule) is lowered at once.
 *   3. completion timeout (on total-time) -> the policy's last escalation step.
 *   4. required fields: dirty-sync-count and pending -> BLIND naming the field.
 *   5. dirty-sync-count < 2 -> WARMUP (expected-downtime is still the limit, rates are 0).
 *   6. the convergence forecast at iteration boundaries (cv-policy-forecast.c): converging
 *      by itself within the policy's patience -> CONVERGING, no action; never at this limit or
 *      not within the patience -> STALLED. When no forecast is possible (too few boundaries,
 *      no rate, patience = off, old QEMU with VFIO), the stall window decides instead
 *      (cv-policy-stall.c): not filled -> WARMUP; progress -> CONVERGING, no action. A
 *      forecast of convergence that the filled window contradicts (no progress over it) is
 *      overruled by the window.
 *   7. stalled: at most one change per iteration (a new boundary after the last change).
 *   8. avail-switchover-bandwidth first, when the policy states the link rate and nobody
 *      else has set one.
 *   9. downtime-limit (cv-policy-downtime.c); above the cap -> escalation
 *      (cv-policy-escalation.c), the raise to the ceiling held back while the forecast says even
 *      the ceiling cannot converge it and the patience is not spent.
 * One action per call. */

void
cv_policy_init_default(CvPolicy *policy)
{
    g_return_if_fail(policy != NULL);
    memset(policy, 0, sizeof(*policy));
    g_strlcpy(policy->name, "default", sizeof(policy->name));
    /* The longest blackout accepted without asking: 1 s, the order of KubeVirt's downtime
     * ramp (up to ~1 s). A guest dirtying memory about as fast as precopy sends it needs
     * 600-750 ms (the simulator's ram-hog: one step to 820 ms, a 0.58 s pause), which Nova's
     * and oVirt's 500 ms ceilings never allow: they abort it. Still below the timeouts that
     * usually matter: TCP retransmits recover, corosync's 3 s token does not expire. */
    policy->max_downtime_ms = 1000;
    /* QEMU switches over once what it counts fits rate x limit; the pause then adds what it
     * does not count: stopping the vCPUs, device state outside `remaining`, the last dirty
     * sync. Tens of ms on a plain guest (the simulator models 3-50 ms); 50 ms covers that and
     * costs a twentieth of the default cap. A guest with slow devices (vGPU) needs more. */
    policy->switchover_reserve_ms = 50;
    /* expected-downtime moves a few percent between iterations; 10 % covers that without
     * giving away much blackout. */
    policy->margin = 0.10;
    /* Off: the engine cannot know the link, and a rate above the real one makes QEMU switch
     * over too early (a longer blackout than promised). Operators state it per policy. */
    policy->switchover_bandwidth = 0;
    /* 2 min, the same span as wait-time: a burst of writes (a backup, a compaction) usually
     * ends within it, so a migration that will converge by itself within two minutes is left
     * alone and pays no longer pause; one that will not (or never does at its limit) gets the
     * longer pause at once instead of after a fixed window. Two minutes also cover the
     * converge-late scenario (busy for 60 s, then calm). */
    policy->patience_ms = 120000;
    /* 3 iterations AND 10 s: three boundaries smooth the sampling jitter of the sawtooth, and
     * 10 s (about ten of QEMU's ~1 s dirty-rate periods) keeps a drained-RAM, device-heavy
     * guest that iterates hundreds of times a second from being judged on milliseconds. */
    policy->stall_window_passes = 3;
    policy->stall_window_ms = 10000;
    /* The 4 %: a migration whose pending falls less than that per window will not
     * converge in any useful time. */
    policy->stall_min_progress = 0.04;
    /* wait -> abort: give a burst time to end, then abort, which leaves the guest running on
     * its source. post-copy (a guest lost if the link fails mid-way) and pause (an unbounded
     * blackout of its own) have costs an operator must choose knowingly, per policy. */
    policy->escalation[0].action = CV_ESCALATION_WAIT;
    policy->escalation[1].action = CV_ESCALATION_ABORT;
    policy->n_escalation = 2;
    /* 120 s per step: Nova's (deprecated) progress timeout was 150 s and vdsm's 240 s; two
     * minutes let a backup or compaction burst end while a hopeless migration stops hogging
     * the link within minutes. */
    policy->wait_time_ms = 120000;
    /* 150 s per GiB of guest RAM: one GiB crosses a 1 Gbit link in about 9 s, so this allows
     * 17 times that (a 32 GiB guest: 80 min). Nova's 800 s/GiB keeps a hopeless migration
     * hogging the link for hours. */
    policy->completion_timeout_ms = 0;
    policy->completion_timeout_ms_per_gib = 150000;
}

guint64
cv_policy_reserve(const CvPolicy *policy)
{
    g_return_val_if_fail(policy != NULL, 0);
    if (policy->switchover_reserve_ms < policy->max_downtime_ms)
        return policy->switchover_reserve_ms;
    return policy->max_downtime_ms / 10;
}

static const gchar *const escalation_names[] = {
    [CV_ESCALATION_WAIT] = "wait",
    [CV_ESCALATION_POSTCOPY] = "postcopy",
    [CV_ESCALATION_PAUSE] = "pause",
    [CV_ESCALATION_ABORT] = "abort",
};

const gchar *
cv_escalation_action_to_string(CvEscalationAction action)
{
    if ((gsize)action >= G_N_ELEMENTS(escalation_names))
        return "unknown";
    return escalation_names[action];
}

gboolean
cv_escalation_action_from_string(const gchar *str, CvEscalationAction *action)
{
    if (str == NULL)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(escalation_names); i++) {
        if (g_strcmp0(escalation_names[i], str) == 0) {
            if (action != NULL)
                *action = (CvEscalationAction)i;
            return TRUE;
        }
    }
    return FALSE;
}

void
cv_policy_history_init(CvPolicyHistory *history)
{
    g_return_if_fail(history != NULL);
    memset(history, 0, sizeof(*history));
}

void
cv_policy_history_new_epoch(CvPolicyHistory *history)
{
    CvPolicyHistory kept;

    g_return_if_fail(history != NULL);
    cv_policy_history_init(&kept);
    kept.original_downtime_limit_ms = history->original_downtime_limit_ms;
    kept.switchover_bandwidth_set = history->switchover_bandwidth_set;
    kept.our_downtime_limit_ms = history->our_downtime_limit_ms;
    kept.our_switchover_bandwidth = history->our_switchover_bandwidth;
    *history = kept;
}

/* 0 means "never" in the history; a monotonic clock reading of 0 is stored as 1. */
static gint64
stamp(const CvSample *sample)
{
    return MAX(sample->time_ms, 1);
}

void
cv_policy_history_record(CvPolicyHistory *history, const CvDecision *decision,
                         const CvSample *sample)
{
    g_return_if_fail(history != NULL && decision != NULL && sample != NULL);

    if (decision->verdict == CV_VERDICT_ESCALATING && history->cap_reached_ms == 0)
        history->cap_reached_ms = stamp(sample);
    if (decision->escalation_next > history->escalation_index) {
        history->escalation_index = decision->escalation_next;
        history->escalation_started_ms = stamp(sample);
    }
    switch (decision->kind) {
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
        history->switchover_bandwidth_set = TRUE;
        history->our_switchover_bandwidth = decision->value;
        break;
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        history->our_downtime_limit_ms = decision->value;
        history->n_downtime_changes++;
        if (decision->source == CV_ESTIMATE_LADDER)
            history->ladder_steps++;
        break;
    case CV_DECISION_START_POSTCOPY:
        history->postcopy_started = TRUE;
        break;
    case CV_DECISION_PAUSE_GUEST:
        history->guest_paused = TRUE;
        break;
    case CV_DECISION_ABORT:
        history->aborted = TRUE;
        break;
    case CV_DECISION_NONE:
        break;
    default:
        break;
    }
    /* Both parameter changes move QEMU's switchover rule; the next judgement waits for an
     * iteration boundary that saw them. */
    if (decision->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH ||
        decision->kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
        if (cv_field_valid(&sample->ram_dirty_sync_count))
            history->last_change_pass = sample->ram_dirty_sync_count.value;
        history->last_change_time_ms = stamp(sample);
    }
}

void
cv_policy_reason_append(CvDecision *decision, const gchar *format, ...)
{
    gsize used = strlen(decision->reason);
    va_list ap;

    if (used + 1 >= sizeof(decision->reason))
        return;
    va_start(ap, format);
    g_vsnprintf(decision->reason + used, sizeof(decision->reason) - used, format, ap);
    va_end(ap);
}

const gchar *
cv_policy_field_state_name(CvFieldState state)
{
    switch (state) {
    case CV_FIELD_ABSENT:
        return "missing";
    case CV_FIELD_INVALID:
        return "invalid";
    case CV_FIELD_VALID:
        return "valid";
    default:
        return "invalid";
    }
}

/* Rule 1: the status. Returns TRUE when it settles the decision. */
static gboolean
decide_status(const CvSample *s, CvDecision *d)
{
    const gchar *name = cv_migration_status_to_string(s->status);

    switch (s->status) {
    case CV_MIGRATION_STATUS_ACTIVE:
        return FALSE;
    case CV_MIGRATION_STATUS_COMPLETED:
        d->verdict = CV_VERDICT_FINISHED;
        if (cv_field_valid(&s->downtime_ms))
            cv_policy_reason_append(d, "migration completed (downtime %" G_GUINT64_FORMAT " ms)",
                                    s->downtime_ms.value);
        else
            cv_policy_reason_append(d, "migration completed");
        return TRUE;
    case CV_MIGRATION_STATUS_FAILED:
        d->verdict = CV_VERDICT_FINISHED;
        cv_policy_reason_append(d, "migration failed%s%s", s->error_desc[0] ? ": " : "",
                                s->error_desc);
        return TRUE;
    case CV_MIGRATION_STATUS_CANCELLED:
    case CV_MIGRATION_STATUS_CANCELLING:
    case CV_MIGRATION_STATUS_FAILING:
        d->verdict = CV_VERDICT_FINISHED;
        cv_policy_reason_append(d, "migration %s: nothing to tune", name);
        return TRUE;
    case CV_MIGRATION_STATUS_PRE_SWITCHOVER:
    case CV_MIGRATION_STATUS_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_ACTIVE:
    case CV_MIGRATION_STATUS_POSTCOPY_PAUSED:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER_SETUP:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER:
    case CV_MIGRATION_STATUS_COLO:
        d->verdict = CV_VERDICT_SWITCHOVER;
        cv_policy_reason_append(d, "status %s: past precopy, nothing to tune", name);
        return TRUE;
    case CV_MIGRATION_STATUS_SETUP:
    case CV_MIGRATION_STATUS_WAIT_UNPLUG:
        d->verdict = CV_VERDICT_WARMUP;
        cv_policy_reason_append(d, "status %s: precopy has not started", name);
        return TRUE;
    case CV_MIGRATION_STATUS_NONE:
        d->verdict = CV_VERDICT_BLIND;
        cv_policy_reason_append(d, "blind: no migration (status none)");
        return TRUE;
    case CV_MIGRATION_STATUS_UNKNOWN:
    default:
        d->verdict = CV_VERDICT_BLIND;
        cv_policy_reason_append(d, "blind: migration status unknown");
        return TRUE;
    }
}

/* Rule 2: the fields every judgement needs. Returns TRUE (BLIND) when one is unusable. */
static gboolean
decide_blind(const CvSample *s, CvDecision *d)
{
    if (!cv_field_valid(&s->ram_dirty_sync_count)) {
        d->verdict = CV_VERDICT_BLIND;
        cv_policy_reason_append(d, "blind: ram.dirty-sync-count is %s",
                                cv_policy_field_state_name(s->ram_dirty_sync_count.state));
        return TRUE;
    }
    if (s->remaining.state == CV_FIELD_INVALID) {
        /* never fall back to ram.remaining: it would hide the device state */
        d->verdict = CV_VERDICT_BLIND;
        cv_policy_reason_append(d, "blind: system-wide remaining is invalid");
        return TRUE;
    }
    if (!cv_sample_pending(s, NULL, NULL)) {
        d->verdict = CV_VERDICT_BLIND;
        cv_policy_reason_append(d, "blind: ram.remaining is %s",
                                cv_policy_field_state_name(s->ram_remaining.state));
        return TRUE;
    }
    return FALSE;
}

static void
describe_window(const CvPolicy *policy, gchar *buf, gsize len)
{
    if (policy->stall_window_passes > 0 && policy->stall_window_ms > 0)
        g_snprintf(buf, len, "%u iterations and %.1f s", policy->stall_window_passes,
                   (gdouble)policy->stall_window_ms / 1000.0);
    else if (policy->stall_window_ms > 0)
        g_snprintf(buf, len, "%.1f s", (gdouble)policy->stall_window_ms / 1000.0);
    else
        g_snprintf(buf, len, "%u iterations", MAX(policy->stall_window_passes, 1));
}

/* Rule 8: avail-switchover-bandwidth. Returns TRUE when setting it is the action. */
static gboolean
decide_switchover_bandwidth(const CvPolicy *policy, const CvParams *params,
                            const CvPolicyHistory *history, CvDecision *d)
{
    const CvU64Field *cur = &params->avail_switchover_bandwidth;
    gboolean ours = history->our_switchover_bandwidth != 0 && cv_field_valid(cur) &&
                    cur->value == history->our_switchover_bandwidth;
    gchar want[32], have[32];

    if (policy->switchover_bandwidth == 0 && policy->switchover_learned) {
        /* nothing learned for this destination yet (or nobody fed it): as `off`, never a
         * guessed rate */
        cv_policy_reason_append(d, "; switchover-bandwidth = learned, nothing learned yet: "
                                   "treated as off");
        return FALSE;
    }
    if (policy->switchover_bandwidth == 0 || !cv_params_supports_switchover_bandwidth(params))
        return FALSE;
    if (cv_field_valid(cur) && cur->value == policy->switchover_bandwidth)
        return FALSE;
    cv_format_rate(policy->switchover_bandwidth, want, sizeof(want));
    if (cv_field_valid(cur))
        cv_format_rate(cur->value, have, sizeof(have));
    else
        g_snprintf(have, sizeof(have), "%s", cv_policy_field_state_name(cur->state));
    if (history->switchover_bandwidth_set && !ours) {
        gchar set[32];

        /* we set it and it reads differently now: someone else's value stands, as with
         * downtime-limit, and a garbage reading is no reason to set it every iteration */
        cv_format_rate(history->our_switchover_bandwidth != 0 ? history->our_switchover_bandwidth
                                                              : policy->switchover_bandwidth,
                       set, sizeof(set));
        cv_policy_reason_append(d,
                                "; avail-switchover-bandwidth reads %s since we set %s: "
                                "not set again",
                                have, set);
        return FALSE;
    }
    if (!ours && cv_field_valid(cur) && cur->value > 0) {
        /* 0 is QEMU's "use the measured rate"; any other value was chosen by someone */
        cv_policy_reason_append(d,
                                "; avail-switchover-bandwidth %s was set by someone else: left "
                                "alone (the policy states %s)",
                                have, want);
        return FALSE;
    }
    d->kind = CV_DECISION_SET_SWITCHOVER_BANDWIDTH;
    d->value = policy->switchover_bandwidth;
    if (ours)
        cv_policy_reason_append(d,
                                "; avail-switchover-bandwidth %s (ours) -> %s, the policy's "
                                "link rate now",
                                have, want);
    else
        cv_policy_reason_append(d, "; avail-switchover-bandwidth %s -> %s first (the link's rate)",
                                have, want);
    return TRUE;
}

/* Rules 1 and 3-9; cv_policy_decide() adds rule 2 over them. */
static CvDecision
decide_rules(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
             const CvParams *current, const CvPolicyHistory *history)
{
    CvDecision d;
    CvPolicyView view;
    CvStall stall;
    CvForecast forecast;
    const CvForecast *by_forecast = NULL;
    const CvSample *s = &samples[n_samples - 1];
    gchar what[320];
    gchar no_forecast[144] = "";
    guint64 after_pass = 0;
    gboolean ladder;
    gboolean overruled = FALSE;

    memset(&d, 0, sizeof(d));
    d.verdict = CV_VERDICT_BLIND;
    if (decide_status(s, &d))
        return d;

    cv_policy_view_init(&view, policy, s, current);
    /* The completion timeout needs only total-time (and ram.total): it ends a migration
     * even when a device reports garbage and the rest cannot be judged. */
    if (cv_policy_completion_timeout(policy, s, &d)) {
        if (history->aborted)
            cv_policy_reason_append(&d, "; abort already requested");
        else
            cv_policy_escalate(policy, &view, history, TRUE, &d);
        d.verdict = CV_VERDICT_ESCALATING;
        return d;
    }
    if (decide_blind(s, &d))
        return d;
    if (history->aborted) {
        d.verdict = CV_VERDICT_ESCALATING;
        cv_policy_reason_append(&d, "abort already requested: waiting for QEMU to cancel");
        return d;
    }
    if (s->ram_dirty_sync_count.value < 2) {
        d.verdict = CV_VERDICT_WARMUP;
        cv_policy_reason_append(&d,
                                "warming up: iteration %" G_GUINT64_FORMAT
                                ", expected-downtime and rates not measured yet",
                                s->ram_dirty_sync_count.value);
        return d;
    }

    /* The ladder guesses, so each step gets a window of its own to show its effect; and its
     * pending is RAM only, which says nothing of the device that blocks the switchover, so no
     * forecast either. */
    ladder = !view.system_wide && view.vfio;
    if (ladder) {
        after_pass = history->last_change_pass;
        memset(&forecast, 0, sizeof(forecast));
        g_snprintf(forecast.why, sizeof(forecast.why),
                   "pending is RAM only before QEMU 11.1 and a VFIO device is present");
    } else {
        cv_policy_forecast(policy, samples, n_samples, &view, &forecast);
    }
    if (forecast.outcome == CV_FORECAST_CONVERGES && forecast.within_patience) {
        CvStall check;

        /* A forecast of convergence rests on a model and a few boundaries: readings a little
         * late in their iteration drift low and fake a slow fall. The stall window checks it
         * against what happened, so the forecast never waits longer than the window did. */
        cv_policy_judge_stall(policy, samples, n_samples, after_pass, &check);
        if (check.judged && check.stalled) {
            gchar eta[32];

            cv_policy_format_duration(forecast.eta_ms, eta, sizeof(eta));
            g_snprintf(no_forecast, sizeof(no_forecast),
                       "; the forecast (converges by itself in about %" G_GUINT64_FORMAT
                       " iterations/%s) is not borne out over the window",
                       forecast.iterations, eta);
            forecast.outcome = CV_FORECAST_NONE;
            overruled = TRUE;
        }
    }
    if (forecast.outcome != CV_FORECAST_NONE) {
        /* Rule 6 by the forecast: converging within the patience is left alone. */
        cv_policy_describe_forecast(policy, &forecast, what, sizeof(what));
        if (forecast.within_patience) {
            d.verdict = CV_VERDICT_CONVERGING;
            cv_policy_reason_append(&d, "converging: %s", what);
            return d;
        }
        d.verdict = CV_VERDICT_STALLED;
        cv_policy_reason_append(&d, "stalled: %s", what);
        memset(&stall, 0, sizeof(stall));
        stall.judged = stall.stalled = TRUE;
        stall.n_boundaries = forecast.n_boundaries;
        stall.newest_index = forecast.newest_index;
        stall.newest_pass = forecast.newest_pass;
        stall.newest_time_ms = forecast.newest_time_ms;
        stall.pending = forecast.pending;
        by_forecast = &forecast;
    } else {
        /* Rule 6 by the stall window, the fallback when no forecast is possible. */
        if (policy->patience_ms > 0 && !overruled)
            g_snprintf(no_forecast, sizeof(no_forecast), "; no forecast: %s", forecast.why);
        cv_policy_judge_stall(policy, samples, n_samples, after_pass, &stall);
        if (!stall.judged) {
            describe_window(policy, what, sizeof(what));
            d.verdict = CV_VERDICT_WARMUP;
            cv_policy_reason_append(&d, "stall window (%s) not filled yet: %u %s", what,
                                    stall.n_boundaries,
                                    stall.n_boundaries == 1 ? "boundary" : "boundaries");
            if (after_pass > 0)
                cv_policy_reason_append(
                    &d, " after the ladder step at iteration %" G_GUINT64_FORMAT, after_pass);
            cv_policy_reason_append(&d, "%s", no_forecast);
            return d;
        }
        cv_policy_describe_stall(policy, &stall, what, sizeof(what));
        if (!stall.stalled) {
            d.verdict = CV_VERDICT_CONVERGING;
            cv_policy_reason_append(&d, "converging: %s%s", what, no_forecast);
            return d;
        }
        d.verdict = CV_VERDICT_STALLED;
        cv_policy_reason_append(&d, "stalled: %s%s", what, no_forecast);
    }

    if (history->last_change_pass > 0 && stall.newest_pass <= history->last_change_pass) {
        if (history->cap_reached_ms != 0)
            d.verdict = CV_VERDICT_ESCALATING;
        cv_policy_reason_append(&d,
                                "; waiting for an iteration after the change at iteration "
                                "%" G_GUINT64_FORMAT,
                                history->last_change_pass);
        return d;
    }
    if (decide_switchover_bandwidth(policy, current, history, &d))
        return d;
    if (!cv_policy_decide_downtime(policy, &view, &stall, by_forecast, history, &d))
        return d;

    /* the cap is not enough */
    d.verdict = CV_VERDICT_ESCALATING;
    if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
        /* raised to the ceiling: a WAIT first step starts now, any other step next time */
        guint n_steps = MIN(policy->n_escalation, CV_POLICY_MAX_ESCALATION);

        if (history->escalation_index == 0 && n_steps > 0 &&
            policy->escalation[0].action == CV_ESCALATION_WAIT) {
            d.escalation_next = 1;
            cv_policy_reason_append(&d, "; escalation 1/%u: wait %.0f s", n_steps,
                                    (gdouble)(policy->escalation[0].bound_ms > 0
                                                  ? policy->escalation[0].bound_ms
                                                  : policy->wait_time_ms) /
                                        1000.0);
        }
        return d;
    }
    cv_policy_escalate(policy, &view, history, FALSE, &d);
    return d;
}

CvDecision
cv_policy_decide(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                 const CvParams *current, const CvPolicyHistory *history)
{
    CvDecision d, lowered;
    CvParams no_params;
    CvPolicyHistory no_history;
    CvPolicyView view;
    const CvSample *s;

    memset(&d, 0, sizeof(d));
    d.verdict = CV_VERDICT_BLIND;
    g_return_val_if_fail(policy != NULL, d);
    if (samples == NULL || n_samples == 0) {
        cv_policy_reason_append(&d, "blind: no sample");
        return d;
    }
    if (current == NULL) {
        cv_params_init(&no_params);
        current = &no_params;
    }
    if (history == NULL) {
        cv_policy_history_init(&no_history);
        history = &no_history;
    }
    s = &samples[n_samples - 1];
    d = decide_rules(policy, samples, n_samples, current, history);
    if (s->status != CV_MIGRATION_STATUS_ACTIVE)
        return d;

    /* Rule 2, before any action of the others: the ceiling needs only the parameters, so it
     * holds whatever the readings say (blind, warming up, converging, one change per
     * iteration). The judgement keeps its verdict and estimate; its action waits for the
     * next evaluation. */
    cv_policy_view_init(&view, policy, s, current);
    memset(&lowered, 0, sizeof(lowered));
    if (!cv_policy_enforce_ceiling(policy, &view, current, history, &lowered))
        return d;
    lowered.verdict = d.verdict;
    lowered.needed_downtime_ms = d.needed_downtime_ms;
    lowered.source = d.source;
    return lowered;
}
