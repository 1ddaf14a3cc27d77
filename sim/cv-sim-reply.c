#include "config.h"

#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-sim-reply.h"

/* json-glib stores integers as gint64; QEMU prints uint64 members unsigned. A value above
 * INT64_MAX travels as this string until the line is serialised. */
#define U64_MARK_OPEN "\"@@cv-u64:"
#define U64_MARK_CLOSE "@@\""

JsonNode *
cv_sim_reply_u64_node(guint64 value)
{
    JsonNode *node = json_node_new(JSON_NODE_VALUE);

    if (value <= (guint64)G_MAXINT64) {
        json_node_set_int(node, (gint64)value);
    } else {
        g_autofree gchar *mark = g_strdup_printf("@@cv-u64:%" G_GUINT64_FORMAT "@@", value);
        json_node_set_string(node, mark);
    }
    return node;
}

gchar *
cv_sim_reply_finish_line(gchar *line)
{
    GString *out;
    const gchar *p = line;
    const gchar *open;

    if (strstr(line, U64_MARK_OPEN) == NULL)
        return line;
    out = g_string_new(NULL);
    while ((open = strstr(p, U64_MARK_OPEN)) != NULL) {
        const gchar *digits = open + strlen(U64_MARK_OPEN);
        const gchar *close = strstr(digits, U64_MARK_CLOSE);

        if (close == NULL)
            break;
        g_string_append_len(out, p, open - p);
        g_string_append_len(out, digits, close - digits);
        p = close + strlen(U64_MARK_CLOSE);
    }
    g_string_append(out, p);
    g_free(line);
    return g_string_free(out, FALSE);
}

static void
set_u64(JsonObject *obj, const gchar *name, guint64 value)
{
    json_object_set_member(obj, name, cv_sim_reply_u64_node(value));
}

/* Members in the order of the real 7.2 reply; `skipped` is gone after the 9.x series. */
static JsonObject *
ram_object(const CvSimInfo *info, CvSimQemuVersion version)
{
    JsonObject *ram = json_object_new();

    set_u64(ram, "total", info->ram_total);
    set_u64(ram, "postcopy-requests", info->ram_postcopy_requests);
    set_u64(ram, "dirty-sync-count", info->ram_dirty_sync_count);
    set_u64(ram, "multifd-bytes", 0);
    set_u64(ram, "pages-per-second", info->ram_pages_per_second);
    set_u64(ram, "downtime-bytes", info->ram_downtime_bytes);
    set_u64(ram, "page-size", info->ram_page_size);
    set_u64(ram, "remaining", info->ram_remaining);
    set_u64(ram, "postcopy-bytes", info->ram_postcopy_bytes);
    json_object_set_double_member(ram, "mbps", info->ram_mbps);
    set_u64(ram, "transferred", info->ram_transferred);
    set_u64(ram, "dirty-sync-missed-zero-copy", 0);
    set_u64(ram, "precopy-bytes", info->ram_precopy_bytes);
    set_u64(ram, "duplicate", info->ram_duplicate);
    set_u64(ram, "dirty-pages-rate", info->ram_dirty_pages_rate);
    if (version < CV_SIM_QEMU_11_1)
        set_u64(ram, "skipped", 0);
    set_u64(ram, "normal-bytes", info->ram_normal_bytes);
    set_u64(ram, "normal", info->ram_normal);
    return ram;
}

/* populate_time_info(): 7.2 shows expected-downtime in postcopy too; since 8.1 postcopy
 * shows the switchover downtime instead. */
static void
time_info(JsonObject *obj, const CvSimInfo *info, CvSimQemuVersion version)
{
    gboolean completed = info->status == CV_MIGRATION_STATUS_COMPLETED;
    gboolean postcopy = info->status == CV_MIGRATION_STATUS_POSTCOPY_ACTIVE;

    if (completed || (postcopy && version >= CV_SIM_QEMU_8_2))
        set_u64(obj, "downtime", info->downtime_ms);
    else
        set_u64(obj, "expected-downtime", info->expected_downtime_ms);
    json_object_set_string_member(obj, "status", cv_migration_status_to_string(info->status));
    set_u64(obj, "setup-time", info->setup_time_ms);
    set_u64(obj, "total-time", info->total_time_ms);
}

JsonNode *
cv_sim_reply_query_migrate(const CvSimInfo *info, CvSimQemuVersion version)
{
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();

    json_node_take_object(node, obj);
    switch (info->status) {
    case CV_MIGRATION_STATUS_NONE:
        /* no migration has happened ever: `{}` */
        break;
    case CV_MIGRATION_STATUS_ACTIVE:
    case CV_MIGRATION_STATUS_CANCELLING:
    case CV_MIGRATION_STATUS_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_ACTIVE:
    case CV_MIGRATION_STATUS_FAILING:
    case CV_MIGRATION_STATUS_COMPLETED:
        time_info(obj, info, version);
        json_object_set_object_member(obj, "ram", ram_object(info, version));
        /* 11.1: system-wide pending data, with the live stats only */
        if (version >= CV_SIM_QEMU_11_1 && info->status != CV_MIGRATION_STATUS_COMPLETED)
            set_u64(obj, "remaining", info->remaining);
        if (info->has_vfio) {
            JsonObject *vfio = json_object_new();
            set_u64(vfio, "transferred", info->vfio_transferred);
            json_object_set_object_member(obj, "vfio", vfio);
        }
        if (info->status == CV_MIGRATION_STATUS_FAILING && info->error_desc != NULL)
            json_object_set_string_member(obj, "error-desc", info->error_desc);
        break;
    case CV_MIGRATION_STATUS_FAILED:
        json_object_set_string_member(obj, "status", "failed");
        if (info->error_desc != NULL)
            json_object_set_string_member(obj, "error-desc", info->error_desc);
        break;
    case CV_MIGRATION_STATUS_SETUP:
    case CV_MIGRATION_STATUS_CANCELLED:
    case CV_MIGRATION_STATUS_UNKNOWN:
    case CV_MIGRATION_STATUS_PRE_SWITCHOVER:
    case CV_MIGRATION_STATUS_POSTCOPY_DEVICE:
    case CV_MIGRATION_STATUS_POSTCOPY_PAUSED:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER_SETUP:
    case CV_MIGRATION_STATUS_POSTCOPY_RECOVER:
    case CV_MIGRATION_STATUS_COLO:
    case CV_MIGRATION_STATUS_WAIT_UNPLUG:
    default:
        json_object_set_string_member(obj, "status", cv_migration_status_to_string(info->status));
        break;
    }
    return node;
}

JsonNode *
cv_sim_reply_query_status(CvSimRunState state, CvSimQemuVersion version)
{
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();

    json_object_set_string_member(obj, "status", cv_sim_run_state_to_string(state));
    /* singlestep was deprecated in 8.1 and is gone by 10.0 */
    if (version < CV_SIM_QEMU_11_1)
        json_object_set_boolean_member(obj, "singlestep", FALSE);
    json_object_set_boolean_member(obj, "running", state == CV_SIM_RUN_RUNNING);
    json_node_take_object(node, obj);
    return node;
}

void
cv_sim_reply_release(CvSimQemuVersion version, CvSimQemuRelease *release)
{
    switch (version) {
    case CV_SIM_QEMU_7_2:
        /* as Debian 12 ships it, so the greeting matches the capture */
        *release = (CvSimQemuRelease){7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3"};
        break;
    case CV_SIM_QEMU_8_2:
        *release = (CvSimQemuRelease){8, 2, 0, ""};
        break;
    case CV_SIM_QEMU_11_1:
        *release = (CvSimQemuRelease){11, 1, 0, ""};
        break;
    default:
        *release = (CvSimQemuRelease){11, 1, 0, ""};
        break;
    }
}

JsonNode *
cv_sim_reply_query_version(CvSimQemuVersion version)
{
    CvSimQemuRelease release;
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();
    JsonObject *qemu = json_object_new();

    cv_sim_reply_release(version, &release);
    json_object_set_int_member(qemu, "micro", release.micro);
    json_object_set_int_member(qemu, "minor", release.minor);
    json_object_set_int_member(qemu, "major", release.major);
    json_object_set_object_member(obj, "qemu", qemu);
    json_object_set_string_member(obj, "package", release.package);
    json_node_take_object(node, obj);
    return node;
}

gchar *
cv_sim_reply_greeting(CvSimQemuVersion version)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();
    JsonObject *qmp = json_object_new();
    JsonArray *caps = json_array_new();
    JsonNode *release = cv_sim_reply_query_version(version);

    json_object_set_member(qmp, "version", release);
    json_array_add_string_element(caps, "oob");
    json_object_set_array_member(qmp, "capabilities", caps);
    json_object_set_object_member(obj, "QMP", qmp);
    json_node_take_object(root, obj);
    return json_to_string(root, FALSE);
}

const gchar *
cv_sim_reply_event_name(const CvSimEvent *event)
{
    switch (event->kind) {
    case CV_SIM_EVENT_MIGRATION:
        return "MIGRATION";
    case CV_SIM_EVENT_MIGRATION_PASS:
        return "MIGRATION_PASS";
    case CV_SIM_EVENT_STOP:
        return "STOP";
    case CV_SIM_EVENT_RESUME:
        return "RESUME";
    default:
        return "UNKNOWN";
    }
}

JsonObject *
cv_sim_reply_event_data(const CvSimEvent *event)
{
    JsonObject *data;

    switch (event->kind) {
    case CV_SIM_EVENT_MIGRATION:
        data = json_object_new();
        json_object_set_string_member(data, "status", cv_migration_status_to_string(event->status));
        return data;
    case CV_SIM_EVENT_MIGRATION_PASS:
        data = json_object_new();
        json_object_set_int_member(data, "pass", (gint64)event->pass);
        return data;
    case CV_SIM_EVENT_STOP:
    case CV_SIM_EVENT_RESUME:
        return NULL;
    default:
        return NULL;
    }
}
