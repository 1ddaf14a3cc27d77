#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-atomic-file.h"
#include "cv-history.h"
#include "cv-runtime-doc.h"
#include "cv-state-paths.h"

#define DOC_MODE 0640
#define DIR_MODE 0750
#define DOC_SUFFIX ".json"

/* Stable machine names, the same as `virt-converge status --json` prints. */
static const gchar *
estimate_id(CvEstimateSource source)
{
    switch (source) {
    case CV_ESTIMATE_NONE:
        return "none";
    case CV_ESTIMATE_QEMU_ALL_DEVICES:
        return "qemu-all-devices";
    case CV_ESTIMATE_QEMU_RAM_ONLY:
        return "qemu-ram-only";
    case CV_ESTIMATE_PENDING_OVER_RATE:
        return "pending-over-rate";
    case CV_ESTIMATE_LADDER:
        return "ladder";
    default:
        return "unknown";
    }
}

static void
add_str(JsonBuilder *b, const gchar *name, const gchar *value)
{
    json_builder_set_member_name(b, name);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
add_u64(JsonBuilder *b, const gchar *name, guint64 value)
{
    json_builder_set_member_name(b, name);
    if (value <= G_MAXINT64)
        json_builder_add_int_value(b, (gint64)value);
    else
        json_builder_add_null_value(b);
}

static void
add_field(JsonBuilder *b, const gchar *name, const CvU64Field *field)
{
    if (cv_field_valid(field)) {
        add_u64(b, name, field->value);
    } else {
        json_builder_set_member_name(b, name);
        json_builder_add_null_value(b);
    }
}

static void
add_time(JsonBuilder *b, const gchar *name, gint64 time_us)
{
    g_autofree gchar *t = time_us > 0 ? cv_history_format_time(time_us) : NULL;

    add_str(b, name, t);
}

static void
add_reading(JsonBuilder *b, const CvSample *s)
{
    guint64 pending = 0;
    gboolean system_wide = FALSE;
    guint64 rate = 0;

    json_builder_set_member_name(b, "reading");
    if (s == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    add_str(b, "status", cv_migration_status_to_string(s->status));
    add_field(b, "pass", &s->ram_dirty_sync_count);
    if (cv_sample_pending(s, &pending, &system_wide)) {
        add_u64(b, "pending", pending);
        add_str(b, "pending-source", system_wide ? "system-wide" : "ram");
    } else {
        add_str(b, "pending", NULL);
        add_str(b, "pending-source", NULL);
    }
    add_field(b, "remaining", &s->remaining);
    add_field(b, "ram-remaining", &s->ram_remaining);
    add_field(b, "expected-downtime-ms", &s->expected_downtime_ms);
    if (cv_sample_throughput(s, &rate))
        add_u64(b, "throughput", rate);
    else
        add_str(b, "throughput", NULL);
    if (cv_sample_dirty_rate(s, &rate))
        add_u64(b, "dirty-rate", rate);
    else
        add_str(b, "dirty-rate", NULL);
    add_field(b, "total-time-ms", &s->total_time_ms);
    json_builder_end_object(b);
}

static void
add_params(JsonBuilder *b, const CvParams *p)
{
    json_builder_set_member_name(b, "parameters");
    if (p == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    add_field(b, "downtime-limit-ms", &p->downtime_limit_ms);
    add_field(b, "max-bandwidth", &p->max_bandwidth);
    add_field(b, "avail-switchover-bandwidth", &p->avail_switchover_bandwidth);
    json_builder_end_object(b);
}

static void
add_decision(JsonBuilder *b, const CvDecision *d)
{
    json_builder_set_member_name(b, "decision");
    if (d == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    add_str(b, "kind", cv_decision_kind_to_string(d->kind));
    add_u64(b, "value", d->value);
    add_str(b, "verdict", cv_verdict_to_string(d->verdict));
    add_str(b, "estimate", estimate_id(d->source));
    add_u64(b, "needed-downtime-ms", d->needed_downtime_ms);
    add_u64(b, "predicted-blackout-ms", d->predicted_blackout_ms);
    add_str(b, "reason", d->reason);
    json_builder_end_object(b);
}

gchar *
cv_runtime_doc_to_json(const CvRuntimeStatus *status)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    g_return_val_if_fail(status != NULL, NULL);
    json_builder_begin_object(b);
    add_str(b, "format", CV_RUNTIME_DOC_FORMAT);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, CV_RUNTIME_DOC_VERSION);
    add_str(b, "migration-id", status->migration_id);
    add_str(b, "domain", status->domain);
    add_str(b, "domain-uuid", status->domain_uuid);
    add_str(b, "uri", status->uri);
    add_str(b, "policy", status->policy);
    add_str(b, "policy-source", status->policy_source);
    add_str(b, "state", status->state);
    add_str(b, "state-reason", status->state_reason);
    json_builder_set_member_name(b, "adopted");
    json_builder_add_boolean_value(b, status->adopted);
    add_time(b, "started", status->started_us);
    add_time(b, "updated", status->updated_us);
    add_str(b, "rate-source", status->rate_source);
    json_builder_set_member_name(b, "switchover-rate");
    json_builder_add_int_value(b, (gint64)MIN(status->switchover_rate, (guint64)G_MAXINT64));
    add_str(b, "rate-detail", status->rate_detail);
    json_builder_set_member_name(b, "changes");
    json_builder_add_int_value(b, status->n_changes);
    add_reading(b, status->sample);
    add_params(b, status->params);
    add_decision(b, status->decision);
    json_builder_set_member_name(b, "link");
    if (status->link == NULL) {
        json_builder_add_null_value(b);
    } else {
        json_builder_begin_object(b);
        add_u64(b, "rate", status->link->rate);
        add_str(b, "state", status->link->state);
        json_builder_set_member_name(b, "position");
        if (status->link->position >= 0)
            json_builder_add_int_value(b, status->link->position);
        else
            json_builder_add_null_value(b);
        add_str(b, "holder", status->link->holder);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static gchar *
doc_dir(const gchar *runtime_dir)
{
    return g_build_filename(runtime_dir, CV_STATE_MIGRATIONS_DIR, NULL);
}

static gchar *
doc_path(const gchar *runtime_dir, const gchar *migration_id)
{
    g_autofree gchar *dir = doc_dir(runtime_dir);
    g_autofree gchar *name = g_strconcat(migration_id, DOC_SUFFIX, NULL);

    return g_build_filename(dir, name, NULL);
}

gboolean
cv_runtime_doc_write(const gchar *runtime_dir, const CvRuntimeStatus *status, GError **error)
{
    g_autofree gchar *dir = doc_dir(runtime_dir);
    g_autofree gchar *path = NULL;
    g_autofree gchar *json = NULL;
    g_autofree gchar *text = NULL;

    g_return_val_if_fail(status != NULL && status->migration_id != NULL, FALSE);
    g_return_val_if_fail(g_uuid_string_is_valid(status->migration_id), FALSE);
    if (!cv_atomic_file_make_dir(dir, DIR_MODE, error))
        return FALSE;
    path = doc_path(runtime_dir, status->migration_id);
    json = cv_runtime_doc_to_json(status);
    text = g_strconcat(json, "\n", NULL);
    return cv_atomic_file_replace(path, text, strlen(text), DOC_MODE, CV_ATOMIC_FILE_NONE, error);
}

gboolean
cv_runtime_doc_remove(const gchar *runtime_dir, const gchar *migration_id, GError **error)
{
    g_autofree gchar *path = NULL;

    g_return_val_if_fail(migration_id != NULL && g_uuid_string_is_valid(migration_id), FALSE);
    path = doc_path(runtime_dir, migration_id);
    return cv_atomic_file_remove(path, CV_ATOMIC_FILE_NONE, error);
}

gboolean
cv_runtime_doc_remove_all(const gchar *runtime_dir, guint *n_removed, GError **error)
{
    g_autofree gchar *dir_path = doc_dir(runtime_dir);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &local_error);
    const gchar *name;
    guint n = 0;

    if (dir == NULL) {
        if (n_removed != NULL)
            *n_removed = 0;
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_IO, "%s", local_error->message);
        return FALSE;
    }
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *path = NULL;

        /* ours only: ID.json, and the temporary files of a write a crash cut short */
        if (!g_str_has_suffix(name, DOC_SUFFIX) && name[0] != '.')
            continue;
        path = g_build_filename(dir_path, name, NULL);
        if (!cv_atomic_file_remove(path, CV_ATOMIC_FILE_NONE, error))
            return FALSE;
        n++;
    }
    if (n_removed != NULL)
        *n_removed = n;
    return TRUE;
}

static const gchar *
get_string(JsonObject *o, const gchar *name)
{
    JsonNode *n = json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;

    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static JsonObject *
read_doc(const gchar *path, const gchar *id, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) local_error = NULL;
    g_autofree gchar *data = NULL;
    gsize len = 0;
    JsonNode *root;
    JsonObject *o;
    JsonNode *version;

    if (!cv_atomic_file_read_bounded(path, CV_RUNTIME_DOC_MAX_SIZE, &data, &len, error))
        return NULL;
    if (!json_parser_load_from_data(parser, data, (gssize)len, &local_error)) {
        /* json-glib quotes the bytes it could not read, invalid UTF-8 included */
        g_autofree gchar *why = cv_state_printable(local_error->message);

        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: not JSON: %s", path, why);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: not a JSON object", path);
        return NULL;
    }
    o = json_node_get_object(root);
    version = json_object_has_member(o, "version") ? json_object_get_member(o, "version") : NULL;
    if (g_strcmp0(get_string(o, "format"), CV_RUNTIME_DOC_FORMAT) != 0 || version == NULL ||
        !JSON_NODE_HOLDS_VALUE(version) || json_node_get_value_type(version) != G_TYPE_INT64 ||
        json_node_get_int(version) != CV_RUNTIME_DOC_VERSION) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_VERSION,
                    "%s: not a version %d " CV_RUNTIME_DOC_FORMAT " document", path,
                    CV_RUNTIME_DOC_VERSION);
        return NULL;
    }
    if (g_strcmp0(get_string(o, "migration-id"), id) != 0 || get_string(o, "domain") == NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "%s: no domain, or a migration-id that is not its file name", path);
        return NULL;
    }
    return json_object_ref(o);
}

static gint
compare_docs(gconstpointer a, gconstpointer b)
{
    JsonObject *oa = *(JsonObject *const *)a;
    JsonObject *ob = *(JsonObject *const *)b;
    gint c = g_strcmp0(get_string(oa, "domain"), get_string(ob, "domain"));

    return c != 0 ? c : g_strcmp0(get_string(oa, "migration-id"), get_string(ob, "migration-id"));
}

GPtrArray *
cv_runtime_doc_read_all(const gchar *runtime_dir, GPtrArray **skipped, GError **error)
{
    g_autofree gchar *dir_path = doc_dir(runtime_dir);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &local_error);
    const gchar *name;

    if (dir == NULL) {
        if (!g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_IO, "%s", local_error->message);
            return NULL;
        }
    }
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *path = NULL;
        g_autofree gchar *id = NULL;
        g_autoptr(GError) doc_error = NULL;
        JsonObject *o;

        /* hidden: a temporary file of a write in progress */
        if (name[0] == '.' || !g_str_has_suffix(name, DOC_SUFFIX))
            continue;
        path = g_build_filename(dir_path, name, NULL);
        id = g_strndup(name, strlen(name) - strlen(DOC_SUFFIX));
        o = read_doc(path, id, &doc_error);
        if (o != NULL)
            g_ptr_array_add(out, o);
        else if (!g_error_matches(doc_error, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND))
            g_ptr_array_add(bad, g_strdup(doc_error->message));
    }
    g_ptr_array_sort(out, compare_docs);
    if (skipped != NULL)
        *skipped = g_steal_pointer(&bad);
    return g_steal_pointer(&out);
}

/* ---- the daemon document ---------------------------------------------------------------- */

static gchar *
daemon_doc_path(const gchar *runtime_dir)
{
    return g_build_filename(runtime_dir, CV_RUNTIME_DAEMON_FILE, NULL);
}

gboolean
cv_runtime_doc_write_daemon(const gchar *runtime_dir, const CvRuntimeDaemon *daemon, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree gchar *json = NULL;
    g_autofree gchar *text = NULL;
    g_autofree gchar *path = daemon_doc_path(runtime_dir);

    g_return_val_if_fail(daemon != NULL, FALSE);
    json_builder_begin_object(b);
    add_str(b, "format", CV_RUNTIME_DAEMON_FORMAT);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, CV_RUNTIME_DOC_VERSION);
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, daemon->pid);
    add_str(b, "daemon-version", daemon->version);
    add_time(b, "started", daemon->started_us);
    add_time(b, "updated", daemon->updated_us);
    json_builder_set_member_name(b, "migrations");
    json_builder_add_int_value(b, daemon->n_migrations);
    json_builder_set_member_name(b, "uris");
    json_builder_begin_array(b);
    for (guint i = 0; daemon->uris != NULL && daemon->uris[i] != NULL; i++) {
        json_builder_begin_object(b);
        add_str(b, "uri", daemon->uris[i]);
        json_builder_set_member_name(b, "reachable");
        json_builder_add_boolean_value(b, daemon->reachable != NULL && daemon->reachable[i]);
        if (daemon->link_rates != NULL && daemon->link_rates[i] > 0) {
            add_u64(b, "link", daemon->link_rates[i]);
        } else {
            json_builder_set_member_name(b, "link");
            json_builder_add_null_value(b);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json = json_generator_to_data(gen, NULL);
    text = g_strconcat(json, "\n", NULL);
    return cv_atomic_file_replace(path, text, strlen(text), DOC_MODE, CV_ATOMIC_FILE_NONE, error);
}

gboolean
cv_runtime_doc_remove_daemon(const gchar *runtime_dir, GError **error)
{
    g_autofree gchar *path = daemon_doc_path(runtime_dir);

    return cv_atomic_file_remove(path, CV_ATOMIC_FILE_NONE, error);
}

/* The pid runs, and (where /proc says) it is a virt-converged: a daemon killed without
 * removing its document, whose pid a later process reuses, does not count. */
static gboolean
daemon_alive(gint64 pid)
{
    g_autofree gchar *comm_path = NULL;
    g_autofree gchar *comm = NULL;

    if (pid <= 1 || pid > G_MAXINT32)
        return FALSE;
    if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
        return FALSE;
    comm_path = g_strdup_printf("/proc/%" G_GINT64_FORMAT "/comm", pid);
    if (!g_file_get_contents(comm_path, &comm, NULL, NULL))
        return TRUE;
    g_strstrip(comm);
    /* comm is cut at 15 characters: "virt-converged" fits */
    return g_str_equal(comm, "virt-converged");
}

JsonObject *
cv_runtime_doc_read_daemon(const gchar *runtime_dir, GError **error)
{
    g_autofree gchar *path = daemon_doc_path(runtime_dir);
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) local_error = NULL;
    g_autofree gchar *data = NULL;
    gsize len = 0;
    JsonNode *root, *pid;
    JsonObject *o;

    if (!cv_atomic_file_read_bounded(path, CV_RUNTIME_DOC_MAX_SIZE, &data, &len, error))
        return NULL;
    if (!json_parser_load_from_data(parser, data, (gssize)len, &local_error) ||
        (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT, "%s: not a JSON object", path);
        return NULL;
    }
    o = json_node_get_object(root);
    pid = json_object_has_member(o, "pid") ? json_object_get_member(o, "pid") : NULL;
    if (g_strcmp0(get_string(o, "format"), CV_RUNTIME_DAEMON_FORMAT) != 0 || pid == NULL ||
        !JSON_NODE_HOLDS_VALUE(pid) || json_node_get_value_type(pid) != G_TYPE_INT64) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT,
                    "%s: not a " CV_RUNTIME_DAEMON_FORMAT " document", path);
        return NULL;
    }
    if (!daemon_alive(json_node_get_int(pid))) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND,
                    "%s: the daemon that wrote it (pid %" G_GINT64_FORMAT ") is not running", path,
                    json_node_get_int(pid));
        return NULL;
    }
    return json_object_ref(o);
}
