#!/bin/sh
# No shell, ever (issue 11): the dynamic symbols the built binaries import. virt-converged
# starts no process at all; virt-converge starts only the simulator (`simulate`), through
# GSubprocessLauncher with an argument vector, never a shell command line.
#   lint-no-spawn.sh DAEMON CLI
set -eu
daemon=$1
cli=$2
status=0

# process creation of any kind, and the shell entry points
any='^(system|popen|fork|vfork|clone|clone3|posix_spawnp?|exec[lv]p?e?|execvpe|fexecve|wordexp|g_spawn_(async|sync|command_line)[a-z_]*|g_subprocess_[a-z_]*)$'
shell='^(system|popen|wordexp|g_spawn_command_line[a-z_]*|exec[lv]p?e?|execvpe|fexecve|posix_spawnp?|fork|vfork)$'

imports() {
    nm -D --undefined-only "$1" | awk '{ print $NF }' | sed 's/@.*//'
}

found=$(imports "$daemon" | grep -E "$any" || true)
if [ -n "$found" ]; then
    echo "$daemon starts processes: $found"
    status=1
else
    echo "$daemon: imports no process-creating function"
fi
found=$(imports "$cli" | grep -E "$shell" || true)
if [ -n "$found" ]; then
    echo "$cli imports: $found"
    status=1
else
    echo "$cli: no shell entry point (GSubprocess imports: $(imports "$cli" | grep -c '^g_subprocess_'), for the simulator)"
fi
exit $status
