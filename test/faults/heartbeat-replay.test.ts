// Issue 11 item 2: a heartbeat, boot heartbeats included, cannot be replayed once its message id
// is forgotten. The lead refuses any heartbeat whose (boot_id, seq) is not newer than the last
// accepted one, counts the refusal in /metrics, and the replay changes nothing about the agent;
// a restarted lead still knows the agent's recent boots. Real nats-server and a real lead on a
// manual clock (the id cache expires by advancing it, not by waiting).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERVAL_MS, LeadFixture } from '../../packages/cluster-lead/test/support/lead-fixture.js';
import type { TestAgent } from '../../packages/cluster-lead/test/support/test-agents.js';
import { startNats, type NatsServer } from '../harness/index.js';

const REPLAY_TTL_MS = 10_000;
/** Boot heartbeat: the agent has not exchanged clocks yet, so the lead checks it by id only. */
const NO_SAMPLES = { samples: 0, confidence: 0, offset_ms: 0 };

describe('replayed heartbeats', () => {
  let nats: NatsServer;
  let fx: LeadFixture;
  let agent: TestAgent;

  beforeAll(async () => {
    nats = await startNats();
    fx = await LeadFixture.start({ natsUrl: nats.url, config: { ingest: { replay_ttl_ms: REPLAY_TTL_MS } } });
    agent = await fx.addAgent({ agentId: 'pi-replayed', answerProbes: false });
  });

  afterAll(async () => {
    await fx?.close();
    await nats?.dispose();
  });

  const refusedCount = async (reason: string): Promise<number> => {
    const res = await fx.api.request<string>('GET', '/metrics');
    const text = typeof res.body === 'string' ? res.body : String(res.body);
    const line = text.split('\n').find((l) => l.startsWith(`mesh_lead_heartbeats_refused_total{reason="${reason}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  it('refuses a captured boot heartbeat after the id cache expired: no state flip, no rollback, no clock wipe', async () => {
    const boot = await agent.heartbeat({ message: { boot_id: 'boot-a', seq: 1_000 }, clock: NO_SAMPLES });
    expect(boot.reply.accepted).toBe(true);
    expect((await agent.heartbeat({ message: { boot_id: 'boot-a', seq: 1_001 } })).reply.accepted).toBe(true);

    // The agent crashes; the lead declares it offline.
    for (let i = 0; i < 4 && fx.lead.registry.get('pi-replayed')?.state !== 'offline'; i++) {
      fx.clock.advance(2 * INTERVAL_MS);
      await fx.lead.sweep();
    }
    const before = fx.lead.registry.get('pi-replayed')!;
    expect(before.state).toBe('offline');

    fx.clock.advance(3 * REPLAY_TTL_MS); // the boot heartbeat's message id is long forgotten
    const replayed = await agent.sendFrame(boot.frame);
    expect(replayed.accepted).toBe(false);
    expect(replayed.reason).toMatch(/^STALE_SEQUENCE/);
    const after = fx.lead.registry.get('pi-replayed')!;
    expect(after.state).toBe('offline');
    expect(after.seq).toBe(1_001);
    expect(after.clock).toEqual(before.clock);
    expect(await refusedCount('STALE_SEQUENCE')).toBe(1);
  });

  it('after the agent restarts, a heartbeat of its old boot is refused, by a restarted lead too', async () => {
    // The agent comes back (same boot, its link had failed): a heartbeat without clock samples yet.
    const old = await agent.heartbeat({ message: { boot_id: 'boot-a', seq: 1_002 }, clock: NO_SAMPLES });
    expect(old.reply.accepted).toBe(true);
    // A restart: new boot id, the sequence continues from the floor the agent stored.
    expect((await agent.heartbeat({ message: { boot_id: 'boot-b', seq: 2_000 }, clock: NO_SAMPLES })).reply.accepted).toBe(true);
    fx.clock.advance(3 * REPLAY_TTL_MS);
    expect((await agent.sendFrame(old.frame)).reason).toMatch(/^OLD_BOOT/);

    await fx.restart();
    expect(fx.lead.registry.get('pi-replayed')?.seq).toBe(2_000);
    const again = await agent.sendFrame(old.frame);
    expect(again.accepted).toBe(false);
    expect(again.reason).toMatch(/^OLD_BOOT/);
    expect(await refusedCount('OLD_BOOT')).toBe(1);
  });

  it('a restart that lost its sequence is taken while fresh; the same bytes replayed later are not', async () => {
    const lost = await agent.heartbeat({ message: { boot_id: 'boot-c', seq: 0 }, clock: NO_SAMPLES });
    expect(lost.reply.accepted).toBe(true);
    expect((await agent.heartbeat({ message: { boot_id: 'boot-d', seq: 0 }, clock: NO_SAMPLES })).reply.accepted).toBe(true);
    fx.clock.advance(3 * REPLAY_TTL_MS);
    const forged = await agent.heartbeat({ message: { boot_id: 'boot-e', seq: 0, created_at: fx.clock.now() - 3 * REPLAY_TTL_MS }, clock: NO_SAMPLES });
    expect(forged.reply.reason).toMatch(/^STALE_BOOT/);
    expect((await agent.sendFrame(lost.frame)).reason).toMatch(/^OLD_BOOT/);
  });
});
