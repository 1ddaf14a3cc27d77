#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-fuzz-check.h"
#include "cv-fuzz.h"
#include "cv-history.h"
#include "cv-state-record.h"
#include "cv-state-store.h"

#define FUZZ_MODE_FIX_CHECKSUM 0x1
#define FUZZ_MODE_STORE 0x2
#define FUZZ_MODE_HISTORY 0x4

#define MARKER ",\"sha256\":\""
/* The id every fuzzed record is stored under (a seed record carries this one). */
#define FUZZ_ID "0d4f5c1e-3a5b-4c6d-8e7f-9a0b1c2d3e4f"

/* The body (up to the last checksum marker, or all of it less a closing brace) with the
 * checksum that matches it, as the writer would frame it. */
static gchar *
fix_checksum(const gchar *data, gsize len, gsize *out_len)
{
    const gchar *marker = NULL;
    gsize body_len = len;
    g_autofree gchar *sum = NULL;
    gchar *text;

    for (const gchar *p = data; (gsize)(p - data) < len;) {
        const gchar *found = g_strstr_len(p, (gssize)(len - (gsize)(p - data)), MARKER);
        if (found == NULL)
            break;
        marker = found;
        p = found + 1;
    }
    if (marker != NULL)
        body_len = (gsize)(marker - data);
    else if (len > 0 && data[len - 1] == '}')
        body_len = len - 1;
    sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, body_len);
    text = g_strdup_printf("%.*s" MARKER "%s\"}\n", (gint)body_len, data, sum);
    /* a NUL inside the body ends the printf copy: the record is then what it holds */
    *out_len = strlen(text);
    return text;
}

static void
check_record(const CvStateRecord *r, const gchar *expected_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvStateRecord) again = NULL;
    g_autofree gchar *text = NULL;
    g_autofree gchar *text2 = NULL;
    gsize len = 0;

    g_assert_true(g_uuid_string_is_valid(r->migration_id));
    if (expected_id != NULL)
        g_assert_cmpstr(r->migration_id, ==, expected_id);
    g_assert_nonnull(r->uri);
    g_assert_nonnull(r->domain);
    g_assert_nonnull(r->policy);
    g_assert_cmpuint(strlen(r->uri), <=, CV_STATE_RECORD_MAX_STRING);
    g_assert_cmpuint(strlen(r->domain), <=, CV_STATE_RECORD_MAX_STRING);
    g_assert_true(g_utf8_validate(r->domain, -1, NULL));
    g_assert_cmpint(r->updated_us, >=, r->created_us);
    for (guint i = 0; i < CV_STATE_N_PARAMS; i++) {
        const CvStateParam *p = &r->params[i];

        g_assert_cmpuint(p->n_ours, <=, CV_STATE_RECORD_MAX_OURS);
        g_assert_true(p->original.state == CV_FIELD_ABSENT || p->original.state == CV_FIELD_VALID);
        for (guint j = 0; j < p->n_ours; j++)
            g_assert_true(cv_state_record_is_ours(r, (CvStateParamId)i, p->ours[j]));
    }

    /* what was trusted is written back and read back the same */
    text = cv_state_record_serialize(r, &len, &error);
    g_assert_no_error(error);
    again = cv_state_record_parse(text, len, r->migration_id, &error);
    g_assert_no_error(error);
    g_assert_nonnull(again);
    text2 = cv_state_record_serialize(again, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, text2);
}

static void
check_parse_error(const GError *error)
{
    g_assert_nonnull(error);
    g_assert_true(error->domain == CV_STATE_ERROR);
    g_assert_true(error->code == CV_STATE_ERROR_TOO_LARGE ||
                  error->code == CV_STATE_ERROR_TRUNCATED ||
                  error->code == CV_STATE_ERROR_CORRUPT || error->code == CV_STATE_ERROR_VERSION ||
                  error->code == CV_STATE_ERROR_INVALID);
    /* the message reaches the journal and `virt-converge` output */
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    g_assert_cmpuint(strlen(error->message), >, 0);
}

/* The file goes through the daemon's real loader: trusted, quarantined, or (newer version)
 * left in place; never half of each. */
static void
check_store(const gchar *text, gsize len, gboolean parsed)
{
    const gchar *scratch = cv_fuzz_scratch_dir();
    g_autofree gchar *state_dir = g_build_filename(scratch, "state", NULL);
    g_autoptr(CvStateStore) store = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *path = NULL;

    cv_fuzz_empty_dir(scratch);
    store = cv_state_store_open(state_dir, &error);
    g_assert_no_error(error);
    path = cv_state_store_path_for(store, FUZZ_ID);
    g_assert_true(g_file_set_contents(path, text, (gssize)len, NULL));
    records = cv_state_store_load(store, &problems, &error);
    g_assert_no_error(error);
    g_assert_nonnull(problems);
    g_assert_cmpuint(records->len + problems->len, ==, 1);
    g_assert_cmpint(records->len == 1, ==, parsed);
    if (records->len == 1) {
        check_record(g_ptr_array_index(records, 0), FUZZ_ID);
        g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    } else {
        const CvStateProblem *problem = g_ptr_array_index(problems, 0);

        g_assert_cmpstr(problem->path, ==, path);
        g_assert_true(g_str_has_prefix(problem->message, path));
        g_assert_true(g_utf8_validate(problem->message, -1, NULL));
        if (problem->code == CV_STATE_ERROR_VERSION) {
            g_assert_null(problem->quarantined_to);
            g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
        } else {
            /* known bad: moved aside, never read again */
            g_assert_null(problem->quarantine_error);
            g_assert_nonnull(problem->quarantined_to);
            g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
            g_assert_true(g_file_test(problem->quarantined_to, G_FILE_TEST_IS_REGULAR));
        }
    }
    /* a second start trusts the same and finds nothing new to distrust */
    g_clear_pointer(&records, g_ptr_array_unref);
    g_clear_pointer(&problems, g_ptr_array_unref);
    records = cv_state_store_load(store, &problems, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(records->len, ==, parsed ? 1 : 0);
    g_assert_cmpuint(problems->len, <=, 1);
    if (problems->len == 1) {
        const CvStateProblem *problem = g_ptr_array_index(problems, 0);
        g_assert_cmpint(problem->code, ==, CV_STATE_ERROR_VERSION);
    }
}

static void
check_history(const gchar *text, gsize len)
{
    const gchar *scratch = cv_fuzz_scratch_dir();
    g_autofree gchar *state_dir = g_build_filename(scratch, "history", NULL);
    g_autofree gchar *path = g_build_filename(state_dir, "history.jsonl", NULL);
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GError) error = NULL;
    CvHistoryFilter filter = {"vm-1", G_MININT64};

    cv_fuzz_empty_dir(scratch);
    g_assert_cmpint(g_mkdir_with_parents(state_dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, text, (gssize)len, NULL));
    entries = cv_history_read(state_dir, NULL, &skipped, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < entries->len; i++) {
        const CvHistoryEntry *e = g_ptr_array_index(entries, i);
        g_autofree gchar *when = cv_history_format_time(e->time_us);

        g_assert_nonnull(e->event);
        g_assert_nonnull(e->object);
        g_assert_true(g_utf8_validate(e->line, -1, NULL));
        g_assert_cmpuint(strlen(e->line), <=, CV_HISTORY_MAX_LINE);
        g_assert_nonnull(when);
    }
    for (guint i = 0; i < skipped->len; i++)
        g_assert_true(g_utf8_validate(g_ptr_array_index(skipped, i), -1, NULL));
    g_clear_pointer(&entries, g_ptr_array_unref);
    g_clear_pointer(&skipped, g_ptr_array_unref);
    entries = cv_history_read(state_dir, &filter, NULL, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < entries->len; i++) {
        const CvHistoryEntry *e = g_ptr_array_index(entries, i);
        g_assert_cmpstr(e->domain, ==, "vm-1");
    }
}

int
cv_fuzz_state(const guint8 *data, gsize size)
{
    g_autofree gchar *fixed = NULL;
    g_autoptr(CvStateRecord) record = NULL;
    g_autoptr(GError) error = NULL;
    const gchar *text;
    gsize len;
    guint8 mode;

    if (size == 0)
        return 0;
    mode = data[0];
    text = (const gchar *)data + 1;
    len = size - 1;
    if (mode & FUZZ_MODE_FIX_CHECKSUM) {
        fixed = fix_checksum(text, len, &len);
        text = fixed;
    }

    record = cv_state_record_parse(text, len, NULL, &error);
    if (record != NULL) {
        g_assert_no_error(error);
        check_record(record, NULL);
    } else {
        check_parse_error(error);
    }
    if (mode & FUZZ_MODE_STORE) {
        g_autoptr(CvStateRecord) as_stored = NULL;

        g_clear_error(&error);
        as_stored = cv_state_record_parse(text, len, FUZZ_ID, &error);
        check_store(text, len, as_stored != NULL);
    }
    if (mode & FUZZ_MODE_HISTORY)
        check_history(text, len);
    return 0;
}
