/* virt-converge policy list | show NAME | set DOM NAME | unset DOM: the policies the
 * configuration defines, and the one a libvirt domain's <metadata> names (written live and in
 * its persistent definition, so the choice travels with the domain). */
#include "config.h"

#include <stdio.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-libvirt-domain.h"

static gint
policy_set(CvCliGlobal *global, const gchar *config_file, const gchar *domain,
           const gchar *policy_name, gboolean force)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = NULL;
    g_autoptr(CvLibvirtConn) conn = NULL;
    g_autofree gchar *name = NULL;
    g_autofree gchar *affected = NULL;
    const gchar *command = policy_name != NULL ? "policy set" : "policy unset";

    if (policy_name != NULL && !cv_config_policy_name_is_valid(policy_name)) {
        cv_cli_error(command, "'%s' is not a policy name (1 to %d characters of A-Z a-z 0-9 _ . -)",
                     policy_name, CV_POLICY_NAME_MAX - 1);
        return CV_CLI_EXIT_ERROR;
    }
    if (policy_name != NULL && !force) {
        config = cv_cli_load_config(config_file, &error);
        if (config == NULL) {
            cv_cli_error(command, "%s", error->message);
            return CV_CLI_EXIT_ERROR;
        }
        if (cv_config_get_policy(config, policy_name) == NULL) {
            g_auto(GStrv) names = cv_config_list_policies(config);
            g_autofree gchar *known = g_strjoinv(", ", names);

            cv_cli_error(command,
                         "unknown policy '%s' (defined here: %s); --force names it anyway, for a "
                         "policy the domain's next hosts define",
                         policy_name, known);
            return CV_CLI_EXIT_ERROR;
        }
    }
    conn = cv_libvirt_conn_new(global->connect_uri, FALSE);
    if (!cv_libvirt_set_policy_metadata(conn, domain, policy_name, &name, &affected, &error)) {
        cv_cli_error(command, "%s", error->message);
        return cv_cli_exit_for_error(error);
    }
    if (policy_name != NULL)
        printf("domain '%s': policy '%s' set in its metadata (%s)\n", name, policy_name, affected);
    else
        printf("domain '%s': policy removed from its metadata (%s)\n", name, affected);
    return CV_CLI_EXIT_OK;
}

gint
cv_cli_policy(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *config = NULL;
    gboolean json = FALSE, force = FALSE;
    const GOptionEntry entries[] = {
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"force", 'f', 0, G_OPTION_ARG_NONE, &force,
         "set: name a policy this host does not define (the domain's next hosts may)", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "policy", "list | show NAME | set DOM NAME | unset DOM",
        "List the policies of the configuration, show every setting of one, or name the policy "
        "of libvirt domain DOM in its <metadata> (set) or remove it (unset), live and in its "
        "persistent definition.");
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) names = NULL;
    CvPolicy policy;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "policy", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc < 2) {
        cv_cli_error("policy", "list or show NAME");
        return CV_CLI_EXIT_ERROR;
    }
    if (g_str_equal(argv[1], "list") && argc == 2) {
        names = cv_cli_list_policies(config, &error);
        if (names == NULL) {
            cv_cli_error("policy", "%s", error->message);
            return CV_CLI_EXIT_ERROR;
        }
        for (guint i = 0; names[i] != NULL; i++) {
            g_autofree gchar *text = NULL;

            if (!cv_cli_load_policy(names[i], config, &policy, &error)) {
                cv_cli_error("policy", "%s", error->message);
                return CV_CLI_EXIT_ERROR;
            }
            if (json) {
                text = cv_cli_format_policy_json(&policy);
                fputs(text, stdout);
            } else {
                printf("%-16s max-downtime %" G_GUINT64_FORMAT " ms, switchover-bandwidth %s\n",
                       policy.name, policy.max_downtime_ms,
                       policy.switchover_learned         ? "learned"
                       : policy.switchover_bandwidth > 0 ? "set"
                                                         : "off");
            }
        }
        return CV_CLI_EXIT_OK;
    }
    if (g_str_equal(argv[1], "show") && argc == 3) {
        g_autofree gchar *text = NULL;

        if (!cv_cli_load_policy(argv[2], config, &policy, &error)) {
            cv_cli_error("policy", "%s", error->message);
            return CV_CLI_EXIT_ERROR;
        }
        text = json ? cv_cli_format_policy_json(&policy) : cv_cli_format_policy(&policy);
        fputs(text, stdout);
        return CV_CLI_EXIT_OK;
    }
    if ((g_str_equal(argv[1], "set") && argc == 4) || (g_str_equal(argv[1], "unset") && argc == 3))
        return policy_set(global, config, argv[2], argc == 4 ? argv[3] : NULL, force);
    cv_cli_error("policy",
                 "usage: policy list | policy show NAME | policy set DOM NAME | policy unset DOM");
    return CV_CLI_EXIT_ERROR;
}
