import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { captureLogger } from '../../test/support/log-capture.js';
import { openAgentStores } from '../outbox/index.js';
import { LEASE_FENCED, checkLeaseEpoch, leaseEpochKey, persistentLeaseFence } from './lease-fence.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-fence-');
});
afterEach(() => dir.dispose());

describe('the agent\'s lease fence across a restart', () => {
  it('keeps the highest epoch in the SQLite state store, so a restarted agent still refuses the fenced lead', () => {
    const { logger } = captureLogger('warn');
    const first = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 });
    const before = persistentLeaseFence(first.state, 'lead-1', logger);
    expect(checkLeaseEpoch(before, 'lead-1', 11)).toBeNull();
    expect(checkLeaseEpoch(before, 'lead-1', 12)).toBeNull();
    expect(checkLeaseEpoch(before, 'lead-1', undefined)).toBeNull();
    first.close();

    // The agent restarts; the paused lead of epoch 11 speaks again.
    const second = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 });
    expect(second.state.get(leaseEpochKey('lead-1'))).toBe(12);
    const after = persistentLeaseFence(second.state, 'lead-1', logger);
    expect(checkLeaseEpoch(after, 'lead-1', 11)).toMatchObject({ code: LEASE_FENCED });
    expect(checkLeaseEpoch(after, 'lead-1', 12)).toBeNull();
    // A newer holder raises the kept bar.
    expect(checkLeaseEpoch(after, 'lead-1', 20)).toBeNull();
    expect(second.state.get(leaseEpochKey('lead-1'))).toBe(20);
    second.close();
  });

  it('ignores a kept value that is not an epoch, with a warning, and starts with no bar', () => {
    const { logger, events } = captureLogger('warn');
    const stores = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 });
    stores.state.set(leaseEpochKey('lead-1'), 'twelve');
    const fence = persistentLeaseFence(stores.state, 'lead-1', logger);
    expect(fence.current('lead-1')).toBeUndefined();
    expect(events('lease_epoch.not_kept')).toHaveLength(1);
    expect(checkLeaseEpoch(fence, 'lead-1', 3)).toBeNull();
    expect(stores.state.get(leaseEpochKey('lead-1'))).toBe(3);
    stores.close();
  });

  it('still fences in memory when the store cannot write, and says so', () => {
    const { logger, events } = captureLogger('warn');
    const failing = { get: () => undefined, set: () => { throw new Error('disk I/O error'); }, delete: () => undefined };
    const fence = persistentLeaseFence(failing, 'lead-1', logger);
    expect(checkLeaseEpoch(fence, 'lead-1', 12)).toBeNull();
    expect(checkLeaseEpoch(fence, 'lead-1', 11)).toMatchObject({ code: LEASE_FENCED });
    expect(events('lease_epoch.not_kept')).toHaveLength(1);
  });
});
