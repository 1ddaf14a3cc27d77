/* cv-bench-overhead: what the agent costs.
 *
 *   replay --n N      parse + decide per sample over a replay of recorded query-migrate
 *                     replies (real QEMU 7.2 captures and the simulator's 7.2/8.2/11.1 replies)
 *   flood --n N       the cost of one MIGRATION_PASS event line as the QMP client handles it,
 *                     against a classification that looks at the event name only
 *   scale --instances N --speed S --sim PATH
 *                     N concurrent simulated migrations from one virt-converge-sim process,
 *                     each tuned by a CvTuner (the CLI's tuner) in this one process
 *   scale-daemon --instances N --speed S --sim PATH
 *                     the same migrations tuned by the daemon's core (CvDaemon), which finds
 *                     them through the load suite's stand-in for libvirt
 *   idle --instances N --sim PATH --seconds T
 *                     N watched QEMUs with no migration: CPU and memory at rest
 *
 * Each prints one JSON object; bench/run.sh turns them into bench/results/overhead.md. */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <time.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-bench-harness.h"
#include "cv-clock.h"
#include "cv-daemon.h"
#include "cv-policy.h"
#include "cv-qmp-build.h"
#include "cv-qmp-frame.h"
#include "cv-qmp-parse.h"
#include "cv-sim-model.h"
#include "cv-sim-reply.h"
#include "cv-target-private.h"
#include "cv-target-qmp.h"
#include "cv-test-load-source.h"
#include "cv-tuner.h"

static gint64
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gdouble
cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (gdouble)ru.ru_utime.tv_sec + (gdouble)ru.ru_utime.tv_usec / 1e6 +
           (gdouble)ru.ru_stime.tv_sec + (gdouble)ru.ru_stime.tv_usec / 1e6;
}

/* VmRSS or VmHWM of a process, in KiB. */
static guint64
proc_status_kib(const gchar *pid, const gchar *key)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%s/status", pid);
    g_autofree gchar *text = NULL;
    const gchar *p;

    if (!g_file_get_contents(path, &text, NULL, NULL) || (p = strstr(text, key)) == NULL)
        return 0;
    return g_ascii_strtoull(p + strlen(key) + 1, NULL, 10);
}

/* utime + stime of another process, in seconds. */
static gdouble
proc_cpu_seconds(const gchar *pid)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%s/stat", pid);
    g_autofree gchar *text = NULL;
    g_auto(GStrv) fields = NULL;
    const gchar *close;

    if (!g_file_get_contents(path, &text, NULL, NULL) || (close = strrchr(text, ')')) == NULL)
        return 0;
    fields = g_strsplit(close + 2, " ", -1);
    if (g_strv_length(fields) < 13)
        return 0;
    /* after ")": state is field 0, utime 11, stime 12 */
    return (gdouble)(g_ascii_strtoull(fields[11], NULL, 10) +
                     g_ascii_strtoull(fields[12], NULL, 10)) /
           (gdouble)sysconf(_SC_CLK_TCK);
}

static gint
cmp_i64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

static gdouble
pct(GArray *v, gdouble q)
{
    guint i;

    if (v->len == 0)
        return -1;
    g_array_sort(v, cmp_i64);
    i = (guint)floor(q * (v->len - 1) + 0.5);
    return (gdouble)g_array_index(v, gint64, MIN(i, v->len - 1));
}

/* ---- replay --------------------------------------------------------------------------- */

/* query-migrate reply lines: the real captures, then the simulator's replies for three
 * scenarios under each version, one every 0.5 s of a migration. */
static GPtrArray *
build_corpus(void)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    static const gchar *const captures[] = {
        "qemu-7.2-r64-bw64-all-samples.json",
        "qemu-7.2-control-r4-bw64-all-samples.json",
    };
    static const gchar *const single[] = {"qemu-11.1-vfio-active.json",
                                          "qemu-8.2-vfio-active.json"};
    static const gchar *const scenarios[] = {"vgpu-2g", "ram-hog", "vfio-garbage"};
    guint id = 0;

    for (guint i = 0; i < G_N_ELEMENTS(captures); i++) {
        g_autofree gchar *path =
            g_build_filename(SOURCE_DATADIR, "..", "tests", "data", "qmp", captures[i], NULL);
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonArray *a;

        if (!json_parser_load_from_file(parser, path, NULL))
            continue;
        a = json_node_get_array(json_parser_get_root(parser));
        for (guint k = 0; k < json_array_get_length(a); k++) {
            JsonObject *o = json_array_get_object_element(a, k);
            g_autoptr(JsonNode) id_node = json_node_init_int(json_node_alloc(), id++);

            g_ptr_array_add(lines,
                            cv_qmp_build_return(json_object_get_member(o, "return"), id_node));
        }
    }
    for (guint i = 0; i < G_N_ELEMENTS(single); i++) {
        g_autofree gchar *path =
            g_build_filename(SOURCE_DATADIR, "..", "tests", "data", "qmp", single[i], NULL);
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(JsonNode) id_node = json_node_init_int(json_node_alloc(), id++);

        if (json_parser_load_from_file(parser, path, NULL))
            g_ptr_array_add(lines, cv_qmp_build_return(json_parser_get_root(parser), id_node));
    }
    for (guint s = 0; s < G_N_ELEMENTS(scenarios); s++) {
        g_autofree gchar *path = cv_sim_scenario_find(scenarios[s], NULL);
        g_autoptr(CvSimScenario) sc = path != NULL ? cv_sim_scenario_load_file(path, NULL) : NULL;

        for (guint v = 0; sc != NULL && v < CV_SIM_QEMU_N_VERSIONS; v++) {
            g_autoptr(CvSimModel) m = NULL;

            if (!cv_sim_scenario_supports(sc, (CvSimQemuVersion)v))
                continue;
            m = cv_sim_model_new(sc, (CvSimQemuVersion)v, 1);
            cv_sim_model_migrate(m, NULL);
            for (gdouble t = 0.5; t <= 300; t += 0.5) {
                CvSimInfo info;
                g_autoptr(JsonNode) ret = NULL;
                g_autoptr(JsonNode) id_node = json_node_init_int(json_node_alloc(), id++);

                cv_sim_model_advance(m, t);
                g_array_unref(cv_sim_model_take_events(m));
                cv_sim_model_get_info(m, &info);
                ret = cv_sim_reply_query_migrate(&info, (CvSimQemuVersion)v);
                g_ptr_array_add(lines, cv_sim_reply_finish_line(cv_qmp_build_return(ret, id_node)));
            }
        }
    }
    return lines;
}

#define HISTORY 32

/* The corpus from @path (one reply per line) when it exists, else built and written there
 * (the instruction counts run under valgrind, where building it would take minutes). */
static GPtrArray *
corpus_load_or_build(const gchar *path)
{
    g_autofree gchar *text = NULL;
    GPtrArray *lines;

    if (path != NULL && g_file_get_contents(path, &text, NULL, NULL)) {
        g_auto(GStrv) split = g_strsplit(text, "\n", -1);

        lines = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; split[i] != NULL; i++) {
            if (split[i][0] != '\0')
                g_ptr_array_add(lines, g_strdup(split[i]));
        }
        return lines;
    }
    lines = build_corpus();
    if (path != NULL) {
        g_autoptr(GString) out = g_string_new(NULL);

        for (guint i = 0; i < lines->len; i++) {
            g_string_append(out, g_ptr_array_index(lines, i));
            g_string_append_c(out, '\n');
        }
        g_file_set_contents(path, out->str, (gssize)out->len, NULL);
    }
    return lines;
}

static gint
cmd_replay(gint argc, gchar **argv)
{
    gint n = 200000;
    g_autofree gchar *corpus_path = NULL;
    const GOptionEntry entries[] = {
        {"n", 'n', 0, G_OPTION_ARG_INT, &n, "samples to replay (default 200000)", "N"},
        {"corpus", 0, 0, G_OPTION_ARG_FILENAME, &corpus_path,
         "read the replies from FILE, or write them there when it does not exist", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- parse + decide per sample");
    g_autoptr(GPtrArray) corpus = NULL;
    g_autoptr(GArray) total = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) parse = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) decide = g_array_new(FALSE, FALSE, sizeof(gint64));
    CvSample history[HISTORY];
    guint n_history = 0;
    CvPolicy policy;
    CvPolicyHistory ph;
    CvParams params;
    guint failures = 0;
    gdouble cpu0;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, NULL) || n <= 0)
        return 1;
    corpus = corpus_load_or_build(corpus_path);
    cv_policy_init_default(&policy);
    cv_policy_history_init(&ph);
    cv_params_init(&params);
    cv_field_set(&params.downtime_limit_ms, 300);
    cv_field_set(&params.max_bandwidth, 134217728);
    cpu0 = cpu_seconds();
    for (gint i = 0; i < n; i++) {
        const gchar *line = g_ptr_array_index(corpus, (guint)i % corpus->len);
        gint64 t0 = now_ns(), t1, t2;
        g_autoptr(CvQmpMessage) msg = NULL;
        CvSample s;
        CvDecision d;

        cv_sample_init(&s);
        msg = cv_qmp_message_parse(line, -1, NULL);
        if (msg == NULL || !cv_qmp_parse_query_migrate(msg->payload, &s, NULL)) {
            failures++;
            continue;
        }
        s.time_ms = (gint64)i * 250;
        t1 = now_ns();
        if (n_history == HISTORY) {
            memmove(&history[0], &history[1], (HISTORY - 1) * sizeof(CvSample));
            n_history--;
        }
        history[n_history++] = s;
        d = cv_policy_decide(&policy, history, n_history, &params, &ph);
        t2 = now_ns();
        (void)d;
        {
            gint64 a = t1 - t0, b = t2 - t1, c = t2 - t0;

            g_array_append_val(parse, a);
            g_array_append_val(decide, b);
            g_array_append_val(total, c);
        }
    }
    printf("{\"kind\":\"replay\",\"samples\":%u,\"corpus\":%u,\"failures\":%u,"
           "\"total_ns_p50\":%.0f,\"total_ns_p99\":%.0f,\"parse_ns_p50\":%.0f,"
           "\"parse_ns_p99\":%.0f,\"decide_ns_p50\":%.0f,\"decide_ns_p99\":%.0f,"
           "\"cpu_s\":%.3f}\n",
           total->len, corpus->len, failures, pct(total, 0.5), pct(total, 0.99), pct(parse, 0.5),
           pct(parse, 0.99), pct(decide, 0.5), pct(decide, 0.99), cpu_seconds() - cpu0);
    return failures > 0 ? 1 : 0;
}

/* ---- flood ----------------------------------------------------------------------------- */

/* What a cheap first look could do: find the event name without building a tree. */
static gboolean
looks_like_pass(const gchar *line)
{
    return strstr(line, "\"event\": \"MIGRATION_PASS\"") != NULL ||
           strstr(line, "\"event\":\"MIGRATION_PASS\"") != NULL;
}

static gint
cmd_flood(gint argc, gchar **argv)
{
    gint n = 200000;
    gboolean client_only = FALSE;
    const GOptionEntry entries[] = {
        {"n", 'n', 0, G_OPTION_ARG_INT, &n, "events (default 200000)", "N"},
        {"client-only", 0, 0, G_OPTION_ARG_NONE, &client_only,
         "only what the client does (for instruction counts)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- the cost of an event flood");
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) full = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) cheap = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) json = g_array_new(FALSE, FALSE, sizeof(gint64));
    guint parsed = 0, seen = 0, trees = 0;
    gint64 t_full0, t_full, t_cheap0, t_cheap, t_json0, t_json;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, NULL) || n <= 0)
        return 1;
    for (gint i = 0; i < 1000; i++) {
        g_autoptr(JsonObject) data = json_object_new();

        json_object_set_int_member(data, "pass", 1000 + i);
        g_ptr_array_add(lines, cv_qmp_build_event("MIGRATION_PASS", data, 1764000000 + i / 700,
                                                  (i * 1429) % 1000000));
    }
    /* what the client does with each line: cv_qmp_message_parse (a MIGRATION_PASS of QEMU's
     * shape takes the scanner, not json-glib), then read the event */
    t_full0 = now_ns();
    for (gint i = 0; i < n; i++) {
        const gchar *line = g_ptr_array_index(lines, (guint)i % lines->len);
        gint64 t0 = now_ns(), dt;
        g_autoptr(CvQmpMessage) msg = cv_qmp_message_parse(line, -1, NULL);
        CvQmpEvent ev;

        if (msg != NULL && msg->kind == CV_QMP_MESSAGE_EVENT &&
            cv_qmp_parse_event(msg, &ev, NULL) && ev.kind == CV_QMP_EVENT_MIGRATION_PASS)
            parsed++;
        dt = now_ns() - t0;
        g_array_append_val(full, dt);
    }
    t_full = now_ns() - t_full0;
    if (client_only) {
        printf("{\"kind\":\"flood-client\",\"events\":%d,\"parsed\":%u}\n", n, parsed);
        return parsed == (guint)n ? 0 : 1;
    }
    /* what it did before the scanner: a json-glib tree of every line */
    t_json0 = now_ns();
    for (gint i = 0; i < n; i++) {
        const gchar *line = g_ptr_array_index(lines, (guint)i % lines->len);
        gint64 t0 = now_ns(), dt;
        g_autoptr(JsonParser) parser = json_parser_new();

        if (json_parser_load_from_data(parser, line, -1, NULL) &&
            json_parser_get_root(parser) != NULL)
            trees++;
        dt = now_ns() - t0;
        g_array_append_val(json, dt);
    }
    t_json = now_ns() - t_json0;
    t_cheap0 = now_ns();
    for (gint i = 0; i < n; i++) {
        const gchar *line = g_ptr_array_index(lines, (guint)i % lines->len);
        gint64 t0 = now_ns(), dt;

        if (looks_like_pass(line))
            seen++;
        dt = now_ns() - t0;
        g_array_append_val(cheap, dt);
    }
    t_cheap = now_ns() - t_cheap0;
    printf("{\"kind\":\"flood\",\"events\":%d,\"parsed\":%u,\"seen\":%u,\"full_ns_p50\":%.0f,"
           "\"full_ns_p99\":%.0f,\"cheap_ns_p50\":%.0f,\"cheap_ns_p99\":%.0f,"
           "\"full_events_per_core_s\":%.0f,\"cheap_events_per_core_s\":%.0f,"
           "\"json_ns_p50\":%.0f,\"json_ns_p99\":%.0f,\"json_events_per_core_s\":%.0f,"
           "\"line_bytes\":%zu}\n",
           n, parsed, seen, pct(full, 0.5), pct(full, 0.99), pct(cheap, 0.5), pct(cheap, 0.99),
           n / ((gdouble)t_full / 1e9), n / ((gdouble)t_cheap / 1e9), pct(json, 0.5),
           pct(json, 0.99), n / ((gdouble)t_json / 1e9), strlen(g_ptr_array_index(lines, 0)));
    return parsed == (guint)n && trees == (guint)n ? 0 : 1;
}

/* ---- a measuring target ------------------------------------------------------------------
 * A CvTarget in front of the QMP target that notes when each MIGRATION_PASS arrives and when
 * QEMU acknowledges a downtime-limit change: the delay from the pass event that opened the
 * iteration the tuner acted on (the newest one before the query whose sample it decided on) to
 * the parameter being applied. */

typedef struct {
    CvTarget parent;
    CvTarget *inner;
    gint64 last_pass_us;    /* arrival of the newest pass event */
    gint64 query_pass_us;   /* ... as it was when the last query was sent */
    gint64 decided_pass_us; /* ... for the query whose answer came in last */
    gint64 change_pass_us;  /* ... for the change in flight */
    GArray *delays_us;      /* shared by every proxy */
    guint64 *passes;        /* shared counter */
    guint *finals;          /* shared: proxies that passed on a final status (or NULL) */
    gboolean saw_final;
} Proxy;

typedef struct {
    Proxy *proxy;
    gpointer func;
    gpointer user_data;
} Call;

static Call *
call_new(Proxy *p, gpointer func, gpointer user_data)
{
    Call *c = g_new(Call, 1);

    c->proxy = p;
    c->func = func;
    c->user_data = user_data;
    return c;
}

static void
proxy_event_cb(CvTarget *inner, const CvTargetEvent *event, gpointer user_data)
{
    Proxy *p = user_data;

    if (event->kind == CV_TARGET_EVENT_PASS) {
        p->last_pass_us = g_get_monotonic_time();
        (*p->passes)++;
    }
    cv_target_emit_event(&p->parent, event);
}

static void
proxy_sync(Proxy *p)
{
    p->parent.connected = cv_target_is_connected(p->inner);
    p->parent.events = cv_target_has_events(p->inner);
    g_free(p->parent.version);
    p->parent.version = g_strdup(cv_target_get_version(p->inner));
    g_free(p->parent.events_note);
    p->parent.events_note = g_strdup(cv_target_get_events_note(p->inner));
}

static void
proxy_done_cb(CvTarget *inner, const GError *error, gpointer user_data)
{
    g_autofree Call *c = user_data;

    proxy_sync(c->proxy);
    ((CvTargetDoneFunc)c->func)(&c->proxy->parent, error, c->user_data);
}

static void
proxy_connect(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)
{
    Proxy *p = (Proxy *)target;

    cv_target_connect(p->inner, proxy_done_cb, call_new(p, func, user_data));
}

static void
proxy_sample_cb(CvTarget *inner, const CvSample *sample, const GError *error, gpointer user_data)
{
    g_autofree Call *c = user_data;

    c->proxy->decided_pass_us = c->proxy->query_pass_us;
    if (error == NULL && !c->proxy->saw_final && cv_migration_status_is_final(sample->status) &&
        c->proxy->finals != NULL) {
        c->proxy->saw_final = TRUE;
        (*c->proxy->finals)++;
    }
    ((CvTargetSampleFunc)c->func)(&c->proxy->parent, sample, error, c->user_data);
}

static void
proxy_query_migrate(CvTarget *target, CvTargetSampleFunc func, gpointer user_data)
{
    Proxy *p = (Proxy *)target;

    p->query_pass_us = p->last_pass_us;
    cv_target_query_migrate(p->inner, proxy_sample_cb, call_new(p, func, user_data));
}

static void
proxy_params_cb(CvTarget *inner, const CvParams *params, const GError *error, gpointer user_data)
{
    g_autofree Call *c = user_data;

    ((CvTargetParamsFunc)c->func)(&c->proxy->parent, params, error, c->user_data);
}

static void
proxy_query_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    Proxy *p = (Proxy *)target;

    cv_target_query_params(p->inner, proxy_params_cb, call_new(p, func, user_data));
}

static void
proxy_refresh_params(CvTarget *target, CvTargetParamsFunc func, gpointer user_data)
{
    Proxy *p = (Proxy *)target;

    cv_target_refresh_params(p->inner, proxy_params_cb, call_new(p, func, user_data));
}

static void
proxy_limit_cb(CvTarget *inner, const GError *error, gpointer user_data)
{
    g_autofree Call *c = user_data;
    Proxy *p = c->proxy;

    if (error == NULL && p->change_pass_us > 0) {
        gint64 delay = g_get_monotonic_time() - p->change_pass_us;

        g_array_append_val(p->delays_us, delay);
    }
    ((CvTargetDoneFunc)c->func)(&p->parent, error, c->user_data);
}

static void
proxy_set_downtime_limit(CvTarget *target, guint64 ms, CvTargetDoneFunc func, gpointer user_data)
{
    Proxy *p = (Proxy *)target;

    p->change_pass_us = p->decided_pass_us;
    cv_target_set_downtime_limit(p->inner, ms, proxy_limit_cb, call_new(p, func, user_data));
}

#define FORWARD_DONE(op, call)                                                                     \
    static void proxy_##op(CvTarget *target, CvTargetDoneFunc func, gpointer user_data)            \
    {                                                                                              \
        Proxy *p = (Proxy *)target;                                                                \
        call(p->inner, proxy_done_cb, call_new(p, func, user_data));                               \
    }

FORWARD_DONE(start_postcopy, cv_target_start_postcopy)
FORWARD_DONE(stop_guest, cv_target_stop_guest)
FORWARD_DONE(resume_guest, cv_target_resume_guest)
FORWARD_DONE(cancel, cv_target_cancel)

static void
proxy_set_switchover_bandwidth(CvTarget *target, guint64 bytes_per_s, CvTargetDoneFunc func,
                               gpointer user_data)
{
    Proxy *p = (Proxy *)target;

    cv_target_set_switchover_bandwidth(p->inner, bytes_per_s, proxy_done_cb,
                                       call_new(p, func, user_data));
}

static void
proxy_migrate(CvTarget *target, const gchar *uri, CvTargetDoneFunc func, gpointer user_data)
{
    Proxy *p = (Proxy *)target;

    cv_target_migrate(p->inner, uri, proxy_done_cb, call_new(p, func, user_data));
}

static void
proxy_close(CvTarget *target)
{
    cv_target_close(((Proxy *)target)->inner);
}

static void
proxy_free(CvTarget *target)
{
    Proxy *p = (Proxy *)target;

    cv_target_unset_event_func(p->inner, proxy_event_cb, p);
    cv_target_free(p->inner);
    g_free(p);
}

static const CvTargetClass proxy_class = {
    .name = "measure",
    .connect = proxy_connect,
    .query_migrate = proxy_query_migrate,
    .query_params = proxy_query_params,
    .refresh_params = proxy_refresh_params,
    .set_downtime_limit = proxy_set_downtime_limit,
    .set_switchover_bandwidth = proxy_set_switchover_bandwidth,
    .start_postcopy = proxy_start_postcopy,
    .stop_guest = proxy_stop_guest,
    .resume_guest = proxy_resume_guest,
    .cancel = proxy_cancel,
    .migrate = proxy_migrate,
    .close = proxy_close,
    .free = proxy_free,
};

static CvTarget *
proxy_new(const gchar *socket_path, GArray *delays, guint64 *passes)
{
    Proxy *p = g_new0(Proxy, 1);

    cv_target_init(&p->parent, &proxy_class, NULL, socket_path);
    p->inner = cv_target_qmp_new(socket_path, NULL);
    p->delays_us = delays;
    p->passes = passes;
    cv_target_set_event_func(p->inner, proxy_event_cb, p);
    return &p->parent;
}

/* ---- scale and idle ----------------------------------------------------------------------- */

static GSubprocess *
spawn_sim(const gchar *sim, const gchar *socket, gint instances, const gchar *scenario,
          gdouble speed, GError **error)
{
    g_autofree gchar *n = g_strdup_printf("%d", instances);
    g_autofree gchar *sp = g_strdup_printf("%g", speed);
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE);

    return g_subprocess_launcher_spawn(l, error, sim, "--socket", socket, "--instances", n,
                                       "--scenario", scenario, "--speed", sp, "--seed", "1", NULL);
}

static gboolean
wait_sockets(const gchar *base, gint instances)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        g_autofree gchar *last = g_strdup_printf("%s-%d", base, instances - 1);

        if (g_file_test(last, G_FILE_TEST_EXISTS))
            return TRUE;
        g_usleep(20000);
    }
    return FALSE;
}

static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

typedef struct {
    guint64 evaluations;
} Counters;

static void
count_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Counters *c = user_data;

    if (record->kind == CV_TUNER_RECORD_SAMPLE)
        c->evaluations++;
}

static gint
cmd_scale(gint argc, gchar **argv, gboolean idle)
{
    gint instances = idle ? 1000 : 200;
    gdouble speed = 5, seconds = 20;
    g_autofree gchar *sim = NULL;
    g_autofree gchar *scenario = NULL;
    const GOptionEntry entries[] = {
        {"instances", 'n', 0, G_OPTION_ARG_INT, &instances, "migrations", "N"},
        {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed, "simulator speed (default 5)", "S"},
        {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "idle: seconds measured (default 20)",
         "T"},
        {"sim", 0, 0, G_OPTION_ARG_FILENAME, &sim, "virt-converge-sim", "PATH"},
        {"scenario", 0, 0, G_OPTION_ARG_STRING, &scenario, "scenario (default ram-hog)", "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- many migrations, one process");
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GArray) delays = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autofree gchar *dir = NULL;
    g_autofree gchar *base = NULL;
    g_autoptr(CvClock) clock = NULL;
    CvTuner **tuners;
    CvTarget **targets;
    Counters counters = {0};
    guint64 passes = 0;
    gdouble cpu0, sim_cpu0, cpu, sim_cpu, t0, wall;
    guint completed = 0, finished = 0;
    guint64 rss_before, rss, evaluations = 0;
    gchar pid[16];

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || sim == NULL || instances < 1) {
        g_printerr("cv-bench-overhead: --sim PATH and --instances N >= 1 are needed\n");
        return 1;
    }
    raise_fd_limit();
    dir = g_dir_make_tmp("cv-bench-scale-XXXXXX", NULL);
    base = g_build_filename(dir, "q", NULL);
    proc = spawn_sim(sim, base, instances, scenario != NULL ? scenario : "ram-hog", speed, &error);
    if (proc == NULL || !wait_sockets(base, instances)) {
        g_printerr("cv-bench-overhead: the simulator: %s\n",
                   error != NULL ? error->message : "no sockets");
        return 1;
    }
    g_snprintf(pid, sizeof(pid), "%s", g_subprocess_get_identifier(proc));
    clock = cv_clock_new_scaled(speed);
    tuners = g_new0(CvTuner *, instances);
    targets = g_new0(CvTarget *, instances);
    rss_before = proc_status_kib("self", "VmRSS:");
    cpu0 = cpu_seconds();
    sim_cpu0 = proc_cpu_seconds(pid);
    t0 = (gdouble)g_get_monotonic_time() / 1e6;
    for (gint i = 0; i < instances; i++) {
        g_autofree gchar *path = g_strdup_printf("%s-%d", base, i);
        CvTunerOptions options;

        cv_tuner_options_init(&options);
        /* the shipped default, with the 1 s cap the default is moving to: one change converges
         * ram-hog */
        options.policy.max_downtime_ms = 1000;
        options.start_timeout_ms = 0;
        if (!idle)
            options.start_uri = "tcp:127.0.0.1:4444";
        targets[i] = proxy_new(path, delays, &passes);
        tuners[i] = cv_tuner_new(targets[i], clock, &options);
        cv_tuner_set_record_func(tuners[i], count_cb, &counters);
        cv_tuner_start(tuners[i]);
    }
    if (idle) {
        /* settle (connections, first reads), then measure at rest */
        gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

        while (g_get_monotonic_time() < end)
            g_main_context_iteration(NULL, TRUE);
        cpu0 = cpu_seconds();
        sim_cpu0 = proc_cpu_seconds(pid);
        t0 = (gdouble)g_get_monotonic_time() / 1e6;
        end = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
        while (g_get_monotonic_time() < end)
            g_main_context_iteration(NULL, TRUE);
    } else {
        gint64 end = g_get_monotonic_time() + 600 * G_USEC_PER_SEC;

        while (finished < (guint)instances && g_get_monotonic_time() < end) {
            g_main_context_iteration(NULL, TRUE);
            finished = 0;
            for (gint i = 0; i < instances; i++)
                finished += cv_tuner_is_finished(tuners[i]) ? 1 : 0;
        }
    }
    wall = (gdouble)g_get_monotonic_time() / 1e6 - t0;
    cpu = cpu_seconds() - cpu0;
    sim_cpu = proc_cpu_seconds(pid) - sim_cpu0;
    rss = proc_status_kib("self", "VmHWM:");
    for (gint i = 0; i < instances; i++) {
        const CvTunerSummary *sum = cv_tuner_get_summary(tuners[i]);

        if (cv_tuner_is_finished(tuners[i]) && sum->outcome == CV_TUNER_OUTCOME_COMPLETED)
            completed++;
        evaluations += sum->n_evaluations;
    }
    printf("{\"kind\":\"%s\",\"instances\":%d,\"speed\":%g,\"wall_s\":%.2f,\"cpu_s\":%.3f,"
           "\"sim_cpu_s\":%.3f,\"evaluations\":%" G_GUINT64_FORMAT
           ",\"sample_records\":%" G_GUINT64_FORMAT ",\"pass_events\":%" G_GUINT64_FORMAT
           ",\"completed\":%u,\"changes\":%u,\"delay_us_p50\":%.0f,\"delay_us_p99\":%.0f,"
           "\"rss_kib_before\":%" G_GUINT64_FORMAT ",\"rss_kib_peak\":%" G_GUINT64_FORMAT "}\n",
           idle ? "idle" : "scale", instances, speed, wall, cpu, sim_cpu, evaluations,
           counters.evaluations, passes, completed, delays->len, pct(delays, 0.5),
           pct(delays, 0.99), rss_before, rss);
    for (gint i = 0; i < instances; i++) {
        cv_tuner_free(tuners[i]);
        cv_target_free(targets[i]);
    }
    g_free(tuners);
    g_free(targets);
    g_subprocess_send_signal(proc, SIGTERM);
    g_subprocess_wait(proc, NULL, NULL);
    for (gint i = 0; i < instances; i++) {
        g_autofree gchar *path = g_strdup_printf("%s-%d", base, i);

        g_unlink(path);
    }
    g_rmdir(dir);
    return 0;
}

/* ---- scale-daemon ---------------------------------------------------------------------------
 * The same migrations as scale, tuned by the daemon's core: CvDaemon (discovery, one tuner per
 * migration, state records, runtime documents, history, metrics) with the load suite's stand-in
 * for libvirt (tests/cv-test-load-source.c). Its targets are the measuring proxy above. */

typedef struct {
    GArray *delays;
    guint64 *passes;
    guint *finals;
} DaemonTargets;

static CvTarget *
daemon_target_new(const gchar *socket_path, gpointer user_data)
{
    DaemonTargets *t = user_data;
    CvTarget *target = proxy_new(socket_path, t->delays, t->passes);

    ((Proxy *)target)->finals = t->finals;
    return target;
}

static void
daemon_migrate_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    guint *pending = user_data;

    if (error != NULL)
        g_printerr("cv-bench-overhead: migrate: %s\n", error->message);
    (*pending)--;
}

static void
remove_tree(const gchar *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const gchar *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

/* The file system the daemon's state records are fsynced on (it sets the change's latency). */
static const gchar *
fs_name(const gchar *path)
{
    struct statfs st;

    if (statfs(path, &st) != 0)
        return "unknown";
    switch ((unsigned long)st.f_type) {
    case 0xEF53UL:
        return "ext4";
    case 0x01021994UL:
        return "tmpfs";
    case 0x58465342UL:
        return "xfs";
    case 0x9123683EUL:
        return "btrfs";
    case 0x794C7630UL:
        return "overlayfs";
    default:
        return "other";
    }
}

/* The daemon's outcome lines: migrations, completed ones, their evaluations. */
static void
tally_outcomes(const gchar *state_dir, guint *outcomes, guint *completed, guint64 *evaluations)
{
    g_autofree gchar *path = g_build_filename(state_dir, "history.jsonl", NULL);
    g_autofree gchar *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o;

        if (lines[i][0] != '{' || !json_parser_load_from_data(parser, lines[i], -1, NULL))
            continue;
        o = json_node_get_object(json_parser_get_root(parser));
        if (g_strcmp0(json_object_get_string_member_with_default(o, "event", ""), "outcome") != 0)
            continue;
        (*outcomes)++;
        if (g_strcmp0(json_object_get_string_member_with_default(o, "outcome", ""), "completed") ==
            0)
            (*completed)++;
        *evaluations += (guint64)json_object_get_int_member_with_default(o, "evaluations", 0);
    }
}

static gint
cmd_scale_daemon(gint argc, gchar **argv)
{
    gint instances = 200;
    gdouble speed = 5;
    g_autofree gchar *sim = NULL;
    g_autofree gchar *scenario = NULL;
    const GOptionEntry entries[] = {
        {"instances", 'n', 0, G_OPTION_ARG_INT, &instances, "migrations", "N"},
        {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed, "simulator speed (default 5)", "S"},
        {"sim", 0, 0, G_OPTION_ARG_FILENAME, &sim, "virt-converge-sim", "PATH"},
        {"scenario", 0, 0, G_OPTION_ARG_STRING, &scenario, "scenario (default ram-hog)", "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- many migrations, one daemon");
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GArray) delays = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autofree gchar *dir = NULL;
    g_autofree gchar *base = NULL;
    g_autofree gchar *conf = NULL;
    g_autofree gchar *state_dir = NULL;
    g_autofree gchar *runtime_dir = NULL;
    g_autoptr(CvClock) clock = NULL;
    g_autoptr(CvDaemon) daemon = NULL;
    CvTestLoadHost host;
    CvDaemonOptions o = {0};
    DaemonTargets dt;
    guint64 passes = 0, evaluations = 0;
    guint finals = 0, outcomes = 0, completed = 0, pending = 0;
    gdouble cpu0, sim_cpu0, cpu, sim_cpu, t0, wall;
    guint64 rss_before, rss;
    gint64 end;
    gchar pid[16];

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || sim == NULL || instances < 1) {
        g_printerr("cv-bench-overhead: --sim PATH and --instances N >= 1 are needed\n");
        return 1;
    }
    raise_fd_limit();
    dir = g_dir_make_tmp("cv-bench-scale-daemon-XXXXXX", NULL);
    base = g_build_filename(dir, "q", NULL);
    conf = g_build_filename(dir, "virt-converged.conf", NULL);
    state_dir = g_build_filename(dir, "lib", NULL);
    runtime_dir = g_build_filename(dir, "run", NULL);
    /* the shipped default with a 1 s cap, as scale's tuners have */
    if (!g_file_set_contents(conf, "[policy:default]\nmax-downtime = 1s\n", -1, &error)) {
        g_printerr("cv-bench-overhead: %s\n", error->message);
        return 1;
    }
    proc = spawn_sim(sim, base, instances, scenario != NULL ? scenario : "ram-hog", speed, &error);
    if (proc == NULL || !wait_sockets(base, instances)) {
        g_printerr("cv-bench-overhead: the simulator: %s\n",
                   error != NULL ? error->message : "no sockets");
        return 1;
    }
    g_snprintf(pid, sizeof(pid), "%s", g_subprocess_get_identifier(proc));
    g_usleep(100000);
    cv_test_load_host_init(&host, (guint)instances, base);
    dt = (DaemonTargets){.delays = delays, .passes = &passes, .finals = &finals};
    host.new_target = daemon_target_new;
    host.new_target_data = &dt;
    /* libvirt's side: a connection to each QEMU, migration events on before the migration */
    host.control = g_new0(CvTarget *, host.n);
    for (guint i = 0; i < host.n; i++) {
        g_autofree gchar *path = g_strdup_printf("%s-%u", base, i);

        host.control[i] = cv_target_qmp_new(path, NULL);
        if (!cv_target_connect_sync(host.control[i], &error)) {
            g_printerr("cv-bench-overhead: %s: %s\n", path, error->message);
            return 1;
        }
    }

    clock = cv_clock_new_scaled(speed);
    o.config_file = conf;
    o.state_dir = state_dir;
    o.runtime_dir = runtime_dir;
    o.source_factory = cv_test_load_source_factory;
    o.source_data = &host;
    o.clock = clock;
    rss_before = proc_status_kib("self", "VmRSS:");
    cpu0 = cpu_seconds();
    sim_cpu0 = proc_cpu_seconds(pid);
    t0 = (gdouble)g_get_monotonic_time() / 1e6;
    daemon = cv_daemon_new(&o, &error);
    if (daemon == NULL || !cv_daemon_start(daemon, &error)) {
        g_printerr("cv-bench-overhead: the daemon: %s\n", error->message);
        return 1;
    }
    while (!cv_daemon_is_ready(daemon))
        g_main_context_iteration(NULL, TRUE);
    /* what libvirt would do for its migrations: start them, then tell of their iterations */
    for (guint i = 0; i < host.n; i++) {
        pending++;
        cv_target_migrate(host.control[i], "tcp:127.0.0.1:4444", daemon_migrate_cb, &pending);
    }
    while (pending > 0)
        g_main_context_iteration(NULL, TRUE);
    cv_test_load_host_hint_all(&host);
    /* every tuner read its migration's end, and the daemon wrote it down and let it go */
    end = g_get_monotonic_time() + 600 * G_USEC_PER_SEC;
    while ((finals < host.n || cv_daemon_get_n_migrations(daemon) > 0) &&
           g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, TRUE);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    wall = (gdouble)g_get_monotonic_time() / 1e6 - t0;
    cpu = cpu_seconds() - cpu0;
    sim_cpu = proc_cpu_seconds(pid) - sim_cpu0;
    rss = proc_status_kib("self", "VmHWM:");
    tally_outcomes(state_dir, &outcomes, &completed, &evaluations);
    printf("{\"kind\":\"scale-daemon\",\"instances\":%d,\"speed\":%g,\"wall_s\":%.2f,"
           "\"cpu_s\":%.3f,\"sim_cpu_s\":%.3f,\"evaluations\":%" G_GUINT64_FORMAT
           ",\"pass_events\":%" G_GUINT64_FORMAT ",\"scans\":%" G_GUINT64_FORMAT
           ",\"outcomes\":%u,\"completed\":%u,"
           "\"changes\":%u,\"delay_us_p50\":%.0f,\"delay_us_p99\":%.0f,"
           "\"rss_kib_before\":%" G_GUINT64_FORMAT ",\"rss_kib_peak\":%" G_GUINT64_FORMAT
           ",\"state_fs\":\"%s\"}\n",
           instances, speed, wall, cpu, sim_cpu, evaluations, passes, host.n_scans, outcomes,
           completed, delays->len, pct(delays, 0.5), pct(delays, 0.99), rss_before, rss,
           fs_name(dir));

    cv_daemon_stop(daemon);
    cv_daemon_run(daemon);
    g_clear_pointer(&daemon, cv_daemon_free);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    cv_test_load_host_clear(&host);
    g_subprocess_send_signal(proc, SIGTERM);
    g_subprocess_wait(proc, NULL, NULL);
    remove_tree(dir);
    return outcomes == host.n ? 0 : 1;
}

/* ---- report ---------------------------------------------------------------------------- */

static JsonObject *
find_kind(GPtrArray *objects, const gchar *kind, const gchar *what)
{
    for (guint i = 0; i < objects->len; i++) {
        JsonObject *o = g_ptr_array_index(objects, i);

        if (g_strcmp0(json_object_get_string_member_with_default(o, "kind", ""), kind) == 0 &&
            (what == NULL ||
             g_strcmp0(json_object_get_string_member_with_default(o, "what", ""), what) == 0))
            return o;
    }
    return NULL;
}

static gdouble
num(JsonObject *o, const gchar *key)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;

    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n))
        return NAN;
    return json_node_get_double(n);
}

static gint
cmd_report(gint argc, gchar **argv)
{
    g_autofree gchar *in = NULL;
    g_autofree gchar *out = NULL;
    g_autofree gchar *machine = NULL;
    g_autofree gchar *commit = NULL;
    g_autofree gchar *mode = NULL;
    const GOptionEntry entries[] = {
        {"in", 'i', 0, G_OPTION_ARG_FILENAME, &in, "measurements (JSON lines)", "FILE"},
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "overhead.md", "FILE"},
        {"machine", 0, 0, G_OPTION_ARG_STRING, &machine, "the machine", "M"},
        {"commit", 0, 0, G_OPTION_ARG_STRING, &commit, "the commit", "C"},
        {"mode", 0, 0, G_OPTION_ARG_STRING, &mode, "full, quick or overhead-only", "MODE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- write overhead.md");
    g_autoptr(GPtrArray) objects =
        g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    g_autoptr(GString) md = g_string_new(NULL);
    g_autofree gchar *text = NULL;
    g_auto(GStrv) lines = NULL;
    JsonObject *replay, *flood, *scale, *idle, *cg_replay, *cg_flood;
    JsonObject *scale_daemon = NULL, *scale_daemon_tmpfs = NULL;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, NULL) || in == NULL || out == NULL ||
        !g_file_get_contents(in, &text, NULL, NULL)) {
        g_printerr("cv-bench-overhead report: --in FILE (readable) and --out FILE\n");
        return 1;
    }
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();

        if (lines[i][0] == '{' && json_parser_load_from_data(parser, lines[i], -1, NULL))
            g_ptr_array_add(objects,
                            json_object_ref(json_node_get_object(json_parser_get_root(parser))));
    }
    replay = find_kind(objects, "replay", NULL);
    flood = find_kind(objects, "flood", NULL);
    scale = find_kind(objects, "scale", NULL);
    /* the daemon on the disk's file system first; a second run with its state on tmpfs, when
     * there is one, shows what the fsyncs cost */
    for (guint i = 0; i < objects->len; i++) {
        JsonObject *o = g_ptr_array_index(objects, i);

        if (g_strcmp0(json_object_get_string_member_with_default(o, "kind", ""), "scale-daemon") !=
            0)
            continue;
        if (g_strcmp0(json_object_get_string_member_with_default(o, "state_fs", ""), "tmpfs") ==
            0) {
            if (scale_daemon_tmpfs == NULL)
                scale_daemon_tmpfs = o;
        } else if (scale_daemon == NULL) {
            scale_daemon = o;
        }
    }
    if (scale_daemon == NULL) {
        scale_daemon = scale_daemon_tmpfs;
        scale_daemon_tmpfs = NULL;
    }
    idle = find_kind(objects, "idle", NULL);
    cg_replay = find_kind(objects, "callgrind", "replay");
    cg_flood = find_kind(objects, "callgrind", "flood");

    g_string_append_printf(
        md,
        "# Cost of the agent\n\nGenerated by `bench/run.sh%s` (%s). Do not edit: "
        "rerun the script.\n\n**Machine:** %s. The machine is shared with other work: wall "
        "times below are of one run and move with the load; the instruction counts "
        "(valgrind's callgrind) do not.\n\n",
        g_strcmp0(mode, "quick") == 0           ? " --quick"
        : g_strcmp0(mode, "overhead-only") == 0 ? " --overhead-only"
                                                : "",
        commit != NULL ? commit : "unknown", machine != NULL ? machine : "unknown");

    g_string_append(md, "## Parse + decide, per sample\n\n");
    if (replay != NULL) {
        g_string_append_printf(
            md,
            "A replay of %.0f `query-migrate` replies cycling over %.0f recorded ones (the real "
            "QEMU 7.2 captures in tests/data/qmp and the simulator's 7.2, 8.2 and 11.1 replies "
            "of vgpu-2g, ram-hog and vfio-garbage, one every 0.5 s of each migration): "
            "`cv_qmp_message_parse` + `cv_qmp_parse_query_migrate` (the reply line to a "
            "CvSample), then `cv_policy_decide` with the shipped default policy over the last "
            "32 samples.\n\n"
            "| step | median | p99 |\n|---|---|---|\n"
            "| parse | %.1f µs | %.1f µs |\n| decide | %.1f µs | %.1f µs |\n"
            "| both | %.1f µs | %.1f µs |\n\n",
            num(replay, "samples"), num(replay, "corpus"), num(replay, "parse_ns_p50") / 1000,
            num(replay, "parse_ns_p99") / 1000, num(replay, "decide_ns_p50") / 1000,
            num(replay, "decide_ns_p99") / 1000, num(replay, "total_ns_p50") / 1000,
            num(replay, "total_ns_p99") / 1000);
        if (cg_replay != NULL)
            g_string_append_printf(md,
                                   "Instructions (callgrind, the difference of two replay "
                                   "lengths, so set-up cancels): **%.0f per sample**.\n\n",
                                   num(cg_replay, "ir_per_item"));
        g_string_append(md, "Parsing dominates: json-glib builds a tree of the whole reply. At "
                            "one evaluation per 250 ms per migration (the tuner's coalescing) "
                            "this is far below a millisecond of CPU per migration per second.\n\n");
    }

    g_string_append(md, "## Event floods\n\n");
    if (flood != NULL) {
        gdouble ratio = num(flood, "json_ns_p50") / MAX(num(flood, "full_ns_p50"), 1);

        g_string_append_printf(
            md,
            "Once RAM is drained, a guest with a large device state iterates hundreds to "
            "thousands of times a second and QEMU sends a `MIGRATION_PASS` event for each. The "
            "tuner coalesces them into at most one query per 250 ms, but the QMP client "
            "(qmp/cv-qmp-client.c) reads every line. `cv_qmp_message_parse` first tries a "
            "scanner that accepts only a `MIGRATION_PASS` in exactly QEMU's shape and reads its "
            "pass number and timestamp without json-glib; every other line goes to json-glib as "
            "before.\n\n"
            "| per `MIGRATION_PASS` line (%.0f bytes) | median | p99 | lines per core-second "
            "|\n|---|---|---|---|\n"
            "| what the client does now: `cv_qmp_message_parse` (scanner) + "
            "`cv_qmp_parse_event` | %.2f µs | %.2f µs | %.0f |\n"
            "| a json-glib tree of the line (what every line cost before the scanner) | %.2f µs "
            "| %.2f µs | %.0f |\n"
            "| a look at the event name only (strstr) | %.2f µs | %.2f µs | %.0f |\n\n",
            num(flood, "line_bytes"), num(flood, "full_ns_p50") / 1000,
            num(flood, "full_ns_p99") / 1000, num(flood, "full_events_per_core_s"),
            num(flood, "json_ns_p50") / 1000, num(flood, "json_ns_p99") / 1000,
            num(flood, "json_events_per_core_s"), num(flood, "cheap_ns_p50") / 1000,
            num(flood, "cheap_ns_p99") / 1000, num(flood, "cheap_events_per_core_s"));
        if (cg_flood != NULL)
            g_string_append_printf(md,
                                   "Instructions per event line, what the client does now "
                                   "(callgrind): **%.0f**.\n\n",
                                   num(cg_flood, "ir_per_item"));
        g_string_append_printf(
            md,
            "**A flood no longer costs a json-glib parse per event**: the client's path is %.1f× "
            "cheaper than the tree it used to build. At 20,000 events a second it takes %.1f %% "
            "of a core for one migration; the vGPU case of QEMU's own series (247,045 passes in "
            "337 s) %.2f %% of a core.\n\n",
            ratio, 20000.0 / num(flood, "full_events_per_core_s") * 100,
            247045.0 / 337 / num(flood, "full_events_per_core_s") * 100);
    }

    g_string_append(md, "## Many migrations, one process\n\n");
    if (scale != NULL) {
        gdouble evals = MAX(num(scale, "evaluations"), 1);

        g_string_append_printf(
            md,
            "**Measured with the tuners alone, not the daemon.** virt-converged attaches one "
            "CvTuner per migration, but finds migrations through libvirt only, and these "
            "simulated migrations are QMP sockets with no libvirtd in front. So this runs CvTuner "
            "(what `virt-converge tune` runs and what the daemon attaches per migration) %.0f "
            "times in one process, "
            "one QMP target each, against %.0f concurrent simulated migrations served by one "
            "`virt-converge-sim --instances %.0f` process (scenario ram-hog at %gx speed: each "
            "stalls, the engine raises the limit once, it completes). Not measured: the daemon's "
            "own share (runtime documents, state records, history and metrics per decision): "
            "the next section runs the daemon's core on the same migrations.\n\n"
            "| measure | value |\n|---|---|\n"
            "| migrations completed | %.0f of %.0f |\n"
            "| evaluated iterations (all migrations) | %.0f |\n"
            "| pass events received | %.0f |\n"
            "| agent CPU | %.3f s over %.1f s of wall time |\n"
            "| agent CPU per evaluated iteration per migration | %.1f µs |\n"
            "| simulator CPU (not the agent's) | %.3f s |\n"
            "| agent RSS | %.1f MiB before the tuners, %.1f MiB peak |\n"
            "| pass event → downtime-limit applied, p50 | %.1f ms |\n"
            "| pass event → downtime-limit applied, p99 | %.1f ms |\n\n"
            "The delay runs from the arrival of the `MIGRATION_PASS` that opened the iteration "
            "the tuner acted on to QEMU's reply to `migrate-set-parameters`: the coalescing "
            "wait (at most 250 ms of the tuner's clock, %.0f ms of real time at %gx), the "
            "query, the decision, the re-read of the parameters before a change, and the "
            "change itself, with %.0f migrations sharing one main loop and two cores with the "
            "simulator.\n\n",
            num(scale, "instances"), num(scale, "instances"), num(scale, "instances"),
            num(scale, "speed"), num(scale, "completed"), num(scale, "instances"), evals,
            num(scale, "pass_events"), num(scale, "cpu_s"), num(scale, "wall_s"),
            num(scale, "cpu_s") / evals * 1e6, num(scale, "sim_cpu_s"),
            num(scale, "rss_kib_before") / 1024, num(scale, "rss_kib_peak") / 1024,
            num(scale, "delay_us_p50") / 1000, num(scale, "delay_us_p99") / 1000,
            250 / num(scale, "speed"), num(scale, "speed"), num(scale, "instances"));
    }
    if (idle != NULL)
        g_string_append_printf(
            md,
            "### At rest\n\n%.0f watched QEMUs (simulated, no migration), one tuner each in one "
            "process, polling `query-migrate` every second as the CLI tuner does while it waits "
            "for a migration (a daemon would rely on libvirt's events and poll less):\n\n"
            "| measure | value |\n|---|---|\n"
            "| agent CPU at rest | %.3f s over %.1f s (%.2f %% of one core; %.1f µs per "
            "watched QEMU per second) |\n"
            "| agent RSS | %.1f MiB peak (%.1f KiB per watched QEMU above the process's own "
            "%.1f MiB) |\n| simulator CPU meanwhile | %.3f s |\n\n",
            num(idle, "instances"), num(idle, "cpu_s"), num(idle, "wall_s"),
            num(idle, "cpu_s") / num(idle, "wall_s") * 100,
            num(idle, "cpu_s") / num(idle, "wall_s") / num(idle, "instances") * 1e6,
            num(idle, "rss_kib_peak") / 1024,
            (num(idle, "rss_kib_peak") - num(idle, "rss_kib_before")) / num(idle, "instances"),
            num(idle, "rss_kib_before") / 1024, num(idle, "sim_cpu_s"));
    g_string_append(md, "## Many migrations, one daemon\n\n");
    if (scale_daemon != NULL) {
        gdouble evals = MAX(num(scale_daemon, "evaluations"), 1);
        const gchar *fs = json_object_get_string_member_with_default(scale_daemon, "state_fs", "?");

        g_string_append_printf(
            md,
            "The same %.0f simulated migrations (ram-hog at %gx, one `virt-converge-sim "
            "--instances %.0f`), tuned by the daemon's core: `CvDaemon` as virt-converged runs "
            "it (discovery, one tuner per migration, durable state records before each change, "
            "runtime documents, history, metrics), with the load suite's stand-in for libvirt "
            "(tests/cv-test-load-source.c, the one `tests/test-load` uses) in place of libvirt: "
            "its domains are the simulator's instances, a scan asks each of them "
            "`query-migrate` over a connection of its own, and each migration's target is a QMP "
            "connection to its instance behind the same measuring proxy as above. The "
            "migrations are started on those connections and hinted to the daemon as libvirt's "
            "iteration events would; the measurement runs from the daemon's creation to the "
            "last migration written down and let go.\n\n"
            "| measure | value |\n|---|---|\n"
            "| migrations completed | %.0f of %.0f (%.0f outcome lines) |\n"
            "| evaluated iterations (all migrations, from the outcome lines) | %.0f |\n"
            "| pass events received | %.0f |\n"
            "| scans (each reads all %.0f domains) | %.0f |\n"
            "| agent CPU | %.3f s over %.1f s of wall time |\n"
            "| agent CPU per evaluated iteration per migration | %.1f µs |\n"
            "| simulator CPU (not the agent's) | %.3f s |\n"
            "| agent RSS | %.1f MiB before the daemon, %.1f MiB peak |\n"
            "| pass event → downtime-limit applied, p50 | %.1f ms |\n"
            "| pass event → downtime-limit applied, p99 | %.1f ms |\n\n",
            num(scale_daemon, "instances"), num(scale_daemon, "speed"),
            num(scale_daemon, "instances"), num(scale_daemon, "completed"),
            num(scale_daemon, "instances"), num(scale_daemon, "outcomes"), evals,
            num(scale_daemon, "pass_events"), num(scale_daemon, "instances"),
            num(scale_daemon, "scans"), num(scale_daemon, "cpu_s"), num(scale_daemon, "wall_s"),
            num(scale_daemon, "cpu_s") / evals * 1e6, num(scale_daemon, "sim_cpu_s"),
            num(scale_daemon, "rss_kib_before") / 1024, num(scale_daemon, "rss_kib_peak") / 1024,
            num(scale_daemon, "delay_us_p50") / 1000, num(scale_daemon, "delay_us_p99") / 1000);
        if (scale != NULL)
            g_string_append_printf(
                md,
                "Against the tuners alone in the same run: %.1f× the CPU per evaluated "
                "iteration (%.1f µs against %.1f µs), %.1f MiB against %.1f MiB peak RSS, and a "
                "pass-to-change delay of %.1f ms against %.1f ms at the median.\n\n",
                (num(scale_daemon, "cpu_s") / evals) /
                    (num(scale, "cpu_s") / MAX(num(scale, "evaluations"), 1)),
                num(scale_daemon, "cpu_s") / evals * 1e6,
                num(scale, "cpu_s") / MAX(num(scale, "evaluations"), 1) * 1e6,
                num(scale_daemon, "rss_kib_peak") / 1024, num(scale, "rss_kib_peak") / 1024,
                num(scale_daemon, "delay_us_p50") / 1000, num(scale, "delay_us_p50") / 1000);
        g_string_append_printf(
            md,
            "What the daemon adds: before it changes a parameter it writes the migration's "
            "state record and fsyncs it (so that a crash still restores what it changed), on "
            "the main loop; here on %s, under $TMPDIR. The delay above includes that fsync, and "
            "with many migrations changing at once the fsyncs queue on the one main loop: on a "
            "slow or busy disk they, not the CPU, set the delay. The agent CPU includes the "
            "stand-in's scans (parsing %.0f `query-migrate` replies per scan), which in "
            "production are libvirt's work, in libvirtd and in the client library's worker "
            "thread; neither libvirtd nor that thread is measured here.\n\n",
            fs, num(scale_daemon, "instances"));
        if (scale_daemon_tmpfs != NULL) {
            gdouble e = MAX(num(scale_daemon_tmpfs, "evaluations"), 1);

            g_string_append_printf(
                md,
                "The same daemon run again with its state and runtime directories on tmpfs "
                "(fsync is free there), everything else alike: %.0f of %.0f completed, %.0f "
                "evaluated iterations, %.0f pass events, agent CPU %.3f s over %.1f s (%.1f µs "
                "per evaluated iteration), %.1f MiB peak RSS, pass event → downtime-limit "
                "applied %.1f ms p50, %.1f ms p99. The difference from the run above is the "
                "disk's.\n\n",
                num(scale_daemon_tmpfs, "completed"), num(scale_daemon_tmpfs, "instances"), e,
                num(scale_daemon_tmpfs, "pass_events"), num(scale_daemon_tmpfs, "cpu_s"),
                num(scale_daemon_tmpfs, "wall_s"), num(scale_daemon_tmpfs, "cpu_s") / e * 1e6,
                num(scale_daemon_tmpfs, "rss_kib_peak") / 1024,
                num(scale_daemon_tmpfs, "delay_us_p50") / 1000,
                num(scale_daemon_tmpfs, "delay_us_p99") / 1000);
        }
    }
    if (!g_file_set_contents(out, md->str, (gssize)md->len, NULL)) {
        g_printerr("cv-bench-overhead report: cannot write %s\n", out);
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    cv_bench_log_init();
    if (argc >= 2 && g_strcmp0(argv[1], "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (argc >= 2 && g_strcmp0(argv[1], "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    if (argc >= 2 && g_strcmp0(argv[1], "flood") == 0)
        return cmd_flood(argc - 1, argv + 1);
    if (argc >= 2 && g_strcmp0(argv[1], "scale") == 0)
        return cmd_scale(argc - 1, argv + 1, FALSE);
    if (argc >= 2 && g_strcmp0(argv[1], "scale-daemon") == 0)
        return cmd_scale_daemon(argc - 1, argv + 1);
    if (argc >= 2 && g_strcmp0(argv[1], "idle") == 0)
        return cmd_scale(argc - 1, argv + 1, TRUE);
    g_printerr("usage: cv-bench-overhead replay|flood|scale|scale-daemon|idle [OPTIONS] (see "
               "--help of each)\n");
    return 2;
}
