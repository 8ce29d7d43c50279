import type { Ack } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import type { OperationView, SubmitOutcome } from '../control/index.js';
import { JobBoard } from '../jobs/index.js';
import { silentLogger } from '../lib/logger.js';
import type { OperationOutcome } from '../scatter/index.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi } from './app.js';
import type { AckSource } from './jobs-routes.js';

const kit = await apiTestKit();

/** An engine stand-in: every submission waits until the test settles it. */
class FakeOperations {
  readonly submitted: Record<string, unknown>[] = [];
  private readonly settlers = new Map<string, (outcome: OperationOutcome) => void>();
  private readonly states = new Map<string, 'queued' | 'running'>();
  /** Decided operations as the history keeps them (a standby follows them from the active lead). */
  readonly history = new Map<string, OperationView>();
  private n = 0;

  submit(request: unknown): Promise<SubmitOutcome> {
    const req = request as Record<string, unknown>;
    this.submitted.push(req);
    if (req.verb === 'dance') return Promise.resolve({ ok: false, operationId: null, refusal: { code: 'INVALID_OPERATION', reason: 'verb: invalid', path: 'verb' } });
    const operationId = (req.operationId as string | undefined) ?? `op-${++this.n}`;
    const outcome = new Promise<OperationOutcome>((resolve) => this.settlers.set(operationId, resolve));
    this.states.set(operationId, 'queued');
    return Promise.resolve({ ok: true, operationId, state: 'queued', outcome });
  }

  get(operationId: string): OperationView | undefined {
    const stored = this.history.get(operationId);
    if (stored !== undefined) return stored;
    const state = this.states.get(operationId);
    return state === undefined ? undefined : { operationId, state, submittedAt: 0, refusal: null, result: null };
  }

  run(id: string): void {
    this.states.set(id, 'running');
  }

  async complete(id: string, status = 'SUCCESS'): Promise<void> {
    this.settlers.get(id)!({ status: 'completed', result: { operationId: id, status, decision: 'PROCEED', counts: { sent: 2, ready: 2 } } as never });
    await Promise.resolve();
  }

  async refuse(id: string): Promise<void> {
    this.settlers.get(id)!({ status: 'refused', refusal: { code: 'QUEUE_TIMEOUT', reason: 'waited too long' } });
    await Promise.resolve();
  }
}

function ack(agentId: string, extra: Partial<Ack>): Ack {
  return { agent_id: agentId, ...extra } as Ack;
}

function setup(acks?: AckSource, jobs?: JobBoard) {
  const ops = new FakeOperations();
  const api = createApi({
    access: kit.access,
    operations: ops,
    ...(jobs === undefined ? {} : { jobs }),
    ...(acks === undefined ? {} : { acks, sample: (n: number) => ['pi-1', 'pi-2', 'pi-3', 'pi-4'].slice(0, n) }),
    status: () => ({}) as never,
    agent: () => undefined,
    readiness: () => [],
    logger: silentLogger(),
  });
  const get = async (path: string) => (await kit.request(api, 'GET', path)).json() as Promise<Record<string, unknown>>;
  return { ops, api, get };
}

const SCATTER = { verb: 'record', payload: null, selector: { all: true } };

describe('/v1/operations jobs', () => {
  it('runs a scatter job QUEUED -> RUNNING -> SUCCEEDED, with Location and the result', async () => {
    const { ops, api, get } = setup();
    const res = await kit.request(api, 'POST', '/v1/operations', { body: { kind: 'scatter_gather', ...SCATTER } });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe('/v1/operations/op-1');
    expect(await res.json()).toMatchObject({ operation_id: 'op-1', kind: 'scatter_gather', state: 'QUEUED' });
    ops.run('op-1');
    expect(await get('/v1/operations/op-1')).toMatchObject({ state: 'RUNNING' });
    await ops.complete('op-1');
    const done = await get('/v1/operations/op-1');
    expect(done).toMatchObject({ state: 'SUCCEEDED', result: { status: 'SUCCESS', counts: { sent: 2, ready: 2 } } });
    expect(done.updated_at).toEqual(expect.any(Number));
  });

  it('a decided job that came without its result (a standby\'s copy of a large one) is answered from the history, with the job\'s times', async () => {
    const board = new JobBoard(kit.access.now);
    const { ops, get } = setup(undefined, board);
    board.restore({ id: 'op-9', kind: 'scatter_gather', state: 'SUCCEEDED', createdAt: 5, updatedAt: 6, result: { omitted: 'over 262144 bytes: not replicated' } });
    expect(await get('/v1/operations/op-9')).toMatchObject({ state: 'SUCCEEDED', result: { omitted: expect.any(String) } });
    ops.history.set('op-9', { operationId: 'op-9', state: 'completed', submittedAt: 5, refusal: null, result: { operationId: 'op-9', status: 'SUCCESS', counts: { sent: 2, ready: 2 } } });
    const answered = await get('/v1/operations/op-9');
    expect(answered).toMatchObject({ state: 'SUCCEEDED', outcome: 'SUCCESS', result: { counts: { sent: 2, ready: 2 } }, created_at: 5, updated_at: 6 });
    expect(answered.result).not.toHaveProperty('omitted');
  });

  it('a refusal before admission is a problem; one after is a FAILED job with the error', async () => {
    const { ops, api, get } = setup();
    const bad = await kit.request(api, 'POST', '/v1/operations', { body: { ...SCATTER, verb: 'dance' } });
    expect(bad.status).toBe(400);
    expect((await kit.request(api, 'POST', '/v1/operations', { body: { ...SCATTER, kind: 'juggle' } })).status).toBe(400);
    await kit.request(api, 'POST', '/v1/operations', { body: SCATTER });
    await ops.refuse('op-1');
    expect(await get('/v1/operations/op-1')).toMatchObject({ state: 'FAILED', error: { code: 'QUEUE_TIMEOUT', message: 'waited too long' } });
  });

  it('cancel is idempotent: a live job goes CANCELLING then CANCELLED, a finished one stays as it is', async () => {
    const { ops, api } = setup();
    await kit.request(api, 'POST', '/v1/operations', { body: SCATTER });
    await kit.request(api, 'POST', '/v1/operations', { body: SCATTER });
    await ops.complete('op-2');
    const cancel = async (id: string) => (await kit.request(api, 'POST', `/v1/operations/${id}/cancel`, { body: {} })).json() as Promise<Record<string, unknown>>;
    expect(await cancel('op-1')).toMatchObject({ state: 'CANCELLING' });
    expect(await cancel('op-1')).toMatchObject({ state: 'CANCELLING' });
    await ops.complete('op-1');
    expect(await cancel('op-1')).toMatchObject({ state: 'CANCELLED' });
    expect(await cancel('op-2')).toMatchObject({ state: 'SUCCEEDED' });
    expect((await kit.request(api, 'POST', '/v1/operations/nope/cancel', { body: {} })).status).toBe(404);
  });

  it('lists jobs newest first, filtered by state, across pages', async () => {
    const { ops, api, get } = setup();
    for (let i = 0; i < 5; i++) await kit.request(api, 'POST', '/v1/operations', { body: SCATTER });
    await ops.complete('op-2');
    const first = await get('/v1/operations?page_size=2');
    expect((first.operations as { operation_id: string }[]).map((o) => o.operation_id)).toEqual(['op-5', 'op-4']);
    const second = await get(`/v1/operations?page_size=2&page_token=${first.next_page_token as string}`);
    expect((second.operations as { operation_id: string }[]).map((o) => o.operation_id)).toEqual(['op-3', 'op-2']);
    const third = await get(`/v1/operations?page_size=2&page_token=${second.next_page_token as string}`);
    expect((third.operations as { operation_id: string }[]).map((o) => o.operation_id)).toEqual(['op-1']);
    expect(third.next_page_token).toBeUndefined();
    const done = await get('/v1/operations?state=SUCCEEDED');
    expect((done.operations as { operation_id: string }[]).map((o) => o.operation_id)).toEqual(['op-2']);
    expect((await kit.request(api, 'GET', `/v1/operations?state=QUEUED&page_token=${first.next_page_token as string}`)).status).toBe(400);
  });

  it('broadcast is a scatter with release none and no quorum; ask groups the answers from the ACKs', async () => {
    const kept = new Map<string, Ack[]>();
    const acks: AckSource = { watch: (id) => kept.set(id, []), drain: (id) => kept.get(id) ?? [], release: (id) => kept.delete(id) };
    const { ops, api, get } = setup(acks);
    await kit.request(api, 'POST', '/v1/operations', { body: { kind: 'broadcast', verb: 'record', payload: { note: 'market closed early' } } });
    expect(ops.submitted[0]).toMatchObject({ releaseMode: 'none', minResponseRate: 0, targets: { all: true } });
    expect((await kit.request(api, 'POST', '/v1/operations', { body: { kind: 'broadcast', verb: 'record', payload: null, release_mode: 'hold' } })).status).toBe(400);

    const res = await kit.request(api, 'POST', '/v1/operations', { body: { kind: 'ask', question: "What's your context hash?", sample_size: 4 } });
    expect(res.status).toBe(202);
    const { operation_id: id } = (await res.json()) as { operation_id: string };
    expect(ops.submitted[1]).toMatchObject({ operationId: id, verb: 'observe', payload: { question: "What's your context hash?" }, targets: { agent_ids: ['pi-1', 'pi-2', 'pi-3', 'pi-4'] } });
    kept.get(id)!.push(ack('pi-1', { result: 'a1b2' }), ack('pi-3', { result: 'a1b2' }), ack('pi-2', { result: 'e5f6' }), ack('pi-4', { conflict: {} as never }));
    await ops.complete(id);
    expect(await get(`/v1/operations/${id}`)).toMatchObject({
      kind: 'ask',
      state: 'SUCCEEDED',
      result: {
        answers: [
          { answer: 'a1b2', agents: ['pi-1', 'pi-3'], count: 2 },
          { answer: 'e5f6', agents: ['pi-2'], count: 1 },
          { answer: 'CONFLICT', agents: ['pi-4'], count: 1 },
        ],
      },
    });
  });
});
