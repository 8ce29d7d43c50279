/**
 * DS18B20 temperatures from the w1-therm driver's w1_slave file:
 *   "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES"
 *   "72 01 4b 46 7f ff 0e 10 57 t=23125"
 * The reading counts only when the driver says YES and the CRC-8 of the eight data bytes,
 * computed here again, matches the ninth: a noisy bus yields plausible but wrong numbers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf } from './gpio-port.js';

export type OneWireResult = { ok: true; celsius: number } | { ok: false; code: 'CRC_FAILED' | 'SENSOR_GONE' | 'UNREADABLE' | 'PERMISSION'; message: string };

export function w1SlavePath(sysfsRoot: string, device: string): string {
  return join(sysfsRoot, 'bus', 'w1', 'devices', device, 'w1_slave');
}

/** Dallas/Maxim CRC-8 (polynomial x^8 + x^5 + x^4 + 1, reflected 0x8c). */
export function crc8(bytes: readonly number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    let b = byte;
    for (let bit = 0; bit < 8; bit++) {
      const mix = (crc ^ b) & 1;
      crc >>= 1;
      if (mix !== 0) crc ^= 0x8c;
      b >>= 1;
    }
  }
  return crc;
}

export function parseW1Slave(text: string): OneWireResult {
  const [first = '', second = ''] = text.split('\n');
  const bytes = (first.split(':')[0] ?? '').trim().split(/\s+/).map((hex) => Number.parseInt(hex, 16));
  if (bytes.length !== 9 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    return { ok: false, code: 'UNREADABLE', message: 'w1_slave: not nine bytes of scratchpad' };
  }
  if (!/crc=[0-9a-f]{2} YES\s*$/.test(first)) return { ok: false, code: 'CRC_FAILED', message: 'w1_slave: the driver reports a CRC failure' };
  if (crc8(bytes.slice(0, 8)) !== bytes[8]) return { ok: false, code: 'CRC_FAILED', message: 'w1_slave: scratchpad CRC does not match' };
  const milli = /t=(-?\d+)\s*$/.exec(second);
  if (milli === null) return { ok: false, code: 'UNREADABLE', message: 'w1_slave: no t= value' };
  return { ok: true, celsius: Number(milli[1]) / 1000 };
}

export async function readDs18b20(sysfsRoot: string, device: string): Promise<OneWireResult> {
  const path = w1SlavePath(sysfsRoot, device);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO') return { ok: false, code: 'SENSOR_GONE', message: `${path}: no such sensor (unplugged, or the w1-gpio overlay is not loaded)` };
    if (code === 'EACCES') return { ok: false, code: 'PERMISSION', message: `${path}: permission denied` };
    return { ok: false, code: 'UNREADABLE', message: `${path}: ${code ?? String(error)}` };
  }
  return parseW1Slave(text);
}
