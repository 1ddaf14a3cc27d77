#!/bin/sh
# The unit as built: `systemd-analyze verify` (no man-page lookups: the install test checks the
# pages), and `systemd-analyze security --offline=true`, whose overall exposure is printed into
# the test log and must stay at or under 2.0 (issue 11).
set -eu
unit=$1
limit=2.0

systemd-analyze verify --man=no "$unit"
echo "systemd-analyze verify: $unit: no errors"

report=$(systemd-analyze security --offline=true "$unit" 2>&1) || {
    echo "$report"
    exit 1
}
line=$(printf '%s\n' "$report" | grep 'Overall exposure level' || true)
exposure=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9][0-9.]*\) .*/\1/p')
if [ -z "$exposure" ]; then
    printf '%s\n' "$report"
    echo "no overall exposure level in the report"
    exit 1
fi
# what is not fully protected, for the record
printf '%s\n' "$report" | grep '✗' || true
echo "systemd-analyze security: exposure $exposure (limit $limit)"
awk -v e="$exposure" -v l="$limit" 'BEGIN { exit !(e <= l) }' || {
    echo "exposure $exposure is above $limit"
    exit 1
}
