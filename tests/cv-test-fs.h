/* File-system faults for tests, made real where the machine allows it: a tiny tmpfs that fills
 * up (ENOSPC), one remounted read-only (EROFS), and a directory the process may not write
 * (EACCES, as the unprivileged user nobody when the tests run as root, whom permission bits do
 * not stop). The mounts live in a private mount namespace of a child process (a GTest
 * subprocess): nothing is mounted on the host. Where the kernel refuses (no privilege for
 * namespaces), the probe says why and the test is skipped with that reason. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new directory under $TMPDIR. g_free(); remove with cv_test_fs_rm_rf(). */
gchar *cv_test_fs_make_tmpdir(void);
void cv_test_fs_rm_rf(const gchar *path);

/* Can this process create a private mount namespace and mount a tmpfs in it? Tried in a
 * forked child, so the caller is unchanged. *@why says what failed. */
gboolean cv_test_fs_can_mount_tmpfs(gchar **why);
/* In the current process (a GTest subprocess): private mount namespace, then a tmpfs of
 * @size_kib KiB on @dir. Aborts the test on failure (probe first). */
void cv_test_fs_mount_tmpfs(const gchar *dir, guint size_kib);
/* Remount the tmpfs on @dir read-only. */
void cv_test_fs_remount_ro(const gchar *dir);
/* Undo cv_test_fs_mount_tmpfs (nothing when @dir is no mount point), so the directory can
 * be removed. */
void cv_test_fs_unmount(const gchar *dir);
/* Fill the file system holding @dir with a file "filler" until ENOSPC. */
void cv_test_fs_fill(const gchar *dir);

/* Can the current process be denied writing by permission bits? As root: only after
 * dropping to nobody (cv_test_fs_drop_to_nobody, in a subprocess). */
gboolean cv_test_fs_is_root(void);
/* Give @dir to nobody with @mode, then become nobody (setgroups, setresgid, setresuid).
 * In a subprocess only. No-op on @dir ownership when not root (just chmod). */
void cv_test_fs_drop_to_nobody(const gchar *dir, guint mode);

G_END_DECLS
