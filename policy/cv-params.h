/* What QEMU's migration is configured with right now, plus what the agent knows about the
 * guest and the QEMU it runs in. Input of the policy engine; read through the target. */
#pragma once

#include <glib.h>

#include "cv-sample.h"

G_BEGIN_DECLS

typedef enum {
    CV_TRI_UNKNOWN = 0,
    CV_TRI_NO,
    CV_TRI_YES,
} CvTri;

typedef struct {
    CvU64Field downtime_limit_ms;
    CvU64Field max_bandwidth; /* bytes/s */
    /* bytes/s; ABSENT means this QEMU does not know the parameter (< 8.2). */
    CvU64Field avail_switchover_bandwidth;
    CvU64Field max_postcopy_bandwidth; /* bytes/s */

    /* Capabilities, from query-migrate-capabilities. */
    CvTri postcopy_ram;
    CvTri events;

    /* The guest has VFIO host devices (PCI hostdev, mdev): from the domain XML, a vfio member
     * in query-migrate, or the operator. Unknown is treated as "maybe" where it matters. */
    CvTri vfio_devices;
} CvParams;

void cv_params_init(CvParams *params);
/* Can this QEMU take avail-switchover-bandwidth? */
gboolean cv_params_supports_switchover_bandwidth(const CvParams *params);

G_END_DECLS
