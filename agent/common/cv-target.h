/* CvTarget: the one interface that hides where a migration lives (a QEMU QMP socket, libvirt,
 * a fake in tests). Every operation is asynchronous on the GMainContext the target was made
 * for; completion callbacks run from that context, never from inside the call. */
#pragma once

#include <glib.h>

#include "cv-params.h"
#include "cv-sample.h"

G_BEGIN_DECLS

#define CV_TARGET_ERROR (cv_target_error_quark())
GQuark cv_target_error_quark(void);

typedef enum {
    CV_TARGET_ERROR_FAILED = 0,    /* the peer refused or failed the command; message says why */
    CV_TARGET_ERROR_CONNECT,       /* the peer could not be reached */
    CV_TARGET_ERROR_CLOSED,        /* the peer went away (QEMU exited or crashed) */
    CV_TARGET_ERROR_TIMEOUT,       /* the peer did not answer in time */
    CV_TARGET_ERROR_NOT_SUPPORTED, /* this peer cannot do it (e.g. switchover bandwidth < 8.2) */
    CV_TARGET_ERROR_INVALID_REPLY, /* the answer could not be understood */
    CV_TARGET_ERROR_NOT_CONNECTED, /* called before connect succeeded or after close */
    CV_TARGET_ERROR_NO_DOMAIN,     /* libvirt: no such domain (name, UUID or id) */
    CV_TARGET_ERROR_NO_MIGRATION,  /* the domain has no outgoing migration job */
    /* the peer refuses the operation in the current state (libvirt OPERATION_INVALID, QEMU
     * DeviceNotActive, post-copy without the capability) */
    CV_TARGET_ERROR_OPERATION_INVALID,
    CV_TARGET_ERROR_INVALID_ARGUMENT,  /* the peer refuses the value (out of its range) */
    CV_TARGET_ERROR_PERMISSION_DENIED, /* read-only connection, ACL or auth refusal */
    CV_TARGET_ERROR_DEVICE_NOT_FOUND,  /* QEMU DeviceNotFound */
} CvTargetErrorCode;

/* CLOSED: the connection is gone. A TIMEOUT is not: the peer may answer the next command, and
 * a new connection (cv_target_close, then cv_target_connect) may succeed where this one hangs. */
gboolean cv_target_error_is_gone(const GError *error);

typedef struct _CvTarget CvTarget;

typedef enum {
    CV_TARGET_EVENT_PASS = 0, /* a new iteration started: pass */
    CV_TARGET_EVENT_STATUS,   /* the migration status changed: status */
    CV_TARGET_EVENT_STOP,     /* the guest's vCPUs stopped (switchover, or someone paused it) */
    CV_TARGET_EVENT_RESUME,   /* the guest's vCPUs run again */
    CV_TARGET_EVENT_CLOSED,   /* the peer went away: error says why; nothing follows */
} CvTargetEventKind;

typedef struct {
    CvTargetEventKind kind;
    guint64 pass;             /* PASS */
    CvMigrationStatus status; /* STATUS */
    const GError *error;      /* CLOSED */
} CvTargetEvent;

/* @error is NULL on success. */
typedef void (*CvTargetDoneFunc)(CvTarget *target, const GError *error, gpointer user_data);
/* @sample is NULL when @error is set; its time_ms is 0: the caller stamps it with its clock. */
typedef void (*CvTargetSampleFunc)(CvTarget *target, const CvSample *sample, const GError *error,
                                   gpointer user_data);
/* Parameters and capabilities; vfio_devices is whatever the target knows (UNKNOWN for QMP). */
typedef void (*CvTargetParamsFunc)(CvTarget *target, const CvParams *params, const GError *error,
                                   gpointer user_data);
typedef void (*CvTargetEventFunc)(CvTarget *target, const CvTargetEvent *event, gpointer user_data);

void cv_target_set_event_func(CvTarget *target, CvTargetEventFunc func, gpointer user_data);
/* Connect. After cv_target_close() or a CLOSED event it opens a new connection (a reconnect):
 * the parameters and capabilities are read again, events re-enabled when allowed. */
void cv_target_connect(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
void cv_target_query_migrate(CvTarget *target, CvTargetSampleFunc func, gpointer user_data);
void cv_target_query_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data);
void cv_target_refresh_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data);
void cv_target_set_downtime_limit(CvTarget *target, guint64 ms, CvTargetDoneFunc func,
                                  gpointer user_data);
void cv_target_set_switchover_bandwidth(CvTarget *target, guint64 bytes_per_s,
                                        CvTargetDoneFunc func, gpointer user_data);
void cv_target_start_postcopy(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
void cv_target_stop_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
void cv_target_resume_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
void cv_target_cancel(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
void cv_target_migrate(CvTarget *target, const gchar *uri, CvTargetDoneFunc func,
                       gpointer user_data);
void cv_target_close(CvTarget *target);

/* Drop the subscription if @func/@user_data is the current one (a subscriber going away). */
void cv_target_unset_event_func(CvTarget *target, CvTargetEventFunc func, gpointer user_data);
/* Cancel the callbacks of every operation in flight that was started with @user_data: none of
 * them runs, ever (the command itself may still reach the peer). An owner calls it before it
 * frees itself, or before it closes the connection under its own operations; afterwards no
 * callback holds a pointer to it. */
void cv_target_forget(CvTarget *target, gpointer user_data);

/* The context every callback of this target runs on. */
GMainContext *cv_target_get_context(const CvTarget *target);
gboolean cv_target_is_connected(const CvTarget *target);
/* Migration events arrive; otherwise the caller must poll. */
gboolean cv_target_has_events(const CvTarget *target);
/* Why events are off; NULL when on or unknown. */
const gchar *cv_target_get_events_note(const CvTarget *target);
/* "qmp:/run/x.sock", "libvirt:qemu:///system/guest1" */
const gchar *cv_target_get_description(const CvTarget *target);
/* The QEMU version, "7.2.22"; NULL when unknown. */
const gchar *cv_target_get_version(const CvTarget *target);

void cv_target_free(CvTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvTarget, cv_target_free)

/* Blocking helpers for one-shot CLI commands: iterate the target's context until done. */
gboolean cv_target_connect_sync(CvTarget *target, GError **error);
gboolean cv_target_query_migrate_sync(CvTarget *target, CvSample *sample, GError **error);
gboolean cv_target_query_params_sync(CvTarget *target, CvParams *params, GError **error);

G_END_DECLS
