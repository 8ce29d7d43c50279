// Operation payloads at and over the wire limits against real processes (nats-server,
// `mesh-lead run`, `mesh-agent sim`): the API refuses what no agent could take (413 for bytes,
// 400 for nesting, naming the field and the limit; counted), and a payload at the limit reaches
// every agent, so the limits agree end to end.
import { WIRE_LIMITS } from '@mesh30k/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMesh, type LocalMesh } from '../harness/index.js';

const AGENTS = 4;

interface Problem {
  code: string;
  detail: string;
  field?: string;
  limit_bytes?: number;
  errors?: { field: string; message: string }[];
}

describe('payload limits end to end', () => {
  let mesh: LocalMesh;

  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: AGENTS, seed: 61 });
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  const operation = (payload: unknown) => ({ kind: 'scatter_gather', verb: 'record', payload, selector: { all: true }, release_mode: 'none', timeout_ms: 5_000 });

  it('refuses a 200 kB payload with 413 naming the field and the limit, and a deeply nested one with 400, not 500', async () => {
    const big = await mesh.api.post<Problem>('/v1/operations', operation({ note: 'x'.repeat(200_000) }));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', field: 'payload', limit_bytes: WIRE_LIMITS.maxPayloadBytes });
    expect(big.body.detail).toContain(String(WIRE_LIMITS.maxPayloadBytes));

    // 5,000 levels: written as text, since JSON.stringify itself would overflow the stack.
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const body = JSON.stringify(operation('DEEP')).replace('"DEEP"', deep);
    const nested = await mesh.api.requestText<Problem>('POST', '/v1/operations', body);
    expect(nested.status).toBe(400);
    expect(nested.body.errors?.[0]).toMatchObject({ field: 'payload', message: expect.stringContaining(`${WIRE_LIMITS.maxPayloadDepth} levels`) });

    const metrics = await mesh.api.get<string>('/metrics');
    expect(metrics.body).toContain('mesh_lead_limit_hits_total{limit="payload_bytes"} 1');
    expect(metrics.body).toContain('mesh_lead_limit_hits_total{limit="payload_depth"} 1');
  }, 30_000);

  it('delivers a payload at the limit to every agent: all READY, no straggler, no breaker opened', async () => {
    const note = 'x'.repeat(WIRE_LIMITS.maxPayloadBytes - '{"note":""}'.length);
    const done = await mesh.operation(operation({ note }), 20_000);
    expect(done.state).toBe('SUCCEEDED');
    expect(done.result?.stragglers).toEqual([]);
    expect(done.result?.counts).toMatchObject({ sent: AGENTS, ready: AGENTS });
    const breakers = await mesh.api.get<{ breakers: { state: string }[] }>('/v1/breakers');
    expect(breakers.body.breakers.every((b) => b.state === 'closed')).toBe(true);
  }, 30_000);

  it('a payload failing its verb\'s schema (a sync without context_hash) is refused with 400 naming the field before anything is sent: no breaker opens', async () => {
    const scores = async (): Promise<Map<string, number>> => {
      const views = await Promise.all(mesh.agentIds.map((id) => mesh.api.getOk<{ health: { score: number } }>(`/v1/agents/${id}`)));
      return new Map(mesh.agentIds.map((id, i) => [id, views[i]!.health.score]));
    };
    const before = await scores();
    // Twice, as the issue had it: each used to reach every agent and count against the cluster breaker.
    for (const payload of [{ nonsense: true }, undefined]) {
      const refused = await mesh.api.post<Problem>('/v1/operations', { ...operation(payload), verb: 'sync' });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'BAD_REQUEST', errors: [expect.objectContaining({ field: payload === undefined ? 'payload' : 'payload.context_hash' })] });
    }
    const after = await scores();
    for (const [id, score] of before) expect(after.get(id), id).toBeGreaterThanOrEqual(score);
    const breakers = await mesh.api.get<{ breakers: { state: string }[] }>('/v1/breakers');
    expect(breakers.body.breakers.every((b) => b.state === 'closed')).toBe(true);
    // A valid sync right after runs on every agent.
    const valid = await mesh.operation({ ...operation({ context_hash: 'a'.repeat(64) }), verb: 'sync' }, 20_000);
    expect(valid.state).toBe('SUCCEEDED');
    expect(valid.result?.counts).toMatchObject({ sent: AGENTS, ready: AGENTS });
  }, 30_000);
});
