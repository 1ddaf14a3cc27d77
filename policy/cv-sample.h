/* One reading of QEMU's query-migrate, sanitised: the currency between layers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* MigrationStatus from qapi/migration.json; UNKNOWN is a status string this build does not
 * know (a newer QEMU) or a garbage value, NONE is the `{}` reply before any migration. */
typedef enum {
    CV_MIGRATION_STATUS_UNKNOWN = 0,
    CV_MIGRATION_STATUS_NONE,
    CV_MIGRATION_STATUS_SETUP,
    CV_MIGRATION_STATUS_ACTIVE,
    CV_MIGRATION_STATUS_PRE_SWITCHOVER,
    CV_MIGRATION_STATUS_DEVICE,
    CV_MIGRATION_STATUS_POSTCOPY_DEVICE,
    CV_MIGRATION_STATUS_POSTCOPY_ACTIVE,
    CV_MIGRATION_STATUS_POSTCOPY_PAUSED,
    CV_MIGRATION_STATUS_POSTCOPY_RECOVER_SETUP,
    CV_MIGRATION_STATUS_POSTCOPY_RECOVER,
    CV_MIGRATION_STATUS_COMPLETED,
    CV_MIGRATION_STATUS_FAILING,
    CV_MIGRATION_STATUS_FAILED,
    CV_MIGRATION_STATUS_CANCELLING,
    CV_MIGRATION_STATUS_CANCELLED,
    CV_MIGRATION_STATUS_COLO,
    CV_MIGRATION_STATUS_WAIT_UNPLUG,
} CvMigrationStatus;

/* ABSENT: QEMU did not send the member (older QEMU, or not in this state).
 * INVALID: it was sent but is wrongly typed, negative, overflowing or absurd; never use it. */
typedef enum {
    CV_FIELD_ABSENT = 0,
    CV_FIELD_VALID,
    CV_FIELD_INVALID,
} CvFieldState;

typedef struct {
    CvFieldState state;
    guint64 value;
} CvU64Field;

typedef struct {
    CvFieldState state;
    gdouble value;
} CvDoubleField;

#define CV_SAMPLE_ERROR_DESC_MAX 160

typedef struct {
    /* Monotonic time of the reading in ms, stamped by the caller's clock. The policy engine
     * has no clock of its own: this is its only notion of time. */
    gint64 time_ms;
    /* Stamped by the caller too: TRUE when the reading was taken somewhere inside an iteration
     * (a poll without pass events) rather than at its boundary. ram.remaining is a sawtooth
     * inside an iteration, so such a reading's pending may read low by up to what one
     * iteration sends. FALSE (the default) means a boundary reading, or unknown. */
    gboolean mid_iteration;
    CvMigrationStatus status;

    CvU64Field total_time_ms;
    CvU64Field setup_time_ms;
    CvU64Field expected_downtime_ms;
    CvU64Field downtime_ms;

    /* ram.* */
    CvU64Field ram_transferred;
    CvU64Field ram_remaining;
    CvU64Field ram_total;
    CvU64Field ram_duplicate;
    CvU64Field ram_normal;
    CvU64Field ram_normal_bytes;
    CvU64Field ram_dirty_pages_rate; /* pages/s */
    CvDoubleField ram_mbps;          /* Mbit/s, 10^6 */
    CvU64Field ram_dirty_sync_count; /* the iteration counter */
    CvU64Field ram_page_size;
    CvU64Field ram_pages_per_second;
    CvU64Field ram_precopy_bytes;
    CvU64Field ram_downtime_bytes;
    CvU64Field ram_postcopy_bytes;

    /* Top-level system-wide `remaining` (QEMU 11.1+): RAM + VFIO + other iterable devices.
     * Its presence (state != ABSENT) is how we know expected-downtime counts every device. */
    CvU64Field remaining;
    /* vfio.transferred (5.2+); its presence means the guest has migratable VFIO devices. */
    CvU64Field vfio_transferred;
    CvU64Field cpu_throttle_percentage;

    gchar error_desc[CV_SAMPLE_ERROR_DESC_MAX];
} CvSample;

/* Values above this are treated as absurd for any byte counter (1 EiB). */
#define CV_SAMPLE_MAX_BYTES (G_GUINT64_CONSTANT(1) << 60)
/* downtime-limit and expected-downtime above QEMU's own range are absurd. */
#define CV_SAMPLE_MAX_MS G_GUINT64_CONSTANT(2000000)

void cv_sample_init(CvSample *sample);

static inline gboolean
cv_field_valid(const CvU64Field *field)
{
    return field->state == CV_FIELD_VALID;
}

static inline void
cv_field_set(CvU64Field *field, guint64 value)
{
    field->state = CV_FIELD_VALID;
    field->value = value;
}

const gchar *cv_migration_status_to_string(CvMigrationStatus status);
CvMigrationStatus cv_migration_status_from_string(const gchar *str);
/* completed, failed, cancelled: nothing more will happen to this migration. */
gboolean cv_migration_status_is_final(CvMigrationStatus status);
/* The precopy states in which downtime-limit and switchover bandwidth still matter. */
gboolean cv_migration_status_is_precopy(CvMigrationStatus status);

/* Pending bytes as the engine judges them: system-wide `remaining` when QEMU sends it and it
 * is valid, else ram.remaining. Returns FALSE when neither is usable. */
gboolean cv_sample_pending(const CvSample *sample, guint64 *pending, gboolean *system_wide);
/* Measured precopy throughput in bytes/s (mbps x 10^6 / 8); FALSE when unknown or zero. */
gboolean cv_sample_throughput(const CvSample *sample, guint64 *bytes_per_s);
/* Dirty rate in bytes/s (dirty-pages-rate x page-size); FALSE when unknown. */
gboolean cv_sample_dirty_rate(const CvSample *sample, guint64 *bytes_per_s);
/* Does the guest carry migratable VFIO state according to this reading? */
gboolean cv_sample_has_vfio(const CvSample *sample);

G_END_DECLS
