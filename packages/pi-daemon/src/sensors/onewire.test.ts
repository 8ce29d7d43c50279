import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { crc8, parseW1Slave, readDs18b20 } from './onewire.js';

const DEVICE = '28-3c01d607e2aa';
/** A real scratchpad: 0x0172 = 23.125 C, CRC 0x57 over the first eight bytes. */
const BYTES = '72 01 4b 46 7f ff 0e 10';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-w1-');
});
afterEach(async () => {
  await dir.dispose();
});

function slave(text: string): void {
  const path = join(dir.path, 'bus', 'w1', 'devices', DEVICE);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'w1_slave'), text);
}

const crcHex = () => crc8(BYTES.split(' ').map((b) => Number.parseInt(b, 16))).toString(16).padStart(2, '0');

describe('DS18B20 through w1_slave', () => {
  it('reads a good temperature', async () => {
    const all = `${BYTES} ${crcHex()}`;
    slave(`${all} : crc=${crcHex()} YES\n${all} t=23125\n`);
    expect(await readDs18b20(dir.path, DEVICE)).toEqual({ ok: true, celsius: 23.125 });
  });

  it('refuses a reading the driver marks NO, and one whose CRC does not match', async () => {
    const all = `${BYTES} ${crcHex()}`;
    slave(`${all} : crc=${crcHex()} NO\n${all} t=23125\n`);
    expect(await readDs18b20(dir.path, DEVICE)).toMatchObject({ ok: false, code: 'CRC_FAILED' });
    const wrong = `${BYTES} 00`;
    expect(parseW1Slave(`${wrong} : crc=00 YES\n${wrong} t=23125\n`)).toMatchObject({ ok: false, code: 'CRC_FAILED', message: /does not match/ });
  });

  it('says the sensor is gone when its directory disappeared', async () => {
    expect(await readDs18b20(dir.path, DEVICE)).toMatchObject({ ok: false, code: 'SENSOR_GONE', message: /w1_slave: no such sensor/ });
  });
});
