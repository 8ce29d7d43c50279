// The lead's management API as the `mesh` console uses it, against real processes
// (nats-server, `mesh-lead run`, `mesh-agent sim`): every request signed with the harness's
// operator key; operations as jobs through to SUCCEEDED, an idempotent retry, ask and broadcast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeadApi, startLocalMesh, type LocalMesh } from '../harness/index.js';

const AGENTS = 8;
const POLL_MS = 50;

interface Job {
  operation_id: string;
  kind: string;
  state: string;
  result?: { status: string; counts: Record<string, number>; answers?: { answer: unknown; agents: string[]; count: number }[] };
  error?: { code: string; message: string };
}

describe('management API against a local mesh', () => {
  let mesh: LocalMesh;

  beforeAll(async () => {
    mesh = await startLocalMesh({ agents: AGENTS, seed: 11 });
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  /** Polls the job until it ends (bounded by the test timeout). */
  async function settled(location: string): Promise<Job> {
    for (;;) {
      const res = await mesh.api.get<Job>(location);
      expect(res.status).toBe(200);
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(res.body.state)) return res.body;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  it('refuses an unsigned caller and serves the signed one', async () => {
    expect((await new LeadApi(mesh.leadUrl).get('/v1/status')).status).toBe(401);
    expect((await mesh.api.get('/v1/status')).status).toBe(200);
    expect(mesh.operator.id).toBe('harness');
  });

  it('runs a scatter-gather job to SUCCEEDED; the retry with the same key gets the same job', async () => {
    const body = { kind: 'scatter_gather', verb: 'record', payload: { command: 'arm' }, selector: { all: true }, release_mode: 'none', timeout_ms: 5_000 };
    const started = await mesh.api.post<Job>('/v1/operations', body, { 'idempotency-key': 'arm-1' });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'scatter_gather' });
    expect(['QUEUED', 'RUNNING']).toContain(started.body.state);
    const location = started.headers.get('location')!;
    expect(location).toBe(`/v1/operations/${started.body.operation_id}`);

    const retry = await mesh.api.post<Job>('/v1/operations', body, { 'idempotency-key': 'arm-1' });
    expect(retry.status).toBe(202);
    expect(retry.body.operation_id).toBe(started.body.operation_id);

    const done = await settled(location);
    expect(done.state).toBe('SUCCEEDED');
    // SUCCEEDED only with the quorum met; the figures are in the result (arrival quality is mesh.e2e's job).
    expect(done.result).toMatchObject({ status: 'SUCCESS', decision: 'PROCEED', counts: { selected: AGENTS } });
    expect(done.result!.counts.sent).toBeGreaterThan(0);

    const listed = await mesh.api.get<{ operations: Job[] }>('/v1/operations?state=SUCCEEDED');
    expect(listed.body.operations.map((o) => o.operation_id)).toContain(started.body.operation_id);
    // Cancelling a finished job changes nothing.
    expect((await mesh.api.post<Job>(`${location}/cancel`, {})).body.state).toBe('SUCCEEDED');
  }, 30_000);

  it('asks a sample and groups the answers; broadcasts to everyone with no quorum', async () => {
    const asked = await mesh.api.post<Job>('/v1/operations', { kind: 'ask', question: "What's your current context hash?", sample_size: 5, timeout_ms: 5_000 });
    expect(asked.status).toBe(202);
    const answer = await settled(asked.headers.get('location')!);
    expect(answer).toMatchObject({ kind: 'ask', state: 'SUCCEEDED' });
    const answers = answer.result!.answers!;
    expect(answers.reduce((n, a) => n + a.count, 0)).toBe(5);
    for (const group of answers) expect(group.agents).toHaveLength(group.count);

    const broadcast = await mesh.api.post<Job>('/v1/operations', { kind: 'broadcast', verb: 'record', payload: { note: 'market closed early' }, timeout_ms: 5_000 });
    expect(broadcast.status).toBe(202);
    const sent = await settled(broadcast.headers.get('location')!);
    expect(sent).toMatchObject({ kind: 'broadcast', state: 'SUCCEEDED' });
    expect(sent.result!.counts.selected).toBe(AGENTS);
  }, 30_000);
});
