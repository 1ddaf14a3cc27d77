/* The baselines' step schedules, one GTest path per row: each anchor's numbers as
 * shared/reference/anchors.md derives them from its source and defaults. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-bench-baseline.h"

#define GIB (G_GUINT64_CONSTANT(1) << 30)

/* ---- Nova's time-based ramp ------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    guint64 downtime_ms;
    guint steps;
    guint delay;
    gdouble data_gb;
    gdouble elapsed_s;
    guint64 expect_ms;
} NovaRow;

static const NovaRow nova_rows[] = {
    /* defaults, 4 GiB: 50 ms at once, +45 ms every 300 s, 500 ms from 3000 s */
    {"4g-before-start", 500, 10, 75, 4, 0, 0},
    {"4g-at-once", 500, 10, 75, 4, 0.5, 50},
    {"4g-first-step-not-yet", 500, 10, 75, 4, 300, 50},
    {"4g-first-step", 500, 10, 75, 4, 300.5, 95},
    {"4g-ninth", 500, 10, 75, 4, 2999, 455},
    {"4g-last", 500, 10, 75, 4, 3000.5, 500},
    {"4g-stays", 500, 10, 75, 4, 99999, 500},
    /* 16 GiB: the last step only after 12000 s */
    {"16g-before-last", 500, 10, 75, 16, 11999, 455},
    {"16g-last", 500, 10, 75, 16, 12000.5, 500},
    /* Nova's own unit test: 400 ms, 10 steps, 30 s/GiB, 3 GB -> 40, 76, ... every 90 s */
    {"nova-test-first", 400, 10, 30, 3, 1, 40},
    {"nova-test-second", 400, 10, 30, 3, 91, 76},
    {"nova-test-third", 400, 10, 30, 3, 181, 112},
    {"nova-test-last", 400, 10, 30, 3, 901, 400},
    /* the vGPU guide: 500000 ms, 3 steps, 3 s/GiB, 16 GiB: 166 s, 277 s, 388 s, 500 s */
    {"vgpu-guide-first", 500000, 3, 3, 16, 1, 166666},
    {"vgpu-guide-second", 500000, 3, 3, 16, 49, 277777},
    {"vgpu-guide-last", 500000, 3, 3, 16, 145, 500000},
};

static void
test_nova(gconstpointer data)
{
    const NovaRow *row = data;

    g_assert_cmpuint(cv_bench_nova_downtime_at(row->downtime_ms, row->steps, row->delay,
                                               row->data_gb, row->elapsed_s),
                     ==, row->expect_ms);
}

typedef struct {
    const gchar *name;
    guint64 ram;
    gdouble data_gb;
    guint64 timeout_s;
} NovaSizeRow;

static const NovaSizeRow nova_size_rows[] = {
    {"1g-counts-as-2", GIB, 2, 1600},
    {"4g", 4 * GIB, 4, 3200},
    {"16g", 16 * GIB, 16, 12800},
    {"32g", 32 * GIB, 32, 25600},
};

static void
test_nova_size(gconstpointer data)
{
    const NovaSizeRow *row = data;

    g_assert_cmpfloat(cv_bench_nova_data_gb(row->ram), ==, row->data_gb);
    g_assert_cmpuint(cv_bench_nova_completion_timeout_s(row->data_gb), ==, row->timeout_s);
}

/* ---- oVirt's iteration schedule ---------------------------------------------------------- */

typedef struct {
    const gchar *name;
    gboolean suspend;
    guint index;
    gint limit;
    CvBenchOvirtAction action;
    guint64 downtime_ms;
} OvirtRow;

static const OvirtRow ovirt_rows[] = {
    {"minimal-1", FALSE, 0, 1, CV_BENCH_OVIRT_SET_DOWNTIME, 150},
    {"minimal-2", FALSE, 1, 2, CV_BENCH_OVIRT_SET_DOWNTIME, 200},
    {"minimal-3", FALSE, 2, 3, CV_BENCH_OVIRT_SET_DOWNTIME, 300},
    {"minimal-4", FALSE, 3, 4, CV_BENCH_OVIRT_SET_DOWNTIME, 400},
    {"minimal-6", FALSE, 4, 6, CV_BENCH_OVIRT_SET_DOWNTIME, 500},
    {"minimal-then-abort", FALSE, 5, -1, CV_BENCH_OVIRT_ABORT, 0},
    {"suspend-6", TRUE, 4, 6, CV_BENCH_OVIRT_SET_DOWNTIME, 500},
    {"suspend-5000", TRUE, 5, -1, CV_BENCH_OVIRT_SET_DOWNTIME, 5000},
    {"suspend-then-abort", TRUE, 6, -1, CV_BENCH_OVIRT_ABORT, 0},
};

static void
test_ovirt_schedule(gconstpointer data)
{
    const OvirtRow *row = data;
    CvBenchOvirtSchedule s;

    cv_bench_ovirt_schedule(row->suspend, &s);
    g_assert_cmpuint(s.init_ms, ==, 100);
    g_assert_cmpuint(s.n_steps, ==, row->suspend ? 7 : 6);
    g_assert_cmpint(s.steps[row->index].limit, ==, row->limit);
    g_assert_cmpint(s.steps[row->index].action, ==, row->action);
    g_assert_cmpuint(s.steps[row->index].downtime_ms, ==, row->downtime_ms);
}

/* ---- KubeVirt ---------------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    guint step;
    guint64 expect_ms;
} Vep291Row;

static const Vep291Row vep291_rows[] = {
    {"initial", 0, 150}, {"step-1", 1, 279},      {"step-2", 2, 407},
    {"step-3", 3, 536},  {"step-4", 4, 664},      {"step-5", 5, 793},
    {"step-6", 6, 921},  {"step-7-max", 7, 1050}, {"beyond", 9, 1050},
};

static void
test_vep291(gconstpointer data)
{
    const Vep291Row *row = data;

    g_assert_cmpuint(cv_bench_kubevirt_291_value(row->step), ==, row->expect_ms);
}

typedef struct {
    const gchar *name;
    guint64 ram;
    guint64 budget_s;
} KubevirtBudgetRow;

/* 150 s per GB of 10^9 bytes, rounded up, despite the "PerGiB" name */
static const KubevirtBudgetRow kubevirt_budget_rows[] = {
    {"1gb", 1000000000, 150},
    {"1gib-is-2gb", GIB, 300},
    {"8gib-is-9gb", 8 * GIB, 1350},
    {"32gib-is-35gb", 32 * GIB, 5250},
};

static void
test_kubevirt_budget(gconstpointer data)
{
    const KubevirtBudgetRow *row = data;

    g_assert_cmpuint(cv_bench_kubevirt_completion_s(row->ram), ==, row->budget_s);
}

/* ---- the decide steps over sample sequences --------------------------------------------- */

typedef struct {
    gint64 t_ms;
    guint64 pass;
    guint64 remaining;   /* ram.remaining */
    guint64 transferred; /* ram.transferred */
    guint64 limit_ms;    /* downtime-limit QEMU holds before this sample */
    CvDecisionKind expect;
    guint64 expect_value;
} Step;

#define END                                                                                        \
    {                                                                                              \
        -1, 0, 0, 0, 0, 0, 0                                                                       \
    }

typedef struct {
    const gchar *name;
    CvBenchBaselineKind kind;
    guint64 ram;
    Step steps[24];
    gint64 clock_origin_ms; /* the clock's time when the migration started */
} DecideRow;

static const DecideRow decide_rows[] = {
    {"qemu-never-acts",
     CV_BENCH_BASELINE_QEMU,
     8 * GIB,
     {{0, 1, 100, 1, 300, CV_DECISION_NONE, 0},
      {60000, 50, 100, 2, 300, CV_DECISION_NONE, 0},
      END}},
    /* Nova, 8 GiB: 50 ms at once (lowering QEMU's 300), 95 ms after 600 s, abort after 6400 s */
    {"nova-ramp-and-abort",
     CV_BENCH_BASELINE_NOVA,
     8 * GIB,
     {{500, 1, 100, 1, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 50},
      {1000, 2, 100, 2, 50, CV_DECISION_NONE, 0},
      {600000, 90, 100, 3, 50, CV_DECISION_NONE, 0},
      {600500, 91, 100, 4, 50, CV_DECISION_SET_DOWNTIME_LIMIT, 95},
      {6400500, 900, 100, 5, 500, CV_DECISION_ABORT, 0},
      {6401000, 901, 100, 6, 500, CV_DECISION_NONE, 0},
      END}},
    /* force_complete without post-copy pauses the guest instead */
    {"nova-force-pauses",
     CV_BENCH_BASELINE_NOVA_FORCE,
     2 * GIB,
     {{500, 1, 100, 1, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 50},
      {1600500, 900, 100, 5, 500, CV_DECISION_PAUSE_GUEST, 0},
      {1601000, 901, 100, 6, 500, CV_DECISION_NONE, 0},
      END}},
    /* Nova samples every 0.5 s: a second evaluation within it is not a sample */
    {"nova-polls-every-500ms",
     CV_BENCH_BASELINE_NOVA,
     2 * GIB,
     {{500, 1, 100, 1, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 50},
      {149900, 50, 100, 2, 50, CV_DECISION_NONE, 0}, /* 149.9 s: not yet */
      {150100, 51, 100, 3, 50, CV_DECISION_NONE, 0}, /* 150.1 s, but no sample before 150.4 */
      {150400, 52, 100, 4, 50, CV_DECISION_SET_DOWNTIME_LIMIT, 95},
      END}},
    /* oVirt Minimal downtime: init 100, one step per 10 s sample that sees a new iteration,
     * counted from the first sample's iteration */
    {"ovirt-minimal",
     CV_BENCH_BASELINE_OVIRT_MINIMAL,
     8 * GIB,
     {{0, 1, 100, 1, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 100},
      {10000, 2, 100, 2, 100, CV_DECISION_NONE, 0}, /* 1 iteration: not > 1 */
      {20000, 2, 100, 3, 100, CV_DECISION_NONE, 0}, /* no new iteration */
      {30000, 9, 100, 4, 100, CV_DECISION_SET_DOWNTIME_LIMIT, 150},
      {35000, 10, 100, 5, 150, CV_DECISION_NONE, 0}, /* between samples */
      {40000, 10, 100, 6, 150, CV_DECISION_SET_DOWNTIME_LIMIT, 200},
      {50000, 11, 100, 7, 200, CV_DECISION_SET_DOWNTIME_LIMIT, 300},
      {60000, 12, 100, 8, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 400},
      {70000, 13, 100, 9, 400, CV_DECISION_SET_DOWNTIME_LIMIT, 500},
      {80000, 14, 100, 10, 500, CV_DECISION_ABORT, 0},
      {90000, 15, 100, 11, 500, CV_DECISION_NONE, 0},
      END}},
    {"ovirt-suspend",
     CV_BENCH_BASELINE_OVIRT_SUSPEND,
     8 * GIB,
     {{0, 1, 100, 1, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 100},
      {10000, 3, 100, 2, 100, CV_DECISION_SET_DOWNTIME_LIMIT, 150},
      {20000, 4, 100, 3, 150, CV_DECISION_SET_DOWNTIME_LIMIT, 200},
      {30000, 5, 100, 4, 200, CV_DECISION_SET_DOWNTIME_LIMIT, 300},
      {40000, 6, 100, 5, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 400},
      {50000, 7, 100, 6, 400, CV_DECISION_NONE, 0}, /* 6 is not > 6 */
      {60000, 8, 100, 7, 400, CV_DECISION_SET_DOWNTIME_LIMIT, 500},
      {70000, 9, 100, 8, 500, CV_DECISION_SET_DOWNTIME_LIMIT, 5000},
      {80000, 10, 100, 9, 5000, CV_DECISION_ABORT, 0},
      END}},
    /* Proxmox: 100 ms, doubled once ram.remaining grew on a sixth poll that progressed */
    {"proxmox-doubles",
     CV_BENCH_BASELINE_PROXMOX,
     8 * GIB,
     {{0, 1, 900, 10, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 100},
      {1000, 2, 800, 20, 100, CV_DECISION_NONE, 0},
      {2000, 3, 900, 30, 100, CV_DECISION_NONE, 0}, /* grew: 1 */
      {3000, 4, 950, 40, 100, CV_DECISION_NONE, 0}, /* 2 */
      {4000, 5, 950, 40, 100, CV_DECISION_NONE, 0}, /* no transfer: not counted */
      {5000, 6, 990, 50, 100, CV_DECISION_NONE, 0}, /* 3 */
      {6000, 7, 999, 60, 100, CV_DECISION_NONE, 0}, /* 4 */
      {7000, 8, 500, 70, 100, CV_DECISION_NONE, 0},
      {8000, 9, 600, 80, 100, CV_DECISION_NONE, 0},                  /* 5 */
      {9000, 10, 700, 90, 100, CV_DECISION_SET_DOWNTIME_LIMIT, 200}, /* 6 > 5 */
      {10000, 11, 800, 100, 200, CV_DECISION_NONE, 0},
      END}},
    /* KubeVirt legacy: no change; abort once remaining has not dropped for 150 s */
    {"kubevirt-progress-timeout",
     CV_BENCH_BASELINE_KUBEVIRT,
     8 * GIB,
     {{0, 1, 1000, 1, 300, CV_DECISION_NONE, 0},
      {400, 1, 900, 2, 300, CV_DECISION_NONE, 0},
      {100000, 5, 900, 3, 300, CV_DECISION_NONE, 0},
      {150400, 6, 950, 4, 300, CV_DECISION_NONE, 0},
      {150800, 6, 950, 5, 300, CV_DECISION_ABORT, 0},
      END}},
    /* a monotonic clock does not start at 0, and setup has no ram.remaining yet: progress
     * counts from the first sample, not from the clock's origin */
    {"kubevirt-clock-not-at-zero",
     CV_BENCH_BASELINE_KUBEVIRT_291,
     8 * GIB,
     {{36000000, 0, 0, 0, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 150},
      {36000400, 1, 1000, 1, 150, CV_DECISION_NONE, 0},
      {36100000, 2, 900, 2, 150, CV_DECISION_NONE, 0},
      END},
     36000000},
    /* ... and at the completion budget: 150 s x 9 GB for 8 GiB */
    {"kubevirt-completion",
     CV_BENCH_BASELINE_KUBEVIRT,
     8 * GIB,
     {{0, 1, 1000, 1, 300, CV_DECISION_NONE, 0},
      {1349600, 500, 999, 2, 300, CV_DECISION_NONE, 0},
      {1350400, 501, 998, 3, 300, CV_DECISION_ABORT, 0},
      END}},
    /* VEP 291: 150 ms at once, then from iteration 3, one step per 10 s */
    {"kubevirt-291-ramp",
     CV_BENCH_BASELINE_KUBEVIRT_291,
     8 * GIB,
     {{0, 1, 1000, 1, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 150},
      {10400, 2, 900, 2, 150, CV_DECISION_NONE, 0}, /* iteration 2 */
      {10800, 3, 800, 3, 150, CV_DECISION_SET_DOWNTIME_LIMIT, 279},
      {11200, 4, 700, 4, 279, CV_DECISION_NONE, 0}, /* cooldown */
      {20800, 5, 600, 5, 279, CV_DECISION_SET_DOWNTIME_LIMIT, 407},
      {30800, 6, 500, 6, 407, CV_DECISION_SET_DOWNTIME_LIMIT, 536},
      {40800, 7, 400, 7, 536, CV_DECISION_SET_DOWNTIME_LIMIT, 664},
      {50800, 8, 300, 8, 664, CV_DECISION_SET_DOWNTIME_LIMIT, 793},
      {60800, 9, 200, 9, 793, CV_DECISION_SET_DOWNTIME_LIMIT, 921},
      {70800, 10, 100, 10, 921, CV_DECISION_SET_DOWNTIME_LIMIT, 1050},
      {80800, 11, 90, 11, 1050, CV_DECISION_NONE, 0},
      END}},
    /* VEP 248: stalled when remaining at a boundary is not 4 % below the least remaining
     * older than 40 s; at the local minimum, soft stop-and-copy at 900 ms (implied downtime
     * 1.0 GB / 1 GB/s = 1000 ms <= 1.5 x 900) */
    {"kubevirt-248-stall",
     CV_BENCH_BASELINE_KUBEVIRT_248,
     8 * GIB,
     {{0, 1, 2000000000, 1, 300, CV_DECISION_NONE, 0}, /* 300 already */
      {10000, 2, 1000000000, 2, 300, CV_DECISION_NONE, 0},
      {20000, 3, 1100000000, 3, 300, CV_DECISION_NONE, 0},
      {50000, 4, 1050000000, 4, 300, CV_DECISION_NONE, 0}, /* nothing older than 40 s yet */
      /* the 1.0 GB of 10 s is: 1.0 >= 0.96 x 1.0, stalled, and 1.0 GB is the local minimum */
      {60000, 5, 1000000000, 5, 300, CV_DECISION_SET_DOWNTIME_LIMIT, 900},
      {70000, 6, 1000000000, 6, 900, CV_DECISION_NONE, 0},
      {130400, 20, 1000000000, 7, 900, CV_DECISION_ABORT, 0}, /* no switchover in 60 s */
      END}},
};

/* Pass 0 is the setup reading: no iteration and no ram.remaining yet. QEMU's total-time
 * counts from the migration's start on the clock. */
static CvSample
make_sample(const Step *st, gint64 start_ms)
{
    CvSample s;

    cv_sample_init(&s);
    s.time_ms = st->t_ms;
    s.status = st->pass == 0 ? CV_MIGRATION_STATUS_SETUP : CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s.total_time_ms, (guint64)(st->t_ms - start_ms));
    if (st->pass > 0) {
        cv_field_set(&s.ram_dirty_sync_count, st->pass);
        cv_field_set(&s.ram_remaining, st->remaining);
    }
    cv_field_set(&s.ram_transferred, st->transferred);
    cv_field_set(&s.ram_total, 8 * GIB);
    /* 8000 Mbit/s = 1 GB/s */
    s.ram_mbps.state = CV_FIELD_VALID;
    s.ram_mbps.value = 8000;
    return s;
}

static void
test_decide(gconstpointer data)
{
    const DecideRow *row = data;
    CvBenchBaseline b;
    CvPolicy policy;
    CvPolicyHistory history;

    cv_policy_init_default(&policy);
    cv_policy_history_init(&history);
    cv_bench_baseline_init(&b, row->kind, row->ram, FALSE);
    for (guint i = 0; row->steps[i].t_ms >= 0; i++) {
        const Step *st = &row->steps[i];
        CvSample s = make_sample(st, row->clock_origin_ms);
        CvParams params;
        CvDecision d;

        cv_params_init(&params);
        cv_field_set(&params.downtime_limit_ms, st->limit_ms);
        d = cv_bench_baseline_decide(&policy, &s, 1, &params, &history, &b);
        if (d.kind != st->expect || d.value != st->expect_value)
            g_error("%s step %u (t %" G_GINT64_FORMAT " ms): got %s %" G_GUINT64_FORMAT
                    ", expected %s %" G_GUINT64_FORMAT " (%s)",
                    row->name, i, st->t_ms, cv_decision_kind_to_string(d.kind), d.value,
                    cv_decision_kind_to_string(st->expect), st->expect_value, d.reason);
        if (d.kind != CV_DECISION_NONE)
            g_assert_cmpuint(strlen(d.reason), >, 0);
    }
}

/* VEP 248's soft stop-and-copy carries its implied downtime as the predicted blackout. */
static void
test_248_prediction(void)
{
    const DecideRow *row = NULL;
    CvBenchBaseline b;
    CvPolicy policy;
    CvPolicyHistory history;
    guint64 predicted = 0;

    for (guint i = 0; i < G_N_ELEMENTS(decide_rows); i++) {
        if (g_strcmp0(decide_rows[i].name, "kubevirt-248-stall") == 0)
            row = &decide_rows[i];
    }
    g_assert_nonnull(row);
    cv_policy_init_default(&policy);
    cv_policy_history_init(&history);
    cv_bench_baseline_init(&b, row->kind, row->ram, FALSE);
    for (guint i = 0; row->steps[i].t_ms >= 0; i++) {
        CvSample s = make_sample(&row->steps[i], row->clock_origin_ms);
        CvParams params;
        CvDecision d;

        cv_params_init(&params);
        cv_field_set(&params.downtime_limit_ms, row->steps[i].limit_ms);
        d = cv_bench_baseline_decide(&policy, &s, 1, &params, &history, &b);
        if (d.kind == CV_DECISION_SET_DOWNTIME_LIMIT)
            predicted = d.predicted_blackout_ms;
    }
    g_assert_cmpuint(predicted, ==, 1000);
}

static void
test_info(void)
{
    for (guint i = 0; i < CV_BENCH_N_BASELINES; i++) {
        const CvBenchBaselineInfo *info = cv_bench_baseline_info((CvBenchBaselineKind)i);
        CvBenchBaselineKind back;

        g_assert_nonnull(info->name);
        g_assert_true(cv_bench_baseline_from_name(info->name, &back));
        g_assert_cmpint(back, ==, i);
        g_assert_cmpuint(info->poll_ms, >, 0);
        g_assert_cmpuint(info->max_limit_ms, >=, info->cap_ms);
    }
    g_assert_false(cv_bench_baseline_from_name("vmware", NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(nova_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/bench/nova/ramp/%s", nova_rows[i].name);
        g_test_add_data_func(p, &nova_rows[i], test_nova);
    }
    for (guint i = 0; i < G_N_ELEMENTS(nova_size_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/bench/nova/size/%s", nova_size_rows[i].name);
        g_test_add_data_func(p, &nova_size_rows[i], test_nova_size);
    }
    for (guint i = 0; i < G_N_ELEMENTS(ovirt_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/bench/ovirt/schedule/%s", ovirt_rows[i].name);
        g_test_add_data_func(p, &ovirt_rows[i], test_ovirt_schedule);
    }
    for (guint i = 0; i < G_N_ELEMENTS(vep291_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/bench/kubevirt/vep291/%s", vep291_rows[i].name);
        g_test_add_data_func(p, &vep291_rows[i], test_vep291);
    }
    for (guint i = 0; i < G_N_ELEMENTS(kubevirt_budget_rows); i++) {
        g_autofree gchar *p =
            g_strdup_printf("/bench/kubevirt/budget/%s", kubevirt_budget_rows[i].name);
        g_test_add_data_func(p, &kubevirt_budget_rows[i], test_kubevirt_budget);
    }
    for (guint i = 0; i < G_N_ELEMENTS(decide_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/bench/decide/%s", decide_rows[i].name);
        g_test_add_data_func(p, &decide_rows[i], test_decide);
    }
    g_test_add_func("/bench/kubevirt/vep248/prediction", test_248_prediction);
    g_test_add_func("/bench/info", test_info);
    return g_test_run();
}
