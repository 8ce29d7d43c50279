// A private nats-server per test file: loopback only, a free port, optional JetStream in a
// temp store, and stop/kill/restart for fault tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { HarnessError } from './errors.js';
import { onProcessExit } from './exit-cleanup.js';
import { LogTail, readLines } from './log-tail.js';
import { LOOPBACK, freePort } from './ports.js';
import { makeTempDir, type TempDir } from './temp.js';

const NATS_BINARY = 'nats-server';
// setpriv makes the kernel SIGKILL the server when the test process dies, even by SIGKILL,
// which no exit handler can catch.
const PARENT_DEATH_WRAPPER = '/usr/bin/setpriv';
const READY_LINE = 'Server is ready';
const ADDRESS_IN_USE = 'address already in use';
const COMMAND_NOT_FOUND_EXIT = 127;
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 40;
// JetStream leader elections, kept apart from the tail so route-retry noise cannot push them out.
const LEADER_LINE = /JetStream cluster new|Self is new JetStream cluster/;
const LEADER_LINES = 500;
// A fresh port can be taken between freePort() and the bind; a restarted port can still be
// held for a moment by the dying process. Both cases are retried.
const BIND_ATTEMPTS = 5;
const BIND_RETRY_BACKOFF_MS = 50;

export interface StartNatsOptions {
  jetstream?: boolean;
  /** Fixed port; by default a free one is picked. */
  port?: number;
  readyTimeoutMs?: number;
  /** Extra nats-server arguments, e.g. ['-DV'] while debugging a test. */
  args?: readonly string[];
}

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** JetStream store directory (kept across restarts); undefined without JetStream. */
  readonly storeDir: string | undefined;
  readonly running: boolean;
  /** Process id of the current server process (changes on restart). */
  readonly pid: number | undefined;
  /** The server's most recent log lines, across restarts. */
  logTail(): readonly string[];
  /** Its JetStream leader-election lines (metadata, stream and consumer leaders), across restarts. */
  leaderLines(): readonly string[];
  /** SIGTERM and wait for exit (SIGKILL after a grace period). No-op if not running. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit, to emulate a crash. No-op if not running. */
  kill(): Promise<void>;
  /** Stops the server if running, then starts it again on the same port and store. */
  restart(): Promise<void>;
  /** Stops the server for good and removes its store. */
  dispose(): Promise<void>;
}

interface Launched {
  readonly child: ChildProcess;
  /** Settles once the process has exited and its output has been read. */
  readonly closed: Promise<void>;
}

export async function startNats(options: StartNatsOptions = {}): Promise<NatsServer> {
  const store = options.jetstream === true ? await makeTempDir('mesh30k-nats-js-') : undefined;
  try {
    const port = options.port ?? (await freePort());
    const server = new ManagedNats(port, store, options);
    await server.start(options.port === undefined);
    return server;
  } catch (error) {
    await store?.dispose();
    throw error;
  }
}

class ManagedNats implements NatsServer {
  readonly host = LOOPBACK;
  private current: Launched | undefined;
  private readonly log = new LogTail(LOG_TAIL_LINES);
  private readonly leaders = new LogTail(LEADER_LINES);
  private disposed = false;

  constructor(
    private portNumber: number,
    private readonly store: TempDir | undefined,
    private readonly options: StartNatsOptions,
  ) {}

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `nats://${this.host}:${this.portNumber}`;
  }

  get storeDir(): string | undefined {
    return this.store?.path;
  }

  get running(): boolean {
    const child = this.current?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  logTail(): readonly string[] {
    return this.log.snapshot();
  }

  leaderLines(): readonly string[] {
    return this.leaders.snapshot();
  }

  /** First start; with `portIsOurs` a port that turns out to be taken is swapped for another. */
  async start(portIsOurs: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.current = await launch(this.arguments(), this.readyTimeoutMs(), this.log, (line) => {
          if (LEADER_LINE.test(line)) this.leaders.push(line);
        });
        return;
      } catch (error) {
        if (!isPortInUse(error) || attempt >= BIND_ATTEMPTS) throw error;
        if (portIsOurs) this.portNumber = await freePort();
        else await delay(BIND_RETRY_BACKOFF_MS * attempt);
      }
    }
  }

  stop(): Promise<void> {
    return this.terminate('SIGTERM');
  }

  kill(): Promise<void> {
    return this.terminate('SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.disposed) throw new HarnessError('NATS_DISPOSED', 'cannot restart a disposed nats-server');
    await this.stop();
    await this.start(false);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
    await this.store?.dispose();
  }

  private async terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const launched = this.current;
    if (launched === undefined) return;
    if (this.running) launched.child.kill(signal);
    const escalation = setTimeout(() => launched.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await launched.closed;
    } finally {
      clearTimeout(escalation);
    }
  }

  private arguments(): string[] {
    const args = ['-a', this.host, '-p', String(this.portNumber)];
    if (this.store !== undefined) args.push('-js', '-sd', this.store.path);
    return [...args, ...(this.options.args ?? [])];
  }

  private readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  }
}

function isPortInUse(error: unknown): boolean {
  return error instanceof HarnessError && error.code === 'NATS_PORT_IN_USE';
}

/** Spawns nats-server and resolves once it logs that it is ready to accept clients. */
function launch(args: readonly string[], readyTimeoutMs: number, log: LogTail, onLine: (line: string) => void): Promise<Launched> {
  const [command, argv] = existsSync(PARENT_DEATH_WRAPPER)
    ? [PARENT_DEATH_WRAPPER, ['--pdeathsig', 'KILL', NATS_BINARY, ...args]]
    : [NATS_BINARY, [...args]];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const unregister = onProcessExit(() => child.kill('SIGKILL'));
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => {
      unregister();
      resolve();
    });
  });

  return new Promise<Launched>((resolve, reject) => {
    let settled = false;
    let addressInUse = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (code: HarnessError['code'], what: string, cause?: unknown): void => {
      settle(() => {
        const message = `${what} (${command} ${argv.join(' ')}); last log lines:\n${log.format()}`;
        reject(new HarnessError(code, message, { cause }));
      });
    };

    const read = (line: string): void => {
      log.push(line);
      onLine(line);
      if (line.includes(ADDRESS_IN_USE)) addressInUse = true;
      if (line.includes(READY_LINE)) settle(() => resolve({ child, closed }));
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      readLines(stream, read);
      // Pipes are sockets; unref'd, a forgotten server cannot keep a finished script alive
      // (the exit handler then kills it).
      if (stream instanceof Socket) stream.unref();
    }
    child.unref();

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail('NATS_START_TIMEOUT', `nats-server was not ready within ${readyTimeoutMs} ms`);
    }, readyTimeoutMs);

    child.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code === 'ENOENT' ? 'NATS_NOT_FOUND' : 'NATS_EXITED';
      fail(code, `could not run ${command}`, error);
    });
    // 'close' rather than 'exit': the fatal log line may still be in the pipe at 'exit'.
    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      const status = signal ?? `code ${exitCode}`;
      if (addressInUse) fail('NATS_PORT_IN_USE', `nats-server could not bind its port (${status})`);
      else if (exitCode === COMMAND_NOT_FOUND_EXIT) fail('NATS_NOT_FOUND', `${NATS_BINARY} is not on PATH`);
      else fail('NATS_EXITED', `nats-server exited before it was ready (${status})`);
    });
  });
}
