import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../../../test/harness/index.js';
import type { TempDir } from '../../../../test/harness/index.js';
import { createLogger } from '../logging/index.js';
import type { ServiceNotifier } from '../ports.js';
import { createServiceNotifier, startWatchdogPings, watchdogPingIntervalMs } from './index.js';

// A stand-in for systemd's notify socket: python3 binds a unix datagram socket (Node cannot)
// and prints each datagram it receives as one JSON string per line.
const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

interface Listener {
  next(): Promise<string>;
  stop(): void;
}

async function listen(path: string): Promise<Listener> {
  const child: ChildProcessWithoutNullStreams = spawn('python3', ['-c', LISTENER, path]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const read = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('listener ended');
    return line.value;
  };
  expect(await read()).toBe('listening');
  return { next: async () => JSON.parse(await read()) as string, stop: () => void child.kill('SIGKILL') };
}

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('mesh30k-notify-');
});
afterEach(() => dir.dispose());

function captureLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', destination: { write: (line) => void lines.push(line) }, journald: false }) };
}

describe('createServiceNotifier', () => {
  it('does nothing without NOTIFY_SOCKET', async () => {
    const notifier = createServiceNotifier({ env: { PATH: process.env.PATH, WATCHDOG_USEC: '30000000' } });
    expect(notifier.available).toBe(false);
    expect(notifier.unavailableReason).toBe('NOTIFY_SOCKET is not set');
    notifier.ready();
    notifier.watchdog();
    notifier.status('x');
    notifier.stopping();
    await notifier.settled();
    expect(notifier.watchdogIntervalMs()).toBeNull();
  });

  it('delivers READY, STATUS, WATCHDOG and STOPPING to the notify socket through systemd-notify', async () => {
    const socket = join(dir.path, 'notify.sock');
    const notifier = createServiceNotifier({ env: { PATH: process.env.PATH, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '30000000' }, pid: 4242 });
    if (!notifier.available) {
      // No systemd-notify on this machine: the notifier must say so rather than pretend.
      expect(notifier.unavailableReason).toMatch(/systemd-notify not found/);
      return;
    }
    const listener = await listen(socket);
    try {
      notifier.ready();
      notifier.status('connected to nats://a:4222');
      notifier.watchdog();
      notifier.stopping();
      await notifier.settled();
      const ready = await listener.next();
      expect(ready.split('\n').sort()).toEqual(['MAINPID=4242', 'READY=1']);
      // systemd-notify waits for the manager after each message (BARRIER=1 with a file descriptor).
      const rest: string[] = [];
      while (rest.filter((m) => !m.startsWith('BARRIER=')).length < 3) rest.push(await listener.next());
      expect(rest.filter((m) => !m.startsWith('BARRIER='))).toEqual(['STATUS=connected to nats://a:4222', 'WATCHDOG=1', 'STOPPING=1']);
      expect(notifier.watchdogIntervalMs()).toBe(15_000);
    } finally {
      listener.stop();
    }
  });

  it('reports itself unavailable, and logs it once, when the binary is missing', async () => {
    const { lines, logger } = captureLogger();
    const notifier = createServiceNotifier({ env: { NOTIFY_SOCKET: join(dir.path, 's') }, binary: join(dir.path, 'systemd-notify'), logger });
    expect(notifier.available).toBe(false);
    expect(notifier.unavailableReason).toMatch(/systemd-notify not found/);
    notifier.ready();
    await notifier.settled();
    expect(lines.map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(['systemd.unavailable']);
  });

  it('logs a failed send and keeps going', async () => {
    const { lines, logger } = captureLogger();
    const notifier = createServiceNotifier({ env: { PATH: process.env.PATH, NOTIFY_SOCKET: join(dir.path, 'nobody-listens.sock') }, logger });
    if (!notifier.available) {
      expect(notifier.unavailableReason).toMatch(/systemd-notify not found/);
      return;
    }
    notifier.ready();
    notifier.stopping();
    await notifier.settled();
    const events = lines.map((line) => JSON.parse(line) as { event: string; level: string });
    expect(events.map((event) => [event.event, event.level])).toEqual([
      ['systemd.notify_failed', 'error'],
      ['systemd.notify_failed', 'error'],
    ]);
  });
});

describe('watchdog', () => {
  it('pings at half of WatchdogSec, only for the process it is meant for', () => {
    expect(watchdogPingIntervalMs({ WATCHDOG_USEC: '30000000' }, 10)).toBe(15_000);
    expect(watchdogPingIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10)).toBe(15_000);
    expect(watchdogPingIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '11' }, 10)).toBeNull();
    expect(watchdogPingIntervalMs({ WATCHDOG_USEC: 'soon' }, 10)).toBeNull();
    expect(watchdogPingIntervalMs({ WATCHDOG_USEC: '0' }, 10)).toBeNull();
    expect(watchdogPingIntervalMs({}, 10)).toBeNull();
  });

  it('pings from the event loop at the interval, and not at all without a watchdog', () => {
    vi.useFakeTimers();
    try {
      let pings = 0;
      const fake = (interval: number | null): ServiceNotifier => ({
        ready() {},
        stopping() {},
        status() {},
        watchdog: () => void (pings += 1),
        watchdogIntervalMs: () => interval,
      });
      const stop = startWatchdogPings(fake(1_000));
      vi.advanceTimersByTime(3_500);
      expect(pings).toBe(3);
      stop();
      vi.advanceTimersByTime(5_000);
      expect(pings).toBe(3);
      startWatchdogPings(fake(null));
      vi.advanceTimersByTime(5_000);
      expect(pings).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
