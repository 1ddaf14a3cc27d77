/* The inside of CvTarget, for its implementations (agent/targets/, the fake in tests/) only.
 * Everyone else goes through the accessors in cv-target.h. */
#pragma once

#include "cv-target.h"

G_BEGIN_DECLS

typedef struct {
    const gchar *name; /* "qmp", "libvirt", "fake" */
    /* Connect, and turn on migration events when the peer allows it (cv_target_has_events).
     * Also called after close() or a CLOSED event, to open a new connection (a reconnect). */
    void (*connect)(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
    void (*query_migrate)(CvTarget *target, CvTargetSampleFunc func, gpointer user_data);
    void (*query_params)(CvTarget *target, CvTargetParamsFunc func, gpointer user_data);
    /* Re-read the parameters only (one query-migrate-parameters), for a caller that already has
     * the capabilities: QEMU refuses capability changes while a migration runs, so reading them
     * again is wasted traffic. The capability fields of the reply are left UNKNOWN. Optional:
     * NULL falls back to query_params. */
    void (*refresh_params)(CvTarget *target, CvTargetParamsFunc func, gpointer user_data);
    void (*set_downtime_limit)(CvTarget *target, guint64 ms, CvTargetDoneFunc func,
                               gpointer user_data);
    /* bytes/s; 0 = let QEMU use its measured rate again. */
    void (*set_switchover_bandwidth)(CvTarget *target, guint64 bytes_per_s, CvTargetDoneFunc func,
                                     gpointer user_data);
    void (*start_postcopy)(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
    void (*stop_guest)(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
    void (*resume_guest)(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
    void (*cancel)(CvTarget *target, CvTargetDoneFunc func, gpointer user_data);
    /* Start an outgoing migration to @uri (simulate, tests). */
    void (*migrate)(CvTarget *target, const gchar *uri, CvTargetDoneFunc func, gpointer user_data);
    /* Drop the connection; operations still pending complete with CLOSED. */
    void (*close)(CvTarget *target);
    /* Release everything; pending operations are dropped without their callbacks. */
    void (*free)(CvTarget *target);
} CvTargetClass;

struct _CvTarget {
    const CvTargetClass *klass;
    GMainContext *context;
    CvTargetEventFunc event_func;
    gpointer event_data;
    /* Filled by the implementation once connected. */
    gboolean connected;
    gboolean events;    /* migration events arrive; otherwise the caller must poll */
    gchar *description; /* "qmp:/run/x.sock" */
    gchar *version;     /* "7.2.22", NULL when unknown */
    gchar *events_note; /* why events are off, NULL when on or unknown */
    /* Owned by cv-target.c: the callbacks of operations in flight (cv_target_forget). */
    GPtrArray *calls;
};

/* For implementations: set up the common part. @context NULL = thread-default. */
void cv_target_init(CvTarget *target, const CvTargetClass *klass, GMainContext *context,
                    const gchar *description);
/* For implementations: deliver an event to the subscriber. */
void cv_target_emit_event(CvTarget *target, const CvTargetEvent *event);

G_END_DECLS
