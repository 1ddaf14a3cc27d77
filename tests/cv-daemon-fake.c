#include "config.h"

#include <gio/gio.h>

#include "cv-daemon-fake.h"
#include "cv-target-fake.h"

typedef struct {
    gchar *name;
    gchar *uuid;
    gchar *xml;
    CvTarget *target;
    gboolean running;
} Domain;

struct _CvFakeHost {
    GPtrArray *domains; /* Domain */
    GPtrArray *sources; /* FakeSource, not owned */
    gboolean unreachable;
    guint n_scans;
    guint n_targets;
};

typedef struct {
    CvDaemonSource parent;
    CvFakeHost *host;
    GPtrArray *scans; /* Scan in flight */
} FakeSource;

typedef struct {
    FakeSource *source;
    CvDaemonScanFunc func;
    gpointer user_data;
    guint id;
} Scan;

static void
domain_free(Domain *d)
{
    g_free(d->name);
    g_free(d->uuid);
    g_free(d->xml);
    cv_target_free(d->target);
    g_free(d);
}

CvFakeHost *
cv_fake_host_new(void)
{
    CvFakeHost *host = g_new0(CvFakeHost, 1);

    host->domains = g_ptr_array_new_with_free_func((GDestroyNotify)domain_free);
    host->sources = g_ptr_array_new();
    return host;
}

void
cv_fake_host_free(CvFakeHost *host)
{
    if (host == NULL)
        return;
    /* the daemons watching it are gone first */
    g_assert_cmpuint(host->sources->len, ==, 0);
    g_ptr_array_unref(host->sources);
    g_ptr_array_unref(host->domains);
    g_free(host);
}

static Domain *
find(CvFakeHost *host, const gchar *name_or_uuid)
{
    for (guint i = 0; i < host->domains->len; i++) {
        Domain *d = host->domains->pdata[i];

        if (g_str_equal(d->name, name_or_uuid) || g_ascii_strcasecmp(d->uuid, name_or_uuid) == 0)
            return d;
    }
    return NULL;
}

CvTarget *
cv_fake_host_add_domain(CvFakeHost *host, const gchar *name, const gchar *uuid, const gchar *xml)
{
    Domain *d = g_new0(Domain, 1);

    d->name = g_strdup(name);
    d->uuid = g_strdup(uuid);
    d->xml = g_strdup(xml);
    d->target = cv_target_fake_new(NULL);
    d->running = TRUE;
    g_ptr_array_add(host->domains, d);
    return d->target;
}

CvTarget *
cv_fake_host_get_target(CvFakeHost *host, const gchar *name)
{
    Domain *d = find(host, name);

    g_assert_nonnull(d);
    return d->target;
}

void
cv_fake_host_remove_domain(CvFakeHost *host, const gchar *name)
{
    Domain *d = find(host, name);

    g_assert_nonnull(d);
    d->running = FALSE;
}

void
cv_fake_host_set_unreachable(CvFakeHost *host, gboolean unreachable)
{
    host->unreachable = unreachable;
}

void
cv_fake_host_lose(CvFakeHost *host)
{
    g_autoptr(GError) error =
        g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "libvirtd went away");

    host->unreachable = TRUE;
    for (guint i = 0; i < host->sources->len; i++)
        cv_daemon_source_emit(host->sources->pdata[i], CV_DAEMON_SOURCE_LOST, NULL, error);
}

void
cv_fake_host_reconnect(CvFakeHost *host)
{
    host->unreachable = FALSE;
    for (guint i = 0; i < host->sources->len; i++)
        cv_daemon_source_emit(host->sources->pdata[i], CV_DAEMON_SOURCE_RECONNECTED, NULL, NULL);
}

void
cv_fake_host_hint(CvFakeHost *host, const gchar *name)
{
    Domain *d = find(host, name);

    g_assert_nonnull(d);
    for (guint i = 0; i < host->sources->len; i++)
        cv_daemon_source_emit(host->sources->pdata[i], CV_DAEMON_SOURCE_HINT, d->uuid, NULL);
}

guint
cv_fake_host_get_n_scans(CvFakeHost *host)
{
    return host->n_scans;
}

guint
cv_fake_host_get_n_targets(CvFakeHost *host)
{
    return host->n_targets;
}

static gboolean
scan_idle(gpointer user_data)
{
    Scan *scan = user_data;
    FakeSource *self = scan->source;
    CvFakeHost *host = self->host;
    g_autoptr(GError) error = NULL;
    GPtrArray *domains = NULL;

    g_ptr_array_remove(self->scans, scan);
    host->n_scans++;
    if (host->unreachable) {
        error = g_error_new(CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT,
                            "cannot connect to libvirt at %s: Connection refused (fake)",
                            self->parent.uri);
    } else {
        domains = g_ptr_array_new_with_free_func((GDestroyNotify)cv_daemon_domain_free);
        for (guint i = 0; i < host->domains->len; i++) {
            Domain *d = host->domains->pdata[i];
            CvDaemonDomain *dd;

            if (!d->running)
                continue;
            dd = cv_daemon_domain_new(d->name, d->uuid);
            dd->sample = *cv_target_fake_get_sample(d->target);
            if (cv_daemon_domain_is_migrating(dd))
                dd->xml = g_strdup(d->xml);
            g_ptr_array_add(domains, dd);
        }
    }
    scan->func(&self->parent, domains, error, scan->user_data);
    g_free(scan);
    return G_SOURCE_REMOVE;
}

static void
fake_scan(CvDaemonSource *source, CvDaemonScanFunc func, gpointer user_data)
{
    FakeSource *self = (FakeSource *)source;
    Scan *scan = g_new0(Scan, 1);

    scan->source = self;
    scan->func = func;
    scan->user_data = user_data;
    scan->id = g_idle_add(scan_idle, scan);
    g_ptr_array_add(self->scans, scan);
}

static CvTarget *
fake_new_target(CvDaemonSource *source, const gchar *uuid, const CvPolicy *policy,
                CvConfigMonitorCommands mode)
{
    FakeSource *self = (FakeSource *)source;
    Domain *d = find(self->host, uuid);

    g_assert_nonnull(d);
    self->host->n_targets++;
    return d->target;
}

static void
fake_free_target(CvDaemonSource *source, CvTarget *target)
{
    /* the host's QEMU lives on */
}

static void
fake_free(CvDaemonSource *source)
{
    FakeSource *self = (FakeSource *)source;

    for (guint i = 0; i < self->scans->len; i++) {
        Scan *scan = self->scans->pdata[i];

        g_source_remove(scan->id);
        g_free(scan);
    }
    g_ptr_array_unref(self->scans);
    g_ptr_array_remove(self->host->sources, self);
    g_free(self);
}

static const CvDaemonSourceClass fake_source_class = {
    .scan = fake_scan,
    .new_target = fake_new_target,
    .free_target = fake_free_target,
    .free = fake_free,
};

CvDaemonSource *
cv_fake_host_source_factory(const gchar *uri, gpointer user_data)
{
    CvFakeHost *host = user_data;
    FakeSource *self = g_new0(FakeSource, 1);

    cv_daemon_source_init(&self->parent, &fake_source_class, uri);
    self->host = host;
    self->scans = g_ptr_array_new();
    g_ptr_array_add(host->sources, self);
    return &self->parent;
}
