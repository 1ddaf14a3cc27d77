#include "config.h"

#include <string.h>

#include "cv-libvirt-jobstats.h"

/* The bounds of the QMP parser (qmp/cv-qmp-parse.c), for the same quantities:
 * - elapsed times up to a year; downtime-limit-like values up to QEMU's 2000 s range;
 * - byte counters and rates up to CV_SAMPLE_MAX_BYTES (1 EiB);
 * - the iteration counter within 32 bits; a page size a power of two up to 1 GiB. */
#define MAX_ELAPSED_MS (G_GUINT64_CONSTANT(365) * 24 * 3600 * 1000)
#define MAX_SYNC_COUNT G_GUINT64_CONSTANT(0xffffffff)
#define MAX_PAGE_SIZE (G_GUINT64_CONSTANT(1) << 30)
#define MAX_PERCENT 100

typedef enum {
    CHECK_BOUNDED = 0,
    CHECK_POWER_OF_TWO,
} Check;

static const virTypedParameter *
find_param(const virTypedParameter *params, gint nparams, const gchar *name)
{
    for (gint i = 0; params != NULL && i < nparams; i++) {
        if (strncmp(params[i].field, name, VIR_TYPED_PARAM_FIELD_LENGTH) == 0)
            return &params[i];
    }
    return NULL;
}

/* The one place a typed parameter becomes a guint64: unsigned and non-negative signed
 * integers are read, every other type (a string, a double, a boolean) is garbage. */
static void
read_u64(const virTypedParameter *params, gint nparams, const gchar *name, guint64 max, Check check,
         CvU64Field *field)
{
    const virTypedParameter *p = find_param(params, nparams, name);
    guint64 v;

    field->value = 0;
    if (p == NULL) {
        field->state = CV_FIELD_ABSENT;
        return;
    }
    field->state = CV_FIELD_INVALID;
    switch (p->type) {
    case VIR_TYPED_PARAM_ULLONG:
        v = p->value.ul;
        break;
    case VIR_TYPED_PARAM_UINT:
        v = p->value.ui;
        break;
    case VIR_TYPED_PARAM_LLONG:
        if (p->value.l < 0)
            return;
        v = (guint64)p->value.l;
        break;
    case VIR_TYPED_PARAM_INT:
        if (p->value.i < 0)
            return;
        v = (guint64)p->value.i;
        break;
    case VIR_TYPED_PARAM_DOUBLE:
    case VIR_TYPED_PARAM_BOOLEAN:
    case VIR_TYPED_PARAM_STRING:
    default:
        return;
    }
    if (v > max)
        return;
    if (check == CHECK_POWER_OF_TWO && (v == 0 || (v & (v - 1)) != 0))
        return;
    cv_field_set(field, v);
}

/* operation: an int (virDomainJobOperation). FALSE when absent or not an int. */
static gboolean
read_int(const virTypedParameter *params, gint nparams, const gchar *name, gint *value)
{
    const virTypedParameter *p = find_param(params, nparams, name);

    if (p == NULL || p->type != VIR_TYPED_PARAM_INT)
        return FALSE;
    *value = p->value.i;
    return TRUE;
}

/* The job's status, before the domain state refines a running one. */
static CvMigrationStatus
job_status(gint job_type, const virTypedParameter *params, gint nparams)
{
    const virTypedParameter *success;
    gint operation = VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT;

    /* libvirt before 3.3 sends no operation: its only outgoing-migration-like job then is the
     * one we were asked about. A job that says it is something else is not ours to tune. */
    if (find_param(params, nparams, VIR_DOMAIN_JOB_OPERATION) != NULL &&
        (!read_int(params, nparams, VIR_DOMAIN_JOB_OPERATION, &operation) ||
         operation != VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT))
        return CV_MIGRATION_STATUS_NONE;
    switch ((virDomainJobType)job_type) {
    case VIR_DOMAIN_JOB_NONE:
        return CV_MIGRATION_STATUS_NONE;
    case VIR_DOMAIN_JOB_BOUNDED:
    case VIR_DOMAIN_JOB_UNBOUNDED:
        return CV_MIGRATION_STATUS_ACTIVE;
    case VIR_DOMAIN_JOB_COMPLETED:
        success = find_param(params, nparams, VIR_DOMAIN_JOB_SUCCESS);
        if (success != NULL && success->type == VIR_TYPED_PARAM_BOOLEAN && !success->value.b)
            return CV_MIGRATION_STATUS_FAILED;
        return CV_MIGRATION_STATUS_COMPLETED;
    case VIR_DOMAIN_JOB_FAILED:
        return CV_MIGRATION_STATUS_FAILED;
    case VIR_DOMAIN_JOB_CANCELLED:
        return CV_MIGRATION_STATUS_CANCELLED;
    default:
        return CV_MIGRATION_STATUS_UNKNOWN;
    }
}

/* A running outgoing migration, told apart by the domain state: paused for the migration is
 * the switchover (QEMU's pre-switchover/device), post-copy has states of its own. */
static CvMigrationStatus
running_status(const CvSample *sample, gint state, gint reason)
{
    if (state == VIR_DOMAIN_PAUSED) {
        switch (reason) {
        case VIR_DOMAIN_PAUSED_MIGRATION:
            return CV_MIGRATION_STATUS_DEVICE;
        case VIR_DOMAIN_PAUSED_POSTCOPY:
            return CV_MIGRATION_STATUS_POSTCOPY_ACTIVE;
        case VIR_DOMAIN_PAUSED_POSTCOPY_FAILED:
            return CV_MIGRATION_STATUS_POSTCOPY_PAUSED;
        default:
            /* paused by someone (or by our pause escalation): precopy goes on */
            break;
        }
    } else if (state == VIR_DOMAIN_RUNNING) {
        switch (reason) {
        case VIR_DOMAIN_RUNNING_POSTCOPY:
            return CV_MIGRATION_STATUS_POSTCOPY_ACTIVE;
        case VIR_DOMAIN_RUNNING_POSTCOPY_FAILED:
            return CV_MIGRATION_STATUS_POSTCOPY_PAUSED;
        default:
            break;
        }
    }
    /* libvirt fills the RAM figures once QEMU reports them: before that it is the setup. */
    if (!cv_field_valid(&sample->ram_total) || sample->ram_total.value == 0)
        return CV_MIGRATION_STATUS_SETUP;
    return CV_MIGRATION_STATUS_ACTIVE;
}

static void
copy_text(gchar *dest, gsize size, const gchar *src)
{
    const gchar *end = NULL;

    g_strlcpy(dest, src, size);
    if (!g_utf8_validate(dest, -1, &end))
        dest[end - dest] = '\0';
    for (gchar *p = dest; *p != '\0'; p++) {
        if ((guchar)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
}

void
cv_libvirt_job_stats_to_sample(gint job_type, const virTypedParameter *params, gint nparams,
                               gint state, gint reason, CvSample *sample)
{
    const virTypedParameter *errmsg;
    CvU64Field bps, downtime, data_remaining, disk_remaining;
    gboolean finished;

    g_return_if_fail(sample != NULL);
    cv_sample_init(sample);
    if (nparams < 0)
        nparams = 0;
    sample->status = job_status(job_type, params, nparams);
    if (sample->status == CV_MIGRATION_STATUS_NONE || sample->status == CV_MIGRATION_STATUS_UNKNOWN)
        return;

    read_u64(params, nparams, VIR_DOMAIN_JOB_TIME_ELAPSED, MAX_ELAPSED_MS, CHECK_BOUNDED,
             &sample->total_time_ms);
    read_u64(params, nparams, VIR_DOMAIN_JOB_SETUP_TIME, MAX_ELAPSED_MS, CHECK_BOUNDED,
             &sample->setup_time_ms);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_TOTAL, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
             &sample->ram_total);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_PROCESSED, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
             &sample->ram_transferred);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_REMAINING, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
             &sample->ram_remaining);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_CONSTANT, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
             &sample->ram_duplicate);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_NORMAL, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
             &sample->ram_normal);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_NORMAL_BYTES, CV_SAMPLE_MAX_BYTES,
             CHECK_BOUNDED, &sample->ram_normal_bytes);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
             &sample->ram_dirty_pages_rate);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_ITERATION, MAX_SYNC_COUNT, CHECK_BOUNDED,
             &sample->ram_dirty_sync_count);
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, MAX_PAGE_SIZE, CHECK_POWER_OF_TWO,
             &sample->ram_page_size);
    read_u64(params, nparams, VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE, MAX_PERCENT, CHECK_BOUNDED,
             &sample->cpu_throttle_percentage);
    /* libvirt 10.6+; its presence means the guest has migratable VFIO devices, as in QMP */
    read_u64(params, nparams, "vfio_data_transferred", CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
             &sample->vfio_transferred);

    /* Without memory_remaining (never seen, but older drivers differ), data_remaining less the
     * disks' share is the RAM still to send. */
    if (sample->ram_remaining.state == CV_FIELD_ABSENT) {
        read_u64(params, nparams, VIR_DOMAIN_JOB_DATA_REMAINING, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
                 &data_remaining);
        read_u64(params, nparams, VIR_DOMAIN_JOB_DISK_REMAINING, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED,
                 &disk_remaining);
        if (disk_remaining.state == CV_FIELD_ABSENT)
            cv_field_set(&disk_remaining, 0);
        if (data_remaining.state == CV_FIELD_INVALID || disk_remaining.state == CV_FIELD_INVALID ||
            (cv_field_valid(&data_remaining) && data_remaining.value < disk_remaining.value))
            sample->ram_remaining.state = CV_FIELD_INVALID;
        else if (cv_field_valid(&data_remaining))
            cv_field_set(&sample->ram_remaining, data_remaining.value - disk_remaining.value);
    }

    /* The same checks as QMP. RAM still to send cannot exceed guest RAM: one of the two is
     * wrong and only remaining drives decisions, so remaining goes (found by fuzz-jobstats). */
    if (cv_field_valid(&sample->ram_remaining) && cv_field_valid(&sample->ram_total) &&
        sample->ram_remaining.value > sample->ram_total.value) {
        sample->ram_remaining.state = CV_FIELD_INVALID;
        sample->ram_remaining.value = 0;
    }
    /* A dirty rate whose bytes/s would overflow is garbage. */
    if (cv_field_valid(&sample->ram_dirty_pages_rate) && cv_field_valid(&sample->ram_page_size) &&
        sample->ram_dirty_pages_rate.value > CV_SAMPLE_MAX_BYTES / sample->ram_page_size.value) {
        sample->ram_dirty_pages_rate.state = CV_FIELD_INVALID;
        sample->ram_dirty_pages_rate.value = 0;
    }

    /* memory_bps is bytes/s (QEMU's mbps x 10^6 / 8); libvirt leaves it out when it is 0. */
    read_u64(params, nparams, VIR_DOMAIN_JOB_MEMORY_BPS, CV_SAMPLE_MAX_BYTES, CHECK_BOUNDED, &bps);
    if (cv_field_valid(&bps)) {
        sample->ram_mbps.state = CV_FIELD_VALID;
        sample->ram_mbps.value = (gdouble)bps.value * 8.0 / 1e6;
    } else if (bps.state == CV_FIELD_INVALID) {
        sample->ram_mbps.state = CV_FIELD_INVALID;
    } else if (cv_field_valid(&sample->ram_total)) {
        sample->ram_mbps.state = CV_FIELD_VALID;
        sample->ram_mbps.value = 0.0;
    }

    finished = cv_migration_status_is_final(sample->status);
    if (!finished)
        sample->status = running_status(sample, state, reason);

    /* One key, two meanings: expected downtime while the job runs, the real one after. */
    read_u64(params, nparams, VIR_DOMAIN_JOB_DOWNTIME, finished ? MAX_ELAPSED_MS : CV_SAMPLE_MAX_MS,
             CHECK_BOUNDED, &downtime);
    if (finished)
        sample->downtime_ms = downtime;
    else
        sample->expected_downtime_ms = downtime;

    errmsg = find_param(params, nparams, VIR_DOMAIN_JOB_ERRMSG);
    if (errmsg != NULL && errmsg->type == VIR_TYPED_PARAM_STRING && errmsg->value.s != NULL)
        copy_text(sample->error_desc, sizeof(sample->error_desc), errmsg->value.s);
}
