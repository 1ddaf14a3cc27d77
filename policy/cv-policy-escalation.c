#include "config.h"

#include "cv-policy-private.h"

/* Escalation: when the needed downtime is above what the policy allows, walk
 * policy->escalation in order. The walk lives in the history: escalation_index counts the
 * steps consumed (taken or skipped), escalation_started_ms is when the last one was taken.
 * A step is given its bound (bound_ms, else the policy's wait-time) from the moment it was
 * taken, not from when the cap was reached, so a late caller never skips an action.
 *
 *   wait      no action for its bound: the workload may calm down.
 *   postcopy  only with the postcopy-ram capability on (libvirt: VIR_MIGRATE_POSTCOPY, i.e.
 *             whoever started the migration consented) and no VFIO device: VFIO device state
 *             cannot be carried by post-copy.
 *   pause     not with VFIO: pausing vCPUs does not stop a device from dirtying its state.
 *   abort     cancel the migration; the guest keeps running on the source.
 *
 * A refused step is skipped with its reason at once. The bound of the last step is ignored:
 * once it is taken there is nothing more to do. A completion timeout jumps to the last step
 * (or, if that one is refused, the last one before it that is allowed and not yet taken). */

static const guint64 gib = G_GUINT64_CONSTANT(1) << 30;

static const gchar *
step_refusal(const CvEscalationStep *step, const CvPolicyView *view)
{
    switch (step->action) {
    case CV_ESCALATION_POSTCOPY:
        if (view->vfio)
            return "VFIO device (no post-copy)";
        if (view->postcopy_ram == CV_TRI_NO)
            return "postcopy-ram off";
        if (view->postcopy_ram != CV_TRI_YES)
            return "postcopy-ram unknown";
        return NULL;
    case CV_ESCALATION_PAUSE:
        if (view->vfio)
            return "vCPU pause does not stop VFIO";
        return NULL;
    case CV_ESCALATION_WAIT:
    case CV_ESCALATION_ABORT:
        return NULL;
    default:
        return "unknown escalation step";
    }
}

static guint64
step_bound(const CvPolicy *policy, guint i)
{
    return policy->escalation[i].bound_ms > 0 ? policy->escalation[i].bound_ms
                                              : policy->wait_time_ms;
}

static void
take_step(const CvPolicy *policy, guint i, guint n, CvDecision *d)
{
    CvEscalationAction action = policy->escalation[i].action;

    switch (action) {
    case CV_ESCALATION_WAIT:
        d->kind = CV_DECISION_NONE;
        break;
    case CV_ESCALATION_POSTCOPY:
        d->kind = CV_DECISION_START_POSTCOPY;
        break;
    case CV_ESCALATION_PAUSE:
        d->kind = CV_DECISION_PAUSE_GUEST;
        break;
    case CV_ESCALATION_ABORT:
        d->kind = CV_DECISION_ABORT;
        break;
    default:
        d->kind = CV_DECISION_NONE;
        break;
    }
    d->value = 0;
    if (action == CV_ESCALATION_WAIT && i + 1 < n)
        cv_policy_reason_append(d, "; escalation %u/%u: wait %.0f s", i + 1, n,
                                (gdouble)step_bound(policy, i) / 1000.0);
    else
        cv_policy_reason_append(d, "; escalation %u/%u: %s", i + 1, n,
                                cv_escalation_action_to_string(action));
}

void
cv_policy_escalate(const CvPolicy *policy, const CvPolicyView *view, const CvPolicyHistory *history,
                   gboolean forced_last, CvDecision *d)
{
    guint n = MIN(policy->n_escalation, CV_POLICY_MAX_ESCALATION);
    guint idx = history->escalation_index;
    gint64 now = view->newest->time_ms;

    d->verdict = CV_VERDICT_ESCALATING;
    if (n == 0) {
        cv_policy_reason_append(d, "; the policy lists no escalation step: nothing more to do");
        return;
    }
    if (forced_last) {
        if (idx >= n) {
            cv_policy_reason_append(
                d, "; last escalation step %s already taken",
                cv_escalation_action_to_string(policy->escalation[n - 1].action));
            return;
        }
        for (guint j = n; j-- > idx;) {
            const gchar *why = step_refusal(&policy->escalation[j], view);

            if (why != NULL) {
                cv_policy_reason_append(
                    d, "; %s skipped: %s",
                    cv_escalation_action_to_string(policy->escalation[j].action), why);
                continue;
            }
            take_step(policy, j, n, d);
            d->escalation_next = n;
            return;
        }
        cv_policy_reason_append(d, "; no escalation step left");
        return;
    }

    if (idx > 0) {
        guint cur = idx - 1;
        gint64 elapsed = now - history->escalation_started_ms;

        if (cur >= n - 1 || idx > n) {
            cv_policy_reason_append(
                d, "; escalation done: last step %s taken %.0f s ago",
                cv_escalation_action_to_string(policy->escalation[MIN(cur, n - 1)].action),
                (gdouble)elapsed / 1000.0);
            return;
        }
        if (elapsed < 0 || (guint64)elapsed < step_bound(policy, cur)) {
            cv_policy_reason_append(d, "; escalation %u/%u %s: %.0f s of %.0f s", idx, n,
                                    cv_escalation_action_to_string(policy->escalation[cur].action),
                                    (gdouble)MAX(elapsed, 0) / 1000.0,
                                    (gdouble)step_bound(policy, cur) / 1000.0);
            return;
        }
    }
    for (guint j = idx; j < n; j++) {
        const gchar *why = step_refusal(&policy->escalation[j], view);

        if (why != NULL) {
            cv_policy_reason_append(d, "; %s skipped: %s",
                                    cv_escalation_action_to_string(policy->escalation[j].action),
                                    why);
            continue;
        }
        take_step(policy, j, n, d);
        d->escalation_next = j + 1;
        return;
    }
    d->escalation_next = n;
    cv_policy_reason_append(d, "; no escalation step left");
}

gboolean
cv_policy_escalation_due(const CvPolicy *policy, const CvPolicyHistory *history, gint64 now_ms)
{
    guint n = MIN(policy->n_escalation, CV_POLICY_MAX_ESCALATION);
    guint idx = history->escalation_index;
    gint64 elapsed = now_ms - history->escalation_started_ms;

    if (idx == 0 || idx >= n)
        return FALSE;
    return elapsed >= 0 && (guint64)elapsed >= step_bound(policy, idx - 1);
}

/* Absolute, or per GiB of guest RAM (ram.total), whichever expires first when both are set.
 * Judged on QEMU's total-time, so the engine needs no clock; an invalid total-time or
 * ram.total never triggers it. */
gboolean
cv_policy_completion_timeout(const CvPolicy *policy, const CvSample *newest, CvDecision *d)
{
    gdouble limit_ms = 0;
    gchar how[64] = "absolute";
    gdouble total_ms;

    if (!cv_field_valid(&newest->total_time_ms))
        return FALSE;
    if (policy->completion_timeout_ms > 0)
        limit_ms = (gdouble)policy->completion_timeout_ms;
    if (policy->completion_timeout_ms_per_gib > 0 && cv_field_valid(&newest->ram_total) &&
        newest->ram_total.value > 0) {
        gdouble gibs = (gdouble)newest->ram_total.value / (gdouble)gib;
        gdouble per = (gdouble)policy->completion_timeout_ms_per_gib * gibs;

        if (limit_ms == 0 || per < limit_ms) {
            limit_ms = per;
            g_snprintf(how, sizeof(how), "%.0f s/GiB x %.2f GiB",
                       (gdouble)policy->completion_timeout_ms_per_gib / 1000.0, gibs);
        }
    }
    if (limit_ms <= 0)
        return FALSE;
    total_ms = (gdouble)newest->total_time_ms.value;
    if (total_ms < limit_ms)
        return FALSE;
    cv_policy_reason_append(d, "completion timeout %.0f s (%s) reached at total-time %.0f s",
                            limit_ms / 1000.0, how, total_ms / 1000.0);
    return TRUE;
}
