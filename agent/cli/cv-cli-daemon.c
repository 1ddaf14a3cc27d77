/* The daemon's view, as `list` and `status` show it: when virt-converged runs (its
 * RUNTIME_DIR/daemon.json names a live pid), the document it publishes for each migration it
 * tunes (cv-runtime-doc.h). A missing or dead daemon is not an error: the commands then show
 * what libvirt says alone. */
#include "config.h"

#include <stdio.h>

#include "cv-cli.h"
#include "cv-runtime-doc.h"
#include "cv-state-paths.h"

void
cv_cli_daemon_view_free(CvCliDaemonView *v)
{
    if (v == NULL)
        return;
    g_clear_pointer(&v->daemon, json_object_unref);
    g_clear_pointer(&v->docs, g_ptr_array_unref);
    g_free(v->runtime_dir);
    g_free(v);
}

CvCliDaemonView *
cv_cli_daemon_view_load(const gchar *runtime_dir)
{
    g_autoptr(CvCliDaemonView) v = g_new0(CvCliDaemonView, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) skipped = NULL;

    v->runtime_dir = runtime_dir != NULL ? g_strdup(runtime_dir) : cv_state_paths_runtime_dir();
    v->daemon = cv_runtime_doc_read_daemon(v->runtime_dir, &error);
    if (v->daemon == NULL) {
        /* no daemon (or a dead one): say why under --verbose only; the command goes on */
        g_debug("daemon view: %s", error->message);
        return NULL;
    }
    v->docs = cv_runtime_doc_read_all(v->runtime_dir, &skipped, &error);
    if (v->docs == NULL) {
        g_printerr("virt-converge: warning: the daemon's documents in %s cannot be read: %s\n",
                   v->runtime_dir, error->message);
        return NULL;
    }
    for (guint i = 0; skipped != NULL && i < skipped->len; i++)
        g_printerr("virt-converge: warning: skipped %s\n", (const gchar *)skipped->pdata[i]);
    return g_steal_pointer(&v);
}

static const gchar *
member_str(JsonObject *o, const gchar *name)
{
    JsonNode *n =
        o != NULL && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;

    return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

static gboolean
member_int(JsonObject *o, const gchar *name, gint64 *out)
{
    JsonNode *n =
        o != NULL && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;

    if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return FALSE;
    *out = json_node_get_int(n);
    return TRUE;
}

static JsonObject *
member_obj(JsonObject *o, const gchar *name)
{
    JsonNode *n =
        o != NULL && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;

    return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

gint64
cv_cli_daemon_view_pid(const CvCliDaemonView *v)
{
    gint64 pid = 0;

    return member_int(v->daemon, "pid", &pid) ? pid : 0;
}

JsonObject *
cv_cli_daemon_view_find(const CvCliDaemonView *v, const gchar *const *uris, const gchar *uuid,
                        const gchar *name)
{
    if (v == NULL)
        return NULL;
    for (guint i = 0; i < v->docs->len; i++) {
        JsonObject *doc = v->docs->pdata[i];
        const gchar *doc_uuid = member_str(doc, "domain-uuid");
        gboolean same_uri = FALSE;

        for (guint u = 0; uris != NULL && uris[u] != NULL; u++)
            same_uri |= g_strcmp0(member_str(doc, "uri"), uris[u]) == 0;
        if (!same_uri)
            continue;
        if (uuid != NULL && doc_uuid != NULL ? g_str_equal(uuid, doc_uuid)
                                             : g_strcmp0(member_str(doc, "domain"), name) == 0)
            return doc;
    }
    return NULL;
}

const gchar *
cv_cli_daemon_doc_str(JsonObject *doc, const gchar *name)
{
    return member_str(doc, name);
}

const gchar *
cv_cli_daemon_doc_verdict(JsonObject *doc)
{
    return member_str(member_obj(doc, "decision"), "verdict");
}

gchar *
cv_cli_daemon_doc_summary(JsonObject *doc)
{
    gint64 changes = 0, position = 0;
    const gchar *state = member_str(doc, "state");
    JsonObject *link = member_obj(doc, "link");
    const gchar *link_state = member_str(link, "state");
    const gchar *holder = member_str(link, "holder");
    g_autofree gchar *on_link = NULL;

    (void)member_int(doc, "changes", &changes);
    /* the shared link: who switches over now, who waits behind whom */
    if (g_strcmp0(link_state, "switching-over") == 0)
        on_link = g_strdup(", holds the link");
    else if (g_strcmp0(link_state, "waiting") == 0 && member_int(link, "position", &position))
        on_link = g_strdup_printf(", waits for the link (#%" G_GINT64_FORMAT "%s%s)", position,
                                  holder != NULL ? " behind " : "", holder != NULL ? holder : "");
    return g_strdup_printf(
        "%s, %" G_GINT64_FORMAT " change%s%s%s", state != NULL ? state : "?", changes,
        changes == 1 ? "" : "s",
        json_object_get_boolean_member_with_default(doc, "adopted", FALSE) ? ", adopted" : "",
        on_link != NULL ? on_link : "");
}

gchar *
cv_cli_daemon_doc_describe(const CvCliDaemonView *v, JsonObject *doc)
{
    GString *s = g_string_new(NULL);
    JsonObject *decision = member_obj(doc, "decision");
    JsonObject *params = member_obj(doc, "parameters");
    JsonObject *link = member_obj(doc, "link");
    const gchar *kind = member_str(decision, "kind");
    const gchar *reason = member_str(decision, "reason");
    const gchar *state_reason = member_str(doc, "state-reason");
    gint64 value = 0, limit = 0, changes = 0;

    (void)member_int(doc, "changes", &changes);
    g_string_append_printf(s, "tuned by virt-converged (pid %" G_GINT64_FORMAT "), migration %s\n",
                           cv_cli_daemon_view_pid(v), member_str(doc, "migration-id"));
    g_string_append_printf(s, "  policy:    '%s' (%s)\n", member_str(doc, "policy"),
                           member_str(doc, "policy-source") != NULL
                               ? member_str(doc, "policy-source")
                               : "source unknown");
    g_string_append_printf(
        s, "  state:     %s%s%s%s; %" G_GINT64_FORMAT " change(s) applied; since %s\n",
        member_str(doc, "state"), state_reason != NULL ? " (" : "",
        state_reason != NULL ? state_reason : "", state_reason != NULL ? ")" : "", changes,
        member_str(doc, "started") != NULL ? member_str(doc, "started") : "?");
    if (json_object_get_boolean_member_with_default(doc, "adopted", FALSE))
        g_string_append(s, "  adopted:   yes (taken over from a state record after a restart)\n");
    if (member_int(params, "downtime-limit-ms", &limit))
        g_string_append_printf(s, "  limit:     %" G_GINT64_FORMAT " ms (as last read)\n", limit);
    if (kind != NULL) {
        g_string_append_printf(s, "  decision:  %s", kind);
        if (member_int(decision, "value", &value) && value > 0)
            g_string_append_printf(s, " %" G_GINT64_FORMAT, value);
        g_string_append_printf(s, " (verdict %s)%s%s\n", cv_cli_daemon_doc_verdict(doc),
                               reason != NULL ? ": " : "", reason != NULL ? reason : "");
    } else {
        g_string_append(s, "  decision:  none yet\n");
    }
    if (link != NULL)
        g_string_append_printf(
            s, "  link:      %s%s%s\n",
            member_str(link, "state") != NULL ? member_str(link, "state") : "not asked yet",
            member_str(link, "holder") != NULL ? ", held by " : "",
            member_str(link, "holder") != NULL ? member_str(link, "holder") : "");
    g_string_append_printf(s, "  updated:   %s\n", member_str(doc, "updated"));
    return g_string_free(s, FALSE);
}
