/* CvLibvirtConn: one libvirt connection and the worker thread that makes every call on it.
 *
 * libvirt's client API is synchronous RPC, so nothing here calls libvirt on the main loop:
 * each connection owns one worker thread, which opens the connection (virConnectOpenAuth),
 * runs the queued calls one after the other and returns their results through a GTask, whose
 * callback runs on the main context of the caller. A libvirtd that hangs holds up the calls of
 * its own connection, never the process.
 *
 * libvirt's own events (domain events, keepalive, the close callback) run on libvirt's
 * GLib-based default event implementation, which dispatches on the default GMainContext:
 * cv_libvirt_init() registers it once, before any connection is opened.
 *
 * When the connection is lost (libvirtd restarted, keepalive timed out), the next call
 * reconnects with a backoff, re-registers the domain events, and retries the call once when it
 * is safe to repeat; the event subscribers hear LOST and RECONNECTED. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

G_BEGIN_DECLS

/* Once per process, before any connection: libvirt's errors are not printed (they become
 * GErrors, cv_libvirt_error_from_last) and its GLib-based default event loop is registered. */
void cv_libvirt_init(void);

/* The error libvirt left on this thread (virGetLastError), once, as a CV_TARGET_ERROR:
 * NO_DOMAIN, NO_MIGRATION, OPERATION_INVALID, PERMISSION_DENIED, NOT_SUPPORTED,
 * INVALID_ARGUMENT, CONNECT, CLOSED (the connection is gone: @conn is not alive), FAILED.
 * The message is "@what: libvirt's message". @conn may be NULL. */
GError *cv_libvirt_error_from_last(virConnectPtr conn, const gchar *what);
/* The libvirt error number inside, for the few callers that must tell e.g.
 * VIR_ERR_NO_DOMAIN_METADATA apart; VIR_ERR_OK when there is none. */
gint cv_libvirt_last_error_number(void);

/* On a worker: the domain @spec names, as virsh reads it: an id, then a UUID, then a name.
 * NO_DOMAIN when none matches. */
virDomainPtr cv_libvirt_lookup_domain(virConnectPtr conn, const gchar *spec, GError **error);

typedef struct _CvLibvirtConn CvLibvirtConn;

/* @uri: NULL = libvirt's default (LIBVIRT_DEFAULT_URI, then its own choice), as virsh.
 * @read_only: VIR_CONNECT_RO, for commands that only read. Nothing is opened until the first
 * call. Callbacks run on the default main context. */
CvLibvirtConn *cv_libvirt_conn_new(const gchar *uri, gboolean read_only);
CvLibvirtConn *cv_libvirt_conn_ref(CvLibvirtConn *conn);
/* The last reference never waits for the worker: a call still running finishes (or fails) on
 * its own, its result is dropped, and the worker closes the connection and exits. */
void cv_libvirt_conn_unref(CvLibvirtConn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvLibvirtConn, cv_libvirt_conn_unref)

/* The URI as given, or "default" when NULL. */
const gchar *cv_libvirt_conn_get_uri(const CvLibvirtConn *conn);
gboolean cv_libvirt_conn_is_read_only(const CvLibvirtConn *conn);
/* How long the worker keeps trying to reconnect before a call fails with CLOSED (default
 * 90000 ms); 0 = never reconnect. */
void cv_libvirt_conn_set_reconnect_timeout(CvLibvirtConn *conn, guint timeout_ms);

/* Given to a work function, on the worker thread. @generation changes with every (re)connect:
 * a virDomainPtr looked up under another generation belongs to a closed connection. */
typedef struct {
    virConnectPtr conn;
    guint generation;
} CvLibvirtWorker;

/* Runs on the worker. Returns the result (may be NULL on success) or sets @error; libvirt's
 * errors are converted with cv_libvirt_error_from_last. */
typedef gpointer (*CvLibvirtWorkFunc)(const CvLibvirtWorker *worker, gpointer data, GError **error);

typedef enum {
    CV_LIBVIRT_WORK_DEFAULT = 0,
    /* Safe to run again: when the connection dies under it, reconnect and run it once more. */
    CV_LIBVIRT_WORK_RETRY = 1 << 0,
    /* Run on a thread of its own (sharing the connection) instead of the worker queue: for
     * a call that lasts as long as a migration (virDomainMigrateToURI3), so the worker goes on
     * serving queries meanwhile. */
    CV_LIBVIRT_WORK_LONG = 1 << 1,
} CvLibvirtWorkFlags;

/* Queue @func(@data) on the worker; @callback runs on the thread-default context of the
 * caller, never from inside this call. @data is freed with @data_free after the work ran (on
 * the worker or the main context). A @cancellable cancelled before the work starts skips it;
 * @callback then gets G_IO_ERROR_CANCELLED. */
void cv_libvirt_conn_run(CvLibvirtConn *conn, CvLibvirtWorkFunc func, gpointer data,
                         GDestroyNotify data_free, GDestroyNotify result_free,
                         CvLibvirtWorkFlags flags, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
gpointer cv_libvirt_conn_run_finish(CvLibvirtConn *conn, GAsyncResult *result, GError **error);
/* For one-shot CLI commands: run and iterate the thread-default context until done. */
gpointer cv_libvirt_conn_run_sync(CvLibvirtConn *conn, CvLibvirtWorkFunc func, gpointer data,
                                  GDestroyNotify data_free, GDestroyNotify result_free,
                                  GError **error);

/* ---- domain events -------------------------------------------------------------------- */

typedef enum {
    CV_LIBVIRT_EVENT_ITERATION = 0, /* migration-iteration: iteration */
    CV_LIBVIRT_EVENT_JOB_COMPLETED, /* job-completed: params, nparams (the final statistics) */
    CV_LIBVIRT_EVENT_LIFECYCLE,     /* lifecycle: event, detail (virDomainEventType, ...) */
    CV_LIBVIRT_EVENT_LOST,          /* the connection is gone; uuid is NULL; error says why */
    CV_LIBVIRT_EVENT_RECONNECTED,   /* a new connection is up; uuid is NULL */
} CvLibvirtEventKind;

typedef struct {
    CvLibvirtEventKind kind;
    const guchar *uuid; /* VIR_UUID_BUFLEN bytes */
    const gchar *name;
    gint iteration;
    const virTypedParameter *params;
    gint nparams;
    gint event;
    gint detail;
    const GError *error;
} CvLibvirtEvent;

typedef void (*CvLibvirtEventFunc)(CvLibvirtConn *conn, const CvLibvirtEvent *event,
                                   gpointer user_data);

/* Subscribe to every domain's migration-iteration, job-completed and lifecycle events (the
 * subscriber filters by UUID), plus LOST/RECONNECTED. The first subscription registers the
 * events with libvirt (on the worker, at once if connected, else at the next connect).
 * Returns an id for cv_libvirt_conn_remove_event_func. */
guint cv_libvirt_conn_add_event_func(CvLibvirtConn *conn, CvLibvirtEventFunc func,
                                     gpointer user_data);
void cv_libvirt_conn_remove_event_func(CvLibvirtConn *conn, guint id);

/* Worker threads alive in the process (tests wait for 0 before checking leaks). */
guint cv_libvirt_conn_get_n_workers(void);

G_END_DECLS
