/* libFuzzer main for one entry of cv-fuzz.h, chosen at build time with
 * -DCV_FUZZ_ENTRY=cv_fuzz_NAME. Build with CC=clang meson setup build-fuzz -Dfuzzing=true. */
#include "config.h"

#include <glib.h>

#include "cv-fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* a Json-CRITICAL or any warning is a finding, as under G_DEBUG=fatal-warnings */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
    return CV_FUZZ_ENTRY(data, size);
}
