// Issue 11 item 1: an outbox entry the lead refuses for good never blocks an agent. A late ACK
// for an operation the lead does not know goes to the agent's dead letters, and the entries
// queued behind it are delivered. Real nats-server, a real lead, a daemon-built agent.
import { subjects, type Ack } from '@mesh30k/shared';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../packages/pi-daemon/test/support/deadline.js';
import type { RealAgent } from '../../packages/pi-daemon/test/support/real-agent.js';
import type { LeadFixture } from '../../packages/cluster-lead/test/support/lead-fixture.js';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../harness/index.js';
import { startEnrolledAgent, startRealClockLead } from './support.js';

const AGENT = 'pi-stuck';

describe('a stuck outbox entry', () => {
  let nats: NatsServer;
  let dir: TempDir;
  let fx: LeadFixture;
  let agent: RealAgent;
  let tap: NatsConnection;
  const acksSeen: Ack[] = [];

  beforeAll(async () => {
    nats = await startNats();
    dir = await makeTempDir('mesh30k-fault-outbox-');
    fx = await startRealClockLead(nats.url);
    // A plain client beside the lead sees every ACK the agent sends (not in the leads' queue group).
    tap = await connect({ servers: nats.url });
    tap.subscribe(subjects.ack(fx.config.lead_id), { callback: (_e, msg) => void acksSeen.push(JSON.parse(new TextDecoder().decode(msg.data)) as Ack) });
    await tap.flush();
    agent = await startEnrolledAgent(fx, nats.url, AGENT, dir.path);
    await waitFor(() => fx.lead.registry.get(AGENT)?.state === 'active' && agent.agent.status().clock.samples > 0, 'the agent active and synced');
  });

  afterAll(async () => {
    await agent?.close();
    await tap?.close();
    await fx?.close();
    await dir?.dispose();
    await nats?.dispose();
  });

  it('goes to the dead letters; the ACK behind it is delivered, and nothing is retried for ever', async () => {
    const handle = await fx.lead.engine.submit({ operationId: 'op-known', verb: 'act', payload: { command: 'arm' }, targets: { agent_ids: [AGENT] }, releaseMode: 'none', timeoutMs: 3_000 });
    const outcome = await handle.outcome;
    expect(outcome.status === 'completed' && outcome.result.counts.ready).toBe(1);
    await waitFor(() => acksSeen.some((ack) => ack.operation_id === 'op-known'), 'the tap to see the ACK');
    const sent = acksSeen.find((ack) => ack.operation_id === 'op-known')!;

    // What a lead restart leaves behind: an ACK for an operation this lead never heard of, and
    // behind it an ACK it still knows (a duplicate, which the lead confirms as if new).
    const { outbox } = agent.stores;
    const gone = { ...sent, operation_id: 'op-forgotten' };
    outbox.enqueue([
      { kind: 'ACK', priority: 2, body: JSON.stringify(gone), stream: 'ack:op-forgotten' },
      { kind: 'ACK', priority: 2, body: JSON.stringify(sent), stream: 'ack:op-known' },
    ]);
    const before = agent.agent.status().counters.outboxReplayed;
    await waitFor(() => outbox.stats().depth === 0, 'the outbox to empty');

    expect(agent.agent.status().counters.outboxReplayed).toBe(before + 1);
    const [letter] = outbox.listDeadLetters(10);
    expect(letter).toMatchObject({ kind: 'ACK', code: 'UNKNOWN_OPERATION', stream: 'ack:op-forgotten', attempts: 0 });
    expect(JSON.parse(letter!.body)).toMatchObject({ operation_id: 'op-forgotten' });
    expect(outbox.deadLetterStats()).toMatchObject({ count: 1, total: 1 });
    // One try, refused for good: the lead saw the forgotten ACK once, never again.
    expect(acksSeen.filter((ack) => ack.operation_id === 'op-forgotten')).toHaveLength(1);
    expect(fx.lead.engine.stats().acks.refused.UNKNOWN_OPERATION).toBe(1);
    expect(agent.events('outbox.dead_letter')).toHaveLength(1);
  });
});
