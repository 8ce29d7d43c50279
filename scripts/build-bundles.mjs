#!/usr/bin/env node
// `node scripts/build-bundles.mjs <cluster-lead|pi-daemon> [--out DIR]`: the runtime bundles a
// package's bin/ launchers load instead of the TypeScript sources (MESH_USE_BUNDLE=1, or
// MESH_BUNDLE_DIR). One definition for `npm run build` in each package and for the test run,
// which builds a fresh set once so that every process it spawns skips the tsx transform.
// The output directory sits beside bin/ (default dist/): the bundles resolve their external
// packages, and the agent its package.json, relative to where they are.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' };

// The lead leaves every package external but compiles `shared` in (its exports are TypeScript).
const shared = join(root, 'packages', 'shared', 'src');
const leadOptions = {
  packages: 'external',
  alias: { '@mesh30k/shared': join(shared, 'index.ts'), '@mesh30k/shared/node': join(shared, 'node', 'index.ts') },
};

const PACKAGES = {
  'cluster-lead': async (pkg, out) => {
    const entries = [['src/cli/index.ts', 'mesh-lead.mjs'], ['src/console/index.ts', 'mesh.mjs'], ['src/ingest/verify-worker.ts', 'verify-worker.mjs'], ['src/ha/lease-worker.ts', 'lease-worker.mjs']];
    await Promise.all(entries.map(([entry, file]) => build({ ...common, ...leadOptions, entryPoints: [join(pkg, entry)], outfile: join(out, file) })));
  },
  'pi-daemon': async (pkg, out) => {
    await build({
      ...common,
      entryPoints: [join(pkg, 'src/cli/index.ts')],
      outfile: join(out, 'mesh-agent.mjs'),
      external: ['better-sqlite3', 'onoff', 'nats', 'pino', 'prom-client', 'systeminformation'],
    });
    // The health sampler's worker thread is plain JavaScript, found beside the bundle.
    copyFileSync(join(pkg, 'src/health/sampler-worker.js'), join(out, 'sampler-worker.js'));
  },
};

/** Builds `name`'s bundles into `packages/<name>/<outName>`; returns that directory. */
export async function buildBundles(name, outName = 'dist') {
  const make = PACKAGES[name];
  if (make === undefined) throw new Error(`build-bundles: unknown package "${name}" (one of ${Object.keys(PACKAGES).join(', ')})`);
  const pkg = join(root, 'packages', name);
  const out = resolve(pkg, outName);
  mkdirSync(out, { recursive: true });
  await make(pkg, out);
  return out;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [name, flag, outName] = process.argv.slice(2);
  await buildBundles(name, flag === '--out' ? outName : undefined);
}
