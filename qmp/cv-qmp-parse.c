#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-qmp-error.h"
#include "cv-qmp-parse.h"

/* Bounds beyond which a value is absurd rather than large. Anything above them, like
 * anything negative or wrongly typed, leaves its field INVALID.
 * - Elapsed times (total-time, setup-time, downtime): a year. A migration may run for hours,
 *   so CV_SAMPLE_MAX_MS (2000 s, QEMU's downtime-limit range) is too tight for them.
 * - Counters of pages or events: CV_SAMPLE_MAX_BYTES as well, since a page is at least a
 *   byte; it keeps every later multiplication by a page size far from overflowing.
 * - The iteration counter: 2^32 (QEMU syncs about once a second; that is 136 years).
 * - page-size: a power of two up to 1 GiB (the largest huge page). */
#define CV_QMP_MAX_ELAPSED_MS (G_GUINT64_CONSTANT(365) * 24 * 3600 * 1000)
#define CV_QMP_MAX_SYNC_COUNT G_GUINT64_CONSTANT(0xffffffff)
#define CV_QMP_MAX_PAGE_SIZE (G_GUINT64_CONSTANT(1) << 30)
#define CV_QMP_MAX_PERCENT 100

typedef enum {
    U64_BOUNDED = 0, /* 0 ... max */
    U64_POWER_OF_TWO /* 1 ... max, and a power of two */
} U64Check;

/* One member of query-migrate that lands in a CvU64Field. */
typedef struct {
    const gchar *member;
    gsize offset; /* of the CvU64Field in CvSample */
    guint64 max;
    U64Check check;
} U64Member;

#define SAMPLE_FIELD(f) offsetof(CvSample, f)

static const U64Member top_members[] = {
    {"total-time", SAMPLE_FIELD(total_time_ms), CV_QMP_MAX_ELAPSED_MS, U64_BOUNDED},
    {"setup-time", SAMPLE_FIELD(setup_time_ms), CV_QMP_MAX_ELAPSED_MS, U64_BOUNDED},
    {"expected-downtime", SAMPLE_FIELD(expected_downtime_ms), CV_SAMPLE_MAX_MS, U64_BOUNDED},
    {"downtime", SAMPLE_FIELD(downtime_ms), CV_QMP_MAX_ELAPSED_MS, U64_BOUNDED},
    {"remaining", SAMPLE_FIELD(remaining), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"cpu-throttle-percentage", SAMPLE_FIELD(cpu_throttle_percentage), CV_QMP_MAX_PERCENT,
     U64_BOUNDED},
};

static const U64Member ram_members[] = {
    {"transferred", SAMPLE_FIELD(ram_transferred), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"remaining", SAMPLE_FIELD(ram_remaining), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"total", SAMPLE_FIELD(ram_total), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"duplicate", SAMPLE_FIELD(ram_duplicate), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"normal", SAMPLE_FIELD(ram_normal), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"normal-bytes", SAMPLE_FIELD(ram_normal_bytes), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"dirty-pages-rate", SAMPLE_FIELD(ram_dirty_pages_rate), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"dirty-sync-count", SAMPLE_FIELD(ram_dirty_sync_count), CV_QMP_MAX_SYNC_COUNT, U64_BOUNDED},
    {"page-size", SAMPLE_FIELD(ram_page_size), CV_QMP_MAX_PAGE_SIZE, U64_POWER_OF_TWO},
    {"pages-per-second", SAMPLE_FIELD(ram_pages_per_second), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"precopy-bytes", SAMPLE_FIELD(ram_precopy_bytes), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"downtime-bytes", SAMPLE_FIELD(ram_downtime_bytes), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
    {"postcopy-bytes", SAMPLE_FIELD(ram_postcopy_bytes), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
};

static const U64Member vfio_members[] = {
    {"transferred", SAMPLE_FIELD(vfio_transferred), CV_SAMPLE_MAX_BYTES, U64_BOUNDED},
};

static CvU64Field *
sample_field(CvSample *sample, gsize offset)
{
    return (CvU64Field *)(gpointer)((guint8 *)sample + offset);
}

/* The one place a JSON number becomes a guint64. json-glib must have parsed it as an
 * integer (a double, string, bool, null, object or array is wrongly typed), and it must not
 * be negative: a negative gint64 is either a real negative or a value above INT64_MAX that
 * json-glib wrapped (2^64-1 reads as -1; anything above saturates to -1 too). */
static void
read_u64(JsonObject *obj, const gchar *member, guint64 max, U64Check check, CvU64Field *field)
{
    JsonNode *node = json_object_get_member(obj, member);
    gint64 v;

    field->value = 0;
    if (node == NULL) {
        field->state = CV_FIELD_ABSENT;
        return;
    }
    field->state = CV_FIELD_INVALID;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
        return;
    v = json_node_get_int(node);
    if (v < 0 || (guint64)v > max)
        return;
    switch (check) {
    case U64_POWER_OF_TWO:
        if (v == 0 || (v & (v - 1)) != 0)
            return;
        break;
    case U64_BOUNDED:
        break;
    default:
        g_assert_not_reached();
    }
    cv_field_set(field, (guint64)v);
}

static void
read_members(JsonObject *obj, const U64Member *members, gsize n, CvSample *sample)
{
    for (gsize i = 0; i < n; i++)
        read_u64(obj, members[i].member, members[i].max, members[i].check,
                 sample_field(sample, members[i].offset));
}

static void
mark_members(const U64Member *members, gsize n, CvSample *sample, CvFieldState state)
{
    for (gsize i = 0; i < n; i++)
        sample_field(sample, members[i].offset)->state = state;
}

/* mbps: a double in Mbit/s (10^6); an integer is accepted too (a round value may be sent
 * without a fraction). Beyond CV_SAMPLE_MAX_BYTES per second it is absurd. */
static void
read_mbps(JsonObject *obj, CvDoubleField *field)
{
    JsonNode *node = json_object_get_member(obj, "mbps");
    gdouble v;

    field->value = 0.0;
    if (node == NULL) {
        field->state = CV_FIELD_ABSENT;
        return;
    }
    field->state = CV_FIELD_INVALID;
    if (!JSON_NODE_HOLDS_VALUE(node))
        return;
    if (json_node_get_value_type(node) == G_TYPE_DOUBLE) {
        v = json_node_get_double(node);
    } else if (json_node_get_value_type(node) == G_TYPE_INT64) {
        gint64 i = json_node_get_int(node);
        if (i < 0)
            return;
        v = (gdouble)i;
    } else {
        return;
    }
    if (!isfinite(v) || v < 0.0 || v * 1e6 / 8.0 > (gdouble)CV_SAMPLE_MAX_BYTES)
        return;
    field->state = CV_FIELD_VALID;
    field->value = v;
}

/* Copy a string for logs and the CLI: truncated on a character boundary, control characters
 * (a newline would split a log record) replaced by spaces. */
static void
copy_text(gchar *dest, gsize size, const gchar *src)
{
    const gchar *end = NULL;

    g_strlcpy(dest, src, size);
    /* the source is valid UTF-8 (the framer checked), so only a cut character at the end
     * can be invalid */
    if (!g_utf8_validate(dest, -1, &end))
        dest[end - dest] = '\0';
    for (gchar *p = dest; *p != '\0'; p++) {
        if ((guchar)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
}

gboolean
cv_qmp_parse_query_migrate(JsonNode *ret, CvSample *sample, GError **error)
{
    JsonObject *obj;
    JsonNode *node;
    gint64 time_ms;

    g_return_val_if_fail(sample != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (ret == NULL || !JSON_NODE_HOLDS_OBJECT(ret)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                            "query-migrate: the reply is not an object");
        return FALSE;
    }
    obj = json_node_get_object(ret);

    time_ms = sample->time_ms;
    cv_sample_init(sample);
    sample->time_ms = time_ms;

    /* QEMU sends status in every state once a migration has been started, and {} (or only
     * blocked-reasons) before: no status means no migration yet. */
    node = json_object_get_member(obj, "status");
    if (node == NULL)
        sample->status = CV_MIGRATION_STATUS_NONE;
    else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
        sample->status = cv_migration_status_from_string(json_node_get_string(node));
    else
        sample->status = CV_MIGRATION_STATUS_UNKNOWN;

    read_members(obj, top_members, G_N_ELEMENTS(top_members), sample);

    node = json_object_get_member(obj, "ram");
    if (node != NULL && JSON_NODE_HOLDS_OBJECT(node)) {
        JsonObject *ram = json_node_get_object(node);
        read_members(ram, ram_members, G_N_ELEMENTS(ram_members), sample);
        read_mbps(ram, &sample->ram_mbps);
    } else if (node != NULL) {
        mark_members(ram_members, G_N_ELEMENTS(ram_members), sample, CV_FIELD_INVALID);
        sample->ram_mbps.state = CV_FIELD_INVALID;
    }

    /* A vfio member, even a broken one, says the guest has migratable VFIO devices: its
     * field must not read as ABSENT then, which would mean "no VFIO" downstream. */
    node = json_object_get_member(obj, "vfio");
    if (node != NULL && JSON_NODE_HOLDS_OBJECT(node)) {
        read_members(json_node_get_object(node), vfio_members, G_N_ELEMENTS(vfio_members), sample);
        if (sample->vfio_transferred.state == CV_FIELD_ABSENT)
            sample->vfio_transferred.state = CV_FIELD_INVALID;
    } else if (node != NULL) {
        mark_members(vfio_members, G_N_ELEMENTS(vfio_members), sample, CV_FIELD_INVALID);
    }

    /* Cross-checks. RAM still to send cannot exceed guest RAM: one of the two is wrong and
     * we cannot tell which, but only remaining drives decisions, so remaining goes. */
    if (cv_field_valid(&sample->ram_remaining) && cv_field_valid(&sample->ram_total) &&
        sample->ram_remaining.value > sample->ram_total.value)
        sample->ram_remaining.state = CV_FIELD_INVALID;
    /* The dirty rate in bytes must stay within the byte bound. */
    if (cv_field_valid(&sample->ram_dirty_pages_rate) && cv_field_valid(&sample->ram_page_size) &&
        sample->ram_dirty_pages_rate.value > CV_SAMPLE_MAX_BYTES / sample->ram_page_size.value)
        sample->ram_dirty_pages_rate.state = CV_FIELD_INVALID;

    node = json_object_get_member(obj, "error-desc");
    if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
        json_node_get_value_type(node) == G_TYPE_STRING)
        copy_text(sample->error_desc, sizeof(sample->error_desc), json_node_get_string(node));

    return TRUE;
}

gboolean
cv_qmp_parse_query_migrate_parameters(JsonNode *ret, CvParams *params, GError **error)
{
    JsonObject *obj;

    g_return_val_if_fail(params != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (ret == NULL || !JSON_NODE_HOLDS_OBJECT(ret)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                            "query-migrate-parameters: the reply is not an object");
        return FALSE;
    }
    obj = json_node_get_object(ret);
    read_u64(obj, "downtime-limit", CV_SAMPLE_MAX_MS, U64_BOUNDED, &params->downtime_limit_ms);
    read_u64(obj, "max-bandwidth", CV_SAMPLE_MAX_BYTES, U64_BOUNDED, &params->max_bandwidth);
    /* ABSENT when this QEMU does not list it (before 8.2): how support is detected */
    read_u64(obj, "avail-switchover-bandwidth", CV_SAMPLE_MAX_BYTES, U64_BOUNDED,
             &params->avail_switchover_bandwidth);
    read_u64(obj, "max-postcopy-bandwidth", CV_SAMPLE_MAX_BYTES, U64_BOUNDED,
             &params->max_postcopy_bandwidth);
    return TRUE;
}

gboolean
cv_qmp_parse_query_migrate_capabilities(JsonNode *ret, CvParams *params, GError **error)
{
    JsonArray *array;
    guint n;

    g_return_val_if_fail(params != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (ret == NULL || !JSON_NODE_HOLDS_ARRAY(ret)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                            "query-migrate-capabilities: the reply is not an array");
        return FALSE;
    }
    params->postcopy_ram = CV_TRI_UNKNOWN;
    params->events = CV_TRI_UNKNOWN;
    array = json_node_get_array(ret);
    n = json_array_get_length(array);
    for (guint i = 0; i < n; i++) {
        JsonNode *elem = json_array_get_element(array, i);
        JsonNode *cap, *state;
        JsonObject *obj;
        const gchar *name;
        CvTri tri;

        /* a malformed entry tells us nothing; the capabilities it may have named stay
         * UNKNOWN unless a good entry names them */
        if (!JSON_NODE_HOLDS_OBJECT(elem))
            continue;
        obj = json_node_get_object(elem);
        cap = json_object_get_member(obj, "capability");
        state = json_object_get_member(obj, "state");
        if (cap == NULL || !JSON_NODE_HOLDS_VALUE(cap) ||
            json_node_get_value_type(cap) != G_TYPE_STRING)
            continue;
        if (state == NULL || !JSON_NODE_HOLDS_VALUE(state) ||
            json_node_get_value_type(state) != G_TYPE_BOOLEAN)
            continue;
        name = json_node_get_string(cap);
        tri = json_node_get_boolean(state) ? CV_TRI_YES : CV_TRI_NO;
        if (g_str_equal(name, "postcopy-ram"))
            params->postcopy_ram = tri;
        else if (g_str_equal(name, "events"))
            params->events = tri;
    }
    return TRUE;
}

static gboolean
read_version_part(JsonObject *obj, const gchar *member, gint *out)
{
    JsonNode *node = json_object_get_member(obj, member);
    gint64 v;

    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64)
        return FALSE;
    v = json_node_get_int(node);
    if (v < 0 || v > G_MAXINT)
        return FALSE;
    *out = (gint)v;
    return TRUE;
}

gboolean
cv_qmp_parse_version(JsonNode *node, CvQemuVersion *version, GError **error)
{
    JsonObject *obj;
    JsonNode *qemu;
    JsonNode *package;
    CvQemuVersion v = {0};

    g_return_val_if_fail(version != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                            "QEMU version: not an object");
        return FALSE;
    }
    obj = json_node_get_object(node);
    qemu = json_object_get_member(obj, "qemu");
    if (qemu == NULL || !JSON_NODE_HOLDS_OBJECT(qemu) ||
        !read_version_part(json_node_get_object(qemu), "major", &v.major) ||
        !read_version_part(json_node_get_object(qemu), "minor", &v.minor) ||
        !read_version_part(json_node_get_object(qemu), "micro", &v.micro)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                            "QEMU version: no valid qemu.major/minor/micro");
        return FALSE;
    }
    package = json_object_get_member(obj, "package");
    if (package != NULL && JSON_NODE_HOLDS_VALUE(package) &&
        json_node_get_value_type(package) == G_TYPE_STRING)
        copy_text(v.package, sizeof(v.package), json_node_get_string(package));
    *version = v;
    return TRUE;
}

gboolean
cv_qmp_parse_greeting(const CvQmpMessage *message, CvQemuVersion *version, gboolean *oob,
                      GError **error)
{
    g_autoptr(GError) local_error = NULL;
    JsonObject *qmp;
    JsonNode *caps;
    gboolean has_oob = FALSE;

    g_return_val_if_fail(message != NULL, FALSE);
    g_return_val_if_fail(version != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (message->kind != CV_QMP_MESSAGE_GREETING || message->payload == NULL ||
        !JSON_NODE_HOLDS_OBJECT(message->payload)) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_PROTOCOL,
                            "expected the QMP greeting");
        return FALSE;
    }
    qmp = json_node_get_object(message->payload);
    if (!cv_qmp_parse_version(json_object_get_member(qmp, "version"), version, &local_error)) {
        g_set_error(error, CV_QMP_ERROR, CV_QMP_ERROR_PROTOCOL, "QMP greeting: %s",
                    local_error->message);
        return FALSE;
    }
    caps = json_object_get_member(qmp, "capabilities");
    if (caps != NULL && JSON_NODE_HOLDS_ARRAY(caps)) {
        JsonArray *array = json_node_get_array(caps);
        for (guint i = 0; i < json_array_get_length(array); i++) {
            JsonNode *elem = json_array_get_element(array, i);
            if (JSON_NODE_HOLDS_VALUE(elem) && json_node_get_value_type(elem) == G_TYPE_STRING &&
                g_str_equal(json_node_get_string(elem), "oob"))
                has_oob = TRUE;
        }
    }
    if (oob != NULL)
        *oob = has_oob;
    return TRUE;
}

typedef struct {
    const gchar *name;
    CvQmpEventKind kind;
} EventName;

/* Sorted by strcmp() for bsearch(); test-qmp-parse checks every entry is found. */
static const EventName event_names[] = {
    {"MIGRATION", CV_QMP_EVENT_MIGRATION}, {"MIGRATION_PASS", CV_QMP_EVENT_MIGRATION_PASS},
    {"RESUME", CV_QMP_EVENT_RESUME},       {"SHUTDOWN", CV_QMP_EVENT_SHUTDOWN},
    {"STOP", CV_QMP_EVENT_STOP},
};

static int
event_name_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const EventName *)elem)->name);
}

CvQmpEventKind
cv_qmp_event_kind_from_name(const gchar *name)
{
    const EventName *found;

    if (name == NULL)
        return CV_QMP_EVENT_UNKNOWN;
    found = bsearch(name, event_names, G_N_ELEMENTS(event_names), sizeof(event_names[0]),
                    event_name_cmp);
    return found != NULL ? found->kind : CV_QMP_EVENT_UNKNOWN;
}

static JsonNode *
event_data_member(const CvQmpMessage *message, const gchar *member)
{
    if (message->payload == NULL || !JSON_NODE_HOLDS_OBJECT(message->payload))
        return NULL;
    return json_object_get_member(json_node_get_object(message->payload), member);
}

gboolean
cv_qmp_parse_event(const CvQmpMessage *message, CvQmpEvent *event, GError **error)
{
    JsonNode *node;

    g_return_val_if_fail(message != NULL, FALSE);
    g_return_val_if_fail(event != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    memset(event, 0, sizeof(*event));
    event->seconds = -1;
    event->microseconds = -1;
    if (message->kind != CV_QMP_MESSAGE_EVENT) {
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY, "not an event");
        return FALSE;
    }
    event->kind = cv_qmp_event_kind_from_name(message->name);
    event->seconds = message->seconds;
    event->microseconds = message->microseconds;

    switch (event->kind) {
    case CV_QMP_EVENT_MIGRATION:
        node = event_data_member(message, "status");
        if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
            json_node_get_value_type(node) != G_TYPE_STRING) {
            g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                                "MIGRATION event without a status string");
            return FALSE;
        }
        /* a status this build does not know (newer QEMU) is UNKNOWN, not an error */
        event->status = cv_migration_status_from_string(json_node_get_string(node));
        return TRUE;
    case CV_QMP_EVENT_MIGRATION_PASS:
        if (message->payload == NULL || !JSON_NODE_HOLDS_OBJECT(message->payload)) {
            event->pass.state = CV_FIELD_INVALID;
        } else {
            read_u64(json_node_get_object(message->payload), "pass", CV_QMP_MAX_SYNC_COUNT,
                     U64_BOUNDED, &event->pass);
        }
        if (!cv_field_valid(&event->pass)) {
            event->pass.state = CV_FIELD_INVALID;
            g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY,
                                "MIGRATION_PASS event without a valid pass");
            return FALSE;
        }
        return TRUE;
    case CV_QMP_EVENT_RESUME:
    case CV_QMP_EVENT_SHUTDOWN:
    case CV_QMP_EVENT_STOP:
    case CV_QMP_EVENT_UNKNOWN:
        return TRUE;
    default:
        g_assert_not_reached();
    }
}

gboolean
cv_qmp_error_from_reply(const CvQmpMessage *message, const gchar *command, GError **error)
{
    CvQmpErrorCode code;
    const gchar *desc;

    g_return_val_if_fail(message != NULL, FALSE);
    g_return_val_if_fail(message->kind == CV_QMP_MESSAGE_ERROR, FALSE);

    if (command == NULL)
        command = "QMP";
    if (message->error_problem != NULL) {
        /* what could be read still helps whoever reads the log */
        g_autoptr(GString) text = g_string_new(NULL);
        g_string_printf(text, "%s: invalid QMP error reply, %s", command, message->error_problem);
        if (message->error_desc != NULL)
            g_string_append_printf(text, ": %s", message->error_desc);
        if (message->error_class != NULL)
            g_string_append_printf(text, " [%s]", message->error_class);
        g_set_error_literal(error, CV_QMP_ERROR, CV_QMP_ERROR_INVALID_REPLY, text->str);
        return FALSE;
    }
    /* no problem: class and desc are both strings */
    desc = message->error_desc;
    code = cv_qmp_error_code_from_class(message->error_class);
    /* a class we cannot map would be lost in FAILED: keep it in the text */
    if (code == CV_QMP_ERROR_FAILED)
        g_set_error(error, CV_QMP_ERROR, code, "%s: %s [%s]", command, desc, message->error_class);
    else
        g_set_error(error, CV_QMP_ERROR, code, "%s: %s", command, desc);
    return FALSE;
}
