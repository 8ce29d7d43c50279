#!/usr/bin/env node
// The Pi package's native addons (better-sqlite3 and onoff's epoll), compiled ahead for the
// Pi so install.sh copies them instead of compiling on the SD card. linux-arm64 is
// cross-compiled on this machine with Debian's aarch64 toolchain (g++-aarch64-linux-gnu) and
// this Node's headers (arch-independent; their version fixes the ABI, node115 for Node 20);
// the result is cached under node_modules/.cache, keyed on the package's version, because
// compiling sqlite3.c takes minutes. This machine's own addons are copied as they are.
//
//   node scripts/pi-addons.mjs            builds (or finds in the cache) the arm64 addons
//
// build-pi.mjs imports prebuiltAddons(); setup.mjs runs this file to fill the cache early.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(root, 'node_modules');
const CACHE = join(modules, '.cache', 'mesh30k-pi-addons');
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
  if (!hasCrossToolchain()) return { found, missing: `${CROSS}g++ is not installed (apt-get install g++-aarch64-linux-gnu)` };
  const id = addonId('arm64');
  for (const addon of ADDONS) {
    const cached = join(CACHE, `${addon.pkg}-${versionOf(addon.pkg)}`, id, addon.file);
    if (!existsSync(cached)) {
      log(`cross-compiling ${addon.pkg} for ${id} (minutes for better-sqlite3; cached afterwards)`);
      crossCompile(addon, cached);
    }
    found.push({ id, ...addon, path: cached });
  }
  return { found, missing: undefined };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { found, missing } = prebuiltAddons({ log: (line) => console.log(`pi-addons: ${line}`) });
  for (const addon of found) console.log(`pi-addons: ${addon.id}/${addon.file} ${addon.path}`);
  if (missing) {
    console.error(`pi-addons: no linux-arm64 addons: ${missing}`);
    process.exit(1);
  }
}
