// A damaged lead database, met by the real `mesh-lead` process against real SQLite files:
// refused at start with one line and exit 65 (empty file, damaged header, truncated file,
// damaged page), recovered by `mesh-lead recover-db`, and, when damage appears while the
// lead runs, reported (/health/ready 503 naming the store, a counter in /metrics) and never
// a reason for SIGTERM to leave the process running.
import { writeFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeadStore, databasePath } from '../../packages/cluster-lead/src/store/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../packages/cluster-lead/src/main.js';
import { TestAgent, createTestRoot, type TestRoot } from '../../packages/cluster-lead/test/support/test-agents.js';
import {
  LEAD_BIN,
  corruptHeader,
  corruptTablePage,
  freePort,
  makeTempDir,
  spawnCli,
  startNats,
  touchFromAnotherConnection,
  truncateDatabase,
  type CliProcess,
  type NatsServer,
  type TempDir,
} from '../harness/index.js';

const EX_DATA = 65;
const LEAD_ID = 'lead-db';
const CLUSTER_ID = 'cluster-1';

let nats: NatsServer;
let dir: TempDir;
let root: TestRoot;
let leadPublicKey: Uint8Array;
beforeAll(async () => {
  nats = await startNats();
  dir = await makeTempDir('mesh30k-lead-db-');
  root = await createTestRoot();
  leadPublicKey = (await generateKeyFile(join(dir.path, 'lead.key'))).publicKey;
});
afterAll(async () => {
  await nats.dispose();
  await dir.dispose();
});

/** A lead config of its own (data dir, port) in `name/`; returns the config file. */
async function leadConfig(name: string, extra: Record<string, unknown> = {}): Promise<{ file: string; dataDir: string; port: number }> {
  const home = join(dir.path, name);
  await mkdir(home, { recursive: true });
  const port = await freePort();
  const dataDir = join(home, 'data');
  const config = {
    lead_id: LEAD_ID,
    cluster_id: CLUSTER_ID,
    nats: { servers: [nats.url] },
    key_path: join(dir.path, 'lead.key'),
    trust: { root_public_keys: [root.publicKeyText], enrollments: join(home, 'enrollments.json') },
    data_dir: dataDir,
    http: { port, allow_plain_http: true },
    ingest: { verify_threads: 0 },
    api: { metrics_public: true },
    ...extra,
  };
  await writeFile(config.trust.enrollments, '[]');
  const file = join(home, 'lead.json');
  await writeFile(file, JSON.stringify(config));
  return { file, dataDir, port };
}

/** A lead database with agent rows over many pages, as a lead that ran for a while leaves it. */
function seedDatabase(dataDir: string): string {
  const store = LeadStore.open(dataDir, { busyTimeoutMs: 1_000 });
  const insert = store.db.prepare('INSERT INTO agents (agent_id, cluster_id, state, last_seen_at, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  store.db.transaction(() => {
    for (let i = 0; i < 300; i++) insert.run(`pi-${i}`, CLUSTER_ID, 'active', 1, 'x'.repeat(400), 1);
  })();
  store.close();
  return databasePath(dataDir);
}

function expectOneCleanLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('a damaged lead database at start', () => {
  it('is refused with one line saying what is wrong and what to do, exit 65, for each kind of damage', async () => {
    const damages: [string, (path: string) => void, RegExp][] = [
      ['empty', (path) => writeFileSync(path, ''), /the file is empty \(0 bytes\) where a database was expected/],
      ['header', corruptHeader, /not a SQLite database: the file does not start with the SQLite header/],
      ['truncated', (path) => truncateDatabase(path, 8 * 4096), /truncated: 32768 bytes where its header records \d+ pages/],
      ['page', (path) => corruptTablePage(path, 'agents'), /quick_check: |malformed/],
    ];
    const runs = await Promise.all(
      damages.map(async ([name, damage, why]) => {
        const { file, dataDir } = await leadConfig(`refuse-${name}`);
        const path = seedDatabase(dataDir);
        damage(path);
        const lead = spawnCli(LEAD_BIN, ['run', '--config', file]);
        return { name, path, why, lead, exit: await lead.exited };
      }),
    );
    for (const { name, path, why, lead, exit } of runs) {
      expect(exit.code, `${name}: ${lead.stderr()}`).toBe(EX_DATA);
      expectOneCleanLine(lead.stderr(), new RegExp(`^mesh-lead: database ${path} is damaged \\(.*\\); the lead will not run on it\\. Restore it from a backup, or run "mesh-lead recover-db"`));
      expect(lead.stderr(), name).toMatch(why);
    }
  });

  it('recover-db moves it aside; the next start runs with an empty registry and stops cleanly', async () => {
    const { file, dataDir, port } = await leadConfig('recover');
    const path = seedDatabase(dataDir);
    corruptTablePage(path, 'agents');
    const recover = spawnCli(LEAD_BIN, ['recover-db', '--config', file]);
    expect((await recover.exited).code, recover.stderr()).toBe(0);
    expect(await readdir(dataDir)).toEqual([expect.stringMatching(/^lead\.db\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/)]);

    const lead = spawnCli(LEAD_BIN, ['run', '--config', file]);
    await lead.waitForLine('intake open', (line) => line.msg === INTAKE_OPEN_MESSAGE);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    lead.child.kill('SIGTERM');
    expect((await lead.exited).code).toBe(0);
  });
});

describe('damage that appears while the lead runs', () => {
  let lead: CliProcess;
  let agent: TestAgent;
  afterAll(async () => {
    if (lead?.child.exitCode === null) lead.child.kill('SIGKILL');
    await agent?.close();
  });

  it('makes /health/ready 503 naming the store, counts failed snapshots, and SIGTERM still ends the process (exit 1)', async () => {
    // last_seen_interval_ms short: a heartbeat that changes nothing else is still written within a pass.
    const { file, dataDir, port } = await leadConfig('runtime', { store: { snapshot_interval_ms: 200, last_seen_interval_ms: 200 } });
    agent = await TestAgent.create({ agentId: 'pi-1', leadId: LEAD_ID, leadPublicKey, root, clusterId: CLUSTER_ID, clock: { now: () => Date.now() } });
    await writeFile(join(dir.path, 'runtime', 'enrollments.json'), JSON.stringify([agent.enrollment]));
    lead = spawnCli(LEAD_BIN, ['run', '--config', file]);
    await lead.waitForLine('intake open', (line) => line.msg === INTAKE_OPEN_MESSAGE);
    await agent.connect(nats.url);
    expect((await agent.heartbeat()).reply.accepted).toBe(true);
    await lead.waitForLine('the first snapshot', (line) => line.event === 'snapshot.written');

    // Everything into the main file, then a page of the agents table damaged on disk, then a
    // write from elsewhere so the lead's connection drops its cache and reads the damage.
    const path = databasePath(dataDir);
    touchFromAnotherConnection(path, "INSERT OR REPLACE INTO lead_state (key, value) VALUES ('fault-test', '1')");
    corruptTablePage(path, 'agents');
    touchFromAnotherConnection(path, "INSERT OR REPLACE INTO lead_state (key, value) VALUES ('fault-test', '2')");
    expect((await agent.heartbeat()).reply.accepted).toBe(true);
    await lead.waitForLine('a failed snapshot', (line) => line.msg === 'registry snapshot failed');

    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
    expect(body.checks.find((check) => check.name === 'store')).toMatchObject({ ok: false, detail: expect.stringMatching(/^registry snapshot writes failing since .* malformed/) });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^mesh_lead_snapshot_failures_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^mesh_lead_snapshot_failing 1$/m);

    lead.child.kill('SIGTERM');
    const { code } = await lead.exited;
    expect(code).toBe(1);
    expect(lead.lines.some((line) => line.step === 'final snapshot' && line.level === 50)).toBe(true);
    expect(lead.lines.some((line) => String(line.msg).startsWith('shutdown failed'))).toBe(true);
  });

  it('SIGTERM with the broker frozen: the lead exits 1 within shutdown.timeout_ms, saying so', async () => {
    const { file } = await leadConfig('frozen-broker', { shutdown: { timeout_ms: 2_000 } });
    const frozen = spawnCli(LEAD_BIN, ['run', '--config', file]);
    await frozen.waitForLine('intake open', (line) => line.msg === INTAKE_OPEN_MESSAGE);
    const pid = nats.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const sent = Date.now();
      frozen.child.kill('SIGTERM');
      const { code, at } = await frozen.exited;
      expect(code).toBe(1);
      // Far below a hang, and below the 30 s TimeoutStopSec of deploy/lead/mesh-lead.service.
      expect(at - sent).toBeLessThan(15_000);
      expect(frozen.lines.some((line) => line.level === 50 && /did not finish in time/.test(String(line.msg)))).toBe(true);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
