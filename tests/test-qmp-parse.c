#include "config.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-error.h"
#include "cv-qmp-frame.h"
#include "cv-qmp-parse.h"

/* ---- query-migrate: every json-glib pitfall and every absurd value, one row each ---- */

typedef enum {
    CHECK_NONE = 0,
    CHECK_U64,  /* the CvU64Field at offset */
    CHECK_MBPS, /* ram_mbps */
    CHECK_DESC, /* error_desc */
} CheckKind;

#define F(field) offsetof(CvSample, field)

typedef struct {
    const gchar *name;
    const gchar *json; /* query-migrate's return value */
    gboolean ok;
    CvMigrationStatus status;
    CheckKind check;
    gsize offset;
    CvFieldState state;
    guint64 value;
    gdouble dvalue;
    const gchar *desc;
} MigrateRow;

#define ACTIVE "\"status\": \"active\", "

static const MigrateRow migrate_rows[] = {
    /* shapes */
    {"empty-object", "{}", TRUE, CV_MIGRATION_STATUS_NONE, CHECK_U64, F(ram_remaining),
     CV_FIELD_ABSENT},
    {"blocked-reasons-only", "{\"blocked-reasons\": [\"vfio\"]}", TRUE, CV_MIGRATION_STATUS_NONE,
     CHECK_U64, F(remaining), CV_FIELD_ABSENT},
    {"not-an-object", "[1, 2]", FALSE},
    {"null", "null", FALSE},
    {"string", "\"active\"", FALSE},
    {"status-unknown-string", "{\"status\": \"exploding\"}", TRUE, CV_MIGRATION_STATUS_UNKNOWN},
    {"status-our-unknown", "{\"status\": \"unknown\"}", TRUE, CV_MIGRATION_STATUS_UNKNOWN},
    {"status-case", "{\"status\": \"Active\"}", TRUE, CV_MIGRATION_STATUS_UNKNOWN},
    {"status-int", "{\"status\": 3}", TRUE, CV_MIGRATION_STATUS_UNKNOWN},
    {"status-object", "{\"status\": {\"a\": 1}}", TRUE, CV_MIGRATION_STATUS_UNKNOWN},
    {"status-null", "{\"status\": null}", TRUE, CV_MIGRATION_STATUS_UNKNOWN},
    {"status-newest", "{\"status\": \"failing\"}", TRUE, CV_MIGRATION_STATUS_FAILING},
    {"status-postcopy-device", "{\"status\": \"postcopy-device\"}", TRUE,
     CV_MIGRATION_STATUS_POSTCOPY_DEVICE},
    {"unknown-keys",
     "{" ACTIVE "\"x-new\": {\"a\": [1]}, \"ram\": {\"future\": \"x\", "
     "\"remaining\": 5, \"total\": 10}, \"dirty-limit-ring-full-time\": 3}",
     TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_VALID, 5},
    {"missing-ram-member", "{" ACTIVE "\"ram\": {\"total\": 10}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(ram_remaining), CV_FIELD_ABSENT},
    {"missing-ram", "{" ACTIVE "\"total-time\": 5}", TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_MBPS,
     0, CV_FIELD_ABSENT},
    {"ram-not-object", "{" ACTIVE "\"ram\": 5}", TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_U64,
     F(ram_remaining), CV_FIELD_INVALID},
    {"ram-not-object-mbps", "{" ACTIVE "\"ram\": [1]}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"ram-empty", "{" ACTIVE "\"ram\": {}}", TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_U64,
     F(ram_total), CV_FIELD_ABSENT},
    /* json-glib pitfalls on integers */
    {"string-as-int", "{" ACTIVE "\"ram\": {\"remaining\": \"junk\"}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"numeric-string-as-int", "{" ACTIVE "\"ram\": {\"remaining\": \"123\"}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"int64-max-plus-one", "{" ACTIVE "\"ram\": {\"remaining\": 9223372036854775808}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"uint64-max", "{" ACTIVE "\"ram\": {\"transferred\": 18446744073709551615}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_transferred), CV_FIELD_INVALID},
    {"above-uint64", "{" ACTIVE "\"ram\": {\"transferred\": 100000000000000000000000}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_transferred), CV_FIELD_INVALID},
    {"int64-max", "{" ACTIVE "\"ram\": {\"total\": 9223372036854775807}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_total), CV_FIELD_INVALID},
    {"negative", "{" ACTIVE "\"ram\": {\"remaining\": -1}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"negative-overflow", "{" ACTIVE "\"ram\": {\"remaining\": -9223372036854775809}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"int64-min", "{" ACTIVE "\"expected-downtime\": -9223372036854775808}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(expected_downtime_ms), CV_FIELD_INVALID},
    {"double-where-int", "{" ACTIVE "\"ram\": {\"remaining\": 123.0}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"exponent-where-int", "{" ACTIVE "\"expected-downtime\": 1e3}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(expected_downtime_ms), CV_FIELD_INVALID},
    {"infinite-where-int", "{" ACTIVE "\"total-time\": 1e400}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(total_time_ms), CV_FIELD_INVALID},
    {"object-where-int", "{" ACTIVE "\"ram\": {\"remaining\": {\"bytes\": 5}}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"array-where-int", "{" ACTIVE "\"remaining\": [5]}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(remaining), CV_FIELD_INVALID},
    {"null-where-int", "{" ACTIVE "\"remaining\": null}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(remaining), CV_FIELD_INVALID},
    {"bool-where-int", "{" ACTIVE "\"ram\": {\"dirty-sync-count\": true}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_dirty_sync_count), CV_FIELD_INVALID},
    {"zero-is-valid", "{" ACTIVE "\"ram\": {\"remaining\": 0}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(ram_remaining), CV_FIELD_VALID, 0},
    {"minus-zero-is-zero", "{" ACTIVE "\"ram\": {\"remaining\": -0}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_VALID, 0},
    /* absurd values */
    {"bytes-at-bound", "{" ACTIVE "\"ram\": {\"total\": 1152921504606846976}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_total), CV_FIELD_VALID,
     G_GUINT64_CONSTANT(1152921504606846976)},
    {"bytes-above-bound", "{" ACTIVE "\"ram\": {\"total\": 1152921504606846977}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_total), CV_FIELD_INVALID},
    {"system-remaining-absurd", "{" ACTIVE "\"remaining\": 2000000000000000000}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(remaining), CV_FIELD_INVALID},
    {"system-remaining-string", "{" ACTIVE "\"remaining\": \"1245708288\"}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(remaining), CV_FIELD_INVALID},
    {"vfio-absurd", "{" ACTIVE "\"vfio\": {\"transferred\": 18446744073709551615}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(vfio_transferred), CV_FIELD_INVALID},
    {"vfio-not-object", "{" ACTIVE "\"vfio\": 7}", TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_U64,
     F(vfio_transferred), CV_FIELD_INVALID},
    {"vfio-empty", "{" ACTIVE "\"vfio\": {}}", TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_U64,
     F(vfio_transferred), CV_FIELD_INVALID},
    {"expected-downtime-at-bound", "{" ACTIVE "\"expected-downtime\": 2000000}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(expected_downtime_ms), CV_FIELD_VALID, 2000000},
    {"expected-downtime-absurd", "{" ACTIVE "\"expected-downtime\": 2000001}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(expected_downtime_ms), CV_FIELD_INVALID},
    {"total-time-hours", "{" ACTIVE "\"total-time\": 36000000}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(total_time_ms), CV_FIELD_VALID, 36000000},
    {"total-time-absurd", "{" ACTIVE "\"total-time\": 31536000001}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(total_time_ms), CV_FIELD_INVALID},
    {"downtime-absurd", "{\"status\": \"completed\", \"downtime\": 9000000000000}", TRUE,
     CV_MIGRATION_STATUS_COMPLETED, CHECK_U64, F(downtime_ms), CV_FIELD_INVALID},
    {"page-size-4k", "{" ACTIVE "\"ram\": {\"page-size\": 4096}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(ram_page_size), CV_FIELD_VALID, 4096},
    {"page-size-1g", "{" ACTIVE "\"ram\": {\"page-size\": 1073741824}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_page_size), CV_FIELD_VALID, 1073741824},
    {"page-size-2g", "{" ACTIVE "\"ram\": {\"page-size\": 2147483648}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_page_size), CV_FIELD_INVALID},
    {"page-size-not-power-of-two", "{" ACTIVE "\"ram\": {\"page-size\": 4097}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_page_size), CV_FIELD_INVALID},
    {"page-size-zero", "{" ACTIVE "\"ram\": {\"page-size\": 0}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_U64, F(ram_page_size), CV_FIELD_INVALID},
    {"remaining-above-total", "{" ACTIVE "\"ram\": {\"remaining\": 11, \"total\": 10}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_INVALID},
    {"remaining-above-total-keeps-total", "{" ACTIVE "\"ram\": {\"remaining\": 11, \"total\": 10}}",
     TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_total), CV_FIELD_VALID, 10},
    {"remaining-equals-total", "{" ACTIVE "\"ram\": {\"remaining\": 10, \"total\": 10}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_VALID, 10},
    {"remaining-total-garbage", "{" ACTIVE "\"ram\": {\"remaining\": 11, \"total\": \"x\"}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_remaining), CV_FIELD_VALID, 11},
    {"dirty-rate-bytes-absurd",
     "{" ACTIVE "\"ram\": {\"dirty-pages-rate\": 1125899906842624, \"page-size\": 1048576}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_dirty_pages_rate), CV_FIELD_INVALID},
    {"dirty-rate-ok", "{" ACTIVE "\"ram\": {\"dirty-pages-rate\": 16063, \"page-size\": 4096}}",
     TRUE, CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_dirty_pages_rate), CV_FIELD_VALID, 16063},
    {"sync-count-max", "{" ACTIVE "\"ram\": {\"dirty-sync-count\": 4294967295}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_dirty_sync_count), CV_FIELD_VALID, 4294967295u},
    {"sync-count-absurd", "{" ACTIVE "\"ram\": {\"dirty-sync-count\": 4294967296}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(ram_dirty_sync_count), CV_FIELD_INVALID},
    {"throttle-100", "{" ACTIVE "\"cpu-throttle-percentage\": 100}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(cpu_throttle_percentage), CV_FIELD_VALID, 100},
    {"throttle-absurd", "{" ACTIVE "\"cpu-throttle-percentage\": 101}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_U64, F(cpu_throttle_percentage), CV_FIELD_INVALID},
    /* mbps */
    {"mbps-double", "{" ACTIVE "\"ram\": {\"mbps\": 537.1329599999999}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_MBPS, 0, CV_FIELD_VALID, 0, 537.1329599999999},
    {"mbps-int", "{" ACTIVE "\"ram\": {\"mbps\": 1000}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_VALID, 0, 1000.0},
    {"mbps-zero", "{" ACTIVE "\"ram\": {\"mbps\": 0}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_VALID, 0, 0.0},
    {"mbps-negative", "{" ACTIVE "\"ram\": {\"mbps\": -1.5}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"mbps-negative-int", "{" ACTIVE "\"ram\": {\"mbps\": -3}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"mbps-infinite", "{" ACTIVE "\"ram\": {\"mbps\": 1e400}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"mbps-minus-infinite", "{" ACTIVE "\"ram\": {\"mbps\": -1e400}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"mbps-nan-string", "{" ACTIVE "\"ram\": {\"mbps\": \"NaN\"}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"mbps-absurd", "{" ACTIVE "\"ram\": {\"mbps\": 1e300}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"mbps-wrapped-int", "{" ACTIVE "\"ram\": {\"mbps\": 18446744073709551615}}", TRUE,
     CV_MIGRATION_STATUS_ACTIVE, CHECK_MBPS, 0, CV_FIELD_INVALID},
    {"mbps-object", "{" ACTIVE "\"ram\": {\"mbps\": {}}}", TRUE, CV_MIGRATION_STATUS_ACTIVE,
     CHECK_MBPS, 0, CV_FIELD_INVALID},
    /* error-desc */
    {"error-desc", "{\"status\": \"failed\", \"error-desc\": \"Unable to write to socket\"}", TRUE,
     CV_MIGRATION_STATUS_FAILED, CHECK_DESC, 0, 0, 0, 0, "Unable to write to socket"},
    {"error-desc-not-string", "{\"status\": \"failed\", \"error-desc\": 5}", TRUE,
     CV_MIGRATION_STATUS_FAILED, CHECK_DESC, 0, 0, 0, 0, ""},
    {"error-desc-control-chars", "{\"status\": \"failed\", \"error-desc\": \"a\\nb\\u0007c\"}",
     TRUE, CV_MIGRATION_STATUS_FAILED, CHECK_DESC, 0, 0, 0, 0, "a b c"},
};

static void
check_migrate_row(const MigrateRow *row, const CvSample *s)
{
    g_assert_cmpint(s->status, ==, row->status);
    switch (row->check) {
    case CHECK_U64: {
        const CvU64Field *f = (const CvU64Field *)(gconstpointer)((const guint8 *)s + row->offset);
        g_assert_cmpint(f->state, ==, row->state);
        if (row->state == CV_FIELD_VALID)
            g_assert_cmpuint(f->value, ==, row->value);
        break;
    }
    case CHECK_MBPS:
        g_assert_cmpint(s->ram_mbps.state, ==, row->state);
        if (row->state == CV_FIELD_VALID)
            g_assert_cmpfloat(s->ram_mbps.value, ==, row->dvalue);
        break;
    case CHECK_DESC:
        g_assert_cmpstr(s->error_desc, ==, row->desc);
        break;
    case CHECK_NONE:
        break;
    default:
        g_assert_not_reached();
    }
}

static void
test_migrate_row(gconstpointer data)
{
    const MigrateRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = json_from_string(row->json, &error);
    CvSample s;

    g_assert_no_error(error);
    cv_sample_init(&s);
    s.time_ms = 4242;
    /* leftovers from an earlier reading must not survive */
    cv_field_set(&s.ram_remaining, 99);
    g_strlcpy(s.error_desc, "stale", sizeof(s.error_desc));
    if (!row->ok) {
        g_assert_false(cv_qmp_parse_query_migrate(node, &s, &error));
        g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY);
        return;
    }
    g_assert_true(cv_qmp_parse_query_migrate(node, &s, &error));
    g_assert_no_error(error);
    g_assert_cmpint(s.time_ms, ==, 4242);
    if (row->check != CHECK_DESC)
        g_assert_cmpstr(s.error_desc, ==, "");
    check_migrate_row(row, &s);
}

/* error-desc is truncated on a character boundary */
static void
test_migrate_error_desc_truncated(void)
{
    g_autoptr(GString) json = g_string_new("{\"status\": \"failed\", \"error-desc\": \"");
    g_autoptr(JsonNode) node = NULL;
    CvSample s;

    for (gsize i = 0; i < CV_SAMPLE_ERROR_DESC_MAX - 2; i++)
        g_string_append_c(json, 'a');
    g_string_append(json, "\xc3\xa9 and more\"}"); /* é straddles the end */
    node = json_from_string(json->str, NULL);
    g_assert_nonnull(node);
    cv_sample_init(&s);
    g_assert_true(cv_qmp_parse_query_migrate(node, &s, NULL));
    g_assert_cmpuint(strlen(s.error_desc), ==, CV_SAMPLE_ERROR_DESC_MAX - 2);
    g_assert_true(g_utf8_validate(s.error_desc, -1, NULL));
}

/* ---- real and reference replies ---- */

static JsonNode *
load_data(const gchar *file)
{
    g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "data", "qmp", file, NULL);
    g_autofree gchar *text = NULL;
    g_autoptr(GError) error = NULL;
    JsonNode *node;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    node = json_from_string(text, &error);
    g_assert_no_error(error);
    return node;
}

/* 11.0/11.1 files are stored as QMP shows them, {"return": ...}: go through the classifier */
static JsonNode *
load_return(const gchar *file)
{
    g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "data", "qmp", file, NULL);
    g_autofree gchar *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) msg = NULL;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    msg = cv_qmp_message_parse(text, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpint(msg->kind, ==, CV_QMP_MESSAGE_RETURN);
    return json_node_ref(msg->payload);
}

static const gsize all_u64_fields[] = {
    F(total_time_ms),      F(setup_time_ms),           F(expected_downtime_ms),
    F(downtime_ms),        F(ram_transferred),         F(ram_remaining),
    F(ram_total),          F(ram_duplicate),           F(ram_normal),
    F(ram_normal_bytes),   F(ram_dirty_pages_rate),    F(ram_dirty_sync_count),
    F(ram_page_size),      F(ram_pages_per_second),    F(ram_precopy_bytes),
    F(ram_downtime_bytes), F(ram_postcopy_bytes),      F(remaining),
    F(vfio_transferred),   F(cpu_throttle_percentage),
};

/* Nothing QEMU really sent may be judged invalid. */
static void
assert_nothing_invalid(const CvSample *s)
{
    for (gsize i = 0; i < G_N_ELEMENTS(all_u64_fields); i++) {
        const CvU64Field *f =
            (const CvU64Field *)(gconstpointer)((const guint8 *)s + all_u64_fields[i]);
        g_assert_cmpint(f->state, !=, CV_FIELD_INVALID);
    }
    g_assert_cmpint(s->ram_mbps.state, !=, CV_FIELD_INVALID);
    g_assert_cmpint(s->status, !=, CV_MIGRATION_STATUS_UNKNOWN);
}

typedef struct {
    const gchar *file;
    gboolean wrapped; /* {"return": ...} */
    CvMigrationStatus status;
    gint64 expected_downtime; /* -1: absent */
    gint64 downtime;          /* -1: absent */
    gint64 ram_remaining;     /* -1: absent */
    gint64 dirty_sync_count;  /* -1: absent */
    gint64 remaining;         /* -1: absent */
    gint64 vfio;              /* -1: absent */
    gdouble mbps;             /* < 0: absent */
    gint64 pending;           /* cv_sample_pending, -1: none */
    gboolean system_wide;
    const gchar *error_desc;
} GoldenRow;

static const GoldenRow golden_rows[] = {
    {"qemu-7.2-r64-bw64-active-01.json", FALSE, CV_MIGRATION_STATUS_ACTIVE, 999, -1, 27918336, 2,
     -1, -1, 537.1329599999999, 27918336, FALSE, ""},
    {"qemu-7.2-r64-bw64-active-03.json", FALSE, CV_MIGRATION_STATUS_ACTIVE, 999, -1, 53710848, 5,
     -1, -1, 537.1329599999999, 53710848, FALSE, ""},
    {"qemu-7.2-setup-or-early.json", FALSE, CV_MIGRATION_STATUS_ACTIVE, 300, -1, 232267776, 1, -1,
     -1, 537.1329599999999, 232267776, FALSE, ""},
    {"qemu-7.2-r64-bw64-query-migrate-final.json", FALSE, CV_MIGRATION_STATUS_COMPLETED, -1, 39, 0,
     10, -1, -1, 621.3907869706841, 0, FALSE, ""},
    {"qemu-7.2-r64-bw64-query-migrate-before.json", FALSE, CV_MIGRATION_STATUS_NONE, -1, -1, -1, -1,
     -1, -1, -1.0, -1, FALSE, ""},
    {"qemu-7.2-r64-bw64-dst-query-migrate.json", FALSE, CV_MIGRATION_STATUS_COMPLETED, -1, -1, -1,
     -1, -1, -1, -1.0, -1, FALSE, ""},
    {"qemu-7.2-cancelled.json", FALSE, CV_MIGRATION_STATUS_CANCELLED, -1, -1, -1, -1, -1, -1, -1.0,
     -1, FALSE, ""},
    {"qemu-7.2-failed-connect.json", FALSE, CV_MIGRATION_STATUS_FAILED, -1, -1, -1, -1, -1, -1,
     -1.0, -1, FALSE, "Failed to connect to '127.0.0.1:4999': Connection refused"},
    {"qemu-7.2-failed-dest-killed.json", FALSE, CV_MIGRATION_STATUS_FAILED, -1, -1, -1, -1, -1, -1,
     -1.0, -1, FALSE, "Unable to write to socket: Broken pipe"},
    {"qemu-8.2-vfio-active.json", TRUE, CV_MIGRATION_STATUS_ACTIVE, 514, -1, 1203765248, 7, -1,
     73400320, 18750.4, 1203765248, FALSE, ""},
    {"qemu-11.1-vfio-active.json", TRUE, CV_MIGRATION_STATUS_ACTIVE, 532, -1, 1203765248, 7,
     1245708288, 73400320, 18750.4, 1245708288, TRUE, ""},
};

static void
assert_u64(const CvU64Field *f, gint64 expect)
{
    if (expect < 0) {
        g_assert_cmpint(f->state, ==, CV_FIELD_ABSENT);
    } else {
        g_assert_cmpint(f->state, ==, CV_FIELD_VALID);
        g_assert_cmpuint(f->value, ==, (guint64)expect);
    }
}

static void
test_golden_row(gconstpointer data)
{
    const GoldenRow *row = data;
    g_autoptr(JsonNode) ret = row->wrapped ? load_return(row->file) : load_data(row->file);
    g_autoptr(GError) error = NULL;
    guint64 pending = 0;
    gboolean system_wide = FALSE;
    CvSample s;

    cv_sample_init(&s);
    g_assert_true(cv_qmp_parse_query_migrate(ret, &s, &error));
    g_assert_no_error(error);
    assert_nothing_invalid(&s);
    g_assert_cmpint(s.status, ==, row->status);
    assert_u64(&s.expected_downtime_ms, row->expected_downtime);
    assert_u64(&s.downtime_ms, row->downtime);
    assert_u64(&s.ram_remaining, row->ram_remaining);
    assert_u64(&s.ram_dirty_sync_count, row->dirty_sync_count);
    assert_u64(&s.remaining, row->remaining);
    assert_u64(&s.vfio_transferred, row->vfio);
    g_assert_cmpint(cv_sample_has_vfio(&s), ==, row->vfio >= 0);
    if (row->mbps < 0) {
        g_assert_cmpint(s.ram_mbps.state, ==, CV_FIELD_ABSENT);
    } else {
        g_assert_cmpint(s.ram_mbps.state, ==, CV_FIELD_VALID);
        g_assert_cmpfloat(s.ram_mbps.value, ==, row->mbps);
    }
    if (row->pending < 0) {
        g_assert_false(cv_sample_pending(&s, &pending, &system_wide));
    } else {
        g_assert_true(cv_sample_pending(&s, &pending, &system_wide));
        g_assert_cmpuint(pending, ==, (guint64)row->pending);
        g_assert_cmpint(system_wide, ==, row->system_wide);
    }
    g_assert_cmpstr(s.error_desc, ==, row->error_desc);
}

/* Every reading captured during the real 7.2 runs parses with nothing invalid, and the
 * iteration counter never goes backwards. */
static void
test_golden_all_samples(gconstpointer data)
{
    g_autoptr(JsonNode) root = load_data(data);
    JsonArray *array = json_node_get_array(root);
    guint64 last_sync = 0;

    g_assert_cmpuint(json_array_get_length(array), >, 0);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonObject *elem = json_array_get_object_element(array, i);
        CvSample s;

        cv_sample_init(&s);
        g_assert_true(cv_qmp_parse_query_migrate(json_object_get_member(elem, "return"), &s, NULL));
        assert_nothing_invalid(&s);
        g_assert_true(cv_field_valid(&s.ram_dirty_sync_count));
        g_assert_cmpuint(s.ram_dirty_sync_count.value, >=, last_sync);
        last_sync = s.ram_dirty_sync_count.value;
        g_assert_true(cv_sample_throughput(&s, NULL));
        g_assert_true(cv_sample_dirty_rate(&s, NULL));
    }
}

/* ---- query-migrate-parameters ---- */

static void
test_params_72(void)
{
    g_autoptr(JsonNode) ret = load_data("qemu-7.2-r64-bw64-query-migrate-parameters.json");
    CvParams p;

    cv_params_init(&p);
    p.postcopy_ram = CV_TRI_YES; /* not a parameter: must stay */
    g_assert_true(cv_qmp_parse_query_migrate_parameters(ret, &p, NULL));
    assert_u64(&p.downtime_limit_ms, 300);
    assert_u64(&p.max_bandwidth, 67108864);
    assert_u64(&p.max_postcopy_bandwidth, 0);
    /* 7.2 does not list it: it cannot take it */
    g_assert_cmpint(p.avail_switchover_bandwidth.state, ==, CV_FIELD_ABSENT);
    g_assert_false(cv_params_supports_switchover_bandwidth(&p));
    g_assert_cmpint(p.postcopy_ram, ==, CV_TRI_YES);
}

static void
test_params_72_default(void)
{
    g_autoptr(JsonNode) ret = load_data("qemu-7.2-default-migrate-parameters.json");
    CvParams p;

    cv_params_init(&p);
    g_assert_true(cv_qmp_parse_query_migrate_parameters(ret, &p, NULL));
    assert_u64(&p.max_bandwidth, 134217728);
}

typedef struct {
    const gchar *name;
    const gchar *json;
    gboolean ok;
    gint64 downtime;  /* -1 absent, -2 invalid */
    gint64 bandwidth; /* -1 absent, -2 invalid */
    gint64 switchover;
    gint64 postcopy;
} ParamsRow;

static const ParamsRow params_rows[] = {
    {"8.2-shape",
     "{\"downtime-limit\": 300, \"max-bandwidth\": 134217728, \"avail-switchover-bandwidth\": 0, "
     "\"max-postcopy-bandwidth\": 0, \"vcpu-dirty-limit\": 1}",
     TRUE, 300, 134217728, 0, 0},
    {"switchover-set", "{\"downtime-limit\": 2000, \"avail-switchover-bandwidth\": 1073741824}",
     TRUE, 2000, -1, 1073741824, -1},
    {"downtime-string", "{\"downtime-limit\": \"300\"}", TRUE, -2, -1, -1, -1},
    {"downtime-absurd", "{\"downtime-limit\": 2000001}", TRUE, -2, -1, -1, -1},
    {"downtime-negative", "{\"downtime-limit\": -300}", TRUE, -2, -1, -1, -1},
    {"bandwidth-wrapped", "{\"max-bandwidth\": 18446744073709551615}", TRUE, -1, -2, -1, -1},
    {"switchover-object", "{\"avail-switchover-bandwidth\": {}}", TRUE, -1, -1, -2, -1},
    {"switchover-double", "{\"avail-switchover-bandwidth\": 1.5e9}", TRUE, -1, -1, -2, -1},
    {"postcopy-null", "{\"max-postcopy-bandwidth\": null}", TRUE, -1, -1, -1, -2},
    {"empty", "{}", TRUE, -1, -1, -1, -1},
    {"not-object", "[]", FALSE},
};

static void
assert_param(const CvU64Field *f, gint64 expect)
{
    if (expect == -2)
        g_assert_cmpint(f->state, ==, CV_FIELD_INVALID);
    else
        assert_u64(f, expect);
}

static void
test_params_row(gconstpointer data)
{
    const ParamsRow *row = data;
    g_autoptr(JsonNode) ret = json_from_string(row->json, NULL);
    g_autoptr(GError) error = NULL;
    CvParams p;

    cv_params_init(&p);
    if (!row->ok) {
        g_assert_false(cv_qmp_parse_query_migrate_parameters(ret, &p, &error));
        g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY);
        return;
    }
    g_assert_true(cv_qmp_parse_query_migrate_parameters(ret, &p, &error));
    g_assert_no_error(error);
    assert_param(&p.downtime_limit_ms, row->downtime);
    assert_param(&p.max_bandwidth, row->bandwidth);
    assert_param(&p.avail_switchover_bandwidth, row->switchover);
    assert_param(&p.max_postcopy_bandwidth, row->postcopy);
}

/* ---- query-migrate-capabilities ---- */

static void
test_caps_72(void)
{
    g_autoptr(JsonNode) ret = load_data("qemu-7.2-r64-bw64-query-migrate-capabilities.json");
    CvParams p;

    cv_params_init(&p);
    cv_field_set(&p.downtime_limit_ms, 300); /* not a capability: must stay */
    g_assert_true(cv_qmp_parse_query_migrate_capabilities(ret, &p, NULL));
    g_assert_cmpint(p.events, ==, CV_TRI_YES);
    g_assert_cmpint(p.postcopy_ram, ==, CV_TRI_NO);
    assert_u64(&p.downtime_limit_ms, 300);
}

typedef struct {
    const gchar *name;
    const gchar *json;
    gboolean ok;
    CvTri postcopy;
    CvTri events;
} CapsRow;

static const CapsRow caps_rows[] = {
    {"both-on",
     "[{\"capability\": \"postcopy-ram\", \"state\": true}, {\"state\": true, \"capability\": "
     "\"events\"}]",
     TRUE, CV_TRI_YES, CV_TRI_YES},
    {"missing", "[{\"capability\": \"xbzrle\", \"state\": true}]", TRUE, CV_TRI_UNKNOWN,
     CV_TRI_UNKNOWN},
    {"empty", "[]", TRUE, CV_TRI_UNKNOWN, CV_TRI_UNKNOWN},
    {"state-string", "[{\"capability\": \"events\", \"state\": \"true\"}]", TRUE, CV_TRI_UNKNOWN,
     CV_TRI_UNKNOWN},
    {"state-int", "[{\"capability\": \"events\", \"state\": 1}]", TRUE, CV_TRI_UNKNOWN,
     CV_TRI_UNKNOWN},
    {"name-not-string", "[{\"capability\": 5, \"state\": true}]", TRUE, CV_TRI_UNKNOWN,
     CV_TRI_UNKNOWN},
    {"garbage-entries", "[1, \"events\", null, [], {\"capability\": \"events\", \"state\": false}]",
     TRUE, CV_TRI_UNKNOWN, CV_TRI_NO},
    {"not-array", "{\"events\": true}", FALSE},
};

static void
test_caps_row(gconstpointer data)
{
    const CapsRow *row = data;
    g_autoptr(JsonNode) ret = json_from_string(row->json, NULL);
    g_autoptr(GError) error = NULL;
    CvParams p;

    cv_params_init(&p);
    p.postcopy_ram = CV_TRI_NO; /* stale values are replaced */
    p.events = CV_TRI_YES;
    if (!row->ok) {
        g_assert_false(cv_qmp_parse_query_migrate_capabilities(ret, &p, &error));
        g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY);
        return;
    }
    g_assert_true(cv_qmp_parse_query_migrate_capabilities(ret, &p, &error));
    g_assert_no_error(error);
    g_assert_cmpint(p.postcopy_ram, ==, row->postcopy);
    g_assert_cmpint(p.events, ==, row->events);
}

/* ---- version and greeting ---- */

typedef struct {
    const gchar *name;
    const gchar *line; /* a whole QMP message */
    gboolean ok;
    gint major, minor, micro;
    const gchar *package;
    gboolean oob;
} GreetingRow;

static const GreetingRow greeting_rows[] = {
    {"qemu-7.2",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
     "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}",
     TRUE, 7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3", TRUE},
    {"no-oob",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 1, \"major\": 11}, "
     "\"package\": \"\"}, \"capabilities\": []}}",
     TRUE, 11, 1, 0, "", FALSE},
    {"no-capabilities-no-package",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 8}}}}", TRUE, 8, 2,
     0, "", FALSE},
    {"unknown-capabilities",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 8}}, "
     "\"capabilities\": [1, \"x-future\", {}]}}",
     TRUE, 8, 2, 0, "", FALSE},
    {"long-package",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 8}, \"package\": "
     "\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}}",
     TRUE, 8, 2, 0, "012345678901234567890123456789012345678901234567890123456789012", FALSE},
    {"no-version", "{\"QMP\": {\"capabilities\": []}}", FALSE},
    {"major-string",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": \"8\"}}}}", FALSE},
    {"minor-negative",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": -2, \"major\": 8}}}}", FALSE},
    {"micro-huge",
     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 4294967296, \"minor\": 2, \"major\": 8}}}}",
     FALSE},
    {"micro-missing", "{\"QMP\": {\"version\": {\"qemu\": {\"minor\": 2, \"major\": 8}}}}", FALSE},
    {"qemu-not-object", "{\"QMP\": {\"version\": {\"qemu\": \"8.2.0\"}}}", FALSE},
    {"not-a-greeting", "{\"return\": {}}", FALSE},
};

static void
test_greeting_row(gconstpointer data)
{
    const GreetingRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) msg = cv_qmp_message_parse(row->line, -1, &error);
    CvQemuVersion v = {0};
    gboolean oob = !row->oob;

    g_assert_no_error(error);
    if (!row->ok) {
        g_assert_false(cv_qmp_parse_greeting(msg, &v, &oob, &error));
        g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_PROTOCOL);
        return;
    }
    g_assert_true(cv_qmp_parse_greeting(msg, &v, &oob, &error));
    g_assert_no_error(error);
    g_assert_cmpint(v.major, ==, row->major);
    g_assert_cmpint(v.minor, ==, row->minor);
    g_assert_cmpint(v.micro, ==, row->micro);
    g_assert_cmpstr(v.package, ==, row->package);
    g_assert_cmpint(oob, ==, row->oob);
}

static void
test_query_version(void)
{
    g_autoptr(JsonNode) ok = json_from_string(
        "{\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": \"Debian\"}", NULL);
    g_autoptr(JsonNode) bad = json_from_string("[7, 2, 22]", NULL);
    g_autoptr(GError) error = NULL;
    CvQemuVersion v = {0};

    g_assert_true(cv_qmp_parse_version(ok, &v, &error));
    g_assert_no_error(error);
    g_assert_cmpint(v.major, ==, 7);
    g_assert_cmpint(v.minor, ==, 2);
    g_assert_cmpint(v.micro, ==, 22);
    g_assert_cmpstr(v.package, ==, "Debian");
    g_assert_false(cv_qmp_parse_version(bad, &v, &error));
    g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY);
    /* a failure leaves the caller's struct alone */
    g_assert_cmpint(v.major, ==, 7);
}

/* ---- events ---- */

static void
test_event_names(void)
{
    static const struct {
        const gchar *name;
        CvQmpEventKind kind;
    } names[] = {
        {"MIGRATION", CV_QMP_EVENT_MIGRATION},
        {"MIGRATION_PASS", CV_QMP_EVENT_MIGRATION_PASS},
        {"RESUME", CV_QMP_EVENT_RESUME},
        {"SHUTDOWN", CV_QMP_EVENT_SHUTDOWN},
        {"STOP", CV_QMP_EVENT_STOP},
        {"migration", CV_QMP_EVENT_UNKNOWN},
        {"MIGRATION_PAS", CV_QMP_EVENT_UNKNOWN},
        {"MIGRATION_PASSX", CV_QMP_EVENT_UNKNOWN},
        {"BLOCK_JOB_COMPLETED", CV_QMP_EVENT_UNKNOWN},
        {"A", CV_QMP_EVENT_UNKNOWN},
        {"ZZZ", CV_QMP_EVENT_UNKNOWN},
        {"", CV_QMP_EVENT_UNKNOWN},
        {NULL, CV_QMP_EVENT_UNKNOWN},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        g_assert_cmpint(cv_qmp_event_kind_from_name(names[i].name), ==, names[i].kind);
}

typedef struct {
    const gchar *name;
    const gchar *line;
    gboolean ok;
    CvQmpEventKind kind;
    CvMigrationStatus status;
    CvFieldState pass_state;
    guint64 pass;
    gint64 seconds;
} EventRow;

#define TS "\"timestamp\": {\"seconds\": 1795626234, \"microseconds\": 686366}, "

static const EventRow event_rows[] = {
    {"migration-active", "{" TS "\"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}}",
     TRUE, CV_QMP_EVENT_MIGRATION, CV_MIGRATION_STATUS_ACTIVE, CV_FIELD_ABSENT, 0, 1795626234},
    {"migration-unknown-status",
     "{" TS "\"event\": \"MIGRATION\", \"data\": {\"status\": \"x-new\"}}", TRUE,
     CV_QMP_EVENT_MIGRATION, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_ABSENT, 0, 1795626234},
    {"migration-no-data", "{" TS "\"event\": \"MIGRATION\"}", FALSE, CV_QMP_EVENT_MIGRATION},
    {"migration-status-int", "{" TS "\"event\": \"MIGRATION\", \"data\": {\"status\": 3}}", FALSE,
     CV_QMP_EVENT_MIGRATION},
    {"pass", "{" TS "\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 2}}", TRUE,
     CV_QMP_EVENT_MIGRATION_PASS, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_VALID, 2, 1795626234},
    {"pass-string", "{" TS "\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": \"2\"}}", FALSE,
     CV_QMP_EVENT_MIGRATION_PASS, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_INVALID},
    {"pass-negative", "{" TS "\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": -2}}", FALSE,
     CV_QMP_EVENT_MIGRATION_PASS, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_INVALID},
    {"pass-wrapped",
     "{" TS "\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 18446744073709551615}}", FALSE,
     CV_QMP_EVENT_MIGRATION_PASS, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_INVALID},
    {"pass-missing", "{" TS "\"event\": \"MIGRATION_PASS\", \"data\": {}}", FALSE,
     CV_QMP_EVENT_MIGRATION_PASS, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_INVALID},
    {"pass-no-data", "{" TS "\"event\": \"MIGRATION_PASS\"}", FALSE, CV_QMP_EVENT_MIGRATION_PASS,
     CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_INVALID},
    {"stop", "{" TS "\"event\": \"STOP\"}", TRUE, CV_QMP_EVENT_STOP, CV_MIGRATION_STATUS_UNKNOWN,
     CV_FIELD_ABSENT, 0, 1795626234},
    {"resume-no-timestamp", "{\"event\": \"RESUME\"}", TRUE, CV_QMP_EVENT_RESUME,
     CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_ABSENT, 0, -1},
    {"shutdown", "{" TS "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}", TRUE,
     CV_QMP_EVENT_SHUTDOWN, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_ABSENT, 0, 1795626234},
    {"unknown-event", "{" TS "\"event\": \"BLOCK_JOB_READY\", \"data\": {\"x\": [1]}}", TRUE,
     CV_QMP_EVENT_UNKNOWN, CV_MIGRATION_STATUS_UNKNOWN, CV_FIELD_ABSENT, 0, 1795626234},
    {"not-an-event", "{\"return\": {}}", FALSE, CV_QMP_EVENT_UNKNOWN},
};

static void
test_event_row(gconstpointer data)
{
    const EventRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) msg = cv_qmp_message_parse(row->line, -1, &error);
    CvQmpEvent ev;

    g_assert_no_error(error);
    if (!row->ok) {
        g_assert_false(cv_qmp_parse_event(msg, &ev, &error));
        g_assert_error(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY);
        g_assert_cmpint(ev.kind, ==, row->kind);
        if (row->kind == CV_QMP_EVENT_MIGRATION_PASS)
            g_assert_cmpint(ev.pass.state, ==, CV_FIELD_INVALID);
        return;
    }
    g_assert_true(cv_qmp_parse_event(msg, &ev, &error));
    g_assert_no_error(error);
    g_assert_cmpint(ev.kind, ==, row->kind);
    g_assert_cmpint(ev.seconds, ==, row->seconds);
    if (row->kind == CV_QMP_EVENT_MIGRATION)
        g_assert_cmpint(ev.status, ==, row->status);
    g_assert_cmpint(ev.pass.state, ==, row->pass_state);
    if (row->pass_state == CV_FIELD_VALID)
        g_assert_cmpuint(ev.pass.value, ==, row->pass);
}

/* The real 7.2 source sequence: setup, pass 1, active, passes, STOP, last pass, completed. */
static void
test_events_72_sequence(void)
{
    g_autoptr(JsonNode) root = load_data("qemu-7.2-r64-bw64-events-src.json");
    JsonArray *array = json_node_get_array(root);
    g_autoptr(GString) seq = g_string_new(NULL);
    guint64 last_pass = 0;

    for (guint i = 0; i < json_array_get_length(array); i++) {
        g_autofree gchar *line = json_to_string(json_array_get_element(array, i), FALSE);
        g_autoptr(CvQmpMessage) msg = cv_qmp_message_parse(line, -1, NULL);
        CvQmpEvent ev;

        g_assert_nonnull(msg);
        g_assert_true(cv_qmp_parse_event(msg, &ev, NULL));
        g_assert_cmpint(ev.seconds, >, 0);
        switch (ev.kind) {
        case CV_QMP_EVENT_MIGRATION:
            g_string_append_printf(seq, "M:%s ", cv_migration_status_to_string(ev.status));
            break;
        case CV_QMP_EVENT_MIGRATION_PASS:
            g_assert_cmpuint(ev.pass.value, ==, last_pass + 1);
            last_pass = ev.pass.value;
            if (last_pass == 1)
                g_string_append(seq, "P1 ");
            break;
        case CV_QMP_EVENT_STOP:
            g_string_append(seq, "STOP ");
            break;
        case CV_QMP_EVENT_RESUME:
        case CV_QMP_EVENT_SHUTDOWN:
        case CV_QMP_EVENT_UNKNOWN:
            g_string_append(seq, "? ");
            break;
        default:
            g_assert_not_reached();
        }
    }
    g_assert_cmpstr(seq->str, ==, "M:setup P1 M:active STOP M:completed ");
    g_assert_cmpuint(last_pass, >=, 3);
}

/* ---- error replies ---- */

typedef struct {
    const gchar *name;
    const gchar *line;
    const gchar *command;
    CvQmpErrorCode code;
    const gchar *message;
} ErrorRow;

static const ErrorRow error_rows[] = {
    {"generic",
     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"There's a migration process in "
     "progress\"}, \"id\": \"cv-3\"}",
     "migrate-set-capabilities", CV_QMP_ERROR_GENERIC_ERROR,
     "migrate-set-capabilities: There's a migration process in progress"},
    {"command-not-found",
     "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities "
     "negotiation with 'qmp_capabilities'\"}}",
     "query-migrate", CV_QMP_ERROR_COMMAND_NOT_FOUND,
     "query-migrate: Expecting capabilities negotiation with 'qmp_capabilities'"},
    {"device-not-active", "{\"error\": {\"class\": \"DeviceNotActive\", \"desc\": \"d\"}}", "x",
     CV_QMP_ERROR_DEVICE_NOT_ACTIVE, "x: d"},
    {"device-not-found", "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"d\"}}", "x",
     CV_QMP_ERROR_DEVICE_NOT_FOUND, "x: d"},
    {"kvm-missing-cap", "{\"error\": {\"class\": \"KVMMissingCap\", \"desc\": \"d\"}}", "x",
     CV_QMP_ERROR_KVM_MISSING_CAP, "x: d"},
    {"unknown-class", "{\"error\": {\"class\": \"FutureError\", \"desc\": \"d\"}}", "x",
     CV_QMP_ERROR_FAILED, "x: d [FutureError]"},
    /* an unreadable error member: INVALID_REPLY naming what is wrong, with what was readable */
    {"no-class", "{\"error\": {\"desc\": \"d\"}}", "x", CV_QMP_ERROR_INVALID_REPLY,
     "x: invalid QMP error reply, 'error' has no 'class': d"},
    {"no-desc", "{\"error\": {\"class\": \"GenericError\"}}", "x", CV_QMP_ERROR_INVALID_REPLY,
     "x: invalid QMP error reply, 'error' has no 'desc' [GenericError]"},
    {"empty-object", "{\"error\": {}, \"id\": \"cv-2\"}", "x", CV_QMP_ERROR_INVALID_REPLY,
     "x: invalid QMP error reply, 'error' has no 'class'"},
    {"class-not-string", "{\"error\": {\"class\": 7, \"desc\": \"d\"}}", "x",
     CV_QMP_ERROR_INVALID_REPLY, "x: invalid QMP error reply, 'error.class' is not a string: d"},
    {"class-null", "{\"error\": {\"class\": null, \"desc\": \"d\"}}", "x",
     CV_QMP_ERROR_INVALID_REPLY, "x: invalid QMP error reply, 'error.class' is not a string: d"},
    {"desc-not-string", "{\"error\": {\"class\": \"GenericError\", \"desc\": 5}}", "x",
     CV_QMP_ERROR_INVALID_REPLY,
     "x: invalid QMP error reply, 'error.desc' is not a string [GenericError]"},
    {"both-wrong", "{\"error\": {\"class\": [\"GenericError\"], \"desc\": {}}}", "x",
     CV_QMP_ERROR_INVALID_REPLY, "x: invalid QMP error reply, 'error.class' is not a string"},
    {"not-object-string", "{\"error\": \"GenericError\", \"id\": \"cv-2\"}", "x",
     CV_QMP_ERROR_INVALID_REPLY, "x: invalid QMP error reply, 'error' is not an object"},
    {"not-object-array", "{\"error\": [\"GenericError\", \"d\"]}", "x", CV_QMP_ERROR_INVALID_REPLY,
     "x: invalid QMP error reply, 'error' is not an object"},
    {"not-object-null", "{\"error\": null}", "x", CV_QMP_ERROR_INVALID_REPLY,
     "x: invalid QMP error reply, 'error' is not an object"},
    {"not-object-number", "{\"error\": 12}", NULL, CV_QMP_ERROR_INVALID_REPLY,
     "QMP: invalid QMP error reply, 'error' is not an object"},
    {"no-command", "{\"error\": {\"class\": \"GenericError\", \"desc\": \"d\"}}", NULL,
     CV_QMP_ERROR_GENERIC_ERROR, "QMP: d"},
};

static void
test_error_row(gconstpointer data)
{
    const ErrorRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvQmpMessage) msg = cv_qmp_message_parse(row->line, -1, &error);

    g_assert_no_error(error);
    g_assert_false(cv_qmp_error_from_reply(msg, row->command, &error));
    g_assert_error(error, CV_QMP_ERROR, (gint)row->code);
    g_assert_cmpstr(error->message, ==, row->message);
}

static void
test_error_classes(void)
{
    for (gint code = CV_QMP_ERROR_FAILED; code <= CV_QMP_ERROR_QUEUE_FULL; code++) {
        const gchar *klass = cv_qmp_error_code_to_class((CvQmpErrorCode)code);
        if (klass != NULL)
            g_assert_cmpint(cv_qmp_error_code_from_class(klass), ==, code);
    }
    g_assert_cmpstr(cv_qmp_error_code_to_class(CV_QMP_ERROR_GENERIC_ERROR), ==, "GenericError");
    g_assert_null(cv_qmp_error_code_to_class(CV_QMP_ERROR_TIMEOUT));
    g_assert_cmpint(cv_qmp_error_code_from_class("genericerror"), ==, CV_QMP_ERROR_FAILED);
    g_assert_cmpint(cv_qmp_error_code_from_class(NULL), ==, CV_QMP_ERROR_FAILED);
}

#define ADD_ROWS(prefix, rows, func)                                                               \
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {                                               \
        g_autofree gchar *path = g_strdup_printf("%s/%s", prefix, rows[i].name);                   \
        g_test_add_data_func(path, &rows[i], func);                                                \
    }

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    ADD_ROWS("/qmp/parse/migrate", migrate_rows, test_migrate_row);
    g_test_add_func("/qmp/parse/migrate/error-desc-truncated", test_migrate_error_desc_truncated);
    for (gsize i = 0; i < G_N_ELEMENTS(golden_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/qmp/parse/golden/%s", golden_rows[i].file);
        g_test_add_data_func(path, &golden_rows[i], test_golden_row);
    }
    g_test_add_data_func("/qmp/parse/golden/qemu-7.2-r64-bw64-all-samples.json",
                         "qemu-7.2-r64-bw64-all-samples.json", test_golden_all_samples);
    g_test_add_data_func("/qmp/parse/golden/qemu-7.2-control-r4-bw64-all-samples.json",
                         "qemu-7.2-control-r4-bw64-all-samples.json", test_golden_all_samples);
    g_test_add_func("/qmp/parse/params/qemu-7.2", test_params_72);
    g_test_add_func("/qmp/parse/params/qemu-7.2-default", test_params_72_default);
    ADD_ROWS("/qmp/parse/params", params_rows, test_params_row);
    g_test_add_func("/qmp/parse/caps/qemu-7.2", test_caps_72);
    ADD_ROWS("/qmp/parse/caps", caps_rows, test_caps_row);
    ADD_ROWS("/qmp/parse/greeting", greeting_rows, test_greeting_row);
    g_test_add_func("/qmp/parse/version/query-version", test_query_version);
    g_test_add_func("/qmp/parse/event/names", test_event_names);
    ADD_ROWS("/qmp/parse/event", event_rows, test_event_row);
    g_test_add_func("/qmp/parse/event/qemu-7.2-sequence", test_events_72_sequence);
    ADD_ROWS("/qmp/parse/error", error_rows, test_error_row);
    g_test_add_func("/qmp/parse/error/classes", test_error_classes);
    return g_test_run();
}
