// The hold-mode release path of the engine: READY built and signed before T, handed to the bus
// at T inside the timer's pass; no pre-built READY for work not done by T; TRANSIT and CONFLICT
// as before. A fake bus records what was handed over and when; nothing here measures precision.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { EpochFence, ImpedanceProfiler, ReplayGuard, type Ack, type Coordinate, type Signer } from '@mesh30k/shared';
import { nodeEd25519 } from '@mesh30k/shared/node';
import { sampleMessage } from '@mesh30k/shared/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentContext } from '../agent/context.js';
import { newCounters } from '../agent/counters.js';
import { pinnedKeyResolver } from '../agent/lead-keys.js';
import { resolveTuning } from '../agent/options.js';
import { AgentClock } from '../clock/agent-clock.js';
import { PreciseTimer } from '../clock/precise-timer.js';
import { trueClock } from '../clock/true-clock.js';
import type { Bus, BusMessage } from '../nats/bus.js';
import { MemoryOutbox, MemoryStateStore } from '../sim/memory-stores.js';
import { AckSender } from './ack-sender.js';
import { ContextHash, hashPayload } from './context-hash.js';
import { CoordinationEngine } from './engine.js';
import type { ReadyEvent } from './ready-event.js';
import { FreezeState } from './freeze.js';
import { handlerRegistry, type HandlerOutcome, type VerbHandler } from './handlers.js';

const LEAD = 'lead-1';

interface Sent {
  ack: Ack;
  at: number;
}

/** Records every request (an ACK) with the instant it was handed over; never answers. */
class RecordingBus implements Bus {
  readonly sent: Sent[] = [];
  connected = true;
  publish(): void {}
  request(_subject: string, data: Uint8Array): Promise<BusMessage> {
    this.sent.push({ ack: JSON.parse(new TextDecoder().decode(data)) as Ack, at: trueClock.now() });
    return new Promise(() => undefined);
  }
  subscribe(): () => void {
    return () => undefined;
  }
  onEvent(): () => void {
    return () => undefined;
  }
}

/** Resolves when `condition` holds, polling each event-loop turn, or fails after `ms`. */
async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = trueClock.now() + ms;
  while (!condition()) {
    if (trueClock.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const timers: PreciseTimer[] = [];
afterEach(() => {
  for (const timer of timers.splice(0)) timer.stop();
});

/** Lateness allowed for a pre-built READY: generous here, so that a loaded test machine cannot change the path taken. */
const ANY_LATENESS = 60_000;

function rig(agentId: string, handler: VerbHandler, shared?: { releases: PreciseTimer; bus: RecordingBus }, prebuiltLateLimitMs = ANY_LATENESS, signer: 'sync' | 'async only' = 'sync') {
  const bus = shared?.bus ?? new RecordingBus();
  const releases = shared?.releases ?? new PreciseTimer();
  if (shared === undefined) timers.push(releases);
  const privateKey = new Uint8Array(randomBytes(32));
  const log = pino({ level: 'silent' });
  const state = new MemoryStateStore();
  const tuning = resolveTuning({});
  const identity = { agentId, clusterId: 'cluster-1', sectorId: 'sector-1', agentClass: 'A' as const, capabilities: ['observe', 'act'], leadId: LEAD };
  const ctx: AgentContext = {
    identity,
    tuning,
    clock: new AgentClock(trueClock),
    self: { id: agentId, signer: signer === 'sync' ? nodeEd25519.signerSync(privateKey) : asyncOnly(nodeEd25519.signerSync(privateKey)) },
    bus,
    log,
    counters: newCounters(),
    outbox: new MemoryOutbox(100),
    state,
    ed25519: nodeEd25519,
    leadKeys: pinnedKeyResolver(new Map()),
    leaseFence: new EpochFence(),
  };
  const meshClock = { now: () => ctx.clock.meshNow() };
  const ready: ReadyEvent[] = [];
  const engine = new CoordinationEngine({
    ctx,
    replay: new ReplayGuard({ clock: meshClock, ttlMs: tuning.replayWindowMs, skewMs: tuning.replaySkewMs }),
    freeze: new FreezeState(state, log),
    context: new ContextHash(state, () => undefined),
    handlers: handlerRegistry({ observe: handler, act: handler }),
    sender: new AckSender(ctx, () => undefined),
    releases,
    profiler: new ImpedanceProfiler(
      { agent_id: agentId, agent_class: 'A', sector_id: 'sector-1', cluster_id: 'cluster-1', capabilities: [...identity.capabilities], current_context_hash: '' },
      { clock: meshClock, queueDepth: () => 0 },
      { sampleCapacity: 16 },
    ),
    prebuiltLateLimitMs,
    onReady: (event) => ready.push(event),
  });
  return { engine, bus, releases, ready };
}

/** A signer that signs only through a promise (a key store that cannot sign synchronously). */
function asyncOnly(signer: Signer): Signer {
  return { sign: (message) => signer.sign(message) };
}

/** Many agents of one process on one release timer and bus; `sentInPass()` is how many ACKs the bus had when the pass handed over. */
function fleet(count: number, prebuiltLateLimitMs: number, signer: 'sync' | 'async only' = 'sync') {
  const releases = new PreciseTimer();
  timers.push(releases);
  const bus = new RecordingBus();
  const engines = Array.from({ length: count }, (_, i) => rig(`agent-${i}`, readyAfter(1), { releases, bus }, prebuiltLateLimitMs, signer));
  let sentWhenFirstTurnCame = -1;
  const request = bus.request.bind(bus);
  bus.request = (subject, data) => {
    // The first send queues a microtask: it runs only once the synchronous release pass is over.
    if (bus.sent.length === 0) queueMicrotask(() => (sentWhenFirstTurnCame = bus.sent.length));
    return request(subject, data);
  };
  return { engines, bus, sentInPass: () => sentWhenFirstTurnCame };
}

function coordinate(targetInMs: number, overrides: Partial<Coordinate> = {}): Coordinate {
  const now = trueClock.now();
  const payload = { question: 'now?' };
  return sampleMessage('COORDINATE', {
    sender: LEAD,
    at: now,
    overrides: { operation_id: `op-${Math.round(now * 1000)}`, target_time: now + targetInMs, payload, payload_hash: hashPayload(payload), ...overrides },
  });
}

function deliver(engine: CoordinationEngine, message: Coordinate): void {
  const raw: BusMessage = { subject: 'c', data: new Uint8Array(), headers: { get: () => undefined }, arrivedAt: performance.now(), respond: () => false };
  engine.onCoordinate({ verified: { message, signerId: LEAD, body: new Uint8Array() }, message: raw });
}

const readyAfter = (ms: number, extra: Partial<Extract<HandlerOutcome, { state: 'ready' }>> = {}): VerbHandler => async () => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { state: 'ready', ...extra };
};

describe('hold release: prepared before T, sent at T', () => {
  it('signs the READY when processing ends and hands it to the bus at T, never before, claiming T', async () => {
    const { engine, bus, ready } = rig('agent-1', readyAfter(1));
    const message = coordinate(150);
    deliver(engine, message);
    await until(() => engine.heldCount === 1);
    // Held: the READY exists (signed) but nothing has left.
    expect(bus.sent).toHaveLength(0);
    await until(() => bus.sent.length === 1);
    const [{ ack, at }] = bus.sent as [Sent];
    expect(ack.trinary_state).toBe(1);
    expect(at).toBeGreaterThanOrEqual(message.target_time);
    // Built before T (its header says so) and it says ready at T, on the agent's clock.
    expect(ack.created_at).toBeLessThan(message.target_time);
    expect(ack.ready_at_mesh).toBeCloseTo(message.target_time, 6);
    await until(() => ready.length === 1);
    expect(ready[0]).toMatchObject({ ackMessageId: ack.message_id, hold: { prebuilt: true, signedAtRelease: false } });
  });

  it('releases many agents of one process in one pass: no send waits for another agent\'s signing', async () => {
    const { engines, bus, sentInPass } = fleet(40, ANY_LATENESS);
    const message = coordinate(400);
    for (const { engine } of engines) deliver(engine, message);
    await until(() => bus.sent.length === 40);
    expect(sentInPass()).toBe(40);
    expect(new Set(bus.sent.map((s) => s.ack.agent_id)).size).toBe(40);
  });

  it('a release later than the limit is signed again with its real instant inside the pass, not after it', async () => {
    const { engines, bus, sentInPass } = fleet(20, -1);
    const message = coordinate(300);
    const ready: ReadyEvent[] = [];
    for (const { engine } of engines) deliver(engine, message);
    await until(() => bus.sent.length === 20);
    // Every late READY left in the pass that stamped it: none waited for the event loop.
    expect(sentInPass()).toBe(20);
    for (const rigged of engines) await until(() => rigged.ready.length === 1).then(() => ready.push(rigged.ready[0]!));
    for (const event of ready) {
      const { ack } = bus.sent.find((s) => s.ack.message_id === event.ackMessageId)!;
      // Built at the release (not ahead of it), and it says the stamped instant, not T.
      expect(ack.created_at).toBeGreaterThanOrEqual(message.target_time);
      expect(ack.ready_at_local).toBe(event.readyAtLocal);
      expect(event.hold).toMatchObject({ prebuilt: false, signedAtRelease: true });
    }
  });

  it('with a signer that signs only through a promise, a late release is built and signed after the pass', async () => {
    const { engine, bus, ready } = rig('agent-1', readyAfter(1), undefined, -1, 'async only');
    const message = coordinate(100);
    deliver(engine, message);
    await until(() => bus.sent.length === 1);
    const { ack } = bus.sent[0]!;
    expect(ack.created_at).toBeGreaterThanOrEqual(message.target_time);
    await until(() => ready.length === 1);
    expect(ready[0]!.hold).toMatchObject({ prebuilt: false, signedAtRelease: false });
    expect(ack.ready_at_local).toBe(ready[0]!.readyAtLocal);
  });

  it('work not done by T gets no pre-built READY: its ACK carries the instant it was really ready', async () => {
    const { engine, bus, ready } = rig('agent-1', readyAfter(80));
    const message = coordinate(20, { arrival_window_ms: 500 });
    deliver(engine, message);
    await until(() => bus.sent.length === 1);
    const { ack } = bus.sent[0]!;
    expect(ack.trinary_state).toBe(1);
    expect(ack.ready_at_mesh).toBeGreaterThan(message.target_time);
    await until(() => ready.length === 1);
    expect(ready[0]!.hold).toBeUndefined();
  });

  it('a handler\'s atRelease work runs at T; when it fails, TRANSIT goes out and the pre-built READY never does', async () => {
    let switchedAt = 0;
    const failing = readyAfter(1, {
      atRelease: () => {
        switchedAt = trueClock.now();
        return Promise.reject(new Error('gpio write failed'));
      },
    });
    const { engine, bus, ready } = rig('agent-1', failing);
    const message = coordinate(120);
    deliver(engine, message);
    await until(() => bus.sent.length === 1);
    expect(switchedAt).toBeGreaterThanOrEqual(message.target_time);
    expect(bus.sent[0]!.ack).toMatchObject({ trinary_state: 0, refusal: { code: 'HANDLER_FAILED' } });
    expect(ready).toHaveLength(0);
  });

  it('a held READY is handed back as TRANSIT on shutdown, and the signed one is never sent', async () => {
    const { engine, bus } = rig('agent-1', readyAfter(1));
    deliver(engine, coordinate(10_000));
    await until(() => engine.heldCount === 1);
    await engine.shutdown(100);
    await until(() => bus.sent.length > 0);
    expect(bus.sent.map((s) => s.ack.trinary_state)).toEqual([0]);
    expect(bus.sent[0]!.ack.refusal?.code).toBe('SHUTTING_DOWN');
  });

  it('CONFLICT is answered at once, not held', async () => {
    const conflicting: VerbHandler = () => ({
      state: 'conflict',
      conflict: { type: 'DATA_CONTRADICTION', expected_value: 'a', received_value: 'b', detail: 'disagrees' },
    });
    const { engine, bus } = rig('agent-1', conflicting);
    const message = coordinate(10_000);
    deliver(engine, message);
    await until(() => bus.sent.length === 1);
    expect(bus.sent[0]!.ack.trinary_state).toBe(-1);
    expect(bus.sent[0]!.at).toBeLessThan(message.target_time);
  });
});
