#!/usr/bin/env node
// Makes a fresh clone ready to run: Node version, npm dependencies (with the install scripts
// that must run), and a nats-server binary. Uses nothing but Node itself, so it can run first.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
// `npm test` passes --tests: tools only the tests use (promtool, chromium) are ensured then, not for `npm start`.
const forTests = process.argv.includes('--tests');
const say = (line) => { if (!quiet) console.log(`setup: ${line}`); };
const fail = (line) => { console.error(`setup: ${line}`); process.exit(1); };

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(`Node ${process.versions.node} is too old; MESH-30K needs Node 20.19 or newer.`);
  }
}

// The lockfile's hash, recorded after a successful install: a checkout or clone that touches
// the lockfile without changing it does not trigger a reinstall, and a changed one always does.
const INSTALL_MARKER = join(root, 'node_modules', '.mesh30k-lock-sha256');

function lockHash() {
  return createHash('sha256').update(readFileSync(join(root, 'package-lock.json'))).digest('hex');
}

function dependenciesStale() {
  return !existsSync(INSTALL_MARKER) || readFileSync(INSTALL_MARKER, 'utf8').trim() !== lockHash();
}

function installDependencies() {
  if (!dependenciesStale()) return;
  say('installing npm dependencies (npm ci)');
  // better-sqlite3 compiles from source when no prebuilt addon fits: JOBS=max lets node-gyp run
  // make on every core. --prefer-offline takes what npm's cache already holds without asking.
  const env = { ...process.env, JOBS: process.env.JOBS ?? 'max' };
  const result = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) fail('npm ci failed; see the output above.');
  writeFileSync(INSTALL_MARKER, `${lockHash()}\n`);
}

// npm 11 can skip install scripts it has not been told to trust; these must have run.
function checkNativeParts() {
  const probes = [
    ['workerd', [join(root, 'node_modules', '.bin', 'workerd'), '--version']],
    ['esbuild', [join(root, 'node_modules', '.bin', 'esbuild'), '--version']],
  ];
  for (const [name, [cmd, ...args]] of probes) {
    if (!existsSync(cmd)) continue;
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) fail(`${name} is installed but does not run (its install script may not have run): ${r.stderr || r.error}`);
  }
  const sqlite = join(root, 'node_modules', 'better-sqlite3');
  if (existsSync(sqlite) && !existsSync(join(sqlite, 'build', 'Release', 'better_sqlite3.node'))) {
    fail('better-sqlite3 has no compiled addon: its install script did not run. Check "allowScripts" in package.json, then run `npm rebuild better-sqlite3`.');
  }
}

function hasNatsServer() {
  return spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

function aptInstall(what, pkg) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version']).status === 0;
  if (!isRoot || !hasApt) return false;
  say(`installing ${what} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  return true;
}

// test/deploy/units.test.ts runs `systemd-analyze verify` on every unit in deploy/.
function ensureSystemdAnalyze() {
  const has = () => spawnSync('systemd-analyze', ['--version']).status === 0;
  if (has()) return;
  if (!aptInstall('systemd-analyze', 'systemd')) {
    fail('systemd-analyze is not installed. Install it with `sudo apt-get install -y systemd`, then run this again.');
  }
  if (!has()) fail('apt-get ran but systemd-analyze is still not on PATH.');
}

function ensureNatsServer() {
  if (hasNatsServer()) return;
  if (!aptInstall('nats-server', 'nats-server')) {
    fail('nats-server is not installed. Install it with `sudo apt-get install -y nats-server` (Debian, Raspberry Pi OS) or put a nats-server binary on PATH, then run this again.');
  }
  if (!hasNatsServer()) fail('apt-get ran but nats-server is still not on PATH.');
}

// test/e2e/metrics.e2e.test.ts runs `promtool check metrics` on a live lead's and agent's /metrics.
function hasPromtool() {
  return spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
}

function ensurePromtool() {
  if (hasPromtool()) return;
  if (!aptInstall('promtool', 'prometheus')) {
    fail('promtool is not installed. Install it with `sudo apt-get install -y prometheus` (Debian, Raspberry Pi OS) or put a promtool binary on PATH, then run this again.');
  }
  if (!hasPromtool()) fail('apt-get ran but promtool is still not on PATH.');
}

// packages/cluster-lead/test/web/dashboard.browser.test.ts drives Debian's chromium with playwright-core
// (which downloads no browser of its own).
const CHROMIUM = process.env.MESH_CHROMIUM ?? '/usr/bin/chromium';

function hasChromium() {
  return spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).status === 0;
}

function ensureChromium() {
  if (hasChromium()) return;
  if (!aptInstall('chromium', 'chromium')) {
    fail(`chromium is not installed at ${CHROMIUM}. Install it with \`sudo apt-get install -y chromium\` (or set MESH_CHROMIUM to a Chromium binary), then run this again.`);
  }
  if (!hasChromium()) fail(`apt-get ran but ${CHROMIUM} still does not run.`);
}

checkNode();
installDependencies();
checkNativeParts();
ensureNatsServer();
ensureSystemdAnalyze();
if (forTests) {
  ensurePromtool();
  ensureChromium();
}
say('ready');
