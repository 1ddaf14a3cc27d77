/* The directory of crash-safe records, over real files: save/replace/remove, the file modes,
 * what a restart finds (truncated, corrupt, oversized, misnamed, symlinked, newer-version
 * records, leftover temporary files) and what becomes of it, the lock against a second
 * daemon, and a read-only, unwritable or full file system (real tmpfs in a private mount
 * namespace where the kernel allows it). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-state-paths.h"
#include "cv-state-store.h"
#include "cv-test-fs.h"

#define ID_A "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define ID_B "1b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
#define ID_C "2b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"

typedef struct {
    gchar *dir;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    f->dir = cv_test_fs_make_tmpdir();
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    if (g_test_subprocess())
        cv_test_fs_unmount(f->dir);
    cv_test_fs_rm_rf(f->dir);
    g_free(f->dir);
}

static CvStateRecord *
make_record(const gchar *id, const gchar *domain, guint64 limit)
{
    CvStateRecord *r = cv_state_record_new();

    r->migration_id = g_strdup(id);
    r->uri = g_strdup("qemu:///system");
    r->domain = g_strdup(domain);
    r->policy = g_strdup("default");
    r->daemon_pid = (guint32)getpid();
    r->created_us = g_get_real_time();
    r->updated_us = r->created_us;
    cv_field_set(&r->params[CV_STATE_PARAM_DOWNTIME_LIMIT].original, 300);
    if (limit != 0)
        cv_state_record_add_ours(r, CV_STATE_PARAM_DOWNTIME_LIMIT, limit);
    return r;
}

static CvStateStore *
open_store(const gchar *dir)
{
    g_autoptr(GError) error = NULL;
    CvStateStore *store = cv_state_store_open(dir, &error);

    g_assert_no_error(error);
    g_assert_nonnull(store);
    return store;
}

static void
save_ok(CvStateStore *store, const CvStateRecord *r)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(cv_state_store_save(store, r, &error));
    g_assert_no_error(error);
}

static GPtrArray *
load_ok(CvStateStore *store, GPtrArray **problems)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *records = cv_state_store_load(store, problems, &error);

    g_assert_no_error(error);
    g_assert_nonnull(records);
    g_assert_nonnull(*problems);
    return records;
}

static guint
count_entries(const gchar *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d != NULL && g_dir_read_name(d) != NULL)
        n++;
    return n;
}

static void
write_file(const gchar *path, const gchar *data, gssize len)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, data, len, &error));
    g_assert_no_error(error);
}

static void
test_roundtrip(Fixture *f, gconstpointer data)
{
    g_autoptr(CvStateStore) store = open_store(f->dir);
    g_autoptr(CvStateRecord) a = make_record(ID_A, "vm-a", 1100);
    g_autoptr(CvStateRecord) b = make_record(ID_B, "vm-b", 0);
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autofree gchar *path = cv_state_store_path_for(store, ID_A);
    g_autofree gchar *mdir = g_build_filename(f->dir, CV_STATE_MIGRATIONS_DIR, NULL);
    struct stat st;

    g_assert_cmpstr(cv_state_store_get_dir(store), ==, mdir);
    g_assert_cmpint(stat(mdir, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0750);
    save_ok(store, b);
    save_ok(store, a);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0640);
    /* nothing but the two records: no temporary file left behind */
    g_assert_cmpuint(count_entries(mdir), ==, 2);

    records = load_ok(store, &problems);
    g_assert_cmpuint(problems->len, ==, 0);
    g_assert_cmpuint(records->len, ==, 2);
    g_assert_cmpstr(((CvStateRecord *)records->pdata[0])->migration_id, ==, ID_A);
    g_assert_cmpstr(((CvStateRecord *)records->pdata[0])->domain, ==, "vm-a");
    g_assert_true(cv_state_record_is_ours(records->pdata[0], CV_STATE_PARAM_DOWNTIME_LIMIT, 1100));
    g_assert_cmpstr(((CvStateRecord *)records->pdata[1])->migration_id, ==, ID_B);
}

static void
test_replace_and_remove(Fixture *f, gconstpointer data)
{
    g_autoptr(CvStateStore) store = open_store(f->dir);
    g_autoptr(CvStateRecord) a = make_record(ID_A, "vm-a", 1100);
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GError) error = NULL;

    save_ok(store, a);
    cv_state_record_add_ours(a, CV_STATE_PARAM_DOWNTIME_LIMIT, 2000);
    a->updated_us++;
    save_ok(store, a);
    records = load_ok(store, &problems);
    g_assert_cmpuint(records->len, ==, 1);
    g_assert_cmpuint(((CvStateRecord *)records->pdata[0])->params[0].n_ours, ==, 2);

    g_assert_true(cv_state_store_remove(store, ID_A, &error));
    g_assert_no_error(error);
    /* removing twice (a second end event) is fine */
    g_assert_true(cv_state_store_remove(store, ID_A, &error));
    g_assert_no_error(error);
    g_clear_pointer(&records, g_ptr_array_unref);
    g_clear_pointer(&problems, g_ptr_array_unref);
    records = load_ok(store, &problems);
    g_assert_cmpuint(records->len, ==, 0);
    g_assert_cmpuint(problems->len, ==, 0);
}

/* What a restart finds: each bad file is reported with what is wrong, the known-bad ones are
 * quarantined, nothing bad is trusted, the good record next to them is. */
typedef struct {
    const gchar *name;
    const gchar *file; /* under migrations/ */
    void (*make)(const gchar *path, const gchar *good_text);
    gint code;
    const gchar *message; /* substring, after "PATH: " */
    gboolean quarantined;
} BadFileRow;

static void
make_truncated(const gchar *path, const gchar *good)
{
    write_file(path, good, (gssize)strlen(good) / 2);
}

static void
make_empty(const gchar *path, const gchar *good)
{
    write_file(path, "", 0);
}

static void
make_flipped(const gchar *path, const gchar *good)
{
    g_autofree gchar *copy = g_strdup(good);
    gchar *p = strstr(copy, "\"original\":300");

    p[strlen("\"original\":")] = '9'; /* 900: a plausible number, but not what was written */
    write_file(path, copy, -1);
}

static void
make_oversized(const gchar *path, const gchar *good)
{
    gsize len = 1024 * 1024;
    g_autofree gchar *big = g_malloc(len);

    memset(big, '{', len);
    write_file(path, big, (gssize)len);
}

static void
make_newer(const gchar *path, const gchar *good)
{
    const gchar *marker = g_strrstr(good, ",\"sha256\":\"");
    g_autoptr(GString) body = g_string_new_len(good, marker - good);
    g_autofree gchar *sum = NULL;
    g_autofree gchar *text = NULL;

    g_string_replace(body, "\"version\":1", "\"version\":2", 1);
    sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)body->str, body->len);
    text = g_strdup_printf("%s,\"sha256\":\"%s\"}\n", body->str, sum);
    write_file(path, text, -1);
}

static void
make_copy(const gchar *path, const gchar *good)
{
    write_file(path, good, -1);
}

static void
make_symlink(const gchar *path, const gchar *good)
{
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_autofree gchar *target = g_build_filename(dir, "..", "elsewhere.json", NULL);

    write_file(target, good, -1);
    g_assert_cmpint(symlink(target, path), ==, 0);
}

static void
make_directory(const gchar *path, const gchar *good)
{
    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
}

static const BadFileRow bad_rows[] = {
    {"truncated", ID_B ".json", make_truncated, CV_STATE_ERROR_TRUNCATED,
     "ends before its checksum", TRUE},
    {"empty", ID_B ".json", make_empty, CV_STATE_ERROR_TRUNCATED, "empty", TRUE},
    {"altered", ID_B ".json", make_flipped, CV_STATE_ERROR_CORRUPT, "checksum mismatch", TRUE},
    {"oversized", ID_B ".json", make_oversized, CV_STATE_ERROR_TOO_LARGE,
     "1048576 bytes, more than the 65536 a valid one can have", TRUE},
    /* a copy of A's record under B's name: the id inside does not match */
    {"renamed", ID_B ".json", make_copy, CV_STATE_ERROR_INVALID, "does not match the file name",
     TRUE},
    {"not-a-uuid-name", "vm-a.json", make_copy, CV_STATE_ERROR_INVALID,
     "not named MIGRATION-ID.json", TRUE},
    {"symlink", ID_B ".json", make_symlink, CV_STATE_ERROR_INVALID,
     "a symbolic link, not a regular file", TRUE},
    {"directory", ID_B ".json", make_directory, CV_STATE_ERROR_INVALID, "not a regular file", TRUE},
    /* sound, but from a newer daemon: reported and left alone, never read */
    {"newer-version", ID_B ".json", make_newer, CV_STATE_ERROR_VERSION,
     "version 2: this daemon reads version 1 only", FALSE},
};

static void
test_bad_file(Fixture *f, gconstpointer data)
{
    const BadFileRow *row = data;
    g_autoptr(CvStateStore) store = open_store(f->dir);
    g_autoptr(CvStateRecord) a = make_record(ID_A, "vm-a", 1100);
    g_autoptr(CvStateRecord) b = make_record(ID_B, "vm-b", 1100);
    g_autofree gchar *good = cv_state_record_serialize(row->make == make_copy ? a : b, NULL, NULL);
    g_autofree gchar *path = g_build_filename(cv_state_store_get_dir(store), row->file, NULL);
    g_autofree gchar *qdir = g_build_filename(f->dir, CV_STATE_QUARANTINE_DIR, NULL);
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GPtrArray) again = NULL;
    g_autoptr(GPtrArray) problems_again = NULL;
    const CvStateProblem *p;

    save_ok(store, a);
    row->make(path, good);
    records = load_ok(store, &problems);

    /* the good record is still trusted, the bad file never */
    g_assert_cmpuint(records->len, ==, 1);
    g_assert_cmpstr(((CvStateRecord *)records->pdata[0])->migration_id, ==, ID_A);
    g_assert_cmpuint(problems->len, ==, 1);
    p = problems->pdata[0];
    g_assert_cmpstr(p->path, ==, path);
    g_assert_cmpint(p->code, ==, row->code);
    g_assert_true(g_str_has_prefix(p->message, path));
    if (strstr(p->message, row->message) == NULL)
        g_error("'%s' does not say '%s'", p->message, row->message);
    if (row->quarantined) {
        g_assert_nonnull(p->quarantined_to);
        g_assert_null(p->quarantine_error);
        g_assert_true(g_str_has_prefix(p->quarantined_to, qdir));
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
        g_assert_true(g_file_test(p->quarantined_to, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
    } else {
        g_assert_null(p->quarantined_to);
        g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    }

    /* the next start: a quarantined file is gone for good, a newer one is reported again */
    again = load_ok(store, &problems_again);
    g_assert_cmpuint(again->len, ==, 1);
    g_assert_cmpuint(problems_again->len, ==, row->quarantined ? 0 : 1);
}

static void
test_quarantine_keeps_every_copy(Fixture *f, gconstpointer data)
{
    g_autoptr(CvStateStore) store = open_store(f->dir);
    g_autofree gchar *path = cv_state_store_path_for(store, ID_B);
    g_autofree gchar *qdir = g_build_filename(f->dir, CV_STATE_QUARANTINE_DIR, NULL);

    /* the same name twice within a second: the second must not replace the first */
    for (guint i = 0; i < 3; i++) {
        g_autoptr(GPtrArray) problems = NULL;
        g_autoptr(GPtrArray) records = NULL;
        g_autofree gchar *junk = g_strdup_printf("junk %u", i);

        write_file(path, junk, -1);
        records = load_ok(store, &problems);
        g_assert_cmpuint(problems->len, ==, 1);
        g_assert_nonnull(((CvStateProblem *)problems->pdata[0])->quarantined_to);
    }
    g_assert_cmpuint(count_entries(qdir), ==, 3);
}

static void
test_leftover_temp_removed(Fixture *f, gconstpointer data)
{
    g_autoptr(CvStateStore) store = open_store(f->dir);
    g_autofree gchar *tmp =
        g_build_filename(cv_state_store_get_dir(store), "." ID_A ".json.Ab3xYz", NULL);
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) records = NULL;

    write_file(tmp, "{\"format\":\"virt-conv", -1);
    records = load_ok(store, &problems);
    g_assert_cmpuint(records->len, ==, 0);
    g_assert_cmpuint(problems->len, ==, 0);
    g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
}

/* The quarantine cannot be created (a file is in its way): the record is still not trusted,
 * stays where it is, and the problem says why it was not moved. */
static void
test_quarantine_impossible(Fixture *f, gconstpointer data)
{
    g_autoptr(CvStateStore) store = open_store(f->dir);
    g_autofree gchar *path = cv_state_store_path_for(store, ID_B);
    g_autofree gchar *qdir = g_build_filename(f->dir, CV_STATE_QUARANTINE_DIR, NULL);
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) records = NULL;
    const CvStateProblem *p;

    write_file(qdir, "not a directory", -1);
    write_file(path, "garbage", -1);
    records = load_ok(store, &problems);
    g_assert_cmpuint(records->len, ==, 0);
    g_assert_cmpuint(problems->len, ==, 1);
    p = problems->pdata[0];
    g_assert_null(p->quarantined_to);
    g_assert_nonnull(p->quarantine_error);
    g_test_message("quarantine error: %s", p->quarantine_error);
    g_assert_true(g_str_has_prefix(p->quarantine_error, qdir));
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
}

static void
test_lock(Fixture *f, gconstpointer data)
{
    g_autoptr(CvStateStore) first = open_store(f->dir);
    g_autoptr(CvStateStore) second = open_store(f->dir);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *expected = NULL;

    g_assert_true(cv_state_store_lock(first, &error));
    g_assert_no_error(error);
    /* flock is per open file: a second open in the same process conflicts, like a second
     * daemon would */
    g_assert_false(cv_state_store_lock(second, &error));
    g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_LOCKED);
    expected = g_strdup_printf("another virt-converged (pid %d) uses this state directory",
                               (gint)getpid());
    g_assert_nonnull(strstr(error->message, expected));
    g_clear_error(&error);
    g_clear_pointer(&first, cv_state_store_free);
    g_assert_true(cv_state_store_lock(second, &error));
    g_assert_no_error(error);
}

static void
test_open_not_a_directory(Fixture *f, gconstpointer data)
{
    g_autofree gchar *mdir = g_build_filename(f->dir, CV_STATE_MIGRATIONS_DIR, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvStateStore) store = NULL;

    write_file(mdir, "", 0);
    store = cv_state_store_open(f->dir, &error);
    g_assert_null(store);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, mdir));
}

/* ---- file-system faults, in subprocesses ---- */

static gboolean
skip_without_tmpfs(void)
{
    g_autofree gchar *why = NULL;

    if (cv_test_fs_can_mount_tmpfs(&why))
        return FALSE;
    {
        g_autofree gchar *msg = g_strdup_printf("no private tmpfs here (%s)", why);
        g_test_skip(msg);
    }
    return TRUE;
}

static void
assert_only_record(CvStateStore *store, guint64 expected_limit)
{
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GPtrArray) records = load_ok(store, &problems);
    const CvStateRecord *r;

    g_assert_cmpuint(problems->len, ==, 0);
    g_assert_cmpuint(records->len, ==, 1);
    r = records->pdata[0];
    g_assert_cmpuint(r->params[CV_STATE_PARAM_DOWNTIME_LIMIT].ours[r->params[0].n_ours - 1], ==,
                     expected_limit);
    /* and no temporary file beside it */
    g_assert_cmpuint(count_entries(cv_state_store_get_dir(store)), ==, 1);
}

/* A full disk: the new version cannot be written; the old one is intact and still loads. */
static void
test_full(Fixture *f, gconstpointer data)
{
    if (g_test_subprocess()) {
        g_autoptr(CvStateStore) store = NULL;
        g_autoptr(CvStateRecord) a = make_record(ID_A, "vm-a", 1100);
        g_autoptr(CvStateRecord) big = make_record(ID_A, "vm-a", 1100);
        g_autoptr(GError) error = NULL;

        cv_test_fs_mount_tmpfs(f->dir, 64);
        store = open_store(f->dir);
        save_ok(store, a);
        cv_test_fs_fill(f->dir);
        for (guint i = 0; i < CV_STATE_RECORD_MAX_OURS; i++)
            cv_state_record_add_ours(big, CV_STATE_PARAM_DOWNTIME_LIMIT, 5000 + i);
        g_assert_false(cv_state_store_save(store, big, &error));
        g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_NO_SPACE);
        g_assert_nonnull(strstr(error->message, "No space left on device"));
        assert_only_record(store, 1100);
        return;
    }
    if (skip_without_tmpfs())
        return;
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

/* A read-only file system: saving and removing fail with READ_ONLY, loading still works, a
 * bad record that cannot be quarantined is still not trusted. */
static void
test_read_only(Fixture *f, gconstpointer data)
{
    if (g_test_subprocess()) {
        g_autoptr(CvStateStore) store = NULL;
        g_autoptr(CvStateRecord) a = make_record(ID_A, "vm-a", 1100);
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) problems = NULL;
        g_autoptr(GPtrArray) records = NULL;
        g_autofree gchar *bad = NULL;

        cv_test_fs_mount_tmpfs(f->dir, 256);
        store = open_store(f->dir);
        save_ok(store, a);
        bad = cv_state_store_path_for(store, ID_C);
        write_file(bad, "{\"truncated", -1);
        cv_test_fs_remount_ro(f->dir);

        cv_state_record_add_ours(a, CV_STATE_PARAM_DOWNTIME_LIMIT, 2000);
        g_assert_false(cv_state_store_save(store, a, &error));
        g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_READ_ONLY);
        g_clear_error(&error);
        g_assert_false(cv_state_store_remove(store, ID_A, &error));
        g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_READ_ONLY);

        records = load_ok(store, &problems);
        g_assert_cmpuint(records->len, ==, 1);
        g_assert_cmpuint(problems->len, ==, 1);
        g_assert_cmpint(((CvStateProblem *)problems->pdata[0])->code, ==, CV_STATE_ERROR_TRUNCATED);
        g_assert_null(((CvStateProblem *)problems->pdata[0])->quarantined_to);
        g_assert_nonnull(
            strstr(((CvStateProblem *)problems->pdata[0])->quarantine_error, "Read-only"));
        return;
    }
    if (skip_without_tmpfs())
        return;
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

/* A directory the daemon may not write (wrong owner or mode): PERMISSION, old record intact.
 * Root ignores mode bits, so as root the subprocess becomes nobody first. */
static void
test_permission(Fixture *f, gconstpointer data)
{
    if (g_test_subprocess()) {
        g_autoptr(CvStateStore) store = NULL;
        g_autoptr(CvStateRecord) a = make_record(ID_A, "vm-a", 1100);
        g_autoptr(GError) error = NULL;
        g_autofree gchar *mdir = g_build_filename(f->dir, CV_STATE_MIGRATIONS_DIR, NULL);

        cv_test_fs_drop_to_nobody(f->dir, 0700);
        store = open_store(f->dir);
        save_ok(store, a);
        g_assert_cmpint(chmod(mdir, 0500), ==, 0);
        cv_state_record_add_ours(a, CV_STATE_PARAM_DOWNTIME_LIMIT, 2000);
        g_assert_false(cv_state_store_save(store, a, &error));
        g_assert_error(error, CV_STATE_ERROR, CV_STATE_ERROR_PERMISSION);
        g_assert_nonnull(strstr(error->message, "Permission denied"));
        assert_only_record(store, 1100);
        g_assert_cmpint(chmod(mdir, 0700), ==, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static void
add(const gchar *path, gconstpointer data, void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(path, Fixture, data, fixture_set_up, fn, fixture_tear_down);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add("/state-store/roundtrip", NULL, test_roundtrip);
    add("/state-store/replace-and-remove", NULL, test_replace_and_remove);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/state-store/load/%s", bad_rows[i].name);
        add(path, &bad_rows[i], test_bad_file);
    }
    add("/state-store/load/quarantine-keeps-every-copy", NULL, test_quarantine_keeps_every_copy);
    add("/state-store/load/leftover-temp-removed", NULL, test_leftover_temp_removed);
    add("/state-store/load/quarantine-impossible", NULL, test_quarantine_impossible);
    add("/state-store/lock", NULL, test_lock);
    add("/state-store/open-not-a-directory", NULL, test_open_not_a_directory);
    add("/state-store/fault/full", NULL, test_full);
    add("/state-store/fault/read-only", NULL, test_read_only);
    add("/state-store/fault/permission", NULL, test_permission);
    return g_test_run();
}
