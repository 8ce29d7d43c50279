/**
 * sysfs GPIO (/sys/class/gpio): the chip's base resolves line numbers, export, direction and
 * values are plain file I/O under the configurable sysfs root, and edge interrupts come from
 * onoff (epoll on the value file, which only the kernel can provide: never a regular file).
 * Outputs are left exported at close so the safe state holds after the daemon has exited.
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Onoff from 'onoff';
import { join } from 'node:path';
import { findChip, sysfsGpioDir, sysfsNumber, type GpioChip } from './sysfs-chips.js';
import { GpioError, errnoOf, permissionError, type GpioInputLine, type GpioOutputLine, type GpioPort, type RawEdge } from './gpio-port.js';

/** How long an export may take before the gpioN directory (and udev's permissions) appear. */
const EXPORT_WAIT_MS = 2_000;
const EXPORT_POLL_MS = 20;

/** Watches one exported input for edges; the default is onoff's epoll watch. */
export type EdgeWatcher = (gpioNumber: number, onLevel: (level: boolean) => void, onError: (error: unknown) => void) => { close(): void };

export interface SysfsGpioOptions {
  sysfsRoot: string;
  chipLabel: string;
  localNow: () => number;
  reason: string;
  watcher?: EdgeWatcher;
}

export class SysfsGpioPort implements GpioPort {
  readonly name = 'sysfs';
  readonly reason: string;
  private readonly dir: string;
  private chip: GpioChip | undefined;

  constructor(private readonly options: SysfsGpioOptions) {
    this.dir = sysfsGpioDir(options.sysfsRoot);
    this.reason = options.reason;
  }

  /** The chip in use (read once, at the first line claimed). */
  resolveChip(): GpioChip {
    this.chip ??= findChip(this.options.sysfsRoot, this.options.chipLabel);
    return this.chip;
  }

  async input(line: number): Promise<GpioInputLine> {
    const n = sysfsNumber(this.resolveChip(), line);
    const path = await this.exportLine(n);
    this.writeFile(join(path, 'direction'), 'in');
    // Inversion is done above the backend, the same for every backend.
    this.writeFile(join(path, 'active_low'), '0');
    if (existsSync(join(path, 'edge'))) this.writeFile(join(path, 'edge'), 'both');
    const valuePath = join(path, 'value');
    let watch: { close(): void } | undefined;
    return {
      read: () => Promise.resolve(this.readLevel(valuePath)),
      watch: (onEdge: (edge: RawEdge) => void, onError) => {
        const watcher = this.options.watcher ?? onoffWatcher;
        watch = watcher(n, (level) => onEdge({ level, atLocal: this.options.localNow() }), (error) => onError(new GpioError('GPIO_IO', `gpio${n}: edge watch failed`, { cause: error })));
      },
      close: () => {
        watch?.close();
        this.tryWrite(join(this.dir, 'unexport'), String(n));
        return Promise.resolve();
      },
    };
  }

  async output(line: number, level: boolean): Promise<GpioOutputLine> {
    const n = sysfsNumber(this.resolveChip(), line);
    const path = await this.exportLine(n);
    this.writeFile(join(path, 'active_low'), '0');
    // 'high'/'low' set direction and level in one write: no glitch to the wrong level.
    this.writeFile(join(path, 'direction'), level ? 'high' : 'low');
    const valuePath = join(path, 'value');
    let fd: number;
    try {
      fd = openSync(valuePath, 'r+');
    } catch (error) {
      throw this.ioError(valuePath, error);
    }
    return {
      write: (next) => {
        try {
          writeSync(fd, next ? '1' : '0', 0);
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(this.ioError(valuePath, error));
        }
      },
      close: () => {
        closeSync(fd);
        return Promise.resolve();
      },
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Exports gpio<n> unless already exported; waits for its directory to appear. */
  private async exportLine(n: number): Promise<string> {
    const path = join(this.dir, `gpio${n}`);
    if (existsSync(join(path, 'value'))) return path;
    this.writeFile(join(this.dir, 'export'), String(n));
    const deadline = Date.now() + EXPORT_WAIT_MS;
    while (!existsSync(join(path, 'value'))) {
      if (Date.now() > deadline) throw new GpioError('GPIO_IO', `${path}: did not appear after exporting ${n}`);
      await new Promise((resolve) => setTimeout(resolve, EXPORT_POLL_MS));
    }
    return path;
  }

  private readLevel(path: string): boolean {
    try {
      return readFileSync(path, 'utf8').trim() === '1';
    } catch (error) {
      throw this.ioError(path, error);
    }
  }

  private writeFile(path: string, text: string): void {
    try {
      writeFileSync(path, text);
    } catch (error) {
      throw this.ioError(path, error);
    }
  }

  private tryWrite(path: string, text: string): void {
    try {
      writeFileSync(path, text);
    } catch {
      // Unexport is tidying up; a line someone else holds stays as it is.
    }
  }

  private ioError(path: string, error: unknown): GpioError {
    const code = errnoOf(error);
    if (code === 'EACCES' || code === 'EPERM') return permissionError(path, error);
    return new GpioError('GPIO_IO', `${path}: ${code ?? String(error)}`, { cause: error });
  }
}

/** onoff's interrupt watch; loaded only when an input is watched (it needs the native epoll). */
const onoffWatcher: EdgeWatcher = (gpioNumber, onLevel, onError) => {
  const { Gpio } = createRequire(import.meta.url)('onoff') as typeof Onoff;
  const gpio = new Gpio(gpioNumber, 'in', 'both');
  gpio.watch((error, value) => {
    if (error !== null && error !== undefined) onError(error);
    else onLevel(value === 1);
  });
  return {
    close: () => {
      gpio.unwatchAll();
    },
  };
};
