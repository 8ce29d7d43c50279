import { abortAllDurableObjects, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { AGENT_ID, LEAD_ID, coordinate, ping, postCoordinate, postPing, readProblem, readSigned, sign, post, withClockOffset } from './support/lead.js';
import { EDGE_ROUTES } from '../src/http/routes.js';

const stub = () => env.AGENT_STATE.getByName(AGENT_ID);

describe('state that outlives a request lives in the Durable Object', () => {
  it('still refuses a replay after the object restarts (ids are in SQLite, not only in memory)', async () => {
    const frame = await sign(await coordinate());
    expect((await post(EDGE_ROUTES.coordinate.path, frame)).status).toBe(200);
    await abortAllDurableObjects();
    expect((await readProblem(await post(EDGE_ROUTES.coordinate.path, frame))).code).toBe('REPLAYED');
  });

  it('keeps the context hash, statistics and the last stated clock offset across a restart', async () => {
    const recorded = await readSigned(await postCoordinate(withClockOffset(await coordinate({ verb: 'record', payload: { n: 1 } }), 7.5)), 'ACK');
    // A COORDINATE that states no offset is converted with the last one stated.
    const unstated = await readSigned(await postCoordinate(await coordinate({ compensation: undefined })), 'ACK');
    expect(unstated.ready_at_mesh).toBe(unstated.ready_at_local + 7.5);
    const before = await readSigned(await postPing(ping()), 'PONG');
    await abortAllDurableObjects();
    const after = await readSigned(await postPing(ping()), 'PONG');
    expect(after.stats.requests).toBe(before.stats.requests);
    // The PONG's created_at is mesh time: the Worker clock plus the remembered offset.
    expect(after.created_at).toBe(after.t3 + 7.5);
    const context = await runInDurableObject(stub(), (state) =>
      state.admit({ kind: 'PING', messageId: `state-${Date.now()}-check`, createdAt: Date.now() + 7.5, ttlMs: 30_000 }),
    );
    expect(context.ok && context.snapshot.contextHash).toBe((recorded.result as { context_hash: string }).context_hash);
    // Put the remembered offset back for the other tests: this Worker and the test share a clock.
    await readSigned(await postCoordinate(await coordinate()), 'ACK');
  });
});

describe('lead fencing: the highest lease epoch per lead, kept in the Durable Object', () => {
  it('refuses a COORDINATE stamped lower than one admitted, with LEASE_FENCED, also after the object restarts', async () => {
    // Epochs far above any other test's, so the order of the files does not matter.
    const base = Date.now();
    const current = await readSigned(await postCoordinate(await coordinate({ lease_epoch: base + 12 })), 'ACK');
    expect(current.trinary_state).toBe(1);
    expect(await runInDurableObject(stub(), (state) => state.leaseEpoch(LEAD_ID))).toBe(base + 12);

    const stale = await coordinate({ lease_epoch: base + 11 });
    const refused = await readProblem(await postCoordinate(stale));
    expect(refused).toMatchObject({ status: 409, code: 'LEASE_FENCED' });

    await abortAllDurableObjects();
    expect(await readProblem(await postCoordinate(await coordinate({ lease_epoch: base + 11 })))).toMatchObject({ status: 409, code: 'LEASE_FENCED' });
    // The refused message's id was not remembered: the same bytes are refused as fenced, not as a replay.
    expect((await readProblem(await postCoordinate(stale))).code).toBe('LEASE_FENCED');
    // The current epoch, a newer one and an unstamped COORDINATE pass; the newer raises the bar.
    expect((await readSigned(await postCoordinate(await coordinate({ lease_epoch: base + 12 })), 'ACK')).trinary_state).toBe(1);
    expect((await readSigned(await postCoordinate(await coordinate({ lease_epoch: base + 20 })), 'ACK')).trinary_state).toBe(1);
    expect((await readSigned(await postCoordinate(await coordinate()), 'ACK')).trinary_state).toBe(1);
    expect((await readProblem(await postCoordinate(await coordinate({ lease_epoch: base + 12 })))).code).toBe('LEASE_FENCED');
  });
});

describe('configuration', () => {
  it('answers 500 MISCONFIGURED, naming the binding, when a secret is unusable', async () => {
    const app = createApp();
    const response = await app.request(EDGE_ROUTES.health.path, {}, { ...env, AGENT_PRIVATE_KEY: 'not-a-key' });
    const problem = await readProblem(response);
    expect(problem).toMatchObject({ status: 500, code: 'MISCONFIGURED' });
    expect(problem.detail).toContain('AGENT_PRIVATE_KEY');
    expect(problem.detail).not.toContain('not-a-key');
  });
});
