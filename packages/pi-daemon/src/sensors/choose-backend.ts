/** Picks the GPIO backend the config asks for, or in `auto` the one this kernel offers, and says why. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChardevGpioPort } from './chardev-gpio.js';
import type { SensorsConfig } from './config.js';
import type { GpioPort } from './gpio-port.js';
import { SysfsGpioPort } from './sysfs-gpio.js';
import { sysfsGpioDir } from './sysfs-chips.js';

export function chooseGpioPort(config: Pick<SensorsConfig, 'sysfs_root' | 'gpio_backend' | 'gpio_chip_label' | 'gpio_chip' | 'gpio_tools_dir'>, localNow: () => number): GpioPort {
  const sysfsDir = sysfsGpioDir(config.sysfs_root);
  const sysfs = (reason: string) => new SysfsGpioPort({ sysfsRoot: config.sysfs_root, chipLabel: config.gpio_chip_label, localNow, reason });
  const chardev = (reason: string) => new ChardevGpioPort({ chip: config.gpio_chip, toolsDir: config.gpio_tools_dir, localNow, reason });
  switch (config.gpio_backend) {
    case 'sysfs':
      return sysfs('sensors.gpio_backend is sysfs');
    case 'chardev':
      return chardev('sensors.gpio_backend is chardev');
    case 'auto':
      return existsSync(join(sysfsDir, 'export'))
        ? sysfs(`${sysfsDir}/export exists`)
        : chardev(`${sysfsDir} has no export file (sysfs GPIO absent from this kernel): character device ${config.gpio_chip} through libgpiod's tools`);
  }
}
