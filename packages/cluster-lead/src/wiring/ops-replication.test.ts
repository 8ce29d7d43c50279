import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { quorumShortfall } from '../api/job-json.js';
import { LeadStore } from '../store/index.js';
import { pino } from 'pino';
import { settleLostPlans } from './ops-replication.js';

let dir: TempDir;
let store: LeadStore;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-lost-plans-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

const row = (operationId: string, status: string) => ({ operationId, createdAt: 1, updatedAt: 1, status, verb: 'observe', priority: 1, request: { verb: 'observe' }, result: { result: null, target_time: 5 } });

describe('taking over with the history saying an operation runs', () => {
  it('ends FAILED_OVER (plan_lost) the ones without a run in the journal, and leaves the journaled and the completed ones', () => {
    store.operations.save(row('op-lost', 'running'));
    store.operations.save(row('op-journaled', 'running'));
    store.operations.save(row('op-done', 'completed'));
    store.running.begin('op-journaled', 1, 10, { op: {}, plan: { planned: [] } });
    settleLostPlans(store, pino({ level: 'silent' }), 100);

    const lost = store.operations.get('op-lost')!;
    expect(lost.status).toBe('completed');
    const result = (lost.result as { result: { status: string; interrupted: { failedOver: string } }; target_time: number });
    expect(result.target_time).toBe(5);
    expect(result.result).toMatchObject({ status: 'FAILED_OVER', interrupted: { by: 'failover', failedOver: 'plan_lost' } });
    expect(quorumShortfall(result.result)).toMatchObject({ code: 'FAILED_OVER' });
    expect(store.operations.get('op-journaled')!.status).toBe('running');
    expect(store.operations.get('op-done')!.status).toBe('completed');
  });
});
