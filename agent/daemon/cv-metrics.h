/* Metrics in Prometheus' text exposition format, for node_exporter's textfile collector: the
 * daemon keeps the numbers here and writes the whole file atomically (temporary file and
 * rename, mode 0644: node_exporter runs as another user) after every change worth telling.
 *
 * Per tuned migration (labels migration_id, domain):
 *   virt_converge_migration_info{...,uri,policy} 1
 *   virt_converge_migration_remaining_bytes        pending data (system-wide, else RAM)
 *   virt_converge_migration_expected_downtime_seconds
 *   virt_converge_migration_downtime_limit_seconds
 *   virt_converge_migration_verdict{...,verdict}    1 for the current verdict, 0 for the others
 * Counters since the daemon started:
 *   virt_converge_decisions_total{kind,result}      changes applied, refused, failed, dry runs
 *   virt_converge_outcomes_total{outcome}
 *   virt_converge_outside_changes_total{parameter}
 *   virt_converge_cap_refusals_total                changes the actuator refused over a cap
 * And virt_converge_up (1 while running, 0 in the file a stopping daemon leaves behind) and
 * virt_converge_migrations (how many are tuned now). A value QEMU did not report is left out,
 * not written as 0. */
#pragma once

#include <glib.h>

#include "cv-decision.h"
#include "cv-sample.h"

G_BEGIN_DECLS

typedef struct _CvMetrics CvMetrics;

CvMetrics *cv_metrics_new(void);
void cv_metrics_free(CvMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvMetrics, cv_metrics_free)

/* Series that exist at 0 before anything happened, so rate() and alerts see them from the
 * start: an outcome name ("completed", ...) and the decisions applied of each kind. */
void cv_metrics_declare_outcome(CvMetrics *metrics, const gchar *outcome);

void cv_metrics_count_decision(CvMetrics *metrics, const gchar *kind, const gchar *result);
void cv_metrics_count_outcome(CvMetrics *metrics, const gchar *outcome);
void cv_metrics_count_outside_change(CvMetrics *metrics, const gchar *parameter);
void cv_metrics_count_cap_refusal(CvMetrics *metrics);
void cv_metrics_set_up(CvMetrics *metrics, gboolean up);

typedef struct {
    const gchar *migration_id;
    const gchar *domain;
    const gchar *uri;
    const gchar *policy;
    CvU64Field pending;           /* bytes */
    CvU64Field expected_downtime; /* ms */
    CvU64Field downtime_limit;    /* ms */
    gboolean have_verdict;
    CvVerdict verdict;
} CvMetricsMigration;

/* Add or replace the gauges of one migration (copied). */
void cv_metrics_set_migration(CvMetrics *metrics, const CvMetricsMigration *migration);
void cv_metrics_remove_migration(CvMetrics *metrics, const gchar *migration_id);

/* The whole exposition, deterministic order. */
gchar *cv_metrics_format(const CvMetrics *metrics);

/* Format and replace @path atomically, mode 0644. Errors: CV_STATE_ERROR_*. */
gboolean cv_metrics_write(const CvMetrics *metrics, const gchar *path, GError **error);

G_END_DECLS
