import { z } from 'zod';
import type { LeadStateStore } from '../store/index.js';

export const CONTROL_STATE_KEY = 'control';

/** The stored form (replication validates what it follows with it). */
export const StoredControl = z.object({
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
    this.reload();
  }

  /** Reads the stored state again (a standby taking over, after following the active lead's). */
  reload(): void {
    const saved = this.store?.get(CONTROL_STATE_KEY, StoredControl);
    if (saved === undefined) return;
    this.globalFrozen = saved.global_frozen;
    this.clusters.clear();
    this.sectors.clear();
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
    this.store?.set(CONTROL_STATE_KEY, {
      global_frozen: this.globalFrozen,
      frozen_clusters: [...this.clusters],
      frozen_sectors: [...this.sectors],
      config_epoch: this.epoch,
    });
  }
}
