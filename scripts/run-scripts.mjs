#!/usr/bin/env node
// `node scripts/run-scripts.mjs typecheck lint`: runs those npm scripts at the same time and
// fails if any fails. Each is a single-threaded compiler pass (tsc, typed eslint), so two of
// them finish in about the time of the longer one on a 2-core machine. Their output is held
// back and printed whole, one script after the other, so it never interleaves.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: node scripts/run-scripts.mjs <npm script>...');
  process.exit(64);
}

function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('npm', ['run', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => resolve({ name, ok: code === 0, status: code ?? signal, seconds: (Date.now() - started) / 1000, output: Buffer.concat(output) }));
  });
}

const results = await Promise.all(names.map(run));
for (const r of results) {
  process.stdout.write(`> npm run ${r.name}: ${r.ok ? 'ok' : `failed (${r.status})`} in ${r.seconds.toFixed(1)} s\n`);
  process.stdout.write(r.output);
}
if (!results.every((r) => r.ok)) process.exit(1);
