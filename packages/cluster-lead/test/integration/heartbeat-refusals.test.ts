import { connect, type NatsConnection } from 'nats';
import { subjects } from '@mesh30k/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../../../../test/harness/index.js';
import { LeadFixture, nextEvent } from '../support/lead-fixture.js';
import { YEAR_MS, type TestAgent } from '../support/test-agents.js';

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats.dispose();
});

const encoder = new TextEncoder();
const HOUR_MS = 3_600_000;

/** Signs arbitrary bytes with the agent's key, as a buggy or hostile sender would. */
function signedBytes(agent: TestAgent, text: string): { body: Uint8Array; signerId: string; signature: string } {
  const body = encoder.encode(text);
  return { body, signerId: agent.agentId, signature: Buffer.from(agent.signer.signSync(body)).toString('base64url') };
}

describe.each([
  { path: 'inline verification', verifyThreads: 0 },
  { path: 'worker-thread verify pool', verifyThreads: 2 },
])('heartbeat refusals ($path)', ({ verifyThreads }) => {
  let fx: LeadFixture;
  let raw: NatsConnection;
  beforeAll(async () => {
    raw = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await raw.close();
  });
  afterEach(async () => {
    await fx.close();
  });

  it('refuses unsigned, unenrolled, forged, replayed, malformed and misaddressed heartbeats, counts each, and keeps serving', async () => {
    // One agent is refused a dozen times within one second of lead time: above the default refusal rate.
    fx = await LeadFixture.start({ natsUrl: nats.url, verifyThreads, config: { ingest: { verify_threads: verifyThreads, refusals: { per_signer_burst: 100 } } } });
    const [good, stranger, other] = await fx.addAgents([{ agentId: 'pi-good' }, { agentId: 'pi-stranger', enrolled: false }, { agentId: 'pi-other' }]);
    const agent = good!;
    /** The refusal's code, and whether the lead spent a signature on it. */
    const refusalOf = async (frame: Parameters<TestAgent['sendFrame']>[0]) => {
      const reply = await agent.sendFrame(frame);
      expect(reply.accepted).toBe(false);
      return { code: reply.reason?.split(':')[0], signed: !('unsigned' in reply) };
    };
    /** Refused before the lead knew the sender: answered unsigned. */
    const reasonOf = async (frame: Parameters<TestAgent['sendFrame']>[0]) => {
      const refusal = await refusalOf(frame);
      expect(refusal.signed).toBe(false);
      return refusal.code;
    };
    /** Refused after the signature verified: answered signed. */
    const signedReasonOf = async (frame: Parameters<TestAgent['sendFrame']>[0]) => {
      const refusal = await refusalOf(frame);
      expect(refusal.signed).toBe(true);
      return refusal.code;
    };

    // No signature header.
    const plain = await agent.sign(agent.buildHeartbeat());
    expect(await reasonOf({ body: plain.body, signerId: plain.signerId })).toBe('UNSIGNED');
    // No headers at all: no reply can be addressed; the refusal is still counted.
    const unsignedEvent = nextEvent(fx.lead, 'heartbeat.refused', (e) => e.code === 'UNSIGNED' && e.signerId === null);
    fx.clock.advance(10_000); // refusal events are sampled per code per 10 s of lead time
    raw.publish(subjects.heartbeat('lead-1'), plain.body);
    await unsignedEvent;

    // Signed by a key nobody enrolled.
    const strangerFrame = await stranger!.sign(stranger!.buildHeartbeat());
    expect(await reasonOf(strangerFrame)).toBe('NOT_ENROLLED');

    // A byte of the body changed after signing.
    const forged = await agent.sign(agent.buildHeartbeat());
    const tampered = forged.body.slice();
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 1;
    expect(await reasonOf({ ...forged, body: tampered })).toBe('BAD_SIGNATURE');

    // The same signed heartbeat twice.
    const once = await agent.sign(agent.buildHeartbeat());
    expect((await agent.sendFrame(once)).accepted).toBe(true);
    expect(await signedReasonOf(once)).toBe('REPLAYED');

    // Correctly signed, but not JSON / not a valid heartbeat.
    expect(await reasonOf(signedBytes(agent, '{"kind": "HEARTBEAT", trailing'))).toBe('MALFORMED_JSON');
    const invalid = { ...agent.buildHeartbeat(), seq: -1 };
    expect(await reasonOf(signedBytes(agent, JSON.stringify(invalid)))).toBe('INVALID_FIELDS');

    // Speaking for another agent, and claiming another cluster.
    const impostor = await agent.sign({ ...other!.buildHeartbeat(), sender_id: agent.agentId });
    expect(await reasonOf(impostor)).toBe('SIGNER_MISMATCH');
    const elsewhere = agent.buildHeartbeat({ message: { cluster_id: 'cluster-9' } });
    expect(await signedReasonOf(await agent.sign(elsewhere))).toBe('WRONG_CLUSTER');

    // A synchronised agent's stale heartbeat is refused by age.
    const stale = agent.buildHeartbeat({ message: { created_at: fx.clock.now() - HOUR_MS } });
    expect(await signedReasonOf(await agent.sign(stale))).toBe('EXPIRED');

    const counters = fx.lead.counters;
    for (const code of ['NOT_ENROLLED', 'BAD_SIGNATURE', 'REPLAYED', 'MALFORMED_JSON', 'INVALID_FIELDS', 'SIGNER_MISMATCH', 'WRONG_CLUSTER', 'EXPIRED'] as const) {
      expect(counters.refusedBy(code), code).toBe(1);
    }
    expect(counters.refusedBy('UNSIGNED')).toBe(2);
    expect(counters.accepted).toBe(1);
    expect(fx.lead.registry.has('pi-stranger')).toBe(false);

    // Still serving.
    const after = await agent.heartbeat();
    expect(after.reply.accepted).toBe(true);
    expect(fx.lead.status().ingest).toMatchObject({ accepted: 2, refused: { UNSIGNED: 2, REPLAYED: 1 } });
  });

  it('checks a heartbeat from an agent without a clock exchange by id only', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, verifyThreads });
    const agent = await fx.addAgent({ agentId: 'pi-norc' });
    // A Pi without RTC: its created_at is an hour off, and it says it has no clock samples.
    const firstBeat = agent.buildHeartbeat({ clock: { samples: 0 }, message: { created_at: fx.clock.now() - HOUR_MS } });
    const frame = await agent.sign(firstBeat);
    expect((await agent.sendFrame(frame)).accepted).toBe(true);
    expect(fx.lead.registry.get('pi-norc')?.clock).toBeNull();
    expect((await agent.sendFrame(frame)).reason).toMatch(/^REPLAYED/);
  });

  it('refuses an agent once its enrollment expires', async () => {
    fx = await LeadFixture.start({ natsUrl: nats.url, verifyThreads });
    const agent = await fx.addAgent({ agentId: 'pi-old' });
    expect((await agent.heartbeat()).reply.accepted).toBe(true);
    fx.clock.advance(YEAR_MS);
    const { reply } = await agent.heartbeat();
    expect(reply.accepted).toBe(false);
    expect(reply.reason).toMatch(/^ENROLLMENT_EXPIRED/);
  });
});
