#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-error.h"
#include "cv-qmp-frame.h"

/* Framer rows. In `input`, '|' separates the chunks pushed one by one and '~' stands for a
 * NUL byte. In `expect`, lines are separated by '|'; "!LONG" is a LINE_TOO_LONG report and
 * "!NUL" a MALFORMED report. */
typedef struct {
    const gchar *name;
    gsize max_line;
    const gchar *input;
    gboolean byte_by_byte;
    const gchar *expect;
    gsize expect_pending;
} FrameRow;

static const FrameRow frame_rows[] = {
    {"lf", 64, "{\"return\": {}}\n", FALSE, "{\"return\": {}}", 0},
    {"crlf", 64, "{\"return\": {}}\r\n", FALSE, "{\"return\": {}}", 0},
    {"two-lines-one-chunk", 64, "aaa\r\nbbb\r\n", FALSE, "aaa|bbb", 0},
    {"mixed-lf-crlf", 64, "aaa\nbbb\r\nccc\n", FALSE, "aaa|bbb|ccc", 0},
    {"split-mid-line", 64, "{\"ret|urn\": {}}\r\n", FALSE, "{\"return\": {}}", 0},
    {"crlf-split-at-edge", 64, "aaa\r|\nbbb\r|\n", FALSE, "aaa|bbb", 0},
    {"byte-by-byte", 64, "aaa\r\nbbb\r\nccc\n", TRUE, "aaa|bbb|ccc", 0},
    {"partial-kept", 64, "aaa\r\nbb", FALSE, "aaa", 2},
    {"partial-cr-kept", 64, "aaa\r", FALSE, "", 4},
    {"empty-lines-skipped", 64, "\r\n\n\r\naaa\n\n", FALSE, "aaa", 0},
    {"only-empty", 64, "\n\r\n|\r|\n", FALSE, "", 0},
    {"inner-cr-kept", 64, "a\rb\n", FALSE, "a\rb", 0},
    {"double-cr-strips-one", 64, "a\r\r\n", FALSE, "a\r", 0},
    {"exactly-max", 4, "abcd\n", FALSE, "abcd", 0},
    {"exactly-max-crlf", 4, "abcd\r\n", FALSE, "abcd", 0},
    {"exactly-max-crlf-split", 4, "abcd\r|\n", FALSE, "abcd", 0},
    {"exactly-max-byte-by-byte", 4, "abcd\r\nabcd\r\n", TRUE, "abcd|abcd", 0},
    {"max-plus-one", 4, "abcde\nok\n", FALSE, "!LONG|ok", 0},
    {"max-plus-one-crlf", 4, "abcde\r\nok\r\n", FALSE, "!LONG|ok", 0},
    {"oversized-in-one-chunk", 8, "0123456789abcdef\r\nok\r\n", FALSE, "!LONG|ok", 0},
    {"oversized-across-chunks", 8, "01234|56789012|345678\r|\nok\r\n", FALSE, "!LONG|ok", 0},
    {"oversized-reported-once", 8, "0123456789|0123456789|0123456789|01\r\nok\n", FALSE, "!LONG|ok",
     0},
    {"oversized-byte-by-byte", 4, "ab\nabcdefghij\r\ncd\r\n", TRUE, "ab|!LONG|cd", 0},
    {"oversized-partial-discarded", 8, "ok\n0123456789abc", FALSE, "ok|!LONG", 0},
    {"two-oversized", 4, "abcdef\nghijkl\nok\n", FALSE, "!LONG|!LONG|ok", 0},
    {"nul-byte", 64, "a~b\r\nok\r\n", FALSE, "!NUL|ok", 0},
};

static void
push_input(CvQmpFramer *framer, const FrameRow *row)
{
    g_autofree gchar *raw = g_strdup(row->input);
    g_auto(GStrv) chunks = NULL;

    for (gchar *p = raw; *p != '\0'; p++) {
        if (*p == '~')
            *p = '\x01'; /* placeholder; turned into NUL after splitting */
    }
    chunks = g_strsplit(raw, "|", -1);
    for (gsize i = 0; chunks[i] != NULL; i++) {
        gsize len = strlen(chunks[i]);
        for (gsize j = 0; j < len; j++) {
            if (chunks[i][j] == '\x01')
                chunks[i][j] = '\0';
        }
        if (row->byte_by_byte) {
            for (gsize j = 0; j < len; j++)
                cv_qmp_framer_push(framer, chunks[i] + j, 1);
        } else {
            cv_qmp_framer_push(framer, chunks[i], len);
        }
    }
}

static void
test_frame_row(gconstpointer data)
{
    const FrameRow *row = data;
    g_autoptr(CvQmpFramer) framer = cv_qmp_framer_new(row->max_line);
    g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func(g_free);
    g_autofree gchar *joined = NULL;

    push_input(framer, row);
    for (;;) {
        g_autoptr(GError) error = NULL;
        g_autofree gchar *line = cv_qmp_framer_pop(framer, &error);
        if (line != NULL) {
            g_assert_no_error(error);
            g_ptr_array_add(got, g_steal_pointer(&line));
        } else if (error != NULL) {
            g_assert_true(g_error_matches(error, CV_QMP_ERROR, CV_QMP_ERROR_LINE_TOO_LONG) ||
                          g_error_matches(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED));
            g_ptr_array_add(got,
                            g_strdup(error->code == CV_QMP_ERROR_LINE_TOO_LONG ? "!LONG" : "!NUL"));
        } else {
            break;
        }
    }
    g_ptr_array_add(got, NULL);
    joined = g_strjoinv("|", (gchar **)got->pdata);
    g_assert_cmpstr(joined, ==, row->expect);
    g_assert_cmpuint(cv_qmp_framer_pending(framer), ==, row->expect_pending);
}

/* pending() counts queued lines too, and popping releases them */
static void
test_frame_pending(void)
{
    g_autoptr(CvQmpFramer) framer = cv_qmp_framer_new(0);
    g_autofree gchar *a = NULL;
    g_autofree gchar *b = NULL;

    g_assert_cmpuint(cv_qmp_framer_pending(framer), ==, 0);
    cv_qmp_framer_push(framer, "abc\r\nde", 7);
    g_assert_cmpuint(cv_qmp_framer_pending(framer), ==, 5);
    a = cv_qmp_framer_pop(framer, NULL);
    g_assert_cmpstr(a, ==, "abc");
    g_assert_cmpuint(cv_qmp_framer_pending(framer), ==, 2);
    g_assert_null(cv_qmp_framer_pop(framer, NULL));
    cv_qmp_framer_push(framer, "f\n", 2);
    b = cv_qmp_framer_pop(framer, NULL);
    g_assert_cmpstr(b, ==, "def");
    g_assert_cmpuint(cv_qmp_framer_pending(framer), ==, 0);
}

/* the default bound is CV_QMP_MAX_LINE_DEFAULT: a line of that size passes, one byte more
 * does not, and the framer never holds more than the bound for an unterminated line */
static void
test_frame_default_bound(void)
{
    g_autoptr(CvQmpFramer) framer = cv_qmp_framer_new(0);
    g_autofree gchar *big = g_malloc(CV_QMP_MAX_LINE_DEFAULT + 2);
    g_autofree gchar *line = NULL;
    g_autoptr(GError) error = NULL;

    memset(big, 'x', CV_QMP_MAX_LINE_DEFAULT + 2);
    cv_qmp_framer_push(framer, big, CV_QMP_MAX_LINE_DEFAULT);
    cv_qmp_framer_push(framer, "\r\n", 2);
    line = cv_qmp_framer_pop(framer, NULL);
    g_assert_nonnull(line);
    g_assert_cmpuint(strlen(line), ==, CV_QMP_MAX_LINE_DEFAULT);

    for (gint i = 0; i < 4; i++)
        cv_qmp_framer_push(framer, big, CV_QMP_MAX_LINE_DEFAULT + 2);
    g_assert_cmpuint(cv_qmp_framer_pending(framer), <=, CV_QMP_MAX_LINE_DEFAULT + 1);
    g_assert_null(cv_qmp_framer_pop(framer, &error));
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_LINE_TOO_LONG);
    g_clear_error(&error);
    g_assert_null(cv_qmp_framer_pop(framer, &error));
    g_assert_no_error(error);
}

/* Message rows: a line, and what classification must find. */
typedef struct {
    const gchar *name;
    const gchar *line;
    gboolean ok;
    CvQmpMessageKind kind;
    const gchar *id;      /* cv_qmp_id_to_string(), NULL: no id */
    const gchar *msgname; /* event or command name */
    gboolean payload;
    gboolean oob;
    const gchar *error_class;
    const gchar *error_desc;
    gint64 seconds;
    gint64 microseconds;
    const gchar *error_problem; /* ERROR: what is unreadable in the error member */
    const gchar *bad_id;        /* !ok: the id cv_qmp_message_parse_full() still finds */
} MessageRow;

#define GREETING_72                                                                                \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "             \
    "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}"

static const MessageRow message_rows[] = {
    {"greeting-7.2", GREETING_72, TRUE, CV_QMP_MESSAGE_GREETING, NULL, NULL, TRUE, FALSE, NULL,
     NULL, -1, -1},
    {"return-string-id", "{\"return\": {}, \"id\": \"cv-1\"}", TRUE, CV_QMP_MESSAGE_RETURN, "cv-1",
     NULL, TRUE, FALSE, NULL, NULL, -1, -1},
    {"return-no-id", "{\"return\": {}}", TRUE, CV_QMP_MESSAGE_RETURN, NULL, NULL, TRUE, FALSE, NULL,
     NULL, -1, -1},
    {"return-int-id", "{\"id\": 42, \"return\": [1, 2]}", TRUE, CV_QMP_MESSAGE_RETURN, "42", NULL,
     TRUE, FALSE, NULL, NULL, -1, -1},
    {"return-object-id", "{\"id\": {\"a\": 1}, \"return\": 3}", TRUE, CV_QMP_MESSAGE_RETURN,
     "{\"a\":1}", NULL, TRUE, FALSE, NULL, NULL, -1, -1},
    {"return-null", "{\"return\": null, \"id\": \"x\"}", TRUE, CV_QMP_MESSAGE_RETURN, "x", NULL,
     TRUE, FALSE, NULL, NULL, -1, -1},
    {"error-with-id",
     "{\"id\": \"cv-2\", \"error\": {\"class\": \"GenericError\", \"desc\": \"boom\"}}", TRUE,
     CV_QMP_MESSAGE_ERROR, "cv-2", NULL, TRUE, FALSE, "GenericError", "boom", -1, -1},
    {"error-without-id",
     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, invalid "
     "keyword 'x'\"}}",
     TRUE, CV_QMP_MESSAGE_ERROR, NULL, NULL, TRUE, FALSE, "GenericError",
     "JSON parse error, invalid keyword 'x'", -1, -1},
    {"error-no-class", "{\"error\": {\"desc\": \"d\"}}", TRUE, CV_QMP_MESSAGE_ERROR, NULL, NULL,
     TRUE, FALSE, NULL, "d", -1, -1, "'error' has no 'class'"},
    {"error-class-not-string", "{\"error\": {\"class\": 7, \"desc\": [1]}}", TRUE,
     CV_QMP_MESSAGE_ERROR, NULL, NULL, TRUE, FALSE, NULL, NULL, -1, -1,
     "'error.class' is not a string"},
    /* an unreadable error member keeps the message an ERROR with its id, so that the command
     * the id names fails, not the oldest one */
    {"error-not-object", "{\"error\": \"GenericError\"}", TRUE, CV_QMP_MESSAGE_ERROR, NULL, NULL,
     FALSE, FALSE, NULL, NULL, -1, -1, "'error' is not an object"},
    {"error-string-with-id", "{\"id\": \"cv-4\", \"error\": \"GenericError\"}", TRUE,
     CV_QMP_MESSAGE_ERROR, "cv-4", NULL, FALSE, FALSE, NULL, NULL, -1, -1,
     "'error' is not an object"},
    {"error-array-with-id", "{\"error\": [\"GenericError\", \"d\"], \"id\": \"cv-4\"}", TRUE,
     CV_QMP_MESSAGE_ERROR, "cv-4", NULL, FALSE, FALSE, NULL, NULL, -1, -1,
     "'error' is not an object"},
    {"error-null-with-id", "{\"error\": null, \"id\": \"cv-4\"}", TRUE, CV_QMP_MESSAGE_ERROR,
     "cv-4", NULL, FALSE, FALSE, NULL, NULL, -1, -1, "'error' is not an object"},
    {"error-number-int-id", "{\"error\": 5, \"id\": 7}", TRUE, CV_QMP_MESSAGE_ERROR, "7", NULL,
     FALSE, FALSE, NULL, NULL, -1, -1, "'error' is not an object"},
    {"error-empty-with-id", "{\"error\": {}, \"id\": \"cv-4\"}", TRUE, CV_QMP_MESSAGE_ERROR, "cv-4",
     NULL, TRUE, FALSE, NULL, NULL, -1, -1, "'error' has no 'class'"},
    {"error-no-desc-with-id", "{\"id\": \"cv-4\", \"error\": {\"class\": \"GenericError\"}}", TRUE,
     CV_QMP_MESSAGE_ERROR, "cv-4", NULL, TRUE, FALSE, "GenericError", NULL, -1, -1,
     "'error' has no 'desc'"},
    {"error-class-null-with-id",
     "{\"id\": \"cv-4\", \"error\": {\"class\": null, \"desc\": \"d\"}}", TRUE,
     CV_QMP_MESSAGE_ERROR, "cv-4", NULL, TRUE, FALSE, NULL, "d", -1, -1,
     "'error.class' is not a string"},
    {"error-desc-not-string-with-id",
     "{\"id\": \"cv-4\", \"error\": {\"class\": \"GenericError\", \"desc\": {\"a\": 1}}}", TRUE,
     CV_QMP_MESSAGE_ERROR, "cv-4", NULL, TRUE, FALSE, "GenericError", NULL, -1, -1,
     "'error.desc' is not a string"},
    {"event-pass",
     "{\"timestamp\": {\"seconds\": 1795626234, \"microseconds\": 686366}, \"event\": "
     "\"MIGRATION_PASS\", \"data\": {\"pass\": 2}}",
     TRUE, CV_QMP_MESSAGE_EVENT, NULL, "MIGRATION_PASS", TRUE, FALSE, NULL, NULL, 1795626234,
     686366},
    {"event-stop-no-data",
     "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}", TRUE,
     CV_QMP_MESSAGE_EVENT, NULL, "STOP", FALSE, FALSE, NULL, NULL, 1, 2},
    {"event-no-timestamp", "{\"event\": \"STOP\"}", TRUE, CV_QMP_MESSAGE_EVENT, NULL, "STOP", FALSE,
     FALSE, NULL, NULL, -1, -1},
    {"event-timestamp-string",
     "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": \"1\", \"microseconds\": 2}}", TRUE,
     CV_QMP_MESSAGE_EVENT, NULL, "STOP", FALSE, FALSE, NULL, NULL, -1, -1},
    {"event-timestamp-negative",
     "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": -5, \"microseconds\": 2}}", TRUE,
     CV_QMP_MESSAGE_EVENT, NULL, "STOP", FALSE, FALSE, NULL, NULL, -1, -1},
    {"event-timestamp-over-int64",
     "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 18446744073709551615, "
     "\"microseconds\": 2}}",
     TRUE, CV_QMP_MESSAGE_EVENT, NULL, "STOP", FALSE, FALSE, NULL, NULL, -1, -1},
    {"event-microseconds-too-big",
     "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 5, \"microseconds\": 1000000}}", TRUE,
     CV_QMP_MESSAGE_EVENT, NULL, "STOP", FALSE, FALSE, NULL, NULL, -1, -1},
    {"event-timestamp-object", "{\"event\": \"STOP\", \"timestamp\": 12}", TRUE,
     CV_QMP_MESSAGE_EVENT, NULL, "STOP", FALSE, FALSE, NULL, NULL, -1, -1},
    {"command-execute",
     "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"downtime-limit\": 500}, "
     "\"id\": \"t1\"}",
     TRUE, CV_QMP_MESSAGE_COMMAND, "t1", "migrate-set-parameters", TRUE, FALSE, NULL, NULL, -1, -1},
    {"command-no-args", "{\"execute\": \"qmp_capabilities\"}", TRUE, CV_QMP_MESSAGE_COMMAND, NULL,
     "qmp_capabilities", FALSE, FALSE, NULL, NULL, -1, -1},
    {"command-oob", "{\"exec-oob\": \"migrate-pause\", \"id\": 1}", TRUE, CV_QMP_MESSAGE_COMMAND,
     "1", "migrate-pause", FALSE, TRUE, NULL, NULL, -1, -1},
    {"unknown-keys-ignored", "{\"return\": {}, \"id\": \"a\", \"x-future\": [1, {}]}", TRUE,
     CV_QMP_MESSAGE_RETURN, "a", NULL, TRUE, FALSE, NULL, NULL, -1, -1},
    {"not-json", "{\"return\": ", FALSE},
    {"garbage", "hello", FALSE},
    {"array", "[{\"return\": {}}]", FALSE},
    {"string", "\"return\"", FALSE},
    {"number", "42", FALSE},
    {"empty-object", "{}", FALSE},
    {"unknown-shape", "{\"foo\": 1}", FALSE},
    {"return-and-error", "{\"return\": {}, \"error\": {\"class\": \"GenericError\"}}", FALSE},
    {"event-and-return", "{\"event\": \"STOP\", \"return\": {}}", FALSE},
    {"greeting-not-object", "{\"QMP\": 1}", FALSE},
    /* not QMP, but the id can be read: the broken reply fails the command it names */
    {.name = "return-and-error-with-id",
     .line = "{\"return\": {}, \"error\": {\"class\": \"GenericError\"}, \"id\": \"cv-5\"}",
     .bad_id = "cv-5"},
    {.name = "unknown-shape-with-id", .line = "{\"foo\": 1, \"id\": \"cv-5\"}", .bad_id = "cv-5"},
    {.name = "only-id", .line = "{\"id\": \"cv-5\"}", .bad_id = "cv-5"},
    {.name = "greeting-not-object-with-int-id", .line = "{\"QMP\": 1, \"id\": 5}", .bad_id = "5"},
    {.name = "not-json-with-id", .line = "{\"id\": \"cv-5\", \"return\": ", .bad_id = NULL},
    {"event-name-not-string", "{\"event\": 5}", FALSE},
    {"event-data-not-object", "{\"event\": \"STOP\", \"data\": [1]}", FALSE},
    {"execute-not-string", "{\"execute\": {}}", FALSE},
    {"arguments-not-object", "{\"execute\": \"stop\", \"arguments\": 3}", FALSE},
    {"trailing-garbage", "{\"return\": {}} x", FALSE},
    {"two-objects", "{\"return\": {}}{\"return\": {}}", FALSE},
    {"invalid-utf8", "{\"return\": \"\xff\xfe\"}", FALSE},
    {"deep-nesting",
     "{\"return\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
     FALSE},
};

static void
test_message_row(gconstpointer data)
{
    const MessageRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) full_error = NULL;
    g_autoptr(CvQmpMessage) msg = cv_qmp_message_parse(row->line, -1, &error);
    /* whatever the caller's variable held is overwritten, never freed nor kept */
    static gchar untouched[] = "untouched";
    g_autofree gchar *bad_id = untouched;
    g_autoptr(CvQmpMessage) full = cv_qmp_message_parse_full(row->line, -1, &bad_id, &full_error);
    g_autofree gchar *id = NULL;

    g_assert_true(bad_id != untouched);
    /* both entries agree; only _full() tells the id of a message it refuses */
    g_assert_cmpint(msg != NULL, ==, full != NULL);
    g_assert_cmpstr(bad_id, ==, row->bad_id);
    if (!row->ok) {
        g_assert_null(msg);
        g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED);
        g_assert_error(full_error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED);
        g_assert_cmpstr(full_error->message, ==, error->message);
        return;
    }
    g_assert_no_error(error);
    g_assert_no_error(full_error);
    g_assert_nonnull(msg);
    g_assert_cmpint(msg->kind, ==, row->kind);
    id = cv_qmp_id_to_string(msg->id);
    g_assert_cmpstr(id, ==, row->id);
    g_assert_cmpstr(msg->name, ==, row->msgname);
    g_assert_cmpint(msg->payload != NULL, ==, row->payload);
    g_assert_cmpint(msg->oob, ==, row->oob);
    g_assert_cmpstr(msg->error_class, ==, row->error_class);
    g_assert_cmpstr(msg->error_desc, ==, row->error_desc);
    g_assert_cmpstr(msg->error_problem, ==, row->error_problem);
    g_assert_cmpint(msg->seconds, ==, row->seconds);
    g_assert_cmpint(msg->microseconds, ==, row->microseconds);
}

/* an explicit length stops at it, and a NUL inside the length is refused */
static void
test_message_length(void)
{
    static const gchar with_nul[] = "{\"return\": {}}\0{\"x\"";
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) a = cv_qmp_message_parse("{\"return\": {}}garbage", 14, &error);
    g_autoptr(CvQmpMessage) b = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(a);
    g_assert_cmpint(a->kind, ==, CV_QMP_MESSAGE_RETURN);
    b = cv_qmp_message_parse(with_nul, sizeof(with_nul) - 1, &error);
    g_assert_null(b);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED);
}

/* nesting below the bound is fine: the bound must not reject real replies */
static void
test_message_nesting_bound(void)
{
    g_autoptr(GString) s = g_string_new("{\"return\": ");
    g_autoptr(GString) deep = NULL;
    g_autoptr(CvQmpMessage) ok = NULL;
    g_autoptr(CvQmpMessage) bad = NULL;
    g_autoptr(GError) error = NULL;

    for (gint i = 0; i < 60; i++)
        g_string_append(s, "[\"[{\\\"\", ");
    g_string_append(s, "1");
    for (gint i = 0; i < 60; i++)
        g_string_append(s, "]");
    g_string_append(s, "}");
    ok = cv_qmp_message_parse(s->str, -1, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ok);

    deep = g_string_new("{\"return\": ");
    for (gint i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    bad = cv_qmp_message_parse(deep->str, -1, &error);
    g_assert_null(bad);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED);
}

static void
test_id_to_string(void)
{
    g_autoptr(JsonNode) s = json_node_new(JSON_NODE_VALUE);
    g_autoptr(JsonNode) i = json_node_new(JSON_NODE_VALUE);
    g_autofree gchar *a = NULL;
    g_autofree gchar *b = NULL;

    json_node_set_string(s, "cv-7");
    json_node_set_int(i, 7);
    a = cv_qmp_id_to_string(s);
    b = cv_qmp_id_to_string(i);
    g_assert_cmpstr(a, ==, "cv-7");
    /* a numeric 7 and the string "7" must not be confused with our "cv-7" ids */
    g_assert_cmpstr(b, ==, "7");
    g_assert_null(cv_qmp_id_to_string(NULL));
}

/* ---- the MIGRATION_PASS fast path ---- */

typedef struct {
    const gchar *name;
    const gchar *line;
    gboolean fast; /* read by the scanner, without json-glib */
    gint64 pass, seconds, microseconds;
} PassRow;

#define QEMU_PASS(sec, usec, pass)                                                                 \
    "{\"timestamp\": {\"seconds\": " #sec ", \"microseconds\": " #usec                             \
    "}, \"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": " #pass "}}"

static const PassRow pass_rows[] = {
    /* as QEMU writes it (qobject_to_json: ": " and ", ") */
    {"qemu", QEMU_PASS(1764084958, 734010, 1), TRUE, 1, 1764084958, 734010},
    /* as json-glib (the simulator) writes it */
    {"compact",
     "{\"timestamp\":{\"seconds\":1,\"microseconds\":2},\"event\":\"MIGRATION_PASS\","
     "\"data\":{\"pass\":247045}}",
     TRUE, 247045, 1, 2},
    {"whitespace",
     " {\"timestamp\" :\t{ \"seconds\" : 0 , \"microseconds\" : 0 } , \"event\" : "
     "\"MIGRATION_PASS\" , \"data\" : { \"pass\" : 0 } }\r",
     TRUE, 0, 0, 0},
    {"fifteen-digits", QEMU_PASS(1, 2, 999999999999999), TRUE, 999999999999999, 1, 2},
    /* everything else goes to the parser, which judges it as before */
    {"sixteen-digits", QEMU_PASS(1, 2, 1000000000000000), FALSE, 0, 0, 0},
    {"data-first",
     "{\"data\": {\"pass\": 3}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
     "\"event\": \"MIGRATION_PASS\"}",
     FALSE, 0, 0, 0},
    {"extra-member",
     "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"MIGRATION_PASS\", "
     "\"data\": {\"pass\": 3, \"x\": 1}}",
     FALSE, 0, 0, 0},
    {"with-id",
     "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"MIGRATION_PASS\", "
     "\"data\": {\"pass\": 3}, \"id\": \"cv-1\"}",
     FALSE, 0, 0, 0},
    {"trailing-garbage", QEMU_PASS(1, 2, 3) "x", FALSE, 0, 0, 0},
    {"two-objects", QEMU_PASS(1, 2, 3) " {}", FALSE, 0, 0, 0},
    {"truncated",
     "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "
     "\"MIGRATION_PASS\", \"data\": {\"pass\": 3}",
     FALSE, 0, 0, 0},
    {"negative-pass", QEMU_PASS(1, 2, -1), FALSE, 0, 0, 0},
    {"fraction-pass", QEMU_PASS(1, 2, 3.0), FALSE, 0, 0, 0},
    {"exponent-pass", QEMU_PASS(1, 2, 3e2), FALSE, 0, 0, 0},
    {"leading-zero-pass", QEMU_PASS(1, 2, 03), FALSE, 0, 0, 0},
    {"string-pass", QEMU_PASS(1, 2, "3"), FALSE, 0, 0, 0},
    {"microseconds-out-of-range", QEMU_PASS(1, 1000000, 3), FALSE, 0, 0, 0},
    {"other-event",
     "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"MIGRATION\", "
     "\"data\": {\"status\": \"active\"}}",
     FALSE, 0, 0, 0},
    {"longer-name",
     "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"MIGRATION_PASSX\", "
     "\"data\": {\"pass\": 3}}",
     FALSE, 0, 0, 0},
    {"escaped-name",
     "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "
     "\"MIGRATION\\u005fPASS\", \"data\": {\"pass\": 3}}",
     FALSE, 0, 0, 0},
};

static void
test_pass_row(gconstpointer data)
{
    const PassRow *row = data;
    gint64 pass = -7, seconds = -7, microseconds = -7;
    gboolean fast =
        cv_qmp_line_peek_pass_event(row->line, strlen(row->line), &pass, &seconds, &microseconds);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(CvQmpMessage) msg = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) json_error = NULL;
    gboolean is_json = json_parser_load_from_data(parser, row->line, -1, &json_error);

    g_assert_cmpint(fast, ==, row->fast);
    if (!row->fast) {
        g_assert_cmpint(pass, ==, -7);
        return;
    }
    g_assert_cmpint(pass, ==, row->pass);
    g_assert_cmpint(seconds, ==, row->seconds);
    g_assert_cmpint(microseconds, ==, row->microseconds);
    /* what the scanner accepts is a JSON event the parser reads the same way */
    g_assert_no_error(json_error);
    g_assert_true(is_json);
    msg = cv_qmp_message_parse(row->line, -1, &error);
    g_assert_no_error(error);
    g_assert_nonnull(msg);
    g_assert_cmpint(msg->kind, ==, CV_QMP_MESSAGE_EVENT);
    g_assert_cmpstr(msg->name, ==, "MIGRATION_PASS");
    g_assert_null(msg->id);
    g_assert_cmpint(msg->seconds, ==, row->seconds);
    g_assert_cmpint(msg->microseconds, ==, row->microseconds);
    g_assert_nonnull(msg->payload);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(msg->payload));
    {
        JsonObject *parsed = json_node_get_object(json_parser_get_root(parser));
        JsonObject *parsed_data = json_object_get_object_member(parsed, "data");
        JsonObject *parsed_ts = json_object_get_object_member(parsed, "timestamp");

        g_assert_cmpint(json_object_get_int_member(json_node_get_object(msg->payload), "pass"), ==,
                        json_object_get_int_member(parsed_data, "pass"));
        g_assert_cmpint(msg->seconds, ==, json_object_get_int_member(parsed_ts, "seconds"));
        g_assert_cmpint(msg->microseconds, ==,
                        json_object_get_int_member(parsed_ts, "microseconds"));
        g_assert_true(json_node_equal(msg->root, json_parser_get_root(parser)));
    }
}

/* A line the scanner turns down still gets the parser's verdict: same kind, same errors. */
static void
test_pass_fallback(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) extra = cv_qmp_message_parse(pass_rows[6].line, -1, &error);
    g_autoptr(CvQmpMessage) garbage = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(extra);
    g_assert_cmpint(extra->kind, ==, CV_QMP_MESSAGE_EVENT);
    g_assert_cmpstr(extra->name, ==, "MIGRATION_PASS");
    garbage = cv_qmp_message_parse(pass_rows[8].line, -1, &error);
    g_assert_null(garbage);
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(frame_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/qmp/frame/%s", frame_rows[i].name);
        g_test_add_data_func(path, &frame_rows[i], test_frame_row);
    }
    g_test_add_func("/qmp/frame/pending", test_frame_pending);
    g_test_add_func("/qmp/frame/default-bound", test_frame_default_bound);
    for (gsize i = 0; i < G_N_ELEMENTS(message_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/qmp/message/%s", message_rows[i].name);
        g_test_add_data_func(path, &message_rows[i], test_message_row);
    }
    g_test_add_func("/qmp/message/length", test_message_length);
    g_test_add_func("/qmp/message/nesting-bound", test_message_nesting_bound);
    g_test_add_func("/qmp/message/id-to-string", test_id_to_string);
    for (gsize i = 0; i < G_N_ELEMENTS(pass_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/qmp/pass-fast-path/%s", pass_rows[i].name);
        g_test_add_data_func(path, &pass_rows[i], test_pass_row);
    }
    g_test_add_func("/qmp/pass-fast-path/fallback", test_pass_fallback);
    return g_test_run();
}
