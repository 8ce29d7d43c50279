/**
 * The one small interface every GPIO backend implements (sysfs through onoff, the character
 * device through libgpiod's tools, a fake in tests, virtual lines in simulation). Backends
 * speak electrical levels only: active-low, debounce and edge selection are applied above
 * them (input-conditioner.ts, outputs.ts), the same way for every backend.
 */

export type Pull = 'up' | 'down' | 'none' | 'as-is';

/** One electrical change seen on an input line; `atLocal` is the agent clock when it was seen. */
export interface RawEdge {
  level: boolean;
  atLocal: number;
}

export interface GpioInputLine {
  /** The level now. */
  read(): Promise<boolean>;
  /** Calls `onEdge` for every change until close(); `onError` when watching fails for good. */
  watch(onEdge: (edge: RawEdge) => void, onError: (error: GpioError) => void): void;
  close(): Promise<void>;
}

export interface GpioOutputLine {
  /**
   * Drives the line. The electrical write starts before this returns (sysfs writes are
   * synchronous), so a caller timing an instant can call it exactly then.
   */
  write(level: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface GpioPort {
  /** `sysfs`, `chardev`, `fake`, `virtual`. */
  readonly name: string;
  /** Why this backend was chosen, for the log and `mesh-agent status`. */
  readonly reason: string;
  input(line: number, options: { pull: Pull }): Promise<GpioInputLine>;
  /** Claims the line as an output, driven to `level` from the first instant. */
  output(line: number, level: boolean): Promise<GpioOutputLine>;
  close(): Promise<void>;
}

export type GpioErrorCode =
  /** No GPIO interface at all (no sysfs GPIO, no libgpiod tools). */
  | 'GPIO_UNAVAILABLE'
  /** The configured chip or line does not exist. */
  | 'GPIO_NO_SUCH_LINE'
  /** A file or device exists but the daemon may not use it (group gpio missing). */
  | 'GPIO_PERMISSION'
  /** Reading or writing the line failed. */
  | 'GPIO_IO';

export class GpioError extends Error {
  override readonly name = 'GpioError';
  constructor(
    readonly code: GpioErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The error for a refused file or device: names the file and the group that grants it. */
export function permissionError(path: string, cause: unknown): GpioError {
  return new GpioError('GPIO_PERMISSION', `${path}: permission denied; the daemon's user must be in group gpio and the file writable by it (deploy/systemd/mesh-agent.service, deploy/pi/install.sh)`, { cause });
}

export function errnoOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
