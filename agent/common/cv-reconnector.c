#include "config.h"

#include "cv-reconnector.h"

struct _CvReconnector {
    CvTarget *target;
    CvClock *clock;
    gboolean running;
    guint max_tries;
    guint tries;
    guint timeouts;     /* commands timed out in a row */
    guint n_reconnects; /* runs that ended connected */
    GSource *wait_source;
    CvReconnectorDoneFunc done_func;
    CvReconnectorRetryFunc retry_func;
    gpointer user_data;
};

CvReconnector *
cv_reconnector_new(CvTarget *target, CvClock *clock)
{
    CvReconnector *self;

    g_return_val_if_fail(target != NULL && clock != NULL, NULL);
    self = g_new0(CvReconnector, 1);
    self->target = target;
    self->clock = clock;
    return self;
}

void
cv_reconnector_cancel(CvReconnector *reconnector)
{
    g_return_if_fail(reconnector != NULL);
    reconnector->running = FALSE;
    if (reconnector->wait_source != NULL) {
        g_source_destroy(reconnector->wait_source);
        reconnector->wait_source = NULL;
    }
    cv_target_forget(reconnector->target, reconnector);
}

void
cv_reconnector_free(CvReconnector *reconnector)
{
    if (reconnector == NULL)
        return;
    cv_reconnector_cancel(reconnector);
    g_free(reconnector);
}

static void try_once(CvReconnector *self);

static gboolean
wait_cb(gpointer user_data)
{
    CvReconnector *self = user_data;

    self->wait_source = NULL;
    try_once(self);
    return G_SOURCE_REMOVE;
}

static void
failed(CvReconnector *self, const GError *error)
{
    guint64 wait;

    /* whatever the failed try left half open goes before the next */
    cv_target_close(self->target);
    if (self->tries >= self->max_tries) {
        self->running = FALSE;
        self->done_func(self, NULL, error, self->user_data);
        return;
    }
    wait = (guint64)CV_RECONNECTOR_BACKOFF_MS << MIN(self->tries - 1, 10u);
    if (self->retry_func != NULL)
        self->retry_func(self, error, wait, self->user_data);
    self->wait_source = cv_clock_timeout_add(self->clock, cv_target_get_context(self->target),
                                             (guint)wait, wait_cb, self);
}

static void
params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    CvReconnector *self = user_data;

    if (error != NULL) {
        failed(self, error);
        return;
    }
    self->running = FALSE;
    self->n_reconnects++;
    self->timeouts = 0;
    self->done_func(self, params, NULL, self->user_data);
}

static void
connect_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvReconnector *self = user_data;

    if (error != NULL) {
        failed(self, error);
        return;
    }
    cv_target_query_params(self->target, params_cb, self);
}

static void
try_once(CvReconnector *self)
{
    self->tries++;
    cv_target_connect(self->target, connect_cb, self);
}

void
cv_reconnector_start(CvReconnector *reconnector, guint max_tries, CvReconnectorDoneFunc done_func,
                     CvReconnectorRetryFunc retry_func, gpointer user_data)
{
    g_return_if_fail(reconnector != NULL && done_func != NULL && max_tries >= 1);
    cv_reconnector_cancel(reconnector);
    reconnector->running = TRUE;
    reconnector->max_tries = max_tries;
    reconnector->tries = 0;
    reconnector->done_func = done_func;
    reconnector->retry_func = retry_func;
    reconnector->user_data = user_data;
    cv_target_close(reconnector->target);
    try_once(reconnector);
}

gboolean
cv_reconnector_is_running(const CvReconnector *reconnector)
{
    g_return_val_if_fail(reconnector != NULL, FALSE);
    return reconnector->running;
}

guint
cv_reconnector_get_n_tries(const CvReconnector *reconnector)
{
    g_return_val_if_fail(reconnector != NULL, 0);
    return reconnector->tries;
}

gboolean
cv_reconnector_note_timeout(CvReconnector *reconnector)
{
    g_return_val_if_fail(reconnector != NULL, FALSE);
    return ++reconnector->timeouts >= CV_RECONNECTOR_MAX_TIMEOUTS;
}

void
cv_reconnector_note_answer(CvReconnector *reconnector)
{
    g_return_if_fail(reconnector != NULL);
    reconnector->timeouts = 0;
}

guint
cv_reconnector_get_n_reconnects(const CvReconnector *reconnector)
{
    g_return_val_if_fail(reconnector != NULL, 0);
    return reconnector->n_reconnects;
}

gboolean
cv_reconnector_is_exhausted(const CvReconnector *reconnector)
{
    g_return_val_if_fail(reconnector != NULL, TRUE);
    return reconnector->n_reconnects >= CV_RECONNECTOR_MAX_RECONNECTS;
}
