#include "config.h"

#include <string.h>

#include "cv-sample-history.h"

struct _CvSampleHistory {
    CvSampleHistoryLimits limits;
    /* One spare slot at the end for cv_sample_history_view()'s @extra. */
    CvSample *samples;
    gboolean *mid;
    guint n;
    guint epoch;
    /* The last valid counter seen in any reading, kept or not, and how many readings saw it. */
    gboolean have_seen;
    guint64 seen_pass;
    guint seen_count;
};

CvSampleHistory *
cv_sample_history_new(const CvSampleHistoryLimits *limits)
{
    CvSampleHistory *h;

    g_return_val_if_fail(limits != NULL && limits->max_samples >= 4, NULL);
    h = g_new0(CvSampleHistory, 1);
    h->limits = *limits;
    h->samples = g_new0(CvSample, limits->max_samples + 1);
    h->mid = g_new0(gboolean, limits->max_samples + 1);
    return h;
}

void
cv_sample_history_free(CvSampleHistory *history)
{
    if (history == NULL)
        return;
    g_free(history->samples);
    g_free(history->mid);
    g_free(history);
}

void
cv_sample_history_reset(CvSampleHistory *history)
{
    g_return_if_fail(history != NULL);
    history->n = 0;
    history->have_seen = FALSE;
    history->seen_count = 0;
}

/* Which of two neighbouring readings stays when the history is thinned. Two boundary readings:
 * the lower pending, because the engine's reference is the lowest boundary older than its
 * window, and it stays the same. A mid-iteration reading reads low by an unknown amount (the
 * sawtooth only falls inside an iteration): the higher one is the nearer to its boundary, and
 * keeping the lower would drag the reference down, toward "stalled". */
static gboolean
thin_keeps_first(const CvSample *a, gboolean a_mid, const CvSample *b, gboolean b_mid)
{
    guint64 pa = 0, pb = 0;

    if (!cv_sample_pending(a, &pa, NULL) || !cv_sample_pending(b, &pb, NULL))
        return FALSE;
    if (!a_mid && !b_mid)
        return pa < pb;
    return pa > pb;
}

static void
thin(CvSampleHistory *h)
{
    guint half = h->n / 2;
    guint out = 0;

    for (guint i = 0; i + 1 < half; i += 2) {
        guint keep = thin_keeps_first(&h->samples[i], h->mid[i], &h->samples[i + 1], h->mid[i + 1])
                         ? i
                         : i + 1;

        h->samples[out] = h->samples[keep];
        h->mid[out++] = h->mid[keep];
    }
    if (half % 2 != 0) {
        h->samples[out] = h->samples[half - 1];
        h->mid[out++] = h->mid[half - 1];
    }
    memmove(&h->samples[out], &h->samples[half], (h->n - half) * sizeof(CvSample));
    memmove(&h->mid[out], &h->mid[half], (h->n - half) * sizeof(gboolean));
    h->n = out + (h->n - half);
}

/* Is @old more than CV_SAMPLE_HISTORY_WINDOWS stall windows behind @newest? */
static gboolean
expired(const CvSampleHistoryLimits *limits, const CvSample *old, const CvSample *newest)
{
    guint64 passes = (guint64)limits->window_passes * CV_SAMPLE_HISTORY_WINDOWS;

    if (limits->window_passes == 0 && limits->window_ms == 0)
        return FALSE;
    if (limits->window_ms > 0 &&
        newest->time_ms - old->time_ms <= (gint64)(CV_SAMPLE_HISTORY_WINDOWS * limits->window_ms))
        return FALSE;
    if (limits->window_passes > 0 && cv_field_valid(&old->ram_dirty_sync_count) &&
        cv_field_valid(&newest->ram_dirty_sync_count) &&
        newest->ram_dirty_sync_count.value - old->ram_dirty_sync_count.value <= passes)
        return FALSE;
    return TRUE;
}

static void
append(CvSampleHistory *h, const CvSample *s, gboolean mid)
{
    guint drop = 0;

    if (h->n == h->limits.max_samples)
        thin(h);
    h->samples[h->n] = *s;
    /* the engine's forecast must know which readings may sit low on the sawtooth */
    h->samples[h->n].mid_iteration = mid;
    h->mid[h->n++] = mid;
    /* Keep two expired readings: the older one makes the younger a boundary for the engine,
     * and the younger may still be the window's reference (sparse evaluations at a high
     * --speed leave nothing else older than the window). */
    while (drop + 2 < h->n && expired(&h->limits, &h->samples[drop + 2], s))
        drop++;
    if (drop > 0) {
        memmove(&h->samples[0], &h->samples[drop], (h->n - drop) * sizeof(CvSample));
        memmove(&h->mid[0], &h->mid[drop], (h->n - drop) * sizeof(gboolean));
        h->n -= drop;
    }
}

static void
note_seen(CvSampleHistory *h, guint64 pass)
{
    if (h->have_seen && h->seen_pass == pass) {
        h->seen_count++;
        return;
    }
    h->have_seen = TRUE;
    h->seen_pass = pass;
    h->seen_count = 1;
}

/* A poll that saw a new iteration: is it within one poll of that iteration's boundary? Only
 * when it directly follows an iteration that polls saw at least twice (polls are then faster
 * than iterations). */
static gboolean
poll_near_boundary(const CvSampleHistory *h, guint64 pass)
{
    return h->have_seen && pass == h->seen_pass + 1 && h->seen_count >= 2;
}

CvSampleKept
cv_sample_history_add(CvSampleHistory *history, const CvSample *sample, CvSampleRead read,
                      gboolean pass_events)
{
    CvSampleHistory *h = history;
    const CvSample *newest;
    gboolean new_epoch = FALSE;
    guint64 pass;
    CvSampleKept kept;

    g_return_val_if_fail(h != NULL && sample != NULL, CV_SAMPLE_NOT_KEPT);
    newest = h->n > 0 ? &h->samples[h->n - 1] : NULL;
    if (!cv_field_valid(&sample->ram_dirty_sync_count)) {
        /* No trustworthy counter: one reading per period, none of them known to be a
         * boundary (the engine is blind without the counter anyway). */
        if (newest != NULL && sample->time_ms - newest->time_ms < (gint64)h->limits.no_counter_ms)
            return CV_SAMPLE_NOT_KEPT;
        append(h, sample, TRUE);
        return CV_SAMPLE_KEPT_MID;
    }
    pass = sample->ram_dirty_sync_count.value;
    if (h->have_seen && pass < h->seen_pass) {
        cv_sample_history_reset(h);
        h->epoch++;
        newest = NULL;
        new_epoch = TRUE;
    }
    if (newest != NULL && cv_field_valid(&newest->ram_dirty_sync_count) &&
        pass <= newest->ram_dirty_sync_count.value) {
        note_seen(h, pass);
        return CV_SAMPLE_NOT_KEPT;
    }
    if (read == CV_SAMPLE_READ_AT_PASS)
        kept = CV_SAMPLE_KEPT_BOUNDARY;
    else if (pass_events && !new_epoch)
        kept = CV_SAMPLE_SKIPPED_MID;
    else if (poll_near_boundary(h, pass))
        kept = CV_SAMPLE_KEPT_BOUNDARY;
    else
        kept = CV_SAMPLE_KEPT_MID;
    note_seen(h, pass);
    if (kept == CV_SAMPLE_SKIPPED_MID)
        return kept;
    append(h, sample, kept == CV_SAMPLE_KEPT_MID);
    return new_epoch ? CV_SAMPLE_KEPT_NEW_EPOCH : kept;
}

const CvSample *
cv_sample_history_view(CvSampleHistory *history, const CvSample *extra, guint *n_samples)
{
    g_return_val_if_fail(history != NULL, NULL);
    if (extra != NULL) {
        history->samples[history->n] = *extra;
        /* not a kept boundary reading: at best the same iteration as the newest one */
        history->samples[history->n].mid_iteration = TRUE;
        history->mid[history->n] = FALSE;
    }
    if (n_samples != NULL)
        *n_samples = history->n + (extra != NULL ? 1 : 0);
    return history->samples;
}

guint
cv_sample_history_get_n(const CvSampleHistory *history)
{
    g_return_val_if_fail(history != NULL, 0);
    return history->n;
}

gboolean
cv_sample_history_is_mid(const CvSampleHistory *history, guint index)
{
    g_return_val_if_fail(history != NULL && index < history->n, FALSE);
    return history->mid[index];
}

guint
cv_sample_history_count_mid(const CvSampleHistory *history)
{
    guint count = 0;

    g_return_val_if_fail(history != NULL, 0);
    for (guint i = 0; i < history->n; i++)
        count += history->mid[i] ? 1 : 0;
    return count;
}

void
cv_sample_history_annotate(const CvSampleHistory *history, CvDecision *d)
{
    guint mid;
    g_autofree gchar *note = NULL;

    g_return_if_fail(history != NULL && d != NULL);
    if (d->verdict != CV_VERDICT_STALLED && d->verdict != CV_VERDICT_CONVERGING &&
        d->verdict != CV_VERDICT_ESCALATING)
        return;
    mid = cv_sample_history_count_mid(history);
    if (mid == 0)
        return;
    /* with pass events too: the reading at attach falls inside an iteration */
    note = g_strdup_printf("; %u of %u readings taken mid-iteration (at attach, or polled "
                           "between iteration boundaries): pending may read low",
                           mid, history->n);
    g_strlcat(d->reason, note, sizeof(d->reason));
}

guint
cv_sample_history_get_epoch(const CvSampleHistory *history)
{
    g_return_val_if_fail(history != NULL, 0);
    return history->epoch;
}

void
cv_sample_history_set_windows(CvSampleHistory *history, guint window_passes, guint64 window_ms)
{
    g_return_if_fail(history != NULL);
    history->limits.window_passes = window_passes;
    history->limits.window_ms = window_ms;
}
