/* The QMP target: a migration seen through a QEMU QMP unix socket (QEMU started with
 * `-qmp unix:PATH,server=on,wait=off`, or virt-converge-sim). */
#pragma once

#include <glib.h>

#include "cv-target.h"

G_BEGIN_DECLS

/* @context: NULL = the thread-default context. Nothing happens until cv_target_connect(). */
CvTarget *cv_target_qmp_new(const gchar *socket_path, GMainContext *context);
/* How long a command may wait for its reply, in real ms (default 10000). */
void cv_target_qmp_set_timeout(CvTarget *target, guint timeout_ms);
/* Whether connect may turn on the `events` migration capability (default TRUE). When it is
 * off, or QEMU refuses (a migration is already running), the caller polls. */
void cv_target_qmp_set_enable_events(CvTarget *target, gboolean enable);
gboolean cv_target_is_qmp(const CvTarget *target);

G_END_DECLS
