import { AgentHandshake, type IncomingFrame } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import { LimitCounters } from '../lib/limit-counters.js';
import { silentLogger } from '../lib/logger.js';
import { trustFixture } from './ingest.test-helper.js';
import { IngestCounters } from './refusals.js';
import { SessionDesk } from './session-desk.js';
import { SessionTable } from './session-table.js';
import { InlineVerifier, type FrameVerifier, type RuleOverride } from './verifier.js';

const decoder = new TextDecoder();

async function setup(backlog: number, handshakes?: number, shedAtBacklog = true) {
  const fx = await trustFixture();
  const agent = await fx.agent('pi-1');
  const lead = await nodeEd25519.generateKeyPair();
  const inline = new InlineVerifier({ resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] });
  const overrides: (RuleOverride | undefined)[] = [];
  const verifier: FrameVerifier = {
    threads: 0, backlog, ready: Promise.resolve(), close: () => Promise.resolve(),
    verify: (frame, override) => {
      overrides.push(override);
      return inline.verify(frame, override);
    },
  };
  const counters = new IngestCounters();
  const limits = new LimitCounters();
  const table = new SessionTable();
  const heard: [string, number][] = [];
  const desk = new SessionDesk(
    { clock: fx.clock, logger: silentLogger(), identity: { leadId: 'lead-1', publicKey: lead.publicKey, publicKeyText: '', signer: nodeEd25519.signerSync(lead.privateKey) }, verifier, resolveKey: fx.resolveKey, table, counters, limits, random: () => 0.5, heard: (agentId, at) => heard.push([agentId, at]) },
    { lifetimeMs: 60_000, jitter: 0.1, replyTtlMs: 5_000, replay: { ttlMs: 10_000, maxEntries: 100 }, shed: { ...(shedAtBacklog ? { backlog: 100 } : {}), retryAfterMs: 4_000, ...(handshakes === undefined ? {} : { handshakes, handshakeRetryAfterMs: 9_000 }) } },
  );
  const hello = async (at = fx.clock.now()): Promise<IncomingFrame> => {
    const handshake = await AgentHandshake.start();
    const body = new TextEncoder().encode(JSON.stringify(sampleMessage('SESSION_HELLO', { sender: 'pi-1', at, overrides: handshake.helloFields })));
    return { body, signerId: 'pi-1', signature: Buffer.from(agent.signer.signSync(body)).toString('base64url') };
  };
  return { fx, desk, table, counters, limits, hello, overrides, heard };
}

describe('SessionDesk', () => {
  it('opens a session for a signed HELLO, for the configured lifetime', async () => {
    const { fx, desk, table, counters, hello } = await setup(0);
    const answer = await desk.process(await hello(), fx.clock.now());
    expect('signature' in answer).toBe(true);
    expect(table.size).toBe(1);
    expect(counters.sessionsOpened).toBe(1);
  });

  it('tells the registry of a fresh verified HELLO as a sign of life; not of one stamped outside the replay window, nor of a shed one', async () => {
    const { fx, desk, counters, hello, heard } = await setup(0);
    await desk.process(await hello(), fx.clock.now());
    expect(heard).toEqual([['pi-1', fx.clock.now()]]);
    // A HELLO stamped outside the replay window (its id could be forgotten by now) still opens a
    // session, but proves nothing about now.
    await desk.process(await hello(fx.clock.now() - 15_000), fx.clock.now());
    expect(counters.sessionsOpened).toBe(2);
    expect(heard).toHaveLength(1);
    const busy = await setup(100);
    await busy.desk.process(await busy.hello(), busy.fx.clock.now());
    expect(busy.heard).toEqual([]);
  });

  it('sheds HELLOs unverified at the verify backlog, with retry_after_ms, as heartbeats are', async () => {
    const { fx, desk, table, counters, limits, hello } = await setup(100);
    const answer = await desk.process(await hello(), fx.clock.now());
    expect('signature' in answer).toBe(false);
    expect(JSON.parse(decoder.decode(answer.body))).toMatchObject({ ok: false, code: 'OVERLOADED', retry_after_ms: 4_000 });
    expect(table.size).toBe(0);
    expect(counters.handshakesRefusedBy('OVERLOADED')).toBe(1);
    expect(limits.count('heartbeat_shed')).toBe(1);
  });

  it('without a backlog level, admits HELLOs whatever the heartbeats\' backlog, and asks for them to be verified first', async () => {
    const { fx, desk, table, hello, overrides } = await setup(5_000, 128, false);
    const answer = await desk.process(await hello(), fx.clock.now());
    expect('signature' in answer).toBe(true);
    expect(table.size).toBe(1);
    expect(overrides).toEqual([expect.objectContaining({ accept: ['SESSION_HELLO'], priority: true })]);
  });

  it('sheds HELLOs beyond its own handshakes in progress, below the shed level of the verify backlog', async () => {
    const { fx, desk, counters, hello } = await setup(0, 2);
    const frames = await Promise.all([hello(), hello(), hello()]);
    const answers = await Promise.all(frames.map((frame) => desk.process(frame, fx.clock.now())));
    expect(answers.map((a) => 'signature' in a)).toEqual([true, true, false]);
    // Paced: no session opened yet, so the desk is taken to clear its 2 in a second; this one
    // comes after them, well below the 9 s bound.
    expect(JSON.parse(decoder.decode(answers[2]!.body))).toMatchObject({ ok: false, code: 'OVERLOADED', retry_after_ms: 1_500 });
    expect(counters.sessionsOpened).toBe(2);
    expect(counters.handshakesRefusedBy('OVERLOADED')).toBe(1);
    // Answered ones no longer count: the next is admitted.
    expect('signature' in (await desk.process(await hello(), fx.clock.now()))).toBe(true);
  });
});
