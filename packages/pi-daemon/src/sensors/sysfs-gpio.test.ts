import { mkdirSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../../test/harness/index.js';
import { chooseGpioPort } from './choose-backend.js';
import { findChip, listChips, sysfsNumber } from './sysfs-chips.js';
import { SysfsGpioPort } from './sysfs-gpio.js';

let dir: TempDir;
let kernel: FSWatcher | undefined;
const gpio = () => join(dir.path, 'class', 'gpio');

function chip(name: string, label: string, base: number, ngpio: number): void {
  mkdirSync(join(gpio(), name), { recursive: true });
  writeFileSync(join(gpio(), name, 'label'), `${label}\n`);
  writeFileSync(join(gpio(), name, 'base'), `${base}\n`);
  writeFileSync(join(gpio(), name, 'ngpio'), `${ngpio}\n`);
}

/** Plays the kernel: a number written to `export` makes gpio<N>/ appear with its files. */
function fakeKernel(): void {
  writeFileSync(join(gpio(), 'export'), '');
  writeFileSync(join(gpio(), 'unexport'), '');
  kernel = watch(join(gpio(), 'export'), () => {
    const n = readFileSync(join(gpio(), 'export'), 'utf8').trim();
    if (n === '') return;
    const line = join(gpio(), `gpio${n}`);
    mkdirSync(line, { recursive: true });
    for (const [file, text] of [['direction', 'in'], ['active_low', '0'], ['edge', 'none'], ['value', '1']]) writeFileSync(join(line, file!), text!);
  });
}

beforeEach(async () => {
  dir = await makeTempDir('mesh30k-sysfs-');
});
afterEach(async () => {
  kernel?.close();
  kernel = undefined;
  await dir.dispose();
});

const port = () => new SysfsGpioPort({ sysfsRoot: dir.path, chipLabel: 'pinctrl-', localNow: () => 0, reason: 'test' });

describe('sysfs GPIO against a fake sysfs tree', () => {
  it('finds the Pi\'s chip by label and offsets lines by its base (512 on kernels >= 6.6)', () => {
    chip('gpiochip512', 'pinctrl-bcm2711', 512, 58);
    chip('gpiochip570', 'raspberrypi-exp-gpio', 570, 8);
    expect(listChips(dir.path).map((c) => c.name)).toEqual(['gpiochip512', 'gpiochip570']);
    const found = findChip(dir.path, 'pinctrl-');
    expect(sysfsNumber(found, 17)).toBe(529);
    expect(() => sysfsNumber(found, 58)).toThrow(/beyond gpiochip512/);
    expect(() => findChip(dir.path, 'pinctrl-rp1')).toThrow(/sensors\.gpio_chip_label/);
  });

  it('exports, sets direction and reads an input; drives an output glitch-free and writes it', async () => {
    chip('gpiochip512', 'pinctrl-bcm2711', 512, 58);
    fakeKernel();
    const p = port();
    const input = await p.input(17);
    const line = join(gpio(), 'gpio529');
    expect(readFileSync(join(line, 'direction'), 'utf8')).toBe('in');
    expect(readFileSync(join(line, 'active_low'), 'utf8')).toBe('0');
    expect(readFileSync(join(line, 'edge'), 'utf8')).toBe('both');
    expect(await input.read()).toBe(true);
    writeFileSync(join(line, 'value'), '0\n');
    expect(await input.read()).toBe(false);

    const output = await p.output(27, true);
    const out = join(gpio(), 'gpio539');
    expect(readFileSync(join(out, 'direction'), 'utf8')).toBe('high');
    await output.write(false);
    expect(readFileSync(join(out, 'value'), 'utf8')).toBe('0');
    await output.write(true);
    expect(readFileSync(join(out, 'value'), 'utf8')).toBe('1');
    await output.close();
    await input.close();
    expect(readFileSync(join(gpio(), 'unexport'), 'utf8')).toBe('529');
  });

  it('uses line numbers unchanged on an older kernel (base 0)', async () => {
    chip('gpiochip0', 'pinctrl-bcm2835', 0, 54);
    fakeKernel();
    await port().output(17, false);
    expect(readFileSync(join(gpio(), 'gpio17', 'direction'), 'utf8')).toBe('low');
  });

  it('auto picks sysfs where class/gpio/export exists, else the character device, and says why', () => {
    const config = { sysfs_root: dir.path, gpio_backend: 'auto' as const, gpio_chip_label: 'pinctrl-', gpio_chip: 'gpiochip0', gpio_tools_dir: undefined };
    const without = chooseGpioPort(config, () => 0);
    expect(without.name).toBe('chardev');
    expect(without.reason).toMatch(/no export file/);
    chip('gpiochip512', 'pinctrl-bcm2711', 512, 58);
    fakeKernel();
    const withSysfs = chooseGpioPort(config, () => 0);
    expect(withSysfs.name).toBe('sysfs');
    expect(withSysfs.reason).toMatch(/export exists/);
  });
});
