#!/bin/sh
# bench/run.sh [--quick]: build, run every benchmark, write bench/results/.
#
#   convergence.md + charts/*.svg   every policy on every simulator scenario (cv-bench-converge),
#                                   then ours against the baselines on real QEMU 7.2 (cv-bench-qemu)
#   overhead.md                     what the agent costs (cv-bench-overhead, callgrind)
#   runs.jsonl.gz, qemu.jsonl, overhead.jsonl   the raw measurements behind them
#
# --quick: one seed, QEMU 11.1 semantics only, 10 min horizons, one real QEMU set-up with two
# policies, no instruction counts, a shorter rest; under five minutes on 2 cores (the build
# included). The full run takes about an hour.
# Needs what scripts/deps.sh installs (meson, ninja, gcc, glib, json-glib, libxml2, libvirt);
# qemu-system-x86 and binutils for the real QEMU part, valgrind for instruction counts
# (each part is skipped, and says so, when its tool is missing).
set -eu

QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CV_BENCH_BUILD:-$ROOT/build-bench}
RESULTS=${CV_BENCH_RESULTS:-$ROOT/bench/results}
MODE=full
[ "$QUICK" = 1 ] && MODE=quick
START=$(date +%s)

say() { printf '[%4ds] %s\n' $(($(date +%s) - START)) "$*"; }

if [ ! -f "$BUILD/build.ninja" ]; then
	say "meson setup $BUILD"
	meson setup "$BUILD" -Dbuildtype=debugoptimized -Dtests=true >/dev/null
fi
say "build"
nice ninja -C "$BUILD" bench/cv-bench-converge bench/cv-bench-overhead bench/cv-bench-qemu \
	sim/virt-converge-sim >/dev/null
# the guest payloads for the real QEMU runs (when GNU as and ld exist)
for mb in 16 64 128; do
	nice ninja -C "$BUILD" "bench/dirtier-$mb.elf" >/dev/null 2>&1 || true
done

mkdir -p "$RESULTS/charts"
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	COMMIT="$COMMIT (with uncommitted changes)"
fi
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
MEM=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
MACHINE="$(nproc) cores ($CPU), $MEM RAM, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%Y-%m-%d)"
B=$BUILD/bench
# the scenarios of this tree, not an installed copy
export CV_SIM_SCENARIO_DIR="$ROOT/data/scenarios"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---- convergence on the simulator -------------------------------------------------------
say "convergence benchmark ($MODE)"
if [ "$QUICK" = 1 ]; then
	"$B/cv-bench-converge" run --quick --jobs 2 --horizon 600 --out "$TMP/runs.jsonl" 2>"$TMP/runs.log"
else
	"$B/cv-bench-converge" run --jobs 2 --seeds 3 --horizon 3600 --out "$TMP/runs.jsonl" 2>"$TMP/runs.log"
fi
say "  $(wc -l <"$TMP/runs.jsonl") migrations"

# ---- real QEMU 7.2 -----------------------------------------------------------------------
QEMU=$(command -v qemu-system-x86_64 || true)
: >"$TMP/qemu.jsonl"
if [ -n "$QEMU" ] && [ -f "$B/dirtier-64.elf" ]; then
	if [ "$QUICK" = 1 ]; then
		set -- "64 64 20 ours+link proxmox"
	else
		set -- "64 64 90 qemu nova ovirt-minimal ovirt-suspend proxmox kubevirt-291 kubevirt-248 ours ours+link" \
			"128 64 90 ovirt-suspend proxmox kubevirt-291 ours ours+link" \
			"64 128 90 nova ovirt-suspend proxmox kubevirt-291 kubevirt-248 ours ours+link" \
			"16 32 60 qemu nova proxmox kubevirt-291 ours ours+link"
	fi
	for setup in "$@"; do
		# shellcheck disable=SC2086
		set -- $setup
		region=$1 bw=$2 timeout=$3
		shift 3
		args=""
		for p in "$@"; do args="$args --policy $p"; done
		say "real QEMU 7.2: $region MiB at $bw MiB/s:$args"
		# shellcheck disable=SC2086
		"$B/cv-bench-qemu" --qemu "$QEMU" --kernel-dir "$B" --region "$region" --bandwidth "$bw" \
			--timeout "$timeout" $args >>"$TMP/qemu.jsonl" 2>>"$TMP/qemu.log" ||
			say "  (some runs failed: $(tail -1 "$TMP/qemu.log"))"
	done
else
	say "real QEMU 7.2: skipped (qemu-system-x86_64 or the guest payload is missing)"
fi

say "report: convergence.md, charts"
"$B/cv-bench-converge" report --in "$TMP/runs.jsonl" --qemu "$TMP/qemu.jsonl" \
	--out-dir "$RESULTS" --commit "$COMMIT" --machine "$MACHINE" --mode "$MODE"
gzip -9 -c "$TMP/runs.jsonl" >"$RESULTS/runs.jsonl.gz"
cp "$TMP/qemu.jsonl" "$RESULTS/qemu.jsonl"

# ---- cost of the agent ---------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
	N=50000 SCALE=200 IDLE=1000 IDLE_S=10
else
	N=300000 SCALE=200 IDLE=1000 IDLE_S=30
fi
say "overhead: replay and flood"
"$B/cv-bench-overhead" replay --n "$N" --corpus "$TMP/corpus.txt" >"$TMP/overhead.jsonl"
"$B/cv-bench-overhead" flood --n "$N" >>"$TMP/overhead.jsonl"
if [ "$QUICK" = 1 ]; then
	say "overhead: instruction counts skipped (--quick)"
elif command -v valgrind >/dev/null; then
	say "overhead: instruction counts (callgrind)"
	for what in replay flood; do
		for n in 2000 12000; do
			corpus=""
			[ "$what" = replay ] && corpus="--corpus $TMP/corpus.txt"
			# shellcheck disable=SC2086
			valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$what.$n" \
				"$B/cv-bench-overhead" "$what" --n "$n" $corpus >/dev/null 2>&1
		done
		a=$(sed -n 's/^summary: //p' "$TMP/cg.$what.2000")
		b=$(sed -n 's/^summary: //p' "$TMP/cg.$what.12000")
		echo "{\"kind\":\"callgrind\",\"what\":\"$what\",\"ir_per_item\":$(((b - a) / 10000))}" \
			>>"$TMP/overhead.jsonl"
	done
else
	say "overhead: instruction counts skipped (no valgrind)"
fi
say "overhead: $SCALE concurrent migrations, one simulator"
"$B/cv-bench-overhead" scale --instances "$SCALE" --speed 5 --sim "$BUILD/sim/virt-converge-sim" \
	>>"$TMP/overhead.jsonl"
say "overhead: $IDLE idle watched QEMUs for $IDLE_S s"
"$B/cv-bench-overhead" idle --instances "$IDLE" --speed 1 --seconds "$IDLE_S" \
	--sim "$BUILD/sim/virt-converge-sim" >>"$TMP/overhead.jsonl"
cp "$TMP/overhead.jsonl" "$RESULTS/overhead.jsonl"
"$B/cv-bench-overhead" report --in "$TMP/overhead.jsonl" --out "$RESULTS/overhead.md" \
	--machine "$MACHINE" --commit "$COMMIT" --mode "$MODE"

say "done: $RESULTS/convergence.md, $RESULTS/overhead.md, $RESULTS/charts/"
