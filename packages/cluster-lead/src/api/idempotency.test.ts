import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import { apiTestKit, KIT_NOW } from './api-test-kit.js';
import { createApi } from './app.js';
import { IDEMPOTENCY_TTL_MS, SqliteIdempotencyStore } from './idempotency-store.js';

const kit = await apiTestKit();

function app(store = new SqliteIdempotencyStore(new Database(':memory:'))) {
  let created = 0;
  const api = createApi({ access: kit.access, idempotency: store, status: () => ({}) as never, agent: () => undefined, readiness: () => [], logger: silentLogger() });
  api.post('/v1/things', async (c) => {
    const body = await c.req.json<{ fail?: boolean }>();
    if (body.fail === true) return c.json({ failed: true }, 409);
    created++;
    c.header('Location', `/v1/things/${created}`);
    return c.json({ thing: created }, 202);
  });
  return { api, count: () => created };
}

describe('Idempotency-Key', () => {
  it('answers a retry with the stored response, runs a new key anew, and refuses a changed body with 422', async () => {
    const { api, count } = app();
    const first = await kit.request(api, 'POST', '/v1/things', { body: { n: 1 }, headers: { 'idempotency-key': 'k-1' } });
    expect(first.status).toBe(202);
    const retry = await kit.request(api, 'POST', '/v1/things', { body: { n: 1 }, headers: { 'idempotency-key': 'k-1' } });
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('location')).toBe('/v1/things/1');
    expect(await retry.json()).toEqual({ thing: 1 });
    expect(count()).toBe(1);

    const changed = await kit.request(api, 'POST', '/v1/things', { body: { n: 2 }, headers: { 'idempotency-key': 'k-1' } });
    expect(changed.status).toBe(422);
    expect(await changed.json()).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });

    expect((await kit.request(api, 'POST', '/v1/things', { body: { n: 1 }, headers: { 'idempotency-key': 'k-2' } })).status).toBe(202);
    expect((await kit.request(api, 'POST', '/v1/things', { body: { n: 1 } })).status).toBe(202);
    expect(count()).toBe(3);
  });

  it('forgets after 24 h, does not store errors, and refuses a malformed key', async () => {
    const { api, count } = app();
    await kit.request(api, 'POST', '/v1/things', { body: {}, headers: { 'idempotency-key': 'shared' } });
    await kit.request(api, 'POST', '/v1/things', { body: { fail: true }, headers: { 'idempotency-key': 'err' } });
    await kit.request(api, 'POST', '/v1/things', { body: { fail: true }, headers: { 'idempotency-key': 'err' } });
    expect(count()).toBe(1);
    kit.clock.at = KIT_NOW + IDEMPOTENCY_TTL_MS + 1;
    try {
      const later = await kit.request(api, 'POST', '/v1/things', { body: {}, headers: { 'idempotency-key': 'shared' } });
      expect(later.headers.get('idempotent-replayed')).toBeNull();
      expect(count()).toBe(2);
    } finally {
      kit.clock.at = KIT_NOW;
    }
    const bad = await kit.request(api, 'POST', '/v1/things', { body: {}, headers: { 'idempotency-key': 'has space' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
  });

  it('survives a restart: the answer is in SQLite', async () => {
    const db = new Database(':memory:');
    const before = app(new SqliteIdempotencyStore(db));
    await kit.request(before.api, 'POST', '/v1/things', { body: {}, headers: { 'idempotency-key': 'durable' } });
    const after = app(new SqliteIdempotencyStore(db));
    const retry = await kit.request(after.api, 'POST', '/v1/things', { body: {}, headers: { 'idempotency-key': 'durable' } });
    expect(await retry.json()).toEqual({ thing: 1 });
    expect(after.count()).toBe(0);
  });
});
