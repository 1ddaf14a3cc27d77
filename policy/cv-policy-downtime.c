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
 *   - either of those with expected-downtime missing, invalid or stale (before 11.1, equal to
 *     the limit with no dirty rate measured): pending at the newest iteration boundary / the
 *     rate QEMU's rule uses (avail-switchover-bandwidth when set, else the measured rate).
 *     With no usable rate there is no estimate and no action.
 *   - older QEMU with VFIO: the device's share is not reported anywhere, so no estimate is
 *     trustworthy. A bounded ladder instead: each step doubles the limit, adds at least
 *     100 ms, is at least the RAM-only need (expected-downtime x (1 + margin), a lower
 *     bound, unless stale), at most the cap; one step per stall window (the caller judges the
 *     stall on boundaries after the last change only).
 *
 * The limit: ceil(needed x (1 + margin)), rounded up to the next 10 ms.
 *
 * The ceiling: max-downtime bounds the blackout, not the knob. The rule (cv-policy.h, above
 * cv_policy_decide()) allows a limit above the cap only on QEMU without
 * avail-switchover-bandwidth, with the link rate stated and max-bandwidth at or below it:
 * QEMU then switches over with at most max-bandwidth x limit pending (the measured rate cannot
 * beat the throttle, whenever QEMU measures it), which the link carries at the stated rate or
 * faster. The momentary measured rate is no bound: it recovers after a dip, and QEMU's
 * threshold with it.
 *
 * A limit is only raised on a stall: a current downtime-limit at or above the proposal is
 * left alone (never lowered when someone else set it; our own one only by the ceiling, which
 * cv_policy_enforce_ceiling() checks before any judgement). When the proposal is above the
 * ceiling the limit is raised to the ceiling (it costs nothing the policy does not accept and
 * may catch a dip of the dirty set) and the caller escalates. A limit above the cap that
 * someone else set is their choice: left alone, no escalation, as long as it covers what is
 * known to be needed. */

/* ---- numbers ------------------------------------------------------------------------------ */

/* 2^64, exactly representable as a double */
#define U64_LIMIT_AS_DOUBLE 18446744073709551616.0

guint64
cv_policy_u64_ceil(gdouble x)
{
    if (!(x > 0.0))
        return 0;
    x = ceil(x);
    if (!(x < U64_LIMIT_AS_DOUBLE))
        return G_MAXUINT64;
    return (guint64)x;
}

static guint64
u64_floor(gdouble x)
{
    if (!(x > 0.0))
        return 0;
    x = floor(x);
    if (!(x < U64_LIMIT_AS_DOUBLE))
        return G_MAXUINT64;
    return (guint64)x;
}

guint64
cv_policy_mul_div(guint64 a, guint64 b, guint64 c, gboolean round_up)
{
    gdouble x;

    g_return_val_if_fail(c > 0, G_MAXUINT64);
    if (b == 0 || a <= G_MAXUINT64 / b) {
        guint64 p = a * b;
        guint64 q = p / c;

        if (round_up && p % c != 0)
            q++;
        return q;
    }
    x = (gdouble)a * (gdouble)b / (gdouble)c;
    return round_up ? cv_policy_u64_ceil(x) : u64_floor(x);
}

/* ---- the ceiling -------------------------------------------------------------------------- */

void
cv_policy_ceiling_init(CvPolicyCeiling *ceiling, const CvPolicy *policy, const CvParams *params,
                       gboolean vfio_ladder)
{
    const CvU64Field *mb = &params->max_bandwidth;
    guint64 c;

    memset(ceiling, 0, sizeof(*ceiling));
    ceiling->cap = policy->max_downtime_ms;
    ceiling->reserve = cv_policy_reserve(policy);
    ceiling->room = ceiling->cap - ceiling->reserve;
    ceiling->ceiling = ceiling->room;
    ceiling->stated = policy->switchover_bandwidth;
    ceiling->max_bandwidth = cv_field_valid(mb) ? mb->value : 0;
    if (ceiling->stated == 0) {
        ceiling->held = "no link rate stated";
        return;
    }
    /* avail-switchover-bandwidth unsupported means absent, so none can be in force either */
    if (cv_params_supports_switchover_bandwidth(params)) {
        ceiling->held = "QEMU takes avail-switchover-bandwidth: the limit is the blackout";
        return;
    }
    if (vfio_ladder) {
        ceiling->held = "VFIO device before QEMU 11.1: its state is not bounded by max-bandwidth";
        return;
    }
    ceiling->held_by_max_bandwidth = TRUE;
    if (!cv_field_valid(mb)) {
        ceiling->held = mb->state == CV_FIELD_ABSENT ? "max-bandwidth unknown"
                                                     : "max-bandwidth invalid or unlimited";
        return;
    }
    if (mb->value == 0) {
        ceiling->held = "max-bandwidth unlimited (0)";
        return;
    }
    if (mb->value > ceiling->stated) {
        ceiling->held = "max-bandwidth above the stated rate";
        return;
    }
    ceiling->held_by_max_bandwidth = FALSE;
    ceiling->over_cap = TRUE;
    c = cv_policy_mul_div(ceiling->room, ceiling->stated, mb->value, FALSE);
    c = c >= CV_SAMPLE_MAX_MS ? CV_SAMPLE_MAX_MS
                              : c / CV_POLICY_LIMIT_STEP_MS * CV_POLICY_LIMIT_STEP_MS;
    ceiling->ceiling = MAX(c, ceiling->room);
}

guint64
cv_policy_predict_blackout(const CvPolicyCeiling *ceiling, guint64 limit_ms)
{
    guint64 data = ceiling->over_cap
                       ? cv_policy_mul_div(limit_ms, ceiling->max_bandwidth, ceiling->stated, TRUE)
                       : limit_ms;

    return data > G_MAXUINT64 - ceiling->reserve ? G_MAXUINT64 : data + ceiling->reserve;
}

void
cv_policy_describe_max_bandwidth(const CvParams *params, gchar *buf, gsize len)
{
    const CvU64Field *mb = &params->max_bandwidth;

    if (!cv_field_valid(mb))
        g_snprintf(buf, len, "%s",
                   mb->state == CV_FIELD_ABSENT ? "unknown" : "invalid or unlimited");
    else if (mb->value == 0)
        g_snprintf(buf, len, "unlimited (0)");
    else
        cv_format_rate(mb->value, buf, len);
}

/* " less the 50 ms switchover reserve", or "" without one: said after a cap */
static const gchar *
less_reserve(const CvPolicyCeiling *c, gchar *buf, gsize len)
{
    if (c->reserve == 0)
        return "";
    g_snprintf(buf, len, " less the %" G_GUINT64_FORMAT " ms switchover reserve", c->reserve);
    return buf;
}

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
    cv_policy_ceiling_init(&view->ceiling, policy, params, !view->system_wide && view->vfio);
}

gboolean
cv_policy_limit_is_ours(const CvPolicyView *view, const CvPolicyHistory *history)
{
    return history->our_downtime_limit_ms != 0 && view->current_limit_known &&
           view->current_limit == history->our_downtime_limit_ms;
}

gboolean
cv_policy_expected_is_stale(const CvPolicyView *view)
{
    const CvSample *s = view->newest;
    guint64 dirty = 0;

    return cv_field_valid(&s->expected_downtime_ms) && !view->system_wide &&
           view->current_limit_known && s->expected_downtime_ms.value == view->current_limit &&
           (!cv_sample_dirty_rate(s, &dirty) || dirty == 0);
}

gboolean
cv_policy_enforce_ceiling(const CvPolicy *policy, const CvPolicyView *view, const CvParams *params,
                          const CvPolicyHistory *history, CvDecision *d)
{
    const CvPolicyCeiling *c = &view->ceiling;
    guint64 current = view->current_limit;
    guint64 lowered = c->ceiling;
    guint64 blackout;
    gchar mb[48];

    if (!cv_policy_limit_is_ours(view, history) || current <= c->ceiling)
        return FALSE;
    d->kind = CV_DECISION_SET_DOWNTIME_LIMIT;
    d->value = lowered;
    d->predicted_blackout_ms = cv_policy_predict_blackout(c, lowered);
    cv_policy_describe_max_bandwidth(params, mb, sizeof(mb));
    if (c->stated > 0 && (c->over_cap || c->held_by_max_bandwidth)) {
        if (c->max_bandwidth > 0) {
            blackout = cv_policy_mul_div(current, c->max_bandwidth, c->stated, TRUE);
            blackout = blackout > G_MAXUINT64 - c->reserve ? G_MAXUINT64 : blackout + c->reserve;
            cv_policy_reason_append(
                d,
                "max-bandwidth now %s: our downtime-limit %" G_GUINT64_FORMAT
                " ms would allow a %" G_GUINT64_FORMAT " ms blackout, %s %" G_GUINT64_FORMAT
                " ms; lowered to %" G_GUINT64_FORMAT " ms",
                mb, current, blackout, blackout > c->cap ? "above the cap" : "beyond the ceiling",
                blackout > c->cap ? c->cap : c->ceiling, lowered);
        } else {
            cv_policy_reason_append(d,
                                    "max-bandwidth now %s: our downtime-limit %" G_GUINT64_FORMAT
                                    " ms no longer bounds the blackout (nothing bounds the "
                                    "precopy rate), above the cap %" G_GUINT64_FORMAT
                                    " ms; lowered to %" G_GUINT64_FORMAT " ms",
                                    mb, current, c->cap, lowered);
        }
    } else {
        cv_policy_reason_append(d,
                                "our downtime-limit %" G_GUINT64_FORMAT
                                " ms is above what the policy allows now (cap %" G_GUINT64_FORMAT
                                " ms: %s); lowered to %" G_GUINT64_FORMAT " ms",
                                current, c->cap, c->held != NULL ? c->held : "the ceiling",
                                lowered);
    }
    cv_policy_reason_append(d, " (predicted blackout %" G_GUINT64_FORMAT " ms)",
                            d->predicted_blackout_ms);
    return TRUE;
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
    /* the ladder's limits stop at room: the reserve covers what QEMU does not count */
    guint64 room = view->ceiling.room;
    gchar lr[64];
    guint64 current = view->current_limit;
    guint64 ram_floor = 0;
    guint64 next;

    d->source = CV_ESTIMATE_LADDER;
    if (cv_policy_expected_is_stale(view))
        cv_policy_reason_append(d, "; expected-downtime stale (equals downtime-limit, no dirty "
                                   "rate): no RAM floor");
    else if (cv_field_valid(&s->expected_downtime_ms))
        ram_floor = cv_policy_limit_for(s->expected_downtime_ms.value, policy->margin);
    if (current > room && current >= ram_floor && !cv_policy_limit_is_ours(view, history)) {
        /* as on the estimate path: a higher limit someone else set is their choice, and it
         * covers everything the ladder knows to be needed */
        d->predicted_blackout_ms = cv_policy_predict_blackout(&view->ceiling, current);
        cv_policy_reason_append(
            d,
            "; VFIO share unknown before QEMU 11.1: downtime-limit %" G_GUINT64_FORMAT
            " ms, above cap %" G_GUINT64_FORMAT
            " ms%s, is not ours: left as is (never lowered), no escalation",
            current, cap, less_reserve(&view->ceiling, lr, sizeof(lr)));
        return FALSE;
    }
    if (ram_floor > room) {
        d->needed_downtime_ms = s->expected_downtime_ms.value;
        cv_policy_reason_append(d,
                                "; RAM alone needs %" G_GUINT64_FORMAT
                                " ms (expected-downtime, RAM only) x %.2f -> %" G_GUINT64_FORMAT
                                " ms, above cap %" G_GUINT64_FORMAT " ms%s",
                                s->expected_downtime_ms.value, 1.0 + policy->margin, ram_floor, cap,
                                less_reserve(&view->ceiling, lr, sizeof(lr)));
        if (current < room) {
            set_limit(d, room, cv_policy_predict_blackout(&view->ceiling, room));
            if (view->ceiling.reserve == 0)
                cv_policy_reason_append(d, "; downtime-limit %" G_GUINT64_FORMAT " -> cap",
                                        current);
            else
                cv_policy_reason_append(d,
                                        "; downtime-limit %" G_GUINT64_FORMAT
                                        " -> %" G_GUINT64_FORMAT " ms, the cap%s",
                                        current, room, lr);
        }
        return TRUE;
    }
    if (current >= room) {
        cv_policy_reason_append(
            d,
            "; VFIO share unknown before QEMU 11.1: ladder at %" G_GUINT64_FORMAT
            " ms reached cap %" G_GUINT64_FORMAT " ms%s",
            current, cap, less_reserve(&view->ceiling, lr, sizeof(lr)));
        return TRUE;
    }
    next = current > CV_SAMPLE_MAX_MS / 2 ? CV_SAMPLE_MAX_MS : current * 2;
    next = MAX(next, current + CV_POLICY_LADDER_MIN_STEP_MS);
    next = MAX(next, ram_floor);
    next = MIN(round_up_step(next), room);
    set_limit(d, next, cv_policy_predict_blackout(&view->ceiling, next));
    cv_policy_reason_append(d,
                            "; VFIO share unknown before QEMU 11.1: ladder step %u, "
                            "downtime-limit %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                            " ms (cap %" G_GUINT64_FORMAT " ms%s)",
                            history->ladder_steps + 1, current, next, cap,
                            less_reserve(&view->ceiling, lr, sizeof(lr)));
    return FALSE;
}

/* "(1100 ms x max-bandwidth 64.00 MiB/s / stated 1.00 GiB/s)" */
static void
describe_prediction(const CvPolicyCeiling *c, guint64 limit, gchar *buf, gsize len)
{
    gchar mb[32], stated[32];

    cv_format_rate(c->max_bandwidth, mb, sizeof(mb));
    cv_format_rate(c->stated, stated, sizeof(stated));
    g_snprintf(buf, len, "%" G_GUINT64_FORMAT " ms x max-bandwidth %s / stated %s", limit, mb,
               stated);
    if (c->reserve > 0) {
        gchar more[48];

        g_snprintf(more, sizeof(more), " + %" G_GUINT64_FORMAT " ms switchover reserve",
                   c->reserve);
        g_strlcat(buf, more, len);
    }
}

/* The limit QEMU needs by the forecast's own numbers: pending at the newest boundary over the
 * rate its rule uses. Before 11.1, expected-downtime is the dirty rate over the precopy rate,
 * not pending over it, and reads low when iterations outlast QEMU's one-second dirty-rate
 * period; a raise that does not reach pending would leave the forecast at "never" and the
 * engine with nothing left to raise. */
static guint64
forecast_need(const CvForecast *forecast)
{
    if (forecast == NULL || forecast->rate == 0)
        return 0;
    return cv_policy_mul_div(forecast->pending, 1000, forecast->rate, TRUE);
}

/* The cap is not enough and even the ceiling cannot converge it by the numbers (the need is
 * above the ceiling by more than the margin, which covers estimate noise): a raise would only
 * lengthen the pause of a migration that may still converge by itself when its workload calms.
 * It waits for the policy's patience, counted from when the cap was first found not enough.
 * Returns TRUE while held. */
static gboolean
hold_for_patience(const CvPolicy *policy, const CvPolicyView *view, guint64 needed,
                  const CvPolicyHistory *history, CvDecision *d)
{
    const CvPolicyCeiling *c = &view->ceiling;
    gdouble margin = policy->margin > 0.0 ? policy->margin : 0.0;
    gint64 now = view->newest->time_ms;
    gint64 since = history->cap_reached_ms;
    gint64 spent = since != 0 && now >= since ? now - since : 0;
    gchar patience[32], spent_s[32];

    if ((gdouble)needed <= (gdouble)c->ceiling * (1.0 + margin))
        return FALSE;
    cv_policy_format_duration((gdouble)policy->patience_ms, patience, sizeof(patience));
    if (since != 0 && (guint64)spent >= policy->patience_ms) {
        if (cv_policy_escalation_due(policy, history, now)) {
            /* a raise just before the next step (an abort, say) would only be undone by it */
            cv_policy_reason_append(d,
                                    "; patience %s spent, but the next escalation step is due: "
                                    "no raise to %" G_GUINT64_FORMAT " ms",
                                    patience, c->ceiling);
            return TRUE;
        }
        cv_policy_reason_append(d, "; patience %s spent since the cap was found not enough",
                                patience);
        return FALSE;
    }
    g_snprintf(spent_s, sizeof(spent_s), "%.1f s", (gdouble)spent / 1000.0);
    cv_policy_reason_append(d,
                            "; even %" G_GUINT64_FORMAT
                            " ms would not converge it: held at %" G_GUINT64_FORMAT
                            " ms while it may converge by itself (patience %s, %s spent)",
                            c->ceiling, view->current_limit, patience, spent_s);
    return TRUE;
}

gboolean
cv_policy_decide_downtime(const CvPolicy *policy, const CvPolicyView *view, const CvStall *stall,
                          const CvForecast *forecast, const CvPolicyHistory *history, CvDecision *d)
{
    const CvSample *s = view->newest;
    const CvPolicyCeiling *c = &view->ceiling;
    guint64 cap = c->cap;
    guint64 needed, target, predicted;
    gboolean expected_ok;
    const gchar *expected_state;
    gchar how[192];
    gchar lr[64];

    if (!view->current_limit_known) {
        cv_policy_reason_append(d, "; current downtime-limit unknown: no change");
        return FALSE;
    }
    if (!view->system_wide && view->vfio)
        return decide_ladder(policy, view, history, d);

    expected_ok = cv_field_valid(&s->expected_downtime_ms);
    expected_state = cv_policy_field_state_name(s->expected_downtime_ms.state);
    if (cv_policy_expected_is_stale(view)) {
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

        /* pending up to 1 EiB over a rate down to 1 B/s: saturate, never overflow */
        needed = cv_policy_u64_ceil((gdouble)stall->pending * 1000.0 / (gdouble)view->knob_rate);
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
    target = cv_policy_limit_for(needed, policy->margin);
    if (forecast_need(forecast) > target) {
        gchar pending[32], rate[32];

        needed = forecast_need(forecast);
        target = cv_policy_limit_for(needed, policy->margin);
        d->source = CV_ESTIMATE_PENDING_OVER_RATE;
        cv_format_bytes(forecast->pending, pending, sizeof(pending));
        cv_format_rate(forecast->rate, rate, sizeof(rate));
        cv_policy_reason_append(
            d, "; but pending %s at the newest boundary / %s %s needs %" G_GUINT64_FORMAT " ms",
            pending, forecast->rate_fixed ? "switchover" : "measured", rate, needed);
    }
    d->needed_downtime_ms = needed;

    predicted = cv_policy_predict_blackout(c, target);
    cv_policy_reason_append(d, " x %.2f -> downtime-limit %" G_GUINT64_FORMAT " ms",
                            1.0 + policy->margin, target);

    if (view->current_limit >= target) {
        d->predicted_blackout_ms = cv_policy_predict_blackout(c, view->current_limit);
        if (cv_policy_limit_is_ours(view, history))
            cv_policy_reason_append(d,
                                    "; current downtime-limit %" G_GUINT64_FORMAT
                                    " ms (ours, within the ceiling %" G_GUINT64_FORMAT
                                    " ms) is already at or above it: left as is",
                                    view->current_limit, c->ceiling);
        else
            cv_policy_reason_append(d,
                                    "; current downtime-limit %" G_GUINT64_FORMAT
                                    " ms is already at or above it: left as is (never lowered: "
                                    "not ours)",
                                    view->current_limit);
        return FALSE;
    }
    if (target <= c->ceiling) {
        set_limit(d, target, predicted);
        if (c->over_cap) {
            describe_prediction(c, target, how, sizeof(how));
            cv_policy_reason_append(d,
                                    "; predicted blackout %" G_GUINT64_FORMAT
                                    " ms (%s) within cap %" G_GUINT64_FORMAT " ms",
                                    predicted, how, cap);
        } else {
            cv_policy_reason_append(d, " (cap %" G_GUINT64_FORMAT " ms%s)", cap,
                                    less_reserve(c, lr, sizeof(lr)));
        }
        return FALSE;
    }

    /* the cap is not enough */
    if (c->over_cap) {
        describe_prediction(c, target, how, sizeof(how));
        cv_policy_reason_append(d,
                                "; predicted blackout %" G_GUINT64_FORMAT
                                " ms (%s) exceeds cap %" G_GUINT64_FORMAT " ms",
                                predicted, how, cap);
    } else {
        cv_policy_reason_append(d, " exceeds cap %" G_GUINT64_FORMAT " ms%s", cap,
                                less_reserve(c, lr, sizeof(lr)));
        if (c->held_by_max_bandwidth)
            cv_policy_reason_append(d, " (no limit above it: %s)", c->held);
    }
    if (view->current_limit < c->ceiling && forecast != NULL &&
        hold_for_patience(policy, view, needed, history, d))
        return TRUE;
    if (view->current_limit < c->ceiling) {
        guint64 p = cv_policy_predict_blackout(c, c->ceiling);

        set_limit(d, c->ceiling, p);
        if (c->ceiling > c->room)
            cv_policy_reason_append(d,
                                    "; %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                                    " ms, the ceiling (predicted blackout %" G_GUINT64_FORMAT
                                    " ms, within the cap)",
                                    view->current_limit, c->ceiling, p);
        else
            cv_policy_reason_append(
                d, "; %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " ms (the cap%s)",
                view->current_limit, c->ceiling, less_reserve(c, lr, sizeof(lr)));
    }
    return TRUE;
}
