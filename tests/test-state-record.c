/* The crash-safe migration record: serialize/parse round trips, and every way a record can be
 * damaged (every truncation, every single-bit flip, and hand-crafted records with a valid
 * checksum but bad content) refused with the right code and a message naming what is wrong. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cv-state-record.h"

#define ID "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define DOM_UUID "11111111-2222-4333-8444-555555555555"
#define BOOT_ID "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

static CvStateRecord *
make_record(void)
{
    CvStateRecord *r = cv_state_record_new();

    r->migration_id = g_strdup(ID);
    r->uri = g_strdup("qemu:///system");
    r->domain = g_strdup("vm-\"quoted\" \xc3\xa9");
    r->domain_uuid = g_strdup(DOM_UUID);
    r->policy = g_strdup("vfio");
    r->policy_sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "[policy:vfio]", -1);
    r->boot_id = g_strdup(BOOT_ID);
    r->daemon_pid = 4242;
    r->created_us = G_GINT64_CONSTANT(1700000000000000);
    r->updated_us = G_GINT64_CONSTANT(1700000001000000);
    cv_field_set(&r->params[CV_STATE_PARAM_DOWNTIME_LIMIT].original, 300);
    cv_field_set(&r->params[CV_STATE_PARAM_MAX_BANDWIDTH].original, 67108864);
    /* avail-switchover-bandwidth: this QEMU (7.2) does not have it */
    cv_state_record_add_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, 1100);
    cv_state_record_add_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, 1900);
    return r;
}

static void
assert_records_equal(const CvStateRecord *a, const CvStateRecord *b)
{
    g_assert_cmpstr(a->migration_id, ==, b->migration_id);
    g_assert_cmpstr(a->uri, ==, b->uri);
    g_assert_cmpstr(a->domain, ==, b->domain);
    g_assert_cmpstr(a->domain_uuid, ==, b->domain_uuid);
    g_assert_cmpstr(a->policy, ==, b->policy);
    g_assert_cmpstr(a->policy_sha256, ==, b->policy_sha256);
    g_assert_cmpstr(a->boot_id, ==, b->boot_id);
    g_assert_cmpuint(a->daemon_pid, ==, b->daemon_pid);
    g_assert_cmpint(a->created_us, ==, b->created_us);
    g_assert_cmpint(a->updated_us, ==, b->updated_us);
    for (guint i = 0; i < CV_STATE_N_PARAMS; i++) {
        g_assert_cmpint(a->params[i].original.state, ==, b->params[i].original.state);
        if (a->params[i].original.state == CV_FIELD_VALID)
            g_assert_cmpuint(a->params[i].original.value, ==, b->params[i].original.value);
        g_assert_cmpuint(a->params[i].n_ours, ==, b->params[i].n_ours);
        for (guint j = 0; j < a->params[i].n_ours; j++)
            g_assert_cmpuint(a->params[i].ours[j], ==, b->params[i].ours[j]);
    }
}

static gchar *
serialize_ok(const CvStateRecord *r, gsize *len)
{
    g_autoptr(GError) error = NULL;
    gchar *text = cv_state_record_serialize(r, len, &error);

    g_assert_no_error(error);
    g_assert_nonnull(text);
    return text;
}

static void
test_roundtrip(void)
{
    g_autoptr(CvStateRecord) r = make_record();
    g_autoptr(CvStateRecord) back = NULL;
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    g_autofree gchar *text = serialize_ok(r, &len);

    g_assert_cmpuint(len, ==, strlen(text));
    g_assert_true(g_str_has_prefix(text, "{\"format\":\"virt-converge-migration\",\"version\":1,"));
    g_assert_true(g_str_has_suffix(text, "\"}\n"));
    g_assert_true(strchr(text, '\n') == text + len - 1); /* one line */
    back = cv_state_record_parse(text, len, ID, &error);
    g_assert_no_error(error);
    assert_records_equal(r, back);
    /* without the final newline too (an editor may drop it) */
    g_clear_pointer(&back, cv_state_record_free);
    back = cv_state_record_parse(text, len - 1, NULL, &error);
    g_assert_no_error(error);
    assert_records_equal(r, back);
}

static void
test_roundtrip_minimal(void)
{
    g_autoptr(CvStateRecord) r = make_record();
    g_autoptr(CvStateRecord) back = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *text = NULL;
    gsize len = 0;

    g_clear_pointer(&r->domain_uuid, g_free);
    g_clear_pointer(&r->policy_sha256, g_free);
    g_clear_pointer(&r->boot_id, g_free);
    memset(r->params, 0, sizeof(r->params));
    r->updated_us = r->created_us;
    text = serialize_ok(r, &len);
    back = cv_state_record_parse(text, len, ID, &error);
    g_assert_no_error(error);
    assert_records_equal(r, back);
    g_assert_null(back->domain_uuid);
}

static void
test_ours(void)
{
    g_autoptr(CvStateRecord) r = make_record();
    g_autoptr(CvStateRecord) back = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *text = NULL;
    gsize len = 0;

    g_assert_true(cv_state_record_is_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, 1100));
    g_assert_true(cv_state_record_is_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, 1900));
    g_assert_false(cv_state_record_is_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, 300));
    g_assert_false(cv_state_record_is_ours(r, CV_STATE_PARAM_MAX_BANDWIDTH, 1100));
    /* the same value twice in a row is kept once */
    cv_state_record_add_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, 1900);
    g_assert_cmpuint(r->params[CV_STATE_PARAM_DOWNTIME_LIMIT].n_ours, ==, 2);
    /* full: the oldest goes */
    for (guint i = 0; i < CV_STATE_RECORD_MAX_OURS + 5; i++)
        cv_state_record_add_ours(r, CV_STATE_PARAM_MAX_BANDWIDTH, 1000 + i);
    g_assert_cmpuint(r->params[CV_STATE_PARAM_MAX_BANDWIDTH].n_ours, ==, CV_STATE_RECORD_MAX_OURS);
    g_assert_false(cv_state_record_is_ours(r, CV_STATE_PARAM_MAX_BANDWIDTH, 1000));
    g_assert_true(cv_state_record_is_ours(r, CV_STATE_PARAM_MAX_BANDWIDTH,
                                          1000 + CV_STATE_RECORD_MAX_OURS + 4));
    text = serialize_ok(r, &len);
    back = cv_state_record_parse(text, len, ID, &error);
    g_assert_no_error(error);
    assert_records_equal(r, back);
    g_assert_cmpstr(cv_state_param_to_string(CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH), ==,
                    "avail-switchover-bandwidth");
    g_assert_null(cv_state_param_to_string(CV_STATE_N_PARAMS));
}

/* The writer refuses what it could not read back. */
typedef struct {
    const gchar *name;
    void (*spoil)(CvStateRecord *r);
    const gchar *message;
} WriteRow;

static void
spoil_id(CvStateRecord *r)
{
    g_free(r->migration_id);
    r->migration_id = g_strdup("../../etc/passwd");
}

static void
spoil_domain(CvStateRecord *r)
{
    g_clear_pointer(&r->domain, g_free);
}

static void
spoil_uri(CvStateRecord *r)
{
    g_free(r->uri);
    r->uri = g_strdup("qemu:///system\nX-Injected: 1");
}

static void
spoil_value(CvStateRecord *r)
{
    cv_field_set(&r->params[CV_STATE_PARAM_MAX_BANDWIDTH].original, G_MAXUINT64);
}

static void
spoil_times(CvStateRecord *r)
{
    r->updated_us = r->created_us - 1;
}

static void
spoil_invalid(CvStateRecord *r)
{
    r->params[CV_STATE_PARAM_DOWNTIME_LIMIT].original.state = CV_FIELD_INVALID;
}

static void
spoil_pid(CvStateRecord *r)
{
    r->daemon_pid = 0;
}

static const WriteRow write_rows[] = {
    {"bad-id", spoil_id, "migration-id: not a UUID"},
    {"no-domain", spoil_domain, "domain: missing"},
    {"control-character", spoil_uri, "uri: empty, longer than 1024 bytes, or with control"},
    {"above-int64", spoil_value, "params.max-bandwidth: value out of range"},
    {"updated-before-created", spoil_times, "updated before created"},
    {"invalid-original", spoil_invalid, "an invalid reading is never recorded"},
    {"pid-zero", spoil_pid, "daemon-pid: 0 is not a process id"},
};

static void
test_write_refused(gconstpointer data)
{
    const WriteRow *row = data;
    g_autoptr(CvStateRecord) r = make_record();
    g_autoptr(GError) error = NULL;
    g_autofree gchar *text = NULL;

    row->spoil(r);
    text = cv_state_record_serialize(r, NULL, &error);
    g_assert_null(text);
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, row->message));
    g_assert_true(g_str_has_prefix(error->message, "cannot write a migration record: "));
}

/* Every prefix of a record is refused: a crash mid-write (without the atomic rename) or a
 * truncating copy never yields a record. Dropping only the final newline is the exception. */
static void
test_every_truncation(void)
{
    g_autoptr(CvStateRecord) r = make_record();
    gsize len = 0;
    g_autofree gchar *text = serialize_ok(r, &len);

    for (gsize n = 0; n < len - 1; n++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(CvStateRecord) back = cv_state_record_parse(text, n, ID, &error);

        g_assert_null(back);
        g_assert_nonnull(error);
        g_assert_true(error->domain == CV_STATE_ERROR);
        /* Only the frame is looked at before the checksum: a prefix is TRUNCATED, or CORRUPT
         * when the cut leaves something that merely looks like a checksum frame. */
        if (error->code != CV_STATE_ERROR_TRUNCATED && error->code != CV_STATE_ERROR_CORRUPT)
            g_error("prefix of %" G_GSIZE_FORMAT " bytes: code %d: %s", n, error->code,
                    error->message);
    }
}

/* Every single-bit flip anywhere in the file is caught. */
static void
test_every_bit_flip(void)
{
    g_autoptr(CvStateRecord) r = make_record();
    gsize len = 0;
    g_autofree gchar *text = serialize_ok(r, &len);
    g_autofree gchar *copy = g_malloc(len);

    for (gsize i = 0; i < len; i++) {
        for (guint bit = 0; bit < 8; bit++) {
            g_autoptr(GError) error = NULL;
            g_autoptr(CvStateRecord) back = NULL;

            memcpy(copy, text, len);
            copy[i] = (gchar)(copy[i] ^ (1 << bit));
            back = cv_state_record_parse(copy, len, ID, &error);
            if (back != NULL)
                g_error("flipping bit %u of byte %" G_GSIZE_FORMAT " went unnoticed", bit, i);
            g_assert_true(error->domain == CV_STATE_ERROR);
        }
    }
}

/* Records with a correct checksum over bad content: what a buggy or hostile writer makes.
 * Each row replaces @find with @replace in a valid record's body, then re-seals it. */
typedef struct {
    const gchar *name;
    const gchar *find;
    const gchar *replace;
    gint code;
    const gchar *message; /* the whole message */
} ContentRow;

static const ContentRow content_rows[] = {
    {"unknown-member", "\"uri\":", "\"colour\":\"red\",\"uri\":", CV_STATE_ERROR_CORRUPT,
     "colour: unknown member"},
    {"missing-uri", "\"uri\":\"qemu:///system\",", "", CV_STATE_ERROR_CORRUPT, "uri: missing"},
    {"uri-number", "\"uri\":\"qemu:///system\"", "\"uri\":7", CV_STATE_ERROR_CORRUPT,
     "uri: not a string"},
    {"null-domain", "\"domain\":\"vm-", "\"domain\":null,\"x\":\"", CV_STATE_ERROR_CORRUPT,
     "x: unknown member"},
    {"empty-domain", "\"domain\":\"vm-\\\"quoted\\\" \xc3\xa9\"", "\"domain\":\"\"",
     CV_STATE_ERROR_INVALID, "domain: empty, longer than 1024 bytes, or with control characters"},
    {"control-in-domain", "\"domain\":\"vm-", "\"domain\":\"\\u0007vm-", CV_STATE_ERROR_INVALID,
     "domain: empty, longer than 1024 bytes, or with control characters"},
    {"version-2", "\"version\":1", "\"version\":2", CV_STATE_ERROR_VERSION,
     "version 2: this daemon reads version 1 only"},
    {"version-string", "\"version\":1", "\"version\":\"1\"", CV_STATE_ERROR_CORRUPT,
     "version: not an integer"},
    {"other-format", "virt-converge-migration", "virt-converge-status", CV_STATE_ERROR_CORRUPT,
     "format 'virt-converge-status' is not virt-converge-migration"},
    {"id-not-uuid", "\"migration-id\":\"" ID "\"", "\"migration-id\":\"../x\"",
     CV_STATE_ERROR_INVALID, "migration-id: not a UUID"},
    {"id-other-file", "0b1c2d3e", "ffffffff", CV_STATE_ERROR_INVALID,
     "migration-id ffffffff-4f50-4617-8a9b-0c1d2e3f4a5b does not match the file name (" ID ")"},
    {"pid-zero", "\"daemon-pid\":4242", "\"daemon-pid\":0", CV_STATE_ERROR_INVALID,
     "daemon-pid: 0 is out of range"},
    {"pid-float", "\"daemon-pid\":4242", "\"daemon-pid\":4242.5", CV_STATE_ERROR_CORRUPT,
     "daemon-pid: not an integer"},
    {"updated-before-created", "\"updated-us\":1700000001000000", "\"updated-us\":1699999999999999",
     CV_STATE_ERROR_INVALID,
     "created-us 1700000000000000 and updated-us 1699999999999999: not positive, or updated "
     "before created"},
    {"original-negative", "\"original\":300", "\"original\":-300", CV_STATE_ERROR_INVALID,
     "params.downtime-limit.original: -300 is out of range"},
    /* json-glib wraps 2^64-1 to -1: still refused, never read as a huge limit */
    {"original-u64-max", "\"original\":300", "\"original\":18446744073709551615",
     CV_STATE_ERROR_INVALID, "params.downtime-limit.original: -1 is out of range"},
    {"original-string", "\"original\":300", "\"original\":\"300\"", CV_STATE_ERROR_CORRUPT,
     "params.downtime-limit.original: not an integer"},
    {"ours-not-array", "\"ours\":[1100,1900]", "\"ours\":1900", CV_STATE_ERROR_CORRUPT,
     "params.downtime-limit.ours: not an array"},
    {"ours-element-string", "\"ours\":[1100,1900]", "\"ours\":[1100,\"1900\"]",
     CV_STATE_ERROR_CORRUPT, "params.downtime-limit.ours[1]: not an integer"},
    {"ours-too-many", "\"ours\":[1100,1900]",
     "\"ours\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,"
     "30,31,32,33]",
     CV_STATE_ERROR_INVALID, "params.downtime-limit.ours: more than 32 values"},
    {"param-unknown", "\"downtime-limit\":{", "\"cpu-throttle\":{},\"downtime-limit\":{",
     CV_STATE_ERROR_CORRUPT, "params.cpu-throttle: unknown member"},
    {"param-missing", "\"max-bandwidth\":{\"original\":67108864,\"ours\":[]},", "",
     CV_STATE_ERROR_CORRUPT, "params.max-bandwidth: missing or not an object"},
    {"param-member-unknown", "\"original\":300,", "\"original\":300,\"note\":1,",
     CV_STATE_ERROR_CORRUPT, "params.downtime-limit.note: unknown member"},
    {"param-no-original", "\"original\":300,", "", CV_STATE_ERROR_CORRUPT,
     "params.downtime-limit: needs both original and ours"},
    {"params-array", "\"params\":{", "\"params\":[],\"p\":{", CV_STATE_ERROR_CORRUPT,
     "p: unknown member"},
    {"bad-policy-sha256", "\"policy-sha256\":\"", "\"policy-sha256\":\"X", CV_STATE_ERROR_INVALID,
     "policy-sha256: not 64 lowercase hex digits"},
    {"boot-id-not-uuid", "\"boot-id\":\"aaaaaaaa", "\"boot-id\":\"zzzzzzzz", CV_STATE_ERROR_INVALID,
     "boot-id: not a UUID"},
    {"not-an-object", "{\"format\"", "[{\"format\"", CV_STATE_ERROR_CORRUPT, NULL},
};

/* Replace in the body (before the checksum member) and compute a new checksum. */
static gchar *
reseal(const gchar *text, const gchar *find, const gchar *replace)
{
    const gchar *marker = g_strrstr(text, ",\"sha256\":\"");
    g_autoptr(GString) body = g_string_new_len(text, marker - text);
    g_autofree gchar *sum = NULL;

    g_assert_nonnull(strstr(body->str, find));
    g_string_replace(body, find, replace, 1);
    sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)body->str, body->len);
    return g_strdup_printf("%s,\"sha256\":\"%s\"}\n", body->str, sum);
}

static void
test_content(gconstpointer data)
{
    const ContentRow *row = data;
    g_autoptr(CvStateRecord) r = make_record();
    g_autofree gchar *text = serialize_ok(r, NULL);
    g_autofree gchar *bad = reseal(text, row->find, row->replace);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvStateRecord) back = cv_state_record_parse(bad, strlen(bad), ID, &error);

    g_assert_null(back);
    g_assert_error(error, CV_STATE_ERROR, row->code);
    if (row->message != NULL)
        g_assert_cmpstr(error->message, ==, row->message);
    /* the message reaches the journal and --json output */
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    for (const gchar *p = error->message; *p != '\0'; p++)
        g_assert_cmpint((guchar)*p, >=, 0x20);
}

/* Damage to the frame itself. */
typedef struct {
    const gchar *name;
    const gchar *text;
    gint code;
    const gchar *message;
} FrameRow;

static const FrameRow frame_rows[] = {
    {"empty", "", CV_STATE_ERROR_TRUNCATED, "empty"},
    {"no-checksum", "{\"format\":\"virt-converge-migration\",\"version\":1}\n",
     CV_STATE_ERROR_TRUNCATED, "ends before its checksum (49 bytes)"},
    {"short-checksum", "{\"a\":1,\"sha256\":\"abcd\"}", CV_STATE_ERROR_TRUNCATED,
     "ends inside its checksum (23 bytes)"},
    {"garbage-after",
     "{\"a\":1,\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}"
     "{\"b\":2}\n",
     CV_STATE_ERROR_CORRUPT, "unexpected text after the checksum"},
    {"checksum-uppercase",
     "{\"a\":1,\"sha256\":\"ABCDEF0000000000000000000000000000000000000000000000000000000000\"}\n",
     CV_STATE_ERROR_CORRUPT, "the checksum is not 64 lowercase hex digits"},
    {"checksum-wrong",
     "{\"a\":1,\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n",
     CV_STATE_ERROR_CORRUPT, "checksum mismatch: the content was altered after it was written"},
    {"binary",
     "\x7f"
     "ELF\x02\x01\x01",
     CV_STATE_ERROR_TRUNCATED, "ends before its checksum (7 bytes)"},
};

static void
test_frame(gconstpointer data)
{
    const FrameRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvStateRecord) back =
        cv_state_record_parse(row->text, strlen(row->text), NULL, &error);

    g_assert_null(back);
    g_assert_error(error, CV_STATE_ERROR, row->code);
    g_assert_cmpstr(error->message, ==, row->message);
}

static void
test_nul_byte(void)
{
    g_autoptr(CvStateRecord) r = make_record();
    gsize len = 0;
    g_autofree gchar *text = serialize_ok(r, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvStateRecord) back = NULL;

    text[10] = '\0';
    back = cv_state_record_parse(text, len, ID, &error);
    g_assert_null(back);
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_CORRUPT);
    g_assert_cmpstr(error->message, ==, "contains a NUL byte");
}

static void
test_oversized(void)
{
    gsize len = CV_STATE_RECORD_MAX_SIZE + 1;
    g_autofree gchar *big = g_malloc(len);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvStateRecord) back = NULL;

    memset(big, ' ', len);
    back = cv_state_record_parse(big, len, NULL, &error);
    g_assert_null(back);
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_TOO_LARGE);
    g_assert_cmpstr(error->message, ==, "65537 bytes, more than the 65536 a record can have");
}

/* A checksum that matches a prefix ending inside a string: the marker search takes the last
 * marker, and a marker inside a JSON string is escaped, so a domain name cannot forge one. */
static void
test_marker_in_string(void)
{
    g_autoptr(CvStateRecord) r = make_record();
    g_autoptr(CvStateRecord) back = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *text = NULL;
    gsize len = 0;

    g_free(r->domain);
    r->domain = g_strdup(",\"sha256\":\"0000\"}");
    text = serialize_ok(r, &len);
    back = cv_state_record_parse(text, len, ID, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(back->domain, ==, r->domain);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/state-record/roundtrip/full", test_roundtrip);
    g_test_add_func("/state-record/roundtrip/minimal", test_roundtrip_minimal);
    g_test_add_func("/state-record/roundtrip/ours", test_ours);
    g_test_add_func("/state-record/roundtrip/marker-in-string", test_marker_in_string);
    for (gsize i = 0; i < G_N_ELEMENTS(write_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/state-record/write/%s", write_rows[i].name);
        g_test_add_data_func(path, &write_rows[i], test_write_refused);
    }
    g_test_add_func("/state-record/damage/every-truncation", test_every_truncation);
    g_test_add_func("/state-record/damage/every-bit-flip", test_every_bit_flip);
    g_test_add_func("/state-record/damage/nul-byte", test_nul_byte);
    g_test_add_func("/state-record/damage/oversized", test_oversized);
    for (gsize i = 0; i < G_N_ELEMENTS(frame_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/state-record/frame/%s", frame_rows[i].name);
        g_test_add_data_func(path, &frame_rows[i], test_frame);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(content_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/state-record/content/%s", content_rows[i].name);
        g_test_add_data_func(path, &content_rows[i], test_content);
    }
    return g_test_run();
}
