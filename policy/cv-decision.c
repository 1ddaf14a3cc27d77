#include "config.h"

#include "cv-decision.h"

const gchar *
cv_decision_kind_to_string(CvDecisionKind kind)
{
    switch (kind) {
    case CV_DECISION_NONE:
        return "none";
    case CV_DECISION_SET_SWITCHOVER_BANDWIDTH:
        return "set-switchover-bandwidth";
    case CV_DECISION_SET_DOWNTIME_LIMIT:
        return "set-downtime-limit";
    case CV_DECISION_START_POSTCOPY:
        return "start-postcopy";
    case CV_DECISION_PAUSE_GUEST:
        return "pause-guest";
    case CV_DECISION_ABORT:
        return "abort";
    default:
        return "unknown";
    }
}

const gchar *
cv_verdict_to_string(CvVerdict verdict)
{
    switch (verdict) {
    case CV_VERDICT_WARMUP:
        return "warmup";
    case CV_VERDICT_CONVERGING:
        return "converging";
    case CV_VERDICT_STALLED:
        return "stalled";
    case CV_VERDICT_ESCALATING:
        return "escalating";
    case CV_VERDICT_SWITCHOVER:
        return "switchover";
    case CV_VERDICT_FINISHED:
        return "finished";
    case CV_VERDICT_BLIND:
        return "blind";
    default:
        return "unknown";
    }
}

const gchar *
cv_estimate_source_to_string(CvEstimateSource source)
{
    switch (source) {
    case CV_ESTIMATE_NONE:
        return "none";
    case CV_ESTIMATE_QEMU_ALL_DEVICES:
        return "expected-downtime (all devices, QEMU 11.1+)";
    case CV_ESTIMATE_QEMU_RAM_ONLY:
        return "expected-downtime (RAM only, no VFIO)";
    case CV_ESTIMATE_PENDING_OVER_RATE:
        return "pending / switchover bandwidth";
    case CV_ESTIMATE_LADDER:
        return "step ladder (VFIO share unknown before QEMU 11.1)";
    default:
        return "unknown";
    }
}

void
cv_format_bytes(guint64 bytes, gchar *buf, gsize len)
{
    static const gchar *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    gdouble v = (gdouble)bytes;
    gsize u = 0;

    g_return_if_fail(buf != NULL && len > 0);
    if (bytes < 1024) {
        g_snprintf(buf, len, "%" G_GUINT64_FORMAT " B", bytes);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1 < G_N_ELEMENTS(units)) {
        v /= 1024.0;
        u++;
    }
    g_snprintf(buf, len, "%.2f %s", v, units[u]);
}

void
cv_format_rate(guint64 bytes_per_s, gchar *buf, gsize len)
{
    gchar tmp[32];

    g_return_if_fail(buf != NULL && len > 0);
    cv_format_bytes(bytes_per_s, tmp, sizeof(tmp));
    g_snprintf(buf, len, "%s/s", tmp);
}
