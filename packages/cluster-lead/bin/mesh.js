#!/usr/bin/env node
// Launcher for `mesh`, the operator console; the same pattern as mesh-lead.js: in a checkout
// it runs the TypeScript sources through tsx, so a stale build never stands in for them.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const bundle = new URL('../dist/mesh.mjs', import.meta.url);
const sources = new URL('../src/console/index.ts', import.meta.url);
const useBundle = existsSync(bundle) && (process.env.MESH_USE_BUNDLE === '1' || !existsSync(sources));
let cli;
if (useBundle) {
  cli = await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(sources.href);
}
process.exitCode = await cli.main(process.argv.slice(2));
