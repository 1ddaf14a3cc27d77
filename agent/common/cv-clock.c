#include "config.h"

#include <math.h>

#include "cv-clock.h"

typedef struct {
    CvClock parent;
    gdouble speed;
    gint64 start_real_us;
    gint64 offset_ms;
} CvClockScaled;

typedef struct {
    CvClock parent;
    gint64 now_ms;
} CvClockManual;

static gint64
monotonic_now_ms(CvClock *clock)
{
    return g_get_monotonic_time() / 1000;
}

static gint64
monotonic_to_real_ms(CvClock *clock, gint64 clock_ms)
{
    return clock_ms;
}

static void
plain_free(CvClock *clock)
{
    g_free(clock);
}

static const CvClockClass monotonic_class = {
    .now_ms = monotonic_now_ms,
    .to_real_ms = monotonic_to_real_ms,
    .free = plain_free,
};

CvClock *
cv_clock_new_monotonic(void)
{
    CvClock *clock = g_new0(CvClock, 1);

    clock->klass = &monotonic_class;
    return clock;
}

static gint64
scaled_now_ms(CvClock *clock)
{
    CvClockScaled *self = (CvClockScaled *)clock;
    gdouble real_ms = (gdouble)(g_get_monotonic_time() - self->start_real_us) / 1000.0;

    return self->offset_ms + (gint64)(real_ms * self->speed);
}

static gint64
scaled_to_real_ms(CvClock *clock, gint64 clock_ms)
{
    CvClockScaled *self = (CvClockScaled *)clock;

    if (clock_ms <= 0)
        return 0;
    /* Round up so a timer never fires before its clock time has passed. */
    return (gint64)ceil((gdouble)clock_ms / self->speed);
}

static const CvClockClass scaled_class = {
    .now_ms = scaled_now_ms,
    .to_real_ms = scaled_to_real_ms,
    .free = plain_free,
};

CvClock *
cv_clock_new_scaled(gdouble speed)
{
    CvClockScaled *self;

    g_return_val_if_fail(speed > 0.0, NULL);
    self = g_new0(CvClockScaled, 1);
    self->parent.klass = &scaled_class;
    self->speed = speed;
    self->start_real_us = g_get_monotonic_time();
    return &self->parent;
}

static gint64
manual_now_ms(CvClock *clock)
{
    return ((CvClockManual *)clock)->now_ms;
}

static gint64
manual_to_real_ms(CvClock *clock, gint64 clock_ms)
{
    return clock_ms <= 0 ? 0 : -1;
}

static const CvClockClass manual_class = {
    .now_ms = manual_now_ms,
    .to_real_ms = manual_to_real_ms,
    .free = plain_free,
};

CvClock *
cv_clock_new_manual(gint64 start_ms)
{
    CvClockManual *self = g_new0(CvClockManual, 1);

    self->parent.klass = &manual_class;
    self->now_ms = start_ms;
    return &self->parent;
}

void
cv_clock_manual_advance(CvClock *clock, gint64 delta_ms)
{
    g_return_if_fail(clock != NULL && clock->klass == &manual_class);
    g_return_if_fail(delta_ms >= 0);
    ((CvClockManual *)clock)->now_ms += delta_ms;
}

gint64
cv_clock_now_ms(CvClock *clock)
{
    g_return_val_if_fail(clock != NULL, 0);
    return clock->klass->now_ms(clock);
}

void
cv_clock_free(CvClock *clock)
{
    if (clock == NULL)
        return;
    clock->klass->free(clock);
}

/* The timer is a GSource that asks the clock, rather than a g_timeout_source, so that scaled
 * and manual clocks fire on their own time. */
typedef struct {
    GSource source;
    CvClock *clock;
    guint interval_ms;
    gint64 deadline_ms;
} CvClockSource;

static gboolean
clock_source_prepare(GSource *source, gint *timeout)
{
    CvClockSource *self = (CvClockSource *)source;
    gint64 left = self->deadline_ms - cv_clock_now_ms(self->clock);
    gint64 real;

    if (left <= 0) {
        *timeout = 0;
        return TRUE;
    }
    real = self->clock->klass->to_real_ms(self->clock, left);
    *timeout = real < 0 ? -1 : (gint)MIN(real, G_MAXINT);
    return FALSE;
}

static gboolean
clock_source_check(GSource *source)
{
    CvClockSource *self = (CvClockSource *)source;

    return cv_clock_now_ms(self->clock) >= self->deadline_ms;
}

static gboolean
clock_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
    CvClockSource *self = (CvClockSource *)source;

    if (callback == NULL)
        return G_SOURCE_REMOVE;
    self->deadline_ms = cv_clock_now_ms(self->clock) + self->interval_ms;
    return callback(user_data);
}

static GSourceFuncs clock_source_funcs = {
    .prepare = clock_source_prepare,
    .check = clock_source_check,
    .dispatch = clock_source_dispatch,
};

GSource *
cv_clock_timeout_source_new(CvClock *clock, guint interval_ms)
{
    CvClockSource *self;

    g_return_val_if_fail(clock != NULL, NULL);
    self = (CvClockSource *)g_source_new(&clock_source_funcs, sizeof(CvClockSource));
    self->clock = clock;
    self->interval_ms = interval_ms;
    self->deadline_ms = cv_clock_now_ms(clock) + interval_ms;
    g_source_set_name((GSource *)self, "cv-clock-timeout");
    return (GSource *)self;
}

GSource *
cv_clock_timeout_add(CvClock *clock, GMainContext *context, guint interval_ms, GSourceFunc func,
                     gpointer user_data)
{
    GSource *source = cv_clock_timeout_source_new(clock, interval_ms);

    g_source_set_callback(source, func, user_data, NULL);
    g_source_attach(source, context);
    g_source_unref(source);
    return source;
}
