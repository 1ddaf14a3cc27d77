/* What completed migrations taught about each destination's link, for
 * switchover-bandwidth = learned: STATE_DIR/learned/DEST.jsonl, one observation a line, oldest
 * first, at most CV_LEARNED_WINDOW_MAX of them (the largest learned-window). */
#pragma once

#include <glib.h>

#include "cv-policy-learned.h"

G_BEGIN_DECLS

#define CV_STATE_LEARNED_DIR "learned"
/* The host-wide key: every completed migration is recorded under it too, and the daemon, which
 * cannot tell where an outgoing migration goes (libvirt 9.0 names no destination in its
 * events, job statistics or domain APIs), records and reads only it. The lowest of the last N
 * over all of this host's destinations is at or below the lowest for any one of them: safe. */
#define CV_LEARNED_ANY_DESTINATION "any"
/* The sysfs root the NIC speed is read under; tests point $CV_SYSFS_ROOT at a directory. */
#define CV_LEARNED_SYSFS_ROOT "/sys"

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

/* The nominal speed of network interface @iface in bytes/s, from
 * $CV_SYSFS_ROOT (default /sys)/class/net/IFACE/speed (Mbit/s). 0 when unknown: the file is
 * missing or unreadable, says -1 (no link, or a virtual device), 0, or garbage; *@why (may be
 * NULL; g_free) then says which. */
guint64 cv_learned_nic_speed(const gchar *iface, gchar **why);

/* switchover-bandwidth = learned for @policy: what the observations recorded for @destination
 * teach (the last @window usable, once @min_count exist), bounded by the policy's `at most`
 * and @nic_speed (0 = none), given to the policy when known. @out says what was found and why
 * (with the store's skipped lines). FALSE, with @policy left as `off`, when the store cannot
 * be read. A policy that does not learn is left alone (TRUE, @out->known FALSE). */
gboolean cv_learned_store_apply(const gchar *state_dir, const gchar *destination, guint window,
                                guint min_count, guint64 nic_speed, CvPolicy *policy,
                                CvLearnedRate *out, GError **error);

/* Record @observation under @destination and, when that is another, under the host-wide key
 * too. */
gboolean cv_learned_store_record(const gchar *state_dir, const gchar *destination,
                                 const CvLearnedObservation *observation, GError **error);

G_END_DECLS
