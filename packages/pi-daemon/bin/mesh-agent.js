#!/usr/bin/env node
// Launcher. In a checkout (sources present) it always runs the TypeScript sources through tsx,
// so a stale build can never stand in for the code under test. The bundle (npm run build) runs
// when the sources are not shipped, or when MESH_USE_BUNDLE=1 asks for it (benchmarks).
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

// MESH_BUNDLE_DIR names a directory beside bin/ holding a build made from these sources moments
// ago (the test run builds one per run, scripts/build-bundles.mjs): it wins when it exists.
const fresh = process.env.MESH_BUNDLE_DIR ? new URL(`../${process.env.MESH_BUNDLE_DIR}/mesh-agent.mjs`, import.meta.url) : null;
const bundle = fresh !== null && existsSync(fresh) ? fresh : new URL('../dist/mesh-agent.mjs', import.meta.url);
const sources = new URL('../src/cli/index.ts', import.meta.url);
const useBundle = bundle === fresh || (existsSync(bundle) && (process.env.MESH_USE_BUNDLE === '1' || !existsSync(sources)));
if (useBundle) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
}
