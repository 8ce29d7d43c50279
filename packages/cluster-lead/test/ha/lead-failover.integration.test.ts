// Two real `mesh-lead run` processes for one cluster (config `ha`, same lead id, key and
// enrollments) on a three-node JetStream cluster: one takes heartbeats, the other stands by with
// its intake closed; kill -9 of the active one makes the standby serve; a paused active one
// exits 75 on SIGCONT instead of acting on what it knew before the pause.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNatsCluster, waitFor, type NatsCluster, type TempDir } from '../../../../test/harness/index.js';
import { INTAKE_OPEN_MESSAGE } from '../../src/main.js';
import { TestAgent, createTestRoot, type TestRoot } from '../support/test-agents.js';

const BIN = new URL('../../bin/mesh-lead.js', import.meta.url).pathname;
const LEAD_ID = 'lead-ha';
const TTL_MS = 2_000;
const START_MS = 30_000;
const TEMPFAIL = 75;

interface LeadProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

let cluster: NatsCluster;
let dir: TempDir;
let root: TestRoot;
let agent: TestAgent;
const leads: LeadProc[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  dir = await makeTempDir('mesh30k-ha-');
  root = await createTestRoot();
  const leadKeys = await generateKeyFile(join(dir.path, 'lead.key'));
  agent = await TestAgent.create({ agentId: 'pi-ha', leadId: LEAD_ID, leadPublicKey: leadKeys.publicKey, root, clusterId: 'cluster-ha', clock: { now: () => Date.now() } });
  await writeFile(join(dir.path, 'enrollments.json'), JSON.stringify([agent.enrollment]));
  await agent.connect(cluster.urls[0]!);
});

afterEach(async () => {
  for (const lead of leads.splice(0)) {
    if (lead.child.exitCode === null && lead.child.signalCode === null) lead.child.kill('SIGKILL');
    await lead.exited;
  }
});

afterAll(async () => {
  await agent?.close();
  await cluster?.dispose();
  await dir?.dispose();
});

/** One lead process of the pair: its own data dir and HTTP port, the shared identity and lease `key`. */
async function startLead(name: string, key: string): Promise<LeadProc> {
  const config = {
    lead_id: LEAD_ID,
    cluster_id: 'cluster-ha',
    nats: { servers: cluster.urls, reconnect_wait_ms: 100 },
    key_path: join(dir.path, 'lead.key'),
    trust: { root_public_keys: [root.publicKeyText], enrollments: join(dir.path, 'enrollments.json') },
    data_dir: join(dir.path, `data-${key}-${name}`),
    http: { port: 0 },
    ingest: { verify_threads: 0 },
    ha: { enabled: true, lease_key: key, ttl_ms: TTL_MS, replicas: 3 },
  };
  const file = join(dir.path, `${key}-${name}.json`);
  await writeFile(file, JSON.stringify(config));
  const child = spawn(process.execPath, [BIN, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  const lead: LeadProc = { name, child, lines, exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]> };
  leads.push(lead);
  return lead;
}

function logged(lead: LeadProc, message: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return waitFor(`${lead.name} to log "${message}"`, timeoutMs, () => {
    if (lead.child.exitCode !== null) throw new Error(`${lead.name} exited ${lead.child.exitCode} before logging "${message}"`);
    return lead.lines.find((line) => line.msg === message);
  });
}

/** Heartbeats until one is accepted (no lead subscribed answers "no responders" at once). */
async function accepted(timeoutMs: number): Promise<number> {
  return waitFor('an accepted heartbeat', timeoutMs, async () => {
    try {
      const { reply } = await agent.heartbeat();
      return reply.accepted ? Date.now() : undefined;
    } catch {
      return undefined;
    }
  });
}

/** Starts both; resolves with the one that took the lease first and the standby. */
async function pair(key: string): Promise<{ active: LeadProc; standby: LeadProc }> {
  const a = await startLead('a', key);
  await logged(a, INTAKE_OPEN_MESSAGE, START_MS);
  const b = await startLead('b', key);
  await logged(b, 'standing by for the lease', START_MS);
  return { active: a, standby: b };
}

describe('two leads for one cluster with config ha', () => {
  it('serves heartbeats from the lease holder only, and from the standby within a few seconds of a kill -9', async () => {
    const { active, standby } = await pair('kill');
    await accepted(5_000);
    expect(standby.lines.some((line) => line.msg === INTAKE_OPEN_MESSAGE)).toBe(false);

    const killedAt = Date.now();
    active.child.kill('SIGKILL');
    await active.exited;
    const servedAt = await accepted(4 * TTL_MS);
    const took = await logged(standby, 'lease acquired', 1_000);
    const first = active.lines.find((line) => line.msg === 'lease acquired')!;
    expect(took.epoch as number).toBeGreaterThan(first.epoch as number);
    // One TTL for the entry to expire, a check, and the intake subscribing.
    expect(servedAt - killedAt).toBeLessThan(3 * TTL_MS);
  });

  it('makes a paused holder exit 75 on SIGCONT, its successor serving meanwhile', async () => {
    const { active, standby } = await pair('pause');
    active.child.kill('SIGSTOP');
    await logged(standby, INTAKE_OPEN_MESSAGE, 4 * TTL_MS);
    await accepted(5_000);
    active.child.kill('SIGCONT');
    const [code] = await active.exited;
    expect(code).toBe(TEMPFAIL);
    const fatal = active.lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('lost the lease'));
    expect(fatal).toMatchObject({ reason: 'expired' });
    await accepted(2_000);
  });
});
