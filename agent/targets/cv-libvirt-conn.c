#include "config.h"

#include <string.h>

#include <libvirt/virterror.h>

#include "cv-libvirt-conn.h"
#include "cv-target.h"

/* keepalive: a ping every 5 s, the connection declared dead after 3 unanswered ones */
#define KEEPALIVE_INTERVAL_S 5
#define KEEPALIVE_COUNT 3
/* libvirtd, stopped with a migration call in progress, waits 30 s for it before it exits
 * (measured on 9.0); a restart must fit in the window with room for the start. */
#define RECONNECT_TIMEOUT_MS 90000
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 2000

static gint n_workers; /* atomic */

/* ---- errors: converted once, here ------------------------------------------------------ */

static void
quiet_error_func(void *user_data, virErrorPtr error)
{
    /* libvirt prints every error on stderr by default; ours become GErrors instead */
}

static gpointer
init_once(gpointer data)
{
    /* required before libvirt is used from more than one thread */
    if (virInitialize() < 0)
        g_warning("cannot initialise libvirt");
    virSetErrorFunc(NULL, quiet_error_func);
    if (virEventRegisterDefaultImpl() < 0)
        g_warning("cannot register libvirt's default event loop: domain events will not arrive");
    return NULL;
}

void
cv_libvirt_init(void)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, init_once, NULL);
}

gint
cv_libvirt_last_error_number(void)
{
    virErrorPtr e = virGetLastError();

    return e != NULL ? e->code : VIR_ERR_OK;
}

static CvTargetErrorCode
error_code_from_libvirt(gint number)
{
    switch (number) {
    case VIR_ERR_NO_DOMAIN:
        return CV_TARGET_ERROR_NO_DOMAIN;
    case VIR_ERR_OPERATION_INVALID:
        return CV_TARGET_ERROR_OPERATION_INVALID;
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_ACCESS_DENIED:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
        return CV_TARGET_ERROR_PERMISSION_DENIED;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
        return CV_TARGET_ERROR_NOT_SUPPORTED;
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_OVERFLOW:
        return CV_TARGET_ERROR_INVALID_ARGUMENT;
    case VIR_ERR_NO_CONNECT:
        return CV_TARGET_ERROR_CONNECT;
    default:
        return CV_TARGET_ERROR_FAILED;
    }
}

GError *
cv_libvirt_error_from_last(virConnectPtr conn, const gchar *what)
{
    virErrorPtr e = virGetLastError();
    GError *error;

    error = g_error_new(
        CV_TARGET_ERROR, error_code_from_libvirt(e != NULL ? e->code : VIR_ERR_INTERNAL_ERROR),
        "%s: %s", what, e != NULL && e->message != NULL ? e->message : "unknown libvirt error");
    /* An RPC that failed because the connection died is "connection lost", whatever libvirt
     * called it (a system error on the socket, an RPC error, an end of file). Asked last: every
     * libvirt call resets the thread's error. */
    if (conn != NULL && error->code != CV_TARGET_ERROR_NO_DOMAIN && virConnectIsAlive(conn) == 0)
        error->code = CV_TARGET_ERROR_CLOSED;
    return error;
}

static gboolean
spec_is_id(const gchar *spec)
{
    if (*spec == '\0' || strlen(spec) > 9)
        return FALSE;
    for (const gchar *p = spec; *p != '\0'; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    return TRUE;
}

virDomainPtr
cv_libvirt_lookup_domain(virConnectPtr conn, const gchar *spec, GError **error)
{
    virDomainPtr dom = NULL;

    virResetLastError();
    if (spec_is_id(spec))
        dom = virDomainLookupByID(conn, (int)g_ascii_strtoll(spec, NULL, 10));
    if (dom == NULL && strlen(spec) == VIR_UUID_STRING_BUFLEN - 1)
        dom = virDomainLookupByUUIDString(conn, spec);
    if (dom == NULL)
        dom = virDomainLookupByName(conn, spec);
    if (dom == NULL) {
        g_autoptr(GError) e = cv_libvirt_error_from_last(conn, spec);

        if (e->code == CV_TARGET_ERROR_NO_DOMAIN || e->code == CV_TARGET_ERROR_FAILED)
            g_set_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_NO_DOMAIN,
                        "no domain '%s' (by name, UUID or id)", spec);
        else
            g_propagate_error(error, g_steal_pointer(&e));
    }
    return dom;
}

/* ---- the connection's state, shared by the main thread, the worker and libvirt ---------- */

typedef struct {
    guint id;
    CvLibvirtEventFunc func;
    gpointer user_data;
} Watcher;

typedef struct _Core Core;

typedef struct {
    CvLibvirtWorkFunc func;
    gpointer data;
    GDestroyNotify data_free;
    GDestroyNotify result_free;
    CvLibvirtWorkFlags flags;
    GTask *task; /* NULL for the connection's own jobs (event registration) */
    gboolean register_events;
} Job;

struct _Core {
    gint ref; /* atomic */
    gchar *uri;
    gboolean read_only;
    GMutex lock;
    GCond cond;
    GQueue jobs;               /* Job *, under lock */
    gboolean quit;             /* under lock */
    gint reconnect_timeout_ms; /* atomic */
    gint events_wanted;        /* atomic */
    gint lost;                 /* atomic: the close callback saw the connection die */
    gint lost_reported;        /* atomic: LOST posted for this connection */
    gint64 lost_since;         /* under lock: when the connection was found gone; 0 = not */

    /* The worker's own. */
    virConnectPtr vconn;
    guint generation;
    gint callback_ids[3];
    gboolean events_registered;
    gboolean ever_connected;

    /* Main thread only. */
    CvLibvirtConn *owner; /* NULL once the last reference is gone: no more dispatch */
    GArray *watchers;     /* Watcher */
    guint next_watch_id;
};

struct _CvLibvirtConn {
    gint ref;
    Core *core;
};

static Core *
core_ref(Core *core)
{
    g_atomic_int_inc(&core->ref);
    return core;
}

static void
core_unref(gpointer data)
{
    Core *core = data;

    if (!g_atomic_int_dec_and_test(&core->ref))
        return;
    g_free(core->uri);
    g_mutex_clear(&core->lock);
    g_cond_clear(&core->cond);
    if (core->watchers != NULL)
        g_array_unref(core->watchers);
    g_free(core);
}

static void
job_free(gpointer data)
{
    Job *job = data;

    if (job->data_free != NULL && job->data != NULL)
        job->data_free(job->data);
    g_free(job);
}

static const gchar *
core_uri(const Core *core)
{
    return core->uri != NULL ? core->uri : "default";
}

/* ---- delivering to the main context ---------------------------------------------------- */

typedef struct {
    Core *core;
    CvLibvirtEventKind kind;
    GError *error;
} Notice;

static void
dispatch(Core *core, const CvLibvirtEvent *event)
{
    g_autoptr(GArray) copy = NULL;

    if (core->owner == NULL || core->watchers == NULL || core->watchers->len == 0)
        return;
    /* a subscriber may unsubscribe (or subscribe) from its callback */
    copy = g_array_copy(core->watchers);
    for (guint i = 0; i < copy->len; i++) {
        Watcher *w = &g_array_index(copy, Watcher, i);
        gboolean still = FALSE;

        for (guint j = 0; core->owner != NULL && j < core->watchers->len; j++)
            still |= g_array_index(core->watchers, Watcher, j).id == w->id;
        if (still)
            w->func(core->owner, event, w->user_data);
    }
}

static gboolean
notice_cb(gpointer data)
{
    Notice *n = data;
    CvLibvirtEvent event = {.kind = n->kind, .error = n->error};

    dispatch(n->core, &event);
    return G_SOURCE_REMOVE;
}

static void
notice_free(gpointer data)
{
    Notice *n = data;

    g_clear_error(&n->error);
    core_unref(n->core);
    g_free(n);
}

/* From any thread. */
static void
post_notice(Core *core, CvLibvirtEventKind kind, GError *error)
{
    Notice *n = g_new0(Notice, 1);
    g_autoptr(GSource) source = g_idle_source_new();

    n->core = core_ref(core);
    n->kind = kind;
    n->error = error;
    g_source_set_callback(source, notice_cb, n, notice_free);
    g_source_attach(source, NULL);
}

static void
mark_lost_since(Core *core)
{
    g_mutex_lock(&core->lock);
    if (core->lost_since == 0)
        core->lost_since = g_get_monotonic_time();
    g_mutex_unlock(&core->lock);
}

static void
report_lost(Core *core, const gchar *why)
{
    mark_lost_since(core);
    if (!g_atomic_int_compare_and_exchange(&core->lost_reported, 0, 1))
        return;
    g_message("lost the connection to libvirt at %s (%s); reconnecting on the next call",
              core_uri(core), why);
    post_notice(core, CV_LIBVIRT_EVENT_LOST,
                g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED,
                            "lost the connection to libvirt at %s (%s)", core_uri(core), why));
}

/* ---- libvirt's callbacks --------------------------------------------------------------- */

/* May run on any thread: the one that found the socket closed. */
static void
close_cb(virConnectPtr vconn, int reason, void *opaque)
{
    Core *core = opaque;
    const gchar *why;

    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
        return;
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
        why = "keepalive timeout: libvirtd stopped answering";
        break;
    case VIR_CONNECT_CLOSE_REASON_EOF:
        why = "libvirtd closed the connection";
        break;
    case VIR_CONNECT_CLOSE_REASON_ERROR:
    default:
        why = "connection error";
        break;
    }
    g_atomic_int_set(&core->lost, 1);
    report_lost(core, why);
}

/* Domain events: dispatched by libvirt's event loop, on the default main context. */
static void
event_base(Core *core, virDomainPtr dom, CvLibvirtEvent *event)
{
    guchar uuid[VIR_UUID_BUFLEN];

    if (virDomainGetUUID(dom, uuid) < 0)
        return;
    event->uuid = uuid;
    event->name = virDomainGetName(dom);
    dispatch(core, event);
}

static void
iteration_cb(virConnectPtr vconn, virDomainPtr dom, int iteration, void *opaque)
{
    CvLibvirtEvent event = {.kind = CV_LIBVIRT_EVENT_ITERATION, .iteration = iteration};

    event_base(opaque, dom, &event);
}

static void
job_completed_cb(virConnectPtr vconn, virDomainPtr dom, virTypedParameterPtr params, int nparams,
                 void *opaque)
{
    CvLibvirtEvent event = {
        .kind = CV_LIBVIRT_EVENT_JOB_COMPLETED, .params = params, .nparams = nparams};

    event_base(opaque, dom, &event);
}

static int
lifecycle_cb(virConnectPtr vconn, virDomainPtr dom, int ev, int detail, void *opaque)
{
    CvLibvirtEvent event = {.kind = CV_LIBVIRT_EVENT_LIFECYCLE, .event = ev, .detail = detail};

    event_base(opaque, dom, &event);
    return 0;
}

/* ---- the worker ------------------------------------------------------------------------ */

static void
register_events(Core *core)
{
    static const struct {
        gint id;
        virConnectDomainEventGenericCallback cb;
    } events[] = {
        {VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION, VIR_DOMAIN_EVENT_CALLBACK(iteration_cb)},
        {VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, VIR_DOMAIN_EVENT_CALLBACK(job_completed_cb)},
        {VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb)},
    };

    if (core->vconn == NULL || core->events_registered)
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(events); i++) {
        core->callback_ids[i] = virConnectDomainEventRegisterAny(
            core->vconn, NULL, events[i].id, events[i].cb, core_ref(core), core_unref);
        if (core->callback_ids[i] < 0) {
            g_autoptr(GError) error = cv_libvirt_error_from_last(core->vconn, "domain events");

            core_unref(core);
            g_warning("%s: cannot register for domain events (%s): polling instead", core_uri(core),
                      error->message);
        }
    }
    core->events_registered = TRUE;
}

static void
disconnect(Core *core)
{
    if (core->vconn == NULL)
        return;
    if (core->events_registered) {
        for (gsize i = 0; i < G_N_ELEMENTS(core->callback_ids); i++) {
            /* the connection may be dead already: then libvirt just drops them on close */
            if (core->callback_ids[i] >= 0)
                virConnectDomainEventDeregisterAny(core->vconn, core->callback_ids[i]);
        }
        core->events_registered = FALSE;
    }
    virConnectUnregisterCloseCallback(core->vconn, close_cb);
    virConnectClose(core->vconn);
    core->vconn = NULL;
}

static gboolean
try_connect(Core *core, GError **error)
{
    virResetLastError();
    core->vconn = virConnectOpenAuth(core->uri, virConnectAuthPtrDefault,
                                     core->read_only ? VIR_CONNECT_RO : 0);
    if (core->vconn == NULL) {
        gint number = cv_libvirt_last_error_number();

        g_set_error(error, CV_TARGET_ERROR,
                    error_code_from_libvirt(number) == CV_TARGET_ERROR_PERMISSION_DENIED
                        ? CV_TARGET_ERROR_PERMISSION_DENIED
                        : CV_TARGET_ERROR_CONNECT,
                    "cannot connect to libvirt at %s%s: %s", core_uri(core),
                    core->read_only ? " (read-only)" : "", virGetLastErrorMessage());
        return FALSE;
    }
    /* Keepalive needs the event loop (cv_libvirt_init); drivers without it say so, harmlessly. */
    if (virConnectSetKeepAlive(core->vconn, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT) < 0)
        g_debug("%s: no keepalive", core_uri(core));
    /* No reference for libvirt to drop: drivers without close callbacks (the test driver)
     * accept the registration and never call the free function. The worker unregisters it
     * before it lets the core go, and libvirt does not call it once unregistered. */
    if (virConnectRegisterCloseCallback(core->vconn, close_cb, core, NULL) < 0)
        g_debug("%s: no close callback", core_uri(core));
    g_atomic_int_set(&core->lost, 0);
    g_atomic_int_set(&core->lost_reported, 0);
    core->generation++;
    if (g_atomic_int_get(&core->events_wanted))
        register_events(core);
    return TRUE;
}

static gboolean
connection_dead(Core *core)
{
    return core->vconn != NULL &&
           (g_atomic_int_get(&core->lost) || virConnectIsAlive(core->vconn) != 1);
}

/* Sleep @ms unless told to quit; FALSE when quitting. */
static gboolean
backoff_wait(Core *core, guint ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * G_TIME_SPAN_MILLISECOND;
    gboolean quit;

    g_mutex_lock(&core->lock);
    while (!core->quit && g_cond_wait_until(&core->cond, &core->lock, until))
        ;
    quit = core->quit;
    g_mutex_unlock(&core->lock);
    return !quit;
}

static gboolean
ensure_connected(Core *core, GError **error)
{
    g_autoptr(GError) last = NULL;
    gint64 start, deadline;
    guint delay = BACKOFF_FIRST_MS;
    guint timeout_ms = (guint)g_atomic_int_get(&core->reconnect_timeout_ms);

    if (connection_dead(core)) {
        report_lost(core, "found closed");
        disconnect(core);
    }
    if (core->vconn != NULL)
        return TRUE;
    start = g_get_monotonic_time();
    mark_lost_since(core);
    deadline = start + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
    for (;;) {
        g_clear_error(&last);
        if (try_connect(core, &last)) {
            gint64 since;

            g_mutex_lock(&core->lock);
            since = core->lost_since;
            core->lost_since = 0;
            g_mutex_unlock(&core->lock);
            if (core->ever_connected) {
                g_message("reconnected to libvirt at %s, %.1f s after the connection was lost",
                          core_uri(core),
                          (gdouble)(g_get_monotonic_time() - since) / G_USEC_PER_SEC);
                post_notice(core, CV_LIBVIRT_EVENT_RECONNECTED, NULL);
            }
            core->ever_connected = TRUE;
            return TRUE;
        }
        /* The first connect fails at once: a wrong URI is the user's to fix, not ours to
         * retry. A reconnect keeps trying: libvirtd is restarting. */
        if (!core->ever_connected || timeout_ms == 0 ||
            g_get_monotonic_time() + (gint64)delay * G_TIME_SPAN_MILLISECOND > deadline)
            break;
        if (!backoff_wait(core, delay))
            break;
        delay = MIN(delay * 2, BACKOFF_MAX_MS);
    }
    if (!core->ever_connected) {
        g_propagate_error(error, g_steal_pointer(&last));
        return FALSE;
    }
    g_set_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED,
                "lost the connection to libvirt at %s and could not reconnect within %.0f s: %s",
                core_uri(core), (gdouble)timeout_ms / 1000.0, last->message);
    return FALSE;
}

static void
task_return(GTask *task, gpointer result, GDestroyNotify result_free, GError *error)
{
    if (error != NULL)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, result, result_free);
}

typedef struct {
    Core *core;
    Job *job;
    CvLibvirtWorker worker;
} LongRun;

static gpointer
long_main(gpointer data)
{
    LongRun *run = data;
    GError *error = NULL;
    gpointer result;

    virResetLastError();
    result = run->job->func(&run->worker, run->job->data, &error);
    task_return(run->job->task, result, run->job->result_free, error);
    g_object_unref(run->job->task);
    virConnectClose(run->worker.conn);
    core_unref(run->core);
    g_free(run);
    g_atomic_int_add(&n_workers, -1);
    return NULL;
}

static void
run_job(Core *core, Job *job)
{
    CvLibvirtWorker worker;
    GError *error = NULL;
    gpointer result = NULL;

    if (job->task != NULL && g_task_return_error_if_cancelled(job->task))
        return;
    if (!ensure_connected(core, &error)) {
        if (job->task != NULL)
            g_task_return_error(job->task, error);
        else
            g_clear_error(&error);
        return;
    }
    if (job->register_events) {
        register_events(core);
        return;
    }
    worker.conn = core->vconn;
    worker.generation = core->generation;
    if (job->flags & CV_LIBVIRT_WORK_LONG) {
        LongRun *run = g_new0(LongRun, 1);
        GThread *thread;

        run->core = core_ref(core);
        run->job = job;
        run->worker = worker;
        virConnectRef(worker.conn);
        g_atomic_int_inc(&n_workers);
        g_object_ref(job->task);
        thread = g_thread_new("cv-libvirt-long", long_main, run);
        g_thread_unref(thread);
        return;
    }
    virResetLastError();
    result = job->func(&worker, job->data, &error);
    if (error != NULL && connection_dead(core)) {
        report_lost(core, "a call failed");
        disconnect(core);
        if ((job->flags & CV_LIBVIRT_WORK_RETRY) && ensure_connected(core, NULL)) {
            g_clear_error(&error);
            worker.conn = core->vconn;
            worker.generation = core->generation;
            virResetLastError();
            result = job->func(&worker, job->data, &error);
        } else if (error->code != CV_TARGET_ERROR_CLOSED) {
            error->code = CV_TARGET_ERROR_CLOSED;
        }
    }
    task_return(job->task, result, job->result_free, error);
}

static gpointer
worker_main(gpointer data)
{
    Core *core = data;

    for (;;) {
        Job *job;
        gboolean quit;

        g_mutex_lock(&core->lock);
        while (g_queue_is_empty(&core->jobs) && !core->quit)
            g_cond_wait(&core->cond, &core->lock);
        job = g_queue_pop_head(&core->jobs);
        quit = core->quit;
        g_mutex_unlock(&core->lock);
        if (job == NULL)
            break;
        if (quit) {
            /* the connection's last owner is gone: nobody waits for this result */
            if (job->task != NULL)
                g_task_return_new_error(job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                        "the connection was released");
        } else {
            run_job(core, job);
        }
        if (job->task != NULL)
            g_object_unref(job->task);
        else
            job_free(job);
    }
    disconnect(core);
    core_unref(core);
    g_atomic_int_add(&n_workers, -1);
    return NULL;
}

static void
core_push(Core *core, Job *job)
{
    g_mutex_lock(&core->lock);
    g_queue_push_tail(&core->jobs, job);
    g_cond_signal(&core->cond);
    g_mutex_unlock(&core->lock);
}

/* ---- public ---------------------------------------------------------------------------- */

CvLibvirtConn *
cv_libvirt_conn_new(const gchar *uri, gboolean read_only)
{
    CvLibvirtConn *conn = g_new0(CvLibvirtConn, 1);
    Core *core = g_new0(Core, 1);
    GThread *thread;

    cv_libvirt_init();
    core->ref = 1;
    core->uri = g_strdup(uri);
    core->read_only = read_only;
    g_mutex_init(&core->lock);
    g_cond_init(&core->cond);
    g_queue_init(&core->jobs);
    core->reconnect_timeout_ms = RECONNECT_TIMEOUT_MS;
    for (gsize i = 0; i < G_N_ELEMENTS(core->callback_ids); i++)
        core->callback_ids[i] = -1;
    core->owner = conn;
    core->watchers = g_array_new(FALSE, TRUE, sizeof(Watcher));
    conn->ref = 1;
    conn->core = core;
    g_atomic_int_inc(&n_workers);
    thread = g_thread_new("cv-libvirt", worker_main, core_ref(core));
    g_thread_unref(thread);
    return conn;
}

CvLibvirtConn *
cv_libvirt_conn_ref(CvLibvirtConn *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    conn->ref++;
    return conn;
}

void
cv_libvirt_conn_unref(CvLibvirtConn *conn)
{
    Core *core;

    if (conn == NULL || --conn->ref > 0)
        return;
    core = conn->core;
    core->owner = NULL;
    g_array_set_size(core->watchers, 0);
    g_mutex_lock(&core->lock);
    core->quit = TRUE;
    g_cond_signal(&core->cond);
    g_mutex_unlock(&core->lock);
    core_unref(core);
    g_free(conn);
}

const gchar *
cv_libvirt_conn_get_uri(const CvLibvirtConn *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    return core_uri(conn->core);
}

gboolean
cv_libvirt_conn_is_read_only(const CvLibvirtConn *conn)
{
    g_return_val_if_fail(conn != NULL, FALSE);
    return conn->core->read_only;
}

void
cv_libvirt_conn_set_reconnect_timeout(CvLibvirtConn *conn, guint timeout_ms)
{
    g_return_if_fail(conn != NULL);
    g_atomic_int_set(&conn->core->reconnect_timeout_ms, (gint)MIN(timeout_ms, (guint)G_MAXINT));
}

void
cv_libvirt_conn_run(CvLibvirtConn *conn, CvLibvirtWorkFunc func, gpointer data,
                    GDestroyNotify data_free, GDestroyNotify result_free, CvLibvirtWorkFlags flags,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    Job *job;

    g_return_if_fail(conn != NULL && func != NULL);
    job = g_new0(Job, 1);
    job->func = func;
    job->data = data;
    job->data_free = data_free;
    job->result_free = result_free;
    job->flags = flags;
    /* The GTask's callback runs on the caller's thread-default context. */
    job->task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(job->task, cv_libvirt_conn_run);
    g_task_set_task_data(job->task, job, job_free);
    core_push(conn->core, job);
}

gpointer
cv_libvirt_conn_run_finish(CvLibvirtConn *conn, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

typedef struct {
    gboolean done;
    GAsyncResult *result;
} SyncRun;

static void
sync_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SyncRun *run = user_data;

    run->result = g_object_ref(result);
    run->done = TRUE;
}

gpointer
cv_libvirt_conn_run_sync(CvLibvirtConn *conn, CvLibvirtWorkFunc func, gpointer data,
                         GDestroyNotify data_free, GDestroyNotify result_free, GError **error)
{
    SyncRun run = {0};
    g_autoptr(GMainContext) context = g_main_context_ref_thread_default();
    gpointer result;

    cv_libvirt_conn_run(conn, func, data, data_free, result_free, CV_LIBVIRT_WORK_RETRY, NULL,
                        sync_cb, &run);
    while (!run.done)
        g_main_context_iteration(context, TRUE);
    result = cv_libvirt_conn_run_finish(conn, run.result, error);
    g_object_unref(run.result);
    return result;
}

guint
cv_libvirt_conn_add_event_func(CvLibvirtConn *conn, CvLibvirtEventFunc func, gpointer user_data)
{
    Core *core;
    Watcher w;

    g_return_val_if_fail(conn != NULL && func != NULL, 0);
    core = conn->core;
    w.id = ++core->next_watch_id;
    w.func = func;
    w.user_data = user_data;
    g_array_append_val(core->watchers, w);
    if (g_atomic_int_compare_and_exchange(&core->events_wanted, 0, 1)) {
        Job *job = g_new0(Job, 1);

        job->register_events = TRUE;
        core_push(core, job);
    }
    return w.id;
}

void
cv_libvirt_conn_remove_event_func(CvLibvirtConn *conn, guint id)
{
    GArray *watchers;

    g_return_if_fail(conn != NULL);
    watchers = conn->core->watchers;
    for (guint i = 0; i < watchers->len; i++) {
        if (g_array_index(watchers, Watcher, i).id == id) {
            g_array_remove_index(watchers, i);
            return;
        }
    }
}

guint
cv_libvirt_conn_get_n_workers(void)
{
    return (guint)g_atomic_int_get(&n_workers);
}
