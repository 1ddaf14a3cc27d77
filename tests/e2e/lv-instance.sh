#!/bin/sh
# lv-instance.sh DIR HOST_UUID MIG_PORT_MIN
# Runs (exec, in the foreground) a private libvirtd in its own mount and UTS namespace: every
# libvirt directory is bind-mounted from DIR, so two "hosts" with their own host UUID live on one
# machine. Clients reach it through DIR/sock/libvirt-sock only (no TCP listener), which also
# serves as the peer-to-peer destination URI: DIR is outside the bind mounts, so the other
# instance sees the socket. Needs root (unshare) and the libvirt-qemu user.
set -eu
D=$1 UUID=$2 MIGMIN=$3
mkdir -p "$D/etc" "$D/run" "$D/lib" "$D/cache" "$D/log" "$D/sock"
cat >"$D/etc/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 0
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_dir = "$D/sock"
host_uuid = "$UUID"
log_outputs = "3:file:$D/log/libvirtd.log"
CONF
# No cgroups, namespaces, virtlogd or security driver: none exists on a CI machine without
# systemd, and none matters to migration.
cat >"$D/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
stdio_handler = "file"
namespaces = [ ]
migration_port_min = $MIGMIN
migration_port_max = $((MIGMIN + 63))
CONF
name=$(basename "$D")
printf '127.0.0.1 localhost\n127.0.1.1 lv-%s\n' "$name" >"$D/hosts"
mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt
exec unshare --mount --uts --propagation private -- sh -c "
  set -e
  hostname lv-$name
  mount --bind '$D/hosts' /etc/hosts
  mount --bind '$D/etc'   /etc/libvirt
  mount --bind '$D/run'   /run/libvirt
  mount --bind '$D/lib'   /var/lib/libvirt
  mount --bind '$D/cache' /var/cache/libvirt
  mount --bind '$D/log'   /var/log/libvirt
  exec libvirtd -f /etc/libvirt/libvirtd.conf -p /run/libvirt/libvirtd.pid
"
