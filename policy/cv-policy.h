/* The pure decision engine: (policy, recent samples, current parameters, history) -> decision.
 * No clock, socket, file or main loop here; time arrives inside the samples. */
#pragma once

#include <glib.h>

#include "cv-decision.h"
#include "cv-params.h"
#include "cv-sample.h"

G_BEGIN_DECLS

typedef enum {
    CV_ESCALATION_WAIT = 0,
    CV_ESCALATION_POSTCOPY,
    CV_ESCALATION_PAUSE,
    CV_ESCALATION_ABORT,
} CvEscalationAction;

#define CV_POLICY_NAME_MAX 64
#define CV_POLICY_MAX_ESCALATION 8

/* What the daemon does when someone else changes a parameter after it did. Not read by the
 * engine: the daemon acts on it (see agent/daemon/cv-daemon.c). YIELD is 0, the default. */
typedef enum {
    CV_OUTSIDE_CHANGE_YIELD = 0,   /* stop tuning that migration, leave the other's value */
    CV_OUTSIDE_CHANGE_KEEP_TUNING, /* log it and keep deciding with the new value */
} CvOutsideChange;

typedef struct {
    CvEscalationAction action;
    /* How long this step is given before the next one is taken (ms); 0 = the policy's
     * wait-time. Ignored for the last step. */
    guint64 bound_ms;
} CvEscalationStep;

typedef struct {
    gchar name[CV_POLICY_NAME_MAX];
    guint64 max_downtime_ms; /* the longest blackout the policy accepts */
    /* The part of the blackout QEMU's switchover threshold does not count (stopping vCPUs,
     * device state QEMU does not report, the final sync): kept out of every limit we set, so
     * limit + reserve <= max_downtime_ms. Always < max_downtime_ms. */
    guint64 switchover_reserve_ms;
    gdouble margin;               /* 0.10 = 10 % above the needed downtime */
    guint64 switchover_bandwidth; /* bytes/s the link can carry at switchover; 0 = off */
    /* switchover-bandwidth = learned: the rate is learned from this host's completed
     * migrations to the destination (cv-policy-learned.h), and agent/ puts it in
     * switchover_bandwidth with cv_policy_apply_learned(). Until it does, switchover_bandwidth
     * stays 0: the engine behaves as `off` and its reason says why. */
    gboolean switchover_learned;
    guint64 switchover_learned_max; /* `learned, at most RATE`, bytes/s; 0 = no bound */
    /* How long a migration may take to converge by itself before the engine accepts a longer
     * pause (ms): a forecast that it converges within this is left alone, one that it does not
     * (or never at the current limit) is acted on. 0 = no forecast: stalls are judged by the
     * stall window alone. See cv-policy-forecast.c. */
    guint64 patience_ms;
    guint stall_window_passes;  /* 0 = not judged on passes */
    guint64 stall_window_ms;    /* 0 = not judged on time */
    gdouble stall_min_progress; /* 0.04 = pending must fall 4 % per window */
    CvEscalationStep escalation[CV_POLICY_MAX_ESCALATION];
    guint n_escalation;
    guint64 wait_time_ms;                  /* default bound of each escalation step */
    guint64 completion_timeout_ms;         /* absolute; 0 = none */
    guint64 completion_timeout_ms_per_gib; /* per GiB of guest RAM; 0 = none */
    CvOutsideChange on_outside_change;     /* the daemon's, not the engine's */
} CvPolicy;

/* The built-in defaults, the same values data/virt-converged.conf documents. */
void cv_policy_init_default(CvPolicy *policy);
/* The switchover reserve the engine uses: policy->switchover_reserve_ms when below the cap,
 * else a tenth of the cap (the config loader refuses such a policy; a domain's metadata
 * override can still produce one, and the resolution says so). */
guint64 cv_policy_reserve(const CvPolicy *policy);
const gchar *cv_escalation_action_to_string(CvEscalationAction action);
gboolean cv_escalation_action_from_string(const gchar *str, CvEscalationAction *action);

/* What the tuner has done so far in this migration; the engine reads it, the tuner updates it
 * with cv_policy_history_record() after applying a decision. Plain data, no pointers: the
 * tuner copies it, and starts a new epoch with cv_policy_history_new_epoch().
 *
 * The our_* fields say which parameter values are the engine's own: the last value of each
 * that we set. A parameter that reads differently was set by someone else (an operator,
 * libvirt, a management layer): the engine never lowers nor overwrites such a value. A value
 * that still reads as ours may be lowered when a bound requires it (see the over-cap rule
 * above cv_policy_decide()). */
typedef struct {
    guint64 original_downtime_limit_ms; /* as found at attach time; 0 = unknown */
    gboolean switchover_bandwidth_set;  /* we have set avail-switchover-bandwidth at least once */
    guint64 our_downtime_limit_ms;      /* the downtime-limit we set last (ms); 0 = none */
    guint64 our_switchover_bandwidth;   /* the avail-switchover-bandwidth we set last; 0 = none */
    guint n_downtime_changes;
    guint64 last_change_pass; /* dirty-sync-count at the last change; 0 = none */
    gint64 last_change_time_ms;
    guint ladder_steps;           /* steps taken on the old-QEMU-with-VFIO ladder */
    guint escalation_index;       /* next escalation step to take; 0 = none taken */
    gint64 escalation_started_ms; /* when the current escalation step began; 0 = not begun */
    gint64 cap_reached_ms;        /* first time the cap was found not enough; 0 = never */
    gboolean postcopy_started;
    gboolean guest_paused;
    gboolean aborted;
} CvPolicyHistory;

void cv_policy_history_init(CvPolicyHistory *history);
/* A new epoch of the same QEMU (dirty-sync-count went backwards: a new migration, a counter
 * reset): everything about the old migration's progress is cleared, but what the history
 * knows about QEMU's parameters stays: the limit found at attach time and the values we set,
 * which persist in QEMU across migrations. With cv_policy_history_init() instead, a limit we
 * set above the cap would read as someone else's and could no longer be lowered by the
 * ceiling. */
void cv_policy_history_new_epoch(CvPolicyHistory *history);
/* Record that @decision was applied successfully when @sample was the newest reading. Call it
 * after every decision, NONE included: a NONE decision may start an escalation WAIT step or
 * mark the time the cap was first found not enough (see CvDecision.escalation_next). */
void cv_policy_history_record(CvPolicyHistory *history, const CvDecision *decision,
                              const CvSample *sample);

/* The cap and the over-cap rule (the engine's side; the actuator in agent/ checks the same
 * rule on its own from the policy and freshly read parameters, and both must agree before a
 * limit goes out):
 *
 *   cap = policy->max_downtime_ms, the longest blackout the policy accepts;
 *   reserve = policy->switchover_reserve_ms, the blackout QEMU's threshold does not count;
 *   room = cap - reserve, the most a limit may stand for.
 *
 *   A downtime-limit above room is allowed only when ALL of these hold:
 *     1. the policy states the link rate: stated = policy->switchover_bandwidth > 0;
 *     2. QEMU cannot take avail-switchover-bandwidth
 *        (cv_params_supports_switchover_bandwidth() is FALSE, i.e. < 8.2) and none is in
 *        force (avail_switchover_bandwidth not valid and > 0);
 *     3. params->max_bandwidth is valid, non-zero and <= stated. libvirt's "unlimited" (and
 *        anything above the stated rate, or a value that does not parse) allows no over-cap.
 *     4. no VFIO device is known before QEMU 11.1 (the ladder: the device's stop-copy state is
 *        not bounded by max-bandwidth, so the ladder never goes above room).
 *   Then
 *     ceiling = room x stated / max_bandwidth, rounded DOWN to the 10 ms step
 *               (CV_POLICY_LIMIT_STEP_MS), at least room, at most QEMU's 2,000,000 ms
 *               (CV_SAMPLE_MAX_MS);
 *     predicted blackout of a limit L = ceil(L x max_bandwidth / stated) + reserve.
 *   Why: QEMU 7.2 switches over once pending <= measured rate x limit, with the rate it
 *   measures at that moment; the only bound on that rate that holds for the rest of the
 *   migration is max-bandwidth, and the final copy runs at the link's (stated) rate.
 *   Otherwise ceiling = room, and the predicted blackout of a limit L is L + reserve.
 *
 *   The rule is re-checked at every evaluation in precopy, against the parameters passed in:
 *   when the current downtime-limit is ours (history->our_downtime_limit_ms) and above the
 *   ceiling (someone raised max-bandwidth, the policy changed), the decision is at once a
 *   SET_DOWNTIME_LIMIT to the ceiling, lower than the current value, whose reason gives the
 *   numbers. A limit someone else set is never lowered. Every SET_DOWNTIME_LIMIT reports
 *   both numbers: the limit (value) and its predicted blackout (predicted_blackout_ms).
 *
 * @samples are the recent readings, oldest first, the newest last (n_samples >= 1). */
CvDecision cv_policy_decide(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                            const CvParams *current, const CvPolicyHistory *history);

G_END_DECLS
