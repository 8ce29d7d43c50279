#!/bin/sh
# Installs the MESH-30K agent on a Raspberry Pi (Raspberry Pi OS / Debian with systemd).
#
#   sudo deploy/pi/install.sh [--dry-run] [--source DIR] [--prefix DIR] [--start]
#
# Idempotent: run it again to upgrade. It never overwrites /etc/mesh30k/agent.json or the
# agent's key. Agents need Node.js and systemd only; nats-server runs elsewhere.
# --dry-run prints every command instead of running it (no root needed).
set -eu

MIN_NODE_MAJOR=20
MIN_NODE_MINOR=19
SERVICE_USER=mesh
GPIO_GROUP=gpio
UNIT_NAME=mesh-agent.service
UNIT_DIR=/etc/systemd/system
CONFIG_DIR=/etc/mesh30k
STATE_DIR=/var/lib/mesh30k
BIN_DIR=/usr/local/bin

SCRIPT_DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
SOURCE=$(CDPATH= cd -- "$SCRIPT_DIR/../.." && pwd)
PREFIX=/opt/mesh30k
DRY_RUN=0
START=0

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

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
    --source) [ $# -ge 2 ] || die "--source needs a directory"; SOURCE=$2; shift ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

APP_DIR="$PREFIX/app"

# --- checks ------------------------------------------------------------------------------
if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (or with --dry-run to see what it would do)"
fi
command -v systemctl >/dev/null 2>&1 || die "systemd (systemctl) is required"
command -v node >/dev/null 2>&1 || die "Node.js ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} or newer is required (https://nodejs.org or the NodeSource apt repository)"
NODE_VERSION=$(node -p 'process.versions.node')
NODE_MAJOR=${NODE_VERSION%%.*}
NODE_REST=${NODE_VERSION#*.}
NODE_MINOR=${NODE_REST%%.*}
if [ "$NODE_MAJOR" -lt "$MIN_NODE_MAJOR" ] || { [ "$NODE_MAJOR" -eq "$MIN_NODE_MAJOR" ] && [ "$NODE_MINOR" -lt "$MIN_NODE_MINOR" ]; }; then
  die "Node.js $NODE_VERSION is too old; ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} or newer is required"
fi
for required in package.json packages/shared packages/pi-daemon node_modules/better-sqlite3 node_modules/tsx deploy/pi/mesh-agent "deploy/systemd/$UNIT_NAME" scripts/mesh-status scripts/mesh-status.mjs; do
  [ -e "$SOURCE/$required" ] || die "$SOURCE/$required is missing (run npm ci in the checkout first)"
done
case "$(uname -m)" in
  aarch64 | arm64 | armv7l) ;;
  *) echo "install.sh: note: $(uname -m) is not a Raspberry Pi architecture; continuing" >&2 ;;
esac

# --- user and groups ---------------------------------------------------------------------
# The unit asks for the gpio group; on systems without GPIO an empty group keeps it valid.
getent group "$GPIO_GROUP" >/dev/null 2>&1 || run groupadd --system "$GPIO_GROUP"
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  run useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi

# --- application -------------------------------------------------------------------------
# Copied next to the old version, then swapped in, so a failed copy leaves the old one whole.
run install -d -m 0755 "$PREFIX"
run rm -rf "$APP_DIR.new"
run install -d -m 0755 "$APP_DIR.new" "$APP_DIR.new/packages"
run cp -a "$SOURCE/package.json" "$SOURCE/node_modules" "$APP_DIR.new/"
run cp -a "$SOURCE/packages/shared" "$SOURCE/packages/pi-daemon" "$APP_DIR.new/packages/"
# mesh-status, for `ssh pi@host mesh-status` and scripts/mesh-fleet-status (docs/console.md).
run install -d -m 0755 "$APP_DIR.new/scripts"
run install -m 0755 "$SOURCE/scripts/mesh-status" "$SOURCE/scripts/mesh-status.mjs" "$APP_DIR.new/scripts/"
if [ -e "$APP_DIR" ]; then
  run rm -rf "$APP_DIR.old"
  run mv "$APP_DIR" "$APP_DIR.old"
fi
run mv "$APP_DIR.new" "$APP_DIR"
run rm -rf "$APP_DIR.old"

if [ "$APP_DIR" = /opt/mesh30k/app ]; then
  run install -m 0755 "$SOURCE/deploy/pi/mesh-agent" "$BIN_DIR/mesh-agent"
else
  # The launcher's default home is /opt/mesh30k/app; point it at this prefix.
  if [ "$DRY_RUN" -eq 1 ]; then
    printf '+ sed <launcher with MESH_HOME=%s> > %s\n' "$APP_DIR" "$BIN_DIR/mesh-agent"
  else
    sed "s|/opt/mesh30k/app|$APP_DIR|" "$SOURCE/deploy/pi/mesh-agent" >"$BIN_DIR/mesh-agent"
    chmod 0755 "$BIN_DIR/mesh-agent"
  fi
fi

# The link follows the app directory, so upgrades need no new link. /usr/local/bin is on the
# PATH of non-interactive ssh sessions on Debian, which is what `ssh pi@host mesh-status` uses.
run ln -sfn "$APP_DIR/scripts/mesh-status" "$BIN_DIR/mesh-status"

# --- configuration and state -------------------------------------------------------------
run install -d -m 0755 "$CONFIG_DIR"
if [ ! -e "$CONFIG_DIR/agent.json" ]; then
  run install -m 0640 -o root -g "$SERVICE_USER" "$SOURCE/deploy/pi/agent.example.json" "$CONFIG_DIR/agent.json"
  CONFIG_IS_NEW=1
else
  CONFIG_IS_NEW=0
fi
run install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"

# --- LED for `mesh identify` ----------------------------------------------------------------
# Group gpio may write the ACT LED's trigger and brightness (nothing else is granted).
if [ -d /etc/udev/rules.d ]; then
  run install -m 0644 "$SOURCE/deploy/pi/99-mesh30k-leds.rules" /etc/udev/rules.d/99-mesh30k-leds.rules
  run udevadm trigger --subsystem-match=leds --action=change || true
fi

# --- systemd -----------------------------------------------------------------------------
run install -m 0644 "$SOURCE/deploy/systemd/$UNIT_NAME" "$UNIT_DIR/$UNIT_NAME"
run systemctl daemon-reload
run systemctl enable "$UNIT_NAME"
if [ "$START" -eq 1 ]; then
  # --no-block: the unit stays "activating" until NATS answers, which may take a while.
  run systemctl restart --no-block "$UNIT_NAME"
fi

cat <<NEXT

mesh-agent installed in $APP_DIR and enabled.
NEXT
if [ "$CONFIG_IS_NEW" -eq 1 ]; then
  cat <<NEXT
Next:
  1. Edit $CONFIG_DIR/agent.json (agent_id, cluster_id, lead_id, lead_public_key, nats).
  2. Make the agent's key and enrollment request:
       sudo -u $SERVICE_USER $BIN_DIR/mesh-agent keygen
     and give the printed request to the mesh operator to enroll.
  3. sudo systemctl start $UNIT_NAME; journalctl -u $UNIT_NAME -f
NEXT
else
  echo "Kept the existing $CONFIG_DIR/agent.json. Restart with: sudo systemctl restart $UNIT_NAME"
fi
