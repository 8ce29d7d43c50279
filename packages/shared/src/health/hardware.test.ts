import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { decodeThrottled } from '../protocol/health.js';
import { HARDWARE_THRESHOLDS, assessHardware, resolveHardwareThresholds } from './hardware.js';

const UNDER_VOLTAGE_NOW = 0x1;
const THROTTLED_NOW = 0x4;
const UNDER_VOLTAGE_SINCE_BOOT = 0x10000;

describe('assessHardware', () => {
  it('finds nothing in a cool Pi with clean flags, or in a host that reports nothing', () => {
    expect(assessHardware({ temperature_c: 55, throttle: decodeThrottled(0) })).toEqual({ conditions: [], degraded: false });
    expect(assessHardware({ temperature_c: null, throttle: null })).toEqual({ conditions: [], degraded: false });
  });

  it('degrades on under-voltage, throttling and heat now, in a fixed order', () => {
    expect(assessHardware({ temperature_c: 50, throttle: decodeThrottled(UNDER_VOLTAGE_NOW) })).toEqual({ conditions: ['under_voltage'], degraded: true });
    expect(assessHardware({ temperature_c: 50, throttle: decodeThrottled(THROTTLED_NOW) })).toEqual({ conditions: ['throttled'], degraded: true });
    expect(assessHardware({ temperature_c: 81, throttle: decodeThrottled(THROTTLED_NOW | UNDER_VOLTAGE_NOW) })).toEqual({
      conditions: ['under_voltage', 'throttled', 'hot'],
      degraded: true,
    });
  });

  it('does not degrade on what only happened since boot, nor exactly at the hot line', () => {
    expect(assessHardware({ temperature_c: HARDWARE_THRESHOLDS.hotAboveC, throttle: decodeThrottled(UNDER_VOLTAGE_SINCE_BOOT) })).toEqual({ conditions: [], degraded: false });
  });

  it('reports a condition the thresholds do not count without degrading', () => {
    const t = resolveHardwareThresholds({ degradeOnHot: false, hotAboveC: 70 });
    expect(assessHardware({ temperature_c: 75, throttle: null }, t)).toEqual({ conditions: ['hot'], degraded: false });
  });

  it('refuses a temperature line outside what the sensor can report', () => {
    expect(() => resolveHardwareThresholds({ hotAboveC: 500 })).toThrow(MeshError);
  });
});
