#include "config.h"

#include "cv-sampler.h"

/* Re-reads of a completed migration whose final figures QEMU has not stored yet. */
#define FINAL_RETRIES 10
#define FINAL_RETRY_MS 50

struct _CvSampler {
    CvTarget *target;
    CvClock *clock;
    guint64 poll_interval_ms;
    guint64 min_interval_ms;
    CvSamplerSampleFunc sample_func;
    CvSamplerErrorFunc error_func;
    CvSamplerTickFunc tick_func;
    gpointer user_data;

    gboolean running;
    GSource *poll_source;
    GSource *arm_source;
    GSource *final_source;

    gboolean in_flight;
    CvSampleRead in_flight_read;
    /* After the reply in flight: a query right away (urgent) or on the pass that armed it. */
    gboolean want_query;
    gboolean want_at_pass;

    gboolean saw_pass_events;
    gboolean have_pass_query;
    gint64 last_pass_query_ms;
    gboolean pass_pending; /* an event inside the interval, not read yet */
    gboolean armed;        /* the interval is over: the next event is read at once */

    guint n_queries;
    guint errors;
    guint final_retries;
};

static void
clear_source(GSource **source)
{
    if (*source != NULL) {
        g_source_destroy(*source);
        *source = NULL;
    }
}

CvSampler *
cv_sampler_new(CvTarget *target, CvClock *clock, guint64 poll_interval_ms, guint64 min_interval_ms)
{
    CvSampler *self;

    g_return_val_if_fail(target != NULL && clock != NULL, NULL);
    self = g_new0(CvSampler, 1);
    self->target = target;
    self->clock = clock;
    self->poll_interval_ms = poll_interval_ms > 0 ? poll_interval_ms : 1000;
    self->min_interval_ms = min_interval_ms;
    return self;
}

void
cv_sampler_free(CvSampler *sampler)
{
    if (sampler == NULL)
        return;
    cv_sampler_stop(sampler);
    g_free(sampler);
}

void
cv_sampler_set_funcs(CvSampler *sampler, CvSamplerSampleFunc sample_func,
                     CvSamplerErrorFunc error_func, CvSamplerTickFunc tick_func, gpointer user_data)
{
    g_return_if_fail(sampler != NULL);
    sampler->sample_func = sample_func;
    sampler->error_func = error_func;
    sampler->tick_func = tick_func;
    sampler->user_data = user_data;
}

static void send_query(CvSampler *self, CvSampleRead read);

static void
sample_cb(CvTarget *target, const CvSample *sample, const GError *error, gpointer user_data)
{
    CvSampler *self = user_data;
    CvSampleRead read = self->in_flight_read;

    self->in_flight = FALSE;
    if (error != NULL) {
        self->errors++;
        if (self->error_func != NULL)
            self->error_func(self, error, self->errors, self->user_data);
    } else {
        CvSample s = *sample;

        self->errors = 0;
        s.time_ms = cv_clock_now_ms(self->clock);
        if (self->sample_func != NULL)
            self->sample_func(self, &s, read, self->user_data);
    }
    if (!self->running || self->in_flight)
        return;
    if (self->want_at_pass)
        send_query(self, CV_SAMPLE_READ_AT_PASS);
    else if (self->want_query)
        send_query(self, CV_SAMPLE_READ_POLL);
}

static void
send_query(CvSampler *self, CvSampleRead read)
{
    self->want_query = FALSE;
    self->want_at_pass = FALSE;
    self->in_flight = TRUE;
    self->in_flight_read = read;
    self->n_queries++;
    if (read == CV_SAMPLE_READ_AT_PASS) {
        self->have_pass_query = TRUE;
        self->last_pass_query_ms = cv_clock_now_ms(self->clock);
        self->armed = FALSE;
        self->pass_pending = FALSE;
    }
    cv_target_query_migrate(self->target, sample_cb, self);
}

static gboolean
arm_cb(gpointer user_data)
{
    CvSampler *self = user_data;

    self->arm_source = NULL;
    if (self->pass_pending)
        self->armed = TRUE;
    self->pass_pending = FALSE;
    return G_SOURCE_REMOVE;
}

void
cv_sampler_pass_event(CvSampler *sampler, guint64 pass)
{
    CvSampler *self = sampler;
    gint64 now, wait;

    g_return_if_fail(self != NULL);
    self->saw_pass_events = TRUE;
    if (!self->running)
        return;
    now = cv_clock_now_ms(self->clock);
    wait =
        self->have_pass_query ? self->last_pass_query_ms + (gint64)self->min_interval_ms - now : 0;
    if (self->armed || wait <= 0) {
        if (self->in_flight)
            self->want_at_pass = TRUE;
        else
            send_query(self, CV_SAMPLE_READ_AT_PASS);
        return;
    }
    /* Inside the interval: the next event after it is read at once. */
    self->pass_pending = TRUE;
    if (self->arm_source == NULL)
        self->arm_source = cv_clock_timeout_add(self->clock, cv_target_get_context(self->target),
                                                (guint)wait, arm_cb, self);
}

void
cv_sampler_query_now(CvSampler *sampler)
{
    g_return_if_fail(sampler != NULL);
    if (!sampler->running)
        return;
    if (sampler->in_flight)
        sampler->want_query = TRUE;
    else
        send_query(sampler, CV_SAMPLE_READ_POLL);
}

void
cv_sampler_status_event(CvSampler *sampler)
{
    cv_sampler_query_now(sampler);
}

static gboolean
poll_cb(gpointer user_data)
{
    CvSampler *self = user_data;

    if (self->tick_func != NULL)
        self->tick_func(self, self->user_data);
    /* The tick may have stopped us (the start timeout). */
    if (self->running && !self->in_flight)
        send_query(self, CV_SAMPLE_READ_POLL);
    return G_SOURCE_CONTINUE;
}

static gboolean
final_cb(gpointer user_data)
{
    CvSampler *self = user_data;

    self->final_source = NULL;
    cv_sampler_query_now(self);
    return G_SOURCE_REMOVE;
}

gboolean
cv_sampler_retry_final(CvSampler *sampler, const CvSample *s)
{
    CvSampler *self = sampler;

    g_return_val_if_fail(self != NULL && s != NULL, FALSE);
    if (s->status != CV_MIGRATION_STATUS_COMPLETED || self->final_retries >= FINAL_RETRIES ||
        !self->running)
        return FALSE;
    if (cv_field_valid(&s->total_time_ms) && s->total_time_ms.value > 0 &&
        !(cv_field_valid(&s->downtime_ms) && s->downtime_ms.value == 0))
        return FALSE;
    /* QEMU announces completed a moment before it stores total-time and downtime: ask again
     * shortly rather than report a 0 ms downtime. */
    self->final_retries++;
    clear_source(&self->final_source);
    self->final_source = cv_clock_timeout_add(self->clock, cv_target_get_context(self->target),
                                              FINAL_RETRY_MS, final_cb, self);
    return TRUE;
}

void
cv_sampler_start(CvSampler *sampler)
{
    g_return_if_fail(sampler != NULL);
    if (sampler->running)
        return;
    sampler->running = TRUE;
    sampler->poll_source =
        cv_clock_timeout_add(sampler->clock, cv_target_get_context(sampler->target),
                             (guint)MIN(sampler->poll_interval_ms, G_MAXUINT), poll_cb, sampler);
    send_query(sampler, CV_SAMPLE_READ_POLL);
}

void
cv_sampler_stop(CvSampler *sampler)
{
    g_return_if_fail(sampler != NULL);
    sampler->running = FALSE;
    clear_source(&sampler->poll_source);
    clear_source(&sampler->arm_source);
    clear_source(&sampler->final_source);
    cv_target_forget(sampler->target, sampler);
    sampler->in_flight = FALSE;
    sampler->want_query = FALSE;
    sampler->want_at_pass = FALSE;
    sampler->pass_pending = FALSE;
    sampler->armed = FALSE;
    sampler->errors = 0;
}

gboolean
cv_sampler_is_running(const CvSampler *sampler)
{
    g_return_val_if_fail(sampler != NULL, FALSE);
    return sampler->running;
}

gboolean
cv_sampler_saw_pass_events(const CvSampler *sampler)
{
    g_return_val_if_fail(sampler != NULL, FALSE);
    return sampler->saw_pass_events;
}

guint
cv_sampler_get_n_queries(const CvSampler *sampler)
{
    g_return_val_if_fail(sampler != NULL, 0);
    return sampler->n_queries;
}
