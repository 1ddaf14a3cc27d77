#include "config.h"

#include <math.h>
#include <string.h>

#include "cv-bench-baseline.h"

#define GIB 1073741824.0

static const CvBenchBaselineInfo infos[CV_BENCH_N_BASELINES] = {
    [CV_BENCH_BASELINE_QEMU] = {"qemu", "QEMU default (300 ms, untouched)", 1000, FALSE, 300, 300,
                                "QEMU migration/options.c default downtime-limit"},
    [CV_BENCH_BASELINE_NOVA] = {"nova", "OpenStack Nova (timeout action abort)",
                                CV_BENCH_NOVA_POLL_MS, FALSE, CV_BENCH_NOVA_DOWNTIME_MS,
                                CV_BENCH_NOVA_DOWNTIME_MS,
                                "nova/virt/libvirt/migration.py downtime_steps, driver.py "
                                "_live_migration_monitor, nova/conf/libvirt.py defaults"},
    [CV_BENCH_BASELINE_NOVA_FORCE] = {"nova-force", "OpenStack Nova (force_complete: pause)",
                                      CV_BENCH_NOVA_POLL_MS, FALSE, CV_BENCH_NOVA_DOWNTIME_MS,
                                      CV_BENCH_NOVA_DOWNTIME_MS,
                                      "as nova, live_migration_timeout_action = force_complete, "
                                      "live_migration_permit_post_copy = False"},
    [CV_BENCH_BASELINE_OVIRT_MINIMAL] = {"ovirt-minimal", "oVirt Minimal downtime",
                                         CV_BENCH_OVIRT_POLL_MS, FALSE, 500, 500,
                                         "ovirt-engine 0000_config.sql MigrationPolicies, vdsm "
                                         "migration.py MonitorThread (10 s)"},
    [CV_BENCH_BASELINE_OVIRT_SUSPEND] = {"ovirt-suspend", "oVirt Suspend workload if needed",
                                         CV_BENCH_OVIRT_POLL_MS, FALSE, 5000, 5000,
                                         "as ovirt-minimal, then setDowntime 5000, then abort"},
    [CV_BENCH_BASELINE_PROXMOX] = {"proxmox", "Proxmox VE (doubling)", CV_BENCH_PROXMOX_POLL_MS,
                                   FALSE, 0, 2000000,
                                   "qemu-server QemuMigrate.pm phase2 (1 s poll, 0.1 s near "
                                   "the end), migrate_downtime 0.1 s"},
    [CV_BENCH_BASELINE_KUBEVIRT] = {"kubevirt", "KubeVirt legacy (timeouts)",
                                    CV_BENCH_KUBEVIRT_POLL_MS, FALSE, 300, 300,
                                    "live-migration-source.go, virt-config.go: 150 s/GB "
                                    "completion, 150 s progress timeout, no disruption"},
    [CV_BENCH_BASELINE_KUBEVIRT_291] = {"kubevirt-291", "KubeVirt VEP 291 dynamic downtime",
                                        CV_BENCH_KUBEVIRT_POLL_MS, FALSE,
                                        CV_BENCH_KUBEVIRT_291_MAX_MS, CV_BENCH_KUBEVIRT_291_MAX_MS,
                                        "VEP 291: 150 ms, from iteration 3, 7 steps 10 s apart "
                                        "to 1050 ms (the VEP's set-up; the code default is "
                                        "900 ms), plus the legacy timeouts"},
    [CV_BENCH_BASELINE_KUBEVIRT_248] = {"kubevirt-248", "KubeVirt VEP 248 stall detector",
                                        CV_BENCH_KUBEVIRT_POLL_MS, TRUE,
                                        CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS,
                                        CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS,
                                        "stall-detector.go: 40 s window, 4 %, local minimum, "
                                        "soft stop-and-copy at maxDowntimeMs 900, 60 s "
                                        "switchover timeout, no disruption"},
};

const CvBenchBaselineInfo *
cv_bench_baseline_info(CvBenchBaselineKind kind)
{
    g_return_val_if_fail((guint)kind < CV_BENCH_N_BASELINES, NULL);
    return &infos[kind];
}

gboolean
cv_bench_baseline_from_name(const gchar *name, CvBenchBaselineKind *kind)
{
    for (guint i = 0; i < CV_BENCH_N_BASELINES; i++) {
        if (g_strcmp0(name, infos[i].name) == 0) {
            *kind = (CvBenchBaselineKind)i;
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- schedules ------------------------------------------------------------------------ */

gdouble
cv_bench_nova_data_gb(guint64 ram_bytes)
{
    return MAX((gdouble)ram_bytes / GIB, 2.0);
}

guint64
cv_bench_nova_downtime_at(guint64 downtime_ms, guint steps, guint delay_s_per_gib, gdouble data_gb,
                          gdouble elapsed_s)
{
    /* Python's int() truncates: the step delay in whole seconds, each point's values too */
    gint64 delay = (gint64)((gdouble)delay_s_per_gib * data_gb);
    gdouble base = (gdouble)downtime_ms / steps;
    gdouble offset = ((gdouble)downtime_ms - base) / steps;
    guint64 value = 0;

    for (guint i = 0; i <= steps; i++) {
        if (elapsed_s > (gdouble)(delay * (gint64)i))
            value = (guint64)(base + offset * i);
    }
    return value;
}

guint64
cv_bench_nova_completion_timeout_s(gdouble data_gb)
{
    return (guint64)(CV_BENCH_NOVA_COMPLETION_S_PER_GIB * data_gb);
}

void
cv_bench_ovirt_schedule(gboolean suspend, CvBenchOvirtSchedule *s)
{
    static const CvBenchOvirtStep stalling[] = {
        {1, CV_BENCH_OVIRT_SET_DOWNTIME, 150}, {2, CV_BENCH_OVIRT_SET_DOWNTIME, 200},
        {3, CV_BENCH_OVIRT_SET_DOWNTIME, 300}, {4, CV_BENCH_OVIRT_SET_DOWNTIME, 400},
        {6, CV_BENCH_OVIRT_SET_DOWNTIME, 500},
    };

    memset(s, 0, sizeof(*s));
    s->init_ms = 100;
    for (guint i = 0; i < G_N_ELEMENTS(stalling); i++)
        s->steps[s->n_steps++] = stalling[i];
    /* the last items become stalling items with limit -1: "at the next new iteration" */
    if (suspend)
        s->steps[s->n_steps++] = (CvBenchOvirtStep){-1, CV_BENCH_OVIRT_SET_DOWNTIME, 5000};
    s->steps[s->n_steps++] = (CvBenchOvirtStep){-1, CV_BENCH_OVIRT_ABORT, 0};
}

guint64
cv_bench_kubevirt_completion_s(guint64 ram_bytes)
{
    guint64 gb = (ram_bytes + 999999999) / 1000000000;

    return CV_BENCH_KUBEVIRT_COMPLETION_S_PER_GB * gb;
}

guint64
cv_bench_kubevirt_291_value(guint step)
{
    gdouble size = (gdouble)(CV_BENCH_KUBEVIRT_291_MAX_MS - CV_BENCH_KUBEVIRT_291_INITIAL_MS) /
                   CV_BENCH_KUBEVIRT_291_STEPS;

    step = MIN(step, CV_BENCH_KUBEVIRT_291_STEPS);
    return (guint64)llround(CV_BENCH_KUBEVIRT_291_INITIAL_MS + size * step);
}

/* ---- helpers ------------------------------------------------------------------------- */

void
cv_bench_baseline_init(CvBenchBaseline *b, CvBenchBaselineKind kind, guint64 ram_bytes,
                       gboolean vfio)
{
    memset(b, 0, sizeof(*b));
    b->kind = kind;
    b->ram_bytes = ram_bytes;
    b->vfio = vfio;
    b->poll_interval_ms = infos[kind].poll_ms;
    if (kind == CV_BENCH_BASELINE_OVIRT_MINIMAL || kind == CV_BENCH_BASELINE_OVIRT_SUSPEND)
        cv_bench_ovirt_schedule(kind == CV_BENCH_BASELINE_OVIRT_SUSPEND, &b->ovirt);
    b->proxmox_downtime_ms = CV_BENCH_PROXMOX_INITIAL_MS;
}

void
cv_bench_baseline_set_phase(CvBenchBaseline *b, gint64 phase_ms)
{
    b->phase_ms = MAX(phase_ms, 0);
}

static CvDecision
none(CvVerdict verdict)
{
    CvDecision d;

    memset(&d, 0, sizeof(d));
    d.kind = CV_DECISION_NONE;
    d.verdict = verdict;
    return d;
}

static CvDecision decide_result(CvDecisionKind kind, guint64 value, const gchar *format, ...)
    G_GNUC_PRINTF(3, 4);

static CvDecision
decide_result(CvDecisionKind kind, guint64 value, const gchar *format, ...)
{
    CvDecision d = none(CV_VERDICT_STALLED);
    va_list args;

    d.kind = kind;
    d.value = value;
    va_start(args, format);
    g_vsnprintf(d.reason, sizeof(d.reason), format, args);
    va_end(args);
    return d;
}

/* A limit only when it differs from what QEMU holds (the anchors call the setter anyway; a
 * call that changes nothing is not counted as a change). */
static CvDecision
set_limit(CvBenchBaseline *b, const CvParams *current, guint64 ms, const gchar *why)
{
    b->set_limit_ms = ms;
    if (cv_field_valid(&current->downtime_limit_ms) && current->downtime_limit_ms.value == ms)
        return none(CV_VERDICT_CONVERGING);
    return decide_result(CV_DECISION_SET_DOWNTIME_LIMIT, ms,
                         "%s: downtime-limit %" G_GUINT64_FORMAT " ms (%s)", infos[b->kind].name,
                         ms, why);
}

/* Elapsed migration time as the anchor sees it: QEMU's total-time (libvirt's time_elapsed),
 * else the time since the first sample. */
static gdouble
elapsed_s(const CvBenchBaseline *b, const CvSample *s)
{
    if (cv_field_valid(&s->total_time_ms))
        return (gdouble)s->total_time_ms.value / 1000.0;
    return (gdouble)(s->time_ms - b->first_ms) / 1000.0;
}

static gboolean
u64(const CvU64Field *f, guint64 *out)
{
    if (!cv_field_valid(f))
        return FALSE;
    *out = f->value;
    return TRUE;
}

/* ---- Nova ------------------------------------------------------------------------------ */

static CvDecision
decide_nova(CvBenchBaseline *b, const CvSample *s, const CvParams *current)
{
    gdouble data_gb = cv_bench_nova_data_gb(b->ram_bytes);
    gdouble elapsed = elapsed_s(b, s);
    guint64 timeout = cv_bench_nova_completion_timeout_s(data_gb);
    guint64 value;
    gchar why[96];

    if (timeout > 0 && elapsed > (gdouble)timeout && !b->timed_out) {
        b->timed_out = TRUE;
        if (b->kind == CV_BENCH_BASELINE_NOVA) {
            b->done = TRUE;
            return decide_result(CV_DECISION_ABORT, 0,
                                 "nova: completion timeout %" G_GUINT64_FORMAT
                                 " s (800 s/GiB x %.1f GiB) passed: abort",
                                 timeout, data_gb);
        }
        /* force_complete without post-copy: pause the guest; the schedule goes on */
        return decide_result(CV_DECISION_PAUSE_GUEST, 0,
                             "nova: completion timeout %" G_GUINT64_FORMAT
                             " s passed: force_complete, pause the guest",
                             timeout);
    }
    value = cv_bench_nova_downtime_at(CV_BENCH_NOVA_DOWNTIME_MS, CV_BENCH_NOVA_STEPS,
                                      CV_BENCH_NOVA_DELAY_S_PER_GIB, data_gb, elapsed);
    if (value == 0 || value == b->set_limit_ms)
        return none(CV_VERDICT_CONVERGING);
    g_snprintf(why, sizeof(why), "step at %.0f s of the 75 s/GiB x %.1f GiB ramp", elapsed,
               data_gb);
    return set_limit(b, current, value, why);
}

/* ---- oVirt ----------------------------------------------------------------------------- */

static CvDecision
decide_ovirt(CvBenchBaseline *b, const CvSample *s, const CvParams *current)
{
    guint64 pass = 0;
    const CvBenchOvirtStep *head;
    gint64 count;

    if (!b->have_first_iteration) {
        /* init actions run before the first sample; the counter starts here */
        b->have_first_iteration = TRUE;
        b->first_iteration = u64(&s->ram_dirty_sync_count, &pass) ? pass : 0;
        b->last_iteration = b->first_iteration;
        return set_limit(b, current, b->ovirt.init_ms, "init");
    }
    if (!u64(&s->ram_dirty_sync_count, &pass) || pass <= b->last_iteration)
        return none(CV_VERDICT_CONVERGING);
    b->last_iteration = pass;
    if (b->ovirt_next >= b->ovirt.n_steps)
        return none(CV_VERDICT_ESCALATING);
    count = (gint64)(pass - b->first_iteration);
    head = &b->ovirt.steps[b->ovirt_next];
    if (!(head->limit < count))
        return none(CV_VERDICT_CONVERGING);
    b->ovirt_next++;
    if (head->action == CV_BENCH_OVIRT_ABORT) {
        b->done = TRUE;
        return decide_result(CV_DECISION_ABORT, 0,
                             "%s: schedule exhausted at iteration %" G_GINT64_FORMAT ": abort",
                             infos[b->kind].name, count);
    }
    {
        gchar why[64];

        g_snprintf(why, sizeof(why), "iteration %" G_GINT64_FORMAT " > %d", count, head->limit);
        return set_limit(b, current, head->downtime_ms, why);
    }
}

/* ---- Proxmox --------------------------------------------------------------------------- */

static CvDecision
decide_proxmox(CvBenchBaseline *b, const CvSample *s, const CvParams *current)
{
    guint64 transferred = 0, rem = 0;
    gboolean progressed;

    if (b->set_limit_ms == 0)
        return set_limit(b, current, b->proxmox_downtime_ms, "migrate_downtime 0.1 s");
    b->proxmox_polls++;
    if (s->status != CV_MIGRATION_STATUS_ACTIVE)
        return none(CV_VERDICT_WARMUP);
    if (!u64(&s->ram_transferred, &transferred))
        transferred = 0;
    u64(&s->ram_remaining, &rem);
    progressed = transferred != b->proxmox_last_transferred;
    if (progressed) {
        /* the average bytes sent per poll so far: poll every 0.1 s once less than that is
         * left */
        guint64 avg = b->proxmox_polls > 0 ? b->proxmox_last_transferred / b->proxmox_polls : 0;

        if (avg > 0 && rem < avg)
            b->poll_interval_ms = CV_BENCH_PROXMOX_FAST_POLL_MS;
        if ((b->proxmox_have_lastrem && b->proxmox_lastrem > 0 && rem > b->proxmox_lastrem) ||
            rem == 0)
            b->proxmox_counter++;
        b->proxmox_have_lastrem = TRUE;
        b->proxmox_lastrem = rem;
    }
    b->proxmox_last_transferred = transferred;
    if (progressed && b->proxmox_counter > 5) {
        gchar why[96];

        b->proxmox_counter = 0;
        b->proxmox_downtime_ms *= 2;
        /* QEMU refuses more than 2000 s; Proxmox logs the error and keeps polling */
        if (b->proxmox_downtime_ms > CV_SAMPLE_MAX_MS)
            return none(CV_VERDICT_STALLED);
        g_snprintf(why, sizeof(why), "ram.remaining grew on more than 5 polls: doubled");
        return set_limit(b, current, b->proxmox_downtime_ms, why);
    }
    return none(CV_VERDICT_CONVERGING);
}

/* ---- KubeVirt -------------------------------------------------------------------------- */

/* The legacy timeouts, shared by every KubeVirt path: abort when remaining has not dropped
 * for 150 s (legacy, VEP 291), or when the completion budget ran out (no disruption allowed
 * by default, so no post-copy, no pause). */
static gboolean
kubevirt_timeouts(CvBenchBaseline *b, const CvSample *s, gboolean progress, CvDecision *out)
{
    guint64 rem = 0;
    gdouble elapsed = elapsed_s(b, s);
    guint64 budget = cv_bench_kubevirt_completion_s(b->ram_bytes);

    if (u64(&s->ram_remaining, &rem)) {
        if (!b->kv_have_remaining || rem < b->kv_last_remaining)
            b->kv_last_progress_ms = s->time_ms;
        b->kv_have_remaining = TRUE;
        b->kv_last_remaining = rem;
    }
    if (elapsed > (gdouble)budget) {
        b->done = TRUE;
        *out = decide_result(CV_DECISION_ABORT, 0,
                             "%s: acceptable completion time %" G_GUINT64_FORMAT
                             " s (150 s/GB) exceeded: abort",
                             infos[b->kind].name, budget);
        return TRUE;
    }
    if (progress &&
        s->time_ms - b->kv_last_progress_ms > CV_BENCH_KUBEVIRT_PROGRESS_TIMEOUT_S * 1000) {
        b->done = TRUE;
        *out = decide_result(CV_DECISION_ABORT, 0, "%s: no progress for %d s: abort",
                             infos[b->kind].name, CV_BENCH_KUBEVIRT_PROGRESS_TIMEOUT_S);
        return TRUE;
    }
    return FALSE;
}

static CvDecision
decide_kubevirt(CvBenchBaseline *b, const CvSample *s, const CvParams *current)
{
    CvDecision d;
    guint64 pass = 0;

    if (kubevirt_timeouts(b, s, TRUE, &d))
        return d;
    if (b->kind != CV_BENCH_BASELINE_KUBEVIRT_291)
        return none(CV_VERDICT_CONVERGING);
    if (b->set_limit_ms == 0) {
        b->kv_291_last_change_ms = s->time_ms;
        return set_limit(b, current, cv_bench_kubevirt_291_value(0), "initialMs");
    }
    if (b->kv_291_steps >= CV_BENCH_KUBEVIRT_291_STEPS || !u64(&s->ram_dirty_sync_count, &pass) ||
        pass < CV_BENCH_KUBEVIRT_291_START_ITERATION ||
        s->time_ms - b->kv_291_last_change_ms < CV_BENCH_KUBEVIRT_291_COOLDOWN_S * 1000)
        return none(CV_VERDICT_CONVERGING);
    b->kv_291_steps++;
    b->kv_291_last_change_ms = s->time_ms;
    {
        gchar why[64];

        g_snprintf(why, sizeof(why), "step %u/7 at iteration %" G_GUINT64_FORMAT, b->kv_291_steps,
                   pass);
        return set_limit(b, current, cv_bench_kubevirt_291_value(b->kv_291_steps), why);
    }
}

/* VEP 248: a record joins the window of candidate minima (a newer, lower one makes every
 * older, higher one useless as the minimum; of equal ones the oldest is kept, so it ages out
 * first). */
static void
window_add(CvBenchBaseline *b, gint64 t, guint64 remaining)
{
    while (b->kv_n_window > 0 && b->kv_window[b->kv_n_window - 1].remaining > remaining)
        b->kv_n_window--;
    if (b->kv_n_window > 0 && b->kv_window[b->kv_n_window - 1].remaining == remaining)
        return;
    if (b->kv_n_window == CV_BENCH_248_MAX_RECORDS) {
        memmove(&b->kv_window[0], &b->kv_window[1],
                (CV_BENCH_248_MAX_RECORDS - 1) * sizeof(CvBench248Record));
        b->kv_n_window--;
    }
    b->kv_window[b->kv_n_window++] = (CvBench248Record){t, remaining};
}

static void
window_age(CvBenchBaseline *b, gint64 now)
{
    guint drop = 0;

    while (drop < b->kv_n_window &&
           now - b->kv_window[drop].time_ms > CV_BENCH_KUBEVIRT_248_WINDOW_S * 1000) {
        if (!b->kv_have_outside || b->kv_window[drop].remaining < b->kv_min_outside)
            b->kv_min_outside = b->kv_window[drop].remaining;
        b->kv_have_outside = TRUE;
        drop++;
    }
    if (drop > 0) {
        memmove(&b->kv_window[0], &b->kv_window[drop],
                (b->kv_n_window - drop) * sizeof(CvBench248Record));
        b->kv_n_window -= drop;
    }
}

static void
post_add(CvBenchBaseline *b, gint64 t, guint64 remaining)
{
    if (b->kv_n_post == CV_BENCH_248_MAX_RECORDS)
        return;
    b->kv_post[b->kv_n_post++] = (CvBench248Record){t, remaining};
}

/* The smallest post-stall sample still unused, taken out (the min-heap's pop). */
static gboolean
post_pop_min(CvBenchBaseline *b, guint64 *remaining)
{
    guint best = 0;

    if (b->kv_n_post == 0)
        return FALSE;
    for (guint i = 1; i < b->kv_n_post; i++) {
        if (b->kv_post[i].remaining < b->kv_post[best].remaining)
            best = i;
    }
    *remaining = b->kv_post[best].remaining;
    b->kv_post[best] = b->kv_post[--b->kv_n_post];
    return TRUE;
}

static CvDecision
decide_kubevirt_248(CvBenchBaseline *b, const CvSample *s, const CvParams *current)
{
    CvDecision d;
    guint64 pass = 0, rem = 0, bps = 0;
    gdouble elapsed = elapsed_s(b, s);
    gdouble budget_ms = 2.0 * (gdouble)cv_bench_kubevirt_completion_s(b->ram_bytes) * 1000.0;
    gdouble implied;

    if (b->set_limit_ms == 0)
        return set_limit(b, current, MIN(CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS, 300), "initial");
    if (b->kv_switchover_deadline_ms > 0) {
        if (s->time_ms > b->kv_switchover_deadline_ms) {
            b->done = TRUE;
            return decide_result(CV_DECISION_ABORT, 0,
                                 "kubevirt-248: no switchover within %d s: abort",
                                 CV_BENCH_KUBEVIRT_248_SWITCHOVER_S);
        }
        return none(CV_VERDICT_ESCALATING);
    }
    /* the completion deadline (150 s/GB), checked by the poll; no progress timeout here */
    if (kubevirt_timeouts(b, s, FALSE, &d))
        return d;
    /* the 400 ms poll feeds the bandwidth estimate (EWMA of libvirt's memory_bps) */
    if (b->poll && cv_sample_throughput(s, &bps) && bps > 0) {
        b->kv_bw = b->kv_have_bw ? CV_BENCH_KUBEVIRT_248_EWMA * (gdouble)bps +
                                       (1 - CV_BENCH_KUBEVIRT_248_EWMA) * b->kv_bw
                                 : (gdouble)bps;
        b->kv_have_bw = TRUE;
    }
    /* iteration boundaries (the MIGRATION_ITERATION event) drive the stall test */
    if (!u64(&s->ram_dirty_sync_count, &pass) || pass <= b->kv_last_pass ||
        !u64(&s->ram_remaining, &rem))
        return none(b->kv_stalled ? CV_VERDICT_STALLED : CV_VERDICT_CONVERGING);
    b->kv_last_pass = pass;
    window_age(b, s->time_ms);
    if (!b->kv_stalled && b->kv_have_outside &&
        (gdouble)rem >= (1 - CV_BENCH_KUBEVIRT_248_MARGIN) * (gdouble)b->kv_min_outside) {
        b->kv_stalled = TRUE;
        b->kv_stall_ms = s->time_ms;
        b->kv_best = rem;
        for (guint i = 0; i < b->kv_n_window; i++)
            b->kv_best = MIN(b->kv_best, b->kv_window[i].remaining);
        b->kv_patience_ms = CV_BENCH_KUBEVIRT_248_WINDOW_S * 1000;
        b->kv_target_since_ms = s->time_ms;
    }
    window_add(b, s->time_ms, rem);
    if (!b->kv_stalled)
        return none(CV_VERDICT_CONVERGING);
    /* wait for a local minimum; relax the target when patience runs out */
    if ((gdouble)rem > (1 + CV_BENCH_KUBEVIRT_248_MARGIN) * (gdouble)b->kv_best) {
        post_add(b, s->time_ms, rem);
        if (s->time_ms - b->kv_target_since_ms > b->kv_patience_ms) {
            guint64 next = 0;

            if (post_pop_min(b, &next))
                b->kv_best = next;
            b->kv_patience_ms = (gint64)(b->kv_patience_ms * CV_BENCH_KUBEVIRT_248_PATIENCE_DECAY);
            b->kv_target_since_ms = s->time_ms;
        }
        return none(CV_VERDICT_STALLED);
    }
    if (!b->kv_have_bw)
        return none(CV_VERDICT_STALLED);
    implied = (gdouble)rem * 1000.0 / b->kv_bw;
    b->kv_implied_ms = (guint64)ceil(implied);
    if (implied > budget_ms - elapsed * 1000.0)
        return none(CV_VERDICT_STALLED);
    if (implied <= CV_BENCH_KUBEVIRT_248_PRECOPY_FACTOR * CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS) {
        b->kv_switchover_deadline_ms = s->time_ms + CV_BENCH_KUBEVIRT_248_SWITCHOVER_S * 1000;
        b->set_limit_ms = CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS;
        d = decide_result(CV_DECISION_SET_DOWNTIME_LIMIT, CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS,
                          "kubevirt-248: stalled, local minimum %" G_GUINT64_FORMAT
                          " B, implied downtime %.0f ms <= 1.5 x 900: soft stop-and-copy",
                          rem, implied);
        d.predicted_blackout_ms = b->kv_implied_ms;
        if (cv_field_valid(&current->downtime_limit_ms) &&
            current->downtime_limit_ms.value == CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS)
            d.kind = CV_DECISION_NONE;
        return d;
    }
    b->done = TRUE;
    return decide_result(CV_DECISION_ABORT, 0,
                         "kubevirt-248: implied downtime %.0f ms > 1.5 x 900: hopeless, abort",
                         implied);
}

/* ---- the decide step ------------------------------------------------------------------ */

CvDecision
cv_bench_baseline_decide(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                         const CvParams *current, const CvPolicyHistory *history,
                         gpointer user_data)
{
    CvBenchBaseline *b = user_data;
    const CvSample *s = &samples[n_samples - 1];
    gboolean boundary_driven = infos[b->kind].events;
    CvDecision d;

    if (b->done || b->kind == CV_BENCH_BASELINE_QEMU)
        return none(CV_VERDICT_CONVERGING);
    if (s->status != CV_MIGRATION_STATUS_ACTIVE && s->status != CV_MIGRATION_STATUS_SETUP)
        return none(CV_VERDICT_SWITCHOVER);
    if (!b->started) {
        b->started = TRUE;
        b->first_ms = s->time_ms;
        /* progress is judged from the start of the watch, not from the clock's origin */
        b->kv_last_progress_ms = s->time_ms;
        b->next_poll_ms = s->time_ms;
    }
    /* one sample per poll interval, as the anchor's loop takes them; an event-driven one also
     * sees every evaluation at an iteration boundary */
    b->poll = s->time_ms >= b->next_poll_ms;
    if (!b->poll && !boundary_driven)
        return none(CV_VERDICT_CONVERGING);
    if (b->poll)
        b->next_poll_ms = s->time_ms + b->poll_interval_ms;
    switch (b->kind) {
    case CV_BENCH_BASELINE_NOVA:
    case CV_BENCH_BASELINE_NOVA_FORCE:
        d = decide_nova(b, s, current);
        break;
    case CV_BENCH_BASELINE_OVIRT_MINIMAL:
    case CV_BENCH_BASELINE_OVIRT_SUSPEND:
        d = decide_ovirt(b, s, current);
        break;
    case CV_BENCH_BASELINE_PROXMOX:
        d = decide_proxmox(b, s, current);
        /* the loop polls faster near the end */
        b->next_poll_ms = MIN(b->next_poll_ms, s->time_ms + b->poll_interval_ms);
        break;
    case CV_BENCH_BASELINE_KUBEVIRT:
    case CV_BENCH_BASELINE_KUBEVIRT_291:
        d = decide_kubevirt(b, s, current);
        break;
    case CV_BENCH_BASELINE_KUBEVIRT_248:
        d = decide_kubevirt_248(b, s, current);
        break;
    case CV_BENCH_BASELINE_QEMU:
    default:
        d = none(CV_VERDICT_CONVERGING);
        break;
    }
    return d;
}
