/* CvSampler: reads query-migrate for the tuner, as rarely as it can and as close to iteration
 * boundaries as it can.
 *
 * - One query in flight at most; what comes up meanwhile waits for its reply.
 * - A MIGRATION_PASS event is answered by a query at once: that reading is the boundary (the
 *   dirty set was just synced). Once the drained-RAM phase iterates hundreds of times a second,
 *   at most one such query per min_interval: events inside the interval arm the next one, so
 *   the reading still follows an event instead of landing anywhere in an iteration.
 * - A status event is answered at once; a poll timer reads anyway (events can be off, or
 *   lost), and gives the tuner a tick for its own periodic work.
 * - A completed migration whose final figures QEMU has not stored yet is read again shortly.
 * Every reading is stamped with the sampler's clock. */
#pragma once

#include <glib.h>

#include "cv-clock.h"
#include "cv-sample-history.h"
#include "cv-target.h"

G_BEGIN_DECLS

typedef struct _CvSampler CvSampler;

typedef void (*CvSamplerSampleFunc)(CvSampler *sampler, const CvSample *sample, CvSampleRead read,
                                    gpointer user_data);
/* query-migrate failed, @consecutive times in a row (this one included). */
typedef void (*CvSamplerErrorFunc)(CvSampler *sampler, const GError *error, guint consecutive,
                                   gpointer user_data);
typedef void (*CvSamplerTickFunc)(CvSampler *sampler, gpointer user_data);

/* @target and @clock are borrowed and must outlive the sampler. */
CvSampler *cv_sampler_new(CvTarget *target, CvClock *clock, guint64 poll_interval_ms,
                          guint64 min_interval_ms);
void cv_sampler_free(CvSampler *sampler);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvSampler, cv_sampler_free)

void cv_sampler_set_funcs(CvSampler *sampler, CvSamplerSampleFunc sample_func,
                          CvSamplerErrorFunc error_func, CvSamplerTickFunc tick_func,
                          gpointer user_data);

/* Poll timer on, and one query now. */
void cv_sampler_start(CvSampler *sampler);
/* Timers off; the query in flight is forgotten (its reply reaches nobody). */
void cv_sampler_stop(CvSampler *sampler);
gboolean cv_sampler_is_running(const CvSampler *sampler);

void cv_sampler_pass_event(CvSampler *sampler, guint64 pass);
void cv_sampler_status_event(CvSampler *sampler);
/* Query again now (or right after the one in flight). */
void cv_sampler_query_now(CvSampler *sampler);
/* @sample is a completed migration whose total-time or downtime QEMU has not stored yet, and
 * retries remain: read it again shortly and return TRUE (the caller waits for that reading). */
gboolean cv_sampler_retry_final(CvSampler *sampler, const CvSample *sample);

/* MIGRATION_PASS events have arrived. */
gboolean cv_sampler_saw_pass_events(const CvSampler *sampler);
guint cv_sampler_get_n_queries(const CvSampler *sampler);

G_END_DECLS
