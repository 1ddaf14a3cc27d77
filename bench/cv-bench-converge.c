/* cv-bench-converge: every policy (ours and the baselines) on every simulator scenario, each
 * QEMU version that applies, several seeds.
 *
 *   cv-bench-converge run [--quick] [--jobs N] [--scenario NAME]... --out RUNS.jsonl
 *   cv-bench-converge report --in RUNS.jsonl [--commit C] [--machine M] --out-dir DIR
 *
 * `run` writes one JSON object per migration (and the chart series of the charted runs);
 * `report` turns them into DIR/convergence.md and DIR/charts/SCENARIO.svg. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-bench-harness.h"
#include "cv-bench-svg.h"
#include "cv-config.h"

typedef struct {
    const gchar *name;
    guint instances;
    gdouble stagger_s;
    const gchar *why; /* what it shows, for the report */
} ScenarioSpec;

/* The scenarios with a set-up of their own; every other one in the search path runs too, as
 * one migration, after these. */
static const ScenarioSpec known_scenarios[] = {
    {"vgpu-2g", 1, 0, "2 GiB vGPU state behind a 460 Mbit/s precopy stream on a 10 Gbit link"},
    {"idle", 1, 0, "converges by itself: a tuner must do nothing"},
    {"ram-hog", 1, 0, "RAM written faster than precopy sends: needs ~600-750 ms"},
    {"bandwidth-drop", 1, 0, "precopy halves at 25 s: the link is still fast"},
    {"vfio-garbage", 1, 0, "a driver reporting 100 GiB, >INT64_MAX, then random sizes"},
    {"hopeless", 1, 0, "48 GiB of device state: 41 s of blackout at 10 Gbit/s"},
    {"converge-late", 1, 0, "busy for 60 s, then calm: patience wins"},
    {"vep291", 1, 0, "KubeVirt VEP 291's set-up: 8 GiB, 1 Gbit/s, 650 Mbit/s of dirtying"},
    {"vfio-regrow", 1, 0, "device state grows from 256 MiB to 1 GiB at 25 s"},
    {"shared-link", 4, 5, "four migrations, 5 s apart, on one 10 Gbit link"},
};

static const gchar *const versions[] = {"11.1", "8.2", "7.2"};

static GArray *scenarios; /* of ScenarioSpec: the known ones, then the rest of the search path */
#define SPEC(i) (&g_array_index(scenarios, ScenarioSpec, (i)))

static void
load_scenarios(void)
{
    g_auto(GStrv) names = cv_sim_scenario_list();

    scenarios = g_array_new(FALSE, FALSE, sizeof(ScenarioSpec));
    g_array_append_vals(scenarios, known_scenarios, G_N_ELEMENTS(known_scenarios));
    for (guint i = 0; names[i] != NULL; i++) {
        g_autofree gchar *path = NULL;
        g_autoptr(CvSimScenario) sc = NULL;
        gboolean known = FALSE;
        ScenarioSpec spec = {0};

        for (guint k = 0; k < G_N_ELEMENTS(known_scenarios); k++)
            known |= g_strcmp0(known_scenarios[k].name, names[i]) == 0;
        path = cv_sim_scenario_find(names[i], NULL);
        sc = path != NULL ? cv_sim_scenario_load_file(path, NULL) : NULL;
        if (known || sc == NULL)
            continue;
        /* kept for the life of the process */
        spec.name = g_strdup(names[i]);
        spec.instances = 1;
        spec.why = g_strdup(sc->description);
        g_array_append_val(scenarios, spec);
    }
}

/* ---- policies ------------------------------------------------------------------------- */

static CvConfig *shipped_config;

static gboolean
load_shipped(GError **error)
{
    g_autofree gchar *path = g_build_filename(SOURCE_DATADIR, "virt-converged.conf", NULL);

    shipped_config = cv_config_load(path, NULL, error);
    return shipped_config != NULL;
}

/* The policies for one scenario: the baselines, ours as shipped (the product picks `vfio` for
 * a guest with VFIO devices when that policy exists, else `default`), and ours with the link
 * stated (switchover-bandwidth = the scenario's per-migration link rate). */
static GArray *
policies_for(const CvSimScenario *sc)
{
    GArray *list = g_array_new(FALSE, TRUE, sizeof(CvBenchPolicy));
    const gchar *name = "default";
    const CvPolicy *shipped;
    CvPolicy linked;
    CvBenchPolicy p;
    gchar label[96];

    for (guint k = 0; k < CV_BENCH_N_BASELINES; k++) {
        cv_bench_policy_baseline(&p, (CvBenchBaselineKind)k);
        g_array_append_val(list, p);
    }
    if (cv_sim_scenario_has_vfio(sc) && cv_config_get_policy(shipped_config, "vfio") != NULL)
        name = "vfio";
    shipped = cv_config_get_policy(shipped_config, name);
    g_snprintf(label, sizeof(label), "virt-converge, shipped '%s'", name);
    cv_bench_policy_ours(&p, "ours", label, shipped);
    g_array_append_val(list, p);
    linked = *shipped;
    linked.switchover_bandwidth = (guint64)sc->link_rate;
    g_snprintf(label, sizeof(label), "virt-converge, '%s' + link stated (%.0f Mbit/s)", name,
               sc->link_rate * 8 / 1e6);
    cv_bench_policy_ours(&p, "ours+link", label, &linked);
    g_array_append_val(list, p);
    return list;
}

/* ---- run ------------------------------------------------------------------------------- */

static void
write_run(FILE *out, const ScenarioSpec *spec, const gchar *version, const CvBenchPolicy *p,
          guint seed, guint index, const CvBenchRunResult *run, const CvBenchInstanceResult *r,
          gboolean chart)
{
    g_autofree gchar *message = g_strescape(r->message, NULL);

    fprintf(
        out,
        "{\"scenario\":\"%s\",\"version\":\"%s\",\"policy\":\"%s\",\"label\":\"%s\","
        "\"seed\":%u,\"instance\":%u,\"outcome\":\"%s\",\"message\":\"%s\","
        "\"converged\":%s,\"completed\":%s,\"duration_s\":%.3f,\"first_stall_s\":%.3f,"
        "\"stall_onset_s\":%.3f,\"first_action_s\":%.3f,"
        "\"downtime_ms\":%" G_GINT64_FORMAT ",\"floor_ms\":%.1f,\"max_limit_ms\":%" G_GUINT64_FORMAT
        ",\"changes\":%u,\"bytes_sent\":%.0f,\"cap_ms\":%" G_GUINT64_FORMAT
        ",\"cap_broken\":%s,\"predicted_ms\":%" G_GUINT64_FORMAT
        ",\"expected_ms\":%" G_GINT64_FORMAT
        ",\"stop_copy_rate\":%.0f,\"link_rate\":%.0f,\"cpu_s\":%.4f,\"virtual_s\":%.1f,"
        "\"evaluations\":%" G_GUINT64_FORMAT,
        spec->name, version, p->name, p->label, seed, index, cv_tuner_outcome_to_string(r->outcome),
        message, r->converged ? "true" : "false", r->completed ? "true" : "false", r->duration_s,
        r->first_stall_s, r->stall_onset_s, r->first_action_s,
        r->have_downtime ? (gint64)r->downtime_ms : (gint64)-1, r->floor_ms, r->max_limit_ms,
        r->n_changes, r->bytes_sent, p->cap_ms, r->cap_broken ? "true" : "false", r->predicted_ms,
        r->have_expected ? (gint64)r->expected_ms : (gint64)-1, r->stop_copy_rate, run->link_rate,
        run->cpu_s, run->virtual_s, run->evaluations);
    if (chart) {
        fprintf(out, ",\"series\":[");
        for (guint i = 0; i < r->series->len; i++) {
            const CvBenchPoint *pt = &g_array_index(r->series, CvBenchPoint, i);

            fprintf(out, "%s[%.1f,%.0f,%" G_GUINT64_FORMAT "]", i > 0 ? "," : "", pt->t,
                    pt->pending, pt->limit_ms);
        }
        fprintf(out, "]");
    }
    fprintf(out, "}\n");
    fflush(out);
}

typedef struct {
    gboolean quick;
    guint seeds;
    gdouble horizon_s;
    gchar **only;
    gchar **only_policy;
} RunOptions;

static gboolean
wanted(gchar **list, const gchar *name)
{
    return list == NULL || g_strv_contains((const gchar *const *)list, name);
}

static gboolean
run_scenario(FILE *out, const ScenarioSpec *spec, const RunOptions *o, GError **error)
{
    g_autofree gchar *path = cv_sim_scenario_find(spec->name, error);
    g_autoptr(CvSimScenario) sc = NULL;
    g_autoptr(GArray) policies = NULL;

    if (path == NULL || (sc = cv_sim_scenario_load_file(path, error)) == NULL)
        return FALSE;
    policies = policies_for(sc);
    for (guint v = 0; v < G_N_ELEMENTS(versions); v++) {
        CvSimQemuVersion ver;

        cv_sim_qemu_version_from_string(versions[v], &ver);
        if (!cv_sim_scenario_supports(sc, ver))
            continue;
        /* --quick: the newest version only */
        if (o->quick && v > 0)
            continue;
        for (guint pi = 0; pi < policies->len; pi++) {
            const CvBenchPolicy *p = &g_array_index(policies, CvBenchPolicy, pi);

            if (!wanted(o->only_policy, p->name))
                continue;
            for (guint seed = 1; seed <= o->seeds; seed++) {
                CvBenchRunConfig cfg = {spec->name,
                                        versions[v],
                                        seed,
                                        spec->instances,
                                        spec->stagger_s,
                                        o->horizon_s,
                                        o->horizon_s > 4000 ? 2.0 : 1.0};
                CvBenchRunResult run;
                g_autoptr(GError) local = NULL;

                if (!cv_bench_run(&cfg, p, &run, &local)) {
                    g_printerr("cv-bench-converge: %s %s %s seed %u: %s\n", spec->name, versions[v],
                               p->name, seed, local->message);
                    continue;
                }
                for (guint i = 0; i < run.n_instances; i++)
                    write_run(out, spec, versions[v], p, seed, i, &run, &run.instances[i],
                              seed == 1 && i == 0 && v == 0);
                g_printerr("  %-15s %-5s %-14s seed %u: %-10s %8.1f s virtual, %6.2f s cpu\n",
                           spec->name, versions[v], p->name, seed,
                           cv_tuner_outcome_to_string(run.instances[0].outcome), run.virtual_s,
                           run.cpu_s);
                cv_bench_run_result_clear(&run);
            }
        }
    }
    return TRUE;
}

static gint
cmd_run(gint argc, gchar **argv)
{
    g_autofree gchar *out_path = NULL;
    gboolean quick = FALSE;
    gint jobs = 1, seeds = 0;
    gdouble horizon = 0;
    g_auto(GStrv) only = NULL;
    g_auto(GStrv) only_policy = NULL;
    const GOptionEntry entries[] = {
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "write the runs to FILE (JSON lines)",
         "FILE"},
        {"quick", 0, 0, G_OPTION_ARG_NONE, &quick, "one seed, 11.1 only, a shorter horizon", NULL},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "worker processes (default 1)", "N"},
        {"seeds", 0, 0, G_OPTION_ARG_INT, &seeds, "seeds per run (default 3, --quick 1)", "N"},
        {"horizon", 0, 0, G_OPTION_ARG_DOUBLE, &horizon,
         "stop watching after SECONDS of migration (default 14400, --quick 3600)", "SECONDS"},
        {"scenario", 0, 0, G_OPTION_ARG_STRING_ARRAY, &only, "only this scenario (repeatable)",
         "NAME"},
        {"policy", 0, 0, G_OPTION_ARG_STRING_ARRAY, &only_policy, "only this policy (repeatable)",
         "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- run the convergence benchmark");
    g_autoptr(GError) error = NULL;
    RunOptions o = {0};
    GPtrArray *pids = g_ptr_array_new();
    gint status = 0;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || out_path == NULL) {
        g_printerr("cv-bench-converge run: %s\n",
                   error != NULL ? error->message : "--out FILE is required");
        return 1;
    }
    if (!load_shipped(&error)) {
        g_printerr("cv-bench-converge: the shipped policies: %s\n", error->message);
        return 1;
    }
    o.quick = quick;
    o.seeds = seeds > 0 ? (guint)seeds : quick ? 1 : 3;
    o.horizon_s = horizon > 0 ? horizon : quick ? 3600 : 14400;
    o.only = only;
    o.only_policy = only_policy;
    jobs = CLAMP(jobs, 1, 16);
    /* Workers take every jobs-th scenario and write their own file; the parent joins them in
     * scenario order. */
    for (gint w = 0; w < jobs; w++) {
        pid_t pid = fork();

        if (pid < 0) {
            g_printerr("cv-bench-converge: fork failed\n");
            return 1;
        }
        if (pid == 0) {
            g_autofree gchar *part = g_strdup_printf("%s.part%d", out_path, w);
            FILE *out = fopen(part, "w");

            if (out == NULL)
                _exit(1);
            for (guint s = (guint)w; s < scenarios->len; s += (guint)jobs) {
                g_autoptr(GError) local = NULL;

                if (!wanted(only, SPEC(s)->name))
                    continue;
                if (!run_scenario(out, SPEC(s), &o, &local)) {
                    g_printerr("cv-bench-converge: %s: %s\n", SPEC(s)->name, local->message);
                    fclose(out);
                    _exit(1);
                }
            }
            fclose(out);
            _exit(0);
        }
        g_ptr_array_add(pids, GINT_TO_POINTER(pid));
    }
    for (guint i = 0; i < pids->len; i++) {
        gint st = 0;

        waitpid(GPOINTER_TO_INT(g_ptr_array_index(pids, i)), &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            status = 1;
    }
    g_ptr_array_unref(pids);
    {
        FILE *out = fopen(out_path, "w");

        if (out == NULL) {
            g_printerr("cv-bench-converge: cannot write %s\n", out_path);
            return 1;
        }
        /* in scenario order: worker w holds scenarios w, w + jobs, ... */
        for (gint w = 0; w < jobs; w++) {
            g_autofree gchar *part = g_strdup_printf("%s.part%d", out_path, w);
            g_autofree gchar *text = NULL;

            if (g_file_get_contents(part, &text, NULL, NULL))
                fputs(text, out);
            g_unlink(part);
        }
        fclose(out);
    }
    g_clear_pointer(&shipped_config, cv_config_free);
    return status;
}

/* ---- report ---------------------------------------------------------------------------- */

typedef struct {
    gchar *scenario, *version, *policy, *label, *outcome;
    guint seed, instance;
    gboolean converged, completed, cap_broken;
    gdouble duration_s, first_stall_s, stall_onset_s, first_action_s, floor_ms, bytes_sent,
        virtual_s, cpu_s;
    gint64 downtime_ms, expected_ms;
    guint64 max_limit_ms, cap_ms, predicted_ms;
    guint changes;
    GArray *t, *pending, *limit; /* chart series, or NULL */
} Row;

static void
row_free(gpointer data)
{
    Row *r = data;

    g_free(r->scenario);
    g_free(r->version);
    g_free(r->policy);
    g_free(r->label);
    g_free(r->outcome);
    if (r->t != NULL) {
        g_array_unref(r->t);
        g_array_unref(r->pending);
        g_array_unref(r->limit);
    }
    g_free(r);
}

static GPtrArray *
load_rows(gchar **inputs, GError **error)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(row_free);

    for (guint f = 0; inputs[f] != NULL; f++) {
        g_autofree gchar *text = NULL;
        g_auto(GStrv) lines = NULL;

        if (!g_file_get_contents(inputs[f], &text, NULL, error)) {
            g_ptr_array_unref(rows);
            return NULL;
        }
        lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; lines[i] != NULL; i++) {
            g_autoptr(JsonParser) parser = json_parser_new();
            JsonObject *o;
            Row *r;

            if (lines[i][0] == '\0')
                continue;
            if (!json_parser_load_from_data(parser, lines[i], -1, error)) {
                g_prefix_error(error, "%s:%u: ", inputs[f], i + 1);
                g_ptr_array_unref(rows);
                return NULL;
            }
            o = json_node_get_object(json_parser_get_root(parser));
            r = g_new0(Row, 1);
            r->scenario = g_strdup(json_object_get_string_member(o, "scenario"));
            r->version = g_strdup(json_object_get_string_member(o, "version"));
            r->policy = g_strdup(json_object_get_string_member(o, "policy"));
            r->label = g_strdup(json_object_get_string_member(o, "label"));
            r->outcome = g_strdup(json_object_get_string_member(o, "outcome"));
            r->seed = (guint)json_object_get_int_member(o, "seed");
            r->instance = (guint)json_object_get_int_member(o, "instance");
            r->converged = json_object_get_boolean_member(o, "converged");
            r->cap_broken = json_object_get_boolean_member(o, "cap_broken");
            /* runs written before these fields existed: a converged run had completed */
            if (!json_object_has_member(o, "completed")) {
                r->completed = r->converged;
                r->converged = r->converged && !r->cap_broken;
            } else {
                r->completed = json_object_get_boolean_member(o, "completed");
            }
            r->stall_onset_s = json_object_get_double_member_with_default(o, "stall_onset_s", -1);
            r->first_action_s = json_object_get_double_member_with_default(o, "first_action_s", -1);
            r->duration_s = json_object_get_double_member(o, "duration_s");
            r->first_stall_s = json_object_get_double_member(o, "first_stall_s");
            r->floor_ms = json_object_get_double_member(o, "floor_ms");
            r->bytes_sent = json_object_get_double_member(o, "bytes_sent");
            r->virtual_s = json_object_get_double_member(o, "virtual_s");
            r->cpu_s = json_object_get_double_member(o, "cpu_s");
            r->downtime_ms = json_object_get_int_member(o, "downtime_ms");
            r->expected_ms = json_object_get_int_member(o, "expected_ms");
            r->max_limit_ms = (guint64)json_object_get_int_member(o, "max_limit_ms");
            r->cap_ms = (guint64)json_object_get_int_member(o, "cap_ms");
            r->predicted_ms = (guint64)json_object_get_int_member(o, "predicted_ms");
            r->changes = (guint)json_object_get_int_member(o, "changes");
            if (json_object_has_member(o, "series")) {
                JsonArray *a = json_object_get_array_member(o, "series");

                r->t = g_array_new(FALSE, FALSE, sizeof(gdouble));
                r->pending = g_array_new(FALSE, FALSE, sizeof(gdouble));
                r->limit = g_array_new(FALSE, FALSE, sizeof(gdouble));
                for (guint k = 0; k < json_array_get_length(a); k++) {
                    JsonArray *pt = json_array_get_array_element(a, k);
                    gdouble t = json_array_get_double_element(pt, 0);
                    gdouble pend = json_array_get_double_element(pt, 1);
                    gdouble lim = (gdouble)json_array_get_int_element(pt, 2);

                    g_array_append_val(r->t, t);
                    g_array_append_val(r->pending, pend);
                    g_array_append_val(r->limit, lim);
                }
            }
            g_ptr_array_add(rows, r);
        }
    }
    return rows;
}

static gint
cmp_double(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

/* Quantile of @v (sorted in place); NAN when empty. */
static gdouble
quantile(GArray *v, gdouble q)
{
    gdouble pos;
    guint lo;

    if (v->len == 0)
        return NAN;
    g_array_sort(v, cmp_double);
    pos = q * (v->len - 1);
    lo = (guint)floor(pos);
    if (lo + 1 >= v->len)
        return g_array_index(v, gdouble, v->len - 1);
    return g_array_index(v, gdouble, lo) +
           (pos - lo) * (g_array_index(v, gdouble, lo + 1) - g_array_index(v, gdouble, lo));
}

static void
fmt_time(GString *out, gdouble s)
{
    if (isnan(s))
        g_string_append(out, "–");
    else if (s >= 3600)
        g_string_append_printf(out, "%.1f h", s / 3600);
    else if (s >= 100)
        g_string_append_printf(out, "%.0f s", s);
    else
        g_string_append_printf(out, "%.1f s", s);
}

static void
fmt_ms(GString *out, gdouble ms)
{
    if (isnan(ms))
        g_string_append(out, "–");
    else if (ms >= 10000)
        g_string_append_printf(out, "%.1f s", ms / 1000);
    else
        g_string_append_printf(out, "%.0f ms", ms);
}

typedef struct {
    guint n, converged, completed, capped, aborted, running, other;
    GArray *duration, *stall_to_done, *downtime, *floor, *ratio, *changes, *bytes, *pred_ratio,
        *qemu_ratio;
    /* decision latency: first action - stall onset of the same migration untouched */
    GArray *latency, *onset, *unstalled_action;
    guint stalled, acted;
    guint64 max_limit, cap_ms;
    gdouble end_of_runs; /* the longest a non-converged one ran */
    const gchar *label;
} Agg;

static void
agg_init(Agg *a)
{
    memset(a, 0, sizeof(*a));
    a->duration = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->stall_to_done = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->downtime = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->floor = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->ratio = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->changes = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->bytes = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->pred_ratio = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->qemu_ratio = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->latency = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->onset = g_array_new(FALSE, FALSE, sizeof(gdouble));
    a->unstalled_action = g_array_new(FALSE, FALSE, sizeof(gdouble));
}

static void
agg_clear(Agg *a)
{
    g_array_unref(a->duration);
    g_array_unref(a->stall_to_done);
    g_array_unref(a->downtime);
    g_array_unref(a->floor);
    g_array_unref(a->ratio);
    g_array_unref(a->changes);
    g_array_unref(a->bytes);
    g_array_unref(a->pred_ratio);
    g_array_unref(a->qemu_ratio);
    g_array_unref(a->latency);
    g_array_unref(a->onset);
    g_array_unref(a->unstalled_action);
}

#define PUSH(arr, val)                                                                             \
    do {                                                                                           \
        gdouble v_ = (val);                                                                        \
        g_array_append_val((arr), v_);                                                             \
    } while (0)

/* Where the stall of @r's migration begins, judged on the same migration untouched (the
 * `qemu` run of the same scenario, QEMU, seed and instance: the simulation is the same until
 * a policy first changes something, so the onset does not depend on when a policy acts, nor
 * vanish because it acted before the plateau was judged). Without that run, @r's own. */
static gdouble
stall_onset(GPtrArray *rows, const Row *r)
{
    for (guint i = 0; rows != NULL && i < rows->len; i++) {
        const Row *q = g_ptr_array_index(rows, i);

        if (g_strcmp0(q->policy, "qemu") == 0 && q->seed == r->seed && q->instance == r->instance &&
            g_strcmp0(q->scenario, r->scenario) == 0 && g_strcmp0(q->version, r->version) == 0)
            return q->first_stall_s >= 0 ? q->stall_onset_s : -1;
    }
    return r->first_stall_s >= 0 ? r->stall_onset_s : -1;
}

static void
agg_add(Agg *a, GPtrArray *rows, const Row *r)
{
    gdouble onset = stall_onset(rows, r);

    if (onset >= 0) {
        a->stalled++;
        PUSH(a->onset, onset);
        if (r->first_action_s >= 0) {
            a->acted++;
            PUSH(a->latency, r->first_action_s - onset);
        }
    } else if (r->first_action_s >= 0) {
        PUSH(a->unstalled_action, r->first_action_s);
    }
    a->n++;
    a->label = r->label;
    a->cap_ms = r->cap_ms;
    a->max_limit = MAX(a->max_limit, r->max_limit_ms);
    PUSH(a->changes, r->changes);
    PUSH(a->bytes, r->bytes_sent / 1073741824.0);
    if (r->cap_broken)
        a->capped++;
    if (r->converged)
        a->converged++;
    if (r->completed) {
        a->completed++;
        PUSH(a->duration, r->duration_s);
        if (onset >= 0)
            PUSH(a->stall_to_done, r->duration_s - onset);
        if (r->downtime_ms >= 0) {
            PUSH(a->downtime, r->downtime_ms);
            if (r->floor_ms > 0) {
                PUSH(a->floor, r->floor_ms);
                PUSH(a->ratio, r->downtime_ms / r->floor_ms);
            }
            if (r->predicted_ms > 0 && r->downtime_ms > 0)
                PUSH(a->pred_ratio, (gdouble)r->predicted_ms / r->downtime_ms);
            if (r->expected_ms >= 0 && r->downtime_ms > 0)
                PUSH(a->qemu_ratio, (gdouble)r->expected_ms / r->downtime_ms);
        }
    } else {
        a->end_of_runs = MAX(a->end_of_runs, r->duration_s);
        if (g_strcmp0(r->outcome, "aborted") == 0)
            a->aborted++;
        else if (g_strcmp0(r->outcome, "detached") == 0)
            a->running++;
        else
            a->other++;
    }
}

static void
fmt_outcome(GString *out, const Agg *a)
{
    g_string_append_printf(out, "%u/%u", a->converged, a->n);
    if (a->capped > 0)
        g_string_append_printf(out, ", %u cap broken", a->capped);
    if (a->aborted > 0)
        g_string_append_printf(out, ", %u aborted", a->aborted);
    if (a->running > 0) {
        g_string_append_printf(out, ", %u running at ", a->running);
        fmt_time(out, a->end_of_runs);
    }
    if (a->other > 0)
        g_string_append_printf(out, ", %u other", a->other);
}

/* The rows of one scenario/version/policy. */
static void
aggregate(GPtrArray *rows, const gchar *scenario, const gchar *version, const gchar *policy, Agg *a)
{
    agg_init(a);
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = g_ptr_array_index(rows, i);

        if (g_strcmp0(r->scenario, scenario) == 0 && g_strcmp0(r->version, version) == 0 &&
            g_strcmp0(r->policy, policy) == 0)
            agg_add(a, rows, r);
    }
}

static GPtrArray *
distinct(GPtrArray *rows, gsize offset, const gchar *scenario)
{
    GPtrArray *names = g_ptr_array_new();

    for (guint i = 0; i < rows->len; i++) {
        const Row *r = g_ptr_array_index(rows, i);
        const gchar *name = G_STRUCT_MEMBER(const gchar *, r, offset);

        if (scenario != NULL && g_strcmp0(r->scenario, scenario) != 0)
            continue;
        if (!g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
            g_ptr_array_add(names, (gpointer)name);
    }
    return names;
}

/* Ours stand out (red, black, thick); the baselines keep one colour each across charts. */
static const gchar *
policy_colour(const gchar *policy)
{
    static const struct {
        const gchar *name, *colour;
    } map[] = {
        {"ours", "#d62728"},          {"ours+link", "#000000"},    {"qemu", "#7f7f7f"},
        {"nova", "#e69f00"},          {"nova-force", "#f0c060"},   {"ovirt-minimal", "#009e73"},
        {"ovirt-suspend", "#7fd6b0"}, {"proxmox", "#0072b2"},      {"kubevirt", "#8c564b"},
        {"kubevirt-291", "#cc79a7"},  {"kubevirt-248", "#56b4e9"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_strcmp0(map[i].name, policy) == 0)
            return map[i].colour;
    }
    return NULL;
}

static void
write_chart(const gchar *dir, GPtrArray *rows, const gchar *scenario, const gchar *why)
{
    g_autoptr(GArray) lines = g_array_new(FALSE, TRUE, sizeof(CvBenchSvgLine));
    g_autofree gchar *svg = NULL;
    g_autofree gchar *path = NULL;
    g_autofree gchar *title = NULL;
    const gchar *version = NULL;
    gdouble x_max = 120;

    for (guint i = 0; i < rows->len; i++) {
        const Row *r = g_ptr_array_index(rows, i);
        CvBenchSvgLine line = {0};

        if (r->t == NULL || g_strcmp0(r->scenario, scenario) != 0)
            continue;
        version = r->version;
        line.label = r->label;
        line.t = (const gdouble *)(gpointer)r->t->data;
        line.upper = (const gdouble *)(gpointer)r->pending->data;
        line.lower = (const gdouble *)(gpointer)r->limit->data;
        line.n = r->t->len;
        line.end = r->completed ? 'c' : g_strcmp0(r->outcome, "detached") == 0 ? 'r' : 'a';
        line.colour = policy_colour(r->policy);
        /* an aborted migration's last readings are of the cancelled job (nothing pending):
         * its line ends where it was given up */
        while (line.end == 'a' && line.n > 1 && line.upper[line.n - 1] <= 0)
            line.n--;
        line.bold = g_str_has_prefix(r->policy, "ours");
        /* the time axis covers what completed, and ours however they ended; the rest runs
         * off its edge (the tables have their numbers) */
        if ((line.end == 'c' || line.bold) && r->duration_s <= 3600)
            x_max = MAX(x_max, r->duration_s * 1.15);
        g_array_append_val(lines, line);
    }
    if (lines->len == 0)
        return;
    x_max = MIN(x_max, 3600);
    title = g_strdup_printf("%s (QEMU %s semantics, seed 1)", scenario, version);
    svg = cv_bench_svg_chart(title, why, (const CvBenchSvgLine *)(gpointer)lines->data, lines->len,
                             x_max);
    path = g_strdup_printf("%s/charts/%s.svg", dir, scenario);
    g_file_set_contents(path, svg, -1, NULL);
}

static const gchar *
policy_order(guint i)
{
    static const gchar *const order[] = {
        "ours",          "ours+link", "qemu",     "nova",         "nova-force",   "ovirt-minimal",
        "ovirt-suspend", "proxmox",   "kubevirt", "kubevirt-291", "kubevirt-248", NULL,
    };

    return i < G_N_ELEMENTS(order) ? order[i] : NULL;
}

/* One headline cell: converged runs' median time and downtime, or how it ended. */
static void
headline_cell(GString *out, const Agg *a)
{
    if (a->n == 0) {
        g_string_append(out, " – |");
        return;
    }
    if (a->converged == a->n) {
        g_string_append(out, " ✓ ");
    } else if (a->converged > 0 || a->completed > 0) {
        g_string_append_printf(out, " %s%u/%u ", a->converged == 0 ? "✗ " : "", a->converged, a->n);
    } else {
        g_string_append(out, " ✗ ");
        if (a->aborted > 0) {
            g_string_append(out, "abort ");
            fmt_time(out, a->end_of_runs);
        } else if (a->running > 0) {
            g_string_append(out, "none in ");
            fmt_time(out, a->end_of_runs);
        }
        g_string_append(out, a->capped > 0 ? " **cap broken** |" : " |");
        return;
    }
    fmt_time(out, quantile(a->duration, 0.5));
    g_string_append(out, " · ");
    fmt_ms(out, quantile(a->downtime, 0.5));
    if (a->capped > 0)
        g_string_append_printf(out, " **cap broken %u×**", a->capped);
    g_string_append(out, " |");
}

/* Real QEMU 7.2: one table per region/bandwidth, one row per policy (runs as they came). */
static void
qemu_section(GString *md, const gchar *path)
{
    g_autofree gchar *text = NULL;
    g_auto(GStrv) lines = NULL;
    gchar last_config[64] = "";

    g_string_append(
        md, "## Real QEMU 7.2\n\nThe e2e set-up on this machine: two TCG QEMUs on loopback, a "
            "guest that re-dirties a region of REGION MiB about a thousand times a second, "
            "`max-bandwidth` throttling the precopy stream (the final copy runs unthrottled). "
            "QEMU switches over once REGION ÷ bandwidth fits the limit, so 64 MiB at 64 MiB/s "
            "needs a limit above 1000 ms. Each policy tunes it through the same tuner and QMP "
            "target on the real clock; a run is given up at the timeout (\"detached\"). "
            "`ours+link` states the link at 1 GiB/s (loopback carries about 1.3 GB/s); 7.2 "
            "has no `avail-switchover-bandwidth`, so the engine may set a limit above its cap "
            "only while limit × max-bandwidth ÷ stated rate stays within it. The guest dirties "
            "its whole region faster than the stream sends it, so the migration stalls from its "
            "first iterations: **first change** is when the policy first changed the limit "
            "(Proxmox lowers it to 100 ms at once), **first action** when it first raised it "
            "above the 300 ms every run starts from (or chose post-copy, pause or abort), with "
            "QEMU's pass number (dirty-sync-count) then.\n\n");
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        g_string_append(md, "(no runs: the QEMU benchmark did not run)\n\n");
        return;
    }
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o;
        gchar config[64];
        gint64 downtime, limit, cap;

        if (lines[i][0] == '\0' || !json_parser_load_from_data(parser, lines[i], -1, NULL))
            continue;
        o = json_node_get_object(json_parser_get_root(parser));
        g_snprintf(config, sizeof(config), "%" G_GINT64_FORMAT " MiB at %" G_GINT64_FORMAT " MiB/s",
                   json_object_get_int_member(o, "region_mb"),
                   json_object_get_int_member(o, "bandwidth_mib"));
        if (g_strcmp0(config, last_config) != 0) {
            g_string_append_printf(
                md,
                "\n### %s\n\n| policy | outcome | time | real downtime | "
                "first change | first action (pass) | max limit | changes | cap |\n"
                "|---|---|---|---|---|---|---|---|---|\n",
                config);
            g_strlcpy(last_config, config, sizeof(last_config));
        }
        downtime = json_object_get_int_member(o, "downtime_ms");
        limit = json_object_get_int_member(o, "max_limit_ms");
        cap = json_object_get_int_member(o, "cap_ms");
        g_string_append_printf(md, "| %s | %s | ", json_object_get_string_member(o, "policy"),
                               json_object_get_string_member(o, "outcome"));
        /* a completed run's time is QEMU's total-time: a poller notices the end later */
        if (downtime >= 0 && json_object_get_int_member(o, "total_time_ms") > 0)
            fmt_time(md, (gdouble)json_object_get_int_member(o, "total_time_ms") / 1000.0);
        else
            fmt_time(md, json_object_get_double_member(o, "elapsed_s"));
        g_string_append(md, " | ");
        if (downtime >= 0)
            g_string_append_printf(md, "%" G_GINT64_FORMAT " ms%s", downtime,
                                   cap > 0 && downtime > cap ? " **cap broken**" : "");
        else
            g_string_append(md, "–");
        g_string_append(md, " | ");
        if (json_object_get_double_member(o, "first_change_s") >= 0)
            fmt_time(md, json_object_get_double_member(o, "first_change_s"));
        else
            g_string_append(md, "–");
        g_string_append(md, " | ");
        if (json_object_get_double_member_with_default(o, "first_action_s", -1) >= 0) {
            fmt_time(md, json_object_get_double_member(o, "first_action_s"));
            if (json_object_get_int_member_with_default(o, "first_action_pass", -1) >= 0)
                g_string_append_printf(md, " (%" G_GINT64_FORMAT ")",
                                       json_object_get_int_member(o, "first_action_pass"));
        } else {
            g_string_append(md, "–");
        }
        g_string_append(md, " | ");
        if (limit > 0)
            g_string_append_printf(md, "%" G_GINT64_FORMAT " ms", limit);
        else
            g_string_append(md, "–");
        g_string_append_printf(md, " | %" G_GINT64_FORMAT " | ",
                               json_object_get_int_member(o, "changes"));
        if (cap > 0)
            g_string_append_printf(md, "%" G_GINT64_FORMAT " ms |\n", cap);
        else
            g_string_append(md, "– |\n");
    }
    g_string_append(md, "\n");
}

/* Decision latency, one matrix per QEMU version: scenarios × policies. */
static void
latency_section(GString *md, GPtrArray *rows)
{
    g_string_append(
        md,
        "## Decision latency: stall onset → first action\n\n"
        "The stall onset is judged once per migration, on the same migration untouched (the "
        "`qemu` run of the same scenario, QEMU version, seed and instance; the simulation is "
        "the same up to a policy's first change): the stall judge above fires, and the onset is "
        "the earliest iteration boundary from which the state never fell by 4 % again up to "
        "then (where the plateau began). The first action is the first change a policy applied "
        "that brings the switchover nearer: a downtime-limit above the one in force when the "
        "tuner attached (QEMU's 300 ms), post-copy, pause or abort; not a limit set lower "
        "(Nova, oVirt, Proxmox and VEP 291 start below 300 ms) nor "
        "`avail-switchover-bandwidth` (ours states the link once, before any stall). Cell: median "
        "latency in seconds (min … max), then (acted / stalled runs) when some stalled runs "
        "saw no action; negative = acted before the plateau began (a timer, or a forecast). "
        "\"no action\": none in the runs that stalled (`ours+link` can converge by stating the "
        "link "
        "alone, which is not counted as an action). \"no stall\": the untouched migration never "
        "stalled (then \"acted at T\" if the policy "
        "changed something anyway, median time since start). The onset column gives the median "
        "onset itself.\n\n");
    for (guint v = 0; v < G_N_ELEMENTS(versions); v++) {
        gboolean any = FALSE;

        for (guint i = 0; i < rows->len && !any; i++)
            any = g_strcmp0(((const Row *)g_ptr_array_index(rows, i))->version, versions[v]) == 0;
        if (!any)
            continue;
        g_string_append_printf(md, "### QEMU %s semantics\n\n| scenario | onset |", versions[v]);
        for (guint p = 0; policy_order(p) != NULL; p++)
            g_string_append_printf(md, " %s |", policy_order(p));
        g_string_append(md, "\n|---|---|");
        for (guint p = 0; policy_order(p) != NULL; p++)
            g_string_append(md, "---|");
        g_string_append(md, "\n");
        for (guint s = 0; s < scenarios->len; s++) {
            const ScenarioSpec *spec = SPEC(s);
            Agg ref;

            aggregate(rows, spec->name, versions[v], "qemu", &ref);
            if (ref.n == 0) {
                agg_clear(&ref);
                continue;
            }
            g_string_append_printf(md, "| %s | ", spec->name);
            if (ref.onset->len > 0)
                fmt_time(md, quantile(ref.onset, 0.5));
            else
                g_string_append(md, "no stall");
            g_string_append(md, " |");
            agg_clear(&ref);
            for (guint p = 0; policy_order(p) != NULL; p++) {
                Agg a;

                aggregate(rows, spec->name, versions[v], policy_order(p), &a);
                if (a.n == 0) {
                    g_string_append(md, " – |");
                } else if (a.stalled == 0) {
                    g_string_append(md, " no stall");
                    if (a.unstalled_action->len > 0) {
                        g_string_append(md, ", acted at ");
                        fmt_time(md, quantile(a.unstalled_action, 0.5));
                    }
                    g_string_append(md, " |");
                } else if (a.acted == 0) {
                    g_string_append(md, " no action |");
                } else {
                    g_string_append_printf(md, " %+.1f s", quantile(a.latency, 0.5));
                    if (a.latency->len > 1)
                        g_string_append_printf(md, " (%+.1f … %+.1f)", quantile(a.latency, 0),
                                               quantile(a.latency, 1));
                    if (a.acted < a.stalled)
                        g_string_append_printf(md, " (%u/%u)", a.acted, a.stalled);
                    g_string_append(md, " |");
                }
                agg_clear(&a);
            }
            g_string_append(md, "\n");
        }
        g_string_append(md, "\n");
    }
}

static gint
cmd_report(gint argc, gchar **argv)
{
    g_auto(GStrv) inputs = NULL;
    g_autofree gchar *dir = NULL;
    g_autofree gchar *commit = NULL;
    g_autofree gchar *machine = NULL;
    g_autofree gchar *mode = NULL;
    g_autofree gchar *qemu_runs = NULL;
    const GOptionEntry entries[] = {
        {"in", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, "runs (JSON lines)", "FILE"},
        {"qemu", 0, 0, G_OPTION_ARG_FILENAME, &qemu_runs, "real QEMU runs (cv-bench-qemu output)",
         "FILE"},
        {"out-dir", 'o', 0, G_OPTION_ARG_FILENAME, &dir, "write convergence.md and charts/ here",
         "DIR"},
        {"commit", 0, 0, G_OPTION_ARG_STRING, &commit, "the commit measured", "C"},
        {"machine", 0, 0, G_OPTION_ARG_STRING, &machine, "the machine, one line", "M"},
        {"mode", 0, 0, G_OPTION_ARG_STRING, &mode, "full or quick", "MODE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- write the report");
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GString) md = g_string_new(NULL);
    g_autofree gchar *charts = NULL;
    g_autofree gchar *md_path = NULL;
    gdouble cpu = 0;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error) || inputs == NULL || dir == NULL) {
        g_printerr("cv-bench-converge report: %s\n",
                   error != NULL ? error->message : "--in FILE and --out-dir DIR are required");
        return 1;
    }
    rows = load_rows(inputs, &error);
    if (rows == NULL) {
        g_printerr("cv-bench-converge report: %s\n", error->message);
        return 1;
    }
    charts = g_build_filename(dir, "charts", NULL);
    g_mkdir_with_parents(charts, 0755);
    for (guint i = 0; i < rows->len; i++)
        cpu += ((const Row *)g_ptr_array_index(rows, i))->cpu_s;

    g_string_append(md, "# Convergence benchmark\n\n");
    g_string_append_printf(md,
                           "Generated by `bench/run.sh%s` on %s (%s). %u migrations, "
                           "%.0f s of CPU in all. Do not edit: rerun the script.\n\n",
                           g_strcmp0(mode, "quick") == 0 ? " --quick" : "",
                           machine != NULL ? machine : "an unknown machine",
                           commit != NULL ? commit : "unknown", rows->len, cpu);
    g_string_append(
        md,
        "Every policy runs on the same simulated migration (`virt-converge-sim`'s model and QMP "
        "server, in-process, on a virtual clock), behind the same tuner (`CvTuner`) and target "
        "(the QMP target over a unix socket): ours through the policy engine, the baselines "
        "through the tuner's decide hook (`bench/cv-bench-baseline.c`, faithful to each anchor's "
        "defaults and sampling interval as `shared/reference/anchors.md` documents them). Each "
        "seed puts the anchor's poll loop in another phase with the migration (and reseeds the "
        "simulator's garbage sizes). A run ends when the tuner ends (completed, aborted) or at "
        "the horizon (\"running at\").\n\n"
        "Columns:\n"
        "- **converged**: runs that completed with the achieved downtime within the policy's "
        "cap / runs (seeds × migrations), then how the others ended: **cap broken** (completed, "
        "but the guest paused longer than the policy promises: not converged), aborted, still "
        "running at the horizon.\n"
        "- **total**: median migration time of the completed runs, cap broken or not (QEMU's "
        "total-time).\n"
        "- **stall→done**: median time from the stall onset to completion (– = the migration "
        "never stalls). The stall judge is the same for every policy and sees the simulator's "
        "truth: the state at the latest iteration boundary has not fallen by 4 % against its "
        "lowest value older than 10 s, over 3 iterations or more; it judges the same migration "
        "untouched (the `qemu` run), and the onset is where the plateau it fired on began (see "
        "Decision latency).\n"
        "- **downtime**: achieved downtime (QEMU's `downtime`), median and max.\n"
        "- **floor**: the physical floor, median: the least state any exact query of that run "
        "found (RAM on the wire plus the devices' true stop-copy state) at the per-migration "
        "link rate, plus the fixed costs (vCPU stop/resume, device save/restore). **×floor**: "
        "achieved / floor, median.\n"
        "- **max limit**: the highest downtime-limit the policy set (– = none).\n"
        "- **changes**: parameter changes applied, median. **sent**: bytes on the wire, median "
        "GiB.\n"
        "- **cap**: the longest pause the policy promises (its configured maximum; – = none) "
        "and **broken**: completed runs whose achieved downtime exceeded it.\n\n");

    /* headline */
    g_string_append(md, "## Headline (QEMU 11.1 semantics)\n\n");
    g_string_append(md, "✓ = every run converged; k/n = k of n runs converged; ✗ = none did. "
                        "Then the median total time · median achieved downtime of the runs that "
                        "completed (cap broken or not), or how they ended; **cap broken N×**: N "
                        "runs completed with a longer pause than the policy promises (not "
                        "converged).\n\n| scenario |");
    for (guint p = 0; policy_order(p) != NULL; p++)
        g_string_append_printf(md, " %s |", policy_order(p));
    g_string_append(md, "\n|---|");
    for (guint p = 0; policy_order(p) != NULL; p++)
        g_string_append(md, "---|");
    g_string_append(md, "\n");
    for (guint s = 0; s < scenarios->len; s++) {
        g_autoptr(GPtrArray) vs = distinct(rows, G_STRUCT_OFFSET(Row, version), SPEC(s)->name);
        const gchar *version = NULL;

        if (vs->len == 0)
            continue;
        version = g_ptr_array_find_with_equal_func(vs, "11.1", g_str_equal, NULL)
                      ? "11.1"
                      : (const gchar *)g_ptr_array_index(vs, 0);
        g_string_append_printf(md, "| %s%s%s |", SPEC(s)->name,
                               g_strcmp0(version, "11.1") != 0 ? " " : "",
                               g_strcmp0(version, "11.1") != 0 ? version : "");
        for (guint p = 0; policy_order(p) != NULL; p++) {
            Agg a;

            aggregate(rows, SPEC(s)->name, version, policy_order(p), &a);
            headline_cell(md, &a);
            agg_clear(&a);
        }
        g_string_append(md, "\n");
    }
    g_string_append(md, "\n");

    latency_section(md, rows);

    /* per scenario */
    for (guint s = 0; s < scenarios->len; s++) {
        g_autoptr(GPtrArray) vs = distinct(rows, G_STRUCT_OFFSET(Row, version), SPEC(s)->name);

        if (vs->len == 0)
            continue;
        g_string_append_printf(md, "## %s\n\n%s", SPEC(s)->name, SPEC(s)->why);
        if (SPEC(s)->instances > 1)
            g_string_append_printf(md,
                                   " (%u migrations per run, %.0f s apart; each is a row's run)",
                                   SPEC(s)->instances, SPEC(s)->stagger_s);
        g_string_append_printf(md, ".\n\n![%s](charts/%s.svg)\n\n", SPEC(s)->name, SPEC(s)->name);
        write_chart(dir, rows, SPEC(s)->name, SPEC(s)->why);
        g_string_append(md, "| QEMU | policy | converged | total | stall→done | downtime "
                            "(median / max) | floor | ×floor | max limit | changes | sent | cap "
                            "| broken |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (guint v = 0; v < G_N_ELEMENTS(versions); v++) {
            if (!g_ptr_array_find_with_equal_func(vs, versions[v], g_str_equal, NULL))
                continue;
            for (guint p = 0; policy_order(p) != NULL; p++) {
                Agg a;

                aggregate(rows, SPEC(s)->name, versions[v], policy_order(p), &a);
                if (a.n == 0) {
                    agg_clear(&a);
                    continue;
                }
                g_string_append_printf(md, "| %s | %s | ", versions[v], policy_order(p));
                fmt_outcome(md, &a);
                g_string_append(md, " | ");
                fmt_time(md, quantile(a.duration, 0.5));
                g_string_append(md, " | ");
                fmt_time(md, quantile(a.stall_to_done, 0.5));
                g_string_append(md, " | ");
                fmt_ms(md, quantile(a.downtime, 0.5));
                g_string_append(md, " / ");
                fmt_ms(md, quantile(a.downtime, 1.0));
                g_string_append(md, " | ");
                fmt_ms(md, quantile(a.floor, 0.5));
                if (a.ratio->len > 0)
                    g_string_append_printf(md, " | %.2f | ", quantile(a.ratio, 0.5));
                else
                    g_string_append(md, " | – | ");
                if (a.max_limit > 0)
                    fmt_ms(md, (gdouble)a.max_limit);
                else
                    g_string_append(md, "–");
                g_string_append_printf(md, " | %.0f | %.1f GiB | ", quantile(a.changes, 0.5),
                                       quantile(a.bytes, 0.5));
                if (a.cap_ms > 0)
                    fmt_ms(md, (gdouble)a.cap_ms);
                else
                    g_string_append(md, "–");
                if (a.capped > 0)
                    g_string_append_printf(md, " | **%u** |\n", a.capped);
                else
                    g_string_append(md, " | 0 |\n");
                agg_clear(&a);
            }
        }
        g_string_append(md, "\n");
    }

    /* truth of estimates */
    g_string_append(
        md, "## Truth of estimates\n\nAt each switchover: the policy's predicted blackout "
            "(ours: the engine's prediction at its last change; KubeVirt VEP 248: its implied "
            "downtime, remaining ÷ EWMA bandwidth; the others predict nothing) and QEMU's "
            "`expected-downtime` as last read before the switchover, each divided by the "
            "achieved downtime: min / median / max over the completed runs. 1.00 is a true "
            "estimate; above 1 pessimistic, below 1 the pause was longer than predicted.\n\n"
            "| scenario | QEMU | policy | runs | predicted ÷ achieved | QEMU expected ÷ achieved "
            "|\n|---|---|---|---|---|---|\n");
    for (guint s = 0; s < scenarios->len; s++) {
        for (guint v = 0; v < G_N_ELEMENTS(versions); v++) {
            for (guint p = 0; policy_order(p) != NULL; p++) {
                Agg a;

                aggregate(rows, SPEC(s)->name, versions[v], policy_order(p), &a);
                if (a.completed > 0 && (a.pred_ratio->len > 0 || a.changes->len > 0) &&
                    (a.pred_ratio->len > 0 || g_str_has_prefix(policy_order(p), "ours"))) {
                    g_string_append_printf(md, "| %s | %s | %s | %u | ", SPEC(s)->name, versions[v],
                                           policy_order(p), a.completed);
                    if (a.pred_ratio->len > 0)
                        g_string_append_printf(md, "%.2f / %.2f / %.2f (%u)",
                                               quantile(a.pred_ratio, 0),
                                               quantile(a.pred_ratio, 0.5),
                                               quantile(a.pred_ratio, 1), a.pred_ratio->len);
                    else
                        g_string_append(md, "– (no change made)");
                    g_string_append(md, " | ");
                    if (a.qemu_ratio->len > 0)
                        g_string_append_printf(md, "%.2f / %.2f / %.2f", quantile(a.qemu_ratio, 0),
                                               quantile(a.qemu_ratio, 0.5),
                                               quantile(a.qemu_ratio, 1));
                    else
                        g_string_append(md, "–");
                    g_string_append(md, " |\n");
                }
                agg_clear(&a);
            }
        }
    }
    g_string_append(md, "\n");
    if (qemu_runs != NULL)
        qemu_section(md, qemu_runs);
    md_path = g_build_filename(dir, "convergence.md", NULL);
    if (!g_file_set_contents(md_path, md->str, (gssize)md->len, &error)) {
        g_printerr("cv-bench-converge report: %s\n", error->message);
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    cv_bench_log_init();
    load_scenarios();
    if (argc >= 2 && g_strcmp0(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (argc >= 2 && g_strcmp0(argv[1], "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    g_printerr("usage: cv-bench-converge run --out RUNS.jsonl [--quick] [--jobs N] "
               "[--scenario NAME]... [--policy NAME]...\n"
               "       cv-bench-converge report --in RUNS.jsonl --out-dir DIR [--commit C] "
               "[--machine M] [--mode full|quick]\n");
    return 2;
}
