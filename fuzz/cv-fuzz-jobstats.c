#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <libvirt/libvirt.h>

#include "cv-fuzz-check.h"
#include "cv-fuzz.h"
#include "cv-libvirt-jobstats.h"

/* More than any libvirt sends (about 40), few enough to stay fast. */
#define FUZZ_MAX_PARAMS 128

static gboolean
parse_i64(const gchar *text, gint64 *out)
{
    return g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, out, NULL);
}

static gboolean
parse_u64(const gchar *text, guint64 *out)
{
    return g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, out, NULL);
}

/* One "key[:T]: value" line into @p; FALSE when the line is not one. */
static gboolean
param_from_line(const gchar *line, virTypedParameter *p)
{
    g_auto(GStrv) kv = g_strsplit(line, ": ", 2);
    g_auto(GStrv) kt = NULL;
    const gchar *value;
    gchar type = '\0';
    gint64 l = 0;
    guint64 u = 0;

    if (kv[0] == NULL || kv[1] == NULL)
        return FALSE;
    value = kv[1];
    kt = g_strsplit(kv[0], ":", 2);
    if (kt[0] == NULL)
        return FALSE;
    if (kt[1] != NULL && strlen(kt[1]) == 1)
        type = kt[1][0];
    memset(p, 0, sizeof(*p));
    g_strlcpy(p->field, kt[0], VIR_TYPED_PARAM_FIELD_LENGTH);
    if (type == '\0') {
        if (parse_u64(value, &u))
            type = 'U';
        else if (parse_i64(value, &l))
            type = 'l';
        else
            type = 's';
    }
    switch (type) {
    case 'i':
        (void)parse_i64(value, &l);
        p->type = VIR_TYPED_PARAM_INT;
        p->value.i = (gint)l;
        break;
    case 'u':
        (void)parse_u64(value, &u);
        p->type = VIR_TYPED_PARAM_UINT;
        p->value.ui = (guint)u;
        break;
    case 'l':
        (void)parse_i64(value, &l);
        p->type = VIR_TYPED_PARAM_LLONG;
        p->value.l = l;
        break;
    case 'U':
        (void)parse_u64(value, &u);
        p->type = VIR_TYPED_PARAM_ULLONG;
        p->value.ul = u;
        break;
    case 'd':
        p->type = VIR_TYPED_PARAM_DOUBLE;
        p->value.d = g_ascii_strtod(value, NULL);
        break;
    case 'b':
        p->type = VIR_TYPED_PARAM_BOOLEAN;
        p->value.b = g_str_equal(value, "1") || g_str_equal(value, "yes");
        break;
    case 'n':
        /* a string parameter without a string: libvirt never sends one, but must not crash */
        p->type = VIR_TYPED_PARAM_STRING;
        p->value.s = NULL;
        break;
    case 's':
    default:
        p->type = VIR_TYPED_PARAM_STRING;
        p->value.s = g_strdup(value);
        break;
    }
    return TRUE;
}

static void
params_free(virTypedParameter *params, gint n)
{
    for (gint i = 0; i < n; i++) {
        if (params[i].type == VIR_TYPED_PARAM_STRING)
            g_free(params[i].value.s);
    }
    g_free(params);
}

int
cv_fuzz_jobstats(const guint8 *data, gsize size)
{
    g_autofree gchar *text = g_strndup((const gchar *)data, size);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    virTypedParameter *params = g_new0(virTypedParameter, FUZZ_MAX_PARAMS);
    gint nparams = 0;
    gint64 job_type = VIR_DOMAIN_JOB_UNBOUNDED;
    gint state = CV_LIBVIRT_STATE_UNKNOWN;
    gint reason = 0;
    CvSample sample;
    CvSample again;

    for (guint i = 0; lines[i] != NULL; i++) {
        const gchar *line = lines[i];

        if (g_str_has_prefix(line, "Job type: ")) {
            (void)parse_i64(line + strlen("Job type: "), &job_type);
        } else if (g_str_has_prefix(line, "State: ")) {
            g_auto(GStrv) sr = g_strsplit(line + strlen("State: "), " ", 2);
            gint64 v = 0;

            if (sr[0] != NULL && parse_i64(sr[0], &v))
                state = (gint)v;
            if (sr[0] != NULL && sr[1] != NULL && parse_i64(sr[1], &v))
                reason = (gint)v;
        } else if (nparams < FUZZ_MAX_PARAMS && param_from_line(line, &params[nparams])) {
            nparams++;
        }
    }

    cv_libvirt_job_stats_to_sample((gint)job_type, params, nparams, state, reason, &sample);
    cv_fuzz_check_sample(&sample);
    /* libvirt never reports QEMU's system-wide remaining */
    g_assert_cmpint(sample.remaining.state, ==, CV_FIELD_ABSENT);
    /* no job, or a job that is not an outgoing migration, says nothing else */
    if (sample.status == CV_MIGRATION_STATUS_NONE) {
        g_assert_cmpint(sample.ram_remaining.state, ==, CV_FIELD_ABSENT);
        g_assert_cmpint(sample.total_time_ms.state, ==, CV_FIELD_ABSENT);
    }
    /* the same input reads the same way: nothing depends on uninitialised memory */
    cv_libvirt_job_stats_to_sample((gint)job_type, params, nparams, state, reason, &again);
    cv_fuzz_assert_same_sample(&sample, &again);
    params_free(params, nparams);
    return 0;
}
