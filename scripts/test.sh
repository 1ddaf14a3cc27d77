#!/bin/bash
# The README's test command: install what is missing, build with -Werror, run every suite,
# then run the unit and load suites again under ASan/UBSan (LeakSanitizer checks the load
# suite's 1,000 daemon-tuned migrations for leaks). Ends with "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. scripts/deps.sh

# shellcheck disable=SC2086
cv_install_missing $CV_BUILD_PACKAGES $CV_TEST_PACKAGES || exit 1

build=${CV_BUILD_DIR:-$top/build-ci}
asan=${CV_ASAN_DIR:-$top/build-asan}
rm -rf "$build" "$asan"
status=0

echo "== configure + build ($build, -Dwerror=true)"
if ! meson setup "$build" -Dwerror=true -Dtests_speed=quick >"$top/.setup.log" 2>&1; then
    cat "$top/.setup.log"; echo "tests: 0 passed, 1 failed"; exit 1
fi
if ! ninja -C "$build" >"$top/.build.log" 2>&1; then
    tail -60 "$top/.build.log"; echo "tests: 0 passed, 1 failed"; exit 1
fi

echo "== all suites"
meson test -C "$build" --print-errorlogs --num-processes 2 || status=1

echo "== unit and load suites under ASan + UBSan ($asan)"
# GCC's -fsanitize=undefined leaves out float-cast-overflow (a double too large for the
# integer it is converted to); the engine computes limits in doubles, so add it.
ubsan_extra=-fsanitize=float-cast-overflow
if meson setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true \
        -Dc_args="$ubsan_extra" -Dc_link_args="$ubsan_extra" \
        -Dsim=true >"$top/.setup-asan.log" 2>&1 && ninja -C "$asan" >"$top/.build-asan.log" 2>&1; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        meson test -C "$asan" --suite unit --suite load --print-errorlogs --num-processes 2 || status=1
else
    tail -40 "$top/.setup-asan.log" "$top/.build-asan.log"
    echo "asan build failed"
    status=1
fi

# Count from meson's own records, both runs.
python3 - "$build/meson-logs/testlog.json" "$asan/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        print("missing test log: " + path)
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
tail = ", %d skipped" % skipped if skipped else ""
print("tests: %d passed, %d failed%s" % (passed, failed, tail))
sys.exit(1 if failed else 0)
PY
count=$?
[ $count -ne 0 ] && status=1
exit $status
