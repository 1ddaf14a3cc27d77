/* The directory of crash-safe migration records (STATE_DIR/migrations/ID.json; see
 * cv-state-record.h for what a record holds). Records are replaced atomically and durably
 * (temporary file, fsync, rename, directory fsync), so after a crash each one is the last
 * version written or the one before, never a mix.
 *
 * Loading is where distrust lives: every file is read with a size bound and parsed strictly.
 * A record that is truncated, corrupt, oversized or not a regular file is moved to
 * STATE_DIR/quarantine/ (kept for a human, never read again) and reported; a record of a
 * newer format version is left where it is (a downgraded daemon must not destroy what the
 * newer one may still need) and reported; neither is ever trusted. Leftover temporary files
 * of an interrupted write are removed. Only the daemon holding the lock writes here. */
#pragma once

#include <glib.h>

#include "cv-state-error.h"
#include "cv-state-record.h"

G_BEGIN_DECLS

typedef struct _CvStateStore CvStateStore;

/* A file that was not trusted, and what became of it. */
typedef struct {
    gchar *path;             /* where it was found */
    CvStateErrorCode code;   /* why: CV_STATE_ERROR_TRUNCATED, _CORRUPT, _VERSION, ... */
    gchar *message;          /* "PATH: what is wrong" */
    gchar *quarantined_to;   /* where it is now; NULL when left in place */
    gchar *quarantine_error; /* why it could not be moved; NULL when moved or not tried */
} CvStateProblem;

void cv_state_problem_free(CvStateProblem *problem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvStateProblem, cv_state_problem_free)

/* Open (creating STATE_DIR/migrations, mode 0750, when missing) without locking. Errors: the
 * directory cannot be created or is not a directory. */
CvStateStore *cv_state_store_open(const gchar *state_dir, GError **error);
void cv_state_store_free(CvStateStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvStateStore, cv_state_store_free)

const gchar *cv_state_store_get_dir(const CvStateStore *store);

/* Take STATE_DIR/virt-converged.lock (flock, held until the store is freed), so a second daemon
 * on the same state refuses to start. CV_STATE_ERROR_LOCKED names the pid holding it. */
gboolean cv_state_store_lock(CvStateStore *store, GError **error);

/* Write @record as ID.json, mode 0640, durably. On failure the previous version (if any) is
 * still there, intact. */
gboolean cv_state_store_save(CvStateStore *store, const CvStateRecord *record, GError **error);

/* Remove ID.json durably; a missing record is not an error. */
gboolean cv_state_store_remove(CvStateStore *store, const gchar *migration_id, GError **error);

/* Every trusted record (CvStateRecord *, sorted by migration id), and in *@problems (never
 * NULL on success) every file that was not trusted (CvStateProblem *). Fails only when the
 * directory itself cannot be read. */
GPtrArray *cv_state_store_load(CvStateStore *store, GPtrArray **problems, GError **error);

/* ID.json for @migration_id. g_free(). */
gchar *cv_state_store_path_for(const CvStateStore *store, const gchar *migration_id);

G_END_DECLS
