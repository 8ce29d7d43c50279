// The parent's child-lead table on a real SQLite file: written as summaries arrive, read back
// by a restarted parent (a new table on the reopened database) with every child as it was.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../test/harness/index.js';
import { captureLog } from '../test/scatter/support/capture-log.js';
import { summaryAt } from './cascade/cascade.test-helper.js';
import { ChildLeadTable } from './cascade/child-table.js';
import { leadChildStore } from './lead-child-store.js';
import { LeadStore } from './store/index.js';

const T0 = 1_800_000_000_000;
const STALE_MS = 15_000;

const summary = (leadId: string, createdAt: number, maxLeadTimeMs = 300) => summaryAt(leadId, createdAt, { max_lead_time_ms: maxLeadTimeMs });

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-children-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

function restart(): LeadStore {
  store.close();
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
  return store;
}

describe('child-lead table across a parent restart', () => {
  it('knows every child with its summary, hop samples and last round trip, and judges liveness by the time now', () => {
    const log = captureLog();
    const before = new ChildLeadTable(STALE_MS, leadChildStore(store.cascadeChildren, log.logger));
    before.record(summary('a', T0), T0 + 20);
    before.record(summary('a', T0 + 5_000, 400), T0 + 5_012);
    before.record(summary('b', T0 + 5_000, 100), T0 + 5_080);
    before.noteCoordinateRtt('a', 40);
    const now = T0 + 6_000;
    const views = before.all(now);

    const after = new ChildLeadTable(STALE_MS, leadChildStore(restart().cascadeChildren, log.logger));
    expect(after.size).toBe(2);
    expect(after.all(now)).toEqual(views);
    expect(after.get('a', now)).toMatchObject({ summaries: 2, hopSamplesMs: [20, 12], lastCoordinateRttMs: 40, hopMs: 20, liveness: 'live' });
    expect(after.get('a', now)?.summary.max_lead_time_ms).toBe(400);
    // Down longer than the stale limit: still listed, but left out until it reports again.
    expect(after.live(T0 + 5_080 + STALE_MS + 1)).toEqual([]);
    after.record(summary('b', T0 + 30_000), T0 + 30_010);
    expect(after.live(T0 + 30_100).map((c) => c.leadId)).toEqual(['b']);
    expect(after.get('b', T0 + 30_100)?.summaries).toBe(2);
    expect(log.lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('skips a stored child that does not read back as one, with a warning, and keeps the others', () => {
    const log = captureLog();
    const table = new ChildLeadTable(STALE_MS, leadChildStore(store.cascadeChildren, log.logger));
    table.record(summary('good', T0), T0 + 10);
    store.cascadeChildren.save('bad', T0, { leadId: 'bad', summary: { kind: 'SUMMARY' } });
    const after = new ChildLeadTable(STALE_MS, leadChildStore(restart().cascadeChildren, log.logger));
    expect(after.all(T0 + 100).map((c) => c.leadId)).toEqual(['good']);
    expect(log.lines.filter((l) => l.level === 40).map((l) => l.child_lead_id)).toEqual(['bad']);
  });
});
