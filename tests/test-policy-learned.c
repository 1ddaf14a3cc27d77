/* The learned switchover rate, table driven: one GTest path per row, /policy/learned/<name>.
 *
 * A row is a list of observations (oldest first) for one destination, the window N, the
 * minimum K and the two upper bounds, and what must come out: known or not, the rate, which
 * observation gave it, and a reason substring. Then the engine: a `learned` policy behaves as
 * `off` until a rate is applied, and as a stated rate after. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-policy-learned.h"
#include "cv-policy.h"

#define MIB G_GUINT64_CONSTANT(1048576)
#define GIB (MIB * 1024)
/* 10 Gbit/s in bytes/s */
#define G10 G_GUINT64_CONSTANT(1250000000)

#define MAX_OBS 12

typedef struct {
    guint64 bytes;
    guint64 downtime_ms;
} Obs;

typedef struct {
    const gchar *name;
    Obs obs[MAX_OBS]; /* ends at the first {0, 0} unless n_obs says otherwise */
    guint n_obs;      /* 0 = up to the first all-zero entry */
    guint window;
    guint min_count;
    guint64 policy_max;
    guint64 nic_speed;
    gboolean known;
    guint64 rate; /* expected rate when known */
    gssize from;  /* expected index of the observation that gave the lowest; -1 none */
    guint n_valid;
    guint n_window;
    gboolean bounded;
    const gchar *reason;
} Row;

/* 2 GiB in 2 s: 1 GiB/s; 2 GiB in 2.5 s: 819.2 MiB/s; 2 GiB in 4 s: 512 MiB/s */
#define FAST                                                                                       \
    {                                                                                              \
        2 * GIB, 2000                                                                              \
    }
#define MID                                                                                        \
    {                                                                                              \
        2 * GIB, 2500                                                                              \
    }
#define SLOW                                                                                       \
    {                                                                                              \
        2 * GIB, 4000                                                                              \
    }

static const Row rows[] = {
    {.name = "none",
     .obs = {{0, 0}},
     .window = 5,
     .min_count = 2,
     .known = FALSE,
     .from = -1,
     .n_valid = 0,
     .n_window = 0,
     .reason = "not learned yet: 0 usable migrations to this destination, 2 needed"},
    {.name = "too-few",
     .obs = {FAST},
     .window = 5,
     .min_count = 2,
     .known = FALSE,
     .from = 0,
     .n_valid = 1,
     .n_window = 1,
     .reason = "not learned yet: 1 usable migration to this destination, 2 needed"},
    {.name = "exactly-k",
     .obs = {FAST, MID},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 858993459,
     .from = 1,
     .n_valid = 2,
     .n_window = 2,
     .reason = "the lowest blackout rate of the last 2 migrations"},
    {.name = "lowest-of-window",
     .obs = {MID, FAST, SLOW, FAST},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 536870912,
     .from = 2,
     .n_valid = 4,
     .n_window = 4,
     .reason = "learned 512.00 MiB/s"},
    /* a high outlier (a tiny blackout: the fixed cost alone) never lifts the rate; of equal lowest
       ones, the newest is named */
    {.name = "high-outlier-ignored",
     .obs = {MID, {2 * GIB, 50}, MID},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 858993459,
     .from = 2,
     .n_valid = 3,
     .n_window = 3,
     .reason = "learned 819.20 MiB/s"},
    /* a low outlier (a migration paused by escalation, its blackout long) pulls the rate down while
       it is in the window: the safe side */
    {.name = "low-outlier-kept",
     .obs = {MID, {GIB, 10000}, MID},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 107374182,
     .from = 1,
     .n_valid = 3,
     .n_window = 3,
     .reason = "learned 102.40 MiB/s"},
    {.name = "low-outlier-leaves-window",
     .obs = {{GIB, 10000}, MID, FAST, MID},
     .window = 3,
     .min_count = 2,
     .known = TRUE,
     .rate = 858993459,
     .from = 3,
     .n_valid = 4,
     .n_window = 3,
     .reason = "of the last 3 migrations"},
    /* the link got slower: the newest is in every window, so the rate follows it down at once */
    {.name = "link-got-slower",
     .obs = {FAST, FAST, FAST, SLOW},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 536870912,
     .from = 3,
     .n_valid = 4,
     .n_window = 4,
     .reason = "learned 512.00 MiB/s"},
    /* a link that got faster is believed only once the slow ones leave the window */
    {.name = "link-got-faster-window-keeps-slow",
     .obs = {SLOW, FAST, FAST},
     .window = 3,
     .min_count = 2,
     .known = TRUE,
     .rate = 536870912,
     .from = 0,
     .n_valid = 3,
     .n_window = 3,
     .reason = "learned 512.00 MiB/s"},
    {.name = "link-got-faster-slow-left",
     .obs = {SLOW, FAST, FAST, FAST},
     .window = 3,
     .min_count = 2,
     .known = TRUE,
     .rate = 1073741824,
     .from = 3,
     .n_valid = 4,
     .n_window = 3,
     .reason = "learned 1.00 GiB/s"},
    /* zero and garbage readings count for nothing, neither towards K nor in the window */
    {.name = "zero-downtime",
     .obs = {FAST, {2 * GIB, 0}},
     .window = 5,
     .min_count = 2,
     .known = FALSE,
     .from = 0,
     .n_valid = 1,
     .n_window = 1,
     .reason =
         "1 usable migration to this destination, 2 needed (some recorded no usable blackout)"},
    {.name = "zero-bytes",
     .obs = {{0, 300}, FAST},
     .n_obs = 2,
     .window = 5,
     .min_count = 2,
     .known = FALSE,
     .from = 1,
     .n_valid = 1,
     .n_window = 1,
     .reason = "(some recorded no usable blackout)"},
    /* tiny blackouts (4 MiB in 6 ms: 666 MiB/s; 1 GiB in 40 ms) are below the floor: their
     * fixed costs dominate them, and they would sit lowest in the window */
    {.name = "below-floor-bytes",
     .obs = {FAST, {4 * MIB, 60}, MID},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 2 * GIB * 1000 / 2500,
     .from = 2,
     .n_valid = 2,
     .n_window = 2,
     .reason = "the lowest blackout rate of the last 2 migrations"},
    {.name = "below-floor-downtime",
     .obs = {{GIB, 40}, FAST},
     .window = 5,
     .min_count = 2,
     .known = FALSE,
     .from = 1,
     .n_valid = 1,
     .n_window = 1,
     .reason = "(some recorded no usable blackout)"},
    {.name = "at-floor",
     .obs = {{64 * MIB, 50}, {2 * GIB, 1000}},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 64 * MIB * 1000 / 50,
     .from = 0,
     .n_valid = 2,
     .n_window = 2,
     .reason = "the lowest blackout rate of the last 2 migrations"},
    {.name = "downtime-beyond-qemu",
     .obs = {FAST, {2 * GIB, 2000001}, MID},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 858993459,
     .from = 2,
     .n_valid = 2,
     .n_window = 2,
     .reason = "learned 819.20 MiB/s"},
    /* 4 GiB in 1 ms: 4 TiB/s, no link carries that */
    {.name = "absurd-rate",
     .obs = {FAST, {4 * GIB, 1}, MID},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 858993459,
     .from = 2,
     .n_valid = 2,
     .n_window = 2,
     .reason = "learned 819.20 MiB/s"},
    {.name = "bytes-overflow",
     .obs = {FAST, {G_MAXUINT64, 1000}, MID},
     .window = 5,
     .min_count = 2,
     .known = TRUE,
     .rate = 858993459,
     .from = 2,
     .n_valid = 2,
     .n_window = 2,
     .reason = "learned 819.20 MiB/s"},
    {.name = "garbage-only",
     .obs = {{0, 0}, {GIB, 0}, {G_MAXUINT64, G_MAXUINT64}},
     .n_obs = 3,
     .window = 5,
     .min_count = 1,
     .known = FALSE,
     .from = -1,
     .n_valid = 0,
     .n_window = 0,
     .reason = "0 usable migrations"},
    /* bounds lower the rate, never raise it, never make it known */
    {.name = "policy-max-lowers",
     .obs = {FAST, FAST},
     .window = 5,
     .min_count = 2,
     .policy_max = 500 * MIB,
     .known = TRUE,
     .rate = 500 * MIB,
     .from = 1,
     .n_valid = 2,
     .n_window = 2,
     .bounded = TRUE,
     .reason = "bounded by the policy's at most 500.00 MiB/s (learned 1.00 GiB/s)"},
    {.name = "policy-max-above",
     .obs = {MID, MID},
     .window = 5,
     .min_count = 2,
     .policy_max = G10,
     .known = TRUE,
     .rate = 858993459,
     .from = 1,
     .n_valid = 2,
     .n_window = 2,
     .reason = "learned 819.20 MiB/s"},
    {.name = "nic-lowers",
     .obs = {FAST, FAST},
     .window = 5,
     .min_count = 2,
     .nic_speed = 100 * MIB,
     .known = TRUE,
     .rate = 100 * MIB,
     .from = 1,
     .n_valid = 2,
     .n_window = 2,
     .bounded = TRUE,
     .reason = "bounded by the NIC's speed 100.00 MiB/s"},
    {.name = "nic-never-raises",
     .obs = {SLOW, SLOW},
     .window = 5,
     .min_count = 2,
     .nic_speed = G10,
     .known = TRUE,
     .rate = 536870912,
     .from = 1,
     .n_valid = 2,
     .n_window = 2,
     .reason = "learned 512.00 MiB/s"},
    {.name = "nic-and-policy",
     .obs = {FAST, FAST},
     .window = 5,
     .min_count = 2,
     .policy_max = 800 * MIB,
     .nic_speed = 600 * MIB,
     .known = TRUE,
     .rate = 600 * MIB,
     .from = 1,
     .n_valid = 2,
     .n_window = 2,
     .bounded = TRUE,
     .reason = "bounded by the NIC's speed 600.00 MiB/s"},
    {.name = "bound-not-known",
     .obs = {FAST},
     .window = 5,
     .min_count = 2,
     .policy_max = 500 * MIB,
     .nic_speed = 100 * MIB,
     .known = FALSE,
     .from = 0,
     .n_valid = 1,
     .n_window = 1,
     .reason = "not learned yet"},
    /* K above N is clamped to N: the config refuses it, and the statistic never waits forever */
    {.name = "k-above-n-clamped",
     .obs = {MID, FAST},
     .window = 2,
     .min_count = 7,
     .known = TRUE,
     .rate = 858993459,
     .from = 0,
     .n_valid = 2,
     .n_window = 2,
     .reason = "learned 819.20 MiB/s"},
    {.name = "window-one",
     .obs = {SLOW, FAST},
     .window = 1,
     .min_count = 1,
     .known = TRUE,
     .rate = 1073741824,
     .from = 1,
     .n_valid = 2,
     .n_window = 1,
     .reason = "of the last 1 migration"},
};

static void
test_row(gconstpointer data)
{
    const Row *row = data;
    CvLearnedObservation obs[MAX_OBS];
    gsize n = 0;
    CvLearnedRate out;

    memset(obs, 0, sizeof(obs));
    for (gsize i = 0; i < MAX_OBS; i++) {
        if (row->n_obs == 0 && row->obs[i].bytes == 0 && row->obs[i].downtime_ms == 0)
            break;
        if (row->n_obs != 0 && i >= row->n_obs)
            break;
        obs[i].time_ms = 1700000000000 + (gint64)i * 60000;
        obs[i].blackout_bytes = row->obs[i].bytes;
        obs[i].downtime_ms = row->obs[i].downtime_ms;
        n++;
    }
    cv_learned_rate_compute(obs, n, row->window, row->min_count, row->policy_max, row->nic_speed,
                            &out);
    g_test_message("reason: %s", out.reason);
    g_assert_cmpint(out.known, ==, row->known);
    g_assert_cmpuint(out.rate, ==, row->known ? row->rate : 0);
    g_assert_cmpint(out.from_index, ==, row->from);
    g_assert_cmpuint(out.n_valid, ==, row->n_valid);
    g_assert_cmpuint(out.n_window, ==, row->n_window);
    g_assert_cmpuint(out.n_rejected, ==, n - row->n_valid);
    g_assert_cmpint(out.bounded, ==, row->bounded);
    g_assert_nonnull(strstr(out.reason, row->reason));
    /* the safety argument: never above any observation in the window, nor above a bound */
    if (out.known) {
        g_assert_cmpuint(out.rate, <=, out.lowest);
        if (row->policy_max > 0)
            g_assert_cmpuint(out.rate, <=, row->policy_max);
        if (row->nic_speed > 0)
            g_assert_cmpuint(out.rate, <=, row->nic_speed);
        g_assert_cmpuint(out.lowest, ==, cv_learned_effective_rate(&obs[out.from_index]));
    }
}

static void
test_empty_input(void)
{
    CvLearnedRate out;

    cv_learned_rate_compute(NULL, 0, 5, 2, 0, 0, &out);
    g_assert_false(out.known);
    g_assert_cmpuint(out.rate, ==, 0);
}

/* A migration stalled on a vGPU: 1.91 GiB pending that does not shrink, QEMU 11.1 with
 * avail-switchover-bandwidth, a 2.5 s cap. */
static void
stalled_vgpu(CvSample samples[4], CvParams *params)
{
    for (guint i = 0; i < 4; i++) {
        CvSample *s = &samples[i];

        cv_sample_init(s);
        s->status = CV_MIGRATION_STATUS_ACTIVE;
        s->time_ms = 10000 + (gint64)i * 5000;
        cv_field_set(&s->ram_dirty_sync_count, 10 + i * 3);
        cv_field_set(&s->remaining, G_GUINT64_CONSTANT(2050846720));
        cv_field_set(&s->ram_remaining, 0);
        cv_field_set(&s->expected_downtime_ms, 9000);
        cv_field_set(&s->total_time_ms, (guint64)s->time_ms);
        cv_field_set(&s->vfio_transferred, GIB);
        s->ram_mbps.state = CV_FIELD_VALID;
        s->ram_mbps.value = 2147.483648; /* 256 MiB/s */
    }
    cv_params_init(params);
    cv_field_set(&params->downtime_limit_ms, 300);
    cv_field_set(&params->max_bandwidth, 0);
    cv_field_set(&params->avail_switchover_bandwidth, 0);
    params->vfio_devices = CV_TRI_YES;
}

static void
test_engine_learned_unfed_is_off(void)
{
    CvSample samples[4];
    CvParams params;
    CvPolicyHistory history;
    CvPolicy policy;
    CvDecision d;

    stalled_vgpu(samples, &params);
    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 2500;
    policy.patience_ms = 0; /* judged by the stall window: 9 passes, 15 s, no progress */
    policy.switchover_learned = TRUE;
    cv_policy_history_init(&history);
    d = cv_policy_decide(&policy, samples, 4, &params, &history);
    g_test_message("%s: %s", cv_decision_kind_to_string(d.kind), d.reason);
    /* never a bandwidth decision: there is no rate to set */
    g_assert_cmpint(d.kind, !=, CV_DECISION_SET_SWITCHOVER_BANDWIDTH);
    g_assert_nonnull(strstr(d.reason, "switchover-bandwidth = learned, nothing learned yet: "
                                      "treated as off"));
}

static void
test_engine_learned_applied(void)
{
    CvLearnedObservation obs[2] = {
        {.time_ms = 1, .blackout_bytes = 2 * GIB, .downtime_ms = 2000},
        {.time_ms = 2, .blackout_bytes = 2 * GIB, .downtime_ms = 2500},
    };
    CvSample samples[4];
    CvParams params;
    CvPolicyHistory history;
    CvPolicy policy;
    CvLearnedRate learned;
    CvDecision d;

    stalled_vgpu(samples, &params);
    cv_policy_init_default(&policy);
    policy.max_downtime_ms = 2500;
    policy.patience_ms = 0; /* judged by the stall window: 9 passes, 15 s, no progress */
    policy.switchover_learned = TRUE;
    policy.switchover_learned_max = 800 * MIB;
    /* the caller forgot the policy's bound: apply keeps it anyway */
    cv_learned_rate_compute(obs, 2, 5, 2, 0, 0, &learned);
    g_assert_true(learned.known);
    g_assert_true(cv_policy_apply_learned(&policy, &learned));
    g_assert_cmpuint(policy.switchover_bandwidth, ==, 800 * MIB);
    cv_policy_history_init(&history);
    d = cv_policy_decide(&policy, samples, 4, &params, &history);
    g_test_message("%s: %s", cv_decision_kind_to_string(d.kind), d.reason);
    g_assert_cmpint(d.kind, ==, CV_DECISION_SET_SWITCHOVER_BANDWIDTH);
    g_assert_cmpuint(d.value, ==, 800 * MIB);
}

static void
test_apply_not_known(void)
{
    CvLearnedRate learned;
    CvPolicy policy;

    cv_policy_init_default(&policy);
    policy.switchover_learned = TRUE;
    cv_learned_rate_compute(NULL, 0, 5, 2, 0, 0, &learned);
    g_assert_false(cv_policy_apply_learned(&policy, &learned));
    g_assert_cmpuint(policy.switchover_bandwidth, ==, 0);
    /* a policy that states a rate is not changed by what was learned */
    policy.switchover_learned = FALSE;
    policy.switchover_bandwidth = G10;
    learned.known = TRUE;
    learned.rate = MIB;
    g_assert_false(cv_policy_apply_learned(&policy, &learned));
    g_assert_cmpuint(policy.switchover_bandwidth, ==, G10);
}

typedef struct {
    const gchar *name;
    const gchar *input; /* NULL: repeat @repeat @unit times */
    const gchar *unit;
    guint repeat;
    const gchar *expect; /* NULL: only the properties */
} DomainRow;

static const DomainRow domain_rows[] = {
    {"ascii", "web-1", NULL, 0, "web-1"},
    {"null", NULL, NULL, 0, ""},
    {"exactly-127-bytes", NULL, "a", 127, NULL},
    {"two-byte-chars-cut-whole", NULL, "\xc3\xa9", 100, NULL},
    {"three-byte-chars-cut-whole", NULL, "\xe4\xb8\xad", 60, NULL},
    {"four-byte-chars-cut-whole", NULL, "\xf0\x9f\x96\xa5", 40, NULL},
    {"invalid-replaced", "vm\xff\xfe-1", NULL, 0, "vm\xef\xbf\xbd\xef\xbf\xbd-1"},
};

static void
test_observation_domain(gconstpointer data)
{
    const DomainRow *row = data;
    g_autofree gchar *input = NULL;
    CvLearnedObservation obs;
    gsize len;

    if (row->unit != NULL) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < row->repeat; i++)
            g_string_append(s, row->unit);
        input = g_string_free(g_steal_pointer(&s), FALSE);
    } else {
        input = g_strdup(row->input);
    }
    memset(&obs, 0x55, sizeof(obs));
    cv_learned_observation_set_domain(&obs, input);
    len = strlen(obs.domain);
    g_assert_cmpuint(len, <, sizeof(obs.domain));
    g_assert_true(g_utf8_validate(obs.domain, -1, NULL));
    if (row->expect != NULL) {
        g_assert_cmpstr(obs.domain, ==, row->expect);
    } else {
        /* a whole-character prefix, as long as fits */
        g_assert_true(strncmp(obs.domain, input, len) == 0);
        g_assert_cmpuint(len + strlen(row->unit), >=, sizeof(obs.domain));
        g_assert_cmpuint(len % strlen(row->unit), ==, 0);
    }
}

/* ---- the job window: libvirt's job statistics carry no downtime-bytes ------------------ */

#define JW_ABSENT G_MAXUINT64
#define JW_INVALID (G_MAXUINT64 - 1)
#define JW_MAX 4

typedef struct {
    guint64 processed; /* memory_processed (ram.transferred); JW_ABSENT, JW_INVALID */
    guint64 elapsed;   /* time_elapsed (total-time), ms; JW_ABSENT, JW_INVALID */
} JwReading;

typedef struct {
    const gchar *name;
    JwReading readings[JW_MAX]; /* oldest first */
    guint n_readings;
    JwReading final;
    gboolean ok;
    guint64 bytes;
    guint64 ms;
    guint back;
    const gchar *why; /* in the reason when not ok */
} JobWindowRow;

static const JobWindowRow job_window_rows[] = {
    /* the libvirt 9.0 sample (reference samples/libvirt-9.0-domjobinfo-*-rawstats.txt): the last
     * active reading and the completed job; +1 ms for the two readings' rounding */
    {"libvirt-9.0-sample", {{248422680, 3909}}, 1, {315666720, 4040}, TRUE, 67244040, 132, 0, NULL},
    /* the last reading's window is under 64 MiB: the one before it, longer, still errs low */
    {"last-too-small-earlier-used",
     {{100 * MIB, 3000}, {300 * MIB, 3950}},
     2,
     {320 * MIB, 4040},
     TRUE,
     220 * MIB,
     1041,
     1,
     NULL},
    /* 64 MiB in 49 ms read + 1 ms: exactly the floors */
    {"at-the-floors", {{0, 1000}}, 1, {64 * MIB, 1049}, TRUE, 64 * MIB, 50, 0, NULL},
    {"bytes-under-floor", {{0, 1000}}, 1, {10 * MIB, 1500}, FALSE, 0, 0, 0, "too small"},
    {"ms-under-floor", {{0, 1000}}, 1, {100 * MIB, 1029}, FALSE, 0, 0, 0, "too small"},
    {"bytes-went-back", {{300 * MIB, 1000}}, 1, {200 * MIB, 2000}, FALSE, 0, 0, 0, "went back"},
    {"clock-did-not-advance",
     {{100 * MIB, 2000}},
     1,
     {300 * MIB, 2000},
     FALSE,
     0,
     0,
     0,
     "went back"},
    {"clock-went-back", {{100 * MIB, 2000}}, 1, {300 * MIB, 10}, FALSE, 0, 0, 0, "went back"},
    /* the newest is too small, an older one above the end: another job's reading, refused */
    {"older-reading-went-back",
     {{500 * MIB, 1000}, {300 * MIB, 3950}},
     2,
     {320 * MIB, 4040},
     FALSE,
     0,
     0,
     0,
     "went back"},
    {"final-elapsed-missing",
     {{0, 1000}},
     1,
     {300 * MIB, JW_ABSENT},
     FALSE,
     0,
     0,
     0,
     "elapsed time is missing"},
    {"final-bytes-invalid", {{0, 1000}}, 1, {JW_INVALID, 2000}, FALSE, 0, 0, 0, "is invalid"},
    {"reading-elapsed-missing",
     {{0, JW_ABSENT}},
     1,
     {300 * MIB, 2000},
     FALSE,
     0,
     0,
     0,
     "precopy reading's transferred bytes or elapsed time is missing"},
    {"no-reading", {{0, 0}}, 0, {300 * MIB, 2000}, FALSE, 0, 0, 0, "no precopy reading"},
};

static void
jw_field(CvU64Field *field, guint64 value)
{
    if (value == JW_ABSENT) {
        field->state = CV_FIELD_ABSENT;
        field->value = 0;
    } else if (value == JW_INVALID) {
        field->state = CV_FIELD_INVALID;
        field->value = 0;
    } else {
        cv_field_set(field, value);
    }
}

static void
test_job_window(gconstpointer data)
{
    const JobWindowRow *row = data;
    CvLearnedJobReading readings[JW_MAX], final;
    CvLearnedObservation obs;
    guint64 bytes = 7, ms = 7;
    guint back = 7;
    gchar why[256] = "";

    for (guint i = 0; i < row->n_readings; i++) {
        jw_field(&readings[i].processed, row->readings[i].processed);
        jw_field(&readings[i].elapsed_ms, row->readings[i].elapsed);
    }
    jw_field(&final.processed, row->final.processed);
    jw_field(&final.elapsed_ms, row->final.elapsed);
    g_assert_cmpint(cv_learned_job_window(readings, row->n_readings, &final, &bytes, &ms, &back,
                                          why, sizeof(why)),
                    ==, row->ok);
    if (!row->ok) {
        g_test_message("why: %s", why);
        g_assert_nonnull(strstr(why, row->why));
        /* nothing written on failure */
        g_assert_cmpuint(bytes, ==, 7);
        g_assert_cmpuint(ms, ==, 7);
        return;
    }
    g_assert_cmpuint(bytes, ==, row->bytes);
    g_assert_cmpuint(ms, ==, row->ms);
    g_assert_cmpuint(back, ==, row->back);
    /* what it gives is an observation the statistic takes */
    memset(&obs, 0, sizeof(obs));
    obs.source = CV_LEARNED_SOURCE_JOB_WINDOW;
    obs.blackout_bytes = bytes;
    obs.downtime_ms = ms;
    g_assert_cmpuint(cv_learned_effective_rate(&obs), ==, bytes * 1000 / ms);
}

static void
test_source_names(void)
{
    CvLearnedSource source = CV_LEARNED_SOURCE_JOB_WINDOW;

    g_assert_cmpstr(cv_learned_source_to_string(CV_LEARNED_SOURCE_BLACKOUT), ==, "blackout");
    g_assert_cmpstr(cv_learned_source_to_string(CV_LEARNED_SOURCE_JOB_WINDOW), ==, "job-window");
    g_assert_true(cv_learned_source_from_string("blackout", &source));
    g_assert_cmpint(source, ==, CV_LEARNED_SOURCE_BLACKOUT);
    g_assert_true(cv_learned_source_from_string("job-window", &source));
    g_assert_cmpint(source, ==, CV_LEARNED_SOURCE_JOB_WINDOW);
    g_assert_false(cv_learned_source_from_string("window", &source));
    g_assert_false(cv_learned_source_from_string(NULL, &source));
    g_assert_cmpint(source, ==, CV_LEARNED_SOURCE_JOB_WINDOW);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/policy/learned/%s", rows[i].name);
        g_test_add_data_func(path, &rows[i], test_row);
    }
    g_test_add_func("/policy/learned/empty-input", test_empty_input);
    g_test_add_func("/policy/learned/apply-not-known", test_apply_not_known);
    g_test_add_func("/policy/learned/engine/unfed-is-off", test_engine_learned_unfed_is_off);
    g_test_add_func("/policy/learned/engine/applied", test_engine_learned_applied);
    for (gsize i = 0; i < G_N_ELEMENTS(job_window_rows); i++) {
        g_autofree gchar *p =
            g_strdup_printf("/policy/learned/job-window/%s", job_window_rows[i].name);
        g_test_add_data_func(p, &job_window_rows[i], test_job_window);
    }
    g_test_add_func("/policy/learned/source-names", test_source_names);
    for (guint i = 0; i < G_N_ELEMENTS(domain_rows); i++) {
        g_autofree gchar *p = g_strdup_printf("/policy/learned/domain/%s", domain_rows[i].name);
        g_test_add_data_func(p, &domain_rows[i], test_observation_domain);
    }
    return g_test_run();
}
