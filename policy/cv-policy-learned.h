/* The learned switchover rate: what a destination's link really carried during the blackouts
 * of the host's own completed migrations. Pure: the observations come in, a rate (or the
 * reason there is none yet) comes out; storing them is agent/'s job. */
#pragma once

#include <glib.h>

#include "cv-policy.h"

G_BEGIN_DECLS

/* Defaults of the policy's learned-window (N) and learned-min (K) keys. */
#define CV_LEARNED_WINDOW_DEFAULT 5
#define CV_LEARNED_MIN_DEFAULT 2
/* The largest N the config accepts: the store keeps no more than this per destination. */
#define CV_LEARNED_WINDOW_MAX 100
/* An effective rate above 1 TB/s (8 Tbit/s) is beyond any migration link: a garbage reading
 * (a downtime of 0-1 ms with a large blackout), never a measurement. */
#define CV_LEARNED_RATE_MAX G_GUINT64_CONSTANT(1000000000000)

/* The floor of a usable blackout. A blackout's fixed costs (stopping vCPUs, the last sync,
 * non-iterable device state, resuming on the destination: a few ms to tens of ms without VFIO,
 * more with it) count as time in bytes/downtime; in a tiny blackout they dominate and drag the
 * rate far below the link, which is safe but useless, and one such observation would be the
 * lowest of the window for N migrations. 64 MiB take 54 ms at 10 Gbit/s and 537 ms at
 * 1 Gbit/s; below 50 ms the measurement is mostly the fixed costs. */
#define CV_LEARNED_MIN_BLACKOUT_BYTES (G_GUINT64_CONSTANT(64) << 20)
#define CV_LEARNED_MIN_DOWNTIME_MS G_GUINT64_CONSTANT(50)

/* Where an observation's bytes and time come from. Both err low; an operator must be able to
 * tell them apart (the store line, the history and `policy show --for` name them). */
typedef enum {
    /* the blackout itself: the bytes sent while the guest was stopped (RAM's downtime-bytes,
     * plus a VFIO device's stop-copy size) over the achieved downtime */
    CV_LEARNED_SOURCE_BLACKOUT = 0,
    /* no downtime-bytes (libvirt's job statistics): RAM's transferred bytes between the last
     * usable precopy reading and the end, over the job's elapsed time between the two; the
     * window holds the whole blackout and some precopy (cv_learned_job_window) */
    CV_LEARNED_SOURCE_JOB_WINDOW,
} CvLearnedSource;

/* One completed migration to a destination, as recorded after it finished. */
typedef struct {
    gint64 time_ms; /* when it completed (unix ms); for the history, not the rate */
    /* bytes sent while the guest was stopped (RAM + device state); for a job window, the RAM
     * bytes sent in the window */
    guint64 blackout_bytes;
    guint64 downtime_ms; /* the achieved downtime QEMU reported; for a job window, its ms */
    guint64 qemu_rate;   /* QEMU's own `mbps` at the end, in bytes/s; 0 = unknown */
    guint64 stated_rate; /* the rate the policy stated then, bytes/s; 0 = none */
    gchar domain[128];   /* the domain (or what stood for it) that migrated; for the history */
    CvLearnedSource source;
} CvLearnedObservation;

/* One reading of a job's byte counter and clock: RAM's transferred bytes (libvirt's
 * memory_processed) and the job's elapsed time (libvirt's time_elapsed, its own clock since the
 * job started; QEMU's total-time). */
typedef struct {
    CvU64Field processed;
    CvU64Field elapsed_ms;
} CvLearnedJobReading;

/* How many precopy readings the tuner keeps for cv_learned_job_window. */
#define CV_LEARNED_JOB_READINGS 8

typedef struct {
    gboolean known;    /* a rate was learned: @rate is usable */
    guint64 rate;      /* bytes/s the engine may use; 0 unless known */
    guint64 lowest;    /* lowest effective rate of the window, before any bound; 0 = none */
    guint n_valid;     /* usable observations among all given */
    guint n_rejected;  /* given but unusable (zero or garbage downtime/bytes) */
    guint n_window;    /* observations the statistic used (the last N valid) */
    gssize from_index; /* index (in the input) of the observation that gave @lowest; -1 */
    gboolean bounded;  /* @rate was lowered by a bound */
    gchar reason[256]; /* one line: the rate and where it came from, or why none */
} CvLearnedRate;

/* Copy @name into @obs->domain, cut at a character boundary when it is longer (a byte cut could
 * split a UTF-8 character, and the store would write a line it cannot read back); invalid
 * UTF-8 in @name is replaced. */
void cv_learned_observation_set_domain(CvLearnedObservation *obs, const gchar *name);

/* Whether a blackout of @bytes in @downtime_ms is large enough to measure the link (both at or
 * above the floors). */
gboolean cv_learned_blackout_measurable(guint64 bytes, guint64 downtime_ms);

/* "blackout" or "job-window": the store's and the JSON outputs' name of @source. */
const gchar *cv_learned_source_to_string(CvLearnedSource source);
/* The inverse; FALSE for anything else. */
gboolean cv_learned_source_from_string(const gchar *name, CvLearnedSource *source);

/* The job window of a completed migration whose blackout bytes are unknown: the newest of
 * @readings (precopy readings, oldest first) whose window to @final (the completed job's
 * counters) is measurable (cv_learned_blackout_measurable), as @bytes sent in @ms. Every byte
 * counted was sent after that reading and before the end, and the window holds the whole
 * blackout plus some precopy and the job's finishing latency: bytes / ms is at most the average
 * rate inside it, below what the link carried while the guest was stopped (the safe side).
 * @ms has 1 ms added: each clock reading is rounded down to a ms, which could shorten the
 * window by up to 1 ms. @back (may be NULL) is how many readings before the newest the window
 * starts at (0: the newest). Returns FALSE, with @why, when a counter is missing or invalid, went
 * back (final below a reading, or the clock did not advance: a reset, or another job), or no
 * window reaches the floors. */
gboolean cv_learned_job_window(const CvLearnedJobReading *readings, gsize n_readings,
                               const CvLearnedJobReading *final, guint64 *bytes, guint64 *ms,
                               guint *back, gchar *why, gsize why_len);

/* bytes / downtime of one observation, rounded down; 0 when the observation is unusable
 * (zero, garbage, or below the floors). */
guint64 cv_learned_effective_rate(const CvLearnedObservation *obs);

/* The learned rate from @observations (oldest first): the lowest effective rate among the
 * last @window usable ones, once at least @min_count usable ones exist; else not known and
 * @out->reason says why. The lowest, because a rate above the link's makes QEMU switch over
 * too early and the pause outgrow the limit, while one below costs only a longer precopy;
 * the effective rate counts the blackout's fixed costs too, so it errs low, the safe side.
 *
 * @policy_max (the policy's `learned, at most RATE`) and @nic_speed (a NIC's nominal rate)
 * bound it from above, each 0 = none: they can lower the rate, never raise it nor make a
 * rate known. */
void cv_learned_rate_compute(const CvLearnedObservation *observations, gsize n_observations,
                             guint window, guint min_count, guint64 policy_max, guint64 nic_speed,
                             CvLearnedRate *out);

/* Give a `learned` @policy the rate @learned found (already bounded by the policy's `at most`):
 * @policy->switchover_bandwidth becomes it. Returns FALSE and leaves @policy alone when the
 * policy does not learn or nothing is known yet (it then behaves as `off`). */
gboolean cv_policy_apply_learned(CvPolicy *policy, const CvLearnedRate *learned);

G_END_DECLS
