/* A stand-in for systemd's notification socket: a datagram socket bound in a temporary
 * directory, whose path tests put in $NOTIFY_SOCKET, and a reader that collects what
 * arrives (non-blocking, or waiting on the main context up to a timeout). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CvTestNotify CvTestNotify;

/* Bind @path (or "@name": the abstract namespace). */
CvTestNotify *cv_test_notify_new(const gchar *path);
void cv_test_notify_free(CvTestNotify *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvTestNotify, cv_test_notify_free)

/* The next datagram, or NULL when none arrives within @timeout_ms (0: only what is queued).
 * g_free(). */
gchar *cv_test_notify_next(CvTestNotify *n, guint timeout_ms);
/* Wait up to @timeout_ms for a datagram containing the line @line ("READY=1"); the ones
 * before it are appended to @skipped (may be NULL). */
gboolean cv_test_notify_wait_for(CvTestNotify *n, const gchar *line, guint timeout_ms,
                                 GPtrArray *skipped);

G_END_DECLS
