/* The actuator's cap check: would it send this decision with these parameters? Pure: the
 * policy, freshly read parameters and the decision in, a verdict and its reason out.
 *
 * A downtime-limit above the policy's max-downtime (the cap) goes out only when the policy
 * states the link rate (switchover-bandwidth > 0), QEMU cannot take avail-switchover-bandwidth
 * and none is in force, no VFIO device's share goes unreported (before 11.1), and
 * max-bandwidth is valid, non-zero and at most the stated rate; then the limit L is allowed
 * while L x max-bandwidth / stated + reserve <= cap (max-bandwidth is the only bound on the
 * rate QEMU will measure for the rest of the migration, and the final copy runs at the link's
 * rate). Otherwise L + reserve <= cap. The reserve (the policy's switchover-reserve) is the part
 * of the pause QEMU's threshold does not count: vCPU stop, unreported device state, the last
 * sync. The engine computes the same rule on its own (policy/); a limit above the
 * cap also needs the engine's predicted blackout within the cap: both must agree. */
#pragma once

#include <glib.h>

#include "cv-decision.h"
#include "cv-params.h"
#include "cv-policy.h"
#include "cv-sample.h"

G_BEGIN_DECLS

/* Would @d, decided on @s (may be NULL), be sent with @params? FALSE with @why set when it is
 * refused. */
gboolean cv_actuator_check(const CvPolicy *policy, const CvParams *params, const CvDecision *d,
                           const CvSample *s, gchar *why, gsize why_len);
/* The cap check for one downtime-limit. @engine_blackout_ms is the engine's predicted blackout
 * for it (0: none); @vfio_unbounded: the guest has a VFIO device whose share QEMU does not
 * report (before 11.1). */
gboolean cv_actuator_check_downtime_limit(const CvPolicy *policy, const CvParams *params,
                                          guint64 limit_ms, guint64 engine_blackout_ms,
                                          gboolean vfio_unbounded, gchar *why, gsize why_len);

G_END_DECLS
