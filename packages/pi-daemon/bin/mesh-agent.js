#!/usr/bin/env node
// Launcher: runs the bundle when it has been built (npm run build), else the TypeScript
// sources through tsx, so a checkout works without a build step.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const bundle = new URL('../dist/mesh-agent.mjs', import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/index.ts', import.meta.url).href);
}
