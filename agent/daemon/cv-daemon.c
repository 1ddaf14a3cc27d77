/* CvDaemon: virt-converged's one object. This comment is the daemon's design, for what is
 * here and for what the libvirt step plugs in.
 *
 * WHAT RUNS WHERE
 * One GMainLoop on the default GMainContext, no threads of ours. main() (cv-daemon-main.c)
 * parses the options, installs the log writer (cv-daemon-log.h) and g_unix_signal_add()
 * handlers: SIGHUP -> cv_daemon_reload(), SIGTERM/SIGINT -> cv_daemon_stop(). libvirt's
 * blocking RPCs will run on the libvirt target's worker per connection and complete on this
 * context (architecture.md); nothing here blocks except the fsyncs of the state records.
 *
 * WHAT THE DAEMON OWNS (done)
 *   config      the running CvConfig: built and validated whole, then swapped; a failed
 *               reload keeps it and says FILE:LINE.
 *   store       STATE_DIR/migrations, one CvStateRecord per migration the daemon may change,
 *               written atomically and durably; STATE_DIR/virt-converged.lock keeps a second
 *               daemon out.
 *   history     STATE_DIR/history.jsonl, what `virt-converge history` reads.
 *   runtime     RUNTIME_DIR/migrations/ID.json per tuned migration, what list/status read.
 *   metrics     [daemon] metrics-file (node_exporter textfile), rewritten on every change.
 *   orphans     trusted records found at start that no migration has claimed yet.
 *   watchdog    a main-loop timer at half of $WATCHDOG_USEC sending WATCHDOG=1: if the loop
 *               wedges, systemd restarts us.
 *
 * THE NEXT STEP: MIGRATIONS (seams are here, the code is not)
 * 1. Connections. cv_daemon_start() will create, per URI of cv_daemon_get_uris(), a
 *    CvDaemonConnection: virEventRegisterDefaultImpl() once, before the first virConnectOpen;
 *    the libvirt target's connection on this context; domain lifecycle and job callbacks;
 *    virConnectRegisterCloseCallback and reconnect with backoff (never exit because libvirtd
 *    went away). READY=1 then waits until every connection is open or has a reconnect
 *    scheduled (today it is sent at the end of start, see notify_ready()).
 * 2. Discovery. On connect and after each reconnect, every active domain whose job is an
 *    outgoing migration (virDomainGetJobStats: VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT), then
 *    events. Incoming migrations are left alone. Each migration found becomes one
 *    CvDaemonMigration (cv_daemon_attach: uri, domain name and UUID, metadata, VFIO, target).
 * 3. Attach. The policy from cv_config_policy_for_domain(), copied (a reload never changes a
 *    migration's policy behind its tuner's back); a fresh migration id
 *    (g_uuid_string_random); a CvTuner on the target; and the tuner's record callback, which
 *    feeds everything this object already owns:
 *      ATTACH  -> cv_state_store_save() of a record with the originals (record->params), the
 *                 policy's name and the SHA-256 of cv_config_policy_to_string(), the boot id,
 *                 BEFORE the tuner may change anything. If that write fails the migration is
 *                 only watched (dry run) and the log says why: a change that could not be
 *                 recorded could not be undone after a crash.
 *      SAMPLE  -> cv_runtime_doc_write(), cv_metrics_set_migration(), publish_metrics().
 *      ACTION  -> cv_state_record_add_ours() and save when applied; history "decision";
 *                 cv_log_migration(CV_LOG_ID_DECISION) with DECISION/VALUE/RESULT/REASON;
 *                 metrics (decisions by kind and result, cap refusals).
 *      NOTICE of a parameter someone else changed -> history "outside-change",
 *                 CV_LOG_ID_OUTSIDE_CHANGE, metrics; then policy.on_outside_change: YIELD
 *                 stops deciding but keeps watching, so a migration that fails later still
 *                 gets back what is still ours; KEEP_TUNING goes on with the new value.
 *      RESTORE -> history "restore", CV_LOG_ID_RESTORE.
 *      SUMMARY -> history "outcome", CV_LOG_ID_OUTCOME, metrics; then remove the runtime
 *                 document and, last, the state record (until then it is what a crash
 *                 between a change and its restore needs).
 *    What the tuner must offer for that (branch tuner): a hook before each change, so the
 *    intent is in the record before the command leaves (updating the record after the ACTION
 *    leaves a crash window in which our own value looks like someone else's and would be
 *    left alone); a watch-only mode for YIELD; originals and "ours" taken from a record
 *    (adoption) instead of read at attach.
 * 4. Restart. cv_daemon_start() already loads the records: bad ones are quarantined and
 *    reported, a record of a local URI written before this boot is closed (its QEMU died with
 *    the reboot, and a new QEMU starts from its defaults). The others wait in `orphans`
 *    until their URI connects, then:
 *      the domain still has an outgoing migration -> adopt: attach with the record's id,
 *        originals and ours; the policy by name, and a log line if its SHA-256 changed while
 *        the daemon was down;
 *      no migration any more -> restore: read the parameters; each whose value is one of
 *        ours goes back to the original, one that is neither ours nor the original was set by
 *        someone else and stays (named in the log); history "recovered"; remove the record;
 *      the domain is gone or not running -> nothing left to restore; history "recovered";
 *        remove the record;
 *      the URI is unreachable -> the record stays until it is reachable.
 * 5. Reload. A new configuration applies to migrations that start afterwards; a migration in
 *    flight keeps its policy, and the log says when the policy of the same name changed.
 *    Added or removed URIs open or close connections. metrics-file, the history limits and
 *    log-level apply at once (done).
 * 6. Stop. STOPPING=1; each tuner is detached with keep=TRUE (the migration goes on and needs
 *    the values; its record stays so the next start adopts or restores it); runtime documents
 *    are removed; the metrics file says virt_converge_up 0 (done for what exists today).
 * 7. Shared-link admission (issue 9) sits between attach and the tuners: a CvDaemonLink per
 *    host with the stated rate lets one migration switch over at a time; it needs only the
 *    daemon's list of migrations. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-daemon-log.h"
#include "cv-daemon-notify.h"
#include "cv-daemon.h"
#include "cv-history.h"
#include "cv-metrics.h"
#include "cv-state-paths.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define DIR_MODE 0750

struct _CvDaemon {
    gchar *config_file; /* --config; NULL: the default place */
    gchar *config_main; /* NULL: built-in defaults plus drop-ins */
    gchar *config_dir;
    gchar **connect_uris; /* --connect; NULL: the configuration's */
    gboolean verbose;
    gchar *state_dir;
    gchar *runtime_dir;
    gchar *boot_id; /* NULL when unreadable */

    CvConfig *config;
    GMainLoop *loop;
    CvStateStore *store;
    CvHistory *history;
    CvMetrics *metrics;
    gchar *metrics_file; /* the one written last, to remove when the configuration moves it */
    GPtrArray *orphans;  /* CvStateRecord * */
    guint watchdog_id;
    guint watchdog_ms;
    gboolean started;
    gboolean stopped;
};

GQuark
cv_daemon_error_quark(void)
{
    return g_quark_from_static_string("cv-daemon-error-quark");
}

/* ---- configuration ---- */

void
cv_daemon_options_config_paths(const CvDaemonOptions *options, gchar **main_path,
                               gchar **policies_dir)
{
    if (options->config_file != NULL) {
        g_autofree gchar *dir = g_path_get_dirname(options->config_file);

        *main_path = g_strdup(options->config_file);
        *policies_dir = g_build_filename(dir, CV_CONFIG_POLICIES_DIR_NAME, NULL);
        return;
    }
    *main_path = cv_config_default_path();
    *policies_dir = cv_config_default_policies_dir();
    /* A host without the file runs on the built-in defaults (and any drop-ins). */
    if (!g_file_test(*main_path, G_FILE_TEST_EXISTS))
        g_clear_pointer(main_path, g_free);
}

static gboolean
check_uris(const gchar *const *uris, GError **error)
{
    for (guint i = 0; uris != NULL && uris[i] != NULL; i++) {
        if (*uris[i] == '\0' || strpbrk(uris[i], " \t\n,") != NULL) {
            g_set_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_USAGE,
                        "--connect '%s': expected one libvirt URI (no spaces or commas)", uris[i]);
            return FALSE;
        }
        for (guint j = 0; j < i; j++) {
            if (g_str_equal(uris[i], uris[j])) {
                g_set_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_USAGE,
                            "--connect %s is given twice", uris[i]);
                return FALSE;
            }
        }
    }
    return TRUE;
}

static CvConfig *
load_config(const gchar *main_path, const gchar *policies_dir, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    CvConfig *config = cv_config_load(main_path, policies_dir, &local_error);

    if (config == NULL) {
        /* the config layer's message already reads "FILE:LINE: what is wrong" */
        g_set_error_literal(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_CONFIG, local_error->message);
        return NULL;
    }
    return config;
}

CvConfig *
cv_daemon_load_config(const CvDaemonOptions *options, GError **error)
{
    g_autofree gchar *main_path = NULL;
    g_autofree gchar *policies_dir = NULL;

    if (!check_uris(options->connect_uris, error))
        return NULL;
    cv_daemon_options_config_paths(options, &main_path, &policies_dir);
    return load_config(main_path, policies_dir, error);
}

/* ---- life cycle ---- */

static gchar *
read_boot_id(void)
{
    g_autofree gchar *text = NULL;

    if (!g_file_get_contents(BOOT_ID_PATH, &text, NULL, NULL))
        return NULL;
    g_strstrip(text);
    return g_uuid_string_is_valid(text) ? g_steal_pointer(&text) : NULL;
}

CvDaemon *
cv_daemon_new(const CvDaemonOptions *options, GError **error)
{
    g_autoptr(CvDaemon) d = g_new0(CvDaemon, 1);

    g_return_val_if_fail(options != NULL, NULL);
    d->config = cv_daemon_load_config(options, error);
    if (d->config == NULL)
        return NULL;
    d->config_file = g_strdup(options->config_file);
    cv_daemon_options_config_paths(options, &d->config_main, &d->config_dir);
    if (options->connect_uris != NULL && options->connect_uris[0] != NULL)
        d->connect_uris = g_strdupv((gchar **)options->connect_uris);
    d->verbose = options->verbose;
    d->state_dir =
        options->state_dir != NULL ? g_strdup(options->state_dir) : cv_state_paths_state_dir();
    d->runtime_dir = options->runtime_dir != NULL ? g_strdup(options->runtime_dir)
                                                  : cv_state_paths_runtime_dir();
    d->boot_id = read_boot_id();
    d->loop = g_main_loop_new(NULL, FALSE);
    d->metrics = cv_metrics_new();
    d->orphans = g_ptr_array_new_with_free_func((GDestroyNotify)cv_state_record_free);
    return g_steal_pointer(&d);
}

void
cv_daemon_free(CvDaemon *daemon)
{
    if (daemon == NULL)
        return;
    if (daemon->watchdog_id != 0)
        g_source_remove(daemon->watchdog_id);
    g_free(daemon->config_file);
    g_free(daemon->config_main);
    g_free(daemon->config_dir);
    g_strfreev(daemon->connect_uris);
    g_free(daemon->state_dir);
    g_free(daemon->runtime_dir);
    g_free(daemon->boot_id);
    g_clear_pointer(&daemon->config, cv_config_free);
    g_clear_pointer(&daemon->loop, g_main_loop_unref);
    g_clear_pointer(&daemon->store, cv_state_store_free);
    g_clear_pointer(&daemon->history, cv_history_free);
    g_clear_pointer(&daemon->metrics, cv_metrics_free);
    g_free(daemon->metrics_file);
    g_clear_pointer(&daemon->orphans, g_ptr_array_unref);
    g_free(daemon);
}

const CvConfig *
cv_daemon_get_config(const CvDaemon *daemon)
{
    return daemon->config;
}

const gchar *const *
cv_daemon_get_uris(const CvDaemon *daemon)
{
    if (daemon->connect_uris != NULL)
        return (const gchar *const *)daemon->connect_uris;
    return cv_config_get_uris(daemon->config);
}

const gchar *
cv_daemon_get_state_dir(const CvDaemon *daemon)
{
    return daemon->state_dir;
}

const gchar *
cv_daemon_get_runtime_dir(const CvDaemon *daemon)
{
    return daemon->runtime_dir;
}

GPtrArray *
cv_daemon_get_orphan_records(const CvDaemon *daemon)
{
    return daemon->orphans;
}

guint
cv_daemon_get_watchdog_interval_ms(const CvDaemon *daemon)
{
    return daemon->watchdog_ms;
}

static void
notify(const gchar *state)
{
    g_autoptr(GError) error = NULL;

    if (!cv_daemon_notify(state, &error))
        g_warning("cannot notify systemd (%s): %s", state, error->message);
}

static gchar *
describe_config(const CvDaemon *d)
{
    g_auto(GStrv) policies = cv_config_list_policies(d->config);
    g_autofree gchar *uris = g_strjoinv(", ", (gchar **)cv_daemon_get_uris(d));
    g_autofree gchar *names = g_strjoinv(", ", policies);

    return g_strdup_printf("%s%s; policies %s; URIs %s%s",
                           d->config_main != NULL ? d->config_main : "built-in defaults",
                           cv_config_get_dry_run(d->config) ? " (dry run)" : "", names, uris,
                           d->connect_uris != NULL ? " (from --connect)" : "");
}

static void
notify_ready(CvDaemon *d, const gchar *what)
{
    g_autofree gchar *state =
        g_strdup_printf("READY=1\nSTATUS=%s: %u URI(s), 0 migrations tuned, %u state record(s) "
                        "waiting",
                        what, g_strv_length((gchar **)cv_daemon_get_uris(d)), d->orphans->len);

    notify(state);
}

static void
history_daemon_event(CvDaemon *d, const gchar *action, const gchar *detail)
{
    g_autoptr(GError) error = NULL;
    CvHistoryHeader header = {.time_us = g_get_real_time(), .event = CV_HISTORY_EVENT_DAEMON};
    g_autoptr(JsonBuilder) b = cv_history_begin(&header);

    json_builder_set_member_name(b, "action");
    json_builder_add_string_value(b, action);
    if (detail != NULL) {
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, detail);
    }
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, getpid());
    if (!cv_history_append(d->history, b, &error))
        g_warning("history: %s", error->message);
}

static void
history_recovered(CvDaemon *d, const CvStateRecord *r, const gchar *path, const gchar *action,
                  const gchar *message)
{
    g_autoptr(GError) error = NULL;
    CvHistoryHeader header = {
        .time_us = g_get_real_time(),
        .event = CV_HISTORY_EVENT_RECOVERED,
        .migration_id = r != NULL ? r->migration_id : NULL,
        .domain = r != NULL ? r->domain : NULL,
        .uri = r != NULL ? r->uri : NULL,
        .policy = r != NULL ? r->policy : NULL,
    };
    g_autoptr(JsonBuilder) b = cv_history_begin(&header);

    json_builder_set_member_name(b, "action");
    json_builder_add_string_value(b, action);
    if (path != NULL) {
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, path);
    }
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message);
    if (!cv_history_append(d->history, b, &error))
        g_warning("history: %s", error->message);
}

static void
publish_metrics(CvDaemon *d)
{
    const gchar *path = cv_config_get_metrics_file(d->config);
    g_autoptr(GError) error = NULL;

    /* the configuration moved or dropped the file: the old one would go stale */
    if (d->metrics_file != NULL && g_strcmp0(d->metrics_file, path) != 0) {
        if (g_unlink(d->metrics_file) < 0 && errno != ENOENT)
            g_warning("%s: cannot remove the old metrics file: %s", d->metrics_file,
                      g_strerror(errno));
        g_clear_pointer(&d->metrics_file, g_free);
    }
    if (path == NULL)
        return;
    if (!cv_metrics_write(d->metrics, path, &error)) {
        g_warning("metrics: %s", error->message);
        return;
    }
    if (d->metrics_file == NULL)
        d->metrics_file = g_strdup(path);
}

static gboolean
watchdog_cb(gpointer user_data)
{
    notify("WATCHDOG=1");
    return G_SOURCE_CONTINUE;
}

static gboolean
prepare_dir(const gchar *path, const gchar *what, GError **error)
{
    struct stat st;

    errno = 0; /* "not a directory" below is not an errno */
    if (g_mkdir_with_parents(path, DIR_MODE) < 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_DIRECTORY, "%s directory %s: %s", what,
                    path, errno != 0 ? g_strerror(errno) : "not a directory");
        return FALSE;
    }
    if (access(path, W_OK | X_OK) < 0) {
        g_set_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_DIRECTORY, "%s directory %s: %s", what,
                    path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* Only a URI without a host names this machine: its QEMU died if this machine rebooted. */
static gboolean
uri_is_local(const gchar *uri)
{
    g_autoptr(GUri) parsed = NULL;

    if (g_str_has_prefix(uri, "qmp:"))
        return TRUE;
    parsed = g_uri_parse(uri, G_URI_FLAGS_NON_DNS, NULL);
    return parsed != NULL && (g_uri_get_host(parsed) == NULL || *g_uri_get_host(parsed) == '\0');
}

static void
recover_records(CvDaemon *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) records = cv_state_store_load(d->store, &problems, &error);

    if (records == NULL) {
        /* nothing can be trusted, and nothing is deleted: a later start may read them */
        g_warning("state records: %s", error->message);
        return;
    }
    for (guint i = 0; i < problems->len; i++) {
        const CvStateProblem *p = problems->pdata[i];
        g_autofree gchar *fate = NULL;

        if (p->quarantined_to != NULL)
            fate = g_strdup_printf("moved to %s", p->quarantined_to);
        else if (p->quarantine_error != NULL)
            fate = g_strdup_printf("left in place (%s)", p->quarantine_error);
        else
            fate = g_strdup("left in place");
        cv_log_migration(G_LOG_LEVEL_WARNING, CV_LOG_ID_STATE_PROBLEM, NULL, NULL,
                         "state record not trusted: %s; %s; whatever it recorded is not "
                         "restored",
                         p->message, fate);
        history_recovered(d, NULL, p->path,
                          p->quarantined_to != NULL ? "quarantined" : "not-trusted", p->message);
    }
    for (guint i = 0; i < records->len; i++) {
        CvStateRecord *r = records->pdata[i];
        CvLogContext ctx = {r->domain, r->migration_id, r->uri, r->policy};

        if (d->boot_id != NULL && r->boot_id != NULL && !g_str_equal(d->boot_id, r->boot_id) &&
            uri_is_local(r->uri)) {
            g_autoptr(GError) rm_error = NULL;
            const gchar *msg = "written before this host rebooted: the QEMU whose parameters it "
                               "records is gone, nothing to restore";

            cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL,
                             "state record of %s: %s", r->domain, msg);
            history_recovered(d, r, NULL, "closed", msg);
            if (!cv_state_store_remove(d->store, r->migration_id, &rm_error))
                g_warning("state record of %s: %s", r->domain, rm_error->message);
            continue;
        }
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL,
                         "state record of migration %s of %s (%s) found: it is adopted or "
                         "restored once %s is watched",
                         r->migration_id, r->domain, r->uri, r->uri);
        g_ptr_array_add(d->orphans, cv_state_record_copy(r));
    }
}

gboolean
cv_daemon_start(CvDaemon *d, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree gchar *desc = NULL;
    guint64 watchdog_usec;

    g_return_val_if_fail(!d->started, FALSE);
    if (!prepare_dir(d->state_dir, "state", error) ||
        !prepare_dir(d->runtime_dir, "runtime", error))
        return FALSE;
    d->store = cv_state_store_open(d->state_dir, &local_error);
    if (d->store == NULL) {
        g_set_error(error, CV_DAEMON_ERROR, CV_DAEMON_ERROR_DIRECTORY, "%s", local_error->message);
        return FALSE;
    }
    if (!cv_state_store_lock(d->store, &local_error)) {
        g_set_error(error, CV_DAEMON_ERROR,
                    g_error_matches(local_error, CV_STATE_ERROR, CV_STATE_ERROR_LOCKED)
                        ? CV_DAEMON_ERROR_LOCKED
                        : CV_DAEMON_ERROR_DIRECTORY,
                    "%s", local_error->message);
        return FALSE;
    }
    d->started = TRUE;
    cv_log_set_threshold(cv_config_get_log_level(d->config));
    d->history = cv_history_new(d->state_dir, cv_config_get_history_max_size(d->config),
                                cv_config_get_history_keep(d->config));
    desc = describe_config(d);
    cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_LIFECYCLE, NULL, NULL,
                     "virt-converged %s starting (pid %d, notify %s): %s; state %s, runtime %s",
                     PACKAGE_VERSION, (gint)getpid(), cv_daemon_notify_backend(), desc,
                     d->state_dir, d->runtime_dir);
    history_daemon_event(d, "started", desc);
    recover_records(d);
    /* Honest about this build: the libvirt watcher is the next step (see the top). */
    g_warning("migration discovery through libvirt is not part of this build yet: the "
              "configured URIs are not watched and no migration is tuned");

    watchdog_usec = cv_daemon_notify_watchdog_usec();
    if (watchdog_usec > 0) {
        /* half the timeout, as sd_watchdog_enabled(3) advises; at least every 1 ms */
        d->watchdog_ms = (guint)MAX(watchdog_usec / 2000, 1);
        d->watchdog_id = g_timeout_add(d->watchdog_ms, watchdog_cb, d);
        g_debug("watchdog: WATCHDOG=1 every %u ms", d->watchdog_ms);
    }
    publish_metrics(d);
    notify_ready(d, "started");
    return TRUE;
}

void
cv_daemon_run(CvDaemon *d)
{
    if (!d->stopped)
        g_main_loop_run(d->loop);
}

gboolean
cv_daemon_reload(CvDaemon *d, GError **error)
{
    g_autoptr(CvConfig) fresh = NULL;
    g_autoptr(GError) local_error = NULL;
    g_autofree gchar *desc = NULL;
    g_autoptr(GError) notify_error = NULL;

    if (!cv_daemon_notify_reloading(&notify_error))
        g_warning("cannot notify systemd (RELOADING=1): %s", notify_error->message);
    /* the default file may have appeared or gone since start */
    {
        CvDaemonOptions paths = {.config_file = d->config_file};
        g_clear_pointer(&d->config_main, g_free);
        g_clear_pointer(&d->config_dir, g_free);
        cv_daemon_options_config_paths(&paths, &d->config_main, &d->config_dir);
    }
    fresh = load_config(d->config_main, d->config_dir, &local_error);
    if (fresh == NULL) {
        cv_log_migration(G_LOG_LEVEL_WARNING, CV_LOG_ID_RELOAD, NULL, NULL,
                         "reload failed, keeping the running configuration: %s",
                         local_error->message);
        history_daemon_event(d, "reload-failed", local_error->message);
        notify_ready(d, "reload failed, running configuration kept");
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    cv_config_free(d->config);
    d->config = g_steal_pointer(&fresh);
    cv_log_set_threshold(cv_config_get_log_level(d->config));
    if (d->history != NULL)
        cv_history_set_limits(d->history, cv_config_get_history_max_size(d->config),
                              cv_config_get_history_keep(d->config));
    desc = describe_config(d);
    cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RELOAD, NULL, NULL,
                     "configuration reloaded: %s", desc);
    if (d->history != NULL)
        history_daemon_event(d, "reloaded", desc);
    if (d->started)
        publish_metrics(d);
    notify_ready(d, "reloaded");
    return TRUE;
}

void
cv_daemon_stop(CvDaemon *d)
{
    if (d->stopped)
        return;
    d->stopped = TRUE;
    notify("STOPPING=1");
    if (d->watchdog_id != 0) {
        g_source_remove(d->watchdog_id);
        d->watchdog_id = 0;
    }
    if (d->started) {
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_LIFECYCLE, NULL, NULL,
                         "virt-converged stopping: %u state record(s) kept for the next start",
                         d->orphans->len);
        history_daemon_event(d, "stopped", NULL);
        cv_metrics_set_up(d->metrics, FALSE);
        publish_metrics(d);
    }
    g_main_loop_quit(d->loop);
}
