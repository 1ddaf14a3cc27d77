#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libvirt/libvirt-qemu.h>

#include "cv-libvirt-jobstats.h"
#include "cv-qmp-build.h"
#include "cv-qmp-parse.h"
#include "cv-target-libvirt.h"
#include "cv-target-private.h"

#define MIB (G_GUINT64_CONSTANT(1) << 20)

/* ---- the domain, as the worker sees it --------------------------------------------------- */

/* Shared by every operation of one target; its fields are touched on the worker thread only
 * (the long migrate call looks the domain up again on its own). */
typedef struct {
    gint ref;    /* atomic */
    gchar *spec; /* name, UUID or id, as given */
    guchar uuid[VIR_UUID_BUFLEN];
    gboolean have_uuid;
    virDomainPtr dom;
    guint generation;
} DomainHandle;

static DomainHandle *
handle_ref(DomainHandle *h)
{
    g_atomic_int_inc(&h->ref);
    return h;
}

static void
handle_unref(gpointer data)
{
    DomainHandle *h = data;

    if (h == NULL || !g_atomic_int_dec_and_test(&h->ref))
        return;
    if (h->dom != NULL)
        virDomainFree(h->dom);
    g_free(h->spec);
    g_free(h);
}

static virDomainPtr
domain_get(const CvLibvirtWorker *worker, DomainHandle *h, GError **error)
{
    if (h->dom != NULL && h->generation == worker->generation)
        return h->dom;
    g_clear_pointer(&h->dom, virDomainFree);
    virResetLastError();
    if (h->have_uuid) {
        h->dom = virDomainLookupByUUID(worker->conn, h->uuid);
        if (h->dom == NULL) {
            g_autoptr(GError) e = cv_libvirt_error_from_last(worker->conn, h->spec);

            if (e->code == CV_TARGET_ERROR_NO_DOMAIN)
                g_set_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_NO_DOMAIN,
                            "domain '%s' is gone", h->spec);
            else
                g_propagate_error(error, g_steal_pointer(&e));
            return NULL;
        }
    } else {
        h->dom = cv_libvirt_lookup_domain(worker->conn, h->spec, error);
        if (h->dom == NULL)
            return NULL;
    }
    if (!h->have_uuid && virDomainGetUUID(h->dom, h->uuid) == 0)
        h->have_uuid = TRUE;
    h->generation = worker->generation;
    return h->dom;
}

/* ---- QEMU's monitor through libvirt ------------------------------------------------------ */

/* Send one QMP command through virDomainQemuMonitorCommand; the reply's "return" member, or
 * QEMU's error as a GError. */
static JsonNode *
monitor_command(const CvLibvirtWorker *worker, virDomainPtr dom, const gchar *command,
                JsonObject *arguments, GError **error)
{
    g_autofree gchar *line = cv_qmp_build_command(command, arguments, NULL);
    g_autofree gchar *reply = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) parse_error = NULL;
    JsonObject *obj;
    JsonNode *root;

    virResetLastError();
    if (virDomainQemuMonitorCommand(dom, line, &reply, VIR_DOMAIN_QEMU_MONITOR_COMMAND_DEFAULT) <
        0) {
        g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, command));
        return NULL;
    }
    if (!json_parser_load_from_data(parser, reply, -1, &parse_error) ||
        (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_INVALID_REPLY,
                    "%s: QEMU's reply through libvirt is not a JSON object", command);
        return NULL;
    }
    obj = json_node_get_object(root);
    if (json_object_has_member(obj, "error")) {
        JsonNode *e = json_object_get_member(obj, "error");
        const gchar *desc = NULL;

        if (JSON_NODE_HOLDS_OBJECT(e) && json_object_has_member(json_node_get_object(e), "desc") &&
            JSON_NODE_HOLDS_VALUE(json_object_get_member(json_node_get_object(e), "desc")))
            desc = json_object_get_string_member(json_node_get_object(e), "desc");
        g_set_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_FAILED, "%s: %s", command,
                    desc != NULL ? desc : "QEMU refused it");
        return NULL;
    }
    if (!json_object_has_member(obj, "return")) {
        g_set_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_INVALID_REPLY,
                    "%s: QEMU's reply has no return value", command);
        return NULL;
    }
    return json_node_copy(json_object_get_member(obj, "return"));
}

/* ---- the work functions (worker thread) -------------------------------------------------- */

typedef struct {
    DomainHandle *handle;
    gboolean monitor;
    gboolean params_only;
    guint64 value;
    const gchar *what;
} Work;

static void
work_free(gpointer data)
{
    Work *w = data;

    handle_unref(w->handle);
    g_free(w);
}

typedef struct {
    gchar *name;
    gchar *uri; /* the connection's, as libvirt resolved it */
    guchar uuid[VIR_UUID_BUFLEN];
    gchar *xml;
    gulong hv_version;
    gulong lib_version;
} ConnectResult;

static void
connect_result_free(gpointer data)
{
    ConnectResult *r = data;

    g_free(r->name);
    g_free(r->uri);
    g_free(r->xml);
    g_free(r);
}

static gpointer
connect_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    Work *w = data;
    ConnectResult *r;
    virDomainPtr dom = domain_get(worker, w->handle, error);
    gchar *xml;

    if (dom == NULL)
        return NULL;
    virResetLastError();
    xml = virDomainGetXMLDesc(dom, 0);
    if (xml == NULL) {
        g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, "virDomainGetXMLDesc"));
        return NULL;
    }
    r = g_new0(ConnectResult, 1);
    r->xml = g_strdup(xml);
    free(xml);
    r->name = g_strdup(virDomainGetName(dom));
    {
        char *uri = virConnectGetURI(worker->conn);

        r->uri = g_strdup(uri);
        free(uri);
    }
    memcpy(r->uuid, w->handle->uuid, sizeof(r->uuid));
    if (virConnectGetVersion(worker->conn, &r->hv_version) < 0)
        r->hv_version = 0;
    if (virConnectGetLibVersion(worker->conn, &r->lib_version) < 0)
        r->lib_version = 0;
    return r;
}

static void
sample_free(gpointer data)
{
    g_free(data);
}

/* Job statistics of a finished job, kept by libvirt for the domain (the domain is shut off
 * after an outgoing migration). libvirt 9.0 keeps none for a cancelled or failed one. */
static gboolean
completed_stats(const CvLibvirtWorker *worker, virDomainPtr dom, CvSample *sample, GError **error)
{
    virTypedParameterPtr params = NULL;
    gint nparams = 0, type = VIR_DOMAIN_JOB_NONE;

    virResetLastError();
    if (virDomainGetJobStats(dom, &type, &params, &nparams,
                             VIR_DOMAIN_JOB_STATS_COMPLETED | VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED) <
        0) {
        g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, "virDomainGetJobStats"));
        return FALSE;
    }
    cv_libvirt_job_stats_to_sample(type, params, nparams, CV_LIBVIRT_STATE_UNKNOWN,
                                   CV_LIBVIRT_STATE_UNKNOWN, sample);
    virTypedParamsFree(params, nparams);
    return TRUE;
}

static gboolean
monitor_sample(const CvLibvirtWorker *worker, virDomainPtr dom, CvSample *sample, GError **error)
{
    g_autoptr(JsonNode) ret = monitor_command(worker, dom, "query-migrate", NULL, error);
    g_autoptr(GError) parse_error = NULL;

    if (ret == NULL)
        return FALSE;
    if (!cv_qmp_parse_query_migrate(ret, sample, &parse_error)) {
        g_set_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_INVALID_REPLY, "query-migrate: %s",
                    parse_error->message);
        return FALSE;
    }
    return TRUE;
}

static gpointer
query_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    Work *w = data;
    g_autofree CvSample *sample = g_new0(CvSample, 1);
    g_autoptr(GError) e = NULL;
    virTypedParameterPtr params = NULL;
    gint nparams = 0, type = VIR_DOMAIN_JOB_NONE, state = CV_LIBVIRT_STATE_UNKNOWN,
         reason = CV_LIBVIRT_STATE_UNKNOWN;
    virDomainPtr dom = domain_get(worker, w->handle, error);

    if (dom == NULL)
        return NULL;
    if (w->monitor) {
        if (monitor_sample(worker, dom, sample, &e))
            return g_steal_pointer(&sample);
        /* the domain is shut off once migrated: libvirt's completed statistics tell the end */
        if (e->code != CV_TARGET_ERROR_OPERATION_INVALID) {
            g_propagate_error(error, g_steal_pointer(&e));
            return NULL;
        }
        g_clear_error(&e);
        if (!completed_stats(worker, dom, sample, error))
            return NULL;
        return g_steal_pointer(&sample);
    }
    virResetLastError();
    if (virDomainGetJobStats(dom, &type, &params, &nparams, 0) < 0) {
        e = cv_libvirt_error_from_last(worker->conn, "virDomainGetJobStats");
        if (e->code != CV_TARGET_ERROR_OPERATION_INVALID) {
            g_propagate_error(error, g_steal_pointer(&e));
            return NULL;
        }
        type = VIR_DOMAIN_JOB_NONE;
    }
    if (type == VIR_DOMAIN_JOB_NONE) {
        virTypedParamsFree(params, nparams);
        if (!completed_stats(worker, dom, sample, error))
            return NULL;
        return g_steal_pointer(&sample);
    }
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        state = CV_LIBVIRT_STATE_UNKNOWN;
        reason = CV_LIBVIRT_STATE_UNKNOWN;
    }
    cv_libvirt_job_stats_to_sample(type, params, nparams, state, reason, sample);
    virTypedParamsFree(params, nparams);
    return g_steal_pointer(&sample);
}

static void
params_free(gpointer data)
{
    g_free(data);
}

static gpointer
params_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    Work *w = data;
    g_autofree CvParams *params = g_new0(CvParams, 1);
    unsigned long long downtime = 0;
    unsigned long speed = 0;
    virDomainPtr dom = domain_get(worker, w->handle, error);

    if (dom == NULL)
        return NULL;
    cv_params_init(params);
    virResetLastError();
    if (virDomainMigrateGetMaxDowntime(dom, &downtime, 0) < 0) {
        g_autoptr(GError) e =
            cv_libvirt_error_from_last(worker->conn, "virDomainMigrateGetMaxDowntime");

        /* a driver without it (the test driver) has no limit to tell */
        if (e->code != CV_TARGET_ERROR_NOT_SUPPORTED) {
            g_propagate_error(error, g_steal_pointer(&e));
            return NULL;
        }
    } else if (downtime <= CV_SAMPLE_MAX_MS)
        cv_field_set(&params->downtime_limit_ms, downtime);
    else
        params->downtime_limit_ms.state = CV_FIELD_INVALID;
    /* Refused on a read-only connection; libvirt's "unlimited" (INT64_MAX bytes/s) is left
     * ABSENT, which the engine reads as no throttle. */
    virResetLastError();
    if (virDomainMigrateGetMaxSpeed(dom, &speed, 0) == 0 && (guint64)speed * MIB / MIB == speed &&
        (guint64)speed * MIB <= CV_SAMPLE_MAX_BYTES)
        cv_field_set(&params->max_bandwidth, (guint64)speed * MIB);
    if (w->monitor) {
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) p = monitor_command(worker, dom, "query-migrate-parameters", NULL, &e);
        CvParams qemu;

        cv_params_init(&qemu);
        if (p == NULL || !cv_qmp_parse_query_migrate_parameters(p, &qemu, &e)) {
            g_propagate_prefixed_error(error, g_steal_pointer(&e), "query-migrate-parameters: ");
            return NULL;
        }
        params->avail_switchover_bandwidth = qemu.avail_switchover_bandwidth;
        params->max_postcopy_bandwidth = qemu.max_postcopy_bandwidth;
        if (!w->params_only) {
            g_autoptr(JsonNode) c =
                monitor_command(worker, dom, "query-migrate-capabilities", NULL, &e);

            if (c == NULL || !cv_qmp_parse_query_migrate_capabilities(c, params, &e)) {
                g_propagate_prefixed_error(error, g_steal_pointer(&e),
                                           "query-migrate-capabilities: ");
                return NULL;
            }
        }
    }
    return g_steal_pointer(&params);
}

typedef enum {
    CHANGE_DOWNTIME = 0,
    CHANGE_SWITCHOVER,
    CHANGE_POSTCOPY,
    CHANGE_SUSPEND,
    CHANGE_RESUME,
    CHANGE_ABORT,
} ChangeKind;

typedef struct {
    Work base;
    ChangeKind kind;
} ChangeWork;

static gpointer
change_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    ChangeWork *w = data;
    virDomainPtr dom = domain_get(worker, w->base.handle, error);
    const gchar *api = NULL;
    gint rc = -1;

    if (dom == NULL)
        return NULL;
    virResetLastError();
    switch (w->kind) {
    case CHANGE_DOWNTIME:
        api = "virDomainMigrateSetMaxDowntime";
        rc = virDomainMigrateSetMaxDowntime(dom, w->base.value, 0);
        break;
    case CHANGE_SWITCHOVER: {
        g_autoptr(JsonObject) args = json_object_new();
        g_autoptr(JsonNode) ret = NULL;

        json_object_set_int_member(args, "avail-switchover-bandwidth",
                                   (gint64)MIN(w->base.value, (guint64)G_MAXINT64));
        ret = monitor_command(worker, dom, "migrate-set-parameters", args, error);
        return NULL;
    }
    case CHANGE_POSTCOPY:
        api = "virDomainMigrateStartPostCopy";
        rc = virDomainMigrateStartPostCopy(dom, 0);
        break;
    case CHANGE_SUSPEND:
        api = "virDomainSuspend";
        rc = virDomainSuspend(dom);
        break;
    case CHANGE_RESUME:
        api = "virDomainResume";
        rc = virDomainResume(dom);
        break;
    case CHANGE_ABORT:
        api = "virDomainAbortJob";
        rc = virDomainAbortJob(dom);
        break;
    default:
        g_assert_not_reached();
    }
    if (rc < 0) {
        GError *e = cv_libvirt_error_from_last(worker->conn, api);
        virDomainJobInfo info;

        /* "not valid" for a job control on a domain without a job: say that */
        if (e->code == CV_TARGET_ERROR_OPERATION_INVALID &&
            (w->kind == CHANGE_ABORT || w->kind == CHANGE_POSTCOPY) &&
            virDomainGetJobInfo(dom, &info) == 0 && info.type == VIR_DOMAIN_JOB_NONE)
            e->code = CV_TARGET_ERROR_NO_MIGRATION;
        g_propagate_error(error, e);
    }
    return NULL;
}

typedef struct {
    guchar uuid[VIR_UUID_BUFLEN];
    gchar *desturi;
    gchar *migrate_uri;
    guint flags;
    guint64 bandwidth_mib;
} MigrateWork;

static void
migrate_work_free(gpointer data)
{
    MigrateWork *w = data;

    g_free(w->desturi);
    g_free(w->migrate_uri);
    g_free(w);
}

/* On a thread of its own: virDomainMigrateToURI3 returns when the migration has ended. */
static gpointer
migrate_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    MigrateWork *w = data;
    virTypedParameterPtr params = NULL;
    gint nparams = 0, maxparams = 0;
    virDomainPtr dom;
    gint rc;

    virResetLastError();
    dom = virDomainLookupByUUID(worker->conn, w->uuid);
    if (dom == NULL) {
        g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, "migrate"));
        return NULL;
    }
    if (w->migrate_uri != NULL)
        virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_URI,
                                w->migrate_uri);
    if (w->bandwidth_mib > 0)
        virTypedParamsAddULLong(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_BANDWIDTH,
                                w->bandwidth_mib);
    virResetLastError();
    if (w->flags & VIR_MIGRATE_PEER2PEER) {
        /* the source libvirtd connects to the destination itself */
        rc = virDomainMigrateToURI3(dom, w->desturi, params, (guint)nparams, w->flags);
    } else {
        /* as virsh without --p2p: this client talks to both daemons */
        virConnectPtr dconn = virConnectOpenAuth(w->desturi, virConnectAuthPtrDefault, 0);
        virDomainPtr ddom = NULL;

        rc = -1;
        if (dconn != NULL) {
            ddom = virDomainMigrate3(dom, dconn, params, (guint)nparams, w->flags);
            rc = ddom != NULL ? 0 : -1;
        }
        if (rc < 0)
            g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, "migration"));
        if (ddom != NULL)
            virDomainFree(ddom);
        if (dconn != NULL)
            virConnectClose(dconn);
        virTypedParamsFree(params, nparams);
        virDomainFree(dom);
        return NULL;
    }
    if (rc < 0)
        g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, "migration"));
    virTypedParamsFree(params, nparams);
    virDomainFree(dom);
    return NULL;
}

/* ---- the target (main context) ----------------------------------------------------------- */

typedef struct {
    CvTarget parent;
    CvLibvirtConn *conn;
    DomainHandle *handle;
    guint event_id;
    CvConfigMonitorCommands monitor_mode;
    gboolean wants_switchover;
    gboolean monitor;
    gchar *monitor_reason;
    guint migrate_flags;
    guint64 migrate_bandwidth_mib;
    gchar *migrate_uri;

    gchar *name;
    guchar uuid[VIR_UUID_BUFLEN];
    gchar *xml;
    CvConfigMetadata *metadata;
    GError *metadata_error;
    guint n_vfio;
    gboolean closed; /* cv_target_close(): operations fail with CLOSED until connect */
    gboolean gone;   /* a CLOSED event was sent (the domain stopped): connect looks it up anew */

    /* What the migration showed so far, to tell its end when libvirt keeps no statistics. */
    gboolean saw_job;
    CvSample last_running; /* the last reading of the running job */
    gboolean have_final;
    CvSample final; /* from the job-completed event */
    gboolean stopped_migrated;
    gboolean reconnected;     /* the connection was lost and reopened while the job ran */
    gboolean migrate_running; /* our virDomainMigrateToURI3 has not returned */
    gboolean migrate_ended;
    GError *migrate_error;

    GPtrArray *pending; /* Op */
} CvTargetLibvirt;

typedef enum {
    OP_DONE = 0,
    OP_SAMPLE,
    OP_PARAMS,
    OP_CONNECT,
    OP_MIGRATE,
} OpKind;

typedef struct {
    CvTargetLibvirt *self; /* NULL once dropped (freed target, or closed and answered) */
    OpKind kind;
    CvTargetDoneFunc done_func;
    CvTargetSampleFunc sample_func;
    CvTargetParamsFunc params_func;
    gpointer user_data;
    gboolean params_only;
    GCancellable *cancellable;
} Op;

static const CvTargetClass libvirt_class;

static CvTargetLibvirt *
lv_self(CvTarget *target)
{
    g_assert(target != NULL && target->klass == &libvirt_class);
    return (CvTargetLibvirt *)target;
}

gboolean
cv_target_is_libvirt(const CvTarget *target)
{
    return target != NULL && target->klass == &libvirt_class;
}

static void
op_free(Op *op)
{
    g_clear_object(&op->cancellable);
    g_free(op);
}

static Op *
op_new(CvTargetLibvirt *self, OpKind kind, gpointer func, gpointer user_data)
{
    Op *op = g_new0(Op, 1);

    op->self = self;
    op->kind = kind;
    op->user_data = user_data;
    op->cancellable = g_cancellable_new();
    switch (kind) {
    case OP_DONE:
    case OP_CONNECT:
    case OP_MIGRATE:
        op->done_func = (CvTargetDoneFunc)func;
        break;
    case OP_SAMPLE:
        op->sample_func = (CvTargetSampleFunc)func;
        break;
    case OP_PARAMS:
        op->params_func = (CvTargetParamsFunc)func;
        break;
    default:
        g_assert_not_reached();
    }
    g_ptr_array_add(self->pending, op);
    return op;
}

static void
op_deliver(Op *op, const CvSample *sample, const CvParams *params, const GError *error)
{
    CvTarget *target = &op->self->parent;

    switch (op->kind) {
    case OP_DONE:
    case OP_CONNECT:
    case OP_MIGRATE:
        if (op->done_func != NULL)
            op->done_func(target, error, op->user_data);
        break;
    case OP_SAMPLE:
        if (op->sample_func != NULL)
            op->sample_func(target, error == NULL ? sample : NULL, error, op->user_data);
        break;
    case OP_PARAMS:
        if (op->params_func != NULL)
            op->params_func(target, error == NULL ? params : NULL, error, op->user_data);
        break;
    default:
        g_assert_not_reached();
    }
}

/* Done with @op: deliver unless it was dropped, and forget it. */
static void
op_finish(Op *op, const CvSample *sample, const CvParams *params, const GError *error)
{
    CvTargetLibvirt *self = op->self;

    if (self != NULL) {
        g_ptr_array_remove_fast(self->pending, op);
        op_deliver(op, sample, params, error);
    }
    op_free(op);
}

/* Failures found before anything is queued still reach the caller from the main context. */
typedef struct {
    Op *op;
    GError *error;
} Early;

static gboolean
early_cb(gpointer data)
{
    Early *e = data;

    op_finish(e->op, NULL, NULL, e->error);
    e->op = NULL;
    return G_SOURCE_REMOVE;
}

static void
early_free(gpointer data)
{
    Early *e = data;

    if (e->op != NULL)
        op_free(e->op);
    g_clear_error(&e->error);
    g_free(e);
}

static void
op_fail_later(Op *op, GError *error)
{
    Early *e = g_new0(Early, 1);
    g_autoptr(GSource) source = g_idle_source_new();

    e->op = op;
    e->error = error;
    g_source_set_callback(source, early_cb, e, early_free);
    g_source_attach(source, op->self->parent.context);
}

static gboolean
usable(CvTargetLibvirt *self, Op *op, const gchar *what)
{
    if (self->closed) {
        op_fail_later(op, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED,
                                      "%s: the libvirt target was closed", what));
        return FALSE;
    }
    if (!self->parent.connected) {
        op_fail_later(op, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_NOT_CONNECTED,
                                      "%s: not connected to libvirt", what));
        return FALSE;
    }
    return TRUE;
}

static Work *
work_new(CvTargetLibvirt *self)
{
    Work *w = g_new0(Work, 1);

    w->handle = handle_ref(self->handle);
    w->monitor = self->monitor;
    return w;
}

/* ---- events ------------------------------------------------------------------------------ */

static void
emit_status(CvTargetLibvirt *self, CvMigrationStatus status)
{
    CvTargetEvent ev = {.kind = CV_TARGET_EVENT_STATUS, .status = status};

    cv_target_emit_event(&self->parent, &ev);
}

static void emit_closed(CvTargetLibvirt *self, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static void
emit_closed(CvTargetLibvirt *self, const gchar *format, ...)
{
    va_list args;
    g_autofree gchar *message = NULL;
    g_autoptr(GError) error = NULL;
    CvTargetEvent ev = {.kind = CV_TARGET_EVENT_CLOSED};

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    error = g_error_new_literal(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED, message);
    ev.error = error;
    self->gone = TRUE;
    cv_target_emit_event(&self->parent, &ev);
}

static const gchar *
stopped_detail(gint detail)
{
    switch (detail) {
    case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
        return "shut down";
    case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
        return "destroyed";
    case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
        return "crashed";
    case VIR_DOMAIN_EVENT_STOPPED_FAILED:
        return "QEMU failed";
    case VIR_DOMAIN_EVENT_STOPPED_SAVED:
        return "saved";
    case VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT:
        return "reverted to a snapshot";
    default:
        return "stopped";
    }
}

static void
lifecycle(CvTargetLibvirt *self, gint event, gint detail)
{
    CvTargetEvent ev = {0};

    switch (event) {
    case VIR_DOMAIN_EVENT_SUSPENDED:
        ev.kind = CV_TARGET_EVENT_STOP;
        cv_target_emit_event(&self->parent, &ev);
        /* paused for the switchover: the blackout began; let the caller look at once */
        if (detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED ||
            detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY)
            emit_status(self, detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED
                                  ? CV_MIGRATION_STATUS_DEVICE
                                  : CV_MIGRATION_STATUS_POSTCOPY_ACTIVE);
        return;
    case VIR_DOMAIN_EVENT_RESUMED:
        ev.kind = CV_TARGET_EVENT_RESUME;
        cv_target_emit_event(&self->parent, &ev);
        return;
    case VIR_DOMAIN_EVENT_STOPPED:
        if (detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED) {
            /* the guest runs on the destination now */
            self->stopped_migrated = TRUE;
            emit_status(self, CV_MIGRATION_STATUS_COMPLETED);
            return;
        }
        emit_closed(self, "domain '%s' %s", self->name, stopped_detail(detail));
        return;
    case VIR_DOMAIN_EVENT_CRASHED:
        g_message("domain '%s': the guest crashed (panic)", self->name);
        ev.kind = CV_TARGET_EVENT_STOP;
        cv_target_emit_event(&self->parent, &ev);
        return;
    default:
        return;
    }
}

static void
conn_event_cb(CvLibvirtConn *conn, const CvLibvirtEvent *event, gpointer user_data)
{
    CvTargetLibvirt *self = user_data;
    CvTargetEvent ev = {0};

    if (event->kind == CV_LIBVIRT_EVENT_LOST || event->kind == CV_LIBVIRT_EVENT_RECONNECTED) {
        /* Calls wait for the reconnect (or fail with CLOSED after its timeout); events missed
         * meanwhile are made up by the next query. */
        if (event->kind == CV_LIBVIRT_EVENT_RECONNECTED && !self->closed) {
            self->reconnected |= self->saw_job;
            emit_status(self, CV_MIGRATION_STATUS_UNKNOWN);
        }
        return;
    }
    if (self->closed || memcmp(event->uuid, self->uuid, VIR_UUID_BUFLEN) != 0)
        return;
    switch (event->kind) {
    case CV_LIBVIRT_EVENT_ITERATION:
        if (event->iteration < 0)
            return;
        ev.kind = CV_TARGET_EVENT_PASS;
        ev.pass = (guint64)event->iteration;
        cv_target_emit_event(&self->parent, &ev);
        return;
    case CV_LIBVIRT_EVENT_JOB_COMPLETED:
        cv_libvirt_job_stats_to_sample(VIR_DOMAIN_JOB_COMPLETED, event->params, event->nparams,
                                       CV_LIBVIRT_STATE_UNKNOWN, CV_LIBVIRT_STATE_UNKNOWN,
                                       &self->final);
        /* the event is sent for the migration libvirt finished: only ours if it was running */
        self->have_final = self->final.status == CV_MIGRATION_STATUS_COMPLETED ||
                           self->final.status == CV_MIGRATION_STATUS_FAILED;
        if (self->have_final)
            emit_status(self, self->final.status);
        return;
    case CV_LIBVIRT_EVENT_LIFECYCLE:
        lifecycle(self, event->event, event->detail);
        return;
    case CV_LIBVIRT_EVENT_LOST:
    case CV_LIBVIRT_EVENT_RECONNECTED:
    default:
        return;
    }
}

/* ---- completions --------------------------------------------------------------------------- */

static gchar *
format_version(gulong v)
{
    return g_strdup_printf("%lu.%lu.%lu", v / 1000000, (v / 1000) % 1000, v % 1000);
}

/* Once per domain and process: an operator sees why the domain got tainted. */
static void
log_monitor_once(CvTargetLibvirt *self, const gchar *text)
{
    static GHashTable *logged;
    g_autofree gchar *key =
        g_strdup_printf("%s/%s", cv_libvirt_conn_get_uri(self->conn), self->name);

    if (logged == NULL)
        logged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (g_hash_table_contains(logged, key))
        return;
    g_hash_table_add(logged, g_steal_pointer(&key));
    g_message("domain '%s': %s", self->name, text);
}

static void
choose_monitor(CvTargetLibvirt *self)
{
    g_autofree gchar *need = NULL;

    if (self->n_vfio > 0 && self->wants_switchover)
        need = g_strdup_printf("it has %u VFIO host device(s), whose state libvirt's job "
                               "statistics do not count, and the policy sets "
                               "avail-switchover-bandwidth, which libvirt cannot set",
                               self->n_vfio);
    else if (self->n_vfio > 0)
        need = g_strdup_printf("it has %u VFIO host device(s), whose state libvirt's job "
                               "statistics do not count",
                               self->n_vfio);
    else if (self->wants_switchover)
        need = g_strdup("the policy sets avail-switchover-bandwidth, which libvirt cannot set");
    g_clear_pointer(&self->monitor_reason, g_free);
    if (cv_libvirt_conn_is_read_only(self->conn)) {
        /* libvirt refuses virDomainQemuMonitorCommand on a read-only connection */
        self->monitor = FALSE;
        self->monitor_reason =
            need != NULL ? g_strdup_printf("read-only connection although %s: job statistics "
                                           "only, the estimate is RAM-only",
                                           need)
                         : g_strdup("read-only connection: job statistics only");
        if (need != NULL)
            log_monitor_once(self, self->monitor_reason);
        return;
    }
    switch (self->monitor_mode) {
    case CV_CONFIG_MONITOR_COMMANDS_ALWAYS:
        self->monitor = TRUE;
        self->monitor_reason = g_strdup("monitor-commands = always");
        break;
    case CV_CONFIG_MONITOR_COMMANDS_NEVER:
        self->monitor = FALSE;
        if (need != NULL)
            self->monitor_reason = g_strdup_printf(
                "monitor-commands = never although %s: job statistics only, the estimate is "
                "RAM-only and avail-switchover-bandwidth is never set",
                need);
        else
            self->monitor_reason = g_strdup("monitor-commands = never");
        break;
    case CV_CONFIG_MONITOR_COMMANDS_AUTO:
    default:
        self->monitor = need != NULL;
        self->monitor_reason =
            need != NULL ? g_strdup_printf("QEMU's monitor through libvirt because %s", need)
                         : g_strdup("libvirt's job statistics give all the engine needs");
        break;
    }
    if (self->monitor) {
        g_autofree gchar *text = g_strdup_printf(
            "using %s (virDomainQemuMonitorCommand); libvirt marks the domain tainted "
            "(custom-monitor)",
            self->monitor_mode == CV_CONFIG_MONITOR_COMMANDS_AUTO
                ? self->monitor_reason
                : "QEMU's monitor through libvirt (monitor-commands = always)");

        log_monitor_once(self, text);
    } else if (need != NULL) {
        log_monitor_once(self, self->monitor_reason);
    }
}

static void
connect_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Op *op = user_data;
    CvTargetLibvirt *self = op->self;
    g_autoptr(GError) error = NULL;
    ConnectResult *r = cv_libvirt_conn_run_finish(NULL, result, &error);

    if (self == NULL || error != NULL) {
        if (r != NULL)
            connect_result_free(r);
        op_finish(op, NULL, NULL, error);
        return;
    }
    g_free(self->name);
    self->name = g_strdup(r->name);
    memcpy(self->uuid, r->uuid, sizeof(self->uuid));
    g_free(self->xml);
    self->xml = g_strdup(r->xml);
    g_clear_pointer(&self->metadata, cv_config_metadata_free);
    g_clear_error(&self->metadata_error);
    self->metadata = cv_config_metadata_parse(r->xml, -1, &self->metadata_error);
    self->n_vfio =
        self->metadata != NULL ? cv_config_metadata_get_n_vfio_devices(self->metadata) : 0;
    g_free(self->parent.version);
    self->parent.version = r->hv_version > 0 ? format_version(r->hv_version) : NULL;
    g_free(self->parent.description);
    self->parent.description = g_strdup_printf(
        "libvirt:%s/%s", r->uri != NULL ? r->uri : cv_libvirt_conn_get_uri(self->conn), self->name);
    choose_monitor(self);
    self->parent.connected = TRUE;
    self->parent.events = TRUE;
    if (self->event_id == 0)
        self->event_id = cv_libvirt_conn_add_event_func(self->conn, conn_event_cb, self);
    connect_result_free(r);
    op_finish(op, NULL, NULL, NULL);
}

/* The end of a migration that libvirt keeps no statistics for, told from what we saw. */
static void
end_without_stats(CvTargetLibvirt *self, CvSample *s)
{
    if (self->have_final) {
        *s = self->final;
        return;
    }
    /* the figures of the last reading, for the summary; no downtime: there was none */
    if (self->saw_job) {
        *s = self->last_running;
        s->expected_downtime_ms.state = CV_FIELD_ABSENT;
        s->error_desc[0] = '\0';
    } else {
        cv_sample_init(s);
    }
    if (self->stopped_migrated) {
        s->status = CV_MIGRATION_STATUS_COMPLETED;
        return;
    }
    if (self->migrate_error != NULL) {
        s->status = self->migrate_error->code == CV_TARGET_ERROR_FAILED &&
                            strstr(self->migrate_error->message, "canceled") != NULL
                        ? CV_MIGRATION_STATUS_CANCELLED
                        : CV_MIGRATION_STATUS_FAILED;
        g_strlcpy(s->error_desc, self->migrate_error->message, sizeof(s->error_desc));
        return;
    }
    s->status = CV_MIGRATION_STATUS_CANCELLED;
    if (self->reconnected) {
        /* libvirtd, restarted, cancels an outgoing migration it was running (precopy) */
        g_message("domain '%s': the migration job is gone after libvirtd came back: its restart "
                  "cancelled the migration",
                  self->name);
        g_strlcpy(s->error_desc, "cancelled by libvirtd's restart", sizeof(s->error_desc));
        return;
    }
    g_strlcpy(s->error_desc,
              "the migration job ended without statistics (libvirt keeps none for a cancelled or "
              "failed migration)",
              sizeof(s->error_desc));
}

static void
query_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Op *op = user_data;
    CvTargetLibvirt *self = op->self;
    g_autoptr(GError) error = NULL;
    g_autofree CvSample *sample = cv_libvirt_conn_run_finish(NULL, result, &error);
    CvSample s;

    if (self == NULL) {
        op_finish(op, NULL, NULL, NULL);
        return;
    }
    if (error != NULL) {
        /* a transient domain is gone once migrated: the events told how it ended */
        if (error->code == CV_TARGET_ERROR_NO_DOMAIN && self->saw_job &&
            (self->have_final || self->stopped_migrated)) {
            end_without_stats(self, &s);
            op_finish(op, &s, NULL, NULL);
            return;
        }
        op_finish(op, NULL, NULL, error);
        return;
    }
    s = *sample;
    if (!cv_migration_status_is_final(s.status) && s.status != CV_MIGRATION_STATUS_NONE &&
        s.status != CV_MIGRATION_STATUS_UNKNOWN) {
        self->saw_job = TRUE;
        self->last_running = s;
    }
    /* libvirt keeps the statistics of a domain's last finished job across restarts of the
     * domain: an end we did not see begin (no running job, no job-completed event, no
     * "stopped, migrated") belongs to an earlier migration */
    if (cv_migration_status_is_final(s.status) && !self->saw_job && !self->have_final &&
        !self->stopped_migrated) {
        cv_sample_init(&s);
        s.status = CV_MIGRATION_STATUS_NONE;
    }
    /* The job is gone without a trace (libvirt 9.0 keeps no statistics for a cancelled or
     * failed migration), or its end is still being written: say how it ended. Our own
     * migrate call that has not returned yet means it has not begun. */
    if (s.status == CV_MIGRATION_STATUS_NONE && self->saw_job)
        end_without_stats(self, &s);
    else if (s.status == CV_MIGRATION_STATUS_NONE && self->migrate_ended &&
             self->migrate_error != NULL)
        end_without_stats(self, &s);
    else if (s.status == CV_MIGRATION_STATUS_COMPLETED && self->have_final &&
             !cv_field_valid(&s.downtime_ms))
        s = self->final;
    op_finish(op, &s, NULL, NULL);
}

static void
params_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Op *op = user_data;
    CvTargetLibvirt *self = op->self;
    g_autoptr(GError) error = NULL;
    g_autofree CvParams *params = cv_libvirt_conn_run_finish(NULL, result, &error);

    if (self == NULL || error != NULL) {
        op_finish(op, NULL, NULL, error);
        return;
    }
    if (!op->params_only) {
        params->vfio_devices = self->n_vfio > 0 ? CV_TRI_YES : CV_TRI_NO;
        /* libvirt turns QEMU's migration events on when it starts a domain */
        params->events = CV_TRI_YES;
        if (params->postcopy_ram == CV_TRI_UNKNOWN && (self->migrate_flags & VIR_MIGRATE_POSTCOPY))
            params->postcopy_ram = CV_TRI_YES;
    }
    op_finish(op, NULL, params, NULL);
}

static void
done_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Op *op = user_data;
    g_autoptr(GError) error = NULL;

    cv_libvirt_conn_run_finish(NULL, result, &error);
    op_finish(op, NULL, NULL, error);
}

/* ---- the class --------------------------------------------------------------------------- */

static void
submit(CvTargetLibvirt *self, Op *op, CvLibvirtWorkFunc func, gpointer data,
       GDestroyNotify data_free, GDestroyNotify result_free, CvLibvirtWorkFlags flags,
       GAsyncReadyCallback done)
{
    g_autoptr(GMainContext) ctx = g_main_context_ref(self->parent.context);

    /* the completion runs on the target's context */
    g_main_context_push_thread_default(ctx);
    cv_libvirt_conn_run(self->conn, func, data, data_free, result_free, flags, op->cancellable,
                        done, op);
    g_main_context_pop_thread_default(ctx);
}

static void
lv_connect(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    CvTargetLibvirt *self = lv_self(target);
    Op *op = op_new(self, OP_CONNECT, func, user_data);

    if (target->connected && !self->closed && !self->gone) {
        op_fail_later(op, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT,
                                      "libvirt:%s: already connected", self->handle->spec));
        return;
    }
    /* A reconnect (after close() or a CLOSED event), as the QMP target's: libvirt's connection
     * is shared and re-opens itself, so "a new connection" means looking the domain up again
     * (by its UUID) on whatever connection the worker holds now, and reading its XML again.
     * What the migration showed so far (saw_job, the final statistics) stays: it is the same
     * domain. */
    self->closed = FALSE;
    self->gone = FALSE;
    target->connected = FALSE;
    target->events = FALSE;
    submit(self, op, connect_work, work_new(self), work_free, connect_result_free,
           CV_LIBVIRT_WORK_RETRY, connect_done);
}

static void
lv_query_migrate(CvTarget *target, CvTargetSampleFunc func, gpointer user_data)
{
    CvTargetLibvirt *self = lv_self(target);
    Op *op = op_new(self, OP_SAMPLE, func, user_data);

    if (usable(self, op, "query"))
        submit(self, op, query_work, work_new(self), work_free, sample_free, CV_LIBVIRT_WORK_RETRY,
               query_done);
}

static void
query_params_common(CvTarget *target, CvTargetParamsFunc func, gpointer user_data,
                    gboolean params_only)
{
    CvTargetLibvirt *self = lv_self(target);
    Op *op = op_new(self, OP_PARAMS, func, user_data);
    Work *w;

    op->params_only = params_only;
    if (!usable(self, op, "parameters"))
        return;
    w = work_new(self);
    w->params_only = params_only;
    submit(self, op, params_work, w, work_free, params_free, CV_LIBVIRT_WORK_RETRY, params_done);
}

static void
lv_query_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    query_params_common(target, func, user_data, FALSE);
}

static void
lv_refresh_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    query_params_common(target, func, user_data, TRUE);
}

static void
change(CvTarget *target, ChangeKind kind, guint64 value, const gchar *what, CvTargetDoneFunc func,
       gpointer user_data)
{
    CvTargetLibvirt *self = lv_self(target);
    Op *op = op_new(self, OP_DONE, func, user_data);
    ChangeWork *w;

    if (!usable(self, op, what))
        return;
    w = g_new0(ChangeWork, 1);
    w->base.handle = handle_ref(self->handle);
    w->base.value = value;
    w->kind = kind;
    submit(self, op, change_work, w, work_free, NULL, CV_LIBVIRT_WORK_RETRY, done_done);
}

static void
lv_set_downtime_limit(CvTarget *target, guint64 ms, CvTargetDoneFunc func, gpointer user_data)
{
    change(target, CHANGE_DOWNTIME, ms, "set downtime-limit", func, user_data);
}

static void
lv_set_switchover_bandwidth(CvTarget *target, guint64 bytes_per_s, CvTargetDoneFunc func,
                            gpointer user_data)
{
    CvTargetLibvirt *self = lv_self(target);

    if (target->connected && !self->monitor) {
        Op *op = op_new(self, OP_DONE, func, user_data);

        op_fail_later(op, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_NOT_SUPPORTED,
                                      "avail-switchover-bandwidth: libvirt has no API for it and "
                                      "monitor commands are off for '%s' (%s)",
                                      self->name, self->monitor_reason));
        return;
    }
    change(target, CHANGE_SWITCHOVER, bytes_per_s, "set avail-switchover-bandwidth", func,
           user_data);
}

static void
lv_start_postcopy(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    change(target, CHANGE_POSTCOPY, 0, "start post-copy", func, user_data);
}

static void
lv_stop_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    change(target, CHANGE_SUSPEND, 0, "suspend", func, user_data);
}

static void
lv_resume_guest(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    change(target, CHANGE_RESUME, 0, "resume", func, user_data);
}

static void
lv_cancel(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    change(target, CHANGE_ABORT, 0, "abort the migration job", func, user_data);
}

/* virDomainMigrateToURI3 returns when the migration has ended; its result is kept for the
 * queries, which tell the end. */
static void
migrate_ended(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Op *op = user_data;
    CvTargetLibvirt *self = op->self;
    g_autoptr(GError) error = NULL;

    cv_libvirt_conn_run_finish(NULL, result, &error);
    if (self != NULL) {
        g_ptr_array_remove_fast(self->pending, op);
        self->migrate_running = FALSE;
        self->migrate_ended = TRUE;
        g_clear_error(&self->migrate_error);
        if (error != NULL) {
            g_message("domain '%s': %s", self->name, error->message);
            self->migrate_error = g_steal_pointer(&error);
            emit_status(self, CV_MIGRATION_STATUS_FAILED);
        }
    }
    op_free(op);
}

static void
lv_migrate(CvTarget *target, const gchar *uri, CvTargetDoneFunc func, gpointer user_data)
{
    CvTargetLibvirt *self = lv_self(target);
    Op *op = op_new(self, OP_DONE, func, user_data);
    Op *run;
    MigrateWork *w;

    if (!usable(self, op, "migrate"))
        return;
    if (self->migrate_running) {
        op_fail_later(op,
                      g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_OPERATION_INVALID,
                                  "migrate: a migration of '%s' is already running", self->name));
        return;
    }
    w = g_new0(MigrateWork, 1);
    memcpy(w->uuid, self->uuid, sizeof(w->uuid));
    w->desturi = g_strdup(uri);
    w->migrate_uri = g_strdup(self->migrate_uri);
    w->flags = self->migrate_flags;
    w->bandwidth_mib = self->migrate_bandwidth_mib;
    self->migrate_running = TRUE;
    self->migrate_ended = FALSE;
    g_clear_error(&self->migrate_error);
    run = op_new(self, OP_MIGRATE, NULL, NULL);
    submit(self, run, migrate_work, w, migrate_work_free, NULL, CV_LIBVIRT_WORK_LONG,
           migrate_ended);
    /* The call is on its way: the job appears in the statistics within moments, and a call
     * that fails tells the queries why. */
    op_fail_later(op, NULL);
}

static void
lv_close(CvTarget *target)
{
    CvTargetLibvirt *self = lv_self(target);
    g_autoptr(GPtrArray) pending = g_steal_pointer(&self->pending);

    self->closed = TRUE;
    target->connected = FALSE;
    self->pending = g_ptr_array_new();
    /* what is in flight completes with CLOSED now; its late answer is dropped */
    for (guint i = 0; i < pending->len; i++) {
        Op *op = g_ptr_array_index(pending, i);
        Op *copy;

        if (op->kind == OP_MIGRATE) {
            /* Our virDomainMigrateToURI3 runs on its own thread and has no caller waiting:
             * its end still tells the queries of the next connection how the migration
             * ended. */
            g_ptr_array_add(self->pending, op);
            continue;
        }
        if (op->cancellable != NULL)
            g_cancellable_cancel(op->cancellable);
        /* a copy answers now; the original's late completion finds self NULL */
        copy = g_new0(Op, 1);
        *copy = *op;
        copy->cancellable = NULL;
        g_ptr_array_add(self->pending, copy);
        op_fail_later(copy, g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED,
                                        "the libvirt target was closed"));
        op->self = NULL;
    }
}

static void
lv_free(CvTarget *target)
{
    CvTargetLibvirt *self = lv_self(target);

    /* Operations in flight are dropped without their callbacks: their GTask callbacks find
     * op->self NULL. Early failures still queued are on the context; drop them too. */
    for (guint i = 0; i < self->pending->len; i++) {
        Op *op = g_ptr_array_index(self->pending, i);

        op->self = NULL;
        if (op->cancellable != NULL)
            g_cancellable_cancel(op->cancellable);
    }
    g_ptr_array_unref(self->pending);
    if (self->event_id != 0)
        cv_libvirt_conn_remove_event_func(self->conn, self->event_id);
    cv_libvirt_conn_unref(self->conn);
    handle_unref(self->handle);
    g_free(self->monitor_reason);
    g_free(self->migrate_uri);
    g_free(self->name);
    g_free(self->xml);
    g_clear_pointer(&self->metadata, cv_config_metadata_free);
    g_clear_error(&self->metadata_error);
    g_clear_error(&self->migrate_error);
    g_free(self);
}

static const CvTargetClass libvirt_class = {
    .name = "libvirt",
    .connect = lv_connect,
    .query_migrate = lv_query_migrate,
    .query_params = lv_query_params,
    .refresh_params = lv_refresh_params,
    .set_downtime_limit = lv_set_downtime_limit,
    .set_switchover_bandwidth = lv_set_switchover_bandwidth,
    .start_postcopy = lv_start_postcopy,
    .stop_guest = lv_stop_guest,
    .resume_guest = lv_resume_guest,
    .cancel = lv_cancel,
    .migrate = lv_migrate,
    .close = lv_close,
    .free = lv_free,
};

CvTarget *
cv_target_libvirt_new(CvLibvirtConn *conn, const gchar *domain)
{
    CvTargetLibvirt *self;
    g_autofree gchar *description = NULL;

    g_return_val_if_fail(conn != NULL && domain != NULL, NULL);
    self = g_new0(CvTargetLibvirt, 1);
    description = g_strdup_printf("libvirt:%s/%s", cv_libvirt_conn_get_uri(conn), domain);
    /* libvirt's events are dispatched on the default context: everything runs there */
    cv_target_init(&self->parent, &libvirt_class, g_main_context_default(), description);
    self->conn = cv_libvirt_conn_ref(conn);
    self->handle = g_new0(DomainHandle, 1);
    self->handle->ref = 1;
    self->handle->spec = g_strdup(domain);
    self->pending = g_ptr_array_new();
    self->monitor_mode = CV_CONFIG_MONITOR_COMMANDS_AUTO;
    self->name = g_strdup(domain);
    return &self->parent;
}

void
cv_target_libvirt_set_monitor_commands(CvTarget *target, CvConfigMonitorCommands mode)
{
    lv_self(target)->monitor_mode = mode;
}

void
cv_target_libvirt_set_wants_switchover_bandwidth(CvTarget *target, gboolean wanted)
{
    CvTargetLibvirt *self = lv_self(target);

    self->wants_switchover = wanted;
    if (target->connected)
        choose_monitor(self);
}

void
cv_target_libvirt_set_migrate_options(CvTarget *target, guint flags, guint64 bandwidth_mib,
                                      const gchar *migrate_uri)
{
    CvTargetLibvirt *self = lv_self(target);

    self->migrate_flags = flags;
    self->migrate_bandwidth_mib = bandwidth_mib;
    g_free(self->migrate_uri);
    self->migrate_uri = g_strdup(migrate_uri);
}

gboolean
cv_target_libvirt_is_migrating(const CvTarget *target)
{
    return lv_self((CvTarget *)target)->migrate_running;
}

const gchar *
cv_target_libvirt_get_name(const CvTarget *target)
{
    return lv_self((CvTarget *)target)->name;
}

const gchar *
cv_target_libvirt_get_xml(const CvTarget *target)
{
    return lv_self((CvTarget *)target)->xml;
}

const CvConfigMetadata *
cv_target_libvirt_get_metadata(const CvTarget *target)
{
    return lv_self((CvTarget *)target)->metadata;
}

const GError *
cv_target_libvirt_get_metadata_error(const CvTarget *target)
{
    return lv_self((CvTarget *)target)->metadata_error;
}

gboolean
cv_target_libvirt_uses_monitor(const CvTarget *target)
{
    return lv_self((CvTarget *)target)->monitor;
}

const gchar *
cv_target_libvirt_get_monitor_reason(const CvTarget *target)
{
    return lv_self((CvTarget *)target)->monitor_reason;
}
