/**
 * The board's activity LED under <sysfs_root>/class/leds (ACT on current Raspberry Pi OS,
 * led0 on older ones). Identify takes it over: trigger `none`, blink by brightness, then the
 * trigger it had (the one in brackets in the trigger file) is written back.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf, permissionError } from './gpio-port.js';

export const ACT_LED_NAMES = ['ACT', 'led0'] as const;

export function findActLed(sysfsRoot: string): string | undefined {
  for (const name of ACT_LED_NAMES) {
    const dir = join(sysfsRoot, 'class', 'leds', name);
    if (existsSync(join(dir, 'trigger'))) return dir;
  }
  return undefined;
}

/** The active trigger: the word in brackets ("none [mmc0] timer" -> mmc0). */
export function activeTrigger(text: string): string | undefined {
  return /\[([^\]]+)\]/.exec(text)?.[1];
}

export interface LedHandle {
  set(on: boolean): Promise<void>;
  restore(): Promise<void>;
}

/** Takes the LED over (trigger none); restore() puts its trigger back. */
export async function takeLed(dir: string): Promise<LedHandle> {
  const triggerPath = join(dir, 'trigger');
  const previous = activeTrigger(await readFile(triggerPath, 'utf8'));
  try {
    await writeFile(triggerPath, 'none');
  } catch (error) {
    // Root-owned unless deploy/pi/99-mesh30k-leds.rules gave group gpio write access.
    if (errnoOf(error) === 'EACCES' || errnoOf(error) === 'EPERM') throw permissionError(triggerPath, error);
    throw error;
  }
  return {
    set: (on) => writeFile(join(dir, 'brightness'), on ? '1' : '0'),
    restore: async () => {
      await writeFile(join(dir, 'brightness'), '0');
      if (previous !== undefined) await writeFile(triggerPath, previous);
    },
  };
}
