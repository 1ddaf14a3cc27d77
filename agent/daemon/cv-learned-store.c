#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cv-atomic-file.h"
#include "cv-learned-store.h"
#include "cv-state-error.h"

/* CV_LEARNED_WINDOW_MAX lines of well under 200 bytes each */
#define STORE_MAX_SIZE (64 * 1024)

gchar *
cv_learned_store_path(const gchar *state_dir, const gchar *destination, GError **error)
{
    g_autoptr(GString) name = g_string_new(NULL);
    g_autofree gchar *file = NULL;

    g_return_val_if_fail(state_dir != NULL, NULL);
    if (destination == NULL || *destination == '\0') {
        g_set_error_literal(error, CV_STATE_ERROR, CV_STATE_ERROR_INVALID,
                            "no destination to learn the link of");
        return NULL;
    }
    for (const guchar *p = (const guchar *)destination; *p != '\0'; p++) {
        if (g_ascii_isalnum(*p) || *p == '-' || *p == '_' ||
            (*p == '.' && p != (const guchar *)destination))
            g_string_append_c(name, (gchar)*p);
        else
            g_string_append_printf(name, "%%%02X", *p);
    }
    file = g_strconcat(name->str, ".jsonl", NULL);
    return g_build_filename(state_dir, CV_STATE_LEARNED_DIR, file, NULL);
}

/* A member that is a non-negative integer; json-glib would read a string or a double as 0 and
 * wrap huge integers to negative values. */
static gboolean
read_u64(JsonObject *o, const gchar *name, guint64 *value)
{
    JsonNode *n = json_object_get_member(o, name);
    gint64 v;

    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return FALSE;
    v = json_node_get_int(n);
    if (v < 0)
        return FALSE;
    *value = (guint64)v;
    return TRUE;
}

static gboolean
parse_line(const gchar *line, CvLearnedObservation *obs)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;
    JsonObject *o;
    guint64 t = 0;

    if (!json_parser_load_from_data(parser, line, -1, NULL))
        return FALSE;
    root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return FALSE;
    o = json_node_get_object(root);
    memset(obs, 0, sizeof(*obs));
    if (!read_u64(o, "time-ms", &t) || t > G_MAXINT64 ||
        !read_u64(o, "blackout-bytes", &obs->blackout_bytes) ||
        !read_u64(o, "downtime-ms", &obs->downtime_ms))
        return FALSE;
    obs->time_ms = (gint64)t;
    /* optional: what QEMU and the policy said, for the history */
    if (json_object_has_member(o, "qemu-rate") && !read_u64(o, "qemu-rate", &obs->qemu_rate))
        return FALSE;
    if (json_object_has_member(o, "stated-rate") && !read_u64(o, "stated-rate", &obs->stated_rate))
        return FALSE;
    /* optional: a line without it is a blackout's (written before job windows existed) */
    if (json_object_has_member(o, "source")) {
        JsonNode *n = json_object_get_member(o, "source");

        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING ||
            !cv_learned_source_from_string(json_node_get_string(n), &obs->source))
            return FALSE;
    }
    if (json_object_has_member(o, "domain")) {
        JsonNode *n = json_object_get_member(o, "domain");

        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
            return FALSE;
        cv_learned_observation_set_domain(obs, json_node_get_string(n));
    }
    return TRUE;
}

static GArray *
load_file(const gchar *path, guint *n_skipped, GError **error)
{
    g_autoptr(GArray) list = g_array_new(FALSE, TRUE, sizeof(CvLearnedObservation));
    g_autofree gchar *data = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    guint skipped = 0;

    if (!cv_atomic_file_read_bounded(path, STORE_MAX_SIZE, &data, &len, &local)) {
        if (!g_error_matches(local, CV_STATE_ERROR, CV_STATE_ERROR_NOT_FOUND)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
    } else {
        lines = g_strsplit(data, "\n", -1);
        for (guint i = 0; lines[i] != NULL; i++) {
            CvLearnedObservation obs;

            if (*g_strstrip(lines[i]) == '\0')
                continue;
            if (!parse_line(lines[i], &obs)) {
                skipped++;
                continue;
            }
            g_array_append_val(list, obs);
        }
    }
    if (n_skipped != NULL)
        *n_skipped = skipped;
    return g_steal_pointer(&list);
}

GArray *
cv_learned_store_load(const gchar *state_dir, const gchar *destination, guint *n_skipped,
                      GError **error)
{
    g_autofree gchar *path = cv_learned_store_path(state_dir, destination, error);

    if (path == NULL)
        return NULL;
    return load_file(path, n_skipped, error);
}

/* The CLI run as root records into the daemon's state directory: what it creates there must
 * belong to the directory's owner (the virt-converge user), or the daemon, which runs as that
 * user, could no longer write its own store. */
static gboolean
match_owner(const gchar *state_dir, const gchar *path, GError **error)
{
    GStatBuf st;

    if (geteuid() != 0 || g_stat(state_dir, &st) != 0 || (st.st_uid == 0 && st.st_gid == 0))
        return TRUE;
    if (chown(path, st.st_uid, st.st_gid) != 0) {
        int saved = errno;

        g_set_error(error, CV_STATE_ERROR, CV_STATE_ERROR_IO,
                    "%s: cannot give it to %s's owner: %s", path, state_dir, g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}

gboolean
cv_learned_store_append(const gchar *state_dir, const gchar *destination,
                        const CvLearnedObservation *observation, GError **error)
{
    g_autofree gchar *path = cv_learned_store_path(state_dir, destination, error);
    g_autofree gchar *dir = NULL;
    g_autoptr(GArray) list = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    guint first;

    g_return_val_if_fail(observation != NULL, FALSE);
    if (path == NULL)
        return FALSE;
    dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0750) != 0) {
        int saved = errno;

        g_set_error(error, CV_STATE_ERROR,
                    saved == EACCES || saved == EPERM ? CV_STATE_ERROR_PERMISSION
                                                      : CV_STATE_ERROR_IO,
                    "%s: %s", dir, g_strerror(saved));
        return FALSE;
    }
    if (!match_owner(state_dir, dir, error))
        return FALSE;
    list = load_file(path, NULL, error);
    if (list == NULL)
        return FALSE;
    g_array_append_val(list, *observation);
    first = list->len > CV_LEARNED_WINDOW_MAX ? list->len - CV_LEARNED_WINDOW_MAX : 0;
    for (guint i = first; i < list->len; i++) {
        const CvLearnedObservation *o = &g_array_index(list, CvLearnedObservation, i);

        if (o->domain[0] != '\0') {
            g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), o->domain);
            g_autofree gchar *quoted = json_to_string(node, FALSE);

            g_string_append_printf(out, "{\"domain\":%s,", quoted);
        } else
            g_string_append_c(out, '{');
        g_string_append_printf(
            out,
            "\"time-ms\":%" G_GINT64_FORMAT ",\"blackout-bytes\":%" G_GUINT64_FORMAT
            ",\"downtime-ms\":%" G_GUINT64_FORMAT ",\"qemu-rate\":%" G_GUINT64_FORMAT
            ",\"stated-rate\":%" G_GUINT64_FORMAT,
            MAX(o->time_ms, 0), MIN(o->blackout_bytes, (guint64)G_MAXINT64),
            MIN(o->downtime_ms, (guint64)G_MAXINT64), MIN(o->qemu_rate, (guint64)G_MAXINT64),
            MIN(o->stated_rate, (guint64)G_MAXINT64));
        /* a blackout's line stays as it was: older readers take it unchanged */
        if (o->source != CV_LEARNED_SOURCE_BLACKOUT)
            g_string_append_printf(out, ",\"source\":\"%s\"",
                                   cv_learned_source_to_string(o->source));
        g_string_append(out, "}\n");
    }
    if (!cv_atomic_file_replace(path, out->str, out->len, 0640, CV_ATOMIC_FILE_DURABLE, error))
        return FALSE;
    return match_owner(state_dir, path, error);
}

guint64
cv_learned_nic_speed(const gchar *iface, gchar **why)
{
    const gchar *root = g_getenv("CV_SYSFS_ROOT");
    g_autofree gchar *path = NULL;
    g_autofree gchar *text = NULL;
    g_autoptr(GError) error = NULL;
    gint64 mbit = 0;

    g_return_val_if_fail(iface != NULL, 0);
    if (root == NULL || *root == '\0')
        root = CV_LEARNED_SYSFS_ROOT;
    path = g_build_filename(root, "class", "net", iface, "speed", NULL);
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        if (why != NULL)
            *why = g_strdup_printf("%s: %s", path, error->message);
        return 0;
    }
    g_strstrip(text);
    if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &mbit, NULL) || mbit <= 0 ||
        mbit > 100000000) {
        /* the kernel says -1 (SPEED_UNKNOWN) when the link is down or the device has no speed */
        if (why != NULL)
            *why = g_strdup_printf("%s: '%.32s' is not a known speed", path, text);
        return 0;
    }
    if (why != NULL)
        *why = g_strdup_printf("%s: %" G_GINT64_FORMAT " Mbit/s", path, mbit);
    return (guint64)mbit * 1000000 / 8;
}

gboolean
cv_learned_store_apply(const gchar *state_dir, const gchar *destination, guint window,
                       guint min_count, guint64 nic_speed, CvPolicy *policy, CvLearnedRate *out,
                       GError **error)
{
    g_autoptr(GArray) seen = NULL;
    guint skipped = 0;

    g_return_val_if_fail(policy != NULL && out != NULL, FALSE);
    memset(out, 0, sizeof(*out));
    out->from_index = -1;
    if (!policy->switchover_learned)
        return TRUE;
    seen = cv_learned_store_load(state_dir, destination, &skipped, error);
    if (seen == NULL)
        return FALSE;
    cv_learned_rate_compute((const CvLearnedObservation *)(gpointer)seen->data, seen->len, window,
                            min_count, policy->switchover_learned_max, nic_speed, out);
    if (skipped > 0)
        g_snprintf(out->reason + strlen(out->reason), sizeof(out->reason) - strlen(out->reason),
                   "; %u unreadable line%s skipped", skipped, skipped == 1 ? "" : "s");
    cv_policy_apply_learned(policy, out);
    return TRUE;
}

gboolean
cv_learned_store_record(const gchar *state_dir, const gchar *destination,
                        const CvLearnedObservation *observation, GError **error)
{
    if (!cv_learned_store_append(state_dir, destination, observation, error))
        return FALSE;
    if (g_strcmp0(destination, CV_LEARNED_ANY_DESTINATION) == 0)
        return TRUE;
    return cv_learned_store_append(state_dir, CV_LEARNED_ANY_DESTINATION, observation, error);
}
