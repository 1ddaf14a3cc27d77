#!/bin/sh
# Run every libFuzzer target for SECONDS (default 60) each, one after the other, niced.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Builds build-fuzz/ (clang, -Dfuzzing=true, ASan+UBSan) when it is missing. The seed corpus
# fuzz/corpus/NAME is read, never written: new inputs go to $FUZZ_OUT/corpus-NAME and crash
# reproducers to $FUZZ_OUT/NAME-crash-*; copy a reproducer into fuzz/corpus/NAME once fixed,
# and the corpus replay unit tests run it in every build. Exit status 1 when any target crashed.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-qmp-line jobstats config metadata state learned}
build=${FUZZ_BUILD:-$src/build-fuzz}
out=${FUZZ_OUT:-$build/fuzz-out}

case $seconds in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2
    exit 2
    ;;
esac

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz/run.sh: clang is missing; installing it (apt-get install clang) for libFuzzer" >&2
    apt-get install -y clang >/dev/null || {
        echo "fuzz/run.sh: cannot install clang: run as root, or install it yourself" >&2
        exit 1
    }
fi
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dsim=false -De2e=disabled -Dman=disabled
fi
for t in $targets; do
    ninja -C "$build" "fuzz/fuzz-$t" >/dev/null
done

mkdir -p "$out"
status=0
printf '%-10s %8s %12s %7s %7s %8s\n' target seconds executions cov ft crashes
for t in $targets; do
    seeds=$src/fuzz/corpus/$t
    [ "$t" = qmp-line ] && seeds=$src/fuzz/corpus/qmp
    mkdir -p "$out/corpus-$t"
    log=$out/$t.log
    stamp=$out/.$t.start
    : >"$stamp"
    start=$(date +%s)
    # -timeout: a single input that takes this long is a hang, reported like a crash
    rc=0
    # handle_sigtrap: a fatal GLib message (g_error, or a warning made fatal) raises SIGTRAP,
    # which libFuzzer alone would not save as a crash input
    ASAN_OPTIONS=handle_sigtrap=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        G_DEBUG=fatal-warnings \
        nice -n 19 "$build/fuzz/fuzz-$t" -max_total_time="$seconds" -timeout=25 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$t-" \
        "$out/corpus-$t" "$seeds" >"$log" 2>&1 || rc=$?
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1)
    cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    # a run that crashed prints no final stats: its last status line says how far it got
    [ -z "$execs" ] && execs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
    crashes=$(find "$out" -maxdepth 1 -name "$t-*" -newer "$stamp" 2>/dev/null | wc -l)
    [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
    printf '%-10s %8s %12s %7s %7s %8s\n' "$t" "$((end - start))" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "$crashes"
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "  $t: libFuzzer exited $rc; see $log and $out/$t-*" >&2
    fi
done
exit $status
