// The lead package (npm run build:lead), unpacked away from the checkout: its bundled
// mesh-lead prints its version, makes a lead host with init, and opens a database with the
// better-sqlite3 it carries; its unit starts the packaged launcher.
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../harness/index.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(await readFile(join(REPO, 'packages/cluster-lead/package.json'), 'utf8')) as { version: string }).version;

let dir: TempDir;
/** The unpacked package. */
let pkg: string;
let built = '';

/** The packaged mesh-lead, with an environment that has no path back into the checkout. */
function meshLead(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(pkg, 'bin/mesh-lead.js'), ...args], { cwd: dir.path, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir.path } });
}

beforeAll(async () => {
  dir = await makeTempDir('mesh30k-lead-package-');
  const out = join(dir.path, 'out');
  built = (await run(process.execPath, [join(REPO, 'scripts/build-lead.mjs'), '--out', out])).stdout;
  // Unpacked elsewhere, as on the lead host: nothing resolves into the repository's node_modules.
  const host = join(dir.path, 'opt');
  await run('mkdir', ['-p', host]);
  await run('tar', ['-xzf', join(out, `mesh-lead-${VERSION}.tar.gz`), '-C', host]);
  pkg = join(host, `mesh-lead-${VERSION}`);
}, 120_000);
afterAll(() => dir?.dispose());

describe('the lead package', () => {
  it('holds bundles, the native module, units and an example config; no sources, no tsx', async () => {
    expect(built).toMatch(/KiB packed/);
    expect((await readdir(join(pkg, 'dist'))).filter((f) => f.endsWith('.mjs')).sort()).toEqual(['lease-worker.mjs', 'mesh-lead.mjs', 'mesh.mjs', 'verify-worker.mjs']);
    expect((await readdir(join(pkg, 'node_modules'))).sort()).toEqual(['better-sqlite3', 'bindings', 'file-uri-to-path']);
    expect((await readdir(join(pkg, 'deploy'))).sort()).toEqual(['lead.example.json', 'mesh-lead.service', 'mesh-nats.service']);
    const unit = await readFile(join(pkg, 'deploy/mesh-lead.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/mesh-lead\/current\/bin\/mesh-lead\.js run$/m);
    expect(await readFile(join(pkg, 'INSTALL'), 'utf8')).toContain(`tar -xzf mesh-lead-${VERSION}.tar.gz -C /opt/mesh-lead`);
  });

  it('runs from the bundle: --version, init, and a database check through its own better-sqlite3', async () => {
    expect((await meshLead(['--version'])).stdout).toBe(`mesh-lead ${VERSION}\n`);
    const leadHost = join(dir.path, 'etc-mesh30k');
    const init = await meshLead(['init', leadHost, '--lead-id', 'lead-9']);
    expect(init.stderr).toBe('');
    expect(init.stdout).toMatch(/mesh root {2}\S{43}/);
    const config = JSON.parse(await readFile(join(leadHost, 'lead.json'), 'utf8')) as { lead_id: string; data_dir: string };
    expect(config.lead_id).toBe('lead-9');
    expect(await readFile(join(leadHost, 'nats/nats-server.conf'), 'utf8')).toContain('nkey: "U');

    // A database made by the packaged module, then checked by the packaged lead.
    const Database = createRequire(join(pkg, 'package.json'))('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };
    const db = new Database(join(config.data_dir, 'lead.db'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    const checked = await meshLead(['recover-db', '--config', join(leadHost, 'lead.json')]);
    expect(checked.stdout).toContain('passed its check; nothing moved');
  });
});
