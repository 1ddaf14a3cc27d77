#!/bin/sh
# sysusers.d and tmpfiles.d applied for real, to an empty root directory: the user and group
# are created (and added to libvirt), then the state directory with its mode and owner.
set -eu
sysusers=$1
tmpfiles=$2
if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: systemd-tmpfiles --root needs root to give the directory to virt-converge"
    exit 77
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc"

systemd-sysusers --root="$root" "$sysusers"
grep -q '^virt-converge:x:[0-9]*:[0-9]*:' "$root/etc/passwd"
grep -q '^virt-converge:x:[0-9]*:' "$root/etc/group"
grep -q '^libvirt:x:[0-9]*:virt-converge$' "$root/etc/group"
uid=$(awk -F: '$1 == "virt-converge" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "virt-converge" { print $3 }' "$root/etc/group")

systemd-tmpfiles --root="$root" --create "$tmpfiles"
got=$(stat -c '%a %u %g' "$root/var/lib/virt-converge")
want="750 $uid $gid"
if [ "$got" != "$want" ]; then
    echo "/var/lib/virt-converge: mode uid gid '$got', expected '$want'"
    exit 1
fi
echo "sysusers: virt-converge ($uid:$gid), member of libvirt; tmpfiles: /var/lib/virt-converge $got"
