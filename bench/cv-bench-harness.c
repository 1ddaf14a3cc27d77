#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cv-bench-harness.h"
#include "cv-clock.h"
#include "cv-sim-link.h"
#include "cv-sim-model.h"
#include "cv-sim-server.h"
#include "cv-target-qmp.h"
#include "cv-tuner-private.h"

/* While a migration with events runs, the clock moves at most this far at once, so a pass
 * event reaches the tuner within it (the real simulator at --speed 50 batches 500 ms). */
#define EVENT_QUANTUM_MS 20
/* On a shared link the models re-share it at least this often. */
#define LINK_QUANTUM_MS 50
/* Without events, nothing the tuner can see happens between its own timers: jump. */
#define MAX_STEP_MS 5000
/* Dispatches at one instant before the harness gives up (a source that is always ready). */
#define MAX_DISPATCH 1000000

/* ---- the clock ---------------------------------------------------------------------------
 * A manual clock that also learns, from the timers asking how long to wait, when the next one
 * is due: GLib's prepare step asks every clock timer (cv_clock_timeout_source_new) for its
 * wait through to_real_ms(). */

typedef struct {
    CvClock parent;
    gint64 now_ms;
    gint64 min_left_ms;
} BenchClock;

static gint64
bench_clock_now(CvClock *clock)
{
    return ((BenchClock *)clock)->now_ms;
}

static gint64
bench_clock_to_real(CvClock *clock, gint64 clock_ms)
{
    BenchClock *self = (BenchClock *)clock;

    if (clock_ms <= 0)
        return 0;
    if (clock_ms < self->min_left_ms)
        self->min_left_ms = clock_ms;
    return -1;
}

static void
bench_clock_free(CvClock *clock)
{
    g_free(clock);
}

static const CvClockClass bench_clock_class = {
    .now_ms = bench_clock_now,
    .to_real_ms = bench_clock_to_real,
    .free = bench_clock_free,
};

void
cv_bench_log_init(void)
{
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
}

/* ---- policies ------------------------------------------------------------------------- */

void
cv_bench_policy_baseline(CvBenchPolicy *p, CvBenchBaselineKind kind)
{
    const CvBenchBaselineInfo *info = cv_bench_baseline_info(kind);

    memset(p, 0, sizeof(*p));
    g_strlcpy(p->name, info->name, sizeof(p->name));
    g_strlcpy(p->label, info->label, sizeof(p->label));
    p->baseline = TRUE;
    p->kind = kind;
    cv_policy_init_default(&p->policy);
    g_strlcpy(p->policy.name, info->name, sizeof(p->policy.name));
    /* the actuator's bound: what the anchor itself would set */
    p->policy.max_downtime_ms = info->max_limit_ms;
    p->policy.switchover_bandwidth = 0;
    /* no anchor keeps a switchover reserve: its top step (oVirt's 500 ms, VEP 291's 1050 ms)
     * goes out as it decides it; with ours the actuator would refuse that step */
    p->policy.switchover_reserve_ms = 0;
    p->cap_ms = info->cap_ms;
    /* Proxmox drops to 0.1 s polls near the end; the tuner polls that fast and the baseline
     * takes one sample per second until then */
    p->poll_ms = kind == CV_BENCH_BASELINE_PROXMOX ? CV_BENCH_PROXMOX_FAST_POLL_MS : info->poll_ms;
    p->events = info->events;
}

void
cv_bench_policy_ours(CvBenchPolicy *p, const gchar *name, const gchar *label,
                     const CvPolicy *policy)
{
    memset(p, 0, sizeof(*p));
    g_strlcpy(p->name, name, sizeof(p->name));
    g_strlcpy(p->label, label, sizeof(p->label));
    p->policy = *policy;
    p->cap_ms = policy->max_downtime_ms;
    p->poll_ms = 1000;
    p->events = TRUE;
}

/* ---- the stall judge ------------------------------------------------------------------ */

gboolean
cv_bench_stall_judge_feed(CvBenchStallJudge *j, gdouble t, guint64 pass, gdouble bytes)
{
    gdouble min_old = -1;
    guint64 pass_old = 0;

    if (j->stalled || bytes < 0)
        return FALSE;
    if (j->n > 0 && pass <= j->pass[j->n - 1])
        return FALSE;
    if (j->n == G_N_ELEMENTS(j->t)) {
        memmove(&j->t[0], &j->t[1], (j->n - 1) * sizeof(gdouble));
        memmove(&j->bytes[0], &j->bytes[1], (j->n - 1) * sizeof(gdouble));
        memmove(&j->pass[0], &j->pass[1], (j->n - 1) * sizeof(guint64));
        j->n--;
    }
    j->t[j->n] = t;
    j->bytes[j->n] = bytes;
    j->pass[j->n] = pass;
    j->n++;
    for (guint i = 0; i + 1 < j->n; i++) {
        if (j->t[i] > t - 10.0)
            break;
        if (min_old < 0 || j->bytes[i] < min_old)
            min_old = j->bytes[i];
        pass_old = j->pass[i];
    }
    if (min_old < 0 || pass - pass_old < 3)
        return FALSE;
    if (bytes >= 0.96 * min_old) {
        j->stalled = TRUE;
        j->stall_t = t;
        j->onset_t = t;
        for (guint i = 0; i < j->n; i++) {
            gboolean held = TRUE;

            for (guint k = i + 1; k < j->n && held; k++)
                held = j->bytes[k] >= 0.96 * j->bytes[i];
            if (held) {
                j->onset_t = j->t[i];
                break;
            }
        }
        return TRUE;
    }
    return FALSE;
}

/* ---- one run -------------------------------------------------------------------------- */

typedef struct _Harness Harness;

typedef struct {
    Harness *h;
    guint index;
    CvSimServer *server;
    gchar *path;
    CvTarget *target;
    CvTuner *tuner;
    CvBenchBaseline baseline;
    gdouble start_s;          /* migration start, virtual */
    gdouble attach_s;         /* tuner attach, virtual */
    gint64 phase_ms;          /* a baseline's first poll after its first sample */
    guint64 initial_limit_ms; /* the downtime-limit in force when the tuner attached */
    gboolean started;
    gboolean attached;
    gboolean done;
    gdouble next_sample_s;
    CvBenchStallJudge judge;
    gboolean in_precopy;
    CvBenchInstanceResult *result;
} Instance;

struct _Harness {
    BenchClock *clock;
    const CvBenchPolicy *policy;
    CvSimScenario *sc;
    CvSimLink *link;
    Instance *inst;
    guint n;
    gdouble sample_s;
    guint64 evaluations;
};

static gdouble
harness_now_s(gpointer user_data)
{
    Harness *h = user_data;

    return (gdouble)h->clock->now_ms / 1000.0;
}

/* An action that brings the switchover nearer: a downtime-limit above the one in force at
 * attach, post-copy, pause or abort. Not a limit set below it (Nova, oVirt, Proxmox and VEP
 * 291 start lower than QEMU's 300 ms before any stall), nor the switchover bandwidth (ours
 * states the link once, before any stall). */
static gboolean
action_toward_switchover(const CvTunerAction *action, guint64 initial_limit_ms)
{
    switch (action->kind) {
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        return action->value > initial_limit_ms;
    case CV_DECISION_START_POSTCOPY:
    case CV_DECISION_PAUSE_GUEST:
    case CV_DECISION_ABORT:
        return TRUE;
    case CV_DECISION_NONE:
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
    default:
        return FALSE;
    }
}

static void
record_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Instance *in = user_data;
    CvBenchInstanceResult *r = in->result;

    switch (record->kind) {
    case CV_TUNER_RECORD_SAMPLE:
        in->h->evaluations++;
        if (record->sample->status == CV_MIGRATION_STATUS_ACTIVE &&
            cv_field_valid(&record->sample->expected_downtime_ms)) {
            r->expected_ms = record->sample->expected_downtime_ms.value;
            r->have_expected = TRUE;
        }
        break;
    case CV_TUNER_RECORD_ACTION:
        if (g_getenv("CV_BENCH_TRACE") != NULL)
            g_printerr("    [%u] %.1f s %s %s %" G_GUINT64_FORMAT ": %s %s\n", in->index,
                       (gdouble)record->time_ms / 1000.0,
                       cv_tuner_result_to_string(record->action->result),
                       cv_decision_kind_to_string(record->action->kind), record->action->value,
                       record->action->reason, record->action->error);
        if (record->action->result == CV_TUNER_RESULT_APPLIED && r->first_action_s < 0 &&
            action_toward_switchover(record->action, in->initial_limit_ms))
            r->first_action_s = harness_now_s(in->h) - in->start_s;
        if (record->action->result == CV_TUNER_RESULT_APPLIED &&
            record->action->kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
            r->max_limit_ms = MAX(r->max_limit_ms, record->action->value);
            r->predicted_ms = record->action->predicted_blackout_ms;
        }
        break;
    case CV_TUNER_RECORD_ATTACH:
    case CV_TUNER_RECORD_NOTICE:
    case CV_TUNER_RECORD_RESTORE:
    case CV_TUNER_RECORD_SUMMARY:
    default:
        break;
    }
}

static void
instance_sample(Instance *in, gdouble now_s)
{
    const CvSimModel *model = cv_sim_server_get_model(in->server);
    CvSimTruth truth;
    CvSimInfo info;
    CvBenchPoint p;

    cv_sim_model_get_truth(model, &truth);
    cv_sim_model_get_info(model, &info);
    /* a cancelled or failed job has nothing pending: not a reading of the migration */
    if (info.status == CV_MIGRATION_STATUS_CANCELLED || info.status == CV_MIGRATION_STATUS_FAILED ||
        info.status == CV_MIGRATION_STATUS_CANCELLING)
        return;
    p.t = now_s - in->start_s;
    p.pending = truth.pending_bytes;
    p.limit_ms = truth.downtime_limit_ms;
    g_array_append_val(in->result->series, p);
    if (info.status == CV_MIGRATION_STATUS_ACTIVE && !in->judge.stalled &&
        cv_bench_stall_judge_feed(&in->judge, p.t, info.ram_dirty_sync_count,
                                  truth.last_exact_bytes)) {
        in->result->first_stall_s = in->judge.stall_t;
        in->result->stall_onset_s = in->judge.onset_t;
    }
}

static gboolean
instance_attach(Instance *in, GError **error)
{
    Harness *h = in->h;
    CvTunerOptions options;
    CvSimTruth truth;

    cv_sim_model_get_truth(cv_sim_server_get_model(in->server), &truth);
    in->initial_limit_ms = truth.downtime_limit_ms;
    cv_tuner_options_init(&options);
    options.policy = h->policy->policy;
    options.poll_interval_ms = h->policy->poll_ms;
    /* a poller's decide step sees every poll, boundary or not */
    if (!h->policy->events)
        options.idle_eval_interval_ms = h->policy->poll_ms;
    options.min_eval_interval_ms = MIN(options.min_eval_interval_ms, h->policy->poll_ms);
    options.start_timeout_ms = 0;
    in->target = cv_target_qmp_new(in->path, NULL);
    cv_target_qmp_set_enable_events(in->target, h->policy->events);
    in->tuner = cv_tuner_new(in->target, &h->clock->parent, &options);
    cv_tuner_set_record_func(in->tuner, record_cb, in);
    if (h->policy->baseline) {
        cv_bench_baseline_init(&in->baseline, h->policy->kind, h->sc->ram_bytes,
                               cv_sim_scenario_has_vfio(h->sc));
        cv_bench_baseline_set_phase(&in->baseline, in->phase_ms);
        cv_tuner_set_decide_func(in->tuner, cv_bench_baseline_decide, &in->baseline);
    }
    cv_tuner_start(in->tuner);
    in->attached = TRUE;
    return TRUE;
}

static gdouble
fixed_cost(const CvSimScenario *sc)
{
    gdouble cost = sc->downtime_fixed;

    for (guint i = 0; i < sc->devices->len; i++)
        cost += ((const CvSimDevice *)g_ptr_array_index(sc->devices, i))->downtime_cost;
    return cost;
}

static void
instance_finish(Instance *in, gdouble now_s)
{
    const CvTunerSummary *sum = cv_tuner_get_summary(in->tuner);
    CvBenchInstanceResult *r = in->result;
    Harness *h = in->h;
    CvSimTruth truth;

    cv_sim_model_get_truth(cv_sim_server_get_model(in->server), &truth);
    r->outcome = sum->outcome;
    g_strlcpy(r->message, sum->message, sizeof(r->message));
    /* The tuner ends a completed migration whose downtime exceeded its own bound as
     * CAP_BROKEN; a baseline's promise (cap_ms) can be below the bound its tuner enforces, so
     * the downtime is judged here against the promise as well. */
    r->completed =
        sum->outcome == CV_TUNER_OUTCOME_COMPLETED || sum->outcome == CV_TUNER_OUTCOME_CAP_BROKEN;
    r->n_changes = sum->n_changes;
    r->bytes_sent = truth.bytes_sent;
    if (r->completed && cv_field_valid(&sum->total_time_ms))
        r->duration_s = (gdouble)sum->total_time_ms.value / 1000.0;
    else
        r->duration_s = now_s - in->start_s;
    if (r->completed && cv_field_valid(&sum->downtime_ms)) {
        r->have_downtime = TRUE;
        r->downtime_ms = sum->downtime_ms.value;
        r->stop_copy_rate = truth.stop_copy_rate;
    }
    r->cap_broken =
        sum->outcome == CV_TUNER_OUTCOME_CAP_BROKEN ||
        (r->have_downtime && h->policy->cap_ms > 0 && r->downtime_ms > h->policy->cap_ms);
    r->converged = sum->outcome == CV_TUNER_OUTCOME_COMPLETED && !r->cap_broken;
    if (truth.min_exact_bytes >= 0)
        r->floor_ms = (truth.min_exact_bytes / h->sc->link_rate + fixed_cost(h->sc)) * 1000.0;
    cv_tuner_free(in->tuner);
    in->tuner = NULL;
    cv_target_free(in->target);
    in->target = NULL;
    in->done = TRUE;
}

static gboolean
dispatch_all(Harness *h, GError **error)
{
    guint n = 0;

    for (;;) {
        h->clock->min_left_ms = G_MAXINT64;
        if (!g_main_context_iteration(NULL, FALSE))
            return TRUE;
        if (++n > MAX_DISPATCH) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "the main context never goes idle at %" G_GINT64_FORMAT " ms",
                        h->clock->now_ms);
            return FALSE;
        }
    }
}

void
cv_bench_run_result_clear(CvBenchRunResult *result)
{
    for (guint i = 0; i < result->n_instances; i++)
        g_clear_pointer(&result->instances[i].series, g_array_unref);
    g_clear_pointer(&result->instances, g_free);
    result->n_instances = 0;
}

static gdouble
cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (gdouble)ru.ru_utime.tv_sec + (gdouble)ru.ru_utime.tv_usec / 1e6 +
           (gdouble)ru.ru_stime.tv_sec + (gdouble)ru.ru_stime.tv_usec / 1e6;
}

gboolean
cv_bench_run(const CvBenchRunConfig *cfg, const CvBenchPolicy *policy, CvBenchRunResult *result,
             GError **error)
{
    g_autofree gchar *scenario_path = NULL;
    g_autoptr(CvSimScenario) sc = NULL;
    g_autofree gchar *dir = NULL;
    g_autoptr(GRand) rand = g_rand_new_with_seed(cfg->seed * 7919u + 17u);
    CvSimQemuVersion version;
    BenchClock *clock;
    Harness h = {0};
    gdouble horizon, cpu0 = cpu_seconds();
    gboolean ok = TRUE;
    guint n = MAX(cfg->instances, 1);

    memset(result, 0, sizeof(*result));
    scenario_path = cv_sim_scenario_find(cfg->scenario, error);
    if (scenario_path == NULL)
        return FALSE;
    sc = cv_sim_scenario_load_file(scenario_path, error);
    if (sc == NULL)
        return FALSE;
    if (!cv_sim_qemu_version_from_string(cfg->version, &version) ||
        !cv_sim_scenario_supports(sc, version)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s does not run as QEMU %s",
                    sc->name, cfg->version);
        return FALSE;
    }
    /* events on from the start (libvirt turns them on at domain start) for those that use
     * them; the pollers' migrations have them off, as their anchors never ask */
    sc->cap_events = policy->events;
    dir = g_dir_make_tmp("cv-bench-XXXXXX", error);
    if (dir == NULL)
        return FALSE;

    clock = g_new0(BenchClock, 1);
    clock->parent.klass = &bench_clock_class;
    h.clock = clock;
    h.policy = policy;
    h.sc = sc;
    h.sample_s = cfg->sample_s > 0 ? cfg->sample_s : 1.0;
    h.n = n;
    if (sc->shared_link_rate > 0)
        h.link = cv_sim_link_new(sc->shared_link_rate);
    h.inst = g_new0(Instance, n);
    result->n_instances = n;
    result->instances = g_new0(CvBenchInstanceResult, n);
    result->link_rate = sc->link_rate;
    result->fixed_cost = fixed_cost(sc);
    for (guint i = 0; i < n; i++) {
        Instance *in = &h.inst[i];
        CvSimServerOptions opts = {version, 1.0, cfg->seed + i, FALSE, 0, 0, h.link};

        in->h = &h;
        in->index = i;
        in->result = &result->instances[i];
        in->result->series = g_array_new(FALSE, FALSE, sizeof(CvBenchPoint));
        in->result->first_stall_s = -1;
        in->result->stall_onset_s = -1;
        in->result->first_action_s = -1;
        in->start_s = i * cfg->stagger_s;
        /* attached as the migration starts (within 100 ms); the anchor's poll loop is in no
         * particular phase with the migration's iterations: the seed says */
        in->attach_s = in->start_s + g_rand_double_range(rand, 0, 0.1);
        in->phase_ms = (gint64)g_rand_double_range(
            rand, 1, cv_bench_baseline_info(policy->baseline ? policy->kind : 0)->poll_ms);
        in->next_sample_s = in->start_s;
        in->path = g_strdup_printf("%s/qmp-%u.sock", dir, i);
        in->server = cv_sim_server_new(sc, &opts);
        cv_sim_server_set_clock(in->server, harness_now_s, &h);
        if (!cv_sim_server_listen(in->server, in->path, error)) {
            ok = FALSE;
            break;
        }
    }
    horizon = (n - 1) * cfg->stagger_s + cfg->horizon_s;

    while (ok) {
        gdouble now_s = (gdouble)clock->now_ms / 1000.0;
        gdouble next_s = horizon;
        gboolean events_running = FALSE, all_done = TRUE;
        gint64 step_ms;

        for (guint i = 0; i < n; i++) {
            Instance *in = &h.inst[i];

            if (!in->started && now_s >= in->start_s) {
                if (!cv_sim_server_start_migration(in->server, error)) {
                    ok = FALSE;
                    break;
                }
                in->started = TRUE;
            }
            if (in->started && !in->attached && now_s >= in->attach_s)
                instance_attach(in, error);
        }
        if (!ok || !dispatch_all(&h, error)) {
            ok = FALSE;
            break;
        }
        for (guint i = 0; i < n; i++) {
            Instance *in = &h.inst[i];

            if (in->done)
                continue;
            if (in->started && now_s >= in->next_sample_s) {
                instance_sample(in, now_s);
                in->next_sample_s = now_s + h.sample_s;
            }
            if (in->attached && cv_tuner_is_finished(in->tuner)) {
                instance_finish(in, now_s);
                continue;
            }
            all_done = FALSE;
            if (!in->started)
                next_s = MIN(next_s, in->start_s);
            else if (!in->attached)
                next_s = MIN(next_s, in->attach_s);
            else if (policy->events &&
                     cv_sim_model_is_migrating(cv_sim_server_get_model(in->server)))
                events_running = TRUE;
            if (in->started)
                next_s = MIN(next_s, in->next_sample_s);
        }
        if (all_done)
            break;
        if (now_s >= horizon) {
            /* stop watching: the tuners detach (and restore, as they would) */
            for (guint i = 0; i < n; i++) {
                if (h.inst[i].attached && !h.inst[i].done)
                    cv_tuner_detach(h.inst[i].tuner);
            }
            if (!dispatch_all(&h, error)) {
                ok = FALSE;
                break;
            }
            for (guint i = 0; i < n; i++) {
                if (h.inst[i].attached && !h.inst[i].done && cv_tuner_is_finished(h.inst[i].tuner))
                    instance_finish(&h.inst[i], now_s);
                else if (!h.inst[i].done) {
                    h.inst[i].result->outcome = CV_TUNER_OUTCOME_DETACHED;
                    h.inst[i].result->duration_s = now_s - h.inst[i].start_s;
                }
            }
            break;
        }
        step_ms = (gint64)ceil(next_s * 1000.0) - clock->now_ms;
        if (clock->min_left_ms < step_ms)
            step_ms = clock->min_left_ms;
        if (events_running)
            step_ms = MIN(step_ms, EVENT_QUANTUM_MS);
        if (h.link != NULL)
            step_ms = MIN(step_ms, LINK_QUANTUM_MS);
        step_ms = CLAMP(step_ms, 1, MAX_STEP_MS);
        clock->now_ms += step_ms;
        for (guint i = 0; i < n; i++) {
            if (h.inst[i].started)
                cv_sim_server_catch_up(h.inst[i].server);
        }
    }

    for (guint i = 0; i < n; i++) {
        Instance *in = &h.inst[i];

        if (in->tuner != NULL)
            cv_tuner_free(in->tuner);
        if (in->target != NULL)
            cv_target_free(in->target);
        if (in->server != NULL)
            cv_sim_server_free(in->server);
        g_free(in->path);
    }
    /* what the closed sockets still have queued */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_free(h.inst);
    result->virtual_s = (gdouble)clock->now_ms / 1000.0;
    cv_sim_link_free(h.link);
    cv_clock_free(&clock->parent);
    g_rmdir(dir);
    result->evaluations = h.evaluations;
    result->cpu_s = cpu_seconds() - cpu0;
    if (!ok)
        cv_bench_run_result_clear(result);
    return ok;
}
