/* Model state -> the JSON QEMU would send, per version: query-migrate with its presence
 * rules, query-status, query-version, the greeting's version, event payloads. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "cv-sim-model.h"

G_BEGIN_DECLS

/* query-migrate's return value (a new object node). Integers above INT64_MAX (garbage VFIO
 * sizes in 11.1's `remaining`) are carried as placeholders that cv_sim_reply_finish_line()
 * turns into unsigned JSON numbers once the line is serialised. */
JsonNode *cv_sim_reply_query_migrate(const CvSimInfo *info, CvSimQemuVersion version);
JsonNode *cv_sim_reply_query_status(CvSimRunState state, CvSimQemuVersion version);
JsonNode *cv_sim_reply_query_version(CvSimQemuVersion version);

typedef struct {
    gint major;
    gint minor;
    gint micro;
    const gchar *package;
} CvSimQemuRelease;

/* The release the greeting and query-version announce for @version. */
void cv_sim_reply_release(CvSimQemuVersion version, CvSimQemuRelease *release);
/* QEMU's greeting line (no terminator), offering the oob capability as QEMU does:
 * {"QMP": {"version": {...}, "capabilities": ["oob"]}} */
gchar *cv_sim_reply_greeting(CvSimQemuVersion version);

/* The event's name and its "data" (NULL for STOP and RESUME). */
const gchar *cv_sim_reply_event_name(const CvSimEvent *event);
JsonObject *cv_sim_reply_event_data(const CvSimEvent *event);

/* A JSON number node for @value: an integer up to INT64_MAX, else a placeholder. */
JsonNode *cv_sim_reply_u64_node(guint64 value);
/* Replace every placeholder in a serialised line by its unsigned number. Returns @line
 * (possibly reallocated); takes ownership. */
gchar *cv_sim_reply_finish_line(gchar *line);

G_END_DECLS
