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
    return error != NULL && g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED);
}

/* ---- calls in flight ----------------------------------------------------------------------
 *
 * Every operation's callback goes through a Call that the target owns, so an owner can cancel
 * its callbacks (cv_target_forget) and go away: the implementation still calls back, into the
 * Call, which then calls nobody. Calls the implementation never completes (it drops them when
 * it is freed) are freed with the target. */

typedef enum {
    CALL_DONE = 0,
    CALL_SAMPLE,
    CALL_PARAMS,
} CallKind;

typedef struct {
    CvTarget *target;
    CallKind kind;
    gpointer func;
    gpointer user_data;
    gboolean forgotten;
} Call;

static Call *
call_new(CvTarget *target, CallKind kind, gpointer func, gpointer user_data)
{
    Call *call = g_new0(Call, 1);

    call->target = target;
    call->kind = kind;
    call->func = func;
    call->user_data = user_data;
    g_ptr_array_add(target->calls, call);
    return call;
}

/* The implementation is done with @call: take it out of the list. Returns whether its owner
 * still wants the callback. */
static gboolean
call_take(Call *call)
{
    g_ptr_array_remove_fast(call->target->calls, call);
    return !call->forgotten && call->func != NULL;
}

static void
call_done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    g_autofree Call *call = user_data;

    if (call_take(call))
        ((CvTargetDoneFunc)call->func)(target, error, call->user_data);
}

static void
call_sample_cb(CvTarget *target, const CvSample *sample, const GError *error, gpointer user_data)
{
    g_autofree Call *call = user_data;

    if (call_take(call))
        ((CvTargetSampleFunc)call->func)(target, sample, error, call->user_data);
}

static void
call_params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    g_autofree Call *call = user_data;

    if (call_take(call))
        ((CvTargetParamsFunc)call->func)(target, params, error, call->user_data);
}

void
cv_target_forget(CvTarget *target, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    for (guint i = 0; i < target->calls->len; i++) {
        Call *call = g_ptr_array_index(target->calls, i);

        if (call->user_data == user_data)
            call->forgotten = TRUE;
    }
}

void
cv_target_init(CvTarget *target, const CvTargetClass *klass, GMainContext *context,
               const gchar *description)
{
    target->klass = klass;
    target->context =
        context != NULL ? g_main_context_ref(context) : g_main_context_ref_thread_default();
    target->description = g_strdup(description);
    target->calls = g_ptr_array_new();
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
    target->klass->connect(target, call_done_cb, call_new(target, CALL_DONE, func, user_data));
}

void
cv_target_query_migrate(CvTarget *target, CvTargetSampleFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->query_migrate(target, call_sample_cb,
                                 call_new(target, CALL_SAMPLE, func, user_data));
}

void
cv_target_query_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->query_params(target, call_params_cb,
                                call_new(target, CALL_PARAMS, func, user_data));
}

void
cv_target_refresh_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    Call *call;

    g_return_if_fail(target != NULL);
    call = call_new(target, CALL_PARAMS, func, user_data);
    if (target->klass->refresh_params != NULL)
        target->klass->refresh_params(target, call_params_cb, call);
    else
        target->klass->query_params(target, call_params_cb, call);
}

void
cv_target_set_downtime_limit(CvTarget *target, guint64 ms, CvTargetDoneFunc func,
                             gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->set_downtime_limit(target, ms, call_done_cb,
                                      call_new(target, CALL_DONE, func, user_data));
}

void
cv_target_set_switchover_bandwidth(CvTarget *target, guint64 bytes_per_s, CvTargetDoneFunc func,
                                   gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->set_switchover_bandwidth(target, bytes_per_s, call_done_cb,
                                            call_new(target, CALL_DONE, func, user_data));
}

void
cv_target_start_postcopy(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->start_postcopy(target, call_done_cb,
                                  call_new(target, CALL_DONE, func, user_data));
}

void
cv_target_stop_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->stop_guest(target, call_done_cb, call_new(target, CALL_DONE, func, user_data));
}

void
cv_target_resume_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->resume_guest(target, call_done_cb, call_new(target, CALL_DONE, func, user_data));
}

void
cv_target_cancel(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL);
    target->klass->cancel(target, call_done_cb, call_new(target, CALL_DONE, func, user_data));
}

void
cv_target_migrate(CvTarget *target, const gchar *uri, CvTargetDoneFunc func, gpointer user_data)
{
    g_return_if_fail(target != NULL && uri != NULL);
    target->klass->migrate(target, uri, call_done_cb, call_new(target, CALL_DONE, func, user_data));
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
    GPtrArray *calls;

    if (target == NULL)
        return;
    context = target->context;
    g_clear_pointer(&target->description, g_free);
    g_clear_pointer(&target->version, g_free);
    g_clear_pointer(&target->events_note, g_free);
    calls = g_steal_pointer(&target->calls);
    /* The implementation drops the callbacks still in flight; their Calls go with it. */
    target->klass->free(target);
    g_ptr_array_set_free_func(calls, g_free);
    g_ptr_array_unref(calls);
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
