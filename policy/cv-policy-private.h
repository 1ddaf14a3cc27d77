/* Internals of the decision engine, shared by cv-policy-*.c. Not installed, not used outside
 * policy/ except by tests. */
#pragma once

#include <glib.h>

#include "cv-policy.h"

G_BEGIN_DECLS

/* downtime-limit granularity: every limit the engine proposes is a multiple of this (rounded
 * up), so reasons and logs read "2110 ms", not "2101 ms", and tiny estimate jitter between
 * iterations does not produce a new value every pass. */
#define CV_POLICY_LIMIT_STEP_MS 10
/* The ladder (QEMU < 11.1 with VFIO): each step at least doubles the limit and adds at least
 * this much. */
#define CV_POLICY_LADDER_MIN_STEP_MS 100

/* The stall judgement, made on iteration boundaries only. */
typedef struct {
    gboolean judged;  /* FALSE: the window is not filled yet (or no boundary at all) */
    gboolean stalled; /* by_pending || by_rate */
    gboolean by_pending;
    gboolean by_rate;
    guint n_boundaries;
    /* the newest boundary: the pending the engine reasons with */
    gsize newest_index;
    guint64 newest_pass;
    gint64 newest_time_ms;
    guint64 pending;
    /* the lowest boundary pending older than the window, and where it was seen */
    guint64 reference;
    guint64 reference_pass;
    gint64 reference_time_ms;
    gdouble progress; /* (reference - pending) / reference; negative when pending rose */
    /* rates at the newest boundary, for the reason when by_rate */
    guint64 dirty_rate;
    guint64 throughput;
} CvStall;

/* Judge the stall over @samples. Only boundaries with dirty-sync-count > @after_pass count
 * (0: all), which gives a fresh window after a change when the caller asks for one. */
void cv_policy_judge_stall(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                           guint64 after_pass, CvStall *stall);
/* "pending 1.91 GiB flat vs 1.91 GiB 12 iterations/10.0 s earlier (min progress 4%)" */
void cv_policy_describe_stall(const CvPolicy *policy, const CvStall *stall, gchar *buf, gsize len);

/* Reason building: append to d->reason, truncating at CV_DECISION_REASON_MAX. */
void cv_policy_reason_append(CvDecision *decision, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

/* ceil(needed x (1 + margin)), rounded up to CV_POLICY_LIMIT_STEP_MS, at most QEMU's range. */
guint64 cv_policy_limit_for(guint64 needed_ms, gdouble margin);

/* A non-negative double (ms or bytes) as an integer: rounded up, saturated at G_MAXUINT64,
 * NaN and negatives as 0. The one way the engine turns a computed double into an integer,
 * so no float-to-int conversion can overflow. */
guint64 cv_policy_u64_ceil(gdouble x);
/* a x b / c rounded down (@round_up FALSE) or up, saturated at G_MAXUINT64; c > 0. Exact in
 * integers when a x b fits 64 bits. */
guint64 cv_policy_mul_div(guint64 a, guint64 b, guint64 c, gboolean round_up);

/* The highest downtime-limit the policy allows with these parameters: the rule stated above
 * cv_policy_decide() in cv-policy.h. */
typedef struct {
    guint64 cap;     /* policy->max_downtime_ms */
    guint64 reserve; /* policy->switchover_reserve_ms, below cap */
    guint64 room;    /* cap - reserve: the highest limit without the over-cap rule */
    guint64 ceiling; /* >= room */
    /* TRUE: the over-cap conditions hold; ceiling = room x stated / max_bandwidth (which
     * equals room when max_bandwidth == stated) and the blackout is predicted from
     * max_bandwidth */
    gboolean over_cap;
    guint64 stated;        /* policy->switchover_bandwidth; 0 = not stated */
    guint64 max_bandwidth; /* params->max_bandwidth when valid, else 0 */
    /* !over_cap: why the ceiling is room, e.g. "no link rate stated"; NULL when over_cap */
    const gchar *held;
    /* !over_cap because of max-bandwidth (stated rate, QEMU < 8.2, no VFIO) */
    gboolean held_by_max_bandwidth;
} CvPolicyCeiling;

/* @vfio_ladder: QEMU < 11.1 with a VFIO device, where the limit never goes above the cap. */
void cv_policy_ceiling_init(CvPolicyCeiling *ceiling, const CvPolicy *policy,
                            const CvParams *params, gboolean vfio_ladder);
/* The blackout a downtime-limit of @limit_ms lets QEMU take, at most. */
guint64 cv_policy_predict_blackout(const CvPolicyCeiling *ceiling, guint64 limit_ms);
/* "max-bandwidth 64.00 MiB/s, unlimited (0), invalid or unlimited" for reasons */
void cv_policy_describe_max_bandwidth(const CvParams *params, gchar *buf, gsize len);

/* What the migration looks like to the downtime rules. */
typedef struct {
    const CvSample *newest;
    gboolean system_wide;     /* QEMU sent a valid top-level remaining (11.1+) */
    gboolean vfio;            /* a VFIO device is known (sample or params) */
    guint64 knob_rate;        /* bytes/s QEMU's switchover rule uses; 0 = unknown */
    gboolean knob_rate_fixed; /* knob_rate is avail-switchover-bandwidth, not measured */
    guint64 measured_rate;    /* mbps as bytes/s; 0 = unknown */
    gboolean supports_switchover_bandwidth;
    CvTri postcopy_ram;
    guint64 current_limit; /* downtime-limit now */
    gboolean current_limit_known;
    CvPolicyCeiling ceiling; /* from the policy and the parameters passed in */
} CvPolicyView;

void cv_policy_view_init(CvPolicyView *view, const CvPolicy *policy, const CvSample *newest,
                         const CvParams *params);

/* The convergence forecast (cv-policy-forecast.c), made at iteration boundaries only. */
typedef enum {
    CV_FORECAST_NONE = 0,  /* no forecast (see why): the stall window decides */
    CV_FORECAST_NOW,       /* pending at or below QEMU's threshold: it switches over by itself */
    CV_FORECAST_CONVERGES, /* pending shrinks: at the threshold in about `iterations` */
    CV_FORECAST_NEVER,     /* pending does not shrink: never at this limit */
} CvForecastOutcome;

/* Evidence: at least this many usable boundaries, spanning at least this much sample time (one
 * of QEMU's dirty-rate periods, so one noisy reading or a burst of passes a few ms apart never
 * decides), the factor taken over the newest CV_POLICY_FORECAST_RATIOS ratios (more when those
 * span less than the minimum time). */
#define CV_POLICY_FORECAST_MIN_BOUNDARIES 3
#define CV_POLICY_FORECAST_MIN_SPAN_MS 1000
#define CV_POLICY_FORECAST_RATIOS 3
/* A mid-iteration reading may read low by what one iteration sends; below this share of pending
 * that is noise and the reading counts as a boundary (RAM drained, passes a few ms long). */
#define CV_POLICY_FORECAST_SAWTOOTH_SHARE 0.01
/* The dirty rate counts as keeping up with the transfer rate from this far below it: QEMU
 * measures them over different periods, and equal rates read a few per cent apart (real QEMU
 * 7.2, 64 MiB kept dirty at 64 MiB/s: 0.94 to 1.07). Pending then shrinks by at most this share
 * per iteration, too slowly to trust over the noise of a few readings. */
#define CV_POLICY_FORECAST_DIRTY_TOLERANCE 0.05

typedef struct {
    CvForecastOutcome outcome;
    gboolean gathering; /* NONE: evidence still being gathered (vs. not possible at all) */
    gchar why[112];     /* NONE: why, for the reason */
    guint n_boundaries; /* usable boundaries the forecast rests on */
    guint n_mid;        /* mid-iteration readings left out (sawtooth not negligible) */
    gint64 span_ms;     /* sample time between the oldest and the newest of them */
    gsize newest_index;
    guint64 newest_pass;
    gint64 newest_time_ms;
    guint64 pending;      /* at the newest usable boundary */
    gdouble factor;       /* median per-iteration factor of pending */
    gdouble iteration_ms; /* median iteration duration */
    guint64 rate;         /* bytes/s QEMU's switchover rule uses */
    gboolean rate_fixed;  /* rate is avail-switchover-bandwidth, not the measured one */
    guint64 limit_ms;
    guint64 threshold; /* rate x limit: QEMU switches over once pending is at or below it */
    guint64 iterations;
    gdouble eta_ms;
    gboolean within_patience; /* NOW, or CONVERGES within policy->patience_ms */
    gboolean outpaced;        /* NEVER because the guest dirties about what is sent */
    gdouble dirty_share;      /* outpaced: median dirty rate / transfer rate over the span */
    gboolean from_rates;      /* outpaced on mid-iteration readings: no factor, pending a bound */
    guint64 dirty_rate;       /* outpaced: at the newest boundary */
    guint64 transfer_rate;    /* outpaced: at the newest boundary */
} CvForecast;

/* Forecast from @samples at the current limit of @view. policy->patience_ms == 0 gives NONE. */
void cv_policy_forecast(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                        const CvPolicyView *view, CvForecast *forecast);
/* "pending 64.00 MiB x1.00 per iteration over 4 boundaries/2.1 s (iteration 0.70 s), threshold
 * 19.20 MiB (measured 64.00 MiB/s x 300 ms): never at 300 ms"; NONE: "no forecast: <why>" */
void cv_policy_describe_forecast(const CvPolicy *policy, const CvForecast *forecast, gchar *buf,
                                 gsize len);
/* "2 min", "95 s", "1.4 s", "3 ms" */
void cv_policy_format_duration(gdouble ms, gchar *buf, gsize len);

/* Is the current downtime-limit the one we set last? */
gboolean cv_policy_limit_is_ours(const CvPolicyView *view, const CvPolicyHistory *history);
/* Before 11.1 expected-downtime is refreshed only while QEMU measures a dirty rate: a value
 * equal to the current limit with no dirty rate is the limit QEMU started from, not an
 * estimate. */
gboolean cv_policy_expected_is_stale(const CvPolicyView *view);

/* The over-cap rule, re-checked at every evaluation: when our own limit is above the ceiling
 * of the current parameters, fills @d with the lowering and returns TRUE. */
gboolean cv_policy_enforce_ceiling(const CvPolicy *policy, const CvPolicyView *view,
                                   const CvParams *params, const CvPolicyHistory *history,
                                   CvDecision *d);

/* The downtime rules on a stall: fills @d (kind, value, needed, predicted, source, reason
 * tail). Returns TRUE when the needed limit is above what the policy allows, so the caller
 * must escalate (@d may already hold a raise to the ceiling). @forecast: the stall came from a
 * forecast (NULL: from the window); the limit then also covers pending at the newest boundary
 * over QEMU's rate, and a raise to a ceiling that cannot converge it waits for the patience. */
gboolean cv_policy_decide_downtime(const CvPolicy *policy, const CvPolicyView *view,
                                   const CvStall *stall, const CvForecast *forecast,
                                   const CvPolicyHistory *history, CvDecision *d);

/* The escalation walk, history driven. @forced_last: a completion timeout jumps to the last
 * step. Fills kind, escalation_next and the reason tail. */
void cv_policy_escalate(const CvPolicy *policy, const CvPolicyView *view,
                        const CvPolicyHistory *history, gboolean forced_last, CvDecision *d);
/* Has the current escalation step run its bound, with a step after it to take? */
gboolean cv_policy_escalation_due(const CvPolicy *policy, const CvPolicyHistory *history,
                                  gint64 now_ms);
/* Is the completion timeout reached? Appends the reason head when it is. */
gboolean cv_policy_completion_timeout(const CvPolicy *policy, const CvSample *newest,
                                      CvDecision *d);
/* "missing" or "invalid", for reasons that name a field. */
const gchar *cv_policy_field_state_name(CvFieldState state);

G_END_DECLS
