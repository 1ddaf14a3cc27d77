#include "config.h"

#include <string.h>

#include "cv-target-fake.h"
#include "cv-target-private.h"

typedef struct {
    CvTarget parent;
    CvSample sample;
    CvParams params;
    gboolean events;
    gboolean gone; /* this connection is closed */
    gboolean dead; /* QEMU exited: no new connection either */
    gboolean hung; /* this connection answers nothing: every command times out */
    gboolean hold;
    gchar *hold_command; /* replies held from the first one of this command on */
    gboolean paused;     /* the guest's vCPUs are stopped (stop, cont) */
    /* Changes that land after the command named here was applied, before its reply. */
    gchar *after_command;
    GPtrArray *after; /* PendingChange */
    GPtrArray *log;
    GHashTable *counts;   /* command -> count */
    GHashTable *failures; /* command -> Failure */
    GQueue *replies;      /* Reply, in order */
    GSource *idle;
    /* Outside changes to make just before the next parameter read is answered. */
    GPtrArray *on_read; /* PendingChange */
} CvTargetFake;

typedef struct {
    gchar *name;
    guint64 value;
} PendingChange;

static void
pending_change_free(PendingChange *change)
{
    g_free(change->name);
    g_free(change);
}

static void
change_param(CvTargetFake *self, const gchar *name, guint64 value)
{
    if (g_str_equal(name, "downtime-limit"))
        cv_field_set(&self->params.downtime_limit_ms, value);
    else if (g_str_equal(name, "max-bandwidth"))
        cv_field_set(&self->params.max_bandwidth, value);
    else if (g_str_equal(name, "avail-switchover-bandwidth"))
        cv_field_set(&self->params.avail_switchover_bandwidth, value);
    else
        g_assert_not_reached();
}

typedef struct {
    guint count;
    CvTargetErrorCode code;
    gboolean applied; /* QEMU did it; only the reply is lost */
} Failure;

typedef enum {
    REPLY_DONE = 0,
    REPLY_SAMPLE,
    REPLY_PARAMS,
} ReplyKind;

typedef struct {
    ReplyKind kind;
    gchar *command;
    gpointer func;
    gpointer user_data;
    GError *error;
    gboolean applied; /* the command takes effect although the reply is an error */
    guint64 value;
} Reply;

static const CvTargetClass fake_class;

static CvTargetFake *
fake_self(CvTarget *target)
{
    g_assert(target != NULL && target->klass == &fake_class);
    return (CvTargetFake *)target;
}

static void
reply_free(Reply *reply)
{
    g_clear_error(&reply->error);
    g_free(reply->command);
    g_free(reply);
}

/* Side effects happen when the reply is delivered, as QEMU applies a command before it
 * answers. */
static void
reply_deliver(CvTargetFake *self, Reply *reply)
{
    CvTarget *target = &self->parent;

    if (g_str_equal(reply->command, "connect")) {
        if (reply->error == NULL && self->dead)
            reply->error = g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT,
                                       "cannot connect: QEMU is gone (fake)");
        if (reply->error == NULL) {
            /* a new connection: whatever hung or closed the old one is behind us */
            self->gone = FALSE;
            self->hung = FALSE;
            target->connected = TRUE;
        }
    } else if (reply->error == NULL && self->gone) {
        reply->error = g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED, "%s: QEMU went away",
                                   reply->command);
    }
    if (reply->error == NULL || reply->applied) {
        if (g_str_equal(reply->command, "set-downtime-limit"))
            cv_field_set(&self->params.downtime_limit_ms, reply->value);
        else if (g_str_equal(reply->command, "set-switchover-bandwidth"))
            cv_field_set(&self->params.avail_switchover_bandwidth, reply->value);
        else if (g_str_equal(reply->command, "stop"))
            self->paused = TRUE;
        else if (g_str_equal(reply->command, "cont"))
            self->paused = FALSE;
        if (g_strcmp0(reply->command, self->after_command) == 0) {
            for (guint i = 0; i < self->after->len; i++) {
                const PendingChange *change = g_ptr_array_index(self->after, i);

                change_param(self, change->name, change->value);
            }
            g_ptr_array_set_size(self->after, 0);
            g_clear_pointer(&self->after_command, g_free);
        }
    }
    switch (reply->kind) {
    case REPLY_DONE:
        if (reply->func != NULL)
            ((CvTargetDoneFunc)reply->func)(target, reply->error, reply->user_data);
        break;
    case REPLY_SAMPLE: {
        CvSample s = self->sample;

        s.time_ms = 0;
        if (reply->func != NULL)
            ((CvTargetSampleFunc)reply->func)(target, reply->error == NULL ? &s : NULL,
                                              reply->error, reply->user_data);
        break;
    }
    case REPLY_PARAMS: {
        CvParams p;

        for (guint i = 0; i < self->on_read->len; i++) {
            const PendingChange *change = g_ptr_array_index(self->on_read, i);

            change_param(self, change->name, change->value);
        }
        g_ptr_array_set_size(self->on_read, 0);
        p = self->params;
        if (g_str_equal(reply->command, "refresh-params")) {
            /* Parameters only: the capabilities are not read again. */
            p.postcopy_ram = CV_TRI_UNKNOWN;
            p.events = CV_TRI_UNKNOWN;
        } else {
            p.events = self->events ? CV_TRI_YES : CV_TRI_NO;
        }
        if (reply->func != NULL)
            ((CvTargetParamsFunc)reply->func)(target, reply->error == NULL ? &p : NULL,
                                              reply->error, reply->user_data);
        break;
    }
    default:
        g_assert_not_reached();
    }
    reply_free(reply);
}

static gboolean
idle_cb(gpointer user_data)
{
    CvTargetFake *self = user_data;

    if (self->hold ||
        (self->hold_command != NULL && !g_queue_is_empty(self->replies) &&
         g_str_equal(((Reply *)g_queue_peek_head(self->replies))->command, self->hold_command))) {
        /* cv_target_fake_hold(FALSE) schedules again. */
        self->idle = NULL;
        return G_SOURCE_REMOVE;
    }
    /* One reply per dispatch: like a socket, the next one comes on a later iteration. */
    if (!g_queue_is_empty(self->replies))
        reply_deliver(self, g_queue_pop_head(self->replies));
    if (!g_queue_is_empty(self->replies))
        return G_SOURCE_CONTINUE;
    self->idle = NULL;
    return G_SOURCE_REMOVE;
}

static void
schedule(CvTargetFake *self)
{
    if (self->idle != NULL || self->hold)
        return;
    self->idle = g_idle_source_new();
    g_source_set_callback(self->idle, idle_cb, self, NULL);
    g_source_attach(self->idle, self->parent.context);
    g_source_unref(self->idle);
}

static void
queue_reply(CvTargetFake *self, ReplyKind kind, const gchar *command, guint64 value,
            gboolean has_value, gpointer func, gpointer user_data)
{
    Reply *reply = g_new0(Reply, 1);
    Failure *failure = g_hash_table_lookup(self->failures, command);
    guint count = GPOINTER_TO_UINT(g_hash_table_lookup(self->counts, command));

    g_hash_table_insert(self->counts, g_strdup(command), GUINT_TO_POINTER(count + 1));
    if (has_value)
        g_ptr_array_add(self->log, g_strdup_printf("%s %" G_GUINT64_FORMAT, command, value));
    else
        g_ptr_array_add(self->log, g_strdup(command));
    reply->kind = kind;
    reply->command = g_strdup(command);
    reply->func = func;
    reply->user_data = user_data;
    reply->value = value;
    if (g_strcmp0(command, "connect") != 0 && !self->parent.connected && !self->gone)
        reply->error = g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_NOT_CONNECTED,
                                   "%s: not connected", command);
    else if (failure != NULL && failure->count > 0) {
        failure->count--;
        reply->applied = failure->applied;
        reply->error = g_error_new(CV_TARGET_ERROR, failure->code, "%s: injected failure", command);
    } else if (self->hung && g_strcmp0(command, "connect") != 0 && !self->gone) {
        reply->error = g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT,
                                   "%s: no reply from QEMU within 10000 ms (fake)", command);
    }
    g_queue_push_tail(self->replies, reply);
    schedule(self);
}

static void
fake_connect(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    CvTargetFake *self = fake_self(target);

    target->events = self->events;
    queue_reply(self, REPLY_DONE, "connect", 0, FALSE, func, user_data);
}

static void
fake_query_migrate(CvTarget *target, CvTargetSampleFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_SAMPLE, "query-migrate", 0, FALSE, func, user_data);
}

static void
fake_query_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_PARAMS, "query-params", 0, FALSE, func, user_data);
}

static void
fake_refresh_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_PARAMS, "refresh-params", 0, FALSE, func, user_data);
}

static void
fake_set_downtime_limit(CvTarget *target, guint64 ms, CvTargetDoneFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_DONE, "set-downtime-limit", ms, TRUE, func, user_data);
}

static void
fake_set_switchover_bandwidth(CvTarget *target, guint64 bps, CvTargetDoneFunc func,
                              gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_DONE, "set-switchover-bandwidth", bps, TRUE, func,
                user_data);
}

static void
fake_start_postcopy(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_DONE, "start-postcopy", 0, FALSE, func, user_data);
}

static void
fake_stop_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_DONE, "stop", 0, FALSE, func, user_data);
}

static void
fake_resume_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_DONE, "cont", 0, FALSE, func, user_data);
}

static void
fake_cancel(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_DONE, "cancel", 0, FALSE, func, user_data);
}

static void
fake_migrate(CvTarget *target, const gchar *uri, CvTargetDoneFunc func, gpointer user_data)
{
    queue_reply(fake_self(target), REPLY_DONE, "migrate", 0, FALSE, func, user_data);
}

static void
fake_close(CvTarget *target)
{
    CvTargetFake *self = fake_self(target);

    self->gone = TRUE;
    target->connected = FALSE;
    g_hash_table_insert(self->counts, g_strdup("close"),
                        GUINT_TO_POINTER(cv_target_fake_count(target, "close") + 1));
}

static void
fake_free(CvTarget *target)
{
    CvTargetFake *self = fake_self(target);

    if (self->idle != NULL)
        g_source_destroy(self->idle);
    g_queue_free_full(self->replies, (GDestroyNotify)reply_free);
    g_ptr_array_unref(self->log);
    g_hash_table_unref(self->counts);
    g_hash_table_unref(self->failures);
    g_ptr_array_unref(self->on_read);
    g_ptr_array_unref(self->after);
    g_free(self->after_command);
    g_free(self->hold_command);
    g_free(self);
}

static const CvTargetClass fake_class = {
    .name = "fake",
    .connect = fake_connect,
    .query_migrate = fake_query_migrate,
    .query_params = fake_query_params,
    .refresh_params = fake_refresh_params,
    .set_downtime_limit = fake_set_downtime_limit,
    .set_switchover_bandwidth = fake_set_switchover_bandwidth,
    .start_postcopy = fake_start_postcopy,
    .stop_guest = fake_stop_guest,
    .resume_guest = fake_resume_guest,
    .cancel = fake_cancel,
    .migrate = fake_migrate,
    .close = fake_close,
    .free = fake_free,
};

CvTarget *
cv_target_fake_new(GMainContext *context)
{
    CvTargetFake *self = g_new0(CvTargetFake, 1);

    cv_target_init(&self->parent, &fake_class, context, "fake:");
    self->parent.version = g_strdup("11.1.0");
    cv_sample_init(&self->sample);
    self->sample.status = CV_MIGRATION_STATUS_NONE;
    cv_params_init(&self->params);
    cv_field_set(&self->params.downtime_limit_ms, 300);
    cv_field_set(&self->params.max_bandwidth, 134217728);
    cv_field_set(&self->params.avail_switchover_bandwidth, 0);
    self->events = TRUE;
    self->log = g_ptr_array_new_with_free_func(g_free);
    self->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    self->failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    self->replies = g_queue_new();
    self->on_read = g_ptr_array_new_with_free_func((GDestroyNotify)pending_change_free);
    self->after = g_ptr_array_new_with_free_func((GDestroyNotify)pending_change_free);
    return &self->parent;
}

void
cv_target_fake_set_sample(CvTarget *target, const CvSample *sample)
{
    fake_self(target)->sample = *sample;
}

CvSample *
cv_target_fake_get_sample(CvTarget *target)
{
    return &fake_self(target)->sample;
}

void
cv_target_fake_set_params(CvTarget *target, const CvParams *params)
{
    fake_self(target)->params = *params;
}

const CvParams *
cv_target_fake_get_params(CvTarget *target)
{
    return &fake_self(target)->params;
}

void
cv_target_fake_set_events(CvTarget *target, gboolean events)
{
    fake_self(target)->events = events;
}

void
cv_target_fake_change_param(CvTarget *target, const gchar *name, guint64 value)
{
    change_param(fake_self(target), name, value);
}

void
cv_target_fake_change_param_on_read(CvTarget *target, const gchar *name, guint64 value)
{
    PendingChange *change = g_new0(PendingChange, 1);

    change->name = g_strdup(name);
    change->value = value;
    g_ptr_array_add(fake_self(target)->on_read, change);
}

void
cv_target_fake_emit_pass(CvTarget *target, guint64 pass)
{
    CvTargetEvent ev = {.kind = CV_TARGET_EVENT_PASS, .pass = pass};

    if (fake_self(target)->events && !fake_self(target)->gone)
        cv_target_emit_event(target, &ev);
}

void
cv_target_fake_emit_status(CvTarget *target, CvMigrationStatus status)
{
    CvTargetEvent ev = {.kind = CV_TARGET_EVENT_STATUS, .status = status};

    if (fake_self(target)->events && !fake_self(target)->gone)
        cv_target_emit_event(target, &ev);
}

static void
close_from_peer(CvTargetFake *self, const gchar *why)
{
    g_autoptr(GError) error =
        g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED, "QEMU went away (fake): %s", why);
    CvTargetEvent ev = {.kind = CV_TARGET_EVENT_CLOSED, .error = error};

    if (self->gone)
        return;
    self->gone = TRUE;
    self->parent.connected = FALSE;
    cv_target_emit_event(&self->parent, &ev);
}

void
cv_target_fake_vanish(CvTarget *target)
{
    fake_self(target)->dead = TRUE;
    close_from_peer(fake_self(target), "connection closed");
}

void
cv_target_fake_drop_connection(CvTarget *target)
{
    close_from_peer(fake_self(target), "connection dropped");
}

void
cv_target_fake_hang(CvTarget *target)
{
    fake_self(target)->hung = TRUE;
}

void
cv_target_fake_set_dead(CvTarget *target, gboolean dead)
{
    fake_self(target)->dead = dead;
}

gboolean
cv_target_fake_is_paused(CvTarget *target)
{
    return fake_self(target)->paused;
}

void
cv_target_fake_change_param_after(CvTarget *target, const gchar *command, const gchar *name,
                                  guint64 value)
{
    CvTargetFake *self = fake_self(target);
    PendingChange *change = g_new0(PendingChange, 1);

    change->name = g_strdup(name);
    change->value = value;
    g_free(self->after_command);
    self->after_command = g_strdup(command);
    g_ptr_array_add(self->after, change);
}

void
cv_target_fake_fail(CvTarget *target, const gchar *command, guint count, CvTargetErrorCode code)
{
    Failure *failure = g_new0(Failure, 1);

    failure->count = count;
    failure->code = code;
    g_hash_table_insert(fake_self(target)->failures, g_strdup(command), failure);
}

void
cv_target_fake_lose_reply(CvTarget *target, const gchar *command)
{
    Failure *failure = g_new0(Failure, 1);

    failure->count = 1;
    failure->code = CV_TARGET_ERROR_TIMEOUT;
    failure->applied = TRUE;
    g_hash_table_insert(fake_self(target)->failures, g_strdup(command), failure);
}

void
cv_target_fake_garble_reply(CvTarget *target, const gchar *command)
{
    Failure *failure = g_new0(Failure, 1);

    failure->count = 1;
    failure->code = CV_TARGET_ERROR_INVALID_REPLY;
    failure->applied = TRUE;
    g_hash_table_insert(fake_self(target)->failures, g_strdup(command), failure);
}

void
cv_target_fake_hold_command(CvTarget *target, const gchar *command)
{
    CvTargetFake *self = fake_self(target);

    g_free(self->hold_command);
    self->hold_command = g_strdup(command);
    if (command == NULL && !g_queue_is_empty(self->replies))
        schedule(self);
}

void
cv_target_fake_hold(CvTarget *target, gboolean hold)
{
    CvTargetFake *self = fake_self(target);

    self->hold = hold;
    if (!hold && !g_queue_is_empty(self->replies))
        schedule(self);
}

guint
cv_target_fake_count(CvTarget *target, const gchar *command)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(fake_self(target)->counts, command));
}

const GPtrArray *
cv_target_fake_log(CvTarget *target)
{
    return fake_self(target)->log;
}
