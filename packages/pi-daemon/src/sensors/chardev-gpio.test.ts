import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { ChardevGpioPort, parseMonLine, toolArgs } from './chardev-gpio.js';
import { writeFakeGpioTools, type FakeGpioTools } from './fake-gpio-tools.test-helper.js';
import type { RawEdge } from './gpio-port.js';

let dir: TempDir;
let tools: FakeGpioTools;
let port: ChardevGpioPort;

beforeEach(async () => {
  dir = await makeTempDir('mesh30k-gpiod-');
  tools = writeFakeGpioTools(dir.path);
  port = new ChardevGpioPort({ chip: 'gpiochip0', toolsDir: dir.path, localNow: () => Date.now(), reason: 'test' });
});
afterEach(async () => {
  await port.close();
  await dir.dispose();
});

describe('character-device GPIO through (fake) libgpiod tools', () => {
  it('builds each version\'s arguments (2.x: -c CHIP; 1.x: CHIP first, -B bias, -b line-buffered)', () => {
    expect(toolArgs(2, 'gpiochip0').mon(17, 'up')).toEqual(['-c', 'gpiochip0', '-e', 'both', '-F', '%e %o', '--bias', 'pull-up', '17']);
    expect(toolArgs(2, 'gpiochip0').set(27, true)).toEqual(['-c', 'gpiochip0', '-t', '0', '27=1']);
    expect(toolArgs(1, 'gpiochip0').get(17, 'none')).toEqual(['-B', 'disable', 'gpiochip0', '17']);
    expect(toolArgs(1, 'gpiochip0').mon(17, 'as-is')).toEqual(['-b', '-F', '%e %o', 'gpiochip0', '17']);
    expect(parseMonLine('1 17')).toEqual({ level: true, line: 17 });
    expect(parseMonLine('2 17')).toEqual({ level: false, line: 17 });
    expect(parseMonLine('0 17')).toEqual({ level: false, line: 17 });
    expect(parseMonLine('garbage')).toBeUndefined();
  });

  it('reads with gpioget, writes with gpioset, and reports gpiomon\'s edges in order', async () => {
    tools.setLevel(17, true);
    const input = await port.input(17, { pull: 'up' });
    expect(await input.read()).toBe(true);
    const edges: RawEdge[] = [];
    const seen = new Promise<void>((resolve, reject) => {
      input.watch(
        (edge) => {
          edges.push(edge);
          if (edges.length === 3) resolve();
        },
        reject,
      );
    });
    tools.edge(17, false);
    tools.edge(4, true); // another line on the chip: not ours
    tools.edge(17, true);
    tools.edge(17, false);
    await seen;
    expect(edges.map((e) => e.level)).toEqual([false, true, false]);

    const output = await port.output(27, false);
    await output.write(true);
    expect(tools.setLog().trim().split('\n')).toEqual(['-c gpiochip0 -t 0 27=0', '-c gpiochip0 -t 0 27=1']);
    await input.close();
  });

  it('a refused device is an error naming the device and the gpio group', async () => {
    const deniedDir = await makeTempDir('mesh30k-gpiod-denied-');
    writeFakeGpioTools(deniedDir.path, { denied: true });
    const denied = new ChardevGpioPort({ chip: 'gpiochip0', toolsDir: deniedDir.path, localNow: () => 0, reason: 'test' });
    await expect(denied.input(17, { pull: 'as-is' })).rejects.toMatchObject({ code: 'GPIO_PERMISSION', message: /\/dev\/gpiochip0: permission denied.*group gpio/ });
    await deniedDir.dispose();
  });

  it('missing tools say what to install', async () => {
    const none = new ChardevGpioPort({ chip: 'gpiochip0', toolsDir: '/nonexistent', localNow: () => 0, reason: 'test' });
    await expect(none.output(27, false)).rejects.toMatchObject({ code: 'GPIO_UNAVAILABLE', message: /apt install gpiod/ });
  });
});
