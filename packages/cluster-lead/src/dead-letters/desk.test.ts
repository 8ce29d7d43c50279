import { subjects } from '@mesh30k/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { silentLogger } from '../lib/logger.js';
import { LeadStore } from '../store/index.js';
import { DeadLetterDesk, type Replayer } from './desk.js';
import { coordinateReplayer } from './replayers.js';

const DAY = 86_400_000;
let dir: TempDir;
let store: LeadStore;
let now = 10 * DAY;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-dead-');
  store = LeadStore.open(dir.path, { busyTimeoutMs: 1_000 });
  now = 10 * DAY;
});
afterEach(async () => {
  store.close();
  await dir.dispose();
});

const letter = (createdAt: number, kind = 'test.kind') => ({ createdAt, operationId: 'op-1', agentId: 'pi-1', kind, reason: 'no responders', attempts: 1, payload: { n: createdAt } });

function desk(replayers: Record<string, Replayer> = {}): DeadLetterDesk {
  return new DeadLetterDesk({ store: store.deadLetters, logger: silentLogger(), now: () => now, replayers });
}

describe('dead letters: retention, paging, replay and drop', () => {
  it('keeps at most max_rows (oldest deleted on add) and nothing older than max_age', () => {
    store.deadLetters.retain({ maxRows: 3, maxAgeMs: 2 * DAY });
    for (let i = 0; i < 5; i++) store.deadLetters.add(letter(now - (5 - i) * DAY));
    expect(store.deadLetters.list().map((l) => l.createdAt)).toEqual([now - DAY, now - 2 * DAY, now - 3 * DAY]);
    expect(desk().prune()).toBe(1);
    expect(store.deadLetters.count()).toBe(2);
    expect(store.deadLetters.pruned).toBe(3);
  });

  it('pages newest first by id, filtered by kind', () => {
    for (let i = 0; i < 5; i++) store.deadLetters.add(letter(i, i % 2 === 0 ? 'a' : 'b'));
    const first = store.deadLetters.query({ kind: 'a', limit: 2 });
    expect(first.map((l) => l.createdAt)).toEqual([4, 2]);
    expect(store.deadLetters.query({ kind: 'a', limit: 2, beforeId: first.at(-1)!.id }).map((l) => l.createdAt)).toEqual([0]);
  });

  it('deletes a replayed letter, keeps one that failed again with one more attempt, and refuses unknown kinds', async () => {
    const ok = store.deadLetters.add(letter(1, 'good'));
    const bad = store.deadLetters.add(letter(2, 'bad'));
    const odd = store.deadLetters.add(letter(3, 'odd'));
    const d = desk({ good: () => Promise.resolve({ ok: true, detail: 'sent' }), bad: () => Promise.reject(new Error('parent unreachable')) });
    expect(await d.replay(ok, 'op')).toEqual({ ok: true, detail: 'sent' });
    expect(d.get(ok)).toBeUndefined();
    expect(await d.replay(bad, 'op')).toEqual({ ok: false, code: 'FAILED', reason: 'parent unreachable' });
    expect(d.get(bad)).toMatchObject({ attempts: 2, reason: 'parent unreachable' });
    expect(await d.replay(odd, 'op')).toMatchObject({ ok: false, code: 'NOT_REPLAYABLE' });
    expect(await d.replay(999, 'op')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(d.drop(odd, 'op')).toBe(true);
    expect(d.drop(odd, 'op')).toBe(false);
  });

  it('republishes a COORDINATE inside its TTL and calls an expired one stale', async () => {
    const sent: string[] = [];
    const replay = coordinateReplayer({ leadId: 'lead-1', now: () => now, publish: (subject) => sent.push(subject) });
    const frame = (createdAt: number) => ({ signer_id: 'lead-1', signature: 'c2ln', body: JSON.stringify({ kind: 'COORDINATE', created_at: createdAt, ttl_ms: 5_000 }) });
    expect(await replay({ ...letter(now), id: 1, payload: frame(now - 1_000) })).toMatchObject({ ok: true });
    expect(sent).toEqual([subjects.coordinateAgent('pi-1')]);
    expect(await replay({ ...letter(now), id: 2, payload: frame(now - 6_000) })).toMatchObject({ ok: false, code: 'STALE' });
    expect(await replay({ ...letter(now), id: 3, payload: 'garbage' })).toMatchObject({ ok: false, code: 'NOT_REPLAYABLE' });
  });
});
