#include "config.h"

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-build.h"

static gchar *
object_to_line(JsonObject *obj)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

    json_node_set_object(node, obj);
    return json_to_string(node, FALSE);
}

gchar *
cv_qmp_build_command(const gchar *name, JsonObject *arguments, const gchar *id)
{
    g_autoptr(JsonObject) obj = json_object_new();

    g_return_val_if_fail(name != NULL, NULL);

    json_object_set_string_member(obj, "execute", name);
    if (arguments != NULL)
        json_object_set_object_member(obj, "arguments", json_object_ref(arguments));
    if (id != NULL)
        json_object_set_string_member(obj, "id", id);
    return object_to_line(obj);
}

gchar *
cv_qmp_build_qmp_capabilities(const gchar *id)
{
    return cv_qmp_build_command("qmp_capabilities", NULL, id);
}

gchar *
cv_qmp_build_query_version(const gchar *id)
{
    return cv_qmp_build_command("query-version", NULL, id);
}

gchar *
cv_qmp_build_query_status(const gchar *id)
{
    return cv_qmp_build_command("query-status", NULL, id);
}

gchar *
cv_qmp_build_query_migrate(const gchar *id)
{
    return cv_qmp_build_command("query-migrate", NULL, id);
}

gchar *
cv_qmp_build_query_migrate_parameters(const gchar *id)
{
    return cv_qmp_build_command("query-migrate-parameters", NULL, id);
}

gchar *
cv_qmp_build_query_migrate_capabilities(const gchar *id)
{
    return cv_qmp_build_command("query-migrate-capabilities", NULL, id);
}

gchar *
cv_qmp_build_migrate_set_parameters(const CvQmpSetParameters *params, const gchar *id)
{
    g_autoptr(JsonObject) args = json_object_new();

    g_return_val_if_fail(params != NULL, NULL);
    /* json-glib writes gint64: larger values would go out negative, which QEMU refuses */
    g_return_val_if_fail(!params->set_downtime_limit || params->downtime_limit_ms <= G_MAXINT64,
                         NULL);
    g_return_val_if_fail(!params->set_max_bandwidth || params->max_bandwidth <= G_MAXINT64, NULL);
    g_return_val_if_fail(!params->set_avail_switchover_bandwidth ||
                             params->avail_switchover_bandwidth <= G_MAXINT64,
                         NULL);

    if (params->set_downtime_limit)
        json_object_set_int_member(args, "downtime-limit", (gint64)params->downtime_limit_ms);
    if (params->set_max_bandwidth)
        json_object_set_int_member(args, "max-bandwidth", (gint64)params->max_bandwidth);
    if (params->set_avail_switchover_bandwidth)
        json_object_set_int_member(args, "avail-switchover-bandwidth",
                                   (gint64)params->avail_switchover_bandwidth);
    return cv_qmp_build_command("migrate-set-parameters", args, id);
}

gchar *
cv_qmp_build_migrate_set_capability(const gchar *capability, gboolean state, const gchar *id)
{
    g_autoptr(JsonObject) args = json_object_new();
    g_autoptr(JsonObject) cap = json_object_new();
    JsonArray *caps = json_array_new();

    g_return_val_if_fail(capability != NULL, NULL);

    json_object_set_string_member(cap, "capability", capability);
    json_object_set_boolean_member(cap, "state", state);
    json_array_add_object_element(caps, g_steal_pointer(&cap));
    json_object_set_array_member(args, "capabilities", caps);
    return cv_qmp_build_command("migrate-set-capabilities", args, id);
}

gchar *
cv_qmp_build_migrate(const gchar *uri, const gchar *id)
{
    g_autoptr(JsonObject) args = json_object_new();

    g_return_val_if_fail(uri != NULL, NULL);

    json_object_set_string_member(args, "uri", uri);
    return cv_qmp_build_command("migrate", args, id);
}

gchar *
cv_qmp_build_migrate_start_postcopy(const gchar *id)
{
    return cv_qmp_build_command("migrate-start-postcopy", NULL, id);
}

gchar *
cv_qmp_build_migrate_cancel(const gchar *id)
{
    return cv_qmp_build_command("migrate_cancel", NULL, id);
}

gchar *
cv_qmp_build_stop(const gchar *id)
{
    return cv_qmp_build_command("stop", NULL, id);
}

gchar *
cv_qmp_build_cont(const gchar *id)
{
    return cv_qmp_build_command("cont", NULL, id);
}

gchar *
cv_qmp_build_greeting(gint major, gint minor, gint micro, const gchar *package)
{
    g_autoptr(JsonObject) obj = json_object_new();
    JsonObject *qmp = json_object_new();
    JsonObject *version = json_object_new();
    JsonObject *qemu = json_object_new();

    json_object_set_int_member(qemu, "micro", micro);
    json_object_set_int_member(qemu, "minor", minor);
    json_object_set_int_member(qemu, "major", major);
    json_object_set_object_member(version, "qemu", qemu);
    json_object_set_string_member(version, "package", package != NULL ? package : "");
    json_object_set_object_member(qmp, "version", version);
    /* we offer no out-of-band execution, so no "oob" capability */
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    json_object_set_object_member(obj, "QMP", qmp);
    return object_to_line(obj);
}

gchar *
cv_qmp_build_return(JsonNode *value, JsonNode *id)
{
    g_autoptr(JsonObject) obj = json_object_new();

    if (value != NULL)
        json_object_set_member(obj, "return", json_node_copy(value));
    else
        json_object_set_object_member(obj, "return", json_object_new());
    if (id != NULL)
        json_object_set_member(obj, "id", json_node_copy(id));
    return object_to_line(obj);
}

gchar *
cv_qmp_build_error(const gchar *klass, const gchar *desc, JsonNode *id)
{
    g_autoptr(JsonObject) obj = json_object_new();
    JsonObject *err = json_object_new();

    json_object_set_string_member(err, "class", klass != NULL ? klass : "GenericError");
    json_object_set_string_member(err, "desc", desc != NULL ? desc : "");
    json_object_set_object_member(obj, "error", err);
    if (id != NULL)
        json_object_set_member(obj, "id", json_node_copy(id));
    return object_to_line(obj);
}

gchar *
cv_qmp_build_event(const gchar *name, JsonObject *data, gint64 seconds, gint64 microseconds)
{
    g_autoptr(JsonObject) obj = json_object_new();
    JsonObject *ts = json_object_new();

    g_return_val_if_fail(name != NULL, NULL);

    json_object_set_int_member(ts, "seconds", seconds);
    json_object_set_int_member(ts, "microseconds", microseconds);
    json_object_set_object_member(obj, "timestamp", ts);
    json_object_set_string_member(obj, "event", name);
    if (data != NULL)
        json_object_set_object_member(obj, "data", json_object_ref(data));
    return object_to_line(obj);
}
