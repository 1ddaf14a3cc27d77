/* CvDaemon: virt-converged's one object. It owns the main loop (the default GMainContext),
 * the configuration, the state and runtime directories and everything published there, and
 * talks to systemd. main() only parses options, installs logging and the signal handlers,
 * and calls cv_daemon_start(), cv_daemon_run(), cv_daemon_reload() and cv_daemon_stop().
 * The design, including what the libvirt step adds, is at the top of cv-daemon.c. */
#pragma once

#include <glib.h>

#include "cv-clock.h"
#include "cv-config.h"
#include "cv-daemon-source.h"
#include "cv-state-record.h"
#include "cv-state-store.h"

G_BEGIN_DECLS

#define CV_DAEMON_ERROR (cv_daemon_error_quark())
GQuark cv_daemon_error_quark(void);

typedef enum {
    CV_DAEMON_ERROR_FAILED = 0,
    CV_DAEMON_ERROR_CONFIG,    /* the configuration is invalid ("FILE:LINE: what is wrong") */
    CV_DAEMON_ERROR_DIRECTORY, /* a state or runtime directory is unusable */
    CV_DAEMON_ERROR_LOCKED,    /* another virt-converged uses the state directory */
    CV_DAEMON_ERROR_USAGE,     /* a bad command-line value */
} CvDaemonErrorCode;

typedef struct {
    /* --config FILE (its policies.d beside it); NULL: $CONFIGURATION_DIRECTORY or
     * SYSCONFDIR/virt-converge, where a missing file means the built-in defaults. */
    const gchar *config_file;
    /* --connect URI...: replaces [daemon] uri; NULL or empty: the configuration's. */
    const gchar *const *connect_uris;
    gboolean verbose;
    /* NULL: $STATE_DIRECTORY / $RUNTIME_DIRECTORY, else the compile-time defaults. */
    const gchar *state_dir;
    const gchar *runtime_dir;
    /* Tests: where migrations are found (NULL: libvirt), the tuners' clock (NULL: monotonic,
     * borrowed otherwise), how often each URI is scanned besides events (0: 10 s). */
    CvDaemonSourceFactory source_factory;
    gpointer source_data;
    CvClock *clock;
    guint rescan_interval_ms;
} CvDaemonOptions;

typedef struct _CvDaemon CvDaemon;

/* Where the configuration of @options lives: the main file (NULL when the default one does
 * not exist: built-in defaults) and the drop-in directory. */
void cv_daemon_options_config_paths(const CvDaemonOptions *options, gchar **main_path,
                                    gchar **policies_dir);

/* Load and validate the configuration (for --check-config too). Errors: CV_DAEMON_ERROR_CONFIG
 * with "FILE:LINE: what is wrong", CV_DAEMON_ERROR_USAGE for a bad --connect value. */
CvConfig *cv_daemon_load_config(const CvDaemonOptions *options, GError **error);

/* A daemon with a loaded configuration; nothing started yet. */
CvDaemon *cv_daemon_new(const CvDaemonOptions *options, GError **error);
void cv_daemon_free(CvDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvDaemon, cv_daemon_free)

/* Create and lock the directories, read back the state records (reporting and quarantining
 * the bad ones), start the watchdog timer, publish, and watch every URI; READY=1 follows once
 * each URI answered its first scan (or failed it with a retry scheduled). Errors:
 * CV_DAEMON_ERROR_DIRECTORY, CV_DAEMON_ERROR_LOCKED. */
gboolean cv_daemon_start(CvDaemon *daemon, GError **error);
/* Run the main loop until cv_daemon_stop(). */
void cv_daemon_run(CvDaemon *daemon);
/* SIGHUP: RELOADING=1, load and validate the files, swap them in only when valid, READY=1.
 * On failure the running configuration stays and @error says "FILE:LINE: what is wrong". */
gboolean cv_daemon_reload(CvDaemon *daemon, GError **error);
/* SIGTERM/SIGINT: STOPPING=1, stop watching; each tuner finishes its change in flight and
 * restores nothing a running migration needs (records stay for the next start); final
 * metrics, quit the loop once every tuner reported (at once when none runs). Idempotent. */
void cv_daemon_stop(CvDaemon *daemon);

const CvConfig *cv_daemon_get_config(const CvDaemon *daemon);
/* The URIs watched: --connect, else [daemon] uri. */
const gchar *const *cv_daemon_get_uris(const CvDaemon *daemon);
const gchar *cv_daemon_get_state_dir(const CvDaemon *daemon);
const gchar *cv_daemon_get_runtime_dir(const CvDaemon *daemon);
/* Trusted state records found at start and not yet claimed by a migration (CvStateRecord *). */
GPtrArray *cv_daemon_get_orphan_records(const CvDaemon *daemon);
/* Milliseconds between WATCHDOG=1 (0: no watchdog). */
guint cv_daemon_get_watchdog_interval_ms(const CvDaemon *daemon);
/* Migrations tuned now. */
guint cv_daemon_get_n_migrations(const CvDaemon *daemon);
/* READY=1 went out (every URI answered its first scan, or the wait ran out). */
gboolean cv_daemon_is_ready(const CvDaemon *daemon);

G_END_DECLS
