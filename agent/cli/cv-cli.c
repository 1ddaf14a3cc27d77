/* virt-converge: a virsh-like front end. main() only finds the command in the table; each
 * command parses its own options. */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cv-cli.h"

static const CvCliCommand commands[] = {
    {"list", cv_cli_list, "", "the domains with an outgoing migration, one line each"},
    {"tune", cv_cli_tune, "DOM", "tune a running (or about to start) migration to the end"},
    {"status", cv_cli_status, "DOM", "one reading, the verdict and what the engine would set"},
    {"watch", cv_cli_watch, "DOM", "a live view of a migration, redrawn each iteration"},
    {"migrate", cv_cli_migrate, "DOM DESTURI", "migrate as virsh would, tuned to the end"},
    {"check", cv_cli_check, "DOM", "dirty rate, VFIO devices: can the policy converge it?"},
    {"policy", cv_cli_policy, "list|show|set|unset",
     "the configured policies; a domain's policy in its <metadata>"},
    {"simulate", cv_cli_simulate, "SCENARIO",
     "tune a migration of the simulator, print the timeline"},
    {"history", cv_cli_history, "[DOM]", "decisions and outcomes virt-converged recorded"},
};

static void
print_usage(FILE *out, const gchar *prgname)
{
    fprintf(out,
            "Usage: %s [-c URI] [-v] COMMAND [OPTIONS]\n"
            "\n"
            "Make QEMU live migrations converge with the least downtime the link allows.\n"
            "\n"
            "Commands:\n",
            prgname);
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-9s %-20s %s\n", commands[i].name, commands[i].parameters,
                commands[i].summary);
    fprintf(out, "  %-9s %-20s %s\n", "help", "[COMMAND]", "this text, or a command's options");
    fprintf(out, "\n"
                 "Global options:\n"
                 "  -c, --connect URI   libvirt URI, as virsh (default: LIBVIRT_DEFAULT_URI, else\n"
                 "                      libvirt's choice); not used with --qmp\n"
                 "  -v, --verbose       log decisions and QMP traffic on stderr\n"
                 "  -V, --version       print the version\n"
                 "  -h, --help          this text\n"
                 "\n"
                 "DOM is a libvirt domain's name, UUID or id on -c URI. tune, status and watch\n"
                 "also take --qmp PATH instead, for a QEMU that libvirt does not manage.\n"
                 "\n"
                 "Exit status of tune, migrate and simulate: 0 completed, 1 usage or internal\n"
                 "error (an unknown domain, permission denied), 2 migration failed, 3 cancelled\n"
                 "by someone else, 4 aborted by the policy, 5 the domain or QEMU went away,\n"
                 "6 stopped watching a running migration, 7 no migration.\n"
                 "See virt-converge(1).\n");
}

static const CvCliCommand *
find_command(const gchar *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_strcmp0(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static gint
run_help(CvCliGlobal *global, const gchar *topic)
{
    const CvCliCommand *cmd;
    gchar *argv[] = {NULL, (gchar *)"--help", NULL};

    if (topic == NULL) {
        print_usage(stdout, global->prgname);
        return CV_CLI_EXIT_OK;
    }
    cmd = find_command(topic);
    if (cmd == NULL) {
        cv_cli_error("help", "unknown command '%s'", topic);
        return CV_CLI_EXIT_ERROR;
    }
    argv[0] = (gchar *)cmd->name;
    return cmd->handler(global, 2, argv);
}

int
main(int argc, char **argv)
{
    g_auto(CvCliGlobal) global = {0};
    const CvCliCommand *cmd;
    gint i;

    setlocale(LC_ALL, "");
    /* A libvirtd that goes away mid-call must cost an error, not the process (as virsh). */
    signal(SIGPIPE, SIG_IGN);
    global.prgname = "virt-converge";
    g_set_prgname(global.prgname);

    /* Global options come before the command; the command's own parser takes the rest. */
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const gchar *arg = argv[i];

        if (g_str_equal(arg, "-h") || g_str_equal(arg, "--help")) {
            print_usage(stdout, global.prgname);
            return CV_CLI_EXIT_OK;
        } else if (g_str_equal(arg, "-V") || g_str_equal(arg, "--version")) {
            printf("%s %s\n", global.prgname, PACKAGE_VERSION);
            return CV_CLI_EXIT_OK;
        } else if (g_str_equal(arg, "-v") || g_str_equal(arg, "--verbose")) {
            global.verbose = TRUE;
        } else if (g_str_equal(arg, "-c") || g_str_equal(arg, "--connect")) {
            if (i + 1 >= argc) {
                cv_cli_error(NULL, "%s needs a URI", arg);
                return CV_CLI_EXIT_ERROR;
            }
            g_free(global.connect_uri);
            global.connect_uri = g_strdup(argv[++i]);
        } else if (g_str_has_prefix(arg, "--connect=")) {
            g_free(global.connect_uri);
            global.connect_uri = g_strdup(arg + strlen("--connect="));
        } else {
            cv_cli_error(NULL, "unknown option %s (see '%s help')", arg, global.prgname);
            return CV_CLI_EXIT_ERROR;
        }
    }
    if (i >= argc) {
        print_usage(stderr, global.prgname);
        return CV_CLI_EXIT_ERROR;
    }
    if (g_str_equal(argv[i], "help"))
        return run_help(&global, i + 1 < argc ? argv[i + 1] : NULL);
    cmd = find_command(argv[i]);
    if (cmd == NULL) {
        cv_cli_error(NULL, "unknown command '%s' (see '%s help')", argv[i], global.prgname);
        return CV_CLI_EXIT_ERROR;
    }
    cv_cli_apply_verbose(&global);
    return cmd->handler(&global, argc - i, argv + i);
}
