/* CvTunerReport: what a tuning session tells the world. Records as they happen (stamped with
 * the time since attach), and one summary at the end: the actions folded, the restores, the
 * achieved downtime against the cap, the outcome and its exit code.
 *
 * The cap is a promise about the pause the guest gets: a migration that completes with QEMU's
 * achieved downtime above max-downtime ends as CAP_BROKEN (its own exit code) with a warning,
 * however it got there (our limit, someone else's, or a dry run that changed nothing). */
#pragma once

#include <glib.h>

#include "cv-clock.h"
#include "cv-policy-learned.h"
#include "cv-target.h"
#include "cv-tuner.h"

G_BEGIN_DECLS

typedef struct _CvTunerReport CvTunerReport;

/* @tuner is what the record func gets; @target and @clock are borrowed. */
CvTunerReport *cv_tuner_report_new(CvTuner *tuner, CvTarget *target, CvClock *clock,
                                   const CvPolicy *policy, gboolean dry_run);
void cv_tuner_report_free(CvTunerReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvTunerReport, cv_tuner_report_free)

/* A new version of the policy: the summary's cap and the lower bound's rate follow it. */
void cv_tuner_report_set_policy(CvTunerReport *report, const CvPolicy *policy);
void cv_tuner_report_set_record_func(CvTunerReport *report, CvTunerRecordFunc func,
                                     gpointer user_data);
/* Times are counted from now on. */
void cv_tuner_report_start(CvTunerReport *report);
gint64 cv_tuner_report_elapsed_ms(CvTunerReport *report);

/* Stamp (time, target, version, events) and deliver @record. */
void cv_tuner_report_emit(CvTunerReport *report, CvTunerRecord *record);
/* A one-off fact, as a NOTICE record. Not logged: the record is the channel (the CLI prints
 * it, a daemon journals it). */
void cv_tuner_report_notice(CvTunerReport *report, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
/* A change applied, refused, failed or proposed (dry run): stamped, folded into the summary,
 * logged at info, delivered. */
void cv_tuner_report_action(CvTunerReport *report, CvTunerAction *action);
/* A restore settled: stamped, counted, delivered. */
void cv_tuner_report_restore(CvTunerReport *report, CvTunerAction *restore);

/* Which pending QEMU reports (system-wide or RAM only), said once when first seen, and kept for
 * the summary. */
void cv_tuner_report_pending_source(CvTunerReport *report, const CvSample *sample);
/* Whether this QEMU takes avail-switchover-bandwidth, and the fallback when it does not. */
void cv_tuner_report_switchover_support(CvTunerReport *report, const CvParams *params);
/* Attached: the ATTACH record (@params, @policy, the target's events note), the
 * switchover-bandwidth fallback, and a notice when the target polls (every @poll_interval_ms)
 * for want of migration events. */
void cv_tuner_report_attach(CvTunerReport *report, const CvParams *params, const CvPolicy *policy,
                            guint64 poll_interval_ms);
/* A reading of the migration the tuner follows (in progress or final): the last one and the
 * system-wide remaining last seen in precopy (the stop-copy bytes, for the lower bound) are kept
 * for the end; the first active one says which pending QEMU reports. */
void cv_tuner_report_observe(CvTunerReport *report, const CvSample *sample);
/* The last reading observed; NULL before the first. */
const CvSample *cv_tuner_report_get_last(CvTunerReport *report);
/* The pass counter went back from @before to @now's: counted in the summary, said in a NOTICE
 * (epoch @epoch starts). */
void cv_tuner_report_new_epoch(CvTunerReport *report, const CvU64Field *before, const CvSample *now,
                               guint epoch);
/* Someone else changed @parameter from @before to @after: a NOTICE record with both values. */
void cv_tuner_report_outside_change(CvTunerReport *report, const gchar *parameter,
                                    const CvU64Field *before, const CvU64Field *after,
                                    const gchar *message);

/* The summary being built; the tuner fills what only it knows (estimate, counts). */
CvTunerSummary *cv_tuner_report_get_summary(CvTunerReport *report);

typedef struct {
    CvTunerOutcome outcome;
    CvU64Field last_boundary_pass; /* the newest boundary's pass, when the last reading has none */
    CvU64Field downtime_limit;     /* the limit in force as the tuner knows it */
    gboolean limit_is_ours;        /* ... and whether it is the one we set last */
} CvTunerReportEnd;

/* Fill the summary at the end, from @end and the readings observed; @format is the one-line
 * message. A completed migration whose achieved downtime is above the cap becomes CAP_BROKEN
 * here. */
void cv_tuner_report_end(CvTunerReport *report, const CvTunerReportEnd *end, const gchar *format,
                         ...) G_GNUC_PRINTF(3, 4);
/* The limit in force after the restores. */
void cv_tuner_report_set_final_limit(CvTunerReport *report, const CvU64Field *limit);
/* Deliver the summary; nothing follows it. */
void cv_tuner_report_emit_summary(CvTunerReport *report);

/* The outcome of a migration whose reading @sample is final (completed, failed, cancelled), and
 * its one-line @message. A cancel is the policy's abort when @aborting (we asked for it). */
CvTunerOutcome cv_tuner_outcome_for_final(const CvSample *sample, gboolean aborting, gchar *message,
                                          gsize message_len);

/* The pure parts, for tests. Fold @action into @summary (identical consecutive actions that
 * were not applied count as repeats of one entry). */
void cv_tuner_summary_add_action(CvTunerSummary *summary, const CvTunerAction *action);
void cv_tuner_summary_add_restore(CvTunerSummary *summary, const CvTunerAction *restore);
/* A completed summary whose achieved downtime is above the cap: mark it CAP_BROKEN, say so in
 * @why (may be NULL). Returns whether it did. */
gboolean cv_tuner_summary_check_cap(CvTunerSummary *summary, gboolean limit_is_ours, gchar *why,
                                    gsize why_len);

/* What a finished migration teaches about its destination's link (cv-policy-learned.h), from
 * @summary, completed at @time_ms (unix ms) under a policy that stated @stated_rate (0: none).
 * FALSE, with the reason in @why (may be NULL), unless it completed (CAP_BROKEN included: its
 * blackout measured the link all the same) with a valid achieved downtime, a trustworthy byte
 * count for the blackout (summary->blackout_note says which, or why there is none) and a
 * blackout above the floor (cv_learned_blackout_measurable()). */
gboolean cv_tuner_summary_observation(const CvTunerSummary *summary, gint64 time_ms,
                                      guint64 stated_rate, CvLearnedObservation *observation,
                                      gchar *why, gsize why_len);

G_END_DECLS
