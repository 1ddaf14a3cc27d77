/* virt-converge: the command table and what the commands share. Private to the CLI. */
#pragma once

#include <glib.h>

#include "cv-clock.h"
#include "cv-config.h"
#include "cv-policy.h"
#include "cv-target.h"
#include "cv-tuner.h"

G_BEGIN_DECLS

/* Exit codes besides the tuner outcomes (cv_tuner_outcome_to_exit_code). */
#define CV_CLI_EXIT_OK 0
#define CV_CLI_EXIT_ERROR 1

typedef struct {
    gchar *connect_uri; /* -c/--connect: libvirt URI, for commands that speak libvirt */
    gboolean verbose;
    const gchar *prgname;
} CvCliGlobal;

void cv_cli_global_clear(CvCliGlobal *global);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CvCliGlobal, cv_cli_global_clear)

typedef gint (*CvCliHandler)(CvCliGlobal *global, gint argc, gchar **argv);

typedef struct {
    const gchar *name;
    CvCliHandler handler;
    const gchar *parameters; /* shown after the command name in usage */
    const gchar *summary;
} CvCliCommand;

gint cv_cli_tune(CvCliGlobal *global, gint argc, gchar **argv);
gint cv_cli_status(CvCliGlobal *global, gint argc, gchar **argv);
gint cv_cli_watch(CvCliGlobal *global, gint argc, gchar **argv);
gint cv_cli_simulate(CvCliGlobal *global, gint argc, gchar **argv);
gint cv_cli_policy(CvCliGlobal *global, gint argc, gchar **argv);
gint cv_cli_history(CvCliGlobal *global, gint argc, gchar **argv);

/* A GOptionContext for command @name with the global options (-c, -v) added, so they work
 * after the command too. */
GOptionContext *cv_cli_option_context_new(CvCliGlobal *global, const gchar *name,
                                          const gchar *parameters, const gchar *summary);
/* Parse (and apply --verbose); on error print "virt-converge NAME: message" and return FALSE. */
gboolean cv_cli_parse(CvCliGlobal *global, GOptionContext *context, const gchar *name, gint *argc,
                      gchar ***argv);
/* Print an error line on stderr: "virt-converge NAME: message". */
void cv_cli_error(const gchar *name, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
/* The QMP commands cannot honour -c: say so and fail. */
gboolean cv_cli_reject_connect(CvCliGlobal *global, const gchar *name);
void cv_cli_apply_verbose(CvCliGlobal *global);

/* --config FILE (with the policies.d beside it), else the installed configuration when it
 * exists, else the built-in one. */
CvConfig *cv_cli_load_config(const gchar *config_file, GError **error);

/* switchover-bandwidth = learned (cv-cli-learned.c). Give a learned @policy what the migrations to
 * @destination taught (NULL: the host-wide key), from the store in $STATE_DIRECTORY; say so on
 * stdout (a "learned" record with @json). */
void cv_cli_learned_use(const gchar *command, const gchar *config_file, const gchar *destination,
                        CvPolicy *policy, gboolean json);
/* Record what a completed migration of @domain (what stands for it; may be NULL) to
 * @destination (NULL: the host-wide key) taught, or say why nothing was recorded. */
void cv_cli_learned_record(const gchar *command, const gchar *destination, const gchar *domain,
                           const CvPolicy *policy, const CvTunerSummary *summary, gboolean json);

/* The policy to use: @name from @config_file (or the installed configuration), else the
 * built-in ones. */
gboolean cv_cli_load_policy(const gchar *name, const gchar *config_file, CvPolicy *policy,
                            GError **error);

/* Names of the policies @config_file (or the installed configuration) defines, built-ins
 * included. */
gchar **cv_cli_list_policies(const gchar *config_file, GError **error);

/* The tuner's min_eval_interval_ms for a peer whose clock runs @speed times real time: at most
 * a few evaluated iterations per real second. */

/* Run @tuner on the default main context until it finishes, printing its records (human or
 * JSON lines) to stdout; SIGINT/SIGTERM detach it. Returns the exit code. */
gint cv_cli_run_tuner(CvTuner *tuner, gboolean json);

/* ---- the libvirt forms: DOM instead of --qmp ---------------------------------------------- */

#include "cv-libvirt-conn.h"

typedef struct {
    const gchar *domain;           /* name, UUID or id */
    gboolean read_only;            /* the command only reads: VIR_CONNECT_RO, no monitor */
    const gchar *policy_name;      /* --policy; NULL = resolve for the domain */
    const gchar *config_file;      /* --config */
    const gchar *monitor_commands; /* --monitor-commands; NULL = the configuration's */
} CvCliDomainOptions;

typedef struct {
    CvLibvirtConn *conn;
    CvTarget *target; /* connected */
    CvPolicy policy;
    gchar *policy_note; /* "policy 'gold' (named in the domain's <metadata>)" */
    gint exit_code;     /* when open failed */
} CvCliDomain;

void cv_cli_domain_clear(CvCliDomain *d);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CvCliDomain, cv_cli_domain_clear)

/* Connect to -c URI (libvirt's default as virsh), find the domain, read its XML and resolve
 * its policy. Prints the error and returns FALSE on failure (d->exit_code says the status). */
gboolean cv_cli_domain_open(CvCliGlobal *global, const gchar *command,
                            const CvCliDomainOptions *opts, CvCliDomain *d);
/* --monitor-commands VALUE, else the configuration's; prints the error. */
gboolean cv_cli_parse_monitor_commands(const gchar *command, const gchar *value,
                                       const CvConfig *config, CvConfigMonitorCommands *mode);
/* The exit status for a libvirt error: 5 gone, 7 no migration, else 1. */
gint cv_cli_exit_for_error(const GError *error);

gint cv_cli_list(CvCliGlobal *global, gint argc, gchar **argv);

/* ---- the daemon's view (cv-cli-daemon.c) ---------------------------------------------------- */

#include <json-glib/json-glib.h>

typedef struct {
    gchar *runtime_dir;
    JsonObject *daemon; /* RUNTIME_DIR/daemon.json */
    GPtrArray *docs;    /* JsonObject *: one per migration the daemon tunes */
} CvCliDaemonView;

void cv_cli_daemon_view_free(CvCliDaemonView *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvCliDaemonView, cv_cli_daemon_view_free)

/* The view of the daemon publishing in @runtime_dir (NULL: $RUNTIME_DIRECTORY or the
 * installed default); NULL when no daemon runs there. */
CvCliDaemonView *cv_cli_daemon_view_load(const gchar *runtime_dir);
gint64 cv_cli_daemon_view_pid(const CvCliDaemonView *v);
/* The document of the domain (by UUID when both sides know it, else by name) on one of @uris. */
JsonObject *cv_cli_daemon_view_find(const CvCliDaemonView *v, const gchar *const *uris,
                                    const gchar *uuid, const gchar *name);
const gchar *cv_cli_daemon_doc_str(JsonObject *doc, const gchar *name);
const gchar *cv_cli_daemon_doc_verdict(JsonObject *doc);
/* "tuning, 1 change" (", adopted") */
gchar *cv_cli_daemon_doc_summary(JsonObject *doc);
/* The lines `status` prints for a migration the daemon tunes. */
gchar *cv_cli_daemon_doc_describe(const CvCliDaemonView *v, JsonObject *doc);
gint cv_cli_migrate(CvCliGlobal *global, gint argc, gchar **argv);
gint cv_cli_check(CvCliGlobal *global, gint argc, gchar **argv);

G_END_DECLS
