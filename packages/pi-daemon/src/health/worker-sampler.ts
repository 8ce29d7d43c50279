/**
 * System health sampled in a worker thread on a slow cadence, so the main event loop (whose
 * timers release hold-mode agents) never waits for a sensor. `latest()` returns the last
 * finished sample at once.
 *
 * Deadlines are enforced here, not in the worker: a read that blocks the worker (a stuck
 * sysfs file, a synchronous command inside systeminformation) stops its own timers too. A
 * round ends when the worker says it is done, or when it has been silent for longer than a
 * metric may take; metrics that had not arrived are null. A worker that stays busy for
 * several ticks is replaced.
 */
import { Worker } from 'node:worker_threads';
import type { SystemHealth } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import type { HealthSampler } from '../ports.js';
import {
  CpuLoadTracker,
  DEFAULT_HEALTH_COMMANDS,
  DEFAULT_HEALTH_PATHS,
  EMPTY_HEALTH,
  METRIC_NAMES,
  RawReadings,
  WorkerMessage,
  healthFromReadings,
} from './worker-protocol.js';
import type { HealthCommands, HealthPaths, MetricName, Readings, WorkerConfig } from './worker-protocol.js';

export interface WorkerHealthSamplerOptions {
  /** Time between rounds (config health.interval_ms). */
  intervalMs: number;
  /** Longest one metric may take (config health.metric_timeout_ms). */
  metricTimeoutMs: number;
  paths?: Partial<HealthPaths>;
  commands?: Partial<HealthCommands>;
  /** Use systeminformation where a direct read fails. On by default. */
  useSysteminformation?: boolean;
  /** Ticks the worker may stay busy before it is replaced. */
  maxBusyTicks?: number;
  logger?: Logger;
}

/** Slack for message passing between the worker and this thread. */
const DEADLINE_GRACE_MS = 250;
const DEFAULT_MAX_BUSY_TICKS = 3;
/** Extra time a new worker gets for its first reading: starting a thread and loading modules. */
const WORKER_STARTUP_MS = 3_000;
/** How long stop() waits for the worker to end; a thread stuck in a system call cannot be ended. */
const STOP_TIMEOUT_MS = 2_000;
const WORKER_URL = new URL('./sampler-worker.js', import.meta.url);

interface Round {
  id: number;
  readings: Readings;
  failures: Partial<Record<MetricName, string>>;
  timer: NodeJS.Timeout;
  waiters: ((health: SystemHealth) => void)[];
}

export class WorkerHealthSampler implements HealthSampler {
  private readonly options: WorkerHealthSamplerOptions;
  private readonly workerConfig: WorkerConfig;
  private readonly cpu = new CpuLoadTracker();
  private current: SystemHealth = EMPTY_HEALTH;
  private worker: Worker | null = null;
  /** Whether the current worker has posted anything yet (it is past its start-up). */
  private workerStarted = false;
  /** The round the worker is on, from request until `done` (even after its deadline). */
  private busyRound: number | null = null;
  /** The round still collecting readings; null once it has been turned into a sample. */
  private round: Round | null = null;
  private nextRoundId = 1;
  private busyTicks = 0;
  private interval: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(options: WorkerHealthSamplerOptions) {
    this.options = options;
    this.workerConfig = {
      paths: { ...DEFAULT_HEALTH_PATHS, ...options.paths },
      commands: { ...DEFAULT_HEALTH_COMMANDS, ...options.commands },
      metricTimeoutMs: options.metricTimeoutMs,
      useSysteminformation: options.useSysteminformation ?? true,
    };
  }

  latest(): SystemHealth {
    return this.current;
  }

  /** Starts the worker and the cadence; the first round begins at once. */
  start(): void {
    if (this.interval !== null) return;
    this.interval = setInterval(() => void this.sampleNow(), this.options.intervalMs);
    this.interval.unref();
    void this.sampleNow();
  }

  /**
   * Runs a round now (or joins the one collecting) and resolves with its sample. While the
   * worker is still stuck in an earlier round it resolves with latest() at once.
   */
  sampleNow(): Promise<SystemHealth> {
    if (this.round !== null) return this.join(this.round);
    if (this.busyRound !== null) {
      this.busyTicks += 1;
      if (this.busyTicks < (this.options.maxBusyTicks ?? DEFAULT_MAX_BUSY_TICKS)) return Promise.resolve(this.current);
      this.replaceWorker(`busy for ${this.busyTicks} ticks`);
    }
    const worker = this.worker ?? this.spawn();
    if (worker === null) return Promise.resolve(this.current);
    const timer = this.deadline(this.workerStarted ? 0 : WORKER_STARTUP_MS);
    const round: Round = { id: this.nextRoundId++, readings: {}, failures: {}, timer, waiters: [] };
    this.round = round;
    this.busyRound = round.id;
    worker.postMessage({ type: 'sample', round: round.id });
    return this.join(round);
  }

  /** True while the worker is working on a round (also one whose deadline has passed). */
  get busy(): boolean {
    return this.busyRound !== null;
  }

  /** Resolves when the worker has finished whatever round it is on. */
  whenIdle(): Promise<void> {
    if (this.busyRound === null) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    if (this.interval !== null) clearInterval(this.interval);
    this.interval = null;
    if (this.round !== null) this.finish(this.round);
    const worker = this.worker;
    this.worker = null;
    this.markIdle();
    if (worker !== null) await terminate(worker);
  }

  private join(round: Round): Promise<SystemHealth> {
    return new Promise((resolve) => round.waiters.push(resolve));
  }

  private deadline(extraMs = 0): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.round !== null) this.finish(this.round);
    }, this.options.metricTimeoutMs + DEADLINE_GRACE_MS + extraMs);
    timer.unref();
    return timer;
  }

  /** A new worker, or null (logged) when the thread cannot even be created; the next tick retries. */
  private spawn(): Worker | null {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_URL, { workerData: this.workerConfig, execArgv: [], stdout: false, stderr: false });
    } catch (error) {
      this.options.logger?.error({ event: LogEvent.HEALTH_WORKER_FAILED, err: error }, 'cannot start the health worker');
      return null;
    }
    worker.unref();
    worker.on('message', (message: unknown) => this.onMessage(worker, message));
    worker.on('error', (error) => this.onWorkerGone(worker, error));
    worker.on('exit', (code) => this.onWorkerGone(worker, new Error(`health worker exited with code ${code}`)));
    this.cpu.resetLibrary();
    this.worker = worker;
    this.workerStarted = false;
    return worker;
  }

  private replaceWorker(reason: string): void {
    const old = this.worker;
    this.worker = null;
    this.markIdle();
    this.options.logger?.warn({ event: LogEvent.HEALTH_WORKER_RESTARTED, reason }, 'replacing the health worker');
    if (old !== null) void terminate(old);
  }

  private onWorkerGone(worker: Worker, error: Error): void {
    if (worker !== this.worker) return;
    this.options.logger?.error({ event: LogEvent.HEALTH_WORKER_FAILED, err: error }, 'health worker failed; a new one starts at the next tick');
    this.worker = null;
    if (this.round !== null) this.finish(this.round);
    this.markIdle();
  }

  private onMessage(worker: Worker, data: unknown): void {
    if (worker !== this.worker) return;
    this.workerStarted = true;
    const parsed = WorkerMessage.safeParse(data);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'done') {
      if (message.round === this.round?.id) this.finish(this.round);
      if (message.round === this.busyRound) this.markIdle();
      return;
    }
    const round = this.round;
    if (round === null || message.round !== round.id) return; // late: its round has been closed
    const raw = RawReadings.shape[message.name].safeParse(message.raw);
    if (raw.success) (round.readings as Record<string, unknown>)[message.name] = raw.data;
    else round.failures[message.name] = message.error ?? 'unexpected reading';
    // Each reading restarts the silence deadline: only a stalled worker runs it out.
    clearTimeout(round.timer);
    round.timer = this.deadline();
  }

  private finish(round: Round): void {
    clearTimeout(round.timer);
    if (this.round === round) this.round = null;
    this.current = Object.freeze(healthFromReadings(round.readings, this.cpu));
    const missing = METRIC_NAMES.filter((name) => !(name in round.readings));
    if (missing.length > 0) {
      this.options.logger?.warn(
        { event: LogEvent.HEALTH_METRIC_TIMEOUT, round: round.id, missing, failures: round.failures },
        `health metrics unavailable: ${missing.join(', ')}`,
      );
    }
    for (const resolve of round.waiters) resolve(this.current);
  }

  private markIdle(): void {
    this.busyRound = null;
    this.busyTicks = 0;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

async function terminate(worker: Worker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, STOP_TIMEOUT_MS);
    timer.unref();
  });
  await Promise.race([worker.terminate().then(() => undefined), timeout]);
  clearTimeout(timer);
}
