/* The modes of every file and directory the daemon creates, under the umask systemd gives it
 * (UMask=0027), none at all (0000: a careless init script) and a strict one (0077: the
 * virt-converge group could no longer read what `virt-converge history/list` need). The modes
 * are the ones virt-converged.service and cv-state-store.h/cv-runtime-doc.h/cv-history.h
 * promise: directories 0750, records, history and runtime documents 0640 (the virt-converge
 * group reads them), the node_exporter metrics file 0644, whatever the umask; the lock file
 * (read by daemons only) 0640 less the umask. Nothing is ever world-writable. */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-history.h"
#include "cv-metrics.h"
#include "cv-runtime-doc.h"
#include "cv-state-paths.h"
#include "cv-state-record.h"
#include "cv-state-store.h"
#include "cv-test-fs.h"

#define ID_A "5b0f3c4e-6a2d-4b1e-9c8f-7d6e5a4b3c2d"
#define ID_B "6c1a4d5f-7b3e-4c2f-8d9a-8e7f6b5c4d3e"

typedef struct {
    const gchar *name;
    mode_t umask;
} UmaskRow;

static const UmaskRow umask_rows[] = {
    {"unit-0027", 0027},
    {"none-0000", 0000},
    {"strict-0077", 0077},
};

static void
assert_mode(const gchar *path, guint expected)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        g_error("%s: %s", path, g_strerror(errno));
    if ((st.st_mode & 07777) != expected)
        g_error("%s: mode %04o, expected %04o", path, st.st_mode & 07777, expected);
    g_assert_cmpuint(st.st_mode & S_IWOTH, ==, 0);
}

static CvStateRecord *
make_record(const gchar *id)
{
    CvStateRecord *r = cv_state_record_new();

    r->migration_id = g_strdup(id);
    r->uri = g_strdup("qemu:///system");
    r->domain = g_strdup("vm-a");
    r->policy = g_strdup("default");
    r->daemon_pid = (guint32)getpid();
    r->created_us = g_get_real_time();
    r->updated_us = r->created_us;
    cv_field_set(&r->params[CV_STATE_PARAM_DOWNTIME_LIMIT].original, 300);
    return r;
}

static void
test_modes(gconstpointer data)
{
    const UmaskRow *row = data;
    g_autofree gchar *tmp = cv_test_fs_make_tmpdir();
    g_autofree gchar *state_dir = g_build_filename(tmp, "state", NULL);
    g_autofree gchar *runtime_dir = g_build_filename(tmp, "runtime", NULL);
    g_autofree gchar *migrations = g_build_filename(state_dir, CV_STATE_MIGRATIONS_DIR, NULL);
    g_autofree gchar *quarantine = g_build_filename(state_dir, CV_STATE_QUARANTINE_DIR, NULL);
    g_autofree gchar *lock = g_build_filename(state_dir, CV_STATE_LOCK_FILE, NULL);
    g_autofree gchar *bad = NULL;
    g_autofree gchar *padding = NULL;
    g_autofree gchar *record_path = NULL;
    g_autofree gchar *history_path = g_build_filename(state_dir, "history.jsonl", NULL);
    g_autofree gchar *rotated = g_build_filename(state_dir, "history.jsonl.1", NULL);
    g_autofree gchar *doc_dir = g_build_filename(runtime_dir, "migrations", NULL);
    g_autofree gchar *doc = g_build_filename(doc_dir, ID_A ".json", NULL);
    g_autofree gchar *metrics_path = g_build_filename(runtime_dir, "virt-converged.prom", NULL);
    g_autoptr(CvStateStore) store = NULL;
    g_autoptr(CvStateRecord) record = make_record(ID_A);
    g_autoptr(CvHistory) history = NULL;
    g_autoptr(CvMetrics) metrics = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GPtrArray) problems = NULL;
    g_autoptr(GError) error = NULL;
    const CvStateProblem *problem;
    CvRuntimeStatus status = {
        .migration_id = ID_A,
        .uri = "qemu:///system",
        .domain = "vm-a",
        .policy = "default",
        .state = "tuning",
        .started_us = 1741082400000000,
        .updated_us = 1741082401000000,
    };
    mode_t old = umask(row->umask);

    /* state: the store's directories, its lock, a record, a quarantined file */
    store = cv_state_store_open(state_dir, &error);
    g_assert_no_error(error);
    assert_mode(migrations, 0750);
    g_assert_true(cv_state_store_lock(store, &error));
    g_assert_no_error(error);
    /* only daemons read the lock (the pid holding it): the umask may narrow it */
    assert_mode(lock, 0640 & ~row->umask);
    g_assert_true(cv_state_store_save(store, record, &error));
    g_assert_no_error(error);
    record_path = cv_state_store_path_for(store, ID_A);
    assert_mode(record_path, 0640);
    /* saved again: the replacement (a new file renamed over the old) has the same mode */
    record->updated_us++;
    g_assert_true(cv_state_store_save(store, record, &error));
    g_assert_no_error(error);
    assert_mode(record_path, 0640);
    bad = cv_state_store_path_for(store, ID_B);
    g_assert_true(g_file_set_contents(bad, "{\"format\":\"virt-conv", -1, NULL));
    g_assert_cmpint(g_chmod(bad, 0640), ==, 0);
    records = cv_state_store_load(store, &problems, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(records->len, ==, 1);
    g_assert_cmpuint(problems->len, ==, 1);
    problem = g_ptr_array_index(problems, 0);
    g_assert_nonnull(problem->quarantined_to);
    assert_mode(quarantine, 0750);
    assert_mode(problem->quarantined_to, 0640);

    /* the history, and the file it is rotated into */
    /* the smallest bound (one line's maximum): six lines of 4 KiB rotate once */
    history = cv_history_new(state_dir, CV_HISTORY_MAX_LINE, 2);
    padding = g_strnfill(4000, '.');
    for (guint i = 0; i < 6; i++) {
        CvHistoryHeader header = {.time_us = status.started_us + i, .event = "daemon"};
        g_autoptr(JsonBuilder) b = cv_history_begin(&header);

        json_builder_set_member_name(b, "padding");
        json_builder_add_string_value(b, padding);
        g_assert_true(cv_history_append(history, b, &error));
        g_assert_no_error(error);
    }
    assert_mode(history_path, 0640);
    assert_mode(rotated, 0640);

    /* runtime: the per-migration document and its directory; the metrics file */
    g_assert_true(cv_runtime_doc_write(runtime_dir, &status, &error));
    g_assert_no_error(error);
    assert_mode(doc_dir, 0750);
    assert_mode(doc, 0640);
    status.updated_us++;
    g_assert_true(cv_runtime_doc_write(runtime_dir, &status, &error));
    g_assert_no_error(error);
    assert_mode(doc, 0640);
    metrics = cv_metrics_new();
    g_assert_true(cv_metrics_write(metrics, metrics_path, &error));
    g_assert_no_error(error);
    assert_mode(metrics_path, 0644);

    umask(old);
    g_clear_pointer(&store, cv_state_store_free);
    cv_test_fs_rm_rf(tmp);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(umask_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/file-modes/umask/%s", umask_rows[i].name);
        g_test_add_data_func(path, &umask_rows[i], test_modes);
    }
    return g_test_run();
}
