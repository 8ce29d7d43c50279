import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi } from './app.js';
import { OPENAPI_DOCUMENT } from './openapi.js';

const kit = await apiTestKit();
const stub = () => {
  throw new Error('not called');
};

/** Every optional part present, so every route is registered. */
function fullApi() {
  return createApi({
    access: kit.access,
    status: stub,
    agent: stub,
    readiness: stub,
    logger: silentLogger(),
    operations: { submit: stub, get: stub },
    acks: { watch: stub, drain: stub, release: stub },
    sample: stub,
    control: { freeze: stub, thaw: stub },
    breakers: stub,
    forceBreaker: stub,
    mode: { get: stub, set: stub },
    conflicts: stub,
    heal: stub,
    cascades: { submit: stub, get: stub },
    edgeAgents: { register: stub, remove: stub, snapshot: stub },
    delegations: { start: stub, get: stub } as never,
    enrollments: { enroll: stub, revoke: stub, requests: { list: stub, leadSigns: stub, accept: stub, reject: stub } },
    deepProbe: stub,
    metrics: { ingest: stub, operations: stub as never, breakers: stub, mode: stub },
  });
}

describe('GET /v1/openapi.json', () => {
  it('describes every registered route, with its method', () => {
    const paths = OPENAPI_DOCUMENT.paths as Record<string, Record<string, unknown>>;
    const routes = fullApi().routes.filter((r) => r.method !== 'ALL');
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:([A-Za-z_]+)/g, '{$1}') })).filter((r) => paths[r.path]?.[r.method] === undefined);
    expect(missing).toEqual([]);
  });

  it('is served to any authenticated caller, and is OpenAPI 3.1', async () => {
    const res = await kit.request(fullApi(), 'GET', '/v1/openapi.json', { as: 'viewer' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ openapi: '3.1.0', paths: expect.any(Object) });
  });
});
