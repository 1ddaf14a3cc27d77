/* The libvirt target, its connection worker and the CLI's one-shot requests against libvirt's
 * in-process test driver (test:///default: one running domain "test"). The test driver has no
 * migrations, so tuning is proven by the e2e suite on a real libvirtd; here: connecting,
 * finding domains, libvirt's errors as target errors, events on libvirt's GLib event loop,
 * the CvTarget contract (callbacks from the main context, never from inside the call, none
 * after free), listing and the <metadata> policy. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-config-metadata.h"
#include "cv-libvirt-domain.h"
#include "cv-reconnector.h"
#include "cv-target-libvirt.h"

#define TEST_URI "test:///default"
/* a hang guard, not a performance bound */
#define GUARD_S 20

static gboolean
guard_cb(gpointer data)
{
    g_error("timed out waiting: %s", (const gchar *)data);
    return G_SOURCE_REMOVE;
}

static void
iterate_until(const gboolean *flag, const gchar *what)
{
    guint guard = g_timeout_add_seconds(GUARD_S, guard_cb, (gpointer)what);

    while (!*flag)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(guard);
}

static gboolean
set_flag_cb(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Let the workers of released connections finish, so nothing is left for the leak check. */
static void
drain_workers(void)
{
    gint64 until = g_get_monotonic_time() + GUARD_S * G_USEC_PER_SEC;

    while (cv_libvirt_conn_get_n_workers() > 0 && g_get_monotonic_time() < until) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        g_usleep(1000);
    }
    g_assert_cmpuint(cv_libvirt_conn_get_n_workers(), ==, 0);
    /* libvirt frees deregistered event callbacks from its event loop's next dispatch */
    {
        gboolean done = FALSE;

        g_timeout_add(100, set_flag_cb, &done);
        while (!done)
            g_main_context_iteration(NULL, TRUE);
    }
}

typedef struct {
    gboolean in_call;
    gboolean done;
    gboolean called_inside;
    GError *error;
    CvSample sample;
    CvParams params;
    guint n_stop;
    guint n_resume;
    guint n_closed;
} Call;

static void
call_clear(Call *c)
{
    g_clear_error(&c->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Call, call_clear)

static void
done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    Call *c = user_data;

    c->called_inside |= c->in_call;
    g_assert_true(g_main_context_is_owner(g_main_context_default()));
    if (error != NULL)
        c->error = g_error_copy(error);
    c->done = TRUE;
}

static void
params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    Call *c = user_data;

    c->called_inside |= c->in_call;
    if (error != NULL)
        c->error = g_error_copy(error);
    else
        c->params = *params;
    c->done = TRUE;
}

static void
sample_cb(CvTarget *target, const CvSample *sample, const GError *error, gpointer user_data)
{
    Call *c = user_data;

    c->called_inside |= c->in_call;
    if (error != NULL)
        c->error = g_error_copy(error);
    else
        c->sample = *sample;
    c->done = TRUE;
}

static void
event_cb(CvTarget *target, const CvTargetEvent *event, gpointer user_data)
{
    Call *c = user_data;

    if (event->kind == CV_TARGET_EVENT_STOP)
        c->n_stop++;
    else if (event->kind == CV_TARGET_EVENT_RESUME)
        c->n_resume++;
    else if (event->kind == CV_TARGET_EVENT_CLOSED)
        c->n_closed++;
}

static CvTarget *
connected_target(CvLibvirtConn *conn, const gchar *domain, GError **error)
{
    CvTarget *target = cv_target_libvirt_new(conn, domain);

    if (!cv_target_connect_sync(target, error)) {
        cv_target_free(target);
        return NULL;
    }
    return target;
}

static void
test_connect(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(CvTarget) target = cv_target_libvirt_new(conn, "test");
    g_auto(Call) c = {0};

    c.in_call = TRUE;
    cv_target_connect(target, done_cb, &c);
    c.in_call = FALSE;
    g_assert_false(c.done);
    iterate_until(&c.done, "connect");
    g_assert_false(c.called_inside);
    g_assert_no_error(c.error);
    g_assert_true(cv_target_is_connected(target));
    g_assert_true(cv_target_has_events(target));
    g_assert_cmpstr(cv_target_libvirt_get_name(target), ==, "test");
    g_assert_cmpstr(cv_target_get_description(target), ==, "libvirt:" TEST_URI "/test");
    g_assert_nonnull(strstr(cv_target_libvirt_get_xml(target), "<name>test</name>"));
    /* no VFIO, no policy stating a link rate: job statistics are enough */
    g_assert_false(cv_target_libvirt_uses_monitor(target));
    g_assert_nonnull(cv_target_libvirt_get_metadata(target));
    g_assert_cmpuint(cv_config_metadata_get_n_vfio_devices(cv_target_libvirt_get_metadata(target)),
                     ==, 0);
    g_clear_pointer(&target, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static void
test_lookup(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) by_id = connected_target(conn, "1", &error);
    g_autofree gchar *uuid = NULL;
    g_autoptr(CvTarget) by_uuid = NULL;
    g_autoptr(CvTarget) unknown = NULL;
    const gchar *xml;

    /* virsh's order: an id, a UUID, a name */
    g_assert_no_error(error);
    g_assert_cmpstr(cv_target_libvirt_get_name(by_id), ==, "test");
    xml = cv_target_libvirt_get_xml(by_id);
    uuid = g_strndup(strstr(xml, "<uuid>") + strlen("<uuid>"), 36);
    by_uuid = connected_target(conn, uuid, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cv_target_libvirt_get_name(by_uuid), ==, "test");
    unknown = connected_target(conn, "no-such-domain", &error);
    g_assert_null(unknown);
    g_assert_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_NO_DOMAIN);
    g_assert_cmpstr(error->message, ==, "no domain 'no-such-domain' (by name, UUID or id)");
    g_clear_pointer(&by_id, cv_target_free);
    g_clear_pointer(&by_uuid, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static void
test_connect_failure(void)
{
    g_autoptr(CvLibvirtConn) conn =
        cv_libvirt_conn_new("qemu+unix:///system?socket=/nonexistent/libvirt-sock", FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = connected_target(conn, "x", &error);

    /* the first connect fails at once: a wrong URI is for the user to fix */
    g_assert_null(target);
    g_assert_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT);
    g_assert_nonnull(strstr(error->message, "cannot connect to libvirt at qemu+unix"));
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static void
test_errors(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = connected_target(conn, "test", &error);
    g_auto(Call) abort_call = {0};
    g_auto(Call) query = {0};
    g_auto(Call) params = {0};

    g_assert_no_error(error);
    /* no job to abort: libvirt's OPERATION_INVALID */
    cv_target_cancel(target, done_cb, &abort_call);
    iterate_until(&abort_call.done, "abort");
    g_assert_nonnull(abort_call.error);
    g_assert_true(abort_call.error->code == CV_TARGET_ERROR_OPERATION_INVALID ||
                  abort_call.error->code == CV_TARGET_ERROR_NOT_SUPPORTED);
    g_assert_true(g_str_has_prefix(abort_call.error->message, "virDomainAbortJob: "));
    /* the test driver has no job statistics: said plainly, not a crash or a fake sample */
    cv_target_query_migrate(target, sample_cb, &query);
    iterate_until(&query.done, "query");
    g_assert_error(query.error, CV_TARGET_ERROR, CV_TARGET_ERROR_NOT_SUPPORTED);
    /* ... nor a downtime limit: the parameters say unknown */
    cv_target_query_params(target, params_cb, &params);
    iterate_until(&params.done, "params");
    g_assert_no_error(params.error);
    g_assert_cmpint(params.params.downtime_limit_ms.state, ==, CV_FIELD_ABSENT);
    g_assert_cmpint(params.params.vfio_devices, ==, CV_TRI_NO);
    g_assert_cmpint(params.params.events, ==, CV_TRI_YES);
    /* libvirt 9.0 has no API for it; monitor commands are not in use for this domain */
    g_assert_false(cv_params_supports_switchover_bandwidth(&params.params));
    g_clear_pointer(&target, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static void
test_switchover_refused(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = NULL;
    g_auto(Call) c = {0};

    target = cv_target_libvirt_new(conn, "test");
    cv_target_libvirt_set_monitor_commands(target, CV_CONFIG_MONITOR_COMMANDS_NEVER);
    g_assert_true(cv_target_connect_sync(target, &error));
    cv_target_libvirt_set_wants_switchover_bandwidth(target, TRUE);
    /* never: the policy wants the knob, but it is never set, and the reason is kept */
    g_assert_false(cv_target_libvirt_uses_monitor(target));
    g_assert_nonnull(
        strstr(cv_target_libvirt_get_monitor_reason(target), "monitor-commands = never"));
    c.in_call = TRUE;
    cv_target_set_switchover_bandwidth(target, 1 << 30, done_cb, &c);
    c.in_call = FALSE;
    iterate_until(&c.done, "switchover");
    g_assert_false(c.called_inside);
    g_assert_error(c.error, CV_TARGET_ERROR, CV_TARGET_ERROR_NOT_SUPPORTED);
    g_clear_pointer(&target, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

/* libvirt's GLib-based default event loop delivers domain events on our main context. */
static void
test_events(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = connected_target(conn, "test", &error);
    g_auto(Call) ev = {0};
    g_auto(Call) suspend = {0};
    g_auto(Call) resume = {0};

    g_assert_no_error(error);
    cv_target_set_event_func(target, event_cb, &ev);
    cv_target_stop_guest(target, done_cb, &suspend);
    iterate_until(&suspend.done, "suspend");
    g_assert_no_error(suspend.error);
    {
        guint guard = g_timeout_add_seconds(GUARD_S, guard_cb, (gpointer) "STOP event");

        while (ev.n_stop == 0)
            g_main_context_iteration(NULL, TRUE);
        g_source_remove(guard);
    }
    cv_target_resume_guest(target, done_cb, &resume);
    iterate_until(&resume.done, "resume");
    g_assert_no_error(resume.error);
    {
        guint guard = g_timeout_add_seconds(GUARD_S, guard_cb, (gpointer) "RESUME event");

        while (ev.n_resume == 0)
            g_main_context_iteration(NULL, TRUE);
        g_source_remove(guard);
    }
    g_assert_cmpuint(ev.n_stop, ==, 1);
    g_assert_cmpuint(ev.n_resume, ==, 1);
    g_assert_cmpuint(ev.n_closed, ==, 0);
    cv_target_unset_event_func(target, event_cb, &ev);
    g_clear_pointer(&target, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static void
test_read_only(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = connected_target(conn, "test", &error);
    g_auto(Call) c = {0};

    g_assert_no_error(error);
    cv_target_stop_guest(target, done_cb, &c);
    iterate_until(&c.done, "suspend");
    g_assert_error(c.error, CV_TARGET_ERROR, CV_TARGET_ERROR_PERMISSION_DENIED);
    g_clear_pointer(&target, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static void
never_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    g_error("a callback after the target was freed");
}

static void
never_params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    g_error("a callback after the target was freed");
}

static void
test_free_drops_pending(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(GError) error = NULL;
    CvTarget *target = connected_target(conn, "test", &error);

    g_assert_no_error(error);
    cv_target_query_params(target, never_params_cb, NULL);
    cv_target_set_downtime_limit(target, 1000, never_cb, NULL);
    cv_target_free(target);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static void
test_close(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = connected_target(conn, "test", &error);
    g_auto(Call) pending = {0};
    g_auto(Call) after = {0};

    g_assert_no_error(error);
    cv_target_query_params(target, params_cb, &pending);
    cv_target_close(target);
    g_assert_false(cv_target_is_connected(target));
    iterate_until(&pending.done, "pending at close");
    g_assert_error(pending.error, CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED);
    cv_target_query_migrate(target, sample_cb, &after);
    iterate_until(&after.done, "after close");
    g_assert_error(after.error, CV_TARGET_ERROR, CV_TARGET_ERROR_CLOSED);
    g_clear_pointer(&target, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

/* The tuner's reconnector closes a target whose commands time out and connects it again: the
 * libvirt target takes a connect after close (a new lookup of the same domain on the shared
 * connection), as the QMP target does; a connect while connected is refused. */
typedef struct {
    gboolean done;
    gboolean have_params;
    GError *error;
} Reconnected;

static void
reconnected_cb(CvReconnector *reconnector, const CvParams *params, const GError *error,
               gpointer user_data)
{
    Reconnected *r = user_data;

    r->have_params = params != NULL;
    if (error != NULL)
        r->error = g_error_copy(error);
    r->done = TRUE;
}

static void
test_reconnect(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = connected_target(conn, "test", &error);
    g_autoptr(CvClock) clock = cv_clock_new_monotonic();
    g_autoptr(CvReconnector) reconnector = NULL;
    g_auto(Call) twice = {0};
    g_auto(Call) again = {0};
    g_auto(Call) query = {0};
    Reconnected r = {0};

    g_assert_no_error(error);
    cv_target_connect(target, done_cb, &twice);
    iterate_until(&twice.done, "connect while connected");
    g_assert_error(twice.error, CV_TARGET_ERROR, CV_TARGET_ERROR_CONNECT);
    g_assert_true(cv_target_is_connected(target));

    cv_target_close(target);
    g_assert_false(cv_target_is_connected(target));
    cv_target_connect(target, done_cb, &again);
    iterate_until(&again.done, "connect after close");
    g_assert_no_error(again.error);
    g_assert_true(cv_target_is_connected(target));
    g_assert_cmpstr(cv_target_libvirt_get_name(target), ==, "test");
    /* the test driver has no job statistics; the parameters go through the new lookup */
    cv_target_query_params(target, params_cb, &query);
    iterate_until(&query.done, "read after reconnect");
    g_assert_no_error(query.error);

    /* what the tuner does after repeated timeouts: close, connect, read the parameters */
    reconnector = cv_reconnector_new(target, clock);
    cv_reconnector_start(reconnector, 1, reconnected_cb, NULL, &r);
    iterate_until(&r.done, "reconnector");
    g_assert_no_error(r.error);
    g_assert_true(r.have_params);
    g_assert_cmpuint(cv_reconnector_get_n_tries(reconnector), ==, 1);
    g_assert_true(cv_target_is_connected(target));

    g_clear_pointer(&reconnector, cv_reconnector_free);
    g_clear_pointer(&target, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

/* A domain with a VFIO host device: the test driver defines and "runs" it without hardware. */
static const gchar vfio_xml[] =
    "<domain type='test'><name>vgpu</name><memory unit='MiB'>512</memory><vcpu>1</vcpu>"
    "<os><type arch='x86_64'>hvm</type></os><devices>"
    "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
    "<address domain='0x0000' bus='0x3b' slot='0x00' function='0x0'/></source></hostdev>"
    "</devices></domain>";

static gpointer
define_vfio_work(const CvLibvirtWorker *worker, gpointer data, GError **error)
{
    virDomainPtr dom = virDomainLookupByName(worker->conn, "vgpu");

    if (dom == NULL) {
        dom = virDomainDefineXML(worker->conn, vfio_xml);
        if (dom == NULL || virDomainCreate(dom) < 0) {
            g_propagate_error(error, cv_libvirt_error_from_last(worker->conn, "define"));
            if (dom != NULL)
                virDomainFree(dom);
            return NULL;
        }
    }
    virDomainFree(dom);
    return GINT_TO_POINTER(1);
}

static void
test_monitor_choice(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(CvLibvirtConn) ro = cv_libvirt_conn_new(TEST_URI, TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) plain = NULL;
    g_autoptr(CvTarget) vfio = NULL;
    g_autoptr(CvTarget) never = NULL;
    g_autoptr(CvTarget) read_only = NULL;
    g_auto(Call) params = {0};

    g_assert_nonnull(cv_libvirt_conn_run_sync(conn, define_vfio_work, NULL, NULL, NULL, &error));
    g_assert_no_error(error);
    /* auto: job statistics for a plain domain ... */
    plain = connected_target(conn, "test", &error);
    g_assert_false(cv_target_libvirt_uses_monitor(plain));
    /* ... and for it too once the policy states a link rate, the monitor */
    cv_target_libvirt_set_wants_switchover_bandwidth(plain, TRUE);
    g_assert_true(cv_target_libvirt_uses_monitor(plain));
    g_assert_nonnull(strstr(cv_target_libvirt_get_monitor_reason(plain),
                            "the policy sets avail-switchover-bandwidth"));
    /* a VFIO device: libvirt's statistics do not count its state, so the monitor */
    vfio = connected_target(conn, "vgpu", &error);
    g_assert_no_error(error);
    g_assert_true(cv_target_libvirt_uses_monitor(vfio));
    g_assert_nonnull(strstr(cv_target_libvirt_get_monitor_reason(vfio), "1 VFIO host device"));
    /* the engine is told the guest has VFIO devices; the monitor's query-migrate is what the
     * test driver cannot answer */
    cv_target_query_params(vfio, params_cb, &params);
    iterate_until(&params.done, "params");
    g_assert_nonnull(params.error);
    /* never: job statistics only, the estimate RAM-only, said so */
    never = cv_target_libvirt_new(conn, "vgpu");
    cv_target_libvirt_set_monitor_commands(never, CV_CONFIG_MONITOR_COMMANDS_NEVER);
    g_assert_true(cv_target_connect_sync(never, &error));
    g_assert_false(cv_target_libvirt_uses_monitor(never));
    g_assert_nonnull(strstr(cv_target_libvirt_get_monitor_reason(never), "RAM-only"));
    g_clear_pointer(&params.error, g_error_free);
    params.done = FALSE;
    cv_target_query_params(never, params_cb, &params);
    iterate_until(&params.done, "params");
    g_assert_no_error(params.error);
    g_assert_cmpint(params.params.vfio_devices, ==, CV_TRI_YES);
    /* a read-only connection cannot use the monitor whatever the setting */
    read_only = cv_target_libvirt_new(ro, "vgpu");
    cv_target_libvirt_set_monitor_commands(read_only, CV_CONFIG_MONITOR_COMMANDS_ALWAYS);
    g_assert_true(cv_target_connect_sync(read_only, &error));
    g_assert_false(cv_target_libvirt_uses_monitor(read_only));
    g_assert_nonnull(strstr(cv_target_libvirt_get_monitor_reason(read_only), "read-only"));
    g_clear_pointer(&plain, cv_target_free);
    g_clear_pointer(&vfio, cv_target_free);
    g_clear_pointer(&never, cv_target_free);
    g_clear_pointer(&read_only, cv_target_free);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    g_clear_pointer(&ro, cv_libvirt_conn_unref);
    drain_workers();
}

/* ---- the CLI's one-shot requests -------------------------------------------------------- */

static void
test_list(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, TRUE);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) all = cv_libvirt_list_domains(conn, FALSE, &error);
    g_autoptr(GPtrArray) migrating = NULL;
    CvLibvirtDomainRow *row;

    g_assert_no_error(error);
    g_assert_cmpuint(all->len, ==, 1);
    row = g_ptr_array_index(all, 0);
    g_assert_cmpstr(row->name, ==, "test");
    g_assert_cmpint(row->id, ==, 1);
    g_assert_cmpuint(strlen(row->uuid), ==, 36);
    g_assert_cmpint(row->sample.status, ==, CV_MIGRATION_STATUS_NONE);
    g_assert_nonnull(row->xml);
    /* no outgoing migration anywhere */
    migrating = cv_libvirt_list_domains(conn, TRUE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(migrating->len, ==, 0);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    drain_workers();
}

static gchar *
domain_policy(CvLibvirtConn *conn)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvTarget) target = connected_target(conn, "test", &error);
    const CvConfigMetadata *md;

    g_assert_no_error(error);
    md = cv_target_libvirt_get_metadata(target);
    g_assert_nonnull(md);
    return g_strdup(cv_config_metadata_get_policy_name(md));
}

static void
test_metadata(void)
{
    g_autoptr(CvLibvirtConn) conn = cv_libvirt_conn_new(TEST_URI, FALSE);
    g_autoptr(CvLibvirtConn) ro = cv_libvirt_conn_new(TEST_URI, TRUE);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *name = NULL;
    g_autofree gchar *affected = NULL;
    g_autofree gchar *policy = NULL;

    g_assert_true(cv_libvirt_set_policy_metadata(conn, "test", "gold", &name, &affected, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(name, ==, "test");
    g_assert_cmpstr(affected, ==, "live and persistent config");
    policy = domain_policy(conn);
    g_assert_cmpstr(policy, ==, "gold");
    g_clear_pointer(&policy, g_free);
    /* set again: replaced, not doubled */
    g_assert_true(cv_libvirt_set_policy_metadata(conn, "test", "silver", NULL, NULL, &error));
    policy = domain_policy(conn);
    g_assert_cmpstr(policy, ==, "silver");
    g_clear_pointer(&policy, g_free);
    /* a bad name is refused before anything is written */
    g_assert_false(cv_libvirt_set_policy_metadata(conn, "test", "no spaces", NULL, NULL, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    policy = domain_policy(conn);
    g_assert_cmpstr(policy, ==, "silver");
    g_clear_pointer(&policy, g_free);
    /* read-only: permission denied, said plainly */
    g_assert_false(cv_libvirt_set_policy_metadata(ro, "test", "gold", NULL, NULL, &error));
    g_assert_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_PERMISSION_DENIED);
    g_clear_error(&error);
    /* an unknown domain */
    g_assert_false(cv_libvirt_set_policy_metadata(conn, "nope", "gold", NULL, NULL, &error));
    g_assert_error(error, CV_TARGET_ERROR, CV_TARGET_ERROR_NO_DOMAIN);
    g_clear_error(&error);
    /* unset */
    g_assert_true(cv_libvirt_set_policy_metadata(conn, "test", NULL, NULL, NULL, &error));
    policy = domain_policy(conn);
    g_assert_null(policy);
    g_clear_pointer(&conn, cv_libvirt_conn_unref);
    g_clear_pointer(&ro, cv_libvirt_conn_unref);
    drain_workers();
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    cv_libvirt_init();
    g_test_add_func("/libvirt-target/connect", test_connect);
    g_test_add_func("/libvirt-target/lookup", test_lookup);
    g_test_add_func("/libvirt-target/connect-failure", test_connect_failure);
    g_test_add_func("/libvirt-target/errors", test_errors);
    g_test_add_func("/libvirt-target/switchover-refused", test_switchover_refused);
    g_test_add_func("/libvirt-target/events", test_events);
    g_test_add_func("/libvirt-target/monitor-choice", test_monitor_choice);
    g_test_add_func("/libvirt-target/read-only", test_read_only);
    g_test_add_func("/libvirt-target/free-drops-pending", test_free_drops_pending);
    g_test_add_func("/libvirt-target/close", test_close);
    g_test_add_func("/libvirt-target/reconnect", test_reconnect);
    g_test_add_func("/libvirt-domain/list", test_list);
    g_test_add_func("/libvirt-domain/metadata", test_metadata);
    return g_test_run();
}
