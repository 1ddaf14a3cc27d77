/* switchover-bandwidth = learned in the CLI: before tune, migrate and simulate start, a learned
 * policy gets what the completed migrations to the destination taught (bounded by the policy's
 * `at most` and the [daemon] migration-interface's speed); after a completed one, its blackout
 * is recorded for the destination and for the host-wide key the daemon reads. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cv-cli.h"
#include "cv-learned-store.h"
#include "cv-state-paths.h"
#include "cv-tuner-report.h"

void
cv_cli_learned_use(const gchar *command, const gchar *config_file, const gchar *destination,
                   CvPolicy *policy, gboolean json)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = NULL;
    g_autofree gchar *state_dir = NULL;
    g_autofree gchar *nic_why = NULL;
    const gchar *key = destination != NULL ? destination : CV_LEARNED_ANY_DESTINATION;
    const gchar *iface;
    guint64 nic = 0;
    guint window = CV_LEARNED_WINDOW_DEFAULT, min_count = CV_LEARNED_MIN_DEFAULT;
    CvLearnedRate learned;

    if (!policy->switchover_learned)
        return;
    config = cv_cli_load_config(config_file, NULL);
    if (config != NULL) {
        window = cv_config_get_learned_window(config);
        min_count = cv_config_get_learned_min(config);
        iface = cv_config_get_migration_interface(config);
        if (iface != NULL)
            nic = cv_learned_nic_speed(iface, &nic_why);
    }
    state_dir = cv_state_paths_state_dir();
    if (!cv_learned_store_apply(state_dir, key, window, min_count, nic, policy, &learned, &error)) {
        /* nothing learned is the safe reading of a store we cannot read: as off */
        g_printerr("virt-converge: %s: %s: %s; switchover-bandwidth learned treated as off\n",
                   command, key, error->message);
        return;
    }
    if (json) {
        g_autofree gchar *dest = g_strescape(key, NULL);
        g_autofree gchar *reason = g_strescape(learned.reason, NULL);
        g_autofree gchar *nic_note = nic_why != NULL ? g_strescape(nic_why, NULL) : NULL;

        printf("{\"record\":\"learned\",\"destination\":\"%s\",\"known\":%s,\"rate\":"
               "%" G_GUINT64_FORMAT ",\"observations\":%u,\"window\":%u,\"nic-speed\":"
               "%" G_GUINT64_FORMAT "%s%s%s,\"reason\":\"%s\"}\n",
               dest, learned.known ? "true" : "false", learned.rate, learned.n_valid,
               learned.n_window, nic, nic_note != NULL ? ",\"nic\":\"" : "",
               nic_note != NULL ? nic_note : "", nic_note != NULL ? "\"" : "", reason);
    } else {
        printf("learned: destination %s: %s%s\n", key, learned.reason,
               learned.known ? "" : "; switchover-bandwidth treated as off");
        if (nic_why != NULL)
            printf("learned: migration-interface %s\n", nic_why);
    }
    fflush(stdout);
}

void
cv_cli_learned_record(const gchar *command, const gchar *destination, const gchar *domain,
                      const CvPolicy *policy, const CvTunerSummary *summary, gboolean json)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *state_dir = NULL;
    const gchar *key = destination != NULL ? destination : CV_LEARNED_ANY_DESTINATION;
    CvLearnedObservation obs;
    gchar why[384];

    if (summary->dry_run)
        return;
    if (!cv_tuner_summary_observation(summary, g_get_real_time() / 1000,
                                      policy->switchover_bandwidth, &obs, why, sizeof(why))) {
        if (json) {
            g_autofree gchar *dest = g_strescape(key, NULL);
            g_autofree gchar *reason = g_strescape(why, NULL);

            printf("{\"record\":\"learned-not-recorded\",\"destination\":\"%s\",\"reason\":"
                   "\"%s\"}\n",
                   dest, reason);
        } else
            printf("learned: nothing recorded for %s: %s\n", key, why);
        return;
    }
    if (domain != NULL)
        cv_learned_observation_set_domain(&obs, domain);
    state_dir = cv_state_paths_state_dir();
    if (!cv_learned_store_record(state_dir, key, &obs, &error)) {
        g_printerr("virt-converge: %s: not recorded for %s: %s\n", command, key, error->message);
        return;
    }
    if (json) {
        g_autofree gchar *dest = g_strescape(key, NULL);

        printf("{\"record\":\"learned-recorded\",\"destination\":\"%s\",\"blackout-bytes\":"
               "%" G_GUINT64_FORMAT ",\"downtime-ms\":%" G_GUINT64_FORMAT
               ",\"rate\":%" G_GUINT64_FORMAT ",\"source\":\"%s\"}\n",
               dest, obs.blackout_bytes, obs.downtime_ms, cv_learned_effective_rate(&obs),
               cv_learned_source_to_string(obs.source));
    } else
        printf("learned: recorded for %s: %" G_GUINT64_FORMAT " bytes in a %" G_GUINT64_FORMAT
               " ms %s (%s)\n",
               key, obs.blackout_bytes, obs.downtime_ms,
               obs.source == CV_LEARNED_SOURCE_JOB_WINDOW ? "job window" : "blackout",
               summary->blackout_note);
}
