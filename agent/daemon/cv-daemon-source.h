/* CvDaemonSource: where the daemon finds migrations, one per watched URI. Production uses
 * libvirt (cv-daemon-libvirt.h: one connection per URI, its worker thread makes every call);
 * the unit tests use a fake host built on the fake target. The daemon only ever asks for a
 * scan (the running domains and their jobs), a target for one domain, and hears hints
 * (a domain's migration iterates: scan soon), connection losses and reconnects.
 *
 * Every callback runs on the default main context, never from inside the call that caused
 * it. */
#pragma once

#include <glib.h>

#include "cv-config.h"
#include "cv-sample.h"
#include "cv-target.h"

G_BEGIN_DECLS

/* A running domain, as one scan saw it. */
typedef struct {
    gchar *name;
    gchar *uuid;     /* "xxxxxxxx-xxxx-...", never NULL */
    CvSample sample; /* its job: status NONE when it has no outgoing migration */
    gchar *xml;      /* live XML (our <metadata>, VFIO devices); NULL when not read */
} CvDaemonDomain;

CvDaemonDomain *cv_daemon_domain_new(const gchar *name, const gchar *uuid);
void cv_daemon_domain_free(CvDaemonDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvDaemonDomain, cv_daemon_domain_free)
/* The domain has an outgoing migration running (not finished, not incoming). */
gboolean cv_daemon_domain_is_migrating(const CvDaemonDomain *domain);

typedef struct _CvDaemonSource CvDaemonSource;

typedef enum {
    CV_DAEMON_SOURCE_HINT = 0,    /* a domain's migration iterates (@uuid): worth a scan */
    CV_DAEMON_SOURCE_LOST,        /* the connection is gone (@error says why) */
    CV_DAEMON_SOURCE_RECONNECTED, /* a new connection is up: scan again */
} CvDaemonSourceEvent;

typedef void (*CvDaemonSourceEventFunc)(CvDaemonSource *source, CvDaemonSourceEvent event,
                                        const gchar *uuid, const GError *error, gpointer user_data);
/* @domains: every running domain (CvDaemonDomain *, owned by the caller now), or NULL with
 * @error (libvirtd unreachable, ...). */
typedef void (*CvDaemonScanFunc)(CvDaemonSource *source, GPtrArray *domains, const GError *error,
                                 gpointer user_data);

typedef struct {
    /* List the running domains with their jobs, and the XML of those migrating out. */
    void (*scan)(CvDaemonSource *source, CvDaemonScanFunc func, gpointer user_data);
    /* A target for the domain @uuid, not connected yet; @policy says whether it wants
     * avail-switchover-bandwidth, @mode when QEMU's monitor may be used. */
    CvTarget *(*new_target)(CvDaemonSource *source, const gchar *uuid, const CvPolicy *policy,
                            CvConfigMonitorCommands mode);
    /* The target's migration is tuned with another version of its policy now. */
    void (*set_target_policy)(CvDaemonSource *source, CvTarget *target, const CvPolicy *policy);
    /* Done with a target from new_target (its tuner is freed already). */
    void (*free_target)(CvDaemonSource *source, CvTarget *target);
    void (*free)(CvDaemonSource *source);
} CvDaemonSourceClass;

struct _CvDaemonSource {
    const CvDaemonSourceClass *klass;
    gchar *uri;
    CvDaemonSourceEventFunc event_func;
    gpointer event_data;
};

/* For implementations. */
void cv_daemon_source_init(CvDaemonSource *source, const CvDaemonSourceClass *klass,
                           const gchar *uri);
void cv_daemon_source_emit(CvDaemonSource *source, CvDaemonSourceEvent event, const gchar *uuid,
                           const GError *error);

/* For the daemon. */
void cv_daemon_source_set_event_func(CvDaemonSource *source, CvDaemonSourceEventFunc func,
                                     gpointer user_data);
void cv_daemon_source_scan(CvDaemonSource *source, CvDaemonScanFunc func, gpointer user_data);
CvTarget *cv_daemon_source_new_target(CvDaemonSource *source, const gchar *uuid,
                                      const CvPolicy *policy, CvConfigMonitorCommands mode);
void cv_daemon_source_set_target_policy(CvDaemonSource *source, CvTarget *target,
                                        const CvPolicy *policy);
void cv_daemon_source_free_target(CvDaemonSource *source, CvTarget *target);
const gchar *cv_daemon_source_get_uri(const CvDaemonSource *source);
void cv_daemon_source_free(CvDaemonSource *source);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvDaemonSource, cv_daemon_source_free)

/* How CvDaemon makes the source of a URI (tests pass a fake; NULL: libvirt). */
typedef CvDaemonSource *(*CvDaemonSourceFactory)(const gchar *uri, gpointer user_data);

/* The libvirt source: a read-write connection to @uri (cv-daemon-libvirt.c). */
CvDaemonSource *cv_daemon_libvirt_source_new(const gchar *uri);

G_END_DECLS
