/* The daemon's logging: GLib structured logging, so that under systemd every record reaches
 * the journal with fields an operator filters on:
 *
 *   journalctl -u virt-converged DOMAIN=vm1
 *   journalctl -u virt-converged MIGRATION_ID=0b1c...  DECISION=set-downtime-limit
 *   journalctl -u virt-converged MESSAGE_ID=<CV_LOG_ID_DECISION>
 *
 * DOMAIN, MIGRATION_ID, URI, POLICY on every record about a migration; DECISION, VALUE,
 * RESULT, REASON on decisions; PARAMETER on outside changes and restores; MESSAGE_ID names the
 * kind of record (the ids below, documented in virt-converged(8)). The tuner glue calls
 * cv_log_migration(); everything else logs with g_message()/g_warning() as usual.
 *
 * The writer (cv_log_install_writer) applies [daemon] log-level and --verbose, sends records
 * to the journal when stderr is connected to it, and otherwise writes one readable line per
 * record to stderr (with the filter fields, so a --foreground run shows them too). */
#pragma once

#include <glib.h>

#include "cv-config.h"

G_BEGIN_DECLS

/* MESSAGE_ID per kind of record (128-bit, as journald wants). */
#define CV_LOG_ID_DECISION "df7c358a159142fdb8f7e20b4949901a"
#define CV_LOG_ID_OUTCOME "d71485e4465a437e80728b4d39066a23"
#define CV_LOG_ID_OUTSIDE_CHANGE "29df4f3dec214bb089dfc14890c23e81"
#define CV_LOG_ID_RESTORE "8cb83506ca8e4973b69df1058a57bef5"
#define CV_LOG_ID_ATTACH "04126676374842448392b19200aa8da2"
#define CV_LOG_ID_RECOVERED "18b2bcde354f45b2a7213bff8fcb8215"
#define CV_LOG_ID_RELOAD "e639f6d821ad4eec8154f8998e708e93"
#define CV_LOG_ID_STATE_PROBLEM "464c7b633c01478d8c6b6025a6680323"
#define CV_LOG_ID_LIFECYCLE "1a2f5e3deaf94ddb9a48cd27e269c178"

/* Who a record is about; NULL members are left out. */
typedef struct {
    const gchar *domain;
    const gchar *migration_id;
    const gchar *uri;
    const gchar *policy;
} CvLogContext;

/* What was decided; NULL members are left out. */
typedef struct {
    const gchar *decision;  /* "set-downtime-limit", ... */
    const gchar *value;     /* "1900" (with the unit in UNIT) */
    const gchar *unit;      /* "ms", "bytes/s" */
    const gchar *result;    /* "applied", "refused", ... */
    const gchar *reason;    /* the engine's one line */
    const gchar *parameter; /* "downtime-limit", for restores and outside changes */
} CvLogDetails;

/* One structured record at @level, MESSAGE formatted from @format. @message_id, @context and
 * @details may be NULL. */
void cv_log_migration(GLogLevelFlags level, const gchar *message_id, const CvLogContext *context,
                      const CvLogDetails *details, const gchar *format, ...) G_GNUC_PRINTF(5, 6);

/* Does a record of @level pass [daemon] log-level = @threshold, with --verbose? */
gboolean cv_log_level_enabled(CvConfigLogLevel threshold, gboolean verbose, GLogLevelFlags level);

/* The stderr line of a record (without newline): "LEVEL: MESSAGE [DOMAIN=.. MIGRATION_ID=..]".
 * @timestamp: prefix the local time ("12:00:01.234 "). */
gchar *cv_log_format_line(const GLogField *fields, gsize n_fields, GLogLevelFlags level,
                          gboolean timestamp);

/* Install the daemon's writer (once per process). @foreground: always stderr, with time stamps,
 * even when stderr is the journal. */
void cv_log_install_writer(gboolean foreground, gboolean verbose);
/* [daemon] log-level, at start and after each reload. */
void cv_log_set_threshold(CvConfigLogLevel threshold);

G_END_DECLS
