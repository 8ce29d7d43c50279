/**
 * Virtual field devices for a simulated agent: a relay (a gpio.output on a virtual line, which
 * `act` drives for real through the sensors module) and a temperature that wanders slowly.
 * The SensorHub, its act handler and the SENSOR_EVENT path are the daemon's own; only the
 * backend (VirtualGpioPort) and the 1-Wire reader are simulated.
 */
import type { Logger } from 'pino';
import { SensorHub } from '../sensors/sensor-hub.js';
import { SensorsConfig } from '../sensors/config.js';
import { VirtualGpioPort } from '../sensors/virtual-gpio.js';
import { seededRandom } from './random.js';

export const VIRTUAL_RELAY = 'relay';
export const VIRTUAL_TEMPERATURE = 'temp';
const RELAY_LINE = 17;
const WALK_C = 0.2;

export interface VirtualSensors {
  hub: SensorHub;
  port: VirtualGpioPort;
}

export function virtualSensors(options: { seed: number; intervalMs: number; localNow: () => number; log: Logger }): VirtualSensors {
  const random = seededRandom(options.seed ^ 0x2545f491);
  let celsius = 18 + random() * 6;
  const port = new VirtualGpioPort(options.localNow, { maxWrites: 64 });
  const config = SensorsConfig.parse({
    sysfs_root: '/nonexistent',
    devices: [
      { id: VIRTUAL_RELAY, kind: 'gpio.output', line: RELAY_LINE, initial: 'off', safe: 'off' },
      { id: VIRTUAL_TEMPERATURE, kind: 'onewire.temperature', device: '28-000000000001', interval_ms: options.intervalMs },
    ],
  });
  const hub = new SensorHub({
    config,
    localNow: options.localNow,
    log: options.log,
    port,
    readers: {
      onewire: () => {
        celsius += (random() * 2 - 1) * WALK_C;
        return Promise.resolve({ ok: true, celsius: Math.round(celsius * 1000) / 1000 });
      },
    },
  });
  return { hub, port };
}
