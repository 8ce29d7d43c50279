// check:worker's production check (packages/edge-worker/scripts/production-check.mjs): the
// committed wrangler.jsonc passes only with its placeholders reported as such; a production
// config with a route left at an example host, or a secret missing from the deploy's secrets
// file, fails naming the field, before wrangler even runs.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonc, parseSecretsFile, productionProblems } from '../../packages/edge-worker/scripts/production-check.mjs';
import { makeTempDir, type TempDir } from '../harness/index.js';

const WORKER = join(import.meta.dirname, '..', '..', 'packages', 'edge-worker');
const SCRIPT = join(WORKER, 'scripts', 'check-deploy.mjs');
const run = promisify(execFile);

interface WranglerConfig {
  secrets?: { required: string[] };
  env: Record<string, { routes?: { pattern: string; zone_name?: string }[]; secrets?: { required: string[] }; workers_dev?: boolean }>;
}

let committed: WranglerConfig;
let dir: TempDir;

beforeAll(async () => {
  committed = parseJsonc(await readFile(join(WORKER, 'wrangler.jsonc'), 'utf8')) as WranglerConfig;
  dir = await makeTempDir('mesh30k-edge-check-');
});
afterAll(async () => dir?.dispose());

/** The committed config with production's routes on a real-looking host. */
function deployable(): WranglerConfig {
  const config = structuredClone(committed);
  config.env.production!.routes = [{ pattern: 'edge.mesh30k.net/v1/*', zone_name: 'mesh30k.net' }];
  return config;
}
const SECRETS = { AGENT_PRIVATE_KEY: 'dGhpcyBpcyBhIHNlZWQ', LEAD_PUBLIC_KEYS: 'lead-1=abc' };

describe('the Worker production check', () => {
  it('reports the committed config\'s example routes and unchecked secrets as placeholders when allowed, and refuses them otherwise', () => {
    const allowed = productionProblems(committed, { allowPlaceholders: true });
    expect(allowed.errors).toEqual([]);
    expect(allowed.notes).toContain('env.production.routes[0].pattern: "edge.mesh.example.com/v1/*" is a placeholder host');
    expect(allowed.notes).toContain('env.production.routes[0].zone_name: "example.com" is a placeholder zone');
    expect(allowed.notes).toContain('env.production.secrets.required: "AGENT_PRIVATE_KEY" is not checked: give the deploy\'s --secrets-file');
    expect(productionProblems(committed, { secrets: SECRETS }).errors).toEqual([
      'env.production.routes[0].pattern: "edge.mesh.example.com/v1/*" is a placeholder host',
      'env.production.routes[0].zone_name: "example.com" is a placeholder zone',
    ]);
  });

  it('passes a real host with every secret, and names each secret missing, empty or left a placeholder', () => {
    expect(productionProblems(deployable(), { secrets: SECRETS })).toEqual({ errors: [], notes: [] });
    expect(productionProblems(deployable(), { secrets: { AGENT_PRIVATE_KEY: 'x', LEAD_PUBLIC_KEYS: ' ' } }).errors).toEqual(['env.production.secrets.required: "LEAD_PUBLIC_KEYS" is missing or empty in the secrets file']);
    expect(productionProblems(deployable(), { secrets: { AGENT_PRIVATE_KEY: 'REPLACE ME', LEAD_PUBLIC_KEYS: 'x' } }).errors).toEqual(['env.production.secrets.required: "AGENT_PRIVATE_KEY" in the secrets file is a placeholder']);
    const undeclared = deployable();
    undeclared.env.production!.secrets = { required: ['AGENT_PRIVATE_KEY'] };
    expect(productionProblems(undeclared, { secrets: SECRETS }).errors).toEqual(['env.production.secrets.required: lacks "LEAD_PUBLIC_KEYS" (the top level requires it; environments do not inherit secrets)']);
  });

  it('reads secrets files in both formats wrangler takes', () => {
    expect(parseSecretsFile('# prod\nAGENT_PRIVATE_KEY="abc"\nexport LEAD_PUBLIC_KEYS=lead-1=xyz\n')).toEqual({ AGENT_PRIVATE_KEY: 'abc', LEAD_PUBLIC_KEYS: 'lead-1=xyz' });
    expect(parseSecretsFile(JSON.stringify(SECRETS))).toEqual(SECRETS);
  });

  it('check-deploy.mjs exits 1 naming the fields, before any wrangler run', async () => {
    const config = join(dir.path, 'wrangler.jsonc');
    await writeFile(config, `// a copy of the committed config\n${JSON.stringify(committed, null, 2)}`);
    const secrets = join(dir.path, 'prod.env');
    await writeFile(secrets, 'AGENT_PRIVATE_KEY=abc\n');
    const failed = await run(process.execPath, [SCRIPT, '--config', config, '--secrets-file', secrets]).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('is not deployable to production:');
    expect(failed?.stderr).toContain('env.production.routes[0].pattern: "edge.mesh.example.com/v1/*" is a placeholder host');
    expect(failed?.stderr).toContain('env.production.secrets.required: "LEAD_PUBLIC_KEYS" is missing or empty in the secrets file');
    expect(failed?.stdout).not.toContain('wrangler deploy');
  });
});
