/* The learned-rate store: STATE_DIR/learned/DEST.jsonl, in a temporary directory. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-learned-store.h"
#include "cv-state-error.h"

typedef struct {
    gchar *dir;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("cv-learned-store-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    g_autofree gchar *learned = g_build_filename(f->dir, CV_STATE_LEARNED_DIR, NULL);
    g_autoptr(GDir) dir = g_dir_open(learned, 0, NULL);
    const gchar *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *path = g_build_filename(learned, name, NULL);
        g_assert_cmpint(g_remove(path), ==, 0);
    }
    g_rmdir(learned);
    g_assert_cmpint(g_rmdir(f->dir), ==, 0);
    g_free(f->dir);
}

static CvLearnedObservation
obs(guint64 bytes, guint64 downtime_ms)
{
    CvLearnedObservation o = {.time_ms = 1700000000000,
                              .blackout_bytes = bytes,
                              .downtime_ms = downtime_ms,
                              .qemu_rate = 5,
                              .stated_rate = 7};
    return o;
}

static void
test_path(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *plain = cv_learned_store_path(f->dir, "host-b.example.com", &error);
    g_autofree gchar *uri = cv_learned_store_path(f->dir, "qemu+ssh://b/system", &error);
    g_autofree gchar *dots = cv_learned_store_path(f->dir, "../etc", &error);
    g_autofree gchar *want_plain =
        g_build_filename(f->dir, "learned", "host-b.example.com.jsonl", NULL);
    g_autofree gchar *want_uri =
        g_build_filename(f->dir, "learned", "qemu%2Bssh%3A%2F%2Fb%2Fsystem.jsonl", NULL);
    g_autofree gchar *want_dots = g_build_filename(f->dir, "learned", "%2E.%2Fetc.jsonl", NULL);
    g_autofree gchar *empty = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(plain, ==, want_plain);
    g_assert_cmpstr(uri, ==, want_uri);
    g_assert_cmpstr(dots, ==, want_dots);
    empty = cv_learned_store_path(f->dir, "", &error);
    g_assert_null(empty);
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID);
}

static void
test_roundtrip(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) none = cv_learned_store_load(f->dir, "b", NULL, &error);
    g_autoptr(GArray) two = NULL;
    CvLearnedObservation a = obs(2000, 2), b = obs(3000, 4);
    guint skipped = 99;

    /* a domain name is JSON-escaped on the way out; a job window keeps its source */
    g_strlcpy(b.domain, "vm \"\u03b2\"\\1", sizeof(b.domain));
    b.source = CV_LEARNED_SOURCE_JOB_WINDOW;

    g_assert_no_error(error);
    g_assert_cmpuint(none->len, ==, 0);
    g_assert_true(cv_learned_store_append(f->dir, "b", &a, &error));
    g_assert_true(cv_learned_store_append(f->dir, "b", &b, &error));
    g_assert_no_error(error);
    two = cv_learned_store_load(f->dir, "b", &skipped, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(skipped, ==, 0);
    g_assert_cmpuint(two->len, ==, 2);
    g_assert_true(memcmp(&g_array_index(two, CvLearnedObservation, 0), &a, sizeof(a)) == 0);
    g_assert_true(memcmp(&g_array_index(two, CvLearnedObservation, 1), &b, sizeof(b)) == 0);
}

static void
test_bounded(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) list = NULL;

    for (guint i = 1; i <= CV_LEARNED_WINDOW_MAX + 10; i++) {
        CvLearnedObservation o = obs(i, 1);
        g_assert_true(cv_learned_store_append(f->dir, "b", &o, &error));
    }
    list = cv_learned_store_load(f->dir, "b", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(list->len, ==, CV_LEARNED_WINDOW_MAX);
    /* the newest kept, oldest first */
    g_assert_cmpuint(g_array_index(list, CvLearnedObservation, 0).blackout_bytes, ==, 11);
    g_assert_cmpuint(g_array_index(list, CvLearnedObservation, list->len - 1).blackout_bytes, ==,
                     CV_LEARNED_WINDOW_MAX + 10);
}

/* Lines that are not an observation are skipped and counted; json-glib would read a string
 * as 0 and a huge number as negative: neither becomes an observation. */
static void
test_garbage_lines(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *path = cv_learned_store_path(f->dir, "b", &error);
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_autoptr(GArray) list = NULL;
    const gchar *text =
        "{\"time-ms\":1,\"blackout-bytes\":1000,\"downtime-ms\":10}\n"
        "not json\n"
        "[1,2]\n"
        "{\"time-ms\":1,\"blackout-bytes\":\"1000\",\"downtime-ms\":10}\n"
        "{\"time-ms\":1,\"blackout-bytes\":18446744073709551615,\"downtime-ms\":10}\n"
        "{\"time-ms\":1,\"blackout-bytes\":1000,\"downtime-ms\":-10}\n"
        "{\"time-ms\":1,\"blackout-bytes\":1000.5,\"downtime-ms\":10}\n"
        "{\"time-ms\":1,\"blackout-bytes\":1000}\n"
        "{\"time-ms\":1,\"blackout-bytes\":1000,\"downtime-ms\":10,\"qemu-rate\":\"x\"}\n"
        "{\"time-ms\":1,\"blackout-bytes\":1000,\"downtime-ms\":10,\"domain\":5}\n"
        "{\"time-ms\":1,\"blackout-bytes\":1000,\"downtime-ms\":10,\"source\":\"guess\"}\n"
        "{\"time-ms\":1,\"blackout-bytes\":1000,\"downtime-ms\":10,\"source\":1}\n"
        "\n"
        "{\"time-ms\":2,\"blackout-bytes\":5000,\"downtime-ms\":10,\"qemu-rate\":3,"
        "\"source\":\"job-window\"}\n"
        "{\"time-ms\":3,\"blackout-by";
    guint skipped = 0;
    CvLearnedObservation more = obs(7000, 10);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, &error));
    list = cv_learned_store_load(f->dir, "b", &skipped, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(skipped, ==, 12);
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_cmpint(g_array_index(list, CvLearnedObservation, 0).source, ==,
                    CV_LEARNED_SOURCE_BLACKOUT);
    g_assert_cmpuint(g_array_index(list, CvLearnedObservation, 1).blackout_bytes, ==, 5000);
    g_assert_cmpint(g_array_index(list, CvLearnedObservation, 1).source, ==,
                    CV_LEARNED_SOURCE_JOB_WINDOW);
    g_assert_cmpuint(g_array_index(list, CvLearnedObservation, 1).qemu_rate, ==, 3);
    /* an append rewrites the file with the good lines only */
    g_clear_pointer(&list, g_array_unref);
    g_assert_true(cv_learned_store_append(f->dir, "b", &more, &error));
    list = cv_learned_store_load(f->dir, "b", &skipped, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(skipped, ==, 0);
    g_assert_cmpuint(list->len, ==, 3);
}

/* A destination's observation goes to the host-wide key too; one for the key itself once. */
static void
test_record_any(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) b = NULL;
    g_autoptr(GArray) any = NULL;
    CvLearnedObservation o = obs(3000, 4);

    g_assert_true(cv_learned_store_record(f->dir, "b", &o, &error));
    g_assert_true(cv_learned_store_record(f->dir, CV_LEARNED_ANY_DESTINATION, &o, &error));
    g_assert_no_error(error);
    b = cv_learned_store_load(f->dir, "b", NULL, &error);
    any = cv_learned_store_load(f->dir, CV_LEARNED_ANY_DESTINATION, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(b->len, ==, 1);
    g_assert_cmpuint(any->len, ==, 2);
}

/* Root (the CLI, or a test) recording into a state directory that belongs to another user
 * (the daemon's, virt-converge) leaves learned/ and its files to that user. */
static void
test_owner(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_build_filename(f->dir, "learned", NULL);
    g_autofree gchar *file = g_build_filename(dir, "b.jsonl", NULL);
    CvLearnedObservation o = obs(3000, 4);
    GStatBuf st;

    if (geteuid() != 0) {
        g_test_skip("needs root: only root can give files to another user");
        return;
    }
    g_assert_cmpint(chown(f->dir, 4242, 4343), ==, 0);
    g_assert_true(cv_learned_store_append(f->dir, "b", &o, &error));
    g_assert_true(cv_learned_store_append(f->dir, "b", &o, &error));
    g_assert_no_error(error);
    g_assert_cmpint(g_stat(dir, &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 4242);
    g_assert_cmpuint(st.st_gid, ==, 4343);
    g_assert_cmpint(g_stat(file, &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 4242);
    g_assert_cmpuint(st.st_gid, ==, 4343);
    g_assert_cmpuint(st.st_mode & 0777, ==, 0640);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/learned-store/path", Fixture, NULL, fixture_set_up, test_path, fixture_tear_down);
    g_test_add("/learned-store/roundtrip", Fixture, NULL, fixture_set_up, test_roundtrip,
               fixture_tear_down);
    g_test_add("/learned-store/owner", Fixture, NULL, fixture_set_up, test_owner,
               fixture_tear_down);
    g_test_add("/learned-store/record-any", Fixture, NULL, fixture_set_up, test_record_any,
               fixture_tear_down);
    g_test_add("/learned-store/bounded", Fixture, NULL, fixture_set_up, test_bounded,
               fixture_tear_down);
    g_test_add("/learned-store/garbage-lines", Fixture, NULL, fixture_set_up, test_garbage_lines,
               fixture_tear_down);
    return g_test_run();
}
