#include "config.h"

#include <stdlib.h>

#include "cv-sim-link.h"

typedef struct {
    gconstpointer member;
    CvSimLinkDemandFunc demand;
} Member;

struct _CvSimLink {
    gdouble capacity;
    GArray *members; /* of Member */
};

CvSimLink *
cv_sim_link_new(gdouble capacity)
{
    CvSimLink *link;

    g_return_val_if_fail(capacity > 0, NULL);
    link = g_new0(CvSimLink, 1);
    link->capacity = capacity;
    link->members = g_array_new(FALSE, FALSE, sizeof(Member));
    return link;
}

void
cv_sim_link_free(CvSimLink *link)
{
    if (link == NULL)
        return;
    g_array_unref(link->members);
    g_free(link);
}

gdouble
cv_sim_link_get_capacity(const CvSimLink *link)
{
    return link->capacity;
}

guint
cv_sim_link_get_n_members(const CvSimLink *link)
{
    return link->members->len;
}

void
cv_sim_link_add(CvSimLink *link, gconstpointer member, CvSimLinkDemandFunc demand)
{
    Member m = {member, demand};

    g_array_append_val(link->members, m);
}

void
cv_sim_link_remove(CvSimLink *link, gconstpointer member)
{
    for (guint i = 0; i < link->members->len; i++) {
        if (g_array_index(link->members, Member, i).member == member) {
            g_array_remove_index(link->members, i);
            return;
        }
    }
}

static gint
compare_double(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

gdouble
cv_sim_link_share(const CvSimLink *link, gconstpointer member, gdouble demand)
{
    g_autofree gdouble *others = NULL;
    guint n = 0;
    gdouble left = link->capacity;
    guint waiting;

    if (demand <= 0)
        return 0;
    others = g_new(gdouble, link->members->len + 1);
    for (guint i = 0; i < link->members->len; i++) {
        const Member *m = &g_array_index(link->members, Member, i);
        gdouble d;

        if (m->member == member)
            continue;
        d = m->demand(m->member);
        if (d > 0)
            others[n++] = d;
    }
    others[n++] = demand;
    qsort(others, n, sizeof(gdouble), compare_double);
    /* Water-filling: the smallest demands are met in full while they are below an equal share
     * of what is left; everyone above that gets the same share. */
    waiting = n;
    for (guint i = 0; i < n; i++) {
        gdouble fair = left / waiting;

        if (others[i] >= fair)
            return MIN(demand, fair);
        if (others[i] == demand)
            return demand;
        left -= others[i];
        waiting--;
    }
    return demand;
}
