import { describe, expect, it } from 'vitest';
import type { ModeEvent } from '../lib/events.js';
import { INTERVAL, beat, harness, ids } from './registry.test-helper.js';

describe('operator mode override', () => {
  it('holds the mode while set, keeps computing underneath, and hands back on clear', async () => {
    const h = harness();
    const fleet = ids('pi', 10);
    beat(h, fleet);
    expect(h.registry.mode).toBe('FULL');
    const modes = () => h.events.filter((e): e is ModeEvent => e.name === 'mode.changed').map((e) => e.to);

    h.registry.setModeOverride('DEGRADED_MODERATE');
    expect([h.registry.mode, h.registry.computedMode, h.registry.modeOverride]).toEqual(['DEGRADED_MODERATE', 'FULL', 'DEGRADED_MODERATE']);

    // Six agents go silent: the computed mode falls, the effective one holds, no event for it.
    for (let i = 0; i < 3; i++) {
      h.clock.advance(INTERVAL);
      beat(h, fleet.slice(6));
    }
    h.clock.advance(1);
    await h.registry.sweep();
    expect(h.registry.computedMode).toBe('DEGRADED_SEVERE');
    expect(h.registry.mode).toBe('DEGRADED_MODERATE');
    expect(modes()).toEqual(['FULL', 'DEGRADED_MODERATE']);

    h.registry.setModeOverride(null);
    expect(h.registry.mode).toBe('DEGRADED_SEVERE');
    expect(modes()).toEqual(['FULL', 'DEGRADED_MODERATE', 'DEGRADED_SEVERE']);
  });
});
