/* The crash-safe record of one tuned migration: what the daemon found before its first change
 * (the original parameters), which policy it tunes with, and every value it has set since.
 * Written before the first change and after each one, removed when the migration ends. After
 * a restart it says, per parameter, what to restore and which values are the daemon's own:
 * a current value that is neither the original nor one of ours was set by someone else and is
 * left alone.
 *
 * The file is one line of JSON that `jq` reads, ending in a SHA-256 of everything before it:
 *   {"format":"virt-converge-migration","version":1,"migration-id":"...",...,"sha256":"..."}
 * Parsing is strict: a record that is truncated, altered, oversized, mistyped, has members it
 * should not or values out of range is refused with a message naming what is wrong. This
 * module is pure (no file I/O): cv-state-store.h reads and writes the files. */
#pragma once

#include <glib.h>

#include "cv-sample.h"
#include "cv-state-error.h"

G_BEGIN_DECLS

#define CV_STATE_RECORD_FORMAT "virt-converge-migration"
#define CV_STATE_RECORD_VERSION 1
/* A valid record is about 1 KiB; anything above this is not one of ours. */
#define CV_STATE_RECORD_MAX_SIZE (64 * 1024)
/* Values of one parameter the daemon set during one migration; older ones are dropped (the
 * engine changes a parameter a handful of times, never this many). */
#define CV_STATE_RECORD_MAX_OURS 32
/* Longest URI, domain name, policy name accepted. */
#define CV_STATE_RECORD_MAX_STRING 1024

typedef enum {
    CV_STATE_PARAM_DOWNTIME_LIMIT = 0,         /* ms */
    CV_STATE_PARAM_MAX_BANDWIDTH,              /* bytes/s */
    CV_STATE_PARAM_AVAIL_SWITCHOVER_BANDWIDTH, /* bytes/s */
    CV_STATE_N_PARAMS,                         /* not a parameter */
} CvStateParamId;

/* "downtime-limit", "max-bandwidth", "avail-switchover-bandwidth"; NULL otherwise. */
const gchar *cv_state_param_to_string(CvStateParamId id);

typedef struct {
    /* As found before the first change. ABSENT: this QEMU does not have the parameter, or it
     * could not be read (then nothing of it is ever restored). Never INVALID in a record. */
    CvU64Field original;
    guint64 ours[CV_STATE_RECORD_MAX_OURS]; /* values the daemon set, oldest first */
    guint n_ours;
} CvStateParam;

typedef struct {
    gchar *migration_id;  /* a UUID, also the file name (ID.json) */
    gchar *uri;           /* the libvirt URI (or "qmp:PATH") the migration was found through */
    gchar *domain;        /* the domain's name */
    gchar *domain_uuid;   /* NULL when unknown */
    gchar *policy;        /* the policy's name */
    gchar *policy_sha256; /* of its full text (cv_config_policy_to_string); NULL unknown */
    gchar *boot_id;       /* the host's boot id when written; NULL unknown */
    guint32 daemon_pid;   /* the daemon that wrote it */
    gint64 created_us;    /* wall clock, µs since the epoch: first written */
    gint64 updated_us;    /* wall clock: last written; >= created_us */
    CvStateParam params[CV_STATE_N_PARAMS];
} CvStateRecord;

CvStateRecord *cv_state_record_new(void);
CvStateRecord *cv_state_record_copy(const CvStateRecord *record);
void cv_state_record_free(CvStateRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvStateRecord, cv_state_record_free)

/* Remember that the daemon set @id to @value (the oldest value is dropped when full). */
void cv_state_record_add_ours(CvStateRecord *record, CvStateParamId id, guint64 value);
/* Did the daemon ever set @id to @value in this migration? */
gboolean cv_state_record_is_ours(const CvStateRecord *record, CvStateParamId id, guint64 value);

/* The file's text, checksum and final newline included. Fails (CV_STATE_ERROR_INVALID) on a
 * record that could not be read back: a missing or malformed id, uri, domain or policy, a
 * value above G_MAXINT64 (JSON readers stop there), updated before created. */
gchar *cv_state_record_serialize(const CvStateRecord *record, gsize *len, GError **error);

/* Parse and validate @len bytes of @data (need not be NUL-terminated). @expected_id: the id
 * the file name promises (NULL: any). Errors: CV_STATE_ERROR_TOO_LARGE, _TRUNCATED (ends
 * before its checksum), _CORRUPT (checksum, syntax, member missing, mistyped or unknown),
 * _VERSION (another format version: a newer daemon wrote it), _INVALID (a value out of range
 * or inconsistent, an id that does not match the file name). The message says which member. */
CvStateRecord *cv_state_record_parse(const gchar *data, gsize len, const gchar *expected_id,
                                     GError **error);

G_END_DECLS
