/* Replays every file of fuzz/corpus/{jobstats,config,metadata,state,learned}/ through its libFuzzer
 * entry, one GTest path per file, so the seed corpora and every crash reproducer added to
 * them (crash-*) run in every build, with gcc and without libFuzzer. The QMP corpus has its
 * own replay (test-qmp-fuzz-corpus). */
#include "config.h"

#include <glib.h>

/* The entries the fuzzers run, compiled into this test through the table's 'sources'. */
#include "fuzz/cv-fuzz.h"

typedef int (*FuzzEntry)(const guint8 *data, gsize size);

typedef struct {
    const gchar *name;
    FuzzEntry entry;
    guint min_files; /* fewer would make the replay pass vacuously */
} Target;

static const Target targets[] = {
    {"jobstats", cv_fuzz_jobstats, 8}, {"config", cv_fuzz_config, 40},
    {"metadata", cv_fuzz_metadata, 6}, {"state", cv_fuzz_state, 10},
    {"learned", cv_fuzz_learned, 6},
};

typedef struct {
    const Target *target;
    gchar *path;
} Case;

static void
test_corpus_file(gconstpointer data)
{
    const Case *c = data;
    g_autofree gchar *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;

    g_file_get_contents(c->path, &contents, &len, &error);
    g_assert_no_error(error);
    g_assert_cmpint(c->target->entry((const guint8 *)contents, len), ==, 0);
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) cases = g_ptr_array_new();
    int rc;

    g_test_init(&argc, &argv, NULL);
    for (gsize t = 0; t < G_N_ELEMENTS(targets); t++) {
        g_autofree gchar *dir =
            g_test_build_filename(G_TEST_DIST, "..", "fuzz", "corpus", targets[t].name, NULL);
        g_autoptr(GDir) d = NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        const gchar *name;

        d = g_dir_open(dir, 0, &error);
        g_assert_no_error(error);
        while ((name = g_dir_read_name(d)) != NULL)
            g_ptr_array_add(names, g_strdup(name));
        g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
        g_assert_cmpuint(names->len, >=, targets[t].min_files);
        for (guint i = 0; i < names->len; i++) {
            const gchar *base = g_ptr_array_index(names, i);
            g_autofree gchar *test = g_strdup_printf("/fuzz-corpus/%s/%s", targets[t].name, base);
            Case *c = g_new0(Case, 1);

            c->target = &targets[t];
            c->path = g_build_filename(dir, base, NULL);
            g_ptr_array_add(cases, c);
            g_test_add_data_func(test, c, test_corpus_file);
        }
    }
    rc = g_test_run();
    for (guint i = 0; i < cases->len; i++) {
        Case *c = g_ptr_array_index(cases, i);
        g_free(c->path);
        g_free(c);
    }
    return rc;
}
