#include "config.h"

#include "cv-target-private.h"

/* Written by hand: G_DEFINE_QUARK does not take a dashed name. */
GQuark
cv_target_error_quark(void)
{
    static GQuark quark;

    if (G_UNLIKELY(quark == 0))
        quark = g_quark_from_static_string("cv-target-error-quark");
    return quark;
}

gboolean
cv_target_error_is_gone(const GError *error)
{
    return error != NULL && (g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED) ||
                             g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT));
}

void
cv_target_init(CvTarget *target, const CvTargetClass *klass, GMainContext *context,
               const gchar *description)
{
    target->klass = klass;
    target->context =
        context != NULL ? g_main_context_ref(context) : g_main_context_ref_thread_default();
    target->description = g_strdup(description);
}

void
cv_target_emit_event(CvTarget *target, const CvTargetEvent *event)
{
    if (target->event_func != NULL)
        target->event_func(target, event, target->event_data);
}

void
cv_target_set_event_func(CvTarget *target, CvTargetEventFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->event_func = func;
    target->event_data = user_data;
}

void
cv_target_connect(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->connect(target, func, user_data);
}

void
cv_target_query_migrate(CvTarget *target, CvTargetSampleFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->query_migrate(target, func, user_data);
}

void
cv_target_query_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->query_params(target, func, user_data);
}

void
cv_target_refresh_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    if (target->klass->refresh_params != NULL)
        target->klass->refresh_params(target, func, user_data);
    else
        target->klass->query_params(target, func, user_data);
}

void
cv_target_set_downtime_limit(CvTarget *target, guint64 ms, CvTargetDoneFunc func,
                             gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->set_downtime_limit(target, ms, func, user_data);
}

void
cv_target_set_switchover_bandwidth(CvTarget *target, guint64 bytes_per_s, CvTargetDoneFunc func,
                                   gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->set_switchover_bandwidth(target, bytes_per_s, func, user_data);
}

void
cv_target_start_postcopy(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->start_postcopy(target, func, user_data);
}

void
cv_target_stop_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->stop_guest(target, func, user_data);
}

void
cv_target_resume_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->resume_guest(target, func, user_data);
}

void
cv_target_cancel(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->cancel(target, func, user_data);
}

void
cv_target_migrate(CvTarget *target, const gchar *uri, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL && uri != NULL);
    target->klass->migrate(target, uri, func, user_data);
}

void
cv_target_close(CvTarget *target)
{
    g_return_if_fail(target != NULL);
    target->klass->close(target);
}

void
cv_target_unset_event_func(CvTarget *target, CvTargetEventFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    if (target->event_func == func && target->event_data == user_data) {
        target->event_func = NULL;
        target->event_data = NULL;
    }
}

GMainContext *
cv_target_get_context(const CvTarget *target)
{
    g_return_val_if_fail(target != NULL, NULL);
    return target->context;
}

gboolean
cv_target_is_connected(const CvTarget *target)
{
    g_return_val_if_fail(target != NULL, FALSE);
    return target->connected;
}

const gchar *
cv_target_get_events_note(const CvTarget *target)
{
    g_return_val_if_fail(target != NULL, NULL);
    return target->events_note;
}

gboolean
cv_target_has_events(const CvTarget *target)
{
    g_return_val_if_fail(target != NULL, FALSE);
    return target->events;
}

const gchar *
cv_target_get_description(const CvTarget *target)
{
    g_return_val_if_fail(target != NULL, NULL);
    return target->description;
}

const gchar *
cv_target_get_version(const CvTarget *target)
{
    g_return_val_if_fail(target != NULL, NULL);
    return target->version;
}

void
cv_target_free(CvTarget *target)
{
    GMainContext *context;

    if (target == NULL)
        return;
    context = target->context;
    g_clear_pointer(&target->description, g_free);
    g_clear_pointer(&target->version, g_free);
    g_clear_pointer(&target->events_note, g_free);
    target->klass->free(target);
    g_main_context_unref(context);
}

/* The blocking helpers share one shape: a result slot and a done flag. */
typedef struct {
    gboolean done;
    GError *error;
    CvSample sample;
    CvParams params;
} SyncCall;

static void
sync_done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    SyncCall *call = user_data;

    if (error != NULL)
        call->error = g_error_copy(error);
    call->done = TRUE;
}

static void
sync_sample_cb(CvTarget *target, const CvSample *sample, const GError *error, gpointer user_data)
{
    SyncCall *call = user_data;

    if (error != NULL)
        call->error = g_error_copy(error);
    else
        call->sample = *sample;
    call->done = TRUE;
}

static void
sync_params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    SyncCall *call = user_data;

    if (error != NULL)
        call->error = g_error_copy(error);
    else
        call->params = *params;
    call->done = TRUE;
}

static gboolean
sync_wait(CvTarget *target, SyncCall *call, GError **error)
{
    while (!call->done)
        g_main_context_iteration(target->context, TRUE);
    if (call->error != NULL) {
        g_propagate_error(error, call->error);
        call->error = NULL;
        return FALSE;
    }
    return TRUE;
}

gboolean
cv_target_connect_sync(CvTarget *target, GError **error)
{
    SyncCall call = {0};

    cv_target_connect(target, sync_done_cb, &call);
    return sync_wait(target, &call, error);
}

gboolean
cv_target_query_migrate_sync(CvTarget *target, CvSample *sample, GError **error)
{
    SyncCall call = {0};

    cv_target_query_migrate(target, sync_sample_cb, &call);
    if (!sync_wait(target, &call, error))
        return FALSE;
    *sample = call.sample;
    return TRUE;
}

gboolean
cv_target_query_params_sync(CvTarget *target, CvParams *params, GError **error)
{
    SyncCall call = {0};

    cv_target_query_params(target, sync_params_cb, &call);
    if (!sync_wait(target, &call, error))
        return FALSE;
    *params = call.params;
    return TRUE;
}
