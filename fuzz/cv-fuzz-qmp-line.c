#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-fuzz-check.h"
#include "cv-fuzz-qmp-line.h"
#include "cv-params.h"
#include "cv-qmp-error.h"
#include "cv-qmp-frame.h"
#include "cv-qmp-parse.h"
#include "cv-sample.h"

/* Small enough that the fuzzer reaches the oversized-line path easily. */
#define FUZZ_MAX_LINE 4096

static void
fuzz_message(const CvQmpMessage *msg)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *id = cv_qmp_id_to_string(msg->id);
    CvSample sample;
    CvParams params;
    CvQemuVersion version;
    CvQmpEvent event;
    gboolean oob = FALSE;

    g_assert_true((msg->id == NULL) == (id == NULL));
    switch (msg->kind) {
    case CV_QMP_MESSAGE_RETURN:
        /* any return value may reach any parser: none may crash or trust garbage */
        cv_sample_init(&sample);
        if (cv_qmp_parse_query_migrate(msg->payload, &sample, &error))
            cv_fuzz_check_sample(&sample);
        g_clear_error(&error);
        cv_params_init(&params);
        if (cv_qmp_parse_query_migrate_parameters(msg->payload, &params, &error)) {
            cv_fuzz_check_u64(&params.downtime_limit_ms);
            cv_fuzz_check_u64(&params.max_bandwidth);
            cv_fuzz_check_u64(&params.avail_switchover_bandwidth);
            cv_fuzz_check_u64(&params.max_postcopy_bandwidth);
        }
        g_clear_error(&error);
        (void)cv_qmp_parse_query_migrate_capabilities(msg->payload, &params, &error);
        g_clear_error(&error);
        if (cv_qmp_parse_version(msg->payload, &version, &error))
            g_assert_true(version.major >= 0 && version.minor >= 0 && version.micro >= 0);
        g_clear_error(&error);
        break;
    case CV_QMP_MESSAGE_ERROR:
        /* an unreadable error member is named, and only then is the reply INVALID_REPLY */
        g_assert_true((msg->error_problem == NULL) ==
                      (msg->error_class != NULL && msg->error_desc != NULL));
        g_assert_true((msg->payload == NULL) ==
                      (msg->error_problem != NULL &&
                       g_str_equal(msg->error_problem, "'error' is not an object")));
        g_assert_false(cv_qmp_error_from_reply(msg, "fuzz", &error));
        g_assert_nonnull(error);
        g_assert_true(g_str_has_prefix(error->message, "fuzz: "));
        g_assert_true((error->code == CV_QMP_ERROR_INVALID_REPLY) == (msg->error_problem != NULL));
        break;
    case CV_QMP_MESSAGE_EVENT:
        g_assert_nonnull(msg->name);
        if (cv_qmp_parse_event(msg, &event, &error) && event.kind == CV_QMP_EVENT_MIGRATION_PASS)
            g_assert_true(cv_field_valid(&event.pass));
        g_clear_error(&error);
        break;
    case CV_QMP_MESSAGE_GREETING:
        (void)cv_qmp_parse_greeting(msg, &version, &oob, &error);
        break;
    case CV_QMP_MESSAGE_COMMAND:
        g_assert_nonnull(msg->name);
        break;
    default:
        g_assert_not_reached();
    }
}

static void
fuzz_drain(CvQmpFramer *framer)
{
    for (;;) {
        g_autoptr(GError) error = NULL;
        g_autoptr(CvQmpMessage) msg = NULL;
        g_autofree gchar *bad_id = NULL;
        g_autofree gchar *line = cv_qmp_framer_pop(framer, &error);

        if (line == NULL && error == NULL)
            return;
        if (line == NULL)
            continue;
        g_assert_cmpuint(strlen(line), <=, FUZZ_MAX_LINE);
        g_assert_cmpuint(strlen(line), >, 0);
        msg = cv_qmp_message_parse_full(line, -1, &bad_id, &error);
        if (msg == NULL) {
            g_assert_true(g_error_matches(error, CV_QMP_ERROR, CV_QMP_ERROR_MALFORMED));
            /* the id the client matches a broken reply by: text it can compare and log */
            if (bad_id != NULL)
                g_assert_true(g_utf8_validate(bad_id, -1, NULL));
            continue;
        }
        g_assert_null(bad_id);
        fuzz_message(msg);
    }
}

int
cv_fuzz_qmp_line(const guint8 *data, gsize size)
{
    g_autoptr(CvQmpFramer) framer = NULL;
    gsize chunk;

    if (size == 0)
        return 0;
    chunk = (gsize)data[0] + 1;
    data++;
    size--;
    framer = cv_qmp_framer_new(FUZZ_MAX_LINE);
    for (gsize off = 0; off < size; off += chunk) {
        cv_qmp_framer_push(framer, (const gchar *)data + off, MIN(chunk, size - off));
        fuzz_drain(framer);
        /* the framer never holds more than one bounded line plus complete ones */
        g_assert_cmpuint(cv_qmp_framer_pending(framer), <=, size);
    }
    cv_qmp_framer_push(framer, "\n", 1);
    fuzz_drain(framer);
    g_assert_cmpuint(cv_qmp_framer_pending(framer), ==, 0);
    return 0;
}
