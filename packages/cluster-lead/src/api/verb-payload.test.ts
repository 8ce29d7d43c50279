import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit } from './api-test-kit.js';
import { createApi } from './app.js';

const kit = await apiTestKit();

/** Every way an operation is created, each recording what reached it (nothing, for a bad payload). */
function setup() {
  const reached: string[] = [];
  const refuse = (what: string) => () => {
    reached.push(what);
    return { ok: false, code: 'INVALID', path: 'verb', message: 'stand-in', error: { path: 'verb', reason: 'stand-in' }, refusal: { code: 'INVALID_OPERATION', reason: 'stand-in', path: 'verb' }, operationId: null };
  };
  const api = createApi({
    access: kit.access,
    status: () => ({}) as never,
    agent: () => undefined,
    readiness: () => [],
    logger: silentLogger(),
    operations: { submit: async (...args: unknown[]) => Promise.resolve(refuse('operation')(...(args as []))), get: () => undefined } as never,
    cascades: { submit: refuse('cascade'), get: () => undefined } as never,
    delegations: { start: refuse('delegation'), get: () => undefined } as never,
  });
  return { api, reached };
}

describe('verb payloads at the lead', () => {
  it('refuses a sync without payload with 400 naming the field, and sends nothing', async () => {
    const { api, reached } = setup();
    const res = await kit.request(api, 'POST', '/v1/operations', { body: { verb: 'sync', selector: { all: true } } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'BAD_REQUEST', detail: expect.stringMatching(/^payload: sync: /), errors: [{ field: 'payload' }] });
    const wrong = await kit.request(api, 'POST', '/v1/operations', { body: { verb: 'sync', payload: { context_hash: 'nope' }, selector: { all: true } } });
    expect(await wrong.json()).toMatchObject({ errors: [{ field: 'payload.context_hash', message: expect.stringContaining('64 lower-case hex') }] });
    expect(reached).toEqual([]);
  });

  it('checks broadcasts, cascades and delegations with the same schemas', async () => {
    const { api, reached } = setup();
    const broadcast = await kit.request(api, 'POST', '/v1/operations', { body: { kind: 'broadcast', verb: 'sync', payload: null } });
    expect(await broadcast.json()).toMatchObject({ status: 400, title: 'Invalid broadcast', errors: [{ field: 'payload' }] });
    const cascade = await kit.request(api, 'POST', '/v1/cascades', { body: { verb: 'act', payload: { command: 'arm' } } });
    expect(await cascade.json()).toMatchObject({ status: 400, title: 'Invalid cascade', errors: [{ field: 'payload.action' }] });
    const delegation = await kit.request(api, 'POST', '/v1/delegations', { body: { task: { verb: 'act', payload: { action: 'set', output: 'relay' } } } });
    expect(await delegation.json()).toMatchObject({ status: 400, title: 'Invalid delegation', errors: [{ field: 'task.payload.value' }] });
    expect(reached).toEqual([]);
  });

  it('passes valid payloads, free-data verbs and unknown verbs on to the engine', async () => {
    const { api, reached } = setup();
    await kit.request(api, 'POST', '/v1/operations', { body: { verb: 'sync', payload: { context_hash: 'a'.repeat(64) }, selector: { all: true } } });
    await kit.request(api, 'POST', '/v1/operations', { body: { verb: 'record', selector: { all: true } } });
    await kit.request(api, 'POST', '/v1/operations', { body: { verb: 'dance', selector: { all: true } } });
    await kit.request(api, 'POST', '/v1/cascades', { body: { verb: 'act', payload: { action: 'identify' } } });
    await kit.request(api, 'POST', '/v1/delegations', { body: { task: { verb: 'decide', payload: { task: 'x' } } } });
    expect(reached).toEqual(['operation', 'operation', 'operation', 'cascade', 'delegation']);
  });
});
