#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cv-daemon-notify.h"

/* Written out because clang-format mangles G_DEFINE_QUARK's dashed name. */
GQuark
cv_daemon_notify_error_quark(void)
{
    return g_quark_from_static_string("cv-daemon-notify-error-quark");
}

const gchar *
cv_daemon_notify_backend(void)
{
#if HAVE_LIBSYSTEMD
    return "libsystemd";
#else
    return "built-in";
#endif
}

gboolean
cv_daemon_notify_builtin(const gchar *address, const gchar *state, GError **error)
{
    struct sockaddr_un sa;
    socklen_t sa_len;
    gsize len;
    gssize sent;
    gint fd;

    g_return_val_if_fail(address != NULL && state != NULL, FALSE);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    len = strlen(address);
    if ((address[0] != '/' && address[0] != '@') || len < 2 || len >= sizeof(sa.sun_path)) {
        g_set_error(error, CV_DAEMON_NOTIFY_ERROR, CV_DAEMON_NOTIFY_ERROR_ADDRESS,
                    "NOTIFY_SOCKET=%s: expected an absolute socket path or @abstract name "
                    "shorter than %" G_GSIZE_FORMAT " bytes",
                    address, sizeof(sa.sun_path));
        return FALSE;
    }
    memcpy(sa.sun_path, address, len);
    /* abstract namespace: a leading NUL instead of '@', and no terminating NUL counted */
    if (address[0] == '@')
        sa.sun_path[0] = '\0';
    sa_len =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (address[0] == '@' ? 0 : 1));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, CV_DAEMON_NOTIFY_ERROR, CV_DAEMON_NOTIFY_ERROR_FAILED,
                    "notify: socket: %s", g_strerror(errno));
        return FALSE;
    }
    do {
        sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
        gint errsv = errno;
        close(fd);
        g_set_error(error, CV_DAEMON_NOTIFY_ERROR, CV_DAEMON_NOTIFY_ERROR_FAILED, "notify %s: %s",
                    address, g_strerror(errsv));
        return FALSE;
    }
    close(fd);
    return TRUE;
}

gboolean
cv_daemon_notify(const gchar *state, GError **error)
{
#if HAVE_LIBSYSTEMD
    gint r = sd_notify(0, state);

    if (r < 0) {
        g_set_error(error, CV_DAEMON_NOTIFY_ERROR, CV_DAEMON_NOTIFY_ERROR_FAILED, "sd_notify: %s",
                    g_strerror(-r));
        return FALSE;
    }
    return TRUE;
#else
    const gchar *address = g_getenv("NOTIFY_SOCKET");

    if (address == NULL || *address == '\0')
        return TRUE;
    return cv_daemon_notify_builtin(address, state, error);
#endif
}

gboolean
cv_daemon_notify_reloading(GError **error)
{
    struct timespec ts;
    g_autofree gchar *state = NULL;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    state = g_strdup_printf("RELOADING=1\nMONOTONIC_USEC=%" G_GUINT64_FORMAT,
                            (guint64)ts.tv_sec * G_USEC_PER_SEC + (guint64)ts.tv_nsec / 1000);
    return cv_daemon_notify(state, error);
}

guint64
cv_daemon_notify_watchdog_usec(void)
{
#if HAVE_LIBSYSTEMD
    uint64_t usec = 0;

    if (sd_watchdog_enabled(0, &usec) > 0)
        return usec;
    return 0;
#else
    const gchar *usec = g_getenv("WATCHDOG_USEC");
    const gchar *pid = g_getenv("WATCHDOG_PID");
    guint64 v = 0;
    guint64 p = 0;

    if (usec == NULL || !g_ascii_string_to_unsigned(usec, 10, 1, G_MAXUINT64, &v, NULL))
        return 0;
    /* set for another process (we were exec'd by a wrapper that kept the environment) */
    if (pid != NULL &&
        (!g_ascii_string_to_unsigned(pid, 10, 1, G_MAXINT32, &p, NULL) || p != (guint64)getpid()))
        return 0;
    return v;
#endif
}
