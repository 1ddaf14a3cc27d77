/* Errors of the config layer: one domain for files, units and domain XML. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CV_CONFIG_ERROR (cv_config_error_quark())
GQuark cv_config_error_quark(void);

/* Messages about a file always read "FILE:LINE: what is wrong" (or "FILE: ..." when the
 * problem has no line, e.g. a file that cannot be read). */
typedef enum {
    CV_CONFIG_ERROR_FAILED = 0,     /* anything else */
    CV_CONFIG_ERROR_IO,             /* a file or directory could not be read */
    CV_CONFIG_ERROR_PARSE,          /* not key-file syntax: malformed line, bad UTF-8 */
    CV_CONFIG_ERROR_UNKNOWN_GROUP,  /* a [group] we do not know, or in the wrong file */
    CV_CONFIG_ERROR_UNKNOWN_KEY,    /* a key we do not know in a known group */
    CV_CONFIG_ERROR_DUPLICATE,      /* a key, group, policy or domain pattern given twice */
    CV_CONFIG_ERROR_MISSING_KEY,    /* a required key is absent ([domain:*] without policy) */
    CV_CONFIG_ERROR_BAD_UNIT,       /* a number with a missing, unknown or malformed unit */
    CV_CONFIG_ERROR_BAD_VALUE,      /* well-formed but out of range, or a word we do not know */
    CV_CONFIG_ERROR_CYCLE,          /* policies inherit from each other in a loop */
    CV_CONFIG_ERROR_MISSING_POLICY, /* inherits= or policy= names a policy nobody defines */
    CV_CONFIG_ERROR_METADATA,       /* domain XML or our <metadata> element is unusable */
} CvConfigErrorCode;

G_END_DECLS
