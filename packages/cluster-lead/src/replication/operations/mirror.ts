/**
 * The acting lead's side: everything the operations side writes to its SQLite file is also
 * published to JetStream (names.ts). An ACK is answered only once both copies have it (the
 * stream's publish acknowledgement means a quorum of replicas stored it), so an agent drops
 * from its outbox only what a standby can find; so are a sensor reading and a conflict (a
 * CONFLICT report, or the conflict of a CONFLICT ACK). The rest (history, idempotency keys, dead
 * letters) is published as it is written; a failed publish is logged and counted, the local
 * write stands.
 */
import type { JetStreamClient, NatsConnection } from 'nats';
import type { IdempotencyStore, StoredResponse } from '../../api/idempotency-store.js';
import type { JobBoard, JobView } from '../../jobs/index.js';
import type { Logger } from '../../lib/logger.js';
import type { AgentArrival, JournaledRun, RunJournal } from '../../scatter/index.js';
import type { ConflictEntry, ConflictLog, DeadLetter, LeadStore, SensorReadingRow } from '../../store/index.js';
import { encodeEntry, type ConflictEntryJson, type DeadLetterEntry, type JobEntry, type ReplicatedEntry } from './entries.js';
import type { OpsNames } from './names.js';

/** A job entry's largest size with its result; above it the result is left out. */
export const MAX_JOB_ENTRY_BYTES = 256 * 1024;

export interface OpsMirrorDeps {
  readonly names: OpsNames;
  readonly logger: Logger;
  /** False while this lead is a standby, or while its follower writes what another lead published. */
  readonly publishing: () => boolean;
  /** The lease epoch stamped on each entry (null without HA). */
  readonly epoch: () => number | null;
  /** How a resumed run is marked: `failover` when another lead may have written the journal. */
  readonly resumedBy: 'lead_restart' | 'failover';
}

interface BegunRun {
  readonly run: JournaledRun;
  published: Promise<void>;
}

export class OpsMirror {
  private js: JetStreamClient | undefined;
  private ready: Promise<void> = Promise.reject(new Error('not connected to NATS yet'));
  private readonly begun = new Map<string, BegunRun>();
  /** Conflicts whose publish is in flight, by conflict id; and the conflict id of a CONFLICT ACK, by (operation, agent). */
  private readonly conflictsInFlight = new Map<string, Promise<void>>();
  private readonly ackConflicts = new Map<string, string>();
  private conflictLog: ConflictLog | undefined;
  /** Publishes that failed (the local write stands). */
  failures = 0;

  constructor(private readonly deps: OpsMirrorDeps) {
    this.ready.catch(() => undefined);
  }

  /** Uses this connection from now on; `streams` resolves once the streams exist. */
  attach(nc: NatsConnection, streams: Promise<void>, timeoutMs: number): void {
    this.js = nc.jetstream({ timeout: timeoutMs });
    this.ready = streams;
    this.ready.catch(() => undefined);
  }

  /** The scatter engine's journal, each write also published; ACKs answered once both have them. */
  journal(local: RunJournal): RunJournal {
    const { names } = this.deps;
    const publishBegun = (run: JournaledRun) =>
      this.publish(names.runBegun(run.operationId), { type: 'run.begun', epoch: this.deps.epoch(), operationId: run.operationId, startedAt: run.startedAt, deadline: run.deadline, run });
    // ACKs answered STORE_FAILED: the agent sends them again, and then they are stored again.
    const unstored = new Map<string, AgentArrival>();
    const journal: RunJournal = {
      begun: (run) => {
        local.begun(run);
        const entry: BegunRun = { run, published: publishBegun(run) };
        entry.published.catch((error: unknown) => this.failed(error, run.operationId, 'run.begun'));
        this.begun.set(run.operationId, entry);
      },
      acked: async (operationId: string, arrival: AgentArrival) => {
        const begun = this.begun.get(operationId);
        // An ACK needs its run on the stream first: a begin that failed is published again.
        if (begun !== undefined) begun.published = begun.published.catch(() => publishBegun(begun.run));
        const replicated = (begun?.published ?? Promise.resolve()).then(() =>
          this.publish(names.runAcked(operationId, arrival.agentId), { type: 'run.acked', epoch: this.deps.epoch(), operationId, agentId: arrival.agentId, receivedAt: arrival.receivedAt, arrival }),
        );
        // A CONFLICT ACK's conflict (logged just before) is on its stream too before the agent is answered.
        const conflictId = arrival.trinaryState === -1 ? this.ackConflicts.get(ackKey(operationId, arrival.agentId)) : undefined;
        const conflict = conflictId === undefined ? undefined : this.conflictReplicated(conflictId);
        const key = ackKey(operationId, arrival.agentId);
        try {
          await Promise.all([local.acked(operationId, arrival), replicated, conflict]);
          unstored.delete(key);
          if (conflictId !== undefined && this.ackConflicts.get(key) === conflictId) this.ackConflicts.delete(key);
        } catch (error) {
          unstored.set(key, arrival);
          throw error;
        }
      },
      redelivered: (operationId, agentId) => {
        const arrival = unstored.get(ackKey(operationId, agentId));
        return arrival === undefined ? undefined : journal.acked(operationId, arrival);
      },
      ended: (operationId, alongside) => {
        local.ended(operationId, alongside);
        this.begun.delete(operationId);
        for (const key of unstored.keys()) if (key.startsWith(`${operationId}\u0000`)) unstored.delete(key);
        for (const key of this.ackConflicts.keys()) if (key.startsWith(`${operationId}\u0000`)) this.ackConflicts.delete(key);
        this.publish(names.runEnded(operationId), { type: 'run.ended', epoch: this.deps.epoch(), operationId }).catch((error: unknown) => this.failed(error, operationId, 'run.ended'));
      },
      load: () => local.load().map((run) => ({ ...run, resumedBy: this.deps.resumedBy })),
    };
    return journal;
  }

  /** Stored API answers, each also published (so a retry on another lead gets the first answer). */
  idempotency(local: IdempotencyStore): IdempotencyStore {
    return {
      get: (caller, key, now) => local.get(caller, key, now),
      put: (caller: string, key: string, response: StoredResponse) => {
        local.put(caller, key, response);
        this.publish(this.deps.names.idempotency(caller, key), { type: 'idempotency', epoch: this.deps.epoch(), caller, key, response: { ...response, headers: { ...response.headers } } }).catch((error: unknown) =>
          this.failed(error, null, 'idempotency'),
        );
      },
    };
  }

  /**
   * Publishes every change of a job on the API's board (started, running, ended), so a standby
   * shows the same jobs and, taking over, settles those still live. A result too large for one
   * message is left out (the operations history keeps a scatter job's).
   */
  jobs(board: JobBoard): void {
    board.observe((view: JobView) => {
      let entry: JobEntry = { type: 'job', epoch: this.deps.epoch(), job: view };
      if (view.result !== undefined && encodeEntry(entry).byteLength > MAX_JOB_ENTRY_BYTES) {
        entry = { ...entry, job: { ...view, result: { omitted: `over ${MAX_JOB_ENTRY_BYTES} bytes: not replicated` } } };
      }
      return this.publish(this.deps.names.job(view.id), entry).then(
        () => true,
        (error: unknown) => {
          this.failed(error, view.id, 'job');
          return false;
        },
      );
    });
  }

  /** Publishes what the store writes to its history, conflict log and dead letters. */
  observe(store: LeadStore): void {
    const { names } = this.deps;
    store.operations.observe((record) => {
      this.publish(names.history(record.operationId), { type: 'history', epoch: this.deps.epoch(), record }).catch((error: unknown) => this.failed(error, record.operationId, 'history'));
    });
    this.conflictLog = store.conflicts;
    store.conflicts.observe((entry: ConflictEntry) => {
      const published = this.publishConflict(entry);
      this.conflictsInFlight.set(entry.conflictId, published);
      if (entry.operationId !== null) this.ackConflicts.set(ackKey(entry.operationId, entry.agentId), entry.conflictId);
      // A CONFLICT ACK's conflict stays known by (operation, agent) until published: its ACK's redelivery publishes it then.
      const forgetAck = () => {
        if (entry.operationId !== null && this.ackConflicts.get(ackKey(entry.operationId, entry.agentId)) === entry.conflictId) this.ackConflicts.delete(ackKey(entry.operationId, entry.agentId));
      };
      published
        .then(forgetAck, (error: unknown) => this.failed(error, entry.operationId, 'conflict'))
        .finally(() => this.conflictsInFlight.delete(entry.conflictId));
    });
    store.deadLetters.observe((id: number, letter: DeadLetter | null) => {
      const entry: DeadLetterEntry = { type: 'dead_letter', epoch: this.deps.epoch(), id, letter: letter === null ? null : { createdAt: letter.createdAt, operationId: letter.operationId, agentId: letter.agentId, kind: letter.kind, reason: letter.reason, attempts: letter.attempts, payload: letter.payload } };
      this.publish(names.deadLetter(id), entry).catch((error: unknown) => this.failed(error, letter?.operationId ?? null, 'dead_letter'));
    });
  }

  /**
   * Publishes a reading the sensor intake stored (new or a redelivery: the first publish may
   * have failed); resolves once the stream holds it, so the agent is answered only then. The
   * message id lets the server drop a redelivery it already has (within its duplicate window).
   */
  async sensorReading(reading: SensorReadingRow): Promise<void> {
    const msgID = ['sensor', reading.agentId, reading.sensorId, reading.bootId, reading.seq].map(String).join('\u0000');
    try {
      await this.publish(this.deps.names.sensorReading(reading.agentId, reading.sensorId), { type: 'sensor_reading', epoch: this.deps.epoch(), ...reading }, msgID);
    } catch (error) {
      this.failed(error, null, 'sensor_reading');
      throw error;
    }
  }

  /**
   * Resolves once the logged conflict `conflictId` is on the conflicts stream: its first publish
   * when that is in flight and lands, otherwise a publish from the log now (a redelivered report
   * whose first publish failed). The message id lets the server drop a second copy within its
   * duplicate window; a standby logs a conflict id once anyway. Rejects when it cannot be
   * published, so the agent is refused and keeps the conflict.
   */
  async conflictReplicated(conflictId: string): Promise<void> {
    const inFlight = this.conflictsInFlight.get(conflictId);
    if (inFlight !== undefined) {
      try {
        await inFlight;
        return;
      } catch {
        // Counted by the observer's catch; published again below.
      }
    }
    const entry = this.conflictLog?.get(conflictId);
    if (entry === undefined) throw new Error(`conflict ${conflictId} is not in the local log`);
    try {
      await this.publishConflict(entry);
    } catch (error) {
      this.failed(error, entry.operationId, 'conflict');
      throw error;
    }
  }

  private publishConflict(entry: ConflictEntry): Promise<void> {
    const { conflictId, receivedAt, agentId, operationId, conflictType, priority, signerId, signature, body } = entry;
    const json: ConflictEntryJson = { type: 'conflict', epoch: this.deps.epoch(), conflictId, receivedAt, agentId, operationId, conflictType, priority, signerId, signature, body: Buffer.from(body).toString('base64') };
    return this.publish(this.deps.names.conflict, json, `conflict\u0000${conflictId}`);
  }

  private async publish(subject: string, entry: ReplicatedEntry, msgID?: string): Promise<void> {
    if (!this.deps.publishing()) return;
    await this.ready;
    const js = this.js;
    if (js === undefined) throw new Error('not connected to NATS yet');
    await js.publish(subject, encodeEntry(entry), msgID === undefined ? undefined : { msgID });
  }

  private failed(error: unknown, operationId: string | null, what: string): void {
    this.failures += 1;
    this.deps.logger.error({ err: error, operation_id: operationId, entry: what }, 'could not replicate to JetStream; the local copy stands');
  }
}

function ackKey(operationId: string, agentId: string): string {
  return `${operationId}\u0000${agentId}`;
}
