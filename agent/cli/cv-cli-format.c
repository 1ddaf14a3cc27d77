#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cv-cli-format.h"
#include "cv-config-policy.h"

const gchar *
cv_cli_estimate_source_id(CvEstimateSource source)
{
    switch (source) {
    case CV_ESTIMATE_NONE:
        return "none";
    case CV_ESTIMATE_QEMU_ALL_DEVICES:
        return "qemu-all-devices";
    case CV_ESTIMATE_QEMU_RAM_ONLY:
        return "qemu-ram-only";
    case CV_ESTIMATE_PENDING_OVER_RATE:
        return "pending-over-rate";
    case CV_ESTIMATE_LADDER:
        return "ladder";
    default:
        return "unknown";
    }
}

static const gchar *
tri_to_string(CvTri tri)
{
    switch (tri) {
    case CV_TRI_YES:
        return "yes";
    case CV_TRI_NO:
        return "no";
    case CV_TRI_UNKNOWN:
    default:
        return "unknown";
    }
}

gchar *
cv_cli_format_field_bytes(const CvU64Field *field)
{
    gchar buf[32];

    switch (field->state) {
    case CV_FIELD_VALID:
        cv_format_bytes(field->value, buf, sizeof(buf));
        return g_strdup(buf);
    case CV_FIELD_INVALID:
        return g_strdup("invalid");
    case CV_FIELD_ABSENT:
    default:
        return g_strdup("-");
    }
}

gchar *
cv_cli_format_field_ms(const CvU64Field *field)
{
    switch (field->state) {
    case CV_FIELD_VALID:
        return g_strdup_printf("%" G_GUINT64_FORMAT " ms", field->value);
    case CV_FIELD_INVALID:
        return g_strdup("invalid");
    case CV_FIELD_ABSENT:
    default:
        return g_strdup("-");
    }
}

static gchar *
format_field_count(const CvU64Field *field)
{
    switch (field->state) {
    case CV_FIELD_VALID:
        return g_strdup_printf("%" G_GUINT64_FORMAT, field->value);
    case CV_FIELD_INVALID:
        return g_strdup("invalid");
    case CV_FIELD_ABSENT:
    default:
        return g_strdup("-");
    }
}

gchar *
cv_cli_format_seconds(gint64 ms)
{
    return g_strdup_printf("%" G_GINT64_FORMAT ".%01" G_GINT64_FORMAT "s", ms / 1000,
                           (ABS(ms) % 1000) / 100);
}

static gchar *
format_rate(guint64 bytes_per_s)
{
    gchar buf[32];

    cv_format_rate(bytes_per_s, buf, sizeof(buf));
    return g_strdup(buf);
}

gchar *
cv_cli_format_decision_action(CvDecisionKind kind, guint64 value)
{
    switch (kind) {
    case CV_DECISION_NONE:
        return g_strdup("-");
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH: {
        g_autofree gchar *rate = format_rate(value);

        return g_strdup_printf("switchover-bandwidth %s", rate);
    }
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        return g_strdup_printf("downtime-limit %" G_GUINT64_FORMAT " ms", value);
    case CV_DECISION_START_POSTCOPY:
    case CV_DECISION_PAUSE_GUEST:
    case CV_DECISION_ABORT:
    default:
        return g_strdup(cv_decision_kind_to_string(kind));
    }
}

/* ---- human output of tune / simulate ---------------------------------------------------- */

gchar *
cv_cli_format_attach(const CvTunerRecord *record)
{
    GString *out = g_string_new(NULL);
    const CvParams *p = record->params;
    const CvPolicy *policy = record->policy;
    g_autofree gchar *limit = cv_cli_format_field_ms(&p->downtime_limit_ms);
    g_autofree gchar *maxbw = NULL;
    g_autofree gchar *switchover = NULL;

    g_string_append_printf(out, "attached to %s (QEMU %s), %s\n",
                           record->target != NULL ? record->target : "?",
                           record->version != NULL ? record->version : "unknown",
                           record->events ? "migration events on" : "polling");
    if (record->message != NULL)
        g_string_append_printf(out, "  events: %s\n", record->message);
    if (cv_field_valid(&p->max_bandwidth))
        maxbw = format_rate(p->max_bandwidth.value);
    else
        maxbw = cv_cli_format_field_bytes(&p->max_bandwidth);
    if (!cv_params_supports_switchover_bandwidth(p))
        switchover = g_strdup("not supported by this QEMU");
    else if (cv_field_valid(&p->avail_switchover_bandwidth) &&
             p->avail_switchover_bandwidth.value > 0)
        switchover = format_rate(p->avail_switchover_bandwidth.value);
    else if (cv_field_valid(&p->avail_switchover_bandwidth))
        switchover = g_strdup("0 (measured rate)");
    else
        switchover = g_strdup("invalid");
    g_string_append_printf(out,
                           "  downtime-limit %s, max-bandwidth %s, avail-switchover-bandwidth %s\n",
                           limit, maxbw, switchover);
    if (policy != NULL) {
        g_autofree gchar *rate = policy->switchover_bandwidth > 0
                                     ? format_rate(policy->switchover_bandwidth)
                                     : g_strdup("off");

        g_string_append_printf(out,
                               "  policy %s: max-downtime %" G_GUINT64_FORMAT
                               " ms, margin %.0f%%, switchover-bandwidth %s%s\n",
                               policy->name, policy->max_downtime_ms, policy->margin * 100.0, rate,
                               record->dry_run ? " (dry run: nothing will be changed)" : "");
    }
    return g_string_free(out, FALSE);
}

#define COLUMNS "%7s %9s %-20s %10s %13s %9s %-10s %-33s %s"

gchar *
cv_cli_format_table_header(void)
{
    return g_strdup_printf(COLUMNS "\n", "TIME", "PASS", "REMAINING", "EXPECTED", "THROUGHPUT",
                           "LIMIT", "VERDICT", "ACTION", "REASON");
}

gchar *
cv_cli_format_iteration(gint64 time_ms, const CvSample *s, const CvDecision *d,
                        const CvParams *params)
{
    g_autofree gchar *t = cv_cli_format_seconds(time_ms);
    g_autofree gchar *pass = format_field_count(&s->ram_dirty_sync_count);
    g_autofree gchar *remaining = NULL;
    g_autofree gchar *expected = cv_cli_format_field_ms(&s->expected_downtime_ms);
    g_autofree gchar *throughput = NULL;
    g_autofree gchar *limit = cv_cli_format_field_ms(&params->downtime_limit_ms);
    g_autofree gchar *action = cv_cli_format_decision_action(d->kind, d->value);
    guint64 pending = 0, bps = 0;
    gboolean system_wide = FALSE;

    if (cv_sample_pending(s, &pending, &system_wide)) {
        gchar buf[32];

        cv_format_bytes(pending, buf, sizeof(buf));
        remaining = g_strdup_printf("%s (%s)", buf, system_wide ? "all" : "ram");
    } else if (s->remaining.state == CV_FIELD_INVALID ||
               s->ram_remaining.state == CV_FIELD_INVALID) {
        remaining = g_strdup("invalid");
    } else {
        remaining = g_strdup("-");
    }
    if (cv_sample_throughput(s, &bps))
        throughput = format_rate(bps);
    else
        throughput = g_strdup(s->ram_mbps.state == CV_FIELD_INVALID ? "invalid" : "-");
    return g_strdup_printf(COLUMNS "\n", t, pass, remaining, expected, throughput, limit,
                           cv_verdict_to_string(d->verdict), action,
                           d->reason[0] != '\0' ? d->reason : "-");
}

gchar *
cv_cli_format_notice(gint64 time_ms, const gchar *message)
{
    g_autofree gchar *t = cv_cli_format_seconds(time_ms);

    return g_strdup_printf("%7s   -- %s\n", t, message);
}

/* For people: a restore left unverified reads "left-alone (unverified)". */
static const gchar *
result_label(CvTunerResult result)
{
    if (result == CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED)
        return "left-alone (unverified)";
    return cv_tuner_result_to_string(result);
}

/* A restore not done: the value that stays is the one shown. */
static gboolean
left_alone(const CvTunerAction *a)
{
    return a->result == CV_TUNER_RESULT_LEFT_ALONE ||
           a->result == CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED;
}

static gboolean
summary_converged(const CvTunerSummary *sum)
{
    return sum->outcome == CV_TUNER_OUTCOME_COMPLETED ||
           sum->outcome == CV_TUNER_OUTCOME_CAP_BROKEN;
}

gchar *
cv_cli_format_action(const CvTunerAction *a, gboolean restore)
{
    g_autofree gchar *t = cv_cli_format_seconds(a->time_ms);
    g_autofree gchar *what = NULL;
    g_autofree gchar *before = NULL;
    GString *out = g_string_new(NULL);

    if (restore && a->kind == CV_DECISION_PAUSE_GUEST)
        what = g_strdup("resume-guest");
    else if (left_alone(a))
        what = cv_cli_format_decision_action(a->kind, a->previous.value); /* what stays */
    else
        what = cv_cli_format_decision_action(a->kind, a->value);
    if (left_alone(a))
        before = NULL; /* the error names every value */
    else if (a->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
        before = cv_cli_format_field_ms(&a->previous);
    else if (a->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
        before = a->previous.state == CV_FIELD_ABSENT ? g_strdup("-")
                 : cv_field_valid(&a->previous)       ? format_rate(a->previous.value)
                                                      : g_strdup("invalid");
    g_string_append_printf(out, "%7s   %s %s: %s", t, restore ? "<< restore" : ">>",
                           result_label(a->result), what);
    if (before != NULL)
        g_string_append_printf(out, " (was %s)", before);
    switch (a->result) {
    case CV_TUNER_RESULT_FAILED:
    case CV_TUNER_RESULT_REFUSED:
    case CV_TUNER_RESULT_LEFT_ALONE:
    case CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED:
    case CV_TUNER_RESULT_HELD:
        g_string_append_printf(out, ": %s", a->error);
        break;
    case CV_TUNER_RESULT_APPLIED:
    case CV_TUNER_RESULT_DRY_RUN:
    default:
        break;
    }
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

static void
append_summary_action(GString *out, const CvTunerAction *a)
{
    g_autofree gchar *t = cv_cli_format_seconds(a->time_ms);
    g_autofree gchar *what = cv_cli_format_decision_action(a->kind, a->value);
    g_autofree gchar *pass = format_field_count(&a->pass);

    g_string_append_printf(out, "    %s pass %s: %s %s", t, pass, what,
                           cv_tuner_result_to_string(a->result));
    if (a->result == CV_TUNER_RESULT_FAILED || a->result == CV_TUNER_RESULT_REFUSED ||
        a->result == CV_TUNER_RESULT_HELD)
        g_string_append_printf(out, " (%s)", a->error);
    if (a->repeats > 1) {
        g_autofree gchar *lt = cv_cli_format_seconds(a->last_time_ms);
        g_autofree gchar *lp = format_field_count(&a->last_pass);

        g_string_append_printf(out, ", %u times, the last at %s pass %s", a->repeats, lt, lp);
    }
    g_string_append_printf(out, "\n      why: %s\n", a->reason[0] != '\0' ? a->reason : "-");
}

gchar *
cv_cli_format_summary(const CvTunerSummary *sum)
{
    GString *out = g_string_new(NULL);
    g_autofree gchar *elapsed = cv_cli_format_seconds(sum->elapsed_ms);
    g_autofree gchar *total = cv_cli_format_field_ms(&sum->total_time_ms);
    g_autofree gchar *downtime = cv_cli_format_field_ms(&sum->downtime_ms);
    g_autofree gchar *passes = format_field_count(&sum->passes);
    g_autofree gchar *limit = cv_cli_format_field_ms(&sum->downtime_limit_ms);

    g_string_append_printf(
        out, "\nsummary: %s (exit %d)%s\n", cv_tuner_outcome_to_string(sum->outcome),
        cv_tuner_outcome_to_exit_code(sum->outcome), sum->dry_run ? ", dry run" : "");
    g_string_append_printf(out, "  %s\n", sum->message);
    g_string_append_printf(out, "  converged:        %s\n", summary_converged(sum) ? "yes" : "no");
    if (sum->cap_broken)
        g_string_append_printf(out,
                               "  CAP BROKEN:       the guest was paused %" G_GUINT64_FORMAT
                               " ms, above the policy's cap of %" G_GUINT64_FORMAT " ms\n",
                               sum->downtime_ms.value, sum->max_downtime_ms);
    g_string_append_printf(out, "  status:           %s\n",
                           cv_migration_status_to_string(sum->final_status));
    g_string_append_printf(out, "  total time:       %s (watched %s)\n", total, elapsed);
    g_string_append_printf(out, "  passes:           %s\n", passes);
    g_string_append_printf(out, "  achieved downtime: %s\n", downtime);
    if (cv_field_valid(&sum->lower_bound_ms)) {
        gchar bytes[32], rate[32];

        cv_format_bytes(sum->lower_bound_bytes, bytes, sizeof(bytes));
        cv_format_rate(sum->lower_bound_rate, rate, sizeof(rate));
        g_string_append_printf(out,
                               "  lower bound:      %" G_GUINT64_FORMAT " ms (%s %s / %s, the "
                               "policy's link rate)\n",
                               sum->lower_bound_ms.value, bytes,
                               sum->final_status == CV_MIGRATION_STATUS_COMPLETED
                                   ? "left at switchover"
                                   : "pending at the last reading",
                               rate);
        /* The bound holds for the stated rate; a faster link beats it, and saying so keeps
         * the numbers honest. */
        if (cv_field_valid(&sum->downtime_ms) && sum->downtime_ms.value < sum->lower_bound_ms.value)
            g_string_append(out, "                    (achieved below it: the link carried more "
                                 "than the stated rate)\n");
    } else {
        g_string_append(out, "  lower bound:      unknown (needs QEMU's system-wide remaining and "
                             "a policy switchover-bandwidth)\n");
    }
    g_string_append_printf(
        out, "  downtime-limit:   %s at the end (policy %s, cap %" G_GUINT64_FORMAT " ms)\n", limit,
        sum->policy, sum->max_downtime_ms);
    g_string_append_printf(out, "  estimate:         %s\n",
                           cv_estimate_source_to_string(sum->estimate));
    g_string_append_printf(out, "  system-wide remaining: %s, avail-switchover-bandwidth: %s\n",
                           tri_to_string(sum->system_wide_remaining),
                           sum->switchover_bandwidth == CV_TRI_NO    ? "not supported (never sent)"
                           : sum->switchover_bandwidth == CV_TRI_YES ? "supported"
                                                                     : "unknown");
    g_string_append_printf(out, "  evaluations:      %u\n", sum->n_evaluations);
    g_string_append_printf(out, "  changes made:     %u%s\n", sum->n_changes,
                           sum->n_actions > sum->n_changes ? " (see actions)" : "");
    if (sum->n_actions > 0) {
        g_string_append_printf(out, "  actions:          %u\n", sum->n_actions);
        for (guint i = 0; i < sum->n_action_entries; i++)
            append_summary_action(out, &sum->actions[i]);
        if (sum->n_actions_dropped > 0)
            g_string_append_printf(out, "    ... and %u more\n", sum->n_actions_dropped);
    }
    if (sum->n_restores > 0) {
        g_string_append_printf(out, "  restored:         %u change(s), %u failure(s)",
                               sum->n_restores - sum->n_restore_failures -
                                   sum->n_restores_left_alone - sum->n_restores_unverified,
                               sum->n_restore_failures);
        if (sum->n_restores_left_alone > 0)
            g_string_append_printf(out, ", %u left alone (changed by someone else after us)",
                                   sum->n_restores_left_alone);
        if (sum->n_restores_unverified > 0)
            g_string_append_printf(out, ", %u left alone unverified (could not be re-read)",
                                   sum->n_restores_unverified);
        g_string_append_c(out, '\n');
        for (guint i = 0; i < sum->n_restores; i++) {
            const CvTunerAction *r = &sum->restores[i];
            g_autofree gchar *what = r->kind == CV_DECISION_PAUSE_GUEST ? g_strdup("resume-guest")
                                     : left_alone(r)
                                         ? cv_cli_format_decision_action(r->kind, r->previous.value)
                                         : cv_cli_format_decision_action(r->kind, r->value);

            g_string_append_printf(out, "    %s %s%s%s\n", what, result_label(r->result),
                                   r->error[0] != '\0' ? ": " : "", r->error);
        }
    }
    if (sum->restore_skipped)
        g_string_append(out, "  not restored:     our changes were left in place\n");
    if (sum->n_epochs > 0 || sum->n_reconnects > 0)
        g_string_append_printf(out,
                               "  epochs:           %u new migration(s) seen; reconnects: %u\n",
                               sum->n_epochs, sum->n_reconnects);
    return g_string_free(out, FALSE);
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* A field QEMU did not send is omitted; one it sent garbage for is null. */
static void
json_u64(JsonBuilder *b, const gchar *name, const CvU64Field *f)
{
    switch (f->state) {
    case CV_FIELD_VALID:
        json_builder_set_member_name(b, name);
        json_builder_add_int_value(b, (gint64)MIN(f->value, (guint64)G_MAXINT64));
        break;
    case CV_FIELD_INVALID:
        json_builder_set_member_name(b, name);
        json_builder_add_null_value(b);
        break;
    case CV_FIELD_ABSENT:
    default:
        break;
    }
}

static void
json_int(JsonBuilder *b, const gchar *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static void
json_str(JsonBuilder *b, const gchar *name, const gchar *value)
{
    json_builder_set_member_name(b, name);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
json_bool(JsonBuilder *b, const gchar *name, gboolean value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value);
}

static void
json_tri(JsonBuilder *b, const gchar *name, CvTri tri)
{
    json_builder_set_member_name(b, name);
    if (tri == CV_TRI_UNKNOWN)
        json_builder_add_null_value(b);
    else
        json_builder_add_boolean_value(b, tri == CV_TRI_YES);
}

static gchar *
json_finish(JsonBuilder *b)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree gchar *text = NULL;

    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    return g_strconcat(text, "\n", NULL);
}

static void
json_sample_members(JsonBuilder *b, const CvSample *s)
{
    guint64 pending = 0, bps = 0;
    gboolean system_wide = FALSE;

    json_str(b, "status", cv_migration_status_to_string(s->status));
    json_u64(b, "pass", &s->ram_dirty_sync_count);
    if (cv_sample_pending(s, &pending, &system_wide)) {
        json_int(b, "remaining", (gint64)pending);
        json_str(b, "remaining-kind", system_wide ? "system-wide" : "ram");
    } else {
        json_builder_set_member_name(b, "remaining");
        json_builder_add_null_value(b);
        json_builder_set_member_name(b, "remaining-kind");
        json_builder_add_null_value(b);
    }
    json_u64(b, "system-remaining", &s->remaining);
    json_u64(b, "ram-remaining", &s->ram_remaining);
    json_u64(b, "ram-total", &s->ram_total);
    json_u64(b, "ram-transferred", &s->ram_transferred);
    json_u64(b, "vfio-transferred", &s->vfio_transferred);
    json_u64(b, "expected-downtime-ms", &s->expected_downtime_ms);
    json_u64(b, "downtime-ms", &s->downtime_ms);
    json_u64(b, "total-time-ms", &s->total_time_ms);
    json_u64(b, "setup-time-ms", &s->setup_time_ms);
    if (cv_sample_throughput(s, &bps))
        json_int(b, "throughput", (gint64)bps);
    else if (s->ram_mbps.state != CV_FIELD_ABSENT) {
        json_builder_set_member_name(b, "throughput");
        json_builder_add_null_value(b);
    }
    if (cv_sample_dirty_rate(s, &bps))
        json_int(b, "dirty-rate", (gint64)bps);
    json_u64(b, "dirty-pages-rate", &s->ram_dirty_pages_rate);
    json_u64(b, "cpu-throttle-percentage", &s->cpu_throttle_percentage);
    if (s->error_desc[0] != '\0')
        json_str(b, "error-desc", s->error_desc);
}

static void
json_params_members(JsonBuilder *b, const CvParams *p)
{
    json_u64(b, "downtime-limit-ms", &p->downtime_limit_ms);
    json_u64(b, "max-bandwidth", &p->max_bandwidth);
    json_bool(b, "switchover-bandwidth-supported", cv_params_supports_switchover_bandwidth(p));
    json_u64(b, "avail-switchover-bandwidth", &p->avail_switchover_bandwidth);
    json_tri(b, "postcopy-ram", p->postcopy_ram);
    json_tri(b, "events", p->events);
}

static void
json_decision_members(JsonBuilder *b, const CvDecision *d)
{
    json_str(b, "verdict", cv_verdict_to_string(d->verdict));
    json_str(b, "action", cv_decision_kind_to_string(d->kind));
    if (d->kind == CV_DECISION_SET_DOWNTIME_LIMIT ||
        d->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH)
        json_int(b, "value", (gint64)d->value);
    if (d->needed_downtime_ms > 0)
        json_int(b, "needed-downtime-ms", (gint64)d->needed_downtime_ms);
    if (d->predicted_blackout_ms > 0)
        json_int(b, "predicted-blackout-ms", (gint64)d->predicted_blackout_ms);
    json_str(b, "estimate", cv_cli_estimate_source_id(d->source));
    json_str(b, "reason", d->reason);
}

static void
json_action_members(JsonBuilder *b, const CvTunerAction *a, gboolean restore)
{
    json_int(b, "time-ms", a->time_ms);
    json_u64(b, "pass", &a->pass);
    if (restore && a->kind == CV_DECISION_PAUSE_GUEST)
        json_str(b, "action", "resume-guest");
    else
        json_str(b, "action", cv_decision_kind_to_string(a->kind));
    if (a->kind == CV_DECISION_SET_DOWNTIME_LIMIT ||
        a->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH) {
        json_int(b, "value", (gint64)a->value);
        json_u64(b, "previous", &a->previous);
    }
    json_str(b, "result", cv_tuner_result_to_string(a->result));
    if (a->predicted_blackout_ms > 0)
        json_int(b, "predicted-blackout-ms", (gint64)a->predicted_blackout_ms);
    json_str(b, "reason", a->reason);
    if (a->error[0] != '\0')
        json_str(b, "error", a->error);
}

static gchar *
json_summary(const CvTunerSummary *sum)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_str(b, "record", "summary");
    json_str(b, "outcome", cv_tuner_outcome_to_string(sum->outcome));
    json_int(b, "exit-code", cv_tuner_outcome_to_exit_code(sum->outcome));
    json_bool(b, "converged", summary_converged(sum));
    /* The promise: the pause the guest got (downtime-ms) against the cap (max-downtime-ms). */
    json_bool(b, "cap-broken", sum->cap_broken);
    json_str(b, "status", cv_migration_status_to_string(sum->final_status));
    json_str(b, "message", sum->message);
    json_bool(b, "dry-run", sum->dry_run);
    json_str(b, "policy", sum->policy);
    json_int(b, "max-downtime-ms", (gint64)sum->max_downtime_ms);
    json_int(b, "elapsed-ms", sum->elapsed_ms);
    json_u64(b, "total-time-ms", &sum->total_time_ms);
    json_u64(b, "downtime-ms", &sum->downtime_ms);
    json_u64(b, "passes", &sum->passes);
    json_u64(b, "downtime-limit-ms", &sum->downtime_limit_ms);
    json_builder_set_member_name(b, "lower-bound-ms");
    if (cv_field_valid(&sum->lower_bound_ms)) {
        json_builder_add_int_value(b, (gint64)sum->lower_bound_ms.value);
        json_int(b, "lower-bound-bytes", (gint64)sum->lower_bound_bytes);
        json_int(b, "lower-bound-rate", (gint64)sum->lower_bound_rate);
    } else {
        json_builder_add_null_value(b);
    }
    json_str(b, "estimate", cv_cli_estimate_source_id(sum->estimate));
    json_str(b, "estimate-text", cv_estimate_source_to_string(sum->estimate));
    json_tri(b, "system-wide-remaining", sum->system_wide_remaining);
    json_tri(b, "switchover-bandwidth-supported", sum->switchover_bandwidth);
    json_int(b, "evaluations", sum->n_evaluations);
    json_int(b, "changes", sum->n_changes);
    json_builder_set_member_name(b, "actions");
    json_builder_begin_array(b);
    for (guint i = 0; i < sum->n_action_entries; i++) {
        json_builder_begin_object(b);
        json_action_members(b, &sum->actions[i], FALSE);
        if (sum->actions[i].repeats > 1) {
            json_int(b, "repeats", sum->actions[i].repeats);
            json_u64(b, "last-pass", &sum->actions[i].last_pass);
            json_int(b, "last-time-ms", sum->actions[i].last_time_ms);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_int(b, "actions-total", sum->n_actions);
    json_int(b, "actions-dropped", sum->n_actions_dropped);
    json_builder_set_member_name(b, "restores");
    json_builder_begin_array(b);
    for (guint i = 0; i < sum->n_restores; i++) {
        json_builder_begin_object(b);
        json_action_members(b, &sum->restores[i], TRUE);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_int(b, "restore-failures", sum->n_restore_failures);
    /* Only when it happened: the summary's shape stays what scripts already parse. */
    if (sum->n_restores_left_alone > 0)
        json_int(b, "restores-left-alone", sum->n_restores_left_alone);
    if (sum->n_restores_unverified > 0)
        json_int(b, "restores-unverified", sum->n_restores_unverified);
    if (sum->n_epochs > 0)
        json_int(b, "epochs", sum->n_epochs);
    if (sum->n_reconnects > 0)
        json_int(b, "reconnects", sum->n_reconnects);
    json_bool(b, "restore-skipped", sum->restore_skipped);
    json_builder_end_object(b);
    return json_finish(b);
}

gchar *
cv_cli_format_record_json(const CvTunerRecord *record)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    switch (record->kind) {
    case CV_TUNER_RECORD_ATTACH:
        json_builder_begin_object(b);
        json_str(b, "record", "attach");
        json_int(b, "time-ms", record->time_ms);
        json_str(b, "target", record->target);
        json_str(b, "qemu-version", record->version);
        json_bool(b, "events", record->events);
        if (record->message != NULL)
            json_str(b, "events-note", record->message);
        json_bool(b, "dry-run", record->dry_run);
        if (record->policy != NULL) {
            json_str(b, "policy", record->policy->name);
            json_int(b, "max-downtime-ms", (gint64)record->policy->max_downtime_ms);
            json_int(b, "policy-switchover-bandwidth",
                     (gint64)record->policy->switchover_bandwidth);
        }
        json_params_members(b, record->params);
        json_builder_end_object(b);
        return json_finish(b);
    case CV_TUNER_RECORD_NOTICE:
        json_builder_begin_object(b);
        json_str(b, "record", "notice");
        json_int(b, "time-ms", record->time_ms);
        json_str(b, "message", record->message);
        if (record->parameter != NULL) {
            /* A parameter someone else changed: the numbers, for scripts. */
            json_str(b, "parameter", record->parameter);
            json_u64(b, "before", record->before);
            json_u64(b, "after", record->after);
        }
        json_builder_end_object(b);
        return json_finish(b);
    case CV_TUNER_RECORD_SAMPLE: {
        g_autoptr(JsonBuilder) b2 = json_builder_new();
        g_autofree gchar *first = NULL;
        g_autofree gchar *second = NULL;

        json_builder_begin_object(b);
        json_str(b, "record", "sample");
        json_int(b, "time-ms", record->time_ms);
        json_sample_members(b, record->sample);
        json_u64(b, "downtime-limit-ms", &record->params->downtime_limit_ms);
        json_builder_end_object(b);
        first = json_finish(b);

        json_builder_begin_object(b2);
        json_str(b2, "record", "decision");
        json_int(b2, "time-ms", record->time_ms);
        json_u64(b2, "pass", &record->sample->ram_dirty_sync_count);
        json_decision_members(b2, record->decision);
        json_builder_end_object(b2);
        second = json_finish(b2);
        return g_strconcat(first, second, NULL);
    }
    case CV_TUNER_RECORD_ACTION:
    case CV_TUNER_RECORD_RESTORE:
        json_builder_begin_object(b);
        json_str(b, "record", record->kind == CV_TUNER_RECORD_ACTION ? "action" : "restore");
        json_action_members(b, record->action, record->kind == CV_TUNER_RECORD_RESTORE);
        json_builder_end_object(b);
        return json_finish(b);
    case CV_TUNER_RECORD_SUMMARY:
        return json_summary(record->summary);
    default:
        g_return_val_if_reached(g_strdup("{}\n"));
    }
}

/* ---- status ----------------------------------------------------------------------------- */

static void
line_bytes(GString *out, const gchar *label, const CvU64Field *f)
{
    g_autofree gchar *v = NULL;

    if (f->state == CV_FIELD_ABSENT)
        return;
    v = cv_cli_format_field_bytes(f);
    g_string_append_printf(out, "%s: %s\n", label, v);
}

static void
line_count(GString *out, const gchar *label, const CvU64Field *f, const gchar *unit)
{
    g_autofree gchar *v = NULL;

    if (f->state == CV_FIELD_ABSENT)
        return;
    v = format_field_count(f);
    g_string_append_printf(out, "%s: %s%s%s\n", label, v,
                           unit != NULL && cv_field_valid(f) ? " " : "",
                           unit != NULL && cv_field_valid(f) ? unit : "");
}

gchar *
cv_cli_format_status(const CvSample *s, const CvParams *p, const CvPolicy *policy,
                     const CvDecision *now, const CvDecision *would)
{
    GString *out = g_string_new(NULL);

    /* The order and labels of QEMU's HMP `info migrate`, sizes in QEMU 10.1+ units. */
    g_string_append_printf(out, "Migration status: %s\n", cv_migration_status_to_string(s->status));
    if (s->error_desc[0] != '\0')
        g_string_append_printf(out, "error: %s\n", s->error_desc);
    line_count(out, "total time", &s->total_time_ms, "ms");
    line_count(out, "expected downtime", &s->expected_downtime_ms, "ms");
    line_count(out, "downtime", &s->downtime_ms, "ms");
    line_count(out, "setup", &s->setup_time_ms, "ms");
    line_bytes(out, "transferred ram", &s->ram_transferred);
    if (s->ram_mbps.state == CV_FIELD_VALID)
        g_string_append_printf(out, "throughput: %.2f mbps\n", s->ram_mbps.value);
    else if (s->ram_mbps.state == CV_FIELD_INVALID)
        g_string_append(out, "throughput: invalid\n");
    line_bytes(out, "remaining ram", &s->ram_remaining);
    line_bytes(out, "remaining (all devices)", &s->remaining);
    line_bytes(out, "total ram", &s->ram_total);
    line_count(out, "duplicate", &s->ram_duplicate, "pages");
    line_count(out, "normal", &s->ram_normal, "pages");
    line_bytes(out, "normal bytes", &s->ram_normal_bytes);
    if (cv_field_valid(&s->ram_dirty_pages_rate) && s->ram_dirty_pages_rate.value > 0)
        line_count(out, "dirty pages rate", &s->ram_dirty_pages_rate, "pages");
    line_count(out, "dirty sync count", &s->ram_dirty_sync_count, NULL);
    line_bytes(out, "page size", &s->ram_page_size);
    line_count(out, "pages-per-second", &s->ram_pages_per_second, NULL);
    line_bytes(out, "precopy ram", &s->ram_precopy_bytes);
    if (cv_field_valid(&s->ram_downtime_bytes) && s->ram_downtime_bytes.value > 0)
        line_bytes(out, "downtime ram", &s->ram_downtime_bytes);
    if (cv_field_valid(&s->ram_postcopy_bytes) && s->ram_postcopy_bytes.value > 0)
        line_bytes(out, "postcopy ram", &s->ram_postcopy_bytes);
    line_bytes(out, "vfio device transferred", &s->vfio_transferred);
    line_count(out, "cpu throttle percentage", &s->cpu_throttle_percentage, NULL);

    g_string_append(out, "\n");
    {
        g_autofree gchar *limit = cv_cli_format_field_ms(&p->downtime_limit_ms);
        g_autofree gchar *maxbw = cv_field_valid(&p->max_bandwidth)
                                      ? format_rate(p->max_bandwidth.value)
                                      : cv_cli_format_field_bytes(&p->max_bandwidth);
        g_autofree gchar *asb = NULL;

        if (!cv_params_supports_switchover_bandwidth(p))
            asb = g_strdup("not supported by this QEMU");
        else if (cv_field_valid(&p->avail_switchover_bandwidth))
            asb = p->avail_switchover_bandwidth.value > 0
                      ? format_rate(p->avail_switchover_bandwidth.value)
                      : g_strdup("0 (measured rate)");
        else
            asb = g_strdup("invalid");
        g_string_append_printf(out, "downtime-limit: %s\n", limit);
        g_string_append_printf(out, "max-bandwidth: %s\n", maxbw);
        g_string_append_printf(out, "avail-switchover-bandwidth: %s\n", asb);
    }
    g_string_append(out, "\n");
    g_string_append_printf(out, "policy: %s (max-downtime %" G_GUINT64_FORMAT " ms)\n",
                           policy->name, policy->max_downtime_ms);
    g_string_append_printf(out, "verdict: %s\n", cv_verdict_to_string(now->verdict));
    if (now->reason[0] != '\0')
        g_string_append_printf(out, "  %s\n", now->reason);
    if (would != NULL && would->kind != CV_DECISION_NONE) {
        g_autofree gchar *what = cv_cli_format_decision_action(would->kind, would->value);

        g_string_append_printf(out, "would set now: %s%s\n", what,
                               would->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH
                                   ? " (then a downtime-limit from QEMU's new expected-downtime)"
                                   : "");
        if (would->reason[0] != '\0')
            g_string_append_printf(out, "  %s\n", would->reason);
        if (would->source != CV_ESTIMATE_NONE)
            g_string_append_printf(out, "  estimate: %s\n",
                                   cv_estimate_source_to_string(would->source));
    } else {
        g_string_append(out, "would set now: nothing\n");
    }
    return g_string_free(out, FALSE);
}

gchar *
cv_cli_format_status_json(const CvSample *s, const CvParams *p, const CvPolicy *policy,
                          const CvDecision *now, const CvDecision *would)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_str(b, "record", "status");
    json_sample_members(b, s);
    json_builder_set_member_name(b, "params");
    json_builder_begin_object(b);
    json_params_members(b, p);
    json_builder_end_object(b);
    json_str(b, "policy", policy->name);
    json_int(b, "max-downtime-ms", (gint64)policy->max_downtime_ms);
    json_builder_set_member_name(b, "decision");
    json_builder_begin_object(b);
    json_decision_members(b, now);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "would-set");
    if (would != NULL && would->kind != CV_DECISION_NONE) {
        json_builder_begin_object(b);
        json_decision_members(b, would);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
    return json_finish(b);
}

/* ---- watch ------------------------------------------------------------------------------ */

gchar *
cv_cli_format_sparkline(const guint64 *values, const gboolean *valid, gsize n, gsize width)
{
    static const gchar *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    GString *out = g_string_new(NULL);
    gsize start = n > width ? n - width : 0;
    guint64 lo = G_MAXUINT64, hi = 0;

    for (gsize i = start; i < n; i++) {
        if (!valid[i])
            continue;
        lo = MIN(lo, values[i]);
        hi = MAX(hi, values[i]);
    }
    for (gsize i = start; i < n; i++) {
        gsize level;

        if (!valid[i]) {
            g_string_append_c(out, ' ');
            continue;
        }
        if (hi == lo)
            level = hi == 0 ? 0 : G_N_ELEMENTS(blocks) / 2;
        else
            level = (gsize)((gdouble)(values[i] - lo) * (G_N_ELEMENTS(blocks) - 1) /
                                (gdouble)(hi - lo) +
                            0.5);
        g_string_append(out, blocks[MIN(level, G_N_ELEMENTS(blocks) - 1)]);
    }
    return g_string_free(out, FALSE);
}

const gchar *
cv_cli_format_arrow(guint64 before, guint64 now, gboolean ascii)
{
    /* Within 1 %: steady. */
    guint64 tol = MAX(before, now) / 100;

    if (now + tol < before)
        return ascii ? "v" : "↓";
    if (now > before + tol)
        return ascii ? "^" : "↑";
    return ascii ? "=" : "→";
}

static gchar *
trend(const guint64 *values, const gboolean *valid, gsize n, gboolean ascii)
{
    g_autofree gchar *spark = NULL;
    const gchar *arrow = " ";

    if (n >= 2 && valid[n - 1] && valid[n - 2])
        arrow = cv_cli_format_arrow(values[n - 2], values[n - 1], ascii);
    if (ascii)
        return g_strdup(arrow);
    spark = cv_cli_format_sparkline(values, valid, n, 24);
    return g_strdup_printf("%s %s", arrow, spark);
}

gchar *
cv_cli_format_watch(const CvCliWatchView *v)
{
    GString *out = g_string_new(NULL);
    const CvSample *s = v->sample;
    guint64 pending = 0, bps = 0;
    gboolean system_wide = FALSE;
    g_autofree gchar *remaining = NULL;
    g_autofree gchar *expected = cv_cli_format_field_ms(&s->expected_downtime_ms);
    g_autofree gchar *limit = cv_cli_format_field_ms(&v->params->downtime_limit_ms);
    g_autofree gchar *total = cv_cli_format_field_ms(&s->total_time_ms);
    g_autofree gchar *pass = format_field_count(&s->ram_dirty_sync_count);
    g_autofree gchar *rt = trend(v->remaining_history, v->remaining_valid, v->n_history, v->ascii);
    g_autofree gchar *et = trend(v->expected_history, v->expected_valid, v->n_history, v->ascii);
    g_autofree gchar *throughput = NULL;
    g_autofree gchar *action = NULL;

    if (cv_sample_pending(s, &pending, &system_wide)) {
        gchar buf[32];

        cv_format_bytes(pending, buf, sizeof(buf));
        remaining = g_strdup_printf("%s (%s)", buf, system_wide ? "all devices" : "RAM only");
    } else {
        remaining = g_strdup("-");
    }
    throughput = cv_sample_throughput(s, &bps) ? format_rate(bps) : g_strdup("-");
    g_string_append_printf(out, "virt-converge watch %s   (q or Ctrl-C to quit)\n\n", v->target);
    g_string_append_printf(out, "  status            %s\n",
                           cv_migration_status_to_string(s->status));
    g_string_append_printf(out, "  total time        %s\n", total);
    g_string_append_printf(out, "  pass              %s\n", pass);
    g_string_append_printf(out, "  remaining         %-28s %s\n", remaining, rt);
    g_string_append_printf(out, "  expected downtime %-28s %s\n", expected, et);
    g_string_append_printf(out, "  throughput        %s\n", throughput);
    g_string_append_printf(out, "  downtime-limit    %s\n", limit);
    if (v->decision != NULL) {
        action = cv_cli_format_decision_action(v->decision->kind, v->decision->value);
        g_string_append_printf(out, "  verdict           %s\n",
                               cv_verdict_to_string(v->decision->verdict));
        g_string_append_printf(out, "  engine would      %s\n", action);
        if (v->decision->reason[0] != '\0')
            g_string_append_printf(out, "                    %s\n", v->decision->reason);
    }
    return g_string_free(out, FALSE);
}

/* ---- policies --------------------------------------------------------------------------- */

static gchar *
format_escalation(const CvPolicy *policy)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < policy->n_escalation && i < CV_POLICY_MAX_ESCALATION; i++) {
        if (i > 0)
            g_string_append(out, ", ");
        g_string_append(out, cv_escalation_action_to_string(policy->escalation[i].action));
        if (policy->escalation[i].bound_ms > 0)
            g_string_append_printf(out, " (%" G_GUINT64_FORMAT " ms)",
                                   policy->escalation[i].bound_ms);
    }
    if (out->len == 0)
        g_string_append(out, "-");
    return g_string_free(out, FALSE);
}

/* Inside the cap rule's text, a space that must not break a line ("500 ms", "1.00 GiB/s"). */
#define GLUE '\x1f'

/* switchover-bandwidth as the policy states it: a rate, off, or learned (with its bound). */
static gchar *
format_switchover_setting(const CvPolicy *p)
{
    if (p->switchover_learned && p->switchover_learned_max > 0) {
        g_autofree gchar *max = format_rate(p->switchover_learned_max);
        return g_strdup_printf("learned, at most %s", max);
    }
    if (p->switchover_learned)
        return g_strdup("learned");
    return p->switchover_bandwidth > 0 ? format_rate(p->switchover_bandwidth) : g_strdup("off");
}

/* What `learned` means, for policy show; NULL when the policy states a rate or none. */
static gchar *
format_learned_rule(const CvPolicy *p)
{
    g_autofree gchar *bound = NULL;

    if (!p->switchover_learned)
        return NULL;
    if (p->switchover_learned_max > 0) {
        g_autofree gchar *max = format_rate(p->switchover_learned_max);

        g_strdelimit(max, " ", GLUE);
        bound = g_strdup_printf(", never above %s", max);
    }
    return g_strdup_printf(
        "switchover-bandwidth = learned: the link's rate is learned from this host's completed "
        "migrations to the same destination, as the lowest of bytes sent while the guest was "
        "stopped (RAM's downtime-bytes, plus a VFIO device's stop-copy size on QEMU 11.1+) over "
        "the downtime it got (without downtime-bytes, as from libvirt 9.0's job statistics: RAM's "
        "bytes over a job window that holds the blackout), among the last learned-window "
        "([daemon]) of them, once "
        "learned-min exist%s. The blackout's fixed costs count as time, so the rate errs low: a "
        "later switchover, never a longer pause. Blackouts under 64 MiB or 50 ms are not "
        "recorded. [daemon] migration-interface's speed and link only lower it. Until a rate is "
        "learned the policy behaves as off (virt-converged gives it [daemon] link when that is "
        "stated). virt-converge migrate learns per destination host, tune and simulate per "
        "--destination; virt-converged, which cannot tell a migration's destination, uses the "
        "host-wide key 'any' (every migration is recorded there too). policy show NAME --for "
        "DEST shows what was learned.",
        bound != NULL ? bound : "");
}

/* The cap as this policy applies it, the rule of cv-policy.h in words (one paragraph, GLUE
 * between a number and its unit). */
static gchar *
format_cap_rule(const CvPolicy *p)
{
    g_autofree gchar *stated = NULL;
    guint64 reserve = cv_policy_reserve(p);
    guint64 room = p->max_downtime_ms - reserve;
    g_autofree gchar *head = g_strdup_printf(
        "max-downtime bounds the blackout, which is downtime-limit plus what QEMU's threshold "
        "does not count (vCPU stop, device state outside remaining, the last sync): "
        "switchover-reserve keeps %" G_GUINT64_FORMAT "\x1fms of the %" G_GUINT64_FORMAT
        "\x1fms for it",
        reserve, p->max_downtime_ms);

    if (p->switchover_bandwidth == 0)
        return g_strdup_printf(
            "%s. No link rate is stated, so downtime-limit never exceeds %" G_GUINT64_FORMAT
            "\x1fms. A limit someone else set is never lowered; the engine's own are lowered "
            "when a bound requires it.",
            head, room);
    stated = format_rate(p->switchover_bandwidth);
    g_strdelimit(stated, " ", GLUE);
    return g_strdup_printf(
        "%s. On QEMU 8.2+ avail-switchover-bandwidth is set to "
        "%s (unless someone else set one) and downtime-limit never exceeds "
        "%" G_GUINT64_FORMAT "\x1fms. On older QEMU (no "
        "VFIO device) downtime-limit may exceed it only while max-bandwidth is set, non-zero "
        "and at most %s (libvirt's unlimited allows nothing above the cap): up to "
        "%" G_GUINT64_FORMAT "\x1fms x %s / max-bandwidth, rounded down to 10\x1fms, with a "
        "predicted blackout of limit x max-bandwidth / %s + %" G_GUINT64_FORMAT
        "\x1fms; both numbers are reported. Checked "
        "at every evaluation: when max-bandwidth rises, the engine lowers its own limit at "
        "once. A limit someone else set is never lowered.",
        head, stated, room, stated, room, stated, stated, reserve);
}

/* The patience as this policy applies it: the trade-off of time against pause, in words. */
static gchar *
format_patience_rule(const CvPolicy *p)
{
    g_autofree gchar *patience = NULL;

    if (p->patience_ms == 0)
        return g_strdup("patience off: no convergence forecast; a migration counts as stalled "
                        "when pending did not fall by stall-min-progress over the stall window, "
                        "and is then given a longer downtime-limit.");
    patience = g_strdup_printf("%.0f\x1fs", (gdouble)p->patience_ms / 1000.0);
    return g_strdup_printf(
        "patience: at every iteration the engine forecasts from QEMU's numbers whether the "
        "migration converges by itself at its current downtime-limit. Within %s it is left "
        "alone and pays no longer pause; if it never converges at that limit (pending does not "
        "shrink, or the guest dirties at least 95%% of what QEMU sends), or only later, the "
        "engine accepts the longer pause at once. A longer patience means fewer and later "
        "changes (longer migrations, shorter pauses); a shorter one, sooner completion with "
        "longer pauses, up to max-downtime. When even max-downtime cannot converge it, the raise "
        "to max-downtime waits for the patience too, while escalation runs. Without a forecast "
        "(too few iterations yet, rates unknown) the stall window decides.",
        patience);
}

/* @text as "# " comment lines of at most @width columns, GLUE printed as a space. */
static void
append_comment(GString *out, const gchar *text, gsize width)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    gsize col = 0;

    for (guint i = 0; words[i] != NULL; i++) {
        gsize len = strlen(words[i]);

        g_strdelimit(words[i], "\x1f", ' ');

        if (col > 0 && col + 1 + len > width) {
            g_string_append_c(out, '\n');
            col = 0;
        }
        if (col == 0) {
            g_string_append(out, "# ");
            col = 2;
        } else {
            g_string_append_c(out, ' ');
            col++;
        }
        g_string_append(out, words[i]);
        col += len;
    }
    if (col > 0)
        g_string_append_c(out, '\n');
}

gchar *
cv_cli_format_policy(const CvPolicy *p)
{
    GString *out = g_string_new(NULL);
    g_autofree gchar *rate = format_switchover_setting(p);
    g_autofree gchar *escalation = format_escalation(p);

    g_string_append_printf(out, "[policy:%s]\n", p->name);
    g_string_append_printf(out, "max-downtime = %" G_GUINT64_FORMAT " ms\n", p->max_downtime_ms);
    g_string_append_printf(out, "switchover-reserve = %" G_GUINT64_FORMAT " ms\n",
                           cv_policy_reserve(p));
    g_string_append_printf(out, "margin = %.0f%%\n", p->margin * 100.0);
    g_string_append_printf(out, "switchover-bandwidth = %s\n", rate);
    if (p->patience_ms > 0)
        g_string_append_printf(out, "patience = %" G_GUINT64_FORMAT " ms\n", p->patience_ms);
    else
        g_string_append(out, "patience = off\n");
    g_string_append_printf(out, "stall-window = %u passes, %" G_GUINT64_FORMAT " ms\n",
                           p->stall_window_passes, p->stall_window_ms);
    g_string_append_printf(out, "stall-min-progress = %.1f%%\n", p->stall_min_progress * 100.0);
    g_string_append_printf(out, "escalation = %s\n", escalation);
    g_string_append_printf(out, "wait-time = %" G_GUINT64_FORMAT " ms\n", p->wait_time_ms);
    if (p->completion_timeout_ms > 0)
        g_string_append_printf(out, "completion-timeout = %" G_GUINT64_FORMAT " ms\n",
                               p->completion_timeout_ms);
    else if (p->completion_timeout_ms_per_gib > 0)
        g_string_append_printf(out, "completion-timeout = %" G_GUINT64_FORMAT " ms/GiB\n",
                               p->completion_timeout_ms_per_gib);
    else
        g_string_append(out, "completion-timeout = none\n");
    g_string_append_printf(out, "on-outside-change = %s\n",
                           cv_config_outside_change_to_string(p->on_outside_change));
    {
        g_autofree gchar *rule = format_cap_rule(p);
        g_autofree gchar *patience = format_patience_rule(p);

        g_autofree gchar *learned = format_learned_rule(p);

        append_comment(out, rule, 92);
        if (learned != NULL)
            append_comment(out, learned, 92);
        append_comment(out, patience, 92);
    }
    return g_string_free(out, FALSE);
}

gchar *
cv_cli_format_policy_json(const CvPolicy *p)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_str(b, "record", "policy");
    json_str(b, "name", p->name);
    json_int(b, "max-downtime-ms", (gint64)p->max_downtime_ms);
    json_int(b, "switchover-reserve-ms", (gint64)cv_policy_reserve(p));
    /* percentages rounded to 0.001 %, so the JSON does not print binary noise */
    json_builder_set_member_name(b, "margin-percent");
    json_builder_add_double_value(b, round(p->margin * 100000.0) / 1000.0);
    json_int(b, "switchover-bandwidth", (gint64)p->switchover_bandwidth);
    json_bool(b, "switchover-bandwidth-learned", p->switchover_learned);
    json_int(b, "switchover-bandwidth-learned-max", (gint64)p->switchover_learned_max);
    json_int(b, "patience-ms", (gint64)p->patience_ms);
    json_int(b, "stall-window-passes", p->stall_window_passes);
    json_int(b, "stall-window-ms", (gint64)p->stall_window_ms);
    json_builder_set_member_name(b, "stall-min-progress-percent");
    json_builder_add_double_value(b, round(p->stall_min_progress * 100000.0) / 1000.0);
    json_builder_set_member_name(b, "escalation");
    json_builder_begin_array(b);
    for (guint i = 0; i < p->n_escalation && i < CV_POLICY_MAX_ESCALATION; i++) {
        json_builder_begin_object(b);
        json_str(b, "action", cv_escalation_action_to_string(p->escalation[i].action));
        json_int(b, "bound-ms", (gint64)p->escalation[i].bound_ms);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_int(b, "wait-time-ms", (gint64)p->wait_time_ms);
    json_int(b, "completion-timeout-ms", (gint64)p->completion_timeout_ms);
    json_int(b, "completion-timeout-ms-per-gib", (gint64)p->completion_timeout_ms_per_gib);
    {
        g_autofree gchar *rule = format_cap_rule(p);

        g_strdelimit(rule, "\x1f", ' ');
        json_str(b, "cap-rule", rule);
    }
    {
        g_autofree gchar *rule = format_patience_rule(p);

        g_strdelimit(rule, "\x1f", ' ');
        json_str(b, "patience-rule", rule);
    }
    json_str(b, "on-outside-change", cv_config_outside_change_to_string(p->on_outside_change));
    json_builder_end_object(b);
    return json_finish(b);
}

gchar *
cv_cli_format_destination_from_uri(const gchar *uri)
{
    g_autoptr(GUri) parsed = NULL;
    const gchar *host;

    if (uri == NULL)
        return NULL;
    /* QEMU's tcp:HOST:PORT */
    if (g_str_has_prefix(uri, "tcp:") && !g_str_has_prefix(uri, "tcp://")) {
        const gchar *h = uri + 4;
        const gchar *colon = strrchr(h, ':');

        if (*h == '[') {
            const gchar *end = strchr(h, ']');

            return end != NULL && end > h + 1 ? g_strndup(h + 1, (gsize)(end - h - 1)) : NULL;
        }
        return colon != NULL && colon > h ? g_strndup(h, (gsize)(colon - h)) : NULL;
    }
    parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    if (parsed == NULL)
        return NULL;
    host = g_uri_get_host(parsed);
    /* qemu:///system, qemu+unix:///...: this host's own libvirt */
    if (host == NULL || *host == '\0')
        return g_strdup("localhost");
    return g_ascii_strdown(host, -1);
}
