/* The QMP target against a small scripted QMP peer on a unix socket in a temp dir: QEMU's
 * error classes become distinct target error codes, a command that times out is not "gone",
 * and the target opens a new connection after close() or after the peer hung up. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-target-qmp.h"
#include "cv-target.h"

/* ---- the peer --------------------------------------------------------------------------------
 *
 * It greets every connection like QEMU 7.2 and answers each command from a table: a reply with
 * "@ID@" replaced by the command's id, SILENT (no reply at all: the command times out) or
 * HANGUP (the connection closes). Commands it has no answer for get QEMU's CommandNotFound. */

#define SILENT "!SILENT"
#define HANGUP "!HANGUP"

typedef struct {
    gchar *dir;
    gchar *path;
    GSocket *listener;
    GSource *accept_source;
    GSocket *conn;
    GSource *conn_source;
    GString *in;
    GHashTable *answers; /* command -> reply template */
    guint n_accepts;
    GPtrArray *received; /* command names, every connection */
} Peer;

static const gchar greeting[] = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
                                "\"major\": 7}, \"package\": \"\"}, \"capabilities\": []}}\r\n";

static void
peer_send(Peer *peer, const gchar *text)
{
    gsize len = strlen(text), done = 0;

    while (peer->conn != NULL && done < len) {
        gssize n = g_socket_send(peer->conn, text + done, len - done, NULL, NULL);

        if (n <= 0)
            return;
        done += (gsize)n;
    }
}

static void
peer_hangup(Peer *peer)
{
    if (peer->conn_source != NULL) {
        g_source_destroy(peer->conn_source);
        g_clear_pointer(&peer->conn_source, g_source_unref);
    }
    if (peer->conn != NULL) {
        g_socket_close(peer->conn, NULL);
        g_clear_object(&peer->conn);
    }
    g_string_truncate(peer->in, 0);
}

static void
peer_answer(Peer *peer, const gchar *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *cmd;
    const gchar *name, *answer;
    g_autofree gchar *id = NULL;

    if (!json_parser_load_from_data(parser, line, -1, NULL))
        return;
    cmd = json_node_get_object(json_parser_get_root(parser));
    name = json_object_get_string_member(cmd, "execute");
    id = json_object_has_member(cmd, "id")
             ? json_to_string(json_object_get_member(cmd, "id"), FALSE)
             : g_strdup("null");
    g_ptr_array_add(peer->received, g_strdup(name));
    answer = g_hash_table_lookup(peer->answers, name);
    if (answer == NULL) {
        g_autofree gchar *reply = g_strdup_printf(
            "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command %s has not "
            "been found\"}, \"id\": %s}\r\n",
            name, id);

        peer_send(peer, reply);
    } else if (g_str_equal(answer, HANGUP)) {
        peer_hangup(peer);
    } else if (!g_str_equal(answer, SILENT)) {
        g_auto(GStrv) parts = g_strsplit(answer, "@ID@", -1);
        g_autofree gchar *joined = g_strjoinv(id, parts);
        g_autofree gchar *reply = g_strconcat(joined, "\r\n", NULL);

        peer_send(peer, reply);
    }
}

static gboolean
peer_read_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Peer *peer = user_data;
    gchar buf[4096];
    gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, NULL);
    gchar *nl;

    if (n <= 0) {
        g_clear_pointer(&peer->conn_source, g_source_unref);
        g_socket_close(peer->conn, NULL);
        g_clear_object(&peer->conn);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(peer->in, buf, n);
    while (peer->conn != NULL && (nl = strchr(peer->in->str, '\n')) != NULL) {
        g_autofree gchar *line = g_strndup(peer->in->str, (gsize)(nl - peer->in->str));

        g_string_erase(peer->in, 0, nl - peer->in->str + 1);
        peer_answer(peer, line);
    }
    /* a hang-up from peer_answer() destroyed this source */
    return peer->conn != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
peer_accept_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Peer *peer = user_data;
    GSocket *conn = g_socket_accept(socket, NULL, NULL);

    if (conn == NULL)
        return G_SOURCE_CONTINUE;
    /* like QEMU's chardev: one client at a time, the newest wins */
    peer_hangup(peer);
    peer->conn = conn;
    peer->n_accepts++;
    g_socket_set_blocking(conn, FALSE);
    peer->conn_source = g_socket_create_source(conn, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(peer->conn_source, G_SOURCE_FUNC(peer_read_cb), peer, NULL);
    g_source_attach(peer->conn_source, NULL);
    peer_send(peer, greeting);
    return G_SOURCE_CONTINUE;
}

static void
peer_start(Peer *peer)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketAddress) address = NULL;

    memset(peer, 0, sizeof(*peer));
    peer->dir = g_dir_make_tmp("cv-target-qmp-XXXXXX", &error);
    g_assert_no_error(error);
    peer->path = g_build_filename(peer->dir, "qmp.sock", NULL);
    peer->in = g_string_new(NULL);
    peer->received = g_ptr_array_new_with_free_func(g_free);
    peer->answers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(peer->answers, g_strdup("qmp_capabilities"),
                        g_strdup("{\"return\": {}, \"id\": @ID@}"));
    g_hash_table_insert(
        peer->answers, g_strdup("query-migrate-capabilities"),
        g_strdup("{\"return\": [{\"state\": true, \"capability\": \"events\"}, {\"state\": false, "
                 "\"capability\": \"postcopy-ram\"}], \"id\": @ID@}"));
    g_hash_table_insert(peer->answers, g_strdup("query-migrate-parameters"),
                        g_strdup("{\"return\": {\"downtime-limit\": 300, \"max-bandwidth\": "
                                 "67108864, \"max-postcopy-bandwidth\": 0}, \"id\": @ID@}"));
    g_hash_table_insert(peer->answers, g_strdup("query-migrate"),
                        g_strdup("{\"return\": {}, \"id\": @ID@}"));
    peer->listener =
        g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
    g_assert_no_error(error);
    address = g_unix_socket_address_new(peer->path);
    g_assert_true(g_socket_bind(peer->listener, address, TRUE, &error));
    g_assert_true(g_socket_listen(peer->listener, &error));
    g_socket_set_blocking(peer->listener, FALSE);
    peer->accept_source = g_socket_create_source(peer->listener, G_IO_IN, NULL);
    g_source_set_callback(peer->accept_source, G_SOURCE_FUNC(peer_accept_cb), peer, NULL);
    g_source_attach(peer->accept_source, NULL);
}

static void
peer_set(Peer *peer, const gchar *command, const gchar *answer)
{
    g_hash_table_insert(peer->answers, g_strdup(command), g_strdup(answer));
}

static void
peer_stop(Peer *peer)
{
    peer_hangup(peer);
    g_source_destroy(peer->accept_source);
    g_source_unref(peer->accept_source);
    g_socket_close(peer->listener, NULL);
    g_object_unref(peer->listener);
    g_unlink(peer->path);
    g_rmdir(peer->dir);
    g_free(peer->path);
    g_free(peer->dir);
    g_string_free(peer->in, TRUE);
    g_hash_table_unref(peer->answers);
    g_ptr_array_unref(peer->received);
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* ---- helpers ----------------------------------------------------------------------------- */

typedef struct {
    gboolean done;
    GError *error;
} Result;

static void
done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    Result *r = user_data;

    r->done = TRUE;
    if (error != NULL)
        r->error = g_error_copy(error);
}

static void
sample_cb(CvTarget *target, const CvSample *sample, const GError *error, gpointer user_data)
{
    done_cb(target, error, user_data);
}

static void
wait_for(Result *r)
{
    while (!r->done)
        g_main_context_iteration(NULL, TRUE);
}

static void
event_cb(CvTarget *target, const CvTargetEvent *event, gpointer user_data)
{
    if (event->kind == CV_TARGET_EVENT_CLOSED)
        (*(guint *)user_data)++;
}

/* ---- error classes ----------------------------------------------------------------------- */

typedef struct {
    const gchar *name;
    const gchar *klass;
    CvTargetErrorCode code;
} ClassRow;

static const ClassRow class_rows[] = {
    {"command-not-found", "CommandNotFound", CV_TARGET_ERROR_NOT_SUPPORTED},
    {"kvm-missing-cap", "KVMMissingCap", CV_TARGET_ERROR_NOT_SUPPORTED},
    {"device-not-active", "DeviceNotActive", CV_TARGET_ERROR_OPERATION_INVALID},
    {"device-not-found", "DeviceNotFound", CV_TARGET_ERROR_DEVICE_NOT_FOUND},
    {"generic-error", "GenericError", CV_TARGET_ERROR_FAILED},
    {"unknown-class", "SomethingNew", CV_TARGET_ERROR_FAILED},
};

static void
test_error_class(gconstpointer data)
{
    const ClassRow *row = data;
    Peer peer;
    g_autoptr(CvTarget) target = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *answer = NULL;
    Result r = {0};

    peer_start(&peer);
    answer = g_strdup_printf("{\"error\": {\"class\": \"%s\", \"desc\": \"refused by the peer\"}, "
                             "\"id\": @ID@}",
                             row->klass);
    peer_set(&peer, "migrate-start-postcopy", answer);
    target = cv_target_qmp_new(peer.path, NULL);
    g_assert_true(cv_target_connect_sync(target, &error));
    g_assert_no_error(error);
    cv_target_start_postcopy(target, done_cb, &r);
    wait_for(&r);
    g_assert_error(r.error, CV_TARGET_ERROR, (gint)row->code);
    g_assert_nonnull(strstr(r.error->message, "refused by the peer"));
    g_assert_false(cv_target_error_is_gone(r.error));
    g_clear_error(&r.error);
    g_clear_pointer(&target, cv_target_free);
    peer_stop(&peer);
}

/* ---- timeouts and reconnects ------------------------------------------------------------- */

/* A command without a reply times out; that is not "gone": the connection still answers the
 * next command. */
static void
test_timeout_not_gone(void)
{
    Peer peer;
    g_autoptr(CvTarget) target = NULL;
    g_autoptr(GError) error = NULL;
    Result r = {0};
    CvSample sample;

    peer_start(&peer);
    peer_set(&peer, "migrate-set-parameters", SILENT);
    target = cv_target_qmp_new(peer.path, NULL);
    cv_target_qmp_set_timeout(target, 100);
    g_assert_true(cv_target_connect_sync(target, &error));
    cv_target_set_downtime_limit(target, 500, done_cb, &r);
    wait_for(&r);
    g_assert_error(r.error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT);
    g_assert_false(cv_target_error_is_gone(r.error));
    g_clear_error(&r.error);
    g_assert_true(cv_target_is_connected(target));
    g_assert_true(cv_target_query_migrate_sync(target, &sample, &error));
    g_assert_no_error(error);
    g_clear_pointer(&target, cv_target_free);
    peer_stop(&peer);
}

/* close(), then connect() again: a new connection, read from scratch. */
static void
test_reconnect_after_close(void)
{
    Peer peer;
    g_autoptr(CvTarget) target = NULL;
    g_autoptr(GError) error = NULL;
    CvSample sample;
    CvParams params;

    peer_start(&peer);
    target = cv_target_qmp_new(peer.path, NULL);
    g_assert_true(cv_target_connect_sync(target, &error));
    g_assert_cmpuint(peer.n_accepts, ==, 1);
    cv_target_close(target);
    g_assert_false(cv_target_is_connected(target));
    /* closed: commands fail with CLOSED until a new connection */
    g_assert_false(cv_target_query_migrate_sync(target, &sample, &error));
    g_assert_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED);
    g_clear_error(&error);
    g_assert_true(cv_target_connect_sync(target, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(peer.n_accepts, ==, 2);
    g_assert_true(cv_target_is_connected(target));
    g_assert_true(cv_target_has_events(target));
    g_assert_cmpstr(cv_target_get_version(target), ==, "7.2.0");
    g_assert_true(cv_target_query_params_sync(target, &params, &error));
    g_assert_cmpuint(params.downtime_limit_ms.value, ==, 300);
    g_assert_true(cv_target_query_migrate_sync(target, &sample, &error));
    g_assert_no_error(error);
    /* a second connect on a live connection is a programming error the caller hears about */
    g_assert_false(cv_target_connect_sync(target, &error));
    g_assert_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT);
    g_clear_pointer(&target, cv_target_free);
    peer_stop(&peer);
}

/* The peer hangs up (CLOSED event); QEMU is still there: connect() opens a new connection. */
static void
test_reconnect_after_hangup(void)
{
    Peer peer;
    g_autoptr(CvTarget) target = NULL;
    g_autoptr(GError) error = NULL;
    guint closed = 0;
    Result r = {0};
    CvSample sample;

    peer_start(&peer);
    target = cv_target_qmp_new(peer.path, NULL);
    cv_target_set_event_func(target, event_cb, &closed);
    g_assert_true(cv_target_connect_sync(target, &error));
    peer_set(&peer, "query-migrate", HANGUP);
    cv_target_query_migrate(target, sample_cb, &r);
    wait_for(&r);
    g_assert_error(r.error, CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED);
    g_assert_true(cv_target_error_is_gone(r.error));
    g_clear_error(&r.error);
    g_assert_cmpuint(closed, ==, 1);
    g_assert_false(cv_target_is_connected(target));
    peer_set(&peer, "query-migrate", "{\"return\": {}, \"id\": @ID@}");
    g_assert_true(cv_target_connect_sync(target, &error));
    g_assert_no_error(error);
    g_assert_true(cv_target_query_migrate_sync(target, &sample, &error));
    g_assert_no_error(error);
    g_assert_cmpint(sample.status, ==, CV_MIGRATION_STATUS_NONE);
    g_assert_cmpuint(peer.n_accepts, ==, 2);
    g_clear_pointer(&target, cv_target_free);
    peer_stop(&peer);
}

/* Nobody listens any more (QEMU exited): the new connection fails with CONNECT. */
static void
test_reconnect_refused(void)
{
    Peer peer;
    g_autoptr(CvTarget) target = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *path = NULL;

    peer_start(&peer);
    path = g_strdup(peer.path);
    target = cv_target_qmp_new(path, NULL);
    g_assert_true(cv_target_connect_sync(target, &error));
    cv_target_close(target);
    peer_stop(&peer);
    g_assert_false(cv_target_connect_sync(target, &error));
    g_assert_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT);
    g_assert_false(cv_target_error_is_gone(error));
    g_clear_pointer(&target, cv_target_free);
}

/* An owner that forgot its callbacks is never called, even when the operation completes. */
static void
test_forget(void)
{
    Peer peer;
    g_autoptr(CvTarget) target = NULL;
    g_autoptr(GError) error = NULL;
    Result forgotten = {0}, kept = {0};

    peer_start(&peer);
    target = cv_target_qmp_new(peer.path, NULL);
    g_assert_true(cv_target_connect_sync(target, &error));
    cv_target_query_migrate(target, sample_cb, &forgotten);
    cv_target_query_migrate(target, sample_cb, &kept);
    cv_target_forget(target, &forgotten);
    wait_for(&kept);
    g_assert_no_error(kept.error);
    g_assert_false(forgotten.done);
    /* and forgotten callbacks in flight when the target goes are freed with it (ASan) */
    peer_set(&peer, "query-migrate", SILENT);
    cv_target_query_migrate(target, sample_cb, &forgotten);
    cv_target_forget(target, &forgotten);
    g_clear_pointer(&target, cv_target_free);
    g_assert_false(forgotten.done);
    peer_stop(&peer);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(class_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/target-qmp/error-class/%s", class_rows[i].name);

        g_test_add_data_func(path, &class_rows[i], test_error_class);
    }
    g_test_add_func("/target-qmp/timeout-not-gone", test_timeout_not_gone);
    g_test_add_func("/target-qmp/reconnect/after-close", test_reconnect_after_close);
    g_test_add_func("/target-qmp/reconnect/after-hangup", test_reconnect_after_hangup);
    g_test_add_func("/target-qmp/reconnect/refused", test_reconnect_refused);
    g_test_add_func("/target-qmp/forget", test_forget);
    return g_test_run();
}
