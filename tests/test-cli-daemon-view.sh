#!/bin/bash
# `virt-converge list` shows the daemon's view: a real virt-converged (watching libvirt's
# in-process test:///default driver, so no libvirtd is needed) publishes its daemon.json; a
# migration document in its runtime directory (tests/data/daemon/status.json, the format the
# daemon writes, pointed at the driver's domain "test") is what `list` must show for that
# domain, and only while the daemon runs. TAP. Needs python3.
set -uo pipefail

CLI=${CV_CLI:?}
DAEMON=${CV_DAEMON:?}
SRCDIR=${G_TEST_SRCDIR:?}
URI=test:///default
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
diag() { sed 's/^/# /' "$@" 2>/dev/null; }

W=$(mktemp -d /tmp/cv-cli-daemon-view.XXXXXX)
DPID=
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/state" "$W/run"

vc() { "$CLI" -c "$URI" "$@"; }
json_get() { # EXPR < JSON: a python expression over the document j
    python3 -c 'import json, sys
j = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1"
}

vc list --all --runtime-dir "$W/run" >"$W/none.out" 2>&1
check "no daemon: the DAEMON column says so" grep -Eq '^test .* no daemon$' "$W/none.out"

STATE_DIRECTORY=$W/state RUNTIME_DIRECTORY=$W/run "$DAEMON" --connect "$URI" --foreground \
    >"$W/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 200); do grep -qs "\"pid\":$DPID" "$W/run/daemon.json" && break; sleep 0.05; done
check "the daemon publishes daemon.json" grep -qs "\"pid\":$DPID" "$W/run/daemon.json"

vc list --all --runtime-dir "$W/run" >"$W/idle.out" 2>&1
check "daemon running, nothing tuned: 'not tuned'" grep -Eq '^test .* not tuned$' "$W/idle.out"

uuid=$(vc list --all --json --runtime-dir "$W/run" | json_get 'j["migrations"][0]["uuid"]')
ID=6b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b
mkdir -p "$W/run/migrations"
sed -e "s/0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b/$ID/" -e 's/"domain":"vgpu-1"/"domain":"test"/' \
    -e "s/4d5e6f70-8192-4a3b-8c4d-5e6f70819203/$uuid/" -e "s|qemu:///system|$URI|" \
    "$SRCDIR/data/daemon/status.json" >"$W/run/migrations/$ID.json"

vc list --all --runtime-dir "$W/run" >"$W/tuned.out" 2>&1
check "tuned: the daemon's policy, its source, its verdict, switchover rate and where it came from, state and place on the shared link" \
    grep -Eq '^test .* stalled +vfio \(vfio\) +1\.16 GiB/s \[daemon\] link +tuning, 1 change, waits for the link \(#1 behind vgpu-2\)$' "$W/tuned.out"
vc list --all --json --runtime-dir "$W/run" >"$W/tuned.json" 2>&1
check "tuned, --json: the daemon's pid and its document" \
    test "$(json_get '(j["daemon-pid"], j["migrations"][0]["daemon"]["migration-id"], j["migrations"][0]["daemon"]["link"]["holder"])' <"$W/tuned.json")" = "($DPID, '$ID', 'vgpu-2')"

# the same document for another URI is another host's domain
sed -i "s|\"uri\":\"$URI\"|\"uri\":\"qemu+tls://elsewhere/system\"|" "$W/run/migrations/$ID.json"
vc list --all --runtime-dir "$W/run" >"$W/other.out" 2>&1
check "a document of another URI is not this domain's" grep -Eq '^test .* not tuned$' "$W/other.out"

kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
vc list --all --runtime-dir "$W/run" >"$W/stopped.out" 2>&1
check "daemon stopped: its documents are not shown" grep -Eq '^test .* no daemon$' "$W/stopped.out"

for f in none idle tuned other stopped; do diag "$W/$f.out"; done
echo "1..$n"
[ $failed = 0 ]
