# Sourced by scripts/test.sh and scripts/demo.sh: install the Debian packages that are
# missing, with one `apt-get update` and one `apt-get install`. Needs root on a fresh machine.
# shellcheck shell=bash

# Build and run time. libvirt-daemon-system is deliberately absent: it pulls systemd-sysv,
# which would replace init on a host that does not run systemd.
# libsystemd-dev: virt-converged's sd_notify (optional in meson: a built-in sender otherwise).
CV_BUILD_PACKAGES="gcc libc6-dev pkg-config meson ninja-build git ca-certificates
 libglib2.0-dev libglib2.0-bin libjson-glib-dev libxml2-dev libvirt-dev libsystemd-dev"
# Tests: real QEMU for e2e, GNU as/ld for the guest payload, linters and man pages. procps:
# the unit's ExecReload runs /bin/kill, which `systemd-analyze verify` checks exists (a
# debootstrap minbase has none; every real host has it).
CV_TEST_PACKAGES="qemu-system-x86 binutils python3 clang-format libxml2-utils
 python3-docutils libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu systemd procps"

cv_install_missing() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "deps: all ${#} packages present"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages and not root: ${missing[*]}" >&2
        echo "deps: run as root, or: apt-get install ${missing[*]}" >&2
        return 1
    fi
    echo "deps: installing ${#missing[@]} missing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
