/* What the libvirt forms of the commands share: open the connection (read-only for commands
 * that only read), find the domain, read its XML, and resolve its policy as the daemon would:
 * --policy > the domain's <metadata> > [domain:GLOB] > automatic vfio > default. */
#include "config.h"

#include <stdio.h>

#include "cv-cli.h"
#include "cv-target-libvirt.h"

void
cv_cli_domain_clear(CvCliDomain *d)
{
    /* the target holds a reference to the connection */
    g_clear_pointer(&d->target, cv_target_free);
    g_clear_pointer(&d->conn, cv_libvirt_conn_unref);
    g_clear_pointer(&d->policy_note, g_free);
}

gint
cv_cli_exit_for_error(const GError *error)
{
    /* one reading, no retry: a peer that does not answer is as gone as a closed one */
    if (cv_target_error_is_gone(error) ||
        g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT))
        return cv_tuner_outcome_to_exit_code(CV_TUNER_OUTCOME_VANISHED);
    if (g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_NO_MIGRATION))
        return cv_tuner_outcome_to_exit_code(CV_TUNER_OUTCOME_NO_MIGRATION);
    return CV_CLI_EXIT_ERROR;
}

gboolean
cv_cli_parse_monitor_commands(const gchar *command, const gchar *value, const CvConfig *config,
                              CvConfigMonitorCommands *mode)
{
    if (value == NULL) {
        *mode = config != NULL ? cv_config_get_monitor_commands(config)
                               : CV_CONFIG_MONITOR_COMMANDS_AUTO;
        return TRUE;
    }
    if (!cv_config_monitor_commands_from_string(value, mode)) {
        cv_cli_error(command, "--monitor-commands: '%s': expected auto, always or never", value);
        return FALSE;
    }
    return TRUE;
}

gboolean
cv_cli_domain_open(CvCliGlobal *global, const gchar *command, const CvCliDomainOptions *opts,
                   CvCliDomain *d)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_cli_load_config(opts->config_file, &error);
    const CvConfigMetadata *metadata;
    CvConfigMonitorCommands mode;
    g_autofree gchar *why = NULL;
    const gchar *name;

    if (config == NULL) {
        cv_cli_error(command, "%s", error->message);
        return FALSE;
    }
    if (!cv_cli_parse_monitor_commands(command, opts->monitor_commands, config, &mode))
        return FALSE;
    d->conn = cv_libvirt_conn_new(global->connect_uri, opts->read_only);
    d->target = cv_target_libvirt_new(d->conn, opts->domain);
    cv_target_libvirt_set_monitor_commands(d->target, mode);
    if (!cv_target_connect_sync(d->target, &error)) {
        cv_cli_error(command, "%s", error->message);
        d->exit_code = cv_cli_exit_for_error(error);
        return FALSE;
    }
    name = cv_target_libvirt_get_name(d->target);
    metadata = cv_target_libvirt_get_metadata(d->target);
    if (metadata == NULL)
        cv_cli_error(command, "ignoring the metadata of domain '%s': %s", name,
                     cv_target_libvirt_get_metadata_error(d->target)->message);
    if (opts->policy_name != NULL) {
        const CvPolicy *found = cv_config_get_policy(config, opts->policy_name);

        if (found == NULL) {
            g_auto(GStrv) names = cv_config_list_policies(config);
            g_autofree gchar *known = g_strjoinv(", ", names);

            cv_cli_error(command, "unknown policy '%s' (defined: %s)", opts->policy_name, known);
            return FALSE;
        }
        d->policy = *found;
        d->policy_note = g_strdup_printf("policy '%s' (--policy)", found->name);
    } else {
        cv_config_policy_for_domain(config, name, metadata,
                                    metadata != NULL && cv_config_metadata_has_vfio(metadata),
                                    &d->policy, NULL, &why);
        d->policy_note = g_strdup_printf("policy '%s' (%s)", d->policy.name, why);
    }
    cv_target_libvirt_set_wants_switchover_bandwidth(d->target, d->policy.switchover_bandwidth > 0);
    return TRUE;
}
