import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi } from './app.js';

const kit = await apiTestKit();

describe('POST /v1/freeze', () => {
  it('refuses preserve_state_to with the reason, and sends nothing', async () => {
    const asked: unknown[] = [];
    const control = {
      freeze: (request: unknown) => {
        asked.push(request);
        return Promise.resolve({ action: 'FREEZE' as const, scope: 'global' as const, targetId: null, messageId: 'm', published: true, frozen: true });
      },
      thaw: () => Promise.reject(new Error('not used')),
    };
    const api = createApi({ access: kit.access, status: () => ({}) as never, agent: () => undefined, readiness: () => [], logger: silentLogger(), control });
    const refused = await kit.request(api, 'POST', '/v1/freeze', { body: { scope: 'global', preserve_state_to: '/mesh/frozen/x' } });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/^preserve_state_to: preserve_state_to is not supported: agents keep their state/);
    expect(asked).toEqual([]);
    expect((await kit.request(api, 'POST', '/v1/freeze', { body: { scope: 'global' } })).status).toBe(200);
    expect(asked).toHaveLength(1);
  });
});

describe('on an HA standby', () => {
  it('refuses every change with 503 and Retry-After, serves reads, and takes changes once active', async () => {
    let standby = true;
    let frozen = 0;
    const control = {
      freeze: () => {
        frozen++;
        return Promise.resolve({ action: 'FREEZE' as const, scope: 'global' as const, targetId: null, messageId: 'm', published: true, frozen: true });
      },
      thaw: () => Promise.reject(new Error('not used')),
    };
    const api = createApi({ access: kit.access, status: () => ({ lead_id: 'lead-1' }) as never, agent: () => undefined, readiness: () => [], logger: silentLogger(), control, standby: () => standby });
    const refused = await kit.request(api, 'POST', '/v1/freeze', { body: { scope: 'global' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/standby/);
    expect(frozen).toBe(0);
    expect((await kit.request(api, 'GET', '/v1/status')).status).toBe(200);

    standby = false;
    expect((await kit.request(api, 'POST', '/v1/freeze', { body: { scope: 'global' } })).status).toBe(200);
    expect(frozen).toBe(1);
  });
});
