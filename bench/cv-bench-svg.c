#include "config.h"

#include <math.h>

#include "cv-bench-svg.h"

#define W 1200
#define LEFT 70
#define PLOT_W 700
#define LEGEND_X (LEFT + PLOT_W + 20)
#define TOP1 60
#define H1 230
#define TOP2 (TOP1 + H1 + 40)
#define H2 200
#define H (TOP2 + H2 + 50)
#define MAX_POINTS 1500

/* Distinct colours (Okabe-Ito, then Tableau) for up to 12 lines. */
static const gchar *const colours[] = {
    "#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2",
    "#d55e00", "#cc79a7", "#7f7f7f", "#8c564b", "#e377c2", "#17becf",
};

static void
escape(GString *out, const gchar *text)
{
    g_autofree gchar *e = g_markup_escape_text(text, -1);

    g_string_append(out, e);
}

/* A "nice" step for about @n ticks over @range. */
static gdouble
nice_step(gdouble range, guint n)
{
    gdouble raw = range / n;
    gdouble mag = pow(10, floor(log10(raw)));
    gdouble f = raw / mag;

    if (f < 1.5)
        return mag;
    if (f < 3.5)
        return 2 * mag;
    if (f < 7.5)
        return 5 * mag;
    return 10 * mag;
}

static gdouble
log_y(gdouble ms, gdouble lo, gdouble hi)
{
    gdouble v = CLAMP(ms, lo, hi);

    return TOP2 + H2 - (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) * H2;
}

static void
polyline(GString *out, const CvBenchSvgLine *line, gboolean upper, gdouble x_max, gdouble y_max,
         gdouble lo, gdouble hi, const gchar *colour, gdouble *end_x, gdouble *end_y)
{
    guint stride = MAX(1, line->n / MAX_POINTS);
    gboolean any = FALSE;

    g_string_append_printf(out,
                           "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
                           "stroke-opacity=\"0.85\" points=\"",
                           colour);
    for (guint i = 0; i < line->n; i += stride) {
        gdouble t = line->t[i];
        gdouble x, y;

        if (t > x_max)
            break;
        x = LEFT + t / x_max * PLOT_W;
        if (upper)
            y = TOP1 + H1 - CLAMP(line->upper[i] / y_max, 0, 1) * H1;
        else
            y = log_y(line->lower[i], lo, hi);
        g_string_append_printf(out, "%.1f,%.1f ", x, y);
        *end_x = x;
        *end_y = y;
        any = TRUE;
    }
    /* the last point too, when it is within the axis */
    if (line->n > 0 && line->t[line->n - 1] <= x_max && (line->n - 1) % stride != 0) {
        gdouble x = LEFT + line->t[line->n - 1] / x_max * PLOT_W;
        gdouble y = upper ? TOP1 + H1 - CLAMP(line->upper[line->n - 1] / y_max, 0, 1) * H1
                          : log_y(line->lower[line->n - 1], lo, hi);

        g_string_append_printf(out, "%.1f,%.1f ", x, y);
        *end_x = x;
        *end_y = y;
        any = TRUE;
    }
    g_string_append(out, "\"/>\n");
    if (!any)
        *end_x = -1;
}

static void
end_marker(GString *out, gchar end, gdouble x, gdouble y, const gchar *colour)
{
    if (x < 0)
        return;
    switch (end) {
    case 'c':
        g_string_append_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x,
                               y, colour);
        break;
    case 'a':
        g_string_append_printf(out,
                               "<path d=\"M%.1f %.1fl7 7m0 -7l-7 7\" stroke=\"%s\" "
                               "stroke-width=\"2\"/>\n",
                               x - 3.5, y - 3.5, colour);
        break;
    case 'r':
        g_string_append_printf(out, "<path d=\"M%.1f %.1fl6 -4v8z\" fill=\"%s\"/>\n", x, y, colour);
        break;
    default:
        break;
    }
}

gchar *
cv_bench_svg_chart(const gchar *title, const gchar *subtitle, const CvBenchSvgLine *lines,
                   guint n_lines, gdouble x_max)
{
    GString *out = g_string_new(NULL);
    gdouble y_max = 0, lo = 10, hi = 1000, step;
    const gchar *unit = "GiB";
    gdouble unit_div = 1073741824.0;

    for (guint l = 0; l < n_lines; l++) {
        for (guint i = 0; i < lines[l].n; i++) {
            if (lines[l].t[i] > x_max)
                break;
            y_max = MAX(y_max, lines[l].upper[i]);
            if (lines[l].lower[i] > 0)
                hi = MAX(hi, lines[l].lower[i]);
        }
    }
    if (y_max < 1.5 * 1073741824.0) {
        unit = "MiB";
        unit_div = 1048576.0;
    }
    if (y_max <= 0)
        y_max = unit_div;
    step = nice_step(y_max / unit_div, 5);
    y_max = ceil(y_max / unit_div / step) * step * unit_div;
    hi = pow(10, ceil(log10(hi)));

    g_string_append_printf(out,
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                           "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                           W, H, W, H);
    g_string_append_printf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
    g_string_append(out, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">");
    escape(out, title);
    g_string_append(out, "</text>\n<text x=\"10\" y=\"42\" fill=\"#444\">");
    escape(out, subtitle);
    g_string_append(out, "</text>\n");

    /* frames and grids */
    for (gint panel = 0; panel < 2; panel++) {
        gint top = panel == 0 ? TOP1 : TOP2, h = panel == 0 ? H1 : H2;
        gdouble xs = nice_step(x_max, 8);

        g_string_append_printf(out,
                               "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                               "stroke=\"#888\"/>\n",
                               LEFT, top, PLOT_W, h);
        for (gdouble x = 0; x <= x_max + 1e-9; x += xs) {
            gdouble px = LEFT + x / x_max * PLOT_W;

            g_string_append_printf(out,
                                   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                                   "stroke=\"#eee\"/>\n",
                                   px, top, px, top + h);
            if (panel == 1)
                g_string_append_printf(
                    out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px,
                    top + h + 16, x);
        }
    }
    for (gdouble v = 0; v <= y_max / unit_div + 1e-9; v += step) {
        gdouble py = TOP1 + H1 - v * unit_div / y_max * H1;

        g_string_append_printf(
            out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
            LEFT, py, LEFT + PLOT_W, py, LEFT - 6, py + 4, v);
    }
    for (gdouble v = lo; v <= hi * 1.0001; v *= 10) {
        gdouble py = log_y(v, lo, hi);

        g_string_append_printf(
            out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
            LEFT, py, LEFT + PLOT_W, py, LEFT - 6, py + 4, v);
    }
    g_string_append_printf(out,
                           "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">pending (RAM + device "
                           "state, %s)</text>\n",
                           LEFT, TOP1 - 6, unit);
    g_string_append_printf(out,
                           "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">downtime-limit in force "
                           "(ms, log scale)</text>\n",
                           LEFT, TOP2 - 6);
    g_string_append_printf(out,
                           "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">seconds since the "
                           "migration started</text>\n",
                           LEFT + PLOT_W / 2, TOP2 + H2 + 36);

    for (guint l = 0; l < n_lines; l++) {
        const gchar *colour =
            lines[l].colour != NULL ? lines[l].colour : colours[l % G_N_ELEMENTS(colours)];
        gdouble ex = -1, ey = 0;
        gint ly = TOP1 + 10 + (gint)l * 20;

        polyline(out, &lines[l], TRUE, x_max, y_max, lo, hi, colour, &ex, &ey);
        end_marker(out, lines[l].end, ex, ey, colour);
        polyline(out, &lines[l], FALSE, x_max, y_max, lo, hi, colour, &ex, &ey);
        end_marker(out, lines[l].end, ex, ey, colour);
        g_string_append_printf(out,
                               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                               "stroke-width=\"%s\"/>\n<text x=\"%d\" y=\"%d\"%s>",
                               LEGEND_X, ly, LEGEND_X + 22, ly, colour, lines[l].bold ? "4" : "3",
                               LEGEND_X + 28, ly + 4, lines[l].bold ? " font-weight=\"bold\"" : "");
        escape(out, lines[l].label);
        g_string_append(out, "</text>\n");
    }
    g_string_append_printf(out,
                           "<text x=\"%d\" y=\"%d\" fill=\"#444\">&#9679; completed  "
                           "&#10005; aborted  &#9654; still running</text>\n",
                           LEGEND_X, TOP1 + 10 + (gint)n_lines * 20 + 10);
    g_string_append(out, "</svg>\n");
    return g_string_free(out, FALSE);
}
