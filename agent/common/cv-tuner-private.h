/* Test seams of CvTuner: not for production callers. */
#pragma once

#include "cv-tuner.h"

G_BEGIN_DECLS

typedef CvDecision (*CvTunerDecideFunc)(const CvPolicy *policy, const CvSample *samples,
                                        gsize n_samples, const CvParams *current,
                                        const CvPolicyHistory *history, gpointer user_data);

/* Replace cv_policy_decide (tests that need a decision the engine would never make, such as a
 * limit above the cap, to prove the actuator refuses it). NULL restores the engine. */
void cv_tuner_set_decide_func(CvTuner *tuner, CvTunerDecideFunc func, gpointer user_data);
/* The history of boundary samples kept for the engine (oldest first). */
const CvSample *cv_tuner_get_history(const CvTuner *tuner, guint *n_samples);

G_END_DECLS
