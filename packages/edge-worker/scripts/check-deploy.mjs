#!/usr/bin/env node
// The Worker's deploy check, run by `npm run check:worker` from the repository root: the
// production environment is deployable (production-check.mjs: every required secret in the
// secrets file, no placeholder route), the committed worker-configuration.d.ts matches
// wrangler.jsonc, and `wrangler deploy --dry-run` bundles every environment. Offline: nothing
// is uploaded, no account is needed.
//
//   check-deploy.mjs [--config wrangler.jsonc] [--secrets-file prod.secrets.json] [--allow-placeholders]
//
// Before a real deploy: --secrets-file with the file `wrangler deploy --env production
// --secrets-file` will upload. The repository's own config has example routes and no
// secrets: CI passes --allow-placeholders, which reports them instead of failing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { parseJsonc, parseSecretsFile, productionProblems } from './production-check.mjs';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: process.env.WRANGLER_LOG ?? 'error' };
const { values: options } = parseArgs({
  options: { config: { type: 'string' }, 'secrets-file': { type: 'string' }, 'allow-placeholders': { type: 'boolean', default: false } },
});
const configPath = options.config ?? join(packageDir, 'wrangler.jsonc');

function readOrFail(path, what, parse) {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    process.stderr.write(`check:worker: cannot read ${what} ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

// The production check first: it is instant, and wrangler would not catch what it does.
const problems = productionProblems(readOrFail(configPath, 'the Worker config', parseJsonc), {
  secrets: options['secrets-file'] === undefined ? undefined : readOrFail(options['secrets-file'], 'the secrets file', parseSecretsFile),
  allowPlaceholders: options['allow-placeholders'],
});
for (const note of problems.notes) process.stdout.write(`check:worker: placeholder (allowed by --allow-placeholders): ${note}\n`);
if (problems.errors.length > 0) {
  process.stderr.write(`check:worker: ${configPath} is not deployable to production:\n${problems.errors.map((e) => `  ${e}\n`).join('')}`);
  process.exit(1);
}

const configArgs = options.config === undefined ? [] : ['--config', configPath];
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
  run(['types', '--strict-vars=false', '--check', ...configArgs]);
  for (const target of ['', 'staging', 'production']) {
    run(['deploy', '--dry-run', `--env=${target}`, '--outdir', join(outDir, target || 'top-level'), ...configArgs]);
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
process.stdout.write('check:worker: types up to date; every environment bundles\n');
