#include "config.h"

#include <math.h>
#include <string.h>

#include "cv-policy-private.h"

/* Stall detection.
 *
 * ram.remaining is a sawtooth inside an iteration: right after a dirty-bitmap sync it holds
 * the whole dirty set, then falls as pages are sent. A random mid-iteration reading says
 * nothing about progress, so pending is only read at iteration boundaries: the first sample
 * after dirty-sync-count advanced. A falling sawtooth inside one iteration is therefore not
 * progress and a rising one is not a stall; neither moves a boundary.
 *
 * The window: a boundary is "older than the window" when it lies at least
 * stall_window_passes iterations AND at least stall_window_ms of sample time before the
 * newest boundary (a zero setting is not judged). Both, not either: passes alone mean
 * nothing once RAM is drained and a device-heavy guest iterates hundreds of times a second
 * (3 passes are a few ms there), and time alone can fall inside one slow iteration of a big
 * guest. Requiring both makes the window the longer of the two, so a migration is never
 * touched before it had a fair chance to converge on its own. A policy with neither set is
 * judged over one iteration.
 *
 * Stalled when the newest boundary pending has not fallen by stall_min_progress against the
 * lowest boundary pending older than the window, or when the dirty rate stayed at or above
 * the transfer rate at every reading across the window (every reading must carry both rates;
 * a missing or invalid one defeats that criterion, never the other way round). */

typedef struct {
    gsize index;
    guint64 pass;
    gint64 time_ms;
    guint64 pending;
} Boundary;

static gboolean
older_than_window(const CvPolicy *policy, const Boundary *b, const Boundary *newest)
{
    guint passes = policy->stall_window_passes;

    if (passes == 0 && policy->stall_window_ms == 0)
        passes = 1;
    if (passes > 0 && newest->pass - b->pass < passes)
        return FALSE;
    if (policy->stall_window_ms > 0 &&
        (newest->time_ms < b->time_ms ||
         (guint64)(newest->time_ms - b->time_ms) < policy->stall_window_ms))
        return FALSE;
    return TRUE;
}

static gboolean
rate_stalled_between(const CvSample *samples, gsize from, gsize to)
{
    for (gsize i = from; i <= to; i++) {
        guint64 dirty, thr;

        if (samples[i].status != CV_MIGRATION_STATUS_ACTIVE)
            continue;
        if (!cv_sample_dirty_rate(&samples[i], &dirty) || !cv_sample_throughput(&samples[i], &thr))
            return FALSE;
        if (dirty < thr)
            return FALSE;
    }
    return TRUE;
}

void
cv_policy_judge_stall(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                      guint64 after_pass, CvStall *stall)
{
    g_autofree Boundary *bounds = NULL;
    gsize n_bounds = 0;
    gboolean have_pass = FALSE;
    guint64 last_pass = 0;
    const Boundary *newest;
    const Boundary *window_start = NULL;
    gboolean have_ref = FALSE;

    memset(stall, 0, sizeof(*stall));
    if (n_samples == 0)
        return;
    bounds = g_new0(Boundary, n_samples);
    for (gsize i = 0; i < n_samples; i++) {
        const CvSample *s = &samples[i];
        guint64 pass, pending = 0;

        if (!cv_field_valid(&s->ram_dirty_sync_count))
            continue;
        pass = s->ram_dirty_sync_count.value;
        if (have_pass && pass < last_pass) {
            /* the counter went back: a new migration; what came before is not this one */
            n_bounds = 0;
        } else if (have_pass && pass > last_pass && s->status == CV_MIGRATION_STATUS_ACTIVE &&
                   pass > after_pass && cv_sample_pending(s, &pending, NULL) &&
                   (n_bounds == 0 || s->time_ms >= bounds[n_bounds - 1].time_ms)) {
            bounds[n_bounds].index = i;
            bounds[n_bounds].pass = pass;
            bounds[n_bounds].time_ms = s->time_ms;
            bounds[n_bounds].pending = pending;
            n_bounds++;
        }
        have_pass = TRUE;
        last_pass = pass;
    }
    stall->n_boundaries = (guint)n_bounds;
    if (n_bounds == 0)
        return;

    newest = &bounds[n_bounds - 1];
    stall->newest_index = newest->index;
    stall->newest_pass = newest->pass;
    stall->newest_time_ms = newest->time_ms;
    stall->pending = newest->pending;
    (void)cv_sample_dirty_rate(&samples[newest->index], &stall->dirty_rate);
    (void)cv_sample_throughput(&samples[newest->index], &stall->throughput);

    for (gsize i = 0; i + 1 < n_bounds; i++) {
        const Boundary *b = &bounds[i];

        if (!older_than_window(policy, b, newest))
            break; /* boundaries are in order: every later one is younger still */
        window_start = b;
        /* the lowest; on a tie the most recent, so the reason names the shortest span */
        if (!have_ref || b->pending <= stall->reference) {
            stall->reference = b->pending;
            stall->reference_pass = b->pass;
            stall->reference_time_ms = b->time_ms;
            have_ref = TRUE;
        }
    }
    if (!have_ref)
        return;

    stall->judged = TRUE;
    if (stall->reference == 0) {
        /* pending reached zero at a boundary: QEMU is about to switch over on its own */
        stall->progress = 1.0;
    } else {
        stall->progress =
            ((gdouble)stall->reference - (gdouble)stall->pending) / (gdouble)stall->reference;
    }
    stall->by_pending = stall->reference > 0 && stall->progress < policy->stall_min_progress;
    stall->by_rate = rate_stalled_between(samples, window_start->index, newest->index);
    stall->stalled = stall->by_pending || stall->by_rate;
}

void
cv_policy_describe_stall(const CvPolicy *policy, const CvStall *stall, gchar *buf, gsize len)
{
    gchar pending[32], reference[32];
    gchar trend[32];
    guint64 span_passes = stall->newest_pass - stall->reference_pass;
    gdouble span_s = (gdouble)(stall->newest_time_ms - stall->reference_time_ms) / 1000.0;
    gdouble pct = stall->progress * 100.0;

    cv_format_bytes(stall->pending, pending, sizeof(pending));
    cv_format_bytes(stall->reference, reference, sizeof(reference));
    if (stall->by_rate && !stall->by_pending) {
        gchar dirty[32], thr[32];

        cv_format_rate(stall->dirty_rate, dirty, sizeof(dirty));
        cv_format_rate(stall->throughput, thr, sizeof(thr));
        g_snprintf(buf, len,
                   "dirty rate %s >= transfer %s for %" G_GUINT64_FORMAT
                   " iterations/%.1f s (pending %s)",
                   dirty, thr, span_passes, span_s, pending);
        return;
    }
    if (fabs(pct) < 0.05)
        g_snprintf(trend, sizeof(trend), "flat");
    else if (pct > 0)
        g_snprintf(trend, sizeof(trend), "fell %.1f%%", pct);
    else
        g_snprintf(trend, sizeof(trend), "rose %.1f%%", -pct);
    g_snprintf(buf, len,
               "pending %s %s vs %s %" G_GUINT64_FORMAT
               " iterations/%.1f s ago (min progress %.0f%%)%s",
               pending, trend, reference, span_passes, span_s, policy->stall_min_progress * 100.0,
               stall->by_rate ? ", dirty rate >= transfer" : "");
}
