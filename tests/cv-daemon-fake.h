/* A fake libvirt host for the daemon's unit tests: running domains, each with a fake target
 * as its QEMU (cv-target-fake.h), seen by every source the daemon makes for it. The host
 * outlives the daemons that watch it, so a test can kill a daemon (free it without stopping)
 * and start another one on the same "QEMUs". Scans answer from an idle source, with each
 * domain's current fake reading. */
#pragma once

#include <glib.h>

#include "cv-daemon-source.h"
#include "cv-target.h"

G_BEGIN_DECLS

typedef struct _CvFakeHost CvFakeHost;

CvFakeHost *cv_fake_host_new(void);
void cv_fake_host_free(CvFakeHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvFakeHost, cv_fake_host_free)

/* A running domain; its QEMU is the returned fake target (owned by the host). @xml may be NULL
 * (no metadata, no VFIO). */
CvTarget *cv_fake_host_add_domain(CvFakeHost *host, const gchar *name, const gchar *uuid,
                                  const gchar *xml);
CvTarget *cv_fake_host_get_target(CvFakeHost *host, const gchar *name);
/* The domain stops running (shut off or undefined): scans no longer list it. */
void cv_fake_host_remove_domain(CvFakeHost *host, const gchar *name);
/* Scans fail (libvirtd unreachable) or work again. */
void cv_fake_host_set_unreachable(CvFakeHost *host, gboolean unreachable);
/* libvirtd went away (every source reports LOST) or came back (RECONNECTED). */
void cv_fake_host_lose(CvFakeHost *host);
void cv_fake_host_reconnect(CvFakeHost *host);
/* libvirt's migration-iteration event of @name reaches every source. */
void cv_fake_host_hint(CvFakeHost *host, const gchar *name);
guint cv_fake_host_get_n_scans(CvFakeHost *host);
/* Targets handed out (tuners and restores). */
guint cv_fake_host_get_n_targets(CvFakeHost *host);

/* CvDaemonOptions.source_factory, with the host as its data. */
CvDaemonSource *cv_fake_host_source_factory(const gchar *uri, gpointer host);

G_END_DECLS
