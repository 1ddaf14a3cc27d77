/* A stand-in for libvirt under load: a CvDaemonSource whose domains are the instances of ONE
 * `virt-converge-sim --instances N` process, each reached over its own unix socket with the QMP
 * target. tests/test-load.c (the load suite) and bench/cv-bench-overhead.c (scale-daemon) run
 * the daemon's core against it.
 *
 * A scan asks every instance query-migrate on the caller's own connection (@control), as
 * libvirt would read each domain's job; a target for the daemon's tuner is a new connection
 * to the instance (or what @new_target makes of its socket path). Hints, as libvirt's
 * iteration events would give them, come from cv_test_load_host_hint_all(). */
#pragma once

#include <glib.h>

#include "cv-daemon-source.h"
#include "cv-target.h"

G_BEGIN_DECLS

/* A target for the instance listening on @socket_path, not connected yet. */
typedef CvTarget *(*CvTestLoadTargetFunc)(const gchar *socket_path, gpointer user_data);

typedef struct {
    guint n;
    gchar *sock_base;   /* instance i listens on "<sock_base>-<i>" */
    CvTarget **control; /* a connected target per instance: the scans read through these */
    gchar **uuids;      /* n, NULL-terminated */
    GPtrArray *sources; /* the sources the factory made and not yet freed (not owned) */
    CvTestLoadTargetFunc new_target; /* NULL: a plain QMP target */
    gpointer new_target_data;
    guint64 n_scans; /* scans asked for so far (each reads every instance) */
} CvTestLoadHost;

/* @n instances on @sock_base: uuids made up, no control connection yet (the caller connects
 * them once the simulator listens). */
void cv_test_load_host_init(CvTestLoadHost *host, guint n, const gchar *sock_base);
/* Frees the control targets (when set), the uuids and the path. */
void cv_test_load_host_clear(CvTestLoadHost *host);

/* "load-NNN". g_free(). */
gchar *cv_test_load_instance_name(guint i);

/* CvDaemonOptions.source_factory; CvDaemonOptions.source_data is the CvTestLoadHost. */
CvDaemonSource *cv_test_load_source_factory(const gchar *uri, gpointer user_data);

/* Every source hints every domain: their migrations iterate, worth a scan. */
void cv_test_load_host_hint_all(CvTestLoadHost *host);

G_END_DECLS
