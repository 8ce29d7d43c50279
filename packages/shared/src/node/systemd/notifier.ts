/**
 * systemd's notify protocol (sd_notify(3)), for every Node process of the mesh (agent and
 * lead). Node has no unix datagram sockets, so each notification runs the `systemd-notify`
 * binary, which sends the datagram to NOTIFY_SOCKET and, by default, waits until the service
 * manager has processed it (a barrier), so the message is attributed to the unit even though
 * systemd-notify exits right after. The sender is a child process, so the unit needs
 * NotifyAccess=all. READY=1 carries --pid=<our pid> (MAINPID=), naming the Node process as
 * the main process.
 *
 * Without NOTIFY_SOCKET (not under systemd, or Type=simple) every method does nothing. With
 * it but without the binary, the notifier says it is unavailable and reports that once.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { watchdogPingIntervalMs } from './watchdog.js';

export const SYSTEMD_NOTIFY_BINARY = 'systemd-notify';
/** systemd-notify waits up to 5 s for its barrier; allow a little more before giving up on it. */
const SEND_TIMEOUT_MS = 8_000;
/** Notifications waiting behind a slow one; beyond this, watchdog pings are not queued. */
const MAX_QUEUED = 4;
/** Longest STATUS= text sent; systemctl status shows one line anyway. */
const MAX_STATUS_CHARS = 200;

export interface ServiceNotifier {
  ready(): void;
  watchdog(): void;
  stopping(): void;
  status(text: string): void;
  /** Half of WatchdogSec in ms, or null when the unit has no watchdog. */
  watchdogIntervalMs(): number | null;
}

/** What went wrong, for the caller's logger: `unavailable` once at creation, `failed` per send. */
export type NotifyProblem = { kind: 'unavailable'; reason: string } | { kind: 'failed'; args: readonly string[]; error: Error };

export interface SystemdNotifierOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** The main process id; process.pid by default. */
  pid?: number;
  /** Path or name of systemd-notify; looked up on the PATH of `env` when it is a bare name. */
  binary?: string;
  onProblem?: (problem: NotifyProblem) => void;
}

export interface SystemdNotifier extends ServiceNotifier {
  /** True when notifications are really sent (NOTIFY_SOCKET set and systemd-notify found). */
  readonly available: boolean;
  /** Why not, when unavailable. */
  readonly unavailableReason: string | null;
  /** Resolves when every notification sent so far has been delivered or has failed. */
  settled(): Promise<void>;
}

export function createSystemdNotifier(options: SystemdNotifierOptions): SystemdNotifier {
  const pid = options.pid ?? process.pid;
  const socket = options.env.NOTIFY_SOCKET;
  const watchdogMs = socket ? watchdogPingIntervalMs(options.env, pid) : null;
  const binary = socket ? findExecutable(options.binary ?? SYSTEMD_NOTIFY_BINARY, options.env.PATH) : null;
  let reason: string | null = null;
  if (!socket) reason = 'NOTIFY_SOCKET is not set';
  else if (binary === null) reason = `${options.binary ?? SYSTEMD_NOTIFY_BINARY} not found (install systemd, or notifications cannot reach systemd)`;
  if (socket && binary === null && reason !== null) options.onProblem?.({ kind: 'unavailable', reason });

  let tail: Promise<void> = Promise.resolve();
  let queued = 0;

  const send = (args: readonly string[], droppable: boolean): void => {
    if (binary === null || socket === undefined) return;
    if (droppable && queued >= MAX_QUEUED) return;
    queued += 1;
    tail = tail.then(() =>
      runNotify(binary, args, { ...options.env, NOTIFY_SOCKET: socket }).then((failure) => {
        queued -= 1;
        if (failure !== null) options.onProblem?.({ kind: 'failed', args, error: failure });
      }),
    );
  };

  return {
    available: binary !== null,
    unavailableReason: reason,
    ready: () => send([`--pid=${pid}`, 'READY=1'], false),
    watchdog: () => send(['WATCHDOG=1'], true),
    stopping: () => send(['STOPPING=1'], false),
    status: (text) => send([`STATUS=${oneLine(text)}`], true),
    watchdogIntervalMs: () => watchdogMs,
    settled: () => tail,
  };
}

/** Pings the watchdog from the calling (main) event loop; returns the function that stops it. */
export function startWatchdogPings(notifier: ServiceNotifier): () => void {
  const interval = notifier.watchdogIntervalMs();
  if (interval === null) return () => undefined;
  const timer = setInterval(() => notifier.watchdog(), interval);
  timer.unref();
  return () => clearInterval(timer);
}

function runNotify(binary: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Error | null> {
  return new Promise((resolve) => {
    execFile(binary, [...args], { env, timeout: SEND_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) resolve(null);
      else resolve(new Error(`${binary} ${args.join(' ')}: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}

function findExecutable(name: string, path: string | undefined): string | null {
  const candidates = isAbsolute(name) || name.includes('/') ? [name] : (path ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_STATUS_CHARS);
}
