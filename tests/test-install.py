#!/usr/bin/env python3
"""`meson install` puts each file where Debian would, and installs for real.

1. Where Debian would: configure the source tree again with Debian's layout (--prefix=/usr,
   which makes sysconfdir /etc and localstatedir /var) into a temporary build directory, without
   building, and compare every install destination with tests/data/install/debian.list.
2. For real: `meson install --destdir` of the build under test; every file it promises is
   there, nothing else is, the binaries are executable, the unit starts the installed
   virt-converged, the sample configuration is the shipped one.

Usage: test-install.py SOURCE_ROOT BUILD_ROOT
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

src, build = sys.argv[1], sys.argv[2]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def installed(builddir):
    out = subprocess.run(["meson", "introspect", builddir, "--installed"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def options(builddir):
    out = subprocess.run(["meson", "introspect", builddir, "--buildoptions"], check=True,
                         capture_output=True, text=True).stdout
    return {o["name"]: o["value"] for o in json.loads(out)}


with tempfile.TemporaryDirectory(prefix="cv-install-") as tmp:
    # 1. Debian's layout
    deb = os.path.join(tmp, "debian-build")
    r = subprocess.run(["meson", "setup", "--prefix=/usr", "-Dtests=false", deb, src],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
        sys.exit(1)
    got = sorted(installed(deb).values())
    with open(os.path.join(src, "tests", "data", "install", "debian.list")) as f:
        expected = [line.strip() for line in f if line.strip()]
    if shutil.which("rst2man") is None and shutil.which("rst2man.py") is None:
        # the man pages are built only with rst2man (python3-docutils)
        print("note: no rst2man, man pages not expected")
        expected = [p for p in expected if "/man/" not in p]
    for p in sorted(set(expected) - set(got)):
        fail("Debian layout: %s is not installed" % p)
    for p in sorted(set(got) - set(expected)):
        fail("Debian layout: %s is installed but not in debian.list" % p)
    print("Debian layout: %d destinations checked" % len(got))

    # 2. a real install of the build under test
    dest = os.path.join(tmp, "destdir")
    r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                        "--destdir", dest], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
        sys.exit(1)
    promised = installed(build)
    roots = [dest + p for p in promised.values()]
    for p in roots:
        if not os.path.exists(p):
            fail("not installed: " + p[len(dest):])
    n_files = 0
    for dirpath, dirnames, filenames in os.walk(dest):
        for name in filenames:
            n_files += 1
            path = os.path.join(dirpath, name)
            if not any(path == r or path.startswith(r + "/") for r in roots):
                fail("installed but not promised: " + path[len(dest):])
    opts = options(build)
    prefix = opts["prefix"]
    for binary in ("bindir/virt-converge", "sbindir/virt-converged"):
        d, name = binary.split("/")
        path = os.path.join(dest + prefix, opts[d], name)
        mode = os.stat(path).st_mode if os.path.exists(path) else 0
        if not mode & stat.S_IXUSR:
            fail("%s is missing or not executable" % path[len(dest):])
    units = [p for p in promised.values() if p.endswith("/virt-converged.service")]
    if len(units) != 1:
        fail("expected one unit, got %s" % units)
    else:
        with open(dest + units[0]) as f:
            unit = f.read()
        want = "ExecStart=%s/virt-converged\n" % os.path.join(prefix, opts["sbindir"])
        if want not in unit:
            fail("the unit does not contain " + want.strip())
        if "@sbindir@" in unit:
            fail("the unit still contains @sbindir@")
    confs = [p for p in promised.values() if p.endswith("/virt-converge/virt-converged.conf")]
    with open(os.path.join(src, "data", "virt-converged.conf")) as f:
        shipped = f.read()
    if len(confs) != 1 or open(dest + confs[0]).read() != shipped:
        fail("the sample configuration is not the shipped data/virt-converged.conf")
    print("real install: %d files under %s" % (n_files, prefix))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
