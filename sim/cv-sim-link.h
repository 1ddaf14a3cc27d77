/* One link shared by several simulated migrations (the instances of one virt-converge-sim
 * process, or the benchmark's concurrent migrations): each member asks for a rate, and the
 * capacity is shared max-min fairly among those asking. Pure arithmetic, no clock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CvSimLink CvSimLink;

/* What @member would send now if it had the link to itself (bytes/s; 0 = idle). */
typedef gdouble (*CvSimLinkDemandFunc)(gconstpointer member);

/* @capacity in bytes/s, above 0. */
CvSimLink *cv_sim_link_new(gdouble capacity);
/* Free it after every member has left. */
void cv_sim_link_free(CvSimLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvSimLink, cv_sim_link_free)

gdouble cv_sim_link_get_capacity(const CvSimLink *link);
guint cv_sim_link_get_n_members(const CvSimLink *link);
void cv_sim_link_add(CvSimLink *link, gconstpointer member, CvSimLinkDemandFunc demand);
void cv_sim_link_remove(CvSimLink *link, gconstpointer member);

/* The rate @member gets when it asks for @demand while every other member asks for its
 * current demand: max-min fair (water-filling), never more than @demand. */
gdouble cv_sim_link_share(const CvSimLink *link, gconstpointer member, gdouble demand);

G_END_DECLS
