#!/usr/bin/env node
// Enforces the import rules: `shared` does no I/O and imports no runtime; the runtimes
// import `shared` only through its public entry points and never each other.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const runtimes = ['pi-daemon', 'cluster-lead', 'edge-worker'];
const problems = [];

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) yield path;
  }
}

function importsOf(text) {
  const found = [];
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(pattern)) found.push(m[1] ?? m[2] ?? m[3]);
  return found;
}

const sharedSrc = join(root, 'packages/shared/src');
for (const file of sourceFiles(sharedSrc)) {
  const rel = relative(root, file);
  const nodeAdapter = rel.startsWith('packages/shared/src/node/');
  const isTest = rel.endsWith('.test.ts');
  const text = readFileSync(file, 'utf8');
  for (const spec of importsOf(text)) {
    if (spec.startsWith('@mesh30k/')) problems.push(`${rel}: shared must not import ${spec}`);
    if (!nodeAdapter && !isTest && (spec.startsWith('node:') || ['fs', 'path', 'crypto', 'os', 'net'].includes(spec))) {
      problems.push(`${rel}: runtime-neutral code must not import ${spec} (put it under src/node/)`);
    }
  }
  if (!nodeAdapter && !isTest) {
    if (/\bprocess\.(env|argv|exit)/.test(text)) problems.push(`${rel}: shared must not read process state`);
    if (/\bconsole\./.test(text)) problems.push(`${rel}: shared must not log`);
  }
}

for (const pkg of runtimes) {
  const dir = join(root, 'packages', pkg);
  for (const file of sourceFiles(dir)) {
    const rel = relative(root, file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const other = runtimes.find((r) => r !== pkg && spec.startsWith(`@mesh30k/${r}`));
      if (other) problems.push(`${rel}: runtimes must not import each other (${spec})`);
      if (/^@mesh30k\/shared\/(src|dist)\//.test(spec)) problems.push(`${rel}: deep import ${spec}; use @mesh30k/shared or @mesh30k/shared/node`);
    }
  }
}

if (problems.length > 0) {
  console.error(`check-boundaries: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('check-boundaries: imports follow the package rules');
