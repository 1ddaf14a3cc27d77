/* The units of policy files and domain metadata, parsed strictly and formatted back.
 *
 * A value is a decimal number (digits, optionally '.' and at most 9 more digits) followed
 * directly by a unit, with nothing before or after: no whitespace, no sign, no exponent.
 * Units are case-sensitive (Mbit and MB differ by 8x). Every result must be a whole number
 * of the base unit (ms, bytes, bytes/s) and fit in 64 bits; otherwise the parse fails with
 * a message that quotes the text. The formatters produce text the parsers read back to the
 * same value. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "300ms", "2s", "1.5s", "10min", "1h" -> milliseconds. A bare number has no unit and is
 * refused. Errors: CV_CONFIG_ERROR_BAD_UNIT (syntax, unit), CV_CONFIG_ERROR_BAD_VALUE
 * (negative, too large, not a whole number of ms). */
gboolean cv_config_parse_duration(const gchar *text, guint64 *ms, GError **error);

/* "4096" (bytes), "512MiB", "1GiB", "1GB", "64kB" -> bytes. */
gboolean cv_config_parse_size(const gchar *text, guint64 *bytes, GError **error);

/* "10Gbit" (= 1250000000 bytes/s), "800Mbit", "1GiB/s", "100MiB/s", "125MB/s" -> bytes/s.
 * Bit rates are decimal (1 Gbit = 10^9 bits), as network links are stated. A bare number or
 * a size without "/s" is refused: bits or bytes must be explicit. */
gboolean cv_config_parse_rate(const gchar *text, guint64 *bytes_per_second, GError **error);

/* "5%", "12.5%" or a fraction "0.05" -> 0.05. At most 100 % (1.0). */
gboolean cv_config_parse_percent(const gchar *text, gdouble *fraction, GError **error);

/* "150s/GiB" -> milliseconds per GiB of guest memory. */
gboolean cv_config_parse_per_gib(const gchar *text, guint64 *ms_per_gib, GError **error);

/* Formatting back, in the largest unit that keeps the value exact. Free with g_free(). */
gchar *cv_config_format_duration(guint64 ms);
gchar *cv_config_format_size(guint64 bytes);
gchar *cv_config_format_rate(guint64 bytes_per_second);
gchar *cv_config_format_percent(gdouble fraction);
gchar *cv_config_format_per_gib(guint64 ms_per_gib);

G_END_DECLS
