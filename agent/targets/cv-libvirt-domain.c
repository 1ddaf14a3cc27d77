#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cv-config-metadata.h"
#include "cv-libvirt-domain.h"
#include "cv-libvirt-jobstats.h"
#include "cv-target.h"

#define MIB (G_GUINT64_CONSTANT(1) << 20)
/* libvirt's dirty-rate statistics: calc_status 2 = measured */
#define DIRTYRATE_MEASURED 2

static gchar *
take_libvirt_string(char *s)
{
    gchar *copy = g_strdup(s);

    free(s);
    return copy;
}

static void
read_downtime_limit(virDomainPtr dom, CvU64Field *field)
{
    unsigned long long ms = 0;

    field->state = CV_FIELD_ABSENT;
    virResetLastError();
    if (virDomainMigrateGetMaxDowntime(dom, &ms, 0) == 0) {
        if (ms <= CV_SAMPLE_MAX_MS)
            cv_field_set(field, ms);
        else
            field->state = CV_FIELD_INVALID;
    }
}

/* ---- list --------------------------------------------------------------------------------- */

void
cv_libvirt_domain_row_free(CvLibvirtDomainRow *row)
{
    if (row == NULL)
        return;
    g_free(row->name);
    g_free(row->xml);
    g_free(row);
}

static gint
row_compare(gconstpointer a, gconstpointer b)
{
    const CvLibvirtDomainRow *ra = *(const CvLibvirtDomainRow *const *)a;
    const CvLibvirtDomainRow *rb = *(const CvLibvirtDomainRow *const *)b;

    return g_strcmp0(ra->name, rb->name);
}

static gboolean
is_running_migration(CvMigrationStatus status)
{
    return status != CV_MIGRATION_STATUS_NONE && status != CV_MIGRATION_STATUS_UNKNOWN &&
           !cv_migration_status_is_final(status);
}

static gpointer
list_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    CvLibvirtListFlags flags = (CvLibvirtListFlags)GPOINTER_TO_INT(data);
    gboolean migrating_only = (flags & CV_LIBVIRT_LIST_MIGRATING_ONLY) != 0;
    gboolean details_all = (flags & CV_LIBVIRT_LIST_DETAILS_MIGRATING_ONLY) == 0;
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)cv_libvirt_domain_row_free);
    virDomainPtr *doms = NULL;
    gint n;

    virResetLastError();
    n = virConnectListAllDomains(worker->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) {
        g_propagate_error(error,
                          cv_libvirt_error_from_last(worker->conn, "virConnectListAllDomains"));
        return NULL;
    }
    for (gint i = 0; i < n; i++) {
        g_autoptr(CvLibvirtDomainRow) row = g_new0(CvLibvirtDomainRow, 1);
        virTypedParameterPtr params = NULL;
        gint nparams = 0, type = VIR_DOMAIN_JOB_NONE, state = CV_LIBVIRT_STATE_UNKNOWN,
             reason = CV_LIBVIRT_STATE_UNKNOWN;

        row->name = g_strdup(virDomainGetName(doms[i]));
        row->id = (gint)virDomainGetID(doms[i]);
        if (virDomainGetUUIDString(doms[i], row->uuid) < 0)
            row->uuid[0] = '\0';
        /* a domain that stopped meanwhile has no job: that is all this row needs */
        if (virDomainGetJobStats(doms[i], &type, &params, &nparams, 0) < 0)
            type = VIR_DOMAIN_JOB_NONE;
        if (type != VIR_DOMAIN_JOB_NONE && virDomainGetState(doms[i], &state, &reason, 0) < 0)
            state = reason = CV_LIBVIRT_STATE_UNKNOWN;
        cv_libvirt_job_stats_to_sample(type, params, nparams, state, reason, &row->sample);
        virTypedParamsFree(params, nparams);
        if (!migrating_only || is_running_migration(row->sample.status)) {
            if (details_all || is_running_migration(row->sample.status)) {
                read_downtime_limit(doms[i], &row->downtime_limit_ms);
                row->xml = take_libvirt_string(virDomainGetXMLDesc(doms[i], 0));
            }
            g_ptr_array_add(rows, g_steal_pointer(&row));
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    g_ptr_array_sort(rows, row_compare);
    return g_steal_pointer(&rows);
}

GPtrArray *
cv_libvirt_list_domains(CvLibvirtConn *conn, gboolean migrating_only, GError **error)
{
    return cv_libvirt_conn_run_sync(
        conn, list_work, GINT_TO_POINTER(migrating_only ? CV_LIBVIRT_LIST_MIGRATING_ONLY : 0), NULL,
        (GDestroyNotify)g_ptr_array_unref, error);
}

void
cv_libvirt_list_domains_async(CvLibvirtConn *conn, CvLibvirtListFlags flags,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
    cv_libvirt_conn_run(conn, list_work, GINT_TO_POINTER(flags), NULL,
                        (GDestroyNotify)g_ptr_array_unref, CV_LIBVIRT_WORK_RETRY, cancellable,
                        callback, user_data);
}

GPtrArray *
cv_libvirt_list_domains_finish(CvLibvirtConn *conn, GAsyncResult *result, GError **error)
{
    return cv_libvirt_conn_run_finish(conn, result, error);
}

/* ---- policy set / unset ---------------------------------------------------------------- */

typedef struct {
    gchar *domain;
    gchar *policy; /* NULL: remove */
    gchar *name;
    gchar *affected;
} MetadataWork;

static void
metadata_work_free(gpointer data)
{
    MetadataWork *w = data;

    g_free(w->domain);
    g_free(w->policy);
    g_free(w->name);
    g_free(w->affected);
    g_free(w);
}

static gpointer
metadata_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    MetadataWork *w = data;
    g_autofree gchar *element = NULL;
    virDomainPtr dom;
    guint flags = 0;
    gint active, persistent;

    if (w->policy != NULL && (element = cv_config_metadata_build(w->policy, error)) == NULL)
        return NULL;
    dom = cv_libvirt_lookup_domain(worker->conn, w->domain, error);
    if (dom == NULL)
        return NULL;
    active = virDomainIsActive(dom);
    persistent = virDomainIsPersistent(dom);
    if (active == 1)
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (persistent == 1)
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    virResetLastError();
    /* libvirt puts the element into our namespace itself, with our prefix */
    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, element, CV_CONFIG_METADATA_PREFIX,
                             CV_CONFIG_METADATA_NS, flags) < 0) {
        g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, "virDomainSetMetadata"));
        virDomainFree(dom);
        return NULL;
    }
    w->name = g_strdup(virDomainGetName(dom));
    w->affected = g_strdup((flags & VIR_DOMAIN_AFFECT_LIVE) && (flags & VIR_DOMAIN_AFFECT_CONFIG)
                               ? "live and persistent config"
                           : (flags & VIR_DOMAIN_AFFECT_LIVE) ? "live"
                                                              : "persistent config");
    virDomainFree(dom);
    return GINT_TO_POINTER(1);
}

gboolean
cv_libvirt_set_policy_metadata(CvLibvirtConn *conn, const gchar *domain, const gchar *policy_name,
                               gchar **name, gchar **affected, GError **error)
{
    MetadataWork *w = g_new0(MetadataWork, 1);
    gboolean ok;

    w->domain = g_strdup(domain);
    w->policy = g_strdup(policy_name);
    /* the work data outlives the call only until the GTask is gone: copy the answers out in
     * the work itself, read them here before it is freed */
    ok = cv_libvirt_conn_run_sync(conn, metadata_work, w, NULL, NULL, error) != NULL;
    if (ok) {
        if (name != NULL)
            *name = g_steal_pointer(&w->name);
        if (affected != NULL)
            *affected = g_steal_pointer(&w->affected);
    }
    metadata_work_free(w);
    return ok;
}

/* ---- check ------------------------------------------------------------------------------- */

void
cv_libvirt_domain_check_free(CvLibvirtDomainCheck *check)
{
    if (check == NULL)
        return;
    g_free(check->name);
    g_free(check->xml);
    g_free(check->dirty_rate_error);
    g_free(check);
}

typedef struct {
    gchar *domain;
    guint seconds;
} CheckWork;

static void
check_work_free(gpointer data)
{
    CheckWork *w = data;

    g_free(w->domain);
    g_free(w);
}

/* libvirt's dirty-rate calculation: start it, then read the domain's dirtyrate.* statistics
 * until they say measured. Page sampling, the default: the dirty-bitmap mode made QEMU 7.2
 * under TCG exit (seen here), and the dirty ring needs KVM. */
static gboolean
measure_dirty_rate(const CvLibvirtWorker *worker, virDomainPtr dom, guint seconds,
                   CvLibvirtDomainCheck *check, guint64 *bytes_per_s)
{
    virDomainPtr doms[] = {dom, NULL};
    gint64 deadline;

    virResetLastError();
    if (virDomainStartDirtyRateCalc(dom, (int)seconds, 0) < 0) {
        g_autoptr(GError) e =
            cv_libvirt_error_from_last(worker->conn, "virDomainStartDirtyRateCalc");

        check->dirty_rate_error = g_strdup(e->message);
        return FALSE;
    }
    deadline = g_get_monotonic_time() + (gint64)(seconds + 10) * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        virDomainStatsRecordPtr *records = NULL;
        gint status = -1;
        long long mib_per_s = -1;
        gint n;

        g_usleep(200 * 1000);
        n = virDomainListGetStats(doms, VIR_DOMAIN_STATS_DIRTYRATE, &records, 0);
        if (n < 0) {
            g_autoptr(GError) e = cv_libvirt_error_from_last(worker->conn, "dirty-rate statistics");

            check->dirty_rate_error = g_strdup(e->message);
            return FALSE;
        }
        if (n > 0) {
            virTypedParamsGetInt(records[0]->params, records[0]->nparams, "dirtyrate.calc_status",
                                 &status);
            virTypedParamsGetLLong(records[0]->params, records[0]->nparams,
                                   "dirtyrate.megabytes_per_second", &mib_per_s);
        }
        virDomainStatsRecordListFree(records);
        if (status == DIRTYRATE_MEASURED && mib_per_s >= 0) {
            *bytes_per_s = (guint64)mib_per_s * MIB;
            return TRUE;
        }
    }
    check->dirty_rate_error = g_strdup("the dirty-rate calculation did not finish in time");
    return FALSE;
}

static gpointer
check_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    CheckWork *w = data;
    g_autoptr(CvLibvirtDomainCheck) check = g_new0(CvLibvirtDomainCheck, 1);
    virDomainInfo info;
    unsigned long speed = 0;
    virDomainPtr dom = cv_libvirt_lookup_domain(worker->conn, w->domain, error);

    if (dom == NULL)
        return NULL;
    check->name = g_strdup(virDomainGetName(dom));
    check->xml = take_libvirt_string(virDomainGetXMLDesc(dom, 0));
    check->active = virDomainIsActive(dom) == 1;
    if (virDomainGetInfo(dom, &info) == 0)
        check->memory_bytes = (guint64)info.memory * 1024;
    read_downtime_limit(dom, &check->downtime_limit_ms);
    if (virDomainMigrateGetMaxSpeed(dom, &speed, 0) == 0 && (guint64)speed * MIB / MIB == speed &&
        (guint64)speed * MIB <= CV_SAMPLE_MAX_BYTES)
        cv_field_set(&check->max_bandwidth, (guint64)speed * MIB);
    if (w->seconds > 0 && check->active &&
        measure_dirty_rate(worker, dom, w->seconds, check, &check->dirty_rate_bytes) &&
        measure_dirty_rate(worker, dom, 2 * w->seconds, check, &check->dirty_rate_long_bytes)) {
        check->dirty_rate_measured = TRUE;
        check->dirty_rate_period_s = w->seconds;
    } else if (w->seconds > 0)
        check->dirty_rate_error = g_strdup("the domain is not running");
    virDomainFree(dom);
    return g_steal_pointer(&check);
}

CvLibvirtDomainCheck *
cv_libvirt_check_domain(CvLibvirtConn *conn, const gchar *domain, guint seconds, GError **error)
{
    CheckWork *w = g_new0(CheckWork, 1);

    w->domain = g_strdup(domain);
    w->seconds = seconds;
    return cv_libvirt_conn_run_sync(conn, check_work, w, check_work_free,
                                    (GDestroyNotify)cv_libvirt_domain_check_free, error);
}
