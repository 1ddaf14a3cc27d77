#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-error.h"
#include "cv-qmp-frame.h"

/* QMP replies nest a handful of levels (query-qmp-schema about six). json-glib's parser
 * recurses once per level, so a line of a million '[' would exhaust the stack: lines nested
 * deeper than this are rejected before json-glib sees them. */
#define CV_QMP_MAX_DEPTH 64

typedef enum {
    FRAME_LINE = 0,
    FRAME_TOO_LONG,
    FRAME_NUL,
} FrameKind;

typedef struct {
    FrameKind kind;
    gchar *line; /* FRAME_LINE only */
    gsize len;   /* bytes the item stood for, for cv_qmp_framer_pending() */
} FrameItem;

struct _CvQmpFramer {
    gsize max_line;
    /* The current, not yet terminated line. Never longer than max_line + 1 (a CR may follow
     * a line of exactly max_line bytes): beyond that the line is already known to be too
     * long, it is dropped and the rest of it discarded as it arrives. */
    GByteArray *partial;
    gboolean discarding;
    GQueue items; /* FrameItem, complete lines and errors in arrival order */
    gsize queued_bytes;
};

static void
frame_item_free(gpointer data)
{
    FrameItem *item = data;
    g_free(item->line);
    g_free(item);
}

CvQmpFramer *
cv_qmp_framer_new(gsize max_line)
{
    CvQmpFramer *framer = g_new0(CvQmpFramer, 1);
    framer->max_line = max_line > 0 ? max_line : CV_QMP_MAX_LINE_DEFAULT;
    framer->partial = g_byte_array_new();
    g_queue_init(&framer->items);
    return framer;
}

void
cv_qmp_framer_free(CvQmpFramer *framer)
{
    if (framer == NULL)
        return;
    g_byte_array_unref(framer->partial);
    g_queue_clear_full(&framer->items, frame_item_free);
    g_free(framer);
}

static void
framer_queue(CvQmpFramer *framer, FrameKind kind, gchar *line, gsize len)
{
    FrameItem *item = g_new0(FrameItem, 1);
    item->kind = kind;
    item->line = line;
    item->len = len;
    framer->queued_bytes += len;
    g_queue_push_tail(&framer->items, item);
}

/* The partial buffer now holds one whole line (its LF already consumed). */
static void
framer_finish_line(CvQmpFramer *framer)
{
    gsize len = framer->partial->len;
    const guint8 *data = framer->partial->data;

    if (len > 0 && data[len - 1] == '\r')
        len--;
    if (len > framer->max_line) {
        framer_queue(framer, FRAME_TOO_LONG, NULL, framer->partial->len);
    } else if (len > 0 && memchr(data, '\0', len) != NULL) {
        framer_queue(framer, FRAME_NUL, NULL, framer->partial->len);
    } else if (len > 0) {
        framer_queue(framer, FRAME_LINE, g_strndup((const gchar *)data, len), len);
    }
    g_byte_array_set_size(framer->partial, 0);
}

void
cv_qmp_framer_push(CvQmpFramer *framer, const gchar *data, gsize len)
{
    g_return_if_fail(framer != NULL);
    g_return_if_fail(data != NULL || len == 0);

    while (len > 0) {
        const gchar *lf = memchr(data, '\n', len);
        gsize seg = lf != NULL ? (gsize)(lf - data) : len;

        if (framer->discarding) {
            /* the rest of an oversized line: already reported, drop it */
            if (lf != NULL)
                framer->discarding = FALSE;
        } else if (framer->partial->len + seg > framer->max_line + 1) {
            /* too long whatever follows: never buffer more than the bound */
            framer_queue(framer, FRAME_TOO_LONG, NULL, 0);
            g_byte_array_set_size(framer->partial, 0);
            framer->discarding = lf == NULL;
        } else {
            g_byte_array_append(framer->partial, (const guint8 *)data, seg);
            if (lf != NULL)
                framer_finish_line(framer);
        }
        if (lf == NULL)
            break;
        data += seg + 1;
        len -= seg + 1;
    }
}

gchar *
cv_qmp_framer_pop(CvQmpFramer *framer, GError **error)
{
    g_return_val_if_fail(framer != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    while (!g_queue_is_empty(&framer->items)) {
        FrameItem *item = g_queue_pop_head(&framer->items);
        gchar *line = g_steal_pointer(&item->line);
        FrameKind kind = item->kind;

        framer->queued_bytes -= item->len;
        frame_item_free(item);
        switch (kind) {
        case FRAME_LINE:
            return line;
        case FRAME_TOO_LONG:
            g_set_error(error, CV_QMP_ERROR, CV_QMP_ERROR_LINE_TOO_LONG,
                        "QMP line longer than %" G_GSIZE_FORMAT " bytes discarded",
                        framer->max_line);
            return NULL;
        case FRAME_NUL:
            g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED,
                                "QMP line with a NUL byte discarded");
            return NULL;
        default:
            g_assert_not_reached();
        }
    }
    return NULL;
}

gsize
cv_qmp_framer_pending(const CvQmpFramer *framer)
{
    g_return_val_if_fail(framer != NULL, 0);
    return framer->queued_bytes + framer->partial->len;
}

/* A cheap pre-scan before json-glib: the line must be one object ("{" first, nothing but
 * whitespace after its closing "}", since json-glib 1.6 quietly accepts "{...}{...}") and
 * must not nest deeper than CV_QMP_MAX_DEPTH. Strings are skipped, escapes included. */
static gboolean
json_shape_ok(const gchar *text, gsize len, const gchar **why)
{
    guint depth = 0;
    gboolean in_string = FALSE;
    gboolean started = FALSE;

    for (gsize i = 0; i < len; i++) {
        gchar c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = FALSE;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (!started) {
            if (c != '{') {
                *why = "is not a JSON object";
                return FALSE;
            }
            started = TRUE;
        } else if (depth == 0) {
            *why = "has data after its JSON object";
            return FALSE;
        }
        if (c == '"') {
            in_string = TRUE;
        } else if (c == '{' || c == '[') {
            if (++depth > CV_QMP_MAX_DEPTH) {
                *why = "nests too deep";
                return FALSE;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    /* an unterminated object is left to json-glib, whose message says where it stopped */
    return TRUE;
}

void
cv_qmp_message_free(CvQmpMessage *message)
{
    if (message == NULL)
        return;
    if (message->root != NULL)
        json_node_unref(message->root);
    g_free(message);
}

/* NULL when absent; MALFORMED when present but not a string. */
static gboolean
get_optional_string(JsonObject *obj, const gchar *member, const gchar **out, GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    *out = NULL;
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
        g_set_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED, "QMP member '%s' is not a string",
                    member);
        return FALSE;
    }
    *out = json_node_get_string(node);
    return TRUE;
}

/* NULL when absent; MALFORMED when present but not an object. */
static gboolean
get_optional_object(JsonObject *obj, const gchar *member, JsonNode **out, GError **error)
{
    JsonNode *node = json_object_get_member(obj, member);

    *out = NULL;
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED, "QMP member '%s' is not an object",
                    member);
        return FALSE;
    }
    *out = node;
    return TRUE;
}

/* A string member of an error object. When it is missing or not a string: NULL, and the
 * first such problem is kept in @problem (a static text). */
static const gchar *
get_error_member(JsonObject *err, const gchar *member, const gchar **problem)
{
    JsonNode *node = json_object_get_member(err, member);
    const gchar *why = NULL;

    if (node == NULL)
        why = g_str_equal(member, "class") ? "'error' has no 'class'" : "'error' has no 'desc'";
    else if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
        why = g_str_equal(member, "class") ? "'error.class' is not a string"
                                           : "'error.desc' is not a string";
    else
        return json_node_get_string(node);
    if (*problem == NULL)
        *problem = why;
    return NULL;
}

static gint64
get_timestamp_part(JsonObject *ts, const gchar *member)
{
    JsonNode *node = json_object_get_member(ts, member);

    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64)
        return -1;
    /* a negative value is how json-glib shows a number above INT64_MAX: not a timestamp */
    return MAX(json_node_get_int(node), -1);
}

static gboolean
message_classify(CvQmpMessage *msg, JsonObject *obj, GError **error)
{
    /* the members that decide the kind; exactly one of them must be present */
    static const gchar *const keys[] = {"QMP", "return", "error", "event", "execute", "exec-oob"};
    const gchar *key = NULL;
    JsonNode *node;

    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (!json_object_has_member(obj, keys[i]))
            continue;
        if (key != NULL) {
            g_set_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED,
                        "QMP message has both '%s' and '%s'", key, keys[i]);
            return FALSE;
        }
        key = keys[i];
    }
    if (key == NULL) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED,
                            "QMP message is neither greeting, reply, event nor command");
        return FALSE;
    }

    msg->id = json_object_get_member(obj, "id");
    msg->seconds = -1;
    msg->microseconds = -1;

    if (g_str_equal(key, "QMP")) {
        msg->kind = CV_QMP_MESSAGE_GREETING;
        if (!get_optional_object(obj, "QMP", &msg->payload, error))
            return FALSE;
        return TRUE;
    }
    if (g_str_equal(key, "return")) {
        msg->kind = CV_QMP_MESSAGE_RETURN;
        msg->payload = json_object_get_member(obj, "return");
        return TRUE;
    }
    if (g_str_equal(key, "error")) {
        JsonObject *err;
        msg->kind = CV_QMP_MESSAGE_ERROR;
        /* an unreadable error member is no reason to drop the reply: the command its id
         * names still failed, and must hear it (not the oldest command, as for a line
         * without an id) */
        node = json_object_get_member(obj, "error");
        if (!JSON_NODE_HOLDS_OBJECT(node)) {
            msg->error_problem = "'error' is not an object";
            return TRUE;
        }
        msg->payload = node;
        err = json_node_get_object(node);
        msg->error_class = get_error_member(err, "class", &msg->error_problem);
        msg->error_desc = get_error_member(err, "desc", &msg->error_problem);
        return TRUE;
    }
    if (g_str_equal(key, "event")) {
        JsonNode *ts = NULL;
        msg->kind = CV_QMP_MESSAGE_EVENT;
        if (!get_optional_string(obj, "event", &msg->name, error))
            return FALSE;
        if (!get_optional_object(obj, "data", &msg->payload, error))
            return FALSE;
        node = json_object_get_member(obj, "timestamp");
        if (node != NULL && JSON_NODE_HOLDS_OBJECT(node))
            ts = node;
        if (ts != NULL) {
            JsonObject *tso = json_node_get_object(ts);
            msg->seconds = get_timestamp_part(tso, "seconds");
            msg->microseconds = get_timestamp_part(tso, "microseconds");
            if (msg->seconds < 0 || msg->microseconds < 0 || msg->microseconds >= G_USEC_PER_SEC)
                msg->seconds = msg->microseconds = -1;
        }
        return TRUE;
    }
    /* execute or exec-oob */
    msg->kind = CV_QMP_MESSAGE_COMMAND;
    msg->oob = g_str_equal(key, "exec-oob");
    if (!get_optional_string(obj, key, &msg->name, error))
        return FALSE;
    if (!get_optional_object(obj, "arguments", &msg->payload, error))
        return FALSE;
    return TRUE;
}

/* ---- the MIGRATION_PASS fast path -------------------------------------------------------
 * Once RAM is drained, QEMU sends a MIGRATION_PASS for every iteration, up to thousands a
 * second, and all that matters in one is its pass number. A line of exactly QEMU's shape
 * (members in QEMU's order, any JSON whitespace between tokens, plain decimal integers)
 * is read by a scanner; every other line, and every one that only looks like it, goes
 * through json-glib as before, so the scanner never accepts what the parser would not. */

static void
scan_ws(const gchar **p, const gchar *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n'))
        (*p)++;
}

static gboolean
scan_lit(const gchar **p, const gchar *end, const gchar *lit)
{
    gsize n = strlen(lit);

    scan_ws(p, end);
    if ((gsize)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return FALSE;
    *p += n;
    return TRUE;
}

/* A JSON integer of 1 to 15 digits (below 2^53 and INT64_MAX, so json-glib would read it as
 * the same int64), no sign, no leading zero, no fraction or exponent. */
static gboolean
scan_uint(const gchar **p, const gchar *end, gint64 *out)
{
    const gchar *start;
    gint64 v = 0;

    scan_ws(p, end);
    start = *p;
    while (*p < end && g_ascii_isdigit(**p)) {
        if (*p - start >= 15)
            return FALSE;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    if (*p == start || (*start == '0' && *p - start > 1))
        return FALSE;
    if (*p < end && (**p == '.' || **p == 'e' || **p == 'E'))
        return FALSE;
    *out = v;
    return TRUE;
}

gboolean
cv_qmp_line_peek_pass_event(const gchar *line, gsize len, gint64 *pass, gint64 *seconds,
                            gint64 *microseconds)
{
    const gchar *p = line;
    const gchar *end = line + len;
    gint64 sec, usec, n;

    g_return_val_if_fail(line != NULL, FALSE);

    if (!scan_lit(&p, end, "{") || !scan_lit(&p, end, "\"timestamp\"") || !scan_lit(&p, end, ":") ||
        !scan_lit(&p, end, "{") || !scan_lit(&p, end, "\"seconds\"") || !scan_lit(&p, end, ":") ||
        !scan_uint(&p, end, &sec) || !scan_lit(&p, end, ",") ||
        !scan_lit(&p, end, "\"microseconds\"") || !scan_lit(&p, end, ":") ||
        !scan_uint(&p, end, &usec) || !scan_lit(&p, end, "}") || !scan_lit(&p, end, ",") ||
        !scan_lit(&p, end, "\"event\"") || !scan_lit(&p, end, ":") ||
        !scan_lit(&p, end, "\"MIGRATION_PASS\"") || !scan_lit(&p, end, ",") ||
        !scan_lit(&p, end, "\"data\"") || !scan_lit(&p, end, ":") || !scan_lit(&p, end, "{") ||
        !scan_lit(&p, end, "\"pass\"") || !scan_lit(&p, end, ":") || !scan_uint(&p, end, &n) ||
        !scan_lit(&p, end, "}") || !scan_lit(&p, end, "}"))
        return FALSE;
    scan_ws(&p, end);
    if (p != end || usec >= G_USEC_PER_SEC)
        return FALSE;
    if (pass != NULL)
        *pass = n;
    if (seconds != NULL)
        *seconds = sec;
    if (microseconds != NULL)
        *microseconds = usec;
    return TRUE;
}

/* The message json-glib would have made of that line, built without parsing it. */
static CvQmpMessage *
pass_event_message(gint64 pass, gint64 seconds, gint64 microseconds)
{
    CvQmpMessage *msg = g_new0(CvQmpMessage, 1);
    JsonObject *obj = json_object_new();
    JsonObject *ts = json_object_new();
    JsonObject *data = json_object_new();

    json_object_set_int_member(ts, "seconds", seconds);
    json_object_set_int_member(ts, "microseconds", microseconds);
    json_object_set_object_member(obj, "timestamp", ts);
    json_object_set_string_member(obj, "event", "MIGRATION_PASS");
    json_object_set_int_member(data, "pass", pass);
    json_object_set_object_member(obj, "data", data);
    msg->root = json_node_init_object(json_node_alloc(), obj);
    json_object_unref(obj);
    msg->kind = CV_QMP_MESSAGE_EVENT;
    msg->name = json_object_get_string_member(obj, "event");
    msg->payload = json_object_get_member(obj, "data");
    msg->seconds = seconds;
    msg->microseconds = microseconds;
    return msg;
}

CvQmpMessage *
cv_qmp_message_parse(const gchar *line, gssize len, GError **error)
{
    return cv_qmp_message_parse_full(line, len, NULL, error);
}

CvQmpMessage *
cv_qmp_message_parse_full(const gchar *line, gssize len, gchar **bad_id, GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(CvQmpMessage) msg = NULL;
    g_autoptr(GError) local_error = NULL;
    const gchar *why = NULL;
    JsonNode *root;
    JsonObject *obj;
    gsize n;

    if (bad_id != NULL)
        *bad_id = NULL;
    g_return_val_if_fail(line != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    n = len < 0 ? strlen(line) : (gsize)len;
    {
        gint64 pass, seconds, microseconds;

        if (cv_qmp_line_peek_pass_event(line, n, &pass, &seconds, &microseconds))
            return pass_event_message(pass, seconds, microseconds);
    }
    if (memchr(line, '\0', n) != NULL || !g_utf8_validate_len(line, n, NULL)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED,
                            "QMP line is not valid UTF-8 text");
        return NULL;
    }
    if (!json_shape_ok(line, n, &why)) {
        g_set_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED, "QMP line %s", why);
        return NULL;
    }
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, line, (gssize)n, &local_error)) {
        g_set_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED, "QMP line is not JSON: %s",
                    local_error->message);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED,
                            "QMP line is not a JSON object");
        return NULL;
    }
    msg = g_new0(CvQmpMessage, 1);
    msg->root = json_node_ref(root);
    obj = json_node_get_object(root);
    if (!message_classify(msg, obj, error)) {
        if (bad_id != NULL)
            *bad_id = cv_qmp_id_to_string(json_object_get_member(obj, "id"));
        return NULL;
    }
    return g_steal_pointer(&msg);
}

gchar *
cv_qmp_id_to_string(JsonNode *id)
{
    if (id == NULL)
        return NULL;
    if (JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_STRING)
        return g_strdup(json_node_get_string(id));
    return json_to_string(id, FALSE);
}
