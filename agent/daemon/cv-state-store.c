#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cv-atomic-file.h"
#include "cv-state-paths.h"
#include "cv-state-store.h"

#define RECORD_SUFFIX ".json"
#define DIR_MODE 0750
#define RECORD_MODE 0640

struct _CvStateStore {
    gchar *state_dir;
    gchar *dir; /* STATE_DIR/migrations */
    gint lock_fd;
};

void
cv_state_problem_free(CvStateProblem *problem)
{
    if (problem == NULL)
        return;
    g_free(problem->path);
    g_free(problem->message);
    g_free(problem->quarantined_to);
    g_free(problem->quarantine_error);
    g_free(problem);
}

static gboolean
ensure_dir(const gchar *path, GError **error)
{
    struct stat st;

    if (!cv_atomic_file_make_dir(path, DIR_MODE, error))
        return FALSE;
    if (stat(path, &st) < 0) {
        cv_state_set_error_from_errno(error, errno, path, NULL);
        return FALSE;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID, "%s: not a directory", path);
        return FALSE;
    }
    return TRUE;
}

CvStateStore *
cv_state_store_open(const gchar *state_dir, GError **error)
{
    g_autofree gchar *dir = NULL;
    CvStateStore *store;

    g_return_val_if_fail(state_dir != NULL, NULL);
    dir = g_build_filename(state_dir, CV_STATE_MIGRATIONS_DIR, NULL);
    if (!ensure_dir(dir, error))
        return NULL;
    store = g_new0(CvStateStore, 1);
    store->state_dir = g_strdup(state_dir);
    store->dir = g_steal_pointer(&dir);
    store->lock_fd = -1;
    return store;
}

void
cv_state_store_free(CvStateStore *store)
{
    if (store == NULL)
        return;
    if (store->lock_fd >= 0)
        close(store->lock_fd);
    g_free(store->state_dir);
    g_free(store->dir);
    g_free(store);
}

const gchar *
cv_state_store_get_dir(const CvStateStore *store)
{
    g_return_val_if_fail(store != NULL, NULL);
    return store->dir;
}

gchar *
cv_state_store_path_for(const CvStateStore *store, const gchar *migration_id)
{
    g_autofree gchar *name = g_strconcat(migration_id, RECORD_SUFFIX, NULL);

    return g_build_filename(store->dir, name, NULL);
}

gboolean
cv_state_store_lock(CvStateStore *store, GError **error)
{
    g_autofree gchar *path = g_build_filename(store->state_dir, CV_STATE_LOCK_FILE, NULL);
    g_autofree gchar *pid = NULL;
    gint fd;

    g_return_val_if_fail(store->lock_fd < 0, FALSE);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        cv_state_set_error_from_errno(error, errno, path, "cannot open the lock file");
        return FALSE;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        gint errsv = errno;
        gchar buf[32] = {0};
        gssize n = pread(fd, buf, sizeof(buf) - 1, 0);

        close(fd);
        if (errsv == EWOULDBLOCK) {
            g_strstrip(buf);
            g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_LOCKED,
                        "%s: another virt-converged (pid %s) uses this state directory", path,
                        n > 0 && buf[0] != '\0' ? buf : "unknown");
            return FALSE;
        }
        cv_state_set_error_from_errno(error, errsv, path, "cannot lock");
        return FALSE;
    }
    /* The pid is for the message above only: the lock is the flock, gone with the process. */
    pid = g_strdup_printf("%d\n", (gint)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
        g_debug("%s: cannot record our pid: %s", path, g_strerror(errno));
    store->lock_fd = fd;
    return TRUE;
}

gboolean
cv_state_store_save(CvStateStore *store, const CvStateRecord *record, GError **error)
{
    g_autofree gchar *text = NULL;
    g_autofree gchar *path = NULL;
    gsize len = 0;

    g_return_val_if_fail(store != NULL, FALSE);
    g_return_val_if_fail(record != NULL, FALSE);
    text = cv_state_record_serialize(record, &len, error);
    if (text == NULL)
        return FALSE;
    path = cv_state_store_path_for(store, record->migration_id);
    return cv_atomic_file_replace(path, text, len, RECORD_MODE, CV_ATOMIC_FILE_DURABLE, error);
}

gboolean
cv_state_store_remove(CvStateStore *store, const gchar *migration_id, GError **error)
{
    g_autofree gchar *path = NULL;

    g_return_val_if_fail(store != NULL, FALSE);
    g_return_val_if_fail(migration_id != NULL && g_uuid_string_is_valid(migration_id), FALSE);
    path = cv_state_store_path_for(store, migration_id);
    return cv_atomic_file_remove(path, CV_ATOMIC_FILE_DURABLE, error);
}

/* ".ID.json.XXXXXX": the temporary file of a write that never reached its rename. */
static gboolean
is_leftover_temp(const gchar *name)
{
    const gchar *suffix = strstr(name, RECORD_SUFFIX ".");

    return name[0] == '.' && suffix != NULL && strlen(suffix) == strlen(RECORD_SUFFIX) + 7;
}

static void
quarantine(CvStateStore *store, CvStateProblem *problem)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree gchar *qdir = g_build_filename(store->state_dir, CV_STATE_QUARANTINE_DIR, NULL);
    g_autofree gchar *base = g_path_get_basename(problem->path);
    g_autofree gchar *stamp = g_date_time_format(now, "%Y%m%dT%H%M%S");
    g_autofree gchar *target = NULL;

    if (!ensure_dir(qdir, &error)) {
        problem->quarantine_error = g_strdup(error->message);
        return;
    }
    /* Never overwrite an earlier quarantined file: it may be the only copy. */
    for (guint i = 0; i < 1000; i++) {
        g_free(target);
        target = i == 0 ? g_strdup_printf("%s/%s.%s", qdir, base, stamp)
                        : g_strdup_printf("%s/%s.%s.%u", qdir, base, stamp, i);
        if (!g_file_test(target, G_FILE_TEST_EXISTS))
            break;
    }
    if (rename(problem->path, target) < 0) {
        problem->quarantine_error =
            g_strdup_printf("cannot move it to %s: %s", target, g_strerror(errno));
        return;
    }
    if (!cv_atomic_file_sync_dir(store->dir, &error) || !cv_atomic_file_sync_dir(qdir, &error))
        g_debug("quarantine: %s", error->message);
    problem->quarantined_to = g_steal_pointer(&target);
}

static gint
compare_records(gconstpointer a, gconstpointer b)
{
    const CvStateRecord *ra = *(CvStateRecord *const *)a;
    const CvStateRecord *rb = *(CvStateRecord *const *)b;

    return strcmp(ra->migration_id, rb->migration_id);
}

GPtrArray *
cv_state_store_load(CvStateStore *store, GPtrArray **problems, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) records =
        g_ptr_array_new_with_free_func((GDestroyNotify)cv_state_record_free);
    g_autoptr(GPtrArray) found =
        g_ptr_array_new_with_free_func((GDestroyNotify)cv_state_problem_free);
    const gchar *name;

    g_return_val_if_fail(store != NULL, NULL);
    g_return_val_if_fail(problems != NULL, NULL);
    dir = g_dir_open(store->dir, 0, &local_error);
    if (dir == NULL) {
        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_IO, "%s", local_error->message);
        return NULL;
    }
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *path = g_build_filename(store->dir, name, NULL);
        g_autofree gchar *id = NULL;
        g_autofree gchar *data = NULL;
        g_autoptr(CvStateRecord) record = NULL;
        g_autoptr(GError) read_error = NULL;
        CvStateProblem *problem;
        gsize len = 0;

        if (is_leftover_temp(name)) {
            if (g_unlink(path) < 0)
                g_debug("%s: cannot remove a leftover temporary file: %s", path, g_strerror(errno));
            continue;
        }
        if (g_str_has_suffix(name, RECORD_SUFFIX))
            id = g_strndup(name, strlen(name) - strlen(RECORD_SUFFIX));
        if (id == NULL || !g_uuid_string_is_valid(id)) {
            g_set_error(&read_error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                        "not named MIGRATION-ID.json");
        } else if (cv_atomic_file_read_bounded(path, CV_STATE_RECORD_MAX_SIZE, &data, &len,
                                               &read_error)) {
            record = cv_state_record_parse(data, len, id, &read_error);
        }
        if (record != NULL) {
            g_ptr_array_add(records, g_steal_pointer(&record));
            continue;
        }
        /* removed since the directory was listed: nothing to distrust */
        if (g_error_matches(read_error, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND))
            continue;
        problem = g_new0(CvStateProblem, 1);
        problem->path = g_strdup(path);
        problem->code = (CvStateErrorCode)read_error->code;
        problem->message = g_str_has_prefix(read_error->message, path)
                               ? g_strdup(read_error->message)
                               : g_strdup_printf("%s: %s", path, read_error->message);
        g_ptr_array_add(found, problem);
        /* A record of a newer version is sound, just not ours to read; an unreadable file
         * (permissions, I/O) may be fine tomorrow. Only what is known bad is moved. */
        switch (problem->code) {
        case CV_STATE_ERROR_TOO_LARGE:
        case CV_STATE_ERROR_TRUNCATED:
        case CV_STATE_ERROR_CORRUPT:
        case CV_STATE_ERROR_INVALID:
            quarantine(store, problem);
            break;
        case CV_STATE_ERROR_VERSION:
        case CV_STATE_ERROR_FAILED:
        case CV_STATE_ERROR_IO:
        case CV_STATE_ERROR_NO_SPACE:
        case CV_STATE_ERROR_READ_ONLY:
        case CV_STATE_ERROR_PERMISSION:
        case CV_STATE_ERROR_NOT_FOUND:
        case CV_STATE_ERROR_LOCKED:
        default:
            break;
        }
    }
    g_ptr_array_sort(records, compare_records);
    *problems = g_steal_pointer(&found);
    return g_steal_pointer(&records);
}
