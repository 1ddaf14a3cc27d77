#include "config.h"

#include "cv-qmp-client.h"
#include "cv-qmp-error.h"
#include "cv-qmp-parse.h"
#include "cv-target-private.h"
#include "cv-target-qmp.h"

typedef struct {
    CvTarget parent;
    CvQmpClient *client;
    gchar *path;
    guint timeout_ms;
    gboolean enable_events;
    gboolean gone;
    /* From query-migrate-parameters at connect: FALSE means QEMU does not know
     * avail-switchover-bandwidth (7.2), and we never send it. */
    gboolean switchover_supported;
    GPtrArray *pending; /* Request, in flight on the client */
} CvTargetQmp;

typedef enum {
    REQUEST_DONE = 0,
    REQUEST_SAMPLE,
    REQUEST_PARAMS,
} RequestKind;

typedef enum {
    STAGE_NONE = 0,
    STAGE_CONNECT,
    STAGE_CAPABILITIES,
    STAGE_SET_EVENTS,
    STAGE_PARAMETERS,
} RequestStage;

typedef struct {
    CvTargetQmp *self; /* NULL once the target is being freed: drop the reply */
    gboolean called;
    RequestKind kind;
    RequestStage stage;
    const gchar *command;
    CvTargetDoneFunc done_func;
    CvTargetSampleFunc sample_func;
    CvTargetParamsFunc params_func;
    gpointer user_data;
    CvParams params;      /* PARAMS and connect: accumulated over two queries */
    gboolean params_only; /* PARAMS: stop after query-migrate-parameters (refresh_params) */
    GSource *deferred;    /* an early failure waiting for the main loop */
} Request;

static const CvTargetClass qmp_class;

static CvTargetQmp *
qmp_self(CvTarget *target)
{
    /* A programmer error that must not go on: every caller dereferences the result. */
    g_assert(target != NULL && target->klass == &qmp_class);
    return (CvTargetQmp *)target;
}

gboolean
cv_target_is_qmp(const CvTarget *target)
{
    return target != NULL && target->klass == &qmp_class;
}

/* QMP errors become target errors once, here. */
static GError *
error_from_qmp(const GError *error)
{
    CvTargetErrorCode code = CV_TARGET_ERROR_FAILED;

    if (error->domain == CV_QMP_ERROR) {
        switch ((CvQmpErrorCode)error->code) {
        case CV_QMP_ERROR_CLOSED:
            code = CV_TARGET_ERROR_CLOSED;
            break;
        case CV_QMP_ERROR_TIMEOUT:
        case CV_QMP_ERROR_QUEUE_FULL: /* QEMU does not read: not answering, as for a timeout */
            code = CV_TARGET_ERROR_TIMEOUT;
            break;
        case CV_QMP_ERROR_CONNECT:
            code = CV_TARGET_ERROR_CONNECT;
            break;
        case CV_QMP_ERROR_LINE_TOO_LONG:
        case CV_QMP_ERROR_MALFORMED:
        case CV_QMP_ERROR_INVALID_REPLY:
        case CV_QMP_ERROR_PROTOCOL:
            code = CV_TARGET_ERROR_INVALID_REPLY;
            break;
        /* QEMU's classes: a caller that can tell "this QEMU cannot" from "not now" from "it
         * failed" decides better (a fallback, a wait, a report). */
        case CV_QMP_ERROR_COMMAND_NOT_FOUND:
        case CV_QMP_ERROR_KVM_MISSING_CAP:
            code = CV_TARGET_ERROR_NOT_SUPPORTED;
            break;
        case CV_QMP_ERROR_DEVICE_NOT_ACTIVE:
            code = CV_TARGET_ERROR_OPERATION_INVALID;
            break;
        case CV_QMP_ERROR_DEVICE_NOT_FOUND:
            code = CV_TARGET_ERROR_DEVICE_NOT_FOUND;
            break;
        case CV_QMP_ERROR_FAILED:
        case CV_QMP_ERROR_GENERIC_ERROR:
        default:
            code = CV_TARGET_ERROR_FAILED;
            break;
        }
    }
    return g_error_new_literal(CV_TARGET_ERROR, code, error->message);
}

static Request *
request_new(CvTargetQmp *self, RequestKind kind, const gchar *command, gpointer func,
            gpointer user_data)
{
    Request *req = g_new0(Request, 1);

    req->self = self;
    req->kind = kind;
    req->command = command;
    req->user_data = user_data;
    switch (kind) {
    case REQUEST_DONE:
        req->done_func = (CvTargetDoneFunc)func;
        break;
    case REQUEST_SAMPLE:
        req->sample_func = (CvTargetSampleFunc)func;
        break;
    case REQUEST_PARAMS:
        req->params_func = (CvTargetParamsFunc)func;
        break;
    default:
        g_assert_not_reached();
    }
    cv_params_init(&req->params);
    return req;
}

/* Deliver the request's result and forget it. */
static void
request_finish(Request *req, const CvSample *sample, const GError *error)
{
    CvTargetQmp *self = req->self;
    CvTarget *target = &self->parent;

    g_ptr_array_remove_fast(self->pending, req);
    switch (req->kind) {
    case REQUEST_DONE:
        if (req->done_func != NULL)
            req->done_func(target, error, req->user_data);
        break;
    case REQUEST_SAMPLE:
        if (req->sample_func != NULL)
            req->sample_func(target, error == NULL ? sample : NULL, error, req->user_data);
        break;
    case REQUEST_PARAMS:
        if (req->params_func != NULL)
            req->params_func(target, error == NULL ? &req->params : NULL, error, req->user_data);
        break;
    default:
        g_assert_not_reached();
    }
    g_free(req);
}

/* Errors found before anything is sent still reach the caller from the main loop. */
typedef struct {
    Request *req;
    GError *error;
} Deferred;

static gboolean
deferred_cb(gpointer user_data)
{
    Deferred *d = user_data;

    d->req->deferred = NULL;
    request_finish(d->req, NULL, d->error);
    return G_SOURCE_REMOVE;
}

static void
deferred_free(gpointer user_data)
{
    Deferred *d = user_data;

    g_clear_error(&d->error);
    g_free(d);
}

static void
request_fail_later(Request *req, GError *error)
{
    Deferred *d = g_new0(Deferred, 1);
    g_autoptr(GSource) source = g_idle_source_new();

    d->req = req;
    d->error = error;
    req->deferred = source;
    g_source_set_callback(source, deferred_cb, d, deferred_free);
    g_source_attach(source, req->self->parent.context);
}

static gboolean
target_usable(CvTargetQmp *self, Request *req)
{
    if (self->gone) {
        request_fail_later(req, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED,
                                            "%s: QEMU went away", req->command));
        return FALSE;
    }
    if (!self->parent.connected) {
        request_fail_later(req, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_NOT_CONNECTED,
                                            "%s: not connected to %s", req->command, self->path));
        return FALSE;
    }
    return TRUE;
}

/* A reply we could not read, or QEMU's own error. */
static GError *
reply_error(const gchar *command, const GError *qmp_error, const GError *parse_error)
{
    if (qmp_error != NULL)
        return error_from_qmp(qmp_error);
    return g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_INVALID_REPLY, "%s: %s", command,
                       parse_error != NULL ? parse_error->message : "unexpected reply");
}

static void reply_cb(CvQmpClient *client, JsonNode *result, const GError *error,
                     gpointer user_data);

static void
request_send(Request *req, const gchar *command, JsonObject *arguments)
{
    req->command = command;
    g_debug("%s: -> %s", req->self->path, command);
    cv_qmp_client_execute(req->self->client, command, arguments, reply_cb, req);
}

static void
connect_finish(Request *req)
{
    CvTargetQmp *self = req->self;
    const CvQemuVersion *v = cv_qmp_client_get_version(self->client);

    if (v != NULL) {
        g_free(self->parent.version);
        self->parent.version = g_strdup_printf("%d.%d.%d", v->major, v->minor, v->micro);
    }
    self->switchover_supported = cv_params_supports_switchover_bandwidth(&req->params);
    request_finish(req, NULL, NULL);
}

static JsonObject *
events_capability_args(void)
{
    JsonObject *args = json_object_new();
    JsonArray *caps = json_array_new();
    JsonObject *cap = json_object_new();

    json_object_set_string_member(cap, "capability", "events");
    json_object_set_boolean_member(cap, "state", TRUE);
    json_array_add_object_element(caps, cap);
    json_object_set_array_member(args, "capabilities", caps);
    return args;
}

/* connect: negotiate, read capabilities, turn on events if we may, read parameters. */
static void
connect_step(Request *req, JsonNode *result, const GError *qmp_error)
{
    CvTargetQmp *self = req->self;
    g_autoptr(GError) error = NULL;

    switch (req->stage) {
    case STAGE_CONNECT:
        if (qmp_error != NULL) {
            error =
                g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT,
                            "cannot connect to QMP socket %s: %s", self->path, qmp_error->message);
            request_finish(req, NULL, error);
            return;
        }
        self->parent.connected = TRUE;
        req->stage = STAGE_CAPABILITIES;
        request_send(req, "query-migrate-capabilities", NULL);
        return;
    case STAGE_CAPABILITIES:
        if (qmp_error != NULL ||
            !cv_qmp_parse_query_migrate_capabilities(result, &req->params, &error)) {
            g_autoptr(GError) e = reply_error(req->command, qmp_error, error);

            request_finish(req, NULL, e);
            return;
        }
        if (req->params.events == CV_TRI_YES) {
            self->parent.events = TRUE;
        } else if (self->enable_events) {
            g_autoptr(JsonObject) args = events_capability_args();

            req->stage = STAGE_SET_EVENTS;
            request_send(req, "migrate-set-capabilities", args);
            return;
        } else {
            self->parent.events = FALSE;
            g_free(self->parent.events_note);
            self->parent.events_note = g_strdup("migration events not enabled");
        }
        req->stage = STAGE_PARAMETERS;
        request_send(req, "query-migrate-parameters", NULL);
        return;
    case STAGE_SET_EVENTS:
        if (qmp_error != NULL) {
            error = error_from_qmp(qmp_error);
            if (cv_target_error_is_gone(error)) {
                request_finish(req, NULL, error);
                return;
            }
            /* QEMU refuses capability changes while a migration runs: poll instead. */
            self->parent.events = FALSE;
            g_free(self->parent.events_note);
            self->parent.events_note =
                g_strdup_printf("cannot enable migration events (%s)", qmp_error->message);
        } else {
            self->parent.events = TRUE;
            req->params.events = CV_TRI_YES;
        }
        req->stage = STAGE_PARAMETERS;
        request_send(req, "query-migrate-parameters", NULL);
        return;
    case STAGE_PARAMETERS:
        if (qmp_error != NULL ||
            !cv_qmp_parse_query_migrate_parameters(result, &req->params, &error)) {
            g_autoptr(GError) e = reply_error(req->command, qmp_error, error);

            request_finish(req, NULL, e);
            return;
        }
        connect_finish(req);
        return;
    case STAGE_NONE:
    default:
        g_assert_not_reached();
    }
}

/* query_params: parameters, then capabilities; refresh_params: parameters only. */
static void
params_step(Request *req, JsonNode *result, const GError *qmp_error)
{
    g_autoptr(GError) error = NULL;

    if (qmp_error != NULL) {
        error = error_from_qmp(qmp_error);
        request_finish(req, NULL, error);
        return;
    }
    if (req->stage == STAGE_PARAMETERS) {
        if (!cv_qmp_parse_query_migrate_parameters(result, &req->params, &error)) {
            g_autoptr(GError) e = reply_error(req->command, NULL, error);

            request_finish(req, NULL, e);
            return;
        }
        req->self->switchover_supported = cv_params_supports_switchover_bandwidth(&req->params);
        if (req->params_only) {
            request_finish(req, NULL, NULL);
            return;
        }
        req->stage = STAGE_CAPABILITIES;
        request_send(req, "query-migrate-capabilities", NULL);
        return;
    }
    if (!cv_qmp_parse_query_migrate_capabilities(result, &req->params, &error)) {
        g_autoptr(GError) e = reply_error(req->command, NULL, error);

        request_finish(req, NULL, e);
        return;
    }
    request_finish(req, NULL, NULL);
}

static void
reply_cb(CvQmpClient *client, JsonNode *result, const GError *qmp_error, gpointer user_data)
{
    Request *req = user_data;
    g_autoptr(GError) error = NULL;

    if (req->self == NULL) {
        /* The target is being freed; it frees the request afterwards. */
        req->called = TRUE;
        return;
    }
    if (qmp_error != NULL)
        g_debug("%s: <- %s: %s", req->self->path, req->command, qmp_error->message);
    if (req->stage != STAGE_NONE && req->kind == REQUEST_DONE) {
        connect_step(req, result, qmp_error);
        return;
    }
    if (req->kind == REQUEST_PARAMS) {
        params_step(req, result, qmp_error);
        return;
    }
    if (qmp_error != NULL) {
        error = error_from_qmp(qmp_error);
        request_finish(req, NULL, error);
        return;
    }
    if (req->kind == REQUEST_SAMPLE) {
        CvSample sample;

        cv_sample_init(&sample);
        if (!cv_qmp_parse_query_migrate(result, &sample, &error)) {
            g_autoptr(GError) e = reply_error(req->command, NULL, error);

            request_finish(req, NULL, e);
            return;
        }
        request_finish(req, &sample, NULL);
        return;
    }
    request_finish(req, NULL, NULL);
}

static void
event_cb(CvQmpClient *client, const CvQmpMessage *message, gpointer user_data)
{
    CvTargetQmp *self = user_data;
    CvQmpEvent qev = {0};
    CvTargetEvent ev = {0};
    g_autoptr(GError) error = NULL;

    if (!cv_qmp_parse_event(message, &qev, &error)) {
        g_debug("%s: ignoring malformed event: %s", self->path, error->message);
        return;
    }
    switch (qev.kind) {
    case CV_QMP_EVENT_MIGRATION:
        ev.kind = CV_TARGET_EVENT_STATUS;
        ev.status = qev.status;
        break;
    case CV_QMP_EVENT_MIGRATION_PASS:
        if (!cv_field_valid(&qev.pass))
            return;
        ev.kind = CV_TARGET_EVENT_PASS;
        ev.pass = qev.pass.value;
        break;
    case CV_QMP_EVENT_STOP:
        ev.kind = CV_TARGET_EVENT_STOP;
        break;
    case CV_QMP_EVENT_RESUME:
        ev.kind = CV_TARGET_EVENT_RESUME;
        break;
    case CV_QMP_EVENT_SHUTDOWN:
    case CV_QMP_EVENT_UNKNOWN:
    default:
        /* SHUTDOWN: the socket closes next, and that is what we report. */
        return;
    }
    cv_target_emit_event(&self->parent, &ev);
}

static void
closed_cb(CvQmpClient *client, const GError *qmp_error, gpointer user_data)
{
    CvTargetQmp *self = user_data;
    g_autoptr(GError) error = NULL;
    CvTargetEvent ev = {.kind = CV_TARGET_EVENT_CLOSED};

    if (self->gone)
        return;
    self->gone = TRUE;
    self->parent.connected = FALSE;
    if (qmp_error != NULL && g_error_matches(qmp_error, CV_QMP_ERROR, CV_QMP_ERROR_TIMEOUT))
        error = g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT,
                            "QEMU stopped answering on %s: %s", self->path, qmp_error->message);
    else
        error = g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED, "QEMU went away (%s): %s",
                            self->path, qmp_error != NULL ? qmp_error->message : "closed");
    ev.error = error;
    cv_target_emit_event(&self->parent, &ev);
}

static void event_cb(CvQmpClient *client, const CvQmpMessage *message, gpointer user_data);
static void closed_cb(CvQmpClient *client, const GError *qmp_error, gpointer user_data);

/* A fresh client for a new connection: nothing of the old one (a greeting, bytes of commands
 * that timed out, a half-read line) carries over. The old one has no command left: close()
 * failed them all. */
static void
qmp_new_client(CvTargetQmp *self)
{
    if (self->client != NULL) {
        cv_qmp_client_set_event_func(self->client, NULL, NULL);
        cv_qmp_client_set_closed_func(self->client, NULL, NULL);
        g_clear_pointer(&self->client, cv_qmp_client_free);
    }
    self->client = cv_qmp_client_new(self->parent.context);
    cv_qmp_client_set_timeout(self->client, self->timeout_ms);
    cv_qmp_client_set_event_func(self->client, event_cb, self);
    cv_qmp_client_set_closed_func(self->client, closed_cb, self);
}

static void
qmp_connect(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    CvTargetQmp *self = qmp_self(target);
    Request *req = request_new(self, REQUEST_DONE, "connect", func, user_data);

    g_ptr_array_add(self->pending, req);
    if (target->connected && !self->gone) {
        request_fail_later(req, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT,
                                            "%s: already connected", self->path));
        return;
    }
    if (self->gone) {
        /* a reconnect, after close() or the peer hanging up */
        qmp_new_client(self);
        self->gone = FALSE;
        target->connected = FALSE;
        target->events = FALSE;
    }
    req->stage = STAGE_CONNECT;
    cv_qmp_client_connect(self->client, self->path, reply_cb, req);
}

static void
qmp_query_migrate(CvTarget *target, CvTargetSampleFunc func, gpointer user_data)
{
    CvTargetQmp *self = qmp_self(target);
    Request *req = request_new(self, REQUEST_SAMPLE, "query-migrate", func, user_data);

    g_ptr_array_add(self->pending, req);
    if (target_usable(self, req))
        request_send(req, "query-migrate", NULL);
}

static void
qmp_query_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    CvTargetQmp *self = qmp_self(target);
    Request *req = request_new(self, REQUEST_PARAMS, "query-migrate-parameters", func, user_data);

    g_ptr_array_add(self->pending, req);
    req->stage = STAGE_PARAMETERS;
    if (target_usable(self, req))
        request_send(req, "query-migrate-parameters", NULL);
}

static void
qmp_refresh_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    CvTargetQmp *self = qmp_self(target);
    Request *req = request_new(self, REQUEST_PARAMS, "query-migrate-parameters", func, user_data);

    g_ptr_array_add(self->pending, req);
    req->stage = STAGE_PARAMETERS;
    req->params_only = TRUE;
    if (target_usable(self, req))
        request_send(req, "query-migrate-parameters", NULL);
}

static void
send_simple(CvTarget *target, const gchar *command, JsonObject *args, CvTargetDoneFunc func,
            gpointer user_data)
{
    CvTargetQmp *self = qmp_self(target);
    Request *req = request_new(self, REQUEST_DONE, command, func, user_data);

    g_ptr_array_add(self->pending, req);
    if (target_usable(self, req))
        request_send(req, command, args);
}

static void
qmp_set_downtime_limit(CvTarget *target, guint64 ms, CvTargetDoneFunc func, gpointer user_data)
{
    g_autoptr(JsonObject) args = json_object_new();

    json_object_set_int_member(args, "downtime-limit", (gint64)ms);
    send_simple(target, "migrate-set-parameters", args, func, user_data);
}

static void
qmp_set_switchover_bandwidth(CvTarget *target, guint64 bytes_per_s, CvTargetDoneFunc func,
                             gpointer user_data)
{
    CvTargetQmp *self = qmp_self(target);
    g_autoptr(JsonObject) args = NULL;

    if (target->connected && !self->switchover_supported) {
        Request *req = request_new(self, REQUEST_DONE, "migrate-set-parameters", func, user_data);

        g_ptr_array_add(self->pending, req);
        request_fail_later(req, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_NOT_SUPPORTED,
                                            "QEMU %s has no avail-switchover-bandwidth; not sent",
                                            target->version != NULL ? target->version : "(old)"));
        return;
    }
    args = json_object_new();
    json_object_set_int_member(args, "avail-switchover-bandwidth",
                               (gint64)MIN(bytes_per_s, (guint64)G_MAXINT64));
    send_simple(target, "migrate-set-parameters", args, func, user_data);
}

static void
qmp_start_postcopy(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    send_simple(target, "migrate-start-postcopy", NULL, func, user_data);
}

static void
qmp_stop_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    send_simple(target, "stop", NULL, func, user_data);
}

static void
qmp_resume_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    send_simple(target, "cont", NULL, func, user_data);
}

static void
qmp_cancel(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    send_simple(target, "migrate_cancel", NULL, func, user_data);
}

static void
qmp_migrate(CvTarget *target, const gchar *uri, CvTargetDoneFunc func, gpointer user_data)
{
    g_autoptr(JsonObject) args = json_object_new();

    json_object_set_string_member(args, "uri", uri);
    send_simple(target, "migrate", args, func, user_data);
}

static void
qmp_close(CvTarget *target)
{
    CvTargetQmp *self = qmp_self(target);

    /* also mid-connect: a connect in progress fails with CLOSED */
    if (self->client != NULL)
        cv_qmp_client_close(self->client);
    self->gone = TRUE;
    target->connected = FALSE;
}

static void
qmp_free(CvTarget *target)
{
    CvTargetQmp *self = qmp_self(target);
    g_autoptr(GPtrArray) pending = g_steal_pointer(&self->pending);

    /* Orphan what is in flight: replies that the client still delivers while it shuts down are
     * dropped, and every request is freed here once the client can no longer call back. */
    for (guint i = 0; i < pending->len; i++) {
        Request *req = g_ptr_array_index(pending, i);

        req->self = NULL;
        if (req->deferred != NULL)
            g_source_destroy(req->deferred);
    }
    cv_qmp_client_set_event_func(self->client, NULL, NULL);
    cv_qmp_client_set_closed_func(self->client, NULL, NULL);
    g_clear_pointer(&self->client, cv_qmp_client_free);
    g_ptr_array_set_free_func(pending, g_free);
    g_free(self->path);
    g_free(self);
}

static const CvTargetClass qmp_class = {
    .name = "qmp",
    .connect = qmp_connect,
    .query_migrate = qmp_query_migrate,
    .query_params = qmp_query_params,
    .refresh_params = qmp_refresh_params,
    .set_downtime_limit = qmp_set_downtime_limit,
    .set_switchover_bandwidth = qmp_set_switchover_bandwidth,
    .start_postcopy = qmp_start_postcopy,
    .stop_guest = qmp_stop_guest,
    .resume_guest = qmp_resume_guest,
    .cancel = qmp_cancel,
    .migrate = qmp_migrate,
    .close = qmp_close,
    .free = qmp_free,
};

CvTarget *
cv_target_qmp_new(const gchar *socket_path, GMainContext *context)
{
    CvTargetQmp *self;
    g_autofree gchar *description = NULL;

    g_return_val_if_fail(socket_path != NULL, NULL);
    self = g_new0(CvTargetQmp, 1);
    description = g_strdup_printf("qmp:%s", socket_path);
    cv_target_init(&self->parent, &qmp_class, context, description);
    self->path = g_strdup(socket_path);
    self->enable_events = TRUE;
    self->timeout_ms = 10000;
    self->pending = g_ptr_array_new();
    qmp_new_client(self);
    return &self->parent;
}

void
cv_target_qmp_set_timeout(CvTarget *target, guint timeout_ms)
{
    CvTargetQmp *self = qmp_self(target);

    self->timeout_ms = timeout_ms;
    cv_qmp_client_set_timeout(self->client, timeout_ms);
}

void
cv_target_qmp_set_enable_events(CvTarget *target, gboolean enable)
{
    qmp_self(target)->enable_events = enable;
}
