// Escalation to a parent lead, end to end: a child lead (startLead, configured with `parent`)
// takes a CONFLICT from an agent over a real nats-server and escalates it to its parent lead.
// With the parent down the escalation is dead-lettered; GET /v1/dead-letters shows it and
// POST /v1/dead-letters/:id/replay delivers it once the parent is up. The parent's reply is
// read by main.ts's parentEscalationVia: when replies are signed (issue 11, item 12) this test
// keeps passing only if the child accepts the parent's genuine, verified answer.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyText, type KeyResolver } from '@mesh30k/shared';
import { generateKeyFile } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import { parseConfig, type LeadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startLead, type Lead } from '../../src/main.js';
import { FakeLag } from '../support/lead-fixture.js';
import { createTestOperator, type TestOperator } from '../support/test-operator.js';
import { createTestRoot, enroll, type TestRoot } from '../support/test-agents.js';
import { MeshAgent, SteppingClock } from './support/mesh-agent.js';

interface Setup {
  config: LeadConfig;
  publicKey: Uint8Array;
  enrollments: string;
}

let nats: NatsServer;
let dir: TempDir;
let root: TestRoot;
let operator: TestOperator;
let parentSetup: Setup;
let childSetup: Setup;
let child: Lead;
let parent: Lead | undefined;
let agent: MeshAgent;
const clock = new SteppingClock();

async function setup(name: string, extra: Record<string, unknown>): Promise<Setup> {
  const base = join(dir.path, name);
  await mkdir(join(base, 'enrollments'), { recursive: true });
  const keys = await generateKeyFile(join(base, 'lead.key'));
  const config = parseConfig(
    {
      lead_id: name,
      cluster_id: `cluster-${name}`,
      nats: { servers: [nats.url], reconnect_wait_ms: 50 },
      key_path: join(base, 'lead.key'),
      trust: { root_public_keys: [root.publicKeyText], enrollments: join(base, 'enrollments') },
      data_dir: join(base, 'data'),
      http: { host: '127.0.0.1', port: 0, allow_plain_http: true },
      api: { operators: operator.operators },
      guard: { restart_grace_ms: 1 },
      ingest: { verify_threads: 0 },
      log: { level: 'silent' },
      ...extra,
    },
    { env: {} },
  );
  return { config, publicKey: keys.publicKey, enrollments: join(base, 'enrollments') };
}

const overrides = () => ({ clock, lag: new FakeLag(), logger: silentLogger(), timers: false });
const api = async <T>(lead: Lead, method: string, path: string): Promise<{ status: number; body: T }> => {
  const res = await operator.fetch(`${lead.api.url}${path}`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
};

beforeAll(async () => {
  nats = await startNats();
  dir = await makeTempDir('mesh30k-escalation-');
  root = await createTestRoot();
  operator = await createTestOperator(() => clock.now());
  parentSetup = await setup('parent', {});
  // Priority 2 and up go upward, so the agent's ordinary report is escalated.
  childSetup = await setup('child', { parent: { lead_id: 'parent', public_key: publicKeyText(parentSetup.publicKey) }, conflicts: { escalate_at: 2, escalation_timeout_ms: 1_000 } });
  const childEnrollment = await enroll(root, { agentId: 'child', publicKey: childSetup.publicKey, clusterId: 'cluster-child', issuedAt: clock.now() - 1_000, role: 'lead' });
  await writeFile(join(parentSetup.enrollments, 'child.json'), JSON.stringify(childEnrollment));
  const leadKey: KeyResolver = (id) => (id === 'child' ? { ok: true, value: childSetup.publicKey } : { ok: false, error: { code: 'UNKNOWN_SIGNER', message: id } });
  agent = await MeshAgent.create({ agentId: 'pi-c0', clusterId: 'cluster-child', sectorId: 'sector-1', leadId: 'child', clock, resolveLeadKey: leadKey }, root);
  await writeFile(join(childSetup.enrollments, 'pi-c0.json'), JSON.stringify(agent.enrollment));
  child = await startLead(childSetup.config, overrides());
  await child.intake;
  await agent.connect(nats.url);
  await agent.heartbeat(2);
}, 30_000);

afterAll(async () => {
  await agent?.kill();
  await child?.stop('test done');
  await parent?.stop('test done');
  await nats?.dispose();
  await dir?.dispose();
});

interface LetterJson {
  id: number;
  kind: string;
  agent_id: string;
  attempts: number;
  payload: { agent_id: string; conflict_id: string; detail: { detail: string } };
}

describe('a child lead escalates conflicts to its parent lead over NATS', () => {
  it('dead-letters the escalation while the parent is down, and replays it once the parent is up', async () => {
    const detail = { type: 'DATA_CONTRADICTION' as const, expected_value: '40', received_value: '12', context_hash: 'a'.repeat(64), detail: 'sensor 3 reads 40 C, sensor 4 reads 12 C' };
    expect(await agent.report('cf-parent-down', detail)).toEqual({ ok: true });
    await child.conflicts.settle();

    const listed = await api<{ dead_letters: LetterJson[] }>(child, 'GET', '/v1/dead-letters?kind=conflict.escalation');
    expect(listed.status).toBe(200);
    expect(listed.body.dead_letters).toHaveLength(1);
    const letter = listed.body.dead_letters[0]!;
    expect(letter).toMatchObject({ kind: 'conflict.escalation', agent_id: 'pi-c0', attempts: 1, payload: { agent_id: 'child', conflict_id: 'cf-parent-down' } });

    // Replayed with the parent still down: it fails again, is kept, and counts the attempt.
    const early = await api<{ code: string }>(child, 'POST', `/v1/dead-letters/${letter.id}/replay`);
    expect(early.status).toBe(503);
    expect((await api<LetterJson>(child, 'GET', `/v1/dead-letters/${letter.id}`)).body.attempts).toBe(2);

    parent = await startLead(parentSetup.config, overrides());
    await parent.intake;
    const replayed = await api<{ replayed: boolean }>(child, 'POST', `/v1/dead-letters/${letter.id}/replay`);
    expect(replayed).toMatchObject({ status: 200, body: { replayed: true } });
    expect((await api(child, 'GET', `/v1/dead-letters/${letter.id}`)).status).toBe(404);

    const atParent = parent.store.conflicts.query({ limit: 10 });
    expect(atParent).toHaveLength(1);
    expect(atParent[0]).toMatchObject({ agentId: 'child', conflictId: 'cf-parent-down' });
    expect(new TextDecoder().decode(atParent[0]!.body)).toContain('from pi-c0: sensor 3 reads 40 C');
  });

  it('escalates straight to a parent that is up, leaving no dead letter', async () => {
    const before = child.deadLetters.count();
    await agent.report('cf-parent-up', { type: 'DATA_CONTRADICTION', expected_value: '41', received_value: '13', context_hash: 'b'.repeat(64), detail: 'second reading disagrees' });
    await child.conflicts.settle();
    expect(child.deadLetters.count()).toBe(before);
    expect(parent!.store.conflicts.query({ limit: 10 }).map((c) => c.conflictId)).toContain('cf-parent-up');
  });
});
