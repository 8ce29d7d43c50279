/**
 * The operations side of the JetStream store (config `store.backend: jetstream`;
 * src/replication/operations). On each NATS connection the streams are made sure of; a standby
 * follows them into its SQLite file; the acting lead mirrors its writes into them. Taking the
 * lease, a lead first reads what is left to read, ends as FAILED_OVER the operations whose
 * run is not in the journal (plan lost), and only then starts its scatter engine, which
 * resumes the runs in flight from its file.
 */
import type { JetStreamManager, NatsConnection } from 'nats';
import { SqliteIdempotencyStore, type IdempotencyStore } from '../api/idempotency-store.js';
import { historyEnd } from '../api/job-json.js';
import type { OperationView } from '../control/index.js';
import type { JobBoard, JobKind } from '../jobs/index.js';
import type { LeadConfig } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import { IDEMPOTENCY_TTL_MS } from '../api/idempotency-store.js';
import { OpsFollower, OpsMirror, ensureOpsStreams, opsNames, type OpsLimits } from '../replication/operations/index.js';
import type { LeadStore } from '../store/index.js';
import type { LeadHa } from './ha.js';

/** How long a lead taking over waits to read the streams to their end before it goes on regardless. */
const CATCH_UP_MS = 5_000;
/** One JetStream request's patience. */
const REQUEST_TIMEOUT_MS = 2_000;

export interface OpsReplication {
  readonly mirror: OpsMirror;
  readonly follower: OpsFollower;
  /** The API's idempotency store: SQLite, mirrored. */
  readonly idempotency: IdempotencyStore;
  /** For link.onConnected: streams, then following while a standby. */
  connected(nc: NatsConnection): void;
  /** Read to the end, stop following, settle lost plans and the followed jobs still live; then the engine may start. */
  takeOver(operations: { get(operationId: string): OperationView | undefined }): Promise<void>;
}

export interface OpsReplicationDeps {
  readonly config: LeadConfig;
  readonly logger: Logger;
  readonly store: LeadStore;
  readonly ha: LeadHa;
  readonly now: () => number;
  /** The API's job board: its changes are published; a standby shows the followed jobs there. */
  readonly jobs: JobBoard;
}

export function buildOpsReplication({ config, logger, store, ha, now, jobs }: OpsReplicationDeps): OpsReplication | undefined {
  if (config.store.backend !== 'jetstream') return undefined;
  const log = logger.child({ domain: 'replication' });
  const names = opsNames(config.store.jetstream.prefix, config.cluster_id);
  const limits: OpsLimits = {
    replicas: config.store.jetstream.replicas,
    opsMaxAgeMs: IDEMPOTENCY_TTL_MS,
    conflictsMaxAgeMs: config.conflicts.retention.max_age_ms,
    conflictsMaxMsgs: config.conflicts.retention.max_rows,
    deadLettersMaxAgeMs: config.dead_letters.max_age_ms,
    deadLettersMaxMsgs: config.dead_letters.max_rows,
    sensorsPerSubject: config.sensors.history_per_sensor,
  };
  const local = new SqliteIdempotencyStore(store.db);
  const follower = new OpsFollower({ store, idempotency: local, names, logger: log, jobs });
  const mirror = new OpsMirror({
    names,
    logger: log,
    publishing: () => ha.role() !== 'standby' && !follower.applying,
    epoch: () => ha.epoch(),
    resumedBy: config.ha.enabled ? 'failover' : 'lead_restart',
  });
  mirror.observe(store);
  mirror.jobs(jobs);
  let jsm: Promise<JetStreamManager> | undefined;
  let nc: NatsConnection | undefined;

  return {
    mirror,
    follower,
    idempotency: mirror.idempotency(local),
    connected(connection) {
      nc = connection;
      jsm = connection.jetstreamManager({ timeout: REQUEST_TIMEOUT_MS });
      const streams = jsm.then((manager) => ensureOpsStreams(manager, names, limits));
      streams.catch((error: unknown) => log.error({ err: error }, 'could not create the replicated operations streams'));
      mirror.attach(connection, streams, REQUEST_TIMEOUT_MS);
      if (ha.role() === 'standby') follower.start(connection, streams).catch((error: unknown) => log.error({ err: error }, 'could not follow the replicated operations'));
    },
    async takeOver(operations) {
      try {
        if (jsm !== undefined && nc !== undefined) {
          const caught = await follower.caughtUp(await jsm, CATCH_UP_MS);
          log.info({ caught_up: caught, applied: follower.applied, rejected: follower.rejected }, 'read the replicated operations before taking over');
        }
      } catch (error) {
        log.error({ err: error }, 'could not read the replicated operations to their end; taking over with what was read');
      }
      await follower.stop();
      // One lead on its own file keeps the restart rules (a lost plan's row stays as it was).
      if (config.ha.enabled) {
        settleLostPlans(store, log, now());
        log.info(settleFollowedJobs(jobs, operations, log, now()), 'jobs followed from the previous lead settled');
      }
    },
  };
}

/**
 * An operation the history says is running whose run the journal does not hold: its plan was
 * lost with its lead (never replicated, or written by a lead that died before the journal
 * entry landed). It cannot be resumed, so it ends FAILED_OVER; it reached nobody as far as
 * this lead can tell, so it is never a success.
 */
export function settleLostPlans(store: LeadStore, log: Logger, now: number): void {
  const journaled = new Set(store.running.load().map((run) => run.operationId));
  for (const operationId of store.operations.runningIds()) {
    if (journaled.has(operationId)) continue;
    const record = store.operations.get(operationId);
    if (record === undefined) continue;
    const result = {
      operationId,
      status: 'FAILED_OVER',
      decision: null,
      counts: { selected: 0, sent: 0, skipped: 0, ready: 0, transit: 0, conflicts: 0, refused: 0, unrunnable: 0, stragglers: 0 },
      responders: [],
      conflicts: [],
      stragglers: [],
      interrupted: { by: 'failover', resumedAt: now, originalDeadline: null, failedOver: 'plan_lost' },
    };
    store.operations.save({ ...record, updatedAt: now, status: 'completed', result: { ...(record.result as object | null), result } });
    log.warn({ event: 'operation.failed_over', operation_id: operationId, reason: 'plan_lost' }, 'operation ended FAILED_OVER: its plan was lost with its lead');
  }
}

/** Jobs whose work is a scatter operation: the engine resumes it from the run journal, and its end is in the history. */
const RESUMED_KINDS: ReadonlySet<JobKind> = new Set(['scatter_gather', 'broadcast', 'ask']);

/**
 * The jobs a lead taking over restored from the stream that had not ended. A scatter job
 * (scatter_gather, broadcast, ask) follows its operation, which the engine resumes or has
 * ended FAILED_OVER: it ends as the operation does (an ask without its grouped answers, which
 * lived in the old lead's memory). An operation this lead does not know at all (its history
 * never replicated) and every other kind (delegation, cascade: their loop and waiters were in
 * the old lead's memory, and resuming them could run a task twice) end FAILED_OVER at once,
 * visible in GET /v1/operations. Call once the follower stopped, before the engine starts.
 */
export function settleFollowedJobs(board: JobBoard, operations: { get(operationId: string): OperationView | undefined }, log: Logger, now: number): { followed: number; failedOver: number } {
  let followed = 0;
  let failedOver = 0;
  for (const view of board.live()) {
    if (RESUMED_KINDS.has(view.kind) && operations.get(view.id) !== undefined) {
      board.adopt(view.id, {
        poll: () => {
          const operation = operations.get(view.id);
          return operation === undefined ? undefined : historyEnd(operation);
        },
        started: () => operations.get(view.id)?.state !== 'queued',
      });
      followed += 1;
      continue;
    }
    const reason = RESUMED_KINDS.has(view.kind) ? 'plan_lost' : 'not_resumable';
    board.adopt(view.id, {
      done: {
        ok: false,
        code: 'FAILED_OVER',
        message: reason === 'plan_lost' ? 'its lead died while it ran and the lead that took over has no record of its operation' : `its lead died while the ${view.kind} ran; the lead that took over does not resume a ${view.kind}`,
        result: { interrupted: { by: 'failover', resumed_at: now, failed_over: reason } },
      },
    });
    failedOver += 1;
    log.warn({ event: 'job.failed_over', operation_id: view.id, kind: view.kind, reason }, `job ended FAILED_OVER: its lead died while it ran`);
  }
  return { followed, failedOver };
}
