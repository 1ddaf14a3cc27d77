/* A two-panel line chart in SVG, written by hand (no plotting dependency): pending data over
 * time above, the downtime-limit in force (log scale) below, one line per policy. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    const gchar *label;
    const gdouble *t;     /* seconds */
    const gdouble *upper; /* top panel values (bytes) */
    const gdouble *lower; /* bottom panel values (ms) */
    guint n;
    /* How the line ends: 'c' converged (dot), 'a' aborted/failed (cross), 'r' still running
     * at the end of the run (arrow at the edge), anything else: nothing. */
    gchar end;
    const gchar *colour; /* "#rrggbb"; NULL: the next of a palette */
    gboolean bold;       /* drawn thicker (ours) */
} CvBenchSvgLine;

/* @x_max: the time axis ends there (lines are cut). Returns the SVG text. */
gchar *cv_bench_svg_chart(const gchar *title, const gchar *subtitle, const CvBenchSvgLine *lines,
                          guint n_lines, gdouble x_max);

G_END_DECLS
