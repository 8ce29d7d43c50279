import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../../test/harness/index.js';
import { openAgentStores } from '../../outbox/index.js';
import { memoryOutput } from '../output.js';
import { runCli } from '../run-cli.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-dead-letters-');
});
afterEach(() => dir.dispose());

describe('mesh-agent dead-letters', () => {
  it('lists what the lead refused for good, newest first, beside the open database', async () => {
    const stores = openAgentStores({ dataDir: dir.path, outboxMaxEntries: 100, now: () => Date.UTC(2026, 0, 1) });
    const [first, second] = stores.outbox.enqueue([
      { kind: 'ACK', priority: 2, body: '{"operation_id":"op-gone"}', stream: 'ack:op-gone' },
      { kind: 'CONFLICT', priority: 1, body: '{"conflict_id":"c-1"}' },
    ]);
    stores.outbox.deadLetter(first!, { code: 'UNKNOWN_OPERATION', reason: 'no operation op-gone on this lead' });
    stores.outbox.deadLetter(second!, { code: 'INVALID_FIELDS', reason: 'CONFLICT.detail: invalid' });

    const text = memoryOutput();
    expect(await runCli(['dead-letters', '--data-dir', dir.path], text)).toBe(0);
    const lines = text.stdout.map((line) => line.trimEnd());
    expect(lines[0]).toBe('2 dead letters kept (2 ever)');
    expect(lines[1]).toMatch(/^#2 CONFLICT 2026-01-01T00:00:00.000Z INVALID_FIELDS/);
    expect(lines[2]).toMatch(/^#1 ACK .* UNKNOWN_OPERATION: no operation op-gone on this lead \(0 tries\) \{"operation_id":"op-gone"\}$/);

    const json = memoryOutput();
    expect(await runCli(['dead-letters', '--data-dir', dir.path, '--json', '--limit', '1'], json)).toBe(0);
    expect(JSON.parse(json.stdout.join(''))).toMatchObject({ count: 2, total: 2, dead_letters: [{ seq: 2, kind: 'CONFLICT', code: 'INVALID_FIELDS' }] });
    stores.close();
  });

  it('says so when there is no database, and when there are none', async () => {
    const missing = memoryOutput();
    expect(await runCli(['dead-letters', '--data-dir', join(dir.path, 'nowhere')], missing)).toBe(66);
    expect(missing.stderr[0]).toMatch(/cannot read .*nowhere\/agent\.db/);
    openAgentStores({ dataDir: dir.path, outboxMaxEntries: 10 }).close();
    const none = memoryOutput();
    expect(await runCli(['dead-letters', '--data-dir', dir.path], none)).toBe(0);
    expect(none.stdout.map((line) => line.trimEnd())).toEqual(['0 dead letters kept (0 ever)']);
  });
});
