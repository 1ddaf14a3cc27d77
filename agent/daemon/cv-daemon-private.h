/* The inside of CvDaemon, shared by cv-daemon.c (life cycle, configuration, watches, discovery,
 * restart recovery) and cv-daemon-migration.c (one tuned migration). Nothing else includes it. */
#pragma once

#include <json-glib/json-glib.h>

#include "cv-clock.h"
#include "cv-daemon-source.h"
#include "cv-daemon.h"
#include "cv-history.h"
#include "cv-link.h"
#include "cv-metrics.h"
#include "cv-tuner.h"

G_BEGIN_DECLS

typedef struct _CvDaemonWatch CvDaemonWatch;
typedef struct _CvDaemonMigration CvDaemonMigration;

/* One watched URI: its source, its scans, its link. */
struct _CvDaemonWatch {
    CvDaemon *daemon;
    gchar *uri;
    CvDaemonSource *source;
    CvLink *link; /* every migration leaving through this URI's host that states a rate */
    gboolean scanning;
    gboolean rescan;     /* another scan wanted once this one is in */
    gboolean first_done; /* the first scan answered (READY=1 waits for it) */
    gboolean reachable;  /* the last scan succeeded */
    guint n_failures;    /* scans failed in a row */
    guint retry_id;      /* the next try after a failure */
    guint periodic_id;   /* the fallback rescan */
    gboolean retired;    /* no longer configured: kept until its migrations end */
};

struct _CvDaemon {
    gchar *config_file; /* --config; NULL: the default place */
    gchar *config_main; /* NULL: built-in defaults plus drop-ins */
    gchar *config_dir;
    gchar **connect_uris; /* --connect; NULL: the configuration's */
    gboolean verbose;
    gchar *state_dir;
    gchar *runtime_dir;
    gchar *boot_id; /* NULL when unreadable */
    CvClock *clock;
    gboolean own_clock;
    CvDaemonSourceFactory source_factory;
    gpointer source_data;
    guint rescan_interval_ms;

    CvConfig *config;
    GMainLoop *loop;
    CvStateStore *store;
    CvHistory *history;
    CvMetrics *metrics;
    gchar *metrics_file;   /* the one written last, to remove when the configuration moves it */
    GPtrArray *orphans;    /* CvStateRecord *: records no migration has claimed yet */
    GPtrArray *watches;    /* CvDaemonWatch * */
    GPtrArray *migrations; /* CvDaemonMigration *, tuned now */
    GPtrArray *restores;   /* CvDaemonRestore *: orphan records being restored */
    GPtrArray *finished;   /* CvDaemonMigration * whose tuner ended, freed from an idle */
    guint reap_id;
    guint watchdog_id;
    guint watchdog_ms;
    guint ready_timeout_id;
    gboolean ready_sent;
    gint64 started_us;
    gboolean started;
    gboolean stopping; /* stop asked: migrations are detaching */
    gboolean stopped;
    guint stop_timeout_id;
    guint n_records_kept; /* records of migrations detached by the stop */
};

/* ---- cv-daemon.c, for the migrations ---- */

void cv_daemon_history_append(CvDaemon *daemon, JsonBuilder *builder);
void cv_daemon_publish_metrics(CvDaemon *daemon);
void cv_daemon_publish_daemon_doc(CvDaemon *daemon);
/* A migration's tuner ended (its summary is out): freed from an idle; a stop waits for it. */
void cv_daemon_migration_ended(CvDaemon *daemon, CvDaemonMigration *migration);
/* Its state record is still needed (a restore could not be done or verified): it waits with
 * the orphans for the next scan of its URI. Takes @record. */
void cv_daemon_keep_record(CvDaemon *daemon, CvStateRecord *record);
CvDaemonMigration *cv_daemon_find_migration_by_id(CvDaemon *daemon, const gchar *id);

/* The policy a domain is tuned with: @by_name (a record's, at adoption) or the resolution of
 * architecture.md (metadata > [domain:GLOB] > vfio > default), then the domain's metadata
 * overrides, then [daemon] link for a policy that states no switchover-bandwidth (or more than
 * the link), or for a learned one what this host's migrations taught (under the host-wide
 * key). FALSE when @by_name is not defined. *@why (may be NULL) says how; *@rate_source (may
 * be NULL; g_free) where the switchover rate comes from: "stated", "learned from N migrations
 * to any", "[daemon] link", "the policy's at most", or "none". */
gboolean cv_daemon_policy_for(const CvDaemon *daemon, const gchar *domain,
                              const CvConfigMetadata *metadata, const gchar *by_name,
                              CvPolicy *policy, CvConfigSource *source, gchar **why,
                              gchar **rate_source);
/* SHA-256 of the policy's full text (what a record names, what a reload compares). */
gchar *cv_daemon_policy_sha256(const CvPolicy *policy);

/* ---- cv-daemon-migration.c ---- */

struct _CvDaemonMigration {
    CvDaemon *daemon;
    CvDaemonWatch *watch;
    gchar *id;
    gchar *domain;
    gchar *uuid;
    CvPolicy policy; /* the effective one: overrides and [daemon] link applied */
    gchar *policy_sha256;
    const gchar *policy_source; /* "metadata", "domain", "vfio", "default", "record" */
    gchar *policy_why;
    gchar *rate_source;         /* cv_daemon_policy_for()'s */
    CvConfigMetadata *metadata; /* NULL: none or unreadable */
    CvTarget *target;
    CvTuner *tuner;
    CvStateRecord *record; /* NULL until the first change (or adopted from one) */
    gboolean adopted;
    gboolean dry_run;
    gboolean yielded;
    gchar *yield_reason;
    gboolean in_link;      /* takes turns on the watch's link (its policy states a rate) */
    gboolean link_granted; /* holds the link now, as far as it knows */
    gboolean held;         /* the last change it asked for was held */
    gboolean gate_refused; /* the last REFUSED came from the gate, not from the cap */
    guint64 last_dry_run_value;
    gint64 started_us;
    CvSample sample;
    gboolean have_sample;
    CvDecision decision;
    gboolean have_decision;
    CvParams params;
    gboolean have_params;
    guint n_changes;
    gboolean finished;
};

/* A tuner on @domain's migration (@record: adopt what an earlier daemon changed, NULL: a new
 * one); logged, in the history. NULL (and said why) when no target could be made. */
CvDaemonMigration *cv_daemon_migration_new(CvDaemon *daemon, CvDaemonWatch *watch,
                                           const CvDaemonDomain *domain, CvStateRecord *record);
void cv_daemon_migration_start(CvDaemonMigration *migration);
/* Stop tuning (the daemon stops): the change in flight lands, nothing is restored, the record
 * stays. */
void cv_daemon_migration_detach(CvDaemonMigration *migration);
/* A new configuration: a new version of the migration's policy applies (logged). */
void cv_daemon_migration_reload(CvDaemonMigration *migration);
void cv_daemon_migration_free(CvDaemonMigration *migration);

G_END_DECLS
