// A real lead restarted under real agents (`mesh-agent sim` processes on a private
// nats-server): ready only once heartbeats are taken, and a clock stepped back or forward
// across the restart (config clock.shift_ms, the host clock untouched) never sends live
// agents offline while they re-synchronise.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyId, modeForActiveRate, publicKeyText } from '@mesh30k/shared';
import { loadKeyPair, nodeEd25519 } from '@mesh30k/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAgent } from '../../packages/cluster-lead/test/support/test-agents.js';
import { LeadApi, startLocalMesh, type LocalMesh } from '../harness/index.js';

const AGENTS = 6;
const HEARTBEAT_MS = 500;
const GRACE_MS = 3_000;

interface Status {
  mode: string;
  healthy_share: number;
  agents: { total: number; by_state: Record<string, number> };
  guard: { factor: number; reasons: string[] };
  ingest: { accepted: number; refused: Record<string, number> };
}

describe('lead restart under live agents', () => {
  let mesh: LocalMesh;
  /** The operator's requests are signed on the lead's (shifted) clock, as its API checks them against it. */
  let api: LeadApi;
  let shift = 0;
  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: AGENTS, heartbeatMs: HEARTBEAT_MS, leadConfig: { guard: { restart_grace_ms: GRACE_MS }, log: { level: 'info' } } });
    api = new LeadApi(mesh.leadUrl, { operatorId: mesh.operator.id, privateKey: mesh.operator.privateKey, now: () => Date.now() + shift });
  }, 90_000);
  afterAll(async () => {
    await mesh?.stop();
  });

  async function status(): Promise<Status> {
    const res = await api.get<Status>('/v1/status');
    if (res.status !== 200) throw new Error(`GET /v1/status: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Polls the lead's status until `check` holds (the lead's own state is the event here). */
  async function until(what: string, check: (s: Status) => boolean, timeoutMs = 30_000): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await status();
      if (check(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('answers heartbeats as soon as /health/ready says 200', async () => {
    const rootKeys = await loadKeyPair(join(mesh.dir, 'root.key'));
    const root = { keys: rootKeys, signer: nodeEd25519.signerSync(rootKeys.privateKey), keyId: await keyId(rootKeys.publicKey), publicKeyText: publicKeyText(rootKeys.publicKey) };
    const leadKey = await loadKeyPair(join(mesh.dir, 'lead.key'));
    const agent = await TestAgent.create({ agentId: 'probe-agent', leadId: 'lead-local', leadPublicKey: leadKey.publicKey, root, clusterId: 'local-cluster', clock: { now: () => Date.now() } });
    await writeFile(join(mesh.dir, 'enrollments', 'probe-agent.json'), JSON.stringify([agent.enrollment]));
    await agent.connect(mesh.natsUrl);
    try {
      await mesh.restartLead!();
      // restartLead resolved at the first 200 from /health/ready: no NATS no-responders now.
      const { reply } = await agent.heartbeat();
      expect(reply.accepted).toBe(true);
    } finally {
      await agent.close();
    }
  }, 60_000);

  for (const [direction, shiftMs] of [
    ['back', -60_000],
    ['forward', 60_000],
  ] as const) {
    it(`keeps every live agent active when the lead comes back with its clock stepped ${direction} 60 s`, async () => {
      const before = JSON.parse(await readFile(join(mesh.dir, 'lead.json'), 'utf8')) as { clock?: { shift_ms?: number } };
      const step = shiftMs - (before.clock?.shift_ms ?? 0);
      await mesh.restartLead!({ clock: { shift_ms: shiftMs } });
      shift = shiftMs;
      // Through the restart guard and well past it, with every agent beating (and, at first,
      // refused for a timestamp off by the step until it re-synchronises).
      // (The event-loop-lag guard may come and go on a busy machine; the restart one must end.)
      await until('the restart guard to end', (s) => !s.guard.reasons.includes('restart'));
      const settled = await until('several accepted beats per agent after the guard', (s) => s.ingest.accepted >= AGENTS * 12);
      expect(settled.ingest.refused[shiftMs < 0 ? 'FROM_THE_FUTURE' : 'EXPIRED'] ?? 0).toBeGreaterThan(0);
      for (const agentId of mesh.agentIds) {
        const view = await api.get<{ state: string }>(`/v1/agents/${agentId}`);
        expect(view.body.state, agentId).toBe('active');
      }
      // The restart leaves no scar: the mode (EMERGENCY at start, with nobody heard yet) is back
      // to what the fleet warrants, nobody quarantined. (The first test's probe agent is gone
      // for good and counts as offline, so that is DEGRADED_LIGHT here, not FULL.)
      const healed = await until('the mode back to what the fleet warrants', (s) => s.mode === modeForActiveRate(s.healthy_share));
      expect(healed.agents.by_state.quarantined ?? 0).toBe(0);
      expect(healed.agents.by_state.active).toBe(AGENTS);
      const log = await readFile(mesh.lead!.logFiles.at(-1)!, 'utf8');
      const offline = log.split('\n').filter((line) => line.includes('"event":"agent.offline"') && mesh.agentIds.some((id) => line.includes(`"${id}"`)));
      expect(offline, offline.join("\n")).toEqual([]);
      const measured = /the lead's clock moved (-?\d+) ms since its last run on this boot/.exec(log);
      expect(Math.abs(Number(measured?.[1]) - step)).toBeLessThanOrEqual(5);
    }, 90_000);
  }
});
