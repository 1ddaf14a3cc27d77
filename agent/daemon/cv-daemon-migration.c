/* One migration the daemon tunes: a CvTuner on a target from the watch's source, and the glue
 * from the tuner's records to everything the daemon publishes.
 *
 *   gate (before a change leaves)  the shared link first (a change that lets QEMU switch over
 *                                  waits while another migration holds the link), then the
 *                                  crash-safe record: the value about to be set is on disk,
 *                                  fsynced, before the command goes. A record that cannot be
 *                                  written refuses the change and the migration is only watched.
 *   ATTACH                         the parameters found; the runtime document.
 *   NOTICE of an outside change    log (who, as far as we can tell), history, metrics; then the
 *                                  policy's on-outside-change: yield (watch only) or keep tuning.
 *   SAMPLE                         runtime document, metrics gauges.
 *   ACTION / RESTORE               log with DECISION/VALUE/RESULT/REASON, history, counters.
 *   SUMMARY                        log, history "outcome", counters; the record is removed, or
 *                                  kept when the daemon stops (the next start adopts or restores)
 *                                  or when a restore could not be done or verified. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "cv-daemon-log.h"
#include "cv-daemon-private.h"
#include "cv-learned-store.h"
#include "cv-runtime-doc.h"
#include "cv-state-store.h"
#include "cv-tuner-report.h"

#define START_TIMEOUT_MS 15000

static CvLogContext
log_context(const CvDaemonMigration *m)
{
    CvLogContext ctx = {m->domain, m->id, m->watch->uri, m->policy.name};

    return ctx;
}

static JsonBuilder *
history_begin(const CvDaemonMigration *m, const gchar *event)
{
    CvHistoryHeader header = {
        .time_us = g_get_real_time(),
        .event = event,
        .migration_id = m->id,
        .domain = m->domain,
        .uri = m->watch->uri,
        .policy = m->policy.name,
    };

    return cv_history_begin(&header);
}

static void
json_str(JsonBuilder *b, const gchar *name, const gchar *value)
{
    if (value == NULL)
        return;
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void
json_u64(JsonBuilder *b, const gchar *name, guint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)MIN(value, (guint64)G_MAXINT64));
}

static void
json_field(JsonBuilder *b, const gchar *name, const CvU64Field *f)
{
    json_builder_set_member_name(b, name);
    if (cv_field_valid(f))
        json_builder_add_int_value(b, (gint64)MIN(f->value, (guint64)G_MAXINT64));
    else
        json_builder_add_null_value(b);
}

static gboolean
is_parameter(CvDecisionKind kind)
{
    return kind == CV_DECISION_SET_DOWNTIME_LIMIT || kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH;
}

static const gchar *
unit_of(CvDecisionKind kind)
{
    return kind == CV_DECISION_SET_DOWNTIME_LIMIT ? "ms" : "bytes/s";
}

static const gchar *
policy_source_name(CvConfigSource source)
{
    return cv_config_source_to_string(source);
}

/* ---- what the CLI sees -------------------------------------------------------------------- */

static const gchar *
holder_domain(CvDaemonMigration *m)
{
    const gchar *holder = cv_link_get_holder(m->watch->link);
    CvDaemonMigration *h =
        holder != NULL ? cv_daemon_find_migration_by_id(m->daemon, holder) : NULL;

    return h != NULL ? h->domain : holder;
}

static void
write_runtime(CvDaemonMigration *m)
{
    g_autoptr(GError) error = NULL;
    CvRuntimeLink link = {0};
    CvRuntimeStatus st = {
        .migration_id = m->id,
        .uri = m->watch->uri,
        .domain = m->domain,
        .domain_uuid = m->uuid,
        .policy = m->policy.name,
        .policy_source = m->policy_source,
        .state = m->yielded   ? "yielded"
                 : m->dry_run ? "dry-run"
                              : "tuning",
        .state_reason = m->yielded ? m->yield_reason : NULL,
        .adopted = m->adopted,
        .started_us = m->started_us,
        .updated_us = g_get_real_time(),
        .sample = m->have_sample ? &m->sample : NULL,
        .params = m->have_params ? &m->params : NULL,
        .decision = m->have_decision ? &m->decision : NULL,
        .rate_source = m->policy.switchover_bandwidth > 0 ? "stated" : "measured",
        .switchover_rate = m->policy.switchover_bandwidth,
        .rate_detail = m->rate_source,
        .n_changes = m->n_changes,
    };

    if (m->in_link) {
        link.rate = m->policy.switchover_bandwidth;
        link.position = cv_link_get_position(m->watch->link, m->id);
        link.state = link.position == 0 ? "switching-over" : link.position > 0 ? "waiting" : NULL;
        link.holder = holder_domain(m);
        st.link = &link;
    }
    if (m->finished)
        return;
    if (!cv_runtime_doc_write(m->daemon->runtime_dir, &st, &error))
        g_info("%s: runtime document: %s", m->domain, error->message);
}

static void
update_metrics(CvDaemonMigration *m)
{
    CvMetricsMigration mm = {
        .migration_id = m->id,
        .domain = m->domain,
        .uri = m->watch->uri,
        .policy = m->policy.name,
    };
    guint64 pending = 0;

    if (m->have_sample && cv_sample_pending(&m->sample, &pending, NULL))
        cv_field_set(&mm.pending, pending);
    if (m->have_sample)
        mm.expected_downtime = m->sample.expected_downtime_ms;
    if (m->have_params)
        mm.downtime_limit = m->params.downtime_limit_ms;
    mm.have_verdict = m->have_decision;
    mm.verdict = m->decision.verdict;
    cv_metrics_set_migration(m->daemon->metrics, &mm);
    cv_daemon_publish_metrics(m->daemon);
}

/* ---- the link ----------------------------------------------------------------------------- */

static void
link_release(CvDaemonMigration *m, const gchar *why)
{
    gboolean held_it = g_strcmp0(cv_link_get_holder(m->watch->link), m->id) == 0;

    if (!m->in_link)
        return;
    cv_link_release(m->watch->link, m->id);
    m->link_granted = FALSE;
    if (held_it) {
        CvLogContext ctx = log_context(m);

        cv_log_migration(G_LOG_LEVEL_INFO, NULL, &ctx, NULL, "%s: the link is free (%s)", m->domain,
                         why);
    }
}

static void
history_link(CvDaemonMigration *m, const gchar *action, const gchar *message)
{
    g_autoptr(JsonBuilder) b = history_begin(m, CV_HISTORY_EVENT_LINK);

    json_str(b, "action", action);
    json_u64(b, "rate", m->policy.switchover_bandwidth);
    json_str(b, "message", message);
    cv_daemon_history_append(m->daemon, b);
}

/* A change that lets QEMU switch over: a raise, a switchover bandwidth, post-copy, a pause. */
static gboolean
lets_it_switch_over(const CvTunerChange *c)
{
    const CvDecision *d = c->decision;
    const CvU64Field *now = &c->current->downtime_limit_ms;

    switch (d->kind) {
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        return !cv_field_valid(now) || d->value > now->value;
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
        return d->value > 0;
    case CV_DECISION_START_POSTCOPY:
    case CV_DECISION_PAUSE_GUEST:
        return TRUE;
    case CV_DECISION_ABORT:
    case CV_DECISION_NONE:
    default:
        return FALSE;
    }
}

static CvTunerGate
link_gate(CvDaemonMigration *m, const CvTunerChange *c, gchar *why, gsize why_len)
{
    CvLogContext ctx = log_context(m);
    const gchar *expired = NULL;
    gchar rate[32];
    CvLinkVerdict verdict;

    cv_format_rate(m->policy.switchover_bandwidth, rate, sizeof(rate));
    verdict = cv_link_request(m->watch->link, m->id, cv_clock_now_ms(m->daemon->clock), &expired);
    if (expired != NULL) {
        CvDaemonMigration *e = cv_daemon_find_migration_by_id(m->daemon, expired);
        g_autofree gchar *msg = g_strdup_printf(
            "%s held the link for its whole lease (%d s) without switching over: the others go "
            "first, and its raised limit still stands (their blackouts may overlap)",
            e != NULL ? e->domain : expired, CV_LINK_LEASE_MS / 1000);

        cv_log_migration(G_LOG_LEVEL_MESSAGE, NULL, &ctx, NULL, "link: %s", msg);
        if (e != NULL) {
            e->link_granted = FALSE;
            history_link(e, "lease-expired", msg);
        }
    }
    if (verdict == CV_LINK_HELD) {
        const gchar *holder = holder_domain(m);
        gint pos = cv_link_get_position(m->watch->link, m->id);

        if (holder != NULL)
            g_snprintf(why, why_len,
                       "the link (%s) is busy: %s switches over first; %d in line before this "
                       "one; the limit is held",
                       rate, holder, MAX(pos - 1, 0));
        else
            g_snprintf(why, why_len,
                       "the link (%s) is free but %d migration(s) asked first; the limit is held",
                       rate, MAX(pos - 1, 0));
        write_runtime(m);
        return CV_TUNER_GATE_HOLD;
    }
    if (!m->link_granted) {
        g_autofree gchar *msg =
            g_strdup_printf("%s may switch over now, alone on the link (%s)", m->domain, rate);

        m->link_granted = TRUE;
        cv_log_migration(G_LOG_LEVEL_MESSAGE, NULL, &ctx, NULL, "link: %s", msg);
        history_link(m, "granted", msg);
    }
    return CV_TUNER_GATE_PROCEED;
}

/* ---- the crash-safe record ---------------------------------------------------------------- */

static CvStateParamId
param_of(CvDecisionKind kind)
{
    return kind == CV_DECISION_SET_DOWNTIME_LIMIT ? CV_STATE_PARAM_DOWNTIME_LIMIT
                                                  : CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH;
}

static void
set_original(CvStateParam *p, const CvU64Field *found)
{
    if (cv_field_valid(found) && found->value <= G_MAXINT64)
        p->original = *found;
    else
        p->original.state = CV_FIELD_ABSENT;
}

/* Write the value about to be set into the record, durably, before the command leaves. */
static gboolean
record_change(CvDaemonMigration *m, const CvTunerChange *c, GError **error)
{
    g_autoptr(CvStateRecord) next =
        m->record != NULL ? cv_state_record_copy(m->record) : cv_state_record_new();
    const CvU64Field *found[CV_STATE_N_PARAMS] = {
        [CV_STATE_PARAM_DOWNTIME_LIMIT] = &c->original->downtime_limit_ms,
        [CV_STATE_PARAM_MAX_BANDWIDTH] = &c->original->max_bandwidth,
        [CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH] = &c->original->avail_switchover_bandwidth,
    };

    if (m->record == NULL) {
        next->migration_id = g_strdup(m->id);
        next->uri = g_strdup(m->watch->uri);
        next->domain = g_strdup(m->domain);
        next->domain_uuid = g_strdup(m->uuid);
        next->boot_id = g_strdup(m->daemon->boot_id);
        next->created_us = g_get_real_time();
    }
    g_free(next->policy);
    next->policy = g_strdup(m->policy.name);
    g_free(next->policy_sha256);
    next->policy_sha256 = g_strdup(m->policy_sha256);
    next->daemon_pid = (guint32)getpid();
    next->updated_us = MAX(g_get_real_time(), next->created_us);
    /* Until we change a parameter, what it holds is what a restore would go back to: someone
     * may have moved it since the record was first written. */
    for (guint i = 0; i < CV_STATE_N_PARAMS; i++) {
        if (next->params[i].n_ours == 0)
            set_original(&next->params[i], found[i]);
    }
    cv_state_record_add_ours(next, param_of(c->decision->kind), c->decision->value);
    if (!cv_state_store_save(m->daemon->store, next, error))
        return FALSE;
    g_clear_pointer(&m->record, cv_state_record_free);
    m->record = g_steal_pointer(&next);
    return TRUE;
}

static CvTunerGate
gate_cb(CvTuner *tuner, const CvTunerChange *c, gchar *why, gsize why_len, gpointer user_data)
{
    CvDaemonMigration *m = user_data;
    g_autoptr(GError) error = NULL;
    gboolean asked_link = FALSE;

    m->gate_refused = FALSE;
    if (m->in_link && lets_it_switch_over(c)) {
        CvTunerGate g = link_gate(m, c, why, why_len);

        if (g != CV_TUNER_GATE_PROCEED)
            return g;
        asked_link = TRUE;
    }
    if (is_parameter(c->decision->kind) && !record_change(m, c, &error)) {
        CvLogContext ctx = log_context(m);

        g_snprintf(why, why_len,
                   "not sent: the state record cannot be written (%s), and a change that could "
                   "not be undone after a crash is not made",
                   error->message);
        cv_log_migration(G_LOG_LEVEL_WARNING, NULL, &ctx, NULL,
                         "%s: %s; watching this migration only from now on", m->domain, why);
        m->gate_refused = TRUE;
        if (asked_link)
            link_release(m, "its change was not made");
        cv_tuner_set_watch_only(m->tuner, TRUE, "the state record cannot be written");
        return CV_TUNER_GATE_REFUSE;
    }
    return CV_TUNER_GATE_PROCEED;
}

/* ---- outside changes ---------------------------------------------------------------------- */

/* Who changed it, as far as we can tell: libvirt names no client, so the values say what
 * they can. */
static gchar *
who_changed(CvDaemonMigration *m, const CvTunerRecord *r, gboolean ending)
{
    CvStateParamId id = g_str_equal(r->parameter, "downtime-limit") ? CV_STATE_PARAM_DOWNTIME_LIMIT
                        : g_str_equal(r->parameter, "avail-switchover-bandwidth")
                            ? CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH
                            : CV_STATE_PARAM_MAX_BANDWIDTH;
    const CvStateParam *p = m->record != NULL ? &m->record->params[id] : NULL;

    if (p != NULL && cv_field_valid(r->after) && cv_field_valid(&p->original) &&
        r->after->value == p->original.value)
        return g_strdup(ending ? "libvirt, as far as we can tell: it puts back the value it saved "
                                 "when a migration job fails or is cancelled"
                               : "someone put back the value found before our first change "
                                 "(libvirt does not say who)");
    /* libvirt 9.0 resets max-bandwidth (to unlimited) when a job fails or is cancelled */
    if (ending && g_str_equal(r->parameter, "max-bandwidth"))
        return g_strdup("libvirt, as far as we can tell: it resets the migration's bandwidth "
                        "when the job ends");
    if (g_str_equal(r->parameter, "max-bandwidth"))
        return g_strdup("another client of libvirt (virsh migrate-setspeed, a management "
                        "layer); libvirt does not say which");
    return g_strdup("another client of libvirt (virsh migrate-setmaxdowntime, a management "
                    "layer) or of QEMU's monitor; not virt-converged (no such value of ours in "
                    "this migration); libvirt does not say which");
}

static void
outside_change(CvDaemonMigration *m, const CvTunerRecord *r)
{
    CvLogContext ctx = log_context(m);
    CvLogDetails details = {.parameter = r->parameter};
    gboolean ending = cv_tuner_get_summary(m->tuner)->outcome != CV_TUNER_OUTCOME_RUNNING;
    gboolean tuned = g_str_equal(r->parameter, "downtime-limit") ||
                     g_str_equal(r->parameter, "avail-switchover-bandwidth");
    gboolean ours_before = m->record != NULL;
    g_autofree gchar *who = who_changed(m, r, ending);
    g_autoptr(JsonBuilder) b = history_begin(m, CV_HISTORY_EVENT_OUTSIDE_CHANGE);
    const gchar *response, *action;

    if (ending) {
        action = "none";
        response = "none (the migration has ended)";
    } else if (!tuned) {
        action = "keep-tuning";
        response = "kept tuning (the engine takes the new value into account)";
    } else if (!ours_before) {
        action = "keep-tuning";
        response = "kept tuning (nothing of ours was changed yet; their value is never lowered)";
    } else if (m->yielded) {
        action = "none";
        response = "none (already yielded)";
    } else if (m->policy.on_outside_change == CV_OUTSIDE_CHANGE_YIELD) {
        action = "yield";
        response = "yield: watching only from now on (on-outside-change = yield)";
    } else {
        action = "keep-tuning";
        response = "kept tuning (on-outside-change = keep-tuning)";
    }
    /* a parameter we never tune, changed as the job ends (libvirt's cleanup) or before our
     * first change (libvirt applying `virsh migrate --bandwidth` after we found the job): not
     * news; the history keeps it */
    cv_log_migration(!tuned && (ending || !ours_before) ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE,
                     CV_LOG_ID_OUTSIDE_CHANGE, &ctx, &details, "%s: %s; by %s; response: %s",
                     m->domain, r->message, who, response);
    json_str(b, "parameter", r->parameter);
    json_field(b, "before", r->before);
    json_field(b, "after", r->after);
    json_str(b, "unit", g_str_equal(r->parameter, "downtime-limit") ? "ms" : "bytes/s");
    json_str(b, "action", action);
    json_str(b, "by", who);
    json_str(b, "response", response);
    cv_daemon_history_append(m->daemon, b);
    cv_metrics_count_outside_change(m->daemon->metrics, r->parameter);
    if (ending || !tuned || !ours_before || m->yielded ||
        m->policy.on_outside_change != CV_OUTSIDE_CHANGE_YIELD)
        return;
    m->yielded = TRUE;
    m->yield_reason = g_strdup_printf("%s: %s", r->message, who);
    cv_tuner_set_watch_only(m->tuner, TRUE, m->yield_reason);
    link_release(m, "it yielded");
    write_runtime(m);
}

/* ---- the tuner's records ------------------------------------------------------------------ */

static void
history_action(CvDaemonMigration *m, const gchar *event, const CvTunerAction *a, gboolean restore)
{
    g_autoptr(JsonBuilder) b = history_begin(m, event);

    json_str(b, "decision",
             restore && a->kind == CV_DECISION_PAUSE_GUEST ? "resume-guest"
                                                           : cv_decision_kind_to_string(a->kind));
    if (restore)
        json_str(b, "parameter",
                 a->kind == CV_DECISION_SET_DOWNTIME_LIMIT         ? "downtime-limit"
                 : a->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH ? "avail-switchover-bandwidth"
                                                                   : "guest");
    if (is_parameter(a->kind)) {
        json_u64(b, "value", a->value);
        json_str(b, "unit", unit_of(a->kind));
        json_field(b, "previous", &a->previous);
    }
    json_str(b, "result", cv_tuner_result_to_string(a->result));
    if (a->predicted_blackout_ms > 0)
        json_u64(b, "predicted-blackout-ms", a->predicted_blackout_ms);
    json_field(b, "pass", &a->pass);
    if (a->reason[0] != '\0')
        json_str(b, "reason", a->reason);
    if (a->error[0] != '\0')
        json_str(b, "error", a->error);
    cv_daemon_history_append(m->daemon, b);
}

static void
on_action(CvDaemonMigration *m, const CvTunerAction *a)
{
    CvLogContext ctx = log_context(m);
    g_autofree gchar *value = g_strdup_printf("%" G_GUINT64_FORMAT, a->value);
    const gchar *result = cv_tuner_result_to_string(a->result);
    CvLogDetails details = {
        .decision = cv_decision_kind_to_string(a->kind),
        .value = is_parameter(a->kind) ? value : NULL,
        .unit = is_parameter(a->kind) ? unit_of(a->kind) : NULL,
        .result = result,
        .reason = a->reason,
    };
    gboolean first_hold = a->result == CV_TUNER_RESULT_HELD && !m->held;
    GLogLevelFlags level = G_LOG_LEVEL_MESSAGE;

    m->held = a->result == CV_TUNER_RESULT_HELD;
    switch (a->result) {
    case CV_TUNER_RESULT_APPLIED:
        m->n_changes++;
        break;
    case CV_TUNER_RESULT_HELD:
        /* once per wait: the engine asks again at every evaluation */
        if (!first_hold)
            return;
        break;
    case CV_TUNER_RESULT_DRY_RUN:
        /* a dry run repeats its proposal every evaluation: say each new one */
        if (a->value == m->last_dry_run_value && a->kind != CV_DECISION_NONE)
            return;
        m->last_dry_run_value = a->value;
        break;
    case CV_TUNER_RESULT_REFUSED:
        /* the actuator warned about a cap refusal itself, the gate about its own */
        if (!m->gate_refused && a->kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            cv_metrics_count_cap_refusal(m->daemon->metrics);
        break;
    case CV_TUNER_RESULT_FAILED:
        level = G_LOG_LEVEL_WARNING;
        break;
    case CV_TUNER_RESULT_LEFT_ALONE:
    case CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED:
    default:
        break;
    }
    cv_log_migration(level, CV_LOG_ID_DECISION, &ctx, &details, "%s: %s %s%s%s: %s", m->domain,
                     result, cv_decision_kind_to_string(a->kind), is_parameter(a->kind) ? " " : "",
                     is_parameter(a->kind) ? value : "",
                     a->result == CV_TUNER_RESULT_APPLIED || a->result == CV_TUNER_RESULT_DRY_RUN
                         ? a->reason
                         : a->error);
    cv_metrics_count_decision(m->daemon->metrics, cv_decision_kind_to_string(a->kind), result);
    history_action(m, CV_HISTORY_EVENT_DECISION, a, FALSE);
    write_runtime(m);
    cv_daemon_publish_metrics(m->daemon);
}

static void
on_restore(CvDaemonMigration *m, const CvTunerAction *a)
{
    CvLogContext ctx = log_context(m);
    g_autofree gchar *value = g_strdup_printf("%" G_GUINT64_FORMAT, a->value);
    const gchar *param = a->kind == CV_DECISION_SET_DOWNTIME_LIMIT ? "downtime-limit"
                         : a->kind == CV_DECISION_SET_SWITCHOVER_BANDWIDTH
                             ? "avail-switchover-bandwidth"
                             : "guest";
    CvLogDetails details = {
        .decision = "restore",
        .value = is_parameter(a->kind) ? value : NULL,
        .unit = is_parameter(a->kind) ? unit_of(a->kind) : NULL,
        .result = cv_tuner_result_to_string(a->result),
        .parameter = param,
    };

    cv_log_migration(
        a->result == CV_TUNER_RESULT_FAILED ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
        CV_LOG_ID_RESTORE, &ctx, &details, "%s: restore %s%s%s: %s%s%s", m->domain, param,
        is_parameter(a->kind) ? " to " : "", is_parameter(a->kind) ? value : "",
        cv_tuner_result_to_string(a->result), a->error[0] != '\0' ? ": " : "", a->error);
    history_action(m, CV_HISTORY_EVENT_RESTORE, a, TRUE);
}

static gboolean
record_still_needed(const CvTunerSummary *sum)
{
    /* something of ours may still be in QEMU and nobody could check */
    return sum->restore_skipped || sum->n_restore_failures > 0 || sum->n_restores_unverified > 0;
}

/* A completed migration teaches the link its blackout crossed: recorded under the host-wide
 * key (the daemon cannot tell the destination, virt-converged(8)), and said in the outcome's
 * history record, "learned": what was recorded, or why nothing was. */
static void
learn(CvDaemonMigration *m, const CvTunerSummary *sum, JsonBuilder *b)
{
    CvLogContext ctx = log_context(m);
    g_autoptr(GError) error = NULL;
    CvLearnedObservation obs;
    gchar why[384] = "";
    gboolean recorded = FALSE;

    if (sum->dry_run)
        g_strlcpy(why, "a dry run", sizeof(why));
    else if (cv_tuner_summary_observation(sum, g_get_real_time() / 1000,
                                          m->policy.switchover_bandwidth, &obs, why, sizeof(why))) {
        cv_learned_observation_set_domain(&obs, m->domain);
        recorded =
            cv_learned_store_record(m->daemon->state_dir, CV_LEARNED_ANY_DESTINATION, &obs, &error);
        if (!recorded) {
            g_snprintf(why, sizeof(why), "cannot record: %s", error->message);
            cv_log_migration(G_LOG_LEVEL_WARNING, NULL, &ctx, NULL, "%s: learned rate: %s",
                             m->domain, why);
        }
    }
    if (recorded) {
        gchar rate[32];

        cv_format_rate(cv_learned_effective_rate(&obs), rate, sizeof(rate));
        cv_log_migration(G_LOG_LEVEL_INFO, NULL, &ctx, NULL,
                         "%s: learned: %" G_GUINT64_FORMAT " bytes in a %" G_GUINT64_FORMAT
                         " ms %s (%s), recorded under '%s'",
                         m->domain, obs.blackout_bytes, obs.downtime_ms,
                         obs.source == CV_LEARNED_SOURCE_JOB_WINDOW ? "job window" : "blackout",
                         rate, CV_LEARNED_ANY_DESTINATION);
    } else if (sum->outcome == CV_TUNER_OUTCOME_COMPLETED ||
               sum->outcome == CV_TUNER_OUTCOME_CAP_BROKEN) {
        g_debug("%s: learned: nothing recorded: %s", m->domain, why);
    }
    json_builder_set_member_name(b, "learned");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "recorded");
    json_builder_add_boolean_value(b, recorded);
    json_str(b, "destination", CV_LEARNED_ANY_DESTINATION);
    if (recorded) {
        json_u64(b, "blackout-bytes", obs.blackout_bytes);
        json_u64(b, "downtime-ms", obs.downtime_ms);
        json_u64(b, "rate", cv_learned_effective_rate(&obs));
        json_str(b, "source", sum->blackout_note);
        json_str(b, "kind", cv_learned_source_to_string(obs.source));
    } else {
        json_str(b, "why", why);
    }
    json_builder_end_object(b);
}

static void
on_summary(CvDaemonMigration *m, const CvTunerSummary *sum)
{
    CvLogContext ctx = log_context(m);
    const gchar *outcome = cv_tuner_outcome_to_string(sum->outcome);
    g_autoptr(JsonBuilder) b = history_begin(m, CV_HISTORY_EVENT_OUTCOME);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *downtime =
        cv_field_valid(&sum->downtime_ms)
            ? g_strdup_printf("%" G_GUINT64_FORMAT " ms", sum->downtime_ms.value)
            : g_strdup("unknown");
    gboolean stopping = sum->outcome == CV_TUNER_OUTCOME_DETACHED && m->daemon->stopping;
    gboolean had_record = m->record != NULL;
    const gchar *record_fate = "none";

    m->finished = TRUE;
    link_release(m, "its migration ended");
    if (m->record != NULL) {
        if (stopping) {
            record_fate = "kept for the next start";
            m->daemon->n_records_kept++;
        } else if (record_still_needed(sum) && sum->outcome != CV_TUNER_OUTCOME_COMPLETED &&
                   sum->outcome != CV_TUNER_OUTCOME_CAP_BROKEN) {
            record_fate = "kept: a restore could not be done or verified; tried again at the "
                          "next scan";
            cv_daemon_keep_record(m->daemon, g_steal_pointer(&m->record));
        } else if (!cv_state_store_remove(m->daemon->store, m->id, &error)) {
            record_fate = "could not be removed";
            cv_log_migration(G_LOG_LEVEL_WARNING, NULL, &ctx, NULL, "%s: state record: %s",
                             m->domain, error->message);
        } else {
            record_fate = "removed";
        }
    }
    cv_log_migration(
        sum->outcome == CV_TUNER_OUTCOME_CAP_BROKEN ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
        CV_LOG_ID_OUTCOME, &ctx, &(CvLogDetails){.result = outcome},
        "%s: %s: %s; downtime %s (cap %" G_GUINT64_FORMAT " ms), %u change(s), %u "
        "restore(s)%s%s",
        m->domain, outcome, sum->message, downtime, sum->max_downtime_ms, sum->n_changes,
        sum->n_restores, had_record ? "; state record " : "", had_record ? record_fate : "");
    json_str(b, "outcome", outcome);
    json_str(b, "status", cv_migration_status_to_string(sum->final_status));
    json_str(b, "message", sum->message);
    json_field(b, "downtime-ms", &sum->downtime_ms);
    json_u64(b, "max-downtime-ms", sum->max_downtime_ms);
    json_field(b, "total-time-ms", &sum->total_time_ms);
    json_field(b, "passes", &sum->passes);
    json_field(b, "downtime-limit-ms", &sum->downtime_limit_ms);
    json_u64(b, "elapsed-ms", (guint64)MAX(sum->elapsed_ms, 0));
    json_u64(b, "evaluations", sum->n_evaluations);
    json_u64(b, "changes", sum->n_changes);
    json_u64(b, "restores", sum->n_restores);
    json_builder_set_member_name(b, "cap-broken");
    json_builder_add_boolean_value(b, sum->cap_broken);
    json_builder_set_member_name(b, "dry-run");
    json_builder_add_boolean_value(b, sum->dry_run);
    json_builder_set_member_name(b, "adopted");
    json_builder_add_boolean_value(b, m->adopted);
    json_builder_set_member_name(b, "yielded");
    json_builder_add_boolean_value(b, m->yielded);
    json_str(b, "record", record_fate);
    learn(m, sum, b);
    cv_daemon_history_append(m->daemon, b);
    cv_metrics_count_outcome(m->daemon->metrics, outcome);
    cv_metrics_remove_migration(m->daemon->metrics, m->id);
    if (!cv_runtime_doc_remove(m->daemon->runtime_dir, m->id, &error))
        g_info("%s: runtime document: %s", m->domain, error->message);
    cv_daemon_publish_metrics(m->daemon);
    cv_daemon_migration_ended(m->daemon, m);
}

static void
record_cb(CvTuner *tuner, const CvTunerRecord *r, gpointer user_data)
{
    CvDaemonMigration *m = user_data;
    CvLogContext ctx = log_context(m);

    switch (r->kind) {
    case CV_TUNER_RECORD_ATTACH:
        m->params = *r->params;
        m->have_params = TRUE;
        write_runtime(m);
        update_metrics(m);
        break;
    case CV_TUNER_RECORD_NOTICE:
        if (r->parameter != NULL)
            outside_change(m, r);
        else
            cv_log_migration(G_LOG_LEVEL_INFO, NULL, &ctx, NULL, "%s: %s", m->domain, r->message);
        break;
    case CV_TUNER_RECORD_SAMPLE:
        m->sample = *r->sample;
        m->have_sample = TRUE;
        m->decision = *r->decision;
        m->have_decision = TRUE;
        if (r->params != NULL) {
            m->params = *r->params;
            m->have_params = TRUE;
        }
        write_runtime(m);
        update_metrics(m);
        break;
    case CV_TUNER_RECORD_ACTION:
        on_action(m, r->action);
        break;
    case CV_TUNER_RECORD_RESTORE:
        on_restore(m, r->action);
        break;
    case CV_TUNER_RECORD_SUMMARY:
        on_summary(m, r->summary);
        break;
    default:
        break;
    }
}

/* ---- life cycle --------------------------------------------------------------------------- */

static void
adoption_from_record(const CvStateRecord *r, CvTunerAdoption *a)
{
    const CvStateParam *dt = &r->params[CV_STATE_PARAM_DOWNTIME_LIMIT];
    const CvStateParam *sw = &r->params[CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH];

    a->downtime_limit.original = dt->original;
    a->downtime_limit.ours = dt->ours;
    a->downtime_limit.n_ours = dt->n_ours;
    a->avail_switchover_bandwidth.original = sw->original;
    a->avail_switchover_bandwidth.ours = sw->ours;
    a->avail_switchover_bandwidth.n_ours = sw->n_ours;
}

CvDaemonMigration *
cv_daemon_migration_new(CvDaemon *d, CvDaemonWatch *watch, const CvDaemonDomain *dom,
                        CvStateRecord *record)
{
    g_autoptr(CvStateRecord) owned = record;
    CvDaemonMigration *m = g_new0(CvDaemonMigration, 1);
    g_autoptr(GError) md_error = NULL;
    g_autofree gchar *why = NULL;
    CvConfigSource source = CV_CONFIG_SOURCE_DEFAULT;
    CvTunerOptions opts;
    CvLogContext ctx;
    gboolean by_record = FALSE;

    m->daemon = d;
    m->watch = watch;
    m->domain = g_strdup(dom->name);
    m->uuid = g_strdup(dom->uuid);
    m->id = record != NULL ? g_strdup(record->migration_id) : g_uuid_string_random();
    m->started_us = g_get_real_time();
    m->last_dry_run_value = G_MAXUINT64;
    if (dom->xml != NULL) {
        m->metadata = cv_config_metadata_parse(dom->xml, -1, &md_error);
        if (m->metadata == NULL) {
            CvLogContext c = {m->domain, m->id, watch->uri, NULL};

            cv_log_migration(G_LOG_LEVEL_WARNING, NULL, &c, NULL,
                             "%s: ignoring the domain's metadata: %s", m->domain,
                             md_error->message);
        }
    }
    if (record != NULL)
        by_record = cv_daemon_policy_for(d, m->domain, m->metadata, record->policy, &m->policy,
                                         &source, &why, &m->rate_source);
    if (!by_record) {
        g_clear_pointer(&why, g_free);
        g_clear_pointer(&m->rate_source, g_free);
        cv_daemon_policy_for(d, m->domain, m->metadata, NULL, &m->policy, &source, &why,
                             &m->rate_source);
    }
    m->policy_source = by_record ? "record" : policy_source_name(source);
    m->policy_why = g_steal_pointer(&why);
    m->policy_sha256 = cv_daemon_policy_sha256(&m->policy);
    m->dry_run = cv_config_get_dry_run(d->config);
    m->in_link = m->policy.switchover_bandwidth > 0;
    ctx = log_context(m);
    if (record != NULL && !by_record)
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL,
                         "%s: policy '%s' of the state record is no longer defined; adopted with "
                         "'%s' (%s)",
                         m->domain, record->policy, m->policy.name, m->policy_why);
    else if (record != NULL && record->policy_sha256 != NULL &&
             g_strcmp0(record->policy_sha256, m->policy_sha256) != 0)
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL,
                         "%s: policy '%s' changed while the daemon was down: tuned with its new "
                         "version",
                         m->domain, m->policy.name);
    m->target = cv_daemon_source_new_target(watch->source, m->uuid, &m->policy,
                                            cv_config_get_monitor_commands(d->config));
    cv_tuner_options_init(&opts);
    opts.policy = m->policy;
    opts.dry_run = m->dry_run;
    /* a stopping daemon leaves the migration with what it needs */
    opts.keep = TRUE;
    opts.poll_interval_ms = cv_config_get_poll_interval_ms(d->config);
    opts.start_timeout_ms = START_TIMEOUT_MS;
    m->tuner = cv_tuner_new(m->target, d->clock, &opts);
    cv_tuner_set_record_func(m->tuner, record_cb, m);
    cv_tuner_set_gate_func(m->tuner, gate_cb, m);
    if (record != NULL) {
        CvTunerAdoption adoption;

        m->adopted = TRUE;
        m->record = g_steal_pointer(&owned);
        adoption_from_record(m->record, &adoption);
        cv_tuner_adopt(m->tuner, &adoption);
    }
    return m;
}

void
cv_daemon_migration_start(CvDaemonMigration *m)
{
    CvLogContext ctx = log_context(m);
    g_autoptr(JsonBuilder) b = history_begin(m, CV_HISTORY_EVENT_ATTACH);
    gchar rate[32] = "";

    if (m->in_link)
        cv_format_rate(m->policy.switchover_bandwidth, rate, sizeof(rate));
    cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_ATTACH, &ctx, NULL,
                     "%s: %s the outgoing migration with policy '%s' (%s)%s%s%s%s", m->domain,
                     m->adopted ? "adopted" : "tuning", m->policy.name, m->policy_why,
                     m->dry_run ? "; dry run: nothing is changed" : "",
                     m->in_link ? "; takes turns on the link (" : "", rate, m->in_link ? ")" : "");
    json_str(b, "domain-uuid", m->uuid);
    json_str(b, "policy-source", m->policy_source);
    json_str(b, "why", m->policy_why);
    json_str(b, "policy-sha256", m->policy_sha256);
    json_builder_set_member_name(b, "adopted");
    json_builder_add_boolean_value(b, m->adopted);
    json_builder_set_member_name(b, "dry-run");
    json_builder_add_boolean_value(b, m->dry_run);
    if (m->in_link)
        json_u64(b, "link-rate", m->policy.switchover_bandwidth);
    cv_daemon_history_append(m->daemon, b);
    write_runtime(m);
    cv_tuner_start(m->tuner);
}

void
cv_daemon_migration_detach(CvDaemonMigration *m)
{
    if (!m->finished)
        cv_tuner_detach(m->tuner);
}

void
cv_daemon_migration_reload(CvDaemonMigration *m)
{
    CvPolicy fresh;
    g_autofree gchar *why = NULL;
    g_autofree gchar *sha = NULL;
    g_autofree gchar *rate_source = NULL;
    CvLogContext ctx = log_context(m);

    if (m->finished)
        return;
    if (!cv_daemon_policy_for(m->daemon, m->domain, m->metadata, m->policy.name, &fresh, NULL, &why,
                              &rate_source)) {
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RELOAD, &ctx, NULL,
                         "%s: policy '%s' is no longer defined: the migration keeps the version "
                         "it started with",
                         m->domain, m->policy.name);
        return;
    }
    sha = cv_daemon_policy_sha256(&fresh);
    if (g_strcmp0(sha, m->policy_sha256) == 0)
        return;
    cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RELOAD, &ctx, NULL,
                     "%s: policy '%s' changed: the migration in flight is tuned with its new "
                     "version from now on",
                     m->domain, m->policy.name);
    if (m->in_link && fresh.switchover_bandwidth == 0)
        link_release(m, "its policy states no rate any more");
    m->policy = fresh;
    g_free(m->rate_source);
    m->rate_source = g_steal_pointer(&rate_source);
    g_free(m->policy_sha256);
    m->policy_sha256 = g_steal_pointer(&sha);
    m->in_link = m->policy.switchover_bandwidth > 0;
    cv_daemon_source_set_target_policy(m->watch->source, m->target, &m->policy);
    cv_tuner_set_policy(m->tuner, &m->policy);
    write_runtime(m);
}

void
cv_daemon_migration_free(CvDaemonMigration *m)
{
    if (m == NULL)
        return;
    if (m->in_link && m->watch->link != NULL)
        cv_link_release(m->watch->link, m->id);
    /* the tuner, then its target (which drops the tuner's callbacks still in flight) */
    g_clear_pointer(&m->tuner, cv_tuner_free);
    cv_daemon_source_free_target(m->watch->source, g_steal_pointer(&m->target));
    g_clear_pointer(&m->record, cv_state_record_free);
    g_clear_pointer(&m->metadata, cv_config_metadata_free);
    g_free(m->id);
    g_free(m->domain);
    g_free(m->uuid);
    g_free(m->policy_sha256);
    g_free(m->policy_why);
    g_free(m->rate_source);
    g_free(m->yield_reason);
    g_free(m);
}
