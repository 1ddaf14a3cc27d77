/* The QMP line fuzz entry, shared by the libFuzzer target and the corpus replay test. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The first byte sets the chunk size (1..256) in which the rest is pushed into the framer,
 * so line ends land on every possible read boundary. Every line is classified and handed to
 * every parser that applies; properties of the results are asserted. */
int cv_fuzz_qmp_line(const guint8 *data, gsize size);

G_END_DECLS
