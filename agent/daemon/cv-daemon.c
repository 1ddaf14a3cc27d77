/* CvDaemon: virt-converged's one object, and its design.
 *
 * WHAT RUNS WHERE
 * One GMainLoop on the default GMainContext, no threads of ours. main() (cv-daemon-main.c)
 * parses the options, installs the log writer (cv-daemon-log.h) and g_unix_signal_add()
 * handlers: SIGHUP -> cv_daemon_reload(), SIGTERM/SIGINT -> cv_daemon_stop(). libvirt's
 * blocking RPCs run on the worker thread of each URI's connection (cv-libvirt-conn.h) and
 * complete on this context; libvirt's events arrive here through its GLib-based default event
 * loop. Nothing here blocks but the fsyncs of the state records.
 *
 * WHAT THE DAEMON OWNS
 *   config      the running CvConfig: built and validated whole, then swapped; a failed
 *               reload keeps it and says FILE:LINE.
 *   watches     one per URI ([daemon] uri, or --connect): its source (cv-daemon-source.h;
 *               libvirt in production), its scans and its shared link (cv-link.h).
 *   migrations  one CvDaemonMigration per outgoing migration tuned now (cv-daemon-migration.c):
 *               a CvTuner on a target of the watch's source.
 *   store       STATE_DIR/migrations, one CvStateRecord per migration the daemon changed,
 *               written atomically and durably BEFORE each change leaves (the tuner's gate);
 *               STATE_DIR/virt-converged.lock keeps a second daemon out.
 *   orphans     trusted records found at start (or kept when a restore could not be done) that
 *               no migration has claimed yet.
 *   history     STATE_DIR/history.jsonl, what `virt-converge history` reads.
 *   runtime     RUNTIME_DIR/daemon.json (this daemon, its URIs) and migrations/ID.json per tuned
 *               migration: what `list` and `status` show while the daemon runs.
 *   metrics     [daemon] metrics-file (node_exporter textfile), rewritten on every change.
 *   watchdog    a main-loop timer at half of $WATCHDOG_USEC sending WATCHDOG=1.
 *
 * DISCOVERY
 * Each watch scans (every running domain and its job) at start, after each reconnect, when a
 * domain it does not tune reports a migration iteration, and every rescan interval as a
 * fallback. A domain whose job is an outgoing migration gets a tuner; incoming migrations (the
 * job statistics say MIGRATION_IN) are left alone. READY=1 goes out once every URI answered its
 * first scan, or failed it with a retry scheduled (never later than READY_TIMEOUT_MS).
 *
 * POLICY
 * Resolved when the migration is found: the domain's <metadata> > [domain:GLOB] > vfio >
 * default, the metadata's overrides on top, then [daemon] link for a policy that states no
 * switchover-bandwidth (or more than the link). Named, with its SHA-256, in every record. A
 * reload gives a migration in flight the new version of ITS policy (same name) when that
 * changed, and says so; a domain that now resolves to another policy keeps its own until the
 * next migration.
 *
 * RESTART
 * cv_daemon_start() loads the records: bad ones are quarantined and reported, a record of a
 * local URI written before this boot is closed. The others wait until their URI's scan:
 *   the domain still migrates out  -> adopted: a tuner with the record's id, originals and values
 *                                      of ours (cv_tuner_adopt), its policy by name;
 *   the domain runs, no migration  -> restored: each parameter still holding a value of ours goes
 *                                      back to the original; one someone else set stays (said);
 *   the domain is not running      -> nothing to restore (its QEMU is gone);
 *   the URI does not answer        -> the record waits.
 * Each case is logged (MESSAGE_ID CV_LOG_ID_RECOVERED) and in the history ("recovered").
 *
 * STOP
 * SIGTERM: STOPPING=1; every tuner is detached with keep: a change in flight lands first,
 * nothing a running migration needs is restored (a guest the policy paused is resumed, as the
 * tuner always does), records stay for the next start to adopt or restore; exit 0 once every
 * tuner has reported, or after STOP_TIMEOUT_MS. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-daemon-log.h"
#include "cv-daemon-notify.h"
#include "cv-daemon-private.h"
#include "cv-learned-store.h"
#include "cv-restore-ledger.h"
#include "cv-runtime-doc.h"
#include "cv-state-paths.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define DIR_MODE 0750
/* READY=1 at the latest this long after start, whatever the URIs answered. */
#define READY_TIMEOUT_MS 30000
/* A stop waits this long for the tuners to report before it quits anyway. */
#define STOP_TIMEOUT_MS 10000
#define RESCAN_INTERVAL_MS 10000
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

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

gchar *
cv_daemon_policy_sha256(const CvPolicy *policy)
{
    g_autofree gchar *text = cv_config_policy_to_string(policy);

    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

gboolean
cv_daemon_policy_for(const CvDaemon *d, const gchar *domain, const CvConfigMetadata *metadata,
                     const gchar *by_name, CvPolicy *policy, CvConfigSource *source, gchar **why,
                     gchar **rate_source)
{
    guint64 link = cv_config_get_link_rate(d->config);
    g_autofree gchar *how = NULL;
    g_autofree gchar *from = NULL;

    if (by_name != NULL) {
        const CvPolicy *found = cv_config_get_policy(d->config, by_name);
        g_autofree gchar *overrides = NULL;

        if (found == NULL)
            return FALSE;
        *policy = *found;
        if (metadata != NULL && cv_config_metadata_apply_overrides(metadata, policy) > 0)
            overrides = cv_config_metadata_describe_overrides(metadata);
        how = g_strdup_printf("named in the state record%s%s", overrides != NULL ? ", with " : "",
                              overrides != NULL ? overrides : "");
    } else {
        cv_config_policy_for_domain(d->config, domain, metadata,
                                    metadata != NULL && cv_config_metadata_has_vfio(metadata),
                                    policy, source, &how);
    }
    /* switchover-bandwidth = learned: what this host's completed migrations taught, under the
     * host-wide key (the daemon cannot tell where a migration goes), bounded by the policy's
     * at most, the migration interface's speed and the stated [daemon] link: none raises it */
    if (policy->switchover_learned) {
        g_autoptr(GError) error = NULL;
        g_autofree gchar *nic_why = NULL;
        const gchar *iface = cv_config_get_migration_interface(d->config);
        guint64 nic = iface != NULL ? cv_learned_nic_speed(iface, &nic_why) : 0;
        CvLearnedRate learned;
        gchar *more;

        if (!cv_learned_store_apply(
                d->state_dir, CV_LEARNED_ANY_DESTINATION, cv_config_get_learned_window(d->config),
                cv_config_get_learned_min(d->config), nic, policy, &learned, &error)) {
            more = g_strdup_printf("%s; learned rate unreadable (%s)", how, error->message);
            g_free(how);
            how = more;
        } else if (learned.known) {
            gboolean by_link = link > 0 && policy->switchover_bandwidth > link;

            /* the stated link bounds it too, never raises it */
            if (by_link)
                policy->switchover_bandwidth = link;
            more = g_strdup_printf(
                "%s; switchover-bandwidth %s (host-wide key '%s')%s%s%s", how, learned.reason,
                CV_LEARNED_ANY_DESTINATION, nic_why != NULL ? "; migration-interface " : "",
                nic_why != NULL ? nic_why : "", by_link ? "; bounded by [daemon] link" : "");
            g_free(how);
            how = more;
            if (why != NULL)
                *why = g_steal_pointer(&how);
            if (rate_source != NULL)
                *rate_source =
                    g_strdup_printf("learned from %u migration%s to %s%s", learned.n_window,
                                    learned.n_window == 1 ? "" : "s", CV_LEARNED_ANY_DESTINATION,
                                    learned.bounded || by_link ? ", bounded" : "");
            return TRUE;
        } else {
            more = g_strdup_printf("%s; switchover-bandwidth learned (host-wide key '%s'): %s%s",
                                   how, CV_LEARNED_ANY_DESTINATION, learned.reason,
                                   nic_why != NULL ? "; migration-interface " : "");
            g_free(how);
            how = nic_why != NULL ? g_strconcat(more, nic_why, NULL) : g_strdup(more);
            g_free(more);
        }
    }
    /* `learned, at most RATE` is the policy's promise: the stated link does not lift it */
    if (link > 0 && policy->switchover_learned && policy->switchover_learned_max > 0 &&
        policy->switchover_learned_max < link) {
        gchar rate[32];
        gchar *more;

        cv_format_rate(policy->switchover_learned_max, rate, sizeof(rate));
        more = g_strdup_printf("%s; switchover-bandwidth %s, the policy's learned at most, below "
                               "[daemon] link",
                               how, rate);
        g_free(how);
        how = more;
        policy->switchover_bandwidth = policy->switchover_learned_max;
        from = g_strdup("the policy's at most");
    } else if (link > 0 &&
               (policy->switchover_bandwidth == 0 || policy->switchover_bandwidth > link)) {
        gchar rate[32];
        gchar *more;

        cv_format_rate(link, rate, sizeof(rate));
        more =
            g_strdup_printf("%s; switchover-bandwidth %s from [daemon] link%s", how, rate,
                            policy->switchover_bandwidth > link ? " (the policy states more)" : "");
        g_free(how);
        how = more;
        policy->switchover_bandwidth = link;
        from = g_strdup("[daemon] link");
    }
    if (why != NULL)
        *why = g_steal_pointer(&how);
    if (rate_source != NULL)
        *rate_source = from != NULL                       ? g_steal_pointer(&from)
                       : policy->switchover_bandwidth > 0 ? g_strdup("stated")
                                                          : g_strdup("none");
    return TRUE;
}

/* ---- small things ---- */

static gchar *
read_boot_id(void)
{
    g_autofree gchar *text = NULL;

    if (!g_file_get_contents(BOOT_ID_PATH, &text, NULL, NULL))
        return NULL;
    g_strstrip(text);
    return g_uuid_string_is_valid(text) ? g_steal_pointer(&text) : NULL;
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
    guint64 link = cv_config_get_link_rate(d->config);
    gchar rate[32] = "";

    if (link > 0)
        cv_format_rate(link, rate, sizeof(rate));
    return g_strdup_printf("%s%s; policies %s; URIs %s%s%s%s",
                           d->config_main != NULL ? d->config_main : "built-in defaults",
                           cv_config_get_dry_run(d->config) ? " (dry run)" : "", names, uris,
                           d->connect_uris != NULL ? " (from --connect)" : "",
                           link > 0 ? "; link " : "", rate);
}

static void
notify_ready(CvDaemon *d, const gchar *what)
{
    g_autofree gchar *state = g_strdup_printf(
        "READY=1\nSTATUS=%s: %u URI(s), %u migrations tuned, %u state record(s) waiting", what,
        g_strv_length((gchar **)cv_daemon_get_uris(d)), d->migrations->len, d->orphans->len);

    notify(state);
}

void
cv_daemon_history_append(CvDaemon *d, JsonBuilder *b)
{
    g_autoptr(GError) error = NULL;

    if (d->history != NULL && !cv_history_append(d->history, b, &error))
        g_warning("history: %s", error->message);
}

static void
history_daemon_event(CvDaemon *d, const gchar *action, const gchar *detail)
{
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
    cv_daemon_history_append(d, b);
}

static void
history_recovered(CvDaemon *d, const CvStateRecord *r, const gchar *path, const gchar *action,
                  const gchar *message)
{
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
    cv_daemon_history_append(d, b);
}

void
cv_daemon_publish_metrics(CvDaemon *d)
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
    if (path == NULL || !d->started)
        return;
    if (!cv_metrics_write(d->metrics, path, &error)) {
        g_warning("metrics: %s", error->message);
        return;
    }
    if (d->metrics_file == NULL)
        d->metrics_file = g_strdup(path);
}

void
cv_daemon_publish_daemon_doc(CvDaemon *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) uris = g_ptr_array_new();
    g_autoptr(GArray) reachable = g_array_new(FALSE, TRUE, sizeof(gboolean));
    g_autoptr(GArray) links = g_array_new(FALSE, TRUE, sizeof(guint64));
    CvRuntimeDaemon doc = {
        .pid = (guint32)getpid(),
        .version = PACKAGE_VERSION,
        .started_us = d->started_us,
        .updated_us = g_get_real_time(),
        .n_migrations = d->migrations->len,
    };

    if (!d->started || d->stopped)
        return;
    for (guint i = 0; i < d->watches->len; i++) {
        CvDaemonWatch *w = d->watches->pdata[i];
        guint64 rate = cv_config_get_link_rate(d->config);

        if (w->retired)
            continue;
        g_ptr_array_add(uris, w->uri);
        g_array_append_val(reachable, w->reachable);
        g_array_append_val(links, rate);
    }
    g_ptr_array_add(uris, NULL);
    doc.uris = (const gchar *const *)uris->pdata;
    doc.reachable = (const gboolean *)(gpointer)reachable->data;
    doc.link_rates = (const guint64 *)(gpointer)links->data;
    if (!cv_runtime_doc_write_daemon(d->runtime_dir, &doc, &error))
        g_info("runtime: %s", error->message);
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

/* ---- life cycle ---- */

CvDaemon *
cv_daemon_new(const CvDaemonOptions *options, GError **error)
{
    g_autoptr(CvDaemon) d = g_new0(CvDaemon, 1);

    g_return_val_if_fail(options != NULL, NULL);
    d->watches = g_ptr_array_new();
    d->migrations = g_ptr_array_new();
    d->restores = g_ptr_array_new();
    d->finished = g_ptr_array_new();
    d->orphans = g_ptr_array_new_with_free_func((GDestroyNotify)cv_state_record_free);
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
    if (options->clock != NULL) {
        d->clock = options->clock;
    } else {
        d->clock = cv_clock_new_monotonic();
        d->own_clock = TRUE;
    }
    d->source_factory = options->source_factory;
    d->source_data = options->source_data;
    d->rescan_interval_ms =
        options->rescan_interval_ms > 0 ? options->rescan_interval_ms : RESCAN_INTERVAL_MS;
    return g_steal_pointer(&d);
}

typedef struct {
    CvDaemon *daemon;
    CvDaemonWatch *watch;
    CvStateRecord *record;
    CvTarget *target;
    CvRestoreLedger *ledger;
    guint n_undone;
    guint n_left;
    guint n_failed;
} CvDaemonRestore;

static void
restore_free(CvDaemonRestore *r)
{
    if (r == NULL)
        return;
    if (r->target != NULL)
        cv_target_forget(r->target, r);
    g_clear_pointer(&r->ledger, cv_restore_ledger_free);
    if (r->target != NULL)
        cv_daemon_source_free_target(r->watch->source, g_steal_pointer(&r->target));
    g_clear_pointer(&r->record, cv_state_record_free);
    g_free(r);
}

static void
watch_free(CvDaemonWatch *w)
{
    if (w == NULL)
        return;
    g_clear_handle_id(&w->retry_id, g_source_remove);
    g_clear_handle_id(&w->periodic_id, g_source_remove);
    g_clear_pointer(&w->source, cv_daemon_source_free);
    g_clear_pointer(&w->link, cv_link_free);
    g_free(w->uri);
    g_free(w);
}

void
cv_daemon_free(CvDaemon *daemon)
{
    if (daemon == NULL)
        return;
    g_clear_handle_id(&daemon->watchdog_id, g_source_remove);
    g_clear_handle_id(&daemon->ready_timeout_id, g_source_remove);
    g_clear_handle_id(&daemon->stop_timeout_id, g_source_remove);
    g_clear_handle_id(&daemon->reap_id, g_source_remove);
    /* tuners first (each before its target), then restores, then the sources they came from */
    for (guint i = 0; daemon->migrations != NULL && i < daemon->migrations->len; i++)
        cv_daemon_migration_free(daemon->migrations->pdata[i]);
    for (guint i = 0; daemon->finished != NULL && i < daemon->finished->len; i++)
        cv_daemon_migration_free(daemon->finished->pdata[i]);
    for (guint i = 0; daemon->restores != NULL && i < daemon->restores->len; i++)
        restore_free(daemon->restores->pdata[i]);
    for (guint i = 0; daemon->watches != NULL && i < daemon->watches->len; i++)
        watch_free(daemon->watches->pdata[i]);
    g_clear_pointer(&daemon->migrations, g_ptr_array_unref);
    g_clear_pointer(&daemon->finished, g_ptr_array_unref);
    g_clear_pointer(&daemon->restores, g_ptr_array_unref);
    g_clear_pointer(&daemon->watches, g_ptr_array_unref);
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
    if (daemon->own_clock)
        cv_clock_free(daemon->clock);
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

guint
cv_daemon_get_n_migrations(const CvDaemon *daemon)
{
    return daemon->migrations->len;
}

gboolean
cv_daemon_is_ready(const CvDaemon *daemon)
{
    return daemon->ready_sent;
}

CvDaemonMigration *
cv_daemon_find_migration_by_id(CvDaemon *d, const gchar *id)
{
    for (guint i = 0; i < d->migrations->len; i++) {
        CvDaemonMigration *m = d->migrations->pdata[i];

        if (g_str_equal(m->id, id))
            return m;
    }
    return NULL;
}

static CvDaemonMigration *
find_migration(CvDaemon *d, const gchar *uri, const gchar *uuid)
{
    for (guint i = 0; i < d->migrations->len; i++) {
        CvDaemonMigration *m = d->migrations->pdata[i];

        if (g_str_equal(m->watch->uri, uri) && g_strcmp0(m->uuid, uuid) == 0)
            return m;
    }
    return NULL;
}

/* ---- records found at start ---- */

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

void
cv_daemon_keep_record(CvDaemon *d, CvStateRecord *record)
{
    g_ptr_array_add(d->orphans, record);
}

static gboolean
record_matches(const CvStateRecord *r, const gchar *uri, const CvDaemonDomain *dom)
{
    if (!g_str_equal(r->uri, uri))
        return FALSE;
    if (r->domain_uuid != NULL)
        return g_ascii_strcasecmp(r->domain_uuid, dom->uuid) == 0;
    return g_str_equal(r->domain, dom->name);
}

/* Take the orphan record of @dom on @uri out of the list; NULL when there is none. */
static CvStateRecord *
claim_orphan(CvDaemon *d, const gchar *uri, const CvDaemonDomain *dom)
{
    for (guint i = 0; i < d->orphans->len; i++) {
        CvStateRecord *r = d->orphans->pdata[i];

        if (record_matches(r, uri, dom))
            return g_ptr_array_steal_index(d->orphans, i);
    }
    return NULL;
}

static void
remove_record(CvDaemon *d, const CvStateRecord *r)
{
    g_autoptr(GError) error = NULL;

    if (!cv_state_store_remove(d->store, r->migration_id, &error))
        g_warning("state record of %s: %s", r->domain, error->message);
}

/* ---- restoring what a migration that is gone left behind ---- */

static void
restore_end(CvDaemonRestore *r, const gchar *action, const gchar *message, gboolean keep)
{
    CvDaemon *d = r->daemon;
    CvLogContext ctx = {r->record->domain, r->record->migration_id, r->record->uri,
                        r->record->policy};

    cv_log_migration(keep ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL,
                     "%s: state record of migration %s: %s", r->record->domain,
                     r->record->migration_id, message);
    if (!keep) {
        history_recovered(d, r->record, NULL, action, message);
        remove_record(d, r->record);
    } else {
        g_ptr_array_add(d->orphans, g_steal_pointer(&r->record));
    }
    g_ptr_array_remove(d->restores, r);
    restore_free(r);
}

static void
restore_entry_cb(CvRestoreLedger *ledger, CvTunerAction *entry, gpointer user_data)
{
    CvDaemonRestore *r = user_data;
    CvLogContext ctx = {r->record->domain, r->record->migration_id, r->record->uri,
                        r->record->policy};
    const gchar *param = entry->kind == CV_DECISION_SET_DOWNTIME_LIMIT
                             ? "downtime-limit"
                             : "avail-switchover-bandwidth";
    g_autofree gchar *value = g_strdup_printf("%" G_GUINT64_FORMAT, entry->value);
    CvLogDetails details = {.decision = "restore",
                            .value = value,
                            .unit =
                                entry->kind == CV_DECISION_SET_DOWNTIME_LIMIT ? "ms" : "bytes/s",
                            .result = cv_tuner_result_to_string(entry->result),
                            .parameter = param};
    CvHistoryHeader header = {
        .time_us = g_get_real_time(),
        .event = CV_HISTORY_EVENT_RESTORE,
        .migration_id = r->record->migration_id,
        .domain = r->record->domain,
        .uri = r->record->uri,
        .policy = r->record->policy,
    };
    g_autoptr(JsonBuilder) b = cv_history_begin(&header);

    if (entry->result == CV_TUNER_RESULT_APPLIED)
        r->n_undone++;
    else if (entry->result == CV_TUNER_RESULT_LEFT_ALONE)
        r->n_left++;
    else
        r->n_failed++;
    cv_log_migration(entry->result == CV_TUNER_RESULT_FAILED ? G_LOG_LEVEL_WARNING
                                                             : G_LOG_LEVEL_MESSAGE,
                     CV_LOG_ID_RESTORE, &ctx, &details, "%s: restore %s to %s: %s%s%s",
                     r->record->domain, param, value, cv_tuner_result_to_string(entry->result),
                     entry->error[0] != '\0' ? ": " : "", entry->error);
    json_builder_set_member_name(b, "decision");
    json_builder_add_string_value(b, cv_decision_kind_to_string(entry->kind));
    json_builder_set_member_name(b, "parameter");
    json_builder_add_string_value(b, param);
    json_builder_set_member_name(b, "value");
    json_builder_add_int_value(b, (gint64)MIN(entry->value, (guint64)G_MAXINT64));
    json_builder_set_member_name(b, "unit");
    json_builder_add_string_value(b, details.unit);
    json_builder_set_member_name(b, "result");
    json_builder_add_string_value(b, cv_tuner_result_to_string(entry->result));
    json_builder_set_member_name(b, "after-restart");
    json_builder_add_boolean_value(b, TRUE);
    if (entry->error[0] != '\0') {
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, entry->error);
    }
    cv_daemon_history_append(r->daemon, b);
}

static void
restore_done_cb(CvRestoreLedger *ledger, const GError *error, gpointer user_data)
{
    CvDaemonRestore *r = user_data;
    g_autofree gchar *msg = NULL;

    if (error != NULL) {
        msg = g_strdup_printf("the restore stopped (%s); tried again at the next scan",
                              error->message);
        restore_end(r, "restore-interrupted", msg, TRUE);
        return;
    }
    if (r->n_failed > 0) {
        msg = g_strdup_printf("its migration is gone; %u value(s) put back, %u could not be "
                              "(tried again at the next scan)",
                              r->n_undone, r->n_failed);
        restore_end(r, "restore-failed", msg, TRUE);
        return;
    }
    if (r->n_undone == 0 && r->n_left == 0)
        msg = g_strdup("its migration is gone and nothing of ours is left in QEMU (each parameter "
                       "holds its original again): nothing to restore");
    else if (r->n_undone == 0)
        msg = g_strdup("its migration is gone; nothing restored: someone else set the parameter "
                       "since, and their value was left alone");
    else
        msg = g_strdup_printf("its migration is gone: restored %u parameter(s) to the values "
                              "found before the first change%s",
                              r->n_undone,
                              r->n_left > 0 ? "; one someone else set since was left alone" : "");
    restore_end(r,
                r->n_undone > 0 ? "restored"
                : r->n_left > 0 ? "left-alone"
                                : "nothing-to-restore",
                msg, FALSE);
}

static void
ledger_add(CvRestoreLedger *ledger, CvRestoreItem item, const CvStateParam *p,
           const CvU64Field *now)
{
    CvU64Field ours = {0};
    gboolean held = FALSE;

    if (p->n_ours == 0)
        return;
    for (guint i = 0; i < p->n_ours && cv_field_valid(now); i++)
        held |= p->ours[i] == now->value;
    /* QEMU holds one of ours: that one is undone; else the last of ours decides left alone */
    cv_field_set(&ours, held ? now->value : p->ours[p->n_ours - 1]);
    cv_restore_ledger_add(ledger, item, &p->original, &ours, &ours);
}

static void
restore_params_cb(CvTarget *target, const CvParams *params, const GError *error, gpointer user_data)
{
    CvDaemonRestore *r = user_data;
    g_autofree gchar *msg = NULL;

    if (error != NULL) {
        msg = g_strdup_printf("cannot read the migration parameters (%s)", error->message);
        restore_end(r, "restore-interrupted", msg, TRUE);
        return;
    }
    r->ledger = cv_restore_ledger_new(r->target);
    ledger_add(r->ledger, CV_RESTORE_ITEM_DOWNTIME_LIMIT,
               &r->record->params[CV_STATE_PARAM_DOWNTIME_LIMIT], &params->downtime_limit_ms);
    ledger_add(r->ledger, CV_RESTORE_ITEM_SWITCHOVER_BANDWIDTH,
               &r->record->params[CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH],
               &params->avail_switchover_bandwidth);
    cv_restore_ledger_run(r->ledger, params, NULL, restore_entry_cb, restore_done_cb, r);
}

static void
restore_connect_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvDaemonRestore *r = user_data;
    g_autofree gchar *msg = NULL;

    if (g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_NO_DOMAIN)) {
        restore_end(r, "gone",
                    "its domain is gone (undefined since): its QEMU, with whatever we set, is "
                    "gone too; nothing to restore",
                    FALSE);
        return;
    }
    if (error != NULL) {
        msg = g_strdup_printf("cannot reach the domain (%s); tried again at the next scan",
                              error->message);
        restore_end(r, "restore-interrupted", msg, TRUE);
        return;
    }
    cv_target_query_params(target, restore_params_cb, r);
}

static void
restore_orphan(CvDaemon *d, CvDaemonWatch *w, CvStateRecord *record, const CvDaemonDomain *dom)
{
    CvDaemonRestore *r = g_new0(CvDaemonRestore, 1);
    CvPolicy want;
    CvLogContext ctx = {record->domain, record->migration_id, record->uri, record->policy};

    r->daemon = d;
    r->watch = w;
    r->record = record;
    /* a target that can set avail-switchover-bandwidth when the record has one of ours */
    cv_policy_init_default(&want);
    want.switchover_bandwidth =
        record->params[CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH].n_ours > 0;
    r->target = cv_daemon_source_new_target(w->source, dom->uuid, &want,
                                            cv_config_get_monitor_commands(d->config));
    g_ptr_array_add(d->restores, r);
    cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL,
                     "%s: state record of migration %s: the domain runs without an outgoing "
                     "migration; restoring what is still ours",
                     record->domain, record->migration_id);
    cv_target_connect(r->target, restore_connect_cb, r);
}

/* ---- watching a URI ---- */

static void watch_scan(CvDaemonWatch *w);
static void maybe_ready(CvDaemon *d);

static void
attach(CvDaemon *d, CvDaemonWatch *w, const CvDaemonDomain *dom, CvStateRecord *record)
{
    CvDaemonMigration *m = cv_daemon_migration_new(d, w, dom, record);

    if (record != NULL) {
        CvLogContext ctx = {m->domain, m->id, w->uri, m->policy.name};
        g_autofree gchar *msg = g_strdup_printf(
            "the migration is still running: adopted with the originals and the values of ours "
            "the record names (policy '%s')",
            m->policy.name);

        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL, "%s: %s", m->domain,
                         msg);
        history_recovered(d, m->record, NULL, "adopted", msg);
    }
    g_ptr_array_add(d->migrations, m);
    cv_daemon_migration_start(m);
    cv_daemon_publish_daemon_doc(d);
}

static gboolean
retry_cb(gpointer user_data)
{
    CvDaemonWatch *w = user_data;

    w->retry_id = 0;
    watch_scan(w);
    return G_SOURCE_REMOVE;
}

static void
scan_failed(CvDaemonWatch *w, const GError *error)
{
    CvDaemon *d = w->daemon;
    guint wait_ms = MIN(RETRY_FIRST_MS << MIN(w->n_failures, 5u), RETRY_MAX_MS);
    CvLogContext ctx = {NULL, NULL, w->uri, NULL};

    w->n_failures++;
    if (w->n_failures == 1)
        cv_log_migration(w->reachable || !w->first_done ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO,
                         CV_LOG_ID_LIFECYCLE, &ctx, NULL,
                         "%s: %s; its migrations are not watched until it answers (next try in "
                         "%.0f s, then less and less often)",
                         w->uri, error->message, (gdouble)wait_ms / 1000.0);
    else
        g_info("%s: still unreachable (%s); next try in %.0f s", w->uri, error->message,
               (gdouble)wait_ms / 1000.0);
    w->reachable = FALSE;
    if (!d->stopping && w->retry_id == 0)
        w->retry_id = g_timeout_add(wait_ms, retry_cb, w);
    cv_daemon_publish_daemon_doc(d);
}

static void
scan_cb(CvDaemonSource *source, GPtrArray *domains_in, const GError *error, gpointer user_data)
{
    CvDaemonWatch *w = user_data;
    CvDaemon *d = w->daemon;
    g_autoptr(GPtrArray) domains = domains_in;
    gboolean first = !w->first_done;

    w->scanning = FALSE;
    if (d->stopping || w->retired) {
        w->first_done = TRUE;
        return;
    }
    if (domains == NULL) {
        scan_failed(w, error);
    } else {
        if (w->n_failures > 0 && w->first_done) {
            CvLogContext ctx = {NULL, NULL, w->uri, NULL};

            cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_LIFECYCLE, &ctx, NULL,
                             "%s answers again", w->uri);
        }
        w->n_failures = 0;
        w->reachable = TRUE;
        g_clear_handle_id(&w->retry_id, g_source_remove);
        for (guint i = 0; i < domains->len; i++) {
            const CvDaemonDomain *dom = domains->pdata[i];

            if (!cv_daemon_domain_is_migrating(dom) || find_migration(d, w->uri, dom->uuid))
                continue;
            attach(d, w, dom, claim_orphan(d, w->uri, dom));
        }
        /* the records left for this URI belong to domains without an outgoing migration */
        for (guint i = 0; i < d->orphans->len;) {
            CvStateRecord *r = d->orphans->pdata[i];
            const CvDaemonDomain *dom = NULL;

            if (!g_str_equal(r->uri, w->uri)) {
                i++;
                continue;
            }
            for (guint j = 0; j < domains->len && dom == NULL; j++) {
                if (record_matches(r, w->uri, domains->pdata[j]))
                    dom = domains->pdata[j];
            }
            r = g_ptr_array_steal_index(d->orphans, i);
            if (dom != NULL) {
                restore_orphan(d, w, r, dom);
            } else {
                g_autoptr(CvStateRecord) gone = r;
                CvLogContext ctx = {r->domain, r->migration_id, r->uri, r->policy};
                const gchar *msg = "its domain is not running: its QEMU, with whatever we set, "
                                   "is gone; nothing to restore";

                cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RECOVERED, &ctx, NULL,
                                 "%s: state record of migration %s: %s", r->domain, r->migration_id,
                                 msg);
                history_recovered(d, r, NULL, "gone", msg);
                remove_record(d, r);
            }
        }
        cv_daemon_publish_daemon_doc(d);
    }
    w->first_done = TRUE;
    if (first)
        maybe_ready(d);
    if (w->rescan) {
        w->rescan = FALSE;
        watch_scan(w);
    }
}

static void
watch_scan(CvDaemonWatch *w)
{
    if (w->daemon->stopping || w->retired)
        return;
    if (w->scanning) {
        w->rescan = TRUE;
        return;
    }
    w->scanning = TRUE;
    cv_daemon_source_scan(w->source, scan_cb, w);
}

static gboolean
periodic_cb(gpointer user_data)
{
    watch_scan(user_data);
    return G_SOURCE_CONTINUE;
}

static void
source_event_cb(CvDaemonSource *source, CvDaemonSourceEvent event, const gchar *uuid,
                const GError *error, gpointer user_data)
{
    CvDaemonWatch *w = user_data;
    CvDaemon *d = w->daemon;
    CvLogContext ctx = {NULL, NULL, w->uri, NULL};

    switch (event) {
    case CV_DAEMON_SOURCE_HINT:
        /* a migration iterates: scan unless it is one of ours already */
        if (uuid == NULL || find_migration(d, w->uri, uuid) == NULL)
            watch_scan(w);
        return;
    case CV_DAEMON_SOURCE_LOST:
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_LIFECYCLE, &ctx, NULL,
                         "%s: %s; reconnecting", w->uri,
                         error != NULL ? error->message : "connection lost");
        w->reachable = FALSE;
        /* the scan's call makes the connection reconnect (with backoff, on its worker) */
        watch_scan(w);
        return;
    case CV_DAEMON_SOURCE_RECONNECTED:
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_LIFECYCLE, &ctx, NULL,
                         "%s: reconnected; looking for migrations again", w->uri);
        watch_scan(w);
        return;
    default:
        return;
    }
}

static CvDaemonWatch *
watch_new(CvDaemon *d, const gchar *uri)
{
    CvDaemonWatch *w = g_new0(CvDaemonWatch, 1);

    w->daemon = d;
    w->uri = g_strdup(uri);
    w->source = d->source_factory != NULL ? d->source_factory(uri, d->source_data)
                                          : cv_daemon_libvirt_source_new(uri);
    w->link = cv_link_new(cv_config_get_link_rate(d->config));
    cv_daemon_source_set_event_func(w->source, source_event_cb, w);
    w->periodic_id = g_timeout_add(d->rescan_interval_ms, periodic_cb, w);
    return w;
}

static CvDaemonWatch *
find_watch(CvDaemon *d, const gchar *uri)
{
    for (guint i = 0; i < d->watches->len; i++) {
        CvDaemonWatch *w = d->watches->pdata[i];

        if (g_str_equal(w->uri, uri))
            return w;
    }
    return NULL;
}

static void
send_ready(CvDaemon *d)
{
    if (d->ready_sent || d->stopping)
        return;
    d->ready_sent = TRUE;
    g_clear_handle_id(&d->ready_timeout_id, g_source_remove);
    notify_ready(d, "started");
}

static void
maybe_ready(CvDaemon *d)
{
    for (guint i = 0; i < d->watches->len; i++) {
        if (!((CvDaemonWatch *)d->watches->pdata[i])->first_done)
            return;
    }
    send_ready(d);
}

static gboolean
ready_timeout_cb(gpointer user_data)
{
    CvDaemon *d = user_data;

    d->ready_timeout_id = 0;
    g_info("READY=1 without waiting any longer for the URIs that have not answered");
    send_ready(d);
    return G_SOURCE_REMOVE;
}

/* Free the migrations whose tuner ended (never from inside the tuner's own callback), and the
 * watches retired by a reload once their last migration is gone. */
static gboolean
reap_cb(gpointer user_data)
{
    CvDaemon *d = user_data;

    d->reap_id = 0;
    for (guint i = 0; i < d->finished->len; i++)
        cv_daemon_migration_free(d->finished->pdata[i]);
    g_ptr_array_set_size(d->finished, 0);
    for (guint i = 0; i < d->watches->len;) {
        CvDaemonWatch *w = d->watches->pdata[i];
        gboolean busy = FALSE;

        for (guint j = 0; j < d->migrations->len && !busy; j++)
            busy = ((CvDaemonMigration *)d->migrations->pdata[j])->watch == w;
        for (guint j = 0; j < d->restores->len && !busy; j++)
            busy = ((CvDaemonRestore *)d->restores->pdata[j])->watch == w;
        if (w->retired && !busy && !w->scanning) {
            g_ptr_array_remove_index(d->watches, i);
            watch_free(w);
        } else {
            i++;
        }
    }
    return G_SOURCE_REMOVE;
}

static void finish_stop(CvDaemon *d);

void
cv_daemon_migration_ended(CvDaemon *d, CvDaemonMigration *m)
{
    g_ptr_array_remove(d->migrations, m);
    g_ptr_array_add(d->finished, m);
    if (d->reap_id == 0)
        d->reap_id = g_idle_add(reap_cb, d);
    cv_daemon_publish_daemon_doc(d);
    if (d->stopping && d->migrations->len == 0)
        finish_stop(d);
}

/* Called with the lock held: the documents found now are a dead daemon's (SIGKILL leaves them),
 * and `list` would show their migrations as tuned for ever. */
static void
remove_stale_runtime_docs(CvDaemon *d)
{
    g_autoptr(GError) error = NULL;
    guint n_stale = 0;

    if (!cv_runtime_doc_remove_all(d->runtime_dir, &n_stale, &error))
        g_warning("runtime documents of an earlier daemon: %s", error->message);
    else if (n_stale > 0)
        g_info("removed %u runtime document(s) of an earlier daemon", n_stale);
}

gboolean
cv_daemon_start(CvDaemon *d, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree gchar *desc = NULL;
    guint64 watchdog_usec;
    const gchar *const *uris;

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
    remove_stale_runtime_docs(d);
    d->started = TRUE;
    d->started_us = g_get_real_time();
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
    watchdog_usec = cv_daemon_notify_watchdog_usec();
    if (watchdog_usec > 0) {
        /* half the timeout, as sd_watchdog_enabled(3) advises; at least every 1 ms */
        d->watchdog_ms = (guint)MAX(watchdog_usec / 2000, 1);
        d->watchdog_id = g_timeout_add(d->watchdog_ms, watchdog_cb, d);
        g_debug("watchdog: WATCHDOG=1 every %u ms", d->watchdog_ms);
    }
    cv_daemon_publish_metrics(d);
    uris = cv_daemon_get_uris(d);
    for (guint i = 0; uris != NULL && uris[i] != NULL; i++)
        g_ptr_array_add(d->watches, watch_new(d, uris[i]));
    for (guint i = 0; i < d->orphans->len; i++) {
        CvStateRecord *r = d->orphans->pdata[i];
        CvLogContext ctx = {r->domain, r->migration_id, r->uri, r->policy};

        if (find_watch(d, r->uri) == NULL)
            cv_log_migration(G_LOG_LEVEL_WARNING, CV_LOG_ID_RECOVERED, &ctx, NULL,
                             "state record of migration %s of %s: %s is not watched (not in "
                             "[daemon] uri or --connect): it waits until it is",
                             r->migration_id, r->domain, r->uri);
    }
    cv_daemon_publish_daemon_doc(d);
    d->ready_timeout_id = g_timeout_add(READY_TIMEOUT_MS, ready_timeout_cb, d);
    for (guint i = 0; i < d->watches->len; i++)
        watch_scan(d->watches->pdata[i]);
    if (d->watches->len == 0)
        send_ready(d);
    return TRUE;
}

void
cv_daemon_run(CvDaemon *d)
{
    if (!d->stopped)
        g_main_loop_run(d->loop);
}

static void
reload_watches(CvDaemon *d)
{
    const gchar *const *uris = cv_daemon_get_uris(d);

    for (guint i = 0; i < d->watches->len; i++) {
        CvDaemonWatch *w = d->watches->pdata[i];

        cv_link_set_rate(w->link, cv_config_get_link_rate(d->config));
        if (!w->retired && !g_strv_contains(uris, w->uri)) {
            CvLogContext ctx = {NULL, NULL, w->uri, NULL};

            w->retired = TRUE;
            g_clear_handle_id(&w->periodic_id, g_source_remove);
            g_clear_handle_id(&w->retry_id, g_source_remove);
            cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_RELOAD, &ctx, NULL,
                             "%s is no longer watched: its migrations in flight are tuned to the "
                             "end, new ones are not",
                             w->uri);
        }
    }
    for (guint i = 0; uris != NULL && uris[i] != NULL; i++) {
        CvDaemonWatch *w = find_watch(d, uris[i]);

        if (w != NULL && w->retired) {
            /* back in the configuration before its last migration ended */
            w->retired = FALSE;
            w->periodic_id = g_timeout_add(d->rescan_interval_ms, periodic_cb, w);
        } else if (w == NULL) {
            w = watch_new(d, uris[i]);
            g_ptr_array_add(d->watches, w);
        } else {
            continue;
        }
        watch_scan(w);
    }
    if (d->reap_id == 0)
        d->reap_id = g_idle_add(reap_cb, d);
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
    /* a migration in flight gets the new version of its own policy, if that changed */
    for (guint i = 0; i < d->migrations->len; i++)
        cv_daemon_migration_reload(d->migrations->pdata[i]);
    if (d->started && !d->stopping)
        reload_watches(d);
    if (d->started)
        cv_daemon_publish_metrics(d);
    cv_daemon_publish_daemon_doc(d);
    notify_ready(d, "reloaded");
    return TRUE;
}

static void
finish_stop(CvDaemon *d)
{
    g_autoptr(GError) error = NULL;

    if (d->stopped)
        return;
    d->stopped = TRUE;
    g_clear_handle_id(&d->stop_timeout_id, g_source_remove);
    if (d->started) {
        cv_log_migration(G_LOG_LEVEL_MESSAGE, CV_LOG_ID_LIFECYCLE, NULL, NULL,
                         "virt-converged stopping: %u migration(s) still tuned, %u state "
                         "record(s) kept for the next start",
                         d->migrations->len,
                         d->orphans->len + d->restores->len + d->n_records_kept);
        history_daemon_event(d, "stopped", NULL);
        cv_metrics_set_up(d->metrics, FALSE);
        cv_daemon_publish_metrics(d);
        if (!cv_runtime_doc_remove_daemon(d->runtime_dir, &error))
            g_info("runtime: %s", error->message);
    }
    g_main_loop_quit(d->loop);
}

static gboolean
stop_timeout_cb(gpointer user_data)
{
    CvDaemon *d = user_data;

    d->stop_timeout_id = 0;
    g_info("stopping without waiting any longer for %u tuner(s)", d->migrations->len);
    finish_stop(d);
    return G_SOURCE_REMOVE;
}

void
cv_daemon_stop(CvDaemon *d)
{
    g_autoptr(GPtrArray) tuned = NULL;

    if (d->stopping)
        return;
    d->stopping = TRUE;
    notify("STOPPING=1");
    g_clear_handle_id(&d->watchdog_id, g_source_remove);
    g_clear_handle_id(&d->ready_timeout_id, g_source_remove);
    for (guint i = 0; d->watches != NULL && i < d->watches->len; i++) {
        CvDaemonWatch *w = d->watches->pdata[i];

        g_clear_handle_id(&w->periodic_id, g_source_remove);
        g_clear_handle_id(&w->retry_id, g_source_remove);
    }
    /* Each tuner lets its change in flight land, restores nothing (keep) and reports; the
     * migrations go on with what they need, their records stay. */
    tuned = g_ptr_array_copy(d->migrations, NULL, NULL);
    for (guint i = 0; i < tuned->len; i++)
        cv_daemon_migration_detach(tuned->pdata[i]);
    if (d->migrations->len == 0)
        finish_stop(d);
    else
        d->stop_timeout_id = g_timeout_add(STOP_TIMEOUT_MS, stop_timeout_cb, d);
}
