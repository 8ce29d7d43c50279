import { describe, expect, it } from 'vitest';
import { bootId, measureClockStep, monotonicMs } from './clock-anchor.js';

describe('measureClockStep', () => {
  it('measures a step back or forward between two runs of one boot, and nothing across a reboot', () => {
    const first = measureClockStep(undefined, 1_800_000_000_000, 5_000, 'boot-a');
    expect(first).toEqual({ anchor: { boot_id: 'boot-a', wall_minus_mono_ms: 1_799_999_995_000 }, stepMs: undefined });
    // 20 s of monotonic time later the lead clock reads 40 s earlier than it would have: stepped back 60 s.
    expect(measureClockStep(first.anchor, 1_800_000_000_000 - 40_000, 25_000, 'boot-a').stepMs).toBe(-60_000);
    expect(measureClockStep(first.anchor, 1_800_000_000_000 + 80_000, 25_000, 'boot-a').stepMs).toBe(60_000);
    expect(measureClockStep(first.anchor, 1_800_000_000_000 + 20_000, 25_000, 'boot-a').stepMs).toBe(0);
    expect(measureClockStep(first.anchor, 1_800_000_000_000, 25_000, 'boot-b').stepMs).toBeUndefined();
    expect(measureClockStep(first.anchor, 1_800_000_000_000, 25_000, undefined)).toEqual({ anchor: undefined, stepMs: undefined });
  });

  it('reads a monotonic clock and, on Linux, the boot id', () => {
    const a = monotonicMs();
    expect(monotonicMs()).toBeGreaterThanOrEqual(a);
    if (process.platform === 'linux') expect(bootId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});
