#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-config-units.h"
#include "cv-history.h"
#include "cv-state-paths.h"

#define HISTORY_MODE 0640
#define READ_CHUNK 65536

struct _CvHistory {
    gchar *path;
    guint64 max_size;
    guint keep;
    gint fd;
};

CvHistory *
cv_history_new(const gchar *state_dir, guint64 max_size, guint keep)
{
    CvHistory *h = g_new0(CvHistory, 1);

    h->path = g_build_filename(state_dir, CV_STATE_HISTORY_FILE, NULL);
    h->fd = -1;
    cv_history_set_limits(h, max_size, keep);
    return h;
}

void
cv_history_free(CvHistory *history)
{
    if (history == NULL)
        return;
    if (history->fd >= 0)
        close(history->fd);
    g_free(history->path);
    g_free(history);
}

void
cv_history_set_limits(CvHistory *history, guint64 max_size, guint keep)
{
    g_return_if_fail(history != NULL);
    history->max_size = MAX(max_size, CV_HISTORY_MAX_LINE);
    history->keep = CLAMP(keep, 1, CV_HISTORY_MAX_KEEP);
}

const gchar *
cv_history_get_path(const CvHistory *history)
{
    return history->path;
}

gchar *
cv_history_format_time(gint64 time_us)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
    g_autofree gchar *s = NULL;
    gint64 frac = time_us % G_USEC_PER_SEC;

    if (t == NULL)
        return g_strdup("invalid");
    if (frac < 0) {
        /* before the epoch: not something the daemon writes, but keep it exact */
        g_date_time_unref(t);
        t = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC - 1);
        frac += G_USEC_PER_SEC;
    }
    s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf("%s.%03dZ", s, (gint)(frac / 1000));
}

JsonBuilder *
cv_history_begin(const CvHistoryHeader *header)
{
    JsonBuilder *b = json_builder_new();
    g_autofree gchar *time = cv_history_format_time(header->time_us);
    const struct {
        const gchar *name;
        const gchar *value;
    } members[] = {
        {"time", time},
        {"event", header->event},
        {"migration-id", header->migration_id},
        {"domain", header->domain},
        {"uri", header->uri},
        {"policy", header->policy},
    };

    json_builder_begin_object(b);
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++) {
        if (members[i].value == NULL)
            continue;
        json_builder_set_member_name(b, members[i].name);
        json_builder_add_string_value(b, members[i].value);
    }
    return b;
}

static gchar *
rotated_path(const CvHistory *h, guint n)
{
    return g_strdup_printf("%s.%u", h->path, n);
}

static gboolean
rotate(CvHistory *h, GError **error)
{
    if (h->fd >= 0) {
        close(h->fd);
        h->fd = -1;
    }
    /* Files beyond a lowered `keep` go first, then each moves up by one; rename replaces the
     * oldest kept one atomically. */
    for (guint n = CV_HISTORY_MAX_KEEP; n > h->keep; n--) {
        g_autofree gchar *old = rotated_path(h, n);
        if (g_unlink(old) < 0 && errno != ENOENT)
            g_debug("%s: %s", old, g_strerror(errno));
    }
    for (guint n = h->keep; n > 1; n--) {
        g_autofree gchar *from = rotated_path(h, n - 1);
        g_autofree gchar *to = rotated_path(h, n);
        if (rename(from, to) < 0 && errno != ENOENT) {
            cv_state_set_error_from_errno(error, errno, from, "cannot rotate");
            return FALSE;
        }
    }
    {
        g_autofree gchar *first = rotated_path(h, 1);
        if (rename(h->path, first) < 0 && errno != ENOENT) {
            cv_state_set_error_from_errno(error, errno, h->path, "cannot rotate");
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
open_file(CvHistory *h, GError **error)
{
    if (h->fd >= 0)
        return TRUE;
    h->fd = open(h->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, HISTORY_MODE);
    if (h->fd < 0) {
        cv_state_set_error_from_errno(error, errno, h->path, "cannot open");
        return FALSE;
    }
    /* the umask may have taken the group's read bit: the CLI's users need it */
    if (fchmod(h->fd, HISTORY_MODE) < 0)
        g_debug("%s: cannot set mode: %s", h->path, g_strerror(errno));
    return TRUE;
}

gboolean
cv_history_append(CvHistory *history, JsonBuilder *builder, GError **error)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree gchar *text = NULL;
    g_autofree gchar *line = NULL;
    struct stat st;
    gsize len = 0;
    gssize n;

    g_return_val_if_fail(history != NULL, FALSE);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, &len);
    if (len + 1 > CV_HISTORY_MAX_LINE) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TOO_LARGE,
                    "%s: a record of %" G_GSIZE_FORMAT " bytes is above the %d a line may have",
                    history->path, len, CV_HISTORY_MAX_LINE);
        return FALSE;
    }
    line = g_strconcat(text, "\n", NULL);
    len++;
    if (!open_file(history, error))
        return FALSE;
    if (fstat(history->fd, &st) < 0) {
        cv_state_set_error_from_errno(error, errno, history->path, NULL);
        return FALSE;
    }
    if (st.st_size > 0 && (guint64)st.st_size + len > history->max_size) {
        if (!rotate(history, error) || !open_file(history, error))
            return FALSE;
        st.st_size = 0;
    }
    do {
        n = write(history->fd, line, len);
    } while (n < 0 && errno == EINTR);
    if (n == (gssize)len)
        return TRUE;
    if (n < 0) {
        cv_state_set_error_from_errno(error, errno, history->path, "cannot append");
        return FALSE;
    }
    /* A short write (the disk filled up mid-line): take the piece back, so the next line does
     * not start in the middle of this one. */
    if (ftruncate(history->fd, st.st_size) < 0)
        g_debug("%s: cannot remove a partial line: %s", history->path, g_strerror(errno));
    g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NO_SPACE,
                "%s: cannot append: only %" G_GSSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes written",
                history->path, n, len);
    return FALSE;
}

/* ---- reading ---- */

void
cv_history_entry_free(CvHistoryEntry *entry)
{
    if (entry == NULL)
        return;
    g_free(entry->event);
    g_free(entry->migration_id);
    g_free(entry->domain);
    if (entry->object != NULL)
        json_object_unref(entry->object);
    g_free(entry->line);
    g_free(entry);
}

static const gchar *
string_member(JsonObject *o, const gchar *name, gboolean *bad)
{
    JsonNode *n;

    if (!json_object_has_member(o, name))
        return NULL;
    n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
        *bad = TRUE;
        return NULL;
    }
    return json_node_get_string(n);
}

static CvHistoryEntry *
parse_line(const gchar *line, gsize len, const gchar **why)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GDateTime) t = NULL;
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    CvHistoryEntry *e;
    JsonNode *root;
    JsonObject *o;
    const gchar *time;
    const gchar *event;
    const gchar *domain;
    const gchar *id;
    gboolean bad = FALSE;

    if (!json_parser_load_from_data(parser, line, (gssize)len, NULL)) {
        *why = "not JSON";
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        *why = "not a JSON object";
        return NULL;
    }
    o = json_node_get_object(root);
    time = string_member(o, "time", &bad);
    event = string_member(o, "event", &bad);
    domain = string_member(o, "domain", &bad);
    id = string_member(o, "migration-id", &bad);
    if (bad || time == NULL || event == NULL || *event == '\0') {
        *why = "no string \"time\" and \"event\", or a mistyped member";
        return NULL;
    }
    t = g_date_time_new_from_iso8601(time, utc);
    if (t == NULL) {
        *why = "\"time\" is not an ISO 8601 time";
        return NULL;
    }
    e = g_new0(CvHistoryEntry, 1);
    e->time_us = g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t);
    e->event = g_strdup(event);
    e->domain = g_strdup(domain);
    e->migration_id = g_strdup(id);
    e->object = json_object_ref(o);
    e->line = g_strndup(line, len);
    return e;
}

static void
take_line(const gchar *path, guint lineno, const gchar *line, gsize len,
          const CvHistoryFilter *filter, GPtrArray *out, GPtrArray *skipped)
{
    const gchar *why = NULL;
    CvHistoryEntry *e;

    if (len == 0)
        return;
    e = parse_line(line, len, &why);
    if (e == NULL) {
        if (skipped != NULL)
            g_ptr_array_add(skipped, g_strdup_printf("%s:%u: %s", path, lineno, why));
        return;
    }
    if (filter != NULL && ((filter->domain != NULL && g_strcmp0(filter->domain, e->domain) != 0) ||
                           e->time_us < filter->since_us)) {
        cv_history_entry_free(e);
        return;
    }
    g_ptr_array_add(out, e);
}

/* Lines are split by hand, so a runaway line costs CV_HISTORY_MAX_LINE of memory, not the
 * size of the file. */
static gboolean
read_file(const gchar *path, const CvHistoryFilter *filter, GPtrArray *out, GPtrArray *skipped,
          GError **error)
{
    g_autofree gchar *buf = g_malloc(READ_CHUNK);
    g_autoptr(GString) line = g_string_new(NULL);
    gboolean overlong = FALSE;
    guint lineno = 1;
    gint fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        if (errno == ENOENT)
            return TRUE;
        cv_state_set_error_from_errno(error, errno, path, "cannot open");
        return FALSE;
    }
    for (;;) {
        gssize n = read(fd, buf, READ_CHUNK);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            gint errsv = errno;
            close(fd);
            cv_state_set_error_from_errno(error, errsv, path, "cannot read");
            return FALSE;
        }
        if (n == 0)
            break;
        for (gssize i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (line->len < CV_HISTORY_MAX_LINE)
                    g_string_append_c(line, buf[i]);
                else
                    overlong = TRUE;
                continue;
            }
            if (overlong) {
                if (skipped != NULL)
                    g_ptr_array_add(skipped, g_strdup_printf("%s:%u: longer than %d bytes", path,
                                                             lineno, CV_HISTORY_MAX_LINE));
            } else {
                take_line(path, lineno, line->str, line->len, filter, out, skipped);
            }
            g_string_truncate(line, 0);
            overlong = FALSE;
            lineno++;
        }
    }
    close(fd);
    /* a last line without its newline: the daemon died while writing it */
    if (line->len > 0 || overlong) {
        if (skipped != NULL)
            g_ptr_array_add(skipped, g_strdup_printf("%s:%u: incomplete last line", path, lineno));
    }
    return TRUE;
}

GPtrArray *
cv_history_read(const gchar *state_dir, const CvHistoryFilter *filter, GPtrArray **skipped,
                GError **error)
{
    g_autoptr(GPtrArray) out =
        g_ptr_array_new_with_free_func((GDestroyNotify)cv_history_entry_free);
    g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func(g_free);
    g_autofree gchar *path = g_build_filename(state_dir, CV_STATE_HISTORY_FILE, NULL);
    struct stat st;

    if (stat(state_dir, &st) < 0) {
        cv_state_set_error_from_errno(error, errno, state_dir, NULL);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID, "%s: not a directory",
                    state_dir);
        return NULL;
    }
    for (guint n = CV_HISTORY_MAX_KEEP; n >= 1; n--) {
        g_autofree gchar *rotated = g_strdup_printf("%s.%u", path, n);
        if (!read_file(rotated, filter, out, bad, error))
            return NULL;
    }
    if (!read_file(path, filter, out, bad, error))
        return NULL;
    if (skipped != NULL)
        *skipped = g_steal_pointer(&bad);
    return g_steal_pointer(&out);
}

/* ---- --since ---- */

static GDateTime *
parse_local(const gchar *text)
{
    g_autoptr(GTimeZone) local = g_time_zone_new_local();
    g_autoptr(GString) iso = g_string_new(text);

    if (iso->len < 10 || text[4] != '-' || text[7] != '-')
        return NULL;
    if (iso->len == 10) {
        /* "2025-01-31": its midnight */
        g_string_append(iso, "T00:00:00");
    } else if (text[10] == ' ' || text[10] == 'T') {
        /* "2025-01-31 12:00[:00]", with a zone or without (then local time) */
        iso->str[10] = 'T';
        if (iso->len == 16)
            g_string_append(iso, ":00");
    } else {
        return NULL;
    }
    return g_date_time_new_from_iso8601(iso->str, local);
}

gboolean
cv_history_parse_since(const gchar *text, GDateTime *now, gint64 *time_us, GError **error)
{
    g_autoptr(GDateTime) t = NULL;
    g_autofree gchar *duration = NULL;
    guint64 ms = 0;

    g_return_val_if_fail(text != NULL && now != NULL && time_us != NULL, FALSE);
    if (g_str_equal(text, "now")) {
        t = g_date_time_ref(now);
    } else if (g_str_equal(text, "today") || g_str_equal(text, "yesterday")) {
        g_autoptr(GDateTime) local = g_date_time_to_local(now);
        g_autoptr(GDateTime) midnight =
            g_date_time_new_local(g_date_time_get_year(local), g_date_time_get_month(local),
                                  g_date_time_get_day_of_month(local), 0, 0, 0);
        t = g_str_equal(text, "today") ? g_date_time_ref(midnight)
                                       : g_date_time_add_days(midnight, -1);
    } else if (text[0] == '-') {
        duration = g_strdup(text + 1);
    } else if (g_str_has_suffix(text, " ago")) {
        duration = g_strndup(text, strlen(text) - strlen(" ago"));
    } else {
        t = parse_local(text);
    }
    if (duration != NULL) {
        if (!cv_config_parse_duration(duration, &ms, NULL) || ms > G_MAXINT64 / 1000) {
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                        "'%s': not a duration ago (1h ago, -30min; units ms, s, min, h)", text);
            return FALSE;
        }
        t = g_date_time_add(now, -(GTimeSpan)ms * 1000);
    }
    if (t == NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                    "'%s': expected a time (2025-01-31, '2025-01-31 12:00', "
                    "2025-01-31T12:00:00Z, today, yesterday, now) or a duration ago (1h ago, "
                    "-30min)",
                    text);
        return FALSE;
    }
    *time_us = g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t);
    return TRUE;
}
