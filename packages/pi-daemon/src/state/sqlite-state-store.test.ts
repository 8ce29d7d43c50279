import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { openAgentStores } from '../outbox/index.js';
import { SqliteStateStore } from './index.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-state-');
});
afterEach(() => dir.dispose());

describe('SqliteStateStore', () => {
  it('round-trips JSON values across a reopen, beside the outbox in one file', () => {
    const first = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 });
    first.state.set('frozen', true);
    first.state.set('clock', { offset_ms: -12.5, samples: 8 });
    first.state.setMany([
      ['context_hash', 'abc'],
      ['removed', 1],
    ]);
    first.state.delete('removed');
    first.outbox.enqueue([{ kind: 'ACK', priority: 2, body: '{}' }]);
    first.close();
    expect(first.database.db.open).toBe(false);

    const second = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 });
    expect(second.database.path).toBe(join(dir.path, 'agent.db'));
    expect(second.state.get<boolean>('frozen')).toBe(true);
    expect(second.state.get('clock')).toEqual({ offset_ms: -12.5, samples: 8 });
    expect(second.state.get('context_hash')).toBe('abc');
    expect(second.state.get('removed')).toBeUndefined();
    expect(second.state.get('never set')).toBeUndefined();
    expect(second.outbox.stats().depth).toBe(1);
    second.close();
  });

  it('refuses a value JSON cannot hold, and keeps the old one', () => {
    const stores = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 });
    stores.state.set('k', 1);
    expect(() => stores.state.set('k', undefined)).toThrow(TypeError);
    expect(() => stores.state.setMany([['a', 1], ['k', () => 0]])).toThrow(TypeError);
    expect(stores.state.get('k')).toBe(1);
    expect(stores.state.get('a')).toBeUndefined();
    stores.close();
  });

  it('keeps the file open while another store still uses it', () => {
    const stores = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 });
    stores.outbox.close();
    stores.state.set('still', 'works');
    const extra = new SqliteStateStore(stores.database);
    expect(extra.get('still')).toBe('works');
    stores.state.close();
    expect(stores.database.db.open).toBe(true);
    extra.close();
    expect(stores.database.db.open).toBe(false);
  });
});
