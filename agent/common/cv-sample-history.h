/* CvSampleHistory: the readings the policy engine judges a migration on, one per iteration
 * boundary, bounded. Pure: no clock, no target; time arrives inside the samples.
 *
 * ram.remaining is a sawtooth inside an iteration: right after a dirty-bitmap sync it holds the
 * whole dirty set, then falls as pages are sent. A reading taken mid-way reads low, and the
 * engine compares the newest reading with the lowest older one: mid-iteration readings bias it
 * toward "stalled". So each reading is classified by how it was taken:
 *   - a query sent right on a MIGRATION_PASS event reads the boundary itself;
 *   - a periodic poll reads anywhere inside an iteration. While pass events flow, the boundary
 *     reading follows the event and a poll that saw a new iteration is not kept. Without events
 *     it is kept (nothing else exists), flagged mid-iteration, unless the previous iteration was
 *     read at least twice and this one directly follows it: then polls are faster than
 *     iterations and the reading lies within one poll of the boundary.
 * A counter that goes back (a new migration on the same QEMU, a counter reset) starts a new
 * epoch: everything read before belongs to another migration and is dropped. */
#pragma once

#include <glib.h>

#include "cv-decision.h"
#include "cv-sample.h"

G_BEGIN_DECLS

/* Readings are kept for this many stall windows (in time and in passes) behind the newest. */
#define CV_SAMPLE_HISTORY_WINDOWS 4

typedef enum {
    CV_SAMPLE_READ_POLL = 0, /* a periodic or status-triggered query: anywhere in an iteration */
    CV_SAMPLE_READ_AT_PASS,  /* sent right on a MIGRATION_PASS event: at an iteration boundary */
} CvSampleRead;

typedef enum {
    CV_SAMPLE_NOT_KEPT = 0,   /* the same iteration as the newest kept reading */
    CV_SAMPLE_KEPT_BOUNDARY,  /* a new iteration, read at its boundary */
    CV_SAMPLE_KEPT_MID,       /* a new iteration read mid-way (no events): kept, flagged */
    CV_SAMPLE_SKIPPED_MID,    /* a new iteration read mid-way while pass events flow */
    CV_SAMPLE_KEPT_NEW_EPOCH, /* the counter went back: the history restarts with this one */
} CvSampleKept;

typedef struct {
    guint max_samples;     /* the bound (at least 4); when full the older half is thinned */
    guint window_passes;   /* the policy's stall window, for expiry */
    guint64 window_ms;     /* (both 0: nothing expires) */
    guint64 no_counter_ms; /* without a valid pass counter, keep one reading per this much time */
} CvSampleHistoryLimits;

typedef struct _CvSampleHistory CvSampleHistory;

CvSampleHistory *cv_sample_history_new(const CvSampleHistoryLimits *limits);
void cv_sample_history_free(CvSampleHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvSampleHistory, cv_sample_history_free)

/* @pass_events: MIGRATION_PASS events have arrived in this epoch (a boundary reading follows
 * each, so polls are not needed as boundaries). */
CvSampleKept cv_sample_history_add(CvSampleHistory *history, const CvSample *sample,
                                   CvSampleRead read, gboolean pass_events);
/* A new stall window (a new version of the policy): readings expire by it from the next add. */
void cv_sample_history_set_windows(CvSampleHistory *history, guint window_passes,
                                   guint64 window_ms);
/* Forget everything (a new epoch the caller found by other means). */
void cv_sample_history_reset(CvSampleHistory *history);

/* The kept readings, oldest first; @extra (may be NULL) is appended as the newest, for an
 * evaluation between boundaries. Valid until the next add or reset. */
const CvSample *cv_sample_history_view(CvSampleHistory *history, const CvSample *extra,
                                       guint *n_samples);
guint cv_sample_history_get_n(const CvSampleHistory *history);
/* Was the kept reading at @index taken mid-iteration? */
gboolean cv_sample_history_is_mid(const CvSampleHistory *history, guint index);
guint cv_sample_history_count_mid(const CvSampleHistory *history);
/* @d was decided on the kept readings. When it judges progress (stalled, converging,
 * escalating) and some of them were taken mid-iteration, which read low and lean a judgement
 * toward "stalled", its reason says so, with how many. */
void cv_sample_history_annotate(const CvSampleHistory *history, CvDecision *d);
/* 0 for the first migration seen, +1 at every counter regression. */
guint cv_sample_history_get_epoch(const CvSampleHistory *history);

G_END_DECLS
