/**
 * A standby's side: reads the four operations streams from their start, in order, and writes
 * each entry into its own SQLite file (runs in flight and their ACKs, history, idempotency
 * keys, conflicts, dead letters, sensor readings), so that when it takes the lease its engine resumes from its
 * file as after a restart, and its API answers what the previous lead answered. An entry that
 * does not parse, or that a fenced lead wrote after its successor (a lower lease epoch than one
 * already applied), is skipped and counted.
 */
import { EpochFence } from '@mesh30k/shared';
import type { z } from 'zod';
import type { ConsumerMessages, JetStreamManager, JsMsg, NatsConnection } from 'nats';
import type { IdempotencyStore } from '../../api/idempotency-store.js';
import type { JobView } from '../../jobs/index.js';
import type { Logger } from '../../lib/logger.js';
import type { LeadStore } from '../../store/index.js';
import { ConflictEntryJson, DeadLetterEntry, OpsEntry, SensorReadingEntry, decodeEntry, type ReplicatedEntry } from './entries.js';
import type { OpsNames } from './names.js';

export interface OpsFollowerDeps {
  readonly store: LeadStore;
  /** The API's idempotency table (its SQLite store, not the mirror). */
  readonly idempotency: IdempotencyStore;
  readonly names: OpsNames;
  readonly logger: Logger;
  /** The API's job board: followed jobs are shown there (in memory; the stream is their authority). */
  readonly jobs?: { restore(view: JobView): void } | undefined;
}

interface Position {
  /** Stream sequence of the last entry read. */
  seq: number;
  /** Entries the server still had after it, when it was delivered. */
  pending: number;
}

export class OpsFollower {
  /** True while an entry is written, so the mirror does not publish it back. */
  applying = false;
  /** Entries skipped: unparseable, or from a fenced lead. */
  rejected = 0;
  applied = 0;
  /** The highest lease epoch stamped on an entry applied so far (0 when none). */
  highestEpoch = 0;
  private readonly fence = new EpochFence();
  private readonly positions = new Map<string, Position>();
  private readonly readers: ConsumerMessages[] = [];
  private stopped = false;
  private started = false;

  constructor(private readonly deps: OpsFollowerDeps) {}

  /**
   * Starts reading once the streams exist. The local runs in flight are dropped first: the
   * stream is their authority, and replaying it brings back those still running.
   */
  async start(nc: NatsConnection, streams: Promise<void>): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    await streams;
    if (this.stopped) return;
    const { store, names } = this.deps;
    for (const run of store.running.load()) store.running.end(run.operationId);
    const js = nc.jetstream();
    for (const stream of followedStreams(names)) {
      const consumer = await js.consumers.get(stream);
      const messages = await consumer.consume();
      if (this.stopped) {
        await messages.close();
        return;
      }
      this.readers.push(messages);
      void this.read(stream, messages);
    }
    this.deps.logger.info({ streams: this.readers.length }, 'following the replicated operations');
  }

  /**
   * Resolves true once every stream was read up to what the server held when asked (called
   * when this lead takes the lease: the previous holder writes no more); false on timeout.
   */
  async caughtUp(jsm: JetStreamManager, timeoutMs: number): Promise<boolean> {
    const { names } = this.deps;
    const until = Date.now() + timeoutMs;
    const targets = await Promise.all(
      followedStreams(names).map(async (stream) => {
        const info = await jsm.streams.info(stream);
        return { stream, messages: info.state.messages, lastSeq: info.state.last_seq };
      }),
    );
    for (;;) {
      const behind = targets.filter(({ stream, messages, lastSeq }) => {
        if (messages === 0) return false;
        const at = this.positions.get(stream);
        return at === undefined || (at.seq < lastSeq && at.pending > 0);
      });
      if (behind.length === 0) return true;
      if (Date.now() > until) {
        this.deps.logger.error({ behind: behind.map((b) => b.stream) }, 'replicated operations not all read before taking over');
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.readers.splice(0).map((r) => r.close()));
  }

  private async read(stream: string, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        if (this.stopped) break;
        this.apply(stream, m);
        this.positions.set(stream, { seq: m.seq, pending: m.info.pending });
      }
    } catch (error) {
      if (!this.stopped) this.deps.logger.error({ err: error, stream }, 'stopped following a replicated stream');
    }
  }

  private apply(stream: string, m: JsMsg): void {
    const { names } = this.deps;
    const schema = stream === names.opsStream ? OpsEntry : stream === names.conflictsStream ? ConflictEntryJson : stream === names.sensorsStream ? SensorReadingEntry : DeadLetterEntry;
    const decoded = decodeEntry<z.ZodType<ReplicatedEntry>>(schema, m.data);
    if (!decoded.ok) return this.reject(stream, m, decoded.problem);
    const entry = decoded.value;
    if (entry.epoch !== null) {
      const verdict = this.fence.check(stream, entry.epoch);
      if (!verdict.admitted) return this.reject(stream, m, `epoch ${entry.epoch} below ${verdict.current}: written by a fenced lead`);
      this.highestEpoch = Math.max(this.highestEpoch, entry.epoch);
    }
    this.applying = true;
    try {
      this.write(entry);
      this.applied += 1;
    } catch (error) {
      this.reject(stream, m, `could not be stored: ${String(error)}`);
    } finally {
      this.applying = false;
    }
  }

  private write(entry: ReplicatedEntry): void {
    const { store, idempotency } = this.deps;
    switch (entry.type) {
      case 'run.begun':
        store.running.begin(entry.operationId, entry.startedAt, entry.deadline, entry.run);
        return;
      case 'run.acked':
        store.running.addAcks([{ operationId: entry.operationId, agentId: entry.agentId, receivedAt: entry.receivedAt, arrival: entry.arrival }]);
        return;
      case 'run.ended':
        store.running.end(entry.operationId);
        return;
      case 'history':
        store.operations.save(entry.record);
        return;
      case 'idempotency':
        idempotency.put(entry.caller, entry.key, entry.response);
        return;
      case 'job': {
        const { result, error, ...view } = entry.job;
        this.deps.jobs?.restore({ ...view, ...(result === undefined ? {} : { result }), ...(error === undefined ? {} : { error }) });
        return;
      }
      case 'conflict': {
        const { type: _type, epoch: _epoch, body, ...rest } = entry;
        store.conflicts.append({ ...rest, body: new Uint8Array(Buffer.from(body, 'base64')) });
        return;
      }
      case 'dead_letter':
        if (entry.letter === null) store.deadLetters.delete(entry.id);
        else store.deadLetters.restore({ id: entry.id, ...entry.letter });
        return;
      case 'sensor_reading': {
        // Kept once per (agent, sensor, boot, seq): a redelivered reading changes nothing.
        const { type: _type, epoch: _epoch, ...reading } = entry;
        store.sensors.record(reading);
        return;
      }
    }
  }

  private reject(stream: string, m: JsMsg, problem: string): void {
    this.rejected += 1;
    this.deps.logger.warn({ stream, seq: m.seq, subject: m.subject, problem }, 'replicated entry skipped');
  }
}

function followedStreams(names: OpsNames): string[] {
  return [names.opsStream, names.conflictsStream, names.deadLettersStream, names.sensorsStream];
}
