# lv-pair.sh: sourced by an e2e script (bash). Starts two real libvirtd instances ("src" and
# "dst", each in its own mount and UTS namespace, lv-instance.sh), defines the memory-dirtying
# guest (dirtier.S) on the source, and gives the helpers a case needs: reset the guest, start a
# `virsh migrate --live --p2p` in the background, wait for it, read libvirt's own numbers.
# Used by test-e2e-libvirt.sh and test-e2e-daemon.sh. Prints TAP; skips the whole suite, saying why,
# without root, unshare, libvirtd or virsh.
#
# Before sourcing: KERNEL (the guest), BW (MiB/s, the migration's max-bandwidth).
# After: W (work dir, removed at exit), SRC, DST (URIs), SRCPID, DSTPID; define lv_cleanup_extra
# to stop processes of your own before the daemons go.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
diag() { sed 's/^/# /' "$@" 2>/dev/null; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

LV_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[ "$(id -u)" = 0 ] || skip_all "needs root (two private libvirtd instances in mount namespaces)"
for tool in unshare libvirtd virsh qemu-system-x86_64 python3; do
    command -v "$tool" >/dev/null || skip_all "$tool not found (Debian: libvirt-daemon, libvirt-clients, qemu-system-x86)"
done
unshare --mount --propagation private true 2>/dev/null ||
    skip_all "unshare --mount is not allowed here (no CAP_SYS_ADMIN)"
# Debian's libvirt-daemon-system creates this user; we never install that package (it pulls
# systemd-sysv), and the QEMU driver refuses to start without it.
if ! getent passwd libvirt-qemu >/dev/null; then
    getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
    useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu ||
        skip_all "cannot create the libvirt-qemu user"
fi

W=$(mktemp -d /tmp/cv-e2e-lvpair.XXXXXX)
chmod 755 "$W"
SRC="qemu+unix:///system?socket=$W/src/sock/libvirt-sock"
DST="qemu+unix:///system?socket=$W/dst/sock/libvirt-sock"
SRC_UUID=11111111-1111-4111-8111-111111111111
DST_UUID=22222222-2222-4222-8222-222222222222
SRCPID=
DSTPID=
MIGPID=

lv_cleanup() {
    set +e
    declare -F lv_cleanup_extra >/dev/null && lv_cleanup_extra
    [ -n "$MIGPID" ] && kill "$MIGPID" 2>/dev/null
    for c in "$SRC" "$DST"; do
        for d in $(virsh -c "$c" list --name 2>/dev/null); do virsh -c "$c" destroy "$d" >/dev/null 2>&1; done
    done
    for p in $SRCPID $DSTPID; do kill "$p" 2>/dev/null; done
    for p in $SRCPID $DSTPID $MIGPID; do wait "$p" 2>/dev/null; done
    # A QEMU whose libvirtd died first lives on in that daemon's mount namespace: ours are
    # the ones whose mounts name this suite's directory.
    for p in /proc/[0-9]*; do
        [ "$(cat "$p/comm" 2>/dev/null)" = qemu-system-x86 ] || continue
        grep -qs "$W" "$p/mountinfo" && kill "${p#/proc/}" 2>/dev/null
    done
    [ -n "${CV_E2E_KEEP:-}" ] && { echo "# kept $W"; return; }
    rm -rf "$W"
}
trap lv_cleanup EXIT

lv_start_libvirtd() { # NAME UUID MIGPORT -> its pid in DAEMONPID (a child of this shell)
    "$LV_HERE/lv-instance.sh" "$W/$1" "$2" "$3" >>"$W/$1.out" 2>&1 &
    DAEMONPID=$!
}
lv_wait_socket() {
    for _ in $(seq 200); do [ -S "$W/$1/sock/libvirt-sock" ] && return 0; sleep 0.05; done
    return 1
}

# Migration ports per suite (test-e2e-libvirt.sh sets 49720 and 49800): a suite running
# beside this one on the same host must not take the port QEMU is told to listen on.
LV_SRC_PORT=${LV_SRC_PORT:-49900}
LV_DST_PORT=${LV_DST_PORT:-49980}
lv_start_libvirtd src $SRC_UUID "$LV_SRC_PORT"; SRCPID=$DAEMONPID
lv_start_libvirtd dst $DST_UUID "$LV_DST_PORT"; DSTPID=$DAEMONPID
if ! lv_wait_socket src || ! lv_wait_socket dst; then
    echo "1..1"; not_ok "both libvirtd instances start"; diag "$W/src.out" "$W/dst.out"; exit 1
fi
# The first call of each daemon probes QEMU's capabilities (3-8 s).
virsh -c "$SRC" version >/dev/null 2>&1 & a=$!
virsh -c "$DST" version >/dev/null 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
if [ $ra != 0 ] || [ $rb != 0 ]; then
    echo "1..1"; not_ok "both libvirtd instances answer"; diag "$W/src/log/libvirtd.log"; exit 1
fi

cat >"$W/dirtier.xml" <<XML
<domain type='qemu'>
  <name>dirtier</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$KERNEL</kernel></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <serial type='file'><source path='$W/dirtier.serial' append='on'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
virsh -q -c "$SRC" define "$W/dirtier.xml" >/dev/null

# The guest (default dirtier) running on the source, no job, downtime-limit 300 ms.
reset_guest() { # [DOM]
    local dom=${1:-dirtier}
    virsh -c "$DST" destroy "$dom" >/dev/null 2>&1
    virsh -c "$DST" undefine "$dom" >/dev/null 2>&1
    if [ "$(virsh -c "$SRC" domstate "$dom" 2>/dev/null | head -1)" != running ]; then
        : >"$W/$dom.serial"
        virsh -q -c "$SRC" start "$dom" >/dev/null || return 1
        for _ in $(seq 200); do grep -q 'dirtier: up' "$W/$dom.serial" 2>/dev/null && break; sleep 0.05; done
    fi
    virsh -q -c "$SRC" migrate-setmaxdowntime "$dom" 300 >/dev/null &&
        [ "$(virsh -c "$SRC" migrate-getmaxdowntime "$dom" | head -1)" = 300 ]
}
# Define another copy of the guest on the source, named DOM.
define_guest() { # DOM
    sed "s|<name>dirtier</name>|<name>$1</name>|; s|dirtier.serial|$1.serial|" "$W/dirtier.xml" >"$W/$1.xml"
    virsh -q -c "$SRC" define "$W/$1.xml" >/dev/null
}

# virsh migrate --live --p2p in the background; returns once the job runs.
start_migration() {
    virsh -c "$SRC" migrate --live --p2p --verbose dirtier "$DST" --migrateuri tcp://127.0.0.1 \
        --bandwidth "$BW" >"$W/migrate.out" 2>&1 &
    MIGPID=$!
    for _ in $(seq 300); do
        virsh -c "$SRC" domjobinfo dirtier 2>/dev/null | grep -q Unbounded && return 0
        sleep 0.05
    done
    return 1
}
# Wait for the background virsh migrate; its status in MIGRC.
finish_migration() {
    for _ in $(seq 600); do kill -0 "$MIGPID" 2>/dev/null || break; sleep 0.1; done
    kill "$MIGPID" 2>/dev/null
    wait "$MIGPID"; MIGRC=$?
    MIGPID=
}
iteration() { virsh -c "$SRC" domjobinfo "${1:-dirtier}" 2>/dev/null | awk '/^Iteration:/ {print $2}'; }
wait_iterations() { # N
    for _ in $(seq 400); do [ "$(iteration)" -ge "$1" ] 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
max_downtime() { virsh -c "$SRC" migrate-getmaxdowntime "${1:-dirtier}" 2>/dev/null | head -1; }
completed_downtime() { # [DOM]: the real downtime libvirt kept for the source's last job
    virsh -c "$SRC" domjobinfo "${1:-dirtier}" --completed --keep-completed --rawstats 2>/dev/null |
        awk -F': ' '$1 == "downtime" {print $2}'
}
all_within() { # CAP VALUES... (at least one value)
    local cap=$1; shift
    [ $# -gt 0 ] || return 1
    for v in "$@"; do [ "$v" -le "$cap" ] || return 1; done
}
