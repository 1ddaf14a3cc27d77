#include "config.h"

#include <string.h>

#include "cv-params.h"

void
cv_params_init(CvParams *params)
{
    g_return_if_fail(params != NULL);
    memset(params, 0, sizeof(*params));
}

gboolean
cv_params_supports_switchover_bandwidth(const CvParams *params)
{
    g_return_val_if_fail(params != NULL, FALSE);
    return params->avail_switchover_bandwidth.state != CV_FIELD_ABSENT;
}
