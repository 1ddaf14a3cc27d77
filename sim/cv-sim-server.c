#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-build.h"
#include "cv-qmp-error.h"
#include "cv-qmp-frame.h"
#include "cv-sim-model.h"
#include "cv-sim-params.h"
#include "cv-sim-reply.h"
#include "cv-sim-server.h"

/* How often the model catches up with the clock while a migration runs. Events inside a
 * tick keep their exact virtual timestamps. */
#define TICK_MS 10
/* A client that reads nothing while hundreds of events per second pile up is dropped. */
#define MAX_OUTPUT (256u * 1024 * 1024)
#define READ_CHUNK 65536
#define MAX_LAG 0.25

typedef struct _CvSimClient CvSimClient;

struct _CvSimServer {
    const CvSimScenario *sc;
    CvSimServerOptions opt;
    CvSimModel *model;
    CvSimParams *params;
    GSocketService *service;
    gchar *path;
    GPtrArray *clients; /* of CvSimClient, owned */
    guint tick_id;
    guint reap_id;
    guint quit_timeout_id;
    gboolean quitting;
    gboolean quit_reported;
    CvSimServerQuitFunc quit_func;
    gpointer quit_data;
    CvSimServerClockFunc clock_func;
    gpointer clock_data;
};

struct _CvSimClient {
    CvSimServer *server;
    GSocketConnection *conn;
    GSocket *socket;
    GSource *in_source;  /* borrowed: the main context holds it */
    GSource *out_source; /* borrowed */
    CvQmpFramer *framer;
    GString *out;
    gsize out_offset;
    gboolean negotiated;
    gboolean oob;
    gboolean dead;
};

static void server_schedule_reap(CvSimServer *s);
static void client_flush(CvSimClient *c);

/* ---- clock and events --------------------------------------------------------------- */

/* The virtual time the model should reach now. A host too slow for --speed (hundreds of
 * passes per virtual second, each with its event) makes virtual time slip rather than pile
 * up work: the model never runs more than MAX_LAG real seconds behind. */
static gdouble
virtual_now(CvSimServer *s)
{
    gdouble target;
    gdouble model;
    gdouble max_step;

    if (s->clock_func != NULL)
        return s->clock_func(s->clock_data);
    target = (gdouble)(g_get_monotonic_time() - s->opt.origin_us) / 1e6 * s->opt.speed;
    model = cv_sim_model_get_time(s->model);
    max_step = MAX_LAG * s->opt.speed;

    if (target - model > max_step) {
        s->opt.origin_us += (gint64)((target - model - max_step) / s->opt.speed * 1e6);
        target = model + max_step;
    }
    return target;
}

static void
client_send_line(CvSimClient *c, const gchar *line)
{
    if (c->dead)
        return;
    g_string_append(c->out, line);
    g_string_append(c->out, "\r\n");
    if (c->out->len - c->out_offset > MAX_OUTPUT) {
        g_message("%s: dropping a client that stopped reading (%zu bytes queued)", c->server->path,
                  c->out->len - c->out_offset);
        c->dead = TRUE;
        server_schedule_reap(c->server);
        return;
    }
    client_flush(c);
}

static void
broadcast_event(CvSimServer *s, const gchar *name, JsonObject *data, gdouble vtime)
{
    gint64 us = s->opt.epoch_us + (gint64)llround(vtime * 1e6);
    g_autofree gchar *line =
        cv_qmp_build_event(name, data, us / G_USEC_PER_SEC, us % G_USEC_PER_SEC);

    /* events reach every monitor that left capabilities negotiation */
    for (guint i = 0; i < s->clients->len; i++) {
        CvSimClient *c = g_ptr_array_index(s->clients, i);
        if (c->negotiated)
            client_send_line(c, line);
    }
}

static void
flush_events(CvSimServer *s)
{
    g_autoptr(GArray) events = cv_sim_model_take_events(s->model);

    for (guint i = 0; i < events->len; i++) {
        const CvSimEvent *ev = &g_array_index(events, CvSimEvent, i);
        g_autoptr(JsonObject) data = cv_sim_reply_event_data(ev);
        broadcast_event(s, cv_sim_reply_event_name(ev), data, ev->time);
    }
}

static gboolean
tick_cb(gpointer user_data)
{
    CvSimServer *s = user_data;

    cv_sim_model_advance(s->model, virtual_now(s));
    flush_events(s);
    if (!cv_sim_model_is_migrating(s->model)) {
        s->tick_id = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void
ensure_tick(CvSimServer *s)
{
    if (s->tick_id == 0 && !s->quitting && s->clock_func == NULL &&
        cv_sim_model_is_migrating(s->model))
        s->tick_id = g_timeout_add(TICK_MS, tick_cb, s);
}

/* Bring the model to the present before a command looks at it. */
static void
server_sync(CvSimServer *s)
{
    cv_sim_model_advance(s->model, virtual_now(s));
    flush_events(s);
}

/* ---- clients ------------------------------------------------------------------------ */

static void
client_free(CvSimClient *c)
{
    if (c->in_source != NULL)
        g_source_destroy(c->in_source);
    if (c->out_source != NULL)
        g_source_destroy(c->out_source);
    if (c->conn != NULL)
        g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    g_clear_object(&c->conn);
    cv_qmp_framer_free(c->framer);
    g_string_free(c->out, TRUE);
    g_free(c);
}

static gboolean
reap_cb(gpointer user_data)
{
    CvSimServer *s = user_data;

    s->reap_id = 0;
    for (guint i = s->clients->len; i > 0; i--) {
        CvSimClient *c = g_ptr_array_index(s->clients, i - 1);
        if (c->dead)
            g_ptr_array_remove_index(s->clients, i - 1);
    }
    if (s->quitting && s->clients->len == 0 && !s->quit_reported) {
        s->quit_reported = TRUE;
        g_clear_handle_id(&s->quit_timeout_id, g_source_remove);
        if (s->quit_func != NULL)
            s->quit_func(s, s->quit_data);
    }
    return G_SOURCE_REMOVE;
}

static void
server_schedule_reap(CvSimServer *s)
{
    if (s->reap_id == 0)
        s->reap_id = g_idle_add(reap_cb, s);
}

static gboolean
out_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    CvSimClient *c = user_data;

    c->out_source = NULL;
    client_flush(c);
    /* client_flush() attached a new watch if it still has bytes to send */
    return G_SOURCE_REMOVE;
}

static void
client_flush(CvSimClient *c)
{
    while (!c->dead && c->out_offset < c->out->len) {
        g_autoptr(GError) error = NULL;
        gssize n = g_socket_send(c->socket, c->out->str + c->out_offset,
                                 c->out->len - c->out_offset, NULL, &error);
        if (n < 0) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                if (c->out_source == NULL) {
                    c->out_source = g_socket_create_source(c->socket, G_IO_OUT, NULL);
                    g_source_set_callback(c->out_source, G_SOURCE_FUNC(out_cb), c, NULL);
                    g_source_attach(c->out_source, NULL);
                    g_source_unref(c->out_source);
                }
                return;
            }
            c->dead = TRUE;
            server_schedule_reap(c->server);
            return;
        }
        c->out_offset += (gsize)n;
    }
    if (c->out_offset >= c->out->len) {
        g_string_truncate(c->out, 0);
        c->out_offset = 0;
        /* a quitting server closes each client once its last bytes are out */
        if (c->server->quitting && !c->dead) {
            c->dead = TRUE;
            server_schedule_reap(c->server);
        }
    }
}

static void
send_error(CvSimClient *c, const gchar *klass, const gchar *desc, JsonNode *id)
{
    g_autofree gchar *line = cv_qmp_build_error(klass, desc, id);
    client_send_line(c, line);
}

static void
send_return(CvSimClient *c, JsonNode *value, JsonNode *id)
{
    g_autofree gchar *line = cv_sim_reply_finish_line(cv_qmp_build_return(value, id));
    client_send_line(c, line);
}

/* ---- argument helpers (QEMU's QAPI visitor messages) --------------------------------- */

#define CV_SIM_SERVER_ERROR (cv_sim_server_error_quark())
static GQuark
cv_sim_server_error_quark(void)
{
    return g_quark_from_static_string("cv-sim-server-error-quark");
}

static gboolean
check_members(JsonObject *args, const gchar *const *allowed, GError **error)
{
    g_autoptr(GList) members = NULL;

    if (args == NULL)
        return TRUE;
    members = json_object_get_members(args);
    for (GList *l = members; l != NULL; l = l->next) {
        if (allowed == NULL || !g_strv_contains(allowed, l->data)) {
            g_set_error(error, CV_SIM_SERVER_ERROR, 0, "Parameter '%s' is unexpected",
                        (const gchar *)l->data);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
check_type(JsonObject *args, const gchar *name, GType type, const gchar *type_name, GError **error)
{
    JsonNode *node = args != NULL ? json_object_get_member(args, name) : NULL;

    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != type) {
        g_set_error(error, CV_SIM_SERVER_ERROR, 0, "Invalid parameter type for '%s', expected: %s",
                    name, type_name);
        return FALSE;
    }
    return TRUE;
}

/* ---- commands ----------------------------------------------------------------------- */

typedef gboolean (*CommandFunc)(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret,
                                GError **error);

static gboolean
cmd_cont(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    cv_sim_model_cont(s->model);
    return TRUE;
}

static gboolean
cmd_stop(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    cv_sim_model_stop(s->model);
    return TRUE;
}

static gboolean
cmd_migrate(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    static const gchar *const allowed_72[] = {"uri", "blk", "inc", "detach", "resume", NULL};
    static const gchar *const allowed_82[] = {"uri",    "channels", "blk", "inc",
                                              "detach", "resume",   NULL};
    static const gchar *const allowed_111[] = {"uri", "channels", "detach", "resume", NULL};
    CvSimQemuVersion version = s->opt.version;
    const gchar *const *allowed = version == CV_SIM_QEMU_7_2   ? allowed_72
                                  : version == CV_SIM_QEMU_8_2 ? allowed_82
                                                               : allowed_111;
    gboolean has_uri = args != NULL && json_object_has_member(args, "uri");
    gboolean has_channels = args != NULL && json_object_has_member(args, "channels");
    JsonNode *channels = has_channels ? json_object_get_member(args, "channels") : NULL;

    if (!check_type(args, "uri", G_TYPE_STRING, "string", error) ||
        !check_type(args, "blk", G_TYPE_BOOLEAN, "boolean", error) ||
        !check_type(args, "inc", G_TYPE_BOOLEAN, "boolean", error) ||
        !check_type(args, "detach", G_TYPE_BOOLEAN, "boolean", error) ||
        !check_type(args, "resume", G_TYPE_BOOLEAN, "boolean", error))
        return FALSE;
    if (channels != NULL && version >= CV_SIM_QEMU_8_2 && !JSON_NODE_HOLDS_ARRAY(channels)) {
        g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0,
                            "Invalid parameter type for 'channels', expected: array");
        return FALSE;
    }
    if (!check_members(args, allowed, error))
        return FALSE;
    if (version == CV_SIM_QEMU_7_2 && !has_uri) {
        g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0, "Parameter 'uri' is missing");
        return FALSE;
    }
    if (version >= CV_SIM_QEMU_8_2 && has_uri == has_channels) {
        g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0,
                            "need either 'uri' or 'channels' argument");
        return FALSE;
    }
    if (args != NULL && json_object_has_member(args, "resume") &&
        json_object_get_boolean_member(args, "resume")) {
        g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0,
                            "Cannot resume if there is no paused migration");
        return FALSE;
    }
    /* the destination is imaginary: any URI will do */
    if (!cv_sim_model_migrate(s->model, error))
        return FALSE;
    ensure_tick(s);
    return TRUE;
}

static gboolean
cmd_migrate_cancel(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    return cv_sim_model_cancel(s->model, error);
}

static gboolean
cmd_migrate_start_postcopy(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret,
                           GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    return cv_sim_model_start_postcopy(s->model, error);
}

static void
push_params(CvSimServer *s)
{
    cv_sim_model_set_downtime_limit(s->model, cv_sim_params_get_u64(s->params, "downtime-limit"));
    cv_sim_model_set_max_bandwidth(s->model, cv_sim_params_get_u64(s->params, "max-bandwidth"));
    cv_sim_model_set_avail_switchover_bandwidth(
        s->model, cv_sim_params_get_u64(s->params, "avail-switchover-bandwidth"));
    cv_sim_model_set_max_postcopy_bandwidth(
        s->model, cv_sim_params_get_u64(s->params, "max-postcopy-bandwidth"));
    cv_sim_model_set_events(s->model, cv_sim_params_get_capability(s->params, "events"));
    cv_sim_model_set_postcopy_ram(s->model,
                                  cv_sim_params_get_capability(s->params, "postcopy-ram"));
}

static gboolean
cmd_migrate_set_parameters(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret,
                           GError **error)
{
    if (!cv_sim_params_set(s->params, args, error))
        return FALSE;
    push_params(s);
    return TRUE;
}

static gboolean
cmd_migrate_set_capabilities(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret,
                             GError **error)
{
    if (!cv_sim_params_set_capabilities(s->params, args, cv_sim_model_is_migrating(s->model),
                                        error))
        return FALSE;
    push_params(s);
    return TRUE;
}

static gboolean
cmd_qmp_capabilities(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret,
                     GError **error)
{
    static const gchar *const allowed[] = {"enable", NULL};
    JsonNode *enable = args != NULL ? json_object_get_member(args, "enable") : NULL;
    gboolean oob = FALSE;

    if (enable != NULL) {
        JsonArray *list;
        if (!JSON_NODE_HOLDS_ARRAY(enable)) {
            g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0,
                                "Invalid parameter type for 'enable', expected: array");
            return FALSE;
        }
        list = json_node_get_array(enable);
        for (guint i = 0; i < json_array_get_length(list); i++) {
            JsonNode *item = json_array_get_element(list, i);
            if (!JSON_NODE_HOLDS_VALUE(item) || json_node_get_value_type(item) != G_TYPE_STRING) {
                g_set_error(error, CV_SIM_SERVER_ERROR, 0,
                            "Invalid parameter type for 'enable[%u]', expected: string", i);
                return FALSE;
            }
            if (g_strcmp0(json_node_get_string(item), "oob") != 0) {
                g_set_error(error, CV_SIM_SERVER_ERROR, 0,
                            "Parameter 'enable[%u]' does not accept value '%s'", i,
                            json_node_get_string(item));
                return FALSE;
            }
            oob = TRUE;
        }
    }
    if (!check_members(args, allowed, error))
        return FALSE;
    c->negotiated = TRUE;
    c->oob = oob;
    return TRUE;
}

static gboolean
cmd_query_migrate(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    CvSimInfo info;

    if (!check_members(args, NULL, error))
        return FALSE;
    cv_sim_model_get_info(s->model, &info);
    *ret = cv_sim_reply_query_migrate(&info, s->opt.version);
    return TRUE;
}

static gboolean
cmd_query_migrate_capabilities(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret,
                               GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    *ret = cv_sim_params_query_capabilities(s->params);
    return TRUE;
}

static gboolean
cmd_query_migrate_parameters(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret,
                             GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    *ret = cv_sim_params_query(s->params);
    return TRUE;
}

static gboolean
cmd_query_status(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    *ret = cv_sim_reply_query_status(cv_sim_model_get_run_state(s->model), s->opt.version);
    return TRUE;
}

static gboolean
cmd_query_version(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    *ret = cv_sim_reply_query_version(s->opt.version);
    return TRUE;
}

static gboolean
cmd_quit(CvSimServer *s, CvSimClient *c, JsonObject *args, JsonNode **ret, GError **error)
{
    if (!check_members(args, NULL, error))
        return FALSE;
    return TRUE;
}

/* Sorted by name for bsearch (strcmp order). */
typedef struct {
    const gchar *name;
    CommandFunc func;
} Command;

static const Command commands[] = {
    {"cont", cmd_cont},
    {"migrate", cmd_migrate},
    {"migrate-set-capabilities", cmd_migrate_set_capabilities},
    {"migrate-set-parameters", cmd_migrate_set_parameters},
    {"migrate-start-postcopy", cmd_migrate_start_postcopy},
    {"migrate_cancel", cmd_migrate_cancel},
    {"qmp_capabilities", cmd_qmp_capabilities},
    {"query-migrate", cmd_query_migrate},
    {"query-migrate-capabilities", cmd_query_migrate_capabilities},
    {"query-migrate-parameters", cmd_query_migrate_parameters},
    {"query-status", cmd_query_status},
    {"query-version", cmd_query_version},
    {"quit", cmd_quit},
    {"stop", cmd_stop},
};

static gint
command_compare(const void *key, const void *item)
{
    return strcmp(key, ((const Command *)item)->name);
}

static const Command *
find_command(const gchar *name)
{
    return bsearch(name, commands, G_N_ELEMENTS(commands), sizeof(Command), command_compare);
}

/* ---- quitting ----------------------------------------------------------------------- */

static gboolean
quit_timeout_cb(gpointer user_data)
{
    CvSimServer *s = user_data;

    /* clients that do not take their last bytes are closed anyway */
    s->quit_timeout_id = 0;
    for (guint i = 0; i < s->clients->len; i++)
        ((CvSimClient *)g_ptr_array_index(s->clients, i))->dead = TRUE;
    server_schedule_reap(s);
    return G_SOURCE_REMOVE;
}

static void
server_stop_listening(CvSimServer *s)
{
    if (s->service != NULL) {
        g_socket_service_stop(s->service);
        g_socket_listener_close(G_SOCKET_LISTENER(s->service));
        g_clear_object(&s->service);
    }
    if (s->path != NULL)
        g_unlink(s->path);
}

static void
server_quit(CvSimServer *s)
{
    g_autoptr(JsonObject) data = json_object_new();

    json_object_set_boolean_member(data, "guest", FALSE);
    json_object_set_string_member(data, "reason", "host-qmp-quit");
    broadcast_event(s, "SHUTDOWN", data, cv_sim_model_get_time(s->model));
    s->quitting = TRUE;
    g_clear_handle_id(&s->tick_id, g_source_remove);
    server_stop_listening(s);
    for (guint i = 0; i < s->clients->len; i++)
        client_flush(g_ptr_array_index(s->clients, i));
    s->quit_timeout_id = g_timeout_add(2000, quit_timeout_cb, s);
    server_schedule_reap(s);
}

/* ---- the dispatcher ----------------------------------------------------------------- */

/* qmp_dispatch_check_obj(): the shape of a request, before any command is looked up. */
static gboolean
check_request(CvSimClient *c, JsonObject *obj, const gchar **name, gboolean *oob, GError **error)
{
    g_autoptr(GList) members = json_object_get_members(obj);
    const gchar *exec_key = NULL;

    for (GList *l = members; l != NULL; l = l->next) {
        const gchar *key = l->data;
        JsonNode *value = json_object_get_member(obj, key);

        if (g_strcmp0(key, "execute") == 0 || (g_strcmp0(key, "exec-oob") == 0 && c->oob)) {
            if (!JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_STRING) {
                g_set_error(error, CV_SIM_SERVER_ERROR, 0, "QMP input member '%s' must be a string",
                            key);
                return FALSE;
            }
            if (exec_key != NULL) {
                g_set_error(error, CV_SIM_SERVER_ERROR, 0,
                            "QMP input member '%s' clashes with '%s'", key, exec_key);
                return FALSE;
            }
            exec_key = key;
        } else if (g_strcmp0(key, "arguments") == 0) {
            if (!JSON_NODE_HOLDS_OBJECT(value)) {
                g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0,
                                    "QMP input member 'arguments' must be an object");
                return FALSE;
            }
        } else if (g_strcmp0(key, "id") == 0) {
            continue;
        } else if (g_strcmp0(key, "control") == 0) {
            if (!JSON_NODE_HOLDS_OBJECT(value)) {
                g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0,
                                    "QMP input member 'control' must be a dict");
                return FALSE;
            }
        } else {
            g_set_error(error, CV_SIM_SERVER_ERROR, 0, "QMP input member '%s' is unexpected", key);
            return FALSE;
        }
    }
    if (exec_key == NULL) {
        g_set_error_literal(error, CV_SIM_SERVER_ERROR, 0, "QMP input lacks member 'execute'");
        return FALSE;
    }
    *name = json_object_get_string_member(obj, exec_key);
    *oob = g_strcmp0(exec_key, "exec-oob") == 0;
    return TRUE;
}

static void
handle_line(CvSimServer *s, CvSimClient *c, const gchar *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) ret = NULL;
    JsonNode *root;
    JsonObject *obj;
    JsonObject *args = NULL;
    JsonNode *id;
    const gchar *name = NULL;
    gboolean oob = FALSE;
    const Command *cmd;

    if (!json_parser_load_from_data(parser, line, -1, &error)) {
        g_autofree gchar *desc = g_strdup_printf("JSON parse error, %s", error->message);
        /* a request that cannot be parsed has no id to echo */
        send_error(c, "GenericError", desc, NULL);
        return;
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        send_error(c, "GenericError", "QMP input must be a JSON object", NULL);
        return;
    }
    obj = json_node_get_object(root);
    id = json_object_get_member(obj, "id");
    if (!check_request(c, obj, &name, &oob, &error)) {
        send_error(c, "GenericError", error->message, id);
        return;
    }
    if (json_object_has_member(obj, "arguments"))
        args = json_object_get_object_member(obj, "arguments");
    cmd = find_command(name);
    if (!c->negotiated && g_strcmp0(name, "qmp_capabilities") != 0) {
        /* the negotiation mode knows one command; QEMU rewrites the desc */
        send_error(c, "CommandNotFound",
                   "Expecting capabilities negotiation with 'qmp_capabilities'", id);
        return;
    }
    if (cmd == NULL) {
        g_autofree gchar *desc = g_strdup_printf("The command %s has not been found", name);
        send_error(c, "CommandNotFound", desc, id);
        return;
    }
    if (c->negotiated && cmd->func == cmd_qmp_capabilities) {
        send_error(c, "CommandNotFound",
                   "Capabilities negotiation is already complete, command ignored", id);
        return;
    }
    if (oob) {
        g_autofree gchar *desc = g_strdup_printf("The command %s does not support OOB", name);
        send_error(c, "GenericError", desc, id);
        return;
    }
    server_sync(s);
    if (!cmd->func(s, c, args, &ret, &error)) {
        flush_events(s);
        send_error(c, "GenericError", error->message, id);
        return;
    }
    /* events a command raises (STOP, MIGRATION setup) precede its reply */
    flush_events(s);
    send_return(c, ret, id);
    if (cmd->func == cmd_quit)
        server_quit(s);
}

static gboolean
in_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    CvSimClient *c = user_data;
    CvSimServer *s = c->server;
    gchar buf[READ_CHUNK];

    while (!c->dead && !s->quitting) {
        g_autoptr(GError) error = NULL;
        gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, &error);

        if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
        if (n <= 0) {
            c->dead = TRUE;
            break;
        }
        cv_qmp_framer_push(c->framer, buf, (gsize)n);
        for (;;) {
            g_autoptr(GError) frame_error = NULL;
            g_autofree gchar *line = cv_qmp_framer_pop(c->framer, &frame_error);

            if (frame_error != NULL) {
                g_autofree gchar *desc =
                    g_strdup_printf("JSON parse error, %s", frame_error->message);
                send_error(c, "GenericError", desc, NULL);
                continue;
            }
            if (line == NULL || c->dead || s->quitting)
                break;
            handle_line(s, c, line);
        }
    }
    if (c->dead || s->quitting) {
        c->in_source = NULL;
        if (c->dead)
            server_schedule_reap(s);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
incoming_cb(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
    CvSimServer *s = data;
    CvSimClient *c = g_new0(CvSimClient, 1);
    g_autofree gchar *greeting = cv_sim_reply_greeting(s->opt.version);

    c->server = s;
    c->conn = g_object_ref(conn);
    c->socket = g_socket_connection_get_socket(conn);
    g_socket_set_blocking(c->socket, FALSE);
    c->framer = cv_qmp_framer_new(CV_QMP_MAX_LINE_DEFAULT);
    c->out = g_string_new(NULL);
    g_ptr_array_add(s->clients, c);
    client_send_line(c, greeting);
    c->in_source = g_socket_create_source(c->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(c->in_source, G_SOURCE_FUNC(in_cb), c, NULL);
    g_source_attach(c->in_source, NULL);
    g_source_unref(c->in_source);
    return TRUE;
}

/* ---- life cycle --------------------------------------------------------------------- */

CvSimServer *
cv_sim_server_new(const CvSimScenario *scenario, const CvSimServerOptions *options)
{
    CvSimServer *s = g_new0(CvSimServer, 1);

    s->sc = scenario;
    s->opt = *options;
    if (s->opt.speed <= 0)
        s->opt.speed = 1;
    s->model = cv_sim_model_new(scenario, options->version, options->seed);
    if (options->link != NULL)
        cv_sim_model_set_link(s->model, options->link);
    s->params = cv_sim_params_new(options->version, scenario);
    push_params(s);
    s->clients = g_ptr_array_new_with_free_func((GDestroyNotify)client_free);
    return s;
}

gboolean
cv_sim_server_listen(CvSimServer *s, const gchar *path, GError **error)
{
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
    g_autoptr(GSocketService) service = g_socket_service_new();

    if (g_file_test(path, G_FILE_TEST_EXISTS) && g_unlink(path) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot replace %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service), address, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error)) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    g_signal_connect(service, "incoming", G_CALLBACK(incoming_cb), s);
    g_socket_service_start(service);
    g_free(s->path);
    s->path = g_strdup(path);
    s->service = g_steal_pointer(&service);
    if (s->opt.start)
        return cv_sim_server_start_migration(s, error);
    return TRUE;
}

void
cv_sim_server_set_quit_func(CvSimServer *s, CvSimServerQuitFunc func, gpointer user_data)
{
    s->quit_func = func;
    s->quit_data = user_data;
}

const gchar *
cv_sim_server_get_path(const CvSimServer *s)
{
    return s->path;
}

void
cv_sim_server_set_clock(CvSimServer *s, CvSimServerClockFunc func, gpointer user_data)
{
    s->clock_func = func;
    s->clock_data = user_data;
    if (func != NULL)
        g_clear_handle_id(&s->tick_id, g_source_remove);
    else
        ensure_tick(s);
}

void
cv_sim_server_catch_up(CvSimServer *s)
{
    if (!s->quitting)
        server_sync(s);
}

gboolean
cv_sim_server_start_migration(CvSimServer *s, GError **error)
{
    server_sync(s);
    if (!cv_sim_model_migrate(s->model, error))
        return FALSE;
    flush_events(s);
    ensure_tick(s);
    return TRUE;
}

const CvSimModel *
cv_sim_server_get_model(const CvSimServer *s)
{
    return s->model;
}

void
cv_sim_server_free(CvSimServer *s)
{
    if (s == NULL)
        return;
    g_clear_handle_id(&s->tick_id, g_source_remove);
    g_clear_handle_id(&s->reap_id, g_source_remove);
    g_clear_handle_id(&s->quit_timeout_id, g_source_remove);
    server_stop_listening(s);
    g_ptr_array_unref(s->clients);
    cv_sim_params_free(s->params);
    cv_sim_model_free(s->model);
    g_free(s->path);
    g_free(s);
}
