#include "config.h"

#include <math.h>

#include "cv-actuator-cap.h"

/* ceil(a x b / c), saturated; c > 0. */
static guint64
mul_div_ceil(guint64 a, guint64 b, guint64 c)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 q = ((u128)a * b + c - 1) / c;

    return q > G_MAXUINT64 ? G_MAXUINT64 : (guint64)q;
#else
    long double q = ceill((long double)a * (long double)b / (long double)c);

    return q >= 18446744073709551615.0L ? G_MAXUINT64 : (guint64)q;
#endif
}

gboolean
cv_actuator_check_downtime_limit(const CvPolicy *policy, const CvParams *params, guint64 limit_ms,
                                 guint64 engine_blackout_ms, gboolean vfio_unbounded, gchar *why,
                                 gsize why_len)
{
    guint64 cap = policy->max_downtime_ms;
    guint64 reserve = cv_policy_reserve(policy);
    guint64 stated = policy->switchover_bandwidth;
    const CvU64Field *mb = &params->max_bandwidth;
    gchar head[128], a[32], b[32];
    guint64 blackout;

    if (limit_ms == 0 || limit_ms > CV_SAMPLE_MAX_MS) {
        g_snprintf(why, why_len, "downtime-limit %" G_GUINT64_FORMAT " ms is out of range",
                   limit_ms);
        return FALSE;
    }
    /* QEMU's threshold counts only what it sends: the pause adds the reserve on top */
    if (cap == 0 || limit_ms + reserve <= cap)
        return TRUE;
    if (reserve > 0)
        g_snprintf(head, sizeof(head),
                   "downtime-limit %" G_GUINT64_FORMAT " ms + %" G_GUINT64_FORMAT
                   " ms switchover reserve is above the cap of %" G_GUINT64_FORMAT " ms",
                   limit_ms, reserve, cap);
    else
        g_snprintf(head, sizeof(head),
                   "downtime-limit %" G_GUINT64_FORMAT " ms is above the cap of %" G_GUINT64_FORMAT
                   " ms",
                   limit_ms, cap);
    if (stated == 0) {
        g_snprintf(why, why_len, "%s and the policy states no link rate", head);
        return FALSE;
    }
    if (cv_params_supports_switchover_bandwidth(params) ||
        (cv_field_valid(&params->avail_switchover_bandwidth) &&
         params->avail_switchover_bandwidth.value > 0)) {
        g_snprintf(why, why_len,
                   "%s and QEMU takes avail-switchover-bandwidth: the limit is the blackout", head);
        return FALSE;
    }
    if (vfio_unbounded) {
        g_snprintf(why, why_len,
                   "%s and a VFIO device's share is not reported (before 11.1): max-bandwidth "
                   "does not bound it",
                   head);
        return FALSE;
    }
    if (!cv_field_valid(mb) || mb->value == 0) {
        g_snprintf(why, why_len,
                   "%s and max-bandwidth is %s: nothing bounds the precopy rate QEMU will "
                   "measure",
                   head, !cv_field_valid(mb) ? "unknown" : "unlimited (0)");
        return FALSE;
    }
    cv_format_rate(mb->value, a, sizeof(a));
    cv_format_rate(stated, b, sizeof(b));
    if (mb->value > stated) {
        g_snprintf(why, why_len, "%s and max-bandwidth %s is above the stated link rate %s", head,
                   a, b);
        return FALSE;
    }
    blackout = mul_div_ceil(limit_ms, mb->value, stated);
    blackout = blackout > G_MAXUINT64 - reserve ? G_MAXUINT64 : blackout + reserve;
    if (blackout > cap) {
        g_snprintf(why, why_len,
                   "%s: %" G_GUINT64_FORMAT
                   " ms x max-bandwidth %s / stated %s%s allows a %" G_GUINT64_FORMAT
                   " ms blackout",
                   head, limit_ms, a, b, reserve > 0 ? " + the switchover reserve" : "", blackout);
        return FALSE;
    }
    if (engine_blackout_ms == 0 || engine_blackout_ms > cap) {
        g_snprintf(why, why_len,
                   "%s: the actuator bounds the blackout at %" G_GUINT64_FORMAT
                   " ms, but the engine predicts %" G_GUINT64_FORMAT
                   " ms; the two computations disagree",
                   head, blackout, engine_blackout_ms);
        return FALSE;
    }
    return TRUE;
}

static gboolean
vfio_unbounded(const CvSample *s, const CvParams *params)
{
    gboolean no_system_wide = s == NULL || s->remaining.state == CV_FIELD_ABSENT;

    return no_system_wide &&
           ((s != NULL && cv_sample_has_vfio(s)) || params->vfio_devices == CV_TRI_YES);
}

gboolean
cv_actuator_check(const CvPolicy *policy, const CvParams *params, const CvDecision *d,
                  const CvSample *s, gchar *why, gsize why_len)
{
    switch (d->kind) {
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        return cv_actuator_check_downtime_limit(policy, params, d->value, d->predicted_blackout_ms,
                                                vfio_unbounded(s, params), why, why_len);
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
        if (!cv_params_supports_switchover_bandwidth(params)) {
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
