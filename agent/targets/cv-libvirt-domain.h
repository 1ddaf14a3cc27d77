/* One-shot libvirt requests for the CLI (list, policy set/unset, check), each run on the
 * connection's worker and waited for on the caller's context. Errors are CV_TARGET_ERROR. */
#pragma once

#include <glib.h>

#include "cv-libvirt-conn.h"
#include "cv-sample.h"

G_BEGIN_DECLS

typedef struct {
    gchar *name;
    gchar uuid[VIR_UUID_STRING_BUFLEN];
    gint id;                      /* -1 when not running */
    CvSample sample;              /* its job statistics (status NONE without an outgoing one) */
    CvU64Field downtime_limit_ms; /* virDomainMigrateGetMaxDowntime */
    gchar *xml;                   /* the live XML: our <metadata>, VFIO devices */
} CvLibvirtDomainRow;

void cv_libvirt_domain_row_free(CvLibvirtDomainRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvLibvirtDomainRow, cv_libvirt_domain_row_free)

/* The running domains, sorted by name; with @migrating_only, those with an outgoing migration
 * job. A GPtrArray of CvLibvirtDomainRow. */
GPtrArray *cv_libvirt_list_domains(CvLibvirtConn *conn, gboolean migrating_only, GError **error);

typedef enum {
    CV_LIBVIRT_LIST_MIGRATING_ONLY = 1 << 0, /* only the domains with an outgoing migration */
    /* every row has name, UUID and job; the XML and limit only those migrating out */
    CV_LIBVIRT_LIST_DETAILS_MIGRATING_ONLY = 1 << 1,
} CvLibvirtListFlags;

/* The same, for a main loop (the daemon): the calls run on the connection's worker and
 * @callback runs on the caller's thread-default context. */
void cv_libvirt_list_domains_async(CvLibvirtConn *conn, CvLibvirtListFlags flags,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
GPtrArray *cv_libvirt_list_domains_finish(CvLibvirtConn *conn, GAsyncResult *result,
                                          GError **error);

/* Write (@policy_name) or remove (NULL) our <metadata> element, in the live domain when it runs
 * and in its persistent definition when it has one. @affected: "live", "persistent config",
 * "live and persistent config". */
gboolean cv_libvirt_set_policy_metadata(CvLibvirtConn *conn, const gchar *domain,
                                        const gchar *policy_name, gchar **name, gchar **affected,
                                        GError **error);

typedef struct {
    gchar *name;
    gchar *xml;
    guint64 memory_bytes; /* current memory */
    gboolean active;
    CvU64Field downtime_limit_ms;
    CvU64Field max_bandwidth; /* bytes/s; ABSENT = unlimited or unknown */
    /* libvirt's dirty-rate calculation (QEMU calc-dirty-rate, page sampling), twice: over
     * the period asked for and over twice that, which tells a working set the guest keeps
     * re-dirtying (the same bytes in both) from memory it dirties at a steady rate (twice the
     * bytes in twice the time) */
    gboolean dirty_rate_measured;
    guint64 dirty_rate_bytes; /* bytes/s over dirty_rate_period_s */
    guint64 dirty_rate_period_s;
    guint64 dirty_rate_long_bytes; /* bytes/s over 2 x dirty_rate_period_s */
    gchar *dirty_rate_error;       /* why there is no measurement */
} CvLibvirtDomainCheck;

void cv_libvirt_domain_check_free(CvLibvirtDomainCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvLibvirtDomainCheck, cv_libvirt_domain_check_free)

/* Read what `check` needs, measuring the dirty rate over @seconds and then over twice that
 * (0 = do not measure). */
CvLibvirtDomainCheck *cv_libvirt_check_domain(CvLibvirtConn *conn, const gchar *domain,
                                              guint seconds, GError **error);

G_END_DECLS
