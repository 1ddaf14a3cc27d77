/* cv-bench-qemu: ours against the baselines on real QEMU 7.2 migrations (the e2e set-up: two
 * TCG QEMUs on loopback, a guest that dirties a region of memory, max-bandwidth throttling the
 * stream), each tuned by a CvTuner through the QMP target on the real clock.
 *
 *   cv-bench-qemu --qemu PATH --kernel-dir DIR --region MB --bandwidth MiB/s
 *                 [--policy NAME]... [--timeout S] [--seed N]
 *
 * DIR holds dirtier-MB.elf (bench/meson.build assembles tests/e2e/dirtier.S for each size).
 * One JSON object per run on stdout. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-bench-baseline.h"
#include "cv-bench-harness.h"
#include "cv-clock.h"
#include "cv-config.h"
#include "cv-target-qmp.h"
#include "cv-tuner-private.h"
#include "cv-tuner.h"

/* A blocking QMP connection for the set-up only (the tuner has its own monitor). */
/* The downtime-limit every run starts from (QEMU's default, set explicitly). */
#define START_LIMIT_MS 300u

typedef struct {
    GSocketConnection *conn;
    GDataInputStream *in;
    GOutputStream *out;
} Qmp;

static void
qmp_close(Qmp *q)
{
    g_clear_object(&q->in);
    if (q->conn != NULL)
        g_io_stream_close(G_IO_STREAM(q->conn), NULL, NULL);
    g_clear_object(&q->conn);
}

/* Send @line and return the "return" member of the reply (events before it are skipped). */
static JsonNode *
qmp_call(Qmp *q, const gchar *line, GError **error)
{
    g_autofree gchar *full = g_strconcat(line, "\n", NULL);

    if (!g_output_stream_write_all(q->out, full, strlen(full), NULL, NULL, error))
        return NULL;
    for (;;) {
        g_autofree gchar *reply = g_data_input_stream_read_line(q->in, NULL, NULL, error);
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o;

        if (reply == NULL) {
            if (error != NULL && *error == NULL)
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "QEMU closed the monitor");
            return NULL;
        }
        if (!json_parser_load_from_data(parser, reply, -1, error))
            return NULL;
        o = json_node_get_object(json_parser_get_root(parser));
        if (o == NULL || json_object_has_member(o, "event"))
            continue;
        if (json_object_has_member(o, "error")) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", line, reply);
            return NULL;
        }
        return json_node_copy(json_object_get_member(o, "return"));
    }
}

static gboolean
qmp_open(Qmp *q, const gchar *path, GError **error)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
    g_autofree gchar *greeting = NULL;
    g_autoptr(JsonNode) ret = NULL;
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while ((q->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, NULL)) ==
           NULL) {
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no QMP on %s", path);
            return FALSE;
        }
        g_usleep(20000);
    }
    q->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(q->conn)));
    q->out = g_io_stream_get_output_stream(G_IO_STREAM(q->conn));
    greeting = g_data_input_stream_read_line(q->in, NULL, NULL, error);
    if (greeting == NULL)
        return FALSE;
    ret = qmp_call(q, "{\"execute\":\"qmp_capabilities\"}", error);
    return ret != NULL;
}

static GSubprocess *
spawn_qemu(const gchar *qemu, const gchar *kernel, const gchar *dir, const gchar *name,
           gboolean incoming, GError **error)
{
    g_autofree gchar *serial = g_strdup_printf("file:%s/%s.serial", dir, name);
    g_autofree gchar *log = g_strdup_printf("%s/%s.log", dir, name);
    g_autofree gchar *qmp = g_strdup_printf("unix:%s/%s.qmp,server=on,wait=off", dir, name);
    g_autofree gchar *tune = g_strdup_printf("unix:%s/%s-tune.qmp,server=on,wait=off", dir, name);
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);

    g_subprocess_launcher_set_stdout_file_path(l, log);
    if (incoming)
        return g_subprocess_launcher_spawn(l, error, qemu, "-accel", "tcg", "-m", "256", "-display",
                                           "none", "-nodefaults", "-kernel", kernel, "-serial",
                                           serial, "-qmp", qmp, "-incoming", "defer", NULL);
    return g_subprocess_launcher_spawn(l, error, qemu, "-accel", "tcg", "-m", "256", "-display",
                                       "none", "-nodefaults", "-kernel", kernel, "-serial", serial,
                                       "-qmp", qmp, "-qmp", tune, NULL);
}

typedef struct {
    const gchar *name;
    gboolean baseline;
    CvBenchBaselineKind kind;
    CvPolicy policy;
    guint64 cap_ms;
    gboolean events;
    guint poll_ms;
} Policy;

typedef struct {
    guint64 max_limit;
    gint64 first_change_ms;
    /* the first change that brings the switchover nearer (a limit above the 300 ms set at the
     * start, post-copy, pause, abort): when, and at which pass (dirty-sync-count) */
    gint64 first_action_ms;
    gint64 first_action_pass;
} Watch;

static void
record_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Watch *w = user_data;
    gboolean toward;

    if (record->kind != CV_TUNER_RECORD_ACTION || record->action->result != CV_TUNER_RESULT_APPLIED)
        return;
    toward = (record->action->kind == CV_DECISION_SET_DOWNTIME_LIMIT &&
              record->action->value > START_LIMIT_MS) ||
             record->action->kind == CV_DECISION_START_POSTCOPY ||
             record->action->kind == CV_DECISION_PAUSE_GUEST ||
             record->action->kind == CV_DECISION_ABORT;
    if (toward && w->first_action_ms < 0) {
        w->first_action_ms = record->action->time_ms;
        w->first_action_pass =
            cv_field_valid(&record->action->pass) ? (gint64)record->action->pass.value : -1;
    }
    if (record->action->kind == CV_DECISION_SET_DOWNTIME_LIMIT) {
        w->max_limit = MAX(w->max_limit, record->action->value);
        if (w->first_change_ms < 0)
            w->first_change_ms = record->action->time_ms;
    }
}

/* Two QEMUs, the destination listening, the source throttled: everything a run needs. */
typedef struct {
    gchar *dir;
    GSubprocess *src;
    GSubprocess *dst;
    Qmp s, d;
    gchar *tune; /* the source's second monitor, the tuner's */
    gchar *uri;  /* where the destination listens */
} Pair;

static void
pair_clear(Pair *pair)
{
    qmp_close(&pair->s);
    qmp_close(&pair->d);
    if (pair->src != NULL) {
        g_subprocess_force_exit(pair->src);
        g_subprocess_wait(pair->src, NULL, NULL);
    }
    if (pair->dst != NULL) {
        g_subprocess_force_exit(pair->dst);
        g_subprocess_wait(pair->dst, NULL, NULL);
    }
    g_clear_object(&pair->src);
    g_clear_object(&pair->dst);
    if (pair->dir != NULL) {
        g_autoptr(GDir) gd = g_dir_open(pair->dir, 0, NULL);
        const gchar *name;

        while (gd != NULL && (name = g_dir_read_name(gd)) != NULL) {
            g_autofree gchar *path = g_build_filename(pair->dir, name, NULL);

            g_unlink(path);
        }
        g_rmdir(pair->dir);
    }
    g_clear_pointer(&pair->dir, g_free);
    g_clear_pointer(&pair->tune, g_free);
    g_clear_pointer(&pair->uri, g_free);
}

static gboolean
pair_setup(Pair *pair, const gchar *qemu, const gchar *kernel, guint bandwidth, GError **error)
{
    g_autofree gchar *src_qmp = NULL;
    g_autofree gchar *dst_qmp = NULL;
    g_autofree gchar *set_bw = NULL;
    g_autoptr(JsonNode) listen = NULL;
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(JsonNode) set = NULL;
    JsonObject *address;

    pair->dir = g_dir_make_tmp("cv-bench-qemu-XXXXXX", error);
    if (pair->dir == NULL)
        return FALSE;
    src_qmp = g_build_filename(pair->dir, "src.qmp", NULL);
    dst_qmp = g_build_filename(pair->dir, "dst.qmp", NULL);
    pair->tune = g_build_filename(pair->dir, "src-tune.qmp", NULL);
    pair->src = spawn_qemu(qemu, kernel, pair->dir, "src", FALSE, error);
    if (pair->src == NULL)
        return FALSE;
    pair->dst = spawn_qemu(qemu, kernel, pair->dir, "dst", TRUE, error);
    if (pair->dst == NULL || !qmp_open(&pair->s, src_qmp, error) ||
        !qmp_open(&pair->d, dst_qmp, error))
        return FALSE;
    listen = qmp_call(&pair->d,
                      "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":"
                      "\"tcp:127.0.0.1:0\"}}",
                      error);
    if (listen == NULL)
        return FALSE;
    state = qmp_call(&pair->d, "{\"execute\":\"query-migrate\"}", error);
    if (state == NULL)
        return FALSE;
    address = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(state), "socket-address"), 0);
    pair->uri = g_strdup_printf("tcp:%s:%s", json_object_get_string_member(address, "host"),
                                json_object_get_string_member(address, "port"));
    /* the operator's throttle: what the migration's network allows (the same for all) */
    set_bw = g_strdup_printf("{\"execute\":\"migrate-set-parameters\",\"arguments\":"
                             "{\"max-bandwidth\":%u,\"downtime-limit\":%u}}",
                             bandwidth * 1048576u, START_LIMIT_MS);
    set = qmp_call(&pair->s, set_bw, error);
    if (set == NULL)
        return FALSE;
    /* the guest is up and dirtying before the migration starts */
    g_usleep(300000);
    return TRUE;
}

static gboolean
run_one(const gchar *qemu, const gchar *kernel, guint region, guint bandwidth, const Policy *p,
        gdouble timeout_s, guint seed, GError **error)
{
    g_autoptr(CvClock) clock = cv_clock_new_monotonic();
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    Pair pair = {0};
    CvTarget *target;
    CvTuner *tuner;
    CvTunerOptions options;
    CvBenchBaseline baseline;
    Watch watch = {0, -1, -1, -1};
    const CvTunerSummary *sum;

    if (!pair_setup(&pair, qemu, kernel, bandwidth, error)) {
        pair_clear(&pair);
        return FALSE;
    }
    cv_tuner_options_init(&options);
    options.policy = p->policy;
    options.poll_interval_ms = p->poll_ms;
    if (!p->events)
        options.idle_eval_interval_ms = p->poll_ms;
    options.min_eval_interval_ms = MIN(options.min_eval_interval_ms, p->poll_ms);
    options.timeout_ms = (guint64)(timeout_s * 1000);
    options.start_uri = pair.uri;
    target = cv_target_qmp_new(pair.tune, NULL);
    cv_target_qmp_set_enable_events(target, p->events);
    tuner = cv_tuner_new(target, clock, &options);
    cv_tuner_set_record_func(tuner, record_cb, &watch);
    if (p->baseline) {
        cv_bench_baseline_init(&baseline, p->kind, 256 * 1048576ull, FALSE);
        cv_bench_baseline_set_phase(
            &baseline,
            (gint64)g_rand_double_range(rand, 1, cv_bench_baseline_info(p->kind)->poll_ms));
        cv_tuner_set_decide_func(tuner, cv_bench_baseline_decide, &baseline);
    }
    cv_tuner_start(tuner);
    while (!cv_tuner_is_finished(tuner))
        g_main_context_iteration(NULL, TRUE);
    sum = cv_tuner_get_summary(tuner);
    printf(
        "{\"region_mb\":%u,\"bandwidth_mib\":%u,\"policy\":\"%s\",\"seed\":%u,"
        "\"outcome\":\"%s\",\"converged\":%s,\"elapsed_s\":%.2f,\"total_time_ms\":%" G_GINT64_FORMAT
        ",\"downtime_ms\":%" G_GINT64_FORMAT ",\"max_limit_ms\":%" G_GUINT64_FORMAT
        ",\"first_change_s\":%.2f,\"first_action_s\":%.2f,\"first_action_pass\":%" G_GINT64_FORMAT
        ",\"changes\":%u,\"cap_ms\":%" G_GUINT64_FORMAT ",\"passes\":%" G_GINT64_FORMAT "}\n",
        region, bandwidth, p->name, seed, cv_tuner_outcome_to_string(sum->outcome),
        sum->outcome == CV_TUNER_OUTCOME_COMPLETED ? "true" : "false",
        (gdouble)sum->elapsed_ms / 1000.0,
        cv_field_valid(&sum->total_time_ms) ? (gint64)sum->total_time_ms.value : (gint64)-1,
        cv_field_valid(&sum->downtime_ms) ? (gint64)sum->downtime_ms.value : (gint64)-1,
        watch.max_limit, watch.first_change_ms >= 0 ? watch.first_change_ms / 1000.0 : -1.0,
        watch.first_action_ms >= 0 ? watch.first_action_ms / 1000.0 : -1.0, watch.first_action_pass,
        sum->n_changes, p->cap_ms,
        cv_field_valid(&sum->passes) ? (gint64)sum->passes.value : (gint64)-1);
    fflush(stdout);
    cv_tuner_free(tuner);
    cv_target_free(target);
    pair_clear(&pair);
    return TRUE;
}

static gboolean
make_policy(const gchar *name, CvConfig *config, Policy *p)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    if (g_str_has_prefix(name, "ours")) {
        p->policy = *cv_config_get_policy(config, "default");
        /* the link the final copy really gets on loopback (QEMU lifts the throttle there):
         * stated conservatively at 1 GiB/s */
        if (g_strcmp0(name, "ours+link") == 0)
            p->policy.switchover_bandwidth = G_GUINT64_CONSTANT(1) << 30;
        p->cap_ms = p->policy.max_downtime_ms;
        p->events = TRUE;
        p->poll_ms = 1000;
        return TRUE;
    }
    if (!cv_bench_baseline_from_name(name, &p->kind))
        return FALSE;
    p->baseline = TRUE;
    cv_policy_init_default(&p->policy);
    g_strlcpy(p->policy.name, name, sizeof(p->policy.name));
    p->policy.max_downtime_ms = cv_bench_baseline_info(p->kind)->max_limit_ms;
    /* no anchor keeps a switchover reserve (see cv_bench_policy_baseline) */
    p->policy.switchover_reserve_ms = 0;
    p->cap_ms = cv_bench_baseline_info(p->kind)->cap_ms;
    p->events = cv_bench_baseline_info(p->kind)->events;
    p->poll_ms = p->kind == CV_BENCH_BASELINE_PROXMOX ? CV_BENCH_PROXMOX_FAST_POLL_MS
                                                      : cv_bench_baseline_info(p->kind)->poll_ms;
    return TRUE;
}

int
main(int argc, char **argv)
{
    g_autofree gchar *qemu = NULL;
    g_autofree gchar *kernel_dir = NULL;
    g_auto(GStrv) names = NULL;
    gint region = 64, bandwidth = 64, seed = 1;
    gdouble timeout = 90;
    const GOptionEntry entries[] = {
        {"qemu", 0, 0, G_OPTION_ARG_FILENAME, &qemu, "qemu-system-x86_64", "PATH"},
        {"kernel-dir", 0, 0, G_OPTION_ARG_FILENAME, &kernel_dir, "where dirtier-MB.elf are", "DIR"},
        {"region", 0, 0, G_OPTION_ARG_INT, &region, "dirtied region, MiB (default 64)", "MB"},
        {"bandwidth", 0, 0, G_OPTION_ARG_INT, &bandwidth, "max-bandwidth, MiB/s (default 64)", "N"},
        {"policy", 0, 0, G_OPTION_ARG_STRING_ARRAY, &names, "policy (repeatable)", "NAME"},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, "give up a run after S (default 90)", "S"},
        {"seed", 0, 0, G_OPTION_ARG_INT, &seed, "phase of the baselines' poll loops", "N"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- real QEMU 7.2 migrations");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = NULL;
    g_autofree gchar *kernel = NULL;
    g_autofree gchar *conf_path = g_build_filename(SOURCE_DATADIR, "virt-converged.conf", NULL);
    gint status = 0;

    cv_bench_log_init();

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || qemu == NULL ||
        kernel_dir == NULL || names == NULL) {
        g_printerr("cv-bench-qemu: --qemu, --kernel-dir and --policy are needed\n");
        return 2;
    }
    kernel = g_strdup_printf("%s/dirtier-%d.elf", kernel_dir, region);
    if (!g_file_test(kernel, G_FILE_TEST_EXISTS)) {
        g_printerr("cv-bench-qemu: no %s\n", kernel);
        return 2;
    }
    config = cv_config_load(conf_path, NULL, &error);
    if (config == NULL) {
        g_printerr("cv-bench-qemu: %s\n", error->message);
        return 1;
    }
    for (guint i = 0; names[i] != NULL; i++) {
        Policy p;
        g_autoptr(GError) local = NULL;

        if (!make_policy(names[i], config, &p)) {
            g_printerr("cv-bench-qemu: unknown policy %s\n", names[i]);
            return 2;
        }
        if (!run_one(qemu, kernel, (guint)region, (guint)bandwidth, &p, timeout, (guint)seed,
                     &local)) {
            g_printerr("cv-bench-qemu: %s: %s\n", names[i], local->message);
            status = 1;
        }
    }
    return status;
}
