/* Parsers from QMP replies and events into typed structs. Every number is type-checked
 * before it is read; anything untrustworthy leaves its field INVALID. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-params.h"
#include "cv-qmp-frame.h"
#include "cv-sample.h"

G_BEGIN_DECLS

/* query-migrate's return value -> @sample (time_ms is left to the caller). Fails only when
 * the return value is not an object; a missing or garbage member only marks its field. */
gboolean cv_qmp_parse_query_migrate(JsonNode *ret, CvSample *sample, GError **error);
/* query-migrate-parameters -> the parameter fields of @params (others untouched). */
gboolean cv_qmp_parse_query_migrate_parameters(JsonNode *ret, CvParams *params, GError **error);
/* query-migrate-capabilities -> the capability fields of @params (others untouched). */
gboolean cv_qmp_parse_query_migrate_capabilities(JsonNode *ret, CvParams *params, GError **error);

typedef struct {
    gint major;
    gint minor;
    gint micro;
    gchar package[64];
} CvQemuVersion;

/* Either a query-version return value or a greeting's "QMP" object's "version". */
gboolean cv_qmp_parse_version(JsonNode *node, CvQemuVersion *version, GError **error);
/* {"QMP": {"version": ..., "capabilities": [...]}} as a parsed greeting message. */
gboolean cv_qmp_parse_greeting(const CvQmpMessage *message, CvQemuVersion *version, gboolean *oob,
                               GError **error);

/* Events we act on, looked up by name through a sorted table (bsearch). */
typedef enum {
    CV_QMP_EVENT_UNKNOWN = 0,
    CV_QMP_EVENT_MIGRATION,
    CV_QMP_EVENT_MIGRATION_PASS,
    CV_QMP_EVENT_RESUME,
    CV_QMP_EVENT_SHUTDOWN,
    CV_QMP_EVENT_STOP,
} CvQmpEventKind;

typedef struct {
    CvQmpEventKind kind;
    gint64 seconds; /* -1 when missing */
    gint64 microseconds;
    CvMigrationStatus status; /* MIGRATION */
    CvU64Field pass;          /* MIGRATION_PASS */
} CvQmpEvent;

CvQmpEventKind cv_qmp_event_kind_from_name(const gchar *name);
/* An EVENT message -> @event. Unknown event names give kind UNKNOWN and succeed; a known
 * event with a malformed payload fails with CV_QMP_ERROR_INVALID_REPLY. */
gboolean cv_qmp_parse_event(const CvQmpMessage *message, CvQmpEvent *event, GError **error);

/* An ERROR message -> a GError in CV_QMP_ERROR whose code is QEMU's class and whose message
 * is "COMMAND: DESC" (class kept in the code; a class we do not know gives FAILED and
 * "COMMAND: DESC [CLASS]"). An error member that cannot be read (not an object, class or
 * desc missing or not a string) gives CV_QMP_ERROR_INVALID_REPLY with "COMMAND: invalid QMP
 * error reply, WHAT" plus whatever desc and class could be read. Always returns FALSE, for
 * `return cv_qmp_error_from_reply(...)`. */
gboolean cv_qmp_error_from_reply(const CvQmpMessage *message, const gchar *command, GError **error);

G_END_DECLS
