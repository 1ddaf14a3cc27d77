#include "config.h"

#include <string.h>

#include "cv-config-error.h"
#include "cv-config-units.h"

#define MAX_FRACTION_DIGITS 9

typedef struct {
    const gchar *name;
    guint64 factor; /* in the base unit of its table */
} Unit;

typedef struct {
    const gchar *what;     /* "duration", "size", ... for messages */
    const gchar *base;     /* "milliseconds", ... for the "not a whole number" message */
    const gchar *expected; /* the unit list shown when a unit is unknown */
    const Unit *units;
    gsize n_units;
} UnitTable;

static const Unit duration_units[] = {
    {"ms", 1},
    {"s", 1000},
    {"min", 60 * 1000},
    {"h", 60 * 60 * 1000},
};

static const Unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"KiB", G_GUINT64_CONSTANT(1) << 10},
    {"MiB", G_GUINT64_CONSTANT(1) << 20},
    {"GiB", G_GUINT64_CONSTANT(1) << 30},
    {"TiB", G_GUINT64_CONSTANT(1) << 40},
    {"kB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000 * 1000 * 1000},
    {"TB", G_GUINT64_CONSTANT(1000) * 1000 * 1000 * 1000},
};

/* Bit rates, in bits/s: converted to bytes afterwards. */
static const Unit bit_rate_units[] = {
    {"bit", 1},
    {"kbit", 1000},
    {"Mbit", 1000 * 1000},
    {"Gbit", 1000 * 1000 * 1000},
    {"Tbit", G_GUINT64_CONSTANT(1000) * 1000 * 1000 * 1000},
    {"bit/s", 1},
    {"kbit/s", 1000},
    {"Mbit/s", 1000 * 1000},
    {"Gbit/s", 1000 * 1000 * 1000},
    {"Tbit/s", G_GUINT64_CONSTANT(1000) * 1000 * 1000 * 1000},
};

static const Unit byte_rate_units[] = {
    {"B/s", 1},
    {"KiB/s", G_GUINT64_CONSTANT(1) << 10},
    {"MiB/s", G_GUINT64_CONSTANT(1) << 20},
    {"GiB/s", G_GUINT64_CONSTANT(1) << 30},
    {"TiB/s", G_GUINT64_CONSTANT(1) << 40},
    {"kB/s", 1000},
    {"MB/s", 1000 * 1000},
    {"GB/s", 1000 * 1000 * 1000},
    {"TB/s", G_GUINT64_CONSTANT(1000) * 1000 * 1000 * 1000},
};

static const UnitTable duration_table = {
    "duration", "milliseconds", "ms, s, min or h", duration_units, G_N_ELEMENTS(duration_units),
};

static const UnitTable size_table = {
    "size",
    "bytes",
    "B, KiB, MiB, GiB, TiB, kB, MB, GB or TB",
    size_units,
    G_N_ELEMENTS(size_units),
};

static const UnitTable byte_rate_table = {
    "rate",
    "bytes/s",
    "bit, kbit, Mbit, Gbit, Tbit, B/s, KiB/s, MiB/s, GiB/s, MB/s or GB/s",
    byte_rate_units,
    G_N_ELEMENTS(byte_rate_units),
};

static const UnitTable bit_rate_table = {
    "rate",
    "bytes/s",
    "bit, kbit, Mbit, Gbit, Tbit, B/s, KiB/s, MiB/s, GiB/s, MB/s or GB/s",
    bit_rate_units,
    G_N_ELEMENTS(bit_rate_units),
};

/* A decimal number as written: kept as integers so no precision is lost before scaling. */
typedef struct {
    guint64 int_part;
    guint64 frac;      /* the digits after '.', as an integer */
    guint frac_digits; /* how many of them */
    const gchar *unit; /* the rest of the text, right after the number */
} Number;

static guint64
pow10_u64(guint n)
{
    guint64 r = 1;

    for (guint i = 0; i < n; i++)
        r *= 10;
    return r;
}

static guint64
gcd_u64(guint64 a, guint64 b)
{
    while (b != 0) {
        guint64 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static gboolean
parse_number(const gchar *what, const gchar *display, const gchar *text, Number *n, GError **error)
{
    const gchar *p = text;

    memset(n, 0, sizeof(*n));
    if (*p == '\0') {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid %s '%s': empty value", what, display);
        return FALSE;
    }
    if (g_ascii_isspace(*p)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid %s '%s': leading whitespace", what, display);
        return FALSE;
    }
    if (*p == '-') {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "invalid %s '%s': negative values are not allowed", what, display);
        return FALSE;
    }
    if (!g_ascii_isdigit(*p)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid %s '%s': expected a number", what, display);
        return FALSE;
    }
    for (; g_ascii_isdigit(*p); p++) {
        if (!g_uint64_checked_mul(&n->int_part, n->int_part, 10) ||
            !g_uint64_checked_add(&n->int_part, n->int_part, (guint64)(*p - '0'))) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "invalid %s '%s': number too large", what, display);
            return FALSE;
        }
    }
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p)) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                        "invalid %s '%s': expected digits after '.'", what, display);
            return FALSE;
        }
        for (; g_ascii_isdigit(*p); p++) {
            if (n->frac_digits == MAX_FRACTION_DIGITS) {
                g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                            "invalid %s '%s': more than %d decimal places", what, display,
                            MAX_FRACTION_DIGITS);
                return FALSE;
            }
            n->frac = n->frac * 10 + (guint64)(*p - '0');
            n->frac_digits++;
        }
    }
    n->unit = p;
    return TRUE;
}

/* int_part * factor + frac * factor / 10^digits, exactly, or an error. */
static gboolean
number_scale(const Number *n, guint64 factor, guint64 *out, const UnitTable *table,
             const gchar *display, GError **error)
{
    guint64 whole;
    guint64 part = 0;

    if (!g_uint64_checked_mul(&whole, n->int_part, factor)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "invalid %s '%s': number too large", table->what, display);
        return FALSE;
    }
    if (n->frac != 0) {
        /* frac * factor / 10^d is whole iff frac is a multiple of 10^d / gcd(10^d, factor);
         * computed that way, nothing can overflow (the result is below factor). */
        guint64 scale = pow10_u64(n->frac_digits);
        guint64 g = gcd_u64(scale, factor);
        guint64 step = scale / g;

        if (n->frac % step != 0) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "invalid %s '%s': not a whole number of %s", table->what, display,
                        table->base);
            return FALSE;
        }
        part = (n->frac / step) * (factor / g);
    }
    if (!g_uint64_checked_add(out, whole, part)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "invalid %s '%s': number too large", table->what, display);
        return FALSE;
    }
    return TRUE;
}

static const Unit *
unit_lookup(const UnitTable *table, const gchar *name)
{
    for (gsize i = 0; i < table->n_units; i++) {
        if (g_strcmp0(table->units[i].name, name) == 0)
            return &table->units[i];
    }
    return NULL;
}

/* The one unit that matches @name ignoring case, for a "did you mean" hint. */
static const gchar *
unit_hint(const UnitTable *const *tables, gsize n_tables, const gchar *name)
{
    const gchar *found = NULL;

    for (gsize t = 0; t < n_tables; t++) {
        for (gsize i = 0; i < tables[t]->n_units; i++) {
            const gchar *u = tables[t]->units[i].name;
            if (*u == '\0' || g_ascii_strcasecmp(u, name) != 0)
                continue;
            if (found != NULL && g_strcmp0(found, u) != 0)
                return NULL;
            found = u;
        }
    }
    return found;
}

static void
set_unit_error(const UnitTable *const *tables, gsize n_tables, const gchar *display,
               const gchar *unit, GError **error)
{
    const UnitTable *table = tables[0];
    const gchar *hint;

    if (*unit == '\0') {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid %s '%s': missing unit (use %s)", table->what, display,
                    table->expected);
        return;
    }
    if (g_ascii_isspace(*unit)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid %s '%s': no space allowed between number and unit", table->what,
                    display);
        return;
    }
    if (strpbrk(unit, " \t") != NULL) {
        const gchar *rest = unit + strcspn(unit, " \t");

        if (rest[strspn(rest, " \t")] == '\0') {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                        "invalid %s '%s': trailing whitespace", table->what, display);
        } else {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                        "invalid %s '%s': unexpected text after the value (a comment must be on "
                        "a line of its own)",
                        table->what, display);
        }
        return;
    }
    hint = unit_hint(tables, n_tables, unit);
    if (hint != NULL) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid %s '%s': unknown unit '%s' (units are case-sensitive: did you "
                    "mean '%s'?)",
                    table->what, display, unit, hint);
        return;
    }
    g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                "invalid %s '%s': unknown unit '%s' (use %s)", table->what, display, unit,
                table->expected);
}

static gboolean
parse_with_table(const UnitTable *table, const gchar *display, const gchar *text, guint64 *out,
                 GError **error)
{
    Number n;
    const Unit *unit;
    const UnitTable *tables[] = {table};

    if (!parse_number(table->what, display, text, &n, error))
        return FALSE;
    unit = unit_lookup(table, n.unit);
    if (unit == NULL) {
        if (g_strcmp0(n.unit, "m") == 0 && table == &duration_table) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                        "invalid duration '%s': unit 'm' is ambiguous (use min or ms)", display);
            return FALSE;
        }
        set_unit_error(tables, G_N_ELEMENTS(tables), display, n.unit, error);
        return FALSE;
    }
    return number_scale(&n, unit->factor, out, table, display, error);
}

gboolean
cv_config_parse_duration(const gchar *text, guint64 *ms, GError **error)
{
    guint64 v = 0;

    g_return_val_if_fail(text != NULL, FALSE);
    if (!parse_with_table(&duration_table, text, text, &v, error))
        return FALSE;
    *ms = v;
    return TRUE;
}

gboolean
cv_config_parse_size(const gchar *text, guint64 *bytes, GError **error)
{
    guint64 v = 0;

    g_return_val_if_fail(text != NULL, FALSE);
    if (!parse_with_table(&size_table, text, text, &v, error))
        return FALSE;
    *bytes = v;
    return TRUE;
}

gboolean
cv_config_parse_rate(const gchar *text, guint64 *bytes_per_second, GError **error)
{
    const UnitTable *tables[] = {&byte_rate_table, &bit_rate_table};
    const Unit *unit;
    Number n;
    guint64 v = 0;

    g_return_val_if_fail(text != NULL, FALSE);
    if (!parse_number("rate", text, text, &n, error))
        return FALSE;

    unit = unit_lookup(&byte_rate_table, n.unit);
    if (unit != NULL) {
        if (!number_scale(&n, unit->factor, &v, &byte_rate_table, text, error))
            return FALSE;
        *bytes_per_second = v;
        return TRUE;
    }
    unit = unit_lookup(&bit_rate_table, n.unit);
    if (unit != NULL) {
        guint64 bits = 0;

        if (!number_scale(&n, unit->factor, &bits, &bit_rate_table, text, error))
            return FALSE;
        if (bits % 8 != 0) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "invalid rate '%s': not a whole number of bytes/s", text);
            return FALSE;
        }
        *bytes_per_second = bits / 8;
        return TRUE;
    }

    /* The common slips get a message that says what to write instead. */
    if (*n.unit != '\0' && unit_lookup(&size_table, n.unit) != NULL) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid rate '%s': '%s' is a size, a rate needs '/s' (e.g. 1GiB/s) or "
                    "bits (e.g. 10Gbit)",
                    text, n.unit);
        return FALSE;
    }
    if (g_strcmp0(n.unit, "b") == 0 || g_strcmp0(n.unit, "kb") == 0 ||
        g_strcmp0(n.unit, "Kb") == 0 || g_strcmp0(n.unit, "Mb") == 0 ||
        g_strcmp0(n.unit, "Gb") == 0 || g_strcmp0(n.unit, "Tb") == 0 ||
        g_str_has_suffix(n.unit, "bps")) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid rate '%s': unit '%s' is ambiguous (write bits as Gbit, bytes as "
                    "GB/s or GiB/s)",
                    text, n.unit);
        return FALSE;
    }
    set_unit_error(tables, G_N_ELEMENTS(tables), text, n.unit, error);
    return FALSE;
}

gboolean
cv_config_parse_percent(const gchar *text, gdouble *fraction, GError **error)
{
    Number n;
    guint64 mantissa = 0;
    guint digits;
    gboolean percent;

    g_return_val_if_fail(text != NULL, FALSE);
    if (!parse_number("percentage", text, text, &n, error))
        return FALSE;
    if (g_strcmp0(n.unit, "%") == 0) {
        percent = TRUE;
    } else if (*n.unit == '\0') {
        percent = FALSE;
    } else if (g_ascii_isspace(*n.unit)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid percentage '%s': no space allowed between number and unit", text);
        return FALSE;
    } else {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid percentage '%s': unknown unit '%s' (write 5%% or 0.05)", text, n.unit);
        return FALSE;
    }

    /* Clamped so the mantissa below cannot overflow; anything this large fails the range
     * check that follows. */
    if (n.int_part > (percent ? 100 : 1))
        n.int_part = (percent ? 101 : 2);
    /* Small integers: exact, and one division gives the correctly rounded double, the same
     * one the literal 0.05 gives. */
    mantissa = n.int_part * pow10_u64(n.frac_digits) + n.frac;
    digits = n.frac_digits + (percent ? 2 : 0);
    if (mantissa > pow10_u64(digits)) {
        if (percent) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "invalid percentage '%s': more than 100%%", text);
        } else {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "invalid percentage '%s': a bare number is a fraction from 0 to 1 "
                        "(write %s%% for percent)",
                        text, text);
        }
        return FALSE;
    }
    *fraction = (gdouble)mantissa / (gdouble)pow10_u64(digits);
    return TRUE;
}

gboolean
cv_config_parse_per_gib(const gchar *text, guint64 *ms_per_gib, GError **error)
{
    const gchar *slash;
    g_autofree gchar *duration = NULL;
    guint64 v = 0;

    g_return_val_if_fail(text != NULL, FALSE);
    slash = strrchr(text, '/');
    if (slash == NULL || g_strcmp0(slash, "/GiB") != 0) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_UNIT,
                    "invalid duration per GiB '%s': expected a duration followed by '/GiB' "
                    "(e.g. 150s/GiB)",
                    text);
        return FALSE;
    }
    duration = g_strndup(text, (gsize)(slash - text));
    if (!parse_with_table(&duration_table, text, duration, &v, error))
        return FALSE;
    *ms_per_gib = v;
    return TRUE;
}

static gchar *
format_exact(guint64 value, const Unit *units, gsize n_units)
{
    /* The tables list units smallest first; the largest exact one wins. */
    for (gsize i = n_units; i > 0; i--) {
        const Unit *u = &units[i - 1];
        if (value != 0 && value % u->factor == 0)
            return g_strdup_printf("%" G_GUINT64_FORMAT "%s", value / u->factor, u->name);
    }
    return NULL;
}

gchar *
cv_config_format_duration(guint64 ms)
{
    gchar *s = format_exact(ms, duration_units, G_N_ELEMENTS(duration_units));

    return s != NULL ? s : g_strdup("0ms");
}

gchar *
cv_config_format_size(guint64 bytes)
{
    static const Unit binary[] = {
        {"B", 1},
        {"KiB", G_GUINT64_CONSTANT(1) << 10},
        {"MiB", G_GUINT64_CONSTANT(1) << 20},
        {"GiB", G_GUINT64_CONSTANT(1) << 30},
        {"TiB", G_GUINT64_CONSTANT(1) << 40},
    };
    gchar *s = format_exact(bytes, binary, G_N_ELEMENTS(binary));

    return s != NULL ? s : g_strdup("0B");
}

gchar *
cv_config_format_rate(guint64 bytes_per_second)
{
    /* Links are stated in decimal bits; prefer that when it is exact from Mbit up. */
    static const Unit bits[] = {
        {"Mbit", 1000 * 1000},
        {"Gbit", 1000 * 1000 * 1000},
        {"Tbit", G_GUINT64_CONSTANT(1000) * 1000 * 1000 * 1000},
    };
    static const Unit binary[] = {
        {"B/s", 1},
        {"KiB/s", G_GUINT64_CONSTANT(1) << 10},
        {"MiB/s", G_GUINT64_CONSTANT(1) << 20},
        {"GiB/s", G_GUINT64_CONSTANT(1) << 30},
        {"TiB/s", G_GUINT64_CONSTANT(1) << 40},
    };
    gchar *s;

    if (bytes_per_second <= G_MAXUINT64 / 8) {
        s = format_exact(bytes_per_second * 8, bits, G_N_ELEMENTS(bits));
        if (s != NULL)
            return s;
    }
    s = format_exact(bytes_per_second, binary, G_N_ELEMENTS(binary));
    return s != NULL ? s : g_strdup("0B/s");
}

gchar *
cv_config_format_percent(gdouble fraction)
{
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

    /* A parsed percentage has at most 3 + 9 significant digits; %.12g keeps them all and
     * drops the binary noise (0.1 * 100 prints as 10, not 10.000000000000002). */
    g_ascii_formatd(buf, sizeof(buf), "%.12g", fraction * 100.0);
    if (strpbrk(buf, "eE") != NULL) {
        /* %g chose an exponent (tiny values: 1.5e-05), which the parser does not read: the
         * same 12 significant digits in fixed notation, trailing zeros dropped */
        gint exponent = 0;
        gchar *end;
        g_autofree gchar *fixed = NULL;

        g_ascii_formatd(buf, sizeof(buf), "%.11e", fraction * 100.0);
        exponent = (gint)g_ascii_strtoll(strpbrk(buf, "eE") + 1, NULL, 10);
        fixed = g_strdup_printf("%%.%df", CLAMP(11 - exponent, 0, 30));
        g_ascii_formatd(buf, sizeof(buf), fixed, fraction * 100.0);
        end = buf + strlen(buf);
        while (end > buf && strchr(buf, '.') != NULL && end[-1] == '0')
            *--end = '\0';
        if (end > buf && end[-1] == '.')
            *--end = '\0';
    }
    return g_strdup_printf("%s%%", buf);
}

gchar *
cv_config_format_per_gib(guint64 ms_per_gib)
{
    g_autofree gchar *d = cv_config_format_duration(ms_per_gib);

    return g_strdup_printf("%s/GiB", d);
}
