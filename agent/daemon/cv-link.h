/* CvLink: admission to a link that several migrations leave the host on at once.
 *
 * Why: a policy that states the link's rate (switchover-bandwidth, or [daemon] link) predicts
 * each blackout as the stop-copy bytes over that rate, and sets downtime-limit (and, on QEMU
 * 8.2+, avail-switchover-bandwidth) from it. That holds for one migration. Two switching over
 * at the same time share the link, and each blackout is longer than predicted. So the daemon
 * lets one migration at a time make the change that lets QEMU switch over; the others keep
 * iterating with their limit held until it is done.
 *
 * The rule, pure (no clock: time arrives as arguments; no I/O):
 *   - A migration asks (cv_link_request) before each change that lets its QEMU switch over:
 *     raising downtime-limit, setting avail-switchover-bandwidth, starting post-copy, pausing
 *     the guest. Lowering a limit and aborting never ask: they never add to the link's load.
 *   - The link free: the oldest waiter still asking gets it (first come, first served; a
 *     migration that asked and then stopped asking for longer than CV_LINK_STALE_MS, because
 *     it converged on its own, yielded or ended, loses its place). Taken: everyone else waits.
 *   - The holder keeps the link while it asks again (a second raise after a stall) until its
 *     migration ends or stops competing (cv_link_release). A holder that has not finished
 *     within its lease (CV_LINK_LEASE_MS since it was granted) while others wait loses it:
 *     its limit did not make QEMU switch over, and others must not wait for ever; it goes
 *     to the back of the queue. Then two may overlap, which the daemon logs.
 *
 * What it cannot govern: a migration that switches over without a change of ours (its own
 * limit was enough) still shares the link with the holder's blackout, and the precopy streams
 * of the migrations that wait share it too (each bounded by its max-bandwidth). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A holder that has not finished within this long, while others wait, loses the link. */
#define CV_LINK_LEASE_MS (60 * 1000)
/* A waiter that has not asked for this long loses its place. */
#define CV_LINK_STALE_MS (30 * 1000)

typedef enum {
    CV_LINK_GRANTED = 0, /* go: this migration holds the link now */
    CV_LINK_HELD,        /* wait: another migration holds the link (or is ahead in line) */
} CvLinkVerdict;

typedef struct _CvLink CvLink;

/* @rate: the link's rate in bytes/s, for whoever shows it (the rule does not use it). */
CvLink *cv_link_new(guint64 rate);
void cv_link_free(CvLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvLink, cv_link_free)

guint64 cv_link_get_rate(const CvLink *link);
void cv_link_set_rate(CvLink *link, guint64 rate);

/* @id (a migration id) asks at @now_ms to make a change that lets it switch over. When the
 * holder's lease ran out in this call (it lost the link), *@expired (may be NULL) gets its id
 * (owned by the link until the next call), else NULL. */
CvLinkVerdict cv_link_request(CvLink *link, const gchar *id, gint64 now_ms, const gchar **expired);
/* @id no longer needs the link (its migration ended, yielded, or left). Its place in line, or
 * the link itself, is free; the next waiter takes it when it asks again. */
void cv_link_release(CvLink *link, const gchar *id);

/* The holder's id; NULL when free. */
const gchar *cv_link_get_holder(const CvLink *link);
/* 0: @id holds the link; 1, 2, ...: its place in line; -1: it is not in line. */
gint cv_link_get_position(const CvLink *link, const gchar *id);
/* Migrations waiting in line. */
guint cv_link_get_n_waiting(const CvLink *link);

G_END_DECLS
