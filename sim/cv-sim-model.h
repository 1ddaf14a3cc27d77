/* The simulated guest and its outgoing migration: a pure state machine advanced by virtual
 * time. No sockets, no clock reads; the caller says what time it is. */
#pragma once

#include <glib.h>

#include "cv-sample.h"
#include "cv-sim-link.h"
#include "cv-sim-scenario.h"

G_BEGIN_DECLS

#define CV_SIM_MODEL_ERROR (cv_sim_model_error_quark())
GQuark cv_sim_model_error_quark(void);

/* Every refusal is a QEMU GenericError; the message is QEMU's desc. */
typedef enum {
    CV_SIM_MODEL_ERROR_IN_PROGRESS = 0, /* a migration is running */
    CV_SIM_MODEL_ERROR_POSTMIGRATE,     /* guest paused by a completed migration */
    CV_SIM_MODEL_ERROR_POSTCOPY_OFF,    /* postcopy-ram capability not set */
    CV_SIM_MODEL_ERROR_NOT_STARTED,     /* postcopy before any migration */
    CV_SIM_MODEL_ERROR_VFIO_POSTCOPY,   /* a VFIO device cannot do postcopy */
    CV_SIM_MODEL_ERROR_POSTCOPY_CANCEL, /* cancel during postcopy */
} CvSimModelErrorCode;

/* The guest's run state as query-status names it. */
typedef enum {
    CV_SIM_RUN_RUNNING = 0,
    CV_SIM_RUN_PAUSED,
    CV_SIM_RUN_FINISH_MIGRATE,
    CV_SIM_RUN_POSTMIGRATE,
} CvSimRunState;

const gchar *cv_sim_run_state_to_string(CvSimRunState state);

typedef enum {
    CV_SIM_EVENT_MIGRATION = 0,  /* needs the events capability */
    CV_SIM_EVENT_MIGRATION_PASS, /* needs the events capability */
    CV_SIM_EVENT_STOP,
    CV_SIM_EVENT_RESUME,
} CvSimEventKind;

typedef struct {
    CvSimEventKind kind;
    gdouble time;             /* virtual seconds, the model's clock */
    CvMigrationStatus status; /* MIGRATION */
    guint64 pass;             /* MIGRATION_PASS */
} CvSimEvent;

/* What query-migrate reports, before the per-version presence rules are applied. */
typedef struct {
    CvMigrationStatus status; /* NONE before the first migration */
    guint64 setup_time_ms;
    guint64 total_time_ms;
    guint64 expected_downtime_ms;
    guint64 downtime_ms;
    guint64 ram_transferred;
    guint64 ram_remaining;
    guint64 ram_total;
    guint64 ram_duplicate;
    guint64 ram_normal;
    guint64 ram_normal_bytes;
    guint64 ram_dirty_pages_rate;
    gdouble ram_mbps;
    guint64 ram_dirty_sync_count;
    guint64 ram_page_size;
    guint64 ram_pages_per_second;
    guint64 ram_precopy_bytes;
    guint64 ram_downtime_bytes;
    guint64 ram_postcopy_bytes;
    guint64 ram_postcopy_requests;
    guint64 remaining; /* system-wide (11.1); unsigned, may exceed INT64_MAX with garbage */
    gboolean has_vfio;
    guint64 vfio_transferred;
    const gchar *error_desc; /* borrowed; NULL unless failed */
} CvSimInfo;

typedef struct _CvSimModel CvSimModel;

/* @scenario is borrowed and must outlive the model. */
CvSimModel *cv_sim_model_new(const CvSimScenario *scenario, CvSimQemuVersion version, guint32 seed);
void cv_sim_model_free(CvSimModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvSimModel, cv_sim_model_free)

CvSimQemuVersion cv_sim_model_get_version(const CvSimModel *model);
/* Virtual seconds since the model was created. */
gdouble cv_sim_model_get_time(const CvSimModel *model);
/* Run the guest and the migration up to virtual time @to (no-op if @to is not later). Every
 * iteration is simulated, however many fit in the step. */
void cv_sim_model_advance(CvSimModel *model, gdouble to);

/* Commands, at the model's current time. */
gboolean cv_sim_model_migrate(CvSimModel *model, GError **error);
gboolean cv_sim_model_cancel(CvSimModel *model, GError **error);
gboolean cv_sim_model_start_postcopy(CvSimModel *model, GError **error);
void cv_sim_model_stop(CvSimModel *model);
void cv_sim_model_cont(CvSimModel *model);

/* QEMU's migration_is_running(): capabilities cannot change then. */
gboolean cv_sim_model_is_migrating(const CvSimModel *model);
CvMigrationStatus cv_sim_model_get_status(const CvSimModel *model);
CvSimRunState cv_sim_model_get_run_state(const CvSimModel *model);

/* Parameters and capabilities the model acts on (validated by the caller). */
void cv_sim_model_set_downtime_limit(CvSimModel *model, guint64 ms);
void cv_sim_model_set_max_bandwidth(CvSimModel *model, guint64 bytes_per_s);
void cv_sim_model_set_avail_switchover_bandwidth(CvSimModel *model, guint64 bytes_per_s);
void cv_sim_model_set_max_postcopy_bandwidth(CvSimModel *model, guint64 bytes_per_s);
void cv_sim_model_set_events(CvSimModel *model, gboolean enabled);
void cv_sim_model_set_postcopy_ram(CvSimModel *model, gboolean enabled);

void cv_sim_model_get_info(const CvSimModel *model, CvSimInfo *info);

/* Share @link (borrowed; it must outlive the model) with the other models on it: every rate
 * the migration gets (precopy, stop-copy, postcopy) is then its max-min fair share of the
 * link's capacity, re-shared whenever any model advances. NULL: a link of its own. */
void cv_sim_model_set_link(CvSimModel *model, CvSimLink *link);

/* What no QMP reply says, for the benchmark: the ground truth of the current (or last)
 * migration. */
typedef struct {
    gboolean switched_over;  /* the guest stopped for the final copy or for postcopy */
    gdouble switchover_at;   /* seconds since `migrate` */
    gdouble downtime;        /* seconds, exact */
    gdouble stop_copy_bytes; /* bytes sent with the guest stopped (RAM on the wire + devices) */
    gdouble stop_copy_rate;  /* bytes/s the final copy got (the link, or its share) */
    gdouble fixed_cost;      /* seconds: downtime-fixed plus every device's downtime-cost */
    /* The least state any exact query of this migration found (RAM on the wire plus every
     * device's true stop-copy size): what the best switchover it offered had to send.
     * Negative before the first exact query. */
    gdouble min_exact_bytes;
    /* What the latest exact query found (the state at the latest iteration boundary, the
     * true sizes, not what a garbage-reporting driver said); negative before the first. */
    gdouble last_exact_bytes;
    gdouble bytes_sent;        /* everything sent: precopy, stop-copy, postcopy, devices */
    gdouble pending_bytes;     /* now: RAM in the bitmap + device precopy and true stop-copy */
    guint64 downtime_limit_ms; /* now */
    gdouble precopy_rate;      /* now: the rate the stream gets (its share of a shared link) */
} CvSimTruth;

void cv_sim_model_get_truth(const CvSimModel *model, CvSimTruth *truth);
/* The events since the last call, oldest first (array of CvSimEvent, owned by the caller). */
GArray *cv_sim_model_take_events(CvSimModel *model);

G_END_DECLS
