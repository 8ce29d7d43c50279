import { sampleMessage } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import { KEPT_BOOTS, advance, checkSequence } from './heartbeat-sequence.js';

const NOW = 1_700_000_000_000;
const fresh = { now: NOW, ttlMs: 10_000, skewMs: 2_000 };
const beat = (boot: string | undefined, seq: number, createdAt = NOW) =>
  sampleMessage('HEARTBEAT', { at: createdAt, overrides: { seq, boot_id: boot, clock: { offset_ms: 0, delay_ms: 0, drift_ppm: 0, confidence: 0, error_bound_ms: 0, samples: 0 } } });
const code = (result: ReturnType<typeof checkSequence>) => (result.ok ? 'ok' : result.error.code);

describe('checkSequence', () => {
  it('takes a first heartbeat, and heartbeats of agents that send no boot id', () => {
    expect(code(checkSequence(undefined, beat('b1', 0), fresh))).toBe('ok');
    expect(code(checkSequence({ seq: 50, boots: ['b1'] }, beat(undefined, 0), fresh))).toBe('ok');
  });

  it('within a boot, only a higher seq: any earlier heartbeat is refused whatever its timestamp', () => {
    const last = { seq: 7, boots: ['b1'] };
    expect(code(checkSequence(last, beat('b1', 8), fresh))).toBe('ok');
    expect(code(checkSequence(last, beat('b1', 7), fresh))).toBe('STALE_SEQUENCE');
    expect(code(checkSequence(last, beat('b1', 0), fresh))).toBe('STALE_SEQUENCE');
  });

  it('a restart that kept its sequence passes at any clock; a superseded boot never does', () => {
    const last = { seq: 1_005, boots: ['b2', 'b1'] };
    expect(code(checkSequence(last, beat('b3', 2_000, 0), fresh))).toBe('ok');
    expect(code(checkSequence(last, beat('b1', 0), fresh))).toBe('OLD_BOOT');
    expect(code(checkSequence(last, beat('b1', 9_999), fresh))).toBe('OLD_BOOT');
  });

  it('a new boot counting from low again must be fresh: a replayed boot heartbeat of a forgotten boot is not', () => {
    const last = { seq: 1_005, boots: ['b2'] };
    expect(code(checkSequence(last, beat('b9', 0, NOW - 5_000), fresh))).toBe('ok');
    expect(code(checkSequence(last, beat('b9', 0, NOW - 60_000), fresh))).toBe('STALE_BOOT');
    expect(code(checkSequence(last, beat('b9', 0, NOW + 5_000), fresh))).toBe('STALE_BOOT');
  });

  it('advance keeps the newest boots first, a bounded few', () => {
    let state = advance(undefined, beat('b0', 0));
    for (let i = 1; i <= KEPT_BOOTS + 2; i++) state = advance(state, beat(`b${i}`, i * 10));
    expect(state.boots).toEqual(['b6', 'b5', 'b4', 'b3']);
    expect(advance(state, beat('b6', 99))).toEqual({ seq: 99, boots: ['b6', 'b5', 'b4', 'b3'] });
  });
});
