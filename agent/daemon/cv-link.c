#include "config.h"

#include "cv-link.h"

typedef struct {
    gchar *id;
    gint64 last_ms; /* when it last asked */
} Waiter;

struct _CvLink {
    guint64 rate;
    gchar *holder;
    gint64 granted_ms;
    GArray *line;   /* Waiter, oldest first */
    gchar *expired; /* the holder whose lease ran out at the last request */
};

static void
waiter_clear(gpointer data)
{
    Waiter *w = data;

    g_free(w->id);
}

CvLink *
cv_link_new(guint64 rate)
{
    CvLink *link = g_new0(CvLink, 1);

    link->rate = rate;
    link->line = g_array_new(FALSE, FALSE, sizeof(Waiter));
    g_array_set_clear_func(link->line, waiter_clear);
    return link;
}

void
cv_link_free(CvLink *link)
{
    if (link == NULL)
        return;
    g_free(link->holder);
    g_free(link->expired);
    g_array_unref(link->line);
    g_free(link);
}

guint64
cv_link_get_rate(const CvLink *link)
{
    g_return_val_if_fail(link != NULL, 0);
    return link->rate;
}

void
cv_link_set_rate(CvLink *link, guint64 rate)
{
    g_return_if_fail(link != NULL);
    link->rate = rate;
}

static gint
find_waiter(const CvLink *link, const gchar *id)
{
    for (guint i = 0; i < link->line->len; i++) {
        if (g_str_equal(g_array_index(link->line, Waiter, i).id, id))
            return (gint)i;
    }
    return -1;
}

/* Waiters that stopped asking lose their place (they converged on their own, or ended
 * without telling). */
static void
drop_stale(CvLink *link, gint64 now_ms)
{
    for (guint i = 0; i < link->line->len;) {
        if (now_ms - g_array_index(link->line, Waiter, i).last_ms > CV_LINK_STALE_MS)
            g_array_remove_index(link->line, i);
        else
            i++;
    }
}

static void
enqueue(CvLink *link, const gchar *id, gint64 now_ms)
{
    Waiter w = {g_strdup(id), now_ms};

    g_array_append_val(link->line, w);
}

static void
grant(CvLink *link, const gchar *id, gint64 now_ms)
{
    gint i = find_waiter(link, id);

    if (i >= 0)
        g_array_remove_index(link->line, (guint)i);
    g_free(link->holder);
    link->holder = g_strdup(id);
    link->granted_ms = now_ms;
}

CvLinkVerdict
cv_link_request(CvLink *link, const gchar *id, gint64 now_ms, const gchar **expired)
{
    gint i;

    g_return_val_if_fail(link != NULL && id != NULL, CV_LINK_HELD);
    g_clear_pointer(&link->expired, g_free);
    if (expired != NULL)
        *expired = NULL;
    drop_stale(link, now_ms);
    if (g_strcmp0(link->holder, id) == 0)
        return CV_LINK_GRANTED;
    i = find_waiter(link, id);
    if (i < 0) {
        enqueue(link, id, now_ms);
        i = (gint)link->line->len - 1;
    }
    g_array_index(link->line, Waiter, i).last_ms = now_ms;
    if (link->holder != NULL && now_ms - link->granted_ms > CV_LINK_LEASE_MS) {
        /* the holder's change did not make it switch over in time: the others go first */
        link->expired = g_steal_pointer(&link->holder);
        enqueue(link, link->expired, now_ms);
        if (expired != NULL)
            *expired = link->expired;
    }
    if (link->holder != NULL || i != 0)
        return CV_LINK_HELD;
    grant(link, id, now_ms);
    return CV_LINK_GRANTED;
}

void
cv_link_release(CvLink *link, const gchar *id)
{
    gint i;

    g_return_if_fail(link != NULL && id != NULL);
    if (g_strcmp0(link->holder, id) == 0)
        g_clear_pointer(&link->holder, g_free);
    i = find_waiter(link, id);
    if (i >= 0)
        g_array_remove_index(link->line, (guint)i);
}

const gchar *
cv_link_get_holder(const CvLink *link)
{
    g_return_val_if_fail(link != NULL, NULL);
    return link->holder;
}

gint
cv_link_get_position(const CvLink *link, const gchar *id)
{
    gint i;

    g_return_val_if_fail(link != NULL && id != NULL, -1);
    if (g_strcmp0(link->holder, id) == 0)
        return 0;
    i = find_waiter(link, id);
    return i >= 0 ? i + 1 : -1;
}

guint
cv_link_get_n_waiting(const CvLink *link)
{
    g_return_val_if_fail(link != NULL, 0);
    return link->line->len;
}
