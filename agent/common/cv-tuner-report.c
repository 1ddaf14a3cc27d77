#include "config.h"

#include <math.h>
#include <string.h>

#include "cv-tuner-report.h"

struct _CvTunerReport {
    CvTuner *tuner;
    CvTarget *target;
    CvClock *clock;
    CvTunerRecordFunc record_func;
    gpointer record_data;
    gint64 attach_ms;
    guint64 switchover_bandwidth;  /* the policy's stated link rate, for the lower bound */
    guint64 switchover_reserve_ms; /* cv_policy_reserve() of the policy */
    gboolean noticed_pending;
    CvTunerSummary summary;
    /* What the end needs from the readings: the last one, and the system-wide remaining last
     * seen in precopy (the stop-copy bytes at switchover). */
    CvSample last;
    gboolean have_last;
    gboolean have_stopcopy;
    guint64 stopcopy_bytes;
    /* What the learned rate's byte count needs (cv_tuner_summary_observation): the device share
     * of the last precopy reading (system-wide remaining less ram.remaining, 11.1+), the VFIO
     * bytes sent by then, and whether the guest has a VFIO device at all. */
    gboolean have_device_stopcopy;
    guint64 device_stopcopy;
    gboolean have_vfio_precopy;
    guint64 vfio_precopy_transferred;
    gboolean saw_vfio;
    /* The last precopy readings' transferred bytes and elapsed time, oldest first, for the job
     * window when the blackout's bytes are unknown (cv_learned_job_window). */
    CvLearnedJobReading job_readings[CV_LEARNED_JOB_READINGS];
    guint n_job_readings;
};

const gchar *
cv_tuner_outcome_to_string(CvTunerOutcome outcome)
{
    switch (outcome) {
    case CV_TUNER_OUTCOME_RUNNING:
        return "running";
    case CV_TUNER_OUTCOME_COMPLETED:
        return "completed";
    case CV_TUNER_OUTCOME_ERROR:
        return "error";
    case CV_TUNER_OUTCOME_FAILED:
        return "failed";
    case CV_TUNER_OUTCOME_CANCELLED:
        return "cancelled";
    case CV_TUNER_OUTCOME_ABORTED:
        return "aborted";
    case CV_TUNER_OUTCOME_VANISHED:
        return "qemu-gone";
    case CV_TUNER_OUTCOME_DETACHED:
        return "detached";
    case CV_TUNER_OUTCOME_NO_MIGRATION:
        return "no-migration";
    case CV_TUNER_OUTCOME_CAP_BROKEN:
        return "cap-broken";
    default:
        return "unknown";
    }
}

gint
cv_tuner_outcome_to_exit_code(CvTunerOutcome outcome)
{
    switch (outcome) {
    case CV_TUNER_OUTCOME_COMPLETED:
        return 0;
    case CV_TUNER_OUTCOME_RUNNING:
    case CV_TUNER_OUTCOME_ERROR:
        return 1;
    case CV_TUNER_OUTCOME_FAILED:
        return 2;
    case CV_TUNER_OUTCOME_CANCELLED:
        return 3;
    case CV_TUNER_OUTCOME_ABORTED:
        return 4;
    case CV_TUNER_OUTCOME_VANISHED:
        return 5;
    case CV_TUNER_OUTCOME_DETACHED:
        return 6;
    case CV_TUNER_OUTCOME_NO_MIGRATION:
        return 7;
    case CV_TUNER_OUTCOME_CAP_BROKEN:
        return 8;
    default:
        return 1;
    }
}

const gchar *
cv_tuner_result_to_string(CvTunerResult result)
{
    switch (result) {
    case CV_TUNER_RESULT_APPLIED:
        return "applied";
    case CV_TUNER_RESULT_DRY_RUN:
        return "dry-run";
    case CV_TUNER_RESULT_REFUSED:
        return "refused";
    case CV_TUNER_RESULT_FAILED:
        return "failed";
    case CV_TUNER_RESULT_LEFT_ALONE:
        return "left-alone";
    case CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED:
        return "left-alone-unverified";
    case CV_TUNER_RESULT_HELD:
        return "held";
    default:
        return "unknown";
    }
}

CvTunerReport *
cv_tuner_report_new(CvTuner *tuner, CvTarget *target, CvClock *clock, const CvPolicy *policy,
                    gboolean dry_run)
{
    CvTunerReport *report;

    g_return_val_if_fail(target != NULL && clock != NULL && policy != NULL, NULL);
    report = g_new0(CvTunerReport, 1);
    report->tuner = tuner;
    report->target = target;
    report->clock = clock;
    report->summary.dry_run = dry_run;
    cv_tuner_report_set_policy(report, policy);
    report->summary.system_wide_remaining = CV_TRI_UNKNOWN;
    report->summary.switchover_bandwidth = CV_TRI_UNKNOWN;
    return report;
}

void
cv_tuner_report_set_policy(CvTunerReport *report, const CvPolicy *policy)
{
    g_return_if_fail(report != NULL && policy != NULL);
    report->switchover_bandwidth = policy->switchover_bandwidth;
    report->switchover_reserve_ms = cv_policy_reserve(policy);
    g_strlcpy(report->summary.policy, policy->name, sizeof(report->summary.policy));
    report->summary.max_downtime_ms = policy->max_downtime_ms;
}

void
cv_tuner_report_free(CvTunerReport *report)
{
    g_free(report);
}

void
cv_tuner_report_set_record_func(CvTunerReport *report, CvTunerRecordFunc func, gpointer user_data)
{
    g_return_if_fail(report != NULL);
    report->record_func = func;
    report->record_data = user_data;
}

void
cv_tuner_report_start(CvTunerReport *report)
{
    g_return_if_fail(report != NULL);
    report->attach_ms = cv_clock_now_ms(report->clock);
}

gint64
cv_tuner_report_elapsed_ms(CvTunerReport *report)
{
    g_return_val_if_fail(report != NULL, 0);
    return cv_clock_now_ms(report->clock) - report->attach_ms;
}

void
cv_tuner_report_emit(CvTunerReport *report, CvTunerRecord *record)
{
    g_return_if_fail(report != NULL && record != NULL);
    record->time_ms = cv_tuner_report_elapsed_ms(report);
    record->target = cv_target_get_description(report->target);
    record->version = cv_target_get_version(report->target);
    record->events = cv_target_has_events(report->target);
    if (report->record_func != NULL)
        report->record_func(report->tuner, record, report->record_data);
}

void
cv_tuner_report_notice(CvTunerReport *report, const gchar *format, ...)
{
    va_list args;
    g_autofree gchar *message = NULL;
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_NOTICE};

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    record.message = message;
    cv_tuner_report_emit(report, &record);
}

static gboolean
action_same(const CvTunerAction *a, const CvTunerAction *b)
{
    return a->kind == b->kind && a->value == b->value && a->result == b->result &&
           g_strcmp0(a->error, b->error) == 0;
}

void
cv_tuner_summary_add_action(CvTunerSummary *sum, const CvTunerAction *action)
{
    CvTunerAction *last =
        sum->n_action_entries > 0 ? &sum->actions[sum->n_action_entries - 1] : NULL;

    sum->n_actions++;
    if (action->result == CV_TUNER_RESULT_APPLIED)
        sum->n_changes++;
    if (last != NULL && action->result != CV_TUNER_RESULT_APPLIED && action_same(last, action)) {
        last->repeats++;
        last->last_pass = action->pass;
        last->last_time_ms = action->time_ms;
        return;
    }
    if (sum->n_action_entries == CV_TUNER_MAX_ACTIONS) {
        sum->n_actions_dropped++;
        return;
    }
    last = &sum->actions[sum->n_action_entries++];
    *last = *action;
    last->repeats = 1;
    last->last_pass = action->pass;
    last->last_time_ms = action->time_ms;
}

void
cv_tuner_summary_add_restore(CvTunerSummary *sum, const CvTunerAction *r)
{
    switch (r->result) {
    case CV_TUNER_RESULT_FAILED:
    case CV_TUNER_RESULT_REFUSED:
        sum->n_restore_failures++;
        break;
    case CV_TUNER_RESULT_LEFT_ALONE:
        sum->n_restores_left_alone++;
        break;
    case CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED:
        sum->n_restores_unverified++;
        break;
    case CV_TUNER_RESULT_APPLIED:
    case CV_TUNER_RESULT_DRY_RUN:
    case CV_TUNER_RESULT_HELD:
    default:
        break;
    }
    if (sum->n_restores < G_N_ELEMENTS(sum->restores))
        sum->restores[sum->n_restores++] = *r;
}

void
cv_tuner_report_action(CvTunerReport *report, CvTunerAction *action)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_ACTION, .action = action};
    gboolean done =
        action->result == CV_TUNER_RESULT_APPLIED || action->result == CV_TUNER_RESULT_DRY_RUN;

    action->time_ms = cv_tuner_report_elapsed_ms(report);
    cv_tuner_summary_add_action(&report->summary, action);
    g_info("%s %s %" G_GUINT64_FORMAT ": %s", cv_tuner_result_to_string(action->result),
           cv_decision_kind_to_string(action->kind), action->value,
           done ? action->reason : action->error);
    cv_tuner_report_emit(report, &record);
}

void
cv_tuner_report_restore(CvTunerReport *report, CvTunerAction *restore)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_RESTORE, .action = restore};

    restore->time_ms = cv_tuner_report_elapsed_ms(report);
    if (restore->result == CV_TUNER_RESULT_FAILED)
        g_info("restoring %s failed: %s", cv_decision_kind_to_string(restore->kind),
               restore->error);
    cv_tuner_summary_add_restore(&report->summary, restore);
    cv_tuner_report_emit(report, &record);
}

void
cv_tuner_report_pending_source(CvTunerReport *report, const CvSample *s)
{
    gboolean system_wide = FALSE;

    g_return_if_fail(report != NULL && s != NULL);
    if (report->noticed_pending || !cv_sample_pending(s, NULL, &system_wide))
        return;
    report->noticed_pending = TRUE;
    report->summary.system_wide_remaining = system_wide ? CV_TRI_YES : CV_TRI_NO;
    if (system_wide)
        cv_tuner_report_notice(report, "pending: system-wide remaining (RAM and device state, "
                                       "QEMU 11.1+)");
    else if (cv_sample_has_vfio(s))
        cv_tuner_report_notice(report,
                               "pending: ram.remaining only; this QEMU reports no system-wide "
                               "remaining (before 11.1) and the VFIO device's share is unknown");
    else
        cv_tuner_report_notice(report, "pending: ram.remaining only; this QEMU reports no "
                                       "system-wide remaining (before 11.1)");
}

/* Without avail-switchover-bandwidth (before 8.2) QEMU switches over once pending fits the
 * limit at the rate it measures then, and only max-bandwidth bounds that rate: say, from the
 * parameters just read, what the blackout of a limit is predicted as, or why the limit is held
 * to the cap (the over-cap rule of cv-policy.h and cv-actuator-cap.h). */
void
cv_tuner_report_observe(CvTunerReport *report, const CvSample *s)
{
    g_return_if_fail(report != NULL && s != NULL);
    report->last = *s;
    report->have_last = TRUE;
    if (cv_migration_status_is_precopy(s->status) && cv_field_valid(&s->remaining)) {
        report->have_stopcopy = TRUE;
        report->stopcopy_bytes = s->remaining.value;
    }
    if (cv_sample_has_vfio(s))
        report->saw_vfio = TRUE;
    if (cv_migration_status_is_precopy(s->status)) {
        /* the last precopy reading's, or unknown: never an older one's */
        report->have_device_stopcopy = cv_field_valid(&s->remaining) &&
                                       cv_field_valid(&s->ram_remaining) &&
                                       s->remaining.value >= s->ram_remaining.value;
        report->device_stopcopy =
            report->have_device_stopcopy ? s->remaining.value - s->ram_remaining.value : 0;
        report->have_vfio_precopy = cv_field_valid(&s->vfio_transferred);
        report->vfio_precopy_transferred =
            report->have_vfio_precopy ? s->vfio_transferred.value : 0;
    }
    if (s->status == CV_MIGRATION_STATUS_ACTIVE) {
        if (report->n_job_readings == G_N_ELEMENTS(report->job_readings)) {
            memmove(&report->job_readings[0], &report->job_readings[1],
                    sizeof(report->job_readings[0]) * (G_N_ELEMENTS(report->job_readings) - 1));
            report->n_job_readings--;
        }
        report->job_readings[report->n_job_readings].processed = s->ram_transferred;
        report->job_readings[report->n_job_readings].elapsed_ms = s->total_time_ms;
        report->n_job_readings++;
        cv_tuner_report_pending_source(report, s);
    }
}

const CvSample *
cv_tuner_report_get_last(CvTunerReport *report)
{
    g_return_val_if_fail(report != NULL, NULL);
    return report->have_last ? &report->last : NULL;
}

void
cv_tuner_report_new_epoch(CvTunerReport *report, const CvU64Field *before, const CvSample *s,
                          guint epoch)
{
    g_return_if_fail(report != NULL && before != NULL && s != NULL);
    report->summary.n_epochs++;
    /* a window must not start in another migration's readings */
    report->n_job_readings = 0;
    cv_tuner_report_notice(report,
                           "the pass counter went back (%" G_GUINT64_FORMAT
                           " after %" G_GUINT64_FORMAT
                           "): a new migration on this QEMU, or a counter reset; epoch %u starts, "
                           "the readings and the engine's history are reset",
                           s->ram_dirty_sync_count.value, before->value, epoch);
}

void
cv_tuner_report_outside_change(CvTunerReport *report, const gchar *parameter,
                               const CvU64Field *before, const CvU64Field *after,
                               const gchar *message)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_NOTICE};

    g_return_if_fail(report != NULL);
    record.message = message;
    record.parameter = parameter;
    record.before = before;
    record.after = after;
    cv_tuner_report_emit(report, &record);
}

void
cv_tuner_report_attach(CvTunerReport *report, const CvParams *params, const CvPolicy *policy,
                       guint64 poll_interval_ms)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_ATTACH};
    const gchar *events_note;

    g_return_if_fail(report != NULL && params != NULL && policy != NULL);
    events_note = cv_target_get_events_note(report->target);
    record.params = params;
    if (params->vfio_devices == CV_TRI_YES)
        report->saw_vfio = TRUE;
    record.policy = policy;
    record.dry_run = report->summary.dry_run;
    record.message = events_note;
    cv_tuner_report_emit(report, &record);
    cv_tuner_report_switchover_support(report, params);
    if (!cv_target_has_events(report->target))
        cv_tuner_report_notice(report, "polling every %" G_GUINT64_FORMAT " ms: %s",
                               poll_interval_ms,
                               events_note != NULL ? events_note : "no migration events");
}

CvTunerOutcome
cv_tuner_outcome_for_final(const CvSample *s, gboolean aborting, gchar *message, gsize len)
{
    g_return_val_if_fail(s != NULL && message != NULL, CV_TUNER_OUTCOME_ERROR);
    if (s->status == CV_MIGRATION_STATUS_COMPLETED) {
        g_strlcpy(message, "the migration completed", len);
        return CV_TUNER_OUTCOME_COMPLETED;
    }
    if (s->status == CV_MIGRATION_STATUS_FAILED) {
        if (s->error_desc[0] != '\0')
            g_snprintf(message, len, "the migration failed: %s", s->error_desc);
        else
            g_strlcpy(message, "the migration failed", len);
        return CV_TUNER_OUTCOME_FAILED;
    }
    if (aborting) {
        g_strlcpy(message, "the policy aborted the migration", len);
        return CV_TUNER_OUTCOME_ABORTED;
    }
    g_strlcpy(message, "the migration was cancelled", len);
    return CV_TUNER_OUTCOME_CANCELLED;
}

void
cv_tuner_report_switchover_support(CvTunerReport *report, const CvParams *params)
{
    static const gchar head[] = "fallback: this QEMU has no avail-switchover-bandwidth (before "
                                "8.2): never sent";
    const CvU64Field *mb = &params->max_bandwidth;
    guint64 stated;
    gchar rate[32], max_bw[32], cap[96], reserve[64] = "";

    g_return_if_fail(report != NULL && params != NULL);
    if (cv_params_supports_switchover_bandwidth(params)) {
        report->summary.switchover_bandwidth = CV_TRI_YES;
        return;
    }
    report->summary.switchover_bandwidth = CV_TRI_NO;
    if (report->switchover_reserve_ms > 0) {
        g_snprintf(reserve, sizeof(reserve), " + the %" G_GUINT64_FORMAT " ms switchover reserve",
                   report->switchover_reserve_ms);
        g_snprintf(cap, sizeof(cap),
                   "the cap of %" G_GUINT64_FORMAT " ms less its %" G_GUINT64_FORMAT
                   " ms switchover reserve",
                   report->summary.max_downtime_ms, report->switchover_reserve_ms);
    } else {
        g_snprintf(cap, sizeof(cap), "the cap of %" G_GUINT64_FORMAT " ms",
                   report->summary.max_downtime_ms);
    }
    stated = report->switchover_bandwidth;
    cv_format_rate(stated, rate, sizeof(rate));
    if (cv_field_valid(mb) && mb->value > 0)
        cv_format_rate(mb->value, max_bw, sizeof(max_bw));
    if (stated == 0)
        cv_tuner_report_notice(
            report, "%s; the policy states no link rate, so the limit is held to %s", head, cap);
    else if (params->vfio_devices == CV_TRI_YES)
        cv_tuner_report_notice(report,
                               "%s; a VFIO device's share is not reported (before 11.1) and "
                               "max-bandwidth does not bound it, so the limit is held to %s",
                               head, cap);
    else if (!cv_field_valid(mb) || mb->value == 0)
        /* libvirt's "unlimited" (INT64_MAX, rounded) reads as out of range: invalid */
        cv_tuner_report_notice(report,
                               "%s; max-bandwidth is %s: nothing bounds the precopy rate QEMU "
                               "will measure, so the limit is held to %s (re-checked when "
                               "max-bandwidth changes)",
                               head,
                               cv_field_valid(mb)             ? "unlimited (0)"
                               : mb->state == CV_FIELD_ABSENT ? "unknown"
                                                              : "unlimited or invalid",
                               cap);
    else if (mb->value > stated)
        cv_tuner_report_notice(report,
                               "%s; max-bandwidth %s is above the stated link rate %s, so the "
                               "limit is held to %s (re-checked when max-bandwidth changes)",
                               head, max_bw, rate, cap);
    else
        cv_tuner_report_notice(report,
                               "%s; max-bandwidth %s bounds the precopy rate: blackout predicted "
                               "as limit x %s / %s (stated)%s, so the limit may go above the cap "
                               "while that stays within %" G_GUINT64_FORMAT
                               " ms (re-checked when max-bandwidth changes)",
                               head, max_bw, max_bw, rate, reserve,
                               report->summary.max_downtime_ms);
}

CvTunerSummary *
cv_tuner_report_get_summary(CvTunerReport *report)
{
    g_return_val_if_fail(report != NULL, NULL);
    return &report->summary;
}

gboolean
cv_tuner_summary_check_cap(CvTunerSummary *sum, gboolean limit_is_ours, gchar *why, gsize why_len)
{
    gchar limit[64] = "unknown";

    if (sum->outcome != CV_TUNER_OUTCOME_COMPLETED || sum->max_downtime_ms == 0 ||
        !cv_field_valid(&sum->downtime_ms) || sum->downtime_ms.value <= sum->max_downtime_ms)
        return FALSE;
    sum->outcome = CV_TUNER_OUTCOME_CAP_BROKEN;
    sum->cap_broken = TRUE;
    if (cv_field_valid(&sum->downtime_limit_ms))
        g_snprintf(limit, sizeof(limit), "%" G_GUINT64_FORMAT " ms, %s",
                   sum->downtime_limit_ms.value,
                   sum->dry_run    ? "a dry run changed nothing"
                   : limit_is_ours ? "set by virt-converge"
                                   : "not set by virt-converge");
    if (why != NULL)
        g_snprintf(why, why_len,
                   "the migration completed, but the guest was paused %" G_GUINT64_FORMAT
                   " ms, above the policy's cap of %" G_GUINT64_FORMAT
                   " ms (downtime-limit at the end: %s)",
                   sum->downtime_ms.value, sum->max_downtime_ms, limit);
    return TRUE;
}

/* What the blackout of a completed migration carried, for the learned rate, only from counts
 * that cannot read high (a rate read high makes QEMU switch over too early: the unsafe side):
 * - RAM: `ram.downtime-bytes` (QEMU 7.0+), exactly the RAM bytes sent while the guest was
 *   stopped. Not the last precopy `remaining`: precopy keeps sending after that reading, so it
 *   counts bytes that went before the stop (a ram-hog run read 1.2 GB/s on a 1.25 GB/s link).
 * - A VFIO device: its stop-copy size at the last precopy reading (system-wide remaining less
 *   ram.remaining, 11.1+), at most what `vfio.transferred` grew by from that reading to the
 *   end (the device cannot have sent more in the blackout than it sent in all). Before 11.1 the
 *   device's share is not reported: nothing is recorded.
 * Non-iterable device state is not counted: it makes the rate err low, the safe side.
 * Without downtime-bytes (libvirt's job statistics, QEMU before 7.0): a job window instead
 * (cv_learned_job_window), RAM's bytes only.
 *
 * The window's ends are libvirt's clock readings, not the byte counts' own moments: an active
 * reading's time_elapsed may be stamped after its query-migrate reply (then the start is late
 * by that reply's latency, shortening the window), and the completed one's after libvirt saw
 * the completion and fetched the final statistics (lengthening it by at least as much). So the
 * window is no shorter than the sending it counts, up to the ms rounding that the +1 ms covers;
 * that ordering is our reading of libvirt, not verified against its source here. The e2e's
 * windows were 100-200 ms longer than the downtime they held. */
static void
summary_job_window(CvTunerReport *report, const CvSample *s)
{
    static const gchar head[] = "QEMU reported no ram.downtime-bytes (before 7.0, or libvirt's "
                                "job statistics)";
    CvTunerSummary *sum = &report->summary;
    CvLearnedJobReading final = {s->ram_transferred, s->total_time_ms};
    guint64 bytes = 0, ms = 0;
    guint back = 0;
    gchar why[200] = "", start[48] = "the last precopy reading";

    if (!cv_learned_job_window(report->job_readings, report->n_job_readings, &final, &bytes, &ms,
                               &back, why, sizeof(why))) {
        g_snprintf(sum->blackout_note, sizeof(sum->blackout_note), "%s, and no job window: %s",
                   head, why);
        return;
    }
    /* the window holds the blackout: one shorter than the achieved downtime means the counters
     * do not belong together */
    if (cv_field_valid(&s->downtime_ms) && ms < s->downtime_ms.value) {
        g_snprintf(sum->blackout_note, sizeof(sum->blackout_note),
                   "%s, and no job window: its %" G_GUINT64_FORMAT
                   " ms are shorter than the %" G_GUINT64_FORMAT " ms downtime it must hold",
                   head, ms, s->downtime_ms.value);
        return;
    }
    cv_field_set(&sum->window_bytes, bytes);
    cv_field_set(&sum->window_ms, ms);
    if (back > 0)
        g_snprintf(start, sizeof(start), "the precopy reading %u before the last", back);
    g_snprintf(sum->blackout_note, sizeof(sum->blackout_note),
               "job window: %" G_GUINT64_FORMAT " bytes in %" G_GUINT64_FORMAT
               " ms between %s and the end (no ram.downtime-bytes; the window holds the "
               "blackout and some precopy)%s",
               bytes, ms, start,
               report->saw_vfio ? "; RAM only: the VFIO device's bytes are not counted, which errs "
                                  "low"
                                : "");
}

static void
summary_blackout(CvTunerReport *report, const CvSample *s)
{
    CvTunerSummary *sum = &report->summary;
    guint64 device = 0;

    sum->window_bytes.state = CV_FIELD_ABSENT;
    sum->window_ms.state = CV_FIELD_ABSENT;
    sum->blackout_bytes.state = CV_FIELD_ABSENT;
    sum->blackout_ram_bytes.state = CV_FIELD_ABSENT;
    sum->blackout_device_bytes.state = CV_FIELD_ABSENT;
    if (s == NULL || s->status != CV_MIGRATION_STATUS_COMPLETED) {
        g_strlcpy(sum->blackout_note, "the migration did not complete", sizeof(sum->blackout_note));
        return;
    }
    if (!cv_field_valid(&s->ram_downtime_bytes)) {
        summary_job_window(report, s);
        return;
    }
    sum->blackout_ram_bytes = s->ram_downtime_bytes;
    if (report->saw_vfio) {
        if (!report->have_device_stopcopy) {
            g_strlcpy(sum->blackout_note,
                      "the guest has a VFIO device and this QEMU (before 11.1) does not report "
                      "its stop-copy size: the bytes of the blackout are unknown",
                      sizeof(sum->blackout_note));
            return;
        }
        device = report->device_stopcopy;
        if (report->have_vfio_precopy && cv_field_valid(&s->vfio_transferred) &&
            s->vfio_transferred.value >= report->vfio_precopy_transferred)
            device = MIN(device, s->vfio_transferred.value - report->vfio_precopy_transferred);
        cv_field_set(&sum->blackout_device_bytes, device);
    }
    if (device > G_MAXUINT64 - s->ram_downtime_bytes.value) {
        g_strlcpy(sum->blackout_note, "the blackout's byte counts overflow",
                  sizeof(sum->blackout_note));
        return;
    }
    cv_field_set(&sum->blackout_bytes, s->ram_downtime_bytes.value + device);
    g_strlcpy(sum->blackout_note,
              report->saw_vfio ? "ram.downtime-bytes plus the VFIO device's stop-copy size"
                               : "ram.downtime-bytes",
              sizeof(sum->blackout_note));
}

void
cv_tuner_report_end(CvTunerReport *report, const CvTunerReportEnd *end, const gchar *format, ...)
{
    CvTunerSummary *sum = &report->summary;
    const CvSample *s = cv_tuner_report_get_last(report);
    guint64 rate = 0;
    va_list args;

    sum->outcome = end->outcome;
    va_start(args, format);
    g_vsnprintf(sum->message, sizeof(sum->message), format, args);
    va_end(args);
    sum->downtime_limit_ms = end->downtime_limit;
    if (s != NULL) {
        sum->final_status = s->status;
        sum->total_time_ms = s->total_time_ms;
        sum->downtime_ms = s->downtime_ms;
        sum->passes = s->ram_dirty_sync_count;
        if (!cv_field_valid(&sum->passes))
            sum->passes = end->last_boundary_pass;
        if (cv_sample_throughput(s, &rate))
            cv_field_set(&sum->final_rate, rate);
    }
    summary_blackout(report, s);
    if (report->have_stopcopy && report->switchover_bandwidth > 0) {
        gdouble ms =
            ceil((gdouble)report->stopcopy_bytes * 1000.0 / (gdouble)report->switchover_bandwidth);

        /* clamped before the conversion: a huge pending over a tiny rate must not overflow */
        cv_field_set(&sum->lower_bound_ms,
                     ms >= 1e18 ? G_GUINT64_CONSTANT(1000000000000000000) : (guint64)ms);
        sum->lower_bound_bytes = report->stopcopy_bytes;
        sum->lower_bound_rate = report->switchover_bandwidth;
    }
    if (cv_tuner_summary_check_cap(sum, end->limit_is_ours, sum->message, sizeof(sum->message)))
        g_warning("%s: %s", cv_target_get_description(report->target), sum->message);
}

void
cv_tuner_report_set_final_limit(CvTunerReport *report, const CvU64Field *limit)
{
    g_return_if_fail(report != NULL && limit != NULL);
    report->summary.downtime_limit_ms = *limit;
}

void
cv_tuner_report_emit_summary(CvTunerReport *report)
{
    CvTunerRecord record = {.kind = CV_TUNER_RECORD_SUMMARY, .summary = &report->summary};

    report->summary.elapsed_ms = cv_tuner_report_elapsed_ms(report);
    cv_tuner_report_emit(report, &record);
}

gboolean
cv_tuner_summary_observation(const CvTunerSummary *sum, gint64 time_ms, guint64 stated_rate,
                             CvLearnedObservation *obs, gchar *why, gsize why_len)
{
    gchar b[32];

    g_return_val_if_fail(sum != NULL && obs != NULL, FALSE);
    if (sum->outcome != CV_TUNER_OUTCOME_COMPLETED && sum->outcome != CV_TUNER_OUTCOME_CAP_BROKEN) {
        if (why != NULL)
            g_snprintf(why, why_len, "the migration did not complete (%s): no blackout to measure",
                       cv_tuner_outcome_to_string(sum->outcome));
        return FALSE;
    }
    if (!cv_field_valid(&sum->downtime_ms)) {
        if (why != NULL)
            g_strlcpy(why, "QEMU reported no achieved downtime", why_len);
        return FALSE;
    }
    if (!cv_field_valid(&sum->blackout_bytes)) {
        if (!cv_field_valid(&sum->window_bytes) || !cv_field_valid(&sum->window_ms)) {
            if (why != NULL)
                g_strlcpy(why, sum->blackout_note, why_len);
            return FALSE;
        }
        /* cv_learned_job_window chose a measurable window */
        memset(obs, 0, sizeof(*obs));
        obs->time_ms = time_ms;
        obs->source = CV_LEARNED_SOURCE_JOB_WINDOW;
        obs->blackout_bytes = sum->window_bytes.value;
        obs->downtime_ms = sum->window_ms.value;
        obs->qemu_rate = cv_field_valid(&sum->final_rate) ? sum->final_rate.value : 0;
        obs->stated_rate = stated_rate;
        return TRUE;
    }
    if (!cv_learned_blackout_measurable(sum->blackout_bytes.value, sum->downtime_ms.value)) {
        if (why != NULL) {
            cv_format_bytes(sum->blackout_bytes.value, b, sizeof(b));
            g_snprintf(why, why_len,
                       "a blackout of %s in %" G_GUINT64_FORMAT
                       " ms is too small to measure the link (the floor is %u MiB and %u ms: "
                       "fixed costs dominate a smaller one)",
                       b, sum->downtime_ms.value, (guint)(CV_LEARNED_MIN_BLACKOUT_BYTES >> 20),
                       (guint)CV_LEARNED_MIN_DOWNTIME_MS);
        }
        return FALSE;
    }
    memset(obs, 0, sizeof(*obs));
    obs->time_ms = time_ms;
    obs->blackout_bytes = sum->blackout_bytes.value;
    obs->downtime_ms = sum->downtime_ms.value;
    obs->qemu_rate = cv_field_valid(&sum->final_rate) ? sum->final_rate.value : 0;
    obs->stated_rate = stated_rate;
    return TRUE;
}
