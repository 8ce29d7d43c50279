/**
 * Finds a GPIO chip under <sysfs_root>/class/gpio and turns a line offset into the sysfs GPIO
 * number: base + line. The base is 0 on older kernels and 512 on >= 6.6 (Raspberry Pi OS
 * Bookworm), which is why a fixed `new Gpio(17)` opens the wrong line there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioError, errnoOf, permissionError } from './gpio-port.js';

export interface GpioChip {
  /** gpiochipN as sysfs names it (N is the base, not the /dev number). */
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export function sysfsGpioDir(sysfsRoot: string): string {
  return join(sysfsRoot, 'class', 'gpio');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if (errnoOf(error) === 'EACCES') throw permissionError(path, error);
    throw new GpioError('GPIO_NO_SUCH_LINE', `${path}: cannot read (${errnoOf(error) ?? String(error)})`, { cause: error });
  }
}

export function listChips(sysfsRoot: string): GpioChip[] {
  const dir = sysfsGpioDir(sysfsRoot);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^gpiochip\d+$/.test(name));
  } catch (error) {
    if (errnoOf(error) === 'EACCES') throw permissionError(dir, error);
    throw new GpioError('GPIO_UNAVAILABLE', `${dir}: no sysfs GPIO here`, { cause: error });
  }
  return names
    .map((name) => ({
      name,
      label: readText(join(dir, name, 'label')),
      base: Number(readText(join(dir, name, 'base'))),
      ngpio: Number(readText(join(dir, name, 'ngpio'))),
    }))
    .filter((chip) => Number.isInteger(chip.base) && Number.isInteger(chip.ngpio))
    .sort((a, b) => a.base - b.base);
}

/** The chip whose label starts with `labelPrefix` (lowest base first). */
export function findChip(sysfsRoot: string, labelPrefix: string): GpioChip {
  const chips = listChips(sysfsRoot);
  const chip = chips.find((c) => c.label.startsWith(labelPrefix));
  if (chip === undefined) {
    const seen = chips.map((c) => `${c.name} "${c.label}"`).join(', ') || 'none';
    throw new GpioError('GPIO_NO_SUCH_LINE', `no gpiochip labelled "${labelPrefix}..." under ${sysfsGpioDir(sysfsRoot)} (found: ${seen}); set sensors.gpio_chip_label`);
  }
  return chip;
}

/** The sysfs GPIO number of `line` on `chip`. */
export function sysfsNumber(chip: GpioChip, line: number): number {
  if (line >= chip.ngpio) throw new GpioError('GPIO_NO_SUCH_LINE', `line ${line} is beyond ${chip.name} "${chip.label}" (${chip.ngpio} lines)`);
  return chip.base + line;
}
