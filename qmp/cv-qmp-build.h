/* Builders for every QMP line we send (client side) and that the simulator sends (server
 * side). Each returns one JSON object without a line terminator; the writer adds CRLF. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Generic: {"execute": NAME, "arguments": ARGS?, "id": ID?}. @arguments may be NULL and is
 * not consumed. */
gchar *cv_qmp_build_command(const gchar *name, JsonObject *arguments, const gchar *id);

gchar *cv_qmp_build_qmp_capabilities(const gchar *id);
gchar *cv_qmp_build_query_version(const gchar *id);
gchar *cv_qmp_build_query_status(const gchar *id);
gchar *cv_qmp_build_query_migrate(const gchar *id);
gchar *cv_qmp_build_query_migrate_parameters(const gchar *id);
gchar *cv_qmp_build_query_migrate_capabilities(const gchar *id);

/* migrate-set-parameters with only the members whose flag is set. */
typedef struct {
    gboolean set_downtime_limit;
    guint64 downtime_limit_ms;
    gboolean set_max_bandwidth;
    guint64 max_bandwidth; /* bytes/s */
    gboolean set_avail_switchover_bandwidth;
    guint64 avail_switchover_bandwidth; /* bytes/s */
} CvQmpSetParameters;

gchar *cv_qmp_build_migrate_set_parameters(const CvQmpSetParameters *params, const gchar *id);
gchar *cv_qmp_build_migrate_set_capability(const gchar *capability, gboolean state,
                                           const gchar *id);
gchar *cv_qmp_build_migrate(const gchar *uri, const gchar *id);
gchar *cv_qmp_build_migrate_start_postcopy(const gchar *id);
gchar *cv_qmp_build_migrate_cancel(const gchar *id);
gchar *cv_qmp_build_stop(const gchar *id);
gchar *cv_qmp_build_cont(const gchar *id);

/* Server side. @id is echoed as given (any JSON value, may be NULL). @value is not
 * consumed. */
gchar *cv_qmp_build_greeting(gint major, gint minor, gint micro, const gchar *package);
gchar *cv_qmp_build_return(JsonNode *value, JsonNode *id);
gchar *cv_qmp_build_error(const gchar *klass, const gchar *desc, JsonNode *id);
/* @data may be NULL (events without payload, e.g. STOP). */
gchar *cv_qmp_build_event(const gchar *name, JsonObject *data, gint64 seconds, gint64 microseconds);

G_END_DECLS
