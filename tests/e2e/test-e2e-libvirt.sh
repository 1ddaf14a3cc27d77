#!/bin/bash
# e2e against a REAL libvirtd: two libvirtd instances on this machine, each in its own mount and
# UTS namespace with its own host UUID (lv-instance.sh), migrate the memory-dirtying guest
# (dirtier.S, 64 MiB re-dirtied every millisecond) with `virsh migrate --live --p2p` at 64 MiB/s,
# which never converges under libvirt's 300 ms downtime limit. virt-converge, through the libvirt
# target, has to make it converge, and every claim is checked against what libvirt and QEMU say
# (virsh migrate-getmaxdowntime, the completed job statistics), not against our own output.
#
# TAP output. Needs root, unshare(1), libvirtd, virsh and qemu-system-x86_64; without them the
# suite is SKIPPED with the reason. The daemons are started once (each probes QEMU for a few
# seconds) and every case resets the guest to the source. Durations are never asserted: waits
# are hang guards far above what a case needs.
set -uo pipefail

CLI=${CV_E2E_CLI:?}
KERNEL=${CV_E2E_KERNEL:?}
HERE=$(cd "$(dirname "$0")" && pwd)
CAP_MS=2000     # the converging policy's cap: ~1000 ms needed + margin
LOW_CAP_MS=800  # the holding policy's cap: below the ~1000 ms this guest needs
BW=64           # MiB/s: 64 MiB region / 64 MiB/s = the 1000 ms QEMU expects

# CV_E2E_LIBVIRT_CASES=16 runs cases 1 and 6 only (debugging)
CASES=${CV_E2E_LIBVIRT_CASES:-1234567}
want() { [[ $CASES == *$1* ]]; }
# the harness shared with test-e2e-daemon.sh, on migration ports of this suite's own
LV_SRC_PORT=49720
LV_DST_PORT=49800
# shellcheck source=lv-pair.sh
source "$HERE/lv-pair.sh"
# tune and migrate record what a completed migration taught (a job window on libvirt 9.0): into
# the work directory, never the host's state directory
export STATE_DIRECTORY=$W/state

cat >"$W/virt-converged.conf" <<CONF
[policy:e2e]
max-downtime = ${CAP_MS}ms
stall-window = 3
escalation = wait

# the low cap cannot converge this guest: the engine waits for the patience before it accepts
# the cap's pause (2 min by default); 5 s keeps the suite quick
[policy:e2e-hold]
max-downtime = ${LOW_CAP_MS}ms
stall-window = 3
escalation = wait
patience = 5s

# the policy the domain's metadata names in the migrate case
[policy:e2e-meta]
max-downtime = ${CAP_MS}ms
stall-window = 3
escalation = wait

# states a link rate: QEMU 7.2 has no avail-switchover-bandwidth, so the limit may exceed the
# cap while limit x max-bandwidth / link stays within it (architecture.md)
[policy:e2e-link]
max-downtime = 500ms
switchover-bandwidth = 1GiB/s
stall-window = 3
escalation = wait
CONF
CONF="$W/virt-converged.conf"

vc() { "$CLI" -c "$SRC" "$@"; }

# The tune JSON summary as key=value lines, and every applied downtime-limit.
json_summary() { # FILE KEY
    python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        if r.get("record") == "summary":
            v = r.get(sys.argv[2])
            print("" if v is None else v)
PY
}
applied_limits() { # FILE -> one value per applied set-downtime-limit
    python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        if r.get("record") == "action" and r.get("action") == "set-downtime-limit" and r.get("result") == "applied":
            print(r["value"])
PY
}
# Issue 7's promise, for every case whose migration completed: QEMU's achieved downtime, as
# libvirt's completed job keeps it (not our own output), within the policy's cap, and the CLI
# did not end cap-broken (exit 8). Sets ACHIEVED.
check_within_cap() { # LABEL CAP_MS EXIT
    ACHIEVED=$(completed_downtime)
    # shellcheck disable=SC2086
    check "$1: achieved downtime ${ACHIEVED:-?} ms (libvirt's completed job) within the $2 ms cap" \
        all_within "$2" $ACHIEVED
    check "$1: not cap-broken (exit $3, not 8)" [ "$3" != 8 ]
}

# ---- 1. tune started after the migration began makes it complete ---------------------------
if want 1; then

reset_guest || { echo "1..1"; not_ok "the guest boots on the source"; exit 1; }
start_migration && wait_iterations 2
it_before=$(iteration)
vc tune dirtier --policy e2e --config "$CONF" --json >"$W/tune.json" 2>"$W/tune.err"
rc=$?
finish_migration
check "tune: exits 0 (completed), after attaching at iteration ${it_before:-?}" [ $rc = 0 ]
check "tune: virsh migrate succeeded" [ "$MIGRC" = 0 ]
check "tune: the guest runs on the destination" \
    [ "$(virsh -c "$DST" domstate dirtier 2>/dev/null | head -1)" = running ]
limits=$(applied_limits "$W/tune.json")
# shellcheck disable=SC2086
check "tune: applied downtime-limits ($(echo $limits)) all within the ${CAP_MS} ms cap" all_within $CAP_MS $limits
check_within_cap tune $CAP_MS $rc
check "tune: the summary's downtime equals libvirt's (${ACHIEVED:-?} ms)" \
    [ "$(json_summary "$W/tune.json" downtime-ms)" = "$ACHIEVED" ]
[ $rc = 0 ] || { diag "$W/tune.err"; tail -3 "$W/tune.json" | diag /dev/stdin; }
fi

# ---- 2. --dry-run changes nothing ---------------------------------------------------------
if want 2; then

reset_guest && start_migration && wait_iterations 1
vc tune dirtier --policy e2e --config "$CONF" --dry-run --max-passes 8 --json >"$W/dry.json" 2>"$W/dry.err"
rc=$?
check "dry run: stops watching after 8 evaluations (exit 6)" [ $rc = 6 ]
check "dry run: it would have raised the limit" grep -q '"result":"dry-run"' "$W/dry.json"
check "dry run: virsh migrate-getmaxdowntime still 300" \
    [ "$(virsh -c "$SRC" migrate-getmaxdowntime dirtier | head -1)" = 300 ]
check "dry run: the migration is still running" kill -0 "$MIGPID"
virsh -c "$SRC" domjobabort dirtier >/dev/null 2>&1
finish_migration
fi

# ---- 3. domjobabort: the parameters are restored ------------------------------------------
if want 3; then

reset_guest && start_migration && wait_iterations 1
vc tune dirtier --policy e2e-hold --config "$CONF" --json >"$W/hold.json" 2>"$W/hold.err" &
TUNEPID=$!
raised=
for _ in $(seq 600); do
    raised=$(applied_limits "$W/hold.json" | tail -1)
    [ -n "$raised" ] && break
    sleep 0.05
done
now=$(virsh -c "$SRC" migrate-getmaxdowntime dirtier | head -1)
vc list >"$W/list.out" 2>&1
check "list: shows the migrating domain with its limit" \
    grep -Eq "^dirtier +[0-9]+ .* $raised ms " "$W/list.out"
vc status dirtier --json >"$W/status.json" 2>&1
check "status: active, read on a read-only connection" grep -q '"status":"active"' "$W/status.json"
timeout -s INT 3 "$CLI" -c "$SRC" watch dirtier >"$W/watch.out" 2>&1
check "watch: one line per iteration until interrupted" \
    test "$(grep -Ec '^ +[0-9.]+s +[0-9]+ ' "$W/watch.out")" -ge 1
check "abort: the tuner raised the limit to ${raised:-nothing} ms, within the ${LOW_CAP_MS} ms cap" \
    all_within $LOW_CAP_MS $raised
check "abort: virsh migrate-getmaxdowntime agrees ($now ms)" test -n "$raised" -a "$now" = "$raised"
virsh -c "$SRC" domjobabort dirtier >/dev/null 2>&1
wait $TUNEPID; rc=$?
finish_migration
check "abort: tune exits 3 (cancelled by someone else)" [ $rc = 3 ]
check "abort: downtime-limit back to 300 ms" \
    [ "$(virsh -c "$SRC" migrate-getmaxdowntime dirtier | head -1)" = 300 ]
check "abort: the guest still runs on the source" \
    [ "$(virsh -c "$SRC" domstate dirtier | head -1)" = running ]
[ $rc = 3 ] || diag "$W/hold.err"
fi

# ---- 4. virt-converge migrate, with the policy the domain's metadata names ----------------
if want 4; then

reset_guest
vc policy set dirtier e2e-meta --config "$CONF" >"$W/policy.out" 2>&1
check "policy set: written live and persistent" grep -q 'live and persistent config' "$W/policy.out"
check "policy set: in the domain's XML" \
    sh -c "virsh -c '$SRC' dumpxml dirtier | grep -Eq '<[a-z]+:policy [^>]*name=\"e2e-meta\"'"
check "policy set: in the persistent definition" \
    sh -c "virsh -c '$SRC' dumpxml --inactive dirtier | grep -Eq '<[a-z]+:policy [^>]*name=\"e2e-meta\"'"
vc migrate dirtier "$DST" --live --p2p --migrateuri tcp://127.0.0.1 --bandwidth $BW \
    --config "$CONF" >"$W/migrate-cv.out" 2>"$W/migrate-cv.err"
rc=$?
check "migrate: exits 0 (completed)" [ $rc = 0 ]
check "migrate: tuned with the metadata's policy" \
    grep -q "policy 'e2e-meta' (named in the domain's metadata)" "$W/migrate-cv.out"
check "migrate: the guest runs on the destination" \
    [ "$(virsh -c "$DST" domstate dirtier 2>/dev/null | head -1)" = running ]
check_within_cap migrate $CAP_MS $rc
[ $rc = 0 ] || diag "$W/migrate-cv.err"
reset_guest
vc policy unset dirtier >/dev/null 2>&1
check "policy unset: gone from the live and persistent XML" \
    sh -c "! virsh -c '$SRC' dumpxml dirtier | grep -q e2e-meta && ! virsh -c '$SRC' dumpxml --inactive dirtier | grep -q e2e-meta"
vc policy set dirtier no-such-policy --config "$CONF" >/dev/null 2>"$W/policy.err"
check "policy set: an undefined policy is refused, nothing written" \
    sh -c "[ $? = 1 ] && grep -q \"unknown policy 'no-such-policy'\" '$W/policy.err' && ! virsh -c '$SRC' dumpxml dirtier | grep -q no-such-policy"
vc status no-such-domain >/dev/null 2>"$W/nodom.err"
check "status: an unknown domain is a clear error (exit 1)" \
    sh -c "[ $? = 1 ] && grep -q \"no domain 'no-such-domain'\" '$W/nodom.err'"
fi

# ---- 5. monitor-commands = never: job statistics alone converge it, no taint --------------
if want 5; then

reset_guest && start_migration && wait_iterations 1
taints_before=$(grep -c 'custom-monitor' "$W/src/log/qemu/dirtier.log" 2>/dev/null)
vc tune dirtier --policy e2e-link --config "$CONF" --monitor-commands never --json \
    >"$W/never.json" 2>"$W/never.err"
rc=$?
finish_migration
taints_after=$(grep -c 'custom-monitor' "$W/src/log/qemu/dirtier.log" 2>/dev/null)
check "never: exits 0 (completed)" [ $rc = 0 ]
check "never: the domain was not tainted (custom-monitor lines: ${taints_before:-0} -> ${taints_after:-0})" \
    [ "${taints_before:-0}" = "${taints_after:-0}" ]
check_within_cap never 500 $rc
[ $rc = 0 ] || diag "$W/never.err"
fi

# ---- 6. libvirtd restarted mid-migration -------------------------------------------------
if want 6; then

reset_guest && start_migration && wait_iterations 1
vc tune dirtier --policy e2e-hold --config "$CONF" >"$W/restart.out" 2>"$W/restart.err" &
TUNEPID=$!
for _ in $(seq 600); do grep -q 'applied: downtime-limit' "$W/restart.out" && break; sleep 0.05; done
# Killed, as a crash that systemd restarts: on SIGTERM libvirtd would first wait 30 s for the
# migration call it serves (measured), which the tuner's 90 s reconnect window also covers but
# this suite does not need to spend. QEMU lives on; the new libvirtd reconnects to it.
echo "# $(date +%T.%N) killing the source libvirtd"
kill -KILL "$SRCPID"; wait "$SRCPID" 2>/dev/null
echo "# $(date +%T.%N) stopped; starting it again"
rm -f "$W/src/sock/libvirt-sock"
lv_start_libvirtd src $SRC_UUID "$LV_SRC_PORT"; SRCPID=$DAEMONPID
lv_wait_socket src
echo "# $(date +%T.%N) its socket is back"
virsh -c "$SRC" list >/dev/null 2>&1 || { echo "# the restarted libvirtd does not answer"; diag "$W/src.out"; tail -5 "$W/src/log/libvirtd.log" | diag /dev/stdin; }
wait $TUNEPID; rc=$?
finish_migration
check "restart: the tuner reconnected and says so" grep -q 'reconnected to libvirt' "$W/restart.err"
check "restart: it ends by telling how (exit $rc: 0 completed or 3 cancelled by libvirtd's recovery)" \
    test $rc = 0 -o $rc = 3
# completed after all: then within the e2e-hold policy's cap, like every other completion
[ $rc = 0 ] && check_within_cap restart $LOW_CAP_MS $rc
if [ $rc = 3 ]; then
    check "restart: says libvirtd's restart cancelled the migration" \
        grep -q "its restart cancelled the migration" "$W/restart.err"
    check "restart: cancelled, so the downtime-limit is back to 300 ms" \
        [ "$(virsh -c "$SRC" migrate-getmaxdowntime dirtier | head -1)" = 300 ]
fi
diag "$W/restart.err"
tail -4 "$W/restart.out" | diag /dev/stdin
fi

# ---- 7. monitor-commands = auto: the link-rate policy goes through QEMU's monitor ---------
if want 7; then
reset_guest && start_migration && wait_iterations 1
taints_before=$(grep -c 'custom-monitor' "$W/src/log/qemu/dirtier.log" 2>/dev/null)
vc tune dirtier --policy e2e-link --config "$CONF" --monitor-commands auto \
    >"$W/auto.out" 2>"$W/auto.err"
rc=$?
finish_migration
taints_after=$(grep -c 'custom-monitor' "$W/src/log/qemu/dirtier.log" 2>/dev/null)
check "auto: exits 0 (completed)" [ $rc = 0 ]
check "auto: says once why it uses QEMU's monitor" \
    test "$(grep -c "using QEMU's monitor through libvirt because the policy sets avail-switchover-bandwidth" "$W/auto.err")" = 1
check "auto: libvirt tainted the domain (custom-monitor lines: ${taints_before:-0} -> ${taints_after:-0})" \
    test "${taints_after:-0}" -gt "${taints_before:-0}"
check_within_cap auto 500 $rc
[ $rc = 0 ] || diag "$W/auto.err"
fi

echo "1..$n"
[ $failed = 0 ]
