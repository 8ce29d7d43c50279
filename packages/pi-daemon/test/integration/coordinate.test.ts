import { READY, TRANSIT, CONFLICT, payloadHash } from '@mesh30k/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../../../../test/harness/index.js';
import type { HandlerOutcome } from '../../src/coordination/handlers.js';
import { waitFor } from '../support/deadline.js';
import { createTestMesh, type TestMesh } from '../support/fixtures.js';
import { MinimalLead } from '../support/minimal-lead.js';
import { startRealAgent, type RealAgent } from '../support/real-agent.js';

let nats: NatsServer;
let dir: TempDir;
let mesh: TestMesh;
let lead: MinimalLead;
let pi: RealAgent;
/** Releases the `act` handler of pi-1, which blocks until told to go. */
let gates: (() => void)[] = [];

beforeAll(async () => {
  nats = await startNats();
  dir = await makeTempDir();
  mesh = await createTestMesh();
  lead = await MinimalLead.start({ natsUrl: nats.url, leadId: mesh.leadId, keyPair: mesh.lead, trust: mesh.trust });
  pi = await startRealAgent({
    mesh,
    natsUrl: nats.url,
    agentId: 'pi-1',
    dataDir: `${dir.path}/pi-1`,
    capabilities: ['sensor.read', 'gpio'],
    tuning: { queueCapacity: 2, concurrency: 1 },
    handlers: {
      act: () => new Promise<HandlerOutcome>((resolve) => gates.push(() => resolve({ state: 'ready', result: { acted: true } }))),
      record: () => {
        throw new Error('disk on fire');
      },
    },
  });
  await waitFor(() => pi.agent.clock.samples() >= 2, 'clock sync');
});

afterAll(async () => {
  await pi.close();
  await lead.close();
  await nats.dispose();
  await dir.dispose();
});

describe('coordinate to ACK', () => {
  it('lead mode: READY when processing ends, with the receipt, ready and processing times', async () => {
    const sent = await lead.coordinate({ operation_id: 'op-lead', release_mode: 'lead', target_time: lead.now() + 200, selector: { agent_ids: ['pi-1'] } }, { agentId: 'pi-1' });
    await lead.waitUntil(() => lead.ackFor('op-lead', 'pi-1') !== undefined, 5_000, 'the ACK');
    const ack = lead.ackFor('op-lead', 'pi-1')!;
    expect(ack.trinary_state).toBe(READY);
    expect(ack.coordinate_id).toBe(sent.message_id);
    expect(ack.release_mode).toBe('lead');
    expect(ack.late).toBe(false);
    expect(ack.ready_at_local).toBeGreaterThanOrEqual(ack.received_at_local);
    expect(ack.processing_ms).toBeCloseTo(ack.ready_at_local - ack.received_at_local, 6);
    // Ready when processing ended, well before T.
    expect(ack.ready_at_mesh).toBeLessThan(sent.target_time);
  });

  it('hold mode: READY at T on the agent clock, not when processing ends', async () => {
    const target = lead.now() + 300;
    await lead.coordinate({ operation_id: 'op-hold', release_mode: 'hold', target_time: target });
    await lead.waitUntil(() => lead.ackFor('op-hold', 'pi-1') !== undefined, 5_000, 'the ACK');
    const ack = lead.ackFor('op-hold', 'pi-1')!;
    expect(ack.trinary_state).toBe(READY);
    expect(ack.release_mode).toBe('hold');
    // Same machine: the agent's mesh time is the lead's clock within a millisecond or two.
    expect(Math.abs(ack.ready_at_mesh - target)).toBeLessThan(5);
  });

  it('a group message that names other agents is not acted on, only counted as ignored', async () => {
    const ignoredBefore = pi.agent.stats().coordinatesIgnored;
    // The lead names the targets it planned for (a standby that has not heard from pi-1 yet).
    await lead.coordinate({ operation_id: 'op-others', release_mode: 'hold', target_time: lead.now() + 200, selector: { agent_ids: ['pi-2', 'pi-3'] } });
    await lead.coordinate({ operation_id: 'op-named', release_mode: 'hold', target_time: lead.now() + 200, selector: { agent_ids: ['pi-1'] } });
    await lead.waitUntil(() => lead.ackFor('op-named', 'pi-1') !== undefined && pi.agent.stats().coordinatesIgnored > ignoredBefore, 5_000, 'the ACK of the message naming pi-1, and the other one ignored');
    expect(lead.ackFor('op-others', 'pi-1')).toBeUndefined();
    expect(pi.agent.stats().coordinatesIgnored).toBe(ignoredBefore + 1);
  });

  it('a capability the agent lacks gives a CONFLICT ACK with CAPABILITY_MISMATCH', async () => {
    await lead.coordinate({ operation_id: 'op-cap', release_mode: 'lead', target_time: lead.now() + 200, requires_capabilities: ['camera'] });
    await lead.waitUntil(() => lead.ackFor('op-cap', 'pi-1') !== undefined, 5_000, 'the ACK');
    const ack = lead.ackFor('op-cap', 'pi-1')!;
    expect(ack.trinary_state).toBe(CONFLICT);
    expect(ack.conflict?.type).toBe('CAPABILITY_MISMATCH');
    expect(ack.conflict?.detail).toContain('camera');
    expect(ack.conflict?.context_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a payload that does not match its hash gives HASH_MISMATCH', async () => {
    await lead.coordinate({ operation_id: 'op-hash', release_mode: 'lead', target_time: lead.now() + 200, payload: { a: 1 }, payload_hash: 'b'.repeat(64) });
    await lead.waitUntil(() => lead.ackFor('op-hash', 'pi-1') !== undefined, 5_000, 'the ACK');
    expect(lead.ackFor('op-hash', 'pi-1')?.conflict?.type).toBe('HASH_MISMATCH');
  });

  it('sync adopts a context hash, then reports CONTEXT_DIVERGENCE and HASH_MISMATCH', async () => {
    const context = { map: 'v2' };
    const first = await payloadHash(context);
    await lead.coordinate({ operation_id: 'op-sync-1', verb: 'sync', release_mode: 'lead', target_time: lead.now() + 200, payload: { context_hash: first, context } });
    await lead.waitUntil(() => lead.ackFor('op-sync-1', 'pi-1') !== undefined, 5_000, 'sync ACK');
    expect(lead.ackFor('op-sync-1', 'pi-1')?.trinary_state).toBe(READY);

    await lead.coordinate({ operation_id: 'op-sync-2', verb: 'sync', release_mode: 'lead', target_time: lead.now() + 200, payload: { context_hash: 'c'.repeat(64), base_hash: 'd'.repeat(64), depth: 3 } });
    await lead.waitUntil(() => lead.ackFor('op-sync-2', 'pi-1') !== undefined, 5_000, 'divergence ACK');
    const divergence = lead.ackFor('op-sync-2', 'pi-1')!;
    expect(divergence.trinary_state).toBe(CONFLICT);
    expect(divergence.conflict).toMatchObject({ type: 'CONTEXT_DIVERGENCE', expected_value: first, received_value: 'd'.repeat(64), divergence_depth: 3, context_hash: first });

    await lead.coordinate({ operation_id: 'op-sync-3', verb: 'sync', release_mode: 'lead', target_time: lead.now() + 200, payload: { context_hash: 'e'.repeat(64), context: { map: 'v3' } } });
    await lead.waitUntil(() => lead.ackFor('op-sync-3', 'pi-1') !== undefined, 5_000, 'hash mismatch ACK');
    expect(lead.ackFor('op-sync-3', 'pi-1')?.conflict?.type).toBe('HASH_MISMATCH');
  });

  it('a full queue refuses with QUEUE_FULL and keeps the work it holds', async () => {
    gates = [];
    const fields = { verb: 'act' as const, release_mode: 'lead' as const, selector: { agent_ids: ['pi-1'] } };
    // One running (blocked in its handler), two queued (capacity 2), the fourth refused.
    for (const n of [1, 2, 3, 4]) await lead.coordinate({ ...fields, operation_id: `op-q${n}`, target_time: lead.now() + 5_000 });
    await lead.waitUntil(() => lead.ackFor('op-q4', 'pi-1') !== undefined, 5_000, 'the refusal');
    const refusal = lead.ackFor('op-q4', 'pi-1')!;
    expect(refusal.trinary_state).toBe(TRANSIT);
    expect(refusal.refusal?.code).toBe('QUEUE_FULL');
    for (const n of [1, 2, 3]) expect(lead.ackFor(`op-q${n}`, 'pi-1')).toBeUndefined();
    // Let them through one by one: each completes READY.
    await waitFor(() => gates.length === 1, 'first handler running');
    gates.shift()!();
    await waitFor(() => gates.length === 1, 'second handler running');
    gates.shift()!();
    await waitFor(() => gates.length === 1, 'third handler running');
    gates.shift()!();
    await lead.waitUntil(() => [1, 2, 3].every((n) => lead.ackFor(`op-q${n}`, 'pi-1')?.trinary_state === READY), 5_000, 'three READY');
    expect(pi.agent.stats().declinedByCode.QUEUE_FULL).toBe(1);
  });

  it('a handler that throws gives a TRANSIT ACK, a log line and a counter, and the agent goes on', async () => {
    await lead.coordinate({ operation_id: 'op-throw', verb: 'record', release_mode: 'lead', target_time: lead.now() + 200 });
    await lead.waitUntil(() => lead.ackFor('op-throw', 'pi-1') !== undefined, 5_000, 'the ACK');
    expect(lead.ackFor('op-throw', 'pi-1')).toMatchObject({ trinary_state: TRANSIT, refusal: { code: 'HANDLER_FAILED' } });
    expect(lead.ackFor('op-throw', 'pi-1')?.refusal?.message).toContain('disk on fire');
    expect(pi.agent.stats().handlerFailures).toBe(1);
    expect(pi.events('handler.failed')).toHaveLength(1);
    await lead.coordinate({ operation_id: 'op-after-throw', release_mode: 'lead', target_time: lead.now() + 200 });
    await lead.waitUntil(() => lead.ackFor('op-after-throw', 'pi-1')?.trinary_state === READY, 5_000, 'the next ACK');
  });

  it('answers a probe with a signed PONG on its own clock', async () => {
    const { pong, t1 } = await lead.ping('pi-1');
    expect(pong.agent_id).toBe('pi-1');
    expect(pong.t1).toBe(t1);
    expect(pong.t3).toBeGreaterThanOrEqual(pong.t2);
    expect(pong.capabilities).toEqual(['sensor.read', 'gpio']);
    expect(pong.stats.requests).toBeGreaterThan(0);
  });
});
