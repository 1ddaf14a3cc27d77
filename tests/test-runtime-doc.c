/* The per-migration document the CLI reads: golden JSON, nulls for what QEMU did not send,
 * the atomic write with its mode, reading back every document and skipping the ones that do
 * not check out. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-runtime-doc.h"
#include "cv-state-paths.h"

#define ID_A "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define ID_B "1b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define T0 G_GINT64_CONSTANT(1700000000000000)

static void
make_sample(CvSample *s)
{
    cv_sample_init(s);
    s->status = CV_MIGRATION_STATUS_ACTIVE;
    cv_field_set(&s->ram_dirty_sync_count, 7);
    cv_field_set(&s->remaining, 2147483648);
    cv_field_set(&s->ram_remaining, 104857600);
    cv_field_set(&s->expected_downtime_ms, 1712);
    cv_field_set(&s->total_time_ms, 42000);
    s->ram_mbps.state = CV_FIELD_VALID;
    s->ram_mbps.value = 8000.0;
    /* garbage from QEMU stays null, never a number */
    s->ram_dirty_pages_rate.state = CV_FIELD_INVALID;
}

/* waiting its turn on the shared link behind another migration */
static const CvRuntimeLink golden_link = {
    .rate = 1250000000,
    .state = "waiting",
    .position = 1,
    .holder = "vgpu-2",
};

static void
make_status(CvRuntimeStatus *st, CvSample *s, CvParams *p, CvDecision *d)
{
    make_sample(s);
    cv_params_init(p);
    cv_field_set(&p->downtime_limit_ms, 300);
    cv_field_set(&p->max_bandwidth, 134217728);
    memset(d, 0, sizeof(*d));
    d->kind = CV_DECISION_SET_DOWNTIME_LIMIT;
    d->verdict = CV_VERDICT_STALLED;
    d->value = 1900;
    d->source = CV_ESTIMATE_QEMU_ALL_DEVICES;
    d->needed_downtime_ms = 1712;
    d->predicted_blackout_ms = 1883;
    g_strlcpy(d->reason, "stalled: pending 2.00 GiB fell 0.1% in 3 passes; limit 1900 ms",
              sizeof(d->reason));
    *st = (CvRuntimeStatus){
        .migration_id = ID_A,
        .uri = "qemu:///system",
        .domain = "vgpu-1",
        .policy = "vfio",
        .policy_source = "vfio",
        .state = "tuning",
        .started_us = T0,
        .updated_us = T0 + 12345678,
        .sample = s,
        .params = p,
        .decision = d,
        .rate_source = "stated",
        .switchover_rate = 1250000000,
        .rate_detail = "[daemon] link",
        .n_changes = 1,
        .domain_uuid = "4d5e6f70-8192-4a3b-8c4d-5e6f70819203",
        .link = &golden_link,
    };
}

static void
test_golden(void)
{
    CvRuntimeStatus st;
    CvSample s;
    CvParams p;
    CvDecision d;
    g_autofree gchar *json = NULL;
    g_autofree gchar *path =
        g_test_build_filename(G_TEST_DIST, "data", "daemon", "status.json", NULL);
    g_autofree gchar *expected = NULL;

    make_status(&st, &s, &p, &d);
    json = cv_runtime_doc_to_json(&st);
    if (g_strcmp0(g_getenv("CV_TEST_REGENERATE"), "1") == 0) {
        g_autofree gchar *line = g_strconcat(json, "\n", NULL);
        g_assert_true(g_file_set_contents(path, line, -1, NULL));
        return;
    }
    g_assert_true(g_file_get_contents(path, &expected, NULL, NULL));
    g_strchomp(expected);
    g_assert_cmpstr(json, ==, expected);
}

static void
test_before_first_reading(void)
{
    CvRuntimeStatus st = {
        .migration_id = ID_A,
        .domain = "vm",
        .started_us = T0,
    };
    g_autofree gchar *json = cv_runtime_doc_to_json(&st);

    g_assert_nonnull(strstr(json, "\"reading\":null"));
    g_assert_nonnull(strstr(json, "\"decision\":null"));
    g_assert_nonnull(strstr(json, "\"parameters\":null"));
    g_assert_nonnull(strstr(json, "\"updated\":null"));
}

static void
test_write_read_remove(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_dir_make_tmp("cv-runtime-XXXXXX", &error);
    g_autofree gchar *docs = g_build_filename(dir, CV_STATE_MIGRATIONS_DIR, NULL);
    g_autofree gchar *path_a = g_build_filename(docs, ID_A ".json", NULL);
    g_autofree gchar *junk =
        g_build_filename(docs, "2b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b.json", NULL);
    g_autofree gchar *tmp = g_build_filename(docs, "." ID_A ".json.XyZ123", NULL);
    g_autoptr(GPtrArray) docs_read = NULL;
    g_autoptr(GPtrArray) skipped = NULL;
    CvRuntimeStatus st;
    CvSample s;
    CvParams p;
    CvDecision d;
    struct stat sb;

    g_assert_no_error(error);
    make_status(&st, &s, &p, &d);
    g_assert_true(cv_runtime_doc_write(dir, &st, &error));
    g_assert_no_error(error);
    st.migration_id = ID_B;
    st.domain = "a-first";
    g_assert_true(cv_runtime_doc_write(dir, &st, &error));
    g_assert_no_error(error);
    g_assert_cmpint(stat(path_a, &sb), ==, 0);
    g_assert_cmpuint(sb.st_mode & 07777, ==, 0640);
    g_assert_cmpint(stat(docs, &sb), ==, 0);
    g_assert_cmpuint(sb.st_mode & 07777, ==, 0750);
    g_assert_true(g_file_set_contents(junk, "{\"format\":\"something-else\"}", -1, NULL));
    g_assert_true(g_file_set_contents(tmp, "{\"form", -1, NULL));

    docs_read = cv_runtime_doc_read_all(dir, &skipped, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(docs_read->len, ==, 2);
    g_assert_cmpstr(json_object_get_string_member(docs_read->pdata[0], "domain"), ==, "a-first");
    g_assert_cmpstr(json_object_get_string_member(docs_read->pdata[1], "migration-id"), ==, ID_A);
    g_assert_cmpuint(skipped->len, ==, 1);
    g_assert_true(g_str_has_prefix(skipped->pdata[0], junk));

    g_assert_true(cv_runtime_doc_remove(dir, ID_A, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(path_a, G_FILE_TEST_EXISTS));
    g_assert_true(cv_runtime_doc_remove(dir, ID_A, &error));
    g_assert_true(cv_runtime_doc_remove(dir, ID_B, &error));
    g_assert_cmpint(g_remove(junk), ==, 0);
    g_assert_cmpint(g_remove(tmp), ==, 0);
    g_assert_cmpint(g_rmdir(docs), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* A daemon that starts removes what a dead one left: documents and cut-short temporary files,
 * nothing else; no directory is no error. */
static void
test_remove_all(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_dir_make_tmp("cv-runtime-XXXXXX", &error);
    g_autofree gchar *docs = g_build_filename(dir, CV_STATE_MIGRATIONS_DIR, NULL);
    g_autofree gchar *tmp = g_build_filename(docs, "." ID_A ".json.XyZ123", NULL);
    g_autofree gchar *other = g_build_filename(docs, "README", NULL);
    g_autoptr(GPtrArray) left = NULL;
    CvRuntimeStatus st;
    CvSample s;
    CvParams p;
    CvDecision d;
    guint n = 99;

    g_assert_no_error(error);
    g_assert_true(cv_runtime_doc_remove_all(dir, &n, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(n, ==, 0);
    make_status(&st, &s, &p, &d);
    g_assert_true(cv_runtime_doc_write(dir, &st, &error));
    st.migration_id = ID_B;
    g_assert_true(cv_runtime_doc_write(dir, &st, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_set_contents(tmp, "{\"form", -1, NULL));
    g_assert_true(g_file_set_contents(other, "not ours", -1, NULL));
    g_assert_true(cv_runtime_doc_remove_all(dir, &n, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(n, ==, 3);
    left = cv_runtime_doc_read_all(dir, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(left->len, ==, 0);
    g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
    g_assert_cmpint(g_remove(other), ==, 0);
    g_assert_cmpint(g_rmdir(docs), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* The daemon's own document: written, and read back only while its daemon runs. A document
 * whose pid is not a virt-converged (here: this test, or a pid that does not exist) means no
 * daemon. */
static void
test_daemon_doc(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_dir_make_tmp("cv-runtime-XXXXXX", &error);
    g_autofree gchar *path = g_build_filename(dir, CV_RUNTIME_DAEMON_FILE, NULL);
    g_autofree gchar *text = NULL;
    const gchar *uris[] = {"qemu:///system", "qemu+tls://host-2/system", NULL};
    const gboolean reachable[] = {TRUE, FALSE};
    const guint64 links[] = {1250000000, 0};
    CvRuntimeDaemon doc = {
        .pid = (guint32)getpid(),
        .version = "0.1.0",
        .started_us = T0,
        .updated_us = T0 + 1000000,
        .uris = uris,
        .reachable = reachable,
        .link_rates = links,
        .n_migrations = 2,
    };
    g_autoptr(JsonObject) o = NULL;

    g_assert_no_error(error);
    g_assert_true(cv_runtime_doc_write_daemon(dir, &doc, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "\"format\":\"virt-converge-daemon\""));
    g_assert_nonnull(strstr(text, "{\"uri\":\"qemu:///system\",\"reachable\":true,"
                                  "\"link\":1250000000}"));
    g_assert_nonnull(strstr(text, "\"reachable\":false,\"link\":null}"));
    o = cv_runtime_doc_read_daemon(dir, &error);
    g_assert_null(o);
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "is not running"));
    g_clear_error(&error);
    g_assert_true(cv_runtime_doc_remove_daemon(dir, &error));
    o = cv_runtime_doc_read_daemon(dir, &error);
    g_assert_null(o);
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
test_no_directory(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) docs = cv_runtime_doc_read_all("/nonexistent/run", NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpuint(docs->len, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/runtime-doc/golden", test_golden);
    g_test_add_func("/runtime-doc/daemon", test_daemon_doc);
    g_test_add_func("/runtime-doc/before-first-reading", test_before_first_reading);
    g_test_add_func("/runtime-doc/write-read-remove", test_write_read_remove);
    g_test_add_func("/runtime-doc/no-directory", test_no_directory);
    g_test_add_func("/runtime-doc/remove-all", test_remove_all);
    return g_test_run();
}
