// A process of a local mesh that a fault test kills and starts again with the same arguments
// (so the same config, port and database): the lead, or a real `mesh-agent run` daemon.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A child process started by the harness, its output going to `<dir>/<name>.log`. */
export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Where a started process is recorded, so that the mesh's stop() ends it too. */
export interface ProcSink {
  readonly procs: Proc[];
  readonly pids: number[];
}

export type Spawner = (dir: string, name: string, args: string[]) => Proc;

export class RestartableProc {
  private current: Proc | undefined;
  private runs = 0;
  private readonly logs: string[] = [];

  /** `ready` resolves once a fresh process serves (e.g. /health/ready answers 200). */
  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly args: readonly string[],
    private readonly sink: ProcSink,
    private readonly spawn: Spawner,
    private readonly ready: (proc: Proc) => Promise<void>,
  ) {}

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  get running(): boolean {
    const child = this.current?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** How many times it was started. */
  get starts(): number {
    return this.runs;
  }

  /** Every log file it wrote, oldest first: `<name>.log`, then `<name>.2.log`, ... */
  get logFiles(): readonly string[] {
    return this.logs;
  }

  /** Starts it (again); refused while it runs. Resolves once `ready` does. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.runs += 1;
    const logName = this.runs === 1 ? this.name : `${this.name}.${this.runs}`;
    const proc = this.spawn(this.dir, logName, [...this.args]);
    this.current = proc;
    this.logs.push(join(this.dir, `${logName}.log`));
    this.sink.procs.push(proc);
    if (proc.child.pid !== undefined) this.sink.pids.push(proc.child.pid);
    await this.ready(proc);
  }

  /** Sends `signal` (SIGKILL by default: a crash) and waits until the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.current;
    if (proc === undefined) return;
    if (this.running) proc.child.kill(signal);
    await proc.exited;
  }
}
