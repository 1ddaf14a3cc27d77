/* Where the daemon keeps its files. systemd hands the directories over in $STATE_DIRECTORY
 * and $RUNTIME_DIRECTORY (StateDirectory=, RuntimeDirectory=); without them (a daemon run by
 * hand, the CLI) the compile-time defaults apply.
 *
 *   STATE_DIR/virt-converged.lock        one daemon per state directory (flock)
 *   STATE_DIR/migrations/ID.json         crash-safe records (cv-state-store.h)
 *   STATE_DIR/quarantine/ID.json.TIME    records found corrupt, kept for a human
 *   STATE_DIR/history.jsonl[.N]          decisions and outcomes (cv-history.h)
 *   RUNTIME_DIR/migrations/ID.json       what the CLI shows per tuned migration
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CV_STATE_LOCK_FILE "virt-converged.lock"
#define CV_STATE_MIGRATIONS_DIR "migrations"
#define CV_STATE_QUARANTINE_DIR "quarantine"
#define CV_STATE_HISTORY_FILE "history.jsonl"

/* The first entry of $STATE_DIRECTORY, else LOCALSTATEDIR/lib/virt-converge. g_free(). */
gchar *cv_state_paths_state_dir(void);
/* The first entry of $RUNTIME_DIRECTORY, else RUNSTATEDIR/virt-converge. g_free(). */
gchar *cv_state_paths_runtime_dir(void);

G_END_DECLS
