#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "cv-config.h"

#define GROUP_DAEMON "daemon"
#define GROUP_POLICY_PREFIX "policy:"
#define GROUP_DOMAIN_PREFIX "domain:"
#define KEY_INHERITS "inherits"
#define KEY_POLICY "policy"
#define ORIGIN_BUILTIN "built-in"

/* The daemon's poll timer is the fallback when iteration events are unavailable: faster
 * than 10 ms burns CPU for nothing, slower than a minute misses whole stalls. */
#define POLL_INTERVAL_MIN_MS 10
#define POLL_INTERVAL_MAX_MS (60 * 1000)

/* The history must hold at least a few migrations' records (a tuned migration writes tens of
 * lines of a few hundred bytes), and stays far below what a state directory can hold. */
#define HISTORY_MAX_SIZE_MIN (G_GUINT64_CONSTANT(64) * 1024)
#define HISTORY_MAX_SIZE_MAX (G_GUINT64_CONSTANT(1) << 30)
#define HISTORY_KEEP_MAX 32

typedef struct {
    CvPolicy policy; /* policy.name is the key of policy_by_name */
    gchar *origin;
} PolicyEntry;

typedef struct {
    gchar *pattern;
    gchar *policy;
    gchar *origin; /* "FILE:LINE" of the [domain:PATTERN] header */
} DomainRule;

struct _CvConfig {
    gchar **uris;
    guint64 poll_interval_ms;
    gboolean dry_run;
    CvConfigLogLevel log_level;
    CvConfigMonitorCommands monitor_commands;
    gchar *metrics_file;        /* NULL: off */
    gchar *migration_interface; /* [daemon] migration-interface; NULL: off */
    guint64 history_max_size;
    guint history_keep;
    guint64 link_rate;          /* [daemon] link, bytes/s; 0: off */
    guint learned_window;       /* [daemon] learned-window: N */
    guint learned_min;          /* [daemon] learned-min: K, <= N */
    GPtrArray *policies;        /* PolicyEntry *, in definition order */
    GHashTable *policy_by_name; /* borrowed name -> PolicyEntry * */
    GPtrArray *domains;         /* DomainRule *, in file order */
};

/* ---- the (group, key) -> line index, built from the raw text before GKeyFile sees it ---- */

typedef struct {
    gchar *name;
    guint line;
    GPtrArray *keys;       /* gchar *, in file order */
    GHashTable *key_lines; /* borrowed key -> GUINT_TO_POINTER(line) */
} GroupIndex;

typedef struct {
    gchar *path;
    gboolean is_main;
    GKeyFile *keyfile;
    GPtrArray *groups;    /* GroupIndex *, in file order */
    GHashTable *by_group; /* borrowed name -> GroupIndex * */
} FileIndex;

/* ---- what a file said about a policy, before inheritance is resolved ---- */

typedef enum {
    DEF_NEW = 0,
    DEF_RESOLVING,
    DEF_DONE,
} DefState;

typedef struct {
    gchar *name;
    gchar *path; /* NULL for the built-in default */
    guint line;
    gchar *inherits;
    guint inherits_line;
    gboolean has_key[CV_CONFIG_POLICY_N_KEYS];
    guint key_line[CV_CONFIG_POLICY_N_KEYS];
    CvPolicy own; /* the fields of the keys in has_key */
    DefState state;
    CvPolicy resolved;
} PolicyDef;

typedef struct {
    DomainRule *rule;
    gchar *path;
    guint policy_line;
} DomainDef;

typedef struct {
    CvConfig *config; /* being filled: daemon settings */
    GPtrArray *files; /* FileIndex * */
    GPtrArray *defs;  /* PolicyDef *, in definition order */
    GHashTable *def_by_name;
    GPtrArray *domain_defs; /* DomainDef * */
    GHashTable *domain_by_pattern;
} Loader;

static void
group_index_free(GroupIndex *g)
{
    g_free(g->name);
    g_ptr_array_unref(g->keys);
    g_hash_table_unref(g->key_lines);
    g_free(g);
}

static void
file_index_free(FileIndex *f)
{
    g_free(f->path);
    if (f->keyfile != NULL)
        g_key_file_unref(f->keyfile);
    g_ptr_array_unref(f->groups);
    g_hash_table_unref(f->by_group);
    g_free(f);
}

static void
policy_def_free(PolicyDef *d)
{
    g_free(d->name);
    g_free(d->path);
    g_free(d->inherits);
    g_free(d);
}

static void
policy_entry_free(PolicyEntry *e)
{
    g_free(e->origin);
    g_free(e);
}

static void
domain_rule_free(DomainRule *r)
{
    if (r == NULL)
        return;
    g_free(r->pattern);
    g_free(r->policy);
    g_free(r->origin);
    g_free(r);
}

static void
domain_def_free(DomainDef *d)
{
    domain_rule_free(d->rule);
    g_free(d->path);
    g_free(d);
}

static void
loader_clear(Loader *l)
{
    g_clear_pointer(&l->config, cv_config_free);
    g_clear_pointer(&l->files, g_ptr_array_unref);
    g_clear_pointer(&l->defs, g_ptr_array_unref);
    g_clear_pointer(&l->def_by_name, g_hash_table_unref);
    g_clear_pointer(&l->domain_defs, g_ptr_array_unref);
    g_clear_pointer(&l->domain_by_pattern, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Loader, loader_clear)

static void set_error_at(GError **error, CvConfigErrorCode code, const gchar *path, guint line,
                         const gchar *format, ...) G_GNUC_PRINTF(5, 6);

static void
set_error_at(GError **error, CvConfigErrorCode code, const gchar *path, guint line,
             const gchar *format, ...)
{
    g_autofree gchar *msg = NULL;
    va_list args;

    va_start(args, format);
    msg = g_strdup_vprintf(format, args);
    va_end(args);
    if (line == 0)
        g_set_error(error, CV_CONFIG_ERROR, code, "%s: %s", path, msg);
    else
        g_set_error(error, CV_CONFIG_ERROR, code, "%s:%u: %s", path, line, msg);
}

/* ---- [daemon]: one table, the built-in values read by the same parsers as files ---- */

static const struct {
    const gchar *nick;
    CvConfigLogLevel level;
} log_levels[] = {
    {"warning", CV_CONFIG_LOG_LEVEL_WARNING},
    {"message", CV_CONFIG_LOG_LEVEL_MESSAGE},
    {"info", CV_CONFIG_LOG_LEVEL_INFO},
    {"debug", CV_CONFIG_LOG_LEVEL_DEBUG},
};

static gboolean
parse_uri(CvConfig *config, const gchar *value, GError **error)
{
    g_auto(GStrv) items = g_strsplit(value, ",", -1);
    g_autoptr(GPtrArray) uris = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; items[i] != NULL; i++) {
        const gchar *item = g_strstrip(items[i]);

        if (*item == '\0') {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "'%s': empty URI in the list", value);
            return FALSE;
        }
        if (strpbrk(item, " \t") != NULL) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "'%s': a URI cannot contain whitespace", item);
            return FALSE;
        }
        for (guint j = 0; j < uris->len; j++) {
            if (g_strcmp0(g_ptr_array_index(uris, j), item) == 0) {
                g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                            "'%s' is listed twice", item);
                return FALSE;
            }
        }
        g_ptr_array_add(uris, g_strdup(item));
    }
    g_ptr_array_add(uris, NULL);
    g_strfreev(config->uris);
    config->uris = (gchar **)g_ptr_array_free(g_steal_pointer(&uris), FALSE);
    return TRUE;
}

static gboolean
parse_poll_interval(CvConfig *config, const gchar *value, GError **error)
{
    guint64 ms = 0;

    if (!cv_config_parse_duration(value, &ms, error))
        return FALSE;
    if (ms < POLL_INTERVAL_MIN_MS || ms > POLL_INTERVAL_MAX_MS) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': must be from 10ms to 1min", value);
        return FALSE;
    }
    config->poll_interval_ms = ms;
    return TRUE;
}

static gboolean
parse_dry_run(CvConfig *config, const gchar *value, GError **error)
{
    if (g_strcmp0(value, "true") == 0) {
        config->dry_run = TRUE;
    } else if (g_strcmp0(value, "false") == 0) {
        config->dry_run = FALSE;
    } else {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': expected true or false", value);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_log_level(CvConfig *config, const gchar *value, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(log_levels); i++) {
        if (g_strcmp0(log_levels[i].nick, value) == 0) {
            config->log_level = log_levels[i].level;
            return TRUE;
        }
    }
    g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                "'%s': expected warning, message, info or debug", value);
    return FALSE;
}

static const gchar *const monitor_commands_names[] = {
    [CV_CONFIG_MONITOR_COMMANDS_AUTO] = "auto",
    [CV_CONFIG_MONITOR_COMMANDS_ALWAYS] = "always",
    [CV_CONFIG_MONITOR_COMMANDS_NEVER] = "never",
};

const gchar *
cv_config_monitor_commands_to_string(CvConfigMonitorCommands mode)
{
    if ((guint)mode >= G_N_ELEMENTS(monitor_commands_names))
        return "unknown";
    return monitor_commands_names[mode];
}

gboolean
cv_config_monitor_commands_from_string(const gchar *str, CvConfigMonitorCommands *mode)
{
    for (gsize i = 0; i < G_N_ELEMENTS(monitor_commands_names); i++) {
        if (g_strcmp0(monitor_commands_names[i], str) == 0) {
            *mode = (CvConfigMonitorCommands)i;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
parse_monitor_commands(CvConfig *config, const gchar *value, GError **error)
{
    if (!cv_config_monitor_commands_from_string(value, &config->monitor_commands)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': expected auto, always or never", value);
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_metrics_file(CvConfig *config, const gchar *value, GError **error)
{
    g_autofree gchar *base = NULL;

    if (g_strcmp0(value, "off") == 0) {
        g_clear_pointer(&config->metrics_file, g_free);
        return TRUE;
    }
    if (!g_path_is_absolute(value)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': expected an absolute path or off", value);
        return FALSE;
    }
    if (strpbrk(value, " \t\n") != NULL || g_str_has_suffix(value, "/")) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': expected the path of a file (no whitespace, no trailing '/')", value);
        return FALSE;
    }
    /* node_exporter's textfile collector reads *.prom and nothing else: any other name would
     * be written faithfully and never collected. */
    base = g_path_get_basename(value);
    if (!g_str_has_suffix(base, ".prom") || g_str_equal(base, ".prom") || base[0] == '.') {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': the file name must end in .prom (node_exporter's textfile collector "
                    "reads only those) and not start with '.'",
                    value);
        return FALSE;
    }
    g_free(config->metrics_file);
    config->metrics_file = g_strdup(value);
    return TRUE;
}

static gboolean
parse_history_max_size(CvConfig *config, const gchar *value, GError **error)
{
    guint64 bytes = 0;

    if (!cv_config_parse_size(value, &bytes, error))
        return FALSE;
    if (bytes < HISTORY_MAX_SIZE_MIN || bytes > HISTORY_MAX_SIZE_MAX) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': must be from 64KiB to 1GiB", value);
        return FALSE;
    }
    config->history_max_size = bytes;
    return TRUE;
}

static gboolean
parse_history_keep(CvConfig *config, const gchar *value, GError **error)
{
    guint64 n = 0;

    if (!g_ascii_string_to_unsigned(value, 10, 1, HISTORY_KEEP_MAX, &n, NULL)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': expected a number of files from 1 to %d", value, HISTORY_KEEP_MAX);
        return FALSE;
    }
    config->history_keep = (guint)n;
    return TRUE;
}

static gboolean
parse_link(CvConfig *config, const gchar *value, GError **error)
{
    guint64 rate = 0;

    if (g_strcmp0(value, "off") == 0) {
        config->link_rate = 0;
        return TRUE;
    }
    if (!cv_config_parse_rate(value, &rate, error))
        return FALSE;
    if (rate == 0) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': a zero rate; write 'off' when the link is not stated", value);
        return FALSE;
    }
    config->link_rate = rate;
    return TRUE;
}

static gboolean
parse_learned_count(const gchar *value, guint *n, GError **error)
{
    guint64 v = 0;

    if (!g_ascii_string_to_unsigned(value, 10, 1, CV_LEARNED_WINDOW_MAX, &v, NULL)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': expected a number of migrations from 1 to %d", value,
                    CV_LEARNED_WINDOW_MAX);
        return FALSE;
    }
    *n = (guint)v;
    return TRUE;
}

static gboolean
parse_learned_window(CvConfig *config, const gchar *value, GError **error)
{
    return parse_learned_count(value, &config->learned_window, error);
}

static gboolean
parse_learned_min(CvConfig *config, const gchar *value, GError **error)
{
    return parse_learned_count(value, &config->learned_min, error);
}

/* A network interface name as the kernel allows it (dev_valid_name): 1-15 bytes, no '/',
 * no white space, not "." or "..": it becomes a path under /sys/class/net. */
static gboolean
parse_migration_interface(CvConfig *config, const gchar *value, GError **error)
{
    if (g_strcmp0(value, "off") == 0) {
        g_clear_pointer(&config->migration_interface, g_free);
        return TRUE;
    }
    if (*value == '\0' || strlen(value) > 15 || strcmp(value, ".") == 0 ||
        strcmp(value, "..") == 0 || strchr(value, '/') != NULL || strchr(value, ':') != NULL) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                    "'%s': not a network interface name (1-15 characters, no '/' or ':')", value);
        return FALSE;
    }
    for (const gchar *p = value; *p != '\0'; p++) {
        if (!g_ascii_isgraph(*p)) {
            g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_BAD_VALUE,
                        "'%s': not a network interface name (no spaces or control characters)",
                        value);
            return FALSE;
        }
    }
    g_free(config->migration_interface);
    config->migration_interface = g_strdup(value);
    return TRUE;
}

typedef gboolean (*DaemonKeyParseFunc)(CvConfig *config, const gchar *value, GError **error);

/* The [daemon] defaults; data/virt-converged.conf explains each. */
static const struct {
    const gchar *name;
    const gchar *builtin;
    DaemonKeyParseFunc parse;
} daemon_keys[] = {
    {"uri", "qemu:///system", parse_uri},
    {"poll-interval", "1s", parse_poll_interval},
    {"dry-run", "false", parse_dry_run},
    {"log-level", "message", parse_log_level},
    {"monitor-commands", "auto", parse_monitor_commands},
    {"metrics-file", "off", parse_metrics_file},
    {"history-max-size", "16MiB", parse_history_max_size},
    {"history-keep", "3", parse_history_keep},
    {"link", "off", parse_link},
    {"learned-window", G_STRINGIFY(CV_LEARNED_WINDOW_DEFAULT), parse_learned_window},
    {"learned-min", G_STRINGIFY(CV_LEARNED_MIN_DEFAULT), parse_learned_min},
    {"migration-interface", "off", parse_migration_interface},
};

static gchar *
daemon_key_list(void)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(daemon_keys); i++)
        g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", daemon_keys[i].name);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean
parse_daemon_key(CvConfig *config, const gchar *key, const gchar *value, gboolean *known,
                 GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(daemon_keys); i++) {
        if (g_strcmp0(daemon_keys[i].name, key) != 0)
            continue;
        *known = TRUE;
        if (!daemon_keys[i].parse(config, value, error)) {
            g_prefix_error(error, "%s: ", key);
            return FALSE;
        }
        return TRUE;
    }
    *known = FALSE;
    return FALSE;
}

static void
policy_entry_add(CvConfig *config, const CvPolicy *policy, const gchar *origin)
{
    PolicyEntry *e = g_new0(PolicyEntry, 1);

    e->policy = *policy;
    e->origin = g_strdup(origin);
    g_ptr_array_add(config->policies, e);
    g_hash_table_insert(config->policy_by_name, e->policy.name, e);
}

static CvConfig *
config_new_empty(void)
{
    CvConfig *config = g_new0(CvConfig, 1);

    config->policies = g_ptr_array_new_with_free_func((GDestroyNotify)policy_entry_free);
    config->policy_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    config->domains = g_ptr_array_new_with_free_func((GDestroyNotify)domain_rule_free);
    for (gsize i = 0; i < G_N_ELEMENTS(daemon_keys); i++) {
        g_autoptr(GError) error = NULL;

        /* Our own table, parsed in a unit test: a failure is a programming bug. */
        if (!daemon_keys[i].parse(config, daemon_keys[i].builtin, &error))
            g_critical("built-in %s = %s: %s", daemon_keys[i].name, daemon_keys[i].builtin,
                       error->message);
    }
    return config;
}

CvConfig *
cv_config_new_default(void)
{
    CvConfig *config = config_new_empty();
    CvPolicy builtin;

    cv_config_policy_init_builtin(&builtin);
    policy_entry_add(config, &builtin, ORIGIN_BUILTIN);
    return config;
}

void
cv_config_free(CvConfig *config)
{
    if (config == NULL)
        return;
    g_strfreev(config->uris);
    g_free(config->metrics_file);
    g_free(config->migration_interface);
    g_hash_table_unref(config->policy_by_name);
    g_ptr_array_unref(config->policies);
    g_ptr_array_unref(config->domains);
    g_free(config);
}

/* ---- pass 1: syntax and line numbers ---- */

static gboolean
key_name_is_valid(const gchar *key)
{
    return *key != '\0' &&
           strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") ==
               strlen(key);
}

static gchar *
excerpt(const gchar *line)
{
    if (g_utf8_strlen(line, -1) <= 40)
        return g_strdup(line);
    return g_strdup_printf("%.*s...", (int)(g_utf8_offset_to_pointer(line, 40) - line), line);
}

static gboolean
index_group_header(FileIndex *f, const gchar *text, guint lineno, GroupIndex **current,
                   GError **error)
{
    const gchar *close = strchr(text, ']');
    g_autofree gchar *name = NULL;
    GroupIndex *g;

    if (close == NULL || close[strspn(close + 1, " \t") + 1] != '\0') {
        g_autofree gchar *ex = excerpt(text);
        set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno,
                     "malformed group header '%s' (expected [NAME])", ex);
        return FALSE;
    }
    name = g_strndup(text + 1, (gsize)(close - text - 1));
    if (*name == '\0' || strchr(name, '[') != NULL) {
        g_autofree gchar *ex = excerpt(text);
        set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno,
                     "malformed group header '%s' (expected [NAME])", ex);
        return FALSE;
    }
    for (const gchar *p = name; *p != '\0'; p++) {
        if (g_ascii_iscntrl(*p)) {
            set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno,
                         "control character in group name");
            return FALSE;
        }
    }
    g = g_hash_table_lookup(f->by_group, name);
    if (g != NULL) {
        set_error_at(error, CV_CONFIG_ERROR_DUPLICATE, f->path, lineno,
                     "duplicate group [%s] (first at line %u)", name, g->line);
        return FALSE;
    }
    g = g_new0(GroupIndex, 1);
    g->name = g_steal_pointer(&name);
    g->line = lineno;
    g->keys = g_ptr_array_new_with_free_func(g_free);
    g->key_lines = g_hash_table_new(g_str_hash, g_str_equal);
    g_ptr_array_add(f->groups, g);
    g_hash_table_insert(f->by_group, g->name, g);
    *current = g;
    return TRUE;
}

static gboolean
index_key_line(FileIndex *f, const gchar *text, guint lineno, GroupIndex *current, GError **error)
{
    const gchar *eq = strchr(text, '=');
    g_autofree gchar *key = NULL;
    gpointer first = NULL;

    if (eq == NULL) {
        g_autofree gchar *ex = excerpt(text);
        set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno,
                     "expected '[group]' or 'key = value', found '%s'", ex);
        return FALSE;
    }
    key = g_strchomp(g_strndup(text, (gsize)(eq - text)));
    if (*key == '\0') {
        set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno, "missing key before '='");
        return FALSE;
    }
    if (!key_name_is_valid(key)) {
        set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno,
                     "invalid key name '%s' (letters, digits and '-' only)", key);
        return FALSE;
    }
    if (current == NULL) {
        set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno,
                     "key '%s' comes before any [group]", key);
        return FALSE;
    }
    /* GKeyFile reads Encoding in the first group as the file's character set and refuses the
     * whole file, without a line, unless it says UTF-8; none of our keys has capitals, so it
     * is refused here, at its line (found by fuzz-config) */
    if (g_str_equal(key, "Encoding")) {
        set_error_at(error, CV_CONFIG_ERROR_UNKNOWN_KEY, f->path, lineno,
                     "unknown key 'Encoding' in [%s] (files are always UTF-8)", current->name);
        return FALSE;
    }
    if (g_hash_table_lookup_extended(current->key_lines, key, NULL, &first)) {
        set_error_at(error, CV_CONFIG_ERROR_DUPLICATE, f->path, lineno,
                     "duplicate key '%s' in [%s] (first at line %u)", key, current->name,
                     GPOINTER_TO_UINT(first));
        return FALSE;
    }
    g_ptr_array_add(current->keys, g_strdup(key));
    g_hash_table_insert(current->key_lines,
                        g_ptr_array_index(current->keys, current->keys->len - 1),
                        GUINT_TO_POINTER(lineno));
    return TRUE;
}

/* GKeyFile reports no line numbers and silently merges duplicate groups and keys, so this
 * pass checks the syntax itself, line by line, the way GKeyFile reads it. */
static gboolean
index_text(FileIndex *f, const gchar *data, gsize len, GError **error)
{
    g_auto(GStrv) lines = NULL;
    GroupIndex *current = NULL;

    if (strlen(data) != len) {
        set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, 0, "contains a NUL byte");
        return FALSE;
    }
    lines = g_strsplit(data, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        guint lineno = i + 1;
        gchar *text = lines[i];
        gsize n = strlen(text);

        if (n > 0 && text[n - 1] == '\r') {
            /* GKeyFile drops the \r of a \r\n only; a last line ending in a bare \r would make
             * it refuse the file without a line (found by fuzz-config) */
            if (lines[i + 1] == NULL) {
                set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno,
                             "ends in a carriage return without a newline");
                return FALSE;
            }
            text[n - 1] = '\0';
        }
        if (!g_utf8_validate(text, -1, NULL)) {
            set_error_at(error, CV_CONFIG_ERROR_PARSE, f->path, lineno, "not valid UTF-8");
            return FALSE;
        }
        g_strchug(text);
        if (*text == '\0' || *text == '#')
            continue;
        if (*text == '[') {
            if (!index_group_header(f, text, lineno, &current, error))
                return FALSE;
        } else if (!index_key_line(f, text, lineno, current, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static FileIndex *
file_index_load(const gchar *path, gboolean is_main, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree gchar *data = NULL;
    gsize len = 0;
    FileIndex *f;

    if (!g_file_get_contents(path, &data, &len, &local_error)) {
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_IO, "%s: %s", path,
                    local_error->message);
        return NULL;
    }
    f = g_new0(FileIndex, 1);
    f->path = g_strdup(path);
    f->is_main = is_main;
    f->groups = g_ptr_array_new_with_free_func((GDestroyNotify)group_index_free);
    f->by_group = g_hash_table_new(g_str_hash, g_str_equal);
    if (!index_text(f, data, len, error)) {
        file_index_free(f);
        return NULL;
    }
    f->keyfile = g_key_file_new();
    if (!g_key_file_load_from_data(f->keyfile, data, len, G_KEY_FILE_NONE, &local_error)) {
        /* The pass above accepts only what GKeyFile accepts; reaching this is a bug there. */
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_PARSE, "%s: %s", path,
                    local_error->message);
        file_index_free(f);
        return NULL;
    }
    return f;
}

/* ---- pass 2: groups and keys ---- */

static gchar *
get_value(FileIndex *f, const GroupIndex *g, const gchar *key)
{
    gchar *v = g_key_file_get_value(f->keyfile, g->name, key, NULL);

    /* GKeyFile drops the blanks after '=' but keeps the trailing ones, which nobody sees. */
    return v != NULL ? g_strchomp(v) : g_strdup("");
}

static guint
key_line(const GroupIndex *g, const gchar *key)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(g->key_lines, key));
}

static gchar *
policy_key_list(void)
{
    g_autoptr(GString) s = g_string_new(KEY_INHERITS);

    for (guint i = 0; i < CV_CONFIG_POLICY_N_KEYS; i++)
        g_string_append_printf(s, ", %s", cv_config_policy_key_to_string((CvConfigPolicyKey)i));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean
load_daemon_group(Loader *l, FileIndex *f, const GroupIndex *g, GError **error)
{
    if (!f->is_main) {
        set_error_at(error, CV_CONFIG_ERROR_UNKNOWN_GROUP, f->path, g->line,
                     "[daemon] belongs in the main configuration file, not in %s",
                     CV_CONFIG_POLICIES_DIR_NAME);
        return FALSE;
    }
    for (guint i = 0; i < g->keys->len; i++) {
        const gchar *key = g_ptr_array_index(g->keys, i);
        g_autofree gchar *value = get_value(f, g, key);
        gboolean known = FALSE;

        if (parse_daemon_key(l->config, key, value, &known, error))
            continue;
        if (!known) {
            g_autofree gchar *names = daemon_key_list();
            set_error_at(error, CV_CONFIG_ERROR_UNKNOWN_KEY, f->path, key_line(g, key),
                         "unknown key '%s' in [daemon] (known: %s)", key, names);
            return FALSE;
        }
        g_prefix_error(error, "%s:%u: ", f->path, key_line(g, key));
        return FALSE;
    }
    if (l->config->learned_min > l->config->learned_window) {
        /* the line of whichever of the two the file gives (learned-min when both) */
        guint line = key_line(g, "learned-min") != 0 ? key_line(g, "learned-min")
                                                     : key_line(g, "learned-window");

        set_error_at(error, CV_CONFIG_ERROR_BAD_VALUE, f->path, line,
                     "learned-min = %u is more than learned-window = %u: the rate could never be "
                     "learned",
                     l->config->learned_min, l->config->learned_window);
        return FALSE;
    }
    return TRUE;
}

static gchar *
origin_string(const gchar *path, guint line)
{
    return g_strdup_printf("%s:%u", path, line);
}

static gboolean
load_policy_group(Loader *l, FileIndex *f, const GroupIndex *g, const gchar *name, GError **error)
{
    PolicyDef *def;
    PolicyDef *other;

    if (!cv_config_policy_name_is_valid(name)) {
        set_error_at(error, CV_CONFIG_ERROR_BAD_VALUE, f->path, g->line,
                     "invalid policy name '%s' (1 to %d characters of A-Z a-z 0-9 _ . -)", name,
                     CV_POLICY_NAME_MAX - 1);
        return FALSE;
    }
    other = g_hash_table_lookup(l->def_by_name, name);
    if (other != NULL) {
        set_error_at(error, CV_CONFIG_ERROR_DUPLICATE, f->path, g->line,
                     "policy '%s' is already defined at %s:%u", name, other->path, other->line);
        return FALSE;
    }

    def = g_new0(PolicyDef, 1);
    def->name = g_strdup(name);
    def->path = g_strdup(f->path);
    def->line = g->line;
    g_ptr_array_add(l->defs, def);
    g_hash_table_insert(l->def_by_name, def->name, def);

    for (guint i = 0; i < g->keys->len; i++) {
        const gchar *key = g_ptr_array_index(g->keys, i);
        g_autofree gchar *value = get_value(f, g, key);
        CvConfigPolicyKey k = CV_CONFIG_POLICY_KEY_MAX_DOWNTIME;

        if (g_strcmp0(key, KEY_INHERITS) == 0) {
            if (!cv_config_policy_name_is_valid(value)) {
                set_error_at(error, CV_CONFIG_ERROR_BAD_VALUE, f->path, key_line(g, key),
                             "inherits: invalid policy name '%s'", value);
                return FALSE;
            }
            def->inherits = g_steal_pointer(&value);
            def->inherits_line = key_line(g, key);
            continue;
        }
        if (!cv_config_policy_key_from_string(key, &k)) {
            g_autofree gchar *known = policy_key_list();
            set_error_at(error, CV_CONFIG_ERROR_UNKNOWN_KEY, f->path, key_line(g, key),
                         "unknown key '%s' in [%s] (known: %s)", key, g->name, known);
            return FALSE;
        }
        if (!cv_config_policy_parse_key(&def->own, k, value, error)) {
            g_prefix_error(error, "%s:%u: ", f->path, key_line(g, key));
            return FALSE;
        }
        def->has_key[k] = TRUE;
        def->key_line[k] = key_line(g, key);
    }
    return TRUE;
}

static gboolean
load_domain_group(Loader *l, FileIndex *f, const GroupIndex *g, const gchar *pattern,
                  GError **error)
{
    g_autofree gchar *value = NULL;
    DomainDef *other;
    DomainDef *d;

    if (*pattern == '\0') {
        set_error_at(error, CV_CONFIG_ERROR_BAD_VALUE, f->path, g->line,
                     "empty domain pattern in [domain:]");
        return FALSE;
    }
    other = g_hash_table_lookup(l->domain_by_pattern, pattern);
    if (other != NULL) {
        set_error_at(error, CV_CONFIG_ERROR_DUPLICATE, f->path, g->line,
                     "[domain:%s] is already defined at %s", pattern, other->rule->origin);
        return FALSE;
    }
    for (guint i = 0; i < g->keys->len; i++) {
        const gchar *key = g_ptr_array_index(g->keys, i);

        if (g_strcmp0(key, KEY_POLICY) != 0) {
            set_error_at(error, CV_CONFIG_ERROR_UNKNOWN_KEY, f->path, key_line(g, key),
                         "unknown key '%s' in [%s] (known: policy)", key, g->name);
            return FALSE;
        }
    }
    if (g_hash_table_lookup(g->key_lines, KEY_POLICY) == NULL) {
        set_error_at(error, CV_CONFIG_ERROR_MISSING_KEY, f->path, g->line,
                     "[%s] has no 'policy' key", g->name);
        return FALSE;
    }
    value = get_value(f, g, KEY_POLICY);
    if (!cv_config_policy_name_is_valid(value)) {
        set_error_at(error, CV_CONFIG_ERROR_BAD_VALUE, f->path, key_line(g, KEY_POLICY),
                     "policy: invalid policy name '%s'", value);
        return FALSE;
    }
    d = g_new0(DomainDef, 1);
    d->rule = g_new0(DomainRule, 1);
    d->rule->pattern = g_strdup(pattern);
    d->rule->policy = g_steal_pointer(&value);
    d->rule->origin = origin_string(f->path, g->line);
    d->path = g_strdup(f->path);
    d->policy_line = key_line(g, KEY_POLICY);
    g_ptr_array_add(l->domain_defs, d);
    g_hash_table_insert(l->domain_by_pattern, d->rule->pattern, d);
    return TRUE;
}

static gboolean
load_file(Loader *l, const gchar *path, gboolean is_main, GError **error)
{
    FileIndex *f = file_index_load(path, is_main, error);

    if (f == NULL)
        return FALSE;
    g_ptr_array_add(l->files, f);
    for (guint i = 0; i < f->groups->len; i++) {
        const GroupIndex *g = g_ptr_array_index(f->groups, i);
        gboolean ok;

        if (g_strcmp0(g->name, GROUP_DAEMON) == 0) {
            ok = load_daemon_group(l, f, g, error);
        } else if (g_str_has_prefix(g->name, GROUP_POLICY_PREFIX)) {
            ok = load_policy_group(l, f, g, g->name + strlen(GROUP_POLICY_PREFIX), error);
        } else if (g_str_has_prefix(g->name, GROUP_DOMAIN_PREFIX)) {
            ok = load_domain_group(l, f, g, g->name + strlen(GROUP_DOMAIN_PREFIX), error);
        } else {
            set_error_at(error, CV_CONFIG_ERROR_UNKNOWN_GROUP, f->path, g->line,
                         "unknown group [%s] (expected [daemon], [policy:NAME] or "
                         "[domain:PATTERN])",
                         g->name);
            ok = FALSE;
        }
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gboolean
load_dir(Loader *l, const gchar *dir_path, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &local_error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const gchar *name;

    if (dir == NULL) {
        /* No drop-in directory is the normal case, not an error. */
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        g_set_error(error, CV_CONFIG_ERROR, CV_CONFIG_ERROR_IO, "%s: %s", dir_path,
                    local_error->message);
        return FALSE;
    }
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (name[0] == '.' || !g_str_has_suffix(name, ".conf"))
            continue;
        g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree gchar *path = g_build_filename(dir_path, g_ptr_array_index(names, i), NULL);

        if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
            continue;
        if (!load_file(l, path, FALSE, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- pass 3: inheritance and references ---- */

static gboolean
resolve_def(Loader *l, PolicyDef *def, GPtrArray *stack, GError **error)
{
    CvPolicy base;

    if (def->state == DEF_DONE)
        return TRUE;
    def->state = DEF_RESOLVING;
    g_ptr_array_add(stack, def);

    if (def->inherits != NULL) {
        PolicyDef *parent = g_hash_table_lookup(l->def_by_name, def->inherits);

        if (parent == NULL) {
            set_error_at(error, CV_CONFIG_ERROR_MISSING_POLICY, def->path, def->inherits_line,
                         "inherits: policy '%s' is not defined", def->inherits);
            return FALSE;
        }
        if (parent->state == DEF_RESOLVING) {
            g_autoptr(GString) chain = g_string_new(NULL);
            guint start = 0;

            g_ptr_array_find(stack, parent, &start);
            for (guint i = start; i < stack->len; i++) {
                const PolicyDef *d = g_ptr_array_index(stack, i);
                g_string_append_printf(chain, "%s -> ", d->name);
            }
            g_string_append(chain, parent->name);
            set_error_at(error, CV_CONFIG_ERROR_CYCLE, def->path, def->inherits_line,
                         "inherits: cycle %s", chain->str);
            return FALSE;
        }
        if (!resolve_def(l, parent, stack, error))
            return FALSE;
        base = parent->resolved;
    } else {
        cv_config_policy_init_builtin(&base);
    }

    for (guint k = 0; k < CV_CONFIG_POLICY_N_KEYS; k++) {
        if (def->has_key[k])
            cv_config_policy_copy_key(&base, &def->own, (CvConfigPolicyKey)k);
    }
    if (base.switchover_reserve_ms >= base.max_downtime_ms) {
        CvConfigPolicyKey at = def->has_key[CV_CONFIG_POLICY_KEY_SWITCHOVER_RESERVE]
                                   ? CV_CONFIG_POLICY_KEY_SWITCHOVER_RESERVE
                                   : CV_CONFIG_POLICY_KEY_MAX_DOWNTIME;
        g_autofree gchar *reserve =
            cv_config_policy_format_key(&base, CV_CONFIG_POLICY_KEY_SWITCHOVER_RESERVE);
        g_autofree gchar *cap =
            cv_config_policy_format_key(&base, CV_CONFIG_POLICY_KEY_MAX_DOWNTIME);

        set_error_at(error, CV_CONFIG_ERROR_BAD_VALUE, def->path,
                     def->has_key[at] ? def->key_line[at] : def->line,
                     "[policy:%s]: switchover-reserve %s is not below max-downtime %s: no "
                     "downtime-limit could keep the cap",
                     def->name, reserve, cap);
        return FALSE;
    }
    /* Cleared first so no byte of the parent's name is left behind the new one. */
    memset(base.name, 0, sizeof(base.name));
    g_strlcpy(base.name, def->name, sizeof(base.name));
    def->resolved = base;
    def->state = DEF_DONE;
    g_ptr_array_remove_index(stack, stack->len - 1);
    return TRUE;
}

static gboolean
resolve_all(Loader *l, GError **error)
{
    g_autoptr(GPtrArray) stack = g_ptr_array_new();

    if (g_hash_table_lookup(l->def_by_name, CV_CONFIG_POLICY_DEFAULT) == NULL) {
        PolicyDef *def = g_new0(PolicyDef, 1);

        def->name = g_strdup(CV_CONFIG_POLICY_DEFAULT);
        g_ptr_array_insert(l->defs, 0, def);
        g_hash_table_insert(l->def_by_name, def->name, def);
    }
    for (guint i = 0; i < l->defs->len; i++) {
        if (!resolve_def(l, g_ptr_array_index(l->defs, i), stack, error))
            return FALSE;
    }
    for (guint i = 0; i < l->domain_defs->len; i++) {
        const DomainDef *d = g_ptr_array_index(l->domain_defs, i);

        if (g_hash_table_lookup(l->def_by_name, d->rule->policy) == NULL) {
            set_error_at(error, CV_CONFIG_ERROR_MISSING_POLICY, d->path, d->policy_line,
                         "policy: policy '%s' is not defined", d->rule->policy);
            return FALSE;
        }
    }
    return TRUE;
}

CvConfig *
cv_config_load(const gchar *main_path, const gchar *policies_dir, GError **error)
{
    g_auto(Loader) l = {NULL};

    l.config = config_new_empty();
    l.files = g_ptr_array_new_with_free_func((GDestroyNotify)file_index_free);
    l.defs = g_ptr_array_new_with_free_func((GDestroyNotify)policy_def_free);
    l.def_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    l.domain_defs = g_ptr_array_new_with_free_func((GDestroyNotify)domain_def_free);
    l.domain_by_pattern = g_hash_table_new(g_str_hash, g_str_equal);

    if (main_path != NULL && !load_file(&l, main_path, TRUE, error))
        return NULL;
    if (policies_dir != NULL && !load_dir(&l, policies_dir, error))
        return NULL;
    if (!resolve_all(&l, error))
        return NULL;

    for (guint i = 0; i < l.defs->len; i++) {
        const PolicyDef *def = g_ptr_array_index(l.defs, i);
        g_autofree gchar *origin =
            def->path != NULL ? origin_string(def->path, def->line) : g_strdup(ORIGIN_BUILTIN);

        policy_entry_add(l.config, &def->resolved, origin);
    }
    for (guint i = 0; i < l.domain_defs->len; i++) {
        DomainDef *d = g_ptr_array_index(l.domain_defs, i);
        g_ptr_array_add(l.config->domains, g_steal_pointer(&d->rule));
    }
    return g_steal_pointer(&l.config);
}

gboolean
cv_config_reload(CvConfig **config, const gchar *main_path, const gchar *policies_dir,
                 GError **error)
{
    CvConfig *fresh;

    g_return_val_if_fail(config != NULL, FALSE);
    fresh = cv_config_load(main_path, policies_dir, error);
    if (fresh == NULL)
        return FALSE;
    cv_config_free(*config);
    *config = fresh;
    return TRUE;
}

static gchar *
config_dir(void)
{
    const gchar *env = g_getenv("CONFIGURATION_DIRECTORY");

    /* systemd passes a colon-separated list when the unit names several directories. */
    if (env != NULL && *env != '\0') {
        const gchar *colon = strchr(env, ':');
        return colon != NULL ? g_strndup(env, (gsize)(colon - env)) : g_strdup(env);
    }
    return g_build_filename(SYSCONFDIR, "virt-converge", NULL);
}

gchar *
cv_config_default_path(void)
{
    g_autofree gchar *dir = config_dir();

    return g_build_filename(dir, CV_CONFIG_FILE_NAME, NULL);
}

gchar *
cv_config_default_policies_dir(void)
{
    g_autofree gchar *dir = config_dir();

    return g_build_filename(dir, CV_CONFIG_POLICIES_DIR_NAME, NULL);
}

/* ---- lookups ---- */

const gchar *const *
cv_config_get_uris(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, NULL);
    return (const gchar *const *)config->uris;
}

guint64
cv_config_get_poll_interval_ms(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, 0);
    return config->poll_interval_ms;
}

CvConfigMonitorCommands
cv_config_get_monitor_commands(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, CV_CONFIG_MONITOR_COMMANDS_AUTO);
    return config->monitor_commands;
}

gboolean
cv_config_get_dry_run(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, FALSE);
    return config->dry_run;
}

CvConfigLogLevel
cv_config_get_log_level(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, CV_CONFIG_LOG_LEVEL_MESSAGE);
    return config->log_level;
}

const gchar *
cv_config_get_metrics_file(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, NULL);
    return config->metrics_file;
}

guint64
cv_config_get_history_max_size(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, 0);
    return config->history_max_size;
}

guint
cv_config_get_history_keep(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, 0);
    return config->history_keep;
}

guint
cv_config_get_learned_window(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, CV_LEARNED_WINDOW_DEFAULT);
    return config->learned_window;
}

guint
cv_config_get_learned_min(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, CV_LEARNED_MIN_DEFAULT);
    return config->learned_min;
}

const gchar *
cv_config_get_migration_interface(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, NULL);
    return config->migration_interface;
}

guint64
cv_config_get_link_rate(const CvConfig *config)
{
    g_return_val_if_fail(config != NULL, 0);
    return config->link_rate;
}

const gchar *
cv_config_log_level_to_string(CvConfigLogLevel level)
{
    for (gsize i = 0; i < G_N_ELEMENTS(log_levels); i++) {
        if (log_levels[i].level == level)
            return log_levels[i].nick;
    }
    return NULL;
}

static const PolicyEntry *
lookup_entry(const CvConfig *config, const gchar *name)
{
    if (name == NULL)
        return NULL;
    return g_hash_table_lookup(config->policy_by_name, name);
}

const CvPolicy *
cv_config_get_policy(const CvConfig *config, const gchar *name)
{
    const PolicyEntry *e;

    g_return_val_if_fail(config != NULL, NULL);
    e = lookup_entry(config, name);
    return e != NULL ? &e->policy : NULL;
}

const gchar *
cv_config_get_policy_origin(const CvConfig *config, const gchar *name)
{
    const PolicyEntry *e;

    g_return_val_if_fail(config != NULL, NULL);
    e = lookup_entry(config, name);
    return e != NULL ? e->origin : NULL;
}

gchar **
cv_config_list_policies(const CvConfig *config)
{
    GStrvBuilder *b;
    gchar **names;

    g_return_val_if_fail(config != NULL, NULL);
    b = g_strv_builder_new();
    for (guint i = 0; i < config->policies->len; i++) {
        const PolicyEntry *e = g_ptr_array_index(config->policies, i);
        g_strv_builder_add(b, e->policy.name);
    }
    names = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return names;
}

const gchar *
cv_config_source_to_string(CvConfigSource source)
{
    switch (source) {
    case CV_CONFIG_SOURCE_METADATA:
        return "metadata";
    case CV_CONFIG_SOURCE_DOMAIN:
        return "domain";
    case CV_CONFIG_SOURCE_VFIO:
        return "vfio";
    case CV_CONFIG_SOURCE_DEFAULT:
        return "default";
    default:
        return NULL;
    }
}

void
cv_config_policy_for_domain(const CvConfig *config, const gchar *domain_name,
                            const CvConfigMetadata *metadata, gboolean has_vfio, CvPolicy *policy,
                            CvConfigSource *source, gchar **why)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    const gchar *named = metadata != NULL ? cv_config_metadata_get_policy_name(metadata) : NULL;
    const PolicyEntry *chosen = NULL;
    CvConfigSource src = CV_CONFIG_SOURCE_DEFAULT;
    gboolean vfio = has_vfio || (metadata != NULL && cv_config_metadata_has_vfio(metadata));

    g_return_if_fail(config != NULL);
    g_return_if_fail(policy != NULL);

    if (named != NULL) {
        chosen = lookup_entry(config, named);
        if (chosen != NULL) {
            src = CV_CONFIG_SOURCE_METADATA;
            g_string_append(reason, "named in the domain's metadata");
        } else {
            g_string_append_printf(reason,
                                   "the domain's metadata names policy '%s', which is not "
                                   "defined here; ",
                                   named);
        }
    }
    if (chosen == NULL && domain_name != NULL) {
        for (guint i = 0; i < config->domains->len; i++) {
            const DomainRule *r = g_ptr_array_index(config->domains, i);

            if (!g_pattern_match_simple(r->pattern, domain_name))
                continue;
            chosen = lookup_entry(config, r->policy);
            src = CV_CONFIG_SOURCE_DOMAIN;
            g_string_append_printf(reason, "domain matches [domain:%s] (%s)", r->pattern,
                                   r->origin);
            break;
        }
    }
    if (chosen == NULL && vfio) {
        chosen = lookup_entry(config, CV_CONFIG_POLICY_VFIO);
        if (chosen != NULL) {
            src = CV_CONFIG_SOURCE_VFIO;
            g_string_append(reason, "domain has VFIO host devices");
        }
    }
    if (chosen == NULL) {
        chosen = lookup_entry(config, CV_CONFIG_POLICY_DEFAULT);
        src = CV_CONFIG_SOURCE_DEFAULT;
        if (vfio)
            g_string_append(reason, "domain has VFIO host devices but no 'vfio' policy "
                                    "exists; no other rule applies");
        else
            g_string_append(reason, "no other rule applies");
    }
    /* `default` is always present: cv_config_load() adds the built-in one. */
    g_assert(chosen != NULL);
    *policy = chosen->policy;

    if (metadata != NULL && cv_config_metadata_apply_overrides(metadata, policy) > 0) {
        g_autofree gchar *desc = cv_config_metadata_describe_overrides(metadata);
        g_string_append_printf(reason, "; metadata overrides %s", desc);
        if (policy->switchover_reserve_ms >= policy->max_downtime_ms)
            g_string_append_printf(reason,
                                   "; switchover-reserve %" G_GUINT64_FORMAT
                                   " ms is not below max-downtime %" G_GUINT64_FORMAT
                                   " ms: %" G_GUINT64_FORMAT " ms (a tenth of it) is reserved",
                                   policy->switchover_reserve_ms, policy->max_downtime_ms,
                                   cv_policy_reserve(policy));
    }
    if (source != NULL)
        *source = src;
    if (why != NULL)
        *why = g_string_free(g_steal_pointer(&reason), FALSE);
}
