/* Errors of the daemon's files: state records, the history, runtime documents, metrics. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CV_STATE_ERROR (cv_state_error_quark())
GQuark cv_state_error_quark(void);

/* Messages name the file: "PATH: what is wrong". */
typedef enum {
    CV_STATE_ERROR_FAILED = 0, /* anything else */
    CV_STATE_ERROR_IO,         /* a read, write, rename or sync failed (errno in the message) */
    CV_STATE_ERROR_NO_SPACE,   /* the file system is full (ENOSPC, EDQUOT) */
    CV_STATE_ERROR_READ_ONLY,  /* the file system is read-only (EROFS) */
    CV_STATE_ERROR_PERMISSION, /* EACCES, EPERM */
    CV_STATE_ERROR_NOT_FOUND,  /* no such file or directory */
    CV_STATE_ERROR_TOO_LARGE,  /* a file or line above its bound: never read whole */
    CV_STATE_ERROR_TRUNCATED,  /* a record that ends before its checksum */
    CV_STATE_ERROR_CORRUPT,    /* checksum mismatch, not JSON, missing or mistyped member */
    CV_STATE_ERROR_VERSION,    /* a format version this build does not know (a newer daemon) */
    CV_STATE_ERROR_INVALID,    /* well-formed but a value out of range or inconsistent */
    CV_STATE_ERROR_LOCKED,     /* another virt-converged holds the state directory */
} CvStateErrorCode;

/* Set @error from @errsv (an errno value), "PATH: strerror" with @what prefixed when not
 * NULL ("PATH: cannot rename: No space left on device"). */
void cv_state_set_error_from_errno(GError **error, gint errsv, const gchar *path,
                                   const gchar *what);

/* @text (a parser's message, which may quote the hostile input it read) as valid UTF-8 without
 * control characters, fit for the journal and --json output. g_free(). */
gchar *cv_state_printable(const gchar *text);

G_END_DECLS
