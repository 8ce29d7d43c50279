import { ManualClock } from '@mesh30k/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { EventBus } from '../lib/events.js';
import { silentLogger } from '../lib/logger.js';
import { beat, harness, ids } from '../registry/registry.test-helper.js';
import { LeadStore, MIGRATIONS, SnapshotWriter } from './index.js';

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-snapshot-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

describe('SnapshotWriter health', () => {
  it('counts failed passes, says since when they fail, and clears once a pass writes again', async () => {
    const h = harness();
    const fleet = ids('pi', 5);
    beat(h, fleet);
    const clock = new ManualClock(1_800_000_000_000);
    const writer = new SnapshotWriter(
      { store: store.agents, read: (id) => h.registry.persisted(id), clock, events: new EventBus(), logger: silentLogger() },
      { intervalMs: 1_000, batchSize: 2 },
    );
    for (const id of fleet) writer.markDirty(id);
    expect(await writer.flush()).toBe(5);
    expect(writer.health()).toEqual({ failures: 0, failingSince: null, lastError: null });

    // The table the writer needs is gone: every write fails, as on a damaged page.
    store.db.exec('DROP TABLE agents');
    writer.markDirty('pi-01');
    await expect(writer.flush()).rejects.toThrow(/agents/);
    clock.advance(1_000);
    await expect(writer.flush()).rejects.toThrow(/agents/);
    expect(writer.health()).toMatchObject({ failures: 2, failingSince: 1_800_000_000_000, lastError: expect.stringContaining('agents') });
    expect(writer.pending).toBe(1);

    store.db.exec(MIGRATIONS[0]!.slice(0, MIGRATIONS[0]!.indexOf(';') + 1));
    expect(await writer.flush()).toBe(1);
    expect(writer.health()).toEqual({ failures: 2, failingSince: null, lastError: null });
  });

  it('tells of the dirty agents it wrote, never of those only seen (replication mirrors those)', async () => {
    const h = harness();
    const fleet = ids('pi', 6);
    beat(h, fleet);
    const told: string[] = [];
    const writer = new SnapshotWriter(
      { store: store.agents, read: (id) => h.registry.persisted(id), clock: new ManualClock(1_800_000_000_000), events: new EventBus(), logger: silentLogger(), onDirtyWritten: (agents) => told.push(...agents.map((a) => a.agent_id)) },
      { intervalMs: 1_000, batchSize: 2 },
    );
    for (const id of fleet.slice(0, 3)) writer.markSeen(id);
    for (const id of fleet.slice(3)) writer.markDirty(id);
    expect(await writer.flush()).toBe(6);
    expect(told.sort()).toEqual(fleet.slice(3).sort());
  });
});
