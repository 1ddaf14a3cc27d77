/* CvReconnector: opens a new connection to a target whose old one timed out or closed. It
 * closes the old one, connects, and reads the parameters and capabilities again; a try that
 * fails is followed by another, further apart each time (1 s, 2 s, ... of the clock), up to a
 * number of tries; then it gives up. Its operations are forgotten when it is cancelled or
 * freed.
 *
 * It also keeps the rule for when to reconnect: one command that times out is retried on the
 * same connection, a second in a row re-opens it (a timed-out reply may still come and be
 * taken for another's); a closed socket is tried once (a QEMU that exited refuses at once),
 * timeouts up to CV_RECONNECTOR_TRIES_AFTER_TIMEOUT times; and a QEMU that needed
 * CV_RECONNECTOR_MAX_RECONNECTS new connections in one session counts as gone. */
#pragma once

#include <glib.h>

#include "cv-clock.h"
#include "cv-target.h"

G_BEGIN_DECLS

#define CV_RECONNECTOR_BACKOFF_MS 1000
/* Commands timed out in a row (of any kind) before the connection is re-opened. */
#define CV_RECONNECTOR_MAX_TIMEOUTS 2
/* Tries of a new connection after timeouts; after a closed socket, one. */
#define CV_RECONNECTOR_TRIES_AFTER_TIMEOUT 3
/* Successful reconnects in one session before a QEMU that keeps timing out counts as gone. */
#define CV_RECONNECTOR_MAX_RECONNECTS 5

typedef struct _CvReconnector CvReconnector;

/* Connected again (@params read on the new connection), or given up (@params NULL, @error the
 * last try's). */
typedef void (*CvReconnectorDoneFunc)(CvReconnector *reconnector, const CvParams *params,
                                      const GError *error, gpointer user_data);
/* A try failed with @error; the next one follows in @wait_ms. */
typedef void (*CvReconnectorRetryFunc)(CvReconnector *reconnector, const GError *error,
                                       guint64 wait_ms, gpointer user_data);

/* @target and @clock are borrowed and must outlive the reconnector. */
CvReconnector *cv_reconnector_new(CvTarget *target, CvClock *clock);
void cv_reconnector_free(CvReconnector *reconnector);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvReconnector, cv_reconnector_free)

/* Close the target's connection and open a new one, @max_tries tries at most (>= 1). */
void cv_reconnector_start(CvReconnector *reconnector, guint max_tries,
                          CvReconnectorDoneFunc done_func, CvReconnectorRetryFunc retry_func,
                          gpointer user_data);
/* Stop trying; no callback follows. */
void cv_reconnector_cancel(CvReconnector *reconnector);
gboolean cv_reconnector_is_running(const CvReconnector *reconnector);
/* Tries made by the current (or last) run. */
guint cv_reconnector_get_n_tries(const CvReconnector *reconnector);

/* A command timed out: TRUE when that makes CV_RECONNECTOR_MAX_TIMEOUTS in a row, and the
 * connection should be re-opened now; FALSE: retry it on this one. */
gboolean cv_reconnector_note_timeout(CvReconnector *reconnector);
/* QEMU answered: the timeouts in a row start again from none. */
void cv_reconnector_note_answer(CvReconnector *reconnector);
/* Runs that ended with a new connection, in the life of this reconnector. */
guint cv_reconnector_get_n_reconnects(const CvReconnector *reconnector);
/* CV_RECONNECTOR_MAX_RECONNECTS new connections were needed already: the peer is gone for us. */
gboolean cv_reconnector_is_exhausted(const CvReconnector *reconnector);

G_END_DECLS
