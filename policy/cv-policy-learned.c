#include "config.h"

#include <string.h>

#include "cv-decision.h"
#include "cv-policy-learned.h"
#include "cv-sample.h"

gboolean
cv_learned_blackout_measurable(guint64 bytes, guint64 downtime_ms)
{
    return bytes >= CV_LEARNED_MIN_BLACKOUT_BYTES && downtime_ms >= CV_LEARNED_MIN_DOWNTIME_MS;
}

void
cv_learned_observation_set_domain(CvLearnedObservation *obs, const gchar *name)
{
    g_autofree gchar *valid = g_utf8_make_valid(name != NULL ? name : "", -1);
    const gchar *end = valid;

    /* the longest whole-character prefix that fits with its NUL */
    for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
        const gchar *next = g_utf8_next_char(p);

        if ((gsize)(next - valid) >= sizeof(obs->domain))
            break;
        end = next;
    }
    memcpy(obs->domain, valid, (gsize)(end - valid));
    obs->domain[end - valid] = '\0';
}

guint64
cv_learned_effective_rate(const CvLearnedObservation *obs)
{
    guint64 rate;

    g_return_val_if_fail(obs != NULL, 0);
    /* QEMU never reports a downtime above its own 2000 s limit; beyond it is garbage */
    if (obs->downtime_ms == 0 || obs->downtime_ms > CV_SAMPLE_MAX_MS || obs->blackout_bytes == 0)
        return 0;
    /* bytes x 1000 overflows above 18 PB: no blackout sends that, so it is garbage too */
    if (obs->blackout_bytes > G_MAXUINT64 / 1000)
        return 0;
    /* an edited or older store may hold one: the floor holds for the statistic too */
    if (!cv_learned_blackout_measurable(obs->blackout_bytes, obs->downtime_ms))
        return 0;
    rate = obs->blackout_bytes * 1000 / obs->downtime_ms;
    if (rate == 0 || rate > CV_LEARNED_RATE_MAX)
        return 0;
    return rate;
}

static void
describe_bound(CvLearnedRate *out, const gchar *what, guint64 bound)
{
    gchar b[32], l[32];

    cv_format_rate(bound, b, sizeof(b));
    cv_format_rate(out->lowest, l, sizeof(l));
    g_snprintf(out->reason + strlen(out->reason), sizeof(out->reason) - strlen(out->reason),
               "; bounded by %s %s (learned %s)", what, b, l);
}

void
cv_learned_rate_compute(const CvLearnedObservation *observations, gsize n_observations,
                        guint window, guint min_count, guint64 policy_max, guint64 nic_speed,
                        CvLearnedRate *out)
{
    gchar r[32];

    g_return_if_fail(out != NULL);
    memset(out, 0, sizeof(*out));
    out->from_index = -1;
    g_return_if_fail(observations != NULL || n_observations == 0);
    window = MAX(window, 1);
    min_count = CLAMP(min_count, 1, window);

    /* newest first, so the window is the last @window usable ones */
    for (gsize i = n_observations; i-- > 0;) {
        guint64 rate = cv_learned_effective_rate(&observations[i]);

        if (rate == 0) {
            out->n_rejected++;
            continue;
        }
        out->n_valid++;
        if (out->n_window >= window)
            continue;
        out->n_window++;
        if (out->lowest == 0 || rate < out->lowest) {
            out->lowest = rate;
            out->from_index = (gssize)i;
        }
    }

    if (out->n_valid < min_count) {
        g_snprintf(out->reason, sizeof(out->reason),
                   "not learned yet: %u usable migration%s to this destination, %u needed"
                   "%s",
                   out->n_valid, out->n_valid == 1 ? "" : "s", min_count,
                   out->n_rejected > 0 ? " (some recorded no usable blackout)" : "");
        return;
    }

    out->known = TRUE;
    out->rate = out->lowest;
    cv_format_rate(out->lowest, r, sizeof(r));
    g_snprintf(out->reason, sizeof(out->reason),
               "learned %s: the lowest blackout rate of the last %u migration%s", r, out->n_window,
               out->n_window == 1 ? "" : "s");
    if (policy_max > 0 && policy_max < out->rate) {
        out->rate = policy_max;
        out->bounded = TRUE;
        describe_bound(out, "the policy's at most", policy_max);
    }
    if (nic_speed > 0 && nic_speed < out->rate) {
        out->rate = nic_speed;
        out->bounded = TRUE;
        describe_bound(out, "the NIC's speed", nic_speed);
    }
}

gboolean
cv_policy_apply_learned(CvPolicy *policy, const CvLearnedRate *learned)
{
    g_return_val_if_fail(policy != NULL, FALSE);
    g_return_val_if_fail(learned != NULL, FALSE);
    if (!policy->switchover_learned || !learned->known || learned->rate == 0)
        return FALSE;
    /* the bound is the policy's promise: kept even if the caller computed without it */
    policy->switchover_bandwidth = policy->switchover_learned_max > 0
                                       ? MIN(learned->rate, policy->switchover_learned_max)
                                       : learned->rate;
    return TRUE;
}
