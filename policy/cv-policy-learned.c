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

const gchar *
cv_learned_source_to_string(CvLearnedSource source)
{
    switch (source) {
    case CV_LEARNED_SOURCE_BLACKOUT:
        return "blackout";
    case CV_LEARNED_SOURCE_JOB_WINDOW:
        return "job-window";
    default:
        return "unknown";
    }
}

gboolean
cv_learned_source_from_string(const gchar *name, CvLearnedSource *source)
{
    g_return_val_if_fail(source != NULL, FALSE);
    if (g_strcmp0(name, "blackout") == 0)
        *source = CV_LEARNED_SOURCE_BLACKOUT;
    else if (g_strcmp0(name, "job-window") == 0)
        *source = CV_LEARNED_SOURCE_JOB_WINDOW;
    else
        return FALSE;
    return TRUE;
}

static const gchar *
field_problem(const CvU64Field *field)
{
    return field->state == CV_FIELD_ABSENT ? "missing" : "invalid";
}

gboolean
cv_learned_job_window(const CvLearnedJobReading *readings, gsize n_readings,
                      const CvLearnedJobReading *final, guint64 *bytes, guint64 *ms, guint *back,
                      gchar *why, gsize why_len)
{
    gchar b[32];
    guint64 last_bytes = 0, last_ms = 0;

    g_return_val_if_fail(final != NULL && bytes != NULL && ms != NULL, FALSE);
    g_return_val_if_fail(readings != NULL || n_readings == 0, FALSE);
    if (!cv_field_valid(&final->processed) || !cv_field_valid(&final->elapsed_ms)) {
        if (why != NULL)
            g_snprintf(why, why_len, "the completed job's transferred bytes or elapsed time is %s",
                       field_problem(cv_field_valid(&final->processed) ? &final->elapsed_ms
                                                                       : &final->processed));
        return FALSE;
    }
    if (n_readings == 0) {
        if (why != NULL)
            g_strlcpy(why, "no precopy reading to start a job window from", why_len);
        return FALSE;
    }
    for (gsize i = n_readings; i-- > 0;) {
        const CvLearnedJobReading *r = &readings[i];

        if (!cv_field_valid(&r->processed) || !cv_field_valid(&r->elapsed_ms)) {
            if (why != NULL)
                g_snprintf(
                    why, why_len, "a precopy reading's transferred bytes or elapsed time is %s",
                    field_problem(cv_field_valid(&r->processed) ? &r->elapsed_ms : &r->processed));
            return FALSE;
        }
        if (final->processed.value < r->processed.value ||
            final->elapsed_ms.value <= r->elapsed_ms.value) {
            if (why != NULL)
                g_snprintf(why, why_len,
                           "the job's counters went back (transferred %" G_GUINT64_FORMAT
                           " -> %" G_GUINT64_FORMAT " bytes, elapsed %" G_GUINT64_FORMAT
                           " -> %" G_GUINT64_FORMAT " ms): a reset or another job",
                           r->processed.value, final->processed.value, r->elapsed_ms.value,
                           final->elapsed_ms.value);
            return FALSE;
        }
        last_bytes = final->processed.value - r->processed.value;
        /* the elapsed times are bounded far below G_MAXUINT64: no overflow */
        last_ms = final->elapsed_ms.value - r->elapsed_ms.value + 1;
        if (cv_learned_blackout_measurable(last_bytes, last_ms)) {
            *bytes = last_bytes;
            *ms = last_ms;
            if (back != NULL)
                *back = (guint)(n_readings - 1 - i);
            return TRUE;
        }
    }
    if (why != NULL) {
        cv_format_bytes(last_bytes, b, sizeof(b));
        g_snprintf(why, why_len,
                   "the longest job window, %s in %" G_GUINT64_FORMAT
                   " ms, is too small to measure the link (the floor is %u MiB and %u ms)",
                   b, last_ms, (guint)(CV_LEARNED_MIN_BLACKOUT_BYTES >> 20),
                   (guint)CV_LEARNED_MIN_DOWNTIME_MS);
    }
    return FALSE;
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
