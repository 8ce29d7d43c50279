import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Coordinate } from '@mesh30k/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import type { HandlerContext } from '../coordination/handlers.js';
import { actHandler } from './act-handler.js';
import { SensorsConfig } from './config.js';
import { SensorHub, type SensorReading } from './sensor-hub.js';
import { VirtualGpioPort } from './virtual-gpio.js';

const log = pino({ level: 'silent' });
let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-hub-');
});
afterEach(async () => {
  await dir.dispose();
});

function hub(devices: unknown[], extra: Record<string, unknown> = {}) {
  const port = new VirtualGpioPort(() => Date.now());
  const readings: SensorReading[] = [];
  const config = SensorsConfig.parse({ sysfs_root: dir.path, devices, ...extra });
  const h = new SensorHub({ config, localNow: () => Date.now(), log, port });
  return { h, port, readings, start: () => h.start((r) => readings.push(r)) };
}

function context(payload: unknown, mode: Coordinate['release_mode'] = 'none'): HandlerContext {
  return {
    coordinate: { payload, release_mode: mode } as Coordinate,
    agentId: 'pi-1',
    contextHash: () => '',
    setContextHash: () => undefined,
    meshNow: () => Date.now(),
    signal: new AbortController().signal,
  };
}

const RELAY = { id: 'relay', kind: 'gpio.output', line: 27, active_low: true, initial: 'off', safe: 'off' };
const BUTTON = { id: 'button', kind: 'gpio.input', line: 17, active_low: true, debounce_ms: 0, edge: 'rising' };

describe('SensorHub and act on a virtual backend', () => {
  it('reports the initial state, then injected edges in order; outputs start in their initial state', async () => {
    const { port, readings, start, h } = hub([BUTTON, RELAY]);
    port.inject(17, true); // pulled up: released
    await start();
    expect(port.level(27)).toBe(true); // off, active-low
    port.inject(17, false);
    port.inject(17, true);
    port.inject(17, false);
    // The initial state, then presses only (rising): the release between them is not reported.
    expect(readings.filter((r) => r.sensorId === 'button').map((r) => r.value)).toEqual([false, true, true]);
    expect(readings.filter((r) => r.sensorId === 'relay').map((r) => r.value)).toEqual([false]);
    await h.stop();
  });

  it('act set/toggle/pulse drive the output with the capability; unknown output or no capability is a CONFLICT; a hardware fault is TRANSIT', async () => {
    const { h, port, start } = hub([RELAY]);
    await start();
    const act = actHandler(h, ['act:relay']);
    expect(await act(context({ action: 'set', output: 'relay', value: 'on' }))).toMatchObject({ state: 'ready', result: { state: true } });
    expect(port.level(27)).toBe(false); // on, active-low
    expect(await act(context({ action: 'toggle', output: 'relay' }))).toMatchObject({ state: 'ready', result: { state: false } });
    expect(await act(context({ action: 'pulse', output: 'relay', duration_ms: 30 }))).toMatchObject({ state: 'ready', result: { state: true } });
    await expect.poll(() => h.state('relay')).toBe(false);

    expect(await act(context({ action: 'set', output: 'pump', value: true }))).toMatchObject({ state: 'conflict', conflict: { type: 'CAPABILITY_MISMATCH', detail: 'no output "pump" on pi-1' } });
    expect(await actHandler(h, [])(context({ action: 'set', output: 'relay', value: true }))).toMatchObject({ state: 'conflict', conflict: { detail: 'pi-1 does not hold act:relay' } });
    expect(await act(context({ command: 'arm' }))).toMatchObject({ state: 'transit', code: 'PAYLOAD_INVALID' });
    port.failWrites = 'EIO writing gpio539/value';
    expect(await act(context({ action: 'set', output: 'relay', value: true }))).toMatchObject({ state: 'transit', code: 'HARDWARE_ERROR', message: 'EIO writing gpio539/value' });
    port.failWrites = undefined;
    await h.stop();
  });

  it('in hold mode nothing switches until the engine releases at T', async () => {
    const { h, port, start } = hub([RELAY]);
    await start();
    const outcome = await actHandler(h, ['act:relay'])(context({ action: 'set', output: 'relay', value: true }, 'hold'));
    expect(outcome.state).toBe('ready');
    expect(h.state('relay')).toBe(false);
    if (outcome.state !== 'ready' || outcome.atRelease === undefined) throw new Error('expected work at release');
    await outcome.atRelease();
    expect(h.state('relay')).toBe(true);
    expect(port.writes.at(-1)).toMatchObject({ line: 27, level: false });
    await h.stop();
  });

  it('stop sets safe states (keep leaves one alone)', async () => {
    const { h, port, start } = hub([{ ...RELAY, active_low: false, safe: 'off' }, { id: 'lamp', kind: 'gpio.output', line: 22, safe: 'keep' }]);
    await start();
    await h.set('relay', true);
    await h.set('lamp', true);
    await h.stop();
    expect(port.level(27)).toBe(false);
    expect(port.level(22)).toBe(true);
  });

  it('identify blinks the ACT LED and the identify output, then restores the LED\'s trigger', async () => {
    const led = join(dir.path, 'class', 'leds', 'ACT');
    mkdirSync(led, { recursive: true });
    writeFileSync(join(led, 'trigger'), 'none [mmc0] timer heartbeat\n');
    writeFileSync(join(led, 'brightness'), '0');
    const { h, port, start } = hub([{ ...RELAY, active_low: false }], { identify_output: 'relay' });
    await start();
    const outcome = await actHandler(h, [])(context({ action: 'identify', duration_ms: 600 }));
    expect(outcome).toMatchObject({ state: 'ready', result: { identify: { led, output: 'relay', duration_ms: 600 } } });
    expect(readFileSync(join(led, 'trigger'), 'utf8')).toBe('none');
    // A second identify while one runs joins it instead of saving 'none' as the trigger to restore.
    const running = await h.identify(500);
    await running.done;
    expect(readFileSync(join(led, 'trigger'), 'utf8')).toBe('mmc0');
    expect(port.writes.filter((w) => w.line === 27).length).toBeGreaterThan(2);
    expect(h.state('relay')).toBe(false);
    await h.stop();
  });

  it('identify with no LED and no identify output is TRANSIT, not READY', async () => {
    const { h, start } = hub([]);
    await start();
    expect(await actHandler(h, [])(context({ action: 'identify' }))).toMatchObject({ state: 'transit', code: 'HARDWARE_ERROR', message: /no LED to blink/ });
  });

  it('command sensors run the executable directly and read one JSON value; a bad answer is an error reading', async () => {
    const script = (name: string, body: string): string => {
      const path = join(dir.path, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const good = script('good', 'echo "$1"');
    const bad = script('bad', 'echo not json');
    const { h, readings, start } = hub([
      { id: 'lux', kind: 'command', command: good, args: ['412.5'], unit: 'lx' },
      { id: 'broken', kind: 'command', command: bad },
    ]);
    await start();
    await expect.poll(() => readings.length).toBe(2);
    expect(readings.find((r) => r.sensorId === 'lux')).toMatchObject({ value: 412.5, unit: 'lx', sensorKind: 'command' });
    expect(readings.find((r) => r.sensorId === 'broken')).toMatchObject({ value: null, error: expect.stringMatching(/^NOT_JSON/) });
    expect(h.status().devices.find((d) => d.id === 'broken')).toMatchObject({ ok: false });
    await h.stop();
  });
});
