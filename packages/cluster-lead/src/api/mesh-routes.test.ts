import type { BreakerStatus, MeshMode } from '@mesh30k/shared';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { heal } from '../control/index.js';
import { silentLogger } from '../lib/logger.js';
import { beat, harness, ids } from '../registry/registry.test-helper.js';
import { ConflictLog, migrate } from '../store/index.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi, type ApiDeps } from './app.js';

const kit = await apiTestKit();
const encoder = new TextEncoder();

function app(extra: Partial<ApiDeps>) {
  return createApi({ access: kit.access, status: () => ({}) as never, agent: () => undefined, readiness: () => [], logger: silentLogger(), ...extra });
}

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('mode, breakers, conflicts, heal', () => {
  it('GET/PUT /v1/mode sets and clears the override; an unknown mode is a 400', async () => {
    let override: MeshMode | null = null;
    const api = app({ mode: { get: () => ({ mode: override ?? 'FULL', computed: 'FULL', override }), set: (m) => void (override = m) } });
    expect(await json(await kit.request(api, 'GET', '/v1/mode', { as: 'viewer' }))).toEqual({ mode: 'FULL', computed: 'FULL', override: null });
    expect(await json(await kit.request(api, 'PUT', '/v1/mode', { body: { override: 'DEGRADED_SEVERE' } }))).toEqual({ mode: 'DEGRADED_SEVERE', computed: 'FULL', override: 'DEGRADED_SEVERE' });
    expect((await kit.request(api, 'PUT', '/v1/mode', { body: { override: 'PANIC' } })).status).toBe(400);
    expect((await kit.request(api, 'PUT', '/v1/mode', { body: { override: null }, as: 'viewer' })).status).toBe(403);
    expect(await json(await kit.request(api, 'PUT', '/v1/mode', { body: { override: null } }))).toMatchObject({ mode: 'FULL', override: null });
  });

  it('POST /v1/breakers/:id/force finds the scope, refuses an unknown breaker without one', async () => {
    const forced: unknown[] = [];
    const list = (): BreakerStatus[] => [{ scope: 'cluster', targetId: 'c-1', state: 'closed' } as BreakerStatus];
    const api = app({ breakers: list, forceBreaker: (...args) => void forced.push(args) });
    expect((await kit.request(api, 'POST', '/v1/breakers/c-1/force', { body: { state: 'open' } })).status).toBe(200);
    expect(forced).toEqual([['cluster', 'c-1', 'open', 'forced by admin']]);
    expect((await kit.request(api, 'POST', '/v1/breakers/c-9/force', { body: { state: 'open' } })).status).toBe(404);
    expect((await kit.request(api, 'POST', '/v1/breakers/c-9/force', { body: { state: 'auto', scope: 'sector' } })).status).toBe(200);
    expect((await kit.request(api, 'POST', '/v1/breakers/c-1/force', { body: { state: 'ajar' } })).status).toBe(400);
  });

  it('GET /v1/conflicts filters the log and pages newest first', async () => {
    const db = new Database(':memory:');
    migrate(db);
    const log = new ConflictLog(db);
    for (let i = 0; i < 5; i++) {
      log.append({ conflictId: `cf-${i}`, receivedAt: 1_000 + i, agentId: i % 2 === 0 ? 'pi-a' : 'pi-b', operationId: null, conflictType: 'DATA_CONTRADICTION', priority: i, signerId: 'pi-a', signature: 'sig', body: encoder.encode(JSON.stringify({ n: i })) });
    }
    const api = app({ conflicts: (query) => log.query(query) });
    const first = await json(await kit.request(api, 'GET', '/v1/conflicts?agent=pi-a&page_size=2', { as: 'viewer' }));
    expect((first.conflicts as { conflict_id: string; report: unknown }[]).map((c) => [c.conflict_id, c.report])).toEqual([['cf-4', { n: 4 }], ['cf-2', { n: 2 }]]);
    const next = await json(await kit.request(api, 'GET', `/v1/conflicts?agent=pi-a&page_size=2&page_token=${first.next_page_token as string}`));
    expect((next.conflicts as { conflict_id: string }[]).map((c) => c.conflict_id)).toEqual(['cf-0']);
    expect(next.next_page_token).toBeUndefined();
    const window = await json(await kit.request(api, 'GET', '/v1/conflicts?since=1001&until=1004&min_priority=2'));
    expect((window.conflicts as { conflict_id: string }[]).map((c) => c.conflict_id)).toEqual(['cf-3', 'cf-2']);
    expect((await kit.request(api, 'GET', '/v1/conflicts?since=yesterday')).status).toBe(400);
  });

  it('GET /v1/conflicts takes fractional mesh times (as the API answers them), never exponents', async () => {
    const db = new Database(':memory:');
    migrate(db);
    const log = new ConflictLog(db);
    for (const [i, at] of [1_000.25, 1_000.75, 1_001.5].entries()) {
      log.append({ conflictId: `cf-${i}`, receivedAt: at, agentId: 'pi-a', operationId: null, conflictType: 'DATA_CONTRADICTION', priority: 1, signerId: 'pi-a', signature: 'sig', body: encoder.encode('{}') });
    }
    const api = app({ conflicts: (query) => log.query(query) });
    const window = await json(await kit.request(api, 'GET', '/v1/conflicts?since=1000.5&until=1001.5', { as: 'viewer' }));
    expect((window.conflicts as { conflict_id: string; received_at: number }[]).map((c) => [c.conflict_id, c.received_at])).toEqual([['cf-1', 1_000.75]]);
    for (const bad of ['1e3', '1000.', '.5', '-1']) {
      const res = await kit.request(api, 'GET', `/v1/conflicts?since=${bad}`, { as: 'viewer' });
      expect([res.status, ((await json(res)).errors as { field: string }[])[0]?.field]).toEqual([400, 'since']);
    }
  });

  it('POST /v1/heal is a job that recovers quarantined agents and closes half-open breakers', async () => {
    const h = harness();
    beat(h, ids('pi', 20));
    h.registry.quarantine('pi-01');
    h.registry.quarantine('pi-02');
    h.registry.retire('pi-02');
    const closed: string[] = [];
    const list = (): BreakerStatus[] => [{ scope: 'cluster', targetId: 'cluster-1', state: 'half-open' } as BreakerStatus, { scope: 'sector', targetId: 's-1', state: 'open' } as BreakerStatus];
    const api = app({
      heal: (target, by) =>
        heal(
          {
            quarantined: (selector) => h.registry.select({ selector, states: ['quarantined'], honourPanic: false }).agentIds,
            agent: (id) => h.registry.get(id),
            recover: (id, reason) => void h.registry.recover(id, reason),
            breakers: list,
            closeBreaker: (_scope, id) => void closed.push(id),
          },
          target,
          by,
        ),
    });
    const res = await kit.request(api, 'POST', '/v1/heal', { body: {} });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    expect(await json(await kit.request(api, 'GET', location))).toMatchObject({
      kind: 'heal',
      state: 'SUCCEEDED',
      result: { target: 'auto', recovered: ['pi-01'], breakers_reset: [{ scope: 'cluster', target_id: 'cluster-1' }] },
    });
    expect(h.registry.get('pi-01')?.state).toBe('active');
    // Retired is final: heal leaves it alone.
    expect(h.registry.get('pi-02')?.health.state).toBe('retired');
    expect(closed).toEqual(['cluster-1']);
  });
});
