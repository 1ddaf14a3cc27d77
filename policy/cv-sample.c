#include "config.h"

#include <string.h>

#include "cv-sample.h"

/* Indexed by CvMigrationStatus; the wire names of qapi/migration.json. */
static const gchar *const status_names[] = {
    [CV_MIGRATION_STATUS_UNKNOWN] = "unknown",
    [CV_MIGRATION_STATUS_NONE] = "none",
    [CV_MIGRATION_STATUS_SETUP] = "setup",
    [CV_MIGRATION_STATUS_ACTIVE] = "active",
    [CV_MIGRATION_STATUS_PRE_SWITCHOVER] = "pre-switchover",
    [CV_MIGRATION_STATUS_DEVICE] = "device",
    [CV_MIGRATION_STATUS_POSTCOPY_DEVICE] = "postcopy-device",
    [CV_MIGRATION_STATUS_POSTCOPY_ACTIVE] = "postcopy-active",
    [CV_MIGRATION_STATUS_POSTCOPY_PAUSED] = "postcopy-paused",
    [CV_MIGRATION_STATUS_POSTCOPY_RECOVER_SETUP] = "postcopy-recover-setup",
    [CV_MIGRATION_STATUS_POSTCOPY_RECOVER] = "postcopy-recover",
    [CV_MIGRATION_STATUS_COMPLETED] = "completed",
    [CV_MIGRATION_STATUS_FAILING] = "failing",
    [CV_MIGRATION_STATUS_FAILED] = "failed",
    [CV_MIGRATION_STATUS_CANCELLING] = "cancelling",
    [CV_MIGRATION_STATUS_CANCELLED] = "cancelled",
    [CV_MIGRATION_STATUS_COLO] = "colo",
    [CV_MIGRATION_STATUS_WAIT_UNPLUG] = "wait-unplug",
};

void
cv_sample_init(CvSample *sample)
{
    g_return_if_fail(sample != NULL);
    memset(sample, 0, sizeof(*sample));
}

const gchar *
cv_migration_status_to_string(CvMigrationStatus status)
{
    if ((gsize)status >= G_N_ELEMENTS(status_names))
        return "unknown";
    return status_names[status];
}

CvMigrationStatus
cv_migration_status_from_string(const gchar *str)
{
    if (str == NULL)
        return CV_MIGRATION_STATUS_UNKNOWN;
    /* "unknown" is our own name, never QEMU's: do not map it back */
    for (gsize i = CV_MIGRATION_STATUS_NONE; i < G_N_ELEMENTS(status_names); i++) {
        if (g_strcmp0(status_names[i], str) == 0)
            return (CvMigrationStatus)i;
    }
    return CV_MIGRATION_STATUS_UNKNOWN;
}

gboolean
cv_migration_status_is_final(CvMigrationStatus status)
{
    return status == CV_MIGRATION_STATUS_COMPLETED || status == CV_MIGRATION_STATUS_FAILED ||
           status == CV_MIGRATION_STATUS_CANCELLED;
}

gboolean
cv_migration_status_is_precopy(CvMigrationStatus status)
{
    return status == CV_MIGRATION_STATUS_SETUP || status == CV_MIGRATION_STATUS_ACTIVE;
}

gboolean
cv_sample_pending(const CvSample *sample, guint64 *pending, gboolean *system_wide)
{
    g_return_val_if_fail(sample != NULL, FALSE);
    if (cv_field_valid(&sample->remaining)) {
        if (pending != NULL)
            *pending = sample->remaining.value;
        if (system_wide != NULL)
            *system_wide = TRUE;
        return TRUE;
    }
    /* A garbage system-wide value must not silently fall back to RAM only: the RAM figure
     * would hide the device state that made QEMU send the system-wide one. */
    if (sample->remaining.state == CV_FIELD_INVALID)
        return FALSE;
    if (cv_field_valid(&sample->ram_remaining)) {
        if (pending != NULL)
            *pending = sample->ram_remaining.value;
        if (system_wide != NULL)
            *system_wide = FALSE;
        return TRUE;
    }
    return FALSE;
}

gboolean
cv_sample_throughput(const CvSample *sample, guint64 *bytes_per_s)
{
    gdouble bps;

    g_return_val_if_fail(sample != NULL, FALSE);
    if (sample->ram_mbps.state != CV_FIELD_VALID || !(sample->ram_mbps.value > 0.0))
        return FALSE;
    bps = sample->ram_mbps.value * 1e6 / 8.0;
    /* written so that NaN fails too: it is never converted */
    if (!(bps >= 1.0 && bps <= (gdouble)CV_SAMPLE_MAX_BYTES))
        return FALSE;
    if (bytes_per_s != NULL)
        *bytes_per_s = (guint64)bps;
    return TRUE;
}

gboolean
cv_sample_dirty_rate(const CvSample *sample, guint64 *bytes_per_s)
{
    guint64 pages, page_size;

    g_return_val_if_fail(sample != NULL, FALSE);
    if (!cv_field_valid(&sample->ram_dirty_pages_rate))
        return FALSE;
    pages = sample->ram_dirty_pages_rate.value;
    page_size = cv_field_valid(&sample->ram_page_size) ? sample->ram_page_size.value : 4096;
    if (page_size == 0 || pages > CV_SAMPLE_MAX_BYTES / page_size)
        return FALSE;
    if (bytes_per_s != NULL)
        *bytes_per_s = pages * page_size;
    return TRUE;
}

gboolean
cv_sample_has_vfio(const CvSample *sample)
{
    g_return_val_if_fail(sample != NULL, FALSE);
    return sample->vfio_transferred.state != CV_FIELD_ABSENT;
}
