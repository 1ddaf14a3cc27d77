#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cv-policy-private.h"

/* The convergence forecast: will QEMU switch over by itself at the current downtime-limit, and
 * when?
 *
 * QEMU's rule: at an iteration boundary (the dirty-bitmap sync that advances dirty-sync-count)
 * it compares pending with its threshold, rate x downtime-limit, where rate is
 * avail-switchover-bandwidth when set, else the precopy rate it measured last (ram.mbps). At or
 * below it, it switches over; above it, it sends another iteration, during which the guest
 * dirties the next pending. So the forecast reads pending only at boundaries and models the
 * next from the last:
 *
 *   factor f      per-iteration factor of pending: the median of P(k+1)/P(k) over the newest
 *                 CV_POLICY_FORECAST_RATIOS (3) pairs of usable boundaries. A pair that spans
 *                 several passes (the counter jumped: passes faster than readings, coalesced
 *                 events) counts as that many iterations: (P(k+1)/P(k))^(1/passes). The median,
 *                 not the last pair, so one noisy boundary decides nothing.
 *   threshold T   rate x limit, the rate QEMU's rule uses now.
 *   iteration d   the median duration of an iteration over the same pairs.
 *
 *   P <= T        QEMU switches over at its next check: converging now.
 *   f >= 1        pending does not shrink: never at this limit.
 *   dirty ~ rate  QEMU's dirty rate over its transfer rate, the median over the span, at least
 *                 1 - CV_POLICY_FORECAST_DIRTY_TOLERANCE: each iteration dirties (nearly) what
 *                 it sends, so never at this limit, whatever f reads (readings that lag their
 *                 boundary a little more each time fake a fall).
 *   f < 1         at the threshold after N = ceil(ln(T/P) / ln f) iterations, about N x d.
 *
 * A geometric model overstates progress toward a floor (a dirty set that settles above T, a
 * device state that does not shrink); as pending settles the ratios approach 1 and the forecast
 * turns into "not within patience" and then "never", so it errs toward acting late, never
 * toward acting on a migration that converges by itself.
 *
 * Usable boundaries: an active reading whose dirty-sync-count advanced, with valid pending and a
 * time not older than the previous boundary's. A reading the caller flagged mid-iteration
 * (CvSample.mid_iteration: a poll without pass events) reads low by up to what one iteration
 * sends (rate x iteration), and is left out unless that is below
 * CV_POLICY_FORECAST_SAWTOOTH_SHARE of its pending (drained RAM: a 2 GiB device state, passes of
 * a millisecond). A counter that goes back starts a new migration: what came before is not
 * used. No forecast (NONE) without CV_POLICY_FORECAST_MIN_BOUNDARIES usable boundaries over
 * CV_POLICY_FORECAST_MIN_SPAN_MS, without a usable rate at the newest one or a known limit; the
 * stall window decides then. */

typedef struct {
    gsize index;
    guint64 pass;
    gint64 time_ms;
    guint64 pending;
} Boundary;

static int
compare_double(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

/* Sorts @v in place. Between the two middle values of an even count, their geometric mean:
 * for factors that is the median of their logarithms, so of two ratios around one odd
 * boundary (P1 -> outlier -> P3) it gives (P3 / P1)^(1/2), the outlier cancelled. */
static gdouble
median(gdouble *v, guint n)
{
    qsort(v, n, sizeof(*v), compare_double);
    return n % 2 != 0 ? v[n / 2] : sqrt(v[n / 2 - 1] * v[n / 2]);
}

/* A reading flagged mid-iteration at @pass, whose previous reading (any) was at @prev_pass,
 * @prev_ms: could its sawtooth matter? */
static gboolean
sawtooth_matters(const CvSample *s, guint64 pending, guint64 prev_pass, gint64 prev_ms)
{
    guint64 thr = 0;
    gdouble iteration_ms, bound;

    if (!cv_sample_throughput(s, &thr) || s->time_ms < prev_ms)
        return TRUE;
    iteration_ms =
        (gdouble)(s->time_ms - prev_ms) / (gdouble)(s->ram_dirty_sync_count.value - prev_pass);
    bound = (gdouble)thr * iteration_ms / 1000.0;
    return !(bound <= CV_POLICY_FORECAST_SAWTOOTH_SHARE * (gdouble)pending);
}

/* Does the guest dirty about as much as QEMU sends? The median over the span's boundaries of
 * QEMU's dirty rate over its transfer rate, at least 1 - CV_POLICY_FORECAST_DIRTY_TOLERANCE:
 * each iteration then dirties (nearly) what it sends, and pending that seems to fall is a
 * reading's lag behind its boundary, or a dirty set settling on its floor: nothing the geometric
 * model may extrapolate to the threshold. QEMU measures the two over different periods (the
 * dirty rate over about a second, the transfer rate over the last 100 ms or so), so two equal
 * rates read a few per cent apart. A boundary without both rates: no evidence. */
static gboolean
dirty_outpaces(const CvSample *samples, const Boundary *bounds, gsize first, gsize n_bounds,
               CvForecast *f)
{
    g_autofree gdouble *shares = g_new0(gdouble, n_bounds - first);
    guint64 dirty = 0, thr = 0;
    guint n = 0;

    for (gsize j = first; j < n_bounds; j++) {
        const CvSample *s = &samples[bounds[j].index];

        if (!cv_sample_dirty_rate(s, &dirty) || !cv_sample_throughput(s, &thr) || thr == 0)
            return FALSE;
        shares[n++] = (gdouble)dirty / (gdouble)thr;
    }
    if (n == 0)
        return FALSE;
    f->dirty_share = median(shares, n);
    f->dirty_rate = dirty;
    f->transfer_rate = thr;
    return f->dirty_share >= 1.0 - CV_POLICY_FORECAST_DIRTY_TOLERANCE;
}

static void set_none(CvForecast *f, gboolean gathering, const gchar *format, ...)
    G_GNUC_PRINTF(3, 4);

static void
set_none(CvForecast *f, gboolean gathering, const gchar *format, ...)
{
    va_list ap;

    f->outcome = CV_FORECAST_NONE;
    f->gathering = gathering;
    va_start(ap, format);
    g_vsnprintf(f->why, sizeof(f->why), format, ap);
    va_end(ap);
}

static void
append_mid(CvForecast *f)
{
    gsize used = strlen(f->why);

    if (f->n_mid > 0 && used + 1 < sizeof(f->why))
        g_snprintf(f->why + used, sizeof(f->why) - used, " (%u mid-iteration %s left out)",
                   f->n_mid, f->n_mid == 1 ? "reading" : "readings");
}

/* No forecast from pending (polls slower than iterations: every reading mid-iteration, its
 * sawtooth too large to use), but the rates need no boundary: QEMU's dirty and transfer rates
 * are per-period figures, and a mid-iteration reading of pending is a lower bound of the
 * boundary's (pages are only sent after the sync). So when the guest dirties about what is sent
 * (dirty_outpaces) over the newest readings whose pass advanced, with the same evidence as
 * boundaries (CV_POLICY_FORECAST_MIN_BOUNDARIES over CV_POLICY_FORECAST_MIN_SPAN_MS), and even
 * the newest reading's pending is above QEMU's threshold, it never converges at this limit.
 * Anything else: FALSE, no forecast. */
static gboolean
forecast_from_rates(const CvSample *samples, const Boundary *reads, gsize n_reads,
                    const CvPolicyView *view, CvForecast *f)
{
    gsize first;
    const Boundary *newest;
    guint64 rate = 0;
    CvForecast r;

    if (n_reads == 0)
        return FALSE;
    first = n_reads > CV_POLICY_FORECAST_RATIOS + 1 ? n_reads - CV_POLICY_FORECAST_RATIOS - 1 : 0;
    while (first > 0 && reads[n_reads - 1].time_ms - reads[first].time_ms <
                            (gint64)CV_POLICY_FORECAST_MIN_SPAN_MS)
        first--;
    newest = &reads[n_reads - 1];
    if (n_reads - first < CV_POLICY_FORECAST_MIN_BOUNDARIES ||
        newest->time_ms - reads[first].time_ms < (gint64)CV_POLICY_FORECAST_MIN_SPAN_MS ||
        !view->current_limit_known || newest->pass == reads[first].pass)
        return FALSE;
    if (view->knob_rate_fixed)
        rate = view->knob_rate;
    else if (!cv_sample_throughput(&samples[newest->index], &rate))
        return FALSE;
    r = *f;
    r.rate = rate;
    r.rate_fixed = view->knob_rate_fixed;
    r.limit_ms = view->current_limit;
    r.threshold = cv_policy_mul_div(rate, r.limit_ms, 1000, FALSE);
    if (r.threshold == 0 || newest->pending <= r.threshold ||
        !dirty_outpaces(samples, reads, first, n_reads, &r))
        return FALSE;
    r.outcome = CV_FORECAST_NEVER;
    r.outpaced = TRUE;
    r.from_rates = TRUE;
    r.n_boundaries = (guint)(n_reads - first);
    r.span_ms = newest->time_ms - reads[first].time_ms;
    r.newest_index = newest->index;
    r.newest_pass = newest->pass;
    r.newest_time_ms = newest->time_ms;
    r.pending = newest->pending;
    r.iteration_ms = (gdouble)r.span_ms / (gdouble)(newest->pass - reads[first].pass);
    *f = r;
    return TRUE;
}

void
cv_policy_forecast(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                   const CvPolicyView *view, CvForecast *f)
{
    g_autofree Boundary *bounds = NULL;
    g_autofree Boundary *reads = NULL;
    gsize n_reads = 0;
    g_autofree gdouble *ratios = NULL;
    g_autofree gdouble *durations = NULL;
    gsize n_bounds = 0, first;
    guint n_ratios = 0;
    gboolean have_pass = FALSE;
    guint64 last_pass = 0;
    gint64 last_ms = 0;
    const Boundary *newest;
    gdouble x;

    memset(f, 0, sizeof(*f));
    if (policy->patience_ms == 0) {
        set_none(f, FALSE, "off (patience = off)");
        return;
    }
    if (n_samples == 0) {
        set_none(f, TRUE, "no reading");
        return;
    }
    bounds = g_new0(Boundary, n_samples);
    reads = g_new0(Boundary, n_samples);
    for (gsize i = 0; i < n_samples; i++) {
        const CvSample *s = &samples[i];
        guint64 pass, pending = 0;

        if (!cv_field_valid(&s->ram_dirty_sync_count))
            continue;
        pass = s->ram_dirty_sync_count.value;
        if (have_pass && pass < last_pass) {
            n_bounds = 0;
            n_reads = 0;
            f->n_mid = 0;
        } else if (have_pass && pass > last_pass && s->status == CV_MIGRATION_STATUS_ACTIVE &&
                   cv_sample_pending(s, &pending, NULL) &&
                   (n_bounds == 0 || s->time_ms >= bounds[n_bounds - 1].time_ms) &&
                   (n_reads == 0 || s->time_ms >= reads[n_reads - 1].time_ms)) {
            reads[n_reads].index = i;
            reads[n_reads].pass = pass;
            reads[n_reads].time_ms = s->time_ms;
            reads[n_reads].pending = pending;
            n_reads++;
            if (s->mid_iteration && sawtooth_matters(s, pending, last_pass, last_ms)) {
                f->n_mid++;
            } else {
                bounds[n_bounds].index = i;
                bounds[n_bounds].pass = pass;
                bounds[n_bounds].time_ms = s->time_ms;
                bounds[n_bounds].pending = pending;
                n_bounds++;
            }
        }
        have_pass = TRUE;
        last_pass = pass;
        last_ms = s->time_ms;
    }

    /* the newest RATIOS + 1 boundaries, more while they span less than the minimum time */
    first = n_bounds > CV_POLICY_FORECAST_RATIOS + 1 ? n_bounds - CV_POLICY_FORECAST_RATIOS - 1 : 0;
    while (first > 0 && bounds[n_bounds - 1].time_ms - bounds[first].time_ms <
                            (gint64)CV_POLICY_FORECAST_MIN_SPAN_MS)
        first--;
    f->n_boundaries = (guint)(n_bounds - first);
    if (n_bounds == 0) {
        if (f->n_mid > 0 && forecast_from_rates(samples, reads, n_reads, view, f))
            return;
        set_none(f, TRUE, "no usable iteration boundary yet");
        append_mid(f);
        return;
    }
    newest = &bounds[n_bounds - 1];
    f->span_ms = newest->time_ms - bounds[first].time_ms;
    f->newest_index = newest->index;
    f->newest_pass = newest->pass;
    f->newest_time_ms = newest->time_ms;
    f->pending = newest->pending;
    if (f->n_boundaries < CV_POLICY_FORECAST_MIN_BOUNDARIES ||
        f->span_ms < (gint64)CV_POLICY_FORECAST_MIN_SPAN_MS) {
        if (f->n_mid > 0 && forecast_from_rates(samples, reads, n_reads, view, f))
            return;
        set_none(f, TRUE, "%u %s over %.1f s (needs %d over %.1f s)", f->n_boundaries,
                 f->n_boundaries == 1 ? "boundary" : "boundaries", (gdouble)f->span_ms / 1000.0,
                 CV_POLICY_FORECAST_MIN_BOUNDARIES, CV_POLICY_FORECAST_MIN_SPAN_MS / 1000.0);
        append_mid(f);
        return;
    }

    if (view->knob_rate_fixed) {
        f->rate = view->knob_rate;
        f->rate_fixed = TRUE;
    } else if (!cv_sample_throughput(&samples[newest->index], &f->rate)) {
        set_none(f, FALSE, "measured rate (ram.mbps) %s at the newest boundary",
                 samples[newest->index].ram_mbps.state == CV_FIELD_VALID
                     ? "zero"
                     : cv_policy_field_state_name(samples[newest->index].ram_mbps.state));
        return;
    }
    if (!view->current_limit_known) {
        set_none(f, FALSE, "downtime-limit unknown");
        return;
    }
    f->limit_ms = view->current_limit;
    f->threshold = cv_policy_mul_div(f->rate, f->limit_ms, 1000, FALSE);

    ratios = g_new0(gdouble, n_bounds);
    durations = g_new0(gdouble, n_bounds);
    for (gsize j = first; j + 1 < n_bounds; j++) {
        const Boundary *a = &bounds[j], *b = &bounds[j + 1];
        gdouble passes = (gdouble)(b->pass - a->pass);

        durations[n_ratios] = (gdouble)(b->time_ms - a->time_ms) / passes;
        if (a->pending == 0)
            continue; /* QEMU was at its threshold there; no factor from zero */
        ratios[n_ratios++] = pow((gdouble)b->pending / (gdouble)a->pending, 1.0 / passes);
    }
    if (newest->pending <= f->threshold) {
        f->outcome = CV_FORECAST_NOW;
        f->within_patience = TRUE;
        f->factor = n_ratios > 0 ? median(ratios, n_ratios) : 0.0;
        f->iteration_ms = n_ratios > 0 ? median(durations, n_ratios) : 0.0;
        return;
    }
    if (n_ratios + 1 < CV_POLICY_FORECAST_MIN_BOUNDARIES) {
        set_none(f, TRUE, "pending was zero at the older boundaries");
        return;
    }
    f->factor = median(ratios, n_ratios);
    f->iteration_ms = median(durations, n_ratios);
    if (f->factor < 1.0 && f->threshold > 0 &&
        dirty_outpaces(samples, bounds, first, n_bounds, f)) {
        f->outcome = CV_FORECAST_NEVER;
        f->outpaced = TRUE;
        return;
    }
    if (!(f->factor < 1.0) || f->threshold == 0) {
        f->outcome = CV_FORECAST_NEVER;
        return;
    }
    f->outcome = CV_FORECAST_CONVERGES;
    x = log((gdouble)f->threshold / (gdouble)f->pending) / log(f->factor);
    f->iterations = MAX(cv_policy_u64_ceil(x), 1);
    f->eta_ms = (gdouble)f->iterations * f->iteration_ms;
    f->within_patience = f->eta_ms <= (gdouble)policy->patience_ms;
}

void
cv_policy_format_duration(gdouble ms, gchar *buf, gsize len)
{
    if (!(ms >= 0.0))
        ms = 0.0;
    if (ms < 10.0)
        g_snprintf(buf, len, "%.2f ms", ms);
    else if (ms < 1000.0)
        g_snprintf(buf, len, "%.0f ms", ms);
    else if (ms < 100000.0)
        g_snprintf(buf, len, "%.1f s", ms / 1000.0);
    else if (ms < 6000000.0)
        g_snprintf(buf, len, "%.0f s", ms / 1000.0);
    else if (ms < 86400000.0 * 2)
        g_snprintf(buf, len, "%.0f min", ms / 60000.0);
    else
        g_snprintf(buf, len, "more than two days");
}

static void
format_factor(gdouble factor, gchar *buf, gsize len)
{
    /* "x0.9996", not "x1.00", when a thousand passes a second each shrink pending a little */
    if (factor != 1.0 && fabs(factor - 1.0) < 0.00005)
        g_snprintf(buf, len, "x%.6f", factor);
    else if (factor != 1.0 && fabs(factor - 1.0) < 0.005)
        g_snprintf(buf, len, "x%.4f", factor);
    else
        g_snprintf(buf, len, "x%.2f", factor);
}

void
cv_policy_describe_forecast(const CvPolicy *policy, const CvForecast *f, gchar *buf, gsize len)
{
    gchar pending[32], threshold[32], rate[32], factor[32], iteration[32], span[32], eta[32];
    gchar patience[32], mid[64] = "";
    gsize used;

    if (f->outcome == CV_FORECAST_NONE) {
        g_snprintf(buf, len, "no forecast: %s", f->why);
        return;
    }
    cv_format_bytes(f->pending, pending, sizeof(pending));
    cv_format_bytes(f->threshold, threshold, sizeof(threshold));
    cv_format_rate(f->rate, rate, sizeof(rate));
    format_factor(f->factor, factor, sizeof(factor));
    cv_policy_format_duration(f->iteration_ms, iteration, sizeof(iteration));
    cv_policy_format_duration((gdouble)f->span_ms, span, sizeof(span));
    cv_policy_format_duration((gdouble)policy->patience_ms, patience, sizeof(patience));
    if (f->n_mid > 0)
        g_snprintf(mid, sizeof(mid), ", %u mid-iteration %s left out", f->n_mid,
                   f->n_mid == 1 ? "reading" : "readings");
    if (f->from_rates)
        g_snprintf(buf, len,
                   "pending at least %s (mid-iteration readings included) over %u readings/%s "
                   "(iteration %s), threshold %s (%s %s x %" G_GUINT64_FORMAT " ms)",
                   pending, f->n_boundaries, span, iteration, threshold,
                   f->rate_fixed ? "switchover" : "measured", rate, f->limit_ms);
    else
        g_snprintf(buf, len,
                   "pending %s %s per iteration over %u boundaries/%s (iteration %s%s), threshold "
                   "%s (%s %s x %" G_GUINT64_FORMAT " ms)",
                   pending, factor, f->n_boundaries, span, iteration, mid, threshold,
                   f->rate_fixed ? "switchover" : "measured", rate, f->limit_ms);
    used = strlen(buf);
    if (used + 1 >= len)
        return;
    switch (f->outcome) {
    case CV_FORECAST_NOW:
        g_snprintf(buf + used, len - used,
                   ": at or below it, QEMU switches over at its next check");
        break;
    case CV_FORECAST_CONVERGES:
        cv_policy_format_duration(f->eta_ms, eta, sizeof(eta));
        g_snprintf(buf + used, len - used,
                   ": converges by itself in about %" G_GUINT64_FORMAT " %s/%s, %s patience %s",
                   f->iterations, f->iterations == 1 ? "iteration" : "iterations", eta,
                   f->within_patience ? "within" : "not within", patience);
        break;
    case CV_FORECAST_NEVER:
        if (f->outpaced) {
            gchar dirty[32], transfer[32];

            cv_format_rate(f->dirty_rate, dirty, sizeof(dirty));
            cv_format_rate(f->transfer_rate, transfer, sizeof(transfer));
            g_snprintf(buf + used, len - used,
                       ": never at %" G_GUINT64_FORMAT
                       " ms, the guest dirties x%.2f of what is sent (median; dirty rate %s, "
                       "transfer %s)",
                       f->limit_ms, f->dirty_share, dirty, transfer);
        } else {
            g_snprintf(buf + used, len - used, ": never at %" G_GUINT64_FORMAT " ms", f->limit_ms);
        }
        break;
    case CV_FORECAST_NONE:
    default:
        break;
    }
}
