#!/usr/bin/env node
// Launcher for `mesh`, the operator console; the same pattern as mesh-lead.js: in a checkout
// it runs the TypeScript sources through tsx, so a stale build never stands in for them.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

// MESH_BUNDLE_DIR names a directory beside bin/ holding a build made from these sources moments
// ago (the test run builds one per run, scripts/build-bundles.mjs): it wins when it exists.
const fresh = process.env.MESH_BUNDLE_DIR ? new URL(`../${process.env.MESH_BUNDLE_DIR}/mesh.mjs`, import.meta.url) : null;
const bundle = fresh !== null && existsSync(fresh) ? fresh : new URL('../dist/mesh.mjs', import.meta.url);
const sources = new URL('../src/console/index.ts', import.meta.url);
const useBundle = bundle === fresh || (existsSync(bundle) && (process.env.MESH_USE_BUNDLE === '1' || !existsSync(sources)));
let cli;
if (useBundle) {
  cli = await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(sources.href);
}
process.exitCode = await cli.main(process.argv.slice(2));
