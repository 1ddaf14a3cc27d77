#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "cv-config.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

#define NS CV_CONFIG_METADATA_NS

static gchar *
data_path(const gchar *name)
{
    return g_test_build_filename(G_TEST_DIST, "data", "config", name, NULL);
}

/* Field by field: memcmp would also compare padding bytes, which C does not define. */
static void
assert_policy_equal(const CvPolicy *a, const CvPolicy *b)
{
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_cmpstr(a->name, ==, b->name);
    g_assert_cmpuint(a->max_downtime_ms, ==, b->max_downtime_ms);
    g_assert_cmpfloat(a->margin, ==, b->margin);
    g_assert_cmpuint(a->switchover_bandwidth, ==, b->switchover_bandwidth);
    g_assert_cmpint(a->switchover_learned, ==, b->switchover_learned);
    g_assert_cmpuint(a->switchover_learned_max, ==, b->switchover_learned_max);
    g_assert_cmpuint(a->patience_ms, ==, b->patience_ms);
    g_assert_cmpuint(a->stall_window_passes, ==, b->stall_window_passes);
    g_assert_cmpuint(a->stall_window_ms, ==, b->stall_window_ms);
    g_assert_cmpfloat(a->stall_min_progress, ==, b->stall_min_progress);
    g_assert_cmpuint(a->n_escalation, ==, b->n_escalation);
    for (guint i = 0; i < a->n_escalation && i < CV_POLICY_MAX_ESCALATION; i++) {
        g_assert_cmpint(a->escalation[i].action, ==, b->escalation[i].action);
        g_assert_cmpuint(a->escalation[i].bound_ms, ==, b->escalation[i].bound_ms);
    }
    g_assert_cmpuint(a->wait_time_ms, ==, b->wait_time_ms);
    g_assert_cmpuint(a->completion_timeout_ms, ==, b->completion_timeout_ms);
    g_assert_cmpuint(a->completion_timeout_ms_per_gib, ==, b->completion_timeout_ms_per_gib);
    g_assert_cmpint(a->on_outside_change, ==, b->on_outside_change);
}

/* ------------------------------------------------------------------------------------------
 * Units: one row per text.
 * ------------------------------------------------------------------------------------------ */

typedef enum {
    UNIT_DURATION,
    UNIT_SIZE,
    UNIT_RATE,
    UNIT_PERCENT,
    UNIT_PER_GIB,
} UnitKind;

typedef struct {
    const gchar *name;
    UnitKind kind;
    const gchar *text;
    gboolean ok;
    guint64 value;      /* integer kinds */
    gdouble fraction;   /* UNIT_PERCENT */
    gint code;          /* when !ok */
    const gchar *error; /* exact message when !ok */
} UnitRow;

#define OK_U(n, k, t, v)                                                                           \
    {                                                                                              \
        n, k, t, TRUE, v, 0, 0, NULL                                                               \
    }
#define OK_P(n, t, f)                                                                              \
    {                                                                                              \
        n, UNIT_PERCENT, t, TRUE, 0, f, 0, NULL                                                    \
    }
#define BAD(n, k, t, c, m)                                                                         \
    {                                                                                              \
        n, k, t, FALSE, 0, 0, CV_CONFIG_ERROR_##c, m                                               \
    }

static const UnitRow unit_rows[] = {
    OK_U("duration/300ms", UNIT_DURATION, "300ms", 300),
    OK_U("duration/2s", UNIT_DURATION, "2s", 2000),
    OK_U("duration/1.5s", UNIT_DURATION, "1.5s", 1500),
    OK_U("duration/0.001s", UNIT_DURATION, "0.001s", 1),
    OK_U("duration/10min", UNIT_DURATION, "10min", 600000),
    OK_U("duration/1h", UNIT_DURATION, "1h", 3600000),
    OK_U("duration/0ms", UNIT_DURATION, "0ms", 0),
    OK_U("duration/leading-zeros", UNIT_DURATION, "007s", 7000),
    OK_U("duration/u64-max", UNIT_DURATION, "18446744073709551615ms", G_MAXUINT64),
    BAD("duration/leading-space", UNIT_DURATION, " 300ms", BAD_UNIT,
        "invalid duration ' 300ms': leading whitespace"),
    BAD("duration/space-before-unit", UNIT_DURATION, "300 ms", BAD_UNIT,
        "invalid duration '300 ms': no space allowed between number and unit"),
    BAD("duration/trailing-space", UNIT_DURATION, "300ms ", BAD_UNIT,
        "invalid duration '300ms ': trailing whitespace"),
    BAD("duration/trailing-comment", UNIT_DURATION, "1s # one", BAD_UNIT,
        "invalid duration '1s # one': unexpected text after the value (a comment must be on a "
        "line of its own)"),
    BAD("duration/negative", UNIT_DURATION, "-1s", BAD_VALUE,
        "invalid duration '-1s': negative values are not allowed"),
    BAD("duration/plus", UNIT_DURATION, "+1s", BAD_UNIT,
        "invalid duration '+1s': expected a number"),
    BAD("duration/huge", UNIT_DURATION, "99999999999999999999ms", BAD_VALUE,
        "invalid duration '99999999999999999999ms': number too large"),
    BAD("duration/u64-max-plus-one", UNIT_DURATION, "18446744073709551616ms", BAD_VALUE,
        "invalid duration '18446744073709551616ms': number too large"),
    BAD("duration/overflow-by-unit", UNIT_DURATION, "18446744073709551615s", BAD_VALUE,
        "invalid duration '18446744073709551615s': number too large"),
    BAD("duration/parsecs", UNIT_DURATION, "10parsecs", BAD_UNIT,
        "invalid duration '10parsecs': unknown unit 'parsecs' (use ms, s, min or h)"),
    BAD("duration/empty", UNIT_DURATION, "", BAD_UNIT, "invalid duration '': empty value"),
    BAD("duration/bare-number", UNIT_DURATION, "300", BAD_UNIT,
        "invalid duration '300': missing unit (use ms, s, min or h)"),
    BAD("duration/m-ambiguous", UNIT_DURATION, "1m", BAD_UNIT,
        "invalid duration '1m': unit 'm' is ambiguous (use min or ms)"),
    BAD("duration/wrong-case", UNIT_DURATION, "2S", BAD_UNIT,
        "invalid duration '2S': unknown unit 'S' (units are case-sensitive: did you mean 's'?)"),
    BAD("duration/exponent", UNIT_DURATION, "1e3ms", BAD_UNIT,
        "invalid duration '1e3ms': unknown unit 'e3ms' (use ms, s, min or h)"),
    BAD("duration/leading-dot", UNIT_DURATION, ".5s", BAD_UNIT,
        "invalid duration '.5s': expected a number"),
    BAD("duration/trailing-dot", UNIT_DURATION, "5.s", BAD_UNIT,
        "invalid duration '5.s': expected digits after '.'"),
    BAD("duration/sub-millisecond", UNIT_DURATION, "1.0005s", BAD_VALUE,
        "invalid duration '1.0005s': not a whole number of milliseconds"),
    BAD("duration/too-many-decimals", UNIT_DURATION, "1.0000000001s", BAD_VALUE,
        "invalid duration '1.0000000001s': more than 9 decimal places"),

    OK_U("size/bytes", UNIT_SIZE, "4096", 4096),
    OK_U("size/B", UNIT_SIZE, "4096B", 4096),
    OK_U("size/512MiB", UNIT_SIZE, "512MiB", G_GUINT64_CONSTANT(512) << 20),
    OK_U("size/1GiB", UNIT_SIZE, "1GiB", G_GUINT64_CONSTANT(1) << 30),
    OK_U("size/1.5GiB", UNIT_SIZE, "1.5GiB", G_GUINT64_CONSTANT(3) << 29),
    OK_U("size/1GB", UNIT_SIZE, "1GB", 1000000000),
    OK_U("size/64kB", UNIT_SIZE, "64kB", 64000),
    BAD("size/half-byte", UNIT_SIZE, "0.5B", BAD_VALUE,
        "invalid size '0.5B': not a whole number of bytes"),
    BAD("size/overflow", UNIT_SIZE, "17179869184GiB", BAD_VALUE,
        "invalid size '17179869184GiB': number too large"),
    BAD("size/wrong-case", UNIT_SIZE, "1gib", BAD_UNIT,
        "invalid size '1gib': unknown unit 'gib' (units are case-sensitive: did you mean "
        "'GiB'?)"),
    BAD("size/exbibyte", UNIT_SIZE, "1EiB", BAD_UNIT,
        "invalid size '1EiB': unknown unit 'EiB' (use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB)"),

    OK_U("rate/10Gbit", UNIT_RATE, "10Gbit", 1250000000),
    OK_U("rate/10Gbit-per-s", UNIT_RATE, "10Gbit/s", 1250000000),
    OK_U("rate/800Mbit", UNIT_RATE, "800Mbit", 100000000),
    OK_U("rate/2.5Gbit", UNIT_RATE, "2.5Gbit", 312500000),
    OK_U("rate/1GiB-per-s", UNIT_RATE, "1GiB/s", G_GUINT64_CONSTANT(1) << 30),
    OK_U("rate/100MiB-per-s", UNIT_RATE, "100MiB/s", G_GUINT64_CONSTANT(100) << 20),
    OK_U("rate/125MB-per-s", UNIT_RATE, "125MB/s", 125000000),
    BAD("rate/odd-bits", UNIT_RATE, "12bit", BAD_VALUE,
        "invalid rate '12bit': not a whole number of bytes/s"),
    BAD("rate/Gb-ambiguous", UNIT_RATE, "10Gb", BAD_UNIT,
        "invalid rate '10Gb': unit 'Gb' is ambiguous (write bits as Gbit, bytes as GB/s or "
        "GiB/s)"),
    BAD("rate/Gbps", UNIT_RATE, "10Gbps", BAD_UNIT,
        "invalid rate '10Gbps': unit 'Gbps' is ambiguous (write bits as Gbit, bytes as GB/s or "
        "GiB/s)"),
    BAD("rate/size-not-rate", UNIT_RATE, "1GiB", BAD_UNIT,
        "invalid rate '1GiB': 'GiB' is a size, a rate needs '/s' (e.g. 1GiB/s) or bits (e.g. "
        "10Gbit)"),
    BAD("rate/bare-number", UNIT_RATE, "1000", BAD_UNIT,
        "invalid rate '1000': missing unit (use bit, kbit, Mbit, Gbit, Tbit, B/s, KiB/s, MiB/s, "
        "GiB/s, MB/s or GB/s)"),
    BAD("rate/wrong-case", UNIT_RATE, "1gbit", BAD_UNIT,
        "invalid rate '1gbit': unknown unit 'gbit' (units are case-sensitive: did you mean "
        "'Gbit'?)"),
    BAD("rate/negative", UNIT_RATE, "-10Gbit", BAD_VALUE,
        "invalid rate '-10Gbit': negative values are not allowed"),

    OK_P("percent/5%", "5%", 0.05),
    OK_P("percent/fraction", "0.05", 0.05),
    OK_P("percent/12.5%", "12.5%", 0.125),
    OK_P("percent/100%", "100%", 1.0),
    OK_P("percent/0%", "0%", 0.0),
    OK_P("percent/fraction-one", "1", 1.0),
    BAD("percent/101%", UNIT_PERCENT, "101%", BAD_VALUE,
        "invalid percentage '101%': more than 100%"),
    BAD("percent/100.5%", UNIT_PERCENT, "100.5%", BAD_VALUE,
        "invalid percentage '100.5%': more than 100%"),
    BAD("percent/bare-5", UNIT_PERCENT, "5", BAD_VALUE,
        "invalid percentage '5': a bare number is a fraction from 0 to 1 (write 5% for "
        "percent)"),
    BAD("percent/bare-1.5", UNIT_PERCENT, "1.5", BAD_VALUE,
        "invalid percentage '1.5': a bare number is a fraction from 0 to 1 (write 1.5% for "
        "percent)"),
    BAD("percent/space", UNIT_PERCENT, "5 %", BAD_UNIT,
        "invalid percentage '5 %': no space allowed between number and unit"),
    BAD("percent/pc", UNIT_PERCENT, "5pc", BAD_UNIT,
        "invalid percentage '5pc': unknown unit 'pc' (write 5% or 0.05)"),
    BAD("percent/huge", UNIT_PERCENT, "99999999999999999999%", BAD_VALUE,
        "invalid percentage '99999999999999999999%': number too large"),

    OK_U("per-gib/150s", UNIT_PER_GIB, "150s/GiB", 150000),
    OK_U("per-gib/2.5min", UNIT_PER_GIB, "2.5min/GiB", 150000),
    BAD("per-gib/GB", UNIT_PER_GIB, "150s/GB", BAD_UNIT,
        "invalid duration per GiB '150s/GB': expected a duration followed by '/GiB' (e.g. "
        "150s/GiB)"),
    BAD("per-gib/no-unit", UNIT_PER_GIB, "150/GiB", BAD_UNIT,
        "invalid duration '150/GiB': missing unit (use ms, s, min or h)"),
    BAD("per-gib/plain-duration", UNIT_PER_GIB, "150s", BAD_UNIT,
        "invalid duration per GiB '150s': expected a duration followed by '/GiB' (e.g. "
        "150s/GiB)"),
};

static void
test_unit(gconstpointer data)
{
    const UnitRow *row = data;
    g_autoptr(GError) error = NULL;
    guint64 value = 12345;
    gdouble fraction = -1;
    gboolean ok = FALSE;

    switch (row->kind) {
    case UNIT_DURATION:
        ok = cv_config_parse_duration(row->text, &value, &error);
        break;
    case UNIT_SIZE:
        ok = cv_config_parse_size(row->text, &value, &error);
        break;
    case UNIT_RATE:
        ok = cv_config_parse_rate(row->text, &value, &error);
        break;
    case UNIT_PERCENT:
        ok = cv_config_parse_percent(row->text, &fraction, &error);
        break;
    case UNIT_PER_GIB:
        ok = cv_config_parse_per_gib(row->text, &value, &error);
        break;
    default:
        g_assert_not_reached();
    }
    if (row->ok) {
        g_assert_no_error(error);
        g_assert_true(ok);
        if (row->kind == UNIT_PERCENT)
            g_assert_cmpfloat(fraction, ==, row->fraction);
        else
            g_assert_cmpuint(value, ==, row->value);
    } else {
        g_assert_false(ok);
        g_assert_error(error, CV_CONFIG_ERROR, row->code);
        g_assert_cmpstr(error->message, ==, row->error);
        /* Outputs are untouched on failure. */
        g_assert_cmpuint(value, ==, 12345);
        g_assert_cmpfloat(fraction, ==, -1);
    }
}

typedef struct {
    const gchar *name;
    UnitKind kind;
    guint64 value;
    gdouble fraction;
    const gchar *text;
} FormatRow;

static const FormatRow format_rows[] = {
    {"duration/1500ms", UNIT_DURATION, 1500, 0, "1500ms"},
    {"duration/1min", UNIT_DURATION, 60000, 0, "1min"},
    {"duration/90s", UNIT_DURATION, 90000, 0, "90s"},
    {"duration/2h", UNIT_DURATION, 7200000, 0, "2h"},
    {"duration/zero", UNIT_DURATION, 0, 0, "0ms"},
    {"size/1GiB", UNIT_SIZE, G_GUINT64_CONSTANT(1) << 30, 0, "1GiB"},
    {"size/1000B", UNIT_SIZE, 1000, 0, "1000B"},
    {"size/zero", UNIT_SIZE, 0, 0, "0B"},
    {"rate/10Gbit", UNIT_RATE, 1250000000, 0, "10Gbit"},
    {"rate/800Mbit", UNIT_RATE, 100000000, 0, "800Mbit"},
    {"rate/1GiB-per-s", UNIT_RATE, G_GUINT64_CONSTANT(1) << 30, 0, "1GiB/s"},
    {"rate/100MiB-per-s", UNIT_RATE, G_GUINT64_CONSTANT(100) << 20, 0, "100MiB/s"},
    {"rate/1B-per-s", UNIT_RATE, 1, 0, "1B/s"},
    {"rate/huge", UNIT_RATE, G_MAXUINT64, 0, "18446744073709551615B/s"},
    {"percent/10%", UNIT_PERCENT, 0, 0.1, "10%"},
    {"percent/4%", UNIT_PERCENT, 0, 0.04, "4%"},
    {"percent/12.5%", UNIT_PERCENT, 0, 0.125, "12.5%"},
    {"percent/0%", UNIT_PERCENT, 0, 0.0, "0%"},
    {"percent/nine-decimals", UNIT_PERCENT, 0, 0.12123456789, "12.123456789%"},
    {"percent/third", UNIT_PERCENT, 0, 0.0333, "3.33%"},
    /* %g would write 1.5e-05%, which no parser reads (found by fuzz-config) */
    {"percent/tiny-no-exponent", UNIT_PERCENT, 0, 1.5e-07, "0.000015%"},
    {"per-gib/150s", UNIT_PER_GIB, 150000, 0, "150s/GiB"},
};

/* Formatting gives the expected text, and that text parses back to the same value. */
static void
test_format(gconstpointer data)
{
    const FormatRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *text = NULL;
    guint64 back = 0;
    gdouble back_fraction = -1;

    switch (row->kind) {
    case UNIT_DURATION:
        text = cv_config_format_duration(row->value);
        g_assert_true(cv_config_parse_duration(text, &back, &error));
        break;
    case UNIT_SIZE:
        text = cv_config_format_size(row->value);
        g_assert_true(cv_config_parse_size(text, &back, &error));
        break;
    case UNIT_RATE:
        text = cv_config_format_rate(row->value);
        g_assert_true(cv_config_parse_rate(text, &back, &error));
        break;
    case UNIT_PERCENT:
        text = cv_config_format_percent(row->fraction);
        g_assert_true(cv_config_parse_percent(text, &back_fraction, &error));
        g_assert_cmpfloat(back_fraction, ==, row->fraction);
        break;
    case UNIT_PER_GIB:
        text = cv_config_format_per_gib(row->value);
        g_assert_true(cv_config_parse_per_gib(text, &back, &error));
        break;
    default:
        g_assert_not_reached();
    }
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, row->text);
    if (row->kind != UNIT_PERCENT)
        g_assert_cmpuint(back, ==, row->value);
}

/* ------------------------------------------------------------------------------------------
 * Policy keys, through the same parser files and metadata use.
 * ------------------------------------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    CvConfigPolicyKey key;
    const gchar *text;
    const gchar *formatted; /* NULL: the value must be refused */
    gint code;
    const gchar *error;
} KeyRow;

#define K_OK(n, k, t, f)                                                                           \
    {                                                                                              \
        n, CV_CONFIG_POLICY_KEY_##k, t, f, 0, NULL                                                 \
    }
#define K_BAD(n, k, t, c, m)                                                                       \
    {                                                                                              \
        n, CV_CONFIG_POLICY_KEY_##k, t, NULL, CV_CONFIG_ERROR_##c, m                               \
    }

static const KeyRow key_rows[] = {
    K_OK("max-downtime/2000s", MAX_DOWNTIME, "2000s", "2000s"),
    K_OK("max-downtime/1500ms", MAX_DOWNTIME, "1.5s", "1500ms"),
    K_BAD("max-downtime/2001s", MAX_DOWNTIME, "2001s", BAD_VALUE,
          "max-downtime: '2001s': above 2000s, the largest downtime-limit QEMU accepts"),
    K_BAD("max-downtime/zero", MAX_DOWNTIME, "0s", BAD_VALUE,
          "max-downtime: '0s': must be longer than zero"),
    K_BAD("max-downtime/unit", MAX_DOWNTIME, "10parsecs", BAD_UNIT,
          "max-downtime: invalid duration '10parsecs': unknown unit 'parsecs' (use ms, s, min "
          "or h)"),
    K_OK("margin/fraction", MARGIN, "0.1", "10%"),
    K_OK("margin/percent", MARGIN, "25%", "25%"),
    K_OK("switchover-bandwidth/off", SWITCHOVER_BANDWIDTH, "off", "off"),
    K_OK("switchover-bandwidth/10Gbit", SWITCHOVER_BANDWIDTH, "10Gbit", "10Gbit"),
    K_OK("switchover-bandwidth/1GiB-per-s", SWITCHOVER_BANDWIDTH, "1GiB/s", "1GiB/s"),
    K_BAD("switchover-bandwidth/zero", SWITCHOVER_BANDWIDTH, "0Gbit", BAD_VALUE,
          "switchover-bandwidth: '0Gbit': a zero rate; write 'off' to leave the switchover "
          "bandwidth alone"),
    K_OK("switchover-bandwidth/learned", SWITCHOVER_BANDWIDTH, "learned", "learned"),
    K_OK("switchover-bandwidth/learned-at-most", SWITCHOVER_BANDWIDTH, "learned, at most 10Gbit",
         "learned, at most 10Gbit"),
    K_OK("switchover-bandwidth/learned-at-most-spaces", SWITCHOVER_BANDWIDTH,
         "learned ,  at most   25Gbit", "learned, at most 25Gbit"),
    K_BAD("switchover-bandwidth/learned-at-most-zero", SWITCHOVER_BANDWIDTH,
          "learned, at most 0Gbit", BAD_VALUE,
          "switchover-bandwidth: '0Gbit': a zero rate; write 'off' to leave the switchover "
          "bandwidth alone"),
    K_BAD("switchover-bandwidth/learned-at-most-unit", SWITCHOVER_BANDWIDTH,
          "learned, at most 10Gb", BAD_UNIT,
          "switchover-bandwidth: invalid rate '10Gb': unit 'Gb' is ambiguous (write bits as Gbit, "
          "bytes as GB/s or GiB/s)"),
    K_BAD("switchover-bandwidth/learned-no-rate", SWITCHOVER_BANDWIDTH, "learned, at most",
          BAD_VALUE,
          "switchover-bandwidth: 'learned, at most': expected 'learned, at most RATE' (e.g. "
          "learned, at most 10Gbit)"),
    K_BAD("switchover-bandwidth/learned-below", SWITCHOVER_BANDWIDTH, "learned, below 10Gbit",
          BAD_VALUE,
          "switchover-bandwidth: 'learned, below 10Gbit': expected 'learned, at most RATE' (e.g. "
          "learned, at most 10Gbit)"),
    K_BAD("switchover-bandwidth/learned-three", SWITCHOVER_BANDWIDTH,
          "learned, at most 10Gbit, fast", BAD_VALUE,
          "switchover-bandwidth: 'learned, at most 10Gbit, fast': expected 'learned' or "
          "'learned, at most RATE'"),
    K_BAD("switchover-bandwidth/learnedx", SWITCHOVER_BANDWIDTH, "learnedx", BAD_VALUE,
          "switchover-bandwidth: 'learnedx': expected 'learned' or 'learned, at most RATE'"),
    K_BAD("switchover-bandwidth/Off", SWITCHOVER_BANDWIDTH, "Off", BAD_UNIT,
          "switchover-bandwidth: invalid rate 'Off': expected a number"),
    K_OK("patience/2min", PATIENCE, "2min", "2min"),
    K_OK("patience/90s", PATIENCE, "90s", "90s"),
    K_OK("patience/off", PATIENCE, "off", "off"),
    K_OK("patience/24h", PATIENCE, "24h", "24h"),
    K_BAD("patience/zero", PATIENCE, "0s", BAD_VALUE, "patience: '0s': must be longer than zero"),
    K_BAD("patience/above-a-day", PATIENCE, "25h", BAD_VALUE,
          "patience: '25h': above 24h (write 'off' to judge stalls by stall-window alone)"),
    K_BAD("patience/no-unit", PATIENCE, "120", BAD_UNIT,
          "patience: invalid duration '120': missing unit (use ms, s, min or h)"),
    K_BAD("patience/Off", PATIENCE, "Off", BAD_UNIT,
          "patience: invalid duration 'Off': expected a number"),
    K_BAD("patience/empty", PATIENCE, "", BAD_UNIT, "patience: invalid duration '': empty value"),
    K_OK("stall-window/passes", STALL_WINDOW, "3", "3"),
    K_OK("stall-window/time", STALL_WINDOW, "10s", "10s"),
    K_OK("stall-window/both", STALL_WINDOW, "3,10s", "3,10s"),
    K_OK("stall-window/both-reversed-spaced", STALL_WINDOW, "10s , 3", "3,10s"),
    K_BAD("stall-window/zero", STALL_WINDOW, "0", BAD_VALUE,
          "stall-window: '0': a number of iterations must be from 1 to 1000"),
    K_BAD("stall-window/too-many", STALL_WINDOW, "1001", BAD_VALUE,
          "stall-window: '1001': a number of iterations must be from 1 to 1000"),
    K_BAD("stall-window/passes-twice", STALL_WINDOW, "3,4", BAD_VALUE,
          "stall-window: '3,4': gives the number of iterations twice"),
    K_BAD("stall-window/time-twice", STALL_WINDOW, "3,10s,20s", BAD_VALUE,
          "stall-window: '3,10s,20s': gives the time twice"),
    K_BAD("stall-window/empty-item", STALL_WINDOW, "3,", BAD_VALUE,
          "stall-window: '3,': empty item in a comma-separated list"),
    K_OK("stall-min-progress/4%", STALL_MIN_PROGRESS, "4%", "4%"),
    K_BAD("stall-min-progress/100%", STALL_MIN_PROGRESS, "100%", BAD_VALUE,
          "stall-min-progress: '100%': must be below 100% (pending can never fall by all of "
          "itself)"),
    K_OK("escalation/wait-abort", ESCALATION, "wait,abort", "wait,abort"),
    K_OK("escalation/bounded", ESCALATION, "wait:2min,abort", "wait:2min,abort"),
    K_OK("escalation/all-spaced", ESCALATION, "wait:30s, postcopy:1min , pause:10s,abort",
         "wait:30s,postcopy:1min,pause:10s,abort"),
    K_OK("escalation/single", ESCALATION, "abort", "abort"),
    K_OK("escalation/wait-forever", ESCALATION, "wait", "wait"),
    K_BAD("escalation/unknown-word", ESCALATION, "wait,sleep,abort", BAD_VALUE,
          "escalation: unknown step 'sleep' (use wait, postcopy, pause or abort)"),
    K_BAD("escalation/after-abort", ESCALATION, "abort,wait", BAD_VALUE,
          "escalation: step 'wait' comes after 'abort', which ends the migration"),
    K_BAD("escalation/twice", ESCALATION, "wait,pause,wait", BAD_VALUE,
          "escalation: step 'wait' is listed twice"),
    K_BAD("escalation/bound-on-last", ESCALATION, "wait:1min", BAD_VALUE,
          "escalation: the last step 'wait' has a time bound, but no step follows it"),
    K_BAD("escalation/zero-bound", ESCALATION, "wait:0s,abort", BAD_VALUE,
          "escalation: step 'wait': '0s': must be longer than zero"),
    K_BAD("escalation/bad-bound", ESCALATION, "wait:2 min,abort", BAD_UNIT,
          "escalation: step 'wait': invalid duration '2 min': no space allowed between number "
          "and unit"),
    K_BAD("escalation/empty-item", ESCALATION, "wait,,abort", BAD_VALUE,
          "escalation: 'wait,,abort': empty item in a comma-separated list"),
    K_BAD("escalation/empty", ESCALATION, "", BAD_VALUE, "escalation: empty value"),
    K_BAD("stall-window/empty", STALL_WINDOW, "", BAD_VALUE, "stall-window: empty value"),
    K_BAD("escalation/nine-steps", ESCALATION, "wait,wait,wait,wait,wait,wait,wait,wait,abort",
          BAD_VALUE,
          "escalation: 'wait,wait,wait,wait,wait,wait,wait,wait,abort': more than 8 steps"),
    K_OK("wait-time/60s", WAIT_TIME, "60s", "1min"),
    K_BAD("wait-time/zero", WAIT_TIME, "0min", BAD_VALUE,
          "wait-time: '0min': must be longer than zero"),
    K_OK("completion-timeout/off", COMPLETION_TIMEOUT, "off", "off"),
    K_OK("completion-timeout/30min", COMPLETION_TIMEOUT, "30min", "30min"),
    K_OK("completion-timeout/per-gib", COMPLETION_TIMEOUT, "150s/GiB", "150s/GiB"),
    K_BAD("completion-timeout/zero-per-gib", COMPLETION_TIMEOUT, "0s/GiB", BAD_VALUE,
          "completion-timeout: '0s/GiB': must be longer than zero (write 'off' for no "
          "timeout)"),
    K_BAD("completion-timeout/per-GB", COMPLETION_TIMEOUT, "150s/GB", BAD_UNIT,
          "completion-timeout: invalid duration per GiB '150s/GB': expected a duration "
          "followed by '/GiB' (e.g. 150s/GiB)"),
    K_OK("on-outside-change/yield", ON_OUTSIDE_CHANGE, "yield", "yield"),
    K_OK("on-outside-change/keep-tuning", ON_OUTSIDE_CHANGE, "keep-tuning", "keep-tuning"),
    K_BAD("on-outside-change/capitalised", ON_OUTSIDE_CHANGE, "Yield", BAD_VALUE,
          "on-outside-change: 'Yield': expected yield or keep-tuning"),
    K_BAD("on-outside-change/keep", ON_OUTSIDE_CHANGE, "keep", BAD_VALUE,
          "on-outside-change: 'keep': expected yield or keep-tuning"),
    K_BAD("on-outside-change/empty", ON_OUTSIDE_CHANGE, "", BAD_VALUE,
          "on-outside-change: '': expected yield or keep-tuning"),
};

static void
test_key(gconstpointer data)
{
    const KeyRow *row = data;
    g_autoptr(GError) error = NULL;
    g_autofree gchar *formatted = NULL;
    CvPolicy policy;
    CvPolicy before;
    gboolean ok;

    cv_config_policy_init_builtin(&policy);
    before = policy;
    ok = cv_config_policy_parse_key(&policy, row->key, row->text, &error);
    if (row->formatted == NULL) {
        g_assert_false(ok);
        g_assert_error(error, CV_CONFIG_ERROR, row->code);
        g_assert_cmpstr(error->message, ==, row->error);
        assert_policy_equal(&policy, &before);
        return;
    }
    g_assert_no_error(error);
    g_assert_true(ok);
    formatted = cv_config_policy_format_key(&policy, row->key);
    g_assert_cmpstr(formatted, ==, row->formatted);

    /* Only the fields of this key changed: copying the key back restores the original. */
    cv_config_policy_copy_key(&policy, &before, row->key);
    assert_policy_equal(&policy, &before);
}

static void
test_key_names(void)
{
    CvConfigPolicyKey key = CV_CONFIG_POLICY_N_KEYS;

    for (guint i = 0; i < CV_CONFIG_POLICY_N_KEYS; i++) {
        const gchar *name = cv_config_policy_key_to_string((CvConfigPolicyKey)i);
        g_assert_nonnull(name);
        g_assert_true(cv_config_policy_key_from_string(name, &key));
        g_assert_cmpint(key, ==, i);
    }
    g_assert_null(cv_config_policy_key_to_string(CV_CONFIG_POLICY_N_KEYS));
    g_assert_false(cv_config_policy_key_from_string("inherits", &key));
    g_assert_false(cv_config_policy_key_from_string("Max-Downtime", &key));
}

static void
test_policy_names(void)
{
    g_autofree gchar *long63 = g_strnfill(CV_POLICY_NAME_MAX - 1, 'a');
    g_autofree gchar *long64 = g_strnfill(CV_POLICY_NAME_MAX, 'a');

    g_assert_true(cv_config_policy_name_is_valid("default"));
    g_assert_true(cv_config_policy_name_is_valid("vgpu-10gbit_v1.2"));
    g_assert_true(cv_config_policy_name_is_valid(long63));
    g_assert_false(cv_config_policy_name_is_valid(long64));
    g_assert_false(cv_config_policy_name_is_valid(""));
    g_assert_false(cv_config_policy_name_is_valid(NULL));
    g_assert_false(cv_config_policy_name_is_valid("my gold"));
    g_assert_false(cv_config_policy_name_is_valid("a\"b"));
    g_assert_false(cv_config_policy_name_is_valid("caf\xc3\xa9"));
}

/* The built-in values, exactly as the man page and the shipped file state them. */
static void
test_builtin_defaults(void)
{
    CvPolicy p;

    cv_config_policy_init_builtin(&p);
    g_assert_cmpstr(p.name, ==, "default");
    g_assert_cmpuint(p.max_downtime_ms, ==, 1000);
    g_assert_cmpfloat(p.margin, ==, 0.10);
    g_assert_cmpuint(p.switchover_bandwidth, ==, 0);
    g_assert_cmpuint(p.patience_ms, ==, 120000);
    g_assert_cmpuint(p.stall_window_passes, ==, 3);
    g_assert_cmpuint(p.stall_window_ms, ==, 10000);
    g_assert_cmpfloat(p.stall_min_progress, ==, 0.04);
    g_assert_cmpuint(p.n_escalation, ==, 2);
    g_assert_cmpint(p.escalation[0].action, ==, CV_ESCALATION_WAIT);
    g_assert_cmpuint(p.escalation[0].bound_ms, ==, 0);
    g_assert_cmpint(p.escalation[1].action, ==, CV_ESCALATION_ABORT);
    g_assert_cmpuint(p.wait_time_ms, ==, 120000);
    g_assert_cmpuint(p.completion_timeout_ms, ==, 0);
    g_assert_cmpuint(p.completion_timeout_ms_per_gib, ==, 150000);
    g_assert_cmpint(p.on_outside_change, ==, CV_OUTSIDE_CHANGE_YIELD);
    g_assert_cmpstr(cv_config_outside_change_to_string(p.on_outside_change), ==, "yield");
    g_assert_cmpstr(cv_config_outside_change_to_string(CV_OUTSIDE_CHANGE_KEEP_TUNING), ==,
                    "keep-tuning");
    g_assert_null(cv_config_outside_change_to_string((CvOutsideChange)7));
}

/* policy/ keeps its own cv_policy_init_default() ("the same values data/virt-converged.conf
 * documents"); this catches the two drifting apart (test_shipped_conf checks the file). */
static void
test_builtin_matches_engine(void)
{
    CvPolicy ours;
    CvPolicy engine;

    cv_config_policy_init_builtin(&ours);
    memset(&engine, 0xa5, sizeof(engine));
    cv_policy_init_default(&engine);
    assert_policy_equal(&engine, &ours);
}

/* ------------------------------------------------------------------------------------------
 * Files: every broken file gives exactly "FILE:LINE: message".
 * ------------------------------------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    const gchar *main_file; /* under tests/data/config; NULL for none */
    const gchar *dir;       /* under tests/data/config; NULL for none */
    const gchar *err_file;  /* the file the error names */
    guint line;             /* 0: "FILE: message" */
    gint code;
    const gchar *message;
} BadRow;

#define KNOWN_POLICY_KEYS                                                                          \
    "inherits, max-downtime, switchover-reserve, margin, switchover-bandwidth, patience, "         \
    "stall-window, "                                                                               \
    "stall-min-progress, "                                                                         \
    "escalation, wait-time, completion-timeout, on-outside-change"

static const BadRow bad_rows[] = {
    {"unknown-group", "bad-unknown-group.conf", NULL, "bad-unknown-group.conf", 5,
     CV_CONFIG_ERROR_UNKNOWN_GROUP,
     "unknown group [polciy:gold] (expected [daemon], [policy:NAME] or [domain:PATTERN])"},
    {"unknown-key", "bad-unknown-key.conf", NULL, "bad-unknown-key.conf", 3,
     CV_CONFIG_ERROR_UNKNOWN_KEY,
     "unknown key 'max-downtme' in [policy:gold] (known: " KNOWN_POLICY_KEYS ")"},
    {"unknown-daemon-key", "bad-unknown-daemon-key.conf", NULL, "bad-unknown-daemon-key.conf", 3,
     CV_CONFIG_ERROR_UNKNOWN_KEY,
     "unknown key 'state-directory' in [daemon] (known: uri, poll-interval, dry-run, "
     "log-level, monitor-commands, metrics-file, history-max-size, history-keep, link, "
     "learned-window, learned-min, migration-interface)"},
    {"unknown-domain-key", "bad-domain-unknown-key.conf", NULL, "bad-domain-unknown-key.conf", 3,
     CV_CONFIG_ERROR_UNKNOWN_KEY, "unknown key 'colour' in [domain:web-*] (known: policy)"},
    {"bad-unit", "bad-unit.conf", NULL, "bad-unit.conf", 3, CV_CONFIG_ERROR_BAD_UNIT,
     "max-downtime: invalid duration '10parsecs': unknown unit 'parsecs' (use ms, s, min or "
     "h)"},
    {"unit-space", "bad-unit-space.conf", NULL, "bad-unit-space.conf", 2, CV_CONFIG_ERROR_BAD_UNIT,
     "max-downtime: invalid duration '300 ms': no space allowed between number and unit"},
    {"trailing-comment", "bad-trailing-comment.conf", NULL, "bad-trailing-comment.conf", 2,
     CV_CONFIG_ERROR_BAD_UNIT,
     "max-downtime: invalid duration '1s # one second': unexpected text after the value (a "
     "comment must be on a line of its own)"},
    {"out-of-range", "bad-range.conf", NULL, "bad-range.conf", 2, CV_CONFIG_ERROR_BAD_VALUE,
     "max-downtime: '2001s': above 2000s, the largest downtime-limit QEMU accepts"},
    {"ambiguous-rate", "bad-rate.conf", NULL, "bad-rate.conf", 2, CV_CONFIG_ERROR_BAD_UNIT,
     "switchover-bandwidth: invalid rate '10Gb': unit 'Gb' is ambiguous (write bits as Gbit, "
     "bytes as GB/s or GiB/s)"},
    {"cycle", "bad-cycle.conf", NULL, "bad-cycle.conf", 8, CV_CONFIG_ERROR_CYCLE,
     "inherits: cycle a -> b -> c -> a"},
    {"self-inherit", "bad-self-inherit.conf", NULL, "bad-self-inherit.conf", 3,
     CV_CONFIG_ERROR_CYCLE, "inherits: cycle a -> a"},
    {"missing-inherited", "bad-missing-inherit.conf", NULL, "bad-missing-inherit.conf", 2,
     CV_CONFIG_ERROR_MISSING_POLICY, "inherits: policy 'gold' is not defined"},
    {"domain-missing-policy", "bad-domain-missing-policy.conf", NULL,
     "bad-domain-missing-policy.conf", 8, CV_CONFIG_ERROR_MISSING_POLICY,
     "policy: policy 'gold' is not defined"},
    {"domain-without-policy", "bad-domain-no-policy.conf", NULL, "bad-domain-no-policy.conf", 1,
     CV_CONFIG_ERROR_MISSING_KEY, "[domain:web-*] has no 'policy' key"},
    {"empty-pattern", "bad-empty-pattern.conf", NULL, "bad-empty-pattern.conf", 1,
     CV_CONFIG_ERROR_BAD_VALUE, "empty domain pattern in [domain:]"},
    {"duplicate-key", "bad-duplicate-key.conf", NULL, "bad-duplicate-key.conf", 4,
     CV_CONFIG_ERROR_DUPLICATE, "duplicate key 'margin' in [policy:gold] (first at line 2)"},
    {"duplicate-group", "bad-duplicate-group.conf", NULL, "bad-duplicate-group.conf", 4,
     CV_CONFIG_ERROR_DUPLICATE, "duplicate group [policy:gold] (first at line 1)"},
    {"bad-escalation-word", "bad-escalation.conf", NULL, "bad-escalation.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE,
     "escalation: unknown step 'sleep' (use wait, postcopy, pause or abort)"},
    {"escalation-after-abort", "bad-escalation-order.conf", NULL, "bad-escalation-order.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE,
     "escalation: step 'wait' comes after 'abort', which ends the migration"},
    {"malformed-line", "bad-malformed.conf", NULL, "bad-malformed.conf", 2, CV_CONFIG_ERROR_PARSE,
     "expected '[group]' or 'key = value', found 'max-downtime 1s'"},
    {"key-before-group", "bad-key-before-group.conf", NULL, "bad-key-before-group.conf", 1,
     CV_CONFIG_ERROR_PARSE, "key 'max-downtime' comes before any [group]"},
    {"unclosed-group", "bad-group-header.conf", NULL, "bad-group-header.conf", 1,
     CV_CONFIG_ERROR_PARSE, "malformed group header '[policy:gold' (expected [NAME])"},
    {"bad-key-name", "bad-key-name.conf", NULL, "bad-key-name.conf", 3, CV_CONFIG_ERROR_PARSE,
     "invalid key name 'max_downtime' (letters, digits and '-' only)"},
    {"bad-policy-name", "bad-policy-name.conf", NULL, "bad-policy-name.conf", 1,
     CV_CONFIG_ERROR_BAD_VALUE,
     "invalid policy name 'my gold' (1 to 63 characters of A-Z a-z 0-9 _ . -)"},
    {"daemon-value", "bad-daemon-value.conf", NULL, "bad-daemon-value.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE, "poll-interval: '5ms': must be from 10ms to 1min"},
    {"daemon-bool", "bad-daemon-bool.conf", NULL, "bad-daemon-bool.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE, "dry-run: 'yes': expected true or false"},
    {"daemon-monitor", "bad-daemon-monitor.conf", NULL, "bad-daemon-monitor.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE, "monitor-commands: 'sometimes': expected auto, always or never"},
    {"metrics-relative", "bad-metrics-relative.conf", NULL, "bad-metrics-relative.conf", 3,
     CV_CONFIG_ERROR_BAD_VALUE,
     "metrics-file: 'virt-converge.prom': expected an absolute path or off"},
    {"metrics-not-prom", "bad-metrics-suffix.conf", NULL, "bad-metrics-suffix.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE,
     "metrics-file: '/var/lib/prometheus/node-exporter/virt-converge.txt': the file name must "
     "end in .prom (node_exporter's textfile collector reads only those) and not start with "
     "'.'"},
    {"metrics-directory", "bad-metrics-dir.conf", NULL, "bad-metrics-dir.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE,
     "metrics-file: '/var/lib/prometheus/': expected the path of a file (no whitespace, no "
     "trailing '/')"},
    {"history-too-small", "bad-history-size.conf", NULL, "bad-history-size.conf", 4,
     CV_CONFIG_ERROR_BAD_VALUE, "history-max-size: '4KiB': must be from 64KiB to 1GiB"},
    {"history-size-unit", "bad-history-unit.conf", NULL, "bad-history-unit.conf", 2,
     CV_CONFIG_ERROR_BAD_UNIT,
     "history-max-size: invalid size '16 MiB': no space allowed between number and unit"},
    {"link-zero", "bad-link.conf", NULL, "bad-link.conf", 2, CV_CONFIG_ERROR_BAD_VALUE,
     "link: '0Gbit': a zero rate; write 'off' when the link is not stated"},
    {"history-keep-zero", "bad-history-keep.conf", NULL, "bad-history-keep.conf", 3,
     CV_CONFIG_ERROR_BAD_VALUE, "history-keep: '0': expected a number of files from 1 to 32"},
    {"patience-word", "bad-patience.conf", NULL, "bad-patience.conf", 4, CV_CONFIG_ERROR_BAD_UNIT,
     "patience: invalid duration 'forever': expected a number"},
    {"reserve-not-below-cap", "bad-reserve-not-below-cap.conf", NULL,
     "bad-reserve-not-below-cap.conf", 4, CV_CONFIG_ERROR_BAD_VALUE,
     "[policy:gold]: switchover-reserve 1s is not below max-downtime 1s: no downtime-limit "
     "could keep the cap"},
    {"reserve-inherited-not-below-cap", "bad-reserve-inherited.conf", NULL,
     "bad-reserve-inherited.conf", 7, CV_CONFIG_ERROR_BAD_VALUE,
     "[policy:tight]: switchover-reserve 200ms is not below max-downtime 150ms: no "
     "downtime-limit could keep the cap"},
    {"reserve-huge", "bad-reserve-huge.conf", NULL, "bad-reserve-huge.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE,
     "switchover-reserve: '2min': above 60s, more than any switchover's fixed costs"},
    {"learned-min-above-window", "bad-learned-min.conf", NULL, "bad-learned-min.conf", 3,
     CV_CONFIG_ERROR_BAD_VALUE,
     "learned-min = 6 is more than learned-window = 5: the rate could never be learned"},
    {"learned-window-zero", "bad-learned-window.conf", NULL, "bad-learned-window.conf", 2,
     CV_CONFIG_ERROR_BAD_VALUE,
     "learned-window: '0': expected a number of migrations from 1 to 100"},
    {"migration-interface-path", "bad-migration-interface.conf", NULL,
     "bad-migration-interface.conf", 3, CV_CONFIG_ERROR_BAD_VALUE,
     "migration-interface: '../eth0': not a network interface name (1-15 characters, no '/' or "
     "':')"},
    {"outside-change-word", "bad-outside-change.conf", NULL, "bad-outside-change.conf", 3,
     CV_CONFIG_ERROR_BAD_VALUE, "on-outside-change: 'ignore': expected yield or keep-tuning"},
    {"not-utf8", "bad-utf8.conf", NULL, "bad-utf8.conf", 2, CV_CONFIG_ERROR_PARSE,
     "not valid UTF-8"},
    /* found by fuzz-config: GKeyFile refused these files without a line */
    {"cr-at-end", "bad-cr-at-end.conf", NULL, "bad-cr-at-end.conf", 3, CV_CONFIG_ERROR_PARSE,
     "ends in a carriage return without a newline"},
    {"encoding-key", "bad-encoding.conf", NULL, "bad-encoding.conf", 3, CV_CONFIG_ERROR_UNKNOWN_KEY,
     "unknown key 'Encoding' in [policy:gold] (files are always UTF-8)"},
    {"duplicate-policy-across-files", "dup/main.conf", "dup/policies.d",
     "dup/policies.d/50-silver.conf", 2, CV_CONFIG_ERROR_DUPLICATE,
     "policy 'silver' is already defined at @MAIN@:4"},
    {"daemon-in-dropin", "daemon-in-dropin/main.conf", "daemon-in-dropin/policies.d",
     "daemon-in-dropin/policies.d/10-daemon.conf", 1, CV_CONFIG_ERROR_UNKNOWN_GROUP,
     "[daemon] belongs in the main configuration file, not in policies.d"},
    {"error-in-dropin", "bad-dropin/main.conf", "bad-dropin/policies.d",
     "bad-dropin/policies.d/20-broken.conf", 3, CV_CONFIG_ERROR_BAD_VALUE,
     "stall-window: '0': a number of iterations must be from 1 to 1000"},
};

static void
test_bad_file(gconstpointer data)
{
    const BadRow *row = data;
    g_autofree gchar *main_path = row->main_file ? data_path(row->main_file) : NULL;
    g_autofree gchar *dir_path = row->dir ? data_path(row->dir) : NULL;
    g_autofree gchar *err_path = data_path(row->err_file);
    g_autoptr(GString) message = g_string_new(row->message);
    g_autofree gchar *expected = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = NULL;

    if (main_path != NULL)
        g_string_replace(message, "@MAIN@", main_path, 0);
    expected = g_strdup_printf("%s:%u: %s", err_path, row->line, message->str);

    config = cv_config_load(main_path, dir_path, &error);
    g_assert_null(config);
    g_assert_error(error, CV_CONFIG_ERROR, row->code);
    g_assert_cmpstr(error->message, ==, expected);
}

static void
test_missing_main_file(void)
{
    g_autofree gchar *path = data_path("no-such-file.conf");
    g_autofree gchar *prefix = g_strdup_printf("%s: ", path);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(path, NULL, &error);

    g_assert_null(config);
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_IO);
    g_assert_true(g_str_has_prefix(error->message, prefix));
}

static void
test_missing_dir_is_empty(void)
{
    g_autofree gchar *path = data_path("reload-a.conf");
    g_autofree gchar *dir = data_path("no-such-dir.d");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(path, dir, &error);
    g_auto(GStrv) names = NULL;

    g_assert_no_error(error);
    names = cv_config_list_policies(config);
    g_assert_cmpstrv(names, ((const gchar *const[]){"default", "gold", NULL}));
}

static void
test_crlf(void)
{
    g_autofree gchar *path = data_path("good-crlf.conf");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(path, NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpuint(cv_config_get_policy(config, "gold")->max_downtime_ms, ==, 2000);
}

static void
test_new_default(void)
{
    g_autoptr(CvConfig) config = cv_config_new_default();
    g_auto(GStrv) names = cv_config_list_policies(config);
    const CvPolicy *p = cv_config_get_policy(config, "default");
    CvPolicy builtin;

    g_assert_cmpstrv(cv_config_get_uris(config), ((const gchar *const[]){"qemu:///system", NULL}));
    g_assert_cmpuint(cv_config_get_poll_interval_ms(config), ==, 1000);
    g_assert_false(cv_config_get_dry_run(config));
    g_assert_cmpint(cv_config_get_log_level(config), ==, CV_CONFIG_LOG_LEVEL_MESSAGE);
    g_assert_cmpstr(cv_config_log_level_to_string(CV_CONFIG_LOG_LEVEL_DEBUG), ==, "debug");
    g_assert_cmpint(cv_config_get_monitor_commands(config), ==, CV_CONFIG_MONITOR_COMMANDS_AUTO);
    g_assert_cmpstr(cv_config_monitor_commands_to_string(CV_CONFIG_MONITOR_COMMANDS_NEVER), ==,
                    "never");
    g_assert_null(cv_config_get_metrics_file(config));
    g_assert_cmpuint(cv_config_get_history_max_size(config), ==, 16 * 1024 * 1024);
    g_assert_cmpuint(cv_config_get_history_keep(config), ==, 3);
    g_assert_cmpstrv(names, ((const gchar *const[]){"default", NULL}));
    g_assert_nonnull(p);
    cv_config_policy_init_builtin(&builtin);
    assert_policy_equal(p, &builtin);
    g_assert_cmpstr(cv_config_get_policy_origin(config, "default"), ==, "built-in");
    g_assert_null(cv_config_get_policy(config, "vfio"));
    g_assert_null(cv_config_get_policy_origin(config, "vfio"));
}

/* The daemon's own keys, at their bounds, and a policy that keeps tuning. */
static void
test_daemon_keys(void)
{
    g_autofree gchar *path = data_path("daemon-keys.conf");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(path, NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(cv_config_get_metrics_file(config), ==,
                    "/var/lib/prometheus/node-exporter/virt-converge.prom");
    g_assert_cmpuint(cv_config_get_history_max_size(config), ==, 64 * 1024);
    g_assert_cmpuint(cv_config_get_history_keep(config), ==, 32);
    g_assert_cmpuint(cv_config_get_link_rate(config), ==, 1250000000);
    g_assert_cmpuint(cv_config_get_learned_window(config), ==, 8);
    g_assert_cmpuint(cv_config_get_learned_min(config), ==, 3);
    g_assert_cmpstr(cv_config_get_migration_interface(config), ==, "bond0.100");
    g_assert_true(cv_config_get_policy(config, "shared-child")->switchover_learned);
    g_assert_cmpuint(cv_config_get_policy(config, "shared-child")->switchover_learned_max, ==,
                     3125000000);
    /* learned is a mode, not a rate: nothing in the engine's field until a rate is learned */
    g_assert_cmpuint(cv_config_get_policy(config, "shared-child")->switchover_bandwidth, ==, 0);
    g_assert_cmpint(cv_config_get_policy(config, "default")->on_outside_change, ==,
                    CV_OUTSIDE_CHANGE_YIELD);
    g_assert_cmpint(cv_config_get_policy(config, "shared")->on_outside_change, ==,
                    CV_OUTSIDE_CHANGE_KEEP_TUNING);
    /* inherited like every other key */
    g_assert_cmpint(cv_config_get_policy(config, "shared-child")->on_outside_change, ==,
                    CV_OUTSIDE_CHANGE_KEEP_TUNING);
}

static void
test_inherit_chain(void)
{
    g_autofree gchar *path = data_path("inherit-chain.conf");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(path, NULL, &error);
    g_autofree gchar *origin = g_strdup_printf("%s:10", path);
    const CvPolicy *leaf;
    const CvPolicy *middle;
    CvPolicy builtin;

    g_assert_no_error(error);
    cv_config_policy_init_builtin(&builtin);
    leaf = cv_config_get_policy(config, "leaf");
    middle = cv_config_get_policy(config, "middle");
    g_assert_cmpstr(leaf->name, ==, "leaf");
    g_assert_cmpuint(leaf->max_downtime_ms, ==, 2000);            /* from base */
    g_assert_cmpfloat(leaf->margin, ==, 0.15);                    /* from middle */
    g_assert_cmpuint(leaf->switchover_bandwidth, ==, 3125000000); /* its own */
    g_assert_cmpuint(leaf->stall_window_passes, ==, 5);           /* its own ... */
    g_assert_cmpuint(leaf->stall_window_ms, ==, 0);               /* ... whole key */
    g_assert_cmpuint(leaf->n_escalation, ==, 3);                  /* from base */
    g_assert_cmpuint(leaf->escalation[0].bound_ms, ==, 120000);   /* from base */
    g_assert_cmpint(leaf->escalation[1].action, ==, CV_ESCALATION_PAUSE);
    g_assert_cmpuint(leaf->wait_time_ms, ==, builtin.wait_time_ms); /* built-in */
    g_assert_cmpuint(middle->switchover_bandwidth, ==, 0);
    g_assert_cmpstr(cv_config_get_policy_origin(config, "leaf"), ==, origin);
    /* No file defines default: the built-in one is there, listed first. */
    g_assert_cmpstr(cv_config_get_policy_origin(config, "default"), ==, "built-in");
}

static void
test_dropins(void)
{
    g_autofree gchar *main_path = data_path("dropins/main/virt-converged.conf");
    g_autofree gchar *dir = data_path("dropins/policies.d");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(main_path, dir, &error);
    g_auto(GStrv) names = NULL;
    CvPolicy p;
    CvConfigSource source = CV_CONFIG_SOURCE_DEFAULT;

    /* Hidden files, *.conf.example, notes.txt and a directory named 40-dir.conf would each
     * fail to load: reaching here means they were skipped. */
    g_assert_no_error(error);
    names = cv_config_list_policies(config);
    g_assert_cmpstrv(names, ((const gchar *const[]){"default", "gold", "a", "b", NULL}));
    g_assert_cmpstrv(cv_config_get_uris(config),
                     ((const gchar *const[]){"qemu:///system", "test:///default", NULL}));
    g_assert_cmpint(cv_config_get_log_level(config), ==, CV_CONFIG_LOG_LEVEL_INFO);
    g_assert_cmpint(cv_config_get_monitor_commands(config), ==, CV_CONFIG_MONITOR_COMMANDS_NEVER);
    /* A drop-in policy can inherit from the main file. */
    g_assert_cmpuint(cv_config_get_policy(config, "a")->max_downtime_ms, ==, 3000);
    g_assert_cmpfloat(cv_config_get_policy(config, "a")->margin, ==, 0.25);
    /* 10-a.conf comes before 20-b.conf: its [domain:web-*] wins for web-1. */
    cv_config_policy_for_domain(config, "web-1", NULL, FALSE, &p, &source, NULL);
    g_assert_cmpstr(p.name, ==, "a");
    g_assert_cmpint(source, ==, CV_CONFIG_SOURCE_DOMAIN);
    cv_config_policy_for_domain(config, "db-1", NULL, FALSE, &p, &source, NULL);
    g_assert_cmpstr(p.name, ==, "b");
}

/* ------------------------------------------------------------------------------------------
 * Reload: parse, validate, then swap.
 * ------------------------------------------------------------------------------------------ */

static void
test_reload_keeps_old_on_error(void)
{
    g_autofree gchar *good_a = data_path("reload-a.conf");
    g_autofree gchar *good_b = data_path("reload-b.conf");
    g_autofree gchar *bad = data_path("bad-cycle.conf");
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(good_a, NULL, &error);
    CvConfig *before;

    g_assert_no_error(error);
    before = config;
    g_assert_false(cv_config_reload(&config, bad, NULL, &error));
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_CYCLE);
    g_clear_error(&error);
    /* Same object, same content. */
    g_assert_true(config == before);
    g_assert_cmpuint(cv_config_get_poll_interval_ms(config), ==, 500);
    g_assert_cmpuint(cv_config_get_policy(config, "gold")->max_downtime_ms, ==, 3000);
    g_assert_null(cv_config_get_policy(config, "a"));

    g_assert_true(cv_config_reload(&config, good_b, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(cv_config_get_poll_interval_ms(config), ==, 2000);
    g_assert_null(cv_config_get_policy(config, "gold"));
    g_assert_cmpuint(cv_config_get_policy(config, "platinum")->max_downtime_ms, ==, 4000);
}

/* ------------------------------------------------------------------------------------------
 * The shipped files.
 * ------------------------------------------------------------------------------------------ */

static void
test_shipped_conf(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config =
        cv_config_load(SOURCE_DATADIR "/virt-converged.conf", SOURCE_DATADIR "/policies.d", &error);
    g_auto(GStrv) names = NULL;
    const CvPolicy *def;
    const CvPolicy *vfio;
    CvPolicy builtin;

    g_assert_no_error(error);
    names = cv_config_list_policies(config);
    g_assert_cmpstrv(names, ((const gchar *const[]){"default", "vfio", NULL}));
    g_assert_cmpstrv(cv_config_get_uris(config), ((const gchar *const[]){"qemu:///system", NULL}));

    /* The file's default restates the built-in table exactly. */
    cv_config_policy_init_builtin(&builtin);
    def = cv_config_get_policy(config, "default");
    assert_policy_equal(def, &builtin);

    vfio = cv_config_get_policy(config, "vfio");
    g_assert_cmpuint(vfio->max_downtime_ms, ==, 5000);
    /* learned: no rate in the engine's field until one is learned, no bound of its own */
    g_assert_true(vfio->switchover_learned);
    g_assert_cmpuint(vfio->switchover_learned_max, ==, 0);
    g_assert_cmpuint(vfio->switchover_bandwidth, ==, 0);
    g_assert_false(def->switchover_learned);
    g_assert_cmpuint(vfio->n_escalation, ==, 2);
    g_assert_cmpint(vfio->escalation[0].action, ==, CV_ESCALATION_WAIT);
    g_assert_cmpint(vfio->escalation[1].action, ==, CV_ESCALATION_ABORT);
    g_assert_cmpuint(vfio->completion_timeout_ms, ==, 30 * 60 * 1000);
    g_assert_cmpuint(vfio->completion_timeout_ms_per_gib, ==, 0);
    g_assert_cmpfloat(vfio->margin, ==, builtin.margin);
}

static void
rm_rf(const gchar *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const gchar *name;

    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            rm_rf(child);
        else
            g_assert_cmpint(g_unlink(child), ==, 0);
    }
    g_assert_cmpint(g_rmdir(path), ==, 0);
}

/* The example drop-in is valid as soon as an operator copies it in. */
static void
test_shipped_example_dropin(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *tmp = g_dir_make_tmp("cv-config-XXXXXX", &error);
    g_autofree gchar *text = NULL;
    g_autofree gchar *copy = NULL;
    g_autoptr(CvConfig) config = NULL;
    CvPolicy p;
    CvConfigSource source = CV_CONFIG_SOURCE_DEFAULT;

    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(SOURCE_DATADIR "/policies.d/vgpu-10gbit.conf.example", &text,
                                      NULL, &error));
    copy = g_build_filename(tmp, "10-vgpu.conf", NULL);
    g_assert_true(g_file_set_contents(copy, text, -1, &error));
    config = cv_config_load(SOURCE_DATADIR "/virt-converged.conf", tmp, &error);
    g_assert_no_error(error);
    cv_config_policy_for_domain(config, "vgpu-7", NULL, TRUE, &p, &source, NULL);
    g_assert_cmpstr(p.name, ==, "vgpu-10gbit");
    g_assert_cmpint(source, ==, CV_CONFIG_SOURCE_DOMAIN);
    g_assert_cmpuint(p.switchover_bandwidth, ==, 1250000000);
    g_assert_cmpuint(p.max_downtime_ms, ==, 5000); /* inherited from vfio */
    rm_rf(tmp);
}

/* Every policy, printed as a group, loads back to the same struct. */
static void
test_to_string_roundtrip(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *src = data_path("inherit-chain.conf");
    g_autoptr(CvConfig) config = cv_config_load(src, NULL, &error);
    g_autofree gchar *tmp = g_dir_make_tmp("cv-config-XXXXXX", &error);
    g_autofree gchar *file = g_build_filename(tmp, "roundtrip.conf", NULL);
    g_auto(GStrv) names = NULL;
    g_autoptr(GString) all = g_string_new(NULL);
    g_autoptr(CvConfig) back = NULL;

    g_assert_no_error(error);
    names = cv_config_list_policies(config);
    for (guint i = 0; names[i] != NULL; i++) {
        g_autofree gchar *group =
            cv_config_policy_to_string(cv_config_get_policy(config, names[i]));
        g_string_append_printf(all, "%s\n", group);
    }
    g_assert_true(g_file_set_contents(file, all->str, -1, &error));
    back = cv_config_load(file, NULL, &error);
    g_assert_no_error(error);
    for (guint i = 0; names[i] != NULL; i++) {
        const CvPolicy *a = cv_config_get_policy(config, names[i]);
        const CvPolicy *b = cv_config_get_policy(back, names[i]);
        assert_policy_equal(a, b);
    }
    rm_rf(tmp);
}

/* ------------------------------------------------------------------------------------------
 * Precedence: metadata > [domain:PATTERN] > vfio automatic > default.
 * ------------------------------------------------------------------------------------------ */

#define DOMAIN_XML(meta, devices)                                                                  \
    "<domain type='kvm'><name>x</name><metadata>" meta "</metadata><devices>" devices              \
    "</devices></domain>"
#define MDEV                                                                                       \
    "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address "                     \
    "uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>"

typedef struct {
    const gchar *name;
    const gchar *config; /* under tests/data/config */
    const gchar *domain;
    const gchar *xml; /* NULL: no metadata */
    gboolean has_vfio;
    const gchar *expect_policy;
    CvConfigSource expect_source;
    guint64 expect_max_downtime_ms;
    const gchar *expect_why; /* a substring */
} PrecedenceRow;

static const PrecedenceRow precedence_rows[] = {
    {"default", "precedence.conf", "db-1", NULL, FALSE, "default", CV_CONFIG_SOURCE_DEFAULT, 1000,
     "no other rule applies"},
    {"no-domain-name", "precedence.conf", NULL, NULL, FALSE, "default", CV_CONFIG_SOURCE_DEFAULT,
     1000, "no other rule applies"},
    {"vfio-automatic", "precedence.conf", "db-1", NULL, TRUE, "vfio", CV_CONFIG_SOURCE_VFIO, 5000,
     "VFIO host devices"},
    {"vfio-from-domain-xml", "precedence.conf", "db-1", DOMAIN_XML("", MDEV), FALSE, "vfio",
     CV_CONFIG_SOURCE_VFIO, 5000, "VFIO host devices"},
    {"vfio-without-vfio-policy", "no-vfio.conf", "db-1", NULL, TRUE, "default",
     CV_CONFIG_SOURCE_DEFAULT, 1000, "no 'vfio' policy exists"},
    {"glob", "precedence.conf", "web-1", NULL, FALSE, "web", CV_CONFIG_SOURCE_DOMAIN, 2000,
     "domain matches [domain:web-*] ("},
    {"glob-first-match-wins", "precedence.conf", "web-special", NULL, FALSE, "web",
     CV_CONFIG_SOURCE_DOMAIN, 2000, "[domain:web-*]"},
    {"glob-question-mark", "precedence.conf", "gpu-7", NULL, FALSE, "web", CV_CONFIG_SOURCE_DOMAIN,
     2000, "[domain:gpu-?]"},
    {"glob-question-mark-one-char-only", "precedence.conf", "gpu-17", NULL, FALSE, "default",
     CV_CONFIG_SOURCE_DEFAULT, 1000, "no other rule applies"},
    {"glob-whole-name", "precedence.conf", "myweb-1", NULL, FALSE, "default",
     CV_CONFIG_SOURCE_DEFAULT, 1000, "no other rule applies"},
    {"glob-beats-vfio", "precedence.conf", "gpu-1", NULL, TRUE, "web", CV_CONFIG_SOURCE_DOMAIN,
     2000, "[domain:gpu-?]"},
    {"metadata-beats-glob", "precedence.conf", "web-1",
     DOMAIN_XML("<cv:policy xmlns:cv='" NS "' name='gold'/>", ""), FALSE, "gold",
     CV_CONFIG_SOURCE_METADATA, 3000, "named in the domain's metadata"},
    {"metadata-beats-vfio", "precedence.conf", "db-1",
     DOMAIN_XML("<cv:policy xmlns:cv='" NS "' name='default'/>", MDEV), TRUE, "default",
     CV_CONFIG_SOURCE_METADATA, 1000, "named in the domain's metadata"},
    {"metadata-undefined-falls-to-glob", "precedence.conf", "web-1",
     DOMAIN_XML("<cv:policy xmlns:cv='" NS "' name='platinum'/>", ""), FALSE, "web",
     CV_CONFIG_SOURCE_DOMAIN, 2000,
     "the domain's metadata names policy 'platinum', which is not defined here; domain matches "
     "[domain:web-*]"},
    {"metadata-undefined-falls-to-vfio", "precedence.conf", "db-1",
     DOMAIN_XML("<cv:policy xmlns:cv='" NS "' name='platinum'/>", MDEV), FALSE, "vfio",
     CV_CONFIG_SOURCE_VFIO, 5000, "'platinum', which is not defined here; domain has VFIO"},
    {"metadata-override", "precedence.conf", "web-1",
     DOMAIN_XML("<cv:policy xmlns:cv='" NS "' name='gold'><cv:max-downtime>4s</cv:max-downtime>"
                "</cv:policy>",
                ""),
     FALSE, "gold", CV_CONFIG_SOURCE_METADATA, 4000,
     "named in the domain's metadata; metadata overrides max-downtime=4s"},
    {"override-without-name", "precedence.conf", "web-1",
     DOMAIN_XML("<cv:policy xmlns:cv='" NS "'><cv:max-downtime>2500ms</cv:max-downtime>"
                "</cv:policy>",
                ""),
     FALSE, "web", CV_CONFIG_SOURCE_DOMAIN, 2500, "metadata overrides max-downtime=2500ms"},
    {"foreign-metadata-ignored", "precedence.conf", "db-1",
     DOMAIN_XML("<o:policy xmlns:o='http://example.org/other' name='gold'/>", ""), FALSE, "default",
     CV_CONFIG_SOURCE_DEFAULT, 1000, "no other rule applies"},
};

static void
test_precedence(gconstpointer data)
{
    const PrecedenceRow *row = data;
    g_autofree gchar *path = data_path(row->config);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfig) config = cv_config_load(path, NULL, &error);
    g_autoptr(CvConfigMetadata) md = NULL;
    g_autofree gchar *why = NULL;
    CvConfigSource source = CV_CONFIG_SOURCE_METADATA;
    CvPolicy p;

    g_assert_no_error(error);
    if (row->xml != NULL) {
        md = cv_config_metadata_parse(row->xml, -1, &error);
        g_assert_no_error(error);
    }
    memset(&p, 0xa5, sizeof(p));
    cv_config_policy_for_domain(config, row->domain, md, row->has_vfio, &p, &source, &why);
    g_assert_cmpstr(p.name, ==, row->expect_policy);
    g_assert_cmpint(source, ==, row->expect_source);
    g_assert_cmpuint(p.max_downtime_ms, ==, row->expect_max_downtime_ms);
    if (strstr(why, row->expect_why) == NULL)
        g_error("why '%s' does not contain '%s'", why, row->expect_why);
    /* Everything except the overridden key is the chosen policy's. */
    p.max_downtime_ms = cv_config_get_policy(config, row->expect_policy)->max_downtime_ms;
    assert_policy_equal(&p, cv_config_get_policy(config, row->expect_policy));
}

static void
test_source_names(void)
{
    g_assert_cmpstr(cv_config_source_to_string(CV_CONFIG_SOURCE_METADATA), ==, "metadata");
    g_assert_cmpstr(cv_config_source_to_string(CV_CONFIG_SOURCE_DOMAIN), ==, "domain");
    g_assert_cmpstr(cv_config_source_to_string(CV_CONFIG_SOURCE_VFIO), ==, "vfio");
    g_assert_cmpstr(cv_config_source_to_string(CV_CONFIG_SOURCE_DEFAULT), ==, "default");
}

/* ------------------------------------------------------------------------------------------
 * Domain XML and our <metadata> element.
 * ------------------------------------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    const gchar *xml;  /* inline, or NULL and then file */
    const gchar *file; /* under tests/data/config, or @SRC@/ for data/ */
    gboolean ok;
    const gchar *domain_name;
    gboolean has_element;
    const gchar *policy;
    guint n_vfio;
    const gchar *overrides; /* cv_config_metadata_describe_overrides() */
    gint code;
    const gchar *error; /* exact message, or a prefix when it ends in '*' */
} MetadataRow;

static const MetadataRow metadata_rows[] = {
    {"ours", DOMAIN_XML("<cv:policy xmlns:cv='" NS "' name='vfio'/>", ""), NULL, TRUE, "x", TRUE,
     "vfio", 0, NULL, 0, NULL},
    {"none", DOMAIN_XML("", ""), NULL, TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"no-metadata-element", "<domain><name>vm</name></domain>", NULL, TRUE, "vm", FALSE, NULL, 0,
     NULL, 0, NULL},
    {"wrong-namespace-ignored",
     DOMAIN_XML("<o:policy xmlns:o='http://virt-converge.org/xmlns/virt-converge/2.0' "
                "name='vfio'/>",
                ""),
     NULL, TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"no-namespace-ignored", DOMAIN_XML("<policy name='vfio'/>", ""), NULL, TRUE, "x", FALSE, NULL,
     0, NULL, 0, NULL},
    {"other-prefix", DOMAIN_XML("<vc:policy xmlns:vc='" NS "' name='gold'/>", ""), NULL, TRUE, "x",
     TRUE, "gold", 0, NULL, 0, NULL},
    {"default-namespace", DOMAIN_XML("<policy xmlns='" NS "' name='gold'/>", ""), NULL, TRUE, "x",
     TRUE, "gold", 0, NULL, 0, NULL},
    {"among-others",
     DOMAIN_XML("<a:x xmlns:a='http://example.org/a'/><cv:policy xmlns:cv='" NS "' "
                "name='gold'/><b:y xmlns:b='http://example.org/b'><b:z/></b:y>",
                ""),
     NULL, TRUE, "x", TRUE, "gold", 0, NULL, 0, NULL},
    {"fragment", "<cv:policy xmlns:cv='" NS "' name='gold'/>", NULL, TRUE, NULL, TRUE, "gold", 0,
     NULL, 0, NULL},
    {"fragment-overrides",
     "<cv:policy xmlns:cv='" NS "' name='gold'>\n  <!-- longer for this one -->\n"
     "  <cv:max-downtime> 4s </cv:max-downtime>\n"
     "  <cv:escalation>wait:1min,abort</cv:escalation>\n"
     "  <cv:switchover-bandwidth>25Gbit</cv:switchover-bandwidth>\n</cv:policy>",
     NULL, TRUE, NULL, TRUE, "gold", 0,
     "max-downtime=4s, switchover-bandwidth=25Gbit, escalation=wait:1min,abort", 0, NULL},
    {"fragment-no-name", "<cv:policy xmlns:cv='" NS "'><cv:margin>20%</cv:margin></cv:policy>",
     NULL, TRUE, NULL, TRUE, NULL, 0, "margin=20%", 0, NULL},
    {"override-bad-unit",
     "<cv:policy xmlns:cv='" NS "' name='gold'>\n<cv:max-downtime>4 s</cv:max-downtime>"
     "</cv:policy>",
     NULL, FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_BAD_UNIT,
     "metadata line 2: max-downtime: invalid duration '4 s': no space allowed between number "
     "and unit"},
    {"override-bad-value",
     "<cv:policy xmlns:cv='" NS "'><cv:max-downtime>3000s</cv:max-downtime></cv:policy>", NULL,
     FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_BAD_VALUE,
     "metadata line 1: max-downtime: '3000s': above 2000s, the largest downtime-limit QEMU "
     "accepts"},
    {"override-twice",
     "<cv:policy xmlns:cv='" NS "'><cv:margin>20%</cv:margin><cv:margin>30%</cv:margin>"
     "</cv:policy>",
     NULL, FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: <margin> given twice"},
    {"override-inherits-refused",
     "<cv:policy xmlns:cv='" NS "'><cv:inherits>gold</cv:inherits></cv:policy>", NULL, FALSE, NULL,
     FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: unknown element <inherits> inside <policy> (expected a policy key in "
     "namespace " NS ")"},
    {"override-without-namespace",
     "<cv:policy xmlns:cv='" NS "'><max-downtime>2s</max-downtime></cv:policy>", NULL, FALSE, NULL,
     FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: unknown element <max-downtime> inside <policy> (expected a policy key "
     "in namespace " NS ")"},
    {"override-nested-element",
     "<cv:policy xmlns:cv='" NS "'><cv:margin><cv:x/></cv:margin></cv:policy>", NULL, FALSE, NULL,
     FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: <margin> must hold only text"},
    {"stray-text", "<cv:policy xmlns:cv='" NS "'>fast please</cv:policy>", NULL, FALSE, NULL, FALSE,
     NULL, 0, NULL, CV_CONFIG_ERROR_METADATA, "metadata line 1: unexpected text inside <policy>"},
    {"unknown-element-in-ns", DOMAIN_XML("<cv:colour xmlns:cv='" NS "'>blue</cv:colour>", ""), NULL,
     FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: unknown element <colour> in namespace " NS " (expected <policy>)"},
    {"unknown-attribute", "<cv:policy xmlns:cv='" NS "' name='gold' colour='blue'/>", NULL, FALSE,
     NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: unknown attribute 'colour' on <policy>"},
    {"bad-policy-name", "<cv:policy xmlns:cv='" NS "' name='my gold'/>", NULL, FALSE, NULL, FALSE,
     NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: invalid policy name 'my gold' (1 to 63 characters of A-Z a-z 0-9 _ . "
     "-)"},
    {"empty-policy-name", "<cv:policy xmlns:cv='" NS "' name=''/>", NULL, FALSE, NULL, FALSE, NULL,
     0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: invalid policy name '' (1 to 63 characters of A-Z a-z 0-9 _ . -)"},
    {"two-elements-in-ns",
     DOMAIN_XML("<cv:policy xmlns:cv='" NS "' name='a'/><cv:policy xmlns:cv='" NS "' name='b'/>",
                ""),
     NULL, FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: a second element in namespace " NS},
    {"wrong-root", "<network><name>default</name></network>", NULL, FALSE, NULL, FALSE, NULL, 0,
     NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: expected <domain> or <policy> in namespace " NS ", found <network>"},
    {"malformed", "<domain>\n<name>x</domain>", NULL, FALSE, NULL, FALSE, NULL, 0, NULL,
     CV_CONFIG_ERROR_METADATA, "metadata line 2: malformed XML: *"},
    {"empty", "", NULL, FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line *"},
    {"undefined-entity", "<domain><name>&leak;</name></domain>", NULL, FALSE, NULL, FALSE, NULL, 0,
     NULL, CV_CONFIG_ERROR_METADATA, "metadata line 1: malformed XML: *"},
    {"billion-laughs", NULL, "billion-laughs.xml", FALSE, NULL, FALSE, NULL, 0, NULL,
     CV_CONFIG_ERROR_METADATA,
     "metadata line 2: a DOCTYPE is not accepted in domain XML (entities are never expanded)"},
    /* an external DTD is never fetched (no XML_PARSE_DTDLOAD, XML_PARSE_NONET): refused */
    {"external-dtd",
     "<?xml version='1.0'?>\n<!DOCTYPE domain SYSTEM 'http://127.0.0.1:9/x.dtd'>\n"
     "<domain><name>x</name></domain>",
     NULL, FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 2: a DOCTYPE is not accepted in domain XML (entities are never expanded)"},
    /* XInclude is never processed: the name stays "x", /etc/hostname is not read into it */
    {"xinclude-not-processed",
     "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><name>x<xi:include "
     "href='/etc/hostname' parse='text'/></name></domain>",
     NULL, TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"xinclude-in-override",
     "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><name>x</name><metadata>"
     "<cv:policy xmlns:cv='" NS "' name='a'><cv:max-downtime><xi:include href='/etc/hostname' "
     "parse='text'/></cv:max-downtime></cv:policy></metadata></domain>",
     NULL, FALSE, NULL, FALSE, NULL, 0, NULL, CV_CONFIG_ERROR_METADATA,
     "metadata line 1: <max-downtime> must hold only text"},
    {"hostdev-pci-vfio",
     DOMAIN_XML("", "<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio'/>"
                    "<source><address domain='0x0000' bus='0x3b' slot='0x00' "
                    "function='0x0'/></source></hostdev>"),
     NULL, TRUE, "x", FALSE, NULL, 1, NULL, 0, NULL},
    {"hostdev-pci-default-driver",
     DOMAIN_XML("", "<hostdev mode='subsystem' type='pci' managed='yes'><source><address "
                    "bus='0x3b' slot='0x00' function='0x0'/></source></hostdev>"),
     NULL, TRUE, "x", FALSE, NULL, 1, NULL, 0, NULL},
    {"hostdev-pci-legacy-kvm",
     DOMAIN_XML("", "<hostdev mode='subsystem' type='pci'><driver name='kvm'/></hostdev>"), NULL,
     TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"hostdev-mdev", DOMAIN_XML("", MDEV), NULL, TRUE, "x", FALSE, NULL, 1, NULL, 0, NULL},
    {"hostdev-usb",
     DOMAIN_XML("", "<hostdev mode='subsystem' type='usb'><source><vendor id='0x0781'/>"
                    "</source></hostdev>"),
     NULL, TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"hostdev-capabilities-mode",
     DOMAIN_XML("", "<hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1"
                    "</block></source></hostdev>"),
     NULL, TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"interface-hostdev",
     DOMAIN_XML("", "<interface type='hostdev' managed='yes'><source><address type='pci' "
                    "bus='0x06' slot='0x02' function='0x0'/></source></interface>"),
     NULL, TRUE, "x", FALSE, NULL, 1, NULL, 0, NULL},
    {"interface-network",
     DOMAIN_XML("", "<interface type='network'><source network='default'/></interface>"), NULL,
     TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"hostdev-outside-devices",
     "<domain><name>x</name><metadata><hostdev mode='subsystem' type='pci'/></metadata>"
     "</domain>",
     NULL, TRUE, "x", FALSE, NULL, 0, NULL, 0, NULL},
    {"shipped-example", NULL, "@SRC@/examples/domain-vfio.xml", TRUE, "vgpu-render-01", TRUE,
     "vfio", 2, "max-downtime=3s", 0, NULL},
    {"shipped-fragment", NULL, "@SRC@/examples/policy-metadata.xml", TRUE, NULL, TRUE, "vfio", 0,
     "max-downtime=3s", 0, NULL},
};

static gchar *
metadata_row_text(const MetadataRow *row)
{
    g_autofree gchar *path = NULL;
    gchar *text = NULL;

    if (row->xml != NULL)
        return g_strdup(row->xml);
    if (g_str_has_prefix(row->file, "@SRC@/"))
        path = g_build_filename(SOURCE_DATADIR, row->file + strlen("@SRC@/"), NULL);
    else
        path = data_path(row->file);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void
test_metadata(gconstpointer data)
{
    const MetadataRow *row = data;
    g_autofree gchar *xml = metadata_row_text(row);
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfigMetadata) md = cv_config_metadata_parse(xml, -1, &error);
    g_autofree gchar *overrides = NULL;

    if (!row->ok) {
        gsize n = strlen(row->error);

        g_assert_null(md);
        g_assert_error(error, CV_CONFIG_ERROR, row->code);
        if (row->error[n - 1] == '*')
            g_assert_true(strncmp(error->message, row->error, n - 1) == 0);
        else
            g_assert_cmpstr(error->message, ==, row->error);
        return;
    }
    g_assert_no_error(error);
    g_assert_nonnull(md);
    g_assert_cmpstr(cv_config_metadata_get_domain_name(md), ==, row->domain_name);
    g_assert_cmpint(cv_config_metadata_has_element(md), ==, row->has_element);
    g_assert_cmpstr(cv_config_metadata_get_policy_name(md), ==, row->policy);
    g_assert_cmpuint(cv_config_metadata_get_n_vfio_devices(md), ==, row->n_vfio);
    g_assert_cmpint(cv_config_metadata_has_vfio(md), ==, row->n_vfio > 0);
    overrides = cv_config_metadata_describe_overrides(md);
    g_assert_cmpstr(overrides, ==, row->overrides);
}

/* An external entity pointing at a real local file: the parse is refused and the file's
 * content appears nowhere. The control parse shows the document really is an attack: with
 * entity substitution on, libxml2 reads the file. */
static void
test_metadata_external_entity(void)
{
    g_autofree gchar *secret_path = data_path("secret.txt");
    g_autofree gchar *secret_uri = g_filename_to_uri(secret_path, NULL, NULL);
    g_autofree gchar *template_path = data_path("external-entity.xml");
    g_autofree gchar *template = NULL;
    g_autoptr(GString) xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfigMetadata) md = NULL;
    g_autoptr(xmlDoc) control = NULL;
    g_autofree gchar *control_text = NULL;

    g_assert_true(g_file_get_contents(template_path, &template, NULL, NULL));
    xml = g_string_new(template);
    g_string_replace(xml, "@SECRET_URI@", secret_uri, 0);

    control = xmlReadMemory(xml->str, (int)xml->len, "control.xml", NULL,
                            XML_PARSE_NOENT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    g_assert_nonnull(control);
    control_text = (gchar *)xmlNodeGetContent(xmlDocGetRootElement(control));
    g_assert_nonnull(strstr(control_text, "SECRET-MARKER-7f3a"));

    md = cv_config_metadata_parse(xml->str, (gssize)xml->len, &error);
    g_assert_null(md);
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA);
    g_assert_cmpstr(error->message, ==,
                    "metadata line 2: a DOCTYPE is not accepted in domain XML (entities are "
                    "never expanded)");
    g_assert_null(strstr(error->message, "SECRET"));
    xmlFree(g_steal_pointer(&control_text));
}

/* Found by fuzz-metadata: libxml2 quotes the input in its messages, bytes that are not UTF-8
 * included, and the message reaches the journal and --json output. */
static void
test_metadata_error_utf8(void)
{
    const gchar *xml = "<?xml version=\"1.0III\"?>\n<!DOCTYPE d [\n<!ENTITY leak\xe2\xde\xac "
                       "SYSTEM \"x\">\n]>\n<d/>";
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfigMetadata) md = cv_config_metadata_parse(xml, -1, &error);

    g_assert_null(md);
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA);
    g_assert_true(g_str_has_prefix(error->message, "metadata line 3: malformed XML: "));
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    for (const gchar *p = error->message; *p != '\0'; p++)
        g_assert_cmpint((guchar)*p, >=, 0x20);
}

static void
test_metadata_len(void)
{
    const gchar *xml = "<cv:policy xmlns:cv='" NS "' name='gold'/>trailing garbage";
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfigMetadata) md = NULL;
    g_autofree gchar *huge = NULL;

    /* Only @len bytes are read. */
    md = cv_config_metadata_parse(xml, (gssize)strlen(xml) - strlen("trailing garbage"), &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cv_config_metadata_get_policy_name(md), ==, "gold");

    huge = g_strnfill(CV_CONFIG_METADATA_MAX_XML + 1, ' ');
    g_clear_pointer(&md, cv_config_metadata_free);
    md = cv_config_metadata_parse(huge, -1, &error);
    g_assert_null(md);
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_METADATA);
}

static void
test_metadata_apply_overrides(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CvConfigMetadata) md = cv_config_metadata_parse(
        "<cv:policy xmlns:cv='" NS "'><cv:completion-timeout>20min</cv:completion-timeout>"
        "<cv:stall-window>10s</cv:stall-window><cv:patience>off</cv:patience></cv:policy>",
        -1, &error);
    CvPolicy p;
    CvPolicy before;

    g_assert_no_error(error);
    cv_config_policy_init_builtin(&p);
    before = p;
    g_assert_cmpuint(cv_config_metadata_apply_overrides(md, &p), ==, 3);
    g_assert_cmpuint(p.patience_ms, ==, 0);
    /* A whole key replaces both of its fields: the per-GiB timeout is gone, and so is the
     * pass count of the stall window. */
    g_assert_cmpuint(p.completion_timeout_ms, ==, 20 * 60 * 1000);
    g_assert_cmpuint(p.completion_timeout_ms_per_gib, ==, 0);
    g_assert_cmpuint(p.stall_window_ms, ==, 10000);
    g_assert_cmpuint(p.stall_window_passes, ==, 0);
    g_assert_cmpuint(p.max_downtime_ms, ==, before.max_downtime_ms);
}

/* What `virt-converge policy set` writes, after libvirt put it in our namespace, is valid
 * under the shipped schema and reads back to the same name. */
static void
test_metadata_build(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *fragment = cv_config_metadata_build("vgpu-10gbit", &error);
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlRelaxNGParserCtxt) rng_parser = NULL;
    g_autoptr(xmlRelaxNG) rng = NULL;
    g_autoptr(xmlRelaxNGValidCtxt) valid = NULL;
    g_autoptr(CvConfigMetadata) md = NULL;
    g_autofree gchar *long64 = g_strnfill(CV_POLICY_NAME_MAX, 'a');
    xmlChar *serialized = NULL;
    int size = 0;
    xmlNode *root;

    g_assert_no_error(error);
    g_assert_cmpstr(fragment, ==, "<policy name=\"vgpu-10gbit\"/>");

    /* What virDomainSetMetadata does with it: a namespace on every element. */
    doc = xmlReadMemory(fragment, (int)strlen(fragment), "fragment.xml", NULL, XML_PARSE_NONET);
    g_assert_nonnull(doc);
    root = xmlDocGetRootElement(doc);
    xmlSetNs(root, xmlNewNs(root, (const xmlChar *)NS, (const xmlChar *)"cv"));

    rng_parser = xmlRelaxNGNewParserCtxt(SOURCE_DATADIR "/virt-converge-metadata.rng");
    rng = xmlRelaxNGParse(rng_parser);
    g_assert_nonnull(rng);
    valid = xmlRelaxNGNewValidCtxt(rng);
    g_assert_cmpint(xmlRelaxNGValidateDoc(valid, doc), ==, 0);

    xmlDocDumpMemory(doc, &serialized, &size);
    md = cv_config_metadata_parse((const gchar *)serialized, size, &error);
    xmlFree(serialized);
    g_assert_no_error(error);
    g_assert_cmpstr(cv_config_metadata_get_policy_name(md), ==, "vgpu-10gbit");

    g_assert_null(cv_config_metadata_build("my gold", &error));
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE);
    g_clear_error(&error);
    g_assert_null(cv_config_metadata_build("\"/><x y=\"", &error));
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE);
    g_clear_error(&error);
    g_assert_null(cv_config_metadata_build(long64, &error));
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE);
    g_clear_error(&error);
    g_assert_null(cv_config_metadata_build(NULL, &error));
    g_assert_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE);
}

static void
test_default_paths(void)
{
    g_autofree gchar *path = NULL;
    g_autofree gchar *dir = NULL;

    g_setenv("CONFIGURATION_DIRECTORY", "/etc/cv-test:/etc/other", TRUE);
    path = cv_config_default_path();
    dir = cv_config_default_policies_dir();
    g_assert_cmpstr(path, ==, "/etc/cv-test/virt-converged.conf");
    g_assert_cmpstr(dir, ==, "/etc/cv-test/policies.d");
    g_unsetenv("CONFIGURATION_DIRECTORY");
    g_clear_pointer(&path, g_free);
    path = cv_config_default_path();
    g_assert_cmpstr(path, ==, SYSCONFDIR "/virt-converge/virt-converged.conf");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(unit_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/config/units/parse/%s", unit_rows[i].name);
        g_test_add_data_func(path, &unit_rows[i], test_unit);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(format_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/config/units/format/%s", format_rows[i].name);
        g_test_add_data_func(path, &format_rows[i], test_format);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(key_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/config/keys/%s", key_rows[i].name);
        g_test_add_data_func(path, &key_rows[i], test_key);
    }
    g_test_add_func("/config/keys/names", test_key_names);
    g_test_add_func("/config/policy/names", test_policy_names);
    g_test_add_func("/config/policy/builtin-defaults", test_builtin_defaults);
    g_test_add_func("/config/policy/builtin-matches-engine", test_builtin_matches_engine);
    g_test_add_func("/config/policy/to-string-roundtrip", test_to_string_roundtrip);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/config/file/bad/%s", bad_rows[i].name);
        g_test_add_data_func(path, &bad_rows[i], test_bad_file);
    }
    g_test_add_func("/config/file/missing-main-file", test_missing_main_file);
    g_test_add_func("/config/file/missing-dir-is-empty", test_missing_dir_is_empty);
    g_test_add_func("/config/file/crlf", test_crlf);
    g_test_add_func("/config/file/new-default", test_new_default);
    g_test_add_func("/config/file/daemon-keys", test_daemon_keys);
    g_test_add_func("/config/file/inherit-chain", test_inherit_chain);
    g_test_add_func("/config/file/dropins", test_dropins);
    g_test_add_func("/config/file/default-paths", test_default_paths);
    g_test_add_func("/config/reload/keeps-old-on-error", test_reload_keeps_old_on_error);
    g_test_add_func("/config/shipped/virt-converged.conf", test_shipped_conf);
    g_test_add_func("/config/shipped/example-dropin", test_shipped_example_dropin);
    for (gsize i = 0; i < G_N_ELEMENTS(precedence_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/config/precedence/%s", precedence_rows[i].name);
        g_test_add_data_func(path, &precedence_rows[i], test_precedence);
    }
    g_test_add_func("/config/precedence/source-names", test_source_names);
    for (gsize i = 0; i < G_N_ELEMENTS(metadata_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/config/metadata/%s", metadata_rows[i].name);
        g_test_add_data_func(path, &metadata_rows[i], test_metadata);
    }
    g_test_add_func("/config/metadata/external-entity", test_metadata_external_entity);
    g_test_add_func("/config/metadata/error-utf8", test_metadata_error_utf8);
    g_test_add_func("/config/metadata/len", test_metadata_len);
    g_test_add_func("/config/metadata/apply-overrides", test_metadata_apply_overrides);
    g_test_add_func("/config/metadata/build", test_metadata_build);

    return g_test_run();
}
