#include "config.h"

#include <errno.h>

#include "cv-state-error.h"

/* Written out because clang-format mangles G_DEFINE_QUARK's dashed name. */
GQuark
cv_state_error_quark(void)
{
    return g_quark_from_static_string("cv-state-error-quark");
}

static CvStateErrorCode
code_from_errno(gint errsv)
{
    switch (errsv) {
    case ENOSPC:
    case EDQUOT:
        return CV_STATE_ERROR_NO_SPACE;
    case EROFS:
        return CV_STATE_ERROR_READ_ONLY;
    case EACCES:
    case EPERM:
        return CV_STATE_ERROR_PERMISSION;
    case ENOENT:
        return CV_STATE_ERROR_NOT_FOUND;
    case EFBIG:
        return CV_STATE_ERROR_TOO_LARGE;
    default:
        return CV_STATE_ERROR_IO;
    }
}

void
cv_state_set_error_from_errno(GError **error, gint errsv, const gchar *path, const gchar *what)
{
    if (what != NULL)
        g_set_error(error, CV_STATE_ERROR, code_from_errno(errsv), "%s: %s: %s", path, what,
                    g_strerror(errsv));
    else
        g_set_error(error, CV_STATE_ERROR, code_from_errno(errsv), "%s: %s", path,
                    g_strerror(errsv));
}

gchar *
cv_state_printable(const gchar *text)
{
    gchar *s = g_utf8_make_valid(text, -1);

    for (gchar *p = s; *p != '\0'; p++) {
        if ((guchar)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
    return s;
}
