import { ManualClock, toBase64Url } from '@mesh30k/shared';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EdgeClock } from './edge-clock.js';
import { EdgeDirectory, SqliteEdgeAgents } from './edge-directory.js';

describe('EdgeClock: the Worker wants mesh - Worker clock', () => {
  it('negates computeOffset and extrapolates to T with the drift line on lead time', () => {
    const lead = new ManualClock(1_000_000);
    const clock = new EdgeClock(lead);
    // The Worker reads lead - 7000 ms, and its clock runs 100 ppm fast against the lead.
    const worker = (leadMs: number) => leadMs - 7_000 + 100e-6 * (leadMs - 1_000_000);
    // Enough exchanges for a measured drift: the estimator fits it once it has 8 points, one per 8 exchanges.
    const EXCHANGES = 70;
    for (let i = 0; i < EXCHANGES; i++) {
      const t1 = 1_000_000 + i * 5_000;
      const t4 = t1 + 40;
      expect(clock.addExchange({ t1, t2: worker(t1 + 20), t3: worker(t1 + 20), t4 }).ok).toBe(true);
    }
    const at = 1_000_000 + EXCHANGES * 5_000;
    expect(clock.offsetAt(at)!.clockOffsetMs).toBeCloseTo(at - worker(at), 1);
    // A second later: the offset has moved by the drift.
    expect(clock.offsetAt(at + 1_000)!.clockOffsetMs).toBeCloseTo(at + 1_000 - worker(at + 1_000), 1);
    const report = clock.report(at)!;
    expect(report.clock.offset_ms).toBeCloseTo(7_000 - 100e-6 * (at - 1_000_000), 1);
    expect(report.atLocalMs).toBeCloseTo(worker(at), 1);
    expect(report.clock.drift_ppm).toBeCloseTo(100, 0);
  });

  it('bootstraps from /v1/health and keeps the tightest reading until an exchange exists', () => {
    const clock = new EdgeClock(new ManualClock(0));
    expect(clock.offsetAt(0)).toBeNull();
    clock.bootstrap(10_000, 3_020, 10_040);
    expect(clock.offsetAt(0)).toEqual({ clockOffsetMs: 7_000, source: 'bootstrap' });
    clock.bootstrap(20_000, 13_100, 20_400);
    expect(clock.offsetAt(0)!.clockOffsetMs).toBe(7_000);
    clock.dropBootstrap();
    expect(clock.offsetAt(0)).toBeNull();
  });
});

describe('EdgeDirectory', () => {
  const key = toBase64Url(new Uint8Array(32).fill(7));
  const input = { agent_id: 'edge-1', url: 'https://edge.example.com/', capabilities: ['route'], cluster_id: 'c1', public_key: key };

  it('validates, lists, resolves keys and survives a restart through SQLite', () => {
    const db = new Database(':memory:');
    const directory = new EdgeDirectory(new ManualClock(5), new SqliteEdgeAgents(db));
    expect(directory.register({ ...input, url: 'ftp://x' })).toMatchObject({ ok: false, code: 'INVALID_EDGE_AGENT', path: 'url' });
    expect(directory.register({ ...input, class: 'B' })).toMatchObject({ ok: false, path: 'class' });
    const registered = directory.register(input);
    expect(registered).toMatchObject({ ok: true, replaced: false, agent: { url: 'https://edge.example.com', class: 'A' } });
    expect(directory.keyResolver()('edge-1')).toMatchObject({ ok: true });
    expect(directory.keyResolver()('pi-1')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_SIGNER' } });
    const restarted = new EdgeDirectory(new ManualClock(9), new SqliteEdgeAgents(db));
    expect(restarted.snapshot()).toEqual([{ ...input, url: 'https://edge.example.com', class: 'A' }]);
    expect(restarted.remove('edge-1')).toBe(true);
    expect(new EdgeDirectory(new ManualClock(9), new SqliteEdgeAgents(db)).size).toBe(0);
    db.close();
  });
});
