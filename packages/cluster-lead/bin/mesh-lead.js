#!/usr/bin/env node
// Launcher: runs the build (dist/mesh-lead.mjs) when there is one, else the TypeScript source
// through tsx. Either way the CLI's exit status becomes the process's.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const dist = new URL('../dist/mesh-lead.mjs', import.meta.url);
let cli;
if (existsSync(dist)) {
  cli = await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli/index.ts', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv.slice(2));
