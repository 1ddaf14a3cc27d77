#include "config.h"

#include <string.h>

#include "cv-decision.h"
#include "cv-restore-ledger.h"

#define MAX_ENTRIES 3

typedef struct {
    CvRestoreItem item;
    CvU64Field original;
    CvU64Field ours;
    CvU64Field believed;
} Entry;

struct _CvRestoreLedger {
    CvTarget *target;
    Entry entries[MAX_ENTRIES];
    guint n;
    guint next; /* the first entry not settled */
    gboolean running;
    /* The reading the walk decides on: taken once before it, each entry a different parameter */
    gboolean have_fresh;
    CvParams fresh;
    GError *why;           /* why there is no reading */
    CvTunerAction current; /* the entry whose command is in flight */
    CvRestoreLedgerEntryFunc entry_func;
    CvRestoreLedgerDoneFunc done_func;
    gpointer user_data;
};

const gchar *
cv_restore_verdict_to_string(CvRestoreVerdict verdict)
{
    switch (verdict) {
    case CV_RESTORE_UNDO:
        return "undo";
    case CV_RESTORE_SKIP:
        return "skip";
    case CV_RESTORE_LEFT_ALONE:
        return "left-alone";
    case CV_RESTORE_UNVERIFIED:
        return "left-alone-unverified";
    case CV_RESTORE_NO_ORIGINAL:
        return "no-original";
    default:
        return "unknown";
    }
}

CvRestoreVerdict
cv_restore_decide(const CvU64Field *original, const CvU64Field *ours, const CvU64Field *fresh)
{
    g_return_val_if_fail(original != NULL && ours != NULL, CV_RESTORE_NO_ORIGINAL);
    if (!cv_field_valid(original))
        return CV_RESTORE_NO_ORIGINAL;
    if (fresh == NULL || !cv_field_valid(fresh))
        return CV_RESTORE_UNVERIFIED;
    if (fresh->value == original->value)
        return CV_RESTORE_SKIP;
    if (!cv_field_valid(ours) || ours->value != fresh->value)
        return CV_RESTORE_LEFT_ALONE;
    return CV_RESTORE_UNDO;
}

CvRestoreLedger *
cv_restore_ledger_new(CvTarget *target)
{
    CvRestoreLedger *ledger;

    g_return_val_if_fail(target != NULL, NULL);
    ledger = g_new0(CvRestoreLedger, 1);
    ledger->target = target;
    return ledger;
}

void
cv_restore_ledger_free(CvRestoreLedger *ledger)
{
    if (ledger == NULL)
        return;
    cv_target_forget(ledger->target, ledger);
    g_clear_error(&ledger->why);
    g_free(ledger);
}

void
cv_restore_ledger_add(CvRestoreLedger *ledger, CvRestoreItem item, const CvU64Field *original,
                      const CvU64Field *ours, const CvU64Field *believed)
{
    Entry *e;

    g_return_if_fail(ledger != NULL && ledger->n < MAX_ENTRIES && !ledger->running);
    e = &ledger->entries[ledger->n++];
    memset(e, 0, sizeof(*e));
    e->item = item;
    if (original != NULL)
        e->original = *original;
    if (ours != NULL)
        e->ours = *ours;
    if (believed != NULL)
        e->believed = *believed;
}

guint
cv_restore_ledger_get_n(const CvRestoreLedger *ledger)
{
    g_return_val_if_fail(ledger != NULL, 0);
    return ledger->n;
}

gboolean
cv_restore_ledger_needs_params(const CvRestoreLedger *ledger)
{
    g_return_val_if_fail(ledger != NULL, FALSE);
    for (guint i = ledger->next; i < ledger->n; i++) {
        if (ledger->entries[i].item != CV_RESTORE_ITEM_RESUME_GUEST)
            return TRUE;
    }
    return FALSE;
}

gboolean
cv_restore_ledger_is_running(const CvRestoreLedger *ledger)
{
    g_return_val_if_fail(ledger != NULL, FALSE);
    return ledger->running;
}

void
cv_restore_ledger_stop(CvRestoreLedger *ledger)
{
    g_return_if_fail(ledger != NULL);
    cv_target_forget(ledger->target, ledger);
    ledger->running = FALSE;
}

static void
format_value(CvRestoreItem item, const CvU64Field *f, gchar *buf, gsize len)
{
    if (!cv_field_valid(f))
        g_strlcpy(buf, f->state == CV_FIELD_INVALID ? "invalid" : "unknown", len);
    else if (item == CV_RESTORE_ITEM_DOWNTIME_LIMIT)
        g_snprintf(buf, len, "%" G_GUINT64_FORMAT " ms", f->value);
    else
        cv_format_rate(f->value, buf, len);
}

static void
settle(CvRestoreLedger *ledger, CvTunerAction *entry)
{
    ledger->next++;
    if (ledger->entry_func != NULL)
        ledger->entry_func(ledger, entry, ledger->user_data);
}

static void walk(CvRestoreLedger *ledger);

static void
command_done_cb(CvTarget *target, const GError *error, gpointer user_data)
{
    CvRestoreLedger *ledger = user_data;
    CvTunerAction *r = &ledger->current;

    if (error != NULL && (cv_target_error_is_gone(error) ||
                          g_error_matches(error, CV_TARGET_ERROR, CV_TARGET_ERROR_TIMEOUT))) {
        /* Its fate is unknown and the connection is in doubt: the caller reconnects, re-reads
         * and resumes at this entry. */
        ledger->running = FALSE;
        ledger->done_func(ledger, error, ledger->user_data);
        return;
    }
    if (error != NULL) {
        r->result = CV_TUNER_RESULT_FAILED;
        g_strlcpy(r->error, error->message, sizeof(r->error));
    } else {
        r->result = CV_TUNER_RESULT_APPLIED;
    }
    settle(ledger, r);
    /* The reading taken before the walk still holds for the entries after this one: each
     * entry is a different parameter. */
    walk(ledger);
}

/* Settle the parameter entry at ledger->next, or send its command (returns TRUE then). */
static gboolean
walk_one(CvRestoreLedger *ledger, const Entry *e)
{
    CvTunerAction *r = &ledger->current;
    const GError *why = ledger->why;
    const CvU64Field *now = NULL;
    CvRestoreVerdict verdict;
    gchar found[32], set[32], orig[32];

    if (ledger->have_fresh)
        now = e->item == CV_RESTORE_ITEM_DOWNTIME_LIMIT ? &ledger->fresh.downtime_limit_ms
                                                        : &ledger->fresh.avail_switchover_bandwidth;
    verdict = cv_restore_decide(&e->original, &e->ours, now);
    memset(r, 0, sizeof(*r));
    r->kind = e->item == CV_RESTORE_ITEM_DOWNTIME_LIMIT ? CV_DECISION_SET_DOWNTIME_LIMIT
                                                        : CV_DECISION_SET_SWITCHOVER_BANDWIDTH;
    r->value = e->original.value;
    r->previous = now != NULL ? *now : e->believed;
    g_strlcpy(r->reason, "restore the value found before our first change", sizeof(r->reason));
    format_value(e->item, &r->previous, found, sizeof(found));
    format_value(e->item, &e->ours, set, sizeof(set));
    format_value(e->item, &e->original, orig, sizeof(orig));
    switch (verdict) {
    case CV_RESTORE_UNDO:
        if (e->item == CV_RESTORE_ITEM_DOWNTIME_LIMIT)
            cv_target_set_downtime_limit(ledger->target, r->value, command_done_cb, ledger);
        else
            cv_target_set_switchover_bandwidth(ledger->target, r->value, command_done_cb, ledger);
        return TRUE;
    case CV_RESTORE_SKIP:
        ledger->next++;
        return FALSE;
    case CV_RESTORE_LEFT_ALONE:
        r->result = CV_TUNER_RESULT_LEFT_ALONE;
        if (cv_field_valid(&e->ours))
            g_snprintf(r->error, sizeof(r->error),
                       "someone else set %s after virt-converge set %s; not restored to %s", found,
                       set, orig);
        else
            g_snprintf(r->error, sizeof(r->error),
                       "someone else set %s (virt-converge's change did not take); not restored "
                       "to %s",
                       found, orig);
        break;
    case CV_RESTORE_UNVERIFIED:
        r->result = CV_TUNER_RESULT_LEFT_ALONE_UNVERIFIED;
        g_snprintf(r->error, sizeof(r->error),
                   "cannot re-read it (%s): left as it is (virt-converge last knew %s), not "
                   "restored to %s",
                   why != NULL   ? why->message
                   : now != NULL ? "QEMU's reading is invalid"
                                 : "no reading",
                   found, orig);
        break;
    case CV_RESTORE_NO_ORIGINAL:
    default:
        r->result = CV_TUNER_RESULT_REFUSED;
        g_strlcpy(r->error, "the original value is unknown", sizeof(r->error));
        break;
    }
    settle(ledger, r);
    return FALSE;
}

static void
walk(CvRestoreLedger *ledger)
{
    while (ledger->next < ledger->n) {
        const Entry *e = &ledger->entries[ledger->next];

        if (e->item == CV_RESTORE_ITEM_RESUME_GUEST) {
            CvTunerAction *r = &ledger->current;

            memset(r, 0, sizeof(*r));
            r->kind = CV_DECISION_PAUSE_GUEST;
            g_strlcpy(r->reason, "resume the guest we paused", sizeof(r->reason));
            cv_target_resume_guest(ledger->target, command_done_cb, ledger);
            return;
        }
        if (walk_one(ledger, e))
            return;
    }
    ledger->running = FALSE;
    ledger->done_func(ledger, NULL, ledger->user_data);
}

void
cv_restore_ledger_run(CvRestoreLedger *ledger, const CvParams *fresh, const GError *why,
                      CvRestoreLedgerEntryFunc entry_func, CvRestoreLedgerDoneFunc done_func,
                      gpointer user_data)
{
    g_return_if_fail(ledger != NULL && done_func != NULL && !ledger->running);
    ledger->entry_func = entry_func;
    ledger->done_func = done_func;
    ledger->user_data = user_data;
    ledger->have_fresh = fresh != NULL;
    if (fresh != NULL)
        ledger->fresh = *fresh;
    g_clear_error(&ledger->why);
    if (why != NULL)
        ledger->why = g_error_copy(why);
    ledger->running = TRUE;
    walk(ledger);
}

CvRestorePlan
cv_restore_plan_for(CvTunerOutcome outcome, gboolean keep)
{
    CvRestorePlan plan = {FALSE, FALSE, FALSE};

    switch (outcome) {
    case CV_TUNER_OUTCOME_FAILED:
    case CV_TUNER_OUTCOME_CANCELLED:
    case CV_TUNER_OUTCOME_ABORTED:
    case CV_TUNER_OUTCOME_ERROR:
    case CV_TUNER_OUTCOME_VANISHED:
        plan.params = plan.resume = TRUE;
        break;
    case CV_TUNER_OUTCOME_DETACHED:
        plan.params = !keep;
        plan.resume = TRUE;
        plan.kept = keep;
        break;
    case CV_TUNER_OUTCOME_COMPLETED:
    case CV_TUNER_OUTCOME_CAP_BROKEN:
    case CV_TUNER_OUTCOME_NO_MIGRATION:
    case CV_TUNER_OUTCOME_RUNNING:
    default:
        break;
    }
    return plan;
}
