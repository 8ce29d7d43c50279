import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import type { AgentView } from '../registry/index.js';
import { beat, harness } from '../registry/registry.test-helper.js';
import { apiTestKit, type ApiTestKit } from './api-test-kit.js';
import { createApi, type LeadStatusBody, type ReadinessCheck } from './app.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

const STATUS: LeadStatusBody = {
  lead_id: 'lead-1',
  cluster_id: 'cluster-1',
  agents: { total: 3, by_state: { active: 2, degraded: 0, offline: 1, quarantined: 0 }, retired: 0, quarantine_deferred: 0 },
  mode: 'DEGRADED_LIGHT',
  panic: false,
  healthy_share: 2 / 3,
  frozen: false,
  config_epoch: 4,
  guard: { factor: 1, reasons: [] },
  nats: { connected: true },
  ingest: { accepted: 10, refused: { BAD_SIGNATURE: 2 }, verify_threads: 2 },
  mesh: {
    agents_active: 2,
    agents_total: 3,
    sectors_healthy: 1,
    sectors_total: 1,
    mean_impedance: 240,
    conflicts_last_hour: 0,
    mode: 'DEGRADED_LIGHT',
    frozen: false,
    last_cascade: null,
    operations: { in_flight: 0, queued: 0 },
  },
};

const kit: ApiTestKit = await apiTestKit();

function app(checks: ReadinessCheck[] = [{ name: 'nats', ok: true }], agents: Record<string, AgentView> = {}) {
  return createApi({ access: kit.access, status: () => STATUS, agent: (id) => agents[id], readiness: () => checks, logger: silentLogger() });
}

describe('lead API', () => {
  it('serves the status', async () => {
    const res = await kit.request(app(), 'GET', '/v1/status');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^r-[0-9a-f]{16}$/);
    expect(await res.json()).toEqual(STATUS);
  });

  it('serves one agent, and a problem+json 404 for an unknown one', async () => {
    const h = harness();
    beat(h, ['pi-1']);
    const view = h.registry.get('pi-1')!;
    const api = app(undefined, { 'pi-1': view });
    expect(await (await kit.request(api, 'GET', '/v1/agents/pi-1')).json()).toMatchObject({
      agent_id: 'pi-1',
      state: 'active',
      cluster_id: 'cluster-1',
      impedance: { impedance_score: 230, current_latency_ms: 12.5 },
      clock: { offset_ms: -1520.25, samples: 8 },
      health: { state: 'healthy', score: 1, quarantine_deferred: false },
    });
    const missing = await kit.request(api, 'GET', '/v1/agents/ghost', { headers: { 'x-request-id': 'console-42' } });
    expect(missing.headers.get('x-request-id')).toBe('console-42');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await missing.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', instance: '/v1/agents/ghost', request_id: 'console-42', detail: expect.stringContaining('ghost') });
  });

  it('answers 503 with Retry-After while not ready, naming the failing checks, and 200 once ready', async () => {
    const checks: ReadinessCheck[] = [
      { name: 'nats', ok: false, detail: 'NATS not connected' },
      { name: 'store', ok: true },
    ];
    const notReady = await app(checks).request('/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('retry-after')).toBe('5');
    expect(notReady.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await notReady.json()).toMatchObject({ code: 'NOT_READY', detail: 'not ready: NATS not connected', checks });

    const ready = await app([{ name: 'nats', ok: true }]).request('/health/ready');
    expect(ready.status).toBe(200);
    expect((await app().request('/health/live')).status).toBe(200);
  });

  it('maps unknown routes and internal failures to problem+json', async () => {
    const missing = await kit.request(app(), 'GET', '/v2/nothing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const broken = createApi({
      access: kit.access,
      status: () => {
        throw new Error('boom');
      },
      agent: () => undefined,
      readiness: () => [],
      logger: silentLogger(),
    });
    const res = await kit.request(broken, 'GET', '/v1/status');
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('INTERNAL');
    expect(body.detail).not.toContain('boom');
  });
});
