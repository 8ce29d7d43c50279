/**
 * GPIO lines in memory: the backend of simulated agents (their relays switch here) and of
 * tests, which inject edges with `inject()` and break writes with `failWrites`. It keeps every
 * write with the local time it happened, so a test or the demo can see when an output switched.
 */
import { GpioError, type GpioInputLine, type GpioOutputLine, type GpioPort, type RawEdge } from './gpio-port.js';

export interface VirtualWrite {
  line: number;
  level: boolean;
  atLocal: number;
}

export class VirtualGpioPort implements GpioPort {
  readonly name = 'virtual';
  readonly reason: string;
  readonly writes: VirtualWrite[] = [];
  /** When set, every output write fails with this message (a hardware fault). */
  failWrites: string | undefined;
  private readonly levels = new Map<number, boolean>();
  private readonly watchers = new Map<number, (edge: RawEdge) => void>();

  constructor(
    private readonly localNow: () => number,
    options: { reason?: string; maxWrites?: number } = {},
  ) {
    this.reason = options.reason ?? 'virtual lines (simulation or test)';
    this.maxWrites = options.maxWrites ?? 1_000;
  }

  private readonly maxWrites: number;

  level(line: number): boolean | undefined {
    return this.levels.get(line);
  }

  /** An electrical change on `line`, as the hardware would report it. */
  inject(line: number, level: boolean, atLocal = this.localNow()): void {
    this.levels.set(line, level);
    this.watchers.get(line)?.({ level, atLocal });
  }

  input(line: number): Promise<GpioInputLine> {
    if (!this.levels.has(line)) this.levels.set(line, false);
    return Promise.resolve({
      read: () => Promise.resolve(this.levels.get(line) ?? false),
      watch: (onEdge) => {
        this.watchers.set(line, onEdge);
      },
      close: () => {
        this.watchers.delete(line);
        return Promise.resolve();
      },
    });
  }

  output(line: number, level: boolean): Promise<GpioOutputLine> {
    this.record(line, level);
    return Promise.resolve({
      write: (next) => {
        if (this.failWrites !== undefined) return Promise.reject(new GpioError('GPIO_IO', this.failWrites));
        this.record(line, next);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    });
  }

  close(): Promise<void> {
    this.watchers.clear();
    return Promise.resolve();
  }

  private record(line: number, level: boolean): void {
    this.levels.set(line, level);
    this.writes.push({ line, level, atLocal: this.localNow() });
    if (this.writes.length > this.maxWrites) this.writes.shift();
  }
}
