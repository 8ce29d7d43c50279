import type { Clock } from '@mesh30k/shared';
import { AdaptiveSpinMargin, DEFAULT_SPIN_MARGIN, DEFAULT_SPIN_TAIL, type SpinMarginOptions } from './spin-margin.js';
import { TimerHeap, type Timed } from './timer-heap.js';
import { nodeTimerPlatform, type LoopDelayMonitor, type TimerHandle, type TimerPlatform } from './timer-platform.js';

/**
 * Starting margin of the precise wait: the busy wait starts this long before the deadline. It
 * must exceed how late a timer fires on this thread; from there it follows the measured
 * lateness (spin-margin.ts).
 */
export const DEFAULT_SPIN_MARGIN_MS = DEFAULT_SPIN_MARGIN.initialMs;
/** Releases handed to their callbacks per event-loop turn after a spin (each signs an ACK). */
export const DEFAULT_DELIVERY_CHUNK = 8;
/**
 * Entries due soon are taken out of the heap this long before the spin, so that moving
 * thousands of them (simulation) costs nothing at the deadline itself.
 */
const PREPARE_MS = 50;
/** Everything due within this long after the earliest entry joins its batch (one spin serves a cluster). */
const BATCH_WINDOW_MS = 2 * PREPARE_MS;
/**
 * Worst rate error assumed between an agent's clock and the monotonic clock (1000 ppm): the
 * preparing timer fires early by this share of the wait, and estimates are then refreshed.
 */
const RATE_GUARD = 1e-3;
/** Longest busy wait in one go; beyond it the thread is yielded and the spin resumes by timer. */
const MAX_SPIN_MS = 20;
/** Longest wait on one entry's own clock when its monotonic estimate is already due. */
const MAX_CATCH_UP_MS = 0.5;
/**
 * The busy part of the wait, to start with: until this long before each due time the thread
 * sleeps (Atomics.wait, a futex with a high-resolution timeout) instead of spinning. A spinning
 * thread holds a CPU the other processes need (in bench:arrival every sim spins at the same T on
 * two cores) and the scheduler then preempts it at the worst moment; measured with
 * test/bench/arrival/release-wait-bench.ts on a loaded machine, a sleep then a 0.2 ms spin was
 * late by 0.01 / 3.2 / 9.1 ms (p50 / p90 / p99) where a pure spin was 0.15 / 9.0 / 20. From
 * there the tail follows how far the sleeps overshoot (DEFAULT_SPIN_TAIL).
 */
export const DEFAULT_SPIN_TAIL_MS = DEFAULT_SPIN_TAIL.initialMs;
/** Sleeps shorter than this are not worth a system call; the spin covers them. */
const MIN_SLEEP_MS = 0.05;
/** The hand-over of `shareCpu`: long enough for the kernel to run another process. */
const YIELD_MS = 0.01;
/** With `shareCpu`, effects run at most this long in one go before the CPU is handed over again. */
const EFFECT_SLICE_MS = 0.3;

export interface ReleaseRequest {
  /** The clock the deadline is on (an agent's own clock, possibly skewed). */
  clock: Clock;
  deadlineLocal: number;
  /**
   * The release's effect, run inside the release pass right after its stamp (publish an ACK
   * already signed, start a GPIO write). It must be cheap and synchronous: every release due
   * later in the same pass waits for it.
   */
  effect?: (stampLocal: number, info: ReleaseInfo) => void;
  /** Called after the pass with the instant the release was stamped, on `clock` (bookkeeping). */
  onRelease: (stampLocal: number, info: ReleaseInfo) => void;
}

/** How one release went, for diagnosis: why a stamp was late is told apart here. */
export interface ReleaseInfo {
  /** How late the timer that started this pass woke, ms (the event loop's share of lateness). */
  wakeLateMs: number;
  /** The spin margin in force for this pass, ms. */
  marginMs: number;
  /** The busy-waited tail in force for this pass, ms (the rest of the margin is slept). */
  spinTailMs: number;
  /** Time from the pass's first stamp to this one, ms (the pass's own share: the stamps before it). */
  inPassMs: number;
  /**
   * Time from this release's stamp to the start of its effect, ms: the effects of the releases
   * stamped with it ran first. One agent per device leaves it near 0; a process of many agents
   * (simulation) queues them here.
   */
  effectDelayMs: number;
  /**
   * Time this thread waited for a CPU from arming the timer to the end of the pass, ms (only
   * with `runQueueWaitMs`): lateness this explains is the machine's load, not this code.
   */
  runQueueMs?: number;
}

export interface ReleaseHandle {
  /** False when already released or cancelled. */
  cancel(): boolean;
}

/** A class, not a spread object literal: one stable shape keeps the spin loop fast. */
class Entry implements Timed, ReleaseRequest {
  due: number;
  heapIndex = -1;
  state: 'pending' | 'stamped' | 'done' | 'cancelled' = 'pending';
  stamp = 0;
  /** Monotonic instant of the stamp. */
  stampedAt = 0;
  info: ReleaseInfo | undefined = undefined;
  readonly clock: Clock;
  readonly deadlineLocal: number;
  readonly effect: ((stampLocal: number, info: ReleaseInfo) => void) | undefined;
  readonly onRelease: (stampLocal: number, info: ReleaseInfo) => void;

  constructor(request: ReleaseRequest, now: number) {
    this.clock = request.clock;
    this.deadlineLocal = request.deadlineLocal;
    this.effect = request.effect;
    this.onRelease = request.onRelease;
    this.due = estimateDue(request, now);
  }
}

export interface PreciseTimerOptions {
  /** A fixed spin margin, ms (no adaptation). */
  marginMs?: number;
  /** The adaptation rule's bounds and window (ignored when `marginMs` is set). */
  adaptive?: SpinMarginOptions;
  deliveryChunk?: number;
  /**
   * A fixed busy-waited tail: how long before each due time the wait turns from sleeping into a
   * busy wait, ms; Infinity busy-waits the whole margin. Without it the tail adapts.
   */
  spinTailMs?: number;
  /** The tail's adaptation rule (ignored when `spinTailMs` is set): it covers the sleeps' measured overshoot. */
  adaptiveTail?: SpinMarginOptions;
  /** The runtime's clock, timers and sleep (Node's by default; a fake in tests). */
  platform?: TimerPlatform;
  /** Called when a release's effect throws (it is a bug in the caller; the pass goes on). */
  onError?: (error: unknown) => void;
  /**
   * This thread's total time spent runnable but not running, ms (Linux schedstat), when the
   * platform can tell: each release then reports how much of its lateness was the machine's,
   * and the margin follows only the rest (see observeLateness).
   */
  runQueueWaitMs?: () => number;
  /**
   * In a pass with more than one effect, give the CPU away for a moment (YIELD_MS) after the
   * stamps and after every EFFECT_SLICE_MS of effects. For a process releasing many agents at
   * once (simulation): on a machine with more such processes than cores, those woken for the
   * same instant get a CPU for their stamps within a slice, instead of waiting for this one's
   * effects to end (measured in bench:arrival at 1,000 agents, three sims on two cores: in each
   * operation one sim stamped all its releases 2-4.6 ms late, its CPU wait as long).
   */
  shareCpu?: boolean;
}

/**
 * One timer for every hold-mode release of the process. Entries wait in a heap; 50 ms before
 * the earliest deadline, everything due soon moves to a batch sorted by due time (their
 * monotonic due times re-read from their own clocks, so the costly part is done early);
 * a margin before it (adaptive: it follows the measured wake-up lateness and event-loop
 * delay), a wait (asleep, then busy for a tail that follows how far the sleeps overshoot)
 * walks the batch and stamps each entry as it falls due; the entries due together are stamped
 * in one tight run, then their `effect`s run (a send of bytes prepared before T), so the release
 * is observable at T and not only recorded, and no stamp waits for another release's effect. The `onRelease` callbacks (bookkeeping) run only after the pass, in small
 * chunks, so releases that fall together do not delay each other.
 */
export class PreciseTimer {
  private readonly heap = new TimerHeap<Entry>();
  /** Entries taken out of the heap for the next spin. */
  private batch: Entry[] = [];
  /** Earliest due time in the batch (may be stale-early after a cancel, never late). */
  private batchEarliest = Infinity;
  private readonly margin: AdaptiveSpinMargin;
  private readonly tail: AdaptiveSpinMargin;
  private readonly platform: TimerPlatform;
  private readonly loopDelay: LoopDelayMonitor | undefined;
  private readonly chunk: number;
  private readonly onError: (error: unknown) => void;
  private readonly runQueueWait: (() => number) | undefined;
  private readonly shareCpu: boolean;
  /** runQueueWait() when the timer was last armed. */
  private runQueueAtArm = Number.NaN;
  /** The armed timer, undefined when none is. */
  private timer: TimerHandle;
  private armedFor = Infinity;
  /** When the armed timer should fire (never before the instant it was armed). */
  private wakeAt = Infinity;
  private readonly stamped: Entry[] = [];
  /** Releases stamped in the current pass that have an effect; those from dueHead on have not run it yet. */
  private readonly dueNow: Entry[] = [];
  private dueHead = 0;
  private effectQueued = 0;
  private delivering = false;
  private stopped = false;
  private lateMs = 0;

  constructor(options: PreciseTimerOptions = {}) {
    this.margin = options.marginMs === undefined ? new AdaptiveSpinMargin(options.adaptive) : AdaptiveSpinMargin.fixed(options.marginMs);
    this.tail = options.spinTailMs === undefined ? new AdaptiveSpinMargin(options.adaptiveTail ?? DEFAULT_SPIN_TAIL) : AdaptiveSpinMargin.fixed(options.spinTailMs);
    this.platform = options.platform ?? nodeTimerPlatform;
    this.chunk = options.deliveryChunk ?? DEFAULT_DELIVERY_CHUNK;
    this.onError = options.onError ?? (() => undefined);
    this.runQueueWait = options.runQueueWaitMs;
    this.shareCpu = options.shareCpu === true;
    if (options.marginMs === undefined) this.loopDelay = this.platform.loopDelay();
  }

  /** The spin margin in force now, ms. */
  get marginMs(): number {
    return this.margin.marginMs;
  }

  /** The busy-waited tail in force now, ms. */
  get spinTailMs(): number {
    return this.tail.marginMs;
  }

  /**
   * While a release's effect runs: how long it waited behind the effects of releases stamped
   * with it, ms (its info's effectDelayMs); 0 at any other time. One agent per device never
   * waits so; a process releasing many agents at once (simulation) dates each agent's send
   * this much earlier, as it would have come on its own device.
   */
  get effectQueuedMs(): number {
    return this.effectQueued;
  }

  get pending(): number {
    return this.heap.size + this.batch.filter((e) => e.state === 'pending').length;
  }

  /** Worst lateness of a stamp so far (clock reading past the deadline), ms. */
  get worstLateMs(): number {
    return this.lateMs;
  }

  schedule(request: ReleaseRequest): ReleaseHandle {
    const entry = new Entry(request, this.platform.now());
    if (this.stopped) entry.state = 'cancelled';
    else {
      this.heap.push(entry);
      this.arm();
    }
    return {
      cancel: () => {
        if (entry.state !== 'pending') return false;
        entry.state = 'cancelled';
        this.heap.remove(entry);
        this.arm();
        return true;
      },
    };
  }

  /** True when a release is due within `ms` from now: heavy work should wait until after it. */
  imminentWithin(ms: number): boolean {
    const due = this.earliestDue();
    return due - this.platform.now() <= ms + this.marginMs;
  }

  /** Cancels every pending release and returns their requests (for handing work back). */
  stop(): ReleaseRequest[] {
    this.stopped = true;
    this.loopDelay?.stop();
    if (this.timer !== undefined) this.platform.clearTimer(this.timer);
    this.timer = undefined;
    const left = [...this.batch.filter((e) => e.state === 'pending'), ...this.heap.drain()];
    this.batch = [];
    this.batchEarliest = Infinity;
    for (const entry of left) entry.state = 'cancelled';
    return left;
  }

  private earliestDue(): number {
    return Math.min(this.heap.peek()?.due ?? Infinity, this.batchEarliest);
  }

  private arm(): void {
    if (this.stopped) return;
    const now = this.platform.now();
    const batchDue = this.batchEarliest;
    const head = this.heap.peek();
    const heapFire = head === undefined ? Infinity : head.due - PREPARE_MS - Math.max(0, head.due - now) * RATE_GUARD;
    const fireAt = Math.min(batchDue - this.margin.marginMs, heapFire);
    if (fireAt === Infinity) {
      if (this.timer !== undefined) this.platform.clearTimer(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer !== undefined && this.armedFor <= fireAt) return;
    if (this.timer !== undefined) this.platform.clearTimer(this.timer);
    this.armedFor = fireAt;
    this.wakeAt = Math.max(now, fireAt);
    if (this.runQueueWait !== undefined) this.runQueueAtArm = this.runQueueWait();
    this.timer = this.platform.setTimer(() => this.onTimer(), Math.max(0, fireAt - now));
  }

  private onTimer(): void {
    const wakeLateMs = Math.max(0, this.platform.now() - this.wakeAt);
    const starvedMs = this.runQueueWait === undefined ? undefined : this.runQueueWait() - this.runQueueAtArm;
    this.timer = undefined;
    this.armedFor = Infinity;
    this.wakeAt = Infinity;
    this.observeLateness(wakeLateMs, starvedMs);
    this.prepare();
    if (this.batchEarliest - this.platform.now() <= this.margin.marginMs) this.spin(wakeLateMs);
    this.arm();
    this.scheduleDelivery();
  }

  /** Moves entries due within PREPARE_MS into the batch, with due times re-read from their clocks. */
  private prepare(): void {
    const horizon = this.platform.now() + BATCH_WINDOW_MS;
    let added = 0;
    for (let head = this.heap.peek(); head !== undefined && head.due <= horizon; head = this.heap.peek()) {
      const entry = this.heap.pop()!;
      entry.due = estimateDue(entry, this.platform.now());
      this.batch.push(entry);
      added++;
    }
    if (added > 0) this.sortBatch();
  }

  /**
   * Busy-waits through the batch (sorted by due time) and stamps each entry when it falls
   * due: one monotonic read per check, then the entry's own clock is read once, for its stamp.
   * An entry whose own clock has not quite reached its deadline (rates differ by a few ppm)
   * is waited for on that clock, so nothing is ever released early. Each sleep's overshoot
   * (woken later than asked), net of time spent waiting for a CPU where that is known, feeds the
   * tail: a tail shorter than the overshoot makes the stamp late.
   */
  private spin(wakeLateMs: number): void {
    const platform = this.platform;
    const started = platform.now();
    const pass: PassState = { wakeLateMs, marginMs: this.margin.marginMs, spinTailMs: this.tail.marginMs, firstStampAt: Number.NaN, next: 0, slower: false };
    const batch = this.batch;
    // With shareCpu: when the effects ran since the last hand-over (-Infinity: none yet).
    let sliceFrom = Number.NEGATIVE_INFINITY;
    for (;;) {
      const now = platform.now();
      // Stamps come first: everything due at `now` is stamped in one tight run (one clock read
      // each); then one effect, and the clock is read again. No stamp waits for more than one
      // effect, and no effect for anything but stamps.
      if (!pass.slower) this.stampDue(pass, now);
      if (this.shareCpu && this.dueNow.length - this.dueHead > 1 && now - sliceFrom > EFFECT_SLICE_MS) {
        platform.sleep(YIELD_MS);
        sliceFrom = platform.now();
        continue;
      }
      if (this.dueNow.length > this.dueHead) {
        this.runNextEffect();
        continue;
      }
      if (pass.slower || pass.next >= batch.length) break;
      const head = batch[pass.next]!;
      if (head.due - now > pass.marginMs || now - started > MAX_SPIN_MS) break;
      // Asleep until the tail: the CPU is free for other processes meanwhile.
      const sleepMs = head.due - now - pass.spinTailMs;
      if (sleepMs > MIN_SLEEP_MS) {
        const queuedBefore = this.runQueueWait?.();
        platform.sleep(sleepMs);
        const overshootMs = platform.now() - now - sleepMs;
        // As for the margin: time spent waiting for a CPU is the machine's, and a longer spin
        // would only be preempted in turn; the tail covers the rest (the kernel's timer slack).
        this.tail.observe(queuedBefore === undefined ? overshootMs : overshootMs - (this.runQueueWait!() - queuedBefore));
      }
    }
    this.dueNow.length = 0;
    this.dueHead = 0;
    const next = pass.next;
    const runQueueMs = this.runQueueWait === undefined ? undefined : this.runQueueWait() - this.runQueueAtArm;
    for (let i = 0; i < next; i++) {
      const entry = batch[i]!;
      if (entry.state !== 'stamped') continue;
      this.lateMs = Math.max(this.lateMs, entry.stamp - entry.deadlineLocal);
      if (runQueueMs !== undefined && entry.info !== undefined) entry.info.runQueueMs = runQueueMs;
    }
    this.batch = batch.slice(next).filter((e) => e.state === 'pending');
    this.sortBatch();
  }

  /**
   * Stamps the batch's entries due at `now`, in due order, from `pass.next` on. An entry whose
   * own clock has not quite reached its deadline (rates differ by a few ppm) is waited for on
   * that clock for a moment; if it is still short, the pass stops stamping (`pass.slower`).
   */
  private stampDue(pass: PassState, now: number): void {
    const batch = this.batch;
    const platform = this.platform;
    for (; pass.next < batch.length; pass.next++) {
      const entry = batch[pass.next]!;
      if (entry.state !== 'pending') continue;
      if (entry.due > now) return;
      let local = entry.clock.now();
      if (local < entry.deadlineLocal) {
        const since = platform.now();
        while (local < entry.deadlineLocal && platform.now() - since < MAX_CATCH_UP_MS) local = entry.clock.now();
        if (local < entry.deadlineLocal) {
          // Its clock runs slower than estimated: look again next round.
          entry.due = estimateDue(entry, platform.now());
          pass.slower = true;
          return;
        }
      }
      entry.state = 'stamped';
      entry.stamp = local;
      entry.stampedAt = platform.now();
      if (Number.isNaN(pass.firstStampAt)) pass.firstStampAt = entry.stampedAt;
      entry.info = { wakeLateMs: pass.wakeLateMs, marginMs: pass.marginMs, spinTailMs: pass.spinTailMs, inPassMs: entry.stampedAt - pass.firstStampAt, effectDelayMs: 0 };
      this.stamped.push(entry);
      if (entry.effect !== undefined) this.dueNow.push(entry);
    }
  }

  /** The effect of the earliest stamped release whose effect has not run. */
  private runNextEffect(): void {
    const entry = this.dueNow[this.dueHead++]!;
    const queuedMs = this.platform.now() - entry.stampedAt;
    entry.info!.effectDelayMs = queuedMs;
    this.effectQueued = queuedMs;
    try {
      entry.effect!(entry.stamp, entry.info!);
    } catch (error) {
      this.onError(error);
    } finally {
      this.effectQueued = 0;
    }
  }

  /**
   * What feeds the margin. Where the time spent waiting for a CPU is known, a wake's lateness
   * net of it: that part is this thread's event loop being busy, which a longer margin covers;
   * waiting for a CPU is not (a longer busy wait on a starved machine is preempted and lands
   * later: measured in bench:arrival, where a margin that grew with it made LAN releases later).
   * Otherwise, the raw wake lateness and the event loop's delay since the last wake.
   */
  private observeLateness(wakeLateMs: number, starvedMs: number | undefined): void {
    if (starvedMs !== undefined && Number.isFinite(starvedMs)) {
      this.margin.observe(wakeLateMs - starvedMs);
      this.loopDelay?.reset();
      return;
    }
    this.margin.observe(wakeLateMs);
    const loop = this.loopDelay;
    if (loop === undefined) return;
    const p99 = loop.p99Ms();
    if (p99 === undefined) return;
    this.margin.observe(p99);
    loop.reset();
  }

  private sortBatch(): void {
    this.batch.sort((a, b) => a.due - b.due);
    this.batchEarliest = this.batch[0]?.due ?? Infinity;
  }

  private scheduleDelivery(): void {
    if (this.delivering || this.stamped.length === 0) return;
    this.delivering = true;
    this.platform.nextTurn(() => this.deliverChunk());
  }

  private deliverChunk(): void {
    const batch = this.stamped.splice(0, this.chunk);
    for (const entry of batch) {
      if (entry.state !== 'stamped') continue;
      entry.state = 'done';
      entry.onRelease(entry.stamp, entry.info!);
    }
    if (this.stamped.length === 0) {
      this.delivering = false;
      return;
    }
    this.platform.nextTurn(() => this.deliverChunk());
  }
}

/** One release pass's settings and progress through the batch. */
interface PassState {
  readonly wakeLateMs: number;
  readonly marginMs: number;
  readonly spinTailMs: number;
  firstStampAt: number;
  /** Index of the first batch entry not yet looked at. */
  next: number;
  /** An entry's own clock was short of its deadline: stamping stops for this pass. */
  slower: boolean;
}

/** Monotonic instant at which `clock` will read the deadline, assuming equal rates, `now` being the monotonic clock. */
function estimateDue(request: ReleaseRequest, now: number): number {
  return now + (request.deadlineLocal - request.clock.now());
}
