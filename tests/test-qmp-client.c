#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-build.h"
#include "cv-qmp-client-private.h"
#include "cv-qmp-client.h"
#include "cv-qmp-error.h"
#include "cv-qmp-frame.h"
#include "cv-qmp-parse.h"

/* ---- a scripted fake QMP peer on the test's own context (libvirt qemuMonitorTestAddItem) --
 *
 * The peer greets, then takes one script item per command it receives: the item names the
 * command it expects and lists what to send back. Actions are raw chunks of text, sent one
 * chunk per main-loop turn (at idle priority, so the client reads each chunk separately);
 * "@ID@" becomes the command's id and "@ID-1@" the previous command's, as JSON. "!HANGUP"
 * closes the connection. Like QEMU, a strict peer refuses every command but
 * qmp_capabilities with CommandNotFound until the handshake. A command without a script
 * item is a violation, unless the peer is told to answer every such command with an empty
 * return, or to stay silent. The peer can stop reading (as a wedged QEMU does) and resume,
 * and can accept a second connection once the first one is gone. */

typedef enum {
    UNSCRIPTED_VIOLATION = 0,
    UNSCRIPTED_ANSWER,
    UNSCRIPTED_SILENT,
} Unscripted;

typedef struct {
    gchar *expect;
    GPtrArray *actions;
} PeerItem;

typedef struct {
    GMainContext *context;
    gchar *dir;
    gchar *path;
    GSocket *listener;
    GSource *accept_source;
    GSocket *conn;
    GSource *conn_source;
    CvQmpFramer *framer;
    gchar *greeting; /* a raw line without CRLF; NULL sends none */
    gboolean hangup_on_accept;
    gboolean auto_negotiate; /* answer qmp_capabilities without a script item */
    gboolean strict;
    gboolean negotiated;
    GQueue items;
    GPtrArray *received; /* command names */
    GPtrArray *ids;      /* their ids as JSON */
    GQueue chunks;
    GSource *chunk_source;
    gboolean disconnected;
    GString *violations;
    Unscripted unscripted;
    guint n_accepted;
} FakePeer;

#define GREETING_72                                                                                \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "             \
    "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}"

static void
peer_item_free(gpointer data)
{
    PeerItem *item = data;
    g_free(item->expect);
    g_ptr_array_unref(item->actions);
    g_free(item);
}

/* Script one command: the name expected, then the actions, NULL-terminated. */
static void
peer_expect(FakePeer *peer, const gchar *command, ...)
{
    PeerItem *item = g_new0(PeerItem, 1);
    va_list ap;

    item->expect = g_strdup(command);
    item->actions = g_ptr_array_new_with_free_func(g_free);
    va_start(ap, command);
    for (const gchar *a = va_arg(ap, const gchar *); a != NULL; a = va_arg(ap, const gchar *))
        g_ptr_array_add(item->actions, g_strdup(a));
    va_end(ap);
    g_queue_push_tail(&peer->items, item);
}

static void
peer_hangup(FakePeer *peer)
{
    if (peer->conn_source != NULL) {
        g_source_destroy(peer->conn_source);
        g_clear_pointer(&peer->conn_source, g_source_unref);
    }
    if (peer->conn != NULL) {
        g_socket_close(peer->conn, NULL);
        g_clear_object(&peer->conn);
    }
    g_queue_clear_full(&peer->chunks, g_free);
}

static void
peer_write(FakePeer *peer, const gchar *chunk)
{
    g_autoptr(GError) error = NULL;
    gsize len = strlen(chunk);
    gsize done = 0;

    if (g_str_equal(chunk, "!HANGUP")) {
        peer_hangup(peer);
        return;
    }
    if (peer->conn == NULL)
        return;
    while (done < len) {
        gssize n = g_socket_send(peer->conn, chunk + done, len - done, NULL, &error);
        if (n < 0) {
            /* the client may have closed first: that is its right */
            g_test_message("peer: send failed: %s", error->message);
            return;
        }
        done += (gsize)n;
    }
}

static gboolean
peer_chunk_cb(gpointer data)
{
    FakePeer *peer = data;
    g_autofree gchar *chunk = g_queue_pop_head(&peer->chunks);

    if (chunk != NULL)
        peer_write(peer, chunk);
    if (!g_queue_is_empty(&peer->chunks))
        return G_SOURCE_CONTINUE;
    g_clear_pointer(&peer->chunk_source, g_source_unref);
    return G_SOURCE_REMOVE;
}

/* Queue a chunk; peer_kick() starts sending. */
static void
peer_send(FakePeer *peer, const gchar *chunk)
{
    g_queue_push_tail(&peer->chunks, g_strdup(chunk));
}

static void
peer_kick(FakePeer *peer)
{
    if (peer->chunk_source != NULL || g_queue_is_empty(&peer->chunks))
        return;
    /* the first chunk goes at once, each later one on its own main-loop turn: at idle
     * priority, the client's read (default priority) always runs in between */
    {
        g_autofree gchar *chunk = g_queue_pop_head(&peer->chunks);
        peer_write(peer, chunk);
    }
    if (g_queue_is_empty(&peer->chunks))
        return;
    peer->chunk_source = g_idle_source_new();
    g_source_set_priority(peer->chunk_source, G_PRIORITY_DEFAULT_IDLE);
    g_source_set_callback(peer->chunk_source, peer_chunk_cb, peer, NULL);
    g_source_attach(peer->chunk_source, peer->context);
}

static gchar *
substitute(const gchar *text, const gchar *id, const gchar *prev_id)
{
    g_autoptr(GString) s = g_string_new(text);

    g_string_replace(s, "@ID-1@", prev_id != NULL ? prev_id : "null", 0);
    g_string_replace(s, "@ID@", id, 0);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
peer_handle_line(FakePeer *peer, const gchar *line)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) msg = cv_qmp_message_parse(line, -1, &error);
    g_autofree gchar *id = NULL;
    const gchar *prev_id;
    PeerItem *item;

    if (msg == NULL || msg->kind != CV_QMP_MESSAGE_COMMAND) {
        g_string_append_printf(peer->violations, "peer got a non-command: %s\n", line);
        return;
    }
    id = msg->id != NULL ? json_to_string(msg->id, FALSE) : g_strdup("null");
    prev_id = peer->ids->len > 0 ? g_ptr_array_index(peer->ids, peer->ids->len - 1) : NULL;
    g_ptr_array_add(peer->received, g_strdup(msg->name));

    if (peer->strict && !peer->negotiated && !g_str_equal(msg->name, "qmp_capabilities")) {
        g_autofree gchar *reply = g_strdup_printf(
            "{\"id\": %s, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting "
            "capabilities negotiation with 'qmp_capabilities'\"}}\r\n",
            id);
        peer_send(peer, reply);
    } else if (peer->auto_negotiate && g_str_equal(msg->name, "qmp_capabilities")) {
        g_autofree gchar *reply = g_strdup_printf("{\"return\": {}, \"id\": %s}\r\n", id);
        peer->negotiated = TRUE;
        peer_send(peer, reply);
    } else {
        item = g_queue_pop_head(&peer->items);
        if (item == NULL && peer->unscripted == UNSCRIPTED_ANSWER) {
            g_autofree gchar *reply = g_strdup_printf("{\"return\": {}, \"id\": %s}\r\n", id);
            peer_send(peer, reply);
        } else if (item == NULL && peer->unscripted == UNSCRIPTED_SILENT) {
            /* read, never answered */
        } else if (item == NULL) {
            g_string_append_printf(peer->violations, "unexpected command %s\n", msg->name);
        } else {
            if (item->expect != NULL && !g_str_equal(item->expect, msg->name))
                g_string_append_printf(peer->violations, "expected %s, got %s\n", item->expect,
                                       msg->name);
            if (g_str_equal(msg->name, "qmp_capabilities"))
                peer->negotiated = TRUE;
            for (guint i = 0; i < item->actions->len; i++) {
                g_autofree gchar *chunk =
                    substitute(g_ptr_array_index(item->actions, i), id, prev_id);
                peer_send(peer, chunk);
            }
            peer_item_free(item);
        }
    }
    g_ptr_array_add(peer->ids, g_steal_pointer(&id));
    peer_kick(peer);
}

static gboolean
peer_read_cb(GSocket *socket, GIOCondition condition, gpointer data)
{
    FakePeer *peer = data;
    gchar buf[65536];
    gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, NULL);

    if (n <= 0) {
        peer->disconnected = TRUE;
        g_clear_pointer(&peer->conn_source, g_source_unref);
        g_socket_close(peer->conn, NULL);
        g_clear_object(&peer->conn);
        return G_SOURCE_REMOVE;
    }
    cv_qmp_framer_push(peer->framer, buf, (gsize)n);
    for (;;) {
        g_autofree gchar *line = cv_qmp_framer_pop(peer->framer, NULL);
        if (line == NULL)
            break;
        peer_handle_line(peer, line);
        if (peer->conn == NULL)
            return G_SOURCE_REMOVE; /* hung up by the script; the source is gone */
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
peer_accept_cb(GSocket *socket, GIOCondition condition, gpointer data)
{
    FakePeer *peer = data;
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&peer->accept_source, g_source_unref);
    /* a new connection starts clean, whatever the last one left half read */
    peer_hangup(peer);
    g_clear_pointer(&peer->framer, cv_qmp_framer_free);
    peer->framer = cv_qmp_framer_new(0);
    peer->negotiated = FALSE;
    peer->disconnected = FALSE;
    peer->n_accepted++;
    peer->conn = g_socket_accept(socket, NULL, &error);
    g_assert_no_error(error);
    /* blocking writes are fine: the test never sends more than the socket buffer holds */
    g_socket_set_blocking(peer->conn, TRUE);
    if (peer->hangup_on_accept) {
        g_clear_object(&peer->conn);
        return G_SOURCE_REMOVE;
    }
    peer->conn_source = g_socket_create_source(peer->conn, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(peer->conn_source, G_SOURCE_FUNC(peer_read_cb), peer, NULL);
    g_source_attach(peer->conn_source, peer->context);
    if (peer->greeting != NULL) {
        g_autofree gchar *line = g_strdup_printf("%s\r\n", peer->greeting);
        peer_send(peer, line);
        peer_kick(peer);
    }
    return G_SOURCE_REMOVE;
}

/* The peer stops reading its socket: what the client writes piles up in the kernel, then
 * in the client. */
static void
peer_stop_reading(FakePeer *peer)
{
    g_assert_nonnull(peer->conn_source);
    g_source_destroy(peer->conn_source);
    g_clear_pointer(&peer->conn_source, g_source_unref);
}

static void
peer_resume_reading(FakePeer *peer)
{
    g_assert_null(peer->conn_source);
    g_assert_nonnull(peer->conn);
    peer->conn_source = g_socket_create_source(peer->conn, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(peer->conn_source, G_SOURCE_FUNC(peer_read_cb), peer, NULL);
    g_source_attach(peer->conn_source, peer->context);
}

/* Accept one more connection (the first one is accepted on its own). */
static void
peer_accept_again(FakePeer *peer)
{
    g_assert_null(peer->accept_source);
    peer->accept_source = g_socket_create_source(peer->listener, G_IO_IN, NULL);
    g_source_set_callback(peer->accept_source, G_SOURCE_FUNC(peer_accept_cb), peer, NULL);
    g_source_attach(peer->accept_source, peer->context);
}

static guint
peer_count(FakePeer *peer, const gchar *command)
{
    guint n = 0;

    for (guint i = 0; i < peer->received->len; i++)
        n += g_str_equal(g_ptr_array_index(peer->received, i), command);
    return n;
}

static FakePeer *
peer_new(GMainContext *context)
{
    FakePeer *peer = g_new0(FakePeer, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketAddress) address = NULL;

    peer->context = g_main_context_ref(context);
    peer->dir = g_dir_make_tmp("cv-qmp-test-XXXXXX", &error);
    g_assert_no_error(error);
    peer->path = g_build_filename(peer->dir, "qmp.sock", NULL);
    peer->framer = cv_qmp_framer_new(0);
    peer->greeting = g_strdup(GREETING_72);
    peer->auto_negotiate = TRUE;
    peer->strict = TRUE;
    g_queue_init(&peer->items);
    g_queue_init(&peer->chunks);
    peer->received = g_ptr_array_new_with_free_func(g_free);
    peer->ids = g_ptr_array_new_with_free_func(g_free);
    peer->violations = g_string_new(NULL);

    peer->listener =
        g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
    g_assert_no_error(error);
    address = g_unix_socket_address_new(peer->path);
    g_socket_bind(peer->listener, address, TRUE, &error);
    g_assert_no_error(error);
    g_socket_listen(peer->listener, &error);
    g_assert_no_error(error);
    peer->accept_source = g_socket_create_source(peer->listener, G_IO_IN, NULL);
    g_source_set_callback(peer->accept_source, G_SOURCE_FUNC(peer_accept_cb), peer, NULL);
    g_source_attach(peer->accept_source, context);
    return peer;
}

static void
peer_free(FakePeer *peer)
{
    peer_hangup(peer);
    if (peer->chunk_source != NULL) {
        g_source_destroy(peer->chunk_source);
        g_source_unref(peer->chunk_source);
    }
    if (peer->accept_source != NULL) {
        g_source_destroy(peer->accept_source);
        g_source_unref(peer->accept_source);
    }
    g_socket_close(peer->listener, NULL);
    g_object_unref(peer->listener);
    g_unlink(peer->path);
    g_rmdir(peer->dir);
    g_free(peer->path);
    g_free(peer->dir);
    g_free(peer->greeting);
    cv_qmp_framer_free(peer->framer);
    g_queue_clear_full(&peer->items, peer_item_free);
    g_ptr_array_unref(peer->received);
    g_ptr_array_unref(peer->ids);
    g_string_free(peer->violations, TRUE);
    g_main_context_unref(peer->context);
    g_free(peer);
}

static gchar *
peer_received(FakePeer *peer)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < peer->received->len; i++)
        g_string_append_printf(s, "%s%s", i > 0 ? " " : "",
                               (const gchar *)g_ptr_array_index(peer->received, i));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* ---- fixture ---- */

typedef struct {
    GMainContext *context;
    FakePeer *peer;
    CvQmpClient *client;
    GString *log; /* E:event, R:command, C (closed), in the order the client reported them */
    guint closed_count;
    GError *closed_error;
    gboolean free_on_closed;
    gboolean free_on_event;
    gboolean reconnect_on_closed;
    gboolean reconnected;
} Fixture;

typedef struct {
    Fixture *fx;
    const gchar *tag;
    gboolean done;
    JsonNode *result;
    GError *error;
    gboolean free_client; /* free the client from inside this callback */
    guint spin_ms;        /* run the main loop this long from inside this callback */
} Reply;

static void
event_cb(CvQmpClient *client, const CvQmpMessage *message, gpointer user_data)
{
    Fixture *fx = user_data;
    g_string_append_printf(fx->log, "E:%s ", message->name);
    if (fx->free_on_event) {
        g_assert_true(client == fx->client);
        g_clear_pointer(&fx->client, cv_qmp_client_free);
    }
}

static void
reconnected_cb(CvQmpClient *client, JsonNode *result, const GError *error, gpointer user_data)
{
    Fixture *fx = user_data;

    g_assert_no_error(error);
    fx->reconnected = TRUE;
}

static void
closed_cb(CvQmpClient *client, const GError *error, gpointer user_data)
{
    Fixture *fx = user_data;

    fx->closed_count++;
    g_clear_error(&fx->closed_error);
    fx->closed_error = g_error_copy(error);
    g_string_append(fx->log, "C ");
    if (fx->free_on_closed) {
        g_assert_true(client == fx->client);
        g_clear_pointer(&fx->client, cv_qmp_client_free);
    }
    if (fx->reconnect_on_closed)
        cv_qmp_client_connect(client, fx->peer->path, reconnected_cb, fx);
}

static gboolean
flag_cb(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* A nested main loop, as a _sync call made from a callback runs one. */
static void
spin(GMainContext *context, guint ms)
{
    gboolean done = FALSE;
    g_autoptr(GSource) timer = g_timeout_source_new(ms);

    g_source_set_callback(timer, flag_cb, &done, NULL);
    g_source_attach(timer, context);
    while (!done)
        g_main_context_iteration(context, TRUE);
}

static void
reply_cb(CvQmpClient *client, JsonNode *result, const GError *error, gpointer user_data)
{
    Reply *r = user_data;

    g_assert_false(r->done); /* exactly one callback per command */
    r->done = TRUE;
    if (error != NULL)
        r->error = g_error_copy(error);
    else if (result != NULL)
        r->result = json_node_copy(result);
    g_string_append_printf(r->fx->log, "R:%s ", r->tag);
    if (r->spin_ms > 0)
        spin(r->fx->context, r->spin_ms);
    if (r->free_client) {
        g_assert_true(client == r->fx->client);
        g_clear_pointer(&r->fx->client, cv_qmp_client_free);
    }
}

static void
reply_clear(Reply *r)
{
    g_clear_pointer(&r->result, json_node_unref);
    g_clear_error(&r->error);
}

static void
run_until(Fixture *fx, const gboolean *flag)
{
    /* the client's own timeout (5 s in these tests) ends any wait that goes wrong */
    while (!*flag)
        g_main_context_iteration(fx->context, TRUE);
}

static void
execute(Fixture *fx, const gchar *command, Reply *r)
{
    r->fx = fx;
    r->tag = command;
    cv_qmp_client_execute(fx->client, command, NULL, reply_cb, r);
}

static void
execute_args(Fixture *fx, const gchar *command, JsonObject *arguments, Reply *r)
{
    r->fx = fx;
    r->tag = command;
    cv_qmp_client_execute(fx->client, command, arguments, reply_cb, r);
}

/* {"pad": "xxx..."}: a command of about @pad bytes. */
static JsonObject *
padded_arguments(gsize pad)
{
    JsonObject *args = json_object_new();
    g_autofree gchar *text = g_malloc(pad + 1);

    memset(text, 'x', pad);
    text[pad] = '\0';
    json_object_set_string_member(args, "pad", text);
    return args;
}

/* Run the main loop until nothing more is ready now, without blocking. */
static void
drain(Fixture *fx)
{
    while (g_main_context_iteration(fx->context, FALSE))
        ;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    fx->context = g_main_context_new();
    g_main_context_push_thread_default(fx->context);
    fx->peer = peer_new(fx->context);
    fx->client = cv_qmp_client_new(fx->context);
    fx->log = g_string_new(NULL);
    cv_qmp_client_set_timeout(fx->client, 5000);
    cv_qmp_client_set_event_func(fx->client, event_cb, fx);
    cv_qmp_client_set_closed_func(fx->client, closed_cb, fx);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    g_autofree gchar *violations = g_strdup(fx->peer->violations->str);

    g_clear_pointer(&fx->client, cv_qmp_client_free);
    /* every scripted item was used */
    g_assert_cmpuint(g_queue_get_length(&fx->peer->items), ==, 0);
    peer_free(fx->peer);
    while (g_main_context_iteration(fx->context, FALSE))
        ;
    g_main_context_pop_thread_default(fx->context);
    g_main_context_unref(fx->context);
    g_string_free(fx->log, TRUE);
    g_clear_error(&fx->closed_error);
    g_assert_cmpstr(violations, ==, "");
}

static void
connect_ok(Fixture *fx)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(cv_qmp_client_connect_sync(fx->client, fx->peer->path, &error));
    g_assert_no_error(error);
    g_assert_true(cv_qmp_client_is_connected(fx->client));
}

/* ---- greeting and handshake ---- */

static void
test_handshake(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    g_autofree gchar *received = NULL;
    const CvQemuVersion *v;

    fx->peer->auto_negotiate = FALSE;
    peer_expect(fx->peer, "qmp_capabilities", "{\"return\": {}, \"id\": @ID@}\r\n", NULL);
    peer_expect(fx->peer, "query-status",
                "{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": @ID@}\r\n",
                NULL);
    g_assert_null(cv_qmp_client_get_version(fx->client));
    connect_ok(fx);
    v = cv_qmp_client_get_version(fx->client);
    g_assert_nonnull(v);
    g_assert_cmpint(v->major, ==, 7);
    g_assert_cmpint(v->minor, ==, 2);
    g_assert_cmpint(v->micro, ==, 22);
    g_assert_cmpstr(v->package, ==, "Debian 1:7.2+dfsg-7+deb12u18+b3");

    result = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(result), "status"), ==,
                    "running");
    received = peer_received(fx->peer);
    g_assert_cmpstr(received, ==, "qmp_capabilities query-status");
    /* our ids are strings, and never reused */
    g_assert_cmpstr(g_ptr_array_index(fx->peer->ids, 0), ==, "\"cv-1\"");
    g_assert_cmpstr(g_ptr_array_index(fx->peer->ids, 1), ==, "\"cv-2\"");
}

static void
test_handshake_refused(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->peer->auto_negotiate = FALSE;
    peer_expect(fx->peer, "qmp_capabilities",
                "{\"id\": @ID@, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
                "command qmp_capabilities has not been found\"}}\r\n",
                NULL);
    g_assert_false(cv_qmp_client_connect_sync(fx->client, fx->peer->path, &error));
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_COMMAND_NOT_FOUND);
    g_assert_cmpstr(error->message, ==,
                    "qmp_capabilities: The command qmp_capabilities has not been found");
    g_assert_false(cv_qmp_client_is_connected(fx->client));
    /* a connect that failed is reported to the connect func only */
    g_assert_cmpuint(fx->closed_count, ==, 0);
}

/* Before qmp_capabilities QEMU answers every command with CommandNotFound. */
static void
test_command_before_handshake(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    g_autofree gchar *received = NULL;

    cv_qmp_client_set_negotiate(fx->client, FALSE);
    connect_ok(fx);
    result = cv_qmp_client_execute_sync(fx->client, "query-migrate", NULL, &error);
    g_assert_null(result);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_COMMAND_NOT_FOUND);
    g_assert_cmpstr(error->message, ==,
                    "query-migrate: Expecting capabilities negotiation with 'qmp_capabilities'");
    received = peer_received(fx->peer);
    g_assert_cmpstr(received, ==, "query-migrate");
}

/* A command issued while connecting waits for the handshake (the strict peer would refuse
 * it otherwise). */
static void
test_command_held_until_handshake(Fixture *fx, gconstpointer data)
{
    Reply conn = {.fx = fx, .tag = "connect"};
    Reply r = {0};
    g_autofree gchar *received = NULL;

    peer_expect(fx->peer, "query-status",
                "{\"return\": {\"status\": \"paused\"}, \"id\": @ID@}\r\n", NULL);
    cv_qmp_client_connect(fx->client, fx->peer->path, reply_cb, &conn);
    execute(fx, "query-status", &r);
    run_until(fx, &r.done);
    g_assert_true(conn.done);
    g_assert_no_error(conn.error);
    g_assert_no_error(r.error);
    g_assert_nonnull(r.result);
    received = peer_received(fx->peer);
    g_assert_cmpstr(received, ==, "qmp_capabilities query-status");
    g_assert_cmpstr(fx->log->str, ==, "R:connect R:query-status ");
    reply_clear(&conn);
    reply_clear(&r);
}

/* Connect failures, one row each. */
typedef struct {
    const gchar *name;
    const gchar *greeting; /* NULL: none */
    gboolean hangup_on_accept;
    gboolean missing_socket;
    guint timeout_ms;
    CvQmpErrorCode code;
    const gchar *message; /* substring */
} ConnectRow;

static const ConnectRow connect_rows[] = {
    {"greeting-is-a-reply", "{\"return\": {}}", FALSE, FALSE, 5000, CV_QMP_ERROR_PROTOCOL,
     "expected the QMP greeting"},
    {"greeting-not-json", "Welcome to QEMU", FALSE, FALSE, 5000, CV_QMP_ERROR_PROTOCOL,
     "QMP greeting: QMP line is not a JSON object"},
    {"greeting-bad-version", "{\"QMP\": {\"version\": {\"qemu\": \"7.2\"}}}", FALSE, FALSE, 5000,
     CV_QMP_ERROR_PROTOCOL, "no valid qemu.major/minor/micro"},
    {"hangup-before-greeting", NULL, TRUE, FALSE, 5000, CV_QMP_ERROR_CLOSED,
     "QEMU closed the QMP connection"},
    {"no-greeting", NULL, FALSE, FALSE, 50, CV_QMP_ERROR_TIMEOUT, "no QMP greeting from"},
    {"no-socket", GREETING_72, FALSE, TRUE, 5000, CV_QMP_ERROR_CONNECT, "cannot connect to"},
};

static void
test_connect_row(Fixture *fx, gconstpointer data)
{
    const ConnectRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *path = NULL;

    g_free(fx->peer->greeting);
    fx->peer->greeting = g_strdup(row->greeting);
    fx->peer->hangup_on_accept = row->hangup_on_accept;
    cv_qmp_client_set_timeout(fx->client, row->timeout_ms);
    path = row->missing_socket ? g_build_filename(fx->peer->dir, "nothing.sock", NULL)
                               : g_strdup(fx->peer->path);
    g_assert_false(cv_qmp_client_connect_sync(fx->client, path, &error));
    g_assert_error(error, CV_QMP_ERROR, (gint)row->code);
    g_assert_nonnull(strstr(error->message, row->message));
    g_assert_false(cv_qmp_client_is_connected(fx->client));
    g_assert_cmpuint(fx->closed_count, ==, 0);
    g_assert_cmpstr(fx->log->str, ==, "");
}

/* ---- replies ---- */

/* Replies are matched by id, even out of order. */
static void
test_id_echo_success(Fixture *fx, gconstpointer data)
{
    Reply a = {0}, b = {0};

    connect_ok(fx);
    peer_expect(fx->peer, "query-status", NULL);
    peer_expect(fx->peer, "query-migrate", "{\"return\": {\"b\": 2}, \"id\": @ID@}\r\n",
                "{\"return\": {\"a\": 1}, \"id\": @ID-1@}\r\n", NULL);
    execute(fx, "query-status", &a);
    execute(fx, "query-migrate", &b);
    run_until(fx, &a.done);
    g_assert_no_error(a.error);
    g_assert_no_error(b.error);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(a.result), "a"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(b.result), "b"), ==, 2);
    g_assert_cmpstr(fx->log->str, ==, "R:query-migrate R:query-status ");
    g_assert_cmpstr(g_ptr_array_index(fx->peer->ids, 1), !=, g_ptr_array_index(fx->peer->ids, 2));
    reply_clear(&a);
    reply_clear(&b);
}

static void
test_id_echo_error(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;

    connect_ok(fx);
    peer_expect(fx->peer, "migrate-set-capabilities",
                "{\"id\": @ID@, \"error\": {\"class\": \"GenericError\", \"desc\": \"There's a "
                "migration process in progress\"}}\r\n",
                NULL);
    result = cv_qmp_client_execute_sync(fx->client, "migrate-set-capabilities", NULL, &error);
    g_assert_null(result);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_GENERIC_ERROR);
    g_assert_cmpstr(error->message, ==,
                    "migrate-set-capabilities: There's a migration process in progress");
    g_assert_true(cv_qmp_client_is_connected(fx->client));
}

/* QEMU sends an error without id when it could not parse the request: it belongs to the
 * oldest waiting command. */
static void
test_error_without_id(Fixture *fx, gconstpointer data)
{
    Reply a = {0}, b = {0};

    connect_ok(fx);
    peer_expect(fx->peer, "query-status", NULL);
    peer_expect(fx->peer, "query-migrate",
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
                "invalid keyword 'x'\"}}\r\n",
                "{\"return\": {}, \"id\": @ID@}\r\n", NULL);
    execute(fx, "query-status", &a);
    execute(fx, "query-migrate", &b);
    run_until(fx, &b.done);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_GENERIC_ERROR);
    g_assert_cmpstr(a.error->message, ==, "query-status: JSON parse error, invalid keyword 'x'");
    g_assert_no_error(b.error);
    g_assert_cmpstr(fx->log->str, ==, "R:query-status R:query-migrate ");
    reply_clear(&a);
    reply_clear(&b);
}

/* A broken reply whose id can be read fails the command it names, not the oldest one. Two
 * commands are in flight; the second one's reply comes first, broken, then the first one's
 * good reply. One row per shape. */
typedef struct {
    const gchar *name;
    const gchar *reply; /* to the second command; "@ID@" is its id */
    CvQmpErrorCode code;
    const gchar *message;
} BrokenReplyRow;

static const BrokenReplyRow broken_reply_rows[] = {
    {"error-string", "{\"id\": @ID@, \"error\": \"GenericError\"}", CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error' is not an object"},
    {"error-array", "{\"error\": [\"GenericError\", \"boom\"], \"id\": @ID@}",
     CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error' is not an object"},
    {"error-null", "{\"error\": null, \"id\": @ID@}", CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error' is not an object"},
    {"error-number", "{\"error\": 42, \"id\": @ID@}", CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error' is not an object"},
    {"error-empty-object", "{\"error\": {}, \"id\": @ID@}", CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error' has no 'class'"},
    {"error-no-class", "{\"error\": {\"desc\": \"boom\"}, \"id\": @ID@}",
     CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error' has no 'class': boom"},
    {"error-no-desc", "{\"error\": {\"class\": \"GenericError\"}, \"id\": @ID@}",
     CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error' has no 'desc' [GenericError]"},
    {"error-class-not-string", "{\"error\": {\"class\": 1, \"desc\": \"boom\"}, \"id\": @ID@}",
     CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error.class' is not a string: boom"},
    {"error-desc-not-string",
     "{\"error\": {\"class\": \"GenericError\", \"desc\": [\"boom\"]}, \"id\": @ID@}",
     CV_QMP_ERROR_INVALID_REPLY,
     "query-migrate: invalid QMP error reply, 'error.desc' is not a string [GenericError]"},
    {"return-and-error",
     "{\"return\": {}, \"error\": {\"class\": \"GenericError\", \"desc\": \"boom\"}, \"id\": "
     "@ID@}",
     CV_QMP_ERROR_MALFORMED, "query-migrate: QMP message has both 'return' and 'error'"},
    {"no-kind", "{\"id\": @ID@, \"result\": {}}", CV_QMP_ERROR_MALFORMED,
     "query-migrate: QMP message is neither greeting, reply, event nor command"},
};

static void
test_broken_reply_row(Fixture *fx, gconstpointer data)
{
    const BrokenReplyRow *row = data;
    g_autofree gchar *reply = g_strdup_printf("%s\r\n", row->reply);
    Reply a = {0}, b = {0};

    connect_ok(fx);
    peer_expect(fx->peer, "query-status", NULL);
    peer_expect(fx->peer, "query-migrate", reply,
                "{\"return\": {\"status\": \"running\"}, \"id\": @ID-1@}\r\n", NULL);
    execute(fx, "query-status", &a);
    execute(fx, "query-migrate", &b);
    run_until(fx, &a.done);
    g_assert_true(b.done);
    g_assert_error(b.error, CV_QMP_ERROR, (gint)row->code);
    g_assert_cmpstr(b.error->message, ==, row->message);
    /* the oldest command is untouched by the broken reply and gets its own */
    g_assert_no_error(a.error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(a.result), "status"), ==,
                    "running");
    g_assert_cmpstr(fx->log->str, ==, "R:query-migrate R:query-status ");
    g_assert_true(cv_qmp_client_is_connected(fx->client));
    g_assert_cmpuint(cv_qmp_client_get_n_pending(fx->client), ==, 0);
    reply_clear(&a);
    reply_clear(&b);
}

/* Events that arrive while a command waits are delivered in order, before its reply. */
static void
test_event_between_command_and_reply(Fixture *fx, gconstpointer data)
{
    Reply r = {0};
    gboolean resumed = FALSE;

    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate",
                "{\"timestamp\": {\"seconds\": 1795626234, \"microseconds\": 686366}, "
                "\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 2}}\r\n"
                "{\"timestamp\": {\"seconds\": 1795626235, \"microseconds\": 1}, \"event\": "
                "\"STOP\"}\r\n",
                "{\"return\": {\"status\": \"active\"}, \"id\": @ID@}\r\n",
                "{\"timestamp\": {\"seconds\": 1795626236, \"microseconds\": 2}, \"event\": "
                "\"RESUME\"}\r\n",
                NULL);
    execute(fx, "query-migrate", &r);
    run_until(fx, &r.done);
    g_assert_no_error(r.error);
    while (!resumed) {
        g_main_context_iteration(fx->context, TRUE);
        resumed = strstr(fx->log->str, "E:RESUME") != NULL;
    }
    g_assert_cmpstr(fx->log->str, ==, "E:MIGRATION_PASS E:STOP R:query-migrate E:RESUME ");
    reply_clear(&r);
}

/* One reply in four chunks, each read on its own. */
static void
test_reply_split_across_reads(Fixture *fx, gconstpointer data)
{
    Reply r = {0};
    guint reads;

    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate", "{\"return\": {\"sta",
                "tus\": \"active\"}, \"id\": ", "@ID@}", "\r\n", NULL);
    reads = cv_qmp_client_get_n_reads(fx->client);
    execute(fx, "query-migrate", &r);
    run_until(fx, &r.done);
    g_assert_no_error(r.error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(r.result), "status"), ==,
                    "active");
    g_assert_cmpuint(cv_qmp_client_get_n_reads(fx->client) - reads, ==, 4);
    reply_clear(&r);
}

/* Every byte read on its own: a real 7.2 query-migrate reply still parses whole. */
static void
test_reply_byte_by_byte(Fixture *fx, gconstpointer data)
{
    g_autofree gchar *path =
        g_test_build_filename(G_TEST_DIST, "data", "qmp", "qemu-7.2-r64-bw64-active-01.json", NULL);
    g_autofree gchar *text = NULL;
    g_autoptr(JsonNode) sample_node = NULL;
    g_autofree gchar *compact = NULL;
    g_autofree gchar *reply = NULL;
    g_autoptr(JsonNode) result = NULL;
    g_autoptr(GError) error = NULL;
    CvSample s;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    sample_node = json_from_string(text, &error);
    g_assert_no_error(error);
    compact = json_to_string(sample_node, FALSE);
    reply = g_strdup_printf("{\"return\": %s, \"id\": @ID@}\r\n", compact);

    cv_qmp_client_set_read_size(fx->client, 1);
    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate", reply, NULL);
    result = cv_qmp_client_execute_sync(fx->client, "query-migrate", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(cv_qmp_client_get_n_reads(fx->client), >, strlen(compact));
    cv_sample_init(&s);
    g_assert_true(cv_qmp_parse_query_migrate(result, &s, &error));
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    g_assert_cmpuint(s.ram_remaining.value, ==, 27918336);
    g_assert_cmpuint(s.expected_downtime_ms.value, ==, 999);
}

/* CR ends one read and LF starts the next, twice. */
static void
test_crlf_split_at_edge(Fixture *fx, gconstpointer data)
{
    Reply r = {0};
    gboolean stopped = FALSE;
    guint reads;

    connect_ok(fx);
    peer_expect(fx->peer, "query-status", "{\"return\": {}, \"id\": @ID@}\r",
                "\n{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r",
                "\n", NULL);
    reads = cv_qmp_client_get_n_reads(fx->client);
    execute(fx, "query-status", &r);
    run_until(fx, &r.done);
    g_assert_no_error(r.error);
    /* the reply is complete only with the second read's LF */
    g_assert_cmpuint(cv_qmp_client_get_n_reads(fx->client) - reads, ==, 2);
    while (!stopped) {
        g_main_context_iteration(fx->context, TRUE);
        stopped = strstr(fx->log->str, "E:STOP") != NULL;
    }
    g_assert_cmpstr(fx->log->str, ==, "R:query-status E:STOP ");
    reply_clear(&r);
}

/* An oversized line fails the oldest command; the connection goes on. */
static void
test_oversized_line(Fixture *fx, gconstpointer data)
{
    g_autoptr(GString) big = g_string_new("{\"return\": \"");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    g_autoptr(JsonNode) second = NULL;

    for (gint i = 0; i < 10000; i++)
        g_string_append_c(big, 'x');
    g_string_append(big, "\", \"id\": @ID@}\r\n");

    cv_qmp_client_set_max_line(fx->client, 4096);
    connect_ok(fx);
    peer_expect(fx->peer, "query-qmp-schema", big->str, NULL);
    peer_expect(fx->peer, "query-status",
                "{\"return\": {\"status\": \"running\"}, \"id\": @ID@}\r\n", NULL);
    result = cv_qmp_client_execute_sync(fx->client, "query-qmp-schema", NULL, &error);
    g_assert_null(result);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_LINE_TOO_LONG);
    g_assert_cmpstr(error->message, ==,
                    "query-qmp-schema: QMP line longer than 4096 bytes discarded");
    g_clear_error(&error);
    second = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(second);
    g_assert_cmpuint(cv_qmp_client_get_n_pending(fx->client), ==, 0);
}

/* A line that is not QMP fails the oldest command; the connection goes on. */
static void
test_malformed_line(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    g_autoptr(JsonNode) second = NULL;

    connect_ok(fx);
    peer_expect(fx->peer, "query-status", "{\"return\": {}, \"id\": @ID@\r\n", NULL);
    peer_expect(fx->peer, "query-status", "{\"return\": {}, \"id\": @ID@}\r\n", NULL);
    result = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED);
    g_assert_true(g_str_has_prefix(error->message, "query-status: QMP line is not JSON"));
    g_clear_error(&error);
    second = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_no_error(error);
}

/* QEMU dies halfway through a reply: every waiting command gets CLOSED, then the closed
 * func runs once. */
static void
test_hangup_mid_reply(Fixture *fx, gconstpointer data)
{
    Reply a = {0}, b = {0}, c = {0};

    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate", NULL);
    peer_expect(fx->peer, "query-status", "{\"return\": {\"sta", "!HANGUP", NULL);
    execute(fx, "query-migrate", &a);
    execute(fx, "query-status", &b);
    run_until(fx, &b.done);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_error(b.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_cmpstr(b.error->message, ==,
                    "query-status: QEMU closed the QMP connection in the middle of a message");
    g_assert_cmpstr(fx->log->str, ==, "R:query-migrate R:query-status C ");
    g_assert_cmpuint(fx->closed_count, ==, 1);
    g_assert_error(fx->closed_error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_false(cv_qmp_client_is_connected(fx->client));

    /* afterwards: CLOSED from the main loop, never from inside execute() */
    execute(fx, "query-status", &c);
    g_assert_false(c.done);
    run_until(fx, &c.done);
    g_assert_error(c.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_cmpuint(fx->closed_count, ==, 1);
    reply_clear(&a);
    reply_clear(&b);
    reply_clear(&c);
}

/* Complete replies sent before the hang-up still arrive. */
static void
test_reply_then_hangup(Fixture *fx, gconstpointer data)
{
    Reply a = {0};

    connect_ok(fx);
    peer_expect(fx->peer, "quit", "{\"return\": {}, \"id\": @ID@}\r\n{\"event\": \"SHUTDOWN\"}\r\n",
                "!HANGUP", NULL);
    execute(fx, "quit", &a);
    while (fx->closed_count == 0)
        g_main_context_iteration(fx->context, TRUE);
    g_assert_no_error(a.error);
    g_assert_cmpstr(fx->log->str, ==, "R:quit E:SHUTDOWN C ");
    g_assert_cmpstr(fx->closed_error->message, ==, "QEMU closed the QMP connection");
    reply_clear(&a);
}

/* No reply: TIMEOUT; the late reply is dropped and the next command gets its own. */
static void
test_timeout(Fixture *fx, gconstpointer data)
{
    Reply a = {0}, b = {0};

    connect_ok(fx);
    cv_qmp_client_set_timeout(fx->client, 50);
    peer_expect(fx->peer, "query-migrate", NULL);
    peer_expect(fx->peer, "query-status", "{\"return\": {\"late\": true}, \"id\": @ID-1@}\r\n",
                "{\"return\": {\"late\": false}, \"id\": @ID@}\r\n", NULL);
    execute(fx, "query-migrate", &a);
    run_until(fx, &a.done);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    g_assert_cmpstr(a.error->message, ==, "query-migrate: no reply from QEMU within 50 ms");
    g_assert_cmpuint(cv_qmp_client_get_n_pending(fx->client), ==, 0);
    g_assert_true(cv_qmp_client_is_connected(fx->client));

    cv_qmp_client_set_timeout(fx->client, 5000);
    execute(fx, "query-status", &b);
    run_until(fx, &b.done);
    g_assert_no_error(b.error);
    g_assert_false(json_object_get_boolean_member(json_node_get_object(b.result), "late"));
    g_assert_cmpstr(fx->log->str, ==, "R:query-migrate R:query-status ");
    reply_clear(&a);
    reply_clear(&b);
}

/* A late reply to a command that timed out is dropped whatever its shape, and never taken
 * for the reply to the next command. Replies come in order, so a late one without a
 * readable id belongs to the command that timed out. One row per shape. */
typedef struct {
    const gchar *name;
    const gchar *late; /* "@ID-1@" is the timed-out command's id; NULL: an oversized line */
} LateReplyRow;

static const LateReplyRow late_reply_rows[] = {
    {"return-with-id", "{\"return\": {\"late\": true}, \"id\": @ID-1@}"},
    {"return-without-id", "{\"return\": {\"late\": true}}"},
    {"error-with-id",
     "{\"id\": @ID-1@, \"error\": {\"class\": \"GenericError\", \"desc\": \"late\"}}"},
    {"error-without-id",
     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, invalid keyword\"}}"},
    {"unreadable-error-with-id", "{\"id\": @ID-1@, \"error\": \"GenericError\"}"},
    {"unreadable-error-without-id", "{\"error\": {\"desc\": \"late\"}}"},
    {"malformed-with-id", "{\"id\": @ID-1@, \"return\": {}, \"error\": {}}"},
    {"not-json", "{\"return\": {\"late\": true}, \"id\": @ID-1@"},
    {"oversized", NULL},
};

static void
test_late_reply_row(Fixture *fx, gconstpointer data)
{
    const LateReplyRow *row = data;
    g_autoptr(GString) late = g_string_new(row->late);
    Reply a = {0}, b = {0};

    if (row->late == NULL) {
        g_string_append(late, "{\"return\": \"");
        for (gint i = 0; i < 10000; i++)
            g_string_append_c(late, 'x');
        g_string_append(late, "\", \"id\": @ID-1@}");
    }
    g_string_append(late, "\r\n");
    cv_qmp_client_set_max_line(fx->client, 4096);
    connect_ok(fx);
    cv_qmp_client_set_timeout(fx->client, 50);
    peer_expect(fx->peer, "query-migrate", NULL);
    execute(fx, "query-migrate", &a);
    run_until(fx, &a.done);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    g_assert_cmpuint(cv_qmp_client_get_n_pending(fx->client), ==, 0);
    g_assert_cmpuint(cv_qmp_client_get_n_timed_out(fx->client), ==, 1);

    cv_qmp_client_set_timeout(fx->client, 5000);
    peer_expect(fx->peer, "query-status", late->str,
                "{\"return\": {\"late\": false}, \"id\": @ID@}\r\n", NULL);
    execute(fx, "query-status", &b);
    run_until(fx, &b.done);
    g_assert_no_error(b.error);
    g_assert_false(json_object_get_boolean_member(json_node_get_object(b.result), "late"));
    g_assert_cmpstr(fx->log->str, ==, "R:query-migrate R:query-status ");
    /* the late reply settled what QEMU owed */
    g_assert_cmpuint(cv_qmp_client_get_n_timed_out(fx->client), ==, 0);
    g_assert_true(cv_qmp_client_is_connected(fx->client));
    reply_clear(&a);
    reply_clear(&b);
}

/* Every command we send has an id and QEMU echoes it: a return value without one fails the
 * command in whose place it came, instead of passing for its result. */
static void
test_return_without_id(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    g_autoptr(JsonNode) second = NULL;

    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate", "{\"return\": {\"status\": \"completed\"}}\r\n", NULL);
    peer_expect(fx->peer, "query-status", "{\"return\": {}, \"id\": @ID@}\r\n", NULL);
    result = cv_qmp_client_execute_sync(fx->client, "query-migrate", NULL, &error);
    g_assert_null(result);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY);
    g_assert_cmpstr(error->message, ==, "query-migrate: QMP reply without an id");
    g_clear_error(&error);
    second = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_no_error(error);
}

/* QEMU owes replies to CV_QMP_MAX_TIMED_OUT commands that timed out: one more and the
 * connection is closed, since QEMU is not answering; the owner hears it and can reconnect. */
static void
test_timed_out_bound(Fixture *fx, gconstpointer data)
{
    Reply r[CV_QMP_MAX_TIMED_OUT + 1] = {0};

    fx->peer->unscripted = UNSCRIPTED_SILENT;
    connect_ok(fx);
    cv_qmp_client_set_timeout(fx->client, 20);
    for (guint i = 0; i < CV_QMP_MAX_TIMED_OUT; i++)
        execute(fx, "query-migrate", &r[i]);
    for (guint i = 0; i < CV_QMP_MAX_TIMED_OUT; i++) {
        run_until(fx, &r[i].done);
        g_assert_error(r[i].error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    }
    g_assert_cmpuint(cv_qmp_client_get_n_timed_out(fx->client), ==, CV_QMP_MAX_TIMED_OUT);
    g_assert_true(cv_qmp_client_is_connected(fx->client));
    g_assert_cmpuint(fx->closed_count, ==, 0);

    execute(fx, "query-migrate", &r[CV_QMP_MAX_TIMED_OUT]);
    run_until(fx, &r[CV_QMP_MAX_TIMED_OUT].done);
    g_assert_error(r[CV_QMP_MAX_TIMED_OUT].error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    drain(fx);
    g_assert_cmpuint(fx->closed_count, ==, 1);
    g_assert_error(fx->closed_error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    g_assert_cmpstr(fx->closed_error->message, ==,
                    "QEMU has not answered 65 commands that timed out; the QMP connection was "
                    "closed");
    g_assert_false(cv_qmp_client_is_connected(fx->client));
    g_assert_cmpuint(cv_qmp_client_get_n_timed_out(fx->client), ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS(r); i++)
        reply_clear(&r[i]);
}

/* ---- a peer that stops reading ---- */

#define FILL_MAX 256

/* The peer does not read: the kernel's buffer fills, then commands wait in the client, up
 * to its bound. Beyond it a command fails at once (from the main loop) with QUEUE_FULL and
 * costs nothing; what was accepted goes out once the peer reads again. */
static void
test_output_bounded(Fixture *fx, gconstpointer data)
{
    g_autoptr(JsonObject) args = padded_arguments(4000);
    g_autofree Reply *r = g_new0(Reply, FILL_MAX);
    guint accepted = 0;
    gsize most = 0;

    fx->peer->unscripted = UNSCRIPTED_ANSWER;
    connect_ok(fx);
    peer_stop_reading(fx->peer);
    /* 1 MiB of commands: far more than the socket buffer and the bound hold */
    for (guint i = 0; i < FILL_MAX; i++) {
        execute_args(fx, "x-fill", args, &r[i]);
        g_assert_false(r[i].done);
        most = MAX(most, cv_qmp_client_get_output_size(fx->client));
    }
    g_assert_cmpuint(most, <=, CV_QMP_MAX_OUTPUT_DEFAULT);
    g_assert_cmpuint(most, >, CV_QMP_MAX_OUTPUT_DEFAULT - 4100);
    drain(fx);
    for (guint i = 0; i < FILL_MAX; i++) {
        if (!r[i].done) {
            /* accepted: still waiting for the peer; nothing after a refusal is accepted */
            g_assert_cmpuint(i, ==, accepted);
            accepted++;
            continue;
        }
        g_assert_error(r[i].error, CV_QMP_ERROR, CV_QMP_ERROR_QUEUE_FULL);
        g_assert_nonnull(strstr(r[i].error->message, "x-fill: not sent, QEMU is not reading"));
    }
    g_assert_cmpuint(accepted, >, 0);
    g_assert_cmpuint(accepted, <, FILL_MAX);
    g_assert_cmpuint(cv_qmp_client_get_n_pending(fx->client), ==, accepted);

    /* the peer reads again: every accepted command is answered, and only those were sent */
    peer_resume_reading(fx->peer);
    for (guint i = 0; i < accepted; i++) {
        run_until(fx, &r[i].done);
        g_assert_no_error(r[i].error);
    }
    g_assert_cmpuint(peer_count(fx->peer, "x-fill"), ==, accepted);
    g_assert_cmpuint(cv_qmp_client_get_output_size(fx->client), ==, 0);
    for (guint i = 0; i < FILL_MAX; i++)
        reply_clear(&r[i]);
}

/* A command larger than the bound can never go out: QUEUE_FULL, saying so. */
static void
test_output_command_too_large(Fixture *fx, gconstpointer data)
{
    g_autoptr(JsonObject) args = padded_arguments(CV_QMP_MAX_OUTPUT_DEFAULT);
    Reply r = {0};

    connect_ok(fx);
    execute_args(fx, "x-fill", args, &r);
    g_assert_false(r.done);
    run_until(fx, &r.done);
    g_assert_error(r.error, CV_QMP_ERROR, CV_QMP_ERROR_QUEUE_FULL);
    g_assert_nonnull(strstr(r.error->message, "is larger than the QMP output limit"));
    g_assert_cmpuint(cv_qmp_client_get_output_size(fx->client), ==, 0);
    g_assert_true(cv_qmp_client_is_connected(fx->client));
    reply_clear(&r);
}

/* Fill the peer's socket until commands wait in the client; returns how many were issued. */
static guint
fill_socket(Fixture *fx, JsonObject *args, Reply *r, guint max)
{
    guint n = 0;

    while (cv_qmp_client_get_output_size(fx->client) == 0) {
        g_assert_cmpuint(n, <, max);
        execute_args(fx, "x-fill", args, &r[n]);
        n++;
    }
    return n;
}

/* A command that times out before any of it was written is dropped: QEMU never sees it
 * (it is not run after its caller heard TIMEOUT), and the connection goes on. */
static void
test_timeout_unsent_dropped(Fixture *fx, gconstpointer data)
{
    g_autoptr(JsonObject) args = padded_arguments(4000);
    g_autofree Reply *fill = g_new0(Reply, FILL_MAX);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    Reply x = {0};
    gsize before;
    guint n;

    fx->peer->unscripted = UNSCRIPTED_ANSWER;
    connect_ok(fx);
    peer_stop_reading(fx->peer);
    n = fill_socket(fx, args, fill, FILL_MAX);
    before = cv_qmp_client_get_output_size(fx->client);
    cv_qmp_client_set_timeout(fx->client, 50);
    execute(fx, "stop", &x);
    cv_qmp_client_set_timeout(fx->client, 5000);
    g_assert_cmpuint(cv_qmp_client_get_output_size(fx->client), >, before);
    run_until(fx, &x.done);
    g_assert_error(x.error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    g_assert_cmpstr(x.error->message, ==,
                    "stop: no reply from QEMU within 50 ms (never sent: QEMU is not reading the "
                    "QMP socket)");
    g_assert_cmpuint(cv_qmp_client_get_output_size(fx->client), ==, before);
    g_assert_cmpuint(cv_qmp_client_get_n_timed_out(fx->client), ==, 0);

    peer_resume_reading(fx->peer);
    for (guint i = 0; i < n; i++) {
        run_until(fx, &fill[i].done);
        g_assert_no_error(fill[i].error);
    }
    result = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(peer_count(fx->peer, "stop"), ==, 0);
    g_assert_cmpuint(peer_count(fx->peer, "x-fill"), ==, n);
    reply_clear(&x);
    for (guint i = 0; i < n; i++)
        reply_clear(&fill[i]);
}

/* A command that times out partly written cannot be recalled, and whatever follows would be
 * read as its end: the client closes (TIMEOUT for every waiting command and the closed
 * func), and a new connection works. */
static void
test_timeout_partly_written(Fixture *fx, gconstpointer data)
{
    /* the kernel takes a write this large in part when its buffer is nearly full */
    g_autoptr(JsonObject) args = padded_arguments(40000);
    Reply fill[16] = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    gsize left;
    guint n;

    fx->peer->unscripted = UNSCRIPTED_ANSWER;
    connect_ok(fx);
    peer_stop_reading(fx->peer);
    cv_qmp_client_set_timeout(fx->client, 200);
    n = fill_socket(fx, args, fill, G_N_ELEMENTS(fill));
    cv_qmp_client_set_timeout(fx->client, 5000);
    left = cv_qmp_client_get_output_size(fx->client);
    if (left >= 40000) {
        cv_qmp_client_close(fx->client);
        for (guint i = 0; i < n; i++)
            reply_clear(&fill[i]);
        g_test_skip("the kernel took no command in part: nothing to test here");
        return;
    }
    for (guint i = 0; i < n; i++)
        run_until(fx, &fill[i].done);
    drain(fx);
    for (guint i = 0; i < n; i++)
        g_assert_error(fill[i].error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    g_assert_nonnull(strstr(fill[n - 1].error->message,
                            "QEMU stopped reading the QMP socket: x-fill got no reply within "
                            "200 ms and was only partly written, so the connection was closed"));
    g_assert_cmpuint(fx->closed_count, ==, 1);
    g_assert_error(fx->closed_error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT);
    g_assert_false(cv_qmp_client_is_connected(fx->client));
    g_assert_cmpuint(cv_qmp_client_get_output_size(fx->client), ==, 0);

    /* a new connection starts in sync */
    peer_accept_again(fx->peer);
    connect_ok(fx);
    result = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(fx->peer->n_accepted, ==, 2);
    for (guint i = 0; i < n; i++)
        reply_clear(&fill[i]);
}

/* A reply naming a command QEMU has not been sent in full cannot be its reply. */
static void
test_reply_before_written(Fixture *fx, gconstpointer data)
{
    g_autoptr(JsonObject) args = padded_arguments(4000);
    g_autofree Reply *fill = g_new0(Reply, FILL_MAX);
    g_autofree gchar *forged = NULL;
    Reply x = {0};
    guint reads;
    guint n;

    fx->peer->unscripted = UNSCRIPTED_ANSWER;
    connect_ok(fx);
    peer_stop_reading(fx->peer);
    n = fill_socket(fx, args, fill, FILL_MAX);
    execute(fx, "query-status", &x);
    /* ids are cv-1 (qmp_capabilities), cv-2.. for the fillers, then x's */
    forged = g_strdup_printf("{\"return\": {\"forged\": true}, \"id\": \"cv-%u\"}\r\n", n + 2);
    reads = cv_qmp_client_get_n_reads(fx->client);
    peer_write(fx->peer, forged);
    while (cv_qmp_client_get_n_reads(fx->client) == reads)
        g_main_context_iteration(fx->context, TRUE);
    g_assert_false(x.done);

    peer_resume_reading(fx->peer);
    run_until(fx, &x.done);
    g_assert_no_error(x.error);
    g_assert_false(json_object_has_member(json_node_get_object(x.result), "forged"));
    for (guint i = 0; i < n; i++) {
        run_until(fx, &fill[i].done);
        g_assert_no_error(fill[i].error);
        reply_clear(&fill[i]);
    }
    reply_clear(&x);
}

/* Garbage in query-migrate reaches the parser intact and ends up INVALID, not trusted. */
static void
test_garbage_query_migrate(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    guint64 pending = 0;
    CvSample s;

    connect_ok(fx);
    peer_expect(
        fx->peer, "query-migrate",
        "{\"return\": {\"status\": 5, \"expected-downtime\": 1e3, \"remaining\": {\"x\": 1}, "
        "\"total-time\": -4, \"vfio\": {\"transferred\": \"lots\"}, \"ram\": {\"remaining\": "
        "\"junk\", \"total\": 18446744073709551615, \"mbps\": -1, \"page-size\": 4097, "
        "\"dirty-sync-count\": 9223372036854775808, \"transferred\": [1]}}, \"id\": @ID@}\r\n",
        NULL);
    result = cv_qmp_client_execute_sync(fx->client, "query-migrate", NULL, &error);
    g_assert_no_error(error);
    cv_sample_init(&s);
    g_assert_true(cv_qmp_parse_query_migrate(result, &s, &error));
    g_assert_no_error(error);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_UNKNOWN);
    g_assert_cmpint(s.expected_downtime_ms.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.remaining.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.total_time_ms.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.vfio_transferred.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.ram_total.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.ram_mbps.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.ram_page_size.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.ram_dirty_sync_count.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.ram_transferred.state, ==, CV_FIELD_INVALID);
    g_assert_false(cv_sample_pending(&s, &pending, NULL));
    g_assert_false(cv_sample_throughput(&s, NULL));
    g_assert_true(cv_sample_has_vfio(&s));
}

/* ---- closing and freeing ---- */

static void
test_close_explicit(Fixture *fx, gconstpointer data)
{
    Reply a = {0};

    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate", NULL);
    execute(fx, "query-migrate", &a);
    /* let the command reach the peer */
    while (fx->peer->received->len < 2)
        g_main_context_iteration(fx->context, TRUE);
    cv_qmp_client_close(fx->client);
    g_assert_true(a.done);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_false(cv_qmp_client_is_connected(fx->client));
    g_assert_cmpuint(fx->closed_count, ==, 0);
    while (!fx->peer->disconnected)
        g_main_context_iteration(fx->context, TRUE);
    reply_clear(&a);
}

/* Freeing the client from a reply callback: the other waiting command still hears CLOSED. */
static void
test_free_in_reply(Fixture *fx, gconstpointer data)
{
    Reply a = {.free_client = TRUE}, b = {0};

    connect_ok(fx);
    peer_expect(fx->peer, "query-status", NULL);
    peer_expect(fx->peer, "query-migrate",
                "{\"return\": {}, \"id\": @ID-1@}\r\n{\"return\": {}, \"id\": @ID@}\r\n", NULL);
    execute(fx, "query-status", &a);
    execute(fx, "query-migrate", &b);
    run_until(fx, &a.done);
    g_assert_null(fx->client);
    g_assert_true(b.done);
    g_assert_error(b.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_cmpuint(fx->closed_count, ==, 0);
    reply_clear(&a);
    reply_clear(&b);
}

/* A callback that runs the main loop while the client shuts down: the other waiting
 * command hears CLOSED once, and its timeout (due during the nested loop) never fires. */
static void
test_nested_loop_in_shutdown(Fixture *fx, gconstpointer data)
{
    Reply a = {.spin_ms = 300}, b = {0};

    connect_ok(fx);
    cv_qmp_client_set_timeout(fx->client, 50);
    peer_expect(fx->peer, "query-status", NULL);
    peer_expect(fx->peer, "query-migrate", NULL);
    execute(fx, "query-status", &a);
    execute(fx, "query-migrate", &b);
    /* no main-loop turn before the close: b's timeout can only come due inside a's spin */
    cv_qmp_client_close(fx->client);
    g_assert_true(a.done);
    g_assert_true(b.done);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_error(b.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_cmpstr(fx->log->str, ==, "R:query-status R:query-migrate ");
    /* the peer got both, and nothing is answered: drain its view before teardown */
    while (!fx->peer->disconnected)
        g_main_context_iteration(fx->context, TRUE);
    reply_clear(&a);
    reply_clear(&b);
}

static void
test_free_in_closed(Fixture *fx, gconstpointer data)
{
    Reply a = {0};

    fx->free_on_closed = TRUE;
    connect_ok(fx);
    peer_expect(fx->peer, "quit", "!HANGUP", NULL);
    execute(fx, "quit", &a);
    while (fx->closed_count == 0)
        g_main_context_iteration(fx->context, TRUE);
    g_assert_null(fx->client);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    reply_clear(&a);
}

/* Freeing the client from the event func, with more lines read in the same turn and a
 * command waiting: the command hears CLOSED, nothing after the event is looked at. */
static void
test_free_in_event(Fixture *fx, gconstpointer data)
{
    Reply a = {0};

    fx->free_on_event = TRUE;
    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate",
                "{\"event\": \"STOP\"}\r\n{\"event\": \"RESUME\"}\r\n{\"return\": {}, \"id\": "
                "@ID@}\r\n",
                NULL);
    execute(fx, "query-migrate", &a);
    run_until(fx, &a.done);
    g_assert_null(fx->client);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_cmpstr(fx->log->str, ==, "E:STOP R:query-migrate ");
    reply_clear(&a);
}

/* The owner reconnects from the closed func (QEMU restarted on the same socket): the new
 * connection works, and nothing of the old one leaks into it. */
static void
test_reconnect_in_closed(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;
    Reply a = {0};

    fx->reconnect_on_closed = TRUE;
    connect_ok(fx);
    peer_expect(fx->peer, "query-migrate", "{\"return\": {\"sta", "!HANGUP", NULL);
    peer_expect(fx->peer, "query-status",
                "{\"return\": {\"status\": \"running\"}, \"id\": @ID@}\r\n", NULL);
    peer_accept_again(fx->peer);
    execute(fx, "query-migrate", &a);
    run_until(fx, &fx->reconnected);
    g_assert_error(a.error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_cmpuint(fx->closed_count, ==, 1);
    g_assert_true(cv_qmp_client_is_connected(fx->client));
    result = cv_qmp_client_execute_sync(fx->client, "query-status", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(result), "status"), ==,
                    "running");
    g_assert_cmpuint(fx->peer->n_accepted, ==, 2);
    reply_clear(&a);
}

static void
test_not_connected(void)
{
    g_autoptr(CvQmpClient) client = cv_qmp_client_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = NULL;

    g_assert_false(cv_qmp_client_is_connected(client));
    g_assert_null(cv_qmp_client_get_version(client));
    result = cv_qmp_client_execute_sync(client, "query-status", NULL, &error);
    g_assert_null(result);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_CLOSED);
    g_assert_cmpstr(error->message, ==, "query-status: not connected to QEMU");
}

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ADD("/qmp/client/handshake", test_handshake);
    ADD("/qmp/client/handshake-refused", test_handshake_refused);
    ADD("/qmp/client/command-not-found-before-handshake", test_command_before_handshake);
    ADD("/qmp/client/command-held-until-handshake", test_command_held_until_handshake);
    for (gsize i = 0; i < G_N_ELEMENTS(connect_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/qmp/client/connect/%s", connect_rows[i].name);
        g_test_add(path, Fixture, &connect_rows[i], fixture_setup, test_connect_row,
                   fixture_teardown);
    }
    ADD("/qmp/client/id-echo-success", test_id_echo_success);
    ADD("/qmp/client/id-echo-error", test_id_echo_error);
    ADD("/qmp/client/error-without-id", test_error_without_id);
    for (gsize i = 0; i < G_N_ELEMENTS(broken_reply_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/qmp/client/broken-reply/%s", broken_reply_rows[i].name);
        g_test_add(path, Fixture, &broken_reply_rows[i], fixture_setup, test_broken_reply_row,
                   fixture_teardown);
    }
    ADD("/qmp/client/event-between-command-and-reply", test_event_between_command_and_reply);
    ADD("/qmp/client/reply-split-across-reads", test_reply_split_across_reads);
    ADD("/qmp/client/reply-byte-by-byte", test_reply_byte_by_byte);
    ADD("/qmp/client/crlf-split-at-edge", test_crlf_split_at_edge);
    ADD("/qmp/client/oversized-line", test_oversized_line);
    ADD("/qmp/client/malformed-line", test_malformed_line);
    ADD("/qmp/client/hangup-mid-reply", test_hangup_mid_reply);
    ADD("/qmp/client/reply-then-hangup", test_reply_then_hangup);
    ADD("/qmp/client/timeout", test_timeout);
    for (gsize i = 0; i < G_N_ELEMENTS(late_reply_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/qmp/client/late-reply/%s", late_reply_rows[i].name);
        g_test_add(path, Fixture, &late_reply_rows[i], fixture_setup, test_late_reply_row,
                   fixture_teardown);
    }
    ADD("/qmp/client/return-without-id", test_return_without_id);
    ADD("/qmp/client/timed-out-bound", test_timed_out_bound);
    ADD("/qmp/client/output/bounded", test_output_bounded);
    ADD("/qmp/client/output/command-too-large", test_output_command_too_large);
    ADD("/qmp/client/output/timeout-unsent-dropped", test_timeout_unsent_dropped);
    ADD("/qmp/client/output/timeout-partly-written", test_timeout_partly_written);
    ADD("/qmp/client/output/reply-before-written", test_reply_before_written);
    ADD("/qmp/client/garbage-query-migrate", test_garbage_query_migrate);
    ADD("/qmp/client/close", test_close_explicit);
    ADD("/qmp/client/free-in-reply", test_free_in_reply);
    ADD("/qmp/client/free-in-closed", test_free_in_closed);
    ADD("/qmp/client/nested-loop-in-shutdown", test_nested_loop_in_shutdown);
    ADD("/qmp/client/free-in-event", test_free_in_event);
    ADD("/qmp/client/reconnect-in-closed", test_reconnect_in_closed);
    g_test_add_func("/qmp/client/not-connected", test_not_connected);
    return g_test_run();
}
