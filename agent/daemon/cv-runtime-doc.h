/* What `virt-converge list` and `status DOM` show while the daemon tunes a migration: one JSON
 * document per migration, RUNTIME_DIR/migrations/ID.json, replaced atomically after every
 * evaluated iteration (the latest reading, decision and policy, and where the rate the engine
 * used came from), mode 0640 so the virt-converge group can read it, removed when the
 * migration ends. RUNTIME_DIR is tmpfs: nothing here survives a reboot, and nothing here is
 * needed to recover (that is cv-state-store.h). */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-decision.h"
#include "cv-params.h"
#include "cv-sample.h"
#include "cv-state-error.h"

G_BEGIN_DECLS

#define CV_RUNTIME_DOC_FORMAT "virt-converge-status"
#define CV_RUNTIME_DOC_VERSION 1
#define CV_RUNTIME_DOC_MAX_SIZE (64 * 1024)

/* The shared link (cv-link.h), as one migration sees it. */
typedef struct {
    guint64 rate;        /* bytes/s */
    const gchar *state;  /* "switching-over" (holds the link), "waiting", NULL: not asked yet */
    gint position;       /* 0: holds it, 1, 2, ...: place in line; -1: not in line */
    const gchar *holder; /* the domain that holds it; NULL when free */
} CvRuntimeLink;

typedef struct {
    const gchar *migration_id;
    const gchar *uri;
    const gchar *domain;
    const gchar *domain_uuid; /* NULL unknown */
    const gchar *policy;
    const gchar *policy_source; /* "metadata", "domain", "vfio", "default"; NULL unknown */
    /* "tuning", "dry-run", "yielded" (someone else changed a parameter; watching only) */
    const gchar *state;
    gint64 started_us;          /* wall clock */
    gint64 updated_us;          /* wall clock */
    const CvSample *sample;     /* the latest reading; NULL before the first */
    const CvParams *params;     /* the parameters as last read; NULL unknown */
    const CvDecision *decision; /* the latest decision; NULL before the first */
    /* Where the switchover rate came from: "stated" (the policy's switchover-bandwidth, set
     * as avail-switchover-bandwidth), "measured" (QEMU's own precopy rate); NULL unknown. */
    const gchar *rate_source;
    /* The switchover rate the policy gives QEMU, bytes/s (0: none, QEMU's measured rate), and
     * where it came from: "stated", "learned from N migrations to DEST", "[daemon] link",
     * "the policy's at most", "none"; NULL unknown. */
    guint64 switchover_rate;
    const gchar *rate_detail;
    guint n_changes;           /* changes applied so far */
    const gchar *state_reason; /* why "yielded" (who changed what); NULL otherwise */
    gboolean adopted;          /* taken over from a state record after a restart */
    const CvRuntimeLink *link; /* NULL: the migration does not take turns on a link */
} CvRuntimeStatus;

/* The document, one line of JSON without a newline. Fields QEMU did not send, or sent as
 * garbage, are null. */
gchar *cv_runtime_doc_to_json(const CvRuntimeStatus *status);

/* Replace RUNTIME_DIR/migrations/ID.json (the directory is created, mode 0750). */
gboolean cv_runtime_doc_write(const gchar *runtime_dir, const CvRuntimeStatus *status,
                              GError **error);
/* Remove it; a missing document is not an error. */
gboolean cv_runtime_doc_remove(const gchar *runtime_dir, const gchar *migration_id, GError **error);

/* Remove every document in RUNTIME_DIR/migrations (what a daemon that died without stopping
 * left: its migrations are adopted or restored from the state records, not from these); the
 * number removed in @n_removed when not NULL. A missing directory is not an error. */
gboolean cv_runtime_doc_remove_all(const gchar *runtime_dir, guint *n_removed, GError **error);

/* RUNTIME_DIR/daemon.json: the running daemon itself, so the CLI knows whether the documents
 * are live. */
typedef struct {
    guint32 pid;
    const gchar *version;
    gint64 started_us;
    gint64 updated_us;
    const gchar *const *uris;  /* watched */
    const gboolean *reachable; /* per URI: the last scan succeeded */
    const guint64 *link_rates; /* per URI: [daemon] link, 0: none */
    guint n_migrations;        /* tuned now */
} CvRuntimeDaemon;

#define CV_RUNTIME_DAEMON_FORMAT "virt-converge-daemon"
#define CV_RUNTIME_DAEMON_FILE "daemon.json"

gboolean cv_runtime_doc_write_daemon(const gchar *runtime_dir, const CvRuntimeDaemon *daemon,
                                     GError **error);
gboolean cv_runtime_doc_remove_daemon(const gchar *runtime_dir, GError **error);
/* The daemon document, when the daemon that wrote it still runs (its pid is alive and, where
 * /proc tells, named virt-converged); NULL with CV_STATE_ERROR_NOT_FOUND otherwise (no daemon,
 * or one killed without removing it), or another code when it cannot be read. */
JsonObject *cv_runtime_doc_read_daemon(const gchar *runtime_dir, GError **error);

/* Every document (JsonObject *, sorted by domain then migration id) whose format, version,
 * migration id and domain check out; the others are skipped with "PATH: why" in @skipped
 * (when not NULL). A missing directory means no migration is tuned: an empty result. */
GPtrArray *cv_runtime_doc_read_all(const gchar *runtime_dir, GPtrArray **skipped, GError **error);

G_END_DECLS
