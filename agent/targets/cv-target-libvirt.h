/* The libvirt target: a migration of a libvirt-managed domain, read and changed through
 * libvirt's client API on the connection's worker thread (cv-libvirt-conn.h).
 *
 * Reading: virDomainGetJobStats (+ virDomainGetState) mapped by cv-libvirt-jobstats.h; the
 * parameters from virDomainMigrateGetMaxDowntime / GetMaxSpeed. Changing:
 * virDomainMigrateSetMaxDowntime, virDomainMigrateStartPostCopy, virDomainSuspend / Resume,
 * virDomainAbortJob, virDomainMigrateToURI3. Events: migration-iteration (PASS), job-completed
 * (the final statistics), lifecycle (STOP, RESUME, the end).
 *
 * libvirt passes neither QEMU 11.1's system-wide `remaining` nor any VFIO figure, and 9.0 has no
 * API for avail-switchover-bandwidth. When the engine needs them (the domain has VFIO host
 * devices, or the policy states a link rate), the target reads query-migrate and sets that
 * parameter with virDomainQemuMonitorCommand instead, which libvirt logs as a "custom-monitor"
 * taint: CvConfigMonitorCommands says when that is allowed.
 *
 * Connections: the libvirt connection (CvLibvirtConn) is shared and re-opens itself after
 * libvirtd restarts. cv_target_connect() after cv_target_close() or a CLOSED event (the domain
 * stopped) is a reconnect, as the CvTarget contract asks: the domain is looked up again by its
 * UUID and its XML read again; a connect while connected fails with CONNECT.
 *
 * Callbacks run on the default main context (libvirt's events are dispatched there). */
#pragma once

#include <glib.h>

#include "cv-config.h"
#include "cv-libvirt-conn.h"
#include "cv-target.h"

G_BEGIN_DECLS

/* @domain: a name, UUID or id, as virsh takes it. The connection is shared (ref'd). Nothing is
 * called until cv_target_connect(), which looks the domain up and reads its XML. */
CvTarget *cv_target_libvirt_new(CvLibvirtConn *conn, const gchar *domain);
gboolean cv_target_is_libvirt(const CvTarget *target);

/* Before connect. Default AUTO. */
void cv_target_libvirt_set_monitor_commands(CvTarget *target, CvConfigMonitorCommands mode);
/* The policy states the link's rate, so it wants avail-switchover-bandwidth (AUTO then uses the
 * monitor). Before connect. */
void cv_target_libvirt_set_wants_switchover_bandwidth(CvTarget *target, gboolean wanted);
/* How cv_target_migrate() starts the migration: virDomainMigrateFlags, the bandwidth in MiB/s
 * (0 = libvirt's default) and the migration URI (NULL = libvirt picks). */
void cv_target_libvirt_set_migrate_options(CvTarget *target, guint flags, guint64 bandwidth_mib,
                                           const gchar *migrate_uri);

/* Our virDomainMigrateToURI3 (cv_target_migrate) has not returned yet: libvirt is still
 * finishing the migration (it returns a moment after the guest runs on the destination). */
gboolean cv_target_libvirt_is_migrating(const CvTarget *target);

/* After connect. */
const gchar *cv_target_libvirt_get_name(const CvTarget *target);
/* The domain's XML as read at connect (live definition). */
const gchar *cv_target_libvirt_get_xml(const CvTarget *target);
/* Our <metadata> element and the VFIO devices, from that XML; NULL when it could not be parsed
 * (cv_target_libvirt_get_metadata_error says why). */
const CvConfigMetadata *cv_target_libvirt_get_metadata(const CvTarget *target);
const GError *cv_target_libvirt_get_metadata_error(const CvTarget *target);
/* Whether query-migrate and avail-switchover-bandwidth go through QEMU's monitor, and why
 * (or why not). */
gboolean cv_target_libvirt_uses_monitor(const CvTarget *target);
const gchar *cv_target_libvirt_get_monitor_reason(const CvTarget *target);

G_END_DECLS
