/* One benchmark run: simulated migrations (virt-converge-sim's server and model, in this
 * process, on real unix sockets) tuned by CvTuners through the QMP target, exactly as
 * `virt-converge tune` does, with either our engine or a baseline's decide step, all on one
 * virtual clock that jumps from one thing to happen to the next. Deterministic for a seed,
 * and as fast as the host allows: hours of migration take a second or two. */
#pragma once

#include <glib.h>

#include "cv-bench-baseline.h"
#include "cv-policy.h"
#include "cv-sim-scenario.h"
#include "cv-tuner.h"

G_BEGIN_DECLS

/* What runs the migration: our engine with a policy, or a baseline. */
typedef struct {
    gchar name[32];  /* "ours", "ours+link", "nova", ... */
    gchar label[96]; /* for tables and legends */
    gboolean baseline;
    CvBenchBaselineKind kind;
    CvPolicy policy; /* ours: the policy; a baseline: its name and its actuator bound */
    guint64 cap_ms;  /* the longest pause it promises; 0 = none */
    guint poll_ms;   /* the tuner's poll interval */
    gboolean events; /* migration events on (the product; VEP 248); pollers run without */
} CvBenchPolicy;

/* A baseline as a CvBenchPolicy. */
void cv_bench_policy_baseline(CvBenchPolicy *p, CvBenchBaselineKind kind);
/* Our engine with @policy (a copy), named @name. */
void cv_bench_policy_ours(CvBenchPolicy *p, const gchar *name, const gchar *label,
                          const CvPolicy *policy);

typedef struct {
    gdouble t;        /* seconds since this migration started */
    gdouble pending;  /* bytes: RAM in the bitmap, device precopy and true stop-copy data */
    guint64 limit_ms; /* downtime-limit in force */
} CvBenchPoint;

typedef struct {
    CvTunerOutcome outcome;
    gchar message[CV_TUNER_MESSAGE_MAX];
    /* converged: QEMU completed the migration and the achieved downtime kept the policy's
     * promise; completed: QEMU completed it (a completed run with the downtime above the cap is
     * cap-broken, not converged) */
    gboolean converged;
    gboolean completed;
    gboolean finished;     /* the tuner ended before the horizon */
    gdouble duration_s;    /* migration start to completion, or to the end of the run */
    gdouble first_stall_s; /* since start, when the stall judge fired; < 0: never stalled */
    gdouble stall_onset_s; /* since start, where the plateau it fired on began; < 0: none */
    /* since start, the first applied change that brings the switchover nearer: a
     * downtime-limit above the one in force at attach, post-copy, pause, abort; < 0: none */
    gdouble first_action_s;
    gboolean have_downtime;
    guint64 downtime_ms;  /* QEMU's achieved downtime */
    gdouble floor_ms;     /* least state any exact query found / link rate + fixed costs */
    guint64 max_limit_ms; /* the highest downtime-limit the policy set; 0 = none */
    guint n_changes;
    gdouble bytes_sent;
    gboolean cap_broken;  /* achieved downtime above the policy's promise */
    guint64 predicted_ms; /* the policy's predicted blackout at its last change; 0 = none */
    guint64 expected_ms;  /* QEMU's expected-downtime, last read before the switchover */
    gboolean have_expected;
    gdouble stop_copy_rate; /* bytes/s the final copy got */
    GArray *series;         /* of CvBenchPoint */
} CvBenchInstanceResult;

typedef struct {
    const gchar *scenario; /* name or path */
    const gchar *version;  /* "7.2", "8.2", "11.1" */
    guint seed;
    guint instances;   /* migrations sharing the scenario's link (1 = one migration) */
    gdouble stagger_s; /* instance i starts i x stagger */
    gdouble horizon_s; /* stop watching then (virtual seconds after the last start) */
    gdouble sample_s;  /* chart resolution */
} CvBenchRunConfig;

typedef struct {
    guint n_instances;
    CvBenchInstanceResult *instances;
    gdouble link_rate;  /* the scenario's per-migration link rate (bytes/s) */
    gdouble fixed_cost; /* downtime-fixed plus device costs */
    guint64 evaluations;
    gdouble cpu_s;     /* process CPU time the run took */
    gdouble virtual_s; /* virtual time simulated */
} CvBenchRunResult;

void cv_bench_run_result_clear(CvBenchRunResult *result);

gboolean cv_bench_run(const CvBenchRunConfig *config, const CvBenchPolicy *policy,
                      CvBenchRunResult *result, GError **error);

/* The stall judge every run shares, independent of the policy under test: the state at the
 * latest iteration boundary has not fallen by 4 % against its lowest value older than 10 s,
 * over at least 3 iterations. Fed one point per call; returns TRUE at the first stall. */
typedef struct {
    gdouble t[512];
    gdouble bytes[512];
    guint64 pass[512];
    guint n;
    gboolean stalled;
    gdouble stall_t;
    /* the earliest boundary still held at the stall from which the state never fell by 4 %
     * again: where the plateau began */
    gdouble onset_t;
} CvBenchStallJudge;

gboolean cv_bench_stall_judge_feed(CvBenchStallJudge *judge, gdouble t, guint64 pass,
                                   gdouble boundary_bytes);

/* A benchmark measures outcomes the agent warns about (a cap broken, a migration aborted):
 * those warnings are results, not failures. Undo G_DEBUG=fatal-warnings, which meson's default
 * test setup also gives benchmark() targets. Call first in main(). */
void cv_bench_log_init(void);

G_END_DECLS
