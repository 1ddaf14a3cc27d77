/* virt-converge check DOM [--link RATE]: before migrating, measure the guest's dirty rate with
 * libvirt's dirty-rate calculation (QEMU calc-dirty-rate, page sampling), count the VFIO
 * devices, and say whether the domain's policy can make its migration converge, with what
 * pause, and what it would set.
 *
 * The model follows QEMU's switchover rule: a pass at the link rate b re-sends what the guest
 * dirtied meanwhile. calc-dirty-rate counts the distinct pages written during its period, so
 * it is measured twice, over T and 2T. The same bytes both times (D2T < 1.5 x DT) is a working
 * set the guest keeps re-dirtying: precopy never gets below it, and switching over needs a
 * pause of W / b, W their mean; it converges on its own when that fits in the
 * current downtime-limit. Twice the bytes in twice the time is memory dirtied at a steady rate
 * r: passes shrink by r / b each, so it converges on its own when r < b; otherwise nothing is
 * ever clean and the pause is all of RAM / b. VFIO device state is reported neither by
 * libvirt nor by QEMU before 11.1: it adds to the pause by an amount this cannot know. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-libvirt-domain.h"
#include "cv-target-libvirt.h"

typedef struct {
    guint64 link;          /* bytes/s, 0 = unknown */
    const gchar *link_src; /* where the link rate came from */
    gboolean working_set;  /* the same bytes re-dirtied, not a steady rate */
    gdouble dirty_bytes;   /* what a pass leaves dirty: the working set, or all of RAM */
    gboolean converges_alone;
    guint64 needed_ms; /* the pause switching over needs; 0 when unknown */
    gboolean policy_can;
    guint64 would_limit_ms;
    gboolean would_switchover;
} CheckVerdict;

static void
judge(const CvLibvirtDomainCheck *c, const CvPolicy *policy, guint64 link_opt, CheckVerdict *v)
{
    memset(v, 0, sizeof(*v));
    if (link_opt > 0) {
        v->link = link_opt;
        v->link_src = "--link";
    } else if (policy->switchover_bandwidth > 0) {
        v->link = policy->switchover_bandwidth;
        v->link_src = "the policy's switchover-bandwidth";
    } else if (cv_field_valid(&c->max_bandwidth)) {
        v->link = c->max_bandwidth.value;
        v->link_src = "the domain's migration speed limit";
    }
    if (!c->dirty_rate_measured || v->link == 0)
        return;
    {
        gdouble d1 = (gdouble)c->dirty_rate_bytes * (gdouble)c->dirty_rate_period_s;
        gdouble d2 = (gdouble)c->dirty_rate_long_bytes * 2.0 * (gdouble)c->dirty_rate_period_s;
        gdouble limit =
            cv_field_valid(&c->downtime_limit_ms) ? (gdouble)c->downtime_limit_ms.value : 300.0;
        gdouble pause_ms;

        v->working_set = d2 < 1.5 * d1;
        if (v->working_set) {
            /* page sampling is noisy (tens of percent on a small guest): both estimates
             * measure the same set */
            v->dirty_bytes = (d1 + d2) / 2.0;
            pause_ms = v->dirty_bytes * 1000.0 / (gdouble)v->link;
            v->converges_alone = pause_ms <= limit;
        } else {
            v->converges_alone = c->dirty_rate_long_bytes < v->link;
            v->dirty_bytes = (gdouble)c->memory_bytes;
            pause_ms = v->dirty_bytes * 1000.0 / (gdouble)v->link;
        }
        v->needed_ms = (guint64)ceil(pause_ms);
    }
    if (!v->converges_alone) {
        /* as the engine rounds a limit: needed x (1 + margin), up to the next 10 ms */
        v->would_limit_ms =
            (guint64)ceil((gdouble)v->needed_ms * (1.0 + policy->margin) / 10.0 - 1e-9) * 10;
        /* the pause is the limit plus what QEMU's threshold does not count */
        v->policy_can = v->would_limit_ms + cv_policy_reserve(policy) <= policy->max_downtime_ms;
    } else {
        v->policy_can = TRUE;
    }
    v->would_switchover = policy->switchover_bandwidth > 0;
}

static gchar *
rate_text(guint64 bytes_per_s)
{
    gchar buf[32];

    cv_format_rate(bytes_per_s, buf, sizeof(buf));
    return g_strdup(buf);
}

static void
print_human(const CvLibvirtDomainCheck *c, guint n_vfio, const CvCliDomain *d,
            const CheckVerdict *v)
{
    const CvPolicy *p = &d->policy;
    g_autofree gchar *limit = cv_cli_format_field_ms(&c->downtime_limit_ms);
    gchar mem[32];

    cv_format_bytes(c->memory_bytes, mem, sizeof(mem));
    printf("domain: %s, %s of RAM, downtime-limit %s\n", c->name, mem, limit);
    printf("%s\n", d->policy_note);
    if (c->dirty_rate_measured) {
        g_autofree gchar *r1 = rate_text(c->dirty_rate_bytes);
        g_autofree gchar *r2 = rate_text(c->dirty_rate_long_bytes);

        printf("dirty rate: %s over %" G_GUINT64_FORMAT " s, %s over %" G_GUINT64_FORMAT
               " s (libvirt's dirty-rate calculation)\n",
               r1, c->dirty_rate_period_s, r2, 2 * c->dirty_rate_period_s);
    } else {
        printf("dirty rate: unknown (%s)\n",
               c->dirty_rate_error != NULL ? c->dirty_rate_error : "not measured");
    }
    if (n_vfio > 0)
        printf("VFIO devices: %u; their device state is reported neither by libvirt nor by QEMU "
               "before 11.1: the pause below is RAM-only and grows by their stop-copy state\n",
               n_vfio);
    else
        printf("VFIO devices: none\n");
    if (v->link == 0) {
        printf("link rate: unknown (give --link RATE, e.g. 10Gbit, or set the policy's "
               "switchover-bandwidth)\n");
        printf("verdict: cannot judge without a link rate\n");
        return;
    }
    {
        g_autofree gchar *l = rate_text(v->link);

        printf("link rate: %s (%s)\n", l, v->link_src);
    }
    if (!c->dirty_rate_measured) {
        printf("verdict: cannot judge without a dirty rate\n");
        return;
    }
    {
        gchar dirty[32];

        cv_format_bytes((guint64)v->dirty_bytes, dirty, sizeof(dirty));
        if (v->working_set)
            printf("dirtying: a working set of about %s, re-dirtied faster than a pass sends "
                   "it\n",
                   dirty);
        else
            printf("dirtying: a steady rate, no working set in sight (all %s of RAM may stay "
                   "dirty)\n",
                   dirty);
    }
    if (v->converges_alone) {
        if (v->working_set)
            printf("verdict: converges on its own: the working set fits in the current "
                   "downtime-limit (a pause of about %" G_GUINT64_FORMAT " ms)\n",
                   v->needed_ms);
        else
            printf("verdict: converges on its own: the guest dirties memory slower than the "
                   "link sends it\n");
        printf("would set: nothing\n");
        return;
    }
    printf("verdict: does not converge on its own: switching over needs a pause of about "
           "%" G_GUINT64_FORMAT " ms%s\n",
           v->needed_ms, n_vfio > 0 ? " plus the VFIO device state" : "");
    if (v->policy_can) {
        printf("policy '%s' can converge it: pause about %" G_GUINT64_FORMAT
               " ms, within its cap of %" G_GUINT64_FORMAT " ms\n",
               p->name, v->needed_ms, p->max_downtime_ms);
        if (v->would_switchover) {
            g_autofree gchar *sb = rate_text(p->switchover_bandwidth);

            printf("would set: avail-switchover-bandwidth %s (QEMU 8.2+, through QEMU's monitor), "
                   "then downtime-limit %" G_GUINT64_FORMAT " ms\n",
                   sb, v->would_limit_ms);
        } else {
            printf("would set: downtime-limit %" G_GUINT64_FORMAT " ms (%" G_GUINT64_FORMAT
                   " ms + %.0f%% margin)\n",
                   v->would_limit_ms, v->needed_ms, p->margin * 100.0);
        }
        return;
    }
    printf("policy '%s' cannot converge it within its cap of %" G_GUINT64_FORMAT
           " ms: it would raise downtime-limit to %" G_GUINT64_FORMAT
           " ms (the cap less its %" G_GUINT64_FORMAT " ms switchover reserve), then escalate:",
           p->name, p->max_downtime_ms, p->max_downtime_ms - cv_policy_reserve(p),
           cv_policy_reserve(p));
    for (guint i = 0; i < p->n_escalation; i++)
        printf(" %s", cv_escalation_action_to_string(p->escalation[i].action));
    printf("\n");
}

static void
print_json(const CvLibvirtDomainCheck *c, guint n_vfio, const CvCliDomain *d, const CheckVerdict *v)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree gchar *text = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "domain");
    json_builder_add_string_value(b, c->name);
    json_builder_set_member_name(b, "memory");
    json_builder_add_int_value(b, (gint64)c->memory_bytes);
    json_builder_set_member_name(b, "policy");
    json_builder_add_string_value(b, d->policy.name);
    json_builder_set_member_name(b, "max-downtime-ms");
    json_builder_add_int_value(b, (gint64)d->policy.max_downtime_ms);
    json_builder_set_member_name(b, "vfio-devices");
    json_builder_add_int_value(b, n_vfio);
    json_builder_set_member_name(b, "dirty-rate");
    if (c->dirty_rate_measured)
        json_builder_add_int_value(b, (gint64)c->dirty_rate_bytes);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "dirty-rate-long");
    if (c->dirty_rate_measured)
        json_builder_add_int_value(b, (gint64)c->dirty_rate_long_bytes);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "working-set");
    json_builder_add_boolean_value(b, v->working_set);
    json_builder_set_member_name(b, "dirty-rate-error");
    if (c->dirty_rate_error != NULL)
        json_builder_add_string_value(b, c->dirty_rate_error);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "link-rate");
    if (v->link > 0)
        json_builder_add_int_value(b, (gint64)v->link);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "judged");
    json_builder_add_boolean_value(b, v->link > 0 && c->dirty_rate_measured);
    json_builder_set_member_name(b, "converges-alone");
    json_builder_add_boolean_value(b, v->converges_alone);
    json_builder_set_member_name(b, "needed-downtime-ms");
    json_builder_add_int_value(b, (gint64)v->needed_ms);
    json_builder_set_member_name(b, "policy-can-converge");
    json_builder_add_boolean_value(b, v->link > 0 && c->dirty_rate_measured && v->policy_can);
    json_builder_set_member_name(b, "would-set-downtime-limit-ms");
    json_builder_add_int_value(b, v->policy_can ? (gint64)v->would_limit_ms : 0);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
}

gint
cv_cli_check(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *policy_name = NULL;
    g_autofree gchar *config = NULL;
    g_autofree gchar *link = NULL;
    gboolean json = FALSE;
    gint seconds = 1;
    const GOptionEntry entries[] = {
        {"link", 'l', 0, G_OPTION_ARG_STRING, &link,
         "the migration link's rate, e.g. 10Gbit or 64MiB/s (default: the policy's "
         "switchover-bandwidth, else the domain's migration speed limit)",
         "RATE"},
        {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds,
         "measure the dirty rate over SECONDS, then over twice that (default 1)", "N"},
        {"policy", 'p', 0, G_OPTION_ARG_STRING, &policy_name,
         "judge with this policy (default: the domain's, as tune)", "NAME"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "check", "DOM",
        "Before migrating: measure DOM's dirty rate (libvirt's dirty-rate calculation), count "
        "its VFIO devices, and say whether its policy can make the migration converge, with "
        "what pause, and what it would set. Changes no migration parameter.");
    g_auto(CvCliDomain) dom = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(CvLibvirtDomainCheck) check = NULL;
    const CvConfigMetadata *metadata;
    guint64 link_rate = 0;
    guint n_vfio;
    CheckVerdict verdict;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "check", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc != 2) {
        cv_cli_error("check", "usage: check DOM [--link RATE] (see 'check --help')");
        return CV_CLI_EXIT_ERROR;
    }
    if (seconds < 1 || seconds > 60) {
        cv_cli_error("check", "--seconds must be from 1 to 60");
        return CV_CLI_EXIT_ERROR;
    }
    if (link != NULL && !cv_config_parse_rate(link, &link_rate, &error)) {
        cv_cli_error("check", "--link: %s", error->message);
        return CV_CLI_EXIT_ERROR;
    }
    {
        /* the dirty-rate calculation is a change to the domain: read-write */
        CvCliDomainOptions opts = {
            .domain = argv[1],
            .policy_name = policy_name,
            .config_file = config,
            .monitor_commands = "never",
        };

        if (!cv_cli_domain_open(global, "check", &opts, &dom))
            return dom.exit_code != 0 ? dom.exit_code : CV_CLI_EXIT_ERROR;
    }
    check = cv_libvirt_check_domain(dom.conn, cv_target_libvirt_get_name(dom.target),
                                    (guint)seconds, &error);
    if (check == NULL) {
        cv_cli_error("check", "%s", error->message);
        return cv_cli_exit_for_error(error);
    }
    metadata = cv_target_libvirt_get_metadata(dom.target);
    n_vfio = metadata != NULL ? cv_config_metadata_get_n_vfio_devices(metadata) : 0;
    judge(check, &dom.policy, link_rate, &verdict);
    if (json)
        print_json(check, n_vfio, &dom, &verdict);
    else
        print_human(check, n_vfio, &dom, &verdict);
    return CV_CLI_EXIT_OK;
}
