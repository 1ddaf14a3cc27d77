/* QMP framing and message classification: pure functions over bytes, no socket. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* QEMU's own replies are a few KiB; a monitor line above 1 MiB is a broken peer. */
#define CV_QMP_MAX_LINE_DEFAULT (1024 * 1024)

typedef struct _CvQmpFramer CvQmpFramer;

CvQmpFramer *cv_qmp_framer_new(gsize max_line);
void cv_qmp_framer_free(CvQmpFramer *framer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvQmpFramer, cv_qmp_framer_free)

/* Append bytes as they arrive from the socket, split anywhere. */
void cv_qmp_framer_push(CvQmpFramer *framer, const gchar *data, gsize len);
/* The next complete line, without its LF or CRLF, or NULL when none is complete yet
 * (error untouched). A line longer than max_line is dropped up to its newline and reported
 * once with CV_QMP_ERROR_LINE_TOO_LONG; popping again continues after it. A line holding a
 * NUL byte is dropped and reported with CV_QMP_ERROR_MALFORMED. Empty lines are skipped. */
gchar *cv_qmp_framer_pop(CvQmpFramer *framer, GError **error);
/* Bytes buffered but not yet returned as a line. */
gsize cv_qmp_framer_pending(const CvQmpFramer *framer);

typedef enum {
    CV_QMP_MESSAGE_GREETING = 0, /* {"QMP": {...}} */
    CV_QMP_MESSAGE_RETURN,       /* {"return": ..., "id": ...} */
    CV_QMP_MESSAGE_ERROR,        /* {"error": {"class":..., "desc":...}, "id"?: ...} */
    CV_QMP_MESSAGE_EVENT,        /* {"event": NAME, "data"?: {...}, "timestamp": {...}} */
    CV_QMP_MESSAGE_COMMAND,      /* {"execute"|"exec-oob": NAME, "arguments"?: {}, "id"?: ...} */
} CvQmpMessageKind;

typedef struct {
    CvQmpMessageKind kind;
    JsonNode *root;    /* owned: the whole message */
    JsonNode *id;      /* borrowed from root; NULL when the message has no id */
    const gchar *name; /* event or command name (borrowed); NULL otherwise */
    JsonNode *payload; /* borrowed: return value, error object, event data or command
                          arguments; NULL when absent (and for an error member that is not
                          an object) */
    gboolean oob;      /* a command sent with exec-oob */
    /* ERROR only. An error member that cannot be read does not make the message MALFORMED:
     * it is still the reply to the command its id names, and that command must fail. */
    const gchar *error_class;   /* borrowed; NULL if missing or not a string */
    const gchar *error_desc;    /* borrowed; NULL if missing or not a string */
    const gchar *error_problem; /* static text naming what is unreadable in the error
                                   member ("'error' is not an object", "'error' has no
                                   'class'", ...); NULL when class and desc are strings */
    /* EVENT only: timestamp, -1 when missing or malformed */
    gint64 seconds;
    gint64 microseconds;
} CvQmpMessage;

/* Parse one line into a classified message. Malformed JSON, a non-object, or an object that
 * is none of the kinds above fails with CV_QMP_ERROR_MALFORMED. */
CvQmpMessage *cv_qmp_message_parse(const gchar *line, gssize len, GError **error);
/* The same, and when the line is a JSON object that fails as MALFORMED but has an "id"
 * member, @bad_id gets that id (as cv_qmp_id_to_string() writes it), so that the broken
 * reply can still fail the command it names instead of another one. @bad_id is set to NULL
 * in every other case. */
CvQmpMessage *cv_qmp_message_parse_full(const gchar *line, gssize len, gchar **bad_id,
                                        GError **error);
void cv_qmp_message_free(CvQmpMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvQmpMessage, cv_qmp_message_free)

/* TRUE when @line is a MIGRATION_PASS event in exactly QEMU's shape
 * ({"timestamp": {"seconds": S, "microseconds": U}, "event": "MIGRATION_PASS",
 * "data": {"pass": N}}, any whitespace between tokens), read without a JSON parser;
 * cv_qmp_message_parse() takes this path first. FALSE for every other line, which the parser
 * then judges. Outputs may be NULL. */
gboolean cv_qmp_line_peek_pass_event(const gchar *line, gsize len, gint64 *pass, gint64 *seconds,
                                     gint64 *microseconds);

/* An id as a string for matching: our ids are strings; other JSON ids are serialised. */
gchar *cv_qmp_id_to_string(JsonNode *id);

G_END_DECLS
