/**
 * The GPIO character device (/dev/gpiochipN) through libgpiod's command-line tools, for
 * systems without sysfs GPIO: gpioget reads, gpioset writes, one long-running gpiomon per
 * input reports edges. The tools are run directly (execFile/spawn, never a shell). libgpiod
 * 1.x (Bookworm) and 2.x (Trixie and later) take different arguments; the version is asked
 * once (`gpioget --version`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GpioError, permissionError, type GpioInputLine, type GpioOutputLine, type GpioPort, type Pull, type RawEdge } from './gpio-port.js';

const TOOL_TIMEOUT_MS = 5_000;

export interface ChardevGpioOptions {
  /** Chip name, number or /dev path, as the tools take it. */
  chip: string;
  /** Directory holding gpioget/gpioset/gpiomon; absent: PATH. */
  toolsDir?: string | undefined;
  localNow: () => number;
  reason: string;
}

/** Arguments for each tool, per libgpiod major version. */
export function toolArgs(major: number, chip: string) {
  const bias = (pull: Pull): string[] => {
    if (pull === 'as-is') return [];
    const word = pull === 'up' ? 'pull-up' : pull === 'down' ? 'pull-down' : major >= 2 ? 'disabled' : 'disable';
    return [major >= 2 ? '--bias' : '-B', word];
  };
  if (major >= 2) {
    return {
      get: (line: number, pull: Pull) => ['--numeric', '-c', chip, ...bias(pull), String(line)],
      set: (line: number, level: boolean) => ['-c', chip, '-t', '0', `${line}=${level ? 1 : 0}`],
      mon: (line: number, pull: Pull) => ['-c', chip, '-e', 'both', '-F', '%e %o', ...bias(pull), String(line)],
    };
  }
  return {
    get: (line: number, pull: Pull) => [...bias(pull), chip, String(line)],
    set: (line: number, level: boolean) => [chip, `${line}=${level ? 1 : 0}`],
    mon: (line: number, pull: Pull) => ['-b', '-F', '%e %o', ...bias(pull), chip, String(line)],
  };
}

/** `1` is a rising edge in both versions (falling is 0 in 1.x, 2 in 2.x). */
export function parseMonLine(text: string): { level: boolean; line: number } | undefined {
  const match = /^\s*(\d)\s+(\d+)\s*$/.exec(text);
  if (match === null) return undefined;
  return { level: match[1] === '1', line: Number(match[2]) };
}

export class ChardevGpioPort implements GpioPort {
  readonly name = 'chardev';
  readonly reason: string;
  private major: Promise<number> | undefined;
  private readonly monitors = new Set<ChildProcess>();

  constructor(private readonly options: ChardevGpioOptions) {
    this.reason = options.reason;
  }

  async input(line: number, options: { pull: Pull }): Promise<GpioInputLine> {
    const args = toolArgs(await this.version(), this.options.chip);
    // Reading once checks chip, line and permissions before the sensor counts as started.
    const first = await this.run('gpioget', args.get(line, options.pull));
    parseLevel(first, this.options.chip, line);
    let monitor: ChildProcess | undefined;
    return {
      read: async () => parseLevel(await this.run('gpioget', args.get(line, options.pull)), this.options.chip, line),
      watch: (onEdge: (edge: RawEdge) => void, onError) => {
        monitor = spawn(this.tool('gpiomon'), args.mon(line, options.pull), { stdio: ['ignore', 'pipe', 'pipe'] });
        this.monitors.add(monitor);
        const child = monitor;
        let stderr = '';
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
          stderr = (stderr + chunk).slice(-512);
        });
        createInterface({ input: child.stdout! }).on('line', (text) => {
          const event = parseMonLine(text);
          if (event !== undefined && event.line === line) onEdge({ level: event.level, atLocal: this.options.localNow() });
        });
        child.once('error', (error) => onError(this.toolError('gpiomon', error, stderr)));
        child.once('exit', (code, signal) => {
          this.monitors.delete(child);
          if (!child.killed) onError(this.toolError('gpiomon', new Error(`exited (${code ?? signal})`), stderr));
        });
      },
      close: () => {
        monitor?.kill('SIGTERM');
        return Promise.resolve();
      },
    };
  }

  async output(line: number, level: boolean): Promise<GpioOutputLine> {
    const args = toolArgs(await this.version(), this.options.chip);
    await this.run('gpioset', args.set(line, level));
    return {
      write: async (next) => {
        await this.run('gpioset', args.set(line, next));
      },
      close: () => Promise.resolve(),
    };
  }

  close(): Promise<void> {
    for (const child of this.monitors) child.kill('SIGTERM');
    this.monitors.clear();
    return Promise.resolve();
  }

  private version(): Promise<number> {
    this.major ??= this.run('gpioget', ['--version']).then(
      (out) => Number(/v(\d+)\./.exec(out)?.[1] ?? 2),
      () => 2,
    );
    return this.major;
  }

  private tool(name: string): string {
    return this.options.toolsDir === undefined ? name : join(this.options.toolsDir, name);
  }

  private run(name: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.tool(name), args, { timeout: TOOL_TIMEOUT_MS, shell: false }, (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(this.toolError(name, error, stderr));
      });
    });
  }

  private toolError(name: string, error: Error & { code?: unknown }, stderr: string): GpioError {
    const device = this.options.chip.startsWith('/') ? this.options.chip : `/dev/${/^\d+$/.test(this.options.chip) ? `gpiochip${this.options.chip}` : this.options.chip}`;
    if (/permission denied/i.test(stderr) || error.code === 'EACCES') return permissionError(error.code === 'EACCES' ? this.tool(name) : device, error);
    if (error.code === 'ENOENT') return new GpioError('GPIO_UNAVAILABLE', `${this.tool(name)}: not found; install libgpiod's tools (apt install gpiod) or set sensors.gpio_tools_dir`, { cause: error });
    const why = stderr.trim().split('\n').at(-1) ?? error.message;
    return new GpioError('GPIO_IO', `${name} on ${device}: ${why || error.message}`, { cause: error });
  }
}

function parseLevel(stdout: string, chip: string, line: number): boolean {
  const text = stdout.trim();
  if (text === '1' || text === '0') return text === '1';
  throw new GpioError('GPIO_IO', `gpioget ${chip} ${line}: unexpected output ${JSON.stringify(text.slice(0, 40))}`);
}
