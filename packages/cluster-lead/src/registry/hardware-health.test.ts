import { decodeThrottled } from '@mesh30k/shared';
import { sampleHealth } from '@mesh30k/shared/testing';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../lib/events.js';
import { enrollment, harness, heartbeat, type Harness } from './registry.test-helper.js';

const UNDER_VOLTAGE_NOW = 0x1;
const UNDER_VOLTAGE_SINCE_BOOT = 0x10000;

function beatWith(h: Harness, agentId: string, health: ReturnType<typeof sampleHealth>): void {
  h.registry.recordHeartbeat(heartbeat(agentId, h.clock.now(), {}, { health }), { receivedAt: h.clock.now(), enrollment: enrollment(agentId) });
}

describe('the Pi health block in the registry', () => {
  it('keeps what the agent reported and shows the decoded throttle flags', () => {
    const h = harness();
    beatWith(h, 'pi-1', sampleHealth({ temperature_c: 61.5, cpu_load_pct: 40, throttle: decodeThrottled(UNDER_VOLTAGE_SINCE_BOOT), ntp_synchronized: false }));
    expect(h.registry.get('pi-1')?.system).toEqual({
      temperatureC: 61.5,
      cpuLoadPct: 40,
      memoryUsedPct: 31,
      diskUsedPct: 12,
      uptimeS: 86_400,
      ntpSynchronized: false,
      throttle: decodeThrottled(UNDER_VOLTAGE_SINCE_BOOT),
      conditions: [],
      degraded: false,
    });
    expect(h.registry.get('pi-1')?.state).toBe('active');
  });

  it('counts an under-volted Pi as degraded (still routable), and active again once the supply recovers', () => {
    const h = harness();
    beatWith(h, 'pi-1', sampleHealth());
    beatWith(h, 'pi-1', sampleHealth({ throttle: decodeThrottled(UNDER_VOLTAGE_NOW) }));
    expect(h.registry.get('pi-1')).toMatchObject({ state: 'degraded', routable: true, system: { conditions: ['under_voltage'], degraded: true } });
    const change = h.events.find((e) => e.name === 'agent.degraded') as AgentEvent | undefined;
    expect(change?.reason).toBe('heartbeat (under_voltage)');
    expect(h.registry.status().byState).toMatchObject({ degraded: 1, active: 0 });
    beatWith(h, 'pi-1', sampleHealth({ throttle: decodeThrottled(UNDER_VOLTAGE_SINCE_BOOT) }));
    expect(h.registry.get('pi-1')?.state).toBe('active');
  });

  it('uses the configured thresholds: a hot Pi degrades above the line unless heat is told not to count', () => {
    const strict = harness({ hardware: { hotAboveC: 70 } });
    beatWith(strict, 'pi-1', sampleHealth({ temperature_c: 72 }));
    expect(strict.registry.get('pi-1')).toMatchObject({ state: 'degraded', system: { conditions: ['hot'] } });
    const lenient = harness({ hardware: { hotAboveC: 70, degradeOnHot: false } });
    beatWith(lenient, 'pi-1', sampleHealth({ temperature_c: 72 }));
    expect(lenient.registry.get('pi-1')).toMatchObject({ state: 'active', system: { conditions: ['hot'], degraded: false } });
  });

  it('summarises live agents for /metrics: counts per condition and the hottest temperature', () => {
    const h = harness();
    beatWith(h, 'a', sampleHealth({ temperature_c: 83, throttle: decodeThrottled(0x4) }));
    beatWith(h, 'b', sampleHealth({ temperature_c: 50, throttle: decodeThrottled(UNDER_VOLTAGE_NOW) }));
    beatWith(h, 'c', sampleHealth({ temperature_c: null, throttle: null }));
    expect(h.registry.hardwareSummary()).toEqual({ reporting: 2, degraded: 2, conditions: { under_voltage: 1, throttled: 1, hot: 1 }, maxTemperatureC: 83 });
  });

  it('survives the snapshot: the health block and the degraded state are restored', () => {
    const h = harness();
    beatWith(h, 'pi-1', sampleHealth({ temperature_c: 66, throttle: decodeThrottled(UNDER_VOLTAGE_NOW) }));
    const stored = h.registry.persisted('pi-1')!;
    const fresh = harness();
    expect(fresh.registry.restore([stored])).toBe(1);
    expect(fresh.registry.get('pi-1')).toMatchObject({ state: 'degraded', system: { temperatureC: 66, conditions: ['under_voltage'], degraded: true } });
    expect(stored.numbers).toMatchObject({ temperatureC: 66, throttleRaw: UNDER_VOLTAGE_NOW, ntpSynchronized: 1 });
  });
});
