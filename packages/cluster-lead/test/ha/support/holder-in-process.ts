// The lease holder of lease-holder.ts inside the test process, for tests that fault NATS rather
// than the holder (no process start-up to wait for).
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from 'nats';
import { silentLogger } from '../../../src/lib/logger.js';
import { LeaseKeeper, openKvLeaseStore } from '../../../src/ha/index.js';
import { HolderLog, type HolderSpec } from './holder-process.js';

const ACT_EVERY_MS = 20;

export class InProcessHolder extends HolderLog {
  private stopped = false;

  private constructor(
    spec: HolderSpec,
    private readonly nc: NatsConnection,
    private readonly keeper: LeaseKeeper,
    private readonly actTimer: NodeJS.Timeout,
  ) {
    super(spec);
  }

  static async start(spec: HolderSpec): Promise<InProcessHolder> {
    const nc = await connect({ servers: [...spec.servers], reconnectTimeWait: 50, maxReconnectAttempts: -1, pingInterval: 1_000 });
    const store = await openKvLeaseStore(nc, { bucket: spec.bucket, key: spec.key, ttlMs: spec.ttlMs, replicas: spec.replicas });
    const keeper = new LeaseKeeper({ store, now: () => performance.now(), logger: silentLogger() }, { holder: spec.holder });
    let published = 0;
    const actTimer = setInterval(() => {
      const epoch = keeper.epoch();
      if (epoch === null) return;
      published += 1;
      nc.publish(spec.subject, JSON.stringify({ holder: spec.holder, epoch, seq: published }));
    }, ACT_EVERY_MS);
    const holder = new InProcessHolder(spec, nc, keeper, actTimer);
    keeper.onChange((event) => holder.push({ ...event, holder: spec.holder, published }));
    holder.push({ type: 'started', holder: spec.holder, published: 0 });
    keeper.start();
    return holder;
  }

  protected gone(): string | undefined {
    return this.stopped ? 'stopped' : undefined;
  }

  async kill(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.actTimer);
    await this.keeper.stop({ release: false });
    await this.nc.close();
    this.wake();
  }
}
