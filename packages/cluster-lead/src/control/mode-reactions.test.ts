import type { BreakerStatus, MeshMode } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { healthySectorsOnly } from '../lead-scatter.js';
import type { TargetAgent } from '../scatter/index.js';
import { captureLog } from '../../test/scatter/support/capture-log.js';
import { ModeReactions } from './mode-reactions.js';

describe('what a degradation mode asks of the lead', () => {
  it('EMERGENCY preserves state and raises one operator alert; a better mode clears it', async () => {
    const log = captureLog();
    let flushed = 0;
    const reactions = new ModeReactions({ logger: log.logger, now: () => 42, preserveState: () => Promise.resolve(++flushed), fleetSize: () => 3 }, 'FULL');
    expect(reactions.alert).toMatchObject({ active: false });
    reactions.modeChanged('FULL', 'DEGRADED_LIGHT');
    expect(flushed).toBe(0);
    reactions.modeChanged('DEGRADED_LIGHT', 'EMERGENCY');
    reactions.modeChanged('EMERGENCY', 'DEGRADED_SEVERE');
    expect(reactions.alert).toMatchObject({ active: true, since: 42, mode: 'DEGRADED_SEVERE' });
    expect(reactions.raised).toBe(1);
    await reactions.settle();
    expect(flushed).toBe(1);
    reactions.modeChanged('DEGRADED_SEVERE', 'FULL');
    expect(reactions.alert).toEqual({ active: false, since: null, mode: 'FULL', reason: null });
    const events = log.lines.map((l) => l.event);
    expect(events).toContain('operator.alert');
    expect(events).toContain('operator.alert-cleared');
    expect(log.lines.find((l) => l.event === 'operator.alert')?.level).toBe(50);
  });

  it('a lead restarted in EMERGENCY alerts again; an empty lead (EMERGENCY by definition) does not', () => {
    const deps = (size: number) => ({ logger: captureLog().logger, now: () => 1, preserveState: () => Promise.resolve(0), fleetSize: () => size });
    expect(new ModeReactions(deps(5), 'EMERGENCY').alert.active).toBe(true);
    expect(new ModeReactions(deps(0), 'EMERGENCY').alert.active).toBe(false);
  });

  it('routes to healthy sectors only from DEGRADED_MODERATE down: a half-open sector is left out', () => {
    const breakers: BreakerStatus[] = [{ scope: 'sector', targetId: 's-1', state: 'half-open', metricsOnly: false } as BreakerStatus];
    const agent = (sectorId: string) => ({ agentId: 'pi', clusterId: 'c', sectorId }) as TargetAgent;
    const at = (mode: MeshMode) => ({ registry: { mode }, breakers: { list: () => breakers } });
    expect(healthySectorsOnly(at('DEGRADED_LIGHT'), agent('s-1'))).toBeNull();
    expect(healthySectorsOnly(at('DEGRADED_MODERATE'), agent('s-2'))).toBeNull();
    expect(healthySectorsOnly(at('DEGRADED_MODERATE'), agent('s-1'))).toEqual({ routable: false, reason: 'mode DEGRADED_MODERATE routes to healthy sectors only; sector s-1 breaker is half-open' });
  });
});
