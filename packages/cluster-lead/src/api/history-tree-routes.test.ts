import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import { ChildLeadTable } from '../cascade/child-table.js';
import { silentLogger } from '../lib/logger.js';
import { beat, harness, INTERVAL, T0 } from '../registry/registry.test-helper.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi, type ApiDeps } from './app.js';

const kit = await apiTestKit();
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

function app(extra: Partial<ApiDeps>) {
  return createApi({ access: kit.access, status: () => ({}) as never, agent: () => undefined, readiness: () => [], logger: silentLogger(), ...extra });
}

describe('GET /v1/agents/:id/history and GET /v1/tree', () => {
  it("answers an agent's samples oldest first, the newest N on ?samples=, 404 for an unknown agent", async () => {
    const h = harness({ historySamples: 5 });
    for (let i = 0; i < 3; i++) {
      beat(h, ['pi-a'], {}, { impedance_score: 100 + i });
      h.clock.advance(INTERVAL);
    }
    h.registry.recordOutcome('pi-a', { result: 'error', operationId: 'op-1' });
    const api = app({ agent: (id) => h.registry.get(id), agentHistory: (id) => h.registry.recentHistory(id) });
    const body = await json(await kit.request(api, 'GET', '/v1/agents/pi-a/history', { as: 'viewer' }));
    expect(body).toMatchObject({ agent_id: 'pi-a', capacity: 5, spacing_ms: INTERVAL, outcomes: [{ operation_id: 'op-1', result: 'error', processing_ms: null }] });
    expect((body.samples as { at: number; impedance_score: number }[]).map((s) => [s.at, s.impedance_score])).toEqual([
      [T0, 100],
      [T0 + INTERVAL, 101],
      [T0 + 2 * INTERVAL, 102],
    ]);
    const newest = await json(await kit.request(api, 'GET', '/v1/agents/pi-a/history?samples=1', { as: 'viewer' }));
    expect((newest.samples as unknown[]).length).toBe(1);
    expect((await kit.request(api, 'GET', '/v1/agents/nobody/history', { as: 'viewer' })).status).toBe(404);
    expect((await kit.request(api, 'GET', '/v1/agents/pi-a/history?samples=many', { as: 'viewer' })).status).toBe(400);
    expect((await kit.request(app({}), 'GET', '/v1/agents/pi-a/history', { as: 'viewer' })).status).toBe(404);
  });

  it('lists the child leads with their last summary, stale ones marked', async () => {
    const table = new ChildLeadTable(30_000);
    table.record(sampleMessage('SUMMARY', { sender: 'lead-b', at: T0 }), T0 + 4);
    table.record(sampleMessage('SUMMARY', { sender: 'lead-a', at: T0 - 60_000, overrides: { sector_id: 's-2', mode: 'DEGRADED_LIGHT' } }), T0 - 60_000);
    const api = app({
      tree: { self: { leadId: 'root', clusterId: 'c-0', sectorId: null, parentLeadId: null }, mesh: () => ({ agents_active: 60, agents_total: 66, mode: 'FULL', frozen: false }), children: () => table.all(T0) },
    });
    const tree = await json(await kit.request(api, 'GET', '/v1/tree', { as: 'viewer' }));
    expect(tree).toMatchObject({ lead_id: 'root', parent_lead_id: null, agents_active: 60, agents_total: 66, mode: 'FULL' });
    expect(tree.children).toMatchObject([
      { lead_id: 'lead-a', sector_id: 's-2', liveness: 'stale', mode: 'DEGRADED_LIGHT', agent_count: 30 },
      { lead_id: 'lead-b', sector_id: null, liveness: 'live', received_at: T0 + 4, hop_ms: 4, by_state: { active: 28 } },
    ]);
    expect((await kit.request(api, 'GET', '/v1/tree?depth=2', { as: 'viewer' })).status).toBe(400);
  });
});
