#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cv-daemon-log.h"

#define MAX_FIELDS 16

/* Field names an operator filters on, shown on stderr lines in this order. */
static const gchar *const shown_fields[] = {
    "DOMAIN", "MIGRATION_ID", "POLICY", "DECISION", "VALUE", "RESULT", "PARAMETER",
};

typedef struct {
    gboolean foreground;
    gboolean verbose;
    gboolean journal;
    CvConfigLogLevel threshold;
} Writer;

static Writer writer = {.threshold = CV_CONFIG_LOG_LEVEL_MESSAGE};

static void
add_field(GLogField *fields, gsize *n, const gchar *key, const gchar *value)
{
    if (value == NULL || *n >= MAX_FIELDS)
        return;
    fields[*n].key = key;
    fields[*n].value = value;
    fields[*n].length = -1;
    (*n)++;
}

/* syslog priorities, as GLib's g_log_structured() maps them */
static const gchar *
priority(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return "3";
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        return "4";
    if (level & G_LOG_LEVEL_MESSAGE)
        return "5";
    if (level & G_LOG_LEVEL_INFO)
        return "6";
    return "7";
}

void
cv_log_migration(GLogLevelFlags level, const gchar *message_id, const CvLogContext *context,
                 const CvLogDetails *details, const gchar *format, ...)
{
    g_autofree gchar *message = NULL;
    GLogField fields[MAX_FIELDS];
    gsize n = 0;
    va_list args;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    add_field(fields, &n, "MESSAGE", message);
    add_field(fields, &n, "PRIORITY", priority(level));
    add_field(fields, &n, "GLIB_DOMAIN", G_LOG_DOMAIN);
    add_field(fields, &n, "MESSAGE_ID", message_id);
    if (context != NULL) {
        add_field(fields, &n, "DOMAIN", context->domain);
        add_field(fields, &n, "MIGRATION_ID", context->migration_id);
        add_field(fields, &n, "URI", context->uri);
        add_field(fields, &n, "POLICY", context->policy);
    }
    if (details != NULL) {
        add_field(fields, &n, "DECISION", details->decision);
        add_field(fields, &n, "VALUE", details->value);
        add_field(fields, &n, "UNIT", details->unit);
        add_field(fields, &n, "RESULT", details->result);
        add_field(fields, &n, "REASON", details->reason);
        add_field(fields, &n, "PARAMETER", details->parameter);
    }
    g_log_structured_array(level, fields, n);
}

gboolean
cv_log_level_enabled(CvConfigLogLevel threshold, gboolean verbose, GLogLevelFlags level)
{
    CvConfigLogLevel needed;

    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        return TRUE;
    if (verbose)
        return TRUE;
    if (level & G_LOG_LEVEL_MESSAGE)
        needed = CV_CONFIG_LOG_LEVEL_MESSAGE;
    else if (level & G_LOG_LEVEL_INFO)
        needed = CV_CONFIG_LOG_LEVEL_INFO;
    else
        needed = CV_CONFIG_LOG_LEVEL_DEBUG;
    return threshold >= needed;
}

static const gchar *
level_name(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return "error";
    if (level & G_LOG_LEVEL_CRITICAL)
        return "critical";
    if (level & G_LOG_LEVEL_WARNING)
        return "warning";
    if (level & G_LOG_LEVEL_MESSAGE)
        return "message";
    if (level & G_LOG_LEVEL_INFO)
        return "info";
    return "debug";
}

static const gchar *
field_value(const GLogField *fields, gsize n, const gchar *key, gsize *len)
{
    for (gsize i = 0; i < n; i++) {
        if (g_strcmp0(fields[i].key, key) != 0)
            continue;
        *len = fields[i].length < 0 ? strlen(fields[i].value) : (gsize)fields[i].length;
        return fields[i].value;
    }
    return NULL;
}

gchar *
cv_log_format_line(const GLogField *fields, gsize n_fields, GLogLevelFlags level,
                   gboolean timestamp)
{
    GString *out = g_string_new(NULL);
    gboolean open = FALSE;
    const gchar *message;
    gsize len = 0;

    if (timestamp) {
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        g_autofree gchar *t = g_date_time_format(now, "%H:%M:%S");
        g_string_append_printf(out, "%s.%03d ", t, g_date_time_get_microsecond(now) / 1000);
    }
    g_string_append_printf(out, "%s: ", level_name(level));
    message = field_value(fields, n_fields, "MESSAGE", &len);
    if (message != NULL)
        g_string_append_len(out, message, (gssize)len);
    for (gsize i = 0; i < G_N_ELEMENTS(shown_fields); i++) {
        const gchar *v = field_value(fields, n_fields, shown_fields[i], &len);

        if (v == NULL)
            continue;
        g_string_append_printf(out, "%s%s=", open ? " " : " [", shown_fields[i]);
        g_string_append_len(out, v, (gssize)len);
        open = TRUE;
    }
    if (open)
        g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

static GLogWriterOutput
write_record(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
    g_autofree gchar *line = NULL;

    /* G_MESSAGES_DEBUG still raises the level, as GLib documents */
    if (!cv_log_level_enabled(writer.threshold, writer.verbose, level) &&
        g_log_writer_default_would_drop(level, NULL))
        return G_LOG_WRITER_HANDLED;
    if (writer.journal &&
        g_log_writer_journald(level, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;
    line = cv_log_format_line(fields, n_fields, level, writer.foreground);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
    return G_LOG_WRITER_HANDLED;
}

void
cv_log_install_writer(gboolean foreground, gboolean verbose)
{
    writer.foreground = foreground;
    writer.verbose = verbose;
    writer.journal = !foreground && g_log_writer_is_journald(fileno(stderr));
    g_log_set_writer_func(write_record, NULL, NULL);
}

void
cv_log_set_threshold(CvConfigLogLevel threshold)
{
    writer.threshold = threshold;
}
