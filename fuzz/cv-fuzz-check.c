#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cv-fuzz-check.h"

void
cv_fuzz_check_u64(const CvU64Field *field)
{
    g_assert_true(field->state == CV_FIELD_ABSENT || field->state == CV_FIELD_VALID ||
                  field->state == CV_FIELD_INVALID);
    /* nothing valid may be beyond the absurd bound the engine relies on */
    if (field->state == CV_FIELD_VALID)
        g_assert_cmpuint(field->value, <=, CV_SAMPLE_MAX_BYTES);
}

#define F(name) G_STRUCT_OFFSET(CvSample, name)
static const gsize u64_fields[] = {
    F(total_time_ms),      F(setup_time_ms),           F(expected_downtime_ms),
    F(downtime_ms),        F(ram_transferred),         F(ram_remaining),
    F(ram_total),          F(ram_duplicate),           F(ram_normal),
    F(ram_normal_bytes),   F(ram_dirty_pages_rate),    F(ram_dirty_sync_count),
    F(ram_page_size),      F(ram_pages_per_second),    F(ram_precopy_bytes),
    F(ram_downtime_bytes), F(ram_postcopy_bytes),      F(remaining),
    F(vfio_transferred),   F(cpu_throttle_percentage),
};
#undef F

static const CvU64Field *
field_at(const CvSample *s, gsize offset)
{
    return (const CvU64Field *)(gconstpointer)((const guint8 *)s + offset);
}

void
cv_fuzz_assert_same_sample(const CvSample *a, const CvSample *b)
{
    g_assert_cmpint(a->status, ==, b->status);
    g_assert_cmpint(a->ram_mbps.state, ==, b->ram_mbps.state);
    g_assert_true(a->ram_mbps.value == b->ram_mbps.value ||
                  (isnan(a->ram_mbps.value) && isnan(b->ram_mbps.value)));
    g_assert_cmpstr(a->error_desc, ==, b->error_desc);
    for (gsize i = 0; i < G_N_ELEMENTS(u64_fields); i++) {
        g_assert_cmpint(field_at(a, u64_fields[i])->state, ==, field_at(b, u64_fields[i])->state);
        g_assert_cmpuint(field_at(a, u64_fields[i])->value, ==, field_at(b, u64_fields[i])->value);
    }
}

void
cv_fuzz_check_sample(const CvSample *s)
{
    guint64 v = 0;
    gboolean system_wide = FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS(u64_fields); i++)
        cv_fuzz_check_u64(field_at(s, u64_fields[i]));
    if (cv_field_valid(&s->expected_downtime_ms))
        g_assert_cmpuint(s->expected_downtime_ms.value, <=, CV_SAMPLE_MAX_MS);
    if (cv_field_valid(&s->ram_page_size))
        g_assert_cmpuint(s->ram_page_size.value & (s->ram_page_size.value - 1), ==, 0);
    if (cv_field_valid(&s->ram_remaining) && cv_field_valid(&s->ram_total))
        g_assert_cmpuint(s->ram_remaining.value, <=, s->ram_total.value);
    if (s->ram_mbps.state == CV_FIELD_VALID)
        g_assert_true(isfinite(s->ram_mbps.value) && s->ram_mbps.value >= 0.0);
    g_assert_true(g_utf8_validate(s->error_desc, -1, NULL));
    for (const gchar *p = s->error_desc; *p != '\0'; p++)
        g_assert_cmpint((guchar)*p, >=, 0x20);
    /* the downstream arithmetic must hold on whatever passed */
    if (cv_sample_pending(s, &v, &system_wide))
        g_assert_cmpuint(v, <=, CV_SAMPLE_MAX_BYTES);
    if (cv_sample_throughput(s, &v))
        g_assert_cmpuint(v, <=, CV_SAMPLE_MAX_BYTES);
    if (cv_sample_dirty_rate(s, &v))
        g_assert_cmpuint(v, <=, CV_SAMPLE_MAX_BYTES);
    (void)cv_sample_has_vfio(s);
    (void)cv_migration_status_to_string(s->status);
}

void
cv_fuzz_empty_dir(const gchar *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const gchar *name;

    if (d == NULL)
        return;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree gchar *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
            cv_fuzz_empty_dir(path);
            if (g_rmdir(path) < 0)
                cv_fuzz_fail("fuzz: cannot remove %s: %s", path, g_strerror(errno));
        } else if (g_unlink(path) < 0) {
            cv_fuzz_fail("fuzz: cannot remove %s: %s", path, g_strerror(errno));
        }
    }
}

void
cv_fuzz_fail(const gchar *format, ...)
{
    va_list args;

    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    abort();
}

static gchar *scratch_dir;

static void
remove_scratch_dir(void)
{
    if (scratch_dir == NULL)
        return;
    cv_fuzz_empty_dir(scratch_dir);
    (void)g_rmdir(scratch_dir);
    g_clear_pointer(&scratch_dir, g_free);
}

const gchar *
cv_fuzz_scratch_dir(void)
{
    g_autoptr(GError) error = NULL;

    if (scratch_dir != NULL)
        return scratch_dir;
    scratch_dir = g_dir_make_tmp("cv-fuzz-XXXXXX", &error);
    g_assert_no_error(error);
    atexit(remove_scratch_dir);
    return scratch_dir;
}
