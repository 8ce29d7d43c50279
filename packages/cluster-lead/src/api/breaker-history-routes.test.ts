import { describe, expect, it } from 'vitest';
import { BreakerHistory } from '../breakers/index.js';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi } from './app.js';
import { BreakerHistorySchema } from './response-schemas.js';

const kit = await apiTestKit();

describe('GET /v1/breakers/history', () => {
  const history = new BreakerHistory(3);
  const change = (at: number, from: 'closed' | 'open', to: 'closed' | 'open') =>
    history.record({ name: 'breaker.opened', kind: to === 'open' ? 'opened' : 'closed', scope: 'sector', targetId: 's-1', from, to, reason: 'test', at, nextCheckAt: null, shadow: false });
  for (let i = 0; i < 4; i++) change(1_000 * i, i % 2 === 0 ? 'closed' : 'open', i % 2 === 0 ? 'open' : 'closed');
  const api = createApi({ access: kit.access, status: () => ({}) as never, agent: () => undefined, readiness: () => [], logger: silentLogger(), breakerHistory: history });

  it('answers the ring oldest first, with its size, what it dropped and the lead clock', async () => {
    const body = BreakerHistorySchema.parse(await (await kit.request(api, 'GET', '/v1/breakers/history', { as: 'viewer' })).json());
    expect(body.transitions.map((t) => [t.seq, t.target_id, t.from, t.to])).toEqual([
      [2, 's-1', 'open', 'closed'],
      [3, 's-1', 'closed', 'open'],
      [4, 's-1', 'open', 'closed'],
    ]);
    expect(body).toMatchObject({ capacity: 3, dropped: 1, now: kit.access.now() });
  });

  it('reads after a seq and limits to the newest; refuses a bad query naming the field', async () => {
    const body = BreakerHistorySchema.parse(await (await kit.request(api, 'GET', '/v1/breakers/history?after=2&limit=1', { as: 'viewer' })).json());
    expect(body.transitions.map((t) => t.seq)).toEqual([4]);
    const bad = await kit.request(api, 'GET', '/v1/breakers/history?limit=0', { as: 'viewer' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'limit' }] });
  });
});
