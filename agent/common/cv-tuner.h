/* CvTuner: one per migration. It watches the migration through a CvTarget, runs the policy
 * engine at iteration boundaries, applies its decisions, remembers every change it made and
 * restores them when the migration fails, is cancelled or is given up.
 *
 * Others may change the same parameters while it watches (an operator's `virsh
 * migrate-setmaxdowntime`, libvirt, another tool). The tuner re-reads the parameters before
 * every change it applies (and decides again when they moved), refreshes them at a low rate
 * while watching (an outside change is judged at once), and before restoring: a value someone
 * else set after us is left alone, and one it cannot re-read is left alone too (unverified).
 *
 * A limit above the policy's cap goes out only when the actuator's own check, from the policy
 * and the parameters just re-read, agrees with the engine's. A migration that completes above
 * the cap anyway ends CAP_BROKEN. A command that times out is retried, then the connection is
 * re-opened (the target's connect after close); only a closed socket or repeated failures mean
 * QEMU is gone, and the restore is still tried on a new connection. A pass counter that goes
 * back starts a new epoch (the readings and the engine's history of the old migration go).
 *
 * The parts: cv-sampler (reading), cv-sample-history (boundaries), cv-actuator (changing),
 * cv-restore-ledger (undoing), cv-reconnector, cv-tuner-report (records, summary, exit codes);
 * this object is the phase machine between them. */
#pragma once

#include <glib.h>

#include "cv-clock.h"
#include "cv-decision.h"
#include "cv-params.h"
#include "cv-policy.h"
#include "cv-sample.h"
#include "cv-target.h"

G_BEGIN_DECLS

/* How a tuning session ended. The values are also the documented exit codes of
 * `virt-converge tune` and `simulate` (cv_tuner_outcome_to_exit_code). */
typedef enum {
    CV_TUNER_OUTCOME_RUNNING = 0, /* not finished yet */
    CV_TUNER_OUTCOME_COMPLETED,   /* exit 0 */
    CV_TUNER_OUTCOME_ERROR,       /* exit 1: could not attach, or an internal error */
    CV_TUNER_OUTCOME_FAILED,      /* exit 2: QEMU status failed; changes restored */
    CV_TUNER_OUTCOME_CANCELLED,   /* exit 3: cancelled by someone else; changes restored */
    CV_TUNER_OUTCOME_ABORTED,     /* exit 4: the policy's last step aborted it; restored */
    /* exit 5: QEMU went away: the socket closed and no new connection could be made, or it
     * stopped answering on new connections too; the restore is tried on a new connection */
    CV_TUNER_OUTCOME_VANISHED,
    CV_TUNER_OUTCOME_DETACHED,     /* exit 6: stopped watching a running migration */
    CV_TUNER_OUTCOME_NO_MIGRATION, /* exit 7: nothing to tune */
    /* exit 8: the migration completed, but the guest was paused longer than the policy's cap
     * (QEMU's achieved `downtime` above max-downtime). It must never happen; when it does, the
     * summary gives both numbers and the tuner logs a warning. */
    CV_TUNER_OUTCOME_CAP_BROKEN,
} CvTunerOutcome;

const gchar *cv_tuner_outcome_to_string(CvTunerOutcome outcome);
gint cv_tuner_outcome_to_exit_code(CvTunerOutcome outcome);

typedef struct {
    CvPolicy policy;
    gboolean dry_run;     /* decide and report, change nothing */
    gboolean keep;        /* on detach, leave our changes in place */
    guint max_iterations; /* detach after this many evaluated iterations; 0 = never */
    guint64 timeout_ms;   /* detach after this much clock time; 0 = never */
    /* Give up (NO_MIGRATION) when no migration has started after this much clock time; 0 =
     * wait for ever. */
    guint64 start_timeout_ms;
    guint64 poll_interval_ms; /* query period without (and besides) events; default 1000 */
    /* At most one evaluation per this much clock time, however fast QEMU iterates. */
    guint64 min_eval_interval_ms;
    /* Without a new iteration, still evaluate (and print) this often; 0 = only at boundaries.*/
    guint64 idle_eval_interval_ms;
    /* Start an outgoing migration to this URI once attached (simulate); NULL = just watch. */
    const gchar *start_uri;
    /* Re-read the migration parameters this often while watching, to see changes made by
     * others when the tuner has nothing to change; 0 = only before changes and restores. */
    guint64 params_refresh_ms;
} CvTunerOptions;

void cv_tuner_options_init(CvTunerOptions *options);

typedef enum {
    CV_TUNER_RESULT_APPLIED = 0,
    CV_TUNER_RESULT_DRY_RUN, /* would have been applied */
    CV_TUNER_RESULT_REFUSED, /* the actuator would not do it (cap, unsupported, no original) */
    CV_TUNER_RESULT_FAILED,  /* QEMU said no */
    /* A restore not done: someone else changed the parameter after the tuner did, and their
     * value stays (error says what was found). */
    CV_TUNER_RESULT_LEFT_ALONE,
    /* A restore not done: the parameter could not be re-read first, so whoever holds it now,
     * it stays ("left-alone (unverified)"; error says why and what the tuner last knew). */
    CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED,
    /* A change not sent now: the gate (cv_tuner_set_gate_func) held it (a shared link busy with
     * another migration's switchover); the engine decides again at the next evaluation. */
    CV_TUNER_RESULT_HELD,
} CvTunerResult;

const gchar *cv_tuner_result_to_string(CvTunerResult result);

#define CV_TUNER_MESSAGE_MAX 256

/* One change the tuner made, tried or would have made (and each restore). */
typedef struct {
    CvDecisionKind kind;
    guint64 value;
    CvU64Field previous; /* the value before (ABSENT when not a parameter or unknown) */
    CvTunerResult result;
    CvU64Field pass; /* dirty-sync-count when decided */
    gint64 time_ms;  /* clock time since attach */
    guint64 predicted_blackout_ms;
    gchar reason[CV_DECISION_REASON_MAX];
    gchar error[CV_TUNER_MESSAGE_MAX]; /* FAILED / REFUSED: why */
    /* In the summary, identical consecutive actions (a dry run repeats its decision every
     * iteration) are folded into one entry: how many, and the last one's pass and time. */
    guint repeats;
    CvU64Field last_pass;
    gint64 last_time_ms;
} CvTunerAction;

#define CV_TUNER_MAX_ACTIONS 64

typedef struct {
    CvTunerOutcome outcome;
    CvMigrationStatus final_status;
    gboolean dry_run;
    gchar policy[CV_POLICY_NAME_MAX];
    guint64 max_downtime_ms;
    gint64 elapsed_ms;            /* clock time from attach to the end */
    CvU64Field total_time_ms;     /* QEMU's total-time at the end */
    CvU64Field downtime_ms;       /* QEMU's achieved downtime (completed) */
    CvU64Field passes;            /* the last dirty-sync-count */
    CvU64Field downtime_limit_ms; /* the limit in force at the end, as the tuner knows it */
    /* Lower bound of the downtime: the system-wide remaining just before switchover divided
     * by the policy's switchover bandwidth. ABSENT = unknown (no system-wide remaining, or no
     * stated link rate). */
    CvU64Field lower_bound_ms;
    guint64 lower_bound_bytes;
    guint64 lower_bound_rate;
    /* How the needed downtime was estimated (the first non-NONE source the engine used), and
     * what this QEMU offered. */
    CvEstimateSource estimate;
    CvTri system_wide_remaining;
    CvTri switchover_bandwidth;
    guint n_evaluations;
    guint n_changes;         /* applied changes */
    guint n_actions;         /* every action decided, folded or not */
    guint n_action_entries;  /* entries used in actions[] */
    guint n_actions_dropped; /* actions that found no room in actions[] */
    CvTunerAction actions[CV_TUNER_MAX_ACTIONS];
    guint n_restores;
    guint n_restore_failures;
    guint n_restores_left_alone; /* restores[] entries with CV_TUNER_RESULT_LEFT_ALONE */
    CvTunerAction restores[4];
    gboolean restore_skipped;            /* QEMU was gone, or --keep */
    gchar message[CV_TUNER_MESSAGE_MAX]; /* why it ended, one line */
    guint n_restores_unverified; /* restores[] entries with CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED */
    /* Completed with downtime_ms above max_downtime_ms (outcome CAP_BROKEN). */
    gboolean cap_broken;
    guint n_epochs;     /* times the pass counter went back (a new migration on the same QEMU) */
    guint n_reconnects; /* connections re-opened after timeouts or a closed socket */
    /* What the blackout carried, for switchover-bandwidth = learned: RAM's downtime-bytes plus,
     * with a VFIO device, its stop-copy size at the last precopy reading (11.1+). ABSENT when no
     * trustworthy count exists; blackout_note says which source, or why none. */
    CvU64Field blackout_bytes;
    CvU64Field blackout_ram_bytes;
    CvU64Field blackout_device_bytes;
    gchar blackout_note[320];
    /* Without a blackout count (libvirt's job statistics carry no downtime-bytes): RAM's bytes
     * sent in a job window that holds the whole blackout, and the window's ms
     * (cv_learned_job_window); ABSENT unless usable. blackout_note names the source. */
    CvU64Field window_bytes;
    CvU64Field window_ms;
    CvU64Field final_rate; /* QEMU's mbps at the last reading, in bytes/s */
} CvTunerSummary;

typedef enum {
    CV_TUNER_RECORD_ATTACH = 0, /* connected; params and what this QEMU offers */
    /* One-off facts: migration started, which fallback is used, a parameter someone else
     * changed (then parameter, before and after are set). */
    CV_TUNER_RECORD_NOTICE,
    CV_TUNER_RECORD_SAMPLE,  /* an evaluated iteration: sample + decision */
    CV_TUNER_RECORD_ACTION,  /* a change applied, refused, failed or skipped (dry run) */
    CV_TUNER_RECORD_RESTORE, /* a change undone, or the failure to undo it */
    CV_TUNER_RECORD_SUMMARY, /* the end; nothing follows */
} CvTunerRecordKind;

typedef struct {
    CvTunerRecordKind kind;
    gint64 time_ms; /* clock time since attach */
    const gchar *target;
    const gchar *version;
    gboolean events;
    const gchar *message;          /* ATTACH (events note), NOTICE */
    const CvParams *params;        /* ATTACH, SAMPLE */
    const CvSample *sample;        /* SAMPLE */
    const CvDecision *decision;    /* SAMPLE */
    const CvTunerAction *action;   /* ACTION, RESTORE */
    const CvTunerSummary *summary; /* SUMMARY */
    const CvPolicy *policy;        /* ATTACH */
    gboolean dry_run;              /* ATTACH */
    const gchar *parameter;        /* NOTICE of an outside change: "downtime-limit", ... */
    const CvU64Field *before;      /* ... what the tuner believed */
    const CvU64Field *after;       /* ... what QEMU holds now */
} CvTunerRecord;

typedef struct _CvTuner CvTuner;

typedef void (*CvTunerRecordFunc)(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data);

/* @target and @clock are borrowed and must outlive the tuner: free the tuner first, then the
 * target, without iterating the main context in between (freeing the target drops the
 * callbacks of operations the tuner still had in flight). */
CvTuner *cv_tuner_new(CvTarget *target, CvClock *clock, const CvTunerOptions *options);
void cv_tuner_free(CvTuner *tuner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvTuner, cv_tuner_free)

void cv_tuner_set_record_func(CvTuner *tuner, CvTunerRecordFunc func, gpointer user_data);
/* Connect the target if needed, read the parameters, and watch. */
void cv_tuner_start(CvTuner *tuner);
/* Stop watching (SIGINT, --max-passes, --timeout): restore unless keep, end as DETACHED
 * (or whatever the migration had already reached). */
void cv_tuner_detach(CvTuner *tuner);

/* ---- for a daemon: a gate before each change, watch-only, adoption, a new policy ----------- */

/* A change about to go out: the decision, and the parameters as just re-read (@current) and as
 * they were before our first change of each (@original, what a restore goes back to). */
typedef struct {
    const CvDecision *decision;
    const CvParams *current;
    const CvParams *original;
} CvTunerChange;

typedef enum {
    CV_TUNER_GATE_PROCEED = 0,
    /* Not now: reported as an ACTION with result HELD and @why; nothing is sent and the engine
     * decides again at the next evaluation (with the readings of then). */
    CV_TUNER_GATE_HOLD,
    /* Not this one: reported as REFUSED with @why (e.g. the crash-safe record of the change could
     * not be written, so the change could not be undone after a crash). */
    CV_TUNER_GATE_REFUSE,
} CvTunerGate;

/* Called for every change the actuator is about to send (after its own cap check, never in a
 * dry run, never for a restore), before the command leaves: what the gate writes down then is
 * on disk before QEMU holds the value, so no crash leaves our value looking like someone
 * else's. Runs on the tuner's context; must not free the tuner. */
typedef CvTunerGate (*CvTunerGateFunc)(CvTuner *tuner, const CvTunerChange *change, gchar *why,
                                       gsize why_len, gpointer user_data);
void cv_tuner_set_gate_func(CvTuner *tuner, CvTunerGateFunc func, gpointer user_data);

/* Watch only (@watch_only TRUE): keep reading, deciding and reporting, but send no change,
 * except lowering a downtime-limit that is still ours when a bound requires it (a new cap, a
 * max-bandwidth raised under our over-cap limit). What is ours is still restored when the
 * migration fails. For a daemon that yields after someone else changed a parameter. @reason
 * goes in a NOTICE. FALSE: tune again. */
void cv_tuner_set_watch_only(CvTuner *tuner, gboolean watch_only, const gchar *reason);
gboolean cv_tuner_is_watch_only(const CvTuner *tuner);

/* What an earlier tuner of the same migration changed (a daemon's crash-safe record, after a
 * restart): the value found before its first change (ABSENT: unknown, never restored) and
 * every value it set, oldest first. */
typedef struct {
    CvU64Field original;
    const guint64 *ours;
    guint n_ours;
} CvTunerAdoptedParam;

typedef struct {
    CvTunerAdoptedParam downtime_limit;             /* ms */
    CvTunerAdoptedParam avail_switchover_bandwidth; /* bytes/s */
} CvTunerAdoption;

/* Before cv_tuner_start(): take over a migration an earlier tuner changed. At attach, a
 * parameter with values of ours gets its original from @adoption instead of from the reading;
 * the value QEMU holds is ours when it is one of them (the engine may lower it, a restore
 * undoes it), else someone else's (left alone). Copied. */
void cv_tuner_adopt(CvTuner *tuner, const CvTunerAdoption *adoption);

/* A new version of the policy (a daemon's reload changed it): the engine, the actuator's cap
 * check and the summary use it from now on, and the newest boundary is judged again at once
 * (a lower cap lowers our own limit without waiting for the next iteration). */
void cv_tuner_set_policy(CvTuner *tuner, const CvPolicy *policy);
const CvPolicy *cv_tuner_get_policy(const CvTuner *tuner);

gboolean cv_tuner_is_finished(const CvTuner *tuner);
const CvTunerSummary *cv_tuner_get_summary(const CvTuner *tuner);
/* Queries sent so far (tests check the coalescing). */
guint cv_tuner_get_n_queries(const CvTuner *tuner);
/* Parameter reads sent so far, the one at attach included. */
guint cv_tuner_get_n_params_queries(const CvTuner *tuner);
/* Samples kept for the engine right now (bounded). */
guint cv_tuner_get_n_history(const CvTuner *tuner);

G_END_DECLS
