/* Replays every file of fuzz/corpus/qmp/ through the libFuzzer entry, one GTest path per
 * file, so the seed corpus (and any crash reproducer added to it) runs in every build. */
#include "config.h"

#include <glib.h>

/* The same entry the fuzzer runs, compiled into this test through the table's 'sources'. */
#include "fuzz/cv-fuzz-qmp-line.h"

static void
test_corpus_file(gconstpointer data)
{
    const gchar *path = data;
    g_autofree gchar *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;

    g_file_get_contents(path, &contents, &len, &error);
    g_assert_no_error(error);
    g_assert_cmpint(cv_fuzz_qmp_line((const guint8 *)contents, len), ==, 0);
    /* and once more with every chunk size, which moves each line end across reads */
    for (guint c = 0; c < 8 && len > 0; c++) {
        g_autofree guint8 *copy = g_memdup2(contents, len);
        copy[0] = (guint8)c;
        g_assert_cmpint(cv_fuzz_qmp_line(copy, len), ==, 0);
    }
}

int
main(int argc, char **argv)
{
    g_autofree gchar *dir = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    const gchar *name;

    g_test_init(&argc, &argv, NULL);
    dir = g_test_build_filename(G_TEST_DIST, "..", "fuzz", "corpus", "qmp", NULL);
    d = g_dir_open(dir, 0, &error);
    g_assert_no_error(error);
    while ((name = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(paths, g_build_filename(dir, name, NULL));
    g_ptr_array_sort(paths, (GCompareFunc)g_strcmp0);
    /* an empty corpus would make this test pass vacuously */
    g_assert_cmpuint(paths->len, >=, 10);
    for (guint i = 0; i < paths->len; i++) {
        const gchar *path = g_ptr_array_index(paths, i);
        g_autofree gchar *base = g_path_get_basename(path);
        g_autofree gchar *test = g_strdup_printf("/qmp/fuzz-corpus/%s", base);
        g_test_add_data_func(test, path, test_corpus_file);
    }
    return g_test_run();
}
