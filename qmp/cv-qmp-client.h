/* CvQmpClient: a QMP unix-socket client that only moves bytes. It runs on a caller-supplied
 * GMainContext through a g_socket_create_source() watch, no threads. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-frame.h"
#include "cv-qmp-parse.h"

G_BEGIN_DECLS

typedef struct _CvQmpClient CvQmpClient;

/* Bytes of commands that may wait to be written while QEMU does not read the socket (the
 * kernel's socket buffer comes on top). Our commands are a few hundred bytes: this is
 * hundreds of them, far more than a QEMU that reads would ever leave waiting. */
#define CV_QMP_MAX_OUTPUT_DEFAULT (64 * 1024)
/* Commands that timed out after being written and that QEMU has not answered since: one
 * more and the connection is closed (TIMEOUT), since QEMU is not answering. */
#define CV_QMP_MAX_TIMED_OUT 64

/* @result is the "return" value (borrowed, valid during the call) or NULL with @error set
 * (CV_QMP_ERROR: QEMU's class as the code, CLOSED when QEMU went away, TIMEOUT, QUEUE_FULL,
 * INVALID_REPLY or MALFORMED for a reply that cannot be read). */
typedef void (*CvQmpReplyFunc)(CvQmpClient *client, JsonNode *result, const GError *error,
                               gpointer user_data);
/* Every event, in arrival order, including those that arrive between a command and its
 * reply. @message is borrowed. */
typedef void (*CvQmpEventFunc)(CvQmpClient *client, const CvQmpMessage *message,
                               gpointer user_data);
/* The connection is gone; @error says why: CLOSED when QEMU hung up, TIMEOUT when the client
 * gave up on a QEMU that stopped reading or answering (see cv_qmp_client_execute()). Called
 * once, after every waiting command heard the same error. The client can connect again. */
typedef void (*CvQmpClosedFunc)(CvQmpClient *client, const GError *error, gpointer user_data);

/* @context: NULL means the thread-default context at the time of the call. */
CvQmpClient *cv_qmp_client_new(GMainContext *context);
void cv_qmp_client_free(CvQmpClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvQmpClient, cv_qmp_client_free)

/* How long a command may wait for its reply (default 10000 ms); 0 = forever. Applies to
 * commands issued afterwards. With 0, nothing bounds the commands written and waiting for a
 * reply from a QEMU that reads but never answers (a real QEMU stops reading after a few
 * unanswered requests, and then the output bound applies). */
void cv_qmp_client_set_timeout(CvQmpClient *client, guint timeout_ms);
void cv_qmp_client_set_event_func(CvQmpClient *client, CvQmpEventFunc func, gpointer user_data);
void cv_qmp_client_set_closed_func(CvQmpClient *client, CvQmpClosedFunc func, gpointer user_data);

/* Connect to @path, read the greeting and negotiate capabilities (qmp_capabilities).
 * @func gets a NULL result and no error on success. */
void cv_qmp_client_connect(CvQmpClient *client, const gchar *path, CvQmpReplyFunc func,
                           gpointer user_data);
/* Send @command with @arguments (may be NULL, not consumed). Every call gets exactly one
 * callback, never from inside this call.
 *
 * Output is bounded: when QEMU does not read the socket, commands wait to be written up to
 * CV_QMP_MAX_OUTPUT_DEFAULT bytes; a command that would exceed that fails at once with
 * QUEUE_FULL (it was not sent, and nothing was queued). A command that times out:
 * - before any of it was written: its bytes are dropped, QEMU never sees it (TIMEOUT, the
 *   message says "never sent");
 * - after all of it was written: TIMEOUT; QEMU may still run it. Its late reply is dropped,
 *   whatever its shape, and never taken for another command's. When more than
 *   CV_QMP_MAX_TIMED_OUT such commands are unanswered, the connection is closed (TIMEOUT);
 * - partly written: the rest cannot be recalled and anything written after it would be
 *   read as part of it, so the connection is closed: the command, every other waiting one
 *   and the closed func hear TIMEOUT, QEMU drops the partial line (it never runs), and the
 *   owner can reconnect.
 *
 * Replies are matched by the id we generate, also when the rest of the reply is broken:
 * an error reply whose error member cannot be read fails its command with INVALID_REPLY, a
 * JSON object that is no QMP message but has an id fails that id's command with MALFORMED.
 * Only a message without a readable id goes by order (QEMU answers in order): an error
 * without an id (QEMU could not parse the request), a line above the framer's bound or a
 * line that is not a JSON object fails the oldest command written in full, and a return
 * value without an id fails it with INVALID_REPLY rather than pass for its result; when
 * that oldest command timed out, the message is its late reply and is dropped. Commands
 * issued before the handshake is done are held back until qmp_capabilities has gone out. */
void cv_qmp_client_execute(CvQmpClient *client, const gchar *command, JsonObject *arguments,
                           CvQmpReplyFunc func, gpointer user_data);

/* Blocking conveniences for the CLI and tests: they iterate the client's context until the
 * answer (or the timeout) arrives. Returned nodes are owned by the caller. */
gboolean cv_qmp_client_connect_sync(CvQmpClient *client, const gchar *path, GError **error);
JsonNode *cv_qmp_client_execute_sync(CvQmpClient *client, const gchar *command,
                                     JsonObject *arguments, GError **error);

gboolean cv_qmp_client_is_connected(const CvQmpClient *client);
/* The version from the greeting; NULL before it arrived. */
const CvQemuVersion *cv_qmp_client_get_version(const CvQmpClient *client);
/* close() and free() fail every waiting command with CLOSED; neither calls the closed func,
 * which is only for the connection going away on its own. The client may be freed from any
 * of its callbacks. */
void cv_qmp_client_close(CvQmpClient *client);

G_END_DECLS
