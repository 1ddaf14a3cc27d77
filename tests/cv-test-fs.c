#define _GNU_SOURCE /* unshare, setresuid */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-test-fs.h"

#define NOBODY 65534

gchar *
cv_test_fs_make_tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    gchar *dir = g_dir_make_tmp("cv-test-XXXXXX", &error);

    g_assert_no_error(error);
    return dir;
}

void
cv_test_fs_rm_rf(const gchar *path)
{
    g_autoptr(GDir) dir = NULL;
    const gchar *name;
    struct stat st;

    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        (void)chmod(path, 0700);
        dir = g_dir_open(path, 0, NULL);
        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree gchar *child = g_build_filename(path, name, NULL);
            cv_test_fs_rm_rf(child);
        }
        (void)g_rmdir(path);
    } else {
        (void)g_unlink(path);
    }
}

static gboolean
enter_namespace(gchar **why)
{
    /* As root a mount namespace is enough; otherwise try a user namespace around it. */
    if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
        *why = g_strdup_printf("unshare(CLONE_NEWNS): %s", g_strerror(errno));
        return FALSE;
    }
    /* Nothing mounted here may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        *why = g_strdup_printf("making / private: %s", g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gboolean
try_mount(const gchar *dir, guint size_kib, gchar **why)
{
    g_autofree gchar *opts = g_strdup_printf("size=%uk,mode=0755", size_kib);

    if (!enter_namespace(why))
        return FALSE;
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
        *why = g_strdup_printf("mount -t tmpfs: %s", g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

gboolean
cv_test_fs_can_mount_tmpfs(gchar **why)
{
    g_autofree gchar *dir = cv_test_fs_make_tmpdir();
    gint fds[2];
    gchar buf[256] = {0};
    gint status = 0;
    pid_t pid;

    g_assert_cmpint(pipe(fds), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        g_autofree gchar *reason = NULL;

        close(fds[0]);
        if (!try_mount(dir, 64, &reason)) {
            (void)!write(fds[1], reason, strlen(reason));
            _exit(1);
        }
        (void)umount(dir);
        _exit(0);
    }
    close(fds[1]);
    (void)!read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    cv_test_fs_rm_rf(dir);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return TRUE;
    *why = g_strdup(buf[0] != '\0' ? buf : "the probe child died");
    return FALSE;
}

void
cv_test_fs_mount_tmpfs(const gchar *dir, guint size_kib)
{
    g_autofree gchar *why = NULL;

    if (!try_mount(dir, size_kib, &why))
        g_error("cannot mount a tmpfs on %s: %s", dir, why);
}

void
cv_test_fs_remount_ro(const gchar *dir)
{
    if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        g_error("remount %s read-only: %s", dir, g_strerror(errno));
}

void
cv_test_fs_unmount(const gchar *dir)
{
    (void)umount2(dir, MNT_DETACH);
}

void
cv_test_fs_fill(const gchar *dir)
{
    g_autofree gchar *path = g_build_filename(dir, "filler", NULL);
    gchar block[4096];
    gint fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    memset(block, 'x', sizeof(block));
    for (;;) {
        gssize n = write(fd, block, sizeof(block));
        if (n < 0) {
            g_assert_cmpint(errno, ==, ENOSPC);
            break;
        }
        if (n < (gssize)sizeof(block)) {
            /* a short write: the last bytes; the next one fails */
            continue;
        }
    }
    close(fd);
}

gboolean
cv_test_fs_is_root(void)
{
    return geteuid() == 0;
}

void
cv_test_fs_drop_to_nobody(const gchar *dir, guint mode)
{
    if (geteuid() == 0) {
        g_assert_cmpint(chown(dir, NOBODY, NOBODY), ==, 0);
        g_assert_cmpint(chmod(dir, mode), ==, 0);
        g_assert_cmpint(setgroups(0, NULL), ==, 0);
        g_assert_cmpint(setresgid(NOBODY, NOBODY, NOBODY), ==, 0);
        g_assert_cmpint(setresuid(NOBODY, NOBODY, NOBODY), ==, 0);
    } else {
        g_assert_cmpint(chmod(dir, mode), ==, 0);
    }
}
