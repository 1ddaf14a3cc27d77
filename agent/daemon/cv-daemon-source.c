#include "config.h"

#include "cv-daemon-source.h"

CvDaemonDomain *
cv_daemon_domain_new(const gchar *name, const gchar *uuid)
{
    CvDaemonDomain *d = g_new0(CvDaemonDomain, 1);

    d->name = g_strdup(name);
    d->uuid = g_strdup(uuid);
    cv_sample_init(&d->sample);
    d->sample.status = CV_MIGRATION_STATUS_NONE;
    return d;
}

void
cv_daemon_domain_free(CvDaemonDomain *domain)
{
    if (domain == NULL)
        return;
    g_free(domain->name);
    g_free(domain->uuid);
    g_free(domain->xml);
    g_free(domain);
}

gboolean
cv_daemon_domain_is_migrating(const CvDaemonDomain *domain)
{
    CvMigrationStatus s = domain->sample.status;

    return s != CV_MIGRATION_STATUS_NONE && s != CV_MIGRATION_STATUS_UNKNOWN &&
           !cv_migration_status_is_final(s);
}

void
cv_daemon_source_init(CvDaemonSource *source, const CvDaemonSourceClass *klass, const gchar *uri)
{
    source->klass = klass;
    source->uri = g_strdup(uri);
}

void
cv_daemon_source_emit(CvDaemonSource *source, CvDaemonSourceEvent event, const gchar *uuid,
                      const GError *error)
{
    if (source->event_func != NULL)
        source->event_func(source, event, uuid, error, source->event_data);
}

void
cv_daemon_source_set_event_func(CvDaemonSource *source, CvDaemonSourceEventFunc func,
                                gpointer user_data)
{
    g_return_if_fail(source != NULL);
    source->event_func = func;
    source->event_data = user_data;
}

void
cv_daemon_source_scan(CvDaemonSource *source, CvDaemonScanFunc func, gpointer user_data)
{
    g_return_if_fail(source != NULL && func != NULL);
    source->klass->scan(source, func, user_data);
}

CvTarget *
cv_daemon_source_new_target(CvDaemonSource *source, const gchar *uuid, const CvPolicy *policy,
                            CvConfigMonitorCommands mode)
{
    g_return_val_if_fail(source != NULL && uuid != NULL && policy != NULL, NULL);
    return source->klass->new_target(source, uuid, policy, mode);
}

void
cv_daemon_source_set_target_policy(CvDaemonSource *source, CvTarget *target, const CvPolicy *policy)
{
    g_return_if_fail(source != NULL && target != NULL && policy != NULL);
    if (source->klass->set_target_policy != NULL)
        source->klass->set_target_policy(source, target, policy);
}

void
cv_daemon_source_free_target(CvDaemonSource *source, CvTarget *target)
{
    g_return_if_fail(source != NULL);
    if (target == NULL)
        return;
    if (source->klass->free_target != NULL)
        source->klass->free_target(source, target);
    else
        cv_target_free(target);
}

const gchar *
cv_daemon_source_get_uri(const CvDaemonSource *source)
{
    g_return_val_if_fail(source != NULL, NULL);
    return source->uri;
}

void
cv_daemon_source_free(CvDaemonSource *source)
{
    gchar *uri;

    if (source == NULL)
        return;
    uri = source->uri;
    source->klass->free(source);
    g_free(uri);
}
