/* Golden tests of the CLI's pure formatting: each row renders one thing and compares it with
 * tests/data/cli/NAME.out. CV_TEST_REGENERATE=1 rewrites the files (then review the diff). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-cli-format.h"

#define GiB (G_GUINT64_CONSTANT(1) << 30)
#define MiB (G_GUINT64_CONSTANT(1) << 20)

/* ---- inputs ----------------------------------------------------------------------------- */

/* QEMU 11.1, the 2 GiB vGPU case once RAM is drained: 1.91 GiB flat. */
static void
sample_vgpu(CvSample *s)
{
    cv_sample_init(s);
    s->time_ms = 336900;
    s->status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s->total_time_ms, 336900);
    cv_field_set(&s->setup_time_ms, 62);
    cv_field_set(&s->expected_downtime_ms, 1910);
    cv_field_set(&s->ram_transferred, G_GUINT64_CONSTANT(13636896768));
    cv_field_set(&s->ram_remaining, 12 * MiB);
    cv_field_set(&s->ram_total, 32 * GiB);
    cv_field_set(&s->ram_duplicate, 7745576);
    cv_field_set(&s->ram_normal, 3306906);
    cv_field_set(&s->ram_normal_bytes, G_GUINT64_CONSTANT(13545086976));
    cv_field_set(&s->ram_dirty_pages_rate, 8039);
    s->ram_mbps.state = CV_FIELD_VALID;
    s->ram_mbps.value = 459.87;
    cv_field_set(&s->ram_dirty_sync_count, 247045);
    cv_field_set(&s->ram_page_size, 4096);
    cv_field_set(&s->ram_pages_per_second, 14010);
    cv_field_set(&s->ram_precopy_bytes, G_GUINT64_CONSTANT(13636896768));
    cv_field_set(&s->ram_downtime_bytes, 0);
    cv_field_set(&s->ram_postcopy_bytes, 0);
    cv_field_set(&s->remaining, G_GUINT64_CONSTANT(2050846720));
    cv_field_set(&s->vfio_transferred, 2 * GiB);
}

/* Real QEMU 7.2 capture (samples/qemu-7.2-r64-bw64-active-01.json). */
static void
sample_qemu72(CvSample *s)
{
    cv_sample_init(s);
    s->time_ms = 1509;
    s->status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s->total_time_ms, 1509);
    cv_field_set(&s->setup_time_ms, 1);
    cv_field_set(&s->expected_downtime_ms, 999);
    cv_field_set(&s->ram_transferred, 107425802);
    cv_field_set(&s->ram_remaining, 27918336);
    cv_field_set(&s->ram_total, 268967936);
    cv_field_set(&s->ram_duplicate, 49167);
    cv_field_set(&s->ram_normal, 26068);
    cv_field_set(&s->ram_normal_bytes, 106774528);
    cv_field_set(&s->ram_dirty_pages_rate, 16063);
    s->ram_mbps.state = CV_FIELD_VALID;
    s->ram_mbps.value = 537.1329599999999;
    cv_field_set(&s->ram_dirty_sync_count, 2);
    cv_field_set(&s->ram_page_size, 4096);
    cv_field_set(&s->ram_pages_per_second, 16360);
    cv_field_set(&s->ram_precopy_bytes, 107425802);
    cv_field_set(&s->ram_downtime_bytes, 0);
    cv_field_set(&s->ram_postcopy_bytes, 0);
}

static void
sample_garbage(CvSample *s)
{
    sample_vgpu(s);
    s->remaining.state = CV_FIELD_INVALID;
    s->expected_downtime_ms.state = CV_FIELD_INVALID;
    s->ram_mbps.state = CV_FIELD_INVALID;
}

static void
params_11(CvParams *p)
{
    cv_params_init(p);
    cv_field_set(&p->downtime_limit_ms, 300);
    cv_field_set(&p->max_bandwidth, 134217728);
    cv_field_set(&p->avail_switchover_bandwidth, 0);
    p->events = CV_TRI_YES;
    p->postcopy_ram = CV_TRI_NO;
}

static void
params_72(CvParams *p)
{
    cv_params_init(p);
    cv_field_set(&p->downtime_limit_ms, 300);
    cv_field_set(&p->max_bandwidth, 67108864);
    p->events = CV_TRI_NO;
    p->postcopy_ram = CV_TRI_NO;
}

static void
policy_vgpu(CvPolicy *p)
{
    memset(p, 0, sizeof(*p));
    g_strlcpy(p->name, "vgpu-10g", sizeof(p->name));
    p->max_downtime_ms = 2500;
    p->switchover_reserve_ms = 100;
    p->margin = 0.10;
    p->switchover_bandwidth = GiB;
    p->patience_ms = 120000;
    p->stall_window_passes = 3;
    p->stall_window_ms = 10000;
    p->stall_min_progress = 0.04;
    p->escalation[0].action = CV_ESCALATION_WAIT;
    p->escalation[1].action = CV_ESCALATION_ABORT;
    p->escalation[1].bound_ms = 60000;
    p->n_escalation = 2;
    p->wait_time_ms = 120000;
    p->completion_timeout_ms_per_gib = 800000;
}

static void
decision(CvDecision *d, CvDecisionKind kind, CvVerdict verdict, guint64 value,
         CvEstimateSource source, const gchar *reason)
{
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->verdict = verdict;
    d->value = value;
    d->source = source;
    if (kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
        d->needed_downtime_ms = 1910;
        d->predicted_blackout_ms = value;
    }
    g_strlcpy(d->reason, reason, sizeof(d->reason));
}

static void
action(CvTunerAction *a, CvDecisionKind kind, guint64 value, guint64 previous, CvTunerResult result,
       const gchar *error)
{
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->value = value;
    cv_field_set(&a->previous, previous);
    a->result = result;
    cv_field_set(&a->pass, 247046);
    a->time_ms = 337400;
    g_strlcpy(a->reason, "stalled: pending 1.91 GiB flat over 3 iterations and 10.0 s",
              sizeof(a->reason));
    if (error != NULL)
        g_strlcpy(a->error, error, sizeof(a->error));
}

static void
summary_completed(CvTunerSummary *sum)
{
    memset(sum, 0, sizeof(*sum));
    sum->outcome = CV_TUNER_OUTCOME_COMPLETED;
    sum->final_status = CV_MIGRATION_STATUS_COMPLETED;
    g_strlcpy(sum->policy, "vgpu-10g", sizeof(sum->policy));
    g_strlcpy(sum->message, "the migration completed", sizeof(sum->message));
    sum->max_downtime_ms = 2500;
    sum->elapsed_ms = 341200;
    cv_field_set(&sum->total_time_ms, 341180);
    cv_field_set(&sum->downtime_ms, 1968);
    cv_field_set(&sum->passes, 247049);
    cv_field_set(&sum->downtime_limit_ms, 2101);
    cv_field_set(&sum->lower_bound_ms, 1910);
    sum->lower_bound_bytes = G_GUINT64_CONSTANT(2050846720);
    sum->lower_bound_rate = GiB;
    sum->estimate = CV_ESTIMATE_QEMU_ALL_DEVICES;
    sum->system_wide_remaining = CV_TRI_YES;
    sum->switchover_bandwidth = CV_TRI_YES;
    sum->n_evaluations = 17;
    sum->n_changes = 2;
    sum->n_actions = 2;
    sum->n_action_entries = 2;
    action(&sum->actions[0], CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0, CV_TUNER_RESULT_APPLIED,
           NULL);
    action(&sum->actions[1], CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 300, CV_TUNER_RESULT_APPLIED,
           NULL);
    sum->actions[1].pass.value = 247047;
    sum->actions[1].time_ms = 339900;
}

static void
summary_failed(CvTunerSummary *sum)
{
    summary_completed(sum);
    sum->outcome = CV_TUNER_OUTCOME_FAILED;
    sum->final_status = CV_MIGRATION_STATUS_FAILED;
    g_strlcpy(sum->message, "the migration failed: Unable to write to socket: Broken pipe",
              sizeof(sum->message));
    sum->downtime_ms.state = CV_FIELD_ABSENT;
    sum->lower_bound_ms.state = CV_FIELD_ABSENT;
    sum->downtime_limit_ms.value = 300;
    sum->n_restores = 2;
    sum->n_restore_failures = 1;
    action(&sum->restores[0], CV_DECISION_SET_DOWNTIME_LIMIT, 300, 2101, CV_TUNER_RESULT_APPLIED,
           NULL);
    action(&sum->restores[1], CV_DECISION_SET_SWITCHOVER_BANDWIDTH, 0, GiB, CV_TUNER_RESULT_FAILED,
           "migrate-set-parameters: QEMU went away");
}

static void
summary_72_dry_run(CvTunerSummary *sum)
{
    memset(sum, 0, sizeof(*sum));
    sum->outcome = CV_TUNER_OUTCOME_DETACHED;
    sum->final_status = CV_MIGRATION_STATUS_ACTIVE;
    sum->dry_run = TRUE;
    g_strlcpy(sum->policy, "default", sizeof(sum->policy));
    g_strlcpy(sum->message, "stopped watching a running migration", sizeof(sum->message));
    sum->max_downtime_ms = 500;
    sum->elapsed_ms = 12000;
    cv_field_set(&sum->total_time_ms, 12100);
    cv_field_set(&sum->passes, 15);
    cv_field_set(&sum->downtime_limit_ms, 300);
    sum->estimate = CV_ESTIMATE_PENDING_OVER_RATE;
    sum->system_wide_remaining = CV_TRI_NO;
    sum->switchover_bandwidth = CV_TRI_NO;
    sum->n_evaluations = 10;
    sum->n_actions = 70;
    sum->n_action_entries = 1;
    action(&sum->actions[0], CV_DECISION_SET_DOWNTIME_LIMIT, 1100, 300, CV_TUNER_RESULT_DRY_RUN,
           NULL);
    sum->actions[0].repeats = 70;
    cv_field_set(&sum->actions[0].last_pass, 247115);
    sum->actions[0].last_time_ms = 359100;
}

/* ---- renderers -------------------------------------------------------------------------- */

static gchar *
render_iterations(void)
{
    GString *out = g_string_new(NULL);
    CvSample s;
    CvParams p;
    CvDecision d;
    g_autofree gchar *header = cv_cli_format_table_header();
    g_autofree gchar *l1 = NULL, *l2 = NULL, *l3 = NULL, *l4 = NULL, *l5 = NULL;

    g_string_append(out, header);
    params_11(&p);
    sample_vgpu(&s);
    decision(&d, CV_DECISION_NONE, CV_VERDICT_WARMUP, 0, CV_ESTIMATE_NONE,
             "stall window (3 iterations and 10.0 s) not filled yet: 2 boundaries");
    l1 = cv_cli_format_iteration(326900, &s, &d, &p);
    decision(&d, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, CV_VERDICT_STALLED, GiB, CV_ESTIMATE_NONE,
             "stalled: pending 1.91 GiB, -0.0 % over 4410 iterations and 10.0 s; "
             "avail-switchover-bandwidth 0 B/s -> 1.00 GiB/s first (the link's rate)");
    l2 = cv_cli_format_iteration(336900, &s, &d, &p);
    cv_field_set(&p.avail_switchover_bandwidth, GiB);
    decision(&d, CV_DECISION_SET_DOWNTIME_LIMIT, CV_VERDICT_STALLED, 2101,
             CV_ESTIMATE_QEMU_ALL_DEVICES,
             "stalled; needed 1910 ms (expected-downtime, all devices) x 1.10 -> downtime-limit "
             "2101 ms (cap 2500 ms)");
    l3 = cv_cli_format_iteration(346900, &s, &d, &p);
    sample_qemu72(&s);
    params_72(&p);
    decision(&d, CV_DECISION_NONE, CV_VERDICT_WARMUP, 0, CV_ESTIMATE_NONE, "");
    l4 = cv_cli_format_iteration(1509, &s, &d, &p);
    sample_garbage(&s);
    decision(&d, CV_DECISION_NONE, CV_VERDICT_BLIND, 0, CV_ESTIMATE_NONE,
             "blind: system-wide remaining is invalid");
    l5 = cv_cli_format_iteration(400000, &s, &d, &p);
    g_string_append(out, l1);
    g_string_append(out, l2);
    g_string_append(out, l3);
    g_string_append(out, l4);
    g_string_append(out, l5);
    return g_string_free(out, FALSE);
}

static gchar *
render_attach_11(void)
{
    CvParams p;
    CvPolicy policy;
    CvTunerRecord r = {.kind = CV_TUNER_RECORD_ATTACH};

    params_11(&p);
    policy_vgpu(&policy);
    r.target = "qmp:/run/vm1.qmp";
    r.version = "11.1.0";
    r.events = TRUE;
    r.params = &p;
    r.policy = &policy;
    return cv_cli_format_attach(&r);
}

static gchar *
render_attach_72(void)
{
    CvParams p;
    CvPolicy policy;
    CvTunerRecord r = {.kind = CV_TUNER_RECORD_ATTACH};

    params_72(&p);
    policy_vgpu(&policy);
    r.target = "qmp:/run/vm1.qmp";
    r.version = "7.2.22";
    r.events = FALSE;
    r.message = "cannot enable migration events (There's a migration process in progress)";
    r.params = &p;
    r.policy = &policy;
    r.dry_run = TRUE;
    return cv_cli_format_attach(&r);
}

static gchar *
render_actions(void)
{
    GString *out = g_string_new(NULL);
    CvTunerAction a;
    gchar *line;

    action(&a, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, GiB, 0, CV_TUNER_RESULT_APPLIED, NULL);
    line = cv_cli_format_action(&a, FALSE);
    g_string_append(out, line);
    g_free(line);
    action(&a, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 300, CV_TUNER_RESULT_DRY_RUN, NULL);
    line = cv_cli_format_action(&a, FALSE);
    g_string_append(out, line);
    g_free(line);
    action(&a, CV_DECISION_SET_DOWNTIME_LIMIT, 9000, 300, CV_TUNER_RESULT_REFUSED,
           "downtime-limit 9000 ms is above the cap of 2500 ms without a predicted blackout "
           "within it");
    line = cv_cli_format_action(&a, FALSE);
    g_string_append(out, line);
    g_free(line);
    action(&a, CV_DECISION_ABORT, 0, 0, CV_TUNER_RESULT_FAILED, "migrate_cancel: GenericError");
    a.previous.state = CV_FIELD_ABSENT;
    line = cv_cli_format_action(&a, FALSE);
    g_string_append(out, line);
    g_free(line);
    action(&a, CV_DECISION_SET_DOWNTIME_LIMIT, 300, 2101, CV_TUNER_RESULT_APPLIED, NULL);
    line = cv_cli_format_action(&a, TRUE);
    g_string_append(out, line);
    g_free(line);
    action(&a, CV_DECISION_PAUSE_GUEST, 0, 0, CV_TUNER_RESULT_APPLIED, NULL);
    line = cv_cli_format_action(&a, TRUE);
    g_string_append(out, line);
    g_free(line);
    line = cv_cli_format_notice(12345, "estimate: pending / switchover bandwidth");
    g_string_append(out, line);
    g_free(line);
    return g_string_free(out, FALSE);
}

static gchar *
render_summary_completed(void)
{
    CvTunerSummary sum;

    summary_completed(&sum);
    return cv_cli_format_summary(&sum);
}

/* The simulator's link (10 Gbit) beats the policy's stated 1 GiB/s: said so. */
static gchar *
render_summary_below_bound(void)
{
    CvTunerSummary sum;

    summary_completed(&sum);
    sum.downtime_ms.value = 1781;
    return cv_cli_format_summary(&sum);
}

static gchar *
render_summary_failed(void)
{
    CvTunerSummary sum;

    summary_failed(&sum);
    return cv_cli_format_summary(&sum);
}

static gchar *
render_summary_72_dry_run(void)
{
    CvTunerSummary sum;

    summary_72_dry_run(&sum);
    return cv_cli_format_summary(&sum);
}

static gchar *
render_json_records(void)
{
    GString *out = g_string_new(NULL);
    CvSample s;
    CvParams p;
    CvPolicy policy;
    CvDecision d;
    CvTunerAction a;
    CvTunerSummary sum;
    CvTunerRecord r;
    gchar *text;

    params_11(&p);
    policy_vgpu(&policy);
    memset(&r, 0, sizeof(r));
    r.kind = CV_TUNER_RECORD_ATTACH;
    r.target = "qmp:/run/vm1.qmp";
    r.version = "11.1.0";
    r.events = TRUE;
    r.params = &p;
    r.policy = &policy;
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);

    memset(&r, 0, sizeof(r));
    r.kind = CV_TUNER_RECORD_NOTICE;
    r.time_ms = 10;
    r.message = "pending: system-wide remaining (RAM and device state, QEMU 11.1+)";
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);

    sample_vgpu(&s);
    decision(&d, CV_DECISION_SET_DOWNTIME_LIMIT, CV_VERDICT_STALLED, 2101,
             CV_ESTIMATE_QEMU_ALL_DEVICES, "needed 1910 ms x 1.10 -> 2101 ms");
    memset(&r, 0, sizeof(r));
    r.kind = CV_TUNER_RECORD_SAMPLE;
    r.time_ms = 336900;
    r.sample = &s;
    r.decision = &d;
    r.params = &p;
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);

    sample_garbage(&s);
    sample_garbage(&s);
    decision(&d, CV_DECISION_NONE, CV_VERDICT_BLIND, 0, CV_ESTIMATE_NONE,
             "blind: system-wide remaining is invalid");
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);

    action(&a, CV_DECISION_SET_DOWNTIME_LIMIT, 2101, 300, CV_TUNER_RESULT_APPLIED, NULL);
    a.predicted_blackout_ms = 2101;
    memset(&r, 0, sizeof(r));
    r.kind = CV_TUNER_RECORD_ACTION;
    r.action = &a;
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);

    r.kind = CV_TUNER_RECORD_RESTORE;
    action(&a, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, 0, GiB, CV_TUNER_RESULT_FAILED,
           "QEMU went away");
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);

    summary_completed(&sum);
    memset(&r, 0, sizeof(r));
    r.kind = CV_TUNER_RECORD_SUMMARY;
    r.summary = &sum;
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);
    summary_failed(&sum);
    text = cv_cli_format_record_json(&r);
    g_string_append(out, text);
    g_free(text);
    return g_string_free(out, FALSE);
}

static gchar *
render_status_72(void)
{
    CvSample s;
    CvParams p;
    CvPolicy policy;
    CvDecision now, would;

    sample_qemu72(&s);
    params_72(&p);
    policy_vgpu(&policy);
    decision(&now, CV_DECISION_NONE, CV_VERDICT_WARMUP, 0, CV_ESTIMATE_NONE,
             "stall window (3 iterations and 10.0 s) not filled yet: 1 boundaries");
    decision(&would, CV_DECISION_SET_DOWNTIME_LIMIT, CV_VERDICT_STALLED, 1100,
             CV_ESTIMATE_QEMU_RAM_ONLY,
             "needed 999 ms (expected-downtime, RAM only, no VFIO) x 1.10 -> downtime-limit "
             "1100 ms; predicted blackout 60 ms at 1.00 GiB/s within cap 500 ms");
    return cv_cli_format_status(&s, &p, &policy, &now, &would);
}

static gchar *
render_status_11_json(void)
{
    CvSample s;
    CvParams p;
    CvPolicy policy;
    CvDecision now;

    sample_vgpu(&s);
    params_11(&p);
    policy_vgpu(&policy);
    decision(&now, CV_DECISION_NONE, CV_VERDICT_WARMUP, 0, CV_ESTIMATE_NONE, "one reading");
    return cv_cli_format_status_json(&s, &p, &policy, &now, NULL);
}

static gchar *
render_status_none(void)
{
    CvSample s;
    CvParams p;
    CvPolicy policy;
    CvDecision now;

    cv_sample_init(&s);
    s.status = CV_MIGRATION_STATUS_NONE;
    params_11(&p);
    policy_vgpu(&policy);
    decision(&now, CV_DECISION_NONE, CV_VERDICT_BLIND, 0, CV_ESTIMATE_NONE,
             "blind: no migration (status none)");
    return cv_cli_format_status(&s, &p, &policy, &now, NULL);
}

static void
trend_values(guint64 *values, gboolean *valid, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        values[i] = 2 * GiB - i * 64 * MiB + (i % 3) * 16 * MiB;
        valid[i] = i != 5;
    }
}

static gchar *
render_trend(void)
{
    guint64 values[30];
    gboolean valid[30];
    const guint64 flat[] = {5, 5, 5};
    const gboolean flat_valid[] = {TRUE, TRUE, TRUE};
    g_autofree gchar *s1 = NULL, *s2 = NULL, *s3 = NULL;

    trend_values(values, valid, G_N_ELEMENTS(values));
    s1 = cv_cli_format_sparkline(values, valid, G_N_ELEMENTS(values), 24);
    s2 = cv_cli_format_sparkline(flat, flat_valid, 3, 24);
    s3 = cv_cli_format_sparkline(values, valid, 0, 24);
    return g_strdup_printf("[%s]\n[%s]\n[%s]\n%s %s %s %s %s %s\n", s1, s2, s3,
                           cv_cli_format_arrow(100, 50, FALSE), cv_cli_format_arrow(50, 100, FALSE),
                           cv_cli_format_arrow(100, 100, FALSE), cv_cli_format_arrow(100, 50, TRUE),
                           cv_cli_format_arrow(50, 100, TRUE),
                           cv_cli_format_arrow(1000, 995, TRUE));
}

static gchar *
render_watch(gboolean ascii)
{
    CvSample s;
    CvParams p;
    CvDecision d;
    guint64 rem[10], exp[10];
    gboolean rv[10], ev[10];
    CvCliWatchView v = {0};

    sample_vgpu(&s);
    params_11(&p);
    decision(&d, CV_DECISION_SET_SWITCHOVER_BANDWIDTH, CV_VERDICT_STALLED, GiB, CV_ESTIMATE_NONE,
             "stalled: pending 1.91 GiB flat");
    trend_values(rem, rv, 10);
    for (guint i = 0; i < 10; i++) {
        exp[i] = 31000 + i * 10;
        ev[i] = TRUE;
    }
    v.target = "qmp:/run/vm1.qmp";
    v.sample = &s;
    v.params = &p;
    v.decision = &d;
    v.remaining_history = rem;
    v.remaining_valid = rv;
    v.expected_history = exp;
    v.expected_valid = ev;
    v.n_history = 10;
    v.ascii = ascii;
    return cv_cli_format_watch(&v);
}

static gchar *
render_watch_utf8(void)
{
    return render_watch(FALSE);
}

static gchar *
render_watch_ascii(void)
{
    return render_watch(TRUE);
}

static gchar *
render_policy(void)
{
    CvPolicy p;
    g_autofree gchar *text = NULL;
    g_autofree gchar *json = NULL;

    policy_vgpu(&p);
    text = cv_cli_format_policy(&p);
    json = cv_cli_format_policy_json(&p);
    return g_strconcat(text, json, NULL);
}

/* switchover-bandwidth = learned, at most 25Gbit: shown as written, what it means said once,
 * and no stated rate behind it (the cap rule is the one without a link rate). */
static gchar *
render_policy_learned(void)
{
    CvPolicy p;
    g_autofree gchar *text = NULL;
    g_autofree gchar *json = NULL;

    policy_vgpu(&p);
    p.switchover_bandwidth = 0;
    p.switchover_learned = TRUE;
    p.switchover_learned_max = G_GUINT64_CONSTANT(3125000000);
    text = cv_cli_format_policy(&p);
    json = cv_cli_format_policy_json(&p);
    return g_strconcat(text, json, NULL);
}

static gchar *
render_fields(void)
{
    CvU64Field valid = {CV_FIELD_VALID, 2050846720};
    CvU64Field invalid = {CV_FIELD_INVALID, 1};
    CvU64Field absent = {CV_FIELD_ABSENT, 0};
    CvU64Field small = {CV_FIELD_VALID, 900};
    g_autofree gchar *a = cv_cli_format_field_bytes(&valid);
    g_autofree gchar *b = cv_cli_format_field_bytes(&invalid);
    g_autofree gchar *c = cv_cli_format_field_bytes(&absent);
    g_autofree gchar *d = cv_cli_format_field_bytes(&small);
    g_autofree gchar *e = cv_cli_format_field_ms(&small);
    g_autofree gchar *f = cv_cli_format_seconds(336900);
    g_autofree gchar *g = cv_cli_format_seconds(50);
    g_autofree gchar *h =
        cv_cli_format_decision_action(CV_DECISION_SET_SWITCHOVER_BANDWIDTH, 10 * GiB / 8);
    g_autofree gchar *i = cv_cli_format_decision_action(CV_DECISION_START_POSTCOPY, 0);
    g_autofree gchar *j = cv_cli_format_decision_action(CV_DECISION_NONE, 0);

    return g_strdup_printf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n%s %s %s %s %s\n", a, b, c, d, e, f, g,
                           h, i, j, cv_cli_estimate_source_id(CV_ESTIMATE_NONE),
                           cv_cli_estimate_source_id(CV_ESTIMATE_QEMU_ALL_DEVICES),
                           cv_cli_estimate_source_id(CV_ESTIMATE_QEMU_RAM_ONLY),
                           cv_cli_estimate_source_id(CV_ESTIMATE_PENDING_OVER_RATE),
                           cv_cli_estimate_source_id(CV_ESTIMATE_LADDER));
}

/* An operator changed downtime-limit after the tuner raised it: the notice, the restore left
 * alone, the summary, and the same as JSON records. */
static gchar *
render_outside_change(void)
{
    GString *out = g_string_new(NULL);
    CvTunerSummary sum;
    CvU64Field before, after;
    CvTunerRecord notice = {.kind = CV_TUNER_RECORD_NOTICE};
    CvTunerRecord restore = {.kind = CV_TUNER_RECORD_RESTORE};
    CvTunerRecord end = {.kind = CV_TUNER_RECORD_SUMMARY};
    const gchar *message =
        "downtime-limit changed behind us: 2101 -> 1500 ms (not by virt-converge)";
    gchar *text;

    summary_failed(&sum);
    sum.downtime_limit_ms.value = 1500;
    sum.n_restore_failures = 0;
    sum.n_restores_left_alone = 1;
    action(&sum.restores[0], CV_DECISION_SET_DOWNTIME_LIMIT, 300, 1500, CV_TUNER_RESULT_LEFT_ALONE,
           "someone else set 1500 ms after virt-converge set 2101 ms; not restored to 300 ms");
    action(&sum.restores[1], CV_DECISION_SET_SWITCHOVER_BANDWIDTH, 0, GiB, CV_TUNER_RESULT_APPLIED,
           NULL);
    cv_field_set(&before, 2101);
    cv_field_set(&after, 1500);
    notice.time_ms = 338000;
    notice.message = message;
    notice.parameter = "downtime-limit";
    notice.before = &before;
    notice.after = &after;
    restore.action = &sum.restores[0];
    end.summary = &sum;

    text = cv_cli_format_notice(notice.time_ms, message);
    g_string_append(out, text);
    g_free(text);
    text = cv_cli_format_action(&sum.restores[0], TRUE);
    g_string_append(out, text);
    g_free(text);
    text = cv_cli_format_summary(&sum);
    g_string_append(out, text);
    g_free(text);
    g_string_append_c(out, '\n');
    text = cv_cli_format_record_json(&notice);
    g_string_append(out, text);
    g_free(text);
    text = cv_cli_format_record_json(&restore);
    g_string_append(out, text);
    g_free(text);
    text = cv_cli_format_record_json(&end);
    g_string_append(out, text);
    g_free(text);
    return g_string_free(out, FALSE);
}

/* A migration that completed above its cap: the summary says so in words and in numbers, the
 * exit code is its own, and the JSON carries achieved downtime, cap and the flag. */
static gchar *
render_summary_cap_broken(void)
{
    GString *out = g_string_new(NULL);
    CvTunerSummary sum;
    CvTunerRecord end = {.kind = CV_TUNER_RECORD_SUMMARY, .summary = &sum};
    gchar *text;

    summary_completed(&sum);
    sum.outcome = CV_TUNER_OUTCOME_CAP_BROKEN;
    sum.cap_broken = TRUE;
    sum.max_downtime_ms = 500;
    sum.downtime_ms.value = 1299;
    sum.downtime_limit_ms.value = 5360;
    g_strlcpy(sum.message,
              "the migration completed, but the guest was paused 1299 ms, above the policy's cap "
              "of 500 ms (downtime-limit at the end: 5360 ms, set by virt-converge)",
              sizeof(sum.message));
    sum.n_epochs = 1;
    sum.n_reconnects = 2;
    text = cv_cli_format_summary(&sum);
    g_string_append(out, text);
    g_free(text);
    g_string_append_c(out, '\n');
    text = cv_cli_format_record_json(&end);
    g_string_append(out, text);
    g_free(text);
    return g_string_free(out, FALSE);
}

/* The restore's re-read failed: the limit is left as it is, "left-alone (unverified)". */
static gchar *
render_restore_unverified(void)
{
    GString *out = g_string_new(NULL);
    CvTunerSummary sum;
    CvTunerRecord restore = {.kind = CV_TUNER_RECORD_RESTORE};
    CvTunerRecord end = {.kind = CV_TUNER_RECORD_SUMMARY, .summary = &sum};
    gchar *text;

    summary_failed(&sum);
    sum.downtime_limit_ms.value = 2101;
    sum.n_restore_failures = 0;
    sum.n_restores = 2;
    sum.n_restores_unverified = 1;
    action(&sum.restores[0], CV_DECISION_SET_DOWNTIME_LIMIT, 300, 2101,
           CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED,
           "cannot re-read it (query-migrate-parameters: the reply is not an object): "
           "left as it is (virt-converge last knew 2101 ms), not restored to 300 ms");
    action(&sum.restores[1], CV_DECISION_PAUSE_GUEST, 0, 0, CV_TUNER_RESULT_APPLIED, NULL);
    restore.action = &sum.restores[0];
    text = cv_cli_format_action(&sum.restores[0], TRUE);
    g_string_append(out, text);
    g_free(text);
    text = cv_cli_format_summary(&sum);
    g_string_append(out, text);
    g_free(text);
    g_string_append_c(out, '\n');
    text = cv_cli_format_record_json(&restore);
    g_string_append(out, text);
    g_free(text);
    text = cv_cli_format_record_json(&end);
    g_string_append(out, text);
    g_free(text);
    return g_string_free(out, FALSE);
}

/* ---- the golden table ------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    gchar *(*render)(void);
} GoldenRow;

static const GoldenRow rows[] = {
    {"fields", render_fields},
    {"iterations", render_iterations},
    {"attach-11.1", render_attach_11},
    {"attach-7.2-polling", render_attach_72},
    {"actions", render_actions},
    {"summary-completed", render_summary_completed},
    {"summary-below-bound", render_summary_below_bound},
    {"summary-failed-restore", render_summary_failed},
    {"summary-7.2-dry-run", render_summary_72_dry_run},
    {"outside-change", render_outside_change},
    {"summary-cap-broken", render_summary_cap_broken},
    {"restore-unverified", render_restore_unverified},
    {"json-records", render_json_records},
    {"status-7.2", render_status_72},
    {"status-11.1-json", render_status_11_json},
    {"status-none", render_status_none},
    {"trend", render_trend},
    {"watch-utf8", render_watch_utf8},
    {"watch-ascii", render_watch_ascii},
    {"policy", render_policy},
    {"policy-learned", render_policy_learned},
};

static void
test_golden(gconstpointer data)
{
    const GoldenRow *row = data;
    g_autofree gchar *name = g_strconcat(row->name, ".out", NULL);
    g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "data", "cli", name, NULL);
    g_autofree gchar *actual = row->render();
    g_autofree gchar *expected = NULL;
    g_autoptr(GError) error = NULL;

    if (g_strcmp0(g_getenv("CV_TEST_REGENERATE"), "1") == 0) {
        g_assert_true(g_file_set_contents(path, actual, -1, &error));
        g_assert_no_error(error);
        return;
    }
    if (!g_file_get_contents(path, &expected, NULL, &error)) {
        g_test_message("missing %s (run with CV_TEST_REGENERATE=1)", path);
        g_assert_no_error(error);
    }
    g_assert_true(g_utf8_validate(actual, -1, NULL));
    g_assert_cmpstr(actual, ==, expected);
}

/* Every JSON line parses: the records are what scripts consume. */
static void
test_json_lines_parse(void)
{
    g_autofree gchar *text = render_json_records();
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = 0;

    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        JsonObject *obj;

        if (lines[i][0] == '\0')
            continue;
        g_assert_true(json_parser_load_from_data(parser, lines[i], -1, &error));
        g_assert_no_error(error);
        obj = json_node_get_object(json_parser_get_root(parser));
        g_assert_true(json_object_has_member(obj, "record"));
        n++;
    }
    g_assert_cmpuint(n, ==, 10);
}

/* The learned rate's destination key of a migration URI: one GTest path per row. */
typedef struct {
    const gchar *name;
    const gchar *uri;
    const gchar *key; /* NULL: none */
} DestRow;

static const DestRow dest_rows[] = {
    {"ssh", "qemu+ssh://HostB.example.com/system", "hostb.example.com"},
    {"tcp-port", "qemu+tcp://10.0.0.2:16509/system", "10.0.0.2"},
    {"migrateuri", "tcp://10.1.0.2:49152", "10.1.0.2"},
    {"qemu-tcp", "tcp:10.1.0.3:4444", "10.1.0.3"},
    {"qemu-tcp-ipv6", "tcp:[fd00::2]:4444", "fd00::2"},
    {"uri-ipv6", "qemu+tcp://[fd00::3]/system", "fd00::3"},
    {"local", "qemu:///system", "localhost"},
    {"unix-socket", "qemu+unix:///system?socket=/run/x.sock", "localhost"},
    {"garbage", "not a uri", NULL},
    {"qemu-tcp-no-port", "tcp:hostc", NULL},
    {"qemu-tcp-empty-ipv6", "tcp:[]:1", NULL},
};

static void
test_destination(gconstpointer data)
{
    const DestRow *row = data;
    g_autofree gchar *key = cv_cli_format_destination_from_uri(row->uri);

    g_assert_cmpstr(key, ==, row->key);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/cli-format/golden/%s", rows[i].name);

        g_test_add_data_func(path, &rows[i], test_golden);
    }
    g_test_add_func("/cli-format/json-lines-parse", test_json_lines_parse);
    for (gsize i = 0; i < G_N_ELEMENTS(dest_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/cli-format/destination/%s", dest_rows[i].name);

        g_test_add_data_func(path, &dest_rows[i], test_destination);
    }
    return g_test_run();
}
