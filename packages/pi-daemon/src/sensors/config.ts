/**
 * The `sensors` section of the agent config: where GPIO, 1-Wire and LEDs live, which GPIO
 * interface to use, and the devices. Part of the one agent schema (config/schema.ts); every
 * problem is reported with its field path like any other key.
 */
import { MAX_SENSORS, SensorId } from '@mesh30k/shared';
import { z } from 'zod';

export const DEFAULT_SYSFS_ROOT = '/sys';
/** The main GPIO controller of a Pi: pinctrl-bcm2711 (Pi 4), pinctrl-bcm2835, pinctrl-rp1 (Pi 5). */
export const DEFAULT_GPIO_CHIP_LABEL = 'pinctrl-';
export const DEFAULT_GPIO_CHIP = 'gpiochip0';
export const DEFAULT_DEBOUNCE_MS = 20;
export const DEFAULT_POLL_INTERVAL_MS = 30_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
export const DEFAULT_IDENTIFY_MS = 5_000;

const Line = z.number().int().min(0).max(1023);
const Interval = z.number().int().min(1_000).max(86_400_000).default(DEFAULT_POLL_INTERVAL_MS);
const Unit = z.string().min(1).max(16);
const AbsolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');

const GpioInput = z.strictObject({
  id: SensorId,
  kind: z.literal('gpio.input'),
  /** The line on the GPIO chip (BCM number on a Pi), not the sysfs number. */
  line: Line,
  /** Which transitions of the logical value are reported. */
  edge: z.enum(['both', 'rising', 'falling']).default('both'),
  /** Bias; `as-is` leaves the firmware's setting (sysfs cannot set it: use config.txt there). */
  pull: z.enum(['up', 'down', 'none', 'as-is']).default('as-is'),
  /** A change must hold this long before it is reported (contacts bounce). */
  debounce_ms: z.number().int().min(0).max(10_000).default(DEFAULT_DEBOUNCE_MS),
  /** Logical true is electrical low (a button to ground with a pull-up). */
  active_low: z.boolean().default(false),
});

const GpioOutput = z.strictObject({
  id: SensorId,
  kind: z.literal('gpio.output'),
  line: Line,
  active_low: z.boolean().default(false),
  /** Set when the daemon starts. */
  initial: z.enum(['on', 'off']).default('off'),
  /** Set when the daemon stops (SIGTERM); `keep` leaves the output as it is. */
  safe: z.enum(['on', 'off', 'keep']).default('off'),
});

const OneWireTemperature = z.strictObject({
  id: SensorId,
  kind: z.literal('onewire.temperature'),
  /** The DS18B20's directory under /sys/bus/w1/devices, e.g. 28-3c01d607e2aa. */
  device: z.string().regex(/^28-[0-9a-f]{12}$/, 'must be a DS18B20 id like 28-3c01d607e2aa'),
  interval_ms: Interval,
});

const CommandSensor = z.strictObject({
  id: SensorId,
  kind: z.literal('command'),
  /** Run directly (never through a shell); prints one JSON value on stdout. */
  command: AbsolutePath,
  args: z.array(z.string().max(1_024)).max(32).default([]),
  interval_ms: Interval,
  timeout_ms: z.number().int().min(100).max(600_000).default(DEFAULT_COMMAND_TIMEOUT_MS),
  unit: Unit.optional(),
});

/** The loaded config is frozen (config/load.ts), so the sensors module takes read-only shapes. */
type ReadOnly<T> = T extends readonly (infer E)[] ? readonly ReadOnly<E>[] : T extends object ? { readonly [K in keyof T]: ReadOnly<T[K]> } : T;

export const SensorDevice = z.discriminatedUnion('kind', [GpioInput, GpioOutput, OneWireTemperature, CommandSensor]);
export type SensorDevice = ReadOnly<z.output<typeof SensorDevice>>;
export type GpioInputDevice = ReadOnly<z.output<typeof GpioInput>>;
export type GpioOutputDevice = ReadOnly<z.output<typeof GpioOutput>>;
export type OneWireDevice = ReadOnly<z.output<typeof OneWireTemperature>>;
export type CommandDevice = ReadOnly<z.output<typeof CommandSensor>>;

export const SensorsConfig = z
  .strictObject({
    /** Root of sysfs (GPIO chips, 1-Wire devices, LEDs); a test points it at a fake tree. */
    sysfs_root: AbsolutePath.default(DEFAULT_SYSFS_ROOT),
    /** `auto`: sysfs GPIO where <sysfs_root>/class/gpio exists, else the character device. */
    gpio_backend: z.enum(['auto', 'sysfs', 'chardev']).default('auto'),
    /** sysfs: the gpiochip whose label starts with this (its base offsets the line numbers). */
    gpio_chip_label: z.string().min(1).max(64).default(DEFAULT_GPIO_CHIP_LABEL),
    /** Character device: the chip libgpiod's tools open (name, number or /dev path). */
    gpio_chip: z.string().min(1).max(64).default(DEFAULT_GPIO_CHIP),
    /** Where gpioget, gpioset and gpiomon are; absent: looked up on PATH. */
    gpio_tools_dir: AbsolutePath.optional(),
    /** An output (its id) that `identify` blinks besides the board's ACT LED. */
    identify_output: SensorId.optional(),
    identify_ms: z.number().int().min(500).max(60_000).default(DEFAULT_IDENTIFY_MS),
    devices: z.array(SensorDevice).max(MAX_SENSORS).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    const lines = new Map<number, number>();
    config.devices.forEach((device, index) => {
      if (seen.has(device.id)) ctx.addIssue({ code: 'custom', path: ['devices', index, 'id'], message: `"${device.id}" is already the id of devices.${seen.get(device.id)}` });
      seen.set(device.id, index);
      if (device.kind === 'gpio.input' || device.kind === 'gpio.output') {
        const other = lines.get(device.line);
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['devices', index, 'line'], message: `line ${device.line} is already used by devices.${other}` });
        lines.set(device.line, index);
      }
    });
    if (config.identify_output !== undefined) {
      const target = config.devices.find((d) => d.id === config.identify_output);
      if (target?.kind !== 'gpio.output') ctx.addIssue({ code: 'custom', path: ['identify_output'], message: `must name a gpio.output device, got "${config.identify_output}"` });
    }
  });
export type SensorsConfig = ReadOnly<z.output<typeof SensorsConfig>>;

/** The capability an agent must hold to drive an output through `act`. */
export function actCapability(outputId: string): string {
  return `act:${outputId}`;
}
