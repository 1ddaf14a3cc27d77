#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-fuzz-check.h"
#include "cv-fuzz.h"
#include "cv-learned-store.h"
#include "cv-policy.h"

/* Upper bound of any rate the statistic may hand out (cv-policy-learned.c drops observations
 * above it). */
#define FUZZ_RATE_MAX G_GUINT64_CONSTANT(1000000000000)

static void
check_observation(const CvLearnedObservation *o)
{
    if (o->time_ms < 0)
        cv_fuzz_fail("observation with a negative time: %" G_GINT64_FORMAT, o->time_ms);
    if (memchr(o->domain, '\0', sizeof(o->domain)) == NULL)
        cv_fuzz_fail("observation domain not terminated");
    if (!g_utf8_validate(o->domain, -1, NULL))
        cv_fuzz_fail("observation domain is not UTF-8: %s", o->domain);
}

int
cv_fuzz_learned(const guint8 *data, gsize size)
{
    const gchar *state = cv_fuzz_scratch_dir();
    g_autofree gchar *path = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) seen = NULL;
    g_autoptr(GArray) again = NULL;
    CvLearnedObservation fresh;
    CvLearnedRate rate;
    CvPolicy policy;
    guint skipped = 0, window, min_count;

    if (size < 1)
        return 0;
    /* the first byte: the window (1..16) and the minimum count (1..16) */
    window = (data[0] & 0x0f) + 1;
    min_count = (data[0] >> 4) + 1;
    data++;
    size--;

    cv_fuzz_empty_dir(state);
    path = cv_learned_store_path(state, CV_LEARNED_ANY_DESTINATION, &error);
    g_assert_no_error(error);
    {
        g_autofree gchar *dir = g_path_get_dirname(path);

        g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    }
    g_assert_true(g_file_set_contents(path, (const gchar *)data, (gssize)size, NULL));

    /* load: every observation kept is sane, and nothing is lost or invented */
    seen = cv_learned_store_load(state, CV_LEARNED_ANY_DESTINATION, &skipped, &error);
    if (seen == NULL) {
        /* only a file too large to be ours is refused whole */
        g_assert_nonnull(error);
        return 0;
    }
    g_assert_no_error(error);
    for (guint i = 0; i < seen->len; i++)
        check_observation(&g_array_index(seen, CvLearnedObservation, i));

    /* apply: the rate a learned policy gets is the lowest of the window, within bounds */
    cv_policy_init_default(&policy);
    policy.switchover_learned = TRUE;
    if (!cv_learned_store_apply(state, CV_LEARNED_ANY_DESTINATION, window, min_count, 0, &policy,
                                &rate, &error))
        cv_fuzz_fail("apply failed on a file load accepted: %s", error->message);
    if (!g_utf8_validate(rate.reason, -1, NULL))
        cv_fuzz_fail("reason is not UTF-8");
    if (rate.known) {
        if (rate.rate == 0 || rate.rate > rate.lowest || rate.rate > FUZZ_RATE_MAX)
            cv_fuzz_fail("learned rate %" G_GUINT64_FORMAT " (lowest %" G_GUINT64_FORMAT ")",
                         rate.rate, rate.lowest);
        if (policy.switchover_bandwidth != rate.rate)
            cv_fuzz_fail("policy given %" G_GUINT64_FORMAT ", learned %" G_GUINT64_FORMAT,
                         policy.switchover_bandwidth, rate.rate);
        if (rate.n_window > window || rate.n_valid < min_count || rate.from_index < 0 ||
            (gsize)rate.from_index >= seen->len)
            cv_fuzz_fail("window %u of %u, %u valid (min %u), from %" G_GSSIZE_FORMAT " of %u",
                         rate.n_window, window, rate.n_valid, min_count, rate.from_index,
                         seen->len);
    } else if (policy.switchover_bandwidth != 0) {
        cv_fuzz_fail("nothing learned, yet the policy got %" G_GUINT64_FORMAT,
                     policy.switchover_bandwidth);
    }

    /* append: what was readable survives, the new observation is last, the file reads clean */
    memset(&fresh, 0, sizeof(fresh));
    fresh.time_ms = 1767225600000;
    fresh.blackout_bytes = 700000000;
    fresh.downtime_ms = 600;
    g_strlcpy(fresh.domain, "fuzz", sizeof(fresh.domain));
    if (!cv_learned_store_append(state, CV_LEARNED_ANY_DESTINATION, &fresh, &error))
        cv_fuzz_fail("append failed: %s", error->message);
    skipped = 0;
    again = cv_learned_store_load(state, CV_LEARNED_ANY_DESTINATION, &skipped, &error);
    g_assert_no_error(error);
    if (skipped != 0)
        cv_fuzz_fail("the store wrote %u line(s) it cannot read back", skipped);
    if (again->len != MIN(seen->len + 1, CV_LEARNED_WINDOW_MAX))
        cv_fuzz_fail("%u observations after appending to %u", again->len, seen->len);
    for (guint i = 0; i + 1 < again->len; i++) {
        const CvLearnedObservation *a = &g_array_index(again, CvLearnedObservation, i);
        const CvLearnedObservation *b =
            &g_array_index(seen, CvLearnedObservation, seen->len + 1 - again->len + i);

        check_observation(a);
        if (a->time_ms != b->time_ms || a->blackout_bytes != b->blackout_bytes ||
            a->downtime_ms != b->downtime_ms || strcmp(a->domain, b->domain) != 0)
            cv_fuzz_fail("observation %u changed by a rewrite", i);
    }
    {
        const CvLearnedObservation *last =
            &g_array_index(again, CvLearnedObservation, again->len - 1);

        if (last->blackout_bytes != fresh.blackout_bytes || strcmp(last->domain, "fuzz") != 0)
            cv_fuzz_fail("the appended observation did not come back");
    }
    return 0;
}
