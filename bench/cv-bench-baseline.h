/* What people run today, as decide steps behind our own tuner and target: QEMU's default,
 * OpenStack Nova, oVirt/VDSM, Proxmox VE and KubeVirt (legacy, VEP 291, VEP 248), each with
 * its defaults and its sampling interval as ../shared/reference/anchors.md describes them.
 * They live here, not in the product's policy list: they exist to be measured against.
 *
 * Each baseline is a CvTunerDecideFunc over its own state (CvBenchBaseline). The tuner calls it
 * at every evaluation; the baseline acts only on the samples its anchor would have taken (one
 * per poll interval), reads only what its anchor reads (libvirt's job stats are QEMU's RAM
 * figures: no system-wide remaining, no expected-downtime), and returns the one change it
 * would make. Pure: no clock, no I/O; time comes in the samples. */
#pragma once

#include <glib.h>

#include "cv-decision.h"
#include "cv-params.h"
#include "cv-policy.h"
#include "cv-sample.h"

G_BEGIN_DECLS

typedef enum {
    CV_BENCH_BASELINE_QEMU = 0,      /* QEMU's default: 300 ms, nothing changed */
    CV_BENCH_BASELINE_NOVA,          /* Nova, live_migration_timeout_action = abort */
    CV_BENCH_BASELINE_NOVA_FORCE,    /* Nova, force_complete without post-copy: pause */
    CV_BENCH_BASELINE_OVIRT_MINIMAL, /* oVirt "Minimal downtime" */
    CV_BENCH_BASELINE_OVIRT_SUSPEND, /* oVirt "Suspend workload if needed" */
    CV_BENCH_BASELINE_PROXMOX,       /* Proxmox VE: doubling */
    CV_BENCH_BASELINE_KUBEVIRT,      /* KubeVirt legacy: progress and completion timeouts */
    CV_BENCH_BASELINE_KUBEVIRT_291,  /* legacy + VEP 291 dynamic downtime */
    CV_BENCH_BASELINE_KUBEVIRT_248,  /* VEP 248 stall detector */
} CvBenchBaselineKind;

#define CV_BENCH_N_BASELINES 9

typedef struct {
    const gchar *name;  /* "nova" */
    const gchar *label; /* "OpenStack Nova (abort)" */
    guint poll_ms;      /* the anchor's sampling interval */
    gboolean events;    /* driven by iteration events (besides its poll) */
    /* The longest pause the anchor is configured to accept (ms); 0 = none stated. */
    guint64 cap_ms;
    /* The highest downtime-limit it may ever set (the actuator's bound for this baseline). */
    guint64 max_limit_ms;
    const gchar *source; /* where its algorithm and defaults come from */
} CvBenchBaselineInfo;

const CvBenchBaselineInfo *cv_bench_baseline_info(CvBenchBaselineKind kind);
gboolean cv_bench_baseline_from_name(const gchar *name, CvBenchBaselineKind *kind);

/* ---- the schedules, pure ---------------------------------------------------------------- */

/* Nova's defaults (nova/conf/libvirt.py). */
#define CV_BENCH_NOVA_DOWNTIME_MS 500
#define CV_BENCH_NOVA_STEPS 10
#define CV_BENCH_NOVA_DELAY_S_PER_GIB 75
#define CV_BENCH_NOVA_COMPLETION_S_PER_GIB 800
#define CV_BENCH_NOVA_POLL_MS 500

/* _live_migration_data_gb(): flavor RAM in GiB, at least 2 (no block migration here). */
gdouble cv_bench_nova_data_gb(guint64 ram_bytes);
/* The downtime-limit Nova's schedule holds after @elapsed_s seconds (the last point whose time
 * is strictly below @elapsed_s), with @downtime_ms/@steps/@delay_s per GiB as configured;
 * 0 before the first point. */
guint64 cv_bench_nova_downtime_at(guint64 downtime_ms, guint steps, guint delay_s_per_gib,
                                  gdouble data_gb, gdouble elapsed_s);
/* Seconds after which Nova takes its timeout action (0 = off). */
guint64 cv_bench_nova_completion_timeout_s(gdouble data_gb);

/* oVirt's built-in convergence schedules (0000_config.sql): an initial downtime, then steps
 * taken once the iteration count since the first sample exceeds their limit, one per 10 s
 * sample; a limit of -1 means "the next new iteration". */
typedef enum {
    CV_BENCH_OVIRT_SET_DOWNTIME = 0,
    CV_BENCH_OVIRT_ABORT,
} CvBenchOvirtAction;

typedef struct {
    gint limit;
    CvBenchOvirtAction action;
    guint64 downtime_ms;
} CvBenchOvirtStep;

#define CV_BENCH_OVIRT_POLL_MS 10000
#define CV_BENCH_OVIRT_MAX_STEPS 8

typedef struct {
    guint64 init_ms;
    CvBenchOvirtStep steps[CV_BENCH_OVIRT_MAX_STEPS];
    guint n_steps;
} CvBenchOvirtSchedule;

/* @suspend: "Suspend workload if needed", else "Minimal downtime". */
void cv_bench_ovirt_schedule(gboolean suspend, CvBenchOvirtSchedule *schedule);

/* Proxmox (QemuMigrate.pm phase2): 100 ms, doubled when ram.remaining grew on more than 5
 * polls where the transfer progressed. */
#define CV_BENCH_PROXMOX_INITIAL_MS 100
#define CV_BENCH_PROXMOX_POLL_MS 1000
#define CV_BENCH_PROXMOX_FAST_POLL_MS 100

/* KubeVirt defaults (virt-config.go, VEP 291, VEP 248). */
#define CV_BENCH_KUBEVIRT_POLL_MS 400
#define CV_BENCH_KUBEVIRT_COMPLETION_S_PER_GB 150
#define CV_BENCH_KUBEVIRT_PROGRESS_TIMEOUT_S 150
#define CV_BENCH_KUBEVIRT_MAX_DOWNTIME_MS 900
#define CV_BENCH_KUBEVIRT_291_INITIAL_MS 150
#define CV_BENCH_KUBEVIRT_291_MAX_MS 1050
#define CV_BENCH_KUBEVIRT_291_STEPS 7
#define CV_BENCH_KUBEVIRT_291_START_ITERATION 3
#define CV_BENCH_KUBEVIRT_291_COOLDOWN_S 10
#define CV_BENCH_KUBEVIRT_248_WINDOW_S 40
#define CV_BENCH_KUBEVIRT_248_MARGIN 0.04
#define CV_BENCH_KUBEVIRT_248_EWMA 0.4
#define CV_BENCH_KUBEVIRT_248_PRECOPY_FACTOR 1.5
#define CV_BENCH_KUBEVIRT_248_SWITCHOVER_S 60
#define CV_BENCH_KUBEVIRT_248_PATIENCE_DECAY 0.5

/* acceptableCompletionTime: 150 s per GB (10^9, rounded up) of guest memory. */
guint64 cv_bench_kubevirt_completion_s(guint64 ram_bytes);
/* The downtime-limit of VEP 291's ramp after @step raises (0 = the initial 150 ms). */
guint64 cv_bench_kubevirt_291_value(guint step);

/* ---- the decide steps ----------------------------------------------------------------- */

#define CV_BENCH_248_MAX_RECORDS 256

typedef struct {
    gint64 time_ms;
    guint64 remaining;
} CvBench248Record;

typedef struct {
    CvBenchBaselineKind kind;
    /* What the management layer knows from the domain definition. */
    guint64 ram_bytes;
    gboolean vfio;

    gboolean started;     /* the first sample was seen */
    gboolean poll;        /* this sample is one the anchor's poll takes */
    gint64 next_poll_ms;  /* the next sample the anchor takes */
    gint64 phase_ms;      /* where its poll loop stands against the migration's start */
    gint64 first_ms;      /* time of the first sample */
    guint64 set_limit_ms; /* the last limit it set (0 = none) */
    gboolean done;        /* took its last action (abort, pause): nothing more */

    /* Nova */
    gboolean timed_out;
    /* oVirt */
    CvBenchOvirtSchedule ovirt;
    guint ovirt_next;
    gboolean have_first_iteration;
    guint64 first_iteration;
    guint64 last_iteration;
    /* Proxmox */
    guint proxmox_polls;
    guint64 proxmox_last_transferred;
    gboolean proxmox_have_lastrem;
    guint64 proxmox_lastrem;
    guint proxmox_counter;
    guint64 proxmox_downtime_ms;
    guint poll_interval_ms;
    /* KubeVirt */
    guint64 kv_last_remaining;
    gint64 kv_last_progress_ms;
    gboolean kv_have_remaining;
    guint kv_291_steps;
    gint64 kv_291_last_change_ms;
    /* VEP 248 */
    gdouble kv_bw;
    gboolean kv_have_bw;
    guint64 kv_last_pass;
    CvBench248Record kv_window[CV_BENCH_248_MAX_RECORDS]; /* monotone candidate minima */
    guint kv_n_window;
    gboolean kv_have_outside;
    guint64 kv_min_outside;
    gboolean kv_stalled;
    gint64 kv_stall_ms;
    guint64 kv_best;
    CvBench248Record kv_post[CV_BENCH_248_MAX_RECORDS]; /* post-stall samples */
    guint kv_n_post;
    gint64 kv_patience_ms;
    gint64 kv_target_since_ms;
    gint64 kv_switchover_deadline_ms; /* 0 = none */
    guint64 kv_implied_ms;
} CvBenchBaseline;

void cv_bench_baseline_init(CvBenchBaseline *baseline, CvBenchBaselineKind kind, guint64 ram_bytes,
                            gboolean vfio);
/* The first sample acts (what an anchor does as it starts the migration); its poll loop then
 * takes the next one after @phase_ms (0: a whole interval), and one per interval from there. */
void cv_bench_baseline_set_phase(CvBenchBaseline *baseline, gint64 phase_ms);

/* A CvTunerDecideFunc: @user_data is the CvBenchBaseline. @policy and @history are the
 * tuner's and are not read (a baseline keeps its own state). */
CvDecision cv_bench_baseline_decide(const CvPolicy *policy, const CvSample *samples,
                                    gsize n_samples, const CvParams *current,
                                    const CvPolicyHistory *history, gpointer user_data);

G_END_DECLS
