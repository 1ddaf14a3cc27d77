/* The load suite's and the overhead benchmark's stand-in for libvirt (cv-test-load-source.h). */
#include "config.h"

#include "cv-target-qmp.h"
#include "cv-test-load-source.h"

typedef struct {
    CvDaemonSource parent;
    CvTestLoadHost *host;
} LoadSource;

typedef struct {
    LoadSource *source;
    CvDaemonScanFunc func;
    gpointer user_data;
    GPtrArray *domains;
    guint waiting;
} LoadScan;

void
cv_test_load_host_init(CvTestLoadHost *host, guint n, const gchar *sock_base)
{
    *host = (CvTestLoadHost){0};
    host->n = n;
    host->sock_base = g_strdup(sock_base);
    host->sources = g_ptr_array_new();
    host->uuids = g_new0(gchar *, n + 1);
    for (guint i = 0; i < n; i++)
        host->uuids[i] = g_strdup_printf("10ad0000-0000-4000-8000-%012u", i);
}

void
cv_test_load_host_clear(CvTestLoadHost *host)
{
    for (guint i = 0; host->control != NULL && i < host->n; i++)
        cv_target_free(host->control[i]);
    g_clear_pointer(&host->control, g_free);
    g_clear_pointer(&host->uuids, g_strfreev);
    g_clear_pointer(&host->sources, g_ptr_array_unref);
    g_clear_pointer(&host->sock_base, g_free);
}

gchar *
cv_test_load_instance_name(guint i)
{
    return g_strdup_printf("load-%03u", i);
}

static void
scan_sample_cb(CvTarget *target, const CvSample *sample, const GError *error, gpointer user_data)
{
    LoadScan *scan = user_data;
    CvTestLoadHost *host = scan->source->host;

    for (guint i = 0; i < host->n; i++) {
        if (host->control[i] == target && error == NULL) {
            g_autofree gchar *name = cv_test_load_instance_name(i);
            CvDaemonDomain *d = cv_daemon_domain_new(name, host->uuids[i]);

            d->sample = *sample;
            g_ptr_array_add(scan->domains, d);
        }
    }
    if (--scan->waiting > 0)
        return;
    scan->func(&scan->source->parent, g_steal_pointer(&scan->domains), NULL, scan->user_data);
    g_free(scan);
}

static void
load_scan(CvDaemonSource *source, CvDaemonScanFunc func, gpointer user_data)
{
    LoadSource *self = (LoadSource *)source;
    LoadScan *scan = g_new0(LoadScan, 1);

    scan->source = self;
    scan->func = func;
    scan->user_data = user_data;
    scan->domains = g_ptr_array_new_with_free_func((GDestroyNotify)cv_daemon_domain_free);
    scan->waiting = self->host->n;
    self->host->n_scans++;
    for (guint i = 0; i < self->host->n; i++)
        cv_target_query_migrate(self->host->control[i], scan_sample_cb, scan);
}

static CvTarget *
load_new_target(CvDaemonSource *source, const gchar *uuid, const CvPolicy *policy,
                CvConfigMonitorCommands mode)
{
    CvTestLoadHost *host = ((LoadSource *)source)->host;

    for (guint i = 0; i < host->n; i++) {
        if (g_str_equal(host->uuids[i], uuid)) {
            g_autofree gchar *path = g_strdup_printf("%s-%u", host->sock_base, i);

            if (host->new_target != NULL)
                return host->new_target(path, host->new_target_data);
            return cv_target_qmp_new(path, NULL);
        }
    }
    g_error("no such domain %s", uuid);
}

static void
load_free_target(CvDaemonSource *source, CvTarget *target)
{
    cv_target_free(target);
}

static void
load_free(CvDaemonSource *source)
{
    LoadSource *self = (LoadSource *)source;

    if (self->host->sources != NULL)
        g_ptr_array_remove(self->host->sources, source);
    g_free(self);
}

static const CvDaemonSourceClass load_source_class = {
    .scan = load_scan,
    .new_target = load_new_target,
    .free_target = load_free_target,
    .free = load_free,
};

CvDaemonSource *
cv_test_load_source_factory(const gchar *uri, gpointer user_data)
{
    LoadSource *self = g_new0(LoadSource, 1);

    self->host = user_data;
    cv_daemon_source_init(&self->parent, &load_source_class, uri);
    g_ptr_array_add(self->host->sources, self);
    return &self->parent;
}

void
cv_test_load_host_hint_all(CvTestLoadHost *host)
{
    for (guint s = 0; s < host->sources->len; s++) {
        for (guint i = 0; i < host->n; i++)
            cv_daemon_source_emit(host->sources->pdata[s], CV_DAEMON_SOURCE_HINT, host->uuids[i],
                                  NULL);
    }
}
