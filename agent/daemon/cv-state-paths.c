#include "config.h"

#include <string.h>

#include "cv-state-paths.h"

/* systemd passes a colon-separated list when the unit names several directories; ours is
 * the first. An empty value counts as unset. */
static gchar *
from_env(const gchar *name, const gchar *fallback_parent)
{
    const gchar *env = g_getenv(name);

    if (env != NULL && *env != '\0') {
        const gchar *colon = strchr(env, ':');
        return colon != NULL ? g_strndup(env, (gsize)(colon - env)) : g_strdup(env);
    }
    return g_build_filename(fallback_parent, "virt-converge", NULL);
}

gchar *
cv_state_paths_state_dir(void)
{
    g_autofree gchar *lib = g_build_filename(LOCALSTATEDIR, "lib", NULL);

    return from_env("STATE_DIRECTORY", lib);
}

gchar *
cv_state_paths_runtime_dir(void)
{
    return from_env("RUNTIME_DIRECTORY", RUNSTATEDIR);
}
