// The mesh heals after a broker outage: operations in flight when nats-server is killed get no
// ACK back (the agents hold them in their outboxes), which is the lead's deafness, not the
// agents' fault. Real processes (nats-server, `mesh-lead run`, `mesh-agent sim`). Afterwards no
// agent is quarantined or docked, no breaker is open (before the blame logic, the first round's
// stragglers opened the cluster breaker and the next operation reached nobody), every agent is
// active and the mode is back to FULL.
import { readFile } from 'node:fs/promises';
import { subjects } from '@mesh30k/shared';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMesh, type LocalMesh, type OperationView } from '../harness/index.js';

const AGENTS = 6;
const HEARTBEAT_MS = 500;
/** Each round's stragglers would cost their agents 0.3 of health if they counted. */
const ROUNDS = 2;

interface Status {
  mode: string;
  agents: { total: number; by_state: Record<string, number> };
}

interface AgentView {
  state: string;
  clock: { samples: number } | null;
  health: { state: string; score: number };
}

describe('broker outage with operations in flight', () => {
  let mesh: LocalMesh;

  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: AGENTS, heartbeatMs: HEARTBEAT_MS, seed: 71, leadConfig: { guard: { restart_grace_ms: 2_000 }, log: { level: 'info' } } });
  }, 90_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  /** GET that must answer 200. */
  async function read<T>(path: string): Promise<T> {
    const body = await mesh.api.getOk<T>(path);
    if (body === undefined) throw new Error(`GET ${path} did not answer 200`);
    return body;
  }

  /** Polls the lead's status until `check` holds (the lead's own state is the event here). */
  async function until(what: string, check: (s: Status) => boolean, timeoutMs = 45_000): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await read<Status>('/v1/status');
      if (check(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function decided(location: string, timeoutMs = 30_000): Promise<OperationView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await read<OperationView>(location);
      if (view.state === 'SUCCEEDED' || view.state === 'FAILED') return view;
      if (Date.now() > deadline) throw new Error(`operation ${location} not decided: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function clocksKnown(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const views = await Promise.all(mesh.agentIds.map((id) => read<AgentView>(`/v1/agents/${id}`)));
      if (views.every((v) => (v.clock?.samples ?? 0) > 0)) return;
      if (Date.now() > deadline) throw new Error(`agents without a clock exchange: ${JSON.stringify(views.map((v) => v.clock))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('does not hold the lead\'s deafness against the agents: all active, FULL, nobody docked', async () => {
    await until('every agent active and FULL', (s) => s.mode === 'FULL' && s.agents.by_state.active === AGENTS);
    // Operations in flight when the broker dies: each COORDINATE goes out shortly before its T
    // (held there by the agents), and the broker is killed as soon as the first one is seen.
    for (let round = 0; round < ROUNDS; round++) {
      // Hold needs each agent's clock exchange: the operation goes out only to agents that have one.
      await clocksKnown();
      const watcher = await connect({ servers: mesh.natsUrl, reconnect: false });
      const coordinates = new Set([subjects.coordinateGroup('lead-local'), ...mesh.agentIds.map((id) => subjects.coordinateAgent(id))]);
      const seen = new Promise<void>((resolve) => {
        const sub = watcher.subscribe('mesh.>', {
          callback: (_error, msg) => {
            if (!coordinates.has(msg.subject)) return;
            sub.unsubscribe();
            resolve();
          },
        });
      });
      await watcher.flush();
      const res = await mesh.api.post('/v1/operations', { verb: 'observe', payload: { round }, selector: { all: true }, release_mode: 'hold', target_time: Date.now() + 2_000, timeout_ms: 4_000, min_response_rate: 0.5 });
      expect(res.status).toBe(202);
      const location = res.headers.get('location')!;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          read(location).then((view) => reject(new Error(`round ${round}: no COORDINATE seen: ${JSON.stringify(view)}`)), reject);
        }, 10_000);
      });
      await Promise.race([seen, late]).finally(() => clearTimeout(timer));
      await mesh.nats!.kill();
      await watcher.close().catch(() => undefined);
      const view = await decided(location);
      // The outage is real: COORDINATEs went out and the lead heard no ACK from someone.
      expect(view.result?.counts.sent, JSON.stringify(view.result?.counts)).toBeGreaterThan(0);
      expect(view.result?.stragglers.length, JSON.stringify(view.result?.counts)).toBeGreaterThan(0);
      await mesh.nats!.restart();
      await until(`round ${round}: every agent active and FULL`, (s) => s.mode === 'FULL' && s.agents.by_state.active === AGENTS);
    }

    const healed = await until('every agent active and FULL again', (s) => s.mode === 'FULL' && s.agents.by_state.active === AGENTS);
    expect(healed.agents.by_state.quarantined ?? 0).toBe(0);
    for (const agentId of mesh.agentIds) {
      const view = await read<AgentView>(`/v1/agents/${agentId}`);
      expect(view, agentId).toMatchObject({ state: 'active', health: { state: 'healthy' } });
      expect(view.health.score, agentId).toBeGreaterThanOrEqual(0.9);
    }
    const breakers = await mesh.api.get<{ breakers: { state: string }[] }>('/v1/breakers');
    expect(breakers.body.breakers.every((b) => b.state === 'closed'), JSON.stringify(breakers.body)).toBe(true);
    const log = await readFile(mesh.lead!.logFiles.at(-1)!, 'utf8');
    expect(log).toContain('"event":"outcome.excused"');
  }, 180_000);
});
