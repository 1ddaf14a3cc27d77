/* A scripted CvTarget for the tuner's unit tests: the test sets the reading QEMU would give,
 * emits events, makes commands fail or the peer vanish, and reads back what was sent. Every
 * reply is delivered from the main context (an idle source), never from inside the call. */
#pragma once

#include <glib.h>

#include "cv-target.h"

G_BEGIN_DECLS

CvTarget *cv_target_fake_new(GMainContext *context);

/* What the next query-migrate returns (copied). */
void cv_target_fake_set_sample(CvTarget *target, const CvSample *sample);
/* The live sample the fake answers with; tests may edit it in place. */
CvSample *cv_target_fake_get_sample(CvTarget *target);
void cv_target_fake_set_params(CvTarget *target, const CvParams *params);
/* The parameters as the fake QEMU holds them (changed by the set commands). */
const CvParams *cv_target_fake_get_params(CvTarget *target);
void cv_target_fake_set_events(CvTarget *target, gboolean events);

/* Someone else (an operator's virsh, libvirt, another tool) sets a migration parameter
 * ("downtime-limit", "max-bandwidth", "avail-switchover-bandwidth") behind the tuner's back:
 * now, or just before the next parameter read is answered (a change that lands while the tuner
 * is about to act). Not in the log: the tuner did not send it. */
void cv_target_fake_change_param(CvTarget *target, const gchar *name, guint64 value);
void cv_target_fake_change_param_on_read(CvTarget *target, const gchar *name, guint64 value);

void cv_target_fake_emit_pass(CvTarget *target, guint64 pass);
void cv_target_fake_emit_status(CvTarget *target, CvMigrationStatus status);
/* QEMU goes away: a CLOSED event, and every later (and pending) command fails with CLOSED; a
 * new connection is refused (CONNECT). */
void cv_target_fake_vanish(CvTarget *target);
/* The connection closes but QEMU lives on: a CLOSED event; a new connection works. */
void cv_target_fake_drop_connection(CvTarget *target);
/* This connection stops answering: every command times out (TIMEOUT) until a new connection
 * is made (cv_target_close, then cv_target_connect). */
void cv_target_fake_hang(CvTarget *target);
/* New connections are refused (TRUE) or accepted again. */
void cv_target_fake_set_dead(CvTarget *target, gboolean dead);
/* Someone else sets a parameter right after the next @command ("set-downtime-limit", ...) was
 * applied, before its reply reaches the caller: a change that lands while ours is in flight. */
void cv_target_fake_change_param_after(CvTarget *target, const gchar *command, const gchar *name,
                                       guint64 value);
/* The guest is stopped: "stop" was applied and no "cont" since. */
gboolean cv_target_fake_is_paused(CvTarget *target);
/* The next @count commands named @command ("set-downtime-limit", "set-switchover-bandwidth",
 * "query-migrate", "cancel", ...) fail with @code. */
void cv_target_fake_fail(CvTarget *target, const gchar *command, guint count,
                         CvTargetErrorCode code);
/* The next @command takes effect in QEMU, but its reply is lost: it fails with TIMEOUT. */
void cv_target_fake_lose_reply(CvTarget *target, const gchar *command);
/* The next @command takes effect in QEMU, but its reply cannot be read (a garbage line in its
 * place): it fails with INVALID_REPLY. */
void cv_target_fake_garble_reply(CvTarget *target, const gchar *command);
/* Hold the reply of the next @command ("set-downtime-limit", ...) and every reply after it,
 * until called with NULL: the command is in flight, QEMU has not applied it yet. */
void cv_target_fake_hold_command(CvTarget *target, const gchar *command);
/* Hold replies (they stay in flight) until released. */
void cv_target_fake_hold(CvTarget *target, gboolean hold);

/* How many times @command was called. Parameter reads are "query-params" (parameters and
 * capabilities, at attach and on each new connection) and "refresh-params" (parameters only);
 * "close" counts cv_target_close(). */
guint cv_target_fake_count(CvTarget *target, const gchar *command);
/* Every call, in order, as "command" or "command VALUE". */
const GPtrArray *cv_target_fake_log(CvTarget *target);

G_END_DECLS
