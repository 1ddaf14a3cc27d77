#include "config.h"

#include <string.h>

#include "cv-policy.h"

/* Placeholder until the engine lands: decides nothing. */
void
cv_policy_init_default(CvPolicy *policy)
{
    memset(policy, 0, sizeof(*policy));
}

void
cv_policy_history_init(CvPolicyHistory *history)
{
    memset(history, 0, sizeof(*history));
}

void
cv_policy_history_record(CvPolicyHistory *history, const CvDecision *decision,
                         const CvSample *sample)
{
}

CvDecision
cv_policy_decide(const CvPolicy *policy, const CvSample *samples, gsize n_samples,
                 const CvParams *current, const CvPolicyHistory *history)
{
    CvDecision d = {0};
    return d;
}
