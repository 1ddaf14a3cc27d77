#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cv-sim-model.h"

/* How the model follows QEMU's migration thread (migration_iteration_run()):
 *
 * - Each loop iteration asks every device for an estimate of its pending data: RAM the
 *   pages left in the dirty bitmap, VFIO its precopy data. When the estimate is below the
 *   threshold (switchover bandwidth x downtime-limit) or zero, it runs the exact query: RAM
 *   syncs the dirty bitmap (one pass, MIGRATION_PASS) and VFIO reports its stop-copy size.
 *   If that exact total fits the threshold, the guest stops and the rest goes out at the
 *   link rate; otherwise the loop sends one batch and asks again.
 * - While the estimate stays above the threshold the loop just sends (RAM first, then device
 *   precopy data) at the precopy rate, which is also the rate QEMU measures.
 * - The workload writes pages uniformly over a working set; the pages found dirty at a sync
 *   are the distinct pages written since the previous one.
 *
 * Once RAM is drained and a large device state keeps the total above the threshold, every
 * iteration is one sync plus a tiny batch: hundreds of passes per second, as on real QEMU. */

/* A zero page costs QEMU an 8-byte header plus one byte; a normal page its header too. */
#define ZERO_PAGE_WIRE 9.0
#define PAGE_HEADER 8.0
/* ram_save_iterate() gives up the loop after 50 ms (MAX_WAIT). */
#define BATCH_MAX 0.050
/* The migration thread notices a cancel and cleans up in a few ms. */
#define CANCEL_TIME 0.010

GQuark
cv_sim_model_error_quark(void)
{
    return g_quark_from_static_string("cv-sim-model-error-quark");
}

const gchar *
cv_sim_run_state_to_string(CvSimRunState state)
{
    switch (state) {
    case CV_SIM_RUN_RUNNING:
        return "running";
    case CV_SIM_RUN_PAUSED:
        return "paused";
    case CV_SIM_RUN_FINISH_MIGRATE:
        return "finish-migrate";
    case CV_SIM_RUN_POSTMIGRATE:
        return "postmigrate";
    default:
        return "running";
    }
}

typedef enum {
    PHASE_IDLE = 0,        /* no migration in flight */
    PHASE_SETUP,           /* channels and the first bitmap sync */
    PHASE_SEND,            /* sending until the estimate falls below the threshold */
    PHASE_BATCH,           /* one batch after an exact query that did not fit */
    PHASE_SYNC,            /* exact query (bitmap sync) in progress */
    PHASE_SWITCHOVER,      /* guest stopped, the rest going out at the link rate */
    PHASE_POSTCOPY_SWITCH, /* guest stopped, device state going out before postcopy */
    PHASE_POSTCOPY,        /* guest on the destination, RAM following */
    PHASE_CANCELLING,
} Phase;

typedef struct {
    const CvSimDevice *scenario;
    guint next_reinit;       /* index into scenario->reinit_at of the next re-report */
    gdouble precopy_pending; /* bytes of precopy data not yet sent */
    gdouble transferred;     /* bytes sent, precopy and stop-copy */
    guint64 reported;        /* stop-copy size the driver reported last (maybe garbage) */
} DeviceState;

struct _CvSimModel {
    const CvSimScenario *sc;
    CvSimQemuVersion version;
    GRand *rand;
    gdouble now;

    /* parameters and capabilities */
    guint64 downtime_limit_ms;
    guint64 max_bandwidth;
    guint64 avail_sw_bw;
    guint64 max_postcopy_bw;
    gboolean events_cap;
    gboolean postcopy_cap;

    CvSimRunState run;
    CvSimRunState run_before_switchover;

    CvMigrationStatus status;
    Phase phase;
    gdouble phase_end;
    gdouble batch_end;
    gdouble mig_start;
    gdouble setup_time;
    gdouble end_time;
    gboolean postcopy_requested;

    /* RAM, in pages (fractional: the model is continuous between events) */
    gdouble total_pages;
    gdouble working_set_pages;
    gdouble bm_zero;   /* zero pages still in the dirty bitmap (first pass only) */
    gdouble bm_normal; /* data pages still in the dirty bitmap */
    gdouble bm_ws;     /* of those, the pages of the working set */
    gdouble writes_since_sync;
    gdouble zero_sent;
    gdouble normal_sent;
    gdouble bytes_precopy;
    gdouble bytes_downtime;
    gdouble bytes_postcopy;
    guint64 sync_count;
    gdouble rate_period_start;
    gdouble rate_period_pages;
    guint64 dirty_pages_rate;
    gdouble ram_dirty_last_sync; /* bytes in the bitmap right after the last sync */
    guint64 total_dirty_last_exact;
    gdouble expected_pre; /* QEMU < 11.1 keeps expected-downtime between windows */
    guint64 pages_per_second_last;
    gdouble mbps_final;
    gdouble downtime;
    gchar *error_desc;

    GArray *devices; /* of DeviceState */
    GArray *events;  /* of CvSimEvent */

    CvSimLink *link; /* borrowed; NULL = a link of its own */
    /* ground truth for the benchmark */
    gboolean switched_over;
    gdouble switchover_at;
    gdouble stop_copy_bytes;
    gdouble stop_copy_rate;
    gdouble fixed_cost;
    gdouble min_exact_bytes;
    gdouble last_exact_bytes;
};

/* ---- helpers ------------------------------------------------------------------------ */

static gdouble
mig_time(const CvSimModel *m)
{
    return m->now - m->mig_start;
}

static gdouble
page_size(const CvSimModel *m)
{
    return (gdouble)m->sc->page_size;
}

static void
queue_event(CvSimModel *m, CvSimEventKind kind, CvMigrationStatus status, guint64 pass)
{
    CvSimEvent ev = {kind, m->now, status, pass};

    if ((kind == CV_SIM_EVENT_MIGRATION || kind == CV_SIM_EVENT_MIGRATION_PASS) && !m->events_cap)
        return;
    g_array_append_val(m->events, ev);
}

static void
set_status(CvSimModel *m, CvMigrationStatus status)
{
    m->status = status;
    queue_event(m, CV_SIM_EVENT_MIGRATION, status, 0);
}

/* What the precopy stream would achieve alone, held to max-bandwidth. */
static gdouble
own_precopy_rate(const CvSimModel *m)
{
    gdouble rate = cv_sim_schedule_value_at(&m->sc->precopy_rate, mig_time(m));

    if (m->max_bandwidth > 0)
        rate = MIN(rate, (gdouble)m->max_bandwidth);
    return rate;
}

/* The rate of the final copy and of postcopy, unthrottled (postcopy: max-postcopy-bandwidth). */
static gdouble
own_link_rate(const CvSimModel *m, gboolean postcopy)
{
    gdouble rate = m->sc->link_rate;

    if (postcopy && m->max_postcopy_bw > 0)
        rate = MIN(rate, (gdouble)m->max_postcopy_bw);
    return rate;
}

static gdouble
link_share(const CvSimModel *m, gdouble demand)
{
    return m->link != NULL ? cv_sim_link_share(m->link, m, demand) : demand;
}

/* The precopy rate now: what the stream achieves and QEMU measures. */
static gdouble
bandwidth(const CvSimModel *m)
{
    return link_share(m, own_precopy_rate(m));
}

/* What this migration asks of a shared link in its current phase. */
static gdouble
link_demand(gconstpointer member)
{
    const CvSimModel *m = member;

    switch (m->phase) {
    case PHASE_SEND:
    case PHASE_BATCH:
    case PHASE_SYNC:
        return own_precopy_rate(m);
    case PHASE_SWITCHOVER:
    case PHASE_POSTCOPY_SWITCH:
        return own_link_rate(m, FALSE);
    case PHASE_POSTCOPY:
        return own_link_rate(m, TRUE);
    case PHASE_IDLE:
    case PHASE_SETUP:
    case PHASE_CANCELLING:
    default:
        return 0;
    }
}

/* avail-switchover-bandwidth exists from 8.2 on; 0 means "use the measured rate". */
static gdouble
switchover_bandwidth(const CvSimModel *m)
{
    if (m->version >= CV_SIM_QEMU_8_2 && m->avail_sw_bw > 0)
        return (gdouble)m->avail_sw_bw;
    return bandwidth(m);
}

static gdouble
threshold(const CvSimModel *m)
{
    return switchover_bandwidth(m) * (gdouble)m->downtime_limit_ms / 1000.0;
}

static gboolean
guest_dirties(const CvSimModel *m)
{
    return m->run == CV_SIM_RUN_RUNNING;
}

static gdouble
write_rate(const CvSimModel *m)
{
    return guest_dirties(m) ? cv_sim_schedule_value_at(&m->sc->dirty_rate, mig_time(m)) : 0;
}

static gdouble
device_dirty_rate(const CvSimModel *m, const DeviceState *d)
{
    return guest_dirties(m) ? cv_sim_schedule_value_at(&d->scenario->dirty_rate, mig_time(m)) : 0;
}

static DeviceState *
device(const CvSimModel *m, guint i)
{
    return &g_array_index(m->devices, DeviceState, i);
}

static gdouble
devices_precopy_pending(const CvSimModel *m)
{
    gdouble sum = 0;

    for (guint i = 0; i < m->devices->len; i++)
        sum += device(m, i)->precopy_pending;
    return sum;
}

static gdouble
ram_bitmap_bytes(const CvSimModel *m)
{
    return (m->bm_zero + m->bm_normal) * page_size(m);
}

static gdouble
ram_wire_bytes(const CvSimModel *m)
{
    return m->bm_zero * ZERO_PAGE_WIRE + m->bm_normal * (page_size(m) + PAGE_HEADER);
}

/* Send the fraction @f of the bitmap (pages go in address order, zero and data pages
 * mixed, so every kind drains alike); @f >= 1 empties it. */
static void
bitmap_send(CvSimModel *m, gdouble f, gdouble *bytes)
{
    *bytes += ram_wire_bytes(m) * MIN(f, 1.0);
    if (f >= 1.0) {
        m->zero_sent += m->bm_zero;
        m->normal_sent += m->bm_normal;
        m->bm_zero = m->bm_normal = m->bm_ws = 0;
        return;
    }
    m->zero_sent += m->bm_zero * f;
    m->normal_sent += m->bm_normal * f;
    m->bm_zero -= m->bm_zero * f;
    m->bm_normal -= m->bm_normal * f;
    m->bm_ws -= m->bm_ws * f;
}

/* Distinct pages hit by @writes uniform writes over the working set. */
static gdouble
distinct_pages(const CvSimModel *m, gdouble writes)
{
    if (m->working_set_pages <= 0 || writes <= 0)
        return 0;
    return -m->working_set_pages * expm1(-writes / m->working_set_pages);
}

/* The next time any rate changes (schedules) or the scenario's failure hits. */
static gdouble
next_breakpoint(const CvSimModel *m)
{
    gdouble t = mig_time(m);
    gdouble next = cv_sim_schedule_next_change(&m->sc->precopy_rate, t);

    next = MIN(next, cv_sim_schedule_next_change(&m->sc->dirty_rate, t));
    for (guint i = 0; i < m->devices->len; i++) {
        const DeviceState *d = device(m, i);
        const GArray *times = d->scenario->reinit_at;

        next = MIN(next, cv_sim_schedule_next_change(&d->scenario->dirty_rate, t));
        next = MIN(next, cv_sim_schedule_next_change(&d->scenario->stop_copy, t));
        if (times != NULL && d->next_reinit < times->len)
            next = MIN(next, g_array_index(times, gdouble, d->next_reinit));
    }
    if (m->sc->fail_after >= 0 && m->sc->fail_after > t)
        next = MIN(next, m->sc->fail_after);
    if (next >= G_MAXDOUBLE)
        return G_MAXDOUBLE;
    /* never return a time that is not ahead, or the loop would stall on rounding */
    return MAX(m->mig_start + next, nextafter(m->now, G_MAXDOUBLE));
}

static gboolean
fail_due(const CvSimModel *m)
{
    return m->sc->fail_after >= 0 && mig_time(m) >= m->sc->fail_after;
}

/* Both the guest and the devices go on while time passes without sending. */
static void
accumulate(CvSimModel *m, gdouble dt)
{
    m->writes_since_sync += write_rate(m) * dt;
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = device(m, i);
        d->precopy_pending += device_dirty_rate(m, d) * dt;
    }
}

/* The device's true stop-copy size now. */
static guint64
device_stop_copy(const CvSimModel *m, const DeviceState *d)
{
    return (guint64)cv_sim_schedule_value_at(&d->scenario->stop_copy, mig_time(m));
}

static gdouble
devices_stop_copy(const CvSimModel *m)
{
    gdouble sum = 0;

    for (guint i = 0; i < m->devices->len; i++)
        sum += (gdouble)device_stop_copy(m, device(m, i));
    return sum;
}

/* A driver that re-reports its initial bytes has them pending again (precopy only). */
static void
apply_reinits(CvSimModel *m)
{
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = device(m, i);
        const GArray *times = d->scenario->reinit_at;

        while (times != NULL && d->next_reinit < times->len &&
               g_array_index(times, gdouble, d->next_reinit) <= mig_time(m)) {
            d->precopy_pending += (gdouble)d->scenario->precopy_bytes;
            d->next_reinit++;
        }
    }
}

static guint64
device_report(CvSimModel *m, const DeviceState *d)
{
    CvSimGarbage mode =
        (CvSimGarbage)(gint)cv_sim_schedule_value_at(&d->scenario->garbage, mig_time(m));
    guint64 truth = device_stop_copy(m, d);

    switch (mode) {
    case CV_SIM_GARBAGE_NONE:
        return truth;
    case CV_SIM_GARBAGE_HUGE:
        return CV_SIM_GARBAGE_HUGE_BYTES;
    case CV_SIM_GARBAGE_WRAPPING:
        /* A small negative number read as unsigned. The jitter keeps QEMU's unsigned sum
         * from wrapping around to a small total unless RAM holds more than 4 GiB. */
        return G_MAXUINT64 - (guint64)g_rand_double_range(m->rand, 4294967296.0, 1099511627776.0);
    case CV_SIM_GARBAGE_FLUCTUATING:
        return (guint64)((gdouble)truth * g_rand_double_range(m->rand, 0.5, 4.0));
    default:
        return truth;
    }
}

static void
restore_run_state(CvSimModel *m)
{
    if (m->run != CV_SIM_RUN_FINISH_MIGRATE)
        return;
    m->run = m->run_before_switchover;
    if (m->run == CV_SIM_RUN_RUNNING)
        queue_event(m, CV_SIM_EVENT_RESUME, 0, 0);
}

static void
stop_for_switchover(CvSimModel *m)
{
    m->run_before_switchover = m->run;
    if (m->run == CV_SIM_RUN_RUNNING)
        queue_event(m, CV_SIM_EVENT_STOP, 0, 0);
    m->run = CV_SIM_RUN_FINISH_MIGRATE;
}

/* ---- the state machine -------------------------------------------------------------- */

static void
do_fail(CvSimModel *m)
{
    if (m->version >= CV_SIM_QEMU_11_1)
        set_status(m, CV_MIGRATION_STATUS_FAILING);
    g_free(m->error_desc);
    m->error_desc = g_strdup(m->sc->error_desc);
    set_status(m, CV_MIGRATION_STATUS_FAILED);
    m->end_time = m->now;
    restore_run_state(m);
    m->phase = PHASE_IDLE;
}

/* A bitmap sync: the pages written since the last one join the bitmap. */
static void
bitmap_sync(CvSimModel *m)
{
    gdouble found = distinct_pages(m, m->writes_since_sync);
    /* pages written again before they were sent are in the bitmap already */
    gdouble added =
        m->working_set_pages > 0 ? found * (1.0 - MIN(m->bm_ws / m->working_set_pages, 1.0)) : 0;

    m->writes_since_sync = 0;
    added = MIN(added, m->total_pages - m->bm_zero - m->bm_normal);
    m->bm_normal += added;
    m->bm_ws += added;
    m->sync_count++;
    queue_event(m, CV_SIM_EVENT_MIGRATION_PASS, 0, m->sync_count);
    m->rate_period_pages += found;
    /* migration_update_rates(): the dirty rate is measured over periods of >= 1 s */
    if (m->now - m->rate_period_start >= 1.0) {
        m->dirty_pages_rate =
            (guint64)(m->rate_period_pages / (m->now - m->rate_period_start) + 0.5);
        m->rate_period_start = m->now;
        m->rate_period_pages = 0;
    }
}

static void
begin_sync(CvSimModel *m)
{
    m->phase = PHASE_SYNC;
    m->phase_end = m->now + m->sc->sync_time;
}

static void
start_postcopy_switch(CvSimModel *m)
{
    gdouble downtime = m->sc->downtime_fixed;

    m->postcopy_requested = FALSE;
    /* Before 10.0 the state went to postcopy-active first; since then through device. */
    if (m->version < CV_SIM_QEMU_11_1)
        set_status(m, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE);
    stop_for_switchover(m);
    if (m->version >= CV_SIM_QEMU_11_1)
        set_status(m, CV_MIGRATION_STATUS_DEVICE);
    /* ram_postcopy_send_discard_bitmap() syncs once more */
    bitmap_sync(m);
    for (guint i = 0; i < m->devices->len; i++)
        downtime += device(m, i)->scenario->downtime_cost;
    m->downtime = downtime;
    m->switched_over = TRUE;
    m->switchover_at = mig_time(m);
    m->stop_copy_bytes = 0;
    m->stop_copy_rate = own_link_rate(m, TRUE);
    m->fixed_cost = downtime;
    m->pages_per_second_last = (guint64)(bandwidth(m) / (page_size(m) + PAGE_HEADER));
    m->phase = PHASE_POSTCOPY_SWITCH;
    m->phase_end = m->now + downtime;
}

/* Top of a loop iteration: estimate, and either sync or keep sending. */
static void
iteration_start(CvSimModel *m)
{
    gdouble estimate;
    gdouble thr;

    if (m->postcopy_requested && m->status == CV_MIGRATION_STATUS_ACTIVE) {
        start_postcopy_switch(m);
        return;
    }
    estimate = ram_bitmap_bytes(m) + devices_precopy_pending(m);
    thr = threshold(m);
    if (estimate < thr || estimate <= 0)
        begin_sync(m);
    else
        m->phase = PHASE_SEND;
}

static void
switchover(CvSimModel *m)
{
    gdouble wire;
    gdouble device_bytes = 0;
    gdouble costs = 0;

    gdouble rate;

    m->pages_per_second_last = (guint64)(bandwidth(m) / (page_size(m) + PAGE_HEADER));
    stop_for_switchover(m);
    if (m->version >= CV_SIM_QEMU_11_1)
        set_status(m, CV_MIGRATION_STATUS_DEVICE);
    /* the final sync happens with the guest stopped, after STOP */
    bitmap_sync(m);
    wire = ram_wire_bytes(m);
    for (guint i = 0; i < m->devices->len; i++) {
        device_bytes += (gdouble)device_stop_copy(m, device(m, i));
        costs += device(m, i)->scenario->downtime_cost;
    }
    m->phase = PHASE_SWITCHOVER;
    rate = link_share(m, own_link_rate(m, FALSE));
    m->downtime = (wire + device_bytes) / rate + m->sc->downtime_fixed + costs;
    m->phase_end = m->now + m->downtime;
    m->switched_over = TRUE;
    m->switchover_at = mig_time(m);
    m->stop_copy_bytes = wire + device_bytes;
    m->stop_copy_rate = rate;
    m->fixed_cost = m->sc->downtime_fixed + costs;
}

static void
complete(CvSimModel *m)
{
    gdouble total_ms;
    gdouble all_bytes;

    if (m->phase == PHASE_SWITCHOVER) {
        /* the stop-copy data lands now */
        bitmap_send(m, 1.0, &m->bytes_downtime);
        for (guint i = 0; i < m->devices->len; i++)
            device(m, i)->transferred += (gdouble)device_stop_copy(m, device(m, i));
    }
    m->end_time = m->now;
    total_ms = floor((m->end_time - m->mig_start) * 1000.0);
    all_bytes = m->bytes_precopy + m->bytes_downtime + m->bytes_postcopy;
    for (guint i = 0; i < m->devices->len; i++)
        all_bytes += device(m, i)->transferred;
    /* once completed, mbps is the average over the whole migration */
    m->mbps_final = total_ms > 0 ? all_bytes * 8.0 / total_ms / 1000.0 : 0;
    m->dirty_pages_rate = 0;
    m->run = CV_SIM_RUN_POSTMIGRATE;
    m->phase = PHASE_IDLE;
    set_status(m, CV_MIGRATION_STATUS_COMPLETED);
}

/* The exact query at the end of a sync: decide. */
static void
exact_query(CvSimModel *m)
{
    guint64 pending;
    gdouble swbw;

    bitmap_sync(m);
    m->ram_dirty_last_sync = ram_bitmap_bytes(m);
    pending = (guint64)m->ram_dirty_last_sync;
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = device(m, i);
        d->reported = device_report(m, d);
        pending += d->reported; /* unsigned, wraps like QEMU's sum */
    }
    m->total_dirty_last_exact = pending;
    m->last_exact_bytes = ram_wire_bytes(m) + devices_stop_copy(m);
    if (m->min_exact_bytes < 0 || m->last_exact_bytes < m->min_exact_bytes)
        m->min_exact_bytes = m->last_exact_bytes;
    swbw = switchover_bandwidth(m);
    if (m->dirty_pages_rate != 0 && swbw > 0)
        m->expected_pre = m->ram_dirty_last_sync * 1000.0 / swbw;
    if ((gdouble)pending <= threshold(m)) {
        switchover(m);
        return;
    }
    m->phase = PHASE_BATCH;
    m->batch_end = m->now + BATCH_MAX;
}

static void
finish_setup(CvSimModel *m)
{
    m->setup_time = m->now - m->mig_start;
    /* ram_init_bitmaps(): every page is dirty, then the first sync is pass 1 */
    m->writes_since_sync = 0;
    m->sync_count = 1;
    queue_event(m, CV_SIM_EVENT_MIGRATION_PASS, 0, 1);
    m->rate_period_start = m->now;
    m->rate_period_pages = 0;
    m->ram_dirty_last_sync = ram_bitmap_bytes(m);
    set_status(m, CV_MIGRATION_STATUS_ACTIVE);
    iteration_start(m);
}

/* One stretch of sending with constant rates, up to @to or the next thing that happens. */
static void
send_step(CvSimModel *m, gdouble to)
{
    enum { HORIZON, CROSS, RAM_EMPTY, DEVICE_EMPTY, IDLE } reason = HORIZON;
    gdouble horizon = MIN(to, next_breakpoint(m));
    gdouble bw;
    gdouble thr = threshold(m);
    gdouble ram_bytes = ram_bitmap_bytes(m);
    gdouble wire = ram_wire_bytes(m);
    gdouble estimate = ram_bytes + devices_precopy_pending(m);
    gdouble dirty_sum = 0;
    gdouble dt;
    gint sender = -1;

    if (m->postcopy_requested && m->status == CV_MIGRATION_STATUS_ACTIVE) {
        start_postcopy_switch(m);
        return;
    }
    if (m->phase == PHASE_BATCH)
        horizon = MIN(horizon, m->batch_end);
    /* on a shared link the others' phases change this one's share: re-share every 50 ms */
    if (m->link != NULL)
        horizon = MIN(horizon, m->now + BATCH_MAX);
    bw = bandwidth(m);
    dt = MAX(horizon - m->now, 0);
    for (guint i = 0; i < m->devices->len; i++)
        dirty_sum += device_dirty_rate(m, device(m, i));

    if (m->phase == PHASE_SEND && estimate < thr) {
        dt = 0;
        reason = CROSS;
    } else if (wire > 0) {
        if (bw > 0) {
            gdouble t_empty = wire / bw;
            gdouble slope = -ram_bytes / t_empty + dirty_sum;

            if (t_empty <= dt) {
                dt = t_empty;
                reason = RAM_EMPTY;
            }
            if (m->phase == PHASE_SEND && slope < 0 && (estimate - thr) / -slope < dt) {
                dt = (estimate - thr) / -slope;
                reason = CROSS;
            }
            bitmap_send(m, reason == RAM_EMPTY ? 1.0 : dt / t_empty, &m->bytes_precopy);
        }
        accumulate(m, dt);
    } else {
        /* RAM is drained: the first device with precopy data gets the stream */
        for (guint i = 0; i < m->devices->len && sender < 0; i++) {
            if (device(m, i)->precopy_pending > 0)
                sender = (gint)i;
        }
        if (sender < 0) {
            dt = 0;
            reason = IDLE;
        } else {
            DeviceState *d = device(m, (guint)sender);
            gdouble net = bw - device_dirty_rate(m, d);

            if (net > 0 && d->precopy_pending / net <= dt) {
                dt = d->precopy_pending / net;
                reason = DEVICE_EMPTY;
            }
            if (m->phase == PHASE_SEND && dirty_sum < bw &&
                (estimate - thr) / (bw - dirty_sum) < dt) {
                dt = (estimate - thr) / (bw - dirty_sum);
                reason = CROSS;
            }
            accumulate(m, dt);
            d->transferred += bw * dt;
            d->precopy_pending = reason == DEVICE_EMPTY ? 0 : MAX(d->precopy_pending - bw * dt, 0);
        }
    }

    if (reason == HORIZON)
        m->now = horizon;
    else
        m->now += dt;

    if (fail_due(m)) {
        do_fail(m);
        return;
    }
    switch (reason) {
    case CROSS:
        begin_sync(m);
        break;
    case IDLE:
        /* nothing to send: the estimate is zero, so the next iteration syncs */
        iteration_start(m);
        break;
    case RAM_EMPTY:
    case DEVICE_EMPTY:
    case HORIZON:
        if (m->phase == PHASE_BATCH &&
            (m->now >= m->batch_end || (ram_wire_bytes(m) <= 0 && devices_precopy_pending(m) <= 0)))
            iteration_start(m);
        break;
    default:
        break;
    }
}

static void
postcopy_step(CvSimModel *m, gdouble to)
{
    gdouble rate = link_share(m, own_link_rate(m, TRUE));
    gdouble wire = ram_wire_bytes(m);
    gdouble t_empty;

    /* on a shared link the share may change with the others: re-share at least every 50 ms */
    if (m->link != NULL)
        to = MIN(to, m->now + BATCH_MAX);
    t_empty = wire / rate;
    if (m->now + t_empty <= to) {
        m->now += t_empty;
        bitmap_send(m, 1.0, &m->bytes_postcopy);
        complete(m);
    } else {
        bitmap_send(m, (to - m->now) / t_empty, &m->bytes_postcopy);
        m->now = to;
    }
}

void
cv_sim_model_advance(CvSimModel *m, gdouble to)
{
    while (m->now < to) {
        gdouble horizon = to;

        if (m->phase == PHASE_SEND || m->phase == PHASE_BATCH || m->phase == PHASE_SYNC)
            apply_reinits(m);
        switch (m->phase) {
        case PHASE_IDLE:
            m->now = to;
            break;
        case PHASE_SETUP:
            if (m->sc->fail_after >= 0)
                horizon = MIN(horizon, m->mig_start + m->sc->fail_after);
            m->now = MIN(horizon, m->phase_end);
            if (fail_due(m))
                do_fail(m);
            else if (m->now >= m->phase_end)
                finish_setup(m);
            break;
        case PHASE_SYNC:
            horizon = MIN(MIN(horizon, m->phase_end), next_breakpoint(m));
            accumulate(m, horizon - m->now);
            m->now = horizon;
            if (fail_due(m))
                do_fail(m);
            else if (m->now >= m->phase_end)
                exact_query(m);
            break;
        case PHASE_SEND:
        case PHASE_BATCH:
            send_step(m, to);
            break;
        case PHASE_SWITCHOVER:
            m->now = MIN(horizon, m->phase_end);
            if (m->now >= m->phase_end)
                complete(m);
            break;
        case PHASE_POSTCOPY_SWITCH:
            m->now = MIN(horizon, m->phase_end);
            if (m->now >= m->phase_end) {
                if (m->version >= CV_SIM_QEMU_11_1)
                    set_status(m, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE);
                m->phase = PHASE_POSTCOPY;
            }
            break;
        case PHASE_POSTCOPY:
            postcopy_step(m, to);
            break;
        case PHASE_CANCELLING:
            m->now = MIN(horizon, m->phase_end);
            if (m->now >= m->phase_end) {
                set_status(m, CV_MIGRATION_STATUS_CANCELLED);
                m->end_time = m->now;
                restore_run_state(m);
                m->phase = PHASE_IDLE;
            }
            break;
        default:
            m->now = to;
            break;
        }
    }
}

/* ---- commands ----------------------------------------------------------------------- */

gboolean
cv_sim_model_is_migrating(const CvSimModel *m)
{
    switch (m->status) {
    case CV_MIGRATION_STATUS_NONE:
    case CV_MIGRATION_STATUS_COMPLETED:
    case CV_MIGRATION_STATUS_FAILED:
    case CV_MIGRATION_STATUS_CANCELLED:
        return FALSE;
    case CV_MIGRATION_STATUS_UNKNOWN:
    case CV_MIGRATION_STATUS_SETUP:
    case CV_MIGRATION_STATUS_ACTIVE:
    case CV_MIGRATION_STATUS_PRE_SWITCHOVER:
    case CV_MIGRATION_STATUS_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_ACTIVE:
    case CV_MIGRATION_STATUS_POSTCOPY_PAUSED:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER_SETUP:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER:
    case CV_MIGRATION_STATUS_FAILING:
    case CV_MIGRATION_STATUS_CANCELLING:
    case CV_MIGRATION_STATUS_COLO:
    case CV_MIGRATION_STATUS_WAIT_UNPLUG:
        return TRUE;
    default:
        return TRUE;
    }
}

static const gchar *
first_vfio_name(const CvSimModel *m)
{
    return m->devices->len > 0 ? device(m, 0)->scenario->name : "";
}

gboolean
cv_sim_model_migrate(CvSimModel *m, GError **error)
{
    gdouble used_pages;

    if (cv_sim_model_is_migrating(m)) {
        g_set_error_literal(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_IN_PROGRESS,
                            "There's a migration process in progress");
        return FALSE;
    }
    if (m->run == CV_SIM_RUN_POSTMIGRATE) {
        g_set_error_literal(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_POSTMIGRATE,
                            "Can't migrate the vm that was paused due to previous migration");
        return FALSE;
    }
    /* vfio_save_prepare() refuses postcopy since 8.2 */
    if (m->postcopy_cap && m->devices->len > 0 && m->version >= CV_SIM_QEMU_8_2) {
        g_set_error(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_VFIO_POSTCOPY,
                    "%s: VFIO migration is not supported with postcopy migration",
                    first_vfio_name(m));
        return FALSE;
    }
    m->mig_start = m->now;
    m->setup_time = 0;
    m->end_time = 0;
    m->postcopy_requested = FALSE;
    used_pages = floor((gdouble)m->sc->ram_used_bytes / page_size(m));
    m->bm_normal = used_pages;
    /* every page starts in the bitmap, the working set's too */
    m->bm_ws = m->working_set_pages;
    m->bm_zero = m->total_pages - used_pages;
    m->writes_since_sync = 0;
    m->zero_sent = m->normal_sent = 0;
    m->bytes_precopy = m->bytes_downtime = m->bytes_postcopy = 0;
    m->sync_count = 0;
    m->rate_period_start = m->now;
    m->rate_period_pages = 0;
    m->dirty_pages_rate = 0;
    m->ram_dirty_last_sync = 0;
    m->total_dirty_last_exact = 0;
    /* migration_connect(): expected-downtime starts as the limit of this moment */
    m->expected_pre = (gdouble)m->downtime_limit_ms;
    m->pages_per_second_last = 0;
    m->mbps_final = 0;
    m->downtime = 0;
    g_clear_pointer(&m->error_desc, g_free);
    m->switched_over = FALSE;
    m->switchover_at = 0;
    m->stop_copy_bytes = 0;
    m->stop_copy_rate = 0;
    m->fixed_cost = 0;
    m->min_exact_bytes = -1;
    m->last_exact_bytes = -1;
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = device(m, i);
        d->precopy_pending = (gdouble)d->scenario->precopy_bytes;
        d->next_reinit = 0;
        d->transferred = 0;
        /* vfio_save_setup() queries the stop-copy size to size its buffer */
        d->reported = device_report(m, d);
    }
    set_status(m, CV_MIGRATION_STATUS_SETUP);
    m->phase = PHASE_SETUP;
    m->phase_end = m->now + m->sc->setup_time;
    if (m->sc->setup_time <= 0)
        finish_setup(m);
    return TRUE;
}

gboolean
cv_sim_model_cancel(CvSimModel *m, GError **error)
{
    if (!cv_sim_model_is_migrating(m) || m->status == CV_MIGRATION_STATUS_CANCELLING ||
        m->status == CV_MIGRATION_STATUS_FAILING)
        return TRUE;
    if (m->phase == PHASE_POSTCOPY || m->phase == PHASE_POSTCOPY_SWITCH) {
        g_set_error_literal(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_POSTCOPY_CANCEL,
                            "Postcopy migration in progress, cannot cancel.");
        return FALSE;
    }
    set_status(m, CV_MIGRATION_STATUS_CANCELLING);
    m->phase = PHASE_CANCELLING;
    m->phase_end = m->now + CANCEL_TIME;
    return TRUE;
}

gboolean
cv_sim_model_start_postcopy(CvSimModel *m, GError **error)
{
    if (!m->postcopy_cap) {
        g_set_error_literal(
            error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_POSTCOPY_OFF,
            "Enable postcopy with migrate_set_capability before the start of migration");
        return FALSE;
    }
    if (m->status == CV_MIGRATION_STATUS_NONE) {
        g_set_error_literal(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_NOT_STARTED,
                            "Postcopy must be started after migration has been started");
        return FALSE;
    }
    if (m->devices->len > 0) {
        g_set_error(error, CV_SIM_MODEL_ERROR, CV_SIM_MODEL_ERROR_VFIO_POSTCOPY,
                    "%s: VFIO migration is not supported with postcopy migration",
                    first_vfio_name(m));
        return FALSE;
    }
    /* issuing it after the end of a migration is harmless */
    if (m->status == CV_MIGRATION_STATUS_SETUP || m->status == CV_MIGRATION_STATUS_ACTIVE)
        m->postcopy_requested = TRUE;
    return TRUE;
}

void
cv_sim_model_stop(CvSimModel *m)
{
    if (m->run != CV_SIM_RUN_RUNNING)
        return;
    m->run = CV_SIM_RUN_PAUSED;
    queue_event(m, CV_SIM_EVENT_STOP, 0, 0);
}

void
cv_sim_model_cont(CvSimModel *m)
{
    /* in finish-migrate the switchover owns the guest; the model ignores cont then */
    if (m->run != CV_SIM_RUN_PAUSED && m->run != CV_SIM_RUN_POSTMIGRATE)
        return;
    m->run = CV_SIM_RUN_RUNNING;
    queue_event(m, CV_SIM_EVENT_RESUME, 0, 0);
}

/* ---- parameters --------------------------------------------------------------------- */

void
cv_sim_model_set_downtime_limit(CvSimModel *m, guint64 ms)
{
    m->downtime_limit_ms = ms;
}

void
cv_sim_model_set_max_bandwidth(CvSimModel *m, guint64 bytes_per_s)
{
    m->max_bandwidth = bytes_per_s;
}

void
cv_sim_model_set_avail_switchover_bandwidth(CvSimModel *m, guint64 bytes_per_s)
{
    m->avail_sw_bw = bytes_per_s;
}

void
cv_sim_model_set_max_postcopy_bandwidth(CvSimModel *m, guint64 bytes_per_s)
{
    m->max_postcopy_bw = bytes_per_s;
}

void
cv_sim_model_set_events(CvSimModel *m, gboolean enabled)
{
    m->events_cap = enabled;
}

void
cv_sim_model_set_postcopy_ram(CvSimModel *m, gboolean enabled)
{
    m->postcopy_cap = enabled;
}

/* ---- reading ------------------------------------------------------------------------ */

CvSimQemuVersion
cv_sim_model_get_version(const CvSimModel *m)
{
    return m->version;
}

gdouble
cv_sim_model_get_time(const CvSimModel *m)
{
    return m->now;
}

CvMigrationStatus
cv_sim_model_get_status(const CvSimModel *m)
{
    return m->status;
}

CvSimRunState
cv_sim_model_get_run_state(const CvSimModel *m)
{
    return m->run;
}

static guint64
to_u64(gdouble value)
{
    if (value <= 0)
        return 0;
    if (value >= 1.8e19)
        return G_MAXUINT64;
    return (guint64)value;
}

static guint64
expected_downtime(const CvSimModel *m)
{
    gdouble swbw = switchover_bandwidth(m);

    if (m->version >= CV_SIM_QEMU_11_1) {
        /* computed on demand over every device's pending data at the last exact query */
        if (m->sync_count <= 1)
            return m->downtime_limit_ms;
        if (swbw <= 0)
            return 0;
        return to_u64((gdouble)m->total_dirty_last_exact * 1000.0 / swbw);
    }
    /* RAM only, refreshed only while a dirty rate is measured */
    if (m->dirty_pages_rate != 0 && swbw > 0 && m->sync_count > 1)
        return to_u64(m->ram_dirty_last_sync * 1000.0 / swbw);
    return to_u64(m->expected_pre);
}

void
cv_sim_model_get_info(const CvSimModel *m, CvSimInfo *info)
{
    gboolean completed = m->status == CV_MIGRATION_STATUS_COMPLETED;
    gdouble end = m->phase == PHASE_IDLE ? m->end_time : m->now;
    guint64 remaining;

    memset(info, 0, sizeof(*info));
    info->status = m->status;
    if (m->status == CV_MIGRATION_STATUS_NONE)
        return;
    info->setup_time_ms = to_u64(floor(m->setup_time * 1000.0));
    info->total_time_ms = to_u64(floor((end - m->mig_start) * 1000.0));
    info->expected_downtime_ms = expected_downtime(m);
    info->downtime_ms = to_u64(floor(m->downtime * 1000.0 + 0.5));
    info->ram_remaining = completed ? 0 : to_u64(ram_bitmap_bytes(m));
    info->ram_total = m->sc->ram_bytes;
    info->ram_duplicate = to_u64(floor(m->zero_sent));
    info->ram_normal = to_u64(floor(m->normal_sent));
    info->ram_normal_bytes = info->ram_normal * m->sc->page_size;
    info->ram_dirty_pages_rate = completed ? 0 : m->dirty_pages_rate;
    if (completed) {
        info->ram_mbps = m->mbps_final;
        info->ram_pages_per_second = m->pages_per_second_last;
    } else if (m->phase == PHASE_POSTCOPY) {
        gdouble rate = link_share(m, own_link_rate(m, TRUE));
        info->ram_mbps = rate * 8.0 / 1e6;
        info->ram_pages_per_second = to_u64(rate / (page_size(m) + PAGE_HEADER));
    } else if (m->status == CV_MIGRATION_STATUS_SETUP || m->phase == PHASE_IDLE) {
        info->ram_mbps = 0;
        info->ram_pages_per_second = m->pages_per_second_last;
    } else {
        gdouble bw = bandwidth(m);
        info->ram_mbps = bw * 8.0 / 1e6;
        info->ram_pages_per_second = to_u64(bw / (page_size(m) + PAGE_HEADER));
    }
    info->ram_dirty_sync_count = m->sync_count;
    info->ram_page_size = m->sc->page_size;
    info->ram_precopy_bytes = to_u64(m->bytes_precopy);
    info->ram_downtime_bytes = to_u64(m->bytes_downtime);
    info->ram_postcopy_bytes = to_u64(m->bytes_postcopy);
    info->ram_transferred =
        info->ram_precopy_bytes + info->ram_downtime_bytes + info->ram_postcopy_bytes;
    info->ram_postcopy_requests = 0;
    remaining = to_u64(ram_bitmap_bytes(m));
    info->has_vfio = m->devices->len > 0;
    for (guint i = 0; i < m->devices->len; i++) {
        remaining += device(m, i)->reported; /* unsigned, wraps like QEMU's sum */
        info->vfio_transferred += to_u64(device(m, i)->transferred);
    }
    info->remaining = completed ? 0 : remaining;
    info->error_desc = m->error_desc;
}

GArray *
cv_sim_model_take_events(CvSimModel *m)
{
    GArray *events = m->events;

    m->events = g_array_new(FALSE, FALSE, sizeof(CvSimEvent));
    return events;
}

/* ---- life cycle --------------------------------------------------------------------- */

CvSimModel *
cv_sim_model_new(const CvSimScenario *scenario, CvSimQemuVersion version, guint32 seed)
{
    CvSimModel *m = g_new0(CvSimModel, 1);

    m->sc = scenario;
    m->version = version;
    m->rand = g_rand_new_with_seed(seed);
    m->downtime_limit_ms = scenario->downtime_limit_ms;
    m->max_bandwidth = scenario->max_bandwidth;
    m->avail_sw_bw = version >= CV_SIM_QEMU_8_2 ? scenario->avail_switchover_bandwidth : 0;
    m->max_postcopy_bw = scenario->max_postcopy_bandwidth;
    m->events_cap = scenario->cap_events;
    m->postcopy_cap = scenario->cap_postcopy_ram;
    m->run = CV_SIM_RUN_RUNNING;
    m->status = CV_MIGRATION_STATUS_NONE;
    m->phase = PHASE_IDLE;
    m->total_pages = floor((gdouble)scenario->ram_bytes / (gdouble)scenario->page_size);
    m->working_set_pages =
        floor((gdouble)scenario->working_set_bytes / (gdouble)scenario->page_size);
    m->devices = g_array_new(FALSE, TRUE, sizeof(DeviceState));
    m->min_exact_bytes = -1;
    m->last_exact_bytes = -1;
    for (guint i = 0; i < scenario->devices->len; i++) {
        DeviceState d = {g_ptr_array_index(scenario->devices, i), 0, 0, 0, 0};
        d.reported = d.scenario->stop_copy_bytes;
        g_array_append_val(m->devices, d);
    }
    m->events = g_array_new(FALSE, FALSE, sizeof(CvSimEvent));
    return m;
}

void
cv_sim_model_free(CvSimModel *m)
{
    if (m == NULL)
        return;
    if (m->link != NULL)
        cv_sim_link_remove(m->link, m);
    g_rand_free(m->rand);
    g_free(m->error_desc);
    g_array_unref(m->devices);
    g_array_unref(m->events);
    g_free(m);
}

void
cv_sim_model_set_link(CvSimModel *m, CvSimLink *link)
{
    if (m->link != NULL)
        cv_sim_link_remove(m->link, m);
    m->link = link;
    if (link != NULL)
        cv_sim_link_add(link, m, link_demand);
}

void
cv_sim_model_get_truth(const CvSimModel *m, CvSimTruth *truth)
{
    gboolean running = m->phase != PHASE_IDLE;

    memset(truth, 0, sizeof(*truth));
    truth->switched_over = m->switched_over;
    truth->switchover_at = m->switchover_at;
    truth->downtime = m->downtime;
    truth->stop_copy_bytes = m->stop_copy_bytes;
    truth->stop_copy_rate = m->stop_copy_rate;
    truth->fixed_cost = m->fixed_cost;
    truth->min_exact_bytes = m->min_exact_bytes;
    truth->last_exact_bytes = m->last_exact_bytes;
    truth->bytes_sent = m->bytes_precopy + m->bytes_downtime + m->bytes_postcopy;
    for (guint i = 0; i < m->devices->len; i++)
        truth->bytes_sent += device(m, i)->transferred;
    if (running && m->phase != PHASE_SWITCHOVER && m->phase != PHASE_CANCELLING)
        truth->pending_bytes =
            ram_bitmap_bytes(m) + devices_precopy_pending(m) + devices_stop_copy(m);
    truth->downtime_limit_ms = m->downtime_limit_ms;
    truth->precopy_rate = running ? bandwidth(m) : 0;
}
