import { Worker } from 'node:worker_threads';
import type { IncomingFrame, KeyResolver, MessageKind, Result, Verified, WireRefusal } from '@mesh30k/shared';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { FrameVerifier, IngestRefusal, RuleOverride, VerifyRules } from './verifier.js';
import type { VerifyBatchReply, VerifyBatchRequest, VerifyItem, WorkerMessage } from './worker-protocol.js';

export interface VerifyPoolOptions {
  threads: number;
  /** Frames per postMessage. */
  batchMax: number;
  /**
   * How long the first frame of a batch waits for others, ms (0: until the next turn of the
   * event loop). At a few hundred heartbeats a second a turn holds one or two frames, and each
   * hand-off to a worker and back costs more than verifying; a few ms fill batches. The wait
   * falls between t2 and t3, so it is the lead's processing time, never part of a clock sample.
   */
  flushMs?: number;
  /** Frames waiting or in flight beyond which new ones are refused as OVERLOADED. */
  queueMax: number;
  /**
   * Batches a worker holds at once (default 8). The rest wait on the main thread, where a
   * priority frame can pass them and a frame too old to be of use is dropped before it costs
   * a verify; a worker's own message queue can do neither.
   */
  inFlightPerWorker?: number;
  /**
   * A frame still waiting for a worker after this long, ms, is refused OVERLOADED unverified:
   * its sender has stopped waiting for the answer (an agent's beat times out at 2 s), so
   * verifying it would only make every frame behind it late too. Absent: no limit.
   */
  maxWaitMs?: number;
}

export interface VerifyPoolDeps {
  rules: VerifyRules;
  logger: Logger;
  /** Starts one worker; the default loads verify-worker from source or from the build. */
  spawn?: () => Worker;
  /** Monotonic ms for queue waits (performance.now by default; tests step their own). */
  now?: () => number;
  /** Wall-clock ms for the deadlines a worker checks with its own Date.now (Date.now by default). */
  wallNow?: () => number;
}

type Outcome = Result<Verified, WireRefusal | IngestRefusal>;

interface Pending {
  frame: IncomingFrame;
  /** performance.now() when it was queued. */
  queuedAt: number;
  /** The kinds this frame may be; a batch holds frames of one accept list only. */
  accept: readonly MessageKind[];
  resolveKey: KeyResolver;
  /** Never refused for its wait (RuleOverride.patient). */
  patient: boolean;
  resolve: (outcome: Outcome) => void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending[]>;
  load: number;
  /** Resolves when the worker has loaded its modules. */
  ready: Promise<void>;
}

/**
 * Signature verification spread over worker threads: one verify costs about 110 us, so
 * thousands of heartbeats a second would otherwise take the main loop that runs timers,
 * replies and the API. Frames queue for `flushMs` (or until a batch is full) and go to the least-loaded worker in one postMessage with their bodies packed
 * into one transferred buffer. The main thread then only parses results.
 */
export class VerifyPool implements FrameVerifier {
  private readonly slots: Slot[] = [];
  private queue: Pending[] = [];
  /** Priority frames (session handshakes): sent to a worker before any of `queue`. */
  private urgent: Pending[] = [];
  /** Frames that may wait any time (ACKs): taken in turn with `queue`, never expired. */
  private patient: Pending[] = [];
  /** Whose turn the next batch is when both `queue` and `patient` hold frames. */
  private patientNext = false;
  private flushScheduled = false;
  private nextId = 1;
  private waiting = 0;
  private closed = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Batches posted to workers and the frames in them. */
  batchesSent = 0;
  framesSent = 0;
  /** Frames refused OVERLOADED unverified because they waited longer than maxWaitMs. */
  framesExpired = 0;

  constructor(
    private readonly deps: VerifyPoolDeps,
    private readonly options: VerifyPoolOptions,
  ) {
    for (let i = 0; i < options.threads; i++) this.slots.push(this.startSlot());
  }

  private now(): number {
    return this.deps.now?.() ?? performance.now();
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Resolves once every worker has loaded (a cold worker boot takes a while from source). */
  get ready(): Promise<void> {
    return Promise.all(this.slots.map((slot) => slot.ready)).then(() => undefined);
  }

  /** Frames queued or being verified. */
  get backlog(): number {
    return this.waiting;
  }

  /** Verifies one frame; `override` replaces the pool's kinds and keys (ACKs share the heartbeat pool). */
  verify(frame: IncomingFrame, override?: RuleOverride): Promise<Outcome> {
    const { accept, resolveKey } = override ?? this.deps.rules;
    const patient = override?.patient === true;
    const lane = override?.priority === true ? this.urgent : patient ? this.patient : this.queue;
    if (this.closed) return Promise.resolve(refusal('VERIFIER_FAILED', 'verify pool is closed'));
    if (this.waiting >= this.options.queueMax) {
      return Promise.resolve(refusal('OVERLOADED', `${this.waiting} messages already waiting for verification`));
    }
    this.waiting++;
    return new Promise<Outcome>((resolve) => {
      lane.push({ frame, queuedAt: this.now(), accept, resolveKey, patient, resolve });
      if (lane.length >= this.options.batchMax) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        const wait = this.options.flushMs ?? 0;
        if (wait > 0) this.flushTimer = setTimeout(() => this.flush(), wait);
        else setImmediate(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    for (const slot of this.slots) this.failAll(slot, 'verify pool closed');
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    this.slots.length = 0;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pump();
  }

  /** Sends batches while a worker has room for one: urgent frames first; frames past maxWaitMs are refused. */
  private pump(): void {
    if (this.closed) {
      for (const item of [...this.urgent, ...this.queue, ...this.patient]) this.settle(item, refusal('VERIFIER_FAILED', 'verify pool closed'));
      this.urgent = [];
      this.queue = [];
      this.patient = [];
      return;
    }
    this.expire(this.urgent);
    this.expire(this.queue);
    const limit = this.options.inFlightPerWorker ?? DEFAULT_IN_FLIGHT_PER_WORKER;
    while (this.urgent.length + this.queue.length + this.patient.length > 0) {
      const slot = this.freeSlot(limit);
      if (slot === undefined) return;
      const lane = this.nextLane();
      const [batch, rest] = takeBatch(this[lane], this.options.batchMax);
      this[lane] = rest;
      this.send(slot, batch);
    }
  }

  /** Urgent frames first; then the queue and the patient frames a batch each in turn. */
  private nextLane(): 'urgent' | 'queue' | 'patient' {
    if (this.urgent.length > 0) return 'urgent';
    if (this.patient.length === 0) return 'queue';
    if (this.queue.length === 0) return 'patient';
    this.patientNext = !this.patientNext;
    return this.patientNext ? 'patient' : 'queue';
  }

  /** The least-loaded worker holding fewer than `limit` batches, if any. */
  private freeSlot(limit: number): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) if (slot.inFlight.size < limit && (best === undefined || slot.load < best.load)) best = slot;
    return best;
  }

  /** Refuses the frames at the front of `lane` that waited longer than maxWaitMs (the lane is in arrival order). */
  private expire(lane: Pending[]): void {
    const maxWait = this.options.maxWaitMs;
    if (maxWait === undefined || lane.length === 0) return;
    const now = this.now();
    let n = 0;
    while (n < lane.length && now - lane[n]!.queuedAt > maxWait) n++;
    if (n === 0) return;
    this.framesExpired += n;
    for (const item of lane.splice(0, n)) {
      this.settle(item, refusal('OVERLOADED', `waited ${Math.round(now - item.queuedAt)} ms for verification (limit ${maxWait} ms); its sender has stopped waiting`));
    }
  }

  private send(slot: Slot, batch: Pending[]): void {
    const total = batch.reduce((sum, item) => sum + item.frame.body.byteLength, 0);
    const buffer = new ArrayBuffer(total);
    const bytes = new Uint8Array(buffer);
    const items: VerifyItem[] = [];
    let offset = 0;
    const maxWait = this.options.maxWaitMs;
    const [now, wall] = [this.now(), this.deps.wallNow?.() ?? Date.now()];
    for (const { frame, resolveKey, queuedAt, patient } of batch) {
      bytes.set(frame.body, offset);
      const deadline = maxWait === undefined || patient ? null : wall + maxWait - (now - queuedAt);
      items.push({ offset, length: frame.body.byteLength, signerId: frame.signerId ?? null, signature: frame.signature ?? null, ...keysFor(frame, resolveKey), deadline });
      offset += frame.body.byteLength;
    }
    const id = this.nextId++;
    this.batchesSent++;
    this.framesSent += batch.length;
    slot.inFlight.set(id, batch);
    // A worker with work keeps the process alive until it answers; an idle one does not.
    if (slot.load === 0) slot.worker.ref();
    slot.load += batch.length;
    const request: VerifyBatchRequest = { id, buffer, items, accept: batch[0]!.accept, maxBytes: this.deps.rules.maxBytes };
    slot.worker.postMessage(request, [buffer]);
  }

  private onReply(slot: Slot, reply: VerifyBatchReply): void {
    const batch = slot.inFlight.get(reply.id);
    if (batch === undefined) return;
    slot.inFlight.delete(reply.id);
    slot.load -= batch.length;
    if (slot.load === 0) slot.worker.unref();
    batch.forEach((pending, index) => {
      const result = reply.results[index];
      if (result === undefined) this.settle(pending, refusal('VERIFIER_FAILED', 'verify worker returned too few results'));
      else if ('expired' in result) {
        this.framesExpired++;
        this.settle(pending, refusal('OVERLOADED', `waited more than ${this.options.maxWaitMs ?? 0} ms for verification; its sender has stopped waiting`));
      } else if (result.ok) this.settle(pending, { ok: true, value: { message: result.message, signerId: result.signerId, body: pending.frame.body } });
      else this.settle(pending, { ok: false, error: result.error });
    });
    // The worker has room again: the next batch goes now, not at the next arrival.
    this.pump();
  }

  private startSlot(): Slot {
    const worker = (this.deps.spawn ?? spawnVerifyWorker)();
    let loaded: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (loaded = resolve));
    const slot: Slot = { worker, inFlight: new Map(), load: 0, ready };
    worker.on('message', (message: WorkerMessage) => {
      if ('ready' in message) {
        // Booting keeps the process alive (someone may be waiting for `ready`); idle does not.
        if (slot.load === 0) worker.unref();
        loaded();
      } else this.onReply(slot, message);
    });
    worker.once('exit', () => loaded());
    worker.on('error', (error) => this.deps.logger.error({ err: describeError(error) }, 'verify worker failed'));
    worker.on('exit', (code) => {
      this.failAll(slot, `verify worker exited with code ${code}`);
      const index = this.slots.indexOf(slot);
      if (this.closed || index < 0) return;
      this.deps.logger.warn({ code }, 'verify worker exited; starting another');
      this.slots[index] = this.startSlot();
      this.pump();
    });
    return slot;
  }

  private failAll(slot: Slot, why: string): void {
    for (const batch of slot.inFlight.values()) for (const pending of batch) this.settle(pending, refusal('VERIFIER_FAILED', why));
    slot.inFlight.clear();
    slot.load = 0;
  }

  private settle(pending: Pending, outcome: Outcome): void {
    this.waiting--;
    pending.resolve(outcome);
  }
}

/**
 * Enough that a worker always has the next batch in its own queue: on a machine with more
 * runnable threads than cores a worker that waits for the main thread between batches idles
 * for whole scheduler slices (two batches cut a 20,000-agent start-up to a tenth of the rate).
 */
const DEFAULT_IN_FLIGHT_PER_WORKER = 8;

/** Up to `max` frames from the front of `lane` that share the first frame's accept list, and the rest in order. */
function takeBatch(lane: readonly Pending[], max: number): [Pending[], Pending[]] {
  const accept = lane[0]!.accept;
  const batch: Pending[] = [];
  const rest: Pending[] = [];
  for (const pending of lane) {
    if (pending.accept === accept && batch.length < max) batch.push(pending);
    else rest.push(pending);
  }
  return [batch, rest];
}

/** Keys are resolved on the main thread, which owns the trust store. */
function keysFor(frame: IncomingFrame, resolveKey: KeyResolver): Pick<VerifyItem, 'keys' | 'refusal'> {
  if (!frame.signerId) return { keys: null, refusal: { code: 'UNSIGNED', message: 'message has no signer id' } };
  const resolved = resolveKey(frame.signerId);
  if (!resolved.ok) return { keys: null, refusal: resolved.error };
  // postMessage copies the list; no copy of our own.
  const keys = resolved.value instanceof Uint8Array ? [resolved.value] : (resolved.value as Uint8Array[]);
  return { keys, refusal: null };
}

function refusal(code: IngestRefusal['code'], message: string): Outcome {
  return { ok: false, error: { code, message } };
}

/**
 * From source (a .ts module URL) the worker is booted through tsx; from the build
 * (dist/mesh-lead.mjs) it is the sibling dist/verify-worker.mjs.
 */
function spawnVerifyWorker(): Worker {
  if (import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./verify-worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./verify-worker.ts', import.meta.url).href },
    });
  }
  return new Worker(new URL('./verify-worker.mjs', import.meta.url));
}
