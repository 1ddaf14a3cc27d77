/* The daemon's configuration: virt-converged.conf ([daemon], [policy:NAME], [domain:PATTERN])
 * plus every policies.d *.conf, loaded into a new CvConfig, validated completely, and only then
 * handed out. A CvConfig never changes after loading; reloading builds a new one.
 *
 * Policies are returned as CvPolicy, plain data without pointers: a tuner copies the one it
 * uses, so a reload never changes a migration in flight behind its back. */
#pragma once

#include <glib.h>

#include "cv-config-error.h"
#include "cv-config-metadata.h"
#include "cv-config-policy.h"
#include "cv-config-units.h"
#include "cv-policy-learned.h"
#include "cv-policy.h"

G_BEGIN_DECLS

#define CV_CONFIG_FILE_NAME "virt-converged.conf"
#define CV_CONFIG_POLICIES_DIR_NAME "policies.d"

typedef struct _CvConfig CvConfig;

typedef enum {
    CV_CONFIG_LOG_LEVEL_WARNING = 0,
    CV_CONFIG_LOG_LEVEL_MESSAGE,
    CV_CONFIG_LOG_LEVEL_INFO,
    CV_CONFIG_LOG_LEVEL_DEBUG,
} CvConfigLogLevel;

/* Which rule chose a domain's policy, highest precedence first. */
typedef enum {
    CV_CONFIG_SOURCE_METADATA = 0, /* the domain's <metadata> names it */
    CV_CONFIG_SOURCE_DOMAIN,       /* the first [domain:PATTERN] that matches its name */
    CV_CONFIG_SOURCE_VFIO,         /* it has VFIO host devices and a `vfio` policy exists */
    CV_CONFIG_SOURCE_DEFAULT,      /* `default` */
} CvConfigSource;

/* [daemon] monitor-commands: when the libvirt target may use virDomainQemuMonitorCommand, which
 * libvirt logs as a "custom-monitor" taint of the domain. */
typedef enum {
    /* only when libvirt's job statistics cannot give what the engine needs: the domain has
     * VFIO host devices, or the policy sets avail-switchover-bandwidth */
    CV_CONFIG_MONITOR_COMMANDS_AUTO = 0,
    CV_CONFIG_MONITOR_COMMANDS_ALWAYS,
    /* pure libvirt API: estimates are RAM-only, avail-switchover-bandwidth is never set */
    CV_CONFIG_MONITOR_COMMANDS_NEVER,
} CvConfigMonitorCommands;

const gchar *cv_config_monitor_commands_to_string(CvConfigMonitorCommands mode);
/* "auto", "always", "never"; FALSE for anything else. */
gboolean cv_config_monitor_commands_from_string(const gchar *str, CvConfigMonitorCommands *mode);

/* Built-in settings and the built-in `default` policy: what runs with no file at all. */
CvConfig *cv_config_new_default(void);

/* Load @main_path (NULL: none; otherwise it must exist) and every *.conf in @policies_dir
 * (NULL or a missing directory: none), sorted by name; hidden files are skipped. [daemon]
 * is only allowed in the main file. Every problem is an error "FILE:LINE: what is wrong",
 * the first one found; nothing is returned unless everything is valid. Error codes: see
 * CvConfigErrorCode. */
CvConfig *cv_config_load(const gchar *main_path, const gchar *policies_dir, GError **error);

/* Parse-validate-then-swap: on success *@config is replaced (the old one freed); on failure
 * *@config is left exactly as it was and @error says why. */
gboolean cv_config_reload(CvConfig **config, const gchar *main_path, const gchar *policies_dir,
                          GError **error);

void cv_config_free(CvConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvConfig, cv_config_free)

/* $CONFIGURATION_DIRECTORY (systemd; its first entry) or SYSCONFDIR/virt-converge, joined
 * with CV_CONFIG_FILE_NAME or CV_CONFIG_POLICIES_DIR_NAME. Free with g_free(). */
gchar *cv_config_default_path(void);
gchar *cv_config_default_policies_dir(void);

/* [daemon] */
const gchar *const *cv_config_get_uris(const CvConfig *config);
guint64 cv_config_get_poll_interval_ms(const CvConfig *config);
gboolean cv_config_get_dry_run(const CvConfig *config);
CvConfigLogLevel cv_config_get_log_level(const CvConfig *config);
CvConfigMonitorCommands cv_config_get_monitor_commands(const CvConfig *config);
/* node_exporter textfile: an absolute path ending in .prom; NULL when off (the default). */
const gchar *cv_config_get_metrics_file(const CvConfig *config);
/* The history file is rotated when a record would take it past this many bytes, and this
 * many rotated files are kept (history.jsonl.1 the newest). */
guint64 cv_config_get_history_max_size(const CvConfig *config);
guint cv_config_get_history_keep(const CvConfig *config);
/* [daemon] link: the rate of the link migrations leave this host on (bytes/s); 0 when not
 * stated (the default, "off"). The daemon lets one migration at a time switch over at it, and
 * gives it to policies that state no switchover-bandwidth of their own (virt-converged(8)). */
guint64 cv_config_get_link_rate(const CvConfig *config);
/* [daemon] learned-window (N) and learned-min (K): `switchover-bandwidth = learned` uses the
 * lowest blackout rate of the last N migrations to a destination, once K exist (K <= N). */
guint cv_config_get_learned_window(const CvConfig *config);
guint cv_config_get_learned_min(const CvConfig *config);
/* [daemon] migration-interface: the NIC migrations leave this host on; its nominal speed
 * (sysfs) bounds a learned rate from above, never raises it. NULL when not set ("off"). */
const gchar *cv_config_get_migration_interface(const CvConfig *config);
const gchar *cv_config_log_level_to_string(CvConfigLogLevel level);

/* Policies. The pointer is valid as long as @config; NULL when no such policy. */
const CvPolicy *cv_config_get_policy(const CvConfig *config, const gchar *name);
/* Names in definition order (`default` first when it is the built-in one). g_strfreev(). */
gchar **cv_config_list_policies(const CvConfig *config);
/* "FILE:LINE" of the [policy:NAME] header, or "built-in"; NULL when no such policy. */
const gchar *cv_config_get_policy_origin(const CvConfig *config, const gchar *name);

/* The policy for a domain, by the precedence of architecture.md: the policy named in its
 * metadata > the first [domain:PATTERN] (file order, g_pattern_match_simple) matching
 * @domain_name > `vfio` when the domain has VFIO devices (@has_vfio, or @metadata found
 * some) and that policy exists > `default`. A metadata name that is not defined here (the
 * domain may come from a host with other policies) falls through to the next rule, and @why
 * says so. Overrides in @metadata are applied on top of whichever policy was chosen.
 * @metadata and @domain_name may be NULL; @source and @why may be NULL (free *@why with
 * g_free()). Never fails: `default` always exists. */
void cv_config_policy_for_domain(const CvConfig *config, const gchar *domain_name,
                                 const CvConfigMetadata *metadata, gboolean has_vfio,
                                 CvPolicy *policy, CvConfigSource *source, gchar **why);
const gchar *cv_config_source_to_string(CvConfigSource source);

G_END_DECLS
