#!/bin/sh
# Fails when any C source we own differs from what .clang-format makes of it.
set -eu
top=$1
cd "$top"
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || { echo "no C files found"; exit 1; }
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "clang-format: $(echo "$files" | wc -w) files clean"
