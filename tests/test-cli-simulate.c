/* Integration: every simulator scenario driven through `virt-converge simulate --json`, with
 * the outcome checked from the records (suite integration; needs virt-converge and
 * virt-converge-sim built). Each run is deterministic (--seed) and fast (high --speed). */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

typedef struct {
    gint exit_code;
    gchar *out;
    gchar *err;
    GPtrArray *records; /* JsonNode, one per line */
} Run;

static void
run_clear(Run *run)
{
    g_free(run->out);
    g_free(run->err);
    if (run->records != NULL)
        g_ptr_array_unref(run->records);
}

static gchar *
binary(const gchar *dir, const gchar *name)
{
    return g_test_build_filename(G_TEST_BUILT, "..", dir, name, NULL);
}

/* virt-converge ARGS...; with --json the stdout lines are parsed into records. */
static void
run_cli(Run *run, const gchar *const *args)
{
    g_autoptr(GStrvBuilder) argv_builder = g_strv_builder_new();
    g_auto(GStrv) argv = NULL;
    g_auto(GStrv) envp = g_get_environ();
    g_autofree gchar *cli = binary("agent", "virt-converge");
    g_autofree gchar *sim = binary("sim", "virt-converge-sim");
    g_autoptr(GError) error = NULL;
    g_autofree gchar *command = NULL;
    gint status = 0;

    memset(run, 0, sizeof(*run));
    g_strv_builder_add(argv_builder, cli);
    g_strv_builder_addv(argv_builder, (const gchar **)args);
    argv = g_strv_builder_end(argv_builder);
    envp = g_environ_setenv(envp, "CV_SIM_PATH", sim, TRUE);
    command = g_strjoinv(" ", argv);
    g_test_message("running %s", command);
    g_assert_true(g_spawn_sync(NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &run->out, &run->err,
                               &status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(status));
    run->exit_code = WEXITSTATUS(status);
    if (run->err[0] != '\0')
        g_test_message("stderr: %s", run->err);

    run->records = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    if (g_strv_contains(args, "--json")) {
        g_auto(GStrv) lines = g_strsplit(run->out, "\n", -1);

        for (guint i = 0; lines[i] != NULL; i++) {
            g_autoptr(JsonParser) parser = json_parser_new();

            if (lines[i][0] == '\0')
                continue;
            if (!json_parser_load_from_data(parser, lines[i], -1, &error))
                g_error("not a JSON line: %s (%s)", lines[i], error->message);
            g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
            g_ptr_array_add(run->records, json_node_copy(json_parser_get_root(parser)));
        }
    }
}

static JsonObject *
record(const Run *run, guint i)
{
    return json_node_get_object(g_ptr_array_index(run->records, i));
}

static const gchar *
record_kind(const Run *run, guint i)
{
    return json_object_get_string_member(record(run, i), "record");
}

/* The summary: exactly one, and the last line. */
static JsonObject *
summary(const Run *run)
{
    guint n = 0;

    for (guint i = 0; i < run->records->len; i++) {
        if (g_str_equal(record_kind(run, i), "summary"))
            n++;
    }
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpstr(record_kind(run, run->records->len - 1), ==, "summary");
    return record(run, run->records->len - 1);
}

/* Records of @kind whose "action" is @action (NULL: any). */
static GPtrArray *
records_of(const Run *run, const gchar *kind, const gchar *action)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < run->records->len; i++) {
        JsonObject *o = record(run, i);

        if (!g_str_equal(record_kind(run, i), kind))
            continue;
        if (action != NULL &&
            g_strcmp0(json_object_get_string_member_with_default(o, "action", ""), action) != 0)
            continue;
        g_ptr_array_add(out, o);
    }
    return out;
}

static guint
count_of(const Run *run, const gchar *kind, const gchar *action)
{
    g_autoptr(GPtrArray) found = records_of(run, kind, action);

    return found->len;
}

static gboolean
some_notice_contains(const Run *run, const gchar *needle)
{
    g_autoptr(GPtrArray) notices = records_of(run, "notice", NULL);

    for (guint i = 0; i < notices->len; i++) {
        if (strstr(json_object_get_string_member(g_ptr_array_index(notices, i), "message"),
                   needle) != NULL)
            return TRUE;
    }
    return FALSE;
}

/* Every downtime-limit the tuner sent stays within the cap, unless the engine's predicted
 * blackout (QEMU without switchover bandwidth) is within it. */
static void
assert_never_above_cap(const Run *run, gint64 cap)
{
    g_autoptr(GPtrArray) sets = records_of(run, "action", "set-downtime-limit");

    for (guint i = 0; i < sets->len; i++) {
        JsonObject *a = g_ptr_array_index(sets, i);
        gint64 value = json_object_get_int_member(a, "value");

        if (value > cap) {
            g_assert_true(json_object_has_member(a, "predicted-blackout-ms"));
            g_assert_cmpint(json_object_get_int_member(a, "predicted-blackout-ms"), <=, cap);
        }
    }
}

static guint
n_applied(const Run *run)
{
    g_autoptr(GPtrArray) actions = records_of(run, "action", NULL);
    guint n = 0;

    for (guint i = 0; i < actions->len; i++) {
        if (g_str_equal(json_object_get_string_member(g_ptr_array_index(actions, i), "result"),
                        "applied"))
            n++;
    }
    return n;
}

static gint
cvs_exit_of(JsonObject *sum)
{
    return (gint)json_object_get_int_member(sum, "exit-code");
}

static gchar *
data_file(const gchar *name)
{
    return g_test_build_filename(G_TEST_DIST, "..", "data", "examples", name, NULL);
}

/* ---- one test per scenario -------------------------------------------------------------- */

/* idle converges by itself: the tuner must not touch it. */
static void
test_idle(void)
{
    const gchar *args[] = {"simulate", "idle", "--json",      "--speed", "100",
                           "--seed",   "1",    "--no-events", NULL};
    Run run;
    JsonObject *sum;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 0);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "completed");
    g_assert_cmpint(json_object_get_int_member(sum, "changes"), ==, 0);
    g_assert_cmpuint(n_applied(&run), ==, 0);
    g_assert_cmpint(json_object_get_int_member(sum, "downtime-limit-ms"), ==, 300);
    g_assert_true(json_object_has_member(sum, "downtime-ms"));
    run_clear(&run);
}

/* The vGPU case under 11.1: switchover bandwidth first, then one raise to just above
 * QEMU's expected-downtime, and it completes. */
static void
test_vgpu(void)
{
    g_autofree gchar *conf = data_file("vgpu-demo.conf");
    const gchar *args[] = {"simulate", "vgpu-2g",     "--config", conf, "--policy",
                           "vgpu-10g", "--json",      "--speed",  "20", "--seed",
                           "1",        "--no-events", NULL};
    Run run;
    JsonObject *sum;
    g_autoptr(GPtrArray) bw = NULL;
    g_autoptr(GPtrArray) limits = NULL;
    g_autoptr(GPtrArray) decisions = NULL;
    gint64 limit, expected = 0;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 0);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "completed");
    g_assert_true(json_object_get_boolean_member(sum, "converged"));
    bw = records_of(&run, "action", "set-switchover-bandwidth");
    g_assert_cmpuint(bw->len, ==, 1);
    g_assert_cmpint(json_object_get_int_member(g_ptr_array_index(bw, 0), "value"), ==, 1073741824);
    g_assert_cmpstr(json_object_get_string_member(g_ptr_array_index(bw, 0), "result"), ==,
                    "applied");
    limits = records_of(&run, "action", "set-downtime-limit");
    g_assert_cmpuint(limits->len, ==, 1);
    limit = json_object_get_int_member(g_ptr_array_index(limits, 0), "value");
    /* the expected-downtime the engine used, from the decision that raised it */
    decisions = records_of(&run, "decision", "set-downtime-limit");
    g_assert_cmpuint(decisions->len, ==, 1);
    expected = json_object_get_int_member(g_ptr_array_index(decisions, 0), "needed-downtime-ms");
    g_assert_cmpint(expected, >=, 1850);
    g_assert_cmpint(expected, <=, 1960);
    g_assert_cmpint(limit, >, expected);
    g_assert_cmpint(limit, <=, expected * 105 / 100 + 10);
    g_assert_cmpint(limit, <=, json_object_get_int_member(sum, "max-downtime-ms"));
    g_assert_cmpint(json_object_get_int_member(sum, "changes"), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(sum, "estimate"), ==, "qemu-all-devices");
    /* the lower bound: 1.91 GiB at 1 GiB/s */
    g_assert_cmpint(json_object_get_int_member(sum, "lower-bound-ms"), >=, 1850);
    g_assert_cmpint(json_object_get_int_member(sum, "lower-bound-ms"), <=, 1960);
    g_assert_cmpint(json_object_get_int_member(sum, "downtime-ms"), >, 0);
    run_clear(&run);
}

/* Dry run: still at 300 ms after N iterations, exit 6, nothing changed. */
static void
test_vgpu_dry_run(void)
{
    g_autofree gchar *conf = data_file("vgpu-demo.conf");
    const gchar *args[] = {"simulate", "vgpu-2g",  "--config",    conf,
                           "--policy", "vgpu-10g", "--dry-run",   "--max-passes",
                           "20",       "--json",   "--speed",     "20",
                           "--seed",   "1",        "--no-events", NULL};
    Run run;
    JsonObject *sum;
    g_autoptr(GPtrArray) samples = NULL;
    g_autoptr(GPtrArray) actions = NULL;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 6);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "detached");
    g_assert_true(json_object_get_boolean_member(sum, "dry-run"));
    g_assert_cmpint(json_object_get_int_member(sum, "changes"), ==, 0);
    g_assert_cmpint(json_object_get_int_member(sum, "evaluations"), ==, 20);
    g_assert_cmpint(json_object_get_int_member(sum, "downtime-limit-ms"), ==, 300);
    samples = records_of(&run, "sample", NULL);
    g_assert_cmpuint(samples->len, ==, 20);
    for (guint i = 0; i < samples->len; i++)
        g_assert_cmpint(
            json_object_get_int_member(g_ptr_array_index(samples, i), "downtime-limit-ms"), ==,
            300);
    actions = records_of(&run, "action", NULL);
    g_assert_cmpuint(actions->len, >=, 1);
    for (guint i = 0; i < actions->len; i++)
        g_assert_cmpstr(json_object_get_string_member(g_ptr_array_index(actions, i), "result"), ==,
                        "dry-run");
    g_assert_cmpuint(count_of(&run, "restore", NULL), ==, 0);
    run_clear(&run);
}

/* RAM only, dirtying faster than it sends: one raise within the cap converges it. */
static void
test_ram_hog(void)
{
    const gchar *args[] = {"simulate", "ram-hog", "--json",      "--speed", "100",
                           "--seed",   "1",       "--no-events", NULL};
    Run run;
    JsonObject *sum;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 0);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "completed");
    g_assert_cmpint(json_object_get_int_member(sum, "changes"), >=, 1);
    g_assert_cmpint(json_object_get_int_member(sum, "downtime-limit-ms"), <=,
                    json_object_get_int_member(sum, "max-downtime-ms"));
    assert_never_above_cap(&run, json_object_get_int_member(sum, "max-downtime-ms"));
    g_assert_cmpint(json_object_get_int_member(sum, "downtime-ms"), <=,
                    json_object_get_int_member(sum, "max-downtime-ms"));
    run_clear(&run);
}

/* A device state no sane cap allows: the policy's last step (abort), with its reason, and what
 * was changed is restored. */
static void
test_hopeless(void)
{
    const gchar *args[] = {"simulate", "hopeless", "--json",      "--speed", "100",
                           "--seed",   "1",        "--no-events", NULL};
    Run run;
    JsonObject *sum, *last;
    g_autoptr(GPtrArray) aborts = NULL;
    g_autoptr(GPtrArray) restores = NULL;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 4);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "aborted");
    g_assert_cmpstr(json_object_get_string_member(sum, "status"), ==, "cancelled");
    aborts = records_of(&run, "action", "abort");
    g_assert_cmpuint(aborts->len, ==, 1);
    last = g_ptr_array_index(aborts, 0);
    g_assert_cmpstr(json_object_get_string_member(last, "result"), ==, "applied");
    g_assert_nonnull(strstr(json_object_get_string_member(last, "reason"), "abort"));
    assert_never_above_cap(&run, json_object_get_int_member(sum, "max-downtime-ms"));
    restores = records_of(&run, "restore", "set-downtime-limit");
    g_assert_cmpuint(restores->len, ==, 1);
    g_assert_cmpint(json_object_get_int_member(g_ptr_array_index(restores, 0), "value"), ==, 300);
    g_assert_cmpint(json_object_get_int_member(sum, "downtime-limit-ms"), ==, 300);
    g_assert_cmpint(json_object_get_int_member(sum, "restore-failures"), ==, 0);
    run_clear(&run);
}

/* A strict policy whose last step is abort, on a guest that could converge with more: the
 * reason names the escalation. */
static void
test_strict_policy_last_step(void)
{
    g_autofree gchar *conf =
        g_test_build_filename(G_TEST_DIST, "data", "cli-simulate", "link-10g.conf", NULL);
    const gchar *args[] = {"simulate", "ram-hog",     "--config", conf,  "--policy",
                           "strict",   "--json",      "--speed",  "100", "--seed",
                           "1",        "--no-events", NULL};
    Run run;
    JsonObject *sum;
    g_autoptr(GPtrArray) aborts = NULL;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 4);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "policy"), ==, "strict");
    aborts = records_of(&run, "action", "abort");
    g_assert_cmpuint(aborts->len, ==, 1);
    g_assert_nonnull(
        strstr(json_object_get_string_member(g_ptr_array_index(aborts, 0), "reason"), "2/2"));
    assert_never_above_cap(&run, 100);
    run_clear(&run);
}

/* A VFIO driver reporting garbage sizes: never above the cap, no action on invalid readings;
 * it ends completed. Polling only: at this speed the model iterates ~400000 times a real
 * second, more events than a client can parse. */
static void
test_vfio_garbage(void)
{
    const gchar *args[] = {"simulate", "vfio-garbage", "--json", "--speed", "100", "--seed",
                           "1",        "--no-events",  NULL};
    Run run;
    JsonObject *sum;
    g_autoptr(GPtrArray) decisions = NULL;
    gboolean blind = FALSE;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 0);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "completed");
    assert_never_above_cap(&run, json_object_get_int_member(sum, "max-downtime-ms"));
    decisions = records_of(&run, "decision", NULL);
    for (guint i = 0; i < decisions->len; i++) {
        JsonObject *d = g_ptr_array_index(decisions, i);

        if (g_str_equal(json_object_get_string_member(d, "verdict"), "blind")) {
            blind = TRUE;
            g_assert_cmpstr(json_object_get_string_member(d, "action"), ==, "none");
        }
    }
    g_assert_true(blind);
    run_clear(&run);
}

typedef struct {
    const gchar *name;
    const gchar *scenario;
    const gchar *policy; /* in link-10g.conf; NULL = the built-in default */
    gint exit_code;
    const gchar *outcome;
} OutcomeRow;

static const OutcomeRow outcome_rows[] = {
    /* the precopy rate halves and the dirty rate beats it: the default 1 s cap is not enough
     * at the measured rate, so the default policy ends in abort */
    {"bandwidth-drop-default", "bandwidth-drop", NULL, 4, "aborted"},
    /* with the link stated, QEMU judges the final copy by it, and it converges */
    {"bandwidth-drop-link-10g", "bandwidth-drop", "link-10g", 0, "completed"},
    /* busy, then calm: it completes */
    {"converge-late-default", "converge-late", NULL, 0, "completed"},
};

static void
test_outcome(gconstpointer data)
{
    const OutcomeRow *row = data;
    g_autofree gchar *conf =
        g_test_build_filename(G_TEST_DIST, "data", "cli-simulate", "link-10g.conf", NULL);
    const gchar *args[] = {"simulate", row->scenario, "--json",      "--speed",  "100",
                           "--seed",   "1",           "--no-events", "--config", conf,
                           "--policy", row->policy,   NULL};
    Run run;
    JsonObject *sum;

    if (row->policy == NULL)
        args[8] = NULL;
    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, row->exit_code);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, row->outcome);
    assert_never_above_cap(&run, json_object_get_int_member(sum, "max-downtime-ms"));
    g_assert_cmpint(json_object_get_int_member(sum, "restore-failures"), ==, 0);
    if (row->exit_code != 0)
        g_assert_cmpint(json_object_get_int_member(sum, "downtime-limit-ms"), ==, 300);
    run_clear(&run);
}

/* QEMU 7.2: no system-wide remaining, no switchover bandwidth: the tuner names its fallback
 * and never sends avail-switchover-bandwidth. */
static void
test_qemu72_fallback(void)
{
    g_autofree gchar *conf =
        g_test_build_filename(G_TEST_DIST, "data", "cli-simulate", "link-10g.conf", NULL);
    const gchar *args[] = {
        "simulate", "ram-hog", "--qemu-version", "7.2", "--config", conf, "--policy",
        "link-10g", "--json",  "--speed",        "100", "--seed",   "1",  "--no-events",
        NULL};
    Run run;
    JsonObject *sum, *attach;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 0);
    g_assert_cmpstr(record_kind(&run, 1), ==, "attach");
    attach = record(&run, 1);
    g_assert_true(g_str_has_prefix(json_object_get_string_member(attach, "qemu-version"), "7.2."));
    g_assert_false(json_object_get_boolean_member(attach, "switchover-bandwidth-supported"));
    g_assert_true(some_notice_contains(&run, "no avail-switchover-bandwidth"));
    g_assert_true(some_notice_contains(&run, "blackout predicted as pending / 1.00 GiB/s"));
    g_assert_true(some_notice_contains(&run, "no system-wide remaining"));
    g_assert_true(some_notice_contains(&run, "estimate: expected-downtime (RAM only"));
    g_assert_cmpuint(count_of(&run, "action", "set-switchover-bandwidth"), ==, 0);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "completed");
    g_assert_cmpstr(json_object_get_string_member(sum, "estimate"), ==, "qemu-ram-only");
    g_assert_false(json_object_get_boolean_member(sum, "system-wide-remaining"));
    g_assert_false(json_object_get_boolean_member(sum, "switchover-bandwidth-supported"));
    assert_never_above_cap(&run, json_object_get_int_member(sum, "max-downtime-ms"));
    run_clear(&run);
}

/* QEMU 7.2 with the link stated and a tight cap: a limit above the cap is allowed only with a
 * predicted blackout within it, and both numbers are reported. */
static void
test_qemu72_predicted_blackout(void)
{
    g_autofree gchar *conf =
        g_test_build_filename(G_TEST_DIST, "data", "cli-simulate", "link-10g.conf", NULL);
    const gchar *args[] = {
        "simulate",   "ram-hog", "--qemu-version", "7.2", "--config", conf, "--policy",
        "link-tight", "--json",  "--speed",        "100", "--seed",   "1",  "--no-events",
        NULL};
    Run run;
    JsonObject *sum;
    g_autoptr(GPtrArray) sets = NULL;
    gboolean above = FALSE;

    run_cli(&run, args);
    sum = summary(&run);
    g_assert_cmpint(json_object_get_int_member(sum, "max-downtime-ms"), ==, 300);
    sets = records_of(&run, "action", "set-downtime-limit");
    g_assert_cmpuint(sets->len, >=, 1);
    for (guint i = 0; i < sets->len; i++) {
        JsonObject *a = g_ptr_array_index(sets, i);

        if (json_object_get_int_member(a, "value") > 300) {
            above = TRUE;
            g_assert_cmpint(json_object_get_int_member(a, "predicted-blackout-ms"), <=, 300);
            g_assert_nonnull(
                strstr(json_object_get_string_member(a, "reason"), "predicted blackout"));
        }
    }
    g_assert_true(above);
    assert_never_above_cap(&run, 300);
    g_assert_cmpint(run.exit_code, ==, cvs_exit_of(sum));
    run_clear(&run);
}

/* The human output tells the same story. */
/* The human output tells the same story; this run keeps QEMU's migration events on (the
 * others poll: at --speed 100 the simulator emits ~100000 events a real second, more than
 * its own replies can get through in time on a loaded machine). */
static void
test_human_output(void)
{
    g_autofree gchar *conf = data_file("vgpu-demo.conf");
    const gchar *args[] = {"simulate", "vgpu-2g", "--config", conf, "--policy", "vgpu-10g",
                           "--speed",  "20",      "--seed",   "1",  NULL};
    Run run;

    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 0);
    g_assert_nonnull(strstr(run.out, "simulate: scenario vgpu-2g, QEMU 11.1 semantics"));
    g_assert_nonnull(strstr(run.out, "migration events on"));
    g_assert_nonnull(strstr(run.out, "PASS REMAINING"));
    g_assert_nonnull(strstr(run.out, ">> applied: switchover-bandwidth 1.00 GiB/s"));
    g_assert_nonnull(strstr(run.out, ">> applied: downtime-limit"));
    g_assert_nonnull(strstr(run.out, "summary: completed (exit 0)"));
    g_assert_nonnull(strstr(run.out, "lower bound:"));
    run_clear(&run);
}

/* The simulator dies mid-migration: QEMU went away, exit 5, no hang. */
static void
test_simulator_dies(void)
{
    g_autofree gchar *dir = g_dir_make_tmp("cv-test-XXXXXX", NULL);
    g_autofree gchar *wrapper = g_build_filename(dir, "sim-dies", NULL);
    g_autofree gchar *sim = binary("sim", "virt-converge-sim");
    g_autofree gchar *script =
        g_strdup_printf("#!/bin/sh\nexec timeout -s KILL 1 '%s' \"$@\"\n", sim);
    g_autofree gchar *sim_opt = g_strdup_printf("--simulator=%s", wrapper);
    const gchar *args[] = {"simulate", "vgpu-2g", "--json",      "--speed",
                           "10",       sim_opt,   "--no-events", NULL};
    Run run;
    JsonObject *sum;

    g_assert_true(g_file_set_contents(wrapper, script, -1, NULL));
    g_assert_cmpint(g_chmod(wrapper, 0755), ==, 0);
    run_cli(&run, args);
    g_assert_cmpint(run.exit_code, ==, 5);
    sum = summary(&run);
    g_assert_cmpstr(json_object_get_string_member(sum, "outcome"), ==, "qemu-gone");
    g_assert_nonnull(strstr(run.err, "QEMU"));
    run_clear(&run);
    g_unlink(wrapper);
    g_rmdir(dir);
}

/* Usage errors: exit 1 with a message. */
static void
test_usage_errors(void)
{
    const gchar *no_scenario[] = {"simulate", NULL};
    const gchar *bad_scenario[] = {"simulate", "no-such-scenario", "--speed", "100", NULL};
    const gchar *bad_policy[] = {"simulate", "idle", "--policy", "nope", NULL};
    const gchar *connect[] = {"-c", "qemu:///system", "simulate", "idle", NULL};
    const gchar *const *cases[] = {no_scenario, bad_scenario, bad_policy, connect};

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        Run run;

        run_cli(&run, cases[i]);
        g_assert_cmpint(run.exit_code, ==, 1);
        g_assert_cmpstr(run.err, !=, "");
        run_clear(&run);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cli-simulate/idle", test_idle);
    g_test_add_func("/cli-simulate/vgpu-2g", test_vgpu);
    g_test_add_func("/cli-simulate/vgpu-2g-dry-run", test_vgpu_dry_run);
    g_test_add_func("/cli-simulate/ram-hog", test_ram_hog);
    g_test_add_func("/cli-simulate/hopeless", test_hopeless);
    g_test_add_func("/cli-simulate/strict-policy-last-step", test_strict_policy_last_step);
    g_test_add_func("/cli-simulate/vfio-garbage", test_vfio_garbage);
    for (gsize i = 0; i < G_N_ELEMENTS(outcome_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/cli-simulate/%s", outcome_rows[i].name);

        g_test_add_data_func(path, &outcome_rows[i], test_outcome);
    }
    g_test_add_func("/cli-simulate/qemu-7.2-fallback", test_qemu72_fallback);
    g_test_add_func("/cli-simulate/qemu-7.2-predicted-blackout", test_qemu72_predicted_blackout);
    g_test_add_func("/cli-simulate/human-output", test_human_output);
    g_test_add_func("/cli-simulate/simulator-dies", test_simulator_dies);
    g_test_add_func("/cli-simulate/usage-errors", test_usage_errors);
    return g_test_run();
}
