/* One simulated QEMU: a model, its parameters, and a QMP unix socket serving any number of
 * clients, each with its own negotiation. Runs on the thread-default GMainContext. */
#pragma once

#include <glib.h>

#include "cv-sim-link.h"
#include "cv-sim-model.h"
#include "cv-sim-scenario.h"

G_BEGIN_DECLS

typedef struct {
    CvSimQemuVersion version;
    gdouble speed;    /* virtual seconds per real second */
    guint32 seed;     /* GRand seed of the model */
    gboolean start;   /* start the migration at once, as if `migrate` had been sent */
    gint64 epoch_us;  /* wall-clock time of virtual time 0, for event timestamps */
    gint64 origin_us; /* monotonic time of virtual time 0 */
    CvSimLink *link;  /* a link shared with other servers (borrowed, outlives it); NULL: own */
} CvSimServerOptions;

typedef struct _CvSimServer CvSimServer;

/* Called once when a client sent `quit` and the server has closed its socket. */
typedef void (*CvSimServerQuitFunc)(CvSimServer *server, gpointer user_data);

/* @scenario is borrowed and must outlive the server. */
CvSimServer *cv_sim_server_new(const CvSimScenario *scenario, const CvSimServerOptions *options);
void cv_sim_server_free(CvSimServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvSimServer, cv_sim_server_free)

/* Bind @path (a stale socket file is replaced, as QEMU's -qmp server does) and serve. */
gboolean cv_sim_server_listen(CvSimServer *server, const gchar *path, GError **error);
void cv_sim_server_set_quit_func(CvSimServer *server, CvSimServerQuitFunc func, gpointer user_data);
const gchar *cv_sim_server_get_path(const CvSimServer *server);

/* Virtual seconds since virtual time 0, from a clock the caller owns. */
typedef gdouble (*CvSimServerClockFunc)(gpointer user_data);

/* Follow the caller's clock instead of real time x speed (a benchmark running many migrations
 * in virtual time, as fast as the host allows). Nothing then runs on a timer: after moving its
 * clock, the caller brings the model up to it with cv_sim_server_catch_up(), which also sends
 * the events that happened meanwhile. Commands catch up by themselves, as always. */
void cv_sim_server_set_clock(CvSimServer *server, CvSimServerClockFunc func, gpointer user_data);
void cv_sim_server_catch_up(CvSimServer *server);
/* Start the migration now, as if `migrate` had been sent (what --start does at listen time). */
gboolean cv_sim_server_start_migration(CvSimServer *server, GError **error);
/* The model, to read its ground truth (cv_sim_model_get_truth). */
const CvSimModel *cv_sim_server_get_model(const CvSimServer *server);

G_END_DECLS
