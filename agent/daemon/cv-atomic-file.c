#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-atomic-file.h"
#include "cv-state-error.h"

static gboolean
write_all(gint fd, const gchar *data, gsize len, gint *errsv)
{
    while (len > 0) {
        gssize n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            *errsv = errno;
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

gboolean
cv_atomic_file_make_dir(const gchar *path, guint mode, GError **error)
{
    gboolean existed = g_file_test(path, G_FILE_TEST_EXISTS);

    if (g_mkdir_with_parents(path, (gint)(mode & 0777)) < 0) {
        cv_state_set_error_from_errno(error, errno, path, "cannot create directory");
        return FALSE;
    }
    /* mkdir's mode goes through the umask: under umask 0077 the virt-converge group would lose
     * the directory its readable files are in */
    if (!existed && chmod(path, mode & 07777) < 0) {
        cv_state_set_error_from_errno(error, errno, path, "cannot set its mode");
        return FALSE;
    }
    return TRUE;
}

gboolean
cv_atomic_file_sync_dir(const gchar *dir, GError **error)
{
    gint fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    gint errsv;

    if (fd < 0) {
        cv_state_set_error_from_errno(error, errno, dir, "cannot open directory");
        return FALSE;
    }
    if (fsync(fd) < 0) {
        errsv = errno;
        close(fd);
        cv_state_set_error_from_errno(error, errsv, dir, "cannot sync directory");
        return FALSE;
    }
    close(fd);
    return TRUE;
}

gboolean
cv_atomic_file_replace(const gchar *path, const gchar *data, gsize len, guint mode,
                       CvAtomicFileFlags flags, GError **error)
{
    g_autofree gchar *dir = NULL;
    g_autofree gchar *base = NULL;
    g_autofree gchar *tmp = NULL;
    gint fd;
    gint errsv = 0;
    const gchar *what = NULL;

    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);

    dir = g_path_get_dirname(path);
    base = g_path_get_basename(path);
    tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, (gint)(mode & 0777));
    if (fd < 0) {
        cv_state_set_error_from_errno(error, errno, path, "cannot create a temporary file");
        return FALSE;
    }
    /* g_mkstemp_full's mode goes through the umask; the caller's mode is a promise. */
    if (fchmod(fd, mode & 07777) < 0) {
        errsv = errno;
        what = "cannot set the mode";
    } else if (!write_all(fd, data, len, &errsv)) {
        what = "cannot write";
    } else if ((flags & CV_ATOMIC_FILE_DURABLE) && fsync(fd) < 0) {
        errsv = errno;
        what = "cannot sync";
    }
    /* close() reports write-back errors of some file systems (NFS): check it too. */
    if (close(fd) < 0 && what == NULL) {
        errsv = errno;
        what = "cannot close";
    }
    if (what == NULL && rename(tmp, path) < 0) {
        errsv = errno;
        what = "cannot rename the temporary file over it";
    }
    if (what != NULL) {
        (void)g_unlink(tmp);
        cv_state_set_error_from_errno(error, errsv, path, what);
        return FALSE;
    }
    if (flags & CV_ATOMIC_FILE_DURABLE)
        return cv_atomic_file_sync_dir(dir, error);
    return TRUE;
}

gboolean
cv_atomic_file_remove(const gchar *path, CvAtomicFileFlags flags, GError **error)
{
    g_autofree gchar *dir = NULL;

    if (g_unlink(path) < 0) {
        if (errno == ENOENT)
            return TRUE;
        cv_state_set_error_from_errno(error, errno, path, "cannot remove");
        return FALSE;
    }
    if (!(flags & CV_ATOMIC_FILE_DURABLE))
        return TRUE;
    dir = g_path_get_dirname(path);
    return cv_atomic_file_sync_dir(dir, error);
}

gboolean
cv_atomic_file_read_bounded(const gchar *path, gsize max_size, gchar **data, gsize *len,
                            GError **error)
{
    g_autofree gchar *buf = NULL;
    struct stat st;
    gsize have = 0;
    gint fd;

    g_return_val_if_fail(data != NULL, FALSE);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP) {
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                        "%s: a symbolic link, not a regular file", path);
            return FALSE;
        }
        cv_state_set_error_from_errno(error, errno, path, NULL);
        return FALSE;
    }
    if (fstat(fd, &st) < 0) {
        gint errsv = errno;
        close(fd);
        cv_state_set_error_from_errno(error, errsv, path, NULL);
        return FALSE;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID, "%s: not a regular file", path);
        return FALSE;
    }
    if ((guint64)st.st_size > max_size) {
        close(fd);
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TOO_LARGE,
                    "%s: %" G_GUINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                    " a valid one can have",
                    path, (guint64)st.st_size, max_size);
        return FALSE;
    }
    /* One byte more than allowed: a file that grew since fstat is still caught. */
    buf = g_malloc(max_size + 2);
    for (;;) {
        gssize n = read(fd, buf + have, max_size + 1 - have);

        if (n < 0) {
            gint errsv = errno;
            if (errsv == EINTR)
                continue;
            close(fd);
            cv_state_set_error_from_errno(error, errsv, path, "cannot read");
            return FALSE;
        }
        if (n == 0)
            break;
        have += (gsize)n;
        if (have > max_size) {
            close(fd);
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TOO_LARGE,
                        "%s: more than the %" G_GSIZE_FORMAT " bytes a valid one can have", path,
                        max_size);
            return FALSE;
        }
    }
    close(fd);
    buf[have] = '\0';
    if (len != NULL)
        *len = have;
    *data = g_steal_pointer(&buf);
    return TRUE;
}
