// Spawns lease-holder.ts and turns its stdout into events a test can wait on.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./lease-holder.ts', import.meta.url));

export interface HolderLine {
  readonly type: 'started' | 'acquired' | 'lost' | 'ride' | 'acknowledged';
  readonly holder: string;
  readonly epoch?: number;
  readonly reason?: string;
  /** For a `ride` line: the step (src/ha/lease-keeper.ts RideEvent). */
  readonly ride?: string;
  readonly published: number;
  /** When the test process read the line (Date.now()). */
  readonly seenAt: number;
}

export interface HolderSpec {
  readonly servers: readonly string[];
  readonly bucket: string;
  readonly key: string;
  readonly holder: string;
  readonly ttlMs: number;
  /** The lease bucket's max age beyond the TTL (ha.ride_through_ms). */
  readonly rideThroughMs: number;
  readonly replicas: number;
  readonly subject: string;
}

/** A holder's event lines, and waiting on them. */
export abstract class HolderLog {
  readonly lines: HolderLine[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(readonly spec: HolderSpec) {}

  /** Whether the holder is gone (a wait then fails at once). */
  protected abstract gone(): string | undefined;

  protected push(line: Omit<HolderLine, 'seenAt'>): void {
    this.lines.push({ ...line, seenAt: Date.now() });
    this.wake();
  }

  protected wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves with the first line (already read or still to come) that matches, or fails at the deadline or exit. */
  async waitFor(what: string, match: (line: HolderLine) => boolean, timeoutMs: number): Promise<HolderLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      const gone = this.gone();
      if (gone !== undefined) throw new Error(`${this.spec.holder} ended while waiting for ${what}: ${gone}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.spec.holder}: timed out after ${timeoutMs} ms waiting for ${what}; lines: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  acquired(timeoutMs: number): Promise<HolderLine> {
    return this.waitFor('the lease', (line) => line.type === 'acquired', timeoutMs);
  }

  abstract kill(): Promise<void>;
}

export class HolderProcess extends HolderLog {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private stderr = '';

  constructor(spec: HolderSpec) {
    super(spec);
    const args = [SCRIPT, spec.servers.join(','), spec.bucket, spec.key, spec.holder, String(spec.ttlMs), String(spec.rideThroughMs), String(spec.replicas), spec.subject];
    this.child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.push(JSON.parse(text) as Omit<HolderLine, 'seenAt'>));
    this.child.once('close', () => this.wake());
  }

  protected gone(): string | undefined {
    return this.child.exitCode !== null || this.child.signalCode !== null ? `exited; stderr: ${this.stderr}` : undefined;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
