/* CvRestoreLedger: what the tuner changed, and how each change is undone when a migration
 * fails, is cancelled or is given up.
 *
 * "Never leave a parameter changed" is about what we changed: a value someone else set after
 * us is theirs and stays, and so does a value we could not re-read (restoring it from an old
 * belief could lower a limit an operator raised meanwhile). cv_restore_decide() is the pure
 * rule; the ledger walks its entries one after the other through the target, a failure is
 * reported and the next one still runs. */
#pragma once

#include <glib.h>

#include "cv-sample.h"
#include "cv-target.h"
#include "cv-tuner.h"

G_BEGIN_DECLS

typedef enum {
    CV_RESTORE_UNDO = 0,    /* QEMU still holds our value: set the original back */
    CV_RESTORE_SKIP,        /* already at the original (our change did not take, or it was
                               put back): nothing to do, nothing to report */
    CV_RESTORE_LEFT_ALONE,  /* someone else set it after us: their value stays */
    CV_RESTORE_UNVERIFIED,  /* it could not be re-read: left, whoever set it */
    CV_RESTORE_NO_ORIGINAL, /* the value before our first change is unknown */
} CvRestoreVerdict;

const gchar *cv_restore_verdict_to_string(CvRestoreVerdict verdict);

/* @original: the value before our first change; @ours: the last value QEMU accepted from us
 * (ABSENT: none took, or a reply was lost); @fresh: what QEMU holds now, NULL when it could not
 * be re-read. A fresh reading that is not valid (garbage) verifies nothing. */
CvRestoreVerdict cv_restore_decide(const CvU64Field *original, const CvU64Field *ours,
                                   const CvU64Field *fresh);

/* What a session undoes when it ends. */
typedef struct {
    gboolean params; /* the parameters we changed go back */
    gboolean resume; /* a guest we paused runs again */
    gboolean kept;   /* the parameters stay because the caller asked (--keep) */
} CvRestorePlan;

/* The plan for a session that ended with @outcome: a migration that failed, was cancelled or
 * aborted, or that we lost or gave up on gets both back; one we stopped watching gets both
 * unless @keep, which is about the parameters only (a guest we paused runs again all the
 * same); a completed migration, or none, has nothing to undo. */
CvRestorePlan cv_restore_plan_for(CvTunerOutcome outcome, gboolean keep);

typedef enum {
    CV_RESTORE_ITEM_DOWNTIME_LIMIT = 0,
    CV_RESTORE_ITEM_SWITCHOVER_BANDWIDTH,
    CV_RESTORE_ITEM_RESUME_GUEST, /* the guest we paused runs again */
} CvRestoreItem;

typedef struct _CvRestoreLedger CvRestoreLedger;

/* One entry settled: restored (APPLIED), FAILED, REFUSED (no original), LEFT_ALONE or
 * LEFT_ALONE_UNVERIFIED. @entry->time_ms is 0: the caller stamps it. Not called for SKIP. */
typedef void (*CvRestoreLedgerEntryFunc)(CvRestoreLedger *ledger, CvTunerAction *entry,
                                         gpointer user_data);
/* The walk is over (@error NULL), or stopped at an entry whose command timed out or whose
 * connection closed (@error set): the caller reconnects and calls cv_restore_ledger_run()
 * again, which resumes at that entry with the new reading. */
typedef void (*CvRestoreLedgerDoneFunc)(CvRestoreLedger *ledger, const GError *error,
                                        gpointer user_data);

/* @target is borrowed and must outlive the ledger. */
CvRestoreLedger *cv_restore_ledger_new(CvTarget *target);
void cv_restore_ledger_free(CvRestoreLedger *ledger);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvRestoreLedger, cv_restore_ledger_free)

/* Parameters: @original and @ours as for cv_restore_decide(); @believed is what the tuner
 * last knew QEMU to hold (named when the entry is left unverified). RESUME_GUEST takes none. */
void cv_restore_ledger_add(CvRestoreLedger *ledger, CvRestoreItem item, const CvU64Field *original,
                           const CvU64Field *ours, const CvU64Field *believed);
guint cv_restore_ledger_get_n(const CvRestoreLedger *ledger);
/* Does an entry need the parameters re-read first? */
gboolean cv_restore_ledger_needs_params(const CvRestoreLedger *ledger);

/* Walk the entries not yet settled. @fresh: the parameters just re-read, NULL when that
 * failed (@why says why; every parameter entry is then left unverified). */
void cv_restore_ledger_run(CvRestoreLedger *ledger, const CvParams *fresh, const GError *why,
                           CvRestoreLedgerEntryFunc entry_func, CvRestoreLedgerDoneFunc done_func,
                           gpointer user_data);
gboolean cv_restore_ledger_is_running(const CvRestoreLedger *ledger);
/* Drop the walk's callbacks (a command in flight completes unheard); run() resumes it. */
void cv_restore_ledger_stop(CvRestoreLedger *ledger);

G_END_DECLS
