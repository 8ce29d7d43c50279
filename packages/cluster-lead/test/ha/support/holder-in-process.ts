// The lease holder of lease-holder.ts inside the test process, for tests that fault NATS rather
// than the holder (no process start-up to wait for).
import { connect, type NatsConnection } from 'nats';
import type { LeaseKeeper } from '../../../src/ha/index.js';
import { openHolderKeeper } from './holder-keeper.js';
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
    const keeper = await openHolderKeeper(nc, spec);
    let published = 0;
    const actTimer = setInterval(() => {
      const epoch = keeper.epoch();
      if (epoch === null) return;
      published += 1;
      nc.publish(spec.subject, JSON.stringify({ holder: spec.holder, epoch, seq: published }));
    }, ACT_EVERY_MS);
    const holder = new InProcessHolder(spec, nc, keeper, actTimer);
    keeper.onChange((event) => holder.push({ ...event, holder: spec.holder, published }));
    keeper.onRide((event) => holder.push({ type: 'ride', ride: event.type, holder: spec.holder, published }));
    keeper.onAcknowledged((by) => holder.push({ type: 'acknowledged', epoch: by.epoch, holder: spec.holder, published }));
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
