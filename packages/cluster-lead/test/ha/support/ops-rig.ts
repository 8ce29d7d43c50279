/**
 * Test-only: the operations mirror and follower in one process against a real nats-server with
 * JetStream, lead A's and standby B's stores each in its own SQLite file, and B's job board
 * (what B's API lists). `epoch` is what A stamps on what it publishes; a test sets it to play a
 * fenced or a newer lead.
 */
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { makeTempDir, startNats, type NatsServer, type TempDir } from '../../../../../test/harness/index.js';
import { SqliteIdempotencyStore } from '../../../src/api/idempotency-store.js';
import { JobBoard } from '../../../src/jobs/index.js';
import { OpsFollower, OpsMirror, ensureOpsStreams, opsNames } from '../../../src/replication/operations/index.js';
import { LeadStore } from '../../../src/store/index.js';
import { captureLog } from '../../scatter/support/capture-log.js';

export const OPS_LIMITS = { replicas: 1, opsMaxAgeMs: 3_600_000, conflictsMaxAgeMs: 3_600_000, conflictsMaxMsgs: 100, deadLettersMaxAgeMs: 3_600_000, deadLettersMaxMsgs: 100 };

export interface OpsRig {
  readonly names: ReturnType<typeof opsNames>;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly a: LeadStore;
  readonly b: LeadStore;
  readonly bJobs: JobBoard;
  readonly mirror: OpsMirror;
  readonly follower: OpsFollower;
  readonly log: ReturnType<typeof captureLog>;
  epoch: number;
  close(): Promise<void>;
}

export async function startOpsRig(clusterId: string, epoch: number, sensorsPerSubject: number): Promise<OpsRig> {
  const nats: NatsServer = await startNats({ jetstream: true });
  const dir: TempDir = await makeTempDir('mesh30k-ops-rig-');
  const names = opsNames('unit', clusterId);
  const log = captureLog();
  const a = LeadStore.open(`${dir.path}/a`, { busyTimeoutMs: 1_000 });
  const b = LeadStore.open(`${dir.path}/b`, { busyTimeoutMs: 1_000 });
  const nc = await connect({ servers: nats.url });
  const jsm = await nc.jetstreamManager();
  const streams = ensureOpsStreams(jsm, names, { ...OPS_LIMITS, sensorsPerSubject });
  const bJobs = new JobBoard(() => Date.now());
  const rig: OpsRig = {
    names,
    nc,
    jsm,
    a,
    b,
    bJobs,
    log,
    epoch,
    mirror: new OpsMirror({ names, logger: log.logger, publishing: () => true, epoch: () => rig.epoch, resumedBy: 'failover' }),
    follower: new OpsFollower({ store: b, idempotency: new SqliteIdempotencyStore(b.db), names, logger: log.logger, jobs: bJobs }),
    close: async () => {
      await rig.follower.stop();
      await nc.close();
      a.close();
      b.close();
      await nats.dispose();
      await dir.dispose();
    },
  };
  rig.mirror.attach(nc, streams, 2_000);
  await rig.follower.start(nc, streams);
  return rig;
}
