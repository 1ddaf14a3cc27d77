#include "config.h"

#include <math.h>
#include <string.h>

#include "cv-policy-private.h"

/* The downtime rules, applied once a stall is established.
 *
 * The needed downtime, in the units of QEMU's own switchover rule (pending <= rate x limit,
 * where rate is avail-switchover-bandwidth when set, else the measured and possibly throttled
 * precopy rate):
 *   - QEMU 11.1+ (system-wide `remaining` present): expected-downtime, which counts every
 *     device and already uses avail-switchover-bandwidth when it is set.
 *   - older QEMU without VFIO: expected-downtime too; RAM is everything there.
 *   - either of those with expected-downtime missing or invalid: pending at the newest
 *     iteration boundary / the rate QEMU's rule uses (avail-switchover-bandwidth when set,
 *     else the measured rate). With no usable rate there is no estimate and no action.
 *   - older QEMU with VFIO: the device's share is not reported anywhere, so no estimate is
 *     trustworthy. A bounded ladder instead: each step doubles the limit, adds at least
 *     100 ms, is at least the RAM-only need (expected-downtime x (1 + margin), a lower
 *     bound), at most the cap; one step per stall window (the caller judges the stall on
 *     boundaries after the last change only).
 *
 * The limit: ceil(needed x (1 + margin)), rounded up to the next 10 ms.
 *
 * The ceiling: max-downtime bounds the blackout, not the knob. When the knob's rate is the
 * blackout's rate (avail-switchover-bandwidth set, or no link rate stated at all) the limit
 * itself is held to max-downtime. When the policy states the link rate but QEMU cannot take
 * avail-switchover-bandwidth (7.2), the knob is in units of the throttled measured rate while
 * the final copy runs unthrottled. QEMU switches over with at most measured x limit pending,
 * which the link then carries at the stated rate: predicted blackout = limit x measured /
 * stated. The limit may exceed max-downtime while that prediction stays within it; the
 * ceiling is max-downtime x stated / measured (never below max-downtime, in case the stated
 * rate is below the measured one). That prediction covers RAM only, so the ladder (VFIO) never
 * uses it.
 *
 * A limit is only ever raised: a current downtime-limit at or above the proposal (ours from an
 * earlier iteration, or raised by someone else) is left alone. When the proposal is above the
 * ceiling the limit is raised to the ceiling (it costs nothing the policy does not accept and
 * may catch a dip of the dirty set) and the caller escalates. */

void
cv_policy_view_init(CvPolicyView *view, const CvPolicy *policy, const CvSample *newest,
                    const CvParams *params)
{
    memset(view, 0, sizeof(*view));
    view->newest = newest;
    view->system_wide = cv_field_valid(&newest->remaining);
    /* QEMU lists `vfio` in query-migrate whenever migratable VFIO devices exist, so a reading
     * without it and params that do not say YES mean no VFIO device. */
    view->vfio = cv_sample_has_vfio(newest) || params->vfio_devices == CV_TRI_YES;
    view->supports_switchover_bandwidth = cv_params_supports_switchover_bandwidth(params);
    view->postcopy_ram = params->postcopy_ram;
    if (!cv_sample_throughput(newest, &view->measured_rate))
        view->measured_rate = 0;
    if (cv_field_valid(&params->avail_switchover_bandwidth) &&
        params->avail_switchover_bandwidth.value > 0) {
        view->knob_rate = params->avail_switchover_bandwidth.value;
        view->knob_rate_fixed = TRUE;
    } else {
        view->knob_rate = view->measured_rate;
    }
    view->current_limit_known = cv_field_valid(&params->downtime_limit_ms);
    view->current_limit = view->current_limit_known ? params->downtime_limit_ms.value : 0;
}

static guint64
round_up_step(guint64 ms)
{
    if (ms > CV_SAMPLE_MAX_MS)
        return CV_SAMPLE_MAX_MS;
    return (ms + CV_POLICY_LIMIT_STEP_MS - 1) / CV_POLICY_LIMIT_STEP_MS * CV_POLICY_LIMIT_STEP_MS;
}

guint64
cv_policy_limit_for(guint64 needed_ms, gdouble margin)
{
    gdouble x;

    if (!(margin >= 0.0))
        margin = 0.0;
    x = (gdouble)needed_ms * (1.0 + margin);
    /* 1000 x 1.10 is 1100.0000000000002 in binary: do not let that become 1110 */
    x = ceil(x - 1e-6);
    if (!(x < (gdouble)CV_SAMPLE_MAX_MS))
        return CV_SAMPLE_MAX_MS;
    return round_up_step((guint64)x);
}

static const gchar *
source_label(CvEstimateSource source)
{
    switch (source) {
    case CV_ESTIMATE_QEMU_ALL_DEVICES:
        return "expected-downtime, all devices";
    case CV_ESTIMATE_QEMU_RAM_ONLY:
        return "expected-downtime, RAM only";
    case CV_ESTIMATE_PENDING_OVER_RATE:
        return "pending / rate";
    case CV_ESTIMATE_LADDER:
        return "ladder";
    case CV_ESTIMATE_NONE:
        return "none";
    default:
        return "unknown";
    }
}

static void
set_limit(CvDecision *d, guint64 limit, guint64 predicted)
{
    d->kind = CV_DECISION_SET_DOWNTIME_LIMIT;
    d->value = limit;
    d->predicted_blackout_ms = predicted;
}

static gboolean
decide_ladder(const CvPolicy *policy, const CvPolicyView *view, const CvPolicyHistory *history,
              CvDecision *d)
{
    const CvSample *s = view->newest;
    guint64 cap = policy->max_downtime_ms;
    guint64 current = view->current_limit;
    guint64 ram_floor = 0;
    guint64 next;

    d->source = CV_ESTIMATE_LADDER;
    if (cv_field_valid(&s->expected_downtime_ms))
        ram_floor = cv_policy_limit_for(s->expected_downtime_ms.value, policy->margin);
    if (ram_floor > cap) {
        d->needed_downtime_ms = s->expected_downtime_ms.value;
        cv_policy_reason_append(d,
                                "; RAM alone needs %" G_GUINT64_FORMAT
                                " ms (expected-downtime, RAM only) x %.2f -> %" G_GUINT64_FORMAT
                                " ms, above cap %" G_GUINT64_FORMAT " ms",
                                s->expected_downtime_ms.value, 1.0 + policy->margin, ram_floor,
                                cap);
        if (current < cap) {
            set_limit(d, cap, cap);
            cv_policy_reason_append(d, "; downtime-limit %" G_GUINT64_FORMAT " -> cap", current);
        }
        return TRUE;
    }
    if (current >= cap) {
        cv_policy_reason_append(
            d,
            "; VFIO share unknown before QEMU 11.1: ladder at %" G_GUINT64_FORMAT
            " ms reached cap %" G_GUINT64_FORMAT " ms",
            current, cap);
        return TRUE;
    }
    next = current > CV_SAMPLE_MAX_MS / 2 ? CV_SAMPLE_MAX_MS : current * 2;
    next = MAX(next, current + CV_POLICY_LADDER_MIN_STEP_MS);
    next = MAX(next, ram_floor);
    next = MIN(round_up_step(next), cap);
    set_limit(d, next, next);
    cv_policy_reason_append(d,
                            "; VFIO share unknown before QEMU 11.1: ladder step %u, "
                            "downtime-limit %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                            " ms (cap %" G_GUINT64_FORMAT " ms)",
                            history->ladder_steps + 1, current, next, cap);
    return FALSE;
}

gboolean
cv_policy_decide_downtime(const CvPolicy *policy, const CvPolicyView *view, const CvStall *stall,
                          const CvPolicyHistory *history, CvDecision *d)
{
    const CvSample *s = view->newest;
    guint64 cap = policy->max_downtime_ms;
    guint64 ceiling = cap;
    guint64 eff_rate = 0;
    gboolean predicted_mode = FALSE;
    guint64 needed, target, predicted;
    guint64 dirty = 0;
    gboolean expected_ok;
    const gchar *expected_state;

    if (!view->current_limit_known) {
        cv_policy_reason_append(d, "; current downtime-limit unknown: no change");
        return FALSE;
    }
    if (!view->system_wide && view->vfio)
        return decide_ladder(policy, view, history, d);

    expected_ok = cv_field_valid(&s->expected_downtime_ms);
    expected_state = cv_policy_field_state_name(s->expected_downtime_ms.state);
    if (expected_ok && !view->system_wide && s->expected_downtime_ms.value == view->current_limit &&
        (!cv_sample_dirty_rate(s, &dirty) || dirty == 0)) {
        /* before 11.1 QEMU only refreshes it while it measures a dirty rate: still the limit
         * it started from, not an estimate */
        expected_ok = FALSE;
        expected_state = "stale (equals downtime-limit, no dirty rate)";
    }
    if (expected_ok) {
        needed = s->expected_downtime_ms.value;
        d->source = view->system_wide ? CV_ESTIMATE_QEMU_ALL_DEVICES : CV_ESTIMATE_QEMU_RAM_ONLY;
        cv_policy_reason_append(d, "; needed %" G_GUINT64_FORMAT " ms (%s)", needed,
                                source_label(d->source));
    } else if (view->knob_rate > 0) {
        gchar pending[32], rate[32];

        needed = (guint64)ceil((gdouble)stall->pending * 1000.0 / (gdouble)view->knob_rate);
        d->source = CV_ESTIMATE_PENDING_OVER_RATE;
        cv_format_bytes(stall->pending, pending, sizeof(pending));
        cv_format_rate(view->knob_rate, rate, sizeof(rate));
        cv_policy_reason_append(
            d, "; expected-downtime %s: needed %" G_GUINT64_FORMAT " ms (pending %s / %s %s)",
            expected_state, needed, pending, view->knob_rate_fixed ? "switchover" : "measured",
            rate);
    } else {
        cv_policy_reason_append(d,
                                "; expected-downtime %s and no switchover or measured rate: "
                                "no estimate, no change",
                                expected_state);
        return FALSE;
    }
    d->needed_downtime_ms = needed;

    if (policy->switchover_bandwidth > 0 && !view->supports_switchover_bandwidth &&
        !view->knob_rate_fixed && view->measured_rate > 0) {
        gdouble c;

        eff_rate = MAX(policy->switchover_bandwidth, view->measured_rate);
        c = (gdouble)cap * (gdouble)eff_rate / (gdouble)view->measured_rate;
        ceiling = c >= (gdouble)CV_SAMPLE_MAX_MS
                      ? CV_SAMPLE_MAX_MS
                      : (guint64)c / CV_POLICY_LIMIT_STEP_MS * CV_POLICY_LIMIT_STEP_MS;
        ceiling = MAX(ceiling, cap);
        predicted_mode = TRUE;
    }

    target = cv_policy_limit_for(needed, policy->margin);
    predicted = target;
    if (predicted_mode)
        predicted =
            (guint64)ceil((gdouble)target * (gdouble)view->measured_rate / (gdouble)eff_rate);
    cv_policy_reason_append(d, " x %.2f -> downtime-limit %" G_GUINT64_FORMAT " ms",
                            1.0 + policy->margin, target);

    if (view->current_limit >= target) {
        d->predicted_blackout_ms = predicted;
        cv_policy_reason_append(d,
                                "; current downtime-limit %" G_GUINT64_FORMAT
                                " ms is already at or above it: left as is (never lowered)",
                                view->current_limit);
        return FALSE;
    }
    if (target <= ceiling) {
        set_limit(d, target, predicted);
        if (predicted_mode) {
            gchar rate[32];

            cv_format_rate(eff_rate, rate, sizeof(rate));
            cv_policy_reason_append(d,
                                    "; predicted blackout %" G_GUINT64_FORMAT
                                    " ms at %s within cap %" G_GUINT64_FORMAT " ms",
                                    predicted, rate, cap);
        } else {
            cv_policy_reason_append(d, " (cap %" G_GUINT64_FORMAT " ms)", cap);
        }
        return FALSE;
    }

    /* the cap is not enough */
    if (predicted_mode) {
        gchar rate[32];

        cv_format_rate(eff_rate, rate, sizeof(rate));
        cv_policy_reason_append(d,
                                "; predicted blackout %" G_GUINT64_FORMAT
                                " ms at %s exceeds cap %" G_GUINT64_FORMAT " ms",
                                predicted, rate, cap);
    } else {
        cv_policy_reason_append(d, " exceeds cap %" G_GUINT64_FORMAT " ms", cap);
    }
    if (view->current_limit < ceiling) {
        guint64 p = ceiling;

        if (predicted_mode) {
            p = (guint64)ceil((gdouble)ceiling * (gdouble)view->measured_rate / (gdouble)eff_rate);
            set_limit(d, ceiling, p);
            cv_policy_reason_append(d,
                                    "; %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                                    " ms (blackout %" G_GUINT64_FORMAT " ms, the cap)",
                                    view->current_limit, ceiling, p);
        } else {
            set_limit(d, ceiling, p);
            cv_policy_reason_append(d,
                                    "; %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " ms (the cap)",
                                    view->current_limit, ceiling);
        }
    }
    return TRUE;
}
