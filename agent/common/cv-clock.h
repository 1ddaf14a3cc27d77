/* CvClock: where the agent's time comes from. A real monotonic clock, a scaled one (virtual
 * time running N times faster than real time, to follow an accelerated simulator) and a manual
 * one that only moves when told (tests, replays). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CvClock CvClock;

typedef struct {
    /* Current time of this clock in ms. Monotonic, never goes back. */
    gint64 (*now_ms)(CvClock *clock);
    /* How many real ms a wait of @clock_ms on this clock takes; -1 when the clock does not move
     * by itself (manual clocks: their timers fire only when the clock is advanced). */
    gint64 (*to_real_ms)(CvClock *clock, gint64 clock_ms);
    void (*free)(CvClock *clock);
} CvClockClass;

struct _CvClock {
    const CvClockClass *klass;
};

/* Real monotonic time (ms since an arbitrary point). */
CvClock *cv_clock_new_monotonic(void);
/* Virtual time that starts at 0 and runs @speed times faster than real time (@speed > 0). */
CvClock *cv_clock_new_scaled(gdouble speed);
/* Time that only moves with cv_clock_manual_advance(); starts at @start_ms. */
CvClock *cv_clock_new_manual(gint64 start_ms);
void cv_clock_manual_advance(CvClock *clock, gint64 delta_ms);

gint64 cv_clock_now_ms(CvClock *clock);
void cv_clock_free(CvClock *clock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvClock, cv_clock_free)

/* A GSource that becomes ready after @interval_ms of clock time, and again every @interval_ms
 * while its callback (a GSourceFunc) returns G_SOURCE_CONTINUE. @clock must outlive it. */
GSource *cv_clock_timeout_source_new(CvClock *clock, guint interval_ms);
/* Attach such a source to @context (NULL: the thread-default context); returns it, owned by the
 * context (destroy it with g_source_destroy). */
GSource *cv_clock_timeout_add(CvClock *clock, GMainContext *context, guint interval_ms,
                              GSourceFunc func, gpointer user_data);

G_END_DECLS
