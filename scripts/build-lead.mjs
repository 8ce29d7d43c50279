#!/usr/bin/env node
// `npm run build:lead [-- --out DIR]`: the lead host's production package,
// dist-lead/mesh-lead-<version>.tar.gz. esbuild bundles of mesh-lead, the `mesh` console and
// the signature-verify and HA lease worker threads, with packages/shared and every pure-JS dependency
// inlined; better-sqlite3 (the one native module) travels compiled for this machine, with its
// sources for a rebuild on another architecture. Plus the systemd units (pointing into
// /opt/mesh-lead/current), an example config and an INSTALL file. No devDependencies, no tsx,
// no checkout needed on the lead host. The same approach as scripts/build-pi.mjs; see
// docs/deploy.md ("The lead as a package").
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lead = join(root, 'packages/cluster-lead');
const { version, dependencies } = JSON.parse(readFileSync(join(lead, 'package.json'), 'utf8'));
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag === -1 ? join(root, 'dist-lead') : resolve(process.argv[outFlag + 1] ?? '');
const name = `mesh-lead-${version}`;
const stage = join(outDir, name);
const modules = join(root, 'node_modules');
/** Where docs/deploy.md unpacks it; the units' ExecStart points here. */
const INSTALL_DIR = '/opt/mesh-lead/current';
/** The native dependency and what it needs at run time (bindings finds the compiled addon). */
const NATIVE = ['better-sqlite3', 'bindings', 'file-uri-to-path'];
/** better-sqlite3's files: enough to load it here, and to rebuild it elsewhere (node-gyp). */
const SQLITE_PARTS = ['package.json', 'binding.gyp', 'lib', 'src', 'deps', 'LICENSE', 'build/Release/better_sqlite3.node'];

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });

// ESM output: a few bundled CommonJS modules call require() for Node built-ins.
const banner = { js: "import { createRequire as __meshCreateRequire } from 'node:module'; const require = __meshCreateRequire(import.meta.url);" };
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', banner, legalComments: 'none', logLevel: 'warning', external: ['better-sqlite3'], define: { __MESH_LEAD_VERSION__: JSON.stringify(version) } };
await build({
  ...common,
  entryPoints: { 'mesh-lead': join(lead, 'src/cli/index.ts'), mesh: join(lead, 'src/console/index.ts'), 'verify-worker': join(lead, 'src/ingest/verify-worker.ts'), 'lease-worker': join(lead, 'src/ha/lease-worker.ts') },
  outdir: join(stage, 'dist'),
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
});

const manifest = {
  name: 'mesh-lead',
  version,
  private: true,
  type: 'module',
  description: 'MESH-30K cluster lead and console: production bundle',
  engines: { node: '>=20.19' },
  bin: { 'mesh-lead': './bin/mesh-lead.js', mesh: './bin/mesh.js' },
  dependencies: { 'better-sqlite3': dependencies['better-sqlite3'] },
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

for (const pkg of NATIVE) {
  const from = join(modules, pkg);
  const parts = pkg === 'better-sqlite3' ? SQLITE_PARTS : ['.'];
  for (const part of parts) {
    if (existsSync(join(from, part))) cpSync(join(from, part), join(stage, 'node_modules', pkg, part), { recursive: true });
  }
}
rmSync(join(stage, 'node_modules/file-uri-to-path/test'), { recursive: true, force: true });
if (!existsSync(join(stage, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))) {
  throw new Error('build:lead: better-sqlite3 is not compiled here (node_modules/better-sqlite3/build/Release): run npm run setup first');
}

// The checkout's launchers: without the sources beside them they load dist/.
mkdirSync(join(stage, 'bin'), { recursive: true });
for (const bin of ['mesh-lead.js', 'mesh.js']) {
  cpSync(join(lead, 'bin', bin), join(stage, 'bin', bin));
  chmodSync(join(stage, 'bin', bin), 0o755);
}
mkdirSync(join(stage, 'deploy'), { recursive: true });
const unit = readFileSync(join(root, 'deploy/lead/mesh-lead.service'), 'utf8');
const packagedUnit = unit.replace(/^ExecStart=.*$/m, `ExecStart=/usr/bin/node ${INSTALL_DIR}/bin/mesh-lead.js run`);
if (packagedUnit === unit) throw new Error('build:lead: no ExecStart line in deploy/lead/mesh-lead.service');
writeFileSync(join(stage, 'deploy/mesh-lead.service'), packagedUnit);
cpSync(join(root, 'deploy/lead/mesh-nats.service'), join(stage, 'deploy/mesh-nats.service'));
cpSync(join(root, 'deploy/lead/lead.example.json'), join(stage, 'deploy/lead.example.json'));
writeFileSync(
  join(stage, 'INSTALL'),
  `MESH-30K lead ${version} (built for ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}).
Needs Node.js >= 20.19 and nats-server. As root, from the directory holding ${name}.tar.gz:

  mkdir -p /opt/mesh-lead && tar -xzf ${name}.tar.gz -C /opt/mesh-lead
  ln -sfn ${name} /opt/mesh-lead/current.new && mv -T /opt/mesh-lead/current.new ${INSTALL_DIR}
  ln -sf ${INSTALL_DIR}/bin/mesh-lead.js /usr/local/bin/mesh-lead
  ln -sf ${INSTALL_DIR}/bin/mesh.js /usr/local/bin/mesh
  mesh-lead --version
  install -m 0644 ${INSTALL_DIR}/deploy/mesh-lead.service ${INSTALL_DIR}/deploy/mesh-nats.service /etc/systemd/system/

Then docs/deploy.md from "mesh-lead init". On another architecture or Node version, rebuild
the native module first: cd ${INSTALL_DIR}/node_modules/better-sqlite3 && npx node-gyp rebuild
`,
);
writeFileSync(join(stage, 'VERSION'), `${version}\n`);

const tarball = join(outDir, `${name}.tar.gz`);
execFileSync('tar', ['--owner=0', '--group=0', '--sort=name', '-czf', tarball, '-C', outDir, name]);
const unpacked = execFileSync('du', ['-sk', stage], { encoding: 'utf8' }).split('\t')[0];
const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;
console.log(`build:lead: ${tarball}`);
console.log(`build:lead: ${kib(statSync(tarball).size)} packed, ${unpacked} KiB unpacked (mesh-lead bundle ${kib(statSync(join(stage, 'dist/mesh-lead.mjs')).size)})`);
