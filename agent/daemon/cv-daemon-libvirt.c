/* The daemon's libvirt source: one read-write connection per URI (CvLibvirtConn: every call on
 * its worker thread, libvirt's events on the default main context, reconnects with backoff),
 * domain scans with virConnectListAllDomains + virDomainGetJobStats, and one libvirt target per
 * tuned migration on the same connection. */
#include "config.h"

#include "cv-daemon-source.h"
#include "cv-libvirt-conn.h"
#include "cv-libvirt-domain.h"
#include "cv-target-libvirt.h"

typedef struct {
    CvDaemonSource parent;
    CvLibvirtConn *conn;
    guint event_id;
    GCancellable *cancellable; /* cancelled when the source goes: scans in flight are dropped */
} LibvirtSource;

typedef struct {
    LibvirtSource *self;
    GCancellable *cancellable;
    CvDaemonScanFunc func;
    gpointer user_data;
} ScanCall;

static void
scan_done(GObject *object, GAsyncResult *result, gpointer user_data)
{
    ScanCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = cv_libvirt_list_domains_finish(NULL, result, &error);
    g_autoptr(GPtrArray) domains = NULL;

    if (g_cancellable_is_cancelled(call->cancellable)) {
        g_object_unref(call->cancellable);
        g_free(call);
        return;
    }
    if (rows != NULL) {
        domains = g_ptr_array_new_with_free_func((GDestroyNotify)cv_daemon_domain_free);
        for (guint i = 0; i < rows->len; i++) {
            CvLibvirtDomainRow *row = rows->pdata[i];
            CvDaemonDomain *d = cv_daemon_domain_new(row->name, row->uuid);

            d->sample = row->sample;
            d->xml = g_strdup(row->xml);
            g_ptr_array_add(domains, d);
        }
    }
    call->func(&call->self->parent, g_steal_pointer(&domains), error, call->user_data);
    g_object_unref(call->cancellable);
    g_free(call);
}

static void
lv_scan(CvDaemonSource *source, CvDaemonScanFunc func, gpointer user_data)
{
    LibvirtSource *self = (LibvirtSource *)source;
    ScanCall *call = g_new0(ScanCall, 1);

    call->self = self;
    call->cancellable = g_object_ref(self->cancellable);
    call->func = func;
    call->user_data = user_data;
    cv_libvirt_list_domains_async(self->conn, CV_LIBVIRT_LIST_DETAILS_MIGRATING_ONLY, NULL,
                                  scan_done, call);
}

static CvTarget *
lv_new_target(CvDaemonSource *source, const gchar *uuid, const CvPolicy *policy,
              CvConfigMonitorCommands mode)
{
    LibvirtSource *self = (LibvirtSource *)source;
    CvTarget *target = cv_target_libvirt_new(self->conn, uuid);

    cv_target_libvirt_set_monitor_commands(target, mode);
    cv_target_libvirt_set_wants_switchover_bandwidth(target, policy->switchover_bandwidth > 0);
    return target;
}

static void
lv_set_target_policy(CvDaemonSource *source, CvTarget *target, const CvPolicy *policy)
{
    if (cv_target_is_libvirt(target))
        cv_target_libvirt_set_wants_switchover_bandwidth(target, policy->switchover_bandwidth > 0);
}

static void
lv_free_target(CvDaemonSource *source, CvTarget *target)
{
    cv_target_free(target);
}

static void
lv_free(CvDaemonSource *source)
{
    LibvirtSource *self = (LibvirtSource *)source;

    g_cancellable_cancel(self->cancellable);
    g_object_unref(self->cancellable);
    if (self->event_id != 0)
        cv_libvirt_conn_remove_event_func(self->conn, self->event_id);
    cv_libvirt_conn_unref(self->conn);
    g_free(self);
}

static const CvDaemonSourceClass libvirt_source_class = {
    .scan = lv_scan,
    .new_target = lv_new_target,
    .set_target_policy = lv_set_target_policy,
    .free_target = lv_free_target,
    .free = lv_free,
};

static void
conn_event_cb(CvLibvirtConn *conn, const CvLibvirtEvent *event, gpointer user_data)
{
    LibvirtSource *self = user_data;
    gchar uuid[VIR_UUID_STRING_BUFLEN];

    switch (event->kind) {
    case CV_LIBVIRT_EVENT_ITERATION:
        if (event->uuid == NULL)
            return;
        g_snprintf(uuid, sizeof(uuid),
                   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                   event->uuid[0], event->uuid[1], event->uuid[2], event->uuid[3], event->uuid[4],
                   event->uuid[5], event->uuid[6], event->uuid[7], event->uuid[8], event->uuid[9],
                   event->uuid[10], event->uuid[11], event->uuid[12], event->uuid[13],
                   event->uuid[14], event->uuid[15]);
        cv_daemon_source_emit(&self->parent, CV_DAEMON_SOURCE_HINT, uuid, NULL);
        return;
    case CV_LIBVIRT_EVENT_LOST:
        cv_daemon_source_emit(&self->parent, CV_DAEMON_SOURCE_LOST, NULL, event->error);
        return;
    case CV_LIBVIRT_EVENT_RECONNECTED:
        cv_daemon_source_emit(&self->parent, CV_DAEMON_SOURCE_RECONNECTED, NULL, NULL);
        return;
    case CV_LIBVIRT_EVENT_JOB_COMPLETED:
    case CV_LIBVIRT_EVENT_LIFECYCLE:
    default:
        return;
    }
}

CvDaemonSource *
cv_daemon_libvirt_source_new(const gchar *uri)
{
    LibvirtSource *self = g_new0(LibvirtSource, 1);

    cv_daemon_source_init(&self->parent, &libvirt_source_class, uri);
    self->conn = cv_libvirt_conn_new(uri, FALSE);
    self->cancellable = g_cancellable_new();
    self->event_id = cv_libvirt_conn_add_event_func(self->conn, conn_event_cb, self);
    return &self->parent;
}
