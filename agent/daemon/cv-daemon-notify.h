/* Telling systemd how the daemon is doing (Type=notify): READY=1 once it serves, RELOADING=1
 * around a SIGHUP reload, STOPPING=1 on the way out, WATCHDOG=1 from a main-loop timer.
 * Through libsystemd's sd_notify() when the build found it (meson option `systemd`), else
 * through a small built-in sender of the same datagram protocol (style.md rule 18). Without
 * $NOTIFY_SOCKET (not started by systemd) nothing is sent and nothing fails. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CV_DAEMON_NOTIFY_ERROR (cv_daemon_notify_error_quark())
GQuark cv_daemon_notify_error_quark(void);

typedef enum {
    CV_DAEMON_NOTIFY_ERROR_FAILED = 0, /* the datagram could not be sent */
    CV_DAEMON_NOTIFY_ERROR_ADDRESS,    /* $NOTIFY_SOCKET is not an address we can use */
} CvDaemonNotifyErrorCode;

/* "libsystemd" or "built-in". */
const gchar *cv_daemon_notify_backend(void);

/* Send @state ("READY=1", "STATUS=...\nREADY=1") to $NOTIFY_SOCKET. TRUE when sent or when
 * there is no $NOTIFY_SOCKET. */
gboolean cv_daemon_notify(const gchar *state, GError **error);

/* RELOADING=1 with MONOTONIC_USEC (what systemd's notify-reload protocol expects). */
gboolean cv_daemon_notify_reloading(GError **error);

/* The watchdog timeout systemd expects WATCHDOG=1 within, in µs: $WATCHDOG_USEC when
 * $WATCHDOG_PID is unset or ours; 0 when off. */
guint64 cv_daemon_notify_watchdog_usec(void);

/* The built-in sender, for tests and for builds without libsystemd: @address is a
 * $NOTIFY_SOCKET value (an absolute path, or "@name" for the abstract namespace). */
gboolean cv_daemon_notify_builtin(const gchar *address, const gchar *state, GError **error);

G_END_DECLS
