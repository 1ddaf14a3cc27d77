/* What completed migrations taught about each destination's link, for
 * switchover-bandwidth = learned: STATE_DIR/learned/DEST.jsonl, one observation a line, oldest
 * first, at most CV_LEARNED_WINDOW_MAX of them (the largest learned-window). */
#pragma once

#include <glib.h>

#include "cv-policy-learned.h"

G_BEGIN_DECLS

#define CV_STATE_LEARNED_DIR "learned"

/* STATE_DIR/learned/<DEST escaped>.jsonl: bytes outside [A-Za-z0-9._-] become %XX, so a URI
 * or host name never reaches outside the directory. NULL (CV_STATE_ERROR_INVALID) for an empty
 * destination. g_free(). */
gchar *cv_learned_store_path(const gchar *state_dir, const gchar *destination, GError **error);

/* The observations for @destination, oldest first (an empty array when none were recorded).
 * Lines that are not a valid observation (a torn write, an edit) are skipped and counted in
 * @n_skipped (may be NULL). Errors: CV_STATE_ERROR_* from reading the file. */
GArray *cv_learned_store_load(const gchar *state_dir, const gchar *destination, guint *n_skipped,
                              GError **error);

/* Add @observation for @destination, keeping the newest CV_LEARNED_WINDOW_MAX; the file is
 * replaced atomically, so a crash leaves the old or the new list, never half of one. */
gboolean cv_learned_store_append(const gchar *state_dir, const gchar *destination,
                                 const CvLearnedObservation *observation, GError **error);

G_END_DECLS
