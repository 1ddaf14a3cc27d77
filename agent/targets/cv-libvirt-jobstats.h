/* virDomainGetJobStats (and the job-completed event, which carries the same keys) -> CvSample.
 * A pure mapping: no connection, no clock, no allocation. Every value is type-checked and
 * bounded like the QMP parser's; whatever libvirt leaves out stays ABSENT, whatever is garbage
 * is INVALID. Units: qemu-libvirt-reference.md §6.1. */
#pragma once

#include <glib.h>

#include <libvirt/libvirt.h>

#include "cv-sample.h"

G_BEGIN_DECLS

/* The domain state is unknown (virDomainGetState was not asked or failed). */
#define CV_LIBVIRT_STATE_UNKNOWN (-1)

/* @job_type: virDomainJobType as virDomainGetJobStats returned it. @params/@nparams: its typed
 * parameters (may be NULL/0). @state/@reason: virDomainGetState of the domain at the same time,
 * or CV_LIBVIRT_STATE_UNKNOWN; they tell the switchover (paused for migration) and post-copy
 * apart from precopy, which the job statistics do not. @sample is initialised first.
 *
 * Status: NONE for no job or a job that is not an outgoing migration; SETUP before libvirt
 * reports any RAM; ACTIVE, DEVICE (paused for the switchover), POSTCOPY_ACTIVE, POSTCOPY_PAUSED
 * from the domain state; COMPLETED, FAILED (errmsg in error_desc), CANCELLED for finished jobs.
 * `downtime` is QEMU's expected-downtime while the job runs and the real downtime once it has
 * finished. QEMU's system-wide `remaining` never comes through libvirt: remaining stays
 * ABSENT. */
void cv_libvirt_job_stats_to_sample(gint job_type, const virTypedParameter *params, gint nparams,
                                    gint state, gint reason, CvSample *sample);

G_END_DECLS
