#!/usr/bin/env node
// `npm run build:pi [-- --out DIR]`: the agent as a production package for a Pi, dist-pi/mesh-agent-<version>.tar.gz.
// One esbuild bundle of packages/pi-daemon with packages/shared and every pure-JS dependency
// inlined; beside it only the native modules (better-sqlite3, and onoff with its epoll addon
// for sysfs GPIO edges), with their sources (no registry needed on the Pi) and prebuilt addons
// for this machine and, when the aarch64 cross compiler is installed, for a 64-bit Pi
// (scripts/pi-addons.mjs). install.sh copies the prebuilt addon matching the Pi's Node, or
// compiles one. No devDependencies, no tsx, no wrangler or workerd. See docs/deploy.md.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { prebuiltAddons } from './pi-addons.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const daemon = join(root, 'packages/pi-daemon');
const { version, dependencies } = JSON.parse(readFileSync(join(daemon, 'package.json'), 'utf8'));
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag === -1 ? join(root, 'dist-pi') : resolve(process.argv[outFlag + 1] ?? '');
const name = `mesh-agent-${version}`;
const stage = join(outDir, name);
const modules = join(root, 'node_modules');
/**
 * The modules left outside the bundle and the files of each the Pi needs: what runs, and what
 * compiling the addon needs when no prebuilt one fits (build/, this machine's objects, stays
 * behind). bindings finds the compiled addons; onoff is loaded only when a sysfs GPIO input is
 * watched; nan is epoll's compile-time headers.
 */
const NATIVE = {
  'better-sqlite3': ['package.json', 'binding.gyp', 'lib', 'src', 'deps', 'LICENSE'],
  bindings: ['.'],
  'file-uri-to-path': ['package.json', 'index.js', 'LICENSE'],
  onoff: ['package.json', 'onoff.js', 'LICENSE'],
  epoll: ['package.json', 'binding.gyp', 'epoll.js', 'src', 'LICENSE'],
  'lodash.debounce': ['.'],
  nan: ['package.json', 'include_dirs.js', 'LICENSE.md', ...readdirSync(join(modules, 'nan')).filter((file) => file.endsWith('.h'))],
};

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });

// ESM output: a few bundled CommonJS modules call require() for Node built-ins.
const banner = { js: "import { createRequire as __meshCreateRequire } from 'node:module'; const require = __meshCreateRequire(import.meta.url);" };
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', banner, legalComments: 'none', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [join(daemon, 'src/cli/index.ts')],
  outfile: join(stage, 'dist/mesh-agent.mjs'),
  // onoff is not imported today; kept external so a GPIO backend never bundles a native module.
  external: ['better-sqlite3', 'onoff', 'epoll'],
  sourcemap: 'linked',
});
// The health sampler's worker thread is its own file, found beside the bundle at run time.
await build({ ...common, entryPoints: [join(daemon, 'src/health/sampler-worker.js')], outfile: join(stage, 'dist/sampler-worker.js') });

const manifest = {
  name: 'mesh-agent',
  version,
  private: true,
  type: 'module',
  description: 'MESH-30K agent for Raspberry Pi: production bundle',
  engines: { node: '>=20.19' },
  dependencies: { 'better-sqlite3': dependencies['better-sqlite3'], onoff: dependencies.onoff },
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

for (const [pkg, parts] of Object.entries(NATIVE)) {
  for (const part of parts) {
    const from = join(modules, pkg, part);
    if (!existsSync(from)) throw new Error(`build:pi: ${from} is missing (run npm ci)`);
    cpSync(from, join(stage, 'node_modules', pkg, part), { recursive: true });
  }
}

// prebuilt/<linux-arch-nodeABI>/<addon>.node: this machine's, and arm64's when they can be made here.
const addons = prebuiltAddons({ log: (line) => console.log(`build:pi: ${line}`) });
for (const { id, file, path } of addons.found) {
  mkdirSync(join(stage, 'prebuilt', id), { recursive: true });
  cpSync(path, join(stage, 'prebuilt', id, file));
}
if (addons.missing) console.warn(`build:pi: warning: no prebuilt addons for a 64-bit Pi, so install.sh will compile them there (minutes; needs build-essential): ${addons.missing}`);

mkdirSync(join(stage, 'bin'), { recursive: true });
mkdirSync(join(stage, 'scripts'), { recursive: true });
mkdirSync(join(stage, 'deploy'), { recursive: true });
const executables = [
  ['deploy/pi/mesh-agent', 'bin/mesh-agent'],
  ['deploy/pi/install.sh', 'install.sh'],
  ['scripts/mesh-status', 'scripts/mesh-status'],
];
for (const [from, to] of executables) {
  cpSync(join(root, from), join(stage, to));
  chmodSync(join(stage, to), 0o755);
}
cpSync(join(root, 'scripts/mesh-status.mjs'), join(stage, 'scripts/mesh-status.mjs'));
cpSync(join(root, 'deploy/systemd/mesh-agent.service'), join(stage, 'deploy/mesh-agent.service'));
cpSync(join(root, 'deploy/pi/agent.example.json'), join(stage, 'deploy/agent.example.json'));
cpSync(join(root, 'deploy/pi/99-mesh30k-leds.rules'), join(stage, 'deploy/99-mesh30k-leds.rules'));
writeFileSync(join(stage, 'VERSION'), `${version}\n`);

const tarball = join(outDir, `${name}.tar.gz`);
execFileSync('tar', ['--owner=0', '--group=0', '--sort=name', '-czf', tarball, '-C', outDir, name]);
const unpacked = execFileSync('du', ['-sk', stage], { encoding: 'utf8' }).split('\t')[0];
const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;
console.log(`build:pi: ${tarball}`);
console.log(`build:pi: ${kib(statSync(tarball).size)} packed, ${unpacked} KiB unpacked (bundle ${kib(statSync(join(stage, 'dist/mesh-agent.mjs')).size)})`);
