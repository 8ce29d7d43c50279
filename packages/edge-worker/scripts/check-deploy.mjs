#!/usr/bin/env node
// The Worker's deploy check, run by `npm run check:worker` from the repository root:
// the committed worker-configuration.d.ts matches wrangler.jsonc, and `wrangler deploy
// --dry-run` bundles every environment. Offline: nothing is uploaded, no account is needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: process.env.WRANGLER_LOG ?? 'error' };
const outDir = mkdtempSync(join(tmpdir(), 'edge-worker-dry-run-'));

function run(args) {
  process.stdout.write(`check:worker: wrangler ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [wrangler, ...args], { cwd: packageDir, env, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`check:worker: wrangler ${args[0]} failed (exit ${result.status ?? result.signal})\n`);
    rmSync(outDir, { recursive: true, force: true });
    process.exit(1);
  }
}

try {
  run(['types', '--strict-vars=false', '--check']);
  for (const target of ['', 'staging', 'production']) {
    run(['deploy', '--dry-run', `--env=${target}`, '--outdir', join(outDir, target || 'top-level')]);
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
process.stdout.write('check:worker: types up to date; every environment bundles\n');
