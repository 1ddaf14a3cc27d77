/* CvActuator: the one part of the tuner that changes a migration.
 *
 * It holds what it believes QEMU's parameters are, and the values found before its first
 * change. Others may change the same parameters (an operator's virsh migrate-setmaxdowntime,
 * libvirt, another tool): every re-read is merged, each difference is a change made by someone
 * else, reported once, and until we change a parameter ourselves its new value is also the one
 * a restore goes back to. A change goes out only after the caller re-read the parameters
 * (cv_actuator_refresh) and decided on them.
 *
 * The cap: before a downtime-limit above max-downtime goes out, the actuator checks on its own,
 * from the policy and the parameters just read, not from the engine's prediction, that the rule
 * of the architecture allows it (cv-actuator-cap.h); the engine computes the same rule
 * separately, and both must agree.
 *
 * Every target operation is cancellable: a reconnect or the actuator's free drops their
 * callbacks (cv_target_forget); a change whose reply was lost stays pending until the
 * parameters read on a new connection say whether it took. */
#pragma once

#include <glib.h>

#include "cv-actuator-cap.h"
#include "cv-decision.h"
#include "cv-policy.h"
#include "cv-restore-ledger.h"
#include "cv-target.h"
#include "cv-tuner.h"

G_BEGIN_DECLS

typedef struct _CvActuator CvActuator;

/* Someone else changed @parameter ("downtime-limit", ...): @before is what we believed, @after
 * what QEMU holds; @message says so in one line. */
typedef void (*CvActuatorOutsideFunc)(CvActuator *actuator, const gchar *parameter,
                                      const CvU64Field *before, const CvU64Field *after,
                                      const gchar *message, gpointer user_data);
/* A re-read is in: @differs when a parameter moved (outside changes were reported first), or
 * @error when it could not be read. */
typedef void (*CvActuatorReadFunc)(CvActuator *actuator, gboolean differs, const GError *error,
                                   gpointer user_data);
/* A change sent by cv_actuator_apply() settled: @action is APPLIED or FAILED, with the decision
 * and the sample it was decided on. @action is NULL while its fate is unknown (@error is a
 * TIMEOUT or CLOSED): the caller reconnects, and cv_actuator_resume() or cv_actuator_abandon()
 * settles it later through this same function. */
typedef void (*CvActuatorDoneFunc)(CvActuator *actuator, CvTunerAction *action,
                                   const CvDecision *decision, const CvSample *sample,
                                   const GError *error, gpointer user_data);

/* @target is borrowed and must outlive the actuator. */
CvActuator *cv_actuator_new(CvTarget *target, const CvPolicy *policy, gboolean dry_run);
void cv_actuator_free(CvActuator *actuator);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvActuator, cv_actuator_free)

void cv_actuator_set_funcs(CvActuator *actuator, CvActuatorOutsideFunc outside_func,
                           CvActuatorDoneFunc done_func, gpointer user_data);

/* Asked before every change cv_actuator_apply() would send (after the cap check, not in a dry
 * run): PROCEED sends it, HOLD settles it as HELD, REFUSE as REFUSED, both with @why. */
typedef CvTunerGate (*CvActuatorGateFunc)(const CvTunerChange *change, gchar *why, gsize why_len,
                                          gpointer user_data);
void cv_actuator_set_gate_func(CvActuator *actuator, CvActuatorGateFunc func, gpointer user_data);

/* A new version of the policy: the cap check uses it from the next change on. */
void cv_actuator_set_policy(CvActuator *actuator, const CvPolicy *policy);

/* After cv_actuator_set_found(): @kind's parameter (SET_DOWNTIME_LIMIT or
 * SET_SWITCHOVER_BANDWIDTH) was changed by an earlier tuner of this migration (@adopted, with
 * at least one value): its original comes from there, and the value found is ours when it is
 * one of @adopted's values. Returns whether QEMU holds one of ours. */
gboolean cv_actuator_adopt(CvActuator *actuator, CvDecisionKind kind,
                           const CvTunerAdoptedParam *adopted);

/* The parameters and capabilities read at attach: what we believe, and what a restore goes back
 * to until we change something. */
void cv_actuator_set_found(CvActuator *actuator, const CvParams *params);
const CvParams *cv_actuator_get_params(const CvActuator *actuator);
const CvParams *cv_actuator_get_original(const CvActuator *actuator);

/* Re-read the parameters (only the parameters) and merge them. At most one read is in flight:
 * a caller that comes while one is out (or while a change is) is answered by that one or the
 * next. @func may be NULL (a periodic refresh). */
void cv_actuator_refresh(CvActuator *actuator, CvActuatorReadFunc func, gpointer user_data);
gboolean cv_actuator_is_reading(const CvActuator *actuator);
/* Reads sent so far. */
guint cv_actuator_get_n_reads(const CvActuator *actuator);
/* Merge parameters read elsewhere (at a reconnect). Returns whether any differed. */
gboolean cv_actuator_merge(CvActuator *actuator, const CvParams *fresh);

/* Apply @d (decided on @s, with the parameters just re-read). Fills @action. Returns TRUE when
 * a command was sent (the done func follows); FALSE when it settled at once: NONE, REFUSED (a
 * g_warning for a refused limit) or DRY_RUN. */
gboolean cv_actuator_apply(CvActuator *actuator, const CvDecision *d, const CvSample *s,
                           CvTunerAction *action);
/* A change is in flight, or its fate is unknown. */
gboolean cv_actuator_is_busy(const CvActuator *actuator);
/* The caller could not re-read the parameters before @d: report it not sent. */
void cv_actuator_fill_not_sent(CvActuator *actuator, const CvDecision *d, const CvSample *s,
                               const GError *error, CvTunerAction *action);

/* The connection is going away under us: drop every callback; a change in flight has an
 * unknown fate from now on. */
void cv_actuator_suspend(CvActuator *actuator);
/* On a new connection, with the parameters read on it: settle the change whose reply was lost
 * (it took when QEMU holds its value), then merge. */
void cv_actuator_resume(CvActuator *actuator, const CvParams *fresh);
/* No new connection: settle the lost change as FAILED with @error. */
void cv_actuator_abandon(CvActuator *actuator, const GError *error);

gboolean cv_actuator_changed_anything(const CvActuator *actuator);
gboolean cv_actuator_paused_guest(const CvActuator *actuator);
/* We asked QEMU to cancel the migration (the policy's abort). */
gboolean cv_actuator_is_aborting(const CvActuator *actuator);
/* Does QEMU hold the downtime-limit we set last? */
gboolean cv_actuator_limit_is_ours(const CvActuator *actuator);
/* Add what is to be undone: the parameters we changed (@params) and the guest we paused
 * (@resume). */
void cv_actuator_fill_ledger(const CvActuator *actuator, CvRestoreLedger *ledger, gboolean params,
                             gboolean resume);
/* A restore settled: the belief follows it. */
void cv_actuator_note_restore(CvActuator *actuator, const CvTunerAction *restore);
/* Undo what @ledger holds (cv_actuator_fill_ledger): the parameters are re-read first when an
 * entry needs them, then the ledger is walked; every settled entry moves the belief
 * (cv_actuator_note_restore) and reaches @entry_func (may be NULL). @done_func gets NULL at the
 * end, or the error of a re-read or a command that timed out or whose connection closed: the
 * caller reconnects and calls this again, and the walk resumes where it stopped. A re-read that
 * fails otherwise leaves the parameter entries unverified. @ledger is borrowed. */
void cv_actuator_restore(CvActuator *actuator, CvRestoreLedger *ledger,
                         CvRestoreLedgerEntryFunc entry_func, CvRestoreLedgerDoneFunc done_func,
                         gpointer user_data);

G_END_DECLS
