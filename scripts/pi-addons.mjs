#!/usr/bin/env node
// The Pi package's native addons (better-sqlite3 and onoff's epoll), compiled ahead for the
// Pi so install.sh copies them instead of compiling on the SD card. linux-arm64 (Node 20,
// ABI 115) is cross-compiled with Debian's aarch64 toolchain (g++-aarch64-linux-gnu) and this
// Node's headers (arch-independent; their version fixes the ABI), stripped, and committed in
// deploy/pi/prebuilt/<id>/ with SOURCES.json naming each module version and sha256, because
// compiling sqlite3.c takes minutes and the build reproduces byte for byte. A module upgrade
// makes the committed addon stale: building the package then cross-compiles a new one (when
// the toolchain is here) into the same place, to be committed. This machine's own addons are
// copied as they are.
//
//   node scripts/pi-addons.mjs            lists the addons (cross-compiles stale or missing ones)
//   node scripts/pi-addons.mjs --verify   rebuilds the committed arm64 addons and compares sha256
//
// build-pi.mjs imports prebuiltAddons().
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(root, 'node_modules');
/** Committed: deploy/pi/prebuilt/<linux-arch-nodeABI>/<addon>.node and SOURCES.json. */
const COMMITTED = join(root, 'deploy/pi/prebuilt');
const CROSS = 'aarch64-linux-gnu-';

/** Each native module the package carries, the addon file it loads, and what compiling it needs beside it. */
export const ADDONS = [
  { pkg: 'better-sqlite3', file: 'better_sqlite3.node', buildDeps: [] },
  { pkg: 'epoll', file: 'epoll.node', buildDeps: ['nan'] },
];

/** install.sh's name for a platform: linux-<node arch>-node<ABI>. */
export const addonId = (arch, abi = process.versions.modules) => `linux-${arch}-node${abi}`;

const versionOf = (pkg) => JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8')).version;
const within = (path, dir) => path === dir || path.startsWith(`${dir}${sep}`);
const hasTool = (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

export function hasCrossToolchain() {
  return hasTool(`${CROSS}g++`) && hasTool(`${CROSS}strip`);
}

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const sourcesPath = (id) => join(COMMITTED, id, 'SOURCES.json');
const readSources = (id) => (existsSync(sourcesPath(id)) ? JSON.parse(readFileSync(sourcesPath(id), 'utf8')) : {});
const writeSources = (id, sources) => writeFileSync(sourcesPath(id), `${JSON.stringify(sources, null, 2)}\n`);

/** Rebuilds each committed arm64 addon in a scratch place and compares: the committed files are what the sources make. */
export function verifyCommitted({ log = () => {} } = {}) {
  const id = addonId('arm64');
  const sources = readSources(id);
  const problems = [];
  for (const addon of ADDONS) {
    const scratch = mkdtempSync(join(tmpdir(), 'mesh30k-verify-'));
    try {
      const out = join(scratch, addon.file);
      log(`rebuilding ${addon.pkg}@${versionOf(addon.pkg)} for ${id}`);
      crossCompile(addon, out);
      const made = sha256(out);
      if (made !== sources[addon.file]?.sha256) problems.push(`${addon.file}: rebuilt ${made}, committed ${sources[addon.file]?.sha256 ?? 'nothing'}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return problems;
}

/** node-gyp as npm ships it beside this Node, and this Node's headers when installed with it. */
function nodeGyp() {
  const prefix = join(dirname(process.execPath), '..');
  const gyp = join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  if (!existsSync(gyp)) throw new Error(`node-gyp not found at ${gyp} (it comes with npm)`);
  const nodedir = existsSync(join(prefix, 'include/node/node.h')) ? [`--nodedir=${prefix}`] : [];
  return { gyp, nodedir };
}

/** Compiles one addon for linux-arm64 in a scratch copy of its sources; returns the stripped .node. */
function crossCompile({ pkg, file, buildDeps }, out) {
  const scratch = mkdtempSync(join(tmpdir(), `mesh30k-${pkg}-arm64-`));
  try {
    // A node_modules of its own, so binding.gyp's `require('nan')` finds nan beside it.
    const dir = join(scratch, 'node_modules', pkg);
    for (const dep of [pkg, ...buildDeps]) {
      cpSync(join(modules, dep), join(scratch, 'node_modules', dep), {
        recursive: true,
        // This machine's objects (build/) stay behind.
        filter: (src) => !['build', 'node_modules'].some((skip) => within(src, join(modules, dep, skip))),
      });
    }
    const { gyp, nodedir } = nodeGyp();
    const env = { ...process.env, CC: `${CROSS}gcc`, CXX: `${CROSS}g++`, LINK: `${CROSS}g++`, AR: `${CROSS}ar` };
    execFileSync(process.execPath, [gyp, 'rebuild', '--release', '--arch=arm64', ...nodedir, '--jobs=max'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const built = join(dir, 'build/Release', file);
    mkdirSync(dirname(out), { recursive: true });
    execFileSync(`${CROSS}strip`, ['--strip-unneeded', '-o', `${out}.tmp`, built]);
    renameSync(`${out}.tmp`, out);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The addons to put in the package, as { id, pkg, file, path }: this machine's, and linux-arm64
 * when the cross toolchain is here (compiled once per package version). `missing` says why
 * arm64 is absent, so the caller can tell the operator the Pi will compile them itself.
 */
export function prebuiltAddons({ log = () => {} } = {}) {
  const found = [];
  for (const addon of ADDONS) {
    const local = join(modules, addon.pkg, 'build/Release', addon.file);
    if (existsSync(local)) found.push({ id: addonId(process.arch), ...addon, path: local });
  }
  if (process.arch === 'arm64') return { found, missing: undefined };
  const id = addonId('arm64');
  const sources = readSources(id);
  for (const addon of ADDONS) {
    const path = join(COMMITTED, id, addon.file);
    const recorded = sources[addon.file];
    const fresh = existsSync(path) && recorded?.version === versionOf(addon.pkg) && recorded.sha256 === sha256(path);
    if (!fresh) {
      if (!hasCrossToolchain()) return { found, missing: `the committed ${id}/${addon.file} does not match ${addon.pkg}@${versionOf(addon.pkg)}, and ${CROSS}g++ is not installed to rebuild it (apt-get install g++-aarch64-linux-gnu)` };
      log(`cross-compiling ${addon.pkg}@${versionOf(addon.pkg)} for ${id} into deploy/pi/prebuilt (minutes for better-sqlite3); commit the result`);
      crossCompile(addon, path);
      sources[addon.file] = { pkg: addon.pkg, version: versionOf(addon.pkg), sha256: sha256(path) };
      writeSources(id, sources);
    }
    found.push({ id, ...addon, path });
  }
  return { found, missing: undefined };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const say = (line) => console.log(`pi-addons: ${line}`);
  if (process.argv.includes('--verify')) {
    const problems = verifyCommitted({ log: say });
    for (const problem of problems) console.error(`pi-addons: ${problem}`);
    if (problems.length > 0) process.exit(1);
    say('the committed arm64 addons are exactly what their sources build');
  } else {
    const { found, missing } = prebuiltAddons({ log: say });
    for (const addon of found) say(`${addon.id}/${addon.file} ${addon.path}`);
    if (missing) {
      console.error(`pi-addons: no linux-arm64 addons: ${missing}`);
      process.exit(1);
    }
  }
}
