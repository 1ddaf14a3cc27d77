/* What every fuzz entry shares: the properties a sanitised CvSample must have, whichever parser
 * produced it, and a scratch directory for entries that go through real files. */
#pragma once

#include <glib.h>

#include "cv-sample.h"

G_BEGIN_DECLS

/* ABSENT, VALID or INVALID, and nothing valid beyond CV_SAMPLE_MAX_BYTES. */
void cv_fuzz_check_u64(const CvU64Field *field);

/* Every field bounded, remaining <= total, a power-of-two page size, a printable UTF-8 error
 * text, and the engine's derived values (pending, throughput, dirty rate) within bounds. */
void cv_fuzz_check_sample(const CvSample *sample);

/* Field by field (struct padding is not part of a sample). */
void cv_fuzz_assert_same_sample(const CvSample *a, const CvSample *b);

/* Report a property violation and abort(): libFuzzer saves the input on SIGABRT, not on the
 * SIGTRAP of g_error(). */
G_NORETURN void cv_fuzz_fail(const gchar *format, ...) G_GNUC_PRINTF(1, 2);

/* A private directory for this process, created on first use and removed (with everything in
 * it) at exit. */
const gchar *cv_fuzz_scratch_dir(void);

/* Remove every entry of @dir (not @dir itself), recursively. */
void cv_fuzz_empty_dir(const gchar *dir);

G_END_DECLS
