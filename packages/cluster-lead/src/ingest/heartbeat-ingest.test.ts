import {
  MESSAGE_SCHEMAS,
  SESSION_HEADER,
  SIGNATURE_HEADER,
  SIGNER_HEADER,
  TAG_HEADER,
  err,
  ok,
  parseAuthenticated,
  sessionTagSync,
  toBase64Url,
  verifyAndParse,
  type HeartbeatReply,
  type IncomingFrame,
} from '@mesh30k/shared';
import { nodeEd25519, nodeHmacSha256 } from '@mesh30k/shared/node';
import type { Msg, NatsConnection } from 'nats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../lib/events.js';
import { LimitCounters } from '../lib/limit-counters.js';
import { silentLogger } from '../lib/logger.js';
import { GuardRails, Registry } from '../registry/index.js';
import { OPTIONS, ScriptedProber, SetLag } from '../registry/registry.test-helper.js';
import { ControlState } from './control-state.js';
import { HeartbeatIngest, rehandshakeWindowMs, type HeartbeatAnswer, type RefusalLimits } from './heartbeat-ingest.js';
import { HeartbeatReplay } from './heartbeat-replay.js';
import { T0, trustFixture } from './ingest.test-helper.js';
import { IngestCounters } from './refusals.js';
import { SessionTable } from './session-table.js';
import { InlineVerifier, type FrameVerifier } from './verifier.js';

/** Verification that takes 7 ms of lead time: the gap between t2 and t3 must include it. */
const VERIFY_MS = 7;

async function setup(refusals?: RefusalLimits, shed?: { backlog: number; retryAfterMs: number }, replyHoldMs?: number, intake?: { sliceMs?: number; maxWaitMs?: number }, rehandshake?: { minMs: number; maxMs: number; perSecond: number }) {
  const fx = await trustFixture();
  const lead = await nodeEd25519.generateKeyPair();
  const inline = new InlineVerifier({ resolveKey: fx.resolveKey, accept: ['HEARTBEAT'] });
  const slow: FrameVerifier & { backlog: number } = {
    threads: 0,
    backlog: 0,
    ready: Promise.resolve(),
    close: () => Promise.resolve(),
    verify: (frame: IncomingFrame) => {
      fx.clock.advance(VERIFY_MS);
      return inline.verify(frame);
    },
  };
  const events = new EventBus();
  const registry = new Registry(
    { clock: fx.clock, events, prober: new ScriptedProber(), guard: new GuardRails({ clock: fx.clock, lag: new SetLag() }, { restartGraceMs: 0, timeoutFactor: 2, lagThresholdMs: 100, lagGraceMs: 1 }), transportUp: () => true },
    OPTIONS,
  );
  const counters = new IngestCounters();
  const limits = new LimitCounters();
  const table = new SessionTable();
  const ingest = new HeartbeatIngest(
    {
      clock: fx.clock,
      events,
      logger: silentLogger(),
      registry,
      trust: fx.trust,
      verifier: slow,
      replay: new HeartbeatReplay({ clock: fx.clock }, { ttlMs: 10_000, skewMs: 2_000, maxEntries: 1_000 }),
      control: new ControlState(undefined),
      identity: { leadId: 'lead-1', publicKey: lead.publicKey, publicKeyText: '', signer: nodeEd25519.signerSync(lead.privateKey) },
      counters,
      limits,
      sessions: { table, hmac: nodeHmacSha256, trustVersion: () => 0 },
    },
    {
      heartbeatIntervalMs: 5_000,
      replyTtlMs: 5_000,
      ...(refusals === undefined ? {} : { refusals }),
      ...(shed === undefined ? {} : { shed }),
      ...(replyHoldMs === undefined ? {} : { replyHoldMs }),
      ...(intake === undefined ? {} : { intake }),
      ...(rehandshake === undefined ? {} : { rehandshake }),
    },
  );
  const open = async (frame: HeartbeatAnswer | null): Promise<HeartbeatReply> => {
    if (frame === null || !('signature' in frame)) throw new Error('expected a signed reply');
    const verified = await verifyAndParse(frame, {
      ed25519: nodeEd25519,
      resolveKey: (id) => (id === 'lead-1' ? ok(lead.publicKey) : err({ code: 'UNKNOWN_SIGNER', message: id })),
      accept: ['HEARTBEAT_REPLY'],
    });
    if (!verified.ok) throw new Error(verified.error.message);
    return verified.value.message as HeartbeatReply;
  };
  /** A compact unsigned refusal: its code and message. */
  const compact = (frame: HeartbeatAnswer | null): { ok: boolean; code: string; message: string } => {
    if (frame === null || 'signature' in frame) throw new Error('expected an unsigned refusal');
    return JSON.parse(new TextDecoder().decode(frame.body)) as { ok: boolean; code: string; message: string };
  };
  return { fx, ingest, registry, counters, limits, open, compact, verifier: slow, table };
}

describe('heartbeat ingest core', () => {
  it('stamps t2 on receipt, before verification, and t3 after it, just before signing the reply', async () => {
    const { fx, ingest, registry, open } = await setup();
    const agent = await fx.agent('pi-1');
    const frame = await agent.frame({ t1: T0 - 1_234.5 });
    const reply = await open(await ingest.process(frame, fx.clock.now()));
    expect(reply).toMatchObject({ accepted: true, agent_id: 'pi-1', t1: T0 - 1_234.5, t2: T0, t3: T0 + VERIFY_MS, mode: 'FULL' });
    expect(registry.get('pi-1')?.lastHeartbeatAt).toBe(T0);
  });

  it('answers a frame refused before its sender is known with a compact unsigned refusal, not a signature', async () => {
    const { fx, ingest, counters, compact } = await setup();
    const stranger = await fx.agent('pi-x', { enrolled: false });
    const answer = compact(await ingest.process(await stranger.frame(), fx.clock.now()));
    expect(answer).toMatchObject({ ok: false, code: 'NOT_ENROLLED' });
    expect(counters.refusedBy('NOT_ENROLLED')).toBe(1);
    // No usable signer id: nothing to address a reply to.
    expect(await ingest.process({ body: new Uint8Array([1, 2]), signerId: 'bad id!', signature: 'x' }, fx.clock.now())).toBeNull();
    expect(counters.refusedBy('BAD_SIGNATURE')).toBe(1);
  });

  it('answers a refusal after verification (a replay) signed, with accepted=false and the code', async () => {
    const { fx, ingest, open } = await setup();
    const agent = await fx.agent('pi-1');
    const frame = await agent.frame();
    expect((await open(await ingest.process(frame, fx.clock.now()))).accepted).toBe(true);
    const again = await open(await ingest.process(frame, fx.clock.now()));
    expect(again).toMatchObject({ accepted: false, agent_id: 'pi-1' });
    expect(again.reason).toMatch(/^REPLAYED: /);
  });

  it('answers at most a burst of refusals per signer id and in total; the rest are dropped and counted', async () => {
    const { fx, ingest, counters, limits } = await setup({ perSignerBurst: 3, perSignerPerSecond: 1, totalPerSecond: 5 });
    const forged = (signerId: string) => ({ body: new Uint8Array([1]), signerId, signature: 'A'.repeat(86) });
    const answered = async (signerId: string, n: number) => {
      let count = 0;
      for (let i = 0; i < n; i++) if ((await ingest.process(forged(signerId), fx.clock.now())) !== null) count++;
      return count;
    };
    expect(await answered('intruder-1', 10)).toBe(3);
    // Another signer has its own bucket, but the total allows only 5 answers per second.
    expect(await answered('intruder-2', 10)).toBe(2);
    expect(limits.count('heartbeat_refusal_rate')).toBe(15);
    expect(counters.totalRefused()).toBe(20);
    fx.clock.advance(1_000);
    expect(await answered('intruder-1', 10)).toBe(1);
  });

  it('sheds a heartbeat unverified with OVERLOADED and retry_after_ms while the verify backlog is at its limit', async () => {
    const { fx, ingest, counters, limits, compact, open, verifier, registry } = await setup(undefined, { backlog: 100, retryAfterMs: 4_000 });
    const agent = await fx.agent('pi-1');
    verifier.backlog = 100;
    const shed = compact(await ingest.process(await agent.frame(), fx.clock.now()));
    expect(shed).toMatchObject({ ok: false, code: 'OVERLOADED', retry_after_ms: 4_000 });
    expect(shed.message).toContain('100 heartbeats waiting');
    expect(counters.refusedBy('OVERLOADED')).toBe(1);
    expect(limits.count('heartbeat_shed')).toBe(1);
    // Unverified, so nothing about the agent was believed.
    expect(registry.get('pi-1')).toBeUndefined();
    verifier.backlog = 99;
    expect((await open(await ingest.process(await agent.frame({ seq: 2 }), fx.clock.now()))).accepted).toBe(true);
  });

  it('answers every shed heartbeat with OVERLOADED beyond the lead-wide refusal rate, within each signer\'s own', async () => {
    const { fx, ingest, limits, compact, verifier } = await setup({ perSignerBurst: 2, perSignerPerSecond: 1, totalPerSecond: 3 }, { backlog: 100, retryAfterMs: 4_000 });
    verifier.backlog = 100;
    const agents = await Promise.all(Array.from({ length: 8 }, (_, i) => fx.agent(`pi-${i}`)));
    // Eight agents shed at once: all hear when to come back, though the total allows 3 answers a second.
    for (const agent of agents) expect(compact(await ingest.process(await agent.frame(), fx.clock.now()))).toMatchObject({ code: 'OVERLOADED', retry_after_ms: 4_000 });
    expect(limits.count('heartbeat_refusal_rate')).toBe(0);
    // One signer flooding still meets its own limit.
    const flood = agents[0]!;
    const answers = await Promise.all([1, 2].map(async (seq) => ingest.process(await flood.frame({ seq }), fx.clock.now())));
    expect(answers.filter((a) => a !== null)).toHaveLength(1);
    expect(limits.count('heartbeat_refusal_rate')).toBe(1);
  });

  it('signs replies that pass the HEARTBEAT_REPLY schema without validating them itself', async () => {
    const { fx, ingest } = await setup();
    const agent = await fx.agent('pi-1');
    const answer = await ingest.process(await agent.frame(), fx.clock.now());
    if (answer === null || !('signature' in answer)) throw new Error('expected a signed reply');
    const parsed = MESSAGE_SCHEMAS.HEARTBEAT_REPLY.safeParse(JSON.parse(new TextDecoder().decode(answer.body)));
    expect(parsed.success).toBe(true);
  });
});

/** A connection that hands the test the heartbeat subscription's callback and nothing more. */
function fakeConnection() {
  let deliver: ((error: Error | null, msg: Msg) => void) | undefined;
  const nc = {
    subscribe: (_subject: string, options: { callback: (error: Error | null, msg: Msg) => void }) => {
      deliver = options.callback;
      return { isClosed: () => false, drain: () => Promise.resolve() };
    },
    flush: () => Promise.resolve(),
  } as unknown as NatsConnection;
  return { nc, deliver: (msg: Msg) => deliver?.(null, msg) };
}

describe('heartbeat ingest replies on the wire', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds a reply with others before writing it, and stamps t3 at the write: the hold falls between t2 and t3', async () => {
    const HOLD_MS = 2;
    const WAITED_MS = 2;
    const { fx, ingest, open } = await setup(undefined, undefined, HOLD_MS);
    const agent = await fx.agent('pi-1');
    const frame = await agent.frame({ t1: T0 - 500 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { nc, deliver } = fakeConnection();
    await ingest.subscribe(nc);
    const written: Uint8Array[] = [];
    const signatures: string[] = [];
    const headerValues = new Map([[SIGNER_HEADER, frame.signerId], [SIGNATURE_HEADER, frame.signature]]);
    deliver({
      data: frame.body,
      headers: { get: (name: string) => headerValues.get(name) ?? '' },
      respond: (body: Uint8Array, options?: { headers?: { get(name: string): string } }) => {
        written.push(body);
        signatures.push(options?.headers?.get(SIGNATURE_HEADER) ?? '');
        return true;
      },
    } as unknown as Msg);
    // The beat is decided (verified, recorded) once the hold's timer is armed.
    for (let turn = 0; turn < 100 && vi.getTimerCount() === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(vi.getTimerCount()).toBe(1);
    expect(written).toHaveLength(0);
    fx.clock.advance(WAITED_MS); // the lead's clock moves while the reply is held
    vi.advanceTimersByTime(HOLD_MS);
    expect(written).toHaveLength(1);
    const reply = await open({ body: written[0]!, signerId: 'lead-1', signature: signatures[0]! });
    expect(reply).toMatchObject({ accepted: true, t1: T0 - 500, t2: T0, t3: T0 + VERIFY_MS + WAITED_MS });
  });
});

/** A message as nats.js hands it over: bytes, headers, and a respond() the test records. */
function wireMessage(body: Uint8Array, headerValues: Map<string, string>, written: { body: Uint8Array; headers: Map<string, string> }[]): Msg {
  return {
    data: body,
    headers: { get: (name: string) => headerValues.get(name) ?? '' },
    respond: (reply: Uint8Array, options?: { headers?: { get(name: string): string } }) => {
      const replyHeaders = new Map<string, string>();
      for (const name of [SESSION_HEADER, TAG_HEADER]) {
        const value = options?.headers?.get(name);
        if (value) replyHeaders.set(name, value);
      }
      written.push({ body: reply, headers: replyHeaders });
      return true;
    },
  } as unknown as Msg;
}

/** An agent with a session open at the lead, whose beats are tagged in it. */
async function sessionAgent(context: Awaited<ReturnType<typeof setup>>, agentId: string) {
  const agent = await context.fx.agent(agentId);
  const agentToLead = new Uint8Array(32).fill(7);
  const leadToAgent = new Uint8Array(32).fill(9);
  const session = context.table.open(agentId, { agentToLead: agentToLead.slice(), leadToAgent: leadToAgent.slice() }, context.fx.clock.now() + 3_600_000);
  return {
    session,
    /** A beat with this seq, tagged in the session, as the wire carries it. */
    async beat(seq: number, written: { body: Uint8Array; headers: Map<string, string> }[]): Promise<Msg> {
      const { body } = await agent.frame({ seq, t1: T0 + seq });
      const tag = toBase64Url(sessionTagSync(nodeHmacSha256, agentToLead, session.id, undefined, body));
      return wireMessage(body, new Map([[SIGNER_HEADER, agentId], [SESSION_HEADER, session.id], [TAG_HEADER, tag]]), written);
    },
    /** A tagged reply to beat `seq`, checked against the lead->agent key and parsed. */
    read(reply: { body: Uint8Array; headers: Map<string, string> }, seq: number): HeartbeatReply {
      const expected = toBase64Url(sessionTagSync(nodeHmacSha256, leadToAgent, session.id, seq, reply.body));
      if (reply.headers.get(TAG_HEADER) !== expected) throw new Error(`reply to seq ${seq} is not tagged for it`);
      const parsed = parseAuthenticated(reply.body, 'lead-1', { accept: ['HEARTBEAT_REPLY'] });
      if (!parsed.ok) throw new Error(parsed.error.message);
      return parsed.value.message as HeartbeatReply;
    },
  };
}

describe('heartbeat ingest intake queue', () => {
  it('handles a burst read at once in slices, the event loop getting turns between them, and answers every beat in order', async () => {
    // sliceMs 0: one beat per slice, so the event loop gets a turn after each.
    const context = await setup(undefined, undefined, 0, { sliceMs: 0 });
    const { ingest, counters } = context;
    const agent = await sessionAgent(context, 'pi-1');
    const { nc, deliver } = fakeConnection();
    await ingest.subscribe(nc);
    const written: { body: Uint8Array; headers: Map<string, string> }[] = [];
    const BEATS = 12;
    // One socket read's worth of beats, delivered in one go as nats.js does.
    const msgs = await Promise.all(Array.from({ length: BEATS }, (_, i) => agent.beat(i + 1, written)));
    for (const msg of msgs) deliver(msg);
    expect(ingest.queued).toBe(BEATS);
    expect(written).toHaveLength(0);
    // Each turn of the loop sees at most one more beat answered: none is handled in a block.
    const answeredAtTurn: number[] = [];
    for (let turn = 0; turn < 100 && written.length < BEATS; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      answeredAtTurn.push(written.length);
    }
    expect(written).toHaveLength(BEATS);
    expect(answeredAtTurn[0]).toBeLessThanOrEqual(1);
    for (let i = 1; i < answeredAtTurn.length; i++) expect(answeredAtTurn[i]! - answeredAtTurn[i - 1]!).toBeLessThanOrEqual(1);
    const replies = written.map((reply, i) => agent.read(reply, i + 1));
    expect(replies.map((r) => r.accepted)).toEqual(Array.from({ length: BEATS }, () => true));
    expect(replies.map((r) => r.t1)).toEqual(Array.from({ length: BEATS }, (_, i) => T0 + i + 1));
    expect(counters.acceptedInSession).toBe(BEATS);
  });

  it('a lead behind its input sheds the beats that waited too long with OVERLOADED and retry_after_ms, and keeps their sessions', async () => {
    const context = await setup(undefined, { backlog: 1_000, retryAfterMs: 4_000 }, 0, { maxWaitMs: 1_000 });
    const { fx, ingest, counters, limits, registry, table, compact } = context;
    const agents = await Promise.all(['pi-1', 'pi-2', 'pi-3'].map((id) => sessionAgent(context, id)));
    const { nc, deliver } = fakeConnection();
    await ingest.subscribe(nc);
    const written: { body: Uint8Array; headers: Map<string, string> }[] = [];
    for (const agent of agents) deliver(await agent.beat(1, written));
    // The lead does not get to them for 1.5 s (busy elsewhere): by then their agents are about to give up.
    fx.clock.advance(1_500);
    for (let turn = 0; turn < 100 && written.length < agents.length; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(written).toHaveLength(agents.length);
    for (const reply of written) {
      expect(reply.headers.size).toBe(0);
      expect(compact({ body: reply.body, signed: false })).toMatchObject({ ok: false, code: 'OVERLOADED', retry_after_ms: 4_000 });
    }
    expect(counters.refusedBy('OVERLOADED')).toBe(agents.length);
    expect(limits.count('heartbeat_shed')).toBe(agents.length);
    // Unread, so nothing about the agents was believed, and nothing about their sessions judged.
    expect(registry.get('pi-1')).toBeUndefined();
    expect(table.size).toBe(agents.length);
    // The next beat on the same session, read in time, is accepted: the session was kept.
    const next: { body: Uint8Array; headers: Map<string, string> }[] = [];
    deliver(await agents[0]!.beat(2, next));
    for (let turn = 0; turn < 100 && next.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(agents[0]!.read(next[0]!, 2)).toMatchObject({ accepted: true, t1: T0 + 2 });
    expect(counters.acceptedInSession).toBe(1);
  });

  it('a lead behind its input tells a beat on a session it does not hold SESSION_UNKNOWN, with a retry_after_ms to re-handshake within, not OVERLOADED', async () => {
    // One session missing at 0.0001 a second takes longer than maxMs: the window is maxMs.
    const context = await setup(undefined, { backlog: 1_000, retryAfterMs: 4_000 }, 0, { maxWaitMs: 1_000 }, { minMs: 5_000, maxMs: 20_000, perSecond: 0.0001 });
    const { fx, ingest, counters, limits, table, compact } = context;
    const [held, lost] = await Promise.all(['pi-1', 'pi-2'].map((id) => sessionAgent(context, id)));
    const { nc, deliver } = fakeConnection();
    await ingest.subscribe(nc);
    // Both beat once in time: the lead has them on record.
    const first: { body: Uint8Array; headers: Map<string, string> }[] = [];
    deliver(await held!.beat(1, first));
    deliver(await lost!.beat(1, first));
    for (let turn = 0; turn < 100 && first.length < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(counters.acceptedInSession).toBe(2);
    // pi-2's session is gone, as after a restart.
    table.dropAgent('pi-2');
    const written: { body: Uint8Array; headers: Map<string, string> }[] = [];
    deliver(await held!.beat(2, written));
    deliver(await lost!.beat(2, written));
    fx.clock.advance(1_500);
    for (let turn = 0; turn < 100 && written.length < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(written.map((reply) => compact({ body: reply.body, signed: false }))).toEqual([
      expect.objectContaining({ code: 'OVERLOADED', retry_after_ms: 4_000 }),
      expect.objectContaining({ code: 'SESSION_UNKNOWN', retry_after_ms: 20_000 }),
    ]);
    expect(counters.refusedBy('SESSION_UNKNOWN')).toBe(1);
    expect(limits.count('heartbeat_shed')).toBe(1);
  });

  it('spreads re-handshakes over the time the sessions missing take at the assumed rate, at most maxMs, and gives no window when they take under minMs', () => {
    const o = { minMs: 5_000, maxMs: 20_000, perSecond: 1_000 };
    expect(rehandshakeWindowMs(0, o)).toBeUndefined();
    expect(rehandshakeWindowMs(-3, o)).toBeUndefined();
    expect(rehandshakeWindowMs(4_999, o)).toBeUndefined();
    expect(rehandshakeWindowMs(5_000, o)).toBe(5_000);
    expect(rehandshakeWindowMs(10_000, o)).toBe(10_000);
    expect(rehandshakeWindowMs(30_000, o)).toBe(20_000);
  });

  it.each([
    ['unless configured', undefined],
    ['when the missing sessions take under minMs', { minMs: 5_000, maxMs: 20_000, perSecond: 1_000 }],
  ])('answers SESSION_UNKNOWN without retry_after_ms %s', async (_case, rehandshake) => {
    const context = await setup(undefined, undefined, 0, undefined, rehandshake);
    const { ingest, table, compact } = context;
    const agent = await sessionAgent(context, 'pi-1');
    table.dropAgent('pi-1');
    const { nc, deliver } = fakeConnection();
    await ingest.subscribe(nc);
    const written: { body: Uint8Array; headers: Map<string, string> }[] = [];
    deliver(await agent.beat(1, written));
    for (let turn = 0; turn < 100 && written.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    const refusal = compact({ body: written[0]!.body, signed: false });
    expect(refusal.code).toBe('SESSION_UNKNOWN');
    expect(refusal).not.toHaveProperty('retry_after_ms');
  });

  it('a stopping lead answers what it had read and not yet handled', async () => {
    const context = await setup(undefined, undefined, 0);
    const { ingest } = context;
    const agent = await sessionAgent(context, 'pi-1');
    const { nc, deliver } = fakeConnection();
    await ingest.subscribe(nc);
    const written: { body: Uint8Array; headers: Map<string, string> }[] = [];
    deliver(await agent.beat(1, written));
    deliver(await agent.beat(2, written));
    await ingest.stop();
    expect(written.map((reply, i) => agent.read(reply, i + 1).accepted)).toEqual([true, true]);
  });
});
