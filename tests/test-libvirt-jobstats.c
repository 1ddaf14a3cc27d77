/* The job-statistics mapping, as tables: the real libvirt 9.0 replies (an active and a
 * completed outgoing migration of the e2e guest, `virsh domjobinfo --rawstats`), then every
 * field of the active one missing, zero and absurd, one GTest path per row. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cv-libvirt-jobstats.h"

typedef struct {
    gint type;
    virTypedParameterPtr params;
    gint nparams;
    gint maxparams;
} Stats;

static void
stats_clear(Stats *s)
{
    virTypedParamsFree(s->params, s->nparams);
    memset(s, 0, sizeof(*s));
}

/* The keys libvirt sends as other types than unsigned long long (qemu_domainjob.c). */
static void
stats_add(Stats *s, const gchar *key, const gchar *value)
{
    if (g_str_equal(key, "operation") || g_str_equal(key, "auto_converge_throttle"))
        g_assert_cmpint(virTypedParamsAddInt(&s->params, &s->nparams, &s->maxparams, key,
                                             (gint)g_ascii_strtoll(value, NULL, 10)),
                        ==, 0);
    else if (g_str_equal(key, "success"))
        g_assert_cmpint(virTypedParamsAddBoolean(&s->params, &s->nparams, &s->maxparams, key,
                                                 g_str_equal(value, "1")),
                        ==, 0);
    else if (g_str_equal(key, "errmsg"))
        g_assert_cmpint(virTypedParamsAddString(&s->params, &s->nparams, &s->maxparams, key, value),
                        ==, 0);
    else
        g_assert_cmpint(virTypedParamsAddULLong(&s->params, &s->nparams, &s->maxparams, key,
                                                g_ascii_strtoull(value, NULL, 10)),
                        ==, 0);
}

/* "Job type: N" then "key: value" lines, as `virsh domjobinfo --rawstats` prints them. */
static void
stats_load(Stats *s, const gchar *file, const gchar *skip_key)
{
    g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "data", "libvirt", file, NULL);
    g_autofree gchar *text = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    memset(s, 0, sizeof(*s));
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) kv = g_strsplit(lines[i], ": ", 2);

        if (kv[0] == NULL || kv[1] == NULL)
            continue;
        if (g_str_equal(kv[0], "Job type"))
            s->type = (gint)g_ascii_strtoll(kv[1], NULL, 10);
        else if (g_strcmp0(kv[0], skip_key) != 0)
            stats_add(s, kv[0], kv[1]);
    }
    g_assert_cmpint(s->nparams, >, 10);
}

/* Replace (or add) one parameter with a value of any type. */
static void
stats_set(Stats *s, const gchar *key, gint type, guint64 u, gint64 l, const gchar *str)
{
    for (gint i = 0; i < s->nparams; i++) {
        if (g_str_equal(s->params[i].field, key)) {
            if (s->params[i].type == VIR_TYPED_PARAM_STRING)
                free(s->params[i].value.s);
            /* cut it out; it is added below with the wanted type */
            memmove(&s->params[i], &s->params[i + 1],
                    (gsize)(s->nparams - i - 1) * sizeof(s->params[0]));
            s->nparams--;
            break;
        }
    }
    switch (type) {
    case VIR_TYPED_PARAM_ULLONG:
        virTypedParamsAddULLong(&s->params, &s->nparams, &s->maxparams, key, u);
        break;
    case VIR_TYPED_PARAM_LLONG:
        virTypedParamsAddLLong(&s->params, &s->nparams, &s->maxparams, key, l);
        break;
    case VIR_TYPED_PARAM_STRING:
        virTypedParamsAddString(&s->params, &s->nparams, &s->maxparams, key, str);
        break;
    case VIR_TYPED_PARAM_DOUBLE:
        virTypedParamsAddDouble(&s->params, &s->nparams, &s->maxparams, key, (gdouble)u);
        break;
    case VIR_TYPED_PARAM_INT:
        virTypedParamsAddInt(&s->params, &s->nparams, &s->maxparams, key, (gint)l);
        break;
    default:
        g_assert_not_reached();
    }
}

#define ACTIVE "libvirt-9.0-domjobinfo-active-rawstats.txt"
#define COMPLETED "libvirt-9.0-domjobinfo-completed-rawstats.txt"

static void
test_real_active(void)
{
    Stats st;
    CvSample s;

    stats_load(&st, ACTIVE, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING,
                                   VIR_DOMAIN_RUNNING_BOOTED, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_VALID);
    g_assert_cmpuint(s.ram_remaining.value, ==, 47009792);
    g_assert_cmpuint(s.expected_downtime_ms.value, ==, 999);
    g_assert_cmpint(s.downtime_ms.state, ==, CV_FIELD_ABSENT);
    g_assert_cmpuint(s.ram_dirty_sync_count.value, ==, 5);
    g_assert_cmpuint(s.ram_dirty_pages_rate.value, ==, 16362);
    g_assert_cmpuint(s.ram_page_size.value, ==, 4096);
    g_assert_cmpuint(s.total_time_ms.value, ==, 3909);
    g_assert_cmpuint(s.setup_time_ms.value, ==, 1);
    g_assert_cmpuint(s.ram_total.value, ==, 268828672);
    g_assert_cmpuint(s.ram_transferred.value, ==, 248422680);
    /* memory_bps is bytes/s: 67141619 B/s = 537.13 Mbit/s, QEMU's mbps in the same reply */
    g_assert_cmpint(s.ram_mbps.state, ==, CV_FIELD_VALID);
    g_assert_cmpfloat_with_epsilon(s.ram_mbps.value, 537.132952, 1e-6);
    /* libvirt never passes QEMU's system-wide remaining nor a VFIO figure (9.0) */
    g_assert_cmpint(s.remaining.state, ==, CV_FIELD_ABSENT);
    g_assert_cmpint(s.vfio_transferred.state, ==, CV_FIELD_ABSENT);
    g_assert_false(cv_sample_has_vfio(&s));
    stats_clear(&st);
}

static void
test_real_completed(void)
{
    Stats st;
    CvSample s;

    stats_load(&st, COMPLETED, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, CV_LIBVIRT_STATE_UNKNOWN,
                                   CV_LIBVIRT_STATE_UNKNOWN, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_COMPLETED);
    /* the same key is the real downtime once the job is over */
    g_assert_cmpint(s.downtime_ms.state, ==, CV_FIELD_VALID);
    g_assert_cmpuint(s.downtime_ms.value, ==, 33);
    g_assert_cmpint(s.expected_downtime_ms.state, ==, CV_FIELD_ABSENT);
    g_assert_cmpuint(s.total_time_ms.value, ==, 4040);
    g_assert_cmpuint(s.ram_remaining.value, ==, 0);
    g_assert_cmpuint(s.ram_dirty_sync_count.value, ==, 7);
    stats_clear(&st);
}

/* ---- every field of the active reply missing ------------------------------------------- */

typedef struct {
    const gchar *key;
    gsize offset; /* the CvU64Field it maps to; 0 = none checked */
} FieldRow;

#define F(name) G_STRUCT_OFFSET(CvSample, name)

static const FieldRow field_rows[] = {
    {"time_elapsed", F(total_time_ms)},
    {"downtime", F(expected_downtime_ms)},
    {"setup_time", F(setup_time_ms)},
    {"memory_total", F(ram_total)},
    {"memory_processed", F(ram_transferred)},
    {"memory_constant", F(ram_duplicate)},
    {"memory_normal", F(ram_normal)},
    {"memory_normal_bytes", F(ram_normal_bytes)},
    {"memory_dirty_rate", F(ram_dirty_pages_rate)},
    {"memory_iteration", F(ram_dirty_sync_count)},
    {"memory_page_size", F(ram_page_size)},
    /* no counterpart in CvSample: their absence changes nothing */
    {"data_total", 0},
    {"data_processed", 0},
    {"memory_postcopy_requests", 0},
    {"disk_total", 0},
    {"disk_processed", 0},
    {"disk_remaining", 0},
};

static CvU64Field *
field_at(CvSample *s, gsize offset)
{
    return (CvU64Field *)(gpointer)((guint8 *)s + offset);
}

/* Field by field: struct padding is not part of a sample. */
static void
assert_same_sample(CvSample *a, CvSample *b)
{
    static const gsize fields[] = {
        F(total_time_ms),      F(setup_time_ms),           F(expected_downtime_ms),
        F(downtime_ms),        F(ram_transferred),         F(ram_remaining),
        F(ram_total),          F(ram_duplicate),           F(ram_normal),
        F(ram_normal_bytes),   F(ram_dirty_pages_rate),    F(ram_dirty_sync_count),
        F(ram_page_size),      F(ram_pages_per_second),    F(ram_precopy_bytes),
        F(ram_downtime_bytes), F(ram_postcopy_bytes),      F(remaining),
        F(vfio_transferred),   F(cpu_throttle_percentage),
    };

    g_assert_cmpint(a->status, ==, b->status);
    g_assert_cmpint(a->ram_mbps.state, ==, b->ram_mbps.state);
    g_assert_cmpfloat(a->ram_mbps.value, ==, b->ram_mbps.value);
    g_assert_cmpstr(a->error_desc, ==, b->error_desc);
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        g_assert_cmpint(field_at(a, fields[i])->state, ==, field_at(b, fields[i])->state);
        g_assert_cmpuint(field_at(a, fields[i])->value, ==, field_at(b, fields[i])->value);
    }
}

static void
test_missing(gconstpointer data)
{
    const FieldRow *row = data;
    Stats st;
    CvSample s, full;

    stats_load(&st, ACTIVE, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &full);
    stats_clear(&st);
    stats_load(&st, ACTIVE, row->key);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    if (row->offset != 0) {
        g_assert_cmpint(field_at(&s, row->offset)->state, ==, CV_FIELD_ABSENT);
        /* the rest is untouched */
        field_at(&s, row->offset)->state = CV_FIELD_VALID;
        field_at(&s, row->offset)->value = field_at(&full, row->offset)->value;
    }
    /* memory_total missing: libvirt has no RAM figures yet, which is the setup */
    if (g_str_equal(row->key, "memory_total")) {
        g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_SETUP);
        s.status = full.status;
        /* and a missing memory_bps no longer means 0 */
        s.ram_mbps = full.ram_mbps;
    }
    assert_same_sample(&s, &full);
    stats_clear(&st);
}

static void
test_missing_remaining(void)
{
    Stats st;
    CvSample s;

    /* without memory_remaining, data_remaining less the disks' share */
    stats_load(&st, ACTIVE, "memory_remaining");
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_VALID);
    g_assert_cmpuint(s.ram_remaining.value, ==, 47009792);
    stats_set(&st, "disk_remaining", VIR_TYPED_PARAM_ULLONG, 9792, 0, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpuint(s.ram_remaining.value, ==, 47000000);
    /* more disk than data left: garbage */
    stats_set(&st, "disk_remaining", VIR_TYPED_PARAM_ULLONG, 47009793, 0, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_INVALID);
    stats_clear(&st);
    /* neither: unknown */
    stats_load(&st, ACTIVE, "memory_remaining");
    stats_set(&st, "data_remaining", VIR_TYPED_PARAM_STRING, 0, 0, "x");
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_INVALID);
    stats_clear(&st);
}

/* Found by fuzz-jobstats: more RAM left than the guest has, read directly or through the
 * data_remaining fallback. One of the two figures is wrong; remaining, which drives the
 * engine, is not trusted (as in the QMP parser). */
static void
test_remaining_above_total(void)
{
    Stats st;
    CvSample s;

    stats_load(&st, ACTIVE, NULL);
    stats_set(&st, "memory_remaining", VIR_TYPED_PARAM_ULLONG, 268828673, 0, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_INVALID);
    g_assert_cmpint(s.ram_total.state, ==, CV_FIELD_VALID);
    /* equal is possible (nothing sent yet) */
    stats_set(&st, "memory_remaining", VIR_TYPED_PARAM_ULLONG, 268828672, 0, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_VALID);
    g_assert_cmpuint(s.ram_remaining.value, ==, 268828672);
    stats_clear(&st);

    stats_load(&st, ACTIVE, "memory_remaining");
    stats_set(&st, "data_remaining", VIR_TYPED_PARAM_ULLONG, 268828673, 0, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_INVALID);
    stats_clear(&st);
}

static void
test_missing_bps(void)
{
    Stats st;
    CvSample s;

    /* libvirt leaves memory_bps out when QEMU's mbps is 0 */
    stats_load(&st, ACTIVE, "memory_bps");
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_mbps.state, ==, CV_FIELD_VALID);
    g_assert_cmpfloat(s.ram_mbps.value, ==, 0.0);
    g_assert_false(cv_sample_throughput(&s, NULL));
    stats_clear(&st);
}

static void
test_empty(void)
{
    CvSample s;

    /* an outgoing migration job with no statistics at all: setup, every field ABSENT */
    cv_libvirt_job_stats_to_sample(VIR_DOMAIN_JOB_UNBOUNDED, NULL, 0, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_SETUP);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_ABSENT);
    g_assert_cmpint(s.ram_mbps.state, ==, CV_FIELD_ABSENT);
    g_assert_cmpint(s.expected_downtime_ms.state, ==, CV_FIELD_ABSENT);
    /* no job */
    cv_libvirt_job_stats_to_sample(VIR_DOMAIN_JOB_NONE, NULL, 0, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_NONE);
    /* a job type this build does not know */
    cv_libvirt_job_stats_to_sample(99, NULL, 0, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_UNKNOWN);
    /* a negative count is no count */
    cv_libvirt_job_stats_to_sample(VIR_DOMAIN_JOB_UNBOUNDED, NULL, -5, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_SETUP);
}

static void
test_zero(void)
{
    Stats st;
    CvSample s;
    const gchar *keys[] = {"time_elapsed",     "downtime",   "memory_total",
                           "memory_remaining", "memory_bps", "memory_iteration",
                           "memory_dirty_rate"};

    stats_load(&st, ACTIVE, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        stats_set(&st, keys[i], VIR_TYPED_PARAM_ULLONG, 0, 0, NULL);
    stats_set(&st, "memory_page_size", VIR_TYPED_PARAM_ULLONG, 0, 0, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    /* zero RAM in total: libvirt has not seen QEMU's figures yet */
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_SETUP);
    g_assert_cmpint(s.ram_remaining.state, ==, CV_FIELD_VALID);
    g_assert_cmpuint(s.ram_remaining.value, ==, 0);
    g_assert_cmpint(s.expected_downtime_ms.state, ==, CV_FIELD_VALID);
    g_assert_cmpuint(s.ram_dirty_sync_count.value, ==, 0);
    g_assert_cmpfloat(s.ram_mbps.value, ==, 0.0);
    /* a page size of 0 is not a page size (the dirty rate then assumes 4 KiB pages) */
    g_assert_cmpint(s.ram_page_size.state, ==, CV_FIELD_INVALID);
    {
        guint64 rate = 1;

        g_assert_true(cv_sample_dirty_rate(&s, &rate));
        g_assert_cmpuint(rate, ==, 0);
    }
    stats_clear(&st);
}

/* ---- absurd values: one row each -------------------------------------------------------- */

typedef struct {
    const gchar *name;
    const gchar *key;
    gint type;
    guint64 u;
    gint64 l;
    const gchar *str;
    gsize offset;
} AbsurdRow;

static const AbsurdRow absurd_rows[] = {
    {"remaining-above-1EiB", "memory_remaining", VIR_TYPED_PARAM_ULLONG,
     (G_GUINT64_CONSTANT(1) << 60) + 1, 0, NULL, F(ram_remaining)},
    {"remaining-2^64-1", "memory_remaining", VIR_TYPED_PARAM_ULLONG, G_MAXUINT64, 0, NULL,
     F(ram_remaining)},
    {"remaining-negative", "memory_remaining", VIR_TYPED_PARAM_LLONG, 0, -1, NULL,
     F(ram_remaining)},
    {"remaining-string", "memory_remaining", VIR_TYPED_PARAM_STRING, 0, 0, "47009792",
     F(ram_remaining)},
    {"remaining-double", "memory_remaining", VIR_TYPED_PARAM_DOUBLE, 5, 0, NULL, F(ram_remaining)},
    {"expected-downtime-above-qemu-range", "downtime", VIR_TYPED_PARAM_ULLONG, 2000001, 0, NULL,
     F(expected_downtime_ms)},
    {"iteration-above-32-bits", "memory_iteration", VIR_TYPED_PARAM_ULLONG,
     G_GUINT64_CONSTANT(1) << 32, 0, NULL, F(ram_dirty_sync_count)},
    {"iteration-negative-int", "memory_iteration", VIR_TYPED_PARAM_INT, 0, -3, NULL,
     F(ram_dirty_sync_count)},
    {"page-size-not-power-of-two", "memory_page_size", VIR_TYPED_PARAM_ULLONG, 4000, 0, NULL,
     F(ram_page_size)},
    {"page-size-above-1GiB", "memory_page_size", VIR_TYPED_PARAM_ULLONG,
     G_GUINT64_CONSTANT(1) << 31, 0, NULL, F(ram_page_size)},
    {"dirty-rate-overflowing-bytes", "memory_dirty_rate", VIR_TYPED_PARAM_ULLONG,
     G_GUINT64_CONSTANT(1) << 50, 0, NULL, F(ram_dirty_pages_rate)},
    {"elapsed-above-a-year", "time_elapsed", VIR_TYPED_PARAM_ULLONG,
     G_GUINT64_CONSTANT(366) * 24 * 3600 * 1000, 0, NULL, F(total_time_ms)},
    {"total-string", "memory_total", VIR_TYPED_PARAM_STRING, 0, 0, "lots", F(ram_total)},
};

static void
test_absurd(gconstpointer data)
{
    const AbsurdRow *row = data;
    Stats st;
    CvSample s;

    stats_load(&st, ACTIVE, NULL);
    stats_set(&st, row->key, row->type, row->u, row->l, row->str);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(field_at(&s, row->offset)->state, ==, CV_FIELD_INVALID);
    /* garbage is never a value the engine could use */
    g_assert_cmpuint(field_at(&s, row->offset)->value, ==, 0);
    stats_clear(&st);
}

static void
test_bps_absurd(void)
{
    Stats st;
    CvSample s;

    stats_load(&st, ACTIVE, NULL);
    stats_set(&st, "memory_bps", VIR_TYPED_PARAM_ULLONG, G_MAXUINT64, 0, NULL);
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.ram_mbps.state, ==, CV_FIELD_INVALID);
    g_assert_false(cv_sample_throughput(&s, NULL));
    stats_clear(&st);
}

/* ---- status ------------------------------------------------------------------------------ */

typedef struct {
    const gchar *name;
    gint type;
    gint operation; /* -1: leave the sample's */
    gint state;
    gint reason;
    gint success; /* -1: absent */
    const gchar *errmsg;
    CvMigrationStatus expect;
} StatusRow;

static const StatusRow status_rows[] = {
    {"running", VIR_DOMAIN_JOB_UNBOUNDED, -1, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED, -1,
     NULL, CV_MIGRATION_STATUS_ACTIVE},
    {"state-unknown", VIR_DOMAIN_JOB_UNBOUNDED, -1, CV_LIBVIRT_STATE_UNKNOWN,
     CV_LIBVIRT_STATE_UNKNOWN, -1, NULL, CV_MIGRATION_STATUS_ACTIVE},
    {"paused-by-someone", VIR_DOMAIN_JOB_UNBOUNDED, -1, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER,
     -1, NULL, CV_MIGRATION_STATUS_ACTIVE},
    {"paused-for-switchover", VIR_DOMAIN_JOB_UNBOUNDED, -1, VIR_DOMAIN_PAUSED,
     VIR_DOMAIN_PAUSED_MIGRATION, -1, NULL, CV_MIGRATION_STATUS_DEVICE},
    {"postcopy", VIR_DOMAIN_JOB_UNBOUNDED, -1, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_POSTCOPY, -1,
     NULL, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE},
    {"postcopy-running", VIR_DOMAIN_JOB_UNBOUNDED, -1, VIR_DOMAIN_RUNNING,
     VIR_DOMAIN_RUNNING_POSTCOPY, -1, NULL, CV_MIGRATION_STATUS_POSTCOPY_ACTIVE},
    {"postcopy-failed", VIR_DOMAIN_JOB_UNBOUNDED, -1, VIR_DOMAIN_PAUSED,
     VIR_DOMAIN_PAUSED_POSTCOPY_FAILED, -1, NULL, CV_MIGRATION_STATUS_POSTCOPY_PAUSED},
    {"incoming-is-not-ours", VIR_DOMAIN_JOB_UNBOUNDED, VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN,
     VIR_DOMAIN_RUNNING, 0, -1, NULL, CV_MIGRATION_STATUS_NONE},
    {"save-is-not-ours", VIR_DOMAIN_JOB_UNBOUNDED, VIR_DOMAIN_JOB_OPERATION_SAVE,
     VIR_DOMAIN_RUNNING, 0, -1, NULL, CV_MIGRATION_STATUS_NONE},
    {"completed-success", VIR_DOMAIN_JOB_COMPLETED, -1, CV_LIBVIRT_STATE_UNKNOWN, 0, 1, NULL,
     CV_MIGRATION_STATUS_COMPLETED},
    {"completed-not-success", VIR_DOMAIN_JOB_COMPLETED, -1, CV_LIBVIRT_STATE_UNKNOWN, 0, 0, NULL,
     CV_MIGRATION_STATUS_FAILED},
    {"failed", VIR_DOMAIN_JOB_FAILED, -1, VIR_DOMAIN_RUNNING, 0, -1,
     "operation failed: migration out job: unexpectedly failed", CV_MIGRATION_STATUS_FAILED},
    {"cancelled", VIR_DOMAIN_JOB_CANCELLED, -1, VIR_DOMAIN_RUNNING, 0, -1, NULL,
     CV_MIGRATION_STATUS_CANCELLED},
};

static void
test_status(gconstpointer data)
{
    const StatusRow *row = data;
    Stats st;
    CvSample s;

    stats_load(&st, ACTIVE, NULL);
    if (row->operation >= 0)
        stats_set(&st, "operation", VIR_TYPED_PARAM_INT, 0, row->operation, NULL);
    if (row->success >= 0)
        virTypedParamsAddBoolean(&st.params, &st.nparams, &st.maxparams, "success", row->success);
    if (row->errmsg != NULL)
        virTypedParamsAddString(&st.params, &st.nparams, &st.maxparams, "errmsg", row->errmsg);
    cv_libvirt_job_stats_to_sample(row->type, st.params, st.nparams, row->state, row->reason, &s);
    g_assert_cmpint(s.status, ==, row->expect);
    if (row->errmsg != NULL)
        g_assert_cmpstr(s.error_desc, ==, row->errmsg);
    /* finished: `downtime` is the real one; running: the expected one */
    if (cv_migration_status_is_final(row->expect)) {
        g_assert_cmpint(s.downtime_ms.state, ==, CV_FIELD_VALID);
        g_assert_cmpint(s.expected_downtime_ms.state, ==, CV_FIELD_ABSENT);
    } else if (row->expect != CV_MIGRATION_STATUS_NONE) {
        g_assert_cmpint(s.expected_downtime_ms.state, ==, CV_FIELD_VALID);
        g_assert_cmpint(s.downtime_ms.state, ==, CV_FIELD_ABSENT);
    }
    stats_clear(&st);
}

static void
test_operation_wrong_type(void)
{
    Stats st;
    CvSample s;

    /* an operation that is not an int tells nothing trustworthy: not ours */
    stats_load(&st, ACTIVE, NULL);
    stats_set(&st, "operation", VIR_TYPED_PARAM_STRING, 0, 0, "5");
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_NONE);
    stats_clear(&st);
    /* an old libvirt without the key: the job asked about is the migration */
    stats_load(&st, ACTIVE, "operation");
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_ACTIVE);
    stats_clear(&st);
}

static void
test_errmsg_control_characters(void)
{
    Stats st;
    CvSample s;

    memset(&st, 0, sizeof(st));
    virTypedParamsAddString(&st.params, &st.nparams, &st.maxparams, "errmsg", "line1\nline2\t!");
    cv_libvirt_job_stats_to_sample(VIR_DOMAIN_JOB_FAILED, st.params, st.nparams,
                                   CV_LIBVIRT_STATE_UNKNOWN, 0, &s);
    g_assert_cmpint(s.status, ==, CV_MIGRATION_STATUS_FAILED);
    g_assert_cmpstr(s.error_desc, ==, "line1 line2 !");
    stats_clear(&st);
}

static void
test_vfio_later_libvirt(void)
{
    Stats st;
    CvSample s;

    /* libvirt 10.6+ reports vfio_data_transferred: then the guest has VFIO state */
    stats_load(&st, ACTIVE, NULL);
    virTypedParamsAddULLong(&st.params, &st.nparams, &st.maxparams, "vfio_data_transferred",
                            G_GUINT64_CONSTANT(2147483648));
    cv_libvirt_job_stats_to_sample(st.type, st.params, st.nparams, VIR_DOMAIN_RUNNING, 0, &s);
    g_assert_true(cv_sample_has_vfio(&s));
    g_assert_cmpuint(s.vfio_transferred.value, ==, G_GUINT64_CONSTANT(2147483648));
    stats_clear(&st);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the typed-parameter helpers use libvirt's per-thread error state */
    g_assert_cmpint(virInitialize(), ==, 0);
    g_test_add_func("/libvirt-jobstats/real/active-9.0", test_real_active);
    g_test_add_func("/libvirt-jobstats/real/completed-9.0", test_real_completed);
    for (gsize i = 0; i < G_N_ELEMENTS(field_rows); i++) {
        g_autofree gchar *path = g_strdup_printf("/libvirt-jobstats/missing/%s", field_rows[i].key);

        g_test_add_data_func(path, &field_rows[i], test_missing);
    }
    g_test_add_func("/libvirt-jobstats/missing/memory_remaining", test_missing_remaining);
    g_test_add_func("/libvirt-jobstats/missing/memory_bps", test_missing_bps);
    g_test_add_func("/libvirt-jobstats/remaining-above-total", test_remaining_above_total);
    g_test_add_func("/libvirt-jobstats/missing/everything", test_empty);
    g_test_add_func("/libvirt-jobstats/zero", test_zero);
    for (gsize i = 0; i < G_N_ELEMENTS(absurd_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/libvirt-jobstats/absurd/%s", absurd_rows[i].name);

        g_test_add_data_func(path, &absurd_rows[i], test_absurd);
    }
    g_test_add_func("/libvirt-jobstats/absurd/memory-bps", test_bps_absurd);
    for (gsize i = 0; i < G_N_ELEMENTS(status_rows); i++) {
        g_autofree gchar *path =
            g_strdup_printf("/libvirt-jobstats/status/%s", status_rows[i].name);

        g_test_add_data_func(path, &status_rows[i], test_status);
    }
    g_test_add_func("/libvirt-jobstats/status/operation-wrong-type", test_operation_wrong_type);
    g_test_add_func("/libvirt-jobstats/errmsg-control-characters", test_errmsg_control_characters);
    g_test_add_func("/libvirt-jobstats/vfio-libvirt-10.6", test_vfio_later_libvirt);
    return g_test_run();
}
