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

typedef struct {
    const gchar *migration_id;
    const gchar *uri;
    const gchar *domain;
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
    guint n_changes; /* changes applied so far */
} CvRuntimeStatus;

/* The document, one line of JSON without a newline. Fields QEMU did not send, or sent as
 * garbage, are null. */
gchar *cv_runtime_doc_to_json(const CvRuntimeStatus *status);

/* Replace RUNTIME_DIR/migrations/ID.json (the directory is created, mode 0750). */
gboolean cv_runtime_doc_write(const gchar *runtime_dir, const CvRuntimeStatus *status,
                              GError **error);
/* Remove it; a missing document is not an error. */
gboolean cv_runtime_doc_remove(const gchar *runtime_dir, const gchar *migration_id, GError **error);

/* Every document (JsonObject *, sorted by domain then migration id) whose format, version,
 * migration id and domain check out; the others are skipped with "PATH: why" in @skipped
 * (when not NULL). A missing directory means no migration is tuned: an empty result. */
GPtrArray *cv_runtime_doc_read_all(const gchar *runtime_dir, GPtrArray **skipped, GError **error);

G_END_DECLS
