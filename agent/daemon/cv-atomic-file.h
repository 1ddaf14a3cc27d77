/* Files that are replaced whole, so a reader (or the daemon after a crash) sees either the old
 * content or the new one, never a mix: write a temporary file beside the target, flush it,
 * rename it over the target, flush the directory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    CV_ATOMIC_FILE_NONE = 0,
    /* fsync the file before the rename and the directory after it: the new content survives
     * a power cut once this returns. Crash-safe state needs it; a runtime document on tmpfs
     * or a metrics file does not. */
    CV_ATOMIC_FILE_DURABLE = 1 << 0,
} CvAtomicFileFlags;

/* Replace @path with @len bytes of @data, the file mode exactly @mode (whatever the umask).
 * The temporary file is ".NAME.XXXXXX" in the same directory (hidden, and without the
 * target's suffix, so globbing readers skip it); on any failure it is removed and @path is
 * untouched. Errors: CV_STATE_ERROR_NO_SPACE, _READ_ONLY, _PERMISSION, _NOT_FOUND (no such
 * directory), _IO. */
gboolean cv_atomic_file_replace(const gchar *path, const gchar *data, gsize len, guint mode,
                                CvAtomicFileFlags flags, GError **error);

/* Create @path (and missing parents) as a directory. A directory created here gets exactly
 * @mode whatever the umask, like the files written into it; one that already existed keeps the
 * mode someone gave it. Errors: CV_STATE_ERROR_* from errno. */
gboolean cv_atomic_file_make_dir(const gchar *path, guint mode, GError **error);

/* fsync a directory, so a rename or unlink in it is on disk. */
gboolean cv_atomic_file_sync_dir(const gchar *dir, GError **error);

/* Remove @path and flush its directory; a missing file is not an error. */
gboolean cv_atomic_file_remove(const gchar *path, CvAtomicFileFlags flags, GError **error);

/* Read a regular file (symlinks are not followed) of at most @max_size bytes. Larger files are
 * refused with CV_STATE_ERROR_TOO_LARGE without reading them whole. *@data is NUL-terminated.
 * Errors: as above, and CV_STATE_ERROR_INVALID for something that is not a regular file. */
gboolean cv_atomic_file_read_bounded(const gchar *path, gsize max_size, gchar **data, gsize *len,
                                     GError **error);

G_END_DECLS
