/* The stall judge every benchmark run shares: when it fires, and where it says the plateau
 * began (the stall onset the decision latency is measured from). One GTest path per row. */
#include "config.h"

#include <glib.h>

#include "cv-actuator-cap.h"
#include "cv-bench-harness.h"

#define MAX_POINTS 40

typedef struct {
    const gchar *name;
    /* the state at the iteration boundary of second t (pass t + 1); < 0 ends the series */
    gdouble bytes[MAX_POINTS];
    gdouble expect_stall_t; /* < 0: never stalls */
    gdouble expect_onset_t;
} JudgeRow;

static const JudgeRow judge_rows[] = {
    /* falls, then flat from second 3: judged after 10 s of that, the plateau began at 3 */
    {"plateau",
     {100, 80, 60, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, -1},
     13,
     3},
    /* a sawtooth within 4 % of 50 from second 2 is a plateau from second 2, not from its
     * last low */
    {"sawtooth", {100, 70, 50, 52, 49, 51, 50, 52, 49, 51, 50, 52, 49, 51, 50, -1}, 12, 2},
    /* 10 % less every second never stalls */
    {"falling",
     {100,  90,   81,   72.9, 65.6, 59,   53.1, 47.8, 43, 38.7,
      34.9, 31.4, 28.2, 25.4, 22.9, 20.6, 18.5, 16.7, 15, -1},
     -1,
     -1},
    /* grows again late (a device re-reports its state): the plateau is where it stopped
     * falling, the regrowth does not move the onset */
    {"regrow", {100, 50, 20, 20, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, -1}, 12, 2},
};

static void
test_judge(gconstpointer data)
{
    const JudgeRow *row = data;
    g_autofree CvBenchStallJudge *judge = g_new0(CvBenchStallJudge, 1);
    gdouble fired = -1;

    for (guint i = 0; i < MAX_POINTS && row->bytes[i] >= 0; i++) {
        if (cv_bench_stall_judge_feed(judge, (gdouble)i, i + 1, row->bytes[i])) {
            g_assert_cmpfloat(fired, <, 0);
            fired = (gdouble)i;
        }
    }
    g_assert_cmpfloat_with_epsilon(fired, row->expect_stall_t, 1e-9);
    if (row->expect_stall_t >= 0) {
        g_assert_true(judge->stalled);
        g_assert_cmpfloat_with_epsilon(judge->stall_t, row->expect_stall_t, 1e-9);
        g_assert_cmpfloat_with_epsilon(judge->onset_t, row->expect_onset_t, 1e-9);
    } else {
        g_assert_false(judge->stalled);
    }
}

/* A baseline's top step goes out through our actuator: the anchors keep no switchover
 * reserve, and with ours the actuator refused oVirt's 500 ms and VEP 291's 1050 ms. */
static void
test_baseline_top_step(gconstpointer data)
{
    CvBenchBaselineKind kind = (CvBenchBaselineKind)GPOINTER_TO_UINT(data);
    const CvBenchBaselineInfo *info = cv_bench_baseline_info(kind);
    CvBenchPolicy p;
    CvParams params;
    gchar why[256] = "";

    cv_bench_policy_baseline(&p, kind);
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    g_assert_true(cv_actuator_check_downtime_limit(&p.policy, &params, info->max_limit_ms, 0, FALSE,
                                                   why, sizeof(why)));
    g_assert_cmpstr(why, ==, "");
    /* and the bound still holds one step above it */
    g_assert_false(cv_actuator_check_downtime_limit(&p.policy, &params, info->max_limit_ms + 1, 0,
                                                    FALSE, why, sizeof(why)));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(judge_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/bench/judge/%s", judge_rows[i].name);
        g_test_add_data_func(p, &judge_rows[i], test_judge);
    }
    for (guint i = 0; i < CV_BENCH_N_BASELINES; i++) {
        g_autofree gchar *p = g_strdup_printf("/bench/policy/baseline-top-step/%s",
                                              cv_bench_baseline_info((CvBenchBaselineKind)i)->name);
        g_test_add_data_func(p, GUINT_TO_POINTER(i), test_baseline_top_step);
    }
    return g_test_run();
}
