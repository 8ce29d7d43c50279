import { z } from 'zod';
import type { LeadStateStore } from '../store/index.js';

const CONTROL_KEY = 'control';

const StoredControl = z.object({
  global_frozen: z.boolean(),
  frozen_clusters: z.array(z.string()),
  frozen_sectors: z.array(z.string()),
  config_epoch: z.number().int().min(0),
});

/**
 * The control hints every heartbeat reply carries: whether the agent's cluster, sector or the
 * whole mesh is frozen, and the configuration epoch. Durable across restarts. Freeze and thaw
 * themselves (the FREEZE/THAW messages) belong to the control engine; this is their state.
 */
export class ControlState {
  private globalFrozen = false;
  private readonly clusters = new Set<string>();
  private readonly sectors = new Set<string>();
  private epoch = 0;

  constructor(private readonly store: LeadStateStore | undefined) {
    const saved = store?.get(CONTROL_KEY, StoredControl);
    if (saved === undefined) return;
    this.globalFrozen = saved.global_frozen;
    for (const id of saved.frozen_clusters) this.clusters.add(id);
    for (const id of saved.frozen_sectors) this.sectors.add(id);
    this.epoch = saved.config_epoch;
  }

  get configEpoch(): number {
    return this.epoch;
  }

  get frozenAnywhere(): boolean {
    return this.globalFrozen || this.clusters.size > 0 || this.sectors.size > 0;
  }

  isFrozen(clusterId: string, sectorId: string | undefined): boolean {
    return this.globalFrozen || this.clusters.has(clusterId) || (sectorId !== undefined && this.sectors.has(sectorId));
  }

  setFrozen(scope: 'cluster' | 'sector' | 'global', targetId: string | undefined, frozen: boolean): void {
    if (scope === 'global') this.globalFrozen = frozen;
    else if (targetId !== undefined) {
      const set = scope === 'cluster' ? this.clusters : this.sectors;
      if (frozen) set.add(targetId);
      else set.delete(targetId);
    }
    this.save();
  }

  bumpEpoch(): number {
    this.epoch++;
    this.save();
    return this.epoch;
  }

  private save(): void {
    this.store?.set(CONTROL_KEY, {
      global_frozen: this.globalFrozen,
      frozen_clusters: [...this.clusters],
      frozen_sectors: [...this.sectors],
      config_epoch: this.epoch,
    });
  }
}
