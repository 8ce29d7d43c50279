#!/usr/bin/env node
// Launcher. In a checkout (sources present) it always runs the TypeScript sources through tsx,
// so a stale build can never stand in for the code under test. The bundle (npm run build) runs
// when the sources are not shipped, or when MESH_USE_BUNDLE=1 asks for it (benchmarks).
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const bundle = new URL('../dist/mesh-agent.mjs', import.meta.url);
const sources = new URL('../src/cli/index.ts', import.meta.url);
const useBundle = existsSync(bundle) && (process.env.MESH_USE_BUNDLE === '1' || !existsSync(sources));
if (useBundle) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
}
