/* Pure formatting for the virt-converge CLI: human tables and lines, the `--json` records,
 * QEMU `info migrate` layout, the watch screen. No I/O: golden-tested in
 * tests/test-cli-format.c. Every function returns a newly allocated string that ends with a
 * newline when it holds whole lines. */
#pragma once

#include <glib.h>

#include "cv-decision.h"
#include "cv-params.h"
#include "cv-policy.h"
#include "cv-sample.h"
#include "cv-tuner.h"

G_BEGIN_DECLS

/* Stable machine names (JSON) for enums whose to_string is meant for people. */
const gchar *cv_cli_estimate_source_id(CvEstimateSource source);

/* "1.91 GiB", "-" when absent, "invalid" when garbage. */
gchar *cv_cli_format_field_bytes(const CvU64Field *field);
/* "1910 ms", "-" / "invalid". */
gchar *cv_cli_format_field_ms(const CvU64Field *field);
/* "12.3s" for a clock offset in ms. */
gchar *cv_cli_format_seconds(gint64 ms);
/* What a decision would do: "downtime-limit 2101 ms", "switchover-bandwidth 1.00 GiB/s",
 * "start-postcopy", "pause-guest", "abort", "-". */
gchar *cv_cli_format_decision_action(CvDecisionKind kind, guint64 value);

/* Human output of tune/simulate. */
gchar *cv_cli_format_attach(const CvTunerRecord *record);
gchar *cv_cli_format_table_header(void);
gchar *cv_cli_format_iteration(gint64 time_ms, const CvSample *sample, const CvDecision *decision,
                               const CvParams *params);
gchar *cv_cli_format_notice(gint64 time_ms, const gchar *message);
/* @restore: the line describes a restore rather than a change. */
gchar *cv_cli_format_action(const CvTunerAction *action, gboolean restore);
gchar *cv_cli_format_summary(const CvTunerSummary *summary);

/* One JSON object per line for each record (a SAMPLE record gives a "sample" and a "decision"
 * line). */
gchar *cv_cli_format_record_json(const CvTunerRecord *record);

/* status: one reading laid out like QEMU's `info migrate`, then parameters, the verdict and
 * what the engine would set now. @would may be NULL (no stall assumed / nothing to do). */
gchar *cv_cli_format_status(const CvSample *sample, const CvParams *params, const CvPolicy *policy,
                            const CvDecision *now, const CvDecision *would);
gchar *cv_cli_format_status_json(const CvSample *sample, const CvParams *params,
                                 const CvPolicy *policy, const CvDecision *now,
                                 const CvDecision *would);

/* watch: a trend of the last values ("▁▂▃▅▇", oldest first; " " for unknown), @width cells.
 * @values may hold more than @width values; the newest @width are shown. */
gchar *cv_cli_format_sparkline(const guint64 *values, const gboolean *valid, gsize n, gsize width);
/* "↓", "↑", "→" (or "v", "^", "=" with @ascii) comparing @now with @before. */
const gchar *cv_cli_format_arrow(guint64 before, guint64 now, gboolean ascii);

typedef struct {
    const gchar *target;
    const CvSample *sample;
    const CvParams *params;
    const CvDecision *decision;
    const guint64 *remaining_history; /* oldest first */
    const gboolean *remaining_valid;
    const guint64 *expected_history;
    const gboolean *expected_valid;
    gsize n_history;
    gboolean ascii; /* no UTF-8 block characters */
} CvCliWatchView;

/* The whole watch screen, without terminal control sequences. */
gchar *cv_cli_format_watch(const CvCliWatchView *view);

/* policy show: every setting of @policy, one per line, in the config file's key names. */
gchar *cv_cli_format_policy(const CvPolicy *policy);
gchar *cv_cli_format_policy_json(const CvPolicy *policy);

/* The key switchover-bandwidth = learned records a migration to @uri under: its host,
 * lowercased (a libvirt URI, tcp://HOST:PORT, QEMU's tcp:HOST:PORT, [IPv6]); "localhost" for a
 * URI without a host (qemu:///system); NULL when it does not parse. g_free. */
gchar *cv_cli_format_destination_from_uri(const gchar *uri);

G_END_DECLS
