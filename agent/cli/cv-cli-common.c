#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "cv-cli-format.h"
#include "cv-cli.h"
#include "cv-config.h"

void
cv_cli_error(const gchar *name, const gchar *format, ...)
{
    va_list args;
    g_autofree gchar *message = NULL;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    if (name != NULL)
        fprintf(stderr, "virt-converge %s: %s\n", name, message);
    else
        fprintf(stderr, "virt-converge: %s\n", message);
}

void
cv_cli_global_clear(CvCliGlobal *global)
{
    g_clear_pointer(&global->connect_uri, g_free);
}

static gboolean
connect_option_cb(const gchar *option_name, const gchar *value, gpointer data, GError **error)
{
    CvCliGlobal *global = data;

    g_free(global->connect_uri);
    global->connect_uri = g_strdup(value);
    return TRUE;
}

GOptionContext *
cv_cli_option_context_new(CvCliGlobal *global, const gchar *name, const gchar *parameters,
                          const gchar *summary)
{
    const GOptionEntry global_entries[] = {
        {"connect", 'c', 0, G_OPTION_ARG_CALLBACK, connect_option_cb,
         "libvirt URI, as virsh's (not used with --qmp)", "URI"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &global->verbose,
         "log decisions and QMP traffic on stderr", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autofree gchar *title = g_strdup_printf("%s%s%s", name, parameters != NULL ? " " : "",
                                              parameters != NULL ? parameters : "");
    GOptionContext *context = g_option_context_new(title);
    GOptionGroup *group = g_option_group_new(name, summary, "the command's options", global, NULL);

    g_option_group_add_entries(group, global_entries);
    g_option_context_set_main_group(context, group);
    g_option_context_set_summary(context, summary);
    return context;
}

void
cv_cli_apply_verbose(CvCliGlobal *global)
{
    if (global->verbose)
        g_log_set_debug_enabled(TRUE);
}

gboolean
cv_cli_parse(CvCliGlobal *global, GOptionContext *context, const gchar *name, gint *argc,
             gchar ***argv)
{
    g_autoptr(GError) error = NULL;

    /* g_option_context_parse skips argv[0]: it is the command name here. */
    if (!g_option_context_parse(context, argc, argv, &error)) {
        cv_cli_error(name, "%s", error->message);
        return FALSE;
    }
    cv_cli_apply_verbose(global);
    return TRUE;
}

gboolean
cv_cli_reject_connect(CvCliGlobal *global, const gchar *name)
{
    if (global->connect_uri == NULL)
        return FALSE;
    cv_cli_error(name,
                 "-c/--connect %s is not supported: this command speaks QMP to QEMU directly "
                 "(use --qmp PATH); libvirt domains come with the daemon",
                 global->connect_uri);
    return TRUE;
}

/* ---- printing tuner records ------------------------------------------------------------- */

/* The tuner decides on its own clock (virtual under --speed), as often as it would against a
 * real QEMU; the table is for people, so a line with the same verdict and action as the last
 * one printed waits PRINT_INTERVAL_US of real time. Every change of verdict or action is
 * printed at once, and applied changes have their own ">>" lines. --json prints every
 * record. */
#define PRINT_INTERVAL_US (200 * G_TIME_SPAN_MILLISECOND)

typedef struct {
    gboolean json;
    gboolean header_done;
    GMainLoop *loop;
    gint64 last_print_us;
    CvVerdict last_verdict;
    CvDecisionKind last_kind;
    gboolean last_line_printed; /* the newest sample line was printed, not held back */
} Printer;

static gboolean
printer_wants_line(Printer *p, const CvDecision *d)
{
    gint64 now = g_get_monotonic_time();

    if (p->last_print_us != 0 && d->verdict == p->last_verdict && d->kind == p->last_kind &&
        now - p->last_print_us < PRINT_INTERVAL_US) {
        return FALSE;
    }
    p->last_print_us = now;
    p->last_verdict = d->verdict;
    p->last_kind = d->kind;
    return TRUE;
}

static void
print_text(gchar *text)
{
    fputs(text, stdout);
    fflush(stdout);
    g_free(text);
}

static void
printer_record_cb(CvTuner *tuner, const CvTunerRecord *record, gpointer user_data)
{
    Printer *p = user_data;

    if (p->json) {
        print_text(cv_cli_format_record_json(record));
    } else {
        switch (record->kind) {
        case CV_TUNER_RECORD_ATTACH:
            print_text(cv_cli_format_attach(record));
            break;
        case CV_TUNER_RECORD_NOTICE:
            print_text(cv_cli_format_notice(record->time_ms, record->message));
            break;
        case CV_TUNER_RECORD_SAMPLE:
            if (!p->header_done) {
                p->header_done = TRUE;
                print_text(cv_cli_format_table_header());
            }
            p->last_line_printed = printer_wants_line(p, record->decision);
            if (p->last_line_printed)
                print_text(cv_cli_format_iteration(record->time_ms, record->sample,
                                                   record->decision, record->params));
            break;
        case CV_TUNER_RECORD_ACTION:
            /* a dry run repeats its proposal at every evaluation: show it with its line */
            if (record->action->result != CV_TUNER_RESULT_APPLIED && !p->last_line_printed)
                break;
            print_text(cv_cli_format_action(record->action, FALSE));
            break;
        case CV_TUNER_RECORD_RESTORE:
            print_text(cv_cli_format_action(record->action, TRUE));
            break;
        case CV_TUNER_RECORD_SUMMARY:
            print_text(cv_cli_format_summary(record->summary));
            break;
        default:
            break;
        }
    }
    if (record->kind == CV_TUNER_RECORD_SUMMARY)
        g_main_loop_quit(p->loop);
}

static gboolean
signal_cb(gpointer user_data)
{
    cv_tuner_detach(user_data);
    return G_SOURCE_CONTINUE;
}

gint
cv_cli_run_tuner(CvTuner *tuner, gboolean json)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Printer printer = {.json = json, .loop = loop};
    guint sigint, sigterm;
    const CvTunerSummary *summary;

    cv_tuner_set_record_func(tuner, printer_record_cb, &printer);
    sigint = g_unix_signal_add(SIGINT, signal_cb, tuner);
    sigterm = g_unix_signal_add(SIGTERM, signal_cb, tuner);
    cv_tuner_start(tuner);
    if (!cv_tuner_is_finished(tuner))
        g_main_loop_run(loop);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    cv_tuner_set_record_func(tuner, NULL, NULL);
    summary = cv_tuner_get_summary(tuner);
    if (summary->outcome != CV_TUNER_OUTCOME_COMPLETED &&
        summary->outcome != CV_TUNER_OUTCOME_DETACHED)
        cv_cli_error(NULL, "%s", summary->message);
    return cv_tuner_outcome_to_exit_code(summary->outcome);
}

/* ---- policies --------------------------------------------------------------------------- */

/* --config FILE with the policies.d beside it; without it the installed configuration when it
 * exists, else the built-in default. */
CvConfig *
cv_cli_load_config(const gchar *config_file, GError **error)
{
    g_autofree gchar *main_path = NULL;
    g_autofree gchar *policies_dir = NULL;

    if (config_file != NULL) {
        g_autofree gchar *dir = g_path_get_dirname(config_file);

        main_path = g_strdup(config_file);
        policies_dir = g_build_filename(dir, CV_CONFIG_POLICIES_DIR_NAME, NULL);
    } else {
        main_path = cv_config_default_path();
        policies_dir = cv_config_default_policies_dir();
        if (!g_file_test(main_path, G_FILE_TEST_EXISTS))
            g_clear_pointer(&main_path, g_free);
    }
    if (!g_file_test(policies_dir, G_FILE_TEST_IS_DIR))
        g_clear_pointer(&policies_dir, g_free);
    if (main_path == NULL && policies_dir == NULL)
        return cv_config_new_default();
    return cv_config_load(main_path, policies_dir, error);
}

gboolean
cv_cli_load_policy(const gchar *name, const gchar *config_file, CvPolicy *policy, GError **error)
{
    g_autoptr(CvConfig) config = cv_cli_load_config(config_file, error);
    const CvPolicy *found;

    if (config == NULL)
        return FALSE;
    if (name == NULL)
        name = "default";
    found = cv_config_get_policy(config, name);
    if (found == NULL) {
        g_auto(GStrv) names = cv_config_list_policies(config);
        g_autofree gchar *known = g_strjoinv(", ", names);

        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_MISSING_POLICY,
                    "unknown policy '%s' (defined: %s)", name, known);
        return FALSE;
    }
    *policy = *found;
    return TRUE;
}

gchar **
cv_cli_list_policies(const gchar *config_file, GError **error)
{
    g_autoptr(CvConfig) config = cv_cli_load_config(config_file, error);

    if (config == NULL)
        return NULL;
    return cv_config_list_policies(config);
}
