#!/bin/sh
# Installs the MESH-30K agent package (npm run build:pi) on a Raspberry Pi with systemd.
#
#   sudo ./install.sh [PACKAGE.tar.gz] [--start] [--dry-run] [--root DIR]
#   sudo ./install.sh --rollback [--dry-run] [--root DIR]
#   sudo ./install.sh --uninstall [--purge] [--dry-run] [--root DIR]
#
# Without PACKAGE it installs the package it sits in (the unpacked tarball). Each version goes
# to /opt/mesh-agent/<version>; the `current` link is switched in one rename, and the version
# it pointed at stays as `previous` for --rollback (which swaps the two). A running service is
# restarted onto the new version. It never overwrites /etc/mesh30k/agent.json or the agent's
# key. --uninstall removes the program and the unit and keeps /etc/mesh30k and
# /var/lib/mesh30k unless --purge. --dry-run prints the commands instead of running them.
# --root DIR installs below DIR (tests, images) and leaves users and systemctl alone.
set -eu

MIN_NODE_MAJOR=20
MIN_NODE_MINOR=19
SERVICE_USER=mesh
GPIO_GROUP=gpio
UNIT_NAME=mesh-agent.service

ROOT=
DRY_RUN=0
START=0
ACTION=install
PURGE=0
PACKAGE=

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

# Runs a command, or prints it under --dry-run.
run() {
  if [ "$DRY_RUN" -eq 1 ]; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --start) START=1 ;;
    --rollback) ACTION=rollback ;;
    --uninstall) ACTION=uninstall ;;
    --purge) PURGE=1 ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=${2%/}; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$PACKAGE" ] || die "only one package, got $PACKAGE and $1"; PACKAGE=$1 ;;
  esac
  shift
done
[ "$PURGE" -eq 0 ] || [ "$ACTION" = uninstall ] || die "--purge goes with --uninstall"

OPT="$ROOT/opt/mesh-agent"
BIN_DIR="$ROOT/usr/local/bin"
UNIT_DIR="$ROOT/etc/systemd/system"
CONFIG_DIR="$ROOT/etc/mesh30k"
STATE_DIR="$ROOT/var/lib/mesh30k"
# Users, ownership and systemctl act on the running system: not below --root.
SYSTEM=1
[ -z "$ROOT" ] || SYSTEM=0

if [ "$DRY_RUN" -eq 0 ] && [ "$SYSTEM" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (or with --dry-run to see what it would do, or --root DIR)"
fi

systemctl_run() { [ "$SYSTEM" -eq 0 ] || run systemctl "$@"; }
# Points link NAME at TARGET in one rename, so readers see the old or the new link, never none.
switch_link() {
  run ln -sfn "$2" "$1.tmp"
  run mv -T "$1.tmp" "$1"
}
link_target() { [ -L "$1" ] && readlink "$1" || true; }

# --- rollback ------------------------------------------------------------------------------
if [ "$ACTION" = rollback ]; then
  current=$(link_target "$OPT/current")
  previous=$(link_target "$OPT/previous")
  [ -n "$previous" ] && [ -d "$OPT/$previous" ] || die "no previous version to roll back to in $OPT"
  switch_link "$OPT/current" "$previous"
  [ -z "$current" ] || switch_link "$OPT/previous" "$current"
  systemctl_run try-restart --no-block "$UNIT_NAME"
  say "rolled back from ${current:-nothing} to $previous (run --rollback again to undo)"
  exit 0
fi

# --- uninstall -----------------------------------------------------------------------------
if [ "$ACTION" = uninstall ]; then
  if [ "$SYSTEM" -eq 1 ] && [ -e "$UNIT_DIR/$UNIT_NAME" ]; then
    run systemctl disable --now "$UNIT_NAME"
  fi
  run rm -f "$UNIT_DIR/$UNIT_NAME" "$BIN_DIR/mesh-agent" "$BIN_DIR/mesh-status"
  systemctl_run daemon-reload
  run rm -rf "$OPT"
  if [ "$PURGE" -eq 1 ]; then
    run rm -rf "$CONFIG_DIR" "$STATE_DIR"
    if [ "$SYSTEM" -eq 1 ] && id -u "$SERVICE_USER" >/dev/null 2>&1; then run userdel "$SERVICE_USER"; fi
    say "removed mesh-agent, its configuration and its data"
  else
    say "removed mesh-agent; kept $CONFIG_DIR and $STATE_DIR (the agent's key and outbox): --purge removes them"
  fi
  exit 0
fi

# --- the package ---------------------------------------------------------------------------
if [ -n "$PACKAGE" ]; then
  [ -f "$PACKAGE" ] || die "$PACKAGE is not a file"
  UNPACKED=$(mktemp -d)
  trap 'rm -rf "$UNPACKED"' EXIT
  tar -xzf "$PACKAGE" -C "$UNPACKED"
  SOURCE=$(find "$UNPACKED" -mindepth 1 -maxdepth 1 -type d | head -n 1)
else
  SOURCE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
fi
for required in VERSION package.json dist/mesh-agent.mjs bin/mesh-agent deploy/mesh-agent.service node_modules/better-sqlite3; do
  [ -e "$SOURCE/$required" ] || die "$SOURCE is not a mesh-agent package ($required is missing): build one with npm run build:pi and run the install.sh inside it"
done
VERSION=$(cat "$SOURCE/VERSION")

# --- checks: Node and the architecture -----------------------------------------------------
command -v node >/dev/null 2>&1 || die "Node.js ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} or newer is required and node is not on PATH; see docs/deploy.md (Node.js on Raspberry Pi OS)"
NODE_VERSION=$(node -p 'process.versions.node')
NODE_MAJOR=${NODE_VERSION%%.*}
NODE_REST=${NODE_VERSION#*.}
NODE_MINOR=${NODE_REST%%.*}
if [ "$NODE_MAJOR" -lt "$MIN_NODE_MAJOR" ] || { [ "$NODE_MAJOR" -eq "$MIN_NODE_MAJOR" ] && [ "$NODE_MINOR" -lt "$MIN_NODE_MINOR" ]; }; then
  die "Node.js $NODE_VERSION is too old; ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} or newer is required (Bookworm's apt has 18): see docs/deploy.md"
fi
MACHINE=$(uname -m)
case "$MACHINE" in
  aarch64 | arm64 | armv7l | armv8l | x86_64) ;;
  armv6l) die "this is an ARMv6 board (Pi Zero / Pi 1): Node.js 20 has no official build for it; use a Pi 3, 4 or 5" ;;
  *) die "unsupported architecture $MACHINE: the agent runs on aarch64 (64-bit Raspberry Pi OS), armv7l (32-bit) and x86_64" ;;
esac
NODE_ARCH=$(node -p 'process.arch')
ADDON_ID="linux-$NODE_ARCH-node$(node -p 'process.versions.modules')"

# --- the native modules: the package's prebuilt addons, or compiled here -------------------
NEW="$OPT/$VERSION"
STAGING="$OPT/.staging-$VERSION"
# Each native module and its addon file (onoff's epoll watches sysfs GPIO edges).
NATIVE_ADDONS="better-sqlite3:better_sqlite3.node epoll:epoll.node"
build_addons() {
  for entry in $NATIVE_ADDONS; do
    build_addon "${entry%%:*}" "${entry#*:}"
  done
}
build_addon() {
  module_dir="$STAGING/node_modules/$1"
  if [ -f "$SOURCE/prebuilt/$ADDON_ID/$2" ]; then
    run install -d "$module_dir/build/Release"
    run install -m 0644 "$SOURCE/prebuilt/$ADDON_ID/$2" "$module_dir/build/Release/$2"
    return
  fi
  # node-gyp ships with npm; the compiler is the system's.
  for tool in make g++ python3 npm; do
    command -v "$tool" >/dev/null 2>&1 || die "no prebuilt $1 for $ADDON_ID in this package, and $tool is missing to compile it: apt-get install -y build-essential python3 (npm comes with Node.js)"
  done
  npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  node_gyp="$npm_root/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$node_gyp" ] || die "cannot find node-gyp at $node_gyp (it ships with npm)"
  # Node's own headers when they are installed beside it (official tarball, NodeSource), so
  # node-gyp needs no download.
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  nodedir=
  [ ! -f "$node_prefix/include/node/node.h" ] || nodedir="--nodedir=$node_prefix"
  say "compiling $1 for $ADDON_ID (a few minutes on a Pi 4 for better-sqlite3)"
  run env --chdir="$module_dir" node "$node_gyp" rebuild --release $nodedir
  run rm -rf "$module_dir/build/Release/obj.target" "$module_dir/build/Release/.deps"
}

# --- user and groups -----------------------------------------------------------------------
if [ "$SYSTEM" -eq 1 ]; then
  # The unit asks for the gpio group; on systems without GPIO an empty group keeps it valid.
  getent group "$GPIO_GROUP" >/dev/null 2>&1 || run groupadd --system "$GPIO_GROUP"
  if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    run useradd --system --user-group --home-dir /var/lib/mesh30k --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  fi
fi

# --- the version directory, then the switch ------------------------------------------------
current=$(link_target "$OPT/current")
run install -d -m 0755 "$OPT" "$BIN_DIR"
if [ "$current" = "$VERSION" ] && [ -d "$NEW" ]; then
  say "$VERSION is already the current version; refreshing the unit and the links"
else
  run rm -rf "$STAGING"
  run cp -a "$SOURCE" "$STAGING"
  run rm -rf "$STAGING/prebuilt" "$STAGING/install.sh"
  build_addons
  run rm -rf "$NEW"
  run mv "$STAGING" "$NEW"
  switch_link "$OPT/current" "$VERSION"
  if [ -n "$current" ] && [ "$current" != "$VERSION" ]; then
    # Keep exactly one older version: the one just replaced.
    old_previous=$(link_target "$OPT/previous")
    switch_link "$OPT/previous" "$current"
    if [ -n "$old_previous" ] && [ "$old_previous" != "$current" ] && [ "$old_previous" != "$VERSION" ]; then
      run rm -rf "$OPT/$old_previous"
    fi
  fi
fi
run ln -sfn /opt/mesh-agent/current/bin/mesh-agent "$BIN_DIR/mesh-agent"
# /usr/local/bin is on the PATH of non-interactive ssh sessions on Debian (`ssh pi@host mesh-status`).
run ln -sfn /opt/mesh-agent/current/scripts/mesh-status "$BIN_DIR/mesh-status"

# --- configuration and state ---------------------------------------------------------------
run install -d -m 0755 "$CONFIG_DIR"
CONFIG_IS_NEW=0
if [ ! -e "$CONFIG_DIR/agent.json" ]; then
  CONFIG_IS_NEW=1
  if [ "$SYSTEM" -eq 1 ]; then
    run install -m 0640 -o root -g "$SERVICE_USER" "$SOURCE/deploy/agent.example.json" "$CONFIG_DIR/agent.json"
  else
    run install -m 0640 "$SOURCE/deploy/agent.example.json" "$CONFIG_DIR/agent.json"
  fi
fi
if [ "$SYSTEM" -eq 1 ]; then
  run install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"
else
  run install -d -m 0700 "$STATE_DIR"
fi

# --- LED for `mesh identify` ---------------------------------------------------------------
# Group gpio may write the ACT LED's trigger and brightness (nothing else is granted).
run install -d -m 0755 "$ROOT/etc/udev/rules.d"
run install -m 0644 "$SOURCE/deploy/99-mesh30k-leds.rules" "$ROOT/etc/udev/rules.d/99-mesh30k-leds.rules"
[ "$SYSTEM" -eq 0 ] || run udevadm trigger --subsystem-match=leds --action=change || true

# --- systemd -------------------------------------------------------------------------------
run install -d -m 0755 "$UNIT_DIR"
run install -m 0644 "$SOURCE/deploy/mesh-agent.service" "$UNIT_DIR/$UNIT_NAME"
systemctl_run daemon-reload
systemctl_run enable "$UNIT_NAME"
if [ "$START" -eq 1 ]; then
  # --no-block: the unit stays "activating" until NATS answers, which may take a while.
  systemctl_run restart --no-block "$UNIT_NAME"
else
  # An upgrade of a running agent takes effect now; a stopped one stays stopped.
  systemctl_run try-restart --no-block "$UNIT_NAME"
fi

previous=$(link_target "$OPT/previous")
say "mesh-agent $VERSION installed in $NEW (previous: ${previous:-none})"
if [ "$CONFIG_IS_NEW" -eq 1 ]; then
  cat <<NEXT
Next:
  1. Edit $CONFIG_DIR/agent.json (agent_id, cluster_id, lead_id, trust_roots or lead_public_key, nats).
  2. sudo -u $SERVICE_USER mesh-agent keygen   (the agent's key; prints its enrollment request)
  3. sudo systemctl start $UNIT_NAME; journalctl -u $UNIT_NAME -f
NEXT
fi
