#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-build.h"
#include "cv-qmp-client-private.h"
#include "cv-qmp-client.h"
#include "cv-qmp-error.h"
#include "cv-qmp-frame.h"
#include "cv-qmp-parse.h"

#define CV_QMP_TIMEOUT_DEFAULT_MS 10000
#define CV_QMP_READ_SIZE_DEFAULT 16384

typedef enum {
    STATE_IDLE = 0,    /* no socket: never connected, closed, or hung up */
    STATE_CONNECTING,  /* socket connect() in progress */
    STATE_GREETING,    /* connected, waiting for {"QMP": ...} */
    STATE_NEGOTIATING, /* qmp_capabilities sent */
    STATE_CONNECTED,
} ClientState;

/* A command, from execute() until its reply (or its failure) has been reported, and then,
 * when it timed out after being written, until QEMU answers it: replies come in order, so a
 * late reply without a readable id must be matched to it and dropped, not to the next
 * command. */
typedef struct {
    CvQmpClient *client; /* not a reference: the client owns every Pending */
    gchar *id;
    gchar *command;
    CvQmpReplyFunc func;
    gpointer user_data;
    GSource *timeout;
    guint timeout_ms;
    gboolean handshake; /* our own qmp_capabilities: its outcome is the connect's */
    /* the line as it goes on the wire (CRLF included) while not all of it is written;
     * NULL once the kernel has all of it */
    gchar *line;
    gsize line_len;
    gsize written;
    gboolean timed_out; /* its caller heard TIMEOUT; QEMU still owes the reply */
    GError *failure;    /* an orphan: what its caller hears */
} Pending;

struct _CvQmpClient {
    gint ref_count;
    GMainContext *context;
    ClientState state;
    /* bumped whenever the socket goes away, so a loop over received lines can tell that a
     * callback closed (or even reopened) the connection under it */
    guint generation;

    guint timeout_ms;
    gsize max_line;
    gsize read_size;
    gboolean negotiate;

    GSocket *socket;
    GSource *read_source;
    GSource *write_source;   /* while the socket is not writable: connect or a full buffer */
    GSource *connect_source; /* connect + greeting timeout */
    GSource *error_source;   /* an error found where callbacks must not run: reported later */
    GError *deferred_error;
    CvQmpFramer *framer;
    guint8 *read_buf;
    gsize read_buf_size; /* read_size when the connection was made */
    guint n_reads;
    /* Pending not written in full yet, in the order issued (a subset of pending, in the
     * same order): the head may be partly written. Nothing is written before the greeting;
     * then qmp_capabilities goes first. */
    GQueue unsent;
    gsize unsent_bytes; /* what unsent still has to write */
    gsize max_output;

    GQueue pending;    /* Pending, in the order issued (= written), timed-out ones included */
    guint n_timed_out; /* the timed-out ones in pending */
    GQueue orphans;    /* Pending that failed at once; reported from an idle */
    GSource *orphan_source;
    guint64 next_id;

    CvQmpReplyFunc connect_func;
    gpointer connect_data;
    gchar *path;

    CvQemuVersion version;
    gboolean have_version;

    CvQmpEventFunc event_func;
    gpointer event_data;
    CvQmpClosedFunc closed_func;
    gpointer closed_data;
};

static void client_shutdown(CvQmpClient *client, const GError *why, gboolean notify_closed);

static CvQmpClient *
client_ref(CvQmpClient *client)
{
    g_atomic_int_inc(&client->ref_count);
    return client;
}

static void
pending_free(Pending *p)
{
    if (p->timeout != NULL) {
        g_source_destroy(p->timeout);
        g_source_unref(p->timeout);
    }
    g_free(p->id);
    g_free(p->command);
    g_free(p->line);
    g_clear_error(&p->failure);
    g_free(p);
}

static void
client_unref(CvQmpClient *client)
{
    if (!g_atomic_int_dec_and_test(&client->ref_count))
        return;
    g_assert(client->socket == NULL);
    g_assert(g_queue_is_empty(&client->pending));
    g_assert(g_queue_is_empty(&client->orphans));
    if (client->orphan_source != NULL) {
        g_source_destroy(client->orphan_source);
        g_source_unref(client->orphan_source);
    }
    g_main_context_unref(client->context);
    g_free(client->path);
    g_free(client);
}

static void
source_clear(GSource **source)
{
    if (*source == NULL)
        return;
    g_source_destroy(*source);
    g_source_unref(*source);
    *source = NULL;
}

static GSource *
client_attach(CvQmpClient *client, GSource *source, GSourceFunc func)
{
    g_source_set_callback(source, func, client, NULL);
    g_source_attach(source, client->context);
    return source;
}

CvQmpClient *
cv_qmp_client_new(GMainContext *context)
{
    CvQmpClient *client = g_new0(CvQmpClient, 1);

    client->ref_count = 1;
    client->context =
        context != NULL ? g_main_context_ref(context) : g_main_context_ref_thread_default();
    client->timeout_ms = CV_QMP_TIMEOUT_DEFAULT_MS;
    client->max_line = CV_QMP_MAX_LINE_DEFAULT;
    client->read_size = CV_QMP_READ_SIZE_DEFAULT;
    client->negotiate = TRUE;
    client->max_output = CV_QMP_MAX_OUTPUT_DEFAULT;
    g_queue_init(&client->unsent);
    g_queue_init(&client->pending);
    g_queue_init(&client->orphans);
    return client;
}

static void
client_flush_orphans(CvQmpClient *client)
{
    while (!g_queue_is_empty(&client->orphans)) {
        Pending *p = g_queue_pop_head(&client->orphans);
        if (p->func != NULL)
            p->func(client, NULL, p->failure, p->user_data);
        pending_free(p);
    }
}

void
cv_qmp_client_free(CvQmpClient *client)
{
    g_autoptr(GError) why = NULL;

    if (client == NULL)
        return;
    /* every command gets exactly one callback, even now; the closed func is for the peer
     * going away, not for us letting go */
    client->event_func = NULL;
    client->closed_func = NULL;
    why = g_error_new_literal(CV_QMP_ERROR, CV_QMP_ERROR_CLOSED, "the QMP client was freed");
    client_ref(client);
    client_shutdown(client, why, FALSE);
    client_flush_orphans(client);
    source_clear(&client->orphan_source);
    client_unref(client);
    client_unref(client);
}

void
cv_qmp_client_set_timeout(CvQmpClient *client, guint timeout_ms)
{
    g_return_if_fail(client != NULL);
    client->timeout_ms = timeout_ms;
}

void
cv_qmp_client_set_event_func(CvQmpClient *client, CvQmpEventFunc func, gpointer user_data)
{
    g_return_if_fail(client != NULL);
    client->event_func = func;
    client->event_data = user_data;
}

void
cv_qmp_client_set_closed_func(CvQmpClient *client, CvQmpClosedFunc func, gpointer user_data)
{
    g_return_if_fail(client != NULL);
    client->closed_func = func;
    client->closed_data = user_data;
}

void
cv_qmp_client_set_max_line(CvQmpClient *client, gsize max_line)
{
    g_return_if_fail(client != NULL);
    client->max_line = max_line > 0 ? max_line : CV_QMP_MAX_LINE_DEFAULT;
}

void
cv_qmp_client_set_read_size(CvQmpClient *client, gsize read_size)
{
    g_return_if_fail(client != NULL);
    client->read_size = read_size > 0 ? read_size : CV_QMP_READ_SIZE_DEFAULT;
}

void
cv_qmp_client_set_negotiate(CvQmpClient *client, gboolean negotiate)
{
    g_return_if_fail(client != NULL);
    client->negotiate = negotiate;
}

void
cv_qmp_client_set_max_output(CvQmpClient *client, gsize max_output)
{
    g_return_if_fail(client != NULL);
    client->max_output = max_output > 0 ? max_output : CV_QMP_MAX_OUTPUT_DEFAULT;
}

guint
cv_qmp_client_get_n_pending(const CvQmpClient *client)
{
    g_return_val_if_fail(client != NULL, 0);
    return client->pending.length - client->n_timed_out;
}

guint
cv_qmp_client_get_n_timed_out(const CvQmpClient *client)
{
    g_return_val_if_fail(client != NULL, 0);
    return client->n_timed_out;
}

gsize
cv_qmp_client_get_output_size(const CvQmpClient *client)
{
    g_return_val_if_fail(client != NULL, 0);
    return client->unsent_bytes;
}

guint
cv_qmp_client_get_n_reads(const CvQmpClient *client)
{
    g_return_val_if_fail(client != NULL, 0);
    return client->n_reads;
}

gboolean
cv_qmp_client_is_connected(const CvQmpClient *client)
{
    g_return_val_if_fail(client != NULL, FALSE);
    return client->state == STATE_CONNECTED;
}

const CvQemuVersion *
cv_qmp_client_get_version(const CvQmpClient *client)
{
    g_return_val_if_fail(client != NULL, NULL);
    return client->have_version ? &client->version : NULL;
}

/* ---- teardown ---- */

static void
client_teardown(CvQmpClient *client)
{
    source_clear(&client->read_source);
    source_clear(&client->write_source);
    source_clear(&client->connect_source);
    source_clear(&client->error_source);
    g_clear_error(&client->deferred_error);
    if (client->socket != NULL) {
        g_socket_close(client->socket, NULL);
        g_clear_object(&client->socket);
    }
    g_clear_pointer(&client->framer, cv_qmp_framer_free);
    g_clear_pointer(&client->read_buf, g_free);
    /* the Pending themselves belong to pending, which the caller empties */
    g_queue_clear(&client->unsent);
    client->unsent_bytes = 0;
    client->n_timed_out = 0;
    client->state = STATE_IDLE;
    client->generation++;
}

static void
client_finish_connect(CvQmpClient *client, const GError *error)
{
    CvQmpReplyFunc func = client->connect_func;
    gpointer data = client->connect_data;

    client->connect_func = NULL;
    client->connect_data = NULL;
    if (func != NULL)
        func(client, NULL, error, data);
}

/* The connection is over: every waiting command hears @why (prefixed with its name), then a
 * connect in progress, then, if the connection had been up and @notify_closed, the closed
 * func, once. Callbacks may free the client: the caller holds a reference. */
static void
client_shutdown(CvQmpClient *client, const GError *why, gboolean notify_closed)
{
    gboolean was_connected = client->state == STATE_CONNECTED;
    gboolean was_connecting = client->state != STATE_CONNECTED && client->state != STATE_IDLE;
    GQueue pending = G_QUEUE_INIT;

    if (client->state == STATE_IDLE && g_queue_is_empty(&client->pending))
        return;
    g_debug("QMP connection to %s closed: %s", client->path != NULL ? client->path : "?",
            why->message);
    client_teardown(client);
    pending = client->pending;
    g_queue_init(&client->pending);
    /* A callback below may run the main loop (a nested _sync call): the timeout of a command
     * still waiting in this local queue must not fire then, or it would hear twice, the
     * second time after pending_timeout_cb() freed it. */
    for (GList *l = pending.head; l != NULL; l = l->next)
        source_clear(&((Pending *)l->data)->timeout);
    while (!g_queue_is_empty(&pending)) {
        Pending *p = g_queue_pop_head(&pending);
        if (!p->handshake && p->func != NULL) {
            g_autoptr(GError) error =
                g_error_new(why->domain, why->code, "%s: %s", p->command, why->message);
            p->func(client, NULL, error, p->user_data);
        }
        pending_free(p);
    }
    if (was_connecting)
        client_finish_connect(client, why);
    if (was_connected && notify_closed && client->closed_func != NULL)
        client->closed_func(client, why, client->closed_data);
}

static gboolean
client_error_cb(gpointer data)
{
    CvQmpClient *client = data;
    g_autoptr(GError) error = g_steal_pointer(&client->deferred_error);

    g_clear_pointer(&client->error_source, g_source_unref);
    client_ref(client);
    client_shutdown(client, error, TRUE);
    client_unref(client);
    return G_SOURCE_REMOVE;
}

/* For failures found where no callback may run (inside execute() or connect()). */
static void
client_fail_later(CvQmpClient *client, GError *error)
{
    if (client->deferred_error != NULL) {
        g_error_free(error);
        return;
    }
    client->deferred_error = error;
    client->error_source = client_attach(client, g_idle_source_new(), client_error_cb);
    g_source_set_priority(client->error_source, G_PRIORITY_DEFAULT);
}

static gboolean
client_orphans_cb(gpointer data)
{
    CvQmpClient *client = data;

    g_clear_pointer(&client->orphan_source, g_source_unref);
    client_ref(client);
    client_flush_orphans(client);
    client_unref(client);
    return G_SOURCE_REMOVE;
}

/* ---- writing ---- */

static gboolean client_write_cb(GSocket *socket, GIOCondition condition, gpointer data);

static void
client_flush(CvQmpClient *client)
{
    /* nothing goes out before the greeting; then qmp_capabilities, at the head, goes first */
    if (client->state != STATE_NEGOTIATING && client->state != STATE_CONNECTED)
        return;
    while (!g_queue_is_empty(&client->unsent)) {
        g_autoptr(GError) error = NULL;
        Pending *p = g_queue_peek_head(&client->unsent);
        gssize n = g_socket_send(client->socket, p->line + p->written, p->line_len - p->written,
                                 NULL, &error);
        if (n < 0) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                if (client->write_source == NULL) {
                    client->write_source = g_socket_create_source(client->socket, G_IO_OUT, NULL);
                    g_source_set_callback(client->write_source, G_SOURCE_FUNC(client_write_cb),
                                          client, NULL);
                    g_source_attach(client->write_source, client->context);
                }
                return;
            }
            source_clear(&client->write_source);
            client_fail_later(client, g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_CLOSED,
                                                  "writing to the QMP socket: %s", error->message));
            return;
        }
        p->written += (gsize)n;
        client->unsent_bytes -= (gsize)n;
        if (p->written == p->line_len) {
            g_queue_pop_head(&client->unsent);
            g_clear_pointer(&p->line, g_free);
        }
    }
    source_clear(&client->write_source);
}

static gboolean
client_write_cb(GSocket *socket, GIOCondition condition, gpointer data)
{
    CvQmpClient *client = data;

    /* the source stays ours to destroy in client_flush() */
    client_flush(client);
    return G_SOURCE_CONTINUE;
}

/* @p (not yet in any queue) becomes the newest command, or with @first the one that goes
 * out before all others (qmp_capabilities). */
static void
client_queue_pending(CvQmpClient *client, Pending *p, const gchar *line, gboolean first)
{
    g_debug("QMP -> %s", line);
    p->line = g_strconcat(line, "\r\n", NULL);
    p->line_len = strlen(p->line);
    client->unsent_bytes += p->line_len;
    if (first) {
        g_queue_push_head(&client->pending, p);
        g_queue_push_head(&client->unsent, p);
    } else {
        g_queue_push_tail(&client->pending, p);
        g_queue_push_tail(&client->unsent, p);
    }
    client_flush(client);
}

/* ---- commands ---- */

/* A written command timed out: its caller hears TIMEOUT now, and it stays in pending until
 * QEMU answers it, so that the late reply is dropped whatever its shape. */
static void
client_time_out_written(CvQmpClient *client, Pending *p, const GError *error)
{
    CvQmpReplyFunc func = p->func;
    gpointer user_data = p->user_data;
    guint generation = client->generation;

    p->func = NULL;
    p->user_data = NULL;
    p->timed_out = TRUE;
    client->n_timed_out++;
    if (func != NULL)
        func(client, NULL, error, user_data);
    /* a QEMU that owes this many replies is not answering; the closed func tells the owner,
     * who may reconnect */
    if (client->generation == generation && client->n_timed_out > CV_QMP_MAX_TIMED_OUT) {
        g_autoptr(GError) why =
            g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT,
                        "QEMU has not answered %u commands that timed out; the QMP connection "
                        "was closed",
                        client->n_timed_out);
        client_shutdown(client, why, TRUE);
    }
}

static gboolean
pending_timeout_cb(gpointer data)
{
    Pending *p = data;
    CvQmpClient *client = p->client;
    g_autoptr(GError) error = NULL;

    /* destroyed here, so that nothing below (a shutdown, pending_free) touches it again */
    source_clear(&p->timeout);
    client_ref(client);
    if (p->handshake) {
        /* the connect fails with it; our connect func hears it, the peer is dropped */
        g_queue_remove(&client->pending, p);
        error = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT,
                            "%s: no reply from QEMU within %u ms", p->command, p->timeout_ms);
        client_shutdown(client, error, FALSE);
        pending_free(p);
    } else if (p->line != NULL && p->written == 0) {
        /* never written: QEMU will never see it */
        g_queue_remove(&client->unsent, p);
        g_queue_remove(&client->pending, p);
        client->unsent_bytes -= p->line_len;
        error = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT,
                            "%s: no reply from QEMU within %u ms (never sent: QEMU is not reading "
                            "the QMP socket)",
                            p->command, p->timeout_ms);
        g_debug("%s", error->message);
        if (p->func != NULL)
            p->func(client, NULL, error, p->user_data);
        pending_free(p);
    } else if (p->line != NULL) {
        /* Partly written: the rest cannot be recalled, and whatever we write next would be
         * read as the end of this line. Close, so that QEMU drops the partial line and the
         * owner can reconnect to a monitor in sync; this command and every other waiting one
         * hear TIMEOUT, the closed func too. */
        error = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT,
                            "QEMU stopped reading the QMP socket: %s got no reply within %u ms "
                            "and was only partly written, so the connection was closed",
                            p->command, p->timeout_ms);
        client_shutdown(client, error, TRUE);
    } else {
        error = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT,
                            "%s: no reply from QEMU within %u ms", p->command, p->timeout_ms);
        g_debug("%s", error->message);
        client_time_out_written(client, p, error);
    }
    client_unref(client);
    return G_SOURCE_REMOVE;
}

/* The id the next command will get; ids are never reused, so a late reply can never match
 * a newer command. */
static gchar *
client_peek_id(const CvQmpClient *client)
{
    return g_strdup_printf("cv-%" G_GUINT64_FORMAT, client->next_id + 1);
}

static Pending *
pending_new(CvQmpClient *client, const gchar *command, CvQmpReplyFunc func, gpointer user_data)
{
    Pending *p = g_new0(Pending, 1);

    p->client = client;
    p->id = client_peek_id(client);
    client->next_id++;
    p->command = g_strdup(command);
    p->func = func;
    p->user_data = user_data;
    p->timeout_ms = client->timeout_ms;
    if (client->timeout_ms > 0) {
        p->timeout = g_timeout_source_new(client->timeout_ms);
        g_source_set_callback(p->timeout, pending_timeout_cb, p, NULL);
        g_source_attach(p->timeout, client->context);
    }
    return p;
}

/* Fail a command that never got going, from the main loop: never from inside execute(). */
static void
client_orphan(CvQmpClient *client, const gchar *command, CvQmpReplyFunc func, gpointer user_data,
              GError *failure)
{
    Pending *p = g_new0(Pending, 1);

    p->client = client;
    p->command = g_strdup(command);
    p->func = func;
    p->user_data = user_data;
    p->failure = failure;
    g_queue_push_tail(&client->orphans, p);
    if (client->orphan_source == NULL)
        client->orphan_source = client_attach(client, g_idle_source_new(), client_orphans_cb);
}

void
cv_qmp_client_execute(CvQmpClient *client, const gchar *command, JsonObject *arguments,
                      CvQmpReplyFunc func, gpointer user_data)
{
    g_autofree gchar *id = NULL;
    g_autofree gchar *line = NULL;
    gsize size;
    Pending *p;

    g_return_if_fail(client != NULL);
    g_return_if_fail(command != NULL);

    if (client->state == STATE_IDLE) {
        client_orphan(
            client, command, func, user_data,
            g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_CLOSED, "%s: not connected to QEMU", command));
        return;
    }
    /* the id is only taken once the command is accepted */
    id = client_peek_id(client);
    line = cv_qmp_build_command(command, arguments, id);
    size = strlen(line) + 2;
    if (size > client->max_output) {
        client_orphan(client, command, func, user_data,
                      g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_QUEUE_FULL,
                                  "%s: not sent, the command (%" G_GSIZE_FORMAT
                                  " bytes) is larger than the QMP output limit (%" G_GSIZE_FORMAT
                                  " bytes)",
                                  command, size, client->max_output));
        return;
    }
    if (client->unsent_bytes + size > client->max_output) {
        client_orphan(
            client, command, func, user_data,
            g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_QUEUE_FULL,
                        "%s: not sent, QEMU is not reading the QMP socket (%" G_GSIZE_FORMAT
                        " bytes of commands already wait, the limit is %" G_GSIZE_FORMAT ")",
                        command, client->unsent_bytes, client->max_output));
        return;
    }
    /* it takes the id peeked above, which the line already carries */
    p = pending_new(client, command, func, user_data);
    /* before the handshake QEMU refuses everything but qmp_capabilities: it waits in unsent
     * until the greeting, and qmp_capabilities goes before it */
    client_queue_pending(client, p, line, FALSE);
}

/* The command a reply is for, taken out of pending; NULL when it is for nobody (logged).
 * @key is the reply's id as cv_qmp_id_to_string() writes it. Only a reply without a
 * readable id (QEMU could not parse the request, or the line could not be read at all)
 * goes by order: QEMU answers in the order it read the commands, so it is for the oldest
 * command written in full. A command that timed out stays in pending until its reply, so
 * that its late reply, whatever its shape, is dropped here and never taken for the reply
 * to a later command. A command not written in full cannot have been answered yet. */
static Pending *
client_take_pending(CvQmpClient *client, const gchar *key)
{
    GList *link = NULL;
    Pending *p;

    if (key == NULL) {
        link = client->pending.head;
    } else {
        for (GList *l = client->pending.head; l != NULL && link == NULL; l = l->next) {
            if (g_strcmp0(((Pending *)l->data)->id, key) == 0)
                link = l;
        }
    }
    if (link == NULL || ((Pending *)link->data)->line != NULL) {
        g_debug("QMP reply %s%s matches no command waiting for one, dropped",
                key != NULL ? "to " : "without id", key != NULL ? key : "");
        return NULL;
    }
    p = link->data;
    g_queue_delete_link(&client->pending, link);
    if (p->timed_out) {
        g_debug("QMP reply to %s (%s) after it timed out, dropped", p->command, p->id);
        client->n_timed_out--;
        pending_free(p);
        return NULL;
    }
    return p;
}

static void
client_complete(CvQmpClient *client, Pending *p, JsonNode *result, const GError *error)
{
    if (p->handshake) {
        if (error != NULL) {
            client_shutdown(client, error, FALSE);
            return;
        }
        client->state = STATE_CONNECTED;
        client_finish_connect(client, NULL);
        return;
    }
    if (p->func != NULL)
        p->func(client, result, error, p->user_data);
}

static void
client_start_session(CvQmpClient *client)
{
    if (client->negotiate) {
        Pending *p = pending_new(client, "qmp_capabilities", NULL, NULL);
        g_autofree gchar *line = cv_qmp_build_qmp_capabilities(p->id);
        p->handshake = TRUE;
        client->state = STATE_NEGOTIATING;
        /* it goes out first, so it is the oldest command; held commands follow at once */
        client_queue_pending(client, p, line, TRUE);
        return;
    }
    client->state = STATE_CONNECTED;
    client_flush(client);
    client_finish_connect(client, NULL);
}

static void
client_handle_greeting(CvQmpClient *client, const CvQmpMessage *msg)
{
    g_autoptr(GError) error = NULL;
    CvQemuVersion version;
    gboolean oob = FALSE;

    if (!cv_qmp_parse_greeting(msg, &version, &oob, &error)) {
        client_shutdown(client, error, FALSE);
        return;
    }
    client->version = version;
    client->have_version = TRUE;
    source_clear(&client->connect_source);
    g_debug("QMP greeting from QEMU %d.%d.%d (%s)%s", version.major, version.minor, version.micro,
            version.package, oob ? ", oob offered" : "");
    client_start_session(client);
}

static void
client_handle_message(CvQmpClient *client, const CvQmpMessage *msg)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *key = NULL;
    Pending *p;

    if (client->state == STATE_GREETING) {
        client_handle_greeting(client, msg);
        return;
    }
    switch (msg->kind) {
    case CV_QMP_MESSAGE_EVENT:
        if (client->event_func != NULL)
            client->event_func(client, msg, client->event_data);
        return;
    case CV_QMP_MESSAGE_RETURN:
    case CV_QMP_MESSAGE_ERROR:
        key = cv_qmp_id_to_string(msg->id);
        p = client_take_pending(client, key);
        if (p == NULL)
            return;
        if (msg->kind == CV_QMP_MESSAGE_ERROR) {
            cv_qmp_error_from_reply(msg, p->command, &error);
        } else if (msg->id == NULL) {
            /* every command we send has an id, which QEMU echoes: a value without one
             * cannot be trusted to answer this command, but it is in its place */
            error = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                                "%s: QMP reply without an id", p->command);
        }
        client_complete(client, p, error == NULL ? msg->payload : NULL, error);
        pending_free(p);
        return;
    case CV_QMP_MESSAGE_GREETING:
    case CV_QMP_MESSAGE_COMMAND:
        g_debug("unexpected QMP %s from the peer, ignored",
                msg->kind == CV_QMP_MESSAGE_GREETING ? "greeting" : "command");
        return;
    default:
        g_assert_not_reached();
    }
}

/* A line that could not be used (too long, not JSON, not QMP). QEMU never sends one; when a
 * broken peer does, it fails the command its id names when the id could be read (@bad_id),
 * else most likely the oldest command, whose reply it then was; either fails with the
 * reason instead of waiting for its timeout. */
static void
client_handle_bad_line(CvQmpClient *client, const GError *why, const gchar *bad_id)
{
    g_autoptr(GError) error = NULL;
    Pending *p;

    if (client->state == STATE_GREETING) {
        error = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_PROTOCOL, "QMP greeting: %s", why->message);
        client_shutdown(client, error, FALSE);
        return;
    }
    p = client_take_pending(client, bad_id);
    if (p == NULL) {
        g_debug("QMP line dropped: %s", why->message);
        return;
    }
    error = g_error_new(why->domain, why->code, "%s: %s", p->command, why->message);
    client_complete(client, p, NULL, error);
    pending_free(p);
}

/* ---- reading ---- */

static gboolean
client_read_cb(GSocket *socket, GIOCondition condition, gpointer data)
{
    CvQmpClient *client = data;
    g_autoptr(GError) error = NULL;
    guint generation = client->generation;
    gssize n;

    n = g_socket_receive(socket, (gchar *)client->read_buf, client->read_buf_size, NULL, &error);
    if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;

    client_ref(client);
    if (n > 0)
        client->n_reads++;
    if (n > 0)
        cv_qmp_framer_push(client->framer, (const gchar *)client->read_buf, (gsize)n);
    /* complete lines first, even when the peer is gone: they were sent before it left */
    while (client->generation == generation) {
        g_autoptr(GError) line_error = NULL;
        g_autoptr(CvQmpMessage) msg = NULL;
        g_autofree gchar *bad_id = NULL;
        g_autofree gchar *line = cv_qmp_framer_pop(client->framer, &line_error);

        if (line == NULL && line_error == NULL)
            break;
        if (line != NULL) {
            g_debug("QMP <- %s", line);
            msg = cv_qmp_message_parse_full(line, -1, &bad_id, &line_error);
        }
        if (msg != NULL)
            client_handle_message(client, msg);
        else
            client_handle_bad_line(client, line_error, bad_id);
    }
    if (client->generation == generation && n <= 0) {
        g_autoptr(GError) why = NULL;
        gsize partial = cv_qmp_framer_pending(client->framer);
        if (n == 0)
            why = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_CLOSED, "QEMU closed the QMP connection%s",
                              partial > 0 ? " in the middle of a message" : "");
        else
            why = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_CLOSED, "reading from the QMP socket: %s",
                              error->message);
        client_shutdown(client, why, TRUE);
    }
    client_unref(client);
    return G_SOURCE_CONTINUE;
}

/* ---- connecting ---- */

static gboolean
client_connect_timeout_cb(gpointer data)
{
    CvQmpClient *client = data;
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&client->connect_source, g_source_unref);
    error = g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT, "no QMP greeting from %s within %u ms",
                        client->path, client->timeout_ms);
    client_ref(client);
    client_shutdown(client, error, FALSE);
    client_unref(client);
    return G_SOURCE_REMOVE;
}

static void
client_start_greeting(CvQmpClient *client)
{
    client->state = STATE_GREETING;
    client->read_source =
        g_socket_create_source(client->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(client->read_source, G_SOURCE_FUNC(client_read_cb), client, NULL);
    g_source_attach(client->read_source, client->context);
}

static gboolean
client_connected_cb(GSocket *socket, GIOCondition condition, gpointer data)
{
    CvQmpClient *client = data;
    g_autoptr(GError) error = NULL;

    source_clear(&client->write_source);
    if (!g_socket_check_connect_result(socket, &error)) {
        g_autoptr(GError) why =
            g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_CONNECT, "cannot connect to %s: %s",
                        client->path, error->message);
        client_ref(client);
        client_shutdown(client, why, FALSE);
        client_unref(client);
        return G_SOURCE_REMOVE;
    }
    client_start_greeting(client);
    return G_SOURCE_REMOVE;
}

void
cv_qmp_client_connect(CvQmpClient *client, const gchar *path, CvQmpReplyFunc func,
                      gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketAddress) address = NULL;

    g_return_if_fail(client != NULL);
    g_return_if_fail(path != NULL);
    g_return_if_fail(client->state == STATE_IDLE);

    g_free(client->path);
    client->path = g_strdup(path);
    client->connect_func = func;
    client->connect_data = user_data;
    client->have_version = FALSE;
    client->state = STATE_CONNECTING;
    client->framer = cv_qmp_framer_new(client->max_line);
    client->read_buf_size = client->read_size;
    client->read_buf = g_malloc(client->read_buf_size);
    if (client->timeout_ms > 0)
        client->connect_source = client_attach(client, g_timeout_source_new(client->timeout_ms),
                                               client_connect_timeout_cb);

    client->socket =
        g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
    if (client->socket == NULL) {
        client_fail_later(client,
                          g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_CONNECT,
                                      "cannot create a socket for %s: %s", path, error->message));
        return;
    }
    g_socket_set_blocking(client->socket, FALSE);
    address = g_unix_socket_address_new(path);
    if (g_socket_connect(client->socket, address, NULL, &error)) {
        client_start_greeting(client);
        return;
    }
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
        client->write_source = g_socket_create_source(client->socket, G_IO_OUT, NULL);
        g_source_set_callback(client->write_source, G_SOURCE_FUNC(client_connected_cb), client,
                              NULL);
        g_source_attach(client->write_source, client->context);
        return;
    }
    client_fail_later(client, g_error_new(CV_QMP_ERROR, CV_QMP_ERROR_CONNECT,
                                          "cannot connect to %s: %s", path, error->message));
}

void
cv_qmp_client_close(CvQmpClient *client)
{
    g_autoptr(GError) why = NULL;

    g_return_if_fail(client != NULL);
    why = g_error_new_literal(CV_QMP_ERROR, CV_QMP_ERROR_CLOSED, "the QMP connection was closed");
    client_ref(client);
    client_shutdown(client, why, FALSE);
    client_unref(client);
}

/* ---- blocking conveniences ---- */

typedef struct {
    gboolean done;
    JsonNode *result;
    GError *error;
} SyncReply;

static void
sync_reply_cb(CvQmpClient *client, JsonNode *result, const GError *error, gpointer user_data)
{
    SyncReply *reply = user_data;

    reply->done = TRUE;
    if (error != NULL)
        reply->error = g_error_copy(error);
    else if (result != NULL)
        reply->result = json_node_copy(result);
}

static void
client_wait(CvQmpClient *client, SyncReply *reply)
{
    /* the client's own timeouts bound this loop, unless the caller set timeout 0 */
    while (!reply->done)
        g_main_context_iteration(client->context, TRUE);
}

gboolean
cv_qmp_client_connect_sync(CvQmpClient *client, const gchar *path, GError **error)
{
    SyncReply reply = {0};

    g_return_val_if_fail(client != NULL, FALSE);
    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    client_ref(client);
    cv_qmp_client_connect(client, path, sync_reply_cb, &reply);
    client_wait(client, &reply);
    client_unref(client);
    g_clear_pointer(&reply.result, json_node_unref);
    if (reply.error != NULL) {
        g_propagate_error(error, reply.error);
        return FALSE;
    }
    return TRUE;
}

JsonNode *
cv_qmp_client_execute_sync(CvQmpClient *client, const gchar *command, JsonObject *arguments,
                           GError **error)
{
    SyncReply reply = {0};

    g_return_val_if_fail(client != NULL, NULL);
    g_return_val_if_fail(command != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    client_ref(client);
    cv_qmp_client_execute(client, command, arguments, sync_reply_cb, &reply);
    client_wait(client, &reply);
    client_unref(client);
    if (reply.error != NULL) {
        g_propagate_error(error, reply.error);
        return NULL;
    }
    /* a reply always carries a value; "return": null still gives a JSON null node */
    if (reply.result == NULL)
        reply.result = json_node_new(JSON_NODE_NULL);
    return reply.result;
}
