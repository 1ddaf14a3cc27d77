/* virt-converge watch --qmp PATH: a live view, redrawn each evaluated iteration. It runs the
 * tuner in dry-run mode without turning on events, so it changes nothing in QEMU. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-target-libvirt.h"
#include "cv-target-qmp.h"

#define TREND_MAX 64

typedef struct {
    CvTuner *tuner;
    GMainLoop *loop;
    gboolean tty;
    gboolean ascii;
    gboolean header_done;
    gboolean quit_by_user;
    const gchar *target;
    guint64 remaining[TREND_MAX];
    gboolean remaining_valid[TREND_MAX];
    guint64 expected[TREND_MAX];
    gboolean expected_valid[TREND_MAX];
    gsize n;
} Watch;

static void
trend_push(Watch *w, const CvSample *s)
{
    guint64 pending = 0;

    if (w->n == TREND_MAX) {
        memmove(w->remaining, w->remaining + 1, (TREND_MAX - 1) * sizeof(guint64));
        memmove(w->remaining_valid, w->remaining_valid + 1, (TREND_MAX - 1) * sizeof(gboolean));
        memmove(w->expected, w->expected + 1, (TREND_MAX - 1) * sizeof(guint64));
        memmove(w->expected_valid, w->expected_valid + 1, (TREND_MAX - 1) * sizeof(gboolean));
        w->n--;
    }
    w->remaining_valid[w->n] = cv_sample_pending(s, &pending, NULL);
    w->remaining[w->n] = pending;
    w->expected_valid[w->n] = cv_field_valid(&s->expected_downtime_ms);
    w->expected[w->n] = s->expected_downtime_ms.value;
    w->n++;
}

static void
redraw(Watch *w, const CvTunerRecord *record)
{
    CvCliWatchView view = {
        .target = w->target,
        .sample = record->sample,
        .params = record->params,
        .decision = record->decision,
        .remaining_history = w->remaining,
        .remaining_valid = w->remaining_valid,
        .expected_history = w->expected,
        .expected_valid = w->expected_valid,
        .n_history = w->n,
        .ascii = w->ascii,
    };
    g_autofree gchar *screen = NULL;

    if (!w->tty) {
        /* Not a terminal: no redraw, one plain line per iteration. */
        g_autofree gchar *line = NULL;

        if (!w->header_done) {
            g_autofree gchar *header = cv_cli_format_table_header();

            w->header_done = TRUE;
            fputs(header, stdout);
        }
        line = cv_cli_format_iteration(record->time_ms, record->sample, record->decision,
                                       record->params);
        fputs(line, stdout);
        fflush(stdout);
        return;
    }
    screen = cv_cli_format_watch(&view);
    fputs("\033[H\033[2J", stdout);
    fputs(screen, stdout);
    fflush(stdout);
}

static void
watch_record_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Watch *w = user_data;

    switch (record->kind) {
    case CV_TUNER_RECORD_SAMPLE:
        trend_push(w, record->sample);
        redraw(w, record);
        break;
    case CV_TUNER_RECORD_ATTACH:
        if (w->tty)
            fputs("\033[H\033[2J", stdout);
        printf("watching %s (QEMU %s); waiting for a migration...\n", record->target,
               record->version != NULL ? record->version : "unknown");
        fflush(stdout);
        break;
    case CV_TUNER_RECORD_SUMMARY: {
        const CvTunerSummary *sum = record->summary;
        g_autofree gchar *downtime = cv_cli_format_field_ms(&sum->downtime_ms);

        if (!w->quit_by_user)
            printf("\nmigration %s: %s (downtime %s)\n",
                   cv_migration_status_to_string(sum->final_status), sum->message, downtime);
        g_main_loop_quit(w->loop);
        break;
    }
    case CV_TUNER_RECORD_NOTICE:
    case CV_TUNER_RECORD_ACTION:
    case CV_TUNER_RECORD_RESTORE:
    default:
        break;
    }
}

static gboolean
quit_cb(gpointer user_data)
{
    Watch *w = user_data;

    w->quit_by_user = TRUE;
    cv_tuner_detach(w->tuner);
    return G_SOURCE_CONTINUE;
}

static gboolean
stdin_cb(gint fd, GIOCondition condition, gpointer user_data)
{
    gchar c = 0;
    gssize n = read(fd, &c, 1);

    if (n <= 0 || c == 'q' || c == 'Q')
        quit_cb(user_data);
    return n > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

gint
cv_cli_watch(CvCliGlobal *global, gint argc, gchar **argv)
{
    g_autofree gchar *qmp = NULL;
    g_autofree gchar *policy_name = NULL;
    g_autofree gchar *config = NULL;
    gboolean ascii = FALSE;
    gdouble interval = 1.0, speed = 1.0;
    const GOptionEntry entries[] = {
        {"qmp", 0, 0, G_OPTION_ARG_FILENAME, &qmp, "QEMU's QMP unix socket", "PATH"},
        {"policy", 'p', 0, G_OPTION_ARG_STRING, &policy_name, "policy to judge with", "NAME"},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "configuration file with the policies",
         "FILE"},
        {"interval", 0, 0, G_OPTION_ARG_DOUBLE, &interval, "redraw at least every SECONDS",
         "SECONDS"},
        {"ascii", 0, 0, G_OPTION_ARG_NONE, &ascii, "arrows only, no UTF-8 sparklines", NULL},
        {"speed", 0, 0, G_OPTION_ARG_DOUBLE, &speed,
         "the peer's clock runs N times faster than real time (simulator)", "N"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = cv_cli_option_context_new(
        global, "watch", "DOM | --qmp PATH",
        "A live view of the outgoing migration of libvirt domain DOM (read-only connection) or "
        "of the QEMU on a QMP socket: remaining and expected downtime with their trend, redrawn "
        "each iteration. q or Ctrl-C quits. Changes nothing.");
    g_auto(CvCliDomain) dom = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(CvClock) clock = NULL;
    g_autoptr(CvTarget) target = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    struct termios saved, raw;
    gboolean raw_mode = FALSE;
    guint stdin_source = 0, sigint, sigterm;
    CvTunerOptions options;
    Watch w = {0};
    CvTunerOutcome outcome;

    g_option_context_add_main_entries(context, entries, NULL);
    if (!cv_cli_parse(global, context, "watch", &argc, &argv))
        return CV_CLI_EXIT_ERROR;
    if (argc > 2 || (argc == 2 && qmp != NULL)) {
        cv_cli_error("watch", "unexpected argument '%s'", argv[argc - 1]);
        return CV_CLI_EXIT_ERROR;
    }
    if ((argc < 2 && qmp == NULL) || !(interval > 0.0) || !(speed > 0.0)) {
        cv_cli_error("watch", "a domain (name, UUID or id) or --qmp PATH is required; "
                              "--interval and --speed must be positive");
        return CV_CLI_EXIT_ERROR;
    }
    if (qmp != NULL && cv_cli_reject_connect(global, "watch"))
        return CV_CLI_EXIT_ERROR;
    clock = speed == 1.0 ? cv_clock_new_monotonic() : cv_clock_new_scaled(speed);
    cv_tuner_options_init(&options);
    if (qmp == NULL) {
        CvCliDomainOptions opts = {
            .domain = argv[1],
            .read_only = TRUE,
            .policy_name = policy_name,
            .config_file = config,
        };

        if (!cv_cli_domain_open(global, "watch", &opts, &dom))
            return dom.exit_code != 0 ? dom.exit_code : CV_CLI_EXIT_ERROR;
        options.policy = dom.policy;
    } else if (!cv_cli_load_policy(policy_name, config, &options.policy, &error)) {
        cv_cli_error("watch", "%s", error->message);
        return CV_CLI_EXIT_ERROR;
    }
    options.dry_run = TRUE;
    options.start_timeout_ms = 0;
    /* --interval is real time; the tuner counts on the peer's clock */
    options.poll_interval_ms = (guint64)MAX(1.0, interval * 1000.0 * speed);
    options.idle_eval_interval_ms = options.poll_interval_ms;

    if (qmp != NULL) {
        target = cv_target_qmp_new(qmp, NULL);
        cv_target_qmp_set_enable_events(target, FALSE);
    } else {
        target = g_steal_pointer(&dom.target);
    }
    w.tuner = cv_tuner_new(target, clock, &options);
    w.loop = loop;
    w.tty = isatty(STDOUT_FILENO);
    w.ascii = ascii;
    w.target = cv_target_get_description(target);
    cv_tuner_set_record_func(w.tuner, watch_record_cb, &w);

    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        /* Keys without Enter, no echo; ISIG stays on so Ctrl-C still sends SIGINT. */
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
            raw_mode = TRUE;
            stdin_source = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP, stdin_cb, &w);
        }
    }
    sigint = g_unix_signal_add(SIGINT, quit_cb, &w);
    sigterm = g_unix_signal_add(SIGTERM, quit_cb, &w);
    cv_tuner_start(w.tuner);
    if (!cv_tuner_is_finished(w.tuner))
        g_main_loop_run(loop);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    if (stdin_source != 0)
        g_source_remove(stdin_source);
    if (raw_mode)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);

    outcome = cv_tuner_get_summary(w.tuner)->outcome;
    if (outcome == CV_TUNER_OUTCOME_ERROR || outcome == CV_TUNER_OUTCOME_VANISHED)
        cv_cli_error("watch", "%s", cv_tuner_get_summary(w.tuner)->message);
    cv_tuner_free(w.tuner);
    g_clear_pointer(&target, cv_target_free);
    if (w.quit_by_user || outcome == CV_TUNER_OUTCOME_DETACHED ||
        outcome == CV_TUNER_OUTCOME_NO_MIGRATION)
        return CV_CLI_EXIT_OK;
    return cv_tuner_outcome_to_exit_code(outcome);
}
