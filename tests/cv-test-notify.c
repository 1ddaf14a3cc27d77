#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-test-notify.h"

struct _CvTestNotify {
    gint fd;
    gchar *path; /* NULL for the abstract namespace */
};

CvTestNotify *
cv_test_notify_new(const gchar *path)
{
    CvTestNotify *n = g_new0(CvTestNotify, 1);
    struct sockaddr_un sa;
    gsize len = strlen(path);
    socklen_t sa_len;
    gint one = 1;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    g_assert_cmpuint(len, <, sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    else
        n->path = g_strdup(path);
    sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    g_assert_cmpint(n->fd, >=, 0);
    /* systemd reads the sender's credentials; do the same so libsystemd sends them */
    g_assert_cmpint(setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), ==, 0);
    if (bind(n->fd, (struct sockaddr *)&sa, sa_len) < 0)
        g_error("bind %s: %s", path, g_strerror(errno));
    return n;
}

void
cv_test_notify_free(CvTestNotify *n)
{
    if (n == NULL)
        return;
    close(n->fd);
    if (n->path != NULL)
        (void)g_unlink(n->path);
    g_free(n->path);
    g_free(n);
}

gchar *
cv_test_notify_next(CvTestNotify *n, guint timeout_ms)
{
    gchar buf[4096];
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        gssize got = recv(n->fd, buf, sizeof(buf) - 1, 0);
        gint64 left;

        if (got >= 0) {
            buf[got] = '\0';
            return g_strdup(buf);
        }
        g_assert_true(errno == EAGAIN || errno == EINTR);
        left = deadline - g_get_monotonic_time();
        if (left <= 0)
            return NULL;
        /* let the code under test run: it may live on this thread's main context */
        if (g_main_context_pending(NULL)) {
            g_main_context_iteration(NULL, FALSE);
        } else {
            struct pollfd p = {.fd = n->fd, .events = POLLIN};
            (void)poll(&p, 1, (gint)MIN(left / 1000 + 1, 10));
        }
    }
}

static gboolean
has_line(const gchar *datagram, const gchar *line)
{
    g_auto(GStrv) lines = g_strsplit(datagram, "\n", -1);

    return g_strv_contains((const gchar *const *)lines, line);
}

gboolean
cv_test_notify_wait_for(CvTestNotify *n, const gchar *line, guint timeout_ms, GPtrArray *skipped)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        gint64 left = deadline - g_get_monotonic_time();
        g_autofree gchar *d = cv_test_notify_next(n, left > 0 ? (guint)(left / 1000) : 0);

        if (d == NULL)
            return FALSE;
        if (has_line(d, line))
            return TRUE;
        if (skipped != NULL)
            g_ptr_array_add(skipped, g_steal_pointer(&d));
    }
}
