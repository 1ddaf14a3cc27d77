#include "config.h"

#include "cv-config-error.h"

/* Written out because clang-format mangles G_DEFINE_QUARK's dashed name. */
GQuark
cv_config_error_quark(void)
{
    return g_quark_from_static_string("cv-config-error-quark");
}
