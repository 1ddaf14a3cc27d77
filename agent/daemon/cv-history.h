/* The history: an append-only JSON-lines file, STATE_DIR/history.jsonl, one object per line
 * for every decision the daemon applied (or tried), every restore, outside change and
 * outcome, so `virt-converge history` can tell what happened to a migration after the fact.
 * It is rotated by size: when a line would take the file past its bound, history.jsonl
 * becomes history.jsonl.1 (.1 becomes .2, ...; the oldest beyond `keep` is dropped).
 *
 * Every line has "time" (UTC, "2025-01-31T12:00:00.123Z") and "event"; most have
 * "migration-id", "domain", "uri" and "policy"; the rest depends on the event (see
 * virt-converged(8)). The history is for people and tools, not for recovery: lines are not
 * fsynced one by one, and the reader skips (and counts) a line it cannot read, such as the
 * last one of a crash. The crash-safe part is cv-state-store.h. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-state-error.h"

G_BEGIN_DECLS

/* A line longer than this is refused by the writer and skipped by the reader. */
#define CV_HISTORY_MAX_LINE (16 * 1024)
/* Rotated files the reader looks for: history.jsonl.1 to .CV_HISTORY_MAX_KEEP. */
#define CV_HISTORY_MAX_KEEP 32

/* The "event" values. */
#define CV_HISTORY_EVENT_ATTACH "attach"
#define CV_HISTORY_EVENT_DECISION "decision"
#define CV_HISTORY_EVENT_RESTORE "restore"
#define CV_HISTORY_EVENT_OUTSIDE_CHANGE "outside-change"
#define CV_HISTORY_EVENT_OUTCOME "outcome"
#define CV_HISTORY_EVENT_RECOVERED "recovered"
#define CV_HISTORY_EVENT_DAEMON "daemon"
#define CV_HISTORY_EVENT_LINK "link" /* the shared link granted, or a lease that ran out */

/* ---- writing ---- */

typedef struct _CvHistory CvHistory;

/* Append to STATE_DIR/history.jsonl, rotated past @max_size bytes, @keep rotated files (1 to
 * CV_HISTORY_MAX_KEEP). The file is opened on the first append. */
CvHistory *cv_history_new(const gchar *state_dir, guint64 max_size, guint keep);
void cv_history_free(CvHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvHistory, cv_history_free)

/* New limits (a reload); they apply from the next append. */
void cv_history_set_limits(CvHistory *history, guint64 max_size, guint keep);
const gchar *cv_history_get_path(const CvHistory *history);

/* The common members of a line, in this order; NULL members are left out. */
typedef struct {
    gint64 time_us; /* wall clock, µs since the epoch */
    const gchar *event;
    const gchar *migration_id;
    const gchar *domain;
    const gchar *uri;
    const gchar *policy;
} CvHistoryHeader;

/* A builder with an open object holding the header: add the event's own members, then
 * cv_history_append(). */
JsonBuilder *cv_history_begin(const CvHistoryHeader *header);

/* Close the object in @builder and append it as one line (a single write on an O_APPEND
 * file). A line the file system could not take whole is cut off again, so no partial line
 * stays behind. Errors: CV_STATE_ERROR_NO_SPACE, _READ_ONLY, _PERMISSION, _IO,
 * _TOO_LARGE (a line above CV_HISTORY_MAX_LINE). */
gboolean cv_history_append(CvHistory *history, JsonBuilder *builder, GError **error);

/* "2025-01-31T12:00:00.123Z" */
gchar *cv_history_format_time(gint64 time_us);

/* ---- reading ---- */

typedef struct {
    gint64 time_us;
    gchar *event;
    gchar *migration_id; /* NULL when the line has none */
    gchar *domain;       /* NULL when the line has none */
    JsonObject *object;  /* the whole line */
    gchar *line;         /* as written, without the newline */
} CvHistoryEntry;

void cv_history_entry_free(CvHistoryEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvHistoryEntry, cv_history_entry_free)

typedef struct {
    const gchar *domain; /* NULL: every line; else only lines of this domain */
    gint64 since_us;     /* only lines at or after this time; G_MININT64: all */
} CvHistoryFilter;

/* Every line of STATE_DIR's history that passes @filter (NULL: all), oldest file first
 * (history.jsonl.N ... .1, then history.jsonl), as CvHistoryEntry. Lines that cannot be read
 * (not JSON, no valid "time" or "event", too long) are skipped; when @skipped is not NULL it
 * gets one "FILE:LINE: why" per such line. Fails (CV_STATE_ERROR_NOT_FOUND, _PERMISSION, _IO)
 * when @state_dir cannot be read; a directory without history is an empty result. */
GPtrArray *cv_history_read(const gchar *state_dir, const CvHistoryFilter *filter,
                           GPtrArray **skipped, GError **error);

/* --since: "2025-01-31", "2025-01-31 12:00[:00]" or with a T (local time), an ISO 8601 time
 * with a zone ("2025-01-31T12:00:00Z"), "today", "yesterday", "now", or a duration before
 * @now ("1h ago", "-30min"; units as in virt-converged.conf(5)). Errors:
 * CV_STATE_ERROR_INVALID. */
gboolean cv_history_parse_since(const gchar *text, GDateTime *now, gint64 *time_us, GError **error);

G_END_DECLS
