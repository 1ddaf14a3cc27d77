/* virt-converge policy list|show NAME: the policies the configuration defines. */
#include "config.h"

#include <stdio.h>

#include "cv-cli-format.h"
#include "cv-cli.h"

gint
cv_cli_policy(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *config = NULL;
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "policy", "list|show NAME",
        "List the policies of the configuration, or show every setting of one.");
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
                       policy.switchover_bandwidth > 0 ? "set" : "off");
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
    cv_cli_error("policy", "usage: policy list | policy show NAME");
    return CV_CLI_EXIT_ERROR;
}
