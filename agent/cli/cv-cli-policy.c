/* virt-converge policy list | show NAME | set DOM NAME | unset DOM: the policies the
 * configuration defines, and the one a libvirt domain's <metadata> names (written live and in
 * its persistent definition, so the choice travels with the domain). */
#include "config.h"

#include <stdio.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-learned-store.h"
#include "cv-libvirt-domain.h"
#include "cv-state-paths.h"

static gchar *
format_unix_ms(gint64 ms)
{
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(ms / 1000);
    g_autoptr(GDateTime) t = utc != NULL ? g_date_time_to_local(utc) : NULL;

    return t != NULL ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

/* policy show NAME --for DEST: the rate a learned policy would use for DEST now, and the
 * migrations it comes from (newest first; which ones the window holds, which gave the
 * lowest, which were not usable). */
static gint
show_learned(const gchar *config_file, const CvPolicy *policy, const gchar *destination,
             gboolean json)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_cli_load_config(config_file, NULL);
    g_autofree gchar *state_dir = cv_state_paths_state_dir();
    g_autofree gchar *path = NULL;
    g_autofree gchar *nic_why = NULL;
    g_autoptr(GArray) seen = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    guint window =
        config != NULL ? cv_config_get_learned_window(config) : CV_LEARNED_WINDOW_DEFAULT;
    guint min_count = config != NULL ? cv_config_get_learned_min(config) : CV_LEARNED_MIN_DEFAULT;
    const gchar *iface = config != NULL ? cv_config_get_migration_interface(config) : NULL;
    guint64 nic = iface != NULL ? cv_learned_nic_speed(iface, &nic_why) : 0;
    guint skipped = 0, usable = 0;
    CvLearnedRate learned;
    gchar r[32];

    path = cv_learned_store_path(state_dir, destination, &error);
    seen = path != NULL ? cv_learned_store_load(state_dir, destination, &skipped, &error) : NULL;
    if (seen == NULL) {
        cv_cli_error("policy", "%s: %s", destination, error->message);
        return CV_CLI_EXIT_ERROR;
    }
    cv_learned_rate_compute((const CvLearnedObservation *)(gpointer)seen->data, seen->len, window,
                            min_count, policy->switchover_learned_max, nic, &learned);
    if (!json) {
        printf("\nlearned for %s (%s):\n  %s%s\n", destination, path, learned.reason,
               learned.known ? "" : "; the policy behaves as off");
        if (!policy->switchover_learned)
            printf("  (policy %s states switchover-bandwidth itself: it does not use this)\n",
                   policy->name);
        if (nic_why != NULL)
            printf("  migration-interface %s\n", nic_why);
        if (skipped > 0)
            printf("  %u unreadable line%s skipped\n", skipped, skipped == 1 ? "" : "s");
        if (seen->len > 0)
            printf("  %-19s  %-24s %12s %9s %12s  %-10s  %s\n", "TIME", "DOMAIN", "BYTES", "MS",
                   "RATE", "SOURCE", "USE");
    } else {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "record");
        json_builder_add_string_value(b, "learned");
        json_builder_set_member_name(b, "policy");
        json_builder_add_string_value(b, policy->name);
        json_builder_set_member_name(b, "destination");
        json_builder_add_string_value(b, destination);
        json_builder_set_member_name(b, "known");
        json_builder_add_boolean_value(b, learned.known);
        json_builder_set_member_name(b, "rate");
        json_builder_add_int_value(b, (gint64)MIN(learned.rate, (guint64)G_MAXINT64));
        json_builder_set_member_name(b, "bounded");
        json_builder_add_boolean_value(b, learned.bounded);
        json_builder_set_member_name(b, "window");
        json_builder_add_int_value(b, window);
        json_builder_set_member_name(b, "min");
        json_builder_add_int_value(b, min_count);
        json_builder_set_member_name(b, "nic-speed");
        json_builder_add_int_value(b, (gint64)nic);
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, learned.reason);
        json_builder_set_member_name(b, "skipped");
        json_builder_add_int_value(b, skipped);
        json_builder_set_member_name(b, "observations");
        json_builder_begin_array(b);
    }
    for (guint i = seen->len; i-- > 0;) {
        const CvLearnedObservation *o = &g_array_index(seen, CvLearnedObservation, i);
        guint64 rate = cv_learned_effective_rate(o);
        const gchar *use;
        g_autofree gchar *t = format_unix_ms(o->time_ms);
        gchar bytes[32];

        if (rate == 0)
            use = "unusable";
        else if (++usable > window)
            use = "older";
        else if ((gssize)i == learned.from_index)
            use = "window, lowest";
        else
            use = "window";
        if (json) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "time-ms");
            json_builder_add_int_value(b, o->time_ms);
            json_builder_set_member_name(b, "domain");
            if (o->domain[0] != '\0')
                json_builder_add_string_value(b, o->domain);
            else
                json_builder_add_null_value(b);
            json_builder_set_member_name(b, "blackout-bytes");
            json_builder_add_int_value(b, (gint64)MIN(o->blackout_bytes, (guint64)G_MAXINT64));
            json_builder_set_member_name(b, "downtime-ms");
            json_builder_add_int_value(b, (gint64)MIN(o->downtime_ms, (guint64)G_MAXINT64));
            json_builder_set_member_name(b, "rate");
            json_builder_add_int_value(b, (gint64)rate);
            json_builder_set_member_name(b, "source");
            json_builder_add_string_value(b, cv_learned_source_to_string(o->source));
            json_builder_set_member_name(b, "use");
            json_builder_add_string_value(b, use);
            json_builder_end_object(b);
            continue;
        }
        cv_format_bytes(o->blackout_bytes, bytes, sizeof(bytes));
        if (rate > 0)
            cv_format_rate(rate, r, sizeof(r));
        else
            g_strlcpy(r, "-", sizeof(r));
        printf("  %-19s  %-24s %12s %6" G_GUINT64_FORMAT " ms %12s  %-10s  %s\n", t,
               o->domain[0] != '\0' ? o->domain : "-", bytes, o->downtime_ms, r,
               cv_learned_source_to_string(o->source), use);
    }
    if (json) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree gchar *text = NULL;

        json_builder_end_array(b);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);
        printf("%s\n", text);
    }
    return CV_CLI_EXIT_OK;
}

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
    g_autofree gchar *for_dest = NULL;
    gboolean json = FALSE, force = FALSE;
    const GOptionEntry entries[] = {
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"force", 'f', 0, G_OPTION_ARG_NONE, &force,
         "set: name a policy this host does not define (the domain's next hosts may)", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL},
        {"for", 0, 0, G_OPTION_ARG_STRING, &for_dest,
         "show: the rate switchover-bandwidth = learned uses for destination DEST ('any': the "
         "host-wide key the daemon uses) and the migrations it was learned from",
         "DEST"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "policy", "list | show NAME [--for DEST] | set DOM NAME | unset DOM",
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
        if (for_dest != NULL)
            return show_learned(config, &policy, for_dest, json);
        return CV_CLI_EXIT_OK;
    }
    if (for_dest != NULL) {
        cv_cli_error("policy", "--for DEST goes with show NAME");
        return CV_CLI_EXIT_ERROR;
    }
    if ((g_str_equal(argv[1], "set") && argc == 4) || (g_str_equal(argv[1], "unset") && argc == 3))
        return policy_set(global, config, argv[2], argc == 4 ? argv[3] : NULL, force);
    cv_cli_error("policy",
                 "usage: policy list | policy show NAME | policy set DOM NAME | policy unset DOM");
    return CV_CLI_EXIT_ERROR;
}
