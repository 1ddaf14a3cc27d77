/* The one decision type: what the engine wants done now, and why. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    CV_DECISION_NONE = 0,
    CV_DECISION_SET_SWITCHOVER_BANDWIDTH, /* value: bytes/s */
    CV_DECISION_SET_DOWNTIME_LIMIT,       /* value: ms */
    CV_DECISION_START_POSTCOPY,
    CV_DECISION_PAUSE_GUEST,
    CV_DECISION_ABORT,
} CvDecisionKind;

/* The engine's reading of the migration, independent of the action. */
typedef enum {
    CV_VERDICT_WARMUP = 0, /* not enough iterations or data to judge yet */
    CV_VERDICT_CONVERGING,
    CV_VERDICT_STALLED,
    CV_VERDICT_ESCALATING, /* the cap is not enough; walking the escalation list */
    CV_VERDICT_SWITCHOVER, /* QEMU has stopped the guest / post-copy: nothing to tune */
    CV_VERDICT_FINISHED,   /* completed, failed or cancelled */
    CV_VERDICT_BLIND,      /* the fields needed to judge are missing or invalid */
} CvVerdict;

/* Where the needed downtime came from; the tuner reports it so operators know which
 * fallback a QEMU version forced. */
typedef enum {
    CV_ESTIMATE_NONE = 0,
    CV_ESTIMATE_QEMU_ALL_DEVICES,  /* 11.1+: expected-downtime counts every device */
    CV_ESTIMATE_QEMU_RAM_ONLY,     /* < 11.1 without VFIO: expected-downtime is the truth */
    CV_ESTIMATE_PENDING_OVER_RATE, /* pending / switchover bandwidth, the engine's own */
    CV_ESTIMATE_LADDER,            /* < 11.1 with VFIO: device share unknown, bounded steps */
} CvEstimateSource;

#define CV_DECISION_REASON_MAX 320

typedef struct {
    CvDecisionKind kind;
    CvVerdict verdict;
    guint64 value;                 /* ms for SET_DOWNTIME_LIMIT, bytes/s for bandwidth */
    guint64 needed_downtime_ms;    /* 0 when not computed */
    guint64 predicted_blackout_ms; /* 0 when not computed */
    CvEstimateSource source;
    /* Escalation steps consumed once this decision is applied: the value
     * cv_policy_history_record() stores in CvPolicyHistory.escalation_index. 0 = the decision
     * takes no escalation step. A WAIT step has no action, so kind stays NONE while this moves. */
    guint escalation_next;
    gchar reason[CV_DECISION_REASON_MAX]; /* one line naming the numbers used */
} CvDecision;

const gchar *cv_decision_kind_to_string(CvDecisionKind kind);
const gchar *cv_verdict_to_string(CvVerdict verdict);
const gchar *cv_estimate_source_to_string(CvEstimateSource source);

/* Human sizes as QEMU prints them ("1.91 GiB", "512.00 MiB", "900 B"). */
void cv_format_bytes(guint64 bytes, gchar *buf, gsize len);
/* Rates: "1.00 GiB/s", "460.0 Mbit/s" style is not used; always bytes per second units. */
void cv_format_rate(guint64 bytes_per_s, gchar *buf, gsize len);

G_END_DECLS
